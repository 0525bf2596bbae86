/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-xccos-codec.c: the XCCOS envelope codec: every command, reply and
 * notice of the wire reference through builder and parser, SIPE-shaped
 * samples written by hand, and hostile bodies that must be refused cheaply
 * and without touching the file system. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "perch-common.h"
#include "perch-xccos.h"
#include "perch-test-util.h"

/* ---- helpers ---- */

static PerchXccosEnvelope *
parse_ok (const char *body)
{
  g_autoptr(GError) error = NULL;
  PerchXccosEnvelope *env = perch_xccos_parse (body, strlen (body), &error);
  if (env == NULL)
    g_test_message ("refused: %s\n%s", error->message, body);
  g_assert_no_error (error);
  g_assert_nonnull (env);
  return env;
}

static GError *
parse_fail_len (const char *body, gsize len, int code)
{
  GError *error = NULL;
  PerchXccosEnvelope *env = perch_xccos_parse (body, len, &error);
  g_assert_null (env);
  g_assert_error (error, PERCH_ERROR, code);
  return error;
}

static void
assert_refused (const char *body, int code)
{
  g_autoptr(GError) error = parse_fail_len (body, strlen (body), code);
}

static PerchXccosItem *
item (PerchXccosEnvelope *env, guint i)
{
  g_assert_cmpuint (i, <, env->items->len);
  return g_ptr_array_index (env->items, i);
}

/* Follows "a/b/c" from @node by first-child local names. */
static xmlNode *
path (xmlNode *node, const char *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, "/", -1);
  for (guint i = 0; parts[i] && node; i++)
    node = perch_xml_child (node, parts[i]);
  return node;
}

static guint
count_children (xmlNode *parent, const char *name)
{
  guint n = 0;
  for (xmlNode *c = perch_xml_child (parent, name); c; c = perch_xml_next (c, name))
    n++;
  return n;
}

/* @attr NULL means the element's text. */
static void
assert_path_value (xmlNode *data, const char *spec, const char *attr, const char *expected)
{
  xmlNode *n = path (data, spec);
  g_assert_nonnull (n);
  g_autofree char *v = attr ? perch_xml_get (n, attr) : perch_xml_text (n);
  g_assert_cmpstr (v, ==, expected);
}

static void
assert_not_grpchat_fields (PerchXccosItem *it)
{
  g_assert_null (it->chan_uri);
  g_assert_null (it->author);
  g_assert_null (it->ts);
  g_assert_null (it->msgid);
  g_assert_null (it->chat);
}

/* ---- every command of the reference, with its reply ---- */

typedef struct {
  const char *cmd;            /* "cmd:join" */
  const char *cmd_data;       /* inner XML or NULL */
  const char *cmd_path, *cmd_attr, *cmd_value;
  const char *count_name;     /* children of the cmd's <data> to count */
  guint       count;
  const char *rpl;            /* "rpl:join" */
  const char *rpl_data;
  const char *rpl_path, *rpl_attr, *rpl_value;
} CommandCase;

static const CommandCase command_cases[] = {
  { "cmd:requri", NULL, NULL, NULL, NULL, NULL, 0,
    "rpl:requri", "<uib uri=\"sip:perch@example.test\"/>", "uib", "uri", "sip:perch@example.test" },
  { "cmd:getserverinfo", "<sib domain=\"example.test\" infoType=\"123\"/>",
    "sib", "domain", "example.test", "sib", 1,
    "rpl:getserverinfo",
    "<sib infoType=\"123\" serverTime=\"2013-08-03T12:00:00.000Z\" searchLimit=\"999\" "
    "messageSizeLimit=\"512\" storySizeLimit=\"4096\" rootUri=\"ma-cat://example.test/root\" dbVersion=\"db1\"/>",
    "sib", "rootUri", "ma-cat://example.test/root" },
  { "cmd:getassociations", "<uib uri=\"sip:alice@example.test\"/><assoc type=\"manager\"/>",
    "assoc", "type", "manager", "uib", 1,
    "rpl:getassociations",
    "<chanib uri=\"ma-chan://example.test/r1\" name=\"Room 1\"/><chanib uri=\"ma-chan://example.test/r2\" name=\"Room 2\"/>",
    "chanib", "uri", "ma-chan://example.test/r1" },
  { "cmd:join", "<chanid key=\"0\" domain=\"example.test\" value=\"r1\"/>",
    "chanid", "value", "r1", "chanid", 1,
    "rpl:join",
    "<uib id=\"0\" uri=\"sip:a@example.test\"/><uib id=\"1\" uri=\"sip:b@example.test\"/>"
    "<chanib uri=\"ma-chan://example.test/r1\" name=\"Room 1\" topic=\"Hi &amp; welcome\">"
    "<aib key=\"3984\" value=\"0,1\"/><aib key=\"12276\" value=\"1\"/></chanib>",
    "chanib/aib", "value", "0,1" },
  { "cmd:bjoin",
    "<chanid key=\"0\" domain=\"example.test\" value=\"r1\"/><chanid key=\"1\" domain=\"example.test\" value=\"r2\"/>",
    "chanid", "key", "0", "chanid", 2,
    "rpl:bjoin",
    "<chanib uri=\"ma-chan://example.test/r1\" name=\"Room 1\"><aib key=\"3984\" value=\"0\"/></chanib>"
    "<fib key=\"OPERATION_FAILED\" value=\"r2\" domain=\"example.test\"/>",
    "fib", "key", "OPERATION_FAILED" },
  { "cmd:part", "<chanib uri=\"ma-chan://example.test/r1\"/>",
    "chanib", "uri", "ma-chan://example.test/r1", "chanib", 1,
    "rpl:part", "<chanib uri=\"ma-chan://example.test/r1\"/>", "chanib", "uri", "ma-chan://example.test/r1" },
  { "cmd:bccontext", "<chanib uri=\"ma-chan://example.test/r1\"/><bcq><last cnt=\"25\"/></bcq>",
    "bcq/last", "cnt", "25", "bcq", 1,
    "rpl:bccontext",
    "<chanib uri=\"ma-chan://example.test/r1\">"
    "<msg id=\"grpchat\" chanUri=\"ma-chan://example.test/r1\" author=\"sip:alice@example.test\" "
    "ts=\"2013-08-03T12:00:00.000Z\" msgid=\"m1\"><chat>hi &amp; bye</chat></msg></chanib>",
    "chanib/msg/chat", NULL, "hi & bye" },
  { "cmd:chansrch", "<qib qtype=\"BYNAME\" criteria=\"room\" extended=\"false\"/>",
    "qib", "criteria", "room", "qib", 1,
    "rpl:chansrch",
    "<chanib name=\"Room 1\" description=\"d\" uri=\"ma-chan://example.test/r1\">"
    "<info id=\"urn:parlano:ma:info:ucnt\">3</info>"
    "<info id=\"urn:parlano:ma:info:visibilty\">public</info>"
    "<prop id=\"urn:parlano:ma:prop:filepost\">false</prop>"
    "<prop id=\"urn:parlano:ma:prop:invite\">true</prop>"
    "<prop id=\"urn:parlano:ma:prop:logged\">true</prop></chanib>",
    "chanib/info", NULL, "3" },
  { "cmd:getinv", "<inv inviteId=\"1\" domain=\"example.test\"/>",
    "inv", "inviteId", "1", "inv", 1,
    "rpl:getinv", "<chanib uri=\"ma-chan://example.test/r3\" name=\"Invited\"/>", "chanib", "name", "Invited" },
  { "cmd:getpref", "<pref label=\"perch.followed\" seqid=\"0\" createdefault=\"true\"/>",
    "pref", "label", "perch.followed", "pref", 1,
    "rpl:getpref", "<pref label=\"perch.followed\" seqid=\"3\" content=\"bWEtY2hhbjovL2V4YW1wbGUudGVzdC9yMQ==\"/>",
    "pref", "content", "bWEtY2hhbjovL2V4YW1wbGUudGVzdC9yMQ==" },
  { "cmd:setpref", "<pref label=\"perch.followed\" seqid=\"3\" createdefault=\"false\" content=\"bWE=\"/>",
    "pref", "content", "bWE=", "pref", 1,
    "rpl:setpref", "<pref label=\"perch.followed\" seqid=\"4\" content=\"bWE=\"/>", "pref", "seqid", "4" },
  { "cmd:getfutok", "<ftdb channelUri=\"ma-chan://example.test/r1\" fileUrl=\"report.pdf\"/>",
    "ftdb", "fileUrl", "report.pdf", "ftdb", 1,
    "rpl:getftok", "<token token=\"t1\" serveruri=\"https://perch.example.test/files/up\"/>",
    "token", "serveruri", "https://perch.example.test/files/up" },
  { "cmd:getfdtok", "<ftdb channelUri=\"ma-chan://example.test/r1\" fileUrl=\"report.pdf\"/>",
    "ftdb", "channelUri", "ma-chan://example.test/r1", "ftdb", 1,
    "rpl:getftok", "<token token=\"t2\" serveruri=\"https://perch.example.test/files/down\"/>",
    "token", "token", "t2" },
  { "cmd:nodespermcreatechild", NULL, NULL, NULL, NULL, NULL, 0,
    "rpl:nodespermcreatechild", NULL, NULL, NULL, NULL },
};

