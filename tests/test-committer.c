/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-committer.c: group commit. The store's write entry is wrapped by a
 * gate that the test opens and closes, so batching is deterministic: while
 * the writer thread is held inside one transaction, everything submitted
 * queues up and must go into the next transactions, max_batch at a time. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "perch-committer.h"
#include "perch-test-util.h"

static GThread *main_thread;

/* ---- the gate around the backend's write ---- */

static struct {
  GMutex   lock;
  GCond    cond;
  gboolean open;
  guint    calls;
  GArray  *batch_sizes;   /* of guint */
  gboolean off_main;      /* every call came from another thread */
} gate;

static const PerchStoreBackend *real_backend;
static PerchStoreBackend gated_backend;

static gboolean
gated_write (PerchStore *store, PerchWrite **writes, guint n_writes, GError **error)
{
  g_mutex_lock (&gate.lock);
  gate.calls++;
  g_array_append_val (gate.batch_sizes, n_writes);
  if (g_thread_self () == main_thread)
    gate.off_main = FALSE;
  g_cond_broadcast (&gate.cond);
  while (!gate.open)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);
  return real_backend->write (store, writes, n_writes, error);
}

static void
gate_set_open (gboolean open)
{
  g_mutex_lock (&gate.lock);
  gate.open = open;
  g_cond_broadcast (&gate.cond);
  g_mutex_unlock (&gate.lock);
}

/* Waits until the writer thread has entered write() CALLS times in all. */
static void
gate_wait_calls (guint calls)
{
  g_mutex_lock (&gate.lock);
  while (gate.calls < calls)
    g_cond_wait (&gate.cond, &gate.lock);
  g_mutex_unlock (&gate.lock);
}

/* ---- fixture ---- */

typedef struct {
  guint    index;
  gint64   msg_id;
  gint64   event_id;
  gboolean failed;
  int      code;
} Done;

