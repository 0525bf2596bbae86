/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-start-page.h: the page shown before connecting: a form for a
 * server (room management URL, SIP address, user, password), the recent
 * connections, and the demo. It connects a PerchConnection itself (asking
 * about untrusted certificates, keeping recents and the password) and
 * emits "connected" with it.
 *
 * Actions: start.connect, start.demo, start.use-recent (u: index),
 * start.forget-recent (u: index). */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_START_PAGE (perch_start_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchStartPage, perch_start_page, PERCH, START_PAGE, AdwBin)

/* Signals:
 *   "connected" (PerchConnection *connection) */

G_END_DECLS
