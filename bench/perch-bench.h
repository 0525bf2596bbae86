/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-bench.h: what perch-bench's scenarios share: the options, the
 * server under test, the figures. perch-bench.c holds main() and the
 * sign-in, fan-out and history scenarios; a scenario with more code than
 * that has a file of its own (perch-bench-search.c). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "perch-bench-lean.h"
#include "perch-store.h"

G_BEGIN_DECLS

#define DOMAIN "example.test"

typedef struct {
  char    *perchd;
  char    *scenario;
  gint     users;          /* accounts to seed */
  gint     sessions;       /* sign-in storm: concurrent sessions */
  gint     window;         /* sign-ins in flight at once */
  gint     room_size;      /* fan-out: sessions per room */
  gint     rooms;          /* fan-out: rooms */
  gint     posts;          /* fan-out: posts per room */
  gint     rate;           /* fan-out: posts per second overall */
  gint     history_msgs;   /* history: messages in the room */
  gint     history_clients;
  gint     seconds;        /* history, search: duration of a measurement */
  gint     commands_per_second;  /* seeded per-session limit; 0: 10,000,000 (none) */
  gint     max_pending_writes;   /* seeded committer backlog before 503; 0: perchd's default */
  char    *json;
  gboolean keep;
} Options;

extern Options      opt;
extern JsonBuilder *results;     /* the figures, as JSON */

/* A perchd started on a data dir of its own, seeded first. */
typedef struct {
  GSubprocess *proc;
  char        *dir;
  guint16      sip_port;
  GPid         pid;
} Server;

gboolean   server_start (Server *s, GError **error);
void       server_stop (Server *s);        /* removes the data dir unless --keep */
double     server_cpu_s (Server *s);       /* CPU time so far, seconds */
gint64     server_rss_kib (Server *s);     /* resident memory now, KiB */

/* The P quantile (0..1) of SAMPLES (sorts them); NAN when empty. */
double     percentile (GArray *samples, double p);
/* Prints one figure and adds it to the current JSON object. */
void       figure (const char *name, double value, const char *unit);

/* Sessions signed in through the lean engine (perch-bench-lean.h); slot i
 * signs in as u<i % users> and is found again through its client data. */
typedef struct {
  LeanLoop    *loop;
  LeanClient **clients;   /* by slot; NULL when it failed */
  guint        n, next, in_flight, ready, failed;
} Crowd;

/* Signs N sessions in, --window at a time; returns the seconds it took. */
double     crowd_sign_in (Crowd *crowd, Server *s, guint n);
void       crowd_free (Crowd *crowd);
/* Joins slot i to bench-<ROOM_OF (i)>; returns how many joins failed. */
guint      crowd_join (Crowd *crowd, guint (*room_of) (guint slot));
/* Iterates until DONE (or DEADLINE), calling TICK, if any, before each
 * iteration. */
void       crowd_run (Crowd *crowd, gboolean (*done) (gpointer), void (*tick) (gpointer), gpointer data,
                      gint64 deadline);

/* What the machine's CPUs did during a measurement: the bench's own share
 * and what other processes took, to tell a quiet run from a crowded one. */
typedef struct {
  double machine, server, self;   /* CPU seconds so far */
  gint64 t;                       /* monotonic µs */
} Load;

void       load_mark (Server *s, Load *l);
/* Prints the load figures since BEFORE, each name prefixed with LABEL;
 * returns the bench's own CPU seconds. */
double     load_figures (Server *s, const Load *before, const char *label);

/* perch-bench-search.c: chansrch over many rooms. */
extern const GOptionEntry bench_search_entries[];
extern gboolean           bench_search_seeding;   /* server_start seeds the search rooms */
gboolean   bench_search_seed (PerchStore *store, GError **error);
void       scenario_search (void);

/* perch-bench-overload.c: posts offered beyond capacity. */
extern const GOptionEntry bench_overload_entries[];
void       scenario_overload (void);

/* perch-bench-mixed.c: the Lync user model at one scale. */
extern const GOptionEntry bench_mixed_entries[];
void       scenario_mixed (void);

G_END_DECLS
