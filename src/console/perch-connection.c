/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-connection.c: connecting (demo server, HTTP sign-in, who am I, XCCOS)
 * and closing again, each as one chain of callbacks on one GTask; noticing
 * a lost connection and reconnecting (the same chain, minus the demo
 * server) on a backoff timer. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-common.h"
#include "perch-demo-server.h"
#include "perch-connection.h"

#define SIP_DEFAULT_PORT 5061
#define RETRY_INITIAL_MS 1000
#define RETRY_MAX_MS     30000

struct _PerchConnection {
  GObject          parent_instance;

  gboolean         demo;
  PerchDemoServer *demo_server;
  PerchApi        *api;
  PerchClient     *client;          /* NULL when XCCOS is not up */
  GError          *chat_error;      /* why it is not */
  GError          *setup_error;     /* why the API could not be made (a bad URL) */
  char            *base_url;
  char            *sip_address;
  gboolean         sip_tls;
  char            *user;
  char            *password;
  char            *accepted;        /* fingerprint accepted for this server */
  char            *sip_accepted;    /* fingerprint accepted for the SIP address */
  char            *sip_key;         /* "host:port" of the SIP address */
  char            *rejected_sip_fingerprint;
  char            *rejected_sip_reason;
  char            *user_uri;
  gboolean         admin;
  gboolean         connected;
  gboolean         closing;

  PerchConnectionState state;
  gboolean         had_chat;        /* an XCCOS session was up: a reconnect needs one */
  GError          *lost_error;      /* why it is lost, or why the last attempt failed */
  guint            attempts;        /* failed attempts since it was lost */
  guint            retry_initial_ms;
  guint            retry_max_ms;
  GSource         *retry_source;    /* the next attempt */
  gint64           retry_time;      /* its monotonic time */
  GCancellable    *reconnecting;    /* the attempt under way */
};

