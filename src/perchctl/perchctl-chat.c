/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-chat.c: `perchctl chat`, a terminal chat client over SIP/XCCOS:
 * list rooms, read history, post, follow a room live. It signs in over SIP
 * (--sip HOST:PORT, --tls) with the same user and password as the other
 * nouns use over HTTP. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>

#include "perchctl.h"
#include "perch-common.h"

/* ---- running async calls to completion ------------------------------------ */

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static int
exit_code_for (const GError *error)
{
  if (error->domain == PERCH_ERROR)
    switch (error->code)
      {
      case PERCH_ERROR_NOT_FOUND:     return EXIT_NOT_FOUND;
      case PERCH_ERROR_BUSY:          return EXIT_UNAVAILABLE;
      default:                        return EXIT_FAILED;
      }
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    return EXIT_UNAVAILABLE;
  return EXIT_FAILED;
}

static int
fail (const char *what, const GError *error)
{
  g_printerr ("perchctl: %s: %s\n", what, error->message);
  return exit_code_for (error);
}

int
perchctl_chat_sign_in (Ctl *ctl)
{
  g_autoptr(GError) error = NULL;
  const char *colon = strrchr (ctl->sip, ':');
  guint64 port = 0;
  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL))
    {
      g_printerr ("perchctl: --sip wants HOST:PORT, not “%s”\n", ctl->sip);
      return EXIT_USAGE;
    }
  g_autofree char *host = g_strndup (ctl->sip, colon - ctl->sip);
  const char *user = perchctl_user (ctl);
  if (user == NULL)
    return EXIT_USAGE;
  g_autofree char *prompt = g_strdup_printf ("Password for %s: ", user);
  g_autofree char *password = perchctl_read_password (prompt, "PERCH_PASSWORD");
  if (password == NULL)
    {
      g_printerr ("perchctl: no password (set PERCH_PASSWORD or type it)\n");
      return EXIT_USAGE;
    }
  ctl->client = perch_client_new (host, (guint16) port, ctl->tls, user, password);
  perch_client_set_accept_invalid_certificates (ctl->client, ctl->insecure);
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_connect_async (ctl->client, NULL, store_result, &result);
  if (!perch_client_connect_finish (ctl->client, wait_result (&result), &error))
    {
      int status = fail ("sign-in", error);
      return g_error_matches (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED) ? EXIT_AUTH : status;
    }
  return EXIT_OK;
}

/* ---- output ----------------------------------------------------------------- */

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

/* ---- chat verbs ------------------------------------------------------------- */

static PerchClientReply *
command (Ctl *ctl, const char *cmd, const char *data, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_command_async (ctl->client, cmd, data, NULL, store_result, &result);
  return perch_client_command_finish (ctl->client, wait_result (&result), error);
}

/* A room given by URI, or by exact name (case-insensitive) through search. */
static char *
resolve_room (Ctl *ctl, const char *room, GError **error)
{
  if (g_str_has_prefix (room, "ma-chan://"))
    return g_strdup (room);
  g_autofree char *data = perch_client_build_search_data (room);
  g_autoptr(PerchClientReply) reply = command (ctl, "cmd:chansrch", data, error);
  if (reply == NULL)
    return NULL;
  for (xmlNode *c = perch_xml_child (reply->data, "chanib"); c; c = perch_xml_next (c, "chanib"))
    {
      g_autofree char *name = perch_xml_get (c, "name");
      if (name && g_utf8_collate (name, room) == 0)
        return perch_xml_get (c, "uri");
      g_autofree char *a = name ? g_utf8_casefold (name, -1) : NULL;
      g_autofree char *b = g_utf8_casefold (room, -1);
      if (a && strcmp (a, b) == 0)
        return perch_xml_get (c, "uri");
    }
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room named “%s”", room);
  return NULL;
}

