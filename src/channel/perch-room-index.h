/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-index.h: the room directory's search index.
 *
 * chansrch matches its text as a substring of a room's casefolded "name\n
 * description" (PerchRoom.folded) and answers in name order, at most
 * searchLimit rooms. Over 100,000 rooms, testing every room and sorting
 * every hit costs milliseconds per search; this index keeps the rooms in
 * name order (by collation key) and a trigram index of their folded text,
 * so that a search reads only the rooms that can match, or walks the rooms
 * in name order and stops at the limit.
 *
 * The index borrows the rooms: remove a room before its name or folded
 * text changes (and add it again after), and before it is freed. Main
 * thread only, like the rest of the channel. */
#pragma once

#include "perch-channel-private.h"

G_BEGIN_DECLS

typedef struct _PerchRoomIndex PerchRoomIndex;

/* Called for each room that matches, in name order; FALSE stops. */
typedef gboolean (*PerchRoomVisit) (PerchRoom *room, gpointer data);

PerchRoomIndex *perch_room_index_new (void);
void            perch_room_index_free (PerchRoomIndex *index);
void            perch_room_index_add (PerchRoomIndex *index, PerchRoom *room);
void            perch_room_index_remove (PerchRoomIndex *index, PerchRoom *room);
guint           perch_room_index_size (PerchRoomIndex *index);
/* A new index takes its first rooms in any order and puts them in name
 * order once, here or at the first search or removal; rooms added after
 * that go straight to their place. */
void            perch_room_index_sort (PerchRoomIndex *index);

/* Visits, in name order, every room whose folded text contains FOLDED (a
 * casefolded needle; "" matches every room). */
void            perch_room_index_search (PerchRoomIndex *index, const char *folded,
                                         PerchRoomVisit visit, gpointer data);

G_END_DECLS
