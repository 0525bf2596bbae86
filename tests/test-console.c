/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-console.c: perch-console against its own embedded demo server, under
 * a virtual display: connecting (demo mode, the connect form, an untrusted
 * certificate), the application's windows, and the Pool, Rooms, Categories
 * and Users pages, and the people picker's users, groups and domains. Each case drives the window as a user would (actions,
 * entries, the people picker), checks what its widgets show and, with HTTP
 * requests of its own, what the server now holds; then closes the window and
 * checks that the window, the connection and the demo server's data are all
 * gone (tests/perch-test-console.h). The History page has test-console-history.c.
 *
 * Screenshots of each page are written to $PERCH_SCREENSHOT_DIR (the build
 * directory) as console-<page>.png. Nothing sleeps: every wait spins the
 * main context until a condition holds. */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-categories-page.h"
#include "perch-demo-server.h"
#include "perch-people-editor.h"
#include "perch-people-picker.h"
#include "perch-pool-page.h"
#include "perch-principal.h"
#include "perch-room-editor.h"
#include "perch-room-item.h"
#include "perch-room-list.h"
#include "perch-rooms-page.h"
#include "perch-users-page.h"
#include "perch-test-console.h"

#define TIMEOUT_MS PERCH_TEST_CONSOLE_TIMEOUT_MS

static PerchRoomsPage *
show_rooms (PerchConsoleFixture *f)
{
  perch_console_window_show_page (f->window, "rooms");
  PerchRoomsPage *page = PERCH_ROOMS_PAGE (perch_console_window_get_page (f->window, "rooms"));
  g_assert_nonnull (page);
  return page;
}

static gboolean
rooms_loaded (gpointer data)
{
  PerchRoomList *rooms = perch_rooms_page_get_rooms (data);
  return perch_room_list_get_loaded (rooms) && !perch_room_list_get_loading (rooms);
}

typedef struct {
  PerchRoomsPage *page;
  const char     *name;
  guint           count;   /* how many rooms are listed; 0: any number */
} RoomWanted;

static gboolean
room_listed (gpointer data)
{
  RoomWanted *wanted = data;
  PerchRoomList *rooms = perch_rooms_page_get_rooms (wanted->page);
  return rooms_loaded (wanted->page) && perch_room_list_find (rooms, wanted->name) != NULL &&
         (wanted->count == 0 || g_list_model_get_n_items (G_LIST_MODEL (rooms)) == wanted->count);
}

static gboolean
all_pages_loaded (gpointer data)
{
  PerchRoomList *rooms = perch_rooms_page_get_rooms (data);
  return rooms_loaded (data) && !perch_room_list_get_has_more (rooms) &&
         g_list_model_get_n_items (G_LIST_MODEL (rooms)) == 4;
}

static gboolean
categories_loaded (gpointer data)
{
  return g_list_model_get_n_items (perch_rooms_page_get_categories (data)) > 0;
}

/* ---- cases --------------------------------------------------------------------- */

/* The demo pool's rooms, as the model holds them and as the rows show them. */
static void
test_rooms_page (PerchConsoleFixture *f, gconstpointer data)
{
  PerchRoomsPage *page = show_rooms (f);
  g_assert_true (perch_test_wait (rooms_loaded, page, TIMEOUT_MS));

  static const struct { const char *name, *privacy, *type, *category; } expected[] = {
    { "General", "open", "normal", "Engineering" },
    { "Announcements", "open", "auditorium", "Engineering" },
    { "Design", "closed", "normal", "Engineering" },
    { "Mergers", "secret", "normal", "Board" },
  };
  PerchRoomList *rooms = perch_rooms_page_get_rooms (page);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rooms)), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      PerchRoomItem *room = perch_room_list_find (rooms, expected[i].name);
      g_assert_nonnull (room);
      g_assert_cmpstr (perch_room_item_get_privacy (room), ==, expected[i].privacy);
      g_assert_cmpstr (perch_room_item_get_room_type (room), ==, expected[i].type);
      g_assert_cmpstr (perch_room_item_get_category (room), ==, expected[i].category);
      g_assert_false (perch_room_item_get_disabled (room));
    }
  /* Sorted by name by the server, as the Name column says. */
  g_autoptr(PerchRoomItem) first = g_list_model_get_item (G_LIST_MODEL (rooms), 0);
  g_assert_cmpstr (perch_room_item_get_name (first), ==, "Announcements");

  /* The rows show them: names, privacy and type as words. */
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "column_view");
  perch_test_assert_shows (view, (const char *const[]) { "General", "Announcements", "Design", "Mergers", "Open", "Closed",
                                              "Secret", "Auditorium", "Normal", "Board", "Engineering",
                                              "From category", NULL });

  /* Search is the server's: "merg" finds Mergers only. */
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (page), "search_entry")), "merg");
  RoomWanted mergers = { page, "Mergers", 1 };
  g_assert_true (perch_test_wait (room_listed, &mergers, TIMEOUT_MS));
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (page), "search_entry")), "");
  RoomWanted general = { page, "General", G_N_ELEMENTS (expected) };
  g_assert_true (perch_test_wait (room_listed, &general, TIMEOUT_MS));

  /* A filter: closed rooms only. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (perch_test_get_by_id (GTK_WIDGET (page), "privacy_dropdown")), 2);
  RoomWanted design = { page, "Design", 1 };
  g_assert_true (perch_test_wait (room_listed, &design, TIMEOUT_MS));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (perch_test_get_by_id (GTK_WIDGET (page), "privacy_dropdown")), 0);
  g_assert_true (perch_test_wait (room_listed, &general, TIMEOUT_MS));

  perch_test_assert_shows (view, (const char *const[]) { "General", "Mergers", NULL });
  perch_test_save_screenshot (GTK_WIDGET (f->window), "rooms");

  /* Paged: two rooms a page, the next page asked for as rows near the end
   * are bound, until the server says there is no more. */
  perch_room_list_set_page_size (rooms, 2);
  perch_room_list_reload (rooms);
  g_assert_true (perch_test_wait (all_pages_loaded, page, TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (rooms)), ==, G_N_ELEMENTS (expected));
  perch_test_assert_shows (view, (const char *const[]) { "Announcements", "Design", "General", "Mergers", NULL });
}

