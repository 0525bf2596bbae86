/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-start-page.c: the connect form, recent connections, the demo. */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "perch-api.h"
#include "perch-console-application.h"
#include "perch-console-window.h"
#include "perch-keyring.h"
#include "perch-connection.h"
#include "perch-start-page.h"

#define MAX_RECENT 8

struct _PerchStartPage {
  AdwBin               parent_instance;

  /* template children */
  AdwEntryRow         *url_row;
  AdwEntryRow         *sip_row;
  GtkSwitch           *sip_tls_switch;
  AdwEntryRow         *user_row;
  AdwPasswordEntryRow *password_row;
  GtkWidget           *form;
  GtkLabel            *error_label;
  GtkWidget           *busy_box;
  GtkLabel            *busy_label;
  GtkWidget           *buttons;
  AdwPreferencesGroup *recent_group;
  GtkListBox          *recent_list;

  GCancellable        *cancellable;   /* of the connect under way */
  GCancellable        *lookup;        /* of a keyring lookup */
  PerchConnection        *pending;       /* being connected */
  gulong               settings_handler;
};

G_DEFINE_FINAL_TYPE (PerchStartPage, perch_start_page, ADW_TYPE_BIN)

enum {
  SIGNAL_CONNECTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void start_connect (PerchStartPage *self);

/* ---- state -------------------------------------------------------------------- */

static void
show_error (PerchStartPage *self, const char *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
set_busy (PerchStartPage *self, const char *what)
{
  gboolean busy = what != NULL;
  gtk_widget_set_sensitive (self->form, !busy);
  gtk_widget_set_visible (self->buttons, !busy);
  gtk_widget_set_visible (self->busy_box, busy);
  gtk_label_set_text (self->busy_label, what ? what : "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_group), !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "start.connect", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "start.demo", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "start.cancel", busy);
  if (busy)
    show_error (self, NULL);
}

/* ---- recent connections ------------------------------------------------------- */

static void
rebuild_recent (PerchStartPage *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);

  g_autoptr(GVariant) recent = g_settings_get_value (perch_console_get_settings (), "recent-connections");
  guint n = (guint) g_variant_n_children (recent);
  for (guint i = 0; i < n; i++)
    {
      const char *url, *sip, *user;
      gboolean tls;
      g_variant_get_child (recent, i, "(&s&s&sb)", &url, &sip, &user, &tls);
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), user);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), url);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "start.use-recent");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "u", i);

      GtkWidget *forget = gtk_button_new_from_icon_name ("user-trash-symbolic");
      gtk_widget_set_valign (forget, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (forget, "flat");
      gtk_widget_set_tooltip_text (forget, _("Forget This Connection"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (forget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Forget This Connection"), -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (forget), "start.forget-recent");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (forget), "u", i);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), forget);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_append (self->recent_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->recent_group), n > 0);
}

static void
remember_connection (PerchStartPage *self, PerchConnection *connection)
{
  GSettings *settings = perch_console_get_settings ();
  g_autoptr(GVariant) recent = g_settings_get_value (settings, "recent-connections");
  const char *url = perch_connection_get_base_url (connection);
  const char *sip = perch_connection_get_sip_address (connection);
  const char *user = perch_connection_get_user (connection);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sssb)"));
  g_variant_builder_add (&builder, "(sssb)", url, sip ? sip : "", user, perch_connection_get_sip_tls (connection));
  guint kept = 1;
  for (gsize i = 0; i < g_variant_n_children (recent) && kept < MAX_RECENT; i++)
    {
      const char *r_url, *r_sip, *r_user;
      gboolean r_tls;
      g_variant_get_child (recent, i, "(&s&s&sb)", &r_url, &r_sip, &r_user, &r_tls);
      if (g_str_equal (r_url, url) && g_str_equal (r_user, user))
        continue;
      g_variant_builder_add (&builder, "(sssb)", r_url, r_sip, r_user, r_tls);
      kept++;
    }
  g_settings_set_value (settings, "recent-connections", g_variant_builder_end (&builder));
}

static void
on_password_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchStartPage) self = user_data;
  g_autoptr(GError) error = NULL;
  if (!perch_keyring_store_finish (result, &error))
    {
      g_message ("Cannot keep the password in the keyring: %s", error->message);
      if (gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
        perch_toast_error (GTK_WIDGET (self), _("The password could not be kept in the keyring"), error);
    }
}

static void
on_password_found (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchStartPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = perch_keyring_lookup_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (error != NULL)
    {
      g_message ("Cannot read the keyring: %s", error->message);
      perch_toast_error (GTK_WIDGET (self), _("The keyring is not available"), error);
    }
  if (password != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      gtk_widget_activate_action (GTK_WIDGET (self), "start.connect", NULL);
    }
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
use_recent_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchStartPage *self = PERCH_START_PAGE (widget);
  g_autoptr(GVariant) recent = g_settings_get_value (perch_console_get_settings (), "recent-connections");
  guint index = g_variant_get_uint32 (parameter);
  if (index >= g_variant_n_children (recent))
    return;
  const char *url, *sip, *user;
  gboolean tls;
  g_variant_get_child (recent, index, "(&s&s&sb)", &url, &sip, &user, &tls);
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  gtk_editable_set_text (GTK_EDITABLE (self->sip_row), sip);
  gtk_switch_set_active (self->sip_tls_switch, tls);
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), user);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  show_error (self, NULL);

  g_cancellable_cancel (self->lookup);
  g_clear_object (&self->lookup);
  self->lookup = g_cancellable_new ();
  perch_keyring_lookup_async (url, user, self->lookup, on_password_found, g_object_ref (self));
}

