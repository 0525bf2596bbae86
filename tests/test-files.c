/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-files.c: files in rooms and the pool's export and import (issue 4),
 * end to end — the real perchd on loopback, PerchClient for the XCCOS
 * token commands (cmd:getfutok, cmd:getfdtok), libsoup's client for the
 * transfers, raw sockets for what no honest client sends.
 *
 * Covered: the store's file records and their FILEUPLOAD event; the token
 * rules (expired, reused, another user's, another room's, the other
 * direction, rights lost since); who may upload and download (members,
 * closed, secret, auditorium, a category without file upload); the size
 * limit, announced or not; 50 MB up and down with perchd's peak memory
 * watched and both sides streaming; hostile names and tokens, with the
 * data dir checked to hold nothing but generated ids; interrupted uploads;
 * export over HTTP and import into a second server, compared through the
 * API; a truncated archive changing nothing. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "perch-channel.h"
#include "perch-common.h"
#include "perch-store.h"
#include "perch-test-http.h"
#include "perch-test-util.h"

#define HTTP_TIMEOUT_MS 60000
#define KiB 1024
#define MiB (1024 * 1024)

typedef struct {
  PerchTestServer *server;
  SoupSession     *session;
  char            *base;      /* "http://127.0.0.1:PORT" */
  char            *admin;     /* "Bearer ..." of demo users */
  char            *alice;
  char            *bob;
  char            *carol;
  PerchClient     *alice_chat;
  PerchClient     *bob_chat;
  PerchClient     *carol_chat;
  char            *general;   /* room URIs as chansrch gives them */
  char            *design;
  char            *announcements;
} Fixture;

/* The shared reply, under this file's short name. */
typedef PerchTestHttpReply Reply;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, perch_test_http_reply_free)

/* ---- a body made as it is read ------------------------------------------------ */

/* SIZE bytes of a fixed pseudo-random pattern, hashed as they go out: the
 * test never holds a large body either. */
#define PATTERN_TYPE_STREAM (pattern_stream_get_type ())
G_DECLARE_FINAL_TYPE (PatternStream, pattern_stream, PATTERN, STREAM, GInputStream)

struct _PatternStream {
  GInputStream parent_instance;
  guint64      state;
  gint64       left;
  GChecksum   *sha256;
};

G_DEFINE_FINAL_TYPE (PatternStream, pattern_stream, G_TYPE_INPUT_STREAM)

static gssize
pattern_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  PatternStream *self = PATTERN_STREAM (stream);
  gsize n = (gsize) MIN ((gint64) count, self->left);
  guint8 *out = buffer;
  for (gsize i = 0; i < n; i++)
    {
      /* xorshift64 */
      self->state ^= self->state << 13;
      self->state ^= self->state >> 7;
      self->state ^= self->state << 17;
      out[i] = (guint8) self->state;
    }
  g_checksum_update (self->sha256, out, n);
  self->left -= (gint64) n;
  return (gssize) n;
}

static gboolean
pattern_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  return TRUE;
}

static void
pattern_finalize (GObject *object)
{
  g_checksum_free (PATTERN_STREAM (object)->sha256);
  G_OBJECT_CLASS (pattern_stream_parent_class)->finalize (object);
}

static void
pattern_stream_class_init (PatternStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pattern_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = pattern_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = pattern_close;
}

static void
pattern_stream_init (PatternStream *self)
{
  self->sha256 = g_checksum_new (G_CHECKSUM_SHA256);
}

static PatternStream *
pattern_stream_new (gint64 size, guint64 seed)
{
  PatternStream *self = g_object_new (PATTERN_TYPE_STREAM, NULL);
  self->left = size;
  self->state = seed | 1;
  return self;
}

/* ---- HTTP ------------------------------------------------------------------------ */

/* The reply to MSG with its body; JSON is parsed only when it says so. */
static Reply *
finish_reply (SoupMessage *msg, const char *text, gsize len)
{
  return perch_test_http_reply_new (msg, text, len, PERCH_TEST_HTTP_JSON_IF_TYPED);
}

/* METHOD PATH with AUTH; BODY (LEN bytes, of TYPE) when not NULL. */
static Reply *
http_bytes (Fixture *f, const char *method, const char *path, const char *auth,
            const void *body, gsize len, const char *type)
{
  return perch_test_http (f->session, f->base, method, path, auth, body, len, type,
                          PERCH_TEST_HTTP_JSON_IF_TYPED, HTTP_TIMEOUT_MS);
}

static Reply *
http (Fixture *f, const char *method, const char *path, const char *auth, const char *json)
{
  return http_bytes (f, method, path, auth, json, json ? strlen (json) : 0, "application/json");
}

static void
expect (Reply *r, guint status, const char *code)
{
  if (r->status != status)
    g_error ("expected HTTP %u, got %u: %s", status, r->status, r->text);
  if (code != NULL)
    {
      g_assert_nonnull (r->obj);
      JsonObject *e = json_object_get_object_member (r->obj, "error");
      g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, code);
    }
}

static const char *
str (JsonObject *obj, const char *name)
{
  return json_object_get_string_member (obj, name);
}

static char *
login (Fixture *f, const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"user\": \"%s@example.test\", \"password\": \"%s-demo\"}", name, name);
  g_autoptr(Reply) r = http (f, "POST", "/api/v1/login", NULL, body);
  expect (r, 200, NULL);
  return g_strconcat ("Bearer ", str (r->obj, "token"), NULL);
}

/* ---- fixture -------------------------------------------------------------------- */

static void
start_with (Fixture *f, const char *const *more)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_ptr_array_add (args, (gpointer) "--http-listen");
  g_ptr_array_add (args, (gpointer) "127.0.0.1:0");
  g_ptr_array_add (args, (gpointer) "--config");
  g_ptr_array_add (args, (gpointer) "commands_per_second=100000");
  for (guint i = 0; more && more[i]; i++)
    g_ptr_array_add (args, (gpointer) more[i]);
  g_ptr_array_add (args, NULL);
  f->server = perch_test_server_start ((const char *const *) args->pdata);
  f->base = g_strconcat ("http://", perch_test_server_get (f->server, "http"), NULL);
  f->session = soup_session_new_with_options ("timeout", 60, NULL);
  f->admin = login (f, "admin");
  f->alice = login (f, "alice");
  f->bob = login (f, "bob");
  f->carol = login (f, "carol");
  f->alice_chat = perch_test_connect (f->server, "alice");
  f->bob_chat = perch_test_connect (f->server, "bob");
  f->carol_chat = perch_test_connect (f->server, "carol");
  f->general = perch_test_find_room (f->alice_chat, "General");
  f->design = perch_test_find_room (f->alice_chat, "Design");
  f->announcements = perch_test_find_room (f->alice_chat, "Announcements");
  g_assert_nonnull (f->general);
  g_assert_nonnull (f->design);
  g_assert_nonnull (f->announcements);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  start_with (f, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->server == NULL)
    return;
  perch_test_disconnect (f->alice_chat);
  perch_test_disconnect (f->bob_chat);
  perch_test_disconnect (f->carol_chat);
  g_clear_object (&f->session);
  perch_test_server_stop (f->server);
  g_free (f->base);
  g_free (f->admin);
  g_free (f->alice);
  g_free (f->bob);
  g_free (f->carol);
  g_free (f->general);
  g_free (f->design);
  g_free (f->announcements);
}

