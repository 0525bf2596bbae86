/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-principal.c: two strings in a GObject, for list models. */
#include "config.h"

#include "perch-principal.h"

struct _PerchPrincipal {
  GObject  parent_instance;

  char    *uri;
  char    *display_name;
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
