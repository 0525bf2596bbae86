/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-server.h: one perchd — store, committer, channel service and
 * listeners, put together. perchd's main() and the console's demo mode
 * both run the server through this. */
#pragma once

#include <gio/gio.h>
#include "perch-store.h"

G_BEGIN_DECLS

typedef struct _PerchServer PerchServer;

typedef struct {
  const char *data_dir;     /* created 0700 when missing */
  const char *domain;       /* only used when the data dir is new; default example.test */
  const char *sip_listen;   /* HOST:PORT or NULL for none */
  const char *tls_listen;   /* HOST:PORT or NULL */
  const char *http_listen;  /* room management over plain HTTP: loopback HOST:PORT only, or NULL */
  const char *https_listen; /* room management over HTTPS (the SIP TLS certificate), or NULL */
  const char *tls_cert;     /* PEM files; NULL: <data-dir>/tls.{crt,key}, generated in demo mode */
  const char *tls_key;
  gboolean    demo;         /* seed an empty data dir with the demo pool */
  const char *const *config;/* "key=value" settings to store before starting, or NULL */
} PerchServerOptions;

PerchServer *perch_server_new (const PerchServerOptions *options, GError **error);
void         perch_server_free (PerchServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchServer, perch_server_free)

/* "perchd ready sip=127.0.0.1:5060 tls=127.0.0.1:5061 http=127.0.0.1:8080 domain=..." */
const char  *perch_server_get_ready_line (PerchServer *server);
const char  *perch_server_get_sip_address (PerchServer *server);
const char  *perch_server_get_tls_address (PerchServer *server);
/* The room management service's bound addresses, NULL when not listening. */
const char  *perch_server_get_http_address (PerchServer *server);
const char  *perch_server_get_https_address (PerchServer *server);
const char  *perch_server_get_domain (PerchServer *server);
PerchStore  *perch_server_get_store (PerchServer *server);

/* Fills an empty store with the demo pool (perch-demo.c). */
gboolean perch_demo_seed (PerchStore *store, const char *domain, GError **error);
/* The demo users and passwords, for printing: NULL-terminated pairs. */
extern const char *const perch_demo_credentials[];

/* Writes a self-signed certificate and key for HOSTNAME to the two paths. */
gboolean perch_generate_self_signed (const char *hostname, const char *cert_path,
                                     const char *key_path, GError **error);

G_END_DECLS
