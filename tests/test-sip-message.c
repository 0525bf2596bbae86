/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sip-message.c: SIP over a stream (perch-sip-message.h).
 *
 * The framer: messages cut at every byte boundary and many in one push,
 * CRLF keep-alives, every spelling of Content-Length and every bad one,
 * and the bounds on header block, body and header count, which must trip
 * as soon as they can be known. perch_sip_parse: the shapes pidgin-sipe and
 * Lync really send, the headers every message must carry, garbage.
 * Responses: what perch_sip_response_new copies, and a round trip through
 * perch_sip_to_bytes, the framer and the parser. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "perch-common.h"
#include "perch-sip-message.h"

/* ---- sample messages, shaped like pidgin-sipe's ---- */

#define SIPE_PROXY_AUTH \
  "Digest username=\"alice@example.test\", realm=\"example.test\", " \
  "nonce=\"4f3c9b0a6d2e41d7a1b8c9d0e1f2a3b4\", uri=\"(null)\", qop=auth, " \
  "nc=00000001, cnonce=\"8a9b0c1d2e3f4051\", response=\"0123456789abcdef0123456789abcdef\""

static const char register_msg[] =
  "REGISTER sip:example.test SIP/2.0\r\n"
  "Via: SIP/2.0/TCP 192.0.2.10:50123;branch=z9hG4bK0a1b2c3d;rport\r\n"
  "From: <sip:Alice@Example.test>;tag=5c2b7a1e;epid=01020304ab\r\n"
  "To: <sip:alice@example.test>\r\n"
  "Max-Forwards: 70\r\n"
  "Call-ID: 3f9a8b7c6d5e4f30\r\n"
  "CSeq: 2 REGISTER\r\n"
  "Contact: <sip:192.0.2.10:50123;transport=tcp;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace;+sip.instance=\"<urn:uuid:0f2d6c3e-1d4b-5a6c-8e7f-0a1b2c3d4e5f>\"\r\n"
  "User-Agent: UCCAPI/15.0.4420.1017 OC/15.0.4420.1017 (Microsoft Lync)\r\n"
  "Supported: gruu-10, adhoclist, msrtc-event-categories\r\n"
  "Supported: ms-forking\r\n"
  "ms-keep-alive: UAC;hop-hop=yes\r\n"
  "Event: registration\r\n"
  "Proxy-Authorization: " SIPE_PROXY_AUTH "\r\n"
  "Content-Length: 0\r\n"
  "\r\n";

#define INFO_BODY \
  "<xccos ver=\"1\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">" \
  "<cmd id=\"cmd:requri\" seqid=\"1\"><data/></cmd></xccos>"

static const char info_msg[] =
  "INFO sip:perch@example.test SIP/2.0\r\n"
  "Via: SIP/2.0/TCP 192.0.2.10:50123\r\n"
  "Max-Forwards: 70\r\n"
  "From: <sip:alice@example.test>;tag=aa11bb22;epid=01020304ab\r\n"
  "To: <sip:perch@example.test>;tag=cc33dd44\r\n"
  "Call-ID: 0d1e2f3a4b5c6d7e\r\n"
  "CSeq: 3 INFO\r\n"
  "Content-Type: application/cccp+xml\r\n"
  "l: 110\r\n"
  "\r\n"
  INFO_BODY;

static const char subscribe_msg[] =
  "SUBSCRIBE sip:alice@example.test SIP/2.0\r\n"
  "Via: SIP/2.0/TCP 192.0.2.10:50123;branch=z9hG4bKfeedface\r\n"
  "From: <sip:alice@example.test>;tag=ee55ff66;epid=01020304ab\r\n"
  "To: <sip:alice@example.test>\r\n"
  "Call-ID: 9a8b7c6d5e4f3021\r\n"
  "CSeq: 1 SUBSCRIBE\r\n"
  "Event: vnd-microsoft-provisioning-v2\r\n"
  "Accept: application/vnd-microsoft-roaming-provisioning-v2+xml\r\n"
  "Supported: com.microsoft.autoextend\r\n"
  "Supported: ms-benotify\r\n"
  "Proxy-Require: ms-benotify\r\n"
  "Supported: ms-piggyback-first-notify\r\n"
  "Content-Type: application/vnd-microsoft-roaming-provisioning-v2+xml\r\n"
  "Content-Length: 0\r\n"
  "\r\n";

/* A body that looks like a header end and a whole message must stay body. */
#define TRICKY_BODY "\r\n\r\nINVITE sip:x@example.test SIP/2.0\r\nContent-Length: 0\r\n\r\n"

static const char message_msg[] =
  "MESSAGE sip:bob@example.test SIP/2.0\r\n"
  "Via: SIP/2.0/TCP 192.0.2.10:50123;branch=z9hG4bK77\r\n"
  "From: <sip:alice@example.test>;tag=1\r\n"
  "To: <sip:bob@example.test>\r\n"
  "Call-ID: c1\r\n"
  "CSeq: 9 MESSAGE\r\n"
  "Content-Type: text/plain\r\n"
  "Content-Length   :    60  \r\n"
  "\r\n"
  TRICKY_BODY;

static GBytes *
bytes_of (const char *s)
{
  return g_bytes_new (s, strlen (s));
}

static osip_message_t *
parse_ok (const char *text)
{
  g_autoptr(GBytes) bytes = bytes_of (text);
  g_autoptr(GError) error = NULL;
  osip_message_t *msg = perch_sip_parse (bytes, &error);
  if (msg == NULL)
    g_test_message ("refused: %s\n%s", error->message, text);
  g_assert_no_error (error);
  g_assert_nonnull (msg);
  return msg;
}

static void
assert_parse_fails_len (const char *data, gsize len)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, len);
  g_autoptr(GError) error = NULL;
  osip_message_t *msg = perch_sip_parse (bytes, &error);
  if (msg != NULL)
    {
      osip_message_free (msg);
      g_error ("accepted: %s", g_strescape (data, NULL));
    }
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
}

