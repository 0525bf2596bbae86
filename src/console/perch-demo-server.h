/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-demo-server.h: perchd's own code, run in-process on a thread of its
 * own for the console's demo mode: the demo pool in a temporary data dir,
 * SIP and the room management service on loopback, ports picked by the
 * system. Stopping it ends the thread and removes the data dir. */
#pragma once

#include <gio/gio.h>
#include "perch-types.h"

G_BEGIN_DECLS

#define PERCH_TYPE_DEMO_SERVER (perch_demo_server_get_type ())
G_DECLARE_FINAL_TYPE (PerchDemoServer, perch_demo_server, PERCH, DEMO_SERVER, GObject)

/* Starts the server thread and completes once the server listens (or failed
 * to start, in which case the thread is gone and the data dir removed). */
void             perch_demo_server_start_async  (GCancellable *cancellable, GAsyncReadyCallback callback,
                                                 gpointer user_data);
PerchDemoServer *perch_demo_server_start_finish (GAsyncResult *result, GError **error);

const char *perch_demo_server_get_http_address (PerchDemoServer *self);  /* "127.0.0.1:PORT" */
const char *perch_demo_server_get_sip_address (PerchDemoServer *self);
const char *perch_demo_server_get_domain (PerchDemoServer *self);
const char *perch_demo_server_get_data_dir (PerchDemoServer *self);       /* removed once stopped */
gboolean    perch_demo_server_is_running (PerchDemoServer *self);
/* The administrator's credentials in the demo pool. */
char       *perch_demo_server_get_admin_user (PerchDemoServer *self);      /* "admin@example.test" */
const char *perch_demo_server_get_admin_password (PerchDemoServer *self);

/* Stops the server (its sessions end, its writes are flushed), joins the
 * thread on a worker so the caller's context keeps running, and removes
 * the data dir. Never fails; stopping twice is harmless. */
void     perch_demo_server_stop_async  (PerchDemoServer *self, GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean perch_demo_server_stop_finish (PerchDemoServer *self, GAsyncResult *result, GError **error);
/* The same, blocking: for process exit, where nothing else has to run. */
void     perch_demo_server_stop (PerchDemoServer *self);

G_END_DECLS