G_DEFINE_FINAL_TYPE (PerchConnection, perch_connection, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (PerchConnectionState, perch_connection_state,
                    G_DEFINE_ENUM_VALUE (PERCH_CONNECTION_STATE_IDLE, "idle"),
                    G_DEFINE_ENUM_VALUE (PERCH_CONNECTION_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (PERCH_CONNECTION_STATE_ONLINE, "online"),
                    G_DEFINE_ENUM_VALUE (PERCH_CONNECTION_STATE_LOST, "lost"),
                    G_DEFINE_ENUM_VALUE (PERCH_CONNECTION_STATE_RECONNECTING, "reconnecting"),
                    G_DEFINE_ENUM_VALUE (PERCH_CONNECTION_STATE_CLOSED, "closed"))

enum {
  PROP_0,
  PROP_STATE,
  PROP_CLIENT,
  PROP_RETRY_INITIAL_MS,
  PROP_RETRY_MAX_MS,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CHAT_CLOSED,
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void on_chat_closed (PerchClient *client, GError *error, PerchConnection *self);
static void on_network_error (PerchApi *api, GError *error, PerchConnection *self);

static void
set_state (PerchConnection *self, PerchConnectionState state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state);
}

/* Lets go of the XCCOS session (closing it when it is still up). */
static void
drop_client (PerchConnection *self)
{
  if (self->client == NULL)
    return;
  g_autoptr(PerchClient) client = g_steal_pointer (&self->client);
  g_signal_handlers_disconnect_by_data (client, self);
  perch_client_close (client);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

static void
set_api (PerchConnection *self, PerchApi *api)
{
  if (self->api != NULL)
    g_signal_handlers_disconnect_by_data (self->api, self);
  g_set_object (&self->api, api);
  if (api != NULL)
    g_signal_connect (api, "network-error", G_CALLBACK (on_network_error), self);
}

static void
stop_retrying (PerchConnection *self)
{
  if (self->retry_source != NULL)
    {
      g_source_destroy (self->retry_source);
      g_clear_pointer (&self->retry_source, g_source_unref);
    }
  self->retry_time = 0;
  g_cancellable_cancel (self->reconnecting);
  g_clear_object (&self->reconnecting);
}

static void
perch_connection_dispose (GObject *object)
{
  PerchConnection *self = PERCH_CONNECTION (object);

  stop_retrying (self);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      perch_client_close (self->client);
      g_clear_object (&self->client);
    }
  /* A demo server nobody stopped: stop it here rather than leave its
   * thread and data behind. */
  if (self->demo_server != NULL)
    perch_demo_server_stop (self->demo_server);
  g_clear_object (&self->demo_server);
  set_api (self, NULL);

  G_OBJECT_CLASS (perch_connection_parent_class)->dispose (object);
}

static void
perch_connection_finalize (GObject *object)
{
  PerchConnection *self = PERCH_CONNECTION (object);

  g_clear_error (&self->chat_error);
  g_clear_error (&self->setup_error);
  g_clear_error (&self->lost_error);
  g_free (self->base_url);
  g_free (self->sip_address);
  g_free (self->user);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->accepted);
  g_free (self->sip_accepted);
  g_free (self->sip_key);
  g_free (self->rejected_sip_fingerprint);
  g_free (self->rejected_sip_reason);
  g_free (self->user_uri);

  G_OBJECT_CLASS (perch_connection_parent_class)->finalize (object);
}

static void
perch_connection_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchConnection *self = PERCH_CONNECTION (object);
  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_RETRY_INITIAL_MS:
      g_value_set_uint (value, self->retry_initial_ms);
      break;
    case PROP_RETRY_MAX_MS:
      g_value_set_uint (value, self->retry_max_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_connection_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PerchConnection *self = PERCH_CONNECTION (object);
  switch (prop_id)
    {
    case PROP_RETRY_INITIAL_MS:
      self->retry_initial_ms = g_value_get_uint (value);
      break;
    case PROP_RETRY_MAX_MS:
      self->retry_max_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_connection_class_init (PerchConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = perch_connection_dispose;
  object_class->finalize = perch_connection_finalize;
  object_class->get_property = perch_connection_get_property;
  object_class->set_property = perch_connection_set_property;

  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, PERCH_TYPE_CONNECTION_STATE,
                                              PERCH_CONNECTION_STATE_IDLE,
                                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT] = g_param_spec_object ("client", NULL, NULL, PERCH_TYPE_CLIENT,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_INITIAL_MS] = g_param_spec_uint ("retry-initial-ms", NULL, NULL, 1, G_MAXINT, RETRY_INITIAL_MS,
                                                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_MAX_MS] = g_param_spec_uint ("retry-max-ms", NULL, NULL, 1, G_MAXINT, RETRY_MAX_MS,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHAT_CLOSED] = g_signal_new ("chat-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, PERCH_TYPE_CONNECTION_STATE);
}

static void
perch_connection_init (PerchConnection *self)
{
  self->retry_initial_ms = RETRY_INITIAL_MS;
  self->retry_max_ms = RETRY_MAX_MS;
}

PerchConnection *
perch_connection_new (const char *base_url, const char *sip_address, gboolean sip_tls,
                   const char *user, const char *password)
{
  PerchConnection *self = g_object_new (PERCH_TYPE_CONNECTION, NULL);
  self->base_url = g_strdup (base_url);
  self->sip_address = sip_address && *sip_address ? g_strdup (sip_address) : NULL;
  self->sip_tls = sip_tls;
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  g_autoptr(PerchApi) api = perch_api_new (base_url, &self->setup_error);
  set_api (self, api);
  return self;
}

PerchConnection *
perch_connection_new_demo (void)
{
  PerchConnection *self = g_object_new (PERCH_TYPE_CONNECTION, NULL);
  self->demo = TRUE;
  return self;
}

void
perch_connection_accept_certificate (PerchConnection *self, const char *fingerprint)
{
  g_return_if_fail (PERCH_IS_CONNECTION (self));
  g_free (self->accepted);
  self->accepted = g_strdup (fingerprint);
  if (self->api != NULL)
    perch_api_accept_certificate (self->api, fingerprint);
}

void
perch_connection_accept_sip_certificate (PerchConnection *self, const char *fingerprint)
{
  g_return_if_fail (PERCH_IS_CONNECTION (self));
  g_free (self->sip_accepted);
  self->sip_accepted = fingerprint && *fingerprint ? g_strdup (fingerprint) : NULL;
}

const char *
perch_connection_get_rejected_sip_fingerprint (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->rejected_sip_fingerprint;
}

const char *
perch_connection_get_rejected_sip_reason (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->rejected_sip_reason;
}

/* The SIP address parsed: host and port, or FALSE. */
static gboolean
parse_sip_address (const char *text, char **host, guint16 *port)
{
  if (text == NULL)
    return FALSE;
  g_autoptr(GSocketConnectable) address = g_network_address_parse (text, SIP_DEFAULT_PORT, NULL);
  if (address == NULL)
    return FALSE;
  *host = g_ascii_strdown (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)), -1);
  *port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  return TRUE;
}

const char *
perch_connection_get_sip_key (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (self->sip_key == NULL && parse_sip_address (self->sip_address, &host, &port))
    {
      gboolean v6 = strchr (host, ':') != NULL;
      self->sip_key = g_strdup_printf ("%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
    }
  return self->sip_key;
}

/* ---- connecting --------------------------------------------------------------- */

static void schedule_retry (PerchConnection *self);
static void go_lost (PerchConnection *self, const GError *error);

/* Whether TASK is an attempt to reconnect rather than the first connect. */
static gboolean
is_reconnect (GTask *task)
{
  return g_task_get_source_tag (task) == perch_connection_reconnect_now;
}

static void
on_chat_closed (PerchClient *client, GError *error, PerchConnection *self)
{
  if (self->closing)
    return;
  g_clear_error (&self->chat_error);
  self->chat_error = error ? g_error_copy (error)
                           : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, _("The chat session ended"));
  g_signal_handlers_disconnect_by_data (client, self);
  g_clear_object (&self->client);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
  g_signal_emit (self, signals[SIGNAL_CHAT_CLOSED], 0, self->chat_error);
  /* The session ending by itself is the first sign of a server gone. */
  go_lost (self, self->chat_error);
}

static void
on_network_error (PerchApi *api, GError *error, PerchConnection *self)
{
  go_lost (self, error);
}

static void
connect_done (GTask *task)
{
  PerchConnection *self = g_task_get_source_object (task);
  self->connected = TRUE;
  self->had_chat = self->client != NULL;
  if (is_reconnect (task))
    {
      g_clear_object (&self->reconnecting);
      g_clear_error (&self->lost_error);
      self->attempts = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
    }
  set_state (self, PERCH_CONNECTION_STATE_ONLINE);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_demo_stopped_after_failure (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = g_object_steal_data (G_OBJECT (task), "perch-error");
  perch_demo_server_stop_finish (PERCH_DEMO_SERVER (source), result, NULL);
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* Whether retrying can mend ERROR: not a refused password or certificate. */
static gboolean
worth_retrying (const GError *error)
{
  guint status = perch_api_error_get_status (error);
  return !g_error_matches (error, PERCH_API_ERROR, PERCH_API_ERROR_CERTIFICATE) &&
         !g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) &&
         status != 401 && status != 403;
}

/* Fails the connect; a demo server started for it is stopped first. A
 * failed attempt to reconnect schedules the next one instead. */
static void
connect_failed (GTask *task, GError *error)
{
  PerchConnection *self = g_task_get_source_object (task);
  if (is_reconnect (task))
    {
      drop_client (self);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_message ("Reconnecting failed: %s", error->message);
          g_clear_object (&self->reconnecting);
          g_clear_error (&self->lost_error);
          self->lost_error = g_error_copy (error);
          self->attempts++;
          if (worth_retrying (error))
            schedule_retry (self);
          set_state (self, PERCH_CONNECTION_STATE_LOST);
        }
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  set_state (self, PERCH_CONNECTION_STATE_IDLE);
  if (self->demo_server != NULL)
    {
      g_object_set_data (G_OBJECT (task), "perch-error", error);
      g_autoptr(PerchDemoServer) server = g_steal_pointer (&self->demo_server);
      perch_demo_server_stop_async (server, NULL, on_demo_stopped_after_failure, task);
      return;
    }
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* A pinned SIP certificate refused, or an untrusted one: kept, so that the
 * start page can show it and ask. */
static void
note_rejected_sip_certificate (PerchConnection *self, PerchClient *client)
{
  const char *fingerprint = perch_client_get_peer_certificate_fingerprint (client);
  g_clear_pointer (&self->rejected_sip_fingerprint, g_free);
  g_clear_pointer (&self->rejected_sip_reason, g_free);
  if (fingerprint == NULL)
    return;
  self->rejected_sip_fingerprint = g_strdup (fingerprint);
  const char *pinned = perch_client_get_pinned_certificate (client);
  GTlsCertificateFlags errors = perch_client_get_peer_certificate_errors (client);
  if (pinned != NULL && g_strcmp0 (pinned, fingerprint) != 0)
    {
      g_autofree char *why = errors ? perch_api_describe_certificate_errors (errors) : NULL;
      self->rejected_sip_reason = why ? g_strdup_printf (_("it is not the certificate accepted for this server; %s"), why)
                                      : g_strdup (_("it is not the certificate accepted for this server"));
    }
  else
    self->rejected_sip_reason = perch_api_describe_certificate_errors (errors);
}

static void
on_client_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PerchConnection *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!perch_client_connect_finish (PERCH_CLIENT (source), result, &error))
    {
      /* A certificate refused, or one pinned that is not the one
       * presented, fails the connect: the user decides, not a fallback to
       * no chat. */
      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
        note_rejected_sip_certificate (self, PERCH_CLIENT (source));
      drop_client (self);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
        {
          connect_failed (task, g_steal_pointer (&error));
          return;
        }
      /* Back after a loss, the chat server should be too: a session that
       * was up and cannot be opened again for want of the server is a
       * failed attempt. A refusal is an answer: go on without chat. */
      if (is_reconnect (task) && self->had_chat && error->domain != PERCH_ERROR)
        {
          connect_failed (task, g_steal_pointer (&error));
          return;
        }
      /* Rooms and the pool are managed over HTTP; only the pages that
       * read chat live need XCCOS, and they say why it is missing. */
      g_message ("XCCOS session not available: %s", error->message);
      g_clear_error (&self->chat_error);
      self->chat_error = g_steal_pointer (&error);
    }
  else
    g_clear_error (&self->chat_error);
  connect_done (task);
}

static void
start_chat (GTask *task)
{
  PerchConnection *self = g_task_get_source_object (task);

  if (self->sip_address == NULL)
    {
      g_clear_error (&self->chat_error);
      self->chat_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("No SIP address was given"));
      connect_done (task);
      return;
    }
  g_autofree char *host = NULL;
  guint16 port = 0;
  if (!parse_sip_address (self->sip_address, &host, &port))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a SIP address such as chat.example.com:5061"),
                                                  self->sip_address);
      connect_failed (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message));
      return;
    }
  g_clear_pointer (&self->rejected_sip_fingerprint, g_free);
  g_clear_pointer (&self->rejected_sip_reason, g_free);
  drop_client (self);
  self->client = perch_client_new (host, port, self->sip_tls, self->user, self->password);
  if (self->demo)
    perch_client_set_accept_invalid_certificates (self->client, TRUE);
  else if (self->sip_tls)
    {
      /* The certificate accepted for the SIP address; else, on the HTTPS
       * service's host, the one accepted there: perchd presents one
       * certificate for HTTPS and SIP over TLS. Anything else is refused
       * unless it is trusted. */
      g_autoptr(GUri) base = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
      const char *pin = self->sip_accepted;
      if (pin == NULL && self->accepted != NULL && base != NULL && g_uri_get_host (base) != NULL &&
          g_ascii_strcasecmp (g_uri_get_host (base), host) == 0)
        pin = self->accepted;
      if (pin != NULL && !perch_client_set_pinned_certificate (self->client, pin))
        g_warning ("The accepted fingerprint “%s” is not a SHA-256 fingerprint", pin);
    }
  g_signal_connect (self->client, "closed", G_CALLBACK (on_chat_closed), self);
  perch_client_connect_async (self->client, g_task_get_cancellable (task), on_client_connected, task);
}