static void
assert_parse_fails (const char *text)
{
  assert_parse_fails_len (text, strlen (text));
}

/* ---- framer helpers ---- */

/* Takes every complete message out of FRAMER, appending them to OUT;
 * counts keep-alives; fails on an error. */
static void
drain (PerchSipFramer *framer, GPtrArray *out, guint *keepalives)
{
  for (;;)
    {
      GBytes *msg = NULL;
      g_autoptr(GError) error = NULL;
      PerchSipFrameResult r = perch_sip_framer_next (framer, &msg, &error);
      g_assert_no_error (error);
      switch (r)
        {
        case PERCH_SIP_FRAME_NEED_MORE:
          g_assert_null (msg);
          return;
        case PERCH_SIP_FRAME_MESSAGE:
          g_assert_nonnull (msg);
          g_ptr_array_add (out, msg);
          break;
        case PERCH_SIP_FRAME_KEEPALIVE:
          g_assert_null (msg);
          if (keepalives)
            (*keepalives)++;
          break;
        case PERCH_SIP_FRAME_ERROR:
        default:
          g_assert_not_reached ();
        }
    }
}

static void
assert_bytes_eq (GBytes *bytes, const char *expected)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (data, len, expected, strlen (expected));
}

/* Frames TEXT (one push) and expects exactly one message equal to it. */
static void
frame_one_ok (const char *data, gsize len)
{
  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) data, len);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  drain (framer, out, NULL);
  if (out->len != 1)
    g_error ("expected one message from: %s", g_strescape (data, NULL));
  gsize mlen;
  const char *m = g_bytes_get_data (g_ptr_array_index (out, 0), &mlen);
  g_assert_cmpmem (m, mlen, data, len);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, 0);
}

/* Frames DATA (one push) and expects an error with CODE from the first
 * call of perch_sip_framer_next: bad input never waits for more bytes. */
static void
frame_error (const char *data, gsize len, int code)
{
  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) data, len);
  GBytes *msg = NULL;
  g_autoptr(GError) error = NULL;
  PerchSipFrameResult r = perch_sip_framer_next (framer, &msg, &error);
  if (r != PERCH_SIP_FRAME_ERROR)
    g_error ("framer result %d, not ERROR, for: %s", r, g_strescape (data, NULL));
  g_assert_null (msg);
  g_assert_error (error, PERCH_ERROR, code);
}

/* A minimal request whose Content-Length line is CL_LINE (without CRLF,
 * or NULL for none), followed by BODY. */
static char *
request_with_cl (const char *cl_line, const char *body)
{
  return g_strconcat ("OPTIONS sip:perch@example.test SIP/2.0\r\n"
                      "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
                      "From: <sip:alice@example.test>;tag=1\r\n"
                      "To: <sip:perch@example.test>\r\n"
                      "Call-ID: cl-test\r\n"
                      "CSeq: 1 OPTIONS\r\n",
                      cl_line ? cl_line : "", cl_line ? "\r\n" : "",
                      "\r\n", body, NULL);
}

/* ---- framer ---- */

static void
test_framer_single (void)
{
  frame_one_ok (register_msg, strlen (register_msg));
  frame_one_ok (info_msg, strlen (info_msg));
  frame_one_ok (subscribe_msg, strlen (subscribe_msg));
  frame_one_ok (message_msg, strlen (message_msg));
  g_assert_cmpuint (strlen (INFO_BODY), ==, 110);
  g_assert_cmpuint (strlen (TRICKY_BODY), ==, 60);
}

/* The stream every split test cuts: keep-alives before, between and
 * after four messages, one of whose body looks like a message. */
static char *
sample_stream (const char *const **expected)
{
  static const char *const msgs[] = { register_msg, info_msg, message_msg, subscribe_msg, NULL };
  *expected = msgs;
  return g_strconcat ("\r\n\r\n", register_msg, "\r\n", info_msg, message_msg,
                      "\r\n\r\n\r\n", subscribe_msg, "\r\n", NULL);
}

static void
check_split_result (GPtrArray *out, const char *const *expected)
{
  g_assert_cmpuint (out->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; i < out->len; i++)
    assert_bytes_eq (g_ptr_array_index (out, i), expected[i]);
}

static void
test_framer_every_split (void)
{
  const char *const *expected;
  g_autofree char *stream = sample_stream (&expected);
  gsize len = strlen (stream);

  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
      g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      guint keepalives = 0;
      perch_sip_framer_push (framer, (const guint8 *) stream, cut);
      drain (framer, out, &keepalives);
      perch_sip_framer_push (framer, (const guint8 *) stream + cut, len - cut);
      drain (framer, out, &keepalives);
      check_split_result (out, expected);
      g_assert_cmpuint (keepalives, >=, 4);
      g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, 0);
    }
}

static void
test_framer_byte_by_byte (void)
{
  const char *const *expected;
  g_autofree char *stream = sample_stream (&expected);
  gsize len = strlen (stream);

  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint keepalives = 0;
  for (gsize i = 0; i < len; i++)
    {
      perch_sip_framer_push (framer, (const guint8 *) stream + i, 1);
      drain (framer, out, &keepalives);
    }
  check_split_result (out, expected);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, 0);

  /* Every framed message parses. */
  for (guint i = 0; i < out->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(osip_message_t) msg = perch_sip_parse (g_ptr_array_index (out, i), &error);
      g_assert_no_error (error);
      g_assert_nonnull (msg);
    }
}

