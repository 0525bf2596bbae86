/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-connection.c: a SIP stream with framing and coalesced output,
 * driven by the context's epoll poller (perch-poller.h). */
#include "config.h"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "perch-common.h"
#include "perch-poller.h"
#include "perch-sip-connection.h"

#define MAX_IOV        64
#define READS_PER_TURN 16   /* plain TCP: epoll is level-triggered and calls again */

struct _PerchSipConnection {
  gatomicrefcount ref;
  GIOStream      *stream;
  GPollableInputStream  *in;
  GPollableOutputStream *out;
  gboolean        tls;
  int             fd;              /* the TCP socket */
  PerchPoller    *poller;
  PerchPollWatch *watch;
  PerchSipConnectionCallbacks callbacks;
  gpointer        user_data;
  gpointer        data;            /* the owner's per-connection state */
  GDestroyNotify  data_destroy;
  char           *peer;

  PerchSipFramer *framer;
  gboolean        started;
  gboolean        read_paused;     /* output over the high mark */
  gboolean        want_write;      /* the socket refused output; wait for EPOLLOUT */

  GQueue          pending;         /* GBytes queued, oldest first */
  gsize           pending_bytes;
  gsize           head_sent;       /* bytes of the head already written */

  gboolean        skip_2xx;        /* drop 2xx responses unparsed */
  gboolean        closing;         /* close once the output is out */
  gboolean        closed;          /* closed callback ran */

  gint64          window_start;    /* rate counting, monotonic µs */
  guint           window_count;
};

static void flush_output (gpointer data);

static GSocket *
socket_of (GIOStream *stream)
{
  if (G_IS_SOCKET_CONNECTION (stream))
    return g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
  if (G_IS_TLS_CONNECTION (stream))
    {
      GIOStream *base = NULL;
      g_object_get (stream, "base-io-stream", &base, NULL);
      GSocket *socket = base ? socket_of (base) : NULL;
      g_clear_object (&base);  /* the TLS stream keeps its own reference */
      return socket;
    }
  return NULL;
}

PerchSipConnection *
perch_sip_connection_new (GIOStream *stream, const PerchSipConnectionCallbacks *callbacks, gpointer user_data)
{
  PerchSipConnection *conn = g_new0 (PerchSipConnection, 1);
  g_atomic_ref_count_init (&conn->ref);
  conn->stream = g_object_ref (stream);
  conn->in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (stream));
  conn->out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (stream));
  conn->tls = G_IS_TLS_CONNECTION (stream);
  conn->callbacks = *callbacks;
  conn->user_data = user_data;
  conn->framer = perch_sip_framer_new ();
  g_queue_init (&conn->pending);
  conn->poller = perch_poller_ref_thread_default ();

  GSocket *socket = socket_of (stream);
  g_assert (socket != NULL);
  conn->fd = g_socket_get_fd (socket);
  /* Output is coalesced here already; Nagle would only add latency. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_autoptr(GSocketAddress) addr = g_socket_get_remote_address (socket, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (addr))
    {
      g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr)));
      conn->peer = g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (addr)));
    }
  else
    conn->peer = g_strdup ("unknown");
  return conn;
}

PerchSipConnection *
perch_sip_connection_ref (PerchSipConnection *conn)
{
  g_atomic_ref_count_inc (&conn->ref);
  return conn;
}

void
perch_sip_connection_unref (PerchSipConnection *conn)
{
  if (conn == NULL || !g_atomic_ref_count_dec (&conn->ref))
    return;
  if (conn->watch != NULL)
    perch_poller_unwatch (conn->poller, conn->watch);
  if (conn->data_destroy)
    conn->data_destroy (conn->data);
  g_queue_clear_full (&conn->pending, (GDestroyNotify) g_bytes_unref);
  perch_sip_framer_free (conn->framer);
  g_free (conn->peer);
  g_object_unref (conn->stream);
  perch_poller_unref (conn->poller);
  g_free (conn);
}

void
perch_sip_connection_set_skip_success_responses (PerchSipConnection *conn, gboolean skip)
{
  conn->skip_2xx = skip;
}

void
perch_sip_connection_set_data (PerchSipConnection *conn, gpointer data, GDestroyNotify destroy)
{
  if (conn->data_destroy)
    conn->data_destroy (conn->data);
  conn->data = data;
  conn->data_destroy = destroy;
}

gpointer
perch_sip_connection_get_data (PerchSipConnection *conn)
{
  return conn->data;
}

const char *
perch_sip_connection_peer (PerchSipConnection *conn)
{
  return conn->peer;
}

gboolean
perch_sip_connection_is_tls (PerchSipConnection *conn)
{
  return conn->tls;
}

gboolean
perch_sip_connection_is_closed (PerchSipConnection *conn)
{
  return conn->closing || conn->closed;
}

gsize
perch_sip_connection_queued_bytes (PerchSipConnection *conn)
{
  return conn->pending_bytes - conn->head_sent;
}

guint
perch_sip_connection_count_message (PerchSipConnection *conn)
{
  gint64 now = g_get_monotonic_time ();
  if (now - conn->window_start >= G_USEC_PER_SEC)
    {
      conn->window_start = now;
      conn->window_count = 0;
    }
  return ++conn->window_count;
}

/* What to wait for: input unless paused, output while the socket refused some. */
static void
update_interest (PerchSipConnection *conn)
{
  if (conn->watch == NULL || conn->closed)
    return;
  guint events = (conn->read_paused || conn->closing ? 0 : PERCH_POLL_IN) |
                 (conn->want_write ? PERCH_POLL_OUT : 0);
  perch_poller_set_events (conn->poller, conn->watch, events);
}

