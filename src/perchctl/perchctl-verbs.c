/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-verbs.c: verbs that several nouns share, with what differs
 * between them passed in: deleting a named object, showing or editing one
 * of an object's principal lists, and listing a collection as a table. */
#include "config.h"

#include <string.h>

#include "perchctl.h"

int
perchctl_fetch (Ctl *ctl, int argc, char **argv, const char *method, const char *path, gboolean list,
                JsonNode **reply)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 0, 0, &status);
  if (args == NULL)
    return status;
  g_autoptr(JsonNode) answer = NULL;
  status = list ? api_list (ctl, path, TRUE, &answer) : api_call (ctl, method, path, NULL, &answer);
  if (status != EXIT_OK)
    return status;
  if (ctl->json)
    print_json_node (answer);
  else
    *reply = g_steal_pointer (&answer);
  return EXIT_OK;
}

int
perchctl_delete (Ctl *ctl, int argc, char **argv, const char *collection, const char *what,
                 const char *question)
{
  static const char *const confirm_spec[] = { "yes", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, question ? confirm_spec : NULL, 1, 1, &status);
  if (args == NULL)
    return status;
  const char *name = args_pos (args, 0);
  if (question != NULL)
    {
      g_autoptr(GString) asked = g_string_new (question);
      g_string_replace (asked, "%s", name, 1);
      if ((status = perchctl_confirm (ctl, args_has (args, "yes"), asked->str)))
        return status;
    }
  g_autofree char *path = api_path (collection, name, NULL);
  if ((status = api_call (ctl, "DELETE", path, NULL, NULL)))
    return status;
  if (!ctl->json)
    g_print ("deleted %s %s\n", what, name);
  return EXIT_OK;
}

int
perchctl_list_edit (Ctl *ctl, int argc, char **argv, const char *collection, const char *list,
                    const char *when_empty)
{
  static const char *const spec[] = { "add*", "remove*", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  g_autofree char *path = api_path (collection, args_pos (args, 0), NULL);
  JsonObject *edit = json_list_edit (args_list (args, "add"), args_list (args, "remove"));
  g_autoptr(JsonNode) reply = NULL;
  if (edit == NULL)
    status = api_call (ctl, "GET", path, NULL, &reply);
  else
    {
      JsonObject *body = json_object_new ();
      json_object_set_object_member (body, list, edit);
      status = api_call (ctl, "PATCH", path, json_object_node (body), &reply);
    }
  if (status != EXIT_OK)
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  JsonArray *entries = jarray (json_node_get_object (reply), list);
  if (when_empty != NULL && (entries == NULL || json_array_get_length (entries) == 0))
    g_print ("%s\n", when_empty);
  for (guint i = 0; entries && i < json_array_get_length (entries); i++)
    g_print ("%s\n", fmt_user (json_array_get_string_element (entries, i)));
  return EXIT_OK;
}

int
perchctl_list (Ctl *ctl, int argc, char **argv, const char *path, const PerchctlColumn *columns)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "GET", path, TRUE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  guint n = 0;
  while (columns[n].header != NULL)
    n++;
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();
  for (guint c = 0; c < n; c++)
    g_ptr_array_add (headers, (char *) columns[c].header);
  g_ptr_array_add (headers, NULL);
  g_autoptr(Table) table = table_new_v ((const char *const *) headers->pdata);
  JsonArray *items = jitems (reply);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
      for (guint c = 0; c < n; c++)
        g_ptr_array_add (cells, columns[c].list ? fmt_list (item, columns[c].member)
                                                : g_strdup (jstr (item, columns[c].member)));
      table_add_v (table, (const char *const *) cells->pdata);
    }
  table_print (g_steal_pointer (&table));
  return EXIT_OK;
}
