/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-compliance.c: the compliance service.
 *
 * Unit level, on a store the test fills: the XML output for a scripted
 * sequence of events, read back with libxml2 and compared event by event;
 * one file per room; room and user details; the attachment manifest; an
 * adapter failure that keeps the events and records the error, then
 * delivers them once the fault is gone; the command adapter (success,
 * failure, timeout); a crash between "planned" and "done" (a test hook
 * stops the run there), then a restart: every event once; the store's
 * side (plan, done, failed, counts by type) and the status.
 *
 * With the real perchd: a scripted chat session whose output is exactly its
 * JOIN, CHAT, BACKCHAT and PART events; and kill -9 at random points while
 * clients post and compliance runs (SIGUSR1 in a loop), restarting each
 * time: afterwards every acknowledged post's CHAT event is in the output
 * exactly once, in order. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <libxml/parser.h>

#include "perch-channel.h"
#include "perch-committer.h"
#include "perch-compliance.h"
#include "perch-xccos.h"
#include "perch-test-util.h"

#define DOMAIN     "example.test"
#define RUN_MS     30000
#define TICKS_AT_1970 G_GINT64_CONSTANT (621355968000000000)

/* ---- reading the output back ---------------------------------------------------- */

typedef struct {
  char  *file;          /* base name of the file it came from */
  char  *channel;       /* the Conversation's Channel uri */
  char  *channel_name;
  char  *category;
  char  *privacy;
  char  *type;
  char  *content;
  char  *sender;        /* Sender uri */
  char  *user_name;     /* Sender UserName, NULL without details */
  char  *internal;
  gint64 msg_id;
  gint64 event_id;
  gint64 since1970;     /* milliseconds */
} OutMsg;

static void
out_msg_free (OutMsg *m)
{
  g_free (m->file);
  g_free (m->channel);
  g_free (m->channel_name);
  g_free (m->category);
  g_free (m->privacy);
  g_free (m->type);
  g_free (m->content);
  g_free (m->sender);
  g_free (m->user_name);
  g_free (m->internal);
  g_free (m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OutMsg, out_msg_free)

static gint64
int_attr (xmlNode *node, const char *name)
{
  gint64 v = 0;
  if (!perch_xml_get_int64 (node, name, &v))
    g_error ("<%s> has no integer %s", node ? (const char *) node->name : "(none)", name);
  return v;
}

/* The three spellings of one time agree; returns the milliseconds. */
static gint64
check_time (xmlNode *node)
{
  g_assert_nonnull (node);
  gint64 ms = int_attr (node, "since1970");
  gint64 ticks = int_attr (node, "long");
  g_autofree char *text = perch_xml_get (node, "string");
  g_assert_cmpint ((ticks - TICKS_AT_1970) / 10000, ==, ms);
  g_assert_nonnull (text);
  g_assert_true (g_str_has_suffix (text, "Z"));
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (text, NULL);
  g_assert_nonnull (dt);
  g_assert_cmpint (g_date_time_to_unix (dt) * 1000 + g_date_time_get_microsecond (dt) / 1000, ==, ms);
  return ms;
}

static OutMsg *
out_msg_from (xmlNode *m, const char *file, xmlNode *channel)
{
  OutMsg *out = g_new0 (OutMsg, 1);
  out->file = g_strdup (file);
  out->channel = perch_xml_get (channel, "uri");
  out->channel_name = perch_xml_get (channel, "name");
  out->category = perch_xml_get (channel, "category");
  out->privacy = perch_xml_get (channel, "privacy");
  out->type = perch_xml_get (m, "type");
  out->content = perch_xml_get (m, "content");
  out->msg_id = int_attr (m, "id");
  out->event_id = int_attr (m, "eventId");
  xmlNode *sender = perch_xml_child (m, "Sender");
  g_assert_nonnull (sender);
  out->sender = perch_xml_get (sender, "uri");
  out->user_name = perch_xml_get (sender, "UserName");
  out->internal = perch_xml_get (sender, "internal");
  out->since1970 = check_time (perch_xml_child (m, "DateTimeUTC"));
  return out;
}

/* Every Message of one output file, checking the document's shape on the
 * way: a Channel, a FirstMessage that is the first Message, start and end
 * times that bound the messages'. */
static void
read_file (const char *dir, const char *name, GPtrArray *out)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  xmlDoc *doc = xmlReadFile (path, NULL, XML_PARSE_NONET);
  if (doc == NULL)
    g_error ("%s is not well-formed XML", path);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_assert_cmpstr ((const char *) root->name, ==, "Conversations");
  for (xmlNode *conv = perch_xml_child (root, "Conversation"); conv; conv = perch_xml_next (conv, "Conversation"))
    {
      xmlNode *channel = perch_xml_child (conv, "Channel");
      xmlNode *first = perch_xml_child (conv, "FirstMessage");
      xmlNode *messages = perch_xml_child (conv, "Messages");
      g_assert_nonnull (channel);
      g_assert_nonnull (first);
      g_assert_nonnull (messages);
      gint64 lo = G_MAXINT64, hi = G_MININT64;
      guint n = 0;
      for (xmlNode *m = perch_xml_child (messages, "Message"); m; m = perch_xml_next (m, "Message"))
        {
          OutMsg *msg = out_msg_from (m, name, channel);
          if (n++ == 0)
            {
              g_autoptr(OutMsg) f = out_msg_from (first, name, channel);
              g_assert_cmpint (f->event_id, ==, msg->event_id);
              g_assert_cmpstr (f->type, ==, msg->type);
              g_assert_cmpstr (f->content, ==, msg->content);
            }
          lo = MIN (lo, msg->since1970);
          hi = MAX (hi, msg->since1970);
          g_ptr_array_add (out, msg);
        }
      g_assert_cmpuint (n, >, 0);
      g_assert_cmpint (check_time (perch_xml_child (conv, "StartTimeUTC")), ==, lo);
      g_assert_cmpint (check_time (perch_xml_child (conv, "EndTimeUTC")), ==, hi);
    }
  xmlFreeDoc (doc);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names of the output files (not manifests), sorted; asserts that no
 * temporary file is left. */
static GPtrArray *
output_files (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      if (g_str_has_suffix (name, ".tmp"))
        g_error ("a temporary file is left in the output: %s", name);
      if (g_str_has_prefix (name, "perch-compliance-") && g_str_has_suffix (name, ".xml") &&
          !g_str_has_suffix (name, ".manifest.xml"))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  return names;
}

static gint
compare_event_ids (gconstpointer a, gconstpointer b)
{
  const OutMsg *x = *(OutMsg *const *) a, *y = *(OutMsg *const *) b;
  return x->event_id < y->event_id ? -1 : x->event_id > y->event_id;
}

/* Every message of every output file in DIR, by event id, each asserted to
 * be there once. */
static GPtrArray *
read_output (const char *dir)
{
  g_autoptr(GPtrArray) names = output_files (dir);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) out_msg_free);
  for (guint i = 0; i < names->len; i++)
    read_file (dir, g_ptr_array_index (names, i), out);
  g_ptr_array_sort (out, compare_event_ids);
  for (guint i = 1; i < out->len; i++)
    {
      OutMsg *a = g_ptr_array_index (out, i - 1), *b = g_ptr_array_index (out, i);
      if (a->event_id == b->event_id)
        g_error ("event %" G_GINT64_FORMAT " is in the output twice (%s and %s)", a->event_id, a->file, b->file);
    }
  return out;
}

/* ---- the unit fixture: a store, a channel and the service ---------------------- */

typedef struct {
  char            *dir;
  char            *out_dir;
  char            *path;
  PerchStore      *store;
  PerchCommitter  *committer;
  PerchChannel    *channel;
  PerchCompliance *service;
  char            *alpha;      /* room ids */
  char            *beta;
  char            *alpha_uri;
  char            *beta_uri;
} Fixture;

static void
set_config (Fixture *f, const char *key, const char *value)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_channel_config_validate (key, value, &error));
  g_assert_no_error (error);
  g_assert_true (perch_store_config_set (f->store, key, value, &error));
  g_assert_no_error (error);
}

static void
put_user (Fixture *f, const char *uri, const char *display_name, gboolean admin)
{
  g_autoptr(GError) error = NULL;
  PerchUser u = { .uri = (char *) uri, .display_name = (char *) display_name, .ha1 = (char *) "0", .admin = admin,
                  .enabled = 1 };
  g_assert_true (perch_store_user_put (f->store, &u, &error));
  g_assert_no_error (error);
}

