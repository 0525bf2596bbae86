/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-people-picker.c: search-as-you-type over the principals a list
 * may take. Users come from an eligible route, which the server searches
 * (?text=), or, for the lists that bound the others, from every user of the
 * pool (GET /users, read once while the popover is open and searched
 * here). Groups come from GET /groups, domains from the users found; both
 * are searched here by name. A search sends its requests together and
 * shows the results once all have answered; a newer search cancels them. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

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
  char           *path;          /* the eligible route; NULL: none (or everyone) */
  gboolean        everyone;      /* users from GET /users, not an eligible route */
  GCancellable   *cancellable;   /* of the search under way */
  guint           pending;       /* its requests not answered yet */
  char           *needle;        /* its text, casefolded, without a kind prefix */
  int             kind;          /* PerchPrincipalKind the text asks for; -1: any */
  GPtrArray      *found;         /* PerchPrincipal: the users of the eligible route */
  GPtrArray      *all_users;     /* PerchPrincipal: GET /users, while open; NULL: not read */
  GPtrArray      *groups;        /* char *: GET /groups, while open; NULL: not read */
  char           *users_error;   /* why the users could not be read */
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

static gboolean
matches (PerchPeoplePicker *self, const char *a, const char *b)
{
  if (self->needle == NULL || *self->needle == '\0')
    return TRUE;
  for (const char *hay_text = a; hay_text != NULL; hay_text = hay_text == a ? b : NULL)
    {
      g_autofree char *hay = g_utf8_casefold (hay_text, -1);
      if (strstr (hay, self->needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
wants (PerchPeoplePicker *self, PerchPrincipalKind kind)
{
  return self->kind < 0 || self->kind == (int) kind;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Every request of the search has answered: users, then groups, then
 * domains, each matching the text. */
static void
show_results (PerchPeoplePicker *self)
{
  g_clear_object (&self->cancellable);
  g_list_store_remove_all (self->results);
  GPtrArray *users = self->everyone ? self->all_users : self->found;
  g_autoptr(GHashTable) domains = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) domain_list = g_ptr_array_new ();
  guint n_users = 0;
  for (guint i = 0; users != NULL && i < users->len; i++)
    {
      PerchPrincipal *user = g_ptr_array_index (users, i);
      const char *uri = perch_principal_get_uri (user);
      /* The server searched the eligible route; every user is searched here. */
      if (wants (self, PERCH_PRINCIPAL_USER) && n_users < RESULT_LIMIT &&
          (!self->everyone || matches (self, uri, perch_principal_get_display_name (user))))
        {
          g_list_store_append (self->results, user);
          n_users++;
        }
      const char *at = strrchr (uri, '@');
      if (at != NULL && at[1] != '\0' && !g_hash_table_contains (domains, at + 1))
        {
          g_hash_table_add (domains, (gpointer) (at + 1));
          g_ptr_array_add (domain_list, (gpointer) (at + 1));
        }
    }
  for (guint i = 0; wants (self, PERCH_PRINCIPAL_GROUP) && self->groups != NULL && i < self->groups->len; i++)
    {
      const char *name = g_ptr_array_index (self->groups, i);
      if (!matches (self, name, NULL))
        continue;
      g_autofree char *uri = g_strconcat ("group:", name, NULL);
      g_autoptr(PerchPrincipal) group = perch_principal_new (uri, NULL);
      g_list_store_append (self->results, group);
    }
  g_ptr_array_sort (domain_list, compare_names);
  for (guint i = 0; wants (self, PERCH_PRINCIPAL_DOMAIN) && i < domain_list->len; i++)
    {
      const char *name = g_ptr_array_index (domain_list, i);
      if (!matches (self, name, NULL))
        continue;
      g_autofree char *uri = g_strconcat ("domain:", name, NULL);
      g_autoptr(PerchPrincipal) domain = perch_principal_new (uri, NULL);
      g_list_store_append (self->results, domain);
    }
  if (self->users_error != NULL)
    set_status (self, self->users_error);
  else
    set_status (self, g_list_model_get_n_items (G_LIST_MODEL (self->results)) == 0
                      ? _("Nobody found who may be added") : NULL);
}

static void
answered (PerchPeoplePicker *self)
{
  if (--self->pending == 0)
    show_results (self);
}

static GPtrArray *
users_of (JsonNode *answer)
{
  GPtrArray *users = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *items = perch_json_get_items (answer);
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode *element = json_array_get_element (items, i);
      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      JsonObject *person = json_node_get_object (element);
      g_ptr_array_add (users, perch_principal_new (perch_json_get_string (person, "uri", ""),
                                                   perch_json_get_string (person, "display_name", "")));
    }
  return users;
}

static void
on_users (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchPeoplePicker) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      g_free (self->users_error);
      self->users_error = g_strdup (error->message);
    }
  else if (self->everyone)
    self->all_users = users_of (answer);
  else
    self->found = users_of (answer);
  answered (self);
}

static void
on_groups (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchPeoplePicker) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Only administrators list groups: for anyone else there are none to offer. */
  self->groups = g_ptr_array_new_with_free_func (g_free);
  JsonArray *items = error == NULL ? perch_json_get_items (answer) : NULL;
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode *element = json_array_get_element (items, i);
      if (JSON_NODE_HOLDS_OBJECT (element))
        g_ptr_array_add (self->groups, g_strdup (perch_json_get_string (json_node_get_object (element), "name", "")));
    }
  answered (self);
}

