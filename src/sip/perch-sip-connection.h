/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-connection.h: one SIP stream (TCP or TLS), for servers and clients.
 *
 * Reads are framed and parsed here and handed up one message at a time.
 * Writes are queued per connection and flushed once per main-loop iteration
 * with a single writev, so fanning a post out to a room costs one syscall
 * per recipient per iteration, not one per message. A peer that does not
 * read its output is cut off when its queue passes a hard bound. */
#pragma once

#include <gio/gio.h>
#include "perch-sip-message.h"

G_BEGIN_DECLS

#define PERCH_SIP_OUTPUT_HIGH  (1024 * 1024)      /* stop reading from the peer above this */
#define PERCH_SIP_OUTPUT_LIMIT (8 * 1024 * 1024)  /* close the connection above this */

typedef struct _PerchSipConnection PerchSipConnection;

typedef struct {
  /* MSG is the callee's to free (osip_message_free). */
  void (*message) (PerchSipConnection *conn, osip_message_t *msg, gpointer user_data);
  /* A framing or parse error; the connection closes after this returns. */
  void (*error)   (PerchSipConnection *conn, const GError *error, gpointer user_data);
  /* The connection is gone (peer closed, error, or perch_sip_connection_close). */
  void (*closed)  (PerchSipConnection *conn, gpointer user_data);
} PerchSipConnectionCallbacks;

PerchSipConnection *perch_sip_connection_new (GIOStream *stream,
                                              const PerchSipConnectionCallbacks *callbacks,
                                              gpointer user_data);
PerchSipConnection *perch_sip_connection_ref (PerchSipConnection *conn);
void                perch_sip_connection_unref (PerchSipConnection *conn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchSipConnection, perch_sip_connection_unref)

void     perch_sip_connection_start (PerchSipConnection *conn);
/* Queues BYTES; they go out with the next flush. */
void     perch_sip_connection_send (PerchSipConnection *conn, GBytes *bytes);
/* Serializes and queues MSG (MSG stays the caller's). */
void     perch_sip_connection_send_message (PerchSipConnection *conn, osip_message_t *msg);
/* Flushes what is queued, then closes. Idempotent. */
void     perch_sip_connection_close (PerchSipConnection *conn);
gboolean perch_sip_connection_is_closed (PerchSipConnection *conn);
/* Counts a message against a one-second window; returns the count so far. */
guint    perch_sip_connection_count_message (PerchSipConnection *conn);
gsize    perch_sip_connection_queued_bytes (PerchSipConnection *conn);
/* "127.0.0.1:5060" of the peer, for logs and the Via received= parameter. */
const char *perch_sip_connection_peer (PerchSipConnection *conn);
/* The stream is a TLS connection. */
gboolean perch_sip_connection_is_tls (PerchSipConnection *conn);

/* Drop 2xx responses unparsed (a server that does not track the outcome
 * of its own requests only cares about failures). */
void     perch_sip_connection_set_skip_success_responses (PerchSipConnection *conn, gboolean skip);

void     perch_sip_connection_set_data (PerchSipConnection *conn, gpointer data, GDestroyNotify destroy);
gpointer perch_sip_connection_get_data (PerchSipConnection *conn);

G_END_DECLS
