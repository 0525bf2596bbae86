/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-service.c: registrar, provisioning, dialogs and INFO transport. */
#include "config.h"

#include <string.h>

#include "perch-sip-connection.h"
#include "perch-sip-digest.h"
#include "perch-sip-service.h"
#include "perch-xccos.h"

#define PROVISIONING_EVENT "vnd-microsoft-provisioning-v2"
#define PROVISIONING_TYPE  "application/vnd-microsoft-roaming-provisioning-v2+xml"
#define MAX_REQUESTS_PER_SECOND 100  /* per connection, INFO aside */
#define DUMMY_HA1          "00000000000000000000000000000000"

struct _PerchSipService {
  PerchChannel          *channel;
  PerchStore            *store;
  PerchSipServiceConfig  config;
  PerchNonceStore       *nonces;
  GPtrArray             *listeners;   /* GSocketService* */
  GHashTable            *connections; /* set of ConnState* */
  char                  *web_url;
  char                  *realm;
  GSource               *sweep;
};

typedef struct _Dialog Dialog;

typedef struct {
  PerchSipService    *service;
  PerchSipConnection *conn;
  char               *user;          /* bound by REGISTER */
  guint               auth_failures;
  gint64              opened;        /* monotonic µs */
  GHashTable         *dialogs;       /* Call-ID -> Dialog* */
  GTlsCertificate    *cert;          /* for a TLS listener's handshake */
} ConnState;

struct _Dialog {
  ConnState      *state;
  char           *call_id;
  char           *local_tag;
  osip_message_t *template;   /* an INFO to the client, cloned per request (BYE) */
  char           *info_start; /* the INFO's request line, from the template */
  char           *info_fixed; /* its header lines but Via, CSeq and the body's */
  char           *via;        /* "Via: SIP/2.0/TCP host;branch=z9hG4bK<random>" */
  guint32         local_cseq;
  PerchSession   *session;
  gint64          expires_at; /* monotonic µs */
};

static void dialog_free (Dialog *dialog);

/* ---- helpers ------------------------------------------------------------ */

gboolean
perch_parse_host_port (const char *s, char **host, guint16 *port, GError **error)
{
  g_autofree char *h = NULL;
  const char *colon = s ? strrchr (s, ':') : NULL;
  if (colon == NULL || colon == s)
    goto bad;
  h = g_strndup (s, colon - s);
  if (h[0] == '[' && h[strlen (h) - 1] == ']')
    {
      char *inner = g_strndup (h + 1, strlen (h) - 2);
      g_free (h);
      h = inner;
    }
  guint64 p;
  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    goto bad;
  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;
bad:
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” is not HOST:PORT", s ? s : "");
  return FALSE;
}

static char *
unquote (const char *s)
{
  if (s == NULL)
    return NULL;
  gsize len = strlen (s);
  if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
    return g_strndup (s + 1, len - 2);
  return g_strdup (s);
}

static void
respond (ConnState *state, osip_message_t *req, int code, const char *reason,
         const char *to_tag, const char *const *headers)
{
  /* Every final response carries a To tag (RFC 3261 8.2.6.2). */
  g_autofree char *tag = to_tag == NULL && code >= 200 ? perch_random_hex (8) : NULL;
  g_autoptr(osip_message_t) resp = perch_sip_response_new (req, code, reason, to_tag ? to_tag : tag);
  for (guint i = 0; headers && headers[i]; i += 2)
    perch_sip_add_header (resp, headers[i], headers[i + 1]);
  perch_sip_connection_send_message (state->conn, resp);
}

static char *
request_user_host (osip_message_t *req)
{
  osip_uri_t *uri = req->req_uri;
  if (uri == NULL || uri->host == NULL)
    return NULL;
  if (uri->username == NULL)
    return g_ascii_strdown (uri->host, -1);
  g_autofree char *raw = g_strdup_printf ("%s@%s", uri->username, uri->host);
  return g_ascii_strdown (raw, -1);
}

/* ---- REGISTER ----------------------------------------------------------- */

static void
challenge (ConnState *state, osip_message_t *req, gboolean stale)
{
  PerchSipService *service = state->service;
  g_autofree char *nonce = perch_nonce_store_issue (service->nonces);
  g_autofree char *value = g_strdup_printf ("Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=MD5%s",
                                            service->realm, nonce, stale ? ", stale=true" : "");
  const char *headers[] = { "Proxy-Authenticate", value, NULL };
  respond (state, req, 407, NULL, NULL, headers);
}

