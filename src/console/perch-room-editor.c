/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-editor.c: POST /rooms for a new room; PATCH /rooms/{id} with
 * only what changed (lists as add/remove edits, so that a concurrent edit
 * of another entry is kept); DELETE /rooms/{id}. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-people-editor.h"
#include "perch-room-item.h"
#include "perch-room-editor.h"
#include "perch-connection.h"

struct _PerchRoomEditor {
  AdwWindow          parent_instance;

  /* template children */
  AdwWindowTitle    *window_title;
  GtkButton         *save_button;
  GtkSpinner        *spinner;
  GtkRevealer       *error_revealer;
  GtkLabel          *error_label;
  AdwEntryRow       *name_row;
  AdwEntryRow       *description_row;
  AdwComboRow       *category_row;
  AdwComboRow       *privacy_row;
  AdwComboRow       *type_row;
  AdwComboRow       *invitations_row;
  GtkSwitch         *disabled_switch;
  AdwEntryRow       *addin_row;
  PerchPeopleEditor *members_editor;
  PerchPeopleEditor *managers_editor;
  PerchPeopleEditor *presenters_editor;
  GtkWidget         *danger_group;

  PerchConnection      *connection;
  PerchRoomItem         *room;          /* NULL: a new room */
  GListModel        *categories;    /* as given */
  GtkStringList     *category_names;
  GCancellable      *cancellable;
  char              *error;
  gboolean           busy;
};

G_DEFINE_FINAL_TYPE (PerchRoomEditor, perch_room_editor, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_ROOM,
  PROP_CATEGORIES,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_SAVED,
  SIGNAL_DELETED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static const char *const privacy_values[] = { "open", "closed", "secret", NULL };
static const char *const type_values[] = { "normal", "auditorium", NULL };
static const char *const invitations_values[] = { "inherit", "off", NULL };

static guint
index_of (const char *const *values, const char *value, guint fallback)
{
  for (guint i = 0; values[i]; i++)
    if (g_strcmp0 (values[i], value) == 0)
      return i;
  return fallback;
}

static const char *
selected_value (AdwComboRow *row, const char *const *values)
{
  guint selected = adw_combo_row_get_selected (row);
  return selected < g_strv_length ((char **) values) ? values[selected] : values[0];
}

static const char *
selected_category (PerchRoomEditor *self)
{
  guint selected = adw_combo_row_get_selected (self->category_row);
  if (selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  return gtk_string_list_get_string (self->category_names, selected);
}

/* ---- state -------------------------------------------------------------------- */

static void
show_error (PerchRoomEditor *self, const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  if (message != NULL)
    gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

static void
set_busy (PerchRoomEditor *self, gboolean busy)
{
  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.delete", !busy && self->room != NULL);
}

static void
update_privacy_subtitle (PerchRoomEditor *self)
{
  const char *privacy = selected_value (self->privacy_row, privacy_values);
  const char *text = g_str_equal (privacy, "open")
                       ? _("Everyone allowed can join and read")
                     : g_str_equal (privacy, "secret")
                       ? _("Only members know it exists")
                       : _("Everyone allowed finds it; members join");
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->privacy_row), text);
}

/* Where the people pickers search: the users the category allows (the
 * room's own route while it stays in its category, the category's for a
 * new room or a move); the pickers offer groups and domains too, which the
 * category bounds when they are used. */
static void
update_people_source (PerchRoomEditor *self)
{
  PerchApi *api = perch_connection_get_api (self->connection);
  const char *category = selected_category (self);
  g_autofree char *path = NULL;
  if (self->room != NULL && g_strcmp0 (category, perch_room_item_get_category (self->room)) == 0)
    {
      g_autofree char *id = perch_api_escape (perch_room_item_get_id (self->room));
      path = g_strdup_printf ("/rooms/%s/eligible", id);
    }
  else if (category != NULL)
    {
      g_autofree char *name = perch_api_escape (category);
      path = g_strdup_printf ("/categories/%s/eligible", name);
    }
  perch_people_editor_set_source (self->members_editor, api, path);
  perch_people_editor_set_source (self->managers_editor, api, path);
  perch_people_editor_set_source (self->presenters_editor, api, path);
}

static void
on_category_selected (PerchRoomEditor *self)
{
  update_people_source (self);
}

static void
on_privacy_selected (PerchRoomEditor *self)
{
  update_privacy_subtitle (self);
}

/* ---- answers ------------------------------------------------------------------- */

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchRoomEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (error != NULL)
    {
      show_error (self, error->message);
      return;
    }
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    {
      show_error (self, _("The server’s answer holds no room"));
      return;
    }
  g_autoptr(PerchRoomItem) room = perch_room_item_new (json_node_get_object (answer));
  show_error (self, NULL);
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, room);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
send (PerchRoomEditor *self, const char *method, const char *path, JsonObject *body)
{
  g_autoptr(JsonNode) node = body ? json_node_init_object (json_node_alloc (), body) : NULL;
  set_busy (self, TRUE);
  show_error (self, NULL);
  perch_api_send_async (perch_connection_get_api (self->connection), method, path, node, self->cancellable,
                        on_saved, g_object_ref (self));
}

