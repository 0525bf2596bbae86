/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-poller.h: one epoll set per main context.
 *
 * GLib's main loop polls every file descriptor on every iteration; with
 * tens of thousands of sessions that walk is the server's whole CPU. The
 * poller keeps the connections' sockets in one epoll set, shows GLib a
 * single fd, and dispatches only the ready ones. It also runs one flush pass
 * per iteration over the connections that queued output, so fan-out costs
 * one writev per recipient per iteration. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PerchPoller PerchPoller;
typedef struct _PerchPollWatch PerchPollWatch;

#define PERCH_POLL_IN  1u
#define PERCH_POLL_OUT 2u
#define PERCH_POLL_ERR 4u   /* error or hang-up: read to find out which */

typedef void (*PerchPollFunc) (gpointer data, guint events);
typedef void (*PerchFlushFunc) (gpointer data);

/* The poller of the thread-default main context, created on first use;
 * a reference. It goes away with its last reference. */
PerchPoller *perch_poller_ref_thread_default (void);
PerchPoller *perch_poller_ref (PerchPoller *poller);
void         perch_poller_unref (PerchPoller *poller);

/* Watches FD for EVENTS (level-triggered). FUNC runs on the poller's
 * context; DATA must stay valid until perch_poller_unwatch. */
PerchPollWatch *perch_poller_watch (PerchPoller *poller, int fd, guint events,
                                    PerchPollFunc func, gpointer data);
void            perch_poller_set_events (PerchPoller *poller, PerchPollWatch *watch, guint events);
/* Stops watching; safe from inside any callback. */
void            perch_poller_unwatch (PerchPoller *poller, PerchPollWatch *watch);

/* Asks for FUNC (DATA) to run once in this iteration's flush pass. */
void perch_poller_schedule_flush (PerchPoller *poller, PerchPollWatch *watch, PerchFlushFunc func);

/* Scratch space for reads, shared by every watch of the poller. */
guint8 *perch_poller_read_buffer (PerchPoller *poller, gsize *size);

G_END_DECLS
