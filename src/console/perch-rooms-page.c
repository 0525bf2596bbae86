/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-rooms-page.c: the rooms table, its query bar and the editor.
 *
 * Sorting. The column headers sort as users expect, but the sorting is the
 * server's, so the page needs to know which column the view sorts by and
 * in which direction. GTK 4.10 says so (gtk_column_view_sorter_get_primary_
 * sort_column); 4.8 does not. So the sortable columns carry custom sorters
 * that are never used on rows, only probed: comparing two dummy objects
 * with the view's sorter calls the primary column's sorter first, and it
 * records its name and answers "smaller", which the view inverts for a
 * descending sort. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-console-window.h"
#include "perch-room-item.h"
#include "perch-room-editor.h"
#include "perch-room-list.h"
#include "perch-rooms-page.h"
#include "perch-connection.h"

struct _PerchRoomsPage {
  AdwBin               parent_instance;

  /* template children */
  GtkSearchEntry      *search_entry;
  GtkDropDown         *category_dropdown;
  GtkStringList       *category_filter;   /* "All categories", then the names */
  GtkDropDown         *privacy_dropdown;
  GtkDropDown         *type_dropdown;
  GtkDropDown         *state_dropdown;
  GtkStack            *content_stack;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *activity_column;
  PerchRoomList       *rooms;
  GtkStringList       *categories;

  PerchConnection        *connection;
  GCancellable        *cancellable;       /* requests of this connection */
  PerchRoomEditor     *editor;            /* weak */
  GObject             *probe_a, *probe_b;
  const char          *probe_hit;
  gboolean             updating;
};

G_DEFINE_FINAL_TYPE (PerchRoomsPage, perch_rooms_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static const char *const privacy_filter[] = { NULL, "open", "closed", "secret" };
static const char *const type_filter[] = { NULL, "normal", "auditorium" };
static const char *const state_filter[] = { NULL, "false", "true" };

/* ---- what is shown ------------------------------------------------------------- */

static void
update_content (PerchRoomsPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rooms));
  const char *page = "list";
  if (n == 0 && self->connection != NULL)
    page = perch_room_list_get_loaded (self->rooms) ? "empty" : "loading";
  gtk_stack_set_visible_child_name (self->content_stack, page);
}

static void
on_rooms_error (PerchRoomsPage *self, GError *error)
{
  perch_toast_error (GTK_WIDGET (self), _("Could not load the rooms"), error);
}

/* ---- cells ---------------------------------------------------------------------- */

static void
setup_label (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

static GtkLabel *
cell (GtkListItem *item)
{
  return GTK_LABEL (gtk_list_item_get_child (item));
}

static void
bind_name (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  PerchRoomItem *room = gtk_list_item_get_item (item);
  gtk_label_set_text (cell (item), perch_room_item_get_name (room));
  const char *description = perch_room_item_get_description (room);
  gtk_widget_set_tooltip_text (GTK_WIDGET (cell (item)), *description ? description : NULL);
  /* Rows near the end of what is loaded ask for the next page. */
  perch_room_list_ensure (self->rooms, gtk_list_item_get_position (item));
}

static void
bind_category (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  gtk_label_set_text (cell (item), perch_room_item_get_category (gtk_list_item_get_item (item)));
}

static void
bind_privacy (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  gtk_label_set_text (cell (item), perch_privacy_label (perch_room_item_get_privacy (gtk_list_item_get_item (item))));
}

static void
bind_type (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  gtk_label_set_text (cell (item), perch_room_type_label (perch_room_item_get_room_type (gtk_list_item_get_item (item))));
}

static void
bind_members (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  const char *const *members = perch_room_item_get_members (gtk_list_item_get_item (item));
  guint n = g_strv_length ((char **) members);
  GtkLabel *label = cell (item);
  if (n == 0)
    {
      gtk_label_set_text (label, _("From category"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (label), _("No members listed: everyone the category allows"));
      gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
      return;
    }
  g_autofree char *count = g_strdup_printf ("%u", n);
  gtk_label_set_text (label, count);
  gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
  /* The first few, as a hint: a room may have thousands. */
  GString *tip = g_string_new (NULL);
  for (guint i = 0; i < n && i < 10; i++)
    g_string_append_printf (tip, "%s%s", i ? "\n" : "", perch_principal_display (members[i]));
  if (n > 10)
    g_string_append_printf (tip, "\n…");
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), tip->str);
  g_string_free (tip, TRUE);
}

