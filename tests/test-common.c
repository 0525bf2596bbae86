/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-common.c: the helpers every layer shares (perch-common.h): error and
 * enum names, timestamp formatting and parsing, strict ma-chan:/ma-cat: URI
 * parsing, user URI normalization, random identifiers and the
 * constant-time comparison. Pure functions: no files, no network. */
#include "config.h"

#include <string.h>

#include "perch-common.h"

/* ---- error codes and enums ---- */

static void
test_error_code_names (void)
{
  g_assert_cmpstr (perch_error_code_name (200), ==, "SUCCESS_OK");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_BAD_REQUEST), ==, "BAD_REQUEST");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_ACCESS_DENIED), ==, "ACCESS_DENIED");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_NOT_FOUND), ==, "NOT_FOUND");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_CONFLICT), ==, "CONFLICT");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_TOO_LARGE), ==, "TOO_LARGE");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_RULE), ==, "RULE_VIOLATION");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_BUSY), ==, "SERVER_BUSY");
  g_assert_cmpstr (perch_error_code_name (PERCH_ERROR_FAILED), ==, "SERVER_ERROR");
  /* Anything unknown is a server error, never NULL. */
  g_assert_cmpstr (perch_error_code_name (0), ==, "SERVER_ERROR");
  g_assert_cmpstr (perch_error_code_name (-1), ==, "SERVER_ERROR");
  g_assert_cmpstr (perch_error_code_name (999), ==, "SERVER_ERROR");
  g_assert_true (PERCH_ERROR != 0);
}

static void
test_privacy_round_trip (void)
{
  const PerchPrivacy all[] = { PERCH_PRIVACY_OPEN, PERCH_PRIVACY_CLOSED, PERCH_PRIVACY_SECRET };
  const char *names[] = { "open", "closed", "secret" };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_assert_cmpstr (perch_privacy_to_string (all[i]), ==, names[i]);
      PerchPrivacy back = (PerchPrivacy) 99;
      g_assert_true (perch_privacy_from_string (perch_privacy_to_string (all[i]), &back));
      g_assert_cmpint (back, ==, all[i]);
    }
  PerchPrivacy p = PERCH_PRIVACY_CLOSED;
  g_assert_true (perch_privacy_from_string ("Secret", &p));
  g_assert_cmpint (p, ==, PERCH_PRIVACY_SECRET);

  const char *bad[] = { "", "public", "open ", " open", "ope", "opened", "secret\n", "0", "2" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      p = (PerchPrivacy) 77;
      g_assert_false (perch_privacy_from_string (bad[i], &p));
      g_assert_cmpint (p, ==, 77);  /* untouched on failure */
    }
  g_assert_false (perch_privacy_from_string (NULL, &p));
}

static void
test_room_type_round_trip (void)
{
  const PerchRoomType all[] = { PERCH_ROOM_NORMAL, PERCH_ROOM_AUDITORIUM };
  const char *names[] = { "normal", "auditorium" };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_assert_cmpstr (perch_room_type_to_string (all[i]), ==, names[i]);
      PerchRoomType back = (PerchRoomType) 99;
      g_assert_true (perch_room_type_from_string (perch_room_type_to_string (all[i]), &back));
      g_assert_cmpint (back, ==, all[i]);
    }
  PerchRoomType t = PERCH_ROOM_NORMAL;
  g_assert_true (perch_room_type_from_string ("AUDITORIUM", &t));
  g_assert_cmpint (t, ==, PERCH_ROOM_AUDITORIUM);

  const char *bad[] = { "", "auditorium ", "audit", "lecture", "1" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      t = (PerchRoomType) 77;
      g_assert_false (perch_room_type_from_string (bad[i], &t));
      g_assert_cmpint (t, ==, 77);
    }
  g_assert_false (perch_room_type_from_string (NULL, &t));
}

/* ---- timestamps ---- */

static void
test_format_ts (void)
{
  g_autofree char *epoch = perch_format_ts (0);
  g_assert_cmpstr (epoch, ==, "1970-01-01T00:00:00.000Z");

  /* The example of the header: 2013-08-03T12:00:00Z is 1375531200 s. */
  g_autofree char *s = perch_format_ts (G_GINT64_CONSTANT (1375531200123000));
  g_assert_cmpstr (s, ==, "2013-08-03T12:00:00.123Z");

  /* Sub-millisecond digits are dropped, not rounded. */
  g_autofree char *trunc = perch_format_ts (G_GINT64_CONSTANT (1375531200999999));
  g_assert_cmpstr (trunc, ==, "2013-08-03T12:00:00.999Z");

  g_autofree char *last = perch_format_ts (G_GINT64_CONSTANT (253402300799000000));
  g_assert_cmpstr (last, ==, "9999-12-31T23:59:59.000Z");
}

