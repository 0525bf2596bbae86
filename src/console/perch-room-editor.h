/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-editor.h: the dialog that creates a room or changes one:
 * every property, the member, manager and presenter lists, and deleting.
 * Changing the category moves the room; disabling and moving are
 * confirmed first (both have effects users notice), deleting too. What
 * the server refuses is shown at the top of the dialog, in its words.
 *
 * Actions: editor.save, editor.delete. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_ROOM_EDITOR (perch_room_editor_get_type ())
G_DECLARE_FINAL_TYPE (PerchRoomEditor, perch_room_editor, PERCH, ROOM_EDITOR, AdwWindow)

/* ROOM NULL: a new room. CATEGORIES: the category names (GtkStringObject). */
PerchRoomEditor *perch_room_editor_new (GtkWindow *parent, PerchConnection *connection, GListModel *categories,
                                        PerchRoomItem *room);
PerchRoomItem       *perch_room_editor_get_room (PerchRoomEditor *self);
/* The server's refusal shown, NULL when none. */
const char      *perch_room_editor_get_error (PerchRoomEditor *self);

/* Signals:
 *   "saved"   (PerchRoomItem *room): created or changed, as the server now has it;
 *   "deleted" (const char *name). */

G_END_DECLS