static void
test_command_roundtrip (gconstpointer data)
{
  const CommandCase *c = data;
  const gint64 envid = 139132350, seqid = 7;

  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, envid);
  perch_xccos_append_cmd (out, c->cmd, seqid, c->cmd_data);
  perch_xccos_end (out);

  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  g_assert_cmpint (env->envid, ==, envid);
  g_assert_cmpuint (env->items->len, ==, 1);
  PerchXccosItem *it = item (env, 0);
  g_assert_cmpint (it->kind, ==, PERCH_XCCOS_CMD);
  g_assert_cmpstr (it->id, ==, c->cmd);
  g_assert_cmpint (it->seqid, ==, seqid);
  g_assert_cmpint (it->cmd_seqid, ==, 0);
  g_assert_cmpint (it->cmd_envid, ==, 0);
  g_assert_cmpint (it->code, ==, 0);
  g_assert_null (it->code_text);
  assert_not_grpchat_fields (it);
  g_assert_cmpstr ((const char *) it->node->name, ==, "cmd");
  g_assert_nonnull (it->data);
  g_assert_true (it->data->parent == it->node);
  if (c->cmd_data == NULL)
    g_assert_null (perch_xml_child (it->data, "uib"));
  else
    {
      assert_path_value (it->data, c->cmd_path, c->cmd_attr, c->cmd_value);
      g_assert_cmpuint (count_children (it->data, c->count_name), ==, c->count);
    }

  /* The reply, echoing the command's seqid and envid. */
  g_string_truncate (out, 0);
  perch_xccos_begin (out, 42);
  perch_xccos_append_rpl (out, c->rpl, 1, seqid, envid, 200, c->rpl_data);
  perch_xccos_end (out);

  g_autoptr(PerchXccosEnvelope) renv = parse_ok (out->str);
  g_assert_cmpint (renv->envid, ==, 42);
  g_assert_cmpuint (renv->items->len, ==, 1);
  it = item (renv, 0);
  g_assert_cmpint (it->kind, ==, PERCH_XCCOS_RPL);
  g_assert_cmpstr (it->id, ==, c->rpl);
  g_assert_cmpint (it->seqid, ==, 1);
  g_assert_cmpint (it->cmd_seqid, ==, seqid);
  g_assert_cmpint (it->cmd_envid, ==, envid);
  g_assert_cmpint (it->code, ==, 200);
  g_assert_cmpstr (it->code_text, ==, "SUCCESS_OK");
  assert_not_grpchat_fields (it);
  g_assert_nonnull (it->data);
  if (c->rpl_data == NULL)
    g_assert_null (it->data->children);
  else
    assert_path_value (it->data, c->rpl_path, c->rpl_attr, c->rpl_value);
}

static void
test_rpl_codes (void)
{
  static const int codes[] = { 200, 400, 403, 404, 409, 413, 422, 500, 503 };
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      perch_xccos_begin (out, 5);
      perch_xccos_append_rpl (out, "rpl:join", 2, 3, 4, codes[i], NULL);
      perch_xccos_end (out);
      g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
      PerchXccosItem *it = item (env, 0);
      g_assert_cmpint (it->code, ==, codes[i]);
      g_assert_cmpstr (it->code_text, ==, perch_error_code_name (codes[i]));
      g_assert_cmpint (it->cmd_seqid, ==, 3);
      g_assert_cmpint (it->cmd_envid, ==, 4);
    }
}

static void
test_rpl_without_resp (void)
{
  /* Built (code 0 leaves <resp> out) and written by hand. */
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 9);
  perch_xccos_append_rpl (out, "rpl:part", 1, 2, 8, 0, "<chanib uri=\"ma-chan://d/r\"/>");
  perch_xccos_end (out);
  g_assert_null (strstr (out->str, "<resp"));

  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  PerchXccosItem *it = item (env, 0);
  g_assert_cmpint (it->code, ==, 500);
  g_assert_null (it->code_text);
  g_assert_cmpint (it->cmd_seqid, ==, 2);
  g_assert_cmpint (it->cmd_envid, ==, 8);
  assert_path_value (it->data, "chanib", "uri", "ma-chan://d/r");

  /* No <commandid>, no <data> either. */
  g_autoptr(PerchXccosEnvelope) bare = parse_ok (
    "<xccos envid=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\"><rpl id=\"rpl:x\"/></xccos>");
  it = item (bare, 0);
  g_assert_cmpint (it->code, ==, 500);
  g_assert_cmpint (it->seqid, ==, 0);
  g_assert_cmpint (it->cmd_seqid, ==, 0);
  g_assert_cmpint (it->cmd_envid, ==, 0);
  g_assert_null (it->data);
}

static void
test_notices (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 100);
  perch_xccos_append_ntc (out, "ntc:join", 1,
                          "<uib uri=\"sip:bob@example.test\"><aib domain=\"example.test\" value=\"r1\" key=\"3984\"/></uib>");
  perch_xccos_append_ntc (out, "ntc:bjoin", 2,
                          "<uib uri=\"sip:carol@example.test\"><aib domain=\"example.test\" value=\"r2\" key=\"3984\"/></uib>");
  perch_xccos_append_ntc (out, "ntc:part", 3,
                          "<chanib uri=\"ma-chan://example.test/r1\"><uib uri=\"sip:bob@example.test\"/></chanib>");
  perch_xccos_end (out);

  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  g_assert_cmpint (env->envid, ==, 100);
  g_assert_cmpuint (env->items->len, ==, 3);
  static const char *const ids[] = { "ntc:join", "ntc:bjoin", "ntc:part" };
  for (guint i = 0; i < 3; i++)
    {
      PerchXccosItem *it = item (env, i);
      g_assert_cmpint (it->kind, ==, PERCH_XCCOS_NTC);
      g_assert_cmpstr (it->id, ==, ids[i]);
      g_assert_cmpint (it->seqid, ==, i + 1);
      g_assert_cmpint (it->code, ==, 0);
      g_assert_null (it->code_text);
      assert_not_grpchat_fields (it);
      g_assert_nonnull (it->data);
    }
  assert_path_value (item (env, 0)->data, "uib", "uri", "sip:bob@example.test");
  assert_path_value (item (env, 0)->data, "uib/aib", "key", "3984");
  assert_path_value (item (env, 1)->data, "uib/aib", "value", "r2");
  assert_path_value (item (env, 2)->data, "chanib", "uri", "ma-chan://example.test/r1");
  assert_path_value (item (env, 2)->data, "chanib/uib", "uri", "sip:bob@example.test");
}

