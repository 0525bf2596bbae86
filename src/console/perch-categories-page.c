/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-categories-page.c: GET /categories and GET /rooms (for the room
 * counts) on refresh; PATCH, POST and DELETE /categories as the
 * administrator edits. A change is sent at once and the answer, the
 * category as the server now holds it, is what the page shows. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-categories-page.h"
#include "perch-connection.h"
#include "perch-console-window.h"
#include "perch-people-editor.h"

/* Rooms counted per category: one page of the room list. */
#define ROOMS_COUNTED 1000

struct _PerchCategoriesPage {
  AdwBin               parent_instance;

  /* template children */
  GtkListBox          *category_list;
  AdwEntryRow         *new_row;
  GtkStack            *editor_stack;
  AdwPreferencesPage  *editor_page;
  AdwPreferencesGroup *options_group;
  GtkSwitch           *file_upload_switch;
  GtkSwitch           *chat_history_switch;
  GtkSwitch           *invitations_switch;
  PerchPeopleEditor   *allowed_editor;
  PerchPeopleEditor   *denied_editor;
  PerchPeopleEditor   *creators_editor;
  GtkLabel            *error_label;

  PerchConnection     *connection;
  GCancellable        *cancellable;   /* every request of this connection */
  GPtrArray           *categories;    /* JsonObject, as the server sent them */
  GHashTable          *room_counts;   /* category name → GUINT count; NULL: unknown */
  gboolean             rooms_more;    /* more rooms than were counted */
  char                *selected;      /* the id of the category in the editor */
  char                *select_name;   /* select this one once listed */
  guint                loading;       /* requests of a refresh under way */
  gboolean             updating;      /* the page itself is changing its widgets */
};

G_DEFINE_FINAL_TYPE (PerchCategoriesPage, perch_categories_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void refresh (PerchCategoriesPage *self);

static PerchApi *
api_of (PerchCategoriesPage *self)
{
  return perch_connection_get_api (self->connection);
}

static char *
id_of (JsonObject *category)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (category, "id", 0));
}

static JsonObject *
find_category (PerchCategoriesPage *self, const char *id)
{
  for (guint i = 0; id != NULL && i < self->categories->len; i++)
    {
      JsonObject *category = g_ptr_array_index (self->categories, i);
      g_autofree char *other = id_of (category);
      if (g_strcmp0 (other, id) == 0)
        return category;
    }
  return NULL;
}

static void
show_error (PerchCategoriesPage *self, const char *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* ---- the list ------------------------------------------------------------------ */

static char *
summary_of (PerchCategoriesPage *self, JsonObject *category)
{
  GString *text = g_string_new (NULL);
  const char *name = perch_json_get_string (category, "name", "");
  if (self->room_counts != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->room_counts, name));
      if (self->rooms_more)
        /* Translators: a room count that is a lower bound */
        g_string_append_printf (text, g_dngettext (NULL, "%u+ room", "%u+ rooms", n), n);
      else
        g_string_append_printf (text, g_dngettext (NULL, "%u room", "%u rooms", n), n);
    }
  struct { const char *member, *on, *off; } flags[] = {
    { "file_upload", N_("File upload"), N_("No file upload") },
    { "chat_history", N_("Chat history"), N_("No chat history") },
    { "invitations", N_("Invitations"), N_("No invitations") },
  };
  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      if (text->len > 0)
        g_string_append (text, " · ");
      g_string_append (text, perch_json_get_bool (category, flags[i].member, FALSE) ? _(flags[i].on)
                                                                                 : _(flags[i].off));
    }
  return g_string_free (text, FALSE);
}

static void
update_list (PerchCategoriesPage *self)
{
  self->updating = TRUE;
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->category_list))) != NULL)
    gtk_list_box_remove (self->category_list, child);

  for (guint i = 0; i < self->categories->len; i++)
    {
      JsonObject *category = g_ptr_array_index (self->categories, i);
      g_autofree char *summary = summary_of (self, category);
      g_autofree char *name = g_markup_escape_text (perch_json_get_string (category, "name", ""), -1);
      g_autofree char *escaped_summary = g_markup_escape_text (summary, -1);
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped_summary);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
      g_object_set_data_full (G_OBJECT (row), "perch-category-id", id_of (category), g_free);
      gtk_list_box_append (self->category_list, row);
      g_autofree char *id = id_of (category);
      if (g_strcmp0 (id, self->selected) == 0)
        gtk_list_box_select_row (self->category_list, GTK_LIST_BOX_ROW (row));
    }
  self->updating = FALSE;
}

