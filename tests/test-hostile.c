/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-hostile.c: hostile input against the real perchd on loopback.
 *
 * Raw TCP connections to the SIP port send what no honest client sends:
 * truncated and oversized messages, broken framing, random bytes, floods,
 * requests out of turn or in someone else's name, wrong and replayed Digest
 * credentials, and XCCOS bodies built to hurt an XML parser (DTDs, entities,
 * billion laughs, external entities, deep nesting, huge bodies), unknown
 * commands and over-long posts. After each, perchd must have answered with
 * an error status or closed that one connection, and a separately signed-in
 * client must still be served: a getserverinfo round trip, and a post each
 * way between alice and bob (bob stays signed in throughout).
 *
 * All cases share one perchd, so the last case can check that the store
 * holds exactly what was acknowledged: every acknowledged post once in
 * General's history, and nothing hostile. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gio/gio.h>

#include "perch-common.h"
#include "perch-sip-message.h"
#include "perch-xccos.h"
#include "perch-test-sip.h"
#include "perch-test-util.h"

#define DOMAIN "example.test"

/* ---- the shared server and the clients that must keep being served ---------- */

typedef struct {
  PerchTestServer *server;
  char            *general;      /* General's URI */
  PerchClient     *bob;          /* signed in from the first case to the end */
  GPtrArray       *bob_heard;    /* texts of the live posts bob received */
  GPtrArray       *initial;      /* General's history before any case ran */
  GPtrArray       *acked;        /* texts of every post that got its SIP 200 */
  guint            checks;
} Env;

static Env env;

/* bob, signed in for the whole run. PerchClient gives its socket a GIO
 * timeout equal to its command timeout (10 s by default), and GIO applies
 * that to every read, so a client that hears nothing for that long closes
 * its own connection (a client-library bug, reported). bob may well idle
 * that long on a loaded machine between two cases, so his timeout is set
 * above this whole program's run time. */
static PerchClient *
connect_long_lived (PerchTestServer *server, const char *name)
{
  g_autofree char *address = g_strconcat (name, "@" DOMAIN, NULL);
  g_autofree char *password = g_strconcat (name, "-demo", NULL);
  PerchClient *client = perch_client_new (server->host, server->sip_port, FALSE, address, password);
  perch_client_set_timeout (client, 120000);
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (client, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, RAW_TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_client_connect_finish (client, result, &error));
  g_assert_no_error (error);
  return client;
}

static Env *
hostile_env (void)
{
  if (env.server != NULL)
    return &env;
  env.server = perch_test_server_start (NULL);
  env.bob = connect_long_lived (env.server, "bob");
  env.general = perch_test_find_room (env.bob, "General");
  g_assert_nonnull (env.general);
  env.bob_heard = perch_test_listen_posts (env.bob);
  perch_test_join (env.bob, env.general);
  env.initial = perch_test_history_texts (env.bob, env.general);
  env.acked = g_ptr_array_new_with_free_func (g_free);
  return &env;
}

static void
hostile_env_free (void)
{
  if (env.server == NULL)
    return;
  perch_test_disconnect (env.bob);
  perch_test_server_stop (env.server);
  g_free (env.general);
  g_ptr_array_unref (env.bob_heard);
  g_ptr_array_unref (env.initial);
  g_ptr_array_unref (env.acked);
}

/* A post through the real client that must be acknowledged; remembered
 * for the final check of the store. */
static void
post_acked (PerchClient *client, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (client, env.general, text, &error));
  g_assert_no_error (error);
  g_ptr_array_add (env.acked, g_strdup (text));
}

/* Others keep being served: a newly signed-in alice gets server info, and
 * a post each way between her and bob is acknowledged and delivered. */
static void
assert_others_served (const char *label)
{
  Env *e = hostile_env ();
  g_assert_true (perch_client_is_connected (e->bob));
  PerchClient *alice = perch_test_connect (e->server, "alice");
  g_autoptr(GPtrArray) alice_heard = perch_test_listen_posts (alice);

  g_autofree char *sib = perch_client_build_server_info_data (DOMAIN);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) info = perch_test_command (alice, "cmd:getserverinfo", sib, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->code, ==, 200);
  g_assert_nonnull (perch_xml_child (info->data, "sib"));

  perch_test_join (alice, e->general);
  e->checks++;
  g_autofree char *from_alice = g_strdup_printf ("served after %s: alice (%u)", label, e->checks);
  g_autofree char *from_bob = g_strdup_printf ("served after %s: bob (%u)", label, e->checks);
  post_acked (alice, from_alice);
  perch_test_assert_hears (e->bob_heard, from_alice);
  post_acked (e->bob, from_bob);
  perch_test_assert_hears (alice_heard, from_bob);
  perch_test_disconnect (alice);
}

/* ---- what perchd did with a hostile connection ----------------------------------- */

/* Looks only at what came after the hostile write began (raw->mark):
 * a 407 from signing in is no answer to it. */
static gboolean
answered_error_or_closed (gpointer data)
{
  Raw *raw = data;
  if (raw->eof)
    return TRUE;
  for (guint i = raw->mark; i < raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (raw->frames, i);
      if (f->msg != NULL && MSG_IS_RESPONSE (f->msg) && f->msg->status_code >= 400)
        return TRUE;
    }
  return FALSE;
}

/* perchd answered the hostile input with an error status or closed the
 * connection, and accepted none of it. */
static void
assert_refused (Raw *raw, const char *what)
{
  if (!perch_test_wait (answered_error_or_closed, raw, RAW_TIMEOUT_MS))
    g_error ("%s: perchd neither answered with an error nor closed the connection", what);
  for (guint i = raw->mark; i < raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (raw->frames, i);
      if (f->used || f->msg == NULL || !MSG_IS_RESPONSE (f->msg))
        continue;
      g_test_message ("%s: perchd answered %d %s", what, f->msg->status_code, f->msg->reason_phrase);
      g_assert_cmpint (f->msg->status_code, >=, 400);
    }
  g_test_message ("%s: connection %s", what, raw->eof ? "closed" : "kept open");
}

/* perchd closed the connection (what the framing errors must do: after
 * them the stream cannot be trusted). */
