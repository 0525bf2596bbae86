/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench.c: measured speed and scale of perchd.
 *
 * Seeds a data dir through the store, starts the real perchd on loopback,
 * and drives it over SIP/XCCOS with many clients from this one process (the
 * client library runs on the same epoll poller as the server, so a few
 * thousand sessions cost no thread each). Prints a table and, with --json,
 * the same figures as JSON.
 *
 *   perch-bench [--scenario signin|fanout|history|all] [options]
 */
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

#include "perch-client.h"
#include "perch-common.h"
#include "perch-sip-digest.h"
#include "perch-store.h"

#define DOMAIN "example.test"

typedef struct {
  char    *perchd;
  char    *scenario;
  gint     users;          /* accounts to seed */
  gint     sessions;       /* sign-in storm: concurrent sessions */
  gint     window;         /* sign-ins in flight at once */
  gint     room_size;      /* fan-out: sessions per room */
  gint     rooms;          /* fan-out: rooms */
  gint     posts;          /* fan-out: posts per room */
  gint     rate;           /* fan-out: posts per second overall */
  gint     history_msgs;   /* history: messages in the room */
  gint     history_clients;
  gint     seconds;        /* history: duration */
  char    *json;
  gboolean keep;
} Options;

static Options opt = {
  .users = 1000, .sessions = 2000, .window = 200, .room_size = 150, .rooms = 2, .posts = 200,
  .rate = 1000, .history_msgs = 100000, .history_clients = 20, .seconds = 5,
};

static JsonBuilder *results;

/* ---- the server under test --------------------------------------------------- */

typedef struct {
  GSubprocess *proc;
  char        *dir;
  guint16      sip_port;
  GPid         pid;
} Server;

static gboolean
seed (const char *dir, GError **error)
{
  g_autofree char *db = g_build_filename (dir, "perch.db", NULL);
  g_autoptr(PerchStore) store = perch_store_open_sqlite (db, error);
  if (store == NULL || !perch_store_config_set (store, "domain", DOMAIN, error) ||
      !perch_store_config_set (store, "enable_persistent_chat", "true", error) ||
      /* A load test posts faster than people: the per-session limit would
       * measure itself, not the server. */
      !perch_store_config_set (store, "commands_per_second", "10000000", error) ||
      !perch_store_config_set (store, "participant_update_limit", "75", error))
    return FALSE;
  for (int i = 0; i < opt.users; i++)
    {
      g_autofree char *uri = g_strdup_printf ("sip:u%d@" DOMAIN, i);
      g_autofree char *account = g_strdup_printf ("u%d@" DOMAIN, i);
      g_autofree char *ha1 = perch_digest_ha1 (account, DOMAIN, "bench-password");
      PerchUser user = { .uri = uri, .display_name = (char *) "", .ha1 = ha1, .enabled = 1 };
      if (!perch_store_user_put (store, &user, error))
        return FALSE;
    }
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();
  g_ptr_array_add (allowed, (char *) "domain:" DOMAIN);
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  PerchCategory cat = { .name = (char *) "Bench", .description = (char *) "", .chat_history = TRUE,
                        .allowed = allowed, .denied = none, .creators = none };
  if (!perch_store_category_create (store, &cat, error))
    return FALSE;
  for (int r = 0; r < MAX (opt.rooms, 1) + 1; r++)
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
  return TRUE;
}

static gboolean
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

static void
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
static gint64
server_rss_kib (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", s->pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  const char *p = strstr (text, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : 0;
}

static double
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

static double
percentile (GArray *samples, double p)
{
  if (samples->len == 0)
    return NAN;
  g_array_sort (samples, cmp_double);
  guint i = (guint) MIN (samples->len - 1, floor (p * samples->len));
  return g_array_index (samples, double, i);
}

static void
figure (const char *name, double value, const char *unit)
{
  g_print ("  %-44s %14.2f %s\n", name, value, unit);
  json_builder_set_member_name (results, name);
  json_builder_add_double_value (results, value);
}

