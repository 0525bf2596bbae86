/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-policy.c: who may do what (perch-policy.h), checked against
 * ../shared/admin-model.md rather than against the code.
 *
 * The core is one table: every kind of principal (administrator, category
 * creator, room manager, member, presenter, an allowed user with no place
 * in the room, a user the category denies, one it does not allow, members
 * through group: and domain: entries) against every privacy, with the
 * room's member list filled in or left empty (inherit the category). The
 * loop runs each row for both room types and disabled or not, asserting
 * can_find, can_join, can_post and can_manage and the exact error:
 * NOT_FOUND where the room must look missing (always with the message a
 * missing room gets), ACCESS_DENIED where the user may know it exists.
 * Smaller tests cover list matching, can_create_in and the chat policy. */
#include "config.h"

#include <string.h>

#include "perch-common.h"
#include "perch-policy.h"

/* What the chat paths answer for a room that does not exist (see
 * src/channel/perch-commands.c); secret rooms must read the same. */
#define MISSING_ROOM_MESSAGE "no such room"

/* ---- the principals ---- */

typedef enum {
  P_ADMIN,          /* administrator, in no list at all */
  P_ADMIN_DENIED,   /* administrator on the category's denied list */
  P_CREATOR,        /* category creator, allowed, in none of the room's lists */
  P_MANAGER,
  P_MEMBER,
  P_PRESENTER,
  P_OUTSIDER,       /* allowed by the category, in none of the room's lists */
  P_DENIED,         /* allowed by domain, denied by name; listed everywhere */
  P_NOT_ALLOWED,    /* not in allowed; listed as member and presenter */
  P_GROUP,          /* allowed and member through group:eng */
  P_DOMAIN,         /* allowed and member through domain:partner.test */
  N_PRINCIPALS
} Who;

static const struct {
  const char *label;
  const char *uri;
  gboolean    admin;
  const char *groups;   /* comma-separated */
} principals[N_PRINCIPALS] = {
  [P_ADMIN]        = { "admin", "sip:root@elsewhere.test", TRUE, NULL },
  [P_ADMIN_DENIED] = { "admin-on-denied-list", "sip:boss@example.test", TRUE, NULL },
  [P_CREATOR]      = { "creator", "sip:carol@example.test", FALSE, NULL },
  [P_MANAGER]      = { "manager", "sip:mgr@example.test", FALSE, NULL },
  [P_MEMBER]       = { "member", "sip:mem@example.test", FALSE, NULL },
  [P_PRESENTER]    = { "presenter", "sip:pres@example.test", FALSE, NULL },
  [P_OUTSIDER]     = { "outsider-in-category", "sip:out@example.test", FALSE, NULL },
  [P_DENIED]       = { "denied-by-category", "sip:mallory@example.test", FALSE, "eng" },
  [P_NOT_ALLOWED]  = { "not-allowed-by-category", "sip:stranger@elsewhere.test", FALSE, "sales" },
  [P_GROUP]        = { "member-via-group", "sip:gina@contractor.test", FALSE, "design,eng" },
  [P_DOMAIN]       = { "member-via-domain", "sip:dave@partner.test", FALSE, NULL },
};

typedef struct {
  PerchPrincipal p;
  GHashTable    *groups;
} TestPrincipal;

static void
principal_init (TestPrincipal *tp, Who who)
{
  tp->groups = NULL;
  if (principals[who].groups)
    {
      tp->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_auto(GStrv) names = g_strsplit (principals[who].groups, ",", -1);
      for (guint i = 0; names[i]; i++)
        g_hash_table_add (tp->groups, g_strdup (names[i]));
    }
  tp->p.uri = principals[who].uri;
  tp->p.admin = principals[who].admin;
  tp->p.groups = tp->groups;
}

static void
principal_clear (TestPrincipal *tp)
{
  g_clear_pointer (&tp->groups, g_hash_table_unref);
}

/* ---- the category and the room ---- */

