/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-console-history.c: perch-console's History page against its own
 * embedded demo server, under a virtual display (tests/perch-test-console.h):
 * a room's history as the server holds it, filters, live posts from another
 * client over XCCOS, and replacing messages, checked through HTTP. */
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
  const char *sip = perch_connection_get_sip_address (f->connection);
  g_auto(GStrv) host_port = g_strsplit (sip, ":", 2);
  PerchClient *bob = perch_client_new (host_port[0], (guint16) atoi (host_port[1]), FALSE,
                                       "bob@example.test", "bob-demo");
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (bob, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, TIMEOUT_MS);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_client_connect_finish (bob, result, &error));
  g_assert_no_error (error);
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

int
main (int argc, char *argv[])
{
  if (!perch_test_console_init (&argc, &argv))
    return g_test_run ();

  perch_test_console_add ("history-page", NULL, test_history_page);

  return perch_test_console_run ();
}
