/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-export.c: pool export and import as JSON Lines. See perch-export.h. */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "perch-admin.h"
#include "perch-channel-private.h"
#include "perch-export.h"

#define MESSAGE_BATCH 1000

void
perch_import_report_free (PerchImportReport *report)
{
  if (report == NULL)
    return;
  g_ptr_array_unref (report->notes);
  g_free (report);
}

/* ---- writing ---------------------------------------------------------------- */

static JsonNode *
string_list (GPtrArray *list)
{
  JsonArray *array = json_array_new ();
  for (guint i = 0; list && i < list->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (list, i));
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

static gboolean
write_line (GOutputStream *out, JsonObject *obj, GCancellable *cancellable, GError **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, obj);
  g_autofree char *text = json_to_string (node, FALSE);
  return g_output_stream_write_all (out, text, strlen (text), NULL, cancellable, error) &&
         g_output_stream_write_all (out, "\n", 1, NULL, cancellable, error);
}

static gboolean
category_wanted (const PerchExportOptions *options, const PerchCategory *cat)
{
  if (options->categories == NULL)
    return TRUE;
  for (guint i = 0; options->categories[i]; i++)
    if (g_ascii_strcasecmp (options->categories[i], cat->name) == 0)
      return TRUE;
  return FALSE;
}

gboolean
perch_admin_export (PerchChannel *channel, const PerchPrincipal *actor, const PerchExportOptions *options,
                    GOutputStream *out, GCancellable *cancellable, GError **error)
{
  if (!actor->admin)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "only administrators may export");
      return FALSE;
    }
  for (guint i = 0; options->categories && options->categories[i]; i++)
    {
      g_autoptr(PerchCategory) cat = perch_admin_category_get (channel, actor, options->categories[i], error);
      if (cat == NULL)
        return FALSE;
    }
  g_autoptr(JsonObject) header = json_object_new ();
  json_object_set_string_member (header, "type", PERCH_EXPORT_FORMAT);
  json_object_set_int_member (header, "version", PERCH_EXPORT_VERSION);
  json_object_set_string_member (header, "domain", channel->config.domain);
  g_autofree char *now = perch_format_ts (perch_now_us ());
  json_object_set_string_member (header, "created", now);
  json_object_set_int_member (header, "from_us", options->from_us);
  json_object_set_int_member (header, "to_us", options->to_us);
  if (!write_line (out, header, cancellable, error))
    return FALSE;

  guint64 n_categories = 0, n_rooms = 0, n_messages = 0;
  g_autoptr(GPtrArray) cats = perch_admin_category_list (channel, actor);
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < cats->len; i++)
    {
      PerchCategory *cat = g_ptr_array_index (cats, i);
      if (!category_wanted (options, cat))
        continue;
      g_hash_table_add (wanted, &cat->id);
      g_autoptr(JsonObject) o = json_object_new ();
      json_object_set_string_member (o, "type", "category");
      json_object_set_string_member (o, "name", cat->name);
      json_object_set_string_member (o, "description", cat->description ? cat->description : "");
      json_object_set_boolean_member (o, "file_upload", cat->file_upload);
      json_object_set_boolean_member (o, "chat_history", cat->chat_history);
      json_object_set_boolean_member (o, "invitations", cat->invitations);
      json_object_set_member (o, "allowed", string_list (cat->allowed));
      json_object_set_member (o, "denied", string_list (cat->denied));
      json_object_set_member (o, "creators", string_list (cat->creators));
      if (!write_line (out, o, cancellable, error))
        return FALSE;
      n_categories++;
    }

  /* Rooms in a stable order (by id), then each room's content. */
  g_autoptr(GPtrArray) rooms = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_hash_table_contains (wanted, &((PerchRoom *) value)->info->category_id))
      g_ptr_array_add (rooms, value);
  for (guint i = 0; i < rooms->len; i++)
    {
      PerchRoom *room = g_ptr_array_index (rooms, i);
      PerchRoomInfo *r = room->info;
      g_autoptr(JsonObject) o = json_object_new ();
      json_object_set_string_member (o, "type", "room");
      json_object_set_string_member (o, "id", r->id);
      json_object_set_string_member (o, "name", r->name);
      json_object_set_string_member (o, "description", r->description ? r->description : "");
      json_object_set_string_member (o, "category", room->cat->name);
      json_object_set_string_member (o, "privacy", perch_privacy_to_string (r->privacy));
      json_object_set_string_member (o, "room_type", perch_room_type_to_string (r->type));
      json_object_set_boolean_member (o, "disabled", r->disabled);
      if (r->addin)
        json_object_set_string_member (o, "addin", r->addin);
      json_object_set_boolean_member (o, "invitations", r->invitations);
      json_object_set_int_member (o, "created_us", r->created_us);
      json_object_set_member (o, "members", string_list (r->members));
      json_object_set_member (o, "managers", string_list (r->managers));
      json_object_set_member (o, "presenters", string_list (r->presenters));
      if (!write_line (out, o, cancellable, error))
        return FALSE;
      n_rooms++;
    }
  for (guint i = 0; i < rooms->len && !options->no_content; i++)
    {
      PerchRoom *room = g_ptr_array_index (rooms, i);
      gint64 after = 0;
      for (;;)
        {
          g_autoptr(GPtrArray) msgs = perch_store_messages_range (channel->store, room->info->id, after,
                                                                  options->from_us, options->to_us,
                                                                  MESSAGE_BATCH, error);
          if (msgs == NULL)
            return FALSE;
          for (guint k = 0; k < msgs->len; k++)
            {
              PerchMessage *m = g_ptr_array_index (msgs, k);
              g_autoptr(JsonObject) o = json_object_new ();
              json_object_set_string_member (o, "type", "message");
              json_object_set_string_member (o, "room", room->info->id);
              json_object_set_string_member (o, "author", m->author);
              json_object_set_int_member (o, "ts_us", m->ts_us);
              json_object_set_string_member (o, "content", m->content ? m->content : "");
              json_object_set_string_member (o, "state", m->state == PERCH_MSG_REMOVED ? "removed"
                                                         : m->state == PERCH_MSG_REPLACED ? "replaced" : "normal");
              if (!write_line (out, o, cancellable, error))
                return FALSE;
              n_messages++;
              after = m->id;
            }
          if (msgs->len < MESSAGE_BATCH)
            break;
        }
    }
  g_autoptr(JsonObject) trailer = json_object_new ();
  json_object_set_string_member (trailer, "type", "end");
  json_object_set_int_member (trailer, "categories", n_categories);
  json_object_set_int_member (trailer, "rooms", n_rooms);
  json_object_set_int_member (trailer, "messages", n_messages);
  if (!write_line (out, trailer, cancellable, error) || !g_output_stream_flush (out, cancellable, error))
    return FALSE;
  g_autofree char *detail = g_strdup_printf ("%" G_GUINT64_FORMAT " categories, %" G_GUINT64_FORMAT
                                             " rooms, %" G_GUINT64_FORMAT " messages",
                                             n_categories, n_rooms, n_messages);
  g_message ("admin: %s export %s", actor->uri, detail);
  perch_store_audit_add (channel->store, actor->uri, "pool.export", NULL, detail, NULL);
  return TRUE;
}