/* ---- saving -------------------------------------------------------------------- */

static void
set_strv (JsonObject *obj, const char *member, char **strv)
{
  json_object_set_member (obj, member, perch_json_strv_node ((const char *const *) strv));
}

static void
create_room (PerchRoomEditor *self)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_auto(GStrv) members = perch_people_editor_dup_people (self->members_editor);
  g_auto(GStrv) managers = perch_people_editor_dup_people (self->managers_editor);
  g_auto(GStrv) presenters = perch_people_editor_dup_people (self->presenters_editor);
  const char *addin = gtk_editable_get_text (GTK_EDITABLE (self->addin_row));

  json_object_set_string_member (body, "name", gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  json_object_set_string_member (body, "description", gtk_editable_get_text (GTK_EDITABLE (self->description_row)));
  json_object_set_string_member (body, "category", selected_category (self));
  json_object_set_string_member (body, "privacy", selected_value (self->privacy_row, privacy_values));
  json_object_set_string_member (body, "type", selected_value (self->type_row, type_values));
  json_object_set_string_member (body, "invitations", selected_value (self->invitations_row, invitations_values));
  json_object_set_boolean_member (body, "disabled", gtk_switch_get_active (self->disabled_switch));
  if (*addin != '\0')
    json_object_set_string_member (body, "addin", addin);
  set_strv (body, "members", members);
  set_strv (body, "managers", managers);
  set_strv (body, "presenters", presenters);
  send (self, "POST", "/rooms", body);
}

/* {"add": [...], "remove": [...]} from the room's list to the edited one,
 * or NULL when they hold the same. */
static JsonNode *
list_edit (const char *const *before, char **after)
{
  g_autoptr(GStrvBuilder) add = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) remove = g_strv_builder_new ();
  gboolean changed = FALSE;
  for (guint i = 0; after[i]; i++)
    if (!g_strv_contains (before, after[i]))
      {
        g_strv_builder_add (add, after[i]);
        changed = TRUE;
      }
  for (guint i = 0; before[i]; i++)
    if (!g_strv_contains ((const char *const *) after, before[i]))
      {
        g_strv_builder_add (remove, before[i]);
        changed = TRUE;
      }
  if (!changed)
    return NULL;
  g_auto(GStrv) add_v = g_strv_builder_end (add);
  g_auto(GStrv) remove_v = g_strv_builder_end (remove);
  g_autoptr(JsonObject) edit = json_object_new ();
  set_strv (edit, "add", add_v);
  set_strv (edit, "remove", remove_v);
  return json_node_init_object (json_node_alloc (), edit);
}