static GPtrArray *
list_of (const char *const *entries)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; entries && entries[i]; i++)
    g_ptr_array_add (list, g_strdup (entries[i]));
  return list;
}

static PerchCategory *
make_category (void)
{
  static const char *const allowed[] = {
    "domain:example.test", "group:eng", "domain:partner.test", NULL };
  static const char *const denied[] = {
    "sip:mallory@example.test", "sip:boss@example.test", NULL };
  static const char *const creators[] = {
    "sip:carol@example.test", "sip:mallory@example.test", NULL };
  PerchCategory *cat = g_new0 (PerchCategory, 1);
  cat->id = 1;
  cat->name = g_strdup ("Engineering");
  cat->allowed = list_of (allowed);
  cat->denied = list_of (denied);
  cat->creators = list_of (creators);
  return cat;
}

typedef enum {
  MEMBERS_LISTED,   /* the room names its members */
  MEMBERS_EMPTY,    /* an empty list: inherit the category's membership */
  MEMBERS_NULL,     /* no list at all: the same */
} Members;

static PerchRoomInfo *
make_room (PerchPrivacy privacy, PerchRoomType type, gboolean disabled, Members members)
{
  static const char *const member_list[] = {
    "sip:mem@example.test", "group:eng", "domain:partner.test",
    "sip:mallory@example.test", "sip:stranger@elsewhere.test", NULL };
  static const char *const managers[] = {
    "sip:mgr@example.test", "sip:mallory@example.test", NULL };
  static const char *const presenters[] = {
    "sip:pres@example.test", "sip:stranger@elsewhere.test", "sip:mallory@example.test", NULL };
  PerchRoomInfo *room = g_new0 (PerchRoomInfo, 1);
  room->id = g_strdup ("r1");
  room->name = g_strdup ("design review");
  room->category_id = 1;
  room->privacy = privacy;
  room->type = type;
  room->disabled = disabled;
  room->invitations = TRUE;
  room->members = members == MEMBERS_LISTED ? list_of (member_list)
                : members == MEMBERS_EMPTY ? list_of (NULL) : NULL;
  room->managers = list_of (managers);
  room->presenters = list_of (presenters);
  return room;
}

/* ---- the matrix ---- */

#define OK 0
#define NF PERCH_ERROR_NOT_FOUND
#define AD PERCH_ERROR_ACCESS_DENIED

typedef struct {
  Who          who;
  PerchPrivacy privacy;
  Members      members;    /* LISTED or EMPTY; EMPTY rows run with NULL too */
  int          find, join, post_normal, post_auditorium, manage;
} Row;

#define OPEN   PERCH_PRIVACY_OPEN
#define CLOSED PERCH_PRIVACY_CLOSED
#define SECRET PERCH_PRIVACY_SECRET
#define LISTED MEMBERS_LISTED
#define EMPTY  MEMBERS_EMPTY

/* Read across: find, join, post in a normal room, post in an auditorium,
 * manage. For a room that is not disabled; the loop derives the disabled
 * case. Each cell follows admin-model.md:
 *  - open: every category-allowed user finds, joins and reads (and, in a
 *    normal room, takes part);
 *  - closed: every allowed user finds it; only members join;
 *  - secret: only members find it; to everyone else it answers as a room
 *    that does not exist (NOT_FOUND);
 *  - a user the category does not allow, or denies (denied overrides
 *    allowed, and bounds the room's own lists), does not find the room;
 *  - an empty member list inherits the category's membership;
 *  - auditorium: only presenters and managers (and administrators) post;
 *  - only managers (and administrators) manage; administrators are bound
 *    by no list. */
