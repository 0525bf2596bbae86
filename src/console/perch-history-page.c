/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-history-page.c: the rooms (GET /rooms) in a drop-down; the chosen
 * room's newest page of messages, then older pages (?before=the oldest id
 * loaded) when the list is scrolled near its top. Live posts come from the
 * connection's PerchClient "post" signal once the room is joined.
 *
 * Search, author and date filter what is loaded: GET /rooms/{room}/messages
 * takes only limit, before, after and cursor. The list stays at its bottom
 * while it is there, so new posts scroll into view. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "perch-api.h"
#include "perch-connection.h"
#include "perch-console-window.h"
#include "perch-history-page.h"
#include "perch-message-item.h"

#define PAGE_SIZE   50   /* messages a request asks for, unless set otherwise */
#define ROOMS_LIMIT 1000

struct _PerchHistoryPage {
  AdwBin              parent_instance;

  /* template children */
  GtkDropDown        *room_dropdown;
  GtkStringList      *room_names;
  GtkSearchEntry     *message_search;
  GtkDropDown        *author_dropdown;
  GtkStringList      *author_names;
  GtkEntry           *date_entry;
  GtkStack           *view_stack;
  GtkScrolledWindow  *scrolled;
  GtkListView        *message_view;
  GtkLabel           *status_label;

  PerchConnection    *connection;
  PerchClient        *client;          /* the connection's, while set */
  GCancellable       *cancellable;     /* every request of this connection */
  GCancellable       *room_cancellable;/* the messages of the current room */
  GPtrArray          *rooms;           /* JsonObject, as room_names lists them */
  char               *room_id;
  char               *room_uri;
  char               *room_name;       /* select this one once the rooms are in */
  GListStore         *messages;        /* PerchMessageItem, oldest first */
  GtkCustomFilter    *filter;
  GtkMultiSelection  *selection;
  GHashTable         *ids;             /* ids loaded (gint64 *) */
  GHashTable         *joined;          /* room URIs joined over XCCOS */
  gint64              oldest_id;
  gint64              since_us;        /* the date filter; 0: none */
  guint               page_size;       /* messages a request asks for */
  gboolean            has_more;        /* older messages on the server */
  gboolean            loading;         /* a page of messages is under way */
  gboolean            loading_rooms;
  gboolean            at_bottom;       /* keep the newest in view */
  gboolean            updating;        /* the page itself is changing its widgets */
};

G_DEFINE_FINAL_TYPE (PerchHistoryPage, perch_history_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void load_page (PerchHistoryPage *self);

static PerchApi *
api_of (PerchHistoryPage *self)
{
  return perch_connection_get_api (self->connection);
}

static gboolean
is_admin (PerchHistoryPage *self)
{
  return self->connection != NULL && perch_connection_get_admin (self->connection);
}

static void
update_status (PerchHistoryPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  GString *text = g_string_new (NULL);
  if (self->room_id == NULL)
    g_string_append (text, _("No room"));
  else if (shown == n)
    g_string_append_printf (text, g_dngettext (NULL, "%u message loaded", "%u messages loaded", n), n);
  else
    /* Translators: "3 of 8 messages shown" */
    g_string_append_printf (text, g_dngettext (NULL, "%u of %u message shown", "%u of %u messages shown", n),
                            shown, n);
  if (self->room_id != NULL && self->has_more)
    g_string_append_printf (text, " · %s", _("scroll up for older ones"));
  if (perch_history_page_get_live (self))
    g_string_append_printf (text, " · %s", _("live"));
  gtk_label_set_text (self->status_label, text->str);
  g_string_free (text, TRUE);
  gtk_stack_set_visible_child_name (self->view_stack, n > 0 ? "messages" : "empty");
}

static void
update_actions (PerchHistoryPage *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  gboolean admin = is_admin (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.replace", admin && !gtk_bitset_is_empty (selected));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.remove", admin && !gtk_bitset_is_empty (selected));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.clear", admin && self->room_id != NULL);
}

/* ---- filtering ------------------------------------------------------------------ */

static gboolean
filter_message (gpointer item, gpointer user_data)
{
  PerchHistoryPage *self = user_data;
  PerchMessageItem *message = item;

  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->message_search));
  if (*text != '\0')
    {
      g_autofree char *needle = g_utf8_casefold (text, -1);
      g_autofree char *content = g_utf8_casefold (perch_message_item_get_content (message), -1);
      g_autofree char *author = g_utf8_casefold (perch_message_item_get_author (message), -1);
      if (strstr (content, needle) == NULL && strstr (author, needle) == NULL)
        return FALSE;
    }
  guint author_index = gtk_drop_down_get_selected (self->author_dropdown);
  if (author_index != GTK_INVALID_LIST_POSITION && author_index > 0)
    {
      const char *author = gtk_string_list_get_string (self->author_names, author_index);
      if (g_strcmp0 (author, perch_message_item_get_author (message)) != 0)
        return FALSE;
    }
  if (self->since_us != 0 && perch_message_item_get_ts_us (message) < self->since_us)
    return FALSE;
  return TRUE;
}

