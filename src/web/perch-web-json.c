/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-json.c: the JSON side of the web service — the schemas of
 * every body and response, the strict parser and checker for what clients
 * send, and the encoders for what the admin layer returns.
 *
 * json-glib accepts any nesting, repeated member names (the last wins) and
 * "\u0000" inside strings (which C then cuts short); none of those is what a
 * client meant, so each is refused here before a handler sees the body. */
#include "config.h"

#include <string.h>

#include "perch-web-private.h"

/* ---- schemas ------------------------------------------------------------ */

static const char *const privacy_values[] = { "open", "closed", "secret", NULL };
static const char *const type_values[] = { "normal", "auditorium", NULL };
static const char *const invitations_values[] = { "inherit", "off", NULL };
static const char *const pool_state_values[] = { "normal", "failed-over", NULL };
static const char *const match_values[] = { "all", "any", "exact", NULL };
static const char *const action_values[] = { "replace", "remove", NULL };
static const char *const state_values[] = { "normal", "replaced", "removed", NULL };

#define END { NULL }

static const PerchWebField login_fields[] = {
  { "user", PERCH_WEB_STRING, TRUE, .description = "alice@example.test or sip:alice@example.test" },
  { "password", PERCH_WEB_STRING, TRUE },
  END
};

static const PerchWebField token_fields[] = {
  { "token", PERCH_WEB_STRING, TRUE, .description = "send as Authorization: Bearer TOKEN" },
  { "expires", PERCH_WEB_TIME, TRUE },
  { "user", PERCH_WEB_STRING, TRUE },
  END
};

static const PerchWebField me_fields[] = {
  { "user", PERCH_WEB_STRING, TRUE },
  { "admin", PERCH_WEB_BOOL, TRUE },
  END
};

static const PerchWebField error_detail_fields[] = {
  { "code", PERCH_WEB_STRING, TRUE,
    .description = "bad_request, unauthorized, forbidden, not_found, method_not_allowed, conflict, length_required, "
                   "too_large, rule_violation, too_many_requests, server_error, busy or insufficient_storage" },
  { "status", PERCH_WEB_INT, TRUE },
  { "message", PERCH_WEB_STRING, TRUE, .description = "for people; a rule violation names the rule" },
  END
};

static const PerchWebField error_fields[] = {
  { "error", PERCH_WEB_OBJECT, TRUE, .ref = "ErrorDetail" },
  END
};

static const PerchWebField server_fields[] = {
  { "uri", PERCH_WEB_STRING, TRUE },
  { "active", PERCH_WEB_BOOL, TRUE, .description = "on the pool's active server list (an empty list means all)" },
  { "sessions", PERCH_WEB_INT, TRUE },
  { "joined_rooms", PERCH_WEB_INT, TRUE, .description = "rooms with at least one session" },
  { "posts_per_second", PERCH_WEB_NUMBER, TRUE, .description = "over the last minute" },
  { "uptime_s", PERCH_WEB_INT, TRUE },
  { "version", PERCH_WEB_STRING, TRUE },
  END
};

static const PerchWebField pool_fields[] = {
  { "state", PERCH_WEB_ENUM, TRUE, .values = pool_state_values },
  { "active_servers", PERCH_WEB_STRINGS, TRUE, .description = "server URIs; empty: every server is active" },
  { "servers", PERCH_WEB_OBJECTS, TRUE, .ref = "Server" },
  { "configuration", PERCH_WEB_OBJECT, TRUE, .ref = "Config" },
  END
};

static const PerchWebField pool_patch_fields[] = {
  { "state", PERCH_WEB_ENUM, FALSE, .values = pool_state_values },
  { "active_servers", PERCH_WEB_STRINGS, FALSE, .description = "server URIs; empty: every server is active" },
  END
};

static const PerchWebField policy_fields[] = {
  { "enable_persistent_chat", PERCH_WEB_BOOL, TRUE,
    .description = "the global default; a user's own `enabled` overrides it" },
  END
};

static const PerchWebField category_fields[] = {
  { "id", PERCH_WEB_INT, TRUE },
  { "uri", PERCH_WEB_STRING, TRUE, .description = "ma-cat://domain/id" },
  { "name", PERCH_WEB_STRING, TRUE },
  { "description", PERCH_WEB_STRING, TRUE },
  { "file_upload", PERCH_WEB_BOOL, TRUE },
  { "chat_history", PERCH_WEB_BOOL, TRUE, .description = "false: posts are delivered and archived, not stored" },
  { "invitations", PERCH_WEB_BOOL, TRUE },
  { "allowed", PERCH_WEB_STRINGS, TRUE, .description = "principals: sip:user@domain, group:NAME, domain:DOMAIN" },
  { "denied", PERCH_WEB_STRINGS, TRUE, .description = "overrides allowed" },
  { "creators", PERCH_WEB_STRINGS, TRUE, .description = "may create rooms in the category" },
  END
};

