/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench-overload.c: posts offered beyond what perchd can admit.
 *
 * --overload-clients sessions sign in and join one of 100 rooms (four to a
 * room). Then two phases of --seconds each on the same sessions:
 *
 *   below:    --overload-below-rate posts/s overall, well under capacity:
 *             the reference latency;
 *   overload: --overload-rate posts/s overall (open loop: posts go out on
 *             the clock, not when answers come back), each session keeping
 *             at most --overload-in-flight unanswered, far past what the
 *             server commits.
 *
 * Every post is timed to its SIP final answer: 200 (admitted: the post is
 * durable), 503 (shed; it must carry Retry-After, and those that do not
 * are counted), or anything else (counted). perchd's RSS is sampled every
 * 100 ms. After the overload phase the bench waits for every answer, then
 * checks that the server is still running and that a new session signs in
 * and gets a post admitted.
 *
 * perchd sheds posts in two places: a session over its command rate
 * (commands_per_second; the bench seeds 10,000,000, i.e. none, unless
 * --commands-per-second) and a committer backlog of max_pending_writes
 * (20,000 by default; --max-pending-writes seeds another). Both answer 503
 * with Retry-After: 1. */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "perch-bench.h"

static gint overload_clients = 400;
static gint overload_rate = 100000;
static gint overload_below_rate = 1000;
static gint overload_in_flight = 100;
static gint overload_repeat = 1;

const GOptionEntry bench_overload_entries[] = {
  { "overload-clients", 0, 0, G_OPTION_ARG_INT, &overload_clients, "Overload: posting sessions, four to a room (400)", "N" },
  { "overload-rate", 0, 0, G_OPTION_ARG_INT, &overload_rate, "Overload: posts per second offered overall (100000)", "N" },
  { "overload-below-rate", 0, 0, G_OPTION_ARG_INT, &overload_below_rate,
    "Overload: posts per second of the reference phase, below capacity (1000)", "N" },
  { "overload-in-flight", 0, 0, G_OPTION_ARG_INT, &overload_in_flight,
    "Overload: most unanswered posts per session (100)", "N" },
  { "overload-repeat", 0, 0, G_OPTION_ARG_INT, &overload_repeat,
    "Overload: overload phases run one after another, to tell retained memory from growth (1)", "N" },
  { "commands-per-second", 0, 0, G_OPTION_ARG_INT, &opt.commands_per_second,
    "Seed this per-session command rate (default 10000000: no limit)", "N" },
  { "max-pending-writes", 0, 0, G_OPTION_ARG_INT, &opt.max_pending_writes,
    "Seed this committer backlog before 503 (default: perchd's, 20000)", "N" },
  { NULL }
};

#define MAX_IN_FLIGHT 1024
#define ROOMS 100   /* perch-bench.c seeds at least bench-0 .. bench-100 */

typedef struct {
  guint32 *cseq;    /* unanswered posts, n of them */
  gint64  *sent;
  guint    n;
} Slot;

typedef struct {
  Crowd   *crowd;
  Server  *server;
  Slot    *slots;
  double   rate;
  gint64   start, deadline, next_rss;
  guint    next_client;
  guint64  due_done;                   /* posts the clock has asked for so far */
  guint64  sent, skipped, in_flight;   /* skipped: the session had its most in flight */
  guint64  admitted, admitted_in_window, busy, busy_in_window, busy_no_retry, other;
  guint    retry_min, retry_max;
  gint64   rss_peak;
  GArray  *lat_ok, *lat_busy;          /* seconds */
} Phase;

static guint
overload_room (guint slot)
{
  return slot % ROOMS;
}

static void
phase_send (Phase *p, LeanClient *c)
{
  guint slot = GPOINTER_TO_UINT (lean_client_get_data (c));
  Slot *sl = &p->slots[slot];
  if (sl->n >= (guint) overload_in_flight)
    {
      p->skipped++;
      return;
    }
  char text[64], uri[64];
  g_snprintf (text, sizeof text, "overload %u %" G_GUINT64_FORMAT, slot, p->sent);
  g_snprintf (uri, sizeof uri, "ma-chan://" DOMAIN "/bench-%u", overload_room (slot));
  sl->sent[sl->n] = g_get_monotonic_time ();
  sl->cseq[sl->n] = lean_client_post (c, uri, text);
  sl->n++;
  p->sent++;
  p->in_flight++;
}

static void
sample_rss (Phase *p, gint64 now)
{
  if (now < p->next_rss)
    return;
  p->next_rss = now + 100000;
  p->rss_peak = MAX (p->rss_peak, server_rss_kib (p->server));
}