/* ---- tokens over XCCOS ------------------------------------------------------------------ */

typedef struct {
  char *token;
  char *serveruri;
  int   code;      /* 200, or the XCCOS result code of the refusal */
} Token;

static void
token_clear (Token *t)
{
  g_free (t->token);
  g_free (t->serveruri);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Token, token_clear)

static void
get_token (PerchClient *client, const char *cmd, const char *room, const char *file_url, Token *out)
{
  g_autoptr(GString) data = g_string_new ("<ftdb");
  perch_xml_attr_append (data, "channelUri", room);
  perch_xml_attr_append (data, "fileUrl", file_url);
  g_string_append (data, "/>");
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, cmd, data->str, &error);
  memset (out, 0, sizeof *out);
  if (reply == NULL)
    {
      g_assert_nonnull (error);
      out->code = error->domain == PERCH_ERROR ? error->code : -1;
      return;
    }
  g_assert_cmpstr (reply->item->id, ==, "rpl:getftok");
  xmlNode *token = perch_xml_child (reply->data, "token");
  g_assert_nonnull (token);
  out->code = 200;
  out->token = perch_xml_get (token, "token");
  out->serveruri = perch_xml_get (token, "serveruri");
  g_assert_nonnull (out->token);
  g_assert_nonnull (out->serveruri);
}

/* An upload token, asserted to be given. */
static char *
upload_url (PerchClient *client, const char *room, const char *name)
{
  g_auto(Token) t;
  get_token (client, "cmd:getfutok", room, name, &t);
  g_assert_cmpint (t.code, ==, 200);
  g_assert_true (g_str_has_suffix (t.serveruri, t.token));
  return g_steal_pointer (&t.serveruri);
}

static char *
download_url (PerchClient *client, const char *room, const char *file)
{
  g_auto(Token) t;
  get_token (client, "cmd:getfdtok", room, file, &t);
  g_assert_cmpint (t.code, ==, 200);
  return g_steal_pointer (&t.serveruri);
}

static char *
sha256_hex (const void *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

/* Uploads DATA to URL as AUTH; returns the reply. */
static Reply *
put (Fixture *f, const char *url, const char *auth, const void *data, gsize len)
{
  return http_bytes (f, "PUT", url, auth, data, len, "application/octet-stream");
}

/* Uploads DATA through a fresh token; returns the stored file's id. */
static char *
upload (Fixture *f, PerchClient *client, const char *auth, const char *room, const char *name,
        const void *data, gsize len)
{
  g_autofree char *url = upload_url (client, room, name);
  g_autoptr(Reply) r = put (f, url, auth, data, len);
  expect (r, 201, NULL);
  g_autofree char *sha = sha256_hex (data, len);
  g_assert_cmpstr (str (r->obj, "sha256"), ==, sha);
  g_assert_cmpint (json_object_get_int_member (r->obj, "size"), ==, (gint64) len);
  g_autofree char *link = g_strconcat ("ma-filelink:", str (r->obj, "id"), NULL);
  g_assert_cmpstr (str (r->obj, "link"), ==, link);
  return g_strdup (str (r->obj, "id"));
}

/* Whether perchd takes chunked uploads: only with a libsoup that reports a
 * chunked body cut short (3.6.5 on); before, they are refused with 411. */
static gboolean
chunked_taken (void)
{
  guint minor = soup_get_minor_version (), micro = soup_get_micro_version ();
  return soup_get_major_version () > 3 || minor > 6 || (minor == 6 && micro >= 5);
}

/* ---- the data dir and the store ------------------------------------------------------------ */

static gboolean
is_file_id (const char *name)
{
  if (strlen (name) != 32)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;
  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

/* files/ holds generated ids and tmp/ only; both temporary dirs are
 * empty. Returns how many files are stored. */
static guint
check_file_store (Fixture *f)
{
  g_autofree char *files = g_build_filename (f->server->data_dir, "files", NULL);
  g_autofree char *files_tmp = g_build_filename (files, "tmp", NULL);
  g_autofree char *tmp = g_build_filename (f->server->data_dir, "tmp", NULL);
  g_autoptr(GDir) d = g_dir_open (files, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  guint n = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (strcmp (name, "tmp") == 0)
        continue;
      if (!is_file_id (name))
        g_error ("the file store holds “%s”, which is no generated id", name);
      g_autofree char *path = g_build_filename (files, name, NULL);
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      g_assert_false (g_file_test (path, G_FILE_TEST_IS_SYMLINK));
      n++;
    }
  g_assert_cmpuint (count_entries (files_tmp), ==, 0);
  g_assert_cmpuint (count_entries (tmp), ==, 0);
  return n;
}

/* Nothing anywhere under the test's directory has a name from NAMES. */
static void
check_no_names (const char *dir, const char *const *names)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      for (guint i = 0; names[i]; i++)
        if (strcmp (name, names[i]) == 0)
          g_error ("%s/%s exists: a name from a client became a path", dir, name);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        check_no_names (path, names);
    }
}

/* One integer from perchd's store, read beside it (WAL allows it). */
static gint64
db_int (Fixture *f, const char *sql)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "perch.db", NULL);
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  gint64 v = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return v;
}

/* ---- the store ------------------------------------------------------------------------ */