static void
assert_closed (Raw *raw, const char *what)
{
  if (!raw_wait_closed (raw))
    g_error ("%s: perchd did not close the connection", what);
  assert_refused (raw, what);
}

/* Final responses to METHOD (with STATUS; 0: any) among what came after
 * the last write began. */
static guint
count_responses_since (Raw *raw, const char *method, int status)
{
  guint n = 0;
  for (guint i = raw->mark; i < raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (raw->frames, i);
      if (f->msg != NULL && MSG_IS_RESPONSE (f->msg) && f->msg->status_code >= 200 &&
          g_strcmp0 (f->msg->cseq->method, method) == 0 && (status == 0 || f->msg->status_code == status))
        n++;
    }
  return n;
}

typedef struct {
  Raw   *raw;
  guint  want;
} CountWait;

/* WANT final responses in all (to any request) have come, or the
 * connection closed. */
static gboolean
enough_responses (gpointer data)
{
  CountWait *w = data;
  return w->raw->eof || w->raw->n_final >= w->want;
}

/* A raw session of alice's, joined to General, so that anything it posts
 * would be stored if perchd took it. */
static Raw *
raw_session_in_general (void)
{
  Env *e = hostile_env ();
  Raw *raw = raw_session (e->server, "alice");
  g_autofree char *join = perch_client_build_join_data (e->general);
  g_autofree char *reply = NULL;
  g_assert_cmpint (raw_command (raw, "cmd:join", join, &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "<resp code=\"200\">"));
  return raw;
}

/* The raw session still works: a command round trip. */
static void
assert_session_works (Raw *raw)
{
  g_autofree char *sib = perch_client_build_server_info_data (DOMAIN);
  g_autofree char *reply = NULL;
  g_assert_cmpint (raw_command (raw, "cmd:getserverinfo", sib, &reply), ==, 200);
  g_assert_nonnull (strstr (reply, "<resp code=\"200\">"));
  g_assert_nonnull (strstr (reply, "<sib "));
}

/* Start of a plain request line and headers from nobody in particular. */
static GString *
junk_request_head (Raw *raw, const char *method)
{
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "%s sip:" DOMAIN " SIP/2.0\r\n", method);
  g_string_append_printf (s, "Via: SIP/2.0/TCP %s;branch=z9hG4bKjunk\r\n", raw->via_host);
  g_string_append (s, "From: <sip:alice@" DOMAIN ">;tag=junk\r\n");
  g_string_append (s, "To: <sip:alice@" DOMAIN ">\r\n");
  g_string_append (s, "Call-ID: junk-call\r\n");
  g_string_append_printf (s, "CSeq: 1 %s\r\n", method);
  return s;
}

/* ---- SIP framing ------------------------------------------------------------------ */

static void
test_truncated (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_autoptr(GString) s = junk_request_head (raw, "REGISTER");
  g_string_append (s, "Content-Length: 0\r\nExpires: 36");   /* no end of the header block */
  g_assert_true (raw_send_string (raw, s));
  g_autoptr(GError) error = NULL;
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (raw->conn), FALSE, TRUE, &error));
  g_assert_no_error (error);
  assert_closed (raw, "truncated header block, then EOF");
  g_assert_cmpuint (raw->frames->len, ==, 0);

  /* A header block that ends but promises a body that never comes. */
  g_autoptr(Raw) raw2 = raw_connect (e->server);
  g_autoptr(GString) s2 = junk_request_head (raw2, "OPTIONS");
  g_string_append (s2, "Content-Length: 100\r\n\r\nonly a little");
  g_assert_true (raw_send_string (raw2, s2));
  g_assert_true (g_socket_shutdown (g_socket_connection_get_socket (raw2->conn), FALSE, TRUE, &error));
  assert_closed (raw2, "truncated body, then EOF");
  g_assert_cmpuint (raw2->frames->len, ==, 0);

  assert_others_served ("truncated SIP");
}

static void
test_oversized_header (gconstpointer data)
{
  Env *e = hostile_env ();
  /* Over 16 KiB with no end in sight. */
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_autoptr(GString) s = junk_request_head (raw, "OPTIONS");
  while (s->len <= 17 * 1024)
    g_string_append (s, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  raw_send_string (raw, s);
  assert_closed (raw, "17 KiB header block without an end");

  /* One header line of 40 KiB, and then a proper end. */
  g_autoptr(Raw) raw2 = raw_connect (e->server);
  g_autoptr(GString) s2 = junk_request_head (raw2, "OPTIONS");
  g_string_append (s2, "Subject: ");
  for (guint i = 0; i < 40 * 1024; i++)
    g_string_append_c (s2, 'a' + i % 26);
  g_string_append (s2, "\r\nContent-Length: 0\r\n\r\n");
  raw_send_string (raw2, s2);
  assert_closed (raw2, "a 40 KiB header line");

  assert_others_served ("an oversized header block");
}

static void
test_oversized_body (gconstpointer data)
{
  /* A signed-in session announces and sends a 300 KB INFO body. */
  g_autoptr(Raw) raw = raw_session_in_general ();
  gsize len = 300 * 1024;
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, ++raw->envid);
  g_string_append_printf (body, "<grpchat id=\"grpchat\" seqid=\"%" G_GINT64_FORMAT "\" chanUri=\"%s\" "
                          "author=\"sip:alice@" DOMAIN "\" ts=\"2013-08-03T12:00:00Z\"><chat>HOSTILE huge ",
                          ++raw->seqid, env.general);
  while (body->len < len - 64)
    g_string_append_c (body, 'x');
  g_string_append (body, "</chat></grpchat>");
  perch_xccos_end (body);
  raw_send_info (raw, body->str, body->len);
  assert_refused (raw, "a 300 KB body");
  g_assert_true (raw->eof || count_responses_since (raw, "INFO", 413) == 1);

  assert_others_served ("an oversized body");
}

