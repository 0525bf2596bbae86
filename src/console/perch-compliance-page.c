/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-page.c: GET /compliance on a timer while shown, the
 * pending events paged from GET /compliance/events, PATCH /config for the
 * compliance_* keys, POST /compliance/run.
 *
 * A refresh never overwrites what the administrator is typing: a field
 * that has focus or was edited and not applied keeps its text. The list
 * of events is loaded again only when the queue changed (or on an explicit
 * refresh), so a timer does not throw away what has been scrolled to. */
#include "config.h"

#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-compliance-event.h"
#include "perch-compliance-page.h"
#include "perch-connection.h"
#include "perch-console-window.h"
#include "perch-room-item.h"

/* From perch-channel.h, the server's one table of configuration keys
 * (which the console links): that header cannot be included here, its
 * PerchPrincipal is not the console's. */
gboolean perch_channel_config_is_local (const char *key);

/* Rows within this distance of the end ask for the next page. */
#define PREFETCH_ROWS 30
/* After "Run Now", the queue is read every second until the run has ended,
 * at most this many times. */
#define RUN_WATCH_MAX 120

struct _PerchCompliancePage {
  AdwBin               parent_instance;

  /* template children (not the GtkStack that is the bin's child: binding
   * it would have it unparented twice on dispose) */
  AdwStatusPage       *unavailable_page;
  AdwPreferencesGroup *queue_group;
  GtkButton           *run_button;
  AdwActionRow        *state_row;
  GtkLabel            *state_label;
  GtkLabel            *pending_label;
  GtkLabel            *oldest_label;
  AdwExpanderRow      *types_row;
  GtkLabel            *run_note;
  GtkLabel            *run_error;
  GtkListBox          *runs_list;
  AdwPreferencesGroup *config_group;
  GtkSwitch           *enabled_switch;
  AdwEntryRow         *interval_row;
  AdwComboRow         *adapter_row;
  AdwActionRow        *output_dir_row;   /* keys set only where the server runs */
  AdwActionRow        *command_row;
  AdwEntryRow         *timeout_row;
  AdwEntryRow         *batch_row;
  GtkSwitch           *room_file_switch;
  GtkSwitch           *room_details_switch;
  GtkSwitch           *user_details_switch;
  GtkSwitch           *manifest_switch;
  GtkLabel            *config_error;
  GtkStack            *events_stack;
  GListStore          *events;

  PerchConnection     *connection;
  GCancellable        *cancellable;      /* every request of this connection */
  GCancellable        *events_cancellable; /* the page of events under way */
  guint                refresh_id;
  guint                watch_id;         /* reading the queue while a run asked for goes on */
  guint                watch_count;
  gboolean             loading;          /* a GET /compliance is under way */
  gboolean             updating;         /* the page itself is changing its widgets */
  gboolean             enabled;          /* as the server last said */
  gboolean             running;
  gboolean             run_asked;        /* a POST /compliance/run is under way */
  gint64               pending;          /* as the server last said; -1: not read yet */
  char                *oldest;
  char                *output_dir;       /* the XML adapter's, as in force */
  gint64               newest_run_id;
  char                *events_cursor;    /* the next page's; NULL: none */
  guint                events_page_size;
  GHashTable          *type_rows;        /* "CHAT" -> its AdwActionRow in types_row */
  GHashTable          *room_names;       /* room id -> name, "" while asked for */
};

G_DEFINE_FINAL_TYPE (PerchCompliancePage, perch_compliance_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_LOADING,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

#define EDITED "perch-edited"

/* The configuration keys and the widgets that show them. */
static const struct {
  const char *key;
  glong       offset;   /* of the widget in the instance */
} config_widgets[] = {
  { "compliance_enabled", G_STRUCT_OFFSET (PerchCompliancePage, enabled_switch) },
  { "compliance_run_interval", G_STRUCT_OFFSET (PerchCompliancePage, interval_row) },
  { "compliance_adapter", G_STRUCT_OFFSET (PerchCompliancePage, adapter_row) },
  { "compliance_output_dir", G_STRUCT_OFFSET (PerchCompliancePage, output_dir_row) },
  { "compliance_command", G_STRUCT_OFFSET (PerchCompliancePage, command_row) },
  { "compliance_command_timeout", G_STRUCT_OFFSET (PerchCompliancePage, timeout_row) },
  { "compliance_batch", G_STRUCT_OFFSET (PerchCompliancePage, batch_row) },
  { "compliance_one_room_per_file", G_STRUCT_OFFSET (PerchCompliancePage, room_file_switch) },
  { "compliance_add_room_details", G_STRUCT_OFFSET (PerchCompliancePage, room_details_switch) },
  { "compliance_add_user_details", G_STRUCT_OFFSET (PerchCompliancePage, user_details_switch) },
  { "compliance_create_attachment_manifest", G_STRUCT_OFFSET (PerchCompliancePage, manifest_switch) },
};

static GtkWidget *
config_widget (PerchCompliancePage *self, guint i)
{
  return G_STRUCT_MEMBER (GtkWidget *, self, config_widgets[i].offset);
}

static const char *
config_key (PerchCompliancePage *self, GtkWidget *widget)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_widgets); i++)
    if (config_widget (self, i) == widget)
      return config_widgets[i].key;
  return NULL;
}

