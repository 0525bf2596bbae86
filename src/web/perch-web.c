/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web.c: the HTTP side of the room management service — the
 * SoupServer and its listeners, bounded request bodies, routing by the
 * route table, authentication before any handler, query and body checks
 * against the route's declarations, and JSON answers and errors.
 *
 * Bodies: libsoup reads a request body whole before the handler runs and,
 * without Expect: 100-continue, reads it even after an early handler has
 * answered. So bodies are not accumulated by libsoup here: each chunk is
 * copied into a buffer of at most PERCH_WEB_MAX_BODY, and a request that
 * announces (Content-Length) or sends (chunked) more has its connection
 * taken from libsoup, answered 413 and closed, without reading the rest.
 * Routes whose body is bytes (a file upload, an archive to import) are
 * decided once their headers are in (who, token, limit); their body then
 * goes chunk by chunk to a temporary file under the data dir, hashed on
 * the way, and the same refusal cuts it off at the route's own limit.
 * Answers that are files are sent a chunk at a time as libsoup writes
 * them ("wrote-chunk"), with the response body not accumulating.
 *
 * libsoup 3.2's listener leaks one reference to the GSocket of every
 * connection it accepts (fixed upstream in 3.4.0, commit b545d5f0): see
 * plug_listener_leak. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "perch-sip-service.h"
#include "perch-compliance.h"
#include "perch-web-private.h"

#define LINGER_MAX        32                 /* refused connections drained at once */
#define LINGER_BYTES      (4 * 1024 * 1024)  /* read and dropped after a 413, at most */
#define LINGER_MS         2000
#define STREAM_CHUNK      (64 * 1024)        /* bytes of a file answer read and queued at once */
#define STOP_WAIT_S       30                 /* for work in flight (an upload's fsync) at stop */

struct _PerchWeb {
  GObject          parent_instance;
  PerchChannel    *channel;
  PerchStore      *store;
  SoupServer      *server;
  PerchWebAuth    *auth;
  GHashTable      *lingering;   /* set of Lingering*: refused connections being closed */
  char            *data_dir;    /* NULL: no file transfer, export or import */
  PerchCompliance *compliance;  /* NULL: no compliance endpoints (503) */
  guint            holds;       /* work in flight that outlives its handler */
  gboolean         stopped;
};

G_DEFINE_FINAL_TYPE (PerchWeb, perch_web, G_TYPE_OBJECT)

typedef struct {
  GByteArray *data;             /* the body so far; never more than PERCH_WEB_MAX_BODY */
} BodyState;

/* A connection taken from libsoup to refuse an oversized body: the 413 is
 * written, our side shut for writing, and what the client still sends is
 * read and dropped for a short while (so that it can read the answer
 * rather than get a reset) before it is closed. */
typedef struct {
  PerchWeb     *web;
  GIOStream    *stream;
  GBytes       *response;
  GCancellable *cancellable;
  guint         timeout_id;
  gsize         drained;
  guint8        buf[16384];
} Lingering;

static void server_cb (SoupServer *server, SoupServerMessage *msg, const char *path,
                       GHashTable *query, gpointer user_data);
static void on_request_started (SoupServer *server, SoupServerMessage *msg, PerchWeb *web);

/* ---- object ---------------------------------------------------------------- */

static void
perch_web_finalize (GObject *object)
{
  PerchWeb *web = PERCH_WEB (object);
  g_clear_object (&web->compliance);
  perch_web_stop (web);
  g_clear_object (&web->server);
  g_clear_pointer (&web->auth, perch_web_auth_free);
  g_clear_pointer (&web->lingering, g_hash_table_unref);
  g_free (web->data_dir);
  G_OBJECT_CLASS (perch_web_parent_class)->finalize (object);
}

static void
perch_web_class_init (PerchWebClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_web_finalize;
}

static void
perch_web_init (PerchWeb *web)
{
  web->lingering = g_hash_table_new (NULL, NULL);
}

PerchWeb *
perch_web_new (PerchChannel *channel, PerchStore *store, GTlsCertificate *cert, GError **error)
{
  g_autoptr(PerchWeb) web = g_object_new (PERCH_TYPE_WEB, NULL);
  web->channel = channel;
  web->store = store;
  /* raw-paths: a room's name or URI may hold "/", sent as %2F; the path is
   * split on the raw "/" first and each segment decoded after. */
  web->server = soup_server_new ("server-header", "perchd/" PACKAGE_VERSION,
                                 "raw-paths", TRUE,
                                 "tls-certificate", cert,
                                 NULL);
  if (web->server == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_FAILED, "cannot create the HTTP server");
      return NULL;
    }
  web->auth = perch_web_auth_new (channel, store);
  g_signal_connect_object (web->server, "request-started", G_CALLBACK (on_request_started), web, 0);
  soup_server_add_handler (web->server, NULL, server_cb, web, NULL);
  return g_steal_pointer (&web);
}

