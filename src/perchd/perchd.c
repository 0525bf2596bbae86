/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchd.c: the server program (being written: see src/server/). */
#include "config.h"
#include <glib.h>

int
main (int argc, char **argv)
{
  g_printerr ("perchd: not built yet\n");
  return 1;
}