static void
bind_managers (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  const char *const *managers = perch_room_item_get_managers (gtk_list_item_get_item (item));
  GString *text = g_string_new (NULL);
  for (guint i = 0; managers[i]; i++)
    g_string_append_printf (text, "%s%s", i ? ", " : "", perch_principal_display (managers[i]));
  gtk_label_set_text (cell (item), text->str);
  gtk_widget_set_tooltip_text (GTK_WIDGET (cell (item)), text->len ? text->str : NULL);
  g_string_free (text, TRUE);
}

static void
bind_activity (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  const char *last = perch_room_item_get_last_post (gtk_list_item_get_item (item));
  g_autofree char *text = perch_format_when (last);
  gtk_label_set_text (cell (item), text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (cell (item)), last);
  if (last == NULL)
    gtk_widget_add_css_class (GTK_WIDGET (cell (item)), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (cell (item)), "dim-label");
}

static void
bind_disabled (GtkSignalListItemFactory *factory, GtkListItem *item, PerchRoomsPage *self)
{
  gboolean disabled = perch_room_item_get_disabled (gtk_list_item_get_item (item));
  GtkLabel *label = cell (item);
  gtk_label_set_text (label, disabled ? _("Disabled") : _("No"));
  if (disabled)
    {
      gtk_widget_add_css_class (GTK_WIDGET (label), "warning");
      gtk_widget_remove_css_class (GTK_WIDGET (label), "dim-label");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (label), "dim-label");
      gtk_widget_remove_css_class (GTK_WIDGET (label), "warning");
    }
}

/* ---- the query ----------------------------------------------------------------- */

static int
probe_name (gconstpointer a, gconstpointer b, gpointer user_data)
{
  PerchRoomsPage *self = user_data;
  if (self->probe_hit == NULL)
    self->probe_hit = "name";
  return GTK_ORDERING_SMALLER;
}

static int
probe_activity (gconstpointer a, gconstpointer b, gpointer user_data)
{
  PerchRoomsPage *self = user_data;
  if (self->probe_hit == NULL)
    self->probe_hit = "activity";
  return GTK_ORDERING_SMALLER;
}

static void
on_sort_changed (PerchRoomsPage *self)
{
  GtkSorter *sorter = gtk_column_view_get_sorter (self->column_view);
  self->probe_hit = NULL;
  GtkOrdering order = gtk_sorter_compare (sorter, self->probe_a, self->probe_b);
  const char *sort = self->probe_hit ? self->probe_hit : "name";
  perch_room_list_set_sort (self->rooms, sort, order == GTK_ORDERING_LARGER);
}

static const char *
selected_of (GtkDropDown *dropdown, const char *const *values, guint n_values)
{
  guint selected = gtk_drop_down_get_selected (dropdown);
  return selected < n_values ? values[selected] : NULL;
}

static void
on_filter_changed (PerchRoomsPage *self)
{
  if (self->updating)
    return;
  guint category = gtk_drop_down_get_selected (self->category_dropdown);
  perch_room_list_set_category (self->rooms, category > 0 && category != GTK_INVALID_LIST_POSITION
                                             ? gtk_string_list_get_string (self->category_filter, category)
                                             : NULL);
  perch_room_list_set_privacy (self->rooms, selected_of (self->privacy_dropdown, privacy_filter,
                                                         G_N_ELEMENTS (privacy_filter)));
  perch_room_list_set_room_type (self->rooms, selected_of (self->type_dropdown, type_filter,
                                                           G_N_ELEMENTS (type_filter)));
  perch_room_list_set_disabled (self->rooms, selected_of (self->state_dropdown, state_filter,
                                                          G_N_ELEMENTS (state_filter)));
  update_content (self);
}

static void
on_search_changed (PerchRoomsPage *self)
{
  perch_room_list_set_text (self->rooms, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_content (self);
}

static void
on_search_stopped (PerchRoomsPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->column_view));
}

/* ---- categories ------------------------------------------------------------------ */

static void
on_categories (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchRoomsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      perch_toast_error (GTK_WIDGET (self), _("Could not load the categories"), error);
      return;
    }
  JsonObject *obj = answer && JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode *items = obj ? json_object_get_member (obj, "items") : NULL;
  guint n = items && JSON_NODE_HOLDS_ARRAY (items) ? json_array_get_length (json_node_get_array (items)) : 0;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (items), i);
      if (JSON_NODE_HOLDS_OBJECT (element))
        g_strv_builder_add (names, perch_json_get_string (json_node_get_object (element), "name", ""));
    }
  g_auto(GStrv) list = g_strv_builder_end (names);

  /* The filter keeps its choice when that category still exists. */
  guint selected = gtk_drop_down_get_selected (self->category_dropdown);
  g_autofree char *chosen = selected > 0 && selected != GTK_INVALID_LIST_POSITION
                              ? g_strdup (gtk_string_list_get_string (self->category_filter, selected))
                              : NULL;
  self->updating = TRUE;
  gtk_string_list_splice (self->categories, 0, g_list_model_get_n_items (G_LIST_MODEL (self->categories)),
                          (const char *const *) list);
  gtk_string_list_splice (self->category_filter, 1,
                          g_list_model_get_n_items (G_LIST_MODEL (self->category_filter)) - 1,
                          (const char *const *) list);
  guint keep = 0;
  for (guint i = 0; chosen && list[i]; i++)
    if (g_str_equal (list[i], chosen))
      keep = i + 1;
  gtk_drop_down_set_selected (self->category_dropdown, keep);
  self->updating = FALSE;
  if (chosen != NULL && keep == 0)
    on_filter_changed (self);
}

