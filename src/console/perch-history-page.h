/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-history-page.h: a room's messages, newest last, read backwards
 * page by page as the list is scrolled up (GET /rooms/{room}/messages
 * ?before=ID), filtered by text, author and date on what is loaded (the
 * route has no search parameter), with live posts appended as they arrive
 * (the console's XCCOS session joins the room). Administrators replace or
 * remove the selected messages (POST /rooms/{room}/messages/remove) and
 * clear the room up to a date (POST /rooms/{room}/clear), each confirmed.
 *
 * Actions: page.refresh, page.search, history.replace, history.remove,
 * history.clear. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_HISTORY_PAGE (perch_history_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchHistoryPage, perch_history_page, PERCH, HISTORY_PAGE, AdwBin)

PerchConnection *perch_history_page_get_connection (PerchHistoryPage *self);
void             perch_history_page_set_connection (PerchHistoryPage *self, PerchConnection *connection);
/* Picks the room named NAME; FALSE when it is not listed (yet). */
gboolean         perch_history_page_select_room (PerchHistoryPage *self, const char *name);
/* Every message loaded, oldest first (PerchMessageItem). */
GListModel      *perch_history_page_get_messages (PerchHistoryPage *self);
/* The messages shown (the filtered ones), with their selection. */
GtkSelectionModel *perch_history_page_get_selection (PerchHistoryPage *self);
gboolean         perch_history_page_get_loading (PerchHistoryPage *self);
/* Whether the server has older messages than those loaded. */
gboolean         perch_history_page_get_has_more (PerchHistoryPage *self);
/* How many messages each request asks for (50); takes effect with the
 * next request. */
void             perch_history_page_set_page_size (PerchHistoryPage *self, guint page_size);
/* Whether the room has been joined over XCCOS (live posts arrive). */
gboolean         perch_history_page_get_live (PerchHistoryPage *self);

G_END_DECLS
