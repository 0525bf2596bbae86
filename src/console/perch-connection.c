/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-connection.c: connecting (demo server, HTTP sign-in, who am I, XCCOS)
 * and closing again, each as one chain of callbacks on one GTask. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-demo-server.h"
#include "perch-connection.h"

#define SIP_DEFAULT_PORT 5061

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
  char            *user_uri;
  gboolean         admin;
  gboolean         connected;
  gboolean         closing;
};

G_DEFINE_FINAL_TYPE (PerchConnection, perch_connection, G_TYPE_OBJECT)

enum {
  SIGNAL_CHAT_CLOSED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
perch_connection_dispose (GObject *object)
{
  PerchConnection *self = PERCH_CONNECTION (object);

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
  g_clear_object (&self->api);

  G_OBJECT_CLASS (perch_connection_parent_class)->dispose (object);
}

static void
perch_connection_finalize (GObject *object)
{
  PerchConnection *self = PERCH_CONNECTION (object);

  g_clear_error (&self->chat_error);
  g_clear_error (&self->setup_error);
  g_free (self->base_url);
  g_free (self->sip_address);
  g_free (self->user);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->accepted);
  g_free (self->user_uri);

  G_OBJECT_CLASS (perch_connection_parent_class)->finalize (object);
}

static void
perch_connection_class_init (PerchConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = perch_connection_dispose;
  object_class->finalize = perch_connection_finalize;

  signals[SIGNAL_CHAT_CLOSED] = g_signal_new ("chat-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
perch_connection_init (PerchConnection *self)
{
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
  self->api = perch_api_new (base_url, &self->setup_error);
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

/* ---- connecting --------------------------------------------------------------- */

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
  g_signal_emit (self, signals[SIGNAL_CHAT_CLOSED], 0, self->chat_error);
}

static void
connect_done (GTask *task)
{
  PerchConnection *self = g_task_get_source_object (task);
  self->connected = TRUE;
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

/* Fails the connect; a demo server started for it is stopped first. */
static void
connect_failed (GTask *task, GError *error)
{
  PerchConnection *self = g_task_get_source_object (task);
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

static void
on_client_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PerchConnection *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!perch_client_connect_finish (PERCH_CLIENT (source), result, &error))
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      perch_client_close (self->client);
      g_clear_object (&self->client);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
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
  connect_done (task);
}

static void
start_chat (GTask *task)
{
  PerchConnection *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (self->sip_address == NULL)
    {
      self->chat_error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("No SIP address was given"));
      connect_done (task);
      return;
    }
  g_autoptr(GSocketConnectable) address = g_network_address_parse (self->sip_address, SIP_DEFAULT_PORT, &error);
  if (address == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a SIP address such as chat.example.com:5061"),
                                                  self->sip_address);
      connect_failed (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message));
      return;
    }
  const char *host = g_network_address_get_hostname (G_NETWORK_ADDRESS (address));
  guint16 port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  self->client = perch_client_new (host, port, self->sip_tls, self->user, self->password);
  /* perchd presents one certificate for HTTPS and SIP over TLS: the one
   * the administrator accepted for this host's HTTPS service. */
  g_autoptr(GUri) base = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
  if (self->demo ||
      (self->accepted != NULL && base != NULL && g_ascii_strcasecmp (g_uri_get_host (base), host) == 0))
    perch_client_set_accept_invalid_certificates (self->client, TRUE);
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
        self->api = perch_api_new (self->base_url, &self->setup_error);
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
  if (self->client != NULL)
    {
      g_autoptr(PerchClient) client = g_steal_pointer (&self->client);
      g_signal_handlers_disconnect_by_data (client, self);
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
