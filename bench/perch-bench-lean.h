/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench-lean.h: the bench's own SIP client engine.
 *
 * Many simulated clients in one process on one epoll loop, each a
 * non-blocking TCP connection that signs in as uN@DOMAIN (REGISTER with
 * Digest, the provisioning SUBSCRIBE, the INVITE of the chat pool) and then
 * sends XCCOS INFOs. What it receives is framed by Content-Length and
 * scanned, never parsed: a server INFO is answered with a 200 OK copied
 * from its own Via/From/To/Call-ID/CSeq lines and its body handed to the
 * scenario as bytes. Output is buffered per client and written once per
 * loop iteration. A signed-in idle client costs its fd and one small
 * struct. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LeanLoop   LeanLoop;
typedef struct _LeanClient LeanClient;

typedef struct {
  /* The client signed in and its chat session is open (OK), or it failed
   * or was closed on the way (!OK; it is gone after this returns). */
  void (*ready)         (LeanClient *client, gboolean ok, gpointer data);
  /* The final answer to an INFO this client sent: the CSeq that
   * lean_client_info() returned, the SIP status. */
  void (*info_answered) (LeanClient *client, guint32 cseq, int status, gpointer data);
  /* An INFO from the server (already answered 200): its XCCOS body. */
  void (*server_info)   (LeanClient *client, const char *body, gsize len, gpointer data);
  /* Optional, after info_answered: the same answer with its header block
   * (status line included), for a scenario that reads its headers
   * (lean_header()). */
  void (*info_response) (LeanClient *client, guint32 cseq, int status, const char *head, gsize head_len,
                         gpointer data);
} LeanCallbacks;

LeanLoop   *lean_loop_new           (guint16 port, const char *domain, const char *password);
void        lean_loop_free          (LeanLoop *loop);
void        lean_loop_set_callbacks (LeanLoop *loop, const LeanCallbacks *callbacks, gpointer data);
/* Waits up to TIMEOUT_MS for events, handles them, writes what is queued. */
void        lean_loop_iterate       (LeanLoop *loop, int timeout_ms);
/* Connections open now, and ready sessions whose connection the server
 * (or an error) ended. */
guint       lean_loop_n_clients     (LeanLoop *loop);
guint       lean_loop_n_dropped     (LeanLoop *loop);

/* Connects and signs in as u<USER>@domain; ready() says how it went.
 * NULL, and no ready(), when not even the connect could start. */
LeanClient *lean_client_start       (LeanLoop *loop, guint user);
/* Closes CLIENT (if the server has not) and frees it after this iteration. */
void        lean_client_close       (LeanClient *client);
guint       lean_client_user        (LeanClient *client);
gboolean    lean_client_is_ready    (LeanClient *client);
void        lean_client_set_data    (LeanClient *client, gpointer data);
gpointer    lean_client_get_data    (LeanClient *client);

/* An INFO in the client's session carrying BODY; returns its CSeq. */
guint32     lean_client_info        (LeanClient *client, const char *body, gsize len);
/* An XCCOS command (ID "cmd:NAME", DATA its <data> content) in an INFO. */
guint32     lean_client_command     (LeanClient *client, const char *id, const char *data);
/* A post of TEXT (no markup) to ROOM_URI in an INFO. */
guint32     lean_client_post        (LeanClient *client, const char *room_uri, const char *text);

/* The value of header NAME (or its compact form SHORTNAME, may be NULL) in
 * a header block HEAD..HEAD+LEN whose first line is the start line, and its
 * length in *VLEN; NULL when absent. */
const char *lean_header             (const char *head, gsize len, const char *name, const char *shortname,
                                     gsize *vlen);

/* memmem() over a body: where NEEDLE starts, or NULL. */
const char *lean_find               (const char *haystack, gsize len, const char *needle);

G_END_DECLS
