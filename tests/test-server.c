/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server.c: the channel service end to end — the real perchd on
 * loopback, the real client library: sign-in and provisioning, room search,
 * join/part with roster notices, history and its paging, fan-out order and
 * completeness, server-kept preferences. */
#include "config.h"

#include <string.h>

#include "perch-common.h"
#include "perch-test-util.h"

typedef struct {
  PerchTestServer *server;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  /* These tests post faster than any person; the rate limit itself is
   * tested in test-hostile. */
  const char *args[] = { "--config", "commands_per_second=100000", NULL };
  f->server = perch_test_server_start (args);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  perch_test_server_stop (f->server);
}

/* ---- helpers ------------------------------------------------------------ */

static GPtrArray *
attrs_of (xmlNode *parent, const char *element, const char *attr)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (xmlNode *n = parent ? perch_xml_child (parent, element) : NULL; n; n = perch_xml_next (n, element))
    g_ptr_array_add (out, perch_xml_get (n, attr));
  return out;
}

static gboolean
contains (GPtrArray *strings, const char *s)
{
  for (guint i = 0; i < strings->len; i++)
    if (g_strcmp0 (g_ptr_array_index (strings, i), s) == 0)
      return TRUE;
  return FALSE;
}

typedef struct {
  PerchClient *client;
  GPtrArray *texts;    /* texts of live posts received */
  GPtrArray *msgids;
  GPtrArray *notices;  /* "ntc:join sip:bob@..." */
} Inbox;

static void
on_post (PerchClient *client, const char *room, const char *author, const char *text,
         const char *ts, const char *msgid, Inbox *inbox)
{
  g_ptr_array_add (inbox->texts, g_strdup (text));
  g_ptr_array_add (inbox->msgids, g_strdup (msgid));
}

static void
on_notice (PerchClient *client, const char *id, gpointer item_ptr, Inbox *inbox)
{
  PerchXccosItem *item = item_ptr;
  xmlNode *data = item->data;
  char *who = NULL;
  if (g_strcmp0 (id, "ntc:join") == 0)
    who = perch_xml_get (perch_xml_child (data, "uib"), "uri");
  else if (g_strcmp0 (id, "ntc:part") == 0)
    who = perch_xml_get (perch_xml_child (perch_xml_child (data, "chanib"), "uib"), "uri");
  g_ptr_array_add (inbox->notices, g_strdup_printf ("%s %s", id, who ? who : "?"));
  g_free (who);
}

static Inbox *
inbox_new (PerchClient *client)
{
  Inbox *inbox = g_new0 (Inbox, 1);
  inbox->client = client;
  inbox->texts = g_ptr_array_new_with_free_func (g_free);
  inbox->msgids = g_ptr_array_new_with_free_func (g_free);
  inbox->notices = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "post", G_CALLBACK (on_post), inbox);
  g_signal_connect (client, "notice", G_CALLBACK (on_notice), inbox);
  return inbox;
}

static void
inbox_free (Inbox *inbox)
{
  g_signal_handlers_disconnect_by_data (inbox->client, inbox);
  g_ptr_array_unref (inbox->texts);
  g_ptr_array_unref (inbox->msgids);
  g_ptr_array_unref (inbox->notices);
  g_free (inbox);
}

typedef struct { GPtrArray *array; guint n; } CountWait;

static gboolean
has_n (gpointer data)
{
  CountWait *w = data;
  return w->array->len >= w->n;
}

static gboolean
wait_for_n (GPtrArray *array, guint n)
{
  CountWait w = { array, n };
  return perch_test_wait (has_n, &w, 20000);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_sign_in (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_assert_true (perch_client_is_connected (alice));
  g_assert_true (perch_client_get_chat_enabled (alice));
  g_assert_cmpstr (perch_client_get_pool_uri (alice), ==, "sip:ocschat@example.test");
  g_assert_cmpstr (perch_client_get_user_uri (alice), ==, "sip:alice@example.test");
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) info = perch_test_command (alice, "cmd:getserverinfo",
                                                         "<sib domain=\"example.test\" infoType=\"123\"/>", &error);
  g_assert_no_error (error);
  xmlNode *sib = perch_xml_child (info->data, "sib");
  g_assert_nonnull (sib);
  g_autofree char *limit = perch_xml_get (sib, "messageSizeLimit");
  g_autofree char *root = perch_xml_get (sib, "rootUri");
  g_assert_cmpstr (limit, ==, "4096");
  g_assert_true (g_str_has_prefix (root, "ma-cat://example.test/"));
  /* SIPE's first command on a session: where the channel server is. */
  g_autoptr(PerchClientReply) uri = perch_test_command (alice, "cmd:requri", NULL, &error);
  g_assert_no_error (error);
  g_autofree char *server = perch_xml_get (perch_xml_child (uri->data, "uib"), "uri");
  g_assert_cmpstr (server, ==, "sip:perchd@example.test");
  perch_test_disconnect (alice);
}

