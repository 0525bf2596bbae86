/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench.c: measured speed and scale of perchd.
 *
 * Seeds a data dir through the store, starts the real perchd on loopback,
 * and drives it over SIP/XCCOS with many clients from this one process. The
 * load scenarios run on the bench's own lean engine (perch-bench-lean.c: one
 * epoll loop, no thread and no SIP or XML parser per client), so that what
 * is measured is the server. Prints a table and, with --json, the same
 * figures as JSON.
 *
 *   perch-bench [--scenario signin|fanout|history|durable|search|overload|mixed|all] [options]
 *
 * What the scenarios share (options, the server, figures) is declared in
 * perch-bench.h for the scenarios in files of their own. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "perch-bench.h"
#include "perch-bench-lean.h"
#include "perch-common.h"
#include "perch-sip-digest.h"
#include "perch-store.h"

Options opt = {
  .users = 1000, .sessions = 2000, .window = 200, .room_size = 150, .rooms = 2, .posts = 200,
  .rate = 1000, .history_msgs = 100000, .history_clients = 20, .seconds = 5,
};

JsonBuilder *results;

/* The durable-posts scenario's own parameters. */
static gint durable_posters = 100;   /* posting sessions, a room each */
static gint durable_window = 8;      /* posts in flight per poster */

/* ---- the server under test --------------------------------------------------- */

static gboolean
seed (const char *dir, GError **error)
{
  g_autofree char *db = g_build_filename (dir, "perch.db", NULL);
  g_autoptr(PerchStore) store = perch_store_open_sqlite (db, error);
  g_autofree char *cps = g_strdup_printf ("%d", opt.commands_per_second > 0 ? opt.commands_per_second : 10000000);
  g_autofree char *mpw = g_strdup_printf ("%d", opt.max_pending_writes);
  if (store == NULL || !perch_store_config_set (store, "domain", DOMAIN, error) ||
      !perch_store_config_set (store, "enable_persistent_chat", "true", error) ||
      /* A load test posts faster than people: the per-session limit would
       * measure itself, not the server. */
      !perch_store_config_set (store, "commands_per_second", cps, error) ||
      (opt.max_pending_writes > 0 && !perch_store_config_set (store, "max_pending_writes", mpw, error)) ||
      !perch_store_config_set (store, "participant_update_limit", "75", error))
    return FALSE;
  /* In one transaction: one fsync, not one per user. */
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_user_free);
  for (int i = 0; i < opt.users; i++)
    {
      g_autofree char *account = g_strdup_printf ("u%d@" DOMAIN, i);
      PerchUser *user = g_new0 (PerchUser, 1);
      user->uri = g_strdup_printf ("sip:u%d@" DOMAIN, i);
      user->display_name = g_strdup ("");
      user->ha1 = perch_digest_ha1 (account, DOMAIN, "bench-password");
      user->enabled = 1;
      g_ptr_array_add (users, user);
    }
  if (!perch_store_users_put (store, (const PerchUser *const *) users->pdata, users->len, error))
    return FALSE;
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();
  g_ptr_array_add (allowed, (char *) "domain:" DOMAIN);
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  PerchCategory cat = { .name = (char *) "Bench", .description = (char *) "", .chat_history = TRUE,
                        .allowed = allowed, .denied = none, .creators = none };
  if (!perch_store_category_create (store, &cat, error))
    return FALSE;
  for (int r = 0; r < MAX (MAX (opt.rooms, durable_posters), 1) + 1; r++)
    {
      g_autofree char *name = g_strdup_printf ("room%d", r);
      g_autofree char *id = g_strdup_printf ("bench-%d", r);
      PerchRoomInfo room = { .id = id, .name = name, .description = (char *) "", .category_id = cat.id,
                             .privacy = PERCH_PRIVACY_OPEN, .invitations = TRUE,
                             .members = none, .managers = none, .presenters = none };
      if (!perch_store_room_create (store, &room, error))
        return FALSE;
    }
  /* History: a big room, "bench-history", filled in batches. */
  if (g_str_equal (opt.scenario, "history") || g_str_equal (opt.scenario, "all"))
    {
      PerchRoomInfo room = { .id = (char *) "bench-history", .name = (char *) "history", .description = (char *) "",
                             .category_id = cat.id, .privacy = PERCH_PRIVACY_OPEN, .invitations = TRUE,
                             .members = none, .managers = none, .presenters = none };
      if (!perch_store_room_create (store, &room, error))
        return FALSE;
      gint64 t0 = perch_now_us () - (gint64) opt.history_msgs * G_USEC_PER_SEC;
      const int batch = 10000;
      for (int done = 0; done < opt.history_msgs; done += batch)
        {
          g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
          for (int i = done; i < MIN (done + batch, opt.history_msgs); i++)
            {
              PerchMessage *m = g_new0 (PerchMessage, 1);
              m->room_id = g_strdup ("bench-history");
              m->author = g_strdup_printf ("sip:u%d@" DOMAIN, i % opt.users);
              m->ts_us = t0 + (gint64) i * G_USEC_PER_SEC;
              m->content = g_strdup_printf ("history message %d: the quick brown fox jumps over the lazy dog", i);
              g_ptr_array_add (msgs, m);
            }
          if (!perch_store_import_messages (store, (PerchMessage **) msgs->pdata, msgs->len, error))
            return FALSE;
        }
    }
  if (bench_search_seeding && !bench_search_seed (store, error))
    return FALSE;
  return TRUE;
}