static const PerchWebField category_create_fields[] = {
  { "name", PERCH_WEB_STRING, TRUE },
  { "description", PERCH_WEB_STRING, FALSE, .description = "default empty" },
  { "file_upload", PERCH_WEB_BOOL, FALSE, .description = "default true" },
  { "chat_history", PERCH_WEB_BOOL, FALSE, .description = "default true" },
  { "invitations", PERCH_WEB_BOOL, FALSE, .description = "default true" },
  { "allowed", PERCH_WEB_STRINGS, FALSE },
  { "denied", PERCH_WEB_STRINGS, FALSE },
  { "creators", PERCH_WEB_STRINGS, FALSE },
  END
};

static const PerchWebField category_patch_fields[] = {
  { "name", PERCH_WEB_STRING, FALSE },
  { "description", PERCH_WEB_STRING, FALSE },
  { "file_upload", PERCH_WEB_BOOL, FALSE },
  { "chat_history", PERCH_WEB_BOOL, FALSE },
  { "invitations", PERCH_WEB_BOOL, FALSE },
  { "allowed", PERCH_WEB_EDIT, FALSE },
  { "denied", PERCH_WEB_EDIT, FALSE },
  { "creators", PERCH_WEB_EDIT, FALSE },
  END
};

static const PerchWebField room_fields[] = {
  { "id", PERCH_WEB_STRING, TRUE },
  { "uri", PERCH_WEB_STRING, TRUE, .description = "ma-chan://domain/id" },
  { "name", PERCH_WEB_STRING, TRUE },
  { "description", PERCH_WEB_STRING, TRUE },
  { "category", PERCH_WEB_STRING, TRUE, .description = "the category's name" },
  { "category_id", PERCH_WEB_INT, TRUE },
  { "privacy", PERCH_WEB_ENUM, TRUE, .values = privacy_values },
  { "type", PERCH_WEB_ENUM, TRUE, .values = type_values },
  { "disabled", PERCH_WEB_BOOL, TRUE },
  { "invitations", PERCH_WEB_ENUM, TRUE, .values = invitations_values },
  { "addin", PERCH_WEB_STRING, TRUE, .nullable = TRUE },
  { "members", PERCH_WEB_STRINGS, TRUE, .description = "empty: the category's allowed principals" },
  { "managers", PERCH_WEB_STRINGS, TRUE },
  { "presenters", PERCH_WEB_STRINGS, TRUE },
  { "created", PERCH_WEB_TIME, TRUE },
  { "participants", PERCH_WEB_INT, TRUE, .description = "users in the room now" },
  { "messages", PERCH_WEB_INT, TRUE, .description = "stored, not removed" },
  { "bytes", PERCH_WEB_INT, TRUE, .description = "of their content" },
  { "last_post", PERCH_WEB_TIME, TRUE, .nullable = TRUE },
  END
};

static const PerchWebField room_create_fields[] = {
  { "name", PERCH_WEB_STRING, TRUE },
  { "category", PERCH_WEB_STRING, TRUE, .description = "name or id" },
  { "description", PERCH_WEB_STRING, FALSE },
  { "privacy", PERCH_WEB_ENUM, FALSE, .values = privacy_values, .description = "default closed" },
  { "type", PERCH_WEB_ENUM, FALSE, .values = type_values, .description = "default normal" },
  { "disabled", PERCH_WEB_BOOL, FALSE },
  { "invitations", PERCH_WEB_ENUM, FALSE, .values = invitations_values, .description = "default inherit" },
  { "addin", PERCH_WEB_STRING, FALSE, .nullable = TRUE },
  { "members", PERCH_WEB_STRINGS, FALSE },
  { "managers", PERCH_WEB_STRINGS, FALSE, .description = "the creator is always added" },
  { "presenters", PERCH_WEB_STRINGS, FALSE },
  END
};

