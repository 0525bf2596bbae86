/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-rules.c: the admin-model rules for chatting, against the real perchd
 * on loopback with its demo pool (admin-model.md, "Who may do what").
 *
 * For every demo user and room: whether chansrch lists the room, and the
 * result of join, bccontext and a post, table-driven. Then the rules one at a
 * time: a secret room answers exactly as a missing one (compared byte for
 * byte on a hand-driven SIP connection), auditoriums, a user not enabled for
 * persistent chat, posting without joining, posting as someone else, and
 * bjoin with allowed and forbidden rooms mixed. The rules the demo pool
 * cannot show (group principals, empty member lists inheriting the category,
 * disabled rooms, denied-over-allowed in general) are unit-tested in
 * test-policy.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "perch-common.h"
#include "perch-sip-message.h"
#include "perch-xccos.h"
#include "perch-test-util.h"

/* ---- a raw SIP connection ----------------------------------------------
 *
 * The bytes on the wire are the test's own: requests are written as text,
 * and what perchd sends back is framed and parsed with the library's framer
 * and libosip2, but never interpreted for us. Everything is asynchronous on
 * the thread-default main context and waited for with perch_test_wait. */

#define RAW_TIMEOUT_MS 20000
#define DOMAIN         "example.test"

typedef struct {
  GBytes         *bytes;   /* the message as received */
  osip_message_t *msg;     /* parsed; NULL when it did not parse */
  gboolean        used;    /* a wait returned it already */
} RawFrame;

typedef struct {
  GSocketConnection *conn;
  GCancellable   *cancel;
  PerchSipFramer *framer;
  GPtrArray      *frames;       /* RawFrame*, in arrival order */
  GString        *received;     /* every byte perchd sent on this connection */
  gboolean        reading;
  gboolean        eof;          /* perchd closed (or reset) the connection */
  gboolean        writing;
  GError         *write_error;
  guint           mark;         /* frames->len when the last write began */
  guint           n_final;      /* final responses received, any request */
  guint8          buf[65536];
  char           *via_host;     /* "127.0.0.1:PORT", our end */
  char           *from_uri;     /* "sip:alice@example.test" */
  char           *from_tag;
  char           *reg_call_id;
  guint           cseq;
  char           *authorization; /* the last Proxy-Authorization sent */
  char           *call_id, *remote_tag;  /* the chat dialog */
  gint64          envid, seqid;
} Raw;

static void
raw_frame_free (RawFrame *f)
{
  g_bytes_unref (f->bytes);
  if (f->msg != NULL)
    osip_message_free (f->msg);
  g_free (f);
}

static void raw_start_read (Raw *raw);

static void
raw_read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Raw *raw = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  raw->reading = FALSE;
  if (n <= 0)
    {
      raw->eof = TRUE;   /* EOF, a reset, or our own cancellation */
      return;
    }
  g_string_append_len (raw->received, (const char *) raw->buf, n);
  perch_sip_framer_push (raw->framer, raw->buf, n);
  for (;;)
    {
      GBytes *bytes = NULL;
      g_autoptr(GError) frame_error = NULL;
      PerchSipFrameResult r = perch_sip_framer_next (raw->framer, &bytes, &frame_error);
      if (r == PERCH_SIP_FRAME_KEEPALIVE)
        continue;
      if (r != PERCH_SIP_FRAME_MESSAGE)
        {
          if (r == PERCH_SIP_FRAME_ERROR)
            g_test_message ("perchd sent something that does not frame: %s", frame_error->message);
          break;
        }
      RawFrame *f = g_new0 (RawFrame, 1);
      f->bytes = bytes;
      f->msg = perch_sip_parse (bytes, NULL);
      if (f->msg != NULL && MSG_IS_RESPONSE (f->msg) && f->msg->status_code >= 200)
        raw->n_final++;
      g_ptr_array_add (raw->frames, f);
    }
  raw_start_read (raw);
}

static void
raw_start_read (Raw *raw)
{
  if (raw->reading || raw->eof)
    return;
  raw->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (raw->conn)),
                             raw->buf, sizeof raw->buf, G_PRIORITY_DEFAULT, raw->cancel,
                             raw_read_done, raw);
}

static Raw *
raw_connect (PerchTestServer *server)
{
  g_autoptr(GError) error = NULL;
  /* No socket timeout: GIO would apply it to every later read too, and
   * a connection that waits on perchd must not end by itself. */
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  Raw *raw = g_new0 (Raw, 1);
  raw->conn = g_socket_client_connect_to_host (client, server->host, server->sip_port, NULL, &error);
  g_assert_no_error (error);
  raw->cancel = g_cancellable_new ();
  raw->framer = perch_sip_framer_new ();
  raw->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) raw_frame_free);
  raw->received = g_string_new (NULL);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (raw->conn, &error);
  g_assert_no_error (error);
  g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  raw->via_host = g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  raw->from_uri = g_strdup ("sip:nobody@" DOMAIN);
  raw->from_tag = perch_random_hex (4);
  raw->reg_call_id = perch_random_hex (8);
  raw_start_read (raw);
  return raw;
}

static gboolean
raw_idle (gpointer data)
{
  Raw *raw = data;
  return !raw->reading && !raw->writing;
}

static void
raw_free (Raw *raw)
{
  if (raw == NULL)
    return;
  g_cancellable_cancel (raw->cancel);
  g_assert_true (perch_test_wait (raw_idle, raw, RAW_TIMEOUT_MS));
  g_io_stream_close (G_IO_STREAM (raw->conn), NULL, NULL);
  g_object_unref (raw->conn);
  g_object_unref (raw->cancel);
  perch_sip_framer_free (raw->framer);
  g_ptr_array_unref (raw->frames);
  g_string_free (raw->received, TRUE);
  g_clear_error (&raw->write_error);
  g_free (raw->via_host);
  g_free (raw->from_uri);
  g_free (raw->from_tag);
  g_free (raw->reg_call_id);
  g_free (raw->authorization);
  g_free (raw->call_id);
  g_free (raw->remote_tag);
  g_free (raw);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

static void
raw_write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Raw *raw = user_data;
  g_clear_error (&raw->write_error);
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &raw->write_error);
  raw->writing = FALSE;
}

static gboolean
raw_not_writing (gpointer data)
{
  return !((Raw *) data)->writing;
}

