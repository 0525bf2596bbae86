/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-routes.c: the route table of /api/v1 and one handler per route.
 *
 * By the time a handler runs, the caller is authenticated, the query has
 * only declared parameters of the declared types, and the body has been
 * checked against its schema. A handler turns what it got into a call of
 * the administration layer (which decides who may, and keeps every rule)
 * and encodes the answer; it decides nothing itself. */
#include "config.h"

#include <string.h>

#include "perch-web-private.h"

#define HISTORY_DEFAULT_LIMIT 50
#define HISTORY_MAX_LIMIT     500
/* Forward paging by time asks for this many more than a page, to step over
 * messages of the previous page that share its last timestamp. */
#define SAME_TS_SLACK         64

/* ---- helpers --------------------------------------------------------------- */

static void
reply_object (PerchWebRequest *req, int status, JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  perch_web_reply (req, status, node);
}

static void
fail (PerchWebRequest *req, int code, const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (PERCH_ERROR, code, message);
  perch_web_reply_error (req, error);
}

static GPtrArray *
ptr_array_of (char **strv)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; strv && strv[i]; i++)
    g_ptr_array_add (out, g_strdup (strv[i]));
  return out;
}

static void
set_location (PerchWebRequest *req, const char *collection, const char *id)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, TRUE);
  g_autofree char *location = g_strdup_printf ("/api/v1/%s/%s", collection, escaped);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location", location);
}

static int
enum_index (const char *const *values, const char *text, int fallback)
{
  for (int i = 0; text && values[i]; i++)
    if (strcmp (values[i], text) == 0)
      return i;
  return fallback;
}

static const char *const privacy_values[] = { "open", "closed", "secret", NULL };
static const char *const type_values[] = { "normal", "auditorium", NULL };
static const char *const bool_values[] = { "false", "true", NULL };
static const char *const sort_values[] = { "name", "created", "activity", "size", NULL };
static const char *const order_values[] = { "asc", "desc", NULL };
static const char *const match_values[] = { "all", "any", "exact", NULL };

/* ---- session ------------------------------------------------------------------ */

static void
handle_login (PerchWebRequest *req)
{
  perch_web_auth_login (_perch_web_get_auth (req->web), req);
}

static void
handle_logout (PerchWebRequest *req)
{
  perch_web_auth_logout (_perch_web_get_auth (req->web), req);
}

static void
handle_me (PerchWebRequest *req)
{
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "user", req->actor->uri);
  json_object_set_boolean_member (obj, "admin", req->actor->admin);
  reply_object (req, 200, obj);
}

static void
handle_openapi (PerchWebRequest *req)
{
  char *text = perch_web_openapi_json ();
  soup_server_message_set_status (req->msg, 200, NULL);
  soup_server_message_set_response (req->msg, "application/json", SOUP_MEMORY_TAKE, text, strlen (text));
}

/* ---- pool, configuration, policy ------------------------------------------------- */

static JsonObject *
config_object (GHashTable *config)
{
  JsonObject *obj = json_object_new ();
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (config), (GCompareFunc) strcmp);
  for (GList *l = keys; l; l = l->next)
    {
      const char *value = g_hash_table_lookup (config, l->data);
      if (value != NULL)
        json_object_set_string_member (obj, l->data, value);
      else
        json_object_set_null_member (obj, l->data);
    }
  return obj;
}