gboolean
server_start (Server *s, GError **error)
{
  s->dir = g_dir_make_tmp ("perch-bench-XXXXXX", error);
  if (s->dir == NULL)
    return FALSE;
  gint64 t0 = g_get_monotonic_time ();
  if (!seed (s->dir, error))
    return FALSE;
  g_printerr ("seeded %d users in %.1f s\n", opt.users, (g_get_monotonic_time () - t0) / 1e6);
  const char *argv[] = { opt.perchd, "--data-dir", s->dir, "--sip-listen", "127.0.0.1:0", NULL };
  s->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (s->proc == NULL)
    return FALSE;
  g_autoptr(GDataInputStream) out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, error);
  const char *sip = line ? strstr (line, "sip=127.0.0.1:") : NULL;
  if (sip == NULL)
    {
      if (error && !*error)
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "perchd did not start");
      return FALSE;
    }
  s->sip_port = (guint16) atoi (sip + strlen ("sip=127.0.0.1:"));
  s->pid = atoi (g_subprocess_get_identifier (s->proc));
  return TRUE;
}

void
server_stop (Server *s)
{
  if (s->proc)
    {
      g_subprocess_send_signal (s->proc, SIGTERM);
      g_subprocess_wait (s->proc, NULL, NULL);
      g_clear_object (&s->proc);
    }
  if (s->dir && !opt.keep)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", s->dir);
      if (system (cmd) != 0)
        g_printerr ("could not remove %s\n", s->dir);
    }
  g_clear_pointer (&s->dir, g_free);
}

/* The server's resident memory (KiB) and CPU time (s) so far. */
gint64
server_rss_kib (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", s->pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  const char *p = strstr (text, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : 0;
}

double
server_cpu_s (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", s->pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  const char *p = strrchr (text, ')');
  g_auto(GStrv) f = g_strsplit (p + 2, " ", 20);
  /* fields after the command: state(0) ... utime(11) stime(12) */
  return (g_ascii_strtoull (f[11], NULL, 10) + g_ascii_strtoull (f[12], NULL, 10)) / (double) sysconf (_SC_CLK_TCK);
}

/* ---- helpers ------------------------------------------------------------------ */

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

double
percentile (GArray *samples, double p)
{
  if (samples->len == 0)
    return NAN;
  g_array_sort (samples, cmp_double);
  guint i = (guint) MIN (samples->len - 1, floor (p * samples->len));
  return g_array_index (samples, double, i);
}

void
figure (const char *name, double value, const char *unit)
{
  g_print ("  %-44s %14.2f %s\n", name, value, unit);
  json_builder_set_member_name (results, name);
  json_builder_add_double_value (results, value);
}

/* ---- the lean clients ------------------------------------------------------------------ */

/* Crowd (perch-bench.h): slot i signs in as u<i % users> and is found
 * again through its client data. */

static guint
slot_of (LeanClient *c)
{
  return GPOINTER_TO_UINT (lean_client_get_data (c));
}

static void
crowd_ready (LeanClient *c, gboolean ok, gpointer data)
{
  Crowd *crowd = data;
  crowd->in_flight--;
  if (ok)
    crowd->ready++;
  else
    {
      crowd->failed++;
      crowd->clients[slot_of (c)] = NULL;
    }
}

