/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-test-http.c: the HTTP requests of perch-test-http.h, with libsoup
 * and raw, shared by the tests that talk to perchd's room management
 * service. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "perch-test-http.h"

static gboolean
accept_any_certificate (SoupMessage *msg, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

PerchTestHttpReply *
perch_test_http_reply_new (SoupMessage *msg, const char *text, gsize len, PerchTestHttpFlags flags)
{
  PerchTestHttpReply *r = g_new0 (PerchTestHttpReply, 1);
  r->status = soup_message_get_status (msg);
  r->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  r->text = g_strndup (text ? text : "", len);
  const char *type = soup_message_headers_get_content_type (r->headers, NULL);
  if (len > 0 && (flags & PERCH_TEST_HTTP_ASSERT_JSON))
    g_assert_cmpstr (type, ==, "application/json");
  if (len > 0 && (!(flags & PERCH_TEST_HTTP_JSON_IF_TYPED) || g_strcmp0 (type, "application/json") == 0))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_assert_true (json_parser_load_from_data (parser, r->text, (gssize) len, NULL));
      r->json = json_node_copy (json_parser_get_root (parser));
      r->obj = JSON_NODE_HOLDS_OBJECT (r->json) ? json_node_get_object (r->json) : NULL;
    }
  if (flags & PERCH_TEST_HTTP_ASSERT_NO_STORE)
    g_assert_cmpstr (soup_message_headers_get_one (r->headers, "Cache-Control"), ==, "no-store");
  return r;
}

PerchTestHttpReply *
perch_test_http (SoupSession *session, const char *base, const char *method, const char *path,
                 const char *auth, const void *body, gsize len, const char *content_type,
                 PerchTestHttpFlags flags, guint timeout_ms)
{
  g_autofree char *url = g_str_has_prefix (path, "http") ? g_strdup (path) : g_strconcat (base, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_assert_nonnull (msg);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  if (auth != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, len);
      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }
  g_autoptr(GAsyncResult) result = NULL;
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, timeout_ms);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = soup_session_send_and_read_finish (session, result, &error);
  if (error != NULL)
    g_error ("%s %s: %s (status %u)", method, path, error->message, soup_message_get_status (msg));

  gsize n;
  const char *text = g_bytes_get_data (data, &n);
  return perch_test_http_reply_new (msg, text, n, flags);
}

void
perch_test_http_reply_free (PerchTestHttpReply *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->json, json_node_unref);
  g_clear_pointer (&r->headers, soup_message_headers_unref);
  g_free (r->text);
  g_free (r);
}

char *
perch_test_http_room_path (const char *room, const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (room, NULL, FALSE);
  return g_strconcat ("/api/v1/rooms/", escaped, suffix, NULL);
}

/* ---- raw HTTP ---- */

int
perch_test_http_raw_connect (PerchTestServer *server)
{
  const char *address = perch_test_server_get (server, "http");
  const char *colon = strrchr (address, ':');
  g_autofree char *host = g_strndup (address, colon - address);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((guint16) atoi (colon + 1)) };
  g_assert_cmpint (inet_pton (AF_INET, host, &sa.sin_addr), ==, 1);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  g_assert_cmpint (fd, >=, 0);
  struct timeval tv = { .tv_sec = 15 };
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  return fd;
}

gboolean
perch_test_http_raw_send (int fd, const void *data, gsize len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

char *
perch_test_http_raw_read_all (int fd)
{
  GString *out = g_string_new (NULL);
  char buf[4096];
  ssize_t n;
  while ((n = recv (fd, buf, sizeof buf, 0)) > 0)
    g_string_append_len (out, buf, n);
  return g_string_free (out, FALSE);
}

char *
perch_test_http_raw_request (PerchTestServer *server, const char *request)
{
  int fd = perch_test_http_raw_connect (server);
  g_assert_true (perch_test_http_raw_send (fd, request, strlen (request)));
  char *response = perch_test_http_raw_read_all (fd);
  close (fd);
  return response;
}
