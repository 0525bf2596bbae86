/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-pool-page.c: GET /pool on a timer while shown; PATCH /pool and
 * PATCH /config when an administrator changes something.
 *
 * A refresh never overwrites what the administrator is typing: a field
 * that has focus or was edited and not applied keeps its text. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-console-window.h"
#include "perch-pool-page.h"
#include "perch-server-row.h"
#include "perch-connection.h"

struct _PerchPoolPage {
  AdwBin               parent_instance;

  /* template children */
  GtkListBox          *servers_list;
  AdwPreferencesGroup *pool_group;
  AdwComboRow         *state_row;
  AdwEntryRow         *active_row;
  GtkLabel            *pool_error;
  AdwPreferencesGroup *config_group;
  AdwEntryRow         *history_row;
  AdwEntryRow         *file_size_row;
  AdwEntryRow         *roster_row;
  AdwEntryRow         *url_row;
  GtkLabel            *config_error;

  PerchConnection        *connection;
  GCancellable        *cancellable;   /* every request of this connection */
  guint                refresh_id;
  gboolean             loading;       /* a GET /pool is under way */
  gboolean             updating;      /* the page itself is changing its widgets */
  guint                n_servers;
};

G_DEFINE_FINAL_TYPE (PerchPoolPage, perch_pool_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

#define EDITED "perch-edited"

static const char *
config_key (PerchPoolPage *self, AdwEntryRow *row)
{
  if (row == self->history_row)
    return "default_chat_history";
  if (row == self->file_size_row)
    return "max_file_size_kb";
  if (row == self->roster_row)
    return "participant_update_limit";
  if (row == self->url_row)
    return "room_management_url";
  return NULL;
}

static gboolean
is_being_edited (GtkWidget *row)
{
  return (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0 ||
         g_object_get_data (G_OBJECT (row), EDITED) != NULL;
}

static void
set_row_text (PerchPoolPage *self, AdwEntryRow *row, const char *text)
{
  if (is_being_edited (GTK_WIDGET (row)))
    return;
  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  self->updating = FALSE;
}

static void
show_error (GtkLabel *label, GtkWidget *row, const char *message)
{
  gtk_label_set_text (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (row == NULL)
    return;
  if (message != NULL)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

/* ---- showing the pool ---------------------------------------------------------- */

static void
update_servers (PerchPoolPage *self, JsonArray *servers)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = servers ? json_array_get_length (servers) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (servers, i);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      JsonObject *server = json_node_get_object (node);
      const char *uri = perch_json_get_string (server, "uri", "");
      PerchServerRow *row = NULL;
      for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->servers_list));
           child != NULL && row == NULL; child = gtk_widget_get_next_sibling (child))
        if (PERCH_IS_SERVER_ROW (child) && g_strcmp0 (perch_server_row_get_uri (PERCH_SERVER_ROW (child)), uri) == 0)
          row = PERCH_SERVER_ROW (child);
      if (row == NULL)
        {
          row = PERCH_SERVER_ROW (perch_server_row_new ());
          gtk_list_box_append (self->servers_list, GTK_WIDGET (row));
        }
      perch_server_row_update (row, server);
      g_hash_table_add (seen, (gpointer) perch_server_row_get_uri (row));
    }

  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->servers_list));
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);
      if (PERCH_IS_SERVER_ROW (child) &&
          !g_hash_table_contains (seen, perch_server_row_get_uri (PERCH_SERVER_ROW (child))))
        gtk_list_box_remove (self->servers_list, child);
      child = next;
    }
  self->n_servers = g_hash_table_size (seen);
}

static void
update_config (PerchPoolPage *self, JsonObject *config)
{
  AdwEntryRow *rows[] = { self->history_row, self->file_size_row, self->roster_row, self->url_row };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    set_row_text (self, rows[i], perch_json_get_string (config, config_key (self, rows[i]), ""));
}

static void
update_pool (PerchPoolPage *self, JsonNode *node)
{
  JsonObject *pool = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  if (pool == NULL)
    return;

  JsonNode *servers = json_object_get_member (pool, "servers");
  update_servers (self, servers && JSON_NODE_HOLDS_ARRAY (servers) ? json_node_get_array (servers) : NULL);

  self->updating = TRUE;
  adw_combo_row_set_selected (self->state_row,
                              g_strcmp0 (perch_json_get_string (pool, "state", "normal"), "failed-over") == 0);
  self->updating = FALSE;

  g_auto(GStrv) active = perch_json_get_strv (pool, "active_servers");
  g_autofree char *active_text = g_strjoinv (", ", active);
  set_row_text (self, self->active_row, active_text);

  JsonNode *config = json_object_get_member (pool, "configuration");
  if (config != NULL && JSON_NODE_HOLDS_OBJECT (config))
    update_config (self, json_node_get_object (config));
}

