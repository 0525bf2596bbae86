/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-message.c: stream framing and libosip2 helpers. */
#include "config.h"

#include <string.h>
#include <stdlib.h>

#include "perch-common.h"
#include "perch-sip-message.h"

struct _PerchSipFramer {
  GByteArray *buf;
  gsize       start;   /* consumed prefix of buf, compacted lazily */
};

PerchSipFramer *
perch_sip_framer_new (void)
{
  PerchSipFramer *framer = g_new0 (PerchSipFramer, 1);
  framer->buf = g_byte_array_sized_new (4096);
  return framer;
}

void
perch_sip_framer_free (PerchSipFramer *framer)
{
  if (framer == NULL)
    return;
  g_byte_array_unref (framer->buf);
  g_free (framer);
}

void
perch_sip_framer_push (PerchSipFramer *framer, const guint8 *data, gsize len)
{
  if (framer->start > 0 && framer->start >= framer->buf->len / 2)
    {
      g_byte_array_remove_range (framer->buf, 0, framer->start);
      framer->start = 0;
    }
  g_byte_array_append (framer->buf, data, len);
}

gsize
perch_sip_framer_buffered (PerchSipFramer *framer)
{
  return framer->buf->len - framer->start;
}

/* Finds CRLFCRLF within the first LIMIT bytes of P. Line by line with
 * memchr, not byte by byte: every client's 200 OK to every fan-out INFO
 * passes here. */
static const guint8 *
find_header_end (const guint8 *p, gsize len, gsize limit)
{
  const guint8 *end = p + MIN (len, limit);
  for (const guint8 *q = p; (q = memchr (q, '\n', end - q)) != NULL; q++)
    if (q - p >= 3 && q[-1] == '\r' && q[-2] == '\n' && q[-3] == '\r')
      return q + 1;
  return NULL;
}

/* Reads Content-Length (or its compact form "l") from a header block. Only
 * framing needs this; every other header is libosip2's to parse. Returns
 * FALSE when it is missing, malformed, repeated with another value, or
 * there are too many header lines. */
static gboolean
header_content_length (const char *p, gsize len, gsize *out, GError **error)
{
  gboolean found = FALSE;
  guint lines = 0;
  const char *end = p + len;
  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      if (eol == NULL)
        eol = end;
      /* The start line and the empty line that ends the block are not headers. */
      if (++lines > PERCH_SIP_MAX_HEADERS + 2)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "too many header lines");
          return FALSE;
        }
      const char *colon = memchr (p, ':', eol - p);
      if (colon != NULL)
        {
          const char *name_end = colon;
          while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
          gsize nlen = name_end - p;
          if ((nlen == 14 && g_ascii_strncasecmp (p, "Content-Length", 14) == 0) ||
              (nlen == 1 && (*p == 'l' || *p == 'L')))
            {
              const char *v = colon + 1;
              while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
              guint64 value = 0;
              gboolean digits = FALSE;
              while (v < eol && g_ascii_isdigit (*v))
                {
                  value = value * 10 + (*v - '0');
                  digits = TRUE;
                  if (value > G_MAXUINT32)
                    break;
                  v++;
                }
              while (v < eol && (*v == ' ' || *v == '\t' || *v == '\r'))
                v++;
              if (!digits || v != eol)
                {
                  g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "malformed Content-Length");
                  return FALSE;
                }
              if (found && *out != value)
                {
                  g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "conflicting Content-Length headers");
                  return FALSE;
                }
              found = TRUE;
              *out = value;
            }
        }
      p = eol + 1;
    }
  if (!found)
    g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "missing Content-Length");
  return found;
}

PerchSipFrameResult
perch_sip_framer_next (PerchSipFramer *framer, GBytes **message, GError **error)
{
  const guint8 *data = framer->buf->data + framer->start;
  gsize len = framer->buf->len - framer->start;

  /* Keep-alives: runs of CRLF between messages. */
  gsize skip = 0;
  while (skip < len && (data[skip] == '\r' || data[skip] == '\n'))
    skip++;
  if (skip > 0)
    {
      framer->start += skip;
      return PERCH_SIP_FRAME_KEEPALIVE;
    }
  if (len == 0)
    return PERCH_SIP_FRAME_NEED_MORE;

  const guint8 *hend = find_header_end (data, len, PERCH_SIP_MAX_HEADER);
  if (hend == NULL)
    {
      if (len >= PERCH_SIP_MAX_HEADER)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "header block over %d bytes", PERCH_SIP_MAX_HEADER);
          return PERCH_SIP_FRAME_ERROR;
        }
      return PERCH_SIP_FRAME_NEED_MORE;
    }
  gsize hlen = hend - data;
  if (memchr (data, '\0', hlen) != NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "NUL byte in headers");
      return PERCH_SIP_FRAME_ERROR;
    }
  gsize body_len = 0;
  if (!header_content_length ((const char *) data, hlen, &body_len, error))
    return PERCH_SIP_FRAME_ERROR;
  if (body_len > PERCH_SIP_MAX_BODY)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "body of %" G_GSIZE_FORMAT " bytes is over the limit of %d",
                   body_len, PERCH_SIP_MAX_BODY);
      return PERCH_SIP_FRAME_ERROR;
    }
  if (len < hlen + body_len)
    return PERCH_SIP_FRAME_NEED_MORE;
  *message = g_bytes_new (data, hlen + body_len);
  framer->start += hlen + body_len;
  if (framer->start == framer->buf->len)
    {
      g_byte_array_set_size (framer->buf, 0);
      framer->start = 0;
    }
  return PERCH_SIP_FRAME_MESSAGE;
}