char *
perch_web_listen (PerchWeb *web, const char *host_port, gboolean tls, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (!perch_parse_host_port (host_port, &host, &port, error))
    return NULL;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” is not an IP address", host);
      return NULL;
    }
  if (!tls && !g_inet_address_get_is_loopback (addr))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "plain HTTP is offered on loopback only (127.0.0.1 or ::1): passwords and tokens "
                   "would otherwise cross the network in clear; use HTTPS for %s", host_port);
      return NULL;
    }
  if (tls && soup_server_get_tls_certificate (web->server) == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "HTTPS needs a certificate");
      return NULL;
    }
  g_autoptr(GSocketAddress) want = g_inet_socket_address_new (addr, port);
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (addr), G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, 256);
  if (!g_socket_bind (socket, want, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  if (!soup_server_listen_socket (web->server, socket, tls ? SOUP_SERVER_LISTEN_HTTPS : 0, error))
    return NULL;
  g_autoptr(GSocketAddress) got = g_socket_get_local_address (socket, error);
  if (got == NULL)
    return NULL;
  guint16 bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
  return strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, bound) : g_strdup_printf ("%s:%u", host, bound);
}

static void linger_finish (Lingering *l);

void
perch_web_stop (PerchWeb *web)
{
  web->stopped = TRUE;
  if (web->server != NULL)
    soup_server_disconnect (web->server);
  /* An upload being made durable finishes (or gives up) first: the store
   * and the channel go once this returns. */
  GMainContext *context = g_main_context_ref_thread_default ();
  gint64 until = g_get_monotonic_time () + STOP_WAIT_S * G_USEC_PER_SEC;
  while (web->holds > 0 && g_get_monotonic_time () < until)
    g_main_context_iteration (context, TRUE);
  g_main_context_unref (context);
  /* Refused connections still being drained: cut the wait short, and let
   * their callbacks run so nothing is left behind. */
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, web->lingering);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_cancellable_cancel (((Lingering *) key)->cancellable);
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;
  while (g_hash_table_size (web->lingering) > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
}

PerchWebAuth *
_perch_web_get_auth (PerchWeb *web)
{
  return web->auth;
}

const char *
_perch_web_get_domain (PerchWeb *web)
{
  return perch_channel_get_config (web->channel)->domain;
}

void
_perch_web_hold (PerchWeb *web)
{
  web->holds++;
}

void
_perch_web_release (PerchWeb *web)
{
  g_return_if_fail (web->holds > 0);
  web->holds--;
}

gboolean
_perch_web_is_stopped (PerchWeb *web)
{
  return web->stopped;
}

/* ---- the data dir -------------------------------------------------------------- */

static gboolean
make_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) == 0)
    return TRUE;
  int saved = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot create %s: %s", path, g_strerror (saved));
  return FALSE;
}

/* Removes the regular files of DIR: what transfers under way when perchd
 * stopped left behind. Their names are ours; nothing else lives there. */
static void
sweep (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK) &&
          g_unlink (path) == 0)
        n++;
    }
  if (n > 0)
    g_message ("web: removed %u unfinished transfer%s from %s", n, n == 1 ? "" : "s", dir);
}

gboolean
perch_web_set_data_dir (PerchWeb *web, const char *data_dir, GError **error)
{
  g_autofree char *files = g_build_filename (data_dir, "files", NULL);
  g_autofree char *files_tmp = g_build_filename (data_dir, "files", "tmp", NULL);
  g_autofree char *tmp = g_build_filename (data_dir, "tmp", NULL);
  if (!make_dir (files_tmp, error) || !make_dir (tmp, error))
    return FALSE;
  /* Files are private to perchd (and to whoever runs compliance as it). */
  g_chmod (files, 0700);
  sweep (files_tmp);
  sweep (tmp);
  g_free (web->data_dir);
  web->data_dir = g_strdup (data_dir);
  return TRUE;
}

void
perch_web_set_compliance (PerchWeb *web, PerchCompliance *compliance)
{
  g_set_object (&web->compliance, compliance);
}

PerchCompliance *
_perch_web_get_compliance (PerchWeb *web)
{
  return web->compliance;
}

PerchStore *
_perch_web_get_store (PerchWeb *web)
{
  return web->store;
}

const char *
_perch_web_get_data_dir (PerchWeb *web)
{
  return web->data_dir;
}

int
_perch_web_temp_open (PerchWeb *web, const char *subdir, char **path, GError **error)
{
  g_return_val_if_fail (web->data_dir != NULL, -1);
  g_autofree char *name = perch_random_hex (16);
  g_autofree char *full = g_build_filename (web->data_dir, subdir, name, NULL);
  int fd = open (full, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot create a temporary file in %s: %s",
                   subdir, g_strerror (saved));
      return -1;
    }
  *path = g_steal_pointer (&full);
  return fd;
}

/* ---- connections ------------------------------------------------------------- */

gboolean
perch_web_message_is_tls (SoupServerMessage *msg)
{
  return g_strcmp0 (g_uri_get_scheme (soup_server_message_get_uri (msg)), "https") == 0;
}

