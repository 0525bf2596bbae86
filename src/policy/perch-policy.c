/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-policy.c: who may do what, as admin-model.md states it. */
#include "config.h"

#include <string.h>

#include "perch-policy.h"

static gboolean
principal_matches (const PerchPrincipal *who, const char *entry)
{
  if (entry == NULL || who->uri == NULL)
    return FALSE;
  if (g_str_has_prefix (entry, "sip:"))
    return g_ascii_strcasecmp (entry, who->uri) == 0;
  if (g_str_has_prefix (entry, "group:"))
    return who->groups != NULL && g_hash_table_contains (who->groups, entry + 6);
  if (g_str_has_prefix (entry, "domain:"))
    {
      const char *at = strrchr (who->uri, '@');
      return at != NULL && g_ascii_strcasecmp (at + 1, entry + 7) == 0;
    }
  return FALSE;
}

gboolean
perch_policy_in_list (const PerchPrincipal *who, GPtrArray *list)
{
  for (guint i = 0; list != NULL && i < list->len; i++)
    if (principal_matches (who, g_ptr_array_index (list, i)))
      return TRUE;
  return FALSE;
}

gboolean
perch_policy_category_allows (const PerchPrincipal *who, const PerchCategory *cat)
{
  if (who->admin)
    return TRUE;
  if (cat == NULL)
    return FALSE;
  /* denied_members overrides allowed_members */
  return !perch_policy_in_list (who, cat->denied) && perch_policy_in_list (who, cat->allowed);
}

gboolean
perch_policy_is_manager (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat)
{
  return perch_policy_category_allows (who, cat) && perch_policy_in_list (who, room->managers);
}

gboolean
perch_policy_is_presenter (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat)
{
  return perch_policy_category_allows (who, cat) && perch_policy_in_list (who, room->presenters);
}

gboolean
perch_policy_is_member (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat)
{
  if (!perch_policy_category_allows (who, cat))
    return FALSE;
  if (room->members == NULL || room->members->len == 0)
    return TRUE;  /* an empty member list inherits the category's */
  return perch_policy_in_list (who, room->members) ||
         perch_policy_in_list (who, room->managers) ||
         perch_policy_in_list (who, room->presenters);
}

static gboolean
not_found (GError **error)
{
  /* One message for every reason, so a secret room and a missing one read the same. */
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such room");
  return FALSE;
}

gboolean
perch_policy_can_find (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error)
{
  if (room->disabled)
    return not_found (error);
  if (who->admin)
    return TRUE;
  if (!perch_policy_category_allows (who, cat))
    return not_found (error);
  if (room->privacy == PERCH_PRIVACY_SECRET && !perch_policy_is_member (who, room, cat))
    return not_found (error);
  return TRUE;
}

gboolean
perch_policy_can_join (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error)
{
  if (!perch_policy_can_find (who, room, cat, error))
    return FALSE;
  if (who->admin || room->privacy == PERCH_PRIVACY_OPEN || perch_policy_is_member (who, room, cat))
    return TRUE;
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "only members may join this room");
  return FALSE;
}

gboolean
perch_policy_can_post (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error)
{
  if (!perch_policy_can_join (who, room, cat, error))
    return FALSE;
  if (room->type == PERCH_ROOM_AUDITORIUM && !who->admin &&
      !perch_policy_is_presenter (who, room, cat) && !perch_policy_is_manager (who, room, cat))
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED,
                           "only presenters may post in an auditorium");
      return FALSE;
    }
  return TRUE;
}

gboolean
perch_policy_can_manage (const PerchPrincipal *who, const PerchRoomInfo *room, const PerchCategory *cat, GError **error)
{
  if (who->admin)
    return TRUE;
  if (room->privacy == PERCH_PRIVACY_SECRET && !perch_policy_is_member (who, room, cat))
    return not_found (error);
  if (!perch_policy_category_allows (who, cat))
    return not_found (error);
  if (perch_policy_in_list (who, room->managers))
    return TRUE;
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "only managers may change this room");
  return FALSE;
}

gboolean
perch_policy_can_create_in (const PerchPrincipal *who, const PerchCategory *cat, GError **error)
{
  if (who->admin)
    return TRUE;
  if (cat != NULL && perch_policy_category_allows (who, cat) && perch_policy_in_list (who, cat->creators))
    return TRUE;
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "not a creator in this category");
  return FALSE;
}

gboolean
perch_policy_chat_enabled (int user_enabled, gboolean global_default)
{
  return user_enabled < 0 ? global_default : user_enabled != 0;
}