static void
handle_register (ConnState *state, osip_message_t *req)
{
  PerchSipService *service = state->service;
  g_autofree char *from = perch_sip_address_uri (req->from);
  g_autofree char *to = perch_sip_address_uri (req->to);
  if (from == NULL || g_strcmp0 (from, to) != 0)
    {
      respond (state, req, 403, "Register only yourself", NULL, NULL);
      return;
    }
  if (state->user != NULL)
    {
      if (strcmp (state->user, from) != 0)
        {
          respond (state, req, 403, "Connection belongs to another user", NULL, NULL);
          return;
        }
    }
  else
    {
      osip_proxy_authorization_t *auth = osip_list_get (&req->proxy_authorizations, 0);
      if (auth == NULL)
        {
          challenge (state, req, FALSE);
          return;
        }
      PerchDigestCredentials creds = {
        .username = unquote (auth->username), .realm = unquote (auth->realm),
        .nonce = unquote (auth->nonce), .uri = unquote (auth->uri),
        .qop = unquote (auth->message_qop), .nc = unquote (auth->nonce_count),
        .cnonce = unquote (auth->cnonce), .response = unquote (auth->response),
        .algorithm = unquote (auth->algorithm),
      };
      gboolean nonce_ok = perch_nonce_store_consume (service->nonces, creds.nonce);
      g_autofree char *claimed = creds.username ? perch_normalize_user_uri (creds.username) : NULL;
      g_autoptr(PerchUser) user = claimed ? perch_store_user_get (service->store, claimed) : NULL;
      /* The same work whether or not the user exists, so neither the answer
       * nor its timing tells who has an account. */
      gboolean ok = perch_digest_verify (&creds, "REGISTER", user && user->ha1 ? user->ha1 : DUMMY_HA1);
      ok = ok && user != NULL && g_strcmp0 (claimed, from) == 0 &&
           g_strcmp0 (creds.realm, service->realm) == 0;
      g_free (creds.username); g_free (creds.realm); g_free (creds.nonce); g_free (creds.uri);
      g_free (creds.qop); g_free (creds.nc); g_free (creds.cnonce); g_free (creds.response);
      g_free (creds.algorithm);
      if (!nonce_ok)
        {
          /* An old or replayed nonce is nobody's fault yet: ask again. */
          challenge (state, req, TRUE);
          return;
        }
      if (!ok)
        {
          respond (state, req, 403, "Forbidden", NULL, NULL);
          if (++state->auth_failures >= service->config.max_auth_failures)
            perch_sip_connection_close (state->conn);
          return;
        }
      state->user = g_strdup (from);
      g_debug ("%s signed in as %s", perch_sip_connection_peer (state->conn), from);
    }

  const char *expires_h = perch_sip_header (req, "expires");
  guint64 expires = 3600;
  if (expires_h != NULL)
    g_ascii_string_to_unsigned (expires_h, 10, 0, 86400, &expires, NULL);
  g_autofree char *expires_s = g_strdup_printf ("%" G_GUINT64_FORMAT, expires ? MAX (expires, 60) : 0);
  g_autofree char *keep_alive = g_strdup_printf ("UAC;hop-hop=yes;timeout=%u", service->config.keep_alive_timeout);
  g_autoptr(GString) contact = g_string_new (NULL);
  osip_contact_t *c = osip_list_get (&req->contacts, 0);
  char *cstr = NULL;
  if (c != NULL && osip_contact_to_str (c, &cstr) == 0 && cstr != NULL)
    {
      g_string_append_printf (contact, "%s;expires=%s", cstr, expires_s);
      osip_free (cstr);
    }
  const char *headers[] = {
    "Expires", expires_s,
    "Supported", "msrtc-event-categories",
    /* SIPE reads only the first entry (it splits on "," without trimming):
     * provisioning must come first, or it never starts group chat. */
    "Allow-Events", "vnd-microsoft-provisioning-v2, vnd-microsoft-roaming-contacts, vnd-microsoft-roaming-self",
    "ms-keep-alive", keep_alive,
    contact->len ? "Contact" : NULL, contact->str,
    NULL,
  };
  respond (state, req, 200, NULL, NULL, headers);
  if (expires == 0)
    perch_sip_connection_close (state->conn);
}

/* ---- SUBSCRIBE ---------------------------------------------------------- */

