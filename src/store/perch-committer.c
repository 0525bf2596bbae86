/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-committer.c: group commit on one writer thread.
 *
 * The main thread queues jobs on a GAsyncQueue. The writer pops one, takes
 * whatever else is already waiting (up to max_batch), writes them all in one
 * transaction, and hands the finished jobs back through a FIFO shared with
 * the main context, waking it with one idle source per batch. Completions
 * are taken from that FIFO one job at a time, by whichever idle source runs
 * first or by perch_committer_flush() itself, so callbacks run in
 * submission order even when a callback re-enters the main loop. */
#include "config.h"

#include "perch-committer.h"

#define DEFAULT_MAX_BATCH 1024

typedef struct {
  PerchWrite     *write;
  PerchCommitFunc func;
  gpointer        user_data;
  GError         *error;
} Job;

/* What the idle sources point at. It is reference counted apart from the
 * committer because a source attached for a batch whose jobs flush()
 * already completed may run after the committer is gone; it then finds
 * the FIFO empty and touches nothing else. */
typedef struct {
  gatomicrefcount ref;
  GMutex          lock;
  GQueue          done;       /* of Job*, in submission order */
  PerchCommitter *committer;  /* main thread only; NULL once freed */
} Outbox;

struct _PerchCommitter {
  PerchStore   *store;
  guint         max_batch;
  GMainContext *context;
  GAsyncQueue  *queue;        /* of Job*, or &stop_job */
  GThread      *thread;
  Outbox       *outbox;
  gint          pending;      /* atomic: submitted, not yet completed */
  guint64       submitted;    /* main thread only */
  guint64       completed;    /* main thread only */
};

/* The sentinel that tells the writer thread to finish. */
static Job stop_job;

static Outbox *
outbox_ref (Outbox *outbox)
{
  g_atomic_ref_count_inc (&outbox->ref);
  return outbox;
}

static void
outbox_unref (Outbox *outbox)
{
  if (!g_atomic_ref_count_dec (&outbox->ref))
    return;
  g_assert (g_queue_is_empty (&outbox->done));
  g_mutex_clear (&outbox->lock);
  g_free (outbox);
}

static void
job_free (Job *job)
{
  perch_write_free (job->write);
  g_clear_error (&job->error);
  g_free (job);
}

/* Main thread: completes the oldest finished job, if any. */
static gboolean
complete_one (Outbox *outbox)
{
  PerchCommitter *self = outbox->committer;
  Job *job;

  g_mutex_lock (&outbox->lock);
  job = g_queue_pop_head (&outbox->done);
  g_mutex_unlock (&outbox->lock);
  if (job == NULL)
    return FALSE;

  /* Count it before the callback: a callback that submits and flushes
   * must see its own completion accounted for. */
  self->completed++;
  if (job->func != NULL)
    job->func (job->write, job->error, job->user_data);
  g_atomic_int_add (&self->pending, -1);
  job_free (job);
  return TRUE;
}

static gboolean
completions_ready (gpointer data)
{
  Outbox *outbox = data;

  while (outbox->committer != NULL && complete_one (outbox))
    ;
  return G_SOURCE_REMOVE;
}