static void
phase_tick (gpointer data)
{
  Phase *p = data;
  gint64 now = g_get_monotonic_time ();
  sample_rss (p, now);
  if (now >= p->deadline)
    return;
  guint64 due = (guint64) ((now - p->start) / 1e6 * p->rate);
  Crowd *crowd = p->crowd;
  while (p->due_done < due)
    {
      p->due_done++;
      LeanClient *c = NULL;
      for (guint tries = 0; tries < crowd->n && c == NULL; tries++)
        {
          c = crowd->clients[p->next_client];
          p->next_client = (p->next_client + 1) % crowd->n;
          if (c != NULL && !lean_client_is_ready (c))
            c = NULL;
        }
      if (c == NULL)
        return;
      phase_send (p, c);
    }
}

static void
phase_response (LeanClient *c, guint32 cseq, int status, const char *head, gsize head_len, gpointer data)
{
  Phase *p = data;
  Slot *sl = &p->slots[GPOINTER_TO_UINT (lean_client_get_data (c))];
  for (guint i = 0; i < sl->n; i++)
    {
      if (sl->cseq[i] != cseq)
        continue;
      gint64 now = g_get_monotonic_time ();
      double lat = (now - sl->sent[i]) / 1e6;
      sl->n--;
      sl->cseq[i] = sl->cseq[sl->n];
      sl->sent[i] = sl->sent[sl->n];
      p->in_flight--;
      gboolean in_window = now < p->deadline;
      if (status == 200)
        {
          p->admitted++;
          p->admitted_in_window += in_window;
          g_array_append_val (p->lat_ok, lat);
        }
      else if (status == 503)
        {
          p->busy++;
          p->busy_in_window += in_window;
          g_array_append_val (p->lat_busy, lat);
          gsize vlen;
          const char *v = lean_header (head, head_len, "Retry-After", NULL, &vlen);
          if (v == NULL)
            p->busy_no_retry++;
          else
            {
              guint ra = (guint) strtoul (v, NULL, 10);
              p->retry_min = p->busy == 1 ? ra : MIN (p->retry_min, ra);
              p->retry_max = MAX (p->retry_max, ra);
            }
        }
      else if (p->other++ < 3)
        g_printerr ("a post was answered %d\n", status);
      return;
    }
}

static gboolean
phase_done (gpointer data)
{
  Phase *p = data;
  return p->in_flight == 0 && g_get_monotonic_time () >= p->deadline;
}

/* Runs one phase at RATE posts/s and prints its figures under LABEL;
 * returns its p99 of admitted posts (ms). */
static double
phase_run (Phase *p, const char *label, double rate)
{
  p->rate = rate;
  p->due_done = p->sent = p->skipped = p->in_flight = 0;
  p->admitted = p->admitted_in_window = p->busy = p->busy_in_window = p->busy_no_retry = p->other = 0;
  p->retry_min = p->retry_max = 0;
  p->rss_peak = server_rss_kib (p->server);
  p->lat_ok = g_array_new (FALSE, FALSE, sizeof (double));
  p->lat_busy = g_array_new (FALSE, FALSE, sizeof (double));
  double cpu0 = server_cpu_s (p->server);
  Load load;
  load_mark (p->server, &load);
  gint64 rss0 = p->rss_peak;
  p->start = g_get_monotonic_time ();
  p->deadline = p->start + (gint64) opt.seconds * G_USEC_PER_SEC;
  crowd_run (p->crowd, phase_done, phase_tick, p, p->deadline + 120 * G_USEC_PER_SEC);
  gint64 end = g_get_monotonic_time ();
  double window = opt.seconds, drain = (end - p->deadline) / 1e6;
  double cpu = server_cpu_s (p->server) - cpu0;
  gint64 rss1 = server_rss_kib (p->server);
  p->rss_peak = MAX (p->rss_peak, rss1);
  double p99 = percentile (p->lat_ok, 0.99) * 1000;

  g_autofree char *prefix = g_strconcat (label, ": ", NULL);
#define F(name, value, unit) G_STMT_START {                          \
    g_autofree char *n_ = g_strconcat (prefix, name, NULL);         \
    figure (n_, value, unit);                                       \
  } G_STMT_END
  F ("posts/s asked for", rate, "/s");
  F ("posts/s offered (sent)", p->sent / window, "/s");
  F ("posts not sent (session at its in-flight cap)", p->skipped, "");
  F ("posts admitted (200)", p->admitted, "");
  F ("admitted/s during the window", p->admitted_in_window / window, "/s");
  F ("admitted/s, window and drain", p->admitted / MAX (window + drain, 1e-3), "/s");
  F ("posts answered 503", p->busy, "");
  F ("503/s during the window", p->busy_in_window / window, "/s");
  F ("503 without Retry-After", p->busy_no_retry, "");
  F ("Retry-After min", p->retry_min, "s");
  F ("Retry-After max", p->retry_max, "s");
  F ("posts answered otherwise", p->other, "");
  F ("posts unanswered at the end", p->in_flight, "");
  F ("seconds to drain after the window", drain, "s");
  F ("admitted post-to-200 p50", percentile (p->lat_ok, 0.50) * 1000, "ms");
  F ("admitted post-to-200 p99", p99, "ms");
  F ("admitted post-to-200 p999", percentile (p->lat_ok, 0.999) * 1000, "ms");
  F ("503 answer p50", percentile (p->lat_busy, 0.50) * 1000, "ms");
  F ("503 answer p99", percentile (p->lat_busy, 0.99) * 1000, "ms");
  F ("server RSS at start", rss0 / 1024.0, "MiB");
  F ("server RSS peak", p->rss_peak / 1024.0, "MiB");
  F ("server RSS at end", rss1 / 1024.0, "MiB");
  F ("server CPU busy", cpu / MAX (window + drain, 1e-3) * 100, "%");
  F ("server CPU per admitted post", cpu / MAX (1, p->admitted) * 1e6, "us");