static void
on_me (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PerchConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonNode) me = perch_api_get_finish (PERCH_API (source), result, &error);
  if (me == NULL)
    {
      connect_failed (task, error ? error : g_error_new_literal (PERCH_API_ERROR, PERCH_API_ERROR_INVALID_REPLY,
                                                                  _("The server did not say who you are")));
      return;
    }
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (me) ? json_node_get_object (me) : NULL;
  g_free (self->user_uri);
  self->user_uri = g_strdup (perch_json_get_string (obj, "user", self->user));
  self->admin = perch_json_get_bool (obj, "admin", FALSE);
  start_chat (task);
}

static void
on_login (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  if (!perch_api_login_finish (PERCH_API (source), result, &error))
    {
      connect_failed (task, error);
      return;
    }
  perch_api_get_async (PERCH_API (source), "/me", g_task_get_cancellable (task), on_me, task);
}

static void
sign_in (GTask *task)
{
  PerchConnection *self = g_task_get_source_object (task);
  if (self->api == NULL)
    {
      if (self->setup_error == NULL)
        {
          g_autoptr(PerchApi) api = perch_api_new (self->base_url, &self->setup_error);
          set_api (self, api);
        }
      if (self->api == NULL)
        {
          connect_failed (task, g_error_copy (self->setup_error));
          return;
        }
      if (self->accepted != NULL)
        perch_api_accept_certificate (self->api, self->accepted);
    }
  perch_api_login_async (self->api, self->user, self->password, g_task_get_cancellable (task), on_login, task);
}

