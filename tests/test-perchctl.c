/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-perchctl.c: perchctl as a script would use it — against the real
 * perchd: `chat` over SIP, and the administrative nouns over the room
 * management service (HTTP on loopback, and HTTPS with --insecure): tables
 * and JSON, the effects of each verb, and the exit codes scripts rely on. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "perch-test-util.h"

static PerchTestServer *server;
static char *http_base;     /* "http://127.0.0.1:PORT" */
static char *https_base;
static char *last_err;      /* perchctl's stderr, of the last ctl_run */

/* Runs perchctl as USER with PASSWORD (from the environment, as documented)
 * and returns its exit status; stdout in *OUT. */
static int
perchctl (const char *user, const char *password, const char *input, char **out, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *sip = g_strdup_printf ("127.0.0.1:%u", server->sip_port);
  g_ptr_array_add (argv, (char *) g_getenv ("PERCHCTL"));
  g_ptr_array_add (argv, (char *) "--sip");
  g_ptr_array_add (argv, sip);
  va_list ap;
  va_start (ap, out);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_setenv (launcher, "PERCH_USER", user, TRUE);
  if (password)
    g_subprocess_launcher_setenv (launcher, "PERCH_PASSWORD", password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "PERCH_PASSWORD");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_autofree char *stdout_text = NULL;
  g_subprocess_communicate_utf8 (proc, input ? input : "", NULL, &stdout_text, NULL, &error);
  g_assert_no_error (error);
  if (out)
    *out = g_steal_pointer (&stdout_text);
  return g_subprocess_get_exit_status (proc);
}

/* Runs perchctl against the room management service ($PERCH_SERVER) with
 * USER and PASSWORD in the environment (PASSWORD NULL: not there), NEW_PASSWORD
 * as $PERCH_NEW_PASSWORD, INPUT on standard input. Returns the exit status;
 * stdout in *OUT, stderr in last_err. */
static int
ctl_run (const char *user, const char *password, const char *new_password, const char *input,
         char **out, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) g_getenv ("PERCHCTL"));
  va_list ap;
  va_start (ap, out);
  for (const char *a = va_arg (ap, const char *); a; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_setenv (launcher, "PERCH_SERVER", http_base, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERCH_USER", user, TRUE);
  if (password)
    g_subprocess_launcher_setenv (launcher, "PERCH_PASSWORD", password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "PERCH_PASSWORD");
  if (new_password)
    g_subprocess_launcher_setenv (launcher, "PERCH_NEW_PASSWORD", new_password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "PERCH_NEW_PASSWORD");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_autofree char *stdout_text = NULL;
  g_clear_pointer (&last_err, g_free);
  g_subprocess_communicate_utf8 (proc, input ? input : "", NULL, &stdout_text, &last_err, &error);
  g_assert_no_error (error);
  g_printerr ("%s", last_err);   /* in the log, next to a failed assertion */
  if (out)
    *out = g_steal_pointer (&stdout_text);
  return g_subprocess_get_exit_status (proc);
}

/* As NAME@example.test with the demo password NAME-demo. */
#define ctl(name, out, ...) \
  ctl_run (name "@example.test", name "-demo", NULL, NULL, (out), __VA_ARGS__, NULL)

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  if (!json_parser_load_from_data (parser, text, -1, &error))
    g_error ("perchctl --json printed what is not JSON (%s):\n%s", error->message, text);
  return json_parser_steal_root (parser);
}

/* The object of ITEMS (a list answer) whose MEMBER is VALUE, or NULL. */
static JsonObject *
find_item (JsonNode *list, const char *member, const char *value)
{
  JsonArray *items = json_object_get_array_member (json_node_get_object (list), "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (item, member, NULL), value) == 0)
        return item;
    }
  return NULL;
}

static guint
n_items (JsonNode *list)
{
  return json_array_get_length (json_object_get_array_member (json_node_get_object (list), "items"));
}

static gboolean
array_has (JsonArray *array, const char *value)
{
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

/* `--json room show ROOM` as admin. */
static JsonNode *
room_json (const char *room)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "show", room), ==, 0);
  return parse_json (out);
}

static void
test_rooms (void)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, &out, "chat", "rooms", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "General"));
  g_assert_nonnull (strstr (out, "Design"));
  g_assert_null (strstr (out, "Mergers"));

  g_autofree char *json = NULL;
  g_assert_cmpint (perchctl ("carol@example.test", "carol-demo", NULL, &json, "--json", "chat", "rooms", NULL), ==, 0);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  JsonArray *rooms = json_node_get_array (json_parser_get_root (parser));
  gboolean mergers = FALSE;
  for (guint i = 0; i < json_array_get_length (rooms); i++)
    {
      JsonObject *room = json_array_get_object_element (rooms, i);
      if (g_str_equal (json_object_get_string_member (room, "name"), "Mergers"))
        {
          mergers = TRUE;
          g_assert_cmpstr (json_object_get_string_member (room, "visibility"), ==, "private");
          g_assert_true (g_str_has_prefix (json_object_get_string_member (room, "uri"), "ma-chan://example.test/"));
        }
    }
  g_assert_true (mergers);
}

