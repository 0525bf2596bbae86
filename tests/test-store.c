/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store.c: the store interface against the sqlite backend: schema
 * migration, every CRUD path with its errors, history paging, search with
 * hostile input, write atomicity and the compliance outbox; and the
 * administration paths: removing, replacing and clearing content, room
 * statistics, add-ins, the audit log, import and export ranges. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "perch-store.h"
#include "perch-test-util.h"

typedef struct {
  char       *dir;
  char       *path;
  PerchStore *store;
  GPtrArray  *results;  /* arrays the helpers returned, freed at tear-down */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("perch-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "perch.db", NULL);
  f->store = perch_store_open_sqlite (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
  f->results = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, perch_store_close);
  g_clear_pointer (&f->results, g_ptr_array_unref);
  perch_test_remove_dir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
reopen (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->store, perch_store_close);
  f->store = perch_store_open_sqlite (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

/* A side connection for what the interface does not show (the schema
 * version, query plans, a message's state). */
static sqlite3 *
raw_open (Fixture *f)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
raw_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 v;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return v;
}

static void
raw_exec (sqlite3 *db, const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

static GPtrArray *
strings (const char *first, ...)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  va_list ap;

  va_start (ap, first);
  for (const char *s = first; s != NULL; s = va_arg (ap, const char *))
    g_ptr_array_add (a, g_strdup (s));
  va_end (ap);
  return a;
}

static void
assert_strings (GPtrArray *got, const char *first, ...)
{
  va_list ap;
  guint i = 0;

  g_assert_nonnull (got);
  va_start (ap, first);
  for (const char *s = first; s != NULL; s = va_arg (ap, const char *), i++)
    {
      g_assert_cmpuint (i, <, got->len);
      g_assert_cmpstr (g_ptr_array_index (got, i), ==, s);
    }
  va_end (ap);
  g_assert_cmpuint (got->len, ==, i);
}

static gint64
make_category (Fixture *f, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchCategory) cat = g_new0 (PerchCategory, 1);

  cat->name = g_strdup (name);
  cat->chat_history = TRUE;
  g_assert_true (perch_store_category_create (f->store, cat, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cat->id, >, 0);
  return cat->id;
}

static char *
make_room (Fixture *f, gint64 cat_id, const char *name, const char *description)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchRoomInfo) room = g_new0 (PerchRoomInfo, 1);

  room->name = g_strdup (name);
  room->description = g_strdup (description);
  room->category_id = cat_id;
  room->privacy = PERCH_PRIVACY_OPEN;
  room->invitations = TRUE;
  g_assert_true (perch_store_room_create (f->store, room, &error));
  g_assert_no_error (error);
  return g_strdup (room->id);
}

static PerchWrite *
chat (const char *room_id, const char *user, const char *content)
{
  PerchWrite *w = g_new0 (PerchWrite, 1);

  w->type = PERCH_EVENT_CHAT;
  w->room_id = g_strdup (room_id);
  w->user = g_strdup (user);
  w->content = g_strdup (content);
  w->ts_us = perch_now_us ();
  w->store_message = TRUE;
  return w;
}

/* Writes POSTS (of PerchWrite*) in one transaction. */
static void
write_all (Fixture *f, GPtrArray *posts)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (perch_store_write (f->store, (PerchWrite **) posts->pdata, posts->len, &error));
  g_assert_no_error (error);
}

static gint64
post (Fixture *f, const char *room_id, const char *content)
{
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  PerchWrite *w = chat (room_id, "sip:alice@example.test", content);

  g_ptr_array_add (posts, w);
  write_all (f, posts);
  g_assert_cmpint (w->msg_id, >, 0);
  return w->msg_id;
}

static GPtrArray *
search_rooms (Fixture *f, const char *text, guint limit)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *ids = perch_store_room_search (f->store, text, limit, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ids);
  g_ptr_array_add (f->results, ids);
  return ids;
}

static GPtrArray *
search_messages (Fixture *f, const char *room_id, const char *text, guint limit)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *msgs = perch_store_message_search (f->store, room_id, text, limit, &error);

  g_assert_no_error (error);
  g_assert_nonnull (msgs);
  g_ptr_array_add (f->results, msgs);
  return msgs;
}

/* ---- migrations ---- */

static void
test_migrate (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *db;
  gint64 version;

  db = raw_open (f);
  version = raw_int (db, "PRAGMA user_version");
  g_assert_cmpint (version, >=, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                " ('config','users','groups','group_members','categories',"
                                "  'category_principals','rooms','room_principals','messages',"
                                "  'messages_fts','invitations','prefs','events')"), ==, 13);
  sqlite3_close (db);

  g_assert_true (perch_store_config_set (f->store, "default_chat_history", "30", &error));
  g_assert_no_error (error);

  /* Re-opening an existing store migrates nothing and keeps the data. */
  reopen (f);
  db = raw_open (f);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, version);
  sqlite3_close (db);
  g_assert_cmpint (perch_store_config_get_int (f->store, "default_chat_history", 0), ==, 30);

  /* A store written by a newer program is refused, not damaged. */
  g_clear_pointer (&f->store, perch_store_close);
  db = raw_open (f);
  raw_exec (db, "PRAGMA user_version = 999");
  sqlite3_close (db);
  g_assert_null (perch_store_open_sqlite (f->path, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_FAILED);
  g_clear_error (&error);
  db = raw_open (f);
  {
    g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT, version);
    raw_exec (db, sql);
  }
  sqlite3_close (db);
  reopen (f);
}

