/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-admin.c: administrative operations with their rules, audit and
 * live effects. See perch-admin.h. */
#include "config.h"

#include <string.h>

#include "perch-admin.h"
#include "perch-channel-private.h"
#include "perch-room-index.h"
#include "perch-sip-digest.h"

#define MAX_NAME        256
#define MAX_DESCRIPTION 256
#define MAX_LIST        10000   /* entries in one principal list */
#define MAX_PAGE        1000

/* ---- small helpers -------------------------------------------------------- */

static gboolean
deny (GError **error, const char *what)
{
  g_set_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "%s", what);
  return FALSE;
}

static gboolean
require_admin (const PerchPrincipal *actor, GError **error)
{
  return actor->admin || deny (error, "only administrators may do this");
}

static gboolean
bad (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, msg);
  return FALSE;
}

static gboolean
rule (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
rule (GError **error, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_RULE, msg);
  return FALSE;
}

static void
audit (PerchChannel *channel, const PerchPrincipal *actor, const char *action, const char *target,
       const char *detail)
{
  g_autoptr(GError) error = NULL;
  g_message ("admin: %s %s %s%s%s", actor->uri, action, target ? target : "",
             detail ? " " : "", detail ? detail : "");
  if (!perch_store_audit_add (channel->store, actor->uri, action, target, detail, &error))
    g_warning ("audit log: %s", error->message);
}

static gboolean
valid_text (const char *s, gsize max, gboolean required, const char *field, GError **error)
{
  if (s == NULL)
    return !required || bad (error, "%s is required", field);
  if (required && *s == '\0')
    return bad (error, "%s must not be empty", field);
  if (!g_utf8_validate (s, -1, NULL))
    return bad (error, "%s is not UTF-8", field);
  if ((gsize) g_utf8_strlen (s, -1) > max)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "%s is longer than %" G_GSIZE_FORMAT " characters", field, max);
      return FALSE;
    }
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 && *p != '\t')
      return bad (error, "%s contains control characters", field);
  return TRUE;
}

/* A principal as written in a list: "sip:u@d" (normalized), "group:NAME"
 * or "domain:D". NULL when malformed. */
static char *
normalize_principal (const char *s)
{
  if (s == NULL)
    return NULL;
  if (g_str_has_prefix (s, "group:"))
    return valid_text (s + 6, 128, TRUE, "group", NULL) ? g_strdup (s) : NULL;
  if (g_str_has_prefix (s, "domain:"))
    {
      const char *d = s + 7;
      if (*d == '\0' || strlen (d) > 253)
        return NULL;
      for (const char *p = d; *p; p++)
        if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
          return NULL;
      return g_ascii_strdown (s, -1);
    }
  return perch_normalize_user_uri (s);
}

static gboolean
list_contains (GPtrArray *list, const char *s)
{
  for (guint i = 0; list && i < list->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (list, i), s) == 0)
      return TRUE;
  return FALSE;
}

/* Applies ADD then REMOVE to LIST. ADDED collects what was newly added. */
static gboolean
edit_list (GPtrArray *list, const char *const *add, const char *const *remove, const char *field,
           GPtrArray *added, GError **error)
{
  for (guint i = 0; add && add[i]; i++)
    {
      g_autofree char *p = normalize_principal (add[i]);
      if (p == NULL)
        return bad (error, "“%s” in %s is not a principal (sip:user@domain, group:NAME or domain:DOMAIN)", add[i], field);
      if (!list_contains (list, p))
        {
          if (list->len >= MAX_LIST)
            {
              g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "%s holds at most %d entries", field, MAX_LIST);
              return FALSE;
            }
          if (added)
            g_ptr_array_add (added, g_strdup (p));
          g_ptr_array_add (list, g_steal_pointer (&p));
        }
    }
  for (guint i = 0; remove && remove[i]; i++)
    {
      g_autofree char *p = normalize_principal (remove[i]);
      if (p == NULL)
        return bad (error, "“%s” in %s is not a principal", remove[i], field);
      for (guint j = 0; j < list->len; j++)
        if (g_ascii_strcasecmp (g_ptr_array_index (list, j), p) == 0)
          {
            g_ptr_array_remove_index (list, j);
            break;
          }
    }
  return TRUE;
}

const PerchPrincipal *
perch_admin_principal (PerchChannel *channel, const char *user)
{
  /* Principals live as long as the channel; one per user, refreshed. */
  g_autofree char *uri = perch_normalize_user_uri (user);
  if (uri == NULL)
    return NULL;
  g_autoptr(PerchUser) u = perch_store_user_get (channel->store, uri);
  if (u == NULL)
    return NULL;
  PerchPrincipal *p = g_hash_table_lookup (channel->principals, uri);
  if (p == NULL)
    {
      p = g_new0 (PerchPrincipal, 1);
      p->uri = g_strdup (uri);
      g_hash_table_insert (channel->principals, (char *) p->uri, p);
    }
  p->admin = u->admin;
  p->groups = g_hash_table_lookup (channel->user_groups, uri);
  return p;
}

/* ---- live effects --------------------------------------------------------- */

/* Parts SESSION from ROOM on the server's initiative and tells the client
 * (ntc:part naming the user itself, which Lync clients take as leaving). */
static void
force_part (PerchChannel *channel, PerchSession *session, PerchRoom *room)
{
  g_autoptr(GString) data = g_string_new ("<chanib");
  perch_xml_attr_append (data, "uri", room->uri);
  g_string_append (data, "><uib");
  perch_xml_attr_append (data, "uri", session->user);
  g_string_append (data, "/></chanib>");
  g_autoptr(GString) items = g_string_new (NULL);
  perch_xccos_append_ntc (items, "ntc:part", 1, data->str);
  g_autoptr(GBytes) body = _perch_channel_envelope (channel, items);
  _perch_session_send (session, body);
  _perch_channel_part (channel, session, room);
}

/* Every session in ROOM that may no longer be there is parted. */
static void
reevaluate_room (PerchChannel *channel, PerchRoom *room)
{
  g_autoptr(GPtrArray) leaving = g_ptr_array_new ();
  for (guint i = 0; i < room->sessions->len; i++)
    {
      PerchSession *s = g_ptr_array_index (room->sessions, i);
      if (room->info->disabled || !perch_policy_can_join (&s->who, room->info, room->cat, NULL))
        g_ptr_array_add (leaving, s);
    }
  for (guint i = 0; i < leaving->len; i++)
    force_part (channel, g_ptr_array_index (leaving, i), room);
}

static void
reevaluate_all (PerchChannel *channel)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((PerchRoom *) value)->sessions->len > 0)
      reevaluate_room (channel, value);
}

