/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-console-history.c: perch-console's History page against its own
 * embedded demo server, under a virtual display (tests/perch-test-console.h):
 * a room's history as the server holds it, filters, live posts from another
 * client over XCCOS, older pages fetched as the list is scrolled to its top,
 * and replacing, removing and clearing messages through the page's
 * confirmations, checked through HTTP; rows of replaced and removed messages
 * carry a visible tag with an accessible description. */
#include "config.h"

#include <string.h>

#include "perch-history-page.h"
#include "perch-message-item.h"
#include "perch-test-console.h"

#define TIMEOUT_MS PERCH_TEST_CONSOLE_TIMEOUT_MS

typedef struct {
  PerchHistoryPage *page;
  const char       *content;   /* a message that must be loaded; NULL: any */
  guint             count;     /* at least this many messages */
} MessagesWanted;

static PerchMessageItem *
find_message (PerchHistoryPage *page, const char *content)
{
  GListModel *messages = perch_history_page_get_messages (page);
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(PerchMessageItem) message = g_list_model_get_item (messages, i);
      if (g_strcmp0 (perch_message_item_get_content (message), content) == 0)
        return message;
    }
  return NULL;
}

static gboolean
messages_loaded (gpointer data)
{
  MessagesWanted *wanted = data;
  return !perch_history_page_get_loading (wanted->page) &&
         g_list_model_get_n_items (perch_history_page_get_messages (wanted->page)) >= wanted->count &&
         (wanted->content == NULL || find_message (wanted->page, wanted->content) != NULL);
}

static gboolean
history_live (gpointer data)
{
  return perch_history_page_get_live (data);
}

static gboolean
history_idle (gpointer data)
{
  return !perch_history_page_get_loading (data);
}

/* The History page, its rooms listed (again: rooms made over HTTP since
 * the window connected are listed after a refresh). */
static PerchHistoryPage *
show_history (PerchConsoleFixture *f)
{
  perch_console_window_show_page (f->window, "history");
  PerchHistoryPage *page = PERCH_HISTORY_PAGE (perch_console_window_get_page (f->window, "history"));
  g_assert_true (perch_test_wait (history_idle, page, TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "page.refresh", NULL));
  g_assert_true (perch_test_wait (history_idle, page, TIMEOUT_MS));
  return page;
}

/* The room named NAME as GET /rooms/NAME answers it. */
static JsonObject *
get_room (PerchConsoleFixture *f, const char *name)
{
  g_autofree char *escaped = g_uri_escape_string (name, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/rooms/", escaped, NULL);
  g_autoptr(JsonNode) node = perch_test_console_get (f, path);
  return json_object_ref (json_node_get_object (node));
}

/* The room's messages as the server holds them, oldest first (administrators
 * also see removed ones). */
static JsonArray *
server_messages (PerchConsoleFixture *f, const char *room_id)
{
  g_autofree char *path = g_strdup_printf ("/rooms/%s/messages?limit=500", room_id);
  g_autoptr(JsonNode) node = perch_test_console_get (f, path);
  return json_array_ref (json_object_get_array_member (json_node_get_object (node), "items"));
}

static JsonObject *
server_message (JsonArray *messages, gint64 id)
{
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      if (json_object_get_int_member (message, "id") == id)
        return message;
    }
  return NULL;
}

/* Selects, among the messages shown, those whose text starts with one of
 * PREFIXES; returns their ids. */
static GArray *
select_messages (PerchHistoryPage *page, const char *const *prefixes)
{
  GtkSelectionModel *shown = perch_history_page_get_selection (page);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gtk_selection_model_unselect_all (shown);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (shown)); i++)
    {
      g_autoptr(PerchMessageItem) item = g_list_model_get_item (G_LIST_MODEL (shown), i);
      for (guint j = 0; prefixes[j]; j++)
        if (g_str_has_prefix (perch_message_item_get_content (item), prefixes[j]))
          {
            gint64 id = perch_message_item_get_id (item);
            g_array_append_val (ids, id);
            gtk_selection_model_select_item (shown, i, FALSE);
          }
    }
  return ids;
}

