/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-console-bench.c: the console's Rooms page against a pool of many
 * rooms (issue 5: "fast with 100,000 rooms: model paged from the server,
 * rows recycled").
 *
 * Seeds a data dir with --rooms rooms through the store's bulk path, starts
 * the real perchd on loopback, and shows perch-console's Rooms page in a
 * window of its own, connected over HTTP as an administrator. Then it
 * measures what a person would feel:
 *
 *   - the first page: from connecting the page until its rows are drawn;
 *   - search as you type: one room's name typed, until it alone is listed;
 *   - scrolling: the view scrolled down a screen at a time, every frame
 *     timed, with the pages fetched as the end nears, until every room is
 *     in the model; the row widgets alive at the end (they are recycled, so
 *     they stay a screenful however many rooms there are);
 *   - memory: this process's resident memory before and after the whole
 *     list is loaded, per room.
 *
 * Needs a display: run it under xvfb-run (bench/README.md).
 *
 *   perch-console-bench [--rooms N] [--page-size N] [--json FILE] [--perchd PATH] */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <adwaita.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "perch-api.h"
#include "perch-common.h"
#include "perch-connection.h"
#include "perch-room-list.h"
#include "perch-rooms-page.h"
#include "perch-sip-digest.h"
#include "perch-store.h"

#define DOMAIN "example.test"
#define TIMEOUT_US (600 * G_USEC_PER_SEC)

static int      opt_rooms = 100000;
static int      opt_page_size = 0;      /* 0: the console's own */
static char    *opt_json;
static char    *opt_perchd;
static gboolean opt_keep;

static JsonBuilder *results;

static void
figure (const char *name, double value, const char *unit)
{
  g_print ("%-44s %14.1f %s\n", name, value, unit);
  json_builder_set_member_name (results, name);
  json_builder_add_double_value (results, value);
}

/* ---- the pool ------------------------------------------------------------------ */

static gboolean
seed (const char *dir, GError **error)
{
  g_autofree char *db = g_build_filename (dir, "perch.db", NULL);
  g_autoptr(PerchStore) store = perch_store_open_sqlite (db, error);
  if (store == NULL || !perch_store_config_set (store, "domain", DOMAIN, error) ||
      !perch_store_config_set (store, "enable_persistent_chat", "true", error))
    return FALSE;
  g_autofree char *ha1 = perch_digest_ha1 ("admin@" DOMAIN, DOMAIN, "bench-password");
  PerchUser admin = { .uri = (char *) "sip:admin@" DOMAIN, .display_name = (char *) "Admin", .ha1 = ha1,
                      .admin = TRUE, .enabled = 1 };
  if (!perch_store_user_put (store, &admin, error))
    return FALSE;

  static const char *const categories[] = { "Engineering", "Sales", "Support", "Board", "Operations" };
  gint64 category_ids[G_N_ELEMENTS (categories)];
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GPtrArray) everyone = g_ptr_array_new ();
  g_ptr_array_add (everyone, (char *) "domain:" DOMAIN);
  for (guint c = 0; c < G_N_ELEMENTS (categories); c++)
    {
      PerchCategory cat = { .name = (char *) categories[c], .description = (char *) "", .chat_history = TRUE,
                            .allowed = everyone, .denied = none, .creators = none };
      if (!perch_store_category_create (store, &cat, error))
        return FALSE;
      category_ids[c] = cat.id;
    }

  static const char *const topics[] = { "release", "incident", "design", "customer", "planning", "hiring",
                                        "security", "budget", "launch", "research" };
  const int batch = 10000;
  for (int done = 0; done < opt_rooms; done += batch)
    {
      g_autoptr(GPtrArray) rooms = g_ptr_array_new ();
      g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GArray) infos = g_array_sized_new (FALSE, TRUE, sizeof (PerchRoomInfo), batch);
      int n = MIN (batch, opt_rooms - done);
      g_array_set_size (infos, n);
      for (int i = 0; i < n; i++)
        {
          int r = done + i;
          PerchRoomInfo *room = &g_array_index (infos, PerchRoomInfo, i);
          room->name = g_strdup_printf ("%s-%06d", topics[r % G_N_ELEMENTS (topics)], r);
          room->description = g_strdup_printf ("Room %d of the console bench", r);
          g_ptr_array_add (strings, room->name);
          g_ptr_array_add (strings, room->description);
          room->category_id = category_ids[r % G_N_ELEMENTS (categories)];
          room->privacy = (PerchPrivacy) (r % 3);
          room->type = r % 7 == 0 ? PERCH_ROOM_AUDITORIUM : PERCH_ROOM_NORMAL;
          room->invitations = TRUE;
          room->members = none;
          room->managers = none;
          room->presenters = none;
          g_ptr_array_add (rooms, room);
        }
      if (!perch_store_rooms_create (store, (PerchRoomInfo **) rooms->pdata, rooms->len, error))
        return FALSE;
      for (int i = 0; i < n; i++)
        g_free (g_array_index (infos, PerchRoomInfo, i).id);
    }
  return TRUE;
}