static void
forget_recent_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  GSettings *settings = perch_console_get_settings ();
  g_autoptr(GVariant) recent = g_settings_get_value (settings, "recent-connections");
  guint index = g_variant_get_uint32 (parameter);
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sssb)"));
  for (gsize i = 0; i < g_variant_n_children (recent); i++)
    if (i != index)
      {
        g_autoptr(GVariant) child = g_variant_get_child_value (recent, i);
        g_variant_builder_add_value (&builder, child);
      }
  g_settings_set_value (settings, "recent-connections", g_variant_builder_end (&builder));
}

/* ---- connecting --------------------------------------------------------------- */

/* Keeps FINGERPRINT as the one accepted for KEY ("host:port"). */
static void
remember_certificate (const char *key, const char *fingerprint)
{
  GSettings *settings = perch_console_get_settings ();
  g_autoptr(GVariant) accepted = g_settings_get_value (settings, "accepted-certificates");
  GVariantBuilder builder;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  GVariantIter iter;
  const char *k, *value;
  g_variant_iter_init (&iter, accepted);
  while (g_variant_iter_next (&iter, "{&s&s}", &k, &value))
    if (!g_str_equal (k, key))
      g_variant_builder_add (&builder, "{ss}", k, value);
  g_variant_builder_add (&builder, "{ss}", key, fingerprint);
  g_settings_set_value (settings, "accepted-certificates", g_variant_builder_end (&builder));
}

static void
on_certificate_response (AdwMessageDialog *dialog, const char *response, PerchStartPage *self)
{
  g_autoptr(PerchConnection) connection = g_steal_pointer (&self->pending);
  if (connection == NULL || g_strcmp0 (response, "accept") != 0)
    return;

  /* The fingerprint shown is the one accepted, whatever the connection
   * has learnt since. */
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "perch-fingerprint");
  const char *key = g_object_get_data (G_OBJECT (dialog), "perch-key");
  remember_certificate (key, fingerprint);
  if (g_object_get_data (G_OBJECT (dialog), "perch-sip") != NULL)
    perch_connection_accept_sip_certificate (connection, fingerprint);
  else
    perch_connection_accept_certificate (connection, fingerprint);
  self->pending = g_steal_pointer (&connection);
  start_connect (self);
}

/* The certificate of SERVER ("host:port", its HTTPS service or, when SIP,
 * its SIP over TLS) is refused for REASON: show its fingerprint and let the
 * administrator accept it for that server. */