static void
test_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("perch-files-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "perch.db", NULL);
  PerchStore *store = perch_store_open_sqlite (path, &error);
  g_assert_no_error (error);
  PerchCategory cat = { .name = (char *) "Cat", .file_upload = TRUE, .chat_history = TRUE };
  g_assert_true (perch_store_category_create (store, &cat, &error));
  PerchRoomInfo room = { .name = (char *) "Room", .category_id = cat.id };
  g_assert_true (perch_store_room_create (store, &room, &error));

  PerchFile file = {
    .room_id = room.id, .uploader = (char *) "sip:alice@x.test", .name = (char *) "report.pdf",
    .size = 3, .sha256 = (char *) "ab",
  };
  g_assert_true (perch_store_file_add (store, &file, &error));
  g_assert_no_error (error);
  g_assert_true (perch_file_id_valid (file.id));
  g_assert_cmpint (file.ts_us, >, 0);
  /* Its FILEUPLOAD event came with it. */
  g_autoptr(GPtrArray) events = perch_store_events_pending (store, 0, 10, &error);
  g_assert_cmpuint (events->len, ==, 1);
  PerchEvent *ev = g_ptr_array_index (events, 0);
  g_assert_cmpint (ev->type, ==, PERCH_EVENT_FILEUPLOAD);
  g_assert_cmpstr (ev->content, ==, file.id);
  g_assert_cmpstr (ev->user, ==, "sip:alice@x.test");
  g_assert_cmpstr (ev->room_id, ==, room.id);
  g_assert_cmpint (ev->msg_id, ==, 0);

  g_autoptr(PerchFile) got = perch_store_file_get (store, file.id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->name, ==, "report.pdf");
  g_assert_cmpint (got->size, ==, 3);
  g_assert_cmpint (got->state, ==, PERCH_FILE_STORED);
  g_assert_null (perch_store_file_get (store, "0123456789abcdef0123456789abcdef", &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The same id twice is refused, and nothing of the second is kept. */
  PerchFile again = file;
  again.ts_us = 0;
  g_assert_false (perch_store_file_add (store, &again, &error));
  g_clear_error (&error);
  g_assert_cmpint (perch_store_events_count (store), ==, 1);

  /* A deleted room's files are marked, not forgotten: compliance may still need them. */
  g_assert_true (perch_store_room_delete (store, room.id, &error));
  g_autoptr(PerchFile) after = perch_store_file_get (store, file.id, &error);
  g_assert_nonnull (after);
  g_assert_cmpint (after->state, ==, PERCH_FILE_DELETED);

  g_free (file.id);
  g_free (room.id);
  perch_store_close (store);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_names (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "report.pdf", "report.pdf" },
    { "../../etc/passwd", "passwd" },
    { "C:\\Users\\bob\\secret.doc", "secret.doc" },
    { "dir/", "file" },
    { "..", "file" },
    { ".", "file" },
    { "", "file" },
    { "  spaced  ", "spaced" },
    { "a\tb\r\nc", "abc" },
    { "\xe2\x80\xae" "fdp.exe", "fdp.exe" },     /* U+202E RIGHT-TO-LEFT OVERRIDE */
    { "caf\xc3\xa9.txt", "caf\xc3\xa9.txt" },
    { "bad\xff.txt", "bad\xef\xbf\xbd.txt" },    /* invalid UTF-8 becomes U+FFFD */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = perch_file_name_sanitize (cases[i].in);
      g_assert_cmpstr (got, ==, cases[i].out);
    }
  /* Long names are cut at 255 bytes, on a character boundary. */
  GString *longer = g_string_new (NULL);
  for (guint i = 0; i < 5000; i++)
    g_string_append (longer, "\xc3\xa9");
  g_autofree char *cut = perch_file_name_sanitize (longer->str);
  g_assert_cmpuint (strlen (cut), <=, 255);
  g_assert_true (g_utf8_validate (cut, -1, NULL));
  g_string_free (longer, TRUE);
  g_assert_true (perch_file_id_valid ("0123456789abcdef0123456789abcdef"));
  g_assert_false (perch_file_id_valid ("0123456789ABCDEF0123456789abcdef"));
  g_assert_false (perch_file_id_valid ("../23456789abcdef0123456789abcdef"));
  g_assert_false (perch_file_id_valid ("0123456789abcdef"));
  g_assert_false (perch_file_id_valid (NULL));
}

/* ---- up and down -------------------------------------------------------------------------- */

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  static const char body[] = "minutes of the meeting\n\0binary \xff\xfe tail";
  g_autofree char *id = upload (f, f->alice_chat, f->alice, f->general, "minutes.txt", body, sizeof body);
  g_assert_true (is_file_id (id));
  g_autofree char *stored = g_build_filename (f->server->data_dir, "files", id, NULL);
  g_autofree char *on_disk = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (stored, &on_disk, &len, NULL));
  g_assert_cmpmem (on_disk, len, body, sizeof body);
  g_assert_cmpuint (check_file_store (f), ==, 1);

  /* Bob reads General: he may fetch it, by link or by id. */
  g_autofree char *link = g_strconcat ("ma-filelink:", id, NULL);
  g_autofree char *url = download_url (f->bob_chat, f->general, link);
  g_autoptr(Reply) r = http (f, "GET", url, f->bob, NULL);
  expect (r, 200, NULL);
  g_assert_cmpmem (r->text, strlen (r->text), body, strlen (body));
  g_assert_cmpint (soup_message_headers_get_content_length (r->headers), ==, sizeof body);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "application/octet-stream");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Content-Disposition"), ==,
                   "attachment; filename*=UTF-8''minutes.txt");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "X-Content-Type-Options"), ==, "nosniff");
  g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Cache-Control"), ==, "no-store");
  g_autofree char *by_id = download_url (f->bob_chat, f->general, id);
  g_autoptr(Reply) again = http (f, "GET", by_id, f->bob, NULL);
  expect (again, 200, NULL);

  /* Compliance: one FILEUPLOAD by alice, a FILEDOWNLOAD per download,
   * each naming the file. */
  g_autofree char *uploads = g_strdup_printf ("SELECT count(*) FROM events WHERE type = 'FILEUPLOAD'"
                                              " AND user = 'sip:alice@example.test' AND content = '%s'", id);
  g_autofree char *downloads = g_strdup_printf ("SELECT count(*) FROM events WHERE type = 'FILEDOWNLOAD'"
                                                " AND user = 'sip:bob@example.test' AND content = '%s'", id);
  g_assert_cmpint (db_int (f, uploads), ==, 1);
  g_assert_cmpint (db_int (f, downloads), ==, 2);

  /* An empty file is a file. */
  g_autofree char *empty = upload (f, f->alice_chat, f->alice, f->general, "empty", "", 0);
  g_autofree char *empty_url = download_url (f->alice_chat, f->general, empty);
  g_autoptr(Reply) e = http (f, "GET", empty_url, f->alice, NULL);
  expect (e, 200, NULL);
  g_assert_cmpuint (strlen (e->text), ==, 0);
  g_assert_cmpint (soup_message_headers_get_content_length (e->headers), ==, 0);

  /* Only HTTP here, so the URLs say so. */
  g_assert_true (g_str_has_prefix (url, f->base));
}

static gboolean
accept_any_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

/* With HTTPS too, clients are sent there. */
static void
test_https (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  const char *args[] = { "--https-listen", "127.0.0.1:0", NULL };
  start_with (f, args);
  g_autofree char *url = upload_url (f->alice_chat, f->general, "secure.txt");
  g_autofree char *https = g_strconcat ("https://", perch_test_server_get (f->server, "https"), "/files/", NULL);
  g_assert_true (g_str_has_prefix (url, https));
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", url);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", f->alice);
  g_autoptr(GBytes) body = g_bytes_new_static ("over TLS", 8);
  soup_message_set_request_body_from_bytes (msg, "application/octet-stream", body);
  g_autoptr(GAsyncResult) result = NULL;
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, HTTP_TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (f->session, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 201);
  g_assert_cmpuint (check_file_store (f), ==, 1);
  fixture_teardown (f, NULL);
}