static void
test_post_and_history (void)
{
  g_assert_cmpint (perchctl ("bob@example.test", "bob-demo", NULL, NULL, "chat", "post", "general", "from", "a", "script", NULL), ==, 0);
  /* TEXT "-" reads standard input; the password then still comes from the environment. */
  g_assert_cmpint (perchctl ("bob@example.test", "bob-demo", "piped <text> & more\n", NULL, "chat", "post", "General", "-", NULL), ==, 0);
  g_autofree char *json = NULL;
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, &json, "--json", "chat", "history", "General", "2", NULL), ==, 0);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  JsonArray *msgs = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (msgs), ==, 2);
  JsonObject *first = json_array_get_object_element (msgs, 0);
  JsonObject *second = json_array_get_object_element (msgs, 1);
  g_assert_cmpstr (json_object_get_string_member (first, "text"), ==, "from a script");
  g_assert_cmpstr (json_object_get_string_member (second, "text"), ==, "piped <text> & more");
  g_assert_cmpstr (json_object_get_string_member (second, "author"), ==, "sip:bob@example.test");
}

static void
test_exit_codes (void)
{
  /* A secret room is "no such room" to a non-member: 4. */
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, NULL, "chat", "post", "Mergers", "hi", NULL), ==, 4);
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, NULL, "chat", "history", "No Such Room", NULL), ==, 4);
  /* Sign-in refused: 3, for a wrong password and for dave, who is not enabled. */
  g_assert_cmpint (perchctl ("alice@example.test", "wrong", NULL, NULL, "chat", "rooms", NULL), ==, 3);
  g_assert_cmpint (perchctl ("dave@example.test", "dave-demo", NULL, NULL, "chat", "rooms", NULL), ==, 3);
  /* Auditorium: bob may read, not post: 1. */
  g_assert_cmpint (perchctl ("bob@example.test", "bob-demo", NULL, NULL, "chat", "post", "Announcements", "hi", NULL), ==, 1);
  /* Usage errors: 2. */
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, NULL, "chat", "dance", NULL), ==, 2);
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, NULL, "chat", "history", "General", "9999", NULL), ==, 2);
  /* The password from standard input when not in the environment. */
  g_assert_cmpint (perchctl ("alice@example.test", NULL, "alice-demo\n", NULL, "chat", "rooms", NULL), ==, 0);
}

/* perchd --add-user: the way to create users before the management API;
 * the password comes from standard input, and the user can sign in at once. */
