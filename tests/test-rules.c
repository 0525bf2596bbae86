/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-rules.c: the admin-model rules for chatting, against the real perchd
 * on loopback with its demo pool (admin-model.md, "Who may do what").
 *
 * For every demo user and room: whether chansrch lists the room, and the
 * result of join, bccontext and a post, table-driven. Then the rules one at a
 * time: a secret room answers exactly as a missing one (compared byte for
 * byte on a hand-driven SIP connection), auditoriums, a user not enabled for
 * persistent chat, posting without joining, posting as someone else, and
 * bjoin with allowed and forbidden rooms mixed. The rules the demo pool
 * cannot show (group principals, empty member lists inheriting the category,
 * disabled rooms, denied-over-allowed in general) are unit-tested in
 * test-policy.c. */
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

/* ---- the demo pool --------------------------------------------------------- */

typedef enum { GENERAL, ANNOUNCEMENTS, DESIGN, MERGERS, N_ROOMS } RoomIndex;

static const char *const room_names[N_ROOMS] = { "General", "Announcements", "Design", "Mergers" };

typedef struct {
  PerchTestServer *server;
  char            *uri[N_ROOMS];   /* as admin's chansrch spells them */
  char            *id[N_ROOMS];
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = perch_test_server_start (NULL);
  PerchClient *admin = perch_test_connect (f->server, "admin");
  for (guint i = 0; i < N_ROOMS; i++)
    {
      f->uri[i] = perch_test_find_room (admin, room_names[i]);
      g_assert_nonnull (f->uri[i]);
      g_autofree char *domain = NULL;
      g_assert_true (perch_parse_room_uri (f->uri[i], &domain, &f->id[i]));
      g_assert_cmpstr (domain, ==, DOMAIN);
    }
  perch_test_disconnect (admin);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  perch_test_server_stop (f->server);
  for (guint i = 0; i < N_ROOMS; i++)
    {
      g_free (f->uri[i]);
      g_free (f->id[i]);
    }
}

/* A made-up room URI in the pool's domain, spelled like a real one. */
static char *
made_up_room_uri (char **id_out)
{
  char *id = g_uuid_string_random ();
  char *uri = perch_room_uri (DOMAIN, id);
  *id_out = id;
  return uri;
}

/* ---- the client's view --------------------------------------------------- */

/* The XCCOS result code of a command: 200, or the code of the error reply. */
static int
command_code (PerchClient *client, const char *cmd, const char *data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, cmd, data, &error);
  if (reply != NULL)
    return reply->code;
  g_assert_true (error->domain == PERCH_ERROR);
  /* An XCCOS error reply ("cmd:x failed: 404 NOT_FOUND"), not a SIP
   * refusal of the INFO that carried it ("cmd:x: 400 Bad Request"). */
  if (strstr (error->message, " failed: ") == NULL)
    g_error ("%s was refused at the SIP layer: %s", cmd, error->message);
  return error->code;
}

/* The SIP status a post got: 200, or the status in the client's error. */
static int
post_code (PerchClient *client, const char *uri, const char *text)
{
  g_autoptr(GError) error = NULL;
  if (perch_test_post (client, uri, text, &error))
    return 200;
  g_assert_true (error->domain == PERCH_ERROR);
  return error->code;
}

static int
join_code (PerchClient *client, const char *uri)
{
  g_autofree char *data = perch_client_build_join_data (uri);
  return command_code (client, "cmd:join", data);
}

static int
history_code (PerchClient *client, const char *uri)
{
  g_autofree char *data = perch_client_build_history_data (uri, 25);
  return command_code (client, "cmd:bccontext", data);
}

static void
check_code (const char *user, const char *what, const char *room, int got, int want)
{
  if (got != want)
    {
      /* every mismatch in the log; the test's own message keeps the last */
      g_test_message ("MISMATCH %s: %s %s answered %d; admin-model.md says %d", user, what, room, got, want);
      g_test_fail_printf ("%s: %s %s answered %d; admin-model.md says %d", user, what, room, got, want);
    }
}

/* ---- every user x every room ------------------------------------------------ */

typedef struct {
  const char *user;
  RoomIndex   room;
  gboolean    listed;       /* chansrch shows it */
  int         join, history, post;
} Rule;