gboolean
perch_web_message_is_loopback (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);
  return addr != NULL && G_IS_INET_SOCKET_ADDRESS (addr) &&
         g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
}

/* ---- errors -------------------------------------------------------------------- */

const char *
perch_web_error_code (int status)
{
  switch (status)
    {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 411: return "length_required";
    case 413: return "too_large";
    case 422: return "rule_violation";
    case 429: return "too_many_requests";
    case 503: return "busy";
    case 507: return "insufficient_storage";
    default:  return "server_error";
    }
}

static char *
error_json (int status, const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, perch_web_error_code (status));
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
set_json (SoupServerMessage *msg, int status, char *text)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

void
perch_web_message_error (SoupServerMessage *msg, int status, const char *message)
{
  if (status == 503)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  set_json (msg, status, error_json (status, message));
}

void
perch_web_reply_error (PerchWebRequest *req, const GError *error)
{
  int status = 500;
  if (error->domain == PERCH_ERROR)
    switch (error->code)
      {
      case PERCH_ERROR_BAD_REQUEST:
      case PERCH_ERROR_ACCESS_DENIED:
      case PERCH_ERROR_NOT_FOUND:
      case PERCH_ERROR_CONFLICT:
      case PERCH_ERROR_TOO_LARGE:
      case PERCH_ERROR_RULE:
      case PERCH_ERROR_BUSY:
        status = error->code;
        break;
      default:
        break;
      }
  /* A full disk is the server's condition, but one the client should hear
   * of as such rather than as a failure in the log. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE) ||
      g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
    {
      perch_web_message_error (req->msg, 507, "the server's disk is full");
      return;
    }
  if (status == 500)
    {
      /* The store's own words stay in the log: they describe the server,
       * not the request. */
      g_message ("web: %s %s failed: %s", req->route->method, req->route->path, error->message);
      perch_web_message_error (req->msg, 500, "the server failed; the details are in its log");
      return;
    }
  perch_web_message_error (req->msg, status, error->message);
}

void
perch_web_reply (PerchWebRequest *req, int status, JsonNode *node)
{
  if (node == NULL)
    {
      soup_server_message_set_status (req->msg, status, NULL);
      return;
    }
  char *text = json_to_string (node, FALSE);
  json_node_unref (node);
  set_json (req->msg, status, text);
}

/* ---- bounded bodies ------------------------------------------------------------- */

static void
body_state_free (BodyState *st)
{
  g_byte_array_unref (st->data);
  g_free (st);
}

static void
lingering_free (Lingering *l)
{
  if (l->timeout_id)
    g_source_remove (l->timeout_id);
  g_hash_table_remove (l->web->lingering, l);
  g_object_unref (l->web);
  g_object_unref (l->stream);
  g_bytes_unref (l->response);
  g_object_unref (l->cancellable);
  g_free (l);
}

static void
linger_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  lingering_free (user_data);
}

static void
linger_finish (Lingering *l)
{
  if (l->timeout_id)
    {
      g_source_remove (l->timeout_id);
      l->timeout_id = 0;
    }
  /* A fresh cancellable: the old one may be what ended the draining, and
   * the close must still run. */
  g_io_stream_close_async (l->stream, G_PRIORITY_DEFAULT, NULL, linger_closed, l);
}

static gboolean
linger_timeout (gpointer data)
{
  Lingering *l = data;
  l->timeout_id = 0;
  g_cancellable_cancel (l->cancellable);
  return G_SOURCE_REMOVE;
}

static void
linger_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lingering *l = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);
  if (n <= 0 || (l->drained += (gsize) n) >= LINGER_BYTES || g_cancellable_is_cancelled (l->cancellable))
    {
      linger_finish (l);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (l->stream), l->buf, sizeof l->buf,
                             G_PRIORITY_LOW, l->cancellable, linger_read, l);
}

static void
linger_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lingering *l = user_data;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL) ||
      g_hash_table_size (l->web->lingering) > LINGER_MAX || g_cancellable_is_cancelled (l->cancellable))
    {
      linger_finish (l);
      return;
    }
  /* libsoup hands the socket over with the stream it gives back. */
  GSocket *socket = g_object_get_data (G_OBJECT (l->stream), "GSocket");
  if (socket != NULL)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
  g_input_stream_read_async (g_io_stream_get_input_stream (l->stream), l->buf, sizeof l->buf,
                             G_PRIORITY_LOW, l->cancellable, linger_read, l);
}

/* Takes MSG's connection from libsoup and sends the answer already set on
 * MSG (status, JSON body, and the headers a refusal may carry) directly:
 * libsoup would otherwise read the whole body before answering. */
