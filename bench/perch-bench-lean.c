/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench-lean.c: the bench's SIP client engine. See perch-bench-lean.h.
 *
 * Only what the bench sends is built here, and only what perchd sends is
 * read: this is a load generator for one known server, not a SIP stack. */
#define _GNU_SOURCE  /* memmem */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "perch-common.h"
#include "perch-sip-digest.h"
#include "perch-bench-lean.h"

#define READ_SIZE   (256 * 1024)
#define MAX_EVENTS  512
#define MAX_FRAME   (4 * 1024 * 1024)   /* a frame larger than this ends the connection */
#define PROVISIONING_EVENT "vnd-microsoft-provisioning-v2"

typedef enum {
  STATE_CONNECTING,
  STATE_REGISTER,       /* the first REGISTER, waiting for 407 */
  STATE_REGISTER_AUTH,  /* with credentials, waiting for 200 */
  STATE_SUBSCRIBE,      /* provisioning */
  STATE_INVITE,         /* the chat session */
  STATE_READY,
} State;

struct _LeanClient {
  LeanLoop *loop;
  gpointer  data;
  char     *in;          /* a frame not yet whole; NULL when none */
  char     *out;         /* queued output; NULL when none */
  guint32   in_len, in_cap;
  guint32   out_len, out_cap, out_off;
  guint32   user;        /* signs in as u<user>@domain */
  guint32   cseq;        /* of the last request sent; all share one space */
  guint32   envid, seqid;
  int       fd;
  guint16   local_port;
  guint8    state;
  guint8    epollout;    /* EPOLLOUT is armed */
  guint8    queued;      /* in the loop's flush list */
  guint8    buried;      /* in the loop's list of clients to free */
  char      remote_tag[20];  /* the server's tag in the chat dialog */
};

struct _LeanLoop {
  int            epfd;
  guint16        port;
  char          *domain;
  char          *password;
  char          *run;         /* a random token in every Call-ID of this loop */
  char          *pool_uri;    /* from provisioning */
  LeanCallbacks  cb;
  gpointer       cb_data;
  GPtrArray     *flush;       /* LeanClient* with output queued */
  GPtrArray     *dead;        /* closed during this iteration, freed after it */
  char          *buf;
  guint          n_clients, n_dropped;
};

/* ---- small helpers ------------------------------------------------------ */

const char *
lean_find (const char *haystack, gsize len, const char *needle)
{
  return memmem (haystack, len, needle, strlen (needle));
}

/* The value of header NAME (or its compact form SHORT) in the header block
 * HEAD..HEAD+LEN (first line excluded), and its length; NULL if absent. */
static const char *
header (const char *head, gsize len, const char *name, const char *shortname, gsize *vlen)
{
  const char *end = head + len;
  const char *p = memchr (head, '\n', len);
  gsize nl = strlen (name), sl = shortname ? strlen (shortname) : 0;
  while (p != NULL && ++p < end)
    {
      const char *eol = memchr (p, '\r', end - p);
      if (eol == NULL)
        eol = end;
      gsize n = 0;
      if ((gsize) (eol - p) > nl && g_ascii_strncasecmp (p, name, nl) == 0 && (p[nl] == ':' || p[nl] == ' '))
        n = nl;
      else if (sl && (gsize) (eol - p) > sl && g_ascii_strncasecmp (p, shortname, sl) == 0 &&
               (p[sl] == ':' || p[sl] == ' '))
        n = sl;
      if (n)
        {
          const char *v = p + n;
          while (v < eol && (*v == ' ' || *v == ':' || *v == '\t'))
            v++;
          *vlen = eol - v;
          return v;
        }
      p = memchr (p, '\n', end - p);
    }
  return NULL;
}

const char *
lean_header (const char *head, gsize len, const char *name, const char *shortname, gsize *vlen)
{
  return header (head, len, name, shortname, vlen);
}

