/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-keyring.c: libsecret with the console's schema. */
#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "perch-keyring.h"

static const SecretSchema *
password_schema (void)
{
  static const SecretSchema schema = {
    "org.perch.Console.Password", SECRET_SCHEMA_NONE,
    {
      { "url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
perch_keyring_store_async (const char *url, const char *user, const char *password,
                           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_keyring_store_async);
  /* Translators: the label of the password in the keyring: user and server. */
  g_autofree char *label = g_strdup_printf (_("Perch Console: %s on %s"), user, url);
  secret_password_store (password_schema (), SECRET_COLLECTION_DEFAULT, label, password, cancellable,
                         on_stored, task, "url", url, "user", user, NULL);
}

gboolean
perch_keyring_store_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Copied out of libsecret's non-pageable memory into ordinary memory:
   * it goes into a GtkEditable next anyway. */
  char *copy = g_strdup (password);
  secret_password_free (password);
  g_task_return_pointer (task, copy, g_free);
}

void
perch_keyring_lookup_async (const char *url, const char *user, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_keyring_lookup_async);
  secret_password_lookup (password_schema (), cancellable, on_looked_up, task, "url", url, "user", user, NULL);
}

char *
perch_keyring_lookup_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