/* The row a widget of the configuration is, or sits in. */
static GtkWidget *
row_of (GtkWidget *widget)
{
  return ADW_IS_PREFERENCES_ROW (widget) ? widget : gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_ROW);
}

static gboolean
is_being_edited (GtkWidget *row)
{
  return (gtk_widget_get_state_flags (row) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0 ||
         g_object_get_data (G_OBJECT (row), EDITED) != NULL;
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

static void
clear_config_errors (PerchCompliancePage *self)
{
  show_error (self->config_error, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (config_widgets); i++)
    gtk_widget_remove_css_class (row_of (config_widget (self, i)), "error");
}

/* "compliance", or "unavailable" with the server's reason. */
static GtkStack *
content_stack (PerchCompliancePage *self)
{
  return GTK_STACK (adw_bin_get_child (ADW_BIN (self)));
}

static gboolean
text_is_true (const char *text)
{
  return g_strcmp0 (text, "true") == 0 || g_strcmp0 (text, "1") == 0;
}

static void set_loading (PerchCompliancePage *self, gboolean loading);
static void refresh (PerchCompliancePage *self);
static void reload_events (PerchCompliancePage *self);

/* ---- the events, paged ------------------------------------------------------------- */

static gboolean
events_loading (PerchCompliancePage *self)
{
  return self->events_cancellable != NULL;
}

typedef struct {
  PerchCompliancePage *self;
  GCancellable        *cancellable;  /* the load's own */
  gboolean             first;        /* the first page: replaces what is shown */
  GPtrArray           *events;       /* PerchComplianceEvent, held until the room names are known */
  char                *next_cursor;
  guint                waiting;      /* room names asked for and not answered */
} EventsLoad;

static void
events_load_free (EventsLoad *load)
{
  g_object_unref (load->self);
  g_object_unref (load->cancellable);
  g_clear_pointer (&load->events, g_ptr_array_unref);
  g_free (load->next_cursor);
  g_free (load);
}

static void
update_events_stack (PerchCompliancePage *self)
{
  gboolean empty = g_list_model_get_n_items (G_LIST_MODEL (self->events)) == 0 && !events_loading (self);
  gtk_stack_set_visible_child_name (self->events_stack, empty ? "empty" : "list");
}

static void
events_load_done (EventsLoad *load)
{
  PerchCompliancePage *self = load->self;

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      events_load_free (load);
      return;
    }
  /* Done before the rows change: the view may bind them at once, and a
   * row near the end asks for the next page. */
  g_free (self->events_cursor);
  self->events_cursor = g_steal_pointer (&load->next_cursor);
  g_clear_object (&self->events_cancellable);
  guint removed = load->first ? g_list_model_get_n_items (G_LIST_MODEL (self->events)) : 0;
  guint position = load->first ? 0 : g_list_model_get_n_items (G_LIST_MODEL (self->events));
  g_list_store_splice (self->events, position, removed, load->events->pdata, load->events->len);
  events_load_free (load);
  update_events_stack (self);
  set_loading (self, self->loading);
}

typedef struct {
  EventsLoad *load;
  char       *id;     /* the room asked for */
} RoomAsk;

static void
on_room (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RoomAsk *ask = user_data;
  EventsLoad *load = ask->load;
  g_autofree char *id = ask->id;
  g_autoptr(JsonNode) room = perch_api_get_finish (PERCH_API (source), result, NULL);
  g_free (ask);

  const char *name = room != NULL && JSON_NODE_HOLDS_OBJECT (room)
                       ? perch_json_get_string (json_node_get_object (room), "name", NULL) : NULL;
  if (name != NULL && *name != '\0' && !g_cancellable_is_cancelled (load->cancellable))
    g_hash_table_replace (load->self->room_names, g_steal_pointer (&id), g_strdup (name));
  else
    {
      /* Shown by its id; asked for again by the next load. */
      const char *asked = g_hash_table_lookup (load->self->room_names, id);
      if (asked != NULL && *asked == '\0')
        g_hash_table_remove (load->self->room_names, id);
    }
  if (--load->waiting == 0)
    events_load_done (load);
}

/* Asks the server for the names of the rooms these events name that are
 * not known yet; each is asked for once. */
static void
ask_room_names (PerchCompliancePage *self, EventsLoad *load)
{
  PerchApi *api = perch_connection_get_api (self->connection);
  load->waiting = 1;   /* until every request is made */
  for (guint i = 0; i < load->events->len; i++)
    {
      const char *room = perch_compliance_event_get_room (g_ptr_array_index (load->events, i));
      if (*room == '\0' || g_hash_table_contains (self->room_names, room))
        continue;
      g_hash_table_insert (self->room_names, g_strdup (room), g_strdup (""));
      g_autofree char *escaped = perch_api_escape (room);
      g_autofree char *path = g_strconcat ("/rooms/", escaped, NULL);
      RoomAsk *ask = g_new0 (RoomAsk, 1);
      ask->load = load;
      ask->id = g_strdup (room);
      load->waiting++;
      perch_api_get_async (api, path, load->cancellable, on_room, ask);
    }
  if (--load->waiting == 0)
    events_load_done (load);
}

static void
on_events_page (GObject *source, GAsyncResult *result, gpointer user_data)
{
  EventsLoad *load = user_data;
  PerchCompliancePage *self = load->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) page = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_cancellable_is_cancelled (load->cancellable))
    {
      events_load_free (load);
      return;
    }
  JsonArray *array = perch_json_get_items (page);
  if (error == NULL && array == NULL)
    error = g_error_new_literal (PERCH_API_ERROR, PERCH_API_ERROR_INVALID_REPLY,
                                 _("The server’s list of pending events is not one"));
  if (error != NULL)
    {
      g_clear_object (&self->events_cancellable);
      perch_toast_error (GTK_WIDGET (self), _("Could not load the pending events"), error);
      events_load_free (load);
      update_events_stack (self);
      set_loading (self, self->loading);
      return;
    }
  load->events = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      if (JSON_NODE_HOLDS_OBJECT (element))
        g_ptr_array_add (load->events, perch_compliance_event_new (json_node_get_object (element)));
    }
  load->next_cursor = g_strdup (perch_json_get_string (json_node_get_object (page), "next_cursor", NULL));
  ask_room_names (self, load);
}

