/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-connection.h: one connection of the console to a Perch pool: the room
 * management API (signed in), the XCCOS session of the same user, and in
 * demo mode the in-process demo server both talk to.
 *
 * Connecting signs in over HTTP (which must work) and then over SIP/XCCOS
 * (which may not: a user not enabled for persistent chat, a firewall); the
 * pages that need XCCOS ask perch_connection_get_client and read
 * perch_connection_get_chat_error when it is NULL.
 *
 * Once connected, a connection that is lost (the XCCOS session ends by
 * itself, an HTTP request finds the server gone) goes to
 * PERCH_CONNECTION_STATE_LOST and tries again by itself, with capped
 * exponential backoff and jitter: signing in over HTTP again with the
 * credentials it keeps in memory, then opening a new XCCOS session (a new
 * PerchClient: "notify::client"). Back online, it says so with
 * "state-changed". A connection the user closes never retries. */
#pragma once

#include <gio/gio.h>
#include "perch-client.h"
#include "perch-types.h"

G_BEGIN_DECLS

typedef enum {
  PERCH_CONNECTION_STATE_IDLE,          /* not connected yet */
  PERCH_CONNECTION_STATE_CONNECTING,    /* the first connect is under way */
  PERCH_CONNECTION_STATE_ONLINE,
  PERCH_CONNECTION_STATE_LOST,          /* lost; the next attempt is scheduled (or not, see below) */
  PERCH_CONNECTION_STATE_RECONNECTING,  /* an attempt to reconnect is under way */
  PERCH_CONNECTION_STATE_CLOSED,        /* closed by the user: never retried */
} PerchConnectionState;

#define PERCH_TYPE_CONNECTION_STATE (perch_connection_state_get_type ())
GType perch_connection_state_get_type (void);

#define PERCH_TYPE_CONNECTION (perch_connection_get_type ())
G_DECLARE_FINAL_TYPE (PerchConnection, perch_connection, PERCH, CONNECTION, GObject)

/* SIP_ADDRESS is "HOST:PORT"; NULL or "" for no XCCOS session. */
PerchConnection *perch_connection_new (const char *base_url, const char *sip_address, gboolean sip_tls,
                                 const char *user, const char *password);
/* Starts a demo server when connected, and stops it when closed. */
PerchConnection *perch_connection_new_demo (void);

/* Accept the HTTPS certificate with this fingerprint. On the same host it
 * is also the SIP over TLS certificate pinned (perchd presents one
 * certificate for both), unless one was accepted for the SIP address. */
void        perch_connection_accept_certificate (PerchConnection *self, const char *fingerprint);
/* Pin the SIP over TLS certificate to this fingerprint (one the user
 * accepted for perch_connection_get_sip_key). */
void        perch_connection_accept_sip_certificate (PerchConnection *self, const char *fingerprint);
/* After a connect failed with G_TLS_ERROR_BAD_CERTIFICATE over SIP: the
 * fingerprint of the certificate the SIP server presented, and what is
 * wrong with it in words. NULL otherwise. */
const char *perch_connection_get_rejected_sip_fingerprint (PerchConnection *self);
const char *perch_connection_get_rejected_sip_reason (PerchConnection *self);
/* "host:port" of the SIP address, the key its accepted certificate is kept
 * under; NULL without a valid SIP address. */
const char *perch_connection_get_sip_key (PerchConnection *self);

void        perch_connection_connect_async  (PerchConnection *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean    perch_connection_connect_finish (PerchConnection *self, GAsyncResult *result, GError **error);
/* Ends the XCCOS session, signs out, stops the demo server. Keeps the
 * application alive (g_application_hold) until done. Never fails. */
void        perch_connection_close_async  (PerchConnection *self, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean    perch_connection_close_finish (PerchConnection *self, GAsyncResult *result, GError **error);

/* Lost connections: the state, and reconnecting. */
PerchConnectionState perch_connection_get_state (PerchConnection *self);
/* Why it was lost, or why the last attempt failed; NULL when online. */
const GError        *perch_connection_get_lost_error (PerchConnection *self);
/* In state LOST: the monotonic time (g_get_monotonic_time) of the next
 * attempt, 0 when none is scheduled (an error retrying cannot mend: a
 * refused password or certificate; perch_connection_reconnect_now). */
gint64               perch_connection_get_retry_time (PerchConnection *self);
/* In state LOST: try now, without waiting for the next attempt. */
void                 perch_connection_reconnect_now (PerchConnection *self);
/* The backoff: the first delay, doubled after each failed attempt up to the
 * maximum, less up to a fifth at random (so that consoles do not retry in
 * step). Also the "retry-initial-ms" and "retry-max-ms" properties. */
void                 perch_connection_set_retry_delays (PerchConnection *self, guint initial_ms, guint max_ms);

/* Valid once created (NULL for an invalid URL: connecting then fails and
 * says why); in demo mode, once connected. */
PerchApi        *perch_connection_get_api (PerchConnection *self);
PerchClient     *perch_connection_get_client (PerchConnection *self);        /* NULL: no XCCOS */
const GError    *perch_connection_get_chat_error (PerchConnection *self);    /* why not */
PerchDemoServer *perch_connection_get_demo_server (PerchConnection *self);   /* NULL unless demo */
gboolean         perch_connection_is_demo (PerchConnection *self);
gboolean         perch_connection_is_connected (PerchConnection *self);
gboolean         perch_connection_get_admin (PerchConnection *self);
const char      *perch_connection_get_base_url (PerchConnection *self);
const char      *perch_connection_get_sip_address (PerchConnection *self);
gboolean         perch_connection_get_sip_tls (PerchConnection *self);
const char      *perch_connection_get_user (PerchConnection *self);          /* as typed */
const char      *perch_connection_get_password (PerchConnection *self);
const char      *perch_connection_get_user_uri (PerchConnection *self);      /* "sip:admin@example.test" */
const char      *perch_connection_get_domain (PerchConnection *self);
/* "admin@example.test on chat.example.com:8443", for the window title. */
char            *perch_connection_dup_title (PerchConnection *self);

/* Properties: "state" (PerchConnectionState), "client" (PerchClient, the
 * XCCOS session's, replaced on reconnecting), "retry-initial-ms",
 * "retry-max-ms".
 * Signals:
 *   "chat-closed" (GError *error): the XCCOS session ended by itself.
 *   "state-changed" (PerchConnectionState state): after "notify::state";
 *     ONLINE after LOST/RECONNECTING means reconnected: refresh, re-join. */

G_END_DECLS
