/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-sip.h: a raw SIP connection to the real perchd, for tests that
 * must write exactly the bytes they mean (hostile input, rules compared byte
 * for byte).
 *
 * The bytes on the wire are the test's own: requests are written as text,
 * and what perchd sends back is framed and parsed with the library's framer
 * and libosip2, but never interpreted for the test. Everything is
 * asynchronous on the thread-default main context and waited for with
 * perch_test_wait; a wait that runs out of time ends the test with
 * g_error. A connection reads all the time, so perchd can never stall on it.
 *
 * The Raw and RawFrame structures are open: tests read and set their fields
 * (frames, mark, eof, envid, seqid, ...) to check what came back and to
 * write requests of their own. Messages returned by the waits stay owned by
 * the connection and live as long as it does. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <osipparser2/osip_parser.h>

#include "perch-sip-message.h"
#include "perch-test-util.h"

G_BEGIN_DECLS

/* How long any one wait on a raw connection may take. */
#define RAW_TIMEOUT_MS 20000

/* One message perchd sent, in arrival order. */
typedef struct {
  GBytes         *bytes;   /* the message as received */
  osip_message_t *msg;     /* parsed; NULL when it did not parse */
  gboolean        used;    /* a wait returned it already; later waits skip it */
} RawFrame;

typedef struct {
  GSocketConnection *conn;
  GCancellable   *cancel;
  PerchSipFramer *framer;
  GPtrArray      *frames;       /* RawFrame*, in arrival order */
  GString        *received;     /* every byte perchd sent on this connection */
  gboolean        reading;
  gboolean        eof;          /* perchd closed (or reset) the connection */
  gboolean        writing;
  GError         *write_error;
  guint           mark;         /* frames->len when the last write began */
  guint           n_final;      /* final responses received, any request */
  guint8          buf[65536];
  char           *via_host;     /* "127.0.0.1:PORT", our end */
  char           *from_uri;     /* "sip:alice@example.test"; "sip:nobody@..." until a REGISTER */
  char           *from_tag;     /* the same on every request of the connection */
  char           *reg_call_id;  /* the Call-ID of every REGISTER */
  guint           cseq;         /* the last CSeq used by raw_simple and raw_send_info */
  char           *authorization; /* the last Proxy-Authorization sent */
  char           *call_id, *remote_tag;  /* the chat dialog (raw_session) */
  gint64          envid, seqid; /* the last XCCOS envid and seqid used */
} Raw;

/* ---- the connection ---- */

/* Opens a TCP connection to SERVER's SIP port (asserted to succeed) and
 * starts reading. Nothing is sent. Free with raw_free. */
Raw     *raw_connect (PerchTestServer *server);
/* Cancels the reads, waits for them to end, closes and frees. NULL is
 * allowed. */
void     raw_free (Raw *raw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Raw, raw_free)

/* Writes LEN bytes of DATA as they are and waits for the write to finish.
 * Sets raw->mark: only frames that arrive from now on can answer it.
 * Returns FALSE when perchd would not take them all (it closed the
 * connection on us). */
gboolean raw_send (Raw *raw, const void *data, gsize len);
/* raw_send of S->str, S->len. */
gboolean raw_send_string (Raw *raw, const GString *s);
/* Did perchd close the connection (within RAW_TIMEOUT_MS)? */
gboolean raw_wait_closed (Raw *raw);

/* ---- requests and responses ---- */

/* A request as a client writes it, newly allocated: Via (our end, a new
 * branch), Max-Forwards, From (FROM_URI "sip:user@domain" with the
 * connection's tag), To (TO_TAG may be NULL), Call-ID, CSeq, Contact, then
 * EXTRA (whole header lines with CRLF, may be NULL), Content-Type (when
 * CONTENT_TYPE is not NULL), Content-Length and BODY_LEN bytes of BODY.
 * Nothing is sent. */
GString        *raw_request (Raw *raw, const char *method, const char *ruri, const char *from_uri,
                             const char *to_uri, const char *to_tag, const char *call_id, guint cseq,
                             const char *extra, const char *content_type, const char *body,
                             gsize body_len);