static void
test_tokens (Fixture *f, gconstpointer data)
{
  /* Reused: an upload token works once. */
  g_autofree char *url = upload_url (f->alice_chat, f->general, "once.txt");
  g_autoptr(Reply) first = put (f, url, f->alice, "one", 3);
  expect (first, 201, NULL);
  g_autofree char *id = g_strdup (str (first->obj, "id"));
  g_autoptr(Reply) second = put (f, url, f->alice, "two", 3);
  expect (second, 404, "not_found");

  /* Another user's: refused, and still good for its owner. */
  g_autofree char *url2 = upload_url (f->alice_chat, f->general, "mine.txt");
  g_autoptr(Reply) stolen = put (f, url2, f->bob, "bob's", 5);
  expect (stolen, 403, "forbidden");
  g_autoptr(Reply) owner = put (f, url2, f->alice, "alice's", 7);
  expect (owner, 201, NULL);
  g_autofree char *down = download_url (f->bob_chat, f->general, id);
  g_autoptr(Reply) not_carols = http (f, "GET", down, f->carol, NULL);
  expect (not_carols, 403, "forbidden");
  g_autoptr(Reply) bobs = http (f, "GET", down, f->bob, NULL);
  expect (bobs, 200, NULL);
  g_assert_cmpstr (bobs->text, ==, "one");
  g_autoptr(Reply) reused = http (f, "GET", down, f->bob, NULL);
  expect (reused, 404, "not_found");
  /* No credentials at all: 401, the token untouched. */
  g_autofree char *down2 = download_url (f->bob_chat, f->general, id);
  g_autoptr(Reply) anonymous = http (f, "GET", down2, NULL, NULL);
  expect (anonymous, 401, "unauthorized");
  g_autoptr(Reply) bobs2 = http (f, "GET", down2, f->bob, NULL);
  expect (bobs2, 200, NULL);

  /* The other direction: an upload token downloads nothing, and the reverse. */
  g_autofree char *up = upload_url (f->alice_chat, f->general, "x");
  g_autoptr(Reply) wrong_way = http (f, "GET", up, f->alice, NULL);
  expect (wrong_way, 404, "not_found");
  g_autofree char *down3 = download_url (f->alice_chat, f->general, id);
  g_autoptr(Reply) wrong_way2 = put (f, down3, f->alice, "x", 1);
  expect (wrong_way2, 404, "not_found");

  /* Another room's: General's file is not Design's, nor the other way. */
  g_auto(Token) other;
  get_token (f->alice_chat, "cmd:getfdtok", f->design, id, &other);
  g_assert_cmpint (other.code, ==, 404);
  g_autofree char *design_file = upload (f, f->alice_chat, f->alice, f->design, "plan.txt", "plan", 4);
  g_auto(Token) other2;
  get_token (f->alice_chat, "cmd:getfdtok", f->general, design_file, &other2);
  g_assert_cmpint (other2.code, ==, 404);

  /* Tokens that were never given. */
  g_autofree char *forged = g_strdup_printf ("%s/files/%s", f->base, "0123456789abcdef0123456789abcdef");
  g_autoptr(Reply) nope = put (f, forged, f->alice, "x", 1);
  expect (nope, 404, "not_found");
  g_autoptr(Reply) nope2 = http (f, "GET", forged, f->alice, NULL);
  expect (nope2, 404, "not_found");

  /* Rights lost after the token was given: bob, removed from Design, can
   * no longer use the token he got as a member. */
  g_autofree char *bobs_design = download_url (f->bob_chat, f->design, design_file);
  g_autoptr(Reply) removed = http (f, "PATCH", "/api/v1/rooms/Design", f->admin,
                                   "{\"members\": {\"remove\": [\"sip:bob@example.test\"]}}");
  expect (removed, 200, NULL);
  g_autoptr(Reply) lost = http (f, "GET", bobs_design, f->bob, NULL);
  expect (lost, 403, "forbidden");
  g_assert_cmpuint (check_file_store (f), ==, 3);
}

static void
test_expired (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  g_setenv ("PERCH_FILE_TOKEN_LIFETIME_S", "1", TRUE);
  start_with (f, NULL);
  g_unsetenv ("PERCH_FILE_TOKEN_LIFETIME_S");
  g_autofree char *url = upload_url (f->alice_chat, f->general, "late.txt");
  g_autofree char *id = upload (f, f->alice_chat, f->alice, f->general, "soon.txt", "soon", 4);
  g_autofree char *down = download_url (f->alice_chat, f->general, id);
  perch_test_spin_ms (1300);
  g_autoptr(Reply) up = put (f, url, f->alice, "late", 4);
  expect (up, 404, "not_found");
  g_autoptr(Reply) get = http (f, "GET", down, f->alice, NULL);
  expect (get, 404, "not_found");
  g_assert_cmpuint (check_file_store (f), ==, 1);
  /* The variable only shortens: a value past five minutes is ignored. */
  fixture_teardown (f, NULL);
}

static void
test_rules (Fixture *f, gconstpointer data)
{
  g_autofree char *general_file = upload (f, f->alice_chat, f->alice, f->general, "g.txt", "g", 1);
  g_autofree char *design_file = upload (f, f->alice_chat, f->alice, f->design, "d.txt", "d", 1);

  /* Design is closed: carol may find it but is no member. */
  g_auto(Token) t1;
  get_token (f->carol_chat, "cmd:getfdtok", f->design, design_file, &t1);
  g_assert_cmpint (t1.code, ==, 403);
  g_auto(Token) t2;
  get_token (f->carol_chat, "cmd:getfutok", f->design, "x.txt", &t2);
  g_assert_cmpint (t2.code, ==, 403);
  /* Mergers is secret (in Board): to bob it does not exist. */
  g_autofree char *mergers = perch_test_find_room (f->carol_chat, "Mergers");
  g_assert_nonnull (mergers);
  g_auto(Token) t3;
  get_token (f->bob_chat, "cmd:getfdtok", mergers, general_file, &t3);
  g_assert_cmpint (t3.code, ==, 404);
  g_auto(Token) t4;
  get_token (f->bob_chat, "cmd:getfutok", mergers, "x.txt", &t4);
  g_assert_cmpint (t4.code, ==, 404);
  /* A room that is not there at all answers the same. */
  g_auto(Token) t5;
  get_token (f->bob_chat, "cmd:getfutok", "ma-chan://example.test/nosuchroom", "x.txt", &t5);
  g_assert_cmpint (t5.code, ==, 404);
  /* Board has file upload off: carol, a member of Mergers, may not upload there. */
  g_auto(Token) t6;
  get_token (f->carol_chat, "cmd:getfutok", mergers, "board.pdf", &t6);
  g_assert_cmpint (t6.code, ==, 403);
  /* An auditorium: bob reads Announcements but may not post, so no upload;
   * alice presents. */
  g_auto(Token) t7;
  get_token (f->bob_chat, "cmd:getfutok", f->announcements, "x.txt", &t7);
  g_assert_cmpint (t7.code, ==, 403);
  g_autofree char *news = upload (f, f->alice_chat, f->alice, f->announcements, "news.txt", "news", 4);
  g_autofree char *news_url = download_url (f->bob_chat, f->announcements, news);
  g_autoptr(Reply) r = http (f, "GET", news_url, f->bob, NULL);
  expect (r, 200, NULL);
  /* A file that does not exist, or is malformed as an id. */
  g_auto(Token) t8;
  get_token (f->bob_chat, "cmd:getfdtok", f->general, "ma-filelink:0123456789abcdef0123456789abcdef", &t8);
  g_assert_cmpint (t8.code, ==, 404);
  g_auto(Token) t9;
  get_token (f->bob_chat, "cmd:getfdtok", f->general, "", &t9);
  g_assert_cmpint (t9.code, ==, 404);
  /* A deleted room's files are gone for clients, kept on disk. */
  g_autoptr(Reply) del = http (f, "DELETE", "/api/v1/rooms/Design", f->admin, NULL);
  expect (del, 204, NULL);
  g_auto(Token) t10;
  get_token (f->alice_chat, "cmd:getfdtok", f->design, design_file, &t10);
  g_assert_cmpint (t10.code, ==, 404);
  g_autofree char *kept = g_build_filename (f->server->data_dir, "files", design_file, NULL);
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  g_autofree char *state = g_strdup_printf ("SELECT count(*) FROM files WHERE id = '%s' AND state = 'deleted'",
                                            design_file);
  g_assert_cmpint (db_int (f, state), ==, 1);
}

