/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-item.c: the room's JSON with typed getters. The lists are parsed
 * once, when the item is made, since rows read them on every bind. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-room-item.h"

struct _PerchRoomItem {
  GObject     parent_instance;

  JsonObject *json;
  char      **members;
  char      **managers;
  char      **presenters;
};

G_DEFINE_FINAL_TYPE (PerchRoomItem, perch_room_item, G_TYPE_OBJECT)

static void
perch_room_item_finalize (GObject *object)
{
  PerchRoomItem *self = PERCH_ROOM_ITEM (object);

  json_object_unref (self->json);
  g_strfreev (self->members);
  g_strfreev (self->managers);
  g_strfreev (self->presenters);

  G_OBJECT_CLASS (perch_room_item_parent_class)->finalize (object);
}

static void
perch_room_item_class_init (PerchRoomItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_room_item_finalize;
}

static void
perch_room_item_init (PerchRoomItem *self)
{
}

PerchRoomItem *
perch_room_item_new (JsonObject *obj)
{
  g_return_val_if_fail (obj != NULL, NULL);
  PerchRoomItem *self = g_object_new (PERCH_TYPE_ROOM_ITEM, NULL);
  self->json = json_object_ref (obj);
  self->members = perch_json_get_strv (obj, "members");
  self->managers = perch_json_get_strv (obj, "managers");
  self->presenters = perch_json_get_strv (obj, "presenters");
  return self;
}

JsonObject *
perch_room_item_get_json (PerchRoomItem *self)
{
  return self->json;
}

#define STRING_GETTER(fn, member, fallback) \
  const char *fn (PerchRoomItem *self) { return perch_json_get_string (self->json, member, fallback); }

STRING_GETTER (perch_room_item_get_id, "id", "")
STRING_GETTER (perch_room_item_get_uri, "uri", "")
STRING_GETTER (perch_room_item_get_name, "name", "")
STRING_GETTER (perch_room_item_get_description, "description", "")
STRING_GETTER (perch_room_item_get_category, "category", "")
STRING_GETTER (perch_room_item_get_privacy, "privacy", "closed")
STRING_GETTER (perch_room_item_get_room_type, "type", "normal")
STRING_GETTER (perch_room_item_get_invitations, "invitations", "inherit")
STRING_GETTER (perch_room_item_get_addin, "addin", NULL)
STRING_GETTER (perch_room_item_get_last_post, "last_post", NULL)

gboolean
perch_room_item_get_disabled (PerchRoomItem *self)
{
  return perch_json_get_bool (self->json, "disabled", FALSE);
}

gint64
perch_room_item_get_messages (PerchRoomItem *self)
{
  return perch_json_get_int (self->json, "messages", 0);
}

const char *const *
perch_room_item_get_members (PerchRoomItem *self)
{
  return (const char *const *) self->members;
}

const char *const *
perch_room_item_get_managers (PerchRoomItem *self)
{
  return (const char *const *) self->managers;
}

const char *const *
perch_room_item_get_presenters (PerchRoomItem *self)
{
  return (const char *const *) self->presenters;
}

const char *
perch_principal_display (const char *principal)
{
  if (principal != NULL && g_str_has_prefix (principal, "sip:"))
    return principal + 4;
  return principal;
}

const char *
perch_privacy_label (const char *privacy)
{
  if (g_strcmp0 (privacy, "open") == 0)
    return C_("privacy", "Open");
  if (g_strcmp0 (privacy, "secret") == 0)
    return C_("privacy", "Secret");
  return C_("privacy", "Closed");
}

const char *
perch_room_type_label (const char *type)
{
  if (g_strcmp0 (type, "auditorium") == 0)
    return C_("room type", "Auditorium");
  return C_("room type", "Normal");
}

char *
perch_format_when (const char *iso8601)
{
  if (iso8601 == NULL)
    return g_strdup (C_("last activity", "Never"));
  g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (iso8601, NULL);
  if (when == NULL)
    return g_strdup (iso8601);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GTimeSpan ago = g_date_time_difference (now, when);
  if (ago < G_TIME_SPAN_MINUTE)
    return g_strdup (_("Just now"));
  if (ago < G_TIME_SPAN_HOUR)
    return g_strdup_printf (g_dngettext (NULL, "%d minute ago", "%d minutes ago", (gulong) (ago / G_TIME_SPAN_MINUTE)),
                            (int) (ago / G_TIME_SPAN_MINUTE));
  if (ago < G_TIME_SPAN_DAY)
    return g_strdup_printf (g_dngettext (NULL, "%d hour ago", "%d hours ago", (gulong) (ago / G_TIME_SPAN_HOUR)),
                            (int) (ago / G_TIME_SPAN_HOUR));
  if (ago < 2 * G_TIME_SPAN_DAY)
    return g_strdup (_("Yesterday"));
  g_autoptr(GDateTime) local = g_date_time_to_local (when);
  /* Translators: a date in the rooms list, see g_date_time_format() */
  return g_date_time_format (local, _("%-d %b %Y"));
}
