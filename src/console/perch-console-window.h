/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-console-window.h: the main window: the start page until connected,
 * then the pages of the console in an AdwViewStack.
 *
 * The pages are plain widgets in the stack (data/ui/perch-console-window.ui).
 * A page takes part by what it offers, nothing else:
 *   - a "connection" property (PerchConnection): set when the window connects,
 *     cleared (NULL) when it disconnects;
 *   - a "page.refresh" action: what win.refresh (Ctrl+R) does on it, and
 *     what the window does on every page when a lost connection is back;
 *   - a "page.search" action: what win.search (Ctrl+F) does on it.
 * While the connection is lost (PerchConnection "state-changed") the window
 * shows a bar with the countdown to the next attempt and a "Reconnect Now"
 * button (win.reconnect), and the pages are insensitive.
 * Adding a page is adding it to the .ui file. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_CONSOLE_WINDOW (perch_console_window_get_type ())
G_DECLARE_FINAL_TYPE (PerchConsoleWindow, perch_console_window, PERCH, CONSOLE_WINDOW, AdwApplicationWindow)

PerchConsoleWindow *perch_console_window_new (PerchConsoleApplication *app);
/* What win.connect-demo does: start the demo server and connect. */
void                perch_console_window_start_demo (PerchConsoleWindow *self);
/* The connection, NULL on the start page. */
PerchConnection       *perch_console_window_get_connection (PerchConsoleWindow *self);
/* Shows PAGE ("pool", "rooms", ...) of the console. */
void                perch_console_window_show_page (PerchConsoleWindow *self, const char *page);
/* The widget of page NAME, NULL when there is none. */
GtkWidget          *perch_console_window_get_page (PerchConsoleWindow *self, const char *name);

/* Shows MESSAGE as a toast in the nearest toast overlay above WIDGET. */
void                perch_toast (GtkWidget *widget, const char *message);
/* The same with an error's message after a short sentence of context
 * ("Could not load the rooms"). */
void                perch_toast_error (GtkWidget *widget, const char *context, const GError *error);

G_END_DECLS
