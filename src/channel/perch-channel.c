/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-channel.c: rooms in memory, sessions, rosters, the post path and
 * fan-out, and the recent-history cache. */
#include "config.h"

#include <string.h>

#include "perch-channel-private.h"
#include "perch-room-index.h"

/* ---- rooms and the directory ------------------------------------------ */

static void
room_free (PerchRoom *room)
{
  perch_room_info_free (room->info);
  g_free (room->uri);
  g_free (room->folded);
  g_free (room->chanib_head);
  g_ptr_array_unref (room->sessions);
  g_hash_table_unref (room->participants);
  g_queue_clear_full (&room->recent, (GDestroyNotify) perch_message_free);
  g_free (room);
}

char *
_perch_room_fold_text (const PerchRoomInfo *info)
{
  g_autofree char *joined = g_strconcat (info->name ? info->name : "", "\n",
                                         info->description ? info->description : "", NULL);
  return g_utf8_casefold (joined, -1);
}

PerchRoom *
_perch_channel_room_new (PerchChannel *channel, PerchRoomInfo *info)
{
  PerchRoom *room = g_new0 (PerchRoom, 1);
  room->info = info;
  room->cat = g_hash_table_lookup (channel->categories, &info->category_id);
  room->uri = perch_room_uri (channel->config.domain, info->id);
  room->folded = _perch_room_fold_text (info);
  room->sessions = g_ptr_array_new ();
  room->participants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&room->recent);
  return room;
}

void
_perch_channel_room_add (PerchChannel *channel, PerchRoom *room)
{
  g_hash_table_insert (channel->rooms, room->info->id, room);
  perch_room_index_add (channel->index, room);
}

void
_perch_channel_room_remove (PerchChannel *channel, const char *id)
{
  PerchRoom *room = g_hash_table_lookup (channel->rooms, id);
  if (room == NULL)
    return;
  perch_room_index_remove (channel->index, room);
  g_hash_table_remove (channel->rooms, id);
}

PerchRoom *
_perch_channel_room_by_uri (PerchChannel *channel, const char *uri)
{
  g_autofree char *domain = NULL;
  g_autofree char *id = NULL;
  if (!perch_parse_room_uri (uri, &domain, &id) || g_ascii_strcasecmp (domain, channel->config.domain) != 0)
    return NULL;
  return g_hash_table_lookup (channel->rooms, id);
}

/* Every configuration key: its default and what it may hold. One table
 * serves loading, `perchd --config` and the management API. */
typedef struct {
  const char *key;
  const char *fallback;
  gint64      min, max;        /* for numbers; min > max: not a number */
  const char *kind;            /* "number", "bool", "sip", "sip-list", "url", "path", "command", "choice:a|b" */
} ConfigKey;

static const ConfigKey config_table[] = {
  { "default_chat_history",     "30",    1, 500,           "number" },
  { "participant_update_limit", "75",    1, 100000,        "number" },
  { "max_file_size_kb",         "20000", 1, 4194304,       "number" },
  { "message_size_limit",       "4096",  16, 1048576,      "number" },
  { "search_limit",             "999",   1, 100000,        "number" },
  { "commands_per_second",      "100",   1, 10000000,      "number" },
  { "max_pending_writes",       "20000", 1, 10000000,      "number" },
  { "session_expires",          "1800",  2, 86400,         "number" },
  { "enable_persistent_chat",   "false", 1, 0,             "bool" },
  { "room_management_url",      "",      1, 0,             "url" },
  { "pool_uri",                 NULL,    1, 0,             "sip" },
  { "server_uri",               NULL,    1, 0,             "sip" },
  { "pool_state",               "normal", 1, 0,            "choice:normal|failed-over" },
  { "active_servers",           "",      1, 0,             "sip-list" },
  /* the compliance service (perch-compliance.h) */
  { "compliance_enabled",       "false", 1, 0,             "bool" },
  { "compliance_run_interval",  "900",   60, 2592000,      "number" },  /* 1 minute to 30 days */
  { "compliance_batch",         "5000",  1, 100000,        "number" },
  { "compliance_adapter",       "xml",   1, 0,             "choice:xml|command" },
  { "compliance_output_dir",    "",      1, 0,             "path" },    /* "": <data-dir>/compliance */
  { "compliance_one_room_per_file", "false", 1, 0,         "bool" },
  { "compliance_add_room_details", "false", 1, 0,          "bool" },
  { "compliance_add_user_details", "false", 1, 0,          "bool" },
  { "compliance_create_attachment_manifest", "false", 1, 0, "bool" },
  { "compliance_command",       "",      1, 0,             "command" },
  { "compliance_command_timeout", "300", 1, 86400,         "number" },
};

