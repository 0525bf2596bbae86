/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-store.c: the backend-independent half of the store: the wrappers
 * that dispatch to a backend's table, and the value types' free/copy
 * functions. Nothing here knows about sqlite. */
#include "config.h"

#include "perch-store.h"

const char *
perch_event_type_to_string (PerchEventType type)
{
  switch (type)
    {
    case PERCH_EVENT_JOIN:         return "JOIN";
    case PERCH_EVENT_PART:         return "PART";
    case PERCH_EVENT_CHAT:         return "CHAT";
    case PERCH_EVENT_BACKCHAT:     return "BACKCHAT";
    case PERCH_EVENT_FILEUPLOAD:   return "FILEUPLOAD";
    case PERCH_EVENT_FILEDOWNLOAD: return "FILEDOWNLOAD";
    case PERCH_EVENT_REMOVE:       return "REMOVE";
    case PERCH_EVENT_REPLACE:      return "REPLACE";
    case PERCH_EVENT_CLEAR:        return "CLEAR";
    default:                       return NULL; /* lets the store refuse it */
    }
}

static GPtrArray *
string_array_copy (const GPtrArray *src)
{
  if (src == NULL)
    return NULL;
  GPtrArray *dst = g_ptr_array_new_full (src->len, g_free);
  for (guint i = 0; i < src->len; i++)
    g_ptr_array_add (dst, g_strdup (g_ptr_array_index (src, i)));
  return dst;
}

void
perch_category_free (PerchCategory *cat)
{
  if (cat == NULL)
    return;
  g_free (cat->name);
  g_free (cat->description);
  g_clear_pointer (&cat->allowed, g_ptr_array_unref);
  g_clear_pointer (&cat->denied, g_ptr_array_unref);
  g_clear_pointer (&cat->creators, g_ptr_array_unref);
  g_free (cat);
}

void
perch_room_info_free (PerchRoomInfo *room)
{
  if (room == NULL)
    return;
  g_free (room->id);
  g_free (room->name);
  g_free (room->description);
  g_free (room->addin);
  g_clear_pointer (&room->members, g_ptr_array_unref);
  g_clear_pointer (&room->managers, g_ptr_array_unref);
  g_clear_pointer (&room->presenters, g_ptr_array_unref);
  g_free (room);
}

PerchRoomInfo *
perch_room_info_copy (const PerchRoomInfo *room)
{
  if (room == NULL)
    return NULL;
  PerchRoomInfo *copy = g_new0 (PerchRoomInfo, 1);
  *copy = *room;
  copy->id = g_strdup (room->id);
  copy->name = g_strdup (room->name);
  copy->description = g_strdup (room->description);
  copy->addin = g_strdup (room->addin);
  copy->members = string_array_copy (room->members);
  copy->managers = string_array_copy (room->managers);
  copy->presenters = string_array_copy (room->presenters);
  return copy;
}

void
perch_message_free (PerchMessage *msg)
{
  if (msg == NULL)
    return;
  g_free (msg->room_id);
  g_free (msg->author);
  g_free (msg->content);
  g_free (msg);
}

void
perch_user_free (PerchUser *user)
{
  if (user == NULL)
    return;
  g_free (user->uri);
  g_free (user->display_name);
  g_free (user->ha1);
  g_free (user);
}

void
perch_event_free (PerchEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->room_id);
  g_free (event->user);
  g_free (event->content);
  g_free (event);
}

void
perch_write_free (PerchWrite *write)
{
  if (write == NULL)
    return;
  g_free (write->room_id);
  g_free (write->user);
  g_free (write->content);
  g_free (write);
}

void
perch_addin_free (PerchAddin *addin)
{
  if (addin == NULL)
    return;
  g_free (addin->name);
  g_free (addin->url);
  g_free (addin);
}

void
perch_audit_entry_free (PerchAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->actor);
  g_free (entry->action);
  g_free (entry->target);
  g_free (entry->detail);
  g_free (entry);
}

const char *
perch_run_state_to_string (PerchRunState state)
{
  switch (state)
    {
    case PERCH_RUN_PLANNED: return "planned";
    case PERCH_RUN_DONE:    return "done";
    case PERCH_RUN_FAILED:  return "failed";
    default:                return NULL;
    }
}

void
perch_compliance_run_free (PerchComplianceRun *run)
{
  if (run == NULL)
    return;
  g_free (run->adapter);
  g_free (run->error);
  g_free (run);
}

void
perch_file_free (PerchFile *file)
{
  if (file == NULL)
    return;
  g_free (file->id);
  g_free (file->room_id);
  g_free (file->uploader);
  g_free (file->name);
  g_free (file->sha256);
  g_free (file);
}