/* ---- the size limit ---------------------------------------------------------------------- */

static void
test_size_limit (void)
{
  Fixture fixture = { 0 }, *f = &fixture;
  const char *args[] = { "--config", "max_file_size_kb=64", NULL };
  start_with (f, args);
  g_autofree char *block = g_malloc0 (200 * KiB);

  /* Exactly the limit is fine. */
  g_autofree char *id = upload (f, f->alice_chat, f->alice, f->general, "exact.bin", block, 64 * KiB);
  /* One byte more, announced by Content-Length: refused before the body. */
  g_autofree char *url = upload_url (f->alice_chat, f->general, "big.bin");
  g_autoptr(Reply) over = put (f, url, f->alice, block, 64 * KiB + 1);
  expect (over, 413, "too_large");
  g_assert_nonnull (strstr (over->text, "max_file_size_kb"));
  /* Not announced (chunked): cut off once past it, or (with the libsoup
   * perchd runs on here) refused for want of a length. */
  g_autofree char *url2 = upload_url (f->alice_chat, f->general, "big2.bin");
  g_autofree char *full = g_strdup (url2);
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", full);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", f->alice);
  g_autoptr(PatternStream) body = pattern_stream_new (200 * KiB, 7);
  soup_message_set_request_body (msg, "application/octet-stream", G_INPUT_STREAM (body), -1);
  g_autoptr(GAsyncResult) result = NULL;
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, HTTP_TIMEOUT_MS);
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (f->session, result, NULL);
  g_assert_cmpuint (soup_message_get_status (msg), ==, chunked_taken () ? 413 : 411);

  /* Nothing of the refused ones is left, on disk or in the store. */
  g_assert_cmpuint (check_file_store (f), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM files"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM events WHERE type = 'FILEUPLOAD'"), ==, 1);
  /* The limit changes live. */
  g_autoptr(Reply) set = http (f, "PATCH", "/api/v1/config", f->admin, "{\"max_file_size_kb\": 200}");
  expect (set, 200, NULL);
  g_autofree char *id2 = upload (f, f->alice_chat, f->alice, f->general, "now.bin", block, 100 * KiB);
  fixture_teardown (f, NULL);
}

/* ---- 50 MB without holding it ------------------------------------------------------------- */

typedef struct {
  GInputStream *in;
  GChecksum    *sha256;
  gint64        total;
  guint8        buf[64 * 1024];
  gboolean      done;
  GError       *error;
} Drain;

static void
drain_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Drain *d = user_data;
  gssize n = g_input_stream_read_finish (d->in, result, &d->error);
  if (n <= 0)
    {
      d->done = TRUE;
      return;
    }
  g_checksum_update (d->sha256, d->buf, n);
  d->total += n;
  g_input_stream_read_async (d->in, d->buf, sizeof d->buf, G_PRIORITY_DEFAULT, NULL, drain_read, d);
}

static gboolean
drain_done (gpointer data)
{
  return ((Drain *) data)->done;
}

static void
test_big (void)
{
  /* Under AddressSanitizer freed memory is held back (quarantined) before
   * reuse, which would count as growth: keep that small for perchd. */
  const char *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree char *saved = g_strdup (asan);
  g_autofree char *options = g_strdup_printf ("%s%squarantine_size_mb=1", asan ? asan : "", asan && *asan ? ":" : "");
  g_setenv ("ASAN_OPTIONS", options, TRUE);
  Fixture fixture = { 0 }, *f = &fixture;
  const char *args[] = { "--config", "max_file_size_kb=102400", NULL };
  start_with (f, args);
  if (saved)
    g_setenv ("ASAN_OPTIONS", saved, TRUE);
  else
    g_unsetenv ("ASAN_OPTIONS");

  const gint64 size = 50 * (gint64) MiB;
  gint64 hwm_before = perch_test_server_proc_kb (f->server, "VmHWM:");

  /* Up: the body is made as libsoup reads it. */
  g_autofree char *url = upload_url (f->alice_chat, f->general, "big.bin");
  g_autoptr(SoupMessage) msg = soup_message_new ("PUT", url);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", f->alice);
  g_autoptr(PatternStream) body = pattern_stream_new (size, 42);
  soup_message_set_request_body (msg, "application/octet-stream", G_INPUT_STREAM (body), size);
  g_autoptr(GAsyncResult) result = NULL;
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 120000);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = soup_session_send_and_read_finish (f->session, result, &error);
  g_assert_no_error (error);
  gsize alen;
  const char *atext = g_bytes_get_data (answer, &alen);
  g_autoptr(Reply) r = finish_reply (msg, atext, alen);
  expect (r, 201, NULL);
  const char *sent_sha = g_checksum_get_string (body->sha256);
  g_assert_cmpstr (str (r->obj, "sha256"), ==, sent_sha);
  g_assert_cmpint (json_object_get_int_member (r->obj, "size"), ==, size);
  g_autofree char *id = g_strdup (str (r->obj, "id"));
  g_autofree char *path = g_build_filename (f->server->data_dir, "files", id, NULL);
  GStatBuf st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, size);

  /* Down: read a chunk at a time, hashed as it comes. */
  g_autofree char *down = download_url (f->bob_chat, f->general, id);
  g_autoptr(SoupMessage) get = soup_message_new ("GET", down);
  soup_message_headers_replace (soup_message_get_request_headers (get), "Authorization", f->bob);
  g_autoptr(GAsyncResult) sent = NULL;
  soup_session_send_async (f->session, get, G_PRIORITY_DEFAULT, NULL, perch_test_async_ready, &sent);
  perch_test_wait_result (&sent, HTTP_TIMEOUT_MS);
  g_autoptr(GInputStream) in = soup_session_send_finish (f->session, sent, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (get), ==, 200);
  g_assert_cmpint (soup_message_headers_get_content_length (soup_message_get_response_headers (get)), ==, size);
  Drain *d = g_new0 (Drain, 1);
  d->in = in;
  d->sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  g_input_stream_read_async (in, d->buf, sizeof d->buf, G_PRIORITY_DEFAULT, NULL, drain_read, d);
  g_assert_true (perch_test_wait (drain_done, d, 120000));
  g_assert_no_error (d->error);
  g_assert_cmpint (d->total, ==, size);
  g_assert_cmpstr (g_checksum_get_string (d->sha256), ==, sent_sha);
  g_checksum_free (d->sha256);
  g_free (d);

  gint64 hwm_after = perch_test_server_proc_kb (f->server, "VmHWM:");
  g_test_message ("perchd VmHWM %" G_GINT64_FORMAT " kB -> %" G_GINT64_FORMAT " kB (VmRSS now %" G_GINT64_FORMAT
                  " kB) for 50 MB up and down", hwm_before, hwm_after,
                  perch_test_server_proc_kb (f->server, "VmRSS:"));
  g_assert_cmpint (hwm_after - hwm_before, <, 16 * 1024);
  g_assert_cmpuint (check_file_store (f), ==, 1);
  fixture_teardown (f, NULL);
}

