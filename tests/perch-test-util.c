/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-util.c: starting the real perchd for a test, signing clients in
 * to it, reading what rooms hold and what clients hear, removing test
 * directories, and waiting on the main context without sleeping. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "perch-common.h"
#include "perch-test-util.h"

#define READY_TIMEOUT_MS   20000
#define EXIT_TIMEOUT_MS    20000
#define CONNECT_TIMEOUT_MS 30000
#define HEAR_TIMEOUT_MS    20000

/* Under AddressSanitizer every test program unwinds malloc stacks fully, and
 * so does every perchd it starts (spawn, below). GLib has no frame pointers:
 * with the fast unwinder a leak report stops at g_malloc, and the one-time
 * allocations that GIO abandons when it scans its modules (tests/lsan.supp)
 * could not be told from anything else. ASAN_OPTIONS still sets every
 * other flag. */
const char *__asan_default_options (void);
__attribute__ ((used, visibility ("default"))) const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

/* ---- waiting ---- */

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
perch_test_wait (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  gboolean timed_out = FALSE;
  GSource *timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (timer, set_flag, &timed_out, NULL);
  g_source_attach (timer, context);
  while (!cond (data) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  g_source_unref (timer);
  g_main_context_unref (context);
  return cond (data);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

void
perch_test_async_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;
  g_assert_null (*out);
  *out = g_object_ref (result);
}

void
perch_test_wait_result (GAsyncResult **result, guint timeout_ms)
{
  if (!perch_test_wait (pointer_set, result, timeout_ms))
    g_error ("an operation did not complete within %u ms", timeout_ms);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
perch_test_spin_ms (guint ms)
{
  perch_test_wait (never, NULL, ms);
}

/* Runs what is already due (idles that finish closing streams, say),
 * without blocking. */
static void
drain_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- files ---- */

void
perch_test_remove_tree (const char *path)
{
  GStatBuf st;
  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          perch_test_remove_tree (child);
        }
      if (g_rmdir (path) != 0)
        g_test_message ("cannot remove %s: %s", path, g_strerror (errno));
    }
  else if (g_unlink (path) != 0)
    g_test_message ("cannot remove %s: %s", path, g_strerror (errno));
}

void
perch_test_remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_assert_cmpint (g_unlink (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

char *
perch_test_server_stderr (PerchTestServer *server)
{
  GString *all = g_string_new (NULL);
  for (guint run = 1; run <= server->runs; run++)
    {
      g_autofree char *path = g_strdup_printf ("%s/perchd-%u.stderr", server->dir, run);
      g_autofree char *text = NULL;
      if (g_file_get_contents (path, &text, NULL, NULL) && *text)
        {
          if (server->runs > 1)
            g_string_append_printf (all, "[run %u]\n", run);
          g_string_append (all, text);
        }
    }
  return g_string_free (all, FALSE);
}

/* ---- the server process ---- */

typedef struct {
  PerchTestServer *server;
  char            *line;       /* the ready line, once read */
  gboolean         eof;        /* stdout ended before it */
} StartState;

static void
exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PerchTestServer *server = user_data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  server->exited = TRUE;
}

static void
spliced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PerchTestServer *server = user_data;
  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
  server->stdout_done = TRUE;
}

typedef struct {
  GDataInputStream *in;
  char            **line;
  gboolean         *eof;
} LineRead;

static void read_next_line (LineRead *lr);

static void
line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LineRead *lr = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source),
                                                                    result, NULL, &error);
  if (line == NULL)
    {
      *lr->eof = TRUE;
      g_free (lr);
      return;
    }
  if (g_str_has_prefix (line, "perchd ready "))
    {
      *lr->line = g_steal_pointer (&line);
      g_free (lr);
      return;
    }
  g_test_message ("perchd stdout: %s", line);
  read_next_line (lr);
}

static void
read_next_line (LineRead *lr)
{
  g_data_input_stream_read_line_async (lr->in, G_PRIORITY_DEFAULT, NULL, line_cb, lr);
}

