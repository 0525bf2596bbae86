/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-durability.c: what an acknowledged post is worth when perchd dies.
 *
 * Two clients (alice and bob) post to General concurrently, several posts in
 * flight each, while perchd is killed with SIGKILL at different points and
 * started again on the same data directory; a last round ends with a clean
 * SIGTERM. Then:
 *  - every post that got its SIP 200 is in General's history exactly once,
 *    read back through cmd:bccontext (paging with before=MSGID);
 *  - no post is there twice, acknowledged or not, and none that perchd
 *    refused is there at all;
 *  - each client's posts are in the order it sent them, rounds in order,
 *    and without holes (a post that survived means the ones sent before it
 *    on the same session did);
 *  - in the sqlite store (opened read-only once perchd has stopped), each
 *    stored post has exactly one CHAT compliance event naming its room,
 *    author, text and message id, and no CHAT event lacks its message: the
 *    post and its event are one transaction. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <gio/gio.h>

#include "perch-common.h"
#include "perch-xccos.h"
#include "perch-test-util.h"

#define DOMAIN       "example.test"
#define N_CLIENTS    2
#define WINDOW       8        /* posts in flight per client */
#define ROUND_MS     60000    /* a round must be over within this */
#define PAGE         100      /* history page size */

static const char *const client_names[N_CLIENTS] = { "alice", "bob" };

typedef enum {
  POST_SENT,      /* no answer yet */
  POST_ACKED,     /* SIP 200: durable, must be there once */
  POST_REFUSED,   /* perchd answered an error status: must not be there */
  POST_LOST,      /* the connection went first: may be there, once */
} PostState;

typedef struct _Poster Poster;

typedef struct {
  char     *text;
  guint     round, client, seq;
  PostState state;
  Poster   *poster;     /* while in flight */
  /* what the history says */
  guint     found;
  gint64    msgid;
  guint     position;
} Post;

typedef struct {
  guint    number;
  gboolean stopped;     /* send no more */
  guint    acked;
  guint    answered;
} Round;

struct _Poster {
  Round       *round;
  guint        client;
  PerchClient *pc;
  guint        next_seq;
  guint        limit;
  guint        in_flight;
};

typedef struct {
  PerchTestServer *server;
  char            *general;
  char            *general_id;
  GPtrArray       *posts;      /* Post*, in the order they were sent */
  GHashTable      *by_text;    /* text -> Post* */
} Durability;

static void
post_free (Post *post)
{
  g_free (post->text);
  g_free (post);
}

static void send_more (Durability *d, Poster *p);

typedef struct {
  Durability *d;
  Post       *post;
} InFlight;

static void
post_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InFlight *f = user_data;
  Durability *d = f->d;
  Post *post = f->post;
  Poster *p = post->poster;
  g_free (f);
  g_autoptr(GError) error = NULL;
  if (perch_client_post_finish (PERCH_CLIENT (source), result, &error))
    {
      post->state = POST_ACKED;
      p->round->acked++;
    }
  else if (error->domain == PERCH_ERROR)
    {
      /* perchd answered: a refusal is final, nothing was stored. */
      post->state = POST_REFUSED;
      g_test_message ("%s refused: %s", post->text, error->message);
    }
  else
    post->state = POST_LOST;
  p->round->answered++;
  post->poster = NULL;
  p->in_flight--;
  send_more (d, p);
}

static void
send_more (Durability *d, Poster *p)
{
  while (!p->round->stopped && p->in_flight < WINDOW && p->next_seq < p->limit)
    {
      Post *post = g_new0 (Post, 1);
      post->round = p->round->number;
      post->client = p->client;
      post->seq = p->next_seq++;
      post->text = g_strdup_printf ("durability r%u %s #%03u", post->round, client_names[p->client], post->seq);
      post->state = POST_SENT;
      post->poster = p;
      g_ptr_array_add (d->posts, post);
      g_hash_table_insert (d->by_text, post->text, post);
      InFlight *f = g_new0 (InFlight, 1);
      f->d = d;
      f->post = post;
      p->in_flight++;
      perch_client_post_async (p->pc, d->general, post->text, NULL, post_done, f);
    }
}

typedef struct {
  Round  *round;
  Poster *posters;
  guint   kill_after;
} RoundWait;