static PerchRoomEditor *
open_new_room_editor (PerchConsoleFixture *f, PerchRoomsPage *page)
{
  g_assert_true (perch_test_wait (categories_loaded, page, TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-room", NULL));
  PerchRoomEditor *editor = perch_rooms_page_get_editor (page);
  g_assert_nonnull (editor);
  g_assert_null (perch_room_editor_get_room (editor));
  return editor;
}

static gboolean
editor_shows_error (gpointer data)
{
  return perch_room_editor_get_error (data) != NULL;
}

/* editor.save, then the editor closes (it does once the server agreed). */
static void
save_and_wait_closed (PerchRoomEditor *editor)
{
  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *) &editor);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL));
  if (!perch_test_wait (perch_test_pointer_cleared, &editor, TIMEOUT_MS))
    g_error ("the editor stayed open: %s", perch_room_editor_get_error (editor));
}

/* A room made in the editor exists on the server, as it was filled in. */
static void
test_create_room (PerchConsoleFixture *f, gconstpointer data)
{
  PerchRoomsPage *page = show_rooms (f);
  g_assert_true (perch_test_wait (rooms_loaded, page, TIMEOUT_MS));
  PerchRoomEditor *editor = open_new_room_editor (f, page);

  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (editor), "name_row")), "Release Planning");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (editor), "description_row")), "Dates and freezes");
  adw_combo_row_set_selected (ADW_COMBO_ROW (perch_test_get_by_id (GTK_WIDGET (editor), "privacy_row")), 0);  /* open */
  adw_combo_row_set_selected (ADW_COMBO_ROW (perch_test_get_by_id (GTK_WIDGET (editor), "type_row")), 1);     /* auditorium */
  /* Categories are listed by name: Board, Engineering. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (perch_test_get_by_id (GTK_WIDGET (editor), "category_row")), 1);
  perch_test_save_screenshot (GTK_WIDGET (editor), "room-editor");

  save_and_wait_closed (editor);
  RoomWanted wanted = { page, "Release Planning", 0 };
  g_assert_true (perch_test_wait (room_listed, &wanted, TIMEOUT_MS));
  g_assert_null (perch_rooms_page_get_editor (page));

  g_autoptr(JsonNode) node = perch_test_console_get (f, "/rooms/Release%20Planning");
  JsonObject *room = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (room, "description"), ==, "Dates and freezes");
  g_assert_cmpstr (json_object_get_string_member (room, "category"), ==, "Engineering");
  g_assert_cmpstr (json_object_get_string_member (room, "privacy"), ==, "open");
  g_assert_cmpstr (json_object_get_string_member (room, "type"), ==, "auditorium");

  /* The server's refusal is shown in the editor, in its words. */
  editor = open_new_room_editor (f, page);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (editor), "name_row")), "General");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL));
  g_assert_true (perch_test_wait (editor_shows_error, editor, TIMEOUT_MS));
  g_assert_nonnull (strstr (perch_room_editor_get_error (editor), "General"));
  gtk_window_destroy (GTK_WINDOW (editor));
}

static gboolean
picker_found (gpointer data)
{
  GListModel *results = perch_people_picker_get_results (data);
  if (g_list_model_get_n_items (results) != 1)
    return FALSE;
  g_autoptr(PerchPrincipal) first = g_list_model_get_item (results, 0);
  return g_strcmp0 (perch_principal_get_uri (first), "sip:carol@example.test") == 0;
}