typedef struct {
  char           *dir;
  char           *path;
  PerchStore     *store;
  char           *room;
  PerchCommitter *committer;
  GArray         *done;      /* of Done, in completion order */
  gboolean        on_main;   /* every callback ran on the main thread */
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchCategory) cat = g_new0 (PerchCategory, 1);
  g_autoptr(PerchRoomInfo) room = g_new0 (PerchRoomInfo, 1);

  f->dir = g_dir_make_tmp ("perch-committer-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "perch.db", NULL);
  f->store = perch_store_open_sqlite (f->path, &error);
  g_assert_no_error (error);

  cat->name = g_strdup ("Cat");
  g_assert_true (perch_store_category_create (f->store, cat, &error));
  room->name = g_strdup ("Room");
  room->category_id = cat->id;
  g_assert_true (perch_store_room_create (f->store, room, &error));
  g_assert_no_error (error);
  f->room = g_strdup (room->id);

  real_backend = f->store->backend;
  gated_backend = *real_backend;
  gated_backend.write = gated_write;
  f->store->backend = &gated_backend;
  gate.open = TRUE;
  gate.calls = 0;
  gate.off_main = TRUE;
  gate.batch_sizes = g_array_new (FALSE, FALSE, sizeof (guint));

  f->done = g_array_new (FALSE, FALSE, sizeof (Done));
  f->on_main = TRUE;
  f->committer = perch_committer_new (f->store, GPOINTER_TO_UINT (data));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gate_set_open (TRUE);
  g_clear_pointer (&f->committer, perch_committer_free);
  /* Drain idle sources a freed committer may have left behind. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  f->store->backend = real_backend;
  g_clear_pointer (&f->store, perch_store_close);
  g_clear_pointer (&gate.batch_sizes, g_array_unref);
  g_array_unref (f->done);
  perch_test_remove_dir (f->dir);
  g_free (f->room);
  g_free (f->path);
  g_free (f->dir);
}

static PerchWrite *
chat (const char *room_id, guint i)
{
  PerchWrite *w = g_new0 (PerchWrite, 1);

  w->type = PERCH_EVENT_CHAT;
  w->room_id = g_strdup (room_id);
  w->user = g_strdup ("sip:alice@example.test");
  w->content = g_strdup_printf ("post %u", i);
  w->ts_us = perch_now_us ();
  w->store_message = TRUE;
  return w;
}

static Fixture *current;

static void
record (PerchWrite *write, const GError *error, gpointer user_data)
{
  Done d = { GPOINTER_TO_UINT (user_data), write->msg_id, write->event_id, error != NULL,
             error ? error->code : 0 };

  if (g_thread_self () != main_thread)
    current->on_main = FALSE;
  g_array_append_val (current->done, d);
}

static void
submit (Fixture *f, guint i, const char *room_id)
{
  current = f;
  perch_committer_submit (f->committer, chat (room_id, i), record, GUINT_TO_POINTER (i));
}

#define DONE(f, i) (&g_array_index ((f)->done, Done, (i)))

/* ---- tests ---- */

#define N_WRITES 10000
#define BATCH 1000

static void
test_order (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hist = NULL;

  /* Hold the writer inside its first transaction, then queue the rest. */
  gate_set_open (FALSE);
  submit (f, 0, f->room);
  gate_wait_calls (1);
  for (guint i = 1; i < N_WRITES; i++)
    submit (f, i, f->room);
  g_assert_cmpuint (perch_committer_pending (f->committer), ==, N_WRITES);
  gate_set_open (TRUE);
  perch_committer_flush (f->committer);
  g_assert_cmpuint (perch_committer_pending (f->committer), ==, 0);

  g_assert_cmpuint (f->done->len, ==, N_WRITES);
  g_assert_true (f->on_main);
  g_assert_true (gate.off_main);
  for (guint i = 0; i < N_WRITES; i++)
    {
      Done *d = DONE (f, i);
      g_assert_cmpuint (d->index, ==, i);
      g_assert_false (d->failed);
      /* Nothing else writes, so ids follow submission order exactly. */
      g_assert_cmpint (d->event_id, ==, DONE (f, 0)->event_id + i);
      g_assert_cmpint (d->msg_id, ==, DONE (f, 0)->msg_id + i);
    }

  /* 1 + 9 full batches + 999: one transaction per batch, not per write. */
  g_test_message ("%u writes in %u transactions", N_WRITES, gate.calls);
  g_assert_cmpuint (gate.calls, ==, 1 + (N_WRITES - 1 + BATCH - 1) / BATCH);
  g_assert_cmpuint (g_array_index (gate.batch_sizes, guint, 0), ==, 1);
  for (guint i = 1; i < gate.batch_sizes->len; i++)
    g_assert_cmpuint (g_array_index (gate.batch_sizes, guint, i), <=, BATCH);

  /* on disk, as a fresh connection sees it */
  f->store->backend = real_backend;
  perch_committer_free (g_steal_pointer (&f->committer));
  perch_store_close (f->store);
  f->store = perch_store_open_sqlite (f->path, &error);
  g_assert_no_error (error);
  real_backend = f->store->backend;
  g_assert_cmpint (perch_store_events_count (f->store), ==, N_WRITES);
  hist = perch_store_history (f->store, f->room, 0, 2 * N_WRITES, &error);
  g_assert_cmpuint (hist->len, ==, N_WRITES);
  g_assert_cmpstr (((PerchMessage *) hist->pdata[N_WRITES - 1])->content, ==, "post 9999");
}

static void
quit_after_all (PerchWrite *write, const GError *error, gpointer user_data)
{
  GMainLoop *loop = user_data;
  Done d = { current->done->len, write->msg_id, write->event_id, error != NULL, 0 };

  g_assert_no_error (error);
  if (g_thread_self () != main_thread)
    current->on_main = FALSE;
  g_array_append_val (current->done, d);
  if (current->done->len == 100)
    g_main_loop_quit (loop);
}

static void
test_main_loop (Fixture *f, gconstpointer data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  /* Completions arrive through the main loop without any flush. */
  current = f;
  for (guint i = 0; i < 100; i++)
    perch_committer_submit (f->committer, chat (f->room, i), quit_after_all, loop);
  g_main_loop_run (loop);
  g_assert_true (f->on_main);
  g_assert_cmpuint (perch_committer_pending (f->committer), ==, 0);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 100);
}

