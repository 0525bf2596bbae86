/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-connection.c: a SIP stream with framing and coalesced output. */
#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "perch-common.h"
#include "perch-sip-connection.h"

#define READ_CHUNK (64 * 1024)
#define MAX_IOV    256

struct _PerchSipConnection {
  gatomicrefcount ref;
  GIOStream      *stream;
  GInputStream   *in;
  GOutputStream  *out;
  GCancellable   *cancellable;
  GMainContext   *context;
  PerchSipConnectionCallbacks callbacks;
  gpointer        user_data;
  gpointer        data;            /* the owner's per-connection state */
  GDestroyNotify  data_destroy;
  char           *peer;
  int             fd;              /* the TCP socket, for per-read options; -1 if none */

  PerchSipFramer *framer;
  guint8         *read_buf;
  gboolean        reading;         /* a read is outstanding */
  gboolean        read_paused;     /* output over the high mark */

  GQueue          pending;         /* GBytes queued, not yet handed to writev */
  gsize           pending_bytes;
  GPtrArray      *inflight;        /* GBytes being written */
  GOutputVector   iov[MAX_IOV];
  gsize           inflight_bytes;
  GSource        *flush_source;

  gboolean        closing;         /* close once the output is out */
  gboolean        closed;          /* closed callback ran */

  gint64          window_start;    /* rate counting, monotonic µs */
  guint           window_count;
};

static void start_read (PerchSipConnection *conn);
static void schedule_flush (PerchSipConnection *conn);

PerchSipConnection *
perch_sip_connection_new (GIOStream *stream, const PerchSipConnectionCallbacks *callbacks, gpointer user_data)
{
  PerchSipConnection *conn = g_new0 (PerchSipConnection, 1);
  g_atomic_ref_count_init (&conn->ref);
  conn->stream = g_object_ref (stream);
  conn->in = g_io_stream_get_input_stream (stream);
  conn->out = g_io_stream_get_output_stream (stream);
  conn->cancellable = g_cancellable_new ();
  conn->context = g_main_context_ref_thread_default ();
  conn->callbacks = *callbacks;
  conn->user_data = user_data;
  conn->framer = perch_sip_framer_new ();
  conn->read_buf = g_malloc (READ_CHUNK);
  conn->inflight = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_queue_init (&conn->pending);

  GSocketConnection *sc = NULL;
  if (G_IS_SOCKET_CONNECTION (stream))
    sc = G_SOCKET_CONNECTION (stream);
  else if (G_IS_TLS_CONNECTION (stream))
    {
      GIOStream *base = NULL;
      g_object_get (stream, "base-io-stream", &base, NULL);
      if (G_IS_SOCKET_CONNECTION (base))
        sc = G_SOCKET_CONNECTION (base);
      g_clear_object (&base); /* the TLS stream keeps its own reference */
    }
  conn->fd = -1;
  if (sc != NULL)
    {
      GSocket *socket = g_socket_connection_get_socket (sc);
      conn->fd = g_socket_get_fd (socket);
      /* Output is coalesced here already; Nagle would only add latency. */
      g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
    }
  g_autoptr(GSocketAddress) addr = sc ? g_socket_connection_get_remote_address (sc, NULL) : NULL;
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
  g_assert (conn->flush_source == NULL);
  if (conn->data_destroy)
    conn->data_destroy (conn->data);
  g_queue_clear_full (&conn->pending, (GDestroyNotify) g_bytes_unref);
  g_ptr_array_unref (conn->inflight);
  perch_sip_framer_free (conn->framer);
  g_free (conn->read_buf);
  g_free (conn->peer);
  g_object_unref (conn->cancellable);
  g_object_unref (conn->stream);
  g_main_context_unref (conn->context);
  g_free (conn);
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
  return G_IS_TLS_CONNECTION (conn->stream);
}

gboolean
perch_sip_connection_is_closed (PerchSipConnection *conn)
{
  return conn->closing || conn->closed;
}