static char *
make_room (Fixture *f, gint64 cat, const char *name, PerchPrivacy privacy)
{
  g_autoptr(GError) error = NULL;
  PerchRoomInfo room = { .name = (char *) name, .category_id = cat, .privacy = privacy, .invitations = TRUE };
  g_assert_true (perch_store_room_create (f->store, &room, &error));
  g_assert_no_error (error);
  return room.id;
}

static void
start_service (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  f->service = perch_compliance_new (f->store, f->channel, f->dir, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->service);
}

static void
stop_service (Fixture *f)
{
  perch_compliance_stop (f->service);
  g_clear_object (&f->service);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("perch-compliance-XXXXXX", &error);
  g_assert_no_error (error);
  f->out_dir = g_build_filename (f->dir, "out", NULL);
  f->path = g_build_filename (f->dir, "perch.db", NULL);
  f->store = perch_store_open_sqlite (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (perch_store_config_set (f->store, "domain", DOMAIN, &error));

  PerchCategory cat = { .name = (char *) "Engineering", .file_upload = TRUE, .chat_history = TRUE };
  g_assert_true (perch_store_category_create (f->store, &cat, &error));
  g_assert_no_error (error);
  f->alpha = make_room (f, cat.id, "Alpha", PERCH_PRIVACY_OPEN);
  f->beta = make_room (f, cat.id, "Beta", PERCH_PRIVACY_SECRET);
  f->alpha_uri = perch_room_uri (DOMAIN, f->alpha);
  f->beta_uri = perch_room_uri (DOMAIN, f->beta);
  put_user (f, "sip:alice@" DOMAIN, "Alice Example", FALSE);
  put_user (f, "sip:bob@" DOMAIN, "Bob", FALSE);
  put_user (f, "sip:admin@" DOMAIN, "", TRUE);

  set_config (f, "compliance_enabled", "true");
  set_config (f, "compliance_output_dir", f->out_dir);
  f->committer = perch_committer_new (f->store, 1000);
  f->channel = perch_channel_new (f->store, f->committer, &error);
  g_assert_no_error (error);
  start_service (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->service != NULL)
    stop_service (f);
  perch_channel_free (f->channel);
  perch_committer_free (f->committer);
  perch_store_close (f->store);
  perch_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->out_dir);
  g_free (f->path);
  g_free (f->alpha);
  g_free (f->beta);
  g_free (f->alpha_uri);
  g_free (f->beta_uri);
}

/* One event (and for CHAT with STORE, its message) as the committer would
 * write it; returns the event id. */
static gint64
add_event (Fixture *f, PerchEventType type, const char *room, const char *user, const char *content,
           gint64 ts_us, gboolean store, gint64 *msg_id)
{
  g_autoptr(GError) error = NULL;
  PerchWrite w = { .type = type, .room_id = (char *) room, .user = (char *) user, .content = (char *) content,
                   .ts_us = ts_us, .store_message = store };
  PerchWrite *ws[] = { &w };
  g_assert_true (perch_store_write (f->store, ws, 1, &error));
  g_assert_no_error (error);
  if (msg_id != NULL)
    *msg_id = w.msg_id;
  return w.event_id;
}

static gboolean
run_compliance (Fixture *f, guint64 *events, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  perch_compliance_run_now_async (f->service, NULL, perch_test_async_ready, &result);
  perch_test_wait_result (&result, RUN_MS);
  return perch_compliance_run_now_finish (f->service, result, events, error);
}

static void
run_ok (Fixture *f, guint64 expected)
{
  g_autoptr(GError) error = NULL;
  guint64 events = 0;
  g_assert_true (run_compliance (f, &events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (events, ==, expected);
}

static GPtrArray *
runs_of (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *runs = perch_store_compliance_runs (f->store, 0, 100, &error);
  g_assert_no_error (error);
  return runs;
}

/* ---- the scripted sequence ------------------------------------------------------ */

typedef struct {
  const char *type;
  const char *room;       /* uri */
  const char *sender;     /* without sip: */
  const char *content;
  gint64      event_id;
  gint64      msg_id;
  gint64      ms;         /* -1: any time in [lo, hi] */
} Expected;

static void
test_xml_scripted (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const gint64 t0 = G_GINT64_CONSTANT (1700000000000000);  /* 2023-11-14T22:13:20Z */
  Expected ex[16];
  guint n = 0;
  gint64 msg1 = 0, msg2 = 0, msg3 = 0;

#define EXPECT(t, r, s, c, e, m, ms_) ex[n++] = (Expected) { t, r, s, c, e, m, ms_ }
  EXPECT ("JOIN", f->alpha_uri, "alice@" DOMAIN, "",
          add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, t0, FALSE, NULL), 0, t0 / 1000);
  gint64 e = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "hello <world> & \"friends\"",
                        t0 + 1234567, TRUE, &msg1);
  EXPECT ("CHAT", f->alpha_uri, "alice@" DOMAIN, "hello <world> & \"friends\"", e, msg1, (t0 + 1234567) / 1000);
  EXPECT ("JOIN", f->beta_uri, "bob@" DOMAIN, "",
          add_event (f, PERCH_EVENT_JOIN, f->beta, "sip:bob@" DOMAIN, NULL, t0 + 2000000, FALSE, NULL), 0,
          (t0 + 2000000) / 1000);
  e = add_event (f, PERCH_EVENT_CHAT, f->beta, "sip:bob@" DOMAIN, "안녕하세요\nsecond line", t0 + 3000000, TRUE, &msg2);
  EXPECT ("CHAT", f->beta_uri, "bob@" DOMAIN, "안녕하세요\nsecond line", e, msg2, (t0 + 3000000) / 1000);
  EXPECT ("BACKCHAT", f->alpha_uri, "bob@" DOMAIN, "",
          add_event (f, PERCH_EVENT_BACKCHAT, f->alpha, "sip:bob@" DOMAIN, NULL, t0 + 4000000, FALSE, NULL), 0,
          (t0 + 4000000) / 1000);
  /* a category without history: archived, not stored */
  e = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:bob@" DOMAIN, "not kept", t0 + 5000000, FALSE, &msg3);
  g_assert_cmpint (msg3, ==, 0);
  EXPECT ("CHAT", f->alpha_uri, "bob@" DOMAIN, "not kept", e, 0, (t0 + 5000000) / 1000);
  EXPECT ("FILEUPLOAD", f->alpha_uri, "alice@" DOMAIN, "f0123abc",
          add_event (f, PERCH_EVENT_FILEUPLOAD, f->alpha, "sip:alice@" DOMAIN, "f0123abc", t0 + 6000000, FALSE, NULL),
          0, (t0 + 6000000) / 1000);
  EXPECT ("FILEDOWNLOAD", f->alpha_uri, "bob@" DOMAIN, "f0123abc",
          add_event (f, PERCH_EVENT_FILEDOWNLOAD, f->alpha, "sip:bob@" DOMAIN, "f0123abc", t0 + 7000000, FALSE, NULL),
          0, (t0 + 7000000) / 1000);
  EXPECT ("PART", f->alpha_uri, "alice@" DOMAIN, "",
          add_event (f, PERCH_EVENT_PART, f->alpha, "sip:alice@" DOMAIN, NULL, t0 + 8000000, FALSE, NULL), 0,
          (t0 + 8000000) / 1000);

  /* The administrative events, through the store's own paths. */
  gint64 lo = perch_now_us () / 1000;
  {
    GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_array_append_val (ids, msg1);
    PerchMessageFilter filter = { .room_id = f->alpha, .ids = ids };
    g_autoptr(GArray) changed = perch_store_messages_change (f->store, &filter, "This message was replaced.",
                                                             "sip:admin@" DOMAIN, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (changed->len, ==, 1);
    g_array_unref (ids);
  }
  {
    GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
    g_array_append_val (ids, msg2);
    PerchMessageFilter filter = { .room_id = f->beta, .ids = ids };
    g_autoptr(GArray) changed = perch_store_messages_change (f->store, &filter, NULL, "sip:admin@" DOMAIN, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (changed->len, ==, 1);
    g_array_unref (ids);
  }
  g_assert_cmpint (perch_store_room_clear (f->store, f->beta, t0 + 10000000, "sip:admin@" DOMAIN, &error), ==, 1);
  g_assert_no_error (error);
  gint64 hi = perch_now_us () / 1000;
  g_autofree char *clear_text = NULL;
  {
    g_autoptr(GPtrArray) pending = perch_store_events_pending (f->store, ex[n - 1].event_id, 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (pending->len, ==, 3);
    EXPECT ("REPLACE", f->alpha_uri, "admin@" DOMAIN, "This message was replaced.",
            ((PerchEvent *) pending->pdata[0])->id, msg1, -1);
    EXPECT ("REMOVE", f->beta_uri, "admin@" DOMAIN, "", ((PerchEvent *) pending->pdata[1])->id, msg2, -1);
    clear_text = g_strdup (((PerchEvent *) pending->pdata[2])->content);
    EXPECT ("CLEAR", f->beta_uri, "admin@" DOMAIN, clear_text,
            ((PerchEvent *) pending->pdata[2])->id, 0, -1);
    g_assert_true (g_str_has_prefix (((PerchEvent *) pending->pdata[2])->content, "up to "));
  }
#undef EXPECT

  run_ok (f, n);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 0);

  /* One file, named by the range. */
  g_autoptr(GPtrArray) files = output_files (f->out_dir);
  g_assert_cmpuint (files->len, ==, 1);
  g_autofree char *name = g_strdup_printf ("perch-compliance-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT ".xml",
                                           ex[0].event_id, ex[n - 1].event_id);
  g_assert_cmpstr (g_ptr_array_index (files, 0), ==, name);

  /* Event by event. Conversations come in order of each room's first
   * event, so the file lists Alpha's events, then Beta's. */
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) out_msg_free);
  read_file (f->out_dir, name, out);
  g_assert_cmpuint (out->len, ==, n);
  guint k = 0;
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < n; i++)
      {
        const Expected *x = &ex[i];
        if (strcmp (x->room, pass == 0 ? f->alpha_uri : f->beta_uri) != 0)
          continue;
        OutMsg *m = g_ptr_array_index (out, k++);
        g_test_message ("event %" G_GINT64_FORMAT ": %s %s", m->event_id, m->type, m->content);
        g_assert_cmpint (m->event_id, ==, x->event_id);
        g_assert_cmpstr (m->type, ==, x->type);
        g_assert_cmpstr (m->channel, ==, x->room);
        g_assert_cmpstr (m->channel_name, ==, x->room);   /* no room details asked for */
        g_assert_null (m->category);
        g_assert_cmpstr (m->sender, ==, x->sender);
        g_assert_null (m->user_name);                     /* no user details asked for */
        g_assert_cmpstr (m->content, ==, x->content);
        g_assert_cmpint (m->msg_id, ==, x->msg_id);
        if (x->ms >= 0)
          g_assert_cmpint (m->since1970, ==, x->ms);
        else
          {
            g_assert_cmpint (m->since1970, >=, lo);
            g_assert_cmpint (m->since1970, <=, hi);
          }
      }
  g_assert_cmpuint (k, ==, n);

  /* The exact time text for the first event, as Lync writes it. */
  g_autofree char *path = g_build_filename (f->out_dir, name, NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "<DateTimeUTC since1970=\"1700000000000\" string=\"2023-11-14T22:13:20.0000000Z\""
                                  " long=\"638355968000000000\"/>"));
  g_assert_nonnull (strstr (text, "string=\"2023-11-14T22:13:21.2345670Z\""));

  /* The run is recorded as done, with its range and size. */
  g_autoptr(GPtrArray) runs = runs_of (f);
  g_assert_cmpuint (runs->len, ==, 1);
  PerchComplianceRun *r = g_ptr_array_index (runs, 0);
  g_assert_cmpint (r->state, ==, PERCH_RUN_DONE);
  g_assert_cmpint (r->first_event_id, ==, ex[0].event_id);
  g_assert_cmpint (r->last_event_id, ==, ex[n - 1].event_id);
  g_assert_cmpint (r->events, ==, n);
  g_assert_cmpstr (r->adapter, ==, "xml");
  g_assert_null (r->error);

  /* Nothing pending: a run delivers nothing and writes nothing. */
  run_ok (f, 0);
  g_autoptr(GPtrArray) again = output_files (f->out_dir);
  g_assert_cmpuint (again->len, ==, 1);
}