static const PerchWebField room_patch_fields[] = {
  { "name", PERCH_WEB_STRING, FALSE },
  { "description", PERCH_WEB_STRING, FALSE },
  { "category", PERCH_WEB_STRING, FALSE,
    .description = "name or id: moves the room; list entries the new category does not allow are dropped" },
  { "privacy", PERCH_WEB_ENUM, FALSE, .values = privacy_values },
  { "type", PERCH_WEB_ENUM, FALSE, .values = type_values },
  { "disabled", PERCH_WEB_BOOL, FALSE, .description = "true parts every session at once" },
  { "invitations", PERCH_WEB_ENUM, FALSE, .values = invitations_values },
  { "addin", PERCH_WEB_STRING, FALSE, .nullable = TRUE, .description = "null clears it" },
  { "members", PERCH_WEB_EDIT, FALSE, .description = "removed members are parted at once" },
  { "managers", PERCH_WEB_EDIT, FALSE },
  { "presenters", PERCH_WEB_EDIT, FALSE },
  END
};

static const PerchWebField principal_fields[] = {
  { "uri", PERCH_WEB_STRING, TRUE },
  { "display_name", PERCH_WEB_STRING, TRUE },
  END
};

static const PerchWebField message_fields[] = {
  { "id", PERCH_WEB_INT, TRUE },
  { "room", PERCH_WEB_STRING, TRUE, .description = "the room's id" },
  { "author", PERCH_WEB_STRING, TRUE },
  { "ts", PERCH_WEB_TIME, TRUE },
  { "content", PERCH_WEB_STRING, TRUE },
  { "state", PERCH_WEB_ENUM, TRUE, .values = state_values,
    .description = "removed messages are shown to administrators only" },
  END
};

static const PerchWebField message_removal_fields[] = {
  { "author", PERCH_WEB_STRING, FALSE, .description = "only this user's messages" },
  { "keywords", PERCH_WEB_STRINGS, FALSE, .description = "empty: any content" },
  { "mode", PERCH_WEB_ENUM, FALSE, .values = match_values,
    .description = "all keywords, any keyword, or content exactly the keywords joined by spaces; default all" },
  { "match_case", PERCH_WEB_BOOL, FALSE, .description = "default false" },
  { "from", PERCH_WEB_TIME, FALSE, .description = "inclusive" },
  { "to", PERCH_WEB_TIME, FALSE, .description = "inclusive" },
  { "ids", PERCH_WEB_INTS, FALSE, .description = "only these message ids" },
  { "action", PERCH_WEB_ENUM, FALSE, .values = action_values,
    .description = "replace the text (default) or remove without trace" },
  { "replacement", PERCH_WEB_STRING, FALSE,
    .description = "with action replace; default \"" PERCH_DEFAULT_REPLACEMENT "\"" },
  END
};

static const PerchWebField message_change_fields[] = {
  { "action", PERCH_WEB_ENUM, TRUE, .values = action_values },
  { "changed", PERCH_WEB_INT, TRUE, .description = "messages removed or replaced" },
  END
};

static const PerchWebField room_clear_fields[] = {
  { "up_to", PERCH_WEB_TIME, TRUE, .description = "inclusive" },
  END
};

static const PerchWebField room_cleared_fields[] = {
  { "deleted", PERCH_WEB_INT, TRUE },
  END
};

static const PerchWebField user_fields[] = {
  { "uri", PERCH_WEB_STRING, TRUE },
  { "display_name", PERCH_WEB_STRING, TRUE },
  { "admin", PERCH_WEB_BOOL, TRUE },
  { "enabled", PERCH_WEB_BOOL, TRUE, .nullable = TRUE,
    .description = "persistent chat for this user; null: the global policy decides" },
  END
};

static const PerchWebField user_put_fields[] = {
  { "display_name", PERCH_WEB_STRING, FALSE, .description = "default empty" },
  { "password", PERCH_WEB_STRING, FALSE, .description = "required for a new user; absent keeps the old one" },
  { "admin", PERCH_WEB_BOOL, FALSE, .description = "default false" },
  { "enabled", PERCH_WEB_BOOL, FALSE, .nullable = TRUE,
    .description = "persistent chat for this user; null or absent: the global policy decides" },
  END
};

static const PerchWebField group_fields[] = {
  { "name", PERCH_WEB_STRING, TRUE, .description = "lists name it group:NAME" },
  { "members", PERCH_WEB_STRINGS, TRUE },
  END
};

static const PerchWebField group_put_fields[] = {
  { "members", PERCH_WEB_STRINGS, TRUE, .description = "user URIs; replaces the group's members" },
  END
};

static const PerchWebField addin_fields[] = {
  { "name", PERCH_WEB_STRING, TRUE },
  { "url", PERCH_WEB_STRING, TRUE },
  END
};