static void
on_pool (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchPoolPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) pool = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading = FALSE;
  if (error != NULL)
    {
      perch_toast_error (GTK_WIDGET (self), _("Could not read the pool"), error);
      return;
    }
  update_pool (self, pool);
}

static void
refresh (PerchPoolPage *self)
{
  if (self->connection == NULL || self->loading)
    return;
  self->loading = TRUE;
  perch_api_get_async (perch_connection_get_api (self->connection), "/pool", self->cancellable, on_pool,
                       g_object_ref (self));
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  refresh (user_data);
  return G_SOURCE_CONTINUE;
}

static void
start_timer (PerchPoolPage *self)
{
  if (self->refresh_id == 0 && self->connection != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->refresh_id = g_timeout_add_seconds (PERCH_POOL_REFRESH_SECONDS, on_refresh_timeout, self);
}

static void
stop_timer (PerchPoolPage *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
}

/* ---- changing it --------------------------------------------------------------- */

static void
on_pool_patched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchPoolPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) pool = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  GtkWidget *row = g_object_get_data (G_OBJECT (self), "perch-patching");
  if (error != NULL)
    {
      show_error (self->pool_error, row, error->message);
      /* What the server holds, except the text being corrected. */
      self->loading = FALSE;
      refresh (self);
      return;
    }
  show_error (self->pool_error, row, NULL);
  g_object_set_data (G_OBJECT (self->active_row), EDITED, NULL);
  update_pool (self, pool);
}

static void
patch_pool (PerchPoolPage *self, GtkWidget *row, const char *member, JsonNode *value)
{
  g_autoptr(JsonObject) body = json_object_new ();
  json_object_set_member (body, member, value);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  g_object_set_data (G_OBJECT (self), "perch-patching", row);
  perch_api_send_async (perch_connection_get_api (self->connection), "PATCH", "/pool", node, self->cancellable,
                        on_pool_patched, g_object_ref (self));
}

static void
on_state_selected (PerchPoolPage *self)
{
  if (self->updating || self->connection == NULL)
    return;
  const char *state = adw_combo_row_get_selected (self->state_row) == 1 ? "failed-over" : "normal";
  patch_pool (self, GTK_WIDGET (self->state_row), "state", json_node_init_string (json_node_alloc (), state));
}

static void
on_active_applied (PerchPoolPage *self)
{
  if (self->connection == NULL)
    return;
  g_auto(GStrv) parts = g_strsplit_set (gtk_editable_get_text (GTK_EDITABLE (self->active_row)), ", \t", -1);
  JsonArray *servers = json_array_new ();
  for (guint i = 0; parts[i]; i++)
    if (*parts[i])
      json_array_add_string_element (servers, parts[i]);
  JsonNode *value = json_node_init_array (json_node_alloc (), servers);
  json_array_unref (servers);
  patch_pool (self, GTK_WIDGET (self->active_row), "active_servers", value);
}

static void
on_row_changed (PerchPoolPage *self, GtkEditable *row)
{
  if (!self->updating)
    g_object_set_data (G_OBJECT (row), EDITED, GINT_TO_POINTER (1));
}

typedef struct {
  PerchPoolPage *self;
  AdwEntryRow   *row;
} ConfigPatch;

static void
on_config_patched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConfigPatch *patch = user_data;
  g_autoptr(PerchPoolPage) self = patch->self;
  g_autoptr(AdwEntryRow) row = patch->row;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) config = perch_api_send_finish (PERCH_API (source), result, &error);
  g_free (patch);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      /* Translators: "Default chat history: default_chat_history must be ..." */
      g_autofree char *message = g_strdup_printf (_("%s: %s"),
                                                  adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                                  error->message);
      show_error (self->config_error, GTK_WIDGET (row), message);
      return;
    }
  show_error (self->config_error, GTK_WIDGET (row), NULL);
  g_object_set_data (G_OBJECT (row), EDITED, NULL);
  if (config != NULL && JSON_NODE_HOLDS_OBJECT (config))
    update_config (self, json_node_get_object (config));
}