/* The first visible label under ROOT that reads TEXT. */
static GtkWidget *
find_label (GtkWidget *root, const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (root)), text) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A row of the list shows TAG ("Replaced", "Removed"), which tells screen
 * readers what it means. */
static void
assert_tagged (GtkWidget *view, const char *tag, const char *description_start)
{
  perch_test_assert_shows (view, (const char *const[]) { tag, NULL });
  GtkWidget *label = find_label (view, tag);
  g_assert_nonnull (label);
  g_assert_true (g_str_has_prefix (gtk_widget_get_tooltip_text (label), description_start));
  g_autofree char *problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (label),
                                                                 GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                                 gtk_widget_get_tooltip_text (label));
  g_assert_null (problem);
  /* The row's text under the heading: a removed message has none, and its
   * row keeps no empty line for it. */
  GtkWidget *text = gtk_widget_get_last_child (gtk_widget_get_parent (gtk_widget_get_parent (label)));
  g_assert_true (GTK_IS_LABEL (text));
  g_assert_cmpint (gtk_widget_get_visible (text), ==, strcmp (tag, "Removed") != 0);
}

typedef struct {
  PerchHistoryPage *page;
  GArray           *ids;
  const char       *state;
} StateWanted;

/* Every message of IDS is loaded and in STATE. */
static gboolean
messages_in_state (gpointer data)
{
  StateWanted *wanted = data;
  if (perch_history_page_get_loading (wanted->page))
    return FALSE;
  GListModel *messages = perch_history_page_get_messages (wanted->page);
  guint found = 0;
  for (guint i = 0; i < g_list_model_get_n_items (messages); i++)
    {
      g_autoptr(PerchMessageItem) item = g_list_model_get_item (messages, i);
      for (guint j = 0; j < wanted->ids->len; j++)
        if (perch_message_item_get_id (item) == g_array_index (wanted->ids, gint64, j))
          {
            if (g_strcmp0 (perch_message_item_get_state (item), wanted->state) != 0)
              return FALSE;
            found++;
          }
    }
  return found == wanted->ids->len;
}

/* General's demo history, oldest first; a post by bob over XCCOS appears
 * live; the selected message replaced through the dialog shows the
 * replacement, and the server holds it. */
