/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-console-compliance.c: perch-console's Compliance page against its own
 * embedded demo server (compliance on, the XML adapter writing into the
 * demo's data dir), under a virtual display (tests/perch-test-console.h):
 * the queue as GET /compliance tells it, the pending events paged, a post
 * over XCCOS raising the count, "Run Now" leading to a run the page and the
 * server show, and the server's refusals shown in its words (a user who is
 * not an administrator is refused the whole page). */
#include "config.h"

#include <string.h>

#include "perch-compliance-event.h"
#include "perch-compliance-page.h"
#include "perch-test-console.h"

#define TIMEOUT_MS PERCH_TEST_CONSOLE_TIMEOUT_MS

typedef struct {
  PerchConsoleFixture *f;
  PerchCompliancePage *page;
  JsonObject          *status;       /* the server's last answer, when it matched */
  gboolean             events_too;   /* every pending event must be loaded as well */
} Matching;

static const char *
label_text (PerchCompliancePage *page, const char *id)
{
  return gtk_label_get_text (GTK_LABEL (perch_test_get_by_id (GTK_WIDGET (page), id)));
}

static gint64
status_int (JsonObject *status, const char *member)
{
  return json_object_get_int_member (status, member);
}

/* The page shows what GET /compliance says now: pending, the oldest, and
 * (when asked) every pending event loaded, page by page. When it does not,
 * the page is refreshed and the next try waits for its answer. */
static gboolean
page_matches_server (gpointer data)
{
  Matching *m = data;
  if (perch_compliance_page_get_loading (m->page))
    return FALSE;
  g_autoptr(JsonNode) node = perch_test_console_get (m->f, "/compliance");
  JsonObject *status = json_node_get_object (node);
  g_autofree char *pending = g_strdup_printf ("%" G_GINT64_FORMAT, status_int (status, "pending"));
  const char *oldest = json_object_get_null_member (status, "oldest_pending")
                         ? NULL : json_object_get_string_member (status, "oldest_pending");
  g_autofree char *oldest_text = perch_compliance_format_time (oldest, "None");
  gboolean matches = g_strcmp0 (label_text (m->page, "pending_label"), pending) == 0 &&
                     g_strcmp0 (label_text (m->page, "oldest_label"), oldest_text) == 0;
  if (matches && m->events_too)
    {
      GListModel *events = perch_compliance_page_get_events (m->page);
      /* Loading the next pages is the view's doing, as it shows the rows. */
      if (g_list_model_get_n_items (events) != (guint) status_int (status, "pending"))
        return FALSE;
    }
  if (!matches)
    {
      gtk_widget_activate_action (GTK_WIDGET (m->page), "page.refresh", NULL);
      return FALSE;
    }
  g_clear_pointer (&m->status, json_object_unref);
  m->status = json_object_ref (status);
  return TRUE;
}

static void
assert_page_matches (Matching *m)
{
  if (!perch_test_wait (page_matches_server, m, TIMEOUT_MS))
    {
      g_autoptr(JsonNode) status = perch_test_console_get (m->f, "/compliance");
      g_autofree char *server = json_to_string (status, FALSE);
      g_autofree char *labels = perch_test_labels_of (GTK_WIDGET (m->page));
      g_error ("the Compliance page (%s, %u events loaded) does not show what the server holds: %s; it shows:%s",
               perch_compliance_page_get_loading (m->page) ? "loading" : "loaded",
               g_list_model_get_n_items (perch_compliance_page_get_events (m->page)), server, labels);
    }
}

static PerchCompliancePage *
show_page (PerchConsoleFixture *f)
{
  perch_console_window_show_page (f->window, "compliance");
  GtkWidget *page = perch_console_window_get_page (f->window, "compliance");
  g_assert_true (PERCH_IS_COMPLIANCE_PAGE (page));
  return PERCH_COMPLIANCE_PAGE (page);
}

static gboolean
action_disabled (gpointer data)
{
  GtkWidget *button = perch_test_get_by_id (data, "run_button");
  return !gtk_widget_is_sensitive (button);
}

static gboolean
action_enabled (gpointer data)
{
  return !action_disabled (data);
}

typedef struct {
  PerchConsoleFixture *f;
  gint64               after_run;   /* a run newer than this */
} RunWanted;