/* Writes LEN bytes; FALSE when perchd would not take them all (it closed
 * the connection on us). */
static gboolean
raw_send (Raw *raw, const void *data, gsize len)
{
  g_assert_false (raw->writing);
  raw->writing = TRUE;
  /* What arrives from here on may answer this; nothing before can. */
  raw->mark = raw->frames->len;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (raw->conn)),
                                   data, len, G_PRIORITY_DEFAULT, raw->cancel, raw_write_done, raw);
  if (!perch_test_wait (raw_not_writing, raw, RAW_TIMEOUT_MS))
    g_error ("writing %" G_GSIZE_FORMAT " bytes to perchd did not finish within %u ms", len, RAW_TIMEOUT_MS);
  if (raw->write_error != NULL)
    g_test_message ("write refused: %s", raw->write_error->message);
  return raw->write_error == NULL;
}

static gboolean
raw_send_string (Raw *raw, const GString *s)
{
  return raw_send (raw, s->str, s->len);
}

static gboolean
raw_is_eof (gpointer data)
{
  return ((Raw *) data)->eof;
}

/* Did perchd close the connection (within the timeout)? */
G_GNUC_UNUSED static gboolean
raw_wait_closed (Raw *raw)
{
  return perch_test_wait (raw_is_eof, raw, RAW_TIMEOUT_MS);
}

/* A request as a client writes it. FROM_URI "sip:user@domain"; TO_TAG and
 * EXTRA (whole header lines with CRLF) may be NULL; BODY with BODY_LEN. */
