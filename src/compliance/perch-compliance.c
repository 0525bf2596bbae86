/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance.c: the compliance service: scheduling, the run on a
 * worker thread, exactly-once delivery, and status.
 *
 * Exactly once, after a crash at any point. The store's compliance_runs
 * table holds one row per batch ("run"), and the newest row is the only one
 * that can be unfinished:
 *
 *  1. A run picks its range — the oldest pending events, at most
 *     compliance_batch of them — and records it as planned, durably, before
 *     any adapter sees it.
 *  2. The adapter delivers the range. Its output is named by the range and
 *     replaces whatever an earlier delivery of the same range left.
 *  3. One transaction deletes the range's events and marks the run done.
 *
 * A crash before 1 leaves nothing to undo. A crash between 1 and 3 leaves
 * the newest run planned: the next run (after the restart) redoes exactly
 * that range before it looks at anything else, so the second delivery
 * replaces the first, and then finishes it with step 3. A crash after 3
 * leaves nothing either. An adapter failure marks the run failed and keeps
 * the events; because a failed delivery may have produced part of its
 * output, the range stays fixed: the next attempt plans the same range
 * again (a new row) rather than a longer one, so its output replaces the
 * partial one instead of overlapping it. Only after a range is done is a
 * new range chosen, starting after it.
 *
 * Threads. The worker owns a second store handle (perch_store_open_again)
 * and uses it for one run at a time, so that handle's "main" connection is
 * only ever used by one thread at once. The main thread reads the
 * configuration when a run starts and hands the worker a copy; it reads
 * status from the server's store. perch_compliance_stop waits for the
 * worker before anything it uses goes away. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "perch-compliance-private.h"

#define TICK_SECONDS      10              /* how often the schedule and the configuration are looked at */
#define CHUNK             500             /* events read from the store at a time */
#define BATCH_BYTES       (32 << 20)      /* a batch stops growing past this much text */
#define MAX_BATCHES       200             /* per run: a busy outbox does not keep one run going forever */
#define EVENTS_PAGE_MAX   1000

struct _PerchCompliance {
  GObject        parent;
  PerchStore    *store;          /* the server's: main thread only */
  PerchChannel  *channel;
  PerchStore    *wstore;         /* the worker's own handle */
  char          *data_dir;
  GCancellable  *cancellable;    /* cancelled by stop */
  guint          tick;
  gint64         anchor_us;      /* monotonic: the interval counts from here (last run, or enabling); 0: disabled */
  gboolean       redo_soon;      /* a crash left a range planned: run at the first tick */
  gboolean       running;
  gboolean       stopped;
  GPtrArray     *waiters;        /* GTask*: completed when the run in progress ends */
  GPtrArray     *queued;         /* GTask*: want a run after the one in progress */
  GMutex         lock;           /* with cond: worker threads still running, for stop */
  GCond          cond;
  guint          workers;        /* a count, not a flag: a finished run's thread may
                                    still be on its way out when the next starts */
  PerchComplianceHook hook;
  gpointer       hook_data;
};

G_DEFINE_FINAL_TYPE (PerchCompliance, perch_compliance, G_TYPE_OBJECT)

void
perch_compliance_settings_free (PerchComplianceSettings *settings)
{
  if (settings == NULL)
    return;
  g_free (settings->adapter);
  g_free (settings->output_dir);
  g_free (settings->files_dir);
  g_free (settings->domain);
  g_free (settings->command);
  g_free (settings);
}

/* ---- configuration ----------------------------------------------------------- */

static gboolean
config_bool (PerchCompliance *self, const char *key)
{
  g_autofree char *v = perch_channel_config_value (self->channel, key);
  return v != NULL && (strcmp (v, "true") == 0 || strcmp (v, "1") == 0);
}

static guint
config_uint (PerchCompliance *self, const char *key)
{
  g_autofree char *v = perch_channel_config_value (self->channel, key);
  return v != NULL ? (guint) g_ascii_strtoull (v, NULL, 10) : 0;
}

