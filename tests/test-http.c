/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-http.c: the HTTP room management service end to end — the real
 * perchd on loopback (plain HTTP and HTTPS), libsoup's client, raw sockets
 * for what no honest client sends, and PerchClient sessions to see that
 * changes made over HTTP reach chatting users at once.
 *
 * Covered: the OpenAPI document against the route table (both ways) and
 * every answer checked against the documented schema; sign-in, tokens,
 * Basic, throttling; every route's success and documented errors; hostile
 * input (malformed, deep, repeated or unknown JSON, oversized bodies with
 * perchd's memory watched, SQL and path metacharacters); live effects. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "perch-admin.h"
#include "perch-common.h"
#include "perch-web.h"
#include "perch-test-http.h"
#include "perch-test-util.h"

#define HTTP_TIMEOUT_MS 20000
#define MiB (1024 * 1024)

typedef struct {
  PerchTestServer *server;
  SoupSession     *session;
  char            *base;      /* "http://127.0.0.1:PORT" */
  char            *base_tls;  /* "https://127.0.0.1:PORT" */
  char            *admin;     /* "Bearer ..." of each demo user, signed in at setup */
  char            *alice;
  char            *bob;
  char            *carol;
} Fixture;

/* The shared reply, under this file's short name. */
typedef PerchTestHttpReply Reply;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, perch_test_http_reply_free)

/* ---- the OpenAPI document, as the library makes it -------------------------- */

static JsonObject *
openapi_doc (void)
{
  static JsonNode *doc;
  if (doc == NULL)
    {
      g_autofree char *text = perch_web_openapi_json ();
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
      doc = json_node_copy (json_parser_get_root (parser));
    }
  return json_node_get_object (doc);
}

static JsonObject *
schema_of (const char *name)
{
  JsonObject *schemas = json_object_get_object_member (json_object_get_object_member (openapi_doc (), "components"),
                                                       "schemas");
  g_assert_true (json_object_has_member (schemas, name));
  return json_object_get_object_member (schemas, name);
}

/* OBJ has every required member of schema NAME and none it does not list. */
static void
check_shape (const char *name, JsonObject *obj)
{
  g_assert_nonnull (obj);
  JsonObject *schema = schema_of (name);
  JsonObject *props = json_object_has_member (schema, "properties") ? json_object_get_object_member (schema, "properties") : NULL;
  JsonNode *additional = json_object_get_member (schema, "additionalProperties");
  gboolean open = additional != NULL && JSON_NODE_HOLDS_OBJECT (additional);
  g_autoptr(GList) members = json_object_get_members (obj);
  for (GList *l = members; l && !open; l = l->next)
    if (props == NULL || !json_object_has_member (props, l->data))
      g_error ("%s has member “%s” that the OpenAPI schema does not list", name, (const char *) l->data);
  if (json_object_has_member (schema, "required"))
    {
      JsonArray *required = json_object_get_array_member (schema, "required");
      for (guint i = 0; i < json_array_get_length (required); i++)
        if (!json_object_has_member (obj, json_array_get_string_element (required, i)))
          g_error ("%s lacks required member “%s”", name, json_array_get_string_element (required, i));
    }
}

/* ---- HTTP ----------------------------------------------------------------- */

/* METHOD PATH (appended to the plain base unless it is a whole URL) with
 * AUTH as the Authorization header and BODY as CONTENT_TYPE. Every answer
 * with a body is JSON, and every answer is private and never cached. */
static Reply *
http_full (Fixture *f, const char *method, const char *path, const char *auth, const char *body,
           const char *content_type)
{
  return perch_test_http (f->session, f->base, method, path, auth, body, body ? strlen (body) : 0,
                          content_type, PERCH_TEST_HTTP_ASSERT_JSON | PERCH_TEST_HTTP_ASSERT_NO_STORE,
                          HTTP_TIMEOUT_MS);
}

static Reply *
http (Fixture *f, const char *method, const char *path, const char *auth, const char *body)
{
  return http_full (f, method, path, auth, body, "application/json");
}

/* Asserts STATUS; for errors, the documented shape and CODE too. */
static void
expect (Reply *r, guint status, const char *code)
{
  if (r->status != status)
    g_error ("expected HTTP %u, got %u: %s", status, r->status, r->text);
  if (code == NULL)
    return;
  check_shape ("Error", r->obj);
  JsonObject *e = json_object_get_object_member (r->obj, "error");
  check_shape ("ErrorDetail", e);
  g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, code);
  g_assert_cmpint (json_object_get_int_member (e, "status"), ==, status);
  g_assert_cmpuint (strlen (json_object_get_string_member (e, "message")), >, 0);
}

#define EXPECT_ERROR(f, status, code, method, path, auth, body) \
  G_STMT_START { \
    g_autoptr(Reply) _r = http ((f), (method), (path), (auth), (body)); \
    expect (_r, (status), (code)); \
  } G_STMT_END

static const char *
str (JsonObject *obj, const char *name)
{
  return json_object_get_string_member (obj, name);
}

static JsonArray *
items_of (Reply *r, const char *schema)
{
  g_assert_nonnull (r->obj);
  g_assert_true (json_object_has_member (r->obj, "items"));
  g_assert_true (json_object_has_member (r->obj, "next_cursor"));
  JsonArray *items = json_object_get_array_member (r->obj, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    check_shape (schema, json_array_get_object_element (items, i));
  return items;
}

static gboolean
strings_contain (JsonArray *array, const char *s)
{
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), s) == 0)
      return TRUE;
  return FALSE;
}

/* Names (member NAME) of the items of a list answer. */
static GPtrArray *
names_of (Reply *r, const char *schema)
{
  JsonArray *items = items_of (r, schema);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_ptr_array_add (out, (gpointer) str (json_array_get_object_element (items, i), "name"));
  return out;
}

static gboolean
names_contain (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_strcmp0 (g_ptr_array_index (names, i), name) == 0)
      return TRUE;
  return FALSE;
}

static char *
login_full (Fixture *f, const char *user, const char *password, guint *status)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user");
  json_builder_add_string_value (b, user);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *body = json_to_string (root, FALSE);
  g_autoptr(Reply) r = http (f, "POST", "/api/v1/login", NULL, body);
  if (status)
    *status = r->status;
  if (r->status != 200)
    return NULL;
  check_shape ("Token", r->obj);
  return g_strconcat ("Bearer ", str (r->obj, "token"), NULL);
}

static char *
login (Fixture *f, const char *name)
{
  g_autofree char *user = g_strconcat (name, "@example.test", NULL);
  g_autofree char *password = g_strconcat (name, "-demo", NULL);
  guint status = 0;
  char *token = login_full (f, user, password, &status);
  g_assert_cmpuint (status, ==, 200);
  return token;
}

static char *
basic (const char *user, const char *password)
{
  g_autofree char *pair = g_strconcat (user, ":", password, NULL);
  g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  return g_strconcat ("Basic ", encoded, NULL);
}

/* ---- fixture ----------------------------------------------------------------- */

static void
start (Fixture *f, gboolean sign_in)
{
  const char *args[] = {
    "--http-listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0",
    "--config", "commands_per_second=100000", NULL
  };
  f->server = perch_test_server_start (args);
  g_assert_nonnull (perch_test_server_get (f->server, "http"));
  g_assert_nonnull (perch_test_server_get (f->server, "https"));
  f->base = g_strconcat ("http://", perch_test_server_get (f->server, "http"), NULL);
  f->base_tls = g_strconcat ("https://", perch_test_server_get (f->server, "https"), NULL);
  f->session = soup_session_new_with_options ("timeout", 20, NULL);
  if (sign_in)
    {
      f->admin = login (f, "admin");
      f->alice = login (f, "alice");
      f->bob = login (f, "bob");
      f->carol = login (f, "carol");
    }
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  start (f, TRUE);
}

static void
fixture_setup_bare (Fixture *f, gconstpointer data)
{
  start (f, FALSE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->session);
  perch_test_server_stop (f->server);
  g_free (f->base);
  g_free (f->base_tls);
  g_free (f->admin);
  g_free (f->alice);
  g_free (f->bob);
  g_free (f->carol);
}

/* ---- the OpenAPI document ----------------------------------------------------------- */

static void
collect_refs (JsonNode *node, GPtrArray *refs)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (obj);
      for (GList *l = members; l; l = l->next)
        {
          JsonNode *child = json_object_get_member (obj, l->data);
          if (strcmp (l->data, "$ref") == 0)
            g_ptr_array_add (refs, (gpointer) json_node_get_string (child));
          else
            collect_refs (child, refs);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        collect_refs (json_array_get_element (array, i), refs);
    }
}

static void
test_openapi (Fixture *f, gconstpointer data)
{
  /* Served without credentials, and the same as the library's. */
  g_autoptr(Reply) r = http (f, "GET", "/api/v1/openapi.json", NULL, NULL);
  expect (r, 200, NULL);
  g_autofree char *mine = perch_web_openapi_json ();
  g_assert_cmpstr (r->text, ==, mine);
  g_assert_true (g_str_has_prefix (str (r->obj, "openapi"), "3.0."));
  JsonObject *paths = json_object_get_object_member (r->obj, "paths");

  /* Every route is documented... */
  const PerchWebRouteInfo *routes = perch_web_routes ();
  guint n_routes = 0;
  for (guint i = 0; routes[i].method; i++, n_routes++)
    {
      g_autofree char *method = g_ascii_strdown (routes[i].method, -1);
      if (!json_object_has_member (paths, routes[i].path) ||
          !json_object_has_member (json_object_get_object_member (paths, routes[i].path), method))
        g_error ("route %s %s is not in the OpenAPI document", routes[i].method, routes[i].path);
    }
  g_assert_cmpuint (n_routes, >=, 30);
  /* ...and everything documented is a route. */
  static const char *const methods[] = { "get", "put", "post", "delete", "patch", "head", "options", "trace", NULL };
  guint n_operations = 0;
  g_autoptr(GList) path_names = json_object_get_members (paths);
  for (GList *l = path_names; l; l = l->next)
    {
      JsonObject *item = json_object_get_object_member (paths, l->data);
      g_autoptr(GList) keys = json_object_get_members (item);
      for (GList *k = keys; k; k = k->next)
        {
          g_assert_true (g_strv_contains (methods, k->data));
          gboolean found = FALSE;
          for (guint i = 0; routes[i].method; i++)
            {
              g_autofree char *method = g_ascii_strdown (routes[i].method, -1);
              found |= strcmp (routes[i].path, l->data) == 0 && strcmp (method, k->data) == 0;
            }
          if (!found)
            g_error ("the document has %s %s, which is not a route", (const char *) k->data, (const char *) l->data);
          n_operations++;
          /* Each operation: a summary, a success and the error default;
           * every {param} of the path declared. */
          JsonObject *op = json_object_get_object_member (item, k->data);
          g_assert_true (json_object_has_member (op, "summary"));
          JsonObject *responses = json_object_get_object_member (op, "responses");
          g_assert_true (json_object_has_member (responses, "default"));
          gboolean success = FALSE;
          g_autoptr(GList) codes = json_object_get_members (responses);
          for (GList *c = codes; c; c = c->next)
            success |= ((const char *) c->data)[0] == '2';
          g_assert_true (success);
          JsonArray *params = json_object_get_array_member (op, "parameters");
          for (const char *p = strchr (l->data, '{'); p; p = strchr (p + 1, '{'))
            {
              g_autofree char *name = g_strndup (p + 1, strchr (p, '}') - p - 1);
              gboolean declared = FALSE;
              for (guint i = 0; i < json_array_get_length (params); i++)
                declared |= g_strcmp0 (str (json_array_get_object_element (params, i), "name"), name) == 0;
              g_assert_true (declared);
            }
        }
    }
  g_assert_cmpuint (n_operations, ==, n_routes);

  /* Every $ref names something that exists. */
  g_autoptr(GPtrArray) refs = g_ptr_array_new ();
  collect_refs (r->json, refs);
  g_assert_cmpuint (refs->len, >, 50);
  JsonObject *components = json_object_get_object_member (r->obj, "components");
  for (guint i = 0; i < refs->len; i++)
    {
      const char *ref = g_ptr_array_index (refs, i);
      g_assert_true (g_str_has_prefix (ref, "#/components/"));
      g_auto(GStrv) parts = g_strsplit (ref + strlen ("#/components/"), "/", 2);
      if (!json_object_has_member (components, parts[0]) ||
          !json_object_has_member (json_object_get_object_member (components, parts[0]), parts[1]))
        g_error ("dangling $ref %s", ref);
    }
  /* Export and import (tested in test-files.c) are documented too. */
  g_assert_true (json_object_has_member (paths, "/api/v1/export"));
  g_assert_true (json_object_has_member (paths, "/api/v1/import"));
}