static void
on_config_applied (PerchPoolPage *self, AdwEntryRow *row)
{
  const char *key = config_key (self, row);
  if (self->connection == NULL || key == NULL)
    return;
  g_autoptr(JsonObject) body = json_object_new ();
  /* Sent as typed: the server checks it and says what it wants. */
  json_object_set_string_member (body, key, gtk_editable_get_text (GTK_EDITABLE (row)));
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  ConfigPatch *patch = g_new0 (ConfigPatch, 1);
  patch->self = g_object_ref (self);
  patch->row = g_object_ref (row);
  perch_api_send_async (perch_connection_get_api (self->connection), "PATCH", "/config", node, self->cancellable,
                        on_config_patched, patch);
}

/* ---- connection ------------------------------------------------------------------- */

PerchConnection *
perch_pool_page_get_connection (PerchPoolPage *self)
{
  g_return_val_if_fail (PERCH_IS_POOL_PAGE (self), NULL);
  return self->connection;
}

guint
perch_pool_page_get_n_servers (PerchPoolPage *self)
{
  g_return_val_if_fail (PERCH_IS_POOL_PAGE (self), 0);
  return self->n_servers;
}

void
perch_pool_page_set_connection (PerchPoolPage *self, PerchConnection *connection)
{
  g_return_if_fail (PERCH_IS_POOL_PAGE (self));

  if (self->connection == connection)
    return;
  stop_timer (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_set_object (&self->connection, connection);
  self->loading = FALSE;
  update_servers (self, NULL);
  show_error (self->pool_error, GTK_WIDGET (self->active_row), NULL);
  show_error (self->config_error, NULL, NULL);
  AdwEntryRow *rows[] = { self->active_row, self->history_row, self->file_size_row, self->roster_row, self->url_row };
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_object_set_data (G_OBJECT (rows[i]), EDITED, NULL);
      gtk_widget_remove_css_class (GTK_WIDGET (rows[i]), "error");
      set_row_text (self, rows[i], "");
    }

  if (connection != NULL)
    {
      gboolean admin = perch_connection_get_admin (connection);
      self->cancellable = g_cancellable_new ();
      gtk_widget_set_sensitive (GTK_WIDGET (self->pool_group), admin);
      gtk_widget_set_sensitive (GTK_WIDGET (self->config_group), admin);
      const char *note = admin ? NULL : _("Only administrators can change these settings.");
      adw_preferences_group_set_description (self->pool_group, note);
      adw_preferences_group_set_description (self->config_group, note);
      refresh (self);
      start_timer (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  refresh (PERCH_POOL_PAGE (widget));
}

/* ---- widget ------------------------------------------------------------------- */

static void
perch_pool_page_map (GtkWidget *widget)
{
  PerchPoolPage *self = PERCH_POOL_PAGE (widget);
  GTK_WIDGET_CLASS (perch_pool_page_parent_class)->map (widget);
  refresh (self);
  start_timer (self);
}

static void
perch_pool_page_unmap (GtkWidget *widget)
{
  stop_timer (PERCH_POOL_PAGE (widget));
  GTK_WIDGET_CLASS (perch_pool_page_parent_class)->unmap (widget);
}

static void
perch_pool_page_dispose (GObject *object)
{
  PerchPoolPage *self = PERCH_POOL_PAGE (object);

  stop_timer (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_POOL_PAGE);

  G_OBJECT_CLASS (perch_pool_page_parent_class)->dispose (object);
}

static void
perch_pool_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, PERCH_POOL_PAGE (object)->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_pool_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      perch_pool_page_set_connection (PERCH_POOL_PAGE (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_pool_page_class_init (PerchPoolPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = perch_pool_page_dispose;
  object_class->get_property = perch_pool_page_get_property;
  object_class->set_property = perch_pool_page_set_property;
  widget_class->map = perch_pool_page_map;
  widget_class->unmap = perch_pool_page_unmap;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-pool-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, servers_list);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, pool_group);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, state_row);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, active_row);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, pool_error);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, config_group);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, history_row);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, file_size_row);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, roster_row);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, url_row);
  gtk_widget_class_bind_template_child (widget_class, PerchPoolPage, config_error);
  gtk_widget_class_bind_template_callback (widget_class, on_state_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_active_applied);
  gtk_widget_class_bind_template_callback (widget_class, on_config_applied);
  gtk_widget_class_bind_template_callback (widget_class, on_row_changed);

  gtk_widget_class_install_action (widget_class, "page.refresh", NULL, refresh_action);
}

static void
perch_pool_page_init (PerchPoolPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