static void
test_provisioning_policy (Fixture *f, gconstpointer data)
{
  /* dave is not enabled: provisioning says so and the INVITE is refused. */
  PerchClient *dave = NULL;
  g_autoptr(GError) error = NULL;
  PerchClient *ok = perch_test_connect_full (f->server, "dave@example.test", "dave-demo", FALSE, &dave, &error);
  g_assert_null (ok);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_assert_nonnull (dave);
  g_assert_false (perch_client_get_chat_enabled (dave));
  g_assert_nonnull (strstr (perch_client_get_provisioning_xml (dave), "<property name=\"EnablePersistentChat\">false</property>"));
  g_object_unref (dave);
}

static GPtrArray *
search_names (PerchClient *client, const char *criteria)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = g_markup_escape_text (criteria, -1);
  g_autofree char *q = g_strdup_printf ("<qib qtype=\"BYNAME\" criteria=\"%s\" extended=\"false\"/>", escaped);
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:chansrch", q, &error);
  g_assert_no_error (error);
  return attrs_of (reply->data, "chanib", "name");
}

static void
test_search_privacy (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *carol = perch_test_connect (f->server, "carol");
  PerchClient *admin = perch_test_connect (f->server, "admin");

  g_autoptr(GPtrArray) a = search_names (alice, "");
  g_assert_cmpuint (a->len, ==, 3);  /* sorted by name */
  g_assert_cmpstr (g_ptr_array_index (a, 0), ==, "Announcements");
  g_assert_cmpstr (g_ptr_array_index (a, 1), ==, "Design");
  g_assert_cmpstr (g_ptr_array_index (a, 2), ==, "General");
  g_autoptr(GPtrArray) c = search_names (carol, "");
  g_assert_true (contains (c, "Mergers"));
  g_autoptr(GPtrArray) adm = search_names (admin, "");
  g_assert_cmpuint (adm->len, ==, 4);
  /* Search matches name and description, case-insensitively. */
  g_autoptr(GPtrArray) gen = search_names (alice, "GENERAL");
  g_assert_cmpuint (gen->len, ==, 1);
  g_autoptr(GPtrArray) desc = search_names (alice, "reviews");
  g_assert_cmpuint (desc->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (desc, 0), ==, "Design");
  g_autoptr(GPtrArray) secret = search_names (alice, "Mergers");
  g_assert_cmpuint (secret->len, ==, 0);
  g_autoptr(GPtrArray) none = search_names (alice, "%_*");
  g_assert_cmpuint (none->len, ==, 0);

  /* The reply carries what SIPE shows: user count and visibility. */
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (alice, "cmd:chansrch",
      "<qib qtype=\"BYNAME\" criteria=\"Design\" extended=\"false\"/>", &error);
  g_assert_no_error (error);
  xmlNode *chanib = perch_xml_child (reply->data, "chanib");
  gboolean saw_private = FALSE;
  for (xmlNode *info = perch_xml_child (chanib, "info"); info; info = perch_xml_next (info, "info"))
    {
      g_autofree char *id = perch_xml_get (info, "id");
      g_autofree char *text = perch_xml_text (info);
      if (g_strcmp0 (id, "urn:parlano:ma:info:visibilty") == 0)
        saw_private = g_strcmp0 (text, "private") == 0;
    }
  g_assert_true (saw_private);

  perch_test_disconnect (alice);
  perch_test_disconnect (carol);
  perch_test_disconnect (admin);
}

