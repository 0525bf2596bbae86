/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-http.h: HTTP requests to perchd's room management service for
 * the tests that drive it: one request with libsoup, waited for on the main
 * context, its answer kept whole and its JSON parsed; and raw requests on a
 * socket of their own, for what no client library would send.
 *
 * What a test checks of every answer beyond that is chosen with
 * PerchTestHttpFlags (test-http.c's Content-Type and Cache-Control checks,
 * test-files.c's answers that are not JSON), so one request function can
 * serve them all. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "perch-test-util.h"

G_BEGIN_DECLS

typedef enum {
  PERCH_TEST_HTTP_DEFAULT         = 0,
  /* Assert that a non-empty answer says Content-Type: application/json
   * (before it is parsed). */
  PERCH_TEST_HTTP_ASSERT_JSON     = 1 << 0,
  /* Assert that every answer says Cache-Control: no-store. */
  PERCH_TEST_HTTP_ASSERT_NO_STORE = 1 << 1,
  /* Parse a non-empty answer only when it says application/json; without
   * this flag every non-empty answer is parsed, and must parse. */
  PERCH_TEST_HTTP_JSON_IF_TYPED   = 1 << 2,
} PerchTestHttpFlags;

typedef struct {
  guint               status;   /* the HTTP status */
  SoupMessageHeaders *headers;  /* the response headers */
  char               *text;     /* the body as it came, "" when empty */
  JsonNode           *json;     /* the body parsed, or NULL (empty or not parsed) */
  JsonObject         *obj;      /* json's object, or NULL */
} PerchTestHttpReply;

/* METHOD PATH, where PATH is appended to BASE ("http://127.0.0.1:PORT")
 * unless it is a whole URL ("http..."), sent with SESSION. AUTH, when not
 * NULL, is the Authorization header; BODY, when not NULL, is LEN bytes sent
 * as CONTENT_TYPE. Any server certificate is accepted. Waits TIMEOUT_MS at
 * most (g_error after that); an exchange that fails (no answer at all) is a
 * g_error too, naming METHOD, PATH and the error. The status itself is the
 * caller's to check. The reply is newly allocated:
 * free it with perch_test_http_reply_free. */
PerchTestHttpReply *perch_test_http (SoupSession *session, const char *base, const char *method,
                                     const char *path, const char *auth, const void *body, gsize len,
                                     const char *content_type, PerchTestHttpFlags flags,
                                     guint timeout_ms);
/* The reply to MSG, whose body (LEN bytes of TEXT) the caller read: what
 * perch_test_http returns, for a message the caller sent in its own way.
 * The checks of FLAGS are made here. */
PerchTestHttpReply *perch_test_http_reply_new (SoupMessage *msg, const char *text, gsize len,
                                               PerchTestHttpFlags flags);
void                perch_test_http_reply_free (PerchTestHttpReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchTestHttpReply, perch_test_http_reply_free)

/* "/api/v1/rooms/" ROOM (URI-escaped) SUFFIX, newly allocated. */
char               *perch_test_http_room_path (const char *room, const char *suffix);

/* ---- raw HTTP: bytes no client library would send ---- */

/* A blocking TCP socket connected (asserted) to SERVER's plain HTTP port
 * (the ready line's "http"), with 15 s send and receive timeouts. Close it
 * with close(2). */
int                 perch_test_http_raw_connect (PerchTestServer *server);
/* Sends LEN bytes of DATA, all of them; FALSE when the connection failed
 * (closed, reset, or timed out) before they were all taken. */
gboolean            perch_test_http_raw_send (int fd, const void *data, gsize len);
/* Everything the server sends until it closes (or 15 s pass), newly
 * allocated. */
char               *perch_test_http_raw_read_all (int fd);
/* One REQUEST, written as given on a connection of its own (the write
 * asserted to succeed); the whole response, newly allocated. */
char               *perch_test_http_raw_request (PerchTestServer *server, const char *request);

G_END_DECLS