static int
chat_rooms (Ctl *ctl, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = perch_client_build_search_data (argc > 0 ? argv[0] : "");
  g_autoptr(PerchClientReply) reply = command (ctl, "cmd:chansrch", data, &error);
  if (reply == NULL)
    return fail ("search", error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  if (!ctl->json)
    g_print ("%-28s %-6s %-8s %s\n", "NAME", "USERS", "ACCESS", "DESCRIPTION");
  for (xmlNode *c = perch_xml_child (reply->data, "chanib"); c; c = perch_xml_next (c, "chanib"))
    {
      g_autofree char *name = perch_xml_get (c, "name");
      g_autofree char *desc = perch_xml_get (c, "description");
      g_autofree char *uri = perch_xml_get (c, "uri");
      g_autofree char *users = NULL;
      g_autofree char *visibility = NULL;
      for (xmlNode *i = perch_xml_child (c, "info"); i; i = perch_xml_next (i, "info"))
        {
          g_autofree char *id = perch_xml_get (i, "id");
          if (g_strcmp0 (id, "urn:parlano:ma:info:ucnt") == 0)
            users = perch_xml_text (i);
          else if (g_strcmp0 (id, "urn:parlano:ma:info:visibilty") == 0)
            visibility = perch_xml_text (i);
        }
      if (ctl->json)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "uri");
          json_builder_add_string_value (b, uri);
          json_builder_set_member_name (b, "description");
          json_builder_add_string_value (b, desc ? desc : "");
          json_builder_set_member_name (b, "users");
          json_builder_add_int_value (b, users ? g_ascii_strtoll (users, NULL, 10) : 0);
          json_builder_set_member_name (b, "visibility");
          json_builder_add_string_value (b, visibility ? visibility : "");
          json_builder_end_object (b);
        }
      else
        g_print ("%-28s %-6s %-8s %s\n", name, users ? users : "0", visibility ? visibility : "", desc ? desc : "");
    }
  json_builder_end_array (b);
  if (ctl->json)
    print_json (b);
  return EXIT_OK;
}

static void
print_message (Ctl *ctl, JsonBuilder *b, const char *author, const char *ts, const char *msgid, const char *text)
{
  if (ctl->json)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, msgid ? msgid : "");
      json_builder_set_member_name (b, "author");
      json_builder_add_string_value (b, author ? author : "");
      json_builder_set_member_name (b, "ts");
      json_builder_add_string_value (b, ts ? ts : "");
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, text ? text : "");
      json_builder_end_object (b);
      return;
    }
  const char *who = author && g_str_has_prefix (author, "sip:") ? author + 4 : author;
  g_print ("[%.19s] %s: %s\n", ts ? ts : "", who ? who : "?", text ? text : "");
}

static int
chat_history (Ctl *ctl, int argc, char **argv)
{
  if (argc < 1)
    {
      g_printerr ("perchctl: chat history ROOM [COUNT]\n");
      return EXIT_USAGE;
    }
  g_autoptr(GError) error = NULL;
  guint64 count = 30;
  if (argc > 1 && !g_ascii_string_to_unsigned (argv[1], 10, 1, 500, &count, NULL))
    {
      g_printerr ("perchctl: COUNT is 1 to 500\n");
      return EXIT_USAGE;
    }
  g_autofree char *uri = resolve_room (ctl, argv[0], &error);
  if (uri == NULL)
    return fail ("history", error);
  g_autofree char *data = perch_client_build_history_data (uri, (guint) count);
  g_autoptr(PerchClientReply) reply = command (ctl, "cmd:bccontext", data, &error);
  if (reply == NULL)
    return fail ("history", error);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  xmlNode *chanib = perch_xml_child (reply->data, "chanib");
  for (xmlNode *m = perch_xml_child (chanib, "msg"); m; m = perch_xml_next (m, "msg"))
    {
      g_autofree char *author = perch_xml_get (m, "author");
      g_autofree char *ts = perch_xml_get (m, "ts");
      g_autofree char *msgid = perch_xml_get (m, "msgid");
      g_autofree char *text = perch_xml_text (perch_xml_child (m, "chat"));
      print_message (ctl, b, author, ts, msgid, text);
    }
  json_builder_end_array (b);
  if (ctl->json)
    print_json (b);
  return EXIT_OK;
}