static void
test_framer_many_in_one_push (void)
{
  const guint n = 300;
  g_autoptr(GString) stream = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);
      g_string_append_printf (stream,
                              "MESSAGE sip:bob@example.test SIP/2.0\r\n"
                              "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK%u\r\n"
                              "From: <sip:alice@example.test>;tag=1\r\n"
                              "To: <sip:bob@example.test>\r\n"
                              "Call-ID: many\r\n"
                              "CSeq: %u MESSAGE\r\n"
                              "Content-Type: text/plain\r\n"
                              "Content-Length: %zu\r\n\r\n%s",
                              i, i + 1, strlen (body), body);
      if (i % 3 == 0)
        g_string_append (stream, "\r\n");   /* a keep-alive now and then */
    }

  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) stream->str, stream->len);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, stream->len);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  guint keepalives = 0;
  drain (framer, out, &keepalives);
  g_assert_cmpuint (out->len, ==, n);
  g_assert_cmpuint (keepalives, ==, n / 3);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, 0);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(osip_message_t) msg = perch_sip_parse (g_ptr_array_index (out, i), &error);
      g_assert_no_error (error);
      g_assert_cmpint (atoi (msg->cseq->number), ==, (int) i + 1);
      gsize blen;
      const char *body = perch_sip_body (msg, &blen);
      g_autofree char *want = g_strdup_printf ("message %u", i);
      g_assert_cmpmem (body, blen, want, strlen (want));
    }
}

static void
test_framer_keepalives (void)
{
  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  GBytes *msg = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_NEED_MORE);

  /* The double-CRLF ping and the single-CRLF pong of RFC 5626. */
  perch_sip_framer_push (framer, (const guint8 *) "\r\n\r\n", 4);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_KEEPALIVE);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, 0);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_NEED_MORE);

  perch_sip_framer_push (framer, (const guint8 *) "\r\n", 2);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_KEEPALIVE);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_NEED_MORE);

  /* A keep-alive right before a message is consumed first; then the message. */
  g_autofree char *both = g_strconcat ("\r\n", register_msg, NULL);
  perch_sip_framer_push (framer, (const guint8 *) both, strlen (both));
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_KEEPALIVE);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_MESSAGE);
  g_assert_no_error (error);
  assert_bytes_eq (msg, register_msg);
  g_clear_pointer (&msg, g_bytes_unref);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_NEED_MORE);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, 0);
}

static void
test_framer_content_length_spellings (void)
{
  const char *good[] = {
    "Content-Length: 5",
    "Content-Length:5",
    "content-length: 5",
    "CONTENT-LENGTH: 5",
    "Content-Length :  5",
    "Content-Length\t:\t5\t",
    "Content-Length:     5     ",
    "Content-Length: 005",
    "l: 5",
    "l:5",
    "L: 5",
    "l  :  5 ",
  };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *text = request_with_cl (good[i], "hello");
      frame_one_ok (text, strlen (text));
    }

  /* Two that agree are fine. */
  g_autofree char *twice = request_with_cl ("Content-Length: 5\r\nl: 5", "hello");
  frame_one_ok (twice, strlen (twice));

  /* Zero, and the body is not waited for. */
  g_autofree char *zero = request_with_cl ("Content-Length: 0", "");
  frame_one_ok (zero, strlen (zero));

  /* A header whose name merely contains "l" or "Content-Length" is not it. */
  g_autofree char *lookalike = request_with_cl ("X-Content-Length: 99\r\nLl: 99\r\nContent-Length: 5", "hello");
  frame_one_ok (lookalike, strlen (lookalike));
}

static void
test_framer_content_length_waits_for_body (void)
{
  g_autofree char *text = request_with_cl ("Content-Length: 5", "hello");
  gsize len = strlen (text);
  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) text, len - 1);
  GBytes *msg = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_NEED_MORE);
  g_assert_no_error (error);
  g_assert_cmpuint (perch_sip_framer_buffered (framer), ==, len - 1);
  perch_sip_framer_push (framer, (const guint8 *) text + len - 1, 1);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_MESSAGE);
  assert_bytes_eq (msg, text);
  g_bytes_unref (msg);
}

static void
test_framer_content_length_bad (void)
{
  struct { const char *line; int code; } bad[] = {
    { NULL, PERCH_ERROR_BAD_REQUEST },                               /* missing */
    { "Content-Length:", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length:   ", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: abc", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 5x", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 5 5", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 5;x=1", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: -5", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: -0", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: +5", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 0x5", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 5.0", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 1e3", PERCH_ERROR_BAD_REQUEST },
    { "l: five", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 4294967296", PERCH_ERROR_BAD_REQUEST },       /* 2^32 */
    { "Content-Length: 18446744073709551621", PERCH_ERROR_BAD_REQUEST }, /* 2^64 + 5 */
    { "Content-Length: 99999999999999999999999999999999999999", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 5\r\nContent-Length: 6", PERCH_ERROR_BAD_REQUEST }, /* conflicting */
    { "Content-Length: 5\r\nl: 0", PERCH_ERROR_BAD_REQUEST },
    { "l: 5\r\nContent-Length: 5\r\ncontent-length: 500", PERCH_ERROR_BAD_REQUEST },
    { "Content-Length: 4294967295", PERCH_ERROR_TOO_LARGE },         /* huge but a number */
    { "Content-Length: 262145", PERCH_ERROR_TOO_LARGE },             /* MAX_BODY + 1 */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      /* Five body bytes follow, which would satisfy "5" were it accepted. */
      g_autofree char *text = request_with_cl (bad[i].line, "hello");
      frame_error (text, strlen (text), bad[i].code);
    }
}

static void
test_framer_body_bounds (void)
{
  /* A body of exactly PERCH_SIP_MAX_BODY is framed. */
  g_autofree char *body = g_strnfill (PERCH_SIP_MAX_BODY, 'b');
  g_autofree char *cl = g_strdup_printf ("Content-Length: %d", PERCH_SIP_MAX_BODY);
  g_autofree char *text = request_with_cl (cl, body);
  frame_one_ok (text, strlen (text));

  /* One more byte is refused as soon as the headers are in, before any
   * of the body arrives. */
  g_autofree char *cl_over = g_strdup_printf ("Content-Length: %d", PERCH_SIP_MAX_BODY + 1);
  g_autofree char *head = request_with_cl (cl_over, "");
  frame_error (head, strlen (head), PERCH_ERROR_TOO_LARGE);
}

/* A request whose header block (through the blank line) is exactly TOTAL
 * bytes long, padded with one long Subject header. */
static char *
request_with_header_block (gsize total)
{
  const char *start =
    "OPTIONS sip:perch@example.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.test>;tag=1\r\n"
    "To: <sip:perch@example.test>\r\n"
    "Call-ID: big\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n"
    "Subject: ";
  gsize fixed = strlen (start) + strlen ("\r\n\r\n");
  g_assert_cmpuint (total, >, fixed);
  g_autofree char *pad = g_strnfill (total - fixed, 'x');
  char *text = g_strconcat (start, pad, "\r\n\r\n", NULL);
  g_assert_cmpuint (strlen (text), ==, total);
  return text;
}

static void
test_framer_header_bounds (void)
{
  g_autofree char *at_max = request_with_header_block (PERCH_SIP_MAX_HEADER);
  frame_one_ok (at_max, strlen (at_max));

  g_autofree char *over = request_with_header_block (PERCH_SIP_MAX_HEADER + 1);
  frame_error (over, strlen (over), PERCH_ERROR_TOO_LARGE);
}

static void
test_framer_header_too_large_early (void)
{
  /* A header block that never ends: once PERCH_SIP_MAX_HEADER bytes are in
   * without its end, the framer gives up without waiting for more. */
  g_autofree char *endless = request_with_header_block (PERCH_SIP_MAX_HEADER * 4);
  gsize cut = PERCH_SIP_MAX_HEADER - 1;

  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) endless, cut);
  GBytes *msg = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_NEED_MORE);
  g_assert_no_error (error);

  perch_sip_framer_push (framer, (const guint8 *) endless + cut, 1);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_ERROR);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE);
  g_assert_null (msg);

  /* The same without a single line end in it. */
  g_autofree char *noise = g_strnfill (PERCH_SIP_MAX_HEADER, 'A');
  frame_error (noise, strlen (noise), PERCH_ERROR_TOO_LARGE);
}

