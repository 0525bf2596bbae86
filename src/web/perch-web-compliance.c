/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-compliance.c: the compliance queue over HTTP (administrators):
 * its state (pending events by type, the oldest, the last runs with their
 * outcome), the pending events paged, and "run now". */
#include "config.h"

#include "perch-compliance.h"
#include "perch-web-private.h"

static PerchCompliance *
compliance_for (PerchWebRequest *req)
{
  if (!req->actor->admin)
    {
      perch_web_message_error (req->msg, 403, "only administrators may see the compliance queue");
      return NULL;
    }
  PerchCompliance *compliance = _perch_web_get_compliance (req->web);
  if (compliance == NULL)
    perch_web_message_error (req->msg, 503, "this server runs no compliance service");
  return compliance;
}

static JsonNode *
run_json (const PerchComplianceRun *run)
{
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "id", run->id);
  json_object_set_int_member (obj, "first_event_id", run->first_event_id);
  json_object_set_int_member (obj, "last_event_id", run->last_event_id);
  json_object_set_int_member (obj, "events", run->events);
  json_object_set_string_member (obj, "adapter", run->adapter ? run->adapter : "");
  json_object_set_string_member (obj, "state", perch_run_state_to_string (run->state));
  json_object_set_member (obj, "started", perch_web_time_json (run->started_us));
  if (run->finished_us > 0)
    json_object_set_member (obj, "finished", perch_web_time_json (run->finished_us));
  else
    json_object_set_null_member (obj, "finished");
  json_object_set_int_member (obj, "duration_ms", run->duration_ms);
  if (run->error)
    json_object_set_string_member (obj, "error", run->error);
  else
    json_object_set_null_member (obj, "error");
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, obj);
  return node;
}

void
perch_web_handle_compliance (PerchWebRequest *req)
{
  PerchCompliance *compliance = compliance_for (req);
  if (compliance == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchComplianceStatus) st = perch_compliance_status (compliance, &error);
  if (st == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonObject *obj = json_object_new ();
  json_object_set_boolean_member (obj, "enabled", st->enabled);
  json_object_set_boolean_member (obj, "running", st->running);
  json_object_set_int_member (obj, "pending", st->pending);
  JsonObject *by_type = json_object_new ();
  for (int t = PERCH_EVENT_JOIN; t <= PERCH_EVENT_CLEAR; t++)
    json_object_set_int_member (by_type, perch_event_type_to_string (t), st->pending_by_type[t]);
  json_object_set_object_member (obj, "pending_by_type", by_type);
  if (st->oldest_pending_us > 0)
    json_object_set_member (obj, "oldest_pending", perch_web_time_json (st->oldest_pending_us));
  else
    json_object_set_null_member (obj, "oldest_pending");
  if (st->next_run_us > 0)
    json_object_set_member (obj, "next_run", perch_web_time_json (st->next_run_us));
  else
    json_object_set_null_member (obj, "next_run");
  json_object_set_string_member (obj, "output_dir", st->output_dir ? st->output_dir : "");
  JsonObject *config = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, st->config);
  while (g_hash_table_iter_next (&iter, &key, &value))
    json_object_set_string_member (config, key, value ? value : "");
  json_object_set_object_member (obj, "config", config);
  JsonArray *runs = json_array_new ();
  for (guint i = 0; i < st->runs->len; i++)
    json_array_add_element (runs, run_json (g_ptr_array_index (st->runs, i)));
  json_object_set_array_member (obj, "runs", runs);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, obj);
  perch_web_reply (req, 200, node);
}

void
perch_web_handle_compliance_events (PerchWebRequest *req)
{
  PerchCompliance *compliance = compliance_for (req);
  if (compliance == NULL)
    return;
  g_autoptr(GError) error = NULL;
  gint64 limit = 100, after = 0;
  perch_web_query_int (req, "limit", &limit);
  const char *cursor = perch_web_query (req, "cursor");
  if (cursor != NULL && !g_ascii_string_to_signed (cursor, 10, 0, G_MAXINT64, &after, NULL))
    {
      perch_web_message_error (req->msg, 400, "not a cursor this server gave");
      return;
    }
  g_autoptr(GPtrArray) events = perch_compliance_events (compliance, after, (guint) limit, &error);
  if (events == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonArray *items = json_array_new ();
  for (guint i = 0; i < events->len; i++)
    {
      PerchEvent *e = g_ptr_array_index (events, i);
      JsonObject *o = json_object_new ();
      json_object_set_int_member (o, "id", e->id);
      json_object_set_string_member (o, "type", perch_event_type_to_string (e->type));
      json_object_set_string_member (o, "room", e->room_id ? e->room_id : "");
      json_object_set_string_member (o, "user", e->user ? e->user : "");
      json_object_set_member (o, "ts", perch_web_time_json (e->ts_us));
      if (e->content)
        json_object_set_string_member (o, "content", e->content);
      else
        json_object_set_null_member (o, "content");
      json_object_set_int_member (o, "msg_id", e->msg_id);
      JsonNode *n = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (n, o);
      json_array_add_element (items, n);
    }
  g_autofree char *next = NULL;
  if (events->len == (guint) limit && events->len > 0)
    next = g_strdup_printf ("%" G_GINT64_FORMAT, ((PerchEvent *) g_ptr_array_index (events, events->len - 1))->id);
  perch_web_reply (req, 200, perch_web_list_json (items, next));
}

static void
run_finished (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  if (!perch_compliance_run_now_finish (PERCH_COMPLIANCE (source), result, NULL, &error))
    g_message ("compliance run asked over HTTP: %s", error->message);
}

void
perch_web_handle_compliance_run (PerchWebRequest *req)
{
  PerchCompliance *compliance = compliance_for (req);
  if (compliance == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchComplianceStatus) st = perch_compliance_status (compliance, &error);
  if (st == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  if (!st->enabled)
    {
      perch_web_message_error (req->msg, 422, "compliance is not enabled: set compliance_enabled to true first");
      return;
    }
  /* Answered at once: a run may take long; its outcome shows in the runs. */
  perch_compliance_run_now_async (compliance, NULL, run_finished, NULL);
  perch_store_audit_add (_perch_web_get_store (req->web), req->actor->uri, "compliance.run", NULL, NULL, NULL);
  JsonObject *obj = json_object_new ();
  json_object_set_boolean_member (obj, "started", TRUE);
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, obj);
  perch_web_reply (req, 202, node);
}
