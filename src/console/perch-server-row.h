/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-server-row.h: one server of the pool on the Pool page: its URI,
 * whether it is active, and its sessions, joined rooms, posts per second
 * and uptime. */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_SERVER_ROW (perch_server_row_get_type ())
G_DECLARE_FINAL_TYPE (PerchServerRow, perch_server_row, PERCH, SERVER_ROW, AdwActionRow)

GtkWidget  *perch_server_row_new (void);
/* SERVER is one element of GET /pool's "servers". */
void        perch_server_row_update (PerchServerRow *self, JsonObject *server);
const char *perch_server_row_get_uri (PerchServerRow *self);

/* "5 s", "3 min", "2 h 5 min", "4 days 2 h". */
char       *perch_format_duration (gint64 seconds);

G_END_DECLS