static void
test_history_page (PerchConsoleFixture *f, gconstpointer data)
{
  perch_console_window_show_page (f->window, "history");
  PerchHistoryPage *page = PERCH_HISTORY_PAGE (perch_console_window_get_page (f->window, "history"));
  MessagesWanted any = { page, NULL, 0 };
  g_assert_true (perch_test_wait (messages_loaded, &any, TIMEOUT_MS));
  g_assert_true (perch_history_page_select_room (page, "General"));
  MessagesWanted eight = { page, "Count me in.", 8 };
  g_assert_true (perch_test_wait (messages_loaded, &eight, TIMEOUT_MS));
  GListModel *messages = perch_history_page_get_messages (page);
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, 8);
  g_autoptr(PerchMessageItem) first = g_list_model_get_item (messages, 0);
  g_assert_true (g_str_has_prefix (perch_message_item_get_content (first), "Good morning!"));
  g_assert_cmpstr (perch_message_item_get_author (first), ==, "alice@example.test");
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "message_view");
  perch_test_assert_shows (view, (const char *const[]) { "Count me in.", "carol@example.test", NULL });

  /* Filters: bob's messages only, then a search. */
  GtkSelectionModel *shown = perch_history_page_get_selection (page);
  GtkDropDown *authors = GTK_DROP_DOWN (perch_test_get_by_id (GTK_WIDGET (page), "author_dropdown"));
  GListModel *names = gtk_drop_down_get_model (authors);
  for (guint i = 0; i < g_list_model_get_n_items (names); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (names), i), "bob@example.test") == 0)
      gtk_drop_down_set_selected (authors, i);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (shown)), ==, 2);
  gtk_drop_down_set_selected (authors, 0);
  GtkWidget *search = perch_test_get_by_id (GTK_WIDGET (page), "message_search");
  gtk_editable_set_text (GTK_EDITABLE (search), "lunch");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (shown)), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (shown)), ==, 8);

  /* A post from another client arrives live. */
  g_assert_true (perch_test_wait (history_live, page, TIMEOUT_MS));
  g_autoptr(JsonNode) rooms = perch_test_console_get (f, "/rooms?text=General");
  JsonObject *general = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (rooms), "items"), 0);
  const char *room_id = json_object_get_string_member (general, "id");
  const char *room_uri = json_object_get_string_member (general, "uri");
  PerchClient *bob = perch_test_console_connect (f, "bob@example.test", "bob-demo");
  g_autoptr(GError) error = NULL;
  perch_test_join (bob, room_uri);
  g_assert_true (perch_test_post (bob, room_uri, "Live from bob", &error));
  g_assert_no_error (error);
  MessagesWanted live = { page, "Live from bob", 9 };
  g_assert_true (perch_test_wait (messages_loaded, &live, TIMEOUT_MS));
  g_autoptr(PerchMessageItem) last = g_list_model_get_item (messages, g_list_model_get_n_items (messages) - 1);
  g_assert_cmpstr (perch_message_item_get_content (last), ==, "Live from bob");
  g_assert_cmpstr (perch_message_item_get_author (last), ==, "bob@example.test");
  perch_test_disconnect (bob);

  /* Replace "Count me in." through the selection and the dialog. */
  PerchMessageItem *target = find_message (page, "Count me in.");
  gint64 target_id = perch_message_item_get_id (target);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (shown)); i++)
    {
      g_autoptr(PerchMessageItem) item = g_list_model_get_item (G_LIST_MODEL (shown), i);
      if (item == target)
        gtk_selection_model_select_item (shown, i, TRUE);
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.replace", NULL));
  AdwMessageDialog *dialog = perch_test_wait_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Replace 1 Message?");
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)), "[redacted by admin]");
  perch_test_save_screenshot (GTK_WIDGET (dialog), "history-replace");
  adw_message_dialog_response (dialog, "replace");
  gtk_window_destroy (GTK_WINDOW (dialog));
  MessagesWanted replaced = { page, "[redacted by admin]", 9 };
  g_assert_true (perch_test_wait (messages_loaded, &replaced, TIMEOUT_MS));
  perch_test_assert_shows (view, (const char *const[]) { "[redacted by admin]", "Live from bob", NULL });
  /* Its row says so, to the eye and to screen readers. */
  g_assert_cmpstr (perch_message_item_get_state (target), ==, "replaced");
  g_assert_true (perch_message_item_get_marked (target));
  assert_tagged (view, "Replaced", "An administrator replaced this message");

  g_autofree char *path = g_strdup_printf ("/rooms/%s/messages?limit=50", room_id);
  g_autoptr(JsonNode) history = perch_test_console_get (f, path);
  JsonArray *items = json_object_get_array_member (json_node_get_object (history), "items");
  gboolean found = FALSE;
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *message = json_array_get_object_element (items, i);
      if (json_object_get_int_member (message, "id") == target_id)
        {
          g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "[redacted by admin]");
          g_assert_cmpstr (json_object_get_string_member (message, "state"), ==, "replaced");
          found = TRUE;
        }
    }
  g_assert_true (found);
  perch_test_save_screenshot (GTK_WIDGET (f->window), "history");
}

typedef struct {
  PerchHistoryPage *page;
  guint             more_than;
} GrownWanted;

/* A page arrived (more than MORE_THAN loaded) or the server has no more. */
static gboolean
grown_or_done (gpointer data)
{
  GrownWanted *wanted = data;
  return !perch_history_page_get_loading (wanted->page) &&
         (!perch_history_page_get_has_more (wanted->page) ||
          g_list_model_get_n_items (perch_history_page_get_messages (wanted->page)) > wanted->more_than);
}

#define OLDER_POSTS 40
#define OLDER_PAGE  5