static void
test_one_room_per_file (Fixture *f, gconstpointer data)
{
  set_config (f, "compliance_one_room_per_file", "true");
  gint64 first = add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, 0, FALSE, NULL);
  add_event (f, PERCH_EVENT_JOIN, f->beta, "sip:bob@" DOMAIN, NULL, 0, FALSE, NULL);
  add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "in alpha", 0, TRUE, NULL);
  gint64 last = add_event (f, PERCH_EVENT_CHAT, f->beta, "sip:bob@" DOMAIN, "in beta", 0, TRUE, NULL);
  run_ok (f, 4);

  g_autoptr(GPtrArray) files = output_files (f->out_dir);
  g_assert_cmpuint (files->len, ==, 2);
  for (guint i = 0; i < files->len; i++)
    {
      const char *name = g_ptr_array_index (files, i);
      g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) out_msg_free);
      read_file (f->out_dir, name, msgs);
      g_assert_cmpuint (msgs->len, ==, 2);
      OutMsg *m0 = g_ptr_array_index (msgs, 0), *m1 = g_ptr_array_index (msgs, 1);
      const char *room = strcmp (m0->channel, f->alpha_uri) == 0 ? f->alpha : f->beta;
      g_autofree char *expected = g_strdup_printf ("perch-compliance-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "-%s.xml",
                                                   first, last, room);
      g_assert_cmpstr (name, ==, expected);
      g_assert_cmpstr (m0->channel, ==, m1->channel);
      g_assert_cmpstr (m0->type, ==, "JOIN");
      g_assert_cmpstr (m1->type, ==, "CHAT");
      g_assert_cmpstr (m1->content, ==, room == f->alpha ? "in alpha" : "in beta");
    }
  g_autoptr(GPtrArray) all = read_output (f->out_dir);
  g_assert_cmpuint (all->len, ==, 4);
}

static void
test_details (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  set_config (f, "compliance_add_room_details", "true");
  set_config (f, "compliance_add_user_details", "true");
  PerchCategory gone_cat = { .name = (char *) "Gone" };
  g_assert_true (perch_store_category_create (f->store, &gone_cat, &error));
  g_autofree char *gone = make_room (f, gone_cat.id, "Soon gone", PERCH_PRIVACY_CLOSED);
  g_autofree char *gone_uri = perch_room_uri (DOMAIN, gone);

  add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "hi", 0, TRUE, NULL);
  add_event (f, PERCH_EVENT_CHAT, f->beta, "sip:admin@" DOMAIN, "admin here", 0, TRUE, NULL);
  add_event (f, PERCH_EVENT_JOIN, f->beta, "sip:stranger@" DOMAIN, NULL, 0, FALSE, NULL);
  add_event (f, PERCH_EVENT_JOIN, gone, "sip:bob@" DOMAIN, NULL, 0, FALSE, NULL);
  /* The room goes before compliance runs: its events still reach the
   * output, without details. */
  g_assert_true (perch_store_room_delete (f->store, gone, &error));
  g_assert_no_error (error);
  run_ok (f, 4);

  g_autoptr(GPtrArray) out = read_output (f->out_dir);
  g_assert_cmpuint (out->len, ==, 4);
  OutMsg *m = g_ptr_array_index (out, 0);
  g_assert_cmpstr (m->channel, ==, f->alpha_uri);
  g_assert_cmpstr (m->channel_name, ==, "Alpha");
  g_assert_cmpstr (m->category, ==, "Engineering");
  g_assert_cmpstr (m->privacy, ==, "open");
  g_assert_cmpstr (m->user_name, ==, "Alice Example");
  g_assert_cmpstr (m->internal, ==, "true");
  g_assert_cmpstr (m->sender, ==, "alice@" DOMAIN);
  m = g_ptr_array_index (out, 1);
  g_assert_cmpstr (m->channel_name, ==, "Beta");
  g_assert_cmpstr (m->privacy, ==, "secret");
  g_assert_cmpstr (m->user_name, ==, "admin@" DOMAIN);   /* no display name: the address */
  g_assert_cmpstr (m->internal, ==, "true");
  m = g_ptr_array_index (out, 2);
  g_assert_cmpstr (m->sender, ==, "stranger@" DOMAIN);
  g_assert_cmpstr (m->internal, ==, "false");             /* not a user of the pool */
  m = g_ptr_array_index (out, 3);
  g_assert_cmpstr (m->channel, ==, gone_uri);
  g_assert_cmpstr (m->channel_name, ==, gone_uri);
  g_assert_null (m->category);
  g_assert_cmpstr (m->user_name, ==, "Bob");
}