static void
test_format_ts_out_of_range (void)
{
  /* Beyond what GDateTime can represent: must not crash and must still be
   * a well-formed timestamp that parses again. */
  const gint64 huge[] = { G_MAXINT64, G_MININT64, G_GINT64_CONSTANT (253402300800000000) };
  for (guint i = 0; i < G_N_ELEMENTS (huge); i++)
    {
      g_autofree char *s = perch_format_ts (huge[i]);
      g_assert_nonnull (s);
      gint64 back = 0;
      g_assert_true (perch_parse_ts (s, &back));
    }
}

/* Times before 1970 (a client may send one as a history range) must format
 * as well-formed timestamps that parse back to the same millisecond.
 * KNOWN BUG: perch_format_ts divides with C's truncating '/' and '%', so a
 * negative value with a sub-second part yields "...:00.-500Z". The case is
 * reported as TODO (meson: expected failure) until src/ is fixed. */
static void
test_format_ts_before_1970 (void)
{
  struct { gint64 us; const char *text; } cases[] = {
    { G_GINT64_CONSTANT (-1000000), "1969-12-31T23:59:59.000Z" },
    { G_GINT64_CONSTANT (-500000),  "1969-12-31T23:59:59.500Z" },
    { G_GINT64_CONSTANT (-1500000), "1969-12-31T23:59:58.500Z" },
    { G_GINT64_CONSTANT (-1000),    "1969-12-31T23:59:59.999Z" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 back = 0;
      g_assert_true (perch_parse_ts (cases[i].text, &back));
      g_assert_cmpint (back, ==, cases[i].us);

      g_autofree char *s = perch_format_ts (cases[i].us);
      if (g_strcmp0 (s, cases[i].text) != 0)
        {
          g_test_message ("perch_format_ts (%" G_GINT64_FORMAT ") = \"%s\", expected \"%s\"",
                          cases[i].us, s, cases[i].text);
          g_assert_not_reached ();
        }
    }
}

static void
test_parse_ts (void)
{
  gint64 ts = 0;
  g_assert_true (perch_parse_ts ("2013-08-03T12:00:00.123Z", &ts));
  g_assert_cmpint (ts, ==, G_GINT64_CONSTANT (1375531200123000));

  g_assert_true (perch_parse_ts ("2013-08-03T12:00:00Z", &ts));
  g_assert_cmpint (ts, ==, G_GINT64_CONSTANT (1375531200000000));

  /* Other zones are converted to UTC. */
  g_assert_true (perch_parse_ts ("2013-08-03T14:00:00.5+02:00", &ts));
  g_assert_cmpint (ts, ==, G_GINT64_CONSTANT (1375531200500000));
  g_assert_true (perch_parse_ts ("2013-08-03T07:00:00-05:00", &ts));
  g_assert_cmpint (ts, ==, G_GINT64_CONSTANT (1375531200000000));

  /* Microseconds survive parsing. */
  g_assert_true (perch_parse_ts ("1970-01-01T00:00:00.000001Z", &ts));
  g_assert_cmpint (ts, ==, 1);
}

static void
test_ts_round_trip (void)
{
  const gint64 values[] = {
    0, 1000, G_GINT64_CONSTANT (1375531200123000), G_GINT64_CONSTANT (946684799999000),
    G_GINT64_CONSTANT (1709164800000000) /* 2024-02-29 */, G_GINT64_CONSTANT (4102444800001000),
  };
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *s = perch_format_ts (values[i]);
      gint64 back = -1;
      g_assert_true (perch_parse_ts (s, &back));
      g_assert_cmpint (back, ==, values[i]);
    }

  /* now, to the millisecond */
  gint64 now = perch_now_us ();
  g_assert_cmpint (now, >, G_GINT64_CONSTANT (1375531200000000));
  g_autofree char *s = perch_format_ts (now);
  gint64 back = 0;
  g_assert_true (perch_parse_ts (s, &back));
  g_assert_cmpint (back, ==, now - now % 1000);
}