/* The server's newest run is newer than AFTER_RUN and has ended. */
static gboolean
server_run_done (gpointer data)
{
  RunWanted *wanted = data;
  g_autoptr(JsonNode) node = perch_test_console_get (wanted->f, "/compliance");
  JsonObject *status = json_node_get_object (node);
  JsonArray *runs = json_object_get_array_member (status, "runs");
  if (json_object_get_boolean_member (status, "running") || json_array_get_length (runs) == 0)
    return FALSE;
  JsonObject *newest = json_array_get_object_element (runs, 0);
  return json_object_get_int_member (newest, "id") > wanted->after_run &&
         g_strcmp0 (json_object_get_string_member (newest, "state"), "planned") != 0;
}

static gboolean
dir_has_xml (gpointer path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".xml"))
      return TRUE;
  return FALSE;
}

/* The demo's queue as the server holds it, the events paged; bob's post
 * raises the count; Run Now hands everything to the XML adapter and the run
 * shows on the page and on the server. */
static void
test_compliance_page (PerchConsoleFixture *f, gconstpointer data)
{
  PerchCompliancePage *page = show_page (f);
  /* Small pages, so the demo's few events take several. */
  perch_compliance_page_set_events_page_size (page, 3);
  gtk_widget_activate_action (GTK_WIDGET (page), "page.refresh", NULL);

  Matching m = { f, page, NULL, TRUE };
  assert_page_matches (&m);
  gint64 before = status_int (m.status, "pending");
  g_assert_cmpint (before, >=, 8);   /* General's demo history, at least */
  g_assert_true (json_object_get_boolean_member (m.status, "enabled"));
  JsonObject *by_type = json_object_get_object_member (m.status, "pending_by_type");
  g_autofree char *chats = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (by_type, "CHAT"));
  GtkWidget *types = perch_test_get_by_id (GTK_WIDGET (page), "types_row");
  perch_test_assert_shows (types, (const char *const[]) { "CHAT", chats, "Messages posted", NULL });
  perch_test_assert_shows (GTK_WIDGET (page), (const char *const[]) { "On", NULL });
  g_assert_true (action_enabled (page));

  /* The events, oldest first, as the server pages them. */
  GListModel *events = perch_compliance_page_get_events (page);
  g_assert_cmpuint (g_list_model_get_n_items (events), ==, (guint) before);
  g_autoptr(JsonNode) first_page = perch_test_console_get (f, "/compliance/events?limit=1");
  JsonObject *first = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (first_page), "items"), 0);
  g_autoptr(PerchComplianceEvent) event = g_list_model_get_item (events, 0);
  g_assert_cmpint (perch_compliance_event_get_id (event), ==, json_object_get_int_member (first, "id"));
  g_assert_cmpstr (perch_compliance_event_get_event_type (event), ==, json_object_get_string_member (first, "type"));
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "events_view");
  /* Rooms by name, users without "sip:". */
  perch_test_assert_shows (view, (const char *const[]) { "General", "alice@example.test", "Count me in.", NULL });

  /* The configuration as the server holds it; the places on its disk are
   * shown, not offered for change. */
  GtkWidget *interval = perch_test_get_by_id (GTK_WIDGET (page), "interval_row");
  JsonObject *config = json_object_get_object_member (m.status, "config");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (interval)), ==,
                   json_object_get_string_member (config, "compliance_run_interval"));
  GtkWidget *output_dir = perch_test_get_by_id (GTK_WIDGET (page), "output_dir_row");
  g_assert_false (GTK_IS_EDITABLE (output_dir));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (output_dir)), ==,
                   json_object_get_string_member (m.status, "output_dir"));
  GtkWidget *command = perch_test_get_by_id (GTK_WIDGET (page), "command_row");
  g_assert_false (GTK_IS_EDITABLE (command));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (command)), ==, "Not set");
  g_assert_true (gtk_editable_get_editable (GTK_EDITABLE (interval)));

  /* A post by bob over XCCOS: after a refresh the page counts it. */
  g_autoptr(JsonNode) rooms = perch_test_console_get (f, "/rooms?text=General");
  JsonObject *general = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (rooms), "items"), 0);
  const char *room_uri = json_object_get_string_member (general, "uri");
  PerchClient *bob = perch_test_console_connect (f, "bob@example.test", "bob-demo");
  g_autoptr(GError) error = NULL;
  perch_test_join (bob, room_uri);
  g_assert_true (perch_test_post (bob, room_uri, "For the archive", &error));
  g_assert_no_error (error);
  perch_test_disconnect (bob);
  gtk_widget_activate_action (GTK_WIDGET (page), "page.refresh", NULL);
  assert_page_matches (&m);
  g_assert_cmpint (status_int (m.status, "pending"), >, before);
  perch_test_assert_shows (view, (const char *const[]) { "For the archive", "bob@example.test", NULL });

  perch_test_save_screenshot (GTK_WIDGET (f->window), "compliance");

  /* Run Now: the server runs, hands everything to the XML adapter, and the
   * page shows the run and an empty queue. */
  JsonArray *runs = json_object_get_array_member (m.status, "runs");
  RunWanted wanted = { f, json_array_get_length (runs) > 0
                            ? json_object_get_int_member (json_array_get_object_element (runs, 0), "id") : 0 };
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "compliance.run", NULL));
  g_assert_true (perch_test_wait (server_run_done, &wanted, TIMEOUT_MS));
  g_autoptr(JsonNode) after_node = perch_test_console_get (f, "/compliance");
  JsonObject *after = json_node_get_object (after_node);
  JsonObject *run = json_array_get_object_element (json_object_get_array_member (after, "runs"), 0);
  g_assert_cmpstr (json_object_get_string_member (run, "state"), ==, "done");
  g_assert_cmpint (json_object_get_int_member (run, "events"), >=, status_int (m.status, "pending"));
  g_autofree char *run_title = g_strdup_printf ("Run %" G_GINT64_FORMAT ": Done", json_object_get_int_member (run, "id"));
  GtkWidget *runs_list = perch_test_get_by_id (GTK_WIDGET (page), "runs_list");
  perch_test_assert_shows (runs_list, (const char *const[]) { run_title, NULL });
  assert_page_matches (&m);
  g_assert_false (gtk_widget_get_visible (perch_test_get_by_id (GTK_WIDGET (page), "run_error")));
  /* What bob posted is in the adapter's output, inside the demo's data dir. */
  const char *dir = json_object_get_string_member (after, "output_dir");
  g_assert_true (g_str_has_prefix (dir, f->demo_dir));
  g_assert_true (perch_test_wait (dir_has_xml, (gpointer) dir, TIMEOUT_MS));

  perch_test_save_screenshot (GTK_WIDGET (f->window), "compliance-run");
  g_clear_pointer (&m.status, json_object_unref);
}