/* active_servers is kept as text: URIs separated by commas or spaces. */
static char **
split_servers (const char *text)
{
  GPtrArray *out = g_ptr_array_new ();
  g_auto(GStrv) parts = g_strsplit_set (text ? text : "", ", ", -1);
  for (guint i = 0; parts[i]; i++)
    if (*parts[i])
      g_ptr_array_add (out, g_strdup (parts[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

static void
reply_pool (PerchWebRequest *req)
{
  g_autoptr(GHashTable) config = perch_admin_config_get (req->channel, req->actor);
  const char *state = g_hash_table_lookup (config, "pool_state");
  g_auto(GStrv) active = split_servers (g_hash_table_lookup (config, "active_servers"));
  PerchServerStatus status = { 0 };
  perch_admin_server_status (req->channel, &status);

  JsonObject *server = json_object_new ();
  json_object_set_string_member (server, "uri", status.uri ? status.uri : "");
  json_object_set_boolean_member (server, "active", perch_channel_get_config (req->channel)->accepting_sessions);
  json_object_set_int_member (server, "sessions", status.sessions);
  json_object_set_int_member (server, "joined_rooms", status.joined_rooms);
  json_object_set_double_member (server, "posts_per_second", status.posts_per_second);
  json_object_set_int_member (server, "uptime_s", status.uptime_s);
  json_object_set_string_member (server, "version", status.version ? status.version : PACKAGE_VERSION);
  JsonArray *servers = json_array_new ();
  json_array_add_object_element (servers, server);
  JsonArray *active_array = json_array_new ();
  for (guint i = 0; active[i]; i++)
    json_array_add_string_element (active_array, active[i]);

  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "state", state && *state ? state : "normal");
  json_object_set_array_member (obj, "active_servers", active_array);
  json_object_set_array_member (obj, "servers", servers);
  json_object_set_object_member (obj, "configuration", config_object (config));
  reply_object (req, 200, obj);
}

static void
handle_pool_get (PerchWebRequest *req)
{
  reply_pool (req);
}

static void
handle_pool_patch (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  const char *state = perch_web_get_string (req->body, "state", NULL);
  g_auto(GStrv) active = perch_web_get_strings (req->body, "active_servers");
  if (state != NULL && !perch_admin_config_set (req->channel, req->actor, "pool_state", state, &error))
    {
      perch_web_reply_error (req, error);
      return;
    }
  if (active != NULL)
    {
      g_autofree char *joined = g_strjoinv (",", active);
      if (!perch_admin_config_set (req->channel, req->actor, "active_servers", joined, &error))
        {
          perch_web_reply_error (req, error);
          return;
        }
    }
  reply_pool (req);
}

static void
handle_config_get (PerchWebRequest *req)
{
  g_autoptr(GHashTable) config = perch_admin_config_get (req->channel, req->actor);
  reply_object (req, 200, config_object (config));
}

static char *
scalar_text (JsonNode *node)
{
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? "true" : "false");
  if (type == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  if (type == G_TYPE_DOUBLE)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
    }
  return g_strdup (json_node_get_string (node));
}

static void
handle_config_patch (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) keys = g_list_sort (json_object_get_members (req->body), (GCompareFunc) strcmp);
  if (keys == NULL)
    {
      fail (req, PERCH_ERROR_BAD_REQUEST, "no configuration key given");
      return;
    }
  /* Every key is known before any is set, so a typo changes nothing. */
  g_autoptr(GHashTable) known = perch_admin_config_get (req->channel, req->actor);
  for (GList *l = keys; l; l = l->next)
    if (!g_hash_table_contains (known, l->data))
      {
        g_autofree char *message = g_strdup_printf ("no configuration key “%s”", (const char *) l->data);
        fail (req, PERCH_ERROR_BAD_REQUEST, message);
        return;
      }
  /* And every value is valid, so a bad later value leaves nothing half applied. */
  for (GList *l = keys; l; l = l->next)
    {
      g_autofree char *value = scalar_text (json_object_get_member (req->body, l->data));
      if (!perch_channel_config_validate (l->data, value, &error))
        {
          perch_web_reply_error (req, error);
          return;
        }
    }
  for (GList *l = keys; l; l = l->next)
    {
      g_autofree char *value = scalar_text (json_object_get_member (req->body, l->data));
      if (!perch_admin_config_set (req->channel, req->actor, l->data, value, &error))
        {
          perch_web_reply_error (req, error);
          return;
        }
    }
  handle_config_get (req);
}

static gboolean
text_is_true (const char *text)
{
  return text != NULL && (strcmp (text, "1") == 0 || g_ascii_strcasecmp (text, "true") == 0);
}

static void
handle_policy_get (PerchWebRequest *req)
{
  g_autoptr(GHashTable) config = perch_admin_config_get (req->channel, req->actor);
  JsonObject *obj = json_object_new ();
  json_object_set_boolean_member (obj, "enable_persistent_chat",
                                  text_is_true (g_hash_table_lookup (config, "enable_persistent_chat")));
  reply_object (req, 200, obj);
}

static void
handle_policy_patch (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  gboolean enable = perch_web_get_bool (req->body, "enable_persistent_chat", 0);
  if (!perch_admin_config_set (req->channel, req->actor, "enable_persistent_chat", enable ? "true" : "false", &error))
    {
      perch_web_reply_error (req, error);
      return;
    }
  handle_policy_get (req);
}

/* ---- categories ---------------------------------------------------------------------- */

static void
reply_category (PerchWebRequest *req, int status, const char *name_or_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchCategory) cat = perch_admin_category_get (req->channel, req->actor, name_or_id, &error);
  if (cat == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  if (status == 201)
    {
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cat->id);
      set_location (req, "categories", id);
    }
  perch_web_reply (req, status, perch_web_category_json (cat, _perch_web_get_domain (req->web)));
}

static void
handle_categories_list (PerchWebRequest *req)
{
  g_autoptr(GPtrArray) cats = perch_admin_category_list (req->channel, req->actor);
  JsonArray *items = json_array_new ();
  for (guint i = 0; cats && i < cats->len; i++)
    json_array_add_element (items, perch_web_category_json (g_ptr_array_index (cats, i),
                                                            _perch_web_get_domain (req->web)));
  perch_web_reply (req, 200, perch_web_list_json (items, NULL));
}

static void
handle_category_create (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) allowed = perch_web_get_strings (req->body, "allowed");
  g_auto(GStrv) denied = perch_web_get_strings (req->body, "denied");
  g_auto(GStrv) creators = perch_web_get_strings (req->body, "creators");
  PerchCategory cat = {
    .name = (char *) perch_web_get_string (req->body, "name", ""),
    .description = (char *) perch_web_get_string (req->body, "description", ""),
    .file_upload = perch_web_get_bool (req->body, "file_upload", 1),
    .chat_history = perch_web_get_bool (req->body, "chat_history", 1),
    .invitations = perch_web_get_bool (req->body, "invitations", 1),
    .allowed = ptr_array_of (allowed),
    .denied = ptr_array_of (denied),
    .creators = ptr_array_of (creators),
  };
  gboolean ok = perch_admin_category_create (req->channel, req->actor, &cat, &error);
  g_ptr_array_unref (cat.allowed);
  g_ptr_array_unref (cat.denied);
  g_ptr_array_unref (cat.creators);
  if (!ok)
    {
      perch_web_reply_error (req, error);
      return;
    }
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cat.id);
  reply_category (req, 201, id);
}

static void
handle_category_get (PerchWebRequest *req)
{
  reply_category (req, 200, perch_web_param (req, "category"));
}

