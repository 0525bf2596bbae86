/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-commands.c: the XCCOS command table, one handler per command.
 *
 * Each handler reads its command's <data>, asks the policy module, and
 * writes the inner XML of its reply's <data>. Errors carry PERCH_ERROR
 * codes, which are the XCCOS result codes. */
#include "config.h"

#include <string.h>

#include "perch-channel-private.h"
#include "perch-room-index.h"

#define MAX_BJOIN      100       /* rooms in one bjoin */
#define MAX_PREF_BYTES (64 * 1024)
#define MAX_CRITERIA   256

static gboolean
bad_request (GError **error, const char *what)
{
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "%s", what);
  return FALSE;
}

/* The room a <chanib uri=".."/> or <chanid domain value/> names, or NULL
 * with NOT_FOUND (the same answer for a secret room as for a missing one). */
static PerchRoom *
room_from_node (PerchChannel *channel, PerchSession *session, xmlNode *node, GError **error)
{
  g_autofree char *uri = perch_xml_get (node, "uri");
  if (uri == NULL)
    {
      g_autofree char *domain = perch_xml_get (node, "domain");
      g_autofree char *value = perch_xml_get (node, "value");
      if (domain && value)
        uri = perch_room_uri (domain, value);
    }
  PerchRoom *room = uri ? _perch_channel_room_by_uri (channel, uri) : NULL;
  if (room == NULL)
    {
      if (uri == NULL)
        bad_request (error, "no room named");
      else
        g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such room");
      return NULL;
    }
  if (!perch_policy_can_find (&session->who, room->info, room->cat, error))
    return NULL;
  return room;
}

static gboolean
requri_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  /* One server: the channel server is this one. */
  g_string_append (reply, "<uib");
  perch_xml_attr_append (reply, "uri", channel->config.server_uri);
  g_string_append (reply, "/>");
  return TRUE;
}

static gboolean
getserverinfo_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  const PerchChannelConfig *c = &channel->config;
  g_autofree char *now = perch_format_ts (perch_now_us ());
  g_autofree char *root = perch_category_uri (c->domain, "root");
  g_string_append (reply, "<sib infoType=\"123\"");
  perch_xml_attr_append (reply, "serverTime", now);
  g_string_append_printf (reply, " searchLimit=\"%u\" messageSizeLimit=\"%u\" storySizeLimit=\"%u\"",
                          c->search_limit, c->message_size_limit, c->message_size_limit * 16);
  perch_xml_attr_append (reply, "rootUri", root);
  perch_xml_attr_append (reply, "dbVersion", PACKAGE_VERSION);
  g_string_append (reply, "/>");
  return TRUE;
}

/* The end of a detailed chanib after the participant count: one of
 * sixteen constant strings, by visibility and the three properties. */
static const char *
chanib_tail (gboolean public, gboolean filepost, gboolean invite, gboolean logged)
{
  static char *tails[16];
  guint i = (public ? 8 : 0) | (filepost ? 4 : 0) | (invite ? 2 : 0) | (logged ? 1 : 0);
  if (tails[i] == NULL)
    tails[i] = g_strdup_printf ("</info><info id=\"urn:parlano:ma:info:visibilty\">%s</info>"
                                "<prop id=\"urn:parlano:ma:prop:filepost\">%s</prop>"
                                "<prop id=\"urn:parlano:ma:prop:invite\">%s</prop>"
                                "<prop id=\"urn:parlano:ma:prop:logged\">%s</prop></chanib>",
                                public ? "public" : "private", filepost ? "true" : "false",
                                invite ? "true" : "false", logged ? "true" : "false");
  return tails[i];
}

#define CHANIB_COUNT_OPEN "><info id=\"urn:parlano:ma:info:ucnt\">"

/* A chanib of ROOM; with DETAILS, what chansrch answers (participants,
 * visibility, the category's settings). A search answer holds up to
 * searchLimit of these, so the escaped attributes are built once per room
 * and the rest is three appends. */