static void
ask_about_certificate (PerchStartPage *self, const char *key, const char *fingerprint, const char *reason,
                       gboolean sip)
{
  /* "AB:CD:…" is 95 characters: four lines of 8 bytes, in monospace. */
  GString *lines = g_string_new (NULL);
  for (gsize i = 0, n = strlen (fingerprint); i < n; i += 24)
    g_string_append_printf (lines, "%s%.23s", i ? "\n" : "", fingerprint + i);
  g_autofree char *server = g_markup_escape_text (key, -1);
  g_autofree char *why = g_markup_escape_text (reason ? reason : "", -1);
  g_autofree char *body = sip
    /* Translators: the body of the untrusted certificate dialog for the
     * SIP (chat) service (Pango markup). */
    ? g_strdup_printf (_("The certificate of the chat service at %s is not trusted: %s.\n\n"
                         "Its SHA-256 fingerprint is\n<tt>%s</tt>\n\n"
                         "Accept it only if this is the fingerprint of your server’s "
                         "certificate. It will be accepted for this server from now on."),
                       server, why, lines->str)
    /* Translators: the body of the untrusted certificate dialog (Pango markup). */
    : g_strdup_printf (_("The certificate of %s is not trusted: %s.\n\n"
                         "Its SHA-256 fingerprint is\n<tt>%s</tt>\n\n"
                         "Accept it only if this is the fingerprint of your server’s "
                         "certificate. It will be accepted for this server from now on."),
                       server, why, lines->str);
  g_string_free (lines, TRUE);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                              _("Untrusted Certificate"), body);
  g_object_set_data_full (G_OBJECT (dialog), "perch-fingerprint", g_strdup (fingerprint), g_free);
  g_object_set_data_full (G_OBJECT (dialog), "perch-key", g_strdup (key), g_free);
  if (sip)
    g_object_set_data (G_OBJECT (dialog), "perch-sip", GINT_TO_POINTER (TRUE));
  adw_message_dialog_set_body_use_markup (ADW_MESSAGE_DIALOG (dialog), TRUE);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "accept", _("_Accept for This Server"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "accept", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_certificate_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PerchStartPage) self = user_data;
  PerchConnection *connection = PERCH_CONNECTION (source);
  g_autoptr(GError) error = NULL;

  if (!perch_connection_connect_finish (connection, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;   /* cancelled by the user, or the page went away */
      set_busy (self, NULL);
      if (g_error_matches (error, PERCH_API_ERROR, PERCH_API_ERROR_CERTIFICATE))
        {
          PerchApi *api = perch_connection_get_api (connection);
          ask_about_certificate (self, perch_api_get_server_key (api), perch_api_get_rejected_fingerprint (api),
                                 perch_api_get_rejected_reason (api), FALSE);
          return;
        }
      /* The SIP over TLS certificate: not trusted, or not the one pinned
       * for it. Shown the same way; kept under the SIP address. */
      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) &&
          perch_connection_get_rejected_sip_fingerprint (connection) != NULL &&
          perch_connection_get_sip_key (connection) != NULL)
        {
          ask_about_certificate (self, perch_connection_get_sip_key (connection),
                                 perch_connection_get_rejected_sip_fingerprint (connection),
                                 perch_connection_get_rejected_sip_reason (connection), TRUE);
          return;
        }
      g_clear_object (&self->pending);
      show_error (self, error->message);
      return;
    }

  g_autoptr(PerchConnection) connected = g_steal_pointer (&self->pending);
  set_busy (self, NULL);
  g_clear_object (&self->cancellable);
  if (!perch_connection_is_demo (connected))
    {
      remember_connection (self, connected);
      perch_keyring_store_async (perch_connection_get_base_url (connected), perch_connection_get_user (connected),
                                 perch_connection_get_password (connected), NULL, on_password_stored,
                                 g_object_ref (self));
    }
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0, connected);
}

static void
start_connect (PerchStartPage *self)
{
  set_busy (self, perch_connection_is_demo (self->pending) ? _("Starting the demo server…") : _("Connecting…"));
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  perch_connection_connect_async (self->pending, self->cancellable, on_connected, g_object_ref (self));
}