static gboolean
start_settled (gpointer data)
{
  StartState *st = data;
  return st->line != NULL || st->eof || st->server->exited;
}

static gboolean
process_gone (gpointer data)
{
  PerchTestServer *server = data;
  return server->exited && server->stdout_done;
}

static gboolean
parse_host_port (const char *value, char **host, guint16 *port)
{
  const char *colon = value ? strrchr (value, ':') : NULL;
  guint64 n = 0;
  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &n, NULL))
    return FALSE;
  if (host != NULL)
    {
      g_free (*host);
      *host = g_strndup (value, colon - value);
    }
  *port = (guint16) n;
  return TRUE;
}

/* Shows perchd's stderr as test messages: one per line, so TAP output
 * stays well-formed. */
static void
show_stderr (PerchTestServer *server)
{
  g_autofree char *err = perch_test_server_stderr (server);
  g_auto(GStrv) lines = g_strsplit (err, "\n", -1);
  g_test_message ("--- perchd stderr ---");
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i])
      g_test_message ("%s", lines[i]);
  g_test_message ("--- end of perchd stderr ---");
}

static void
fail_start (PerchTestServer *server, const char *why)
{
  show_stderr (server);
  g_error ("perchd did not start: %s (its stderr is above)", why);
}

/* What to listen on for the service KEY of the ready line ("sip",
 * "http"): the address it had when a restart keeps the ports, else a port
 * of the system's choosing. Kept alive by KEPT. */
static char *
kept_address (PerchTestServer *server, GPtrArray *kept, const char *key)
{
  const char *address = server->keep_ports ? g_hash_table_lookup (server->ready, key) : NULL;
  char *text = g_strdup (address ? address : "127.0.0.1:0");
  g_ptr_array_add (kept, text);
  return text;
}

