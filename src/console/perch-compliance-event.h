/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-event.h: one pending compliance event as
 * GET /api/v1/compliance/events lists it: an immutable item of the
 * Compliance page's list of events. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_COMPLIANCE_EVENT (perch_compliance_event_get_type ())
G_DECLARE_FINAL_TYPE (PerchComplianceEvent, perch_compliance_event, PERCH, COMPLIANCE_EVENT, GObject)

/* OBJ is the event's JSON; it is referenced, not copied. */
PerchComplianceEvent *perch_compliance_event_new (JsonObject *obj);

gint64      perch_compliance_event_get_id (PerchComplianceEvent *self);
const char *perch_compliance_event_get_event_type (PerchComplianceEvent *self); /* "CHAT", "JOIN", ... */
const char *perch_compliance_event_get_room (PerchComplianceEvent *self);       /* the room's id */
const char *perch_compliance_event_get_user (PerchComplianceEvent *self);       /* "alice@example.test" */
const char *perch_compliance_event_get_content (PerchComplianceEvent *self);    /* "" when none */
/* The event's time in the local zone, "2026-11-24 09:15:02". */
const char *perch_compliance_event_get_time (PerchComplianceEvent *self);

/* An ISO 8601 time from the server in the local zone, to the second;
 * FALLBACK (copied) when ISO8601 is NULL or not a time. */
char       *perch_compliance_format_time (const char *iso8601, const char *fallback);

G_END_DECLS