static const PerchWebField addin_put_fields[] = {
  { "url", PERCH_WEB_STRING, TRUE, .description = "http:// or https://" },
  END
};

static const PerchWebField audit_fields[] = {
  { "id", PERCH_WEB_INT, TRUE },
  { "ts", PERCH_WEB_TIME, TRUE },
  { "actor", PERCH_WEB_STRING, TRUE },
  { "action", PERCH_WEB_STRING, TRUE, .description = "room.create, message.replace, ..." },
  { "target", PERCH_WEB_STRING, TRUE },
  { "detail", PERCH_WEB_STRING, TRUE, .nullable = TRUE },
  END
};

static const PerchWebField file_fields[] = {
  { "id", PERCH_WEB_STRING, TRUE, .description = "32 hex digits" },
  { "name", PERCH_WEB_STRING, TRUE, .description = "the display name given to cmd:getfutok, sanitized" },
  { "size", PERCH_WEB_INT, TRUE, .description = "bytes" },
  { "sha256", PERCH_WEB_STRING, TRUE, .description = "of the bytes stored, in hex" },
  { "link", PERCH_WEB_STRING, TRUE, .description = "ma-filelink:ID, for a post to refer to it" },
  END
};

static const PerchWebField import_report_fields[] = {
  { "categories_created", PERCH_WEB_INT, TRUE },
  { "categories_existing", PERCH_WEB_INT, TRUE, .description = "matched by name and used as they are" },
  { "rooms_created", PERCH_WEB_INT, TRUE },
  { "rooms_skipped", PERCH_WEB_INT, TRUE, .description = "a room of that name existed: left alone, content not imported" },
  { "messages", PERCH_WEB_INT, TRUE },
  { "notes", PERCH_WEB_STRINGS, TRUE, .description = "what was skipped and why" },
  END
};

static const PerchWebField compliance_run_fields[] = {
  { "id", PERCH_WEB_INT, TRUE },
  { "first_event_id", PERCH_WEB_INT, TRUE, .description = "the range of events, both ends included" },
  { "last_event_id", PERCH_WEB_INT, TRUE },
  { "events", PERCH_WEB_INT, TRUE },
  { "adapter", PERCH_WEB_STRING, TRUE, .description = "xml or command" },
  { "state", PERCH_WEB_STRING, TRUE, .description = "planned, done or failed" },
  { "started", PERCH_WEB_TIME, TRUE },
  { "finished", PERCH_WEB_TIME, TRUE, .nullable = TRUE },
  { "duration_ms", PERCH_WEB_INT, TRUE },
  { "error", PERCH_WEB_STRING, TRUE, .nullable = TRUE, .description = "why the adapter failed" },
  END
};

static const PerchWebField compliance_fields[] = {
  { "enabled", PERCH_WEB_BOOL, TRUE },
  { "running", PERCH_WEB_BOOL, TRUE, .description = "a run is in progress" },
  { "pending", PERCH_WEB_INT, TRUE, .description = "events waiting for the adapter" },
  { "pending_by_type", PERCH_WEB_OBJECT, TRUE, .ref = "ComplianceCounts" },
  { "oldest_pending", PERCH_WEB_TIME, TRUE, .nullable = TRUE },
  { "next_run", PERCH_WEB_TIME, TRUE, .nullable = TRUE },
  { "output_dir", PERCH_WEB_STRING, TRUE },
  { "config", PERCH_WEB_OBJECT, TRUE, .ref = "Config" },
  { "runs", PERCH_WEB_OBJECTS, TRUE, .ref = "ComplianceRun", .description = "the last runs, newest first" },
  END
};

static const PerchWebField compliance_event_fields[] = {
  { "id", PERCH_WEB_INT, TRUE },
  { "type", PERCH_WEB_STRING, TRUE, .description = "JOIN, PART, CHAT, BACKCHAT, FILEUPLOAD, FILEDOWNLOAD, REMOVE, REPLACE, CLEAR" },
  { "room", PERCH_WEB_STRING, TRUE, .description = "room id" },
  { "user", PERCH_WEB_STRING, TRUE },
  { "ts", PERCH_WEB_TIME, TRUE },
  { "content", PERCH_WEB_STRING, TRUE, .nullable = TRUE },
  { "msg_id", PERCH_WEB_INT, TRUE, .description = "the message it describes, or 0" },
  END
};

static const PerchWebField compliance_started_fields[] = {
  { "started", PERCH_WEB_BOOL, TRUE },
  END
};

