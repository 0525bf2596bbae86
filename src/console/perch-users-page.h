/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-users-page.h: who may use persistent chat: the global policy
 * (PATCH /policy), every user with whether they are enabled (yes, no, or
 * the policy's default; PUT /users/{user}), and the groups with their
 * members. Administrators only: the server refuses the rest.
 *
 * Actions: page.refresh. */
#pragma once

#include <adwaita.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_USERS_PAGE (perch_users_page_get_type ())
G_DECLARE_FINAL_TYPE (PerchUsersPage, perch_users_page, PERCH, USERS_PAGE, AdwBin)

PerchConnection *perch_users_page_get_connection (PerchUsersPage *self);
void             perch_users_page_set_connection (PerchUsersPage *self, PerchConnection *connection);
gboolean         perch_users_page_get_loading (PerchUsersPage *self);
/* The row of the user with this address ("dave@example.test"), NULL when
 * not listed. Its "selected" is a PerchUserEnabled. */
AdwComboRow     *perch_users_page_get_user_row (PerchUsersPage *self, const char *address);

typedef enum {
  PERCH_USER_ENABLED_YES     = 0,
  PERCH_USER_ENABLED_NO      = 1,
  PERCH_USER_ENABLED_DEFAULT = 2,   /* follows the global policy */
} PerchUserEnabled;

G_END_DECLS
