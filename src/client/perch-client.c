/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-client.c: the client side of Perch's SIP sign-in and XCCOS session.
 *
 * One connection carries three short-lived SIP exchanges (REGISTER with
 * Digest, the provisioning SUBSCRIBE, the INVITE of the pool) and then one
 * dialog in which XCCOS travels in INFO requests both ways. Requests are
 * built with libosip2's types; the connection (perch-sip-connection.c) does
 * the framing and the coalesced writes.
 *
 * Every request is a "transaction" here: a CSeq number (one counter for all
 * Call-IDs, so a response finds its request by number alone), a callback and
 * a timer. XCCOS commands sit in a second table keyed by seqid, because
 * their answer arrives later in a request of the server's own. */
#include "config.h"

#include <string.h>
#include <stdlib.h>
#include <libxml/parser.h>

#include "perch-common.h"
#include "perch-sip-message.h"
#include "perch-sip-digest.h"
#include "perch-sip-connection.h"
#include "perch-xccos.h"
#include "perch-client.h"

#define PROVISIONING_EVENT "vnd-microsoft-provisioning-v2"
#define PROVISIONING_TYPE  "application/vnd-microsoft-roaming-provisioning-v2+xml"
#define CLIENT_USER_AGENT         "perch-client/" PACKAGE_VERSION

/* What a transaction hears back: a final response, or an error (timeout,
 * connection gone) and RESP NULL. */
typedef void (*ResponseFunc) (PerchClient *self, osip_message_t *resp,
                              const GError *error, gpointer data);

typedef struct {
  PerchClient   *self;       /* not a reference: the table lives in self */
  guint32        cseq;
  char          *method;
  ResponseFunc   func;
  gpointer       data;
  GDestroyNotify destroy;
  GSource       *timeout;
} Transaction;

typedef struct {
  PerchClient *self;
  guint        seqid;
  gint64       envid;
  char        *cmd_id;
  GTask       *task;
  GSource     *timeout;
  GSource     *cancel_source;
} Command;

/* Shared between the client and its connection, so the connection's
 * callbacks can tell whether the client still exists: the connection may
 * outlive it while its last output (a BYE) drains. */
typedef struct {
  PerchClient        *client;       /* NULL once the client is gone */
  PerchSipConnection *orphan;       /* the client's reference, handed over at dispose */
  gboolean            closed_ran;   /* the connection's closed callback ran */
  char               *error;        /* framing/parse error, for the closed reason */
} ConnLink;

typedef enum {
  STEP_IDLE,
  STEP_CONNECTING,
  STEP_REGISTER,
  STEP_SUBSCRIBE,
  STEP_AWAIT_NOTIFY,
  STEP_INVITE,
  STEP_ESTABLISHED,
  STEP_OVER,
} Step;

struct _PerchClient {
  GObject parent_instance;

  char    *host;
  guint16  port;
  gboolean tls;
  gboolean accept_invalid;
  char    *pinned;               /* "AB:CD:...": the only certificate accepted */
  char    *peer_fingerprint;     /* of the certificate the server presented */
  GTlsCertificateFlags peer_errors; /* what validating it found */
  char    *user_uri;             /* sip:alice@example.test */
  char    *username;             /* alice@example.test, as Digest wants it */
  char    *domain;
  char    *password;
  guint    timeout_ms;

  GIOStream          *stream;
  PerchSipConnection *conn;
  ConnLink           *link;
  char               *local_host; /* for Via and Contact */
  guint16             local_port;

  Step     step;
  GTask   *connect_task;
  GSource *connect_cancel_source;
  gboolean auth_sent;            /* credentials went out; a second 407 means refused */

  guint32     cseq;              /* last CSeq number used, any Call-ID */
  GHashTable *transactions;      /* cseq -> Transaction */

  char *reg_call_id, *reg_tag;
  char *sub_call_id, *sub_tag;

  /* the chat session dialog */
  char    *call_id, *local_tag, *remote_tag, *remote_target;
  char    *invite_branch;
  guint32  invite_cseq;
  gboolean bye_sent;

  gboolean chat_enabled;
  char    *pool_uri;
  char    *provisioning_xml;

  GSource *refresh_source;       /* session refresh (UPDATE) */
  GSource *keepalive_source;     /* CRLF keep-alives */
  guint    keepalive_s;
  guint    session_expires_s;

  gint64      envid;             /* last envid sent */
  guint       seqid;             /* last seqid sent */
  GHashTable *commands;          /* seqid -> Command */

  guint retry_after;
  GPtrArray *close_waiters;      /* GTasks of close_async, done when the connection is */
  gboolean   ending;             /* within end_session */
};

