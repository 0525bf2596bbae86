/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-room-index.c: the room directory's search index (perch-room-index.c)
 * against the plain answer it stands for: every room whose folded text
 * holds the needle, in name order. Rare, common, short, missing and
 * non-ASCII needles; early stops; rooms added, renamed and removed in any
 * order after the first sort. */
#include "config.h"

#include <string.h>

#include "perch-room-index.h"

static const char *const words[] = {
  "berlin", "seoul", "payments", "search", "release", "planning", "review", "incident", "amberfalcon",
  "cobaltotter", "standup", "Überblick", "회의실", "café", "roadmap", "the", "team", "weekly", "budget", "a",
};

typedef struct {
  GPtrArray *rooms;   /* PerchRoom*, every room made, indexed or not */
  PerchRoomIndex *index;
} Pool;

static PerchRoom *
room_new (guint i, GRand *rand)
{
  PerchRoom *room = g_new0 (PerchRoom, 1);
  room->info = g_new0 (PerchRoomInfo, 1);
  room->info->id = g_strdup_printf ("room-%05u", i);
  GString *name = g_string_new (NULL);
  for (guint w = 0, n = g_rand_int_range (rand, 1, 4); w < n; w++)
    g_string_append_printf (name, "%s%s", w ? " " : "", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
  g_string_append_printf (name, " %u", i);
  room->info->name = g_string_free (name, FALSE);
  room->info->description = g_strdup_printf ("about %s and %s", words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                                             words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
  room->folded = _perch_room_fold_text (room->info);
  return room;
}

static void
room_free (PerchRoom *room)
{
  perch_room_info_free (room->info);
  g_free (room->folded);
  g_free (room);
}

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  const PerchRoom *x = *(PerchRoom *const *) a, *y = *(PerchRoom *const *) b;
  g_autofree char *kx = g_utf8_collate_key (x->info->name, -1);
  g_autofree char *ky = g_utf8_collate_key (y->info->name, -1);
  int c = strcmp (kx, ky);
  return c != 0 ? c : strcmp (x->info->id, y->info->id);
}

typedef struct {
  GPtrArray *got;
  guint      limit;   /* 0: no limit */
} Visit;

static gboolean
collect (PerchRoom *room, gpointer data)
{
  Visit *v = data;
  g_ptr_array_add (v->got, room);
  return v->limit == 0 || v->got->len < v->limit;
}

/* The index's answer for NEEDLE equals the plain one, whole and cut at 10. */
static void
check (Pool *pool, const char *needle)
{
  g_autofree char *folded = g_utf8_casefold (needle, -1);
  g_autoptr(GPtrArray) want = g_ptr_array_new ();
  for (guint i = 0; i < pool->rooms->len; i++)
    {
      PerchRoom *room = g_ptr_array_index (pool->rooms, i);
      if (room->index_slot != 0 && strstr (room->folded, folded) != NULL)
        g_ptr_array_add (want, room);
    }
  g_ptr_array_sort (want, compare_by_name);
  for (guint limit = 0; limit <= 10; limit += 10)
    {
      Visit v = { g_ptr_array_new (), limit };
      perch_room_index_search (pool->index, folded, collect, &v);
      guint expect = limit ? MIN (limit, want->len) : want->len;
      if (v.got->len != expect)
        g_error ("\"%s\" (limit %u): %u rooms, expected %u", needle, limit, v.got->len, expect);
      for (guint i = 0; i < expect; i++)
        if (g_ptr_array_index (v.got, i) != g_ptr_array_index (want, i))
          g_error ("\"%s\": room %u is %s, expected %s", needle, i,
                   ((PerchRoom *) g_ptr_array_index (v.got, i))->info->id,
                   ((PerchRoom *) g_ptr_array_index (want, i))->info->id);
      g_ptr_array_unref (v.got);
    }
}

static void
check_many (Pool *pool, GRand *rand)
{
  static const char *const fixed[] = {
    "", "a", "e", "ab", "zz", "the", "team", "review", "release planning", "amberfalcon", "AMBERFALCON",
    "überblick", "ÜBERBLICK", "회의", "회의실", "café", "CAFÉ", "cafe", "no such room", "g 1", "1", "12", "123",
    "about", "\n", "t\nabout", "%", "_",
  };
  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    check (pool, fixed[i]);
  /* Pieces of rooms' own text, of every length up to 12 bytes. */
  for (guint i = 0; i < 200; i++)
    {
      PerchRoom *room = g_ptr_array_index (pool->rooms, g_rand_int_range (rand, 0, pool->rooms->len));
      gsize len = strlen (room->folded);
      gsize at = g_rand_int_range (rand, 0, len);
      gsize n = MIN (len - at, (gsize) g_rand_int_range (rand, 1, 13));
      g_autofree char *piece = g_strndup (room->folded + at, n);
      if (g_utf8_validate (piece, -1, NULL))
        check (pool, piece);
    }
}

static void
test_search (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (6);
  Pool pool = { g_ptr_array_new_with_free_func ((GDestroyNotify) room_free), perch_room_index_new () };

  /* Rooms added in no particular order, sorted once. */
  for (guint i = 0; i < 3000; i++)
    {
      PerchRoom *room = room_new (i, rand);
      g_ptr_array_add (pool.rooms, room);
      perch_room_index_add (pool.index, room);
    }
  perch_room_index_sort (pool.index);
  g_assert_cmpuint (perch_room_index_size (pool.index), ==, 3000);
  check_many (&pool, rand);

  /* A third removed, some renamed, more added: each now goes to its place. */
  for (guint i = 0; i < pool.rooms->len; i += 3)
    perch_room_index_remove (pool.index, g_ptr_array_index (pool.rooms, i));
  for (guint i = 1; i < pool.rooms->len; i += 7)
    {
      PerchRoom *room = g_ptr_array_index (pool.rooms, i);
      if (room->index_slot == 0)
        continue;
      perch_room_index_remove (pool.index, room);
      g_free (room->info->name);
      room->info->name = g_strdup_printf ("renamed amberfalcon %u", i);
      g_free (room->folded);
      room->folded = _perch_room_fold_text (room->info);
      perch_room_index_add (pool.index, room);
    }
  for (guint i = 3000; i < 3500; i++)
    {
      PerchRoom *room = room_new (i, rand);
      g_ptr_array_add (pool.rooms, room);
      perch_room_index_add (pool.index, room);
    }
  g_assert_cmpuint (perch_room_index_size (pool.index), ==, 3500 - 1000);
  check_many (&pool, rand);

  /* Removing a room twice, or one never added, changes nothing. */
  PerchRoom *gone = g_ptr_array_index (pool.rooms, 0);
  perch_room_index_remove (pool.index, gone);
  g_assert_cmpuint (perch_room_index_size (pool.index), ==, 2500);

  perch_room_index_free (pool.index);
  g_ptr_array_unref (pool.rooms);
}

static void
test_empty (void)
{
  PerchRoomIndex *index = perch_room_index_new ();
  Visit v = { g_ptr_array_new (), 0 };
  perch_room_index_search (index, "", collect, &v);
  perch_room_index_search (index, "anything", collect, &v);
  g_assert_cmpuint (v.got->len, ==, 0);
  g_ptr_array_unref (v.got);
  perch_room_index_free (index);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/perch/room-index/search", test_search);
  g_test_add_func ("/perch/room-index/empty", test_empty);
  return g_test_run ();
}