static void
invite (PerchChannel *channel, PerchRoom *room, GPtrArray *added)
{
  if (!room->info->invitations || room->cat == NULL || !room->cat->invitations)
    return;
  for (guint i = 0; added && i < added->len; i++)
    {
      const char *p = g_ptr_array_index (added, i);
      g_autoptr(GError) error = NULL;
      if (g_str_has_prefix (p, "sip:") && !perch_store_invitation_add (channel->store, p, room->info->id, &error))
        g_warning ("invitation of %s to %s: %s", p, room->info->id, error->message);
    }
}

/* ---- categories --------------------------------------------------------------- */

static PerchCategory *
find_category (PerchChannel *channel, const char *name_or_id)
{
  if (name_or_id == NULL)
    return NULL;
  gint64 id;
  if (perch_xccos_parse_int64 (name_or_id, &id))
    {
      PerchCategory *cat = g_hash_table_lookup (channel->categories, &id);
      if (cat)
        return cat;
    }
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->categories);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_utf8_collate (((PerchCategory *) value)->name, name_or_id) == 0 ||
        g_ascii_strcasecmp (((PerchCategory *) value)->name, name_or_id) == 0)
      return value;
  return NULL;
}

static gboolean
category_visible (const PerchPrincipal *actor, const PerchCategory *cat)
{
  return actor->admin || perch_policy_category_allows (actor, cat);
}

static int
compare_category_names (gconstpointer a, gconstpointer b)
{
  return g_utf8_collate ((*(PerchCategory *const *) a)->name, (*(PerchCategory *const *) b)->name);
}

GPtrArray *
perch_admin_category_list (PerchChannel *channel, const PerchPrincipal *actor)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_category_free);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->categories);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (category_visible (actor, value))
      g_ptr_array_add (out, perch_category_copy (value));
  g_ptr_array_sort (out, compare_category_names);
  return out;
}

static PerchCategory *
category_for (PerchChannel *channel, const PerchPrincipal *actor, const char *name_or_id, GError **error)
{
  PerchCategory *cat = find_category (channel, name_or_id);
  if (cat == NULL || !category_visible (actor, cat))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such category");
      return NULL;
    }
  return cat;
}

PerchCategory *
perch_admin_category_get (PerchChannel *channel, const PerchPrincipal *actor, const char *name_or_id, GError **error)
{
  PerchCategory *cat = category_for (channel, actor, name_or_id, error);
  return cat ? perch_category_copy (cat) : NULL;
}

static gboolean
normalize_list (GPtrArray **list, const char *field, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; *list && i < (*list)->len; i++)
    {
      const char *entry = g_ptr_array_index (*list, i);
      g_autofree char *p = normalize_principal (entry);
      if (p == NULL)
        return bad (error, "“%s” in %s is not a principal (sip:user@domain, group:NAME or domain:DOMAIN)", entry, field);
      if (!list_contains (out, p))
        g_ptr_array_add (out, g_steal_pointer (&p));
    }
  if (out->len > MAX_LIST)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_TOO_LARGE, "%s holds at most %d entries", field, MAX_LIST);
      return FALSE;
    }
  if (*list)
    g_ptr_array_unref (*list);
  *list = g_steal_pointer (&out);
  return TRUE;
}

gboolean
perch_admin_category_create (PerchChannel *channel, const PerchPrincipal *actor, PerchCategory *cat, GError **error)
{
  if (!require_admin (actor, error) ||
      !valid_text (cat->name, MAX_NAME, TRUE, "name", error) ||
      !valid_text (cat->description, MAX_DESCRIPTION, FALSE, "description", error) ||
      !normalize_list (&cat->allowed, "allowed_members", error) ||
      !normalize_list (&cat->denied, "denied_members", error) ||
      !normalize_list (&cat->creators, "creators", error))
    return FALSE;
  if (find_category (channel, cat->name) != NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT, "a category named “%s” exists", cat->name);
      return FALSE;
    }
  if (!perch_store_category_create (channel->store, cat, error))
    return FALSE;
  PerchCategory *mine = perch_category_copy (cat);
  g_hash_table_insert (channel->categories, &mine->id, mine);
  audit (channel, actor, "category.create", cat->name, NULL);
  return TRUE;
}

static void
copy_category_into (PerchCategory *dst, const PerchCategory *src)
{
  /* In place: rooms point at the category struct. */
  g_free (dst->name);
  g_free (dst->description);
  g_ptr_array_unref (dst->allowed);
  g_ptr_array_unref (dst->denied);
  g_ptr_array_unref (dst->creators);
  PerchCategory *copy = perch_category_copy (src);
  dst->name = g_steal_pointer (&copy->name);
  dst->description = g_steal_pointer (&copy->description);
  dst->allowed = g_steal_pointer (&copy->allowed);
  dst->denied = g_steal_pointer (&copy->denied);
  dst->creators = g_steal_pointer (&copy->creators);
  dst->file_upload = src->file_upload;
  dst->chat_history = src->chat_history;
  dst->invitations = src->invitations;
  g_free (copy);
}

gboolean
perch_admin_category_update (PerchChannel *channel, const PerchPrincipal *actor, const char *name_or_id,
                             const PerchCategoryPatch *patch, GError **error)
{
  PerchCategory *cat = category_for (channel, actor, name_or_id, error);
  if (cat == NULL || !require_admin (actor, error))
    return FALSE;
  g_autoptr(PerchCategory) next = perch_category_copy (cat);
  if (patch->name != NULL)
    {
      if (!valid_text (patch->name, MAX_NAME, TRUE, "name", error))
        return FALSE;
      PerchCategory *other = find_category (channel, patch->name);
      if (other != NULL && other != cat)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT, "a category named “%s” exists", patch->name);
          return FALSE;
        }
      g_free (next->name);
      next->name = g_strdup (patch->name);
    }
  if (patch->description != NULL)
    {
      if (!valid_text (patch->description, MAX_DESCRIPTION, FALSE, "description", error))
        return FALSE;
      g_free (next->description);
      next->description = g_strdup (patch->description);
    }
  if (patch->file_upload >= 0) next->file_upload = patch->file_upload != 0;
  if (patch->chat_history >= 0) next->chat_history = patch->chat_history != 0;
  if (patch->invitations >= 0) next->invitations = patch->invitations != 0;
  if (!edit_list (next->allowed, patch->allowed_add, patch->allowed_remove, "allowed_members", NULL, error) ||
      !edit_list (next->denied, patch->denied_add, patch->denied_remove, "denied_members", NULL, error) ||
      !edit_list (next->creators, patch->creators_add, patch->creators_remove, "creators", NULL, error))
    return FALSE;
  if (!perch_store_category_update (channel->store, next, error))
    return FALSE;
  copy_category_into (cat, next);
  audit (channel, actor, "category.update", cat->name, NULL);
  /* Who may be in its rooms may have changed. */
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((PerchRoom *) value)->cat == cat)
      reevaluate_room (channel, value);
  return TRUE;
}