/* A member added with the people picker is a member on the server. */
static void
test_add_member (PerchConsoleFixture *f, gconstpointer data)
{
  PerchRoomsPage *page = show_rooms (f);
  RoomWanted design = { page, "Design", 0 };
  g_assert_true (perch_test_wait (room_listed, &design, TIMEOUT_MS));
  g_assert_true (perch_test_wait (categories_loaded, page, TIMEOUT_MS));
  PerchRoomItem *room = perch_room_list_find (perch_rooms_page_get_rooms (page), "Design");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "rooms.edit", "s", perch_room_item_get_id (room)));
  PerchRoomEditor *editor = perch_rooms_page_get_editor (page);
  g_assert_nonnull (editor);
  g_assert_true (perch_room_editor_get_room (editor) == room);
  perch_test_wait_drawn (GTK_WIDGET (editor));

  PerchPeopleEditor *members = PERCH_PEOPLE_EDITOR (perch_test_get_by_id (GTK_WIDGET (editor), "members_editor"));
  perch_test_assert_shows (GTK_WIDGET (members), (const char *const[]) { "alice@example.test", "bob@example.test", NULL });

  /* Open the picker with its button, type, choose the one found. */
  gtk_menu_button_popup (GTK_MENU_BUTTON (perch_test_get_by_id (GTK_WIDGET (members), "add_button")));
  PerchPeoplePicker *picker = perch_people_editor_get_picker (members);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (picker)));
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (picker), "search_entry")), "carol");
  g_assert_true (perch_test_wait (picker_found, picker, TIMEOUT_MS));
  GtkListBox *results = GTK_LIST_BOX (perch_test_get_by_id (GTK_WIDGET (picker), "results_list"));
  perch_test_save_screenshot (GTK_WIDGET (picker), "people-picker");
  gtk_widget_activate (GTK_WIDGET (gtk_list_box_get_row_at_index (results, 0)));

  g_auto(GStrv) people = perch_people_editor_dup_people (members);
  g_assert_true (g_strv_contains ((const char *const *) people, "sip:carol@example.test"));
  perch_test_assert_shows (GTK_WIDGET (members), (const char *const[]) { "carol@example.test", NULL });
  GtkWidget *scrolled = gtk_widget_get_ancestor (GTK_WIDGET (members), GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  graphene_point_t at;
  g_assert_true (gtk_widget_compute_point (GTK_WIDGET (members), gtk_widget_get_first_child (scrolled),
                                           &GRAPHENE_POINT_INIT (0, 0), &at));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_value (adjustment) + at.y - 24);
  perch_test_save_screenshot (GTK_WIDGET (editor), "room-editor-members");

  save_and_wait_closed (editor);

  g_autoptr(JsonNode) node = perch_test_console_get (f, "/rooms/Design");
  g_auto(GStrv) on_server = perch_json_get_strv (json_node_get_object (node), "members");
  g_assert_true (g_strv_contains ((const char *const *) on_server, "sip:carol@example.test"));
  g_assert_true (g_strv_contains ((const char *const *) on_server, "sip:alice@example.test"));
  g_assert_true (g_strv_contains ((const char *const *) on_server, "sip:bob@example.test"));
}

static gboolean
one_server (gpointer data)
{
  return perch_pool_page_get_n_servers (data) == 1;
}

/* The pool's one server with its figures; a refused setting is explained
 * under it, an accepted one reaches the server. */
static void
test_pool_page (PerchConsoleFixture *f, gconstpointer data)
{
  perch_console_window_show_page (f->window, "pool");
  PerchPoolPage *page = PERCH_POOL_PAGE (perch_console_window_get_page (f->window, "pool"));
  g_assert_true (perch_test_wait (one_server, page, TIMEOUT_MS));
  GtkWidget *servers = perch_test_get_by_id (GTK_WIDGET (page), "servers_list");
  /* The console's own XCCOS session is the server's one session. */
  perch_test_assert_shows (servers, (const char *const[]) { "sip:perchd@example.test", "sessions", "1", "uptime", NULL });

  GtkWidget *history = perch_test_get_by_id (GTK_WIDGET (page), "history_row");
  GtkWidget *error_label = perch_test_get_by_id (GTK_WIDGET (page), "config_error");
  perch_test_assert_shows (GTK_WIDGET (page), (const char *const[]) { "Default Chat History", NULL });
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (history)), ==, "30");

  gtk_editable_set_text (GTK_EDITABLE (history), "900");
  g_signal_emit_by_name (history, "apply");
  g_assert_true (perch_test_wait (perch_test_widget_visible, error_label, TIMEOUT_MS));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (error_label)), "from 1 to 500"));
  g_assert_true (gtk_widget_has_css_class (history, "error"));
  perch_test_save_screenshot (GTK_WIDGET (f->window), "pool");

  gtk_editable_set_text (GTK_EDITABLE (history), "40");
  g_signal_emit_by_name (history, "apply");
  g_assert_true (perch_test_wait (perch_test_widget_hidden, error_label, TIMEOUT_MS));
  g_autoptr(JsonNode) config = perch_test_console_get (f, "/config");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (config), "default_chat_history"), ==, "40");
}

