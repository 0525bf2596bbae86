/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-pool.c: the pool-wide nouns — `pool` (Set-CsPersistentChatState
 * and -ActiveServer, and the servers' figures), `config`
 * (Set-CsPersistentChatConfiguration), `policy` (Set/Grant-
 * CsPersistentChatPolicy), `compliance` (Set-CsPersistentChatCompliance-
 * Configuration: the configuration's compliance_* keys), `user`, `group`, `addin`
 * (New-CsPersistentChatAddin) and `audit`. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "perchctl.h"

static const char *const state_values[] = { "normal", "failed-over", NULL };

/* ---- pool -------------------------------------------------------------------------- */

static void
print_pool (JsonObject *pool)
{
  print_field ("State", jstr (pool, "state"));
  JsonArray *active = jarray (pool, "active_servers");
  g_autoptr(GString) names = g_string_new (NULL);
  for (guint i = 0; active && i < json_array_get_length (active); i++)
    g_string_append_printf (names, "%s%s", i ? ", " : "", json_array_get_string_element (active, i));
  print_field ("Active servers", names->len ? names->str : "(every server)");
  g_print ("\n");
  g_autoptr(Table) table = table_new ("SERVER", "ACTIVE", "SESSIONS", "JOINED ROOMS", "POSTS/S", "UPTIME",
                                      "VERSION", NULL);
  JsonArray *servers = jarray (pool, "servers");
  for (guint i = 0; servers && i < json_array_get_length (servers); i++)
    {
      JsonObject *server = json_array_get_object_element (servers, i);
      g_autofree char *sessions = g_strdup_printf ("%" G_GINT64_FORMAT, jint (server, "sessions"));
      g_autofree char *joined = g_strdup_printf ("%" G_GINT64_FORMAT, jint (server, "joined_rooms"));
      JsonNode *pps = json_object_get_member (server, "posts_per_second");
      g_autofree char *posts = g_strdup_printf ("%.1f", pps && JSON_NODE_TYPE (pps) == JSON_NODE_VALUE
                                                        ? json_node_get_double (pps) : 0.0);
      g_autofree char *uptime = fmt_duration (jint (server, "uptime_s"));
      table_add (table, jstr (server, "uri"), fmt_yes_no (jbool (server, "active")), sessions, joined, posts,
                 uptime, jstr (server, "version"));
    }
  table_print (g_steal_pointer (&table));
}

static int
show_pool (Ctl *ctl, JsonNode *reply)
{
  if (ctl->json)
    print_json_node (reply);
  else if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply))
    print_pool (json_node_get_object (reply));
  return EXIT_OK;
}

static int
pool_show (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 0, 0, &status);
  if (args == NULL)
    return status;
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", "/pool", NULL, &reply)))
    return status;
  return show_pool (ctl, reply);
}

static int
pool_set (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "state=", "active-servers*", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 0, 0, &status);
  if (args == NULL)
    return status;
  const char *state = NULL;
  if ((status = args_enum (ctl, args, "state", state_values, &state)))
    return status;
  if (state == NULL && !args_has (args, "active-servers"))
    return usage_error (ctl, "nothing to change");
  JsonObject *body = json_object_new ();
  if (state)
    json_object_set_string_member (body, "state", state);
  if (args_has (args, "active-servers"))
    {
      /* "a,b" as well as "a b"; none at all: every server is active. */
      JsonArray *active = json_array_new ();
      const char *const *given = args_list (args, "active-servers");
      for (guint i = 0; given[i]; i++)
        {
          g_auto(GStrv) parts = g_strsplit (given[i], ",", -1);
          for (guint j = 0; parts[j]; j++)
            if (*g_strstrip (parts[j]))
              json_array_add_string_element (active, parts[j]);
        }
      json_object_set_array_member (body, "active_servers", active);
    }
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PATCH", "/pool", json_object_node (body), &reply)))
    return status;
  return show_pool (ctl, reply);
}

const PerchctlVerb perchctl_pool_verbs[] = {
  { "show", pool_show, "pool show", "state, active servers, and each server's sessions, rooms, posts/s, uptime" },
  { "set", pool_set, "pool set [--state normal|failed-over] [--active-servers [URI...]]",
    "change the pool state or the active servers (none: every server)" },
  { NULL }
};

/* ---- config -------------------------------------------------------------------------- */

