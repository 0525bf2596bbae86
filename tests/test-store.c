/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store.c: the store interface against the sqlite backend: schema
 * migration, every CRUD path with its errors, history paging, search with
 * hostile input, write atomicity and the compliance outbox. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "perch-store.h"

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
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_assert_cmpint (g_unlink (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->store, perch_store_close);
  g_clear_pointer (&f->results, g_ptr_array_unref);
  remove_dir (f->dir);
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
  raw_exec (db, "PRAGMA user_version = 1");
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

static void
test_room_info_copy (void)
{
  g_autoptr(PerchRoomInfo) empty = g_new0 (PerchRoomInfo, 1);
  g_autoptr(PerchRoomInfo) copy = perch_room_info_copy (empty);

  g_assert_null (copy->members);
  g_assert_null (copy->id);
  g_assert_null (perch_room_info_copy (NULL));
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
#undef ADD
  g_test_add_func ("/perch/store/open-errors", test_open_errors);
  g_test_add_func ("/perch/store/room-info-copy", test_room_info_copy);
  return g_test_run ();
}
