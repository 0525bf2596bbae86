/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-item.c: one room of GET /rooms, with typed getters.
 *
 * The Rooms page may hold 100,000 of these, so an item keeps only the
 * fields the console reads, copied out of the JSON when it is made (the
 * parsed JsonObject would cost several kilobytes a room). Values drawn
 * from small sets (privacy, type, invitations, category) are interned. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-room-item.h"

struct _PerchRoomItem {
  GObject     parent_instance;

  char       *id;
  char       *uri;
  char       *name;
  char       *description;
  const char *category;       /* interned */
  const char *privacy;        /* interned */
  const char *type;           /* interned */
  const char *invitations;    /* interned */
  char       *addin;          /* NULL: none */
  char       *last_post;      /* NULL: never */
  gint64      messages;
  gboolean    disabled;
  char      **members;
  char      **managers;
  char      **presenters;
};

G_DEFINE_FINAL_TYPE (PerchRoomItem, perch_room_item, G_TYPE_OBJECT)

static void
perch_room_item_finalize (GObject *object)
{
  PerchRoomItem *self = PERCH_ROOM_ITEM (object);

  g_free (self->id);
  g_free (self->uri);
  g_free (self->name);
  g_free (self->description);
  g_free (self->addin);
  g_free (self->last_post);
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

/* A list with no entries is NULL: most rooms have empty lists. */
static char **
dup_list (JsonObject *obj, const char *member)
{
  char **list = perch_json_get_strv (obj, member);
  if (list != NULL && list[0] == NULL)
    g_clear_pointer (&list, g_strfreev);
  return list;
}

PerchRoomItem *
perch_room_item_new (JsonObject *obj)
{
  g_return_val_if_fail (obj != NULL, NULL);
  PerchRoomItem *self = g_object_new (PERCH_TYPE_ROOM_ITEM, NULL);
  self->id = g_strdup (perch_json_get_string (obj, "id", ""));
  self->uri = g_strdup (perch_json_get_string (obj, "uri", ""));
  self->name = g_strdup (perch_json_get_string (obj, "name", ""));
  self->description = g_strdup (perch_json_get_string (obj, "description", ""));
  self->category = g_intern_string (perch_json_get_string (obj, "category", ""));
  self->privacy = g_intern_string (perch_json_get_string (obj, "privacy", "closed"));
  self->type = g_intern_string (perch_json_get_string (obj, "type", "normal"));
  self->invitations = g_intern_string (perch_json_get_string (obj, "invitations", "inherit"));
  self->addin = g_strdup (perch_json_get_string (obj, "addin", NULL));
  self->last_post = g_strdup (perch_json_get_string (obj, "last_post", NULL));
  self->messages = perch_json_get_int (obj, "messages", 0);
  self->disabled = perch_json_get_bool (obj, "disabled", FALSE);
  self->members = dup_list (obj, "members");
  self->managers = dup_list (obj, "managers");
  self->presenters = dup_list (obj, "presenters");
  return self;
}

#define GETTER(type, fn, field) \
  type fn (PerchRoomItem *self) { return self->field; }

GETTER (const char *, perch_room_item_get_id, id)
GETTER (const char *, perch_room_item_get_uri, uri)
GETTER (const char *, perch_room_item_get_name, name)
GETTER (const char *, perch_room_item_get_description, description)
GETTER (const char *, perch_room_item_get_category, category)
GETTER (const char *, perch_room_item_get_privacy, privacy)
GETTER (const char *, perch_room_item_get_room_type, type)
GETTER (const char *, perch_room_item_get_invitations, invitations)
GETTER (const char *, perch_room_item_get_addin, addin)
GETTER (const char *, perch_room_item_get_last_post, last_post)
GETTER (gboolean, perch_room_item_get_disabled, disabled)
GETTER (gint64, perch_room_item_get_messages, messages)

static const char *const no_principals[] = { NULL };

const char *const *
perch_room_item_get_members (PerchRoomItem *self)
{
  return self->members ? (const char *const *) self->members : no_principals;
}

const char *const *
perch_room_item_get_managers (PerchRoomItem *self)
{
  return self->managers ? (const char *const *) self->managers : no_principals;
}

const char *const *
perch_room_item_get_presenters (PerchRoomItem *self)
{
  return self->presenters ? (const char *const *) self->presenters : no_principals;
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