gboolean
perch_admin_category_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *name_or_id, GError **error)
{
  PerchCategory *cat = category_for (channel, actor, name_or_id, error);
  if (cat == NULL || !require_admin (actor, error))
    return FALSE;
  GHashTableIter iter;
  gpointer value;
  guint rooms = 0;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((PerchRoom *) value)->cat == cat)
      rooms++;
  if (rooms > 0)
    return rule (error, "a category can be removed only when it holds no rooms (“%s” holds %u)", cat->name, rooms);
  g_autofree char *name = g_strdup (cat->name);
  if (!perch_store_category_delete (channel->store, cat->id, error))
    return FALSE;
  g_hash_table_remove (channel->categories, &cat->id);
  audit (channel, actor, "category.delete", name, NULL);
  return TRUE;
}

/* ---- rooms ------------------------------------------------------------------- */

static PerchRoom *
find_room (PerchChannel *channel, const char *room)
{
  if (room == NULL)
    return NULL;
  PerchRoom *r = g_hash_table_lookup (channel->rooms, room);
  if (r == NULL)
    r = _perch_channel_room_by_uri (channel, room);
  if (r == NULL)
    {
      GHashTableIter iter;
      gpointer value;
      g_hash_table_iter_init (&iter, channel->rooms);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (g_ascii_strcasecmp (((PerchRoom *) value)->info->name, room) == 0)
          return value;
    }
  return r;
}

/* What ACTOR may see of rooms here: administrators all; managers their
 * rooms, disabled ones too; everyone else what chatting would find. */
static gboolean
room_visible (const PerchPrincipal *actor, PerchRoom *room)
{
  if (actor->admin)
    return TRUE;
  if (perch_policy_is_manager (actor, room->info, room->cat))
    return TRUE;
  return perch_policy_can_find (actor, room->info, room->cat, NULL);
}

static PerchRoom *
room_for (PerchChannel *channel, const PerchPrincipal *actor, const char *room, GError **error)
{
  PerchRoom *r = find_room (channel, room);
  if (r == NULL || !room_visible (actor, r))
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such room");
      return NULL;
    }
  return r;
}

void
perch_room_view_free (PerchRoomView *view)
{
  if (view == NULL)
    return;
  perch_room_info_free (view->info);
  g_free (view->uri);
  g_free (view->category_name);
  g_free (view);
}

void
perch_room_page_free (PerchRoomPage *page)
{
  if (page == NULL)
    return;
  g_ptr_array_unref (page->rooms);
  g_free (page->next_cursor);
  g_free (page);
}

static PerchRoomView *
view_of (PerchRoom *room)
{
  PerchRoomView *view = g_new0 (PerchRoomView, 1);
  view->info = perch_room_info_copy (room->info);
  view->uri = g_strdup (room->uri);
  view->category_name = g_strdup (room->cat ? room->cat->name : "");
  view->participants = g_hash_table_size (room->participants);
  view->stats = room->stats;
  return view;
}

PerchRoomView *
perch_admin_room_get (PerchChannel *channel, const PerchPrincipal *actor, const char *room, GError **error)
{
  PerchRoom *r = room_for (channel, actor, room, error);
  return r ? view_of (r) : NULL;
}

/* Sort keys: a room's position is (key, id); the cursor names the last one
 * returned, so paging is stable while rooms come and go. */
typedef struct {
  PerchRoomSort sort;
  gboolean      descending;
  gboolean      has_cursor;
  char         *cursor_text;    /* NAME: folded name */
  gint64        cursor_num;     /* other sorts */
  char         *cursor_id;
} Order;

static gint64
room_num_key (PerchRoom *room, PerchRoomSort sort)
{
  switch (sort)
    {
    case PERCH_ROOM_SORT_CREATED:  return room->info->created_us;
    case PERCH_ROOM_SORT_ACTIVITY: return room->stats.last_post_us;
    case PERCH_ROOM_SORT_SIZE:     return room->stats.bytes;
    default:                       return 0;
    }
}

static const char *
room_name_key (PerchRoom *room)
{
  /* folded is "name\ndescription": compare up to the newline. */
  return room->folded;
}

static int
compare_name_keys (const char *a, const char *b)
{
  for (;; a++, b++)
    {
      char ca = *a == '\n' ? '\0' : *a;
      char cb = *b == '\n' ? '\0' : *b;
      if (ca != cb)
        return (guchar) ca < (guchar) cb ? -1 : 1;
      if (ca == '\0')
        return 0;
    }
}

static int
order_compare (const Order *order, PerchRoom *a, PerchRoom *b)
{
  int c;
  if (order->sort == PERCH_ROOM_SORT_NAME)
    c = compare_name_keys (room_name_key (a), room_name_key (b));
  else
    {
      gint64 ka = room_num_key (a, order->sort), kb = room_num_key (b, order->sort);
      c = ka < kb ? -1 : ka > kb;
    }
  if (c == 0)
    c = strcmp (a->info->id, b->info->id);
  return order->descending ? -c : c;
}

/* Is ROOM after the cursor? */
static gboolean
after_cursor (const Order *order, PerchRoom *room)
{
  if (!order->has_cursor)
    return TRUE;
  int c;
  if (order->sort == PERCH_ROOM_SORT_NAME)
    c = compare_name_keys (room_name_key (room), order->cursor_text);
  else
    {
      gint64 k = room_num_key (room, order->sort);
      c = k < order->cursor_num ? -1 : k > order->cursor_num;
    }
  if (c == 0)
    c = strcmp (room->info->id, order->cursor_id);
  return (order->descending ? -c : c) > 0;
}

static char *
encode_cursor (const Order *order, PerchRoom *room)
{
  g_autofree char *raw = order->sort == PERCH_ROOM_SORT_NAME
    ? g_strdup_printf ("n\x1f%.*s\x1f%s", (int) strcspn (room->folded, "\n"), room->folded, room->info->id)
    : g_strdup_printf ("k\x1f%" G_GINT64_FORMAT "\x1f%s", room_num_key (room, order->sort), room->info->id);
  return g_base64_encode ((const guchar *) raw, strlen (raw));
}

