/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-people-editor.h: a list of principals (a room's members, managers
 * or presenters; a category's allowed, denied members or creators) as a
 * preferences group: one row per principal with a remove
 * button, and an add button whose popover is a people picker.
 *
 * Actions: people.add (s: the principal), people.remove (s). */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_PEOPLE_EDITOR (perch_people_editor_get_type ())
G_DECLARE_FINAL_TYPE (PerchPeopleEditor, perch_people_editor, PERCH, PEOPLE_EDITOR, AdwPreferencesGroup)

void               perch_people_editor_set_people (PerchPeopleEditor *self, const char *const *people);
/* The list as edited, newly allocated. */
char             **perch_people_editor_dup_people (PerchPeopleEditor *self);
/* Where the picker searches (see perch_people_picker_set_source). */
void               perch_people_editor_set_source (PerchPeopleEditor *self, PerchApi *api, const char *path);
void               perch_people_editor_set_source_everyone (PerchPeopleEditor *self, PerchApi *api);
PerchPeoplePicker *perch_people_editor_get_picker (PerchPeopleEditor *self);
/* The text shown when the list is empty ("Everyone the category allows"). */
void               perch_people_editor_set_empty_text (PerchPeopleEditor *self, const char *text);

/* Properties: "empty-text" (string). Signals: "changed". */

G_END_DECLS