const char *const perch_channel_config_keys[] = {
  "default_chat_history", "participant_update_limit", "max_file_size_kb", "message_size_limit",
  "search_limit", "commands_per_second", "max_pending_writes", "session_expires",
  "enable_persistent_chat", "room_management_url", "pool_uri", "server_uri", "pool_state",
  "active_servers",
  "compliance_enabled", "compliance_run_interval", "compliance_batch", "compliance_adapter",
  "compliance_output_dir", "compliance_one_room_per_file", "compliance_add_room_details",
  "compliance_add_user_details", "compliance_create_attachment_manifest", "compliance_command",
  "compliance_command_timeout",
  NULL,
};

static const ConfigKey *
config_key (const char *key)
{
  for (guint i = 0; key && i < G_N_ELEMENTS (config_table); i++)
    if (strcmp (config_table[i].key, key) == 0)
      return &config_table[i];
  return NULL;
}

/* Keys that name programs or places on the server's disk: set only where
 * the server runs (perchd --config), never over the network, and shown to
 * administrators only. A chat administrator is not the machine's. */
gboolean
perch_channel_config_is_local (const char *key)
{
  const ConfigKey *k = config_key (key);
  return k != NULL && (strcmp (k->kind, "path") == 0 || strcmp (k->kind, "command") == 0);
}

gboolean
perch_channel_config_validate (const char *key, const char *value, GError **error)
{
  const ConfigKey *k = config_key (key);
  if (k == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "no configuration key “%s”", key ? key : "");
      return FALSE;
    }
  if (value == NULL)
    goto bad;
  if (strcmp (k->kind, "number") == 0)
    {
      gint64 v;
      if (!g_ascii_string_to_signed (value, 10, k->min, k->max, &v, NULL))
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                       "%s must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, key, k->min, k->max);
          return FALSE;
        }
      return TRUE;
    }
  if (strcmp (k->kind, "bool") == 0)
    {
      if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0 || strcmp (value, "1") == 0 || strcmp (value, "0") == 0)
        return TRUE;
      goto bad;
    }
  if (strcmp (k->kind, "url") == 0)
    {
      if (*value == '\0' || ((g_str_has_prefix (value, "https://") || g_str_has_prefix (value, "http://")) &&
                              strlen (value) < 2048 && g_uri_is_valid (value, G_URI_FLAGS_NONE, NULL)))
        return TRUE;
      goto bad;
    }
  if (strcmp (k->kind, "sip") == 0)
    {
      g_autofree char *uri = perch_normalize_user_uri (value);
      if (uri != NULL)
        return TRUE;
      goto bad;
    }
  if (strcmp (k->kind, "sip-list") == 0)
    {
      g_auto(GStrv) parts = g_strsplit_set (value, ", ", -1);
      for (guint i = 0; parts[i]; i++)
        {
          g_autofree char *uri = *parts[i] ? perch_normalize_user_uri (parts[i]) : NULL;
          if (*parts[i] && uri == NULL)
            goto bad;
        }
      return TRUE;
    }
  if (strcmp (k->kind, "path") == 0)
    {
      /* Absolute, so it cannot depend on perchd's working directory; no
       * control characters, so it reads back the same in logs and UIs. */
      if (*value == '\0')
        return TRUE;
      if (value[0] != '/' || strlen (value) >= 4096 || !g_utf8_validate (value, -1, NULL))
        goto bad;
      for (const char *p = value; *p; p++)
        if ((guchar) *p < 0x20 || *p == 0x7f)
          goto bad;
      return TRUE;
    }
  if (strcmp (k->kind, "command") == 0)
    {
      /* An absolute executable and its arguments, split as a shell would
       * but run without one: no PATH lookup, no shell expansion. */
      g_auto(GStrv) argv = NULL;
      if (*value == '\0')
        return TRUE;
      if (strlen (value) >= 4096 || !g_utf8_validate (value, -1, NULL) ||
          !g_shell_parse_argv (value, NULL, &argv, NULL) || argv[0][0] != '/')
        goto bad;
      return TRUE;
    }
  if (g_str_has_prefix (k->kind, "choice:"))
    {
      g_auto(GStrv) choices = g_strsplit (k->kind + 7, "|", -1);
      if (g_strv_contains ((const char *const *) choices, value))
        return TRUE;
      goto bad;
    }
bad:
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” is not a valid %s (%s)",
               value ? value : "", key, k->kind);
  return FALSE;
}

/* The stored value of KEY, or its default; NULL when it has none. */
char *
perch_channel_config_value (PerchChannel *channel, const char *key)
{
  char *v = perch_store_config_get (channel->store, key);
  if (v != NULL && perch_channel_config_validate (key, v, NULL))
    return v;
  g_free (v);
  const ConfigKey *k = config_key (key);
  return k && k->fallback ? g_strdup (k->fallback) : NULL;
}

