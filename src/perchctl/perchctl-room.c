/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-room.c: `perchctl room` and `perchctl message` — what
 * New/Set/Get/Remove-CsPersistentChatRoom, Clear-CsPersistentChatRoom,
 * Remove-CsPersistentChatMessage and Get-CsPersistentChatEligiblePrincipal
 * do, over the room management service. */
#include "config.h"

#include <string.h>

#include "perchctl.h"

static const char *const privacy_values[] = { "open", "closed", "secret", NULL };
static const char *const type_values[] = { "normal", "auditorium", NULL };
static const char *const sort_values[] = { "name", "created", "activity", "size", NULL };
static const char *const order_values[] = { "asc", "desc", NULL };
static const char *const invitation_values[] = { "inherit", "off", NULL };
static const char *const match_values[] = { "all", "any", "exact", NULL };

/* ---- printing ----------------------------------------------------------------------- */

static void
print_room (JsonObject *room)
{
  print_field ("Name", jstr (room, "name"));
  print_field ("URI", jstr (room, "uri"));
  print_field ("Description", jstr (room, "description"));
  print_field ("Category", jstr (room, "category"));
  print_field ("Privacy", jstr (room, "privacy"));
  print_field ("Type", jstr (room, "type"));
  print_field ("State", jbool (room, "disabled") ? "disabled" : "enabled");
  print_field ("Invitations", jstr (room, "invitations"));
  print_field ("Add-in", jstr (room, "addin"));
  g_autofree char *members = fmt_list (room, "members");
  print_field ("Members", *members ? members : "(the category's allowed members)");
  g_autofree char *managers = fmt_list (room, "managers");
  print_field ("Managers", managers);
  g_autofree char *presenters = fmt_list (room, "presenters");
  print_field ("Presenters", presenters);
  g_autofree char *created = fmt_time (jstr (room, "created"), FALSE);
  print_field ("Created", created);
  g_autofree char *participants = g_strdup_printf ("%" G_GINT64_FORMAT, jint (room, "participants"));
  print_field ("Participants", participants);
  g_autofree char *bytes = fmt_bytes (jint (room, "bytes"));
  g_autofree char *messages = g_strdup_printf ("%" G_GINT64_FORMAT " (%s)", jint (room, "messages"), bytes);
  print_field ("Messages", messages);
  g_autofree char *last = fmt_time (jstr (room, "last_post"), FALSE);
  print_field ("Last post", last);
}

/* The answer as JSON, or printed by PRINT for people. */
static int
show_object (Ctl *ctl, JsonNode *reply, void (*print) (JsonObject *))
{
  if (reply == NULL)
    return EXIT_OK;
  if (ctl->json)
    print_json_node (reply);
  else if (JSON_NODE_HOLDS_OBJECT (reply))
    print (json_node_get_object (reply));
  return EXIT_OK;
}

/* Tells people there is more than this page. */
static void
hint_more (Ctl *ctl, JsonNode *reply)
{
  const char *next = jstr (json_node_get_object (reply), "next_cursor");
  if (!ctl->json && *next)
    g_printerr ("(more: --all for every page, or --cursor %s for the next)\n", next);
}

/* ---- room ------------------------------------------------------------------------------- */