static void
steal_and_answer (PerchWeb *web, SoupServerMessage *msg)
{
  guint status = soup_server_message_get_status (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_response_body (msg));
  GIOStream *stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;
  Lingering *l = g_new0 (Lingering, 1);
  l->web = g_object_ref (web);
  l->stream = stream;
  l->cancellable = g_cancellable_new ();
  GString *text = g_string_new (NULL);
  gsize body_len = 0;
  const char *body_data = g_bytes_get_data (body, &body_len);
  g_string_append_printf (text,
                          "HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %zu\r\n"
                          "Cache-Control: no-store\r\n"
                          "X-Content-Type-Options: nosniff\r\n"
                          "Connection: close\r\n",
                          status, soup_status_get_phrase (status), body_len);
  static const char *const kept[] = { "WWW-Authenticate", "Retry-After" };
  for (guint i = 0; i < G_N_ELEMENTS (kept); i++)
    {
      const char *value = soup_message_headers_get_one (headers, kept[i]);
      if (value != NULL)
        g_string_append_printf (text, "%s: %s\r\n", kept[i], value);
    }
  g_string_append (text, "\r\n");
  g_string_append_len (text, body_data ? body_data : "", (gssize) body_len);
  l->response = g_string_free_to_bytes (text);
  g_hash_table_add (web->lingering, l);
  l->timeout_id = g_timeout_add (LINGER_MS, linger_timeout, l);
  gsize len;
  const void *data = g_bytes_get_data (l->response, &len);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), data, len, G_PRIORITY_DEFAULT,
                                   l->cancellable, linger_written, l);
}

/* Answers STATUS on MSG's connection, taken from libsoup, mid-body. */
static void
refuse_connection (PerchWeb *web, SoupServerMessage *msg, int status, const char *message)
{
  perch_web_message_error (msg, status, message);
  steal_and_answer (web, msg);
}

/* MSG is answered (status and body set) before a byte of its body was
 * read. A client waiting for 100 Continue never sends the body, and
 * libsoup answers it; any other has its connection taken. */
static void
refuse_before_body (PerchWeb *web, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  if (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  else
    steal_and_answer (web, msg);
}

static void
upload_free (PerchWebUpload *upload)
{
  if (upload->fd >= 0)
    close (upload->fd);
  if (upload->path != NULL)
    g_unlink (upload->path);
  g_free (upload->path);
  g_free (upload->limit_message);
  if (upload->sha256 != NULL)
    g_checksum_free (upload->sha256);
  if (upload->data_free != NULL && upload->data != NULL)
    upload->data_free (upload->data);
  g_free (upload);
}

static void
upload_status_error (SoupServerMessage *msg, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    perch_web_message_error (msg, 507, "the server's disk is full");
  else if (error->domain == PERCH_ERROR && error->code >= 400 && error->code < 500)
    perch_web_message_error (msg, error->code, error->message);
  else if (error->domain == PERCH_ERROR && error->code == PERCH_ERROR_BUSY)
    perch_web_message_error (msg, 503, error->message);
  else
    {
      g_message ("web: an upload failed: %s", error->message);
      perch_web_message_error (msg, 500, "the server failed; the details are in its log");
    }
}

static const PerchWebRoute *find_route (SoupServerMessage *msg, GHashTable *params, GString *allow,
                                        GError **error);

/* Does libsoup report a chunked body that ends early (the connection
 * closed at a chunk boundary) as an error? Before 3.6.5 (commit 1e32b5e1)
 * it passes for a whole body, so an interrupted upload would be stored
 * truncated: raw bodies must then say their length. */
static gboolean
chunked_bodies_whole (void)
{
  guint major = soup_get_major_version (), minor = soup_get_minor_version (), micro = soup_get_micro_version ();
  return major > 3 || (major == 3 && (minor > 6 || (minor == 6 && micro >= 5)));
}

/* The headers of a request whose body is bytes are in: decide it now, and
 * send its body to a temporary file. */
static void
begin_raw_body (PerchWeb *web, SoupServerMessage *msg, const PerchWebRoute *route)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  find_route (msg, params, NULL, NULL);
  PerchWebRequest req = {
    .web = web, .msg = msg, .route = route, .params = params, .channel = web->channel,
  };
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (response_headers, "Cache-Control", "no-store");
  soup_message_headers_replace (response_headers, "X-Content-Type-Options", "nosniff");
  req.actor = perch_web_auth_check (web->auth, msg);
  if (req.actor == NULL)
    {
      refuse_before_body (web, msg);   /* answered: 401 or 429 */
      return;
    }
  if (web->data_dir == NULL || web->stopped)
    {
      perch_web_message_error (msg, 503, "file transfer is not set up on this server");
      refuse_before_body (web, msg);
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED && !chunked_bodies_whole ())
    {
      perch_web_message_error (msg, 411, "send the body with a Content-Length: this server cannot tell a "
                                         "chunked body cut short from a whole one");
      refuse_before_body (web, msg);
      return;
    }
  PerchWebUpload *upload = g_new0 (PerchWebUpload, 1);
  upload->fd = -1;
  if (!route->begin (&req, upload, &error))
    {
      upload_free (upload);
      upload_status_error (msg, error);
      refuse_before_body (web, msg);
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > upload->max)
    {
      perch_web_message_error (msg, 413, upload->limit_message);
      upload_free (upload);
      refuse_before_body (web, msg);
      return;
    }
  upload->fd = _perch_web_temp_open (web, upload->subdir, &upload->path, &error);
  if (upload->fd < 0)
    {
      upload_free (upload);
      upload_status_error (msg, error);
      refuse_before_body (web, msg);
      return;
    }
  upload->sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  /* Freed with the message, whichever way it ends: the temporary file goes
   * with it unless a handler took it. */
  g_object_set_data_full (G_OBJECT (msg), "perch-upload", upload, (GDestroyNotify) upload_free);
}

