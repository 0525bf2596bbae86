/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-console-window.c: connecting, disconnecting, and handing the connection
 * to the pages. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-categories-page.h"
#include "perch-compliance-page.h"
#include "perch-console-application.h"
#include "perch-console-window.h"
#include "perch-history-page.h"
#include "perch-pool-page.h"
#include "perch-rooms-page.h"
#include "perch-connection.h"
#include "perch-start-page.h"
#include "perch-users-page.h"

struct _PerchConsoleWindow {
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  PerchStartPage       *start_page;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *view_stack;
  GtkRevealer          *lost_revealer;
  GtkLabel             *lost_label;
  GtkLabel             *lost_reason;

  PerchConnection         *connection;
  guint                 lost_tick;     /* counts the seconds down while lost */
};

G_DEFINE_FINAL_TYPE (PerchConsoleWindow, perch_console_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

void
perch_toast (GtkWidget *widget, const char *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay == NULL)
    {
      g_message ("%s", message);
      return;
    }
  /* libadwaita 1.2 reads toast titles as Pango markup. */
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  AdwToast *toast = adw_toast_new (escaped);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

void
perch_toast_error (GtkWidget *widget, const char *context, const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* A server out of reach while the connection is lost: the bar at the
   * top says so already, once. */
  GtkRoot *root = gtk_widget_get_root (widget);
  if (PERCH_IS_CONSOLE_WINDOW (root) && PERCH_CONSOLE_WINDOW (root)->connection != NULL &&
      perch_connection_get_state (PERCH_CONSOLE_WINDOW (root)->connection) != PERCH_CONNECTION_STATE_ONLINE &&
      perch_api_error_is_network (error))
    return;
  /* Translators: "Could not save the room: a room named “General” exists" */
  g_autofree char *text = g_strdup_printf (_("%s: %s"), context, error->message);
  perch_toast (widget, text);
}

/* ---- the pages ---------------------------------------------------------------- */

static void
set_page_connections (PerchConsoleWindow *self, PerchConnection *connection)
{
  g_autoptr(GtkSelectionModel) pages = adw_view_stack_get_pages (self->view_stack);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (pages));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
      GtkWidget *child = adw_view_stack_page_get_child (page);
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (child), "connection") != NULL)
        g_object_set (child, "connection", connection, NULL);
    }
}

static void
update_actions (PerchConsoleWindow *self)
{
  gboolean connected = self->connection != NULL;
  gboolean online = connected && perch_connection_get_state (self->connection) == PERCH_CONNECTION_STATE_ONLINE;
  gboolean lost = connected && perch_connection_get_state (self->connection) == PERCH_CONNECTION_STATE_LOST;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refresh", online);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", online);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-room", online);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.disconnect", connected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reconnect", lost);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.connect-demo", !connected);
}

/* ---- a lost connection ------------------------------------------------------------ */

static void
update_lost_bar (PerchConsoleWindow *self)
{
  PerchConnectionState state = self->connection ? perch_connection_get_state (self->connection)
                                                : PERCH_CONNECTION_STATE_IDLE;
  g_autofree char *text = NULL;
  if (state == PERCH_CONNECTION_STATE_RECONNECTING)
    text = g_strdup (_("Connection lost — reconnecting…"));
  else if (state == PERCH_CONNECTION_STATE_LOST && perch_connection_get_retry_time (self->connection) != 0)
    {
      gint64 left_us = perch_connection_get_retry_time (self->connection) - g_get_monotonic_time ();
      guint seconds = left_us > 0 ? (guint) ((left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC) : 0;
      /* Translators: N is seconds until the next attempt to reconnect. */
      text = g_strdup_printf (_("Connection lost — reconnecting in %u s…"), seconds);
    }
  else if (state == PERCH_CONNECTION_STATE_LOST)
    text = g_strdup (_("Connection lost — not retrying: connect again with “Reconnect Now”"));
  if (text != NULL && g_strcmp0 (gtk_label_get_text (self->lost_label), text) != 0)
    gtk_label_set_text (self->lost_label, text);

  const GError *error = self->connection ? perch_connection_get_lost_error (self->connection) : NULL;
  gtk_label_set_text (self->lost_reason, error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->lost_reason), error != NULL);
}

