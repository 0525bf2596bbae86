/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-client.h: a Perch (Lync Persistent Chat) client: signs in over SIP and
 * speaks XCCOS in one INVITE dialog.
 *
 * The tests, `perchctl chat` and the console all talk to perchd through this,
 * so it says exactly what the server answered: SIP statuses and XCCOS result
 * codes become GErrors in the PERCH_ERROR domain with the same numbers.
 * Transport failures keep GIO's domain (G_IO_ERROR), and a command that gets
 * no reply in time fails with G_IO_ERROR_TIMED_OUT.
 *
 * Everything runs on the thread-default main context at construction time;
 * the object is not thread-safe. */
#pragma once

#include <gio/gio.h>
#include "perch-xccos.h"

G_BEGIN_DECLS

#define PERCH_CLIENT_DEFAULT_TIMEOUT_MS 10000

/* An XCCOS reply to one command. The item and its nodes live in the envelope
 * and stay valid as long as the reply does. */
typedef struct {
  int                 code;       /* the <resp code>, 200 on success */
  const char         *code_text;  /* "SUCCESS_OK", ...; NULL when absent */
  PerchXccosItem     *item;       /* the matching <rpl> */
  xmlNode            *data;       /* item->data: the reply's <data> or NULL */
  PerchXccosEnvelope *envelope;   /* the whole envelope the reply came in */
  /*< private >*/
  gatomicrefcount     ref;
  gpointer            shared;     /* the envelope's reference count */
} PerchClientReply;

#define PERCH_TYPE_CLIENT_REPLY (perch_client_reply_get_type ())
GType             perch_client_reply_get_type (void);
PerchClientReply *perch_client_reply_ref (PerchClientReply *reply);
void              perch_client_reply_unref (PerchClientReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchClientReply, perch_client_reply_unref)

#define PERCH_TYPE_CLIENT (perch_client_get_type ())
G_DECLARE_FINAL_TYPE (PerchClient, perch_client, PERCH, CLIENT, GObject)

/* USER is "alice@example.test" or "sip:alice@example.test"; its domain is
 * the realm and the REGISTER target. */
PerchClient *perch_client_new (const char *host, guint16 port, gboolean tls,
                               const char *user, const char *password);

/* Accept any TLS certificate; only for tests and the local demo. Set before
 * connecting. */
void     perch_client_set_accept_invalid_certificates (PerchClient *self, gboolean accept);
/* Pin the server's TLS certificate: FINGERPRINT is its SHA-256, as hex
 * digits with or without colons ("AB:CD:..."), or NULL for none. A pinned
 * certificate is accepted although it is not trusted (self-signed, say),
 * and no other is, trusted or not: connecting then fails with
 * G_TLS_ERROR_BAD_CERTIFICATE and a message naming both fingerprints. The
 * pin overrides accept-invalid-certificates. Set before connecting; FALSE
 * when FINGERPRINT is not a SHA-256 fingerprint (nothing is pinned then).
 * Also the "pinned-certificate" property. */
gboolean    perch_client_set_pinned_certificate (PerchClient *self, const char *fingerprint);
const char *perch_client_get_pinned_certificate (PerchClient *self);   /* normalized, or NULL */
/* After a TLS handshake (done or refused): the SHA-256 fingerprint
 * ("AB:CD:...") of the certificate the server presented and what
 * validating it found (0: trusted), so that a caller can show a refused
 * certificate and let the user pin it. NULL and 0 before, or over TCP. */
const char          *perch_client_get_peer_certificate_fingerprint (PerchClient *self);
GTlsCertificateFlags perch_client_get_peer_certificate_errors (PerchClient *self);
/* The SHA-256 fingerprint of CERT's DER form, "AB:CD:..." (95 characters). */
char       *perch_tls_fingerprint (GTlsCertificate *cert);
/* TEXT as "AB:CD:...", or NULL when it is not 64 hex digits (colons and
 * spaces between them are ignored). */
char       *perch_tls_fingerprint_normalize (const char *text);
/* Per-command (and per-SIP-transaction) timeout; 0 restores the default. */
void     perch_client_set_timeout (PerchClient *self, guint timeout_ms);