static void
connect_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchStartPage *self = PERCH_START_PAGE (widget);
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  const char *sip = gtk_editable_get_text (GTK_EDITABLE (self->sip_row));
  const char *user = gtk_editable_get_text (GTK_EDITABLE (self->user_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (*url == '\0' || *user == '\0' || *password == '\0')
    {
      show_error (self, _("Enter the server’s address, your user name and your password."));
      GtkWidget *empty = *url == '\0' ? GTK_WIDGET (self->url_row)
                         : *user == '\0' ? GTK_WIDGET (self->user_row) : GTK_WIDGET (self->password_row);
      gtk_widget_grab_focus (empty);
      return;
    }
  g_clear_object (&self->pending);
  self->pending = perch_connection_new (url, sip, gtk_switch_get_active (self->sip_tls_switch), user, password);

  PerchApi *api = perch_connection_get_api (self->pending);
  if (api != NULL)
    {
      g_autoptr(GVariant) accepted = g_settings_get_value (perch_console_get_settings (), "accepted-certificates");
      const char *fingerprint = NULL;
      if (g_variant_lookup (accepted, perch_api_get_server_key (api), "&s", &fingerprint))
        perch_connection_accept_certificate (self->pending, fingerprint);
      const char *sip_key = perch_connection_get_sip_key (self->pending);
      if (sip_key != NULL && gtk_switch_get_active (self->sip_tls_switch) &&
          g_variant_lookup (accepted, sip_key, "&s", &fingerprint))
        perch_connection_accept_sip_certificate (self->pending, fingerprint);
    }
  start_connect (self);
}

static void
demo_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchStartPage *self = PERCH_START_PAGE (widget);
  g_clear_object (&self->pending);
  self->pending = perch_connection_new_demo ();
  start_connect (self);
}

static void
on_password_activated (PerchStartPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "start.connect", NULL);
}

static void
cancel_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  PerchStartPage *self = PERCH_START_PAGE (widget);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->pending);
  set_busy (self, NULL);
}

/* ---- widget ------------------------------------------------------------------- */

static void
perch_start_page_constructed (GObject *object)
{
  PerchStartPage *self = PERCH_START_PAGE (object);

  G_OBJECT_CLASS (perch_start_page_parent_class)->constructed (object);

  self->settings_handler = g_signal_connect_swapped (perch_console_get_settings (), "changed::recent-connections",
                                                     G_CALLBACK (rebuild_recent), self);
  rebuild_recent (self);
  set_busy (self, NULL);
}

static void
perch_start_page_dispose (GObject *object)
{
  PerchStartPage *self = PERCH_START_PAGE (object);

  g_clear_signal_handler (&self->settings_handler, perch_console_get_settings ());
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_cancellable_cancel (self->lookup);
  g_clear_object (&self->lookup);
  g_clear_object (&self->pending);
  gtk_widget_dispose_template (GTK_WIDGET (self), PERCH_TYPE_START_PAGE);

  G_OBJECT_CLASS (perch_start_page_parent_class)->dispose (object);
}

static void
perch_start_page_class_init (PerchStartPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = perch_start_page_constructed;
  object_class->dispose = perch_start_page_dispose;

  signals[SIGNAL_CONNECTED] = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 1, PERCH_TYPE_CONNECTION);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perch/Console/ui/perch-start-page.ui");
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, url_row);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, sip_row);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, sip_tls_switch);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, user_row);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, form);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, busy_box);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, busy_label);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, buttons);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, recent_group);
  gtk_widget_class_bind_template_child (widget_class, PerchStartPage, recent_list);

  gtk_widget_class_bind_template_callback (widget_class, on_password_activated);

  gtk_widget_class_install_action (widget_class, "start.connect", NULL, connect_action);
  gtk_widget_class_install_action (widget_class, "start.demo", NULL, demo_action);
  gtk_widget_class_install_action (widget_class, "start.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "start.use-recent", "u", use_recent_action);
  gtk_widget_class_install_action (widget_class, "start.forget-recent", "u", forget_recent_action);
}

static void
perch_start_page_init (PerchStartPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
