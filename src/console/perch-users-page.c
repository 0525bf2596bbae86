/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-users-page.c: GET /policy, /users and /groups on refresh; PATCH
 * /policy and PUT /users/{user} (only "enabled") as the administrator
 * changes them. A user's row offers yes, no, or the default, which names
 * what the policy currently gives. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-connection.h"
#include "perch-console-window.h"
#include "perch-users-page.h"

struct _PerchUsersPage {
  AdwBin               parent_instance;

  /* template children */
  AdwPreferencesGroup *policy_group;
  GtkSwitch           *policy_switch;
  AdwPreferencesGroup *users_group;
  GtkListBox          *users_list;
  GtkListBox          *groups_list;
  GtkLabel            *error_label;

  PerchConnection     *connection;
  GCancellable        *cancellable;   /* every request of this connection */
  GtkStringList       *choices;       /* yes, no, default (…): shared by the rows */
  gboolean             policy;        /* the global default */
  guint                loading;       /* requests of a refresh under way */
  gboolean             updating;      /* the page itself is changing its widgets */
};

G_DEFINE_FINAL_TYPE (PerchUsersPage, perch_users_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void refresh (PerchUsersPage *self);

static PerchApi *
api_of (PerchUsersPage *self)
{
  return perch_connection_get_api (self->connection);
}

static void
show_error (PerchUsersPage *self, const char *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

/* "sip:dave@example.test" → "dave@example.test" */
static const char *
address_of (const char *uri)
{
  return g_str_has_prefix (uri, "sip:") ? uri + 4 : uri;
}

/* ---- the policy ------------------------------------------------------------------ */

static void
update_choices (PerchUsersPage *self)
{
  const char *items[] = {
    _("Enabled"),
    _("Not enabled"),
    self->policy ? _("Default (enabled)") : _("Default (not enabled)"),
    NULL,
  };
  /* The rows keep their selection: the items stay three. */
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->choices));
  self->updating = TRUE;
  if (n == 3)
    gtk_string_list_splice (self->choices, 2, 1, items + 2);
  else
    gtk_string_list_splice (self->choices, 0, n, items);
  self->updating = FALSE;
}

static void
set_policy (PerchUsersPage *self, JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  self->policy = perch_json_get_bool (json_node_get_object (node), "enable_persistent_chat", FALSE);
  self->updating = TRUE;
  gtk_switch_set_active (self->policy_switch, self->policy);
  self->updating = FALSE;
  update_choices (self);
}

static void
on_policy (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchUsersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    show_error (self, error->message);
  set_policy (self, node);
}

static void
on_policy_got (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchUsersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading--;
  if (error != NULL)
    show_error (self, error->message);
  set_policy (self, node);
}

static void
on_policy_changed (PerchUsersPage *self)
{
  if (self->updating || self->connection == NULL)
    return;
  g_autoptr(JsonObject) body = json_object_new ();
  json_object_set_boolean_member (body, "enable_persistent_chat", gtk_switch_get_active (self->policy_switch));
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  perch_api_send_async (api_of (self), "PATCH", "/policy", node, self->cancellable, on_policy, g_object_ref (self));
}

/* ---- users ------------------------------------------------------------------------ */

static PerchUserEnabled
enabled_of (JsonObject *user)
{
  JsonNode *enabled = json_object_get_member (user, "enabled");
  if (enabled == NULL || JSON_NODE_HOLDS_NULL (enabled))
    return PERCH_USER_ENABLED_DEFAULT;
  return json_node_get_boolean (enabled) ? PERCH_USER_ENABLED_YES : PERCH_USER_ENABLED_NO;
}

static void
update_user_row (PerchUsersPage *self, AdwComboRow *row, JsonObject *user)
{
  const char *uri = perch_json_get_string (user, "uri", "");
  const char *display_name = perch_json_get_string (user, "display_name", "");
  g_autofree char *title = g_markup_escape_text (*display_name ? display_name : address_of (uri), -1);
  g_autofree char *address = g_markup_escape_text (address_of (uri), -1);
  g_autofree char *subtitle = perch_json_get_bool (user, "admin", FALSE)
                              /* Translators: a user's address, then their role */
                              ? g_strdup_printf (_("%s · Administrator"), address)
                              : g_strdup (address);
  self->updating = TRUE;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_combo_row_set_selected (row, enabled_of (user));
  self->updating = FALSE;
}

static void
on_user_put (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AdwComboRow) row = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  GtkWidget *page = gtk_widget_get_ancestor (GTK_WIDGET (row), PERCH_TYPE_USERS_PAGE);
  if (page == NULL)
    return;
  PerchUsersPage *self = PERCH_USERS_PAGE (page);
  if (error != NULL)
    {
      show_error (self, error->message);
      refresh (self);
      return;
    }
  show_error (self, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    update_user_row (self, row, json_node_get_object (node));
}

static void
on_user_selected (AdwComboRow *row, GParamSpec *pspec, PerchUsersPage *self)
{
  if (self->updating || self->connection == NULL)
    return;
  g_autoptr(JsonObject) body = json_object_new ();
  switch (adw_combo_row_get_selected (row))
    {
    case PERCH_USER_ENABLED_YES:
      json_object_set_boolean_member (body, "enabled", TRUE);
      break;
    case PERCH_USER_ENABLED_NO:
      json_object_set_boolean_member (body, "enabled", FALSE);
      break;
    default:
      json_object_set_null_member (body, "enabled");
    }
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  g_autofree char *escaped = perch_api_escape (gtk_widget_get_name (GTK_WIDGET (row)));
  g_autofree char *path = g_strconcat ("/users/", escaped, NULL);
  perch_api_send_async (api_of (self), "PUT", path, node, self->cancellable, on_user_put, g_object_ref (row));
}

