/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench-mixed.c: the Lync user model at one scale.
 *
 * --mixed-users sessions sign in; half are joined to rooms of 30, half to
 * rooms of 150. Then for --seconds: 24 posts per second overall, each from
 * a random session to its room, timed from the post to every delivery
 * (the text carries the send time); 10 joins per second, a random session
 * joining a random room (so the rooms grow as the run goes; --mixed-joins); and a roster
 * poll: every session, once per --mixed-poll-interval seconds, asks
 * chansrch for its room by name (the answer carries the participant
 * count). Reports p50/p99 post-to-delivery and the latency of joins and
 * polls. Rooms of 16,000 (the model's third size) are not in it. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perch-bench.h"

static gint mixed_users = 1000;
static gint mixed_poll_interval = 60;
static gint mixed_joins = 10;

const GOptionEntry bench_mixed_entries[] = {
  { "mixed-users", 0, 0, G_OPTION_ARG_INT, &mixed_users, "Mixed: concurrent users (1000)", "N" },
  { "mixed-poll-interval", 0, 0, G_OPTION_ARG_INT, &mixed_poll_interval,
    "Mixed: seconds between one user's roster polls (60)", "S" },
  { "mixed-joins", 0, 0, G_OPTION_ARG_INT, &mixed_joins, "Mixed: joins per second (10)", "N" },
  { NULL }
};

#define POSTS_PER_SECOND 24.0

static guint small_users, small_rooms;   /* the first small_users slots: rooms of 30 */

static guint
mixed_room (guint slot)
{
  if (slot < small_users)
    return slot / 30;
  return small_rooms + (slot - small_users) / 150;
}

typedef struct {
  Crowd   *crowd;
  GRand   *rand;
  gint64   start, deadline;
  guint64  posts, joins, polls;              /* sent */
  guint64  acked, refused, delivered, joined, polled, errors;
  guint    n_rooms;
  gint64  *join_sent, *poll_sent;           /* by slot; 0 when none in flight */
  GArray  *lat_delivery, *lat_join, *lat_poll;
} Mixed;

static LeanClient *
random_client (Mixed *m, guint *slot)
{
  for (guint tries = 0; tries < 16; tries++)
    {
      *slot = g_rand_int_range (m->rand, 0, m->crowd->n);
      LeanClient *c = m->crowd->clients[*slot];
      if (c != NULL && lean_client_is_ready (c))
        return c;
    }
  return NULL;
}

static void
mixed_tick (gpointer data)
{
  Mixed *m = data;
  gint64 now = g_get_monotonic_time ();
  if (now >= m->deadline)
    return;
  double secs = (now - m->start) / 1e6;
  guint slot;
  LeanClient *c;
  while (m->posts < (guint64) (secs * POSTS_PER_SECOND) && (c = random_client (m, &slot)) != NULL)
    {
      char text[64], uri[64];
      g_snprintf (text, sizeof text, "mixed %" G_GINT64_FORMAT, g_get_monotonic_time ());
      g_snprintf (uri, sizeof uri, "ma-chan://" DOMAIN "/bench-%u", mixed_room (slot));
      lean_client_post (c, uri, text);
      m->posts++;
    }
  while (m->joins < (guint64) (secs * mixed_joins) && (c = random_client (m, &slot)) != NULL)
    {
      m->joins++;
      if (m->join_sent[slot] || m->poll_sent[slot])
        continue;
      g_autofree char *d = g_strdup_printf ("<chanid key=\"0\" domain=\"" DOMAIN "\" value=\"bench-%u\"/>",
                                            g_rand_int_range (m->rand, 0, m->n_rooms));
      m->join_sent[slot] = g_get_monotonic_time ();
      lean_client_command (c, "cmd:join", d);
    }
  double poll_rate = m->crowd->n / (double) MAX (mixed_poll_interval, 1);
  while (m->polls < (guint64) (secs * poll_rate) && (c = random_client (m, &slot)) != NULL)
    {
      m->polls++;
      if (m->join_sent[slot] || m->poll_sent[slot])
        continue;
      g_autofree char *d = g_strdup_printf ("<qib qtype=\"BYNAME\" criteria=\"room%u\" extended=\"false\"/>",
                                            mixed_room (slot));
      m->poll_sent[slot] = g_get_monotonic_time ();
      lean_client_command (c, "cmd:chansrch", d);
    }
}

static void
mixed_server_info (LeanClient *c, const char *body, gsize len, gpointer data)
{
  Mixed *m = data;
  guint slot = GPOINTER_TO_UINT (lean_client_get_data (c));
  gint64 now = g_get_monotonic_time ();
  const char *p = lean_find (body, len, "<chat>mixed ");
  if (p != NULL)
    {
      gint64 sent = g_ascii_strtoll (p + strlen ("<chat>mixed "), NULL, 10);
      double lat = (now - sent) / 1e6;
      g_array_append_val (m->lat_delivery, lat);
      m->delivered++;
      return;
    }
  gboolean ok = lean_find (body, len, "<resp code=\"200\"") != NULL;
  if (lean_find (body, len, "<rpl id=\"rpl:join\"") != NULL && m->join_sent[slot])
    {
      double lat = (now - m->join_sent[slot]) / 1e6;
      g_array_append_val (m->lat_join, lat);
      m->join_sent[slot] = 0;
      m->joined++;
      m->errors += !ok;
    }
  else if (lean_find (body, len, "<rpl id=\"rpl:chansrch\"") != NULL && m->poll_sent[slot])
    {
      double lat = (now - m->poll_sent[slot]) / 1e6;
      g_array_append_val (m->lat_poll, lat);
      m->poll_sent[slot] = 0;
      m->polled++;
      m->errors += !ok;
    }
}

static void
mixed_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  Mixed *m = data;
  /* Joins and polls are answered 200 and then replied to in an INFO;
   * posts only here. Only posts are counted: a refused command is an error. */
  if (status != 200 && m->refused++ < 3)
    g_printerr ("a request was answered %d\n", status);
}