static char *
output_dir (PerchCompliance *self)
{
  g_autofree char *dir = perch_channel_config_value (self->channel, "compliance_output_dir");
  if (dir == NULL || *dir == '\0')
    return g_build_filename (self->data_dir, "compliance", NULL);
  return g_steal_pointer (&dir);
}

static PerchComplianceSettings *
read_settings (PerchCompliance *self)
{
  PerchComplianceSettings *s = g_new0 (PerchComplianceSettings, 1);
  s->adapter = perch_channel_config_value (self->channel, "compliance_adapter");
  s->output_dir = output_dir (self);
  s->files_dir = g_build_filename (self->data_dir, "files", NULL);
  s->domain = g_strdup (perch_channel_get_config (self->channel)->domain);
  s->command = perch_channel_config_value (self->channel, "compliance_command");
  s->command_timeout_s = MAX (1, config_uint (self, "compliance_command_timeout"));
  s->batch = MAX (1, config_uint (self, "compliance_batch"));
  s->one_room_per_file = config_bool (self, "compliance_one_room_per_file");
  s->room_details = config_bool (self, "compliance_add_room_details");
  s->user_details = config_bool (self, "compliance_add_user_details");
  s->manifest = config_bool (self, "compliance_create_attachment_manifest");
  return s;
}

static const PerchComplianceAdapter *
adapter_named (const char *name)
{
  static const PerchComplianceAdapter *const adapters[] = {
    &perch_compliance_xml_adapter,
    &perch_compliance_command_adapter,
  };
  for (guint i = 0; i < G_N_ELEMENTS (adapters); i++)
    if (g_strcmp0 (adapters[i]->name, name) == 0)
      return adapters[i];
  return NULL;
}

/* ---- details, looked up on the worker's store ------------------------------ */

struct _PerchComplianceDetails {
  PerchStore *store;
  GHashTable *rooms;       /* room id -> PerchComplianceRoom* (NULL value: no such room) */
  GHashTable *users;       /* uri -> PerchUser* (NULL value: no such user) */
  GHashTable *categories;  /* gint64* id -> name; NULL until first needed */
};

static void
compliance_room_free (PerchComplianceRoom *room)
{
  if (room == NULL)
    return;
  g_free (room->name);
  g_free (room->category);
  g_free (room->privacy);
  g_free (room);
}

static PerchComplianceDetails *
details_new (PerchStore *store)
{
  PerchComplianceDetails *d = g_new0 (PerchComplianceDetails, 1);
  d->store = store;
  d->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) compliance_room_free);
  d->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) perch_user_free);
  return d;
}

static void
details_free (PerchComplianceDetails *d)
{
  if (d == NULL)
    return;
  g_hash_table_unref (d->rooms);
  g_hash_table_unref (d->users);
  g_clear_pointer (&d->categories, g_hash_table_unref);
  g_free (d);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchComplianceDetails, details_free)

const PerchComplianceRoom *
perch_compliance_details_room (PerchComplianceDetails *d, const char *room_id)
{
  gpointer value;
  if (g_hash_table_lookup_extended (d->rooms, room_id, NULL, &value))
    return value;
  if (d->categories == NULL)
    {
      d->categories = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
      g_autoptr(GPtrArray) cats = perch_store_category_list (d->store, NULL);
      for (guint i = 0; cats != NULL && i < cats->len; i++)
        {
          PerchCategory *cat = g_ptr_array_index (cats, i);
          g_hash_table_insert (d->categories, g_memdup2 (&cat->id, sizeof cat->id), g_strdup (cat->name));
        }
    }
  /* A room deleted since its events were recorded has no details. */
  g_autoptr(PerchRoomInfo) info = perch_store_room_get (d->store, room_id, NULL);
  PerchComplianceRoom *room = NULL;
  if (info != NULL)
    {
      room = g_new0 (PerchComplianceRoom, 1);
      room->name = g_strdup (info->name);
      room->category = g_strdup (g_hash_table_lookup (d->categories, &info->category_id));
      room->privacy = g_strdup (perch_privacy_to_string (info->privacy));
    }
  g_hash_table_insert (d->rooms, g_strdup (room_id), room);
  return room;
}

