/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-digest.h: HTTP Digest (RFC 2617, MD5, qop=auth) as Lync clients
 * answer a 407 on REGISTER.
 *
 * Nonces are single-use and expire; the store of outstanding nonces is
 * bounded so a flood of unauthenticated REGISTERs cannot grow it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PERCH_NONCE_LIFETIME_S 60
#define PERCH_NONCE_MAX        100000

/* hex MD5("user:realm:password"): what the store keeps instead of a password. */
char *perch_digest_ha1 (const char *user, const char *realm, const char *password);
/* hex MD5 of any text */
char *perch_md5_hex (const char *text);

typedef struct {
  char *username;   /* unquoted */
  char *realm;
  char *nonce;
  char *uri;        /* as the header gives it; SIPE sends the literal "(null)" */
  char *qop;
  char *nc;
  char *cnonce;
  char *response;
  char *algorithm;
} PerchDigestCredentials;

void perch_digest_credentials_free (PerchDigestCredentials *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchDigestCredentials, perch_digest_credentials_free)

/* The expected response for CREDS and METHOD given HA1. */
char *perch_digest_response (const PerchDigestCredentials *creds, const char *method, const char *ha1);
/* Verifies in constant time. The nonce is checked separately. */
gboolean perch_digest_verify (const PerchDigestCredentials *creds, const char *method, const char *ha1);

typedef struct _PerchNonceStore PerchNonceStore;

PerchNonceStore *perch_nonce_store_new (void);
void             perch_nonce_store_free (PerchNonceStore *store);
/* A fresh nonce, remembered until used or expired. */
char            *perch_nonce_store_issue (PerchNonceStore *store);
/* TRUE when NONCE was issued, has not expired and was not used; it is used
 * up either way. */
gboolean         perch_nonce_store_consume (PerchNonceStore *store, const char *nonce);
guint            perch_nonce_store_size (PerchNonceStore *store);

G_END_DECLS
