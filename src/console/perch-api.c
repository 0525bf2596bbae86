/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-api.c: the room management API over one SoupSession.
 *
 * Every request is one GTask that owns a Request: the method, the path and
 * the body text, so that a request can be sent again after its token was
 * renewed. */
#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "perch-api.h"
#include "perch-client.h"

#define API_PREFIX      "/api/v1"
#define IO_TIMEOUT_S    30
#define IDLE_TIMEOUT_S  60

struct _PerchApi {
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;              /* "https://host:port" */
  char        *server_key;            /* "host:port" */
  char        *token;                 /* bearer token, NULL when signed out */
  char        *user;                  /* credentials of the last login, for renewal */
  char        *password;
  GHashTable  *accepted;              /* fingerprints accepted although untrusted */
  char        *rejected_fingerprint;  /* of the last certificate refused */
  char        *rejected_reason;
};

G_DEFINE_FINAL_TYPE (PerchApi, perch_api, G_TYPE_OBJECT)

G_DEFINE_QUARK (perch-api-error-quark, perch_api_error)

enum {
  SIGNAL_NETWORK_ERROR,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct {
  char        *method;
  char        *path;
  char        *body;        /* JSON text or NULL */
  gboolean     login;       /* POST /login: no token sent, never renewed */
  gboolean     renewed;     /* the token was renewed once for this request */
  SoupMessage *msg;
} Request;

static void
request_free (Request *req)
{
  g_free (req->method);
  g_free (req->path);
  g_free (req->body);
  g_clear_object (&req->msg);
  g_free (req);
}

static void send_request (GTask *task);

/* ---- helpers ------------------------------------------------------------------ */

char *
perch_api_escape (const char *text)
{
  return g_uri_escape_string (text ? text : "", NULL, TRUE);
}

gboolean
perch_api_error_is_network (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == G_RESOLVER_ERROR)
    return TRUE;
  if (error->domain != G_IO_ERROR)
    return FALSE;
  switch (error->code)
    {
    case G_IO_ERROR_CANCELLED:
    case G_IO_ERROR_INVALID_ARGUMENT:
    case G_IO_ERROR_NOT_SUPPORTED:
      return FALSE;
    default:
      /* refused, reset, closed, timed out, unreachable, a broken pipe, an
       * answer cut short (PARTIAL_INPUT)... */
      return TRUE;
    }
}

guint
perch_api_error_get_status (const GError *error)
{
  if (error != NULL && error->domain == PERCH_API_ERROR && error->code >= 300)
    return (guint) error->code;
  return 0;
}

const char *
perch_json_get_string (JsonObject *obj, const char *member, const char *fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, member) : NULL;
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

gint64
perch_json_get_int (JsonObject *obj, const char *member, gint64 fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, member) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return fallback;
}

double
perch_json_get_double (JsonObject *obj, const char *member, double fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, member) : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (type == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return fallback;
}