static void
on_demo_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PerchConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  self->demo_server = perch_demo_server_start_finish (result, &error);
  if (self->demo_server == NULL)
    {
      connect_failed (task, error);
      return;
    }
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      connect_failed (task, error);
      return;
    }
  g_free (self->base_url);
  self->base_url = g_strconcat ("http://", perch_demo_server_get_http_address (self->demo_server), NULL);
  g_free (self->sip_address);
  self->sip_address = g_strdup (perch_demo_server_get_sip_address (self->demo_server));
  g_clear_pointer (&self->sip_key, g_free);
  self->sip_tls = FALSE;
  g_free (self->user);
  self->user = perch_demo_server_get_admin_user (self->demo_server);
  g_free (self->password);
  self->password = g_strdup (perch_demo_server_get_admin_password (self->demo_server));
  sign_in (task);
}

void
perch_connection_connect_async (PerchConnection *self, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_CONNECTION (self));
  g_return_if_fail (!self->connected);

  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_connection_connect_async);
  /* A demo server started for a connect that is given up is stopped
   * before the task goes: the application stays until then. */
  GApplication *app = g_application_get_default ();
  if (app != NULL)
    {
      g_application_hold (app);
      g_task_set_task_data (task, app, (GDestroyNotify) g_application_release);
    }
  set_state (self, PERCH_CONNECTION_STATE_CONNECTING);
  if (self->demo)
    perch_demo_server_start_async (cancellable, on_demo_started, task);
  else
    sign_in (task);
}

