/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-private.h: the web service's internals, shared by
 * perch-web.c (server, bodies, dispatch, errors), perch-web-auth.c (tokens,
 * passwords, throttling), perch-web-json.c (schemas, checking, encoding),
 * perch-web-routes.c (the route table and its handlers) and
 * perch-web-openapi.c (the document made from them).
 *
 * Request bodies and response objects are described by schemas (tables of
 * fields). The same table checks what a client sends (unknown members and
 * wrong types are refused before any handler runs) and becomes the
 * OpenAPI document's components, which is how the document stays true. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "perch-admin.h"
#include "perch-web.h"

/* ---- schemas ------------------------------------------------------------ */

typedef enum {
  PERCH_WEB_STRING = 1,   /* a string */
  PERCH_WEB_BOOL,         /* true or false */
  PERCH_WEB_INT,          /* an integer */
  PERCH_WEB_NUMBER,       /* any number */
  PERCH_WEB_TIME,         /* an ISO-8601 date-time string with a zone */
  PERCH_WEB_ENUM,         /* a string from field->values */
  PERCH_WEB_STRINGS,      /* an array of strings */
  PERCH_WEB_INTS,         /* an array of integers */
  PERCH_WEB_EDIT,         /* {"add": [strings], "remove": [strings]} */
  PERCH_WEB_OBJECT,       /* (responses) an object of schema field->ref */
  PERCH_WEB_OBJECTS,      /* (responses) an array of schema field->ref */
} PerchWebType;

typedef struct {
  const char         *name;
  PerchWebType        type;
  gboolean            required;
  gboolean            nullable;    /* null is accepted (and means what description says) */
  const char *const  *values;      /* ENUM */
  const char         *ref;         /* OBJECT, OBJECTS: a schema name */
  gint64              max;         /* INT: upper bound; 0: none */
  const char         *description;
} PerchWebField;

typedef struct {
  const char          *name;       /* "Room": components/schemas/Room */
  const char          *description;
  const PerchWebField *fields;     /* ends with a NULL name */
  const char          *additional; /* an open object (any member names): the
                                    * JSON Schema of its values; NULL: closed */
} PerchWebSchema;

const PerchWebSchema *perch_web_schema_lookup (const char *name);
extern const PerchWebSchema perch_web_schemas[];   /* ends with a NULL name */

/* Checks that NODE is an object that has only FIELDS' members, each of the
 * right type, and every required one. BAD_REQUEST names the member. */
gboolean perch_web_check_object (JsonNode *node, const PerchWebSchema *schema, GError **error);

/* Parses a request body: at most PERCH_WEB_MAX_DEPTH levels, no NUL
 * characters, no repeated member names, a JSON object at the top. */
JsonNode *perch_web_parse_body (const char *data, gsize len, GError **error);

/* Readers for checked objects: the value, or FALLBACK when absent (or null). */
const char *perch_web_get_string (JsonObject *obj, const char *name, const char *fallback);
int         perch_web_get_bool (JsonObject *obj, const char *name, int fallback);
/* NULL-terminated copies of a string array; NULL when absent. */
char      **perch_web_get_strings (JsonObject *obj, const char *name);
/* EDIT members: the "add" and "remove" lists, each NULL when absent. */
void        perch_web_get_edit (JsonObject *obj, const char *name, char ***add, char ***remove);

/* Encoders for the store's and the admin layer's types. */
JsonNode *perch_web_room_json (PerchRoomView *view);
JsonNode *perch_web_category_json (const PerchCategory *cat, const char *domain);
JsonNode *perch_web_message_json (const PerchMessage *msg);
JsonNode *perch_web_user_json (const PerchUser *user);
JsonNode *perch_web_audit_json (const PerchAuditEntry *entry);
JsonNode *perch_web_strings_json (GPtrArray *strings);
/* {"items": ITEMS, "next_cursor": NEXT_CURSOR or null}; takes ITEMS. */
JsonNode *perch_web_list_json (JsonArray *items, const char *next_cursor);
/* "2013-08-03T12:00:00.123Z", or null for 0 */
JsonNode *perch_web_time_json (gint64 ts_us);