static void
test_join_part_rosters (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  Inbox *alice_in = inbox_new (alice);
  g_autofree char *general = perch_test_find_room (alice, "General");
  g_assert_nonnull (general);

  g_autoptr(GError) error = NULL;
  g_autofree char *join = g_strdup_printf ("<chanid key=\"0\" domain=\"example.test\" value=\"%s\"/>",
                                           strrchr (general, '/') + 1);
  g_autoptr(PerchClientReply) a = perch_test_command (alice, "cmd:join", join, &error);
  g_assert_no_error (error);
  g_autofree char *uri = perch_xml_get (perch_xml_child (a->data, "chanib"), "uri");
  g_assert_cmpstr (uri, ==, general);

  /* bob joins: alice hears of it; bob's join reply lists both of them. */
  g_autoptr(PerchClientReply) b = perch_test_command (bob, "cmd:join", join, &error);
  g_assert_no_error (error);
  g_autoptr(GPtrArray) users = attrs_of (b->data, "uib", "uri");
  g_assert_cmpuint (users->len, ==, 2);
  g_assert_true (contains (users, "sip:alice@example.test"));
  g_assert_true (contains (users, "sip:bob@example.test"));
  g_assert_true (wait_for_n (alice_in->notices, 1));
  g_assert_cmpstr (g_ptr_array_index (alice_in->notices, 0), ==, "ntc:join sip:bob@example.test");

  /* The room's user count in search follows. */
  g_autoptr(PerchClientReply) s = perch_test_command (alice, "cmd:chansrch",
      "<qib qtype=\"BYNAME\" criteria=\"General\" extended=\"false\"/>", &error);
  g_assert_no_error (error);
  g_autofree char *ucnt = perch_xml_text (perch_xml_child (perch_xml_child (s->data, "chanib"), "info"));
  g_assert_cmpstr (ucnt, ==, "2");

  /* bob parts: alice hears that too. */
  g_autofree char *part = g_strdup_printf ("<chanib uri=\"%s\"/>", general);
  g_autoptr(PerchClientReply) p = perch_test_command (bob, "cmd:part", part, &error);
  g_assert_no_error (error);
  g_assert_true (wait_for_n (alice_in->notices, 2));
  g_assert_cmpstr (g_ptr_array_index (alice_in->notices, 1), ==, "ntc:part sip:bob@example.test");

  /* Parting a room one is not in is NOT_FOUND. */
  g_autoptr(PerchClientReply) again = perch_test_command (bob, "cmd:part", part, &error);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A session that ends parts its rooms. */
  g_autoptr(PerchClientReply) b2 = perch_test_command (bob, "cmd:join", join, &error);
  g_assert_no_error (error);
  g_assert_true (wait_for_n (alice_in->notices, 3));
  perch_test_disconnect (bob);
  g_assert_true (wait_for_n (alice_in->notices, 4));
  g_assert_cmpstr (g_ptr_array_index (alice_in->notices, 3), ==, "ntc:part sip:bob@example.test");

  inbox_free (alice_in);
  perch_test_disconnect (alice);
}

static GPtrArray *
history (PerchClient *client, const char *room, const char *last_attrs, GPtrArray **msgids)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *q = g_strdup_printf ("<chanib uri=\"%s\"/><bcq><last %s/></bcq>", room, last_attrs);
  g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bccontext", q, &error);
  g_assert_no_error (error);
  xmlNode *chanib = perch_xml_child (reply->data, "chanib");
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  if (msgids)
    *msgids = g_ptr_array_new_with_free_func (g_free);
  for (xmlNode *m = perch_xml_child (chanib, "msg"); m; m = perch_xml_next (m, "msg"))
    {
      g_ptr_array_add (texts, perch_xml_text (perch_xml_child (m, "chat")));
      if (msgids)
        g_ptr_array_add (*msgids, perch_xml_get (m, "msgid"));
    }
  return texts;
}