static void
append_chanib (PerchChannel *channel, PerchRoom *room, GString *out, gboolean details)
{
  if (room->chanib_head == NULL)
    {
      GString *head = g_string_new ("<chanib");
      perch_xml_attr_append (head, "name", room->info->name);
      perch_xml_attr_append (head, "description", room->info->description ? room->info->description : "");
      perch_xml_attr_append (head, "uri", room->uri);
      room->chanib_head_len = head->len;
      g_string_append (head, CHANIB_COUNT_OPEN);
      room->chanib_head = g_string_free (head, FALSE);
    }
  if (!details)
    {
      g_string_append_len (out, room->chanib_head, room->chanib_head_len);
      g_string_append_len (out, "/>", 2);
      return;
    }
  g_string_append_len (out, room->chanib_head, room->chanib_head_len + strlen (CHANIB_COUNT_OPEN));
  char digits[16], *p = digits + sizeof digits;
  guint n = g_hash_table_size (room->participants);
  do
    *--p = (char) ('0' + n % 10);
  while ((n /= 10) != 0);
  g_string_append_len (out, p, digits + sizeof digits - p);
  gboolean invite = room->info->invitations && room->cat && room->cat->invitations;
  g_string_append (out, chanib_tail (room->info->privacy == PERCH_PRIVACY_OPEN, room->cat && room->cat->file_upload,
                                     invite, room->cat == NULL || room->cat->chat_history));
}

static int
compare_rooms_by_name (gconstpointer a, gconstpointer b)
{
  const PerchRoom *ra = *(PerchRoom *const *) a, *rb = *(PerchRoom *const *) b;
  return g_utf8_collate (ra->info->name, rb->info->name);
}

/* A chansrch answer as it is built: rooms the searcher may find, in name
 * order, until the limit or the byte budget is reached. */
typedef struct {
  PerchChannel *channel;
  PerchSession *session;
  GString      *reply;
  guint         count;
} SearchAnswer;

/* The answer must fit one SIP body (which clients, and perchd's own
 * client, refuse beyond PERCH_XCCOS_MAX_BODY) with the envelope around it:
 * at most searchLimit rooms, and fewer when they would not fit. */
#define SEARCH_REPLY_BUDGET (PERCH_XCCOS_MAX_BODY - 8 * 1024)

static gboolean
search_visit (PerchRoom *room, gpointer data)
{
  SearchAnswer *a = data;
  if (!perch_policy_can_find (&a->session->who, room->info, room->cat, NULL))
    return TRUE;
  gsize before = a->reply->len;
  append_chanib (a->channel, room, a->reply, TRUE);
  if (a->reply->len > SEARCH_REPLY_BUDGET)
    {
      g_string_truncate (a->reply, before);
      return FALSE;
    }
  return ++a->count < a->channel->config.search_limit;
}

static gboolean
chansrch_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *qib = perch_xml_child (cmd->data, "qib");
  if (qib == NULL)
    return bad_request (error, "chansrch needs a qib");
  g_autofree char *qtype = perch_xml_get (qib, "qtype");
  g_autofree char *criteria = perch_xml_get (qib, "criteria");
  if (qtype != NULL && g_ascii_strcasecmp (qtype, "BYNAME") != 0)
    return bad_request (error, "only BYNAME searches are supported");
  if (criteria != NULL && strlen (criteria) > MAX_CRITERIA)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "search text over %d bytes", MAX_CRITERIA);
      return FALSE;
    }
  g_autofree char *folded = g_utf8_casefold (criteria ? criteria : "", -1);
  SearchAnswer answer = { channel, session, reply, 0 };
  if (channel->config.search_limit > 0)
    perch_room_index_search (channel->index, folded, search_visit, &answer);
  return TRUE;
}

