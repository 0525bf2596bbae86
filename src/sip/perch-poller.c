/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-poller.c: the epoll GSource. See perch-poller.h. */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "perch-poller.h"

#define MAX_EVENTS  256
#define READ_BUFFER (64 * 1024)

struct _PerchPollWatch {
  int            fd;
  guint          events;
  PerchPollFunc  func;
  gpointer       data;
  PerchFlushFunc flush;        /* set while in the flush list */
  gboolean       removed;      /* unwatched; freed after the dispatch */
};

typedef struct {
  GSource      source;
  PerchPoller *poller;
  gpointer     tag;
} PollSource;

struct _PerchPoller {
  gatomicrefcount ref;
  GMainContext   *context;
  int             epfd;
  PollSource     *source;
  GSource        *flush_source;
  GPtrArray      *flushes;     /* PerchPollWatch* to flush this iteration */
  GPtrArray      *graveyard;   /* unwatched during a dispatch */
  gboolean        dispatching;
  guint8         *read_buf;
};

G_LOCK_DEFINE_STATIC (pollers);
static GHashTable *pollers;    /* GMainContext* -> PerchPoller* (not a reference) */

static guint32
to_epoll (guint events)
{
  return ((events & PERCH_POLL_IN) ? EPOLLIN : 0) | ((events & PERCH_POLL_OUT) ? EPOLLOUT : 0);
}

static void
bury_dead (PerchPoller *poller)
{
  g_ptr_array_set_size (poller->graveyard, 0);
}

static gboolean
poll_check (GSource *source)
{
  PollSource *ps = (PollSource *) source;
  return g_source_query_unix_fd (source, ps->tag) & G_IO_IN;
}

static gboolean
poll_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  PerchPoller *poller = ((PollSource *) source)->poller;
  struct epoll_event events[MAX_EVENTS];
  int n = epoll_wait (poller->epfd, events, MAX_EVENTS, 0);
  if (n < 0 && errno != EINTR)
    g_warning ("epoll_wait: %s", g_strerror (errno));
  perch_poller_ref (poller);
  poller->dispatching = TRUE;
  for (int i = 0; i < n; i++)
    {
      PerchPollWatch *w = events[i].data.ptr;
      if (w->removed)
        continue;
      guint ev = 0;
      if (events[i].events & (EPOLLIN | EPOLLRDHUP))
        ev |= PERCH_POLL_IN;
      if (events[i].events & EPOLLOUT)
        ev |= PERCH_POLL_OUT;
      if (events[i].events & (EPOLLERR | EPOLLHUP))
        ev |= PERCH_POLL_ERR | PERCH_POLL_IN;
      w->func (w->data, ev);
    }
  poller->dispatching = FALSE;
  bury_dead (poller);
  perch_poller_unref (poller);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs poll_funcs = { NULL, poll_check, poll_dispatch, NULL, NULL, NULL };

static gboolean
flush_dispatch (gpointer data)
{
  PerchPoller *poller = data;
  perch_poller_ref (poller);
  poller->dispatching = TRUE;
  /* Flushing may queue more flushes (a callback sends): take the list
   * first, and let later ones wait for the next pass. */
  g_autoptr(GPtrArray) now = poller->flushes;
  poller->flushes = g_ptr_array_new ();
  for (guint i = 0; i < now->len; i++)
    {
      PerchPollWatch *w = g_ptr_array_index (now, i);
      PerchFlushFunc flush = w->flush;
      w->flush = NULL;
      if (!w->removed && flush != NULL)
        flush (w->data);
    }
  poller->dispatching = FALSE;
  bury_dead (poller);
  if (poller->flushes->len == 0)
    {
      g_clear_pointer (&poller->flush_source, g_source_unref);
      perch_poller_unref (poller);  /* the flush source's */
      perch_poller_unref (poller);
      return G_SOURCE_REMOVE;
    }
  perch_poller_unref (poller);
  return G_SOURCE_CONTINUE;
}