/* ---- authentication -------------------------------------------------------------------- */

static void
test_login (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) r = http (f, "POST", "/api/v1/login", NULL,
                             "{\"user\": \"admin@example.test\", \"password\": \"admin-demo\"}");
  expect (r, 200, NULL);
  check_shape ("Token", r->obj);
  const char *token = str (r->obj, "token");
  g_assert_cmpuint (strlen (token), ==, 64);   /* 256 bits in hex */
  g_assert_cmpstr (str (r->obj, "user"), ==, "sip:admin@example.test");
  gint64 expires = 0;
  g_assert_true (perch_parse_ts (str (r->obj, "expires"), &expires));
  gint64 in = (expires - perch_now_us ()) / G_USEC_PER_SEC;
  g_assert_cmpint (in, >, 3500);
  g_assert_cmpint (in, <=, 3600);

  g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(Reply) me = http (f, "GET", "/api/v1/me", bearer, NULL);
  expect (me, 200, NULL);
  check_shape ("Me", me->obj);
  g_assert_true (json_object_get_boolean_member (me->obj, "admin"));
  g_autoptr(Reply) me_alice = http (f, "GET", "/api/v1/me", f->alice, NULL);
  g_assert_false (json_object_get_boolean_member (me_alice->obj, "admin"));
  g_assert_cmpstr (str (me_alice->obj, "user"), ==, "sip:alice@example.test");

  /* A wrong password and an unknown user get the very same answer. */
  g_autoptr(Reply) wrong = http (f, "POST", "/api/v1/login", NULL,
                                 "{\"user\": \"bob@example.test\", \"password\": \"not-bobs\"}");
  expect (wrong, 401, "unauthorized");
  g_autoptr(Reply) unknown = http (f, "POST", "/api/v1/login", NULL,
                                   "{\"user\": \"nobody@example.test\", \"password\": \"not-bobs\"}");
  expect (unknown, 401, "unauthorized");
  g_assert_cmpstr (wrong->text, ==, unknown->text);
  g_autoptr(Reply) garbage = http (f, "POST", "/api/v1/login", NULL, "{\"user\": \"';--\", \"password\": \"x\"}");
  g_assert_cmpstr (garbage->text, ==, unknown->text);

  /* Shapes. */
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "{\"user\": \"bob@example.test\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL,
                "{\"user\": \"bob@example.test\", \"password\": \"bob-demo\", \"remember\": true}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "{\"user\": 7, \"password\": \"bob-demo\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, NULL);

  /* No, malformed, forged credentials. */
  g_autoptr(Reply) none = http (f, "GET", "/api/v1/me", NULL, NULL);
  expect (none, 401, "unauthorized");
  g_assert_nonnull (strstr (soup_message_headers_get_list (none->headers, "WWW-Authenticate"), "Bearer"));
  g_assert_nonnull (strstr (soup_message_headers_get_list (none->headers, "WWW-Authenticate"), "Basic"));
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", "Bearer abc", NULL);
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", "Token abc", NULL);
  g_autofree char *forged_token = perch_random_hex (32);
  g_autofree char *forged = g_strconcat ("Bearer ", forged_token, NULL);
  g_autoptr(Reply) forged_reply = http (f, "GET", "/api/v1/me", forged, NULL);
  expect (forged_reply, 401, "unauthorized");
  /* One character off is as good as random. */
  g_autofree char *off = g_strdup (bearer);
  off[strlen (off) - 1] = off[strlen (off) - 1] == '0' ? '1' : '0';
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", off, NULL);

  /* HTTP Basic from loopback. */
  g_autofree char *basic_ok = basic ("carol@example.test", "carol-demo");
  g_autoptr(Reply) via_basic = http (f, "GET", "/api/v1/me", basic_ok, NULL);
  expect (via_basic, 200, NULL);
  g_assert_cmpstr (str (via_basic->obj, "user"), ==, "sip:carol@example.test");
  g_autofree char *basic_bad = basic ("carol@example.test", "nope");
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", basic_bad, NULL);
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", "Basic !!!", NULL);

  /* Signing out ends the token, and only that one. */
  g_autoptr(Reply) out = http (f, "POST", "/api/v1/logout", bearer, NULL);
  expect (out, 204, NULL);
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", bearer, NULL);
  g_autoptr(Reply) still = http (f, "GET", "/api/v1/me", f->admin, NULL);
  expect (still, 200, NULL);
}

static void
test_throttle (Fixture *f, gconstpointer data)
{
  guint status = 0;
  /* Three free failures for a user; the fourth starts a wait. */
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *t = login_full (f, "bob@example.test", "wrong-password", &status);
      g_assert_cmpuint (status, ==, 401);
    }
  g_autoptr(Reply) held = http (f, "POST", "/api/v1/login", NULL,
                                "{\"user\": \"bob@example.test\", \"password\": \"bob-demo\"}");
  expect (held, 429, "too_many_requests");
  guint64 retry = 0;
  g_assert_true (g_ascii_string_to_unsigned (soup_message_headers_get_one (held->headers, "Retry-After"), 10, 1, 900,
                                             &retry, NULL));
  /* Basic is held the same way. */
  g_autofree char *bob_basic = basic ("bob@example.test", "bob-demo");
  EXPECT_ERROR (f, 429, "too_many_requests", "GET", "/api/v1/me", bob_basic, NULL);
  /* An unknown user is treated exactly alike: no way to tell who exists. */
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *t = login_full (f, "ghost@example.test", "wrong-password", &status);
      g_assert_cmpuint (status, ==, 401);
    }
  g_autofree char *t = login_full (f, "ghost@example.test", "wrong-password", &status);
  g_assert_cmpuint (status, ==, 429);

  /* The wait passes; bob signs in again. */
  perch_test_spin_ms ((guint) retry * 1000 + 200);
  g_autofree char *bob = login (f, "bob");
  g_assert_nonnull (bob);

  /* Per address: ten failures from here are free (eight so far), the
   * eleventh starts a wait for whoever tries next. */
  for (int i = 0; i < 3; i++)
    {
      g_autofree char *user = g_strdup_printf ("spray%d@example.test", i);
      g_autofree char *t2 = login_full (f, user, "wrong-password", &status);
      g_assert_cmpuint (status, ==, 401);
    }
  g_autofree char *carol = login_full (f, "carol@example.test", "carol-demo", &status);
  g_assert_cmpuint (status, ==, 429);
  g_assert_null (carol);
}

static void
test_expired (Fixture *f, gconstpointer data)
{
  g_setenv ("PERCH_WEB_TOKEN_LIFETIME_S", "1", TRUE);
  start (f, FALSE);
  g_unsetenv ("PERCH_WEB_TOKEN_LIFETIME_S");
  g_autofree char *token = login (f, "alice");
  perch_test_spin_ms (1300);
  g_autoptr(Reply) r = http (f, "GET", "/api/v1/me", token, NULL);
  expect (r, 401, "unauthorized");
  g_assert_nonnull (strstr (r->text, "expired"));
}

static void
test_https (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strconcat (f->base_tls, "/api/v1/login", NULL);
  g_autoptr(Reply) r = http (f, "POST", url, NULL, "{\"user\": \"alice@example.test\", \"password\": \"alice-demo\"}");
  expect (r, 200, NULL);
  g_autofree char *bearer = g_strconcat ("Bearer ", str (r->obj, "token"), NULL);
  g_autofree char *me = g_strconcat (f->base_tls, "/api/v1/me", NULL);
  g_autoptr(Reply) a = http (f, "GET", me, bearer, NULL);
  expect (a, 200, NULL);
  /* A token is good on either listener; Basic over TLS is accepted. */
  g_autoptr(Reply) b = http (f, "GET", "/api/v1/me", bearer, NULL);
  expect (b, 200, NULL);
  g_autofree char *creds = basic ("alice@example.test", "alice-demo");
  g_autoptr(Reply) c = http (f, "GET", me, creds, NULL);
  expect (c, 200, NULL);
  g_assert_cmpstr (str (c->obj, "user"), ==, "sip:alice@example.test");
  /* Provisioning tells chat clients where rooms are managed. */
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autofree char *advertised = g_strdup_printf ("<property name=\"PersistentChatWebManagerUriInt\">%s/api/v1/</property>",
                                                 f->base_tls);
  g_assert_nonnull (strstr (perch_client_get_provisioning_xml (alice), advertised));
  perch_test_disconnect (alice);

  /* Plain HTTP sent to the TLS port gets nothing useful. */
  g_autofree char *plain = g_strconcat ("http://", perch_test_server_get (f->server, "https"), "/api/v1/me", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", plain);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  soup_session_send_and_read_async (f->session, msg, G_PRIORITY_DEFAULT, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, HTTP_TIMEOUT_MS);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (f->session, result, &error);
  g_assert_true (error != NULL || soup_message_get_status (msg) != 200);
}

static void
test_plain_refused (void)
{
  /* Plain HTTP on a non-loopback address would carry passwords in clear. */
  g_autofree char *dir = g_dir_make_tmp ("perch-http-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (dir, "data", NULL);
  const char *argv[] = { g_getenv ("PERCHD"), "--demo", "--data-dir", data_dir, "--sip-listen", "127.0.0.1:0",
                         "--http-listen", "0.0.0.0:0", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                &error);
  g_assert_no_error (error);
  g_autofree char *err = NULL;
  g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error));
  g_assert_true (g_subprocess_get_if_exited (p));
  g_assert_cmpint (g_subprocess_get_exit_status (p), !=, 0);
  g_assert_nonnull (strstr (err, "loopback"));
  const char *rm[] = { "rm", "-rf", dir, NULL };
  g_assert_true (g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL));
}

