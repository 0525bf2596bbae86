/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-message.h: SIP messages over a stream, on top of libosip2.
 *
 * libosip2 parses and builds messages; what it cannot do is find where one
 * message ends in a TCP stream. PerchSipFramer does that, by the header
 * block's end and Content-Length, with hard bounds on both, and reports the
 * bare CRLF keep-alives that Lync clients idle with. */
#pragma once

#include <glib.h>
#include <osipparser2/osip_parser.h>

G_BEGIN_DECLS

#define PERCH_SIP_MAX_HEADER  (16 * 1024)   /* bytes of one header block */
#define PERCH_SIP_MAX_BODY    (256 * 1024)  /* bytes of one body */
#define PERCH_SIP_MAX_HEADERS 64            /* header lines in one message */

typedef enum {
  PERCH_SIP_FRAME_NEED_MORE,  /* nothing complete yet */
  PERCH_SIP_FRAME_MESSAGE,    /* *message holds one whole message */
  PERCH_SIP_FRAME_KEEPALIVE,  /* a bare CRLF keep-alive was consumed */
  PERCH_SIP_FRAME_ERROR,      /* the stream is unusable: close it (no message to answer) */
} PerchSipFrameResult;

typedef struct _PerchSipFramer PerchSipFramer;

PerchSipFramer     *perch_sip_framer_new (void);
void                perch_sip_framer_free (PerchSipFramer *framer);
void                perch_sip_framer_push (PerchSipFramer *framer, const guint8 *data, gsize len);
PerchSipFrameResult perch_sip_framer_next (PerchSipFramer *framer, GBytes **message, GError **error);
gsize               perch_sip_framer_buffered (PerchSipFramer *framer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchSipFramer, perch_sip_framer_free)

/* Makes sure libosip2's parser tables exist; safe to call from anywhere. */
void perch_sip_init (void);

/* Parses one framed message and checks that it has what every SIP message
 * must (From, To, Call-ID, CSeq; a request also a Via and a method that
 * matches its CSeq). NULL and a BAD_REQUEST error otherwise. */
osip_message_t *perch_sip_parse (GBytes *message, GError **error);

/* The value of the first header named NAME (case-insensitive) that libosip2
 * keeps in its generic list (Event, Expires, Supported, ...), or NULL. */
const char *perch_sip_header (osip_message_t *msg, const char *name);
/* The body as text (not NUL-terminated: *len), or NULL when there is none. */
const char *perch_sip_body (osip_message_t *msg, gsize *len);
/* "sip:user@domain" of a From/To header, newly allocated, lower-cased. */
char *perch_sip_address_uri (osip_from_t *addr);
/* The tag parameter of a From/To header, or NULL. */
const char *perch_sip_tag (osip_from_t *addr);

/* A response to REQ with Via, From, To, Call-ID and CSeq copied. When
 * TO_TAG is not NULL and the request's To has no tag, the tag is added. */
osip_message_t *perch_sip_response_new (osip_message_t *req, int code,
                                        const char *reason, const char *to_tag);
/* Adds a header (libosip2 copies both strings). */
void perch_sip_add_header (osip_message_t *msg, const char *name, const char *value);
/* Sets the body and its Content-Type. */
void perch_sip_set_body (osip_message_t *msg, const char *content_type,
                         const char *body, gsize len);
/* Serializes MSG. */
GBytes *perch_sip_to_bytes (osip_message_t *msg);

const char *perch_sip_reason (int code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (osip_message_t, osip_message_free)

G_END_DECLS
