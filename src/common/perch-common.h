/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-common.h: types and helpers shared by every part of Perch.
 *
 * The error domain here is the one every layer reports in; its codes are
 * chosen to map one-to-one onto XCCOS result codes and HTTP statuses, so a
 * handler can answer any GError without a translation table of its own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PERCH_ERROR (perch_error_quark ())
GQuark perch_error_quark (void);

typedef enum {
  PERCH_ERROR_BAD_REQUEST   = 400, /* malformed input */
  PERCH_ERROR_ACCESS_DENIED = 403, /* policy said no */
  PERCH_ERROR_NOT_FOUND     = 404, /* missing, or secret and not yours */
  PERCH_ERROR_CONFLICT      = 409, /* name taken, not empty, ... */
  PERCH_ERROR_TOO_LARGE     = 413, /* over a size or count limit */
  PERCH_ERROR_RULE          = 422, /* violates an admin-model rule */
  PERCH_ERROR_FAILED        = 500, /* store or internal failure */
  PERCH_ERROR_BUSY          = 503, /* over load limits; retry later */
} PerchErrorCode;

/* The XCCOS text of a result code: "SUCCESS_OK", "ACCESS_DENIED", ... */
const char *perch_error_code_name (int code);

typedef enum {
  PERCH_PRIVACY_OPEN = 0,
  PERCH_PRIVACY_CLOSED = 1,
  PERCH_PRIVACY_SECRET = 2,
} PerchPrivacy;

typedef enum {
  PERCH_ROOM_NORMAL = 0,
  PERCH_ROOM_AUDITORIUM = 1,
} PerchRoomType;

const char *perch_privacy_to_string (PerchPrivacy privacy);
gboolean    perch_privacy_from_string (const char *s, PerchPrivacy *out);
const char *perch_room_type_to_string (PerchRoomType type);
gboolean    perch_room_type_from_string (const char *s, PerchRoomType *out);

/* Wall-clock time in microseconds since 1970, as stored everywhere. */
gint64 perch_now_us (void);
/* "2013-08-03T12:00:00.123Z" (milliseconds), newly allocated. */
char  *perch_format_ts (gint64 ts_us);
/* Parses ISO-8601 with a zone; FALSE when malformed. */
gboolean perch_parse_ts (const char *s, gint64 *ts_us);

/* Room and category URIs: "ma-chan://<domain>/<id>", "ma-cat://<domain>/<id>".
 * Parsing is strict: the domain and id must be non-empty and free of '/'. */
char    *perch_room_uri (const char *domain, const char *room_id);
char    *perch_category_uri (const char *domain, const char *cat_id);
gboolean perch_parse_room_uri (const char *uri, char **domain, char **room_id);
gboolean perch_parse_category_uri (const char *uri, char **domain, char **cat_id);

/* A user URI is "sip:user@domain" (lower-cased on the way in). Accepts
 * "user@domain" too. Returns NULL when it is not a plausible address. */
char *perch_normalize_user_uri (const char *s);

/* Random identifiers: 32 hex digits from the system's CSPRNG. */
char *perch_random_hex (gsize n_bytes);

/* Compare secrets without a timing leak. */
gboolean perch_const_time_equal (const char *a, const char *b);

G_END_DECLS