static void
test_open_errors (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (perch_store_open_sqlite ("/nonexistent-dir/perch.db", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_FAILED);
  g_clear_error (&error);
  /* Two connections to ":memory:" would be two databases. */
  g_assert_null (perch_store_open_sqlite (":memory:", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_FAILED);
}

static void
test_pragmas (Fixture *f, gconstpointer data)
{
  sqlite3 *db = raw_open (f);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* ---- config, users, groups, prefs ---- */

static void
test_config (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *v = NULL;

  g_assert_null (perch_store_config_get (f->store, "room_management_url"));
  g_assert_true (perch_store_config_set (f->store, "room_management_url", "https://x/'; --", &error));
  g_assert_no_error (error);
  v = perch_store_config_get (f->store, "room_management_url");
  g_assert_cmpstr (v, ==, "https://x/'; --");
  g_assert_true (perch_store_config_set (f->store, "room_management_url", "https://y/", &error));
  g_clear_pointer (&v, g_free);
  v = perch_store_config_get (f->store, "room_management_url");
  g_assert_cmpstr (v, ==, "https://y/");
  g_assert_true (perch_store_config_set (f->store, "room_management_url", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (perch_store_config_get (f->store, "room_management_url"));

  g_assert_cmpint (perch_store_config_get_int (f->store, "max_file_size_kb", 20000), ==, 20000);
  perch_store_config_set (f->store, "max_file_size_kb", " 512 ", &error);
  g_assert_cmpint (perch_store_config_get_int (f->store, "max_file_size_kb", 20000), ==, 512);
  perch_store_config_set (f->store, "max_file_size_kb", "-7", &error);
  g_assert_cmpint (perch_store_config_get_int (f->store, "max_file_size_kb", 20000), ==, -7);
  perch_store_config_set (f->store, "max_file_size_kb", "12 kb", &error);
  g_assert_cmpint (perch_store_config_get_int (f->store, "max_file_size_kb", 20000), ==, 20000);
  perch_store_config_set (f->store, "max_file_size_kb", "99999999999", &error);
  g_assert_cmpint (perch_store_config_get_int (f->store, "max_file_size_kb", 20000), ==, 20000);
  perch_store_config_set (f->store, "max_file_size_kb", "", &error);
  g_assert_cmpint (perch_store_config_get_int (f->store, "max_file_size_kb", 5), ==, 5);
  g_assert_no_error (error);
}

static void
test_users (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  PerchUser alice = { "sip:alice@example.test", "Alice", "0123456789abcdef0123456789abcdef", FALSE, -1 };
  PerchUser bob = { "sip:bob@example.test", NULL, NULL, TRUE, 1 };
  g_autoptr(PerchUser) got = NULL;
  g_autoptr(GPtrArray) list = NULL;

  g_assert_null (perch_store_user_get (f->store, "sip:alice@example.test"));
  g_assert_true (perch_store_user_put (f->store, &bob, &error));
  g_assert_true (perch_store_user_put (f->store, &alice, &error));
  g_assert_no_error (error);

  got = perch_store_user_get (f->store, "sip:alice@example.test");
  g_assert_nonnull (got);
  g_assert_cmpstr (got->display_name, ==, "Alice");
  g_assert_cmpstr (got->ha1, ==, alice.ha1);
  g_assert_false (got->admin);
  g_assert_cmpint (got->enabled, ==, -1);
  g_clear_pointer (&got, perch_user_free);

  /* put replaces */
  alice.display_name = "Alice A.";
  alice.admin = TRUE;
  alice.enabled = 0;
  g_assert_true (perch_store_user_put (f->store, &alice, &error));
  got = perch_store_user_get (f->store, "sip:alice@example.test");
  g_assert_cmpstr (got->display_name, ==, "Alice A.");
  g_assert_true (got->admin);
  g_assert_cmpint (got->enabled, ==, 0);

  list = perch_store_user_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((PerchUser *) list->pdata[0])->uri, ==, "sip:alice@example.test");
  g_assert_cmpstr (((PerchUser *) list->pdata[1])->uri, ==, "sip:bob@example.test");
  g_assert_null (((PerchUser *) list->pdata[1])->display_name);
  g_assert_true (((PerchUser *) list->pdata[1])->admin);
  g_assert_cmpint (((PerchUser *) list->pdata[1])->enabled, ==, 1);
}

static void
test_groups (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *const eng[] = { "sip:b@x.test", "sip:a@x.test", "sip:b@x.test", NULL };
  const char *const eng2[] = { "sip:c@x.test", NULL };
  g_autoptr(GPtrArray) members = NULL;
  g_autoptr(GPtrArray) names = NULL;

  g_assert_true (perch_store_group_put (f->store, "eng", eng, &error));
  g_assert_true (perch_store_group_put (f->store, "empty", NULL, &error));
  g_assert_no_error (error);

  members = perch_store_group_members (f->store, "eng", &error);
  g_assert_no_error (error);
  assert_strings (members, "sip:b@x.test", "sip:a@x.test", NULL);  /* order kept, duplicate dropped */
  g_clear_pointer (&members, g_ptr_array_unref);

  /* put replaces the members */
  g_assert_true (perch_store_group_put (f->store, "eng", eng2, &error));
  members = perch_store_group_members (f->store, "eng", &error);
  assert_strings (members, "sip:c@x.test", NULL);
  g_clear_pointer (&members, g_ptr_array_unref);

  members = perch_store_group_members (f->store, "empty", &error);
  g_assert_no_error (error);
  assert_strings (members, NULL);
  g_clear_pointer (&members, g_ptr_array_unref);

  names = perch_store_group_list (f->store, &error);
  assert_strings (names, "empty", "eng", NULL);

  g_assert_true (perch_store_group_delete (f->store, "eng", &error));
  g_assert_no_error (error);
  g_assert_false (perch_store_group_delete (f->store, "eng", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (perch_store_group_members (f->store, "eng", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* members went with the group: re-creating it starts empty */
  g_assert_true (perch_store_group_put (f->store, "eng", NULL, &error));
  members = perch_store_group_members (f->store, "eng", &error);
  assert_strings (members, NULL);
}

static void
test_prefs (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL, *b = NULL, *c = NULL;

  g_assert_null (perch_store_pref_get (f->store, "sip:a@x.test", "layout"));
  g_assert_true (perch_store_pref_set (f->store, "sip:a@x.test", "layout", "<xml a='1'/>", &error));
  g_assert_true (perch_store_pref_set (f->store, "sip:b@x.test", "layout", "other", &error));
  g_assert_no_error (error);
  a = perch_store_pref_get (f->store, "sip:a@x.test", "layout");
  g_assert_cmpstr (a, ==, "<xml a='1'/>");
  g_assert_true (perch_store_pref_set (f->store, "sip:a@x.test", "layout", "new", &error));
  b = perch_store_pref_get (f->store, "sip:a@x.test", "layout");
  g_assert_cmpstr (b, ==, "new");
  c = perch_store_pref_get (f->store, "sip:b@x.test", "layout");
  g_assert_cmpstr (c, ==, "other");
  g_assert_null (perch_store_pref_get (f->store, "sip:a@x.test", "other-label"));
  g_assert_true (perch_store_pref_set (f->store, "sip:a@x.test", "layout", NULL, &error));
  g_assert_null (perch_store_pref_get (f->store, "sip:a@x.test", "layout"));
  g_assert_no_error (error);
}

/* ---- categories and rooms ---- */

static void
test_categories (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchCategory) cat = g_new0 (PerchCategory, 1);
  g_autoptr(PerchCategory) dup = g_new0 (PerchCategory, 1);
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *room_id = NULL;
  PerchCategory *got;
  gint64 other;

  cat->name = g_strdup ("Engineering");
  cat->description = g_strdup ("eng rooms");
  cat->file_upload = TRUE;
  cat->chat_history = FALSE;
  cat->invitations = TRUE;
  cat->allowed = strings ("sip:z@x.test", "group:eng", "sip:a@x.test", NULL);
  cat->denied = strings ("sip:mallory@x.test", NULL);
  cat->creators = NULL;  /* NULL reads back as empty */
  g_assert_true (perch_store_category_create (f->store, cat, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cat->id, >, 0);

  list = perch_store_category_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  got = list->pdata[0];
  g_assert_cmpint (got->id, ==, cat->id);
  g_assert_cmpstr (got->name, ==, "Engineering");
  g_assert_cmpstr (got->description, ==, "eng rooms");
  g_assert_true (got->file_upload);
  g_assert_false (got->chat_history);
  g_assert_true (got->invitations);
  assert_strings (got->allowed, "sip:z@x.test", "group:eng", "sip:a@x.test", NULL);
  assert_strings (got->denied, "sip:mallory@x.test", NULL);
  assert_strings (got->creators, NULL);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* names are unique regardless of case */
  dup->name = g_strdup ("ENGINEERING");
  g_assert_false (perch_store_category_create (f->store, dup, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_assert_cmpint (dup->id, ==, 0);
  g_clear_error (&error);

  /* update replaces every field and list */
  other = make_category (f, "Other");
  g_free (cat->description);
  cat->description = NULL;
  cat->chat_history = TRUE;
  g_ptr_array_unref (cat->allowed);
  cat->allowed = NULL;
  cat->creators = strings ("sip:c@x.test", NULL);
  g_assert_true (perch_store_category_update (f->store, cat, &error));
  g_assert_no_error (error);
  list = perch_store_category_list (f->store, &error);
  g_assert_cmpuint (list->len, ==, 2);
  got = list->pdata[0];  /* by name: Engineering, Other */
  g_assert_cmpint (got->id, ==, cat->id);
  g_assert_null (got->description);
  g_assert_true (got->chat_history);
  assert_strings (got->allowed, NULL);
  assert_strings (got->denied, "sip:mallory@x.test", NULL);
  assert_strings (got->creators, "sip:c@x.test", NULL);
  g_assert_cmpint (((PerchCategory *) list->pdata[1])->id, ==, other);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* update onto a taken name; update of a missing one */
  g_free (cat->name);
  cat->name = g_strdup ("other");
  g_assert_false (perch_store_category_update (f->store, cat, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_clear_error (&error);
  cat->id = 424242;
  g_free (cat->name);
  cat->name = g_strdup ("Nowhere");
  g_assert_false (perch_store_category_update (f->store, cat, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* delete: not while it holds rooms; not when missing */
  room_id = make_room (f, other, "room in other", NULL);
  g_assert_false (perch_store_category_delete (f->store, other, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (perch_store_room_delete (f->store, room_id, &error));
  g_assert_true (perch_store_category_delete (f->store, other, &error));
  g_assert_no_error (error);
  g_assert_false (perch_store_category_delete (f->store, other, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a new category never reuses a deleted one's id */
  g_assert_cmpint (make_category (f, "Third"), >, other);
}

static void
test_rooms (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  gint64 cat2 = make_category (f, "Cat2");
  g_autoptr(PerchRoomInfo) room = g_new0 (PerchRoomInfo, 1);
  g_autoptr(PerchRoomInfo) got = NULL;
  g_autoptr(PerchRoomInfo) copy = NULL;
  g_autoptr(PerchRoomInfo) dup = NULL;
  g_autoptr(GPtrArray) list = NULL;
  gint64 before = perch_now_us ();

  room->name = g_strdup ("Design Review");
  room->description = g_strdup ("weekly");
  room->category_id = cat;
  room->privacy = PERCH_PRIVACY_SECRET;
  room->type = PERCH_ROOM_AUDITORIUM;
  room->disabled = FALSE;
  room->addin = g_strdup ("whiteboard");
  room->invitations = FALSE;
  room->members = strings ("sip:m2@x.test", "group:eng", "sip:m1@x.test", NULL);
  room->managers = strings ("sip:boss@x.test", NULL);
  room->presenters = strings ("sip:p@x.test", "sip:boss@x.test", NULL);
  g_assert_true (perch_store_room_create (f->store, room, &error));
  g_assert_no_error (error);

  /* a generated id: 36 lower-case characters of a UUID */
  g_assert_nonnull (room->id);
  g_assert_cmpuint (strlen (room->id), ==, 36);
  g_assert_true (g_uuid_string_is_valid (room->id));
  for (const char *p = room->id; *p; p++)
    g_assert_false (g_ascii_isupper (*p));
  g_assert_cmpint (room->created_us, >=, before);

  got = perch_store_room_get (f->store, room->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->id, ==, room->id);
  g_assert_cmpstr (got->name, ==, "Design Review");
  g_assert_cmpstr (got->description, ==, "weekly");
  g_assert_cmpint (got->category_id, ==, cat);
  g_assert_cmpint (got->privacy, ==, PERCH_PRIVACY_SECRET);
  g_assert_cmpint (got->type, ==, PERCH_ROOM_AUDITORIUM);
  g_assert_false (got->disabled);
  g_assert_cmpstr (got->addin, ==, "whiteboard");
  g_assert_false (got->invitations);
  g_assert_cmpint (got->created_us, ==, room->created_us);
  assert_strings (got->members, "sip:m2@x.test", "group:eng", "sip:m1@x.test", NULL);
  assert_strings (got->managers, "sip:boss@x.test", NULL);
  assert_strings (got->presenters, "sip:p@x.test", "sip:boss@x.test", NULL);

  copy = perch_room_info_copy (got);
  g_assert_true (copy->members != got->members);
  assert_strings (copy->members, "sip:m2@x.test", "group:eng", "sip:m1@x.test", NULL);
  g_assert_cmpstr (copy->addin, ==, "whiteboard");

  /* a taken name, in any case; the caller's struct is left as given */
  dup = g_new0 (PerchRoomInfo, 1);
  dup->name = g_strdup ("DESIGN review");
  dup->category_id = cat;
  g_assert_false (perch_store_room_create (f->store, dup, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_null (dup->id);
  g_assert_cmpint (dup->created_us, ==, 0);

  /* a taken id */
  g_free (dup->name);
  dup->name = g_strdup ("Fresh");
  dup->id = g_strdup (room->id);
  g_assert_false (perch_store_room_create (f->store, dup, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_clear_error (&error);

  /* a given id and created_us are kept */
  g_free (dup->id);
  dup->id = g_strdup ("imported-1");
  dup->created_us = 1234;
  g_assert_true (perch_store_room_create (f->store, dup, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dup->id, ==, "imported-1");
  g_clear_pointer (&got, perch_room_info_free);
  got = perch_store_room_get (f->store, "imported-1", &error);
  g_assert_cmpint (got->created_us, ==, 1234);
  g_assert_cmpint (got->privacy, ==, PERCH_PRIVACY_OPEN);
  assert_strings (got->members, NULL);

  /* a missing category */
  g_clear_pointer (&dup, perch_room_info_free);
  dup = g_new0 (PerchRoomInfo, 1);
  dup->name = g_strdup ("Orphan");
  dup->category_id = 999;
  g_assert_false (perch_store_room_create (f->store, dup, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* update replaces every field and list, keeps created_us */
  g_free (room->name);
  room->name = g_strdup ("Design Review 2");
  g_clear_pointer (&room->description, g_free);
  room->category_id = cat2;
  room->privacy = PERCH_PRIVACY_CLOSED;
  room->type = PERCH_ROOM_NORMAL;
  room->disabled = TRUE;
  g_clear_pointer (&room->addin, g_free);
  room->invitations = TRUE;
  g_ptr_array_unref (room->members);
  room->members = strings ("sip:only@x.test", NULL);
  g_clear_pointer (&room->managers, g_ptr_array_unref);
  room->created_us = 1;
  g_assert_true (perch_store_room_update (f->store, room, &error));
  g_assert_no_error (error);
  g_clear_pointer (&got, perch_room_info_free);
  got = perch_store_room_get (f->store, room->id, &error);
  g_assert_cmpstr (got->name, ==, "Design Review 2");
  g_assert_null (got->description);
  g_assert_cmpint (got->category_id, ==, cat2);
  g_assert_cmpint (got->privacy, ==, PERCH_PRIVACY_CLOSED);
  g_assert_cmpint (got->type, ==, PERCH_ROOM_NORMAL);
  g_assert_true (got->disabled);
  g_assert_null (got->addin);
  g_assert_true (got->invitations);
  g_assert_cmpint (got->created_us, ==, copy->created_us);
  assert_strings (got->members, "sip:only@x.test", NULL);
  assert_strings (got->managers, NULL);
  assert_strings (got->presenters, "sip:p@x.test", "sip:boss@x.test", NULL);

  /* update: taken name, missing room, missing category */
  g_free (room->name);
  room->name = g_strdup ("fresh");
  g_assert_false (perch_store_room_update (f->store, room, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_clear_error (&error);
  g_free (room->name);
  room->name = g_strdup ("Design Review 3");
  room->category_id = 999;
  g_assert_false (perch_store_room_update (f->store, room, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  room->category_id = cat;
  g_free (room->id);
  room->id = g_strdup ("no-such-room");
  g_assert_false (perch_store_room_update (f->store, room, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  list = perch_store_room_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((PerchRoomInfo *) list->pdata[0])->name, ==, "Design Review 2");
  g_assert_cmpstr (((PerchRoomInfo *) list->pdata[1])->name, ==, "Fresh");
  assert_strings (((PerchRoomInfo *) list->pdata[0])->members, "sip:only@x.test", NULL);
  assert_strings (((PerchRoomInfo *) list->pdata[0])->presenters, "sip:p@x.test", "sip:boss@x.test", NULL);

  g_assert_null (perch_store_room_get (f->store, "no-such-room", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (perch_store_room_delete (f->store, "no-such-room", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
test_room_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *doomed = make_room (f, cat, "Doomed", NULL);
  g_autofree char *kept = make_room (f, cat, "Kept", NULL);
  g_autoptr(GPtrArray) msgs = NULL;
  g_autoptr(GPtrArray) invites = NULL;
  g_autoptr(PerchRoomInfo) room = NULL;
  gint64 events;
  sqlite3 *db;

  room = perch_store_room_get (f->store, doomed, &error);
  g_ptr_array_unref (room->members);
  room->members = strings ("sip:a@x.test", NULL);
  g_assert_true (perch_store_room_update (f->store, room, &error));
  post (f, doomed, "secret plans");
  post (f, kept, "secret recipe");
  g_assert_true (perch_store_invitation_add (f->store, "sip:a@x.test", doomed, &error));
  g_assert_true (perch_store_invitation_add (f->store, "sip:a@x.test", kept, &error));
  g_assert_no_error (error);
  events = perch_store_events_count (f->store);

  g_assert_true (perch_store_room_delete (f->store, doomed, &error));
  g_assert_no_error (error);

  msgs = perch_store_history (f->store, doomed, 0, 50, &error);
  g_assert_cmpuint (msgs->len, ==, 0);
  g_clear_pointer (&msgs, g_ptr_array_unref);
  msgs = perch_store_message_search (f->store, NULL, "secret", 50, &error);
  g_assert_cmpuint (msgs->len, ==, 1);
  g_assert_cmpstr (((PerchMessage *) msgs->pdata[0])->room_id, ==, kept);
  invites = perch_store_invitations_take (f->store, "sip:a@x.test", &error);
  assert_strings (invites, kept, NULL);
  /* compliance events outlive the room */
  g_assert_cmpint (perch_store_events_count (f->store), ==, events);

  db = raw_open (f);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM room_principals"), ==, 0);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM messages"), ==, 1);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM room_stats"), ==, 1);
  sqlite3_close (db);
}

static void
test_room_search (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *pct = make_room (f, cat, "100% uptime", NULL);
  g_autofree char *under = make_room (f, cat, "snake_case", NULL);
  g_autofree char *slash = make_room (f, cat, "back\\slash", NULL);
  g_autofree char *plain = make_room (f, cat, "Plain", "talk about 1000 uptimes and snakecase");
  g_autofree char *accent = make_room (f, cat, "Été", "summer");
  g_autofree char *quote = make_room (f, cat, "it's", "'; DROP TABLE rooms; --");

#define SEARCH(text, limit) search_rooms (f, (text), (limit))

  assert_strings (SEARCH ("%", 50), pct, NULL);
  assert_strings (SEARCH ("0%", 50), pct, NULL);
  assert_strings (SEARCH ("_", 50), under, NULL);
  assert_strings (SEARCH ("e_c", 50), under, NULL);
  assert_strings (SEARCH ("\\", 50), slash, NULL);
  assert_strings (SEARCH ("\\%", 50), NULL);
  assert_strings (SEARCH ("UPTIME", 50), pct, plain, NULL);          /* name and description, by name */
  assert_strings (SEARCH ("SNAKE", 50), plain, under, NULL);
  assert_strings (SEARCH ("éTÉ", 50), accent, NULL);                /* beyond ASCII */
  assert_strings (SEARCH ("'; drop", 50), quote, NULL);
  assert_strings (SEARCH ("nothing like this", 50), NULL);
  g_assert_cmpuint (SEARCH ("", 50)->len, ==, 6);
  g_assert_cmpuint (SEARCH ("", 2)->len, ==, 2);
  g_assert_cmpuint (SEARCH ("e", 3)->len, ==, 3);
#undef SEARCH
}

/* ---- messages ---- */

static void
test_history (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  g_autoptr(GArray) a_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) page = NULL;
  gint64 before = 0;
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  GString *plan = g_string_new (NULL);

  /* 3000 posts, two rooms interleaved irregularly */
  for (int i = 0; i < 3000; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %d", i);
      g_ptr_array_add (posts, chat (i % 3 == 0 ? b : a, "sip:u@x.test", text));
    }
  write_all (f, posts);
  for (guint i = 0; i < posts->len; i++)
    {
      PerchWrite *w = posts->pdata[i];
      if (i > 0)
        g_assert_cmpint (w->msg_id, >, ((PerchWrite *) posts->pdata[i - 1])->msg_id);
      if (g_str_equal (w->room_id, a))
        g_array_append_val (a_ids, w->msg_id);
    }
  g_assert_cmpuint (a_ids->len, ==, 2000);

  /* the newest page, oldest first */
  page = perch_store_history (f->store, a, 0, 30, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 30);
  for (guint i = 0; i < 30; i++)
    {
      PerchMessage *m = page->pdata[i];
      g_assert_cmpint (m->id, ==, g_array_index (a_ids, gint64, 1970 + i));
      g_assert_cmpstr (m->room_id, ==, a);
      g_assert_cmpstr (m->author, ==, "sip:u@x.test");
      g_assert_cmpint (m->state, ==, PERCH_MSG_NORMAL);
      g_assert_cmpint (m->ts_us, >, 0);
    }
  g_assert_cmpstr (((PerchMessage *) page->pdata[29])->content, ==, "message 2999");
  g_clear_pointer (&page, g_ptr_array_unref);

  /* page backwards through everything with an odd page size */
  for (;;)
    {
      page = perch_store_history (f->store, a, before, 77, &error);
      g_assert_no_error (error);
      if (page->len == 0)
        break;
      g_assert_cmpuint (page->len, <=, 77);
      for (guint i = page->len; i > 0; i--)
        {
          PerchMessage *m = page->pdata[i - 1];
          g_assert_cmpint (m->id, <, before > 0 ? before : G_MAXINT64);
          if (i < page->len)
            g_assert_cmpint (m->id, <, ((PerchMessage *) page->pdata[i])->id);
          g_array_prepend_val (seen, m->id);
        }
      before = ((PerchMessage *) page->pdata[0])->id;
      g_clear_pointer (&page, g_ptr_array_unref);
    }
  g_clear_pointer (&page, g_ptr_array_unref);
  g_assert_cmpuint (seen->len, ==, a_ids->len);
  g_assert_cmpmem (seen->data, seen->len * sizeof (gint64), a_ids->data, a_ids->len * sizeof (gint64));

  page = perch_store_history (f->store, a, 0, 0, &error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = perch_store_history (f->store, "no-such-room", 0, 10, &error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* removed messages still come back, marked */
  db = raw_open (f);
  {
    g_autofree char *sql = g_strdup_printf ("UPDATE messages SET state = 2 WHERE id = %" G_GINT64_FORMAT,
                                            g_array_index (a_ids, gint64, 1999));
    raw_exec (db, sql);
  }
  page = perch_store_history (f->store, a, 0, 1, &error);
  g_assert_cmpint (((PerchMessage *) page->pdata[0])->state, ==, PERCH_MSG_REMOVED);
  g_assert_cmpstr (((PerchMessage *) page->pdata[0])->content, ==, "message 2999");
  g_clear_pointer (&page, g_ptr_array_unref);
  /* ... but are not found by their words */
  page = perch_store_message_search (f->store, a, "2999", 10, &error);
  g_assert_cmpuint (page->len, ==, 0);

  /* The backend's history query (kept in step with perch-store-sqlite.c)
   * walks the (room_id, id) index instead of scanning or sorting. */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT m.id, m.room_id, m.author, m.ts_us,"
                                           " m.content, m.state FROM messages AS m WHERE m.room_id = ?1"
                                           " AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_test_message ("history plan: %s", plan->str);
  g_assert_nonnull (strstr (plan->str, "USING INDEX messages_room_id (room_id=? AND id<?)"));
  g_assert_null (strstr (plan->str, "TEMP B-TREE"));
  g_string_free (plan, TRUE);
}

static void
test_message_search (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  gint64 m_quote = post (f, a, "she said \"hello world\" twice");
  gint64 m_star = post (f, a, "wild* card and prefix matching");
  gint64 m_near = post (f, b, "NEAR(apple pie) is not an operator");
  gint64 m_or = post (f, a, "apples OR oranges");
  gint64 m_pct = post (f, b, "50% off _today_ only");
  gint64 m_drop = post (f, a, "'; DROP TABLE messages; --");
  gint64 m_apple = post (f, b, "apple");
  gint64 m_korean = post (f, a, "안녕하세요 여러분");
  GPtrArray *r = NULL;

#define SEARCH(room, text, limit) (r = search_messages (f, (room), (text), (limit)))
#define ID(i) (((PerchMessage *) r->pdata[i])->id)

  /* plain words, every word required, newest first */
  SEARCH (NULL, "apple", 10);
  g_assert_cmpuint (r->len, ==, 2);
  g_assert_cmpint (ID (0), ==, m_apple);
  g_assert_cmpint (ID (1), ==, m_near);
  SEARCH (NULL, "APPLE pie", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_near);

  /* room filter and limit */
  SEARCH (a, "apple", 10);
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (b, "apple", 1);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_apple);
  g_assert_cmpstr (((PerchMessage *) r->pdata[0])->content, ==, "apple");

  /* FTS5 syntax in user text is words, not operators */
  SEARCH (NULL, "\"hello world\"", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_quote);
  SEARCH (NULL, "\"hello", 10);
  g_assert_cmpuint (r->len, ==, 1);
  SEARCH (NULL, "wild*", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_star);
  SEARCH (NULL, "wil*", 10);           /* no prefix matching */
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "*", 10);
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "NEAR(apple", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_near);
  SEARCH (NULL, "NEAR(apple pie)", 10);
  g_assert_cmpuint (r->len, ==, 1);
  SEARCH (NULL, "apples OR pie", 10);  /* OR is a word, so all three are required */
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "apples OR", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_or);
  SEARCH (NULL, "apple NOT pie", 10);
  g_assert_cmpuint (r->len, ==, 1);     /* "not" is in the NEAR message */
  SEARCH (NULL, "50%", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_pct);
  SEARCH (NULL, "%", 10);
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "_today_", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_pct);
  SEARCH (NULL, "'; DROP TABLE", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_drop);
  SEARCH (NULL, "content:apple", 10);  /* no column filters either */
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "^apple", 10);
  g_assert_cmpuint (r->len, ==, 2);
  SEARCH (NULL, "안녕하세요", 10);
  g_assert_cmpuint (r->len, ==, 1);
  g_assert_cmpint (ID (0), ==, m_korean);
  SEARCH (NULL, "", 10);
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "   \t ", 10);
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "\"\"\"", 10);
  g_assert_cmpuint (r->len, ==, 0);
  SEARCH (NULL, "\xff\xfe apple", 10);  /* not UTF-8: no error, no crash */

  /* the table survived the attempts */
  g_assert_cmpint (post (f, a, "still here"), >, m_korean);
#undef SEARCH
#undef ID
}

/* ---- the write path ---- */

static void
test_write_atomic (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  g_autoptr(GPtrArray) hist = NULL;
  PerchWrite *bad;

  post (f, a, "before");
  g_assert_cmpint (perch_store_events_count (f->store), ==, 1);

  g_ptr_array_add (posts, chat (a, "sip:u@x.test", "one"));
  g_ptr_array_add (posts, chat (a, "sip:u@x.test", "two"));
  bad = chat (NULL, "sip:u@x.test", "three");  /* room_id is NOT NULL */
  g_ptr_array_add (posts, bad);
  g_ptr_array_add (posts, chat (a, "sip:u@x.test", "four"));
  g_assert_false (perch_store_write (f->store, (PerchWrite **) posts->pdata, posts->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_FAILED);
  g_test_message ("expected failure: %s", error->message);
  g_assert_nonnull (strstr (error->message, "NOT NULL"));
  g_clear_error (&error);
  for (guint i = 0; i < posts->len; i++)
    {
      g_assert_cmpint (((PerchWrite *) posts->pdata[i])->msg_id, ==, 0);
      g_assert_cmpint (((PerchWrite *) posts->pdata[i])->event_id, ==, 0);
    }
  g_assert_cmpint (perch_store_events_count (f->store), ==, 1);
  hist = perch_store_history (f->store, a, 0, 50, &error);
  g_assert_cmpuint (hist->len, ==, 1);
  g_clear_pointer (&hist, g_ptr_array_unref);

  /* an unknown event type fails the batch the same way */
  bad->room_id = g_strdup (a);
  bad->type = 77;
  g_assert_false (perch_store_write (f->store, (PerchWrite **) posts->pdata, posts->len, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 1);

  /* the same batch, fixed, goes through whole, and survives a re-open */
  bad->type = PERCH_EVENT_CHAT;
  write_all (f, posts);
  reopen (f);
  hist = perch_store_history (f->store, a, 0, 50, &error);
  g_assert_cmpuint (hist->len, ==, 5);
  g_assert_cmpstr (((PerchMessage *) hist->pdata[4])->content, ==, "four");
  g_assert_cmpint (perch_store_events_count (f->store), ==, 5);

  /* an empty batch is a no-op */
  g_assert_true (perch_store_write (f->store, NULL, 0, &error));
  g_assert_no_error (error);
}

static void
test_write_kinds (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) hist = NULL;
  PerchWrite *stored = chat (a, "sip:u@x.test", "kept");
  PerchWrite *unstored = chat (a, "sip:u@x.test", "not kept");
  PerchWrite *join = g_new0 (PerchWrite, 1);
  PerchEvent *ev;

  unstored->store_message = FALSE;  /* a category without chat history */
  join->type = PERCH_EVENT_JOIN;
  join->room_id = g_strdup (a);
  join->user = g_strdup ("sip:u@x.test");
  join->store_message = TRUE;       /* ignored: not a CHAT */
  join->ts_us = 0;                  /* filled with the current time */
  g_ptr_array_add (posts, join);
  g_ptr_array_add (posts, stored);
  g_ptr_array_add (posts, unstored);
  write_all (f, posts);

  g_assert_cmpint (join->msg_id, ==, 0);
  g_assert_cmpint (join->ts_us, >, 0);
  g_assert_cmpint (stored->msg_id, >, 0);
  g_assert_cmpint (unstored->msg_id, ==, 0);
  g_assert_cmpint (stored->event_id, ==, join->event_id + 1);
  g_assert_cmpint (unstored->event_id, ==, stored->event_id + 1);

  hist = perch_store_history (f->store, a, 0, 10, &error);
  g_assert_cmpuint (hist->len, ==, 1);
  g_assert_cmpint (((PerchMessage *) hist->pdata[0])->id, ==, stored->msg_id);

  events = perch_store_events_pending (f->store, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);
  ev = events->pdata[0];
  g_assert_cmpint (ev->type, ==, PERCH_EVENT_JOIN);
  g_assert_cmpstr (ev->room_id, ==, a);
  g_assert_cmpstr (ev->user, ==, "sip:u@x.test");
  g_assert_null (ev->content);
  g_assert_cmpint (ev->msg_id, ==, 0);
  g_assert_cmpint (ev->ts_us, ==, join->ts_us);
  ev = events->pdata[1];
  g_assert_cmpint (ev->type, ==, PERCH_EVENT_CHAT);
  g_assert_cmpstr (ev->content, ==, "kept");
  g_assert_cmpint (ev->msg_id, ==, stored->msg_id);
  g_assert_cmpint (ev->ts_us, ==, stored->ts_us);
  ev = events->pdata[2];
  g_assert_cmpstr (ev->content, ==, "not kept");
  g_assert_cmpint (ev->msg_id, ==, 0);
}

static void
test_events (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  g_autoptr(GPtrArray) events = NULL;
  gint64 last;

  g_assert_cmpint (perch_store_events_count (f->store), ==, 0);
  for (int t = PERCH_EVENT_JOIN; t <= PERCH_EVENT_CLEAR; t++)
    {
      PerchWrite *w = g_new0 (PerchWrite, 1);
      w->type = t;
      w->room_id = g_strdup ("r");
      w->user = g_strdup ("sip:admin@x.test");
      w->content = g_strdup (perch_event_type_to_string (t));
      w->ts_us = 1000 + t;
      g_ptr_array_add (posts, w);
    }
  write_all (f, posts);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 9);

  events = perch_store_events_pending (f->store, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 9);
  for (guint i = 0; i < events->len; i++)
    {
      PerchEvent *ev = events->pdata[i];
      g_assert_cmpint (ev->type, ==, PERCH_EVENT_JOIN + (int) i);
      g_assert_cmpstr (ev->content, ==, perch_event_type_to_string (ev->type));
      g_assert_cmpint (ev->id, ==, ((PerchWrite *) posts->pdata[i])->event_id);
      if (i > 0)
        g_assert_cmpint (ev->id, >, ((PerchEvent *) events->pdata[i - 1])->id);
    }
  last = ((PerchEvent *) events->pdata[8])->id;
  g_clear_pointer (&events, g_ptr_array_unref);

  /* after_id and limit */
  events = perch_store_events_pending (f->store, ((PerchWrite *) posts->pdata[2])->event_id, 2, &error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpint (((PerchEvent *) events->pdata[0])->type, ==, PERCH_EVENT_BACKCHAT);
  g_assert_cmpint (((PerchEvent *) events->pdata[1])->type, ==, PERCH_EVENT_FILEUPLOAD);
  g_clear_pointer (&events, g_ptr_array_unref);

  /* delete_upto includes the id given */
  g_assert_true (perch_store_events_delete_upto (f->store, ((PerchWrite *) posts->pdata[3])->event_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 5);
  events = perch_store_events_pending (f->store, 0, 100, &error);
  g_assert_cmpuint (events->len, ==, 5);
  g_assert_cmpint (((PerchEvent *) events->pdata[0])->type, ==, PERCH_EVENT_FILEUPLOAD);
  g_clear_pointer (&events, g_ptr_array_unref);

  /* emptied, then new events still get higher ids, even after a re-open */
  g_assert_true (perch_store_events_delete_upto (f->store, last, &error));
  g_assert_cmpint (perch_store_events_count (f->store), ==, 0);
  reopen (f);
  g_ptr_array_set_size (posts, 1);
  write_all (f, posts);
  g_assert_cmpint (((PerchWrite *) posts->pdata[0])->event_id, >, last);

  g_assert_cmpstr (perch_event_type_to_string (PERCH_EVENT_FILEDOWNLOAD), ==, "FILEDOWNLOAD");
  g_assert_null (perch_event_type_to_string (0));
}

static void
test_invitations (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autoptr(GPtrArray) got = NULL;

  got = perch_store_invitations_take (f->store, "sip:u@x.test", &error);
  g_assert_no_error (error);
  assert_strings (got, NULL);
  g_clear_pointer (&got, g_ptr_array_unref);

  g_assert_true (perch_store_invitation_add (f->store, "sip:u@x.test", b, &error));
  g_assert_true (perch_store_invitation_add (f->store, "sip:u@x.test", a, &error));
  g_assert_true (perch_store_invitation_add (f->store, "sip:u@x.test", b, &error));  /* duplicate */
  g_assert_true (perch_store_invitation_add (f->store, "sip:v@x.test", a, &error));
  g_assert_no_error (error);

  got = perch_store_invitations_take (f->store, "sip:u@x.test", &error);
  g_assert_no_error (error);
  assert_strings (got, b, a, NULL);
  g_clear_pointer (&got, g_ptr_array_unref);

  /* taken means seen */
  got = perch_store_invitations_take (f->store, "sip:u@x.test", &error);
  assert_strings (got, NULL);
  g_clear_pointer (&got, g_ptr_array_unref);

  /* a new invitation after the old one was seen is delivered again */
  g_assert_true (perch_store_invitation_add (f->store, "sip:u@x.test", a, &error));
  got = perch_store_invitations_take (f->store, "sip:u@x.test", &error);
  assert_strings (got, a, NULL);
  g_clear_pointer (&got, g_ptr_array_unref);

  got = perch_store_invitations_take (f->store, "sip:v@x.test", &error);
  assert_strings (got, a, NULL);
  g_clear_pointer (&got, g_ptr_array_unref);

  g_assert_false (perch_store_invitation_add (f->store, "sip:u@x.test", "no-such-room", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
}

/* ---- administration (issue 3) ---- */

#define BASE_US G_GINT64_CONSTANT (1700000000000000)  /* 2023-11-14 */

static PerchMessage *
message_new (const char *room_id, const char *author, gint64 ts_us, const char *content, PerchMessageState state)
{
  PerchMessage *m = g_new0 (PerchMessage, 1);

  m->room_id = g_strdup (room_id);
  m->author = g_strdup (author);
  m->ts_us = ts_us;
  m->content = g_strdup (content);
  m->state = state;
  return m;
}

static GPtrArray *
messages_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
}

static void
import (Fixture *f, GPtrArray *msgs)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (perch_store_import_messages (f->store, (PerchMessage **) msgs->pdata, msgs->len, &error));
  g_assert_no_error (error);
}

static gint64
msg_id (GPtrArray *msgs, guint i)
{
  return ((PerchMessage *) g_ptr_array_index (msgs, i))->id;
}

static GArray *
ids_of (gint64 first, ...)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (gint64));
  va_list ap;

  va_start (ap, first);
  for (gint64 id = first; id != 0; id = va_arg (ap, gint64))
    g_array_append_val (a, id);
  va_end (ap);
  return a;
}

static GPtrArray *
history (Fixture *f, const char *room_id)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *msgs = perch_store_history (f->store, room_id, 0, 1000, &error);

  g_assert_no_error (error);
  g_ptr_array_add (f->results, msgs);
  return msgs;
}

static GPtrArray *
events_after (Fixture *f, gint64 after_id)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *events = perch_store_events_pending (f->store, after_id, 1000, &error);

  g_assert_no_error (error);
  g_ptr_array_add (f->results, events);
  return events;
}

static gint64
last_event_id (Fixture *f)
{
  GPtrArray *events = events_after (f, 0);

  return events->len > 0 ? ((PerchEvent *) events->pdata[events->len - 1])->id : 0;
}

/* Asserts ROOM's statistics; MESSAGES < 0: the store has none for it. */
static void
assert_stats (Fixture *f, const char *room_id, gint64 messages, gint64 bytes, gint64 last_post_us)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) stats = perch_store_room_stats (f->store, &error);
  PerchRoomStats *st;

  g_assert_no_error (error);
  g_assert_nonnull (stats);
  st = g_hash_table_lookup (stats, room_id);
  if (messages < 0)
    {
      g_assert_null (st);
      return;
    }
  g_assert_nonnull (st);
  g_assert_cmpint (st->messages, ==, messages);
  g_assert_cmpint (st->bytes, ==, bytes);
  g_assert_cmpint (st->last_post_us, ==, last_post_us);
}

/* Asserts that what the triggers kept is what a scan of messages says. */
static void
assert_stats_consistent (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) stats = perch_store_room_stats (f->store, &error);
  sqlite3 *db = raw_open (f);
  sqlite3_stmt *stmt = NULL;
  guint rows = 0;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT room_id, sum(state <> 2),"
                                           " sum(iif(state <> 2, length(CAST(content AS BLOB)), 0)), max(ts_us)"
                                           " FROM messages GROUP BY room_id", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      PerchRoomStats *st = g_hash_table_lookup (stats, sqlite3_column_text (stmt, 0));
      g_assert_nonnull (st);
      g_assert_cmpint (st->messages, ==, sqlite3_column_int64 (stmt, 1));
      g_assert_cmpint (st->bytes, ==, sqlite3_column_int64 (stmt, 2));
      g_assert_cmpint (st->last_post_us, ==, sqlite3_column_int64 (stmt, 3));
      rows++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_cmpuint (g_hash_table_size (stats), ==, rows);
}

static char *
schema_of (Fixture *f)
{
  sqlite3 *db = raw_open (f);
  sqlite3_stmt *stmt = NULL;
  GString *s = g_string_new (NULL);

  /* not sqlite's own tables: sqlite_stat1 appears with PRAGMA optimize */
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT type, name, tbl_name, ifnull(sql, '') FROM sqlite_master"
                                           " WHERE name NOT LIKE 'sqlite%' ORDER BY type, name",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (s, "%s %s %s: %s\n", sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 1),
                            sqlite3_column_text (stmt, 2), sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (s, FALSE);
}

static char *
query_plan (Fixture *f, const char *sql)
{
  sqlite3 *db = raw_open (f);
  sqlite3_stmt *stmt = NULL;
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  GString *plan = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_test_message ("plan: %s", plan->str);
  return g_string_free (plan, FALSE);
}

/* An existing data dir of schema version 1 (before issue 3) upgrades in
 * place: the new tables appear, room_stats is filled from the messages
 * already there, and the result is the schema of a new store. */
static void
test_migrate_v1 (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fresh_schema = schema_of (f);
  g_autofree char *upgraded_schema = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autofree char *c = make_room (f, cat, "C", NULL);
  GPtrArray *hist;
  PerchAddin addin = { "bot", "https://bot.example.test/" };
  gint64 latest, id;
  sqlite3 *db;

  g_clear_pointer (&f->store, perch_store_close);
  db = raw_open (f);
  latest = raw_int (db, "PRAGMA user_version");
  g_assert_cmpint (latest, >=, 2);
  /* Back to what version 1 left: everything steps 2 to 4 added goes. */
  raw_exec (db, "DROP TRIGGER messages_stats_insert; DROP TRIGGER messages_stats_update;"
                " DROP TRIGGER messages_stats_delete; DROP TABLE room_stats; DROP TABLE addins;"
                " DROP TABLE audit; DROP TRIGGER events_count_insert; DROP TRIGGER events_count_delete;"
                " DROP TABLE event_counts; DROP TABLE compliance_runs; DROP TABLE files;"
                " PRAGMA user_version = 1;");
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                " AND name NOT LIKE 'messages_fts%' AND name NOT LIKE 'sqlite%'"), ==, 12);
  /* ... and a version-1 program's messages: A has two live ones (bytes:
   * 5 + 15, Korean is 3 bytes a syllable), a replaced and a removed one,
   * and its newest is the removed one; B has only a removed one. */
  {
    g_autofree char *sql = g_strdup_printf (
      "INSERT INTO messages (room_id, author, ts_us, content, state) VALUES"
      " ('%s', 'sip:u@x.test', 100, 'hello', 0),"
      " ('%s', 'sip:u@x.test', 300, '안녕하세요', 0),"
      " ('%s', 'sip:u@x.test', 200, 'fixed', 1),"
      " ('%s', 'sip:u@x.test', 400, '', 2),"
      " ('%s', 'sip:u@x.test', 50, '', 2)", a, a, a, a, b);
    raw_exec (db, sql);
  }
  sqlite3_close (db);

  reopen (f);
  upgraded_schema = schema_of (f);
  g_assert_cmpstr (upgraded_schema, ==, fresh_schema);
  db = raw_open (f);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, latest);
  sqlite3_close (db);

  assert_stats (f, a, 3, 5 + 15 + 5, 400);
  assert_stats (f, b, 0, 0, 50);
  assert_stats (f, c, -1, 0, 0);
  assert_stats_consistent (f);

  /* the old messages and their full-text index carry on */
  hist = history (f, a);
  g_assert_cmpuint (hist->len, ==, 4);
  g_assert_cmpuint (search_messages (f, a, "안녕하세요", 10)->len, ==, 1);

  /* and the new paths work on the upgraded store */
  id = post (f, c, "first");
  g_assert_cmpint (id, >, 0);
  assert_stats_consistent (f);
  g_assert_true (perch_store_addin_put (f->store, &addin, &error));
  g_assert_true (perch_store_audit_add (f->store, "sip:admin@x.test", "room.clear", a, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (perch_store_room_clear (f->store, a, 1000, "sip:admin@x.test", &error), ==, 4);
  g_assert_no_error (error);
  assert_stats (f, a, -1, 0, 0);
  assert_stats_consistent (f);
}

/* The room_stats triggers through every path that changes messages. */
static void
test_room_stats (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  g_autoptr(GPtrArray) msgs = messages_new ();
  g_autoptr(GArray) changed = NULL;
  g_autoptr(GArray) only = NULL;
  g_autoptr(GHashTable) stats = NULL;
  PerchWrite *w1, *w2, *w3;
  PerchMessageFilter filter = { .room_id = a };
  sqlite3 *db;

  stats = perch_store_room_stats (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (stats), ==, 0);

  /* posts: one upsert each; a post with no stored message counts nothing */
  w1 = chat (a, "sip:u@x.test", "hello");                   /* 5 bytes */
  w2 = chat (a, "sip:u@x.test", "안녕");                    /* 6 bytes */
  w3 = chat (b, "sip:u@x.test", "Straße");                  /* 7 bytes */
  w1->ts_us = BASE_US + 10;
  w2->ts_us = BASE_US + 20;
  w3->ts_us = BASE_US + 5;
  g_ptr_array_add (posts, w1);
  g_ptr_array_add (posts, w2);
  g_ptr_array_add (posts, w3);
  g_ptr_array_add (posts, chat (b, "sip:u@x.test", "not stored"));
  ((PerchWrite *) posts->pdata[3])->store_message = FALSE;
  write_all (f, posts);
  assert_stats (f, a, 2, 11, BASE_US + 20);
  assert_stats (f, b, 1, 7, BASE_US + 5);

  /* an older message (an import) leaves last_post_us; a newer moves it;
   * a removed one counts only for last_post_us */
  g_ptr_array_add (msgs, message_new (a, "sip:v@x.test", BASE_US + 1, "old", PERCH_MSG_NORMAL));
  g_ptr_array_add (msgs, message_new (b, "sip:v@x.test", BASE_US + 30, "gone", PERCH_MSG_REMOVED));
  import (f, msgs);
  assert_stats (f, a, 3, 14, BASE_US + 20);
  assert_stats (f, b, 1, 7, BASE_US + 30);

  /* replace: the bytes follow the new content */
  only = ids_of (w1->msg_id, 0);
  filter.ids = only;
  changed = perch_store_messages_change (f->store, &filter, "hi", "sip:admin@x.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changed->len, ==, 1);
  g_clear_pointer (&changed, g_array_unref);
  assert_stats (f, a, 3, 14 - 5 + 2, BASE_US + 20);

  /* remove: neither counted nor weighed, but still the newest */
  g_array_index (only, gint64, 0) = w2->msg_id;
  changed = perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error);
  g_assert_cmpuint (changed->len, ==, 1);
  g_clear_pointer (&changed, g_array_unref);
  assert_stats (f, a, 2, 5, BASE_US + 20);
  assert_stats_consistent (f);

  /* survives a re-open: it is a table, not a cache */
  reopen (f);
  assert_stats (f, a, 2, 5, BASE_US + 20);
  assert_stats (f, b, 1, 7, BASE_US + 30);

  /* a plain delete of the newest message finds the next newest; of the
   * last one, drops the row */
  db = raw_open (f);
  {
    g_autofree char *sql = g_strdup_printf ("DELETE FROM messages WHERE id = %" G_GINT64_FORMAT, w2->msg_id);
    raw_exec (db, sql);
  }
  sqlite3_close (db);
  assert_stats (f, a, 2, 5, BASE_US + 10);
  assert_stats_consistent (f);
  db = raw_open (f);
  {
    g_autofree char *sql = g_strdup_printf ("DELETE FROM messages WHERE room_id = '%s'", b);
    raw_exec (db, sql);
  }
  sqlite3_close (db);
  assert_stats (f, b, -1, 0, 0);

  /* clear: partly, then wholly */
  g_assert_cmpint (perch_store_room_clear (f->store, a, BASE_US + 1, "sip:admin@x.test", &error), ==, 1);
  assert_stats (f, a, 1, 2, BASE_US + 10);
  g_assert_cmpint (perch_store_room_clear (f->store, a, BASE_US + 10, "sip:admin@x.test", &error), ==, 1);
  g_assert_no_error (error);
  assert_stats (f, a, -1, 0, 0);

  /* room delete drops the row */
  post (f, b, "again");
  assert_stats (f, b, 1, 5, ((PerchMessage *) history (f, b)->pdata[0])->ts_us);
  g_assert_true (perch_store_room_delete (f->store, b, &error));
  g_assert_no_error (error);
  assert_stats (f, b, -1, 0, 0);
  assert_stats_consistent (f);
}

/* ---- removing and replacing messages ---- */

/* What every match case starts from: one room with these messages, at
 * BASE_US + i seconds, by alice (even i) and bob (odd i). */
static const char *const corpus[] = {
  "Hello World",             /* 0 */
  "hello there, world",      /* 1 */
  "HELLO WORLD",             /* 2 */
  "goodbye",                 /* 3 */
  "안녕하세요 여러분",         /* 4 */
  "STRASSE und Straße",      /* 5 */
  "world hello",             /* 6 */
};

static char *
seed_room (Fixture *f, gint64 cat, GPtrArray **out)
{
  static guint n;
  g_autofree char *name = g_strdup_printf ("seeded %u", n++);
  char *room = make_room (f, cat, name, NULL);
  GPtrArray *msgs = messages_new ();

  for (guint i = 0; i < G_N_ELEMENTS (corpus); i++)
    g_ptr_array_add (msgs, message_new (room, i % 2 ? "sip:bob@x.test" : "sip:alice@x.test",
                                        BASE_US + i * G_USEC_PER_SEC, corpus[i], PERCH_MSG_NORMAL));
  import (f, msgs);
  *out = msgs;
  return room;
}

#define TS(i) (BASE_US + (i) * G_USEC_PER_SEC)

/* Seeds a fresh room, replaces what FILTER (its room filled in) matches
 * with "x", and asserts that exactly the corpus messages EXPECTED ("0 2",
 * "" for none) were replaced, oldest first, and nothing else changed.
 * IDS, unless NULL, is the ids filter as corpus indices ("" for an empty
 * list); message 1 (another room's) and an id never used are added. */
static void
assert_matches (Fixture *f, gint64 cat, PerchMessageFilter filter, const char *ids, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) seeded = NULL;
  g_autofree char *room = seed_room (f, cat, &seeded);
  g_auto(GStrv) want = g_strsplit (expected, " ", -1);
  g_autoptr(GArray) changed = NULL;
  g_autoptr(GArray) id_filter = NULL;
  GPtrArray *hist;
  guint n = 0;
  gboolean hit[G_N_ELEMENTS (corpus)] = { FALSE };

  filter.room_id = room;
  if (ids != NULL)
    {
      g_auto(GStrv) idx = g_strsplit (ids, " ", -1);
      id_filter = ids_of (1, G_GINT64_CONSTANT (999999999), 0);
      for (guint i = 0; idx[i] != NULL; i++)
        if (idx[i][0] != '\0')
          {
            gint64 id = msg_id (seeded, (guint) g_ascii_strtoull (idx[i], NULL, 10));
            g_array_append_val (id_filter, id);
          }
      filter.ids = id_filter;
    }
  changed = perch_store_messages_change (f->store, &filter, "x", "sip:admin@x.test", &error);
  g_assert_no_error (error);
  g_assert_nonnull (changed);
  for (guint i = 0; want[i] != NULL; i++)
    {
      guint k;
      if (want[i][0] == '\0')
        continue;
      k = (guint) g_ascii_strtoull (want[i], NULL, 10);
      hit[k] = TRUE;
      g_assert_cmpuint (n, <, changed->len);
      g_assert_cmpint (g_array_index (changed, gint64, n), ==, msg_id (seeded, k));
      n++;
    }
  if (changed->len != n)
    g_error ("expected \"%s\", %u changed", expected, changed->len);
  hist = history (f, room);
  g_assert_cmpuint (hist->len, ==, G_N_ELEMENTS (corpus));
  for (guint k = 0; k < hist->len; k++)
    {
      PerchMessage *m = hist->pdata[k];
      g_assert_cmpint (m->id, ==, msg_id (seeded, k));
      g_assert_cmpint (m->state, ==, hit[k] ? PERCH_MSG_REPLACED : PERCH_MSG_NORMAL);
      g_assert_cmpstr (m->content, ==, hit[k] ? "x" : corpus[k]);
    }
}

#define WORDS(...) ((const char *const[]) { __VA_ARGS__, NULL })

static void
test_messages_match (Fixture *f, gconstpointer data)
{
  gint64 cat = make_category (f, "Cat");
  g_autoptr(GPtrArray) other_msgs = NULL;
  g_autofree char *other = seed_room (f, cat, &other_msgs);

  g_assert_cmpint (msg_id (other_msgs, 0), ==, 1);  /* the foreign id assert_matches adds */
#define MATCH(expected, ...) assert_matches (f, cat, (PerchMessageFilter) { __VA_ARGS__ }, NULL, (expected))
#define MATCH_IDS(expected, ids, ...) \
  assert_matches (f, cat, (PerchMessageFilter) { __VA_ARGS__ }, (ids), (expected))
  /* nothing set: every message */
  MATCH ("0 1 2 3 4 5 6", .mode = PERCH_MATCH_ALL);
  MATCH ("0 1 2 3 4 5 6", .keywords = WORDS (NULL));

  /* ALL */
  MATCH ("0 1 2 6", .keywords = WORDS ("hello", "world"));
  MATCH ("1 6", .keywords = WORDS ("hello", "world"), .match_case = TRUE);
  MATCH ("0", .keywords = WORDS ("Hello", "World"), .match_case = TRUE);
  MATCH ("1", .keywords = WORDS ("HELLO", "there"));
  MATCH ("", .keywords = WORDS ("hello", "goodbye"));
  MATCH ("0 2", .keywords = WORDS ("LO W", "O"));    /* substrings, not words */

  /* ANY */
  MATCH ("3 4", .keywords = WORDS ("goodbye", "여러분"), .mode = PERCH_MATCH_ANY);
  MATCH ("2", .keywords = WORDS ("HELLO", "nothing"), .mode = PERCH_MATCH_ANY, .match_case = TRUE);
  MATCH ("", .keywords = WORDS ("nothing", "nowhere"), .mode = PERCH_MATCH_ANY);

  /* EXACT: the whole content, words joined by single spaces */
  MATCH ("0 2", .keywords = WORDS ("hello", "world"), .mode = PERCH_MATCH_EXACT);
  MATCH ("0", .keywords = WORDS ("Hello", "World"), .mode = PERCH_MATCH_EXACT, .match_case = TRUE);
  MATCH ("", .keywords = WORDS ("hello"), .mode = PERCH_MATCH_EXACT);
  MATCH ("", .keywords = WORDS ("hello  world"), .mode = PERCH_MATCH_EXACT);
  MATCH ("3", .keywords = WORDS ("GOODBYE"), .mode = PERCH_MATCH_EXACT);

  /* beyond ASCII: Korean substrings and whole text, Unicode casefolding */
  MATCH ("4", .keywords = WORDS ("안녕"));
  MATCH ("4", .keywords = WORDS ("여러분", "하세"), .match_case = TRUE);
  MATCH ("4", .keywords = WORDS ("안녕하세요", "여러분"), .mode = PERCH_MATCH_EXACT);
  MATCH ("", .keywords = WORDS ("안녕하세요여러분"), .mode = PERCH_MATCH_EXACT);
  MATCH ("5", .keywords = WORDS ("strasse und strasse"), .mode = PERCH_MATCH_EXACT); /* ß folds to ss */
  MATCH ("5", .keywords = WORDS ("ß"));
  MATCH ("5", .keywords = WORDS ("Straße"), .match_case = TRUE);
  MATCH ("", .keywords = WORDS ("straße"), .match_case = TRUE);

  /* author */
  MATCH ("1 3 5", .author = "sip:bob@x.test");
  MATCH ("1", .author = "sip:bob@x.test", .keywords = WORDS ("hello"));
  MATCH ("", .author = "sip:nobody@x.test");

  /* dates, both ends inclusive */
  MATCH ("2 3 4", .from_us = TS (2), .to_us = TS (4));
  MATCH ("5 6", .from_us = TS (5));
  MATCH ("0", .to_us = TS (0));
  MATCH ("", .from_us = TS (2) + 1, .to_us = TS (3) - 1);
  MATCH ("2", .from_us = TS (1) + 1, .to_us = TS (3) - 1, .keywords = WORDS ("world"));

  /* ids: only those, and only in this room; an empty list matches none */
  MATCH_IDS ("", "", .mode = PERCH_MATCH_ALL);
  MATCH_IDS ("1 3", "3 1", .mode = PERCH_MATCH_ALL);
  MATCH_IDS ("1", "1 3", .keywords = WORDS ("hello"));
  MATCH_IDS ("3", "1 3 4", .author = "sip:bob@x.test", .from_us = TS (2));
#undef MATCH
#undef MATCH_IDS

  /* the other room was never touched */
  {
    GPtrArray *hist = history (f, other);
    for (guint k = 0; k < hist->len; k++)
      g_assert_cmpint (((PerchMessage *) hist->pdata[k])->state, ==, PERCH_MSG_NORMAL);
  }
}

static void
test_messages_change (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autoptr(GPtrArray) seeded = NULL;
  g_autofree char *a = seed_room (f, cat, &seeded);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autoptr(GArray) changed = NULL;
  PerchMessageFilter filter = { .room_id = a, .keywords = WORDS ("hello") };
  GPtrArray *events, *hist;
  gint64 mark, before_us;
  gint64 b_id = post (f, b, "hello world");
  const gint64 removed[] = { msg_id (seeded, 0), msg_id (seeded, 1), msg_id (seeded, 2), msg_id (seeded, 6) };

  /* remove: state REMOVED, content emptied, one REMOVE event each */
  mark = last_event_id (f);
  before_us = perch_now_us ();
  changed = perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (changed->data, changed->len * sizeof (gint64), removed, sizeof removed);
  g_clear_pointer (&changed, g_array_unref);
  hist = history (f, a);
  for (guint i = 0; i < G_N_ELEMENTS (removed); i++)
    {
      PerchMessage *m = hist->pdata[i == 3 ? 6 : i];
      g_assert_cmpint (m->id, ==, removed[i]);
      g_assert_cmpint (m->state, ==, PERCH_MSG_REMOVED);
      g_assert_cmpstr (m->content, ==, "");
      g_assert_cmpstr (m->author, ==, i == 1 ? "sip:bob@x.test" : "sip:alice@x.test");
    }
  g_assert_cmpstr (((PerchMessage *) hist->pdata[3])->content, ==, "goodbye");
  events = events_after (f, mark);
  g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (removed));
  for (guint i = 0; i < events->len; i++)
    {
      PerchEvent *ev = events->pdata[i];
      g_assert_cmpint (ev->type, ==, PERCH_EVENT_REMOVE);
      g_assert_cmpstr (ev->room_id, ==, a);
      g_assert_cmpstr (ev->user, ==, "sip:admin@x.test");
      g_assert_cmpint (ev->msg_id, ==, removed[i]);
      g_assert_null (ev->content);
      g_assert_cmpint (ev->ts_us, >=, before_us);
      g_assert_cmpint (ev->ts_us, <=, perch_now_us ());
    }
  /* the full-text index followed; the other room kept its message */
  g_assert_cmpuint (search_messages (f, a, "hello", 10)->len, ==, 0);
  g_assert_cmpuint (search_messages (f, NULL, "hello", 10)->len, ==, 1);
  g_assert_cmpint (((PerchMessage *) search_messages (f, NULL, "hello", 10)->pdata[0])->id, ==, b_id);
  g_assert_cmpuint (search_messages (f, a, "goodbye", 10)->len, ==, 1);

  /* removed messages are not matched again: nothing changes, no events */
  mark = last_event_id (f);
  changed = perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changed->len, ==, 0);
  g_clear_pointer (&changed, g_array_unref);
  g_assert_cmpuint (events_after (f, mark)->len, ==, 0);

  /* replace everything left: removed ones stay removed */
  filter.keywords = NULL;
  changed = perch_store_messages_change (f->store, &filter, "This message was replaced by the administrator.",
                                         "sip:boss@x.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changed->len, ==, 3);
  g_assert_cmpint (g_array_index (changed, gint64, 0), ==, msg_id (seeded, 3));
  g_assert_cmpint (g_array_index (changed, gint64, 1), ==, msg_id (seeded, 4));
  g_assert_cmpint (g_array_index (changed, gint64, 2), ==, msg_id (seeded, 5));
  g_clear_pointer (&changed, g_array_unref);
  events = events_after (f, mark);
  g_assert_cmpuint (events->len, ==, 3);
  for (guint i = 0; i < events->len; i++)
    {
      PerchEvent *ev = events->pdata[i];
      g_assert_cmpint (ev->type, ==, PERCH_EVENT_REPLACE);
      g_assert_cmpstr (ev->user, ==, "sip:boss@x.test");
      g_assert_cmpint (ev->msg_id, ==, msg_id (seeded, 3 + i));
      g_assert_cmpstr (ev->content, ==, "This message was replaced by the administrator.");
    }
  hist = history (f, a);
  g_assert_cmpint (((PerchMessage *) hist->pdata[0])->state, ==, PERCH_MSG_REMOVED);
  g_assert_cmpint (((PerchMessage *) hist->pdata[4])->state, ==, PERCH_MSG_REPLACED);
  g_assert_cmpstr (((PerchMessage *) hist->pdata[4])->content, ==, "This message was replaced by the administrator.");
  g_assert_cmpuint (search_messages (f, a, "administrator", 10)->len, ==, 3);
  g_assert_cmpuint (search_messages (f, a, "goodbye", 10)->len, ==, 0);

  /* a replaced message can be replaced again, or removed */
  filter.keywords = WORDS ("ADMINISTRATOR");
  filter.to_us = TS (3);
  changed = perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error);
  g_assert_cmpuint (changed->len, ==, 1);
  g_assert_cmpint (g_array_index (changed, gint64, 0), ==, msg_id (seeded, 3));
  assert_stats_consistent (f);
}

/* A filter that fails, or a failure half-way, changes nothing. */
static void
test_messages_change_atomic (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autoptr(GPtrArray) seeded = NULL;
  g_autofree char *a = seed_room (f, cat, &seeded);
  g_autoptr(GArray) changed = NULL;
  g_autofree char *plan = NULL;
  PerchMessageFilter filter = { .room_id = NULL, .keywords = WORDS ("hello") };
  gint64 events = perch_store_events_count (f->store);
  GPtrArray *hist;
  sqlite3 *db;

  g_assert_null (perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_null (perch_store_messages_change (f->store, NULL, NULL, "sip:admin@x.test", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  filter.room_id = a;
  filter.mode = 7;
  g_assert_null (perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  filter.mode = PERCH_MATCH_ALL;
  filter.room_id = "no-such-room";
  g_assert_null (perch_store_messages_change (f->store, &filter, NULL, "sip:admin@x.test", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The third event insert fails (an injected trigger): the first two
   * messages, already updated in the transaction, must come back. */
  db = raw_open (f);
  {
    g_autofree char *sql = g_strdup_printf ("CREATE TRIGGER test_fail BEFORE INSERT ON events"
                                            " WHEN new.msg_id = %" G_GINT64_FORMAT
                                            " BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                                            msg_id (seeded, 2));
    raw_exec (db, sql);
  }
  filter.room_id = a;
  g_assert_null (perch_store_messages_change (f->store, &filter, "x", "sip:admin@x.test", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "injected failure"));
  g_clear_error (&error);
  g_assert_cmpint (perch_store_events_count (f->store), ==, events);
  hist = history (f, a);
  for (guint k = 0; k < hist->len; k++)
    {
      g_assert_cmpint (((PerchMessage *) hist->pdata[k])->state, ==, PERCH_MSG_NORMAL);
      g_assert_cmpstr (((PerchMessage *) hist->pdata[k])->content, ==, corpus[k]);
    }
  g_assert_cmpuint (search_messages (f, a, "hello", 10)->len, ==, 4);
  assert_stats_consistent (f);

  /* the same, fixed, goes through whole */
  raw_exec (db, "DROP TRIGGER test_fail");
  sqlite3_close (db);
  changed = perch_store_messages_change (f->store, &filter, "x", "sip:admin@x.test", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changed->len, ==, 4);
  g_assert_cmpint (perch_store_events_count (f->store), ==, events + 4);
  assert_stats_consistent (f);

  /* the ids filter goes by the primary key, not a scan of the room */
  plan = query_plan (f, "SELECT m.id, m.content FROM messages AS m WHERE m.id IN (SELECT value FROM json_each(?5))"
                          " AND m.room_id = ?1 AND m.state <> 2 AND (?2 IS NULL OR m.author = ?2)"
                          " AND m.ts_us BETWEEN ?3 AND ?4 ORDER BY m.id");
  g_assert_null (strstr (plan, "SCAN m"));
}

/* Administrative changes while the committer's thread is posting: the
 * main connection's transactions wait for the writer's (busy_timeout), and
 * the statistics stay exact. The poster pauses between commits as the
 * committer does when its queue is empty: a writer committing back to back
 * with no pause could keep busy_timeout's polling out for seconds (in
 * perchd the main thread is what feeds the queue, so it drains while the
 * main thread waits). */
typedef struct {
  PerchStore *store;
  const char *room_id;
  gint        stop;
  guint       written;
} Poster;

static gpointer
poster_run (gpointer data)
{
  Poster *p = data;

  while (!g_atomic_int_get (&p->stop) || p->written < 40)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PerchWrite) w = chat (p->room_id, "sip:u@x.test", p->written % 2 ? "odd post" : "even post");
      PerchWrite *batch[] = { w };

      if (!perch_store_write (p->store, batch, 1, &error))
        g_error ("posting: %s", error->message);
      p->written++;
      g_usleep (500);
    }
  return NULL;
}

static void
test_admin_concurrent (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  Poster poster = { f->store, a, 0, 0 };
  PerchMessageFilter odd = { .room_id = a, .keywords = WORDS ("odd") };
  gint64 start = g_get_monotonic_time ();
  GThread *thread = g_thread_new ("poster", poster_run, &poster);
  GPtrArray *events;
  sqlite3 *db;

  for (int round = 0; round < 10; round++)
    {
      g_autoptr(GArray) changed = perch_store_messages_change (f->store, &odd, NULL, "sip:admin@x.test", &error);
      g_assert_no_error (error);
      g_assert_nonnull (changed);
      if (round % 3 == 2)
        {
          g_assert_cmpint (perch_store_room_clear (f->store, a, perch_now_us () - 2000, "sip:admin@x.test", &error),
                           >=, 0);
          g_assert_no_error (error);
        }
      g_assert_true (perch_store_audit_add (f->store, "sip:admin@x.test", "message.remove", a, NULL, &error));
      g_usleep (2000);
    }
  g_atomic_int_set (&poster.stop, 1);
  g_thread_join (thread);
  g_test_message ("%u posts in %.0f ms", poster.written, (g_get_monotonic_time () - start) / 1000.0);

  assert_stats_consistent (f);
  /* every REMOVE event names a message that is removed, or was cleared */
  events = events_after (f, 0);
  db = raw_open (f);
  for (guint i = 0; i < events->len; i++)
    {
      PerchEvent *ev = events->pdata[i];
      g_autofree char *sql = NULL;
      if (ev->type != PERCH_EVENT_REMOVE)
        continue;
      sql = g_strdup_printf ("SELECT count(*) FROM messages WHERE id = %" G_GINT64_FORMAT " AND state <> 2",
                             ev->msg_id);
      g_assert_cmpint (raw_int (db, sql), ==, 0);
    }
  sqlite3_close (db);
}

/* ---- clearing a room ---- */

static void
test_room_clear (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autoptr(GPtrArray) msgs = messages_new ();
  g_autofree char *expect = NULL;
  g_autofree char *when = NULL;
  GPtrArray *events, *hist;
  PerchEvent *ev;
  gint64 mark;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *text = g_strdup_printf ("note %u", i);
      g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", TS (i), text, PERCH_MSG_NORMAL));
      g_ptr_array_add (msgs, message_new (b, "sip:u@x.test", TS (i), text, PERCH_MSG_NORMAL));
    }
  import (f, msgs);

  mark = last_event_id (f);
  g_assert_cmpint (perch_store_room_clear (f->store, a, TS (4), "sip:admin@x.test", &error), ==, 5);
  g_assert_no_error (error);
  hist = history (f, a);
  g_assert_cmpuint (hist->len, ==, 5);
  g_assert_cmpint (((PerchMessage *) hist->pdata[0])->ts_us, ==, TS (5));  /* up to and including */
  g_assert_cmpuint (history (f, b)->len, ==, 10);
  g_assert_cmpuint (search_messages (f, a, "note", 50)->len, ==, 5);
  g_assert_cmpuint (search_messages (f, NULL, "note", 50)->len, ==, 15);
  events = events_after (f, mark);
  g_assert_cmpuint (events->len, ==, 1);
  ev = events->pdata[0];
  when = perch_format_ts (TS (4));
  expect = g_strdup_printf ("up to %s: 5 messages", when);
  g_assert_cmpint (ev->type, ==, PERCH_EVENT_CLEAR);
  g_assert_cmpstr (ev->room_id, ==, a);
  g_assert_cmpstr (ev->user, ==, "sip:admin@x.test");
  g_assert_cmpstr (ev->content, ==, expect);
  g_assert_cmpstr (ev->content, ==, "up to 2023-11-14T22:13:24.000Z: 5 messages");
  g_assert_cmpint (ev->msg_id, ==, 0);
  assert_stats (f, a, 5, 5 * 6, TS (9));

  /* nothing left to clear: 0, and still an event */
  mark = last_event_id (f);
  g_assert_cmpint (perch_store_room_clear (f->store, a, TS (4), "sip:admin@x.test", &error), ==, 0);
  events = events_after (f, mark);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_true (g_str_has_suffix (((PerchEvent *) events->pdata[0])->content, ": 0 messages"));

  /* everything */
  g_assert_cmpint (perch_store_room_clear (f->store, a, perch_now_us (), "sip:admin@x.test", &error), ==, 5);
  g_assert_cmpuint (history (f, a)->len, ==, 0);
  assert_stats (f, a, -1, 0, 0);
  assert_stats (f, b, 10, 10 * 6, TS (9));

  /* times out of id order (an import of older content): the survivors'
   * newest stays the room's newest */
  g_ptr_array_set_size (msgs, 0);
  g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", 50, "fifty", PERCH_MSG_NORMAL));
  g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", 10, "ten", PERCH_MSG_NORMAL));
  g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", 40, "forty", PERCH_MSG_REMOVED));
  g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", 20, "twenty", PERCH_MSG_NORMAL));
  g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", 30, "thirty", PERCH_MSG_NORMAL));
  import (f, msgs);
  g_assert_cmpint (perch_store_room_clear (f->store, a, 25, "sip:admin@x.test", &error), ==, 2);
  assert_stats (f, a, 2, 5 + 6, 50);
  g_assert_cmpint (perch_store_room_clear (f->store, a, 45, "sip:admin@x.test", &error), ==, 2);
  assert_stats (f, a, 1, 5, 50);
  assert_stats_consistent (f);

  /* errors */
  g_assert_cmpint (perch_store_room_clear (f->store, "no-such-room", TS (9), "sip:admin@x.test", &error), ==, -1);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (perch_store_room_clear (f->store, NULL, TS (9), "sip:admin@x.test", &error), ==, -1);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
}

/* ---- users, add-ins, audit ---- */

static void
test_user_delete (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  PerchUser carol = { "sip:carol@x.test", "Carol", NULL, FALSE, -1 };
  PerchUser dave = { "sip:dave@x.test", "Dave", NULL, FALSE, -1 };
  const char *const team[] = { "sip:carol@x.test", "sip:dave@x.test", NULL };
  g_autoptr(GPtrArray) members = NULL;
  g_autoptr(GPtrArray) invites = NULL;
  g_autoptr(GPtrArray) posts = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
  g_autofree char *pref = NULL;
  g_autoptr(PerchUser) kept = NULL;

  g_assert_true (perch_store_user_put (f->store, &carol, &error));
  g_assert_true (perch_store_user_put (f->store, &dave, &error));
  g_assert_true (perch_store_group_put (f->store, "team", team, &error));
  g_assert_true (perch_store_pref_set (f->store, carol.uri, "favorites", "<x/>", &error));
  g_assert_true (perch_store_pref_set (f->store, dave.uri, "favorites", "<y/>", &error));
  g_assert_true (perch_store_invitation_add (f->store, carol.uri, a, &error));
  g_assert_true (perch_store_invitation_add (f->store, dave.uri, a, &error));
  g_assert_no_error (error);
  g_ptr_array_add (posts, chat (a, carol.uri, "carol was here"));
  write_all (f, posts);

  g_assert_true (perch_store_user_delete (f->store, carol.uri, &error));
  g_assert_no_error (error);
  g_assert_null (perch_store_user_get (f->store, carol.uri));
  members = perch_store_group_members (f->store, "team", &error);
  assert_strings (members, "sip:dave@x.test", NULL);
  g_assert_null (perch_store_pref_get (f->store, carol.uri, "favorites"));
  invites = perch_store_invitations_take (f->store, carol.uri, &error);
  assert_strings (invites, NULL);
  g_clear_pointer (&invites, g_ptr_array_unref);
  /* their messages stay; nobody else lost anything */
  g_assert_cmpstr (((PerchMessage *) history (f, a)->pdata[0])->author, ==, carol.uri);
  pref = perch_store_pref_get (f->store, dave.uri, "favorites");
  g_assert_cmpstr (pref, ==, "<y/>");
  invites = perch_store_invitations_take (f->store, dave.uri, &error);
  assert_strings (invites, a, NULL);
  kept = perch_store_user_get (f->store, dave.uri);
  g_assert_nonnull (kept);

  g_assert_false (perch_store_user_delete (f->store, carol.uri, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (perch_store_user_delete (f->store, NULL, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
}

static void
test_addins (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  PerchAddin wiki = { "wiki", "https://wiki.example.test/chat" };
  PerchAddin board = { "board", "http://board.example.test/" };
  PerchAddin bad = { "bad", "javascript:alert(1)" };
  PerchAddin unnamed = { NULL, "https://x.test/" };

  list = perch_store_addin_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_true (perch_store_addin_put (f->store, &wiki, &error));
  g_assert_true (perch_store_addin_put (f->store, &board, &error));
  g_assert_no_error (error);
  /* put replaces by name */
  wiki.url = "https://wiki2.example.test/";
  g_assert_true (perch_store_addin_put (f->store, &wiki, &error));
  reopen (f);
  list = perch_store_addin_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((PerchAddin *) list->pdata[0])->name, ==, "board");
  g_assert_cmpstr (((PerchAddin *) list->pdata[0])->url, ==, "http://board.example.test/");
  g_assert_cmpstr (((PerchAddin *) list->pdata[1])->name, ==, "wiki");
  g_assert_cmpstr (((PerchAddin *) list->pdata[1])->url, ==, "https://wiki2.example.test/");
  g_clear_pointer (&list, g_ptr_array_unref);

  g_assert_false (perch_store_addin_put (f->store, &bad, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  bad.url = NULL;
  g_assert_false (perch_store_addin_put (f->store, &bad, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (perch_store_addin_put (f->store, &unnamed, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  g_assert_true (perch_store_addin_delete (f->store, "wiki", &error));
  g_assert_no_error (error);
  g_assert_false (perch_store_addin_delete (f->store, "wiki", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  list = perch_store_addin_list (f->store, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (((PerchAddin *) list->pdata[0])->name, ==, "board");
}

static void
test_audit (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  gint64 before = 0, before_us = perch_now_us ();
  guint seen = 0;
  PerchAuditEntry *e;

  page = perch_store_audit_list (f->store, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);

  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *target = g_strdup_printf ("room-%u", i);
      g_assert_true (perch_store_audit_add (f->store, "sip:admin@x.test", "room.update", target,
                                            i == 24 ? "{\"name\":\"new\"}" : NULL, &error));
      g_assert_no_error (error);
    }
  reopen (f);

  /* newest first, paged by id */
  for (;;)
    {
      page = perch_store_audit_list (f->store, before, 10, &error);
      g_assert_no_error (error);
      if (page->len == 0)
        break;
      g_assert_cmpuint (page->len, ==, seen < 20 ? 10 : 5);
      for (guint i = 0; i < page->len; i++)
        {
          g_autofree char *target = g_strdup_printf ("room-%u", 24 - seen);
          e = page->pdata[i];
          g_assert_cmpstr (e->target, ==, target);
          g_assert_cmpstr (e->actor, ==, "sip:admin@x.test");
          g_assert_cmpstr (e->action, ==, "room.update");
          g_assert_cmpint (e->ts_us, >=, before_us);
          if (before > 0)
            g_assert_cmpint (e->id, <, before);
          if (i > 0)
            g_assert_cmpint (e->id, <, ((PerchAuditEntry *) page->pdata[i - 1])->id);
          seen++;
        }
      before = ((PerchAuditEntry *) page->pdata[page->len - 1])->id;
      g_clear_pointer (&page, g_ptr_array_unref);
    }
  g_clear_pointer (&page, g_ptr_array_unref);
  g_assert_cmpuint (seen, ==, 25);

  page = perch_store_audit_list (f->store, 0, 1, &error);
  e = page->pdata[0];
  g_assert_cmpstr (e->detail, ==, "{\"name\":\"new\"}");
  g_clear_pointer (&page, g_ptr_array_unref);
  page = perch_store_audit_list (f->store, 0, 2, &error);
  g_assert_null (((PerchAuditEntry *) page->pdata[1])->detail);

  g_assert_false (perch_store_audit_add (f->store, NULL, "room.update", "x", NULL, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_false (perch_store_audit_add (f->store, "sip:admin@x.test", NULL, "x", NULL, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
}

/* ---- import and export ---- */

static void
test_import (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autoptr(GPtrArray) msgs = messages_new ();
  g_autoptr(GPtrArray) bad = messages_new ();
  gint64 live = post (f, a, "posted live");
  gint64 events = perch_store_events_count (f->store);
  GPtrArray *hist;
  PerchMessage *lost;

  g_ptr_array_add (msgs, message_new (a, "sip:old@x.test", TS (1), "from the archive", PERCH_MSG_NORMAL));
  g_ptr_array_add (msgs, message_new (a, "sip:old@x.test", TS (2), "edited by an admin", PERCH_MSG_REPLACED));
  g_ptr_array_add (msgs, message_new (a, "sip:old@x.test", TS (3), "", PERCH_MSG_REMOVED));
  g_ptr_array_add (msgs, message_new (a, "sip:old@x.test", TS (0), "예전 기록 archive", PERCH_MSG_NORMAL));
  import (f, msgs);
  /* new ids, in the order given, after everything already stored; no events */
  g_assert_cmpint (msg_id (msgs, 0), >, live);
  for (guint i = 1; i < msgs->len; i++)
    g_assert_cmpint (msg_id (msgs, i), ==, msg_id (msgs, i - 1) + 1);
  g_assert_cmpint (perch_store_events_count (f->store), ==, events);

  /* history is by id: the import comes after the live post, as given */
  hist = history (f, a);
  g_assert_cmpuint (hist->len, ==, 5);
  g_assert_cmpint (((PerchMessage *) hist->pdata[0])->id, ==, live);
  for (guint i = 0; i < msgs->len; i++)
    {
      PerchMessage *want = msgs->pdata[i], *got = hist->pdata[i + 1];
      g_assert_cmpint (got->id, ==, want->id);
      g_assert_cmpstr (got->room_id, ==, a);
      g_assert_cmpstr (got->author, ==, "sip:old@x.test");
      g_assert_cmpint (got->ts_us, ==, want->ts_us);
      g_assert_cmpstr (got->content, ==, want->content);
      g_assert_cmpint (got->state, ==, want->state);
    }
  /* indexed for search */
  g_assert_cmpuint (search_messages (f, a, "archive", 10)->len, ==, 2);
  g_assert_cmpuint (search_messages (f, a, "예전", 10)->len, ==, 1);
  assert_stats (f, a, 4, strlen ("posted live") + strlen ("from the archive") + strlen ("edited by an admin")
                          + strlen ("예전 기록 archive"), ((PerchMessage *) hist->pdata[0])->ts_us);

  /* all or nothing: a bad message anywhere stores none */
  g_ptr_array_add (bad, message_new (a, "sip:old@x.test", TS (5), "fine", PERCH_MSG_NORMAL));
  g_ptr_array_add (bad, message_new ("no-such-room", "sip:old@x.test", TS (5), "lost", PERCH_MSG_NORMAL));
  g_assert_false (perch_store_import_messages (f->store, (PerchMessage **) bad->pdata, bad->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (msg_id (bad, 0), ==, 0);
  g_assert_cmpuint (history (f, a)->len, ==, 5);
  lost = bad->pdata[1];
  g_free (lost->room_id);
  lost->room_id = g_strdup (a);
  lost->state = 9;
  g_assert_false (perch_store_import_messages (f->store, (PerchMessage **) bad->pdata, bad->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  lost->state = PERCH_MSG_NORMAL;
  g_clear_pointer (&lost->author, g_free);
  g_assert_false (perch_store_import_messages (f->store, (PerchMessage **) bad->pdata, bad->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  g_assert_cmpuint (history (f, a)->len, ==, 5);
  g_assert_true (perch_store_import_messages (f->store, NULL, 0, &error));
  g_assert_no_error (error);
  assert_stats_consistent (f);
}

static void
test_messages_range (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Cat");
  g_autofree char *a = make_room (f, cat, "A", NULL);
  g_autofree char *b = make_room (f, cat, "B", NULL);
  g_autoptr(GPtrArray) msgs = messages_new ();
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *plan = NULL;
  gint64 after = 0;
  guint seen = 0;

  /* 25 messages a second apart in A, B interleaved; #7 removed */
  for (guint i = 0; i < 25; i++)
    {
      g_autofree char *text = g_strdup_printf ("m%u", i);
      g_ptr_array_add (msgs, message_new (a, "sip:u@x.test", TS (i), text,
                                          i == 7 ? PERCH_MSG_REMOVED : PERCH_MSG_NORMAL));
      g_ptr_array_add (msgs, message_new (b, "sip:u@x.test", TS (i), text, PERCH_MSG_NORMAL));
    }
  import (f, msgs);

  /* everything, paged forward by after_id, removed one included */
  for (;;)
    {
      page = perch_store_messages_range (f->store, a, after, 0, 0, 10, &error);
      g_assert_no_error (error);
      if (page->len == 0)
        break;
      for (guint i = 0; i < page->len; i++)
        {
          PerchMessage *m = page->pdata[i];
          g_assert_cmpint (m->id, ==, msg_id (msgs, 2 * seen));
          g_assert_cmpstr (m->room_id, ==, a);
          g_assert_cmpint (m->state, ==, seen == 7 ? PERCH_MSG_REMOVED : PERCH_MSG_NORMAL);
          seen++;
        }
      after = ((PerchMessage *) page->pdata[page->len - 1])->id;
      g_clear_pointer (&page, g_ptr_array_unref);
    }
  g_clear_pointer (&page, g_ptr_array_unref);
  g_assert_cmpuint (seen, ==, 25);

  /* time bounds, both inclusive, either open */
  page = perch_store_messages_range (f->store, a, 0, TS (5), TS (9), 100, &error);
  g_assert_cmpuint (page->len, ==, 5);
  g_assert_cmpint (((PerchMessage *) page->pdata[0])->ts_us, ==, TS (5));
  g_assert_cmpint (((PerchMessage *) page->pdata[4])->ts_us, ==, TS (9));
  g_clear_pointer (&page, g_ptr_array_unref);
  page = perch_store_messages_range (f->store, a, 0, TS (20), 0, 100, &error);
  g_assert_cmpuint (page->len, ==, 5);
  g_clear_pointer (&page, g_ptr_array_unref);
  page = perch_store_messages_range (f->store, a, 0, 0, TS (2), 100, &error);
  g_assert_cmpuint (page->len, ==, 3);
  g_clear_pointer (&page, g_ptr_array_unref);
  /* time and after_id together, and the limit */
  page = perch_store_messages_range (f->store, a, msg_id (msgs, 2 * 6), TS (5), TS (9), 2, &error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpint (((PerchMessage *) page->pdata[0])->ts_us, ==, TS (7));
  g_assert_cmpint (((PerchMessage *) page->pdata[1])->ts_us, ==, TS (8));
  g_clear_pointer (&page, g_ptr_array_unref);
  page = perch_store_messages_range (f->store, "no-such-room", 0, 0, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);
  g_clear_pointer (&page, g_ptr_array_unref);
  g_assert_null (perch_store_messages_range (f->store, NULL, 0, 0, 0, 100, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);

  /* (kept in step with perch-store-sqlite.c) along the (room_id, id) index */
  plan = query_plan (f, "SELECT m.id, m.room_id, m.author, m.ts_us, m.content, m.state FROM messages AS m"
                        " WHERE m.room_id = ?1 AND m.id > ?2 AND m.ts_us BETWEEN ?3 AND ?4"
                        " ORDER BY m.id LIMIT ?5");
  g_assert_nonnull (strstr (plan, "USING INDEX messages_room_id (room_id=? AND id>?)"));
  g_assert_null (strstr (plan, "TEMP B-TREE"));
}

static void
test_category_copy (void)
{
  g_autoptr(PerchCategory) cat = g_new0 (PerchCategory, 1);
  g_autoptr(PerchCategory) copy = NULL;
  g_autoptr(PerchCategory) empty_copy = NULL;

  cat->id = 7;
  cat->name = g_strdup ("Cat");
  cat->description = g_strdup ("about");
  cat->chat_history = TRUE;
  cat->allowed = strings ("sip:a@x.test", "group:eng", NULL);
  cat->creators = strings ("sip:c@x.test", NULL);
  copy = perch_category_copy (cat);
  g_assert_cmpint (copy->id, ==, 7);
  g_assert_true (copy->chat_history);
  g_assert_false (copy->file_upload);
  g_assert_cmpstr (copy->name, ==, "Cat");
  g_assert_true (copy->name != cat->name);
  g_assert_cmpstr (copy->description, ==, "about");
  g_assert_true (copy->allowed != cat->allowed);
  assert_strings (copy->allowed, "sip:a@x.test", "group:eng", NULL);
  g_assert_true (g_ptr_array_index (copy->allowed, 0) != g_ptr_array_index (cat->allowed, 0));
  g_assert_null (copy->denied);
  assert_strings (copy->creators, "sip:c@x.test", NULL);

  empty_copy = perch_category_copy (&(PerchCategory) { 0 });
  g_assert_null (empty_copy->name);
  g_assert_null (empty_copy->allowed);
  g_assert_null (perch_category_copy (NULL));
}

static void
test_room_info_copy (void)
{
  g_autoptr(PerchRoomInfo) empty = g_new0 (PerchRoomInfo, 1);
  g_autoptr(PerchRoomInfo) copy = perch_room_info_copy (empty);

  g_assert_null (copy->members);
  g_assert_null (copy->id);
  g_assert_null (perch_room_info_copy (NULL));
}

/* Bulk loading: many rooms (and users) in one transaction, all or none. */
static PerchRoomInfo *
bulk_room (gint64 cat_id, const char *name)
{
  PerchRoomInfo *room = g_new0 (PerchRoomInfo, 1);

  room->name = g_strdup (name);
  room->description = g_strdup_printf ("about %s", name);
  room->category_id = cat_id;
  room->privacy = PERCH_PRIVACY_OPEN;
  room->invitations = TRUE;
  return room;
}

static void
test_rooms_bulk (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 cat = make_category (f, "Bulk");
  g_autofree char *taken = make_room (f, cat, "Taken", "already here");
  g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_room_info_free);
  g_autoptr(GPtrArray) list = NULL;

  /* Nothing to do is no error. */
  g_assert_true (perch_store_rooms_create (f->store, NULL, 0, &error));
  g_assert_no_error (error);

  /* The fourth of five rooms takes a name in use: none of the five is
   * created, and each is left as it was given. */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("Bulk %u", i);
      g_ptr_array_add (rooms, bulk_room (cat, i == 3 ? "taken" : name));
    }
  PerchRoomInfo *given = g_ptr_array_index (rooms, 1);
  given->id = g_strdup ("given-id");
  given->members = strings ("sip:m@x.test", NULL);
  g_assert_false (perch_store_rooms_create (f->store, (PerchRoomInfo **) rooms->pdata, rooms->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "room 3 of 5"));
  g_clear_error (&error);
  for (guint i = 0; i < rooms->len; i++)
    {
      PerchRoomInfo *room = g_ptr_array_index (rooms, i);
      g_assert_cmpint (room->created_us, ==, 0);
      if (i == 1)
        g_assert_cmpstr (room->id, ==, "given-id");
      else
        g_assert_null (room->id);
    }
  list = perch_store_room_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* A missing category and a name taken twice inside the batch fail the
   * same way. */
  ((PerchRoomInfo *) g_ptr_array_index (rooms, 3))->category_id = cat + 100;
  g_assert_false (perch_store_rooms_create (f->store, (PerchRoomInfo **) rooms->pdata, rooms->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  PerchRoomInfo *fourth = g_ptr_array_index (rooms, 3);
  fourth->category_id = cat;
  g_free (fourth->name);
  fourth->name = g_strdup ("bulk 0");
  g_assert_false (perch_store_rooms_create (f->store, (PerchRoomInfo **) rooms->pdata, rooms->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT);
  g_clear_error (&error);
  list = perch_store_room_list (f->store, &error);
  g_assert_cmpuint (list->len, ==, 1);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Fixed, and 2,000 more: all there, ids and times filled, lists kept,
   * after reopening too. */
  g_free (fourth->name);
  fourth->name = g_strdup ("Bulk 3");
  for (guint i = 5; i < 2005; i++)
    {
      g_autofree char *name = g_strdup_printf ("Bulk %u", i);
      g_ptr_array_add (rooms, bulk_room (cat, name));
    }
  g_assert_true (perch_store_rooms_create (f->store, (PerchRoomInfo **) rooms->pdata, rooms->len, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < rooms->len; i++)
    {
      PerchRoomInfo *room = g_ptr_array_index (rooms, i);
      g_assert_nonnull (room->id);
      g_assert_cmpint (room->created_us, >, 0);
    }
  reopen (f);
  list = perch_store_room_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2006);
  g_clear_pointer (&list, g_ptr_array_unref);
  {
    g_autoptr(PerchRoomInfo) got = perch_store_room_get (f->store, "given-id", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (got->name, ==, "Bulk 1");
    g_assert_cmpstr (got->description, ==, "about Bulk 1");
    assert_strings (got->members, "sip:m@x.test", NULL);
  }
  {
    g_autoptr(GPtrArray) hits = perch_store_room_search (f->store, "bulk 2004", 10, &error);
    g_assert_no_error (error);
    assert_strings (hits, ((PerchRoomInfo *) g_ptr_array_index (rooms, 2004))->id, NULL);
  }
}

static void
test_users_bulk (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_user_free);
  g_autoptr(GPtrArray) list = NULL;

  for (guint i = 0; i < 500; i++)
    {
      PerchUser *user = g_new0 (PerchUser, 1);
      user->uri = g_strdup_printf ("sip:bulk%u@x.test", i);
      user->display_name = g_strdup_printf ("Bulk %u", i);
      user->enabled = 1;
      g_ptr_array_add (users, user);
    }
  /* One without a URI: none of the 500 is put. */
  PerchUser *bad = g_ptr_array_index (users, 250);
  g_autofree char *uri = g_steal_pointer (&bad->uri);
  g_assert_false (perch_store_users_put (f->store, (const PerchUser *const *) users->pdata, users->len, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "user 250 of 500"));
  g_clear_error (&error);
  list = perch_store_user_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  bad->uri = g_steal_pointer (&uri);
  g_assert_true (perch_store_users_put (f->store, (const PerchUser *const *) users->pdata, users->len, &error));
  g_assert_no_error (error);
  reopen (f);
  list = perch_store_user_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 500);
  g_autoptr(PerchUser) got = perch_store_user_get (f->store, "sip:bulk250@x.test");
  g_assert_nonnull (got);
  g_assert_cmpstr (got->display_name, ==, "Bulk 250");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, fn) g_test_add ("/perch/store/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("migrate", test_migrate);
  ADD ("pragmas", test_pragmas);
  ADD ("config", test_config);
  ADD ("users", test_users);
  ADD ("groups", test_groups);
  ADD ("prefs", test_prefs);
  ADD ("categories", test_categories);
  ADD ("rooms", test_rooms);
  ADD ("room-delete", test_room_delete);
  ADD ("room-search", test_room_search);
  ADD ("history", test_history);
  ADD ("message-search", test_message_search);
  ADD ("write-atomic", test_write_atomic);
  ADD ("write-kinds", test_write_kinds);
  ADD ("events", test_events);
  ADD ("invitations", test_invitations);
  ADD ("migrate-v1", test_migrate_v1);
  ADD ("room-stats", test_room_stats);
  ADD ("messages-match", test_messages_match);
  ADD ("messages-change", test_messages_change);
  ADD ("messages-change-atomic", test_messages_change_atomic);
  ADD ("admin-concurrent", test_admin_concurrent);
  ADD ("room-clear", test_room_clear);
  ADD ("user-delete", test_user_delete);
  ADD ("addins", test_addins);
  ADD ("audit", test_audit);
  ADD ("import", test_import);
  ADD ("messages-range", test_messages_range);
  ADD ("rooms-bulk", test_rooms_bulk);
  ADD ("users-bulk", test_users_bulk);
#undef ADD
  g_test_add_func ("/perch/store/open-errors", test_open_errors);
  g_test_add_func ("/perch/store/room-info-copy", test_room_info_copy);
  g_test_add_func ("/perch/store/category-copy", test_category_copy);
  return g_test_run ();
}
