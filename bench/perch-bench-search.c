/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench-search.c: the search scenario, chansrch over many rooms.
 *
 * Seeds --search-rooms rooms (100,000 by default) with names and
 * descriptions built like a company's (region, team, topic, a project code
 * name) across twenty categories, through the store's bulk path, starts
 * perchd on them, and has --search-clients clients send chansrch the way
 * SIPE does (<qib qtype="BYNAME" criteria=".." extended="false"/>), each
 * waiting for its answer before the next, for --seconds per kind of query:
 *
 *   name     a part of one room's name ("release planning 04217"): 1 room
 *   keyword  a project code name from the descriptions: ~0.1% of the rooms
 *   miss     text no room has: the whole pool searched for nothing
 *   browse   empty criteria, as SIPE's room list sends: the server's
 *            searchLimit (999) rooms, so mostly the cost of the answer
 *
 * The clients are the lean engine's (perch-bench-lean.h): an answer is
 * framed and scanned, not parsed, so the latency is the server's. Each kind
 * prints requests per second, latency p50/p99/p999 (sent to answered),
 * rooms per answer and the server's CPU time per request. With --keep the data dir stays, and perchd can be started on it
 * by hand (bench/README.md says how). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "perch-bench.h"
#include "perch-client.h"
#include "perch-common.h"

static gint search_rooms = 100000;
static gint search_clients = 8;
static char *search_queries;   /* which kinds, comma-separated; NULL: all */

const GOptionEntry bench_search_entries[] = {
  { "search-rooms", 0, 0, G_OPTION_ARG_INT, &search_rooms, "Search: rooms in the pool (100000)", "N" },
  { "search-clients", 0, 0, G_OPTION_ARG_INT, &search_clients, "Search: concurrent clients (8)", "N" },
  { "search-queries", 0, 0, G_OPTION_ARG_STRING, &search_queries,
    "Search: which kinds of query, of name,keyword,miss,browse (all)", "LIST" },
  { NULL }
};

gboolean bench_search_seeding;

/* ---- the pool ------------------------------------------------------------------ */

static const char *const categories[] = {
  "Engineering", "Sales", "Marketing", "Support", "Finance", "Legal", "Human Resources", "Operations",
  "Research", "Product", "Security", "Facilities", "Procurement", "Communications", "Data Science",
  "Infrastructure", "Quality", "Design", "Partners", "Executive",
};

static const char *const regions[] = {
  "Berlin", "Seoul", "Austin", "Dublin", "Nairobi", "Osaka", "Lyon", "Toronto", "Pune", "Melbourne",
  "Oslo", "Bogota", "Warsaw", "Lisbon", "Cairo", "Denver", "Taipei", "Zurich", "Accra", "Busan",
};

static const char *const teams[] = {
  "Payments", "Search", "Mobile", "Billing", "Identity", "Storage", "Networking", "Checkout",
  "Analytics", "Messaging", "Onboarding", "Pricing", "Logistics", "Compliance", "Fraud", "Catalog",
  "Ads", "Support Tools", "Reporting", "Platform", "Desktop", "Kernel", "Database", "Web",
  "Growth", "Localization", "Accessibility", "Payroll", "Recruiting", "Travel",
};

static const char *const topics[] = {
  "Release Planning", "Incident Review", "Standup", "Design Review", "Retrospective", "On-call",
  "Roadmap", "Hiring", "Customer Escalations", "Budget", "Vendor Sync", "Architecture", "Launch",
  "Training", "Audit", "Capacity", "Security Review", "Partner Sync", "Office Hours", "Postmortems",
  "Quarterly Goals", "Migration", "Code Review", "Announcements", "Social", "Help Desk", "Metrics",
  "Experiments", "Triage", "Leadership", "Contracts", "Forecast", "Operations", "Research", "Support",
  "Demo Day", "Sprint Planning", "Compliance Review", "Tooling", "Beta Feedback",
};