/* Disconnecting stops the demo server and removes its data; the window is
 * back at the start page and can connect again. */
static void
test_disconnect (PerchConsoleFixture *f, gconstpointer data)
{
  g_autofree char *first_dir = g_strdup (f->demo_dir);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.disconnect", NULL));
  g_assert_null (perch_console_window_get_connection (f->window));
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &f->connection, TIMEOUT_MS));
  g_assert_true (perch_test_wait (perch_test_path_gone, first_dir, TIMEOUT_MS));

  /* Again, so that the tear-down has a connection to close. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.connect-demo", NULL);
  g_assert_true (perch_test_wait (perch_test_is_connected, f->window, TIMEOUT_MS));
  f->connection = perch_console_window_get_connection (f->window);
  g_object_add_weak_pointer (G_OBJECT (f->connection), (gpointer *) &f->connection);
  g_free (f->demo_dir);
  f->demo_dir = g_path_get_dirname (perch_demo_server_get_data_dir (perch_connection_get_demo_server (f->connection)));
  g_assert_cmpstr (f->demo_dir, !=, first_dir);
}

/* The keyboard shortcuts, the shortcuts window and the about window. */
static void
test_app_windows (void)
{
  static const struct { const char *action, *accel; } accels[] = {
    { "win.refresh", "<Control>r" }, { "win.search", "<Control>f" }, { "win.new-room", "<Control>n" },
    { "app.quit", "<Control>q" }, { "app.shortcuts", "<Control>question" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    {
      g_auto(GStrv) set = gtk_application_get_accels_for_action (GTK_APPLICATION (perch_test_console_app), accels[i].action);
      g_assert_true (g_strv_contains ((const char *const *) set, accels[i].accel));
    }

  PerchConsoleWindow *window = g_object_ref (perch_console_window_new (perch_test_console_app));
  gtk_window_present (GTK_WINDOW (window));
  perch_test_wait_drawn (GTK_WIDGET (window));

  g_action_group_activate_action (G_ACTION_GROUP (perch_test_console_app), "shortcuts", NULL);
  GtkWindow *shortcuts = perch_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  perch_test_wait_drawn (GTK_WIDGET (shortcuts));
  gtk_window_destroy (shortcuts);

  g_action_group_activate_action (G_ACTION_GROUP (perch_test_console_app), "about", NULL);
  GtkWindow *about = perch_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  perch_test_assert_shows (GTK_WIDGET (about), (const char *const[]) { "Perch Console", PACKAGE_VERSION, NULL });
  gtk_window_destroy (about);

  perch_test_close_window (window);
}

static gboolean
label_shows_text (gpointer data)
{
  return gtk_widget_get_visible (data) && *gtk_label_get_text (data) != '\0';
}

/* The connect form, against a server that is not the console's own demo:
 * a wrong password is refused in the server's words; the right one
 * connects over HTTP and XCCOS, and the connection is remembered. */
static void
test_connect_form (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  perch_demo_server_start_async (NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchDemoServer) server = perch_demo_server_start_finish (result, &error);
  g_assert_no_error (error);
  g_autofree char *url = g_strconcat ("http://", perch_demo_server_get_http_address (server), NULL);
  g_autofree char *dir = g_path_get_dirname (perch_demo_server_get_data_dir (server));

  PerchConsoleWindow *window = g_object_ref (perch_console_window_new (perch_test_console_app));
  gtk_window_present (GTK_WINDOW (window));
  GtkWidget *start = perch_test_get_by_id (GTK_WIDGET (window), "start_page");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "url_row")), url);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "sip_row")), perch_demo_server_get_sip_address (server));
  gtk_switch_set_active (GTK_SWITCH (perch_test_get_by_id (start, "sip_tls_switch")), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "user_row")), "admin@example.test");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "password_row")), "not-the-password");
  g_assert_true (gtk_widget_activate_action (start, "start.connect", NULL));

  GtkWidget *error_label = perch_test_get_by_id (start, "error_label");
  g_assert_true (perch_test_wait (label_shows_text, error_label, TIMEOUT_MS));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (error_label)), ==, "wrong user or password");
  g_assert_null (perch_console_window_get_connection (window));

  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "password_row")), "admin-demo");
  g_assert_true (gtk_widget_activate_action (start, "start.connect", NULL));
  g_assert_true (perch_test_wait (perch_test_is_connected, window, TIMEOUT_MS));
  PerchConnection *connection = perch_console_window_get_connection (window);
  g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  g_assert_false (perch_connection_is_demo (connection));
  g_assert_nonnull (perch_connection_get_client (connection));
  g_assert_cmpstr (perch_connection_get_user_uri (connection), ==, "sip:admin@example.test");
  /* The password never goes to GSettings; the rest does. */
  g_autoptr(GVariant) recent = g_settings_get_value (perch_console_get_settings (), "recent-connections");
  g_assert_cmpuint (g_variant_n_children (recent), >=, 1);
  const char *r_url, *r_sip, *r_user;
  gboolean r_tls;
  g_variant_get_child (recent, 0, "(&s&s&sb)", &r_url, &r_sip, &r_user, &r_tls);
  g_assert_cmpstr (r_url, ==, url);
  g_assert_cmpstr (r_user, ==, "admin@example.test");
  g_assert_false (r_tls);
  g_autofree char *printed = g_variant_print (recent, FALSE);
  g_assert_null (strstr (printed, "admin-demo"));

  perch_test_close_window (window);
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &connection, TIMEOUT_MS));
  /* Not the console's demo: the server is still up until stopped here. */
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  perch_demo_server_stop (server);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* perchd over HTTPS with its self-signed demo certificate: the console
 * says the certificate is not trusted and shows its fingerprint; accepted,
 * it connects, and the fingerprint is kept for that server. */