double
crowd_sign_in (Crowd *crowd, Server *s, guint n)
{
  crowd->loop = lean_loop_new (s->sip_port, DOMAIN, "bench-password");
  crowd->clients = g_new0 (LeanClient *, MAX (n, 1));
  crowd->n = n;
  const LeanCallbacks cb = { .ready = crowd_ready };
  lean_loop_set_callbacks (crowd->loop, &cb, crowd);
  gint64 t0 = g_get_monotonic_time (), deadline = t0 + 600 * G_USEC_PER_SEC;
  while ((crowd->next < n || crowd->in_flight > 0) && g_get_monotonic_time () < deadline)
    {
      while (crowd->in_flight < (guint) opt.window && crowd->next < n)
        {
          guint slot = crowd->next++;
          LeanClient *c = lean_client_start (crowd->loop, slot % opt.users);
          if (c == NULL)
            {
              crowd->failed++;
              continue;
            }
          lean_client_set_data (c, GUINT_TO_POINTER (slot));
          crowd->clients[slot] = c;
          crowd->in_flight++;
        }
      lean_loop_iterate (crowd->loop, 10);
    }
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  if (crowd->failed)
    g_printerr ("%u of %u sign-ins failed\n", crowd->failed, n);
  return secs;
}

void
crowd_free (Crowd *crowd)
{
  for (guint i = 0; i < crowd->n; i++)
    if (crowd->clients[i] != NULL)
      lean_client_close (crowd->clients[i]);
  lean_loop_free (crowd->loop);
  g_free (crowd->clients);
}

void
crowd_run (Crowd *crowd, gboolean (*done) (gpointer), void (*tick) (gpointer), gpointer data, gint64 deadline)
{
  while (!done (data) && g_get_monotonic_time () < deadline)
    {
      if (tick)
        tick (data);
      lean_loop_iterate (crowd->loop, 1);
    }
}

/* Joins slot i to ROOM_OF (i); returns how many joins failed. */
typedef struct {
  guint pending, failed;
} Joins;

static void
join_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  Joins *j = data;
  if (status != 200)
    {
      j->failed++;
      j->pending--;
    }
}

static void
join_replied (LeanClient *c, const char *body, gsize len, gpointer data)
{
  Joins *j = data;
  if (lean_find (body, len, "<rpl id=\"rpl:join\"") == NULL)
    return;
  if (lean_find (body, len, "<resp code=\"200\"") == NULL)
    j->failed++;
  j->pending--;
}

static gboolean
joins_done (gpointer data)
{
  return ((Joins *) data)->pending == 0;
}

guint
crowd_join (Crowd *crowd, guint (*room_of) (guint slot))
{
  Joins j = { 0, 0 };
  const LeanCallbacks cb = { .info_answered = join_answered, .server_info = join_replied };
  lean_loop_set_callbacks (crowd->loop, &cb, &j);
  for (guint i = 0; i < crowd->n; i++)
    if (crowd->clients[i] != NULL)
      {
        g_autofree char *data = g_strdup_printf ("<chanid key=\"0\" domain=\"" DOMAIN "\" value=\"bench-%u\"/>",
                                                 room_of (i));
        lean_client_command (crowd->clients[i], "cmd:join", data);
        j.pending++;
      }
  crowd_run (crowd, joins_done, NULL, &j, g_get_monotonic_time () + 120 * G_USEC_PER_SEC);
  if (j.failed || j.pending)
    g_printerr ("%u joins failed, %u unanswered\n", j.failed, j.pending);
  return j.failed + j.pending;
}

/* The server's CPU time in the kernel so far, seconds (part of server_cpu_s). */
static double
server_sys_s (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", s->pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  const char *p = strrchr (text, ')');
  g_auto(GStrv) f = g_strsplit (p + 2, " ", 20);
  /* fields after the command: state(0) ... utime(11) stime(12) */
  return g_ascii_strtoull (f[12], NULL, 10) / (double) sysconf (_SC_CLK_TCK);
}

/* Load (perch-bench.h): what the machine's CPUs did during a measurement. */

static double
machine_busy_s (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL))
    return 0;
  /* cpu user nice system idle iowait irq softirq steal */
  guint64 v[8] = { 0 };
  if (sscanf (text, "cpu %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                    " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
              &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
    return 0;
  return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double) sysconf (_SC_CLK_TCK);
}

void
load_mark (Server *s, Load *l)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  l->machine = machine_busy_s ();
  l->server = server_cpu_s (s);
  l->self = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  l->t = g_get_monotonic_time ();
}

double
load_figures (Server *s, const Load *before, const char *label)
{
  Load now;
  load_mark (s, &now);
  double secs = MAX ((now.t - before->t) / 1e6, 1e-3);
  double others = (now.machine - before->machine) - (now.server - before->server) - (now.self - before->self);
  g_autofree char *a = g_strdup_printf ("%sbench CPU busy", label);
  g_autofree char *b = g_strdup_printf ("%sother processes' CPU meanwhile", label);
  figure (a, (now.self - before->self) / secs * 100, "%");
  figure (b, MAX (others, 0) / secs, "cores");
  return now.self - before->self;
}