/* ---- routes ------------------------------------------------------------- */

typedef struct _PerchWebRequest PerchWebRequest;
typedef void (*PerchWebHandler) (PerchWebRequest *req);

/* A body that is bytes rather than JSON (a file, an archive): written to a
 * temporary file as it arrives, never held in memory, hashed on the way.
 * The temporary file is removed when the request ends unless a handler
 * took it (path set to NULL). */
typedef struct {
  int            fd;            /* the temporary file, or -1 */
  char          *path;          /* its name, or NULL once taken */
  gint64         size;          /* bytes received so far */
  gint64         max;           /* set by the route's begin: at most this many */
  char          *limit_message; /* set by begin: the 413's words */
  const char    *subdir;        /* set by begin: "files/tmp" or "tmp", under the data dir */
  GChecksum     *sha256;        /* of the bytes received */
  gpointer       data;          /* the route's own, freed with data_free */
  GDestroyNotify data_free;
} PerchWebUpload;

/* Runs once a raw-body request's headers are in, before any byte of its
 * body is read: checks what can be checked (who, token, rights) and fills
 * UPLOAD's max, limit_message and subdir. An error refuses the request
 * without reading the body. */
typedef gboolean (*PerchWebBegin) (PerchWebRequest *req, PerchWebUpload *upload, GError **error);

typedef enum {
  PERCH_WEB_PARAM_STRING = 1,
  PERCH_WEB_PARAM_ENUM,
  PERCH_WEB_PARAM_BOOL,        /* true | false */
  PERCH_WEB_PARAM_INT,         /* within min..max */
  PERCH_WEB_PARAM_NUMBER,      /* a non-negative decimal number */
  PERCH_WEB_PARAM_TIME,        /* ISO-8601 with a zone */
} PerchWebParamType;

typedef struct {
  const char         *name;
  PerchWebParamType   type;
  const char *const  *values;  /* ENUM */
  gint64              min, max;/* INT */
  const char         *description;
} PerchWebParam;

#define PERCH_WEB_PUBLIC 1u     /* no authentication */

typedef struct {
  const char          *method;
  const char          *path;        /* "/api/v1/rooms/{room}" */
  PerchWebHandler      handler;
  guint                flags;
  const char          *summary;
  const PerchWebParam *query;       /* NULL or ends with a NULL name */
  const char          *body;        /* a schema name, or NULL: no body */
  int                  status;      /* on success */
  const char          *response;    /* a schema name, or NULL: no content */
  gboolean             list;        /* the response is {"items": [RESPONSE], "next_cursor"} */
  const int           *errors;      /* documented error statuses, ending with 0 */
  const char          *raw_body;    /* a media type: the body is bytes, streamed to a temporary file
                                     * (PerchWebUpload) up to the limit begin sets; NULL: JSON or none */
  const char          *raw_response;/* a media type: the answer is bytes streamed from a file */
  PerchWebBegin        begin;       /* raw_body routes: see PerchWebBegin */
} PerchWebRoute;

extern const PerchWebRoute perch_web_route_table[];   /* ends with a NULL method */

/* What the path template's {name} segments mean. */
const char *perch_web_path_param_description (const char *name);

/* ---- one request --------------------------------------------------------- */

struct _PerchWebRequest {
  PerchWeb             *web;
  SoupServerMessage    *msg;
  const PerchWebRoute  *route;
  GHashTable           *params;     /* path {name} -> decoded segment */
  GHashTable           *query;      /* checked query parameters, or NULL */
  JsonObject           *body;       /* the checked body, or NULL */
  const PerchPrincipal *actor;      /* who is asking (NULL on public routes) */
  PerchChannel         *channel;
  PerchWebUpload       *upload;     /* raw_body routes: the body received */
};

const char *perch_web_param (PerchWebRequest *req, const char *name);
const char *perch_web_query (PerchWebRequest *req, const char *name);   /* NULL when absent */
gboolean    perch_web_query_int (PerchWebRequest *req, const char *name, gint64 *out);
gboolean    perch_web_query_time (PerchWebRequest *req, const char *name, gint64 *out);