static void
test_certificate (void)
{
  PerchTestServer *server = perch_test_server_start ((const char *const[]) { "--https-listen", "127.0.0.1:0", NULL });
  const char *https = perch_test_server_get (server, "https");
  g_assert_nonnull (https);
  g_autofree char *url = g_strconcat ("https://", https, NULL);
  g_autofree char *sip = g_strdup_printf ("%s:%u", server->host, server->sip_port);

  PerchConsoleWindow *window = g_object_ref (perch_console_window_new (perch_test_console_app));
  gtk_window_present (GTK_WINDOW (window));
  GtkWidget *start = perch_test_get_by_id (GTK_WIDGET (window), "start_page");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "url_row")), url);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "sip_row")), sip);
  gtk_switch_set_active (GTK_SWITCH (perch_test_get_by_id (start, "sip_tls_switch")), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "user_row")), "admin@example.test");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "password_row")), "admin-demo");
  g_assert_true (gtk_widget_activate_action (start, "start.connect", NULL));

  AdwMessageDialog *dialog = perch_test_wait_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Untrusted Certificate");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), https));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "SHA-256"));
  perch_test_save_screenshot (GTK_WIDGET (dialog), "certificate");
  g_assert_null (perch_console_window_get_connection (window));
  adw_message_dialog_response (dialog, "accept");
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_assert_true (perch_test_wait (perch_test_is_connected, window, TIMEOUT_MS));
  PerchConnection *connection = perch_console_window_get_connection (window);
  g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  g_autoptr(GVariant) accepted = g_settings_get_value (perch_console_get_settings (), "accepted-certificates");
  const char *fingerprint = NULL;
  g_assert_true (g_variant_lookup (accepted, https, "&s", &fingerprint));
  g_assert_cmpuint (strlen (fingerprint), ==, 32 * 3 - 1);   /* AB:CD:... */

  perch_test_close_window (window);
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &connection, TIMEOUT_MS));
  perch_test_server_stop (server);
}

/* ---- categories ------------------------------------------------------------ */

static gboolean
categories_page_loaded (gpointer data)
{
  return !perch_categories_page_get_loading (data) && perch_categories_page_get_n_categories (data) == 2;
}

/* The demo's categories are listed; file upload turned on for Board through
 * its switch is what the server then holds; deleting Board, which holds a
 * room, is refused with the server's message. */