/* ---- the editor ---------------------------------------------------------------- */

static void
update_editor (PerchCategoriesPage *self)
{
  JsonObject *category = find_category (self, self->selected);
  gtk_stack_set_visible_child_name (self->editor_stack, category ? "editor" : "empty");
  if (category == NULL)
    return;

  self->updating = TRUE;
  adw_preferences_group_set_title (self->options_group, perch_json_get_string (category, "name", ""));
  adw_preferences_group_set_description (self->options_group, perch_json_get_string (category, "description", ""));
  gtk_switch_set_active (self->file_upload_switch, perch_json_get_bool (category, "file_upload", FALSE));
  gtk_switch_set_active (self->chat_history_switch, perch_json_get_bool (category, "chat_history", FALSE));
  gtk_switch_set_active (self->invitations_switch, perch_json_get_bool (category, "invitations", FALSE));
  struct { PerchPeopleEditor *editor; const char *member; } lists[] = {
    { self->allowed_editor, "allowed" }, { self->denied_editor, "denied" }, { self->creators_editor, "creators" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_auto(GStrv) people = perch_json_get_strv (category, lists[i].member);
      perch_people_editor_set_people (lists[i].editor, (const char *const *) people);
    }
  /* Allowed and denied members are what makes someone eligible in the
   * category, so they are chosen from everybody in the pool. A creator
   * becomes the manager of the rooms they make, and a manager must be
   * allowed: creators are chosen from the category's eligible users. Each
   * picker offers groups and domains too. */
  g_autofree char *escaped = perch_api_escape (self->selected);
  g_autofree char *path = g_strdup_printf ("/categories/%s/eligible", escaped);
  perch_people_editor_set_source_everyone (self->allowed_editor, api_of (self));
  perch_people_editor_set_source_everyone (self->denied_editor, api_of (self));
  perch_people_editor_set_source (self->creators_editor, api_of (self), path);
  self->updating = FALSE;
}

static void
select_id (PerchCategoriesPage *self, const char *id)
{
  if (g_strcmp0 (id, self->selected) != 0)
    {
      g_free (self->selected);
      self->selected = g_strdup (id);
      show_error (self, NULL);
    }
  update_editor (self);
}

static void
on_row_selected (PerchCategoriesPage *self, GtkListBoxRow *row)
{
  if (self->updating)
    return;
  select_id (self, row ? g_object_get_data (G_OBJECT (row), "perch-category-id") : NULL);
}

/* ---- loading ------------------------------------------------------------------- */

static void
loaded (PerchCategoriesPage *self)
{
  if (--self->loading > 0)
    return;
  if (self->select_name != NULL)
    {
      for (guint i = 0; i < self->categories->len; i++)
        {
          JsonObject *category = g_ptr_array_index (self->categories, i);
          if (g_strcmp0 (perch_json_get_string (category, "name", NULL), self->select_name) == 0)
            {
              g_autofree char *id = id_of (category);
              g_free (self->selected);
              self->selected = g_steal_pointer (&id);
              g_clear_pointer (&self->select_name, g_free);
              break;
            }
        }
    }
  if (find_category (self, self->selected) == NULL)
    g_clear_pointer (&self->selected, g_free);
  update_list (self);
  update_editor (self);
}

static void
on_categories (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCategoriesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    perch_toast_error (GTK_WIDGET (self), _("Could not read the categories"), error);
  JsonArray *items = perch_json_get_items (node);
  if (items != NULL)
    {
      g_ptr_array_set_size (self->categories, 0);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonNode *item = json_array_get_element (items, i);
          if (JSON_NODE_HOLDS_OBJECT (item))
            g_ptr_array_add (self->categories, json_object_ref (json_node_get_object (item)));
        }
    }
  loaded (self);
}

static void
on_rooms (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCategoriesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  JsonArray *items = perch_json_get_items (node);
  g_clear_pointer (&self->room_counts, g_hash_table_unref);
  if (items != NULL)
    {
      /* Counts are a courtesy: without them the list still shows. */
      self->room_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonNode *item = json_array_get_element (items, i);
          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          const char *category = perch_json_get_string (json_node_get_object (item), "category", "");
          guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->room_counts, category));
          g_hash_table_replace (self->room_counts, g_strdup (category), GUINT_TO_POINTER (n + 1));
        }
      self->rooms_more = perch_json_get_string (json_node_get_object (node), "next_cursor", NULL) != NULL;
    }
  loaded (self);
}