static void
handle_category_patch (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  /* Resolved to its id first: a rename must not lose the category. */
  g_autoptr(PerchCategory) cat = perch_admin_category_get (req->channel, req->actor,
                                                          perch_web_param (req, "category"), &error);
  if (cat == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cat->id);
  g_auto(GStrv) allowed_add = NULL, allowed_remove = NULL, denied_add = NULL, denied_remove = NULL;
  g_auto(GStrv) creators_add = NULL, creators_remove = NULL;
  perch_web_get_edit (req->body, "allowed", &allowed_add, &allowed_remove);
  perch_web_get_edit (req->body, "denied", &denied_add, &denied_remove);
  perch_web_get_edit (req->body, "creators", &creators_add, &creators_remove);
  PerchCategoryPatch patch = PERCH_CATEGORY_PATCH_INIT;
  patch.name = perch_web_get_string (req->body, "name", NULL);
  patch.description = perch_web_get_string (req->body, "description", NULL);
  patch.file_upload = perch_web_get_bool (req->body, "file_upload", -1);
  patch.chat_history = perch_web_get_bool (req->body, "chat_history", -1);
  patch.invitations = perch_web_get_bool (req->body, "invitations", -1);
  patch.allowed_add = (const char *const *) allowed_add;
  patch.allowed_remove = (const char *const *) allowed_remove;
  patch.denied_add = (const char *const *) denied_add;
  patch.denied_remove = (const char *const *) denied_remove;
  patch.creators_add = (const char *const *) creators_add;
  patch.creators_remove = (const char *const *) creators_remove;
  if (!perch_admin_category_update (req->channel, req->actor, id, &patch, &error))
    {
      perch_web_reply_error (req, error);
      return;
    }
  reply_category (req, 200, id);
}

static void
handle_category_delete (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  if (!perch_admin_category_delete (req->channel, req->actor, perch_web_param (req, "category"), &error))
    perch_web_reply_error (req, error);
  else
    perch_web_reply (req, 204, NULL);
}

static void
reply_eligible (PerchWebRequest *req, const char *room, const char *category)
{
  g_autoptr(GError) error = NULL;
  gint64 limit = 100;
  perch_web_query_int (req, "limit", &limit);
  g_autoptr(GPtrArray) users = perch_admin_eligible (req->channel, req->actor, room, category,
                                                     perch_web_query (req, "text"), (guint) limit, &error);
  if (users == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  for (guint i = 0; i < users->len; i++)
    {
      PerchUser *user = g_ptr_array_index (users, i);
      JsonObject *obj = json_object_new ();
      json_object_set_string_member (obj, "uri", user->uri);
      json_object_set_string_member (obj, "display_name", user->display_name ? user->display_name : "");
      json_array_add_object_element (items, obj);
    }
  perch_web_reply (req, 200, perch_web_list_json (items, NULL));
}

static void
handle_category_eligible (PerchWebRequest *req)
{
  reply_eligible (req, NULL, perch_web_param (req, "category"));
}

/* ---- rooms ------------------------------------------------------------------------------ */

static void
handle_rooms_list (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  PerchRoomQuery query = PERCH_ROOM_QUERY_INIT;
  query.category = perch_web_query (req, "category");
  query.privacy = enum_index (privacy_values, perch_web_query (req, "privacy"), -1);
  query.type = enum_index (type_values, perch_web_query (req, "type"), -1);
  query.disabled = enum_index (bool_values, perch_web_query (req, "disabled"), -1);
  query.member = perch_web_query (req, "member");
  query.manager = perch_web_query (req, "manager");
  query.text = perch_web_query (req, "text");
  const char *mb = perch_web_query (req, "min_size_mb");
  if (mb != NULL)
    query.min_bytes = (gint64) (g_ascii_strtod (mb, NULL) * 1024 * 1024);
  query.sort = enum_index (sort_values, perch_web_query (req, "sort"), PERCH_ROOM_SORT_NAME);
  query.descending = enum_index (order_values, perch_web_query (req, "order"), 0) == 1;
  query.cursor = perch_web_query (req, "cursor");
  gint64 limit = 100;
  perch_web_query_int (req, "limit", &limit);
  query.limit = (guint) limit;
  g_autoptr(PerchRoomPage) page = perch_admin_room_list (req->channel, req->actor, &query, &error);
  if (page == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  for (guint i = 0; i < page->rooms->len; i++)
    json_array_add_element (items, perch_web_room_json (g_ptr_array_index (page->rooms, i)));
  perch_web_reply (req, 200, perch_web_list_json (items, page->next_cursor));
}

static void
reply_room (PerchWebRequest *req, int status, PerchRoomView *view, const GError *error)
{
  if (view == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  if (status == 201)
    set_location (req, "rooms", view->info->id);
  perch_web_reply (req, status, perch_web_room_json (view));
}

static void
handle_room_create (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) members = perch_web_get_strings (req->body, "members");
  g_auto(GStrv) managers = perch_web_get_strings (req->body, "managers");
  g_auto(GStrv) presenters = perch_web_get_strings (req->body, "presenters");
  const char *addin = perch_web_get_string (req->body, "addin", NULL);
  PerchRoomInfo info = {
    .name = (char *) perch_web_get_string (req->body, "name", ""),
    .description = (char *) perch_web_get_string (req->body, "description", ""),
    .privacy = enum_index (privacy_values, perch_web_get_string (req->body, "privacy", NULL), PERCH_PRIVACY_CLOSED),
    .type = enum_index (type_values, perch_web_get_string (req->body, "type", NULL), PERCH_ROOM_NORMAL),
    .disabled = perch_web_get_bool (req->body, "disabled", 0),
    .addin = addin && *addin ? (char *) addin : NULL,
    .invitations = g_strcmp0 (perch_web_get_string (req->body, "invitations", "inherit"), "off") != 0,
    .members = ptr_array_of (members),
    .managers = ptr_array_of (managers),
    .presenters = ptr_array_of (presenters),
  };
  g_autoptr(PerchRoomView) view = perch_admin_room_create (req->channel, req->actor, &info,
                                                           perch_web_get_string (req->body, "category", ""),
                                                           &error);
  g_ptr_array_unref (info.members);
  g_ptr_array_unref (info.managers);
  g_ptr_array_unref (info.presenters);
  reply_room (req, 201, view, error);
}

static void
handle_room_get (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchRoomView) view = perch_admin_room_get (req->channel, req->actor, perch_web_param (req, "room"), &error);
  reply_room (req, 200, view, error);
}

static void
handle_room_patch (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) members_add = NULL, members_remove = NULL, managers_add = NULL, managers_remove = NULL;
  g_auto(GStrv) presenters_add = NULL, presenters_remove = NULL;
  perch_web_get_edit (req->body, "members", &members_add, &members_remove);
  perch_web_get_edit (req->body, "managers", &managers_add, &managers_remove);
  perch_web_get_edit (req->body, "presenters", &presenters_add, &presenters_remove);
  PerchRoomPatch patch = PERCH_ROOM_PATCH_INIT;
  patch.name = perch_web_get_string (req->body, "name", NULL);
  patch.description = perch_web_get_string (req->body, "description", NULL);
  patch.category = perch_web_get_string (req->body, "category", NULL);
  patch.privacy = enum_index (privacy_values, perch_web_get_string (req->body, "privacy", NULL), -1);
  patch.type = enum_index (type_values, perch_web_get_string (req->body, "type", NULL), -1);
  patch.disabled = perch_web_get_bool (req->body, "disabled", -1);
  const char *invitations = perch_web_get_string (req->body, "invitations", NULL);
  patch.invitations = invitations ? g_strcmp0 (invitations, "off") != 0 : -1;
  if (json_object_has_member (req->body, "addin"))
    patch.addin = perch_web_get_string (req->body, "addin", "");   /* null clears */
  patch.members_add = (const char *const *) members_add;
  patch.members_remove = (const char *const *) members_remove;
  patch.managers_add = (const char *const *) managers_add;
  patch.managers_remove = (const char *const *) managers_remove;
  patch.presenters_add = (const char *const *) presenters_add;
  patch.presenters_remove = (const char *const *) presenters_remove;
  g_autoptr(PerchRoomView) view = perch_admin_room_update (req->channel, req->actor, perch_web_param (req, "room"),
                                                           &patch, &error);
  reply_room (req, 200, view, error);
}