/* ---- sign-in ------------------------------------------------------------------ */

/* How many more descriptors process PID may open: its limit less what it
 * holds, less a few for what it may open later (sqlite's files, pipes). */
static gint64
fd_headroom (GPid pid)
{
  g_autofree char *limits_path = pid ? g_strdup_printf ("/proc/%d/limits", pid) : g_strdup ("/proc/self/limits");
  g_autofree char *fd_path = pid ? g_strdup_printf ("/proc/%d/fd", pid) : g_strdup ("/proc/self/fd");
  g_autofree char *limits = NULL;
  if (!g_file_get_contents (limits_path, &limits, NULL, NULL))
    return G_MAXINT;
  const char *p = strstr (limits, "Max open files");
  gint64 soft = p ? g_ascii_strtoll (p + strlen ("Max open files"), NULL, 10) : G_MAXINT;
  gint64 open = 0;
  g_autoptr(GDir) dir = g_dir_open (fd_path, 0, NULL);
  while (dir && g_dir_read_name (dir))
    open++;
  return soft - open - 16;
}

static void
scenario_signin (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  guint n = (guint) opt.sessions;
  /* A session is a connection, a descriptor on either side: perchd and
   * this process each need one per session, below RLIMIT_NOFILE. */
  gint64 server_room = fd_headroom (s.pid), bench_room = fd_headroom (0);
  if (MIN (server_room, bench_room) < n)
    {
      g_print ("sign-in storm: %u sessions asked for; open-file limits leave room for %" G_GINT64_FORMAT
               " in perchd, %" G_GINT64_FORMAT " in the bench\n", n, server_room, bench_room);
      n = (guint) MAX (MIN (server_room, bench_room), 0);
    }
  g_print ("sign-in storm: %u sessions, %d in flight\n", n, opt.window);
  gint64 rss0 = server_rss_kib (&s);
  double cpu0 = server_cpu_s (&s);
  Crowd crowd = { 0 };
  Load load;
  load_mark (&s, &load);
  double secs = crowd_sign_in (&crowd, &s, n);
  double cpu = server_cpu_s (&s) - cpu0;
  /* Let whatever the sign-ins left behind settle before reading memory. */
  gint64 settle = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < settle)
    lean_loop_iterate (crowd.loop, 100);
  gint64 rss1 = server_rss_kib (&s);
  guint held = lean_loop_n_clients (crowd.loop);
  json_builder_set_member_name (results, "signin");
  json_builder_begin_object (results);
  figure ("sessions asked for", opt.sessions, "");
  figure ("sessions signed in", crowd.ready, "");
  figure ("sessions held at the end", held, "");
  figure ("sign-ins failed", crowd.failed, "");
  figure ("sign-ins per second", crowd.ready / secs, "/s");
  figure ("server CPU per sign-in", cpu / MAX (1, crowd.ready) * 1e6, "us");
  figure ("server memory per idle session", (rss1 - rss0) * 1024.0 / MAX (1, held), "bytes");
  load_figures (&s, &load, "");
  json_builder_end_object (results);
  crowd_free (&crowd);
  server_stop (&s);
}

/* ---- fan-out ------------------------------------------------------------------- */

typedef struct {
  Crowd     *crowd;
  GArray    *latency;    /* seconds, post to delivery, every delivery */
  guint8    *seen;       /* a bit per slot and sequence number */
  guint64    delivered, expected, duplicates;
  guint      sent, acked, failed, total;
  gint64     start, last_progress;
  guint64    last_delivered;
} Fanout;

static guint
fanout_room (guint slot)
{
  return slot % opt.rooms;
}

/* "bench ROOM SEQ SENT_US" in a grpchat: a delivery. */
static void
fanout_delivery (LeanClient *c, const char *body, gsize len, gpointer data)
{
  Fanout *f = data;
  const char *p = lean_find (body, len, "<chat>bench ");
  if (p == NULL)
    return;
  char *end;
  p += strlen ("<chat>bench ");
  strtoul (p, &end, 10);
  guint seq = (guint) strtoul (end, &end, 10);
  gint64 sent = g_ascii_strtoll (end, NULL, 10);
  double lat = (g_get_monotonic_time () - sent) / 1e6;
  g_array_append_val (f->latency, lat);
  f->delivered++;
  guint64 bit = (guint64) slot_of (c) * opt.posts + MIN (seq, (guint) opt.posts - 1);
  if (f->seen[bit / 8] & (1 << (bit % 8)))
    f->duplicates++;
  f->seen[bit / 8] |= 1 << (bit % 8);
}