static const char tricky_text[] =
  "a < b && c > d; \"quoted\" and 'single' ]]> <![CDATA[x]]> &amp;\r\n"
  "second line\r\n\ttabbed  two  spaces \n"
  "한국어 채팅 메시지 😀🎉 ünïcödé";

static void
test_grpchat_roundtrip (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, G_MAXINT64);
  perch_xccos_append_grpchat (out, 1, "ma-chan://example.test/r1", "sip:alice@example.test",
                              "2013-08-03T12:00:00.000Z", "00000000000000000000000000000abc", tricky_text);
  perch_xccos_end (out);

  /* Escaped on the wire: no raw markup, no raw CR. */
  g_assert_null (strstr (out->str, "< b"));
  g_assert_null (strchr (out->str, '\r'));

  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  g_assert_cmpint (env->envid, ==, G_MAXINT64);
  PerchXccosItem *it = item (env, 0);
  g_assert_cmpint (it->kind, ==, PERCH_XCCOS_GRPCHAT);
  g_assert_cmpstr (it->id, ==, "grpchat");
  g_assert_cmpint (it->seqid, ==, 1);
  g_assert_cmpstr (it->chan_uri, ==, "ma-chan://example.test/r1");
  g_assert_cmpstr (it->author, ==, "sip:alice@example.test");
  g_assert_cmpstr (it->ts, ==, "2013-08-03T12:00:00.000Z");
  g_assert_cmpstr (it->msgid, ==, "00000000000000000000000000000abc");
  g_assert_cmpstr (it->chat, ==, tricky_text);
  g_assert_cmpint (it->code, ==, 0);
  g_assert_null (it->data);

  /* The same text in attributes survives too (CR, LF, TAB included). */
  g_string_truncate (out, 0);
  perch_xccos_begin (out, 1);
  perch_xccos_append_grpchat (out, 2, tricky_text, tricky_text, NULL, NULL, "");
  perch_xccos_end (out);
  g_autoptr(PerchXccosEnvelope) env2 = parse_ok (out->str);
  it = item (env2, 0);
  g_assert_cmpstr (it->chan_uri, ==, tricky_text);
  g_assert_cmpstr (it->author, ==, tricky_text);
  g_assert_null (it->ts);
  g_assert_null (it->msgid);
  g_assert_cmpstr (it->chat, ==, "");
}

static void
test_history_msg (void)
{
  g_autoptr(GString) data = g_string_new ("<chanib uri=\"ma-chan://example.test/r1\">");
  perch_xccos_append_msg (data, "ma-chan://example.test/r1", "sip:a@example.test",
                          "2013-08-03T12:00:00.000Z", "m1", "first <one>");
  perch_xccos_append_msg (data, "ma-chan://example.test/r1", "sip:b@example.test",
                          "2013-08-03T12:00:01.000Z", "m2", "second & last\r\n");
  g_string_append (data, "</chanib>");

  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 3);
  perch_xccos_append_rpl (out, "rpl:bccontext", 1, 1, 2, 200, data->str);
  perch_xccos_end (out);

  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  xmlNode *chanib = perch_xml_child (item (env, 0)->data, "chanib");
  xmlNode *m1 = perch_xml_child (chanib, "msg");
  xmlNode *m2 = perch_xml_next (m1, "msg");
  g_assert_null (perch_xml_next (m2, "msg"));
  g_autofree char *id = perch_xml_get (m1, "id");
  g_autofree char *author = perch_xml_get (m2, "author");
  g_autofree char *msgid = perch_xml_get (m2, "msgid");
  g_autofree char *t1 = perch_xml_text (perch_xml_child (m1, "chat"));
  g_autofree char *t2 = perch_xml_text (perch_xml_child (m2, "chat"));
  g_assert_cmpstr (id, ==, "grpchat");
  g_assert_cmpstr (author, ==, "sip:b@example.test");
  g_assert_cmpstr (msgid, ==, "m2");
  g_assert_cmpstr (t1, ==, "first <one>");
  g_assert_cmpstr (t2, ==, "second & last\r\n");
}

static void
test_several_items (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 77);
  perch_xccos_append_rpl (out, "rpl:join", 1, 1, 10, 200, "<chanib uri=\"ma-chan://d/r\"/>");
  perch_xccos_append_ntc (out, "ntc:join", 2, "<uib uri=\"sip:x@d\"/>");
  g_string_append (out, "\r\n  <!-- a comment between items -->\n");
  perch_xccos_append_grpchat (out, 3, "ma-chan://d/r", "sip:x@d", "2013-08-03T12:00:00Z", "m9", "hello");
  perch_xccos_append_rpl (out, "rpl:bjoin", 4, 2, 11, 404, NULL);
  perch_xccos_append_cmd (out, "cmd:part", 5, "<chanib uri=\"ma-chan://d/r\"/>");
  perch_xccos_end (out);

  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  g_assert_cmpint (env->envid, ==, 77);
  g_assert_cmpuint (env->items->len, ==, 5);
  static const PerchXccosKind kinds[] = {
    PERCH_XCCOS_RPL, PERCH_XCCOS_NTC, PERCH_XCCOS_GRPCHAT, PERCH_XCCOS_RPL, PERCH_XCCOS_CMD,
  };
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpint (item (env, i)->kind, ==, kinds[i]);
      g_assert_cmpint (item (env, i)->seqid, ==, i + 1);
    }
  g_assert_cmpstr (item (env, 2)->chat, ==, "hello");
  g_assert_cmpint (item (env, 3)->code, ==, 404);
  g_assert_cmpstr (item (env, 3)->code_text, ==, "NOT_FOUND");
  g_assert_cmpint (item (env, 3)->cmd_envid, ==, 11);
  g_assert_cmpstr (item (env, 4)->id, ==, "cmd:part");
}