static char *
request_with_header_lines (guint n_lines)
{
  /* Seven fixed header lines, including Content-Length, then padding. */
  g_autoptr(GString) s = g_string_new ("OPTIONS sip:perch@example.test SIP/2.0\r\n"
                                       "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
                                       "From: <sip:alice@example.test>;tag=1\r\n"
                                       "To: <sip:perch@example.test>\r\n"
                                       "Call-ID: lines\r\n"
                                       "CSeq: 1 OPTIONS\r\n"
                                       "Max-Forwards: 70\r\n"
                                       "Content-Length: 0\r\n");
  g_assert_cmpuint (n_lines, >=, 7);
  for (guint i = 7; i < n_lines; i++)
    g_string_append_printf (s, "X-Pad-%u: %u\r\n", i, i);
  g_string_append (s, "\r\n");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_framer_too_many_headers (void)
{
  g_autofree char *many = request_with_header_lines (1000);
  frame_error (many, strlen (many), PERCH_ERROR_TOO_LARGE);

  g_autofree char *over = request_with_header_lines (PERCH_SIP_MAX_HEADERS + 1);
  frame_error (over, strlen (over), PERCH_ERROR_TOO_LARGE);

  g_autofree char *fewer = request_with_header_lines (PERCH_SIP_MAX_HEADERS - 1);
  frame_one_ok (fewer, strlen (fewer));
}

/* perch-sip-message.h: PERCH_SIP_MAX_HEADERS is the number of "header lines
 * in one message", so a message with exactly that many must frame.
 * KNOWN BUG: header_content_length() counts the request line and the blank
 * line that ends the block as well, so 64 header lines (66 lines) are
 * refused and the real limit is 63. Reported as TODO until src/ is fixed. */
static void
test_framer_max_headers_exactly (void)
{
  g_autofree char *at_max = request_with_header_lines (PERCH_SIP_MAX_HEADERS);
  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) at_max, strlen (at_max));
  GBytes *msg = NULL;
  g_autoptr(GError) error = NULL;
  PerchSipFrameResult r = perch_sip_framer_next (framer, &msg, &error);
  if (r == PERCH_SIP_FRAME_ERROR)
    {
      g_test_message ("a message with %d header lines was refused: %s",
                      PERCH_SIP_MAX_HEADERS, error->message);
      g_assert_not_reached ();
    }
  g_assert_no_error (error);
  g_assert_cmpint (r, ==, PERCH_SIP_FRAME_MESSAGE);
  assert_bytes_eq (msg, at_max);
  g_bytes_unref (msg);
}

static void
test_framer_nul (void)
{
  static const char with_nul[] =
    "OPTIONS sip:perch@example.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.test>;tag=1\r\n"
    "To: <sip:perch@exa\0mple.test>\r\n"
    "Call-ID: nul\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n"
    "\r\n";
  frame_error (with_nul, sizeof with_nul - 1, PERCH_ERROR_BAD_REQUEST);

  static const char nul_first[] = "\0PTIONS sip:perch@example.test SIP/2.0\r\nContent-Length: 0\r\n\r\n";
  frame_error (nul_first, sizeof nul_first - 1, PERCH_ERROR_BAD_REQUEST);

  /* A NUL in the body is the body's business. */
  static const char body_nul[] =
    "OPTIONS sip:perch@example.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "From: <sip:alice@example.test>;tag=1\r\n"
    "To: <sip:perch@example.test>\r\n"
    "Call-ID: nul\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 3\r\n"
    "\r\n"
    "a\0b";
  frame_one_ok (body_nul, sizeof body_nul - 1);
}

