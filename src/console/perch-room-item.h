/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-item.h: one room as GET /api/v1/rooms lists it: an immutable item
 * of the Rooms page's list model. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_ROOM_ITEM (perch_room_item_get_type ())
G_DECLARE_FINAL_TYPE (PerchRoomItem, perch_room_item, PERCH, ROOM_ITEM, GObject)

/* OBJ is the room's JSON; it is referenced, not copied. */
PerchRoomItem          *perch_room_item_new (JsonObject *obj);

const char         *perch_room_item_get_id (PerchRoomItem *self);
const char         *perch_room_item_get_uri (PerchRoomItem *self);
const char         *perch_room_item_get_name (PerchRoomItem *self);
const char         *perch_room_item_get_description (PerchRoomItem *self);
const char         *perch_room_item_get_category (PerchRoomItem *self);
const char         *perch_room_item_get_privacy (PerchRoomItem *self);      /* "open", "closed", "secret" */
const char         *perch_room_item_get_room_type (PerchRoomItem *self);    /* "normal", "auditorium" */
const char         *perch_room_item_get_invitations (PerchRoomItem *self);  /* "inherit", "off" */
const char         *perch_room_item_get_addin (PerchRoomItem *self);        /* NULL when none */
gboolean            perch_room_item_get_disabled (PerchRoomItem *self);
const char *const  *perch_room_item_get_members (PerchRoomItem *self);
const char *const  *perch_room_item_get_managers (PerchRoomItem *self);
const char *const  *perch_room_item_get_presenters (PerchRoomItem *self);
const char         *perch_room_item_get_last_post (PerchRoomItem *self);    /* ISO 8601, NULL: never */
gint64              perch_room_item_get_messages (PerchRoomItem *self);

/* For people: "sip:alice@example.test" -> "alice@example.test". */
const char         *perch_principal_display (const char *principal);
/* "Open", "Closed", "Secret"; "Normal", "Auditorium": translated. */
const char         *perch_privacy_label (const char *privacy);
const char         *perch_room_type_label (const char *type);
/* "3 min ago", "yesterday", "12 Mar 2024"; "Never" for NULL. */
char               *perch_format_when (const char *iso8601);

G_END_DECLS