static void
load_events (PerchCompliancePage *self, const char *cursor)
{
  g_autofree char *path = NULL;
  if (cursor != NULL)
    {
      g_autofree char *escaped = perch_api_escape (cursor);
      path = g_strdup_printf ("/compliance/events?limit=%u&cursor=%s", self->events_page_size, escaped);
    }
  else
    path = g_strdup_printf ("/compliance/events?limit=%u", self->events_page_size);

  EventsLoad *load = g_new0 (EventsLoad, 1);
  load->self = g_object_ref (self);
  load->first = cursor == NULL;
  self->events_cancellable = g_cancellable_new ();
  load->cancellable = g_object_ref (self->events_cancellable);
  perch_api_get_async (perch_connection_get_api (self->connection), path, load->cancellable, on_events_page, load);
  set_loading (self, self->loading);
}

/* The first page again; what is shown stays until it arrives. */
static void
reload_events (PerchCompliancePage *self)
{
  if (self->connection == NULL)
    return;
  g_cancellable_cancel (self->events_cancellable);
  g_clear_object (&self->events_cancellable);
  g_clear_pointer (&self->events_cursor, g_free);
  load_events (self, NULL);
}

/* Loads the next page when POSITION is near the end of what is loaded. */
static void
ensure_events (PerchCompliancePage *self, guint position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->events));
  if (self->connection == NULL || self->events_cursor == NULL || events_loading (self) ||
      position + PREFETCH_ROWS < n)
    return;
  g_autofree char *cursor = g_strdup (self->events_cursor);
  load_events (self, cursor);
}

/* ---- cells ----------------------------------------------------------------------- */