static void
spin_until (gboolean *flag, gint64 deadline_us)
{
  while (!*flag && g_get_monotonic_time () < deadline_us)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- sign-in ------------------------------------------------------------------ */

typedef struct {
  Server     *server;
  GPtrArray  *clients;    /* signed in */
  gint        next, in_flight, failed, target;
  gboolean    done;
} Storm;

static void storm_more (Storm *st);

static void
storm_connected (GObject *source, GAsyncResult *result, gpointer data)
{
  Storm *st = data;
  g_autoptr(GError) error = NULL;
  st->in_flight--;
  if (perch_client_connect_finish (PERCH_CLIENT (source), result, &error))
    g_ptr_array_add (st->clients, g_object_ref (source));
  else
    {
      if (st->failed++ < 3)
        g_printerr ("sign-in failed: %s\n", error->message);
    }
  g_object_unref (source);
  storm_more (st);
}

static void
storm_more (Storm *st)
{
  while (st->in_flight < opt.window && st->next < st->target)
    {
      g_autofree char *user = g_strdup_printf ("u%d@" DOMAIN, st->next % opt.users);
      PerchClient *c = perch_client_new ("127.0.0.1", st->server->sip_port, FALSE, user, "bench-password");
      perch_client_set_timeout (c, 60000);
      st->next++;
      st->in_flight++;
      perch_client_connect_async (c, NULL, storm_connected, st);
    }
  if (st->in_flight == 0 && st->next >= st->target)
    st->done = TRUE;
}

static GPtrArray *
sign_in (Server *server, int n, double *seconds)
{
  Storm st = { server, g_ptr_array_new_with_free_func (g_object_unref), 0, 0, 0, n, FALSE };
  gint64 t0 = g_get_monotonic_time ();
  storm_more (&st);
  spin_until (&st.done, t0 + 600 * G_USEC_PER_SEC);
  *seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (st.failed)
    g_printerr ("%d sign-ins failed\n", st.failed);
  return st.clients;
}

static void
scenario_signin (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  g_print ("sign-in storm: %d sessions, %d in flight\n", opt.sessions, opt.window);
  gint64 rss0 = server_rss_kib (&s);
  double cpu0 = server_cpu_s (&s), secs;
  g_autoptr(GPtrArray) clients = sign_in (&s, opt.sessions, &secs);
  gint64 rss1 = server_rss_kib (&s);
  json_builder_set_member_name (results, "signin");
  json_builder_begin_object (results);
  figure ("sessions signed in", clients->len, "");
  figure ("sign-ins per second", clients->len / secs, "/s");
  figure ("server CPU per sign-in", (server_cpu_s (&s) - cpu0) / MAX (1, clients->len) * 1e6, "us");
  figure ("server memory per idle session", (rss1 - rss0) * 1024.0 / MAX (1, clients->len), "bytes");
  json_builder_end_object (results);
  g_ptr_array_set_size (clients, 0);
  server_stop (&s);
}

/* ---- fan-out ------------------------------------------------------------------- */

typedef struct {
  GArray  *latency;     /* seconds, post to delivery, every delivery */
  guint64  delivered;
  guint64  expected;
  GHashTable *seen;     /* "client:room:seq" duplicates check, bounded by the run */
  guint64  duplicates;
} Deliveries;

typedef struct {
  Deliveries *d;
  guint       id;
} Receiver;

static void
on_post (PerchClient *client, const char *room, const char *author, const char *text,
         const char *ts, const char *msgid, Receiver *r)
{
  /* "bench ROOM SEQ SENT_US" */
  guint room_i = 0, seq = 0;
  gint64 sent = 0;
  if (sscanf (text, "bench %u %u %" G_GINT64_FORMAT, &room_i, &seq, &sent) != 3)
    return;
  double lat = (g_get_monotonic_time () - sent) / 1e6;
  g_array_append_val (r->d->latency, lat);
  r->d->delivered++;
  char key[64];
  g_snprintf (key, sizeof key, "%u:%u:%u", r->id, room_i, seq);
  if (!g_hash_table_add (r->d->seen, g_strdup (key)))
    r->d->duplicates++;
}

typedef struct {
  GPtrArray *posters;   /* one client per room */
  GPtrArray *rooms;     /* room URIs */
  guint      sent, acked, failed, total;
  gint64     start;
  gboolean   all_sent;
} Feeder;

static void
post_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Feeder *f = data;
  g_autoptr(GError) error = NULL;
  if (perch_client_post_finish (PERCH_CLIENT (source), result, &error))
    f->acked++;
  else if (f->failed++ < 3)
    g_printerr ("post failed: %s\n", error->message);
}

