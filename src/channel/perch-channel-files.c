/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-channel-files.c: file transfer tokens — issued by cmd:getfutok and
 * cmd:getfdtok (perch-commands.c), taken back by the HTTP service when the
 * transfer starts — display names, and file compliance events.
 *
 * Tokens live in memory only (a restart voids them, as it does bearer
 * tokens): 128 random bits, kept by their SHA-256 so that a lookup never
 * compares the secret itself byte by byte. The table is bounded, overall
 * and per user, and swept of expired tokens whenever one is issued. */
#include "config.h"

#include <string.h>

#include "perch-channel-private.h"

#define MAX_TOKENS          10000   /* outstanding, all users together */
#define MAX_TOKENS_PER_USER 64
#define MAX_NAME_BYTES      255

typedef struct {
  PerchFileGrant grant;
  gint64         expires_us;   /* monotonic */
} FileToken;

void
perch_file_grant_free (PerchFileGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->user);
  g_free (grant->room_id);
  g_free (grant->file);
  g_free (grant);
}

static void
file_token_free (FileToken *t)
{
  /* The grant is the first member: one free for both. */
  perch_file_grant_free (&t->grant);
}

/* Tests shorten the lifetime through the environment, to see expiry
 * without waiting five minutes; nothing can lengthen it. */
static gint64
token_lifetime_us (void)
{
  static gint64 lifetime;
  if (g_once_init_enter (&lifetime))
    {
      guint64 seconds = PERCH_FILE_TOKEN_LIFETIME_S;
      const char *text = g_getenv ("PERCH_FILE_TOKEN_LIFETIME_S");
      guint64 shorter;
      if (text != NULL && g_ascii_string_to_unsigned (text, 10, 1, PERCH_FILE_TOKEN_LIFETIME_S, &shorter, NULL))
        seconds = shorter;
      g_once_init_leave (&lifetime, (gint64) seconds * G_USEC_PER_SEC);
    }
  return lifetime;
}

static char *
token_key (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static gboolean
is_hex (const char *s, gsize len)
{
  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

gboolean
perch_file_id_valid (const char *id)
{
  return is_hex (id, 32);
}

void
perch_channel_set_files_url (PerchChannel *channel, const char *base_url)
{
  g_free (channel->files_url);
  channel->files_url = g_strdup (base_url);
}

void
_perch_channel_files_free (PerchChannel *channel)
{
  g_clear_pointer (&channel->file_tokens, g_hash_table_unref);
  g_clear_pointer (&channel->files_url, g_free);
}

gint64
perch_channel_max_file_size (PerchChannel *channel)
{
  g_autofree char *kb = perch_channel_config_value (channel, "max_file_size_kb");
  return (gint64) g_ascii_strtoull (kb ? kb : "0", NULL, 10) * 1024;
}

char *
_perch_channel_file_token_new (PerchChannel *channel, PerchFileDirection direction, const char *user,
                               const char *room_id, const char *file, GError **error)
{
  if (channel->file_tokens == NULL)
    channel->file_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) file_token_free);
  gint64 now = g_get_monotonic_time ();
  guint mine = 0;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->file_tokens);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      FileToken *t = value;
      if (t->expires_us <= now)
        g_hash_table_iter_remove (&iter);
      else if (strcmp (t->grant.user, user) == 0)
        mine++;
    }
  if (mine >= MAX_TOKENS_PER_USER || g_hash_table_size (channel->file_tokens) >= MAX_TOKENS)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BUSY,
                           "too many file transfers waiting to start; use or let expire the tokens you have");
      return NULL;
    }
  char *token = perch_random_hex (16);
  FileToken *t = g_new0 (FileToken, 1);
  t->grant.direction = direction;
  t->grant.user = g_strdup (user);
  t->grant.room_id = g_strdup (room_id);
  t->grant.file = g_strdup (file);
  t->expires_us = now + token_lifetime_us ();
  g_hash_table_insert (channel->file_tokens, token_key (token), t);
  return token;
}

gboolean
_perch_channel_file_allowed (PerchChannel *channel, const PerchPrincipal *who, PerchRoom *room,
                             PerchFileDirection direction, GError **error)
{
  if (!perch_policy_can_find (who, room->info, room->cat, error))
    return FALSE;
  if (direction == PERCH_FILE_DOWNLOAD)
    return perch_policy_can_join (who, room->info, room->cat, error);
  if (!perch_policy_can_post (who, room->info, room->cat, error))
    return FALSE;
  if (room->cat == NULL || !room->cat->file_upload)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED,
                           "file upload is off in this room's category");
      return FALSE;
    }
  return TRUE;
}