static void
test_manifest (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  set_config (f, "compliance_create_attachment_manifest", "true");
  g_autofree char *files = g_build_filename (f->dir, "files", NULL);
  g_assert_cmpint (g_mkdir (files, 0700), ==, 0);
  g_autofree char *present = g_build_filename (files, "file-0001", NULL);
  g_assert_true (g_file_set_contents (present, "attachment body", -1, &error));
  /* outside the file store: must not be read through an event's content */
  g_autofree char *secret = g_build_filename (f->dir, "secret", NULL);
  g_assert_true (g_file_set_contents (secret, "secret", -1, &error));

  gint64 first = add_event (f, PERCH_EVENT_FILEUPLOAD, f->alpha, "sip:alice@" DOMAIN, "file-0001", 0, FALSE, NULL);
  add_event (f, PERCH_EVENT_FILEUPLOAD, f->alpha, "sip:bob@" DOMAIN, "file-missing", 0, FALSE, NULL);
  add_event (f, PERCH_EVENT_FILEUPLOAD, f->beta, "sip:bob@" DOMAIN, "../secret", 0, FALSE, NULL);
  gint64 last = add_event (f, PERCH_EVENT_FILEDOWNLOAD, f->alpha, "sip:bob@" DOMAIN, "file-0001", 0, FALSE, NULL);
  run_ok (f, 4);

  g_autofree char *name = g_strdup_printf ("%s/perch-compliance-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT
                                           ".manifest.xml", f->out_dir, first, last);
  xmlDoc *doc = xmlReadFile (name, NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_assert_cmpstr ((const char *) root->name, ==, "Attachments");
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, "attachment body", -1);
  guint n = 0;
  for (xmlNode *file = perch_xml_child (root, "File"); file; file = perch_xml_next (file, "File"), n++)
    {
      g_autofree char *id = perch_xml_get (file, "id");
      g_autofree char *missing = perch_xml_get (file, "missing");
      g_autofree char *sha = perch_xml_get (file, "sha256");
      g_autofree char *channel = perch_xml_get (file, "channel");
      g_test_message ("manifest: %s missing=%s", id, missing);
      if (n == 0)
        {
          g_assert_cmpstr (id, ==, "file-0001");
          g_assert_null (missing);
          g_assert_cmpint (int_attr (file, "size"), ==, strlen ("attachment body"));
          g_assert_cmpstr (sha, ==, sum);
          g_assert_cmpint (int_attr (file, "eventId"), ==, first);
          g_assert_cmpstr (channel, ==, f->alpha_uri);
        }
      else
        {
          g_assert_cmpstr (missing, ==, "true");
          g_assert_null (sha);
        }
    }
  g_assert_cmpuint (n, ==, 3);   /* uploads only */
  xmlFreeDoc (doc);
  /* The manifest is not an output file of events; the events file is. */
  g_autoptr(GPtrArray) out = read_output (f->out_dir);
  g_assert_cmpuint (out->len, ==, 4);

  /* The file the event names is copied beside the output, under its id;
   * nothing outside the file store is, whatever an event's content says. */
  g_autofree char *copy = g_build_filename (f->out_dir, "attachments", "file-0001", NULL);
  g_autofree char *body = NULL;
  g_assert_true (g_file_get_contents (copy, &body, NULL, NULL));
  g_assert_cmpstr (body, ==, "attachment body");
  g_autofree char *attachments_dir = g_path_get_dirname (copy);
  g_autoptr(GDir) attachments = g_dir_open (attachments_dir, 0, NULL);
  guint copies = 0;
  for (const char *entry; (entry = g_dir_read_name (attachments)) != NULL; copies++)
    g_assert_cmpstr (entry, ==, "file-0001");
  g_assert_cmpuint (copies, ==, 1);
}

/* ---- failures --------------------------------------------------------------- */

static void
test_adapter_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  /* A directory under a regular file cannot be made, root or not. */
  g_autofree char *file = g_build_filename (f->dir, "file", NULL);
  g_assert_true (g_file_set_contents (file, "not a directory", -1, NULL));
  g_autofree char *bad = g_build_filename (file, "sub", NULL);
  set_config (f, "compliance_output_dir", bad);
  set_config (f, "compliance_batch", "3");

  gint64 ids[8];
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("post %u", i);
      ids[i] = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, text, 0, TRUE, NULL);
    }
  guint64 events = 99;
  g_assert_false (run_compliance (f, &events, &error));
  g_assert_nonnull (error);
  g_test_message ("failure: %s", error->message);
  g_assert_nonnull (strstr (error->message, bad));
  g_assert_cmpuint (events, ==, 0);
  g_clear_error (&error);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 5);

  /* Recorded, and shown by the status. */
  {
    g_autoptr(PerchComplianceStatus) st = perch_compliance_status (f->service, &error);
    g_assert_no_error (error);
    g_assert_cmpint (st->pending, ==, 5);
    g_assert_cmpint (st->pending_by_type[PERCH_EVENT_CHAT], ==, 5);
    g_assert_cmpuint (st->runs->len, ==, 1);
    PerchComplianceRun *r = g_ptr_array_index (st->runs, 0);
    g_assert_cmpint (r->state, ==, PERCH_RUN_FAILED);
    g_assert_cmpint (r->first_event_id, ==, ids[0]);
    g_assert_cmpint (r->last_event_id, ==, ids[2]);
    g_assert_nonnull (strstr (r->error, "output directory"));
    g_assert_false (st->running);
  }
  /* Still failing: a second failed attempt, of the same range. */
  g_assert_false (run_compliance (f, NULL, &error));
  g_clear_error (&error);

  /* More events arrive meanwhile; then the fault goes away. */
  for (guint i = 5; i < 8; i++)
    {
      g_autofree char *text = g_strdup_printf ("post %u", i);
      ids[i] = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, text, 0, TRUE, NULL);
    }
  set_config (f, "compliance_output_dir", f->out_dir);
  run_ok (f, 8);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 0);

  /* The failed range was redone as it was (ids 0..2), then the rest in
   * batches of three. */
  g_autoptr(GPtrArray) runs = runs_of (f);
  g_assert_cmpuint (runs->len, ==, 5);
  static const struct { PerchRunState state; guint first, last; } want[] = {
    { PERCH_RUN_DONE, 6, 7 }, { PERCH_RUN_DONE, 3, 5 }, { PERCH_RUN_DONE, 0, 2 },
    { PERCH_RUN_FAILED, 0, 2 }, { PERCH_RUN_FAILED, 0, 2 },
  };
  for (guint i = 0; i < runs->len; i++)
    {
      PerchComplianceRun *r = g_ptr_array_index (runs, i);
      g_assert_cmpint (r->state, ==, want[i].state);
      g_assert_cmpint (r->first_event_id, ==, ids[want[i].first]);
      g_assert_cmpint (r->last_event_id, ==, ids[want[i].last]);
    }
  g_autoptr(GPtrArray) out = read_output (f->out_dir);
  g_assert_cmpuint (out->len, ==, 8);
  for (guint i = 0; i < 8; i++)
    {
      OutMsg *m = g_ptr_array_index (out, i);
      g_autofree char *text = g_strdup_printf ("post %u", i);
      g_assert_cmpint (m->event_id, ==, ids[i]);
      g_assert_cmpstr (m->content, ==, text);
    }
}

static void
test_disabled (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  set_config (f, "compliance_enabled", "false");
  add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, 0, FALSE, NULL);
  g_assert_false (run_compliance (f, NULL, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_RULE);
  g_clear_error (&error);
  g_autoptr(PerchComplianceStatus) st = perch_compliance_status (f->service, &error);
  g_assert_no_error (error);
  g_assert_false (st->enabled);
  g_assert_cmpint (st->pending, ==, 1);
  g_assert_cmpint (st->next_run_us, ==, 0);
  g_assert_false (g_file_test (f->out_dir, G_FILE_TEST_EXISTS));
}

/* ---- the command adapter ------------------------------------------------------- */

static char *
write_script (Fixture *f, const char *name, const char *body)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, name, NULL);
  g_autofree char *text = g_strconcat ("#!/bin/sh\n", body, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return path;
}