static void
test_add_user (void)
{
  g_autoptr(GError) error = NULL;
  const char *argv_[] = { g_getenv ("PERCHD"), "--data-dir", server->data_dir, "--add-user", "Frank@example.test", NULL };
  g_autoptr(GSubprocess) proc = g_subprocess_newv (argv_, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_autofree char *out = NULL;
  g_subprocess_communicate_utf8 (proc, "frank-secret\n", NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_cmpstr (out, ==, "added sip:frank@example.test\n");
  g_assert_cmpint (perchctl ("frank@example.test", "frank-secret", NULL, NULL, "chat", "rooms", NULL), ==, 0);
  g_assert_cmpint (perchctl ("frank@example.test", "frank-wrong", NULL, NULL, "chat", "rooms", NULL), ==, 3);

  /* A short password, or a user of another domain, is refused. */
  const char *bad[] = { g_getenv ("PERCHD"), "--data-dir", server->data_dir, "--add-user", "gina@elsewhere.test", NULL };
  g_autoptr(GSubprocess) p2 = g_subprocess_newv (bad, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_subprocess_communicate_utf8 (p2, "long-enough-password\n", NULL, NULL, NULL, &error);
  g_assert_cmpint (g_subprocess_get_exit_status (p2), ==, 2);
}


/* ---- the administrative nouns, over HTTP ------------------------------------------------- */

static void
test_room (void)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", NULL, "room", "create", "Ops", "--category", "Engineering", "--privacy", "open",
                        "--description", "Operations", "--members", "alice@example.test", "bob@example.test",
                        "--managers", "alice@example.test"), ==, 0);
  /* --json anywhere after the verb, too */
  g_assert_cmpint (ctl ("admin", &out, "room", "list", "--json"), ==, 0);
  g_autoptr(JsonNode) list = parse_json (out);
  JsonObject *ops = find_item (list, "name", "Ops");
  g_assert_nonnull (ops);
  g_assert_cmpstr (json_object_get_string_member (ops, "privacy"), ==, "open");
  g_assert_cmpstr (json_object_get_string_member (ops, "description"), ==, "Operations");
  g_assert_true (array_has (json_object_get_array_member (ops, "managers"), "sip:alice@example.test"));

  /* a table for people: headers and aligned columns */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "room", "list", "--category", "Engineering"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "NAME "));
  g_assert_nonnull (strstr (out, "\nOps "));
  g_assert_null (strstr (out, "Mergers"));
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  const char *category_col = strstr (lines[0], "CATEGORY");
  for (guint i = 1; lines[i] && *lines[i]; i++)
    g_assert_true (g_str_has_prefix (lines[i] + (category_col - lines[0]), "Engineering"));

  /* filters */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "list", "--privacy", "secret"), ==, 0);
  g_autoptr(JsonNode) secret = parse_json (out);
  g_assert_cmpuint (n_items (secret), ==, 1);
  g_assert_nonnull (find_item (secret, "name", "Mergers"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "list", "--manager", "alice@example.test", "--text", "oper"), ==, 0);
  g_autoptr(JsonNode) managed = parse_json (out);
  g_assert_cmpuint (n_items (managed), ==, 1);
  g_assert_nonnull (find_item (managed, "name", "Ops"));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "list", "--min-size-mb", "0.0001", "--sort", "size",
                        "--order", "desc"), ==, 0);
  g_autoptr(JsonNode) big = parse_json (out);
  g_assert_nonnull (find_item (big, "name", "General"));     /* the demo's history */
  g_assert_null (find_item (big, "name", "Ops"));            /* empty */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("alice", &out, "--json", "room", "list", "--type", "auditorium"), ==, 0);
  g_autoptr(JsonNode) auditoriums = parse_json (out);
  g_assert_cmpuint (n_items (auditoriums), ==, 1);
  g_assert_nonnull (find_item (auditoriums, "name", "Announcements"));

  /* paging: one page and its cursor, or --all */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "list", "--limit", "2"), ==, 0);
  g_autoptr(JsonNode) page = parse_json (out);
  g_assert_cmpuint (n_items (page), ==, 2);
  g_assert_nonnull (json_object_get_string_member (json_node_get_object (page), "next_cursor"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "list", "--limit", "2", "--all"), ==, 0);
  g_autoptr(JsonNode) all = parse_json (out);
  g_assert_cmpuint (n_items (all), ==, n_items (list));
  g_assert_true (json_object_get_null_member (json_node_get_object (all), "next_cursor"));

  /* lists edited by add/remove */
  g_assert_cmpint (ctl ("admin", NULL, "room", "members", "Ops", "--remove", "bob@example.test"), ==, 0);
  g_autoptr(JsonNode) after = room_json ("Ops");
  JsonArray *members = json_object_get_array_member (json_node_get_object (after), "members");
  g_assert_cmpuint (json_array_get_length (members), ==, 1);
  g_assert_true (array_has (members, "sip:alice@example.test"));
  g_assert_cmpint (ctl ("admin", NULL, "room", "presenters", "Ops", "--add", "carol@example.test"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "room", "presenters", "Ops"), ==, 0);
  g_assert_cmpstr (out, ==, "carol@example.test\n");

  /* set: a manager may, a member may not (403: 1) */
  g_assert_cmpint (ctl ("alice", NULL, "room", "set", "Ops", "--description", "Ops and on-call"), ==, 0);
  g_assert_cmpint (ctl ("bob", NULL, "room", "set", "Ops", "--description", "mine now"), ==, 1);
  g_assert_nonnull (strstr (last_err, "room set"));
  g_assert_cmpint (ctl ("admin", NULL, "room", "set", "Ops", "--disable"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "list", "--disabled"), ==, 0);
  g_autoptr(JsonNode) disabled = parse_json (out);
  g_assert_cmpuint (n_items (disabled), ==, 1);
  g_assert_nonnull (find_item (disabled, "name", "Ops"));
  g_assert_cmpint (ctl ("admin", NULL, "room", "set", "Ops", "--enable", "--type", "auditorium"), ==, 0);
  g_autoptr(JsonNode) changed = room_json ("Ops");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (changed), "disabled"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (changed), "type"), ==, "auditorium");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (changed), "description"), ==, "Ops and on-call");

  /* eligible principals */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "eligible", "Ops", "ali"), ==, 0);
  g_autoptr(JsonNode) eligible = parse_json (out);
  g_assert_nonnull (find_item (eligible, "uri", "sip:alice@example.test"));
  g_assert_null (find_item (eligible, "uri", "sip:bob@example.test"));

  /* move: Board does not allow alice, so she leaves every list */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "room", "move", "Ops", "Board"), ==, 0);
  g_assert_nonnull (strstr (out, "dropped from members: alice@example.test"));
  g_autoptr(JsonNode) moved = room_json ("Ops");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (moved), "category"), ==, "Board");
  g_assert_false (array_has (json_object_get_array_member (json_node_get_object (moved), "managers"),
                             "sip:alice@example.test"));

  /* errors: 409, 422, 404, 403 */
  g_assert_cmpint (ctl ("admin", NULL, "room", "create", "General", "--category", "Engineering"), ==, 1);
  g_assert_nonnull (strstr (last_err, "exists"));
  g_assert_cmpint (ctl ("admin", NULL, "room", "create", "Elsewhere", "--category", "Engineering",
                        "--members", "nobody@elsewhere.test"), ==, 1);
  g_assert_nonnull (strstr (last_err, "not allowed"));
  g_assert_cmpint (ctl ("admin", NULL, "room", "create", "Nowhere", "--category", "No Such Category"), ==, 4);
  g_assert_cmpint (ctl ("alice", NULL, "room", "show", "Mergers"), ==, 4);   /* secret: as if absent */
  g_assert_cmpint (ctl ("alice", NULL, "room", "delete", "General", "--yes"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "room", "create", "NoCategory"), ==, 2);

  /* delete asks first; without a terminal it wants --yes */
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Ops"), ==, 2);
  g_autoptr(JsonNode) still = room_json ("Ops");
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Ops", "--yes"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "room", "show", "Ops"), ==, 4);
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Ops", "--yes"), ==, 4);
}