static void
test_history (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autofree char *general = perch_test_find_room (alice, "General");
  perch_test_join (alice, general);

  /* The demo history: 8 messages, oldest first. */
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) all = history (alice, general, "cnt=\"25\"", &ids);
  g_assert_cmpuint (all->len, ==, 8);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (all, 0), "Good morning!"));
  g_assert_cmpstr (g_ptr_array_index (all, 7), ==, "Count me in.");

  /* 150 more posts: more than the cache holds, so paging reaches the disk. */
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *text = g_strdup_printf ("history %03u", i);
      g_autoptr(GError) error = NULL;
      gboolean ok = perch_test_post (alice, general, text, &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  g_autoptr(GPtrArray) page1_ids = NULL;
  g_autoptr(GPtrArray) page1 = history (alice, general, "cnt=\"30\"", &page1_ids);
  g_assert_cmpuint (page1->len, ==, 30);
  g_assert_cmpstr (g_ptr_array_index (page1, 0), ==, "history 120");
  g_assert_cmpstr (g_ptr_array_index (page1, 29), ==, "history 149");

  /* Walk backwards page by page to the very first message: every message
   * once, in order. */
  GPtrArray *seen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *before = g_strdup (g_ptr_array_index (page1_ids, 0));
  for (guint i = 0; i < page1->len; i++)
    g_ptr_array_add (seen, g_strdup (g_ptr_array_index (page1, i)));
  for (guint round = 0; round < 20; round++)
    {
      g_autofree char *attrs = g_strdup_printf ("cnt=\"40\" before=\"%s\"", before);
      g_autoptr(GPtrArray) pids = NULL;
      g_autoptr(GPtrArray) page = history (alice, general, attrs, &pids);
      if (page->len == 0)
        break;
      for (guint i = page->len; i > 0; i--)
        g_ptr_array_insert (seen, 0, g_strdup (g_ptr_array_index (page, i - 1)));
      g_free (before);
      before = g_strdup (g_ptr_array_index (pids, 0));
    }
  g_assert_cmpuint (seen->len, ==, 158);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (seen, 0), "Good morning!"));
  for (guint i = 0; i < 150; i++)
    {
      g_autofree char *want = g_strdup_printf ("history %03u", i);
      g_assert_cmpstr (g_ptr_array_index (seen, 8 + i), ==, want);
    }
  g_ptr_array_unref (seen);

  /* Out-of-range counts are refused. */
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = g_strdup_printf ("<chanib uri=\"%s\"/><bcq><last cnt=\"0\"/></bcq>", general);
  g_autoptr(PerchClientReply) r = perch_test_command (alice, "cmd:bccontext", bad, &error);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);

  /* History survives a restart, served from the store. */
  perch_test_disconnect (alice);
  perch_test_server_restart (f->server);
  alice = perch_test_connect (f->server, "alice");
  g_autoptr(GPtrArray) after = history (alice, general, "cnt=\"3\"", NULL);
  g_assert_cmpuint (after->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (after, 2), ==, "history 149");
  perch_test_disconnect (alice);
}

typedef struct {
  PerchClient *client;
  const char  *room;
  const char  *prefix;
  guint        next;
  guint        total;
  guint        acked;
  guint        in_flight;
} Poster;

static void post_more (Poster *p);

static void
posted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Poster *p = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = perch_client_post_finish (PERCH_CLIENT (source), result, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  p->acked++;
  p->in_flight--;
  post_more (p);
}

static void
post_more (Poster *p)
{
  /* A few posts in flight at a time, as a busy client would. */
  while (p->in_flight < 4 && p->next < p->total)
    {
      g_autofree char *text = g_strdup_printf ("%s %04u", p->prefix, p->next++);
      p->in_flight++;
      perch_client_post_async (p->client, p->room, text, NULL, posted, p);
    }
}

static gboolean
all_acked (gpointer data)
{
  Poster *posters = data;
  return posters[0].acked == posters[0].total && posters[1].acked == posters[1].total;
}