static void
test_categories_page (PerchConsoleFixture *f, gconstpointer data)
{
  perch_console_window_show_page (f->window, "categories");
  PerchCategoriesPage *page = PERCH_CATEGORIES_PAGE (perch_console_window_get_page (f->window, "categories"));
  g_assert_true (perch_test_wait (categories_page_loaded, page, TIMEOUT_MS));
  GtkWidget *list = perch_test_get_by_id (GTK_WIDGET (page), "category_list");
  perch_test_assert_shows (list, (const char *const[]) { "Engineering", "Board",
                                              "3 rooms · File upload · Chat history · Invitations",
                                              "1 room · No file upload · Chat history · Invitations", NULL });

  g_assert_true (perch_categories_page_select (page, "Board"));
  GtkWidget *file_upload = perch_test_get_by_id (GTK_WIDGET (page), "file_upload_switch");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (file_upload)));
  GtkWidget *creators = perch_test_get_by_id (GTK_WIDGET (page), "creators_editor");
  perch_test_assert_shows (creators, (const char *const[]) { "Creators", NULL });
  g_auto(GStrv) people = perch_people_editor_dup_people (PERCH_PEOPLE_EDITOR (creators));
  g_assert_cmpuint (g_strv_length (people), ==, 1);

  gtk_switch_set_active (GTK_SWITCH (file_upload), TRUE);
  perch_test_assert_shows (list, (const char *const[]) { "1 room · File upload · Chat history · Invitations", NULL });
  g_autoptr(JsonNode) board = perch_test_console_get (f, "/categories/Board");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (board), "file_upload"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "categories.delete", NULL));
  AdwMessageDialog *dialog = perch_test_wait_dialog ();
  adw_message_dialog_response (dialog, "delete");
  gtk_window_destroy (GTK_WINDOW (dialog));
  GtkWidget *error_label = perch_test_get_by_id (GTK_WIDGET (page), "error_label");
  g_assert_true (perch_test_wait (perch_test_widget_visible, error_label, TIMEOUT_MS));
  g_test_message ("delete refused: %s", gtk_label_get_text (GTK_LABEL (error_label)));
  json_node_unref (perch_test_console_get (f, "/categories/Board")); /* still there */
  perch_test_save_screenshot (GTK_WIDGET (f->window), "categories");
}

typedef struct {
  PerchPeoplePicker *picker;
  const char        *uri;
} PrincipalWanted;

static gboolean
results_have (gpointer data)
{
  PrincipalWanted *wanted = data;
  GListModel *results = perch_people_picker_get_results (wanted->picker);
  for (guint i = 0; i < g_list_model_get_n_items (results); i++)
    {
      g_autoptr(PerchPrincipal) principal = g_list_model_get_item (results, i);
      if (g_strcmp0 (perch_principal_get_uri (principal), wanted->uri) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
picker_settled (gpointer data)
{
  return !perch_people_picker_get_searching (data);
}

/* Opens EDITOR's picker and searches TEXT; waits for the answer. */
static PerchPeoplePicker *
search_picker (PerchPeopleEditor *editor, const char *text)
{
  gtk_menu_button_popup (GTK_MENU_BUTTON (perch_test_get_by_id (GTK_WIDGET (editor), "add_button")));
  PerchPeoplePicker *picker = perch_people_editor_get_picker (editor);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (picker)));
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (GTK_WIDGET (picker), "search_entry")), text);
  perch_people_picker_search (picker, text);
  g_assert_true (perch_test_wait (picker_settled, picker, TIMEOUT_MS));
  return picker;
}

/* Activates the result row of URI, as a click does. */
static void
pick_result (PerchPeoplePicker *picker, const char *uri)
{
  PrincipalWanted wanted = { picker, uri };
  g_assert_true (perch_test_wait (results_have, &wanted, TIMEOUT_MS));
  GListModel *results = perch_people_picker_get_results (picker);
  GtkListBox *list = GTK_LIST_BOX (perch_test_get_by_id (GTK_WIDGET (picker), "results_list"));
  for (guint i = 0; i < g_list_model_get_n_items (results); i++)
    {
      g_autoptr(PerchPrincipal) principal = g_list_model_get_item (results, i);
      if (g_strcmp0 (perch_principal_get_uri (principal), uri) == 0)
        {
          gtk_widget_activate (GTK_WIDGET (gtk_list_box_get_row_at_index (list, (int) i)));
          return;
        }
    }
  g_assert_not_reached ();
}

/* Waits until the server's category NAME lists PRINCIPAL in MEMBER. */
static void
assert_category_lists (PerchConsoleFixture *f, const char *name, const char *member, const char *principal)
{
  g_autofree char *path = g_strconcat ("/categories/", name, NULL);
  for (gint64 end = g_get_monotonic_time () + TIMEOUT_MS * 1000; g_get_monotonic_time () < end;)
    {
      g_autoptr(JsonNode) node = perch_test_console_get (f, path);
      g_auto(GStrv) list = perch_json_get_strv (json_node_get_object (node), member);
      if (g_strv_contains ((const char *const *) list, principal))
        return;
    }
  g_error ("the server's %s of %s never listed %s", member, name, principal);
}

/* A category's allowed members are chosen from everybody in the pool, not
 * from the users it already allows: Alice, whom Board does not allow (its
 * eligible list says so), is offered and added. The pickers offer groups
 * and domains, each shown by its kind: a group made over HTTP is picked
 * into Board's allowed members, and the server holds "group:testers".
 * Creators stay bound to the users Board allows: Bob, denied in Board, is
 * not offered, Alice now is, and so is the group. */