static const Row matrix[] = {
  /* who             privacy  members  find join pN  pA  manage */
  { P_ADMIN,         OPEN,    LISTED,  OK,  OK,  OK, OK, OK },
  { P_ADMIN_DENIED,  OPEN,    LISTED,  OK,  OK,  OK, OK, OK },
  { P_CREATOR,       OPEN,    LISTED,  OK,  OK,  OK, AD, AD },
  { P_MANAGER,       OPEN,    LISTED,  OK,  OK,  OK, OK, OK },
  { P_MEMBER,        OPEN,    LISTED,  OK,  OK,  OK, AD, AD },
  { P_PRESENTER,     OPEN,    LISTED,  OK,  OK,  OK, OK, AD },
  { P_OUTSIDER,      OPEN,    LISTED,  OK,  OK,  OK, AD, AD },
  { P_DENIED,        OPEN,    LISTED,  NF,  NF,  NF, NF, NF },
  { P_NOT_ALLOWED,   OPEN,    LISTED,  NF,  NF,  NF, NF, NF },
  { P_GROUP,         OPEN,    LISTED,  OK,  OK,  OK, AD, AD },
  { P_DOMAIN,        OPEN,    LISTED,  OK,  OK,  OK, AD, AD },

  { P_ADMIN,         CLOSED,  LISTED,  OK,  OK,  OK, OK, OK },
  { P_ADMIN_DENIED,  CLOSED,  LISTED,  OK,  OK,  OK, OK, OK },
  { P_CREATOR,       CLOSED,  LISTED,  OK,  AD,  AD, AD, AD },
  { P_MANAGER,       CLOSED,  LISTED,  OK,  OK,  OK, OK, OK },
  { P_MEMBER,        CLOSED,  LISTED,  OK,  OK,  OK, AD, AD },
  { P_PRESENTER,     CLOSED,  LISTED,  OK,  OK,  OK, OK, AD },
  { P_OUTSIDER,      CLOSED,  LISTED,  OK,  AD,  AD, AD, AD },
  { P_DENIED,        CLOSED,  LISTED,  NF,  NF,  NF, NF, NF },
  { P_NOT_ALLOWED,   CLOSED,  LISTED,  NF,  NF,  NF, NF, NF },
  { P_GROUP,         CLOSED,  LISTED,  OK,  OK,  OK, AD, AD },
  { P_DOMAIN,        CLOSED,  LISTED,  OK,  OK,  OK, AD, AD },

  { P_ADMIN,         SECRET,  LISTED,  OK,  OK,  OK, OK, OK },
  { P_ADMIN_DENIED,  SECRET,  LISTED,  OK,  OK,  OK, OK, OK },
  { P_CREATOR,       SECRET,  LISTED,  NF,  NF,  NF, NF, NF },
  { P_MANAGER,       SECRET,  LISTED,  OK,  OK,  OK, OK, OK },
  { P_MEMBER,        SECRET,  LISTED,  OK,  OK,  OK, AD, AD },
  { P_PRESENTER,     SECRET,  LISTED,  OK,  OK,  OK, OK, AD },
  { P_OUTSIDER,      SECRET,  LISTED,  NF,  NF,  NF, NF, NF },
  { P_DENIED,        SECRET,  LISTED,  NF,  NF,  NF, NF, NF },
  { P_NOT_ALLOWED,   SECRET,  LISTED,  NF,  NF,  NF, NF, NF },
  { P_GROUP,         SECRET,  LISTED,  OK,  OK,  OK, AD, AD },
  { P_DOMAIN,        SECRET,  LISTED,  OK,  OK,  OK, AD, AD },

  /* Empty member list: every category-allowed user is a member. */
  { P_ADMIN,         OPEN,    EMPTY,   OK,  OK,  OK, OK, OK },
  { P_ADMIN_DENIED,  OPEN,    EMPTY,   OK,  OK,  OK, OK, OK },
  { P_CREATOR,       OPEN,    EMPTY,   OK,  OK,  OK, AD, AD },
  { P_MANAGER,       OPEN,    EMPTY,   OK,  OK,  OK, OK, OK },
  { P_MEMBER,        OPEN,    EMPTY,   OK,  OK,  OK, AD, AD },
  { P_PRESENTER,     OPEN,    EMPTY,   OK,  OK,  OK, OK, AD },
  { P_OUTSIDER,      OPEN,    EMPTY,   OK,  OK,  OK, AD, AD },
  { P_DENIED,        OPEN,    EMPTY,   NF,  NF,  NF, NF, NF },
  { P_NOT_ALLOWED,   OPEN,    EMPTY,   NF,  NF,  NF, NF, NF },
  { P_GROUP,         OPEN,    EMPTY,   OK,  OK,  OK, AD, AD },
  { P_DOMAIN,        OPEN,    EMPTY,   OK,  OK,  OK, AD, AD },

  { P_ADMIN,         CLOSED,  EMPTY,   OK,  OK,  OK, OK, OK },
  { P_ADMIN_DENIED,  CLOSED,  EMPTY,   OK,  OK,  OK, OK, OK },
  { P_CREATOR,       CLOSED,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_MANAGER,       CLOSED,  EMPTY,   OK,  OK,  OK, OK, OK },
  { P_MEMBER,        CLOSED,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_PRESENTER,     CLOSED,  EMPTY,   OK,  OK,  OK, OK, AD },
  { P_OUTSIDER,      CLOSED,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_DENIED,        CLOSED,  EMPTY,   NF,  NF,  NF, NF, NF },
  { P_NOT_ALLOWED,   CLOSED,  EMPTY,   NF,  NF,  NF, NF, NF },
  { P_GROUP,         CLOSED,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_DOMAIN,        CLOSED,  EMPTY,   OK,  OK,  OK, AD, AD },

  { P_ADMIN,         SECRET,  EMPTY,   OK,  OK,  OK, OK, OK },
  { P_ADMIN_DENIED,  SECRET,  EMPTY,   OK,  OK,  OK, OK, OK },
  { P_CREATOR,       SECRET,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_MANAGER,       SECRET,  EMPTY,   OK,  OK,  OK, OK, OK },
  { P_MEMBER,        SECRET,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_PRESENTER,     SECRET,  EMPTY,   OK,  OK,  OK, OK, AD },
  { P_OUTSIDER,      SECRET,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_DENIED,        SECRET,  EMPTY,   NF,  NF,  NF, NF, NF },
  { P_NOT_ALLOWED,   SECRET,  EMPTY,   NF,  NF,  NF, NF, NF },
  { P_GROUP,         SECRET,  EMPTY,   OK,  OK,  OK, AD, AD },
  { P_DOMAIN,        SECRET,  EMPTY,   OK,  OK,  OK, AD, AD },
};