static void
test_category (void)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", NULL, "category", "create", "Projects", "--description", "Short-lived work",
                        "--file-upload", "no", "--allowed", "domain:example.test",
                        "--creators", "alice@example.test"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "category", "set", "Projects", "--chat-history", "no",
                        "--add-denied", "bob@example.test"), ==, 0);
  g_assert_cmpint (ctl ("admin", &out, "--json", "category", "show", "Projects"), ==, 0);
  g_autoptr(JsonNode) cat = parse_json (out);
  JsonObject *obj = json_node_get_object (cat);
  g_assert_false (json_object_get_boolean_member (obj, "file_upload"));
  g_assert_false (json_object_get_boolean_member (obj, "chat_history"));
  g_assert_true (json_object_get_boolean_member (obj, "invitations"));
  g_assert_true (array_has (json_object_get_array_member (obj, "denied"), "sip:bob@example.test"));
  g_assert_cmpstr (json_object_get_string_member (obj, "description"), ==, "Short-lived work");

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "category", "list"), ==, 0);
  g_assert_nonnull (strstr (out, "\nProjects "));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "category", "eligible", "Projects"), ==, 0);
  g_autoptr(JsonNode) eligible = parse_json (out);
  g_assert_nonnull (find_item (eligible, "uri", "sip:carol@example.test"));
  g_assert_null (find_item (eligible, "uri", "sip:bob@example.test"));   /* denied */

  /* a creator creates rooms there and manages them; a non-creator may not */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("alice", &out, "--json", "room", "create", "Launch", "--category", "Projects"), ==, 0);
  g_autoptr(JsonNode) launch = parse_json (out);
  g_assert_true (array_has (json_object_get_array_member (json_node_get_object (launch), "managers"),
                            "sip:alice@example.test"));
  g_assert_cmpint (ctl ("carol", NULL, "room", "create", "Carols", "--category", "Projects"), ==, 1);

  /* only an empty category goes (422: 1); only administrators change them (403: 1) */
  g_assert_cmpint (ctl ("admin", NULL, "category", "delete", "Projects"), ==, 1);
  g_assert_nonnull (strstr (last_err, "holds"));
  g_assert_cmpint (ctl ("alice", NULL, "category", "set", "Projects", "--file-upload", "yes"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "category", "set", "Projects", "--file-upload", "maybe"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "category", "create", "Projects"), ==, 1);   /* 409 */
  g_assert_cmpint (ctl ("admin", NULL, "category", "creators", "Projects", "--remove", "alice@example.test"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "category", "creators", "Projects"), ==, 0);
  g_assert_cmpstr (out, ==, "");
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Launch", "--yes"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "category", "delete", "Projects"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "category", "show", "Projects"), ==, 4);
}

static gint64
last_message_id (const char *room)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", &out, "--json", "message", "history", room, "--limit", "1"), ==, 0);
  g_autoptr(JsonNode) history = parse_json (out);
  JsonArray *items = json_object_get_array_member (json_node_get_object (history), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  return json_object_get_int_member (json_array_get_object_element (items, 0), "id");
}