static int
room_list (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "category=", "privacy=", "type=", "disabled", "enabled", "member=",
                                      "manager=", "text=", "min-size-mb=", "sort=", "order=", "limit=",
                                      "cursor=", "all", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 0, 1, &status);
  if (args == NULL)
    return status;
  const char *privacy = NULL, *type = NULL, *sort = NULL, *order = NULL;
  gint64 limit = 0;
  if ((status = args_enum (ctl, args, "privacy", privacy_values, &privacy)) ||
      (status = args_enum (ctl, args, "type", type_values, &type)) ||
      (status = args_enum (ctl, args, "sort", sort_values, &sort)) ||
      (status = args_enum (ctl, args, "order", order_values, &order)) ||
      (status = args_int (ctl, args, "limit", 1, 1000, &limit)))
    return status;
  if (args_has (args, "disabled") && args_has (args, "enabled"))
    return usage_error (ctl, "--disabled or --enabled, not both");
  const char *mb = args_get (args, "min-size-mb");
  if (mb != NULL)
    {
      char *end = NULL;
      double value = g_ascii_strtod (mb, &end);
      if (end == mb || *end != '\0' || !(value >= 0))
        return usage_error (ctl, "--min-size-mb is a number of MiB, not “%s”", mb);
    }
  if (args_has (args, "all") && args_has (args, "cursor"))
    return usage_error (ctl, "--all or --cursor, not both");
  const char *text = args_get (args, "text") ? args_get (args, "text") : args_pos (args, 0);

  g_autoptr(GString) path = g_string_new ("/rooms");
  api_query (path, "category", args_get (args, "category"));
  api_query (path, "privacy", privacy);
  api_query (path, "type", type);
  api_query (path, "disabled", args_has (args, "disabled") ? "true" : args_has (args, "enabled") ? "false" : NULL);
  api_query (path, "member", args_get (args, "member"));
  api_query (path, "manager", args_get (args, "manager"));
  api_query (path, "text", text);
  api_query (path, "min_size_mb", mb);
  api_query (path, "sort", sort);
  api_query (path, "order", order);
  api_query (path, "limit", args_get (args, "limit"));
  api_query (path, "cursor", args_get (args, "cursor"));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_list (ctl, path->str, args_has (args, "all"), &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  g_autoptr(Table) table = table_new ("NAME", "CATEGORY", "PRIVACY", "TYPE", "STATE", "USERS", "MESSAGES",
                                      "SIZE", "LAST POST", NULL);
  table_set_max_width (table, 0, 40);
  JsonArray *items = jitems (reply);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *room = json_array_get_object_element (items, i);
      g_autofree char *users = g_strdup_printf ("%" G_GINT64_FORMAT, jint (room, "participants"));
      g_autofree char *messages = g_strdup_printf ("%" G_GINT64_FORMAT, jint (room, "messages"));
      g_autofree char *size = fmt_bytes (jint (room, "bytes"));
      g_autofree char *last = fmt_time (jstr (room, "last_post"), FALSE);
      table_add (table, jstr (room, "name"), jstr (room, "category"), jstr (room, "privacy"), jstr (room, "type"),
                 jbool (room, "disabled") ? "disabled" : "enabled", users, messages, size, last);
    }
  table_print (g_steal_pointer (&table));
  hint_more (ctl, reply);
  return EXIT_OK;
}

static int
room_show (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 1, 1, &status);
  if (args == NULL)
    return status;
  g_autofree char *path = api_path ("rooms", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", path, NULL, &reply)))
    return status;
  return show_object (ctl, reply, print_room);
}

static int
room_create (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "category=", "description=", "privacy=", "type=", "disabled", "addin=",
                                      "invitations=", "members*", "managers*", "presenters*", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  const char *privacy = NULL, *type = NULL, *invitations = NULL;
  if ((status = args_enum (ctl, args, "privacy", privacy_values, &privacy)) ||
      (status = args_enum (ctl, args, "type", type_values, &type)) ||
      (status = args_enum (ctl, args, "invitations", invitation_values, &invitations)))
    return status;
  if (args_get (args, "category") == NULL)
    return usage_error (ctl, "a room needs --category");
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "name", args_pos (args, 0));
  json_object_set_string_member (body, "category", args_get (args, "category"));
  if (args_get (args, "description"))
    json_object_set_string_member (body, "description", args_get (args, "description"));
  if (privacy)
    json_object_set_string_member (body, "privacy", privacy);
  if (type)
    json_object_set_string_member (body, "type", type);
  if (args_has (args, "disabled"))
    json_object_set_boolean_member (body, "disabled", TRUE);
  if (args_get (args, "addin") && *args_get (args, "addin"))
    json_object_set_string_member (body, "addin", args_get (args, "addin"));
  if (invitations)
    json_object_set_string_member (body, "invitations", invitations);
  static const char *const lists[] = { "members", "managers", "presenters" };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    if (args_list (args, lists[i]))
      json_object_set_array_member (body, lists[i], json_strv_array (args_list (args, lists[i])));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "POST", "/rooms", json_object_node (body), &reply)))
    return status;
  return show_object (ctl, reply, print_room);
}

