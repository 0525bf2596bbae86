/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-page.h: the Compliance page: the queue as
 * GET /api/v1/compliance tells it (pending events by type, the oldest, the
 * next run, the last runs with their outcome and errors), refreshed every
 * few seconds while shown; the compliance_* configuration, editable where
 * the server lets it be changed over HTTP (PATCH /config) and read-only
 * where it is set only where the server runs; the pending events in a
 * list paged from GET /compliance/events as it is scrolled; and "Run Now"
 * (POST /compliance/run). The server's refusals are shown by what was
 * refused, in its words.
 *
 * Property "connection"; actions page.refresh, compliance.run. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_COMPLIANCE_REFRESH_SECONDS 10
#define PERCH_COMPLIANCE_EVENTS_PAGE_SIZE 100

#define PERCH_TYPE_COMPLIANCE_PAGE (perch_compliance_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchCompliancePage, perch_compliance_page, PERCH, COMPLIANCE_PAGE, AdwBin)

PerchConnection *perch_compliance_page_get_connection (PerchCompliancePage *self);
void             perch_compliance_page_set_connection (PerchCompliancePage *self, PerchConnection *connection);
/* The pending events loaded so far, oldest first (PerchComplianceEvent). */
GListModel      *perch_compliance_page_get_events (PerchCompliancePage *self);
/* Events asked for at once (1 to 1000; PERCH_COMPLIANCE_EVENTS_PAGE_SIZE
 * unless set); takes effect at the next refresh. */
void             perch_compliance_page_set_events_page_size (PerchCompliancePage *self, guint page_size);
/* Whether a GET of the queue or of a page of events is under way. */
gboolean         perch_compliance_page_get_loading (PerchCompliancePage *self);

G_END_DECLS