static void
test_limits_exact (void)
{
  /* 64 items and depth 32 are allowed; one more of either is not. */
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 1);
  for (int i = 0; i < PERCH_XCCOS_MAX_ITEMS; i++)
    perch_xccos_append_ntc (out, "ntc:join", i, NULL);
  perch_xccos_end (out);
  g_autoptr(PerchXccosEnvelope) env = parse_ok (out->str);
  g_assert_cmpuint (env->items->len, ==, PERCH_XCCOS_MAX_ITEMS);

  g_string_truncate (out, 0);
  perch_xccos_begin (out, 1);
  for (int i = 0; i <= PERCH_XCCOS_MAX_ITEMS; i++)
    perch_xccos_append_ntc (out, "ntc:join", i, NULL);
  perch_xccos_end (out);
  assert_refused (out->str, PERCH_ERROR_TOO_LARGE);

  /* xccos(1) > cmd(2) > data(3) > e(4..depth) */
  for (int depth = PERCH_XCCOS_MAX_DEPTH; depth <= PERCH_XCCOS_MAX_DEPTH + 1; depth++)
    {
      g_autoptr(GString) inner = g_string_new (NULL);
      for (int i = 4; i <= depth; i++)
        g_string_append (inner, "<e>");
      for (int i = 4; i <= depth; i++)
        g_string_append (inner, "</e>");
      g_string_truncate (out, 0);
      perch_xccos_begin (out, 1);
      perch_xccos_append_cmd (out, "cmd:x", 1, inner->str);
      perch_xccos_end (out);
      if (depth <= PERCH_XCCOS_MAX_DEPTH)
        {
          g_autoptr(PerchXccosEnvelope) deep = parse_ok (out->str);
          g_assert_nonnull (deep);
        }
      else
        assert_refused (out->str, PERCH_ERROR_TOO_LARGE);
    }

  /* A body of exactly the limit is read; one byte more is not. */
  g_string_truncate (out, 0);
  perch_xccos_begin (out, 1);
  g_string_append (out, "<grpchat chanUri=\"ma-chan://d/r\"><chat>");
  gsize tail = strlen ("</chat></grpchat></xccos>"), n_x = 0;
  for (; out->len + tail < PERCH_XCCOS_MAX_BODY; n_x++)
    g_string_append_c (out, 'x');
  g_string_append (out, "</chat></grpchat>");
  perch_xccos_end (out);
  g_assert_cmpuint (out->len, ==, PERCH_XCCOS_MAX_BODY);
  g_autoptr(PerchXccosEnvelope) big = parse_ok (out->str);
  g_assert_cmpuint (strlen (item (big, 0)->chat), ==, n_x);
  g_string_insert_c (out, out->len - tail, 'x');
  assert_refused (out->str, PERCH_ERROR_TOO_LARGE);
}

/* ---- samples in the shapes SIPE (pidgin-sipe 1.25) and Lync put on the wire ---- */

static void
test_sipe_samples (void)
{
  /* SIPE's first command on the lookup dialog: envid from rand(), printed %u. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<xccos ver=\"1\" envid=\"4294967295\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:requri\" seqid=\"1\"><data/></cmd></xccos>");
    g_assert_cmpint (env->envid, ==, 4294967295);
    g_assert_cmpstr (item (env, 0)->id, ==, "cmd:requri");
    g_assert_cmpint (item (env, 0)->seqid, ==, 1);
    g_assert_nonnull (item (env, 0)->data);
  }
  /* Joins queued before connecting go out as one bjoin. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<xccos ver=\"1\" envid=\"139132351\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:bjoin\" seqid=\"1\"><data>"
      "<chanid key=\"0\" domain=\"example.test\" value=\"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"/>"
      "<chanid key=\"1\" domain=\"example.test\" value=\"r2\"/>"
      "</data></cmd></xccos>");
    PerchXccosItem *it = item (env, 0);
    g_assert_cmpuint (count_children (it->data, "chanid"), ==, 2);
    assert_path_value (it->data, "chanid", "value", "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
  }
  /* getinv right after connecting; chansrch with empty criteria. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<xccos ver=\"1\" envid=\"139132352\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:getinv\" seqid=\"1\"><data><inv inviteId=\"1\" domain=\"example.test\"/></data></cmd>"
      "</xccos>");
    assert_path_value (item (env, 0)->data, "inv", "domain", "example.test");
    g_autoptr(PerchXccosEnvelope) srch = parse_ok (
      "<xccos ver=\"1\" envid=\"139132353\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:chansrch\" seqid=\"1\"><data><qib qtype=\"BYNAME\" criteria=\"\" extended=\"false\"/></data></cmd>"
      "</xccos>");
    assert_path_value (item (srch, 0)->data, "qib", "criteria", "");
  }
  /* A post: SIPE escapes the text and sends CRLF line breaks literally; XML
   * end-of-line handling reads a literal CRLF as LF. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<xccos ver=\"1\" envid=\"139132354\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<grpchat id=\"grpchat\" seqid=\"1\" chanUri=\"ma-chan://example.test/r1\" "
      "author=\"sip:alice@example.test\" ts=\"2013-08-03T12:00:00Z\">"
      "<chat>fish &amp; chips &lt;3\r\n안녕하세요</chat></grpchat></xccos>");
    PerchXccosItem *it = item (env, 0);
    g_assert_cmpint (it->kind, ==, PERCH_XCCOS_GRPCHAT);
    g_assert_cmpstr (it->chan_uri, ==, "ma-chan://example.test/r1");
    g_assert_cmpstr (it->author, ==, "sip:alice@example.test");
    g_assert_cmpstr (it->ts, ==, "2013-08-03T12:00:00Z");
    g_assert_null (it->msgid);
    g_assert_cmpstr (it->chat, ==, "fish & chips <3\n안녕하세요");
  }
  /* Part. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<xccos ver=\"1\" envid=\"139132355\" xmlns=\"urn:parlano:xml:ns:xccos\">"
      "<cmd id=\"cmd:part\" seqid=\"1\"><data><chanib uri=\"ma-chan://example.test/r1\"/></data></cmd></xccos>");
    assert_path_value (item (env, 0)->data, "chanib", "uri", "ma-chan://example.test/r1");
  }
  /* Server replies as SIPE's notes quote them: pretty-printed, with an XML
   * declaration, the old rpl:getservinfo spelling, seven-digit fractions. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
      "<xccos ver=\"1\" envid=\"7\" xmlns=\"urn:parlano:xml:ns:xccos\">\r\n"
      "  <rpl id=\"rpl:getservinfo\" seqid=\"1\">\r\n"
      "    <commandid seqid=\"1\" envid=\"139132356\" />\r\n"
      "    <resp code=\"200\">SUCCESS_OK</resp>\r\n"
      "    <data>\r\n"
      "      <sib infoType=\"123\"\r\n"
      "         serverTime=\"2010-09-14T14:26:17.6206356Z\"\r\n"
      "         searchLimit=\"999\" messageSizeLimit=\"512\" storySizeLimit=\"4096\"\r\n"
      "         rootUri=\"ma-cat://example.test/6e3b2a1c\"\r\n"
      "         dbVersion=\"3ea3a5a8-ef36-46cf-898f-7a5133931d63\" />\r\n"
      "    </data>\r\n"
      "  </rpl>\r\n"
      "  <rpl id=\"rpl:nodespermcreatechild\" seqid=\"2\">\r\n"
      "    <commandid seqid=\"1\" envid=\"139132357\" />\r\n"
      "    <resp code=\"200\">SUCCESS_OK</resp>\r\n"
      "    <data />\r\n"
      "  </rpl>\r\n"
      "</xccos>\r\n");
    g_assert_cmpuint (env->items->len, ==, 2);
    PerchXccosItem *it = item (env, 0);
    g_assert_cmpstr (it->id, ==, "rpl:getservinfo");
    g_assert_cmpint (it->cmd_envid, ==, 139132356);
    g_assert_cmpint (it->code, ==, 200);
    assert_path_value (it->data, "sib", "serverTime", "2010-09-14T14:26:17.6206356Z");
    assert_path_value (it->data, "sib", "rootUri", "ma-cat://example.test/6e3b2a1c");
    it = item (env, 1);
    g_assert_cmpstr (it->id, ==, "rpl:nodespermcreatechild");
    g_assert_cmpint (it->cmd_envid, ==, 139132357);
    g_assert_nonnull (it->data);
  }
  /* A live post from the server, prefixed namespace, CDATA chat. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<x:xccos xmlns:x=\"urn:parlano:xml:ns:xccos\" ver=\"1\" envid=\"8\">"
      "<x:grpchat id=\"grpchat\" seqid=\"1\" chanUri=\"ma-chan://example.test/r1\" "
      "author=\"sip:bob@example.test\" ts=\"2013-08-03T12:00:00.123Z\" msgid=\"abc\">"
      "<x:chat><![CDATA[<b>not markup</b> & more]]></x:chat></x:grpchat></x:xccos>");
    PerchXccosItem *it = item (env, 0);
    g_assert_cmpstr (it->chat, ==, "<b>not markup</b> & more");
    g_assert_cmpstr (it->msgid, ==, "abc");
  }
  /* No namespace at all is accepted too. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok (
      "<xccos envid=\"0\"><ntc id=\"ntc:part\"><data><chanib uri=\"ma-chan://d/r\"><uib uri=\"sip:a@d\"/></chanib></data></ntc></xccos>");
    g_assert_cmpint (env->envid, ==, 0);
    g_assert_cmpint (item (env, 0)->kind, ==, PERCH_XCCOS_NTC);
    assert_path_value (item (env, 0)->data, "chanib/uib", "uri", "sip:a@d");
  }
  /* Empty envelope: valid, no items. */
  {
    g_autoptr(PerchXccosEnvelope) env = parse_ok ("<xccos ver=\"1\" envid=\"5\" xmlns=\"urn:parlano:xml:ns:xccos\"/>");
    g_assert_cmpuint (env->items->len, ==, 0);
  }
}

