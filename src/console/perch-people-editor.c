/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-people-editor.c: a GtkStringList shown through a bound list box. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-people-editor.h"
#include "perch-people-picker.h"
#include "perch-principal.h"
#include "perch-room-item.h"

struct _PerchPeopleEditor {
  AdwPreferencesGroup  parent_instance;

  /* template children */
  GtkMenuButton       *add_button;
  PerchPeoplePicker   *picker;
  GtkListBox          *list;
  GtkLabel            *empty_label;
  GtkStringList       *people;
};

G_DEFINE_FINAL_TYPE (PerchPeopleEditor, perch_people_editor, ADW_TYPE_PREFERENCES_GROUP)

enum {
  PROP_0,
  PROP_EMPTY_TEXT,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static int
find (PerchPeopleEditor *self, const char *principal)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->people));
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->people, i), principal) == 0)
      return (int) i;
  return -1;
}

static GtkWidget *
create_row (gpointer item, gpointer user_data)
{
  const char *principal = gtk_string_object_get_string (item);
  PerchPrincipalKind kind = perch_principal_kind_of (principal);
  GtkWidget *row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), perch_principal_display (principal));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_icon_name (ADW_ACTION_ROW (row), perch_principal_kind_icon (kind));
  if (kind != PERCH_PRINCIPAL_USER)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), perch_principal_kind_label (kind));

  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove"));
  /* Translators: the accessible name of a remove button; %s is a person */
  g_autofree char *label = g_strdup_printf (_("Remove %s"), perch_principal_display (principal));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (remove), "people.remove");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (remove), "s", principal);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
  return row;
}

static void
update_empty (PerchPeopleEditor *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->people)) == 0;
  gtk_widget_set_visible (GTK_WIDGET (self->list), !empty);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), empty);
}

void
perch_people_editor_set_people (PerchPeopleEditor *self, const char *const *people)
{
  g_return_if_fail (PERCH_IS_PEOPLE_EDITOR (self));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->people));
  gtk_string_list_splice (self->people, 0, n, people);
  update_empty (self);
}

char **
perch_people_editor_dup_people (PerchPeopleEditor *self)
{
  g_return_val_if_fail (PERCH_IS_PEOPLE_EDITOR (self), NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->people));
  char **out = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (gtk_string_list_get_string (self->people, i));
  return out;
}

void
perch_people_editor_set_source (PerchPeopleEditor *self, PerchApi *api, const char *path)
{
  g_return_if_fail (PERCH_IS_PEOPLE_EDITOR (self));
  perch_people_picker_set_source (self->picker, api, path);
}

void
perch_people_editor_set_source_everyone (PerchPeopleEditor *self, PerchApi *api)
{
  g_return_if_fail (PERCH_IS_PEOPLE_EDITOR (self));
  perch_people_picker_set_source_everyone (self->picker, api);
}

PerchPeoplePicker *
perch_people_editor_get_picker (PerchPeopleEditor *self)
{
  g_return_val_if_fail (PERCH_IS_PEOPLE_EDITOR (self), NULL);
  return self->picker;
}

void
perch_people_editor_set_empty_text (PerchPeopleEditor *self, const char *text)
{
  g_return_if_fail (PERCH_IS_PEOPLE_EDITOR (self));
  gtk_label_set_text (self->empty_label, text ? text : _("Nobody"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMPTY_TEXT]);
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchPeopleEditor *self = PERCH_PEOPLE_EDITOR (widget);
  const char *principal = g_variant_get_string (parameter, NULL);
  if (*principal == '\0' || find (self, principal) >= 0)
    return;
  gtk_string_list_append (self->people, principal);
  update_empty (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
remove_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchPeopleEditor *self = PERCH_PEOPLE_EDITOR (widget);
  int index = find (self, g_variant_get_string (parameter, NULL));
  if (index < 0)
    return;
  gtk_string_list_remove (self->people, (guint) index);
  update_empty (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_picked (PerchPeopleEditor *self, const char *uri)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "people.add", "s", uri);
}

static void
perch_people_editor_constructed (GObject *object)
{
  PerchPeopleEditor *self = PERCH_PEOPLE_EDITOR (object);
  G_OBJECT_CLASS (perch_people_editor_parent_class)->constructed (object);
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (self->people), create_row, NULL, NULL);
  const char *title = adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (self));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  /* Translators: the accessible name of the add button; %s is "Members", ... */
  g_autofree char *add = g_strdup_printf (_("Add to %s"), title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->add_button), GTK_ACCESSIBLE_PROPERTY_LABEL, add, -1);
  update_empty (self);
}

static void
perch_people_editor_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), PERCH_TYPE_PEOPLE_EDITOR);
  G_OBJECT_CLASS (perch_people_editor_parent_class)->dispose (object);
}

static void
perch_people_editor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_EMPTY_TEXT:
      g_value_set_string (value, gtk_label_get_text (PERCH_PEOPLE_EDITOR (object)->empty_label));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_people_editor_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_EMPTY_TEXT:
      perch_people_editor_set_empty_text (PERCH_PEOPLE_EDITOR (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_people_editor_class_init (PerchPeopleEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = perch_people_editor_constructed;
  object_class->dispose = perch_people_editor_dispose;
  object_class->get_property = perch_people_editor_get_property;
  object_class->set_property = perch_people_editor_set_property;

  properties[PROP_EMPTY_TEXT] = g_param_spec_string ("empty-text", NULL, NULL, NULL,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                     G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (PERCH_TYPE_PEOPLE_PICKER);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-people-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchPeopleEditor, add_button);
  gtk_widget_class_bind_template_child (widget_class, PerchPeopleEditor, picker);
  gtk_widget_class_bind_template_child (widget_class, PerchPeopleEditor, list);
  gtk_widget_class_bind_template_child (widget_class, PerchPeopleEditor, empty_label);
  gtk_widget_class_bind_template_child (widget_class, PerchPeopleEditor, people);
  gtk_widget_class_bind_template_callback (widget_class, on_picked);

  gtk_widget_class_install_action (widget_class, "people.add", "s", add_action);
  gtk_widget_class_install_action (widget_class, "people.remove", "s", remove_action);
}

static void
perch_people_editor_init (PerchPeopleEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
