/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl.h: what the parts of perchctl share.
 *
 *   perchctl.c           global options, the noun table, credentials, main
 *   perchctl-args.c      a verb's options: parsing and checking values
 *   perchctl-http.c      the one HTTP helper (sign-in, requests, exit codes)
 *   perchctl-output.c    tables, key/value blocks, dates and sizes, JSON
 *   perchctl-verbs.c     verbs several nouns share (delete, list edits, lists)
 *   perchctl-chat.c      `chat`, over SIP/XCCOS
 *   perchctl-room.c      `room`, `message`
 *   perchctl-category.c  `category`
 *   perchctl-pool.c      `pool`, `config`, `compliance`, `policy`, `user`,
 *                        `group`, `addin`, `audit`
 *   perchctl-archive.c   `export`, `import` */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "perch-client.h"

G_BEGIN_DECLS

/* Exit codes scripts can rely on. */
enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,        /* the server refused or failed (403, 409, 422, 5xx) */
  EXIT_USAGE = 2,         /* the command line is wrong (or the server said 400) */
  EXIT_AUTH = 3,          /* sign-in refused (401) */
  EXIT_NOT_FOUND = 4,     /* no such thing, or not yours to see (404) */
  EXIT_UNAVAILABLE = 5,   /* cannot reach the server, or it is busy (503, 429) */
};

#define PERCHCTL_DEFAULT_SERVER "http://127.0.0.1:8080"

typedef struct {
  /* global options */
  char        *server;     /* the room management service's base URL */
  char        *sip;        /* HOST:PORT, for `chat` */
  gboolean     tls;
  gboolean     insecure;   /* accept any certificate (demo) */
  char        *user;
  gboolean     json;
  /* what runs */
  char        *command;    /* "room list": prefixes error messages */
  const char  *usage;      /* the running verb's usage line */
  /* chat, over SIP */
  PerchClient *client;
  GMainLoop   *loop;
  /* the HTTP service */
  SoupSession *session;
  char        *api;        /* SERVER/api/v1 */
  char        *token;      /* bearer token once signed in */
} Ctl;

typedef struct {
  const char *verb;
  int       (*func) (Ctl *ctl, int argc, char **argv);
  const char *usage;       /* "room list [--category C] ..." */
  const char *summary;
} PerchctlVerb;

/* ---- perchctl.c ------------------------------------------------------------- */

/* $PERCH_PASSWORD, else a prompt without echo, else (not a terminal) the
 * first line of standard input; NULL when there is none. */
char    *perchctl_read_password (const char *prompt, const char *env);
/* The user to sign in as: --user, else $PERCH_USER; prints and NULL. */
const char *perchctl_user (Ctl *ctl);
/* Asks "QUESTION [y/N]" on the terminal. Without a terminal, refuses
 * unless YES (the verb's --yes) was given. Returns EXIT_OK to go on. */
int      perchctl_confirm (Ctl *ctl, gboolean yes, const char *question);

/* ---- perchctl-args.c ---------------------------------------------------------- */

typedef struct _Args Args;

/* Parses a verb's ARGV. SPEC names its options, NULL-terminated: "name" is
 * a flag, "name=" takes one value, "name*" takes every following word up
 * to the next option (and may be repeated), "name?" takes the next word
 * when it is not an option. --json is accepted everywhere, --help prints
 * the verb's usage. Between MIN_POS and MAX_POS words are positional.
 * NULL with *STATUS the exit code (EXIT_OK after --help). */
Args        *args_parse (Ctl *ctl, int argc, char **argv, const char *const *spec,
                         guint min_pos, guint max_pos, int *status);
void         args_free (Args *args);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Args, args_free)

guint        args_n_pos (Args *args);
const char  *args_pos (Args *args, guint i);
/* Every positional word from I on, NULL-terminated (not to be freed). */
const char *const *args_pos_from (Args *args, guint i);
gboolean     args_has (Args *args, const char *name);
/* The value of a "name=" or "name?" option ("" when "name?" came alone),
 * NULL when not given. */