/* A room of 40 posts read five at a time: the page first loads only what
 * fills the list; each scroll to the top fetches older pages, put before
 * the rest in order with none twice; once the server says there is no
 * more, scrolling to the top asks for nothing. */
static void
test_older_pages (PerchConsoleFixture *f, gconstpointer data)
{
  guint status = 0;
  g_autoptr(JsonNode) created = perch_test_console_http (
    f, "POST", "/rooms", "{\"name\":\"Archive\",\"category\":\"Engineering\",\"privacy\":\"open\"}", &status);
  g_assert_cmpuint (status, ==, 201);
  const char *room_uri = json_object_get_string_member (json_node_get_object (created), "uri");
  PerchClient *bob = perch_test_console_connect (f, "bob@example.test", "bob-demo");
  perch_test_join (bob, room_uri);
  for (guint i = 1; i <= OLDER_POSTS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("Message %02u", i);
      g_assert_true (perch_test_post (bob, room_uri, text, &error));
      g_assert_no_error (error);
    }
  perch_test_disconnect (bob);

  PerchHistoryPage *page = show_history (f);
  perch_history_page_set_page_size (page, OLDER_PAGE);
  g_assert_true (perch_history_page_select_room (page, "Archive"));
  MessagesWanted newest = { page, "Message 40", OLDER_PAGE };
  g_assert_true (perch_test_wait (messages_loaded, &newest, TIMEOUT_MS));
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "message_view");
  perch_test_wait_drawn (view);
  g_assert_true (perch_test_wait (history_idle, page, TIMEOUT_MS));
  GListModel *messages = perch_history_page_get_messages (page);
  guint initially = g_list_model_get_n_items (messages);
  g_test_message ("loaded before scrolling: %u", initially);
  g_assert_cmpuint (initially, <, OLDER_POSTS);
  g_assert_cmpuint (initially % OLDER_PAGE, ==, 0);
  g_assert_true (perch_history_page_get_has_more (page));

  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (
    GTK_SCROLLED_WINDOW (perch_test_get_by_id (GTK_WIDGET (page), "scrolled")));
  guint scrolls = 0;
  while (perch_history_page_get_has_more (page))
    {
      g_assert_cmpuint (++scrolls, <=, OLDER_POSTS / OLDER_PAGE + 1);
      GrownWanted grown = { page, g_list_model_get_n_items (messages) };
      /* To the top, as a user drags the scroll bar there. */
      gtk_adjustment_set_value (adjustment, 1);
      gtk_adjustment_set_value (adjustment, 0);
      g_assert_true (perch_test_wait (grown_or_done, &grown, TIMEOUT_MS));
      perch_test_wait_drawn (view);
    }
  g_assert_cmpuint (scrolls, >=, 1);

  /* All of them, oldest first, each once. */
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, OLDER_POSTS);
  gint64 last_id = 0;
  for (guint i = 0; i < OLDER_POSTS; i++)
    {
      g_autoptr(PerchMessageItem) item = g_list_model_get_item (messages, i);
      g_autofree char *text = g_strdup_printf ("Message %02u", i + 1);
      g_assert_cmpstr (perch_message_item_get_content (item), ==, text);
      g_assert_cmpint (perch_message_item_get_id (item), >, last_id);
      last_id = perch_message_item_get_id (item);
    }
  /* The top of the room: scrolling there again asks the server nothing. */
  gtk_adjustment_set_value (adjustment, 1);
  gtk_adjustment_set_value (adjustment, 0);
  g_assert_false (perch_history_page_get_loading (page));
  perch_test_assert_shows (view, (const char *const[]) { "Message 01", NULL });
  g_assert_cmpuint (g_list_model_get_n_items (messages), ==, OLDER_POSTS);
  perch_test_save_screenshot (GTK_WIDGET (f->window), "history-top");
}

/* A message replaced over HTTP is tagged "Replaced" as the page loads it.
 * Two messages selected and removed through the confirmation are tagged
 * "Removed" at once, the server holds them as removed (no text), and
 * after a refresh the page still shows both marks, as the server sends
 * them. Cancelling the confirmation changes nothing. */