static void
test_missing_content_length (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_autoptr(GString) s = junk_request_head (raw, "OPTIONS");
  g_string_append (s, "Max-Forwards: 70\r\n\r\n");
  raw_send_string (raw, s);
  assert_closed (raw, "no Content-Length");

  /* A body with nothing saying where it ends. */
  g_autoptr(Raw) raw2 = raw_connect (e->server);
  g_autoptr(GString) s2 = junk_request_head (raw2, "REGISTER");
  g_string_append (s2, "Content-Type: text/plain\r\n\r\nHOSTILE body without a length\r\n\r\n");
  raw_send_string (raw2, s2);
  assert_closed (raw2, "a body without Content-Length");

  assert_others_served ("a missing Content-Length");
}

static void
test_conflicting_content_length (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_autoptr(GString) s = junk_request_head (raw, "OPTIONS");
  g_string_append (s, "Content-Length: 5\r\nl: 41\r\n\r\nhello"
                      "OPTIONS sip:" DOMAIN " SIP/2.0\r\nX: smuggled\r\n");
  raw_send_string (raw, s);
  assert_closed (raw, "Content-Length 5 and l: 41");

  g_autoptr(Raw) raw2 = raw_connect (e->server);
  g_autoptr(GString) s2 = junk_request_head (raw2, "OPTIONS");
  g_string_append (s2, "Content-Length: 0\r\nContent-Length: 10\r\n\r\n0123456789");
  raw_send_string (raw2, s2);
  assert_closed (raw2, "Content-Length 0 and 10");

  assert_others_served ("conflicting Content-Length headers");
}

static void
test_garbage (gconstpointer data)
{
  Env *e = hostile_env ();
  /* 64 KiB of random bytes, the same ones every run. */
  g_autoptr(GRand) rand = g_rand_new_with_seed (20130803);
  g_autoptr(GByteArray) junk = g_byte_array_sized_new (64 * 1024);
  for (guint i = 0; i < 64 * 1024; i++)
    {
      guint8 b = (guint8) g_rand_int_range (rand, 0, 256);
      g_byte_array_append (junk, &b, 1);
    }
  g_autoptr(Raw) raw = raw_connect (e->server);
  raw_send (raw, junk->data, junk->len);
  assert_closed (raw, "64 KiB of random bytes");

  /* Frames well, parses as nothing. */
  g_autoptr(Raw) raw2 = raw_connect (e->server);
  const char *nonsense = "\x01\x02\xff HELLO THERE\r\nContent-Length: 0\r\n\r\n";
  raw_send (raw2, nonsense, strlen (nonsense));
  assert_closed (raw2, "a framed message that is not SIP");

  /* A NUL byte in the headers. */
  g_autoptr(Raw) raw3 = raw_connect (e->server);
  static const char nul[] = "OPTIONS sip:" DOMAIN " SIP/2.0\r\nX-Nul: a\0b\r\nContent-Length: 0\r\n\r\n";
  raw_send (raw3, nul, sizeof nul - 1);
  assert_closed (raw3, "a NUL in the headers");

  assert_others_served ("garbage bytes");
}

static void
test_header_flood (gconstpointer data)
{
  Env *e = hostile_env ();
  /* 2,900 header lines in under 16 KiB: the count limit, not the size one. */
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_autoptr(GString) s = junk_request_head (raw, "OPTIONS");
  for (guint i = 0; i < 2900; i++)
    g_string_append (s, "X:1\r\n");
  g_string_append (s, "Content-Length: 0\r\n\r\n");
  g_assert_cmpuint (s->len, <, 16 * 1024);
  raw_send_string (raw, s);
  assert_closed (raw, "2,900 header lines");

  /* 20,000 header lines. */
  g_autoptr(Raw) raw2 = raw_connect (e->server);
  g_autoptr(GString) s2 = junk_request_head (raw2, "OPTIONS");
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (s2, "X-Flood-%u: %u\r\n", i, i);
  g_string_append (s2, "Content-Length: 0\r\n\r\n");
  raw_send_string (raw2, s2);
  assert_closed (raw2, "20,000 header lines");

  assert_others_served ("a header flood");
}

static void
test_message_flood (gconstpointer data)
{
  Env *e = hostile_env ();
  /* 1,000 requests in one write, far more than a connection may send a
   * second (100 besides INFO). */
  const guint n_requests = 1000;
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_autoptr(GString) flood = g_string_new (NULL);
  for (guint i = 1; i <= n_requests; i++)
    {
      g_autoptr(GString) req = raw_request (raw, "OPTIONS", "sip:" DOMAIN, "sip:alice@" DOMAIN,
                                            "sip:" DOMAIN, NULL, "flood", i, NULL, NULL, NULL, 0);
      g_string_append_len (flood, req->str, req->len);
    }
  raw_send_string (raw, flood);
  CountWait w = { raw, n_requests };
  g_assert_true (perch_test_wait (enough_responses, &w, RAW_TIMEOUT_MS));
  guint busy = 0;
  for (guint i = 0; i < raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (raw->frames, i);
      if (f->msg == NULL || !MSG_IS_RESPONSE (f->msg))
        continue;
      g_assert_cmpint (f->msg->status_code, >=, 400);
      if (f->msg->status_code == 503)
        {
          busy++;
          g_assert_nonnull (perch_sip_header (f->msg, "Retry-After"));
        }
    }
  g_test_message ("message flood: %u of %u answered 503, connection %s", busy, n_requests,
                  raw->eof ? "closed" : "open");
  g_assert_cmpuint (busy, >, 0);

  /* 2,000 INFOs on a chat session in one write, well over its command
   * rate (100 a second with bursts of 200 by default, README says): posts
   * to a room that does not exist, so that each costs perchd little and
   * the flood outruns the rate on a loaded machine too. */
  const guint n_infos = 2000;
  g_autoptr(Raw) chat = raw_session_in_general ();
  g_autofree char *nowhere_id = g_uuid_string_random ();
  g_autofree char *nowhere = perch_room_uri (DOMAIN, nowhere_id);
  guint before = chat->n_final, mark = chat->frames->len;
  g_autoptr(GString) infos = g_string_new (NULL);
  for (guint i = 0; i < n_infos; i++)
    {
      g_autoptr(GString) body = g_string_new (NULL);
      perch_xccos_begin (body, ++chat->envid);
      perch_xccos_append_grpchat (body, ++chat->seqid, nowhere, chat->from_uri, "2013-08-03T12:00:00Z",
                                  NULL, "HOSTILE flood");
      perch_xccos_end (body);
      g_autoptr(GString) req = raw_request (chat, "INFO", "sip:ocschat@" DOMAIN, chat->from_uri,
                                            "sip:ocschat@" DOMAIN, chat->remote_tag, chat->call_id,
                                            ++chat->cseq, NULL, "text/plain", body->str, body->len);
      g_string_append_len (infos, req->str, req->len);
    }
  raw_send_string (chat, infos);
  CountWait w2 = { chat, before + n_infos };
  g_assert_true (perch_test_wait (enough_responses, &w2, RAW_TIMEOUT_MS));
  g_assert_false (chat->eof);
  guint missing = 0, refused = 0;
  for (guint i = mark; i < chat->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (chat->frames, i);
      if (f->msg == NULL || !MSG_IS_RESPONSE (f->msg))
        continue;
      if (f->msg->status_code == 404)
        missing++;
      else if (f->msg->status_code == 503)
        {
          refused++;
          const char *retry = perch_sip_header (f->msg, "Retry-After");
          g_assert_nonnull (retry);
          g_assert_cmpuint (strtoul (retry, NULL, 10), >=, 1);
        }
      else
        g_error ("a flood post to a missing room was answered %d", f->msg->status_code);
    }
  g_test_message ("command flood: %u answered 404, %u answered 503", missing, refused);
  g_assert_cmpuint (missing + refused, ==, n_infos);
  g_assert_cmpuint (refused, >, 0);
  g_assert_cmpuint (missing, >, 0);
  /* Slowed down, not thrown out: the session still works. */
  assert_session_works (chat);

  assert_others_served ("a message flood");
}