static int
room_set (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "name=", "description=", "privacy=", "type=", "disable", "enable",
                                      "addin=", "no-addin", "invitations=", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  const char *privacy = NULL, *type = NULL, *invitations = NULL;
  if ((status = args_enum (ctl, args, "privacy", privacy_values, &privacy)) ||
      (status = args_enum (ctl, args, "type", type_values, &type)) ||
      (status = args_enum (ctl, args, "invitations", invitation_values, &invitations)))
    return status;
  if (args_has (args, "disable") && args_has (args, "enable"))
    return usage_error (ctl, "--disable or --enable, not both");
  if (args_has (args, "addin") && args_has (args, "no-addin"))
    return usage_error (ctl, "--addin or --no-addin, not both");
  JsonObject *body = json_object_new ();
  if (args_get (args, "name"))
    json_object_set_string_member (body, "name", args_get (args, "name"));
  if (args_get (args, "description"))
    json_object_set_string_member (body, "description", args_get (args, "description"));
  if (privacy)
    json_object_set_string_member (body, "privacy", privacy);
  if (type)
    json_object_set_string_member (body, "type", type);
  if (args_has (args, "disable") || args_has (args, "enable"))
    json_object_set_boolean_member (body, "disabled", args_has (args, "disable"));
  if (args_has (args, "no-addin") || (args_get (args, "addin") && !*args_get (args, "addin")))
    json_object_set_null_member (body, "addin");
  else if (args_get (args, "addin"))
    json_object_set_string_member (body, "addin", args_get (args, "addin"));
  if (invitations)
    json_object_set_string_member (body, "invitations", invitations);
  if (json_object_get_size (body) == 0)
    {
      json_object_unref (body);
      return usage_error (ctl, "nothing to change");
    }
  g_autofree char *path = api_path ("rooms", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PATCH", path, json_object_node (body), &reply)))
    return status;
  return show_object (ctl, reply, print_room);
}

/* Names the entries of list MEMBER in BEFORE that AFTER lacks. */
static void
print_dropped (JsonObject *before, JsonObject *after, const char *member)
{
  JsonArray *old = jarray (before, member), *now = jarray (after, member);
  for (guint i = 0; old && i < json_array_get_length (old); i++)
    {
      const char *entry = json_array_get_string_element (old, i);
      gboolean kept = FALSE;
      for (guint j = 0; now && j < json_array_get_length (now) && !kept; j++)
        kept = g_strcmp0 (json_array_get_string_element (now, j), entry) == 0;
      if (!kept)
        g_print ("dropped from %s: %s (not allowed in the new category)\n", member, fmt_user (entry));
    }
}

static int
room_move (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 2, 2, &status);
  if (args == NULL)
    return status;
  g_autofree char *path = api_path ("rooms", args_pos (args, 0), NULL);
  /* Moving drops list entries the new category does not allow: say which. */
  g_autoptr(JsonNode) before = NULL;
  if (!ctl->json && (status = api_call (ctl, "GET", path, NULL, &before)))
    return status;
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "category", args_pos (args, 1));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PATCH", path, json_object_node (body), &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  JsonObject *after = json_node_get_object (reply);
  g_print ("moved %s to %s\n", jstr (after, "name"), jstr (after, "category"));
  static const char *const lists[] = { "members", "managers", "presenters" };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    print_dropped (json_node_get_object (before), after, lists[i]);
  return EXIT_OK;
}

static int
room_delete (Ctl *ctl, int argc, char **argv)
{
  return perchctl_delete (ctl, argc, argv, "rooms", "room", "Delete room “%s” and all its content?");
}

/* room members|managers|presenters ROOM [--add P...] [--remove P...] */
static int
room_list_edit (Ctl *ctl, int argc, char **argv, const char *list)
{
  return perchctl_list_edit (ctl, argc, argv, "rooms", list,
                             strcmp (list, "members") == 0
                               ? "(none: the category's allowed members are the room's members)" : NULL);
}

static int
room_members (Ctl *ctl, int argc, char **argv)
{
  return room_list_edit (ctl, argc, argv, "members");
}

static int
room_managers (Ctl *ctl, int argc, char **argv)
{
  return room_list_edit (ctl, argc, argv, "managers");
}

static int
room_presenters (Ctl *ctl, int argc, char **argv)
{
  return room_list_edit (ctl, argc, argv, "presenters");
}

int
perchctl_eligible (Ctl *ctl, int argc, char **argv, const char *collection)
{
  static const char *const spec[] = { "limit=", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 2, &status);
  if (args == NULL)
    return status;
  gint64 limit = 0;
  if ((status = args_int (ctl, args, "limit", 1, 1000, &limit)))
    return status;
  g_autofree char *base = api_path (collection, args_pos (args, 0), "eligible", NULL);
  g_autoptr(GString) path = g_string_new (base);
  api_query (path, "text", args_pos (args, 1));
  api_query (path, "limit", args_get (args, "limit"));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", path->str, NULL, &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  g_autoptr(Table) table = table_new ("USER", "DISPLAY NAME", NULL);
  JsonArray *items = jitems (reply);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *user = json_array_get_object_element (items, i);
      table_add (table, fmt_user (jstr (user, "uri")), jstr (user, "display_name"));
    }
  table_print (g_steal_pointer (&table));
  return EXIT_OK;
}

