/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-http.c: the one way perchctl talks to the room management
 * service.
 *
 * Synchronous libsoup calls on the thread-default context: a command line
 * tool does one thing at a time. Sign-in is POST /api/v1/login with the
 * user and password (never from argv), then the bearer token on every
 * request, revoked when perchctl ends. Every answer that is not 2xx becomes
 * the service's own message on stderr and an exit code:
 *
 *   400 -> 2   401 -> 3   404 -> 4   429, 503, no connection -> 5
 *   anything else (403, 409, 413, 422, 5xx) -> 1 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "perchctl.h"

/* ---- paths and bodies ---------------------------------------------------------- */

char *
api_path (const char *first, ...)
{
  GString *path = g_string_new (NULL);
  va_list ap;
  va_start (ap, first);
  for (const char *s = first; s; s = va_arg (ap, const char *))
    {
      g_string_append_c (path, '/');
      g_string_append_uri_escaped (path, s, NULL, FALSE);
    }
  va_end (ap);
  return g_string_free (path, FALSE);
}

void
api_query (GString *path, const char *key, const char *value)
{
  if (value == NULL)
    return;
  g_string_append_c (path, strchr (path->str, '?') ? '&' : '?');
  g_string_append_uri_escaped (path, key, NULL, FALSE);
  g_string_append_c (path, '=');
  g_string_append_uri_escaped (path, value, NULL, FALSE);
}

JsonNode *
json_object_node (JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

JsonArray *
json_strv_array (const char *const *strv)
{
  JsonArray *array = json_array_new ();
  for (guint i = 0; strv && strv[i]; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

JsonObject *
json_list_edit (const char *const *add, const char *const *remove)
{
  if (add == NULL && remove == NULL)
    return NULL;
  JsonObject *edit = json_object_new ();
  if (add != NULL)
    json_object_set_array_member (edit, "add", json_strv_array (add));
  if (remove != NULL)
    json_object_set_array_member (edit, "remove", json_strv_array (remove));
  return edit;
}

/* ---- requests --------------------------------------------------------------------- */

static gboolean
accept_any_certificate (SoupMessage *msg, GTlsCertificate *certificate, GTlsCertificateFlags errors,
                        gpointer user_data)
{
  return TRUE;
}

static int
exit_code_for_status (guint status)
{
  switch (status)
    {
    case 400: return EXIT_USAGE;
    case 401: return EXIT_AUTH;
    case 404: return EXIT_NOT_FOUND;
    case 429:
    case 503: return EXIT_UNAVAILABLE;
    default:  return EXIT_FAILED;
    }
}

static SoupSession *
session_of (Ctl *ctl)
{
  if (ctl->session == NULL)
    ctl->session = soup_session_new_with_options ("timeout", 120,
                                                  "user-agent", "perchctl/" PACKAGE_VERSION,
                                                  NULL);
  return ctl->session;
}

/* A request for METHOD API-PATH, with the Accept, Authorization and TLS
 * settings every request has; NULL (and a message) for a bad URL. */
static SoupMessage *
new_message (Ctl *ctl, const char *method, const char *path, const char *accept)
{
  g_autofree char *url = g_strconcat (ctl->api, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_printerr ("perchctl: “%s” is not a URL (give --server http://HOST:PORT or https://HOST:PORT)\n", url);
      return NULL;
    }
  if (ctl->insecure)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Accept", accept);
  if (ctl->token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", ctl->token, NULL);
      soup_message_headers_replace (headers, "Authorization", bearer);
    }
  return msg;
}

static int
unreachable (Ctl *ctl, const GError *error)
{
  g_printerr ("perchctl: cannot reach the service at %s: %s\n", ctl->server, error->message);
  if (error->domain == G_TLS_ERROR)
    g_printerr ("perchctl: (a demo server's self-signed certificate needs --insecure)\n");
  return EXIT_UNAVAILABLE;
}

/* Sends METHOD API-PATH with BODY (JSON text or NULL); *STATUS and *BYTES
 * the answer. Returns EXIT_OK, or the exit code when there was none. */
static int
send_request (Ctl *ctl, const char *method, const char *path, const char *body,
              guint *status, GBytes **bytes)
{
  g_autoptr(SoupMessage) msg = new_message (ctl, method, path, "application/json");
  if (msg == NULL)
    return EXIT_USAGE;
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", request);
    }
  g_autoptr(GError) error = NULL;
  *bytes = soup_session_send_and_read (session_of (ctl), msg, NULL, &error);
  if (*bytes == NULL)
    return unreachable (ctl, error);
  *status = soup_message_get_status (msg);
  return EXIT_OK;
}

static JsonNode *
parse_json (GBytes *bytes)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    return NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, size, NULL))
    return NULL;
  return json_parser_steal_root (parser);
}