static guint
config_number (PerchChannel *channel, const char *key)
{
  g_autofree char *v = perch_channel_config_value (channel, key);
  return (guint) g_ascii_strtoull (v, NULL, 10);
}

static void
load_config (PerchChannel *channel)
{
  PerchChannelConfig *c = &channel->config;
  PerchStore *store = channel->store;
  g_clear_pointer (&c->domain, g_free);
  g_clear_pointer (&c->server_uri, g_free);
  g_clear_pointer (&c->pool_uri, g_free);
  c->domain = perch_store_config_get (store, "domain");
  if (c->domain == NULL)
    c->domain = g_strdup ("example.test");
  g_autofree char *server = perch_channel_config_value (channel, "server_uri");
  g_autofree char *pool = perch_channel_config_value (channel, "pool_uri");
  c->server_uri = server ? perch_normalize_user_uri (server) : g_strdup_printf ("sip:perchd@%s", c->domain);
  c->pool_uri = pool ? perch_normalize_user_uri (pool) : g_strdup_printf ("sip:ocschat@%s", c->domain);
  c->default_chat_history = config_number (channel, "default_chat_history");
  c->participant_update_limit = config_number (channel, "participant_update_limit");
  c->message_size_limit = config_number (channel, "message_size_limit");
  c->search_limit = config_number (channel, "search_limit");
  c->commands_per_second = config_number (channel, "commands_per_second");
  c->max_pending_writes = config_number (channel, "max_pending_writes");
  g_autofree char *enabled = perch_channel_config_value (channel, "enable_persistent_chat");
  c->chat_enabled_default = strcmp (enabled, "true") == 0 || strcmp (enabled, "1") == 0;
  g_autofree char *active = perch_channel_config_value (channel, "active_servers");
  g_autofree char *state = perch_channel_config_value (channel, "pool_state");
  /* A server not on a non-empty active list takes no new sessions. */
  c->accepting_sessions = TRUE;
  if (active != NULL && *active)
    {
      g_auto(GStrv) parts = g_strsplit_set (active, ", ", -1);
      c->accepting_sessions = FALSE;
      for (guint i = 0; parts[i]; i++)
        {
          g_autofree char *uri = *parts[i] ? perch_normalize_user_uri (parts[i]) : NULL;
          if (uri && strcmp (uri, c->server_uri) == 0)
            c->accepting_sessions = TRUE;
        }
    }
  c->failed_over = g_strcmp0 (state, "failed-over") == 0;
}

void
_perch_channel_reload_config (PerchChannel *channel)
{
  load_config (channel);
}

void
_perch_channel_add_group_member (PerchChannel *channel, const char *user, const char *group)
{
  GHashTable *set = g_hash_table_lookup (channel->user_groups, user);
  if (set == NULL)
    {
      set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (channel->user_groups, g_strdup (user), set);
    }
  g_hash_table_add (set, g_strdup (group));
}

void
_perch_channel_refresh_stats (PerchChannel *channel, PerchRoom *room)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) stats = perch_store_room_stats (channel->store, &error);
  if (stats == NULL)
    {
      g_warning ("room statistics: %s", error->message);
      return;
    }
  PerchRoomStats *st = g_hash_table_lookup (stats, room->info->id);
  room->stats = st ? *st : (PerchRoomStats) { 0 };
}

void
_perch_channel_refresh_all_stats (PerchChannel *channel)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) stats = perch_store_room_stats (channel->store, &error);
  if (stats == NULL)
    {
      g_warning ("room statistics: %s", error->message);
      return;
    }
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PerchRoom *room = value;
      PerchRoomStats *st = g_hash_table_lookup (stats, room->info->id);
      room->stats = st ? *st : (PerchRoomStats) { 0 };
    }
}

static void
principal_free (PerchPrincipal *p)
{
  g_free ((char *) p->uri);
  g_free (p);
}