/* Runs the closed callback once, after which the owner lets go. */
static void
finish_close (PerchSipConnection *conn)
{
  if (conn->closed)
    return;
  conn->closed = TRUE;
  conn->closing = TRUE;
  if (conn->watch != NULL)
    {
      perch_poller_unwatch (conn->poller, conn->watch);
      conn->watch = NULL;
    }
  g_queue_clear_full (&conn->pending, (GDestroyNotify) g_bytes_unref);
  conn->pending_bytes = conn->head_sent = 0;
  /* Best effort: a TLS close_notify, then the socket. Nothing waits on it. */
  g_io_stream_close (conn->stream, NULL, NULL);
  if (conn->callbacks.closed)
    conn->callbacks.closed (conn, conn->user_data);
}

void
perch_sip_connection_close (PerchSipConnection *conn)
{
  if (conn->closing)
    return;
  conn->closing = TRUE;
  if (perch_sip_connection_queued_bytes (conn) == 0)
    finish_close (conn);
  else
    update_interest (conn);  /* stop reading; the flush finishes the close */
}

static void
handle_frames (PerchSipConnection *conn)
{
  for (;;)
    {
      if (conn->closing)
        return;
      g_autoptr(GError) error = NULL;
      GBytes *frame = NULL;
      PerchSipFrameResult r = perch_sip_framer_next (conn->framer, &frame, &error);
      if (r == PERCH_SIP_FRAME_NEED_MORE)
        return;
      if (r == PERCH_SIP_FRAME_KEEPALIVE)
        continue;
      osip_message_t *msg = NULL;
      if (r == PERCH_SIP_FRAME_MESSAGE && conn->skip_2xx)
        {
          gsize len;
          const char *data = g_bytes_get_data (frame, &len);
          if (len > 9 && memcmp (data, "SIP/2.0 2", 9) == 0)
            {
              g_bytes_unref (frame);
              continue;
            }
        }
      if (r == PERCH_SIP_FRAME_MESSAGE)
        {
          msg = perch_sip_parse (frame, &error);
          g_bytes_unref (frame);
        }
      if (msg == NULL)
        {
          g_debug ("%s: %s; closing", conn->peer, error->message);
          if (conn->callbacks.error)
            conn->callbacks.error (conn, error, conn->user_data);
          perch_sip_connection_close (conn);
          return;
        }
      conn->callbacks.message (conn, msg, conn->user_data);
    }
}