static void
test_command (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *archive = g_build_filename (f->dir, "archive", NULL);
  g_assert_cmpint (g_mkdir (archive, 0700), ==, 0);
  /* What an idempotent receiver does: one file per range, replaced. */
  g_autofree char *ok = write_script (f, "receive.sh",
    "set -e\n"
    "cat > \"$1/$PERCH_COMPLIANCE_FIRST-$PERCH_COMPLIANCE_LAST.xml.new\"\n"
    "mv \"$1/$PERCH_COMPLIANCE_FIRST-$PERCH_COMPLIANCE_LAST.xml.new\" \"$1/perch-compliance-$PERCH_COMPLIANCE_FIRST-$PERCH_COMPLIANCE_LAST.xml\"\n"
    "echo \"$PERCH_COMPLIANCE_RUN\" >> \"$1/runs\"\n");
  g_autofree char *fail = write_script (f, "fail.sh", "cat > /dev/null\necho 'archive is down' >&2\nexit 3\n");
  g_autofree char *hang = write_script (f, "hang.sh", "sleep 60 &\necho $! > \"$1/sleeper\"\nwait\n");
  g_autofree char *ok_cmd = g_strdup_printf ("%s '%s'", ok, archive);
  g_autofree char *hang_cmd = g_strdup_printf ("%s '%s'", hang, archive);

  set_config (f, "compliance_adapter", "command");

  /* Not set: a clear failure. */
  gint64 first = add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, 0, FALSE, NULL);
  gint64 last = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "to the archive", 0, TRUE, NULL);
  g_assert_false (run_compliance (f, NULL, &error));
  g_assert_nonnull (strstr (error->message, "compliance_command is not set"));
  g_clear_error (&error);

  /* Non-zero exit: its stderr is the error; the events stay. */
  set_config (f, "compliance_command", fail);
  g_assert_false (run_compliance (f, NULL, &error));
  g_test_message ("failure: %s", error->message);
  g_assert_nonnull (strstr (error->message, "exited with status 3: archive is down"));
  g_clear_error (&error);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 2);
  {
    g_autoptr(GPtrArray) runs = runs_of (f);
    PerchComplianceRun *r = g_ptr_array_index (runs, 0);
    g_assert_cmpint (r->state, ==, PERCH_RUN_FAILED);
    g_assert_cmpstr (r->adapter, ==, "command");
    g_assert_nonnull (strstr (r->error, "archive is down"));
  }

  /* Past the timeout: killed, with what it started. */
  set_config (f, "compliance_command", hang_cmd);
  set_config (f, "compliance_command_timeout", "1");
  gint64 t = g_get_monotonic_time ();
  g_assert_false (run_compliance (f, NULL, &error));
  gint64 took_ms = (g_get_monotonic_time () - t) / 1000;
  g_test_message ("timeout: %s, after %" G_GINT64_FORMAT " ms", error->message, took_ms);
  g_assert_nonnull (strstr (error->message, "timed out after 1 s"));
  g_assert_cmpint (took_ms, <, 10000);
  g_clear_error (&error);
  {
    g_autofree char *sleeper_path = g_build_filename (archive, "sleeper", NULL);
    g_autofree char *sleeper = NULL;
    g_assert_true (g_file_get_contents (sleeper_path, &sleeper, NULL, NULL));
    g_autofree char *proc = g_strdup_printf ("/proc/%d/stat", (int) g_ascii_strtoll (sleeper, NULL, 10));
    /* gone, or a zombie waiting for init */
    g_autofree char *stat = NULL;
    for (int i = 0; i < 200 && g_file_get_contents (proc, &stat, NULL, NULL) && !strstr (stat, ") Z "); i++)
      {
        g_clear_pointer (&stat, g_free);
        g_usleep (10000);
      }
    g_assert_true (stat == NULL || strstr (stat, ") Z ") != NULL);
    g_unlink (sleeper_path);
  }
  g_assert_cmpint (perch_store_events_count (f->store), ==, 2);

  /* The fault gone: delivered once, with the range in its environment. */
  set_config (f, "compliance_command", ok_cmd);
  run_ok (f, 2);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 0);
  g_autoptr(GPtrArray) out = read_output (archive);
  g_assert_cmpuint (out->len, ==, 2);
  g_assert_cmpint (((OutMsg *) out->pdata[0])->event_id, ==, first);
  g_assert_cmpint (((OutMsg *) out->pdata[1])->event_id, ==, last);
  g_assert_cmpstr (((OutMsg *) out->pdata[1])->content, ==, "to the archive");
  g_autoptr(GPtrArray) runs = runs_of (f);
  g_autofree char *runs_path = g_build_filename (archive, "runs", NULL);
  g_autofree char *runs_text = NULL;
  g_assert_true (g_file_get_contents (runs_path, &runs_text, NULL, NULL));
  g_autofree char *want = g_strdup_printf ("%" G_GINT64_FORMAT "\n", ((PerchComplianceRun *) runs->pdata[0])->id);
  g_assert_cmpstr (runs_text, ==, want);
}

/* ---- crashes ------------------------------------------------------------------ */

typedef struct {
  PerchComplianceStage stop_at;
  guint                calls;
  gint64               run_id;
} Crash;

static gboolean
crash_hook (PerchComplianceStage stage, gint64 run_id, gpointer data)
{
  Crash *c = data;
  c->calls++;
  if (stage != c->stop_at)
    return TRUE;
  c->run_id = run_id;
  return FALSE;
}

/* A run stops between "planned" and "done" (after the adapter wrote, or
 * before it did), perchd "restarts", more events arrive, and a run after
 * the restart redoes the planned range first: every event is in the output
 * once. With PER_ROOM the configuration also changes between the crash and
 * the redo, from one file to one per room: the files of the first delivery
 * are replaced, not kept beside the new ones. */
static void
crash_between_planned_and_done (Fixture *f, PerchComplianceStage stage, gboolean per_room)
{
  g_autoptr(GError) error = NULL;
  Crash crash = { .stop_at = stage };
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf ("before the crash %u", i);
      add_event (f, PERCH_EVENT_CHAT, i % 2 ? f->alpha : f->beta, "sip:alice@" DOMAIN, text, 0, TRUE, NULL);
    }
  perch_compliance_set_test_hook (f->service, crash_hook, &crash);
  g_assert_false (run_compliance (f, NULL, &error));
  g_assert_nonnull (strstr (error->message, "abandoned"));
  g_clear_error (&error);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 6);
  {
    g_autoptr(GPtrArray) runs = runs_of (f);
    g_assert_cmpuint (runs->len, ==, 1);
    g_assert_cmpint (((PerchComplianceRun *) runs->pdata[0])->state, ==, PERCH_RUN_PLANNED);
    g_assert_cmpint (((PerchComplianceRun *) runs->pdata[0])->id, ==, crash.run_id);
  }
  g_autoptr(GPtrArray) before = output_files (f->out_dir);
  g_assert_cmpuint (before->len, ==, stage == PERCH_COMPLIANCE_STAGE_DELIVERED ? 1 : 0);

  stop_service (f);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *text = g_strdup_printf ("after the crash %u", i);
      add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:bob@" DOMAIN, text, 0, TRUE, NULL);
    }
  if (per_room)
    set_config (f, "compliance_one_room_per_file", "true");
  start_service (f);
  run_ok (f, 10);

  /* The planned run was finished as itself, then one more for the rest. */
  g_autoptr(GPtrArray) runs = runs_of (f);
  g_assert_cmpuint (runs->len, ==, 2);
  g_assert_cmpint (((PerchComplianceRun *) runs->pdata[1])->id, ==, crash.run_id);
  g_assert_cmpint (((PerchComplianceRun *) runs->pdata[1])->state, ==, PERCH_RUN_DONE);
  g_assert_cmpint (((PerchComplianceRun *) runs->pdata[1])->events, ==, 6);
  g_assert_cmpint (((PerchComplianceRun *) runs->pdata[0])->events, ==, 4);

  g_autoptr(GPtrArray) out = read_output (f->out_dir);   /* asserts each event once */
  g_assert_cmpuint (out->len, ==, 10);
  g_autoptr(GPtrArray) files = output_files (f->out_dir);
  g_assert_cmpuint (files->len, ==, per_room ? 3 : 2);
}

static void
test_crash_after_delivery (Fixture *f, gconstpointer data)
{
  crash_between_planned_and_done (f, PERCH_COMPLIANCE_STAGE_DELIVERED, FALSE);
}

static void
test_crash_before_delivery (Fixture *f, gconstpointer data)
{
  crash_between_planned_and_done (f, PERCH_COMPLIANCE_STAGE_PLANNED, FALSE);
}

static void
test_crash_then_config_change (Fixture *f, gconstpointer data)
{
  crash_between_planned_and_done (f, PERCH_COMPLIANCE_STAGE_DELIVERED, TRUE);
}

/* Runs asked for while one is going wait for it and then share one more
 * run; events committed while a run goes are taken by it or the next. */
typedef struct {
  Fixture *f;
  gboolean added;
} Between;

static gboolean
add_while_running (PerchComplianceStage stage, gint64 run_id, gpointer data)
{
  /* On the worker thread: the test's main thread is waiting, so nothing
   * else writes. The store's writer connection is free. */
  Between *b = data;
  if (!b->added)
    {
      b->added = TRUE;
      add_event (b->f, PERCH_EVENT_PART, b->f->alpha, "sip:alice@" DOMAIN, NULL, 0, FALSE, NULL);
    }
  return TRUE;
}

