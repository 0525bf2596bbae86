/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-auth.c: who is asking — passwords, bearer tokens, HTTP Basic,
 * and slowing down guessers.
 *
 * Users sign in with the same password as over SIP. The store keeps only the
 * Digest verifier HA1 = MD5("user@domain:REALM:password"), so a password is
 * checked by computing HA1 and comparing in constant time. An unknown user
 * costs the same work and gets the same answer as a wrong password, so the
 * answers do not tell which users exist.
 *
 * Tokens are 256 random bits, valid for an hour, kept in memory only (a
 * restart signs everyone out). The table is keyed by the token's SHA-256,
 * so looking one up does not compare the secret itself byte by byte.
 *
 * Failures are counted per user name and per client address (IPv6 by /64,
 * what one host usually has): after a few, each further failure doubles a
 * wait during which attempts are answered 429 with Retry-After, without
 * checking the password. Both tables are bounded. */
#include "config.h"

#include <string.h>

#include "perch-sip-digest.h"
#include "perch-web-private.h"

#define MAX_TOKENS          10000
#define MAX_FAILURE_ENTRIES 10000
#define USER_FREE_FAILURES  3      /* failures before any wait, per user */
#define ADDR_FREE_FAILURES  10     /* per address: offices share one */
#define MAX_WAIT_S          900
#define FORGET_S            900    /* a record with no failure for this long goes */
#define DUMMY_HA1           "00000000000000000000000000000000"

typedef struct {
  char   *user;         /* sip: URI */
  gint64  expires_us;   /* wall clock */
} Token;

typedef struct {
  guint  count;
  gint64 last_us;       /* monotonic time of the last failure */
  gint64 until_us;      /* monotonic time before which attempts wait */
} Failures;

struct _PerchWebAuth {
  PerchChannel *channel;
  PerchStore   *store;
  gint64        lifetime_s;     /* of a token */
  GHashTable   *tokens;         /* sha256 hex -> Token* */
  GHashTable   *user_failures;  /* user key -> Failures* */
  GHashTable   *addr_failures;  /* address key -> Failures* */
};

static void
token_free (Token *token)
{
  g_free (token->user);
  g_free (token);
}

PerchWebAuth *
perch_web_auth_new (PerchChannel *channel, PerchStore *store)
{
  PerchWebAuth *auth = g_new0 (PerchWebAuth, 1);
  auth->channel = channel;
  auth->store = store;
  /* Tests shorten token lifetimes through the environment, to see expiry
   * without waiting an hour; nothing can lengthen them. */
  auth->lifetime_s = PERCH_WEB_TOKEN_LIFETIME_S;
  const char *lifetime = g_getenv ("PERCH_WEB_TOKEN_LIFETIME_S");
  guint64 shorter;
  if (lifetime != NULL && g_ascii_string_to_unsigned (lifetime, 10, 1, PERCH_WEB_TOKEN_LIFETIME_S, &shorter, NULL))
    auth->lifetime_s = (gint64) shorter;
  auth->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) token_free);
  auth->user_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  auth->addr_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return auth;
}

void
perch_web_auth_free (PerchWebAuth *auth)
{
  if (auth == NULL)
    return;
  g_hash_table_unref (auth->tokens);
  g_hash_table_unref (auth->user_failures);
  g_hash_table_unref (auth->addr_failures);
  g_free (auth);
}

/* ---- throttling ---------------------------------------------------------- */

static char *
address_key (SoupServerMessage *msg)
{
  GSocketAddress *addr = soup_server_message_get_remote_address (msg);
  if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS (addr))
    return g_strdup ("?");
  GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *b = g_inet_address_to_bytes (inet);
      /* An IPv4-mapped address is that IPv4 address; any other is its /64. */
      static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      if (memcmp (b, mapped, sizeof mapped) == 0)
        return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
      return g_strdup_printf ("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
                              b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    }
  return g_inet_address_to_string (inet);
}

/* Drops records nobody failed with for FORGET_S; when the table is still
 * full, the one whose last failure is oldest, so the table stays bounded
 * and the most recent guessers stay slowed. */
static void
make_room (GHashTable *table, gint64 now)
{
  if (g_hash_table_size (table) < MAX_FAILURE_ENTRIES)
    return;
  GHashTableIter iter;
  gpointer key, value;
  gpointer oldest = NULL;
  gint64 oldest_us = G_MAXINT64;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Failures *f = value;
      if (now - f->last_us > FORGET_S * G_USEC_PER_SEC && now >= f->until_us)
        g_hash_table_iter_remove (&iter);
      else if (f->last_us < oldest_us)
        {
          oldest_us = f->last_us;
          oldest = key;
        }
    }
  if (g_hash_table_size (table) >= MAX_FAILURE_ENTRIES && oldest != NULL)
    g_hash_table_remove (table, oldest);
}