/* ---- signing in ------------------------------------------------------------------- */

static void
test_before_register (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) raw = raw_connect (e->server);
  static const char *const methods[] = { "INVITE", "SUBSCRIBE", "INFO", "OPTIONS", "BYE", "UPDATE", "MESSAGE" };
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, 1);
  perch_xccos_append_grpchat (body, 1, e->general, "sip:alice@" DOMAIN, "2013-08-03T12:00:00Z", NULL,
                              "HOSTILE post before REGISTER");
  perch_xccos_end (body);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      gboolean info = strcmp (methods[i], "INFO") == 0;
      osip_message_t *resp = raw_simple (raw, methods[i], "sip:ocschat@" DOMAIN, "sip:alice@" DOMAIN,
                                         "sip:ocschat@" DOMAIN, "before-register", NULL,
                                         info ? "text/plain" : NULL, info ? body->str : NULL);
      g_test_message ("%s before REGISTER: %d %s", methods[i], raw_status (resp), raw_reason (resp));
      g_assert_cmpint (raw_status (resp), ==, 403);
    }
  /* The connection may still sign in properly. */
  g_assert_cmpint (raw_status (raw_register (raw, "alice@" DOMAIN, "alice-demo")), ==, 200);

  assert_others_served ("requests before REGISTER");
}

static void
test_foreign_from (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session_in_general ();
  const char *bob = "sip:bob@" DOMAIN;

  /* bob's name on alice's connection, in and out of her dialog. */
  osip_message_t *sub = raw_simple (raw, "SUBSCRIBE", bob, bob, bob, "foreign-sub",
                                    "Event: vnd-microsoft-provisioning-v2\r\n", NULL, NULL);
  g_assert_cmpint (raw_status (sub), ==, 403);
  osip_message_t *inv = raw_simple (raw, "INVITE", "sip:ocschat@" DOMAIN, bob, "sip:ocschat@" DOMAIN,
                                    "foreign-invite", NULL, NULL, NULL);
  g_assert_cmpint (raw_status (inv), ==, 403);

  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, ++raw->envid);
  perch_xccos_append_grpchat (body, ++raw->seqid, env.general, bob, "2013-08-03T12:00:00Z", NULL,
                              "HOSTILE post under bob's From");
  perch_xccos_end (body);
  guint cseq = ++raw->cseq;
  g_autoptr(GString) info = raw_request (raw, "INFO", "sip:ocschat@" DOMAIN, bob, "sip:ocschat@" DOMAIN,
                                         raw->remote_tag, raw->call_id, cseq, NULL, "text/plain",
                                         body->str, body->len);
  raw_send_string (raw, info);
  g_assert_cmpint (raw_status (raw_wait_response (raw, "INFO", cseq)), ==, 403);

  /* Registering bob on a connection alice signed in on. */
  g_autofree char *extra = g_strdup_printf ("Expires: 3600\r\nProxy-Authorization: %s\r\n", raw->authorization);
  osip_message_t *reg = raw_simple (raw, "REGISTER", "sip:" DOMAIN, bob, bob, raw->reg_call_id, extra, NULL, NULL);
  g_assert_cmpint (raw_status (reg), ==, 403);

  /* alice's own session is unharmed. */
  assert_session_works (raw);
  assert_others_served ("another user's From");
}

/* What an observer can compare between two refusals: the status line, the
 * names of the headers in order, whether To got a tag, and the body. */
static char *
response_shape (osip_message_t *resp)
{
  g_assert_nonnull (resp);
  g_autoptr(GBytes) bytes = perch_sip_to_bytes (resp);
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  const char *end = g_strstr_len (text, len, "\r\n\r\n");
  g_assert_nonnull (end);
  g_autofree char *head = g_strndup (text, end - text);
  g_auto(GStrv) lines = g_strsplit (head, "\r\n", -1);
  GString *s = g_string_new (lines[0]);
  g_string_append (s, " |");
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_autofree char *name = g_ascii_strdown (lines[i], strcspn (lines[i], ":"));
      g_string_append_printf (s, " %s", name);
    }
  g_string_append_printf (s, " | to-tag %s | body %" G_GSIZE_FORMAT " bytes",
                          perch_sip_tag (resp->to) ? "yes" : "no", len - (end + 4 - text));
  return g_string_free (s, FALSE);
}

static void
test_wrong_password (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) raw = raw_connect (e->server);
  for (guint attempt = 1; attempt <= 3; attempt++)
    {
      osip_message_t *resp = raw_register (raw, "alice@" DOMAIN, "not-alice-demo");
      g_assert_cmpint (raw_status (resp), ==, 403);
      if (attempt < 3)
        g_assert_false (raw->eof);
    }
  assert_closed (raw, "three wrong passwords");

  assert_others_served ("wrong passwords");
}