/* ---- hostile input ---------------------------------------------------------------------------- */

/* The status of one raw request (a path no client library would send). */
static guint
raw_status (Fixture *f, const char *method, const char *raw_path, const char *auth)
{
  gboolean body = strcmp (method, "GET") != 0;
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                                              "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                                              method, raw_path, auth, body ? 1 : 0, body ? "x" : "");
  g_autofree char *response = perch_test_http_raw_request (f->server, request);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 "));
  return (guint) atoi (response + 9);
}

static void
test_hostile (Fixture *f, gconstpointer data)
{
  /* Names: whatever fileUrl says, the file lands under a generated id and
   * keeps at most a harmless display name. */
  GString *ten_kb = g_string_new (NULL);
  while (ten_kb->len < 10 * KiB)
    g_string_append (ten_kb, "../a/");
  g_string_append (ten_kb, "end");
  GString *long_name = g_string_new (NULL);
  while (long_name->len < 10 * KiB)
    g_string_append_c (long_name, 'n');
  const struct { const char *url, *name; } names[] = {
    { "../../../../etc/passwd", "passwd" },
    { "..\\..\\perch.db", "perch.db" },
    { "/absolute/path/x.sh", "x.sh" },
    { "..", "file" },
    { "tmp/../../escape", "escape" },
    { "ma-filelink:../perch.db", "perch.db" },
    { "quote\"semi;colon\r\nX-Evil: 1", NULL },
    { ten_kb->str, "end" },
    { long_name->str, NULL },
  };
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *url = upload_url (f->alice_chat, f->general, names[i].url);
      g_autoptr(Reply) r = put (f, url, f->alice, "x", 1);
      expect (r, 201, NULL);
      const char *name = str (r->obj, "name");
      if (names[i].name != NULL)
        g_assert_cmpstr (name, ==, names[i].name);
      else if (strlen (names[i].url) > 255)
        g_assert_cmpuint (strlen (name), ==, 255);
      g_assert_null (strpbrk (name, "/\\\r\n"));
      g_ptr_array_add (ids, g_strdup (str (r->obj, "id")));
    }
  /* ... and comes back with a header that cannot be split or quoted out of. */
  g_autofree char *down = download_url (f->alice_chat, f->general, g_ptr_array_index (ids, 6));
  g_autoptr(Reply) r = http (f, "GET", down, f->alice, NULL);
  expect (r, 200, NULL);
  const char *disposition = soup_message_headers_get_one (r->headers, "Content-Disposition");
  g_test_message ("Content-Disposition: %s", disposition);
  g_assert_true (g_str_has_prefix (disposition, "attachment; filename*=UTF-8''quote%22semi%3Bcolon"));
  g_assert_true (g_str_has_suffix (disposition, "X-Evil%3A%201"));
  g_assert_null (strpbrk (disposition + strlen ("attachment; filename*=UTF-8''"), "\"; \r\n"));
  g_assert_null (soup_message_headers_get_one (r->headers, "X-Evil"));

  /* NUL cannot even be said in XML: the command fails. */
  g_auto(Token) nul;
  get_token (f->alice_chat, "cmd:getfutok", f->general, "a", &nul);   /* a valid one first, for contrast */
  g_assert_cmpint (nul.code, ==, 200);
  g_autoptr(GError) error = NULL;
  g_autofree char *nul_xml = g_strdup_printf ("<ftdb channelUri=\"%s\" fileUrl=\"a&#0;b\"/>", f->general);
  g_autoptr(PerchClientReply) nul_reply = perch_test_command (f->alice_chat, "cmd:getfutok", nul_xml, &error);
  g_assert_null (nul_reply);
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* Missing parts. */
  g_autoptr(PerchClientReply) none = perch_test_command (f->alice_chat, "cmd:getfutok", "<ftdb/>", &error);
  g_assert_null (none);
  g_assert_error (error, PERCH_ERROR, 400);
  g_clear_error (&error);
  /* Download names that are paths. */
  static const char *const bad_files[] = {
    "../perch.db", "ma-filelink:../../perch.db", "ma-filelink:", "tmp", "files/x", "/etc/passwd",
    "0123456789ABCDEF0123456789ABCDEF", "ma-filelink:0123456789abcdef0123456789abcdef/../x", NULL
  };
  for (guint i = 0; bad_files[i]; i++)
    {
      g_auto(Token) t;
      get_token (f->alice_chat, "cmd:getfdtok", f->general, bad_files[i], &t);
      g_assert_cmpint (t.code, ==, 404);
    }

  /* Tokens that are paths. */
  static const char *const bad_tokens[] = {
    "..%2F..%2Fperch.db", "..%2Fperch.db", "%2E%2E%2Fx", "tmp", "0123456789abcdef0123456789abcdef%2F..",
    "0123456789abcdef0123456789abcdef%00", NULL
  };
  for (guint i = 0; bad_tokens[i]; i++)
    {
      g_autofree char *path = g_strdup_printf ("/files/%s", bad_tokens[i]);
      guint put_status = raw_status (f, "PUT", path, f->alice);
      guint get_status = raw_status (f, "GET", path, f->alice);
      g_test_message ("%s: PUT %u, GET %u", path, put_status, get_status);
      g_assert_true (put_status == 400 || put_status == 404);
      g_assert_true (get_status == 400 || get_status == 404);
    }
  /* Dot segments are resolved before routing (RFC 3986): they can only
   * name another path of this service, never a file. */
  static const char *const dotted[] = { "/files/../perch.db", "/files/%2e%2e", "/files/%2e%2e/perch.db",
                                        "/files/./../../etc/passwd", "/files/", "/files", NULL };
  for (guint i = 0; dotted[i]; i++)
    {
      guint put_status = raw_status (f, "PUT", dotted[i], f->alice);
      guint get_status = raw_status (f, "GET", dotted[i], f->alice);
      g_test_message ("%s: PUT %u, GET %u", dotted[i], put_status, get_status);
      g_assert_true (put_status == 400 || put_status == 404);
      g_assert_true (get_status == 400 || get_status == 404);
    }

  /* Nothing left the file store. */
  g_assert_cmpuint (check_file_store (f), ==, ids->len);
  static const char *const odd[] = { "passwd", "x.sh", "escape", "end", "absolute", "etc", NULL };
  check_no_names (f->server->dir, odd);
  g_ptr_array_unref (ids);
  g_string_free (ten_kb, TRUE);
  g_string_free (long_name, TRUE);
}

/* ---- interrupted uploads --------------------------------------------------------------------------- */

