/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl.c: the command line administrators script.
 *
 *   perchctl [--server URL] [--user U] [--json] <noun> <verb> [options]
 *
 * The administrative nouns (room, category, message, config, compliance,
 * policy, user, group, addin, pool, audit, export, import) speak to perchd's room management service
 * over HTTP(S); `chat` is a terminal chat client over SIP/XCCOS (--sip).
 * Each noun has a table of verbs; each verb parses its own options (see
 * perchctl-args.c). Passwords come from $PERCH_PASSWORD or a prompt without
 * echo (or the first line of standard input), never from the command line. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "perchctl.h"

typedef struct {
  const char         *noun;
  const PerchctlVerb *verbs;
  const char         *summary;
  gboolean            sip;      /* signs in over SIP before the verb */
} Noun;

static const Noun nouns[] = {
  { "room",     perchctl_room_verbs,     "rooms: list, create, change, move, delete, lists, clear", FALSE },
  { "category", perchctl_category_verbs, "categories and who may be in and create rooms there", FALSE },
  { "message",  perchctl_message_verbs,  "a room's history; remove or replace messages", FALSE },
  { "config",   perchctl_config_verbs,   "pool-wide configuration", FALSE },
  { "compliance", perchctl_compliance_verbs, "the compliance service's settings", FALSE },
  { "policy",   perchctl_policy_verbs,   "who may use persistent chat", FALSE },
  { "user",     perchctl_user_verbs,     "users", FALSE },
  { "group",    perchctl_group_verbs,    "groups of users (group:NAME in lists)", FALSE },
  { "addin",    perchctl_addin_verbs,    "add-ins of the pool", FALSE },
  { "pool",     perchctl_pool_verbs,     "servers, pool state, active servers", FALSE },
  { "audit",    perchctl_audit_verbs,    "who did what", FALSE },
  { "export",   perchctl_export_verbs,   "the pool's content to one archive", FALSE },
  { "import",   perchctl_import_verbs,   "an archive into the pool", FALSE },
  { "chat",     perchctl_chat_verbs,     "chat over SIP: rooms, history, post, follow", TRUE },
};

/* ---- credentials -------------------------------------------------------------- */

static char *
read_line (void)
{
  char line[1024];
  if (fgets (line, sizeof line, stdin) == NULL)
    return NULL;
  line[strcspn (line, "\r\n")] = '\0';
  char *out = g_strdup (line);
  memset (line, 0, sizeof line);
  return out;
}

