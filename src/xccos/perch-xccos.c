/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-xccos.c: the XCCOS envelope codec: a hardened libxml2 parse of one
 * INFO body into items, and a DOM-free text builder for the other direction.
 *
 * Written against libxml2 2.9.14 (Debian 12). What that version means here:
 *  - There is no xmlCtxtSetErrorHandler (2.13); a per-context structured
 *    error handler goes in ctxt->sax->serror, which __xmlRaiseError prefers
 *    over the process-wide handlers when the SAX block is SAX2. Using it keeps
 *    the parse silent without touching global state, so it is thread-safe.
 *  - The parser's own depth cap is 256 and its entity-amplification checks
 *    are heuristics; we do not rely on either. Our SAX hooks stop the parser
 *    at the first DOCTYPE or entity reference (before any declaration in the
 *    internal subset is even read) and at depth/item limits, so hostile
 *    documents cost a scan of their first few bytes, not an expansion.
 *  - xmlStopParser does not clear ctxt->wellFormed, so xmlCtxtReadMemory can
 *    return a partial tree after a stop; we track our own verdict.
 *  - Namespace errors (undeclared prefix...) are not fatal to libxml2; they
 *    only clear ctxt->nsWellFormed, which we check.
 *  - XML_PARSE_IGNORE_ENC exists (since 2.9.0): the body is validated as
 *    UTF-8 up front and parsed as UTF-8 whatever its XML declaration claims. */
#include "config.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "perch-common.h"
#include "perch-xccos.h"

/* NONET: never fetch anything. NOCDATA: CDATA sections arrive as plain text
 * nodes, so readers see one kind of text (CDATA is legal XML and a client may
 * use it for chat text, so it is accepted, not refused). COMPACT: small text
 * stored inline, fewer allocations. Never NOENT, DTDLOAD, DTDATTR, DTDVALID,
 * XINCLUDE or HUGE: those are the switches that make XML dangerous. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | \
                       XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT)

typedef struct {
  int   depth;               /* current element depth; the root is 1 */
  int   items;               /* elements seen at depth 2 */
  int   reject_code;         /* a PerchErrorCode once a hook stopped the parse */
  const char *reject_why;
  char *first_error;         /* libxml2's first complaint, for the GError */
  startElementNsSAX2Func start_element;
  endElementNsSAX2Func   end_element;
} ParseState;

static void
parse_reject (xmlParserCtxtPtr ctxt, int code, const char *why)
{
  ParseState *st = ctxt->_private;
  if (st->reject_code == 0)
    {
      st->reject_code = code;
      st->reject_why = why;
    }
  ctxt->wellFormed = 0;
  xmlStopParser (ctxt);
}

static void
hook_internal_subset (void *ctx, const xmlChar *name, const xmlChar *external_id,
                      const xmlChar *system_id)
{
  parse_reject (ctx, PERCH_ERROR_BAD_REQUEST, "a DTD is not allowed");
}

static void
hook_entity_decl (void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                  const xmlChar *system_id, xmlChar *content)
{
  parse_reject (ctx, PERCH_ERROR_BAD_REQUEST, "entity declarations are not allowed");
}

static void
hook_unparsed_entity_decl (void *ctx, const xmlChar *name, const xmlChar *public_id,
                           const xmlChar *system_id, const xmlChar *notation)
{
  parse_reject (ctx, PERCH_ERROR_BAD_REQUEST, "entity declarations are not allowed");
}

/* Only non-predefined names reach getEntity: &lt; &amp; and friends are
 * resolved by the parser itself without asking. */
static xmlEntityPtr
hook_get_entity (void *ctx, const xmlChar *name)
{
  parse_reject (ctx, PERCH_ERROR_BAD_REQUEST, "entity references are not allowed");
  return NULL;
}

static xmlParserInputPtr
hook_resolve_entity (void *ctx, const xmlChar *public_id, const xmlChar *system_id)
{
  parse_reject (ctx, PERCH_ERROR_BAD_REQUEST, "external entities are not allowed");
  return NULL;
}