static void
refresh (PerchCategoriesPage *self)
{
  if (self->connection == NULL || self->loading > 0)
    return;
  self->loading = 2;
  perch_api_get_async (api_of (self), "/categories", self->cancellable, on_categories, g_object_ref (self));
  g_autofree char *rooms = g_strdup_printf ("/rooms?limit=%d", ROOMS_COUNTED);
  perch_api_get_async (api_of (self), rooms, self->cancellable, on_rooms, g_object_ref (self));
}

/* ---- changing ------------------------------------------------------------------ */

static void
on_patched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCategoriesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      show_error (self, error->message);
      /* Back to what the server holds. */
      update_editor (self);
      return;
    }
  show_error (self, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  JsonObject *changed = json_node_get_object (node);
  g_autofree char *id = id_of (changed);
  for (guint i = 0; i < self->categories->len; i++)
    {
      g_autofree char *other = id_of (g_ptr_array_index (self->categories, i));
      if (g_strcmp0 (other, id) == 0)
        {
          json_object_unref (g_ptr_array_index (self->categories, i));
          g_ptr_array_index (self->categories, i) = json_object_ref (changed);
        }
    }
  update_list (self);
  if (g_strcmp0 (id, self->selected) == 0)
    update_editor (self);
}

static void
patch (PerchCategoriesPage *self, JsonObject *body)
{
  if (self->connection == NULL || self->selected == NULL)
    return;
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  g_autofree char *escaped = perch_api_escape (self->selected);
  g_autofree char *path = g_strconcat ("/categories/", escaped, NULL);
  perch_api_send_async (api_of (self), "PATCH", path, node, self->cancellable, on_patched, g_object_ref (self));
}

static void
on_switch_changed (PerchCategoriesPage *self, GParamSpec *pspec, GtkSwitch *widget)
{
  if (self->updating)
    return;
  const char *member = widget == self->file_upload_switch ? "file_upload"
                     : widget == self->chat_history_switch ? "chat_history" : "invitations";
  g_autoptr(JsonObject) body = json_object_new ();
  json_object_set_boolean_member (body, member, gtk_switch_get_active (widget));
  patch (self, body);
}

static JsonArray *
missing_from (const char *const *these, const char *const *those)
{
  JsonArray *out = json_array_new ();
  for (guint i = 0; these && these[i]; i++)
    if (those == NULL || !g_strv_contains (those, these[i]))
      json_array_add_string_element (out, these[i]);
  return out;
}

static void
on_people_changed (PerchCategoriesPage *self, PerchPeopleEditor *editor)
{
  JsonObject *category = find_category (self, self->selected);
  if (self->updating || category == NULL)
    return;
  const char *member = editor == self->allowed_editor ? "allowed"
                     : editor == self->denied_editor ? "denied" : "creators";
  g_auto(GStrv) before = perch_json_get_strv (category, member);
  g_auto(GStrv) after = perch_people_editor_dup_people (editor);
  JsonObject *edit = json_object_new ();
  json_object_set_array_member (edit, "add", missing_from ((const char *const *) after, (const char *const *) before));
  json_object_set_array_member (edit, "remove", missing_from ((const char *const *) before, (const char *const *) after));
  g_autoptr(JsonObject) body = json_object_new ();
  json_object_set_object_member (body, member, edit);
  patch (self, body);
}

static void
on_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCategoriesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->new_row), "error");
      perch_toast_error (GTK_WIDGET (self), _("Could not create the category"), error);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->new_row), "error");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      g_free (self->select_name);
      self->select_name = g_strdup (perch_json_get_string (json_node_get_object (node), "name", NULL));
    }
  gtk_editable_set_text (GTK_EDITABLE (self->new_row), "");
  refresh (self);
}

static void
on_new_applied (PerchCategoriesPage *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->new_row));
  if (self->connection == NULL || *name == '\0')
    return;
  g_autoptr(JsonObject) body = json_object_new ();
  json_object_set_string_member (body, "name", name);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  perch_api_send_async (api_of (self), "POST", "/categories", node, self->cancellable, on_created,
                        g_object_ref (self));
}

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCategoriesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      /* A category that holds rooms: the server says so (422). */
      show_error (self, error->message);
      return;
    }
  g_clear_pointer (&self->selected, g_free);
  refresh (self);
}