static gboolean
getassociations_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *assoc = perch_xml_child (cmd->data, "assoc");
  g_autofree char *type = assoc ? perch_xml_get (assoc, "type") : NULL;
  gboolean managers;
  if (g_strcmp0 (type, "member") == 0)
    managers = FALSE;
  else if (g_strcmp0 (type, "manager") == 0)
    managers = TRUE;
  else
    return bad_request (error, "assoc type must be member or manager");
  /* Only one's own associations: the uib, if given, must be oneself. */
  xmlNode *uib = perch_xml_child (cmd->data, "uib");
  g_autofree char *raw = uib ? perch_xml_get (uib, "uri") : NULL;
  g_autofree char *who = raw ? perch_normalize_user_uri (raw) : NULL;
  if (raw != NULL && g_strcmp0 (who, session->user) != 0 && !session->who.admin)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "only your own associations");
      return FALSE;
    }
  g_autoptr(GPtrArray) hits = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PerchRoom *room = value;
      PerchPrincipal me = session->who;
      me.admin = FALSE;  /* associations are what the lists say, not what an admin may do */
      gboolean hit = managers ? perch_policy_is_manager (&me, room->info, room->cat)
                              : (perch_policy_in_list (&me, room->info->members) &&
                                 perch_policy_is_member (&me, room->info, room->cat));
      if (hit && !room->info->disabled)
        g_ptr_array_add (hits, room);
    }
  g_ptr_array_sort (hits, compare_rooms_by_name);
  for (guint i = 0; i < hits->len && i < channel->config.search_limit; i++)
    append_chanib (channel, g_ptr_array_index (hits, i), reply, FALSE);
  return TRUE;
}

static gboolean
join_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *chanid = perch_xml_child (cmd->data, "chanid");
  if (chanid == NULL)
    chanid = perch_xml_child (cmd->data, "chanib");
  if (chanid == NULL)
    return bad_request (error, "join needs a chanid");
  PerchRoom *room = room_from_node (channel, session, chanid, error);
  if (room == NULL || !_perch_channel_join (channel, session, room, error))
    return FALSE;
  guint uid = 0;
  _perch_channel_append_join_data (channel, session, room, reply, &uid);
  return TRUE;
}

static gboolean
bjoin_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  guint n = 0, uid = 0;
  g_autoptr(GString) rooms = g_string_new (NULL);
  for (xmlNode *chanid = perch_xml_child (cmd->data, "chanid"); chanid; chanid = perch_xml_next (chanid, "chanid"))
    {
      if (++n > MAX_BJOIN)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "at most %d rooms in one bjoin", MAX_BJOIN);
          return FALSE;
        }
      g_autoptr(GError) room_error = NULL;
      PerchRoom *room = room_from_node (channel, session, chanid, &room_error);
      if (room != NULL && _perch_channel_join (channel, session, room, &room_error))
        {
          _perch_channel_append_join_data (channel, session, room, rooms, &uid);
          continue;
        }
      g_autofree char *domain = perch_xml_get (chanid, "domain");
      g_autofree char *value = perch_xml_get (chanid, "value");
      g_string_append (rooms, "<fib key=\"OPERATION_FAILED\"");
      perch_xml_attr_append (rooms, "value", value ? value : "");
      perch_xml_attr_append (rooms, "domain", domain ? domain : "");
      g_string_append (rooms, "/>");
    }
  if (n == 0)
    return bad_request (error, "bjoin needs chanid elements");
  g_string_append_len (reply, rooms->str, rooms->len);
  return TRUE;
}

static gboolean
part_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *chanib = perch_xml_child (cmd->data, "chanib");
  if (chanib == NULL)
    return bad_request (error, "part needs a chanib");
  g_autofree char *uri = perch_xml_get (chanib, "uri");
  PerchRoom *room = uri ? _perch_channel_room_by_uri (channel, uri) : NULL;
  if (room == NULL || !g_hash_table_contains (session->rooms, room->info->id))
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such room");
      return FALSE;
    }
  _perch_channel_part (channel, session, room);
  g_string_append (reply, "<chanib");
  perch_xml_attr_append (reply, "uri", room->uri);
  g_string_append (reply, "/>");
  return TRUE;
}