static void
hook_reference (void *ctx, const xmlChar *name)
{
  parse_reject (ctx, PERCH_ERROR_BAD_REQUEST, "entity references are not allowed");
}

static void
hook_start_element (void *ctx, const xmlChar *localname, const xmlChar *prefix,
                    const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
  xmlParserCtxtPtr ctxt = ctx;
  ParseState *st = ctxt->_private;

  /* Refuse before the node is built, so a 10,000-deep document stops at 33. */
  if (++st->depth > PERCH_XCCOS_MAX_DEPTH)
    {
      parse_reject (ctxt, PERCH_ERROR_TOO_LARGE, "nesting too deep");
      return;
    }
  if (st->depth == 2 && ++st->items > PERCH_XCCOS_MAX_ITEMS)
    {
      parse_reject (ctxt, PERCH_ERROR_TOO_LARGE, "too many items in one envelope");
      return;
    }
  st->start_element (ctx, localname, prefix, uri, nb_namespaces, namespaces,
                     nb_attributes, nb_defaulted, attributes);
}

static void
hook_end_element (void *ctx, const xmlChar *localname, const xmlChar *prefix,
                  const xmlChar *uri)
{
  xmlParserCtxtPtr ctxt = ctx;
  ParseState *st = ctxt->_private;

  st->depth--;
  st->end_element (ctx, localname, prefix, uri);
}

#if LIBXML_VERSION >= 21200
static void
hook_error (void *user_data, const xmlError *err)
#else
static void
hook_error (void *user_data, xmlErrorPtr err)
#endif
{
  xmlParserCtxtPtr ctxt = user_data;
  ParseState *st = ctxt ? ctxt->_private : NULL;

  /* Keep the first complaint only: later ones are usually its echoes. The
   * message names at most an element or entity, never loaded content. */
  if (st == NULL || st->first_error != NULL || err == NULL || err->level < XML_ERR_ERROR)
    return;
  g_autofree char *msg = g_strndup (err->message ? err->message : "malformed XML", 160);
  g_strchomp (msg);
  st->first_error = g_strdup_printf ("%s (line %d)", msg, err->line);
}

static gpointer
init_libxml (gpointer data)
{
  /* xmlCtxtReadMemory would do this too (under libxml2's own lock); doing it
   * once here keeps that global set-up off every later parse. */
  xmlInitParser ();
  return NULL;
}

gboolean
perch_xccos_parse_int64 (const char *s, gint64 *out)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  guint64 v = 0;
  gsize n = 0;
  for (const char *p = s; *p; p++, n++)
    {
      if (*p < '0' || *p > '9' || n >= 19)
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
    }
  /* 19 digits cannot overflow a guint64, only exceed G_MAXINT64. */
  if (v > (guint64) G_MAXINT64)
    return FALSE;
  *out = (gint64) v;
  return TRUE;
}

static xmlAttr *
find_attr (xmlNode *node, const char *attr)
{
  if (node == NULL || node->type != XML_ELEMENT_NODE || attr == NULL)
    return NULL;
  for (xmlAttr *a = node->properties; a != NULL; a = a->next)
    if (a->name != NULL && strcmp ((const char *) a->name, attr) == 0)
      return a;
  return NULL;
}

char *
perch_xml_get (xmlNode *node, const char *attr)
{
  xmlAttr *a = find_attr (node, attr);
  if (a == NULL)
    return NULL;
  xmlChar *v = xmlNodeGetContent ((xmlNode *) a);
  char *ret = g_strdup (v ? (const char *) v : "");
  xmlFree (v);
  return ret;
}

gboolean
perch_xml_get_int64 (xmlNode *node, const char *attr, gint64 *out)
{
  g_autofree char *v = perch_xml_get (node, attr);
  gint64 parsed;
  if (!perch_xccos_parse_int64 (v, &parsed))
    return FALSE;
  *out = parsed;
  return TRUE;
}