static void
test_message (void)
{
  /* posted over SIP, changed over HTTP, read back over both */
  g_assert_cmpint (perchctl ("bob@example.test", "bob-demo", NULL, NULL, "chat", "post", "General",
                             "the secret plan is alpha", NULL), ==, 0);
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", &out, "message", "remove", "General", "--author", "bob@example.test",
                        "--keywords", "plan", "ALPHA", "--replace", "[redacted]"), ==, 0);
  g_assert_cmpstr (out, ==, "replaced 1 message in General\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "message", "history", "General", "--limit", "1"), ==, 0);
  g_autoptr(JsonNode) history = parse_json (out);
  JsonObject *msg = json_array_get_object_element (json_object_get_array_member (json_node_get_object (history),
                                                                                  "items"), 0);
  g_assert_cmpstr (json_object_get_string_member (msg, "content"), ==, "[redacted]");
  g_assert_cmpstr (json_object_get_string_member (msg, "state"), ==, "replaced");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, &out, "chat", "history", "General", "1", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "[redacted]"));
  g_assert_null (strstr (out, "alpha"));

  /* --match-case: "Secret" is not "secret" */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (perchctl ("bob@example.test", "bob-demo", NULL, NULL, "chat", "post", "General",
                             "Secret beta", NULL), ==, 0);
  g_assert_cmpint (ctl ("admin", &out, "--json", "message", "remove", "General", "--keywords", "secret",
                        "--match-case", "--from", "2000-01-01", "--to", "now"), ==, 0);
  g_autoptr(JsonNode) none = parse_json (out);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (none), "changed"), ==, 0);
  /* --id, without --replace: removed without trace */
  gint64 id = last_message_id ("General");
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "message", "remove", "General", "--id", id_text), ==, 0);
  g_assert_cmpstr (out, ==, "removed 1 message in General\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, &out, "chat", "history", "General", "3", NULL), ==, 0);
  g_assert_null (strstr (out, "Secret beta"));

  /* human history: ids, times, authors */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("alice", &out, "message", "history", "General", "--limit", "3"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "ID "));
  g_assert_nonnull (strstr (out, "[redacted]"));
  /* --before pages back */
  g_autofree char *before = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("alice", &out, "--json", "message", "history", "General", "--before", before, "--limit", "2"), ==, 0);
  g_autoptr(JsonNode) older = parse_json (out);
  JsonArray *items = json_object_get_array_member (json_node_get_object (older), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, 1), "id"), <, id);

  /* only administrators remove (403: 1); usage errors (2); no such room (4) */
  g_assert_cmpint (ctl ("bob", NULL, "message", "remove", "General", "--keywords", "thanks"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "message", "remove", "General", "--match", "some"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "message", "remove", "General", "--from", "last tuesday"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "message", "remove", "General", "--id", "x"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "message", "history", "No Such Room"), ==, 4);
  /* nothing narrows it: every message — asks, and without a terminal wants --yes */
  g_assert_cmpint (ctl ("admin", NULL, "message", "remove", "General", "--replace"), ==, 2);

  /* room clear: everything up to and including a date */
  g_assert_cmpint (ctl ("admin", NULL, "room", "create", "Scratch", "--category", "Engineering", "--privacy", "open"), ==, 0);
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, NULL, "chat", "post", "Scratch", "one", NULL), ==, 0);
  g_assert_cmpint (perchctl ("alice@example.test", "alice-demo", NULL, NULL, "chat", "post", "Scratch", "two", NULL), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "room", "clear", "Scratch", "--up-to", "now"), ==, 2);   /* no --yes */
  g_assert_cmpint (ctl ("alice", NULL, "room", "clear", "Scratch", "--up-to", "now", "--yes"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "room", "clear", "Scratch", "--yes"), ==, 2);            /* no date */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "room", "clear", "Scratch", "--up-to", "now", "--yes"), ==, 0);
  g_autoptr(JsonNode) cleared = parse_json (out);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (cleared), "deleted"), ==, 2);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "message", "history", "Scratch"), ==, 0);
  g_autoptr(JsonNode) empty = parse_json (out);
  g_assert_cmpuint (n_items (empty), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Scratch", "--yes"), ==, 0);
}