static void
test_unknown_user (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) known = raw_connect (e->server);
  g_autoptr(Raw) unknown = raw_connect (e->server);

  /* The challenges look alike. */
  g_autofree char *nonce1 = raw_challenge (known, "alice@" DOMAIN);
  g_autofree char *nonce2 = raw_challenge (unknown, "mallory@" DOMAIN);
  g_assert_nonnull (nonce1);
  g_assert_nonnull (nonce2);
  g_assert_cmpuint (strlen (nonce1), ==, strlen (nonce2));

  for (guint attempt = 1; attempt <= 3; attempt++)
    {
      osip_message_t *wrong = raw_register (known, "alice@" DOMAIN, "not-alice-demo");
      osip_message_t *nobody = raw_register (unknown, "mallory@" DOMAIN, "mallory-demo");
      g_autofree char *a = response_shape (wrong);
      g_autofree char *b = response_shape (nobody);
      g_test_message ("wrong password: %s; unknown user: %s", a, b);
      g_assert_cmpint (raw_status (wrong), ==, 403);
      g_assert_cmpstr (a, ==, b);
    }
  assert_closed (known, "three wrong passwords");
  assert_closed (unknown, "three unknown-user attempts");

  /* And as the real client reports them. */
  g_autoptr(GError) e1 = NULL, e2 = NULL;
  PerchClient *c1 = NULL, *c2 = NULL;
  g_assert_null (perch_test_connect_full (e->server, "alice", "wrong", FALSE, &c1, &e1));
  g_assert_null (perch_test_connect_full (e->server, "mallory", "mallory-demo", FALSE, &c2, &e2));
  g_assert_error (e1, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_error (e2, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_cmpstr (e1->message, ==, e2->message);
  perch_test_disconnect (c1);
  perch_test_disconnect (c2);

  assert_others_served ("an unknown user");
}

static void
test_nonce_replay (gconstpointer data)
{
  Env *e = hostile_env ();
  /* A nonce that signed alice in once... */
  g_autoptr(Raw) first = raw_connect (e->server);
  g_autofree char *nonce = raw_challenge (first, "alice@" DOMAIN);
  g_autofree char *authorization = digest_authorization ("alice@" DOMAIN, "alice-demo", DOMAIN, nonce, "sip:" DOMAIN);
  g_assert_cmpint (raw_status (raw_register_with (first, "alice@" DOMAIN, authorization)), ==, 200);

  /* ...does not sign anyone in again: the very same header is challenged afresh. */
  g_autoptr(Raw) replay = raw_connect (e->server);
  osip_message_t *resp = raw_register_with (replay, "alice@" DOMAIN, authorization);
  g_assert_cmpint (raw_status (resp), ==, 407);
  osip_proxy_authenticate_t *fresh = osip_list_get (&resp->proxy_authenticates, 0);
  g_assert_nonnull (fresh);
  g_autofree char *fresh_nonce = raw_unquote (osip_proxy_authenticate_get_nonce (fresh));
  g_assert_cmpstr (fresh_nonce, !=, nonce);
  /* A second replay on the same connection: the same. */
  g_assert_cmpint (raw_status (raw_register_with (replay, "alice@" DOMAIN, authorization)), ==, 407);

  /* A nonce a failed attempt used up is used up too. */
  g_autoptr(Raw) third = raw_connect (e->server);
  g_autofree char *nonce3 = raw_challenge (third, "alice@" DOMAIN);
  g_autofree char *bad = digest_authorization ("alice@" DOMAIN, "wrong", DOMAIN, nonce3, "sip:" DOMAIN);
  g_assert_cmpint (raw_status (raw_register_with (third, "alice@" DOMAIN, bad)), ==, 403);
  g_autofree char *good = digest_authorization ("alice@" DOMAIN, "alice-demo", DOMAIN, nonce3, "sip:" DOMAIN);
  g_assert_cmpint (raw_status (raw_register_with (third, "alice@" DOMAIN, good)), ==, 407);

  /* A nonce perchd never issued. */
  g_autoptr(Raw) forged = raw_connect (e->server);
  g_autofree char *made_up = digest_authorization ("alice@" DOMAIN, "alice-demo", DOMAIN,
                                                   "00112233445566778899aabbccddeeff", "sip:" DOMAIN);
  g_assert_cmpint (raw_status (raw_register_with (forged, "alice@" DOMAIN, made_up)), ==, 407);

  assert_others_served ("a replayed nonce");
}

static void
test_unknown_call_id (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autofree char *sib = perch_client_build_server_info_data (DOMAIN);
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, 1);
  perch_xccos_append_cmd (body, "cmd:getserverinfo", 1, sib);
  perch_xccos_end (body);

  /* Signed in, no dialog at all. */
  g_autoptr(Raw) raw = raw_connect (e->server);
  g_assert_cmpint (raw_status (raw_register (raw, "alice@" DOMAIN, "alice-demo")), ==, 200);
  osip_message_t *resp = raw_simple (raw, "INFO", "sip:ocschat@" DOMAIN, raw->from_uri, "sip:ocschat@" DOMAIN,
                                     "no-such-dialog", NULL, "text/plain", body->str);
  g_assert_cmpint (raw_status (resp), ==, 481);

  /* A dialog exists, the INFO names another. */
  g_autoptr(Raw) chat = raw_session_in_general ();
  osip_message_t *other = raw_simple (chat, "INFO", "sip:ocschat@" DOMAIN, chat->from_uri, "sip:ocschat@" DOMAIN,
                                      "not-this-dialog", NULL, "text/plain", body->str);
  g_assert_cmpint (raw_status (other), ==, 481);
  osip_message_t *bye = raw_simple (chat, "BYE", "sip:ocschat@" DOMAIN, chat->from_uri, "sip:ocschat@" DOMAIN,
                                    "not-this-dialog", NULL, NULL, NULL);
  g_assert_cmpint (raw_status (bye), ==, 481);
  assert_session_works (chat);

  assert_others_served ("an INFO on an unknown Call-ID");
}

