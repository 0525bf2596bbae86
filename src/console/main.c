/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c: perch-console, the administration console of Perch. Everything
 * is in the perch-console-lib library; this only starts it. */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "perch-console-application.h"

int
main (int argc, char *argv[])
{
  setlocale (LC_ALL, "");
  /* PERCH_LOCALEDIR: the catalogues of an uninstalled build, in its po/. */
  const char *localedir = g_getenv ("PERCH_LOCALEDIR");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_autoptr(PerchConsoleApplication) app = perch_console_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