static void
test_flush (Fixture *f, gconstpointer data)
{
  /* nothing submitted: returns at once */
  perch_committer_flush (f->committer);
  g_assert_cmpuint (f->done->len, ==, 0);

  for (guint i = 0; i < 10; i++)
    submit (f, i, f->room);
  perch_committer_flush (f->committer);
  g_assert_cmpuint (f->done->len, ==, 10);
  g_assert_cmpuint (perch_committer_pending (f->committer), ==, 0);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 10);

  /* a NULL callback is allowed */
  perch_committer_submit (f->committer, chat (f->room, 99), NULL, NULL);
  perch_committer_flush (f->committer);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 11);
  g_assert_cmpuint (f->done->len, ==, 10);
}

static void
test_failure (Fixture *f, gconstpointer data)
{
  gate_set_open (FALSE);
  submit (f, 0, f->room);
  gate_wait_calls (1);
  /* one batch: good, bad (room_id NULL violates NOT NULL), good */
  submit (f, 1, f->room);
  submit (f, 2, NULL);
  submit (f, 3, f->room);
  gate_set_open (TRUE);
  perch_committer_flush (f->committer);

  /* The batch failed, then each write was tried alone: only the bad one
   * fails; its neighbours are stored. */
  g_assert_cmpuint (gate.calls, ==, 2 + 3);
  g_assert_cmpuint (f->done->len, ==, 4);
  g_assert_false (DONE (f, 0)->failed);
  g_assert_cmpint (DONE (f, 0)->msg_id, >, 0);
  for (guint i = 1; i < 4; i++)
    {
      g_assert_cmpuint (DONE (f, i)->index, ==, i);
      if (i == 2)
        {
          g_assert_true (DONE (f, i)->failed);
          g_assert_cmpint (DONE (f, i)->code, ==, PERCH_ERROR_FAILED);
          g_assert_cmpint (DONE (f, i)->msg_id, ==, 0);
          g_assert_cmpint (DONE (f, i)->event_id, ==, 0);
        }
      else
        {
          g_assert_false (DONE (f, i)->failed);
          g_assert_cmpint (DONE (f, i)->msg_id, >, 0);
        }
    }
  g_assert_cmpint (perch_store_events_count (f->store), ==, 3);

  /* the committer carries on */
  submit (f, 4, f->room);
  perch_committer_flush (f->committer);
  g_assert_false (DONE (f, 4)->failed);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 4);
}

static void
flush_from_callback (PerchWrite *write, const GError *error, gpointer user_data)
{
  Fixture *f = current;

  record (write, error, user_data);
  if (GPOINTER_TO_UINT (user_data) == 0)
    {
      /* A callback that submits and flushes: its own completion must not
       * deadlock, and order must hold. */
      perch_committer_submit (f->committer, chat (f->room, 100), record, GUINT_TO_POINTER (100));
      perch_committer_flush (f->committer);
      g_assert_cmpuint (f->done->len, ==, 7);
    }
}

static void
test_reentrant (Fixture *f, gconstpointer data)
{
  const guint expected[] = { 0, 1, 2, 3, 4, 5, 100 };

  current = f;
  gate_set_open (FALSE);
  perch_committer_submit (f->committer, chat (f->room, 0), flush_from_callback, GUINT_TO_POINTER (0));
  gate_wait_calls (1);
  for (guint i = 1; i <= 5; i++)
    submit (f, i, f->room);
  gate_set_open (TRUE);
  perch_committer_flush (f->committer);

  g_assert_cmpuint (f->done->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_assert_cmpuint (DONE (f, i)->index, ==, expected[i]);
      g_assert_false (DONE (f, i)->failed);
    }
  g_assert_cmpuint (perch_committer_pending (f->committer), ==, 0);
}

static void
test_free_flushes (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < 50; i++)
    submit (f, i, f->room);
  perch_committer_free (g_steal_pointer (&f->committer));
  g_assert_cmpuint (f->done->len, ==, 50);
  for (guint i = 0; i < 50; i++)
    g_assert_cmpuint (DONE (f, i)->index, ==, i);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 50);
  /* sources the committer attached may still be pending: harmless now */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (f->done->len, ==, 50);
}

/* ---- kill -9 ---- */

#define KILL_SUBMIT 3000
#define KILL_AFTER  1000