static const char *const colours[] = {
  "amber", "cobalt", "crimson", "ivory", "jade", "onyx", "scarlet", "silver", "umber", "violet",
  "azure", "copper", "ebony", "indigo", "lilac", "ochre", "pearl", "russet", "teal", "saffron",
  "bronze", "coral", "garnet", "khaki", "maroon", "olive", "plum", "sable", "topaz", "cerulean",
};

static const char *const animals[] = {
  "falcon", "otter", "heron", "lynx", "badger", "marten", "osprey", "ibex", "gecko", "puffin",
  "bison", "condor", "dingo", "egret", "ferret", "gazelle", "hornet", "jackal", "kestrel", "lemur",
  "magpie", "narwhal", "ocelot", "pelican", "quail", "raven", "salmon", "tapir", "urchin", "walrus",
  "yak", "zebra", "cougar",
};

static const char *const phrases[] = {
  "weekly sync and decisions", "questions welcome, answers kept here", "status, blockers and owners",
  "links to the runbooks and dashboards", "read the pinned notes before posting",
  "for the people doing the work and those who depend on it", "escalations go to the on-call lead",
  "minutes are posted after every meeting", "plans, risks and dates", "no customer data in this room",
};

#define N(a) G_N_ELEMENTS (a)
#define N_CODES (N (colours) * N (animals))

/* Room R's parts, the same every run: the queries are built from them too. */
typedef struct {
  guint category, region, team, topic, code, phrase;
} RoomParts;

static RoomParts
room_parts (guint r)
{
  /* A fixed hash spreads each part over the rooms independently. */
  guint32 h = (guint32) r * 2654435761u;
  RoomParts p = {
    .category = r % N (categories),
    .region = (h >> 3) % N (regions),
    .team = (r / N (categories)) % N (teams),
    .topic = (h >> 11) % N (topics),
    .code = (r * 7919u) % N_CODES,
    .phrase = (h >> 19) % N (phrases),
  };
  return p;
}

static char *
code_name (guint code)
{
  return g_strdup_printf ("%s%s", colours[code % N (colours)], animals[code / N (colours)]);
}

/* "Berlin Payments Release Planning 04217": unique by its number. */
static char *
room_name (guint r)
{
  RoomParts p = room_parts (r);
  return g_strdup_printf ("%s %s %s %05u", regions[p.region], teams[p.team], topics[p.topic], r);
}

static char *
room_description (guint r)
{
  RoomParts p = room_parts (r);
  g_autofree char *code = code_name (p.code);
  g_autofree char *topic = g_ascii_strdown (topics[p.topic], -1);
  return g_strdup_printf ("%s for the %s team in %s, project %s: %s.", topic, teams[p.team],
                          regions[p.region], code, phrases[p.phrase]);
}

gboolean
bench_search_seed (PerchStore *store, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  gint64 cat_ids[N (categories)];
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_ptr_array_add (allowed, (char *) "domain:" DOMAIN);
  for (guint c = 0; c < N (categories); c++)
    {
      PerchCategory cat = { .name = (char *) categories[c], .description = (char *) "", .chat_history = TRUE,
                            .file_upload = TRUE, .invitations = TRUE,
                            .allowed = allowed, .denied = none, .creators = none };
      if (!perch_store_category_create (store, &cat, error))
        return FALSE;
      cat_ids[c] = cat.id;
    }
  /* Batches of 10,000: one commit each, and a bounded transaction. */
  const guint batch = 10000;
  for (guint done = 0; done < (guint) search_rooms; done += batch)
    {
      g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_room_info_free);
      for (guint r = done; r < MIN (done + batch, (guint) search_rooms); r++)
        {
          PerchRoomInfo *room = g_new0 (PerchRoomInfo, 1);
          room->id = g_strdup_printf ("search-%u", r);
          room->name = room_name (r);
          room->description = room_description (r);
          room->category_id = cat_ids[room_parts (r).category];
          /* Mostly open; some closed (found, joined by members); one in
           * twenty secret (found by members only: here, by nobody). */
          room->privacy = r % 20 == 7 ? PERCH_PRIVACY_SECRET : r % 5 == 1 ? PERCH_PRIVACY_CLOSED : PERCH_PRIVACY_OPEN;
          room->invitations = TRUE;
          g_ptr_array_add (rooms, room);
        }
      if (!perch_store_rooms_create (store, (PerchRoomInfo **) rooms->pdata, rooms->len, error))
        return FALSE;
    }
  g_printerr ("seeded %d rooms in %u categories in %.1f s\n", search_rooms, (guint) N (categories),
              (g_get_monotonic_time () - t0) / 1e6);
  return TRUE;
}