static gboolean
decode_cursor (Order *order, const char *cursor, GError **error)
{
  if (cursor == NULL || *cursor == '\0')
    return TRUE;
  if (strlen (cursor) > 2048)
    return bad (error, "malformed cursor");
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode (cursor, &len);
  g_autofree char *text = raw ? g_strndup ((const char *) raw, len) : NULL;
  g_auto(GStrv) parts = text && strlen (text) == len ? g_strsplit (text, "\x1f", 3) : NULL;
  if (parts == NULL || g_strv_length (parts) != 3 || !g_utf8_validate (parts[1], -1, NULL))
    return bad (error, "malformed cursor");
  gboolean by_name = order->sort == PERCH_ROOM_SORT_NAME;
  if (strcmp (parts[0], by_name ? "n" : "k") != 0)
    return bad (error, "the cursor belongs to another sort order");
  if (!by_name && !g_ascii_string_to_signed (parts[1], 10, G_MININT64, G_MAXINT64, &order->cursor_num, NULL))
    return bad (error, "malformed cursor");
  order->cursor_text = g_strdup (parts[1]);
  order->cursor_id = g_strdup (parts[2]);
  order->has_cursor = TRUE;
  return TRUE;
}

/* A bounded max-heap keeps the LIMIT first rooms of a scan: O(n log limit),
 * so a page of 100 from 100,000 rooms costs one pass, not a sort. */
typedef struct {
  PerchRoom  **items;
  guint        len, cap;
  const Order *order;
} Heap;

static void
heap_swap (Heap *h, guint i, guint j)
{
  PerchRoom *t = h->items[i];
  h->items[i] = h->items[j];
  h->items[j] = t;
}

static void
heap_push (Heap *h, PerchRoom *room)
{
  if (h->len == h->cap)
    {
      /* Full: replace the largest if ROOM comes before it. */
      if (order_compare (h->order, room, h->items[0]) >= 0)
        return;
      h->items[0] = room;
      guint i = 0;
      for (;;)
        {
          guint l = 2 * i + 1, r = l + 1, m = i;
          if (l < h->len && order_compare (h->order, h->items[l], h->items[m]) > 0) m = l;
          if (r < h->len && order_compare (h->order, h->items[r], h->items[m]) > 0) m = r;
          if (m == i)
            break;
          heap_swap (h, i, m);
          i = m;
        }
      return;
    }
  guint i = h->len++;
  h->items[i] = room;
  while (i > 0 && order_compare (h->order, h->items[(i - 1) / 2], h->items[i]) < 0)
    {
      heap_swap (h, i, (i - 1) / 2);
      i = (i - 1) / 2;
    }
}

static int
order_compare_qsort (gconstpointer a, gconstpointer b, gpointer order)
{
  return order_compare (order, *(PerchRoom **) a, *(PerchRoom **) b);
}

PerchRoomPage *
perch_admin_room_list (PerchChannel *channel, const PerchPrincipal *actor, const PerchRoomQuery *query,
                       GError **error)
{
  guint limit = query->limit == 0 ? 100 : query->limit;
  if (limit > MAX_PAGE)
    {
      bad (error, "limit is at most %d", MAX_PAGE);
      return NULL;
    }
  Order order = { .sort = query->sort, .descending = query->descending };
  if (query->sort > PERCH_ROOM_SORT_SIZE)
    {
      bad (error, "unknown sort order");
      return NULL;
    }
  PerchCategory *cat = NULL;
  if (query->category != NULL && (cat = category_for (channel, actor, query->category, error)) == NULL)
    return NULL;
  g_autofree char *member = query->member ? normalize_principal (query->member) : NULL;
  g_autofree char *manager = query->manager ? normalize_principal (query->manager) : NULL;
  if ((query->member && member == NULL) || (query->manager && manager == NULL))
    {
      bad (error, "member and manager filters take a principal");
      return NULL;
    }
  if (query->text != NULL && !valid_text (query->text, MAX_NAME, FALSE, "text", error))
    return NULL;
  g_autofree char *text = query->text && *query->text ? g_utf8_casefold (query->text, -1) : NULL;
  if (!decode_cursor (&order, query->cursor, error))
    return NULL;

  /* One more than a page, to know whether there is a next one. */
  Heap heap = { g_new (PerchRoom *, limit + 1), 0, limit + 1, &order };
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PerchRoom *room = value;
      if ((cat && room->cat != cat) ||
          (query->privacy >= 0 && (int) room->info->privacy != query->privacy) ||
          (query->type >= 0 && (int) room->info->type != query->type) ||
          (query->disabled >= 0 && room->info->disabled != (query->disabled != 0)) ||
          (member && !list_contains (room->info->members, member)) ||
          (manager && !list_contains (room->info->managers, manager)) ||
          (query->min_bytes > 0 && room->stats.bytes <= query->min_bytes) ||
          (text && strstr (room->folded, text) == NULL) ||
          !after_cursor (&order, room) ||
          !room_visible (actor, room))
        continue;
      heap_push (&heap, room);
    }
  g_qsort_with_data (heap.items, heap.len, sizeof (PerchRoom *), order_compare_qsort, &order);
  PerchRoomPage *page = g_new0 (PerchRoomPage, 1);
  page->rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_room_view_free);
  for (guint i = 0; i < heap.len && i < limit; i++)
    g_ptr_array_add (page->rooms, view_of (heap.items[i]));
  if (heap.len > limit)
    page->next_cursor = encode_cursor (&order, heap.items[limit - 1]);
  g_free (heap.items);
  g_free (order.cursor_text);
  g_free (order.cursor_id);
  return page;
}

/* Entries of LIST that CAT does not allow. */
static void
drop_disallowed (GPtrArray *list, const PerchCategory *cat, PerchChannel *channel)
{
  for (guint i = list->len; i > 0; i--)
    {
      const char *p = g_ptr_array_index (list, i - 1);
      if (!g_str_has_prefix (p, "sip:"))
        continue;  /* groups and domains are bounded by the category when used */
      PerchPrincipal who = { .uri = p, .groups = g_hash_table_lookup (channel->user_groups, p) };
      if (!perch_policy_category_allows (&who, cat))
        g_ptr_array_remove_index (list, i - 1);
    }
}

static gboolean
check_lists_allowed (PerchChannel *channel, const PerchRoomInfo *info, const PerchCategory *cat, GError **error)
{
  GPtrArray *lists[] = { info->members, info->managers, info->presenters };
  const char *names[] = { "members", "managers", "presenters" };
  for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
    for (guint i = 0; lists[k] && i < lists[k]->len; i++)
      {
        const char *p = g_ptr_array_index (lists[k], i);
        if (!g_str_has_prefix (p, "sip:"))
          continue;
        PerchPrincipal who = { .uri = p, .groups = g_hash_table_lookup (channel->user_groups, p) };
        if (!perch_policy_category_allows (&who, cat))
          return rule (error, "the category's allowed and denied members bound who can be in a room's %s: "
                              "“%s” is not allowed in “%s”", names[k], p, cat->name);
      }
  return TRUE;
}