static gboolean
enough_acked (gpointer data)
{
  RoundWait *w = data;
  return w->round->acked >= w->kill_after;
}

static gboolean
all_answered (gpointer data)
{
  RoundWait *w = data;
  for (guint c = 0; c < N_CLIENTS; c++)
    if (w->posters[c].in_flight > 0 ||
        (!w->round->stopped && w->posters[c].next_seq < w->posters[c].limit))
      return FALSE;
  return TRUE;
}

/* One round: both clients sign in, join General and post up to PER_CLIENT
 * posts each, WINDOW at a time. With KILL_AFTER > 0, perchd gets SIGKILL
 * as soon as that many posts of this round are acknowledged, posts still
 * in flight; otherwise every post must be answered. */
static void
run_round (Durability *d, guint number, guint per_client, guint kill_after)
{
  Round round = { .number = number };
  Poster posters[N_CLIENTS] = { 0 };
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      posters[c].round = &round;
      posters[c].client = c;
      posters[c].limit = per_client;
      posters[c].pc = perch_test_connect (d->server, client_names[c]);
      perch_test_join (posters[c].pc, d->general);
    }
  for (guint c = 0; c < N_CLIENTS; c++)
    send_more (d, &posters[c]);

  RoundWait w = { &round, posters, kill_after };
  if (kill_after > 0)
    {
      if (!perch_test_wait (enough_acked, &w, ROUND_MS))
        g_error ("round %u: only %u posts acknowledged within %u ms", number, round.acked, ROUND_MS);
      round.stopped = TRUE;
      guint in_flight = 0;
      for (guint c = 0; c < N_CLIENTS; c++)
        in_flight += posters[c].in_flight;
      g_test_message ("round %u: SIGKILL after %u acknowledged, %u in flight", number, round.acked, in_flight);
      /* It is killed while clients post, or this round proves little. */
      g_assert_cmpuint (in_flight, >, 0);
      perch_test_server_kill (d->server);
    }
  if (!perch_test_wait (all_answered, &w, ROUND_MS))
    g_error ("round %u: posts still unanswered after %u ms", number, ROUND_MS);
  guint lost = 0, refused = 0;
  for (guint i = 0; i < d->posts->len; i++)
    {
      Post *post = g_ptr_array_index (d->posts, i);
      if (post->round == number)
        {
          lost += post->state == POST_LOST;
          refused += post->state == POST_REFUSED;
        }
    }
  g_test_message ("round %u: %u acknowledged, %u lost with the connection, %u refused",
                  number, round.acked, lost, refused);
  if (kill_after == 0)
    {
      /* perchd stayed up: every post was answered, and by a 200. */
      g_assert_cmpuint (lost, ==, 0);
      g_assert_cmpuint (round.acked, ==, N_CLIENTS * per_client);
    }
  for (guint c = 0; c < N_CLIENTS; c++)
    perch_test_disconnect (posters[c].pc);
}

/* ---- reading it back ---------------------------------------------------------- */

typedef struct {
  gint64  msgid;
  char   *author;
  char   *text;
} Msg;

static void
msg_free (Msg *m)
{
  g_free (m->author);
  g_free (m->text);
  g_free (m);
}

/* General's whole history, oldest first, read PAGE at a time backwards
 * with <last cnt before=MSGID/>. */