typedef gboolean (*RoomCheck) (const PerchPrincipal *, const PerchRoomInfo *,
                               const PerchCategory *, GError **);

/* Runs CHECK and compares with EXPECTED; returns a description of the
 * mismatch, or NULL. */
static char *
check_one (const char *what, RoomCheck check, const PerchPrincipal *who,
           const PerchRoomInfo *room, const PerchCategory *cat, int expected)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = check (who, room, cat, &error);

  if (ok && error != NULL)
    return g_strdup_printf ("%s: TRUE with an error set (%s)", what, error->message);
  if (!ok && error == NULL)
    return g_strdup_printf ("%s: FALSE without an error", what);
  if (!ok && error->domain != PERCH_ERROR)
    return g_strdup_printf ("%s: error in another domain (%s)", what, error->message);

  int got = ok ? OK : error->code;
  if (got != expected)
    return g_strdup_printf ("%s: got %s, expected %s%s%s", what,
                            got == OK ? "OK" : perch_error_code_name (got),
                            expected == OK ? "OK" : perch_error_code_name (expected),
                            error ? " -- " : "", error ? error->message : "");
  if (got == NF && g_strcmp0 (error->message, MISSING_ROOM_MESSAGE) != 0)
    return g_strdup_printf ("%s: NOT_FOUND says \"%s\", a missing room says \"%s\"",
                            what, error->message, MISSING_ROOM_MESSAGE);

  /* Passing no GError must give the same answer. */
  if (check (who, room, cat, NULL) != ok)
    return g_strdup_printf ("%s: a different answer without a GError", what);
  return NULL;
}