static int
room_eligible (Ctl *ctl, int argc, char **argv)
{
  return perchctl_eligible (ctl, argc, argv, "rooms");
}

static int
room_clear (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "up-to=", "yes", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  g_autofree char *up_to = NULL;
  if ((status = args_date (ctl, args, "up-to", TRUE, &up_to)))
    return status;
  if (up_to == NULL)
    return usage_error (ctl, "room clear needs --up-to DATE");
  g_autofree char *when = fmt_time (up_to, TRUE);
  g_autofree char *question = g_strdup_printf ("Delete every message of “%s” up to and including %s?",
                                               args_pos (args, 0), when);
  if ((status = perchctl_confirm (ctl, args_has (args, "yes"), question)))
    return status;
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "up_to", up_to);
  g_autofree char *path = api_path ("rooms", args_pos (args, 0), "clear", NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "POST", path, json_object_node (body), &reply)))
    return status;
  if (ctl->json)
    print_json_node (reply);
  else
    g_print ("deleted %" G_GINT64_FORMAT " messages of %s up to %s\n",
             jint (json_node_get_object (reply), "deleted"), args_pos (args, 0), when);
  return EXIT_OK;
}

const PerchctlVerb perchctl_room_verbs[] = {
  { "list", room_list,
    "room list [TEXT] [--category C] [--privacy open|closed|secret] [--type normal|auditorium] [--disabled|--enabled] "
    "[--member P] [--manager P] [--text T] [--min-size-mb N] [--sort name|created|activity|size] [--order asc|desc] "
    "[--limit N] [--all | --cursor C]",
    "rooms you may find, filtered and sorted; --all follows every page" },
  { "show", room_show, "room show ROOM", "one room: settings, lists, content" },
  { "create", room_create,
    "room create NAME --category C [--description D] [--privacy open|closed|secret] [--type normal|auditorium] "
    "[--disabled] [--addin A] [--invitations inherit|off] [--members P...] [--managers P...] [--presenters P...]",
    "create a room" },
  { "set", room_set,
    "room set ROOM [--name N] [--description D] [--privacy open|closed|secret] [--type normal|auditorium] "
    "[--disable|--enable] [--addin A|--no-addin] [--invitations inherit|off]",
    "change a room; --disable parts its sessions" },
  { "move", room_move, "room move ROOM CATEGORY", "move to another category (drops entries it does not allow)" },
  { "delete", room_delete, "room delete ROOM [--yes]", "delete a room and its content (asks first)" },
  { "members", room_members, "room members ROOM [--add P...] [--remove P...]", "show or edit the members" },
  { "managers", room_managers, "room managers ROOM [--add P...] [--remove P...]", "show or edit the managers" },
  { "presenters", room_presenters, "room presenters ROOM [--add P...] [--remove P...]",
    "show or edit the presenters" },
  { "eligible", room_eligible, "room eligible ROOM [TEXT] [--limit N]",
    "users who may be members, managers or presenters" },
  { "clear", room_clear, "room clear ROOM --up-to DATE [--yes]",
    "delete the content up to and including DATE (asks first)" },
  { NULL }
};

/* ---- message ----------------------------------------------------------------------------- */

