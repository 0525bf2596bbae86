/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-sip-service.h: perchd's SIP side — registrar with Digest,
 * provisioning, one dialog per chat session, XCCOS carried in INFO.
 *
 * It accepts connections (TCP, and TLS when given a certificate), binds each
 * connection to the user who registered on it, and hands INFO bodies to the
 * channel service. */
#pragma once

#include <gio/gio.h>
#include "perch-channel.h"

G_BEGIN_DECLS

typedef struct _PerchSipService PerchSipService;

typedef struct {
  guint max_auth_failures;     /* 403s before the connection is closed (3) */
  guint session_expires;       /* seconds a session lives without refresh (1800) */
  guint register_timeout;      /* seconds a connection may stay unregistered (30) */
  guint keep_alive_timeout;    /* what ms-keep-alive tells clients (300) */
} PerchSipServiceConfig;

PerchSipService *perch_sip_service_new (PerchChannel *channel, PerchStore *store,
                                        const PerchSipServiceConfig *config);
void             perch_sip_service_free (PerchSipService *service);

/* Listens on HOST:PORT (port 0 picks one); TLS when CERT is given. Returns
 * the address actually bound ("127.0.0.1:41234"). */
char *perch_sip_service_listen (PerchSipService *service, const char *host_port,
                                GTlsCertificate *cert, GError **error);
/* The room management URL provisioning advertises. */
void  perch_sip_service_set_web_url (PerchSipService *service, const char *url);
/* Closes every connection and listener. */
void  perch_sip_service_stop (PerchSipService *service);

guint perch_sip_service_n_connections (PerchSipService *service);

/* Splits "host:port" / "[v6]:port". */
gboolean perch_parse_host_port (const char *s, char **host, guint16 *port, GError **error);

G_END_DECLS
