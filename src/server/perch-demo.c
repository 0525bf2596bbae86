/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-demo.c: the demo pool that `perchd --demo` and the console's demo
 * mode start with, so everything works offline with no set-up. */
#include "config.h"

#include "perch-server.h"
#include "perch-sip-digest.h"

const char *const perch_demo_credentials[] = {
  "alice", "alice-demo",
  "bob", "bob-demo",
  "carol", "carol-demo",
  "dave", "dave-demo",
  "admin", "admin-demo",
  NULL,
};

static GPtrArray *
list_of (const char *first, ...)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);
  va_list ap;
  va_start (ap, first);
  for (const char *s = first; s != NULL; s = va_arg (ap, const char *))
    g_ptr_array_add (list, g_strdup (s));
  va_end (ap);
  return list;
}

static char *
user_uri (const char *name, const char *domain)
{
  return g_strdup_printf ("sip:%s@%s", name, domain);
}

static const struct { const char *who; const char *text; } general_history[] = {
  { "alice", "Good morning! The build farm is back after the weekend maintenance." },
  { "bob",   "Thanks. Is the release branch frozen yet?" },
  { "alice", "Tomorrow at noon. Please land your fixes before then." },
  { "carol", "The board wants the quarterly numbers by Friday." },
  { "bob",   "I'll post the test report in Design." },
  { "admin", "Reminder: this room is archived for compliance." },
  { "alice", "Lunch at 12:30 in the usual place?" },
  { "carol", "Count me in." },
};

gboolean
perch_demo_seed (PerchStore *store, const char *domain, GError **error)
{
  if (!perch_store_config_set (store, "domain", domain, error) ||
      !perch_store_config_set (store, "enable_persistent_chat", "0", error) ||
      !perch_store_config_set (store, "demo", "1", error))
    return FALSE;

  for (guint i = 0; perch_demo_credentials[i]; i += 2)
    {
      const char *name = perch_demo_credentials[i];
      g_autofree char *uri = user_uri (name, domain);
      g_autofree char *account = g_strdup_printf ("%s@%s", name, domain);
      g_autofree char *ha1 = perch_digest_ha1 (account, domain, perch_demo_credentials[i + 1]);
      g_autofree char *display = g_strdup_printf ("%c%s", g_ascii_toupper (name[0]), name + 1);
      PerchUser user = {
        .uri = uri, .display_name = display, .ha1 = ha1,
        .admin = g_str_equal (name, "admin"),
        /* everyone but dave is enabled; dave follows the global default (off) */
        .enabled = g_str_equal (name, "dave") ? -1 : 1,
      };
      if (!perch_store_user_put (store, &user, error))
        return FALSE;
    }

  g_autofree char *alice = user_uri ("alice", domain);
  g_autofree char *bob = user_uri ("bob", domain);
  g_autofree char *carol = user_uri ("carol", domain);
  g_autofree char *admin = user_uri ("admin", domain);
  g_autofree char *everyone = g_strconcat ("domain:", domain, NULL);

  PerchCategory engineering = {
    .name = (char *) "Engineering", .description = (char *) "Everything we build",
    .file_upload = TRUE, .chat_history = TRUE, .invitations = TRUE,
    .allowed = list_of (everyone, NULL), .denied = list_of (NULL),
    .creators = list_of (alice, admin, NULL),
  };
  PerchCategory board = {
    .name = (char *) "Board", .description = (char *) "The board and its secretary",
    .file_upload = FALSE, .chat_history = TRUE, .invitations = TRUE,
    .allowed = list_of (admin, carol, NULL), .denied = list_of (bob, NULL),
    .creators = list_of (admin, NULL),
  };
  gboolean ok = perch_store_category_create (store, &engineering, error) &&
                perch_store_category_create (store, &board, error);
  if (ok)
    {
      struct {
        const char *name, *description; PerchPrivacy privacy; PerchRoomType type; gint64 cat;
        GPtrArray *members, *managers, *presenters; char *id;
      } rooms[] = {
        { "General", "Talk about anything", PERCH_PRIVACY_OPEN, PERCH_ROOM_NORMAL, engineering.id,
          list_of (NULL), list_of (admin, NULL), list_of (NULL), NULL },
        { "Announcements", "News from the team leads", PERCH_PRIVACY_OPEN, PERCH_ROOM_AUDITORIUM, engineering.id,
          list_of (NULL), list_of (admin, NULL), list_of (alice, NULL), NULL },
        { "Design", "Design reviews", PERCH_PRIVACY_CLOSED, PERCH_ROOM_NORMAL, engineering.id,
          list_of (alice, bob, NULL), list_of (alice, NULL), list_of (NULL), NULL },
        { "Mergers", "Not to be discussed elsewhere", PERCH_PRIVACY_SECRET, PERCH_ROOM_NORMAL, board.id,
          list_of (carol, NULL), list_of (carol, NULL), list_of (NULL), NULL },
      };
      for (guint i = 0; ok && i < G_N_ELEMENTS (rooms); i++)
        {
          PerchRoomInfo info = {
            .name = (char *) rooms[i].name, .description = (char *) rooms[i].description,
            .category_id = rooms[i].cat, .privacy = rooms[i].privacy, .type = rooms[i].type,
            .invitations = TRUE, .members = rooms[i].members, .managers = rooms[i].managers,
            .presenters = rooms[i].presenters,
          };
          ok = perch_store_room_create (store, &info, error);
          rooms[i].id = info.id;
        }
      /* Some history in General, an hour old, a few minutes apart. */
      gint64 t = perch_now_us () - (gint64) G_USEC_PER_SEC * 3600;
      g_autoptr(GPtrArray) writes = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_write_free);
      for (guint i = 0; ok && i < G_N_ELEMENTS (general_history); i++)
        {
          PerchWrite *w = g_new0 (PerchWrite, 1);
          w->type = PERCH_EVENT_CHAT;
          w->room_id = g_strdup (rooms[0].id);
          w->user = user_uri (general_history[i].who, domain);
          w->content = g_strdup (general_history[i].text);
          w->ts_us = t + (gint64) i * 4 * 60 * G_USEC_PER_SEC;
          w->store_message = TRUE;
          g_ptr_array_add (writes, w);
        }
      if (ok)
        ok = perch_store_write (store, (PerchWrite **) writes->pdata, writes->len, error);
      for (guint i = 0; i < G_N_ELEMENTS (rooms); i++)
        {
          g_ptr_array_unref (rooms[i].members);
          g_ptr_array_unref (rooms[i].managers);
          g_ptr_array_unref (rooms[i].presenters);
          g_free (rooms[i].id);
        }
    }
  g_ptr_array_unref (engineering.allowed); g_ptr_array_unref (engineering.denied); g_ptr_array_unref (engineering.creators);
  g_ptr_array_unref (board.allowed); g_ptr_array_unref (board.denied); g_ptr_array_unref (board.creators);
  return ok;
}