static JsonObject *
room_patch (PerchRoomEditor *self)
{
  PerchRoomItem *room = self->room;
  JsonObject *patch = json_object_new ();
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char *description = gtk_editable_get_text (GTK_EDITABLE (self->description_row));
  const char *category = selected_category (self);
  const char *privacy = selected_value (self->privacy_row, privacy_values);
  const char *type = selected_value (self->type_row, type_values);
  const char *invitations = selected_value (self->invitations_row, invitations_values);
  gboolean disabled = gtk_switch_get_active (self->disabled_switch);
  const char *addin = gtk_editable_get_text (GTK_EDITABLE (self->addin_row));
  const char *old_addin = perch_room_item_get_addin (room);

  if (g_strcmp0 (name, perch_room_item_get_name (room)) != 0)
    json_object_set_string_member (patch, "name", name);
  if (g_strcmp0 (description, perch_room_item_get_description (room)) != 0)
    json_object_set_string_member (patch, "description", description);
  if (category != NULL && g_strcmp0 (category, perch_room_item_get_category (room)) != 0)
    json_object_set_string_member (patch, "category", category);
  if (g_strcmp0 (privacy, perch_room_item_get_privacy (room)) != 0)
    json_object_set_string_member (patch, "privacy", privacy);
  if (g_strcmp0 (type, perch_room_item_get_room_type (room)) != 0)
    json_object_set_string_member (patch, "type", type);
  if (g_strcmp0 (invitations, perch_room_item_get_invitations (room)) != 0)
    json_object_set_string_member (patch, "invitations", invitations);
  if (disabled != perch_room_item_get_disabled (room))
    json_object_set_boolean_member (patch, "disabled", disabled);
  if (g_strcmp0 (addin, old_addin ? old_addin : "") != 0)
    {
      if (*addin != '\0')
        json_object_set_string_member (patch, "addin", addin);
      else
        json_object_set_null_member (patch, "addin");
    }

  struct { PerchPeopleEditor *editor; const char *const *before; const char *member; } lists[] = {
    { self->members_editor, perch_room_item_get_members (room), "members" },
    { self->managers_editor, perch_room_item_get_managers (room), "managers" },
    { self->presenters_editor, perch_room_item_get_presenters (room), "presenters" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_auto(GStrv) after = perch_people_editor_dup_people (lists[i].editor);
      JsonNode *edit = list_edit (lists[i].before, after);
      if (edit != NULL)
        json_object_set_member (patch, lists[i].member, edit);
    }
  return patch;
}

static void
send_patch (PerchRoomEditor *self, JsonObject *patch)
{
  g_autofree char *id = perch_api_escape (perch_room_item_get_id (self->room));
  g_autofree char *path = g_strdup_printf ("/rooms/%s", id);
  send (self, "PATCH", path, patch);
}

static void
on_confirm_response (AdwMessageDialog *dialog, const char *response, PerchRoomEditor *self)
{
  JsonObject *patch = g_object_get_data (G_OBJECT (dialog), "perch-patch");
  if (g_strcmp0 (response, "apply") == 0)
    send_patch (self, patch);
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchRoomEditor *self = PERCH_ROOM_EDITOR (widget);

  if (self->busy)
    return;
  if (*gtk_editable_get_text (GTK_EDITABLE (self->name_row)) == '\0')
    {
      show_error (self, _("A room needs a name."));
      gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
      return;
    }
  if (selected_category (self) == NULL)
    {
      show_error (self, _("Choose the room’s category."));
      return;
    }
  if (self->room == NULL)
    {
      create_room (self);
      return;
    }

  g_autoptr(JsonObject) patch = room_patch (self);
  if (json_object_get_size (patch) == 0)
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  gboolean moving = json_object_has_member (patch, "category");
  gboolean disabling = json_object_has_member (patch, "disabled") && json_object_get_boolean_member (patch, "disabled");
  if (!moving && !disabling)
    {
      send_patch (self, patch);
      return;
    }

  GString *body = g_string_new (NULL);
  if (moving)
    g_string_append_printf (body, _("The room moves to “%s”. Members, managers and presenters that category "
                                    "does not allow are removed from its lists."),
                            selected_category (self));
  if (disabling)
    g_string_append_printf (body, "%s%s", body->len ? "\n\n" : "",
                            _("Disabling the room parts everyone in it at once and hides it from search. "
                              "Its messages and settings are kept for when it is enabled again."));
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                              moving ? _("Move the Room?") : _("Disable the Room?"), body->str);
  g_string_free (body, TRUE);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "apply", moving ? _("_Move") : _("_Disable"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "apply", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "perch-patch", g_steal_pointer (&patch), (GDestroyNotify) json_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- deleting ------------------------------------------------------------------ */

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchRoomEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (error != NULL)
    {
      show_error (self, error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_DELETED], 0, perch_room_item_get_name (self->room));
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_delete_response (AdwMessageDialog *dialog, const char *response, PerchRoomEditor *self)
{
  if (g_strcmp0 (response, "delete") != 0)
    return;
  g_autofree char *id = perch_api_escape (perch_room_item_get_id (self->room));
  g_autofree char *path = g_strdup_printf ("/rooms/%s", id);
  set_busy (self, TRUE);
  show_error (self, NULL);
  perch_api_send_async (perch_connection_get_api (self->connection), "DELETE", path, NULL, self->cancellable,
                        on_deleted, g_object_ref (self));
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchRoomEditor *self = PERCH_ROOM_EDITOR (widget);
  if (self->room == NULL || self->busy)
    return;
  /* Translators: the heading of the delete confirmation; %s is the room */
  g_autofree char *heading = g_strdup_printf (_("Delete “%s”?"), perch_room_item_get_name (self->room));
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                              _("The room, all its messages and its settings are deleted for good. "
                                                "This cannot be undone; disabling the room instead keeps them."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- widget -------------------------------------------------------------------- */

static void
fill (PerchRoomEditor *self)
{
  PerchRoomItem *room = self->room;
  const char *category = room ? perch_room_item_get_category (room) : NULL;

  /* The categories as offered, plus the room's own should it not be among
   * them (a list loaded before the category was made). */
  self->category_names = gtk_string_list_new (NULL);
  guint n = self->categories ? g_list_model_get_n_items (self->categories) : 0;
  guint selected = n > 0 ? 0 : GTK_INVALID_LIST_POSITION;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (self->categories, i);
      const char *name = gtk_string_object_get_string (item);
      gtk_string_list_append (self->category_names, name);
      if (g_strcmp0 (name, category) == 0)
        selected = i;
    }
  if (category != NULL && (n == 0 || g_strcmp0 (gtk_string_list_get_string (self->category_names, selected), category) != 0))
    {
      gtk_string_list_append (self->category_names, category);
      selected = n;
    }
  adw_combo_row_set_model (self->category_row, G_LIST_MODEL (self->category_names));
  if (selected != GTK_INVALID_LIST_POSITION)
    adw_combo_row_set_selected (self->category_row, selected);

  if (room == NULL)
    {
      gtk_window_set_title (GTK_WINDOW (self), _("New Room"));
      adw_window_title_set_title (self->window_title, _("New Room"));
      gtk_button_set_label (self->save_button, _("_Create"));
      adw_combo_row_set_selected (self->privacy_row, index_of (privacy_values, "closed", 1));
      gtk_widget_set_visible (self->danger_group, FALSE);
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), perch_room_item_get_name (room));
      adw_window_title_set_title (self->window_title, perch_room_item_get_name (room));
      adw_window_title_set_subtitle (self->window_title, perch_room_item_get_category (room));
      gtk_button_set_label (self->save_button, _("_Save"));
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), perch_room_item_get_name (room));
      gtk_editable_set_text (GTK_EDITABLE (self->description_row), perch_room_item_get_description (room));
      adw_combo_row_set_selected (self->privacy_row, index_of (privacy_values, perch_room_item_get_privacy (room), 1));
      adw_combo_row_set_selected (self->type_row, index_of (type_values, perch_room_item_get_room_type (room), 0));
      adw_combo_row_set_selected (self->invitations_row,
                                  index_of (invitations_values, perch_room_item_get_invitations (room), 0));
      gtk_switch_set_active (self->disabled_switch, perch_room_item_get_disabled (room));
      const char *addin = perch_room_item_get_addin (room);
      gtk_editable_set_text (GTK_EDITABLE (self->addin_row), addin ? addin : "");
      perch_people_editor_set_people (self->members_editor, perch_room_item_get_members (room));
      perch_people_editor_set_people (self->managers_editor, perch_room_item_get_managers (room));
      perch_people_editor_set_people (self->presenters_editor, perch_room_item_get_presenters (room));
    }
  update_privacy_subtitle (self);
  update_people_source (self);
  set_busy (self, FALSE);
}