static gboolean
mixed_done (gpointer data)
{
  return g_get_monotonic_time () >= ((Mixed *) data)->deadline + G_USEC_PER_SEC;
}

void
scenario_mixed (void)
{
  guint n = (guint) MAX (mixed_users, 2);
  small_users = n / 2;
  small_rooms = (small_users + 29) / 30;
  guint big_rooms = (n - small_users + 149) / 150;
  opt.rooms = MAX (opt.rooms, (gint) (small_rooms + big_rooms));
  opt.users = MAX (opt.users, (gint) n);
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  g_print ("mixed: %u users, %u rooms of 30 and %u of 150, %.0f posts/s, %d joins/s, a roster poll per user "
           "every %d s, %d s\n", n, small_rooms, big_rooms, POSTS_PER_SECOND, mixed_joins,
           mixed_poll_interval, opt.seconds);
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, &s, n);
  if (crowd.ready < n || crowd_join (&crowd, mixed_room) > 0)
    g_error ("only %u of %u sessions signed in and joined", crowd.ready, n);
  Mixed m = { &crowd, g_rand_new_with_seed (6) };
  m.n_rooms = small_rooms + big_rooms;
  m.join_sent = g_new0 (gint64, n);
  m.poll_sent = g_new0 (gint64, n);
  m.lat_delivery = g_array_new (FALSE, FALSE, sizeof (double));
  m.lat_join = g_array_new (FALSE, FALSE, sizeof (double));
  m.lat_poll = g_array_new (FALSE, FALSE, sizeof (double));
  const LeanCallbacks cb = { .info_answered = mixed_answered, .server_info = mixed_server_info };
  lean_loop_set_callbacks (crowd.loop, &cb, &m);
  Load load;
  load_mark (&s, &load);
  double cpu0 = server_cpu_s (&s);
  m.start = g_get_monotonic_time ();
  m.deadline = m.start + (gint64) opt.seconds * G_USEC_PER_SEC;
  crowd_run (&crowd, mixed_done, mixed_tick, &m, m.deadline + 30 * G_USEC_PER_SEC);
  double elapsed = (g_get_monotonic_time () - m.start) / 1e6;
  double cpu = server_cpu_s (&s) - cpu0;
  json_builder_set_member_name (results, "mixed");
  json_builder_begin_object (results);
  figure ("users", n, "");
  figure ("rooms of 30", small_rooms, "");
  figure ("rooms of 150", big_rooms, "");
  figure ("posts sent", m.posts, "");
  figure ("deliveries", m.delivered, "");
  figure ("post-to-delivery p50", percentile (m.lat_delivery, 0.50) * 1000, "ms");
  figure ("post-to-delivery p99", percentile (m.lat_delivery, 0.99) * 1000, "ms");
  figure ("p99 under 100 ms", percentile (m.lat_delivery, 0.99) < 0.1, "");
  figure ("joins answered", m.joined, "");
  figure ("join p99", percentile (m.lat_join, 0.99) * 1000, "ms");
  figure ("roster polls answered", m.polled, "");
  figure ("roster poll p99", percentile (m.lat_poll, 0.99) * 1000, "ms");
  figure ("requests refused or failed", m.refused + m.errors, "");
  figure ("sessions the server dropped", lean_loop_n_dropped (crowd.loop), "");
  figure ("server CPU busy", cpu / MAX (elapsed, 1e-3) * 100, "%");
  load_figures (&s, &load, "");
  json_builder_end_object (results);
  g_array_unref (m.lat_delivery);
  g_array_unref (m.lat_join);
  g_array_unref (m.lat_poll);
  g_free (m.join_sent);
  g_free (m.poll_sent);
  g_rand_free (m.rand);
  crowd_free (&crowd);
  server_stop (&s);
}