/* ---- pool, configuration, policy --------------------------------------------------- */

static void
test_pool (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) r = http (f, "GET", "/api/v1/pool", f->alice, NULL);
  expect (r, 200, NULL);
  check_shape ("Pool", r->obj);
  g_assert_cmpstr (str (r->obj, "state"), ==, "normal");
  JsonArray *servers = json_object_get_array_member (r->obj, "servers");
  g_assert_cmpuint (json_array_get_length (servers), ==, 1);
  JsonObject *server = json_array_get_object_element (servers, 0);
  check_shape ("Server", server);
  g_assert_cmpstr (str (server, "uri"), ==, "sip:perchd@example.test");
  g_assert_true (json_object_get_boolean_member (server, "active"));
  g_assert_cmpstr (str (server, "version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (str (json_object_get_object_member (r->obj, "configuration"), "default_chat_history"), ==, "30");

  EXPECT_ERROR (f, 403, "forbidden", "PATCH", "/api/v1/pool", f->alice, "{\"state\": \"failed-over\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/pool", f->admin, "{\"state\": \"broken\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/pool", f->admin, "{\"active_servers\": \"sip:a@b\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/pool", f->admin, "{\"active_servers\": [\"not a uri\"]}");

  g_autoptr(Reply) p = http (f, "PATCH", "/api/v1/pool", f->admin,
                             "{\"state\": \"failed-over\", \"active_servers\": [\"sip:other@example.test\"]}");
  expect (p, 200, NULL);
  g_assert_cmpstr (str (p->obj, "state"), ==, "failed-over");
  g_assert_true (strings_contain (json_object_get_array_member (p->obj, "active_servers"), "sip:other@example.test"));
  JsonObject *s = json_array_get_object_element (json_object_get_array_member (p->obj, "servers"), 0);
  g_assert_false (json_object_get_boolean_member (s, "active"));

  g_autoptr(Reply) back = http (f, "PATCH", "/api/v1/pool", f->admin, "{\"state\": \"normal\", \"active_servers\": []}");
  expect (back, 200, NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (back->obj, "active_servers")), ==, 0);
  s = json_array_get_object_element (json_object_get_array_member (back->obj, "servers"), 0);
  g_assert_true (json_object_get_boolean_member (s, "active"));
}

static void
test_config (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) r = http (f, "GET", "/api/v1/config", f->bob, NULL);
  expect (r, 200, NULL);
  check_shape ("Config", r->obj);
  g_assert_cmpstr (str (r->obj, "default_chat_history"), ==, "30");

  EXPECT_ERROR (f, 403, "forbidden", "PATCH", "/api/v1/config", f->bob, "{\"default_chat_history\": 40}");
  g_autoptr(Reply) p = http (f, "PATCH", "/api/v1/config", f->admin, "{\"default_chat_history\": 40}");
  expect (p, 200, NULL);
  g_assert_cmpstr (str (p->obj, "default_chat_history"), ==, "40");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/config", f->admin, "{\"default_chat_history\": 0}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/config", f->admin, "{\"default_chat_history\": \"lots\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/config", f->admin, "{\"default_chat_history\": {\"a\": 1}}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/config", f->admin, "{}");
  /* An unknown key among known ones changes nothing. */
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/config", f->admin,
                "{\"default_chat_history\": 41, \"no_such_key\": 1}");
  g_autoptr(Reply) after = http (f, "GET", "/api/v1/config", f->admin, NULL);
  g_assert_cmpstr (str (after->obj, "default_chat_history"), ==, "40");

  /* Programs and paths on the server's disk: not over the network, and
   * not shown to those who are not administrators. */
  g_assert_false (json_object_has_member (r->obj, "compliance_command"));
  g_assert_false (json_object_has_member (r->obj, "compliance_output_dir"));
  g_assert_true (json_object_has_member (after->obj, "compliance_command"));
  EXPECT_ERROR (f, 422, "rule_violation", "PATCH", "/api/v1/config", f->admin,
                "{\"compliance_command\": \"/bin/sh -c true\"}");
  EXPECT_ERROR (f, 422, "rule_violation", "PATCH", "/api/v1/config", f->admin,
                "{\"compliance_output_dir\": \"/tmp\"}");
}

static void
test_policy (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) r = http (f, "GET", "/api/v1/policy", f->bob, NULL);
  expect (r, 200, NULL);
  check_shape ("Policy", r->obj);
  g_assert_false (json_object_get_boolean_member (r->obj, "enable_persistent_chat"));
  EXPECT_ERROR (f, 403, "forbidden", "PATCH", "/api/v1/policy", f->bob, "{\"enable_persistent_chat\": true}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/policy", f->admin, "{\"enable_persistent_chat\": \"yes\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/policy", f->admin, "{}");
  g_autoptr(Reply) p = http (f, "PATCH", "/api/v1/policy", f->admin, "{\"enable_persistent_chat\": true}");
  expect (p, 200, NULL);
  g_assert_true (json_object_get_boolean_member (p->obj, "enable_persistent_chat"));
  g_autoptr(Reply) c = http (f, "GET", "/api/v1/config", f->admin, NULL);
  g_assert_cmpstr (str (c->obj, "enable_persistent_chat"), ==, "true");
}

/* ---- categories ------------------------------------------------------------------------- */

static void
test_categories (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) all = http (f, "GET", "/api/v1/categories", f->admin, NULL);
  expect (all, 200, NULL);
  g_autoptr(GPtrArray) names = names_of (all, "Category");
  g_assert_true (names_contain (names, "Engineering"));
  g_assert_true (names_contain (names, "Board"));
  g_assert_true (json_object_get_null_member (all->obj, "next_cursor"));
  g_autoptr(Reply) bobs = http (f, "GET", "/api/v1/categories", f->bob, NULL);
  g_autoptr(GPtrArray) bob_names = names_of (bobs, "Category");
  g_assert_false (names_contain (bob_names, "Board"));

  const char *ops = "{\"name\": \"Ops\", \"description\": \"operations\", \"allowed\": [\"domain:example.test\"], "
                    "\"creators\": [\"alice@example.test\"], \"file_upload\": false}";
  EXPECT_ERROR (f, 403, "forbidden", "POST", "/api/v1/categories", f->alice, ops);
  g_autoptr(Reply) created = http (f, "POST", "/api/v1/categories", f->admin, ops);
  expect (created, 201, NULL);
  check_shape ("Category", created->obj);
  g_assert_cmpstr (str (created->obj, "name"), ==, "Ops");
  g_assert_false (json_object_get_boolean_member (created->obj, "file_upload"));
  g_assert_true (json_object_get_boolean_member (created->obj, "chat_history"));
  g_assert_true (strings_contain (json_object_get_array_member (created->obj, "creators"), "sip:alice@example.test"));
  gint64 id = json_object_get_int_member (created->obj, "id");
  g_autofree char *by_id = g_strdup_printf ("/api/v1/categories/%" G_GINT64_FORMAT, id);
  g_assert_cmpstr (soup_message_headers_get_one (created->headers, "Location"), ==, by_id);
  g_assert_true (g_str_has_prefix (str (created->obj, "uri"), "ma-cat://example.test/"));

  EXPECT_ERROR (f, 409, "conflict", "POST", "/api/v1/categories", f->admin, "{\"name\": \"Ops\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/categories", f->admin, "{\"description\": \"x\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/categories", f->admin, "{\"name\": \"X\", \"allowed\": \"everyone\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/categories", f->admin, "{\"name\": \"X\", \"allowed\": [\"everyone\"]}");

  g_autoptr(Reply) got = http (f, "GET", by_id, f->alice, NULL);
  expect (got, 200, NULL);
  g_assert_cmpstr (str (got->obj, "name"), ==, "Ops");
  g_autoptr(Reply) by_name = http (f, "GET", "/api/v1/categories/Ops", f->alice, NULL);
  expect (by_name, 200, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/categories/Nope", f->alice, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/categories/Board", f->bob, NULL);

  g_autoptr(Reply) patched = http (f, "PATCH", "/api/v1/categories/Ops", f->admin,
                                   "{\"description\": \"ops!\", \"denied\": {\"add\": [\"bob@example.test\"]}, "
                                   "\"creators\": {\"add\": [\"carol@example.test\"], \"remove\": [\"sip:alice@example.test\"]}}");
  expect (patched, 200, NULL);
  g_assert_cmpstr (str (patched->obj, "description"), ==, "ops!");
  g_assert_true (strings_contain (json_object_get_array_member (patched->obj, "denied"), "sip:bob@example.test"));
  g_assert_true (strings_contain (json_object_get_array_member (patched->obj, "creators"), "sip:carol@example.test"));
  g_assert_false (strings_contain (json_object_get_array_member (patched->obj, "creators"), "sip:alice@example.test"));
  g_autoptr(Reply) renamed = http (f, "PATCH", "/api/v1/categories/Ops", f->admin, "{\"name\": \"Operations\"}");
  expect (renamed, 200, NULL);
  g_assert_cmpstr (str (renamed->obj, "name"), ==, "Operations");
  EXPECT_ERROR (f, 409, "conflict", "PATCH", "/api/v1/categories/Operations", f->admin, "{\"name\": \"Board\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/categories/Operations", f->admin, "{\"denied\": {\"plus\": []}}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/categories/Operations", f->admin, "{\"denied\": {\"add\": \"bob\"}}");
  EXPECT_ERROR (f, 403, "forbidden", "PATCH", "/api/v1/categories/Operations", f->alice, "{\"description\": \"mine\"}");
  EXPECT_ERROR (f, 404, "not_found", "PATCH", "/api/v1/categories/Nope", f->admin, "{\"description\": \"x\"}");

  /* Eligible principals: administrators and the category's creators. */
  g_autoptr(Reply) eligible = http (f, "GET", "/api/v1/categories/Operations/eligible", f->carol, NULL);
  expect (eligible, 200, NULL);
  JsonArray *people = items_of (eligible, "Principal");
  gboolean alice_in = FALSE, bob_in = FALSE;
  for (guint i = 0; i < json_array_get_length (people); i++)
    {
      const char *uri = str (json_array_get_object_element (people, i), "uri");
      alice_in |= g_strcmp0 (uri, "sip:alice@example.test") == 0;
      bob_in |= g_strcmp0 (uri, "sip:bob@example.test") == 0;
    }
  g_assert_true (alice_in);
  g_assert_false (bob_in);  /* denied */
  g_autoptr(Reply) some = http (f, "GET", "/api/v1/categories/Operations/eligible?text=ALI&limit=1", f->admin, NULL);
  expect (some, 200, NULL);
  g_assert_cmpuint (json_array_get_length (items_of (some, "Principal")), ==, 1);
  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/categories/Operations/eligible", f->alice, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/categories/Nope/eligible", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/categories/Operations/eligible?limit=0", f->admin, NULL);

  EXPECT_ERROR (f, 422, "rule_violation", "DELETE", "/api/v1/categories/Engineering", f->admin, NULL);
  EXPECT_ERROR (f, 403, "forbidden", "DELETE", "/api/v1/categories/Operations", f->alice, NULL);
  g_autoptr(Reply) deleted = http (f, "DELETE", "/api/v1/categories/Operations", f->admin, NULL);
  expect (deleted, 204, NULL);
  g_assert_cmpstr (deleted->text, ==, "");
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/categories/Operations", f->admin, NULL);
  EXPECT_ERROR (f, 404, "not_found", "DELETE", "/api/v1/categories/Operations", f->admin, NULL);
}