static void
spawn (PerchTestServer *server)
{
  const char *perchd = g_getenv ("PERCHD");
  if (perchd == NULL)
    g_error ("PERCHD is not set: run the tests through meson test");

  server->runs++;
  g_free (server->stderr_path);
  server->stderr_path = g_strdup_printf ("%s/perchd-%u.stderr", server->dir, server->runs);

  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (gpointer) perchd);
  g_ptr_array_add (argv, (gpointer) "--demo");
  g_ptr_array_add (argv, (gpointer) "--data-dir");
  g_ptr_array_add (argv, server->data_dir);
  g_ptr_array_add (argv, (gpointer) "--domain");
  g_ptr_array_add (argv, (gpointer) "example.test");
  /* Port 0 picks free ports; a restart that keeps them asks again for the
   * ones the last run's ready line named. */
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (argv, (gpointer) "--sip-listen");
  g_ptr_array_add (argv, kept_address (server, kept, "sip"));
  g_ptr_array_add (argv, (gpointer) "--tls-listen");
  g_ptr_array_add (argv, kept_address (server, kept, "tls"));
  for (guint i = 0; server->extra_args != NULL && server->extra_args[i] != NULL; i++)
    {
      const char *previous = i > 0 ? server->extra_args[i - 1] : "";
      if (g_str_equal (previous, "--http-listen"))
        g_ptr_array_add (argv, kept_address (server, kept, "http"));
      else if (g_str_equal (previous, "--https-listen"))
        g_ptr_array_add (argv, kept_address (server, kept, "https"));
      else
        g_ptr_array_add (argv, server->extra_args[i]);
    }
  g_ptr_array_add (argv, NULL);

  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* stderr to a file: a pipe nobody reads would stall a chatty server. */
  g_subprocess_launcher_set_stderr_file_path (launcher, server->stderr_path);
  /* Under AddressSanitizer the server unwinds malloc stacks fully: with the
   * fast unwinder a leak report stops at g_malloc (GLib has no frame
   * pointers), and the one-time allocations GIO abandons when it loads its
   * TLS and proxy modules could not be told apart by tests/lsan.supp. */
  const char *asan = g_getenv ("ASAN_OPTIONS");
  if (asan != NULL && strstr (asan, "fast_unwind_on_malloc") == NULL)
    {
      g_autofree char *options = g_strconcat (asan, ":fast_unwind_on_malloc=0", NULL);
      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", options, TRUE);
    }
  g_autoptr(GError) error = NULL;
  server->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  if (server->process == NULL)
    fail_start (server, error->message);

  server->exited = FALSE;
  server->stdout_done = FALSE;
  g_subprocess_wait_async (server->process, NULL, exited_cb, server);
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  StartState st = { .server = server };
  LineRead *lr = g_new0 (LineRead, 1);
  lr->in = in;
  lr->line = &st.line;
  lr->eof = &st.eof;
  read_next_line (lr);

  gboolean settled = perch_test_wait (start_settled, &st, READY_TIMEOUT_MS);
  if (!settled || st.line == NULL)
    {
      if (!server->exited)
        g_subprocess_force_exit (server->process);
      /* The line reader points into this frame: let it finish first. */
      perch_test_wait (flag_set, &server->exited, EXIT_TIMEOUT_MS);
      perch_test_wait (flag_set, &st.eof, EXIT_TIMEOUT_MS);
      g_autofree char *why = NULL;
      if (!settled)
        why = g_strdup_printf ("no ready line within %u ms", READY_TIMEOUT_MS);
      else if (g_subprocess_get_if_exited (server->process))
        why = g_strdup_printf ("it exited with status %d", g_subprocess_get_exit_status (server->process));
      else if (g_subprocess_get_if_signaled (server->process))
        why = g_strdup_printf ("it died of signal %d", g_subprocess_get_term_sig (server->process));
      else
        why = g_strdup ("its stdout closed without a ready line");
      fail_start (server, why);
    }

  g_hash_table_remove_all (server->ready);
  g_auto(GStrv) tokens = g_strsplit (st.line + strlen ("perchd ready "), " ", -1);
  for (guint i = 0; tokens[i] != NULL; i++)
    {
      char *eq = strchr (tokens[i], '=');
      if (eq != NULL)
        g_hash_table_replace (server->ready, g_strndup (tokens[i], eq - tokens[i]), g_strdup (eq + 1));
    }
  g_free (st.line);
  if (!parse_host_port (g_hash_table_lookup (server->ready, "sip"), &server->host, &server->sip_port))
    fail_start (server, "the ready line has no sip=HOST:PORT");
  if (!parse_host_port (g_hash_table_lookup (server->ready, "tls"), NULL, &server->tls_port))
    server->tls_port = 0;

  /* Keep stdout drained into a file for as long as perchd lives, so that
   * whatever else it prints cannot fill the pipe and stall it. */
  g_autofree char *out_path = g_strdup_printf ("%s/perchd-%u.stdout", server->dir, server->runs);
  g_autoptr(GFile) out_file = g_file_new_for_path (out_path);
  g_autoptr(GFileOutputStream) out = g_file_replace (out_file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_splice_async (G_OUTPUT_STREAM (out), G_INPUT_STREAM (in),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                                G_PRIORITY_DEFAULT, NULL, spliced_cb, server);
  server->running = TRUE;
}

PerchTestServer *
perch_test_server_start (const char *const *extra_args)
{
  PerchTestServer *server = g_new0 (PerchTestServer, 1);
  g_autoptr(GError) error = NULL;
  server->dir = g_dir_make_tmp ("perch-test-XXXXXX", &error);
  g_assert_no_error (error);
  server->data_dir = g_build_filename (server->dir, "data", NULL);
  g_assert_cmpint (g_mkdir (server->data_dir, 0700), ==, 0);
  server->ready = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->extra_args = g_strdupv ((char **) extra_args);
  spawn (server);
  return server;
}

const char *
perch_test_server_get (PerchTestServer *server, const char *key)
{
  return g_hash_table_lookup (server->ready, key);
}

