/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-category.c: `perchctl category` — what
 * New/Set/Get/Remove-CsPersistentChatCategory do, and the eligible
 * principals of a category. */
#include "config.h"

#include <string.h>

#include "perchctl.h"

static void
print_category (JsonObject *cat)
{
  print_field ("Name", jstr (cat, "name"));
  print_field ("URI", jstr (cat, "uri"));
  print_field ("Description", jstr (cat, "description"));
  print_field ("File upload", fmt_yes_no (jbool (cat, "file_upload")));
  print_field ("Chat history", fmt_yes_no (jbool (cat, "chat_history")));
  print_field ("Invitations", fmt_yes_no (jbool (cat, "invitations")));
  g_autofree char *allowed = fmt_list (cat, "allowed");
  print_field ("Allowed", allowed);
  g_autofree char *denied = fmt_list (cat, "denied");
  print_field ("Denied", denied);
  g_autofree char *creators = fmt_list (cat, "creators");
  print_field ("Creators", creators);
}

static int
show_category (Ctl *ctl, JsonNode *reply)
{
  if (ctl->json)
    print_json_node (reply);
  else if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply))
    print_category (json_node_get_object (reply));
  return EXIT_OK;
}

static int
category_list (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "GET", "/categories", TRUE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  g_autoptr(Table) table = table_new ("NAME", "UPLOAD", "HISTORY", "INVITATIONS", "ALLOWED", "DENIED", "CREATORS",
                                      "DESCRIPTION", NULL);
  for (guint c = 4; c <= 7; c++)
    table_set_max_width (table, c, 32);
  JsonArray *items = jitems (reply);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *cat = json_array_get_object_element (items, i);
      g_autofree char *allowed = fmt_list (cat, "allowed");
      g_autofree char *denied = fmt_list (cat, "denied");
      g_autofree char *creators = fmt_list (cat, "creators");
      table_add (table, jstr (cat, "name"), fmt_yes_no (jbool (cat, "file_upload")),
                 fmt_yes_no (jbool (cat, "chat_history")), fmt_yes_no (jbool (cat, "invitations")),
                 allowed, denied, creators, jstr (cat, "description"));
    }
  table_print (g_steal_pointer (&table));
  return EXIT_OK;
}

static int
category_show (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 1, 1, &status);
  if (args == NULL)
    return status;
  g_autofree char *path = api_path ("categories", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", path, NULL, &reply)))
    return status;
  return show_category (ctl, reply);
}

/* --file-upload, --chat-history, --invitations yes|no into BODY. */
static int
set_switches (Ctl *ctl, Args *args, JsonObject *body)
{
  static const char *const switches[][2] = {
    { "file-upload", "file_upload" }, { "chat-history", "chat_history" }, { "invitations", "invitations" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (switches); i++)
    {
      int value = -1, status;
      if ((status = args_yes_no (ctl, args, switches[i][0], &value)))
        return status;
      if (value >= 0)
        json_object_set_boolean_member (body, switches[i][1], value);
    }
  return EXIT_OK;
}

static int
category_create (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "description=", "file-upload=", "chat-history=", "invitations=",
                                      "allowed*", "denied*", "creators*", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "name", args_pos (args, 0));
  if (args_get (args, "description"))
    json_object_set_string_member (body, "description", args_get (args, "description"));
  if ((status = set_switches (ctl, args, body)))
    {
      json_object_unref (body);
      return status;
    }
  static const char *const lists[] = { "allowed", "denied", "creators" };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    if (args_list (args, lists[i]))
      json_object_set_array_member (body, lists[i], json_strv_array (args_list (args, lists[i])));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "POST", "/categories", json_object_node (body), &reply)))
    return status;
  return show_category (ctl, reply);
}

static int
patch_category (Ctl *ctl, const char *category, JsonObject *body)
{
  g_autofree char *path = api_path ("categories", category, NULL);
  g_autoptr(JsonNode) reply = NULL;
  int status = api_call (ctl, "PATCH", path, json_object_node (body), &reply);
  if (status != EXIT_OK)
    return status;
  return show_category (ctl, reply);
}

static int
category_set (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "name=", "description=", "file-upload=", "chat-history=", "invitations=",
                                      "add-allowed*", "remove-allowed*", "add-denied*", "remove-denied*",
                                      "add-creators*", "remove-creators*", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  JsonObject *body = json_object_new ();
  if (args_get (args, "name"))
    json_object_set_string_member (body, "name", args_get (args, "name"));
  if (args_get (args, "description"))
    json_object_set_string_member (body, "description", args_get (args, "description"));
  if ((status = set_switches (ctl, args, body)))
    {
      json_object_unref (body);
      return status;
    }
  static const char *const lists[] = { "allowed", "denied", "creators" };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autofree char *add = g_strconcat ("add-", lists[i], NULL);
      g_autofree char *remove = g_strconcat ("remove-", lists[i], NULL);
      JsonObject *edit = json_list_edit (args_list (args, add), args_list (args, remove));
      if (edit != NULL)
        json_object_set_object_member (body, lists[i], edit);
    }
  if (json_object_get_size (body) == 0)
    {
      json_object_unref (body);
      return usage_error (ctl, "nothing to change");
    }
  return patch_category (ctl, args_pos (args, 0), body);
}

/* category allowed|denied|creators CAT [--add P...] [--remove P...] */
static int
category_list_edit (Ctl *ctl, int argc, char **argv, const char *list)
{
  return perchctl_list_edit (ctl, argc, argv, "categories", list, NULL);
}

static int
category_allowed (Ctl *ctl, int argc, char **argv)
{
  return category_list_edit (ctl, argc, argv, "allowed");
}

static int
category_denied (Ctl *ctl, int argc, char **argv)
{
  return category_list_edit (ctl, argc, argv, "denied");
}

static int
category_creators (Ctl *ctl, int argc, char **argv)
{
  return category_list_edit (ctl, argc, argv, "creators");
}

static int
category_delete (Ctl *ctl, int argc, char **argv)
{
  return perchctl_delete (ctl, argc, argv, "categories", "category", NULL);
}

static int
category_eligible (Ctl *ctl, int argc, char **argv)
{
  return perchctl_eligible (ctl, argc, argv, "categories");
}

const PerchctlVerb perchctl_category_verbs[] = {
  { "list", category_list, "category list", "categories you may see" },
  { "show", category_show, "category show CATEGORY", "one category and its lists" },
  { "create", category_create,
    "category create NAME [--description D] [--file-upload yes|no] [--chat-history yes|no] [--invitations yes|no] "
    "[--allowed P...] [--denied P...] [--creators P...]",
    "create a category" },
  { "set", category_set,
    "category set CATEGORY [--name N] [--description D] [--file-upload yes|no] [--chat-history yes|no] "
    "[--invitations yes|no] [--add-allowed P...] [--remove-allowed P...] [--add-denied P...] [--remove-denied P...] "
    "[--add-creators P...] [--remove-creators P...]",
    "change a category" },
  { "allowed", category_allowed, "category allowed CATEGORY [--add P...] [--remove P...]",
    "show or edit who may be in its rooms" },
  { "denied", category_denied, "category denied CATEGORY [--add P...] [--remove P...]",
    "show or edit who may not (overrides allowed)" },
  { "creators", category_creators, "category creators CATEGORY [--add P...] [--remove P...]",
    "show or edit who may create rooms in it" },
  { "delete", category_delete, "category delete CATEGORY", "delete a category that holds no rooms" },
  { "eligible", category_eligible, "category eligible CATEGORY [TEXT] [--limit N]",
    "users who may be in its rooms" },
  { NULL }
};