typedef struct {
  GSubprocess *proc;
  char        *dir;
  char        *http;   /* "127.0.0.1:PORT" */
} Server;

static gboolean
server_start (Server *s, GError **error)
{
  s->dir = g_dir_make_tmp ("perch-console-bench-XXXXXX", error);
  if (s->dir == NULL)
    return FALSE;
  gint64 t0 = g_get_monotonic_time ();
  if (!seed (s->dir, error))
    return FALSE;
  figure ("seed: rooms created through the bulk path", opt_rooms / ((g_get_monotonic_time () - t0) / 1e6),
          "rooms/s");
  const char *argv[] = { opt_perchd, "--data-dir", s->dir, "--sip-listen", "127.0.0.1:0",
                         "--http-listen", "127.0.0.1:0", NULL };
  s->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  if (s->proc == NULL)
    return FALSE;
  g_autoptr(GDataInputStream) out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, error);
  const char *http = line ? strstr (line, "http=") : NULL;
  if (http == NULL)
    {
      if (error && !*error)
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "perchd did not start");
      return FALSE;
    }
  s->http = g_strndup (http + 5, strcspn (http + 5, " \n"));
  return TRUE;
}

static void
server_stop (Server *s)
{
  if (s->proc != NULL)
    {
      g_subprocess_send_signal (s->proc, SIGTERM);
      g_subprocess_wait (s->proc, NULL, NULL);
      g_clear_object (&s->proc);
    }
  if (s->dir != NULL && !opt_keep)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", s->dir);
      if (system (cmd) != 0)
        g_printerr ("could not remove %s\n", s->dir);
    }
  g_clear_pointer (&s->dir, g_free);
  g_clear_pointer (&s->http, g_free);
}

/* ---- waiting ------------------------------------------------------------------- */

/* Spins the main context until COND holds; FALSE after the deadline. */
static gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_US;
  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

static void
async_ready (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static gboolean
result_arrived (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

typedef struct {
  GtkWidget *widget;
  guint      frames;
  gint64     last_us;
  GArray    *intervals_ms;   /* between frames, while scrolling */
} Frames;

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Frames *f = data;
  gint64 now = g_get_monotonic_time ();
  if (f->intervals_ms != NULL && f->last_us != 0)
    {
      double ms = (now - f->last_us) / 1000.0;
      g_array_append_val (f->intervals_ms, ms);
    }
  f->last_us = now;
  f->frames++;
  return G_SOURCE_CONTINUE;
}

static gboolean
frames_drawn (gpointer data)
{
  Frames *f = data;
  return f->frames >= 2;
}

/* Waits until the window has drawn two more frames. */
static void
wait_drawn (Frames *f)
{
  f->frames = 0;
  gtk_widget_queue_draw (f->widget);
  if (!wait_for (frames_drawn, f))
    g_error ("the window stopped drawing");
}

static GtkWidget *
find_by_id (GtkWidget *root, const char *id)
{
  if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (root)), id) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_id (child, id);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static guint
count_widgets (GtkWidget *root)
{
  guint n = 1;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    n += count_widgets (child);
  return n;
}

/* The rows alive: the children of the list view inside the column view. */
static guint
count_rows (GtkWidget *root)
{
  if (GTK_IS_LIST_VIEW (root))
    {
      guint n = 0;
      for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
        n++;
      return n;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      guint n = count_rows (child);
      if (n > 0)
        return n;
    }
  return 0;
}

static gint64
self_rss_kib (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return 0;
  const char *p = strstr (text, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : 0;
}

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
  guint i = MIN (samples->len - 1, (guint) ceil (p * samples->len) - 1);
  return g_array_index (samples, double, i);
}

/* ---- the Rooms page --------------------------------------------------------------- */

typedef struct {
  PerchRoomList *rooms;
  guint          count;   /* 0: any */
} Wanted;

static gboolean
list_loaded (gpointer data)
{
  Wanted *w = data;
  return perch_room_list_get_loaded (w->rooms) && !perch_room_list_get_loading (w->rooms) &&
         (w->count == 0 || g_list_model_get_n_items (G_LIST_MODEL (w->rooms)) == w->count);
}