static void
print_config (JsonObject *config)
{
  g_autoptr(Table) table = table_new ("KEY", "VALUE", NULL);
  g_autoptr(GList) keys = g_list_sort (json_object_get_members (config), (GCompareFunc) strcmp);
  for (GList *l = keys; l; l = l->next)
    {
      JsonNode *node = json_object_get_member (config, l->data);
      table_add (table, l->data, JSON_NODE_HOLDS_NULL (node) ? "(unset)" : jstr (config, l->data));
    }
  table_print (g_steal_pointer (&table));
}

static int
config_show (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "GET", "/config", FALSE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  print_config (json_node_get_object (reply));
  return EXIT_OK;
}

static int
config_set (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 2, G_MAXUINT, &status);
  if (args == NULL)
    return status;
  if (args_n_pos (args) % 2 != 0)
    return usage_error (ctl, "KEY VALUE pairs: “%s” has no value", args_pos (args, args_n_pos (args) - 1));
  JsonObject *body = json_object_new ();
  for (guint i = 0; i < args_n_pos (args); i += 2)
    json_object_set_string_member (body, args_pos (args, i), args_pos (args, i + 1));
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PATCH", "/config", json_object_node (body), &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  for (guint i = 0; i < args_n_pos (args); i += 2)
    g_print ("%s = %s\n", args_pos (args, i), jstr (json_node_get_object (reply), args_pos (args, i)));
  return EXIT_OK;
}

const PerchctlVerb perchctl_config_verbs[] = {
  { "show", config_show, "config show", "every configuration key and its value" },
  { "set", config_set, "config set KEY VALUE [KEY VALUE...]",
    "set keys (default_chat_history, max_file_size_kb, participant_update_limit, room_management_url, ...)" },
  { NULL }
};

/* ---- compliance -------------------------------------------------------------------------- */

/* The compliance configuration is the configuration's compliance_* keys. */
static const struct {
  const char *option;   /* perchctl's option */
  const char *key;      /* the configuration key */
  const char *label;
  enum { C_BOOL, C_DURATION, C_NUMBER, C_CHOICE, C_SERVER } kind;
} compliance_keys[] = {
  { "enabled", "compliance_enabled", "Enabled", C_BOOL },
  { "run-interval", "compliance_run_interval", "Run interval", C_DURATION },
  { "adapter", "compliance_adapter", "Adapter", C_CHOICE },
  { NULL, "compliance_output_dir", "Output directory", C_SERVER },
  { "one-room-per-file", "compliance_one_room_per_file", "One room per file", C_BOOL },
  { "add-room-details", "compliance_add_room_details", "Add room details", C_BOOL },
  { "add-user-details", "compliance_add_user_details", "Add user details", C_BOOL },
  { "create-attachment-manifest", "compliance_create_attachment_manifest", "Attachment manifest", C_BOOL },
  { "batch", "compliance_batch", "Batch", C_NUMBER },
  { NULL, "compliance_command", "Command", C_SERVER },
  { "command-timeout", "compliance_command_timeout", "Command timeout", C_DURATION },
};

/* "90", "90s", "15m", "2h", "30d": seconds, or -1. */
static gint64
parse_duration (const char *text)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  if (end == text || n > G_MAXINT32)
    return -1;
  gint64 unit = 1;
  if (g_str_equal (end, "m"))
    unit = 60;
  else if (g_str_equal (end, "h"))
    unit = 3600;
  else if (g_str_equal (end, "d"))
    unit = 86400;
  else if (!g_str_equal (end, "") && !g_str_equal (end, "s"))
    return -1;
  return (gint64) n * unit;
}