PerchPoller *
perch_poller_ref_thread_default (void)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  PerchPoller *poller;
  G_LOCK (pollers);
  if (pollers == NULL)
    pollers = g_hash_table_new (g_direct_hash, g_direct_equal);
  poller = g_hash_table_lookup (pollers, context);
  if (poller != NULL)
    {
      perch_poller_ref (poller);
      G_UNLOCK (pollers);
      g_main_context_unref (context);
      return poller;
    }
  poller = g_new0 (PerchPoller, 1);
  g_atomic_ref_count_init (&poller->ref);
  poller->context = context;
  poller->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (poller->epfd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  poller->flushes = g_ptr_array_new ();
  poller->graveyard = g_ptr_array_new_with_free_func (g_free);
  poller->read_buf = g_malloc (READ_BUFFER);
  poller->source = (PollSource *) g_source_new (&poll_funcs, sizeof (PollSource));
  poller->source->poller = poller;
  poller->source->tag = g_source_add_unix_fd ((GSource *) poller->source, poller->epfd, G_IO_IN);
  g_source_set_static_name ((GSource *) poller->source, "perch-poller");
  g_source_attach ((GSource *) poller->source, context);
  g_hash_table_insert (pollers, context, poller);
  G_UNLOCK (pollers);
  return poller;
}

PerchPoller *
perch_poller_ref (PerchPoller *poller)
{
  g_atomic_ref_count_inc (&poller->ref);
  return poller;
}

void
perch_poller_unref (PerchPoller *poller)
{
  if (poller == NULL)
    return;
  G_LOCK (pollers);
  if (!g_atomic_ref_count_dec (&poller->ref))
    {
      G_UNLOCK (pollers);
      return;
    }
  g_hash_table_remove (pollers, poller->context);
  G_UNLOCK (pollers);
  g_assert (poller->flush_source == NULL);
  g_source_destroy ((GSource *) poller->source);
  g_source_unref ((GSource *) poller->source);
  close (poller->epfd);
  g_ptr_array_unref (poller->flushes);
  g_ptr_array_unref (poller->graveyard);
  g_free (poller->read_buf);
  g_main_context_unref (poller->context);
  g_free (poller);
}

PerchPollWatch *
perch_poller_watch (PerchPoller *poller, int fd, guint events, PerchPollFunc func, gpointer data)
{
  PerchPollWatch *w = g_new0 (PerchPollWatch, 1);
  w->fd = fd;
  w->events = events;
  w->func = func;
  w->data = data;
  struct epoll_event ev = { .events = to_epoll (events), .data.ptr = w };
  if (epoll_ctl (poller->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
    g_warning ("epoll_ctl ADD %d: %s", fd, g_strerror (errno));
  return w;
}

void
perch_poller_set_events (PerchPoller *poller, PerchPollWatch *w, guint events)
{
  if (w->removed || w->events == events)
    return;
  w->events = events;
  struct epoll_event ev = { .events = to_epoll (events), .data.ptr = w };
  if (epoll_ctl (poller->epfd, EPOLL_CTL_MOD, w->fd, &ev) != 0)
    g_warning ("epoll_ctl MOD %d: %s", w->fd, g_strerror (errno));
}

void
perch_poller_unwatch (PerchPoller *poller, PerchPollWatch *w)
{
  if (w == NULL || w->removed)
    return;
  /* The fd may already be closed (then the kernel dropped it). */
  epoll_ctl (poller->epfd, EPOLL_CTL_DEL, w->fd, NULL);
  w->removed = TRUE;
  w->flush = NULL;
  g_ptr_array_remove (poller->flushes, w);
  /* Not freed while a dispatch may still hold it in its event array. */
  if (poller->dispatching)
    g_ptr_array_add (poller->graveyard, w);
  else
    g_free (w);
}

void
perch_poller_schedule_flush (PerchPoller *poller, PerchPollWatch *w, PerchFlushFunc func)
{
  if (w->removed || w->flush != NULL)
    return;
  w->flush = func;
  g_ptr_array_add (poller->flushes, w);
  if (poller->flush_source == NULL)
    {
      poller->flush_source = g_idle_source_new ();
      /* Default priority: flushed in the same iteration as the I/O that
       * queued the output, not after idle work. */
      g_source_set_priority (poller->flush_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (poller->flush_source, flush_dispatch, poller, NULL);
      g_source_set_static_name (poller->flush_source, "perch-flush");
      g_source_attach (poller->flush_source, poller->context);
      perch_poller_ref (poller);
    }
}

guint8 *
perch_poller_read_buffer (PerchPoller *poller, gsize *size)
{
  *size = READ_BUFFER;
  return poller->read_buf;
}