static GString *
raw_request (Raw *raw, const char *method, const char *ruri, const char *from_uri,
             const char *to_uri, const char *to_tag, const char *call_id, guint cseq,
             const char *extra, const char *content_type, const char *body, gsize body_len)
{
  GString *s = g_string_new (NULL);
  g_autofree char *branch = perch_random_hex (6);
  g_autofree char *user = g_strndup (from_uri + 4, strcspn (from_uri + 4, "@"));
  g_string_append_printf (s, "%s %s SIP/2.0\r\n", method, ruri);
  g_string_append_printf (s, "Via: SIP/2.0/TCP %s;branch=z9hG4bK%s\r\n", raw->via_host, branch);
  g_string_append (s, "Max-Forwards: 70\r\n");
  g_string_append_printf (s, "From: <%s>;tag=%s\r\n", from_uri, raw->from_tag);
  g_string_append_printf (s, "To: <%s>%s%s\r\n", to_uri, to_tag ? ";tag=" : "", to_tag ? to_tag : "");
  g_string_append_printf (s, "Call-ID: %s\r\n", call_id);
  g_string_append_printf (s, "CSeq: %u %s\r\n", cseq, method);
  g_string_append_printf (s, "Contact: <sip:%s@%s;transport=tcp>\r\n", user, raw->via_host);
  if (extra != NULL)
    g_string_append (s, extra);
  if (content_type != NULL)
    g_string_append_printf (s, "Content-Type: %s\r\n", content_type);
  g_string_append_printf (s, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", body_len);
  if (body_len > 0)
    g_string_append_len (s, body, body_len);
  return s;
}

typedef struct {
  Raw        *raw;
  const char *method;     /* of the CSeq */
  guint       cseq;
  guint       from;       /* the first frame that may be the answer */
  RawFrame   *found;
} ResponseWait;

static gboolean
response_arrived (gpointer data)
{
  ResponseWait *w = data;
  for (guint i = w->from; i < w->raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (w->raw->frames, i);
      if (f->used || f->msg == NULL || !MSG_IS_RESPONSE (f->msg) || f->msg->status_code < 200)
        continue;
      if (g_strcmp0 (f->msg->cseq->method, w->method) == 0 &&
          strtoul (f->msg->cseq->number, NULL, 10) == w->cseq)
        {
          w->found = f;
          return TRUE;
        }
    }
  return w->raw->eof;
}

/* The final response to CSeq CSEQ METHOD, sent by the last write, or NULL
 * when the connection closed without one. It stays the connection's. */
static osip_message_t *
raw_wait_response (Raw *raw, const char *method, guint cseq)
{
  ResponseWait w = { raw, method, cseq, raw->mark, NULL };
  if (!perch_test_wait (response_arrived, &w, RAW_TIMEOUT_MS))
    g_error ("no answer to %s %u within %u ms", method, cseq, RAW_TIMEOUT_MS);
  if (w.found == NULL)
    return NULL;
  w.found->used = TRUE;
  return w.found->msg;
}

static int
status_of (osip_message_t *resp)
{
  return resp ? osip_message_get_status_code (resp) : 0;
}

static const char *
reason_of (osip_message_t *resp)
{
  return resp ? osip_message_get_reason_phrase (resp) : NULL;
}

/* Sends a request outside any dialog with a fresh CSeq and waits for its
 * final response (NULL: the connection closed). */
static osip_message_t *
raw_simple (Raw *raw, const char *method, const char *ruri, const char *from_uri,
            const char *to_uri, const char *call_id, const char *extra,
            const char *content_type, const char *body)
{
  guint cseq = ++raw->cseq;
  g_autoptr(GString) req = raw_request (raw, method, ruri, from_uri, to_uri, NULL, call_id, cseq,
                                        extra, content_type, body, body ? strlen (body) : 0);
  raw_send_string (raw, req);
  return raw_wait_response (raw, method, cseq);
}

static char *
unquote (const char *s)
{
  gsize len = s ? strlen (s) : 0;
  if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
    return g_strndup (s + 1, len - 2);
  return g_strdup (s);
}

static char *
md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

/* RFC 2617 with qop=auth, as the reference says SIPE does it. */
static char *
digest_authorization (const char *account, const char *password, const char *realm,
                      const char *nonce, const char *uri)
{
  g_autofree char *cnonce = perch_random_hex (8);
  g_autofree char *a1 = g_strdup_printf ("%s:%s:%s", account, realm, password);
  g_autofree char *ha1 = md5_hex (a1);
  g_autofree char *a2 = g_strdup_printf ("REGISTER:%s", uri);
  g_autofree char *ha2 = md5_hex (a2);
  g_autofree char *kd = g_strdup_printf ("%s:%s:00000001:%s:auth:%s", ha1, nonce, cnonce, ha2);
  g_autofree char *response = md5_hex (kd);
  return g_strdup_printf ("Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                          "qop=auth, nc=00000001, cnonce=\"%s\", response=\"%s\", algorithm=MD5",
                          account, realm, nonce, uri, cnonce, response);
}

/* REGISTER without credentials: the 407's nonce (NULL when none came). */
static char *
raw_challenge (Raw *raw, const char *account)
{
  g_free (raw->from_uri);
  raw->from_uri = g_strconcat ("sip:", account, NULL);
  osip_message_t *resp = raw_simple (raw, "REGISTER", "sip:" DOMAIN, raw->from_uri, raw->from_uri,
                                     raw->reg_call_id, "Expires: 3600\r\n", NULL, NULL);
  if (status_of (resp) != 407)
    return NULL;
  osip_proxy_authenticate_t *auth = osip_list_get (&resp->proxy_authenticates, 0);
  g_assert_nonnull (auth);
  g_autofree char *realm = unquote (osip_proxy_authenticate_get_realm (auth));
  g_assert_cmpstr (realm, ==, DOMAIN);
  return unquote (osip_proxy_authenticate_get_nonce (auth));
}

/* REGISTER carrying AUTHORIZATION as Proxy-Authorization; the response. */
static osip_message_t *
raw_register_with (Raw *raw, const char *account, const char *authorization)
{
  g_free (raw->from_uri);
  raw->from_uri = g_strconcat ("sip:", account, NULL);
  g_free (raw->authorization);
  raw->authorization = g_strdup (authorization);
  g_autofree char *extra = g_strdup_printf ("Expires: 3600\r\nProxy-Authorization: %s\r\n", authorization);
  return raw_simple (raw, "REGISTER", "sip:" DOMAIN, raw->from_uri, raw->from_uri,
                     raw->reg_call_id, extra, NULL, NULL);
}

/* The whole Digest sign-in; the final response (NULL: closed). */
static osip_message_t *
raw_register (Raw *raw, const char *account, const char *password)
{
  g_autofree char *nonce = raw_challenge (raw, account);
  g_assert_nonnull (nonce);
  g_autofree char *authorization = digest_authorization (account, password, DOMAIN, nonce, "sip:" DOMAIN);
  return raw_register_with (raw, account, authorization);
}

/* REGISTER as NAME ("alice") with the demo password, INVITE of the pool,
 * ACK: a chat session driven by hand. */
static Raw *
raw_session (PerchTestServer *server, const char *name)
{
  Raw *raw = raw_connect (server);
  g_autofree char *account = g_strconcat (name, "@" DOMAIN, NULL);
  g_autofree char *password = g_strconcat (name, "-demo", NULL);
  g_assert_cmpint (status_of (raw_register (raw, account, password)), ==, 200);

  raw->call_id = perch_random_hex (8);
  const char *sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
                    "t=0 0\r\nm=message 5060 sip null\r\n";
  osip_message_t *ok = raw_simple (raw, "INVITE", "sip:ocschat@" DOMAIN, raw->from_uri,
                                   "sip:ocschat@" DOMAIN, raw->call_id, NULL, "application/sdp", sdp);
  g_assert_cmpint (status_of (ok), ==, 200);
  raw->remote_tag = g_strdup (perch_sip_tag (ok->to));
  g_assert_nonnull (raw->remote_tag);
  g_autoptr(GString) ack = raw_request (raw, "ACK", "sip:ocschat@" DOMAIN, raw->from_uri,
                                        "sip:ocschat@" DOMAIN, raw->remote_tag, raw->call_id,
                                        raw->cseq, NULL, NULL, NULL, 0);
  g_assert_true (raw_send_string (raw, ack));
  return raw;
}

/* An INFO in the chat dialog carrying BODY as it is; returns its CSeq. */
static guint
raw_send_info (Raw *raw, const char *body, gsize len)
{
  guint cseq = ++raw->cseq;
  g_autoptr(GString) req = raw_request (raw, "INFO", "sip:ocschat@" DOMAIN, raw->from_uri,
                                        "sip:ocschat@" DOMAIN, raw->remote_tag, raw->call_id, cseq,
                                        NULL, "text/plain", body, len);
  raw_send_string (raw, req);
  return cseq;
}

static osip_message_t *
raw_info (Raw *raw, const char *body, gsize len)
{
  guint cseq = raw_send_info (raw, body, len);
  return raw_wait_response (raw, "INFO", cseq);
}

typedef struct {
  Raw     *raw;
  gint64   seqid, envid;
  guint    from;
  RawFrame *found;
} ReplyWait;

static gboolean
reply_arrived (gpointer data)
{
  ReplyWait *w = data;
  for (guint i = w->from; i < w->raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (w->raw->frames, i);
      if (f->used || f->msg == NULL || !MSG_IS_INFO (f->msg))
        continue;
      gsize len;
      const char *body = perch_sip_body (f->msg, &len);
      g_autoptr(PerchXccosEnvelope) env = body ? perch_xccos_parse (body, len, NULL) : NULL;
      for (guint j = 0; env != NULL && j < env->items->len; j++)
        {
          PerchXccosItem *item = g_ptr_array_index (env->items, j);
          if (item->kind == PERCH_XCCOS_RPL && item->cmd_seqid == w->seqid && item->cmd_envid == w->envid)
            {
              w->found = f;
              return TRUE;
            }
        }
    }
  return w->raw->eof;
}

/* Sends `<cmd id=CMD>` with DATA_XML in an envelope of its own. Returns the
 * SIP status of the INFO; when it is 200, *REPLY is the body of the INFO
 * perchd answered the command with, exactly as it came. */
static int
raw_command (Raw *raw, const char *cmd, const char *data_xml, char **reply)
{
  g_autoptr(GString) body = g_string_new (NULL);
  gint64 envid = ++raw->envid, seqid = ++raw->seqid;
  perch_xccos_begin (body, envid);
  perch_xccos_append_cmd (body, cmd, seqid, data_xml);
  perch_xccos_end (body);
  int status = status_of (raw_info (raw, body->str, body->len));
  *reply = NULL;
  if (status != 200)
    return status;
  ReplyWait w = { raw, seqid, envid, raw->mark, NULL };
  if (!perch_test_wait (reply_arrived, &w, RAW_TIMEOUT_MS) || w.found == NULL)
    g_error ("no XCCOS reply to %s", cmd);
  w.found->used = TRUE;
  gsize len;
  const char *text = perch_sip_body (w.found->msg, &len);
  *reply = g_strndup (text, len);
  return status;
}

/* A post as SIPE sends it, with AUTHOR as given (NULL: left out). The
 * response to its INFO. */
G_GNUC_UNUSED static osip_message_t *
raw_post (Raw *raw, const char *room_uri, const char *author, const char *text)
{
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, ++raw->envid);
  g_autofree char *ts = perch_format_ts (perch_now_us ());
  perch_xccos_append_grpchat (body, ++raw->seqid, room_uri, author, ts, NULL, text);
  perch_xccos_end (body);
  return raw_info (raw, body->str, body->len);
}

