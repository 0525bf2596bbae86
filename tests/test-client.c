/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-client.c: PerchClient against the real perchd on loopback: sign-in
 * and its refusals, TLS with a pinned certificate, provisioning, commands,
 * posts between two users, timeouts, and both ways a session can end. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "perch-common.h"
#include "perch-test-util.h"

typedef struct {
  PerchTestServer *server;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = perch_test_server_start (NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  perch_test_server_stop (f->server);
}

/* What a client's signals delivered, for the tests to look at. */
typedef struct {
  GPtrArray *posts;       /* of Post* */
  GPtrArray *notices;     /* of char* ids */
  gboolean   closed;
  GError    *closed_error;
} Recorder;

typedef struct {
  char *room, *author, *text, *ts, *msgid;
} Post;

static void
post_free (Post *p)
{
  g_free (p->room);
  g_free (p->author);
  g_free (p->text);
  g_free (p->ts);
  g_free (p->msgid);
  g_free (p);
}

static void
on_post (PerchClient *client, const char *room, const char *author, const char *text,
         const char *ts, const char *msgid, Recorder *rec)
{
  Post *p = g_new0 (Post, 1);
  p->room = g_strdup (room);
  p->author = g_strdup (author);
  p->text = g_strdup (text);
  p->ts = g_strdup (ts);
  p->msgid = g_strdup (msgid);
  g_ptr_array_add (rec->posts, p);
}

static void
on_notice (PerchClient *client, const char *id, gpointer item, Recorder *rec)
{
  g_assert_nonnull (item);
  g_assert_cmpstr (((PerchXccosItem *) item)->id, ==, id);
  g_ptr_array_add (rec->notices, g_strdup (id));
}

static void
on_closed (PerchClient *client, const GError *error, Recorder *rec)
{
  g_assert_false (rec->closed); /* once only */
  rec->closed = TRUE;
  rec->closed_error = error ? g_error_copy (error) : NULL;
}

static Recorder *
recorder_new (PerchClient *client)
{
  Recorder *rec = g_new0 (Recorder, 1);
  rec->posts = g_ptr_array_new_with_free_func ((GDestroyNotify) post_free);
  rec->notices = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "post", G_CALLBACK (on_post), rec);
  g_signal_connect (client, "notice", G_CALLBACK (on_notice), rec);
  g_signal_connect (client, "closed", G_CALLBACK (on_closed), rec);
  return rec;
}

static void
recorder_free (PerchClient *client, Recorder *rec)
{
  if (client != NULL)
    g_signal_handlers_disconnect_by_data (client, rec);
  g_ptr_array_unref (rec->posts);
  g_ptr_array_unref (rec->notices);
  g_clear_error (&rec->closed_error);
  g_free (rec);
}

static gboolean
recorder_closed (gpointer data)
{
  return ((Recorder *) data)->closed;
}

/* ---- sign-in ---- */