static gboolean
bccontext_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *chanib = perch_xml_child (cmd->data, "chanib");
  xmlNode *bcq = perch_xml_child (cmd->data, "bcq");
  xmlNode *last = bcq ? perch_xml_child (bcq, "last") : NULL;
  if (chanib == NULL)
    return bad_request (error, "bccontext needs a chanib");
  PerchRoom *room = room_from_node (channel, session, chanib, error);
  if (room == NULL || !perch_policy_can_join (&session->who, room->info, room->cat, error))
    return FALSE;
  gint64 count = channel->config.default_chat_history, before = 0;
  if (last != NULL && perch_xml_get_int64 (last, "cnt", &count) && (count < 1 || count > 500))
    return bad_request (error, "cnt must be 1 to 500");
  /* Ours: paging backwards from a message id (<last cnt="25" before="MSGID"/>). */
  if (last != NULL && perch_xml_get_int64 (last, "before", &before) && before < 0)
    return bad_request (error, "before must be a message id");
  g_autoptr(GPtrArray) msgs = _perch_channel_history (channel, room, before, (guint) count, error);
  if (msgs == NULL)
    return FALSE;
  g_string_append (reply, "<chanib");
  perch_xml_attr_append (reply, "uri", room->uri);
  g_string_append (reply, ">");
  for (guint i = 0; i < msgs->len; i++)
    {
      PerchMessage *m = g_ptr_array_index (msgs, i);
      g_autofree char *ts = perch_format_ts (m->ts_us);
      g_autofree char *msgid = g_strdup_printf ("%" G_GINT64_FORMAT, m->id);
      perch_xccos_append_msg (reply, room->uri, m->author, ts, msgid, m->content);
    }
  g_string_append (reply, "</chanib>");
  _perch_channel_record_event (channel, PERCH_EVENT_BACKCHAT, room->info->id, session->user, NULL);
  return TRUE;
}

static gboolean
getinv_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  g_autoptr(GPtrArray) ids = perch_store_invitations_take (channel->store, session->user, error);
  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      PerchRoom *room = g_hash_table_lookup (channel->rooms, g_ptr_array_index (ids, i));
      if (room != NULL && perch_policy_can_find (&session->who, room->info, room->cat, NULL))
        append_chanib (channel, room, reply, FALSE);
    }
  return TRUE;
}

static gboolean
valid_label (const char *label)
{
  if (label == NULL || *label == '\0' || strlen (label) > 128)
    return FALSE;
  for (const char *p = label; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._-:", *p))
      return FALSE;
  return TRUE;
}

static void
append_pref (GString *reply, const char *label, const char *seqid, const char *content)
{
  g_string_append (reply, "<pref");
  perch_xml_attr_append (reply, "label", label);
  perch_xml_attr_append (reply, "seqid", seqid ? seqid : "1");
  perch_xml_attr_append (reply, "content", content ? content : "");
  g_string_append (reply, "/>");
}

static gboolean
getpref_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *pref = perch_xml_child (cmd->data, "pref");
  g_autofree char *label = pref ? perch_xml_get (pref, "label") : NULL;
  g_autofree char *seqid = pref ? perch_xml_get (pref, "seqid") : NULL;
  if (!valid_label (label))
    return bad_request (error, "getpref needs a label");
  g_autofree char *content = perch_store_pref_get (channel->store, session->user, label);
  append_pref (reply, label, seqid, content);
  return TRUE;
}

static gboolean
setpref_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  xmlNode *pref = perch_xml_child (cmd->data, "pref");
  g_autofree char *label = pref ? perch_xml_get (pref, "label") : NULL;
  g_autofree char *seqid = pref ? perch_xml_get (pref, "seqid") : NULL;
  g_autofree char *content = pref ? perch_xml_get (pref, "content") : NULL;
  if (!valid_label (label) || content == NULL)
    return bad_request (error, "setpref needs a label and content");
  if (strlen (content) > MAX_PREF_BYTES)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "preference over %d bytes", MAX_PREF_BYTES);
      return FALSE;
    }
  for (const char *p = content; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("+/=", *p))
      return bad_request (error, "content must be base64");
  if (!perch_store_pref_set (channel->store, session->user, label, content, error))
    return FALSE;
  append_pref (reply, label, seqid, content);
  return TRUE;
}

static gboolean
nodespermcreatechild_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->categories);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (perch_policy_can_create_in (&session->who, value, NULL))
      return TRUE;
  if (session->who.admin)
    return TRUE;
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "not a creator in any category");
  return FALSE;
}

/* cmd:getfutok and cmd:getfdtok: <ftdb channelUri="ma-chan://..." fileUrl="..."/>.
 * For an upload fileUrl is the file's name (only its last component is
 * kept, as a display name); for a download it is the file's id or a
 * ma-filelink: URL naming it. The answer names where to send or fetch
 * the bytes: the HTTP service's /files/TOKEN. */