static void
load_categories (PerchRoomsPage *self)
{
  if (self->connection == NULL)
    return;
  perch_api_get_async (perch_connection_get_api (self->connection), "/categories", self->cancellable, on_categories,
                       g_object_ref (self));
}

/* ---- the editor ------------------------------------------------------------------ */

static void
on_room_saved (PerchRoomEditor *editor, PerchRoomItem *room, PerchRoomsPage *self)
{
  /* Translators: %s is a room's name */
  g_autofree char *text = g_strdup_printf (perch_room_editor_get_room (editor) ? _("Room “%s” saved")
                                                                              : _("Room “%s” created"),
                                           perch_room_item_get_name (room));
  perch_toast (GTK_WIDGET (self), text);
  perch_room_list_reload (self->rooms);
}

static void
on_room_deleted (PerchRoomsPage *self, const char *name)
{
  g_autofree char *text = g_strdup_printf (_("Room “%s” deleted"), name);
  perch_toast (GTK_WIDGET (self), text);
  perch_room_list_reload (self->rooms);
}

static void
open_editor (PerchRoomsPage *self, PerchRoomItem *room)
{
  if (self->connection == NULL)
    return;
  if (self->editor != NULL)
    gtk_window_destroy (GTK_WINDOW (self->editor));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  self->editor = perch_room_editor_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, self->connection,
                                        G_LIST_MODEL (self->categories), room);
  g_object_add_weak_pointer (G_OBJECT (self->editor), (gpointer *) &self->editor);
  g_signal_connect_object (self->editor, "saved", G_CALLBACK (on_room_saved), self, 0);
  g_signal_connect_object (self->editor, "deleted", G_CALLBACK (on_room_deleted), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->editor));
}

static void
on_row_activated (PerchRoomsPage *self, guint position)
{
  g_autoptr(PerchRoomItem) room = g_list_model_get_item (G_LIST_MODEL (self->rooms), position);
  if (room != NULL)
    open_editor (self, room);
}

/* ---- actions --------------------------------------------------------------------- */

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchRoomsPage *self = PERCH_ROOMS_PAGE (widget);
  load_categories (self);
  perch_room_list_reload (self->rooms);
}

static void
search_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchRoomsPage *self = PERCH_ROOMS_PAGE (widget);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
new_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  open_editor (PERCH_ROOMS_PAGE (widget), NULL);
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchRoomsPage *self = PERCH_ROOMS_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rooms));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PerchRoomItem) room = g_list_model_get_item (G_LIST_MODEL (self->rooms), i);
      if (g_strcmp0 (perch_room_item_get_id (room), id) == 0)
        {
          open_editor (self, room);
          return;
        }
    }
}

/* ---- connection --------------------------------------------------------------------- */

PerchConnection *
perch_rooms_page_get_connection (PerchRoomsPage *self)
{
  g_return_val_if_fail (PERCH_IS_ROOMS_PAGE (self), NULL);
  return self->connection;
}