PerchFileGrant *
perch_channel_file_token_take (PerchChannel *channel, const char *token, PerchFileDirection direction,
                               const PerchPrincipal *who, GError **error)
{
  FileToken *t = NULL;
  g_autofree char *key = NULL;
  if (is_hex (token, 32) && channel->file_tokens != NULL)
    {
      key = token_key (token);
      t = g_hash_table_lookup (channel->file_tokens, key);
    }
  if (t != NULL && t->expires_us <= g_get_monotonic_time ())
    {
      g_hash_table_remove (channel->file_tokens, key);
      t = NULL;
    }
  if (t == NULL || t->grant.direction != direction)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND,
                           "no such transfer (the token is unknown, used, expired or for the other direction)");
      return NULL;
    }
  /* Another user's token stays: whoever holds it cannot spend it. */
  if (who == NULL || g_strcmp0 (t->grant.user, who->uri) != 0)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "this token was issued to another user");
      return NULL;
    }
  gpointer stolen_key = NULL, stolen = NULL;
  g_hash_table_steal_extended (channel->file_tokens, key, &stolen_key, &stolen);
  g_free (stolen_key);
  g_autoptr(PerchFileGrant) grant = &((FileToken *) stolen)->grant;
  /* The rules as they are now, not as they were when it was issued. */
  PerchRoom *room = g_hash_table_lookup (channel->rooms, grant->room_id);
  if (room == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such room");
      return NULL;
    }
  if (!_perch_channel_file_allowed (channel, who, room, direction, error))
    return NULL;
  return g_steal_pointer (&grant);
}

static gboolean
name_char_ok (gunichar c)
{
  /* Controls, line separators and bidirectional overrides: the last can
   * make "gpj.exe" read as "exe.jpg". */
  return !(c < 0x20 || (c >= 0x7f && c < 0xa0) || c == 0x2028 || c == 0x2029 ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f ||
           c == 0xfeff);
}

char *
perch_file_name_sanitize (const char *name)
{
  const char *base = name ? name : "";
  for (const char *p = base; *p; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  g_autofree char *valid = g_utf8_make_valid (base, -1);
  GString *out = g_string_new (NULL);
  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      gsize n = (gsize) (g_utf8_next_char (p) - p);
      if (!name_char_ok (g_utf8_get_char (p)))
        continue;
      if (out->len + n > MAX_NAME_BYTES)
        break;
      g_string_append_len (out, p, (gssize) n);
    }
  g_strstrip (out->str);
  if (out->str[0] == '\0' || strcmp (out->str, ".") == 0 || strcmp (out->str, "..") == 0)
    {
      g_string_free (out, TRUE);
      return g_strdup ("file");
    }
  return g_string_free (out, FALSE);
}

/* ---- compliance events ------------------------------------------------------- */

typedef struct {
  PerchChannelEventDone done;
  gpointer              user_data;
} EventDone;

static void
file_event_committed (PerchWrite *write, const GError *error, gpointer user_data)
{
  EventDone *d = user_data;
  if (error != NULL)
    g_warning ("compliance event %s for %s in %s not recorded: %s",
               perch_event_type_to_string (write->type), write->user, write->room_id, error->message);
  if (d->done != NULL)
    d->done (error, d->user_data);
  g_free (d);
}

void
perch_channel_record_file_event (PerchChannel *channel, PerchEventType type, const char *room_id,
                                 const char *user, const char *file_id,
                                 PerchChannelEventDone done, gpointer user_data)
{
  /* The same backlog bound as posts: past it, the transfer waits. */
  if (perch_committer_pending (channel->committer) >= channel->config.max_pending_writes)
    {
      g_autoptr(GError) error = g_error_new_literal (PERCH_ERROR, PERCH_ERROR_BUSY, "the server is busy; try again");
      if (done != NULL)
        done (error, user_data);
      return;
    }
  PerchWrite *write = g_new0 (PerchWrite, 1);
  write->type = type;
  write->room_id = g_strdup (room_id);
  write->user = g_strdup (user);
  write->content = g_strdup (file_id);
  write->ts_us = perch_now_us ();
  EventDone *d = g_new0 (EventDone, 1);
  d->done = done;
  d->user_data = user_data;
  perch_committer_submit (channel->committer, write, file_event_committed, d);
}