/* admin-model.md applied to the demo pool. Engineering allows the whole
 * domain; Board allows admin and carol and denies bob. An open room: every
 * allowed user finds, joins, reads; closed: every allowed user finds it,
 * members join and read; secret: non-members get what a missing room gets
 * (404). Auditorium: presenters and managers post, members read. The
 * administrator is bound by no list. A post is tried after the join, so a
 * refusal is about the room, not about not having joined. */
static const Rule rules[] = {
  { "alice", GENERAL,       TRUE,  200, 200, 200 },
  { "alice", ANNOUNCEMENTS, TRUE,  200, 200, 200 },   /* presenter */
  { "alice", DESIGN,        TRUE,  200, 200, 200 },   /* member, manager */
  { "alice", MERGERS,       FALSE, 404, 404, 404 },   /* not allowed by Board */
  { "bob",   GENERAL,       TRUE,  200, 200, 200 },
  { "bob",   ANNOUNCEMENTS, TRUE,  200, 200, 403 },   /* reads, may not present */
  { "bob",   DESIGN,        TRUE,  200, 200, 200 },   /* member */
  { "bob",   MERGERS,       FALSE, 404, 404, 404 },   /* denied by Board */
  { "carol", GENERAL,       TRUE,  200, 200, 200 },
  { "carol", ANNOUNCEMENTS, TRUE,  200, 200, 403 },
  { "carol", DESIGN,        TRUE,  403, 403, 403 },   /* closed, finds it, not a member */
  { "carol", MERGERS,       TRUE,  200, 200, 200 },   /* member of the secret room */
  { "admin", GENERAL,       TRUE,  200, 200, 200 },
  { "admin", ANNOUNCEMENTS, TRUE,  200, 200, 200 },
  { "admin", DESIGN,        TRUE,  200, 200, 200 },
  { "admin", MERGERS,       TRUE,  200, 200, 200 },
};

static const char *const chat_users[] = { "alice", "bob", "carol", "admin" };

static char *
matrix_text (const Rule *r)
{
  return g_strdup_printf ("rules matrix: %s posts in %s", r->user, room_names[r->room]);
}

static void
test_matrix (Fixture *f, gconstpointer data)
{
  for (guint u = 0; u < G_N_ELEMENTS (chat_users); u++)
    {
      const char *user = chat_users[u];
      PerchClient *client = perch_test_connect (f->server, user);

      /* Everything the user may find, in one search. */
      g_autofree char *all = perch_client_build_search_data ("");
      g_autoptr(GError) error = NULL;
      g_autoptr(PerchClientReply) found = perch_test_command (client, "cmd:chansrch", all, &error);
      g_assert_no_error (error);

      for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
        {
          const Rule *r = &rules[i];
          if (strcmp (r->user, user) != 0)
            continue;
          const char *uri = f->uri[r->room];
          const char *name = room_names[r->room];

          xmlNode *hit = NULL;
          for (xmlNode *c = perch_xml_child (found->data, "chanib"); c; c = perch_xml_next (c, "chanib"))
            {
              g_autofree char *c_uri = perch_xml_get (c, "uri");
              if (g_strcmp0 (c_uri, uri) == 0)
                hit = c;
            }
          if ((hit != NULL) != r->listed)
            g_test_message ("MISMATCH %s: chansrch %s %s", user, hit ? "lists" : "does not list", name);
          if ((hit != NULL) != r->listed)
            g_test_fail_printf ("%s: chansrch %s %s; admin-model.md says it %s", user,
                                hit ? "lists" : "does not list", name, r->listed ? "must" : "must not");
          if (hit != NULL)
            {
              /* open rooms are public, closed and secret ones private */
              const char *want = r->room == GENERAL || r->room == ANNOUNCEMENTS ? "public" : "private";
              g_autofree char *seen = NULL;
              for (xmlNode *info = perch_xml_child (hit, "info"); info; info = perch_xml_next (info, "info"))
                {
                  g_autofree char *id = perch_xml_get (info, "id");
                  if (g_strcmp0 (id, "urn:parlano:ma:info:visibilty") == 0)
                    seen = perch_xml_text (info);
                }
              g_assert_cmpstr (seen, ==, want);
            }
          /* A search by the exact name agrees. */
          g_autofree char *by_name = perch_test_find_room (client, name);
          g_assert_true ((by_name != NULL) == r->listed);

          check_code (user, "join", name, join_code (client, uri), r->join);
          check_code (user, "bccontext", name, history_code (client, uri), r->history);
          g_autofree char *text = matrix_text (r);
          check_code (user, "post", name, post_code (client, uri, text), r->post);
        }
      perch_test_disconnect (client);
    }

  /* The store holds the posts the rules allowed, once, and nothing else. */
  PerchClient *admin = perch_test_connect (f->server, "admin");
  for (guint room = 0; room < N_ROOMS; room++)
    {
      g_autoptr(GPtrArray) texts = perch_test_history_texts (admin, f->uri[room]);
      for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
        {
          g_autofree char *text = matrix_text (&rules[i]);
          guint want = rules[i].room == room && rules[i].post == 200 ? 1 : 0;
          if (perch_test_count_text (texts, text) != want)
            g_test_message ("MISMATCH history of %s holds \"%s\" %u times", room_names[room], text,
                            perch_test_count_text (texts, text));
          if (perch_test_count_text (texts, text) != want)
            g_test_fail_printf ("history of %s holds \"%s\" %u times, not %u",
                                room_names[room], text, perch_test_count_text (texts, text), want);
        }
    }
  perch_test_disconnect (admin);
}

