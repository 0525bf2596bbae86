/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-store.h: the store interface every caller uses.
 *
 * A PerchStore is a table of functions (PerchStoreBackend) behind plain
 * wrappers, so a PostgreSQL backend can be added without touching callers.
 * The sqlite backend is perch-store-sqlite.c.
 *
 * Threading contract: perch_store_write() is called only from the
 * committer's thread (perch-committer.h); every other function only from the
 * main thread. A backend keeps separate connections for the two.
 *
 * Errors are GErrors in PERCH_ERROR: NOT_FOUND for a missing object,
 * CONFLICT for a name that is taken or a category that is not empty,
 * FAILED for anything the database itself reported (its message kept). */
#pragma once

#include <glib.h>
#include "perch-common.h"

G_BEGIN_DECLS

typedef struct _PerchStore PerchStore;

typedef struct {
  gint64     id;            /* assigned by category_create */
  char      *name;          /* unique */
  char      *description;
  gboolean   file_upload;
  gboolean   chat_history;  /* FALSE: posts are fanned out and archived, not stored */
  gboolean   invitations;
  GPtrArray *allowed;       /* of char* principals: "sip:u@d" or "group:name" */
  GPtrArray *denied;
  GPtrArray *creators;
} PerchCategory;

typedef struct {
  char         *id;         /* the id in ma-chan://domain/ID; generated when NULL at create */
  char         *name;       /* unique in the pool, <= 256 chars */
  char         *description;
  gint64        category_id;
  PerchPrivacy  privacy;
  PerchRoomType type;
  gboolean      disabled;
  char         *addin;      /* NULL or an add-in name */
  gboolean      invitations;/* TRUE = inherit from the category, FALSE = off */
  GPtrArray    *members;    /* of char* principals */
  GPtrArray    *managers;
  GPtrArray    *presenters;
  gint64        created_us;
} PerchRoomInfo;

typedef enum {
  PERCH_MSG_NORMAL = 0,
  PERCH_MSG_REPLACED = 1,   /* content now holds the replacement text */
  PERCH_MSG_REMOVED = 2,
} PerchMessageState;

typedef struct {
  gint64            id;     /* global server sequence: increases with every stored post */
  char             *room_id;
  char             *author; /* sip: URI */
  gint64            ts_us;  /* server time */
  char             *content;
  PerchMessageState state;
} PerchMessage;

typedef struct {
  char    *uri;             /* "sip:alice@example.test" */
  char    *display_name;
  char    *ha1;             /* hex MD5("alice@example.test:REALM:password") */
  gboolean admin;
  int      enabled;         /* -1: the global policy decides; 0 no; 1 yes */
} PerchUser;

typedef enum {
  PERCH_EVENT_JOIN = 1,
  PERCH_EVENT_PART,
  PERCH_EVENT_CHAT,
  PERCH_EVENT_BACKCHAT,
  PERCH_EVENT_FILEUPLOAD,
  PERCH_EVENT_FILEDOWNLOAD,
  PERCH_EVENT_REMOVE,
  PERCH_EVENT_REPLACE,
  PERCH_EVENT_CLEAR,
} PerchEventType;

const char *perch_event_type_to_string (PerchEventType type); /* "JOIN", ... */

/* A compliance event as stored in the outbox. */
typedef struct {
  gint64         id;        /* outbox order */
  PerchEventType type;
  char          *room_id;
  char          *user;
  gint64         ts_us;
  char          *content;   /* NULL when the event has none */
  gint64         msg_id;    /* the stored message it describes, or 0 */
} PerchEvent;

/* One durable change for perch_store_write(): a compliance event, and for
 * CHAT with store_message set, the message it describes, both in one
 * transaction. */
typedef struct {
  PerchEventType type;
  char          *room_id;
  char          *user;
  char          *content;
  gint64         ts_us;
  gboolean       store_message; /* CHAT only; FALSE when the category keeps no history */
  /* filled in by perch_store_write(): */
  gint64         msg_id;        /* 0 when no message was stored */
  gint64         event_id;
} PerchWrite;