static gboolean
time_passed (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* A quiet session is not a dead one: with a 1 s client timeout, a session
 * idle for 2.5 s still works (the timeout bounds transactions, not reads). */
static void
test_idle_session (Fixture *f, gconstpointer data)
{
  g_autoptr(PerchClient) alice = perch_client_new (f->server->host, f->server->sip_port, FALSE,
                                                   "alice@example.test", "alice-demo");
  perch_client_set_timeout (alice, 1000);  /* before connecting: it bounds the connect */
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (alice, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 10000);
  g_autoptr(GError) connect_error = NULL;
  g_assert_true (perch_client_connect_finish (alice, result, &connect_error));
  g_assert_no_error (connect_error);
  gint64 until = g_get_monotonic_time () + 2500 * 1000;
  perch_test_wait (time_passed, &until, 5000);
  g_assert_true (perch_client_is_connected (alice));
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (alice, "cmd:getserverinfo", NULL, &error);
  g_assert_no_error (error);
  perch_client_close (alice);
}

static void
test_sign_in (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_assert_true (perch_client_get_chat_enabled (alice));
  g_assert_cmpstr (perch_client_get_user_uri (alice), ==, "sip:alice@example.test");
  g_assert_cmpstr (perch_client_get_domain (alice), ==, "example.test");
  const char *pool = perch_client_get_pool_uri (alice);
  g_assert_nonnull (pool);
  g_assert_true (g_str_has_prefix (pool, "sip:"));
  const char *xml = perch_client_get_provisioning_xml (alice);
  g_assert_nonnull (xml);
  g_assert_nonnull (strstr (xml, "persistentChatConfiguration"));
  perch_test_disconnect (alice);
}

static void
test_sign_in_tls (Fixture *f, gconstpointer data)
{
  if (f->server->tls_port == 0)
    {
      g_test_skip ("perchd listens without TLS");
      return;
    }
  g_autoptr(GError) error = NULL;
  PerchClient *bob = perch_test_connect_full (f->server, "bob", "bob-demo", TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (perch_client_is_connected (bob));
  g_autofree char *sib = perch_client_build_server_info_data ("example.test");
  g_autoptr(PerchClientReply) reply = perch_test_command (bob, "cmd:getserverinfo", sib, &error);
  g_assert_no_error (error);
  perch_test_disconnect (bob);
}

/* The demo certificate is self-signed: without the test-only flag a client
 * must refuse it. */
static void
test_tls_refuses_invalid_certificate (Fixture *f, gconstpointer data)
{
  if (f->server->tls_port == 0)
    {
      g_test_skip ("perchd listens without TLS");
      return;
    }
  g_autoptr(PerchClient) client = perch_client_new (f->server->host, f->server->tls_port, TRUE,
                                                    "bob@example.test", "bob-demo");
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (client, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_autoptr(GError) error = NULL;
  g_assert_false (perch_client_connect_finish (client, result, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_false (perch_client_is_connected (client));
}

/* Connects USER over TLS with FINGERPRINT pinned (and ACCEPT_INVALID);
 * returns the finished connect's error, NULL when it worked. */
static GError *
connect_pinned (Fixture *f, const char *fingerprint, gboolean accept_invalid, PerchClient **client_out)
{
  PerchClient *client = perch_client_new (f->server->host, f->server->tls_port, TRUE,
                                          "bob@example.test", "bob-demo");
  perch_client_set_accept_invalid_certificates (client, accept_invalid);
  g_assert_true (perch_client_set_pinned_certificate (client, fingerprint));
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (client, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  GError *error = NULL;
  perch_client_connect_finish (client, result, &error);
  *client_out = client;
  return error;
}

/* Pinning the certificate: perchd's self-signed demo certificate is
 * accepted on its SHA-256 fingerprint alone, with colons or without, in
 * any case; a wrong fingerprint fails the connection with a clear error
 * naming both, even when the client would accept any certificate; and the
 * fingerprint the server presented can be read after a refusal. */
static void
test_tls_pinned_certificate (Fixture *f, gconstpointer data)
{
  if (f->server->tls_port == 0)
    {
      g_test_skip ("perchd listens without TLS");
      return;
    }
  g_autofree char *path = g_build_filename (f->server->data_dir, "tls.crt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (path, &error);
  g_assert_no_error (error);
  g_autofree char *fingerprint = perch_tls_fingerprint (cert);
  g_assert_cmpuint (strlen (fingerprint), ==, 32 * 3 - 1);

  /* Malformed fingerprints are refused, and pin nothing. */
  g_autoptr(PerchClient) idle = perch_client_new (f->server->host, f->server->tls_port, TRUE,
                                                  "bob@example.test", "bob-demo");
  g_assert_false (perch_client_set_pinned_certificate (idle, "AB:CD"));
  g_assert_false (perch_client_set_pinned_certificate (idle, "not a fingerprint at all"));
  g_assert_null (perch_client_get_pinned_certificate (idle));

  /* The right one, written as bare lower-case hex. */
  g_auto(GStrv) bytes = g_strsplit (fingerprint, ":", -1);
  g_autofree char *joined = g_strjoinv ("", bytes);
  g_autofree char *bare = g_ascii_strdown (joined, -1);
  PerchClient *client = NULL;
  error = connect_pinned (f, bare, FALSE, &client);
  g_assert_no_error (error);
  g_assert_true (perch_client_is_connected (client));
  g_assert_cmpstr (perch_client_get_pinned_certificate (client), ==, fingerprint);
  g_assert_cmpstr (perch_client_get_peer_certificate_fingerprint (client), ==, fingerprint);
  g_assert_true (perch_client_get_peer_certificate_errors (client) & G_TLS_CERTIFICATE_UNKNOWN_CA);
  perch_test_disconnect (client);

  /* A wrong one: refused, although the certificate is the server's own and
   * the client was told to accept anything. */
  const char *wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  for (guint accept_invalid = 0; accept_invalid <= 1; accept_invalid++)
    {
      error = connect_pinned (f, wrong, accept_invalid, &client);
      g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
      g_test_message ("pinned elsewhere: %s", error->message);
      g_assert_nonnull (strstr (error->message, "not the one pinned"));
      g_assert_nonnull (strstr (error->message, fingerprint));
      g_assert_nonnull (strstr (error->message, wrong));
      g_assert_false (perch_client_is_connected (client));
      g_assert_cmpstr (perch_client_get_peer_certificate_fingerprint (client), ==, fingerprint);
      g_clear_error (&error);
      g_object_unref (client);
    }

  /* Nothing pinned and nothing accepted: refused, and what was refused
   * can be shown. */
  g_autoptr(PerchClient) plain = perch_client_new (f->server->host, f->server->tls_port, TRUE,
                                                   "bob@example.test", "bob-demo");
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (plain, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_assert_false (perch_client_connect_finish (plain, result, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpstr (perch_client_get_peer_certificate_fingerprint (plain), ==, fingerprint);
  g_assert_true (perch_client_get_peer_certificate_errors (plain) & G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_wrong_password (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  PerchClient *client = perch_test_connect_full (f->server, "alice", "not-alice", FALSE, NULL, &error);
  g_assert_null (client);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_test_message ("wrong password: %s", error->message);

  /* The refusal ended that client only: the right password still works. */
  client = perch_test_connect (f->server, "alice");
  perch_test_disconnect (client);
}

/* An unknown user must be refused exactly as a wrong password is, so that
 * sign-in says nothing about which addresses exist. */
static void
test_unknown_user (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) wrong = NULL;
  g_autoptr(GError) unknown = NULL;
  g_assert_null (perch_test_connect_full (f->server, "alice", "not-alice", FALSE, NULL, &wrong));
  g_assert_null (perch_test_connect_full (f->server, "nobody", "nobody-demo", FALSE, NULL, &unknown));
  g_assert_error (wrong, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_error (unknown, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_cmpstr (unknown->message, ==, wrong->message);
}

/* dave exists but policy does not enable persistent chat for him:
 * provisioning says so, and the server refuses the session anyway. */
static void
test_not_enabled (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClient) dave = NULL;
  PerchClient *connected = perch_test_connect_full (f->server, "dave", "dave-demo", FALSE, &dave, &error);
  g_assert_null (connected);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_nonnull (perch_client_get_provisioning_xml (dave));
  g_assert_false (perch_client_get_chat_enabled (dave));
  g_assert_false (perch_client_is_connected (dave));
  g_test_message ("dave: %s", error->message);
}

/* ---- commands ---- */

static void
test_command (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_get_server_info_async (alice, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (alice, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->code, ==, 200);
  g_assert_true (reply->item->kind == PERCH_XCCOS_RPL);
  g_assert_true (g_str_has_prefix (reply->item->id, "rpl:getserv"));
  xmlNode *sib = perch_xml_child (reply->data, "sib");
  g_assert_nonnull (sib);
  g_autofree char *root = perch_xml_get (sib, "rootUri");
  g_assert_nonnull (root);
  g_assert_true (g_str_has_prefix (root, "ma-cat://example.test/"));

  /* Two at once: each reply finds its own command. */
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  perch_client_get_server_info_async (alice, NULL, perch_test_async_ready, &r1);
  perch_client_search_rooms_async (alice, "", NULL, perch_test_async_ready, &r2);
  perch_test_wait_result (&r1, 30000);
  perch_test_wait_result (&r2, 30000);
  g_autoptr(PerchClientReply) reply1 = perch_client_command_finish (alice, r1, &error);
  g_assert_no_error (error);
  g_autoptr(PerchClientReply) reply2 = perch_client_command_finish (alice, r2, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply1->item->id, "rpl:getserv"));
  g_assert_cmpstr (reply2->item->id, ==, "rpl:chansrch");

  perch_test_disconnect (alice);
}

/* A reply code other than 200 is a GError carrying that code. */
static void
test_command_error (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_join_async (alice, "ma-chan://example.test/no-such-room", NULL,
                           perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (alice, result, &error);
  g_assert_null (reply);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_test_message ("join of a missing room: %s", error->message);

  /* Not a room URI at all: refused before anything is sent. */
  g_clear_error (&error);
  g_clear_object (&result);
  perch_client_join_async (alice, "http://example.test/", NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_assert_null (perch_client_command_finish (alice, result, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);

  perch_test_disconnect (alice);
}

/* A server that says nothing: the command fails with a clear timeout. */
static void
test_command_timeout (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  perch_client_set_timeout (alice, 300);
  perch_test_server_signal (f->server, SIGSTOP);
  g_autoptr(GError) error = NULL;
  g_autofree char *sib = perch_client_build_server_info_data ("example.test");
  g_autoptr(PerchClientReply) reply = perch_test_command (alice, "cmd:getserverinfo", sib, &error);
  perch_test_server_signal (f->server, SIGCONT);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, "cmd:getserverinfo"));

  /* The late reply is dropped and the session carries on. */
  perch_client_set_timeout (alice, 0);
  g_clear_pointer (&reply, perch_client_reply_unref);
  g_clear_error (&error);
  reply = perch_test_command (alice, "cmd:getserverinfo", sib, &error);
  g_assert_no_error (error);
  perch_test_disconnect (alice);
}

/* Over its rate limit the server answers the INFO itself with 503 and
 * Retry-After: that is PERCH_ERROR_BUSY, and the delay is readable. */
static void
test_busy (void)
{
  const char *const args[] = { "--config", "commands_per_second=1", NULL };
  PerchTestServer *server = perch_test_server_start (args);
  PerchClient *alice = perch_test_connect (server, "alice");
  g_autofree char *sib = perch_client_build_server_info_data ("example.test");
  GAsyncResult *results[6] = { NULL };
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    perch_client_command_async (alice, "cmd:getserverinfo", sib, NULL, perch_test_async_ready, &results[i]);
  guint ok = 0, busy = 0;
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(GError) error = NULL;
      perch_test_wait_result (&results[i], 30000);
      g_autoptr(PerchClientReply) reply = perch_client_command_finish (alice, results[i], &error);
      g_clear_object (&results[i]);
      if (reply != NULL)
        ok++;
      else
        {
          g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BUSY);
          g_assert_nonnull (strstr (error->message, "retry after"));
          busy++;
        }
    }
  g_assert_cmpuint (ok, >=, 1);
  g_assert_cmpuint (busy, >=, 1);
  g_assert_cmpuint (perch_client_get_retry_after (alice), >=, 1);
  perch_test_disconnect (alice);
  perch_test_server_stop (server);
}

/* ---- posts ---- */

static gboolean
has_post (gpointer data)
{
  return ((Recorder *) data)->posts->len > 0;
}

static void
test_post (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  Recorder *bob_rec = recorder_new (bob);

  g_autofree char *general = perch_test_find_room (alice, "General");
  g_assert_nonnull (general);
  g_assert_true (g_str_has_prefix (general, "ma-chan://example.test/"));
  perch_test_join (alice, general);
  perch_test_join (bob, general);

  /* Markup, quotes, non-ASCII and CRLF must all come through unchanged. */
  const char *text = "hello <bob> & \"all\" — 안녕\r\nsecond line";
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (alice, general, text, &error));
  g_assert_no_error (error);

  g_assert_true (perch_test_wait (has_post, bob_rec, 10000));
  Post *p = g_ptr_array_index (bob_rec->posts, 0);
  g_assert_cmpstr (p->room, ==, general);
  g_assert_cmpstr (p->author, ==, "sip:alice@example.test");
  g_assert_cmpstr (p->text, ==, text);
  g_assert_nonnull (p->msgid);
  g_assert_cmpstr (p->msgid, !=, "");
  gint64 ts = 0;
  g_assert_true (perch_parse_ts (p->ts, &ts));

  /* And it is in the room's history, newest last. */
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_history_async (bob, general, 5, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_autoptr(PerchClientReply) history = perch_client_command_finish (bob, result, &error);
  g_assert_no_error (error);
  xmlNode *chan = perch_xml_child (history->data, "chanib");
  g_assert_nonnull (chan);
  xmlNode *last = NULL;
  for (xmlNode *m = perch_xml_child (chan, "msg"); m != NULL; m = perch_xml_next (m, "msg"))
    last = m;
  g_assert_nonnull (last);
  g_autofree char *last_text = perch_xml_text (perch_xml_child (last, "chat"));
  g_autofree char *last_id = perch_xml_get (last, "msgid");
  g_assert_cmpstr (last_text, ==, text);
  g_assert_cmpstr (last_id, ==, p->msgid);

  /* After part, bob hears no more from the room. */
  g_clear_object (&result);
  perch_client_part_async (bob, general, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_autoptr(PerchClientReply) parted = perch_client_command_finish (bob, result, &error);
  g_assert_no_error (error);

  recorder_free (bob, bob_rec);
  perch_test_disconnect (bob);
  perch_test_disconnect (alice);
}

/* A post to a room the poster has not joined is refused with an error, not
 * dropped silently. */
static void
test_post_refused (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autoptr(GError) error = NULL;
  g_assert_false (perch_test_post (alice, "ma-chan://example.test/no-such-room", "hi", &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == PERCH_ERROR);
  g_test_message ("post to a missing room: %s", error->message);
  perch_test_disconnect (alice);
}

/* ---- ending ---- */

static void
test_close (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  Recorder *rec = recorder_new (alice);
  g_autofree char *general = perch_test_find_room (alice, "General");
  perch_test_join (alice, general);
  perch_test_join (bob, general);

  g_autoptr(GAsyncResult) result = NULL;
  perch_client_close_async (alice, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, 30000);
  g_assert_true (perch_client_close_finish (alice, result, NULL));
  g_assert_true (rec->closed);
  g_assert_null (rec->closed_error);
  g_assert_false (perch_client_is_connected (alice));

  /* Nothing more goes out on a closed client. */
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) none = perch_test_command (alice, "cmd:getserverinfo", NULL, &error);
  g_assert_null (none);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  perch_client_close (alice); /* idempotent */

  /* The server carries on for the others. */
  g_clear_error (&error);
  g_assert_true (perch_test_post (bob, general, "still here", &error));
  g_assert_no_error (error);

  recorder_free (alice, rec);
  g_object_unref (alice);
  perch_test_disconnect (bob);
}

/* Dropping the last reference to a connected client ends its session too
 * (the BYE drains on its own); nothing leaks. */
static void
test_unref_connected (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_object_unref (alice);
  PerchClient *again = perch_test_connect (f->server, "alice");
  perch_test_disconnect (again);
}

/* The server going away is reported through "closed" with an error, and
 * pending work fails instead of hanging. */
static void
test_server_gone (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  Recorder *rec = recorder_new (alice);
  perch_test_server_kill (f->server);
  g_assert_true (perch_test_wait (recorder_closed, rec, 10000));
  g_assert_nonnull (rec->closed_error);
  g_test_message ("closed: %s", rec->closed_error->message);
  g_assert_false (perch_client_is_connected (alice));
  recorder_free (alice, rec);
  perch_test_disconnect (alice);

  /* The data survives a kill: a restarted server signs alice in again. */
  perch_test_server_restart (f->server);
  alice = perch_test_connect (f->server, "alice");
  perch_test_disconnect (alice);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/perch/client/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("sign-in", test_sign_in);
  ADD ("sign-in-tls", test_sign_in_tls);
  ADD ("tls-refuses-invalid-certificate", test_tls_refuses_invalid_certificate);
  ADD ("tls-pinned-certificate", test_tls_pinned_certificate);
  ADD ("wrong-password", test_wrong_password);
  ADD ("unknown-user", test_unknown_user);
  ADD ("not-enabled", test_not_enabled);
  ADD ("command", test_command);
  ADD ("command-error", test_command_error);
  ADD ("command-timeout", test_command_timeout);
  g_test_add_func ("/perch/client/busy", test_busy);
  ADD ("idle-session", test_idle_session);
  ADD ("post", test_post);
  ADD ("post-refused", test_post_refused);
  ADD ("close", test_close);
  ADD ("unref-connected", test_unref_connected);
  ADD ("server-gone", test_server_gone);
#undef ADD
  return g_test_run ();
}