static int
join_room (Ctl *ctl, const char *uri, GError **error)
{
  g_autofree char *data = perch_client_build_join_data (uri);
  g_autoptr(PerchClientReply) reply = command (ctl, "cmd:join", data, error);
  return reply != NULL;
}

static int
chat_post (Ctl *ctl, int argc, char **argv)
{
  if (argc < 2)
    {
      g_printerr ("perchctl: chat post ROOM TEXT... (TEXT “-” reads standard input)\n");
      return EXIT_USAGE;
    }
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = resolve_room (ctl, argv[0], &error);
  if (uri == NULL || !join_room (ctl, uri, &error))
    return fail ("post", error);
  g_autofree char *text = NULL;
  if (argc == 2 && strcmp (argv[1], "-") == 0)
    {
      GString *in = g_string_new (NULL);
      char buf[4096];
      size_t n;
      while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
        g_string_append_len (in, buf, n);
      text = g_string_free (in, FALSE);
      g_strchomp (text);
    }
  else
    text = g_strjoinv (" ", argv + 1);
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_post_async (ctl->client, uri, text, NULL, store_result, &result);
  if (!perch_client_post_finish (ctl->client, wait_result (&result), &error))
    return fail ("post", error);
  return EXIT_OK;
}

static void
on_post (PerchClient *client, const char *room, const char *author, const char *text,
         const char *ts, const char *msgid, Ctl *ctl)
{
  if (ctl->json)
    {
      /* One JSON object a line, so a script can read the stream. */
      g_autoptr(JsonBuilder) b = json_builder_new ();
      print_message (ctl, b, author, ts, msgid, text);
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      g_autofree char *line = json_to_string (root, FALSE);
      g_print ("%s\n", line);
    }
  else
    print_message (ctl, NULL, author, ts, msgid, text);
  fflush (stdout);
}

static void
on_closed (PerchClient *client, GError *error, Ctl *ctl)
{
  if (ctl->loop == NULL)
    return;  /* our own close, after following */
  if (error != NULL)
    g_printerr ("perchctl: session ended: %s\n", error->message);
  g_main_loop_quit (ctl->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  Ctl *ctl = user_data;
  g_main_loop_quit (ctl->loop);
  return G_SOURCE_CONTINUE;
}

static int
chat_follow (Ctl *ctl, int argc, char **argv)
{
  if (argc < 1)
    {
      g_printerr ("perchctl: chat follow ROOM\n");
      return EXIT_USAGE;
    }
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = resolve_room (ctl, argv[0], &error);
  if (uri == NULL || !join_room (ctl, uri, &error))
    return fail ("follow", error);
  g_signal_connect (ctl->client, "post", G_CALLBACK (on_post), ctl);
  g_signal_connect (ctl->client, "closed", G_CALLBACK (on_closed), ctl);
  if (!ctl->json)
    g_printerr ("Following %s; Ctrl-C to stop.\n", argv[0]);
  ctl->loop = g_main_loop_new (NULL, FALSE);
  guint intr = g_unix_signal_add (SIGINT, on_interrupt, ctl);
  guint term = g_unix_signal_add (SIGTERM, on_interrupt, ctl);
  g_main_loop_run (ctl->loop);
  g_source_remove (intr);
  g_source_remove (term);
  g_clear_pointer (&ctl->loop, g_main_loop_unref);
  return EXIT_OK;
}

const PerchctlVerb perchctl_chat_verbs[] = {
  { "rooms",   chat_rooms,   "chat rooms [TEXT]", "rooms whose name or description has TEXT" },
  { "history", chat_history, "chat history ROOM [COUNT]", "the last COUNT (30) messages" },
  { "post",    chat_post,    "chat post ROOM TEXT...", "post TEXT (“-”: standard input)" },
  { "follow",  chat_follow,  "chat follow ROOM", "print posts as they arrive" },
  { NULL }
};

void
perchctl_chat_close (Ctl *ctl)
{
  if (ctl->client == NULL)
    return;
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_close_async (ctl->client, NULL, store_result, &result);
  perch_client_close_finish (ctl->client, wait_result (&result), NULL);
  g_clear_object (&ctl->client);
}
