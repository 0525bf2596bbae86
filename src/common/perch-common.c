/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-common.c: the error domain, enum names, time and URI helpers. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <gio/gio.h>

#include "perch-common.h"

G_DEFINE_QUARK (perch-error-quark, perch_error)

const char *
perch_error_code_name (int code)
{
  switch (code)
    {
    case 200: return "SUCCESS_OK";
    case 400: return "BAD_REQUEST";
    case 403: return "ACCESS_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "CONFLICT";
    case 413: return "TOO_LARGE";
    case 422: return "RULE_VIOLATION";
    case 503: return "SERVER_BUSY";
    default:  return "SERVER_ERROR";
    }
}

static const char *const privacy_names[] = { "open", "closed", "secret" };
static const char *const room_type_names[] = { "normal", "auditorium" };

const char *
perch_privacy_to_string (PerchPrivacy privacy)
{
  g_return_val_if_fail (privacy <= PERCH_PRIVACY_SECRET, "closed");
  return privacy_names[privacy];
}

gboolean
perch_privacy_from_string (const char *s, PerchPrivacy *out)
{
  for (guint i = 0; s && i < G_N_ELEMENTS (privacy_names); i++)
    if (g_ascii_strcasecmp (s, privacy_names[i]) == 0)
      {
        *out = (PerchPrivacy) i;
        return TRUE;
      }
  return FALSE;
}

const char *
perch_room_type_to_string (PerchRoomType type)
{
  g_return_val_if_fail (type <= PERCH_ROOM_AUDITORIUM, "normal");
  return room_type_names[type];
}

gboolean
perch_room_type_from_string (const char *s, PerchRoomType *out)
{
  for (guint i = 0; s && i < G_N_ELEMENTS (room_type_names); i++)
    if (g_ascii_strcasecmp (s, room_type_names[i]) == 0)
      {
        *out = (PerchRoomType) i;
        return TRUE;
      }
  return FALSE;
}

gint64
perch_now_us (void)
{
  return g_get_real_time ();
}

char *
perch_format_ts (gint64 ts_us)
{
  /* Floor, not C's truncation toward zero, so times before 1970 keep a
   * positive fraction of their second. */
  gint64 secs = ts_us / G_USEC_PER_SEC, frac = ts_us % G_USEC_PER_SEC;
  if (frac < 0)
    {
      secs -= 1;
      frac += G_USEC_PER_SEC;
    }
  /* 1970 to 9999, every timestamp a server writes: gmtime_r and digits.
   * GDateTime and its format were most of the CPU of a bccontext reply
   * (thirty of these; callgrind, perch-bench). */
  struct tm tm;
  time_t t = (time_t) secs;
  if (secs >= 0 && secs <= G_GINT64_CONSTANT (253402300799) && gmtime_r (&t, &tm) != NULL)
    {
      const int fields[] = { tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                             (int) (frac / 1000) };
      const int widths[] = { 4, 2, 2, 2, 2, 2, 3 };
      const char seps[] = "--T::.Z";
      char out[sizeof "YYYY-MM-DDTHH:MM:SS.mmmZ"], *p = out;
      for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
        {
          for (int w = widths[i] - 1, v = fields[i]; w >= 0; w--, v /= 10)
            p[w] = (char) ('0' + v % 10);
          p += widths[i];
          *p++ = seps[i];
        }
      *p = '\0';
      return g_strdup (out);
    }
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (secs);
  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00.000Z");
  g_autofree char *base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", base, (int) (frac / 1000));
}

gboolean
perch_parse_ts (const char *s, gint64 *ts_us)
{
  if (s == NULL || strlen (s) > 64)
    return FALSE;
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (s, NULL);
  if (dt == NULL)
    return FALSE;
  *ts_us = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

static gboolean
valid_part (const char *s, gsize len)
{
  if (len == 0 || len > 256)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (s[i] == '/' || (guchar) s[i] <= ' ' || s[i] == '"' || s[i] == '<' || s[i] == '>' || s[i] == '&')
      return FALSE;
  return TRUE;
}

static gboolean
parse_ma_uri (const char *uri, const char *scheme, char **domain, char **id)
{
  gsize slen = strlen (scheme);
  if (uri == NULL || strncmp (uri, scheme, slen) != 0)
    return FALSE;
  const char *d = uri + slen;
  const char *slash = strchr (d, '/');
  if (slash == NULL || !valid_part (d, slash - d) || !valid_part (slash + 1, strlen (slash + 1)))
    return FALSE;
  if (domain)
    *domain = g_ascii_strdown (d, slash - d);
  if (id)
    *id = g_strdup (slash + 1);
  return TRUE;
}

char *
perch_room_uri (const char *domain, const char *room_id)
{
  return g_strdup_printf ("ma-chan://%s/%s", domain, room_id);
}

char *
perch_category_uri (const char *domain, const char *cat_id)
{
  return g_strdup_printf ("ma-cat://%s/%s", domain, cat_id);
}

gboolean
perch_parse_room_uri (const char *uri, char **domain, char **room_id)
{
  return parse_ma_uri (uri, "ma-chan://", domain, room_id);
}

gboolean
perch_parse_category_uri (const char *uri, char **domain, char **cat_id)
{
  return parse_ma_uri (uri, "ma-cat://", domain, cat_id);
}

char *
perch_normalize_user_uri (const char *s)
{
  if (s == NULL)
    return NULL;
  if (g_ascii_strncasecmp (s, "sip:", 4) == 0)
    s += 4;
  gsize len = strlen (s);
  const char *at = strchr (s, '@');
  if (len == 0 || len > 256 || at == NULL || at == s || at[1] == '\0' || strchr (at + 1, '@'))
    return NULL;
  for (const char *p = s; *p; p++)
    {
      guchar c = (guchar) *p;
      if (!(g_ascii_isalnum (c) || strchr ("@._-+", c)))
        return NULL;
    }
  g_autofree char *lower = g_ascii_strdown (s, len);
  return g_strconcat ("sip:", lower, NULL);
}

char *
perch_random_hex (gsize n_bytes)
{
  g_autofree guint8 *buf = g_malloc (n_bytes);
  gsize got = 0;
  while (got < n_bytes)
    {
      ssize_t r = getrandom (buf + got, n_bytes - got, 0);
      if (r < 0 && errno != EINTR)
        g_error ("getrandom: %s", g_strerror (errno));
      if (r > 0)
        got += r;
    }
  static const char hex[] = "0123456789abcdef";
  char *out = g_malloc (n_bytes * 2 + 1);
  for (gsize i = 0; i < n_bytes; i++)
    {
      out[2 * i] = hex[buf[i] >> 4];
      out[2 * i + 1] = hex[buf[i] & 15];
    }
  out[n_bytes * 2] = '\0';
  return out;
}

gboolean
perch_const_time_equal (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  guchar diff = (la != lb);
  for (gsize i = 0; i < lb; i++)
    diff |= (guchar) a[i % (la ? la : 1)] ^ (guchar) b[i];
  return diff == 0;
}
