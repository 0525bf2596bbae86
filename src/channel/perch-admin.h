/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-admin.h: every administrative operation, in one place.
 *
 * The HTTP room management service, perchctl (through it) and the console
 * all end here. Each operation: validates its input, asks the policy module
 * whether ACTOR may (the same module the XCCOS handlers ask, so the paths
 * cannot disagree), changes the store, records who did what in the audit
 * log, and makes the change visible at once to chatting sessions (a
 * disabled room parts its sessions, a removed member is parted, a replaced
 * message is replaced in every cache, new members are invited).
 *
 * Errors are PERCH_ERROR codes: BAD_REQUEST (malformed input, with the field
 * named), ACCESS_DENIED, NOT_FOUND (also for a secret room the actor may not
 * see), CONFLICT (a name is taken), RULE (an admin-model rule forbids it; the
 * message names the rule), TOO_LARGE. */
#pragma once

#include "perch-channel.h"

G_BEGIN_DECLS

/* The principal for USER (groups filled in), owned by the channel; NULL
 * when the user does not exist. */
const PerchPrincipal *perch_admin_principal (PerchChannel *channel, const char *user);

/* ---- categories ----------------------------------------------------------- */

typedef struct {
  const char        *name;            /* NULL: unchanged */
  const char        *description;
  int                file_upload;     /* -1: unchanged, else 0/1 */
  int                chat_history;
  int                invitations;
  const char *const *allowed_add, *const *allowed_remove;
  const char *const *denied_add, *const *denied_remove;
  const char *const *creators_add, *const *creators_remove;
} PerchCategoryPatch;

#define PERCH_CATEGORY_PATCH_INIT { .file_upload = -1, .chat_history = -1, .invitations = -1 }

/* Copies of the categories ACTOR may see (administrators: all; others: the
 * ones that allow them), by name. */
GPtrArray     *perch_admin_category_list (PerchChannel *channel, const PerchPrincipal *actor);
PerchCategory *perch_admin_category_get (PerchChannel *channel, const PerchPrincipal *actor,
                                         const char *name_or_id, GError **error);
/* Administrators only. CAT->id is filled in. */
gboolean       perch_admin_category_create (PerchChannel *channel, const PerchPrincipal *actor,
                                            PerchCategory *cat, GError **error);
gboolean       perch_admin_category_update (PerchChannel *channel, const PerchPrincipal *actor,
                                            const char *name_or_id, const PerchCategoryPatch *patch,
                                            GError **error);
/* RULE when it still holds rooms. */
gboolean       perch_admin_category_delete (PerchChannel *channel, const PerchPrincipal *actor,
                                            const char *name_or_id, GError **error);

/* ---- rooms ------------------------------------------------------------------ */

typedef enum {
  PERCH_ROOM_SORT_NAME = 0,
  PERCH_ROOM_SORT_CREATED,
  PERCH_ROOM_SORT_ACTIVITY,     /* newest post */
  PERCH_ROOM_SORT_SIZE,         /* content bytes */
} PerchRoomSort;

typedef struct {
  const char   *category;       /* name or id; NULL: any */
  int           privacy;        /* -1: any, else PerchPrivacy */
  int           type;           /* -1: any, else PerchRoomType */
  int           disabled;       /* -1: any, 0, 1 */
  const char   *member;         /* principal listed as member; NULL: any */
  const char   *manager;        /* principal listed as manager */
  const char   *text;           /* in name or description, case-insensitive */
  gint64        min_bytes;      /* content larger than this (0: any) */
  PerchRoomSort sort;
  gboolean      descending;
  const char   *cursor;         /* from the previous page's next_cursor; NULL: first page */
  guint         limit;          /* 1..1000; 0 means 100 */
} PerchRoomQuery;

#define PERCH_ROOM_QUERY_INIT { .privacy = -1, .type = -1, .disabled = -1 }

typedef struct {
  PerchRoomInfo  *info;          /* a copy */
  char           *uri;           /* ma-chan://domain/id */
  char           *category_name;
  guint           participants;  /* distinct users joined now */
  PerchRoomStats  stats;
} PerchRoomView;

void perch_room_view_free (PerchRoomView *view);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchRoomView, perch_room_view_free)

typedef struct {
  GPtrArray *rooms;              /* of PerchRoomView* */
  char      *next_cursor;        /* NULL on the last page */
} PerchRoomPage;

void perch_room_page_free (PerchRoomPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchRoomPage, perch_room_page_free)

/* Rooms ACTOR may find (administrators: all, disabled ones too; managers
 * also see the disabled rooms they manage), filtered, sorted, one page. */
PerchRoomPage *perch_admin_room_list (PerchChannel *channel, const PerchPrincipal *actor,
                                      const PerchRoomQuery *query, GError **error);
/* By id, URI or exact name. */
PerchRoomView *perch_admin_room_get (PerchChannel *channel, const PerchPrincipal *actor,
                                     const char *room, GError **error);

