/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-people-picker.h: a popover that searches the people who may be put
 * on a room's lists (GET /rooms/{room}/eligible?text= or, for a room not
 * created yet, /categories/{category}/eligible) as the user types, and
 * emits "picked" with the one chosen. */
#pragma once

#include <gtk/gtk.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_PEOPLE_PICKER (perch_people_picker_get_type ())
G_DECLARE_FINAL_TYPE (PerchPeoplePicker, perch_people_picker, PERCH, PEOPLE_PICKER, GtkPopover)

/* PATH: the eligible route, e.g. "/rooms/ID/eligible"; NULL: no search. */
void        perch_people_picker_set_source (PerchPeoplePicker *self, PerchApi *api, const char *path);
/* The results of the last search (PerchPrincipal). */
GListModel *perch_people_picker_get_results (PerchPeoplePicker *self);
/* Searches for TEXT now (typing in the entry does the same, debounced). */
void        perch_people_picker_search (PerchPeoplePicker *self, const char *text);

/* Signals:
 *   "picked" (const char *uri) */

G_END_DECLS