static void
test_remove_messages (PerchConsoleFixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) general = get_room (f, "General");
  const char *room_id = json_object_get_string_member (general, "id");
  g_autoptr(JsonArray) before = server_messages (f, room_id);
  g_assert_cmpuint (json_array_get_length (before), ==, 8);
  gint64 replaced_id = json_object_get_int_member (json_array_get_object_element (before, 0), "id");
  g_autofree char *path = g_strdup_printf ("/rooms/%s/messages/remove", room_id);
  g_autofree char *body = g_strdup_printf ("{\"ids\":[%" G_GINT64_FORMAT "],\"action\":\"replace\"}", replaced_id);
  guint status = 0;
  g_autoptr(JsonNode) changed = perch_test_console_http (f, "POST", path, body, &status);
  g_assert_cmpuint (status, ==, 200);

  PerchHistoryPage *page = show_history (f);
  g_assert_true (perch_history_page_select_room (page, "General"));
  MessagesWanted eight = { page, "Count me in.", 8 };
  g_assert_true (perch_test_wait (messages_loaded, &eight, TIMEOUT_MS));
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "message_view");
  g_autoptr(GArray) replaced = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (replaced, replaced_id);
  StateWanted replaced_wanted = { page, replaced, "replaced" };
  g_assert_true (perch_test_wait (messages_in_state, &replaced_wanted, TIMEOUT_MS));
  assert_tagged (view, "Replaced", "An administrator replaced this message");
  g_assert_null (find_label (view, "Removed"));

  g_autoptr(GArray) ids = select_messages (page, (const char *const[]) { "Count me in.", "Lunch", NULL });
  g_assert_cmpuint (ids->len, ==, 2);

  /* Cancelled: nothing is sent. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.remove", NULL));
  AdwMessageDialog *dialog = perch_test_wait_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Remove 2 Messages?");
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_true (perch_test_wait (history_idle, page, TIMEOUT_MS));
  g_autoptr(JsonArray) kept = server_messages (f, room_id);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpstr (json_object_get_string_member (server_message (kept, g_array_index (ids, gint64, i)), "state"),
                     ==, "normal");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.remove", NULL));
  dialog = perch_test_wait_dialog ();
  perch_test_save_screenshot (GTK_WIDGET (dialog), "history-remove");
  adw_message_dialog_response (dialog, "remove");
  gtk_window_destroy (GTK_WINDOW (dialog));
  StateWanted removed_wanted = { page, ids, "removed" };
  g_assert_true (perch_test_wait (messages_in_state, &removed_wanted, TIMEOUT_MS));
  assert_tagged (view, "Removed", "An administrator removed this message");
  perch_test_assert_shows (view, (const char *const[]) { "Replaced", NULL });

  g_autoptr(JsonArray) after = server_messages (f, room_id);
  g_assert_cmpuint (json_array_get_length (after), ==, 8);
  for (guint i = 0; i < ids->len; i++)
    {
      JsonObject *message = server_message (after, g_array_index (ids, gint64, i));
      g_assert_nonnull (message);
      g_assert_cmpstr (json_object_get_string_member (message, "state"), ==, "removed");
      g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, "");
    }
  /* A reader (bob) no longer gets them. */
  PerchClient *bob = perch_test_console_connect (f, "bob@example.test", "bob-demo");
  g_autoptr(GPtrArray) texts = perch_test_history_texts (bob, json_object_get_string_member (general, "uri"));
  g_assert_cmpuint (texts->len, ==, 6);
  g_assert_cmpuint (perch_test_count_text (texts, "Count me in."), ==, 0);
  perch_test_disconnect (bob);

  /* Loaded again, both marks come from the server. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "page.refresh", NULL));
  g_assert_true (perch_test_wait (messages_in_state, &removed_wanted, TIMEOUT_MS));
  g_assert_true (perch_test_wait (messages_in_state, &replaced_wanted, TIMEOUT_MS));
  assert_tagged (view, "Removed", "An administrator removed this message");
  assert_tagged (view, "Replaced", "An administrator replaced this message");
  perch_test_save_screenshot (GTK_WIDGET (f->window), "history-marks");
}

typedef struct {
  PerchHistoryPage *page;
  guint             count;
  gint64            first_id;
} ClearedWanted;

static gboolean
cleared (gpointer data)
{
  ClearedWanted *wanted = data;
  GListModel *messages = perch_history_page_get_messages (wanted->page);
  if (perch_history_page_get_loading (wanted->page) || g_list_model_get_n_items (messages) != wanted->count)
    return FALSE;
  g_autoptr(PerchMessageItem) first = g_list_model_get_item (messages, 0);
  return perch_message_item_get_id (first) == wanted->first_id;
}

/* Clearing General up to the time of its fourth message, through the
 * confirmation: the server holds only the four after it, and so does the
 * page. */