static char *
provisioning_document (PerchSipService *service, const char *user)
{
  const PerchChannelConfig *c = perch_channel_get_config (service->channel);
  gboolean enabled = perch_channel_user_may_chat (service->channel, user, NULL);
  /* The configured room management URL wins over the listener's own. */
  g_autofree char *configured = perch_channel_config_value (service->channel, "room_management_url");
  const char *web_url = configured && *configured ? configured : service->web_url;
  GString *doc = g_string_new ("<provisionGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification\">"
                               "<provisionGroup name=\"persistentChatConfiguration\"><propertyEntryList>");
  const char *props[][2] = {
    { "EnablePersistentChat", enabled ? "true" : "false" },
    { "DefaultPersistentChatPoolUri", c->pool_uri },
    { "PersistentChatPoolUris", c->pool_uri },
    { "PersistentChatWebManagerUriInt", web_url ? web_url : "" },
    { "PersistentChatWebManagerUriExt", web_url ? web_url : "" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (props); i++)
    {
      g_string_append (doc, "<property");
      perch_xml_attr_append (doc, "name", props[i][0]);
      g_string_append_c (doc, '>');
      perch_xml_escape_append (doc, props[i][1]);
      g_string_append (doc, "</property>");
    }
  g_string_append (doc, "</propertyEntryList></provisionGroup></provisionGroupList>");
  return g_string_free (doc, FALSE);
}

static void
handle_subscribe (ConnState *state, osip_message_t *req)
{
  const char *event = perch_sip_header (req, "event");
  if (perch_sip_tag (req->to) != NULL)
    {
      /* In-dialog: SIPE unsubscribing as it signs off. A document here
       * would make it start over. */
      respond (state, req, 200, NULL, NULL, NULL);
      return;
    }
  g_autofree char *tag = perch_random_hex (8);
  if (event != NULL && g_ascii_strncasecmp (event, PROVISIONING_EVENT, strlen (PROVISIONING_EVENT)) == 0)
    {
      g_autofree char *doc = provisioning_document (state->service, state->user);
      g_autoptr(osip_message_t) resp = perch_sip_response_new (req, 200, NULL, tag);
      perch_sip_add_header (resp, "Event", PROVISIONING_EVENT);
      perch_sip_add_header (resp, "ms-piggyback-cseq", "1");
      perch_sip_add_header (resp, "Expires", "0");
      perch_sip_set_body (resp, PROVISIONING_TYPE, doc, strlen (doc));
      perch_sip_connection_send_message (state->conn, resp);
      return;
    }
  if (event != NULL && (g_ascii_strncasecmp (event, "vnd-microsoft-roaming-contacts", 30) == 0 ||
                        g_ascii_strncasecmp (event, "vnd-microsoft-roaming-self", 26) == 0))
    {
      /* Perch keeps no contact lists or presence: valid, empty documents. */
      gboolean contacts = g_ascii_strncasecmp (event, "vnd-microsoft-roaming-contacts", 30) == 0;
      const char *doc = contacts
        ? "<contactList deltaNum=\"1\" xmlns=\"http://schemas.microsoft.com/2006/09/sip/roaming-contacts\"/>"
        : "<roamingData xmlns=\"http://schemas.microsoft.com/2006/09/sip/roaming-self\"/>";
      const char *type = contacts ? "application/vnd-microsoft-roaming-contacts+xml"
                                  : "application/vnd-microsoft-roaming-self+xml";
      g_autoptr(osip_message_t) resp = perch_sip_response_new (req, 200, NULL, tag);
      perch_sip_add_header (resp, "Event", event);
      perch_sip_add_header (resp, "Expires", "0");
      perch_sip_set_body (resp, type, doc, strlen (doc));
      perch_sip_connection_send_message (state->conn, resp);
      return;
    }
  respond (state, req, 489, "Bad Event", tag, NULL);
}

/* ---- dialogs ------------------------------------------------------------ */

/* A request in DIALOG built from its template: METHOD, the next CSeq, a
 * fresh Via branch. */
static osip_message_t *
dialog_request (Dialog *dialog, const char *method)
{
  osip_message_t *req = NULL;
  if (osip_message_clone (dialog->template, &req) != 0)
    return NULL;
  if (strcmp (method, "INFO") != 0)
    {
      osip_free (req->sip_method);
      req->sip_method = osip_strdup (method);
      osip_free (req->cseq->method);
      req->cseq->method = osip_strdup (method);
    }
  /* libosip2 frees with its own allocator: give it its own strings. */
  g_autofree char *cseq = g_strdup_printf ("%u", ++dialog->local_cseq);
  osip_free (req->cseq->number);
  req->cseq->number = osip_strdup (cseq);
  osip_via_t *via = osip_list_get (&req->vias, 0);
  g_autofree char *hex = perch_random_hex (8);
  g_autofree char *branch = g_strconcat ("z9hG4bK", hex, NULL);
  if (via != NULL)
    osip_via_set_branch (via, osip_strdup (branch));
  return req;
}

/* The decimal digits of N. Not printf: it ran seven in ten of the
 * instructions session_send() spent per delivery (callgrind, perch-bench). */
static void
append_uint (GString *s, guint64 n)
{
  char digits[20];
  int i = sizeof digits;
  do
    digits[--i] = (char) ('0' + n % 10);
  while ((n /= 10) != 0);
  g_string_append_len (s, digits + i, sizeof digits - i);
}

/* One XCCOS body as an INFO in the dialog. On the fan-out path: the text
 * of the INFO was built once by libosip2 when the dialog began; per send
 * only CSeq, the branch and Content-Length change, and the body (one GBytes
 * shared by every recipient) is queued as it is, never copied. */
static void
session_send (gpointer transport, GBytes *body)
{
  Dialog *dialog = transport;
  guint32 cseq = ++dialog->local_cseq;
  GString *head = g_string_sized_new (strlen (dialog->info_start) + strlen (dialog->info_fixed) + 160);
  g_string_append (head, dialog->info_start);
  g_string_append (head, dialog->via);
  append_uint (head, cseq);
  g_string_append (head, "\r\n");
  g_string_append (head, dialog->info_fixed);
  g_string_append (head, "CSeq: ");
  append_uint (head, cseq);
  g_string_append (head, " INFO\r\nContent-Type: text/plain\r\nContent-Length: ");
  append_uint (head, g_bytes_get_size (body));
  g_string_append (head, "\r\n\r\n");
  g_autoptr(GBytes) bytes = g_string_free_to_bytes (head);
  perch_sip_connection_send (dialog->state->conn, bytes);
  perch_sip_connection_send (dialog->state->conn, body);
}

static void
send_bye (Dialog *dialog)
{
  osip_message_t *bye = dialog_request (dialog, "BYE");
  if (bye == NULL)
    return;
  perch_sip_connection_send_message (dialog->state->conn, bye);
  osip_message_free (bye);
}

static void
session_end (gpointer transport, const char *reason)
{
  Dialog *dialog = transport;
  send_bye (dialog);
  g_hash_table_remove (dialog->state->dialogs, dialog->call_id);
}

static const PerchSessionTransport session_transport = { session_send, session_end };

static void
dialog_free (Dialog *dialog)
{
  if (dialog->session)
    perch_channel_close_session (dialog->state->service->channel, dialog->session);
  if (dialog->template)
    osip_message_free (dialog->template);
  g_free (dialog->info_start);
  g_free (dialog->info_fixed);
  g_free (dialog->via);
  g_free (dialog->call_id);
  g_free (dialog->local_tag);
  g_free (dialog);
}

/* The INFO the server sends in this dialog: From and To swapped, our tag,
 * the client's Contact as the target. */
static osip_message_t *
dialog_template (ConnState *state, osip_message_t *invite, const char *local_tag)
{
  osip_message_t *m = NULL;
  osip_message_init (&m);
  osip_message_set_version (m, osip_strdup ("SIP/2.0"));
  osip_message_set_method (m, osip_strdup ("INFO"));
  osip_uri_t *target = NULL;
  osip_contact_t *contact = osip_list_get (&invite->contacts, 0);
  if (contact != NULL && contact->url != NULL)
    osip_uri_clone (contact->url, &target);
  else
    osip_uri_clone (invite->from->url, &target);
  osip_message_set_uri (m, target);
  osip_from_t *from = NULL, *to = NULL;
  osip_to_clone (invite->to, &from);
  if (perch_sip_tag (from) == NULL)
    osip_from_set_tag (from, osip_strdup (local_tag));
  osip_from_clone (invite->from, &to);
  m->from = from;
  m->to = to;
  osip_call_id_clone (invite->call_id, &m->call_id);
  osip_cseq_init (&m->cseq);
  osip_cseq_set_number (m->cseq, osip_strdup ("0"));
  osip_cseq_set_method (m->cseq, osip_strdup ("INFO"));
  const PerchChannelConfig *c = perch_channel_get_config (state->service->channel);
  g_autofree char *via = g_strdup_printf ("SIP/2.0/%s %s",
                                          perch_sip_connection_is_tls (state->conn) ? "TLS" : "TCP",
                                          c->domain);
  osip_message_set_via (m, via);
  g_autofree char *our_contact = g_strdup_printf ("<%s>", c->server_uri);
  osip_message_set_contact (m, our_contact);
  return m;
}

/* Splits the template's text into what never changes and what each INFO
 * fills in. The text is libosip2's own output; only whole lines are moved. */
static gboolean
dialog_split_template (Dialog *dialog)
{
  osip_message_t *info = NULL;
  if (osip_message_clone (dialog->template, &info) != 0)
    return FALSE;
  g_autoptr(GBytes) bytes = perch_sip_to_bytes (info);
  osip_message_free (info);
  if (bytes == NULL)
    return FALSE;
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
  GString *fixed = g_string_new (NULL);
  char *via = NULL;
  for (guint i = 1; lines[i] && *lines[i]; i++)
    {
      if (g_ascii_strncasecmp (lines[i], "Via:", 4) == 0)
        via = g_strdup (lines[i]);
      else if (g_ascii_strncasecmp (lines[i], "CSeq:", 5) != 0 &&
               g_ascii_strncasecmp (lines[i], "Content-Length:", 15) != 0 &&
               g_ascii_strncasecmp (lines[i], "Content-Type:", 13) != 0)
        g_string_append_printf (fixed, "%s\r\n", lines[i]);
    }
  if (lines[0] == NULL || via == NULL)
    {
      g_free (via);
      g_string_free (fixed, TRUE);
      return FALSE;
    }
  /* A branch unique per transaction: random per dialog, then the CSeq. */
  g_autofree char *hex = perch_random_hex (8);
  dialog->via = g_strdup_printf ("%s;branch=z9hG4bK%s.", via, hex);
  g_free (via);
  dialog->info_start = g_strdup_printf ("%s\r\n", lines[0]);
  dialog->info_fixed = g_string_free (fixed, FALSE);
  return TRUE;
}

static Dialog *
find_dialog (ConnState *state, osip_message_t *req)
{
  return g_hash_table_lookup (state->dialogs, req->call_id->number);
}

static void
handle_invite (ConnState *state, osip_message_t *req)
{
  PerchSipService *service = state->service;
  const PerchChannelConfig *c = perch_channel_get_config (service->channel);
  g_autofree char *expires = g_strdup_printf ("%u;refresher=uac", service->config.session_expires);
  Dialog *existing = find_dialog (state, req);
  if (existing != NULL)
    {
      /* A re-INVITE refreshes the session. */
      existing->expires_at = g_get_monotonic_time () + service->config.session_expires * G_USEC_PER_SEC;
      const char *headers[] = { "Session-Expires", expires, NULL };
      respond (state, req, 200, NULL, existing->local_tag, headers);
      return;
    }
  g_autofree char *target = request_user_host (req);
  g_autofree char *pool = g_ascii_strdown (c->pool_uri + 4, -1);
  g_autofree char *server = g_ascii_strdown (c->server_uri + 4, -1);
  if (target == NULL || (strcmp (target, pool) != 0 && strcmp (target, server) != 0))
    {
      respond (state, req, 404, "No such chat server", NULL, NULL);
      return;
    }
  if (g_hash_table_size (state->dialogs) >= 8)
    {
      respond (state, req, 486, "Too many sessions on this connection", NULL, NULL);
      return;
    }
  g_autofree char *tag = perch_random_hex (8);
  Dialog *dialog = g_new0 (Dialog, 1);
  dialog->state = state;
  dialog->call_id = g_strdup (req->call_id->number);
  dialog->local_tag = g_strdup (tag);
  dialog->template = dialog_template (state, req, tag);
  if (!dialog_split_template (dialog))
    {
      dialog_free (dialog);
      respond (state, req, 500, "Cannot build the session", NULL, NULL);
      return;
    }
  g_autoptr(GError) error = NULL;
  dialog->session = perch_channel_open_session (service->channel, state->user, &session_transport, dialog, &error);
  if (dialog->session == NULL)
    {
      dialog_free (dialog);
      if (g_error_matches (error, PERCH_ERROR, PERCH_ERROR_BUSY))
        {
          const char *headers[] = { "Retry-After", "30", NULL };
          respond (state, req, 503, error->message, tag, headers);
        }
      else
        respond (state, req, 403, error->message, tag, NULL);
      return;
    }
  dialog->expires_at = g_get_monotonic_time () + service->config.session_expires * G_USEC_PER_SEC;
  g_hash_table_insert (state->dialogs, dialog->call_id, dialog);

  g_autoptr(osip_message_t) resp = perch_sip_response_new (req, 200, NULL, tag);
  g_autofree char *contact = g_strdup_printf ("<%s>", c->server_uri);
  osip_message_set_contact (resp, contact);
  perch_sip_add_header (resp, "Session-Expires", expires);
  perch_sip_add_header (resp, "Supported", "timer");
  g_autofree char *sdp = g_strdup_printf ("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
                                          "t=0 0\r\nm=message 5060 sip %s\r\n", c->server_uri);
  perch_sip_set_body (resp, "application/sdp", sdp, strlen (sdp));
  perch_sip_connection_send_message (state->conn, resp);
}

typedef struct {
  ConnState      *state;      /* valid while conn is referenced and open */
  PerchSipConnection *conn;
  osip_message_t *req;
} PendingInfo;

static void
info_done (int status, const char *reason, guint retry_after, gpointer user_data)
{
  PendingInfo *pending = user_data;
  if (!perch_sip_connection_is_closed (pending->conn))
    {
      g_autoptr(osip_message_t) resp = perch_sip_response_new (pending->req, status, reason, NULL);
      if (retry_after > 0)
        {
          g_autofree char *ra = g_strdup_printf ("%u", retry_after);
          perch_sip_add_header (resp, "Retry-After", ra);
        }
      perch_sip_connection_send_message (pending->conn, resp);
    }
  osip_message_free (pending->req);
  perch_sip_connection_unref (pending->conn);
  g_free (pending);
}

static void
handle_info (ConnState *state, osip_message_t *req)
{
  Dialog *dialog = find_dialog (state, req);
  if (dialog == NULL)
    {
      respond (state, req, 481, NULL, NULL, NULL);
      osip_message_free (req);
      return;
    }
  gsize len;
  const char *body = perch_sip_body (req, &len);
  if (body == NULL || len == 0)
    {
      respond (state, req, 400, "INFO needs an XCCOS body", NULL, NULL);
      osip_message_free (req);
      return;
    }
  PendingInfo *pending = g_new0 (PendingInfo, 1);
  pending->state = state;
  pending->conn = perch_sip_connection_ref (state->conn);
  pending->req = req;
  perch_channel_handle_info (state->service->channel, dialog->session, body, len, info_done, pending);
}

/* ---- dispatch ----------------------------------------------------------- */

static void
handle_response (ConnState *state, osip_message_t *resp)
{
  /* Answers to our INFOs and BYEs. A dead Call-ID (481, or SIPE's 487 for
   * an obsolete dialog) ends that dialog. */
  if (resp->status_code == 481 || resp->status_code == 487 || resp->status_code == 408)
    {
      Dialog *dialog = g_hash_table_lookup (state->dialogs, resp->call_id->number);
      if (dialog != NULL)
        g_hash_table_remove (state->dialogs, dialog->call_id);
    }
}

static gboolean
from_is_user (ConnState *state, osip_message_t *msg)
{
  g_autofree char *from = perch_sip_address_uri (msg->from);
  return from != NULL && strcmp (from, state->user) == 0;
}

static void
on_message (PerchSipConnection *conn, osip_message_t *msg, gpointer user_data)
{
  ConnState *state = user_data;
  if (MSG_IS_RESPONSE (msg))
    {
      handle_response (state, msg);
      osip_message_free (msg);
      return;
    }
  /* INFO is limited per session by the channel service; this guards the
   * rest (REGISTER, SUBSCRIBE, INVITE floods) on each connection. */
  if (!MSG_IS_INFO (msg) && perch_sip_connection_count_message (conn) > MAX_REQUESTS_PER_SECOND)
    {
      const char *headers[] = { "Retry-After", "1", NULL };
      respond (state, msg, 503, NULL, NULL, headers);
      osip_message_free (msg);
      return;
    }
  if (MSG_IS_REGISTER (msg))
    handle_register (state, msg);
  else if (state->user == NULL)
    {
      /* Nothing but REGISTER before signing in. */
      if (!MSG_IS_ACK (msg))
        respond (state, msg, 403, "Register first", NULL, NULL);
    }
  else if (!from_is_user (state, msg))
    {
      /* Every request on a connection is from the user who signed in on it. */
      if (!MSG_IS_ACK (msg))
        respond (state, msg, 403, "From does not match the signed-in user", NULL, NULL);
    }
  else if (MSG_IS_INFO (msg))
    {
      handle_info (state, msg);
      return;  /* handle_info owns msg */
    }
  else if (MSG_IS_SUBSCRIBE (msg))
    handle_subscribe (state, msg);
  else if (MSG_IS_INVITE (msg))
    handle_invite (state, msg);
  else if (MSG_IS_ACK (msg))
    ;
  else if (MSG_IS_UPDATE (msg))
    {
      Dialog *dialog = find_dialog (state, msg);
      if (dialog == NULL)
        respond (state, msg, 481, NULL, NULL, NULL);
      else
        {
          dialog->expires_at = g_get_monotonic_time () + state->service->config.session_expires * G_USEC_PER_SEC;
          g_autofree char *expires = g_strdup_printf ("%u;refresher=uac", state->service->config.session_expires);
          const char *headers[] = { "Session-Expires", expires, NULL };
          respond (state, msg, 200, NULL, dialog->local_tag, headers);
        }
    }
  else if (MSG_IS_BYE (msg))
    {
      Dialog *dialog = find_dialog (state, msg);
      respond (state, msg, dialog ? 200 : 481, NULL, NULL, NULL);
      if (dialog != NULL)
        g_hash_table_remove (state->dialogs, dialog->call_id);
    }
  else if (MSG_IS_OPTIONS (msg))
    {
      const char *headers[] = { "Allow", "REGISTER, SUBSCRIBE, INVITE, ACK, BYE, UPDATE, INFO, OPTIONS", NULL };
      respond (state, msg, 200, NULL, NULL, headers);
    }
  else if (MSG_IS_CANCEL (msg))
    respond (state, msg, 481, NULL, NULL, NULL);
  else
    respond (state, msg, 501, NULL, NULL, NULL);
  osip_message_free (msg);
}

static void
on_closed (PerchSipConnection *conn, gpointer user_data)
{
  ConnState *state = user_data;
  PerchSipService *service = state->service;
  if (service == NULL)
    return;  /* the service is gone; it let go of this connection already */
  g_hash_table_remove_all (state->dialogs);
  if (g_hash_table_remove (service->connections, state))
    perch_sip_connection_unref (conn);
}

static const PerchSipConnectionCallbacks connection_callbacks = { on_message, NULL, on_closed };

static void
conn_state_free (ConnState *state)
{
  g_hash_table_unref (state->dialogs);
  g_clear_object (&state->cert);
  g_free (state->user);
  g_free (state);
}

static void
start_connection (PerchSipService *service, GIOStream *stream)
{
  ConnState *state = g_new0 (ConnState, 1);
  state->service = service;
  state->opened = g_get_monotonic_time ();
  state->dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) dialog_free);
  state->conn = perch_sip_connection_new (stream, &connection_callbacks, state);
  /* Clients answer every fan-out INFO with 200; only failures matter here. */
  perch_sip_connection_set_skip_success_responses (state->conn, TRUE);
  perch_sip_connection_set_data (state->conn, state, (GDestroyNotify) conn_state_free);
  g_hash_table_add (service->connections, state);
  perch_sip_connection_start (state->conn);
}