/* Which messages an administrator removes or replaces
 * (Remove-CsPersistentChatMessage). Every field set narrows the match. */
typedef enum {
  PERCH_MATCH_ALL = 0,   /* every keyword appears */
  PERCH_MATCH_ANY,       /* at least one keyword appears */
  PERCH_MATCH_EXACT,     /* the content equals the keywords joined by spaces */
} PerchMatchMode;

typedef struct {
  const char        *room_id;       /* required */
  const char        *author;        /* NULL: anyone */
  const char *const *keywords;      /* NULL or empty: any content */
  PerchMatchMode     mode;
  gboolean           match_case;    /* FALSE: case-insensitive (Unicode casefold) */
  gint64             from_us;       /* 0: no lower bound; inclusive */
  gint64             to_us;         /* 0: no upper bound; inclusive */
  const GArray      *ids;           /* of gint64; NULL: any id */
} PerchMessageFilter;

/* What the store knows of a room's content, kept current by triggers. */
typedef struct {
  gint64 messages;      /* stored, not removed */
  gint64 bytes;         /* of their content */
  gint64 last_post_us;  /* newest message's ts, 0 when none */
} PerchRoomStats;

typedef struct {
  char *name;           /* unique */
  char *url;            /* http:// or https:// */
} PerchAddin;

typedef struct {
  gint64  id;
  gint64  ts_us;
  char   *actor;        /* sip: URI of who did it */
  char   *action;       /* "room.create", "message.replace", ... */
  char   *target;       /* what it was done to (room id, category name, ...) */
  char   *detail;       /* free text or JSON, may be NULL */
} PerchAuditEntry;

/* One compliance run: a range of the outbox handed to an adapter. Its
 * range is fixed when it is planned and recorded before the adapter sees
 * it, so that a run cut short by a crash is redone with exactly the same
 * events (see perch-compliance.c). */
typedef enum {
  PERCH_RUN_PLANNED = 0,  /* recorded; the adapter may or may not have delivered */
  PERCH_RUN_DONE,         /* delivered, and its events deleted with this state */
  PERCH_RUN_FAILED,       /* the adapter reported an error; events kept */
} PerchRunState;

const char *perch_run_state_to_string (PerchRunState state);  /* "planned", ... */

typedef struct {
  gint64        id;
  gint64        first_event_id;  /* the range, both ends included */
  gint64        last_event_id;
  char         *adapter;         /* "xml", "command" */
  gint64        started_us;
  gint64        finished_us;     /* 0 while planned */
  PerchRunState state;
  char         *error;           /* when failed; NULL otherwise */
  gint64        events;          /* how many events the range holds */
  gint64        duration_ms;     /* of the last attempt; 0 while planned */
} PerchComplianceRun;

/* A file uploaded to a room (issue 4). Its bytes are <data-dir>/files/ID;
 * nothing the uploader sent is ever part of a path. A deleted room's files
 * are marked deleted, never unlinked by the store: compliance may still
 * have to archive them. */
typedef enum {
  PERCH_FILE_STORED = 0,
  PERCH_FILE_DELETED,
} PerchFileState;

typedef struct {
  char          *id;        /* 32 hex digits; generated when NULL at add */
  char          *room_id;
  char          *uploader;  /* sip: URI */
  char          *name;      /* display name, already sanitized */
  gint64         size;      /* bytes */
  char          *sha256;    /* 64 lower-case hex digits */
  gint64         ts_us;     /* set at add when 0 */
  PerchFileState state;
} PerchFile;