/* ---- XCCOS bodies ---------------------------------------------------------------- */

/* Sends BODY as an INFO on RAW; asserts the SIP status, that RAW's session
 * still answers commands, and that no reply to the hostile envelope came. */
static void
assert_body_refused (Raw *raw, const char *what, const char *body, int want_status)
{
  gint64 hostile_envid = raw->envid + 1;   /* the envid the body carries, see callers */
  osip_message_t *resp = raw_info (raw, body, strlen (body));
  g_test_message ("%s: %d %s", what, raw_status (resp), raw_reason (resp));
  g_assert_cmpint (raw_status (resp), ==, want_status);
  raw->envid = hostile_envid;
  /* Replies go out in order: once this one is back, one to the hostile
   * envelope would have come before it. */
  assert_session_works (raw);
  for (guint i = 0; i < raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (raw->frames, i);
      gsize len;
      const char *text = f->msg && MSG_IS_INFO (f->msg) ? perch_sip_body (f->msg, &len) : NULL;
      g_autofree char *needle = g_strdup_printf ("envid=\"%" G_GINT64_FORMAT "\"/>", hostile_envid);
      if (text != NULL)
        g_assert_null (g_strstr_len (text, len, needle));
    }
}

/* An envelope with PROLOG before it and ITEM inside, as text. */
static char *
envelope (Raw *raw, const char *prolog, const char *item)
{
  return g_strdup_printf ("%s<xccos ver=\"1\" envid=\"%" G_GINT64_FORMAT "\" xmlns=\"" PERCH_XCCOS_NS "\">%s</xccos>",
                          prolog, raw->envid + 1, item);
}

static char *
post_item (Raw *raw, const char *chat_xml)
{
  return g_strdup_printf ("<grpchat id=\"grpchat\" seqid=\"%" G_GINT64_FORMAT "\" chanUri=\"%s\" "
                          "author=\"sip:alice@" DOMAIN "\" ts=\"2013-08-03T12:00:00Z\"><chat>%s</chat></grpchat>",
                          ++raw->seqid, env.general, chat_xml);
}

static void
test_xml_dtd (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session_in_general ();
  g_autofree char *item = g_strdup_printf ("<cmd id=\"cmd:getserverinfo\" seqid=\"%" G_GINT64_FORMAT "\">"
                                           "<data><sib domain=\"" DOMAIN "\" infoType=\"123\"/></data></cmd>",
                                           ++raw->seqid);
  g_autofree char *body = envelope (raw, "<?xml version=\"1.0\"?><!DOCTYPE xccos [<!ELEMENT xccos ANY>]>", item);
  assert_body_refused (raw, "a DTD", body, 400);

  g_autofree char *ext_item = g_strdup_printf ("<cmd id=\"cmd:getserverinfo\" seqid=\"%" G_GINT64_FORMAT "\"><data/></cmd>",
                                               ++raw->seqid);
  g_autofree char *ext = envelope (raw, "<!DOCTYPE xccos SYSTEM \"http://127.0.0.1:9/xccos.dtd\">", ext_item);
  assert_body_refused (raw, "an external DTD", ext, 400);

  assert_others_served ("a DTD");
}

static void
test_xml_internal_entity (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session_in_general ();
  g_autofree char *item = post_item (raw, "&t;");
  g_autofree char *body = envelope (raw, "<!DOCTYPE xccos [<!ENTITY t \"HOSTILE internal entity\">]>", item);
  assert_body_refused (raw, "an internal entity", body, 400);

  /* A reference to an entity nobody declared. */
  g_autofree char *item2 = post_item (raw, "HOSTILE undeclared &t;");
  g_autofree char *body2 = envelope (raw, "", item2);
  assert_body_refused (raw, "an undeclared entity", body2, 400);

  assert_others_served ("an internal entity");
}

static void
test_xml_billion_laughs (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session_in_general ();
  GString *dtd = g_string_new ("<?xml version=\"1.0\"?><!DOCTYPE xccos [<!ENTITY lol0 \"HOSTILE lol\">");
  for (guint i = 1; i <= 9; i++)
    {
      g_string_append_printf (dtd, "<!ENTITY lol%u \"", i);
      for (guint j = 0; j < 10; j++)
        g_string_append_printf (dtd, "&lol%u;", i - 1);
      g_string_append (dtd, "\">");
    }
  g_string_append (dtd, "]>");
  g_autofree char *prolog = g_string_free (dtd, FALSE);
  g_autofree char *item = post_item (raw, "&lol9;");
  g_autofree char *body = envelope (raw, prolog, item);
  gint64 start = g_get_monotonic_time ();
  assert_body_refused (raw, "billion laughs", body, 400);
  g_test_message ("billion laughs refused within %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);

  assert_others_served ("billion laughs");
}

static char *
passwd_first_line (void)
{
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents ("/etc/passwd", &text, NULL, NULL));
  g_assert_cmpuint (strlen (text), >, 8);
  return g_strndup (text, strcspn (text, "\n"));
}