static void
refilter (PerchHistoryPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_status (self);
}

static void
on_filter_changed (PerchHistoryPage *self)
{
  if (!self->updating)
    refilter (self);
}

/* "2026-11-24": the start of that day, here. */
static gint64
parse_date (const char *text, gboolean *valid)
{
  int y, m, d;
  char end;
  *valid = TRUE;
  if (text == NULL || *text == '\0')
    return 0;
  if (sscanf (text, "%d-%d-%d%c", &y, &m, &d, &end) == 3)
    {
      g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
      g_autoptr(GDateTime) dt = g_date_time_new (tz, y, m, d, 0, 0, 0);
      if (dt != NULL)
        return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
    }
  *valid = FALSE;
  return 0;
}

static void
on_date_changed (PerchHistoryPage *self)
{
  gboolean valid;
  self->since_us = parse_date (gtk_editable_get_text (GTK_EDITABLE (self->date_entry)), &valid);
  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (self->date_entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->date_entry), "error");
  refilter (self);
}

static void
note_author (PerchHistoryPage *self, const char *author)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->author_names));
  for (guint i = 1; i < n; i++)
    if (g_strcmp0 (gtk_string_list_get_string (self->author_names, i), author) == 0)
      return;
  self->updating = TRUE;
  gtk_string_list_append (self->author_names, author);
  self->updating = FALSE;
}

/* ---- scrolling ------------------------------------------------------------------ */

/* Older messages are asked for while the list is scrolled near its top, or
 * holds too few to scroll at all (nothing else would ask for them). Checked
 * when the list scrolls and when its height changes, so a page that arrives
 * while the list is still at its top asks for the next one. */
static void
maybe_load_older (PerchHistoryPage *self, GtkAdjustment *adjustment)
{
  double value = gtk_adjustment_get_value (adjustment);
  double page = gtk_adjustment_get_page_size (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);
  if (page > 0 && (value < page / 2 || upper <= page) && self->has_more && !self->loading)
    load_page (self);
}

static void
on_scrolled (PerchHistoryPage *self, GtkAdjustment *adjustment)
{
  double value = gtk_adjustment_get_value (adjustment);
  double page = gtk_adjustment_get_page_size (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);
  self->at_bottom = value + page >= upper - 8;
  maybe_load_older (self, adjustment);
}

static void
on_upper_changed (PerchHistoryPage *self, GParamSpec *pspec, GtkAdjustment *adjustment)
{
  double upper = gtk_adjustment_get_upper (adjustment), page = gtk_adjustment_get_page_size (adjustment);
  if (self->at_bottom)
    gtk_adjustment_set_value (adjustment, upper - page);
  maybe_load_older (self, adjustment);
}

/* ---- messages ------------------------------------------------------------------- */

static gboolean
add_id (PerchHistoryPage *self, gint64 id)
{
  if (id == 0)
    return TRUE;
  if (g_hash_table_contains (self->ids, &id))
    return FALSE;
  gint64 *key = g_new (gint64, 1);
  *key = id;
  g_hash_table_add (self->ids, key);
  return TRUE;
}