static gboolean
load_directory (PerchChannel *channel, GError **error)
{
  g_autoptr(GPtrArray) cats = perch_store_category_list (channel->store, error);
  if (cats == NULL)
    return FALSE;
  for (guint i = 0; i < cats->len; i++)
    {
      PerchCategory *cat = g_ptr_array_index (cats, i);
      g_ptr_array_index (cats, i) = NULL;
      g_hash_table_insert (channel->categories, &cat->id, cat);
    }
  g_autoptr(GPtrArray) rooms = perch_store_room_list (channel->store, error);
  if (rooms == NULL)
    return FALSE;
  for (guint i = 0; i < rooms->len; i++)
    {
      PerchRoomInfo *info = g_ptr_array_index (rooms, i);
      g_ptr_array_index (rooms, i) = NULL;
      _perch_channel_room_add (channel, _perch_channel_room_new (channel, info));
    }
  perch_room_index_sort (channel->index);
  g_autoptr(GHashTable) stats = perch_store_room_stats (channel->store, error);
  if (stats == NULL)
    return FALSE;
  GHashTableIter siter;
  gpointer skey, svalue;
  g_hash_table_iter_init (&siter, stats);
  while (g_hash_table_iter_next (&siter, &skey, &svalue))
    {
      PerchRoom *room = g_hash_table_lookup (channel->rooms, skey);
      if (room != NULL)
        room->stats = *(PerchRoomStats *) svalue;
    }
  g_autoptr(GPtrArray) groups = perch_store_group_list (channel->store, error);
  if (groups == NULL)
    return FALSE;
  for (guint i = 0; i < groups->len; i++)
    {
      const char *group = g_ptr_array_index (groups, i);
      g_autoptr(GPtrArray) members = perch_store_group_members (channel->store, group, error);
      if (members == NULL)
        return FALSE;
      for (guint j = 0; j < members->len; j++)
        _perch_channel_add_group_member (channel, g_ptr_array_index (members, j), group);
    }
  return TRUE;
}

PerchChannel *
perch_channel_new (PerchStore *store, PerchCommitter *committer, GError **error)
{
  PerchChannel *channel = g_new0 (PerchChannel, 1);
  channel->store = store;
  channel->committer = committer;
  channel->categories = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL,
                                               (GDestroyNotify) perch_category_free);
  channel->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) room_free);
  channel->index = perch_room_index_new ();
  channel->user_groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) g_hash_table_unref);
  channel->sessions = g_hash_table_new (g_direct_hash, g_direct_equal);
  channel->principals = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) principal_free);
  /* Server envids only need to increase; start from the clock so a
   * restarted server never repeats one a client has seen. */
  channel->next_envid = g_get_real_time ();
  channel->started_us = g_get_monotonic_time ();
  load_config (channel);
  if (!load_directory (channel, error))
    {
      perch_channel_free (channel);
      return NULL;
    }
  return channel;
}

static void session_unref (PerchSession *session);

void
perch_channel_free (PerchChannel *channel)
{
  if (channel == NULL)
    return;
  GList *sessions = g_hash_table_get_keys (channel->sessions);
  for (GList *l = sessions; l; l = l->next)
    perch_channel_close_session (channel, l->data);
  g_list_free (sessions);
  g_hash_table_unref (channel->sessions);
  /* The index borrows the rooms: it goes first. */
  g_clear_pointer (&channel->index, perch_room_index_free);
  g_hash_table_unref (channel->rooms);
  g_hash_table_unref (channel->categories);
  g_hash_table_unref (channel->principals);
  g_hash_table_unref (channel->user_groups);
  _perch_channel_files_free (channel);
  g_free (channel->config.domain);
  g_free (channel->config.server_uri);
  g_free (channel->config.pool_uri);
  g_free (channel);
}

const PerchChannelConfig *
perch_channel_get_config (PerchChannel *channel)
{
  return &channel->config;
}

guint
perch_channel_n_sessions (PerchChannel *channel)
{
  return g_hash_table_size (channel->sessions);
}

guint
perch_channel_n_rooms (PerchChannel *channel)
{
  return g_hash_table_size (channel->rooms);
}

guint64
perch_channel_n_posts (PerchChannel *channel)
{
  return channel->n_posts;
}

/* ---- sessions ----------------------------------------------------------- */

gboolean
perch_channel_user_may_chat (PerchChannel *channel, const char *user, GError **error)
{
  g_autoptr(PerchUser) u = user ? perch_store_user_get (channel->store, user) : NULL;
  if (u == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such user");
      return FALSE;
    }
  if (!perch_policy_chat_enabled (u->enabled, channel->config.chat_enabled_default))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "%s is not enabled for persistent chat", user);
      return FALSE;
    }
  return TRUE;
}

PerchSession *
perch_channel_open_session (PerchChannel *channel, const char *user,
                            const PerchSessionTransport *transport, gpointer transport_data,
                            GError **error)
{
  if (!channel->config.accepting_sessions)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BUSY, "this server is not active in the pool");
      return NULL;
    }
  if (!perch_channel_user_may_chat (channel, user, error))
    return NULL;
  g_autoptr(PerchUser) u = perch_store_user_get (channel->store, user);
  PerchSession *session = g_new0 (PerchSession, 1);
  session->ref = 1;
  session->channel = channel;
  session->user = g_strdup (user);
  session->who.uri = session->user;
  session->who.admin = u && u->admin;
  session->who.groups = g_hash_table_lookup (channel->user_groups, user);
  session->transport = transport;
  session->transport_data = transport_data;
  session->rooms = g_hash_table_new (g_str_hash, g_str_equal);
  session->rate_time = g_get_monotonic_time ();
  session->rate_tokens = 2.0 * channel->config.commands_per_second;
  g_hash_table_add (channel->sessions, session);
  return session;
}