static gboolean
upload_write (PerchWebUpload *upload, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (upload->fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = n < 0 ? errno : ENOSPC;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "writing an upload: %s", g_strerror (saved));
          return FALSE;
        }
      g_checksum_update (upload->sha256, data, n);
      upload->size += n;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static void
on_got_headers (SoupServerMessage *msg, PerchWeb *web)
{
  if (soup_server_message_get_status (msg) != 0)
    return;   /* libsoup already answers it (a malformed request) */
  const PerchWebRoute *route = find_route (msg, NULL, NULL, NULL);
  if (route != NULL && route->raw_body != NULL)
    {
      begin_raw_body (web, msg, route);
      return;
    }
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length (headers) > PERCH_WEB_MAX_BODY)
    {
      g_autofree char *message = g_strdup_printf ("request bodies are limited to %d bytes", PERCH_WEB_MAX_BODY);
      perch_web_message_error (msg, 413, message);
      refuse_before_body (web, msg);
      return;
    }
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  BodyState *st = g_new0 (BodyState, 1);
  st->data = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (msg), "perch-body", st, (GDestroyNotify) body_state_free);
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, PerchWeb *web)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (chunk, &len);
  PerchWebUpload *upload = g_object_get_data (G_OBJECT (msg), "perch-upload");
  if (upload != NULL)
    {
      g_autoptr(GError) error = NULL;
      if (upload->size + (gint64) len > upload->max)
        {
          g_autofree char *message = g_strdup (upload->limit_message);
          g_object_set_data (G_OBJECT (msg), "perch-upload", NULL);   /* and its temporary file */
          refuse_connection (web, msg, 413, message);
        }
      else if (!upload_write (upload, data, len, &error))
        {
          g_object_set_data (G_OBJECT (msg), "perch-upload", NULL);
          upload_status_error (msg, error);
          steal_and_answer (web, msg);
        }
      return;
    }
  BodyState *st = g_object_get_data (G_OBJECT (msg), "perch-body");
  if (st == NULL)
    return;
  if (st->data->len + len > PERCH_WEB_MAX_BODY)
    {
      g_autofree char *message = g_strdup_printf ("request bodies are limited to %d bytes", PERCH_WEB_MAX_BODY);
      g_object_set_data (G_OBJECT (msg), "perch-body", NULL);
      refuse_connection (web, msg, 413, message);
      return;
    }
  g_byte_array_append (st->data, data, len);
}

/* libsoup 3.1.2 to 3.3.x keep the reference g_socket_accept() returned
 * (listen_watch in soup-listener.c), so every accepted connection's GSocket
 * outlives it: a slow leak any client can drive. The first message of a
 * connection starts while that reference is still the only one besides the
 * connection's own; dropping it there leaves the connection exactly as a
 * fixed libsoup would. Guarded by version (meson asks for 3.2 at least) and
 * by the count itself, so a fixed or patched libsoup is left alone. */
static void
plug_listener_leak (SoupServerMessage *msg)
{
  static GQuark seen;
  guint minor = soup_get_minor_version ();
  if (soup_get_major_version () != 3 || minor < 2 || minor >= 4)
    return;
  GSocket *socket = soup_server_message_get_socket (msg);
  if (socket == NULL)
    return;
  if (seen == 0)
    seen = g_quark_from_static_string ("perch-listener-leak-checked");
  if (g_object_get_qdata (G_OBJECT (socket), seen) != NULL)
    return;
  g_object_set_qdata (G_OBJECT (socket), seen, GINT_TO_POINTER (1));
  if (g_atomic_int_get (&G_OBJECT (socket)->ref_count) == 2)
    g_object_unref (socket);
}

static void
on_request_started (SoupServer *server, SoupServerMessage *msg, PerchWeb *web)
{
  plug_listener_leak (msg);
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers), web, 0);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (on_got_chunk), web, 0);
}

/* ---- routing --------------------------------------------------------------------- */

typedef struct {
  const PerchWebRoute *route;
  char               **segments;   /* the template split on "/" */
} CompiledRoute;

