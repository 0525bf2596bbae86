/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sax1-shim: an LD_PRELOAD library that lets pidgin-sipe 1.25 parse XML with
 * Debian 12's libxml2 (2.9.14+dfsg), for the interop test only.
 *
 * SIPE's XML reader (sipe-xml.c) hands xmlSAXUserParseMemory() a static
 * xmlSAXHandler that fills in only the SAX1 callbacks (startElement,
 * endElement, characters, error, serror) but sets `initialized` to
 * XML_SAX2_MAGIC.  With that handler this libxml2 runs the parser in SAX2
 * mode: it would call startElementNs/endElementNs, which are NULL, and never
 * calls startElement/endElement, so SIPE gets an empty document for every
 * XML body (provisioning, every XCCOS reply) and group chat never starts.
 * A handler whose `initialized` is not XML_SAX2_MAGIC is treated as SAX1 and
 * its startElement/endElement are called (the experiment is in README.md).
 *
 * The shim interposes xmlSAXUserParseMemory(), and for a handler that has
 * SAX1 element callbacks and no SAX2 ones it parses with a copy whose
 * `initialized` is cleared; anything else goes through unchanged.  The real
 * function is found with dlsym(RTLD_NEXT).
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <libxml/parser.h>

typedef int (*ParseMemoryFunc) (xmlSAXHandlerPtr sax, void *user_data,
                                const char *buffer, int size);

int xmlSAXUserParseMemory (xmlSAXHandlerPtr sax, void *user_data,
                           const char *buffer, int size);

int
xmlSAXUserParseMemory (xmlSAXHandlerPtr sax, void *user_data,
                       const char *buffer, int size)
{
  static ParseMemoryFunc real;
  xmlSAXHandler copy;

  if (real == NULL)
    {
      real = (ParseMemoryFunc) dlsym (RTLD_NEXT, "xmlSAXUserParseMemory");
      if (real == NULL)
        {
          fprintf (stderr, "sax1-shim: xmlSAXUserParseMemory not found: %s\n",
                   dlerror ());
          abort ();
        }
    }

  if (sax == NULL || sax->initialized != XML_SAX2_MAGIC
      || sax->startElementNs != NULL || sax->endElementNs != NULL
      || (sax->startElement == NULL && sax->endElement == NULL))
    return real (sax, user_data, buffer, size);

  /* The copy lives for the whole parse: libxml2 keeps the pointer only
   * until xmlSAXUserParseMemory returns. */
  copy = *sax;
  copy.initialized = 0;
  return real (&copy, user_data, buffer, size);
}
