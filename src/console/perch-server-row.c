/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-server-row.c: a server's figures, laid out as small labelled numbers. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-server-row.h"

struct _PerchServerRow {
  AdwActionRow  parent_instance;

  /* template children */
  GtkLabel     *sessions_label;
  GtkLabel     *rooms_label;
  GtkLabel     *posts_label;
  GtkLabel     *uptime_label;

  char         *uri;
};

G_DEFINE_FINAL_TYPE (PerchServerRow, perch_server_row, ADW_TYPE_ACTION_ROW)

char *
perch_format_duration (gint64 seconds)
{
  if (seconds < 0)
    seconds = 0;
  if (seconds < 60)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%d s"), (int) seconds);
  gint64 minutes = seconds / 60, hours = minutes / 60, days = hours / 24;
  if (hours == 0)
    return g_strdup_printf (_("%d min"), (int) minutes);
  if (days == 0)
    /* Translators: hours and minutes */
    return g_strdup_printf (_("%d h %d min"), (int) hours, (int) (minutes % 60));
  /* Translators: days and hours */
  return g_strdup_printf (g_dngettext (NULL, "%d day %d h", "%d days %d h", (gulong) days),
                          (int) days, (int) (hours % 24));
}

void
perch_server_row_update (PerchServerRow *self, JsonObject *server)
{
  g_return_if_fail (PERCH_IS_SERVER_ROW (self));

  const char *uri = perch_json_get_string (server, "uri", "");
  g_free (self->uri);
  self->uri = g_strdup (uri);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), *uri ? uri : _("This server"));

  gboolean active = perch_json_get_bool (server, "active", TRUE);
  const char *version = perch_json_get_string (server, "version", "");
  g_autofree char *subtitle =
    active ? g_strdup_printf (_("Active · Perch %s"), version)
           : g_strdup_printf (_("Not active: refuses new sessions · Perch %s"), version);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);

  g_autofree char *sessions = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (server, "sessions", 0));
  g_autofree char *rooms = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (server, "joined_rooms", 0));
  g_autofree char *posts = g_strdup_printf ("%.1f", perch_json_get_double (server, "posts_per_second", 0));
  g_autofree char *uptime = perch_format_duration (perch_json_get_int (server, "uptime_s", 0));
  gtk_label_set_text (self->sessions_label, sessions);
  gtk_label_set_text (self->rooms_label, rooms);
  gtk_label_set_text (self->posts_label, posts);
  gtk_label_set_text (self->uptime_label, uptime);
}

const char *
perch_server_row_get_uri (PerchServerRow *self)
{
  g_return_val_if_fail (PERCH_IS_SERVER_ROW (self), NULL);
  return self->uri;
}

static void
perch_server_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), PERCH_TYPE_SERVER_ROW);
  G_OBJECT_CLASS (perch_server_row_parent_class)->dispose (object);
}

static void
perch_server_row_finalize (GObject *object)
{
  g_free (PERCH_SERVER_ROW (object)->uri);
  G_OBJECT_CLASS (perch_server_row_parent_class)->finalize (object);
}

static void
perch_server_row_class_init (PerchServerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = perch_server_row_dispose;
  object_class->finalize = perch_server_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-server-row.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchServerRow, sessions_label);
  gtk_widget_class_bind_template_child (widget_class, PerchServerRow, rooms_label);
  gtk_widget_class_bind_template_child (widget_class, PerchServerRow, posts_label);
  gtk_widget_class_bind_template_child (widget_class, PerchServerRow, uptime_label);
}

static void
perch_server_row_init (PerchServerRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
perch_server_row_new (void)
{
  return g_object_new (PERCH_TYPE_SERVER_ROW, NULL);
}
