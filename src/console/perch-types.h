/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-types.h: forward declarations of the console's classes, so that
 * headers can name each other without including each other. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PerchApi                PerchApi;
typedef struct _PerchDemoServer         PerchDemoServer;
typedef struct _PerchConnection            PerchConnection;
typedef struct _PerchConsoleApplication PerchConsoleApplication;
typedef struct _PerchConsoleWindow      PerchConsoleWindow;
typedef struct _PerchStartPage          PerchStartPage;
typedef struct _PerchPoolPage           PerchPoolPage;
typedef struct _PerchServerRow          PerchServerRow;
typedef struct _PerchRoomsPage          PerchRoomsPage;
typedef struct _PerchRoomItem           PerchRoomItem;
typedef struct _PerchRoomList           PerchRoomList;
typedef struct _PerchRoomEditor         PerchRoomEditor;
typedef struct _PerchPeopleEditor       PerchPeopleEditor;
typedef struct _PerchPeoplePicker       PerchPeoplePicker;
typedef struct _PerchPrincipal          PerchPrincipal;
typedef struct _PerchCategoriesPage     PerchCategoriesPage;
typedef struct _PerchUsersPage          PerchUsersPage;
typedef struct _PerchHistoryPage        PerchHistoryPage;
typedef struct _PerchMessageItem        PerchMessageItem;
typedef struct _PerchCompliancePage     PerchCompliancePage;
typedef struct _PerchComplianceEvent    PerchComplianceEvent;

G_END_DECLS