static gboolean
on_lost_tick (gpointer user_data)
{
  update_lost_bar (user_data);
  return G_SOURCE_CONTINUE;
}

/* Shows the connection's state: the bar and the countdown while it is
 * lost, the pages insensitive until it is back. */
static void
show_connection_state (PerchConsoleWindow *self)
{
  PerchConnectionState state = self->connection ? perch_connection_get_state (self->connection)
                                                : PERCH_CONNECTION_STATE_IDLE;
  gboolean lost = state == PERCH_CONNECTION_STATE_LOST || state == PERCH_CONNECTION_STATE_RECONNECTING;
  update_lost_bar (self);
  gtk_revealer_set_reveal_child (self->lost_revealer, lost);
  gtk_widget_set_sensitive (GTK_WIDGET (self->view_stack), !lost);
  if (lost && self->lost_tick == 0)
    {
      self->lost_tick = g_timeout_add (250, on_lost_tick, self);
      g_source_set_name_by_id (self->lost_tick, "[perch] lost connection countdown");
    }
  else if (!lost)
    g_clear_handle_id (&self->lost_tick, g_source_remove);
  update_actions (self);
}

static void
refresh_pages (PerchConsoleWindow *self)
{
  g_autoptr(GtkSelectionModel) pages = adw_view_stack_get_pages (self->view_stack);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (pages));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
      gtk_widget_activate_action (adw_view_stack_page_get_child (page), "page.refresh", NULL);
    }
}

static void
on_connection_state_changed (PerchConnection *connection, PerchConnectionState state, PerchConsoleWindow *self)
{
  gboolean was_lost = gtk_revealer_get_reveal_child (self->lost_revealer);
  show_connection_state (self);
  if (state != PERCH_CONNECTION_STATE_ONLINE || !was_lost)
    return;
  /* Back: what the pages show may have changed meanwhile, and the History
   * page re-joins its room in the new XCCOS session. */
  refresh_pages (self);
  const GError *chat_error = perch_connection_get_chat_error (connection);
  if (perch_connection_get_client (connection) == NULL && chat_error != NULL &&
      perch_connection_get_sip_address (connection) != NULL)
    perch_toast_error (GTK_WIDGET (self), _("Live chat is not available"), chat_error);
  else
    perch_toast (GTK_WIDGET (self), _("Reconnected"));
}

static void
on_start_page_connected (PerchConsoleWindow *self, PerchConnection *connection)
{
  g_set_object (&self->connection, connection);
  g_signal_connect_object (connection, "state-changed", G_CALLBACK (on_connection_state_changed), self, 0);

  g_autofree char *title = perch_connection_dup_title (connection);
  adw_view_switcher_title_set_subtitle (self->switcher_title, title);
  set_page_connections (self, connection);
  gtk_stack_set_visible_child_name (self->main_stack, "console");
  show_connection_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);

  const GError *chat_error = perch_connection_get_chat_error (connection);
  if (chat_error != NULL && perch_connection_get_sip_address (connection) != NULL)
    perch_toast_error (GTK_WIDGET (self), _("Live chat is not available"), chat_error);
}

/* Hands the connection over to be closed; the window is back at the start. */
static void
disconnect (PerchConsoleWindow *self)
{
  if (self->connection == NULL)
    return;
  g_autoptr(PerchConnection) connection = g_steal_pointer (&self->connection);
  g_signal_handlers_disconnect_by_data (connection, self);
  set_page_connections (self, NULL);
  /* It holds the application until it is done, so quitting waits for it;
   * closed by the user, it never tries to reconnect. */
  perch_connection_close_async (connection, NULL, NULL, NULL);
  show_connection_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

/* ---- actions ------------------------------------------------------------------ */

static GtkWidget *
visible_page (PerchConsoleWindow *self)
{
  return adw_view_stack_get_visible_child (self->view_stack);
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (widget);
  GtkWidget *page = visible_page (self);
  if (page != NULL)
    gtk_widget_activate_action (page, "page.refresh", NULL);
}

static void
search_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (widget);
  GtkWidget *page = visible_page (self);
  if (page == NULL || !gtk_widget_activate_action (page, "page.search", NULL))
    {
      /* Pages without a search of their own: search the rooms. */
      adw_view_stack_set_visible_child_name (self->view_stack, "rooms");
      gtk_widget_activate_action (visible_page (self), "page.search", NULL);
    }
}