gboolean
perch_connection_connect_finish (PerchConnection *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- lost, and reconnecting ------------------------------------------------------ */

/* The connection broke while online: the pages are told, and the first
 * attempt to reconnect is scheduled. */
static void
go_lost (PerchConnection *self, const GError *error)
{
  if (self->state != PERCH_CONNECTION_STATE_ONLINE || self->closing)
    return;
  g_message ("Connection lost: %s", error ? error->message : "");
  g_clear_error (&self->lost_error);
  self->lost_error = error ? g_error_copy (error)
                           : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, _("The connection was lost"));
  self->attempts = 0;
  drop_client (self);
  /* What is still in flight went to the server that is gone. */
  if (self->api != NULL)
    perch_api_abort (self->api);
  schedule_retry (self);
  set_state (self, PERCH_CONNECTION_STATE_LOST);
}

static void
on_reconnected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* connect_done and connect_failed said everything already. */
  g_autoptr(GError) error = NULL;
  perch_connection_connect_finish (PERCH_CONNECTION (source), result, &error);
}

static gboolean
on_retry_timeout (gpointer user_data)
{
  PerchConnection *self = user_data;
  g_clear_pointer (&self->retry_source, g_source_unref);
  self->retry_time = 0;
  perch_connection_reconnect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (PerchConnection *self)
{
  if (self->retry_source != NULL)
    {
      g_source_destroy (self->retry_source);
      g_clear_pointer (&self->retry_source, g_source_unref);
    }
  guint64 delay = self->retry_initial_ms;
  for (guint i = 0; i < self->attempts && delay < self->retry_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->retry_max_ms);
  /* Jitter: up to a fifth less, so consoles that lost the same server do
   * not all come back at the same instant. */
  delay -= (guint64) g_random_int_range (0, (gint32) (delay / 5) + 1);
  delay = MAX (delay, 1);
  self->retry_time = g_get_monotonic_time () + (gint64) delay * 1000;
  self->retry_source = g_timeout_source_new ((guint) delay);
  g_source_set_callback (self->retry_source, on_retry_timeout, self, NULL);
  g_source_set_static_name (self->retry_source, "[perch] reconnect");
  g_source_attach (self->retry_source, g_main_context_get_thread_default ());
}

void
perch_connection_reconnect_now (PerchConnection *self)
{
  g_return_if_fail (PERCH_IS_CONNECTION (self));
  if (self->state != PERCH_CONNECTION_STATE_LOST || self->closing)
    return;
  if (self->retry_source != NULL)
    {
      g_source_destroy (self->retry_source);
      g_clear_pointer (&self->retry_source, g_source_unref);
    }
  self->retry_time = 0;
  self->reconnecting = g_cancellable_new ();
  GTask *task = g_task_new (self, self->reconnecting, on_reconnected, NULL);
  g_task_set_source_tag (task, perch_connection_reconnect_now);
  set_state (self, PERCH_CONNECTION_STATE_RECONNECTING);
  sign_in (task);
}

void
perch_connection_set_retry_delays (PerchConnection *self, guint initial_ms, guint max_ms)
{
  g_return_if_fail (PERCH_IS_CONNECTION (self));
  g_object_set (self, "retry-initial-ms", initial_ms, "retry-max-ms", MAX (initial_ms, max_ms), NULL);
}

PerchConnectionState
perch_connection_get_state (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), PERCH_CONNECTION_STATE_IDLE);
  return self->state;
}

