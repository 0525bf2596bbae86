/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-util.h: helpers shared by the test programs.
 *
 * Integration tests run the real perchd ($PERCHD) on loopback with a fresh
 * data directory and talk to it with PerchClient. Nothing here sleeps: every
 * wait spins the thread-default main context until a condition holds or a
 * deadline passes. */
#pragma once

#include <glib.h>
#include "perch-client.h"

G_BEGIN_DECLS

typedef struct {
  GSubprocess *process;
  char        *dir;            /* the test's temporary directory */
  char        *data_dir;       /* dir/data: what perchd gets as --data-dir */
  char        *stderr_path;    /* dir/perchd-N.stderr */
  char        *host;           /* "127.0.0.1" */
  guint16      sip_port;
  guint16      tls_port;
  GHashTable  *ready;          /* every key=value of the ready line */
  GStrv        extra_args;
  guint        runs;           /* how many times perchd was started */
  gboolean     running;
  gboolean     exited;         /* the current run's process ended */
  gboolean     stdout_done;    /* and its stdout was drained to the end */
  gboolean     keep_ports;     /* the run being started listens where the last one did */
} PerchTestServer;

/* Starts perchd with --demo on a new data directory, plus EXTRA_ARGS
 * (NULL-terminated, may be NULL), and waits (20 s at most) for its ready
 * line. Fails the test, showing perchd's stderr, when it does not come up. */
PerchTestServer *perch_test_server_start (const char *const *extra_args);
/* SIGTERM, wait, assert exit status 0, remove the directory, free. A server
 * that perch_test_server_kill stopped is only cleaned up. */
void             perch_test_server_stop (PerchTestServer *server);
/* SIGKILL and wait; the data directory stays for a restart. */
void             perch_test_server_kill (PerchTestServer *server);
/* Starts perchd again on the same data directory (stopping it cleanly
 * first if it runs). Ports change: read them again. */
void             perch_test_server_restart (PerchTestServer *server);
/* The same on the ports of the last run (SIP, TLS, and --http-listen and
 * --https-listen given with port 0): what a client that only knows the old
 * addresses needs to find it again. */
void             perch_test_server_restart_same_ports (PerchTestServer *server);
/* kill(2) now, e.g. SIGSTOP/SIGCONT to make the server hold still. */
void             perch_test_server_signal (PerchTestServer *server, int sig);
/* A value from the ready line ("http" -> "127.0.0.1:PORT"), or NULL. */
const char      *perch_test_server_get (PerchTestServer *server, const char *key);
/* What perchd wrote on stderr so far (all runs), newly allocated. */
char            *perch_test_server_stderr (PerchTestServer *server);
/* A kB figure of the running perchd's /proc/PID/status: FIELD names the
 * line with its colon ("VmHWM:", "VmRSS:"); asserted to be there. */
gint64           perch_test_server_proc_kb (PerchTestServer *server, const char *field);

/* Signs NAME ("alice") in with the demo password NAME-demo over TCP and
 * asserts that it worked. */
PerchClient *perch_test_connect (PerchTestServer *server, const char *name);
/* The same with everything chosen; NULL and ERROR when sign-in fails. The
 * client is returned through CLIENT_OUT either way when not NULL, so its
 * provisioning state can be read after a failure. */
PerchClient *perch_test_connect_full (PerchTestServer *server, const char *user,
                                      const char *password, gboolean tls,
                                      PerchClient **client_out, GError **error);
/* perch_client_close_async, waited for, then the last reference dropped. */
void         perch_test_disconnect (PerchClient *client);

/* Synchronous wrappers over the client's async calls. */
PerchClientReply *perch_test_command (PerchClient *client, const char *cmd,
                                      const char *data_xml, GError **error);
gboolean          perch_test_post (PerchClient *client, const char *room_uri,
                                   const char *text, GError **error);
/* cmd:join, asserted to succeed. */
void              perch_test_join (PerchClient *client, const char *room_uri);
/* The URI of the room whose name is exactly NAME, found with cmd:chansrch;
 * NULL when the search does not list it. */
char             *perch_test_find_room (PerchClient *client, const char *name);
/* The <chanid/> list of a cmd:bjoin for the rooms IDS (NULL-terminated),
 * keys 0, 1, ... in order, domain example.test. Newly allocated. */
char             *perch_test_bjoin_data (const char *const *ids);

/* Texts of the newest 500 messages of ROOM_URI as CLIENT reads them with
 * cmd:bccontext (asserted to succeed), oldest first. Free with
 * g_ptr_array_unref. */
GPtrArray *perch_test_history_texts (PerchClient *client, const char *room_uri);
/* How many of TEXTS (char*) are exactly TEXT. */
guint      perch_test_count_text (GPtrArray *texts, const char *text);
/* An array that collects the text of every live post CLIENT receives from
 * now on, in order. The signal handler holds a reference of its own, so the
 * caller may drop theirs (g_ptr_array_unref) before or after the client. */
GPtrArray *perch_test_listen_posts (PerchClient *client);
/* Spins until TEXT is in HEARD (as perch_test_listen_posts fills it);
 * g_error when it is not there within 20 s. */
void       perch_test_assert_hears (GPtrArray *heard, const char *text);

/* Spins the main context until COND (DATA) is TRUE or TIMEOUT_MS passes.
 * Returns whether COND held. */
gboolean perch_test_wait (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms);
/* Spins until *RESULT is set (by perch_test_async_ready) or TIMEOUT_MS;
 * asserts that it was. */
void     perch_test_wait_result (GAsyncResult **result, guint timeout_ms);
/* A GAsyncReadyCallback that stores a reference to the result in
 * *(GAsyncResult **) user_data. */
void     perch_test_async_ready (GObject *source, GAsyncResult *result, gpointer user_data);
/* Lets MS milliseconds pass with the main context running. */
void     perch_test_spin_ms (guint ms);

/* Removes PATH and, when it is a directory, everything below it. What
 * cannot be removed is reported with g_test_message, not asserted. */
void     perch_test_remove_tree (const char *path);
/* Removes the files directly in directory PATH, then PATH; asserts that
 * every removal worked (so no subdirectories). */
void     perch_test_remove_dir (const char *path);

G_END_DECLS
