/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-server.c: opening the data dir and wiring the parts together. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "perch-channel.h"
#include "perch-committer.h"
#include "perch-compliance.h"
#include "perch-server.h"
#include "perch-sip-service.h"
#include "perch-web.h"

#define GROUP_COMMIT_MAX 10000

struct _PerchServer {
  char            *data_dir;
  PerchStore      *store;
  PerchCommitter  *committer;
  PerchChannel    *channel;
  PerchCompliance *compliance;    /* the compliance outbox's service */
  PerchSipService *sip;
  PerchWeb        *web;           /* room management service; NULL when not asked for */
  char            *sip_address;
  char            *tls_address;
  char            *http_address;
  char            *https_address;
  char            *ready_line;
};

gboolean
perch_generate_self_signed (const char *hostname, const char *cert_path, const char *key_path, GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t pem_key = { 0 }, pem_crt = { 0 };
  gboolean ok = FALSE;
  int r;
  guint8 serial[16];
  g_autofree char *serial_hex = perch_random_hex (sizeof serial);
  for (guint i = 0; i < sizeof serial; i++)
    serial[i] = (guint8) g_ascii_strtoull ((char[]) { serial_hex[2 * i], serial_hex[2 * i + 1], 0 }, NULL, 16);
  serial[0] &= 0x7f;  /* a positive serial number */
  time_t now = time (NULL);

  if ((r = gnutls_x509_privkey_init (&key)) < 0 ||
      (r = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
      (r = gnutls_x509_crt_init (&crt)) < 0 ||
      (r = gnutls_x509_crt_set_key (crt, key)) < 0 ||
      (r = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (r = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0 ||
      (r = gnutls_x509_crt_set_activation_time (crt, now - 3600)) < 0 ||
      (r = gnutls_x509_crt_set_expiration_time (crt, now + 3650L * 24 * 3600)) < 0 ||
      (r = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname, strlen (hostname))) < 0 ||
      (r = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, hostname, strlen (hostname), GNUTLS_FSAN_SET)) < 0 ||
      (r = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND)) < 0 ||
      (r = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, "\x7f\x00\x00\x01", 4, GNUTLS_FSAN_APPEND)) < 0 ||
      (r = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (r = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
      (r = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (r = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &pem_crt)) < 0 ||
      (r = gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &pem_key)) < 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "cannot make a certificate: %s", gnutls_strerror (r));
      goto out;
    }
  if (!g_file_set_contents_full (key_path, (const char *) pem_key.data, pem_key.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error) ||
      !g_file_set_contents_full (cert_path, (const char *) pem_crt.data, pem_crt.size,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    goto out;
  ok = TRUE;
out:
  gnutls_free (pem_key.data);
  gnutls_free (pem_crt.data);
  if (crt)
    gnutls_x509_crt_deinit (crt);
  if (key)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

static GTlsCertificate *
load_certificate (PerchServer *server, const PerchServerOptions *options, const char *domain, GError **error)
{
  g_autofree char *cert = g_strdup (options->tls_cert);
  g_autofree char *key = g_strdup (options->tls_key);
  if (cert == NULL)
    {
      cert = g_build_filename (server->data_dir, "tls.crt", NULL);
      key = g_build_filename (server->data_dir, "tls.key", NULL);
      if (!g_file_test (cert, G_FILE_TEST_EXISTS))
        {
          if (!options->demo)
            {
              g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "TLS needs --tls-cert and --tls-key (or %s); only --demo makes its own", cert);
              return NULL;
            }
          if (!perch_generate_self_signed (domain, cert, key, error))
            return NULL;
        }
    }
  return g_tls_certificate_new_from_files (cert, key ? key : cert, error);
}

static gboolean
apply_setting (PerchStore *store, const char *setting, GError **error)
{
  const char *eq = strchr (setting, '=');
  g_autofree char *key = eq ? g_strndup (setting, eq - setting) : g_strdup (setting);
  if (eq == NULL || !g_strv_contains (perch_channel_config_keys, key))
    {
      g_autofree char *known = g_strjoinv (", ", (char **) perch_channel_config_keys);
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                   "“%s” is not KEY=VALUE with a known key (%s)", setting, known);
      return FALSE;
    }
  return perch_store_config_set (store, key, eq + 1, error);
}