static void
test_matrix (void)
{
  g_autoptr(PerchCategory) cat = make_category ();
  g_autoptr(GString) failures = g_string_new (NULL);
  guint checked = 0, failed = 0;

  for (guint r = 0; r < G_N_ELEMENTS (matrix); r++)
    {
      const Row *row = &matrix[r];
      TestPrincipal tp;
      principal_init (&tp, row->who);

      Members last = row->members == EMPTY ? MEMBERS_NULL : row->members;
      for (Members members = row->members; members <= last; members++)
        for (int type = PERCH_ROOM_NORMAL; type <= PERCH_ROOM_AUDITORIUM; type++)
          for (int disabled = 0; disabled <= 1; disabled++)
            {
              g_autoptr(PerchRoomInfo) room = make_room (row->privacy, type, disabled, members);
              int find = row->find, join = row->join, manage = row->manage;
              int post = type == PERCH_ROOM_AUDITORIUM ? row->post_auditorium : row->post_normal;
              if (disabled)
                {
                  /* A disabled room vanishes from every chat path, for
                   * everyone. Managing is not a chat path: managers must
                   * still reach a disabled room to enable it again, so
                   * can_manage answers as for the enabled room. */
                  find = join = post = NF;
                }

              const struct { const char *name; RoomCheck fn; int expected; } checks[] = {
                { "can_find", perch_policy_can_find, find },
                { "can_join", perch_policy_can_join, join },
                { "can_post", perch_policy_can_post, post },
                { "can_manage", perch_policy_can_manage, manage },
              };
              for (guint c = 0; c < G_N_ELEMENTS (checks); c++)
                {
                  g_autofree char *msg = check_one (checks[c].name, checks[c].fn, &tp.p, room, cat,
                                                    checks[c].expected);
                  checked++;
                  if (msg != NULL)
                    {
                      failed++;
                      g_string_append_printf (failures, "  %s, %s %s room, members %s%s: %s\n",
                                              principals[row->who].label,
                                              perch_privacy_to_string (row->privacy),
                                              perch_room_type_to_string (type),
                                              members == MEMBERS_LISTED ? "listed"
                                              : members == MEMBERS_EMPTY ? "empty" : "NULL",
                                              disabled ? ", disabled" : "", msg);
                    }
                }
            }
      principal_clear (&tp);
    }

  g_test_message ("%u policy checks, %u failed", checked, failed);
  if (failed > 0)
    g_error ("%u of %u policy checks disagree with admin-model.md:\n%s", failed, checked, failures->str);
}

/* Every principal appears in the matrix for every privacy and both kinds
 * of member list, so no cell of the whole matrix is left out. */
static void
test_matrix_complete (void)
{
  gboolean seen[N_PRINCIPALS][3][2] = { { { FALSE } } };
  for (guint r = 0; r < G_N_ELEMENTS (matrix); r++)
    {
      g_assert_false (seen[matrix[r].who][matrix[r].privacy][matrix[r].members]);
      seen[matrix[r].who][matrix[r].privacy][matrix[r].members] = TRUE;
    }
  for (guint w = 0; w < N_PRINCIPALS; w++)
    for (guint p = 0; p < 3; p++)
      for (guint m = 0; m < 2; m++)
        g_assert_true (seen[w][p][m]);
}

/* ---- can_create_in ---- */