static gboolean
valid_addin (PerchChannel *channel, const char *addin, GError **error)
{
  if (addin == NULL || *addin == '\0')
    return TRUE;
  g_autoptr(GPtrArray) addins = perch_store_addin_list (channel->store, error);
  if (addins == NULL)
    return FALSE;
  for (guint i = 0; i < addins->len; i++)
    if (strcmp (((PerchAddin *) g_ptr_array_index (addins, i))->name, addin) == 0)
      return TRUE;
  return rule (error, "a room's add-in must be one registered in the pool (no add-in “%s”)", addin);
}

static gboolean
name_free (PerchChannel *channel, const char *name, PerchRoom *self, GError **error)
{
  PerchRoom *other = find_room (channel, name);
  if (other != NULL && other != self && g_ascii_strcasecmp (other->info->name, name) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT, "a room named “%s” exists", name);
      return FALSE;
    }
  return TRUE;
}

PerchRoomView *
perch_admin_room_create (PerchChannel *channel, const PerchPrincipal *actor, const PerchRoomInfo *room,
                         const char *category, GError **error)
{
  if (category == NULL)
    {
      bad (error, "category is required");
      return NULL;
    }
  PerchCategory *cat = category_for (channel, actor, category, error);
  if (cat == NULL || !perch_policy_can_create_in (actor, cat, error))
    return NULL;
  g_autoptr(PerchRoomInfo) info = perch_room_info_copy (room);
  g_clear_pointer (&info->id, g_free);
  info->category_id = cat->id;
  if (!valid_text (info->name, MAX_NAME, TRUE, "name", error) ||
      !valid_text (info->description, MAX_DESCRIPTION, FALSE, "description", error) ||
      !name_free (channel, info->name, NULL, error) ||
      !valid_addin (channel, info->addin, error) ||
      !normalize_list (&info->members, "members", error) ||
      !normalize_list (&info->managers, "managers", error) ||
      !normalize_list (&info->presenters, "presenters", error))
    return NULL;
  if (info->privacy > PERCH_PRIVACY_SECRET || info->type > PERCH_ROOM_AUDITORIUM)
    {
      bad (error, "unknown privacy or type");
      return NULL;
    }
  /* The creator becomes a manager. */
  if (!list_contains (info->managers, actor->uri))
    g_ptr_array_add (info->managers, g_strdup (actor->uri));
  if (!check_lists_allowed (channel, info, cat, error))
    return NULL;
  if (!perch_store_room_create (channel->store, info, error))
    return NULL;
  PerchRoom *r = g_hash_table_lookup (channel->rooms, info->id);
  g_assert (r == NULL);
  r = _perch_channel_room_new (channel, perch_room_info_copy (info));
  _perch_channel_room_add (channel, r);
  audit (channel, actor, "room.create", info->id, info->name);
  invite (channel, r, info->members);
  return view_of (r);
}

PerchRoomView *
perch_admin_room_update (PerchChannel *channel, const PerchPrincipal *actor, const char *room,
                         const PerchRoomPatch *patch, GError **error)
{
  PerchRoom *r = room_for (channel, actor, room, error);
  if (r == NULL || !perch_policy_can_manage (actor, r->info, r->cat, error))
    return NULL;
  g_autoptr(PerchRoomInfo) next = perch_room_info_copy (r->info);
  PerchCategory *cat = r->cat;
  g_autoptr(GString) changes = g_string_new (NULL);
  if (patch->name != NULL)
    {
      if (!valid_text (patch->name, MAX_NAME, TRUE, "name", error) || !name_free (channel, patch->name, r, error))
        return NULL;
      g_free (next->name);
      next->name = g_strdup (patch->name);
      g_string_append (changes, " name");
    }
  if (patch->description != NULL)
    {
      if (!valid_text (patch->description, MAX_DESCRIPTION, FALSE, "description", error))
        return NULL;
      g_free (next->description);
      next->description = g_strdup (patch->description);
      g_string_append (changes, " description");
    }
  if (patch->privacy >= 0)
    {
      if (patch->privacy > PERCH_PRIVACY_SECRET)
        {
          bad (error, "unknown privacy");
          return NULL;
        }
      next->privacy = patch->privacy;
      g_string_append (changes, " privacy");
    }
  if (patch->type >= 0)
    {
      if (patch->type > PERCH_ROOM_AUDITORIUM)
        {
          bad (error, "unknown type");
          return NULL;
        }
      next->type = patch->type;
      g_string_append (changes, " type");
    }
  if (patch->disabled >= 0)
    {
      next->disabled = patch->disabled != 0;
      g_string_append (changes, next->disabled ? " disabled" : " enabled");
    }
  if (patch->invitations >= 0)
    next->invitations = patch->invitations != 0;
  if (patch->addin != NULL)
    {
      if (!valid_addin (channel, patch->addin, error))
        return NULL;
      g_free (next->addin);
      next->addin = *patch->addin ? g_strdup (patch->addin) : NULL;
    }
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_free);
  if (!edit_list (next->members, patch->members_add, patch->members_remove, "members", added, error) ||
      !edit_list (next->managers, patch->managers_add, patch->managers_remove, "managers", NULL, error) ||
      !edit_list (next->presenters, patch->presenters_add, patch->presenters_remove, "presenters", NULL, error))
    return NULL;
  if (patch->category != NULL)
    {
      PerchCategory *target = category_for (channel, actor, patch->category, error);
      if (target == NULL)
        return NULL;
      if (target != cat)
        {
          /* Managers may move a room only where they are creators. */
          if (!actor->admin && !perch_policy_can_create_in (actor, target, NULL))
            {
              rule (error, "a manager may move a room only to a category where they are a creator");
              return NULL;
            }
          /* Entries the new category does not allow are dropped. */
          drop_disallowed (next->members, target, channel);
          drop_disallowed (next->managers, target, channel);
          drop_disallowed (next->presenters, target, channel);
          next->category_id = target->id;
          cat = target;
          g_string_append_printf (changes, " category=%s", target->name);
        }
    }
  if (!check_lists_allowed (channel, next, cat, error))
    return NULL;
  if (!perch_store_room_update (channel->store, next, error))
    return NULL;
  /* In place: sessions and the id key point into the room. Out of the
   * search index while its name and text change. */
  perch_room_index_remove (channel->index, r);
  char *id = r->info->id;
  r->info->id = NULL;
  perch_room_info_free (r->info);
  r->info = g_steal_pointer (&next);
  g_free (r->info->id);
  r->info->id = id;
  r->cat = cat;
  g_free (r->folded);
  r->folded = _perch_room_fold_text (r->info);
  g_clear_pointer (&r->chanib_head, g_free);
  perch_room_index_add (channel->index, r);
  if (patch->members_add || patch->members_remove || patch->managers_add || patch->managers_remove ||
      patch->presenters_add || patch->presenters_remove)
    g_string_append (changes, " lists");
  audit (channel, actor, "room.update", r->info->id, changes->len ? changes->str + 1 : NULL);
  reevaluate_room (channel, r);
  invite (channel, r, added);
  return view_of (r);
}