static gboolean
feed (gpointer data)
{
  Feeder *f = data;
  /* Keep to the target rate: send what is due by now. */
  double elapsed = (g_get_monotonic_time () - f->start) / 1e6;
  guint due = MIN (f->total, (guint) (elapsed * opt.rate) + 1);
  while (f->sent < due)
    {
      guint room = f->sent % f->rooms->len;
      guint seq = f->sent / f->rooms->len;
      g_autofree char *text = g_strdup_printf ("bench %u %u %" G_GINT64_FORMAT, room, seq, g_get_monotonic_time ());
      perch_client_post_async (g_ptr_array_index (f->posters, room), g_ptr_array_index (f->rooms, room), text,
                               NULL, post_done, f);
      f->sent++;
    }
  if (f->sent >= f->total)
    {
      f->all_sent = TRUE;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
join_done (GObject *source, GAsyncResult *result, gpointer data)
{
  guint *pending = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (PERCH_CLIENT (source), result, &error);
  if (reply == NULL)
    g_printerr ("join failed: %s\n", error->message);
  (*pending)--;
}

static gboolean
counter_zero (guint *n)
{
  return *n == 0;
}

static void
scenario_fanout (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&s, &error))
    g_error ("%s", error->message);
  int n = opt.rooms * opt.room_size;
  g_print ("fan-out: %d rooms of %d sessions, %d posts per room at %d posts/s overall\n",
           opt.rooms, opt.room_size, opt.posts, opt.rate);
  double secs;
  g_autoptr(GPtrArray) clients = sign_in (&s, n, &secs);
  if ((int) clients->len < n)
    g_error ("only %u of %d sessions signed in", clients->len, n);
  g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func (g_free);
  for (int r = 0; r < opt.rooms; r++)
    g_ptr_array_add (rooms, g_strdup_printf ("ma-chan://" DOMAIN "/bench-%d", r));
  Deliveries d = { g_array_sized_new (FALSE, FALSE, sizeof (double), (guint) MIN ((gint64) n * opt.posts, 50000000)),
                   0, (guint64) n * opt.posts, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), 0 };
  g_autofree Receiver *receivers = g_new0 (Receiver, n);
  guint pending = n;
  for (int i = 0; i < n; i++)
    {
      PerchClient *c = g_ptr_array_index (clients, i);
      receivers[i].d = &d;
      receivers[i].id = i;
      g_signal_connect (c, "post", G_CALLBACK (on_post), &receivers[i]);
      g_autofree char *data = perch_client_build_join_data (g_ptr_array_index (rooms, i % opt.rooms));
      perch_client_command_async (c, "cmd:join", data, NULL, join_done, &pending);
    }
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (!counter_zero (&pending) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  Feeder f = { g_ptr_array_new (), rooms, 0, 0, 0, (guint) (opt.rooms * opt.posts), g_get_monotonic_time (), FALSE };
  for (int r = 0; r < opt.rooms; r++)
    g_ptr_array_add (f.posters, g_ptr_array_index (clients, r));  /* client r is in room r */
  double cpu0 = server_cpu_s (&s);
  gint64 t0 = g_get_monotonic_time ();
  g_timeout_add (1, feed, &f);
  deadline = t0 + 600 * G_USEC_PER_SEC;
  while ((d.delivered < d.expected || f.acked + f.failed < f.total) && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, TRUE);
      /* Stop waiting once nothing more arrives for 5 s after the last post. */
      if (f.all_sent && f.acked + f.failed == f.total && g_get_monotonic_time () - t0 > 5 * G_USEC_PER_SEC &&
          d.delivered < d.expected)
        {
          gint64 quiet = g_get_monotonic_time ();
          guint64 before = d.delivered;
          while (g_get_monotonic_time () - quiet < 5 * G_USEC_PER_SEC && d.delivered < d.expected)
            g_main_context_iteration (NULL, FALSE);
          if (d.delivered == before)
            break;
        }
    }
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  double cpu = server_cpu_s (&s) - cpu0;
  json_builder_set_member_name (results, "fanout");
  json_builder_begin_object (results);
  figure ("rooms", opt.rooms, "");
  figure ("sessions per room", opt.room_size, "");
  figure ("posts acknowledged (durable)", f.acked, "");
  figure ("deliveries", d.delivered, "");
  figure ("deliveries lost", d.expected - MIN (d.expected, d.delivered), "");
  figure ("deliveries duplicated", d.duplicates, "");
  figure ("delivered messages per second", d.delivered / elapsed, "/s");
  figure ("post-to-delivery p50", percentile (d.latency, 0.50) * 1000, "ms");
  figure ("post-to-delivery p99", percentile (d.latency, 0.99) * 1000, "ms");
  figure ("post-to-delivery p999", percentile (d.latency, 0.999) * 1000, "ms");
  figure ("server CPU per delivery", cpu / MAX (1, d.delivered) * 1e6, "us");
  json_builder_end_object (results);
  g_array_unref (d.latency);
  g_hash_table_unref (d.seen);
  g_ptr_array_unref (f.posters);
  g_ptr_array_set_size (clients, 0);
  server_stop (&s);
}

/* ---- history --------------------------------------------------------------------- */

typedef struct {
  PerchClient *client;
  char        *data;
  GArray      *latency;
  guint64     *count;
  gint64       deadline;
  gint64       sent_at;
  gboolean     stopped;
} Looper;