static void
test_framer_error_after_good (void)
{
  /* A good message is delivered; the bad one after it then fails. */
  g_autofree char *bad = request_with_cl ("Content-Length: x", "");
  g_autofree char *stream = g_strconcat (register_msg, bad, NULL);
  g_autoptr(PerchSipFramer) framer = perch_sip_framer_new ();
  perch_sip_framer_push (framer, (const guint8 *) stream, strlen (stream));
  GBytes *msg = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_MESSAGE);
  assert_bytes_eq (msg, register_msg);
  g_clear_pointer (&msg, g_bytes_unref);
  g_assert_cmpint (perch_sip_framer_next (framer, &msg, &error), ==, PERCH_SIP_FRAME_ERROR);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
}

/* ---- parse: real shapes ---- */

static void
test_parse_sipe_register (void)
{
  g_autoptr(osip_message_t) msg = parse_ok (register_msg);
  g_assert_true (MSG_IS_REQUEST (msg));
  g_assert_cmpstr (msg->sip_method, ==, "REGISTER");
  g_assert_cmpstr (msg->call_id->number, ==, "3f9a8b7c6d5e4f30");
  g_assert_cmpstr (msg->cseq->number, ==, "2");
  g_assert_cmpstr (msg->cseq->method, ==, "REGISTER");

  g_autofree char *from = perch_sip_address_uri (msg->from);
  g_assert_cmpstr (from, ==, "sip:alice@example.test");   /* lower-cased */
  g_assert_cmpstr (perch_sip_tag (msg->from), ==, "5c2b7a1e");
  g_assert_null (perch_sip_tag (msg->to));
  g_assert_cmpstr (perch_sip_header (msg, "Event"), ==, "registration");
  g_assert_cmpstr (perch_sip_header (msg, "event"), ==, "registration");
  g_assert_cmpstr (perch_sip_header (msg, "ms-keep-alive"), ==, "UAC;hop-hop=yes");
  g_assert_null (perch_sip_header (msg, "Subject"));

  gsize blen = 99;
  g_assert_null (perch_sip_body (msg, &blen));
  g_assert_cmpuint (blen, ==, 0);

  /* libosip2 takes the Digest credentials apart, quotes and all. */
  g_assert_cmpint (osip_list_size (&msg->proxy_authorizations), ==, 1);
  osip_proxy_authorization_t *auth = osip_list_get (&msg->proxy_authorizations, 0);
  g_assert_nonnull (auth);
  g_assert_cmpstr (auth->auth_type, ==, "Digest");
  g_assert_cmpstr (auth->username, ==, "\"alice@example.test\"");
  g_assert_cmpstr (auth->realm, ==, "\"example.test\"");
  g_assert_cmpstr (auth->nonce, ==, "\"4f3c9b0a6d2e41d7a1b8c9d0e1f2a3b4\"");
  g_assert_cmpstr (auth->uri, ==, "\"(null)\"");
  g_assert_cmpstr (auth->message_qop, ==, "auth");
  g_assert_cmpstr (auth->nonce_count, ==, "00000001");
  g_assert_cmpstr (auth->cnonce, ==, "\"8a9b0c1d2e3f4051\"");
  g_assert_cmpstr (auth->response, ==, "\"0123456789abcdef0123456789abcdef\"");
}

static void
test_parse_info_without_branch (void)
{
  g_autoptr(osip_message_t) msg = parse_ok (info_msg);
  g_assert_cmpstr (msg->sip_method, ==, "INFO");
  g_assert_cmpint (osip_list_size (&msg->vias), ==, 1);
  osip_via_t *via = osip_list_get (&msg->vias, 0);
  osip_generic_param_t *branch = NULL;
  osip_via_param_get_byname (via, "branch", &branch);
  g_assert_null (branch);
  g_assert_cmpstr (perch_sip_tag (msg->to), ==, "cc33dd44");

  gsize blen = 0;
  const char *body = perch_sip_body (msg, &blen);
  g_assert_cmpmem (body, blen, INFO_BODY, strlen (INFO_BODY));
  g_assert_nonnull (msg->content_type);
  g_assert_cmpstr (msg->content_type->type, ==, "application");
  g_assert_cmpstr (msg->content_type->subtype, ==, "cccp+xml");
}

static void
test_parse_subscribe_benotify (void)
{
  g_autoptr(osip_message_t) msg = parse_ok (subscribe_msg);
  g_assert_cmpstr (msg->sip_method, ==, "SUBSCRIBE");
  g_assert_cmpstr (perch_sip_header (msg, "Proxy-Require"), ==, "ms-benotify");
  g_assert_cmpstr (perch_sip_header (msg, "Event"), ==, "vnd-microsoft-provisioning-v2");
}

static void
test_parse_tricky_body (void)
{
  g_autoptr(osip_message_t) msg = parse_ok (message_msg);
  gsize blen = 0;
  const char *body = perch_sip_body (msg, &blen);
  g_assert_cmpmem (body, blen, TRICKY_BODY, strlen (TRICKY_BODY));
}

/* REGISTER_MSG with the first line starting with PREFIX removed, or with
 * it replaced by REPLACEMENT. */
static char *
without_line (const char *text, const char *prefix, const char *replacement)
{
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean done = FALSE;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (!done && g_str_has_prefix (lines[i], prefix))
        {
          done = TRUE;
          if (replacement)
            g_string_append_printf (out, "%s\r\n", replacement);
          continue;
        }
      g_string_append (out, lines[i]);
      if (lines[i + 1] != NULL)
        g_string_append (out, "\r\n");
    }
  g_assert_true (done);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_parse_rejects_missing (void)
{
  const char *required[] = { "From:", "To:", "Call-ID:", "CSeq:", "Via:" };
  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    {
      g_autofree char *text = without_line (register_msg, required[i], NULL);
      assert_parse_fails (text);
    }

  /* Present but empty or unusable. */
  struct { const char *prefix, *line; } broken[] = {
    { "CSeq:", "CSeq: 2" },
    { "CSeq:", "CSeq: REGISTER" },
    { "Call-ID:", "Call-ID: " },
    { "From:", "From: " },
    { "To:", "To: " },
  };
  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autofree char *text = without_line (register_msg, broken[i].prefix, broken[i].line);
      assert_parse_fails (text);
    }
}