/* The server's refusals, in its words, by what was refused: a run while
 * compliance is off (422), a run interval under a minute (400). The
 * service is turned on again from the page. */
static void
test_compliance_refusals (PerchConsoleFixture *f, gconstpointer data)
{
  PerchCompliancePage *page = show_page (f);
  Matching m = { f, page, NULL, FALSE };
  assert_page_matches (&m);
  g_assert_true (action_enabled (page));

  /* Turned off behind the page's back: its Run Now is refused. */
  guint status = 0;
  g_autoptr(JsonNode) off = perch_test_console_http (f, "PATCH", "/config", "{\"compliance_enabled\": false}", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "compliance.run", NULL));
  GtkWidget *run_error = perch_test_get_by_id (GTK_WIDGET (page), "run_error");
  g_assert_true (perch_test_wait (perch_test_widget_visible, run_error, TIMEOUT_MS));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (run_error)), ==,
                   "Could not run: compliance is not enabled: set compliance_enabled to true first");
  /* And the page has read the server again: Run Now is off, and says why. */
  g_assert_true (perch_test_wait (action_disabled, page, TIMEOUT_MS));
  GtkWidget *note = perch_test_get_by_id (GTK_WIDGET (page), "run_note");
  g_assert_true (perch_test_wait (perch_test_widget_visible, note, TIMEOUT_MS));
  GtkWidget *button = perch_test_get_by_id (GTK_WIDGET (page), "run_button");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Compliance is off: turn it on under Configuration first");
  GtkWidget *enabled = perch_test_get_by_id (GTK_WIDGET (page), "enabled_switch");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (enabled)));
  perch_test_assert_shows (GTK_WIDGET (page), (const char *const[]) { "Off", NULL });
  perch_test_save_screenshot (GTK_WIDGET (f->window), "compliance-off");

  /* A run interval the server does not take: its message, by the field. */
  GtkWidget *interval = perch_test_get_by_id (GTK_WIDGET (page), "interval_row");
  gtk_editable_set_text (GTK_EDITABLE (interval), "10");
  g_signal_emit_by_name (interval, "apply");
  GtkWidget *config_error = perch_test_get_by_id (GTK_WIDGET (page), "config_error");
  g_assert_true (perch_test_wait (perch_test_widget_visible, config_error, TIMEOUT_MS));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (config_error)), ==,
                   "Run Interval (seconds): compliance_run_interval must be a whole number from 60 to 2592000");
  g_assert_true (gtk_widget_has_css_class (interval, "error"));
  g_autoptr(JsonNode) config = perch_test_console_get (f, "/config");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (config), "compliance_run_interval"), ==, "900");
  /* Corrected, it is taken. */
  gtk_editable_set_text (GTK_EDITABLE (interval), "600");
  g_signal_emit_by_name (interval, "apply");
  g_assert_true (perch_test_wait (perch_test_widget_hidden, config_error, TIMEOUT_MS));
  g_autoptr(JsonNode) config2 = perch_test_console_get (f, "/config");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (config2), "compliance_run_interval"), ==, "600");
  g_assert_false (gtk_widget_has_css_class (interval, "error"));

  /* Turned on from the page: the server has it on, and Run Now is back. */
  gtk_switch_set_active (GTK_SWITCH (enabled), TRUE);
  g_assert_true (perch_test_wait (action_enabled, page, TIMEOUT_MS));
  g_autoptr(JsonNode) on = perch_test_console_get (f, "/compliance");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (on), "enabled"));
  g_assert_false (gtk_widget_get_visible (note));
  g_assert_false (gtk_widget_get_visible (run_error));
  g_clear_pointer (&m.status, json_object_unref);
}