static PerchSession *
session_ref (PerchSession *session)
{
  session->ref++;
  return session;
}

static void
session_unref (PerchSession *session)
{
  if (--session->ref > 0)
    return;
  g_hash_table_unref (session->rooms);
  g_free (session->user);
  g_free (session);
}

const char *
perch_session_get_user (PerchSession *session)
{
  return session->user;
}

void
perch_channel_close_session (PerchChannel *channel, PerchSession *session)
{
  if (session->closed)
    return;
  GList *rooms = g_hash_table_get_values (session->rooms);
  for (GList *l = rooms; l; l = l->next)
    _perch_channel_part (channel, session, l->data);
  g_list_free (rooms);
  session->closed = TRUE;
  g_hash_table_remove (channel->sessions, session);
  session_unref (session);
}

void
_perch_session_send (PerchSession *session, GBytes *body)
{
  if (!session->closed)
    session->transport->send (session->transport_data, body);
}

GBytes *
_perch_channel_envelope (PerchChannel *channel, GString *items)
{
  GString *out = g_string_sized_new (items->len + 96);
  perch_xccos_begin (out, ++channel->next_envid);
  g_string_append_len (out, items->str, items->len);
  perch_xccos_end (out);
  return g_string_free_to_bytes (out);
}

/* ---- compliance events that need no reply ------------------------------ */

static void
event_committed (PerchWrite *write, const GError *error, gpointer user_data)
{
  if (error != NULL)
    g_warning ("compliance event %s for %s in %s not recorded: %s",
               perch_event_type_to_string (write->type), write->user, write->room_id, error->message);
}

void
_perch_channel_record_event (PerchChannel *channel, PerchEventType type, const char *room_id,
                             const char *user, const char *content)
{
  PerchWrite *write = g_new0 (PerchWrite, 1);
  write->type = type;
  write->room_id = g_strdup (room_id);
  write->user = g_strdup (user);
  write->content = g_strdup (content);
  write->ts_us = perch_now_us ();
  perch_committer_submit (channel->committer, write, event_committed, NULL);
}

/* ---- rosters ------------------------------------------------------------ */

static void
send_to_room (PerchRoom *room, GBytes *body, PerchSession *except)
{
  for (guint i = 0; i < room->sessions->len; i++)
    {
      PerchSession *s = g_ptr_array_index (room->sessions, i);
      if (s != except)
        _perch_session_send (s, body);
    }
}

static gboolean
roster_notices_on (PerchChannel *channel, PerchRoom *room)
{
  return g_hash_table_size (room->participants) <= channel->config.participant_update_limit;
}

void
_perch_channel_append_join_data (PerchChannel *channel, PerchSession *session, PerchRoom *room,
                                 GString *out, guint *next_uid)
{
  /* uib elements name the participants; the chanib's aib lists their ids
   * (3984: participants, 12276: managers). Above the update limit only the
   * joining user is listed, so a join reply stays bounded. */
  GString *users = g_string_new (NULL);
  GString *managers = g_string_new (NULL);
  guint limit = channel->config.participant_update_limit;
  GHashTableIter iter;
  gpointer key;
  guint listed = 0;
  g_autoptr(GPtrArray) uris = g_ptr_array_new ();
  g_ptr_array_add (uris, session->user);
  g_hash_table_iter_init (&iter, room->participants);
  while (g_hash_table_iter_next (&iter, &key, NULL) && uris->len < limit)
    if (strcmp (key, session->user) != 0)
      g_ptr_array_add (uris, key);
  for (guint i = 0; i < uris->len; i++)
    {
      const char *uri = g_ptr_array_index (uris, i);
      guint uid = (*next_uid)++;
      g_string_append (out, "<uib");
      g_autofree char *id = g_strdup_printf ("%u", uid);
      perch_xml_attr_append (out, "id", id);
      perch_xml_attr_append (out, "uri", uri);
      g_string_append (out, "/>");
      g_string_append_printf (users, "%s%u", listed++ ? "," : "", uid);
      PerchPrincipal who = { .uri = uri, .groups = g_hash_table_lookup (channel->user_groups, uri) };
      if (perch_policy_in_list (&who, room->info->managers))
        g_string_append_printf (managers, "%s%u", managers->len ? "," : "", uid);
    }
  g_string_append (out, "<chanib");
  perch_xml_attr_append (out, "uri", room->uri);
  perch_xml_attr_append (out, "name", room->info->name);
  perch_xml_attr_append (out, "topic", room->info->description ? room->info->description : "");
  g_string_append (out, "><aib key=\"3984\"");
  perch_xml_attr_append (out, "value", users->str);
  g_string_append (out, "/>");
  if (managers->len > 0)
    {
      g_string_append (out, "<aib key=\"12276\"");
      perch_xml_attr_append (out, "value", managers->str);
      g_string_append (out, "/>");
    }
  g_string_append (out, "</chanib>");
  g_string_free (users, TRUE);
  g_string_free (managers, TRUE);
}