/* A quoted parameter (name="value") inside VALUE, copied into OUT. */
static gboolean
quoted_param (const char *value, gsize len, const char *name, char *out, gsize out_size)
{
  g_autofree char *key = g_strconcat (name, "=\"", NULL);
  const char *p = lean_find (value, len, key);
  if (p == NULL)
    return FALSE;
  p += strlen (key);
  const char *q = memchr (p, '"', value + len - p);
  if (q == NULL || (gsize) (q - p) >= out_size)
    return FALSE;
  memcpy (out, p, q - p);
  out[q - p] = '\0';
  return TRUE;
}

/* ---- output --------------------------------------------------------------- */

/* Room for N more bytes of output; the client goes on the flush list. */
static char *
out_reserve (LeanClient *c, gsize n)
{
  if (c->out_len + n > c->out_cap)
    {
      guint32 cap = MAX (c->out_cap ? c->out_cap : 2048, 2048);
      while (cap < c->out_len + n)
        cap *= 2;
      c->out = g_realloc (c->out, cap);
      c->out_cap = cap;
    }
  if (!c->queued)
    {
      c->queued = TRUE;
      g_ptr_array_add (c->loop->flush, c);
    }
  return c->out + c->out_len;
}

static void
out_append (LeanClient *c, const char *s, gsize n)
{
  memcpy (out_reserve (c, n), s, n);
  c->out_len += n;
}