static void
test_category_pickers (PerchConsoleFixture *f, gconstpointer data)
{
  guint status = 0;
  g_autoptr(JsonNode) group = perch_test_console_http (f, "PUT", "/groups/testers",
                                    "{\"members\":[\"sip:alice@example.test\",\"sip:bob@example.test\"]}", &status);
  g_assert_cmpuint (status, ==, 201);
  g_autoptr(JsonNode) eligible = perch_test_console_get (f, "/categories/Board/eligible?text=alice");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (eligible), "items")),
                    ==, 0);

  perch_console_window_show_page (f->window, "categories");
  PerchCategoriesPage *page = PERCH_CATEGORIES_PAGE (perch_console_window_get_page (f->window, "categories"));
  g_assert_true (perch_test_wait (categories_page_loaded, page, TIMEOUT_MS));
  g_assert_true (perch_categories_page_select (page, "Board"));
  PerchPeopleEditor *allowed = PERCH_PEOPLE_EDITOR (perch_test_get_by_id (GTK_WIDGET (page), "allowed_editor"));
  PerchPeopleEditor *creators = PERCH_PEOPLE_EDITOR (perch_test_get_by_id (GTK_WIDGET (page), "creators_editor"));

  PerchPeoplePicker *picker = search_picker (allowed, "alice");
  pick_result (picker, "sip:alice@example.test");
  assert_category_lists (f, "Board", "allowed", "sip:alice@example.test");

  /* Users, groups and domains, told apart by their kind. */
  picker = search_picker (allowed, "e");
  PrincipalWanted testers = { picker, "group:testers" }, domain = { picker, "domain:example.test" };
  g_assert_true (results_have (&testers));
  g_assert_true (results_have (&domain));
  GtkWidget *results = perch_test_get_by_id (GTK_WIDGET (picker), "results_list");
  perch_test_assert_shows (results, (const char *const[]) { "Alice", "alice@example.test", "User", "testers", "Group",
                                                            "example.test", "Domain", NULL });
  perch_test_save_screenshot (GTK_WIDGET (picker), "people-picker-kinds");
  picker = search_picker (allowed, "group:test");
  g_assert_cmpuint (g_list_model_get_n_items (perch_people_picker_get_results (picker)), ==, 1);
  pick_result (picker, "group:testers");
  assert_category_lists (f, "Board", "allowed", "group:testers");
  perch_test_assert_shows (GTK_WIDGET (allowed), (const char *const[]) { "group:testers", "Group", NULL });

  picker = search_picker (creators, "bob");
  PrincipalWanted bob = { picker, "sip:bob@example.test" };
  g_assert_false (results_have (&bob));
  picker = search_picker (creators, "alice");
  PrincipalWanted alice = { picker, "sip:alice@example.test" };
  g_assert_true (results_have (&alice));
  picker = search_picker (creators, "testers");
  testers.picker = picker;
  g_assert_true (results_have (&testers));
  gtk_popover_popdown (GTK_POPOVER (picker));
}

/* ---- users and policies ------------------------------------------------------ */

static gboolean
users_page_loaded (gpointer data)
{
  return !perch_users_page_get_loading (data) && perch_users_page_get_user_row (data, "dave@example.test") != NULL;
}

static gboolean
combo_selected_is (gpointer data)
{
  AdwComboRow *row = data;
  return adw_combo_row_get_selected (row) == GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "wanted"));
}

/* Dave follows the policy (off), so he is not enabled; enabling him through
 * his row is what GET /users/dave@example.test then says. A group made
 * over HTTP is listed with its members after a refresh. */