const PerchUser *
perch_compliance_details_user (PerchComplianceDetails *d, const char *uri)
{
  gpointer value;
  if (g_hash_table_lookup_extended (d->users, uri, NULL, &value))
    return value;
  PerchUser *user = perch_store_user_get (d->store, uri);
  g_hash_table_insert (d->users, g_strdup (uri), user);
  return user;
}

/* ---- the run, on the worker thread ----------------------------------------- */

typedef struct {
  PerchStore              *store;      /* the worker's handle, borrowed */
  PerchComplianceSettings *settings;
  PerchComplianceHook      hook;
  gpointer                 hook_data;
} Job;

static void
job_free (Job *job)
{
  perch_compliance_settings_free (job->settings);
  g_free (job);
}

typedef struct {
  guint64 events;     /* delivered by this run */
  guint   batches;
} Outcome;

static gsize
event_bytes (const PerchEvent *ev)
{
  return 64 + (ev->content ? strlen (ev->content) : 0) + (ev->room_id ? strlen (ev->room_id) : 0)
         + (ev->user ? strlen (ev->user) : 0);
}

/* The events of FIRST..LAST, in order. */
static GPtrArray *
read_range (PerchStore *store, gint64 first, gint64 last, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_event_free);
  gint64 after = first - 1;
  for (;;)
    {
      g_autoptr(GPtrArray) chunk = perch_store_events_pending (store, after, CHUNK, error);
      if (chunk == NULL)
        return NULL;
      for (guint i = 0; i < chunk->len; i++)
        {
          PerchEvent *ev = g_ptr_array_index (chunk, i);
          if (ev->id > last)
            return g_steal_pointer (&out);
          g_ptr_array_add (out, g_steal_pointer (&chunk->pdata[i]));
          after = ev->id;
        }
      if (chunk->len < CHUNK)
        return g_steal_pointer (&out);
    }
}

/* The next batch: the oldest events after AFTER, at most BATCH of them and
 * not much more than BATCH_BYTES of text, so a batch's memory is bounded
 * even when posts are large. */
static GPtrArray *
read_batch (PerchStore *store, gint64 after, guint batch, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_event_free);
  gsize bytes = 0;
  while (out->len < batch && bytes < BATCH_BYTES)
    {
      guint want = MIN (CHUNK, batch - out->len);
      g_autoptr(GPtrArray) chunk = perch_store_events_pending (store, after, want, error);
      if (chunk == NULL)
        return NULL;
      for (guint i = 0; i < chunk->len && bytes < BATCH_BYTES; i++)
        {
          PerchEvent *ev = g_ptr_array_index (chunk, i);
          bytes += event_bytes (ev);
          after = ev->id;
          g_ptr_array_add (out, g_steal_pointer (&chunk->pdata[i]));
        }
      if (chunk->len < want)
        break;
    }
  return g_steal_pointer (&out);
}

static gboolean
hook_says_go_on (Job *job, PerchComplianceStage stage, gint64 run_id, GError **error)
{
  if (job->hook == NULL || job->hook (stage, run_id, job->hook_data))
    return TRUE;
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "run %" G_GINT64_FORMAT " abandoned by the test hook", run_id);
  return FALSE;
}

/* One batch: redo the unfinished range if there is one, else plan the next.
 * Returns FALSE with ERROR on failure; *MORE is FALSE when there was
 * nothing to do, TRUE when a range was done (more may be waiting). */
