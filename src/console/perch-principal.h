/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-principal.h: a principal that may be put on a room's or a
 * category's lists, as the people picker offers it: a user
 * ("sip:bob@example.test"), a group of users ("group:NAME") or every user
 * of a domain ("domain:example.test"). */
#pragma once

#include <glib-object.h>
#include "perch-types.h"

G_BEGIN_DECLS

typedef enum {
  PERCH_PRINCIPAL_USER,
  PERCH_PRINCIPAL_GROUP,
  PERCH_PRINCIPAL_DOMAIN,
} PerchPrincipalKind;

#define PERCH_TYPE_PRINCIPAL (perch_principal_get_type ())
G_DECLARE_FINAL_TYPE (PerchPrincipal, perch_principal, PERCH, PRINCIPAL, GObject)

PerchPrincipal *perch_principal_new (const char *uri, const char *display_name);
const char     *perch_principal_get_uri (PerchPrincipal *self);           /* "sip:bob@example.test", "group:NAME" */
const char     *perch_principal_get_display_name (PerchPrincipal *self);  /* "Bob", may be "" */
PerchPrincipalKind perch_principal_get_kind (PerchPrincipal *self);

/* Of a principal as lists write it: anything not "group:" or "domain:" is a user. */
PerchPrincipalKind perch_principal_kind_of (const char *uri);
/* The name without its kind: "bob@example.test", "testers", "example.test". */
const char        *perch_principal_bare_name (const char *uri);
/* "avatar-default-symbolic", "system-users-symbolic", "network-workgroup-symbolic". */
const char        *perch_principal_kind_icon (PerchPrincipalKind kind);
/* "User", "Group", "Domain", translated. */
const char        *perch_principal_kind_label (PerchPrincipalKind kind);

G_END_DECLS
