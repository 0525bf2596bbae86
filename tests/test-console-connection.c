/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-console-connection.c: perch-console's connection to a real perchd
 * that goes away and comes back, under a virtual display.
 *
 * The console connects through the start page's form (plain HTTP and SIP
 * over TCP, as an administrator). perchd is killed: the window shows the
 * lost-connection bar and its pages go insensitive. perchd comes back on the
 * same ports: the console signs in again by itself, the bar goes, the pages
 * work again (the Rooms page lists a room made while it was away) and the
 * History page is live in its room again. A disconnect while the server is
 * away ends the retries for good. Then the SIP over TLS certificate: pinned
 * to the one accepted for the HTTPS service, and asked about when it is not
 * the one accepted for the SIP address.
 *
 * The backoff is shortened through the connection's retry delays (its
 * properties), never by sleeping: every wait spins the main context until a
 * condition holds. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-history-page.h"
#include "perch-message-item.h"
#include "perch-room-item.h"
#include "perch-room-list.h"
#include "perch-rooms-page.h"
#include "perch-test-console.h"

#define TIMEOUT_MS PERCH_TEST_CONSOLE_TIMEOUT_MS

/* ---- helpers ---------------------------------------------------------------- */

/* A window connected through the form to SERVER's HTTP service at URL,
 * with SIP at SIP (TLS when SIP_TLS); the connection, once up. */
static PerchConsoleWindow *
connect_form (const char *url, const char *sip, gboolean sip_tls)
{
  PerchConsoleWindow *window = g_object_ref (perch_console_window_new (perch_test_console_app));
  gtk_window_present (GTK_WINDOW (window));
  GtkWidget *start = perch_test_get_by_id (GTK_WIDGET (window), "start_page");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "url_row")), url);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "sip_row")), sip);
  gtk_switch_set_active (GTK_SWITCH (perch_test_get_by_id (start, "sip_tls_switch")), sip_tls);
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "user_row")), "admin@example.test");
  gtk_editable_set_text (GTK_EDITABLE (perch_test_get_by_id (start, "password_row")), "admin-demo");
  g_assert_true (gtk_widget_activate_action (start, "start.connect", NULL));
  return window;
}

static gboolean
state_is (gpointer data)
{
  PerchConnection *connection = data;
  return perch_connection_get_state (connection) ==
         GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (connection), "wanted-state"));
}

static void
wait_state (PerchConnection *connection, PerchConnectionState state)
{
  g_object_set_data (G_OBJECT (connection), "wanted-state", GUINT_TO_POINTER (state));
  if (!perch_test_wait (state_is, connection, TIMEOUT_MS))
    g_error ("the connection is in state %d, not %d", perch_connection_get_state (connection), state);
}

static gboolean
revealed (gpointer revealer)
{
  return gtk_revealer_get_reveal_child (revealer) && gtk_revealer_get_child_revealed (revealer);
}

static gboolean
concealed (gpointer revealer)
{
  return !gtk_revealer_get_reveal_child (revealer);
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
} RoomWanted;