/* Prints the service's message for a failed request; its exit code. */
static int
report_error (Ctl *ctl, guint status, GBytes *bytes)
{
  g_autoptr(JsonNode) node = parse_json (bytes);
  const char *message = NULL;
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *error = json_object_get_object_member (json_node_get_object (node), "error");
      if (error != NULL && json_object_has_member (error, "message"))
        message = json_object_get_string_member (error, "message");
    }
  if (message == NULL)
    message = soup_status_get_phrase (status);
  g_printerr ("perchctl: %s: %s (HTTP %u)\n", ctl->command, message ? message : "failed", status);
  return exit_code_for_status (status);
}

static int
sign_in (Ctl *ctl)
{
  const char *user = perchctl_user (ctl);
  if (user == NULL)
    return EXIT_USAGE;
  g_autofree char *prompt = g_strdup_printf ("Password for %s: ", user);
  char *password = perchctl_read_password (prompt, "PERCH_PASSWORD");
  if (password == NULL)
    {
      g_printerr ("perchctl: no password (set PERCH_PASSWORD or type it)\n");
      return EXIT_USAGE;
    }
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user");
  json_builder_add_string_value (b, user);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  char *body = json_to_string (root, FALSE);
  /* The password lives no longer than it must. */
  memset (password, 0, strlen (password));
  g_free (password);

  guint status = 0;
  g_autoptr(GBytes) bytes = NULL;
  int result = send_request (ctl, "POST", "/login", body, &status, &bytes);
  memset (body, 0, strlen (body));
  g_free (body);
  if (result != EXIT_OK)
    return result;
  if (status == 401)
    {
      g_printerr ("perchctl: sign-in refused for %s: wrong user or password\n", user);
      return EXIT_AUTH;
    }
  if (status != 200)
    {
      g_free (ctl->command);
      ctl->command = g_strdup ("sign-in");
      return report_error (ctl, status, bytes);
    }
  g_autoptr(JsonNode) answer = parse_json (bytes);
  const char *token = NULL;
  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    token = json_object_get_string_member_with_default (json_node_get_object (answer), "token", NULL);
  if (token == NULL)
    {
      g_printerr ("perchctl: sign-in: the service answered without a token\n");
      return EXIT_FAILED;
    }
  ctl->token = g_strdup (token);
  return EXIT_OK;
}

/* api_call; a QUIET status (0: none) is returned in *HTTP_STATUS without
 * a message. */
static int
call (Ctl *ctl, const char *method, const char *path, JsonNode *body, JsonNode **reply,
      guint quiet, guint *http_status)
{
  g_autoptr(JsonNode) owned = body;
  if (reply != NULL)
    *reply = NULL;
  if (ctl->token == NULL)
    {
      int status = sign_in (ctl);
      if (status != EXIT_OK)
        return status;
    }
  g_autofree char *text = body ? json_to_string (body, FALSE) : NULL;
  guint status = 0;
  g_autoptr(GBytes) bytes = NULL;
  int result = send_request (ctl, method, path, text, &status, &bytes);
  if (result != EXIT_OK)
    return result;
  if (http_status != NULL)
    *http_status = status;
  if (quiet != 0 && status == quiet)
    return EXIT_OK;
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    return report_error (ctl, status, bytes);
  if (status == 204 || g_bytes_get_size (bytes) == 0)
    return EXIT_OK;
  JsonNode *node = parse_json (bytes);
  if (node == NULL)
    {
      g_printerr ("perchctl: %s: the service's answer is not JSON\n", ctl->command);
      return EXIT_FAILED;
    }
  if (reply != NULL)
    *reply = node;
  else
    json_node_unref (node);
  return EXIT_OK;
}

int
api_call (Ctl *ctl, const char *method, const char *path, JsonNode *body, JsonNode **reply)
{
  return call (ctl, method, path, body, reply, 0, NULL);
}