static void
test_queued_runs (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  Between b = { f, FALSE };
  add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, 0, FALSE, NULL);
  perch_compliance_set_test_hook (f->service, add_while_running, &b);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  perch_compliance_run_now_async (f->service, NULL, perch_test_async_ready, &r1);
  perch_compliance_run_now_async (f->service, NULL, perch_test_async_ready, &r2);
  perch_compliance_run_now_async (f->service, NULL, perch_test_async_ready, &r3);
  {
    g_autoptr(PerchComplianceStatus) st = perch_compliance_status (f->service, &error);
    g_assert_true (st->running);
  }
  perch_test_wait_result (&r1, RUN_MS);
  perch_test_wait_result (&r2, RUN_MS);
  perch_test_wait_result (&r3, RUN_MS);
  guint64 e1 = 0, e2 = 0, e3 = 0;
  g_assert_true (perch_compliance_run_now_finish (f->service, r1, &e1, &error));
  g_assert_true (perch_compliance_run_now_finish (f->service, r2, &e2, &error));
  g_assert_true (perch_compliance_run_now_finish (f->service, r3, &e3, &error));
  g_assert_no_error (error);
  /* The PART came after the first batch was planned: the same run took it
   * in its next batch, or the follow-up did. */
  g_assert_cmpuint (e1 + e2, ==, 2);
  g_assert_cmpuint (e2, ==, e3);
  g_assert_cmpint (perch_store_events_count (f->store), ==, 0);
  g_autoptr(GPtrArray) out = read_output (f->out_dir);
  g_assert_cmpuint (out->len, ==, 2);
}

/* ---- the store side and status ------------------------------------------------ */

static void
test_store_runs (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 counts[PERCH_EVENT_CLEAR + 1];
  gint64 oldest = -1;
  g_assert_true (perch_store_events_summary (f->store, counts, &oldest, &error));
  g_assert_cmpint (counts[0], ==, 0);
  g_assert_cmpint (oldest, ==, 0);

  gint64 a = add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, 1000, FALSE, NULL);
  gint64 b = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "x", 2000, TRUE, NULL);
  gint64 c = add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "y", 3000, TRUE, NULL);
  gint64 d = add_event (f, PERCH_EVENT_PART, f->alpha, "sip:alice@" DOMAIN, NULL, 4000, FALSE, NULL);
  g_assert_true (perch_store_events_summary (f->store, counts, &oldest, &error));
  g_assert_cmpint (counts[0], ==, 4);
  g_assert_cmpint (counts[PERCH_EVENT_JOIN], ==, 1);
  g_assert_cmpint (counts[PERCH_EVENT_CHAT], ==, 2);
  g_assert_cmpint (counts[PERCH_EVENT_PART], ==, 1);
  g_assert_cmpint (counts[PERCH_EVENT_BACKCHAT], ==, 0);
  g_assert_cmpint (oldest, ==, 1000);

  gint64 run = perch_store_compliance_plan (f->store, a, b, 2, "xml", &error);
  g_assert_no_error (error);
  g_assert_cmpint (run, >, 0);
  g_assert_true (perch_store_compliance_failed (f->store, run, "disk full", 12, &error));
  /* A failed run cannot be finished: its retry is a new run. */
  g_assert_false (perch_store_compliance_done (f->store, run, 1, &error));
  g_assert_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gint64 retry = perch_store_compliance_plan (f->store, a, b, 2, "xml", &error);
  g_assert_true (perch_store_compliance_done (f->store, retry, 5, &error));
  g_assert_no_error (error);
  /* Exactly the range went. */
  g_assert_true (perch_store_events_summary (f->store, counts, &oldest, &error));
  g_assert_cmpint (counts[0], ==, 2);
  g_assert_cmpint (counts[PERCH_EVENT_JOIN], ==, 0);
  g_assert_cmpint (counts[PERCH_EVENT_CHAT], ==, 1);
  g_assert_cmpint (oldest, ==, 3000);
  g_autoptr(GPtrArray) left = perch_store_events_pending (f->store, 0, 10, &error);
  g_assert_cmpuint (left->len, ==, 2);
  g_assert_cmpint (((PerchEvent *) left->pdata[0])->id, ==, c);
  g_assert_cmpint (((PerchEvent *) left->pdata[1])->id, ==, d);

  g_autoptr(GPtrArray) runs = perch_store_compliance_runs (f->store, 0, 10, &error);
  g_assert_cmpuint (runs->len, ==, 2);
  PerchComplianceRun *r0 = runs->pdata[0], *r1 = runs->pdata[1];
  g_assert_cmpint (r0->id, ==, retry);
  g_assert_cmpint (r0->state, ==, PERCH_RUN_DONE);
  g_assert_cmpint (r0->duration_ms, ==, 5);
  g_assert_cmpint (r0->events, ==, 2);
  g_assert_cmpint (r0->finished_us, >, 0);
  g_assert_cmpint (r1->state, ==, PERCH_RUN_FAILED);
  g_assert_cmpstr (r1->error, ==, "disk full");
  g_assert_cmpint (r1->duration_ms, ==, 12);
  g_autoptr(GPtrArray) older = perch_store_compliance_runs (f->store, retry, 10, &error);
  g_assert_cmpuint (older->len, ==, 1);
  g_assert_cmpstr (perch_run_state_to_string (PERCH_RUN_PLANNED), ==, "planned");

  /* The counts survive a reopen (they are a table, not memory). */
  perch_store_close (f->store);
  f->store = NULL;
  PerchStore *again = perch_store_open_sqlite (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (perch_store_events_summary (again, counts, NULL, &error));
  g_assert_cmpint (counts[PERCH_EVENT_CHAT], ==, 1);
  g_assert_cmpint (counts[PERCH_EVENT_PART], ==, 1);
  f->store = again;
}

static void
test_status_and_events (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  set_config (f, "compliance_run_interval", "3600");
  gint64 first = add_event (f, PERCH_EVENT_JOIN, f->alpha, "sip:alice@" DOMAIN, NULL, 5000, FALSE, NULL);
  for (guint i = 0; i < 150; i++)
    add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "x", 6000 + i, TRUE, NULL);
  add_event (f, PERCH_EVENT_BACKCHAT, f->beta, "sip:bob@" DOMAIN, NULL, 9000, FALSE, NULL);

  g_autoptr(PerchComplianceStatus) st = perch_compliance_status (f->service, &error);
  g_assert_no_error (error);
  g_assert_true (st->enabled);
  g_assert_false (st->running);
  g_assert_cmpint (st->pending, ==, 152);
  g_assert_cmpint (st->pending_by_type[PERCH_EVENT_JOIN], ==, 1);
  g_assert_cmpint (st->pending_by_type[PERCH_EVENT_CHAT], ==, 150);
  g_assert_cmpint (st->pending_by_type[PERCH_EVENT_BACKCHAT], ==, 1);
  g_assert_cmpint (st->oldest_pending_us, ==, 5000);
  gint64 now = perch_now_us ();
  g_assert_cmpint (st->next_run_us, >, now + G_GINT64_CONSTANT (3500) * G_USEC_PER_SEC);
  g_assert_cmpint (st->next_run_us, <=, now + G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC);
  g_assert_cmpstr (st->output_dir, ==, f->out_dir);
  g_assert_cmpstr (g_hash_table_lookup (st->config, "compliance_run_interval"), ==, "3600");
  g_assert_cmpstr (g_hash_table_lookup (st->config, "compliance_adapter"), ==, "xml");
  g_assert_cmpstr (g_hash_table_lookup (st->config, "compliance_batch"), ==, "5000");
  g_assert_cmpuint (g_hash_table_size (st->config), ==, 11);
  g_assert_cmpuint (st->runs->len, ==, 0);

  /* Paged: 100 by default, 1000 at most, after an id. */
  g_autoptr(GPtrArray) page1 = perch_compliance_events (f->service, 0, 0, &error);
  g_assert_cmpuint (page1->len, ==, 100);
  g_assert_cmpint (((PerchEvent *) page1->pdata[0])->id, ==, first);
  gint64 after = ((PerchEvent *) page1->pdata[99])->id;
  g_autoptr(GPtrArray) page2 = perch_compliance_events (f->service, after, 100, &error);
  g_assert_cmpuint (page2->len, ==, 52);
  g_assert_cmpint (((PerchEvent *) page2->pdata[0])->id, ==, after + 1);
  g_autoptr(GPtrArray) all = perch_compliance_events (f->service, 0, 1000000, &error);
  g_assert_cmpuint (all->len, ==, 152);

  /* The default output directory is under the data dir. */
  set_config (f, "compliance_output_dir", "");
  g_autoptr(PerchComplianceStatus) st2 = perch_compliance_status (f->service, &error);
  g_autofree char *def = g_build_filename (f->dir, "compliance", NULL);
  g_assert_cmpstr (st2->output_dir, ==, def);
}