static int
compliance_show (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 0, 0, &status);
  if (args == NULL)
    return status;
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", "/config", NULL, &reply)))
    return status;
  JsonObject *config = json_node_get_object (reply);
  if (ctl->json)
    {
      JsonObject *subset = json_object_new ();
      g_autoptr(GList) keys = g_list_sort (json_object_get_members (config), (GCompareFunc) strcmp);
      for (GList *l = keys; l; l = l->next)
        if (g_str_has_prefix (l->data, "compliance_"))
          json_object_set_member (subset, l->data, json_node_copy (json_object_get_member (config, l->data)));
      g_autoptr(JsonNode) node = json_object_node (subset);
      print_json_node (node);
      return EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (compliance_keys); i++)
    {
      if (!json_object_has_member (config, compliance_keys[i].key))
        continue;   /* the command and directory are shown to administrators only */
      const char *value = jstr (config, compliance_keys[i].key);
      g_autofree char *text = NULL;
      if (compliance_keys[i].kind == C_DURATION && parse_duration (value) >= 0)
        text = fmt_duration (parse_duration (value));
      else if (compliance_keys[i].kind == C_BOOL)
        text = g_strdup (fmt_yes_no (g_str_equal (value, "true") || g_str_equal (value, "1")));
      else if (g_str_equal (compliance_keys[i].key, "compliance_output_dir") && *value == '\0')
        text = g_strdup ("(the data dir's compliance/)");
      else
        text = g_strdup (value);
      print_field (compliance_keys[i].label, text);
    }
  return EXIT_OK;
}

static int
compliance_set (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "enabled=", "run-interval=", "adapter=", "one-room-per-file=",
                                      "add-room-details=", "add-user-details=", "create-attachment-manifest=",
                                      "batch=", "command-timeout=", NULL };
  static const char *const adapters[] = { "xml", "command", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 0, 0, &status);
  if (args == NULL)
    return status;
  g_autoptr(JsonObject) body = json_object_new ();
  for (guint i = 0; i < G_N_ELEMENTS (compliance_keys); i++)
    {
      const char *option = compliance_keys[i].option;
      const char *value = option ? args_get (args, option) : NULL;
      if (value == NULL)
        continue;
      int flag = -1;
      gint64 number = 0;
      const char *choice = NULL;
      switch (compliance_keys[i].kind)
        {
        case C_BOOL:
          if ((status = args_yes_no (ctl, args, option, &flag)))
            return status;
          json_object_set_string_member (body, compliance_keys[i].key, flag ? "true" : "false");
          break;
        case C_DURATION:
          number = parse_duration (value);
          if (number < 0)
            return usage_error (ctl, "--%s is a duration (90, 90s, 15m, 2h, 30d), not “%s”", option, value);
          json_object_set_int_member (body, compliance_keys[i].key, number);
          break;
        case C_NUMBER:
          if ((status = args_int (ctl, args, option, 1, G_MAXINT32, &number)))
            return status;
          json_object_set_int_member (body, compliance_keys[i].key, number);
          break;
        case C_CHOICE:
          if ((status = args_enum (ctl, args, option, adapters, &choice)))
            return status;
          json_object_set_string_member (body, compliance_keys[i].key, choice);
          break;
        case C_SERVER:
          break;
        }
    }
  if (json_object_get_size (body) == 0)
    return usage_error (ctl, "nothing to change");
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PATCH", "/config", json_object_node (json_object_ref (body)), &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  g_autoptr(GList) keys = json_object_get_members (body);
  for (GList *l = keys; l; l = l->next)
    g_print ("%s = %s\n", (const char *) l->data, jstr (json_node_get_object (reply), l->data));
  return EXIT_OK;
}

/* The queue itself: what waits, by type, and the last runs. */
static int
compliance_status (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "GET", "/compliance", FALSE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  JsonObject *st = json_node_get_object (reply);
  print_field ("Enabled", fmt_yes_no (jbool (st, "enabled")));
  print_field ("Running now", fmt_yes_no (jbool (st, "running")));
  g_autofree char *pending = g_strdup_printf ("%" G_GINT64_FORMAT, jint (st, "pending"));
  print_field ("Pending events", pending);
  JsonObject *by_type = json_object_get_object_member (st, "pending_by_type");
  g_autoptr(GString) types = g_string_new (NULL);
  g_autoptr(GList) names = by_type ? json_object_get_members (by_type) : NULL;
  for (GList *l = names; l; l = l->next)
    if (jint (by_type, l->data) > 0)
      g_string_append_printf (types, "%s%s %" G_GINT64_FORMAT, types->len ? ", " : "", (const char *) l->data,
                              jint (by_type, l->data));
  print_field ("By type", types->len ? types->str : "-");
  g_autofree char *oldest = *jstr (st, "oldest_pending") ? fmt_time (jstr (st, "oldest_pending"), TRUE) : g_strdup ("-");
  print_field ("Oldest pending", oldest);
  g_autofree char *next = *jstr (st, "next_run") ? fmt_time (jstr (st, "next_run"), TRUE) : g_strdup ("-");
  print_field ("Next run", next);
  print_field ("Output directory", jstr (st, "output_dir"));
  JsonArray *runs = jarray (st, "runs");
  if (runs == NULL || json_array_get_length (runs) == 0)
    return EXIT_OK;
  g_print ("\n");
  g_autoptr(Table) table = table_new ("RUN", "STARTED", "EVENTS", "RANGE", "STATE", "MS", "ERROR", NULL);
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *r = json_array_get_object_element (runs, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, jint (r, "id"));
      g_autofree char *started = fmt_time (jstr (r, "started"), TRUE);
      g_autofree char *events = g_strdup_printf ("%" G_GINT64_FORMAT, jint (r, "events"));
      g_autofree char *range = g_strdup_printf ("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                                jint (r, "first_event_id"), jint (r, "last_event_id"));
      g_autofree char *ms = g_strdup_printf ("%" G_GINT64_FORMAT, jint (r, "duration_ms"));
      table_add (table, id, started, events, range, jstr (r, "state"), ms, jstr (r, "error"), NULL);
    }
  table_print (table);
  return EXIT_OK;
}

