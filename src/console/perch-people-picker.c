/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-people-picker.c: search-as-you-type over the eligible route. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-people-picker.h"
#include "perch-principal.h"
#include "perch-room-item.h"

#define RESULT_LIMIT 50

struct _PerchPeoplePicker {
  GtkPopover      parent_instance;

  /* template children */
  GtkSearchEntry *search_entry;
  GtkListBox     *results_list;
  GtkLabel       *status_label;
  GListStore     *results;

  PerchApi       *api;
  char           *path;
  GCancellable   *cancellable;   /* of the search under way */
};

G_DEFINE_FINAL_TYPE (PerchPeoplePicker, perch_people_picker, GTK_TYPE_POPOVER)

enum {
  SIGNAL_PICKED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
set_status (PerchPeoplePicker *self, const char *text)
{
  gtk_label_set_text (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
}

static void
on_results (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchPeoplePicker) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  g_list_store_remove_all (self->results);
  if (error != NULL)
    {
      set_status (self, error->message);
      return;
    }
  JsonObject *obj = answer && JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode *items = obj ? json_object_get_member (obj, "items") : NULL;
  guint n = items && JSON_NODE_HOLDS_ARRAY (items) ? json_array_get_length (json_node_get_array (items)) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (items), i);
      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      JsonObject *person = json_node_get_object (element);
      g_autoptr(PerchPrincipal) principal =
        perch_principal_new (perch_json_get_string (person, "uri", ""),
                             perch_json_get_string (person, "display_name", ""));
      g_list_store_append (self->results, principal);
    }
  set_status (self, n == 0 ? _("Nobody found who may be added") : NULL);
}

void
perch_people_picker_search (PerchPeoplePicker *self, const char *text)
{
  g_return_if_fail (PERCH_IS_PEOPLE_PICKER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->api == NULL || self->path == NULL)
    {
      g_list_store_remove_all (self->results);
      set_status (self, _("Choose a category first"));
      return;
    }
  g_autofree char *escaped = perch_api_escape (text);
  g_autofree char *path = g_strdup_printf ("%s?limit=%d&text=%s", self->path, RESULT_LIMIT, escaped);
  self->cancellable = g_cancellable_new ();
  perch_api_get_async (self->api, path, self->cancellable, on_results, g_object_ref (self));
}

void
perch_people_picker_set_source (PerchPeoplePicker *self, PerchApi *api, const char *path)
{
  g_return_if_fail (PERCH_IS_PEOPLE_PICKER (self));
  g_set_object (&self->api, api);
  g_free (self->path);
  self->path = g_strdup (path);
  g_list_store_remove_all (self->results);
}

GListModel *
perch_people_picker_get_results (PerchPeoplePicker *self)
{
  g_return_val_if_fail (PERCH_IS_PEOPLE_PICKER (self), NULL);
  return G_LIST_MODEL (self->results);
}

static GtkWidget *
create_row (gpointer item, gpointer user_data)
{
  PerchPrincipal *principal = item;
  const char *name = perch_principal_get_display_name (principal);
  const char *address = perch_principal_display (perch_principal_get_uri (principal));

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  GtkWidget *title = gtk_label_new (*name ? name : address);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), title);
  if (*name)
    {
      GtkWidget *subtitle = gtk_label_new (address);
      gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
      gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (subtitle, "caption");
      gtk_widget_add_css_class (subtitle, "dim-label");
      gtk_box_append (GTK_BOX (box), subtitle);
    }
  GtkWidget *row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "perch-uri", g_strdup (perch_principal_get_uri (principal)), g_free);
  return row;
}

static void
pick (PerchPeoplePicker *self, const char *uri)
{
  g_autofree char *picked = g_strdup (uri);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  gtk_popover_popdown (GTK_POPOVER (self));
  g_signal_emit (self, signals[SIGNAL_PICKED], 0, picked);
}

static void
on_row_activated (PerchPeoplePicker *self, GtkListBoxRow *row)
{
  pick (self, g_object_get_data (G_OBJECT (row), "perch-uri"));
}

static void
on_search_activated (PerchPeoplePicker *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->results)) > 0)
    {
      g_autoptr(PerchPrincipal) first = g_list_model_get_item (G_LIST_MODEL (self->results), 0);
      pick (self, perch_principal_get_uri (first));
    }
}

static void
on_search_changed (PerchPeoplePicker *self)
{
  perch_people_picker_search (self, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
perch_people_picker_show (GtkWidget *widget)
{
  PerchPeoplePicker *self = PERCH_PEOPLE_PICKER (widget);
  GTK_WIDGET_CLASS (perch_people_picker_parent_class)->show (widget);
  perch_people_picker_search (self, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
perch_people_picker_constructed (GObject *object)
{
  PerchPeoplePicker *self = PERCH_PEOPLE_PICKER (object);
  G_OBJECT_CLASS (perch_people_picker_parent_class)->constructed (object);
  gtk_list_box_bind_model (self->results_list, G_LIST_MODEL (self->results), create_row, NULL, NULL);
}

static void
perch_people_picker_dispose (GObject *object)
{
  PerchPeoplePicker *self = PERCH_PEOPLE_PICKER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->api);
  g_clear_pointer (&self->path, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_PEOPLE_PICKER);

  G_OBJECT_CLASS (perch_people_picker_parent_class)->dispose (object);
}

static void
perch_people_picker_class_init (PerchPeoplePickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = perch_people_picker_constructed;
  object_class->dispose = perch_people_picker_dispose;
  widget_class->show = perch_people_picker_show;

  signals[SIGNAL_PICKED] = g_signal_new ("picked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (PERCH_TYPE_PRINCIPAL);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-people-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchPeoplePicker, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PerchPeoplePicker, results_list);
  gtk_widget_class_bind_template_child (widget_class, PerchPeoplePicker, status_label);
  gtk_widget_class_bind_template_child (widget_class, PerchPeoplePicker, results);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
}

static void
perch_people_picker_init (PerchPeoplePicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