static gboolean
first_page_arrived (gpointer data)
{
  return perch_room_list_get_loaded (data) && g_list_model_get_n_items (data) > 0;
}

static gboolean
loading_settled (gpointer data)
{
  return !perch_room_list_get_loading (data);
}

static int
run (void)
{
  results = json_builder_new ();
  json_builder_begin_object (results);
  g_print ("%-44s %14s\n", "figure", "measured");

  Server server = { 0 };
  g_autoptr(GError) error = NULL;
  if (!server_start (&server, &error))
    {
      g_printerr ("perch-console-bench: %s\n", error->message);
      server_stop (&server);
      return 1;
    }

  g_autofree char *url = g_strconcat ("http://", server.http, NULL);
  g_autoptr(PerchConnection) connection = perch_connection_new (url, NULL, FALSE, "admin@" DOMAIN,
                                                                "bench-password");
  g_autoptr(GAsyncResult) result = NULL;
  perch_connection_connect_async (connection, NULL, async_ready, &result);
  if (!wait_for (result_arrived, &result) || !perch_connection_connect_finish (connection, result, &error))
    {
      g_printerr ("perch-console-bench: cannot connect: %s\n", error ? error->message : "timed out");
      server_stop (&server);
      return 1;
    }

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  PerchRoomsPage *page = g_object_new (PERCH_TYPE_ROOMS_PAGE, NULL);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  Frames frames = { .widget = window };
  gtk_widget_add_tick_callback (window, on_tick, &frames, NULL);
  wait_drawn (&frames);

  PerchRoomList *rooms = perch_rooms_page_get_rooms (page);
  if (opt_page_size > 0)
    perch_room_list_set_page_size (rooms, opt_page_size);
  gint64 rss_before = self_rss_kib ();

  /* The server's part: the first page of GET /rooms through the console's
   * own HTTP client, twice (the first also opens the connection). */
  gint64 t0 = 0;
  for (int i = 0; i < 2; i++)
    {
      t0 = g_get_monotonic_time ();
      g_autoptr(GAsyncResult) got = NULL;
      perch_api_get_async (perch_connection_get_api (connection), "/rooms?limit=100", NULL, async_ready, &got);
      if (!wait_for (result_arrived, &got))
        g_error ("GET /rooms never answered");
      g_autoptr(JsonNode) answer = perch_api_get_finish (perch_connection_get_api (connection), got, &error);
      if (answer == NULL)
        g_error ("GET /rooms: %s", error->message);
    }
  figure ("GET /rooms, a page of 100 (server + HTTP)", (g_get_monotonic_time () - t0) / 1000.0, "ms");

  /* The first page, drawn. */
  t0 = g_get_monotonic_time ();
  perch_rooms_page_set_connection (page, connection);
  if (!wait_for (first_page_arrived, rooms))
    g_error ("the first page never came");
  figure ("first page in the model", (g_get_monotonic_time () - t0) / 1000.0, "ms");
  wait_drawn (&frames);
  figure ("first page shown (fetch + layout + 2 frames)", (g_get_monotonic_time () - t0) / 1000.0, "ms");
  /* The rows made beyond the screen ask for the pages after it. */
  Wanted any = { rooms, 0 };
  if (!wait_for (list_loaded, &any))
    g_error ("the pages after the first never came");
  gint64 rss_first = self_rss_kib ();
  guint first_page = g_list_model_get_n_items (G_LIST_MODEL (rooms));

  /* Search as you type: one room's full name, typed in one go. */
  GtkWidget *search = find_by_id (GTK_WIDGET (page), "search_entry");
  g_autofree char *needle = g_strdup_printf ("launch-%06d", opt_rooms / 2 - (opt_rooms / 2) % 10 + 8);
  t0 = g_get_monotonic_time ();
  gtk_editable_set_text (GTK_EDITABLE (search), needle);
  Wanted one = { rooms, 1 };
  if (!wait_for (list_loaded, &one))
    g_error ("search for %s did not find it alone", needle);
  figure ("search as you type: one room in the model", (g_get_monotonic_time () - t0) / 1000.0, "ms");
  wait_drawn (&frames);
  figure ("search as you type: one room found, drawn", (g_get_monotonic_time () - t0) / 1000.0, "ms");
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  Wanted back = { rooms, first_page };
  if (!wait_for (list_loaded, &back))
    g_error ("clearing the search did not bring the first page back");
  wait_drawn (&frames);

  /* Scrolling to the end a screen at a time, every frame timed. */
  GtkWidget *view = find_by_id (GTK_WIDGET (page), "column_view");
  GtkScrollable *scrollable = GTK_SCROLLABLE (view);
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (scrollable);
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (double));
  frames.intervals_ms = intervals;
  frames.last_us = 0;
  guint steps = 0, max_widgets = 0, max_rows = 0, loaded_warm = 0;
  gint64 rss_warm = 0;
  t0 = g_get_monotonic_time ();
  while (perch_room_list_get_has_more (rooms) || gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) < gtk_adjustment_get_upper (adjustment) - 1)
    {
      gtk_adjustment_set_value (adjustment,
                                gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment));
      wait_drawn (&frames);
      if (!wait_for (loading_settled, rooms))
        g_error ("a page never came");
      steps++;
      if (steps == 32)
        {
          /* Rows, styles and glyphs are all made by now: from here on
           * memory grows with the rooms in the model only. */
          rss_warm = self_rss_kib ();
          loaded_warm = g_list_model_get_n_items (G_LIST_MODEL (rooms));
        }
      if (steps % 64 == 0)
        {
          max_widgets = MAX (max_widgets, count_widgets (view));
          max_rows = MAX (max_rows, count_rows (view));
        }
      if (g_get_monotonic_time () - t0 > TIMEOUT_US)
        g_error ("scrolling to the end took over %d s", (int) (TIMEOUT_US / G_USEC_PER_SEC));
    }
  double scroll_s = (g_get_monotonic_time () - t0) / 1e6;
  frames.intervals_ms = NULL;
  guint loaded = g_list_model_get_n_items (G_LIST_MODEL (rooms));
  max_widgets = MAX (max_widgets, count_widgets (view));
  max_rows = MAX (max_rows, count_rows (view));
  if (loaded != (guint) opt_rooms)
    g_error ("scrolled to the end with %u of %d rooms in the model", loaded, opt_rooms);
  figure ("scroll to the end: screens scrolled", steps, "");
  figure ("scroll to the end: time", scroll_s, "s");
  figure ("scroll to the end: rooms per second", loaded / scroll_s, "rooms/s");
  figure ("frame interval while scrolling p50", percentile (intervals, 0.50), "ms");
  figure ("frame interval while scrolling p99", percentile (intervals, 0.99), "ms");
  figure ("row widgets alive at most (recycled)", max_rows, "");
  figure ("widgets in the view at most", max_widgets, "");
  gint64 rss_after = self_rss_kib ();
  figure ("console memory: the page, first page shown", (rss_first - rss_before) / 1024.0, "MiB");
  figure ("console memory: all rooms loaded", (rss_after - rss_before) / 1024.0, "MiB");
  if (loaded > loaded_warm && rss_warm > 0)
    figure ("console memory per room in the model", (rss_after - rss_warm) * 1024.0 / (loaded - loaded_warm),
            "bytes");

  gtk_window_destroy (GTK_WINDOW (window));
  g_autoptr(GAsyncResult) closed = NULL;
  perch_connection_close_async (connection, NULL, async_ready, &closed);
  wait_for (result_arrived, &closed);
  server_stop (&server);

  json_builder_end_object (results);
  if (opt_json != NULL)
    {
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = json_builder_get_root (results);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      if (!json_generator_to_file (gen, opt_json, &error))
        g_printerr ("perch-console-bench: %s\n", error->message);
    }
  g_clear_object (&results);
  return 0;
}

int
main (int argc, char **argv)
{
  static const GOptionEntry entries[] = {
    { "rooms", 0, 0, G_OPTION_ARG_INT, &opt_rooms, "Rooms in the pool (default 100000)", "N" },
    { "page-size", 0, 0, G_OPTION_ARG_INT, &opt_page_size, "Rooms per page asked of the server (default: the console's)", "N" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt_json, "Also write the figures to FILE as JSON", "FILE" },
    { "perchd", 0, 0, G_OPTION_ARG_FILENAME, &opt_perchd, "The perchd to measure against", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the data dir", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— the console's Rooms page against many rooms");
  g_option_context_add_main_entries (context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("perch-console-bench: %s\n", error->message);
      return 2;
    }
  if (opt_rooms < 1)
    {
      g_printerr ("perch-console-bench: --rooms must be at least 1\n");
      return 2;
    }
  if (opt_perchd == NULL)
    opt_perchd = g_strdup (PERCHD_PATH);
  if (!gtk_init_check ())
    {
      g_printerr ("perch-console-bench: no display (run it under xvfb-run)\n");
      return 2;
    }
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  return run ();
}