static gboolean
shows_unavailable (gpointer data)
{
  GtkWidget *unavailable = perch_test_get_by_id (data, "unavailable_page");
  return gtk_widget_get_mapped (unavailable) &&
         adw_status_page_get_description (ADW_STATUS_PAGE (unavailable)) != NULL;
}

/* Not an administrator: the page says so in the server's words (403). */
static void
test_compliance_not_admin (PerchConsoleFixture *f, gconstpointer data)
{
  PerchConnection *alice = perch_connection_new (perch_connection_get_base_url (f->connection), NULL, FALSE,
                                                 "alice@example.test", "alice-demo");
  g_autoptr(GAsyncResult) result = NULL;
  perch_connection_connect_async (alice, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_connection_connect_finish (alice, result, &error));
  g_assert_no_error (error);
  g_assert_false (perch_connection_get_admin (alice));

  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  g_object_ref (window);
  GtkWidget *page = g_object_new (PERCH_TYPE_COMPLIANCE_PAGE, "connection", alice, NULL);
  gtk_window_set_child (window, page);
  gtk_window_present (window);
  g_assert_true (perch_test_wait (shows_unavailable, page, TIMEOUT_MS));
  GtkWidget *unavailable = perch_test_get_by_id (page, "unavailable_page");
  g_assert_cmpstr (adw_status_page_get_description (ADW_STATUS_PAGE (unavailable)), ==,
                   "only administrators may see the compliance queue");

  perch_compliance_page_set_connection (PERCH_COMPLIANCE_PAGE (page), NULL);
  gtk_window_destroy (window);
  g_assert_true (perch_test_wait (perch_test_only_our_reference, window, TIMEOUT_MS));
  g_assert_finalize_object (window);
  g_clear_object (&result);
  perch_connection_close_async (alice, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, TIMEOUT_MS);
  g_assert_true (perch_connection_close_finish (alice, result, NULL));
  g_clear_object (&result);
  g_assert_true (perch_test_wait (perch_test_only_our_reference, alice, TIMEOUT_MS));
  g_assert_finalize_object (alice);
}

int
main (int argc, char *argv[])
{
  if (!perch_test_console_init (&argc, &argv))
    return g_test_run ();

  perch_test_console_add ("compliance-page", NULL, test_compliance_page);
  perch_test_console_add ("compliance-refusals", NULL, test_compliance_refusals);
  perch_test_console_add ("compliance-not-admin", NULL, test_compliance_not_admin);

  return perch_test_console_run ();
}
