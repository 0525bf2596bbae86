/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-command.c: the adapter that hands each batch to an
 * external command, for organisations that feed their own archive.
 *
 * The contract (README, Compliance): compliance_command is an absolute path
 * and arguments, run without a shell; the batch arrives on standard input
 * as one <Conversations> document (the XML adapter's single-file shape);
 * PERCH_COMPLIANCE_RUN, PERCH_COMPLIANCE_FIRST and PERCH_COMPLIANCE_LAST
 * say which run and which range of event ids it is. The same range can
 * arrive again after a crash or a failure, so the receiver should key
 * what it stores on FIRST-LAST and replace rather than add. Exit status 0
 * is success; anything else, or running past compliance_command_timeout
 * (the command's whole process group is then killed), is a failure whose
 * first bytes of standard error become the run's error.
 *
 * This runs on the compliance worker thread, which it blocks; the pipes and
 * the timer run on a private main context so the main loop is never
 * involved. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "perch-compliance-private.h"

#define STDERR_KEPT   4096  /* bytes of the command's stderr kept for the error */
#define EXIT_GRACE_MS 1000  /* how long to drain pipes after it exits */

typedef struct {
  GMainContext *context;
  GSubprocess  *process;
  pid_t         pid;
  GCancellable *io;          /* ends our reads and writes when it is over */
  GString      *err;         /* the first STDERR_KEPT bytes of its stderr */
  char          buf[4096];
  GSource      *grace;
  gboolean      exited;
  gboolean      stdin_done;
  gboolean      stderr_done;
  gboolean      timed_out;
  gboolean      cancelled;
} CommandRun;

static void
child_setup (gpointer data)
{
  /* Its own process group, so a timeout kills what it started too; and the
   * default SIGPIPE that perchd (like every GSocket user) ignores. */
  setpgid (0, 0);
  signal (SIGPIPE, SIG_DFL);
}

static void
kill_group (CommandRun *run)
{
  /* Only while it has not been reaped: afterwards the id may be another's. */
  if (!run->exited && run->pid > 0)
    kill (-run->pid, SIGKILL);
}

static gboolean
grace_over (gpointer data)
{
  CommandRun *run = data;
  /* Something it started keeps a pipe open: stop waiting for it. */
  g_cancellable_cancel (run->io);
  return G_SOURCE_REMOVE;
}

static void
waited (GObject *source, GAsyncResult *result, gpointer data)
{
  CommandRun *run = data;
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run->exited = TRUE;
  run->grace = g_timeout_source_new (EXIT_GRACE_MS);
  g_source_set_callback (run->grace, grace_over, run, NULL);
  g_source_attach (run->grace, run->context);
}

static void
written (GObject *source, GAsyncResult *result, gpointer data)
{
  CommandRun *run = data;
  /* A command that exits without reading everything gets EPIPE here; its
   * exit status decides, not this. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_output_stream_close (G_OUTPUT_STREAM (source), NULL, NULL);
  run->stdin_done = TRUE;
}

static void read_more (CommandRun *run);

static void
stderr_read (GObject *source, GAsyncResult *result, gpointer data)
{
  CommandRun *run = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);
  if (n <= 0)
    {
      run->stderr_done = TRUE;
      return;
    }
  if (run->err->len < STDERR_KEPT)
    g_string_append_len (run->err, run->buf, MIN ((gsize) n, STDERR_KEPT - run->err->len));
  read_more (run);
}

static void
read_more (CommandRun *run)
{
  g_input_stream_read_async (g_subprocess_get_stderr_pipe (run->process), run->buf, sizeof run->buf,
                             G_PRIORITY_DEFAULT, run->io, stderr_read, run);
}

static gboolean
timed_out (gpointer data)
{
  CommandRun *run = data;
  run->timed_out = TRUE;
  kill_group (run);
  return G_SOURCE_REMOVE;
}

static gboolean
cancelled (GCancellable *cancellable, gpointer data)
{
  CommandRun *run = data;
  run->cancelled = TRUE;
  kill_group (run);
  return G_SOURCE_REMOVE;
}

/* "status 3: <its stderr>", valid UTF-8 and trimmed, for the run's error. */
static void
set_command_error (GError **error, const CommandRun *run, const char *what)
{
  g_autofree char *text = g_utf8_make_valid (run->err->str, run->err->len);
  g_strstrip (text);
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "compliance_command %s%s%s", what,
               *text ? ": " : "", text);
}

static gboolean
command_deliver (const PerchComplianceBatch *batch, GCancellable *cancellable, GError **error)
{
  const PerchComplianceSettings *s = batch->settings;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) local = NULL;

  if (s->command == NULL || *s->command == '\0')
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_FAILED,
                           "compliance_adapter is command but compliance_command is not set");
      return FALSE;
    }
  if (!g_shell_parse_argv (s->command, NULL, &argv, &local) || argv[0][0] != '/')
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "compliance_command is not an absolute path%s%s",
                   local ? ": " : "", local ? local->message : "");
      return FALSE;
    }

  g_autoptr(GString) doc = perch_compliance_xml_document (batch, NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                               G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *run_id = g_strdup_printf ("%" G_GINT64_FORMAT, batch->run_id);
  g_autofree char *first = g_strdup_printf ("%" G_GINT64_FORMAT, batch->first_id);
  g_autofree char *last = g_strdup_printf ("%" G_GINT64_FORMAT, batch->last_id);
  g_subprocess_launcher_setenv (launcher, "PERCH_COMPLIANCE_RUN", run_id, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERCH_COMPLIANCE_FIRST", first, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERCH_COMPLIANCE_LAST", last, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  CommandRun run = { 0 };
  run.context = g_main_context_new ();
  run.io = g_cancellable_new ();
  run.err = g_string_new (NULL);
  g_main_context_push_thread_default (run.context);

  gboolean ok = FALSE;
  GSource *timer = NULL, *cancel_source = NULL;
  run.process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv, error);
  if (run.process == NULL)
    {
      g_prefix_error (error, "compliance_command: ");
      goto out;
    }
  run.pid = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (run.process), NULL, 10);

  g_subprocess_wait_async (run.process, NULL, waited, &run);
  g_output_stream_write_all_async (g_subprocess_get_stdin_pipe (run.process), doc->str, doc->len,
                                   G_PRIORITY_DEFAULT, run.io, written, &run);
  read_more (&run);
  timer = g_timeout_source_new_seconds (s->command_timeout_s);
  g_source_set_callback (timer, timed_out, &run, NULL);
  g_source_attach (timer, run.context);
  if (cancellable != NULL)
    {
      /* Attached to this context: the kill happens here, not in whichever
       * thread cancels. */
      cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancel_source, G_SOURCE_FUNC (cancelled), &run, NULL);
      g_source_attach (cancel_source, run.context);
    }
  while (!run.exited || !run.stdin_done || !run.stderr_done)
    g_main_context_iteration (run.context, TRUE);

  if (run.cancelled)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "compliance_command was stopped: perchd is stopping");
  else if (run.timed_out)
    {
      g_autofree char *what = g_strdup_printf ("timed out after %u s and was killed", s->command_timeout_s);
      set_command_error (error, &run, what);
    }
  else if (g_subprocess_get_if_exited (run.process) && g_subprocess_get_exit_status (run.process) == 0)
    ok = TRUE;
  else if (g_subprocess_get_if_exited (run.process))
    {
      g_autofree char *what = g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (run.process));
      set_command_error (error, &run, what);
    }
  else
    {
      g_autofree char *what = g_strdup_printf ("was killed by signal %d", g_subprocess_get_term_sig (run.process));
      set_command_error (error, &run, what);
    }

out:
  if (timer != NULL)
    {
      g_source_destroy (timer);
      g_source_unref (timer);
    }
  if (cancel_source != NULL)
    {
      g_source_destroy (cancel_source);
      g_source_unref (cancel_source);
    }
  if (run.grace != NULL)
    {
      g_source_destroy (run.grace);
      g_source_unref (run.grace);
    }
  /* Let anything already dispatched finish before the context goes. */
  while (g_main_context_iteration (run.context, FALSE))
    ;
  g_main_context_pop_thread_default (run.context);
  g_clear_object (&run.process);
  g_main_context_unref (run.context);
  g_object_unref (run.io);
  g_string_free (run.err, TRUE);
  return ok;
}

const PerchComplianceAdapter perch_compliance_command_adapter = {
  .name = "command",
  .deliver = command_deliver,
};