gint64
perch_test_server_proc_kb (PerchTestServer *server, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (server->process));
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  const char *line = strstr (text, field);
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen (field) + 1, NULL, 10);
}

void
perch_test_server_signal (PerchTestServer *server, int sig)
{
  /* g_subprocess_send_signal defers the kill() to GLib's worker thread,
   * which would let a SIGSTOP land after the request it was meant to hold
   * up. The process cannot have been reaped while it runs, so kill() it is. */
  g_assert_true (server->running);
  const char *id = g_subprocess_get_identifier (server->process);
  g_assert_nonnull (id);
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (id, NULL, 10), sig), ==, 0);
}

/* Sends SIG and waits for the process to end and its output to drain. */
static void
signal_and_wait (PerchTestServer *server, int sig)
{
  g_subprocess_send_signal (server->process, sig);
  if (!perch_test_wait (process_gone, server, EXIT_TIMEOUT_MS))
    {
      g_subprocess_force_exit (server->process);
      perch_test_wait (process_gone, server, EXIT_TIMEOUT_MS);
      show_stderr (server);
      g_error ("perchd did not exit within %u ms of signal %d (its stderr is above)", EXIT_TIMEOUT_MS, sig);
    }
  server->running = FALSE;
  drain_context ();
}

static void
stop_cleanly (PerchTestServer *server)
{
  signal_and_wait (server, SIGTERM);
  GSubprocess *p = server->process;
  if (!g_subprocess_get_if_exited (p) || g_subprocess_get_exit_status (p) != 0)
    {
      g_autofree char *how = g_subprocess_get_if_exited (p)
        ? g_strdup_printf ("exit status %d", g_subprocess_get_exit_status (p))
        : g_strdup_printf ("signal %d", g_subprocess_get_term_sig (p));
      show_stderr (server);
      g_error ("perchd did not end cleanly on SIGTERM (%s; its stderr is above)", how);
    }
  g_clear_object (&server->process);
}

void
perch_test_server_stop (PerchTestServer *server)
{
  if (server == NULL)
    return;
  if (server->running)
    stop_cleanly (server);
  g_clear_object (&server->process);
  drain_context ();
  perch_test_remove_tree (server->dir);
  g_hash_table_unref (server->ready);
  g_strfreev (server->extra_args);
  g_free (server->dir);
  g_free (server->data_dir);
  g_free (server->stderr_path);
  g_free (server->host);
  g_free (server);
}

void
perch_test_server_kill (PerchTestServer *server)
{
  g_assert_true (server->running);
  signal_and_wait (server, SIGKILL);
  g_clear_object (&server->process);
}

void
perch_test_server_restart (PerchTestServer *server)
{
  if (server->running)
    stop_cleanly (server);
  g_clear_object (&server->process);
  spawn (server);
}

void
perch_test_server_restart_same_ports (PerchTestServer *server)
{
  if (server->running)
    stop_cleanly (server);
  g_clear_object (&server->process);
  server->keep_ports = TRUE;
  spawn (server);
  server->keep_ports = FALSE;
}

/* ---- clients ---- */