static void
fanout_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  Fanout *f = data;
  if (status == 200)
    f->acked++;
  else if (f->failed++ < 3)
    g_printerr ("a post was answered %d\n", status);
}

static void
fanout_feed (gpointer data)
{
  Fanout *f = data;
  /* Keep to the target rate: send what is due by now. */
  gint64 now = g_get_monotonic_time ();
  guint due = MIN (f->total, (guint) ((now - f->start) / 1e6 * opt.rate) + 1);
  while (f->sent < due)
    {
      guint room = f->sent % opt.rooms, seq = f->sent / opt.rooms;
      char text[64], uri[64];
      g_snprintf (text, sizeof text, "bench %u %u %" G_GINT64_FORMAT, room, seq, g_get_monotonic_time ());
      g_snprintf (uri, sizeof uri, "ma-chan://" DOMAIN "/bench-%u", room);
      lean_client_post (f->crowd->clients[room], uri, text);   /* slot ROOM is in room ROOM */
      f->sent++;
      f->last_progress = now;
    }
}

static gboolean
fanout_done (gpointer data)
{
  Fanout *f = data;
  gint64 now = g_get_monotonic_time ();
  if (f->delivered != f->last_delivered)
    {
      f->last_delivered = f->delivered;
      f->last_progress = now;
    }
  if (f->sent < f->total)
    return FALSE;
  if (f->delivered >= f->expected && f->acked + f->failed >= f->total)
    return TRUE;
  /* Stop waiting once nothing more was sent or arrived for 30 s. */
  return now - f->last_progress > 30 * G_USEC_PER_SEC;
}

static void
scenario_fanout (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  guint n = (guint) (opt.rooms * opt.room_size);
  g_print ("fan-out: %d rooms of %d sessions, %d posts per room at %d posts/s overall\n",
           opt.rooms, opt.room_size, opt.posts, opt.rate);
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, &s, n);
  if (crowd.ready < n || crowd_join (&crowd, fanout_room) > 0)
    g_error ("only %u of %u sessions signed in and joined", crowd.ready, n);

  Fanout f = { &crowd, g_array_sized_new (FALSE, FALSE, sizeof (double), MIN ((guint64) n * opt.posts, 100000000)),
               g_malloc0 ((guint64) n * opt.posts / 8 + 1), 0, (guint64) n * opt.posts, 0,
               0, 0, 0, (guint) (opt.rooms * opt.posts), 0, 0, 0 };
  const LeanCallbacks cb = { .info_answered = fanout_answered, .server_info = fanout_delivery };
  lean_loop_set_callbacks (crowd.loop, &cb, &f);
  double cpu0 = server_cpu_s (&s), sys0 = server_sys_s (&s);
  Load load;
  load_mark (&s, &load);
  f.start = f.last_progress = g_get_monotonic_time ();
  crowd_run (&crowd, fanout_done, fanout_feed, &f, f.start + 600 * G_USEC_PER_SEC);
  /* The rate is over the time deliveries took, without the final wait. */
  double elapsed = (f.last_progress - f.start) / 1e6;
  double cpu = server_cpu_s (&s) - cpu0, sys = server_sys_s (&s) - sys0;
  json_builder_set_member_name (results, "fanout");
  json_builder_begin_object (results);
  figure ("rooms", opt.rooms, "");
  figure ("sessions per room", opt.room_size, "");
  figure ("posts offered per second", opt.rate, "/s");
  figure ("posts acknowledged (durable)", f.acked, "");
  figure ("deliveries", f.delivered, "");
  figure ("deliveries lost", f.expected - MIN (f.expected, f.delivered), "");
  figure ("deliveries duplicated", f.duplicates, "");
  figure ("sessions the server dropped", lean_loop_n_dropped (crowd.loop), "");
  figure ("delivered messages per second", f.delivered / MAX (elapsed, 1e-3), "/s");
  figure ("post-to-delivery p50", percentile (f.latency, 0.50) * 1000, "ms");
  figure ("post-to-delivery p99", percentile (f.latency, 0.99) * 1000, "ms");
  figure ("post-to-delivery p999", percentile (f.latency, 0.999) * 1000, "ms");
  figure ("server CPU per delivery", cpu / MAX (1, f.delivered) * 1e6, "us");
  figure ("server CPU per delivery in the kernel", sys / MAX (1, f.delivered) * 1e6, "us");
  figure ("server CPU busy", cpu / MAX (elapsed, 1e-3) * 100, "%");
  double self = load_figures (&s, &load, "");
  figure ("bench CPU per delivery", self / MAX (1, f.delivered) * 1e6, "us");
  json_builder_end_object (results);
  g_array_unref (f.latency);
  g_free (f.seen);
  crowd_free (&crowd);
  server_stop (&s);
}