static int
compare_messages (gconstpointer a, gconstpointer b)
{
  PerchMessageItem *x = *(PerchMessageItem **) a, *y = *(PerchMessageItem **) b;
  gint64 tx = perch_message_item_get_ts_us (x), ty = perch_message_item_get_ts_us (y);
  if (tx != ty)
    return tx < ty ? -1 : 1;
  gint64 ix = perch_message_item_get_id (x), iy = perch_message_item_get_id (y);
  return ix < iy ? -1 : ix > iy;
}

static void
on_messages (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading = FALSE;
  if (error != NULL)
    {
      self->has_more = FALSE;
      perch_toast_error (GTK_WIDGET (self), _("Could not read the messages"), error);
      update_status (self);
      return;
    }
  JsonObject *page = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *items = page ? json_object_get_member (page, "items") : NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  if (items != NULL && JSON_NODE_HOLDS_ARRAY (items))
    {
      JsonArray *array = json_node_get_array (items);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          PerchMessageItem *message = perch_message_item_new_from_json (json_node_get_object (item));
          gint64 id = perch_message_item_get_id (message);
          if (id != 0 && (self->oldest_id == 0 || id < self->oldest_id))
            self->oldest_id = id;
          if (!add_id (self, id))
            {
              g_object_unref (message);
              continue;
            }
          note_author (self, perch_message_item_get_author (message));
          g_ptr_array_add (added, message);
        }
    }
  g_ptr_array_sort (added, compare_messages);
  self->has_more = page != NULL && perch_json_get_string (page, "next_cursor", NULL) != NULL && added->len > 0;
  /* Older than everything loaded: they go first. */
  g_list_store_splice (self->messages, 0, 0, added->pdata, added->len);
  update_status (self);
}

static void
load_page (PerchHistoryPage *self)
{
  if (self->connection == NULL || self->room_id == NULL || self->loading)
    return;
  self->loading = TRUE;
  g_autofree char *escaped = perch_api_escape (self->room_id);
  g_autofree char *path = self->oldest_id != 0
    ? g_strdup_printf ("/rooms/%s/messages?limit=%u&before=%" G_GINT64_FORMAT, escaped, self->page_size,
                       self->oldest_id)
    : g_strdup_printf ("/rooms/%s/messages?limit=%u", escaped, self->page_size);
  perch_api_get_async (api_of (self), path, self->room_cancellable, on_messages, g_object_ref (self));
}

static void
on_post (PerchClient *client, const char *room_uri, const char *author, const char *text, const char *ts,
         const char *msgid, PerchHistoryPage *self)
{
  if (self->room_uri == NULL || g_strcmp0 (room_uri, self->room_uri) != 0)
    return;
  gint64 id = 0;
  if (msgid == NULL || !g_ascii_string_to_signed (msgid, 10, 1, G_MAXINT64, &id, NULL))
    id = 0;
  if (!add_id (self, id))
    return;
  g_autoptr(PerchMessageItem) message = perch_message_item_new (id, author, ts, text);
  note_author (self, perch_message_item_get_author (message));
  g_list_store_append (self->messages, message);
  update_status (self);
}

typedef struct {
  PerchHistoryPage *self;
  char             *uri;
} Join;

static void
on_joined (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Join *join = user_data;
  g_autoptr(PerchHistoryPage) self = join->self;
  g_autofree char *uri = join->uri;
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_client_command_finish (PERCH_CLIENT (source), result, &error);
  g_free (join);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->connection == NULL)
    return;
  if (error != NULL)
    {
      perch_toast_error (GTK_WIDGET (self), _("Live posts are not available"), error);
      return;
    }
  g_hash_table_add (self->joined, g_steal_pointer (&uri));
  update_status (self);
}

static void
join_room (PerchHistoryPage *self)
{
  if (self->client == NULL || self->room_uri == NULL || g_hash_table_contains (self->joined, self->room_uri))
    return;
  Join *join = g_new0 (Join, 1);
  join->self = g_object_ref (self);
  join->uri = g_strdup (self->room_uri);
  perch_client_join_async (self->client, self->room_uri, self->cancellable, on_joined, join);
}