static void
test_clear_room (PerchConsoleFixture *f, gconstpointer data)
{
  g_autoptr(JsonObject) general = get_room (f, "General");
  const char *room_id = json_object_get_string_member (general, "id");
  g_autoptr(JsonArray) before = server_messages (f, room_id);
  g_assert_cmpuint (json_array_get_length (before), ==, 8);
  const char *up_to = json_object_get_string_member (json_array_get_object_element (before, 3), "ts");
  g_autoptr(GDateTime) cut = g_date_time_new_from_iso8601 (up_to, NULL);
  g_assert_nonnull (cut);
  gint64 fifth = json_object_get_int_member (json_array_get_object_element (before, 4), "id");

  PerchHistoryPage *page = show_history (f);
  g_assert_true (perch_history_page_select_room (page, "General"));
  MessagesWanted eight = { page, "Count me in.", 8 };
  g_assert_true (perch_test_wait (messages_loaded, &eight, TIMEOUT_MS));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.clear", NULL));
  AdwMessageDialog *dialog = perch_test_wait_dialog ();
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Clear “General”?");
  GtkWidget *entry = adw_message_dialog_get_extra_child (dialog);
  /* It proposes today; a time goes as typed. */
  g_assert_cmpuint (strlen (gtk_editable_get_text (GTK_EDITABLE (entry))), ==, strlen ("2026-11-24"));
  gtk_editable_set_text (GTK_EDITABLE (entry), up_to);
  perch_test_save_screenshot (GTK_WIDGET (dialog), "history-clear");
  adw_message_dialog_response (dialog, "clear");
  gtk_window_destroy (GTK_WINDOW (dialog));

  ClearedWanted wanted = { page, 4, fifth };
  g_assert_true (perch_test_wait (cleared, &wanted, TIMEOUT_MS));
  g_autoptr(JsonArray) after = server_messages (f, room_id);
  g_assert_cmpuint (json_array_get_length (after), ==, 4);
  for (guint i = 0; i < json_array_get_length (after); i++)
    {
      JsonObject *message = json_array_get_object_element (after, i);
      g_autoptr(GDateTime) ts = g_date_time_new_from_iso8601 (json_object_get_string_member (message, "ts"), NULL);
      g_assert_cmpint (g_date_time_compare (ts, cut), >, 0);
    }
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (after, 0), "id"), ==, fifth);
  GtkWidget *view = perch_test_get_by_id (GTK_WIDGET (page), "message_view");
  perch_test_assert_shows (view, (const char *const[]) { "Count me in.", NULL });
  g_assert_null (find_message (page, "Good morning! The build farm is back after the weekend maintenance."));
}

int
main (int argc, char *argv[])
{
  /* GTK's test accessibility backend: no bus, and what a screen reader
   * would be told can be checked (gtk_test_accessible_check_property). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  if (!perch_test_console_init (&argc, &argv))
    return g_test_run ();

  perch_test_console_add ("history-page", NULL, test_history_page);
  perch_test_console_add ("history-older-pages", NULL, test_older_pages);
  perch_test_console_add ("history-remove", NULL, test_remove_messages);
  perch_test_console_add ("history-clear", NULL, test_clear_room);

  return perch_test_console_run ();
}