static void
out_printf (LeanClient *c, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
out_printf (LeanClient *c, const char *format, ...)
{
  va_list ap;
  gsize room = 512;
  for (;;)
    {
      char *p = out_reserve (c, room);
      va_start (ap, format);
      int n = vsnprintf (p, room, format, ap);
      va_end (ap);
      if (n >= 0 && (gsize) n < room)
        {
          c->out_len += n;
          return;
        }
      room = n + 1;
    }
}

/* A request from this client. TO_URI NULL means the client itself. */
static void
send_request (LeanClient *c, const char *method, const char *ruri, const char *to_uri, const char *to_tag,
              char call_kind, guint32 cseq, const char *extra, const char *type, const char *body, gsize body_len)
{
  LeanLoop *loop = c->loop;
  out_printf (c,
              "%s %s SIP/2.0\r\n"
              "Via: SIP/2.0/TCP 127.0.0.1:%u;branch=z9hG4bK%s%c%u.%u\r\n"
              "Max-Forwards: 70\r\n"
              "From: <sip:u%u@%s>;tag=t%u\r\n",
              method, ruri, c->local_port, loop->run, call_kind, c->user, cseq, c->user, loop->domain, c->user);
  if (to_uri != NULL)
    out_printf (c, "To: <%s>%s%s\r\n", to_uri, to_tag ? ";tag=" : "", to_tag ? to_tag : "");
  else
    out_printf (c, "To: <sip:u%u@%s>\r\n", c->user, loop->domain);
  out_printf (c,
              "Call-ID: %c%u-%s\r\n"
              "CSeq: %u %s\r\n"
              "Contact: <sip:u%u@127.0.0.1:%u;transport=tcp>\r\n"
              "%s",
              call_kind, c->user, loop->run, cseq, method, c->user, c->local_port, extra ? extra : "");
  if (type != NULL)
    out_printf (c, "Content-Type: %s\r\n", type);
  out_printf (c, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", body_len);
  if (body_len)
    out_append (c, body, body_len);
}

/* ---- closing ---------------------------------------------------------------- */

static void
bury_later (LeanClient *c)
{
  if (!c->buried)
    {
      c->buried = TRUE;
      g_ptr_array_add (c->loop->dead, c);
    }
}

/* Closes the connection. REPORT: the peer or an error ended it, not the
 * scenario. A client that never got ready is reported through ready() and
 * freed; a ready one the server dropped stays allocated, for the scenario
 * still holds it, until lean_client_close(). */
static void
client_end (LeanClient *c, gboolean report)
{
  LeanLoop *loop = c->loop;
  if (c->fd < 0)
    return;
  epoll_ctl (loop->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close (c->fd);
  c->fd = -1;
  loop->n_clients--;
  if (c->state == STATE_READY && report)
    {
      loop->n_dropped++;
      return;
    }
  if (c->state != STATE_READY && report && loop->cb.ready)
    loop->cb.ready (c, FALSE, loop->cb_data);
  bury_later (c);
}

void
lean_client_close (LeanClient *c)
{
  client_end (c, FALSE);
  bury_later (c);
}

static void
fail (LeanClient *c, const char *what)
{
  static guint reported;
  if (reported++ < 5)
    g_printerr ("client u%u: %s\n", c->user, what);
  client_end (c, TRUE);
}

/* ---- signing in ------------------------------------------------------------- */

static void
send_register (LeanClient *c, const char *authorization)
{
  LeanLoop *loop = c->loop;
  g_autofree char *ruri = g_strconcat ("sip:", loop->domain, NULL);
  g_autofree char *extra = authorization
    ? g_strdup_printf ("Expires: 3600\r\nProxy-Authorization: %s\r\n", authorization)
    : g_strdup ("Expires: 3600\r\nSupported: gruu-10, adhoclist, msrtc-event-categories\r\n");
  send_request (c, "REGISTER", ruri, NULL, NULL, 'r', ++c->cseq, extra, NULL, NULL, 0);
}

static void
on_register_challenge (LeanClient *c, const char *head, gsize head_len)
{
  LeanLoop *loop = c->loop;
  gsize vlen;
  const char *v = header (head, head_len, "Proxy-Authenticate", NULL, &vlen);
  char realm[128], nonce[128];
  if (v == NULL || !quoted_param (v, vlen, "realm", realm, sizeof realm) ||
      !quoted_param (v, vlen, "nonce", nonce, sizeof nonce))
    {
      fail (c, "407 without a Digest challenge");
      return;
    }
  g_autofree char *account = g_strdup_printf ("u%u@%s", c->user, loop->domain);
  g_autofree char *uri = g_strconcat ("sip:", loop->domain, NULL);
  g_autofree char *cnonce = perch_random_hex (8);
  g_autofree char *ha1 = perch_digest_ha1 (account, realm, loop->password);
  PerchDigestCredentials creds = {
    .username = account, .realm = realm, .nonce = nonce, .uri = uri, .qop = (char *) "auth",
    .nc = (char *) "00000001", .cnonce = cnonce, .algorithm = (char *) "MD5",
  };
  g_autofree char *response = perch_digest_response (&creds, "REGISTER", ha1);
  g_autofree char *authorization =
    g_strdup_printf ("Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", qop=auth, "
                     "nc=00000001, cnonce=\"%s\", response=\"%s\", algorithm=MD5",
                     account, realm, nonce, uri, cnonce, response);
  c->state = STATE_REGISTER_AUTH;
  send_register (c, authorization);
}

static void
send_subscribe (LeanClient *c)
{
  static const char body[] =
    "<provisioningGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisioninggrouplist\">"
    "<provisioningGroup name=\"ServerConfiguration\"/>"
    "<provisioningGroup name=\"persistentChatConfiguration\"/>"
    "</provisioningGroupList>";
  g_autofree char *self = g_strdup_printf ("sip:u%u@%s", c->user, c->loop->domain);
  c->state = STATE_SUBSCRIBE;
  send_request (c, "SUBSCRIBE", self, NULL, NULL, 's', ++c->cseq,
                "Event: " PROVISIONING_EVENT "\r\n"
                "Accept: application/vnd-microsoft-roaming-provisioning-v2+xml\r\n"
                "Supported: com.microsoft.autoextend, ms-benotify, ms-piggyback-first-notify\r\n",
                "application/vnd-microsoft-roaming-provisioning-v2+xml", body, sizeof body - 1);
}

static void
on_provisioning (LeanClient *c, const char *body, gsize len)
{
  LeanLoop *loop = c->loop;
  if (lean_find (body, len, "\"EnablePersistentChat\">true<") == NULL)
    {
      fail (c, "provisioning does not enable persistent chat");
      return;
    }
  if (loop->pool_uri == NULL)
    {
      const char *key = "\"DefaultPersistentChatPoolUri\">";
      const char *p = lean_find (body, len, key);
      const char *q = p ? memchr (p, '<', body + len - p) : NULL;
      if (q == NULL)
        {
          fail (c, "provisioning names no pool");
          return;
        }
      p += strlen (key);
      loop->pool_uri = g_strndup (p, q - p);
    }
  static const char sdp[] = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=session\r\nc=IN IP4 127.0.0.1\r\n"
                            "t=0 0\r\nm=message 5060 sip null\r\n";
  c->state = STATE_INVITE;
  send_request (c, "INVITE", loop->pool_uri, loop->pool_uri, NULL, 'c', ++c->cseq,
                "Supported: timer\r\n", "application/sdp", sdp, sizeof sdp - 1);
}

static void
on_invite_ok (LeanClient *c, const char *head, gsize head_len)
{
  LeanLoop *loop = c->loop;
  gsize vlen;
  const char *to = header (head, head_len, "To", "t", &vlen);
  const char *tag = to ? lean_find (to, vlen, ";tag=") : NULL;
  if (tag == NULL)
    {
      fail (c, "INVITE answered without a To tag");
      return;
    }
  tag += 5;
  gsize n = strcspn (tag, ";>\r ");
  if (n == 0 || n >= sizeof c->remote_tag)
    {
      fail (c, "INVITE answered with an odd To tag");
      return;
    }
  memcpy (c->remote_tag, tag, n);
  c->remote_tag[n] = '\0';
  send_request (c, "ACK", loop->pool_uri, loop->pool_uri, c->remote_tag, 'c', c->cseq, NULL, NULL, NULL, 0);
  c->state = STATE_READY;
  if (loop->cb.ready)
    loop->cb.ready (c, TRUE, loop->cb_data);
}

/* ---- receiving ---------------------------------------------------------------- */

/* A 200 OK to a request from the server, its lines copied. */
static void
answer_ok (LeanClient *c, const char *head, gsize head_len)
{
  static const struct { const char *name, *shortname; } copied[] = {
    { "Via", "v" }, { "From", "f" }, { "To", "t" }, { "Call-ID", "i" }, { "CSeq", NULL },
  };
  out_append (c, "SIP/2.0 200 OK\r\n", 16);
  for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
    {
      gsize vlen;
      const char *v = header (head, head_len, copied[i].name, copied[i].shortname, &vlen);
      if (v == NULL)
        continue;
      gsize nl = strlen (copied[i].name);
      char *p = out_reserve (c, nl + 4 + vlen);
      memcpy (p, copied[i].name, nl);
      memcpy (p + nl, ": ", 2);
      memcpy (p + nl + 2, v, vlen);
      memcpy (p + nl + 2 + vlen, "\r\n", 2);
      c->out_len += nl + 4 + vlen;
    }
  out_append (c, "Content-Length: 0\r\n\r\n", 21);
}

static void
on_response (LeanClient *c, const char *head, gsize head_len, const char *body, gsize body_len)
{
  LeanLoop *loop = c->loop;
  int status = atoi (head + 8);
  if (status < 200)
    return;
  gsize vlen;
  const char *cseq_v = header (head, head_len, "CSeq", NULL, &vlen);
  if (cseq_v == NULL)
    return;
  guint32 cseq = (guint32) strtoul (cseq_v, NULL, 10);
  const char *method = memchr (cseq_v, ' ', vlen);
  method = method ? method + 1 : "";
  switch (c->state)
    {
    case STATE_REGISTER:
      if (status == 407)
        on_register_challenge (c, head, head_len);
      else
        fail (c, "the first REGISTER was not challenged");
      break;
    case STATE_REGISTER_AUTH:
      if (status == 200)
        send_subscribe (c);
      else if (status == 407)
        on_register_challenge (c, head, head_len);   /* a stale nonce */
      else
        fail (c, "REGISTER refused");
      break;
    case STATE_SUBSCRIBE:
      if (status == 200)
        on_provisioning (c, body, body_len);
      else
        fail (c, "provisioning SUBSCRIBE refused");
      break;
    case STATE_INVITE:
      if (status == 200)
        on_invite_ok (c, head, head_len);
      else
        fail (c, "INVITE refused");
      break;
    case STATE_READY:
      if (strncmp (method, "INFO", 4) == 0 && loop->cb.info_answered)
        loop->cb.info_answered (c, cseq, status, loop->cb_data);
      if (strncmp (method, "INFO", 4) == 0 && loop->cb.info_response)
        loop->cb.info_response (c, cseq, status, head, head_len, loop->cb_data);
      break;
    default:
      break;
    }
}

static void
on_request (LeanClient *c, const char *head, gsize head_len, const char *body, gsize body_len)
{
  LeanLoop *loop = c->loop;
  if (strncmp (head, "ACK ", 4) == 0)
    return;
  answer_ok (c, head, head_len);
  if (strncmp (head, "INFO ", 5) == 0)
    {
      if (c->state == STATE_READY && loop->cb.server_info)
        loop->cb.server_info (c, body, body_len, loop->cb_data);
    }
  else if (strncmp (head, "BYE ", 4) == 0 && c->state == STATE_READY)
    c->state = STATE_INVITE;   /* the session is over; the connection stays */
}

/* Where the CRLFCRLF that ends a header block starts, or NULL: memchr from
 * line to line (glibc's memmem is a byte-wise two-way search). */
static const char *
header_end (const char *p, gsize len)
{
  const char *end = p + len;
  for (const char *q = p; (q = memchr (q, '\n', end - q)) != NULL; q++)
    if (q - p >= 3 && q[-1] == '\r' && q[-2] == '\n' && q[-3] == '\r')
      return q - 3;
  return NULL;
}

/* Handles every whole frame in DATA..DATA+LEN; returns the bytes used. */
static gsize
consume (LeanClient *c, const char *data, gsize len)
{
  gsize used = 0;
  while (used < len && c->fd >= 0)
    {
      const char *p = data + used;
      gsize left = len - used;
      if (p[0] == '\r' || p[0] == '\n')
        {
          used++;   /* keep-alive CRLFs */
          continue;
        }
      const char *eoh = header_end (p, left);
      if (eoh == NULL)
        break;
      gsize head_len = eoh - p + 2;   /* through the last header's CRLF */
      gsize vlen, body_len = 0;
      const char *cl = header (p, head_len, "Content-Length", "l", &vlen);
      if (cl != NULL)
        body_len = strtoul (cl, NULL, 10);
      gsize frame = eoh + 4 - p + body_len;
      if (frame > MAX_FRAME)
        {
          fail (c, "a frame too large");
          return len;
        }
      if (frame > left)
        break;
      if (strncmp (p, "SIP/2.0 ", 8) == 0)
        on_response (c, p, head_len, eoh + 4, body_len);
      else
        on_request (c, p, head_len, eoh + 4, body_len);
      used += frame;
    }
  return used;
}

static void
on_readable (LeanClient *c)
{
  LeanLoop *loop = c->loop;
  if (c->in_len == 0)
    {
      ssize_t n = read (c->fd, loop->buf, READ_SIZE);
      if (n <= 0)
        {
          if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
          client_end (c, TRUE);
          return;
        }
      gsize used = consume (c, loop->buf, n);
      if (used < (gsize) n && c->fd >= 0)
        {
          c->in_cap = MAX (n - used, 4096);
          c->in = g_malloc (c->in_cap);
          c->in_len = n - used;
          memcpy (c->in, loop->buf + used, c->in_len);
        }
      return;
    }
  if (c->in_cap - c->in_len < 4096)
    {
      c->in_cap *= 2;
      c->in = g_realloc (c->in, c->in_cap);
    }
  ssize_t n = read (c->fd, c->in + c->in_len, c->in_cap - c->in_len);
  if (n <= 0)
    {
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      client_end (c, TRUE);
      return;
    }
  c->in_len += n;
  gsize used = consume (c, c->in, c->in_len);
  if (c->fd < 0)
    return;
  if (used == c->in_len)
    {
      g_clear_pointer (&c->in, g_free);
      c->in_len = c->in_cap = 0;
    }
  else if (used > 0)
    {
      memmove (c->in, c->in + used, c->in_len - used);
      c->in_len -= used;
    }
}

static void
set_epollout (LeanClient *c, gboolean on)
{
  if (c->epollout == on)
    return;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0), .data.ptr = c };
  epoll_ctl (c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->epollout = on;
}

static void
flush (LeanClient *c)
{
  c->queued = FALSE;
  if (c->fd < 0 || c->state == STATE_CONNECTING)
    return;
  while (c->out_off < c->out_len)
    {
      ssize_t n = write (c->fd, c->out + c->out_off, c->out_len - c->out_off);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            {
              set_epollout (c, TRUE);
              return;
            }
          client_end (c, TRUE);
          return;
        }
      c->out_off += n;
    }
  set_epollout (c, FALSE);
  g_clear_pointer (&c->out, g_free);
  c->out_len = c->out_cap = c->out_off = 0;
}

static void
on_connected (LeanClient *c)
{
  int err = 0;
  socklen_t len = sizeof err;
  struct sockaddr_in local;
  socklen_t llen = sizeof local;
  if (getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0 ||
      getsockname (c->fd, (struct sockaddr *) &local, &llen) < 0)
    {
      fail (c, err ? g_strerror (err) : "connect failed");
      return;
    }
  c->local_port = ntohs (local.sin_port);
  c->state = STATE_REGISTER;
  send_register (c, NULL);
  flush (c);
}

/* ---- the loop ---------------------------------------------------------------------- */

LeanLoop *
lean_loop_new (guint16 port, const char *domain, const char *password)
{
  LeanLoop *loop = g_new0 (LeanLoop, 1);
  loop->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (loop->epfd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  loop->port = port;
  loop->domain = g_strdup (domain);
  loop->password = g_strdup (password);
  loop->run = perch_random_hex (4);
  loop->flush = g_ptr_array_new ();
  loop->dead = g_ptr_array_new ();
  loop->buf = g_malloc (READ_SIZE);
  return loop;
}

static void
bury (LeanLoop *loop, gboolean all)
{
  for (guint i = 0; i < loop->dead->len; i++)
    {
      LeanClient *c = g_ptr_array_index (loop->dead, i);
      if (c->queued && !all)
        continue;   /* still on the flush list: freed after it */
      g_free (c->in);
      g_free (c->out);
      g_free (c);
      g_ptr_array_remove_index_fast (loop->dead, i--);
    }
}

void
lean_loop_free (LeanLoop *loop)
{
  /* The scenario closed its clients; what is left is freed here. */
  g_ptr_array_set_size (loop->flush, 0);
  bury (loop, TRUE);
  close (loop->epfd);
  g_ptr_array_unref (loop->flush);
  g_ptr_array_unref (loop->dead);
  g_free (loop->domain);
  g_free (loop->password);
  g_free (loop->run);
  g_free (loop->pool_uri);
  g_free (loop->buf);
  g_free (loop);
}

void
lean_loop_set_callbacks (LeanLoop *loop, const LeanCallbacks *callbacks, gpointer data)
{
  loop->cb = *callbacks;
  loop->cb_data = data;
}

void
lean_loop_iterate (LeanLoop *loop, int timeout_ms)
{
  struct epoll_event events[MAX_EVENTS];
  /* Output queued since the last iteration goes out before waiting. */
  if (loop->flush->len > 0)
    timeout_ms = 0;
  int n = epoll_wait (loop->epfd, events, MAX_EVENTS, timeout_ms);
  if (n < 0 && errno != EINTR)
    g_error ("epoll_wait: %s", g_strerror (errno));
  for (int i = 0; i < n; i++)
    {
      LeanClient *c = events[i].data.ptr;
      if (c->fd < 0)
        continue;
      if (c->state == STATE_CONNECTING)
        {
          if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            on_connected (c);
          continue;
        }
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        on_readable (c);
      if (c->fd >= 0 && (events[i].events & EPOLLOUT) && !c->queued)
        flush (c);
    }
  /* One write per client per iteration, whatever it gathered. */
  for (guint i = 0; i < loop->flush->len; i++)
    flush (g_ptr_array_index (loop->flush, i));
  g_ptr_array_set_size (loop->flush, 0);
  bury (loop, FALSE);
}

guint
lean_loop_n_clients (LeanLoop *loop)
{
  return loop->n_clients;
}

guint
lean_loop_n_dropped (LeanLoop *loop)
{
  return loop->n_dropped;
}

/* ---- clients ------------------------------------------------------------------------ */

LeanClient *
lean_client_start (LeanLoop *loop, guint user)
{
  LeanClient *c = g_new0 (LeanClient, 1);
  c->loop = loop;
  c->user = user;
  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    {
      static guint reported;
      if (reported++ < 3)
        g_printerr ("socket: %s\n", g_strerror (errno));
      g_free (c);
      return NULL;
    }
  int one = 1;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (loop->port),
                              .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  if (connect (c->fd, (struct sockaddr *) &addr, sizeof addr) < 0 && errno != EINPROGRESS)
    {
      static guint reported;
      if (reported++ < 3)
        g_printerr ("connect: %s\n", g_strerror (errno));
      close (c->fd);
      g_free (c);
      return NULL;
    }
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c };
  epoll_ctl (loop->epfd, EPOLL_CTL_ADD, c->fd, &ev);
  c->epollout = TRUE;
  loop->n_clients++;
  return c;
}

guint
lean_client_user (LeanClient *c)
{
  return c->user;
}

gboolean
lean_client_is_ready (LeanClient *c)
{
  return c->fd >= 0 && c->state == STATE_READY;
}

void
lean_client_set_data (LeanClient *c, gpointer data)
{
  c->data = data;
}

gpointer
lean_client_get_data (LeanClient *c)
{
  return c->data;
}

guint32
lean_client_info (LeanClient *c, const char *body, gsize len)
{
  LeanLoop *loop = c->loop;
  g_return_val_if_fail (c->state == STATE_READY, 0);
  guint32 cseq = ++c->cseq;
  send_request (c, "INFO", loop->pool_uri, loop->pool_uri, c->remote_tag, 'c', cseq, NULL,
                "text/plain", body, len);
  return cseq;
}

guint32
lean_client_command (LeanClient *c, const char *id, const char *data)
{
  char head[160];
  int n = g_snprintf (head, sizeof head,
                      "<xccos ver=\"1\" envid=\"%u\" xmlns=\"urn:parlano:xml:ns:xccos\">"
                      "<cmd id=\"%s\" seqid=\"%u\"><data>", ++c->envid, id, ++c->seqid);
  g_autoptr(GString) body = g_string_new_len (head, n);
  g_string_append (body, data);
  g_string_append (body, "</data></cmd></xccos>");
  return lean_client_info (c, body->str, body->len);
}

guint32
lean_client_post (LeanClient *c, const char *room_uri, const char *text)
{
  g_autofree char *ts = perch_format_ts (perch_now_us ());
  g_autofree char *body =
    g_strdup_printf ("<xccos ver=\"1\" envid=\"%u\" xmlns=\"urn:parlano:xml:ns:xccos\">"
                     "<grpchat id=\"grpchat\" seqid=\"%u\" chanUri=\"%s\" author=\"sip:u%u@%s\" ts=\"%s\">"
                     "<chat>%s</chat></grpchat></xccos>",
                     ++c->envid, ++c->seqid, room_uri, c->user, c->loop->domain, ts, text);
  return lean_client_info (c, body, strlen (body));
}