static void
show_room (PerchHistoryPage *self, JsonObject *room)
{
  g_cancellable_cancel (self->room_cancellable);
  g_clear_object (&self->room_cancellable);
  g_clear_pointer (&self->room_id, g_free);
  g_clear_pointer (&self->room_uri, g_free);
  g_list_store_remove_all (self->messages);
  g_hash_table_remove_all (self->ids);
  self->updating = TRUE;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->author_names));
  gtk_string_list_splice (self->author_names, 1, n - 1, NULL);
  gtk_drop_down_set_selected (self->author_dropdown, 0);
  self->updating = FALSE;
  self->oldest_id = 0;
  self->has_more = FALSE;
  self->loading = FALSE;
  self->at_bottom = TRUE;

  if (room != NULL && self->connection != NULL)
    {
      self->room_id = g_strdup (perch_json_get_string (room, "id", NULL));
      self->room_uri = g_strdup (perch_json_get_string (room, "uri", NULL));
      self->room_cancellable = g_cancellable_new ();
      load_page (self);
      join_room (self);
    }
  update_status (self);
  update_actions (self);
}

static void
on_room_selected (PerchHistoryPage *self)
{
  if (self->updating)
    return;
  guint i = gtk_drop_down_get_selected (self->room_dropdown);
  JsonObject *room = i < self->rooms->len ? g_ptr_array_index (self->rooms, i) : NULL;
  if (room != NULL)
    {
      g_free (self->room_name);
      self->room_name = g_strdup (perch_json_get_string (room, "name", NULL));
    }
  show_room (self, room);
}

static void
on_rooms (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchHistoryPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_get_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->loading_rooms = FALSE;
  if (error != NULL)
    {
      perch_toast_error (GTK_WIDGET (self), _("Could not read the rooms"), error);
      return;
    }
  JsonNode *items = node && JSON_NODE_HOLDS_OBJECT (node)
                    ? json_object_get_member (json_node_get_object (node), "items") : NULL;
  g_ptr_array_set_size (self->rooms, 0);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint wanted = 0;
  if (items != NULL && JSON_NODE_HOLDS_ARRAY (items))
    {
      JsonArray *array = json_node_get_array (items);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          JsonObject *room = json_node_get_object (item);
          if (g_strcmp0 (perch_json_get_string (room, "name", NULL), self->room_name) == 0)
            wanted = self->rooms->len;
          g_ptr_array_add (self->rooms, json_object_ref (room));
          g_ptr_array_add (names, (gpointer) perch_json_get_string (room, "name", ""));
        }
    }
  g_ptr_array_add (names, NULL);
  self->updating = TRUE;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->room_names));
  gtk_string_list_splice (self->room_names, 0, n, (const char *const *) names->pdata);
  gtk_drop_down_set_selected (self->room_dropdown, self->rooms->len > 0 ? wanted : GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
  on_room_selected (self);
}

static void
load_rooms (PerchHistoryPage *self)
{
  if (self->connection == NULL || self->loading_rooms)
    return;
  self->loading_rooms = TRUE;
  g_autofree char *path = g_strdup_printf ("/rooms?limit=%d", ROOMS_LIMIT);
  perch_api_get_async (api_of (self), path, self->cancellable, on_rooms, g_object_ref (self));
}

/* ---- changing ------------------------------------------------------------------- */

/* The ids of the selected messages that have one. */
static JsonArray *
selected_ids (PerchHistoryPage *self, guint *n_out)
{
  JsonArray *ids = json_array_new ();
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GtkBitsetIter iter;
  guint position;
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    {
      g_autoptr(PerchMessageItem) message = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
      if (message != NULL && perch_message_item_get_id (message) != 0)
        json_array_add_int_element (ids, perch_message_item_get_id (message));
    }
  *n_out = json_array_get_length (ids);
  return ids;
}

static void
reload (PerchHistoryPage *self)
{
  guint i = gtk_drop_down_get_selected (self->room_dropdown);
  show_room (self, i < self->rooms->len ? g_ptr_array_index (self->rooms, i) : NULL);
}