static GPtrArray *
read_history (Durability *d, PerchClient *client)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) msg_free);
  gint64 before = 0;
  guint pages = 0;
  for (;;)
    {
      GString *data = g_string_new ("<chanib");
      perch_xml_attr_append (data, "uri", d->general);
      g_string_append_printf (data, "/><bcq><last cnt=\"%u\"", PAGE);
      if (before > 0)
        g_string_append_printf (data, " before=\"%" G_GINT64_FORMAT "\"", before);
      g_string_append (data, "/></bcq>");
      g_autoptr(GError) error = NULL;
      g_autoptr(PerchClientReply) reply = perch_test_command (client, "cmd:bccontext", data->str, &error);
      g_string_free (data, TRUE);
      g_assert_no_error (error);
      xmlNode *chanib = perch_xml_child (reply->data, "chanib");
      g_assert_nonnull (chanib);
      g_autoptr(GPtrArray) page = g_ptr_array_new ();
      for (xmlNode *m = perch_xml_child (chanib, "msg"); m != NULL; m = perch_xml_next (m, "msg"))
        {
          Msg *msg = g_new0 (Msg, 1);
          g_assert_true (perch_xml_get_int64 (m, "msgid", &msg->msgid));
          msg->author = perch_xml_get (m, "author");
          msg->text = perch_xml_text (perch_xml_child (m, "chat"));
          g_ptr_array_add (page, msg);
        }
      pages++;
      g_assert_cmpuint (page->len, <=, PAGE);
      if (page->len == 0)
        break;
      /* this page precedes what was read so far */
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_insert (all, i, g_ptr_array_index (page, i));
      before = ((Msg *) g_ptr_array_index (page, 0))->msgid;
      if (page->len < PAGE)
        break;
      g_assert_cmpuint (pages, <, 1000);
    }
  g_test_message ("history: %u messages in %u pages", all->len, pages);
  return all;
}

static void
check_history (Durability *d, GPtrArray *history)
{
  guint position = 0, last_round = 0;
  gint64 last_msgid = 0;
  for (guint i = 0; i < history->len; i++)
    {
      Msg *m = g_ptr_array_index (history, i);
      /* one order: message ids increase, no page overlaps another */
      g_assert_cmpint (m->msgid, >, last_msgid);
      last_msgid = m->msgid;
      Post *post = g_hash_table_lookup (d->by_text, m->text);
      if (post == NULL)
        continue;   /* the demo pool's own history */
      /* a round's posts all come after the previous round's */
      g_assert_cmpuint (post->round, >=, last_round);
      last_round = post->round;
      post->found++;
      post->msgid = m->msgid;
      post->position = ++position;
      g_autofree char *author = g_strdup_printf ("sip:%s@" DOMAIN, client_names[post->client]);
      g_assert_cmpstr (m->author, ==, author);
    }

  guint acked = 0, lost_stored = 0, lost = 0;
  for (guint i = 0; i < d->posts->len; i++)
    {
      Post *post = g_ptr_array_index (d->posts, i);
      switch (post->state)
        {
        case POST_ACKED:
          acked++;
          if (post->found != 1)
            g_error ("acknowledged post \"%s\" is in the history %u times", post->text, post->found);
          break;
        case POST_REFUSED:
          if (post->found != 0)
            g_error ("refused post \"%s\" is in the history %u times", post->text, post->found);
          break;
        case POST_LOST:
          lost++;
          lost_stored += post->found;
          if (post->found > 1)
            g_error ("unacknowledged post \"%s\" is in the history %u times", post->text, post->found);
          break;
        case POST_SENT:
        default:
          g_error ("post \"%s\" was never answered", post->text);
        }
    }
  g_test_message ("%u posts sent: %u acknowledged, %u of %u unacknowledged ones stored anyway",
                  d->posts->len, acked, lost_stored, lost);

  /* Each client's posts: in the order sent, rounds in order, and what
   * survived of a session is a prefix of what it sent (refusals aside). */
  for (guint c = 0; c < N_CLIENTS; c++)
    {
      guint last_position = 0;
      gboolean gap = FALSE;
      guint gap_round = 0;
      for (guint i = 0; i < d->posts->len; i++)
        {
          Post *post = g_ptr_array_index (d->posts, i);
          if (post->client != c || post->state == POST_REFUSED)
            continue;
          if (post->round != gap_round)
            {
              gap = FALSE;
              gap_round = post->round;
            }
          if (post->found == 0)
            {
              gap = TRUE;
              continue;
            }
          if (gap)
            g_error ("\"%s\" was stored but a post sent before it in the same session was not", post->text);
          if (post->position <= last_position)
            g_error ("\"%s\" is out of order in the history", post->text);
          last_position = post->position;
        }
    }
}

/* ---- the compliance events ------------------------------------------------------- */