static int
message_history (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "before=", "after=", "cursor=", "limit=", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  gint64 before = 0, limit = 0;
  g_autofree char *after = NULL;
  if ((status = args_int (ctl, args, "before", 1, G_MAXINT64, &before)) ||
      (status = args_int (ctl, args, "limit", 1, 500, &limit)) ||
      (status = args_date (ctl, args, "after", FALSE, &after)))
    return status;
  if ((args_has (args, "before") + args_has (args, "after") + args_has (args, "cursor")) > 1)
    return usage_error (ctl, "one of --before, --after and --cursor");
  g_autofree char *base = api_path ("rooms", args_pos (args, 0), "messages", NULL);
  g_autoptr(GString) path = g_string_new (base);
  api_query (path, "before", args_get (args, "before"));
  api_query (path, "after", after);
  api_query (path, "cursor", args_get (args, "cursor"));
  api_query (path, "limit", args_get (args, "limit"));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", path->str, NULL, &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  JsonArray *items = jitems (reply);
  gboolean changed = FALSE;
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    changed |= g_strcmp0 (jstr (json_array_get_object_element (items, i), "state"), "normal") != 0;
  g_autoptr(Table) table = changed ? table_new ("ID", "TIME", "AUTHOR", "STATE", "TEXT", NULL)
                                   : table_new ("ID", "TIME", "AUTHOR", "TEXT", NULL);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *msg = json_array_get_object_element (items, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, jint (msg, "id"));
      g_autofree char *ts = fmt_time (jstr (msg, "ts"), TRUE);
      if (changed)
        table_add (table, id, ts, fmt_user (jstr (msg, "author")), jstr (msg, "state"), jstr (msg, "content"));
      else
        table_add (table, id, ts, fmt_user (jstr (msg, "author")), jstr (msg, "content"));
    }
  table_print (g_steal_pointer (&table));
  const char *next = jstr (json_node_get_object (reply), "next_cursor");
  if (next[0] == 'b')
    g_printerr ("(older: --before %s)\n", next + 1);
  else if (*next)
    g_printerr ("(newer: --cursor %s)\n", next);
  return EXIT_OK;
}

static int
message_remove (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "author=", "keywords*", "match=", "match-case", "from=", "to=", "id*",
                                      "replace?", "yes", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  const char *match = NULL;
  g_autofree char *from = NULL, *to = NULL;
  if ((status = args_enum (ctl, args, "match", match_values, &match)) ||
      (status = args_date (ctl, args, "from", FALSE, &from)) ||
      (status = args_date (ctl, args, "to", TRUE, &to)))
    return status;
  JsonObject *body = json_object_new ();
  if (args_get (args, "author"))
    json_object_set_string_member (body, "author", args_get (args, "author"));
  if (args_list (args, "keywords"))
    json_object_set_array_member (body, "keywords", json_strv_array (args_list (args, "keywords")));
  if (match)
    json_object_set_string_member (body, "mode", match);
  if (args_has (args, "match-case"))
    json_object_set_boolean_member (body, "match_case", TRUE);
  if (from)
    json_object_set_string_member (body, "from", from);
  if (to)
    json_object_set_string_member (body, "to", to);
  const char *const *ids = args_list (args, "id");
  if (ids != NULL)
    {
      JsonArray *array = json_array_new ();
      json_object_set_array_member (body, "ids", array);
      for (guint i = 0; ids[i]; i++)
        {
          guint64 id = 0;
          if (!g_ascii_string_to_unsigned (ids[i], 10, 1, G_MAXINT64, &id, NULL))
            {
              json_object_unref (body);
              return usage_error (ctl, "--id takes message ids (whole numbers), not “%s”", ids[i]);
            }
          json_array_add_int_element (array, (gint64) id);
        }
    }
  gboolean narrowed = json_object_get_size (body) > (guint) ((match != NULL) + args_has (args, "match-case"));
  const char *replacement = args_get (args, "replace");
  json_object_set_string_member (body, "action", replacement ? "replace" : "remove");
  if (replacement && *replacement)
    json_object_set_string_member (body, "replacement", replacement);
  if (!narrowed)
    {
      g_autofree char *question = g_strdup_printf ("%s every message in “%s”?", replacement ? "Replace" : "Remove",
                                                   args_pos (args, 0));
      if ((status = perchctl_confirm (ctl, args_has (args, "yes"), question)))
        {
          json_object_unref (body);
          return status;
        }
    }
  g_autofree char *path = api_path ("rooms", args_pos (args, 0), "messages", "remove", NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "POST", path, json_object_node (body), &reply)))
    return status;
  if (ctl->json)
    print_json_node (reply);
  else
    {
      gint64 changed = jint (json_node_get_object (reply), "changed");
      g_print ("%s %" G_GINT64_FORMAT " message%s in %s\n", replacement ? "replaced" : "removed", changed,
               changed == 1 ? "" : "s", args_pos (args, 0));
    }
  return EXIT_OK;
}

const PerchctlVerb perchctl_message_verbs[] = {
  { "history", message_history,
    "message history ROOM [--before ID | --after DATE | --cursor C] [--limit N]",
    "messages, oldest first: the newest N (50), before ID, or from DATE on" },
  { "remove", message_remove,
    "message remove ROOM [--author U] [--keywords W...] [--match all|any|exact] [--match-case] [--from DATE] "
    "[--to DATE] [--id ID...] [--replace [TEXT]] [--yes]",
    "remove matching messages without trace, or --replace them with TEXT" },
  { NULL }
};
