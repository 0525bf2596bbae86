/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-digest.c: Digest responses and the nonce store. */
#include "config.h"

#include <string.h>

#include "perch-common.h"
#include "perch-sip-digest.h"

char *
perch_md5_hex (const char *text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

char *
perch_digest_ha1 (const char *user, const char *realm, const char *password)
{
  g_autofree char *a1 = g_strdup_printf ("%s:%s:%s", user, realm, password);
  return perch_md5_hex (a1);
}

void
perch_digest_credentials_free (PerchDigestCredentials *creds)
{
  if (creds == NULL)
    return;
  g_free (creds->username);
  g_free (creds->realm);
  g_free (creds->nonce);
  g_free (creds->uri);
  g_free (creds->qop);
  g_free (creds->nc);
  g_free (creds->cnonce);
  g_free (creds->response);
  g_free (creds->algorithm);
  g_free (creds);
}

char *
perch_digest_response (const PerchDigestCredentials *creds, const char *method, const char *ha1)
{
  g_autofree char *a2 = g_strdup_printf ("%s:%s", method, creds->uri ? creds->uri : "");
  g_autofree char *ha2 = perch_md5_hex (a2);
  g_autofree char *kd = NULL;
  if (creds->qop != NULL)
    kd = g_strdup_printf ("%s:%s:%s:%s:%s:%s", ha1, creds->nonce ? creds->nonce : "",
                          creds->nc ? creds->nc : "", creds->cnonce ? creds->cnonce : "",
                          creds->qop, ha2);
  else
    kd = g_strdup_printf ("%s:%s:%s", ha1, creds->nonce ? creds->nonce : "", ha2);
  return perch_md5_hex (kd);
}

gboolean
perch_digest_verify (const PerchDigestCredentials *creds, const char *method, const char *ha1)
{
  /* We offer qop=auth only; anything else is refused, but only after the
   * same amount of work, so the answer's timing says nothing. */
  g_autofree char *expected = perch_digest_response (creds, method, ha1);
  gboolean qop_ok = creds->qop != NULL && g_ascii_strcasecmp (creds->qop, "auth") == 0 &&
                    creds->nc != NULL && creds->cnonce != NULL;
  gboolean alg_ok = creds->algorithm == NULL || g_ascii_strcasecmp (creds->algorithm, "MD5") == 0;
  gboolean match = perch_const_time_equal (expected, creds->response ? creds->response : "");
  return match && qop_ok && alg_ok;
}

struct _PerchNonceStore {
  GHashTable *nonces;   /* nonce -> expiry (monotonic µs) */
  GQueue      order;    /* nonces oldest first, for expiry and the bound */
};

PerchNonceStore *
perch_nonce_store_new (void)
{
  PerchNonceStore *store = g_new0 (PerchNonceStore, 1);
  store->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, NULL);
  g_queue_init (&store->order);
  return store;
}

void
perch_nonce_store_free (PerchNonceStore *store)
{
  if (store == NULL)
    return;
  g_hash_table_destroy (store->nonces);
  g_queue_clear_full (&store->order, g_free);
  g_free (store);
}

/* Drops expired and used nonces; with MAKE_ROOM, also the oldest live one
 * when the store is full (only issuing needs room). */
static void
expire (PerchNonceStore *store, gint64 now, gboolean make_room)
{
  /* The queue holds every nonce ever issued that has not been dropped;
   * a used nonce is gone from the table but still queued until its turn. */
  for (;;)
    {
      char *oldest = g_queue_peek_head (&store->order);
      if (oldest == NULL)
        break;
      gpointer expiry;
      gboolean live = g_hash_table_lookup_extended (store->nonces, oldest, NULL, &expiry);
      if (live && GPOINTER_TO_SIZE (expiry) > (gsize) now &&
          (!make_room || g_queue_get_length (&store->order) < PERCH_NONCE_MAX))
        break;
      if (live)
        g_hash_table_remove (store->nonces, oldest);
      g_free (g_queue_pop_head (&store->order));
    }
}

char *
perch_nonce_store_issue (PerchNonceStore *store)
{
  gint64 now = g_get_monotonic_time ();
  expire (store, now, TRUE);
  char *nonce = perch_random_hex (16);
  g_queue_push_tail (&store->order, nonce);
  g_hash_table_insert (store->nonces, nonce,
                       GSIZE_TO_POINTER ((gsize) (now + PERCH_NONCE_LIFETIME_S * G_USEC_PER_SEC)));
  return g_strdup (nonce);
}

gboolean
perch_nonce_store_consume (PerchNonceStore *store, const char *nonce)
{
  if (nonce == NULL)
    return FALSE;
  gint64 now = g_get_monotonic_time ();
  expire (store, now, FALSE);
  gpointer expiry;
  if (!g_hash_table_lookup_extended (store->nonces, nonce, NULL, &expiry))
    return FALSE;
  g_hash_table_remove (store->nonces, nonce);
  return GPOINTER_TO_SIZE (expiry) > (gsize) now;
}

guint
perch_nonce_store_size (PerchNonceStore *store)
{
  return g_hash_table_size (store->nonces);
}