char *
perch_xml_text (xmlNode *node)
{
  if (node == NULL)
    return NULL;
  xmlChar *v = xmlNodeGetContent (node);
  char *ret = g_strdup (v ? (const char *) v : "");
  xmlFree (v);
  return ret;
}

xmlNode *
perch_xml_next (xmlNode *node, const char *name)
{
  for (xmlNode *n = node ? node->next : NULL; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && n->name != NULL &&
        strcmp ((const char *) n->name, name) == 0)
      return n;
  return NULL;
}

xmlNode *
perch_xml_child (xmlNode *parent, const char *name)
{
  for (xmlNode *n = parent ? parent->children : NULL; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && n->name != NULL &&
        strcmp ((const char *) n->name, name) == 0)
      return n;
  return NULL;
}

static void
item_free (gpointer data)
{
  PerchXccosItem *item = data;
  g_free (item->id);
  g_free (item->code_text);
  g_free (item->chan_uri);
  g_free (item->author);
  g_free (item->ts);
  g_free (item->msgid);
  g_free (item->chat);
  g_free (item);
}

void
perch_xccos_envelope_free (PerchXccosEnvelope *env)
{
  if (env == NULL)
    return;
  g_clear_pointer (&env->items, g_ptr_array_unref);
  g_clear_pointer (&env->doc, xmlFreeDoc);
  g_free (env);
}

/* An optional integer attribute: absent leaves *out at 0, malformed fails. */
static gboolean
optional_int (xmlNode *node, const char *attr, gint64 *out, GError **error)
{
  g_autofree char *v = perch_xml_get (node, attr);
  *out = 0;
  if (v == NULL)
    return TRUE;
  if (!perch_xccos_parse_int64 (v, out))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "xccos: <%s %s> is not a decimal integer", (const char *) node->name, attr);
      return FALSE;
    }
  return TRUE;
}

static gboolean
only_blanks (const xmlChar *s)
{
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
      return FALSE;
  return TRUE;
}

static PerchXccosItem *
parse_item (xmlNode *n, GError **error)
{
  static const struct { const char *name, *prefix; PerchXccosKind kind; } kinds[] = {
    { "cmd", "cmd:", PERCH_XCCOS_CMD },
    { "rpl", "rpl:", PERCH_XCCOS_RPL },
    { "ntc", "ntc:", PERCH_XCCOS_NTC },
    { "grpchat", NULL, PERCH_XCCOS_GRPCHAT },
  };
  const char *name = (const char *) n->name;
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (strcmp (name, kinds[k].name) == 0)
      break;
  if (k == G_N_ELEMENTS (kinds))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "xccos: unknown item <%.64s>", name);
      return NULL;
    }

  g_autoptr(GPtrArray) guard = g_ptr_array_new_with_free_func (item_free);
  PerchXccosItem *item = g_new0 (PerchXccosItem, 1);
  g_ptr_array_add (guard, item);   /* frees the item on every error return */
  item->kind = kinds[k].kind;
  item->node = n;
  item->data = perch_xml_child (n, "data");
  item->id = perch_xml_get (n, "id");

  if (kinds[k].prefix != NULL)
    {
      gsize plen = strlen (kinds[k].prefix);
      if (item->id == NULL || strncmp (item->id, kinds[k].prefix, plen) != 0 ||
          item->id[plen] == '\0')
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                       "xccos: <%s> needs an id of the form \"%sNAME\"", name, kinds[k].prefix);
          return NULL;
        }
    }
  else if (item->id == NULL)
    item->id = g_strdup ("grpchat");

  if (!optional_int (n, "seqid", &item->seqid, error))
    return NULL;

  switch (item->kind)
    {
    case PERCH_XCCOS_RPL:
      {
        xmlNode *cid = perch_xml_child (n, "commandid");
        if (!optional_int (cid, "seqid", &item->cmd_seqid, error) ||
            !optional_int (cid, "envid", &item->cmd_envid, error))
          return NULL;
        xmlNode *resp = perch_xml_child (n, "resp");
        if (resp == NULL)
          item->code = 500;   /* what SIPE makes of a reply without <resp> */
        else
          {
            gint64 code;
            if (!perch_xml_get_int64 (resp, "code", &code) || code < 100 || code > 999)
              {
                g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                             "xccos: <resp> needs a three-digit code");
                return NULL;
              }
            item->code = (int) code;
            item->code_text = perch_xml_text (resp);
          }
      }
      break;
    case PERCH_XCCOS_GRPCHAT:
      item->chan_uri = perch_xml_get (n, "chanUri");
      if (item->chan_uri == NULL || item->chan_uri[0] == '\0')
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                       "xccos: <grpchat> without chanUri");
          return NULL;
        }
      item->author = perch_xml_get (n, "author");
      item->ts = perch_xml_get (n, "ts");
      item->msgid = perch_xml_get (n, "msgid");
      item->chat = perch_xml_text (perch_xml_child (n, "chat"));
      break;
    case PERCH_XCCOS_CMD:
    case PERCH_XCCOS_NTC:
      break;
    }

  return g_ptr_array_steal_index (guard, 0);
}