void
perch_sip_init (void)
{
  static gsize once = 0;
  if (g_once_init_enter (&once))
    {
      parser_init ();
      g_once_init_leave (&once, 1);
    }
}

osip_message_t *
perch_sip_parse (GBytes *message, GError **error)
{
  perch_sip_init ();
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  osip_message_t *msg = NULL;
  if (osip_message_init (&msg) != 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "out of memory");
      return NULL;
    }
  if (osip_message_parse (msg, data, len) != 0)
    {
      osip_message_free (msg);
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "malformed SIP message");
      return NULL;
    }
  const char *missing = NULL;
  if (msg->from == NULL || msg->from->url == NULL)
    missing = "From";
  else if (msg->to == NULL || msg->to->url == NULL)
    missing = "To";
  else if (msg->call_id == NULL || msg->call_id->number == NULL)
    missing = "Call-ID";
  else if (msg->cseq == NULL || msg->cseq->method == NULL || msg->cseq->number == NULL)
    missing = "CSeq";
  else if (MSG_IS_REQUEST (msg) && (msg->sip_method == NULL || msg->req_uri == NULL))
    missing = "Request-Line";
  else if (MSG_IS_REQUEST (msg) && osip_list_size (&msg->vias) == 0)
    missing = "Via";
  if (missing != NULL)
    {
      osip_message_free (msg);
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "missing or malformed %s", missing);
      return NULL;
    }
  /* RFC 3261: even ACK and CANCEL carry their own method in CSeq. */
  if (MSG_IS_REQUEST (msg) && strcmp (msg->sip_method, msg->cseq->method) != 0)
    {
      osip_message_free (msg);
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "CSeq method does not match the request");
      return NULL;
    }
  return msg;
}

const char *
perch_sip_header (osip_message_t *msg, const char *name)
{
  osip_header_t *h = NULL;
  if (osip_message_header_get_byname (msg, name, 0, &h) < 0 || h == NULL)
    return NULL;
  return h->hvalue;
}

const char *
perch_sip_body (osip_message_t *msg, gsize *len)
{
  osip_body_t *body = osip_list_get (&msg->bodies, 0);
  if (body == NULL || body->body == NULL)
    {
      *len = 0;
      return NULL;
    }
  *len = body->length;
  return body->body;
}

char *
perch_sip_address_uri (osip_from_t *addr)
{
  if (addr == NULL || addr->url == NULL || addr->url->username == NULL || addr->url->host == NULL)
    return NULL;
  g_autofree char *raw = g_strdup_printf ("%s@%s", addr->url->username, addr->url->host);
  return perch_normalize_user_uri (raw);
}

const char *
perch_sip_tag (osip_from_t *addr)
{
  osip_generic_param_t *tag = NULL;
  if (addr == NULL || osip_from_get_tag (addr, &tag) != 0 || tag == NULL)
    return NULL;
  return tag->gvalue;
}

osip_message_t *
perch_sip_response_new (osip_message_t *req, int code, const char *reason, const char *to_tag)
{
  osip_message_t *resp = NULL;
  osip_message_init (&resp);
  osip_message_set_version (resp, osip_strdup ("SIP/2.0"));
  osip_message_set_status_code (resp, code);
  osip_message_set_reason_phrase (resp, osip_strdup (reason ? reason : perch_sip_reason (code)));
  osip_list_clone (&req->vias, &resp->vias, (int (*)(void *, void **)) &osip_via_clone);
  osip_from_clone (req->from, &resp->from);
  osip_to_clone (req->to, &resp->to);
  osip_call_id_clone (req->call_id, &resp->call_id);
  osip_cseq_clone (req->cseq, &resp->cseq);
  if (to_tag != NULL && perch_sip_tag (resp->to) == NULL)
    osip_to_set_tag (resp->to, osip_strdup (to_tag));
  return resp;
}

void
perch_sip_add_header (osip_message_t *msg, const char *name, const char *value)
{
  osip_message_set_header (msg, name, value);
}

void
perch_sip_set_body (osip_message_t *msg, const char *content_type, const char *body, gsize len)
{
  osip_message_set_content_type (msg, content_type);
  osip_message_set_body (msg, body, len);
}

static void
free_osip_string (gpointer p)
{
  osip_free (p);
}

GBytes *
perch_sip_to_bytes (osip_message_t *msg)
{
  char *str = NULL;
  size_t len = 0;
  if (osip_message_to_str (msg, &str, &len) != 0 || str == NULL)
    return NULL;
  GBytes *bytes = g_bytes_new_with_free_func (str, len, free_osip_string, str);
  return bytes;
}

const char *
perch_sip_reason (int code)
{
  switch (code)
    {
    case 100: return "Trying";
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 420: return "Bad Extension";
    case 481: return "Call Leg/Transaction Does Not Exist";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default:  return code < 300 ? "OK" : "Error";
    }
}