static gpointer
writer_thread (gpointer data)
{
  PerchCommitter *self = data;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  g_autoptr(GPtrArray) writes = g_ptr_array_new ();
  gboolean stopping = FALSE;

  while (!stopping)
    {
      g_autoptr(GError) error = NULL;
      Job *job = g_async_queue_pop (self->queue);

      if (job == &stop_job)
        break;
      g_ptr_array_set_size (jobs, 0);
      g_ptr_array_add (jobs, job);
      /* Everything that arrived while the last transaction ran joins this
       * one: this is the whole point of the committer. */
      while (jobs->len < self->max_batch
             && (job = g_async_queue_try_pop (self->queue)) != NULL)
        {
          if (job == &stop_job)
            {
              stopping = TRUE;
              break;
            }
          g_ptr_array_add (jobs, job);
        }

      g_ptr_array_set_size (writes, 0);
      for (guint i = 0; i < jobs->len; i++)
        g_ptr_array_add (writes, ((Job *) jobs->pdata[i])->write);
      if (!perch_store_write (self->store, (PerchWrite **) writes->pdata, writes->len, &error))
        {
          /* This line is for the operator. One bad write must not fail the
           * posts that merely shared its transaction: retry each alone, so
           * only the writes that fail by themselves report an error. */
          g_message ("committer: a batch of %u writes failed: %s", jobs->len, error->message);
          for (guint i = 0; i < jobs->len; i++)
            {
              Job *one = jobs->pdata[i];
              if (jobs->len == 1)
                one->error = g_error_copy (error);
              else
                perch_store_write (self->store, &one->write, 1, &one->error);
            }
        }

      g_mutex_lock (&self->outbox->lock);
      for (guint i = 0; i < jobs->len; i++)
        g_queue_push_tail (&self->outbox->done, jobs->pdata[i]);
      g_mutex_unlock (&self->outbox->lock);

      {
        /* Attached after the push, so whoever wakes finds the jobs there. */
        GSource *source = g_idle_source_new ();
        /* Default, not idle, priority: these completions send the SIP 200s
         * and must not wait behind a busy loop's idle work. */
        g_source_set_priority (source, G_PRIORITY_DEFAULT);
        g_source_set_static_name (source, "perch-committer");
        g_source_set_callback (source, completions_ready, outbox_ref (self->outbox),
                               (GDestroyNotify) outbox_unref);
        g_source_attach (source, self->context);
        g_source_unref (source);
      }
    }
  return NULL;
}

PerchCommitter *
perch_committer_new (PerchStore *store, guint max_batch)
{
  PerchCommitter *self;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_new0 (PerchCommitter, 1);
  self->store = store;
  self->max_batch = max_batch > 0 ? max_batch : DEFAULT_MAX_BATCH;
  self->context = g_main_context_ref_thread_default ();
  self->queue = g_async_queue_new ();
  self->outbox = g_new0 (Outbox, 1);
  g_atomic_ref_count_init (&self->outbox->ref);
  g_mutex_init (&self->outbox->lock);
  g_queue_init (&self->outbox->done);
  self->outbox->committer = self;
  self->thread = g_thread_new ("perch-committer", writer_thread, self);
  return self;
}

void
perch_committer_submit (PerchCommitter *committer, PerchWrite *write,
                        PerchCommitFunc func, gpointer user_data)
{
  Job *job;

  g_return_if_fail (committer != NULL && write != NULL);

  job = g_new0 (Job, 1);
  job->write = write;
  job->func = func;
  job->user_data = user_data;
  committer->submitted++;
  g_atomic_int_inc (&committer->pending);
  g_async_queue_push (committer->queue, job);
}

guint
perch_committer_pending (PerchCommitter *committer)
{
  g_return_val_if_fail (committer != NULL, 0);
  return (guint) g_atomic_int_get (&committer->pending);
}

void
perch_committer_flush (PerchCommitter *committer)
{
  guint64 target;

  g_return_if_fail (committer != NULL);

  target = committer->submitted;
  while (committer->completed < target)
    {
      /* Completing here rather than only from the idle sources keeps a
       * flush called from inside a completion callback from waiting on a
       * source that GLib will not re-enter. */
      if (complete_one (committer->outbox))
        continue;
      g_main_context_iteration (committer->context, TRUE);
    }
}

void
perch_committer_free (PerchCommitter *committer)
{
  if (committer == NULL)
    return;
  perch_committer_flush (committer);
  g_async_queue_push (committer->queue, &stop_job);
  g_thread_join (committer->thread);
  /* Sources still attached run later against an empty FIFO. */
  committer->outbox->committer = NULL;
  outbox_unref (committer->outbox);
  g_async_queue_unref (committer->queue);
  g_main_context_unref (committer->context);
  g_free (committer);
}