/* ---- rooms --------------------------------------------------------------------------------- */

static void
test_rooms (Fixture *f, gconstpointer data)
{
  const char *release = "{\"name\": \"Release\", \"category\": \"Engineering\", \"description\": \"ship it\", "
                        "\"privacy\": \"open\"}";
  EXPECT_ERROR (f, 403, "forbidden", "POST", "/api/v1/rooms", f->bob, release);
  g_autoptr(Reply) created = http (f, "POST", "/api/v1/rooms", f->alice, release);
  expect (created, 201, NULL);
  check_shape ("Room", created->obj);
  const char *id = str (created->obj, "id");
  const char *uri = str (created->obj, "uri");
  g_assert_true (g_str_has_prefix (uri, "ma-chan://example.test/"));
  g_assert_cmpstr (str (created->obj, "category"), ==, "Engineering");
  g_assert_cmpstr (str (created->obj, "privacy"), ==, "open");
  g_assert_cmpstr (str (created->obj, "type"), ==, "normal");
  g_assert_cmpstr (str (created->obj, "invitations"), ==, "inherit");
  g_assert_true (json_object_get_null_member (created->obj, "addin"));
  g_assert_true (json_object_get_null_member (created->obj, "last_post"));
  g_assert_true (strings_contain (json_object_get_array_member (created->obj, "managers"), "sip:alice@example.test"));
  g_autofree char *location = perch_test_http_room_path (id, "");
  g_assert_cmpstr (soup_message_headers_get_one (created->headers, "Location"), ==, location);

  EXPECT_ERROR (f, 409, "conflict", "POST", "/api/v1/rooms", f->alice, "{\"name\": \"General\", \"category\": \"Engineering\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms", f->alice, "{\"name\": \"X\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms", f->alice, "{\"category\": \"Engineering\"}");
  EXPECT_ERROR (f, 404, "not_found", "POST", "/api/v1/rooms", f->alice, "{\"name\": \"X\", \"category\": \"Nope\"}");
  EXPECT_ERROR (f, 404, "not_found", "POST", "/api/v1/rooms", f->alice, "{\"name\": \"X\", \"category\": \"Board\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms", f->alice,
                "{\"name\": \"X\", \"category\": \"Engineering\", \"privacy\": \"public\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms", f->alice,
                "{\"name\": \"X\", \"category\": \"Engineering\", \"members\": [\"nobody at all\"]}");
  g_autofree char *long_name = g_strnfill (300, 'n');
  g_autofree char *too_long = g_strdup_printf ("{\"name\": \"%s\", \"category\": \"Engineering\"}", long_name);
  EXPECT_ERROR (f, 413, "too_large", "POST", "/api/v1/rooms", f->alice, too_long);

  /* By id, by URI, by name. */
  g_autofree char *by_uri = perch_test_http_room_path (uri, "");
  g_autoptr(Reply) got_id = http (f, "GET", location, f->bob, NULL);
  expect (got_id, 200, NULL);
  g_autoptr(Reply) got_uri = http (f, "GET", by_uri, f->bob, NULL);
  expect (got_uri, 200, NULL);
  g_assert_cmpstr (str (got_uri->obj, "id"), ==, id);
  g_autoptr(Reply) got_name = http (f, "GET", "/api/v1/rooms/Release", f->bob, NULL);
  expect (got_name, 200, NULL);
  g_assert_cmpstr (str (got_name->obj, "id"), ==, id);

  /* A secret room does not exist for those outside it. */
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/Mergers", f->bob, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/Mergers", f->alice, NULL);
  g_autoptr(Reply) m_carol = http (f, "GET", "/api/v1/rooms/Mergers", f->carol, NULL);
  expect (m_carol, 200, NULL);
  g_autoptr(Reply) m_admin = http (f, "GET", "/api/v1/rooms/Mergers", f->admin, NULL);
  expect (m_admin, 200, NULL);
  g_autoptr(Reply) m_missing = http (f, "GET", "/api/v1/rooms/NoSuchRoom", f->bob, NULL);
  g_autoptr(Reply) m_secret = http (f, "GET", "/api/v1/rooms/Mergers", f->bob, NULL);
  g_assert_cmpstr (m_missing->text, ==, m_secret->text);

  /* The manager changes it. */
  g_autoptr(Reply) patched = http (f, "PATCH", "/api/v1/rooms/Release", f->alice,
                                   "{\"description\": \"shipping\", \"privacy\": \"closed\", \"type\": \"auditorium\", "
                                   "\"invitations\": \"off\", \"members\": {\"add\": [\"bob@example.test\", \"alice@example.test\"]}, "
                                   "\"presenters\": {\"add\": [\"alice@example.test\"]}}");
  expect (patched, 200, NULL);
  check_shape ("Room", patched->obj);
  g_assert_cmpstr (str (patched->obj, "description"), ==, "shipping");
  g_assert_cmpstr (str (patched->obj, "privacy"), ==, "closed");
  g_assert_cmpstr (str (patched->obj, "type"), ==, "auditorium");
  g_assert_cmpstr (str (patched->obj, "invitations"), ==, "off");
  g_assert_true (strings_contain (json_object_get_array_member (patched->obj, "members"), "sip:bob@example.test"));
  g_assert_true (strings_contain (json_object_get_array_member (patched->obj, "presenters"), "sip:alice@example.test"));
  EXPECT_ERROR (f, 403, "forbidden", "PATCH", "/api/v1/rooms/Release", f->bob, "{\"description\": \"mine\"}");
  EXPECT_ERROR (f, 404, "not_found", "PATCH", "/api/v1/rooms/Mergers", f->alice, "{\"description\": \"mine\"}");
  EXPECT_ERROR (f, 409, "conflict", "PATCH", "/api/v1/rooms/Release", f->alice, "{\"name\": \"General\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/rooms/Release", f->alice, "{\"members\": [\"bob@example.test\"]}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/rooms/Release", f->alice, "{\"disabled\": \"yes\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/rooms/Release", f->alice, "{\"owner\": \"alice\"}");

  /* Moving: a manager only where they are a creator; administrators anywhere. */
  g_autoptr(Reply) other = http (f, "POST", "/api/v1/categories", f->admin,
                                 "{\"name\": \"Other\", \"allowed\": [\"alice@example.test\", \"carol@example.test\"]}");
  expect (other, 201, NULL);
  EXPECT_ERROR (f, 422, "rule_violation", "PATCH", "/api/v1/rooms/Release", f->alice, "{\"category\": \"Other\"}");
  g_autoptr(Reply) moved = http (f, "PATCH", "/api/v1/rooms/Release", f->admin, "{\"category\": \"Other\"}");
  expect (moved, 200, NULL);
  g_assert_cmpstr (str (moved->obj, "category"), ==, "Other");
  /* bob is not allowed in Other: his membership was dropped. */
  g_assert_false (strings_contain (json_object_get_array_member (moved->obj, "members"), "sip:bob@example.test"));

  /* Disabled: gone for users, kept for its manager. */
  g_autoptr(Reply) disabled = http (f, "PATCH", "/api/v1/rooms/Release", f->alice, "{\"disabled\": true}");
  expect (disabled, 200, NULL);
  g_assert_true (json_object_get_boolean_member (disabled->obj, "disabled"));
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/Release", f->carol, NULL);
  g_autoptr(Reply) still = http (f, "GET", "/api/v1/rooms/Release", f->alice, NULL);
  expect (still, 200, NULL);

  EXPECT_ERROR (f, 403, "forbidden", "DELETE", "/api/v1/rooms/Release", f->alice, NULL);
  g_autoptr(Reply) deleted = http (f, "DELETE", location, f->admin, NULL);
  expect (deleted, 204, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", location, f->admin, NULL);
  EXPECT_ERROR (f, 404, "not_found", "DELETE", location, f->admin, NULL);
}

static GPtrArray *
room_names (Fixture *f, const char *auth, const char *query)
{
  g_autofree char *path = g_strconcat ("/api/v1/rooms", query, NULL);
  g_autoptr(Reply) r = http (f, "GET", path, auth, NULL);
  expect (r, 200, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  JsonArray *items = items_of (r, "Room");
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_ptr_array_add (out, g_strdup (str (json_array_get_object_element (items, i), "name")));
  return out;
}

static void
assert_names (GPtrArray *names, const char *expected)
{
  g_autoptr(GString) got = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (got, "%s%s", i ? "," : "", (const char *) g_ptr_array_index (names, i));
  g_assert_cmpstr (got->str, ==, expected);
}

static void
test_room_list (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) all = room_names (f, f->admin, "");
  assert_names (all, "Announcements,Design,General,Mergers");
  g_autoptr(GPtrArray) alices = room_names (f, f->alice, "");
  assert_names (alices, "Announcements,Design,General");
  g_autoptr(GPtrArray) board = room_names (f, f->admin, "?category=Board");
  assert_names (board, "Mergers");
  g_autoptr(GPtrArray) secret = room_names (f, f->admin, "?privacy=secret");
  assert_names (secret, "Mergers");
  g_autoptr(GPtrArray) bob_secret = room_names (f, f->bob, "?privacy=secret");
  assert_names (bob_secret, "");
  g_autoptr(GPtrArray) auditoria = room_names (f, f->admin, "?type=auditorium");
  assert_names (auditoria, "Announcements");
  g_autoptr(GPtrArray) bob_member = room_names (f, f->admin, "?member=bob%40example.test");
  assert_names (bob_member, "Design");
  g_autoptr(GPtrArray) alice_manager = room_names (f, f->admin, "?manager=sip%3Aalice%40example.test");
  assert_names (alice_manager, "Design");
  g_autoptr(GPtrArray) text = room_names (f, f->admin, "?text=GENER");
  assert_names (text, "General");
  g_autoptr(GPtrArray) big = room_names (f, f->admin, "?min_size_mb=0.00001");
  assert_names (big, "General");
  g_autoptr(GPtrArray) none_disabled = room_names (f, f->admin, "?disabled=true");
  assert_names (none_disabled, "");
  g_autoptr(GPtrArray) desc = room_names (f, f->admin, "?sort=name&order=desc");
  assert_names (desc, "Mergers,General,Design,Announcements");
  g_autoptr(GPtrArray) by_size = room_names (f, f->admin, "?sort=size&order=desc&limit=1");
  assert_names (by_size, "General");
  g_autoptr(GPtrArray) combined = room_names (f, f->admin, "?category=Engineering&privacy=open&type=normal&disabled=false");
  assert_names (combined, "General");
  /* Metacharacters are text, not syntax. */
  g_autoptr(GPtrArray) sql = room_names (f, f->admin, "?text=%27%20OR%201%3D1%20--");
  assert_names (sql, "");
  g_autoptr(GPtrArray) like = room_names (f, f->admin, "?text=%25_");
  assert_names (like, "");

  /* Paging visits every room once, in order. */
  const char *sorts[] = { "name", "created", "activity", "size" };
  for (guint s = 0; s < G_N_ELEMENTS (sorts); s++)
    {
      g_autofree char *cursor = NULL;
      g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
      for (guint page = 0; page < 10; page++)
        {
          g_autofree char *escaped = cursor ? g_uri_escape_string (cursor, NULL, TRUE) : NULL;
          g_autofree char *path = g_strdup_printf ("/api/v1/rooms?limit=1&sort=%s%s%s", sorts[s],
                                                   escaped ? "&cursor=" : "", escaped ? escaped : "");
          g_autoptr(Reply) r = http (f, "GET", path, f->admin, NULL);
          expect (r, 200, NULL);
          JsonArray *items = items_of (r, "Room");
          for (guint i = 0; i < json_array_get_length (items); i++)
            {
              const char *name = str (json_array_get_object_element (items, i), "name");
              for (guint j = 0; j < seen->len; j++)
                g_assert_cmpstr (g_ptr_array_index (seen, j), !=, name);
              g_ptr_array_add (seen, g_strdup (name));
            }
          g_free (cursor);
          cursor = json_object_get_null_member (r->obj, "next_cursor") ? NULL
                                                                       : g_strdup (str (r->obj, "next_cursor"));
          if (cursor == NULL)
            break;
        }
      g_assert_null (cursor);
      g_assert_cmpuint (seen->len, ==, 4);
    }

  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?privacy=public", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?limit=0", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?limit=1001", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?limit=ten", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?min_size_mb=-1", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?disabled=yes", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?sort=popularity", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?colour=red", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?cursor=garbage", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms?member=not%20a%20principal", f->admin, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms?category=Board", f->bob, NULL);

  /* Eligible principals of a room: its managers and administrators. */
  g_autoptr(Reply) el = http (f, "GET", "/api/v1/rooms/Design/eligible", f->alice, NULL);
  expect (el, 200, NULL);
  g_assert_cmpuint (json_array_get_length (items_of (el, "Principal")), >=, 4);
  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/rooms/Design/eligible", f->bob, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/Mergers/eligible", f->bob, NULL);
}