static void
test_pool_config_policy (void)
{
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", &out, "--json", "pool", "show"), ==, 0);
  g_autoptr(JsonNode) pool = parse_json (out);
  JsonObject *obj = json_node_get_object (pool);
  g_assert_cmpstr (json_object_get_string_member (obj, "state"), ==, "normal");
  JsonObject *srv = json_array_get_object_element (json_object_get_array_member (obj, "servers"), 0);
  g_assert_true (json_object_has_member (srv, "sessions"));
  g_assert_true (json_object_has_member (srv, "joined_rooms"));
  g_assert_true (json_object_has_member (srv, "posts_per_second"));
  g_assert_true (json_object_has_member (srv, "uptime_s"));
  g_autofree char *uri = g_strdup (json_object_get_string_member (srv, "uri"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "pool", "show"), ==, 0);
  g_assert_nonnull (strstr (out, "State:"));
  g_assert_nonnull (strstr (out, "SESSIONS"));
  g_assert_nonnull (strstr (out, uri));

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "pool", "set", "--state", "failed-over", "--active-servers", uri), ==, 0);
  g_autoptr(JsonNode) set = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (set), "state"), ==, "failed-over");
  g_assert_true (array_has (json_object_get_array_member (json_node_get_object (set), "active_servers"), uri));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "pool", "set", "--state", "normal", "--active-servers"), ==, 0);
  g_autoptr(JsonNode) reset = parse_json (out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (reset), "active_servers")), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "pool", "set", "--state", "sideways"), ==, 2);
  g_assert_cmpint (ctl ("alice", NULL, "pool", "set", "--state", "normal"), ==, 1);

  /* configuration */
  g_assert_cmpint (ctl ("admin", NULL, "config", "set", "default_chat_history", "40", "max_file_size_kb", "10000"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "config", "show"), ==, 0);
  g_autoptr(JsonNode) config = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (config), "default_chat_history"), ==, "40");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (config), "max_file_size_kb"), ==, "10000");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "config", "show"), ==, 0);
  g_assert_nonnull (strstr (out, "default_chat_history"));
  g_assert_cmpint (ctl ("admin", NULL, "config", "set", "default_chat_history", "4000"), ==, 2);   /* 400 */
  g_assert_nonnull (strstr (last_err, "default_chat_history"));
  g_assert_cmpint (ctl ("admin", NULL, "config", "set", "no_such_key", "1"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "config", "set", "default_chat_history"), ==, 2);
  g_assert_cmpint (ctl ("alice", NULL, "config", "set", "default_chat_history", "20"), ==, 1);    /* 403 */
  g_assert_cmpint (ctl ("admin", NULL, "config", "set", "default_chat_history", "30"), ==, 0);

  /* compliance: the configuration's compliance_* keys */
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "set", "--run-interval", "15m", "--add-room-details", "yes",
                        "--one-room-per-file", "no"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "compliance", "show"), ==, 0);
  g_autoptr(JsonNode) compliance = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (compliance), "compliance_run_interval"), ==, "900");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (compliance), "compliance_add_room_details"), ==, "true");
  g_assert_false (json_object_has_member (json_node_get_object (compliance), "default_chat_history"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "compliance", "show"), ==, 0);
  g_assert_nonnull (strstr (out, "Run interval:        15m\n"));
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "set", "--run-interval", "10s"), ==, 2);   /* 400: a minute at least */
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "set", "--run-interval", "soon"), ==, 2);
  g_assert_cmpint (ctl ("alice", NULL, "compliance", "set", "--add-room-details", "no"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "set", "--add-room-details", "no"), ==, 0);
  /* the queue: the demo's posts wait; running needs compliance enabled (422 -> 1) */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "compliance", "status"), ==, 0);
  g_assert_nonnull (strstr (out, "Pending events:"));
  g_assert_nonnull (strstr (out, "CHAT "));
  g_assert_cmpint (ctl ("alice", NULL, "compliance", "status"), ==, 1);     /* 403 */
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "run"), ==, 1);        /* 422: not enabled */
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "set", "--enabled", "yes"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "run"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "compliance", "set", "--enabled", "no"), ==, 0);

  /* policy: dave is not enabled; a per-user grant lets him in over SIP at once */
  g_assert_cmpint (perchctl ("dave@example.test", "dave-demo", NULL, NULL, "chat", "rooms", NULL), ==, 3);
  g_assert_cmpint (ctl ("admin", NULL, "policy", "user", "dave@example.test", "--enabled", "yes"), ==, 0);
  g_assert_cmpint (perchctl ("dave@example.test", "dave-demo", NULL, NULL, "chat", "rooms", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "policy", "user", "dave@example.test"), ==, 0);
  g_assert_cmpstr (out, ==, "dave@example.test: enabled\n");
  g_assert_cmpint (ctl ("admin", NULL, "policy", "user", "dave@example.test", "--enabled", "default"), ==, 0);
  g_assert_cmpint (perchctl ("dave@example.test", "dave-demo", NULL, NULL, "chat", "rooms", NULL), ==, 3);
  g_assert_cmpint (ctl ("admin", NULL, "policy", "user", "nobody@example.test", "--enabled", "yes"), ==, 4);
  g_assert_cmpint (ctl ("admin", NULL, "policy", "user", "dave@example.test", "--enabled", "perhaps"), ==, 2);
  /* the global default */
  g_assert_cmpint (ctl ("admin", NULL, "policy", "set", "--enable-persistent-chat", "yes"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "policy", "show"), ==, 0);
  g_autoptr(JsonNode) policy = parse_json (out);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (policy), "enable_persistent_chat"));
  g_assert_cmpint (perchctl ("dave@example.test", "dave-demo", NULL, NULL, "chat", "rooms", NULL), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "policy", "set", "--enable-persistent-chat", "no"), ==, 0);
  g_assert_cmpint (ctl ("alice", NULL, "policy", "set", "--enable-persistent-chat", "yes"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "policy", "set"), ==, 2);
}