/* TCP/TLS connect, REGISTER with Digest, provisioning SUBSCRIBE, INVITE of
 * the persistent chat pool, ACK. The INVITE is sent even when provisioning
 * says chat is disabled, so that the server, which decides, answers it: a
 * refusal then fails with PERCH_ERROR_ACCESS_DENIED. */
void     perch_client_connect_async  (PerchClient *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean perch_client_connect_finish (PerchClient *self, GAsyncResult *result, GError **error);

const char *perch_client_get_user_uri (PerchClient *self);     /* "sip:alice@example.test" */
const char *perch_client_get_domain (PerchClient *self);       /* "example.test" */
/* From provisioning; valid once the SUBSCRIBE was answered, even when the
 * INVITE then failed. */
gboolean    perch_client_get_chat_enabled (PerchClient *self);
const char *perch_client_get_pool_uri (PerchClient *self);
const char *perch_client_get_provisioning_xml (PerchClient *self);
/* TRUE between a successful connect and close. */
gboolean    perch_client_is_connected (PerchClient *self);
/* Retry-After (seconds) of the last 503 the server answered; 0 when none. */
guint       perch_client_get_retry_after (PerchClient *self);

/* Sends `<cmd id=CMD_ID seqid=..><data>DATA_XML</data></cmd>` in an INFO and
 * completes with the matching rpl (by commandid seqid and envid). DATA_XML is
 * inner XML, copied verbatim: escape values with perch_xml_attr_append. A
 * reply code other than 200 fails with that code in PERCH_ERROR; a SIP error
 * status on the INFO fails with that status (503: PERCH_ERROR_BUSY). */
void              perch_client_command_async  (PerchClient *self, const char *cmd_id,
                                               const char *data_xml, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
PerchClientReply *perch_client_command_finish (PerchClient *self, GAsyncResult *result,
                                               GError **error);

/* Posts TEXT to ROOM_URI; completes when the server's SIP 200 says it is
 * stored. The post itself comes back through the "post" signal. */
void     perch_client_post_async  (PerchClient *self, const char *room_uri, const char *text,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean perch_client_post_finish (PerchClient *self, GAsyncResult *result, GError **error);

/* Thin wrappers: they build the <data> and call perch_client_command_async;
 * finish them with perch_client_command_finish. */
void perch_client_search_rooms_async (PerchClient *self, const char *criteria,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
void perch_client_join_async         (PerchClient *self, const char *room_uri,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
void perch_client_part_async         (PerchClient *self, const char *room_uri,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
void perch_client_history_async      (PerchClient *self, const char *room_uri, guint last,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
void perch_client_get_server_info_async (PerchClient *self, GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);

/* The <data> of those commands, for callers that send them otherwise. */
char *perch_client_build_search_data (const char *criteria);
char *perch_client_build_join_data (const char *room_uri);   /* NULL: not a room URI */
char *perch_client_build_part_data (const char *room_uri);
char *perch_client_build_history_data (const char *room_uri, guint last);
char *perch_client_build_server_info_data (const char *domain);

/* Sends BYE (when the session is up) and closes the connection; pending
 * operations fail with G_IO_ERROR_CLOSED and "closed" is emitted with NULL.
 * Idempotent. */
void perch_client_close (PerchClient *self);
/* The same, but waits for the server's answer to the BYE (or the timeout)
 * and completes once the connection is closed: what a program that is about
 * to exit, or a test, wants. Never fails. */
void     perch_client_close_async  (PerchClient *self, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean perch_client_close_finish (PerchClient *self, GAsyncResult *result, GError **error);

/* Signals:
 *   "post"   (const char *room_uri, const char *author, const char *text,
 *             const char *ts, const char *msgid): a live post, including
 *             this client's own posts as the server sends them back.
 *   "notice" (const char *id, gpointer item): an <ntc>; ITEM is the
 *             PerchXccosItem*, valid during the emission only.
 *   "closed" (GError *error): the session ended; NULL when closed by
 *             perch_client_close, else why (a server BYE, a 481, the
 *             connection dropping). Emitted once. */

G_END_DECLS