typedef enum {
  CHANGE_RELOAD,    /* reload to see what the server made of it */
  CHANGE_REPLACE,   /* the messages of IDS now read REPLACEMENT */
  CHANGE_REMOVE,    /* the messages of IDS are tombstones */
} ChangeKind;

typedef struct {
  PerchHistoryPage *self;
  ChangeKind        kind;
  char             *replacement;
  GArray           *ids;           /* gint64 */
} Change;

static void
change_free (Change *change)
{
  g_object_unref (change->self);
  g_free (change->replacement);
  g_array_unref (change->ids);
  g_free (change);
}

static void
on_changed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *change = user_data;
  PerchHistoryPage *self = change->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = perch_api_send_finish (PERCH_API (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    ;
  else if (error != NULL)
    perch_toast_error (GTK_WIDGET (self), _("Could not change the messages"), error);
  else if (change->kind != CHANGE_RELOAD)
    {
      /* Marked where they are: the page keeps what it has loaded and where it is scrolled. */
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(PerchMessageItem) message = g_list_model_get_item (G_LIST_MODEL (self->messages), i);
          for (guint j = 0; j < change->ids->len; j++)
            if (perch_message_item_get_id (message) == g_array_index (change->ids, gint64, j))
              {
                if (change->kind == CHANGE_REPLACE)
                  perch_message_item_replace (message, change->replacement);
                else
                  perch_message_item_remove (message);
              }
        }
      refilter (self);
    }
  else
    reload (self);
  change_free (change);
}

static void
send_change (PerchHistoryPage *self, const char *path_tail, JsonObject *body, ChangeKind kind,
             const char *replacement, JsonArray *ids)
{
  Change *change = g_new0 (Change, 1);
  change->self = g_object_ref (self);
  change->kind = kind;
  change->replacement = g_strdup (replacement);
  change->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; ids && i < json_array_get_length (ids); i++)
    {
      gint64 id = json_array_get_int_element (ids, i);
      g_array_append_val (change->ids, id);
    }
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);
  g_autofree char *escaped = perch_api_escape (self->room_id);
  g_autofree char *path = g_strdup_printf ("/rooms/%s/%s", escaped, path_tail);
  perch_api_send_async (api_of (self), "POST", path, node, self->cancellable, on_changed, change);
}

static void
on_confirm_response (AdwMessageDialog *dialog, const char *response, PerchHistoryPage *self)
{
  const char *kind = g_object_get_data (G_OBJECT (dialog), "perch-kind");
  if (g_strcmp0 (response, kind) != 0 || self->connection == NULL || self->room_id == NULL)
    return;
  GtkWidget *extra = adw_message_dialog_get_extra_child (dialog);
  const char *text = GTK_IS_EDITABLE (extra) ? gtk_editable_get_text (GTK_EDITABLE (extra)) : NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  if (g_str_equal (kind, "clear"))
    {
      gboolean valid;
      gint64 up_to = parse_date (text, &valid);
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (up_to / G_USEC_PER_SEC);
      /* A date is the start of that day here; anything else goes as typed. */
      g_autofree char *iso = valid && up_to != 0 && dt ? g_date_time_format_iso8601 (dt) : g_strdup (text);
      json_object_set_string_member (body, "up_to", iso);
      send_change (self, "clear", body, CHANGE_RELOAD, NULL, NULL);
      return;
    }

  guint n = 0;
  JsonArray *ids = selected_ids (self, &n);
  if (n == 0)
    {
      json_array_unref (ids);
      return;
    }
  json_object_set_array_member (body, "ids", json_array_ref (ids));
  json_object_set_string_member (body, "action", kind);
  ChangeKind change = CHANGE_REMOVE;
  if (g_str_equal (kind, "replace") && text != NULL && *text != '\0')
    {
      json_object_set_string_member (body, "replacement", text);
      change = CHANGE_REPLACE;
    }
  else if (g_str_equal (kind, "replace"))
    change = CHANGE_RELOAD;   /* the server's own notice: read it back */
  send_change (self, "messages/remove", body, change, change == CHANGE_REPLACE ? text : NULL, ids);
  json_array_unref (ids);
}