G_DEFINE_FINAL_TYPE (PerchClient, perch_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_TLS,
  PROP_ACCEPT_INVALID_CERTIFICATES,
  PROP_PINNED_CERTIFICATE,
  PROP_USER,
  PROP_PASSWORD,
  PROP_TIMEOUT,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_POST,
  SIGNAL_NOTICE,
  SIGNAL_CLOSED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void end_session (PerchClient *self, const GError *error);
static void complete_close_waiters (PerchClient *self);
static void connect_fail (PerchClient *self, GError *error);
static void send_subscribe (PerchClient *self);
static void send_invite (PerchClient *self);

/* ---- the reply boxed type ---- */

G_DEFINE_BOXED_TYPE (PerchClientReply, perch_client_reply,
                     perch_client_reply_ref, perch_client_reply_unref)

PerchClientReply *
perch_client_reply_ref (PerchClientReply *reply)
{
  g_atomic_ref_count_inc (&reply->ref);
  return reply;
}

/* The envelope several replies may point into. */
typedef struct {
  PerchXccosEnvelope *envelope;
} SharedEnvelope;

static void
shared_envelope_clear (gpointer data)
{
  SharedEnvelope *shared = data;
  perch_xccos_envelope_free (shared->envelope);
}

void
perch_client_reply_unref (PerchClientReply *reply)
{
  if (reply == NULL || !g_atomic_ref_count_dec (&reply->ref))
    return;
  g_rc_box_release_full (reply->shared, shared_envelope_clear);
  g_free (reply);
}

/* ---- small helpers ---- */

static char *
random_token (void)
{
  return perch_random_hex (8);
}

/* Maps a SIP failure status onto the PERCH_ERROR code with the same meaning. */
static int
status_to_code (int status)
{
  switch (status)
    {
    case 401: case 403: case 407:
      return PERCH_ERROR_ACCESS_DENIED;
    case 404: case 480: case 481:
      return PERCH_ERROR_NOT_FOUND;
    case 409:
      return PERCH_ERROR_CONFLICT;
    case 413:
      return PERCH_ERROR_TOO_LARGE;
    case 503:
      return PERCH_ERROR_BUSY;
    default:
      return status >= 500 ? PERCH_ERROR_FAILED : PERCH_ERROR_BAD_REQUEST;
    }
}

/* WHAT says what failed ("sign-in refused"). The message carries the status
 * and the server's reason phrase and nothing about the request, so two
 * refusals that the server answered alike read alike. */
static GError *
status_error (PerchClient *self, osip_message_t *resp, const char *what)
{
  int status = osip_message_get_status_code (resp);
  const char *reason = osip_message_get_reason_phrase (resp);
  if (reason == NULL)
    reason = perch_sip_reason (status);
  return g_error_new (PERCH_ERROR, status_to_code (status), "%s: %d %s", what, status, reason);
}

static char *
uri_to_string (osip_uri_t *uri)
{
  char *s = NULL;
  if (uri == NULL || osip_uri_to_str (uri, &s) != 0 || s == NULL)
    return NULL;
  char *copy = g_strdup (s);
  osip_free (s);
  return copy;
}

static osip_uri_t *
uri_parse (const char *text)
{
  osip_uri_t *uri = NULL;
  if (text == NULL || osip_uri_init (&uri) != 0)
    return NULL;
  if (osip_uri_parse (uri, text) != 0)
    {
      osip_uri_free (uri);
      return NULL;
    }
  return uri;
}

static osip_from_t *
address_new (const char *uri_text, const char *tag)
{
  osip_uri_t *uri = uri_parse (uri_text);
  if (uri == NULL)
    return NULL;
  osip_from_t *addr = NULL;
  osip_from_init (&addr);
  osip_from_set_url (addr, uri);
  if (tag != NULL)
    osip_from_set_tag (addr, osip_strdup (tag));
  return addr;
}

/* Our Contact: where the server could reach this client, i.e. this very
 * connection's local end. */
static osip_contact_t *
contact_new (PerchClient *self)
{
  osip_uri_t *uri = NULL;
  osip_uri_init (&uri);
  osip_uri_set_scheme (uri, osip_strdup ("sip"));
  g_autofree char *user = g_strndup (self->username, strcspn (self->username, "@"));
  osip_uri_set_username (uri, osip_strdup (user));
  osip_uri_set_host (uri, osip_strdup (self->local_host));
  g_autofree char *port = g_strdup_printf ("%u", self->local_port);
  osip_uri_set_port (uri, osip_strdup (port));
  if (self->tls)
    osip_uri_set_transport_tls (uri);
  else
    osip_uri_set_transport_tcp (uri);
  osip_contact_t *contact = NULL;
  osip_contact_init (&contact);
  osip_contact_set_url (contact, uri);
  return contact;
}

/* A request with everything RFC 3261 asks of one: request line, Via with a
 * fresh branch, From, To, Call-ID, CSeq, Max-Forwards. NULL when a URI (one
 * the server gave us) does not parse. */
static osip_message_t *
request_new (PerchClient *self, const char *method, const char *request_uri,
             const char *call_id, const char *from_tag,
             const char *to_uri, const char *to_tag, guint32 cseq,
             char **branch_out)
{
  g_autoptr(osip_message_t) msg = NULL;
  osip_message_init (&msg);
  osip_message_set_method (msg, osip_strdup (method));
  osip_message_set_version (msg, osip_strdup ("SIP/2.0"));
  osip_uri_t *ruri = uri_parse (request_uri);
  if (ruri == NULL)
    return NULL;
  osip_message_set_uri (msg, ruri);

  osip_via_t *via = NULL;
  osip_via_init (&via);
  osip_via_set_version (via, osip_strdup ("2.0"));
  osip_via_set_protocol (via, osip_strdup (self->tls ? "TLS" : "TCP"));
  osip_via_set_host (via, osip_strdup (self->local_host));
  g_autofree char *port = g_strdup_printf ("%u", self->local_port);
  osip_via_set_port (via, osip_strdup (port));
  g_autofree char *rand = random_token ();
  g_autofree char *branch = g_strconcat ("z9hG4bK", rand, NULL);
  osip_via_set_branch (via, osip_strdup (branch));
  osip_list_add (&msg->vias, via, -1);

  msg->from = address_new (self->user_uri, from_tag);
  msg->to = address_new (to_uri, to_tag);
  if (msg->from == NULL || msg->to == NULL)
    return NULL;

  osip_call_id_t *cid = NULL;
  osip_call_id_init (&cid);
  osip_call_id_set_number (cid, osip_strdup (call_id));
  msg->call_id = cid;

  osip_cseq_t *cs = NULL;
  osip_cseq_init (&cs);
  g_autofree char *num = g_strdup_printf ("%u", cseq);
  osip_cseq_set_number (cs, osip_strdup (num));
  osip_cseq_set_method (cs, osip_strdup (method));
  msg->cseq = cs;

  osip_message_set_max_forwards (msg, "70");
  osip_message_set_user_agent (msg, CLIENT_USER_AGENT);
  if (branch_out != NULL)
    *branch_out = g_steal_pointer (&branch);
  return g_steal_pointer (&msg);
}

/* An in-dialog request on the chat session. */
static osip_message_t *
dialog_request_new (PerchClient *self, const char *method)
{
  const char *target = self->remote_target ? self->remote_target : self->pool_uri;
  return request_new (self, method, target, self->call_id, self->local_tag,
                      self->pool_uri, self->remote_tag, ++self->cseq, NULL);
}

/* ---- transactions ---- */

static void
transaction_free (Transaction *t)
{
  if (t->timeout != NULL)
    {
      g_source_destroy (t->timeout);
      g_source_unref (t->timeout);
    }
  if (t->destroy != NULL)
    t->destroy (t->data);
  g_free (t->method);
  g_free (t);
}

static gboolean
transaction_timeout_cb (gpointer user_data)
{
  Transaction *t = user_data;
  PerchClient *self = t->self;
  g_hash_table_steal (self->transactions, GUINT_TO_POINTER (t->cseq));
  g_clear_pointer (&t->timeout, g_source_unref);
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                         "no answer to %s within %u ms", t->method, self->timeout_ms);
  g_object_ref (self);
  t->func (self, NULL, error, t->data);
  transaction_free (t);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Sends MSG (which stays the caller's) and calls FUNC with its final
 * response, or with an error when none comes in time. */
static void
send_request (PerchClient *self, osip_message_t *msg, ResponseFunc func,
              gpointer data, GDestroyNotify destroy)
{
  Transaction *t = g_new0 (Transaction, 1);
  t->self = self;
  t->cseq = (guint32) strtoul (msg->cseq->number, NULL, 10);
  t->method = g_strdup (msg->cseq->method);
  t->func = func;
  t->data = data;
  t->destroy = destroy;
  t->timeout = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (t->timeout, transaction_timeout_cb, t, NULL);
  g_source_set_static_name (t->timeout, "perch-client-transaction");
  g_source_attach (t->timeout, g_main_context_get_thread_default ());
  g_hash_table_replace (self->transactions, GUINT_TO_POINTER (t->cseq), t);
  perch_sip_connection_send_message (self->conn, msg);
}

/* Fails every outstanding transaction with ERROR. The table is emptied
 * first, because the callbacks may start new work or drop the client. */
static void
fail_transactions (PerchClient *self, const GError *error)
{
  GList *list = g_hash_table_get_values (self->transactions);
  g_hash_table_steal_all (self->transactions);
  for (GList *l = list; l != NULL; l = l->next)
    {
      Transaction *t = l->data;
      t->func (self, NULL, error, t->data);
      transaction_free (t);
    }
  g_list_free (list);
}

static void
handle_response (PerchClient *self, osip_message_t *resp)
{
  if (resp->cseq == NULL || resp->cseq->number == NULL)
    return;
  int status = osip_message_get_status_code (resp);
  if (status < 200)
    return; /* provisional: keep waiting */
  guint32 cseq = (guint32) strtoul (resp->cseq->number, NULL, 10);
  Transaction *t = g_hash_table_lookup (self->transactions, GUINT_TO_POINTER (cseq));
  if (t == NULL || g_strcmp0 (t->method, resp->cseq->method) != 0)
    {
      g_debug ("response %d to CSeq %u %s matches no request", status, cseq, resp->cseq->method);
      return;
    }
  g_hash_table_steal (self->transactions, GUINT_TO_POINTER (cseq));
  t->func (self, resp, NULL, t->data);
  transaction_free (t);
}

/* ---- commands ---- */

static void
command_free (Command *cmd)
{
  if (cmd->timeout != NULL)
    {
      g_source_destroy (cmd->timeout);
      g_source_unref (cmd->timeout);
    }
  if (cmd->cancel_source != NULL)
    {
      g_source_destroy (cmd->cancel_source);
      g_source_unref (cmd->cancel_source);
    }
  g_clear_object (&cmd->task);
  g_free (cmd->cmd_id);
  g_free (cmd);
}

/* Completes the command SEQID with REPLY (taken) or ERROR. */
static void
command_complete (PerchClient *self, guint seqid, PerchClientReply *reply, GError *error)
{
  Command *cmd = NULL;
  if (!g_hash_table_steal_extended (self->commands, GUINT_TO_POINTER (seqid), NULL, (gpointer *) &cmd))
    {
      g_clear_pointer (&reply, perch_client_reply_unref);
      g_clear_error (&error);
      return;
    }
  GTask *task = g_steal_pointer (&cmd->task);
  command_free (cmd);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) perch_client_reply_unref);
  g_object_unref (task);
}