static void
tls_handshake_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PerchSipService *service = user_data;
  g_autoptr(GError) error = NULL;
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_debug ("TLS handshake failed: %s", error->message);
      g_object_unref (source);
      return;
    }
  start_connection (service, G_IO_STREAM (source));
  g_object_unref (source);
}

static gboolean
on_incoming (GSocketService *listener, GSocketConnection *connection, GObject *source, gpointer user_data)
{
  PerchSipService *service = user_data;
  GTlsCertificate *cert = g_object_get_data (G_OBJECT (listener), "perch-cert");
  g_socket_set_keepalive (g_socket_connection_get_socket (connection), TRUE);
  if (cert == NULL)
    {
      start_connection (service, G_IO_STREAM (connection));
      return TRUE;
    }
  g_autoptr(GError) error = NULL;
  GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (connection), cert, &error);
  if (tls == NULL)
    {
      g_warning ("TLS unavailable: %s", error->message);
      return TRUE;
    }
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, NULL, tls_handshake_done, service);
  return TRUE;
}

/* Ends sessions whose Session-Expires ran out and connections that never
 * registered. */
static gboolean
sweep (gpointer user_data)
{
  PerchSipService *service = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) idle = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, service->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      ConnState *state = key;
      if (state->user == NULL && now - state->opened > service->config.register_timeout * G_USEC_PER_SEC)
        {
          g_ptr_array_add (idle, state->conn);
          continue;
        }
      GHashTableIter diter;
      gpointer dvalue;
      g_hash_table_iter_init (&diter, state->dialogs);
      while (g_hash_table_iter_next (&diter, NULL, &dvalue))
        {
          Dialog *dialog = dvalue;
          if (dialog->expires_at < now)
            {
              send_bye (dialog);
              g_hash_table_iter_remove (&diter);
            }
        }
    }
  for (guint i = 0; i < idle->len; i++)
    perch_sip_connection_close (g_ptr_array_index (idle, i));
  return G_SOURCE_CONTINUE;
}