gboolean
perch_json_get_bool (JsonObject *obj, const char *member, gboolean fallback)
{
  JsonNode *node = obj ? json_object_get_member (obj, member) : NULL;
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

char **
perch_json_get_strv (JsonObject *obj, const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = obj ? json_object_get_member (obj, member) : NULL;
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          if (json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

JsonArray *
perch_json_get_items (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  JsonNode *items = json_object_get_member (json_node_get_object (node), "items");
  return items && JSON_NODE_HOLDS_ARRAY (items) ? json_node_get_array (items) : NULL;
}

JsonNode *
perch_json_strv_node (const char *const *strv)
{
  JsonArray *array = json_array_new ();
  for (guint i = 0; strv && strv[i]; i++)
    json_array_add_string_element (array, strv[i]);
  JsonNode *node = json_node_init_array (json_node_alloc (), array);
  json_array_unref (array);
  return node;
}

char *
perch_api_describe_certificate_errors (GTlsCertificateFlags errors)
{
  GPtrArray *why = g_ptr_array_new ();
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    g_ptr_array_add (why, _("it is not signed by an authority this computer trusts (it may be self-signed)"));
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    g_ptr_array_add (why, _("it was issued for another name"));
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    g_ptr_array_add (why, _("it is not valid yet"));
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    g_ptr_array_add (why, _("it has expired"));
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    g_ptr_array_add (why, _("it has been revoked"));
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    g_ptr_array_add (why, _("its algorithm is insecure"));
  if (why->len == 0)
    g_ptr_array_add (why, _("it could not be verified"));
  g_ptr_array_add (why, NULL);
  /* Translators: the reasons a certificate is not trusted, joined with this. */
  char *text = g_strjoinv (_("; "), (char **) why->pdata);
  g_ptr_array_free (why, TRUE);
  return text;
}

/* ---- object ------------------------------------------------------------------- */

static void
perch_api_finalize (GObject *object)
{
  PerchApi *self = PERCH_API (object);

  soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_free (self->base_url);
  g_free (self->server_key);
  g_free (self->token);
  g_free (self->user);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_hash_table_unref (self->accepted);
  g_free (self->rejected_fingerprint);
  g_free (self->rejected_reason);

  G_OBJECT_CLASS (perch_api_parent_class)->finalize (object);
}

static void
perch_api_class_init (PerchApiClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_api_finalize;

  signals[SIGNAL_NETWORK_ERROR] = g_signal_new ("network-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
perch_api_init (PerchApi *self)
{
  self->session = soup_session_new_with_options ("timeout", IO_TIMEOUT_S,
                                                 "idle-timeout", IDLE_TIMEOUT_S,
                                                 "user-agent", "perch-console/" PACKAGE_VERSION,
                                                 NULL);
  self->accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

PerchApi *
perch_api_new (const char *base_url, GError **error)
{
  g_autofree char *text = g_strstrip (g_strdup (base_url ? base_url : ""));
  if (*text != '\0' && strstr (text, "://") == NULL)
    {
      /* "chat.example.com:8443": HTTPS is what a server off loopback speaks. */
      char *with_scheme = g_strconcat ("https://", text, NULL);
      g_free (text);
      text = with_scheme;
    }
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;
  if (uri == NULL || host == NULL || *host == '\0' ||
      (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0))
    {
      g_set_error (error, PERCH_API_ERROR, PERCH_API_ERROR_INVALID_URL,
                   _("“%s” is not a server address such as https://chat.example.com:8443"),
                   base_url ? base_url : "");
      return NULL;
    }
  gboolean tls = g_ascii_strcasecmp (scheme, "https") == 0;
  int port = g_uri_get_port (uri);
  if (port <= 0)
    port = tls ? 443 : 80;
  gboolean v6 = strchr (host, ':') != NULL;

  PerchApi *self = g_object_new (PERCH_TYPE_API, NULL);
  self->server_key = g_strdup_printf ("%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
  self->base_url = g_strdup_printf ("%s://%s", tls ? "https" : "http", self->server_key);
  return self;
}

const char *
perch_api_get_base_url (PerchApi *self)
{
  g_return_val_if_fail (PERCH_IS_API (self), NULL);
  return self->base_url;
}

const char *
perch_api_get_server_key (PerchApi *self)
{
  g_return_val_if_fail (PERCH_IS_API (self), NULL);
  return self->server_key;
}

void
perch_api_accept_certificate (PerchApi *self, const char *fingerprint)
{
  g_return_if_fail (PERCH_IS_API (self));
  if (fingerprint != NULL && *fingerprint != '\0')
    g_hash_table_add (self->accepted, g_ascii_strup (fingerprint, -1));
}

const char *
perch_api_get_rejected_fingerprint (PerchApi *self)
{
  g_return_val_if_fail (PERCH_IS_API (self), NULL);
  return self->rejected_fingerprint;
}

const char *
perch_api_get_rejected_reason (PerchApi *self)
{
  g_return_val_if_fail (PERCH_IS_API (self), NULL);
  return self->rejected_reason;
}

gboolean
perch_api_is_signed_in (PerchApi *self)
{
  g_return_val_if_fail (PERCH_IS_API (self), FALSE);
  return self->token != NULL;
}

void
perch_api_abort (PerchApi *self)
{
  g_return_if_fail (PERCH_IS_API (self));
  soup_session_abort (self->session);
}

/* ---- requests ----------------------------------------------------------------- */

static gboolean
on_accept_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer user_data)
{
  PerchApi *self = user_data;
  g_autofree char *fingerprint = perch_tls_fingerprint (cert);
  if (fingerprint != NULL && g_hash_table_contains (self->accepted, fingerprint))
    return TRUE;
  g_free (self->rejected_fingerprint);
  self->rejected_fingerprint = g_steal_pointer (&fingerprint);
  g_free (self->rejected_reason);
  self->rejected_reason = perch_api_describe_certificate_errors (errors);
  return FALSE;
}

static GError *
error_from_answer (guint status, const char *reason, GBytes *bytes)
{
  /* The API answers {"error": {"status", "code", "message"}}; anything
   * else (a proxy's page, say) is named by its status line. */
  gsize len = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &len) : NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  if (data != NULL && len > 0 && json_parser_load_from_data (parser, data, (gssize) len, NULL))
    {
      JsonNode *root = json_parser_get_root (parser);
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
      JsonNode *err = obj ? json_object_get_member (obj, "error") : NULL;
      const char *message = err && JSON_NODE_HOLDS_OBJECT (err)
                              ? perch_json_get_string (json_node_get_object (err), "message", NULL)
                              : NULL;
      if (message != NULL && *message != '\0')
        return g_error_new_literal (PERCH_API_ERROR, (int) status, message);
    }
  return g_error_new (PERCH_API_ERROR, (int) status, _("The server answered %u %s"),
                      status, reason ? reason : soup_status_get_phrase (status));
}

static void renew_token (GTask *task);

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PerchApi *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) && self->rejected_fingerprint)
        g_task_return_new_error (task, PERCH_API_ERROR, PERCH_API_ERROR_CERTIFICATE,
                                 _("The certificate of %s is not trusted: %s"),
                                 self->server_key, self->rejected_reason);
      else
        {
          if (perch_api_error_is_network (error))
            g_signal_emit (self, signals[SIGNAL_NETWORK_ERROR], 0, error);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      return;
    }

  guint status = soup_message_get_status (req->msg);
  if (status == SOUP_STATUS_UNAUTHORIZED && !req->login && !req->renewed && self->password != NULL)
    {
      /* Tokens last an hour; sign in again once and repeat the request. */
      req->renewed = TRUE;
      renew_token (g_steal_pointer (&task));
      return;
    }
  if (status >= 300)
    {
      g_task_return_error (task, error_from_answer (status, soup_message_get_reason_phrase (req->msg), bytes));
      return;
    }

  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  g_autoptr(JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, &error))
    {
      g_task_return_new_error (task, PERCH_API_ERROR, PERCH_API_ERROR_INVALID_REPLY,
                               _("The server’s answer is not JSON: %s"), error->message);
      return;
    }
  g_task_return_pointer (task, json_parser_steal_root (parser), (GDestroyNotify) json_node_unref);
}

static void
send_request (GTask *task)
{
  PerchApi *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autofree char *url = g_strconcat (self->base_url, API_PREFIX, req->path, NULL);

  g_clear_object (&req->msg);
  req->msg = soup_message_new (req->method, url);
  if (req->msg == NULL)
    {
      g_task_return_new_error (task, PERCH_API_ERROR, PERCH_API_ERROR_INVALID_URL,
                               _("“%s” is not a valid request address"), url);
      g_object_unref (task);
      return;
    }
  SoupMessageHeaders *headers = soup_message_get_request_headers (req->msg);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->token != NULL && !req->login)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (req->body != NULL)
    {
      g_autoptr(GBytes) body = g_bytes_new (req->body, strlen (req->body));
      soup_message_set_request_body_from_bytes (req->msg, "application/json", body);
    }
  g_signal_connect_object (req->msg, "accept-certificate", G_CALLBACK (on_accept_certificate), self, 0);
  soup_session_send_and_read_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), on_sent, task);
}