static const PerchWebField no_fields[] = { END };

/* Config and ConfigPatch are open objects (any key, scalar values): their
 * keys belong to the admin layer, which refuses unknown ones. */
const PerchWebSchema perch_web_schemas[] = {
  { "LoginRequest", "User and password, as for SIP sign-in", login_fields },
  { "Token", "A bearer token", token_fields },
  { "Me", "Who the credentials name", me_fields },
  { "Error", "Every error answer", error_fields },
  { "ErrorDetail", NULL, error_detail_fields },
  { "Server", "One server of the pool and its figures", server_fields },
  { "Pool", "The pool: state, active servers, servers, configuration", pool_fields },
  { "PoolPatch", "Pool state and active servers (administrators)", pool_patch_fields },
  { "Config", "Pool-wide configuration, key -> value as text (null: unset, no default)", no_fields,
    "{\"type\": \"string\", \"nullable\": true}" },
  { "ConfigPatch", "Keys to set, with string, number or boolean values; an unknown key changes nothing",
    no_fields, "{\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"number\"}, {\"type\": \"boolean\"}]}" },
  { "Policy", "The global persistent chat policy", policy_fields },
  { "Category", NULL, category_fields },
  { "CategoryCreate", NULL, category_create_fields },
  { "CategoryPatch", "Only the members given change; lists are edited by add/remove", category_patch_fields },
  { "Room", NULL, room_fields },
  { "RoomCreate", NULL, room_create_fields },
  { "RoomPatch", "Only the members given change; lists are edited by add/remove", room_patch_fields },
  { "Principal", "A user who may be a member, manager or presenter", principal_fields },
  { "Message", NULL, message_fields },
  { "MessageRemoval", "Which messages to remove or replace: every member given narrows the match",
    message_removal_fields },
  { "MessageChange", NULL, message_change_fields },
  { "RoomClear", NULL, room_clear_fields },
  { "RoomCleared", NULL, room_cleared_fields },
  { "User", NULL, user_fields },
  { "UserPut", "Creates or replaces a user", user_put_fields },
  { "Group", NULL, group_fields },
  { "GroupPut", NULL, group_put_fields },
  { "Addin", NULL, addin_fields },
  { "AddinPut", NULL, addin_put_fields },
  { "AuditEntry", "Who did what", audit_fields },
  { "File", "A file stored in a room", file_fields },
  { "ImportReport", "What an import did", import_report_fields },
  { "Compliance", "The compliance queue: pending events, the last runs, the configuration in force", compliance_fields },
  { "ComplianceCounts", "Pending events by type", no_fields, "{\"type\": \"integer\"}" },
  { "ComplianceRun", "One run: a range of events handed to the adapter", compliance_run_fields },
  { "ComplianceEvent", "A pending compliance event", compliance_event_fields },
  { "ComplianceStarted", NULL, compliance_started_fields },
  { "OpenAPI", "This document", no_fields, "{}" },
  { NULL }
};

const PerchWebSchema *
perch_web_schema_lookup (const char *name)
{
  for (guint i = 0; name && perch_web_schemas[i].name; i++)
    if (strcmp (perch_web_schemas[i].name, name) == 0)
      return &perch_web_schemas[i];
  return NULL;
}

/* ---- parsing -------------------------------------------------------------- */

/* One pass over the text before json-glib sees it: nesting depth and
 * "\u0000" escapes. Strings are followed exactly (escapes included) so
 * brackets inside them do not count. */
static gboolean
prescan (const char *data, gsize len, GError **error)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];
      if (c == '\0')
        {
          g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "the body holds a NUL byte");
          return FALSE;
        }
      if (in_string)
        {
          if (c == '\\' && i + 1 < len)
            {
              if (data[i + 1] == 'u' && i + 5 < len && strncmp (data + i + 2, "0000", 4) == 0)
                {
                  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                                       "strings may not hold NUL characters (\\u0000)");
                  return FALSE;
                }
              i++;
            }
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > PERCH_WEB_MAX_DEPTH)
            {
              g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "JSON nested deeper than %d levels", PERCH_WEB_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
    }
  return TRUE;
}

typedef struct {
  GHashTable *seen;        /* JsonObject* -> members parsed so far */
  char       *duplicate;   /* the first repeated name */
} DuplicateCheck;

/* json-glib emits object-member after setting the member; a repeated name
 * replaces the old one, so the object stops growing: that is how a
 * repetition shows. */