void perch_category_free (PerchCategory *cat);
void perch_room_info_free (PerchRoomInfo *room);
PerchRoomInfo *perch_room_info_copy (const PerchRoomInfo *room);
void perch_message_free (PerchMessage *msg);
void perch_user_free (PerchUser *user);
void perch_event_free (PerchEvent *event);
void perch_write_free (PerchWrite *write);
void perch_addin_free (PerchAddin *addin);
void perch_audit_entry_free (PerchAuditEntry *entry);
void perch_compliance_run_free (PerchComplianceRun *run);
void perch_file_free (PerchFile *file);
PerchCategory *perch_category_copy (const PerchCategory *cat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchCategory, perch_category_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchRoomInfo, perch_room_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchMessage, perch_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchUser, perch_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchEvent, perch_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchWrite, perch_write_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchAddin, perch_addin_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchAuditEntry, perch_audit_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchComplianceRun, perch_compliance_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchFile, perch_file_free)

/* The backend's table of functions. Each wrapper below calls one entry. */
typedef struct {
  const char *name;
  void       (*close)          (PerchStore *store);

  char      *(*config_get)     (PerchStore *store, const char *key);
  gboolean   (*config_set)     (PerchStore *store, const char *key, const char *value, GError **error);

  gboolean   (*user_put)       (PerchStore *store, const PerchUser *user, GError **error);
  PerchUser *(*user_get)       (PerchStore *store, const char *uri);
  GPtrArray *(*user_list)      (PerchStore *store, GError **error);
  gboolean   (*group_put)      (PerchStore *store, const char *name, const char *const *members, GError **error);
  gboolean   (*group_delete)   (PerchStore *store, const char *name, GError **error);
  GPtrArray *(*group_list)     (PerchStore *store, GError **error);
  GPtrArray *(*group_members)  (PerchStore *store, const char *name, GError **error);

  gboolean   (*category_create)(PerchStore *store, PerchCategory *cat, GError **error);
  gboolean   (*category_update)(PerchStore *store, const PerchCategory *cat, GError **error);
  gboolean   (*category_delete)(PerchStore *store, gint64 id, GError **error);
  GPtrArray *(*category_list)  (PerchStore *store, GError **error);

  gboolean   (*room_create)    (PerchStore *store, PerchRoomInfo *room, GError **error);
  gboolean   (*room_update)    (PerchStore *store, const PerchRoomInfo *room, GError **error);
  gboolean   (*room_delete)    (PerchStore *store, const char *room_id, GError **error);
  GPtrArray *(*room_list)      (PerchStore *store, GError **error);
  PerchRoomInfo *(*room_get)   (PerchStore *store, const char *room_id, GError **error);
  GPtrArray *(*room_search)    (PerchStore *store, const char *text, guint limit, GError **error);

  gboolean   (*write)          (PerchStore *store, PerchWrite **writes, guint n_writes, GError **error);
  GPtrArray *(*history)        (PerchStore *store, const char *room_id, gint64 before_id, guint limit, GError **error);
  GPtrArray *(*message_search) (PerchStore *store, const char *room_id, const char *query, guint limit, GError **error);

  gboolean   (*invitation_add) (PerchStore *store, const char *user, const char *room_id, GError **error);
  GPtrArray *(*invitations_take)(PerchStore *store, const char *user, GError **error);

  char      *(*pref_get)       (PerchStore *store, const char *user, const char *label);
  gboolean   (*pref_set)       (PerchStore *store, const char *user, const char *label, const char *content, GError **error);

  GPtrArray *(*events_pending) (PerchStore *store, gint64 after_id, guint limit, GError **error);
  gboolean   (*events_delete_upto)(PerchStore *store, gint64 id, GError **error);
  gint64     (*events_count)   (PerchStore *store);

  /* issue 3: administration */
  gboolean   (*user_delete)    (PerchStore *store, const char *uri, GError **error);
  GArray    *(*messages_change)(PerchStore *store, const PerchMessageFilter *filter, const char *replacement,
                                const char *actor, GError **error);
  gint64     (*room_clear)     (PerchStore *store, const char *room_id, gint64 up_to_us, const char *actor, GError **error);
  GHashTable *(*room_stats)    (PerchStore *store, GError **error);
  gboolean   (*addin_put)      (PerchStore *store, const PerchAddin *addin, GError **error);
  gboolean   (*addin_delete)   (PerchStore *store, const char *name, GError **error);
  GPtrArray *(*addin_list)     (PerchStore *store, GError **error);
  gboolean   (*audit_add)      (PerchStore *store, const char *actor, const char *action, const char *target,
                                const char *detail, GError **error);
  GPtrArray *(*audit_list)     (PerchStore *store, gint64 before_id, guint limit, GError **error);
  gboolean   (*import_messages)(PerchStore *store, PerchMessage **messages, guint n, GError **error);
  GPtrArray *(*messages_range) (PerchStore *store, const char *room_id, gint64 after_id, gint64 from_us, gint64 to_us,
                                guint limit, GError **error);

  /* issue 4: the compliance service */
  PerchStore *(*open_again)    (PerchStore *store, GError **error);
  gboolean   (*events_summary) (PerchStore *store, gint64 *counts, gint64 *oldest_us, GError **error);
  gint64     (*compliance_plan)(PerchStore *store, gint64 first_id, gint64 last_id, gint64 events,
                                const char *adapter, GError **error);
  gboolean   (*compliance_done)(PerchStore *store, gint64 run_id, gint64 duration_ms, GError **error);
  gboolean   (*compliance_failed)(PerchStore *store, gint64 run_id, const char *message, gint64 duration_ms,
                                GError **error);
  GPtrArray *(*compliance_runs)(PerchStore *store, gint64 before_id, guint limit, GError **error);

  /* issue 4: files in rooms */
  gboolean   (*file_add)       (PerchStore *store, PerchFile *file, GError **error);
  PerchFile *(*file_get)       (PerchStore *store, const char *id, GError **error);

  /* issue 6: loading many at once */
  gboolean   (*rooms_create)   (PerchStore *store, PerchRoomInfo **rooms, guint n, GError **error);
  gboolean   (*users_put)      (PerchStore *store, const PerchUser *const *users, guint n, GError **error);
} PerchStoreBackend;