static CompiledRoute *
compiled_routes (guint *n_out)
{
  static CompiledRoute *compiled;
  static guint n;
  if (g_once_init_enter (&compiled))
    {
      guint count = 0;
      while (perch_web_route_table[count].method)
        count++;
      CompiledRoute *table = g_new0 (CompiledRoute, count);
      for (guint i = 0; i < count; i++)
        {
          table[i].route = &perch_web_route_table[i];
          table[i].segments = g_strsplit (perch_web_route_table[i].path + 1, "/", -1);
        }
      n = count;
      g_once_init_leave (&compiled, table);
    }
  *n_out = n;
  return compiled;
}

const PerchWebRouteInfo *
perch_web_routes (void)
{
  static PerchWebRouteInfo *infos;
  if (g_once_init_enter (&infos))
    {
      guint n = 0;
      while (perch_web_route_table[n].method)
        n++;
      PerchWebRouteInfo *table = g_new0 (PerchWebRouteInfo, n + 1);
      for (guint i = 0; i < n; i++)
        {
          table[i].method = perch_web_route_table[i].method;
          table[i].path = perch_web_route_table[i].path;
        }
      g_once_init_leave (&infos, table);
    }
  return infos;
}

/* Splits the raw path into decoded segments; FALSE with a message for a
 * path that cannot name anything ("..", bad escapes, not UTF-8). */
static char **
split_path (const char *raw, GError **error)
{
  if (raw == NULL || raw[0] != '/')
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "the path must start with /");
      return NULL;
    }
  g_auto(GStrv) raw_segments = g_strsplit (raw + 1, "/", -1);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; raw_segments[i]; i++)
    {
      char *seg = g_uri_unescape_string (raw_segments[i], NULL);
      if (seg == NULL || !g_utf8_validate (seg, -1, NULL) ||
          strcmp (seg, ".") == 0 || strcmp (seg, "..") == 0 ||
          strcmp (raw_segments[i], ".") == 0 || strcmp (raw_segments[i], "..") == 0)
        {
          g_free (seg);
          g_ptr_array_unref (out);
          g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                               "path segments must be UTF-8 and may not be “.” or “..” or hold %00");
          return NULL;
        }
      g_ptr_array_add (out, seg);
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static gboolean
match_route (const CompiledRoute *cr, char **segments, GHashTable *params)
{
  guint n = g_strv_length (segments);
  if (g_strv_length (cr->segments) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const char *t = cr->segments[i];
      if (t[0] == '{')
        {
          if (segments[i][0] == '\0')
            return FALSE;
        }
      else if (strcmp (t, segments[i]) != 0)
        return FALSE;
    }
  if (params != NULL)
    for (guint i = 0; i < n; i++)
      if (cr->segments[i][0] == '{')
        g_hash_table_insert (params, g_strndup (cr->segments[i] + 1, strlen (cr->segments[i]) - 2),
                             g_strdup (segments[i]));
  return TRUE;
}

/* The route MSG's path and method name, filling PARAMS (may be NULL) with
 * its {name} segments. NULL when none: ALLOW (may be NULL) then lists the
 * methods the path has, and ERROR (may be NULL) says why a path cannot
 * name anything. */
static const PerchWebRoute *
find_route (SoupServerMessage *msg, GHashTable *params, GString *allow, GError **error)
{
  g_auto(GStrv) segments = split_path (g_uri_get_path (soup_server_message_get_uri (msg)), error);
  if (segments == NULL)
    return NULL;
  guint n_routes;
  CompiledRoute *routes = compiled_routes (&n_routes);
  const char *method = soup_server_message_get_method (msg);
  for (guint i = 0; i < n_routes; i++)
    if (match_route (&routes[i], segments, NULL))
      {
        if (strcmp (routes[i].route->method, method) == 0)
          {
            if (params != NULL)
              match_route (&routes[i], segments, params);
            return routes[i].route;
          }
        if (allow != NULL)
          g_string_append_printf (allow, "%s%s", allow->len ? ", " : "", routes[i].route->method);
      }
  return NULL;
}

/* ---- query parameters ---------------------------------------------------------------- */

