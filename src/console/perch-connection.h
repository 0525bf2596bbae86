/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-connection.h: one connection of the console to a Perch pool: the room
 * management API (signed in), the XCCOS session of the same user, and in
 * demo mode the in-process demo server both talk to.
 *
 * Connecting signs in over HTTP (which must work) and then over SIP/XCCOS
 * (which may not: a user not enabled for persistent chat, a firewall); the
 * pages that need XCCOS ask perch_connection_get_client and read
 * perch_connection_get_chat_error when it is NULL. */
#pragma once

#include <gio/gio.h>
#include "perch-client.h"
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_CONNECTION (perch_connection_get_type ())
G_DECLARE_FINAL_TYPE (PerchConnection, perch_connection, PERCH, CONNECTION, GObject)

/* SIP_ADDRESS is "HOST:PORT"; NULL or "" for no XCCOS session. */
PerchConnection *perch_connection_new (const char *base_url, const char *sip_address, gboolean sip_tls,
                                 const char *user, const char *password);
/* Starts a demo server when connected, and stops it when closed. */
PerchConnection *perch_connection_new_demo (void);

/* Accept the HTTPS certificate with this fingerprint (and, on the same
 * host, the SIP one: perchd presents one certificate for both). */
void        perch_connection_accept_certificate (PerchConnection *self, const char *fingerprint);

void        perch_connection_connect_async  (PerchConnection *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean    perch_connection_connect_finish (PerchConnection *self, GAsyncResult *result, GError **error);
/* Ends the XCCOS session, signs out, stops the demo server. Keeps the
 * application alive (g_application_hold) until done. Never fails. */
void        perch_connection_close_async  (PerchConnection *self, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean    perch_connection_close_finish (PerchConnection *self, GAsyncResult *result, GError **error);

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

/* Signals:
 *   "chat-closed" (GError *error): the XCCOS session ended by itself. */

G_END_DECLS