static Failures *
failures_lookup (GHashTable *table, const char *key, gint64 now)
{
  Failures *f = g_hash_table_lookup (table, key);
  if (f != NULL && now - f->last_us > FORGET_S * G_USEC_PER_SEC && now >= f->until_us)
    {
      g_hash_table_remove (table, key);
      f = NULL;
    }
  return f;
}

/* Seconds KEY must still wait, 0 when it may try now. */
static gint64
wait_s (GHashTable *table, const char *key, gint64 now)
{
  Failures *f = failures_lookup (table, key, now);
  if (f == NULL || now >= f->until_us)
    return 0;
  return (f->until_us - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
}

static void
record_failure (GHashTable *table, const char *key, guint free_failures, gint64 now)
{
  Failures *f = failures_lookup (table, key, now);
  if (f == NULL)
    {
      make_room (table, now);
      f = g_new0 (Failures, 1);
      g_hash_table_insert (table, g_strdup (key), f);
    }
  f->count++;
  f->last_us = now;
  if (f->count > free_failures)
    {
      guint doublings = MIN (f->count - free_failures - 1, 20u);
      gint64 wait = MIN ((gint64) 1 << doublings, (gint64) MAX_WAIT_S);
      f->until_us = now + wait * G_USEC_PER_SEC;
    }
}

/* ---- passwords --------------------------------------------------------------- */

typedef enum {
  VERIFY_OK,
  VERIFY_WRONG,      /* unknown user or wrong password: one answer for both */
  VERIFY_WAIT,       /* throttled; *retry_after set */
} VerifyResult;

/* The user key: the normalized URI when it is one, else the text as given,
 * folded, so "Alice@X" and "alice@x" count as one. */
static char *
user_key (const char *user)
{
  char *uri = perch_normalize_user_uri (user);
  return uri ? uri : g_utf8_casefold (user, -1);
}

static VerifyResult
verify_password (PerchWebAuth *auth, SoupServerMessage *msg, const char *user, const char *password,
                 char **uri_out, gint64 *retry_after)
{
  gint64 now = g_get_monotonic_time ();
  g_autofree char *key = user_key (user);
  g_autofree char *addr = address_key (msg);
  *retry_after = MAX (wait_s (auth->user_failures, key, now), wait_s (auth->addr_failures, addr, now));
  if (*retry_after > 0)
    return VERIFY_WAIT;

  /* The same work whether or not the user exists: look up, hash, compare. */
  g_autofree char *uri = perch_normalize_user_uri (user);
  g_autoptr(PerchUser) record = uri ? perch_store_user_get (auth->store, uri) : NULL;
  const char *domain = perch_channel_get_config (auth->channel)->domain;
  const char *name = uri ? uri + 4 : user;
  g_autofree char *ha1 = perch_digest_ha1 (name, domain, password);
  gboolean known = record != NULL && record->ha1 != NULL && strlen (record->ha1) == strlen (DUMMY_HA1);
  gboolean match = perch_const_time_equal (ha1, known ? record->ha1 : DUMMY_HA1);
  if (known && match)
    {
      g_hash_table_remove (auth->user_failures, key);
      *uri_out = g_steal_pointer (&uri);
      return VERIFY_OK;
    }
  record_failure (auth->user_failures, key, USER_FREE_FAILURES, now);
  record_failure (auth->addr_failures, addr, ADDR_FREE_FAILURES, now);
  return VERIFY_WRONG;
}

/* ---- answers ------------------------------------------------------------------- */

static void
challenge (SoupServerMessage *msg, const char *message)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "WWW-Authenticate", "Bearer realm=\"perch\"");
  if (perch_web_message_is_tls (msg) || perch_web_message_is_loopback (msg))
    soup_message_headers_append (headers, "WWW-Authenticate", "Basic realm=\"perch\", charset=\"UTF-8\"");
  perch_web_message_error (msg, 401, message);
}

static void
too_many (SoupServerMessage *msg, gint64 retry_after)
{
  g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", seconds);
  g_autofree char *message = g_strdup_printf ("too many failed sign-ins; try again in %s s", seconds);
  perch_web_message_error (msg, 429, message);
}

/* ---- tokens ---------------------------------------------------------------------- */

static char *
token_key (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static void
tokens_make_room (PerchWebAuth *auth)
{
  if (g_hash_table_size (auth->tokens) < MAX_TOKENS)
    return;
  gint64 now = g_get_real_time ();
  GHashTableIter iter;
  gpointer key, value, soonest = NULL;
  gint64 soonest_us = G_MAXINT64;
  g_hash_table_iter_init (&iter, auth->tokens);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Token *t = value;
      if (t->expires_us <= now)
        g_hash_table_iter_remove (&iter);
      else if (t->expires_us < soonest_us)
        {
          soonest_us = t->expires_us;
          soonest = key;
        }
    }
  if (g_hash_table_size (auth->tokens) >= MAX_TOKENS && soonest != NULL)
    g_hash_table_remove (auth->tokens, soonest);
}