static int ack_fd = -1;
static guint acks;

static void
ack_then_die (PerchWrite *w, const GError *error, gpointer user_data)
{
  char line[64];
  int len;

  if (error != NULL)
    _exit (3);
  /* write(2), not stdio: whatever was acknowledged is in the file when the
   * process dies, with no buffer to flush. */
  len = g_snprintf (line, sizeof line, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                    w->msg_id, w->event_id);
  if (write (ack_fd, line, len) != len)
    _exit (4);
  if (++acks == KILL_AFTER)
    raise (SIGKILL);  /* with writes still queued and one maybe mid-commit */
}

static void
kill_child (const char *path, const char *room_id, const char *acks_path)
{
  g_autoptr(GError) error = NULL;
  PerchStore *store = perch_store_open_sqlite (path, &error);
  PerchCommitter *committer;

  if (store == NULL)
    _exit (2);
  ack_fd = open (acks_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (ack_fd < 0)
    _exit (2);
  committer = perch_committer_new (store, 64);
  for (guint i = 0; i < KILL_SUBMIT; i++)
    perch_committer_submit (committer, chat (room_id, i), ack_then_die, NULL);
  perch_committer_flush (committer);
  _exit (5);  /* not reached: the callbacks kill us first */
}

static void
test_kill (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("perch-committer-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "perch.db", NULL);
  g_autofree char *acks_path = g_build_filename (dir, "acks", NULL);
  g_autofree char *room_id = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) hist = NULL;
  g_autoptr(GHashTable) stored = g_hash_table_new (g_int64_hash, g_int64_equal);
  PerchStore *store;
  int status = 0;
  pid_t pid;

  g_assert_no_error (error);
  /* Set up, and close, before forking: the child must not inherit open
   * connections or threads. */
  store = perch_store_open_sqlite (path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(PerchCategory) cat = g_new0 (PerchCategory, 1);
    g_autoptr(PerchRoomInfo) room = g_new0 (PerchRoomInfo, 1);
    cat->name = g_strdup ("Cat");
    g_assert_true (perch_store_category_create (store, cat, &error));
    room->name = g_strdup ("Room");
    room->category_id = cat->id;
    g_assert_true (perch_store_room_create (store, room, &error));
    g_assert_no_error (error);
    room_id = g_strdup (room->id);
  }
  perch_store_close (store);

  fflush (NULL);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    kill_child (path, room_id, acks_path);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  /* Every acknowledged post, and its event, is there after the kill. */
  store = perch_store_open_sqlite (path, &error);
  g_assert_no_error (error);
  hist = perch_store_history (store, room_id, 0, KILL_SUBMIT, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < hist->len; i++)
    g_hash_table_add (stored, &((PerchMessage *) hist->pdata[i])->id);
  g_assert_true (g_file_get_contents (acks_path, &text, NULL, &error));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, KILL_AFTER + 1);
  for (guint i = 0; i < KILL_AFTER; i++)
    {
      gint64 msg_id = g_ascii_strtoll (lines[i], NULL, 10);
      g_assert_true (g_hash_table_contains (stored, &msg_id));
    }
  g_test_message ("%u acknowledged, %u stored, %" G_GINT64_FORMAT " events",
                  KILL_AFTER, hist->len, perch_store_events_count (store));
  g_assert_cmpint (perch_store_events_count (store), >=, KILL_AFTER);
  g_assert_cmpint (perch_store_events_count (store), ==, hist->len);
  g_clear_pointer (&hist, g_ptr_array_unref);
  perch_store_close (store);
  perch_test_remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();
  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);

#define ADD(name, batch, fn) \
  g_test_add ("/perch/committer/" name, Fixture, GUINT_TO_POINTER (batch), fixture_set_up, fn, fixture_tear_down)
  ADD ("order", BATCH, test_order);
  ADD ("main-loop", 0, test_main_loop);
  ADD ("flush", 4, test_flush);
  ADD ("failure", 64, test_failure);
  ADD ("reentrant", 64, test_reentrant);
  ADD ("free-flushes", 7, test_free_flushes);
#undef ADD
  g_test_add_func ("/perch/committer/kill-9", test_kill);
  return g_test_run ();
}