static void
test_parse_ts_malformed (void)
{
  const char *bad[] = {
    "",
    "garbage",
    "2013-08-03",                    /* no time */
    "2013-08-03T12:00:00",           /* no zone */
    "2013-13-03T12:00:00Z",          /* month 13 */
    "2013-02-30T12:00:00Z",          /* no such day */
    "2013-08-03T25:00:00Z",
    "2013-08-03T12:60:00Z",
    "2013-08-03T12:00:00.123ZZ",
    "2013-08-03T12:00:00+25:00",
    "2013-08-03 12:00:00Z garbage",
    "T12:00:00Z",
    "-1",
    "1375531200",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gint64 ts = 0;
      if (perch_parse_ts (bad[i], &ts))
        g_error ("accepted malformed timestamp \"%s\"", bad[i]);
    }
  gint64 ts = 0;
  g_assert_false (perch_parse_ts (NULL, &ts));
}

static void
test_parse_ts_oversized (void)
{
  gint64 ts = 0;
  /* A valid timestamp padded with fraction digits past 64 characters. */
  g_autoptr(GString) s = g_string_new ("2013-08-03T12:00:00.");
  while (s->len < 80)
    g_string_append_c (s, '0');
  g_string_append_c (s, 'Z');
  g_assert_false (perch_parse_ts (s->str, &ts));

  /* A megabyte of digits is refused without trouble. */
  g_autofree char *big = g_strnfill (1024 * 1024, '9');
  g_assert_false (perch_parse_ts (big, &ts));
}

/* ---- room and category URIs ---- */

static void
test_room_uri_build_parse (void)
{
  g_autofree char *uri = perch_room_uri ("example.test", "a1b2c3");
  g_assert_cmpstr (uri, ==, "ma-chan://example.test/a1b2c3");

  g_autofree char *domain = NULL, *id = NULL;
  g_assert_true (perch_parse_room_uri (uri, &domain, &id));
  g_assert_cmpstr (domain, ==, "example.test");
  g_assert_cmpstr (id, ==, "a1b2c3");

  /* The domain is lower-cased; the id is kept exactly. */
  g_autofree char *d2 = NULL, *i2 = NULL;
  g_assert_true (perch_parse_room_uri ("ma-chan://Example.TEST/AbC-1_2", &d2, &i2));
  g_assert_cmpstr (d2, ==, "example.test");
  g_assert_cmpstr (i2, ==, "AbC-1_2");

  /* Either output may be NULL. */
  g_assert_true (perch_parse_room_uri (uri, NULL, NULL));

  /* Parts of 256 characters pass, 257 do not. */
  g_autofree char *p256 = g_strnfill (256, 'a');
  g_autofree char *p257 = g_strnfill (257, 'a');
  g_autofree char *long_ok = perch_room_uri (p256, p256);
  g_assert_true (perch_parse_room_uri (long_ok, NULL, NULL));
  g_autofree char *long_id = perch_room_uri ("example.test", p257);
  g_assert_false (perch_parse_room_uri (long_id, NULL, NULL));
  g_autofree char *long_dom = perch_room_uri (p257, "x");
  g_assert_false (perch_parse_room_uri (long_dom, NULL, NULL));
}

static void
test_category_uri_build_parse (void)
{
  g_autofree char *uri = perch_category_uri ("example.test", "7");
  g_assert_cmpstr (uri, ==, "ma-cat://example.test/7");

  g_autofree char *domain = NULL, *id = NULL;
  g_assert_true (perch_parse_category_uri (uri, &domain, &id));
  g_assert_cmpstr (domain, ==, "example.test");
  g_assert_cmpstr (id, ==, "7");

  /* The schemes do not cross. */
  g_assert_false (perch_parse_room_uri (uri, NULL, NULL));
  g_autofree char *room = perch_room_uri ("example.test", "7");
  g_assert_false (perch_parse_category_uri (room, NULL, NULL));
}

static const char *const bad_room_uris[] = {
  "",
  "ma-chan://",
  "ma-chan:///abc",                  /* empty domain */
  "ma-chan://example.test/",         /* empty id */
  "ma-chan://example.test",          /* no id at all */
  "ma-chan:///",
  "ma-chan://example.test//abc",     /* extra slash */
  "ma-chan://example.test/abc/",
  "ma-chan://example.test/a/b",
  "ma-chan:///example.test/abc",
  "ma-chan://example.test/a\"b",     /* quotes */
  "\"ma-chan://example.test/abc\"",
  "ma-chan://example.test/abc\"",
  "<ma-chan://example.test/abc>",    /* angle brackets */
  "ma-chan://example.test/abc>",
  "ma-chan://exa<mple.test/abc",
  "ma-chan://example.test/a&b",
  "ma-chan://example.test/a b",      /* white space and controls */
  "ma-chan://example .test/abc",
  "ma-chan://example.test/abc\n",
  "ma-chan://example.test/ab\tc",
  "ma-chan://example.test/ab\x01",
  " ma-chan://example.test/abc",
  "ma-cat://example.test/abc",       /* wrong scheme */
  "ma-chan:/example.test/abc",
  "ma-chan:example.test/abc",
  "ma-chan//example.test/abc",
  "http://example.test/abc",
  "sip:alice@example.test",
  "ma-chans://example.test/abc",
  "xma-chan://example.test/abc",
};