static void
new_room_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (widget);
  adw_view_stack_set_visible_child_name (self->view_stack, "rooms");
  gtk_widget_activate_action (visible_page (self), "rooms.new", NULL);
}

static void
disconnect_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (widget);
  disconnect (self);
  gtk_stack_set_visible_child_name (self->main_stack, "start");
  adw_view_switcher_title_set_subtitle (self->switcher_title, NULL);
}

static void
reconnect_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (widget);
  if (self->connection != NULL)
    perch_connection_reconnect_now (self->connection);
}

static void
connect_demo_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (widget);
  gtk_widget_activate_action (GTK_WIDGET (self->start_page), "start.demo", NULL);
}

/* ---- window ------------------------------------------------------------------- */

static gboolean
perch_console_window_close_request (GtkWindow *window)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (window);
  GSettings *settings = perch_console_get_settings ();
  int width = 0, height = 0;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));

  disconnect (self);
  return GTK_WINDOW_CLASS (perch_console_window_parent_class)->close_request (window);
}

static void
perch_console_window_constructed (GObject *object)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (object);
  GSettings *settings = perch_console_get_settings ();

  G_OBJECT_CLASS (perch_console_window_parent_class)->constructed (object);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  update_actions (self);
}

static void
perch_console_window_dispose (GObject *object)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (object);

  disconnect (self);
  g_clear_handle_id (&self->lost_tick, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_CONSOLE_WINDOW);

  G_OBJECT_CLASS (perch_console_window_parent_class)->dispose (object);
}

static void
perch_console_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchConsoleWindow *self = PERCH_CONSOLE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_console_window_class_init (PerchConsoleWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = perch_console_window_constructed;
  object_class->dispose = perch_console_window_dispose;
  object_class->get_property = perch_console_window_get_property;
  window_class->close_request = perch_console_window_close_request;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PERCH_TYPE_START_PAGE);
  g_type_ensure (PERCH_TYPE_POOL_PAGE);
  g_type_ensure (PERCH_TYPE_ROOMS_PAGE);
  g_type_ensure (PERCH_TYPE_CATEGORIES_PAGE);
  g_type_ensure (PERCH_TYPE_USERS_PAGE);
  g_type_ensure (PERCH_TYPE_HISTORY_PAGE);
  g_type_ensure (PERCH_TYPE_COMPLIANCE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-console-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, start_page);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, view_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_start_page_connected);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, lost_revealer);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, lost_label);
  gtk_widget_class_bind_template_child (widget_class, PerchConsoleWindow, lost_reason);

  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-room", NULL, new_room_action);
  gtk_widget_class_install_action (widget_class, "win.disconnect", NULL, disconnect_action);
  gtk_widget_class_install_action (widget_class, "win.reconnect", NULL, reconnect_action);
  gtk_widget_class_install_action (widget_class, "win.connect-demo", NULL, connect_demo_action);
}

static void
perch_console_window_init (PerchConsoleWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PerchConsoleWindow *
perch_console_window_new (PerchConsoleApplication *app)
{
  return g_object_new (PERCH_TYPE_CONSOLE_WINDOW, "application", app, NULL);
}

void
perch_console_window_start_demo (PerchConsoleWindow *self)
{
  g_return_if_fail (PERCH_IS_CONSOLE_WINDOW (self));
  gtk_widget_activate_action (GTK_WIDGET (self), "win.connect-demo", NULL);
}

PerchConnection *
perch_console_window_get_connection (PerchConsoleWindow *self)
{
  g_return_val_if_fail (PERCH_IS_CONSOLE_WINDOW (self), NULL);
  return self->connection;
}

void
perch_console_window_show_page (PerchConsoleWindow *self, const char *page)
{
  g_return_if_fail (PERCH_IS_CONSOLE_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, page);
}

GtkWidget *
perch_console_window_get_page (PerchConsoleWindow *self, const char *name)
{
  g_return_val_if_fail (PERCH_IS_CONSOLE_WINDOW (self), NULL);
  return adw_view_stack_get_child_by_name (self->view_stack, name);
}
