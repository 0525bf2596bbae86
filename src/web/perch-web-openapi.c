/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-openapi.c: the OpenAPI 3.0 document of /api/v1, made from the
 * route table and the schemas that the server itself routes and checks
 * with. Nothing here is written by hand twice: a route added to the table
 * is in the document, with its parameters, body and answers. */
#include "config.h"

#include <string.h>

#include "perch-web-private.h"

static void
add_ref (JsonBuilder *b, const char *kind, const char *name)
{
  g_autofree char *ref = g_strdup_printf ("#/components/%s/%s", kind, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "$ref");
  json_builder_add_string_value (b, ref);
  json_builder_end_object (b);
}

static void
member_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* A constant bit of JSON Schema kept as text beside its schema. */
static void
add_json_text (JsonBuilder *b, const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    g_error ("bad JSON in a schema: %s", text);
  json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
}

static void
add_field_schema (JsonBuilder *b, const PerchWebField *field)
{
  json_builder_begin_object (b);
  switch (field->type)
    {
    case PERCH_WEB_STRING:
      member_string (b, "type", "string");
      break;
    case PERCH_WEB_BOOL:
      member_string (b, "type", "boolean");
      break;
    case PERCH_WEB_INT:
      member_string (b, "type", "integer");
      member_string (b, "format", "int64");
      if (field->max > 0)
        {
          json_builder_set_member_name (b, "maximum");
          json_builder_add_int_value (b, field->max);
        }
      break;
    case PERCH_WEB_NUMBER:
      member_string (b, "type", "number");
      break;
    case PERCH_WEB_TIME:
      member_string (b, "type", "string");
      member_string (b, "format", "date-time");
      break;
    case PERCH_WEB_ENUM:
      member_string (b, "type", "string");
      json_builder_set_member_name (b, "enum");
      json_builder_begin_array (b);
      for (guint i = 0; field->values[i]; i++)
        json_builder_add_string_value (b, field->values[i]);
      json_builder_end_array (b);
      break;
    case PERCH_WEB_STRINGS:
    case PERCH_WEB_INTS:
      member_string (b, "type", "array");
      json_builder_set_member_name (b, "items");
      json_builder_begin_object (b);
      member_string (b, "type", field->type == PERCH_WEB_STRINGS ? "string" : "integer");
      json_builder_end_object (b);
      break;
    case PERCH_WEB_EDIT:
      /* OpenAPI 3.0 ignores siblings of $ref, hence allOf. */
      json_builder_set_member_name (b, "allOf");
      json_builder_begin_array (b);
      add_ref (b, "schemas", "ListEdit");
      json_builder_end_array (b);
      break;
    case PERCH_WEB_OBJECT:
      json_builder_set_member_name (b, "allOf");
      json_builder_begin_array (b);
      add_ref (b, "schemas", field->ref);
      json_builder_end_array (b);
      break;
    case PERCH_WEB_OBJECTS:
      member_string (b, "type", "array");
      json_builder_set_member_name (b, "items");
      add_ref (b, "schemas", field->ref);
      break;
    }
  if (field->nullable)
    {
      json_builder_set_member_name (b, "nullable");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (field->description)
    member_string (b, "description", field->description);
  json_builder_end_object (b);
}

static void
add_schema (JsonBuilder *b, const PerchWebSchema *schema)
{
  json_builder_set_member_name (b, schema->name);
  json_builder_begin_object (b);
  member_string (b, "type", "object");
  if (schema->description)
    member_string (b, "description", schema->description);
  if (schema->fields[0].name)
    {
      json_builder_set_member_name (b, "properties");
      json_builder_begin_object (b);
      for (guint i = 0; schema->fields[i].name; i++)
        {
          json_builder_set_member_name (b, schema->fields[i].name);
          add_field_schema (b, &schema->fields[i]);
        }
      json_builder_end_object (b);
      gboolean any_required = FALSE;
      for (guint i = 0; schema->fields[i].name; i++)
        any_required |= schema->fields[i].required;
      if (any_required)
        {
          json_builder_set_member_name (b, "required");
          json_builder_begin_array (b);
          for (guint i = 0; schema->fields[i].name; i++)
            if (schema->fields[i].required)
              json_builder_add_string_value (b, schema->fields[i].name);
          json_builder_end_array (b);
        }
    }
  json_builder_set_member_name (b, "additionalProperties");
  if (schema->additional)
    add_json_text (b, schema->additional);
  else
    json_builder_add_boolean_value (b, FALSE);
  json_builder_end_object (b);
}

static void
add_parameter (JsonBuilder *b, const char *name, const char *in, const char *description,
               const PerchWebParam *param)
{
  json_builder_begin_object (b);
  member_string (b, "name", name);
  member_string (b, "in", in);
  json_builder_set_member_name (b, "required");
  json_builder_add_boolean_value (b, strcmp (in, "path") == 0);
  if (description)
    member_string (b, "description", description);
  json_builder_set_member_name (b, "schema");
  json_builder_begin_object (b);
  switch (param ? param->type : PERCH_WEB_PARAM_STRING)
    {
    case PERCH_WEB_PARAM_STRING:
      member_string (b, "type", "string");
      break;
    case PERCH_WEB_PARAM_ENUM:
      member_string (b, "type", "string");
      json_builder_set_member_name (b, "enum");
      json_builder_begin_array (b);
      for (guint i = 0; param->values[i]; i++)
        json_builder_add_string_value (b, param->values[i]);
      json_builder_end_array (b);
      break;
    case PERCH_WEB_PARAM_BOOL:
      member_string (b, "type", "boolean");
      break;
    case PERCH_WEB_PARAM_INT:
      member_string (b, "type", "integer");
      member_string (b, "format", "int64");
      json_builder_set_member_name (b, "minimum");
      json_builder_add_int_value (b, param->min);
      json_builder_set_member_name (b, "maximum");
      json_builder_add_int_value (b, param->max);
      break;
    case PERCH_WEB_PARAM_NUMBER:
      member_string (b, "type", "number");
      json_builder_set_member_name (b, "minimum");
      json_builder_add_int_value (b, 0);
      break;
    case PERCH_WEB_PARAM_TIME:
      member_string (b, "type", "string");
      member_string (b, "format", "date-time");
      break;
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_json_content (JsonBuilder *b, const PerchWebRoute *route)
{
  json_builder_set_member_name (b, "content");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "application/json");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "schema");
  if (!route->list)
    add_ref (b, "schemas", route->response);
  else
    {
      json_builder_begin_object (b);
      member_string (b, "type", "object");
      json_builder_set_member_name (b, "properties");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "items");
      json_builder_begin_object (b);
      member_string (b, "type", "array");
      json_builder_set_member_name (b, "items");
      add_ref (b, "schemas", route->response);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "next_cursor");
      json_builder_begin_object (b);
      member_string (b, "type", "string");
      json_builder_set_member_name (b, "nullable");
      json_builder_add_boolean_value (b, TRUE);
      member_string (b, "description", "pass as cursor for the next page; null on the last");
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "required");
      json_builder_begin_array (b);
      json_builder_add_string_value (b, "items");
      json_builder_add_string_value (b, "next_cursor");
      json_builder_end_array (b);
      json_builder_set_member_name (b, "additionalProperties");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* content: {TYPE: {schema: {type: string, format: binary}}}, for bodies
 * and answers that are bytes. */