/* ---- history --------------------------------------------------------------------- */

typedef struct {
  Crowd      *crowd;
  const char *data;       /* the bccontext request */
  gint64     *sent_at;    /* by slot */
  GArray     *latency;    /* seconds */
  guint64     count, errors;
  gint64      deadline;
  guint       in_flight, msgs_first;
} History;

static void
history_send (History *h, LeanClient *c)
{
  if (g_get_monotonic_time () >= h->deadline)
    return;
  h->sent_at[slot_of (c)] = g_get_monotonic_time ();
  lean_client_command (c, "cmd:bccontext", h->data);
  h->in_flight++;
}

static void
history_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  History *h = data;
  if (status == 200)
    return;
  /* Refused: no XCCOS reply follows. */
  h->errors++;
  h->in_flight--;
  history_send (h, c);
}

static void
history_replied (LeanClient *c, const char *body, gsize len, gpointer data)
{
  History *h = data;
  if (lean_find (body, len, "<rpl id=\"rpl:bccontext\"") == NULL)
    return;
  double lat = (g_get_monotonic_time () - h->sent_at[slot_of (c)]) / 1e6;
  g_array_append_val (h->latency, lat);
  h->in_flight--;
  if (lean_find (body, len, "<resp code=\"200\"") == NULL)
    h->errors++;
  else
    h->count++;
  if (h->count == 1)
    for (const char *p = body; (p = lean_find (p, body + len - p, "<msg ")) != NULL; p++)
      h->msgs_first++;
  history_send (h, c);
}

static gboolean
history_done (gpointer data)
{
  History *h = data;
  return h->in_flight == 0 && g_get_monotonic_time () >= h->deadline;
}

static void
history_run (Server *s, Crowd *crowd, const char *label, const char *last_attrs)
{
  g_autofree char *data = g_strdup_printf ("<chanib uri=\"ma-chan://" DOMAIN "/bench-history\"/><bcq><last %s/></bcq>",
                                           last_attrs);
  g_autofree gint64 *sent_at = g_new0 (gint64, crowd->n);
  double cpu0 = server_cpu_s (s);
  Load load;
  load_mark (s, &load);
  gint64 t0 = g_get_monotonic_time ();
  History h = { crowd, data, sent_at, g_array_new (FALSE, FALSE, sizeof (double)), 0, 0,
                t0 + (gint64) opt.seconds * G_USEC_PER_SEC, 0, 0 };
  const LeanCallbacks cb = { .info_answered = history_answered, .server_info = history_replied };
  lean_loop_set_callbacks (crowd->loop, &cb, &h);
  for (guint i = 0; i < crowd->n; i++)
    if (crowd->clients[i] != NULL)
      history_send (&h, crowd->clients[i]);
  crowd_run (crowd, history_done, NULL, &h, h.deadline + 60 * G_USEC_PER_SEC);
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  double cpu = server_cpu_s (s) - cpu0;
  g_autofree char *a = g_strdup_printf ("%s requests per second", label);
  g_autofree char *b = g_strdup_printf ("%s latency p50", label);
  g_autofree char *c = g_strdup_printf ("%s latency p99", label);
  g_autofree char *d = g_strdup_printf ("%s messages per reply", label);
  g_autofree char *e = g_strdup_printf ("%s errors", label);
  figure (a, h.count / elapsed, "/s");
  figure (b, percentile (h.latency, 0.5) * 1000, "ms");
  figure (c, percentile (h.latency, 0.99) * 1000, "ms");
  figure (d, h.msgs_first, "");
  figure (e, h.errors, "");
  g_autofree char *f = g_strdup_printf ("%s server CPU per request", label);
  g_autofree char *g = g_strdup_printf ("%s server CPU busy", label);
  g_autofree char *prefix = g_strconcat (label, " ", NULL);
  figure (f, cpu / MAX (1, h.count) * 1e6, "us");
  figure (g, cpu / elapsed * 100, "%");
  load_figures (s, &load, prefix);
  g_array_unref (h.latency);
}