PerchClient *
perch_test_connect_full (PerchTestServer *server, const char *user, const char *password,
                         gboolean tls, PerchClient **client_out, GError **error)
{
  g_assert_true (server->running);
  g_autofree char *address = strchr (user, '@') ? g_strdup (user) : g_strconcat (user, "@example.test", NULL);
  guint16 port = tls ? server->tls_port : server->sip_port;
  g_assert_cmpuint (port, !=, 0);
  g_autoptr(PerchClient) client = perch_client_new (server->host, port, tls, address, password);
  perch_client_set_accept_invalid_certificates (client, tls);

  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (client, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  gboolean ok = perch_client_connect_finish (client, result, error);
  if (client_out != NULL)
    *client_out = g_object_ref (client);
  return ok ? g_steal_pointer (&client) : NULL;
}

PerchClient *
perch_test_connect (PerchTestServer *server, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = g_strconcat (name, "-demo", NULL);
  PerchClient *client = perch_test_connect_full (server, name, password, FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (client);
  g_assert_true (perch_client_is_connected (client));
  return client;
}

void
perch_test_disconnect (PerchClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_close_async (client, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  g_assert_true (perch_client_close_finish (client, result, NULL));
  g_clear_object (&result);
  g_object_unref (client);
  drain_context ();
}

PerchClientReply *
perch_test_command (PerchClient *client, const char *cmd, const char *data_xml, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_command_async (client, cmd, data_xml, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  return perch_client_command_finish (client, result, error);
}

gboolean
perch_test_post (PerchClient *client, const char *room_uri, const char *text, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_post_async (client, room_uri, text, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  return perch_client_post_finish (client, result, error);
}

void
perch_test_join (PerchClient *client, const char *room_uri)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_join_async (client, room_uri, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->code, ==, 200);
}

char *
perch_test_find_room (PerchClient *client, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_search_rooms_async (client, name, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, CONNECT_TIMEOUT_MS);
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (client, result, &error);
  g_assert_no_error (error);
  for (xmlNode *chan = perch_xml_child (reply->data, "chanib"); chan != NULL;
       chan = perch_xml_next (chan, "chanib"))
    {
      g_autofree char *chan_name = perch_xml_get (chan, "name");
      if (g_strcmp0 (chan_name, name) == 0)
        return perch_xml_get (chan, "uri");
    }
  return NULL;
}

char *
perch_test_bjoin_data (const char *const *ids)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autofree char *key = g_strdup_printf ("%u", i);
      g_string_append (s, "<chanid");
      perch_xml_attr_append (s, "key", key);
      perch_xml_attr_append (s, "domain", "example.test");
      perch_xml_attr_append (s, "value", ids[i]);
      g_string_append (s, "/>");
    }
  return g_string_free (s, FALSE);
}

/* ---- what a room holds and what a client hears ---- */

GPtrArray *
perch_test_history_texts (PerchClient *client, const char *room_uri)
{
  g_autofree char *data = perch_client_build_history_data (room_uri, 500);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bccontext", data, &error);
  g_assert_no_error (error);
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  xmlNode *chanib = perch_xml_child (reply->data, "chanib");
  g_assert_nonnull (chanib);
  for (xmlNode *msg = perch_xml_child (chanib, "msg"); msg != NULL; msg = perch_xml_next (msg, "msg"))
    g_ptr_array_add (texts, perch_xml_text (perch_xml_child (msg, "chat")));
  return texts;
}

guint
perch_test_count_text (GPtrArray *texts, const char *text)
{
  guint n = 0;
  for (guint i = 0; i < texts->len; i++)
    if (g_strcmp0 (g_ptr_array_index (texts, i), text) == 0)
      n++;
  return n;
}

static void
on_post (PerchClient *client, const char *room, const char *author, const char *text,
         const char *ts, const char *msgid, GPtrArray *heard)
{
  g_ptr_array_add (heard, g_strdup (text));
}

static void
heard_unref (gpointer data, GClosure *closure)
{
  g_ptr_array_unref (data);
}

GPtrArray *
perch_test_listen_posts (PerchClient *client)
{
  GPtrArray *heard = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect_data (client, "post", G_CALLBACK (on_post), g_ptr_array_ref (heard), heard_unref, 0);
  return heard;
}

typedef struct {
  GPtrArray  *heard;
  const char *text;
} HeardWait;

static gboolean
heard_text (gpointer data)
{
  HeardWait *w = data;
  return perch_test_count_text (w->heard, w->text) > 0;
}

void
perch_test_assert_hears (GPtrArray *heard, const char *text)
{
  HeardWait w = { heard, text };
  if (!perch_test_wait (heard_text, &w, HEAR_TIMEOUT_MS))
    g_error ("the post \"%s\" was not delivered", text);
}