static void
test_users_page (PerchConsoleFixture *f, gconstpointer data)
{
  guint status = 0;
  g_autoptr(JsonNode) group = perch_test_console_http (f, "PUT", "/groups/testers",
                                    "{\"members\":[\"sip:alice@example.test\",\"sip:bob@example.test\"]}", &status);
  g_assert_cmpuint (status, ==, 201);

  perch_console_window_show_page (f->window, "users");
  PerchUsersPage *page = PERCH_USERS_PAGE (perch_console_window_get_page (f->window, "users"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "page.refresh", NULL));
  g_assert_true (perch_test_wait (users_page_loaded, page, TIMEOUT_MS));
  perch_test_assert_shows (GTK_WIDGET (page), (const char *const[]) { "Dave", "dave@example.test", "Admin",
                                                           "admin@example.test · Administrator",
                                                           "Default (not enabled)", "Enabled",
                                                           "testers", "alice@example.test, bob@example.test",
                                                           NULL });
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (perch_test_get_by_id (GTK_WIDGET (page), "policy_switch"))));
  AdwComboRow *dave = perch_users_page_get_user_row (page, "dave@example.test");
  g_assert_cmpuint (adw_combo_row_get_selected (dave), ==, PERCH_USER_ENABLED_DEFAULT);
  g_autoptr(JsonNode) before = perch_test_console_get (f, "/users/dave@example.test");
  g_assert_true (json_object_get_null_member (json_node_get_object (before), "enabled"));

  adw_combo_row_set_selected (dave, PERCH_USER_ENABLED_YES);
  g_autoptr(JsonNode) after = NULL;
  for (gint64 end = g_get_monotonic_time () + TIMEOUT_MS * 1000; g_get_monotonic_time () < end;)
    {
      g_clear_pointer (&after, json_node_unref);
      after = perch_test_console_get (f, "/users/dave@example.test");
      JsonNode *enabled = json_object_get_member (json_node_get_object (after), "enabled");
      if (enabled != NULL && JSON_NODE_HOLDS_VALUE (enabled) && json_node_get_boolean (enabled))
        break;
    }
  g_assert_true (json_object_get_boolean_member (json_node_get_object (after), "enabled"));
  /* The row shows the server's answer. */
  g_object_set_data (G_OBJECT (dave), "wanted", GUINT_TO_POINTER (PERCH_USER_ENABLED_YES));
  g_assert_true (perch_test_wait (combo_selected_is, dave, TIMEOUT_MS));
  perch_test_save_screenshot (GTK_WIDGET (f->window), "users");
}

/* ---- Korean ------------------------------------------------------------------- */

/* The console in Korean: with LANGUAGE=ko and the catalogue built in po/
 * ($PERCH_LOCALEDIR, which perch-console honours too), a window connected
 * to the demo server shows the Korean labels. LC_ALL=C.UTF-8 is enough for
 * gettext to follow LANGUAGE: no Korean locale need be generated. Runs
 * last, and puts the language back. */
static void
test_korean (void)
{
  const char *localedir = g_getenv ("PERCH_LOCALEDIR");
  g_autofree char *mo = g_build_filename (localedir ? localedir : ".", "ko", "LC_MESSAGES",
                                          GETTEXT_PACKAGE ".mo", NULL);
  if (localedir == NULL || !g_file_test (mo, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no Korean catalogue built (PERCH_LOCALEDIR)");
      return;
    }
  g_autofree char *old_language = g_strdup (g_getenv ("LANGUAGE"));
  g_autofree char *old_lc_all = g_strdup (g_getenv ("LC_ALL"));
  g_setenv ("LANGUAGE", "ko", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_assert_nonnull (setlocale (LC_ALL, ""));
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_assert_cmpstr (_("Rooms"), ==, "대화방");

  PerchConsoleFixture f = { 0 };
  perch_test_console_set_up (&f, NULL);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f.window)), ==, "Perch 콘솔");
  PerchRoomsPage *page = show_rooms (&f);
  g_assert_true (perch_test_wait (rooms_loaded, page, TIMEOUT_MS));
  perch_test_assert_shows (GTK_WIDGET (f.window), (const char *const[]) { "풀", "대화방", "범주", NULL });
  /* Column titles, privacy and type in words; room names are the server's. */
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "column_view");
  perch_test_assert_shows (view, (const char *const[]) { "이름", "범주", "공개 범위", "유형", "마지막 활동", "General",
                                              "Mergers", "공개", "비공개", "비밀", "강당", "일반",
                                              "범주에 따름", NULL });
  perch_test_save_screenshot (GTK_WIDGET (f.window), "rooms-ko");
  perch_test_console_tear_down (&f, NULL);

  if (old_language != NULL)
    g_setenv ("LANGUAGE", old_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  if (old_lc_all != NULL)
    g_setenv ("LC_ALL", old_lc_all, TRUE);
  else
    g_unsetenv ("LC_ALL");
  setlocale (LC_ALL, "");
}

int
main (int argc, char *argv[])
{
  if (!perch_test_console_init (&argc, &argv))
    return g_test_run ();

  g_test_add_func ("/perch/console/app-windows", test_app_windows);
  g_test_add_func ("/perch/console/connect-form", test_connect_form);
  g_test_add_func ("/perch/console/certificate", test_certificate);
  perch_test_console_add ("rooms-page", "screenshot", test_rooms_page);
  perch_test_console_add ("create-room", NULL, test_create_room);
  perch_test_console_add ("add-member", NULL, test_add_member);
  perch_test_console_add ("pool-page", NULL, test_pool_page);
  perch_test_console_add ("categories-page", NULL, test_categories_page);
  perch_test_console_add ("category-pickers", NULL, test_category_pickers);
  perch_test_console_add ("users-page", NULL, test_users_page);
  perch_test_console_add ("disconnect", NULL, test_disconnect);

  /* Last: it changes the language, then puts it back. */
  g_test_add_func ("/perch/console/korean", test_korean);

  return perch_test_console_run ();
}
