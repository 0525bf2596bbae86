/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-people-picker.h: a popover that searches, as the user types, the
 * principals that may be put on a list, and emits "picked" with the one
 * chosen: users (from an eligible route: GET /rooms/{room}/eligible, or for
 * a room not created yet /categories/{category}/eligible; or every user of
 * the pool), groups ("group:NAME", GET /groups) and the domains of the
 * users found ("domain:NAME"). Each row shows its kind by icon and label.
 * Typing "group:", "domain:" or "sip:" first offers that kind only. */
#pragma once

#include <gtk/gtk.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_PEOPLE_PICKER (perch_people_picker_get_type ())
G_DECLARE_FINAL_TYPE (PerchPeoplePicker, perch_people_picker, PERCH, PEOPLE_PICKER, GtkPopover)

/* Users from PATH, an eligible route the server searches, e.g.
 * "/rooms/ID/eligible" (a room's lists); NULL: no search yet. */
void        perch_people_picker_set_source (PerchPeoplePicker *self, PerchApi *api, const char *path);
/* Users from every user of the pool (GET /users, administrators): for a
 * category's allowed and denied members, which bound the eligible lists
 * and so cannot be chosen from them. */
void        perch_people_picker_set_source_everyone (PerchPeoplePicker *self, PerchApi *api);
/* Whether a search is waiting for the server. */
gboolean    perch_people_picker_get_searching (PerchPeoplePicker *self);
/* The results of the last search (PerchPrincipal): users, groups, domains. */
GListModel *perch_people_picker_get_results (PerchPeoplePicker *self);
/* Searches for TEXT now (typing in the entry does the same, debounced). */
void        perch_people_picker_search (PerchPeoplePicker *self, const char *text);

/* Signals:
 *   "picked" (const char *uri) */

G_END_DECLS
