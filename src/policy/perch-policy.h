/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-policy.h: the one authorization module.
 *
 * Every path (XCCOS handlers now, the HTTP service and perchctl through it
 * later) asks these functions, so a rule cannot differ between paths. They
 * are pure: they look only at the room, its category and who is asking.
 *
 * Principals in lists are "sip:user@domain", "group:NAME" or
 * "domain:DOMAIN" (every user of that domain). */
#pragma once

#include "perch-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *uri;          /* "sip:alice@example.test" */
  gboolean    admin;        /* bound by no list */
  GHashTable *groups;       /* names of the user's groups (set), or NULL */
} PerchPrincipal;

/* Does WHO match an entry of LIST? */
gboolean perch_policy_in_list (const PerchPrincipal *who, GPtrArray *list);

/* The category's allowed list admits WHO and its denied list does not. */
gboolean perch_policy_category_allows (const PerchPrincipal *who, const PerchCategory *cat);

/* Member of the room: listed as member, manager or presenter, or (when the
 * room's member list is empty) allowed by the category. Always bounded by
 * the category's allowed/denied lists. */
gboolean perch_policy_is_member (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat);
gboolean perch_policy_is_manager (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat);
gboolean perch_policy_is_presenter (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat);

/* What a chatting user may do. Each returns TRUE, or FALSE with the error
 * to answer: NOT_FOUND where the room must look missing (secret rooms to
 * non-members, disabled rooms, rooms outside the user's categories),
 * ACCESS_DENIED where the user may know the room exists. */
gboolean perch_policy_can_find (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error);
gboolean perch_policy_can_join (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error);
gboolean perch_policy_can_post (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error);
gboolean perch_policy_can_manage (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error);
gboolean perch_policy_can_create_in (const PerchPrincipal *who, const PerchCategory *cat, GError **error);

/* A user may open a chat session: the per-user override, else the global default. */
gboolean perch_policy_chat_enabled (int user_enabled, gboolean global_default);

G_END_DECLS
