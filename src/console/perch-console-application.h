/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-console-application.h: the console's AdwApplication
 * (org.perch.Console): app-wide actions (quit, about, shortcuts), the
 * command line (--demo) and the settings. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_CONSOLE_APP_ID "org.perch.Console"

#define PERCH_TYPE_CONSOLE_APPLICATION (perch_console_application_get_type ())
G_DECLARE_FINAL_TYPE (PerchConsoleApplication, perch_console_application, PERCH, CONSOLE_APPLICATION,
                      AdwApplication)

PerchConsoleApplication *perch_console_application_new (void);
GSettings               *perch_console_application_get_settings (PerchConsoleApplication *self);

/* The settings of the running console application. */
GSettings               *perch_console_get_settings (void);

G_END_DECLS