static void
confirm (PerchHistoryPage *self, const char *kind, const char *heading, const char *body,
         const char *label, GtkWidget *extra)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), kind, label, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), kind, ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  if (extra != NULL)
    adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), extra);
  g_object_set_data_full (G_OBJECT (dialog), "perch-kind", g_strdup (kind), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static guint
n_selected (PerchHistoryPage *self)
{
  guint n = 0;
  g_autoptr(JsonArray) ids = selected_ids (self, &n);
  return n;
}

static void
replace_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchHistoryPage *self = PERCH_HISTORY_PAGE (widget);
  guint n = n_selected (self);
  g_autofree char *heading = g_strdup_printf (g_dngettext (NULL, "Replace %u Message?", "Replace %u Messages?", n), n);
  GtkWidget *entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Replacement text (empty: the server’s notice)"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Replacement text"), -1);
  confirm (self, "replace", heading, _("Everyone will see the replacement instead of what was written."),
           _("_Replace"), entry);
}

static void
remove_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchHistoryPage *self = PERCH_HISTORY_PAGE (widget);
  guint n = n_selected (self);
  g_autofree char *heading = g_strdup_printf (g_dngettext (NULL, "Remove %u Message?", "Remove %u Messages?", n), n);
  confirm (self, "remove", heading, _("The messages are taken out of the room’s history."), _("_Remove"), NULL);
}

static void
clear_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchHistoryPage *self = PERCH_HISTORY_PAGE (widget);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  GtkWidget *entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), today);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Clear up to this date"), -1);
  /* Translators: %s is a room's name */
  g_autofree char *heading = g_strdup_printf (_("Clear “%s”?"), self->room_name ? self->room_name : "");
  confirm (self, "clear", heading,
           _("Every message before the start of this date (YYYY-MM-DD, or a time in ISO 8601) is deleted. "
             "This cannot be undone."),
           _("C_lear"), entry);
}

static void
refresh_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  /* The rooms again (one may have been made since), then the chosen room's
   * messages from its newest. */
  load_rooms (PERCH_HISTORY_PAGE (widget));
}

static void
search_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (PERCH_HISTORY_PAGE (widget)->message_search));
}

static void
on_selection_changed (PerchHistoryPage *self)
{
  update_actions (self);
}

/* ---- connection ------------------------------------------------------------------- */

PerchConnection *
perch_history_page_get_connection (PerchHistoryPage *self)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), NULL);
  return self->connection;
}

gboolean
perch_history_page_select_room (PerchHistoryPage *self, const char *name)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), FALSE);
  for (guint i = 0; i < self->rooms->len; i++)
    if (g_strcmp0 (perch_json_get_string (g_ptr_array_index (self->rooms, i), "name", NULL), name) == 0)
      {
        if (gtk_drop_down_get_selected (self->room_dropdown) == i)
          on_room_selected (self);
        else
          gtk_drop_down_set_selected (self->room_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

GListModel *
perch_history_page_get_messages (PerchHistoryPage *self)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), NULL);
  return G_LIST_MODEL (self->messages);
}

GtkSelectionModel *
perch_history_page_get_selection (PerchHistoryPage *self)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

gboolean
perch_history_page_get_loading (PerchHistoryPage *self)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), FALSE);
  return self->loading || self->loading_rooms;
}

gboolean
perch_history_page_get_has_more (PerchHistoryPage *self)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), FALSE);
  return self->has_more;
}

void
perch_history_page_set_page_size (PerchHistoryPage *self, guint page_size)
{
  g_return_if_fail (PERCH_IS_HISTORY_PAGE (self));
  g_return_if_fail (page_size > 0);
  self->page_size = page_size;
}

gboolean
perch_history_page_get_live (PerchHistoryPage *self)
{
  g_return_val_if_fail (PERCH_IS_HISTORY_PAGE (self), FALSE);
  return self->room_uri != NULL && g_hash_table_contains (self->joined, self->room_uri);
}

/* The connection reconnected with a new XCCOS session, or lost its own:
 * follow it. The window's page.refresh once it is back joins the room in
 * the new session. */