static void
handle_room_delete (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  if (!perch_admin_room_delete (req->channel, req->actor, perch_web_param (req, "room"), &error))
    perch_web_reply_error (req, error);
  else
    perch_web_reply (req, 204, NULL);
}

static void
handle_room_eligible (PerchWebRequest *req)
{
  reply_eligible (req, perch_web_param (req, "room"), NULL);
}

/* History cursors: "b<id>" continues backwards from message ID;
 * "a<ts_us>.<id>" continues forwards after message ID of time TS_US. */
static gboolean
parse_history_cursor (const char *cursor, gint64 *before_id, gint64 *after_us, gint64 *after_id)
{
  if (cursor[0] == 'b')
    return g_ascii_string_to_signed (cursor + 1, 10, 1, G_MAXINT64, before_id, NULL);
  if (cursor[0] != 'a')
    return FALSE;
  g_auto(GStrv) parts = g_strsplit (cursor + 1, ".", 3);
  return g_strv_length (parts) == 2 &&
         g_ascii_string_to_signed (parts[0], 10, 1, G_MAXINT64, after_us, NULL) &&
         g_ascii_string_to_signed (parts[1], 10, 0, G_MAXINT64, after_id, NULL);
}

static void
handle_room_messages (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  gint64 limit = HISTORY_DEFAULT_LIMIT, before_id = 0, after_us = 0, after_id = 0;
  perch_web_query_int (req, "limit", &limit);
  perch_web_query_int (req, "before", &before_id);
  perch_web_query_time (req, "after", &after_us);
  const char *cursor = perch_web_query (req, "cursor");
  int given = (perch_web_query (req, "before") != NULL) + (perch_web_query (req, "after") != NULL) + (cursor != NULL);
  if (given > 1)
    {
      fail (req, PERCH_ERROR_BAD_REQUEST, "give at most one of before, after and cursor");
      return;
    }
  if (cursor != NULL && !parse_history_cursor (cursor, &before_id, &after_us, &after_id))
    {
      fail (req, PERCH_ERROR_BAD_REQUEST, "not a cursor this server gave");
      return;
    }
  gboolean forward = after_us != 0;
  guint ask = (guint) limit + (forward ? SAME_TS_SLACK : 0);
  g_autoptr(GPtrArray) messages = perch_admin_history (req->channel, req->actor, perch_web_param (req, "room"),
                                                       forward ? 0 : before_id, after_us, ask, &error);
  if (messages == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  const PerchMessage *first = NULL, *last = NULL;
  guint taken = 0;
  for (guint i = 0; i < messages->len && taken < (guint) limit; i++)
    {
      const PerchMessage *msg = g_ptr_array_index (messages, i);
      if (forward && (msg->ts_us < after_us || (msg->ts_us == after_us && msg->id <= after_id)))
        continue;
      json_array_add_element (items, perch_web_message_json (msg));
      if (first == NULL)
        first = msg;
      last = msg;
      taken++;
    }
  g_autofree char *next = NULL;
  if (taken == (guint) limit && taken > 0)
    next = forward ? g_strdup_printf ("a%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT, last->ts_us, last->id)
                   : g_strdup_printf ("b%" G_GINT64_FORMAT, first->id);
  perch_web_reply (req, 200, perch_web_list_json (items, next));
}

static void
handle_room_messages_remove (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keywords = perch_web_get_strings (req->body, "keywords");
  g_autoptr(GArray) ids = NULL;
  JsonNode *ids_node = json_object_get_member (req->body, "ids");
  if (ids_node != NULL)
    {
      JsonArray *array = json_node_get_array (ids_node);
      ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          gint64 id = json_array_get_int_element (array, i);
          g_array_append_val (ids, id);
        }
    }
  gint64 from_us = 0, to_us = 0;
  perch_parse_ts (perch_web_get_string (req->body, "from", NULL), &from_us);
  perch_parse_ts (perch_web_get_string (req->body, "to", NULL), &to_us);
  PerchMessageFilter filter = {
    .room_id = perch_web_param (req, "room"),
    .author = perch_web_get_string (req->body, "author", NULL),
    .keywords = (const char *const *) keywords,
    .mode = enum_index (match_values, perch_web_get_string (req->body, "mode", NULL), PERCH_MATCH_ALL),
    .match_case = perch_web_get_bool (req->body, "match_case", 0),
    .from_us = from_us,
    .to_us = to_us,
    .ids = ids,
  };
  const char *action = perch_web_get_string (req->body, "action", "replace");
  gboolean remove = strcmp (action, "remove") == 0;
  const char *replacement = perch_web_get_string (req->body, "replacement", NULL);
  if (remove && replacement != NULL)
    {
      fail (req, PERCH_ERROR_BAD_REQUEST, "“replacement” goes with action replace, not remove");
      return;
    }
  gint64 changed = perch_admin_messages_change (req->channel, req->actor, &filter,
                                                remove ? NULL : (replacement ? replacement : PERCH_DEFAULT_REPLACEMENT),
                                                &error);
  if (error != NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "action", remove ? "remove" : "replace");
  json_object_set_int_member (obj, "changed", changed);
  reply_object (req, 200, obj);
}

static void
handle_room_clear (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  gint64 up_to = 0;
  perch_parse_ts (perch_web_get_string (req->body, "up_to", NULL), &up_to);
  gint64 deleted = perch_admin_room_clear (req->channel, req->actor, perch_web_param (req, "room"), up_to, &error);
  if (error != NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "deleted", deleted);
  reply_object (req, 200, obj);
}

/* ---- users ------------------------------------------------------------------------------ */

static PerchUser *
find_user (GPtrArray *users, const char *uri)
{
  for (guint i = 0; uri && users && i < users->len; i++)
    {
      PerchUser *user = g_ptr_array_index (users, i);
      if (g_strcmp0 (user->uri, uri) == 0)
        return user;
    }
  return NULL;
}

static void
handle_users_list (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = perch_admin_user_list (req->channel, req->actor, &error);
  if (users == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  for (guint i = 0; i < users->len; i++)
    json_array_add_element (items, perch_web_user_json (g_ptr_array_index (users, i)));
  perch_web_reply (req, 200, perch_web_list_json (items, NULL));
}

/* The user at URI as the admin layer lists it; 403 or 404 answered. */
static void
reply_user (PerchWebRequest *req, int status, const char *uri)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = perch_admin_user_list (req->channel, req->actor, &error);
  if (users == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  PerchUser *user = find_user (users, uri);
  if (user == NULL)
    {
      fail (req, PERCH_ERROR_NOT_FOUND, "no such user");
      return;
    }
  if (status == 201)
    set_location (req, "users", uri);
  perch_web_reply (req, status, perch_web_user_json (user));
}

static char *
user_uri_param (PerchWebRequest *req)
{
  char *uri = perch_normalize_user_uri (perch_web_param (req, "user"));
  if (uri == NULL)
    fail (req, PERCH_ERROR_BAD_REQUEST, "not a user address (user@domain or sip:user@domain)");
  return uri;
}

static void
handle_user_get (PerchWebRequest *req)
{
  g_autofree char *uri = user_uri_param (req);
  if (uri != NULL)
    reply_user (req, 200, uri);
}

static void
handle_user_put (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = user_uri_param (req);
  if (uri == NULL)
    return;
  /* Members left out keep their current values; the list also tells
   * whether this creates (201) or updates (200). */
  g_autoptr(GPtrArray) users = perch_admin_user_list (req->channel, req->actor, &error);
  if (users == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  PerchUser *old = find_user (users, uri);
  const char *display_name = perch_web_get_string (req->body, "display_name",
                                                   old && old->display_name ? old->display_name : "");
  int admin = perch_web_get_bool (req->body, "admin", old ? old->admin : 0);
  int enabled = old ? old->enabled : -1;
  if (json_object_has_member (req->body, "enabled"))
    enabled = perch_web_get_bool (req->body, "enabled", -1);
  if (!perch_admin_user_put (req->channel, req->actor, uri, display_name,
                             perch_web_get_string (req->body, "password", NULL), admin, enabled, &error))
    {
      perch_web_reply_error (req, error);
      return;
    }
  reply_user (req, old ? 200 : 201, uri);
}

static void
handle_user_delete (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = user_uri_param (req);
  if (uri == NULL)
    return;
  if (!perch_admin_user_delete (req->channel, req->actor, uri, &error))
    perch_web_reply_error (req, error);
  else
    perch_web_reply (req, 204, NULL);
}

/* ---- groups ------------------------------------------------------------------------------- */

static JsonNode *
group_json (const char *name, GPtrArray *members)
{
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "name", name);
  json_object_set_member (obj, "members", perch_web_strings_json (members));
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

static void
handle_groups_list (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) groups = perch_admin_group_list (req->channel, req->actor, &error);
  if (groups == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) strcmp);
  JsonArray *items = json_array_new ();
  for (GList *l = names; l; l = l->next)
    json_array_add_element (items, group_json (l->data, g_hash_table_lookup (groups, l->data)));
  perch_web_reply (req, 200, perch_web_list_json (items, NULL));
}

static void
reply_group (PerchWebRequest *req, int status, const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) groups = perch_admin_group_list (req->channel, req->actor, &error);
  if (groups == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  GPtrArray *members = g_hash_table_lookup (groups, name);
  if (members == NULL)
    {
      fail (req, PERCH_ERROR_NOT_FOUND, "no such group");
      return;
    }
  if (status == 201)
    set_location (req, "groups", name);
  perch_web_reply (req, status, group_json (name, members));
}

static void
handle_group_get (PerchWebRequest *req)
{
  reply_group (req, 200, perch_web_param (req, "group"));
}

static void
handle_group_put (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  const char *name = perch_web_param (req, "group");
  g_autoptr(GHashTable) groups = perch_admin_group_list (req->channel, req->actor, &error);
  if (groups == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  gboolean existed = g_hash_table_contains (groups, name);
  g_auto(GStrv) members = perch_web_get_strings (req->body, "members");
  if (!perch_admin_group_put (req->channel, req->actor, name, (const char *const *) members, &error))
    {
      perch_web_reply_error (req, error);
      return;
    }
  reply_group (req, existed ? 200 : 201, name);
}

static void
handle_group_delete (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  if (!perch_admin_group_delete (req->channel, req->actor, perch_web_param (req, "group"), &error))
    perch_web_reply_error (req, error);
  else
    perch_web_reply (req, 204, NULL);
}

/* ---- add-ins ---------------------------------------------------------------------------------- */

static JsonNode *
addin_json (const PerchAddin *addin)
{
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "name", addin->name);
  json_object_set_string_member (obj, "url", addin->url);
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

static void
handle_addins_list (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) addins = perch_admin_addin_list (req->channel, req->actor, &error);
  if (addins == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  for (guint i = 0; i < addins->len; i++)
    json_array_add_element (items, addin_json (g_ptr_array_index (addins, i)));
  perch_web_reply (req, 200, perch_web_list_json (items, NULL));
}

static gboolean
addin_exists (GPtrArray *addins, const char *name)
{
  for (guint i = 0; addins && i < addins->len; i++)
    if (g_strcmp0 (((PerchAddin *) g_ptr_array_index (addins, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

static void
handle_addin_put (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  const char *name = perch_web_param (req, "addin");
  g_autoptr(GPtrArray) addins = perch_admin_addin_list (req->channel, req->actor, &error);
  if (addins == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  gboolean existed = addin_exists (addins, name);
  PerchAddin addin = { (char *) name, (char *) perch_web_get_string (req->body, "url", "") };
  if (!perch_admin_addin_put (req->channel, req->actor, addin.name, addin.url, &error))
    {
      perch_web_reply_error (req, error);
      return;
    }
  if (!existed)
    set_location (req, "addins", name);
  perch_web_reply (req, existed ? 200 : 201, addin_json (&addin));
}

static void
handle_addin_delete (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  if (!perch_admin_addin_delete (req->channel, req->actor, perch_web_param (req, "addin"), &error))
    perch_web_reply_error (req, error);
  else
    perch_web_reply (req, 204, NULL);
}

/* ---- audit ------------------------------------------------------------------------------------- */

static void
handle_audit (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  gint64 limit = 100, before = 0;
  perch_web_query_int (req, "limit", &limit);
  const char *cursor = perch_web_query (req, "cursor");
  if (cursor != NULL && !g_ascii_string_to_signed (cursor, 10, 1, G_MAXINT64, &before, NULL))
    {
      fail (req, PERCH_ERROR_BAD_REQUEST, "not a cursor this server gave");
      return;
    }
  g_autoptr(GPtrArray) entries = perch_admin_audit (req->channel, req->actor, before, (guint) limit, &error);
  if (entries == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  for (guint i = 0; i < entries->len; i++)
    json_array_add_element (items, perch_web_audit_json (g_ptr_array_index (entries, i)));
  g_autofree char *next = NULL;
  if (entries->len == (guint) limit && entries->len > 0)
    next = g_strdup_printf ("%" G_GINT64_FORMAT,
                            ((PerchAuditEntry *) g_ptr_array_index (entries, entries->len - 1))->id);
  perch_web_reply (req, 200, perch_web_list_json (items, next));
}

/* ---- the table ------------------------------------------------------------------------------------ */

static const PerchWebParam compliance_events_query[] = {
  { "cursor", PERCH_WEB_PARAM_STRING, .description = "next_cursor of the previous page" },
  { "limit", PERCH_WEB_PARAM_INT, NULL, 1, 1000, "default 100" },
  { NULL }
};

static const PerchWebParam rooms_query[] = {
  { "category", PERCH_WEB_PARAM_STRING, .description = "name or id" },
  { "privacy", PERCH_WEB_PARAM_ENUM, privacy_values },
  { "type", PERCH_WEB_PARAM_ENUM, type_values },
  { "disabled", PERCH_WEB_PARAM_BOOL },
  { "member", PERCH_WEB_PARAM_STRING, .description = "a principal listed as member" },
  { "manager", PERCH_WEB_PARAM_STRING, .description = "a principal listed as manager" },
  { "text", PERCH_WEB_PARAM_STRING, .description = "in the name or description, case-insensitive" },
  { "min_size_mb", PERCH_WEB_PARAM_NUMBER, .description = "content larger than this many MiB" },
  { "sort", PERCH_WEB_PARAM_ENUM, sort_values, .description = "default name" },
  { "order", PERCH_WEB_PARAM_ENUM, order_values, .description = "default asc" },
  { "cursor", PERCH_WEB_PARAM_STRING, .description = "next_cursor of the previous page" },
  { "limit", PERCH_WEB_PARAM_INT, NULL, 1, 1000, "default 100" },
  { NULL }
};

static const PerchWebParam eligible_query[] = {
  { "text", PERCH_WEB_PARAM_STRING, .description = "in the address or display name" },
  { "limit", PERCH_WEB_PARAM_INT, NULL, 1, 1000, "default 100" },
  { NULL }
};

static const PerchWebParam messages_query[] = {
  { "before", PERCH_WEB_PARAM_INT, NULL, 1, G_MAXINT64, "messages older than this message id (default: the newest)" },
  { "after", PERCH_WEB_PARAM_TIME, .description = "messages from this time on, oldest first" },
  { "cursor", PERCH_WEB_PARAM_STRING, .description = "next_cursor of the previous page: continues in the same direction" },
  { "limit", PERCH_WEB_PARAM_INT, NULL, 1, HISTORY_MAX_LIMIT, "default 50" },
  { NULL }
};

static const PerchWebParam audit_query[] = {
  { "cursor", PERCH_WEB_PARAM_STRING, .description = "next_cursor of the previous page" },
  { "limit", PERCH_WEB_PARAM_INT, NULL, 1, 1000, "default 100" },
  { NULL }
};

static const PerchWebParam export_query[] = {
  { "categories", PERCH_WEB_PARAM_STRING, .description = "category names, separated by commas (default: every category)" },
  { "from", PERCH_WEB_PARAM_TIME, .description = "content from this time on" },
  { "to", PERCH_WEB_PARAM_TIME, .description = "content up to this time" },
  { "content", PERCH_WEB_PARAM_BOOL, .description = "false: categories, rooms and lists only (default true)" },
  { NULL }
};

static const int E_NONE[] = { 0 };
static const int E_ADMIN[] = { 403, 0 };
static const int E_GET[] = { 404, 0 };
static const int E_ADMIN_GET[] = { 403, 404, 0 };
static const int E_CREATE[] = { 403, 404, 409, 413, 422, 0 };
static const int E_CHANGE[] = { 403, 404, 409, 413, 422, 0 };
static const int E_DELETE[] = { 403, 404, 422, 0 };
static const int E_LOGIN[] = { 401, 429, 0 };
static const int E_COMPLIANCE[] = { 403, 503, 0 };
static const int E_COMPLIANCE_RUN[] = { 403, 422, 503, 0 };
static const int E_FILE_PUT[] = { 403, 404, 503, 507, 0 };
static const int E_FILE_GET[] = { 403, 404, 503, 0 };
static const int E_EXPORT[] = { 403, 404, 503, 507, 0 };
static const int E_IMPORT[] = { 403, 422, 503, 507, 0 };

#define API "/api/v1"

const PerchWebRoute perch_web_route_table[] = {
  { "POST", API "/login", handle_login, PERCH_WEB_PUBLIC, "Sign in: a bearer token for an hour",
    NULL, "LoginRequest", 200, "Token", FALSE, E_LOGIN },
  { "POST", API "/logout", handle_logout, 0, "Revoke the bearer token sent", NULL, NULL, 204, NULL, FALSE, E_NONE },
  { "GET", API "/me", handle_me, 0, "Who the credentials name", NULL, NULL, 200, "Me", FALSE, E_NONE },
  { "GET", API "/openapi.json", handle_openapi, PERCH_WEB_PUBLIC, "This document",
    NULL, NULL, 200, "OpenAPI", FALSE, E_NONE },

  { "GET", API "/pool", handle_pool_get, 0, "Pool state, active servers, servers and configuration",
    NULL, NULL, 200, "Pool", FALSE, E_NONE },
  { "PATCH", API "/pool", handle_pool_patch, 0, "Set pool state and active servers (administrators)",
    NULL, "PoolPatch", 200, "Pool", FALSE, E_ADMIN },
  { "GET", API "/config", handle_config_get, 0, "Pool-wide configuration", NULL, NULL, 200, "Config", FALSE, E_NONE },
  { "PATCH", API "/config", handle_config_patch, 0, "Change configuration keys (administrators)",
    NULL, "ConfigPatch", 200, "Config", FALSE, E_ADMIN },
  { "GET", API "/policy", handle_policy_get, 0, "The global persistent chat policy",
    NULL, NULL, 200, "Policy", FALSE, E_NONE },
  { "PATCH", API "/policy", handle_policy_patch, 0, "Change the global policy (administrators)",
    NULL, "Policy", 200, "Policy", FALSE, E_ADMIN },

  { "GET", API "/categories", handle_categories_list, 0, "Categories the caller may see",
    NULL, NULL, 200, "Category", TRUE, E_NONE },
  { "POST", API "/categories", handle_category_create, 0, "Create a category (administrators)",
    NULL, "CategoryCreate", 201, "Category", FALSE, E_CREATE },
  { "GET", API "/categories/{category}", handle_category_get, 0, "One category",
    NULL, NULL, 200, "Category", FALSE, E_GET },
  { "PATCH", API "/categories/{category}", handle_category_patch, 0, "Change a category (administrators)",
    NULL, "CategoryPatch", 200, "Category", FALSE, E_CHANGE },
  { "DELETE", API "/categories/{category}", handle_category_delete, 0,
    "Delete an empty category (administrators; 422 while it holds rooms)", NULL, NULL, 204, NULL, FALSE, E_DELETE },
  { "GET", API "/categories/{category}/eligible", handle_category_eligible, 0,
    "Users who may be members, managers or presenters of rooms in the category",
    eligible_query, NULL, 200, "Principal", TRUE, E_ADMIN_GET },

  { "GET", API "/rooms", handle_rooms_list, 0, "Rooms the caller may find, filtered, sorted, one page",
    rooms_query, NULL, 200, "Room", TRUE, E_GET },
  { "POST", API "/rooms", handle_room_create, 0, "Create a room (creators of the category, administrators)",
    NULL, "RoomCreate", 201, "Room", FALSE, E_CREATE },
  { "GET", API "/rooms/{room}", handle_room_get, 0, "One room (a secret room is 404 to non-members)",
    NULL, NULL, 200, "Room", FALSE, E_GET },
  { "PATCH", API "/rooms/{room}", handle_room_patch, 0,
    "Change, disable, move a room or edit its lists (managers; moving: creators of the target, administrators)",
    NULL, "RoomPatch", 200, "Room", FALSE, E_CHANGE },
  { "DELETE", API "/rooms/{room}", handle_room_delete, 0, "Delete a room and its content (administrators)",
    NULL, NULL, 204, NULL, FALSE, E_ADMIN_GET },
  { "GET", API "/rooms/{room}/eligible", handle_room_eligible, 0,
    "Users who may be members, managers or presenters of the room",
    eligible_query, NULL, 200, "Principal", TRUE, E_ADMIN_GET },
  { "GET", API "/rooms/{room}/messages", handle_room_messages, 0,
    "History, oldest first: pages backwards by message id, or forwards from a time",
    messages_query, NULL, 200, "Message", TRUE, E_ADMIN_GET },
  { "POST", API "/rooms/{room}/messages/remove", handle_room_messages_remove, 0,
    "Replace or remove the messages a filter matches (administrators)",
    NULL, "MessageRemoval", 200, "MessageChange", FALSE, E_ADMIN_GET },
  { "POST", API "/rooms/{room}/clear", handle_room_clear, 0,
    "Delete the room's content up to and including a time (administrators)",
    NULL, "RoomClear", 200, "RoomCleared", FALSE, E_ADMIN_GET },

  { "GET", API "/users", handle_users_list, 0, "Users (administrators)", NULL, NULL, 200, "User", TRUE, E_ADMIN },
  { "GET", API "/users/{user}", handle_user_get, 0, "One user (administrators)",
    NULL, NULL, 200, "User", FALSE, E_ADMIN_GET },
  { "PUT", API "/users/{user}", handle_user_put, 0,
    "Create (201) or update (200) a user; members left out keep their values (administrators)",
    NULL, "UserPut", 200, "User", FALSE, E_CHANGE },
  { "DELETE", API "/users/{user}", handle_user_delete, 0, "Delete a user (administrators)",
    NULL, NULL, 204, NULL, FALSE, E_ADMIN_GET },

  { "GET", API "/groups", handle_groups_list, 0, "Groups of users", NULL, NULL, 200, "Group", TRUE, E_ADMIN },
  { "GET", API "/groups/{group}", handle_group_get, 0, "One group", NULL, NULL, 200, "Group", FALSE, E_ADMIN_GET },
  { "PUT", API "/groups/{group}", handle_group_put, 0, "Create (201) or replace (200) a group (administrators)",
    NULL, "GroupPut", 200, "Group", FALSE, E_CHANGE },
  { "DELETE", API "/groups/{group}", handle_group_delete, 0, "Delete a group (administrators)",
    NULL, NULL, 204, NULL, FALSE, E_ADMIN_GET },

  { "GET", API "/addins", handle_addins_list, 0, "Add-ins of the pool", NULL, NULL, 200, "Addin", TRUE, E_ADMIN },
  { "PUT", API "/addins/{addin}", handle_addin_put, 0, "Register (201) or change (200) an add-in (administrators)",
    NULL, "AddinPut", 200, "Addin", FALSE, E_CHANGE },
  { "DELETE", API "/addins/{addin}", handle_addin_delete, 0, "Remove an add-in (administrators)",
    NULL, NULL, 204, NULL, FALSE, E_ADMIN_GET },

  { "GET", API "/audit", handle_audit, 0, "Who did what, newest first (administrators)",
    audit_query, NULL, 200, "AuditEntry", TRUE, E_ADMIN },

  { "GET", API "/compliance", perch_web_handle_compliance, 0,
    "The compliance queue: pending events by type, the oldest, the last runs, the configuration (administrators)",
    NULL, NULL, 200, "Compliance", FALSE, E_COMPLIANCE },
  { "GET", API "/compliance/events", perch_web_handle_compliance_events, 0,
    "Pending compliance events, oldest first (administrators)",
    compliance_events_query, NULL, 200, "ComplianceEvent", TRUE, E_COMPLIANCE },
  { "POST", API "/compliance/run", perch_web_handle_compliance_run, 0,
    "Run compliance now; its outcome shows in GET /compliance (administrators)",
    NULL, NULL, 202, "ComplianceStarted", FALSE, E_COMPLIANCE_RUN },

  { "GET", API "/export", perch_web_handle_export, 0,
    "Export categories, rooms, their lists and content as JSON Lines (administrators)",
    export_query, NULL, 200, NULL, FALSE, E_EXPORT, NULL, "application/x-ndjson" },
  { "POST", API "/import", perch_web_handle_import, 0,
    "Import an archive from GET /export; a malformed or truncated one changes nothing (administrators)",
    NULL, NULL, 200, "ImportReport", FALSE, E_IMPORT, "application/x-ndjson", NULL, perch_web_begin_import },

  /* Files in rooms: the URLs cmd:getfutok and cmd:getfdtok hand out. */
  { "PUT", "/files/{token}", perch_web_handle_file_put, 0,
    "Upload a file's bytes with a token from cmd:getfutok (its user only; at most max_file_size_kb)",
    NULL, NULL, 201, "File", FALSE, E_FILE_PUT, "application/octet-stream", NULL, perch_web_begin_file_put },
  { "GET", "/files/{token}", perch_web_handle_file_get, 0,
    "Download a file with a token from cmd:getfdtok (its user only)",
    NULL, NULL, 200, NULL, FALSE, E_FILE_GET, NULL, "application/octet-stream" },
  { NULL }
};

const char *
perch_web_path_param_description (const char *name)
{
  if (strcmp (name, "room") == 0)
    return "the room's id, its ma-chan:// URI or its exact name (URL-encoded)";
  if (strcmp (name, "category") == 0)
    return "the category's name or id";
  if (strcmp (name, "user") == 0)
    return "user@domain or sip:user@domain";
  if (strcmp (name, "group") == 0)
    return "the group's name";
  if (strcmp (name, "addin") == 0)
    return "the add-in's name";
  if (strcmp (name, "token") == 0)
    return "the token of a cmd:getfutok or cmd:getfdtok reply: single-use, for five minutes";
  return name;
}
