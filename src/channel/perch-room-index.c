/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-room-index.c: rooms in name order and a trigram index of their
 * folded text, for chansrch (see perch-room-index.h).
 *
 * Each indexed room has a slot number. `by_name` holds the slots sorted by
 * (collation key of the name, room id); `postings` maps each trigram (three
 * bytes of folded UTF-8, as one integer) to the sorted slots whose text
 * contains it. A search for a needle of three bytes or more intersects the
 * lists of its trigrams, from the shortest, then confirms each candidate
 * with strstr() (a trigram list only says "may contain") and sorts the few
 * that match by name. When the needle is common (its rarest trigram in a
 * quarter of the rooms, or many rooms with all of them) or shorter than a
 * trigram, it walks `by_name` instead and stops as soon as the visitor has
 * enough: a common needle fills the limit after a short walk. */
#include "config.h"

#include <string.h>

#include "perch-room-index.h"

/* The trigram path is taken when the needle's rarest trigram is in at
 * most a quarter of the rooms, and its answer kept when at most this many
 * rooms (or 1/32 of them, if more) have all its trigrams; otherwise the
 * walk in name order. */
#define MIN_SELECTIVE 256

typedef struct {
  PerchRoom *room;   /* NULL when the slot is free */
  char      *key;    /* g_utf8_collate_key of the name */
} Slot;

struct _PerchRoomIndex {
  GArray     *slots;     /* of Slot, by slot number */
  GArray     *free;      /* of guint32: free slot numbers */
  GArray     *by_name;   /* of guint32: slots in name order, once sorted */
  gboolean    unsorted;  /* new: by_name is in the order rooms came */
  GHashTable *postings;  /* trigram (guint32) -> GArray of guint32 slots, ascending */
  guint       n_rooms;
};

#define SLOT(index, i) (&g_array_index ((index)->slots, Slot, (i)))

static void
postings_free (gpointer list)
{
  g_array_unref (list);
}

PerchRoomIndex *
perch_room_index_new (void)
{
  PerchRoomIndex *index = g_new0 (PerchRoomIndex, 1);
  index->slots = g_array_new (FALSE, TRUE, sizeof (Slot));
  index->free = g_array_new (FALSE, FALSE, sizeof (guint32));
  index->by_name = g_array_new (FALSE, FALSE, sizeof (guint32));
  index->postings = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, postings_free);
  index->unsorted = TRUE;
  return index;
}

void
perch_room_index_free (PerchRoomIndex *index)
{
  if (index == NULL)
    return;
  for (guint i = 0; i < index->slots->len; i++)
    g_free (SLOT (index, i)->key);
  g_array_unref (index->slots);
  g_array_unref (index->free);
  g_array_unref (index->by_name);
  g_hash_table_unref (index->postings);
  g_free (index);
}

guint
perch_room_index_size (PerchRoomIndex *index)
{
  return index->n_rooms;
}

/* ---- trigrams ------------------------------------------------------------ */