static int
compliance_run (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "POST", "/compliance/run", FALSE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  g_print ("a compliance run has started; `perchctl compliance status` shows how it ends\n");
  return EXIT_OK;
}

const PerchctlVerb perchctl_compliance_verbs[] = {
  { "status", compliance_status, "compliance status", "pending events by type, the oldest, the last runs" },
  { "run", compliance_run, "compliance run", "run compliance now" },
  { "show", compliance_show, "compliance show", "the compliance service's settings" },
  { "set", compliance_set,
    "compliance set [--enabled yes|no] [--run-interval DURATION] [--adapter xml|command] [--one-room-per-file yes|no] "
    "[--add-room-details yes|no] [--add-user-details yes|no] [--create-attachment-manifest yes|no] [--batch N] "
    "[--command-timeout DURATION]",
    "change them (the output directory and command: perchd --config on the server)" },
  { NULL }
};

/* ---- users (and their policy) ------------------------------------------------------------ */

static const char *
user_chat (JsonObject *user)
{
  JsonNode *node = json_object_get_member (user, "enabled");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "default";
  return jbool (user, "enabled") ? "enabled" : "disabled";
}

static void
print_user (JsonObject *user)
{
  print_field ("User", fmt_user (jstr (user, "uri")));
  print_field ("Display name", jstr (user, "display_name"));
  print_field ("Administrator", fmt_yes_no (jbool (user, "admin")));
  print_field ("Persistent chat", user_chat (user));
}

static int
show_user (Ctl *ctl, JsonNode *reply)
{
  if (ctl->json)
    print_json_node (reply);
  else if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply))
    print_user (json_node_get_object (reply));
  return EXIT_OK;
}

/* yes|no|default into BODY's "enabled" (default: null, the global policy). */
static int
set_enabled (Ctl *ctl, Args *args, JsonObject *body)
{
  const char *value = args_get (args, "enabled");
  if (value == NULL)
    return EXIT_OK;
  if (strcmp (value, "default") == 0)
    {
      json_object_set_null_member (body, "enabled");
      return EXIT_OK;
    }
  int enabled = -1;
  if (!g_str_equal (value, "") && args_yes_no (ctl, args, "enabled", &enabled) == EXIT_OK)
    {
      json_object_set_boolean_member (body, "enabled", enabled);
      return EXIT_OK;
    }
  return usage_error (ctl, "--enabled is yes, no or default");
}

/* A new password: $PERCH_NEW_PASSWORD, else asked twice on the terminal,
 * else the next line of standard input. NULL (and a message) when none. */
static char *
new_password (Ctl *ctl, const char *user)
{
  g_autofree char *prompt = g_strdup_printf ("New password for %s: ", user);
  g_autofree char *password = perchctl_read_password (prompt, "PERCH_NEW_PASSWORD");
  if (password == NULL || *password == '\0')
    {
      g_printerr ("perchctl: %s: no new password (set PERCH_NEW_PASSWORD or type it)\n", ctl->command);
      return NULL;
    }
  if (g_getenv ("PERCH_NEW_PASSWORD") == NULL && isatty (STDIN_FILENO))
    {
      g_autofree char *again = perchctl_read_password ("Again: ", NULL);
      if (g_strcmp0 (again, password) != 0)
        {
          g_printerr ("perchctl: %s: the passwords differ\n", ctl->command);
          return NULL;
        }
    }
  return g_steal_pointer (&password);
}