static gboolean
command_timeout_cb (gpointer user_data)
{
  Command *cmd = user_data;
  PerchClient *self = cmd->self;
  g_clear_pointer (&cmd->timeout, g_source_unref);
  g_object_ref (self);
  command_complete (self, cmd->seqid, NULL,
                    g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                 "no reply to %s (seqid %u) within %u ms",
                                 cmd->cmd_id, cmd->seqid, self->timeout_ms));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static gboolean
command_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Command *cmd = user_data;
  PerchClient *self = cmd->self;
  g_clear_pointer (&cmd->cancel_source, g_source_unref);
  g_object_ref (self);
  command_complete (self, cmd->seqid, NULL,
                    g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s was cancelled", cmd->cmd_id));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
fail_commands (PerchClient *self, const GError *error)
{
  GList *keys = g_hash_table_get_keys (self->commands);
  for (GList *l = keys; l != NULL; l = l->next)
    command_complete (self, GPOINTER_TO_UINT (l->data), NULL, g_error_copy (error));
  g_list_free (keys);
}

/* ---- provisioning ---- */

static gboolean
name_is (xmlNode *node, const char *name)
{
  return node->type == XML_ELEMENT_NODE && strcmp ((const char *) node->name, name) == 0;
}

static xmlNode *
find_group (xmlNode *node, const char *group)
{
  for (; node != NULL; node = node->next)
    {
      if (name_is (node, "provisionGroup"))
        {
          xmlChar *name = xmlGetProp (node, (const xmlChar *) "name");
          gboolean match = name != NULL && strcmp ((const char *) name, group) == 0;
          xmlFree (name);
          if (match)
            return node;
        }
      xmlNode *found = find_group (node->children, group);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Calls back for every <property name="X">value</property> under NODE,
 * wherever the document nests them. */
static void
each_property (PerchClient *self, xmlNode *node)
{
  for (; node != NULL; node = node->next)
    {
      if (name_is (node, "property"))
        {
          xmlChar *name = xmlGetProp (node, (const xmlChar *) "name");
          xmlChar *value = xmlNodeGetContent (node);
          g_autofree char *v = g_strstrip (g_strdup (value ? (const char *) value : ""));
          if (name != NULL && strcmp ((const char *) name, "EnablePersistentChat") == 0)
            self->chat_enabled = g_ascii_strcasecmp (v, "true") == 0;
          else if (name != NULL && strcmp ((const char *) name, "DefaultPersistentChatPoolUri") == 0 && *v)
            {
              g_free (self->pool_uri);
              self->pool_uri = g_strdup (v);
            }
          else if (name != NULL && strcmp ((const char *) name, "PersistentChatPoolUris") == 0 &&
                   *v && self->pool_uri == NULL)
            self->pool_uri = g_strndup (v, strcspn (v, " \t"));
          xmlFree (name);
          xmlFree (value);
        }
      else
        each_property (self, node->children);
    }
}

static gboolean
parse_provisioning (PerchClient *self, const char *body, gsize len, GError **error)
{
  g_free (self->provisioning_xml);
  self->provisioning_xml = g_strndup (body, len);
  /* No network, no entity substitution, no DTD: the document is the
   * server's, but the parser owes it no trust. */
  xmlDoc *doc = xmlReadMemory (body, (int) len, "provisioning.xml", NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "the provisioning document from the server is not well-formed XML");
      return FALSE;
    }
  self->chat_enabled = FALSE;
  g_clear_pointer (&self->pool_uri, g_free);
  xmlNode *group = find_group (xmlDocGetRootElement (doc), "persistentChatConfiguration");
  if (group != NULL)
    each_property (self, group->children);
  xmlFreeDoc (doc);
  if (self->pool_uri == NULL)
    self->pool_uri = g_strdup_printf ("sip:ocschat@%s", self->domain); /* SIPE's fallback */
  return TRUE;
}

/* ---- requests from the server ---- */

static void
respond (PerchClient *self, osip_message_t *req, int status)
{
  g_autoptr(osip_message_t) resp = perch_sip_response_new (req, status, NULL, NULL);
  perch_sip_connection_send_message (self->conn, resp);
}

static void
handle_xccos (PerchClient *self, const char *body, gsize len)
{
  g_autoptr(GError) error = NULL;
  PerchXccosEnvelope *env = perch_xccos_parse (body, len, &error);
  if (env == NULL)
    {
      g_message ("ignoring an XCCOS body from the server: %s", error->message);
      return;
    }
  /* Every reply in this envelope holds a reference; so does this function
   * until it is done with the items. */
  SharedEnvelope *shared = g_rc_box_new0 (SharedEnvelope);
  shared->envelope = env;

  for (guint i = 0; i < env->items->len; i++)
    {
      PerchXccosItem *item = g_ptr_array_index (env->items, i);
      switch (item->kind)
        {
        case PERCH_XCCOS_RPL:
          {
            Command *cmd = g_hash_table_lookup (self->commands,
                                                GUINT_TO_POINTER ((guint) item->cmd_seqid));
            if (cmd == NULL || item->cmd_seqid <= 0 || item->cmd_envid != cmd->envid)
              {
                g_debug ("%s for seqid %" G_GINT64_FORMAT " envid %" G_GINT64_FORMAT " matches no command",
                         item->id, item->cmd_seqid, item->cmd_envid);
                break;
              }
            if (item->code != 200)
              {
                command_complete (self, cmd->seqid, NULL,
                                  g_error_new (PERCH_ERROR, item->code, "%s failed: %d %s", cmd->cmd_id,
                                               item->code, item->code_text ? item->code_text
                                                                           : perch_error_code_name (item->code)));
                break;
              }
            PerchClientReply *reply = g_new0 (PerchClientReply, 1);
            g_atomic_ref_count_init (&reply->ref);
            reply->code = item->code;
            reply->code_text = item->code_text;
            reply->item = item;
            reply->data = item->data;
            reply->envelope = env;
            reply->shared = g_rc_box_acquire (shared);
            command_complete (self, cmd->seqid, reply, NULL);
            break;
          }
        case PERCH_XCCOS_GRPCHAT:
          g_signal_emit (self, signals[SIGNAL_POST], 0, item->chan_uri, item->author,
                         item->chat ? item->chat : "", item->ts, item->msgid);
          break;
        case PERCH_XCCOS_NTC:
          g_signal_emit (self, signals[SIGNAL_NOTICE], 0, item->id, item);
          break;
        case PERCH_XCCOS_CMD:
        default:
          g_debug ("ignoring %s from the server", item->id);
          break;
        }
      if (self->step == STEP_OVER)
        break;
    }
  g_rc_box_release_full (shared, shared_envelope_clear);
}

static void
handle_request (PerchClient *self, osip_message_t *req)
{
  const char *method = req->sip_method;
  const char *call_id = req->call_id->number;
  gboolean in_session = self->call_id != NULL && g_strcmp0 (call_id, self->call_id) == 0 &&
                        self->step == STEP_ESTABLISHED;

  if (strcmp (method, "ACK") == 0)
    return;
  if (strcmp (method, "INFO") == 0)
    {
      if (!in_session)
        {
          respond (self, req, 481);
          return;
        }
      /* Acknowledge first: the server's output must not wait on what the
       * handlers here do. */
      respond (self, req, 200);
      gsize len = 0;
      const char *body = perch_sip_body (req, &len);
      if (body != NULL && len > 0)
        handle_xccos (self, body, len);
      return;
    }
  if (strcmp (method, "BYE") == 0)
    {
      if (!in_session)
        {
          respond (self, req, 481);
          return;
        }
      respond (self, req, 200);
      g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                             "the server ended the chat session (BYE)");
      self->bye_sent = TRUE; /* no BYE back for a dialog the server ended */
      end_session (self, error);
      return;
    }
  if (strcmp (method, "NOTIFY") == 0)
    {
      respond (self, req, 200);
      const char *event = perch_sip_header (req, "Event");
      gsize len = 0;
      const char *body = perch_sip_body (req, &len);
      if (self->step == STEP_AWAIT_NOTIFY && event != NULL &&
          g_str_has_prefix (event, PROVISIONING_EVENT) && body != NULL && len > 0)
        {
          g_autoptr(GError) error = NULL;
          if (!parse_provisioning (self, body, len, &error))
            connect_fail (self, g_steal_pointer (&error));
          else
            send_invite (self);
        }
      return;
    }
  if (strcmp (method, "OPTIONS") == 0 || strcmp (method, "UPDATE") == 0)
    {
      respond (self, req, in_session || strcmp (method, "OPTIONS") == 0 ? 200 : 481);
      return;
    }
  respond (self, req, 501);
}

/* ---- the connection's callbacks ---- */

static void
conn_message (PerchSipConnection *conn, osip_message_t *msg, gpointer user_data)
{
  ConnLink *link = user_data;
  PerchClient *self = link->client;
  if (self == NULL || self->step == STEP_OVER)
    {
      osip_message_free (msg);
      return;
    }
  g_object_ref (self);
  if (MSG_IS_RESPONSE (msg))
    handle_response (self, msg);
  else
    handle_request (self, msg);
  osip_message_free (msg);
  g_object_unref (self);
}

static void
conn_error (PerchSipConnection *conn, const GError *error, gpointer user_data)
{
  ConnLink *link = user_data;
  g_free (link->error);
  link->error = g_strdup (error->message);
}

static void
complete_close_waiters (PerchClient *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->close_waiters);
  self->close_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

static void
conn_closed (PerchSipConnection *conn, gpointer user_data)
{
  ConnLink *link = user_data;
  link->closed_ran = TRUE;
  if (link->client == NULL)
    {
      /* The client is gone and left us its reference; this is the last
       * thing finish_close does, so the connection may go now. */
      PerchSipConnection *orphan = g_steal_pointer (&link->orphan);
      if (orphan != NULL)
        perch_sip_connection_unref (orphan);
      return;
    }
  PerchClient *self = g_object_ref (link->client);
  g_autoptr(GError) error = NULL;
  if (link->error != NULL)
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         "the server sent something that is not SIP: %s", link->error);
  else
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                         "the connection to %s:%u was closed", self->host, self->port);
  end_session (self, error);
  if (!self->ending)
    complete_close_waiters (self);
  g_object_unref (self);
}