/* ---- the queries ------------------------------------------------------------------ */

typedef enum { QUERY_NAME, QUERY_KEYWORD, QUERY_MISS, QUERY_BROWSE } QueryKind;

static const char *const query_labels[] = { "name", "keyword", "miss", "browse" };

/* The criteria of query I of KIND (casing varies, as people type). */
static char *
query_text (QueryKind kind, guint i)
{
  guint r = (i * 40503u + 17) % (guint) MAX (search_rooms, 1);
  switch (kind)
    {
    case QUERY_NAME:
      {
        RoomParts p = room_parts (r);
        g_autofree char *text = g_strdup_printf ("%s %05u", topics[p.topic], r);
        return i % 2 ? g_ascii_strdown (text, -1) : g_steal_pointer (&text);
      }
    case QUERY_KEYWORD:
      return code_name ((i * 37u) % N_CODES);
    case QUERY_MISS:
      return g_strdup_printf ("zz%uq", i);
    case QUERY_BROWSE:
    default:
      return g_strdup ("");
    }
}

/* ---- the clients ------------------------------------------------------------------- */

/* One kind of query being measured: every client sends one, waits for its
 * answer, sends the next, until the deadline. */
typedef struct {
  Crowd     *crowd;
  QueryKind  kind;
  guint     *next;       /* by slot: which query it sends next */
  gint64    *sent_at;    /* by slot */
  GArray    *latency;    /* seconds */
  guint64    count, errors, rooms;
  gint64     deadline;
  guint      in_flight;
} Search;

static guint
search_slot (LeanClient *c)
{
  return GPOINTER_TO_UINT (lean_client_get_data (c));
}

static void
search_send (Search *s, LeanClient *c)
{
  if (g_get_monotonic_time () >= s->deadline)
    return;
  guint slot = search_slot (c);
  g_autofree char *text = query_text (s->kind, s->next[slot]++);
  /* As SIPE sends it (perch_client_build_search_data escapes the text). */
  g_autofree char *data = perch_client_build_search_data (text);
  s->sent_at[slot] = g_get_monotonic_time ();
  lean_client_command (c, "cmd:chansrch", data);
  s->in_flight++;
}

static void
search_answered (LeanClient *c, guint32 cseq, int status, gpointer data)
{
  Search *s = data;
  if (status == 200)
    return;
  /* Refused (a 503, say): no XCCOS reply follows. */
  s->errors++;
  s->in_flight--;
  search_send (s, c);
}

static void
search_replied (LeanClient *c, const char *body, gsize len, gpointer data)
{
  Search *s = data;
  if (lean_find (body, len, "<rpl id=\"rpl:chansrch\"") == NULL)
    return;
  double lat = (g_get_monotonic_time () - s->sent_at[search_slot (c)]) / 1e6;
  g_array_append_val (s->latency, lat);
  s->in_flight--;
  if (lean_find (body, len, "<resp code=\"200\"") == NULL)
    s->errors++;
  else
    {
      s->count++;
      for (const char *p = body; (p = lean_find (p, body + len - p, "<chanib ")) != NULL; p++)
        s->rooms++;
    }
  search_send (s, c);
}

static gboolean
search_done (gpointer data)
{
  Search *s = data;
  return s->in_flight == 0 && g_get_monotonic_time () >= s->deadline;
}

