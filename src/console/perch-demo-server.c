/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-demo-server.c: the demo server thread.
 *
 * The thread makes a GMainContext, pushes it as its thread-default (the
 * server schedules everything there), creates the server and runs a loop
 * until told to quit; then it frees the server on that same thread and
 * removes the data dir. The starting GTask is completed from the thread:
 * GTask delivers the callback on the caller's context. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "perch-demo-server.h"
#include "perch-server.h"

struct _PerchDemoServer {
  GObject       parent_instance;

  GThread      *thread;
  GMainContext *context;       /* the server thread's */
  GMainLoop    *loop;
  GTask        *start_task;    /* until the server listens */
  char         *dir;           /* the temporary directory; data dir inside */
  char         *data_dir;
  char         *http_address;
  char         *sip_address;
  char         *domain;
  gboolean      stopping;
};

G_DEFINE_FINAL_TYPE (PerchDemoServer, perch_demo_server, G_TYPE_OBJECT)

static gboolean
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      return g_rmdir (path) == 0;
    }
  return g_remove (path) == 0 || errno == ENOENT;
}

static gpointer
server_thread (gpointer data)
{
  PerchDemoServer *self = data;   /* the thread holds a reference until it ends */
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);
  PerchServerOptions options = {
    .data_dir = self->data_dir,
    .sip_listen = "127.0.0.1:0",
    .http_listen = "127.0.0.1:0",
    .demo = TRUE,
    /* Compliance on, so the console's Compliance page has a queue to show:
     * the XML adapter writes into <data dir>/compliance, inside the
     * temporary directory that leaving demo mode removes. */
    .config = (const char *const[]) { "compliance_enabled=true", NULL },
  };
  PerchServer *server = perch_server_new (&options, &error);
  if (server != NULL)
    {
      self->http_address = g_strdup (perch_server_get_http_address (server));
      self->sip_address = g_strdup (perch_server_get_sip_address (server));
      self->domain = g_strdup (perch_server_get_domain (server));
      g_debug ("demo server: %s", perch_server_get_ready_line (server));
      g_task_return_boolean (self->start_task, TRUE);
      g_clear_object (&self->start_task);
      g_main_loop_run (self->loop);
      perch_server_free (server);
    }
  else
    {
      g_task_return_new_error (self->start_task, error->domain, error->code,
                               _("The demo server did not start: %s"), error->message);
      g_clear_object (&self->start_task);
    }
  /* What the server left scheduled goes with its context. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  if (self->dir != NULL && !remove_tree (self->dir))
    g_message ("demo server: could not remove %s: %s", self->dir, g_strerror (errno));
  g_object_unref (self);
  return NULL;
}

static void
perch_demo_server_finalize (GObject *object)
{
  PerchDemoServer *self = PERCH_DEMO_SERVER (object);

  /* The thread holds a reference while it runs, so it is over by now. */
  g_clear_pointer (&self->thread, g_thread_unref);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->dir);
  g_free (self->data_dir);
  g_free (self->http_address);
  g_free (self->sip_address);
  g_free (self->domain);

  G_OBJECT_CLASS (perch_demo_server_parent_class)->finalize (object);
}

static void
perch_demo_server_class_init (PerchDemoServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = perch_demo_server_finalize;
}

static void
perch_demo_server_init (PerchDemoServer *self)
{
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
}

void
perch_demo_server_start_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(PerchDemoServer) self = g_object_new (PERCH_TYPE_DEMO_SERVER, NULL);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_demo_server_start_async);
  /* A server that started is always handed over, cancelled or not, so
   * that the caller stops it. */
  g_task_set_check_cancellable (task, FALSE);
  g_autoptr(GError) error = NULL;

  self->dir = g_dir_make_tmp ("perch-console-demo-XXXXXX", &error);
  if (self->dir == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  self->data_dir = g_build_filename (self->dir, "data", NULL);
  self->start_task = task;
  self->thread = g_thread_try_new ("perch-demo-server", server_thread, g_object_ref (self), &error);
  if (self->thread == NULL)
    {
      g_object_unref (self);   /* the thread's reference */
      remove_tree (self->dir);
      self->start_task = NULL;
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
    }
}

PerchDemoServer *
perch_demo_server_start_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  GTask *task = G_TASK (result);
  if (!g_task_propagate_boolean (task, error))
    return NULL;
  return g_object_ref (g_task_get_source_object (task));
}

const char *
perch_demo_server_get_http_address (PerchDemoServer *self)
{
  return self->http_address;
}

const char *
perch_demo_server_get_sip_address (PerchDemoServer *self)
{
  return self->sip_address;
}

const char *
perch_demo_server_get_domain (PerchDemoServer *self)
{
  return self->domain;
}

const char *
perch_demo_server_get_data_dir (PerchDemoServer *self)
{
  return self->data_dir;
}

gboolean
perch_demo_server_is_running (PerchDemoServer *self)
{
  return self->thread != NULL && !self->stopping;
}

static const char *
credential (const char *name)
{
  for (guint i = 0; perch_demo_credentials[i]; i += 2)
    if (g_str_equal (perch_demo_credentials[i], name))
      return perch_demo_credentials[i + 1];
  return NULL;
}

char *
perch_demo_server_get_admin_user (PerchDemoServer *self)
{
  return g_strdup_printf ("admin@%s", self->domain ? self->domain : "example.test");
}

const char *
perch_demo_server_get_admin_password (PerchDemoServer *self)
{
  return credential ("admin");
}

static void
stop_in_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_thread_join (task_data);
  g_task_return_boolean (task, TRUE);
}

void
perch_demo_server_stop_async (PerchDemoServer *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (PERCH_IS_DEMO_SERVER (self));

  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, perch_demo_server_stop_async);
  g_task_set_check_cancellable (task, FALSE);
  if (self->thread == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* The thread is taken here, on the caller's thread, so that only this
   * worker joins it. */
  self->stopping = TRUE;
  g_main_loop_quit (self->loop);
  g_task_set_task_data (task, g_steal_pointer (&self->thread), NULL);
  g_task_run_in_thread (task, stop_in_worker);
}

gboolean
perch_demo_server_stop_finish (PerchDemoServer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
perch_demo_server_stop (PerchDemoServer *self)
{
  g_return_if_fail (PERCH_IS_DEMO_SERVER (self));
  if (self->thread == NULL)
    return;
  self->stopping = TRUE;
  g_main_loop_quit (self->loop);
  g_thread_join (g_steal_pointer (&self->thread));
}