static void
test_users_groups_addins_audit (void)
{
  g_autofree char *out = NULL;
  /* the new password from $PERCH_NEW_PASSWORD */
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", "gina-secret-1", NULL, NULL,
                            "user", "add", "gina@example.test", "--display-name", "Gina", "--enabled", "yes", NULL), ==, 0);
  g_assert_cmpint (perchctl ("gina@example.test", "gina-secret-1", NULL, NULL, "chat", "rooms", NULL), ==, 0);
  g_assert_cmpint (ctl ("admin", &out, "--json", "user", "show", "gina@example.test"), ==, 0);
  g_autoptr(JsonNode) gina = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (gina), "display_name"), ==, "Gina");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (gina), "admin"));
  /* or from standard input, the line after the caller's own password */
  g_assert_cmpint (ctl_run ("admin@example.test", NULL, NULL, "admin-demo\nhank-secret-1\n", NULL,
                            "user", "add", "hank@example.test", NULL), ==, 0);
  g_assert_cmpint (ctl_run ("hank@example.test", "hank-secret-1", NULL, NULL, NULL, "category", "list", NULL), ==, 0);
  /* never from the command line */
  g_assert_cmpint (ctl ("admin", NULL, "user", "add", "ivan@example.test", "--password", "ivan-secret-1"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "user", "add", "ivan@example.test"), ==, 2);   /* no new password */
  g_assert_cmpint (ctl ("admin", NULL, "user", "show", "ivan@example.test"), ==, 4);
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", "short", NULL, NULL,
                            "user", "add", "ivan@example.test", NULL), ==, 2);          /* 400: too short */
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", "gina-secret-2", NULL, NULL,
                            "user", "add", "gina@example.test", NULL), ==, 1);          /* exists */

  g_assert_cmpint (ctl ("admin", NULL, "user", "set", "gina@example.test", "--admin", "yes"), ==, 0);
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", "gina-secret-2", NULL, NULL,
                            "user", "set", "gina@example.test", "--password", NULL), ==, 0);
  g_assert_cmpint (ctl_run ("gina@example.test", "gina-secret-2", NULL, NULL, NULL, "user", "list", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "user", "list"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "USER "));
  g_assert_nonnull (strstr (out, "gina@example.test"));
  g_assert_cmpint (ctl ("admin", NULL, "user", "set", "nobody@example.test", "--admin", "yes"), ==, 4);
  g_assert_cmpint (ctl ("alice", NULL, "user", "list"), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "user", "delete", "gina@example.test"), ==, 2);   /* no --yes */
  g_assert_cmpint (ctl ("admin", NULL, "user", "delete", "gina@example.test", "--yes"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "user", "show", "gina@example.test"), ==, 4);

  /* groups */
  g_assert_cmpint (ctl ("admin", NULL, "group", "set", "oncall", "alice@example.test", "bob@example.test"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "group", "list"), ==, 0);
  g_autoptr(JsonNode) groups = parse_json (out);
  JsonObject *oncall = find_item (groups, "name", "oncall");
  g_assert_nonnull (oncall);
  g_assert_true (array_has (json_object_get_array_member (oncall, "members"), "sip:bob@example.test"));
  /* For people: a table, the members on the group's row without "sip:". */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "group", "list"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "GROUP "));
  g_assert_nonnull (strstr (out, "\noncall "));
  g_assert_nonnull (strstr (out, "alice@example.test, bob@example.test\n"));
  g_assert_cmpint (ctl ("admin", NULL, "group", "set", "oncall", "carol@example.test"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "group", "show", "oncall"), ==, 0);
  g_assert_nonnull (strstr (out, "carol@example.test"));
  g_assert_null (strstr (out, "bob@example.test"));
  g_assert_cmpint (ctl ("admin", NULL, "group", "delete", "oncall"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "group", "show", "oncall"), ==, 4);

  /* add-ins */
  g_assert_cmpint (ctl ("admin", NULL, "addin", "add", "Poll", "https://poll.example.test/"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "addin", "list"), ==, 0);
  g_assert_nonnull (strstr (out, "https://poll.example.test/"));
  g_assert_cmpint (ctl ("admin", NULL, "addin", "add", "Ftp", "ftp://files.example.test/"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "set", "General", "--addin", "Poll"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "addin", "delete", "Poll"), ==, 1);   /* in use: 422 */
  g_assert_cmpint (ctl ("admin", NULL, "room", "set", "General", "--no-addin"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "addin", "delete", "Poll"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "addin", "delete", "Poll"), ==, 4);

  /* the audit log saw it all */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "audit", "list", "--limit", "500"), ==, 0);
  g_autoptr(JsonNode) audit = parse_json (out);
  g_assert_nonnull (find_item (audit, "action", "room.create"));
  g_assert_nonnull (find_item (audit, "action", "user.delete"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "audit", "list", "--limit", "3"), ==, 0);
  g_assert_true (g_str_has_prefix (out, "TIME "));
  g_assert_cmpint (ctl ("alice", NULL, "audit", "list"), ==, 1);
}

static void
test_admin_exit_codes (void)
{
  g_autofree char *out = NULL;
  /* sign-in: a wrong password is 3, with the service's words */
  g_assert_cmpint (ctl_run ("alice@example.test", "wrong", NULL, NULL, NULL, "room", "list", NULL), ==, 3);
  g_assert_nonnull (strstr (last_err, "sign-in refused"));
  /* the password from standard input when not in the environment */
  g_assert_cmpint (ctl_run ("alice@example.test", NULL, NULL, "alice-demo\n", &out, "room", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "General"));
  /* and none at all: 2; nor is there an option to give it */
  g_assert_cmpint (ctl_run ("alice@example.test", NULL, NULL, "", NULL, "room", "list", NULL), ==, 2);
  g_assert_cmpint (ctl_run ("alice@example.test", NULL, NULL, "", NULL, "--password", "alice-demo", "room", "list", NULL), ==, 2);
  g_assert_cmpint (ctl_run ("alice@example.test", NULL, NULL, "", NULL, "room", "list", "--password", "alice-demo", NULL), ==, 2);
  /* --user overrides $PERCH_USER */
  g_assert_cmpint (ctl_run ("nobody@example.test", "carol-demo", NULL, NULL, NULL,
                            "--user", "carol@example.test", "room", "show", "Mergers", NULL), ==, 0);

  /* usage: 2 */
  g_assert_cmpint (ctl ("admin", NULL, "room"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "dance"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "ballroom", "list"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "list", "--colour", "red"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "list", "--limit", "0"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "show"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "show", "General", "Design"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "set", "General"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "message", "history", "General", "--after", "soon"), ==, 2);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "room", "create", "--help"), ==, 0);
  g_assert_nonnull (strstr (out, "room create NAME --category"));

  /* unreachable: 5 */
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", NULL, NULL, NULL,
                            "--server", "http://127.0.0.1:1", "room", "list", NULL), ==, 5);
  /* HTTPS: the demo's self-signed certificate is refused (5) unless --insecure */
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", NULL, NULL, NULL,
                            "--server", https_base, "room", "list", NULL), ==, 5);
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", NULL, NULL, NULL,
                            "--server", https_base, "--insecure", "room", "list", NULL), ==, 0);

  /* repeated failures are slowed down: 429 is "busy", 5 */
  int status = 3;
  for (int i = 0; i < 6 && status == 3; i++)
    status = ctl_run ("zed@example.test", "guess", NULL, NULL, NULL, "room", "list", NULL);
  g_assert_cmpint (status, ==, 5);
  g_assert_nonnull (strstr (last_err, "too many"));
}

