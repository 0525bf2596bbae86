/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-pool-page.h: the Pool page: the servers of the pool with their
 * figures (GET /api/v1/pool, refreshed every few seconds while the page is
 * shown), the pool state and active servers, and the pool-wide
 * configuration; the last two editable by administrators, with the
 * server's refusals shown under what was refused.
 *
 * Property "connection"; actions page.refresh. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_POOL_REFRESH_SECONDS 5

#define PERCH_TYPE_POOL_PAGE (perch_pool_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchPoolPage, perch_pool_page, PERCH, POOL_PAGE, AdwBin)

PerchConnection *perch_pool_page_get_connection (PerchPoolPage *self);
void          perch_pool_page_set_connection (PerchPoolPage *self, PerchConnection *connection);
/* How many servers the page lists. */
guint         perch_pool_page_get_n_servers (PerchPoolPage *self);

G_END_DECLS
