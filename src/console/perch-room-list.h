/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-list.h: the rooms a query matches, as a GListModel of
 * PerchRoomItem paged from the server (GET /api/v1/rooms with a cursor).
 *
 * The first page is loaded by perch_room_list_reload (and by any change of
 * the query); further pages when a row near the end is shown
 * (perch_room_list_ensure, called by the view's factory), so a pool of
 * 100,000 rooms costs what the user scrolls through. Searching, filtering
 * and sorting are the server's: the query's properties become the
 * request's parameters. */
#pragma once

#include <gio/gio.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_ROOM_LIST_PAGE_SIZE 100

#define PERCH_TYPE_ROOM_LIST (perch_room_list_get_type ())
G_DECLARE_FINAL_TYPE (PerchRoomList, perch_room_list, PERCH, ROOM_LIST, GObject)

PerchRoomList *perch_room_list_new (void);

/* No API: the list is empty and loads nothing. */
void        perch_room_list_set_api (PerchRoomList *self, PerchApi *api);

/* The query. NULL or "" means "any". Each setter reloads when the value
 * changes. */
void        perch_room_list_set_text (PerchRoomList *self, const char *text);
void        perch_room_list_set_category (PerchRoomList *self, const char *category);
void        perch_room_list_set_privacy (PerchRoomList *self, const char *privacy);   /* open|closed|secret */
void        perch_room_list_set_room_type (PerchRoomList *self, const char *type);    /* normal|auditorium */
void        perch_room_list_set_disabled (PerchRoomList *self, const char *disabled); /* true|false */
/* SORT: name|created|activity|size. */
void        perch_room_list_set_sort (PerchRoomList *self, const char *sort, gboolean descending);
void        perch_room_list_set_page_size (PerchRoomList *self, guint page_size);

/* Loads the first page again; what is shown stays until it arrives. */
void        perch_room_list_reload (PerchRoomList *self);
/* Loads the next page when POSITION is near the end of what is loaded. */
void        perch_room_list_ensure (PerchRoomList *self, guint position);

gboolean    perch_room_list_get_loading (PerchRoomList *self);
/* Whether more pages can be loaded. */
gboolean    perch_room_list_get_has_more (PerchRoomList *self);
/* Whether the first page of the current query has arrived. */
gboolean    perch_room_list_get_loaded (PerchRoomList *self);
PerchRoomItem  *perch_room_list_find (PerchRoomList *self, const char *name);  /* not a new reference */

/* Properties: "loading", "has-more", "loaded" (notify).
 * Signals: "error" (GError *error): a page could not be loaded. */

G_END_DECLS