gboolean
perch_admin_room_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *room, GError **error)
{
  PerchRoom *r = room_for (channel, actor, room, error);
  if (r == NULL || !require_admin (actor, error))
    return FALSE;
  if (!perch_store_room_delete (channel->store, r->info->id, error))
    return FALSE;
  g_autofree char *id = g_strdup (r->info->id);
  g_autofree char *name = g_strdup (r->info->name);
  while (r->sessions->len > 0)
    force_part (channel, g_ptr_array_index (r->sessions, 0), r);
  _perch_channel_room_remove (channel, id);
  audit (channel, actor, "room.delete", id, name);
  return TRUE;
}

GPtrArray *
perch_admin_eligible (PerchChannel *channel, const PerchPrincipal *actor, const char *room,
                      const char *category, const char *text, guint limit, GError **error)
{
  PerchCategory *cat = NULL;
  if (room != NULL)
    {
      PerchRoom *r = room_for (channel, actor, room, error);
      if (r == NULL || !perch_policy_can_manage (actor, r->info, r->cat, error))
        return NULL;
      cat = r->cat;
    }
  else if ((cat = category_for (channel, actor, category, error)) == NULL)
    return NULL;
  else if (!actor->admin && !perch_policy_can_create_in (actor, cat, NULL))
    {
      deny (error, "only administrators and the category's creators may list this");
      return NULL;
    }
  if (limit == 0 || limit > MAX_PAGE)
    limit = 100;
  g_autofree char *needle = text && *text ? g_utf8_casefold (text, -1) : NULL;
  g_autoptr(GPtrArray) users = perch_store_user_list (channel->store, error);
  if (users == NULL)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_user_free);
  for (guint i = 0; i < users->len && out->len < limit; i++)
    {
      PerchUser *u = g_ptr_array_index (users, i);
      PerchPrincipal who = { .uri = u->uri, .groups = g_hash_table_lookup (channel->user_groups, u->uri) };
      if (!perch_policy_category_allows (&who, cat))
        continue;
      if (needle != NULL)
        {
          g_autofree char *hay = g_utf8_casefold (u->display_name ? u->display_name : "", -1);
          if (strstr (u->uri, needle) == NULL && strstr (hay, needle) == NULL)
            continue;
        }
      g_ptr_array_index (users, i) = NULL;
      g_clear_pointer (&u->ha1, g_free);
      g_ptr_array_add (out, u);
    }
  return out;
}

/* ---- content ---------------------------------------------------------------- */

GPtrArray *
perch_admin_history (PerchChannel *channel, const PerchPrincipal *actor, const char *room, gint64 before_id,
                     gint64 after_us, guint limit, GError **error)
{
  PerchRoom *r = room_for (channel, actor, room, error);
  if (r == NULL)
    return NULL;
  if (!actor->admin && r->info->disabled)
    {
      /* Its manager sees the room here, so "missing" would be a lie. */
      deny (error, "the room is disabled: its content comes back when it is enabled");
      return NULL;
    }
  if (!actor->admin && !perch_policy_can_join (actor, r->info, r->cat, error))
    return NULL;
  if (limit == 0 || limit > MAX_PAGE)
    limit = 100;
  if (actor->admin)
    return after_us > 0 ? perch_store_messages_range (channel->store, r->info->id, 0, after_us, 0, limit, error)
                        : perch_store_history (channel->store, r->info->id, before_id, limit, error);
  /* Readers do not see removed messages; keep reading until the page holds
   * LIMIT readable ones or the room has no more. */
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
  gint64 before = before_id, after = 0;
  for (;;)
    {
      g_autoptr(GPtrArray) msgs = after_us > 0
        ? perch_store_messages_range (channel->store, r->info->id, after, after_us, 0, limit, error)
        : perch_store_history (channel->store, r->info->id, before, limit, error);
      if (msgs == NULL)
        {
          g_ptr_array_unref (out);
          return NULL;
        }
      if (after_us > 0)
        {
          for (guint i = 0; i < msgs->len && out->len < limit; i++)
            {
              PerchMessage *m = g_ptr_array_index (msgs, i);
              after = m->id;
              if (m->state != PERCH_MSG_REMOVED)
                g_ptr_array_add (out, g_steal_pointer (&g_ptr_array_index (msgs, i)));
            }
        }
      else
        {
          /* Oldest first: collect newest-last, in front of what is there. */
          for (guint i = msgs->len; i > 0 && out->len < limit; i--)
            {
              PerchMessage *m = g_ptr_array_index (msgs, i - 1);
              before = m->id;
              if (m->state != PERCH_MSG_REMOVED)
                g_ptr_array_insert (out, 0, g_steal_pointer (&g_ptr_array_index (msgs, i - 1)));
            }
        }
      if (msgs->len < limit || out->len >= limit)
        break;
    }
  return out;
}