static void
setup_label (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

/* Times are short and alike: shown whole. */
static void
setup_time (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static GtkLabel *
cell (GtkListItem *item)
{
  return GTK_LABEL (gtk_list_item_get_child (item));
}

static void
bind_time (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  PerchComplianceEvent *event = gtk_list_item_get_item (item);
  gtk_label_set_text (cell (item), perch_compliance_event_get_time (event));
  /* Rows near the end of what is loaded ask for the next page. */
  ensure_events (self, gtk_list_item_get_position (item));
}

static void
bind_type (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  gtk_label_set_text (cell (item), perch_compliance_event_get_event_type (gtk_list_item_get_item (item)));
}

static void
bind_user (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  gtk_label_set_text (cell (item), perch_compliance_event_get_user (gtk_list_item_get_item (item)));
}

static void
bind_room (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  const char *room = perch_compliance_event_get_room (gtk_list_item_get_item (item));
  const char *name = g_hash_table_lookup (self->room_names, room);
  gtk_label_set_text (cell (item), name != NULL && *name != '\0' ? name : room);
  gtk_widget_set_tooltip_text (GTK_WIDGET (cell (item)), room);
}

static void
bind_content (GtkSignalListItemFactory *factory, GtkListItem *item, PerchCompliancePage *self)
{
  const char *content = perch_compliance_event_get_content (gtk_list_item_get_item (item));
  gtk_label_set_text (cell (item), content);
  gtk_widget_set_tooltip_text (GTK_WIDGET (cell (item)), *content ? content : NULL);
}

/* ---- showing the queue ------------------------------------------------------------- */

static const char *
type_description (const char *type)
{
  static const struct { const char *type; const char *text; } descriptions[] = {
    { "JOIN", N_("Rooms joined") },
    { "PART", N_("Rooms left") },
    { "CHAT", N_("Messages posted") },
    { "BACKCHAT", N_("History read") },
    { "FILEUPLOAD", N_("Files uploaded") },
    { "FILEDOWNLOAD", N_("Files downloaded") },
    { "REMOVE", N_("Messages removed") },
    { "REPLACE", N_("Messages replaced") },
    { "CLEAR", N_("Rooms cleared") },
  };
  for (guint i = 0; i < G_N_ELEMENTS (descriptions); i++)
    if (g_strcmp0 (descriptions[i].type, type) == 0)
      return _(descriptions[i].text);
  return NULL;
}

static void
clear_type_rows (PerchCompliancePage *self)
{
  GHashTableIter iter;
  gpointer row;
  g_hash_table_iter_init (&iter, self->type_rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    adw_expander_row_remove (self->types_row, row);
  g_hash_table_remove_all (self->type_rows);
}

static void
update_types (PerchCompliancePage *self, JsonObject *by_type)
{
  g_autoptr(GList) types = by_type ? json_object_get_members (by_type) : NULL;
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  for (GList *l = types; l; l = l->next)
    if (perch_json_get_int (by_type, l->data, 0) > 0)
      g_ptr_array_add (wanted, l->data);

  /* Rows are made again only when the types with events change, so that
   * the figures update in place. */
  gboolean same = wanted->len == g_hash_table_size (self->type_rows);
  for (guint i = 0; same && i < wanted->len; i++)
    same = g_hash_table_contains (self->type_rows, g_ptr_array_index (wanted, i));
  if (!same)
    {
      clear_type_rows (self);
      for (guint i = 0; i < wanted->len; i++)
        {
          const char *type = g_ptr_array_index (wanted, i);
          GtkWidget *row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), type);
          const char *description = type_description (type);
          if (description != NULL)
            adw_action_row_set_subtitle (ADW_ACTION_ROW (row), description);
          GtkWidget *count = gtk_label_new (NULL);
          gtk_widget_set_valign (count, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (count, "numeric");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), count);
          g_object_set_data (G_OBJECT (row), "perch-count", count);
          adw_expander_row_add_row (self->types_row, row);
          g_hash_table_insert (self->type_rows, g_strdup (type), row);
        }
    }
  for (guint i = 0; i < wanted->len; i++)
    {
      const char *type = g_ptr_array_index (wanted, i);
      GtkWidget *row = g_hash_table_lookup (self->type_rows, type);
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (by_type, type, 0));
      gtk_label_set_text (g_object_get_data (G_OBJECT (row), "perch-count"), text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->types_row), wanted->len > 0);
}

static const char *
run_state_label (const char *state)
{
  if (g_strcmp0 (state, "done") == 0)
    return C_("compliance run", "Done");
  if (g_strcmp0 (state, "failed") == 0)
    return C_("compliance run", "Failed");
  if (g_strcmp0 (state, "planned") == 0)
    return C_("compliance run", "In progress");
  return state;
}

static GtkWidget *
run_row_new (JsonObject *run)
{
  const char *state = perch_json_get_string (run, "state", "");
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (run, "id", 0));
  g_autofree char *first = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (run, "first_event_id", 0));
  g_autofree char *last = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (run, "last_event_id", 0));
  g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (run, "events", 0));
  g_autofree char *duration = g_strdup_printf ("%" G_GINT64_FORMAT, perch_json_get_int (run, "duration_ms", 0));
  g_autofree char *started = perch_compliance_format_time (perch_json_get_string (run, "started", NULL), "");
  const char *adapter = perch_json_get_string (run, "adapter", "");
  const char *error = perch_json_get_string (run, "error", NULL);

  /* Translators: a compliance run's title: "Run 12: Done" */
  g_autofree char *title = g_strdup_printf (_("Run %s: %s"), id, run_state_label (state));
  /* Translators: started, the events' ids, how many, the adapter and how
   * long it took: "2026-11-24 09:15:02 · events 40 to 52 (13) · xml · 35 ms" */
  g_autofree char *summary = g_strdup_printf (_("%s · events %s to %s (%s) · %s · %s ms"),
                                              started, first, last, count, adapter, duration);
  g_autofree char *subtitle = error != NULL && *error != '\0' ? g_strconcat (summary, "\n", error, NULL)
                                                              : g_strdup (summary);

  GtkWidget *row = adw_action_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  const char *icon = g_strcmp0 (state, "done") == 0 ? "emblem-ok-symbolic"
                   : g_strcmp0 (state, "failed") == 0 ? "dialog-error-symbolic"
                   : "emblem-synchronizing-symbolic";
  GtkWidget *image = gtk_image_new_from_icon_name (icon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  run_state_label (state), -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), image);
  if (g_strcmp0 (state, "failed") == 0)
    gtk_widget_add_css_class (row, "error");
  return row;
}