gboolean
_perch_channel_join (PerchChannel *channel, PerchSession *session, PerchRoom *room, GError **error)
{
  if (!perch_policy_can_join (&session->who, room->info, room->cat, error))
    return FALSE;
  if (g_hash_table_contains (session->rooms, room->info->id))
    return TRUE;  /* joining twice is a no-op, not a second JOIN */
  g_hash_table_insert (session->rooms, room->info->id, room);
  g_ptr_array_add (room->sessions, session);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (room->participants, session->user));
  g_hash_table_insert (room->participants, g_strdup (session->user), GUINT_TO_POINTER (n + 1));
  _perch_channel_record_event (channel, PERCH_EVENT_JOIN, room->info->id, session->user, NULL);
  if (n == 0 && roster_notices_on (channel, room) && room->sessions->len > 1)
    {
      g_autoptr(GString) ntc = g_string_new ("<uib");
      perch_xml_attr_append (ntc, "uri", session->user);
      g_string_append (ntc, "><aib");
      perch_xml_attr_append (ntc, "domain", channel->config.domain);
      perch_xml_attr_append (ntc, "value", room->info->id);
      PerchPrincipal who = session->who;
      g_string_append_printf (ntc, " key=\"%s\"/></uib>",
                              perch_policy_in_list (&who, room->info->managers) ? "12276" : "3984");
      g_autoptr(GString) items = g_string_new (NULL);
      perch_xccos_append_ntc (items, "ntc:join", 1, ntc->str);
      g_autoptr(GBytes) body = _perch_channel_envelope (channel, items);
      send_to_room (room, body, session);
    }
  return TRUE;
}

void
_perch_channel_part (PerchChannel *channel, PerchSession *session, PerchRoom *room)
{
  if (!g_hash_table_remove (session->rooms, room->info->id))
    return;
  g_ptr_array_remove_fast (room->sessions, session);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (room->participants, session->user));
  if (n <= 1)
    g_hash_table_remove (room->participants, session->user);
  else
    g_hash_table_insert (room->participants, g_strdup (session->user), GUINT_TO_POINTER (n - 1));
  _perch_channel_record_event (channel, PERCH_EVENT_PART, room->info->id, session->user, NULL);
  if (n <= 1 && roster_notices_on (channel, room) && room->sessions->len > 0)
    {
      g_autoptr(GString) data = g_string_new ("<chanib");
      perch_xml_attr_append (data, "uri", room->uri);
      g_string_append (data, "><uib");
      perch_xml_attr_append (data, "uri", session->user);
      g_string_append (data, "/></chanib>");
      g_autoptr(GString) items = g_string_new (NULL);
      perch_xccos_append_ntc (items, "ntc:part", 1, data->str);
      g_autoptr(GBytes) body = _perch_channel_envelope (channel, items);
      send_to_room (room, body, session);
    }
}

/* ---- history ------------------------------------------------------------ */

static void
load_recent (PerchChannel *channel, PerchRoom *room)
{
  if (room->recent_loaded)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) msgs = perch_store_history (channel->store, room->info->id, 0, PERCH_HISTORY_CACHE, &error);
  if (msgs == NULL)
    {
      g_warning ("history of %s: %s", room->info->id, error->message);
      return;
    }
  for (guint i = 0; i < msgs->len; i++)
    {
      g_queue_push_tail (&room->recent, g_ptr_array_index (msgs, i));
      g_ptr_array_index (msgs, i) = NULL;
    }
  room->recent_complete = msgs->len < PERCH_HISTORY_CACHE;
  room->recent_loaded = TRUE;
}

static void
cache_message (PerchRoom *room, PerchMessage *msg)
{
  if (!room->recent_loaded)
    {
      perch_message_free (msg);
      return;
    }
  g_queue_push_tail (&room->recent, msg);
  while (room->recent.length > PERCH_HISTORY_CACHE)
    {
      perch_message_free (g_queue_pop_head (&room->recent));
      room->recent_complete = FALSE;
    }
}