static gboolean
room_listed (gpointer data)
{
  RoomWanted *wanted = data;
  if (!rooms_loaded (wanted->page))
    return FALSE;
  GListModel *rooms = G_LIST_MODEL (perch_rooms_page_get_rooms (wanted->page));
  for (guint i = 0; i < g_list_model_get_n_items (rooms); i++)
    {
      g_autoptr(PerchRoomItem) item = g_list_model_get_item (rooms, i);
      if (item != NULL && g_strcmp0 (perch_room_item_get_name (item), wanted->name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Selects General once the History page has its rooms. */
static gboolean
general_selected (gpointer page)
{
  return perch_history_page_select_room (page, "General");
}

static gboolean
history_live (gpointer page)
{
  return perch_history_page_get_live (page) && !perch_history_page_get_loading (page);
}

typedef struct {
  PerchHistoryPage *page;
  const char       *text;
} MessageWanted;

static gboolean
message_shown (gpointer data)
{
  MessageWanted *wanted = data;
  GListModel *messages = perch_history_page_get_messages (wanted->page);
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(PerchMessageItem) item = g_list_model_get_item (messages, i);
      if (g_strcmp0 (perch_message_item_get_content (item), wanted->text) == 0)
        return TRUE;
    }
  return FALSE;
}

/* The test's own bearer token for SERVER's HTTP service at BASE. */
static char *
login (SoupSession *http, const char *base)
{
  const char *body = "{\"user\":\"admin@example.test\",\"password\":\"admin-demo\"}";
  g_autoptr(PerchTestHttpReply) reply = perch_test_http (http, base, "POST", "/api/v1/login", NULL, body,
                                                         strlen (body), "application/json",
                                                         PERCH_TEST_HTTP_DEFAULT, TIMEOUT_MS);
  g_assert_cmpuint (reply->status, ==, 200);
  return g_strdup (json_object_get_string_member (reply->obj, "token"));
}

/* ---- lost and back ------------------------------------------------------------ */

/* perchd killed under a connected console: the bar, insensitive pages and
 * disabled actions; back on the same ports: reconnected without a hand
 * lifted, the bar gone, the pages working, the History page live again. */
static void
test_lost_and_back (void)
{
  PerchTestServer *server = perch_test_server_start ((const char *const[]) { "--http-listen", "127.0.0.1:0", NULL });
  g_autofree char *url = g_strconcat ("http://", perch_test_server_get (server, "http"), NULL);
  g_autofree char *sip = g_strdup_printf ("%s:%u", server->host, server->sip_port);

  PerchConsoleWindow *window = connect_form (url, sip, FALSE);
  g_assert_true (perch_test_wait (perch_test_is_connected, window, TIMEOUT_MS));
  PerchConnection *connection = perch_console_window_get_connection (window);
  g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  g_assert_nonnull (perch_connection_get_client (connection));
  g_assert_cmpint (perch_connection_get_state (connection), ==, PERCH_CONNECTION_STATE_ONLINE);
  /* Short first steps, so the test does not wait a second per attempt. */
  perch_connection_set_retry_delays (connection, 50, 400);

  GtkWidget *revealer = perch_test_get_by_id (GTK_WIDGET (window), "lost_revealer");
  GtkWidget *view_stack = perch_test_get_by_id (GTK_WIDGET (window), "view_stack");
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  g_assert_true (gtk_widget_get_sensitive (view_stack));

  /* The History page, live in General. */
  perch_console_window_show_page (window, "history");
  PerchHistoryPage *history = PERCH_HISTORY_PAGE (perch_console_window_get_page (window, "history"));
  g_assert_true (perch_test_wait (general_selected, history, TIMEOUT_MS));
  g_assert_true (perch_test_wait (history_live, history, TIMEOUT_MS));
  PerchClient *first_session = perch_connection_get_client (connection);

  /* The Rooms page, loaded. */
  perch_console_window_show_page (window, "rooms");
  PerchRoomsPage *rooms = PERCH_ROOMS_PAGE (perch_console_window_get_page (window, "rooms"));
  g_assert_true (perch_test_wait (rooms_loaded, rooms, TIMEOUT_MS));

  /* Gone: the XCCOS session's socket closes at once. */
  perch_test_server_kill (server);
  g_assert_true (perch_test_wait (revealed, revealer, TIMEOUT_MS));
  g_assert_false (gtk_widget_get_sensitive (view_stack));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (rooms)));
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (history)));
  g_assert_nonnull (perch_connection_get_lost_error (connection));
  PerchConnectionState state = perch_connection_get_state (connection);
  g_assert_true (state == PERCH_CONNECTION_STATE_LOST || state == PERCH_CONNECTION_STATE_RECONNECTING);
  g_assert_null (perch_connection_get_client (connection));
  GtkWidget *label = perch_test_get_by_id (GTK_WIDGET (window), "lost_label");
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (label)), "Connection lost — reconnecting"));
  /* The bar is the one place that says so: an alert for assistive
   * technologies, with a button to try now. */
  GtkWidget *bar = perch_test_get_by_id (GTK_WIDGET (window), "lost_bar");
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (bar)), ==, GTK_ACCESSIBLE_ROLE_ALERT);
  GtkWidget *button = perch_test_get_by_id (GTK_WIDGET (window), "reconnect_button");
  g_assert_true (gtk_widget_get_visible (button));
  /* Attempts fail for as long as the server is away, and are retried. */
  wait_state (connection, PERCH_CONNECTION_STATE_LOST);
  g_assert_cmpint (perch_connection_get_retry_time (connection), >, 0);
  perch_test_save_screenshot (GTK_WIDGET (window), "connection-lost");

  /* Back, on the same ports, with a room the console has not seen. */
  perch_test_server_restart_same_ports (server);
  g_assert_cmpstr (perch_test_server_get (server, "http"), ==, url + strlen ("http://"));
  g_autoptr(SoupSession) http = soup_session_new ();
  g_autofree char *token = login (http, url);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  const char *room = "{\"name\":\"Made While Away\",\"category\":\"Engineering\"}";
  g_autoptr(PerchTestHttpReply) made = perch_test_http (http, url, "POST", "/api/v1/rooms", auth, room,
                                                        strlen (room), "application/json",
                                                        PERCH_TEST_HTTP_DEFAULT, TIMEOUT_MS);
  g_assert_cmpuint (made->status, ==, 201);

  /* Nobody presses anything: the console finds the server again. */
  wait_state (connection, PERCH_CONNECTION_STATE_ONLINE);
  g_assert_true (perch_test_wait (concealed, revealer, TIMEOUT_MS));
  g_assert_true (gtk_widget_get_sensitive (view_stack));
  g_assert_null (perch_connection_get_lost_error (connection));
  g_assert_nonnull (perch_connection_get_client (connection));
  g_assert_true (perch_connection_get_client (connection) != first_session);
  g_assert_true (perch_api_is_signed_in (perch_connection_get_api (connection)));

  /* The pages were refreshed: the new room is listed. */
  RoomWanted wanted = { rooms, "Made While Away" };
  g_assert_true (perch_test_wait (room_listed, &wanted, TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.refresh", NULL));
  g_assert_true (perch_test_wait (room_listed, &wanted, TIMEOUT_MS));

  /* The History page joined General again in the new session: a post by
   * bob arrives live. */
  g_assert_true (perch_test_wait (history_live, history, TIMEOUT_MS));
  PerchClient *bob = perch_test_connect (server, "bob");
  g_autofree char *general = perch_test_find_room (bob, "General");
  g_assert_nonnull (general);
  perch_test_join (bob, general);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (bob, general, "Back again", &error));
  g_assert_no_error (error);
  MessageWanted back = { history, "Back again" };
  g_assert_true (perch_test_wait (message_shown, &back, TIMEOUT_MS));
  perch_test_disconnect (bob);

  perch_test_close_window (window);
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &connection, TIMEOUT_MS));
  perch_test_server_stop (server);
}