static void
test_encoding (void)
{
  /* The body is UTF-8 whatever the declaration claims: bytes are not
   * reinterpreted as Latin-1 or UTF-16. */
  static const char *const decls[] = {
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    "<?xml version=\"1.0\" encoding=\"no-such-charset\"?>",
    "\xEF\xBB\xBF",   /* UTF-8 byte order mark */
    "\xEF\xBB\xBF<?xml version=\"1.0\"?>",
  };
  for (guint i = 0; i < G_N_ELEMENTS (decls); i++)
    {
      g_autofree char *body = g_strconcat (decls[i],
        "<xccos envid=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\">"
        "<grpchat chanUri=\"ma-chan://d/r\"><chat>한글 é 😀</chat></grpchat></xccos>", NULL);
      g_autoptr(PerchXccosEnvelope) env = parse_ok (body);
      g_assert_cmpstr (item (env, 0)->chat, ==, "한글 é 😀");
    }
}

/* ---- building ---- */

static void
test_builder_exact (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 139132350);
  perch_xccos_append_cmd (out, "cmd:requri", 1, NULL);
  perch_xccos_end (out);
  g_assert_cmpstr (out->str, ==,
    "<xccos ver=\"1\" envid=\"139132350\" xmlns=\"urn:parlano:xml:ns:xccos\">"
    "<cmd id=\"cmd:requri\" seqid=\"1\"><data/></cmd></xccos>");

  g_string_truncate (out, 0);
  perch_xccos_append_rpl (out, "rpl:requri", 1, 1, 139132350, 200, "<uib uri=\"sip:perch@d\"/>");
  g_assert_cmpstr (out->str, ==,
    "<rpl id=\"rpl:requri\" seqid=\"1\"><commandid seqid=\"1\" envid=\"139132350\"/>"
    "<resp code=\"200\">SUCCESS_OK</resp><data><uib uri=\"sip:perch@d\"/></data></rpl>");

  g_string_truncate (out, 0);
  perch_xccos_append_ntc (out, "ntc:join", 3, "");
  g_assert_cmpstr (out->str, ==, "<ntc id=\"ntc:join\" seqid=\"3\"><data/></ntc>");

  g_string_truncate (out, 0);
  perch_xccos_append_grpchat (out, 1, "ma-chan://d/r", "sip:a@d", "2013-08-03T12:00:00Z", NULL, "x<y");
  g_assert_cmpstr (out->str, ==,
    "<grpchat id=\"grpchat\" seqid=\"1\" chanUri=\"ma-chan://d/r\" author=\"sip:a@d\" "
    "ts=\"2013-08-03T12:00:00Z\"><chat>x&lt;y</chat></grpchat>");

  g_string_truncate (out, 0);
  perch_xccos_append_msg (out, "ma-chan://d/r", "sip:a@d", "t", "m1", NULL);
  g_assert_cmpstr (out->str, ==,
    "<msg id=\"grpchat\" chanUri=\"ma-chan://d/r\" author=\"sip:a@d\" ts=\"t\" msgid=\"m1\"><chat></chat></msg>");
}

