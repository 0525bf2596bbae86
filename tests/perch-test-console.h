/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-console.h: what the perch-console test programs share.
 *
 * Each test-console-*.c program drives perch-console against its own
 * embedded demo server, under a virtual display: a window connected in demo
 * mode (the fixture), ways to find its widgets by GtkBuilder id and to wait
 * until they show something, screenshots into $PERCH_SCREENSHOT_DIR (the
 * build directory) as console-<name>.png, and the test's own HTTP requests
 * to the same server, to check what the server holds.
 *
 * Nothing sleeps: every wait spins the main context until a condition holds
 * or PERCH_TEST_CONSOLE_TIMEOUT_MS passes. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "perch-connection.h"
#include "perch-console-application.h"
#include "perch-console-window.h"
#include "perch-test-http.h"
#include "perch-test-util.h"

G_BEGIN_DECLS

#define PERCH_TEST_CONSOLE_TIMEOUT_MS 30000

/* The application every window of the program belongs to. */
extern PerchConsoleApplication *perch_test_console_app;

typedef struct {
  PerchConsoleWindow *window;
  PerchConnection    *connection;   /* weak: NULL once closed and gone */
  char               *demo_dir;     /* the demo server's temporary directory */
  SoupSession        *http;
  char               *token;        /* the test's own bearer token */
} PerchConsoleFixture;

/* g_test_init, then GTK with animations off and the application
 * registered. FALSE when there is no display: the program has then
 * registered one skipped case, and should just return g_test_run (). */
gboolean perch_test_console_init (int *argc, char ***argv);
/* g_test_run, then the application released. */
int      perch_test_console_run (void);

/* A window connected to a fresh demo server as its administrator, and an
 * HTTP session with a token of the test's own. DATA, when not NULL, also
 * saves a screenshot of the start page first. */
void perch_test_console_set_up (PerchConsoleFixture *f, gconstpointer data);
/* Closes the window; asserts that the connection, the demo server's data
 * and the window itself are all gone. */
void perch_test_console_tear_down (PerchConsoleFixture *f, gconstpointer data);
/* Adds a case with the fixture, named /perch/console/NAME. */
#define perch_test_console_add(name, data, func) \
  g_test_add ("/perch/console/" name, PerchConsoleFixture, data, perch_test_console_set_up, func, \
              perch_test_console_tear_down)

/* ---- waiting ---- */
gboolean perch_test_pointer_cleared (gpointer pointer_to_pointer);
gboolean perch_test_path_gone (gpointer path);
gboolean perch_test_is_connected (gpointer window);
gboolean perch_test_only_our_reference (gpointer object);
gboolean perch_test_widget_visible (gpointer widget);
gboolean perch_test_widget_hidden (gpointer widget);
/* Waits until WIDGET has been laid out and drawn twice. */
void     perch_test_wait_drawn (GtkWidget *widget);

/* ---- widgets ---- */
/* The widget under ROOT whose GtkBuilder id is ID (template children keep
 * theirs), depth first; NULL when there is none. */
GtkWidget *perch_test_find_by_id (GtkWidget *root, const char *id);
/* The same, a g_error when there is none. */
GtkWidget *perch_test_get_by_id (GtkWidget *root, const char *id);
/* Every visible label text under ROOT, each on a line of its own, with a
 * newline first: "\nOne\nTwo\n". */
char      *perch_test_labels_of (GtkWidget *root);
/* Waits until ROOT shows every one of TEXTS as a whole label; g_error with
 * what it does show otherwise. */
void       perch_test_assert_shows (GtkWidget *root, const char *const *texts);
/* The first toplevel window of TYPE, or NULL. */
GtkWindow *perch_test_find_toplevel (GType type);
/* Waits for an AdwMessageDialog and returns it. */
AdwMessageDialog *perch_test_wait_dialog (void);
/* Closes WINDOW and asserts it is finalized. */
void       perch_test_close_window (PerchConsoleWindow *window);

/* Saves WIDGET, once drawn, as console-NAME.png in $PERCH_SCREENSHOT_DIR. */
void perch_test_save_screenshot (GtkWidget *widget, const char *name);

/* ---- the test's own HTTP to the window's server ---- */
/* METHOD /api/v1PATH with BODY (JSON, or NULL) and the test's token; the
 * status in *STATUS_OUT when not NULL, the parsed JSON answer (NULL when
 * empty). */
JsonNode *perch_test_console_http (PerchConsoleFixture *f, const char *method, const char *path,
                                   const char *body, guint *status_out);
/* GET PATH, asserted to be 200 with an object. */
JsonNode *perch_test_console_get (PerchConsoleFixture *f, const char *path);

/* ---- another client of the window's server ---- */
/* A PerchClient signed in over SIP to the window's server as USER
 * (asserted); perch_test_disconnect ends it. */
PerchClient *perch_test_console_connect (PerchConsoleFixture *f, const char *user, const char *password);

G_END_DECLS