static void
conn_link_free (gpointer data)
{
  ConnLink *link = data;
  g_free (link->error);
  g_free (link);
}

/* ---- timers of an established session ---- */

static void
refresh_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  if (resp == NULL)
    return;
  int status = osip_message_get_status_code (resp);
  if (status == 481)
    {
      g_autoptr(GError) gone = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                            "the server no longer knows the chat session (481)");
      self->bye_sent = TRUE;
      end_session (self, gone);
    }
  else if (status >= 300)
    g_debug ("session refresh answered %d", status);
}

static gboolean
refresh_cb (gpointer user_data)
{
  PerchClient *self = user_data;
  g_autoptr(osip_message_t) msg = dialog_request_new (self, "UPDATE");
  if (msg != NULL)
    {
      osip_list_add (&msg->contacts, contact_new (self), -1);
      send_request (self, msg, refresh_response, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
keepalive_cb (gpointer user_data)
{
  PerchClient *self = user_data;
  static const char crlf[] = "\r\n\r\n";
  g_autoptr(GBytes) bytes = g_bytes_new_static (crlf, 4);
  perch_sip_connection_send (self->conn, bytes);
  return G_SOURCE_CONTINUE;
}

static GSource *
start_timer (guint seconds, GSourceFunc func, gpointer data, const char *name)
{
  GSource *source = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, name);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static void
stop_timer (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* ---- ending ---- */

static void
send_bye (PerchClient *self, ResponseFunc func, gpointer data, GDestroyNotify destroy)
{
  self->bye_sent = TRUE;
  g_autoptr(osip_message_t) msg = dialog_request_new (self, "BYE");
  if (msg == NULL)
    return;
  if (func != NULL)
    send_request (self, msg, func, data, destroy);
  else
    perch_sip_connection_send_message (self->conn, msg);
}

/* Ends everything: pending work fails with ERROR (or "closed" when NULL,
 * i.e. the caller closed), the connection closes after its last output, and
 * "closed" is emitted when a session had been established. Once only. */
static void
end_session (PerchClient *self, const GError *error)
{
  if (self->step == STEP_OVER)
    return;
  gboolean was_established = self->step == STEP_ESTABLISHED;
  self->step = STEP_OVER;
  g_object_ref (self);

  stop_timer (&self->refresh_source);
  stop_timer (&self->keepalive_source);
  if (was_established && !self->bye_sent && self->conn != NULL && !perch_sip_connection_is_closed (self->conn))
    send_bye (self, NULL, NULL, NULL);

  g_autoptr(GError) closed = error ? g_error_copy (error)
                                   : g_error_new (G_IO_ERROR, G_IO_ERROR_CLOSED, "the client was closed");
  fail_transactions (self, closed);
  fail_commands (self, closed);
  if (self->connect_task != NULL)
    connect_fail (self, g_error_copy (closed));

  /* May run conn_closed at once, which finds the step OVER and leaves the
   * close waiters to the end of this function, after "closed". */
  self->ending = TRUE;
  if (self->conn != NULL)
    perch_sip_connection_close (self->conn);
  else if (self->stream != NULL)
    g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);

  if (was_established)
    g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
  self->ending = FALSE;
  if (self->link == NULL || self->link->closed_ran)
    complete_close_waiters (self);
  g_object_unref (self);
}

/* ---- connecting ---- */

static void
connect_fail (PerchClient *self, GError *error)
{
  GTask *task = g_steal_pointer (&self->connect_task);
  stop_timer (&self->connect_cancel_source);
  if (task == NULL)
    {
      g_error_free (error);
      return;
    }
  /* The task may hold the last reference to self, and its callback may run
   * right here. */
  g_object_ref (self);
  g_task_return_error (task, error);
  g_object_unref (task);
  /* A half-signed-in connection is of no use to anyone. */
  end_session (self, NULL);
  g_object_unref (self);
}

static void
connect_succeed (PerchClient *self)
{
  GTask *task = g_steal_pointer (&self->connect_task);
  stop_timer (&self->connect_cancel_source);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
connect_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  PerchClient *self = user_data;
  g_clear_pointer (&self->connect_cancel_source, g_source_unref);
  connect_fail (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "sign-in was cancelled"));
  return G_SOURCE_REMOVE;
}

static void
invite_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  if (resp == NULL)
    {
      if (self->connect_task != NULL)
        connect_fail (self, g_error_new (error->domain, error->code, "chat session: %s", error->message));
      return;
    }
  int status = osip_message_get_status_code (resp);

  /* Every final response to an INVITE is ACKed; a 2xx in a request of its
   * own within the dialog, a failure on the INVITE's own branch. */
  g_autoptr(osip_message_t) ack = NULL;
  const char *to_tag = perch_sip_tag (resp->to);
  if (status >= 300)
    {
      ack = request_new (self, "ACK", self->pool_uri, self->call_id, self->local_tag,
                         self->pool_uri, to_tag, self->invite_cseq, NULL);
      if (ack != NULL)
        {
          osip_via_t *via = osip_list_get (&ack->vias, 0);
          osip_generic_param_t *branch = NULL;
          if (via != NULL && osip_via_param_get_byname (via, "branch", &branch) == 0 && branch != NULL)
            {
              osip_free (branch->gvalue);
              branch->gvalue = osip_strdup (self->invite_branch);
            }
          perch_sip_connection_send_message (self->conn, ack);
        }
      connect_fail (self, status_error (self, resp, "the chat session was refused"));
      return;
    }

  g_free (self->remote_tag);
  self->remote_tag = g_strdup (to_tag);
  osip_contact_t *contact = NULL;
  if (osip_message_get_contact (resp, 0, &contact) >= 0 && contact != NULL && contact->url != NULL)
    {
      g_free (self->remote_target);
      self->remote_target = uri_to_string (contact->url);
    }
  ack = request_new (self, "ACK", self->remote_target ? self->remote_target : self->pool_uri,
                     self->call_id, self->local_tag, self->pool_uri, self->remote_tag,
                     self->invite_cseq, NULL);
  if (ack != NULL)
    perch_sip_connection_send_message (self->conn, ack);

  const char *se = perch_sip_header (resp, "Session-Expires");
  if (se != NULL)
    self->session_expires_s = (guint) strtoul (se, NULL, 10);
  /* Refresh at half the interval, as RFC 4028 suggests; a server that does
   * not ask for refreshes gets none. */
  if (self->session_expires_s >= 2)
    self->refresh_source = start_timer (self->session_expires_s / 2, refresh_cb, self,
                                        "perch-client-refresh");
  if (self->keepalive_s > 0)
    self->keepalive_source = start_timer (self->keepalive_s, keepalive_cb, self,
                                          "perch-client-keepalive");
  self->step = STEP_ESTABLISHED;
  connect_succeed (self);
}

static void
send_invite (PerchClient *self)
{
  self->step = STEP_INVITE;
  g_free (self->call_id);
  self->call_id = random_token ();
  g_free (self->local_tag);
  self->local_tag = random_token ();
  self->invite_cseq = ++self->cseq;
  g_free (self->invite_branch);
  g_autoptr(osip_message_t) msg = request_new (self, "INVITE", self->pool_uri, self->call_id,
                                               self->local_tag, self->pool_uri, NULL,
                                               self->invite_cseq, &self->invite_branch);
  if (msg == NULL)
    {
      connect_fail (self, g_error_new (PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                                       "the persistent chat pool URI from provisioning, “%s”, is not a SIP URI",
                                       self->pool_uri));
      return;
    }
  osip_list_add (&msg->contacts, contact_new (self), -1);
  osip_message_set_supported (msg, "timer");
  g_autofree char *sdp = g_strdup_printf ("v=0\r\n"
                                          "o=- 0 0 IN IP4 %s\r\n"
                                          "s=session\r\n"
                                          "c=IN IP4 %s\r\n"
                                          "t=0 0\r\n"
                                          "m=message %u sip null\r\n"
                                          "a=accept-types:text/plain\r\n",
                                          self->local_host, self->local_host, 5060u);
  perch_sip_set_body (msg, "application/sdp", sdp, strlen (sdp));
  send_request (self, msg, invite_response, NULL, NULL);
}

static void
subscribe_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  if (resp == NULL)
    {
      connect_fail (self, g_error_new (error->domain, error->code, "provisioning: %s", error->message));
      return;
    }
  int status = osip_message_get_status_code (resp);
  if (status >= 300)
    {
      connect_fail (self, status_error (self, resp, "provisioning was refused"));
      return;
    }
  gsize len = 0;
  const char *body = perch_sip_body (resp, &len);
  if (body == NULL || len == 0)
    {
      /* The document may come in a NOTIFY instead; it has as long as a
       * transaction would. */
      self->step = STEP_AWAIT_NOTIFY;
      return;
    }
  g_autoptr(GError) parse_error = NULL;
  if (!parse_provisioning (self, body, len, &parse_error))
    {
      connect_fail (self, g_steal_pointer (&parse_error));
      return;
    }
  send_invite (self);
}

