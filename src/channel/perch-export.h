/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-export.h: Export-/Import-CsPersistentChatData.
 *
 * An archive is JSON Lines: a header line, then one line per category, room
 * (with its member, manager and presenter lists) and message, then a
 * trailer with the counts, so a truncated archive is refused rather than
 * half imported. Written and read as a stream: an archive of millions of
 * messages never sits in memory. Administrators only. */
#pragma once

#include <gio/gio.h>
#include "perch-channel.h"

G_BEGIN_DECLS

#define PERCH_EXPORT_FORMAT  "perch-export"
#define PERCH_EXPORT_VERSION 1
#define PERCH_EXPORT_MAX_LINE (4 * 1024 * 1024)

typedef struct {
  const char *const *categories;  /* names; NULL: every category */
  gint64             from_us;     /* content from this time (0: all) */
  gint64             to_us;       /* content up to this time (0: all) */
  gboolean           no_content;  /* structure only */
} PerchExportOptions;

typedef struct {
  guint      categories_created;
  guint      categories_existing;  /* matched by name and used as they are */
  guint      rooms_created;
  guint      rooms_skipped;        /* a room of that name exists: left alone, content not imported */
  guint64    messages;
  GPtrArray *notes;                /* of char*: what was skipped and why */
} PerchImportReport;

void perch_import_report_free (PerchImportReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchImportReport, perch_import_report_free)

gboolean perch_admin_export (PerchChannel *channel, const PerchPrincipal *actor,
                             const PerchExportOptions *options, GOutputStream *out,
                             GCancellable *cancellable, GError **error);

/* Applies the archive in FILE: categories by name (created when missing),
 * rooms by name (created with their archived id when it is free; an
 * existing room of that name is skipped with a note), then content. The
 * whole file is checked first (every line, and the trailer's counts), so a
 * malformed or truncated archive changes nothing; the error names the line. */
PerchImportReport *perch_admin_import (PerchChannel *channel, const PerchPrincipal *actor,
                                       GFile *file, GCancellable *cancellable, GError **error);

G_END_DECLS