static void
test_parse_rejects_cseq_mismatch (void)
{
  g_autofree char *a = without_line (register_msg, "CSeq:", "CSeq: 2 INVITE");
  assert_parse_fails (a);
  g_autofree char *b = without_line (info_msg, "CSeq:", "CSeq: 3 MESSAGE");
  assert_parse_fails (b);
  g_autofree char *c = without_line (subscribe_msg, "CSeq:", "CSeq: 1 subscribe");
  assert_parse_fails (c);
}

static char *
request_with_method (const char *method, const char *cseq_method)
{
  return g_strdup_printf ("%s sip:perch@example.test SIP/2.0\r\n"
                          "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKack\r\n"
                          "From: <sip:alice@example.test>;tag=1\r\n"
                          "To: <sip:perch@example.test>;tag=2\r\n"
                          "Call-ID: ack-cancel\r\n"
                          "CSeq: 7 %s\r\n"
                          "Content-Length: 0\r\n\r\n", method, cseq_method);
}

/* ACK and CANCEL carry their own method in CSeq (RFC 3261 17.1.1.3, 9.1);
 * the header promises "a method that matches its CSeq" for every request.
 * KNOWN BUG: perch_sip_parse exempts ACK and CANCEL from the check, so
 * "ACK ... CSeq: 7 INVITE" and "CANCEL ... CSeq: 7 INVITE" are accepted.
 * Reported as TODO until src/ is fixed. */
static void
test_parse_ack_cancel_cseq (void)
{
  g_autofree char *ack = request_with_method ("ACK", "ACK");
  g_autoptr(osip_message_t) a = parse_ok (ack);
  g_autofree char *cancel = request_with_method ("CANCEL", "CANCEL");
  g_autoptr(osip_message_t) c = parse_ok (cancel);

  const char *methods[] = { "ACK", "CANCEL" };
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *text = request_with_method (methods[i], "INVITE");
      g_autoptr(GBytes) bytes = bytes_of (text);
      g_autoptr(GError) error = NULL;
      g_autoptr(osip_message_t) msg = perch_sip_parse (bytes, &error);
      if (msg != NULL)
        {
          g_test_message ("accepted \"%s ... CSeq: 7 INVITE\"", methods[i]);
          g_assert_not_reached ();
        }
      g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
    }
}

static void
test_address_uri (void)
{
  static const char no_user[] =
    "OPTIONS sip:perch@example.test SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "From: <sip:example.test>;tag=1\r\n"
    "To: \"Perch\" <sip:Perch@Example.TEST;transport=tls>\r\n"
    "Call-ID: addr\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";
  g_autoptr(osip_message_t) msg = parse_ok (no_user);
  g_autofree char *from = perch_sip_address_uri (msg->from);
  g_assert_null (from);                      /* a host alone is not a user */
  g_autofree char *to = perch_sip_address_uri (msg->to);
  g_assert_cmpstr (to, ==, "sip:perch@example.test");
  g_assert_null (perch_sip_address_uri (NULL));
  g_assert_null (perch_sip_tag (NULL));
  g_assert_cmpstr (perch_sip_tag (msg->from), ==, "1");
}

static void
test_parse_garbage (void)
{
  const char *garbage[] = {
    "",
    "\r\n\r\n",
    "hello\r\n\r\n",
    "SIP/2.0\r\n\r\n",
    "INVITE\r\n\r\n",
    "INVITE sip:a@example.test SIP/2.0\r\n",
    "INVITE sip:a@example.test SIP/2.0\r\n\r\n",
    "SIP/2.0 abc OK\r\nContent-Length: 0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n",
    "<xccos/>",
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  /* a TLS ClientHello on the TCP port */
  };
  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    assert_parse_fails (garbage[i]);

  static const guint8 binary[] = { 0xff, 0xfe, 0x00, 0x01, 0x0d, 0x0a, 0x0d, 0x0a, 0x80 };
  assert_parse_fails_len ((const char *) binary, sizeof binary);
}

/* Every truncation, and a few thousand seeded random corruptions, of a
 * real message are either parsed or refused with BAD_REQUEST: never a
 * crash, never another error. */