static GTask *
request_task (PerchApi *self, const char *method, const char *path, char *body_text,
              gboolean login, GCancellable *cancellable, GAsyncReadyCallback callback,
              gpointer user_data, gpointer source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  Request *req = g_new0 (Request, 1);
  req->method = g_strdup (method);
  req->path = g_strdup (path);
  req->body = body_text;
  req->login = login;
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);
  return task;
}

void
perch_api_send_async (PerchApi *self, const char *method, const char *path, JsonNode *body,
                      GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_API (self));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');

  char *text = body ? json_to_string (body, FALSE) : NULL;
  send_request (request_task (self, method, path, text, FALSE, cancellable, callback, user_data,
                              perch_api_send_async));
}

JsonNode *
perch_api_send_finish (PerchApi *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
perch_api_get_async (PerchApi *self, const char *path, GCancellable *cancellable,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  perch_api_send_async (self, "GET", path, NULL, cancellable, callback, user_data);
}

JsonNode *
perch_api_get_finish (PerchApi *self, GAsyncResult *result, GError **error)
{
  return perch_api_send_finish (self, result, error);
}

/* ---- signing in ---------------------------------------------------------------- */

static char *
login_body (const char *user, const char *password)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user");
  json_builder_add_string_value (b, user);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* Takes the token out of a login answer; FALSE (and ERROR) without one. */
static gboolean
keep_token (PerchApi *self, JsonNode *answer, GError **error)
{
  JsonObject *obj = answer && JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  const char *token = perch_json_get_string (obj, "token", NULL);
  if (token == NULL)
    {
      g_set_error_literal (error, PERCH_API_ERROR, PERCH_API_ERROR_INVALID_REPLY,
                           _("The server’s answer to signing in holds no token"));
      return FALSE;
    }
  g_free (self->token);
  self->token = g_strdup (token);
  return TRUE;
}

static void
on_login (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PerchApi *self = PERCH_API (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = g_task_propagate_pointer (G_TASK (result), &error);
  if (answer == NULL || !keep_token (self, answer, error ? NULL : &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  const char *const *cred = g_task_get_task_data (task);
  g_free (self->user);
  self->user = g_strdup (cred[0]);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  self->password = g_strdup (cred[1]);
  g_task_return_boolean (task, TRUE);
}

void
perch_api_login_async (PerchApi *self, const char *user, const char *password, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_API (self));

  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_api_login_async);
  char **cred = g_new0 (char *, 3);
  cred[0] = g_strdup (user ? user : "");
  cred[1] = g_strdup (password ? password : "");
  g_task_set_task_data (task, cred, (GDestroyNotify) g_strfreev);
  send_request (request_task (self, "POST", "/login", login_body (cred[0], cred[1]), TRUE,
                              cancellable, on_login, task, perch_api_login_async));
}

gboolean
perch_api_login_finish (PerchApi *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_renewed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;   /* the request being repeated */
  PerchApi *self = PERCH_API (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = g_task_propagate_pointer (G_TASK (result), &error);
  if (answer == NULL || !keep_token (self, answer, error ? NULL : &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  send_request (task);
}

static void
renew_token (GTask *task)
{
  PerchApi *self = g_task_get_source_object (task);
  g_clear_pointer (&self->token, g_free);
  send_request (request_task (self, "POST", "/login", login_body (self->user, self->password), TRUE,
                              g_task_get_cancellable (task), on_renewed, task, renew_token));
}

static void
on_logout (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) answer = g_task_propagate_pointer (G_TASK (result), NULL);
  g_task_return_boolean (task, TRUE);
}

void
perch_api_logout_async (PerchApi *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_return_if_fail (PERCH_IS_API (self));

  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_api_logout_async);
  g_clear_pointer (&self->user, g_free);
  if (self->password)
    memset (self->password, 0, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
  if (self->token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* The request carries the token; forget it once the request is built. */
  GTask *request = request_task (self, "POST", "/logout", NULL, FALSE, cancellable, on_logout, task,
                                 perch_api_logout_async);
  send_request (request);
  g_clear_pointer (&self->token, g_free);
}

gboolean
perch_api_logout_finish (PerchApi *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