PerchCategory *
perch_category_copy (const PerchCategory *cat)
{
  if (cat == NULL)
    return NULL;
  PerchCategory *copy = g_new0 (PerchCategory, 1);
  *copy = *cat;
  copy->name = g_strdup (cat->name);
  copy->description = g_strdup (cat->description);
  copy->allowed = string_array_copy (cat->allowed);
  copy->denied = string_array_copy (cat->denied);
  copy->creators = string_array_copy (cat->creators);
  return copy;
}

/* The wrappers. They only check the store pointer: argument checking that
 * depends on the data is the backend's, so every backend answers the same
 * GError for the same mistake. */

void
perch_store_close (PerchStore *store)
{
  if (store == NULL)
    return;
  store->backend->close (store);
}

char *
perch_store_config_get (PerchStore *store, const char *key)
{
  g_return_val_if_fail (store != NULL && key != NULL, NULL);
  return store->backend->config_get (store, key);
}

gboolean
perch_store_config_set (PerchStore *store, const char *key, const char *value, GError **error)
{
  g_return_val_if_fail (store != NULL && key != NULL, FALSE);
  return store->backend->config_set (store, key, value, error);
}

int
perch_store_config_get_int (PerchStore *store, const char *key, int fallback)
{
  g_autofree char *value = perch_store_config_get (store, key);
  gint64 n;

  if (value == NULL)
    return fallback;
  /* Values are typed by hand in perchctl; tolerate surrounding blanks but
   * nothing else, so "30 messages" falls back rather than becoming 30. */
  g_strstrip (value);
  if (!g_ascii_string_to_signed (value, 10, G_MININT, G_MAXINT, &n, NULL))
    return fallback;
  return (int) n;
}

gboolean
perch_store_user_put (PerchStore *store, const PerchUser *user, GError **error)
{
  g_return_val_if_fail (store != NULL && user != NULL, FALSE);
  return store->backend->user_put (store, user, error);
}

gboolean
perch_store_users_put (PerchStore *store, const PerchUser *const *users, guint n, GError **error)
{
  g_return_val_if_fail (store != NULL && (users != NULL || n == 0), FALSE);
  return store->backend->users_put (store, users, n, error);
}

PerchUser *
perch_store_user_get (PerchStore *store, const char *uri)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (uri == NULL)
    return NULL;
  return store->backend->user_get (store, uri);
}

GPtrArray *
perch_store_user_list (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->user_list (store, error);
}

gboolean
perch_store_group_put (PerchStore *store, const char *name, const char *const *members, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->group_put (store, name, members, error);
}

gboolean
perch_store_group_delete (PerchStore *store, const char *name, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->group_delete (store, name, error);
}

GPtrArray *
perch_store_group_list (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->group_list (store, error);
}

GPtrArray *
perch_store_group_members (PerchStore *store, const char *name, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->group_members (store, name, error);
}

gboolean
perch_store_category_create (PerchStore *store, PerchCategory *cat, GError **error)
{
  g_return_val_if_fail (store != NULL && cat != NULL, FALSE);
  return store->backend->category_create (store, cat, error);
}

gboolean
perch_store_category_update (PerchStore *store, const PerchCategory *cat, GError **error)
{
  g_return_val_if_fail (store != NULL && cat != NULL, FALSE);
  return store->backend->category_update (store, cat, error);
}

gboolean
perch_store_category_delete (PerchStore *store, gint64 id, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->category_delete (store, id, error);
}

GPtrArray *
perch_store_category_list (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->category_list (store, error);
}

gboolean
perch_store_room_create (PerchStore *store, PerchRoomInfo *room, GError **error)
{
  g_return_val_if_fail (store != NULL && room != NULL, FALSE);
  return store->backend->room_create (store, room, error);
}

gboolean
perch_store_rooms_create (PerchStore *store, PerchRoomInfo **rooms, guint n, GError **error)
{
  g_return_val_if_fail (store != NULL && (rooms != NULL || n == 0), FALSE);
  return store->backend->rooms_create (store, rooms, n, error);
}

gboolean
perch_store_room_update (PerchStore *store, const PerchRoomInfo *room, GError **error)
{
  g_return_val_if_fail (store != NULL && room != NULL, FALSE);
  return store->backend->room_update (store, room, error);
}

gboolean
perch_store_room_delete (PerchStore *store, const char *room_id, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->room_delete (store, room_id, error);
}

GPtrArray *
perch_store_room_list (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->room_list (store, error);
}

PerchRoomInfo *
perch_store_room_get (PerchStore *store, const char *room_id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->room_get (store, room_id, error);
}

GPtrArray *
perch_store_room_search (PerchStore *store, const char *text, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->room_search (store, text, limit, error);
}

gboolean
perch_store_write (PerchStore *store, PerchWrite **writes, guint n_writes, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (writes != NULL || n_writes == 0, FALSE);
  return store->backend->write (store, writes, n_writes, error);
}

