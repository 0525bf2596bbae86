/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-console.c: the fixture and widget helpers of the perch-console
 * tests (see perch-test-console.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "perch-api.h"
#include "perch-demo-server.h"
#include "perch-test-console.h"

#define TIMEOUT_MS PERCH_TEST_CONSOLE_TIMEOUT_MS

PerchConsoleApplication *perch_test_console_app;

/* ---- waiting ------------------------------------------------------------------ */

gboolean
perch_test_is_connected (gpointer window)
{
  return perch_console_window_get_connection (window) != NULL;
}

gboolean
perch_test_pointer_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

gboolean
perch_test_path_gone (gpointer path)
{
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
perch_test_only_our_reference (gpointer object)
{
  return G_OBJECT (object)->ref_count == 1;
}

gboolean
perch_test_widget_visible (gpointer widget)
{
  return gtk_widget_get_visible (widget);
}

gboolean
perch_test_widget_hidden (gpointer widget)
{
  return !gtk_widget_get_visible (widget);
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  (*(int *) data)++;
  return G_SOURCE_CONTINUE;
}

static gboolean
two_frames (gpointer data)
{
  return *(int *) data >= 2;
}

void
perch_test_wait_drawn (GtkWidget *widget)
{
  int frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, on_tick, &frames, NULL);
  g_assert_true (perch_test_wait (two_frames, &frames, TIMEOUT_MS));
  gtk_widget_remove_tick_callback (widget, id);
}

/* ---- widgets ------------------------------------------------------------------ */

GtkWidget *
perch_test_find_by_id (GtkWidget *root, const char *id)
{
  const char *own = gtk_buildable_get_buildable_id (GTK_BUILDABLE (root));
  if (g_strcmp0 (own, id) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = perch_test_find_by_id (child, id);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
perch_test_get_by_id (GtkWidget *root, const char *id)
{
  GtkWidget *widget = perch_test_find_by_id (root, id);
  if (widget == NULL)
    g_error ("no widget “%s” under %s", id, G_OBJECT_TYPE_NAME (root));
  return widget;
}

static void
collect_labels (GtkWidget *root, GString *out)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (root)));
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    collect_labels (child, out);
}

char *
perch_test_labels_of (GtkWidget *root)
{
  GString *out = g_string_new ("\n");
  collect_labels (root, out);
  return g_string_free (out, FALSE);
}

typedef struct {
  GtkWidget         *root;
  const char *const *texts;
} LabelsWanted;

static gboolean
shows_labels (gpointer data)
{
  LabelsWanted *wanted = data;
  g_autofree char *labels = perch_test_labels_of (wanted->root);
  for (guint i = 0; wanted->texts[i]; i++)
    {
      g_autofree char *line = g_strdup_printf ("\n%s\n", wanted->texts[i]);
      if (strstr (labels, line) == NULL)
        return FALSE;
    }
  return TRUE;
}

void
perch_test_assert_shows (GtkWidget *root, const char *const *texts)
{
  LabelsWanted wanted = { root, texts };
  if (!perch_test_wait (shows_labels, &wanted, TIMEOUT_MS))
    {
      g_autofree char *labels = perch_test_labels_of (root);
      g_error ("%s does not show all of the expected labels; it shows:%s", G_OBJECT_TYPE_NAME (root), labels);
    }
}

GtkWindow *
perch_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return perch_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