static void
on_delete_response (AdwMessageDialog *dialog, const char *response, PerchCategoriesPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "perch-category-id");
  if (g_strcmp0 (response, "delete") != 0 || self->connection == NULL || id == NULL)
    return;
  g_autofree char *escaped = perch_api_escape (id);
  g_autofree char *path = g_strconcat ("/categories/", escaped, NULL);
  perch_api_send_async (api_of (self), "DELETE", path, NULL, self->cancellable, on_deleted, g_object_ref (self));
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchCategoriesPage *self = PERCH_CATEGORIES_PAGE (widget);
  JsonObject *category = find_category (self, self->selected);
  if (category == NULL)
    return;
  GtkRoot *root = gtk_widget_get_root (widget);
  /* Translators: the heading of a confirmation; %s is a category's name */
  g_autofree char *heading = g_strdup_printf (_("Delete “%s”?"), perch_json_get_string (category, "name", ""));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading,
                                              _("The category and its settings are deleted. A category that "
                                                "still holds rooms cannot be deleted."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "perch-category-id", g_strdup (self->selected), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  refresh (PERCH_CATEGORIES_PAGE (widget));
}

/* ---- connection ---------------------------------------------------------------- */

PerchConnection *
perch_categories_page_get_connection (PerchCategoriesPage *self)
{
  g_return_val_if_fail (PERCH_IS_CATEGORIES_PAGE (self), NULL);
  return self->connection;
}

guint
perch_categories_page_get_n_categories (PerchCategoriesPage *self)
{
  g_return_val_if_fail (PERCH_IS_CATEGORIES_PAGE (self), 0);
  return self->categories->len;
}

gboolean
perch_categories_page_get_loading (PerchCategoriesPage *self)
{
  g_return_val_if_fail (PERCH_IS_CATEGORIES_PAGE (self), FALSE);
  return self->loading > 0;
}

gboolean
perch_categories_page_select (PerchCategoriesPage *self, const char *name)
{
  g_return_val_if_fail (PERCH_IS_CATEGORIES_PAGE (self), FALSE);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->category_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *id = g_object_get_data (G_OBJECT (row), "perch-category-id");
      JsonObject *category = find_category (self, id);
      if (category != NULL && g_strcmp0 (perch_json_get_string (category, "name", NULL), name) == 0)
        {
          gtk_list_box_select_row (self->category_list, GTK_LIST_BOX_ROW (row));
          return TRUE;
        }
    }
  return FALSE;
}

void
perch_categories_page_set_connection (PerchCategoriesPage *self, PerchConnection *connection)
{
  g_return_if_fail (PERCH_IS_CATEGORIES_PAGE (self));

  if (self->connection == connection)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_set_object (&self->connection, connection);
  self->loading = 0;
  g_ptr_array_set_size (self->categories, 0);
  g_clear_pointer (&self->room_counts, g_hash_table_unref);
  g_clear_pointer (&self->selected, g_free);
  g_clear_pointer (&self->select_name, g_free);
  show_error (self, NULL);
  update_list (self);
  update_editor (self);

  if (connection != NULL)
    {
      gboolean admin = perch_connection_get_admin (connection);
      self->cancellable = g_cancellable_new ();
      gtk_widget_set_sensitive (GTK_WIDGET (self->editor_page), admin);
      gtk_widget_set_visible (GTK_WIDGET (self->new_row), admin);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "categories.delete", admin);
      refresh (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

/* ---- widget -------------------------------------------------------------------- */

static void
perch_categories_page_dispose (GObject *object)
{
  PerchCategoriesPage *self = PERCH_CATEGORIES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);
  g_clear_pointer (&self->categories, g_ptr_array_unref);
  g_clear_pointer (&self->room_counts, g_hash_table_unref);
  g_clear_pointer (&self->selected, g_free);
  g_clear_pointer (&self->select_name, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_CATEGORIES_PAGE);

  G_OBJECT_CLASS (perch_categories_page_parent_class)->dispose (object);
}

static void
perch_categories_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, PERCH_CATEGORIES_PAGE (object)->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_categories_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      perch_categories_page_set_connection (PERCH_CATEGORIES_PAGE (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_categories_page_class_init (PerchCategoriesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = perch_categories_page_dispose;
  object_class->get_property = perch_categories_page_get_property;
  object_class->set_property = perch_categories_page_set_property;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                     G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PERCH_TYPE_PEOPLE_EDITOR);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-categories-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, category_list);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, new_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, editor_stack);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, editor_page);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, options_group);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, file_upload_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, chat_history_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, invitations_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, allowed_editor);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, denied_editor);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, creators_editor);
  gtk_widget_class_bind_template_child (widget_class, PerchCategoriesPage, error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_row_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_people_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_new_applied);

  gtk_widget_class_install_action (widget_class, "page.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "categories.delete", NULL, delete_action);
}

static void
perch_categories_page_init (PerchCategoriesPage *self)
{
  self->categories = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
}