PerchSipService *
perch_sip_service_new (PerchChannel *channel, PerchStore *store, const PerchSipServiceConfig *config)
{
  perch_sip_init ();
  PerchSipService *service = g_new0 (PerchSipService, 1);
  service->channel = channel;
  service->store = store;
  service->config = *config;
  if (service->config.max_auth_failures == 0) service->config.max_auth_failures = 3;
  if (service->config.session_expires < 2 || service->config.session_expires > 86400)
    service->config.session_expires = 1800;
  if (service->config.register_timeout == 0) service->config.register_timeout = 30;
  if (service->config.keep_alive_timeout == 0) service->config.keep_alive_timeout = 300;
  service->nonces = perch_nonce_store_new ();
  service->listeners = g_ptr_array_new ();
  service->connections = g_hash_table_new (g_direct_hash, g_direct_equal);
  service->realm = g_strdup (perch_channel_get_config (channel)->domain);
  /* Sweep often enough that a session outlives its expiry by at most a
   * fifth of it. */
  /* On the thread-default context, so a server can run on a thread of its
   * own (the console's demo mode). */
  service->sweep = g_timeout_source_new_seconds (CLAMP (service->config.session_expires / 5, 1, 5));
  g_source_set_callback (service->sweep, sweep, service, NULL);
  g_source_set_static_name (service->sweep, "perch-sip-sweep");
  g_source_attach (service->sweep, g_main_context_get_thread_default ());
  return service;
}

