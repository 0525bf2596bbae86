/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-perchctl.c: `perchctl chat` as a script would use it — against the
 * real perchd: tables and JSON, posting, and the exit codes scripts rely on. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "perch-test-util.h"

static PerchTestServer *server;

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/perch/perchctl/rooms", test_rooms);
  g_test_add_func ("/perch/perchctl/post-and-history", test_post_and_history);
  g_test_add_func ("/perch/perchctl/exit-codes", test_exit_codes);
  g_test_add_func ("/perch/perchctl/add-user", test_add_user);
  server = perch_test_server_start (NULL);
  int status = g_test_run ();
  perch_test_server_stop (server);
  return status;
}