/* ---- reading ------------------------------------------------------------------ */

/* Bounded line reader: a line longer than PERCH_EXPORT_MAX_LINE is an error,
 * not an allocation. */
typedef struct {
  GInputStream *in;
  GByteArray   *buf;
  gsize         start;
  gboolean      eof;
  guint64       line_no;
} LineReader;

static char *
next_line (LineReader *r, GCancellable *cancellable, GError **error)
{
  for (;;)
    {
      guint8 *data = r->buf->data + r->start;
      gsize len = r->buf->len - r->start;
      /* An empty GByteArray's data is NULL, which memchr may not be given. */
      guint8 *nl = len > 0 ? memchr (data, '\n', len) : NULL;
      if (nl != NULL || (r->eof && len > 0))
        {
          gsize n = nl ? (gsize) (nl - data) : len;
          char *line = g_strndup ((const char *) data, n);
          r->start += n + (nl ? 1 : 0);
          r->line_no++;
          return line;
        }
      if (r->eof)
        return NULL;
      if (len > PERCH_EXPORT_MAX_LINE)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "line %" G_GUINT64_FORMAT " is over %d bytes",
                       r->line_no + 1, PERCH_EXPORT_MAX_LINE);
          return NULL;
        }
      if (r->start > 0)
        {
          g_byte_array_remove_range (r->buf, 0, r->start);
          r->start = 0;
        }
      guint8 chunk[65536];
      gssize got = g_input_stream_read (r->in, chunk, sizeof chunk, cancellable, error);
      if (got < 0)
        return NULL;
      if (got == 0)
        r->eof = TRUE;
      g_byte_array_append (r->buf, chunk, got);
    }
}