static int
user_list (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "GET", "/users", TRUE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  g_autoptr(Table) table = table_new ("USER", "DISPLAY NAME", "ADMIN", "PERSISTENT CHAT", NULL);
  JsonArray *items = jitems (reply);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *user = json_array_get_object_element (items, i);
      table_add (table, fmt_user (jstr (user, "uri")), jstr (user, "display_name"),
                 fmt_yes_no (jbool (user, "admin")), user_chat (user));
    }
  table_print (g_steal_pointer (&table));
  return EXIT_OK;
}

static int
user_show (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 1, 1, &status);
  if (args == NULL)
    return status;
  g_autofree char *path = api_path ("users", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", path, NULL, &reply)))
    return status;
  return show_user (ctl, reply);
}

/* PUT /users/USER with BODY; the user must exist (CREATE: must not). */
static int
put_user (Ctl *ctl, const char *user, JsonObject *body, gboolean create, gboolean password)
{
  g_autoptr(JsonObject) owned = body;
  g_autofree char *path = api_path ("users", user, NULL);
  gboolean exists = FALSE;
  int status = api_exists (ctl, path, &exists, NULL);
  if (status != EXIT_OK)
    return status;
  if (exists && create)
    {
      g_printerr ("perchctl: %s: %s exists (change it with `perchctl user set`)\n", ctl->command, user);
      return EXIT_FAILED;
    }
  if (!exists && !create)
    {
      g_printerr ("perchctl: %s: no such user %s\n", ctl->command, user);
      return EXIT_NOT_FOUND;
    }
  if (password)
    {
      char *secret = new_password (ctl, user);
      if (secret == NULL)
        return EXIT_USAGE;
      json_object_set_string_member (body, "password", secret);
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PUT", path, json_object_node (g_steal_pointer (&owned)), &reply)))
    return status;
  return show_user (ctl, reply);
}

static int
user_add (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "display-name=", "admin", "enabled=", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  JsonObject *body = json_object_new ();
  if ((status = set_enabled (ctl, args, body)))
    {
      json_object_unref (body);
      return status;
    }
  if (args_get (args, "display-name"))
    json_object_set_string_member (body, "display_name", args_get (args, "display-name"));
  if (args_has (args, "admin"))
    json_object_set_boolean_member (body, "admin", TRUE);
  return put_user (ctl, args_pos (args, 0), body, TRUE, TRUE);
}

static int
user_set (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "display-name=", "admin=", "enabled=", "password", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  int admin = -1;
  if ((status = args_yes_no (ctl, args, "admin", &admin)))
    return status;
  JsonObject *body = json_object_new ();
  if ((status = set_enabled (ctl, args, body)))
    {
      json_object_unref (body);
      return status;
    }
  if (args_get (args, "display-name"))
    json_object_set_string_member (body, "display_name", args_get (args, "display-name"));
  if (admin >= 0)
    json_object_set_boolean_member (body, "admin", admin);
  if (json_object_get_size (body) == 0 && !args_has (args, "password"))
    {
      json_object_unref (body);
      return usage_error (ctl, "nothing to change");
    }
  return put_user (ctl, args_pos (args, 0), body, FALSE, args_has (args, "password"));
}

static int
user_delete (Ctl *ctl, int argc, char **argv)
{
  return perchctl_delete (ctl, argc, argv, "users", "user", "Delete user %s?");
}

const PerchctlVerb perchctl_user_verbs[] = {
  { "list", user_list, "user list", "users, administrators, who may use persistent chat" },
  { "show", user_show, "user show USER", "one user" },
  { "add", user_add, "user add USER [--display-name N] [--admin] [--enabled yes|no|default]",
    "add a user; the password from $PERCH_NEW_PASSWORD or a prompt" },
  { "set", user_set, "user set USER [--display-name N] [--admin yes|no] [--enabled yes|no|default] [--password]",
    "change a user; --password asks for a new one (or $PERCH_NEW_PASSWORD)" },
  { "delete", user_delete, "user delete USER [--yes]", "delete a user (asks first)" },
  { NULL }
};

/* ---- policy ----------------------------------------------------------------------------- */

static int
policy_show (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(JsonNode) reply = NULL;
  int status = perchctl_fetch (ctl, argc, argv, "GET", "/policy", FALSE, &reply);
  if (status != EXIT_OK || reply == NULL)
    return status;
  gboolean global = jbool (json_node_get_object (reply), "enable_persistent_chat");
  print_field ("Persistent chat", global ? "enabled for every user" : "only for users enabled one by one");
  /* Administrators also see who differs from the global policy. */
  g_autoptr(JsonNode) me = NULL;
  if ((status = api_call (ctl, "GET", "/me", NULL, &me)))
    return status;
  if (!jbool (json_node_get_object (me), "admin"))
    return EXIT_OK;
  g_autoptr(JsonNode) users = NULL;
  if ((status = api_list (ctl, "/users", TRUE, &users)))
    return status;
  g_autoptr(GString) enabled = g_string_new (NULL);
  g_autoptr(GString) disabled = g_string_new (NULL);
  JsonArray *items = jitems (users);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *user = json_array_get_object_element (items, i);
      const char *chat = user_chat (user);
      GString *into = strcmp (chat, "enabled") == 0 ? enabled : strcmp (chat, "disabled") == 0 ? disabled : NULL;
      if (into == NULL)
        continue;
      g_string_append_printf (into, "%s%s", into->len ? ", " : "", fmt_user (jstr (user, "uri")));
    }
  print_field ("Enabled users", enabled->str);
  print_field ("Disabled users", disabled->str);
  return EXIT_OK;
}