const char  *args_get (Args *args, const char *name);
/* The values of a "name*" option, NULL-terminated, NULL when not given. */
const char *const *args_list (Args *args, const char *name);

/* Value checks: each prints the problem and returns EXIT_USAGE, or EXIT_OK
 * (leaving *OUT alone when the option was not given). */
int args_enum (Ctl *ctl, Args *args, const char *name, const char *const *values, const char **out);
/* yes|no (also true/false, on/off, 1/0): *OUT 1 or 0. */
int args_yes_no (Ctl *ctl, Args *args, const char *name, int *out);
int args_int (Ctl *ctl, Args *args, const char *name, gint64 min, gint64 max, gint64 *out);
/* A date for the service: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] (local time
 * unless a zone is given), full ISO 8601, or "now". A date alone means the
 * start of that day, or with END_OF_DAY its last microsecond. *OUT is UTC
 * ISO 8601, newly allocated. */
int args_date (Ctl *ctl, Args *args, const char *name, gboolean end_of_day, char **out);
/* Prints "perchctl: MESSAGE" and the verb's usage; returns EXIT_USAGE. */
int usage_error (Ctl *ctl, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* ---- perchctl-http.c ------------------------------------------------------------ */

/* METHOD API-PATH (below /api/v1, escaped, with its query) with BODY (JSON,
 * may be NULL; taken). Signs in first when needed. On success *REPLY is
 * the answer (NULL for 204) and EXIT_OK is returned; otherwise the
 * service's message is printed and the exit code for it returned. */
int      api_call (Ctl *ctl, const char *method, const char *path, JsonNode *body, JsonNode **reply);
/* GET PATH: *EXISTS whether it answered 200 (then *REPLY, when not NULL)
 * or 404, which is not an error here. */
int      api_exists (Ctl *ctl, const char *path, gboolean *exists, JsonNode **reply);
/* METHOD PATH for what is too big to hold: BODY (may be NULL) streamed up
 * as TYPE of LENGTH bytes (-1: unknown); a successful answer streamed into
 * OUT (left open; *WRITTEN its size, *FILENAME the name the service suggests,
 * or NULL), or when OUT is NULL parsed into *REPLY. Errors as api_call. */
int      api_stream (Ctl *ctl, const char *method, const char *path, GInputStream *body, const char *type,
                     goffset length, GOutputStream *out, goffset *written, char **filename, JsonNode **reply);
/* GET PATH, then every next_cursor page when ALL, items gathered in one
 * {"items": [...], "next_cursor": ...} answer. */
int      api_list (Ctl *ctl, const char *path, gboolean all, JsonNode **reply);
/* Revokes the token, if any; closes the session. */
void     api_close (Ctl *ctl);

/* "/rooms/<ROOM escaped>/members": each segment escaped (NULL-terminated). */
char    *api_path (const char *first, ...) G_GNUC_NULL_TERMINATED;
/* Appends "?KEY=VALUE" or "&KEY=VALUE", escaped; nothing when VALUE is NULL. */
void     api_query (GString *path, const char *key, const char *value);

/* JSON bodies. */
JsonNode  *json_object_node (JsonObject *obj);   /* takes OBJ */
JsonArray *json_strv_array (const char *const *strv);
/* {"add": [...], "remove": [...]} for whichever is given; NULL when neither. */
JsonObject *json_list_edit (const char *const *add, const char *const *remove);

/* ---- perchctl-output.c ------------------------------------------------------------ */

typedef struct _Table Table;
/* Columns named by the NULL-terminated headers. */
Table   *table_new (const char *first_header, ...) G_GNUC_NULL_TERMINATED;
Table   *table_new_v (const char *const *headers);   /* NULL-terminated */
/* Cells beyond WIDTH characters are cut with "…" (0: no limit). */
void     table_set_max_width (Table *table, guint column, guint width);
/* One cell per column; NULL prints as "". */
void     table_add (Table *table, ...);
/* The same with the cells in an array (one per column). */
void     table_add_v (Table *table, const char *const *cells);
/* Aligned columns, the headers in capitals; frees the table. */
void     table_print (Table *table);
void     table_free (Table *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Table, table_free)

/* "key:          value" lines. */
void     print_field (const char *key, const char *value);
/* The service's JSON, pretty. */
void     print_json_node (JsonNode *node);

const char *jstr (JsonObject *obj, const char *member);          /* "" for missing or null */
gint64   jint (JsonObject *obj, const char *member);
gboolean jbool (JsonObject *obj, const char *member);
JsonArray *jarray (JsonObject *obj, const char *member);         /* NULL for missing or null */
/* The items of a list answer. */
JsonArray *jitems (JsonNode *reply);
/* "a, b, c"; "" when empty or missing. Strips "sip:" from users. */
char    *fmt_list (JsonObject *obj, const char *member);
/* A service time as local "YYYY-MM-DD HH:MM" (SECONDS: ":SS" too);
 * "" for missing or null. */
char    *fmt_time (const char *iso, gboolean seconds);
char    *fmt_bytes (gint64 bytes);
char    *fmt_duration (gint64 seconds);
const char *fmt_yes_no (gboolean value);
/* "alice@example.test" for "sip:alice@example.test". */
const char *fmt_user (const char *uri);

/* ---- the nouns ---------------------------------------------------------------- */

extern const PerchctlVerb perchctl_chat_verbs[];
extern const PerchctlVerb perchctl_room_verbs[];
extern const PerchctlVerb perchctl_message_verbs[];
extern const PerchctlVerb perchctl_category_verbs[];
extern const PerchctlVerb perchctl_config_verbs[];
extern const PerchctlVerb perchctl_compliance_verbs[];
extern const PerchctlVerb perchctl_policy_verbs[];
extern const PerchctlVerb perchctl_user_verbs[];
extern const PerchctlVerb perchctl_group_verbs[];
extern const PerchctlVerb perchctl_addin_verbs[];
extern const PerchctlVerb perchctl_pool_verbs[];
extern const PerchctlVerb perchctl_audit_verbs[];
extern const PerchctlVerb perchctl_export_verbs[];
extern const PerchctlVerb perchctl_import_verbs[];

/* ---- perchctl-verbs.c: verbs several nouns share ---------------------------------- */

/* A verb without options that shows one answer: METHOD PATH (with LIST,
 * every page of GET PATH). With --json the answer is printed as it came
 * and *REPLY stays NULL; otherwise *REPLY is the answer, for the verb to
 * print its own way. Errors as api_call. */
int      perchctl_fetch (Ctl *ctl, int argc, char **argv, const char *method, const char *path, gboolean list,
                         JsonNode **reply);
/* `NOUN delete NAME`: DELETE /COLLECTION/NAME, then "deleted WHAT NAME".
 * With QUESTION (its "%s" standing for the name) the verb takes --yes and
 * asks first (perchctl_confirm). */
int      perchctl_delete (Ctl *ctl, int argc, char **argv, const char *collection, const char *what,
                          const char *question);
/* `NOUN LIST NAME [--add P...] [--remove P...]`: one principal list of
 * /COLLECTION/NAME, shown (GET) or edited (PATCH {LIST: {add, remove}}),
 * then printed one principal a line; WHEN_EMPTY (may be NULL) is printed
 * for an empty list. */
int      perchctl_list_edit (Ctl *ctl, int argc, char **argv, const char *collection, const char *list,
                             const char *when_empty);

typedef struct {
  const char *header;   /* NULL ends the columns */
  const char *member;   /* of each item */
  gboolean    list;     /* an array of principals, shown "a, b" */
} PerchctlColumn;
/* `NOUN list`: every page of PATH as a table of COLUMNS. */
int      perchctl_list (Ctl *ctl, int argc, char **argv, const char *path, const PerchctlColumn *columns);

/* `room eligible` and `category eligible`: COLLECTION "rooms" or "categories". */
int      perchctl_eligible (Ctl *ctl, int argc, char **argv, const char *collection);

/* chat signs in over SIP before its verbs run, and closes its session. */
int      perchctl_chat_sign_in (Ctl *ctl);
void     perchctl_chat_close (Ctl *ctl);

G_END_DECLS