static void
test_batches (Fixture *f, gconstpointer data)
{
  set_config (f, "compliance_batch", "4");
  for (guint i = 0; i < 10; i++)
    add_event (f, PERCH_EVENT_CHAT, f->alpha, "sip:alice@" DOMAIN, "x", 0, TRUE, NULL);
  run_ok (f, 10);
  g_autoptr(GPtrArray) files = output_files (f->out_dir);
  g_assert_cmpuint (files->len, ==, 3);
  g_autoptr(GPtrArray) runs = runs_of (f);
  g_assert_cmpuint (runs->len, ==, 3);
  g_assert_cmpint (((PerchComplianceRun *) runs->pdata[0])->events, ==, 2);
  g_assert_cmpint (((PerchComplianceRun *) runs->pdata[2])->events, ==, 4);
  g_autoptr(GPtrArray) out = read_output (f->out_dir);
  g_assert_cmpuint (out->len, ==, 10);
}

static void
test_config_keys (void)
{
  static const struct { const char *key, *value; gboolean ok; } cases[] = {
    { "compliance_enabled", "true", TRUE }, { "compliance_enabled", "yes", FALSE },
    { "compliance_run_interval", "59", FALSE }, { "compliance_run_interval", "60", TRUE },
    { "compliance_run_interval", "2592000", TRUE }, { "compliance_run_interval", "2592001", FALSE },
    { "compliance_batch", "0", FALSE }, { "compliance_batch", "5000", TRUE },
    { "compliance_adapter", "xml", TRUE }, { "compliance_adapter", "command", TRUE },
    { "compliance_adapter", "ftp", FALSE },
    { "compliance_output_dir", "", TRUE }, { "compliance_output_dir", "/var/lib/perch/out", TRUE },
    { "compliance_output_dir", "relative/out", FALSE }, { "compliance_output_dir", "/a\nb", FALSE },
    { "compliance_command", "", TRUE }, { "compliance_command", "/usr/bin/archive --to 'a b'", TRUE },
    { "compliance_command", "archive", FALSE }, { "compliance_command", "/usr/bin/x 'unclosed", FALSE },
    { "compliance_command_timeout", "0", FALSE }, { "compliance_command_timeout", "300", TRUE },
    { "compliance_one_room_per_file", "1", TRUE }, { "compliance_add_room_details", "false", TRUE },
    { "compliance_add_user_details", "0", TRUE }, { "compliance_create_attachment_manifest", "true", TRUE },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = perch_channel_config_validate (cases[i].key, cases[i].value, &error);
      if (ok != cases[i].ok)
        g_error ("%s=%s: expected %s", cases[i].key, cases[i].value, cases[i].ok ? "valid" : "invalid");
      g_assert_true (ok ? error == NULL : g_error_matches (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST));
      g_assert_true (g_strv_contains (perch_channel_config_keys, cases[i].key));
    }
}

/* ---- with the real perchd ----------------------------------------------------- */