static gboolean
run_batch (Job *job, const PerchComplianceAdapter *adapter, PerchComplianceDetails *details,
           GCancellable *cancellable, guint *delivered, gboolean *more, GError **error)
{
  PerchStore *store = job->store;
  g_autoptr(GPtrArray) events = NULL;
  gint64 run_id = 0, first, last;

  *delivered = 0;
  *more = FALSE;
  g_autoptr(GPtrArray) latest = perch_store_compliance_runs (store, 0, 1, error);
  if (latest == NULL)
    return FALSE;
  PerchComplianceRun *open = latest->len > 0 ? g_ptr_array_index (latest, 0) : NULL;
  if (open != NULL && open->state != PERCH_RUN_DONE)
    {
      /* Unfinished (a crash) or failed: its output may exist in part or in
       * full, so exactly this range is delivered again, to replace it. */
      first = open->first_event_id;
      last = open->last_event_id;
      events = read_range (store, first, last, error);
      if (events == NULL)
        return FALSE;
      if (events->len != (guint) open->events)
        g_message ("compliance run %" G_GINT64_FORMAT " planned %" G_GINT64_FORMAT " events, the store holds %u",
                   open->id, open->events, events->len);
      if (open->state == PERCH_RUN_PLANNED)
        run_id = open->id;
    }
  else
    {
      /* After the last range done: nothing at or below it is pending. */
      events = read_batch (store, open != NULL ? open->last_event_id : 0, job->settings->batch, error);
      if (events == NULL)
        return FALSE;
      if (events->len == 0)
        return TRUE;
      first = ((PerchEvent *) g_ptr_array_index (events, 0))->id;
      last = ((PerchEvent *) g_ptr_array_index (events, events->len - 1))->id;
    }
  if (run_id == 0)
    {
      run_id = perch_store_compliance_plan (store, first, last, events->len, adapter->name, error);
      if (run_id == 0)
        return FALSE;
    }
  if (!hook_says_go_on (job, PERCH_COMPLIANCE_STAGE_PLANNED, run_id, error))
    return FALSE;

  gint64 started = g_get_monotonic_time ();
  PerchComplianceBatch batch = {
    .run_id = run_id, .first_id = first, .last_id = last, .events = events,
    .settings = job->settings, .details = details,
  };
  g_autoptr(GError) failure = NULL;
  gboolean ok = events->len == 0 || adapter->deliver (&batch, cancellable, &failure);
  gint64 duration_ms = (g_get_monotonic_time () - started) / 1000;
  if (!ok)
    {
      g_autoptr(GError) local = NULL;
      /* A stop is not the adapter's failure: the run stays planned and is
       * redone after the restart. */
      if (!g_error_matches (failure, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !perch_store_compliance_failed (store, run_id, failure->message, duration_ms, &local))
        g_message ("compliance run %" G_GINT64_FORMAT ": %s (and recording it failed: %s)", run_id,
                   failure->message, local->message);
      g_propagate_prefixed_error (error, g_steal_pointer (&failure), "events %" G_GINT64_FORMAT "..%"
                                  G_GINT64_FORMAT ": ", first, last);
      return FALSE;
    }
  if (!hook_says_go_on (job, PERCH_COMPLIANCE_STAGE_DELIVERED, run_id, error))
    return FALSE;
  /* If this fails the run stays planned, and the next run redoes it. */
  if (!perch_store_compliance_done (store, run_id, duration_ms, error))
    return FALSE;
  *delivered = events->len;
  *more = TRUE;
  return TRUE;
}

static void
run_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PerchCompliance *self = source;
  Job *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchComplianceDetails) details = details_new (job->store);
  Outcome *outcome = g_new0 (Outcome, 1);
  const PerchComplianceAdapter *adapter = adapter_named (job->settings->adapter);

  if (adapter == NULL)
    g_set_error (&error, PERCH_ERROR, PERCH_ERROR_FAILED, "no compliance adapter “%s”", job->settings->adapter);
  for (guint i = 0; error == NULL && i < MAX_BATCHES; i++)
    {
      guint delivered = 0;
      gboolean more = FALSE;
      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        break;
      if (!run_batch (job, adapter, details, cancellable, &delivered, &more, &error))
        break;
      outcome->events += delivered;
      outcome->batches += more;
      if (!more)
        break;
    }
  if (error != NULL)
    {
      g_free (outcome);
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    g_task_return_pointer (task, outcome, g_free);

  /* Last: perch_compliance_stop may free what this thread used once it
   * sees this. */
  g_mutex_lock (&self->lock);
  self->workers--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* ---- scheduling, on the main thread ---------------------------------------- */

static void start_run (PerchCompliance *self);

static void
complete_waiters (GPtrArray *waiters, const Outcome *outcome, const GError *error)
{
  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *t = g_ptr_array_index (waiters, i);
      if (error != NULL)
        g_task_return_error (t, g_error_copy (error));
      else
        g_task_return_pointer (t, g_memdup2 (outcome, sizeof *outcome), g_free);
    }
  g_ptr_array_set_size (waiters, 0);
}