char *
perch_sip_service_listen (PerchSipService *service, const char *host_port, GTlsCertificate *cert, GError **error)
{
  g_autofree char *host = NULL;
  guint16 port;
  if (!perch_parse_host_port (host_port, &host, &port, error))
    return NULL;
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” is not an IP address", host);
      return NULL;
    }
  g_autoptr(GSocketAddress) want = g_inet_socket_address_new (addr, port);
  g_autoptr(GSocketAddress) got = NULL;
  GSocketService *listener = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (listener), 1024);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (listener), want, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &got, error))
    {
      g_object_unref (listener);
      return NULL;
    }
  if (cert != NULL)
    g_object_set_data_full (G_OBJECT (listener), "perch-cert", g_object_ref (cert), g_object_unref);
  g_signal_connect (listener, "incoming", G_CALLBACK (on_incoming), service);
  g_socket_service_start (listener);
  g_ptr_array_add (service->listeners, listener);
  guint16 bound = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (got));
  return strchr (host, ':') ? g_strdup_printf ("[%s]:%u", host, bound) : g_strdup_printf ("%s:%u", host, bound);
}

void
perch_sip_service_set_web_url (PerchSipService *service, const char *url)
{
  g_free (service->web_url);
  service->web_url = g_strdup (url);
}

guint
perch_sip_service_n_connections (PerchSipService *service)
{
  return g_hash_table_size (service->connections);
}