struct _PerchStore {
  const PerchStoreBackend *backend;
};

/* Opens (creating and migrating as needed) the sqlite store at PATH. */
PerchStore *perch_store_open_sqlite (const char *path, GError **error);
void        perch_store_close (PerchStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchStore, perch_store_close)

/* Pool settings and configuration as key/value text. NULL when unset. */
char     *perch_store_config_get (PerchStore *store, const char *key);
gboolean  perch_store_config_set (PerchStore *store, const char *key, const char *value, GError **error);
int       perch_store_config_get_int (PerchStore *store, const char *key, int fallback);

/* Users: put inserts or replaces by uri; get returns NULL when missing. */
gboolean   perch_store_user_put (PerchStore *store, const PerchUser *user, GError **error);
PerchUser *perch_store_user_get (PerchStore *store, const char *uri);
/* Puts every user of USERS in one transaction: all of them or, when any
 * fails, none (the error names which). For loading many users at once: one
 * durable commit instead of N. */
gboolean   perch_store_users_put (PerchStore *store, const PerchUser *const *users, guint n, GError **error);
GPtrArray *perch_store_user_list (PerchStore *store, GError **error);            /* of PerchUser* */
gboolean   perch_store_group_put (PerchStore *store, const char *name, const char *const *members, GError **error);
gboolean   perch_store_group_delete (PerchStore *store, const char *name, GError **error);
GPtrArray *perch_store_group_list (PerchStore *store, GError **error);           /* of char* names */
GPtrArray *perch_store_group_members (PerchStore *store, const char *name, GError **error); /* of char* */