static gboolean
is_token_text (const char *s)
{
  if (strlen (s) != 64)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

void
perch_web_auth_login (PerchWebAuth *auth, PerchWebRequest *req)
{
  const char *user = perch_web_get_string (req->body, "user", "");
  const char *password = perch_web_get_string (req->body, "password", "");
  g_autofree char *uri = NULL;
  gint64 retry_after = 0;
  switch (verify_password (auth, req->msg, user, password, &uri, &retry_after))
    {
    case VERIFY_WAIT:
      too_many (req->msg, retry_after);
      return;
    case VERIFY_WRONG:
      perch_web_message_error (req->msg, 401, "wrong user or password");
      return;
    case VERIFY_OK:
      break;
    }
  if (perch_admin_principal (auth->channel, uri) == NULL)
    {
      perch_web_message_error (req->msg, 401, "wrong user or password");
      return;
    }
  tokens_make_room (auth);
  char *token = perch_random_hex (32);
  Token *t = g_new0 (Token, 1);
  t->user = g_strdup (uri);
  t->expires_us = g_get_real_time () + auth->lifetime_s * G_USEC_PER_SEC;
  g_hash_table_insert (auth->tokens, token_key (token), t);

  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "token", token);
  json_object_set_member (obj, "expires", perch_web_time_json (t->expires_us));
  json_object_set_string_member (obj, "user", uri);
  g_free (token);
  perch_web_reply (req, 200, json_node_init_object (json_node_alloc (), obj));
  json_object_unref (obj);
}

static const char *
bearer_of (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  header += 7;
  while (*header == ' ')
    header++;
  return header;
}

void
perch_web_auth_logout (PerchWebAuth *auth, PerchWebRequest *req)
{
  const char *token = bearer_of (req->msg);
  if (token != NULL)
    {
      g_autofree char *key = token_key (token);
      g_hash_table_remove (auth->tokens, key);
    }
  perch_web_reply (req, 204, NULL);
}

/* ---- every request ------------------------------------------------------------------ */

static const PerchPrincipal *
check_basic (PerchWebAuth *auth, SoupServerMessage *msg, const char *encoded)
{
  if (!perch_web_message_is_tls (msg) && !perch_web_message_is_loopback (msg))
    {
      challenge (msg, "HTTP Basic is accepted over HTTPS only");
      return NULL;
    }
  gsize len = 0;
  g_autofree guchar *decoded = g_base64_decode (encoded, &len);
  g_autofree char *text = decoded ? g_strndup ((const char *) decoded, len) : NULL;
  char *colon = text && strlen (text) == len ? strchr (text, ':') : NULL;
  if (colon == NULL || !g_utf8_validate (text, -1, NULL))
    {
      challenge (msg, "malformed Basic credentials");
      return NULL;
    }
  *colon = '\0';
  g_autofree char *uri = NULL;
  gint64 retry_after = 0;
  switch (verify_password (auth, msg, text, colon + 1, &uri, &retry_after))
    {
    case VERIFY_WAIT:
      too_many (msg, retry_after);
      return NULL;
    case VERIFY_WRONG:
      challenge (msg, "wrong user or password");
      return NULL;
    case VERIFY_OK:
      break;
    }
  const PerchPrincipal *who = perch_admin_principal (auth->channel, uri);
  if (who == NULL)
    challenge (msg, "wrong user or password");
  return who;
}

const PerchPrincipal *
perch_web_auth_check (PerchWebAuth *auth, SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  if (header == NULL)
    {
      challenge (msg, "sign in first: POST /api/v1/login, then send Authorization: Bearer TOKEN");
      return NULL;
    }
  if (g_ascii_strncasecmp (header, "Basic ", 6) == 0)
    return check_basic (auth, msg, header + 6);
  const char *token = bearer_of (msg);
  if (token == NULL || !is_token_text (token))
    {
      challenge (msg, "the Authorization header holds no valid credentials");
      return NULL;
    }
  g_autofree char *key = token_key (token);
  Token *t = g_hash_table_lookup (auth->tokens, key);
  if (t == NULL)
    {
      challenge (msg, "the token is not valid (unknown, signed out, or from before a restart)");
      return NULL;
    }
  if (t->expires_us <= g_get_real_time ())
    {
      g_hash_table_remove (auth->tokens, key);
      challenge (msg, "the token has expired; sign in again");
      return NULL;
    }
  /* Looked up on every request: a deleted user's tokens stop working, and
   * a change of the admin flag or of groups applies at once. */
  const PerchPrincipal *who = perch_admin_principal (auth->channel, t->user);
  if (who == NULL)
    {
      g_hash_table_remove (auth->tokens, key);
      challenge (msg, "the token's user no longer exists");
    }
  return who;
}