/* ---- content --------------------------------------------------------------------------------- */

static JsonArray *
history_items (Reply *r)
{
  return items_of (r, "Message");
}

static void
test_history (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) all = http (f, "GET", "/api/v1/rooms/General/messages", f->bob, NULL);
  expect (all, 200, NULL);
  JsonArray *items = history_items (all);
  guint n = json_array_get_length (items);
  g_assert_cmpuint (n, >=, 3);
  for (guint i = 1; i < n; i++)
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, i - 1), "id"), <,
                     json_object_get_int_member (json_array_get_object_element (items, i), "id"));

  /* Backwards by pages of two: the same messages, newest page first. */
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *cursor = NULL;
  for (guint page = 0; page < 50; page++)
    {
      g_autofree char *path = cursor ? g_strdup_printf ("/api/v1/rooms/General/messages?limit=2&cursor=%s", cursor)
                                     : g_strdup ("/api/v1/rooms/General/messages?limit=2");
      g_autoptr(Reply) r = http (f, "GET", path, f->bob, NULL);
      expect (r, 200, NULL);
      JsonArray *page_items = history_items (r);
      for (guint i = json_array_get_length (page_items); i > 0; i--)
        {
          gint64 id = json_object_get_int_member (json_array_get_object_element (page_items, i - 1), "id");
          g_array_prepend_val (ids, id);
        }
      g_free (cursor);
      cursor = json_object_get_null_member (r->obj, "next_cursor") ? NULL : g_strdup (str (r->obj, "next_cursor"));
      if (cursor == NULL)
        break;
    }
  g_assert_cmpuint (ids->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (ids, gint64, i), ==,
                     json_object_get_int_member (json_array_get_object_element (items, i), "id"));

  /* Forwards from a time: that message on, then the rest by cursor. */
  JsonObject *second = json_array_get_object_element (items, 1);
  g_autofree char *ts = g_uri_escape_string (str (second, "ts"), NULL, TRUE);
  g_autofree char *after = g_strdup_printf ("/api/v1/rooms/General/messages?after=%s&limit=1", ts);
  g_autoptr(Reply) a = http (f, "GET", after, f->bob, NULL);
  expect (a, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (history_items (a), 0), "id"), ==,
                   json_object_get_int_member (second, "id"));
  g_autofree char *next = g_strdup_printf ("/api/v1/rooms/General/messages?cursor=%s", str (a->obj, "next_cursor"));
  g_autoptr(Reply) a2 = http (f, "GET", next, f->bob, NULL);
  expect (a2, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (history_items (a2), 0), "id"), ==,
                   json_object_get_int_member (json_array_get_object_element (items, 2), "id"));

  /* By message id. */
  g_autofree char *before = g_strdup_printf ("/api/v1/rooms/General/messages?before=%" G_GINT64_FORMAT,
                                             json_object_get_int_member (second, "id"));
  g_autoptr(Reply) b = http (f, "GET", before, f->bob, NULL);
  expect (b, 200, NULL);
  g_assert_cmpuint (json_array_get_length (history_items (b)), ==, 1);

  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms/General/messages?before=5&after=2020-01-01T00:00:00Z", f->bob, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms/General/messages?cursor=zzz", f->bob, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms/General/messages?after=yesterday", f->bob, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms/General/messages?limit=501", f->bob, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/Mergers/messages", f->bob, NULL);
  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/rooms/Design/messages", f->carol, NULL);
  g_autoptr(Reply) design = http (f, "GET", "/api/v1/rooms/Design/messages", f->bob, NULL);
  expect (design, 200, NULL);
}

static void
test_messages_remove (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autofree char *general = perch_test_find_room (alice, "General");
  perch_test_join (alice, general);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (alice, general, "the launch code is 1234", &error));
  g_assert_true (perch_test_post (alice, general, "Launch at noon", &error));
  g_assert_true (perch_test_post (alice, general, "lunch at one", &error));
  perch_test_disconnect (alice);

  EXPECT_ERROR (f, 403, "forbidden", "POST", "/api/v1/rooms/General/messages/remove", f->alice, "{\"keywords\": [\"1234\"]}");
  EXPECT_ERROR (f, 404, "not_found", "POST", "/api/v1/rooms/Nowhere/messages/remove", f->admin, "{\"keywords\": [\"1234\"]}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/messages/remove", f->admin, "{\"mode\": \"some\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/messages/remove", f->admin, "{\"ids\": [\"1\"]}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/messages/remove", f->admin,
                "{\"action\": \"remove\", \"replacement\": \"x\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/messages/remove", f->admin, "{\"author\": \"not a user\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/messages/remove", f->admin, "{\"from\": \"monday\"}");

  /* Case matters only when asked; "launch" in any case, by alice. */
  g_autoptr(Reply) cased = http (f, "POST", "/api/v1/rooms/General/messages/remove", f->admin,
                                 "{\"keywords\": [\"LAUNCH\"], \"match_case\": true, \"author\": \"alice@example.test\"}");
  expect (cased, 200, NULL);
  check_shape ("MessageChange", cased->obj);
  g_assert_cmpint (json_object_get_int_member (cased->obj, "changed"), ==, 0);
  g_autoptr(Reply) replaced = http (f, "POST", "/api/v1/rooms/General/messages/remove", f->admin,
                                    "{\"keywords\": [\"launch\", \"1234\"], \"mode\": \"all\", \"author\": \"alice@example.test\"}");
  expect (replaced, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (replaced->obj, "changed"), ==, 1);
  g_assert_cmpstr (str (replaced->obj, "action"), ==, "replace");
  g_autoptr(Reply) custom = http (f, "POST", "/api/v1/rooms/General/messages/remove", f->admin,
                                  "{\"keywords\": [\"Launch at noon\", \"nothing\"], \"mode\": \"any\", \"match_case\": true, "
                                  "\"replacement\": \"[moderated]\"}");
  g_assert_cmpint (json_object_get_int_member (custom->obj, "changed"), ==, 1);

  g_autoptr(Reply) h = http (f, "GET", "/api/v1/rooms/General/messages?limit=3", f->bob, NULL);
  JsonArray *items = history_items (h);
  g_assert_cmpuint (json_array_get_length (items), ==, 3);
  JsonObject *m0 = json_array_get_object_element (items, 0), *m1 = json_array_get_object_element (items, 1);
  JsonObject *m2 = json_array_get_object_element (items, 2);
  g_assert_cmpstr (str (m0, "state"), ==, "replaced");
  g_assert_cmpstr (str (m0, "content"), ==, "This message was replaced by the administrator.");
  g_assert_cmpstr (str (m1, "content"), ==, "[moderated]");
  g_assert_cmpstr (str (m2, "state"), ==, "normal");

  /* Removed without trace: administrators still see that it was. */
  g_autofree char *by_id = g_strdup_printf ("{\"ids\": [%" G_GINT64_FORMAT "], \"action\": \"remove\"}",
                                            json_object_get_int_member (m2, "id"));
  g_autoptr(Reply) removed = http (f, "POST", "/api/v1/rooms/General/messages/remove", f->admin, by_id);
  expect (removed, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (removed->obj, "changed"), ==, 1);
  g_assert_cmpstr (str (removed->obj, "action"), ==, "remove");
  g_autoptr(Reply) hb = http (f, "GET", "/api/v1/rooms/General/messages?limit=5", f->bob, NULL);
  JsonArray *bobs = history_items (hb);
  g_assert_cmpuint (json_array_get_length (bobs), >=, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (bobs, json_array_get_length (bobs) - 1), "id"),
                   ==, json_object_get_int_member (m1, "id"));
  /* A page of one for a reader skips the removed newest message rather than
   * coming back empty. */
  g_autoptr(Reply) hb1 = http (f, "GET", "/api/v1/rooms/General/messages?limit=1", f->bob, NULL);
  JsonArray *one = history_items (hb1);
  g_assert_cmpuint (json_array_get_length (one), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (one, 0), "id"), ==,
                   json_object_get_int_member (m1, "id"));
  g_autoptr(Reply) ha = http (f, "GET", "/api/v1/rooms/General/messages?limit=1", f->admin, NULL);
  g_assert_cmpstr (str (json_array_get_object_element (history_items (ha), 0), "state"), ==, "removed");

  /* Clearing up to a date. */
  EXPECT_ERROR (f, 403, "forbidden", "POST", "/api/v1/rooms/General/clear", f->alice, "{\"up_to\": \"2100-01-01T00:00:00Z\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/clear", f->admin, "{}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms/General/clear", f->admin, "{\"up_to\": \"tomorrow\"}");
  EXPECT_ERROR (f, 404, "not_found", "POST", "/api/v1/rooms/Nowhere/clear", f->admin, "{\"up_to\": \"2100-01-01T00:00:00Z\"}");
  g_autofree char *up_to = g_strdup_printf ("{\"up_to\": \"%s\"}", str (m0, "ts"));
  g_autoptr(Reply) cleared = http (f, "POST", "/api/v1/rooms/General/clear", f->admin, up_to);
  expect (cleared, 200, NULL);
  check_shape ("RoomCleared", cleared->obj);
  g_assert_cmpint (json_object_get_int_member (cleared->obj, "deleted"), >=, 1);
  g_autoptr(Reply) left = http (f, "GET", "/api/v1/rooms/General/messages", f->admin, NULL);
  JsonArray *rest = history_items (left);
  g_assert_cmpuint (json_array_get_length (rest), ==, 2);   /* m1 and the removed m2 */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rest, 0), "id"), ==,
                   json_object_get_int_member (m1, "id"));
}

