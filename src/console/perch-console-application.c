/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-console-application.c: startup, windows, and the app.* actions.
 *
 * Quitting closes the windows rather than stopping the main loop: each
 * window's connection then ends its XCCOS session, signs out and stops its
 * demo server while holding the application, which exits once they are
 * done. */
#include "config.h"

#include <signal.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "perch-console-application.h"
#include "perch-console-window.h"

struct _PerchConsoleApplication {
  AdwApplication  parent_instance;

  GSettings      *settings;
  guint           sigint_id;
  guint           sigterm_id;
};

G_DEFINE_FINAL_TYPE (PerchConsoleApplication, perch_console_application, ADW_TYPE_APPLICATION)

/* The installed schema, or, for a console run from its build tree, the
 * one compiled there. */
static GSettings *
create_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, PERCH_CONSOLE_APP_ID, TRUE)
                                             : NULL;
#ifdef PERCH_CONSOLE_SCHEMA_BUILD_DIR
  if (schema == NULL)
    {
      g_autoptr(GSettingsSchemaSource) build =
        g_settings_schema_source_new_from_directory (PERCH_CONSOLE_SCHEMA_BUILD_DIR, source, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, PERCH_CONSOLE_APP_ID, FALSE);
    }
#endif
  if (schema == NULL)
    g_error ("The settings schema %s is not installed (set GSETTINGS_SCHEMA_DIR, or install Perch)",
             PERCH_CONSOLE_APP_ID);
  return g_settings_new_full (schema, NULL, NULL);
}

GSettings *
perch_console_application_get_settings (PerchConsoleApplication *self)
{
  g_return_val_if_fail (PERCH_IS_CONSOLE_APPLICATION (self), NULL);
  if (self->settings == NULL)
    self->settings = create_settings ();
  return self->settings;
}

GSettings *
perch_console_get_settings (void)
{
  GApplication *app = g_application_get_default ();
  g_return_val_if_fail (PERCH_IS_CONSOLE_APPLICATION (app), NULL);
  return perch_console_application_get_settings (PERCH_CONSOLE_APPLICATION (app));
}

/* ---- actions ------------------------------------------------------------------ */

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (app));
  for (GList *l = windows; l; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = user_data;
  static const char *developers[] = { "The Perch developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (app);
  /* The application's icon once it is installed; a server till then. */
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (parent ? gtk_widget_get_display (GTK_WIDGET (parent))
                                                               : gdk_display_get_default ());
  const char *icon = gtk_icon_theme_has_icon (theme, PERCH_CONSOLE_APP_ID) ? PERCH_CONSOLE_APP_ID
                                                                           : "network-server-symbolic";
  GtkWidget *about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                                   "transient-for", parent,
                                   "modal", TRUE,
                                   "application-icon", icon,
                                   "application-name", _("Perch Console"),
                                   "developer-name", _("The Perch developers"),
                                   "version", PACKAGE_VERSION,
                                   "comments", _("Administer Perch, the persistent chat server: "
                                                 "its pool, rooms, categories, history and compliance."),
                                   "license-type", GTK_LICENSE_GPL_3_0,
                                   "developers", developers,
                                   /* Translators: your names, one per line. */
                                   "translator-credits", _("translator-credits"),
                                   NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
shortcuts_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = user_data;
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/org/perch/Console/ui/perch-shortcuts-window.ui");
  GtkWindow *window = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
  gtk_window_set_transient_for (window, gtk_application_get_active_window (app));
  gtk_window_present (window);
}

/* SIGINT (Ctrl+C in the terminal tools/run-demo runs in) and SIGTERM quit
 * as the menu does, so a demo server's data dir is removed. */
static gboolean
on_quit_signal (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated },
  { "about", about_activated },
  { "shortcuts", shortcuts_activated },
};

/* ---- application -------------------------------------------------------------- */

static PerchConsoleWindow *
new_window (PerchConsoleApplication *self)
{
  return perch_console_window_new (self);
}

static void
perch_console_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    window = GTK_WINDOW (new_window (PERCH_CONSOLE_APPLICATION (app)));
  gtk_window_present (window);
}

static int
perch_console_application_command_line (GApplication *app, GApplicationCommandLine *command_line)
{
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  if (!g_variant_dict_contains (options, "demo"))
    {
      g_application_activate (app);
      return 0;
    }
  /* A window of its own for the demo, unless the active one is idle. */
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
  PerchConsoleWindow *window = PERCH_IS_CONSOLE_WINDOW (active) &&
                               perch_console_window_get_connection (PERCH_CONSOLE_WINDOW (active)) == NULL
                               ? PERCH_CONSOLE_WINDOW (active)
                               : new_window (PERCH_CONSOLE_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  perch_console_window_start_demo (window);
  return 0;
}

static void
perch_console_application_startup (GApplication *app)
{
  PerchConsoleApplication *self = PERCH_CONSOLE_APPLICATION (app);
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.shortcuts", { "<Control>question", NULL } },
    { "win.refresh", { "<Control>r", "F5", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.new-room", { "<Control>n", NULL } },
    { "window.close", { "<Control>w", NULL } },
  };

  G_APPLICATION_CLASS (perch_console_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);
  gtk_window_set_default_icon_name (PERCH_CONSOLE_APP_ID);
  self->sigint_id = g_unix_signal_add (SIGINT, on_quit_signal, app);
  self->sigterm_id = g_unix_signal_add (SIGTERM, on_quit_signal, app);
}

static void
perch_console_application_shutdown (GApplication *app)
{
  PerchConsoleApplication *self = PERCH_CONSOLE_APPLICATION (app);

  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);

  G_APPLICATION_CLASS (perch_console_application_parent_class)->shutdown (app);
}

static void
perch_console_application_finalize (GObject *object)
{
  PerchConsoleApplication *self = PERCH_CONSOLE_APPLICATION (object);

  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (perch_console_application_parent_class)->finalize (object);
}

static void
perch_console_application_class_init (PerchConsoleApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = perch_console_application_finalize;
  app_class->activate = perch_console_application_activate;
  app_class->startup = perch_console_application_startup;
  app_class->shutdown = perch_console_application_shutdown;
  app_class->command_line = perch_console_application_command_line;
}

static void
perch_console_application_init (PerchConsoleApplication *self)
{
  static const GOptionEntry entries[] = {
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Start a demo server on this computer and connect to it"), NULL },
    { NULL }
  };
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

PerchConsoleApplication *
perch_console_application_new (void)
{
  return g_object_new (PERCH_TYPE_CONSOLE_APPLICATION,
                       "application-id", PERCH_CONSOLE_APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/org/perch/Console",
                       NULL);
}
