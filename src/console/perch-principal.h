/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-principal.h: a person the server says may be put on a room's lists
 * (GET .../eligible): an item of the people picker's results. */
#pragma once

#include <glib-object.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_PRINCIPAL (perch_principal_get_type ())
G_DECLARE_FINAL_TYPE (PerchPrincipal, perch_principal, PERCH, PRINCIPAL, GObject)

PerchPrincipal *perch_principal_new (const char *uri, const char *display_name);
const char     *perch_principal_get_uri (PerchPrincipal *self);           /* "sip:bob@example.test" */
const char     *perch_principal_get_display_name (PerchPrincipal *self);  /* "Bob", may be "" */

G_END_DECLS