/* ---- users, groups, add-ins, audit -------------------------------------------------------------- */

static void
test_users (Fixture *f, gconstpointer data)
{
  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/users", f->alice, NULL);
  g_autoptr(Reply) list = http (f, "GET", "/api/v1/users", f->admin, NULL);
  expect (list, 200, NULL);
  JsonArray *users = items_of (list, "User");
  g_assert_cmpuint (json_array_get_length (users), ==, 5);
  g_assert_null (strstr (list->text, "ha1"));

  EXPECT_ERROR (f, 403, "forbidden", "PUT", "/api/v1/users/erin@example.test", f->alice, "{\"password\": \"erin-password\"}");
  g_autoptr(Reply) created = http (f, "PUT", "/api/v1/users/erin@example.test", f->admin,
                                   "{\"password\": \"erin-password\", \"display_name\": \"Erin\"}");
  expect (created, 201, NULL);
  check_shape ("User", created->obj);
  g_assert_cmpstr (str (created->obj, "uri"), ==, "sip:erin@example.test");
  g_assert_cmpstr (str (created->obj, "display_name"), ==, "Erin");
  g_assert_false (json_object_get_boolean_member (created->obj, "admin"));
  g_assert_true (json_object_get_null_member (created->obj, "enabled"));
  guint status = 0;
  g_autofree char *erin = login_full (f, "erin@example.test", "erin-password", &status);
  g_assert_cmpuint (status, ==, 200);

  /* Members left out keep their values; the password too. */
  g_autoptr(Reply) updated = http (f, "PUT", "/api/v1/users/sip:erin@example.test", f->admin, "{\"enabled\": false}");
  expect (updated, 200, NULL);
  g_assert_cmpstr (str (updated->obj, "display_name"), ==, "Erin");
  g_assert_false (json_object_get_boolean_member (updated->obj, "enabled"));
  g_autofree char *again = login_full (f, "erin@example.test", "erin-password", &status);
  g_assert_cmpuint (status, ==, 200);
  g_autoptr(Reply) reset = http (f, "PUT", "/api/v1/users/erin@example.test", f->admin, "{\"enabled\": null, \"admin\": true}");
  g_assert_true (json_object_get_null_member (reset->obj, "enabled"));
  g_assert_true (json_object_get_boolean_member (reset->obj, "admin"));
  g_autoptr(Reply) me = http (f, "GET", "/api/v1/me", erin, NULL);
  g_assert_true (json_object_get_boolean_member (me->obj, "admin"));   /* at once, same token */

  g_autoptr(Reply) one = http (f, "GET", "/api/v1/users/ERIN@example.test", f->admin, NULL);
  expect (one, 200, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/users/nobody@example.test", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/users/not-an-address", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/users/frank@example.test", f->admin, "{\"display_name\": \"Frank\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/users/frank@example.test", f->admin, "{\"password\": \"short\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/users/frank@example.test", f->admin, "{\"password\": 12345678}");
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/users/frank@example.test", f->admin,
                "{\"password\": \"frank-password\", \"role\": \"admin\"}");
  EXPECT_ERROR (f, 422, "rule_violation", "PUT", "/api/v1/users/frank@elsewhere.test", f->admin, "{\"password\": \"frank-password\"}");

  EXPECT_ERROR (f, 422, "rule_violation", "DELETE", "/api/v1/users/admin@example.test", f->admin, NULL);
  EXPECT_ERROR (f, 403, "forbidden", "DELETE", "/api/v1/users/erin@example.test", f->alice, NULL);
  g_autoptr(Reply) deleted = http (f, "DELETE", "/api/v1/users/erin@example.test", f->admin, NULL);
  expect (deleted, 204, NULL);
  EXPECT_ERROR (f, 401, "unauthorized", "GET", "/api/v1/me", erin, NULL);
  g_autofree char *gone = login_full (f, "erin@example.test", "erin-password", &status);
  g_assert_cmpuint (status, ==, 401);
  EXPECT_ERROR (f, 404, "not_found", "DELETE", "/api/v1/users/erin@example.test", f->admin, NULL);
}

static void
test_groups (Fixture *f, gconstpointer data)
{
  EXPECT_ERROR (f, 403, "forbidden", "PUT", "/api/v1/groups/ops", f->alice, "{\"members\": [\"bob@example.test\"]}");
  g_autoptr(Reply) created = http (f, "PUT", "/api/v1/groups/ops", f->admin, "{\"members\": [\"bob@example.test\"]}");
  expect (created, 201, NULL);
  check_shape ("Group", created->obj);
  g_assert_true (strings_contain (json_object_get_array_member (created->obj, "members"), "sip:bob@example.test"));
  g_autoptr(Reply) replaced = http (f, "PUT", "/api/v1/groups/ops", f->admin,
                                    "{\"members\": [\"carol@example.test\", \"alice@example.test\"]}");
  expect (replaced, 200, NULL);
  g_assert_false (strings_contain (json_object_get_array_member (replaced->obj, "members"), "sip:bob@example.test"));
  g_autoptr(Reply) list = http (f, "GET", "/api/v1/groups", f->admin, NULL);
  expect (list, 200, NULL);
  g_autoptr(GPtrArray) names = names_of (list, "Group");
  g_assert_true (names_contain (names, "ops"));
  g_autoptr(Reply) one = http (f, "GET", "/api/v1/groups/ops", f->admin, NULL);
  expect (one, 200, NULL);
  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/groups", f->alice, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/groups/none", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/groups/ops", f->admin, "{\"members\": [\"not an address\"]}");
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/groups/ops", f->admin, "{}");

  /* A group in a list works at once: group members become eligible. */
  g_autoptr(Reply) cat = http (f, "POST", "/api/v1/categories", f->admin,
                               "{\"name\": \"Team\", \"allowed\": [\"group:ops\"], \"creators\": [\"group:ops\"]}");
  expect (cat, 201, NULL);
  g_autoptr(Reply) room = http (f, "POST", "/api/v1/rooms", f->carol, "{\"name\": \"Team room\", \"category\": \"Team\"}");
  expect (room, 201, NULL);
  EXPECT_ERROR (f, 404, "not_found", "POST", "/api/v1/rooms", f->bob, "{\"name\": \"Bob's\", \"category\": \"Team\"}");

  EXPECT_ERROR (f, 403, "forbidden", "DELETE", "/api/v1/groups/ops", f->alice, NULL);
  g_autoptr(Reply) deleted = http (f, "DELETE", "/api/v1/groups/ops", f->admin, NULL);
  expect (deleted, 204, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/groups/ops", f->admin, NULL);
}

static void
test_addins (Fixture *f, gconstpointer data)
{
  EXPECT_ERROR (f, 403, "forbidden", "PUT", "/api/v1/addins/wiki", f->alice, "{\"url\": \"https://wiki.example.test/\"}");
  g_autoptr(Reply) created = http (f, "PUT", "/api/v1/addins/wiki", f->admin, "{\"url\": \"https://wiki.example.test/\"}");
  expect (created, 201, NULL);
  check_shape ("Addin", created->obj);
  g_autoptr(Reply) changed = http (f, "PUT", "/api/v1/addins/wiki", f->admin, "{\"url\": \"https://wiki.example.test/v2\"}");
  expect (changed, 200, NULL);
  g_assert_cmpstr (str (changed->obj, "url"), ==, "https://wiki.example.test/v2");
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/addins/wiki", f->admin, "{\"url\": \"ftp://wiki.example.test/\"}");
  EXPECT_ERROR (f, 400, "bad_request", "PUT", "/api/v1/addins/wiki", f->admin, "{}");
  g_autoptr(Reply) list = http (f, "GET", "/api/v1/addins", f->alice, NULL);
  expect (list, 200, NULL);
  g_autoptr(GPtrArray) names = names_of (list, "Addin");
  g_assert_true (names_contain (names, "wiki"));

  /* A room uses it; then it cannot go until the room lets go. */
  g_autoptr(Reply) uses = http (f, "PATCH", "/api/v1/rooms/Design", f->alice, "{\"addin\": \"wiki\"}");
  expect (uses, 200, NULL);
  g_assert_cmpstr (str (uses->obj, "addin"), ==, "wiki");
  EXPECT_ERROR (f, 422, "rule_violation", "PATCH", "/api/v1/rooms/Design", f->alice, "{\"addin\": \"nope\"}");
  EXPECT_ERROR (f, 422, "rule_violation", "DELETE", "/api/v1/addins/wiki", f->admin, NULL);
  g_autoptr(Reply) cleared = http (f, "PATCH", "/api/v1/rooms/Design", f->alice, "{\"addin\": null}");
  expect (cleared, 200, NULL);
  g_assert_true (json_object_get_null_member (cleared->obj, "addin"));
  EXPECT_ERROR (f, 403, "forbidden", "DELETE", "/api/v1/addins/wiki", f->alice, NULL);
  g_autoptr(Reply) deleted = http (f, "DELETE", "/api/v1/addins/wiki", f->admin, NULL);
  expect (deleted, 204, NULL);
  EXPECT_ERROR (f, 404, "not_found", "DELETE", "/api/v1/addins/wiki", f->admin, NULL);
}

static void
test_audit (Fixture *f, gconstpointer data)
{
  g_autoptr(Reply) a = http (f, "PATCH", "/api/v1/config", f->admin, "{\"search_limit\": 500}");
  expect (a, 200, NULL);
  g_autoptr(Reply) b = http (f, "PUT", "/api/v1/groups/auditors", f->admin, "{\"members\": [\"carol@example.test\"]}");
  expect (b, 201, NULL);

  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/audit", f->alice, NULL);
  g_autoptr(Reply) first = http (f, "GET", "/api/v1/audit?limit=1", f->admin, NULL);
  expect (first, 200, NULL);
  JsonArray *items = items_of (first, "AuditEntry");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  JsonObject *newest = json_array_get_object_element (items, 0);
  g_assert_cmpstr (str (newest, "action"), ==, "group.put");
  g_assert_cmpstr (str (newest, "actor"), ==, "sip:admin@example.test");
  g_assert_cmpstr (str (newest, "target"), ==, "auditors");
  g_autofree char *next = g_strdup_printf ("/api/v1/audit?limit=1&cursor=%s", str (first->obj, "next_cursor"));
  g_autoptr(Reply) second = http (f, "GET", next, f->admin, NULL);
  expect (second, 200, NULL);
  JsonObject *older = json_array_get_object_element (items_of (second, "AuditEntry"), 0);
  g_assert_cmpstr (str (older, "action"), ==, "config.set");
  g_assert_cmpstr (str (older, "target"), ==, "search_limit");
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/audit?cursor=abc", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/audit?limit=-1", f->admin, NULL);
}