/* The server away and the user gives up: Disconnect closes the connection
 * for good, with no attempt left scheduled, and the window is back at the
 * start page. */
static void
test_disconnect_while_lost (void)
{
  PerchTestServer *server = perch_test_server_start ((const char *const[]) { "--http-listen", "127.0.0.1:0", NULL });
  g_autofree char *url = g_strconcat ("http://", perch_test_server_get (server, "http"), NULL);
  g_autofree char *sip = g_strdup_printf ("%s:%u", server->host, server->sip_port);

  PerchConsoleWindow *window = connect_form (url, sip, FALSE);
  g_assert_true (perch_test_wait (perch_test_is_connected, window, TIMEOUT_MS));
  PerchConnection *connection = g_object_ref (perch_console_window_get_connection (window));
  perch_connection_set_retry_delays (connection, 50, 400);

  perch_test_server_kill (server);
  GtkWidget *revealer = perch_test_get_by_id (GTK_WIDGET (window), "lost_revealer");
  g_assert_true (perch_test_wait (revealed, revealer, TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.disconnect", NULL));

  g_assert_null (perch_console_window_get_connection (window));
  g_assert_cmpint (perch_connection_get_state (connection), ==, PERCH_CONNECTION_STATE_CLOSED);
  g_assert_cmpint (perch_connection_get_retry_time (connection), ==, 0);
  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (revealer)));
  GtkStack *main_stack = GTK_STACK (perch_test_get_by_id (GTK_WIDGET (window), "main_stack"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (main_stack), ==, "start");
  /* Asking it to try again changes nothing: closed is closed. */
  perch_connection_reconnect_now (connection);
  g_assert_cmpint (perch_connection_get_state (connection), ==, PERCH_CONNECTION_STATE_CLOSED);

  /* Once closed, only the test holds it: no timer or attempt does. */
  g_assert_true (perch_test_wait (perch_test_only_our_reference, connection, TIMEOUT_MS));
  g_assert_cmpint (perch_connection_get_state (connection), ==, PERCH_CONNECTION_STATE_CLOSED);
  g_assert_finalize_object (connection);

  perch_test_close_window (window);
  perch_test_server_stop (server);
}

/* Demo mode: the in-process server cannot go away, but its chat session
 * can end; the same logic brings it back, by itself and at once when asked. */
static void
test_demo_session_ends (PerchConsoleFixture *f, gconstpointer data)
{
  perch_connection_set_retry_delays (f->connection, 60000, 60000);
  GtkWidget *revealer = perch_test_get_by_id (GTK_WIDGET (f->window), "lost_revealer");
  PerchClient *session = perch_connection_get_client (f->connection);
  g_assert_nonnull (session);
  perch_client_close (session);
  g_assert_cmpint (perch_connection_get_state (f->connection), ==, PERCH_CONNECTION_STATE_LOST);
  g_assert_true (perch_test_wait (revealed, revealer, TIMEOUT_MS));
  GtkWidget *label = perch_test_get_by_id (GTK_WIDGET (f->window), "lost_label");
  /* A minute, less the jitter. */
  const char *text = gtk_label_get_text (GTK_LABEL (label));
  g_test_message ("the bar says: %s", text);
  g_assert_true (g_str_has_prefix (text, "Connection lost — reconnecting in "));
  guint64 seconds = g_ascii_strtoull (text + strlen ("Connection lost — reconnecting in "), NULL, 10);
  g_assert_cmpuint (seconds, >=, 47);
  g_assert_cmpuint (seconds, <=, 60);
  /* A minute is long: Reconnect Now. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.reconnect", NULL));
  wait_state (f->connection, PERCH_CONNECTION_STATE_ONLINE);
  g_assert_true (perch_test_wait (concealed, revealer, TIMEOUT_MS));
  g_assert_nonnull (perch_connection_get_client (f->connection));
  g_assert_true (perch_client_is_connected (perch_connection_get_client (f->connection)));
}

/* ---- the SIP certificate ---------------------------------------------------------- */

static char *
server_fingerprint (PerchTestServer *server)
{
  g_autofree char *path = g_build_filename (server->data_dir, "tls.crt", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (path, &error);
  g_assert_no_error (error);
  return perch_tls_fingerprint (cert);
}

static void
forget_certificates (void)
{
  g_settings_reset (perch_console_get_settings (), "accepted-certificates");
}

/* HTTPS and SIP over TLS with perchd's one self-signed certificate: the one
 * accepted for HTTPS is the one pinned for SIP on that host, and the chat
 * session comes up. A different certificate kept for the SIP address is a
 * mismatch: the connect stops and the console shows the SIP service's
 * certificate; accepted, it is kept under the SIP address and connects. */
static void
test_sip_certificate (void)
{
  forget_certificates ();
  PerchTestServer *server = perch_test_server_start ((const char *const[]) { "--https-listen", "127.0.0.1:0", NULL });
  const char *https = perch_test_server_get (server, "https");
  g_autofree char *url = g_strconcat ("https://", https, NULL);
  g_autofree char *sip = g_strdup_printf ("%s:%u", server->host, server->tls_port);
  g_autofree char *fingerprint = server_fingerprint (server);

  PerchConsoleWindow *window = connect_form (url, sip, TRUE);
  AdwMessageDialog *dialog = perch_test_wait_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), https));
  adw_message_dialog_response (dialog, "accept");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (perch_test_wait (perch_test_is_connected, window, TIMEOUT_MS));
  PerchConnection *connection = perch_console_window_get_connection (window);
  g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  PerchClient *client = perch_connection_get_client (connection);
  g_assert_nonnull (client);
  g_assert_cmpstr (perch_client_get_pinned_certificate (client), ==, fingerprint);
  g_assert_cmpstr (perch_client_get_peer_certificate_fingerprint (client), ==, fingerprint);
  perch_test_close_window (window);
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &connection, TIMEOUT_MS));

  /* Another certificate on record for the SIP address: refused, and shown. */
  const char *wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  GSettings *settings = perch_console_get_settings ();
  g_autoptr(GVariant) accepted = g_settings_get_value (settings, "accepted-certificates");
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  GVariantIter iter;
  const char *key, *value;
  g_variant_iter_init (&iter, accepted);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    g_variant_builder_add (&builder, "{ss}", key, value);
  g_variant_builder_add (&builder, "{ss}", sip, wrong);
  g_settings_set_value (settings, "accepted-certificates", g_variant_builder_end (&builder));

  window = connect_form (url, sip, TRUE);
  dialog = perch_test_wait_dialog ();
  const char *body = adw_message_dialog_get_body (dialog);
  g_assert_nonnull (strstr (body, "chat service"));
  g_assert_nonnull (strstr (body, sip));
  g_assert_nonnull (strstr (body, "not the certificate accepted for this server"));
  g_assert_nonnull (strstr (body, "SHA-256"));
  g_assert_null (perch_console_window_get_connection (window));
  perch_test_save_screenshot (GTK_WIDGET (dialog), "sip-certificate");
  adw_message_dialog_response (dialog, "accept");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (perch_test_wait (perch_test_is_connected, window, TIMEOUT_MS));
  connection = perch_console_window_get_connection (window);
  g_object_add_weak_pointer (G_OBJECT (connection), (gpointer *) &connection);
  g_assert_nonnull (perch_connection_get_client (connection));
  g_clear_pointer (&accepted, g_variant_unref);
  accepted = g_settings_get_value (settings, "accepted-certificates");
  const char *kept = NULL;
  g_assert_true (g_variant_lookup (accepted, sip, "&s", &kept));
  g_assert_cmpstr (kept, ==, fingerprint);

  perch_test_close_window (window);
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &connection, TIMEOUT_MS));
  perch_test_server_stop (server);
  forget_certificates ();
}

int
main (int argc, char *argv[])
{
  if (!perch_test_console_init (&argc, &argv))
    return g_test_run ();

  g_test_add_func ("/perch/console/connection/lost-and-back", test_lost_and_back);
  g_test_add_func ("/perch/console/connection/disconnect-while-lost", test_disconnect_while_lost);
  g_test_add_func ("/perch/console/connection/sip-certificate", test_sip_certificate);
  perch_test_console_add ("connection/demo-session-ends", NULL, test_demo_session_ends);

  return perch_test_console_run ();
}