gint64
perch_admin_messages_change (PerchChannel *channel, const PerchPrincipal *actor, const PerchMessageFilter *filter,
                             const char *replacement, GError **error)
{
  if (!require_admin (actor, error))
    return -1;
  PerchRoom *r = room_for (channel, actor, filter->room_id, error);
  if (r == NULL)
    return -1;
  if (replacement != NULL && !valid_text (replacement, channel->config.message_size_limit, FALSE, "replacement", error))
    return -1;
  for (guint i = 0; filter->keywords && filter->keywords[i]; i++)
    if (!valid_text (filter->keywords[i], MAX_NAME, TRUE, "keyword", error))
      return -1;
  g_autofree char *author = NULL;
  if (filter->author != NULL && (author = perch_normalize_user_uri (filter->author)) == NULL)
    {
      bad (error, "author must be a user address");
      return -1;
    }
  PerchMessageFilter f = *filter;
  f.room_id = r->info->id;
  f.author = author;
  g_autoptr(GArray) ids = perch_store_messages_change (channel->store, &f, replacement, actor->uri, error);
  if (ids == NULL)
    return -1;
  /* Every cache sees it: the recent history of this room. */
  g_autoptr(GHashTable) changed = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < ids->len; i++)
    g_hash_table_add (changed, &g_array_index (ids, gint64, i));
  for (GList *l = r->recent.head; l; l = l->next)
    {
      PerchMessage *m = l->data;
      if (!g_hash_table_contains (changed, &m->id))
        continue;
      g_free (m->content);
      m->content = g_strdup (replacement ? replacement : "");
      m->state = replacement ? PERCH_MSG_REPLACED : PERCH_MSG_REMOVED;
    }
  /* The store's counts moved; reread them. */
  _perch_channel_refresh_stats (channel, r);
  g_autofree char *detail = g_strdup_printf ("%u messages", ids->len);
  audit (channel, actor, replacement ? "message.replace" : "message.remove", r->info->id, detail);
  return ids->len;
}

gint64
perch_admin_room_clear (PerchChannel *channel, const PerchPrincipal *actor, const char *room, gint64 up_to_us,
                        GError **error)
{
  if (!require_admin (actor, error))
    return -1;
  PerchRoom *r = room_for (channel, actor, room, error);
  if (r == NULL)
    return -1;
  if (up_to_us <= 0)
    {
      bad (error, "a date to clear up to is required");
      return -1;
    }
  gint64 n = perch_store_room_clear (channel->store, r->info->id, up_to_us, actor->uri, error);
  if (n < 0)
    return -1;
  /* Simplest correct cache: drop it; the next read reloads what is left. */
  g_queue_clear_full (&r->recent, (GDestroyNotify) perch_message_free);
  r->recent_loaded = FALSE;
  _perch_channel_refresh_stats (channel, r);
  g_autofree char *ts = perch_format_ts (up_to_us);
  g_autofree char *detail = g_strdup_printf ("up to %s: %" G_GINT64_FORMAT " messages", ts, n);
  audit (channel, actor, "room.clear", r->info->id, detail);
  return n;
}

/* ---- users, groups, add-ins ------------------------------------------------- */

static void
end_sessions_of (PerchChannel *channel, const char *uri)
{
  g_autoptr(GPtrArray) ending = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, channel->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (strcmp (((PerchSession *) key)->user, uri) == 0)
      g_ptr_array_add (ending, key);
  for (guint i = 0; i < ending->len; i++)
    {
      PerchSession *s = g_ptr_array_index (ending, i);
      s->transport->end (s->transport_data, "no longer allowed to chat");
    }
}

gboolean
perch_admin_user_put (PerchChannel *channel, const PerchPrincipal *actor, const char *uri, const char *display_name,
                      const char *password, int admin, int enabled, GError **error)
{
  if (!require_admin (actor, error))
    return FALSE;
  g_autofree char *norm = perch_normalize_user_uri (uri);
  if (norm == NULL)
    return bad (error, "“%s” is not a user address", uri ? uri : "");
  if (!g_str_has_suffix (norm, channel->config.domain) || norm[strlen (norm) - strlen (channel->config.domain) - 1] != '@')
    return rule (error, "users belong to the pool's domain %s", channel->config.domain);
  if (!valid_text (display_name, MAX_NAME, FALSE, "display_name", error))
    return FALSE;
  if (enabled < -1 || enabled > 1)
    return bad (error, "enabled is true, false or unset");
  g_autoptr(PerchUser) old = perch_store_user_get (channel->store, norm);
  if (old == NULL && password == NULL)
    return bad (error, "a new user needs a password");
  if (password != NULL && (strlen (password) < 8 || strlen (password) > 1024))
    return bad (error, "a password has 8 to 1024 characters");
  g_autofree char *ha1 = password ? perch_digest_ha1 (norm + 4, channel->config.domain, password) : NULL;
  PerchUser user = {
    .uri = norm,
    .display_name = (char *) (display_name ? display_name : old ? old->display_name : ""),
    .ha1 = ha1 ? ha1 : old->ha1,
    .admin = admin >= 0 ? admin != 0 : old && old->admin,
    .enabled = enabled,
  };
  if (!perch_store_user_put (channel->store, &user, error))
    return FALSE;
  PerchPrincipal *p = g_hash_table_lookup (channel->principals, norm);
  if (p)
    p->admin = user.admin;
  /* Sessions follow at once: the admin flag, and chat permission. */
  GHashTableIter iter;
  gpointer key;
  g_hash_table_iter_init (&iter, channel->sessions);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (strcmp (((PerchSession *) key)->user, norm) == 0)
      ((PerchSession *) key)->who.admin = user.admin;
  if (!perch_policy_chat_enabled (user.enabled, channel->config.chat_enabled_default))
    end_sessions_of (channel, norm);
  else
    reevaluate_all (channel);
  audit (channel, actor, old ? "user.update" : "user.create", norm, password && old ? "password changed" : NULL);
  return TRUE;
}

gboolean
perch_admin_user_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *uri, GError **error)
{
  if (!require_admin (actor, error))
    return FALSE;
  g_autofree char *norm = perch_normalize_user_uri (uri);
  if (norm == NULL)
    return bad (error, "“%s” is not a user address", uri ? uri : "");
  if (g_strcmp0 (norm, actor->uri) == 0)
    return rule (error, "administrators cannot delete themselves");
  if (!perch_store_user_delete (channel->store, norm, error))
    return FALSE;
  end_sessions_of (channel, norm);
  GHashTable *set = g_hash_table_lookup (channel->user_groups, norm);
  if (set)
    g_hash_table_remove_all (set);
  audit (channel, actor, "user.delete", norm, NULL);
  return TRUE;
}

GPtrArray *
perch_admin_user_list (PerchChannel *channel, const PerchPrincipal *actor, GError **error)
{
  if (!require_admin (actor, error))
    return NULL;
  GPtrArray *users = perch_store_user_list (channel->store, error);
  for (guint i = 0; users && i < users->len; i++)
    g_clear_pointer (&((PerchUser *) g_ptr_array_index (users, i))->ha1, g_free);
  return users;
}