static void
read_input (PerchSipConnection *conn)
{
  gsize size;
  guint8 *buf = perch_poller_read_buffer (conn->poller, &size);
  /* TLS may hold decrypted input the socket no longer signals: read it to
   * the end. Plain TCP gets a bounded turn; epoll calls again. */
  for (guint turn = 0; conn->tls || turn < READS_PER_TURN; turn++)
    {
      if (conn->closing || conn->read_paused)
        return;
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_input_stream_read_nonblocking (conn->in, buf, size, NULL, &error);
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return;
      if (n <= 0)
        {
          if (n < 0)
            g_debug ("%s: read: %s", conn->peer, error->message);
          /* The peer is gone: nothing queued can reach it. */
          finish_close (conn);
          return;
        }
      perch_sip_framer_push (conn->framer, buf, n);
      handle_frames (conn);
      /* Lync clients write one message in two writes; with a delayed ACK the
       * second half waits ~40 ms for it. So when a message is left half
       * read, ACK at once (Linux clears QUICKACK by itself each time). */
      if (perch_sip_framer_buffered (conn->framer) > 0)
        {
          int one = 1;
          setsockopt (conn->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        }
      if (!conn->closing && perch_sip_connection_queued_bytes (conn) > PERCH_SIP_OUTPUT_HIGH)
        {
          /* Let the peer read what it has been sent before it may ask more. */
          conn->read_paused = TRUE;
          update_interest (conn);
        }
    }
}

static void
on_ready (gpointer data, guint events)
{
  PerchSipConnection *conn = perch_sip_connection_ref (data);
  if ((events & PERCH_POLL_OUT) && !conn->closed)
    flush_output (conn);
  if ((events & PERCH_POLL_IN) && !conn->closed)
    read_input (conn);
  perch_sip_connection_unref (conn);
}

void
perch_sip_connection_start (PerchSipConnection *conn)
{
  if (conn->started || conn->closed)
    return;
  conn->started = TRUE;
  conn->watch = perch_poller_watch (conn->poller, conn->fd, PERCH_POLL_IN, on_ready, conn);
  update_interest (conn);
  /* Input a TLS handshake may already have decrypted. */
  if (conn->tls)
    read_input (conn);
  if (conn->pending.length > 0 && !conn->closed)
    perch_poller_schedule_flush (conn->poller, conn->watch, flush_output);
}

/* Writes as much queued output as the socket takes, in one writev. */
static void
flush_output (gpointer data)
{
  PerchSipConnection *conn = data;
  if (conn->closed)
    return;
  perch_sip_connection_ref (conn);
  while (conn->pending.length > 0)
    {
      GOutputVector iov[MAX_IOV];
      guint n = 0;
      for (GList *l = conn->pending.head; l && n < MAX_IOV; l = l->next, n++)
        {
          gsize len;
          const guint8 *p = g_bytes_get_data (l->data, &len);
          gsize skip = n == 0 ? conn->head_sent : 0;
          iov[n].buffer = p + skip;
          iov[n].size = len - skip;
        }
      gsize written = 0;
      g_autoptr(GError) error = NULL;
      GPollableReturn r = g_pollable_output_stream_writev_nonblocking (conn->out, iov, n, &written, NULL, &error);
      if (r == G_POLLABLE_RETURN_FAILED)
        {
          g_debug ("%s: write: %s", conn->peer, error->message);
          finish_close (conn);
          break;
        }
      /* Drop what went out, whole buffers and a part of the next. */
      while (written > 0)
        {
          GBytes *head = g_queue_peek_head (&conn->pending);
          gsize left = g_bytes_get_size (head) - conn->head_sent;
          if (written < left)
            {
              conn->head_sent += written;
              break;
            }
          written -= left;
          conn->pending_bytes -= g_bytes_get_size (head);
          conn->head_sent = 0;
          g_bytes_unref (g_queue_pop_head (&conn->pending));
        }
      if (r == G_POLLABLE_RETURN_WOULD_BLOCK)
        break;
    }
  if (!conn->closed)
    {
      conn->want_write = conn->pending.length > 0;
      if (!conn->want_write && conn->closing)
        finish_close (conn);
      else
        {
          if (conn->read_paused && perch_sip_connection_queued_bytes (conn) <= PERCH_SIP_OUTPUT_HIGH / 2)
            conn->read_paused = FALSE;
          update_interest (conn);
        }
    }
  perch_sip_connection_unref (conn);
}

void
perch_sip_connection_send (PerchSipConnection *conn, GBytes *bytes)
{
  if (conn->closed || bytes == NULL)
    return;
  gsize len = g_bytes_get_size (bytes);
  if (perch_sip_connection_queued_bytes (conn) + len > PERCH_SIP_OUTPUT_LIMIT)
    {
      g_message ("%s: peer is not reading (%" G_GSIZE_FORMAT " bytes queued); closing",
                 conn->peer, perch_sip_connection_queued_bytes (conn));
      finish_close (conn);
      return;
    }
  g_queue_push_tail (&conn->pending, g_bytes_ref (bytes));
  conn->pending_bytes += len;
  /* Before start (a TLS handshake still running) the flush waits for start. */
  if (conn->watch != NULL && !conn->want_write)
    perch_poller_schedule_flush (conn->poller, conn->watch, flush_output);
}

void
perch_sip_connection_send_message (PerchSipConnection *conn, osip_message_t *msg)
{
  g_autoptr(GBytes) bytes = perch_sip_to_bytes (msg);
  perch_sip_connection_send (conn, bytes);
}