static void
update_runs (PerchCompliancePage *self, JsonArray *runs)
{
  GtkListBoxRow *row;
  while ((row = gtk_list_box_get_row_at_index (self->runs_list, 0)) != NULL)
    gtk_list_box_remove (self->runs_list, GTK_WIDGET (row));
  guint n = runs ? json_array_get_length (runs) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (runs, i);
      if (JSON_NODE_HOLDS_OBJECT (node))
        gtk_list_box_append (self->runs_list, run_row_new (json_node_get_object (node)));
    }
}

static void
update_run_action (PerchCompliancePage *self)
{
  gboolean can_run = self->connection != NULL && self->enabled && !self->running && !self->run_asked;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compliance.run", can_run);
  const char *why = NULL;
  if (self->connection != NULL && !self->enabled)
    why = _("Compliance is off: turn it on under Configuration first");
  else if (self->running || self->run_asked)
    why = _("A run is in progress");
  else
    why = _("Hand the pending events to the adapter now");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->run_button), why);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->run_button), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, why, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->run_note), self->connection != NULL && !self->enabled && self->pending >= 0);
}

static void
set_row_text (PerchCompliancePage *self, AdwEntryRow *row, const char *text)
{
  if (is_being_edited (GTK_WIDGET (row)))
    return;
  self->updating = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  self->updating = FALSE;
}

static void
update_config (PerchCompliancePage *self, JsonObject *config)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_widgets); i++)
    {
      GtkWidget *widget = config_widget (self, i);
      if (!json_object_has_member (config, config_widgets[i].key))
        continue;
      const char *value = perch_json_get_string (config, config_widgets[i].key, "");
      /* The output directory is shown as it is in force: "" means the
       * server's data directory's compliance/. */
      if (widget == GTK_WIDGET (self->output_dir_row) && *value == '\0' && self->output_dir != NULL)
        value = self->output_dir;
      self->updating = TRUE;
      if (GTK_IS_SWITCH (widget))
        gtk_switch_set_active (GTK_SWITCH (widget), text_is_true (value));
      else if (ADW_IS_COMBO_ROW (widget))
        adw_combo_row_set_selected (ADW_COMBO_ROW (widget), g_strcmp0 (value, "command") == 0 ? 1 : 0);
      else if (ADW_IS_ACTION_ROW (widget))
        adw_action_row_set_subtitle (ADW_ACTION_ROW (widget), *value ? value : C_("configuration value", "Not set"));
      self->updating = FALSE;
      if (ADW_IS_ENTRY_ROW (widget))
        set_row_text (self, ADW_ENTRY_ROW (widget), value);
    }
}

static void
update_status (PerchCompliancePage *self, JsonObject *status)
{
  gboolean was_enabled = self->enabled;
  gint64 old_pending = self->pending;
  self->enabled = perch_json_get_bool (status, "enabled", FALSE);
  self->running = perch_json_get_bool (status, "running", FALSE);
  self->pending = perch_json_get_int (status, "pending", 0);
  const char *oldest = perch_json_get_string (status, "oldest_pending", NULL);
  gboolean oldest_changed = g_strcmp0 (oldest, self->oldest) != 0;
  g_free (self->oldest);
  self->oldest = g_strdup (oldest);

  const char *state = !self->enabled ? C_("compliance service", "Off")
                    : self->running ? C_("compliance service", "Running")
                    : C_("compliance service", "On");
  gtk_label_set_text (self->state_label, state);
  g_autofree char *next = perch_compliance_format_time (perch_json_get_string (status, "next_run", NULL), NULL);
  g_autofree char *subtitle = NULL;
  if (self->enabled && next != NULL)
    /* Translators: when the compliance service runs next */
    subtitle = g_strdup_printf (_("Next run at %s"), next);
  else if (!self->enabled)
    subtitle = g_strdup (_("Events wait in the queue until it is turned on"));
  adw_action_row_set_subtitle (self->state_row, subtitle ? subtitle : "");

  g_autofree char *pending = g_strdup_printf ("%" G_GINT64_FORMAT, self->pending);
  gtk_label_set_text (self->pending_label, pending);
  g_autofree char *oldest_text = perch_compliance_format_time (oldest, C_("oldest pending event", "None"));
  gtk_label_set_text (self->oldest_label, oldest_text);

  JsonNode *by_type = json_object_get_member (status, "pending_by_type");
  update_types (self, by_type && JSON_NODE_HOLDS_OBJECT (by_type) ? json_node_get_object (by_type) : NULL);

  JsonNode *runs = json_object_get_member (status, "runs");
  JsonArray *runs_array = runs && JSON_NODE_HOLDS_ARRAY (runs) ? json_node_get_array (runs) : NULL;
  update_runs (self, runs_array);
  gint64 newest = 0;
  if (runs_array != NULL && json_array_get_length (runs_array) > 0)
    newest = perch_json_get_int (json_array_get_object_element (runs_array, 0), "id", 0);
  self->newest_run_id = newest;

  g_free (self->output_dir);
  self->output_dir = g_strdup (perch_json_get_string (status, "output_dir", NULL));
  JsonNode *config = json_object_get_member (status, "config");
  if (config != NULL && JSON_NODE_HOLDS_OBJECT (config))
    update_config (self, json_node_get_object (config));

  update_run_action (self);
  /* A refusal to run stays until the service is on again. */
  if (!was_enabled && self->enabled)
    show_error (self->run_error, NULL, NULL);
  if (old_pending != self->pending || oldest_changed)
    reload_events (self);
}

