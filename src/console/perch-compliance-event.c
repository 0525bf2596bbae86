/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-event.c: the event's JSON with typed getters; its time
 * is formatted once, when the item is made, since rows read it on every
 * bind. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-compliance-event.h"
#include "perch-room-item.h"

struct _PerchComplianceEvent {
  GObject     parent_instance;

  JsonObject *json;
  char       *time;     /* local, to the second */
};

G_DEFINE_FINAL_TYPE (PerchComplianceEvent, perch_compliance_event, G_TYPE_OBJECT)

static void
perch_compliance_event_finalize (GObject *object)
{
  PerchComplianceEvent *self = PERCH_COMPLIANCE_EVENT (object);

  json_object_unref (self->json);
  g_free (self->time);

  G_OBJECT_CLASS (perch_compliance_event_parent_class)->finalize (object);
}

static void
perch_compliance_event_class_init (PerchComplianceEventClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_compliance_event_finalize;
}

static void
perch_compliance_event_init (PerchComplianceEvent *self)
{
}

char *
perch_compliance_format_time (const char *iso8601, const char *fallback)
{
  g_autoptr(GDateTime) when = iso8601 ? g_date_time_new_from_iso8601 (iso8601, NULL) : NULL;
  if (when == NULL)
    return g_strdup (fallback);
  g_autoptr(GDateTime) local = g_date_time_to_local (when);
  /* Translators: a compliance event's or run's time, see g_date_time_format() */
  return g_date_time_format (local, _("%Y-%m-%d %H:%M:%S"));
}

PerchComplianceEvent *
perch_compliance_event_new (JsonObject *obj)
{
  g_return_val_if_fail (obj != NULL, NULL);
  PerchComplianceEvent *self = g_object_new (PERCH_TYPE_COMPLIANCE_EVENT, NULL);
  self->json = json_object_ref (obj);
  self->time = perch_compliance_format_time (perch_json_get_string (obj, "ts", NULL), "");
  return self;
}

gint64
perch_compliance_event_get_id (PerchComplianceEvent *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_EVENT (self), 0);
  return perch_json_get_int (self->json, "id", 0);
}

const char *
perch_compliance_event_get_event_type (PerchComplianceEvent *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_EVENT (self), NULL);
  return perch_json_get_string (self->json, "type", "");
}

const char *
perch_compliance_event_get_room (PerchComplianceEvent *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_EVENT (self), NULL);
  return perch_json_get_string (self->json, "room", "");
}

const char *
perch_compliance_event_get_user (PerchComplianceEvent *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_EVENT (self), NULL);
  return perch_principal_display (perch_json_get_string (self->json, "user", ""));
}

const char *
perch_compliance_event_get_content (PerchComplianceEvent *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_EVENT (self), NULL);
  return perch_json_get_string (self->json, "content", "");
}

const char *
perch_compliance_event_get_time (PerchComplianceEvent *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_EVENT (self), NULL);
  return self->time;
}