static int
policy_set (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "enable-persistent-chat=", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 0, 0, &status);
  if (args == NULL)
    return status;
  int enable = -1;
  if ((status = args_yes_no (ctl, args, "enable-persistent-chat", &enable)))
    return status;
  if (enable < 0)
    return usage_error (ctl, "policy set needs --enable-persistent-chat yes|no");
  JsonObject *body = json_object_new ();
  json_object_set_boolean_member (body, "enable_persistent_chat", enable);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PATCH", "/policy", json_object_node (body), &reply)))
    return status;
  if (ctl->json)
    print_json_node (reply);
  else
    print_field ("Persistent chat", jbool (json_node_get_object (reply), "enable_persistent_chat")
                                    ? "enabled for every user" : "only for users enabled one by one");
  return EXIT_OK;
}

/* policy user USER [--enabled yes|no|default]: Grant-CsPersistentChatPolicy. */
static int
policy_user (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "enabled=", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 1, 1, &status);
  if (args == NULL)
    return status;
  JsonObject *body = json_object_new ();
  if ((status = set_enabled (ctl, args, body)))
    {
      json_object_unref (body);
      return status;
    }
  if (json_object_get_size (body) == 0)
    {
      json_object_unref (body);
      g_autofree char *path = api_path ("users", args_pos (args, 0), NULL);
      g_autoptr(JsonNode) reply = NULL;
      if ((status = api_call (ctl, "GET", path, NULL, &reply)))
        return status;
      if (ctl->json)
        print_json_node (reply);
      else
        g_print ("%s: %s\n", fmt_user (jstr (json_node_get_object (reply), "uri")),
                 user_chat (json_node_get_object (reply)));
      return EXIT_OK;
    }
  return put_user (ctl, args_pos (args, 0), body, FALSE, FALSE);
}

const PerchctlVerb perchctl_policy_verbs[] = {
  { "show", policy_show, "policy show", "the global policy (and, for administrators, who differs)" },
  { "set", policy_set, "policy set --enable-persistent-chat yes|no", "the global default" },
  { "user", policy_user, "policy user USER [--enabled yes|no|default]",
    "show or set one user's own policy (default: the global one)" },
  { NULL }
};

/* ---- groups ------------------------------------------------------------------------------ */

static int
group_list (Ctl *ctl, int argc, char **argv)
{
  static const PerchctlColumn columns[] = { { "GROUP", "name" }, { "MEMBERS", "members", TRUE }, { NULL } };
  return perchctl_list (ctl, argc, argv, "/groups", columns);
}