/* ---- reading the queue ------------------------------------------------------------ */

static void
set_loading (PerchCompliancePage *self, gboolean loading)
{
  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
show_unavailable (PerchCompliancePage *self, const GError *error)
{
  adw_status_page_set_description (self->unavailable_page, error ? error->message : NULL);
  gtk_stack_set_visible_child_name (content_stack (self), "unavailable");
}

static void
on_status (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCompliancePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) status = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error == NULL && (status == NULL || !JSON_NODE_HOLDS_OBJECT (status)))
    error = g_error_new_literal (PERCH_API_ERROR, PERCH_API_ERROR_INVALID_REPLY,
                                 _("The server’s compliance queue is not one"));
  if (error != NULL)
    {
      set_loading (self, FALSE);
      guint code = perch_api_error_get_status (error);
      /* Not an administrator, or no compliance service: the page says why,
       * in the server's words. Anything else is a passing failure. */
      if (code == 403 || code == 404 || code == 503)
        show_unavailable (self, error);
      else
        perch_toast_error (GTK_WIDGET (self), _("Could not read the compliance queue"), error);
      return;
    }
  gtk_stack_set_visible_child_name (content_stack (self), "compliance");
  update_status (self, json_node_get_object (status));
  set_loading (self, FALSE);
}

static void
refresh (PerchCompliancePage *self)
{
  if (self->connection == NULL || self->loading)
    return;
  set_loading (self, TRUE);
  perch_api_get_async (perch_connection_get_api (self->connection), "/compliance", self->cancellable, on_status,
                       g_object_ref (self));
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  refresh (user_data);
  return G_SOURCE_CONTINUE;
}

static void
start_timer (PerchCompliancePage *self)
{
  if (self->refresh_id == 0 && self->connection != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->refresh_id = g_timeout_add_seconds (PERCH_COMPLIANCE_REFRESH_SECONDS, on_refresh_timeout, self);
}

static void
stop_timers (PerchCompliancePage *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->watch_id, g_source_remove);
}

/* ---- run now ---------------------------------------------------------------------- */

static gboolean
on_watch_timeout (gpointer user_data)
{
  PerchCompliancePage *self = user_data;
  if (++self->watch_count > RUN_WATCH_MAX || (!self->running && !self->loading && self->watch_count > 1))
    {
      /* The run has ended (its outcome is in the list), or it takes long:
       * the ordinary refresh goes on from here. */
      self->watch_id = 0;
      return G_SOURCE_REMOVE;
    }
  refresh (self);
  return G_SOURCE_CONTINUE;
}

static void
on_run_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchCompliancePage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->run_asked = FALSE;
  if (error != NULL)
    {
      /* Translators: "Could not run: compliance is not enabled: ..." */
      g_autofree char *message = g_strdup_printf (_("Could not run: %s"), error->message);
      show_error (self->run_error, NULL, message);
      update_run_action (self);
      /* What the server holds now: a refusal often means the page was out of date. */
      refresh (self);
      return;
    }
  show_error (self->run_error, NULL, NULL);
  /* The server answers at once; the run's outcome shows in the runs. Until
   * it does, the queue is read every second. */
  self->running = TRUE;
  update_run_action (self);
  self->watch_count = 0;
  if (self->watch_id == 0)
    self->watch_id = g_timeout_add_seconds (1, on_watch_timeout, self);
  refresh (self);
}

static void
run_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (widget);
  if (self->connection == NULL || self->run_asked)
    return;
  self->run_asked = TRUE;
  update_run_action (self);
  perch_api_send_async (perch_connection_get_api (self->connection), "POST", "/compliance/run", NULL,
                        self->cancellable, on_run_started, g_object_ref (self));
}

/* ---- changing the configuration ----------------------------------------------------- */

typedef struct {
  PerchCompliancePage *self;
  GtkWidget           *widget;
} ConfigPatch;

