/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchd.c: the Perch server program.
 *
 * Parses options, starts a PerchServer, prints one ready line naming every
 * bound address (scripts and tests wait for it), and runs until SIGTERM or
 * SIGINT, then shuts down cleanly: sessions ended, writes flushed. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "perch-compliance.h"
#include "perch-server.h"
#include "perch-sip-digest.h"

#include <string.h>
#include <termios.h>
#include <unistd.h>

static char *
read_secret (const char *prompt)
{
  char line[1024];
  gboolean tty = isatty (STDIN_FILENO);
  struct termios old, quiet;
  if (tty)
    {
      g_printerr ("%s", prompt);
      tcgetattr (STDIN_FILENO, &old);
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  char *got = fgets (line, sizeof line, stdin);
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &old);
      g_printerr ("\n");
    }
  if (got == NULL)
    return NULL;
  line[strcspn (line, "\r\n")] = '\0';
  return g_strdup (line);
}

/* perchd --data-dir D --add-user alice@example.com [--admin]: creates or
 * updates a user, enabled for persistent chat, with a password read from
 * standard input (never from the command line). */
static int
add_user (const char *data_dir, const char *who, gboolean admin)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db = g_build_filename (data_dir, "perch.db", NULL);
  if (!g_file_test (db, G_FILE_TEST_EXISTS))
    {
      g_printerr ("perchd: %s has no store yet; start perchd on it once first\n", data_dir);
      return 1;
    }
  g_autoptr(PerchStore) store = perch_store_open_sqlite (db, &error);
  if (store == NULL)
    {
      g_printerr ("perchd: %s\n", error->message);
      return 1;
    }
  g_autofree char *domain = perch_store_config_get (store, "domain");
  g_autofree char *uri = perch_normalize_user_uri (who);
  if (uri == NULL || domain == NULL || !g_str_has_suffix (uri, domain) || uri[strlen (uri) - strlen (domain) - 1] != '@')
    {
      g_printerr ("perchd: “%s” is not a user of this pool's domain (%s)\n", who, domain ? domain : "?");
      return 2;
    }
  g_autofree char *password = read_secret ("Password: ");
  if (password == NULL || strlen (password) < 8)
    {
      g_printerr ("perchd: a password of at least 8 characters is needed on standard input\n");
      return 2;
    }
  g_autoptr(PerchUser) existing = perch_store_user_get (store, uri);
  g_autofree char *ha1 = perch_digest_ha1 (uri + 4, domain, password);
  PerchUser user = {
    .uri = uri,
    .display_name = existing ? existing->display_name : (char *) "",
    .ha1 = ha1,
    .admin = admin || (existing && existing->admin),
    .enabled = 1,
  };
  if (!perch_store_user_put (store, &user, &error))
    {
      g_printerr ("perchd: %s\n", error->message);
      return 1;
    }
  g_print ("%s %s%s\n", existing ? "updated" : "added", uri, user.admin ? " (administrator)" : "");
  return 0;
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static void
compliance_ran (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  guint64 events = 0;
  if (perch_compliance_run_now_finish (PERCH_COMPLIANCE (source), result, &events, &error))
    g_printerr ("perchd: compliance run: %" G_GUINT64_FORMAT " events delivered\n", events);
  else
    g_printerr ("perchd: compliance run failed: %s\n", error->message);
}

/* SIGUSR1 runs compliance now: an operator's hook, until the management
 * API has its own. */
static gboolean
on_usr1 (gpointer user_data)
{
  perch_compliance_run_now_async (perch_server_get_compliance (user_data), NULL, compliance_ran, NULL);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *sip_listen = NULL;
  g_autofree char *tls_listen = NULL;
  g_autofree char *http_listen = NULL;
  g_autofree char *https_listen = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_auto(GStrv) config = NULL;
  g_autofree char *new_user = NULL;
  gboolean demo = FALSE, version = FALSE, verbose = FALSE, admin = FALSE;
  const GOptionEntry entries[] = {
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir, "Where the store, files and certificate live", "DIR" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain, "SIP domain of a new data dir (default example.test)", "DOMAIN" },
    { "sip-listen", 0, 0, G_OPTION_ARG_STRING, &sip_listen, "SIP over TCP (default 127.0.0.1:5060; port 0 picks one)", "HOST:PORT" },
    { "tls-listen", 0, 0, G_OPTION_ARG_STRING, &tls_listen, "SIP over TLS", "HOST:PORT" },
    { "http-listen", 0, 0, G_OPTION_ARG_STRING, &http_listen,
      "Room management over plain HTTP, on loopback only (port 0 picks one)", "HOST:PORT" },
    { "https-listen", 0, 0, G_OPTION_ARG_STRING, &https_listen,
      "Room management over HTTPS, with the SIP TLS certificate", "HOST:PORT" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate (default DIR/tls.crt)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key (default DIR/tls.key)", "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &config, "Set a configuration value in the store (repeatable)", "KEY=VALUE" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo, "Fill an empty data dir with the demo pool", NULL },
    { "add-user", 0, 0, G_OPTION_ARG_STRING, &new_user, "Add or update a user (password on standard input), then exit", "USER@DOMAIN" },
    { "admin", 0, 0, G_OPTION_ARG_NONE, &admin, "With --add-user: make the user an administrator", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log more", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  g_autoptr(GOptionContext) context = g_option_context_new ("- the Perch persistent chat server");
  g_option_context_add_main_entries (context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("perchd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("perchd %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (new_user != NULL)
    {
      if (data_dir == NULL)
        {
          g_printerr ("perchd: --add-user needs --data-dir\n");
          return 2;
        }
      return add_user (data_dir, new_user, admin);
    }
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "perch", FALSE);
  if (data_dir == NULL && demo)
    {
      data_dir = g_dir_make_tmp ("perch-demo-XXXXXX", &error);
      if (data_dir == NULL)
        {
          g_printerr ("perchd: %s\n", error->message);
          return 1;
        }
    }
  if (sip_listen == NULL && tls_listen == NULL)
    sip_listen = g_strdup ("127.0.0.1:5060");

  PerchServerOptions options = {
    .data_dir = data_dir, .domain = domain, .sip_listen = sip_listen, .tls_listen = tls_listen,
    .http_listen = http_listen, .https_listen = https_listen,
    .tls_cert = tls_cert, .tls_key = tls_key, .demo = demo,
    .config = (const char *const *) config,
  };
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  PerchServer *server = perch_server_new (&options, &error);
  if (server == NULL)
    {
      g_printerr ("perchd: %s\n", error->message);
      return 1;
    }
  if (demo)
    {
      g_printerr ("perchd: demo pool in %s, domain %s; sign in as\n", data_dir, perch_server_get_domain (server));
      for (guint i = 0; perch_demo_credentials[i]; i += 2)
        g_printerr ("  %s@%s  password %s\n", perch_demo_credentials[i], perch_server_get_domain (server),
                    perch_demo_credentials[i + 1]);
    }
  /* Before the ready line: a SIGUSR1 sent once it is out must not find
   * the default action (termination). */
  guint usr1 = g_unix_signal_add (SIGUSR1, on_usr1, server);
  g_print ("%s\n", perch_server_get_ready_line (server));
  fflush (stdout);

  guint term = g_unix_signal_add (SIGTERM, on_signal, loop);
  guint intr = g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (term);
  g_source_remove (intr);
  perch_server_free (server);
  g_source_remove (usr1);
  g_printerr ("perchd: stopped\n");
  return 0;
}
