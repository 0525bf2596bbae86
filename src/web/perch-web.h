/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web.h: the HTTP room management service inside perchd.
 *
 * A PerchWeb owns one SoupServer. It authenticates each request (bearer
 * tokens from POST /api/v1/login, HTTP Basic over TLS or loopback), parses
 * and checks the JSON it is given, calls the administration layer
 * (perch-admin.h), which holds every rule, and answers in JSON. Nothing here
 * decides who may do what.
 *
 * The routes are data (perch_web_routes()); the OpenAPI document served at
 * /api/v1/openapi.json is generated from the same table, so the two cannot
 * drift apart. */
#pragma once

#include <gio/gio.h>
#include "perch-channel.h"

G_BEGIN_DECLS

#define PERCH_WEB_MAX_BODY      (1024 * 1024)  /* bytes of one request body */
#define PERCH_WEB_MAX_DEPTH     32             /* nesting of JSON arrays and objects */
#define PERCH_WEB_TOKEN_LIFETIME_S 3600
/* An archive sent to POST /api/v1/import, at most; streamed to a
 * temporary file under the data dir, never held in memory. */
#define PERCH_WEB_MAX_IMPORT    ((gint64) 4 * 1024 * 1024 * 1024)

#define PERCH_TYPE_WEB (perch_web_get_type ())
G_DECLARE_FINAL_TYPE (PerchWeb, perch_web, PERCH, WEB, GObject)

/* CERT (may be NULL) is what HTTPS listeners present. */
PerchWeb *perch_web_new (PerchChannel *channel, PerchStore *store, GTlsCertificate *cert, GError **error);

/* Listens on HOST:PORT (port 0 picks one) and returns the bound address
 * ("127.0.0.1:41234"). Plain HTTP (TLS FALSE) is refused unless HOST is a
 * loopback address: tokens and passwords would cross the network in clear. */
char *perch_web_listen (PerchWeb *web, const char *host_port, gboolean tls, GError **error);

/* The data dir: uploaded files go to DATA_DIR/files/ID, and transfers
 * under way to temporary files in DATA_DIR/files/tmp and DATA_DIR/tmp.
 * Creates those directories and removes what interrupted transfers left
 * there. Until it is set, the file, export and import routes answer 503. */
gboolean perch_web_set_data_dir (PerchWeb *web, const char *data_dir, GError **error);
/* The compliance service whose queue /api/v1/compliance shows. */
typedef struct _PerchCompliance PerchCompliance;
void     perch_web_set_compliance (PerchWeb *web, PerchCompliance *compliance);

/* Closes every listener and connection. */
void  perch_web_stop (PerchWeb *web);

/* The route table: method and path template ("/api/v1/rooms/{room}") of
 * each route, ending with a NULL method. */
typedef struct {
  const char *method;
  const char *path;
} PerchWebRouteInfo;

const PerchWebRouteInfo *perch_web_routes (void);

/* The OpenAPI 3.0 document, as served. */
char *perch_web_openapi_json (void);

G_END_DECLS