/* ---- the demo pool --------------------------------------------------------- */

typedef enum { GENERAL, ANNOUNCEMENTS, DESIGN, MERGERS, N_ROOMS } RoomIndex;

static const char *const room_names[N_ROOMS] = { "General", "Announcements", "Design", "Mergers" };

typedef struct {
  PerchTestServer *server;
  char            *uri[N_ROOMS];   /* as admin's chansrch spells them */
  char            *id[N_ROOMS];
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = perch_test_server_start (NULL);
  PerchClient *admin = perch_test_connect (f->server, "admin");
  for (guint i = 0; i < N_ROOMS; i++)
    {
      f->uri[i] = perch_test_find_room (admin, room_names[i]);
      g_assert_nonnull (f->uri[i]);
      g_autofree char *domain = NULL;
      g_assert_true (perch_parse_room_uri (f->uri[i], &domain, &f->id[i]));
      g_assert_cmpstr (domain, ==, DOMAIN);
    }
  perch_test_disconnect (admin);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  perch_test_server_stop (f->server);
  for (guint i = 0; i < N_ROOMS; i++)
    {
      g_free (f->uri[i]);
      g_free (f->id[i]);
    }
}

/* A made-up room URI in the pool's domain, spelled like a real one. */
static char *
made_up_room_uri (char **id_out)
{
  char *id = g_uuid_string_random ();
  char *uri = perch_room_uri (DOMAIN, id);
  *id_out = id;
  return uri;
}

/* ---- the client's view --------------------------------------------------- */

/* The XCCOS result code of a command: 200, or the code of the error reply. */
static int
command_code (PerchClient *client, const char *cmd, const char *data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, cmd, data, &error);
  if (reply != NULL)
    return reply->code;
  g_assert_true (error->domain == PERCH_ERROR);
  /* An XCCOS error reply ("cmd:x failed: 404 NOT_FOUND"), not a SIP
   * refusal of the INFO that carried it ("cmd:x: 400 Bad Request"). */
  if (strstr (error->message, " failed: ") == NULL)
    g_error ("%s was refused at the SIP layer: %s", cmd, error->message);
  return error->code;
}

/* The SIP status a post got: 200, or the status in the client's error. */
static int
post_code (PerchClient *client, const char *uri, const char *text)
{
  g_autoptr(GError) error = NULL;
  if (perch_test_post (client, uri, text, &error))
    return 200;
  g_assert_true (error->domain == PERCH_ERROR);
  return error->code;
}

static int
join_code (PerchClient *client, const char *uri)
{
  g_autofree char *data = perch_client_build_join_data (uri);
  return command_code (client, "cmd:join", data);
}

static int
history_code (PerchClient *client, const char *uri)
{
  g_autofree char *data = perch_client_build_history_data (uri, 25);
  return command_code (client, "cmd:bccontext", data);
}

/* Texts of ROOM's newest 500 messages as CLIENT reads them, oldest first. */
static GPtrArray *
history_texts (PerchClient *client, const char *uri)
{
  g_autofree char *data = perch_client_build_history_data (uri, 500);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bccontext", data, &error);
  g_assert_no_error (error);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  xmlNode *chanib = perch_xml_child (reply->data, "chanib");
  g_assert_nonnull (chanib);
  for (xmlNode *msg = perch_xml_child (chanib, "msg"); msg != NULL; msg = perch_xml_next (msg, "msg"))
    g_ptr_array_add (texts, perch_xml_text (perch_xml_child (msg, "chat")));
  return texts;
}

static guint
count_text (GPtrArray *texts, const char *text)
{
  guint n = 0;
  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (g_ptr_array_index (texts, i), text) == 0)
      n++;
  return n;
}

/* Live posts a client received. */
typedef struct {
  GPtrArray *texts;
} Heard;

static void
on_post (PerchClient *client, const char *room, const char *author, const char *text,
         const char *ts, const char *msgid, Heard *heard)
{
  g_ptr_array_add (heard->texts, g_strdup (text));
}

static void
listen_posts (PerchClient *client, Heard *heard)
{
  heard->texts = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "post", G_CALLBACK (on_post), heard);
}

typedef struct {
  Heard      *heard;
  const char *text;
} HeardWait;

static gboolean
heard_text (gpointer data)
{
  HeardWait *w = data;
  return count_text (w->heard->texts, w->text) > 0;
}

static void
assert_hears (Heard *heard, const char *text)
{
  HeardWait w = { heard, text };
  if (!perch_test_wait (heard_text, &w, RAW_TIMEOUT_MS))
    g_error ("the post \"%s\" was not delivered", text);
}

static void
check_code (const char *user, const char *what, const char *room, int got, int want)
{
  if (got != want)
    {
      /* every mismatch in the log; the test's own message keeps the last */
      g_test_message ("MISMATCH %s: %s %s answered %d; admin-model.md says %d", user, what, room, got, want);
      g_test_fail_printf ("%s: %s %s answered %d; admin-model.md says %d", user, what, room, got, want);
    }
}

/* ---- every user x every room ------------------------------------------------ */

typedef struct {
  const char *user;
  RoomIndex   room;
  gboolean    listed;       /* chansrch shows it */
  int         join, history, post;
} Rule;

/* admin-model.md applied to the demo pool. Engineering allows the whole
 * domain; Board allows admin and carol and denies bob. An open room: every
 * allowed user finds, joins, reads; closed: every allowed user finds it,
 * members join and read; secret: non-members get what a missing room gets
 * (404). Auditorium: presenters and managers post, members read. The
 * administrator is bound by no list. A post is tried after the join, so a
 * refusal is about the room, not about not having joined. */