static PerchMessage *
message_copy (const PerchMessage *m)
{
  PerchMessage *c = g_new0 (PerchMessage, 1);
  c->id = m->id;
  c->room_id = g_strdup (m->room_id);
  c->author = g_strdup (m->author);
  c->ts_us = m->ts_us;
  c->content = g_strdup (m->content);
  c->state = m->state;
  return c;
}

GPtrArray *
_perch_channel_history (PerchChannel *channel, PerchRoom *room, gint64 before, guint count, GError **error)
{
  load_recent (channel, room);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
  /* From the cache when it holds COUNT readable messages older than BEFORE,
   * or holds the whole room; the disk only for deeper pages. */
  guint found = 0;
  GList *start = NULL;
  for (GList *l = room->recent.tail; l && found < count; l = l->prev)
    {
      PerchMessage *m = l->data;
      if (before > 0 && m->id >= before)
        continue;
      if (m->state == PERCH_MSG_REMOVED)
        continue;
      found++;
      start = l;
    }
  if (room->recent_loaded && (found == count || room->recent_complete))
    {
      for (GList *l = start; l; l = l->next)
        {
          PerchMessage *m = l->data;
          if ((before > 0 && m->id >= before) || m->state == PERCH_MSG_REMOVED)
            continue;
          g_ptr_array_add (out, message_copy (m));
        }
      return out;
    }
  g_ptr_array_unref (out);
  /* Ask for a little more than COUNT so removed messages do not shorten the page. */
  GPtrArray *msgs = perch_store_history (channel->store, room->info->id, before, count + 16, error);
  if (msgs == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
  for (guint i = 0; i < msgs->len; i++)
    {
      PerchMessage *m = g_ptr_array_index (msgs, i);
      if (m->state != PERCH_MSG_REMOVED)
        g_ptr_array_add (out, message_copy (m));
    }
  g_ptr_array_unref (msgs);
  while (out->len > count)
    g_ptr_array_remove_index (out, 0);
  return out;
}

/* ---- posts -------------------------------------------------------------- */

typedef struct {
  PerchChannel  *channel;
  PerchSession  *session;
  PerchInfoDone  done;
  gpointer       done_data;
} PostContext;

static void
post_committed (PerchWrite *write, const GError *error, gpointer user_data)
{
  PostContext *ctx = user_data;
  PerchChannel *channel = ctx->channel;
  if (error != NULL)
    {
      g_warning ("post by %s in %s not stored: %s", write->user, write->room_id, error->message);
      ctx->done (500, "Server Internal Error", 0, ctx->done_data);
      session_unref (ctx->session);
      g_free (ctx);
      return;
    }
  /* Durable now: the sender may hear so, then everyone sees it. */
  ctx->done (200, NULL, 0, ctx->done_data);
  channel->n_posts++;
  gint64 second = g_get_monotonic_time () / G_USEC_PER_SEC;
  guint slot = second % G_N_ELEMENTS (channel->post_seconds);
  if (channel->post_second_stamp[slot] != second)
    {
      channel->post_second_stamp[slot] = second;
      channel->post_seconds[slot] = 0;
    }
  channel->post_seconds[slot]++;
  PerchRoom *room = g_hash_table_lookup (channel->rooms, write->room_id);
  if (room != NULL)
    {
      g_autofree char *ts = perch_format_ts (write->ts_us);
      g_autofree char *msgid = write->msg_id ? g_strdup_printf ("%" G_GINT64_FORMAT, write->msg_id) : NULL;
      g_autoptr(GString) items = g_string_new (NULL);
      perch_xccos_append_grpchat (items, 0, room->uri, write->user, ts, msgid, write->content);
      g_autoptr(GBytes) body = _perch_channel_envelope (channel, items);
      send_to_room (room, body, NULL);
      if (write->msg_id)
        {
          room->stats.messages++;
          room->stats.bytes += strlen (write->content);
          room->stats.last_post_us = MAX (room->stats.last_post_us, write->ts_us);
          PerchMessage *m = g_new0 (PerchMessage, 1);
          m->id = write->msg_id;
          m->room_id = g_strdup (write->room_id);
          m->author = g_strdup (write->user);
          m->ts_us = write->ts_us;
          m->content = g_strdup (write->content);
          cache_message (room, m);
        }
    }
  session_unref (ctx->session);
  g_free (ctx);
}

static void
handle_post (PerchChannel *channel, PerchSession *session, PerchXccosItem *item,
             PerchInfoDone done, gpointer done_data)
{
  g_autoptr(GError) error = NULL;
  PerchRoom *room = _perch_channel_room_by_uri (channel, item->chan_uri);
  if (room == NULL)
    {
      done (404, "Not Found", 0, done_data);
      return;
    }
  if (!perch_policy_can_post (&session->who, room->info, room->cat, &error))
    {
      /* A room the user may not know of reads exactly like a missing one. */
      if (error->code == PERCH_ERROR_NOT_FOUND)
        done (404, "Not Found", 0, done_data);
      else
        done (403, error->message, 0, done_data);
      return;
    }
  if (!g_hash_table_contains (session->rooms, room->info->id))
    {
      done (403, "Join the room first", 0, done_data);
      return;
    }
  g_autofree char *author = item->author ? perch_normalize_user_uri (item->author) : NULL;
  if (author != NULL && strcmp (author, session->user) != 0)
    {
      done (403, "The author must be the signed-in user", 0, done_data);
      return;
    }
  const char *text = item->chat ? item->chat : "";
  if (strlen (text) > channel->config.message_size_limit)
    {
      done (413, "Message too large", 0, done_data);
      return;
    }
  if (perch_committer_pending (channel->committer) >= channel->config.max_pending_writes)
    {
      done (503, "Service Unavailable", 1, done_data);
      return;
    }
  PerchWrite *write = g_new0 (PerchWrite, 1);
  write->type = PERCH_EVENT_CHAT;
  write->room_id = g_strdup (room->info->id);
  write->user = g_strdup (session->user);
  write->content = g_strdup (text);
  write->ts_us = perch_now_us ();
  write->store_message = room->cat == NULL || room->cat->chat_history;
  PostContext *ctx = g_new0 (PostContext, 1);
  ctx->channel = channel;
  ctx->session = session_ref (session);
  ctx->done = done;
  ctx->done_data = done_data;
  perch_committer_submit (channel->committer, write, post_committed, ctx);
}

/* ---- dispatch ----------------------------------------------------------- */

/* A token bucket: COMMANDS_PER_SECOND sustained, bursts of twice that. */
static gboolean
over_rate (PerchChannel *channel, PerchSession *session)
{
  double rate = channel->config.commands_per_second;
  gint64 now = g_get_monotonic_time ();
  session->rate_tokens = MIN (2 * rate, session->rate_tokens + (now - session->rate_time) * rate / G_USEC_PER_SEC);
  session->rate_time = now;
  if (session->rate_tokens < 1)
    return TRUE;
  session->rate_tokens -= 1;
  return FALSE;
}

void
perch_channel_handle_info (PerchChannel *channel, PerchSession *session,
                           const char *body, gsize len,
                           PerchInfoDone done, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  if (over_rate (channel, session))
    {
      done (503, "Service Unavailable", 1, user_data);
      return;
    }
  g_autoptr(PerchXccosEnvelope) env = perch_xccos_parse (body, len, &error);
  if (env == NULL)
    {
      done (error->code == PERCH_ERROR_TOO_LARGE ? 413 : 400, error->message, 0, user_data);
      return;
    }
  /* A post answers its INFO only when durable; a post shares no INFO with
   * commands (SIPE sends one item per INFO). */
  for (guint i = 0; i < env->items->len; i++)
    {
      PerchXccosItem *item = g_ptr_array_index (env->items, i);
      if (item->kind == PERCH_XCCOS_GRPCHAT)
        {
          if (env->items->len != 1)
            {
              done (400, "A post must travel alone", 0, user_data);
              return;
            }
          handle_post (channel, session, item, done, user_data);
          return;
        }
      if (item->kind != PERCH_XCCOS_CMD)
        {
          done (400, "Only commands and posts may be sent", 0, user_data);
          return;
        }
    }
  done (200, NULL, 0, user_data);

  g_autoptr(GString) replies = g_string_new (NULL);
  for (guint i = 0; i < env->items->len; i++)
    {
      PerchXccosItem *item = g_ptr_array_index (env->items, i);
      const PerchCommand *cmd = perch_command_lookup (item->id);
      g_autoptr(GString) data = g_string_new (NULL);
      g_autoptr(GError) cmd_error = NULL;
      int code = 200;
      const char *reply_id;
      g_autofree char *unknown_reply = NULL;
      if (cmd == NULL)
        {
          code = 400;
          unknown_reply = g_strconcat ("rpl:", g_str_has_prefix (item->id, "cmd:") ? item->id + 4 : "unknown", NULL);
          reply_id = unknown_reply;
        }
      else
        {
          reply_id = cmd->reply_id;
          if (!cmd->func (channel, session, item, data, &cmd_error))
            {
              code = cmd_error->code;
              g_string_truncate (data, 0);
            }
        }
      perch_xccos_append_rpl (replies, reply_id, item->seqid, item->seqid, env->envid, code,
                              data->len ? data->str : NULL);
    }
  g_autoptr(GBytes) reply = _perch_channel_envelope (channel, replies);
  _perch_session_send (session, reply);
}