typedef struct {
  const char        *name;             /* NULL: unchanged */
  const char        *description;
  const char        *category;         /* name or id: move */
  int                privacy;          /* -1: unchanged */
  int                type;
  int                disabled;
  int                invitations;      /* -1: unchanged; 1 inherit; 0 off */
  const char        *addin;            /* NULL: unchanged; "" clears */
  const char *const *members_add, *const *members_remove;
  const char *const *managers_add, *const *managers_remove;
  const char *const *presenters_add, *const *presenters_remove;
} PerchRoomPatch;

#define PERCH_ROOM_PATCH_INIT { .privacy = -1, .type = -1, .disabled = -1, .invitations = -1 }

/* Name and category are required; ACTOR must be a creator in the category
 * (or an administrator) and becomes a manager. The view returned has the
 * new room's id. */
PerchRoomView *perch_admin_room_create (PerchChannel *channel, const PerchPrincipal *actor,
                                        const PerchRoomInfo *room, const char *category,
                                        GError **error);
/* Managers may change everything but may move the room only to a category
 * where they are creators; administrators anything. */
PerchRoomView *perch_admin_room_update (PerchChannel *channel, const PerchPrincipal *actor,
                                        const char *room, const PerchRoomPatch *patch, GError **error);
/* Administrators only; its sessions are parted, its content deleted. */
gboolean       perch_admin_room_delete (PerchChannel *channel, const PerchPrincipal *actor,
                                        const char *room, GError **error);

/* Users that may be members, managers or presenters of ROOM or of rooms in
 * CATEGORY (Get-CsPersistentChatEligiblePrincipal), whose address or display
 * name contains TEXT; at most LIMIT. Of PerchUser* (ha1 cleared). */
GPtrArray *perch_admin_eligible (PerchChannel *channel, const PerchPrincipal *actor,
                                 const char *room, const char *category, const char *text,
                                 guint limit, GError **error);

/* ---- content ---------------------------------------------------------------- */

/* History for administrators and readers of the room: up to LIMIT messages
 * with id < BEFORE_ID (0: newest), or when AFTER_US is set, from that time
 * forward; oldest first; removed messages only for administrators. */
GPtrArray *perch_admin_history (PerchChannel *channel, const PerchPrincipal *actor, const char *room,
                                gint64 before_id, gint64 after_us, guint limit, GError **error);

/* Administrators only. FILTER's room_id is a room id, URI or name; REPLACEMENT
 * NULL removes. Every cache sees the change at once. Returns how many. */
gint64 perch_admin_messages_change (PerchChannel *channel, const PerchPrincipal *actor,
                                    const PerchMessageFilter *filter, const char *replacement,
                                    GError **error);
/* Administrators only: content up to and including UP_TO_US. */
gint64 perch_admin_room_clear (PerchChannel *channel, const PerchPrincipal *actor, const char *room,
                               gint64 up_to_us, GError **error);

#define PERCH_DEFAULT_REPLACEMENT "This message was replaced by the administrator."

/* ---- users, groups, policy, add-ins, pool, configuration -------------------- */

/* Administrators only. PASSWORD NULL keeps the old one (updating). */
gboolean   perch_admin_user_put (PerchChannel *channel, const PerchPrincipal *actor, const char *uri,
                                 const char *display_name, const char *password, int admin, int enabled,
                                 GError **error);
gboolean   perch_admin_user_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *uri,
                                    GError **error);
GPtrArray *perch_admin_user_list (PerchChannel *channel, const PerchPrincipal *actor, GError **error);
gboolean   perch_admin_group_put (PerchChannel *channel, const PerchPrincipal *actor, const char *name,
                                  const char *const *members, GError **error);
gboolean   perch_admin_group_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *name,
                                     GError **error);
/* name -> GPtrArray of member URIs */
GHashTable *perch_admin_group_list (PerchChannel *channel, const PerchPrincipal *actor, GError **error);

gboolean   perch_admin_addin_put (PerchChannel *channel, const PerchPrincipal *actor, const char *name,
                                  const char *url, GError **error);
gboolean   perch_admin_addin_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *name,
                                     GError **error);
GPtrArray *perch_admin_addin_list (PerchChannel *channel, const PerchPrincipal *actor, GError **error);

/* The pool-wide configuration, as key -> text. Reading: anyone signed in;
 * writing: administrators, one key at a time, validated, live at once. */
GHashTable *perch_admin_config_get (PerchChannel *channel, const PerchPrincipal *actor);
gboolean    perch_admin_config_set (PerchChannel *channel, const PerchPrincipal *actor, const char *key,
                                    const char *value, GError **error);

/* This server's figures. */
typedef struct {
  const char *uri;
  guint       sessions;
  guint       joined_rooms;     /* rooms with at least one session */
  double      posts_per_second; /* over the last minute */
  gint64      uptime_s;
  const char *version;
} PerchServerStatus;

void perch_admin_server_status (PerchChannel *channel, PerchServerStatus *status);

/* Audit entries, newest first. Administrators only. */
GPtrArray *perch_admin_audit (PerchChannel *channel, const PerchPrincipal *actor, gint64 before_id,
                              guint limit, GError **error);

G_END_DECLS