int
api_exists (Ctl *ctl, const char *path, gboolean *exists, JsonNode **reply)
{
  guint status = 0;
  int result = call (ctl, "GET", path, NULL, reply, SOUP_STATUS_NOT_FOUND, &status);
  *exists = result == EXIT_OK && status != SOUP_STATUS_NOT_FOUND;
  return result;
}

int
api_stream (Ctl *ctl, const char *method, const char *path, GInputStream *body, const char *type,
            goffset length, GOutputStream *out, goffset *written, char **filename, JsonNode **reply)
{
  if (reply != NULL)
    *reply = NULL;
  if (ctl->token == NULL)
    {
      int status = sign_in (ctl);
      if (status != EXIT_OK)
        return status;
    }
  g_autoptr(SoupMessage) msg = new_message (ctl, method, path, out ? "*/*" : "application/json");
  if (msg == NULL)
    return EXIT_USAGE;
  if (body != NULL)
    soup_message_set_request_body (msg, type, body, length);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = soup_session_send (session_of (ctl), msg, NULL, &error);
  if (in == NULL)
    return unreachable (ctl, error);
  guint status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_SUCCESSFUL (status) && out != NULL)
    {
      if (filename != NULL)
        {
          GHashTable *params = NULL;
          if (soup_message_headers_get_content_disposition (soup_message_get_response_headers (msg), NULL, &params))
            {
              const char *name = g_hash_table_lookup (params, "filename");
              *filename = name && *name && *name != '.' ? g_path_get_basename (name) : NULL;
              g_hash_table_destroy (params);
            }
        }
      gssize n = g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE, NULL, &error);
      if (n < 0)
        {
          g_printerr ("perchctl: %s: %s\n", ctl->command, error->message);
          return EXIT_FAILED;
        }
      if (written != NULL)
        *written = n;
      return EXIT_OK;
    }
  /* An error, or a JSON answer: small, read whole. */
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (memory, in, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                              NULL, &error) < 0)
    return unreachable (ctl, error);
  g_autoptr(GBytes) bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    return report_error (ctl, status, bytes);
  JsonNode *node = parse_json (bytes);
  if (node == NULL)
    {
      g_printerr ("perchctl: %s: the service's answer is not JSON\n", ctl->command);
      return EXIT_FAILED;
    }
  if (reply != NULL)
    *reply = node;
  else
    json_node_unref (node);
  return EXIT_OK;
}

int
api_list (Ctl *ctl, const char *path, gboolean all, JsonNode **reply)
{
  JsonNode *first = NULL;
  int status = api_call (ctl, "GET", path, NULL, &first);
  if (status != EXIT_OK || !all)
    {
      *reply = first;
      return status;
    }
  g_autoptr(JsonNode) page = first;
  JsonArray *items = json_array_new ();
  g_autofree char *cursor = NULL;
  for (;;)
    {
      JsonArray *got = jitems (page);
      for (guint i = 0; got && i < json_array_get_length (got); i++)
        json_array_add_element (items, json_node_copy (json_array_get_element (got, i)));
      const char *next = jstr (json_node_get_object (page), "next_cursor");
      if (*next == '\0')
        break;
      if (g_strcmp0 (next, cursor) == 0)
        {
          g_printerr ("perchctl: %s: the service gave the same cursor twice\n", ctl->command);
          json_array_unref (items);
          return EXIT_FAILED;
        }
      g_free (cursor);
      cursor = g_strdup (next);
      g_autoptr(GString) next_path = g_string_new (path);
      api_query (next_path, "cursor", cursor);
      g_clear_pointer (&page, json_node_unref);
      status = api_call (ctl, "GET", next_path->str, NULL, &page);
      if (status != EXIT_OK)
        {
          json_array_unref (items);
          return status;
        }
    }
  JsonObject *obj = json_object_new ();
  json_object_set_array_member (obj, "items", items);
  json_object_set_null_member (obj, "next_cursor");
  *reply = json_object_node (obj);
  return EXIT_OK;
}

void
api_close (Ctl *ctl)
{
  if (ctl->token != NULL)
    {
      guint status = 0;
      g_autoptr(GBytes) bytes = NULL;
      send_request (ctl, "POST", "/logout", NULL, &status, &bytes);
      memset (ctl->token, 0, strlen (ctl->token));
      g_clear_pointer (&ctl->token, g_free);
    }
  g_clear_object (&ctl->session);
}
