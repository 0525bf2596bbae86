/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-message-item.h: one message of a room's history, as the History
 * page lists it: from GET /rooms/{room}/messages or a live XCCOS post. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_MESSAGE_ITEM (perch_message_item_get_type ())
G_DECLARE_FINAL_TYPE (PerchMessageItem, perch_message_item, PERCH, MESSAGE_ITEM, GObject)

/* From the API's message object. */
PerchMessageItem *perch_message_item_new_from_json (JsonObject *message);
/* ID: 0 when the post's id is not known. TS: ISO 8601, or NULL for now. */
PerchMessageItem *perch_message_item_new (gint64 id, const char *author, const char *ts, const char *content);

gint64      perch_message_item_get_id (PerchMessageItem *self);
const char *perch_message_item_get_author (PerchMessageItem *self);    /* "alice@example.test" */
gint64      perch_message_item_get_ts_us (PerchMessageItem *self);     /* microseconds since the epoch */
const char *perch_message_item_get_ts (PerchMessageItem *self);        /* as the server wrote it */
const char *perch_message_item_get_time (PerchMessageItem *self);      /* local, for people */
const char *perch_message_item_get_content (PerchMessageItem *self);
const char *perch_message_item_get_state (PerchMessageItem *self);     /* normal, replaced, removed */
/* Whether an administrator replaced or removed it. */
gboolean    perch_message_item_get_marked (PerchMessageItem *self);
/* "Replaced", "Removed" (translated), NULL for a message as written. */
const char *perch_message_item_get_state_label (PerchMessageItem *self);
/* A sentence saying what the mark means, for tooltips and screen readers. */
const char *perch_message_item_get_state_description (PerchMessageItem *self);
void        perch_message_item_replace (PerchMessageItem *self, const char *content);
/* Marks it removed, as the server keeps it: no text, state "removed". */
void        perch_message_item_remove (PerchMessageItem *self);

/* Properties (read-only, notified): "author", "time", "content", "state",
 * "marked", "state-label", "state-description". */

G_END_DECLS