static int
compare_u32 (gconstpointer a, gconstpointer b)
{
  guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

/* The distinct trigrams of TEXT, ascending. */
static GArray *
trigrams (const char *text)
{
  const guchar *s = (const guchar *) text;
  gsize len = strlen (text);
  GArray *out = g_array_sized_new (FALSE, FALSE, sizeof (guint32), len >= 3 ? (guint) len - 2 : 0);
  for (gsize i = 0; i + 2 < len; i++)
    {
      guint32 t = (guint32) s[i] << 16 | (guint32) s[i + 1] << 8 | s[i + 2];
      g_array_append_val (out, t);
    }
  g_array_sort (out, compare_u32);
  guint n = 0;
  for (guint i = 0; i < out->len; i++)
    if (n == 0 || g_array_index (out, guint32, i) != g_array_index (out, guint32, n - 1))
      g_array_index (out, guint32, n++) = g_array_index (out, guint32, i);
  g_array_set_size (out, n);
  return out;
}

/* Where VALUE is in the ascending LIST, or where it would go. */
static guint
lower_bound (const GArray *list, guint32 value)
{
  guint lo = 0, hi = list->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (g_array_index (list, guint32, mid) < value)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static gboolean
list_has (const GArray *list, guint32 value)
{
  guint i = lower_bound (list, value);
  return i < list->len && g_array_index (list, guint32, i) == value;
}

/* ---- name order ------------------------------------------------------------ */

static int
compare_slots (PerchRoomIndex *index, guint32 a, guint32 b)
{
  Slot *x = SLOT (index, a), *y = SLOT (index, b);
  int c = strcmp (x->key, y->key);
  return c != 0 ? c : strcmp (x->room->info->id, y->room->info->id);
}

/* Where SLOT is in by_name, or where it would go. */
static guint
name_position (PerchRoomIndex *index, guint32 slot)
{
  guint lo = 0, hi = index->by_name->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (compare_slots (index, g_array_index (index->by_name, guint32, mid), slot) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static int
compare_slots_qsort (gconstpointer a, gconstpointer b, gpointer index)
{
  return compare_slots (index, *(const guint32 *) a, *(const guint32 *) b);
}

void
perch_room_index_sort (PerchRoomIndex *index)
{
  if (!index->unsorted)
    return;
  g_array_sort_with_data (index->by_name, compare_slots_qsort, index);
  index->unsorted = FALSE;
}

/* ---- adding and removing --------------------------------------------------- */

void
perch_room_index_add (PerchRoomIndex *index, PerchRoom *room)
{
  g_return_if_fail (room->index_slot == 0);
  guint32 slot;
  if (index->free->len > 0)
    {
      slot = g_array_index (index->free, guint32, index->free->len - 1);
      g_array_set_size (index->free, index->free->len - 1);
    }
  else
    {
      slot = index->slots->len;
      g_array_set_size (index->slots, slot + 1);
    }
  Slot *s = SLOT (index, slot);
  s->room = room;
  s->key = g_utf8_collate_key (room->info->name ? room->info->name : "", -1);
  room->index_slot = slot + 1;
  index->n_rooms++;

  /* A new index takes rooms in any order and sorts them once (loading
   * the directory: the store's NOCASE order is not the collation's);
   * after that, a room goes straight to its place. */
  if (index->unsorted)
    g_array_append_val (index->by_name, slot);
  else
    g_array_insert_val (index->by_name, name_position (index, slot), slot);

  /* Every trigram as it comes, repeats included: a repeat finds the slot
   * already in its list (this is most of the time of loading 100,000
   * rooms, so no sorting and deduplicating first). */
  const guchar *text = (const guchar *) room->folded;
  for (gsize i = 0; text[i] != '\0' && text[i + 1] != '\0' && text[i + 2] != '\0'; i++)
    {
      guint32 t = (guint32) text[i] << 16 | (guint32) text[i + 1] << 8 | text[i + 2];
      GArray *list = g_hash_table_lookup (index->postings, GUINT_TO_POINTER (t));
      if (list == NULL)
        {
          list = g_array_sized_new (FALSE, FALSE, sizeof (guint32), 4);
          g_hash_table_insert (index->postings, GUINT_TO_POINTER (t), list);
        }
      if (list->len == 0 || g_array_index (list, guint32, list->len - 1) < slot)
        g_array_append_val (list, slot);
      else
        {
          guint at = lower_bound (list, slot);
          if (at == list->len || g_array_index (list, guint32, at) != slot)
            g_array_insert_val (list, at, slot);
        }
    }
}

void
perch_room_index_remove (PerchRoomIndex *index, PerchRoom *room)
{
  if (room->index_slot == 0)
    return;
  guint32 slot = room->index_slot - 1;
  Slot *s = SLOT (index, slot);
  g_return_if_fail (s->room == room);

  g_autoptr(GArray) tris = trigrams (room->folded);
  for (guint i = 0; i < tris->len; i++)
    {
      guint32 t = g_array_index (tris, guint32, i);
      GArray *list = g_hash_table_lookup (index->postings, GUINT_TO_POINTER (t));
      guint at = list ? lower_bound (list, slot) : 0;
      if (list == NULL || at >= list->len || g_array_index (list, guint32, at) != slot)
        {
          g_critical ("room index: %s is missing from a trigram list", room->info->id);
          continue;
        }
      g_array_remove_index (list, at);
      if (list->len == 0)
        g_hash_table_remove (index->postings, GUINT_TO_POINTER (t));
    }

  perch_room_index_sort (index);
  guint at = name_position (index, slot);
  if (at < index->by_name->len && g_array_index (index->by_name, guint32, at) == slot)
    g_array_remove_index (index->by_name, at);
  else
    g_critical ("room index: %s is missing from the name order", room->info->id);

  g_clear_pointer (&s->key, g_free);
  s->room = NULL;
  g_array_append_val (index->free, slot);
  room->index_slot = 0;
  index->n_rooms--;
}

/* ---- searching --------------------------------------------------------------- */

static int
compare_length (gconstpointer a, gconstpointer b)
{
  const GArray *x = *(GArray *const *) a, *y = *(GArray *const *) b;
  return x->len < y->len ? -1 : x->len > y->len;
}

/* Keeps in CAND (ascending) only the slots that LIST (ascending) holds:
 * a merge when the two are of a size, a binary search per candidate when
 * the list is much longer. */
static void
intersect (GArray *cand, const GArray *list)
{
  guint n = 0;
  if ((gsize) cand->len * 16 < list->len)
    {
      for (guint i = 0; i < cand->len; i++)
        if (list_has (list, g_array_index (cand, guint32, i)))
          g_array_index (cand, guint32, n++) = g_array_index (cand, guint32, i);
    }
  else
    {
      guint j = 0;
      for (guint i = 0; i < cand->len && j < list->len; )
        {
          guint32 a = g_array_index (cand, guint32, i), b = g_array_index (list, guint32, j);
          if (a < b)
            i++;
          else if (b < a)
            j++;
          else
            {
              g_array_index (cand, guint32, n++) = a;
              i++;
              j++;
            }
        }
    }
  g_array_set_size (cand, n);
}

/* The trigram path: TRUE when it answered (visiting the matches), FALSE
 * when the needle is too common for it and the caller should walk, which
 * stops at the limit: a needle in a quarter of the rooms fills it fast. */
static gboolean
search_by_trigrams (PerchRoomIndex *index, const char *folded, PerchRoomVisit visit, gpointer data)
{
  g_autoptr(GArray) tris = trigrams (folded);
  g_autoptr(GPtrArray) lists = g_ptr_array_sized_new (tris->len);
  for (guint i = 0; i < tris->len; i++)
    {
      GArray *list = g_hash_table_lookup (index->postings, GUINT_TO_POINTER (g_array_index (tris, guint32, i)));
      if (list == NULL)
        return TRUE;  /* a trigram no room has: nothing matches */
      g_ptr_array_add (lists, list);
    }
  g_ptr_array_sort (lists, compare_length);
  const GArray *shortest = g_ptr_array_index (lists, 0);
  if (shortest->len > MAX (MIN_SELECTIVE, index->n_rooms / 4))
    return FALSE;

  /* Rooms with every trigram of the needle, then those that hold it. */
  g_autoptr(GArray) cand = g_array_sized_new (FALSE, FALSE, sizeof (guint32), shortest->len);
  g_array_append_vals (cand, shortest->data, shortest->len);
  for (guint l = 1; l < lists->len && cand->len > 0; l++)
    intersect (cand, g_ptr_array_index (lists, l));
  if (cand->len > MAX (MIN_SELECTIVE, index->n_rooms / 32))
    return FALSE;
  guint n = 0;
  for (guint i = 0; i < cand->len; i++)
    {
      guint32 slot = g_array_index (cand, guint32, i);
      if (strstr (SLOT (index, slot)->room->folded, folded) != NULL)
        g_array_index (cand, guint32, n++) = slot;
    }
  g_array_set_size (cand, n);
  g_array_sort_with_data (cand, compare_slots_qsort, index);
  for (guint i = 0; i < cand->len; i++)
    if (!visit (SLOT (index, g_array_index (cand, guint32, i))->room, data))
      break;
  return TRUE;
}

void
perch_room_index_search (PerchRoomIndex *index, const char *folded, PerchRoomVisit visit, gpointer data)
{
  perch_room_index_sort (index);
  if (strlen (folded) >= 3 && search_by_trigrams (index, folded, visit, data))
    return;
  for (guint i = 0; i < index->by_name->len; i++)
    {
      PerchRoom *room = SLOT (index, g_array_index (index->by_name, guint32, i))->room;
      if (*folded && strstr (room->folded, folded) == NULL)
        continue;
      if (!visit (room, data))
        break;
    }
}