void perch_web_reply (PerchWebRequest *req, int status, JsonNode *node);   /* takes NODE; NULL: no content */
void perch_web_reply_error (PerchWebRequest *req, const GError *error);
/* Answers any message with the JSON error shape. */
void perch_web_message_error (SoupServerMessage *msg, int status, const char *message);
const char *perch_web_error_code (int status);   /* "not_found", ... */

/* perch-web.c, for handlers */
const char *_perch_web_get_domain (PerchWeb *web);

/* ---- files and streams (perch-web.c; the handlers in perch-web-files.c) -- */

PerchStore *_perch_web_get_store (PerchWeb *web);
PerchCompliance *_perch_web_get_compliance (PerchWeb *web);
/* perch-web-compliance.c */
void perch_web_handle_compliance (PerchWebRequest *req);
void perch_web_handle_compliance_events (PerchWebRequest *req);
void perch_web_handle_compliance_run (PerchWebRequest *req);
/* The data dir, or NULL when perch_web_set_data_dir was not called. */
const char *_perch_web_get_data_dir (PerchWeb *web);
/* Opens a new temporary file DATA_DIR/SUBDIR/<random> (read and write,
 * mode 0600), its name in *PATH. -1 with an error (NO_SPACE included). */
int         _perch_web_temp_open (PerchWeb *web, const char *subdir, char **path, GError **error);
/* Answers REQ 200 with FD's SIZE bytes (FD at their start), read and sent
 * a chunk at a time as the client takes them. Takes FD. */
void        _perch_web_stream_fd (PerchWebRequest *req, int fd, gint64 size, const char *content_type);
/* Work that outlives its handler (a thread, a commit) holds the service:
 * perch_web_stop waits for it, and it must touch nothing else once the
 * service is stopped. */
void        _perch_web_hold (PerchWeb *web);
void        _perch_web_release (PerchWeb *web);
gboolean    _perch_web_is_stopped (PerchWeb *web);

/* A message paused while work goes on elsewhere: whether it is still there
 * to be answered (its client may leave meanwhile). */
typedef struct _PerchWebPause PerchWebPause;
PerchWebPause *_perch_web_pause (PerchWebRequest *req);
/* Resumes the message if it is still there (answered by then), and frees
 * the pause. */
void           _perch_web_resume (PerchWebPause *pause);
SoupServerMessage *_perch_web_pause_message (PerchWebPause *pause);

/* The handlers of perch-web-files.c, for the route table. */
void     perch_web_handle_file_put (PerchWebRequest *req);
gboolean perch_web_begin_file_put (PerchWebRequest *req, PerchWebUpload *upload, GError **error);
void     perch_web_handle_file_get (PerchWebRequest *req);
void     perch_web_handle_export (PerchWebRequest *req);
void     perch_web_handle_import (PerchWebRequest *req);
gboolean perch_web_begin_import (PerchWebRequest *req, PerchWebUpload *upload, GError **error);

/* ---- authentication (perch-web-auth.c) ---------------------------------- */

typedef struct _PerchWebAuth PerchWebAuth;

PerchWebAuth *perch_web_auth_new (PerchChannel *channel, PerchStore *store);
void          perch_web_auth_free (PerchWebAuth *auth);

/* Who sent MSG (Authorization: Bearer, or Basic over TLS or loopback).
 * NULL after answering MSG itself (401, 429). */
const PerchPrincipal *perch_web_auth_check (PerchWebAuth *auth, SoupServerMessage *msg);
/* POST /api/v1/login and /api/v1/logout */
void perch_web_auth_login (PerchWebAuth *auth, PerchWebRequest *req);
void perch_web_auth_logout (PerchWebAuth *auth, PerchWebRequest *req);
PerchWebAuth *_perch_web_get_auth (PerchWeb *web);

/* Is MSG's peer on loopback, and did it come over TLS? */
gboolean perch_web_message_is_loopback (SoupServerMessage *msg);
gboolean perch_web_message_is_tls (SoupServerMessage *msg);