static gboolean
tmp_has_bytes (gpointer data)
{
  const char *dir = data;
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;
      if (g_stat (path, &st) == 0 && st.st_size > 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
tmp_empty (gpointer data)
{
  return count_entries (data) == 0;
}

static void
interrupt (Fixture *f, gboolean chunked)
{
  g_autofree char *url = upload_url (f->alice_chat, f->general, "cut.bin");
  const char *path = strstr (url + strlen ("http://"), "/");
  g_autofree char *headers = g_strdup_printf ("PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n%s\r\n", path,
                                              f->alice, chunked ? "Transfer-Encoding: chunked\r\n"
                                                                : "Content-Length: 1048576\r\n");
  int fd = perch_test_http_raw_connect (f->server);
  g_assert_true (perch_test_http_raw_send (fd, headers, strlen (headers)));
  g_autofree char *block = g_malloc (100 * KiB);
  memset (block, 'z', 100 * KiB);
  if (chunked)
    {
      g_autofree char *size = g_strdup_printf ("%x\r\n", 100 * KiB);
      g_assert_true (perch_test_http_raw_send (fd, size, strlen (size)));
    }
  g_autofree char *tmp = g_build_filename (f->server->data_dir, "files", "tmp", NULL);
  if (chunked && !chunked_taken ())
    {
      /* Refused at once: a chunked body cut at a chunk's end would look whole. */
      g_autofree char *answer = perch_test_http_raw_read_all (fd);
      close (fd);
      g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 411"));
      g_assert_nonnull (strstr (answer, "length_required"));
    }
  else
    {
      g_assert_true (perch_test_http_raw_send (fd, block, 100 * KiB));
      /* The server has some of it in a temporary file; then the client is gone. */
      g_assert_true (perch_test_wait (tmp_has_bytes, tmp, 10000));
      close (fd);
    }
  g_assert_true (perch_test_wait (tmp_empty, tmp, 10000));
  g_assert_cmpuint (check_file_store (f), ==, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM files"), ==, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM events WHERE type = 'FILEUPLOAD'"), ==, 0);
  g_autoptr(Reply) r = put (f, url, f->alice, "x", 1);
  if (chunked && !chunked_taken ())
    expect (r, 201, NULL);   /* refused before the token was looked at: it is still good */
  else
    expect (r, 404, "not_found");   /* the token went with the upload */
}

static void
test_interrupted (Fixture *f, gconstpointer data)
{
  interrupt (f, FALSE);
  interrupt (f, TRUE);
  /* And a temporary file a crash left behind is gone after a restart. */
  g_autofree char *stale = g_build_filename (f->server->data_dir, "files", "tmp", "0123456789abcdef", NULL);
  g_assert_true (g_file_set_contents (stale, "partial", -1, NULL));
  perch_test_disconnect (f->alice_chat);
  perch_test_disconnect (f->bob_chat);
  perch_test_disconnect (f->carol_chat);
  perch_test_server_restart (f->server);
  f->alice_chat = perch_test_connect (f->server, "alice");
  f->bob_chat = perch_test_connect (f->server, "bob");
  f->carol_chat = perch_test_connect (f->server, "carol");
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
}

/* ---- export and import ----------------------------------------------------------------------------- */

/* NODE without the members that differ between two pools by nature
 * (generated ids, people in rooms now), as text to compare. */
static char *
normalized (JsonNode *node, const char *const *drop)
{
  g_autoptr(JsonNode) copy = json_node_copy (node);
  JsonArray *items = json_object_get_array_member (json_node_get_object (copy), "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      for (guint k = 0; drop[k]; k++)
        json_object_remove_member (item, drop[k]);
    }
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  json_generator_set_root (gen, json_object_get_member (json_node_get_object (copy), "items"));
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

/* The whole pool as the API shows it: categories, rooms and every room's
 * messages, with ids that two pools cannot share left out. */
static char *
pool_snapshot (Fixture *f)
{
  static const char *const cat_drop[] = { "id", "uri", NULL };
  static const char *const room_drop[] = { "category_id", "participants", NULL };
  static const char *const msg_drop[] = { "id", NULL };
  GString *out = g_string_new (NULL);
  g_autoptr(Reply) cats = http (f, "GET", "/api/v1/categories", f->admin, NULL);
  expect (cats, 200, NULL);
  g_autofree char *c = normalized (cats->json, cat_drop);
  g_string_append_printf (out, "categories %s\n", c);
  g_autoptr(Reply) rooms = http (f, "GET", "/api/v1/rooms?limit=1000", f->admin, NULL);
  expect (rooms, 200, NULL);
  g_autofree char *r = normalized (rooms->json, room_drop);
  g_string_append_printf (out, "rooms %s\n", r);
  JsonArray *items = json_object_get_array_member (rooms->obj, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      const char *id = str (json_array_get_object_element (items, i), "id");
      g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s/messages?limit=500", id);
      g_autoptr(Reply) msgs = http (f, "GET", path, f->admin, NULL);
      expect (msgs, 200, NULL);
      g_autofree char *m = normalized (msgs->json, msg_drop);
      g_string_append_printf (out, "messages of %s %s\n", id, m);
    }
  return g_string_free (out, FALSE);
}

static GBytes *
export (Fixture *f, const char *query)
{
  g_autofree char *path = g_strconcat ("/api/v1/export", query, NULL);
  g_autoptr(Reply) r = http (f, "GET", path, f->admin, NULL);
  expect (r, 200, NULL);
  g_assert_cmpstr (soup_message_headers_get_content_type (r->headers, NULL), ==, "application/x-ndjson");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (r->headers, "Content-Disposition"),
                                   "attachment; filename*=UTF-8''perch-export-"));
  /* With a NUL past its end, for strstr. */
  gsize len = strlen (r->text);
  return g_bytes_new_take (g_strndup (r->text, len), len);
}

/* Removes every room and category: an empty pool with the demo's users. */
static void
empty_pool (Fixture *f)
{
  g_autoptr(Reply) rooms = http (f, "GET", "/api/v1/rooms?limit=1000", f->admin, NULL);
  JsonArray *items = json_object_get_array_member (rooms->obj, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/rooms/%s", str (json_array_get_object_element (items, i), "id"));
      g_autoptr(Reply) r = http (f, "DELETE", path, f->admin, NULL);
      expect (r, 204, NULL);
    }
  g_autoptr(Reply) cats = http (f, "GET", "/api/v1/categories", f->admin, NULL);
  items = json_object_get_array_member (cats->obj, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/categories/%" G_GINT64_FORMAT,
                                               json_object_get_int_member (json_array_get_object_element (items, i), "id"));
      g_autoptr(Reply) r = http (f, "DELETE", path, f->admin, NULL);
      expect (r, 204, NULL);
    }
}

static Reply *
import (Fixture *f, const char *auth, GBytes *archive)
{
  gsize len;
  const void *data = g_bytes_get_data (archive, &len);
  return http_bytes (f, "POST", "/api/v1/import", auth, data, len, "application/x-ndjson");
}