const GError *
perch_connection_get_lost_error (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->state == PERCH_CONNECTION_STATE_ONLINE ? NULL : self->lost_error;
}

gint64
perch_connection_get_retry_time (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), 0);
  return self->retry_time;
}

/* ---- closing ------------------------------------------------------------------- */

static void
close_done (GTask *task)
{
  GApplication *app = g_application_get_default ();
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  if (app != NULL)
    g_application_release (app);
}

static void
on_demo_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  perch_demo_server_stop_finish (PERCH_DEMO_SERVER (source), result, NULL);
  close_done (user_data);
}

static void
on_logged_out (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PerchConnection *self = g_task_get_source_object (task);
  perch_api_logout_finish (PERCH_API (source), result, NULL);
  perch_api_abort (PERCH_API (source));
  if (self->demo_server != NULL)
    {
      g_autoptr(PerchDemoServer) server = g_steal_pointer (&self->demo_server);
      perch_demo_server_stop_async (server, NULL, on_demo_stopped, task);
      return;
    }
  close_done (task);
}

static void
sign_out (GTask *task)
{
  PerchConnection *self = g_task_get_source_object (task);
  if (self->api != NULL)
    perch_api_logout_async (self->api, NULL, on_logged_out, task);
  else if (self->demo_server != NULL)
    {
      g_autoptr(PerchDemoServer) server = g_steal_pointer (&self->demo_server);
      perch_demo_server_stop_async (server, NULL, on_demo_stopped, task);
    }
  else
    close_done (task);
}