GPtrArray *
perch_store_history (PerchStore *store, const char *room_id, gint64 before_id, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->history (store, room_id, before_id, limit, error);
}

GPtrArray *
perch_store_message_search (PerchStore *store, const char *room_id, const char *query, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->message_search (store, room_id, query, limit, error);
}

gboolean
perch_store_invitation_add (PerchStore *store, const char *user, const char *room_id, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->invitation_add (store, user, room_id, error);
}

GPtrArray *
perch_store_invitations_take (PerchStore *store, const char *user, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->invitations_take (store, user, error);
}

char *
perch_store_pref_get (PerchStore *store, const char *user, const char *label)
{
  g_return_val_if_fail (store != NULL, NULL);
  if (user == NULL || label == NULL)
    return NULL;
  return store->backend->pref_get (store, user, label);
}

gboolean
perch_store_pref_set (PerchStore *store, const char *user, const char *label, const char *content, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->pref_set (store, user, label, content, error);
}

GPtrArray *
perch_store_events_pending (PerchStore *store, gint64 after_id, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->events_pending (store, after_id, limit, error);
}

gboolean
perch_store_events_delete_upto (PerchStore *store, gint64 id, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->events_delete_upto (store, id, error);
}

gint64
perch_store_events_count (PerchStore *store)
{
  g_return_val_if_fail (store != NULL, -1);
  return store->backend->events_count (store);
}

gboolean
perch_store_user_delete (PerchStore *store, const char *uri, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->user_delete (store, uri, error);
}

GArray *
perch_store_messages_change (PerchStore *store, const PerchMessageFilter *filter,
                             const char *replacement, const char *actor, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->messages_change (store, filter, replacement, actor, error);
}

gint64
perch_store_room_clear (PerchStore *store, const char *room_id, gint64 up_to_us,
                        const char *actor, GError **error)
{
  g_return_val_if_fail (store != NULL, -1);
  return store->backend->room_clear (store, room_id, up_to_us, actor, error);
}

GHashTable *
perch_store_room_stats (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->room_stats (store, error);
}

gboolean
perch_store_addin_put (PerchStore *store, const PerchAddin *addin, GError **error)
{
  g_return_val_if_fail (store != NULL && addin != NULL, FALSE);
  return store->backend->addin_put (store, addin, error);
}

gboolean
perch_store_addin_delete (PerchStore *store, const char *name, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->addin_delete (store, name, error);
}

GPtrArray *
perch_store_addin_list (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->addin_list (store, error);
}

gboolean
perch_store_audit_add (PerchStore *store, const char *actor, const char *action,
                       const char *target, const char *detail, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->audit_add (store, actor, action, target, detail, error);
}

GPtrArray *
perch_store_audit_list (PerchStore *store, gint64 before_id, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->audit_list (store, before_id, limit, error);
}

gboolean
perch_store_import_messages (PerchStore *store, PerchMessage **messages, guint n, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->import_messages (store, messages, n, error);
}

GPtrArray *
perch_store_messages_range (PerchStore *store, const char *room_id, gint64 after_id,
                            gint64 from_us, gint64 to_us, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->messages_range (store, room_id, after_id, from_us, to_us, limit, error);
}

PerchStore *
perch_store_open_again (PerchStore *store, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->open_again (store, error);
}

gboolean
perch_store_events_summary (PerchStore *store, gint64 *counts, gint64 *oldest_us, GError **error)
{
  g_return_val_if_fail (store != NULL && counts != NULL, FALSE);
  return store->backend->events_summary (store, counts, oldest_us, error);
}

gint64
perch_store_compliance_plan (PerchStore *store, gint64 first_id, gint64 last_id, gint64 events,
                             const char *adapter, GError **error)
{
  g_return_val_if_fail (store != NULL && adapter != NULL && first_id <= last_id, 0);
  return store->backend->compliance_plan (store, first_id, last_id, events, adapter, error);
}

gboolean
perch_store_compliance_done (PerchStore *store, gint64 run_id, gint64 duration_ms, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->compliance_done (store, run_id, duration_ms, error);
}

gboolean
perch_store_compliance_failed (PerchStore *store, gint64 run_id, const char *message,
                               gint64 duration_ms, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  return store->backend->compliance_failed (store, run_id, message, duration_ms, error);
}

GPtrArray *
perch_store_compliance_runs (PerchStore *store, gint64 before_id, guint limit, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->compliance_runs (store, before_id, limit, error);
}

gboolean
perch_store_file_add (PerchStore *store, PerchFile *file, GError **error)
{
  g_return_val_if_fail (store != NULL && file != NULL, FALSE);
  return store->backend->file_add (store, file, error);
}

PerchFile *
perch_store_file_get (PerchStore *store, const char *id, GError **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->backend->file_get (store, id, error);
}