void
perch_rooms_page_set_connection (PerchRoomsPage *self, PerchConnection *connection)
{
  g_return_if_fail (PERCH_IS_ROOMS_PAGE (self));

  if (self->connection == connection)
    return;
  if (self->editor != NULL)
    gtk_window_destroy (GTK_WINDOW (self->editor));
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_set_object (&self->connection, connection);

  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_drop_down_set_selected (self->category_dropdown, 0);
  gtk_drop_down_set_selected (self->privacy_dropdown, 0);
  gtk_drop_down_set_selected (self->type_dropdown, 0);
  gtk_drop_down_set_selected (self->state_dropdown, 0);
  gtk_string_list_splice (self->categories, 0, g_list_model_get_n_items (G_LIST_MODEL (self->categories)), NULL);
  gtk_string_list_splice (self->category_filter, 1,
                          g_list_model_get_n_items (G_LIST_MODEL (self->category_filter)) - 1, NULL);
  self->updating = FALSE;
  perch_room_list_set_text (self->rooms, NULL);
  perch_room_list_set_category (self->rooms, NULL);
  perch_room_list_set_privacy (self->rooms, NULL);
  perch_room_list_set_room_type (self->rooms, NULL);
  perch_room_list_set_disabled (self->rooms, NULL);

  if (connection != NULL)
    {
      self->cancellable = g_cancellable_new ();
      load_categories (self);
    }
  perch_room_list_set_api (self->rooms, connection ? perch_connection_get_api (connection) : NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rooms.new", connection != NULL);
  update_content (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

PerchRoomList *
perch_rooms_page_get_rooms (PerchRoomsPage *self)
{
  g_return_val_if_fail (PERCH_IS_ROOMS_PAGE (self), NULL);
  return self->rooms;
}

GListModel *
perch_rooms_page_get_categories (PerchRoomsPage *self)
{
  g_return_val_if_fail (PERCH_IS_ROOMS_PAGE (self), NULL);
  return G_LIST_MODEL (self->categories);
}

PerchRoomEditor *
perch_rooms_page_get_editor (PerchRoomsPage *self)
{
  g_return_val_if_fail (PERCH_IS_ROOMS_PAGE (self), NULL);
  return self->editor;
}

/* ---- widget ---------------------------------------------------------------------- */

static void
perch_rooms_page_constructed (GObject *object)
{
  PerchRoomsPage *self = PERCH_ROOMS_PAGE (object);

  G_OBJECT_CLASS (perch_rooms_page_parent_class)->constructed (object);

  self->probe_a = g_object_new (G_TYPE_OBJECT, NULL);
  self->probe_b = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GtkCustomSorter) by_name = gtk_custom_sorter_new (probe_name, self, NULL);
  g_autoptr(GtkCustomSorter) by_activity = gtk_custom_sorter_new (probe_activity, self, NULL);
  gtk_column_view_column_set_sorter (self->name_column, GTK_SORTER (by_name));
  gtk_column_view_column_set_sorter (self->activity_column, GTK_SORTER (by_activity));
  g_signal_connect_object (gtk_column_view_get_sorter (self->column_view), "changed",
                           G_CALLBACK (on_sort_changed), self, G_CONNECT_SWAPPED);
  gtk_column_view_sort_by_column (self->column_view, self->name_column, GTK_SORT_ASCENDING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "rooms.new", FALSE);
  update_content (self);
}

static void
perch_rooms_page_dispose (GObject *object)
{
  PerchRoomsPage *self = PERCH_ROOMS_PAGE (object);

  if (self->editor != NULL)
    gtk_window_destroy (GTK_WINDOW (self->editor));
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->rooms != NULL)
    perch_room_list_set_api (self->rooms, NULL);
  /* The columns' sorters call back into this page: they go first. */
  if (self->name_column != NULL)
    gtk_column_view_column_set_sorter (self->name_column, NULL);
  if (self->activity_column != NULL)
    gtk_column_view_column_set_sorter (self->activity_column, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_ROOMS_PAGE);
  g_clear_object (&self->connection);
  g_clear_object (&self->probe_a);
  g_clear_object (&self->probe_b);

  G_OBJECT_CLASS (perch_rooms_page_parent_class)->dispose (object);
}

static void
perch_rooms_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, PERCH_ROOMS_PAGE (object)->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_rooms_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      perch_rooms_page_set_connection (PERCH_ROOMS_PAGE (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_rooms_page_class_init (PerchRoomsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = perch_rooms_page_constructed;
  object_class->dispose = perch_rooms_page_dispose;
  object_class->get_property = perch_rooms_page_get_property;
  object_class->set_property = perch_rooms_page_set_property;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                  G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PERCH_TYPE_ROOM_LIST);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-rooms-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, category_filter);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, privacy_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, name_column);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, activity_column);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, rooms);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomsPage, categories);
  gtk_widget_class_bind_template_callback (widget_class, setup_label);
  gtk_widget_class_bind_template_callback (widget_class, bind_name);
  gtk_widget_class_bind_template_callback (widget_class, bind_category);
  gtk_widget_class_bind_template_callback (widget_class, bind_privacy);
  gtk_widget_class_bind_template_callback (widget_class, bind_type);
  gtk_widget_class_bind_template_callback (widget_class, bind_members);
  gtk_widget_class_bind_template_callback (widget_class, bind_managers);
  gtk_widget_class_bind_template_callback (widget_class, bind_activity);
  gtk_widget_class_bind_template_callback (widget_class, bind_disabled);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_stopped);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_rooms_error);
  gtk_widget_class_bind_template_callback (widget_class, update_content);

  gtk_widget_class_install_action (widget_class, "page.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "page.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "rooms.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "rooms.edit", "s", edit_action);
}

static void
perch_rooms_page_init (PerchRoomsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