static void
on_users (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchUsersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading--;
  if (error != NULL)
    {
      show_error (self, error->message);
      return;
    }
  clear_list (self->users_list);
  JsonArray *items = perch_json_get_items (node);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);
      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      JsonObject *user = json_node_get_object (item);
      AdwComboRow *row = ADW_COMBO_ROW (adw_combo_row_new ());
      gtk_widget_set_name (GTK_WIDGET (row), address_of (perch_json_get_string (user, "uri", "")));
      self->updating = TRUE;
      adw_combo_row_set_model (row, G_LIST_MODEL (self->choices));
      self->updating = FALSE;
      update_user_row (self, row, user);
      g_signal_connect_object (row, "notify::selected", G_CALLBACK (on_user_selected), self, 0);
      gtk_list_box_append (self->users_list, GTK_WIDGET (row));
    }
}

/* ---- groups ------------------------------------------------------------------------ */

static void
on_groups (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchUsersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading--;
  if (error != NULL)
    {
      show_error (self, error->message);
      return;
    }
  clear_list (self->groups_list);
  JsonArray *items = perch_json_get_items (node);
  guint n = items ? json_array_get_length (items) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (items, i);
      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      JsonObject *group = json_node_get_object (item);
      g_auto(GStrv) members = perch_json_get_strv (group, "members");
      for (guint j = 0; members[j]; j++)
        {
          char *address = g_strdup (address_of (members[j]));
          g_free (members[j]);
          members[j] = address;
        }
      g_autofree char *joined = g_strjoinv (", ", members);
      g_autofree char *subtitle = g_markup_escape_text (*joined ? joined : _("No members"), -1);
      g_autofree char *title = g_markup_escape_text (perch_json_get_string (group, "name", ""), -1);
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
      gtk_list_box_append (self->groups_list, row);
    }
  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No groups"));
      gtk_list_box_append (self->groups_list, row);
    }
}

static void
refresh (PerchUsersPage *self)
{
  if (self->connection == NULL || self->loading > 0)
    return;
  self->loading = 3;
  perch_api_get_async (api_of (self), "/policy", self->cancellable, on_policy_got, g_object_ref (self));
  perch_api_get_async (api_of (self), "/users", self->cancellable, on_users, g_object_ref (self));
  perch_api_get_async (api_of (self), "/groups", self->cancellable, on_groups, g_object_ref (self));
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  refresh (PERCH_USERS_PAGE (widget));
}

/* ---- connection ---------------------------------------------------------------- */

PerchConnection *
perch_users_page_get_connection (PerchUsersPage *self)
{
  g_return_val_if_fail (PERCH_IS_USERS_PAGE (self), NULL);
  return self->connection;
}

gboolean
perch_users_page_get_loading (PerchUsersPage *self)
{
  g_return_val_if_fail (PERCH_IS_USERS_PAGE (self), FALSE);
  return self->loading > 0;
}

AdwComboRow *
perch_users_page_get_user_row (PerchUsersPage *self, const char *address)
{
  g_return_val_if_fail (PERCH_IS_USERS_PAGE (self), NULL);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->users_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_COMBO_ROW (row) && g_strcmp0 (gtk_widget_get_name (row), address) == 0)
      return ADW_COMBO_ROW (row);
  return NULL;
}

void
perch_users_page_set_connection (PerchUsersPage *self, PerchConnection *connection)
{
  g_return_if_fail (PERCH_IS_USERS_PAGE (self));

  if (self->connection == connection)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_set_object (&self->connection, connection);
  self->loading = 0;
  clear_list (self->users_list);
  clear_list (self->groups_list);
  show_error (self, NULL);

  if (connection != NULL)
    {
      gboolean admin = perch_connection_get_admin (connection);
      self->cancellable = g_cancellable_new ();
      gtk_widget_set_sensitive (GTK_WIDGET (self->policy_group), admin);
      gtk_widget_set_sensitive (GTK_WIDGET (self->users_group), admin);
      refresh (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

/* ---- widget -------------------------------------------------------------------- */

static void
perch_users_page_dispose (GObject *object)
{
  PerchUsersPage *self = PERCH_USERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_USERS_PAGE);
  g_clear_object (&self->choices);

  G_OBJECT_CLASS (perch_users_page_parent_class)->dispose (object);
}

static void
perch_users_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, PERCH_USERS_PAGE (object)->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_users_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      perch_users_page_set_connection (PERCH_USERS_PAGE (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_users_page_class_init (PerchUsersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = perch_users_page_dispose;
  object_class->get_property = perch_users_page_get_property;
  object_class->set_property = perch_users_page_set_property;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                     G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-users-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchUsersPage, policy_group);
  gtk_widget_class_bind_template_child (widget_class, PerchUsersPage, policy_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchUsersPage, users_group);
  gtk_widget_class_bind_template_child (widget_class, PerchUsersPage, users_list);
  gtk_widget_class_bind_template_child (widget_class, PerchUsersPage, groups_list);
  gtk_widget_class_bind_template_child (widget_class, PerchUsersPage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_policy_changed);

  gtk_widget_class_install_action (widget_class, "page.refresh", NULL, refresh_action);
}

static void
perch_users_page_init (PerchUsersPage *self)
{
  self->choices = gtk_string_list_new (NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
  update_choices (self);
}