static void
on_chat_ended (GObject *source, GAsyncResult *result, gpointer user_data)
{
  perch_client_close_finish (PERCH_CLIENT (source), result, NULL);
  sign_out (user_data);
}

void
perch_connection_close_async (PerchConnection *self, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_CONNECTION (self));

  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_connection_close_async);
  g_task_set_check_cancellable (task, FALSE);
  GApplication *app = g_application_get_default ();
  if (app != NULL)
    g_application_hold (app);
  self->closing = TRUE;
  self->connected = FALSE;
  /* Closed by the user: no more attempts, whatever state it was in. */
  stop_retrying (self);
  set_state (self, PERCH_CONNECTION_STATE_CLOSED);
  if (self->client != NULL)
    {
      g_autoptr(PerchClient) client = g_steal_pointer (&self->client);
      g_signal_handlers_disconnect_by_data (client, self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
      perch_client_close_async (client, NULL, on_chat_ended, task);
      return;
    }
  sign_out (task);
}

gboolean
perch_connection_close_finish (PerchConnection *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- getters ------------------------------------------------------------------- */

PerchApi *
perch_connection_get_api (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->api;
}

PerchClient *
perch_connection_get_client (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->client;
}

const GError *
perch_connection_get_chat_error (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->chat_error;
}

PerchDemoServer *
perch_connection_get_demo_server (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->demo_server;
}

gboolean
perch_connection_is_demo (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), FALSE);
  return self->demo;
}

gboolean
perch_connection_is_connected (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), FALSE);
  return self->connected;
}

gboolean
perch_connection_get_admin (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), FALSE);
  return self->admin;
}

const char *
perch_connection_get_base_url (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->api ? perch_api_get_base_url (self->api) : self->base_url;
}

const char *
perch_connection_get_sip_address (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->sip_address;
}

gboolean
perch_connection_get_sip_tls (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), FALSE);
  return self->sip_tls;
}

const char *
perch_connection_get_user (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->user;
}

const char *
perch_connection_get_password (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->password;
}

const char *
perch_connection_get_user_uri (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  return self->user_uri;
}

const char *
perch_connection_get_domain (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  const char *at = self->user_uri ? strrchr (self->user_uri, '@') : NULL;
  return at ? at + 1 : NULL;
}

char *
perch_connection_dup_title (PerchConnection *self)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (self), NULL);
  const char *user = self->user_uri && g_str_has_prefix (self->user_uri, "sip:") ? self->user_uri + 4 : self->user;
  if (self->demo)
    /* Translators: the window subtitle in demo mode; %s is the user. */
    return g_strdup_printf (_("%s on the demo server"), user);
  const char *server = self->api ? perch_api_get_server_key (self->api) : self->base_url;
  /* Translators: the window subtitle: "admin@example.com on chat.example.com:443". */
  return g_strdup_printf (_("%s on %s"), user, server);
}