static void loop_send (Looper *l);

static void
loop_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Looper *l = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (PERCH_CLIENT (source), result, &error);
  if (reply == NULL)
    g_printerr ("history failed: %s\n", error->message);
  double lat = (g_get_monotonic_time () - l->sent_at) / 1e6;
  g_array_append_val (l->latency, lat);
  (*l->count)++;
  loop_send (l);
}

static void
loop_send (Looper *l)
{
  if (g_get_monotonic_time () >= l->deadline)
    {
      l->stopped = TRUE;
      return;
    }
  l->sent_at = g_get_monotonic_time ();
  perch_client_command_async (l->client, "cmd:bccontext", l->data, NULL, loop_done, l);
}

static void
history_run (GPtrArray *clients, const char *label, const char *last_attrs)
{
  const char *uri = "ma-chan://" DOMAIN "/bench-history";
  GArray *latency = g_array_new (FALSE, FALSE, sizeof (double));
  guint64 count = 0;
  gint64 t0 = g_get_monotonic_time ();
  g_autofree Looper *loopers = g_new0 (Looper, clients->len);
  for (guint i = 0; i < clients->len; i++)
    {
      loopers[i] = (Looper) { g_ptr_array_index (clients, i),
                              g_strdup_printf ("<chanib uri=\"%s\"/><bcq><last %s/></bcq>", uri, last_attrs),
                              latency, &count, t0 + (gint64) opt.seconds * G_USEC_PER_SEC, 0, FALSE };
      loop_send (&loopers[i]);
    }
  for (;;)
    {
      gboolean all = TRUE;
      for (guint i = 0; i < clients->len; i++)
        all = all && loopers[i].stopped;
      if (all)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  g_autofree char *a = g_strdup_printf ("%s requests per second", label);
  g_autofree char *b = g_strdup_printf ("%s latency p50", label);
  g_autofree char *c = g_strdup_printf ("%s latency p99", label);
  figure (a, count / elapsed, "/s");
  figure (b, percentile (latency, 0.5) * 1000, "ms");
  figure (c, percentile (latency, 0.99) * 1000, "ms");
  for (guint i = 0; i < clients->len; i++)
    g_free (loopers[i].data);
  g_array_unref (latency);
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
  double secs;
  g_autoptr(GPtrArray) clients = sign_in (&s, opt.history_clients, &secs);
  json_builder_set_member_name (results, "history");
  json_builder_begin_object (results);
  figure ("messages in the room", opt.history_msgs, "");
  history_run (clients, "bccontext last 30:", "cnt=\"30\"");
  g_autofree char *deep = g_strdup_printf ("cnt=\"30\" before=\"%d\"", opt.history_msgs / 2);
  history_run (clients, "bccontext 30 deep in the room:", deep);
  json_builder_end_object (results);
  g_ptr_array_set_size (clients, 0);
  server_stop (&s);
}

/* ---- main ------------------------------------------------------------------------- */

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "perchd", 0, 0, G_OPTION_ARG_FILENAME, &opt.perchd, "The server to measure (default: the one built beside this)", "PATH" },
    { "scenario", 's', 0, G_OPTION_ARG_STRING, &opt.scenario, "signin, fanout, history or all (default all)", "NAME" },
    { "users", 0, 0, G_OPTION_ARG_INT, &opt.users, "Accounts to seed (1000)", "N" },
    { "sessions", 0, 0, G_OPTION_ARG_INT, &opt.sessions, "Sign-in storm: sessions (2000)", "N" },
    { "window", 0, 0, G_OPTION_ARG_INT, &opt.window, "Sign-ins in flight at once (200)", "N" },
    { "room-size", 0, 0, G_OPTION_ARG_INT, &opt.room_size, "Fan-out: sessions per room (150)", "N" },
    { "rooms", 0, 0, G_OPTION_ARG_INT, &opt.rooms, "Fan-out: rooms (2)", "N" },
    { "posts", 0, 0, G_OPTION_ARG_INT, &opt.posts, "Fan-out: posts per room (200)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_INT, &opt.rate, "Fan-out: posts per second overall (1000)", "N" },
    { "history-messages", 0, 0, G_OPTION_ARG_INT, &opt.history_msgs, "History: messages in the room (100000)", "N" },
    { "history-clients", 0, 0, G_OPTION_ARG_INT, &opt.history_clients, "History: concurrent clients (20)", "N" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &opt.seconds, "History: seconds per measurement (5)", "N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt.json, "Also write the figures as JSON here", "FILE" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt.keep, "Keep the data dirs", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- measure perchd");
  g_option_context_add_main_entries (context, entries, NULL);
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