static PerchXccosEnvelope *
envelope_from_doc (xmlDoc *doc, GError **error)
{
  xmlNode *root = xmlDocGetRootElement (doc);

  if (root == NULL || strcmp ((const char *) root->name, "xccos") != 0 ||
      (root->ns != NULL && g_strcmp0 ((const char *) root->ns->href, PERCH_XCCOS_NS) != 0))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "xccos: the root element is not <xccos xmlns=\"%s\">", PERCH_XCCOS_NS);
      return NULL;
    }

  g_autofree char *envid = perch_xml_get (root, "envid");
  gint64 envid_value;
  if (envid == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "xccos: envid missing");
      return NULL;
    }
  if (!perch_xccos_parse_int64 (envid, &envid_value))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "xccos: envid is not a decimal integer");
      return NULL;
    }

  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (item_free);
  for (xmlNode *n = root->children; n != NULL; n = n->next)
    {
      switch (n->type)
        {
        case XML_ELEMENT_NODE:
          {
            PerchXccosItem *item = parse_item (n, error);
            if (item == NULL)
              return NULL;
            g_ptr_array_add (items, item);
          }
          break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (!only_blanks (n->content))
            {
              g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "xccos: text directly inside <xccos>");
              return NULL;
            }
          break;
        case XML_COMMENT_NODE:
        case XML_PI_NODE:
          break;
        default:
          /* Entity references and the like cannot get past the SAX hooks;
           * refuse them anyway rather than hand them to a handler. */
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                       "xccos: unexpected node inside <xccos>");
          return NULL;
        }
    }

  PerchXccosEnvelope *env = g_new0 (PerchXccosEnvelope, 1);
  env->envid = envid_value;
  env->items = g_steal_pointer (&items);
  return env;
}