static void
test_xml_external_entity (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autofree char *secret = passwd_first_line ();
  g_autoptr(Raw) raw = raw_session_in_general ();

  /* In a post... */
  g_autofree char *item = post_item (raw, "HOSTILE xxe &xxe;");
  g_autofree char *body = envelope (raw, "<?xml version=\"1.0\"?><!DOCTYPE xccos [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>", item);
  assert_body_refused (raw, "an external entity in a post", body, 400);

  /* ...in a search whose criteria would come back in the reply... */
  g_autofree char *search = g_strdup_printf ("<cmd id=\"cmd:chansrch\" seqid=\"%" G_GINT64_FORMAT "\"><data>"
                                             "<qib qtype=\"BYNAME\" criteria=\"x\" extended=\"false\">&xxe;</qib></data></cmd>",
                                             ++raw->seqid);
  g_autofree char *body2 = envelope (raw, "<!DOCTYPE xccos [<!ENTITY xxe SYSTEM \"/etc/passwd\">]>", search);
  assert_body_refused (raw, "an external entity in a command", body2, 400);

  /* ...and as a parameter entity pulled into the DTD itself. */
  g_autofree char *item3 = post_item (raw, "HOSTILE parameter entity");
  g_autofree char *body3 = envelope (raw, "<!DOCTYPE xccos [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>", item3);
  assert_body_refused (raw, "an external parameter entity", body3, 400);

  /* Through the real client: an entity reference in a command's data. */
  PerchClient *alice = perch_test_connect (e->server, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply =
    perch_test_command (alice, "cmd:chansrch", "<qib qtype=\"BYNAME\" criteria=\"x\" extended=\"false\"/>&xxe;", &error);
  g_assert_null (reply);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_assert_true (perch_client_is_connected (alice));
  perch_test_disconnect (alice);

  /* /etc/passwd never came back. */
  g_assert_null (strstr (raw->received->str, secret));
  g_assert_null (strstr (raw->received->str, "root:x:"));

  assert_others_served ("an external entity");
}

static void
test_xml_deep_nesting (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session_in_general ();
  GString *deep = g_string_new (NULL);
  g_string_append_printf (deep, "<cmd id=\"cmd:getserverinfo\" seqid=\"%" G_GINT64_FORMAT "\"><data>", ++raw->seqid);
  for (guint i = 0; i < 10000; i++)
    g_string_append (deep, "<a>");
  for (guint i = 0; i < 10000; i++)
    g_string_append (deep, "</a>");
  g_string_append (deep, "</data></cmd>");
  g_autofree char *item = g_string_free (deep, FALSE);
  g_autofree char *body = envelope (raw, "", item);
  assert_body_refused (raw, "10,000 levels of nesting", body, 413);

  /* The same depth in a post. */
  GString *chat = g_string_new ("HOSTILE deep");
  for (guint i = 0; i < 10000; i++)
    g_string_append (chat, "<b>");
  for (guint i = 0; i < 10000; i++)
    g_string_append (chat, "</b>");
  g_autofree char *chat_xml = g_string_free (chat, FALSE);
  g_autofree char *post = post_item (raw, chat_xml);
  g_autofree char *body2 = envelope (raw, "", post);
  assert_body_refused (raw, "10,000 levels of nesting in a post", body2, 413);

  assert_others_served ("deep nesting");
}

static void
test_huge_body (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session_in_general ();
  gsize len = 10 * 1024 * 1024;
  g_autoptr(GString) body = g_string_sized_new (len + 512);
  perch_xccos_begin (body, ++raw->envid);
  g_string_append_printf (body, "<grpchat id=\"grpchat\" seqid=\"%" G_GINT64_FORMAT "\" chanUri=\"%s\" "
                          "author=\"sip:alice@" DOMAIN "\" ts=\"2013-08-03T12:00:00Z\"><chat>HOSTILE 10 MB ",
                          ++raw->seqid, env.general);
  while (body->len < len)
    g_string_append (body, "0123456789abcdef");
  g_string_append (body, "</chat></grpchat>");
  perch_xccos_end (body);
  raw_send_info (raw, body->str, body->len);
  assert_refused (raw, "a 10 MB body");
  /* Either the connection is gone or the INFO got 413. */
  g_assert_true (raw->eof || count_responses_since (raw, "INFO", 413) == 1);

  assert_others_served ("a 10 MB body");
}

static void
test_unknown_command (gconstpointer data)
{
  Env *e = hostile_env ();
  g_autoptr(Raw) raw = raw_session_in_general ();
  g_autofree char *reply = NULL;
  g_assert_cmpint (raw_command (raw, "cmd:frobnicate", "<x/>", &reply), ==, 200);
  g_test_message ("unknown command: %s", reply);
  g_assert_nonnull (strstr (reply, "<rpl id=\"rpl:frobnicate\""));
  g_assert_nonnull (strstr (reply, "<resp code=\"400\">BAD_REQUEST</resp>"));
  assert_session_works (raw);

  /* The real client sees an XCCOS 400 reply, not a SIP refusal. */
  PerchClient *alice = perch_test_connect (e->server, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) r = perch_test_command (alice, "cmd:selfdestruct", "", &error);
  g_assert_null (r);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, " failed: 400"));
  perch_test_disconnect (alice);

  assert_others_served ("an unknown command");
}

