/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-api.h: an asynchronous client of perchd's room management service
 * (the HTTP JSON API under /api/v1).
 *
 * Paths are relative to /api/v1 ("/rooms?text=x"); escape path segments
 * with perch_api_escape. A request the server refuses fails in the
 * PERCH_API_ERROR domain with the HTTP status as the code and the server's
 * own message; a certificate that is not trusted fails with
 * PERCH_API_ERROR_CERTIFICATE, after which the certificate's fingerprint
 * can be read and, if the administrator accepts it, passed to
 * perch_api_accept_certificate for the next attempt. Transport failures
 * keep GIO's domain.
 *
 * A bearer token that expires (they last an hour) is renewed with the
 * credentials of the last successful login, once per request.
 *
 * Signals:
 *   "network-error" (GError *error): a request failed because the server
 *   could not be reached or the connection to it broke
 *   (perch_api_error_is_network); emitted before the request completes. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_API_ERROR (perch_api_error_quark ())
GQuark perch_api_error_quark (void);

typedef enum {
  PERCH_API_ERROR_CERTIFICATE   = 1,  /* the server's TLS certificate is not trusted */
  PERCH_API_ERROR_INVALID_REPLY = 2,  /* the answer is not the JSON the API sends */
  PERCH_API_ERROR_INVALID_URL   = 3,  /* the base URL is not an http(s) URL */
  /* every code from 300 on is the HTTP status the server answered */
} PerchApiError;

#define PERCH_TYPE_API (perch_api_get_type ())
G_DECLARE_FINAL_TYPE (PerchApi, perch_api, PERCH, API, GObject)

/* BASE_URL: "https://host:port", with or without a trailing "/api/v1/".
 * NULL and ERROR when it is not an http or https URL. */
PerchApi   *perch_api_new (const char *base_url, GError **error);
/* "https://host:port", normalized. */
const char *perch_api_get_base_url (PerchApi *self);
/* "host:port", the key accepted certificates are kept under. */
const char *perch_api_get_server_key (PerchApi *self);

/* Accept a certificate with this SHA-256 fingerprint although it is not
 * trusted (for this PerchApi only; the caller remembers it). */
void        perch_api_accept_certificate (PerchApi *self, const char *fingerprint);
/* After PERCH_API_ERROR_CERTIFICATE: the fingerprint ("AB:CD:...") and a
 * sentence saying what is wrong with the certificate. NULL otherwise. */
const char *perch_api_get_rejected_fingerprint (PerchApi *self);
const char *perch_api_get_rejected_reason (PerchApi *self);

/* "it is not signed by an authority this computer trusts; it has expired":
 * ERRORS in words, for a dialog about a certificate. */
char       *perch_api_describe_certificate_errors (GTlsCertificateFlags errors);

/* Whether ERROR says the server could not be reached or stopped answering
 * (refused, reset, timed out, name not found) rather than answered. */
gboolean    perch_api_error_is_network (const GError *error);

/* POST /login; keeps the token and the credentials (for renewal). */
void      perch_api_login_async  (PerchApi *self, const char *user, const char *password,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean  perch_api_login_finish (PerchApi *self, GAsyncResult *result, GError **error);
/* POST /logout when signed in; forgets the token and the credentials.
 * Never fails. */
void      perch_api_logout_async  (PerchApi *self, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean  perch_api_logout_finish (PerchApi *self, GAsyncResult *result, GError **error);
gboolean  perch_api_is_signed_in (PerchApi *self);

/* METHOD PATH with BODY (may be NULL) as JSON. The finish functions return
 * the answer's JSON, or NULL with no error set for an empty answer (204). */
void      perch_api_send_async  (PerchApi *self, const char *method, const char *path,
                                 JsonNode *body, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
JsonNode *perch_api_send_finish (PerchApi *self, GAsyncResult *result, GError **error);
void      perch_api_get_async   (PerchApi *self, const char *path, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
JsonNode *perch_api_get_finish  (PerchApi *self, GAsyncResult *result, GError **error);

/* Cancels every request in flight and closes the connections. */
void      perch_api_abort (PerchApi *self);

/* A path segment or query value, percent-encoded. */
char     *perch_api_escape (const char *text);
/* The HTTP status an error carries, 0 when it is not a server's answer. */
guint     perch_api_error_get_status (const GError *error);

/* Small helpers over json-glib for the answers. */
const char *perch_json_get_string (JsonObject *obj, const char *member, const char *fallback);
gint64      perch_json_get_int (JsonObject *obj, const char *member, gint64 fallback);
double      perch_json_get_double (JsonObject *obj, const char *member, double fallback);
gboolean    perch_json_get_bool (JsonObject *obj, const char *member, gboolean fallback);
/* A member that is an array of strings, as a newly allocated strv (never NULL). */
char      **perch_json_get_strv (JsonObject *obj, const char *member);
JsonNode   *perch_json_strv_node (const char *const *strv);
/* The "items" array of a list answer ({"items": [...], "next_cursor": ...});
 * NULL when NODE has none. */
JsonArray  *perch_json_get_items (JsonNode *node);

G_END_DECLS
