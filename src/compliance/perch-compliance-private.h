/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-private.h: what the compliance service shares with its
 * adapters (perch-compliance-xml.c, perch-compliance-command.c).
 *
 * An adapter is a name and one function that delivers a batch: a range of
 * the outbox, fixed before the adapter is called. The contract that makes
 * delivery exactly-once: the same range may be delivered more than once
 * (after a crash, or after a failure), and each delivery must replace the
 * previous one's output rather than add to it; output must depend only on
 * the range's events and the configuration. Adapters run on the worker
 * thread and may block; they should check CANCELLABLE between steps. */
#pragma once

#include "perch-compliance.h"

G_BEGIN_DECLS

/* The configuration a run works with, read on the main thread when it
 * starts, so the worker never reads the channel. */
typedef struct {
  char     *adapter;            /* "xml" or "command" */
  char     *output_dir;         /* resolved */
  char     *files_dir;          /* where uploaded files are, by id */
  char     *domain;             /* for ma-chan:// URIs */
  char     *command;            /* compliance_command, "" when unset */
  guint     command_timeout_s;
  guint     batch;              /* events per batch at most */
  gboolean  one_room_per_file;
  gboolean  room_details;
  gboolean  user_details;
  gboolean  manifest;
} PerchComplianceSettings;

void perch_compliance_settings_free (PerchComplianceSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchComplianceSettings, perch_compliance_settings_free)

/* What the output says about a room when room details are asked for. */
typedef struct {
  char *name;
  char *category;               /* its category's name; NULL when unknown */
  char *privacy;                /* "open", "closed", "secret" */
} PerchComplianceRoom;

/* Room and user details looked up on the worker's store, once per run. */
typedef struct _PerchComplianceDetails PerchComplianceDetails;
const PerchComplianceRoom *perch_compliance_details_room (PerchComplianceDetails *details, const char *room_id);
const PerchUser           *perch_compliance_details_user (PerchComplianceDetails *details, const char *uri);

typedef struct {
  gint64                         run_id;
  gint64                         first_id;   /* the range, both ends included */
  gint64                         last_id;
  GPtrArray                     *events;     /* PerchEvent*, in id order, all in the range */
  const PerchComplianceSettings *settings;
  PerchComplianceDetails        *details;
} PerchComplianceBatch;

typedef struct {
  const char *name;
  gboolean  (*deliver) (const PerchComplianceBatch *batch, GCancellable *cancellable, GError **error);
} PerchComplianceAdapter;

extern const PerchComplianceAdapter perch_compliance_xml_adapter;
extern const PerchComplianceAdapter perch_compliance_command_adapter;

/* The batch's events of ROOM_ID (NULL: all) as one Lync-shaped
 * <Conversations> document: one Conversation per room, in order of each
 * room's first event. */
GString *perch_compliance_xml_document (const PerchComplianceBatch *batch, const char *room_id);

G_END_DECLS