static void
run_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PerchCompliance *self = PERCH_COMPLIANCE (source);
  g_autoptr(GError) error = NULL;
  g_autofree Outcome *outcome = g_task_propagate_pointer (G_TASK (result), &error);

  self->running = FALSE;
  /* An adapter failure is the archive's trouble, not a bug in perchd: it
   * is recorded in the run and shown by the status, and logged here. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("compliance: %s", error->message);
  else if (outcome != NULL && outcome->events > 0)
    g_debug ("compliance: %" G_GUINT64_FORMAT " events delivered in %u batches", outcome->events, outcome->batches);
  complete_waiters (self->waiters, outcome, error);
  if (!self->stopped && self->queued->len > 0)
    start_run (self);
}

static void
start_run (PerchCompliance *self)
{
  Job *job = g_new0 (Job, 1);
  job->store = self->wstore;
  job->settings = read_settings (self);
  job->hook = self->hook;
  job->hook_data = self->hook_data;

  /* Whoever asked for a run from here on gets this one. */
  g_ptr_array_extend_and_steal (self->waiters, g_steal_pointer (&self->queued));
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
  self->running = TRUE;
  self->anchor_us = g_get_monotonic_time ();

  GTask *task = g_task_new (self, self->cancellable, run_finished, NULL);
  g_task_set_source_tag (task, start_run);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_mutex_lock (&self->lock);
  self->workers++;
  g_mutex_unlock (&self->lock);
  g_task_run_in_thread (task, run_thread);
  g_object_unref (task);
}

static gboolean
tick (gpointer data)
{
  PerchCompliance *self = data;
  gint64 now = g_get_monotonic_time ();

  if (!config_bool (self, "compliance_enabled"))
    {
      self->anchor_us = 0;
      return G_SOURCE_CONTINUE;
    }
  if (self->anchor_us == 0)
    self->anchor_us = now;
  /* Read each time: an administrator may change the interval at any time,
   * and the next run moves with it. */
  gint64 interval = (gint64) config_uint (self, "compliance_run_interval") * G_USEC_PER_SEC;
  if (!self->running && (self->redo_soon || now >= self->anchor_us + interval))
    {
      self->redo_soon = FALSE;
      start_run (self);
    }
  return G_SOURCE_CONTINUE;
}

/* ---- the object ---------------------------------------------------------------- */

static void
perch_compliance_finalize (GObject *object)
{
  PerchCompliance *self = PERCH_COMPLIANCE (object);

  perch_compliance_stop (self);
  g_clear_pointer (&self->wstore, perch_store_close);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->waiters, g_ptr_array_unref);
  g_clear_pointer (&self->queued, g_ptr_array_unref);
  g_free (self->data_dir);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (perch_compliance_parent_class)->finalize (object);
}

static void
perch_compliance_class_init (PerchComplianceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_compliance_finalize;
}

static void
perch_compliance_init (PerchCompliance *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->cancellable = g_cancellable_new ();
  self->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
}

PerchCompliance *
perch_compliance_new (PerchStore *store, PerchChannel *channel, const char *data_dir, GError **error)
{
  g_return_val_if_fail (store != NULL && channel != NULL && data_dir != NULL, NULL);

  g_autoptr(PerchCompliance) self = g_object_new (PERCH_TYPE_COMPLIANCE, NULL);
  self->store = store;
  self->channel = channel;
  self->data_dir = g_strdup (data_dir);
  self->wstore = perch_store_open_again (store, error);
  if (self->wstore == NULL)
    {
      g_prefix_error (error, "compliance: ");
      return NULL;
    }
  /* Writing a batch to a command that exits without reading it must be an
   * error for that run, not the end of perchd. GSocket does the same for
   * the whole process, so this changes nothing in a running perchd. */
  signal (SIGPIPE, SIG_IGN);

  /* A range left planned by a crash is redone at the first tick rather than
   * a whole interval later. */
  g_autoptr(GPtrArray) latest = perch_store_compliance_runs (store, 0, 1, NULL);
  if (latest != NULL && latest->len > 0 &&
      ((PerchComplianceRun *) g_ptr_array_index (latest, 0))->state == PERCH_RUN_PLANNED)
    self->redo_soon = TRUE;
  self->tick = g_timeout_add_seconds (TICK_SECONDS, tick, self);
  return g_steal_pointer (&self);
}