PerchXccosEnvelope *
perch_xccos_parse (const char *body, gsize len, GError **error)
{
  static GOnce libxml_once = G_ONCE_INIT;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (body == NULL || len == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "xccos: empty body");
      return NULL;
    }
  if (len > PERCH_XCCOS_MAX_BODY)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE,
                   "xccos: body of %" G_GSIZE_FORMAT " bytes is over the limit of %d",
                   len, PERCH_XCCOS_MAX_BODY);
      return NULL;
    }
  /* libxml2 would stop at a NUL and report the truncated document instead. */
  if (memchr (body, '\0', len) != NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "xccos: NUL byte in body");
      return NULL;
    }
  if (!g_utf8_validate_len (body, len, NULL))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "xccos: body is not UTF-8");
      return NULL;
    }

  g_once (&libxml_once, init_libxml, NULL);

  xmlParserCtxtPtr ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "xccos: no parser context");
      return NULL;
    }

  ParseState st = { 0 };
  xmlSAXHandler *sax = ctxt->sax;   /* the context's own SAX2 copy, freed with it */
  st.start_element = sax->startElementNs;
  st.end_element = sax->endElementNs;
  ctxt->_private = &st;
  sax->startElementNs = hook_start_element;
  sax->endElementNs = hook_end_element;
  sax->internalSubset = hook_internal_subset;
  sax->externalSubset = hook_internal_subset;
  sax->entityDecl = hook_entity_decl;
  sax->unparsedEntityDecl = hook_unparsed_entity_decl;
  sax->getEntity = hook_get_entity;
  sax->getParameterEntity = hook_get_entity;
  sax->resolveEntity = hook_resolve_entity;
  sax->reference = hook_reference;
  sax->serror = hook_error;
  sax->initialized = XML_SAX2_MAGIC;   /* already so; serror is only honoured on SAX2 blocks */

  xmlDoc *doc = xmlCtxtReadMemory (ctxt, body, (int) len, NULL, "UTF-8", PARSE_OPTIONS);
  gboolean ns_ok = ctxt->nsWellFormed;
  xmlFreeParserCtxt (ctxt);

  g_autofree char *first_error = st.first_error;
  if (st.reject_code != 0)
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      g_set_error (error, PERCH_ERROR, st.reject_code, "xccos: %s", st.reject_why);
      return NULL;
    }
  if (doc == NULL || !ns_ok)
    {
      g_clear_pointer (&doc, xmlFreeDoc);
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "xccos: malformed XML: %s",
                   first_error ? first_error : "not well-formed");
      return NULL;
    }
  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      /* Unreachable with the hooks in place; kept so a change there fails closed. */
      xmlFreeDoc (doc);
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "xccos: a DTD is not allowed");
      return NULL;
    }

  PerchXccosEnvelope *env = envelope_from_doc (doc, error);
  if (env == NULL)
    {
      xmlFreeDoc (doc);
      return NULL;
    }
  env->doc = doc;
  return env;
}

/* ---- building ---- */

static void
append_int64 (GString *out, gint64 v)
{
  char buf[24];
  gsize i = sizeof buf;
  guint64 u = v < 0 ? -(guint64) v : (guint64) v;

  do
    buf[--i] = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    buf[--i] = '-';
  g_string_append_len (out, buf + i, sizeof buf - i);
}

#define REPLACEMENT_CHAR "\xEF\xBF\xBD"

void
perch_xml_escape_append (GString *out, const char *text)
{
  const char *p = text, *run = text;

  if (text == NULL)
    return;

  /* Copy runs of harmless bytes in one append: this runs once per post, but
   * over every byte of it. */
  while (*p != '\0')
    {
      guchar c = (guchar) *p;
      const char *rep;
      gsize skip = 1;   /* an invalid UTF-8 sequence is replaced byte by byte */

      if (c >= 0x80)
        {
          gunichar u = g_utf8_get_char_validated (p, -1);
          if (u == (gunichar) -1 || u == (gunichar) -2)
            rep = REPLACEMENT_CHAR;
          else if (u == 0xFFFE || u == 0xFFFF)
            {
              rep = REPLACEMENT_CHAR;   /* valid UTF-8, but not an XML Char */
              skip = g_utf8_skip[c];
            }
          else
            {
              p = g_utf8_next_char (p);
              continue;
            }
        }
      else
        {
          switch (c)
            {
            case '&':  rep = "&amp;"; break;
            case '<':  rep = "&lt;"; break;
            case '>':  rep = "&gt;"; break;
            case '"':  rep = "&quot;"; break;
            case '\'': rep = "&apos;"; break;
            case '\t': rep = "&#9;"; break;
            case '\n': rep = "&#10;"; break;
            case '\r': rep = "&#13;"; break;
            default:
              if (c >= 0x20)
                {
                  p++;
                  continue;
                }
              rep = REPLACEMENT_CHAR;   /* XML 1.0 cannot carry other C0 controls */
            }
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, rep);
      p += skip;
      run = p;
    }
  g_string_append_len (out, run, p - run);
}

void
perch_xml_attr_append (GString *out, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_string_append_c (out, ' ');
  g_string_append (out, name);
  g_string_append (out, "=\"");
  perch_xml_escape_append (out, value);
  g_string_append_c (out, '"');
}