static void
on_object_member (JsonParser *parser, JsonObject *object, const char *name, DuplicateCheck *check)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (check->seen, object)) + 1;
  g_hash_table_insert (check->seen, object, GUINT_TO_POINTER (n));
  if (json_object_get_size (object) < n && check->duplicate == NULL)
    check->duplicate = g_strdup (name);
}

JsonNode *
perch_web_parse_body (const char *data, gsize len, GError **error)
{
  if (!prescan (data, len, error))
    return NULL;
  if (!g_utf8_validate (data, len, NULL))
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "the body is not UTF-8");
      return NULL;
    }
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  DuplicateCheck check = { g_hash_table_new (NULL, NULL), NULL };
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), &check);
  g_autoptr(GError) local = NULL;
  gboolean ok = json_parser_load_from_data (parser, data, (gssize) len, &local);
  g_hash_table_unref (check.seen);
  g_autofree char *duplicate = check.duplicate;
  if (!ok)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "malformed JSON: %s", local->message);
      return NULL;
    }
  if (duplicate != NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "member “%s” is given twice", duplicate);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "the body must be a JSON object");
      return NULL;
    }
  return json_node_copy (root);
}

/* ---- checking --------------------------------------------------------------- */

static gboolean
is_value (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
is_string_array (JsonNode *node)
{
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  JsonArray *array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!is_value (json_array_get_element (array, i), G_TYPE_STRING))
      return FALSE;
  return TRUE;
}

static const char *
type_phrase (const PerchWebField *field)
{
  switch (field->type)
    {
    case PERCH_WEB_STRING: return "a string";
    case PERCH_WEB_BOOL: return "true or false";
    case PERCH_WEB_INT: return "an integer";
    case PERCH_WEB_NUMBER: return "a number";
    case PERCH_WEB_TIME: return "an ISO-8601 date-time with a zone, as a string";
    case PERCH_WEB_ENUM: return "one of the listed strings";
    case PERCH_WEB_STRINGS: return "an array of strings";
    case PERCH_WEB_INTS: return "an array of integers";
    case PERCH_WEB_EDIT: return "{\"add\": [...], \"remove\": [...]}";
    case PERCH_WEB_OBJECT:
    case PERCH_WEB_OBJECTS: return "an object";
    }
  return "?";
}

static gboolean
check_field (const PerchWebField *field, JsonNode *node, GError **error)
{
  gboolean ok = FALSE;
  if (JSON_NODE_HOLDS_NULL (node))
    ok = field->nullable;
  else
    switch (field->type)
      {
      case PERCH_WEB_STRING:
        ok = is_value (node, G_TYPE_STRING);
        break;
      case PERCH_WEB_BOOL:
        ok = is_value (node, G_TYPE_BOOLEAN);
        break;
      case PERCH_WEB_INT:
        ok = is_value (node, G_TYPE_INT64) && (field->max == 0 || json_node_get_int (node) <= field->max);
        break;
      case PERCH_WEB_NUMBER:
        ok = is_value (node, G_TYPE_INT64) || is_value (node, G_TYPE_DOUBLE);
        break;
      case PERCH_WEB_TIME:
        {
          gint64 ts;
          ok = is_value (node, G_TYPE_STRING) && perch_parse_ts (json_node_get_string (node), &ts);
          break;
        }
      case PERCH_WEB_ENUM:
        ok = is_value (node, G_TYPE_STRING) && g_strv_contains (field->values, json_node_get_string (node));
        break;
      case PERCH_WEB_STRINGS:
        ok = is_string_array (node);
        break;
      case PERCH_WEB_INTS:
        if (JSON_NODE_HOLDS_ARRAY (node))
          {
            JsonArray *array = json_node_get_array (node);
            ok = TRUE;
            for (guint i = 0; ok && i < json_array_get_length (array); i++)
              ok = is_value (json_array_get_element (array, i), G_TYPE_INT64);
          }
        break;
      case PERCH_WEB_EDIT:
        if (JSON_NODE_HOLDS_OBJECT (node))
          {
            JsonObject *obj = json_node_get_object (node);
            g_autoptr(GList) names = json_object_get_members (obj);
            ok = TRUE;
            for (GList *l = names; ok && l; l = l->next)
              ok = (strcmp (l->data, "add") == 0 || strcmp (l->data, "remove") == 0) &&
                   is_string_array (json_object_get_member (obj, l->data));
          }
        break;
      case PERCH_WEB_OBJECT:
      case PERCH_WEB_OBJECTS:
        ok = FALSE;   /* response-only types are never accepted */
        break;
      }
  if (!ok)
    {
      if (field->type == PERCH_WEB_ENUM)
        {
          g_autofree char *values = g_strjoinv (", ", (char **) field->values);
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” must be one of: %s%s",
                       field->name, values, field->nullable ? ", or null" : "");
        }
      else if (field->type == PERCH_WEB_INT && field->max > 0 && is_value (node, G_TYPE_INT64))
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” must be at most %" G_GINT64_FORMAT,
                     field->name, field->max);
      else
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” must be %s%s",
                     field->name, type_phrase (field), field->nullable ? " or null" : "");
    }
  return ok;
}