static void
test_export_import (Fixture *f, gconstpointer data)
{
  /* Some of everything: a category of our own, rooms with lists, posts,
   * a replaced message. */
  g_autoptr(Reply) cat = http (f, "POST", "/api/v1/categories", f->admin,
                               "{\"name\": \"Ops\", \"description\": \"on call\", \"file_upload\": false,"
                               " \"allowed\": [\"domain:example.test\"], \"denied\": [\"sip:dave@example.test\"],"
                               " \"creators\": [\"sip:alice@example.test\"]}");
  expect (cat, 201, NULL);
  g_autoptr(Reply) room = http (f, "POST", "/api/v1/rooms", f->admin,
                                "{\"name\": \"Pager\", \"category\": \"Ops\", \"privacy\": \"secret\","
                                " \"type\": \"auditorium\", \"description\": \"alerts \\u00e9t\\u00e9\","
                                " \"members\": [\"sip:bob@example.test\", \"sip:alice@example.test\"],"
                                " \"managers\": [\"sip:alice@example.test\"], \"presenters\": [\"sip:alice@example.test\"]}");
  expect (room, 201, NULL);
  g_autofree char *pager = g_strdup (str (room->obj, "uri"));
  perch_test_join (f->alice_chat, pager);
  perch_test_join (f->alice_chat, f->general);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (f->alice_chat, pager, "disk full on db1", &error));
  g_assert_true (perch_test_post (f->alice_chat, pager, "résolu ✓ <b>&amp;</b>", &error));
  g_assert_true (perch_test_post (f->alice_chat, f->general, "the secret is 42", &error));
  g_autoptr(Reply) replaced = http (f, "POST", "/api/v1/rooms/General/messages/remove", f->admin,
                                    "{\"keywords\": [\"secret\"]}");
  expect (replaced, 200, NULL);
  g_autoptr(Reply) disabled = http (f, "PATCH", "/api/v1/rooms/Design", f->admin, "{\"disabled\": true}");
  expect (disabled, 200, NULL);

  /* Export needs an administrator. */
  g_autoptr(Reply) refused = http (f, "GET", "/api/v1/export", f->alice, NULL);
  expect (refused, 403, "forbidden");
  g_autoptr(Reply) unknown = http (f, "GET", "/api/v1/export?categories=Nope", f->admin, NULL);
  expect (unknown, 404, "not_found");
  g_autoptr(Reply) bad = http (f, "GET", "/api/v1/export?content=maybe", f->admin, NULL);
  expect (bad, 400, "bad_request");

  g_autoptr(GBytes) archive = export (f, "");
  g_autoptr(GBytes) structure = export (f, "?content=false");
  g_autoptr(GBytes) only_ops = export (f, "?categories=Ops&from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z");
  g_assert_cmpuint (g_bytes_get_size (structure), <, g_bytes_get_size (archive));
  g_assert_null (strstr (g_bytes_get_data (only_ops, NULL), "\"General\""));
  g_assert_nonnull (strstr (g_bytes_get_data (only_ops, NULL), "disk full on db1"));
  g_autofree char *before = pool_snapshot (f);
  g_assert_cmpuint (check_file_store (f), ==, 0);   /* the export left nothing behind */

  /* A second server, emptied of the demo pool, takes the archive. */
  Fixture second = { 0 }, *g = &second;
  start_with (g, NULL);
  empty_pool (g);
  g_autofree char *empty = pool_snapshot (g);

  /* Refused before reading: not an administrator, not the archive type. */
  g_autoptr(Reply) not_admin = import (g, g->alice, archive);
  expect (not_admin, 403, "forbidden");
  gsize len;
  const char *text = g_bytes_get_data (archive, &len);
  g_autoptr(Reply) as_json = http_bytes (g, "POST", "/api/v1/import", g->admin, text, len, "application/json");
  expect (as_json, 400, "bad_request");
  /* Truncated: at a line's end (the trailer is missing) or inside a line. */
  const char *last_line = g_strrstr_len (text, (gssize) len - 1, "\n");
  g_assert_nonnull (last_line);
  g_autoptr(GBytes) no_trailer = g_bytes_new (text, (gsize) (last_line - text) + 1);
  g_autoptr(Reply) t1 = import (g, g->admin, no_trailer);
  expect (t1, 400, "bad_request");
  g_assert_nonnull (strstr (t1->text, "line"));
  g_autoptr(GBytes) cut = g_bytes_new (text, len / 2);
  g_autoptr(Reply) t2 = import (g, g->admin, cut);
  expect (t2, 400, "bad_request");
  g_assert_nonnull (strstr (t2->text, "line"));
  g_autofree char *still_empty = pool_snapshot (g);
  g_assert_cmpstr (still_empty, ==, empty);
  g_assert_cmpuint (check_file_store (g), ==, 0);

  g_autoptr(Reply) report = import (g, g->admin, archive);
  expect (report, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (report->obj, "categories_created"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (report->obj, "rooms_created"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (report->obj, "rooms_skipped"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (report->obj, "messages"), >, 3);
  g_assert_true (json_object_has_member (report->obj, "notes"));
  g_autofree char *after = pool_snapshot (g);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpuint (check_file_store (g), ==, 0);

  /* Imported again: everything is there already, and nothing doubles. */
  g_autoptr(Reply) twice = import (g, g->admin, archive);
  expect (twice, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (twice->obj, "rooms_skipped"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (twice->obj, "categories_existing"), ==, 3);
  g_autofree char *again = pool_snapshot (g);
  g_assert_cmpstr (again, ==, before);
  fixture_teardown (g, NULL);
}

/* ---- the route table ------------------------------------------------------------------------------- */

static void
test_openapi (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) r = http (f, "GET", "/api/v1/openapi.json", NULL, NULL);
  expect (r, 200, NULL);
  JsonObject *paths = json_object_get_object_member (r->obj, "paths");
  JsonObject *files = json_object_get_object_member (paths, "/files/{token}");
  g_assert_nonnull (files);
  JsonObject *op_put = json_object_get_object_member (files, "put");
  JsonObject *content = json_object_get_object_member (json_object_get_object_member (op_put, "requestBody"), "content");
  g_assert_true (json_object_has_member (content, "application/octet-stream"));
  JsonObject *responses = json_object_get_object_member (op_put, "responses");
  g_assert_true (json_object_has_member (responses, "201"));
  g_assert_true (json_object_has_member (responses, "413"));
  g_assert_true (json_object_has_member (responses, "507"));
  JsonObject *op_get = json_object_get_object_member (files, "get");
  JsonObject *ok = json_object_get_object_member (json_object_get_object_member (op_get, "responses"), "200");
  g_assert_true (json_object_has_member (json_object_get_object_member (ok, "content"), "application/octet-stream"));
  g_assert_true (json_object_has_member (json_object_get_object_member (paths, "/api/v1/export"), "get"));
  g_assert_true (json_object_has_member (json_object_get_object_member (paths, "/api/v1/import"), "post"));
  g_assert_cmpstr (str (json_object_get_object_member (json_object_get_object_member (paths, "/api/v1/import"), "post"),
                        "operationId"), ==, "postImport");
  g_assert_cmpstr (str (op_put, "operationId"), ==, "putFilesToken");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/perch/files/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  g_test_add_func ("/perch/files/store", test_store);
  g_test_add_func ("/perch/files/names", test_names);
  ADD ("roundtrip", test_roundtrip);
  ADD ("tokens", test_tokens);
  g_test_add_func ("/perch/files/https", test_https);
  g_test_add_func ("/perch/files/expired", test_expired);
  ADD ("rules", test_rules);
  g_test_add_func ("/perch/files/size-limit", test_size_limit);
  g_test_add_func ("/perch/files/big", test_big);
  ADD ("hostile", test_hostile);
  ADD ("interrupted", test_interrupted);
  ADD ("export-import", test_export_import);
  ADD ("openapi", test_openapi);
  return g_test_run ();
}