/* Rebuilds user -> groups in place (sessions hold pointers to the sets). */
static gboolean
reload_groups (PerchChannel *channel, GError **error)
{
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->user_groups);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_hash_table_remove_all (value);
  g_autoptr(GPtrArray) groups = perch_store_group_list (channel->store, error);
  if (groups == NULL)
    return FALSE;
  for (guint i = 0; i < groups->len; i++)
    {
      const char *group = g_ptr_array_index (groups, i);
      g_autoptr(GPtrArray) members = perch_store_group_members (channel->store, group, error);
      if (members == NULL)
        return FALSE;
      for (guint j = 0; j < members->len; j++)
        _perch_channel_add_group_member (channel, g_ptr_array_index (members, j), group);
    }
  /* Sessions opened before a user had any group get their set now. */
  GHashTableIter siter;
  gpointer key;
  g_hash_table_iter_init (&siter, channel->sessions);
  while (g_hash_table_iter_next (&siter, &key, NULL))
    ((PerchSession *) key)->who.groups = g_hash_table_lookup (channel->user_groups, ((PerchSession *) key)->user);
  g_hash_table_iter_init (&iter, channel->principals);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((PerchPrincipal *) value)->groups = g_hash_table_lookup (channel->user_groups, ((PerchPrincipal *) value)->uri);
  reevaluate_all (channel);
  return TRUE;
}

gboolean
perch_admin_group_put (PerchChannel *channel, const PerchPrincipal *actor, const char *name,
                       const char *const *members, GError **error)
{
  if (!require_admin (actor, error) || !valid_text (name, 128, TRUE, "name", error))
    return FALSE;
  g_autoptr(GPtrArray) norm = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; members && members[i]; i++)
    {
      char *uri = perch_normalize_user_uri (members[i]);
      if (uri == NULL)
        return bad (error, "group members are user addresses, not “%s”", members[i]);
      g_ptr_array_add (norm, uri);
    }
  g_ptr_array_add (norm, NULL);
  if (!perch_store_group_put (channel->store, name, (const char *const *) norm->pdata, error) ||
      !reload_groups (channel, error))
    return FALSE;
  g_autofree char *detail = g_strdup_printf ("%u members", norm->len - 1);
  audit (channel, actor, "group.put", name, detail);
  return TRUE;
}

gboolean
perch_admin_group_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *name, GError **error)
{
  if (!require_admin (actor, error))
    return FALSE;
  if (!perch_store_group_delete (channel->store, name, error) || !reload_groups (channel, error))
    return FALSE;
  audit (channel, actor, "group.delete", name, NULL);
  return TRUE;
}

GHashTable *
perch_admin_group_list (PerchChannel *channel, const PerchPrincipal *actor, GError **error)
{
  if (!require_admin (actor, error))
    return NULL;
  g_autoptr(GPtrArray) groups = perch_store_group_list (channel->store, error);
  if (groups == NULL)
    return NULL;
  GHashTable *out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < groups->len; i++)
    {
      const char *group = g_ptr_array_index (groups, i);
      GPtrArray *members = perch_store_group_members (channel->store, group, error);
      if (members == NULL)
        {
          g_hash_table_unref (out);
          return NULL;
        }
      g_hash_table_insert (out, g_strdup (group), members);
    }
  return out;
}

gboolean
perch_admin_addin_put (PerchChannel *channel, const PerchPrincipal *actor, const char *name, const char *url,
                       GError **error)
{
  if (!require_admin (actor, error) || !valid_text (name, MAX_NAME, TRUE, "name", error))
    return FALSE;
  if (url == NULL || !(g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://")) ||
      strlen (url) > 2048 || !g_uri_is_valid (url, G_URI_FLAGS_NONE, NULL))
    return bad (error, "an add-in's url is an http or https URL");
  PerchAddin addin = { .name = (char *) name, .url = (char *) url };
  if (!perch_store_addin_put (channel->store, &addin, error))
    return FALSE;
  audit (channel, actor, "addin.put", name, url);
  return TRUE;
}

gboolean
perch_admin_addin_delete (PerchChannel *channel, const PerchPrincipal *actor, const char *name, GError **error)
{
  if (!require_admin (actor, error))
    return FALSE;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((PerchRoom *) value)->info->addin, name) == 0)
      return rule (error, "add-in “%s” is used by room “%s”", name, ((PerchRoom *) value)->info->name);
  if (!perch_store_addin_delete (channel->store, name, error))
    return FALSE;
  audit (channel, actor, "addin.delete", name, NULL);
  return TRUE;
}

GPtrArray *
perch_admin_addin_list (PerchChannel *channel, const PerchPrincipal *actor, GError **error)
{
  return perch_store_addin_list (channel->store, error);
}

/* ---- configuration, status, audit ------------------------------------------- */

GHashTable *
perch_admin_config_get (PerchChannel *channel, const PerchPrincipal *actor)
{
  GHashTable *out = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; perch_channel_config_keys[i]; i++)
    if (actor->admin || !perch_channel_config_is_local (perch_channel_config_keys[i]))
      g_hash_table_insert (out, (char *) perch_channel_config_keys[i],
                           perch_channel_config_value (channel, perch_channel_config_keys[i]));
  return out;
}

gboolean
perch_admin_config_set (PerchChannel *channel, const PerchPrincipal *actor, const char *key, const char *value,
                        GError **error)
{
  if (!require_admin (actor, error) || !perch_channel_config_validate (key, value, error))
    return FALSE;
  if (perch_channel_config_is_local (key))
    return rule (error, "%s names a program or a place on the server's disk: it is set with "
                        "perchd --config where the server runs, not over the network", key);
  if (!perch_store_config_set (channel->store, key, value, error))
    return FALSE;
  _perch_channel_reload_config (channel);
  audit (channel, actor, "config.set", key, value);
  return TRUE;
}

void
perch_admin_server_status (PerchChannel *channel, PerchServerStatus *status)
{
  status->uri = channel->config.server_uri;
  status->sessions = g_hash_table_size (channel->sessions);
  guint joined = 0;
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init (&iter, channel->rooms);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    joined += ((PerchRoom *) value)->sessions->len > 0;
  status->joined_rooms = joined;
  gint64 now = g_get_monotonic_time () / G_USEC_PER_SEC;
  guint64 posts = 0;
  for (guint i = 0; i < G_N_ELEMENTS (channel->post_seconds); i++)
    if (now - channel->post_second_stamp[i] < 60)
      posts += channel->post_seconds[i];
  status->posts_per_second = posts / 60.0;
  status->uptime_s = (g_get_monotonic_time () - channel->started_us) / G_USEC_PER_SEC;
  status->version = PACKAGE_VERSION;
}

GPtrArray *
perch_admin_audit (PerchChannel *channel, const PerchPrincipal *actor, gint64 before_id, guint limit, GError **error)
{
  if (!require_admin (actor, error))
    return NULL;
  return perch_store_audit_list (channel->store, before_id, limit == 0 || limit > MAX_PAGE ? 100 : limit, error);
}