/* ---- a secret room is indistinguishable from a missing one ------------------ */

/* The reply with what differs by construction made alike: envelope and
 * sequence numbers, and the room id the request named. */
static char *
normalize_reply (const char *reply, const char *room_id)
{
  g_autoptr(GRegex) numbers = g_regex_new ("\\b(envid|seqid)=\"[0-9]+\"", 0, 0, NULL);
  g_autofree char *a = g_regex_replace (numbers, reply, -1, 0, "\\1=\"N\"", 0, NULL);
  g_auto(GStrv) parts = g_strsplit (a, room_id, -1);
  return g_strjoinv ("ROOM-ID", parts);
}

typedef enum { OP_JOIN, OP_BCCONTEXT, OP_BJOIN, OP_PART } SecretOp;

static char *
secret_op_data (Fixture *f, SecretOp op, const char *uri, const char *id)
{
  switch (op)
    {
    case OP_JOIN:
      return perch_client_build_join_data (uri);
    case OP_BCCONTEXT:
      return perch_client_build_history_data (uri, 25);
    case OP_BJOIN:
      {
        const char *ids[] = { f->id[GENERAL], id, NULL };
        return perch_test_bjoin_data (ids);
      }
    case OP_PART:
    default:
      return perch_client_build_part_data (uri);
    }
}