static gboolean
parse_number (const char *text, double *out)
{
  char *end = NULL;
  if (text == NULL || *text == '\0' || strlen (text) > 32)
    return FALSE;
  double v = g_ascii_strtod (text, &end);
  if (*end != '\0' || !(v >= 0) || v > 1e15)
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
check_query (const PerchWebRoute *route, GHashTable *query, GError **error)
{
  if (query == NULL)
    return TRUE;
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const PerchWebParam *param = NULL;
      for (guint i = 0; route->query && route->query[i].name; i++)
        if (strcmp (route->query[i].name, key) == 0)
          param = &route->query[i];
      if (param == NULL)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "unknown query parameter “%s”",
                       (const char *) key);
          return FALSE;
        }
      const char *text = value;
      gboolean ok = g_utf8_validate (text, -1, NULL);
      gint64 n;
      double d;
      switch (param->type)
        {
        case PERCH_WEB_PARAM_STRING:
          break;
        case PERCH_WEB_PARAM_ENUM:
          ok = ok && g_strv_contains (param->values, text);
          break;
        case PERCH_WEB_PARAM_BOOL:
          ok = ok && (strcmp (text, "true") == 0 || strcmp (text, "false") == 0);
          break;
        case PERCH_WEB_PARAM_INT:
          ok = ok && g_ascii_string_to_signed (text, 10, param->min, param->max, &n, NULL);
          break;
        case PERCH_WEB_PARAM_NUMBER:
          ok = ok && parse_number (text, &d);
          break;
        case PERCH_WEB_PARAM_TIME:
          ok = ok && perch_parse_ts (text, &n);
          break;
        }
      if (!ok)
        {
          g_autofree char *expected = NULL;
          switch (param->type)
            {
            case PERCH_WEB_PARAM_ENUM:
              {
                g_autofree char *values = g_strjoinv (", ", (char **) param->values);
                expected = g_strdup_printf ("one of %s", values);
                break;
              }
            case PERCH_WEB_PARAM_BOOL:
              expected = g_strdup ("true or false");
              break;
            case PERCH_WEB_PARAM_INT:
              expected = g_strdup_printf ("an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                                          param->min, param->max);
              break;
            case PERCH_WEB_PARAM_NUMBER:
              expected = g_strdup ("a non-negative number");
              break;
            case PERCH_WEB_PARAM_TIME:
              expected = g_strdup ("an ISO-8601 date-time with a zone");
              break;
            default:
              expected = g_strdup ("UTF-8 text");
              break;
            }
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "query parameter “%s” must be %s",
                       (const char *) key, expected);
          return FALSE;
        }
    }
  return TRUE;
}

const char *
perch_web_param (PerchWebRequest *req, const char *name)
{
  return g_hash_table_lookup (req->params, name);
}

const char *
perch_web_query (PerchWebRequest *req, const char *name)
{
  return req->query ? g_hash_table_lookup (req->query, name) : NULL;
}

gboolean
perch_web_query_int (PerchWebRequest *req, const char *name, gint64 *out)
{
  const char *text = perch_web_query (req, name);
  if (text == NULL)
    return FALSE;
  if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, out, NULL))
    {
      double d;
      if (!parse_number (text, &d))
        return FALSE;
      *out = (gint64) d;
    }
  return TRUE;
}