static void
scenario_history (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  g_print ("history: a room of %d messages, %d clients, %d s each\n", opt.history_msgs, opt.history_clients, opt.seconds);
  g_printerr ("(seeding and start took %.1f s)\n", (g_get_monotonic_time () - t0) / 1e6);
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, &s, (guint) opt.history_clients);
  json_builder_set_member_name (results, "history");
  json_builder_begin_object (results);
  figure ("messages in the room", opt.history_msgs, "");
  history_run (&s, &crowd, "bccontext last 30:", "cnt=\"30\"");
  g_autofree char *deep = g_strdup_printf ("cnt=\"30\" before=\"%d\"", opt.history_msgs / 2);
  history_run (&s, &crowd, "bccontext 30 deep in the room:", deep);
  json_builder_end_object (results);
  crowd_free (&crowd);
  server_stop (&s);
}

/* ---- durable posts ----------------------------------------------------------------- */

#define MAX_WINDOW 64

typedef struct {
  guint32 cseq[MAX_WINDOW];
  gint64  sent[MAX_WINDOW];
} Poster;

typedef struct {
  Crowd  *crowd;
  Poster *posters;     /* by slot */
  GArray *latency;     /* seconds, post to its SIP 200 */
  guint64 acked, refused, in_flight;
  gint64  deadline;
} Durable;

static guint
durable_room (guint slot)
{
  return slot;   /* a room each: one delivery per post, the poster's own */
}

static void
durable_send (Durable *d, LeanClient *c, guint i)
{
  if (g_get_monotonic_time () >= d->deadline)
    return;
  guint slot = slot_of (c);
  char text[48], uri[64];
  g_snprintf (text, sizeof text, "durable %u %" G_GUINT64_FORMAT, slot, d->acked);
  g_snprintf (uri, sizeof uri, "ma-chan://" DOMAIN "/bench-%u", durable_room (slot));
  d->posters[slot].sent[i] = g_get_monotonic_time ();
  d->posters[slot].cseq[i] = lean_client_post (c, uri, text);
  d->in_flight++;
}

static void
durable_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  Durable *d = data;
  Poster *p = &d->posters[slot_of (c)];
  for (guint i = 0; i < (guint) durable_window; i++)
    if (p->cseq[i] == cseq)
      {
        d->in_flight--;
        p->cseq[i] = 0;
        if (status == 200)
          {
            double lat = (g_get_monotonic_time () - p->sent[i]) / 1e6;
            g_array_append_val (d->latency, lat);
            d->acked++;
          }
        else if (d->refused++ < 3)
          g_printerr ("a post was answered %d\n", status);
        durable_send (d, c, i);
        return;
      }
}

static gboolean
durable_done (gpointer data)
{
  Durable *d = data;
  return d->in_flight == 0 && g_get_monotonic_time () >= d->deadline;
}

static void
scenario_durable (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  durable_window = CLAMP (durable_window, 1, MAX_WINDOW);
  guint n = (guint) durable_posters;
  g_print ("durable posts: %u posters, each in a room of its own with %d posts in flight, %d s\n",
           n, durable_window, opt.seconds);
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, &s, n);
  if (crowd.ready < n || crowd_join (&crowd, durable_room) > 0)
    g_error ("only %u of %u posters signed in and joined", crowd.ready, n);
  Durable d = { &crowd, g_new0 (Poster, n), g_array_new (FALSE, FALSE, sizeof (double)), 0, 0, 0, 0 };
  const LeanCallbacks cb = { .info_answered = durable_answered };
  lean_loop_set_callbacks (crowd.loop, &cb, &d);
  double cpu0 = server_cpu_s (&s);
  Load load;
  load_mark (&s, &load);
  gint64 t0 = g_get_monotonic_time ();
  d.deadline = t0 + (gint64) opt.seconds * G_USEC_PER_SEC;
  for (guint i = 0; i < n; i++)
    for (guint w = 0; w < (guint) durable_window; w++)
      durable_send (&d, crowd.clients[i], w);
  crowd_run (&crowd, durable_done, NULL, &d, d.deadline + 60 * G_USEC_PER_SEC);
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  double cpu = server_cpu_s (&s) - cpu0;
  json_builder_set_member_name (results, "durable");
  json_builder_begin_object (results);
  figure ("posters", n, "");
  figure ("posts in flight per poster", durable_window, "");
  figure ("posts acknowledged", d.acked, "");
  figure ("posts refused", d.refused, "");
  figure ("sessions the server dropped", lean_loop_n_dropped (crowd.loop), "");
  figure ("durable posts per second", d.acked / elapsed, "/s");
  figure ("post to acknowledgement p50", percentile (d.latency, 0.5) * 1000, "ms");
  figure ("post to acknowledgement p99", percentile (d.latency, 0.99) * 1000, "ms");
  figure ("server CPU per post", cpu / MAX (1, d.acked) * 1e6, "us");
  figure ("server CPU busy", cpu / elapsed * 100, "%");
  load_figures (&s, &load, "");
  json_builder_end_object (results);
  g_array_unref (d.latency);
  g_free (d.posters);
  crowd_free (&crowd);
  server_stop (&s);
}