static void
add_binary_content (JsonBuilder *b, const char *type)
{
  json_builder_set_member_name (b, "content");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, type);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "schema");
  json_builder_begin_object (b);
  member_string (b, "type", "string");
  member_string (b, "format", "binary");
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_success (JsonBuilder *b, const PerchWebRoute *route, int status)
{
  g_autofree char *code = g_strdup_printf ("%d", status);
  json_builder_set_member_name (b, code);
  json_builder_begin_object (b);
  member_string (b, "description", soup_status_get_phrase (status));
  if (route->response != NULL)
    add_json_content (b, route);
  else if (route->raw_response != NULL)
    add_binary_content (b, route->raw_response);
  json_builder_end_object (b);
}

static char *
operation_id (const PerchWebRoute *route)
{
  GString *id = g_string_new (NULL);
  for (const char *m = route->method; *m; m++)
    g_string_append_c (id, g_ascii_tolower (*m));
  gboolean upper = TRUE;
  const char *path = g_str_has_prefix (route->path, "/api/v1/") ? route->path + strlen ("/api/v1") : route->path;
  for (const char *p = path; *p; p++)
    {
      if (*p == '/' || *p == '{' || *p == '}' || *p == '.' || *p == '_')
        upper = TRUE;
      else
        {
          g_string_append_c (id, upper ? g_ascii_toupper (*p) : *p);
          upper = FALSE;
        }
    }
  return g_string_free (id, FALSE);
}

