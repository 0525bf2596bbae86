/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-sip.c: the raw SIP connection of perch-test-sip.h, shared by
 * the tests that write SIP by hand (test-hostile.c, test-rules.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "perch-common.h"
#include "perch-sip-message.h"
#include "perch-xccos.h"
#include "perch-test-sip.h"

#define DOMAIN "example.test"

/* ---- reading: every frame perchd sends, kept in arrival order ---- */

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

/* ---- the connection ---- */

Raw *
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

void
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

gboolean
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

gboolean
raw_send_string (Raw *raw, const GString *s)
{
  return raw_send (raw, s->str, s->len);
}

static gboolean
raw_is_eof (gpointer data)
{
  return ((Raw *) data)->eof;
}

gboolean
raw_wait_closed (Raw *raw)
{
  return perch_test_wait (raw_is_eof, raw, RAW_TIMEOUT_MS);
}

/* ---- requests and responses ---- */

GString *
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

/* Waiting for one frame: the first since FROM that no wait returned yet,
 * parsed, and that MATCHES. The wait also ends when the connection closes
 * (FOUND stays NULL). */
typedef struct {
  Raw        *raw;
  guint       from;
  gboolean  (*matches) (osip_message_t *msg, gconstpointer what);
  gconstpointer what;
  RawFrame   *found;
} FrameWait;

static gboolean
frame_arrived (gpointer data)
{
  FrameWait *w = data;
  for (guint i = w->from; i < w->raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (w->raw->frames, i);
      if (f->used || f->msg == NULL)
        continue;
      if (w->matches (f->msg, w->what))
        {
          w->found = f;
          return TRUE;
        }
    }
  return w->raw->eof;
}

typedef struct {
  const char *method;     /* of the CSeq */
  guint       cseq;
} ResponseKey;

static gboolean
is_final_response (osip_message_t *msg, gconstpointer what)
{
  const ResponseKey *key = what;
  return MSG_IS_RESPONSE (msg) && msg->status_code >= 200 &&
         g_strcmp0 (msg->cseq->method, key->method) == 0 &&
         strtoul (msg->cseq->number, NULL, 10) == key->cseq;
}

osip_message_t *
raw_wait_response (Raw *raw, const char *method, guint cseq)
{
  ResponseKey key = { method, cseq };
  FrameWait w = { raw, raw->mark, is_final_response, &key, NULL };
  if (!perch_test_wait (frame_arrived, &w, RAW_TIMEOUT_MS))
    g_error ("no answer to %s %u within %u ms", method, cseq, RAW_TIMEOUT_MS);
  if (w.found == NULL)
    return NULL;
  w.found->used = TRUE;
  return w.found->msg;
}

int
raw_status (osip_message_t *resp)
{
  return resp ? osip_message_get_status_code (resp) : 0;
}

const char *
raw_reason (osip_message_t *resp)
{
  return resp ? osip_message_get_reason_phrase (resp) : NULL;
}

osip_message_t *
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

/* ---- signing in ---- */

char *
raw_unquote (const char *s)
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
char *
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

char *
raw_challenge (Raw *raw, const char *account)
{
  g_free (raw->from_uri);
  raw->from_uri = g_strconcat ("sip:", account, NULL);
  osip_message_t *resp = raw_simple (raw, "REGISTER", "sip:" DOMAIN, raw->from_uri, raw->from_uri,
                                     raw->reg_call_id, "Expires: 3600\r\n", NULL, NULL);
  if (raw_status (resp) != 407)
    return NULL;
  osip_proxy_authenticate_t *auth = osip_list_get (&resp->proxy_authenticates, 0);
  g_assert_nonnull (auth);
  g_autofree char *realm = raw_unquote (osip_proxy_authenticate_get_realm (auth));
  g_assert_cmpstr (realm, ==, DOMAIN);
  return raw_unquote (osip_proxy_authenticate_get_nonce (auth));
}

osip_message_t *
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

osip_message_t *
raw_register (Raw *raw, const char *account, const char *password)
{
  g_autofree char *nonce = raw_challenge (raw, account);
  g_assert_nonnull (nonce);
  g_autofree char *authorization = digest_authorization (account, password, DOMAIN, nonce, "sip:" DOMAIN);
  return raw_register_with (raw, account, authorization);
}

Raw *
raw_session (PerchTestServer *server, const char *name)
{
  Raw *raw = raw_connect (server);
  g_autofree char *account = g_strconcat (name, "@" DOMAIN, NULL);
  g_autofree char *password = g_strconcat (name, "-demo", NULL);
  g_assert_cmpint (raw_status (raw_register (raw, account, password)), ==, 200);

  raw->call_id = perch_random_hex (8);
  const char *sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
                    "t=0 0\r\nm=message 5060 sip null\r\n";
  osip_message_t *ok = raw_simple (raw, "INVITE", "sip:ocschat@" DOMAIN, raw->from_uri,
                                   "sip:ocschat@" DOMAIN, raw->call_id, NULL, "application/sdp", sdp);
  g_assert_cmpint (raw_status (ok), ==, 200);
  raw->remote_tag = g_strdup (perch_sip_tag (ok->to));
  g_assert_nonnull (raw->remote_tag);
  g_autoptr(GString) ack = raw_request (raw, "ACK", "sip:ocschat@" DOMAIN, raw->from_uri,
                                        "sip:ocschat@" DOMAIN, raw->remote_tag, raw->call_id,
                                        raw->cseq, NULL, NULL, NULL, 0);
  g_assert_true (raw_send_string (raw, ack));
  return raw;
}

/* ---- the chat dialog ---- */

guint
raw_send_info (Raw *raw, const char *body, gsize len)
{
  guint cseq = ++raw->cseq;
  g_autoptr(GString) req = raw_request (raw, "INFO", "sip:ocschat@" DOMAIN, raw->from_uri,
                                        "sip:ocschat@" DOMAIN, raw->remote_tag, raw->call_id, cseq,
                                        NULL, "text/plain", body, len);
  raw_send_string (raw, req);
  return cseq;
}

osip_message_t *
raw_info (Raw *raw, const char *body, gsize len)
{
  guint cseq = raw_send_info (raw, body, len);
  return raw_wait_response (raw, "INFO", cseq);
}

typedef struct {
  gint64 seqid, envid;
} ReplyKey;

static gboolean
is_reply_info (osip_message_t *msg, gconstpointer what)
{
  const ReplyKey *key = what;
  if (!MSG_IS_INFO (msg))
    return FALSE;
  gsize len;
  const char *body = perch_sip_body (msg, &len);
  g_autoptr(PerchXccosEnvelope) env = body ? perch_xccos_parse (body, len, NULL) : NULL;
  for (guint j = 0; env != NULL && j < env->items->len; j++)
    {
      PerchXccosItem *item = g_ptr_array_index (env->items, j);
      if (item->kind == PERCH_XCCOS_RPL && item->cmd_seqid == key->seqid && item->cmd_envid == key->envid)
        return TRUE;
    }
  return FALSE;
}

gboolean
raw_wait_reply (Raw *raw, gint64 seqid, gint64 envid, RawFrame **found)
{
  ReplyKey key = { seqid, envid };
  FrameWait w = { raw, raw->mark, is_reply_info, &key, NULL };
  gboolean settled = perch_test_wait (frame_arrived, &w, RAW_TIMEOUT_MS);
  *found = w.found;
  return settled;
}

int
raw_command (Raw *raw, const char *cmd, const char *data_xml, char **reply)
{
  g_autoptr(GString) body = g_string_new (NULL);
  gint64 envid = ++raw->envid, seqid = ++raw->seqid;
  perch_xccos_begin (body, envid);
  perch_xccos_append_cmd (body, cmd, seqid, data_xml);
  perch_xccos_end (body);
  int status = raw_status (raw_info (raw, body->str, body->len));
  *reply = NULL;
  if (status != 200)
    return status;
  RawFrame *found = NULL;
  if (!raw_wait_reply (raw, seqid, envid, &found) || found == NULL)
    g_error ("no XCCOS reply to %s", cmd);
  found->used = TRUE;
  gsize len;
  const char *text = perch_sip_body (found->msg, &len);
  *reply = g_strndup (text, len);
  return status;
}

osip_message_t *
raw_post (Raw *raw, const char *room_uri, const char *author, const char *text)
{
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, ++raw->envid);
  g_autofree char *ts = perch_format_ts (perch_now_us ());
  perch_xccos_append_grpchat (body, ++raw->seqid, room_uri, author, ts, NULL, text);
  perch_xccos_end (body);
  return raw_info (raw, body->str, body->len);
}