/* The final response to CSeq CSEQ METHOD that arrived since the last write
 * and no wait returned yet (it is marked used), or NULL when the connection
 * closed without one. g_error when neither happens in time. The response
 * stays the connection's. */
osip_message_t *raw_wait_response (Raw *raw, const char *method, guint cseq);
/* Sends a request outside any dialog (raw_request from raw->from_tag, with
 * the next CSeq) and waits for its final response, as raw_wait_response.
 * BODY, a string, may be NULL. */
osip_message_t *raw_simple (Raw *raw, const char *method, const char *ruri, const char *from_uri,
                            const char *to_uri, const char *call_id, const char *extra,
                            const char *content_type, const char *body);
/* The status code of RESP; 0 for NULL (the connection closed). */
int             raw_status (osip_message_t *resp);
/* The reason phrase of RESP (the message's own), or NULL for NULL. */
const char     *raw_reason (osip_message_t *resp);

/* ---- signing in ---- */

/* S without surrounding double quotes when it has them, newly allocated;
 * NULL stays NULL. */
char           *raw_unquote (const char *s);
/* A Proxy-Authorization value for REGISTER to URI: RFC 2617 Digest with
 * qop=auth, nc 00000001 and a fresh cnonce, as SIPE computes it. Newly
 * allocated. */
char           *digest_authorization (const char *account, const char *password, const char *realm,
                                      const char *nonce, const char *uri);
/* REGISTER as ACCOUNT ("alice@example.test") without credentials. Returns
 * the nonce of the 407's challenge, newly allocated, or NULL when the answer
 * was not a 407. Asserts that the realm is example.test. Sets
 * raw->from_uri to "sip:ACCOUNT". */
char           *raw_challenge (Raw *raw, const char *account);
/* REGISTER as ACCOUNT carrying AUTHORIZATION as Proxy-Authorization (kept
 * in raw->authorization); the final response, as raw_wait_response. */
osip_message_t *raw_register_with (Raw *raw, const char *account, const char *authorization);
/* The whole Digest sign-in as ACCOUNT with PASSWORD (the challenge is
 * asserted to come); the final response, as raw_wait_response. */
osip_message_t *raw_register (Raw *raw, const char *account, const char *password);
/* A new connection signed in as NAME ("alice") with the demo password, and
 * a chat session driven by hand: INVITE of the pool (asserted 200), ACK.
 * raw->call_id and raw->remote_tag name the dialog. Free with raw_free. */
Raw            *raw_session (PerchTestServer *server, const char *name);

/* ---- the chat dialog (after raw_session) ---- */

/* Sends an INFO in the chat dialog carrying LEN bytes of BODY as they are
 * (text/plain); returns its CSeq. Does not wait. */
guint           raw_send_info (Raw *raw, const char *body, gsize len);
/* raw_send_info, then its final response as raw_wait_response. */
osip_message_t *raw_info (Raw *raw, const char *body, gsize len);
/* Waits for the INFO that carries perchd's XCCOS reply (<rpl>) to the
 * command SEQID of envelope ENVID, among the frames since the last write
 * that no wait returned yet. Returns FALSE when it did not come in time;
 * TRUE when it came (*FOUND is that frame, not marked used) or the
 * connection closed first (*FOUND is NULL). */
gboolean        raw_wait_reply (Raw *raw, gint64 seqid, gint64 envid, RawFrame **found);
/* Sends `<cmd id=CMD>` with DATA_XML (may be NULL) in an envelope of its own
 * (the next envid and seqid). Returns the SIP status of the INFO (0: the
 * connection closed). When it is 200, *REPLY is the body of the INFO perchd
 * answered the command with, exactly as it came, newly allocated (g_error
 * when none comes); otherwise *REPLY is NULL. */
int             raw_command (Raw *raw, const char *cmd, const char *data_xml, char **reply);
/* A post to ROOM_URI as SIPE sends it (grpchat with the next envid and
 * seqid, stamped now), with AUTHOR as given (NULL: left out). The final
 * response to its INFO, as raw_wait_response. */
osip_message_t *raw_post (Raw *raw, const char *room_uri, const char *author, const char *text);

G_END_DECLS