AdwMessageDialog *
perch_test_wait_dialog (void)
{
  g_assert_true (perch_test_wait (dialog_shown, NULL, TIMEOUT_MS));
  return ADW_MESSAGE_DIALOG (perch_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

void
perch_test_close_window (PerchConsoleWindow *window)
{
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (perch_test_wait (perch_test_only_our_reference, window, TIMEOUT_MS));
  g_assert_finalize_object (window);
}

/* ---- screenshots -------------------------------------------------------------- */

void
perch_test_save_screenshot (GtkWidget *widget, const char *name)
{
  perch_test_wait_drawn (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  g_autoptr(GskRenderNode) node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_autoptr(GdkTexture) texture = gsk_renderer_render_texture (renderer, node,
                                                               &GRAPHENE_RECT_INIT (0, 0, width, height));
  const char *dir = g_getenv ("PERCH_SCREENSHOT_DIR");
  g_autofree char *file = g_strdup_printf ("console-%s.png", name);
  g_autofree char *path = g_build_filename (dir ? dir : ".", file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* ---- HTTP, the test's own --------------------------------------------------- */

JsonNode *
perch_test_console_http (PerchConsoleFixture *f, const char *method, const char *path, const char *body,
                         guint *status_out)
{
  PerchApi *api = perch_connection_get_api (perch_console_window_get_connection (f->window));
  g_autofree char *full = g_strconcat ("/api/v1", path, NULL);
  g_autofree char *auth = f->token ? g_strconcat ("Bearer ", f->token, NULL) : NULL;
  g_autoptr(PerchTestHttpReply) reply =
    perch_test_http (f->http, perch_api_get_base_url (api), method, full, auth, body, body ? strlen (body) : 0,
                     "application/json", PERCH_TEST_HTTP_DEFAULT, TIMEOUT_MS);
  if (status_out != NULL)
    *status_out = reply->status;
  return reply->json ? json_node_ref (reply->json) : NULL;
}

JsonNode *
perch_test_console_get (PerchConsoleFixture *f, const char *path)
{
  guint status = 0;
  JsonNode *node = perch_test_console_http (f, "GET", path, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (node != NULL && JSON_NODE_HOLDS_OBJECT (node));
  return node;
}

/* ---- another client ------------------------------------------------------------ */

PerchClient *
perch_test_console_connect (PerchConsoleFixture *f, const char *user, const char *password)
{
  const char *sip = perch_connection_get_sip_address (f->connection);
  g_auto(GStrv) host_port = g_strsplit (sip, ":", 2);
  PerchClient *client = perch_client_new (host_port[0], (guint16) atoi (host_port[1]), FALSE, user, password);
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (client, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_client_connect_finish (client, result, &error));
  g_assert_no_error (error);
  return client;
}

/* ---- the fixture: a window connected to a demo server --------------------------- */

void
perch_test_console_set_up (PerchConsoleFixture *f, gconstpointer data)
{
  f->window = g_object_ref (perch_console_window_new (perch_test_console_app));
  gtk_window_present (GTK_WINDOW (f->window));
  perch_test_wait_drawn (GTK_WIDGET (f->window));
  if (data != NULL)
    perch_test_save_screenshot (GTK_WIDGET (f->window), "start");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.connect-demo", NULL);
  g_assert_true (perch_test_wait (perch_test_is_connected, f->window, TIMEOUT_MS));
  f->connection = perch_console_window_get_connection (f->window);
  g_object_add_weak_pointer (G_OBJECT (f->connection), (gpointer *) &f->connection);
  g_assert_true (perch_connection_is_demo (f->connection));
  g_assert_true (perch_connection_get_admin (f->connection));
  /* The XCCOS session is up too: the demo administrator may chat. */
  g_assert_nonnull (perch_connection_get_client (f->connection));

  PerchDemoServer *server = perch_connection_get_demo_server (f->connection);
  g_assert_nonnull (server);
  f->demo_dir = g_path_get_dirname (perch_demo_server_get_data_dir (server));
  g_assert_true (g_file_test (perch_demo_server_get_data_dir (server), G_FILE_TEST_IS_DIR));

  f->http = soup_session_new ();
  guint status = 0;
  g_autoptr(JsonNode) login = perch_test_console_http (
    f, "POST", "/login", "{\"user\":\"admin@example.test\",\"password\":\"admin-demo\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  f->token = g_strdup (json_object_get_string_member (json_node_get_object (login), "token"));
}

void
perch_test_console_tear_down (PerchConsoleFixture *f, gconstpointer data)
{
  g_clear_pointer (&f->token, g_free);
  soup_session_abort (f->http);
  g_clear_object (&f->http);

  /* Closing the window closes the connection: the XCCOS session ends, the
   * demo server stops and its data dir goes. */
  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_true (perch_test_wait (perch_test_pointer_cleared, &f->connection, TIMEOUT_MS));
  g_assert_true (perch_test_wait (perch_test_path_gone, f->demo_dir, TIMEOUT_MS));
  g_assert_true (perch_test_wait (perch_test_only_our_reference, f->window, TIMEOUT_MS));
  g_assert_finalize_object (f->window);
  g_free (f->demo_dir);
}

/* ---- the program ---------------------------------------------------------------- */

static void
test_no_display (void)
{
  g_test_skip ("no display (run under xvfb-run)");
}

gboolean
perch_test_console_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, NULL);
  if (!gtk_init_check ())
    {
      g_test_add_func ("/perch/console/no-display", test_no_display);
      return FALSE;
    }
  /* Screenshots of what is there, not of a transition towards it. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  g_autoptr(GError) error = NULL;
  perch_test_console_app = perch_console_application_new ();
  g_application_set_flags (G_APPLICATION (perch_test_console_app),
                           G_APPLICATION_HANDLES_COMMAND_LINE | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (perch_test_console_app), NULL, &error));
  g_assert_no_error (error);
  return TRUE;
}

int
perch_test_console_run (void)
{
  int status = g_test_run ();
  g_clear_object (&perch_test_console_app);
  return status;
}