static void
test_escape (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "", "" },
    { "plain text", "plain text" },
    { "&<>\"'", "&amp;&lt;&gt;&quot;&apos;" },
    { "a\r\nb\tc", "a&#13;&#10;b&#9;c" },
    { "한국어 😀", "한국어 😀" },
    { "nul\x01" "bell\x07" "esc\x1b", "nul\xEF\xBF\xBD" "bell\xEF\xBF\xBD" "esc\xEF\xBF\xBD" },
    { "bad\xFF" "utf8\xC3", "bad\xEF\xBF\xBD" "utf8\xEF\xBF\xBD" },
    { "overlong\xC0\xAF", "overlong\xEF\xBF\xBD\xEF\xBF\xBD" },
    { "surrogate\xED\xA0\x80!", "surrogate\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!" },
    { "nonchar\xEF\xBF\xBE|\xEF\xBF\xBF|", "nonchar\xEF\xBF\xBD|\xEF\xBF\xBD|" },
    { "\xC2\x85 next-line is allowed", "\xC2\x85 next-line is allowed" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new ("[");
      perch_xml_escape_append (out, cases[i].in);
      g_string_append_c (out, ']');
      g_autofree char *want = g_strconcat ("[", cases[i].out, "]", NULL);
      g_assert_cmpstr (out->str, ==, want);
    }

  g_autoptr(GString) attr = g_string_new ("<e");
  perch_xml_attr_append (attr, "absent", NULL);
  perch_xml_attr_append (attr, "a", "x\"y");
  perch_xml_attr_append (attr, "empty", "");
  g_string_append (attr, "/>");
  g_assert_cmpstr (attr->str, ==, "<e a=\"x&quot;y\" empty=\"\"/>");

  /* Whatever goes in, what comes out parses. */
  g_autoptr(GString) env = g_string_new (NULL);
  perch_xccos_begin (env, 1);
  perch_xccos_append_grpchat (env, 1, "ma-chan://d/r", "sip:\x01@d", NULL, NULL, "\xFF\x02<]]>\xED\xA0\x80");
  perch_xccos_end (env);
  g_autoptr(PerchXccosEnvelope) parsed = parse_ok (env->str);
  g_assert_cmpstr (item (parsed, 0)->chat, ==,
                   "\xEF\xBF\xBD\xEF\xBF\xBD<]]>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

/* ---- reading helpers ---- */

static void
test_helpers (void)
{
  g_autoptr(PerchXccosEnvelope) env = parse_ok (
    "<xccos envid=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\" xmlns:o=\"urn:other\">"
    "<cmd id=\"cmd:x\"><data>text<a n=\"1\"/><!-- c --><b/><o:a n=\"2\" o:m=\"q\"/>tail<a n=\"3\">t&#233;xt<i>in</i></a></data></cmd>"
    "</xccos>");
  xmlNode *data = item (env, 0)->data;
  xmlNode *a1 = perch_xml_child (data, "a");
  xmlNode *a2 = perch_xml_next (a1, "a");
  xmlNode *a3 = perch_xml_next (a2, "a");
  g_assert_null (perch_xml_next (a3, "a"));
  g_autofree char *n1 = perch_xml_get (a1, "n");
  g_autofree char *n2 = perch_xml_get (a2, "n");
  g_autofree char *m2 = perch_xml_get (a2, "m");   /* namespaced attribute, local name */
  g_autofree char *n3 = perch_xml_get (a3, "n");
  g_assert_cmpstr (n1, ==, "1");
  g_assert_cmpstr (n2, ==, "2");
  g_assert_cmpstr (m2, ==, "q");
  g_assert_cmpstr (n3, ==, "3");
  g_assert_null (perch_xml_get (a1, "missing"));
  g_autofree char *t3 = perch_xml_text (a3);
  g_assert_cmpstr (t3, ==, "téxtin");
  g_autofree char *tb = perch_xml_text (perch_xml_child (data, "b"));
  g_assert_cmpstr (tb, ==, "");
  g_assert_nonnull (perch_xml_child (data, "b"));
  g_assert_null (perch_xml_child (data, "c"));
  g_assert_null (perch_xml_child (NULL, "a"));
  g_assert_null (perch_xml_next (NULL, "a"));
  g_assert_null (perch_xml_get (NULL, "a"));
  g_assert_null (perch_xml_text (NULL));

  gint64 v = -1;
  g_assert_true (perch_xml_get_int64 (a3, "n", &v));
  g_assert_cmpint (v, ==, 3);
  g_assert_false (perch_xml_get_int64 (a3, "missing", &v));
  g_assert_cmpint (v, ==, 3);

  static const struct { const char *s; gboolean ok; gint64 v; } ints[] = {
    { "0", TRUE, 0 }, { "007", TRUE, 7 }, { "9223372036854775807", TRUE, G_MAXINT64 },
    { "9223372036854775808", FALSE, 0 }, { "18446744073709551616", FALSE, 0 },
    { "99999999999999999999", FALSE, 0 }, { "", FALSE, 0 }, { "-1", FALSE, 0 },
    { "+1", FALSE, 0 }, { " 1", FALSE, 0 }, { "1 ", FALSE, 0 }, { "1.5", FALSE, 0 },
    { "0x10", FALSE, 0 }, { "1e3", FALSE, 0 }, { "١", FALSE, 0 },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ints); i++)
    {
      gint64 out = 0;
      g_assert_cmpint (perch_xccos_parse_int64 (ints[i].s, &out), ==, ints[i].ok);
      if (ints[i].ok)
        g_assert_cmpint (out, ==, ints[i].v);
    }
  g_assert_false (perch_xccos_parse_int64 (NULL, &v));
}

/* ---- hostile and malformed bodies ---- */

#define ENV_OPEN "<xccos ver=\"1\" envid=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\">"

static void
test_malformed (void)
{
  static const char *const bad[] = {
    "hello, world",
    "<",
    "<xccos",
    ENV_OPEN "<cmd id=\"cmd:join\" seqid=\"1\"><data><chanid key=\"0\"",     /* truncated */
    ENV_OPEN "<cmd id=\"cmd:join\" seqid=\"1\"><data/></cmd>",               /* unclosed root */
    ENV_OPEN "<cmd id=\"cmd:join\"></rpl></xccos>",                          /* mismatched tags */
    ENV_OPEN "</xccos><xccos envid=\"2\"/>",                                  /* two roots */
    ENV_OPEN "<cmd id=\"a\" id=\"b\"/></xccos>",                              /* duplicate attribute */
    "<foo envid=\"1\"/>",                                                     /* wrong root */
    "<xccos envid=\"1\" xmlns=\"urn:something:else\"/>",                      /* wrong namespace */
    "<cmd id=\"cmd:join\" seqid=\"1\"><data/></cmd>",                         /* item as root */
    "<xccos ver=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\"/>",                  /* missing envid */
    "<xccos envid=\"\"/>",
    "<xccos envid=\"abc\"/>",
    "<xccos envid=\"-1\"/>",
    "<xccos envid=\"1.0\"/>",
    "<xccos envid=\" 1\"/>",
    "<xccos envid=\"0x1F\"/>",
    "<xccos envid=\"99999999999999999999\"/>",
    ENV_OPEN "<cmd id=\"cmd:join\" seqid=\"one\"><data/></cmd></xccos>",     /* non-numeric seqid */
    ENV_OPEN "<cmd id=\"cmd:join\" seqid=\"-5\"><data/></cmd></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\" seqid=\"\"/></xccos>",
    ENV_OPEN "<rpl id=\"rpl:join\"><commandid seqid=\"1\" envid=\"x\"/></rpl></xccos>",
    ENV_OPEN "<rpl id=\"rpl:join\"><commandid seqid=\"x\" envid=\"1\"/></rpl></xccos>",
    ENV_OPEN "<rpl id=\"rpl:join\"><resp code=\"OK\">SUCCESS_OK</resp></rpl></xccos>",
    ENV_OPEN "<rpl id=\"rpl:join\"><resp>SUCCESS_OK</resp></rpl></xccos>",
    ENV_OPEN "<rpl id=\"rpl:join\"><resp code=\"2000\">SUCCESS_OK</resp></rpl></xccos>",
    ENV_OPEN "<foo/></xccos>",                                               /* unknown item */
    ENV_OPEN "<data/></xccos>",
    ENV_OPEN "<msg id=\"grpchat\" chanUri=\"ma-chan://d/r\"/></xccos>",      /* history form is not an item */
    ENV_OPEN "<cmd seqid=\"1\"><data/></cmd></xccos>",                       /* cmd without id */
    ENV_OPEN "<cmd id=\"rpl:join\"><data/></cmd></xccos>",                   /* id of another kind */
    ENV_OPEN "<cmd id=\"cmd:\"><data/></cmd></xccos>",
    ENV_OPEN "<ntc id=\"join\"><data/></ntc></xccos>",
    ENV_OPEN "<grpchat id=\"grpchat\" seqid=\"1\"><chat>no room</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"\"><chat>empty room</chat></grpchat></xccos>",
    ENV_OPEN "stray text<cmd id=\"cmd:x\"/></xccos>",
    ENV_OPEN "<![CDATA[stray]]></xccos>",
    ENV_OPEN "<p:cmd id=\"cmd:x\"/></xccos>",                                /* undeclared prefix */
    ENV_OPEN "<cmd id=\"cmd:x\" p:a=\"1\"/></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>&#0;</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>&#1;</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>\x01</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>&#xFFFE;</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>a & b</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>a < b</chat></grpchat></xccos>",
    "<?xml version=\"1.0\"?><?xml version=\"1.0\"?>" ENV_OPEN "</xccos>",
    " <?xml version=\"1.0\"?>" ENV_OPEN "</xccos>",                          /* declaration not first */
    "<?xml version=\"2.0\"?>" ENV_OPEN "</xccos>",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("body %u: %s", i, bad[i]);
      assert_refused (bad[i], PERCH_ERROR_BAD_REQUEST);
    }

  /* Empty and NULL bodies. */
  g_autoptr(GError) e1 = parse_fail_len ("", 0, PERCH_ERROR_BAD_REQUEST);
  g_autoptr(GError) e2 = parse_fail_len (NULL, 0, PERCH_ERROR_BAD_REQUEST);
  g_autoptr(GError) e3 = parse_fail_len ("   \r\n", 5, PERCH_ERROR_BAD_REQUEST);
}