static gint64
sql_count (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  gint64 n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static void
check_events (Durability *d)
{
  g_autofree char *path = g_build_filename (d->server->data_dir, "perch.db", NULL);
  sqlite3 *db = NULL;
  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    g_error ("cannot open %s read-only: %s", path, db ? sqlite3_errmsg (db) : "out of memory");

  /* Per post: the CHAT events with its text. */
  sqlite3_stmt *stmt = NULL;
  const char *sql = "SELECT room_id, user, msg_id FROM events WHERE type = 'CHAT' AND content = ?1";
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  guint events = 0;
  for (guint i = 0; i < d->posts->len; i++)
    {
      Post *post = g_ptr_array_index (d->posts, i);
      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, post->text, -1, SQLITE_TRANSIENT);
      guint n = 0;
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          n++;
          g_autofree char *author = g_strdup_printf ("sip:%s@" DOMAIN, client_names[post->client]);
          g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, d->general_id);
          g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, author);
          g_assert_cmpint (sqlite3_column_int64 (stmt, 2), ==, post->msgid);
        }
      /* a post is stored with its event or not at all */
      if (n != post->found)
        g_error ("post \"%s\" (%s) is in the history %u times but has %u CHAT events", post->text,
                 post->state == POST_ACKED ? "acknowledged" : "not acknowledged", post->found, n);
      events += n;
    }
  sqlite3_finalize (stmt);
  g_test_message ("%u CHAT events for the posts of this test", events);

  /* Store-wide: each message has exactly one CHAT event, and each CHAT
   * event in a room that keeps history names a message that exists. */
  g_assert_cmpint (sql_count (db, "SELECT count(*) FROM messages AS m WHERE "
                                  "(SELECT count(*) FROM events AS e WHERE e.type = 'CHAT' AND e.msg_id = m.id) != 1"),
                   ==, 0);
  g_assert_cmpint (sql_count (db, "SELECT count(*) FROM events WHERE type = 'CHAT' AND "
                                  "(msg_id IS NULL OR msg_id NOT IN (SELECT id FROM messages))"), ==, 0);
  sqlite3_close (db);
}

/* SIGTERM, and wait for a clean exit, keeping the data directory (which
 * perch_test_server_stop would remove) to be read afterwards. */
static gboolean
process_gone (gpointer data)
{
  PerchTestServer *server = data;
  return server->exited && server->stdout_done;
}

static void
stop_keeping_data (PerchTestServer *server)
{
  g_assert_true (server->running);
  g_subprocess_send_signal (server->process, SIGTERM);
  if (!perch_test_wait (process_gone, server, ROUND_MS))
    g_error ("perchd did not stop within %u ms of SIGTERM", ROUND_MS);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  server->running = FALSE;
  g_clear_object (&server->process);
}

static void
test_kill_while_posting (void)
{
  Durability d = { 0 };
  d.server = perch_test_server_start (NULL);
  d.posts = g_ptr_array_new_with_free_func ((GDestroyNotify) post_free);
  d.by_text = g_hash_table_new (g_str_hash, g_str_equal);
  {
    PerchClient *admin = perch_test_connect (d.server, "admin");
    d.general = perch_test_find_room (admin, "General");
    g_assert_nonnull (d.general);
    g_autofree char *domain = NULL;
    g_assert_true (perch_parse_room_uri (d.general, &domain, &d.general_id));
    perch_test_disconnect (admin);
  }

  /* Three kills at different points: at the first acknowledgement, a few
   * dozen in, and deep into a round; then a round that ends cleanly. */
  static const struct { guint per_client, kill_after; } rounds[] = {
    { 60, 1 }, { 60, 37 }, { 90, 121 }, { 60, 0 },
  };
  for (guint r = 0; r < G_N_ELEMENTS (rounds); r++)
    {
      if (r > 0)
        perch_test_server_restart (d.server);
      run_round (&d, r + 1, rounds[r].per_client, rounds[r].kill_after);
    }

  PerchClient *admin = perch_test_connect (d.server, "admin");
  g_autoptr(GPtrArray) history = read_history (&d, admin);
  perch_test_disconnect (admin);
  check_history (&d, history);

  stop_keeping_data (d.server);
  check_events (&d);

  perch_test_server_stop (d.server);
  g_hash_table_unref (d.by_text);
  g_ptr_array_unref (d.posts);
  g_free (d.general);
  g_free (d.general_id);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/perch/durability/kill-while-posting", test_kill_while_posting);
  return g_test_run ();
}
