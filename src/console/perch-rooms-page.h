/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-rooms-page.h: the Rooms page: every room the administrator may
 * see in a GtkColumnView over a PerchRoomList (paged from the server, rows
 * recycled), with search as you type, filters (category, privacy, type,
 * disabled) and sorting by the sortable columns, all done by the server;
 * activating a row opens the room editor.
 *
 * Property "connection"; actions page.refresh, page.search, rooms.new,
 * rooms.edit (s: the room's id). */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_ROOMS_PAGE (perch_rooms_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchRoomsPage, perch_rooms_page, PERCH, ROOMS_PAGE, AdwBin)

PerchConnection    *perch_rooms_page_get_connection (PerchRoomsPage *self);
void             perch_rooms_page_set_connection (PerchRoomsPage *self, PerchConnection *connection);
/* The rooms shown (PerchRoomList of PerchRoomItem). */
PerchRoomList   *perch_rooms_page_get_rooms (PerchRoomsPage *self);
/* The category names known (GtkStringObject). */
GListModel      *perch_rooms_page_get_categories (PerchRoomsPage *self);
/* The editor open from this page, NULL when none. */
PerchRoomEditor *perch_rooms_page_get_editor (PerchRoomsPage *self);

G_END_DECLS