void
perch_compliance_stop (PerchCompliance *self)
{
  g_return_if_fail (PERCH_IS_COMPLIANCE (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  g_clear_handle_id (&self->tick, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_mutex_lock (&self->lock);
  while (self->workers > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  /* No run starts after a stop: the worker's handle can go now rather than
   * whenever the last reference does. */
  g_clear_pointer (&self->wstore, perch_store_close);
  /* The run's own completion still comes through the main loop (with the
   * task's reference on us); those waiting for a later run will not get one. */
  GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "the compliance service stopped");
  complete_waiters (self->queued, NULL, error);
  g_error_free (error);
}

void
perch_compliance_set_test_hook (PerchCompliance *self, PerchComplianceHook hook, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_COMPLIANCE (self));
  self->hook = hook;
  self->hook_data = user_data;
}

void
perch_compliance_run_now_async (PerchCompliance *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_COMPLIANCE (self));

  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_compliance_run_now_async);
  if (self->stopped)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the compliance service stopped");
      return;
    }
  if (!config_bool (self, "compliance_enabled"))
    {
      g_task_return_new_error (task, PERCH_ERROR, PERCH_ERROR_RULE,
                               "compliance is not enabled (compliance_enabled is false)");
      return;
    }
  g_ptr_array_add (self->queued, g_steal_pointer (&task));
  if (!self->running)
    start_run (self);
}

gboolean
perch_compliance_run_now_finish (PerchCompliance *self, GAsyncResult *result, guint64 *events, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  g_autofree Outcome *outcome = g_task_propagate_pointer (G_TASK (result), error);
  if (events != NULL)
    *events = outcome != NULL ? outcome->events : 0;
  return outcome != NULL;
}

/* ---- status ------------------------------------------------------------------------ */

void
perch_compliance_status_free (PerchComplianceStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->output_dir);
  g_clear_pointer (&status->config, g_hash_table_unref);
  g_clear_pointer (&status->runs, g_ptr_array_unref);
  g_free (status);
}

PerchComplianceStatus *
perch_compliance_status (PerchCompliance *self, GError **error)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE (self), NULL);

  g_autoptr(PerchComplianceStatus) st = g_new0 (PerchComplianceStatus, 1);
  if (!perch_store_events_summary (self->store, st->pending_by_type, &st->oldest_pending_us, error))
    return NULL;
  st->pending = st->pending_by_type[0];
  st->pending_by_type[0] = 0;
  st->runs = perch_store_compliance_runs (self->store, 0, PERCH_COMPLIANCE_STATUS_RUNS, error);
  if (st->runs == NULL)
    return NULL;
  st->enabled = config_bool (self, "compliance_enabled");
  st->running = self->running;
  if (st->enabled)
    {
      /* What the next tick would decide, on the wall clock. */
      gint64 now = g_get_monotonic_time ();
      gint64 interval = (gint64) config_uint (self, "compliance_run_interval") * G_USEC_PER_SEC;
      gint64 due = self->redo_soon ? now : (self->anchor_us != 0 ? self->anchor_us : now) + interval;
      st->next_run_us = perch_now_us () + MAX (0, due - now);
    }
  st->output_dir = output_dir (self);
  st->config = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; perch_channel_config_keys[i] != NULL; i++)
    if (g_str_has_prefix (perch_channel_config_keys[i], "compliance_"))
      g_hash_table_insert (st->config, (gpointer) perch_channel_config_keys[i],
                           perch_channel_config_value (self->channel, perch_channel_config_keys[i]));
  return g_steal_pointer (&st);
}

GPtrArray *
perch_compliance_events (PerchCompliance *self, gint64 after_id, guint limit, GError **error)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE (self), NULL);
  if (limit == 0)
    limit = 100;
  return perch_store_events_pending (self->store, MAX (after_id, 0), MIN (limit, EVENTS_PAGE_MAX), error);
}