static void
test_fanout (Fixture *f, gconstpointer data)
{
  const guint per_poster = 200;
  PerchClient *clients[3] = {
    perch_test_connect (f->server, "alice"),
    perch_test_connect (f->server, "bob"),
    perch_test_connect (f->server, "carol"),
  };
  Inbox *inboxes[3];
  g_autofree char *general = perch_test_find_room (clients[0], "General");
  for (guint i = 0; i < 3; i++)
    {
      perch_test_join (clients[i], general);
      inboxes[i] = inbox_new (clients[i]);
    }
  /* alice and bob post at once; everyone, the senders too, must get every
   * post exactly once, each sender's in the order sent, and all in the same
   * global order with increasing msgids. */
  Poster posters[2] = {
    { clients[0], general, "alice", 0, per_poster, 0, 0 },
    { clients[1], general, "bob", 0, per_poster, 0, 0 },
  };
  post_more (&posters[0]);
  post_more (&posters[1]);
  g_assert_true (perch_test_wait (all_acked, posters, 60000));
  for (guint i = 0; i < 3; i++)
    g_assert_true (wait_for_n (inboxes[i]->texts, 2 * per_poster));
  for (guint i = 0; i < 3; i++)
    {
      GPtrArray *texts = inboxes[i]->texts;
      g_assert_cmpuint (texts->len, ==, 2 * per_poster);
      guint next_alice = 0, next_bob = 0;
      gint64 last_id = 0;
      for (guint k = 0; k < texts->len; k++)
        {
          const char *t = g_ptr_array_index (texts, k);
          g_autofree char *want_a = g_strdup_printf ("alice %04u", next_alice);
          g_autofree char *want_b = g_strdup_printf ("bob %04u", next_bob);
          if (g_str_equal (t, want_a))
            next_alice++;
          else if (g_str_equal (t, want_b))
            next_bob++;
          else
            g_error ("client %u got “%s” out of order (expected “%s” or “%s”)", i, t, want_a, want_b);
          gint64 id = g_ascii_strtoll (g_ptr_array_index (inboxes[i]->msgids, k), NULL, 10);
          g_assert_cmpint (id, >, last_id);
          last_id = id;
          /* Same global order for every recipient. */
          g_assert_cmpstr (t, ==, g_ptr_array_index (inboxes[0]->texts, k));
        }
      g_assert_cmpuint (next_alice, ==, per_poster);
      g_assert_cmpuint (next_bob, ==, per_poster);
    }
  for (guint i = 0; i < 3; i++)
    {
      inbox_free (inboxes[i]);
      perch_test_disconnect (clients[i]);
    }
}

static void
test_preferences (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) empty = perch_test_command (alice, "cmd:getpref",
      "<pref label=\"perch.followed\" seqid=\"1\" createdefault=\"true\"/>", &error);
  g_assert_no_error (error);
  g_autofree char *c0 = perch_xml_get (perch_xml_child (empty->data, "pref"), "content");
  g_assert_cmpstr (c0, ==, "");
  g_autoptr(PerchClientReply) set = perch_test_command (alice, "cmd:setpref",
      "<pref label=\"perch.followed\" seqid=\"2\" content=\"R2VuZXJhbA==\"/>", &error);
  g_assert_no_error (error);
  g_autoptr(PerchClientReply) bad = perch_test_command (alice, "cmd:setpref",
      "<pref label=\"perch.followed\" seqid=\"3\" content=\"not base64!\"/>", &error);
  g_assert_null (bad);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
  g_clear_error (&error);
  perch_test_disconnect (alice);

  /* Kept on the server: another session sees it. */
  alice = perch_test_connect (f->server, "alice");
  g_autoptr(PerchClientReply) got = perch_test_command (alice, "cmd:getpref",
      "<pref label=\"perch.followed\" seqid=\"4\"/>", &error);
  g_assert_no_error (error);
  g_autofree char *c1 = perch_xml_get (perch_xml_child (got->data, "pref"), "content");
  g_assert_cmpstr (c1, ==, "R2VuZXJhbA==");
  /* and nobody else's */
  PerchClient *bob = perch_test_connect (f->server, "bob");
  g_autoptr(PerchClientReply) other = perch_test_command (bob, "cmd:getpref",
      "<pref label=\"perch.followed\" seqid=\"1\"/>", &error);
  g_assert_no_error (error);
  g_autofree char *c2 = perch_xml_get (perch_xml_child (other->data, "pref"), "content");
  g_assert_cmpstr (c2, ==, "");
  perch_test_disconnect (bob);
  perch_test_disconnect (alice);
}

