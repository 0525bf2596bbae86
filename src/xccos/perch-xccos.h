/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-xccos.h: the XCCOS envelope codec.
 *
 * Parsing turns one INFO body from the network into a list of items (cmd, rpl,
 * ntc, grpchat) over a libxml2 tree, refusing anything that is not a plain,
 * bounded XCCOS document: no DTD, no entities, no deep nesting, no oversize
 * bodies. Building writes text straight into a GString, because a post is
 * serialized once and the same bytes are queued to every recipient. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

#define PERCH_XCCOS_NS "urn:parlano:xml:ns:xccos"

/* Limits on one envelope. Bodies over MAX_BODY, trees deeper than MAX_DEPTH
 * (the <xccos> root is depth 1) and envelopes with more than MAX_ITEMS items
 * are refused with PERCH_ERROR_TOO_LARGE. */
#define PERCH_XCCOS_MAX_BODY  (256 * 1024)
#define PERCH_XCCOS_MAX_DEPTH 32
#define PERCH_XCCOS_MAX_ITEMS 64

typedef enum {
  PERCH_XCCOS_CMD,
  PERCH_XCCOS_RPL,
  PERCH_XCCOS_NTC,
  PERCH_XCCOS_GRPCHAT,
} PerchXccosKind;

typedef struct {
  PerchXccosKind kind;
  char   *id;                     /* "cmd:join", "rpl:join", "ntc:join", "grpchat" */
  gint64  seqid;                  /* 0 when absent */
  /* rpl: */
  gint64  cmd_seqid, cmd_envid;   /* from <commandid seqid envid/>; 0 when absent */
  int     code;                   /* from <resp code=..>; 500 when the rpl has no <resp> (SIPE reads it so); 0 for other kinds */
  char   *code_text;              /* text of <resp>; NULL when absent */
  /* grpchat: */
  char   *chan_uri, *author, *ts, *msgid;  /* chan_uri always set; others NULL when absent */
  char   *chat;                   /* text content of <chat>, entities decoded; NULL when no <chat> */
  xmlNode *node;                  /* the element itself, owned by the envelope's doc */
  xmlNode *data;                  /* its <data> child or NULL */
} PerchXccosItem;

typedef struct {
  gint64     envid;
  GPtrArray *items;               /* of PerchXccosItem*, document order */
  xmlDoc    *doc;
} PerchXccosEnvelope;

/* Parses one XCCOS body (exactly @len bytes; no terminating NUL needed).
 * Errors: PERCH_ERROR_BAD_REQUEST for anything malformed or not XCCOS,
 * PERCH_ERROR_TOO_LARGE for the limits above. Thread-safe. */
PerchXccosEnvelope *perch_xccos_parse (const char *body, gsize len, GError **error);
void perch_xccos_envelope_free (PerchXccosEnvelope *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchXccosEnvelope, perch_xccos_envelope_free)

/* Building. Strings passed here are escaped (see perch_xml_escape_append);
 * data_xml is inner XML of <data> and is copied verbatim, so it must already
 * be well-formed; NULL or "" writes <data/>. */
void perch_xccos_begin (GString *out, gint64 envid);   /* <xccos ver="1" envid=".." xmlns="urn:parlano:xml:ns:xccos"> */
void perch_xccos_end (GString *out);
void perch_xccos_append_cmd (GString *out, const char *id, gint64 seqid, const char *data_xml);
/* <resp code="N">NAME</resp> with perch_error_code_name(code); code 0 leaves
 * <resp> out (which SIPE, and perch_xccos_parse, read as 500). */
void perch_xccos_append_rpl (GString *out, const char *id, gint64 seqid,
                             gint64 cmd_seqid, gint64 cmd_envid, int code, const char *data_xml);
void perch_xccos_append_ntc (GString *out, const char *id, gint64 seqid, const char *data_xml);
/* A live post. author, ts and msgid may be NULL (left out); text NULL is "". */
void perch_xccos_append_grpchat (GString *out, gint64 seqid, const char *chan_uri,
                                 const char *author, const char *ts,
                                 const char *msgid, const char *text);
/* A history post, as rpl:bccontext carries them inside <chanib>:
 * <msg id="grpchat" chanUri author ts msgid><chat>text</chat></msg>. */
void perch_xccos_append_msg (GString *out, const char *chan_uri, const char *author,
                             const char *ts, const char *msgid, const char *text);

/* Escapes for both attribute values and text content, so one function serves
 * both: & < > " ' become entity references, and TAB, LF, CR become &#9;
 * &#10; &#13; (a parser would otherwise turn them into spaces in attributes,
 * and CRLF into LF in text; chat text must keep its CRLF). Characters XML
 * cannot carry at all (other C0 controls, U+FFFE, U+FFFF) and bytes that are
 * not valid UTF-8 become U+FFFD, so the output is always parseable. */
void perch_xml_escape_append (GString *out, const char *text);
/* Appends ` name="escaped value"`; nothing when value is NULL. */
void perch_xml_attr_append (GString *out, const char *name, const char *value);

/* Reading helpers over a parsed tree. Namespaces are ignored: element and
 * attribute names are compared by local name. All accept NULL nodes. */
xmlNode *perch_xml_child (xmlNode *parent, const char *name);   /* first element child with that local name */
xmlNode *perch_xml_next (xmlNode *node, const char *name);      /* next element sibling with that name */
char    *perch_xml_get (xmlNode *node, const char *attr);        /* g_strdup'd attribute, NULL when absent */
char    *perch_xml_text (xmlNode *node);                         /* g_strdup'd text content ("" when empty) */
/* Strict decimal: 1-19 digits, no sign, no spaces, fits in gint64. */
gboolean perch_xccos_parse_int64 (const char *s, gint64 *out);
/* Attribute as perch_xccos_parse_int64 reads it. Returns FALSE (and leaves
 * *out alone) when absent or malformed. */
gboolean perch_xml_get_int64 (xmlNode *node, const char *attr, gint64 *out);

G_END_DECLS