static void
on_client_changed (PerchHistoryPage *self)
{
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_hash_table_remove_all (self->joined);
  self->client = self->connection ? perch_connection_get_client (self->connection) : NULL;
  if (self->client != NULL)
    {
      g_object_ref (self->client);
      g_signal_connect_object (self->client, "post", G_CALLBACK (on_post), self, 0);
    }
  update_status (self);
}

void
perch_history_page_set_connection (PerchHistoryPage *self, PerchConnection *connection)
{
  g_return_if_fail (PERCH_IS_HISTORY_PAGE (self));

  if (self->connection == connection)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  if (self->connection != NULL)
    g_signal_handlers_disconnect_by_func (self->connection, on_client_changed, self);
  g_set_object (&self->connection, connection);
  g_hash_table_remove_all (self->joined);
  g_ptr_array_set_size (self->rooms, 0);
  self->loading_rooms = FALSE;
  self->updating = TRUE;
  gtk_string_list_splice (self->room_names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->room_names)), NULL);
  self->updating = FALSE;
  show_room (self, NULL);

  if (connection != NULL)
    {
      self->cancellable = g_cancellable_new ();
      g_signal_connect_object (connection, "notify::client", G_CALLBACK (on_client_changed), self,
                               G_CONNECT_SWAPPED);
      self->client = perch_connection_get_client (connection);
      if (self->client != NULL)
        {
          g_object_ref (self->client);
          g_signal_connect_object (self->client, "post", G_CALLBACK (on_post), self, 0);
        }
      load_rooms (self);
    }
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
}

/* ---- widget -------------------------------------------------------------------- */

static void
perch_history_page_dispose (GObject *object)
{
  PerchHistoryPage *self = PERCH_HISTORY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->room_cancellable);
  g_clear_object (&self->room_cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->connection);
  if (self->filter != NULL)
    gtk_custom_filter_set_filter_func (self->filter, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_HISTORY_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter);
  g_clear_object (&self->messages);
  g_clear_pointer (&self->rooms, g_ptr_array_unref);
  g_clear_pointer (&self->ids, g_hash_table_unref);
  g_clear_pointer (&self->joined, g_hash_table_unref);
  g_clear_pointer (&self->room_id, g_free);
  g_clear_pointer (&self->room_uri, g_free);
  g_clear_pointer (&self->room_name, g_free);

  G_OBJECT_CLASS (perch_history_page_parent_class)->dispose (object);
}

static void
perch_history_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, PERCH_HISTORY_PAGE (object)->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_history_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CONNECTION:
      perch_history_page_set_connection (PERCH_HISTORY_PAGE (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
perch_history_page_class_init (PerchHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = perch_history_page_dispose;
  object_class->get_property = perch_history_page_get_property;
  object_class->set_property = perch_history_page_set_property;

  properties[PROP_CONNECTION] = g_param_spec_object ("connection", NULL, NULL, PERCH_TYPE_CONNECTION,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                     G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PERCH_TYPE_MESSAGE_ITEM);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, room_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, room_names);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, message_search);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, author_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, author_names);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, date_entry);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, scrolled);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, message_view);
  gtk_widget_class_bind_template_child (widget_class, PerchHistoryPage, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_room_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_date_changed);

  gtk_widget_class_install_action (widget_class, "page.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "page.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "history.replace", NULL, replace_action);
  gtk_widget_class_install_action (widget_class, "history.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "history.clear", NULL, clear_action);
}

static void
perch_history_page_init (PerchHistoryPage *self)
{
  self->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  self->ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->joined = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->messages = g_list_store_new (PERCH_TYPE_MESSAGE_ITEM);
  self->at_bottom = TRUE;
  self->page_size = PAGE_SIZE;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->filter = gtk_custom_filter_new (filter_message, self, NULL);
  GtkFilterListModel *filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->messages)),
                                                            GTK_FILTER (g_object_ref (self->filter)));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (filtered));
  g_signal_connect_object (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self,
                           G_CONNECT_SWAPPED);
  gtk_list_view_set_model (self->message_view, GTK_SELECTION_MODEL (self->selection));

  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (on_scrolled), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "notify::upper", G_CALLBACK (on_upper_changed), self, G_CONNECT_SWAPPED);
  update_actions (self);
}
