/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-principal.c: two strings in a GObject, for list models, and what a
 * principal's prefix says about its kind. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "perch-principal.h"

struct _PerchPrincipal {
  GObject  parent_instance;

  char    *uri;            /* as lists write it */
  char    *display_name;   /* users' only; "" otherwise */
};

G_DEFINE_FINAL_TYPE (PerchPrincipal, perch_principal, G_TYPE_OBJECT)

static void
perch_principal_finalize (GObject *object)
{
  PerchPrincipal *self = PERCH_PRINCIPAL (object);

  g_free (self->uri);
  g_free (self->display_name);

  G_OBJECT_CLASS (perch_principal_parent_class)->finalize (object);
}

static void
perch_principal_class_init (PerchPrincipalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_principal_finalize;
}

static void
perch_principal_init (PerchPrincipal *self)
{
}

PerchPrincipal *
perch_principal_new (const char *uri, const char *display_name)
{
  PerchPrincipal *self = g_object_new (PERCH_TYPE_PRINCIPAL, NULL);
  self->uri = g_strdup (uri ? uri : "");
  self->display_name = g_strdup (display_name ? display_name : "");
  return self;
}

const char *
perch_principal_get_uri (PerchPrincipal *self)
{
  return self->uri;
}

const char *
perch_principal_get_display_name (PerchPrincipal *self)
{
  return self->display_name;
}

PerchPrincipalKind
perch_principal_get_kind (PerchPrincipal *self)
{
  return perch_principal_kind_of (self->uri);
}

PerchPrincipalKind
perch_principal_kind_of (const char *uri)
{
  if (uri != NULL && g_str_has_prefix (uri, "group:"))
    return PERCH_PRINCIPAL_GROUP;
  if (uri != NULL && g_str_has_prefix (uri, "domain:"))
    return PERCH_PRINCIPAL_DOMAIN;
  return PERCH_PRINCIPAL_USER;
}

const char *
perch_principal_bare_name (const char *uri)
{
  if (uri == NULL)
    return "";
  const char *colon = strchr (uri, ':');
  return colon != NULL ? colon + 1 : uri;
}

const char *
perch_principal_kind_icon (PerchPrincipalKind kind)
{
  switch (kind)
    {
    case PERCH_PRINCIPAL_GROUP:
      return "system-users-symbolic";
    case PERCH_PRINCIPAL_DOMAIN:
      return "network-workgroup-symbolic";
    case PERCH_PRINCIPAL_USER:
    default:
      return "avatar-default-symbolic";
    }
}

const char *
perch_principal_kind_label (PerchPrincipalKind kind)
{
  switch (kind)
    {
    case PERCH_PRINCIPAL_GROUP:
      /* Translators: a kind of principal: a group of users */
      return C_("principal", "Group");
    case PERCH_PRINCIPAL_DOMAIN:
      /* Translators: a kind of principal: every user of a domain */
      return C_("principal", "Domain");
    case PERCH_PRINCIPAL_USER:
    default:
      /* Translators: a kind of principal: one person */
      return C_("principal", "User");
    }
}