/* The compliance queue over HTTP: what waits, by type; the events paged;
 * "run now" delivers them and the run shows with its outcome. */
static void
test_compliance (Fixture *f, gconstpointer data)
{
  EXPECT_ERROR (f, 403, "forbidden", "GET", "/api/v1/compliance", f->bob, NULL);
  EXPECT_ERROR (f, 403, "forbidden", "POST", "/api/v1/compliance/run", f->alice, NULL);
  g_autoptr(Reply) before = http (f, "GET", "/api/v1/compliance", f->admin, NULL);
  expect (before, 200, NULL);
  check_shape ("Compliance", before->obj);
  /* The demo history's eight posts wait as CHAT events. */
  JsonObject *by_type = json_object_get_object_member (before->obj, "pending_by_type");
  g_assert_cmpint (json_object_get_int_member (by_type, "CHAT"), >=, 8);
  g_assert_cmpint (json_object_get_int_member (before->obj, "pending"), >=, 8);
  g_assert_false (json_object_get_null_member (before->obj, "oldest_pending"));

  g_autoptr(Reply) page = http (f, "GET", "/api/v1/compliance/events?limit=3", f->admin, NULL);
  expect (page, 200, NULL);
  JsonArray *events = items_of (page, "ComplianceEvent");
  g_assert_cmpuint (json_array_get_length (events), ==, 3);
  g_assert_cmpstr (str (json_array_get_object_element (events, 0), "type"), ==, "CHAT");
  g_autofree char *next = g_strdup_printf ("/api/v1/compliance/events?limit=3&cursor=%s", str (page->obj, "next_cursor"));
  g_autoptr(Reply) page2 = http (f, "GET", next, f->admin, NULL);
  expect (page2, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items_of (page2, "ComplianceEvent"), 0), "id"), >,
                   json_object_get_int_member (json_array_get_object_element (events, 2), "id"));
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/compliance/events?cursor=x", f->admin, NULL);

  /* Not while compliance is off: the answer names the setting. */
  EXPECT_ERROR (f, 422, "rule_violation", "POST", "/api/v1/compliance/run", f->admin, NULL);
  g_autoptr(Reply) on = http (f, "PATCH", "/api/v1/config", f->admin, "{\"compliance_enabled\": true}");
  expect (on, 200, NULL);
  g_autoptr(Reply) run = http (f, "POST", "/api/v1/compliance/run", f->admin, NULL);
  expect (run, 202, NULL);
  /* The run is asynchronous: its outcome appears in the status. */
  gboolean done = FALSE;
  for (guint i = 0; i < 200 && !done; i++)
    {
      perch_test_spin_ms (50);
      g_autoptr(Reply) st = http (f, "GET", "/api/v1/compliance", f->admin, NULL);
      JsonArray *runs = json_object_get_array_member (st->obj, "runs");
      done = json_array_get_length (runs) > 0 &&
             g_strcmp0 (str (json_array_get_object_element (runs, 0), "state"), "done") == 0 &&
             !json_object_get_boolean_member (st->obj, "running");
    }
  g_assert_true (done);
  g_autoptr(Reply) after = http (f, "GET", "/api/v1/compliance", f->admin, NULL);
  JsonObject *newest = json_array_get_object_element (json_object_get_array_member (after->obj, "runs"), 0);
  g_assert_cmpint (json_object_get_int_member (newest, "events"), >=, 8);
  g_assert_true (json_object_get_null_member (newest, "error"));
  /* The XML adapter wrote its file where the status says. */
  g_autoptr(GDir) dir = g_dir_open (str (after->obj, "output_dir"), 0, NULL);
  g_assert_nonnull (dir);
  gboolean xml = FALSE;
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;)
    xml = xml || (g_str_has_prefix (name, "perch-compliance-") && g_str_has_suffix (name, ".xml"));
  g_assert_true (xml);
}

/* ---- raw HTTP ---------------------------------------------------------------------------------- */

typedef struct {
  int      fd;
  gboolean chunked;
  gint64   total;       /* bytes of body to try to send */
  gint64   sent;
} Flood;

static gpointer
flood_thread (gpointer data)
{
  Flood *flood = data;
  g_autofree char *block = g_malloc (65536);
  memset (block, ' ', 65536);
  while (flood->sent < flood->total)
    {
      if (flood->chunked && !perch_test_http_raw_send (flood->fd, "10000\r\n", 7))
        break;
      if (!perch_test_http_raw_send (flood->fd, block, 65536))
        break;
      if (flood->chunked && !perch_test_http_raw_send (flood->fd, "\r\n", 2))
        break;
      flood->sent += 65536;
    }
  return NULL;
}

/* Sends HEADERS and then tries to stream 100 MB behind them while reading
 * the answer; returns the answer and how much got out. */
static char *
flood (Fixture *f, const char *headers, gboolean chunked, gint64 *sent)
{
  int fd = perch_test_http_raw_connect (f->server);
  g_assert_true (perch_test_http_raw_send (fd, headers, strlen (headers)));
  Flood state = { .fd = fd, .chunked = chunked, .total = 100 * (gint64) MiB };
  GThread *writer = g_thread_new ("flood", flood_thread, &state);
  char *response = perch_test_http_raw_read_all (fd);
  shutdown (fd, SHUT_RDWR);   /* the writer's next send fails */
  g_thread_join (writer);
  close (fd);
  *sent = state.sent;
  return response;
}