void
perch_sip_service_stop (PerchSipService *service)
{
  for (guint i = 0; i < service->listeners->len; i++)
    {
      GSocketService *listener = g_ptr_array_index (service->listeners, i);
      g_socket_service_stop (listener);
      g_socket_listener_close (G_SOCKET_LISTENER (listener));
      g_object_unref (listener);
    }
  g_ptr_array_set_size (service->listeners, 0);
  GList *states = g_hash_table_get_keys (service->connections);
  for (GList *l = states; l; l = l->next)
    {
      ConnState *state = l->data;
      GHashTableIter iter;
      gpointer value;
      g_hash_table_iter_init (&iter, state->dialogs);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        send_bye (value);
      g_hash_table_remove_all (state->dialogs);
      perch_sip_connection_close (state->conn);
    }
  g_list_free (states);
}

void
perch_sip_service_free (PerchSipService *service)
{
  if (service == NULL)
    return;
  perch_sip_service_stop (service);
  /* Connections still flushing their last bytes are let go of here. */
  GList *states = g_hash_table_get_keys (service->connections);
  for (GList *l = states; l; l = l->next)
    {
      ConnState *state = l->data;
      g_hash_table_remove_all (state->dialogs);
      g_hash_table_remove (service->connections, state);
      state->service = NULL;
      perch_sip_connection_unref (state->conn);
    }
  g_list_free (states);
  g_source_destroy (service->sweep);
  g_source_unref (service->sweep);
  g_hash_table_unref (service->connections);
  g_ptr_array_unref (service->listeners);
  perch_nonce_store_free (service->nonces);
  g_free (service->web_url);
  g_free (service->realm);
  g_free (service);
}