static void
add_operation (JsonBuilder *b, const PerchWebRoute *route)
{
  g_autofree char *method = g_ascii_strdown (route->method, -1);
  json_builder_set_member_name (b, method);
  json_builder_begin_object (b);
  g_autofree char *op = operation_id (route);
  member_string (b, "operationId", op);
  member_string (b, "summary", route->summary);

  json_builder_set_member_name (b, "parameters");
  json_builder_begin_array (b);
  g_auto(GStrv) segments = g_strsplit (route->path, "/", -1);
  gboolean has_path_param = FALSE;
  for (guint i = 0; segments[i]; i++)
    if (segments[i][0] == '{')
      {
        g_autofree char *name = g_strndup (segments[i] + 1, strlen (segments[i]) - 2);
        add_parameter (b, name, "path", perch_web_path_param_description (name), NULL);
        has_path_param = TRUE;
      }
  for (guint i = 0; route->query && route->query[i].name; i++)
    add_parameter (b, route->query[i].name, "query", route->query[i].description, &route->query[i]);
  json_builder_end_array (b);

  if (route->body)
    {
      json_builder_set_member_name (b, "requestBody");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "required");
      json_builder_add_boolean_value (b, TRUE);
      json_builder_set_member_name (b, "content");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "application/json");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "schema");
      add_ref (b, "schemas", route->body);
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  else if (route->raw_body)
    {
      json_builder_set_member_name (b, "requestBody");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "required");
      json_builder_add_boolean_value (b, TRUE);
      add_binary_content (b, route->raw_body);
      json_builder_end_object (b);
    }

  json_builder_set_member_name (b, "responses");
  json_builder_begin_object (b);
  add_success (b, route, route->status);
  if (strcmp (route->method, "PUT") == 0 && route->status != 201)
    add_success (b, route, 201);
  /* The errors every route of its kind can give, then its own. */
  int statuses[16];
  guint n = 0;
  if (route->query || route->body || route->raw_body || has_path_param)
    statuses[n++] = 400;
  if (!(route->flags & PERCH_WEB_PUBLIC))
    {
      statuses[n++] = 401;
      statuses[n++] = 429;
    }
  if (route->body || route->raw_body)
    statuses[n++] = 413;
  if (route->raw_body)
    statuses[n++] = 411;
  for (guint i = 0; route->errors[i] && n < G_N_ELEMENTS (statuses); i++)
    statuses[n++] = route->errors[i];
  for (guint i = 0; i < n; i++)
    {
      gboolean repeated = FALSE;
      for (guint j = 0; j < i; j++)
        repeated |= statuses[j] == statuses[i];
      if (repeated)
        continue;
      g_autofree char *code = g_strdup_printf ("%d", statuses[i]);
      json_builder_set_member_name (b, code);
      add_ref (b, "responses", "Error");
    }
  json_builder_set_member_name (b, "default");
  add_ref (b, "responses", "Error");
  json_builder_end_object (b);

  if (route->flags & PERCH_WEB_PUBLIC)
    {
      json_builder_set_member_name (b, "security");
      json_builder_begin_array (b);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
add_security_scheme (JsonBuilder *b, const char *name, const char *scheme, const char *description)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  member_string (b, "type", "http");
  member_string (b, "scheme", scheme);
  member_string (b, "description", description);
  json_builder_end_object (b);
}

char *
perch_web_openapi_json (void)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  member_string (b, "openapi", "3.0.3");
  json_builder_set_member_name (b, "info");
  json_builder_begin_object (b);
  member_string (b, "title", "Perch room management");
  member_string (b, "version", PACKAGE_VERSION);
  member_string (b, "description",
                 "Administration of a Perch persistent chat pool: categories, rooms, content, users, "
                 "groups, policy, add-ins, configuration, audit, export and import; and the file transfers "
                 "chat clients are sent to (/files/{token}). Every rule is decided by the server's "
                 "one policy module, the same as for chat clients; a secret room is 404 to anyone who "
                 "may not know it. Bodies are JSON objects of at most 1 MiB and 32 levels; unknown "
                 "members and query parameters are refused with 400. Bodies that are bytes (files, "
                 "archives) are streamed to disk, up to max_file_size_kb for files and 4 GiB for archives.");
  json_builder_end_object (b);

  json_builder_set_member_name (b, "security");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "bearer");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "basic");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);

  json_builder_set_member_name (b, "paths");
  json_builder_begin_object (b);
  /* Routes of one path are grouped under it, in table order. */
  g_autoptr(GHashTable) done = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; perch_web_route_table[i].method; i++)
    {
      const char *path = perch_web_route_table[i].path;
      if (g_hash_table_contains (done, path))
        continue;
      g_hash_table_add (done, (gpointer) path);
      json_builder_set_member_name (b, path);
      json_builder_begin_object (b);
      for (guint j = i; perch_web_route_table[j].method; j++)
        if (strcmp (perch_web_route_table[j].path, path) == 0)
          add_operation (b, &perch_web_route_table[j]);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "components");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "schemas");
  json_builder_begin_object (b);
  for (guint i = 0; perch_web_schemas[i].name; i++)
    add_schema (b, &perch_web_schemas[i]);
  json_builder_set_member_name (b, "ListEdit");
  add_json_text (b, "{\"type\": \"object\", \"description\": \"edits a list: entries to add, entries to remove\", "
                    "\"properties\": {\"add\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}, "
                    "\"remove\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}, "
                    "\"additionalProperties\": false}");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "responses");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Error");
  add_json_text (b, "{\"description\": \"An error: a stable code per status and a message for people\", "
                    "\"content\": {\"application/json\": {\"schema\": {\"$ref\": \"#/components/schemas/Error\"}}}}");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "securitySchemes");
  json_builder_begin_object (b);
  add_security_scheme (b, "bearer", "bearer", "a token from POST /api/v1/login, valid for an hour");
  add_security_scheme (b, "basic", "basic", "user and password; only over HTTPS or from loopback");
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_end_object (b);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, TRUE);
}