static void
send_subscribe (PerchClient *self)
{
  static const char body[] =
    "<provisioningGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist\">"
    "<provisioningGroup name=\"ServerConfiguration\"/>"
    "<provisioningGroup name=\"persistentChatConfiguration\"/>"
    "</provisioningGroupList>";
  self->step = STEP_SUBSCRIBE;
  self->sub_call_id = random_token ();
  self->sub_tag = random_token ();
  g_autoptr(osip_message_t) msg = request_new (self, "SUBSCRIBE", self->user_uri, self->sub_call_id,
                                               self->sub_tag, self->user_uri, NULL, ++self->cseq, NULL);
  osip_list_add (&msg->contacts, contact_new (self), -1);
  perch_sip_add_header (msg, "Event", PROVISIONING_EVENT);
  osip_message_set_accept (msg, PROVISIONING_TYPE);
  osip_message_set_supported (msg, "com.microsoft.autoextend, ms-benotify, ms-piggyback-first-notify");
  perch_sip_set_body (msg, "application/vnd-microsoft-roaming-provisioning-v2+xml", body, strlen (body));
  send_request (self, msg, subscribe_response, NULL, NULL);
}

static void send_register (PerchClient *self, osip_www_authenticate_t *challenge);

/* "UAC;hop-hop=yes;timeout=300" -> 300 */
static guint
parse_keepalive (const char *value)
{
  const char *t = value ? strstr (value, "timeout=") : NULL;
  return t ? (guint) strtoul (t + 8, NULL, 10) : 0;
}

static void
register_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  if (resp == NULL)
    {
      connect_fail (self, g_error_new (error->domain, error->code, "sign-in: %s", error->message));
      return;
    }
  int status = osip_message_get_status_code (resp);
  if ((status == 407 || status == 401) && !self->auth_sent)
    {
      osip_www_authenticate_t *challenge = NULL;
      if (status == 407)
        osip_message_get_proxy_authenticate (resp, 0, &challenge);
      else
        osip_message_get_www_authenticate (resp, 0, &challenge);
      if (challenge == NULL || challenge->nonce == NULL ||
          g_ascii_strcasecmp (osip_www_authenticate_get_auth_type (challenge), "Digest") != 0)
        {
          connect_fail (self, g_error_new (PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                                           "sign-in: the server asked for an authentication "
                                           "scheme other than Digest"));
          return;
        }
      send_register (self, challenge);
      return;
    }
  if (status >= 300)
    {
      connect_fail (self, status_error (self, resp, "sign-in refused"));
      return;
    }
  self->keepalive_s = parse_keepalive (perch_sip_header (resp, "ms-keep-alive"));
  send_subscribe (self);
}

static char *
unquote (const char *s)
{
  if (s == NULL)
    return NULL;
  char *raw = osip_strdup_without_quote (s);
  char *copy = g_strdup (raw);
  osip_free (raw);
  return copy;
}

static char *
enquote (const char *s)
{
  return osip_enquote (s); /* osip_malloc'd, as osip's setters want */
}

static void
send_register (PerchClient *self, osip_www_authenticate_t *challenge)
{
  self->step = STEP_REGISTER;
  if (self->reg_call_id == NULL)
    {
      self->reg_call_id = random_token ();
      self->reg_tag = random_token ();
    }
  g_autofree char *registrar = g_strconcat ("sip:", self->domain, NULL);
  g_autoptr(osip_message_t) msg = request_new (self, "REGISTER", registrar, self->reg_call_id,
                                               self->reg_tag, self->user_uri, NULL, ++self->cseq, NULL);
  osip_list_add (&msg->contacts, contact_new (self), -1);
  osip_message_set_supported (msg, "gruu-10, msrtc-event-categories");

  if (challenge != NULL)
    {
      /* RFC 2617 with qop=auth, as the server offers it; the username is
       * the address without "sip:", as Lync clients send it. */
      g_autoptr(PerchDigestCredentials) creds = g_new0 (PerchDigestCredentials, 1);
      creds->username = g_strdup (self->username);
      creds->realm = unquote (challenge->realm);
      creds->nonce = unquote (challenge->nonce);
      creds->uri = g_strdup (registrar);
      g_autofree char *qop = unquote (challenge->qop_options);
      if (qop != NULL)
        {
          creds->qop = g_strdup ("auth");
          creds->nc = g_strdup ("00000001");
          creds->cnonce = random_token ();
        }
      g_autofree char *ha1 = perch_digest_ha1 (creds->username, creds->realm ? creds->realm : "",
                                               self->password);
      creds->response = perch_digest_response (creds, "REGISTER", ha1);

      osip_authorization_t *auth = NULL;
      osip_authorization_init (&auth);
      osip_authorization_set_auth_type (auth, osip_strdup ("Digest"));
      osip_authorization_set_username (auth, enquote (creds->username));
      osip_authorization_set_realm (auth, enquote (creds->realm ? creds->realm : ""));
      osip_authorization_set_nonce (auth, enquote (creds->nonce));
      osip_authorization_set_uri (auth, enquote (creds->uri));
      if (creds->qop != NULL)
        {
          osip_authorization_set_message_qop (auth, osip_strdup (creds->qop));
          osip_authorization_set_nonce_count (auth, osip_strdup (creds->nc));
          osip_authorization_set_cnonce (auth, enquote (creds->cnonce));
        }
      osip_authorization_set_response (auth, enquote (creds->response));
      osip_authorization_set_algorithm (auth, osip_strdup ("MD5"));
      osip_list_add (&msg->proxy_authorizations, auth, -1);
      self->auth_sent = TRUE;
    }
  send_request (self, msg, register_response, NULL, NULL);
}