PerchServer *
perch_server_new (const PerchServerOptions *options, GError **error)
{
  g_autoptr(PerchServer) server = g_new0 (PerchServer, 1);
  server->data_dir = g_strdup (options->data_dir);
  if (server->data_dir == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a data directory is needed (--data-dir)");
      return NULL;
    }
  if (g_mkdir_with_parents (server->data_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot create %s: %s", server->data_dir, g_strerror (saved));
      return NULL;
    }
  g_autofree char *db = g_build_filename (server->data_dir, "perch.db", NULL);
  server->store = perch_store_open_sqlite (db, error);
  if (server->store == NULL)
    return NULL;
  g_autofree char *domain = perch_store_config_get (server->store, "domain");
  if (domain == NULL)
    {
      domain = g_strdup (options->domain ? options->domain : "example.test");
      gboolean ok = options->demo ? perch_demo_seed (server->store, domain, error)
                                  : perch_store_config_set (server->store, "domain", domain, error);
      if (!ok)
        return NULL;
    }
  else if (options->domain != NULL && g_ascii_strcasecmp (options->domain, domain) != 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT,
                   "%s belongs to domain %s, not %s", server->data_dir, domain, options->domain);
      return NULL;
    }
  for (guint i = 0; options->config && options->config[i]; i++)
    if (!apply_setting (server->store, options->config[i], error))
      return NULL;
  server->committer = perch_committer_new (server->store, GROUP_COMMIT_MAX);
  server->channel = perch_channel_new (server->store, server->committer, error);
  if (server->channel == NULL)
    return NULL;
  server->compliance = perch_compliance_new (server->store, server->channel, server->data_dir, error);
  if (server->compliance == NULL)
    return NULL;
  PerchSipServiceConfig sip_config = {
    .session_expires = (guint) perch_store_config_get_int (server->store, "session_expires", 1800),
  };
  server->sip = perch_sip_service_new (server->channel, server->store, &sip_config);
  GString *ready = g_string_new ("perchd ready");
  if (options->sip_listen != NULL)
    {
      server->sip_address = perch_sip_service_listen (server->sip, options->sip_listen, NULL, error);
      if (server->sip_address == NULL)
        {
          g_string_free (ready, TRUE);
          return NULL;
        }
      g_string_append_printf (ready, " sip=%s", server->sip_address);
    }
  /* One certificate for SIP over TLS and HTTPS, loaded once. */
  g_autoptr(GTlsCertificate) cert = NULL;
  if (options->tls_listen != NULL || options->https_listen != NULL)
    {
      cert = load_certificate (server, options, domain, error);
      if (cert == NULL)
        {
          g_string_free (ready, TRUE);
          return NULL;
        }
    }
  if (options->tls_listen != NULL)
    {
      server->tls_address = perch_sip_service_listen (server->sip, options->tls_listen, cert, error);
      if (server->tls_address == NULL)
        {
          g_string_free (ready, TRUE);
          return NULL;
        }
      g_string_append_printf (ready, " tls=%s", server->tls_address);
    }
  if (options->http_listen != NULL || options->https_listen != NULL)
    {
      server->web = perch_web_new (server->channel, server->store, cert, error);
      /* Files in rooms, export and import keep their bytes under the data dir. */
      if (server->web != NULL && !perch_web_set_data_dir (server->web, server->data_dir, error))
        g_clear_object (&server->web);
      if (server->web != NULL)
        perch_web_set_compliance (server->web, server->compliance);
      if (server->web != NULL && options->http_listen != NULL)
        server->http_address = perch_web_listen (server->web, options->http_listen, FALSE, error);
      if (server->web != NULL && options->https_listen != NULL &&
          (options->http_listen == NULL || server->http_address != NULL))
        server->https_address = perch_web_listen (server->web, options->https_listen, TRUE, error);
      if (server->web == NULL || (options->http_listen && !server->http_address) ||
          (options->https_listen && !server->https_address))
        {
          g_string_free (ready, TRUE);
          return NULL;
        }
      if (server->http_address)
        g_string_append_printf (ready, " http=%s", server->http_address);
      if (server->https_address)
        g_string_append_printf (ready, " https=%s", server->https_address);
      /* Provisioning tells clients where rooms are managed: HTTPS when there
       * is, and a host they can reach rather than a wildcard address. */
      const char *address = server->https_address ? server->https_address : server->http_address;
      g_autofree char *host = NULL;
      guint16 port = 0;
      if (perch_parse_host_port (address, &host, &port, NULL))
        {
          g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (host);
          gboolean wildcard = inet != NULL && g_inet_address_get_is_any (inet);
          g_autofree char *base = g_strdup_printf ("%s://%s%s%s:%u",
                                                   server->https_address ? "https" : "http",
                                                   !wildcard && strchr (host, ':') ? "[" : "",
                                                   wildcard ? domain : host,
                                                   !wildcard && strchr (host, ':') ? "]" : "",
                                                   port);
          g_autofree char *url = g_strconcat (base, "/api/v1/", NULL);
          perch_sip_service_set_web_url (server->sip, url);
          /* cmd:getfutok and cmd:getfdtok send clients to BASE/files/TOKEN. */
          perch_channel_set_files_url (server->channel, base);
        }
    }
  g_string_append_printf (ready, " domain=%s", domain);
  server->ready_line = g_string_free (ready, FALSE);
  return g_steal_pointer (&server);
}

void
perch_server_free (PerchServer *server)
{
  if (server == NULL)
    return;
  /* The web service first: its requests reach the channel and the store. */
  if (server->web)
    {
      perch_web_stop (server->web);
      g_clear_object (&server->web);
    }
  if (server->sip)
    perch_sip_service_free (server->sip);
  /* Posts still being written complete (their callbacks need the channel)
   * before the channel goes; what the last sessions wrote is flushed
   * before the store closes. */
  if (server->committer)
    perch_committer_flush (server->committer);
  /* Compliance before the channel, whose configuration it reads; stopping
   * waits for a run's thread. */
  if (server->compliance)
    perch_compliance_stop (server->compliance);
  g_clear_object (&server->compliance);
  if (server->channel)
    perch_channel_free (server->channel);
  if (server->committer)
    perch_committer_free (server->committer);
  if (server->store)
    perch_store_close (server->store);
  g_free (server->sip_address);
  g_free (server->tls_address);
  g_free (server->http_address);
  g_free (server->https_address);
  g_free (server->ready_line);
  g_free (server->data_dir);
  g_free (server);
}

const char *
perch_server_get_ready_line (PerchServer *server)
{
  return server->ready_line;
}

const char *
perch_server_get_sip_address (PerchServer *server)
{
  return server->sip_address;
}

const char *
perch_server_get_tls_address (PerchServer *server)
{
  return server->tls_address;
}

const char *
perch_server_get_http_address (PerchServer *server)
{
  return server->http_address;
}

const char *
perch_server_get_https_address (PerchServer *server)
{
  return server->https_address;
}

const char *
perch_server_get_domain (PerchServer *server)
{
  return perch_channel_get_config (server->channel)->domain;
}

PerchStore *
perch_server_get_store (PerchServer *server)
{
  return server->store;
}

PerchCompliance *
perch_server_get_compliance (PerchServer *server)
{
  return server->compliance;
}