gboolean
perch_web_check_object (JsonNode *node, const PerchWebSchema *schema, GError **error)
{
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "the body must be a JSON object");
      return FALSE;
    }
  JsonObject *obj = json_node_get_object (node);
  gboolean open = schema->additional != NULL;   /* Config-like: any key, scalar values */
  g_autoptr(GList) names = json_object_get_members (obj);
  for (GList *l = names; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *member = json_object_get_member (obj, name);
      const PerchWebField *field = NULL;
      for (guint i = 0; schema->fields[i].name; i++)
        if (strcmp (schema->fields[i].name, name) == 0)
          field = &schema->fields[i];
      if (open)
        {
          if (!JSON_NODE_HOLDS_VALUE (member))
            {
              g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "“%s” must be a string, a number or a boolean", name);
              return FALSE;
            }
          continue;
        }
      if (field == NULL)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "unknown member “%s”", name);
          return FALSE;
        }
      if (!check_field (field, member, error))
        return FALSE;
    }
  for (guint i = 0; schema->fields[i].name; i++)
    if (schema->fields[i].required && !json_object_has_member (obj, schema->fields[i].name))
      {
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "“%s” is required", schema->fields[i].name);
        return FALSE;
      }
  return TRUE;
}

/* ---- reading checked objects ------------------------------------------------- */

