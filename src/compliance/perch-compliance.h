/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance.h: the compliance service inside perchd.
 *
 * Every JOIN, PART, CHAT, BACKCHAT, FILEUPLOAD, FILEDOWNLOAD, REMOVE, REPLACE
 * and CLEAR is written to the store's outbox in the same transaction as the
 * change it describes. This service empties the outbox into an adapter:
 * every compliance_run_interval seconds when compliance_enabled is true,
 * and on demand. A run takes the pending events in order, in bounded
 * batches, hands each batch to the adapter (XML files, or an external
 * command) and deletes the events only once the adapter has succeeded.
 *
 * Each event reaches the adapter's output exactly once, whatever crashes:
 * a batch's range is recorded durably before the adapter sees it, a range
 * left unfinished is redone with exactly the same events before anything
 * else, adapters name their output by the range so that a redo replaces
 * rather than adds, and the events are deleted in the transaction that
 * marks the range done. See perch-compliance.c.
 *
 * Runs happen on a worker thread with its own store handle; nothing here
 * blocks the main loop. Every function is called from the main thread. */
#pragma once

#include <gio/gio.h>
#include "perch-channel.h"

G_BEGIN_DECLS

#define PERCH_TYPE_COMPLIANCE (perch_compliance_get_type ())
G_DECLARE_FINAL_TYPE (PerchCompliance, perch_compliance, PERCH, COMPLIANCE, GObject)

/* The service for the server's STORE and CHANNEL (both must outlive it).
 * DATA_DIR holds the default output directory (DATA_DIR/compliance) and
 * the file store (DATA_DIR/files) that attachment manifests look in. */
PerchCompliance *perch_compliance_new (PerchStore *store, PerchChannel *channel, const char *data_dir,
                                       GError **error);
/* Stops scheduling, cancels a run in progress (an external command is
 * killed) and waits for its thread. The cancelled range is redone by the
 * next run, here or after a restart. Call before the channel goes. */
void perch_compliance_stop (PerchCompliance *self);

/* Runs now. When a run is already going, this waits for it and then for
 * one more, so that every event committed before the call is considered.
 * Fails with PERCH_ERROR_RULE when compliance_enabled is false, and with
 * the adapter's error when a batch could not be delivered (the events
 * stay and the error is recorded in the run). EVENTS: how many events
 * this run delivered. */
void     perch_compliance_run_now_async (PerchCompliance *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
gboolean perch_compliance_run_now_finish (PerchCompliance *self, GAsyncResult *result,
                                          guint64 *events, GError **error);

/* What the status page and the console show. */
typedef struct {
  gboolean    enabled;
  gboolean    running;          /* a run is in progress now */
  gint64      pending;          /* events waiting */
  gint64      pending_by_type[PERCH_EVENT_CLEAR + 1]; /* indexed by PerchEventType; [0] unused */
  gint64      oldest_pending_us;/* the oldest waiting event's time, 0 when none */
  gint64      next_run_us;      /* wall clock of the next scheduled run, 0 when none */
  char       *output_dir;       /* the XML adapter's directory, default resolved */
  GHashTable *config;           /* every compliance_* key -> the value in force */
  GPtrArray  *runs;             /* PerchComplianceRun*, newest first */
} PerchComplianceStatus;

void perch_compliance_status_free (PerchComplianceStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchComplianceStatus, perch_compliance_status_free)

#define PERCH_COMPLIANCE_STATUS_RUNS 20   /* runs a status shows */

PerchComplianceStatus *perch_compliance_status (PerchCompliance *self, GError **error);
/* Pending events with id > AFTER_ID, oldest first, at most LIMIT (1..1000;
 * 0 means 100): PerchEvent*. */
GPtrArray *perch_compliance_events (PerchCompliance *self, gint64 after_id, guint limit, GError **error);

/* ---- for tests ------------------------------------------------------------ */

typedef enum {
  PERCH_COMPLIANCE_STAGE_PLANNED,    /* the range is recorded; the adapter has not run */
  PERCH_COMPLIANCE_STAGE_DELIVERED,  /* the adapter succeeded; the run is not done yet */
} PerchComplianceStage;

/* Called on the worker thread at each stage of each batch. Returning FALSE
 * abandons the run there, as a crash would (nothing more is recorded). */
typedef gboolean (*PerchComplianceHook) (PerchComplianceStage stage, gint64 run_id, gpointer user_data);
void perch_compliance_set_test_hook (PerchCompliance *self, PerchComplianceHook hook, gpointer user_data);

/* The server's service, for perchd's SIGUSR1 (defined in perch-server.c;
 * declared here so that perch-server.h, shared with other work, stays as
 * it is). */
struct _PerchServer;
PerchCompliance *perch_server_get_compliance (struct _PerchServer *server);

G_END_DECLS