static const Rule rules[] = {
  { "alice", GENERAL,       TRUE,  200, 200, 200 },
  { "alice", ANNOUNCEMENTS, TRUE,  200, 200, 200 },   /* presenter */
  { "alice", DESIGN,        TRUE,  200, 200, 200 },   /* member, manager */
  { "alice", MERGERS,       FALSE, 404, 404, 404 },   /* not allowed by Board */
  { "bob",   GENERAL,       TRUE,  200, 200, 200 },
  { "bob",   ANNOUNCEMENTS, TRUE,  200, 200, 403 },   /* reads, may not present */
  { "bob",   DESIGN,        TRUE,  200, 200, 200 },   /* member */
  { "bob",   MERGERS,       FALSE, 404, 404, 404 },   /* denied by Board */
  { "carol", GENERAL,       TRUE,  200, 200, 200 },
  { "carol", ANNOUNCEMENTS, TRUE,  200, 200, 403 },
  { "carol", DESIGN,        TRUE,  403, 403, 403 },   /* closed, finds it, not a member */
  { "carol", MERGERS,       TRUE,  200, 200, 200 },   /* member of the secret room */
  { "admin", GENERAL,       TRUE,  200, 200, 200 },
  { "admin", ANNOUNCEMENTS, TRUE,  200, 200, 200 },
  { "admin", DESIGN,        TRUE,  200, 200, 200 },
  { "admin", MERGERS,       TRUE,  200, 200, 200 },
};

static const char *const chat_users[] = { "alice", "bob", "carol", "admin" };

static char *
matrix_text (const Rule *r)
{
  return g_strdup_printf ("rules matrix: %s posts in %s", r->user, room_names[r->room]);
}

static void
test_matrix (Fixture *f, gconstpointer data)
{
  for (guint u = 0; u < G_N_ELEMENTS (chat_users); u++)
    {
      const char *user = chat_users[u];
      PerchClient *client = perch_test_connect (f->server, user);

      /* Everything the user may find, in one search. */
      g_autofree char *all = perch_client_build_search_data ("");
      g_autoptr(GError) error = NULL;
      g_autoptr(PerchClientReply) found = perch_test_command (client, "cmd:chansrch", all, &error);
      g_assert_no_error (error);

      for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
        {
          const Rule *r = &rules[i];
          if (strcmp (r->user, user) != 0)
            continue;
          const char *uri = f->uri[r->room];
          const char *name = room_names[r->room];

          xmlNode *hit = NULL;
          for (xmlNode *c = perch_xml_child (found->data, "chanib"); c; c = perch_xml_next (c, "chanib"))
            {
              g_autofree char *c_uri = perch_xml_get (c, "uri");
              if (g_strcmp0 (c_uri, uri) == 0)
                hit = c;
            }
          if ((hit != NULL) != r->listed)
            g_test_message ("MISMATCH %s: chansrch %s %s", user, hit ? "lists" : "does not list", name);
          if ((hit != NULL) != r->listed)
            g_test_fail_printf ("%s: chansrch %s %s; admin-model.md says it %s", user,
                                hit ? "lists" : "does not list", name, r->listed ? "must" : "must not");
          if (hit != NULL)
            {
              /* open rooms are public, closed and secret ones private */
              const char *want = r->room == GENERAL || r->room == ANNOUNCEMENTS ? "public" : "private";
              g_autofree char *seen = NULL;
              for (xmlNode *info = perch_xml_child (hit, "info"); info; info = perch_xml_next (info, "info"))
                {
                  g_autofree char *id = perch_xml_get (info, "id");
                  if (g_strcmp0 (id, "urn:parlano:ma:info:visibilty") == 0)
                    seen = perch_xml_text (info);
                }
              g_assert_cmpstr (seen, ==, want);
            }
          /* A search by the exact name agrees. */
          g_autofree char *by_name = perch_test_find_room (client, name);
          g_assert_true ((by_name != NULL) == r->listed);

          check_code (user, "join", name, join_code (client, uri), r->join);
          check_code (user, "bccontext", name, history_code (client, uri), r->history);
          g_autofree char *text = matrix_text (r);
          check_code (user, "post", name, post_code (client, uri, text), r->post);
        }
      perch_test_disconnect (client);
    }

  /* The store holds the posts the rules allowed, once, and nothing else. */
  PerchClient *admin = perch_test_connect (f->server, "admin");
  for (guint room = 0; room < N_ROOMS; room++)
    {
      g_autoptr(GPtrArray) texts = history_texts (admin, f->uri[room]);
      for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
        {
          g_autofree char *text = matrix_text (&rules[i]);
          guint want = rules[i].room == room && rules[i].post == 200 ? 1 : 0;
          if (count_text (texts, text) != want)
            g_test_message ("MISMATCH history of %s holds \"%s\" %u times", room_names[room], text,
                            count_text (texts, text));
          if (count_text (texts, text) != want)
            g_test_fail_printf ("history of %s holds \"%s\" %u times, not %u",
                                room_names[room], text, count_text (texts, text), want);
        }
    }
  perch_test_disconnect (admin);
}

/* ---- a secret room is indistinguishable from a missing one ------------------ */

/* The reply with what differs by construction made alike: envelope and
 * sequence numbers, and the room id the request named. */
static char *
normalize_reply (const char *reply, const char *room_id)
{
  g_autoptr(GRegex) numbers = g_regex_new ("\\b(envid|seqid)=\"[0-9]+\"", 0, 0, NULL);
  g_autofree char *a = g_regex_replace (numbers, reply, -1, 0, "\\1=\"N\"", 0, NULL);
  g_auto(GStrv) parts = g_strsplit (a, room_id, -1);
  return g_strjoinv ("ROOM-ID", parts);
}

static char *
bjoin_data (const char *const *ids)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *key = g_strdup_printf ("%u", i);
      g_string_append (s, "<chanid");
      perch_xml_attr_append (s, "key", key);
      perch_xml_attr_append (s, "domain", DOMAIN);
      perch_xml_attr_append (s, "value", ids[i]);
      g_string_append (s, "/>");
    }
  return g_string_free (s, FALSE);
}

typedef enum { OP_JOIN, OP_BCCONTEXT, OP_BJOIN, OP_PART } SecretOp;

