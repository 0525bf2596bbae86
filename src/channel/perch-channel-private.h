/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-channel-private.h: the channel service's internals, shared by
 * perch-channel.c (rooms, sessions, fan-out, posts) and perch-commands.c
 * (the XCCOS command table). */
#pragma once

#include "perch-channel.h"
#include "perch-xccos.h"

typedef struct {
  PerchRoomInfo *info;
  PerchCategory *cat;          /* borrowed from channel->categories */
  char          *uri;          /* ma-chan://domain/id, spelled one way always */
  char          *folded;       /* casefolded "name\ndescription", for search */
  char          *chanib_head;  /* "<chanib name=.. description=.. uri=..", escaped once, then the
                                * opening of the count info; NULL until first needed, cleared when
                                * the name or description changes */
  gsize          chanib_head_len; /* up to the count info */
  GPtrArray     *sessions;     /* joined PerchSession*, not owned */
  GHashTable    *participants; /* user uri -> sessions of that user joined */
  GQueue         recent;       /* PerchMessage*, oldest first, at most PERCH_HISTORY_CACHE */
  gboolean       recent_loaded;
  gboolean       recent_complete; /* the cache holds every message the room has */
  PerchRoomStats stats;        /* kept current on every stored post */
  guint          index_slot;   /* in channel->index, + 1; 0 when not indexed */
} PerchRoom;

typedef struct _PerchRoomIndex PerchRoomIndex;  /* perch-room-index.h */

struct _PerchSession {
  int                          ref;
  PerchChannel                *channel;
  char                        *user;
  PerchPrincipal               who;
  const PerchSessionTransport *transport;
  gpointer                     transport_data;
  GHashTable                  *rooms;        /* room id -> PerchRoom*, joined */
  gboolean                     closed;
  gint64                       rate_time;    /* token bucket for the command rate: */
  double                       rate_tokens;  /* last refill (monotonic µs), tokens left */
};

struct _PerchChannel {
  PerchStore        *store;
  PerchCommitter    *committer;
  PerchChannelConfig config;
  GHashTable        *categories;   /* gint64* id -> PerchCategory* */
  GHashTable        *rooms;        /* id -> PerchRoom* */
  PerchRoomIndex    *index;        /* the same rooms in name order, and their text's trigrams */
  GHashTable        *user_groups;  /* user uri -> set of group names */
  GHashTable        *sessions;     /* set of PerchSession* */
  GHashTable        *principals;   /* uri -> PerchPrincipal*, for the admin paths */
  gint64             next_envid;
  guint64            n_posts;
  gint64             started_us;        /* monotonic */
  guint              post_seconds[60];  /* posts per second, a ring over the last minute */
  gint64             post_second_stamp[60];
  GHashTable        *file_tokens;   /* token -> FileToken* (perch-channel-files.c) */
  char              *files_url;     /* the HTTP service's base URL, or NULL */
};

/* One command handler: fills REPLY with the inner XML of <data> and returns
 * TRUE, or sets ERROR (its code becomes the XCCOS result code). */
typedef gboolean (*PerchCommandFunc) (PerchChannel *channel, PerchSession *session,
                                      PerchXccosItem *cmd, GString *reply, GError **error);

typedef struct {
  const char      *name;       /* "cmd:join" */
  const char      *reply_id;   /* "rpl:join" */
  PerchCommandFunc func;
} PerchCommand;

const PerchCommand *perch_command_lookup (const char *name);

/* perch-channel.c, for the handlers */
PerchRoom *_perch_channel_room_by_uri (PerchChannel *channel, const char *uri);
GBytes    *_perch_channel_envelope (PerchChannel *channel, GString *items);
void       _perch_session_send (PerchSession *session, GBytes *body);
gboolean   _perch_channel_join (PerchChannel *channel, PerchSession *session, PerchRoom *room, GError **error);
void       _perch_channel_part (PerchChannel *channel, PerchSession *session, PerchRoom *room);
void       _perch_channel_append_join_data (PerchChannel *channel, PerchSession *session, PerchRoom *room, GString *out, guint *next_uid);
/* Newest COUNT readable messages of ROOM with id < BEFORE (0: newest), oldest first. */
GPtrArray *_perch_channel_history (PerchChannel *channel, PerchRoom *room, gint64 before, guint count, GError **error);
void       _perch_channel_reload_config (PerchChannel *channel);
PerchRoom *_perch_channel_room_new (PerchChannel *channel, PerchRoomInfo *info);
/* Puts ROOM in the directory (channel->rooms and the search index). */
void       _perch_channel_room_add (PerchChannel *channel, PerchRoom *room);
/* Takes the room with ID out of the directory and frees it. */
void       _perch_channel_room_remove (PerchChannel *channel, const char *id);
char      *_perch_room_fold_text (const PerchRoomInfo *info);
void       _perch_channel_refresh_stats (PerchChannel *channel, PerchRoom *room);
void       _perch_channel_refresh_all_stats (PerchChannel *channel);
void       _perch_channel_add_group_member (PerchChannel *channel, const char *user, const char *group);
void       _perch_channel_record_event (PerchChannel *channel, PerchEventType type, const char *room_id,
                                        const char *user, const char *content);
/* perch-channel-files.c: issues a token (32 hex digits) for USER, or NULL
 * with BUSY when too many are outstanding. */
char      *_perch_channel_file_token_new (PerchChannel *channel, PerchFileDirection direction, const char *user,
                                          const char *room_id, const char *file, GError **error);
void       _perch_channel_files_free (PerchChannel *channel);
/* May WHO transfer files in ROOM (DOWNLOAD: read it; UPLOAD: post in it,
 * in a category with file_upload on)? The policy module's errors. */
gboolean   _perch_channel_file_allowed (PerchChannel *channel, const PerchPrincipal *who, PerchRoom *room,
                                        PerchFileDirection direction, GError **error);