static void
start_sip (PerchClient *self, GIOStream *stream, GSocketConnection *socket_conn)
{
  self->stream = g_object_ref (stream);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (socket_conn, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (local))
    {
      GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (local);
      self->local_host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
      self->local_port = g_inet_socket_address_get_port (inet);
    }
  else
    {
      self->local_host = g_strdup ("127.0.0.1");
      self->local_port = 5060;
    }

  static const PerchSipConnectionCallbacks callbacks = {
    .message = conn_message,
    .error = conn_error,
    .closed = conn_closed,
  };
  self->link = g_new0 (ConnLink, 1);
  self->link->client = self;
  self->conn = perch_sip_connection_new (stream, &callbacks, self->link);
  perch_sip_connection_set_data (self->conn, self->link, conn_link_free);
  perch_sip_connection_start (self->conn);
  send_register (self, NULL);
}

/* The peer's certificate, whatever validation thought of it. */
static void
note_peer_certificate (PerchClient *self, GTlsCertificate *cert, GTlsCertificateFlags errors)
{
  g_free (self->peer_fingerprint);
  self->peer_fingerprint = cert ? perch_tls_fingerprint (cert) : NULL;
  self->peer_errors = errors;
}

static GError *
pin_mismatch_error (PerchClient *self)
{
  return g_error_new (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                      "TLS with %s:%u: the server's certificate (SHA-256 %s) is not the one pinned for it (%s)",
                      self->host, self->port, self->peer_fingerprint ? self->peer_fingerprint : "unknown",
                      self->pinned);
}

/* Called only when validation failed. A pinned certificate is accepted on
 * its fingerprint alone (it is usually self-signed); anything else only
 * when told to accept whatever comes. */
static gboolean
accept_certificate_cb (GTlsConnection *conn, GTlsCertificate *cert,
                       GTlsCertificateFlags errors, gpointer user_data)
{
  PerchClient *self = user_data;
  note_peer_certificate (self, cert, errors);
  if (self->pinned != NULL)
    return g_strcmp0 (self->peer_fingerprint, self->pinned) == 0;
  return self->accept_invalid;
}

static void
tls_handshake_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchClient) self = user_data;
  g_autoptr(GError) error = NULL;
  GIOStream *tls = G_IO_STREAM (source);
  g_signal_handlers_disconnect_by_func (tls, accept_certificate_cb, self);
  if (self->step != STEP_CONNECTING)
    return; /* cancelled meanwhile */
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), result, &error))
    {
      if (self->pinned != NULL && self->peer_fingerprint != NULL &&
          g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) &&
          g_strcmp0 (self->peer_fingerprint, self->pinned) != 0)
        {
          connect_fail (self, pin_mismatch_error (self));
          return;
        }
      g_prefix_error (&error, "TLS with %s:%u: ", self->host, self->port);
      connect_fail (self, g_steal_pointer (&error));
      return;
    }
  /* A certificate that validated never met accept_certificate_cb: the pin
   * holds for it too. */
  if (self->peer_fingerprint == NULL)
    note_peer_certificate (self, g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls)), 0);
  if (self->pinned != NULL && g_strcmp0 (self->peer_fingerprint, self->pinned) != 0)
    {
      g_io_stream_close_async (tls, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
      connect_fail (self, pin_mismatch_error (self));
      return;
    }
  GIOStream *base = NULL;
  g_object_get (tls, "base-io-stream", &base, NULL);
  start_sip (self, tls, G_SOCKET_CONNECTION (base));
  g_object_unref (base);
}

static void
tcp_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchClient) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) sc = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                                             result, &error);
  if (self->step != STEP_CONNECTING)
    {
      if (sc != NULL)
        g_io_stream_close (G_IO_STREAM (sc), NULL, NULL);
      return;
    }
  if (sc == NULL)
    {
      g_prefix_error (&error, "connecting to %s:%u: ", self->host, self->port);
      connect_fail (self, g_steal_pointer (&error));
      return;
    }
  /* The client's timeout bounds the connect only: GIO would apply it to
   * every later read, and a quiet session is not a dead one. */
  g_socket_set_timeout (g_socket_connection_get_socket (sc), 0);
  if (!self->tls)
    {
      start_sip (self, G_IO_STREAM (sc), sc);
      return;
    }
  g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
  g_autoptr(GIOStream) tls = g_tls_client_connection_new (G_IO_STREAM (sc), identity, &error);
  if (tls == NULL)
    {
      g_prefix_error (&error, "TLS with %s:%u: ", self->host, self->port);
      connect_fail (self, g_steal_pointer (&error));
      return;
    }
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);
  GCancellable *cancellable = self->connect_task ? g_task_get_cancellable (self->connect_task) : NULL;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, cancellable,
                                    tls_handshake_done, g_object_ref (self));
}

void
perch_client_connect_async (PerchClient *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_CLIENT (self));
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_client_connect_async);

  if (self->step != STEP_IDLE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "a client connects once; make a new one");
      return;
    }
  if (self->user_uri == NULL || self->password == NULL || self->host == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "host, a user address (user@domain) and a password are needed");
      return;
    }
  self->step = STEP_CONNECTING;
  self->connect_task = g_object_ref (task);
  if (cancellable != NULL)
    {
      self->connect_cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->connect_cancel_source, G_SOURCE_FUNC (connect_cancelled_cb), self, NULL);
      g_source_attach (self->connect_cancel_source, g_main_context_get_thread_default ());
    }
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_socket_client_set_timeout (sc, MAX (1, self->timeout_ms / 1000));
  g_socket_client_connect_to_host_async (sc, self->host, self->port, cancellable,
                                         tcp_connected, g_object_ref (self));
}

gboolean
perch_client_connect_finish (PerchClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == perch_client_connect_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- commands and posts ---- */

static gboolean
check_established (PerchClient *self, GTask *task)
{
  if (self->step == STEP_ESTABLISHED && self->conn != NULL && !perch_sip_connection_is_closed (self->conn))
    return TRUE;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "not signed in to a chat session");
  return FALSE;
}

/* A SIP status on an INFO. 481 means the dialog is gone, so the session is. */
static GError *
info_status_error (PerchClient *self, osip_message_t *resp, const char *what)
{
  int status = osip_message_get_status_code (resp);
  if (status == 503)
    {
      const char *ra = perch_sip_header (resp, "Retry-After");
      self->retry_after = ra ? (guint) strtoul (ra, NULL, 10) : 0;
      return g_error_new (PERCH_ERROR, PERCH_ERROR_BUSY, "%s: the server is busy (503); retry after %u s",
                          what, self->retry_after);
    }
  return status_error (self, resp, what);
}