static gboolean
file_token_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply,
                    PerchFileDirection direction, GError **error)
{
  xmlNode *ftdb = perch_xml_child (cmd->data, "ftdb");
  g_autofree char *chan = ftdb ? perch_xml_get (ftdb, "channelUri") : NULL;
  g_autofree char *url = ftdb ? perch_xml_get (ftdb, "fileUrl") : NULL;
  if (chan == NULL || url == NULL)
    return bad_request (error, "the command needs <ftdb channelUri fileUrl>");
  PerchRoom *room = _perch_channel_room_by_uri (channel, chan);
  if (room == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such room");
      return FALSE;
    }
  if (!_perch_channel_file_allowed (channel, &session->who, room, direction, error))
    return FALSE;
  g_autofree char *file = NULL;
  if (direction == PERCH_FILE_UPLOAD)
    file = perch_file_name_sanitize (url);
  else
    {
      const char *id = g_ascii_strncasecmp (url, "ma-filelink:", 12) == 0 ? url + 12 : url;
      g_autoptr(PerchFile) stored = perch_file_id_valid (id) ? perch_store_file_get (channel->store, id, NULL) : NULL;
      /* Another room's file is no file of this room's. */
      if (stored == NULL || stored->state != PERCH_FILE_STORED || strcmp (stored->room_id, room->info->id) != 0)
        {
          g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such file in this room");
          return FALSE;
        }
      file = g_strdup (id);
    }
  if (channel->files_url == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_FAILED,
                           "file transfer needs perchd's HTTP service (--https-listen)");
      return FALSE;
    }
  g_autofree char *token = _perch_channel_file_token_new (channel, direction, session->user, room->info->id,
                                                         file, error);
  if (token == NULL)
    return FALSE;
  g_autofree char *server = g_strdup_printf ("%s/files/%s", channel->files_url, token);
  g_string_append (reply, "<token");
  perch_xml_attr_append (reply, "token", token);
  perch_xml_attr_append (reply, "serveruri", server);
  g_string_append (reply, "/>");
  return TRUE;
}

static gboolean
getfutok_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  return file_token_command (channel, session, cmd, reply, PERCH_FILE_UPLOAD, error);
}

static gboolean
getfdtok_command (PerchChannel *channel, PerchSession *session, PerchXccosItem *cmd, GString *reply, GError **error)
{
  return file_token_command (channel, session, cmd, reply, PERCH_FILE_DOWNLOAD, error);
}

/* The command table. SIPE's notes once spell the server-info reply
 * "rpl:getservinfo"; it sends "cmd:getserverinfo", accepted in both spellings. */
static const PerchCommand commands[] = {
  { "cmd:requri",               "rpl:requri",               requri_command },
  { "cmd:getserverinfo",        "rpl:getserverinfo",        getserverinfo_command },
  { "cmd:getservinfo",          "rpl:getserverinfo",        getserverinfo_command },
  { "cmd:getassociations",      "rpl:getassociations",      getassociations_command },
  { "cmd:chansrch",             "rpl:chansrch",             chansrch_command },
  { "cmd:join",                 "rpl:join",                 join_command },
  { "cmd:bjoin",                "rpl:bjoin",                bjoin_command },
  { "cmd:part",                 "rpl:part",                 part_command },
  { "cmd:bccontext",            "rpl:bccontext",            bccontext_command },
  { "cmd:getinv",               "rpl:getinv",               getinv_command },
  { "cmd:getpref",              "rpl:getpref",              getpref_command },
  { "cmd:setpref",              "rpl:setpref",              setpref_command },
  { "cmd:nodespermcreatechild", "rpl:nodespermcreatechild", nodespermcreatechild_command },
  { "cmd:getfutok",             "rpl:getftok",              getfutok_command },
  { "cmd:getfdtok",             "rpl:getftok",              getfdtok_command },
};

const PerchCommand *
perch_command_lookup (const char *name)
{
  for (guint i = 0; name && i < G_N_ELEMENTS (commands); i++)
    if (g_ascii_strcasecmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}