gsize
perch_sip_connection_queued_bytes (PerchSipConnection *conn)
{
  return conn->pending_bytes + conn->inflight_bytes;
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

/* Runs the closed callback once, after which the owner lets go. */
static void
finish_close (PerchSipConnection *conn)
{
  if (conn->closed)
    return;
  conn->closed = TRUE;
  conn->closing = TRUE;
  g_cancellable_cancel (conn->cancellable);
  if (conn->flush_source)
    {
      g_source_destroy (conn->flush_source);
      g_clear_pointer (&conn->flush_source, g_source_unref);
    }
  g_io_stream_close_async (conn->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (conn->callbacks.closed)
    conn->callbacks.closed (conn, conn->user_data);
}

void
perch_sip_connection_close (PerchSipConnection *conn)
{
  if (conn->closing)
    return;
  conn->closing = TRUE;
  if (conn->pending_bytes == 0 && conn->inflight->len == 0)
    finish_close (conn);
  /* else: the flush in progress finishes the close. */
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
read_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PerchSipConnection *conn = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  conn->reading = FALSE;
  if (conn->closed)
    {
      perch_sip_connection_unref (conn);
      return;
    }
  if (n <= 0)
    {
      if (n < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("%s: read: %s", conn->peer, error->message);
      /* The peer is gone: nothing queued can reach it. */
      finish_close (conn);
      perch_sip_connection_unref (conn);
      return;
    }
  /* Lync clients write one message in two writes; with a delayed ACK the
   * second waits ~40 ms for it. Linux clears QUICKACK by itself, so it is
   * set again after every read. */
  if (conn->fd >= 0)
    {
      int one = 1;
      setsockopt (conn->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
  perch_sip_framer_push (conn->framer, conn->read_buf, n);
  handle_frames (conn);
  if (!conn->closing)
    start_read (conn);
  perch_sip_connection_unref (conn);
}

static void
start_read (PerchSipConnection *conn)
{
  if (conn->reading || conn->closing)
    return;
  if (perch_sip_connection_queued_bytes (conn) > PERCH_SIP_OUTPUT_HIGH)
    {
      /* Let the peer read what it has been sent before it may ask more. */
      conn->read_paused = TRUE;
      return;
    }
  conn->read_paused = FALSE;
  conn->reading = TRUE;
  g_input_stream_read_async (conn->in, conn->read_buf, READ_CHUNK, G_PRIORITY_DEFAULT,
                             conn->cancellable, read_done, perch_sip_connection_ref (conn));
}

void
perch_sip_connection_start (PerchSipConnection *conn)
{
  start_read (conn);
}

static void write_done (GObject *source, GAsyncResult *result, gpointer user_data);

static gboolean
flush_now (gpointer user_data)
{
  PerchSipConnection *conn = user_data;
  g_clear_pointer (&conn->flush_source, g_source_unref);
  if (conn->closed || conn->inflight->len > 0 || conn->pending.length == 0)
    return G_SOURCE_REMOVE;
  guint n = 0;
  while (n < MAX_IOV && conn->pending.length > 0)
    {
      GBytes *bytes = g_queue_pop_head (&conn->pending);
      gsize len;
      conn->iov[n].buffer = g_bytes_get_data (bytes, &len);
      conn->iov[n].size = len;
      conn->pending_bytes -= len;
      conn->inflight_bytes += len;
      g_ptr_array_add (conn->inflight, bytes);
      n++;
    }
  g_output_stream_writev_all_async (conn->out, conn->iov, n, G_PRIORITY_DEFAULT,
                                    conn->cancellable, write_done, perch_sip_connection_ref (conn));
  return G_SOURCE_REMOVE;
}

static void
write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PerchSipConnection *conn = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = g_output_stream_writev_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_ptr_array_set_size (conn->inflight, 0);
  conn->inflight_bytes = 0;
  if (!ok)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("%s: write: %s", conn->peer, error->message);
      finish_close (conn);
    }
  else if (conn->pending.length > 0)
    schedule_flush (conn);
  else if (conn->closing)
    finish_close (conn);
  else if (conn->read_paused)
    start_read (conn);
  perch_sip_connection_unref (conn);
}

static void
schedule_flush (PerchSipConnection *conn)
{
  if (conn->flush_source != NULL || conn->inflight->len > 0 || conn->closed)
    return;
  conn->flush_source = g_idle_source_new ();
  g_source_set_priority (conn->flush_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (conn->flush_source, flush_now, conn, NULL);
  g_source_set_static_name (conn->flush_source, "perch-sip-flush");
  g_source_attach (conn->flush_source, conn->context);
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
  schedule_flush (conn);
}

void
perch_sip_connection_send_message (PerchSipConnection *conn, osip_message_t *msg)
{
  g_autoptr(GBytes) bytes = perch_sip_to_bytes (msg);
  perch_sip_connection_send (conn, bytes);
}