char *
perchctl_read_password (const char *prompt, const char *env)
{
  const char *value = env ? g_getenv (env) : NULL;
  if (value != NULL)
    return g_strdup (value);
  if (!isatty (STDIN_FILENO))
    return read_line ();   /* scripts pipe it in: the next line of standard input */
  g_printerr ("%s", prompt);
  struct termios old, quiet;
  gboolean restore = tcgetattr (STDIN_FILENO, &old) == 0;
  if (restore)
    {
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  char *password = read_line ();
  if (restore)
    tcsetattr (STDIN_FILENO, TCSANOW, &old);
  g_printerr ("\n");
  return password;
}

const char *
perchctl_user (Ctl *ctl)
{
  if (ctl->user == NULL && g_getenv ("PERCH_USER") != NULL)
    ctl->user = g_strdup (g_getenv ("PERCH_USER"));
  if (ctl->user == NULL)
    g_printerr ("perchctl: who are you? Give --user or set PERCH_USER\n");
  return ctl->user;
}

int
perchctl_confirm (Ctl *ctl, gboolean yes, const char *question)
{
  if (yes)
    return EXIT_OK;
  if (!isatty (STDIN_FILENO))
    {
      g_printerr ("perchctl: %s: not on a terminal to ask first; give --yes to go ahead\n", ctl->command);
      return EXIT_USAGE;
    }
  g_printerr ("%s [y/N] ", question);
  g_autofree char *answer = read_line ();
  if (answer != NULL && (g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0))
    return EXIT_OK;
  g_printerr ("perchctl: nothing done\n");
  return EXIT_FAILED;
}

/* ---- usage ----------------------------------------------------------------------- */

/* Every verb of NOUN: in full, or (BRIEF) its name and what it does. */
static void
usage_noun (const Noun *noun, gboolean brief)
{
  for (const PerchctlVerb *v = noun->verbs; v->verb; v++)
    if (brief)
      {
        g_autofree char *command = *v->verb ? g_strdup_printf ("%s %s", noun->noun, v->verb) : g_strdup (noun->noun);
        g_printerr ("  %-20s %s\n", command, v->summary);
      }
    else
      g_printerr ("  %s\n      %s\n", v->usage, v->summary);
}

static void
usage (void)
{
  g_printerr ("Usage: perchctl [OPTION...] NOUN VERB [ARG...] (perchctl --help for the options)\n\n");
  for (guint i = 0; i < G_N_ELEMENTS (nouns); i++)
    {
      usage_noun (&nouns[i], TRUE);
    }
  g_printerr ("\n`perchctl NOUN` shows a noun's commands in full. ROOM is a room's name, id\n"
              "or ma-chan:// URI; users are user@domain, groups group:NAME. Dates are YYYY-MM-DD,\n"
              "“YYYY-MM-DD HH:MM” (local time) or ISO 8601. The password comes from\n"
              "$PERCH_PASSWORD, else a prompt (or the first line of standard input).\n"
              "Exit status: 0 ok, 1 refused or failed, 2 usage, 3 sign-in refused,\n"
              "4 not found, 5 server unreachable or busy.\n");
}

/* ---- main ------------------------------------------------------------------------- */

static void
ctl_clear (Ctl *ctl)
{
  api_close (ctl);
  perchctl_chat_close (ctl);
  g_clear_pointer (&ctl->server, g_free);
  g_clear_pointer (&ctl->sip, g_free);
  g_clear_pointer (&ctl->user, g_free);
  g_clear_pointer (&ctl->command, g_free);
  g_clear_pointer (&ctl->api, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Ctl, ctl_clear)

/* SERVER as a base URL: a scheme when none was given, no trailing slash. */
static char *
server_url (const char *server)
{
  g_autofree char *url = strstr (server, "://") ? g_strdup (server) : g_strconcat ("http://", server, NULL);
  gsize len = strlen (url);
  while (len > 0 && url[len - 1] == '/')
    url[--len] = '\0';
  if (g_str_has_suffix (url, "/api/v1"))
    url[len - strlen ("/api/v1")] = '\0';
  return g_steal_pointer (&url);
}

int
main (int argc, char **argv)
{
  g_auto(Ctl) ctl = { 0 };
  const GOptionEntry entries[] = {
    { "server", 'S', 0, G_OPTION_ARG_STRING, &ctl.server,
      "The room management service (default $PERCH_SERVER or " PERCHCTL_DEFAULT_SERVER ")", "URL" },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &ctl.user, "Sign in as (default $PERCH_USER)", "USER@DOMAIN" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &ctl.json, "The service's JSON, for scripts", NULL },
    { "insecure", 'k', 0, G_OPTION_ARG_NONE, &ctl.insecure, "Accept any TLS certificate (demo servers)", NULL },
    { "sip", 's', 0, G_OPTION_ARG_STRING, &ctl.sip, "chat: perchd's SIP address (default $PERCH_SIP or 127.0.0.1:5060)", "HOST:PORT" },
    { "tls", 0, 0, G_OPTION_ARG_NONE, &ctl.tls, "chat: SIP over TLS", NULL },
    { NULL }
  };
  setlocale (LC_ALL, "");
  g_autoptr(GOptionContext) context = g_option_context_new ("NOUN VERB [ARG...] - administer Perch");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_strict_posix (context, TRUE);  /* options before the noun */
  g_option_context_set_description (context,
    "Nouns: room category message config compliance policy user group addin pool audit\n"
    "export import chat.\n"
    "`perchctl` alone lists every command; `perchctl NOUN VERB --help` shows one.\n"
    "The password comes from $PERCH_PASSWORD or a prompt, never from the command line.\n"
    "Exit status: 0 ok, 1 refused or failed, 2 usage, 3 sign-in refused, 4 not found,\n"
    "5 server unreachable or busy.");
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("perchctl: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (argc < 2)
    {
      usage ();
      return EXIT_USAGE;
    }
  const Noun *noun = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (nouns); i++)
    if (strcmp (nouns[i].noun, argv[1]) == 0)
      noun = &nouns[i];
  if (noun == NULL)
    {
      g_printerr ("perchctl: no noun “%s”\n\n", argv[1]);
      usage ();
      return EXIT_USAGE;
    }
  /* A noun with one verb named "" (export, import) takes its options at once. */
  gboolean verbless = *noun->verbs[0].verb == '\0';
  const PerchctlVerb *verb = verbless ? &noun->verbs[0] : NULL;
  for (const PerchctlVerb *v = noun->verbs; !verbless && argc > 2 && v->verb; v++)
    if (strcmp (v->verb, argv[2]) == 0)
      verb = v;
  if (verb == NULL)
    {
      if (argc > 2)
        g_printerr ("perchctl: no command “%s %s”\n", argv[1], argv[2]);
      g_printerr ("%s: %s\n", noun->noun, noun->summary);
      usage_noun (noun, FALSE);
      return EXIT_USAGE;
    }
  ctl.command = verbless ? g_strdup (noun->noun) : g_strdup_printf ("%s %s", noun->noun, verb->verb);
  ctl.usage = verb->usage;
  if (ctl.server == NULL)
    ctl.server = g_strdup (g_getenv ("PERCH_SERVER") ? g_getenv ("PERCH_SERVER") : PERCHCTL_DEFAULT_SERVER);
  g_autofree char *base = server_url (ctl.server);
  ctl.api = g_strconcat (base, "/api/v1", NULL);
  if (ctl.sip == NULL)
    ctl.sip = g_strdup (g_getenv ("PERCH_SIP") ? g_getenv ("PERCH_SIP") : "127.0.0.1:5060");

  int status = EXIT_OK;
  if (noun->sip)
    status = perchctl_chat_sign_in (&ctl);
  /* from here on every path ends below, where ctl is cleaned up (and the
   * HTTP token revoked) */
  if (status == EXIT_OK)
    status = verbless ? verb->func (&ctl, argc - 2, argv + 2) : verb->func (&ctl, argc - 3, argv + 3);
  return status;
}