static void
test_truncated_everywhere (void)
{
  /* Every proper prefix of a valid envelope is refused, and none crashes. */
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 12);
  perch_xccos_append_rpl (out, "rpl:join", 1, 1, 11, 200,
                          "<uib uri=\"sip:a@d\"/><chanib uri=\"ma-chan://d/r\"><aib key=\"3984\" value=\"0\"/></chanib>");
  perch_xccos_append_grpchat (out, 2, "ma-chan://d/r", "sip:a@d", "t", "m", "한국어 & <😀>");
  perch_xccos_end (out);
  for (gsize len = 0; len < out->len; len++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PerchXccosEnvelope) env = perch_xccos_parse (out->str, len, &error);
      g_assert_null (env);
      g_assert_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST);
    }
  g_autoptr(PerchXccosEnvelope) whole = parse_ok (out->str);
  g_assert_cmpuint (whole->items->len, ==, 2);
}

static void
test_dtd_and_entities (void)
{
  static const char *const bad[] = {
    /* A DTD at all, even an empty one. */
    "<!DOCTYPE xccos>" ENV_OPEN "</xccos>",
    "<!DOCTYPE xccos []>" ENV_OPEN "</xccos>",
    /* Internal entity. */
    "<!DOCTYPE xccos [<!ENTITY who \"sip:admin@example.test\">]>"
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\" author=\"&who;\"><chat>&who;</chat></grpchat></xccos>",
    /* Attribute defaults from a DTD. */
    "<!DOCTYPE xccos [<!ATTLIST grpchat author CDATA \"sip:ceo@example.test\">]>"
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>x</chat></grpchat></xccos>",
    /* Entity references with no DTD to define them. */
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>&undefined;</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"&undefined;\"><chat>x</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>&nbsp;</chat></grpchat></xccos>",
    /* Unparsed entity, notation. */
    "<!DOCTYPE xccos [<!NOTATION n SYSTEM \"x\"><!ENTITY u SYSTEM \"x\" NDATA n>]>" ENV_OPEN "</xccos>",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("body %u: %s", i, bad[i]);
      assert_refused (bad[i], PERCH_ERROR_BAD_REQUEST);
    }
}