/* Categories: create fills cat->id; update replaces every field and list. */
gboolean   perch_store_category_create (PerchStore *store, PerchCategory *cat, GError **error);
gboolean   perch_store_category_update (PerchStore *store, const PerchCategory *cat, GError **error);
gboolean   perch_store_category_delete (PerchStore *store, gint64 id, GError **error);
GPtrArray *perch_store_category_list (PerchStore *store, GError **error);        /* of PerchCategory* */

/* Rooms: create fills room->id (when NULL) and created_us; update replaces
 * every field and list; delete removes its messages, invitations too. */
gboolean       perch_store_room_create (PerchStore *store, PerchRoomInfo *room, GError **error);
/* Creates every room of ROOMS as room_create would, in one transaction: all
 * of them or, when any fails (its error, prefixed with which room), none,
 * and then every room is left as it was given (no generated id or time).
 * For bulk loading (seeding, import): one durable commit instead of N. The
 * transaction holds the write lock throughout, so keep N to thousands. */
gboolean       perch_store_rooms_create (PerchStore *store, PerchRoomInfo **rooms, guint n, GError **error);
gboolean       perch_store_room_update (PerchStore *store, const PerchRoomInfo *room, GError **error);
gboolean       perch_store_room_delete (PerchStore *store, const char *room_id, GError **error);
GPtrArray     *perch_store_room_list (PerchStore *store, GError **error);        /* of PerchRoomInfo* */
PerchRoomInfo *perch_store_room_get (PerchStore *store, const char *room_id, GError **error);
/* Room ids whose name or description contains TEXT (case-insensitive). */
GPtrArray     *perch_store_room_search (PerchStore *store, const char *text, guint limit, GError **error);

/* Writes every change in WRITES in one transaction, filling their ids. */
gboolean   perch_store_write (PerchStore *store, PerchWrite **writes, guint n_writes, GError **error);
/* Up to LIMIT messages of ROOM with id < BEFORE_ID (0: the newest), oldest first. */
GPtrArray *perch_store_history (PerchStore *store, const char *room_id, gint64 before_id, guint limit, GError **error);
/* Full-text search (FTS5 syntax is escaped: QUERY is words), newest first. */
GPtrArray *perch_store_message_search (PerchStore *store, const char *room_id, const char *query, guint limit, GError **error);

gboolean   perch_store_invitation_add (PerchStore *store, const char *user, const char *room_id, GError **error);
/* Room ids of USER's invitations not yet seen; marks them seen. */
GPtrArray *perch_store_invitations_take (PerchStore *store, const char *user, GError **error);

char      *perch_store_pref_get (PerchStore *store, const char *user, const char *label);
gboolean   perch_store_pref_set (PerchStore *store, const char *user, const char *label, const char *content, GError **error);

/* The compliance outbox, oldest first. */
GPtrArray *perch_store_events_pending (PerchStore *store, gint64 after_id, guint limit, GError **error); /* of PerchEvent* */
gboolean   perch_store_events_delete_upto (PerchStore *store, gint64 id, GError **error);
gint64     perch_store_events_count (PerchStore *store);

/* ---- administration (issue 3) ------------------------------------------ */

gboolean   perch_store_user_delete (PerchStore *store, const char *uri, GError **error);

/* Removes (REPLACEMENT NULL: state REMOVED, content emptied) or replaces
 * (state REPLACED, content = REPLACEMENT) every message FILTER matches that
 * is not already removed, and records one REMOVE or REPLACE compliance event
 * per message (user = ACTOR, msg_id, content = the new text or NULL), all
 * in one transaction. Returns the ids changed (GArray of gint64), oldest
 * first; an empty array when nothing matched. */
GArray    *perch_store_messages_change (PerchStore *store, const PerchMessageFilter *filter,
                                        const char *replacement, const char *actor, GError **error);
/* Deletes every message of ROOM with ts <= UP_TO_US (Clear-CsPersistentChatRoom)
 * and records one CLEAR event (user = ACTOR, content = "up to <ISO time>:
 * N messages"), in one transaction. Returns how many were deleted, -1 on error. */