static void
on_config_patched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConfigPatch *patch = user_data;
  g_autoptr(PerchCompliancePage) self = patch->self;
  g_autoptr(GtkWidget) widget = patch->widget;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) config = perch_api_send_finish (PERCH_API (source), result, &error);
  g_free (patch);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  GtkWidget *row = row_of (widget);
  if (error != NULL)
    {
      /* Translators: "Run Interval (seconds): compliance_run_interval must be ..." */
      g_autofree char *message = g_strdup_printf (_("%s: %s"),
                                                  adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                                  error->message);
      show_error (self->config_error, row, message);
      /* A switch or a choice goes back to what the server holds; typed text
       * stays, to be corrected. */
      refresh (self);
      return;
    }
  clear_config_errors (self);
  g_object_set_data (G_OBJECT (row), EDITED, NULL);
  if (config != NULL && JSON_NODE_HOLDS_OBJECT (config))
    update_config (self, json_node_get_object (config));
  /* Turning the service on or off changes the whole queue's state. */
  refresh (self);
}

static void
patch_config (PerchCompliancePage *self, GtkWidget *widget, const char *value)
{
  const char *key = config_key (self, widget);
  if (self->connection == NULL || key == NULL)
    return;
  g_autoptr(JsonObject) body = json_object_new ();
  /* Sent as it is: the server checks it and says what it wants. */
  json_object_set_string_member (body, key, value);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  ConfigPatch *patch = g_new0 (ConfigPatch, 1);
  patch->self = g_object_ref (self);
  patch->widget = g_object_ref (widget);
  perch_api_send_async (perch_connection_get_api (self->connection), "PATCH", "/config", node, self->cancellable,
                        on_config_patched, patch);
}

static void
on_switch_changed (PerchCompliancePage *self, GParamSpec *pspec, GtkSwitch *widget)
{
  if (self->updating)
    return;
  patch_config (self, GTK_WIDGET (widget), gtk_switch_get_active (widget) ? "true" : "false");
}

static void
on_adapter_selected (PerchCompliancePage *self)
{
  if (self->updating)
    return;
  patch_config (self, GTK_WIDGET (self->adapter_row),
                adw_combo_row_get_selected (self->adapter_row) == 1 ? "command" : "xml");
}

static void
on_entry_applied (PerchCompliancePage *self, AdwEntryRow *row)
{
  patch_config (self, GTK_WIDGET (row), gtk_editable_get_text (GTK_EDITABLE (row)));
}

static void
on_entry_changed (PerchCompliancePage *self, GtkEditable *row)
{
  if (!self->updating)
    g_object_set_data (G_OBJECT (row), EDITED, GINT_TO_POINTER (1));
}

/* Keys that name programs or places on the server's disk are set only where
 * the server runs (perchd --config); the server refuses them over HTTP
 * (perch_channel_config_is_local says which). Their rows show the value and
 * say so, rather than offer a change that would be refused; should the
 * server's table name another key, its widget is made insensitive. */
static void
mark_local_keys (PerchCompliancePage *self)
{
  const char *note = _("Set with “perchd --config” where the server runs; it cannot be changed over the network");
  for (guint i = 0; i < G_N_ELEMENTS (config_widgets); i++)
    {
      GtkWidget *widget = config_widget (self, i);
      gboolean local = perch_channel_config_is_local (config_widgets[i].key);
      gboolean shown_only = ADW_IS_ACTION_ROW (widget) && !ADW_IS_COMBO_ROW (widget);
      if (!local && !shown_only)
        continue;
      if (!shown_only)
        gtk_widget_set_sensitive (widget, FALSE);
      else
        {
          GtkWidget *icon = gtk_image_new_from_icon_name ("changes-prevent-symbolic");
          gtk_widget_add_css_class (icon, "dim-label");
          adw_action_row_add_suffix (ADW_ACTION_ROW (widget), icon);
        }
      gtk_widget_set_tooltip_text (widget, note);
      gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, note, -1);
    }
}

/* ---- connection --------------------------------------------------------------------- */

PerchConnection *
perch_compliance_page_get_connection (PerchCompliancePage *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_PAGE (self), NULL);
  return self->connection;
}

GListModel *
perch_compliance_page_get_events (PerchCompliancePage *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_PAGE (self), NULL);
  return G_LIST_MODEL (self->events);
}

void
perch_compliance_page_set_events_page_size (PerchCompliancePage *self, guint page_size)
{
  g_return_if_fail (PERCH_IS_COMPLIANCE_PAGE (self));
  self->events_page_size = CLAMP (page_size, 1, 1000);
}

gboolean
perch_compliance_page_get_loading (PerchCompliancePage *self)
{
  g_return_val_if_fail (PERCH_IS_COMPLIANCE_PAGE (self), FALSE);
  return self->loading || events_loading (self);
}

static void
forget (PerchCompliancePage *self)
{
  stop_timers (self);
  g_cancellable_cancel (self->events_cancellable);
  g_clear_object (&self->events_cancellable);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->events_cursor, g_free);
  g_clear_pointer (&self->oldest, g_free);
  g_clear_pointer (&self->output_dir, g_free);
  g_hash_table_remove_all (self->room_names);
  self->loading = FALSE;
  self->enabled = FALSE;
  self->running = FALSE;
  self->run_asked = FALSE;
  self->pending = -1;
  self->newest_run_id = 0;
}