static gboolean
line_error (GError **error, guint64 line, const char *what)
{
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "archive line %" G_GUINT64_FORMAT ": %s", line, what);
  return FALSE;
}

static const char *
get_string (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
         ? json_node_get_string (n) : NULL;
}

static gboolean
get_bool (JsonObject *o, const char *member, gboolean *out)
{
  JsonNode *n = json_object_get_member (o, member);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_boolean (n);
  return TRUE;
}

static gboolean
get_int (JsonObject *o, const char *member, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, member);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

static GPtrArray *
get_list (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  if (!n || !JSON_NODE_HOLDS_ARRAY (n))
    return NULL;
  JsonArray *a = json_node_get_array (n);
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_ptr_array_unref (list);
          return NULL;
        }
      g_ptr_array_add (list, g_strdup (json_node_get_string (e)));
    }
  return list;
}

typedef enum { PASS_CHECK, PASS_APPLY } Pass;

typedef struct {
  PerchChannel         *channel;
  const PerchPrincipal *actor;
  PerchImportReport    *report;
  GHashTable           *room_ids;    /* archived room id -> id here (NULL: skipped) */
  GHashTable           *cat_names;   /* category names seen (check pass) */
  GPtrArray            *batch;       /* PerchMessage* waiting to be written */
  guint64               counts[3];   /* categories, rooms, messages seen */
} Import;

static gboolean
flush_messages (Import *imp, GError **error)
{
  if (imp->batch->len == 0)
    return TRUE;
  if (!perch_store_import_messages (imp->channel->store, (PerchMessage **) imp->batch->pdata, imp->batch->len, error))
    return FALSE;
  imp->report->messages += imp->batch->len;
  g_ptr_array_set_size (imp->batch, 0);
  return TRUE;
}

static gboolean
apply_category (Import *imp, JsonObject *o, guint64 line, Pass pass, GError **error)
{
  const char *name = get_string (o, "name");
  gboolean file_upload, chat_history, invitations;
  g_autoptr(GPtrArray) allowed = get_list (o, "allowed");
  g_autoptr(GPtrArray) denied = get_list (o, "denied");
  g_autoptr(GPtrArray) creators = get_list (o, "creators");
  if (name == NULL || !get_bool (o, "file_upload", &file_upload) || !get_bool (o, "chat_history", &chat_history) ||
      !get_bool (o, "invitations", &invitations) || !allowed || !denied || !creators)
    return line_error (error, line, "a category needs name, file_upload, chat_history, invitations, allowed, denied, creators");
  if (pass == PASS_CHECK)
    {
      g_hash_table_add (imp->cat_names, g_utf8_casefold (name, -1));
      return TRUE;
    }
  g_autoptr(PerchCategory) existing = perch_admin_category_get (imp->channel, imp->actor, name, NULL);
  if (existing != NULL)
    {
      imp->report->categories_existing++;
      return TRUE;
    }
  PerchCategory cat = {
    .name = (char *) name, .description = (char *) get_string (o, "description"),
    .file_upload = file_upload, .chat_history = chat_history, .invitations = invitations,
    .allowed = g_steal_pointer (&allowed), .denied = g_steal_pointer (&denied),
    .creators = g_steal_pointer (&creators),
  };
  gboolean ok = perch_admin_category_create (imp->channel, imp->actor, &cat, error);
  g_ptr_array_unref (cat.allowed);
  g_ptr_array_unref (cat.denied);
  g_ptr_array_unref (cat.creators);
  if (!ok)
    {
      g_prefix_error (error, "archive line %" G_GUINT64_FORMAT ": ", line);
      return FALSE;
    }
  imp->report->categories_created++;
  return TRUE;
}