static void
test_export_import (void)
{
  g_autofree char *archive = g_build_filename (server->dir, "pool.jsonl", NULL);
  g_autofree char *out = NULL;
  g_assert_cmpint (ctl ("admin", &out, "export", "--output", archive), ==, 0);
  g_assert_true (g_str_has_prefix (out, "wrote "));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (archive, &text, NULL, NULL));
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(JsonNode) header = parse_json (lines[0]);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (header), "type"), ==, "perch-export");
  g_assert_nonnull (strstr (text, "\"name\":\"Design\""));
  g_assert_nonnull (strstr (text, "\"type\":\"message\""));

  /* some categories, no content, to standard output */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "export", "--categories", "Board", "--no-content"), ==, 0);
  g_assert_nonnull (strstr (out, "\"name\":\"Mergers\""));
  g_assert_null (strstr (out, "\"name\":\"General\""));
  g_assert_null (strstr (out, "\"type\":\"message\""));
  g_assert_cmpint (ctl ("admin", NULL, "export", "--categories", "No Such Category"), ==, 4);
  g_assert_cmpint (ctl ("admin", NULL, "export", "--from", "2030-01-01", "--to", "2020-01-01"), ==, 2);
  g_assert_cmpint (ctl ("alice", NULL, "export", "--output", "-"), ==, 1);

  /* Design goes; the import brings it back with its lists, and skips the
   * rooms that are there */
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Design", "--yes"), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl ("admin", &out, "--json", "import", archive), ==, 0);
  g_autoptr(JsonNode) report = parse_json (out);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (report), "rooms_created"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (report), "rooms_skipped"), >=, 3);
  g_autoptr(JsonNode) design = room_json ("Design");
  g_assert_true (array_has (json_object_get_array_member (json_node_get_object (design), "members"),
                            "sip:bob@example.test"));
  /* from standard input too */
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (ctl_run ("admin@example.test", "admin-demo", NULL, text, &out, "import", "-", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "rooms:"));

  /* a truncated archive changes nothing (400: 2); only administrators import (1) */
  g_autofree char *cut = g_build_filename (server->dir, "cut.jsonl", NULL);
  g_autofree char *head = g_strjoin ("\n", lines[0], lines[1], lines[2], "", NULL);
  g_assert_true (g_file_set_contents (cut, head, -1, NULL));
  g_assert_cmpint (ctl ("admin", NULL, "room", "delete", "Design", "--yes"), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "import", cut), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "room", "show", "Design"), ==, 4);
  g_assert_cmpint (ctl ("alice", NULL, "import", archive), ==, 1);
  g_assert_cmpint (ctl ("admin", NULL, "import", archive), ==, 0);
  g_assert_cmpint (ctl ("admin", NULL, "import", "/nonexistent/archive.jsonl"), ==, 2);
  g_assert_cmpint (ctl ("admin", NULL, "import"), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/perch/perchctl/rooms", test_rooms);
  g_test_add_func ("/perch/perchctl/post-and-history", test_post_and_history);
  g_test_add_func ("/perch/perchctl/exit-codes", test_exit_codes);
  g_test_add_func ("/perch/perchctl/add-user", test_add_user);
  g_test_add_func ("/perch/perchctl/room", test_room);
  g_test_add_func ("/perch/perchctl/category", test_category);
  g_test_add_func ("/perch/perchctl/message", test_message);
  g_test_add_func ("/perch/perchctl/pool-config-policy", test_pool_config_policy);
  g_test_add_func ("/perch/perchctl/users-groups-addins-audit", test_users_groups_addins_audit);
  g_test_add_func ("/perch/perchctl/export-import", test_export_import);
  g_test_add_func ("/perch/perchctl/admin-exit-codes", test_admin_exit_codes);
  const char *const args[] = { "--http-listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0", NULL };
  server = perch_test_server_start (args);
  http_base = g_strconcat ("http://", perch_test_server_get (server, "http"), NULL);
  https_base = g_strconcat ("https://", perch_test_server_get (server, "https"), NULL);
  int status = g_test_run ();
  perch_test_server_stop (server);
  g_free (http_base);
  g_free (https_base);
  g_free (last_err);
  return status;
}