static int
show_group (Ctl *ctl, JsonNode *reply)
{
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  JsonObject *group = json_node_get_object (reply);
  g_autofree char *as = g_strconcat ("group:", jstr (group, "name"), NULL);
  g_autofree char *members = fmt_list (group, "members");
  print_field ("Group", jstr (group, "name"));
  print_field ("In lists as", as);
  print_field ("Members", members);
  return EXIT_OK;
}

static int
group_show (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 1, 1, &status);
  if (args == NULL)
    return status;
  g_autofree char *path = api_path ("groups", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "GET", path, NULL, &reply)))
    return status;
  return show_group (ctl, reply);
}

static int
group_set (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 1, G_MAXUINT, &status);
  if (args == NULL)
    return status;
  JsonObject *body = json_object_new ();
  json_object_set_array_member (body, "members", json_strv_array (args_pos_from (args, 1)));
  g_autofree char *path = api_path ("groups", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PUT", path, json_object_node (body), &reply)))
    return status;
  return show_group (ctl, reply);
}


static int
group_delete (Ctl *ctl, int argc, char **argv)
{
  return perchctl_delete (ctl, argc, argv, "groups", "group", NULL);
}

const PerchctlVerb perchctl_group_verbs[] = {
  { "list", group_list, "group list", "groups and their members" },
  { "show", group_show, "group show NAME", "one group" },
  { "set", group_set, "group set NAME [MEMBER...]", "create a group or replace its members" },
  { "delete", group_delete, "group delete NAME", "delete a group" },
  { NULL }
};

/* ---- add-ins ------------------------------------------------------------------------------ */

static int
addin_list (Ctl *ctl, int argc, char **argv)
{
  static const PerchctlColumn columns[] = { { "ADD-IN", "name" }, { "URL", "url" }, { NULL } };
  return perchctl_list (ctl, argc, argv, "/addins", columns);
}

static int
addin_add (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 2, 2, &status);
  if (args == NULL)
    return status;
  JsonObject *body = json_object_new ();
  json_object_set_string_member (body, "url", args_pos (args, 1));
  g_autofree char *path = api_path ("addins", args_pos (args, 0), NULL);
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_call (ctl, "PUT", path, json_object_node (body), &reply)))
    return status;
  if (ctl->json)
    print_json_node (reply);
  else
    g_print ("%s: %s\n", jstr (json_node_get_object (reply), "name"), jstr (json_node_get_object (reply), "url"));
  return EXIT_OK;
}

static int
addin_delete (Ctl *ctl, int argc, char **argv)
{
  return perchctl_delete (ctl, argc, argv, "addins", "add-in", NULL);
}

const PerchctlVerb perchctl_addin_verbs[] = {
  { "list", addin_list, "addin list", "add-ins of the pool" },
  { "add", addin_add, "addin add NAME URL", "register an add-in (or change its URL)" },
  { "delete", addin_delete, "addin delete NAME", "remove an add-in" },
  { NULL }
};

/* ---- audit ---------------------------------------------------------------------------------- */

static int
audit_list (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "limit=", "cursor=", "all", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 0, 0, &status);
  if (args == NULL)
    return status;
  gint64 limit = 0;
  if ((status = args_int (ctl, args, "limit", 1, 1000, &limit)))
    return status;
  if (args_has (args, "all") && args_has (args, "cursor"))
    return usage_error (ctl, "--all or --cursor, not both");
  g_autoptr(GString) path = g_string_new ("/audit");
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
  g_autoptr(Table) table = table_new ("TIME", "WHO", "ACTION", "TARGET", "DETAIL", NULL);
  table_set_max_width (table, 3, 48);
  JsonArray *items = jitems (reply);
  for (guint i = 0; items && i < json_array_get_length (items); i++)
    {
      JsonObject *entry = json_array_get_object_element (items, i);
      g_autofree char *ts = fmt_time (jstr (entry, "ts"), TRUE);
      table_add (table, ts, fmt_user (jstr (entry, "actor")), jstr (entry, "action"), jstr (entry, "target"),
                 jstr (entry, "detail"));
    }
  table_print (g_steal_pointer (&table));
  const char *next = jstr (json_node_get_object (reply), "next_cursor");
  if (*next)
    g_printerr ("(older: --cursor %s, or --all)\n", next);
  return EXIT_OK;
}

const PerchctlVerb perchctl_audit_verbs[] = {
  { "list", audit_list, "audit list [--limit N] [--all | --cursor C]", "who did what, newest first" },
  { NULL }
};