/* ---- main ------------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "perchd", 0, 0, G_OPTION_ARG_FILENAME, &opt.perchd, "The server to measure (default: the one built beside this)", "PATH" },
    { "scenario", 's', 0, G_OPTION_ARG_STRING, &opt.scenario, "signin, fanout, history, durable, search, overload, mixed or all (default all)", "NAME" },
    { "users", 0, 0, G_OPTION_ARG_INT, &opt.users, "Accounts to seed (1000)", "N" },
    { "sessions", 0, 0, G_OPTION_ARG_INT, &opt.sessions, "Sign-in storm: sessions (2000)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &opt.window, "Sign-ins in flight at once (200)", "N" },
    { "room-size", 0, 0, G_OPTION_ARG_INT, &opt.room_size, "Fan-out: sessions per room (150)", "N" },
    { "rooms", 0, 0, G_OPTION_ARG_INT, &opt.rooms, "Fan-out: rooms (2)", "N" },
    { "posts", 0, 0, G_OPTION_ARG_INT, &opt.posts, "Fan-out: posts per room (200)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &opt.rate, "Fan-out: posts per second overall (1000)", "N" },
    { "history-messages", 0, 0, G_OPTION_ARG_INT, &opt.history_msgs, "History: messages in the room (100000)", "N" },
    { "history-clients", 0, 0, G_OPTION_ARG_INT, &opt.history_clients, "History: concurrent clients (20)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &opt.seconds, "History, durable: seconds per measurement (5)", "N" },
    { "posters", 0, 0, G_OPTION_ARG_INT, &durable_posters, "Durable: posting sessions, a room each (100)", "N" },
    { "posts-in-flight", 0, 0, G_OPTION_ARG_INT, &durable_window, "Durable: posts in flight per poster (8)", "N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt.json, "Also write the figures as JSON here", "FILE" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt.keep, "Keep the data dirs", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- measure perchd");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, bench_search_entries, NULL);
  g_option_context_add_main_entries (context, bench_overload_entries, NULL);
  g_option_context_add_main_entries (context, bench_mixed_entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("perch-bench: %s\n", error->message);
      return 2;
    }
  if (opt.scenario == NULL)
    opt.scenario = g_strdup ("all");
  if (opt.perchd == NULL)
    {
      g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
      g_autofree char *dir = self ? g_path_get_dirname (self) : g_strdup (".");
      opt.perchd = g_build_filename (dir, "..", "src", "perchd", "perchd", NULL);
    }
  struct rlimit nofile;
  if (getrlimit (RLIMIT_NOFILE, &nofile) == 0)
    {
      nofile.rlim_cur = nofile.rlim_max;
      setrlimit (RLIMIT_NOFILE, &nofile);
    }
  results = json_builder_new ();
  json_builder_begin_object (results);
  g_autofree char *host = g_strdup (g_get_host_name ());
  json_builder_set_member_name (results, "cpus");
  json_builder_add_int_value (results, g_get_num_processors ());
  gboolean all = g_str_equal (opt.scenario, "all");
  if (all || g_str_equal (opt.scenario, "signin"))
    scenario_signin ();
  if (all || g_str_equal (opt.scenario, "fanout"))
    scenario_fanout ();
  if (all || g_str_equal (opt.scenario, "history"))
    scenario_history ();
  if (all || g_str_equal (opt.scenario, "durable"))
    scenario_durable ();
  if (all || g_str_equal (opt.scenario, "search"))
    scenario_search ();
  if (all || g_str_equal (opt.scenario, "overload"))
    scenario_overload ();
  if (all || g_str_equal (opt.scenario, "mixed"))
    scenario_mixed ();
  json_builder_end_object (results);
  if (opt.json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (results);
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      json_generator_set_pretty (gen, TRUE);
      json_generator_set_root (gen, root);
      if (!json_generator_to_file (gen, opt.json, &error))
        g_printerr ("perch-bench: %s\n", error->message);
    }
  g_object_unref (results);
  return 0;
}