static void
append_int_attr (GString *out, const char *name, gint64 value)
{
  g_string_append_c (out, ' ');
  g_string_append (out, name);
  g_string_append (out, "=\"");
  append_int64 (out, value);
  g_string_append_c (out, '"');
}

static void
append_data (GString *out, const char *data_xml)
{
  if (data_xml == NULL || data_xml[0] == '\0')
    {
      g_string_append (out, "<data/>");
      return;
    }
  g_string_append (out, "<data>");
  g_string_append (out, data_xml);
  g_string_append (out, "</data>");
}

void
perch_xccos_begin (GString *out, gint64 envid)
{
  g_string_append (out, "<xccos ver=\"1\"");
  append_int_attr (out, "envid", envid);
  g_string_append (out, " xmlns=\"" PERCH_XCCOS_NS "\">");
}

void
perch_xccos_end (GString *out)
{
  g_string_append (out, "</xccos>");
}

static void
append_simple (GString *out, const char *element, const char *id, gint64 seqid,
               const char *data_xml)
{
  g_string_append_c (out, '<');
  g_string_append (out, element);
  perch_xml_attr_append (out, "id", id);
  append_int_attr (out, "seqid", seqid);
  g_string_append_c (out, '>');
  append_data (out, data_xml);
  g_string_append (out, "</");
  g_string_append (out, element);
  g_string_append_c (out, '>');
}

void
perch_xccos_append_cmd (GString *out, const char *id, gint64 seqid, const char *data_xml)
{
  g_return_if_fail (id != NULL);
  append_simple (out, "cmd", id, seqid, data_xml);
}

void
perch_xccos_append_ntc (GString *out, const char *id, gint64 seqid, const char *data_xml)
{
  g_return_if_fail (id != NULL);
  append_simple (out, "ntc", id, seqid, data_xml);
}

void
perch_xccos_append_rpl (GString *out, const char *id, gint64 seqid,
                        gint64 cmd_seqid, gint64 cmd_envid, int code, const char *data_xml)
{
  g_return_if_fail (id != NULL);
  g_string_append (out, "<rpl");
  perch_xml_attr_append (out, "id", id);
  append_int_attr (out, "seqid", seqid);
  g_string_append (out, "><commandid");
  append_int_attr (out, "seqid", cmd_seqid);
  append_int_attr (out, "envid", cmd_envid);
  g_string_append (out, "/>");
  if (code != 0)
    {
      g_string_append (out, "<resp");
      append_int_attr (out, "code", code);
      g_string_append_c (out, '>');
      g_string_append (out, perch_error_code_name (code));
      g_string_append (out, "</resp>");
    }
  append_data (out, data_xml);
  g_string_append (out, "</rpl>");
}

static void
append_post_tail (GString *out, const char *chan_uri, const char *author, const char *ts,
                  const char *msgid, const char *text)
{
  perch_xml_attr_append (out, "chanUri", chan_uri);
  perch_xml_attr_append (out, "author", author);
  perch_xml_attr_append (out, "ts", ts);
  perch_xml_attr_append (out, "msgid", msgid);
  g_string_append (out, "><chat>");
  perch_xml_escape_append (out, text);
  g_string_append (out, "</chat>");
}

void
perch_xccos_append_grpchat (GString *out, gint64 seqid, const char *chan_uri,
                            const char *author, const char *ts,
                            const char *msgid, const char *text)
{
  g_return_if_fail (chan_uri != NULL);
  g_string_append (out, "<grpchat id=\"grpchat\"");
  append_int_attr (out, "seqid", seqid);
  append_post_tail (out, chan_uri, author, ts, msgid, text);
  g_string_append (out, "</grpchat>");
}

void
perch_xccos_append_msg (GString *out, const char *chan_uri, const char *author,
                        const char *ts, const char *msgid, const char *text)
{
  g_return_if_fail (chan_uri != NULL);
  g_string_append (out, "<msg id=\"grpchat\"");
  append_post_tail (out, chan_uri, author, ts, msgid, text);
  g_string_append (out, "</msg>");
}
