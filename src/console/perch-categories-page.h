/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-categories-page.h: the categories of the pool (GET /categories), each
 * with its room count, and an editor for the selected one: file upload,
 * chat history, invitations, allowed and denied members, creators. Changes
 * are sent as they are made (PATCH /categories/{id}); creating and deleting
 * (with confirmation) too.
 *
 * Actions: page.refresh, categories.delete. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_CATEGORIES_PAGE (perch_categories_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchCategoriesPage, perch_categories_page, PERCH, CATEGORIES_PAGE, AdwBin)

PerchConnection *perch_categories_page_get_connection (PerchCategoriesPage *self);
void             perch_categories_page_set_connection (PerchCategoriesPage *self, PerchConnection *connection);
/* How many categories are listed; whether a load is under way. */
guint            perch_categories_page_get_n_categories (PerchCategoriesPage *self);
gboolean         perch_categories_page_get_loading (PerchCategoriesPage *self);
/* Selects the category named NAME; FALSE when it is not listed. */
gboolean         perch_categories_page_select (PerchCategoriesPage *self, const char *name);

G_END_DECLS