static void
forget (PerchPeoplePicker *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->pending = 0;
  g_clear_pointer (&self->all_users, g_ptr_array_unref);
  g_clear_pointer (&self->groups, g_ptr_array_unref);
}

void
perch_people_picker_search (PerchPeoplePicker *self, const char *text)
{
  g_return_if_fail (PERCH_IS_PEOPLE_PICKER (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->pending = 0;
  g_clear_pointer (&self->found, g_ptr_array_unref);
  g_clear_pointer (&self->users_error, g_free);
  if (self->api == NULL || (self->path == NULL && !self->everyone))
    {
      g_list_store_remove_all (self->results);
      set_status (self, _("Choose a category first"));
      return;
    }

  /* "group:tes", "domain:", "sip:bo": only that kind. */
  static const struct { const char *prefix; PerchPrincipalKind kind; } prefixes[] = {
    { "group:", PERCH_PRINCIPAL_GROUP }, { "domain:", PERCH_PRINCIPAL_DOMAIN }, { "sip:", PERCH_PRINCIPAL_USER },
  };
  text = text ? text : "";
  self->kind = -1;
  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_ascii_strncasecmp (text, prefixes[i].prefix, strlen (prefixes[i].prefix)) == 0)
      {
        self->kind = prefixes[i].kind;
        text += strlen (prefixes[i].prefix);
        break;
      }
  g_free (self->needle);
  self->needle = g_utf8_casefold (text, -1);

  self->cancellable = g_cancellable_new ();
  if (self->everyone && self->all_users == NULL)
    {
      self->pending++;
      perch_api_get_async (self->api, "/users", self->cancellable, on_users, g_object_ref (self));
    }
  else if (!self->everyone && self->kind != PERCH_PRINCIPAL_GROUP)
    {
      g_autofree char *escaped = perch_api_escape (text);
      g_autofree char *path = g_strdup_printf ("%s?limit=%d&text=%s", self->path, RESULT_LIMIT, escaped);
      self->pending++;
      perch_api_get_async (self->api, path, self->cancellable, on_users, g_object_ref (self));
    }
  if (self->groups == NULL)
    {
      self->pending++;
      perch_api_get_async (self->api, "/groups", self->cancellable, on_groups, g_object_ref (self));
    }
  if (self->pending == 0)
    show_results (self);
}

static void
set_source (PerchPeoplePicker *self, PerchApi *api, const char *path, gboolean everyone)
{
  forget (self);
  g_set_object (&self->api, api);
  g_free (self->path);
  self->path = g_strdup (path);
  self->everyone = everyone;
  g_list_store_remove_all (self->results);
}

void
perch_people_picker_set_source (PerchPeoplePicker *self, PerchApi *api, const char *path)
{
  g_return_if_fail (PERCH_IS_PEOPLE_PICKER (self));
  set_source (self, api, path, FALSE);
}

void
perch_people_picker_set_source_everyone (PerchPeoplePicker *self, PerchApi *api)
{
  g_return_if_fail (PERCH_IS_PEOPLE_PICKER (self));
  set_source (self, api, NULL, api != NULL);
}

gboolean
perch_people_picker_get_searching (PerchPeoplePicker *self)
{
  g_return_val_if_fail (PERCH_IS_PEOPLE_PICKER (self), FALSE);
  return self->cancellable != NULL;
}

GListModel *
perch_people_picker_get_results (PerchPeoplePicker *self)
{
  g_return_val_if_fail (PERCH_IS_PEOPLE_PICKER (self), NULL);
  return G_LIST_MODEL (self->results);
}

/* Icon and kind label tell a user, a group and a domain apart. */
static GtkWidget *
create_row (gpointer item, gpointer user_data)
{
  PerchPrincipal *principal = item;
  PerchPrincipalKind kind = perch_principal_get_kind (principal);
  const char *name = perch_principal_get_display_name (principal);
  const char *bare = perch_principal_bare_name (perch_principal_get_uri (principal));

  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  GtkWidget *icon = gtk_image_new_from_icon_name (perch_principal_kind_icon (kind));
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  perch_principal_kind_label (kind), -1);
  gtk_box_append (GTK_BOX (box), icon);

  GtkWidget *names = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (names, TRUE);
  GtkWidget *title = gtk_label_new (*name ? name : bare);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (names), title);
  if (*name)
    {
      GtkWidget *subtitle = gtk_label_new (bare);
      gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
      gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (subtitle, "caption");
      gtk_widget_add_css_class (subtitle, "dim-label");
      gtk_box_append (GTK_BOX (names), subtitle);
    }
  gtk_box_append (GTK_BOX (box), names);

  GtkWidget *kind_label = gtk_label_new (perch_principal_kind_label (kind));
  gtk_widget_set_valign (kind_label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (kind_label, "caption");
  gtk_widget_add_css_class (kind_label, "dim-label");
  gtk_box_append (GTK_BOX (box), kind_label);

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
  /* Users and groups as they are now, read again each time it opens. */
  forget (self);
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

  forget (self);
  g_clear_object (&self->api);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->needle, g_free);
  g_clear_pointer (&self->found, g_ptr_array_unref);
  g_clear_pointer (&self->users_error, g_free);
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