static void
test_secret_like_missing (Fixture *f, gconstpointer data)
{
  static const struct { SecretOp op; const char *cmd; const char *expect; } ops[] = {
    { OP_JOIN,      "cmd:join",      "<resp code=\"404\">NOT_FOUND</resp>" },
    { OP_BCCONTEXT, "cmd:bccontext", "<resp code=\"404\">NOT_FOUND</resp>" },
    { OP_BJOIN,     "cmd:bjoin",     "<fib key=\"OPERATION_FAILED\" value=\"ROOM-ID\" domain=\"" DOMAIN "\"/>" },
    { OP_PART,      "cmd:part",      "<resp code=\"404\">NOT_FOUND</resp>" },
  };
  const char *const outsiders[] = { "bob", "alice" };  /* denied by Board; not allowed by it */
  const char *real_uri = f->uri[MERGERS], *real_id = f->id[MERGERS];

  for (guint u = 0; u < G_N_ELEMENTS (outsiders); u++)
    {
      g_autoptr(Raw) raw = raw_session (f->server, outsiders[u]);
      g_autofree char *fake_id = NULL;
      g_autofree char *fake_uri = made_up_room_uri (&fake_id);

      for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
        {
          g_autofree char *real_data = secret_op_data (f, ops[i].op, real_uri, real_id);
          g_autofree char *fake_data = secret_op_data (f, ops[i].op, fake_uri, fake_id);
          g_autofree char *real_reply = NULL, *fake_reply = NULL;
          g_assert_cmpint (raw_command (raw, ops[i].cmd, real_data, &real_reply), ==, 200);
          g_assert_cmpint (raw_command (raw, ops[i].cmd, fake_data, &fake_reply), ==, 200);
          g_autofree char *real_norm = normalize_reply (real_reply, real_id);
          g_autofree char *fake_norm = normalize_reply (fake_reply, fake_id);
          g_test_message ("%s %s on Mergers: %s", outsiders[u], ops[i].cmd, real_norm);
          g_assert_cmpstr (real_norm, ==, fake_norm);
          g_assert_nonnull (strstr (real_norm, ops[i].expect));
        }

      /* chansrch: searching for it finds what searching for nothing finds. */
      g_autofree char *by_name = perch_client_build_search_data ("Mergers");
      g_autofree char *by_text = perch_client_build_search_data ("Not to be discussed");
      g_autofree char *by_none = perch_client_build_search_data ("Acquisitions-0f9c");
      g_autofree char *r1 = NULL, *r2 = NULL, *r3 = NULL;
      g_assert_cmpint (raw_command (raw, "cmd:chansrch", by_name, &r1), ==, 200);
      g_assert_cmpint (raw_command (raw, "cmd:chansrch", by_text, &r2), ==, 200);
      g_assert_cmpint (raw_command (raw, "cmd:chansrch", by_none, &r3), ==, 200);
      g_autofree char *n1 = normalize_reply (r1, real_id);
      g_autofree char *n2 = normalize_reply (r2, real_id);
      g_autofree char *n3 = normalize_reply (r3, real_id);
      g_assert_cmpstr (n1, ==, n3);
      g_assert_cmpstr (n2, ==, n3);

      /* A post: the same SIP status and the same reason phrase. */
      osip_message_t *real_post = raw_post (raw, real_uri, raw->from_uri, "HIDDEN probe of a secret room");
      int real_status = raw_status (real_post);
      g_autofree char *real_reason = g_strdup (raw_reason (real_post));
      osip_message_t *fake_post = raw_post (raw, fake_uri, raw->from_uri, "HIDDEN probe of a missing room");
      int fake_status = raw_status (fake_post);
      g_autofree char *fake_reason = g_strdup (raw_reason (fake_post));
      g_test_message ("%s posts to Mergers: %d %s; to a missing room: %d %s", outsiders[u],
                      real_status, real_reason, fake_status, fake_reason);
      g_assert_cmpint (real_status, ==, 404);
      g_assert_cmpint (fake_status, ==, 404);
      /* The reason phrase too: once it differed ("no such room" for the
       * secret room, "Not Found" for a missing one). */
      g_assert_cmpstr (real_reason, ==, fake_reason);

      /* And through the real client, which shows the reason phrase too. */
      PerchClient *client = perch_test_connect (f->server, outsiders[u]);
      g_autoptr(GError) e1 = NULL, e2 = NULL;
      g_assert_false (perch_test_post (client, real_uri, "HIDDEN probe", &e1));
      g_assert_false (perch_test_post (client, fake_uri, "HIDDEN probe", &e2));
      g_assert_error (e1, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
      g_assert_error (e2, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
      g_assert_cmpstr (e1->message, ==, e2->message);
      perch_test_disconnect (client);
    }

  /* Nothing the probes sent was stored. */
  PerchClient *admin = perch_test_connect (f->server, "admin");
  g_autoptr(GPtrArray) texts = perch_test_history_texts (admin, real_uri);
  for (guint i = 0; i < texts->len; i++)
    g_assert_null (strstr (g_ptr_array_index (texts, i), "HIDDEN"));
  perch_test_disconnect (admin);
}

/* ---- auditorium ---------------------------------------------------------- */

static void
test_auditorium (Fixture *f, gconstpointer data)
{
  const char *room = f->uri[ANNOUNCEMENTS];
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  PerchClient *carol = perch_test_connect (f->server, "carol");
  PerchClient *admin = perch_test_connect (f->server, "admin");
  g_autoptr(GPtrArray) bob_heard = perch_test_listen_posts (bob);
  perch_test_join (alice, room);
  perch_test_join (bob, room);
  perch_test_join (carol, room);
  perch_test_join (admin, room);

  /* The presenter posts; members read, live and from history. */
  g_assert_cmpint (post_code (alice, room, "auditorium: the presenter speaks"), ==, 200);
  perch_test_assert_hears (bob_heard, "auditorium: the presenter speaks");
  {
    g_autoptr(GPtrArray) texts = perch_test_history_texts (bob, room);
    g_assert_cmpuint (perch_test_count_text (texts, "auditorium: the presenter speaks"), ==, 1);
  }

  /* Members who are not presenters may not post. */
  g_assert_cmpint (post_code (bob, room, "auditorium: bob heckles"), ==, 403);
  g_assert_cmpint (post_code (carol, room, "auditorium: carol heckles"), ==, 403);

  /* The administrator (also the room's manager) may. */
  g_assert_cmpint (post_code (admin, room, "auditorium: the administrator speaks"), ==, 200);
  perch_test_assert_hears (bob_heard, "auditorium: the administrator speaks");

  g_autoptr(GPtrArray) texts = perch_test_history_texts (carol, room);
  g_assert_cmpuint (perch_test_count_text (texts, "auditorium: the presenter speaks"), ==, 1);
  g_assert_cmpuint (perch_test_count_text (texts, "auditorium: the administrator speaks"), ==, 1);
  g_assert_cmpuint (perch_test_count_text (texts, "auditorium: bob heckles"), ==, 0);
  g_assert_cmpuint (perch_test_count_text (texts, "auditorium: carol heckles"), ==, 0);
  g_assert_cmpuint (perch_test_count_text (bob_heard, "auditorium: bob heckles"), ==, 0);
  g_assert_cmpuint (perch_test_count_text (bob_heard, "auditorium: carol heckles"), ==, 0);

  perch_test_disconnect (alice);
  perch_test_disconnect (bob);
  perch_test_disconnect (carol);
  perch_test_disconnect (admin);
}

/* ---- a user not enabled for persistent chat ----------------------------------- */

static gboolean
provisioning_says (const char *xml, const char *value)
{
  g_autofree char *want = g_strdup_printf ("<property name=\"EnablePersistentChat\">%s</property>", value);
  return xml != NULL && strstr (xml, want) != NULL;
}

static void
test_not_enabled (Fixture *f, gconstpointer data)
{
  /* dave signs in, is told EnablePersistentChat=false, and his INVITE is refused. */
  PerchClient *dave = NULL;
  g_autoptr(GError) error = NULL;
  PerchClient *ok = perch_test_connect_full (f->server, "dave", "dave-demo", FALSE, &dave, &error);
  g_assert_null (ok);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_nonnull (strstr (error->message, "403"));
  g_assert_nonnull (dave);
  g_assert_false (perch_client_get_chat_enabled (dave));
  g_assert_true (provisioning_says (perch_client_get_provisioning_xml (dave), "false"));
  g_assert_false (perch_client_is_connected (dave));
  perch_test_disconnect (dave);

  /* The same on the wire: REGISTER works, the INVITE gets 403. */
  g_autoptr(Raw) raw = raw_connect (f->server);
  g_assert_cmpint (raw_status (raw_register (raw, "dave@" DOMAIN, "dave-demo")), ==, 200);
  g_autofree char *call_id = perch_random_hex (8);
  osip_message_t *refused = raw_simple (raw, "INVITE", "sip:ocschat@" DOMAIN, raw->from_uri,
                                        "sip:ocschat@" DOMAIN, call_id, NULL, NULL, NULL);
  g_assert_cmpint (raw_status (refused), ==, 403);

  /* An enabled user is told true. */
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_assert_true (perch_client_get_chat_enabled (alice));
  g_assert_true (provisioning_says (perch_client_get_provisioning_xml (alice), "true"));
  perch_test_disconnect (alice);
}

/* ---- posting needs a join ----------------------------------------------------- */

static void
test_post_requires_join (Fixture *f, gconstpointer data)
{
  const char *general = f->uri[GENERAL], *design = f->uri[DESIGN];
  PerchClient *bob = perch_test_connect (f->server, "bob");
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *admin = perch_test_connect (f->server, "admin");

  g_assert_cmpint (post_code (bob, general, "unjoined: bob before joining"), ==, 403);
  g_assert_cmpint (post_code (alice, design, "unjoined: alice before joining Design"), ==, 403);
  g_assert_cmpint (post_code (admin, general, "unjoined: admin before joining"), ==, 403);

  perch_test_join (bob, general);
  g_assert_cmpint (post_code (bob, general, "unjoined: bob after joining"), ==, 200);

  g_autoptr(GAsyncResult) result = NULL;
  perch_client_part_async (bob, general, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, RAW_TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) parted = perch_client_command_finish (bob, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (post_code (bob, general, "unjoined: bob after parting"), ==, 403);

  g_autoptr(GPtrArray) texts = perch_test_history_texts (admin, general);
  g_assert_cmpuint (perch_test_count_text (texts, "unjoined: bob before joining"), ==, 0);
  g_assert_cmpuint (perch_test_count_text (texts, "unjoined: admin before joining"), ==, 0);
  g_assert_cmpuint (perch_test_count_text (texts, "unjoined: bob after joining"), ==, 1);
  g_assert_cmpuint (perch_test_count_text (texts, "unjoined: bob after parting"), ==, 0);
  g_autoptr(GPtrArray) design_texts = perch_test_history_texts (admin, design);
  g_assert_cmpuint (perch_test_count_text (design_texts, "unjoined: alice before joining Design"), ==, 0);

  perch_test_disconnect (bob);
  perch_test_disconnect (alice);
  perch_test_disconnect (admin);
}

/* ---- a post's author is the signed-in user -------------------------------------- */

static void
test_author_is_self (Fixture *f, gconstpointer data)
{
  const char *general = f->uri[GENERAL];
  PerchClient *bob = perch_test_connect (f->server, "bob");
  g_autoptr(GPtrArray) bob_heard = perch_test_listen_posts (bob);
  perch_test_join (bob, general);

  g_autoptr(Raw) alice = raw_session (f->server, "alice");
  g_autofree char *join = perch_client_build_join_data (general);
  g_autofree char *joined = NULL;
  g_assert_cmpint (raw_command (alice, "cmd:join", join, &joined), ==, 200);
  g_assert_nonnull (strstr (joined, "<resp code=\"200\">"));

  osip_message_t *as_bob = raw_post (alice, general, "sip:bob@" DOMAIN, "author: alice posing as bob");
  g_assert_cmpint (raw_status (as_bob), ==, 403);
  osip_message_t *as_carol = raw_post (alice, general, "carol@" DOMAIN, "author: alice posing as carol");
  g_assert_cmpint (raw_status (as_carol), ==, 403);
  osip_message_t *as_self = raw_post (alice, general, "sip:alice@" DOMAIN, "author: alice as herself");
  g_assert_cmpint (raw_status (as_self), ==, 200);

  /* Fan-out keeps order: once alice's own post is heard, a forged one
   * would have been heard before it. */
  perch_test_assert_hears (bob_heard, "author: alice as herself");
  g_assert_cmpuint (perch_test_count_text (bob_heard, "author: alice posing as bob"), ==, 0);
  g_assert_cmpuint (perch_test_count_text (bob_heard, "author: alice posing as carol"), ==, 0);

  g_autofree char *data_xml = perch_client_build_history_data (general, 500);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) history = perch_test_command (bob, "cmd:bccontext", data_xml, &error);
  g_assert_no_error (error);
  guint own = 0;
  for (xmlNode *m = perch_xml_child (perch_xml_child (history->data, "chanib"), "msg"); m; m = perch_xml_next (m, "msg"))
    {
      g_autofree char *text = perch_xml_text (perch_xml_child (m, "chat"));
      g_autofree char *author = perch_xml_get (m, "author");
      g_assert_false (g_str_has_prefix (text, "author: alice posing"));
      if (g_strcmp0 (text, "author: alice as herself") == 0)
        {
          g_assert_cmpstr (author, ==, "sip:alice@" DOMAIN);
          own++;
        }
    }
  g_assert_cmpuint (own, ==, 1);

  perch_test_disconnect (bob);
}

/* ---- bjoin with allowed and forbidden rooms -------------------------------------- */

typedef struct {
  const char *element;   /* "chanib" or "fib" */
  const char *id;        /* the room id it names */
} Outcome;

static void
assert_bjoin (Fixture *f, PerchClient *client, const char *const *ids, const Outcome *want, guint n)
{
  g_autofree char *data = perch_test_bjoin_data (ids);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bjoin", data, &error);
  g_assert_no_error (error);
  g_assert_cmpint (reply->code, ==, 200);
  guint i = 0;
  for (xmlNode *n_ = reply->data ? reply->data->children : NULL; n_ != NULL; n_ = n_->next)
    {
      if (n_->type != XML_ELEMENT_NODE || strcmp ((const char *) n_->name, "uib") == 0)
        continue;
      g_assert_cmpuint (i, <, n);
      g_assert_cmpstr ((const char *) n_->name, ==, want[i].element);
      if (strcmp (want[i].element, "fib") == 0)
        {
          g_autofree char *key = perch_xml_get (n_, "key");
          g_autofree char *value = perch_xml_get (n_, "value");
          g_autofree char *domain = perch_xml_get (n_, "domain");
          g_assert_cmpstr (key, ==, "OPERATION_FAILED");
          g_assert_cmpstr (value, ==, want[i].id);
          g_assert_cmpstr (domain, ==, DOMAIN);
        }
      else
        {
          g_autofree char *uri = perch_xml_get (n_, "uri");
          g_autofree char *expect = perch_room_uri (DOMAIN, want[i].id);
          g_assert_cmpstr (uri, ==, expect);
        }
      i++;
    }
  g_assert_cmpuint (i, ==, n);
}

static void
test_bjoin_mixed (Fixture *f, gconstpointer data)
{
  g_autofree char *fake_id = NULL;
  g_autofree char *fake_uri = made_up_room_uri (&fake_id);

  PerchClient *bob = perch_test_connect (f->server, "bob");
  const char *bob_ids[] = { f->id[GENERAL], f->id[MERGERS], f->id[DESIGN], fake_id, f->id[ANNOUNCEMENTS], NULL };
  const Outcome bob_want[] = {
    { "chanib", f->id[GENERAL] }, { "fib", f->id[MERGERS] }, { "chanib", f->id[DESIGN] },
    { "fib", fake_id }, { "chanib", f->id[ANNOUNCEMENTS] },
  };
  assert_bjoin (f, bob, bob_ids, bob_want, G_N_ELEMENTS (bob_want));
  /* The rooms it joined are joined: posts need no further join. */
  g_assert_cmpint (post_code (bob, f->uri[GENERAL], "bjoin: bob in General"), ==, 200);
  g_assert_cmpint (post_code (bob, f->uri[DESIGN], "bjoin: bob in Design"), ==, 200);
  g_assert_cmpint (post_code (bob, f->uri[ANNOUNCEMENTS], "bjoin: bob in Announcements"), ==, 403);
  g_assert_cmpint (post_code (bob, f->uri[MERGERS], "bjoin: bob in Mergers"), ==, 404);
  g_assert_cmpint (post_code (bob, fake_uri, "bjoin: bob nowhere"), ==, 404);

  PerchClient *carol = perch_test_connect (f->server, "carol");
  const char *carol_ids[] = { f->id[DESIGN], f->id[MERGERS], f->id[GENERAL], NULL };
  const Outcome carol_want[] = {
    { "fib", f->id[DESIGN] }, { "chanib", f->id[MERGERS] }, { "chanib", f->id[GENERAL] },
  };
  assert_bjoin (f, carol, carol_ids, carol_want, G_N_ELEMENTS (carol_want));
  g_assert_cmpint (post_code (carol, f->uri[MERGERS], "bjoin: carol in Mergers"), ==, 200);
  g_assert_cmpint (post_code (carol, f->uri[DESIGN], "bjoin: carol in Design"), ==, 403);

  perch_test_disconnect (bob);
  perch_test_disconnect (carol);
}

/* ---- creators -------------------------------------------------------------------- */

static void
test_creators (Fixture *f, gconstpointer data)
{
  /* alice is a creator in Engineering, the administrator may create
   * anywhere; bob and carol are creators nowhere. */
  static const struct { const char *user; int code; } who[] = {
    { "alice", 200 }, { "admin", 200 }, { "bob", 403 }, { "carol", 403 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (who); i++)
    {
      PerchClient *client = perch_test_connect (f->server, who[i].user);
      check_code (who[i].user, "nodespermcreatechild", "(any category)",
                  command_code (client, "cmd:nodespermcreatechild", ""), who[i].code);
      perch_test_disconnect (client);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/perch/rules/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("matrix", test_matrix);
  ADD ("secret-like-missing", test_secret_like_missing);
  ADD ("auditorium", test_auditorium);
  ADD ("not-enabled", test_not_enabled);
  ADD ("post-requires-join", test_post_requires_join);
  ADD ("author-is-self", test_author_is_self);
  ADD ("bjoin-mixed", test_bjoin_mixed);
  ADD ("creators", test_creators);
#undef ADD
  return g_test_run ();
}