static void
test_parse_mutations (void)
{
  gsize len = strlen (register_msg);
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (register_msg, cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(osip_message_t) msg = perch_sip_parse (bytes, &error);
      if (msg == NULL)
        g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
    }

  g_autoptr(GRand) rand = g_rand_new_with_seed (20130803);
  static const char alphabet[] = "\r\n\0:;,<>\"@ =\t\\/%xyz09";
  for (guint round = 0; round < 3000; round++)
    {
      g_autofree char *copy = g_memdup2 (register_msg, len);
      guint n = g_rand_int_range (rand, 1, 9);
      for (guint k = 0; k < n; k++)
        {
          gsize at = g_rand_int_range (rand, 0, len);
          copy[at] = g_rand_boolean (rand) ? (char) g_rand_int_range (rand, 0, 256)
                                           : alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
        }
      g_autoptr(GBytes) bytes = g_bytes_new (copy, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(osip_message_t) msg = perch_sip_parse (bytes, &error);
      if (msg == NULL)
        g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
      else
        {
          g_assert_no_error (error);
          g_assert_nonnull (msg->from);
          g_assert_nonnull (msg->to);
          g_assert_nonnull (msg->call_id);
          g_assert_nonnull (msg->cseq);
        }
    }
}

/* ---- responses ---- */

static const char two_via_request[] =
  "SUBSCRIBE sip:alice@example.test SIP/2.0\r\n"
  "Via: SIP/2.0/TLS 198.51.100.1:5061;branch=z9hG4bKproxy;received=198.51.100.1\r\n"
  "Via: SIP/2.0/TCP 192.0.2.10:50123;branch=z9hG4bKclient;rport=50123\r\n"
  "From: \"Alice\" <sip:alice@example.test>;tag=ee55ff66;epid=01020304ab\r\n"
  "To: <sip:alice@example.test>\r\n"
  "Call-ID: resp-test-1\r\n"
  "CSeq: 41 SUBSCRIBE\r\n"
  "Event: presence\r\n"
  "Content-Length: 0\r\n"
  "\r\n";

static char *
via_string (osip_message_t *msg, int i)
{
  osip_via_t *via = osip_list_get (&msg->vias, i);
  g_assert_nonnull (via);
  char *s = NULL;
  g_assert_cmpint (osip_via_to_str (via, &s), ==, 0);
  char *copy = g_strdup (s);
  osip_free (s);
  return copy;
}

static char *
from_string (osip_from_t *from)
{
  char *s = NULL;
  g_assert_cmpint (osip_from_to_str (from, &s), ==, 0);
  char *copy = g_strdup (s);
  osip_free (s);
  return copy;
}

static void
assert_copied (osip_message_t *req, osip_message_t *resp)
{
  g_assert_cmpint (osip_list_size (&resp->vias), ==, osip_list_size (&req->vias));
  for (int i = 0; i < osip_list_size (&req->vias); i++)
    {
      g_autofree char *a = via_string (req, i);
      g_autofree char *b = via_string (resp, i);
      g_assert_cmpstr (a, ==, b);     /* same Vias in the same order */
    }
  g_autofree char *fa = from_string (req->from);
  g_autofree char *fb = from_string (resp->from);
  g_assert_cmpstr (fa, ==, fb);
  g_autofree char *ta = perch_sip_address_uri (req->to);
  g_autofree char *tb = perch_sip_address_uri (resp->to);
  g_assert_cmpstr (ta, ==, tb);
  g_assert_cmpstr (req->call_id->number, ==, resp->call_id->number);
  g_assert_cmpstr (req->cseq->number, ==, resp->cseq->number);
  g_assert_cmpstr (req->cseq->method, ==, resp->cseq->method);
}

static void
test_response_copies (void)
{
  g_autoptr(osip_message_t) req = parse_ok (two_via_request);
  g_autoptr(osip_message_t) resp = perch_sip_response_new (req, 200, NULL, "srvtag1");
  g_assert_nonnull (resp);
  g_assert_true (MSG_IS_RESPONSE (resp));
  g_assert_cmpint (osip_message_get_status_code (resp), ==, 200);
  g_assert_cmpstr (osip_message_get_reason_phrase (resp), ==, "OK");
  assert_copied (req, resp);

  /* The To had no tag: it gets ours; the request is not changed. */
  g_assert_cmpstr (perch_sip_tag (resp->to), ==, "srvtag1");
  g_assert_null (perch_sip_tag (req->to));
  g_assert_cmpstr (perch_sip_tag (resp->from), ==, "ee55ff66");

  /* No tag asked for: none added. */
  g_autoptr(osip_message_t) untagged = perch_sip_response_new (req, 100, NULL, NULL);
  g_assert_null (perch_sip_tag (untagged->to));
  g_assert_cmpstr (osip_message_get_reason_phrase (untagged), ==, "Trying");

  /* An explicit reason wins. */
  g_autoptr(osip_message_t) custom = perch_sip_response_new (req, 403, "Not Today", "t");
  g_assert_cmpint (osip_message_get_status_code (custom), ==, 403);
  g_assert_cmpstr (osip_message_get_reason_phrase (custom), ==, "Not Today");
}

static void
test_response_keeps_existing_to_tag (void)
{
  /* In-dialog request: To already carries a tag, which must be kept. */
  g_autoptr(osip_message_t) req = parse_ok (info_msg);
  g_autoptr(osip_message_t) resp = perch_sip_response_new (req, 200, NULL, "other-tag");
  g_assert_cmpstr (perch_sip_tag (resp->to), ==, "cc33dd44");
  assert_copied (req, resp);

  /* Exactly one tag parameter on the To. */
  int tags = 0;
  for (int i = 0; i < osip_list_size (&resp->to->gen_params); i++)
    {
      osip_generic_param_t *p = osip_list_get (&resp->to->gen_params, i);
      if (g_ascii_strcasecmp (p->gname, "tag") == 0)
        tags++;
    }
  g_assert_cmpint (tags, ==, 1);
}

static void
test_response_round_trip (void)
{
  g_autoptr(osip_message_t) req = parse_ok (two_via_request);
  g_autoptr(osip_message_t) resp = perch_sip_response_new (req, 407, NULL, "rt-tag");
  perch_sip_add_header (resp, "Proxy-Authenticate",
                        "Digest realm=\"example.test\", nonce=\"abc\", qop=\"auth\", opaque=\"\"");
  perch_sip_add_header (resp, "ms-keep-alive", "UAS; tcp=no; hop-hop=yes; end-point=no; timeout=300");
  static const char body[] = "<ack/>\r\n\r\nstill body";
  perch_sip_set_body (resp, "application/xml", body, strlen (body));

  g_autoptr(GBytes) bytes = perch_sip_to_bytes (resp);
  g_assert_nonnull (bytes);

  /* The serialized response frames as exactly one message... */
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  frame_one_ok (data, len);

  /* ...and parses back to the same thing. */
  g_autoptr(GError) error = NULL;
  g_autoptr(osip_message_t) again = perch_sip_parse (bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_true (MSG_IS_RESPONSE (again));
  g_assert_cmpint (osip_message_get_status_code (again), ==, 407);
  g_assert_cmpstr (osip_message_get_reason_phrase (again), ==, "Proxy Authentication Required");
  assert_copied (req, again);
  g_assert_cmpstr (perch_sip_tag (again->to), ==, "rt-tag");
  g_assert_cmpstr (perch_sip_header (again, "ms-keep-alive"), ==,
                   "UAS; tcp=no; hop-hop=yes; end-point=no; timeout=300");
  g_assert_cmpint (osip_list_size (&again->proxy_authenticates), ==, 1);
  osip_proxy_authenticate_t *pa = osip_list_get (&again->proxy_authenticates, 0);
  g_assert_cmpstr (pa->realm, ==, "\"example.test\"");
  g_assert_cmpstr (pa->nonce, ==, "\"abc\"");

  gsize blen = 0;
  const char *b = perch_sip_body (again, &blen);
  g_assert_cmpmem (b, blen, body, strlen (body));
  g_assert_cmpstr (again->content_type->type, ==, "application");
  g_assert_cmpstr (again->content_type->subtype, ==, "xml");
}

static void
test_request_round_trip (void)
{
  const char *samples[] = { register_msg, info_msg, subscribe_msg, message_msg };
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      g_autoptr(osip_message_t) msg = parse_ok (samples[i]);
      g_autoptr(GBytes) bytes = perch_sip_to_bytes (msg);
      g_assert_nonnull (bytes);
      gsize len;
      const char *data = g_bytes_get_data (bytes, &len);
      frame_one_ok (data, len);
      g_autoptr(GError) error = NULL;
      g_autoptr(osip_message_t) again = perch_sip_parse (bytes, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (again->sip_method, ==, msg->sip_method);
      g_assert_cmpstr (again->call_id->number, ==, msg->call_id->number);
      g_assert_cmpstr (again->cseq->number, ==, msg->cseq->number);
      g_assert_cmpint (osip_list_size (&again->vias), ==, osip_list_size (&msg->vias));
      gsize l1 = 0, l2 = 0;
      const char *b1 = perch_sip_body (msg, &l1);
      const char *b2 = perch_sip_body (again, &l2);
      g_assert_cmpmem (b1, l1, b2, l2);
    }
}

static void
test_reasons (void)
{
  g_assert_cmpstr (perch_sip_reason (200), ==, "OK");
  g_assert_cmpstr (perch_sip_reason (407), ==, "Proxy Authentication Required");
  g_assert_cmpstr (perch_sip_reason (413), ==, "Request Entity Too Large");
  g_assert_cmpstr (perch_sip_reason (481), ==, "Call Leg/Transaction Does Not Exist");
  g_assert_cmpstr (perch_sip_reason (299), ==, "OK");
  g_assert_cmpstr (perch_sip_reason (499), ==, "Error");
}

static void
discard_osip_trace (const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap)
{
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  perch_sip_init ();
  /* libosip2 traces every refused message on stderr; the refusals here are
   * deliberate, and thousands of trace lines would hide a real failure. */
  osip_trace_initialize_func (TRACE_LEVEL0, discard_osip_trace);
  for (int level = TRACE_LEVEL0; level < END_TRACE_LEVEL; level++)
    osip_trace_disable_level ((osip_trace_level_t) level);

  g_test_add_func ("/perch/sip-message/framer/single", test_framer_single);
  g_test_add_func ("/perch/sip-message/framer/every-split", test_framer_every_split);
  g_test_add_func ("/perch/sip-message/framer/byte-by-byte", test_framer_byte_by_byte);
  g_test_add_func ("/perch/sip-message/framer/many-in-one-push", test_framer_many_in_one_push);
  g_test_add_func ("/perch/sip-message/framer/keepalives", test_framer_keepalives);
  g_test_add_func ("/perch/sip-message/framer/content-length-spellings", test_framer_content_length_spellings);
  g_test_add_func ("/perch/sip-message/framer/content-length-waits", test_framer_content_length_waits_for_body);
  g_test_add_func ("/perch/sip-message/framer/content-length-bad", test_framer_content_length_bad);
  g_test_add_func ("/perch/sip-message/framer/body-bounds", test_framer_body_bounds);
  g_test_add_func ("/perch/sip-message/framer/header-bounds", test_framer_header_bounds);
  g_test_add_func ("/perch/sip-message/framer/header-too-large-early", test_framer_header_too_large_early);
  g_test_add_func ("/perch/sip-message/framer/too-many-headers", test_framer_too_many_headers);
  g_test_add_func ("/perch/sip-message/framer/max-headers-exactly", test_framer_max_headers_exactly);
  g_test_add_func ("/perch/sip-message/framer/nul", test_framer_nul);
  g_test_add_func ("/perch/sip-message/framer/error-after-good", test_framer_error_after_good);
  g_test_add_func ("/perch/sip-message/parse/sipe-register", test_parse_sipe_register);
  g_test_add_func ("/perch/sip-message/parse/info-without-branch", test_parse_info_without_branch);
  g_test_add_func ("/perch/sip-message/parse/subscribe-benotify", test_parse_subscribe_benotify);
  g_test_add_func ("/perch/sip-message/parse/tricky-body", test_parse_tricky_body);
  g_test_add_func ("/perch/sip-message/parse/rejects-missing", test_parse_rejects_missing);
  g_test_add_func ("/perch/sip-message/parse/rejects-cseq-mismatch", test_parse_rejects_cseq_mismatch);
  g_test_add_func ("/perch/sip-message/parse/ack-cancel-cseq", test_parse_ack_cancel_cseq);
  g_test_add_func ("/perch/sip-message/parse/address-uri", test_address_uri);
  g_test_add_func ("/perch/sip-message/parse/garbage", test_parse_garbage);
  g_test_add_func ("/perch/sip-message/parse/mutations", test_parse_mutations);
  g_test_add_func ("/perch/sip-message/response/copies", test_response_copies);
  g_test_add_func ("/perch/sip-message/response/keeps-to-tag", test_response_keeps_existing_to_tag);
  g_test_add_func ("/perch/sip-message/response/round-trip", test_response_round_trip);
  g_test_add_func ("/perch/sip-message/request-round-trip", test_request_round_trip);
  g_test_add_func ("/perch/sip-message/reasons", test_reasons);

  return g_test_run ();
}