static void
maybe_dialog_gone (PerchClient *self, osip_message_t *resp)
{
  if (resp != NULL && osip_message_get_status_code (resp) == 481)
    {
      g_autoptr(GError) gone = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                            "the server no longer knows the chat session (481)");
      self->bye_sent = TRUE;
      end_session (self, gone);
    }
}

static void
command_info_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  guint seqid = GPOINTER_TO_UINT (data);
  Command *cmd = g_hash_table_lookup (self->commands, GUINT_TO_POINTER (seqid));
  if (resp == NULL)
    {
      if (cmd != NULL)
        command_complete (self, seqid, NULL, g_error_copy (error));
      return;
    }
  if (osip_message_get_status_code (resp) < 300)
    return; /* the reply comes in an INFO of the server's */
  if (cmd != NULL)
    {
      g_autofree char *what = g_strdup (cmd->cmd_id);
      command_complete (self, seqid, NULL, info_status_error (self, resp, what));
    }
  maybe_dialog_gone (self, resp);
}

static osip_message_t *
info_new (PerchClient *self, const GString *xccos)
{
  osip_message_t *msg = dialog_request_new (self, "INFO");
  if (msg != NULL)
    perch_sip_set_body (msg, "text/plain", xccos->str, xccos->len);
  return msg;
}

void
perch_client_command_async (PerchClient *self, const char *cmd_id, const char *data_xml,
                            GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_CLIENT (self));
  g_return_if_fail (cmd_id != NULL);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_client_command_async);
  if (!check_established (self, task))
    return;

  Command *cmd = g_new0 (Command, 1);
  cmd->self = self;
  cmd->seqid = ++self->seqid;
  cmd->envid = ++self->envid;
  cmd->cmd_id = g_strdup (cmd_id);
  cmd->task = g_object_ref (task);
  cmd->timeout = g_timeout_source_new (self->timeout_ms);
  g_source_set_callback (cmd->timeout, command_timeout_cb, cmd, NULL);
  g_source_set_static_name (cmd->timeout, "perch-client-command");
  g_source_attach (cmd->timeout, g_main_context_get_thread_default ());
  if (cancellable != NULL)
    {
      cmd->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (cmd->cancel_source, G_SOURCE_FUNC (command_cancelled_cb), cmd, NULL);
      g_source_attach (cmd->cancel_source, g_main_context_get_thread_default ());
    }
  g_hash_table_insert (self->commands, GUINT_TO_POINTER (cmd->seqid), cmd);

  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, cmd->envid);
  perch_xccos_append_cmd (body, cmd_id, cmd->seqid, data_xml);
  perch_xccos_end (body);
  g_autoptr(osip_message_t) msg = info_new (self, body);
  send_request (self, msg, command_info_response, GUINT_TO_POINTER (cmd->seqid), NULL);
}

PerchClientReply *
perch_client_command_finish (PerchClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == perch_client_command_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
post_info_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  GTask *task = data;
  if (resp == NULL)
    g_task_return_error (task, g_error_copy (error));
  else if (osip_message_get_status_code (resp) < 300)
    g_task_return_boolean (task, TRUE);
  else
    {
      g_task_return_error (task, info_status_error (self, resp, "post"));
      maybe_dialog_gone (self, resp);
    }
}

void
perch_client_post_async (PerchClient *self, const char *room_uri, const char *text,
                         GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_CLIENT (self));
  g_return_if_fail (room_uri != NULL && text != NULL);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_client_post_async);
  if (!check_established (self, task))
    return;

  g_autofree char *ts = perch_format_ts (perch_now_us ());
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, ++self->envid);
  perch_xccos_append_grpchat (body, ++self->seqid, room_uri, self->user_uri, ts, NULL, text);
  perch_xccos_end (body);
  g_autoptr(osip_message_t) msg = info_new (self, body);
  send_request (self, msg, post_info_response, g_object_ref (task), g_object_unref);
}

gboolean
perch_client_post_finish (PerchClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == perch_client_post_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- convenience commands ---- */

char *
perch_client_build_search_data (const char *criteria)
{
  GString *s = g_string_new ("<qib qtype=\"BYNAME\"");
  perch_xml_attr_append (s, "criteria", criteria ? criteria : "");
  g_string_append (s, " extended=\"false\"/>");
  return g_string_free (s, FALSE);
}

char *
perch_client_build_join_data (const char *room_uri)
{
  g_autofree char *domain = NULL, *id = NULL;
  if (!perch_parse_room_uri (room_uri, &domain, &id))
    return NULL;
  GString *s = g_string_new ("<chanid key=\"0\"");
  perch_xml_attr_append (s, "domain", domain);
  perch_xml_attr_append (s, "value", id);
  g_string_append (s, "/>");
  return g_string_free (s, FALSE);
}

char *
perch_client_build_part_data (const char *room_uri)
{
  GString *s = g_string_new ("<chanib");
  perch_xml_attr_append (s, "uri", room_uri);
  g_string_append (s, "/>");
  return g_string_free (s, FALSE);
}

char *
perch_client_build_history_data (const char *room_uri, guint last)
{
  GString *s = g_string_new ("<chanib");
  perch_xml_attr_append (s, "uri", room_uri);
  g_string_append_printf (s, "/><bcq><last cnt=\"%u\"/></bcq>", last);
  return g_string_free (s, FALSE);
}

char *
perch_client_build_server_info_data (const char *domain)
{
  GString *s = g_string_new ("<sib");
  perch_xml_attr_append (s, "domain", domain);
  g_string_append (s, " infoType=\"123\"/>");
  return g_string_free (s, FALSE);
}

void
perch_client_search_rooms_async (PerchClient *self, const char *criteria, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *data = perch_client_build_search_data (criteria);
  perch_client_command_async (self, "cmd:chansrch", data, cancellable, callback, user_data);
}

void
perch_client_join_async (PerchClient *self, const char *room_uri, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *data = perch_client_build_join_data (room_uri);
  if (data == NULL)
    {
      g_task_report_new_error (self, callback, user_data, perch_client_command_async,
                               PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                               "“%s” is not a room URI (ma-chan://domain/id)", room_uri);
      return;
    }
  perch_client_command_async (self, "cmd:join", data, cancellable, callback, user_data);
}

void
perch_client_part_async (PerchClient *self, const char *room_uri, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *data = perch_client_build_part_data (room_uri);
  perch_client_command_async (self, "cmd:part", data, cancellable, callback, user_data);
}

void
perch_client_history_async (PerchClient *self, const char *room_uri, guint last,
                            GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *data = perch_client_build_history_data (room_uri, last);
  perch_client_command_async (self, "cmd:bccontext", data, cancellable, callback, user_data);
}

void
perch_client_get_server_info_async (PerchClient *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *data = perch_client_build_server_info_data (self->domain);
  perch_client_command_async (self, "cmd:getserverinfo", data, cancellable, callback, user_data);
}

/* ---- closing ---- */

void
perch_client_close (PerchClient *self)
{
  g_return_if_fail (PERCH_IS_CLIENT (self));
  if (self->step == STEP_IDLE)
    {
      self->step = STEP_OVER;
      return;
    }
  end_session (self, NULL);
}

static void
bye_response (PerchClient *self, osip_message_t *resp, const GError *error, gpointer data)
{
  end_session (self, NULL);
}

void
perch_client_close_async (PerchClient *self, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_CLIENT (self));
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_client_close_async);
  if (self->conn == NULL || self->link->closed_ran)
    {
      perch_client_close (self);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (self->close_waiters, g_object_ref (task));
  if (self->step == STEP_ESTABLISHED && !self->bye_sent)
    send_bye (self, bye_response, NULL, NULL);
  else
    end_session (self, NULL);
}