static void
test_associations (Fixture *f, gconstpointer data)
{
  PerchClient *alice = perch_test_connect (f->server, "alice");
  PerchClient *bob = perch_test_connect (f->server, "bob");
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) m = perch_test_command (alice, "cmd:getassociations",
      "<uib uri=\"sip:alice@example.test\"/><assoc type=\"manager\"/>", &error);
  g_assert_no_error (error);
  g_autoptr(GPtrArray) managed = attrs_of (m->data, "chanib", "name");
  g_assert_cmpuint (managed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (managed, 0), ==, "Design");
  g_autoptr(PerchClientReply) b = perch_test_command (bob, "cmd:getassociations",
      "<uib uri=\"sip:bob@example.test\"/><assoc type=\"member\"/>", &error);
  g_assert_no_error (error);
  g_autoptr(GPtrArray) member_of = attrs_of (b->data, "chanib", "name");
  g_assert_cmpuint (member_of->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (member_of, 0), ==, "Design");
  /* Only one's own. */
  g_autoptr(PerchClientReply) spy = perch_test_command (bob, "cmd:getassociations",
      "<uib uri=\"sip:carol@example.test\"/><assoc type=\"member\"/>", &error);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  /* Who may create rooms: alice (creator in Engineering), not bob. */
  g_autoptr(PerchClientReply) ca = perch_test_command (alice, "cmd:nodespermcreatechild", NULL, &error);
  g_assert_no_error (error);
  g_autoptr(PerchClientReply) cb = perch_test_command (bob, "cmd:nodespermcreatechild", NULL, &error);
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  /* No invitations in the demo pool yet. */
  g_autoptr(PerchClientReply) inv = perch_test_command (alice, "cmd:getinv",
      "<inv inviteId=\"1\" domain=\"example.test\"/>", &error);
  g_assert_no_error (error);
  g_assert_null (inv->data ? perch_xml_child (inv->data, "chanib") : NULL);
  perch_test_disconnect (bob);
  perch_test_disconnect (alice);
}

/* Roster notices stop above participant_update_limit, and a join reply
 * lists at most that many participants. */
static void
test_roster_limit (void)
{
  const char *args[] = { "--config", "participant_update_limit=2", NULL };
  PerchTestServer *server = perch_test_server_start (args);
  PerchClient *alice = perch_test_connect (server, "alice");
  PerchClient *bob = perch_test_connect (server, "bob");
  PerchClient *carol = perch_test_connect (server, "carol");
  Inbox *alice_in = inbox_new (alice);
  g_autofree char *general = perch_test_find_room (alice, "General");
  perch_test_join (alice, general);
  perch_test_join (bob, general);
  g_assert_true (wait_for_n (alice_in->notices, 1));
  g_autoptr(GError) error = NULL;
  g_autofree char *join = g_strdup_printf ("<chanid key=\"0\" domain=\"example.test\" value=\"%s\"/>",
                                           strrchr (general, '/') + 1);
  g_autoptr(PerchClientReply) c = perch_test_command (carol, "cmd:join", join, &error);
  g_assert_no_error (error);
  g_autoptr(GPtrArray) listed = attrs_of (c->data, "uib", "uri");
  g_assert_cmpuint (listed->len, ==, 2);
  g_assert_true (contains (listed, "sip:carol@example.test"));
  /* A round trip after carol's join: had a notice been sent, it came first. */
  g_autoptr(PerchClientReply) ping = perch_test_command (alice, "cmd:getserverinfo", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (alice_in->notices->len, ==, 1);
  inbox_free (alice_in);
  perch_test_disconnect (carol);
  perch_test_disconnect (bob);
  perch_test_disconnect (alice);
  perch_test_server_stop (server);
}

static gboolean
spin_until (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *) data;
}

/* Sessions live Session-Expires seconds unless refreshed; the client
 * refreshes with UPDATE, so an active session outlives the expiry. */
static void
test_session_refresh (void)
{
  const char *args[] = { "--config", "session_expires=2", NULL };
  PerchTestServer *server = perch_test_server_start (args);
  PerchClient *alice = perch_test_connect (server, "alice");
  gint64 until = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  perch_test_wait (spin_until, &until, 5000);
  g_assert_true (perch_client_is_connected (alice));
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (alice, "cmd:getserverinfo", NULL, &error);
  g_assert_no_error (error);
  perch_test_disconnect (alice);
  perch_test_server_stop (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/perch/server/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("sign-in", test_sign_in);
  ADD ("provisioning-policy", test_provisioning_policy);
  ADD ("search-privacy", test_search_privacy);
  ADD ("join-part-rosters", test_join_part_rosters);
  ADD ("history", test_history);
  ADD ("fanout", test_fanout);
  ADD ("preferences", test_preferences);
  ADD ("associations", test_associations);
  g_test_add_func ("/perch/server/roster-limit", test_roster_limit);
  g_test_add_func ("/perch/server/session-refresh", test_session_refresh);
  return g_test_run ();
}