static guint
stderr_count (PerchTestServer *server, const char *needle)
{
  g_autofree char *err = perch_test_server_stderr (server);
  guint n = 0;
  for (const char *p = err; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

typedef struct {
  PerchTestServer *server;
  const char      *needle;
  guint            want;
} StderrWait;

static gboolean
stderr_reached (gpointer data)
{
  StderrWait *w = data;
  return stderr_count (w->server, w->needle) >= w->want;
}

static gboolean
keep_waking (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* SIGUSR1, then wait for perchd to say the run ended; asserts success. */
static void
trigger_run (PerchTestServer *server)
{
  StderrWait w = { server, "perchd: compliance run", stderr_count (server, "perchd: compliance run") + 1 };
  guint before_ok = stderr_count (server, "perchd: compliance run: ");
  perch_test_server_signal (server, SIGUSR1);
  guint poll = g_timeout_add (10, keep_waking, NULL);
  gboolean ok = perch_test_wait (stderr_reached, &w, RUN_MS);
  g_source_remove (poll);
  if (!ok || stderr_count (server, "perchd: compliance run: ") != before_ok + 1)
    {
      g_autofree char *err = perch_test_server_stderr (server);
      g_error ("the compliance run did not succeed: %s", err);
    }
}

static void
clear_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
}

static PerchClientReply *
command_done (PerchClient *client, GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;
  perch_test_wait_result (result, RUN_MS);
  PerchClientReply *reply = perch_client_command_finish (client, *result, &error);
  g_assert_no_error (error);
  g_clear_object (result);
  return reply;
}

static gboolean
has_part (GPtrArray *out)
{
  for (guint i = 0; i < out->len; i++)
    if (strcmp (((OutMsg *) out->pdata[i])->type, "PART") == 0)
      return TRUE;
  return FALSE;
}

static void
test_perchd_session (void)
{
  const char *args[] = { "--config", "compliance_enabled=true", "--config", "compliance_run_interval=60", NULL };
  PerchTestServer *server = perch_test_server_start (args);
  g_autofree char *out_dir = g_build_filename (server->data_dir, "compliance", NULL);

  /* The demo pool's own history goes first; then the output is cleared. */
  trigger_run (server);
  g_assert_true (g_file_test (out_dir, G_FILE_TEST_IS_DIR));
  clear_dir (out_dir);

  gint64 t0 = perch_now_us () / 1000;
  PerchClient *alice = perch_test_connect (server, "alice");
  g_autofree char *general = perch_test_find_room (alice, "General");
  g_assert_nonnull (general);
  perch_test_join (alice, general);
  g_autoptr(GError) error = NULL;
  g_assert_true (perch_test_post (alice, general, "compliance first <post>", &error));
  g_assert_true (perch_test_post (alice, general, "compliance second & last", &error));
  g_assert_no_error (error);
  g_autoptr(GAsyncResult) result = NULL;
  perch_client_history_async (alice, general, 10, NULL, perch_test_async_ready, &result);
  g_autoptr(PerchClientReply) history = command_done (alice, &result);
  g_assert_cmpint (history->code, ==, 200);
  perch_client_part_async (alice, general, NULL, perch_test_async_ready, &result);
  g_autoptr(PerchClientReply) part = command_done (alice, &result);
  g_assert_cmpint (part->code, ==, 200);
  perch_test_disconnect (alice);
  gint64 t1 = perch_now_us () / 1000;

  /* JOIN, BACKCHAT and PART are written without the client waiting for
   * them: run until the PART is out (a few runs at most). */
  g_autoptr(GPtrArray) out = NULL;
  for (guint i = 0; i < 50; i++)
    {
      trigger_run (server);
      g_clear_pointer (&out, g_ptr_array_unref);
      out = read_output (out_dir);
      if (has_part (out))
        break;
    }
  static const struct { const char *type, *content; } want[] = {
    { "JOIN", "" }, { "CHAT", "compliance first <post>" }, { "CHAT", "compliance second & last" },
    { "BACKCHAT", "" }, { "PART", "" },
  };
  g_assert_cmpuint (out->len, ==, G_N_ELEMENTS (want));
  gint64 last_ms = 0;
  for (guint i = 0; i < out->len; i++)
    {
      OutMsg *m = g_ptr_array_index (out, i);
      g_test_message ("%s %s %s %s", m->type, m->sender, m->channel, m->content);
      g_assert_cmpstr (m->type, ==, want[i].type);
      g_assert_cmpstr (m->content, ==, want[i].content);
      g_assert_cmpstr (m->sender, ==, "alice@" DOMAIN);
      g_assert_cmpstr (m->channel, ==, general);
      g_assert_cmpint (m->since1970, >=, MAX (t0, last_ms));
      g_assert_cmpint (m->since1970, <=, t1);
      g_assert_cmpint (m->msg_id != 0, ==, strcmp (m->type, "CHAT") == 0);
      last_ms = m->since1970;
    }
  perch_test_server_stop (server);
}

/* ---- kill -9 while posting and running ---------------------------------------- */

#define CRASH_ROUNDS   8
#define CRASH_CLIENTS  2
#define CRASH_WINDOW   4

static const char *const crash_names[CRASH_CLIENTS] = { "alice", "bob" };

typedef enum { SENT, ACKED, REFUSED, LOST } PostState;

typedef struct {
  char     *text;
  guint     client;
  guint     seq;        /* per client, across rounds */
  PostState state;
  guint     found;
} Post;

typedef struct {
  PerchTestServer *server;
  char            *general;
  GPtrArray       *posts;
  GHashTable      *by_text;
  PerchClient     *pc[CRASH_CLIENTS];
  guint            in_flight[CRASH_CLIENTS];
  guint            next_seq[CRASH_CLIENTS];
  gboolean         stopped;
  guint            acked;      /* this round */
} Crasher;

typedef struct {
  Crasher *c;
  Post    *post;
} Flight;

static void crash_send (Crasher *c, guint client);

static void
crash_posted (GObject *source, GAsyncResult *result, gpointer data)
{
  Flight *fl = data;
  Crasher *c = fl->c;
  g_autoptr(GError) error = NULL;
  if (perch_client_post_finish (PERCH_CLIENT (source), result, &error))
    {
      fl->post->state = ACKED;
      c->acked++;
    }
  else
    fl->post->state = error->domain == PERCH_ERROR ? REFUSED : LOST;
  c->in_flight[fl->post->client]--;
  crash_send (c, fl->post->client);
  g_free (fl);
}

static void
crash_send (Crasher *c, guint client)
{
  while (!c->stopped && c->in_flight[client] < CRASH_WINDOW)
    {
      Post *post = g_new0 (Post, 1);
      post->client = client;
      post->seq = c->next_seq[client]++;
      post->text = g_strdup_printf ("crash %s #%04u", crash_names[client], post->seq);
      g_ptr_array_add (c->posts, post);
      g_hash_table_insert (c->by_text, post->text, post);
      Flight *fl = g_new0 (Flight, 1);
      fl->c = c;
      fl->post = post;
      c->in_flight[client]++;
      perch_client_post_async (c->pc[client], c->general, post->text, NULL, crash_posted, fl);
    }
}

static void
post_free (Post *post)
{
  g_free (post->text);
  g_free (post);
}

static gboolean
usr1_tick (gpointer data)
{
  Crasher *c = data;
  if (c->server->running)
    perch_test_server_signal (c->server, SIGUSR1);
  return G_SOURCE_CONTINUE;
}

typedef struct {
  Crasher *c;
  guint    want;
} AckWait;

static gboolean
acked_enough (gpointer data)
{
  AckWait *w = data;
  return w->c->acked >= w->want;
}

static gboolean
all_answered (gpointer data)
{
  Crasher *c = data;
  for (guint i = 0; i < CRASH_CLIENTS; i++)
    if (c->in_flight[i] > 0)
      return FALSE;
  return TRUE;
}

/* The newest compliance run's state in the store of a stopped perchd: what
 * the kill interrupted. */
static char *
last_run_state (PerchTestServer *server)
{
  g_autofree char *path = g_build_filename (server->data_dir, "perch.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *state = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  if (sqlite3_prepare_v2 (db, "SELECT state FROM compliance_runs ORDER BY id DESC LIMIT 1", -1, &stmt, NULL) ==
      SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    state = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return state ? state : g_strdup ("none");
}

static void
test_perchd_crash (void)
{
  /* Small batches: many ranges per run, so kills land between "planned"
   * and "done" often. */
  const char *args[] = { "--config", "compliance_enabled=true", "--config", "compliance_run_interval=60",
                         "--config", "compliance_batch=20", "--config", "commands_per_second=100000", NULL };
  Crasher c = { 0 };
  gint64 started = g_get_monotonic_time ();
  c.server = perch_test_server_start (args);
  c.posts = g_ptr_array_new_with_free_func ((GDestroyNotify) post_free);
  c.by_text = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *out_dir = g_build_filename (c.server->data_dir, "compliance", NULL);
  guint interrupted = 0;

  for (guint round = 0; round < CRASH_ROUNDS; round++)
    {
      if (round > 0)
        perch_test_server_restart (c.server);
      for (guint i = 0; i < CRASH_CLIENTS; i++)
        {
          c.pc[i] = perch_test_connect (c.server, crash_names[i]);
          if (c.general == NULL)
            c.general = perch_test_find_room (c.pc[i], "General");
          perch_test_join (c.pc[i], c.general);
        }
      c.stopped = FALSE;
      c.acked = 0;
      guint usr1 = g_timeout_add (15, usr1_tick, &c);
      for (guint i = 0; i < CRASH_CLIENTS; i++)
        crash_send (&c, i);
      AckWait w = { &c, (guint) g_test_rand_int_range (10, 120) };
      if (!perch_test_wait (acked_enough, &w, RUN_MS))
        g_error ("round %u: only %u posts acknowledged", round, c.acked);
      c.stopped = TRUE;
      g_source_remove (usr1);
      perch_test_server_kill (c.server);
      if (!perch_test_wait (all_answered, &c, RUN_MS))
        g_error ("round %u: posts unanswered after the kill", round);
      for (guint i = 0; i < CRASH_CLIENTS; i++)
        g_clear_pointer (&c.pc[i], perch_test_disconnect);
      g_autofree char *state = last_run_state (c.server);
      interrupted += strcmp (state, "planned") == 0;
      g_test_message ("round %u: killed after %u acknowledged posts; newest compliance run: %s", round, c.acked,
                      state);
    }

  /* Up again, one clean run, then a clean stop. */
  perch_test_server_restart (c.server);
  trigger_run (c.server);
  g_test_message ("%u of %u kills left a run between planned and done", interrupted, CRASH_ROUNDS);

  perch_test_server_signal (c.server, SIGSTOP);   /* nothing moves while the store is read */
  {
    g_autofree char *path = g_build_filename (c.server->data_dir, "perch.db", NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT (SELECT count(*) FROM events),"
                                             " (SELECT count(*) FROM compliance_runs WHERE state <> 'done')",
                                         -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, 0);   /* everything delivered */
    g_assert_cmpint (sqlite3_column_int64 (stmt, 1), ==, 0);   /* nothing left unfinished */
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  perch_test_server_signal (c.server, SIGCONT);

  /* Every event once (read_output asserts it), every acknowledged post's
   * CHAT among them, and each client's posts in the order sent. */
  g_autoptr(GPtrArray) out = read_output (out_dir);
  guint last_seq[CRASH_CLIENTS] = { 0 };
  gboolean seen_any[CRASH_CLIENTS] = { FALSE };
  guint chats = 0;
  for (guint i = 0; i < out->len; i++)
    {
      OutMsg *m = g_ptr_array_index (out, i);
      if (strcmp (m->type, "CHAT") != 0)
        continue;
      Post *post = g_hash_table_lookup (c.by_text, m->content);
      if (post == NULL)
        continue;   /* the demo pool's history */
      g_assert_cmpstr (m->channel, ==, c.general);
      post->found++;
      chats++;
      if (seen_any[post->client] && post->seq <= last_seq[post->client])
        g_error ("\"%s\" is out of order in the compliance output", post->text);
      seen_any[post->client] = TRUE;
      last_seq[post->client] = post->seq;
    }
  guint acked = 0;
  for (guint i = 0; i < c.posts->len; i++)
    {
      Post *post = g_ptr_array_index (c.posts, i);
      if (post->found > 1)
        g_error ("\"%s\" is in the compliance output %u times", post->text, post->found);
      if (post->state == ACKED)
        {
          acked++;
          if (post->found != 1)
            g_error ("acknowledged post \"%s\" is not in the compliance output", post->text);
        }
      if (post->state == REFUSED && post->found != 0)
        g_error ("refused post \"%s\" is in the compliance output", post->text);
    }
  g_autoptr(GPtrArray) files = output_files (out_dir);
  g_test_message ("%u posts sent, %u acknowledged, %u CHAT events in %u files; %u events in all",
                  c.posts->len, acked, chats, files->len, out->len);
  g_assert_cmpuint (acked, >, 0);

  perch_test_server_stop (c.server);
  g_hash_table_unref (c.by_text);
  g_ptr_array_unref (c.posts);
  g_free (c.general);
  gint64 took_s = (g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_test_message ("the crash test took %" G_GINT64_FORMAT " s", took_s);
  g_assert_cmpint (took_s, <, 60);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add ("/perch/compliance/" name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("xml-scripted", test_xml_scripted);
  ADD ("one-room-per-file", test_one_room_per_file);
  ADD ("details", test_details);
  ADD ("manifest", test_manifest);
  ADD ("adapter-failure", test_adapter_failure);
  ADD ("disabled", test_disabled);
  ADD ("command", test_command);
  ADD ("crash-after-delivery", test_crash_after_delivery);
  ADD ("crash-before-delivery", test_crash_before_delivery);
  ADD ("crash-then-config-change", test_crash_then_config_change);
  ADD ("queued-runs", test_queued_runs);
  ADD ("store-runs", test_store_runs);
  ADD ("status-and-events", test_status_and_events);
  ADD ("batches", test_batches);
#undef ADD
  g_test_add_func ("/perch/compliance/config-keys", test_config_keys);
  g_test_add_func ("/perch/compliance/perchd-session", test_perchd_session);
  g_test_add_func ("/perch/compliance/perchd-crash", test_perchd_crash);
  return g_test_run ();
}