gboolean
perch_client_close_finish (PerchClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == perch_client_close_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- accessors ---- */

const char *perch_client_get_user_uri (PerchClient *self) { return self->user_uri; }
const char *perch_client_get_domain (PerchClient *self) { return self->domain; }
gboolean    perch_client_get_chat_enabled (PerchClient *self) { return self->chat_enabled; }
const char *perch_client_get_pool_uri (PerchClient *self) { return self->pool_uri; }
const char *perch_client_get_provisioning_xml (PerchClient *self) { return self->provisioning_xml; }
guint       perch_client_get_retry_after (PerchClient *self) { return self->retry_after; }

gboolean
perch_client_is_connected (PerchClient *self)
{
  return self->step == STEP_ESTABLISHED;
}

void
perch_client_set_accept_invalid_certificates (PerchClient *self, gboolean accept)
{
  g_object_set (self, "accept-invalid-certificates", accept, NULL);
}

gboolean
perch_client_set_pinned_certificate (PerchClient *self, const char *fingerprint)
{
  g_return_val_if_fail (PERCH_IS_CLIENT (self), FALSE);
  g_autofree char *normal = fingerprint ? perch_tls_fingerprint_normalize (fingerprint) : NULL;
  if (fingerprint != NULL && normal == NULL)
    return FALSE;
  g_object_set (self, "pinned-certificate", normal, NULL);
  return TRUE;
}

const char *
perch_client_get_pinned_certificate (PerchClient *self)
{
  g_return_val_if_fail (PERCH_IS_CLIENT (self), NULL);
  return self->pinned;
}

const char *
perch_client_get_peer_certificate_fingerprint (PerchClient *self)
{
  g_return_val_if_fail (PERCH_IS_CLIENT (self), NULL);
  return self->peer_fingerprint;
}

GTlsCertificateFlags
perch_client_get_peer_certificate_errors (PerchClient *self)
{
  g_return_val_if_fail (PERCH_IS_CLIENT (self), 0);
  return self->peer_errors;
}

char *
perch_tls_fingerprint (GTlsCertificate *cert)
{
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (cert), NULL);
  g_autoptr(GByteArray) der = NULL;
  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  return perch_tls_fingerprint_normalize (hex);
}

char *
perch_tls_fingerprint_normalize (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);
  GString *out = g_string_sized_new (95);
  guint digits = 0;
  for (const char *p = text; *p; p++)
    {
      if (*p == ':' || g_ascii_isspace (*p))
        continue;
      if (!g_ascii_isxdigit (*p) || digits == 64)
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      if (digits > 0 && digits % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (*p));
      digits++;
    }
  if (digits != 64)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

void
perch_client_set_timeout (PerchClient *self, guint timeout_ms)
{
  g_object_set (self, "timeout", timeout_ms, NULL);
}

/* ---- GObject ---- */

static void
set_user (PerchClient *self, const char *user)
{
  g_clear_pointer (&self->user_uri, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->domain, g_free);
  if (user == NULL)
    return;
  self->user_uri = perch_normalize_user_uri (user);
  if (self->user_uri == NULL)
    return;
  self->username = g_strdup (self->user_uri + strlen ("sip:"));
  self->domain = g_strdup (strchr (self->username, '@') + 1);
}

static void
perch_client_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PerchClient *self = PERCH_CLIENT (object);
  switch (prop_id)
    {
    case PROP_HOST:
      g_free (self->host);
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = (guint16) g_value_get_uint (value);
      break;
    case PROP_TLS:
      self->tls = g_value_get_boolean (value);
      break;
    case PROP_ACCEPT_INVALID_CERTIFICATES:
      self->accept_invalid = g_value_get_boolean (value);
      break;
    case PROP_PINNED_CERTIFICATE:
      g_free (self->pinned);
      self->pinned = g_value_get_string (value) ? perch_tls_fingerprint_normalize (g_value_get_string (value)) : NULL;
      if (g_value_get_string (value) != NULL && self->pinned == NULL)
        g_warning ("“%s” is not a SHA-256 fingerprint: nothing is pinned", g_value_get_string (value));
      break;
    case PROP_USER:
      set_user (self, g_value_get_string (value));
      break;
    case PROP_PASSWORD:
      g_free (self->password);
      self->password = g_value_dup_string (value);
      break;
    case PROP_TIMEOUT:
      self->timeout_ms = g_value_get_uint (value) ? g_value_get_uint (value) : PERCH_CLIENT_DEFAULT_TIMEOUT_MS;
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchClient *self = PERCH_CLIENT (object);
  switch (prop_id)
    {
    case PROP_HOST: g_value_set_string (value, self->host); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_TLS: g_value_set_boolean (value, self->tls); break;
    case PROP_ACCEPT_INVALID_CERTIFICATES: g_value_set_boolean (value, self->accept_invalid); break;
    case PROP_PINNED_CERTIFICATE: g_value_set_string (value, self->pinned); break;
    case PROP_USER: g_value_set_string (value, self->user_uri); break;
    case PROP_PASSWORD: g_value_set_string (value, self->password); break;
    case PROP_TIMEOUT: g_value_set_uint (value, self->timeout_ms); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_client_dispose (GObject *object)
{
  PerchClient *self = PERCH_CLIENT (object);

  if (self->step != STEP_OVER && self->step != STEP_IDLE)
    end_session (self, NULL);
  if (self->conn != NULL)
    {
      /* The BYE may still be draining: the connection keeps going on its
       * own and lets go of itself once closed. */
      self->link->client = NULL;
      perch_sip_connection_close (self->conn);
      if (self->link->closed_ran)
        perch_sip_connection_unref (self->conn);
      else
        self->link->orphan = self->conn;
      self->conn = NULL;
      self->link = NULL;
    }
  g_clear_object (&self->stream);
  G_OBJECT_CLASS (perch_client_parent_class)->dispose (object);
}

static void
perch_client_finalize (GObject *object)
{
  PerchClient *self = PERCH_CLIENT (object);
  g_hash_table_destroy (self->transactions);
  g_hash_table_destroy (self->commands);
  g_ptr_array_unref (self->close_waiters);
  g_free (self->host);
  g_free (self->pinned);
  g_free (self->peer_fingerprint);
  g_free (self->user_uri);
  g_free (self->username);
  g_free (self->domain);
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->local_host);
  g_free (self->reg_call_id);
  g_free (self->reg_tag);
  g_free (self->sub_call_id);
  g_free (self->sub_tag);
  g_free (self->call_id);
  g_free (self->local_tag);
  g_free (self->remote_tag);
  g_free (self->remote_target);
  g_free (self->invite_branch);
  g_free (self->pool_uri);
  g_free (self->provisioning_xml);
  G_OBJECT_CLASS (perch_client_parent_class)->finalize (object);
}

static void
perch_client_class_init (PerchClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->set_property = perch_client_set_property;
  object_class->get_property = perch_client_get_property;
  object_class->dispose = perch_client_dispose;
  object_class->finalize = perch_client_finalize;

  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, "127.0.0.1",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 1, 65535, 5060,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TLS] =
    g_param_spec_boolean ("tls", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACCEPT_INVALID_CERTIFICATES] =
    g_param_spec_boolean ("accept-invalid-certificates", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  properties[PROP_PINNED_CERTIFICATE] =
    g_param_spec_string ("pinned-certificate", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER] =
    g_param_spec_string ("user", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PASSWORD] =
    g_param_spec_string ("password", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, PERCH_CLIENT_DEFAULT_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_POST] =
    g_signal_new ("post", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_POINTER);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
perch_client_init (PerchClient *self)
{
  self->timeout_ms = PERCH_CLIENT_DEFAULT_TIMEOUT_MS;
  self->transactions = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                              (GDestroyNotify) transaction_free);
  self->commands = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                          (GDestroyNotify) command_free);
  self->close_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  /* Like SIPE, start envids somewhere random, so a restarted client is not
   * mistaken for its previous run. */
  self->envid = g_random_int_range (1, G_MAXINT32 / 2);
  perch_sip_init ();
}

PerchClient *
perch_client_new (const char *host, guint16 port, gboolean tls, const char *user, const char *password)
{
  return g_object_new (PERCH_TYPE_CLIENT,
                       "host", host,
                       "port", (guint) port,
                       "tls", tls,
                       "user", user,
                       "password", password,
                       NULL);
}