static void
test_big_bodies (Fixture *f, gconstpointer data)
{
  gint64 hwm_before = perch_test_server_proc_kb (f->server, "VmHWM:");

  /* Announced as 100 MB: refused at once, the body never read. */
  gint64 sent = 0;
  g_autofree char *announced = flood (f,
      "PATCH /api/v1/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 104857600\r\n\r\n", FALSE, &sent);
  g_test_message ("announced 100 MB: %" G_GINT64_FORMAT " bytes got out before the server closed", sent);
  g_assert_true (g_str_has_prefix (announced, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (announced, "\"too_large\""));
  g_assert_cmpint (sent, <, 50 * MiB);

  /* Chunked, no length said: cut off once past 1 MiB. */
  g_autofree char *chunked = flood (f,
      "PATCH /api/v1/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n", TRUE, &sent);
  g_test_message ("chunked 100 MB: %" G_GINT64_FORMAT " bytes got out before the server closed", sent);
  g_assert_true (g_str_has_prefix (chunked, "HTTP/1.1 413"));
  g_assert_cmpint (sent, <, 50 * MiB);

  /* With Expect: 100-continue the client never sends it. */
  g_autofree char *expect_continue = perch_test_http_raw_request (f->server,
      "PATCH /api/v1/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 104857600\r\nExpect: 100-continue\r\n\r\n");
  g_assert_true (g_str_has_prefix (expect_continue, "HTTP/1.1 413"));

  gint64 hwm_after = perch_test_server_proc_kb (f->server, "VmHWM:");
  g_test_message ("perchd VmHWM %" G_GINT64_FORMAT " kB -> %" G_GINT64_FORMAT " kB (VmRSS now %" G_GINT64_FORMAT " kB)",
                  hwm_before, hwm_after, perch_test_server_proc_kb (f->server, "VmRSS:"));
  g_assert_cmpint (hwm_after - hwm_before, <, 24 * 1024);

  /* Just under the limit is an ordinary request. */
  GString *body = g_string_new ("{\"default_chat_history\": 31");
  while (body->len < PERCH_WEB_MAX_BODY - 8)
    g_string_append_c (body, ' ');
  g_string_append_c (body, '}');
  g_autoptr(Reply) ok = http (f, "PATCH", "/api/v1/config", f->admin, body->str);
  expect (ok, 200, NULL);
  g_assert_cmpstr (str (ok->obj, "default_chat_history"), ==, "31");
  /* One byte over, sent whole by a well-behaved client. */
  while (body->len <= PERCH_WEB_MAX_BODY)
    g_string_insert_c (body, body->len - 1, ' ');
  g_assert_cmpuint (body->len, >, PERCH_WEB_MAX_BODY);
  g_autofree char *headers = g_strdup_printf ("PATCH /api/v1/config HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                              "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", body->len);
  g_autofree char *request = g_strconcat (headers, body->str, NULL);
  g_autofree char *over = perch_test_http_raw_request (f->server, request);
  g_assert_true (g_str_has_prefix (over, "HTTP/1.1 413"));
  g_string_free (body, TRUE);

  /* And the server goes on serving. */
  g_autoptr(Reply) me = http (f, "GET", "/api/v1/me", f->admin, NULL);
  expect (me, 200, NULL);
}

static char *
nested (guint depth)
{
  GString *s = g_string_new ("{\"default_chat_history\": ");
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static void
test_hostile (Fixture *f, gconstpointer data)
{
  /* Malformed, not an object, nested too deep, repeated, NUL. */
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "{");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "{\"user\": \"a\",}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "[\"admin@example.test\", \"admin-demo\"]");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "\"admin\"");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "   ");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL,
                "{\"user\": \"bob@example.test\", \"user\": \"admin@example.test\", \"password\": \"admin-demo\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL,
                "{\"user\": \"admin@example.test\\u0000bob\", \"password\": \"admin-demo\"}");
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/login", NULL, "{\"user\": \"\xff\xfe\", \"password\": \"x\"}");
  g_autofree char *deep = nested (33);
  g_autoptr(Reply) too_deep = http (f, "PATCH", "/api/v1/config", f->admin, deep);
  expect (too_deep, 400, "bad_request");
  g_assert_nonnull (strstr (too_deep->text, "nested"));
  g_autofree char *very_deep = nested (200000);
  EXPECT_ERROR (f, 400, "bad_request", "PATCH", "/api/v1/config", f->admin, very_deep);
  g_autofree char *ok_depth = nested (31);   /* parsed, then refused for its type */
  g_autoptr(Reply) shallow = http (f, "PATCH", "/api/v1/config", f->admin, ok_depth);
  expect (shallow, 400, "bad_request");
  g_assert_null (strstr (shallow->text, "nested"));

  /* JSON only, and only where a body belongs. */
  g_autoptr(Reply) text = http_full (f, "POST", "/api/v1/login", NULL,
                                     "{\"user\": \"admin@example.test\", \"password\": \"admin-demo\"}", "text/plain");
  expect (text, 400, "bad_request");
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/me", f->admin, "{}");
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/me?verbose=1", f->admin, NULL);

  /* Paths. */
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/nothing", f->admin, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/", NULL, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v2/me", f->admin, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/General/", f->admin, NULL);
  g_autoptr(Reply) method = http (f, "DELETE", "/api/v1/me", f->admin, NULL);
  expect (method, 405, "method_not_allowed");
  g_assert_cmpstr (soup_message_headers_get_one (method->headers, "Allow"), ==, "GET");
  g_autoptr(Reply) methods = http (f, "PUT", "/api/v1/rooms/General", f->admin, "{}");
  expect (methods, 405, "method_not_allowed");
  g_assert_cmpstr (soup_message_headers_get_one (methods->headers, "Allow"), ==, "GET, PATCH, DELETE");
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/rooms/..%2F..%2Fetc%2Fpasswd", f->admin, NULL);
  EXPECT_ERROR (f, 404, "not_found", "GET", "/api/v1/categories/..%2F..%2F..%2Fetc%2Fshadow/eligible", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms/a%00b", f->admin, NULL);
  EXPECT_ERROR (f, 400, "bad_request", "GET", "/api/v1/rooms/%FF", f->admin, NULL);
  g_autofree char *auth = g_strdup (f->admin);
  /* Literal dot segments are resolved by the HTTP layer (RFC 3986) before
   * routing: they can only ever name another path of this API. */
  g_autofree char *dots_req = g_strdup_printf ("GET /api/v1/rooms/../users HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                                               "Connection: close\r\n\r\n", auth);
  g_autofree char *dots = perch_test_http_raw_request (f->server, dots_req);
  g_assert_true (g_str_has_prefix (dots, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (dots, "\"sip:alice@example.test\""));   /* the user list */
  g_autofree char *out_req = g_strdup_printf ("GET /api/v1/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
                                              "Authorization: %s\r\nConnection: close\r\n\r\n", auth);
  g_autofree char *out = perch_test_http_raw_request (f->server, out_req);
  g_assert_true (g_str_has_prefix (out, "HTTP/1.1 404"));
  g_assert_null (strstr (out, "root:"));
  /* Encoded dots are dots (RFC 3986 6.2.2.2): resolved the same way. */
  g_autofree char *enc_req = g_strdup_printf ("GET /api/v1/rooms/%%2E%%2E/users HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                                              "Connection: close\r\n\r\n", auth);
  g_autofree char *enc = perch_test_http_raw_request (f->server, enc_req);
  g_assert_true (g_str_has_prefix (enc, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (enc, "\"sip:alice@example.test\""));
  g_autofree char *garbage = perch_test_http_raw_request (f->server, "BREW /coffee HTCPCP/1.0\r\n\r\n");
  g_assert_true (*garbage == '\0' || (g_str_has_prefix (garbage, "HTTP/1.") && garbage[9] == '4'));

  /* SQL and path metacharacters in names are just names. */
  const char *names[] = { "Robert'); DROP TABLE rooms;--", "a/b/../c", "100% \\\"quoted\\\" _%", NULL };
  const char *stored[] = { "Robert'); DROP TABLE rooms;--", "a/b/../c", "100% \"quoted\" _%", NULL };
  for (guint i = 0; names[i]; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"category\": \"Engineering\", \"description\": \"%s\"}",
                                               names[i], names[i]);
      g_autoptr(Reply) created = http (f, "POST", "/api/v1/rooms", f->admin, body);
      expect (created, 201, NULL);
      g_assert_cmpstr (str (created->obj, "name"), ==, stored[i]);
      g_autofree char *path = perch_test_http_room_path (stored[i], "");
      g_autoptr(Reply) got = http (f, "GET", path, f->admin, NULL);
      expect (got, 200, NULL);
      g_assert_cmpstr (str (got->obj, "id"), ==, str (created->obj, "id"));
      g_autofree char *escaped = g_uri_escape_string (stored[i], NULL, TRUE);
      g_autofree char *query = g_strdup_printf ("?text=%s", escaped);
      g_autoptr(GPtrArray) found = room_names (f, f->admin, query);
      g_assert_cmpuint (found->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (found, 0), ==, stored[i]);
    }
  g_autoptr(GPtrArray) all = room_names (f, f->admin, "");
  g_assert_cmpuint (all->len, ==, 7);
  EXPECT_ERROR (f, 400, "bad_request", "POST", "/api/v1/rooms", f->admin,
                "{\"name\": \"bell\\u0007\", \"category\": \"Engineering\"}");
  g_autoptr(Reply) cats = http (f, "GET", "/api/v1/categories", f->admin, NULL);
  g_assert_cmpuint (json_array_get_length (items_of (cats, "Category")), ==, 2);
}

/* ---- live effects --------------------------------------------------------------------------------- */

typedef struct {
  GPtrArray *notices;   /* "ntc:part sip:bob@..." */
} Notices;

static void
on_notice (PerchClient *client, const char *id, gpointer item_ptr, Notices *n)
{
  PerchXccosItem *item = item_ptr;
  char *who = NULL;
  if (g_strcmp0 (id, "ntc:part") == 0)
    who = perch_xml_get (perch_xml_child (perch_xml_child (item->data, "chanib"), "uib"), "uri");
  else if (g_strcmp0 (id, "ntc:join") == 0)
    who = perch_xml_get (perch_xml_child (item->data, "uib"), "uri");
  g_ptr_array_add (n->notices, g_strdup_printf ("%s %s", id, who ? who : "?"));
  g_free (who);
}

typedef struct {
  GPtrArray  *array;
  const char *text;
} Seek;

static gboolean
has_text (gpointer data)
{
  Seek *s = data;
  for (guint i = 0; i < s->array->len; i++)
    if (g_strcmp0 (g_ptr_array_index (s->array, i), s->text) == 0)
      return TRUE;
  return FALSE;
}

static void
test_live_member_removed (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  Notices an = { g_ptr_array_new_with_free_func (g_free) }, bn = { g_ptr_array_new_with_free_func (g_free) };
  g_signal_connect (alice, "notice", G_CALLBACK (on_notice), &an);
  g_signal_connect (bob, "notice", G_CALLBACK (on_notice), &bn);
  g_autofree char *design = perch_test_find_room (bob, "Design");
  g_assert_nonnull (design);
  perch_test_join (alice, design);
  perch_test_join (bob, design);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (bob, design, "hello from bob", &error));

  /* The manager removes bob over HTTP: his session leaves the room now. */
  g_autoptr(Reply) r = http (f, "PATCH", "/api/v1/rooms/Design", f->alice,
                             "{\"members\": {\"remove\": [\"sip:bob@example.test\"]}}");
  expect (r, 200, NULL);
  Seek bob_told = { bn.notices, "ntc:part sip:bob@example.test" };
  g_assert_true (perch_test_wait (has_text, &bob_told, HTTP_TIMEOUT_MS));
  Seek alice_told = { an.notices, "ntc:part sip:bob@example.test" };
  g_assert_true (perch_test_wait (has_text, &alice_told, HTTP_TIMEOUT_MS));
  g_assert_false (perch_test_post (bob, design, "still here?", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_signal_handlers_disconnect_by_data (alice, &an);
  g_signal_handlers_disconnect_by_data (bob, &bn);
  g_ptr_array_unref (an.notices);
  g_ptr_array_unref (bn.notices);
  perch_test_disconnect (alice);
  perch_test_disconnect (bob);
}

static void
test_live_disabled (Fixture *f, gconstpointer data)
{
  PerchClient *bob = perch_test_connect (f->server, "bob");
  Notices bn = { g_ptr_array_new_with_free_func (g_free) };
  g_signal_connect (bob, "notice", G_CALLBACK (on_notice), &bn);
  g_autofree char *general = perch_test_find_room (bob, "General");
  g_assert_nonnull (general);
  perch_test_join (bob, general);

  g_autoptr(Reply) off = http (f, "PATCH", "/api/v1/rooms/General", f->admin, "{\"disabled\": true}");
  expect (off, 200, NULL);
  Seek parted = { bn.notices, "ntc:part sip:bob@example.test" };
  g_assert_true (perch_test_wait (has_text, &parted, HTTP_TIMEOUT_MS));
  g_autofree char *hidden = perch_test_find_room (bob, "General");
  g_assert_null (hidden);
  g_autoptr(Reply) on = http (f, "PATCH", "/api/v1/rooms/General", f->admin, "{\"disabled\": false}");
  expect (on, 200, NULL);
  g_autofree char *back = perch_test_find_room (bob, "General");
  g_assert_cmpstr (back, ==, general);

  g_signal_handlers_disconnect_by_data (bob, &bn);
  g_ptr_array_unref (bn.notices);
  perch_test_disconnect (bob);
}

static GPtrArray *
bccontext (PerchClient *client, const char *room)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *q = g_strdup_printf ("<chanib uri=\"%s\"/><bcq><last cnt=\"5\"/></bcq>", room);
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bccontext", q, &error);
  g_assert_no_error (error);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  for (xmlNode *m = perch_xml_child (perch_xml_child (reply->data, "chanib"), "msg"); m; m = perch_xml_next (m, "msg"))
    g_ptr_array_add (texts, perch_xml_text (perch_xml_child (m, "chat")));
  return texts;
}

static void
test_live_replaced (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  g_autofree char *general = perch_test_find_room (alice, "General");
  perch_test_join (alice, general);
  perch_test_join (bob, general);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (alice, general, "the password is hunter2", &error));
  g_autoptr(GPtrArray) before = bccontext (bob, general);
  Seek original = { before, "the password is hunter2" };
  g_assert_true (has_text (&original));

  g_autoptr(Reply) r = http (f, "POST", "/api/v1/rooms/General/messages/remove", f->admin,
                             "{\"keywords\": [\"hunter2\"], \"author\": \"alice@example.test\"}");
  expect (r, 200, NULL);
  g_assert_cmpint (json_object_get_int_member (r->obj, "changed"), ==, 1);
  g_autoptr(GPtrArray) after = bccontext (bob, general);
  Seek still = { after, "the password is hunter2" };
  g_assert_false (has_text (&still));
  Seek replaced = { after, PERCH_DEFAULT_REPLACEMENT };
  g_assert_true (has_text (&replaced));

  perch_test_disconnect (alice);
  perch_test_disconnect (bob);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, setup, fn) g_test_add ("/perch/http/" name, Fixture, NULL, setup, fn, fixture_teardown)
  ADD ("openapi", fixture_setup_bare, test_openapi);
  ADD ("login", fixture_setup, test_login);
  ADD ("throttle", fixture_setup_bare, test_throttle);
  g_test_add ("/perch/http/expired", Fixture, NULL, NULL, test_expired, fixture_teardown);
  ADD ("https", fixture_setup_bare, test_https);
  g_test_add_func ("/perch/http/plain-refused", test_plain_refused);
  ADD ("pool", fixture_setup, test_pool);
  ADD ("config", fixture_setup, test_config);
  ADD ("policy", fixture_setup, test_policy);
  ADD ("categories", fixture_setup, test_categories);
  ADD ("rooms", fixture_setup, test_rooms);
  ADD ("room-list", fixture_setup, test_room_list);
  ADD ("history", fixture_setup, test_history);
  ADD ("messages-remove", fixture_setup, test_messages_remove);
  ADD ("users", fixture_setup, test_users);
  ADD ("groups", fixture_setup, test_groups);
  ADD ("addins", fixture_setup, test_addins);
  ADD ("audit", fixture_setup, test_audit);
  ADD ("compliance", fixture_setup, test_compliance);
  ADD ("hostile", fixture_setup, test_hostile);
  ADD ("big-bodies", fixture_setup, test_big_bodies);
  ADD ("live-member-removed", fixture_setup, test_live_member_removed);
  ADD ("live-disabled", fixture_setup, test_live_disabled);
  ADD ("live-replaced", fixture_setup, test_live_replaced);
  return g_test_run ();
}