gint64     perch_store_room_clear (PerchStore *store, const char *room_id, gint64 up_to_us,
                                   const char *actor, GError **error);
/* room id (char*) -> PerchRoomStats* for every room with messages; kept by
 * triggers on messages, so this is a table read, not a scan. */
GHashTable *perch_store_room_stats (PerchStore *store, GError **error);

gboolean   perch_store_addin_put (PerchStore *store, const PerchAddin *addin, GError **error);   /* insert or replace by name */
gboolean   perch_store_addin_delete (PerchStore *store, const char *name, GError **error);      /* NOT_FOUND when missing */
GPtrArray *perch_store_addin_list (PerchStore *store, GError **error);                          /* of PerchAddin*, by name */

/* Who did what: administrative operations, newest first. */
gboolean   perch_store_audit_add (PerchStore *store, const char *actor, const char *action,
                                  const char *target, const char *detail, GError **error);
GPtrArray *perch_store_audit_list (PerchStore *store, gint64 before_id, guint limit, GError **error); /* of PerchAuditEntry* */

/* Inserts messages as they are (room, author, ts, content, state; new ids
 * assigned in the order given), with no compliance events: for import. */
gboolean   perch_store_import_messages (PerchStore *store, PerchMessage **messages, guint n, GError **error);
/* Up to LIMIT messages of ROOM with id > AFTER_ID and FROM_US <= ts <= TO_US
 * (0: unbounded), oldest first, removed ones included: for export and for
 * history paged forward by time. */
GPtrArray *perch_store_messages_range (PerchStore *store, const char *room_id, gint64 after_id,
                                       gint64 from_us, gint64 to_us, guint limit, GError **error);

/* ---- the compliance service (issue 4) ------------------------------------- */

/* Another handle on the same database, for one other thread: the
 * compliance worker uses it (as its "main thread") so that its reads and
 * deletes never share a connection with the main loop. */
PerchStore *perch_store_open_again (PerchStore *store, GError **error);

/* Pending events by type (COUNTS is indexed by PerchEventType and has
 * PERCH_EVENT_CLEAR + 1 entries; entry 0 is the total) and the time of the
 * oldest one (0 when none). Counts are kept by triggers: no scan. */
gboolean   perch_store_events_summary (PerchStore *store, gint64 *counts, gint64 *oldest_us, GError **error);

/* Records a planned run of the events FIRST_ID..LAST_ID (EVENTS of them)
 * durably, before any adapter sees them. Returns the run's id, 0 on error. */
gint64     perch_store_compliance_plan (PerchStore *store, gint64 first_id, gint64 last_id, gint64 events,
                                        const char *adapter, GError **error);
/* In one transaction: deletes the events of RUN_ID's range and marks the
 * run done. NOT_FOUND unless the run is planned. */
gboolean   perch_store_compliance_done (PerchStore *store, gint64 run_id, gint64 duration_ms, GError **error);
/* Marks a planned run failed with MESSAGE; its events stay. */
gboolean   perch_store_compliance_failed (PerchStore *store, gint64 run_id, const char *message,
                                          gint64 duration_ms, GError **error);
/* Runs with id < BEFORE_ID (0: the newest), newest first. */
GPtrArray *perch_store_compliance_runs (PerchStore *store, gint64 before_id, guint limit, GError **error); /* of PerchComplianceRun* */

/* ---- files in rooms (issue 4) -------------------------------------------- */

/* Records FILE (filling id when NULL, ts_us when 0; state is STORED) and
 * its FILEUPLOAD compliance event (user = the uploader, content = the file
 * id, no message) in one transaction. The bytes must already be in place. */
gboolean   perch_store_file_add (PerchStore *store, PerchFile *file, GError **error);
/* The file with ID, deleted or not; NULL with NOT_FOUND when there is none. */
PerchFile *perch_store_file_get (PerchStore *store, const char *id, GError **error);

G_END_DECLS