gboolean
perch_web_query_time (PerchWebRequest *req, const char *name, gint64 *out)
{
  const char *text = perch_web_query (req, name);
  return text != NULL && perch_parse_ts (text, out);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static gboolean
is_json_type (SoupServerMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);
  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

static void
server_cb (SoupServer *server, SoupServerMessage *msg, const char *path_arg, GHashTable *query,
           gpointer user_data)
{
  PerchWeb *web = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  /* Answers carry tokens and private room data: never cached, never sniffed. */
  soup_message_headers_replace (response_headers, "Cache-Control", "no-store");
  soup_message_headers_replace (response_headers, "X-Content-Type-Options", "nosniff");

  g_autoptr(GError) error = NULL;
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const PerchWebRoute *route = find_route (msg, params, allow, &error);
  if (route == NULL && error != NULL)
    {
      perch_web_message_error (msg, 400, error->message);
      return;
    }
  if (route == NULL && allow->len > 0)
    {
      soup_message_headers_replace (response_headers, "Allow", allow->str);
      g_autofree char *message = g_strdup_printf ("%s is not allowed here; allowed: %s", method, allow->str);
      perch_web_message_error (msg, 405, message);
      return;
    }
  if (route == NULL)
    {
      perch_web_message_error (msg, 404, "no such resource");
      return;
    }

  PerchWebRequest req = {
    .web = web, .msg = msg, .route = route, .params = params, .query = query, .channel = web->channel,
  };
  if (!(route->flags & PERCH_WEB_PUBLIC))
    {
      req.actor = perch_web_auth_check (web->auth, msg);
      if (req.actor == NULL)
        return;   /* answered: 401 or 429 */
    }
  if (!check_query (route, query, &error))
    {
      perch_web_message_error (msg, 400, error->message);
      return;
    }

  if (route->raw_body != NULL)
    {
      /* Received into a temporary file, decided at its headers (see
       * begin_raw_body); never here without one. */
      req.upload = g_object_get_data (G_OBJECT (msg), "perch-upload");
      if (req.upload == NULL)
        {
          perch_web_message_error (msg, 503, "file transfer is not set up on this server");
          return;
        }
      route->handler (&req);
      return;
    }

  BodyState *st = g_object_get_data (G_OBJECT (msg), "perch-body");
  gsize body_len = st ? st->data->len : 0;
  g_autoptr(JsonNode) body = NULL;
  if (route->body == NULL && body_len > 0)
    {
      perch_web_message_error (msg, 400, "this request takes no body");
      return;
    }
  if (route->body != NULL)
    {
      /* Only JSON is accepted: a browser cannot send that cross-site without
       * a CORS preflight (which this server never grants), so a page
       * elsewhere cannot ride on credentials the browser holds. */
      if (body_len == 0 || !is_json_type (msg))
        {
          perch_web_message_error (msg, 400, body_len == 0 ? "a JSON body is required"
                                                           : "the body must be sent as application/json");
          return;
        }
      body = perch_web_parse_body ((const char *) st->data->data, body_len, &error);
      if (body == NULL || !perch_web_check_object (body, perch_web_schema_lookup (route->body), &error))
        {
          perch_web_message_error (msg, 400, error->message);
          return;
        }
      req.body = json_node_get_object (body);
    }
  route->handler (&req);
}

/* ---- paused messages and file answers ------------------------------------------------- */

struct _PerchWebPause {
  PerchWeb          *web;
  SoupServerMessage *msg;
  gboolean           gone;    /* finished or disconnected meanwhile: nothing to resume */
};

static void
pause_gone (SoupServerMessage *msg, PerchWebPause *pause)
{
  pause->gone = TRUE;
}

PerchWebPause *
_perch_web_pause (PerchWebRequest *req)
{
  PerchWebPause *pause = g_new0 (PerchWebPause, 1);
  pause->web = g_object_ref (req->web);
  pause->msg = g_object_ref (req->msg);
  g_signal_connect (pause->msg, "finished", G_CALLBACK (pause_gone), pause);
  g_signal_connect (pause->msg, "disconnected", G_CALLBACK (pause_gone), pause);
  soup_server_message_pause (pause->msg);
  _perch_web_hold (pause->web);
  return pause;
}

SoupServerMessage *
_perch_web_pause_message (PerchWebPause *pause)
{
  return pause->msg;
}

void
_perch_web_resume (PerchWebPause *pause)
{
  g_signal_handlers_disconnect_by_data (pause->msg, pause);
  if (!pause->gone && !pause->web->stopped)
    soup_server_message_unpause (pause->msg);
  _perch_web_release (pause->web);
  g_object_unref (pause->msg);
  g_object_unref (pause->web);
  g_free (pause);
}

typedef struct {
  int      fd;
  gint64   left;      /* bytes not yet queued */
  gboolean ended;     /* completed, or failed */
} FileStream;

static void
file_stream_free (FileStream *fs)
{
  if (fs->fd >= 0)
    close (fs->fd);
  g_free (fs);
}

/* Reads the next chunk into a new buffer; NULL at a read error or an
 * early end (the file changed under us). */
static GBytes *
file_stream_read (FileStream *fs)
{
  gsize want = (gsize) MIN ((gint64) STREAM_CHUNK, fs->left);
  guint8 *buf = g_malloc (want);
  gsize got = 0;
  while (got < want)
    {
      ssize_t n = read (fs->fd, buf + got, want - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_free (buf);
          return NULL;
        }
      got += (gsize) n;
    }
  fs->left -= (gint64) got;
  return g_bytes_new_take (buf, got);
}

static gboolean
abort_connection (gpointer data)
{
  GIOStream *stream = soup_server_message_steal_connection (data);
  if (stream != NULL)
    {
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
    }
  return G_SOURCE_REMOVE;
}

/* libsoup wrote the previous chunk (and, the body not accumulating,
 * dropped it): queue the next, or say the body is complete. */
static void
on_wrote_chunk (SoupServerMessage *msg, FileStream *fs)
{
  if (fs->ended)
    return;
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  if (fs->left == 0)
    {
      fs->ended = TRUE;
      soup_message_body_complete (body);
      return;
    }
  g_autoptr(GBytes) chunk = file_stream_read (fs);
  if (chunk != NULL)
    {
      soup_message_body_append_bytes (body, chunk);
      return;
    }
  /* The status and length are long sent: all that is left is to close,
   * so the client sees a short body rather than a wrong one. */
  fs->ended = TRUE;
  g_warning ("web: reading a file being sent failed: %s; closing its connection", g_strerror (errno));
  g_idle_add_full (G_PRIORITY_DEFAULT, abort_connection, g_object_ref (msg), g_object_unref);
}

void
_perch_web_stream_fd (PerchWebRequest *req, int fd, gint64 size, const char *content_type)
{
  SoupServerMessage *msg = req->msg;
  FileStream *fs = g_new0 (FileStream, 1);
  fs->fd = fd;
  fs->left = size;
  g_autoptr(GBytes) first = size > 0 ? file_stream_read (fs) : NULL;
  if (size > 0 && first == NULL)
    {
      g_warning ("web: reading a file to send failed: %s", g_strerror (errno));
      file_stream_free (fs);
      perch_web_message_error (msg, 500, "the server failed; the details are in its log");
      return;
    }
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_set_content_length (headers, size);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_server_message_set_status (msg, 200, NULL);
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  soup_message_body_set_accumulate (body, FALSE);
  if (first != NULL)
    soup_message_body_append_bytes (body, first);
  if (fs->left == 0)
    {
      fs->ended = TRUE;
      soup_message_body_complete (body);
    }
  g_object_set_data_full (G_OBJECT (msg), "perch-stream", fs, (GDestroyNotify) file_stream_free);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), fs);
}