static char *
secret_op_data (Fixture *f, SecretOp op, const char *uri, const char *id)
{
  switch (op)
    {
    case OP_JOIN:
      return perch_client_build_join_data (uri);
    case OP_BCCONTEXT:
      return perch_client_build_history_data (uri, 25);
    case OP_BJOIN:
      {
        const char *ids[] = { f->id[GENERAL], id, NULL };
        return bjoin_data (ids);
      }
    case OP_PART:
    default:
      return perch_client_build_part_data (uri);
    }
}

static void
test_secret_like_missing (Fixture *f, gconstpointer data)
{
  static const struct { SecretOp op; const char *cmd; const char *expect; } ops[] = {
    { OP_JOIN,      "cmd:join",      "<resp code=\"404\">NOT_FOUND</resp>" },
    { OP_BCCONTEXT, "cmd:bccontext", "<resp code=\"404\">NOT_FOUND</resp>" },
    { OP_BJOIN,     "cmd:bjoin",     "<fib key=\"OPERATION_FAILED\" value=\"ROOM-ID\" domain=\"" DOMAIN "\"/>" },
    { OP_PART,      "cmd:part",      "<resp code=\"404\">NOT_FOUND</resp>" },
  };
  const char *const outsiders[] = { "bob", "alice" };  /* denied by Board; not allowed by it */
  const char *real_uri = f->uri[MERGERS], *real_id = f->id[MERGERS];

  for (guint u = 0; u < G_N_ELEMENTS (outsiders); u++)
    {
      g_autoptr(Raw) raw = raw_session (f->server, outsiders[u]);
      g_autofree char *fake_id = NULL;
      g_autofree char *fake_uri = made_up_room_uri (&fake_id);

      for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
        {
          g_autofree char *real_data = secret_op_data (f, ops[i].op, real_uri, real_id);
          g_autofree char *fake_data = secret_op_data (f, ops[i].op, fake_uri, fake_id);
          g_autofree char *real_reply = NULL, *fake_reply = NULL;
          g_assert_cmpint (raw_command (raw, ops[i].cmd, real_data, &real_reply), ==, 200);
          g_assert_cmpint (raw_command (raw, ops[i].cmd, fake_data, &fake_reply), ==, 200);
          g_autofree char *real_norm = normalize_reply (real_reply, real_id);
          g_autofree char *fake_norm = normalize_reply (fake_reply, fake_id);
          g_test_message ("%s %s on Mergers: %s", outsiders[u], ops[i].cmd, real_norm);
          g_assert_cmpstr (real_norm, ==, fake_norm);
          g_assert_nonnull (strstr (real_norm, ops[i].expect));
        }

      /* chansrch: searching for it finds what searching for nothing finds. */
      g_autofree char *by_name = perch_client_build_search_data ("Mergers");
      g_autofree char *by_text = perch_client_build_search_data ("Not to be discussed");
      g_autofree char *by_none = perch_client_build_search_data ("Acquisitions-0f9c");
      g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;
      g_assert_cmpint (raw_command (raw, "cmd:chansrch", by_name, &r1), ==, 200);
      g_assert_cmpint (raw_command (raw, "cmd:chansrch", by_text, &r2), ==, 200);
      g_assert_cmpint (raw_command (raw, "cmd:chansrch", by_none, &r3), ==, 200);
      g_autofree char *n1 = normalize_reply (r1, real_id);
      g_autofree char *n2 = normalize_reply (r2, real_id);
      g_autofree char *n3 = normalize_reply (r3, real_id);
      g_assert_cmpstr (n1, ==, n3);
      g_assert_cmpstr (n2, ==, n3);

      /* A post: the same SIP status and the same reason phrase. */
      osip_message_t *real_post = raw_post (raw, real_uri, raw->from_uri, "HIDDEN probe of a secret room");
      int real_status = status_of (real_post);
      g_autofree char *real_reason = g_strdup (reason_of (real_post));
      osip_message_t *fake_post = raw_post (raw, fake_uri, raw->from_uri, "HIDDEN probe of a missing room");
      int fake_status = status_of (fake_post);
      g_autofree char *fake_reason = g_strdup (reason_of (fake_post));
      g_test_message ("%s posts to Mergers: %d %s; to a missing room: %d %s", outsiders[u],
                      real_status, real_reason, fake_status, fake_reason);
      g_assert_cmpint (real_status, ==, 404);
      g_assert_cmpint (fake_status, ==, 404);
      /* The reason phrase too: once it differed ("no such room" for the
       * secret room, "Not Found" for a missing one). */
      g_assert_cmpstr (real_reason, ==, fake_reason);

      /* And through the real client, which shows the reason phrase too. */
      PerchClient *client = perch_test_connect (f->server, outsiders[u]);
      g_autoptr(GError) e1 = NULL, e2 = NULL;
      g_assert_false (perch_test_post (client, real_uri, "HIDDEN probe", &e1));
      g_assert_false (perch_test_post (client, fake_uri, "HIDDEN probe", &e2));
      g_assert_error (e1, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
      g_assert_error (e2, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
      g_assert_cmpstr (e1->message, ==, e2->message);
      perch_test_disconnect (client);
    }

  /* Nothing the probes sent was stored. */
  PerchClient *admin = perch_test_connect (f->server, "admin");
  g_autoptr(GPtrArray) texts = history_texts (admin, real_uri);
  for (guint i = 0; i < texts->len; i++)
    g_assert_null (strstr (g_ptr_array_index (texts, i), "HIDDEN"));
  perch_test_disconnect (admin);
}

/* ---- auditorium ---------------------------------------------------------- */

static void
test_auditorium (Fixture *f, gconstpointer data)
{
  const char *room = f->uri[ANNOUNCEMENTS];
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  PerchClient *carol = perch_test_connect (f->server, "carol");
  PerchClient *admin = perch_test_connect (f->server, "admin");
  Heard bob_heard;
  listen_posts (bob, &bob_heard);
  perch_test_join (alice, room);
  perch_test_join (bob, room);
  perch_test_join (carol, room);
  perch_test_join (admin, room);

  /* The presenter posts; members read, live and from history. */
  g_assert_cmpint (post_code (alice, room, "auditorium: the presenter speaks"), ==, 200);
  assert_hears (&bob_heard, "auditorium: the presenter speaks");
  {
    g_autoptr(GPtrArray) texts = history_texts (bob, room);
    g_assert_cmpuint (count_text (texts, "auditorium: the presenter speaks"), ==, 1);
  }

  /* Members who are not presenters may not post. */
  g_assert_cmpint (post_code (bob, room, "auditorium: bob heckles"), ==, 403);
  g_assert_cmpint (post_code (carol, room, "auditorium: carol heckles"), ==, 403);

  /* The administrator (also the room's manager) may. */
  g_assert_cmpint (post_code (admin, room, "auditorium: the administrator speaks"), ==, 200);
  assert_hears (&bob_heard, "auditorium: the administrator speaks");

  g_autoptr(GPtrArray) texts = history_texts (carol, room);
  g_assert_cmpuint (count_text (texts, "auditorium: the presenter speaks"), ==, 1);
  g_assert_cmpuint (count_text (texts, "auditorium: the administrator speaks"), ==, 1);
  g_assert_cmpuint (count_text (texts, "auditorium: bob heckles"), ==, 0);
  g_assert_cmpuint (count_text (texts, "auditorium: carol heckles"), ==, 0);
  g_assert_cmpuint (count_text (bob_heard.texts, "auditorium: bob heckles"), ==, 0);
  g_assert_cmpuint (count_text (bob_heard.texts, "auditorium: carol heckles"), ==, 0);

  perch_test_disconnect (alice);
  perch_test_disconnect (bob);
  perch_test_disconnect (carol);
  perch_test_disconnect (admin);
  g_ptr_array_unref (bob_heard.texts);
}

/* ---- a user not enabled for persistent chat ----------------------------------- */

static gboolean
provisioning_says (const char *xml, const char *value)
{
  g_autofree char *want = g_strdup_printf ("<property name=\"EnablePersistentChat\">%s</property>", value);
  return xml != NULL && strstr (xml, want) != NULL;
}

static void
test_not_enabled (Fixture *f, gconstpointer data)
{
  /* dave signs in, is told EnablePersistentChat=false, and his INVITE is refused. */
  PerchClient *dave = NULL;
  g_autoptr(GError) error = NULL;
  PerchClient *ok = perch_test_connect_full (f->server, "dave", "dave-demo", FALSE, &dave, &error);
  g_assert_null (ok);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_nonnull (strstr (error->message, "403"));
  g_assert_nonnull (dave);
  g_assert_false (perch_client_get_chat_enabled (dave));
  g_assert_true (provisioning_says (perch_client_get_provisioning_xml (dave), "false"));
  g_assert_false (perch_client_is_connected (dave));
  perch_test_disconnect (dave);

  /* The same on the wire: REGISTER works, the INVITE gets 403. */
  g_autoptr(Raw) raw = raw_connect (f->server);
  g_assert_cmpint (status_of (raw_register (raw, "dave@" DOMAIN, "dave-demo")), ==, 200);
  g_autofree char *call_id = perch_random_hex (8);
  osip_message_t *refused = raw_simple (raw, "INVITE", "sip:ocschat@" DOMAIN, raw->from_uri,
                                        "sip:ocschat@" DOMAIN, call_id, NULL, NULL, NULL);
  g_assert_cmpint (status_of (refused), ==, 403);

  /* An enabled user is told true. */
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_assert_true (perch_client_get_chat_enabled (alice));
  g_assert_true (provisioning_says (perch_client_get_provisioning_xml (alice), "true"));
  perch_test_disconnect (alice);
}

/* ---- posting needs a join ----------------------------------------------------- */

static void
test_post_requires_join (Fixture *f, gconstpointer data)
{
  const char *general = f->uri[GENERAL], *design = f->uri[DESIGN];
  PerchClient *bob = perch_test_connect (f->server, "bob");
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *admin = perch_test_connect (f->server, "admin");

  g_assert_cmpint (post_code (bob, general, "unjoined: bob before joining"), ==, 403);
  g_assert_cmpint (post_code (alice, design, "unjoined: alice before joining Design"), ==, 403);
  g_assert_cmpint (post_code (admin, general, "unjoined: admin before joining"), ==, 403);

  perch_test_join (bob, general);
  g_assert_cmpint (post_code (bob, general, "unjoined: bob after joining"), ==, 200);

  g_autoptr(GAsyncResult) result = NULL;
  perch_client_part_async (bob, general, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, RAW_TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) parted = perch_client_command_finish (bob, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (post_code (bob, general, "unjoined: bob after parting"), ==, 403);

  g_autoptr(GPtrArray) texts = history_texts (admin, general);
  g_assert_cmpuint (count_text (texts, "unjoined: bob before joining"), ==, 0);
  g_assert_cmpuint (count_text (texts, "unjoined: admin before joining"), ==, 0);
  g_assert_cmpuint (count_text (texts, "unjoined: bob after joining"), ==, 1);
  g_assert_cmpuint (count_text (texts, "unjoined: bob after parting"), ==, 0);
  g_autoptr(GPtrArray) design_texts = history_texts (admin, design);
  g_assert_cmpuint (count_text (design_texts, "unjoined: alice before joining Design"), ==, 0);

  perch_test_disconnect (bob);
  perch_test_disconnect (alice);
  perch_test_disconnect (admin);
}

/* ---- a post's author is the signed-in user -------------------------------------- */

static void
test_author_is_self (Fixture *f, gconstpointer data)
{
  const char *general = f->uri[GENERAL];
  PerchClient *bob = perch_test_connect (f->server, "bob");
  Heard bob_heard;
  listen_posts (bob, &bob_heard);
  perch_test_join (bob, general);

  g_autoptr(Raw) alice = raw_session (f->server, "alice");
  g_autofree char *join = perch_client_build_join_data (general);
  g_autofree char *joined = NULL;
  g_assert_cmpint (raw_command (alice, "cmd:join", join, &joined), ==, 200);
  g_assert_nonnull (strstr (joined, "<resp code=\"200\">"));

  osip_message_t *as_bob = raw_post (alice, general, "sip:bob@" DOMAIN, "author: alice posing as bob");
  g_assert_cmpint (status_of (as_bob), ==, 403);
  osip_message_t *as_carol = raw_post (alice, general, "carol@" DOMAIN, "author: alice posing as carol");
  g_assert_cmpint (status_of (as_carol), ==, 403);
  osip_message_t *as_self = raw_post (alice, general, "sip:alice@" DOMAIN, "author: alice as herself");
  g_assert_cmpint (status_of (as_self), ==, 200);

  /* Fan-out keeps order: once alice's own post is heard, a forged one
   * would have been heard before it. */
  assert_hears (&bob_heard, "author: alice as herself");
  g_assert_cmpuint (count_text (bob_heard.texts, "author: alice posing as bob"), ==, 0);
  g_assert_cmpuint (count_text (bob_heard.texts, "author: alice posing as carol"), ==, 0);

  g_autofree char *data_xml = perch_client_build_history_data (general, 500);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) history = perch_test_command (bob, "cmd:bccontext", data_xml, &error);
  g_assert_no_error (error);
  guint own = 0;
  for (xmlNode *m = perch_xml_child (perch_xml_child (history->data, "chanib"), "msg"); m; m = perch_xml_next (m, "msg"))
    {
      g_autofree char *text = perch_xml_text (perch_xml_child (m, "chat"));
      g_autofree char *author = perch_xml_get (m, "author");
      g_assert_false (g_str_has_prefix (text, "author: alice posing"));
      if (g_strcmp0 (text, "author: alice as herself") == 0)
        {
          g_assert_cmpstr (author, ==, "sip:alice@" DOMAIN);
          own++;
        }
    }
  g_assert_cmpuint (own, ==, 1);

  perch_test_disconnect (bob);
  g_ptr_array_unref (bob_heard.texts);
}

/* ---- bjoin with allowed and forbidden rooms -------------------------------------- */

typedef struct {
  const char *element;   /* "chanib" or "fib" */
  const char *id;        /* the room id it names */
} Outcome;

static void
assert_bjoin (Fixture *f, PerchClient *client, const char *const *ids, const Outcome *want, guint n)
{
  g_autofree char *data = bjoin_data (ids);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bjoin", data, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->code, ==, 200);
  guint i = 0;
  for (xmlNode *n_ = reply->data ? reply->data->children : NULL; n_ != NULL; n_ = n_->next)
    {
      if (n_->type != XML_ELEMENT_NODE || strcmp ((const char *) n_->name, "uib") == 0)
        continue;
      g_assert_cmpuint (i, <, n);
      g_assert_cmpstr ((const char *) n_->name, ==, want[i].element);
      if (strcmp (want[i].element, "fib") == 0)
        {
          g_autofree char *key = perch_xml_get (n_, "key");
          g_autofree char *value = perch_xml_get (n_, "value");
          g_autofree char *domain = perch_xml_get (n_, "domain");
          g_assert_cmpstr (key, ==, "OPERATION_FAILED");
          g_assert_cmpstr (value, ==, want[i].id);
          g_assert_cmpstr (domain, ==, DOMAIN);
        }
      else
        {
          g_autofree char *uri = perch_xml_get (n_, "uri");
          g_autofree char *expect = perch_room_uri (DOMAIN, want[i].id);
          g_assert_cmpstr (uri, ==, expect);
        }
      i++;
    }
  g_assert_cmpuint (i, ==, n);
}

static void
test_bjoin_mixed (Fixture *f, gconstpointer data)
{
  g_autofree char *fake_id = NULL;
  g_autofree char *fake_uri = made_up_room_uri (&fake_id);

  PerchClient *bob = perch_test_connect (f->server, "bob");
  const char *bob_ids[] = { f->id[GENERAL], f->id[MERGERS], f->id[DESIGN], fake_id, f->id[ANNOUNCEMENTS], NULL };
  const Outcome bob_want[] = {
    { "chanib", f->id[GENERAL] }, { "fib", f->id[MERGERS] }, { "chanib", f->id[DESIGN] },
    { "fib", fake_id }, { "chanib", f->id[ANNOUNCEMENTS] },
  };
  assert_bjoin (f, bob, bob_ids, bob_want, G_N_ELEMENTS (bob_want));
  /* The rooms it joined are joined: posts need no further join. */
  g_assert_cmpint (post_code (bob, f->uri[GENERAL], "bjoin: bob in General"), ==, 200);
  g_assert_cmpint (post_code (bob, f->uri[DESIGN], "bjoin: bob in Design"), ==, 200);
  g_assert_cmpint (post_code (bob, f->uri[ANNOUNCEMENTS], "bjoin: bob in Announcements"), ==, 403);
  g_assert_cmpint (post_code (bob, f->uri[MERGERS], "bjoin: bob in Mergers"), ==, 404);
  g_assert_cmpint (post_code (bob, fake_uri, "bjoin: bob nowhere"), ==, 404);

  PerchClient *carol = perch_test_connect (f->server, "carol");
  const char *carol_ids[] = { f->id[DESIGN], f->id[MERGERS], f->id[GENERAL], NULL };
  const Outcome carol_want[] = {
    { "fib", f->id[DESIGN] }, { "chanib", f->id[MERGERS] }, { "chanib", f->id[GENERAL] },
  };
  assert_bjoin (f, carol, carol_ids, carol_want, G_N_ELEMENTS (carol_want));
  g_assert_cmpint (post_code (carol, f->uri[MERGERS], "bjoin: carol in Mergers"), ==, 200);
  g_assert_cmpint (post_code (carol, f->uri[DESIGN], "bjoin: carol in Design"), ==, 403);

  perch_test_disconnect (bob);
  perch_test_disconnect (carol);
}

/* ---- creators -------------------------------------------------------------------- */

static void
test_creators (Fixture *f, gconstpointer data)
{
  /* alice is a creator in Engineering, the administrator may create
   * anywhere; bob and carol are creators nowhere. */
  static const struct { const char *user; int code; } who[] = {
    { "alice", 200 }, { "admin", 200 }, { "bob", 403 }, { "carol", 403 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (who); i++)
    {
      PerchClient *client = perch_test_connect (f->server, who[i].user);
      check_code (who[i].user, "nodespermcreatechild", "(any category)",
                  command_code (client, "cmd:nodespermcreatechild", ""), who[i].code);
      perch_test_disconnect (client);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/perch/rules/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("matrix", test_matrix);
  ADD ("secret-like-missing", test_secret_like_missing);
  ADD ("auditorium", test_auditorium);
  ADD ("not-enabled", test_not_enabled);
  ADD ("post-requires-join", test_post_requires_join);
  ADD ("author-is-self", test_author_is_self);
  ADD ("bjoin-mixed", test_bjoin_mixed);
  ADD ("creators", test_creators);
#undef ADD
  return g_test_run ();
}
