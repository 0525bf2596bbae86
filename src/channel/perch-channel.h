/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-channel.h: the channel service — rooms in memory, chat sessions,
 * rosters, fan-out, the recent-history cache, and XCCOS dispatch.
 *
 * It knows nothing of SIP: a transport opens a session for a signed-in
 * user with a table of two functions (send an XCCOS body, end the session)
 * and hands it every INFO body it receives. The store is reached only for
 * durable writes (through the committer) and for history the cache lacks. */
#pragma once

#include "perch-store.h"
#include "perch-committer.h"
#include "perch-policy.h"

G_BEGIN_DECLS

typedef struct _PerchChannel PerchChannel;
typedef struct _PerchSession PerchSession;

typedef struct {
  /* Deliver one XCCOS envelope (a whole INFO body) to the client. */
  void (*send) (gpointer transport, GBytes *body);
  /* The server ends the session (a BYE); the transport then closes it. */
  void (*end)  (gpointer transport, const char *reason);
} PerchSessionTransport;

/* Limits and settings the channel service runs with; read from the store's
 * configuration at start (perch_channel_new) and changed through it. */
typedef struct {
  char  *domain;                 /* "example.test" */
  char  *server_uri;             /* this server: "sip:perchd@example.test" */
  char  *pool_uri;               /* "sip:ocschat@example.test" */
  guint  default_chat_history;   /* messages a join shows: 1..500, default 30 */
  guint  participant_update_limit; /* roster notices stop above this, default 75 */
  guint  message_size_limit;     /* bytes of one post, default 4096 */
  guint  search_limit;           /* chansrch results at most, default 999 */
  guint  commands_per_second;    /* per session, sustained; bursts of twice this; default 100 */
  guint  max_pending_writes;     /* committer backlog before 503, default 20000 */
  gboolean chat_enabled_default; /* global policy, default FALSE */
  gboolean accepting_sessions;   /* FALSE: not on the pool's active server list */
  gboolean failed_over;          /* the pool's state */
} PerchChannelConfig;

/* The configuration keys (all stored as text), and their validation. */
extern const char *const perch_channel_config_keys[];
gboolean perch_channel_config_validate (const char *key, const char *value, GError **error);
/* Keys set only with perchd --config on the server (programs, paths). */
gboolean perch_channel_config_is_local (const char *key);
/* The value in force: the stored one, or the default. */
char    *perch_channel_config_value (PerchChannel *channel, const char *key);

#define PERCH_HISTORY_CACHE 100  /* recent messages kept per active room */

PerchChannel *perch_channel_new (PerchStore *store, PerchCommitter *committer, GError **error);
void          perch_channel_free (PerchChannel *channel);
const PerchChannelConfig *perch_channel_get_config (PerchChannel *channel);

/* Is USER (a sip: URI) known and enabled for persistent chat? FALSE with
 * NOT_FOUND or ACCESS_DENIED. */
gboolean perch_channel_user_may_chat (PerchChannel *channel, const char *user, GError **error);

/* Opens a chat session for USER, who must be enabled by policy. */
PerchSession *perch_channel_open_session (PerchChannel *channel, const char *user,
                                          const PerchSessionTransport *transport,
                                          gpointer transport_data, GError **error);
/* Parts every room (PART events, ntc:part) and forgets the session. */
void          perch_channel_close_session (PerchChannel *channel, PerchSession *session);
const char   *perch_session_get_user (PerchSession *session);

/* Completion of one INFO: the SIP status to answer it with (200, or 4xx/5xx
 * with a reason) and, for 503, seconds to wait. For a post this runs only
 * after the post is durable. */
typedef void (*PerchInfoDone) (int sip_status, const char *reason, guint retry_after, gpointer user_data);

/* Handles one INFO body. DONE is called exactly once (possibly before this
 * returns). Replies and notices go out through the session's transport,
 * after DONE. */
void perch_channel_handle_info (PerchChannel *channel, PerchSession *session,
                                const char *body, gsize len,
                                PerchInfoDone done, gpointer user_data);

/* ---- file transfer (cmd:getfutok / cmd:getfdtok; perch-channel-files.c) ----
 *
 * A token is single-use, expires after PERCH_FILE_TOKEN_LIFETIME_S, and is
 * bound to the user it was issued to, a room, and a file: for an upload the
 * (sanitized) display name, for a download the file's id. The HTTP service
 * takes it back when the transfer starts, and the rules are checked again
 * then, so a member removed since cannot use a token issued before. */

#define PERCH_FILE_TOKEN_LIFETIME_S 300

typedef enum {
  PERCH_FILE_UPLOAD = 1,
  PERCH_FILE_DOWNLOAD,
} PerchFileDirection;

typedef struct {
  PerchFileDirection direction;
  char              *user;     /* sip: URI it was issued to */
  char              *room_id;
  char              *file;     /* upload: display name; download: file id */
} PerchFileGrant;

void perch_file_grant_free (PerchFileGrant *grant);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchFileGrant, perch_file_grant_free)

/* Where tokens are used: the HTTP service's base URL ("https://host:port"),
 * set by the server once it listens. NULL: no file transfer. */
void perch_channel_set_files_url (PerchChannel *channel, const char *base_url);

/* Takes TOKEN back for a transfer in DIRECTION by WHO. NOT_FOUND for an
 * unknown, used, expired or other-direction token, or a room or file that
 * is gone; ACCESS_DENIED for another user's token (which stays usable by
 * its owner) or when the rules no longer allow the transfer. */
PerchFileGrant *perch_channel_file_token_take (PerchChannel *channel, const char *token,
                                               PerchFileDirection direction, const PerchPrincipal *who,
                                               GError **error);

/* max_file_size_kb in bytes, as configured now. */
gint64 perch_channel_max_file_size (PerchChannel *channel);

/* A display name from what a client sent: the part after the last / or \,
 * valid UTF-8, no control characters, at most 255 bytes; "file" when
 * nothing is left. Never used as a path. */
char *perch_file_name_sanitize (const char *name);
/* Is ID shaped like a file id (32 lower-case hex digits)? */
gboolean perch_file_id_valid (const char *id);

/* Records a FILEDOWNLOAD (or other file) compliance event through the
 * committer; DONE runs on the main context once it is durable (ERROR NULL)
 * or has failed — before this returns, with BUSY, when the committer's
 * backlog is over max_pending_writes. */
typedef void (*PerchChannelEventDone) (const GError *error, gpointer user_data);
void perch_channel_record_file_event (PerchChannel *channel, PerchEventType type, const char *room_id,
                                      const char *user, const char *file_id,
                                      PerchChannelEventDone done, gpointer user_data);

/* Figures for status pages and benchmarks. */
guint perch_channel_n_sessions (PerchChannel *channel);
guint perch_channel_n_rooms (PerchChannel *channel);
guint64 perch_channel_n_posts (PerchChannel *channel);

G_END_DECLS