static void
search_run (Server *server, Crowd *crowd, QueryKind kind)
{
  g_autofree guint *next = g_new0 (guint, crowd->n);
  g_autofree gint64 *sent_at = g_new0 (gint64, crowd->n);
  for (guint i = 0; i < crowd->n; i++)
    next[i] = i * 1000;  /* each client its own queries */
  double cpu0 = server_cpu_s (server);
  Load load;
  load_mark (server, &load);
  gint64 t0 = g_get_monotonic_time ();
  Search s = { crowd, kind, next, sent_at, g_array_new (FALSE, FALSE, sizeof (double)), 0, 0, 0,
               t0 + (gint64) opt.seconds * G_USEC_PER_SEC, 0 };
  const LeanCallbacks cb = { .info_answered = search_answered, .server_info = search_replied };
  lean_loop_set_callbacks (crowd->loop, &cb, &s);
  for (guint i = 0; i < crowd->n; i++)
    if (crowd->clients[i] != NULL)
      search_send (&s, crowd->clients[i]);
  crowd_run (crowd, search_done, NULL, &s, s.deadline + 60 * G_USEC_PER_SEC);
  double elapsed = (g_get_monotonic_time () - t0) / 1e6;
  double cpu = server_cpu_s (server) - cpu0;
  const char *label = query_labels[kind];
  g_autofree char *a = g_strdup_printf ("chansrch %s: requests per second", label);
  g_autofree char *b = g_strdup_printf ("chansrch %s: latency p50", label);
  g_autofree char *c = g_strdup_printf ("chansrch %s: latency p99", label);
  g_autofree char *d = g_strdup_printf ("chansrch %s: latency p999", label);
  g_autofree char *e = g_strdup_printf ("chansrch %s: rooms per answer", label);
  g_autofree char *f = g_strdup_printf ("chansrch %s: server CPU per request", label);
  g_autofree char *g = g_strdup_printf ("chansrch %s: errors", label);
  figure (a, s.count / elapsed, "/s");
  figure (b, percentile (s.latency, 0.5) * 1000, "ms");
  figure (c, percentile (s.latency, 0.99) * 1000, "ms");
  figure (d, percentile (s.latency, 0.999) * 1000, "ms");
  figure (e, s.count ? (double) s.rooms / s.count : 0, "");
  figure (f, cpu / MAX (1, s.count + s.errors) * 1e6, "us");
  figure (g, s.errors, "");
  g_autofree char *prefix = g_strdup_printf ("chansrch %s: ", label);
  load_figures (server, &load, prefix);
  g_array_unref (s.latency);
}

void
scenario_search (void)
{
  Server s = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  bench_search_seeding = TRUE;
  gboolean started = server_start (&s, &error);
  bench_search_seeding = FALSE;
  if (!started)
    g_error ("%s", error->message);
  g_printerr ("(seeding and start took %.1f s)\n", (g_get_monotonic_time () - t0) / 1e6);
  g_print ("search: chansrch over %d rooms, %d clients, %d s per kind of query\n", search_rooms, search_clients,
           opt.seconds);
  Crowd crowd = { 0 };
  crowd_sign_in (&crowd, &s, (guint) MAX (search_clients, 1));
  if (crowd.ready == 0)
    g_error ("no client signed in");
  json_builder_set_member_name (results, "search");
  json_builder_begin_object (results);
  figure ("rooms in the pool", search_rooms, "");
  figure ("clients", crowd.ready, "");
  g_auto(GStrv) kinds = search_queries ? g_strsplit (search_queries, ",", -1) : NULL;
  for (QueryKind k = QUERY_NAME; k <= QUERY_BROWSE; k++)
    if (kinds == NULL || g_strv_contains ((const char *const *) kinds, query_labels[k]))
      search_run (&s, &crowd, k);
  json_builder_end_object (results);
  crowd_free (&crowd);
  if (opt.keep)
    g_print ("data dir kept: %s\n", s.dir);
  server_stop (&s);
}