static JsonNode *
present (JsonObject *obj, const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;
  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

const char *
perch_web_get_string (JsonObject *obj, const char *name, const char *fallback)
{
  JsonNode *node = present (obj, name);
  return node ? json_node_get_string (node) : fallback;
}

int
perch_web_get_bool (JsonObject *obj, const char *name, int fallback)
{
  JsonNode *node = present (obj, name);
  return node ? (json_node_get_boolean (node) ? 1 : 0) : fallback;
}

static char **
strings_of (JsonNode *node)
{
  if (node == NULL)
    return NULL;
  JsonArray *array = json_node_get_array (node);
  guint n = json_array_get_length (array);
  char **out = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (json_array_get_string_element (array, i));
  return out;
}

char **
perch_web_get_strings (JsonObject *obj, const char *name)
{
  return strings_of (present (obj, name));
}

void
perch_web_get_edit (JsonObject *obj, const char *name, char ***add, char ***remove)
{
  JsonNode *node = present (obj, name);
  JsonObject *edit = node ? json_node_get_object (node) : NULL;
  *add = edit ? strings_of (present (edit, "add")) : NULL;
  *remove = edit ? strings_of (present (edit, "remove")) : NULL;
}

/* ---- encoding ------------------------------------------------------------------ */

/* Microseconds, as stored: a time read here and sent back (clear up to
 * this message, history from this message) names exactly that instant. */
JsonNode *
perch_web_time_json (gint64 ts_us)
{
  if (ts_us == 0)
    return json_node_new (JSON_NODE_NULL);
  gint64 seconds = ts_us / G_USEC_PER_SEC, micro = ts_us % G_USEC_PER_SEC;
  if (micro < 0)
    {
      micro += G_USEC_PER_SEC;
      seconds--;
    }
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (seconds);
  if (dt == NULL)
    return json_node_new (JSON_NODE_NULL);
  g_autofree char *whole = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *text = g_strdup_printf ("%s.%06dZ", whole, (int) micro);
  return json_node_init_string (json_node_alloc (), text);
}

JsonNode *
perch_web_strings_json (GPtrArray *strings)
{
  JsonArray *array = json_array_new ();
  for (guint i = 0; strings && i < strings->len; i++)
    json_array_add_string_element (array, g_ptr_array_index (strings, i));
  JsonNode *node = json_node_init_array (json_node_alloc (), array);
  json_array_unref (array);   /* the node took its own reference */
  return node;
}

static JsonNode *
object_node (JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

static void
set_string_or_null (JsonObject *obj, const char *name, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (obj, name, value);
  else
    json_object_set_null_member (obj, name);
}

JsonNode *
perch_web_list_json (JsonArray *items, const char *next_cursor)
{
  JsonObject *obj = json_object_new ();
  json_object_set_array_member (obj, "items", items);
  set_string_or_null (obj, "next_cursor", next_cursor);
  return object_node (obj);
}

JsonNode *
perch_web_room_json (PerchRoomView *view)
{
  const PerchRoomInfo *info = view->info;
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "id", info->id);
  json_object_set_string_member (obj, "uri", view->uri);
  json_object_set_string_member (obj, "name", info->name ? info->name : "");
  json_object_set_string_member (obj, "description", info->description ? info->description : "");
  json_object_set_string_member (obj, "category", view->category_name ? view->category_name : "");
  json_object_set_int_member (obj, "category_id", info->category_id);
  json_object_set_string_member (obj, "privacy", perch_privacy_to_string (info->privacy));
  json_object_set_string_member (obj, "type", perch_room_type_to_string (info->type));
  json_object_set_boolean_member (obj, "disabled", info->disabled);
  json_object_set_string_member (obj, "invitations", info->invitations ? "inherit" : "off");
  set_string_or_null (obj, "addin", info->addin && *info->addin ? info->addin : NULL);
  json_object_set_member (obj, "members", perch_web_strings_json (info->members));
  json_object_set_member (obj, "managers", perch_web_strings_json (info->managers));
  json_object_set_member (obj, "presenters", perch_web_strings_json (info->presenters));
  json_object_set_member (obj, "created", perch_web_time_json (info->created_us));
  json_object_set_int_member (obj, "participants", view->participants);
  json_object_set_int_member (obj, "messages", view->stats.messages);
  json_object_set_int_member (obj, "bytes", view->stats.bytes);
  json_object_set_member (obj, "last_post", perch_web_time_json (view->stats.last_post_us));
  return object_node (obj);
}

JsonNode *
perch_web_category_json (const PerchCategory *cat, const char *domain)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, cat->id);
  g_autofree char *uri = perch_category_uri (domain, id);
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "id", cat->id);
  json_object_set_string_member (obj, "uri", uri);
  json_object_set_string_member (obj, "name", cat->name ? cat->name : "");
  json_object_set_string_member (obj, "description", cat->description ? cat->description : "");
  json_object_set_boolean_member (obj, "file_upload", cat->file_upload);
  json_object_set_boolean_member (obj, "chat_history", cat->chat_history);
  json_object_set_boolean_member (obj, "invitations", cat->invitations);
  json_object_set_member (obj, "allowed", perch_web_strings_json (cat->allowed));
  json_object_set_member (obj, "denied", perch_web_strings_json (cat->denied));
  json_object_set_member (obj, "creators", perch_web_strings_json (cat->creators));
  return object_node (obj);
}

JsonNode *
perch_web_message_json (const PerchMessage *msg)
{
  static const char *const states[] = { "normal", "replaced", "removed" };
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "id", msg->id);
  json_object_set_string_member (obj, "room", msg->room_id ? msg->room_id : "");
  json_object_set_string_member (obj, "author", msg->author ? msg->author : "");
  json_object_set_member (obj, "ts", perch_web_time_json (msg->ts_us));
  json_object_set_string_member (obj, "content", msg->content ? msg->content : "");
  json_object_set_string_member (obj, "state", (guint) msg->state < G_N_ELEMENTS (states) ? states[msg->state] : "normal");
  return object_node (obj);
}

JsonNode *
perch_web_user_json (const PerchUser *user)
{
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "uri", user->uri);
  json_object_set_string_member (obj, "display_name", user->display_name ? user->display_name : "");
  json_object_set_boolean_member (obj, "admin", user->admin);
  if (user->enabled < 0)
    json_object_set_null_member (obj, "enabled");
  else
    json_object_set_boolean_member (obj, "enabled", user->enabled != 0);
  return object_node (obj);
}

JsonNode *
perch_web_audit_json (const PerchAuditEntry *entry)
{
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "id", entry->id);
  json_object_set_member (obj, "ts", perch_web_time_json (entry->ts_us));
  json_object_set_string_member (obj, "actor", entry->actor ? entry->actor : "");
  json_object_set_string_member (obj, "action", entry->action ? entry->action : "");
  json_object_set_string_member (obj, "target", entry->target ? entry->target : "");
  set_string_or_null (obj, "detail", entry->detail);
  return object_node (obj);
}