static void
test_long_chat (gconstpointer data)
{
  Env *e = hostile_env ();
  PerchClient *alice = perch_test_connect (e->server, "alice");
  perch_test_join (alice, e->general);

  /* One byte over messageSizeLimit (4096 by default, as getserverinfo says). */
  g_autofree char *sib = perch_client_build_server_info_data (DOMAIN);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) info = perch_test_command (alice, "cmd:getserverinfo", sib, &error);
  g_assert_no_error (error);
  g_autofree char *limit_s = perch_xml_get (perch_xml_child (info->data, "sib"), "messageSizeLimit");
  gsize limit = strtoul (limit_s, NULL, 10);
  g_assert_cmpuint (limit, ==, 4096);

  GString *text = g_string_new ("HOSTILE long ");
  while (text->len < limit + 1)
    g_string_append_c (text, 'a' + text->len % 26);
  g_assert_false (perch_test_post (alice, e->general, text->str, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* 200 KB: still a valid SIP body, far over the limit. */
  while (text->len < 200 * 1024)
    g_string_append (text, "0123456789");
  g_assert_false (perch_test_post (alice, e->general, text->str, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_string_free (text, TRUE);

  /* Exactly at the limit is a post like any other. */
  GString *fits = g_string_new ("at the size limit ");
  while (fits->len < limit)
    g_string_append_c (fits, 'a' + fits->len % 26);
  post_acked (alice, fits->str);
  perch_test_assert_hears (e->bob_heard, fits->str);
  g_string_free (fits, TRUE);
  perch_test_disconnect (alice);

  assert_others_served ("over-long chat text");
}

/* ---- the store ---------------------------------------------------------------------- */

static void
test_store_holds_acknowledged (gconstpointer data)
{
  Env *e = hostile_env ();
  if (e->acked->len == 0)
    assert_others_served ("nothing");
  g_autofree char *secret = passwd_first_line ();
  PerchClient *alice = perch_test_connect (e->server, "alice");
  g_autoptr(GPtrArray) texts = perch_test_history_texts (alice, env.general);
  perch_test_disconnect (alice);

  g_test_message ("General holds %u messages: %u from before, %u acknowledged here",
                  texts->len, e->initial->len, e->acked->len);
  g_assert_cmpuint (texts->len, <, 500);
  /* Every acknowledged post once... */
  for (guint i = 0; i < e->acked->len; i++)
    g_assert_cmpuint (perch_test_count_text (texts, g_ptr_array_index (e->acked, i)), ==, 1);
  /* ...and nothing but those and what was there before. */
  g_assert_cmpuint (texts->len, ==, e->initial->len + e->acked->len);
  for (guint i = 0; i < texts->len; i++)
    {
      const char *text = g_ptr_array_index (texts, i);
      g_assert_null (strstr (text, "HOSTILE"));
      g_assert_null (strstr (text, secret));
      g_assert_true (perch_test_count_text (e->acked, text) + perch_test_count_text (e->initial, text) > 0);
    }
  /* Nor did bob ever see anything hostile live. */
  for (guint i = 0; i < e->bob_heard->len; i++)
    g_assert_null (strstr (g_ptr_array_index (e->bob_heard, i), "HOSTILE"));
}

/* ---- sessions the server ends -------------------------------------------------- */

typedef struct {
  Raw  *raw;
  guint from;
} ByeWait;

static gboolean
bye_arrived (gpointer data)
{
  ByeWait *w = data;
  for (guint i = w->from; i < w->raw->frames->len; i++)
    {
      RawFrame *f = g_ptr_array_index (w->raw->frames, i);
      if (f->msg != NULL && MSG_IS_BYE (f->msg) && g_strcmp0 (f->msg->call_id->number, w->raw->call_id) == 0)
        return TRUE;
    }
  return w->raw->eof;
}

/* A session that is never refreshed is ended with a BYE once its
 * Session-Expires passes; the dialog is then gone (481). */
static void
test_idle_session_ended (gconstpointer data)
{
  const char *args[] = { "--config", "session_expires=2", NULL };
  PerchTestServer *server = perch_test_server_start (args);
  g_autoptr(Raw) raw = raw_session (server, "carol");
  g_autofree char *reply = NULL;
  g_assert_cmpint (raw_command (raw, "cmd:getserverinfo", NULL, &reply), ==, 200);
  ByeWait w = { raw, raw->frames->len };
  g_assert_true (perch_test_wait (bye_arrived, &w, 8000));
  g_assert_false (raw->eof);
  g_autoptr(GString) body = g_string_new (NULL);
  perch_xccos_begin (body, ++raw->envid);
  perch_xccos_append_cmd (body, "cmd:getserverinfo", ++raw->seqid, NULL);
  perch_xccos_end (body);
  g_assert_cmpint (raw_status (raw_info (raw, body->str, body->len)), ==, 481);
  g_clear_pointer (&raw, raw_free);
  perch_test_server_stop (server);
}

/* SIPE answers an INFO on a dialog it considers dead with 487: the server
 * then drops that dialog (and its session). */
static void
test_stray_487_ends_dialog (gconstpointer data)
{
  g_autoptr(Raw) raw = raw_session (env.server, "carol");
  g_autoptr(GString) body = g_string_new (NULL);
  gint64 envid = ++raw->envid, seqid = ++raw->seqid;
  perch_xccos_begin (body, envid);
  perch_xccos_append_cmd (body, "cmd:getserverinfo", seqid, NULL);
  perch_xccos_end (body);
  g_assert_cmpint (raw_status (raw_info (raw, body->str, body->len)), ==, 200);
  RawFrame *found = NULL;
  g_assert_true (raw_wait_reply (raw, seqid, envid, &found));
  g_assert_nonnull (found);
  found->used = TRUE;
  /* Answer the server's reply INFO as SIPE does for an obsolete Call-ID. */
  g_autoptr(osip_message_t) resp = perch_sip_response_new (found->msg, 487, "Request Terminated", NULL);
  g_autoptr(GBytes) bytes = perch_sip_to_bytes (resp);
  gsize len;
  const char *text = g_bytes_get_data (bytes, &len);
  g_assert_true (raw_send (raw, text, len));
  /* The dialog is gone: the next INFO on it is 481. */
  g_autoptr(GString) again = g_string_new (NULL);
  perch_xccos_begin (again, ++raw->envid);
  perch_xccos_append_cmd (again, "cmd:getserverinfo", ++raw->seqid, NULL);
  perch_xccos_end (again);
  g_assert_cmpint (raw_status (raw_info (raw, again->str, again->len)), ==, 481);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add_data_func ("/perch/hostile/" path, NULL, fn)
  ADD ("truncated", test_truncated);
  ADD ("oversized-header", test_oversized_header);
  ADD ("oversized-body", test_oversized_body);
  ADD ("missing-content-length", test_missing_content_length);
  ADD ("conflicting-content-length", test_conflicting_content_length);
  ADD ("garbage", test_garbage);
  ADD ("header-flood", test_header_flood);
  ADD ("message-flood", test_message_flood);
  ADD ("before-register", test_before_register);
  ADD ("foreign-from", test_foreign_from);
  ADD ("wrong-password", test_wrong_password);
  ADD ("unknown-user", test_unknown_user);
  ADD ("nonce-replay", test_nonce_replay);
  ADD ("unknown-call-id", test_unknown_call_id);
  ADD ("xml-dtd", test_xml_dtd);
  ADD ("xml-internal-entity", test_xml_internal_entity);
  ADD ("xml-billion-laughs", test_xml_billion_laughs);
  ADD ("xml-external-entity", test_xml_external_entity);
  ADD ("xml-deep-nesting", test_xml_deep_nesting);
  ADD ("huge-body", test_huge_body);
  ADD ("unknown-command", test_unknown_command);
  ADD ("long-chat", test_long_chat);
  ADD ("idle-session-ended", test_idle_session_ended);
  ADD ("stray-487-ends-dialog", test_stray_487_ends_dialog);
  /* Last: what the cases above left in the store. */
  ADD ("store-holds-acknowledged", test_store_holds_acknowledged);
#undef ADD
  int status = g_test_run ();
  hostile_env_free ();
  return status;
}