static void
test_create_in (void)
{
  g_autoptr(PerchCategory) cat = make_category ();
  static const int expected[N_PRINCIPALS] = {
    [P_ADMIN] = OK,
    [P_ADMIN_DENIED] = OK,   /* bound by no list */
    [P_CREATOR] = OK,
    [P_MANAGER] = AD,        /* managing a room does not make a creator */
    [P_MEMBER] = AD,
    [P_PRESENTER] = AD,
    [P_OUTSIDER] = AD,
    [P_DENIED] = AD,         /* a creator, but denied overrides */
    [P_NOT_ALLOWED] = AD,
    [P_GROUP] = AD,
    [P_DOMAIN] = AD,
  };
  for (guint w = 0; w < N_PRINCIPALS; w++)
    {
      TestPrincipal tp;
      principal_init (&tp, w);
      g_autoptr(GError) error = NULL;
      gboolean ok = perch_policy_can_create_in (&tp.p, cat, &error);
      int got = ok ? OK : error->code;
      if (got != expected[w])
        g_error ("can_create_in for %s: got %d, expected %d", principals[w].label, got, expected[w]);
      if (ok)
        g_assert_no_error (error);
      else
        g_assert_error (error, PERCH_ERROR, expected[w]);
      g_assert_cmpint (perch_policy_can_create_in (&tp.p, cat, NULL), ==, ok);

      /* No category: only an administrator. */
      g_clear_error (&error);
      ok = perch_policy_can_create_in (&tp.p, NULL, &error);
      g_assert_cmpint (ok, ==, principals[w].admin);
      if (!ok)
        g_assert_error (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
      principal_clear (&tp);
    }

  /* A creator through a group or a domain counts. */
  g_ptr_array_add (cat->creators, g_strdup ("group:design"));
  g_ptr_array_add (cat->creators, g_strdup ("domain:partner.test"));
  for (Who w = P_GROUP; w <= P_DOMAIN; w++)
    {
      TestPrincipal tp;
      principal_init (&tp, w);
      g_assert_true (perch_policy_can_create_in (&tp.p, cat, NULL));
      principal_clear (&tp);
    }
}

/* ---- membership predicates and list matching ---- */

static void
test_in_list (void)
{
  static const char *const entries[] = {
    "sip:Alice@Example.test", "group:eng", "domain:partner.test", "bogus", "", NULL };
  g_autoptr(GPtrArray) list = list_of (entries);
  g_autoptr(GHashTable) groups = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_add (groups, (gpointer) "eng");

  struct { const char *uri; GHashTable *groups; gboolean in; } cases[] = {
    { "sip:alice@example.test", NULL, TRUE },     /* URIs compare without case */
    { "sip:bob@example.test", NULL, FALSE },
    { "sip:bob@example.test", groups, TRUE },     /* through group:eng */
    { "sip:carl@partner.test", NULL, TRUE },      /* through domain: */
    { "sip:carl@PARTNER.test", NULL, TRUE },
    { "sip:carl@sub.partner.test", NULL, FALSE }, /* not a subdomain */
    { "sip:carl@xpartner.test", NULL, FALSE },
    { "sip:partner.test@example.test", NULL, FALSE },
    { "sip:alice@example.test.evil", NULL, FALSE },
    { "sip:alice@example.tes", NULL, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      PerchPrincipal who = { .uri = cases[i].uri, .admin = FALSE, .groups = cases[i].groups };
      if (perch_policy_in_list (&who, list) != cases[i].in)
        g_error ("in_list (%s) should be %d", cases[i].uri, cases[i].in);
    }

  /* A group name is not matched as a prefix, and "group:" alone is nobody. */
  g_autoptr(GHashTable) engineering = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_add (engineering, (gpointer) "engineering");
  PerchPrincipal eng2 = { .uri = "sip:x@example.test", .groups = engineering };
  g_assert_false (perch_policy_in_list (&eng2, list));

  /* Admins are not "in" lists by being admins. */
  PerchPrincipal admin = { .uri = "sip:root@elsewhere.test", .admin = TRUE };
  g_assert_false (perch_policy_in_list (&admin, list));

  /* No list, an empty list, a principal without a URI. */
  PerchPrincipal alice = { .uri = "sip:alice@example.test" };
  g_assert_false (perch_policy_in_list (&alice, NULL));
  g_autoptr(GPtrArray) empty = list_of (NULL);
  g_assert_false (perch_policy_in_list (&alice, empty));
  PerchPrincipal nobody = { .uri = NULL, .groups = groups };
  static const char *const domain_only[] = { "domain:example.test", "sip:alice@example.test", NULL };
  g_autoptr(GPtrArray) dl = list_of (domain_only);
  g_assert_false (perch_policy_in_list (&nobody, dl));
}

static void
test_denied_overrides_allowed (void)
{
  g_autoptr(PerchCategory) cat = make_category ();
  /* gina is allowed through group:eng; deny her through another group. */
  g_ptr_array_add (cat->denied, g_strdup ("group:design"));
  TestPrincipal tp;
  principal_init (&tp, P_GROUP);
  g_assert_false (perch_policy_category_allows (&tp.p, cat));

  g_autoptr(PerchRoomInfo) room = make_room (PERCH_PRIVACY_OPEN, PERCH_ROOM_NORMAL, FALSE, MEMBERS_LISTED);
  g_ptr_array_add (room->managers, g_strdup ("sip:gina@contractor.test"));
  g_assert_false (perch_policy_is_member (&tp.p, room, cat));
  g_assert_false (perch_policy_is_manager (&tp.p, room, cat));
  g_autoptr(GError) error = NULL;
  g_assert_false (perch_policy_can_find (&tp.p, room, cat, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (perch_policy_can_manage (&tp.p, room, cat, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  principal_clear (&tp);

  /* A whole domain denied beats an allowed name in it. */
  g_autoptr(PerchCategory) cat2 = make_category ();
  g_ptr_array_add (cat2->allowed, g_strdup ("sip:vip@blocked.test"));
  g_ptr_array_add (cat2->denied, g_strdup ("domain:blocked.test"));
  PerchPrincipal vip = { .uri = "sip:vip@blocked.test" };
  g_assert_false (perch_policy_category_allows (&vip, cat2));

  /* Not allowed at all, or no category: nobody but admins. */
  PerchPrincipal stranger = { .uri = "sip:x@nowhere.test" };
  g_assert_false (perch_policy_category_allows (&stranger, cat2));
  g_assert_false (perch_policy_category_allows (&stranger, NULL));
  PerchPrincipal admin = { .uri = "sip:root@elsewhere.test", .admin = TRUE };
  g_assert_true (perch_policy_category_allows (&admin, NULL));
}

static void
test_role_predicates (void)
{
  g_autoptr(PerchCategory) cat = make_category ();
  g_autoptr(PerchRoomInfo) room = make_room (PERCH_PRIVACY_CLOSED, PERCH_ROOM_AUDITORIUM, FALSE, MEMBERS_LISTED);
  static const struct { gboolean member, manager, presenter; } expected[N_PRINCIPALS] = {
    [P_ADMIN]        = { FALSE, FALSE, FALSE },  /* admins act through their own rule */
    [P_ADMIN_DENIED] = { FALSE, FALSE, FALSE },
    [P_CREATOR]      = { FALSE, FALSE, FALSE },
    [P_MANAGER]      = { TRUE,  TRUE,  FALSE },  /* managers and presenters are members */
    [P_MEMBER]       = { TRUE,  FALSE, FALSE },
    [P_PRESENTER]    = { TRUE,  FALSE, TRUE },
    [P_OUTSIDER]     = { FALSE, FALSE, FALSE },
    [P_DENIED]       = { FALSE, FALSE, FALSE },  /* listed in all three, but denied */
    [P_NOT_ALLOWED]  = { FALSE, FALSE, FALSE },  /* listed, but outside allowed */
    [P_GROUP]        = { TRUE,  FALSE, FALSE },
    [P_DOMAIN]       = { TRUE,  FALSE, FALSE },
  };
  for (guint w = 0; w < N_PRINCIPALS; w++)
    {
      TestPrincipal tp;
      principal_init (&tp, w);
      if (perch_policy_is_member (&tp.p, room, cat) != expected[w].member ||
          perch_policy_is_manager (&tp.p, room, cat) != expected[w].manager ||
          perch_policy_is_presenter (&tp.p, room, cat) != expected[w].presenter)
        g_error ("role predicates wrong for %s", principals[w].label);
      principal_clear (&tp);
    }

  /* With an empty member list, every allowed user is a member; managers
   * and presenters are still only who is listed. */
  g_ptr_array_set_size (room->members, 0);
  TestPrincipal out;
  principal_init (&out, P_OUTSIDER);
  g_assert_true (perch_policy_is_member (&out.p, room, cat));
  g_assert_false (perch_policy_is_manager (&out.p, room, cat));
  g_assert_false (perch_policy_is_presenter (&out.p, room, cat));
  principal_clear (&out);
  TestPrincipal denied;
  principal_init (&denied, P_DENIED);
  g_assert_false (perch_policy_is_member (&denied.p, room, cat));
  principal_clear (&denied);
}

/* A secret room and a room hidden for any other reason answer exactly as
 * a missing one: same code, same text, on every path. */
static void
test_secret_looks_missing (void)
{
  g_autoptr(PerchCategory) cat = make_category ();
  g_autoptr(PerchRoomInfo) secret = make_room (PERCH_PRIVACY_SECRET, PERCH_ROOM_NORMAL, FALSE, MEMBERS_LISTED);
  g_autoptr(PerchRoomInfo) disabled = make_room (PERCH_PRIVACY_OPEN, PERCH_ROOM_NORMAL, TRUE, MEMBERS_LISTED);
  g_autoptr(PerchRoomInfo) open = make_room (PERCH_PRIVACY_OPEN, PERCH_ROOM_NORMAL, FALSE, MEMBERS_LISTED);
  TestPrincipal out, stranger;
  principal_init (&out, P_OUTSIDER);
  principal_init (&stranger, P_NOT_ALLOWED);

  g_autoptr(GError) e_secret = NULL, e_disabled = NULL, e_foreign = NULL, e_manage = NULL;
  g_assert_false (perch_policy_can_join (&out.p, secret, cat, &e_secret));
  g_assert_false (perch_policy_can_post (&out.p, disabled, cat, &e_disabled));
  g_assert_false (perch_policy_can_find (&stranger.p, open, cat, &e_foreign));
  g_assert_false (perch_policy_can_manage (&out.p, secret, cat, &e_manage));
  GError *all[] = { e_secret, e_disabled, e_foreign, e_manage };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      g_assert_error (all[i], PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
      g_assert_cmpstr (all[i]->message, ==, MISSING_ROOM_MESSAGE);
    }

  /* A closed room, by contrast, may say why. */
  g_autoptr(PerchRoomInfo) closed = make_room (PERCH_PRIVACY_CLOSED, PERCH_ROOM_NORMAL, FALSE, MEMBERS_LISTED);
  g_autoptr(GError) e_closed = NULL;
  g_assert_false (perch_policy_can_join (&out.p, closed, cat, &e_closed));
  g_assert_error (e_closed, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED);
  principal_clear (&out);
  principal_clear (&stranger);
}

static void
test_chat_enabled (void)
{
  /* Global default false; a per-user override wins either way. */
  g_assert_false (perch_policy_chat_enabled (-1, FALSE));
  g_assert_true (perch_policy_chat_enabled (-1, TRUE));
  g_assert_true (perch_policy_chat_enabled (1, FALSE));
  g_assert_true (perch_policy_chat_enabled (1, TRUE));
  g_assert_false (perch_policy_chat_enabled (0, TRUE));
  g_assert_false (perch_policy_chat_enabled (0, FALSE));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/perch/policy/matrix", test_matrix);
  g_test_add_func ("/perch/policy/matrix-complete", test_matrix_complete);
  g_test_add_func ("/perch/policy/create-in", test_create_in);
  g_test_add_func ("/perch/policy/in-list", test_in_list);
  g_test_add_func ("/perch/policy/denied-overrides-allowed", test_denied_overrides_allowed);
  g_test_add_func ("/perch/policy/role-predicates", test_role_predicates);
  g_test_add_func ("/perch/policy/secret-looks-missing", test_secret_looks_missing);
  g_test_add_func ("/perch/policy/chat-enabled", test_chat_enabled);

  return g_test_run ();
}
