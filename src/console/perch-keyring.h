/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-keyring.h: the console's passwords in the user's keyring (the
 * Secret Service, through libsecret), one per server URL and user. Where
 * there is no keyring (a CI machine, a session without D-Bus) the calls
 * fail with an error and the console goes on without keeping passwords. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void     perch_keyring_store_async   (const char *url, const char *user, const char *password,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean perch_keyring_store_finish  (GAsyncResult *result, GError **error);
/* Completes with the password, or NULL (and no error) when none is kept. */
void     perch_keyring_lookup_async  (const char *url, const char *user, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
char    *perch_keyring_lookup_finish (GAsyncResult *result, GError **error);

G_END_DECLS