static void
perch_room_editor_constructed (GObject *object)
{
  PerchRoomEditor *self = PERCH_ROOM_EDITOR (object);

  G_OBJECT_CLASS (perch_room_editor_parent_class)->constructed (object);

  self->cancellable = g_cancellable_new ();
  fill (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
perch_room_editor_dispose (GObject *object)
{
  PerchRoomEditor *self = PERCH_ROOM_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_ROOM_EDITOR);
  g_clear_object (&self->connection);
  g_clear_object (&self->room);
  g_clear_object (&self->categories);
  g_clear_object (&self->category_names);

  G_OBJECT_CLASS (perch_room_editor_parent_class)->dispose (object);
}

static void
perch_room_editor_finalize (GObject *object)
{
  g_free (PERCH_ROOM_EDITOR (object)->error);
  G_OBJECT_CLASS (perch_room_editor_parent_class)->finalize (object);
}

static void
perch_room_editor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchRoomEditor *self = PERCH_ROOM_EDITOR (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_ROOM:
      g_value_set_object (value, self->room);
      break;
    case PROP_CATEGORIES:
      g_value_set_object (value, self->categories);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_room_editor_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PerchRoomEditor *self = PERCH_ROOM_EDITOR (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    case PROP_ROOM:
      self->room = g_value_dup_object (value);
      break;
    case PROP_CATEGORIES:
      self->categories = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_room_editor_class_init (PerchRoomEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = perch_room_editor_constructed;
  object_class->dispose = perch_room_editor_dispose;
  object_class->finalize = perch_room_editor_finalize;
  object_class->get_property = perch_room_editor_get_property;
  object_class->set_property = perch_room_editor_set_property;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                  G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                  G_PARAM_STATIC_STRINGS);
  properties[PROP_ROOM] = g_param_spec_object ("room", NULL, NULL, PERCH_TYPE_ROOM_ITEM,
                                               G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                               G_PARAM_STATIC_STRINGS);
  properties[PROP_CATEGORIES] = g_param_spec_object ("categories", NULL, NULL, G_TYPE_LIST_MODEL,
                                                     G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                                     G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, PERCH_TYPE_ROOM_ITEM);
  signals[SIGNAL_DELETED] = g_signal_new ("deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (PERCH_TYPE_PEOPLE_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-room-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, spinner);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, description_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, category_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, privacy_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, type_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, invitations_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, disabled_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, addin_row);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, members_editor);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, managers_editor);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, presenters_editor);
  gtk_widget_class_bind_template_child (widget_class, PerchRoomEditor, danger_group);
  gtk_widget_class_bind_template_callback (widget_class, on_category_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_privacy_selected);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "editor.delete", NULL, delete_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save", NULL);
}

static void
perch_room_editor_init (PerchRoomEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

PerchRoomEditor *
perch_room_editor_new (GtkWindow *parent, PerchConnection *connection, GListModel *categories, PerchRoomItem *room)
{
  g_return_val_if_fail (PERCH_IS_CONNECTION (connection), NULL);
  return g_object_new (PERCH_TYPE_ROOM_EDITOR,
                       "transient-for", parent,
                       "modal", TRUE,
                       "connection", connection,
                       "categories", categories,
                       "room", room,
                       NULL);
}

PerchRoomItem *
perch_room_editor_get_room (PerchRoomEditor *self)
{
  g_return_val_if_fail (PERCH_IS_ROOM_EDITOR (self), NULL);
  return self->room;
}

const char *
perch_room_editor_get_error (PerchRoomEditor *self)
{
  g_return_val_if_fail (PERCH_IS_ROOM_EDITOR (self), NULL);
  return self->error;
}