static void
test_room_uri_strict (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_room_uris); i++)
    {
      char *domain = (char *) "untouched", *id = (char *) "untouched";
      if (perch_parse_room_uri (bad_room_uris[i], &domain, &id))
        g_error ("accepted bad room URI \"%s\"", g_strescape (bad_room_uris[i], NULL));
      /* Nothing is allocated on failure. */
      g_assert_cmpstr (domain, ==, "untouched");
      g_assert_cmpstr (id, ==, "untouched");
    }
  g_assert_false (perch_parse_room_uri (NULL, NULL, NULL));
}

static void
test_category_uri_strict (void)
{
  const char *bad[] = {
    "",
    "ma-cat://",
    "ma-cat:///7",
    "ma-cat://example.test/",
    "ma-cat://example.test",
    "ma-cat://example.test//7",
    "ma-cat://example.test/7/",
    "ma-cat://example.test/a/b",
    "ma-cat://example.test/\"7\"",
    "<ma-cat://example.test/7>",
    "ma-cat://example.test/7>",
    "ma-cat://example.test/7 8",
    "ma-chan://example.test/7",
    "ma-cat:/example.test/7",
    "http://example.test/7",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (perch_parse_category_uri (bad[i], NULL, NULL))
      g_error ("accepted bad category URI \"%s\"", bad[i]);
  g_assert_false (perch_parse_category_uri (NULL, NULL, NULL));
}

/* ---- user URIs ---- */

static void
test_normalize_user_uri (void)
{
  struct { const char *in, *out; } good[] = {
    { "sip:alice@example.test", "sip:alice@example.test" },
    { "alice@example.test", "sip:alice@example.test" },
    { "sip:Alice@Example.TEST", "sip:alice@example.test" },
    { "SIP:ALICE@EXAMPLE.TEST", "sip:alice@example.test" },
    { "Sip:bob.smith-jr_2+tag@sub.example.test", "sip:bob.smith-jr_2+tag@sub.example.test" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *out = perch_normalize_user_uri (good[i].in);
      g_assert_cmpstr (out, ==, good[i].out);
      /* normalizing is idempotent */
      g_autofree char *again = perch_normalize_user_uri (out);
      g_assert_cmpstr (again, ==, out);
    }
}

static void
test_normalize_user_uri_rejects (void)
{
  const char *bad[] = {
    "",
    "sip:",
    "alice",                             /* missing @ */
    "sip:alice",
    "sip:alice.example.test",
    "@example.test",                     /* empty user */
    "sip:@example.test",
    "alice@",                            /* empty domain */
    "sip:alice@",
    "alice@bob@example.test",            /* two @ */
    "sip:alice@example.test@evil.test",
    "@@",
    "sip:alice @example.test",           /* bad characters */
    "sip:alice@example.test ",
    " sip:alice@example.test",
    "<sip:alice@example.test>",
    "\"Alice\" <sip:alice@example.test>",
    "sip:alice@example.test;transport=tls",
    "sip:alice@example.test:5061",
    "sip:sip:alice@example.test",
    "sips:alice@example.test",
    "tel:+15551234@example.test",
    "sip:al\"ice@example.test",
    "sip:alice@exa/mple.test",
    "sip:alice@example.test\n",
    "sip:alice\r\n@example.test",
    "sip:al%41ice@example.test",
    "sip:alic\xc3\xa9@example.test",     /* non-ASCII */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = perch_normalize_user_uri (bad[i]);
      if (out != NULL)
        g_error ("normalized bad user URI \"%s\" to \"%s\"", g_strescape (bad[i], NULL), out);
    }
  g_assert_null (perch_normalize_user_uri (NULL));
}

static void
test_normalize_user_uri_length (void)
{
  /* The address after "sip:" may be 256 characters, not 257. */
  g_autofree char *user254 = g_strnfill (254, 'u');
  g_autofree char *ok = g_strconcat ("sip:", user254, "@d", NULL);   /* 256 after sip: */
  g_autofree char *ok_out = perch_normalize_user_uri (ok);
  g_assert_cmpstr (ok_out, ==, ok);

  g_autofree char *user255 = g_strnfill (255, 'u');
  g_autofree char *too_long = g_strconcat ("sip:", user255, "@d", NULL);
  g_assert_null (perch_normalize_user_uri (too_long));
  g_autofree char *too_long_bare = g_strconcat (user255, "@d", NULL);
  g_assert_null (perch_normalize_user_uri (too_long_bare));

  g_autofree char *huge = g_strnfill (1024 * 1024, 'a');
  huge[512 * 1024] = '@';
  g_assert_null (perch_normalize_user_uri (huge));
}

/* ---- random identifiers ---- */

static void
test_random_hex (void)
{
  const gsize sizes[] = { 0, 1, 2, 16, 32, 100 };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *hex = perch_random_hex (sizes[i]);
      g_assert_nonnull (hex);
      g_assert_cmpuint (strlen (hex), ==, sizes[i] * 2);
      for (const char *p = hex; *p; p++)
        g_assert_true ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    }
}

static void
test_random_hex_unique (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint counts[16] = { 0 };
  for (guint i = 0; i < 2000; i++)
    {
      char *hex = perch_random_hex (16);
      g_assert_cmpuint (strlen (hex), ==, 32);
      for (const char *p = hex; *p; p++)
        counts[g_ascii_xdigit_value (*p)]++;
      g_assert_true (g_hash_table_add (seen, hex));  /* never seen before */
    }
  /* 64000 digits: each of the 16 values appears about 4000 times; a
   * generator stuck on part of the alphabet fails this by far. */
  for (guint d = 0; d < 16; d++)
    {
      g_assert_cmpuint (counts[d], >, 3000);
      g_assert_cmpuint (counts[d], <, 5000);
    }
}

/* ---- constant-time comparison ---- */

static void
test_const_time_equal (void)
{
  g_assert_true (perch_const_time_equal ("", ""));
  g_assert_true (perch_const_time_equal ("a", "a"));
  g_assert_true (perch_const_time_equal ("6629fae49393a05397450978507c4ef1",
                                         "6629fae49393a05397450978507c4ef1"));

  g_assert_false (perch_const_time_equal ("", "a"));
  g_assert_false (perch_const_time_equal ("a", ""));
  g_assert_false (perch_const_time_equal ("abc", "abd"));
  g_assert_false (perch_const_time_equal ("abc", "Abc"));
  g_assert_false (perch_const_time_equal ("abc", "abcd"));   /* prefix */
  g_assert_false (perch_const_time_equal ("abcd", "abc"));
  g_assert_false (perch_const_time_equal ("abcabc", "abc"));  /* repetition */
  g_assert_false (perch_const_time_equal ("abc", "abcabc"));
  g_assert_false (perch_const_time_equal ("6629fae49393a05397450978507c4ef1",
                                          "6629fae49393a05397450978507c4ef0"));
  g_assert_false (perch_const_time_equal ("\x80", "\x81"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/perch/common/error-code-names", test_error_code_names);
  g_test_add_func ("/perch/common/privacy-round-trip", test_privacy_round_trip);
  g_test_add_func ("/perch/common/room-type-round-trip", test_room_type_round_trip);
  g_test_add_func ("/perch/common/format-ts", test_format_ts);
  g_test_add_func ("/perch/common/format-ts-out-of-range", test_format_ts_out_of_range);
  g_test_add_func ("/perch/common/format-ts-before-1970", test_format_ts_before_1970);
  g_test_add_func ("/perch/common/parse-ts", test_parse_ts);
  g_test_add_func ("/perch/common/ts-round-trip", test_ts_round_trip);
  g_test_add_func ("/perch/common/parse-ts-malformed", test_parse_ts_malformed);
  g_test_add_func ("/perch/common/parse-ts-oversized", test_parse_ts_oversized);
  g_test_add_func ("/perch/common/room-uri", test_room_uri_build_parse);
  g_test_add_func ("/perch/common/category-uri", test_category_uri_build_parse);
  g_test_add_func ("/perch/common/room-uri-strict", test_room_uri_strict);
  g_test_add_func ("/perch/common/category-uri-strict", test_category_uri_strict);
  g_test_add_func ("/perch/common/normalize-user-uri", test_normalize_user_uri);
  g_test_add_func ("/perch/common/normalize-user-uri-rejects", test_normalize_user_uri_rejects);
  g_test_add_func ("/perch/common/normalize-user-uri-length", test_normalize_user_uri_length);
  g_test_add_func ("/perch/common/random-hex", test_random_hex);
  g_test_add_func ("/perch/common/random-hex-unique", test_random_hex_unique);
  g_test_add_func ("/perch/common/const-time-equal", test_const_time_equal);

  return g_test_run ();
}