#undef F
  load_figures (p->server, &load, prefix);
  g_array_unref (p->lat_ok);
  g_array_unref (p->lat_busy);
  return p99;
}

/* After the overload: a new session signs in, joins and gets a post
 * admitted; returns the milliseconds that took, or -1. */
typedef struct {
  guint32 cseq;
  int     status;
  gboolean joined;
} Probe;

static void
probe_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  Probe *pr = data;
  if (cseq == pr->cseq)
    pr->status = status;
}

static gboolean
probe_done (gpointer data)
{
  return ((Probe *) data)->status != 0;
}

static guint
probe_room (guint slot)
{
  return 0;
}

static double
probe (Server *s)
{
  gint64 t0 = g_get_monotonic_time ();
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, s, 1);
  double ms = -1;
  if (crowd.ready == 1 && crowd_join (&crowd, probe_room) == 0)
    {
      Probe pr = { 0, 0, TRUE };
      const LeanCallbacks cb = { .info_answered = probe_answered };
      lean_loop_set_callbacks (crowd.loop, &cb, &pr);
      pr.cseq = lean_client_post (crowd.clients[0], "ma-chan://" DOMAIN "/bench-0", "after the overload");
      crowd_run (&crowd, probe_done, NULL, &pr, g_get_monotonic_time () + 30 * G_USEC_PER_SEC);
      if (pr.status == 200)
        ms = (g_get_monotonic_time () - t0) / 1e3;
      else
        g_printerr ("the post after the overload was answered %d\n", pr.status);
    }
  crowd_free (&crowd);
  return ms;
}

void
scenario_overload (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  overload_in_flight = CLAMP (overload_in_flight, 1, MAX_IN_FLIGHT);
  guint n = (guint) MAX (overload_clients, 1);
  g_print ("overload: %u sessions, in 100 rooms; %d s at %d posts/s, then %d s at %d posts/s, "
           "at most %d unanswered per session\n",
           n, opt.seconds, overload_below_rate, opt.seconds, overload_rate, overload_in_flight);
  gint64 rss_idle = server_rss_kib (&s);
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, &s, n);
  if (crowd.ready < n || crowd_join (&crowd, overload_room) > 0)
    g_error ("only %u of %u sessions signed in and joined", crowd.ready, n);
  Phase p = { &crowd, &s, g_new0 (Slot, n) };
  for (guint i = 0; i < n; i++)
    {
      p.slots[i].cseq = g_new0 (guint32, overload_in_flight);
      p.slots[i].sent = g_new0 (gint64, overload_in_flight);
    }
  const LeanCallbacks cb = { .info_response = phase_response };
  lean_loop_set_callbacks (crowd.loop, &cb, &p);

  json_builder_set_member_name (results, "overload");
  json_builder_begin_object (results);
  figure ("sessions", n, "");
  figure ("most unanswered posts per session", overload_in_flight, "");
  figure ("server RSS before sign-in", rss_idle / 1024.0, "MiB");
  double p99_below = phase_run (&p, "below", overload_below_rate);
  double p99_over = phase_run (&p, "overload", overload_rate);
  for (gint r = 2; r <= overload_repeat; r++)
    {
      g_autofree char *label = g_strdup_printf ("overload %d", r);
      phase_run (&p, label, overload_rate);
    }
  figure ("admitted p99, overload over below", p99_over / p99_below, "x");
  figure ("sessions the server dropped", lean_loop_n_dropped (crowd.loop), "");
  gboolean alive = s.pid > 0 && kill (s.pid, 0) == 0;
  figure ("server still running", alive, "");
  double ms = alive ? probe (&s) : -1;
  figure ("afterwards: new session signs in, joins, post admitted", ms >= 0, "");
  figure ("afterwards: that took", ms, "ms");
  figure ("server RSS at the end", server_rss_kib (&s) / 1024.0, "MiB");
  json_builder_end_object (results);

  for (guint i = 0; i < n; i++)
    {
      g_free (p.slots[i].cseq);
      g_free (p.slots[i].sent);
    }
  g_free (p.slots);
  crowd_free (&crowd);
  server_stop (&s);
}