static gboolean
apply_room (Import *imp, JsonObject *o, guint64 line, Pass pass, GError **error)
{
  const char *id = get_string (o, "id");
  const char *name = get_string (o, "name");
  const char *category = get_string (o, "category");
  const char *privacy_s = get_string (o, "privacy");
  const char *type_s = get_string (o, "room_type");
  PerchPrivacy privacy;
  PerchRoomType type;
  gboolean disabled, invitations;
  gint64 created = 0;
  g_autoptr(GPtrArray) members = get_list (o, "members");
  g_autoptr(GPtrArray) managers = get_list (o, "managers");
  g_autoptr(GPtrArray) presenters = get_list (o, "presenters");
  if (id == NULL || name == NULL || category == NULL || !perch_privacy_from_string (privacy_s, &privacy) ||
      !perch_room_type_from_string (type_s, &type) || !get_bool (o, "disabled", &disabled) ||
      !get_bool (o, "invitations", &invitations) || !members || !managers || !presenters)
    return line_error (error, line, "a room needs id, name, category, privacy, room_type, disabled, invitations and its lists");
  get_int (o, "created_us", &created);
  if (pass == PASS_CHECK)
    {
      g_autofree char *folded = g_utf8_casefold (category, -1);
      if (!g_hash_table_contains (imp->cat_names, folded))
        return line_error (error, line, "the room's category is not in the archive");
      g_hash_table_insert (imp->room_ids, g_strdup (id), NULL);
      return TRUE;
    }
  PerchChannel *channel = imp->channel;
  g_autoptr(PerchRoomView) existing = perch_admin_room_get (channel, imp->actor, name, NULL);
  if (existing != NULL && g_ascii_strcasecmp (existing->info->name, name) == 0)
    {
      imp->report->rooms_skipped++;
      g_ptr_array_add (imp->report->notes, g_strdup_printf ("room “%s” exists: skipped with its content", name));
      g_hash_table_insert (imp->room_ids, g_strdup (id), NULL);
      return TRUE;
    }
  g_autoptr(PerchCategory) cat = perch_admin_category_get (channel, imp->actor, category, error);
  if (cat == NULL)
    return FALSE;
  /* Straight to the store, as archived: the importer does not become a
   * manager, and the archived id is kept when it is free. */
  PerchRoomInfo info = {
    .id = g_hash_table_contains (channel->rooms, id) ? NULL : (char *) id,
    .name = (char *) name, .description = (char *) get_string (o, "description"),
    .category_id = cat->id, .privacy = privacy, .type = type, .disabled = disabled,
    .addin = (char *) get_string (o, "addin"), .invitations = invitations,
    .members = members, .managers = managers, .presenters = presenters, .created_us = created,
  };
  g_autoptr(PerchRoomInfo) copy = perch_room_info_copy (&info);
  if (!perch_store_room_create (channel->store, copy, error))
    {
      g_prefix_error (error, "archive line %" G_GUINT64_FORMAT ": ", line);
      return FALSE;
    }
  PerchRoom *room = _perch_channel_room_new (channel, perch_room_info_copy (copy));
  g_hash_table_insert (channel->rooms, room->info->id, room);
  g_hash_table_insert (imp->room_ids, g_strdup (id), g_strdup (room->info->id));
  imp->report->rooms_created++;
  return TRUE;
}

static gboolean
apply_message (Import *imp, JsonObject *o, guint64 line, Pass pass, GError **error)
{
  const char *room = get_string (o, "room");
  const char *author = get_string (o, "author");
  const char *content = get_string (o, "content");
  const char *state = get_string (o, "state");
  gint64 ts;
  if (room == NULL || author == NULL || content == NULL || state == NULL || !get_int (o, "ts_us", &ts))
    return line_error (error, line, "a message needs room, author, ts_us, content and state");
  PerchMessageState st;
  if (strcmp (state, "normal") == 0) st = PERCH_MSG_NORMAL;
  else if (strcmp (state, "replaced") == 0) st = PERCH_MSG_REPLACED;
  else if (strcmp (state, "removed") == 0) st = PERCH_MSG_REMOVED;
  else return line_error (error, line, "state is normal, replaced or removed");
  gpointer here;
  if (!g_hash_table_lookup_extended (imp->room_ids, room, NULL, &here))
    return line_error (error, line, "the message's room is not in the archive");
  if (pass == PASS_CHECK || here == NULL)
    return TRUE;
  PerchMessage *m = g_new0 (PerchMessage, 1);
  m->room_id = g_strdup (here);
  m->author = g_strdup (author);
  m->ts_us = ts;
  m->content = g_strdup (content);
  m->state = st;
  g_ptr_array_add (imp->batch, m);
  return imp->batch->len < MESSAGE_BATCH || flush_messages (imp, error);
}