static void
test_billion_laughs (void)
{
  /* Ten levels of ten: 10^9 "lol"s if anything expanded them. The parse is
   * stopped at the DOCTYPE, so this returns at once with little memory. */
  g_autoptr(GString) b = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE xccos [\n"
                                       "<!ENTITY lol0 \"lol\">\n");
  for (int i = 1; i <= 9; i++)
    {
      g_string_append_printf (b, "<!ENTITY lol%d \"", i);
      for (int j = 0; j < 10; j++)
        g_string_append_printf (b, "&lol%d;", i - 1);
      g_string_append (b, "\">\n");
    }
  g_string_append (b, "]>\n" ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\" author=\"&lol9;\">"
                      "<chat>&lol9;</chat></grpchat></xccos>");
  assert_refused (b->str, PERCH_ERROR_BAD_REQUEST);

  /* Quadratic blowup: one big entity referenced many times. */
  g_autoptr(GString) q = g_string_new ("<!DOCTYPE xccos [<!ENTITY a \"");
  for (int i = 0; i < 50000; i++)
    g_string_append_c (q, 'a');
  g_string_append (q, "\">]>" ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>");
  while (q->len < PERCH_XCCOS_MAX_BODY - 64)
    g_string_append (q, "&a;");
  g_string_append (q, "</chat></grpchat></xccos>");
  assert_refused (q->str, PERCH_ERROR_BAD_REQUEST);
}

static void
assert_no_leak (const char *body, const char *secret)
{
  g_autoptr(GError) error = parse_fail_len (body, strlen (body), PERCH_ERROR_BAD_REQUEST);
  g_test_message ("%s", error->message);
  g_assert_null (strstr (error->message, secret));
}

static void
test_external_entities (void)
{
  /* A file of our own with a marker, so "never read" is checked exactly. */
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("perch-xccos-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *file = g_build_filename (dir, "secret.txt", NULL);
  const char *marker = "PERCH-SECRET-MARKER-5b1f";
  g_assert_true (g_file_set_contents (file, marker, -1, &error));
  g_autofree char *file_uri = g_filename_to_uri (file, NULL, &error);
  g_assert_no_error (error);

  const char *targets[] = { "file:///etc/passwd", file_uri, file };
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      const char *t = targets[i];
      g_autofree char *in_text = g_strdup_printf (
        "<!DOCTYPE xccos [<!ENTITY xxe SYSTEM \"%s\">]>"
        ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>&xxe;</chat></grpchat></xccos>", t);
      g_autofree char *in_attr = g_strdup_printf (
        "<!DOCTYPE xccos [<!ENTITY xxe SYSTEM \"%s\">]>"
        ENV_OPEN "<grpchat chanUri=\"&xxe;\"><chat>x</chat></grpchat></xccos>", t);
      g_autofree char *ext_dtd = g_strdup_printf (
        "<!DOCTYPE xccos SYSTEM \"%s\">" ENV_OPEN "</xccos>", t);
      g_autofree char *public_dtd = g_strdup_printf (
        "<!DOCTYPE xccos PUBLIC \"-//X//Y\" \"%s\">" ENV_OPEN "</xccos>", t);
      g_autofree char *param = g_strdup_printf (
        "<!DOCTYPE xccos [<!ENTITY %% p SYSTEM \"%s\"> %%p;]>" ENV_OPEN "</xccos>", t);
      g_autofree char *xinclude = g_strdup_printf (
        ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>"
        "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"%s\" parse=\"text\"/>"
        "</chat></grpchat></xccos>", t);

      assert_no_leak (in_text, "root:");
      assert_no_leak (in_text, marker);
      assert_no_leak (in_attr, marker);
      assert_no_leak (ext_dtd, marker);
      assert_no_leak (public_dtd, marker);
      assert_no_leak (param, marker);

      /* XInclude is just an element to us: never processed. */
      g_autoptr(PerchXccosEnvelope) env = parse_ok (xinclude);
      g_assert_cmpstr (item (env, 0)->chat, ==, "");
    }

  g_assert_cmpint (g_unlink (file), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_deep_nesting (void)
{
  g_autoptr(GString) b = g_string_new (ENV_OPEN "<cmd id=\"cmd:x\"><data>");
  for (int i = 0; i < 10000; i++)
    g_string_append (b, "<a>");
  for (int i = 0; i < 10000; i++)
    g_string_append (b, "</a>");
  g_string_append (b, "</data></cmd></xccos>");
  assert_refused (b->str, PERCH_ERROR_TOO_LARGE);

  /* Deep and unclosed: still the limit that speaks first. */
  g_autoptr(GString) u = g_string_new ("<xccos envid=\"1\">");
  for (int i = 0; i < 10000; i++)
    g_string_append (u, "<a>");
  assert_refused (u->str, PERCH_ERROR_TOO_LARGE);
}

static void
test_too_many_items (void)
{
  /* Small enough to pass the body limit, so the item count is what refuses. */
  g_autoptr(GString) b = g_string_new (ENV_OPEN);
  for (int i = 0; i < 2000; i++)
    g_string_append (b, "<ntc id=\"ntc:join\"/>");
  g_string_append (b, "</xccos>");
  g_assert_cmpuint (b->len, <, PERCH_XCCOS_MAX_BODY);
  g_autoptr(GError) error = parse_fail_len (b->str, b->len, PERCH_ERROR_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "items"));
}

static void
test_oversized (void)
{
  gsize len = PERCH_XCCOS_MAX_BODY + 1;
  g_autofree char *body = g_malloc (len + 1);
  memset (body, ' ', len);
  memcpy (body, ENV_OPEN, strlen (ENV_OPEN));
  body[len] = '\0';
  g_autoptr(GError) e = parse_fail_len (body, len, PERCH_ERROR_TOO_LARGE);
  g_autoptr(GError) huge = parse_fail_len (body, G_MAXSIZE, PERCH_ERROR_TOO_LARGE);
  g_autoptr(GError) wrap = parse_fail_len (body, (gsize) G_MAXINT + 1, PERCH_ERROR_TOO_LARGE);
}

static void
test_invalid_utf8 (void)
{
  static const char *const bad[] = {
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>\xC3\x28</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>\xFF\xFE</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>\xC0\xAF</chat></grpchat></xccos>",     /* overlong '/' */
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>\xED\xA0\x80</chat></grpchat></xccos>", /* surrogate */
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>\xF4\x90\x80\x80</chat></grpchat></xccos>", /* > U+10FFFF */
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\xE9\"><chat>latin-1</chat></grpchat></xccos>",
    ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>cut \xF0\x9F\x98",                  /* truncated mid-character */
    "\xFF\xFE<\0x\0c\0c\0o\0s\0",                                                             /* UTF-16LE */
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (bad[i], PERCH_ERROR_BAD_REQUEST);

  /* The same body, but declared as Latin-1: still refused, the declaration is ignored. */
  assert_refused ("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                  ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>caf\xE9</chat></grpchat></xccos>",
                  PERCH_ERROR_BAD_REQUEST);
}

static void
test_nul_bytes (void)
{
  static const char body[] = ENV_OPEN "<grpchat chanUri=\"ma-chan://d/r\"><chat>be\0fore</chat></grpchat></xccos>";
  g_autoptr(GError) e1 = parse_fail_len (body, sizeof body - 1, PERCH_ERROR_BAD_REQUEST);

  /* A NUL right after a complete document, as a careless sender might add. */
  static const char trailing[] = ENV_OPEN "</xccos>";
  g_autoptr(GError) e2 = parse_fail_len (trailing, sizeof trailing, PERCH_ERROR_BAD_REQUEST);

  static const char leading[] = "\0" ENV_OPEN "</xccos>";
  g_autoptr(GError) e3 = parse_fail_len (leading, sizeof leading - 1, PERCH_ERROR_BAD_REQUEST);
}

static void
test_silent (void)
{
  /* libxml2 must not print anything, whatever it is fed. */
  if (g_test_subprocess ())
    {
      static const char *const bad[] = {
        "not xml", "<xccos envid=\"1\"><a></b></xccos>", "<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>",
        "<xccos envid=\"1\"><p:a/></xccos>", "<xccos envid=\"1\">&zz;</xccos>",
      };
      for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
        {
          g_autoptr(GError) error = NULL;
          g_assert_null (perch_xccos_parse (bad[i], strlen (bad[i]), &error));
          g_assert_nonnull (error);
        }
      /* Accepted, but things libxml2 would warn about on stderr. */
      static const char *const odd[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><xccos envid=\"1\"/>",
        "<?xml version=\"1.0\" encoding=\"bogus\"?><xccos envid=\"1\"/>",
        "<?xml version=\"1.1\"?><xccos envid=\"1\"/>",
        "<xccos envid=\"1\" xmlns=\"urn:parlano:xml:ns:xccos\" xmlns:r=\"relative\"/>",
      };
      for (guint i = 0; i < G_N_ELEMENTS (odd); i++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(PerchXccosEnvelope) env = perch_xccos_parse (odd[i], strlen (odd[i]), &error);
          g_assert_no_error (error);
        }
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
  g_test_trap_assert_stderr ("");
}

static gpointer
parse_many (gpointer data)
{
  const char *body = data;
  for (int i = 0; i < 300; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PerchXccosEnvelope) env = perch_xccos_parse (body, strlen (body), &error);
      if (env == NULL || g_strcmp0 (item (env, 0)->chat, "threaded 한국어") != 0)
        return GINT_TO_POINTER (1);
      /* Interleave a refused body so the error paths race too. */
      static const char bad[] = "<xccos envid=\"x\"><a></b>";
      g_autoptr(GError) e2 = NULL;
      if (perch_xccos_parse (bad, sizeof bad - 1, &e2) != NULL || e2 == NULL)
        return GINT_TO_POINTER (1);
    }
  return NULL;
}

static void
test_threads (void)
{
  /* Parsing is safe from several threads at once (no global handlers). */
  g_autoptr(GString) out = g_string_new (NULL);
  perch_xccos_begin (out, 1);
  perch_xccos_append_grpchat (out, 1, "ma-chan://d/r", "sip:a@d", "t", "m", "threaded 한국어");
  perch_xccos_end (out);
  GThread *threads[4];
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("parse", parse_many, out->str);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_null (g_thread_join (threads[i]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (command_cases); i++)
    {
      g_autofree char *p = g_strdup_printf ("/perch/xccos-codec/command/%s", command_cases[i].cmd + 4);
      g_test_add_data_func (p, &command_cases[i], test_command_roundtrip);
    }
  g_test_add_func ("/perch/xccos-codec/rpl-codes", test_rpl_codes);
  g_test_add_func ("/perch/xccos-codec/rpl-without-resp", test_rpl_without_resp);
  g_test_add_func ("/perch/xccos-codec/notices", test_notices);
  g_test_add_func ("/perch/xccos-codec/grpchat", test_grpchat_roundtrip);
  g_test_add_func ("/perch/xccos-codec/history-msg", test_history_msg);
  g_test_add_func ("/perch/xccos-codec/several-items", test_several_items);
  g_test_add_func ("/perch/xccos-codec/limits-exact", test_limits_exact);
  g_test_add_func ("/perch/xccos-codec/sipe-samples", test_sipe_samples);
  g_test_add_func ("/perch/xccos-codec/encoding", test_encoding);
  g_test_add_func ("/perch/xccos-codec/builder-exact", test_builder_exact);
  g_test_add_func ("/perch/xccos-codec/escape", test_escape);
  g_test_add_func ("/perch/xccos-codec/helpers", test_helpers);
  g_test_add_func ("/perch/xccos-codec/malformed", test_malformed);
  g_test_add_func ("/perch/xccos-codec/truncated", test_truncated_everywhere);
  g_test_add_func ("/perch/xccos-codec/dtd-and-entities", test_dtd_and_entities);
  g_test_add_func ("/perch/xccos-codec/billion-laughs", test_billion_laughs);
  g_test_add_func ("/perch/xccos-codec/external-entities", test_external_entities);
  g_test_add_func ("/perch/xccos-codec/deep-nesting", test_deep_nesting);
  g_test_add_func ("/perch/xccos-codec/too-many-items", test_too_many_items);
  g_test_add_func ("/perch/xccos-codec/oversized", test_oversized);
  g_test_add_func ("/perch/xccos-codec/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/perch/xccos-codec/nul-bytes", test_nul_bytes);
  g_test_add_func ("/perch/xccos-codec/silent", test_silent);
  g_test_add_func ("/perch/xccos-codec/threads", test_threads);

  return g_test_run ();
}