void
perch_compliance_page_set_connection (PerchCompliancePage *self, PerchConnection *connection)
{
  g_return_if_fail (PERCH_IS_COMPLIANCE_PAGE (self));

  if (self->connection == connection)
    return;
  forget (self);
  g_set_object (&self->connection, connection);

  g_list_store_remove_all (self->events);
  update_events_stack (self);
  clear_type_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self->types_row), FALSE);
  update_runs (self, NULL);
  show_error (self->run_error, NULL, NULL);
  clear_config_errors (self);
  gtk_label_set_text (self->state_label, "");
  gtk_label_set_text (self->pending_label, "");
  gtk_label_set_text (self->oldest_label, "");
  adw_action_row_set_subtitle (self->state_row, "");
  for (guint i = 0; i < G_N_ELEMENTS (config_widgets); i++)
    {
      GtkWidget *widget = config_widget (self, i);
      if (ADW_IS_ENTRY_ROW (widget))
        {
          g_object_set_data (G_OBJECT (widget), EDITED, NULL);
          set_row_text (self, ADW_ENTRY_ROW (widget), "");
        }
      else if (ADW_IS_ACTION_ROW (widget) && !ADW_IS_COMBO_ROW (widget))
        adw_action_row_set_subtitle (ADW_ACTION_ROW (widget), "");
    }
  gtk_stack_set_visible_child_name (content_stack (self), "compliance");
  update_run_action (self);

  if (connection != NULL)
    {
      self->cancellable = g_cancellable_new ();
      refresh (self);
      start_timer (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (widget);
  refresh (self);
  /* Asked for: the events too, even when the figures did not change. */
  reload_events (self);
}

/* ---- widget --------------------------------------------------------------------------- */

static void
perch_compliance_page_map (GtkWidget *widget)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (widget);
  GTK_WIDGET_CLASS (perch_compliance_page_parent_class)->map (widget);
  refresh (self);
  start_timer (self);
}

static void
perch_compliance_page_unmap (GtkWidget *widget)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (widget);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  GTK_WIDGET_CLASS (perch_compliance_page_parent_class)->unmap (widget);
}

static void
perch_compliance_page_dispose (GObject *object)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (object);

  forget (self);
  g_clear_object (&self->connection);
  if (self->type_rows != NULL)
    g_hash_table_remove_all (self->type_rows);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_COMPLIANCE_PAGE);

  G_OBJECT_CLASS (perch_compliance_page_parent_class)->dispose (object);
}

static void
perch_compliance_page_finalize (GObject *object)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (object);

  g_clear_pointer (&self->type_rows, g_hash_table_unref);
  g_clear_pointer (&self->room_names, g_hash_table_unref);

  G_OBJECT_CLASS (perch_compliance_page_parent_class)->finalize (object);
}

static void
perch_compliance_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PerchCompliancePage *self = PERCH_COMPLIANCE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, perch_compliance_page_get_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_compliance_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      perch_compliance_page_set_connection (PERCH_COMPLIANCE_PAGE (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_compliance_page_class_init (PerchCompliancePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = perch_compliance_page_dispose;
  object_class->finalize = perch_compliance_page_finalize;
  object_class->get_property = perch_compliance_page_get_property;
  object_class->set_property = perch_compliance_page_set_property;
  widget_class->map = perch_compliance_page_map;
  widget_class->unmap = perch_compliance_page_unmap;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                     G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PERCH_TYPE_COMPLIANCE_EVENT);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-compliance-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, queue_group);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, run_button);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, state_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, state_label);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, pending_label);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, oldest_label);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, types_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, run_note);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, run_error);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, runs_list);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, config_group);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, interval_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, adapter_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, output_dir_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, command_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, timeout_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, batch_row);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, room_file_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, room_details_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, user_details_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, manifest_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, config_error);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, events_stack);
  gtk_widget_class_bind_template_child (widget_class, PerchCompliancePage, events);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_adapter_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_applied);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, setup_label);
  gtk_widget_class_bind_template_callback (widget_class, setup_time);
  gtk_widget_class_bind_template_callback (widget_class, bind_time);
  gtk_widget_class_bind_template_callback (widget_class, bind_type);
  gtk_widget_class_bind_template_callback (widget_class, bind_user);
  gtk_widget_class_bind_template_callback (widget_class, bind_room);
  gtk_widget_class_bind_template_callback (widget_class, bind_content);

  gtk_widget_class_install_action (widget_class, "page.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "compliance.run", NULL, run_action);
}

static void
perch_compliance_page_init (PerchCompliancePage *self)
{
  self->type_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->room_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->events_page_size = PERCH_COMPLIANCE_EVENTS_PAGE_SIZE;
  self->pending = -1;
  gtk_widget_init_template (GTK_WIDGET (self));
  mark_local_keys (self);
  update_run_action (self);
}