static gboolean
run_pass (Import *imp, GFile *file, Pass pass, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFileInputStream) in = g_file_read (file, cancellable, error);
  if (in == NULL)
    return FALSE;
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  LineReader reader = { G_INPUT_STREAM (in), buf, 0, FALSE, 0 };
  gboolean ended = FALSE;
  memset (imp->counts, 0, sizeof imp->counts);
  for (;;)
    {
      g_autoptr(GError) read_error = NULL;
      g_autofree char *line = next_line (&reader, cancellable, &read_error);
      if (line == NULL)
        {
          if (read_error)
            {
              g_propagate_error (error, g_steal_pointer (&read_error));
              return FALSE;
            }
          break;
        }
      if (*line == '\0')
        continue;
      if (ended)
        return line_error (error, reader.line_no, "data after the end line");
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) json_error = NULL;
      if (!json_parser_load_from_data (parser, line, -1, &json_error) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        return line_error (error, reader.line_no, json_error ? json_error->message : "not a JSON object");
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      const char *type = get_string (o, "type");
      gboolean ok = TRUE;
      if (reader.line_no == 1 || g_strcmp0 (type, PERCH_EXPORT_FORMAT) == 0)
        {
          gint64 version;
          if (reader.line_no != 1 || g_strcmp0 (type, PERCH_EXPORT_FORMAT) != 0)
            return line_error (error, reader.line_no, "not a Perch export (the first line names the format)");
          if (!get_int (o, "version", &version) || version != PERCH_EXPORT_VERSION)
            return line_error (error, reader.line_no, "an archive version this Perch does not read");
        }
      else if (g_strcmp0 (type, "category") == 0)
        ok = apply_category (imp, o, reader.line_no, pass, error), imp->counts[0]++;
      else if (g_strcmp0 (type, "room") == 0)
        ok = apply_room (imp, o, reader.line_no, pass, error), imp->counts[1]++;
      else if (g_strcmp0 (type, "message") == 0)
        ok = apply_message (imp, o, reader.line_no, pass, error), imp->counts[2]++;
      else if (g_strcmp0 (type, "end") == 0)
        {
          gint64 c, r, m;
          if (!get_int (o, "categories", &c) || !get_int (o, "rooms", &r) || !get_int (o, "messages", &m) ||
              (guint64) c != imp->counts[0] || (guint64) r != imp->counts[1] || (guint64) m != imp->counts[2])
            return line_error (error, reader.line_no, "the end line's counts do not match the archive");
          ended = TRUE;
        }
      else
        return line_error (error, reader.line_no, "unknown line type");
      if (!ok)
        return FALSE;
    }
  if (!ended)
    return line_error (error, reader.line_no, "the archive is truncated (no end line)");
  return pass == PASS_CHECK || flush_messages (imp, error);
}

PerchImportReport *
perch_admin_import (PerchChannel *channel, const PerchPrincipal *actor, GFile *file,
                    GCancellable *cancellable, GError **error)
{
  if (!actor->admin)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "only administrators may import");
      return NULL;
    }
  g_autoptr(PerchImportReport) report = g_new0 (PerchImportReport, 1);
  report->notes = g_ptr_array_new_with_free_func (g_free);
  Import imp = {
    .channel = channel, .actor = actor, .report = report,
    .room_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    .cat_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .batch = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free),
  };
  gboolean ok = run_pass (&imp, file, PASS_CHECK, cancellable, error);
  if (ok)
    {
      g_hash_table_remove_all (imp.room_ids);
      ok = run_pass (&imp, file, PASS_APPLY, cancellable, error);
    }
  g_hash_table_unref (imp.room_ids);
  g_hash_table_unref (imp.cat_names);
  g_ptr_array_unref (imp.batch);
  if (!ok)
    return NULL;
  /* Stats of the rooms that received content. */
  _perch_channel_refresh_all_stats (channel);
  g_autofree char *detail = g_strdup_printf ("%u categories, %u rooms (%u skipped), %" G_GUINT64_FORMAT " messages",
                                             report->categories_created, report->rooms_created,
                                             report->rooms_skipped, report->messages);
  g_message ("admin: %s import %s", actor->uri, detail);
  perch_store_audit_add (channel->store, actor->uri, "pool.import", NULL, detail, NULL);
  return g_steal_pointer (&report);
}
