/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-output.c: what people read — aligned tables, key/value blocks,
 * local dates, sizes — and the service's JSON as it came, for scripts. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "perchctl.h"

struct _Table {
  guint      columns;
  GPtrArray *rows;        /* of GStrv; the first is the headers */
  guint     *max_width;   /* per column, 0: no limit */
};

void
table_free (Table *table)
{
  g_ptr_array_unref (table->rows);
  g_free (table->max_width);
  g_free (table);
}

Table *
table_new_v (const char *const *headers)
{
  Table *table = g_new0 (Table, 1);
  table->columns = g_strv_length ((char **) headers);
  table->max_width = g_new0 (guint, table->columns);
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_ptr_array_add (table->rows, g_strdupv ((char **) headers));
  return table;
}

Table *
table_new (const char *first_header, ...)
{
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();
  va_list ap;
  va_start (ap, first_header);
  for (const char *h = first_header; h; h = va_arg (ap, const char *))
    g_ptr_array_add (headers, (char *) h);
  va_end (ap);
  g_ptr_array_add (headers, NULL);
  return table_new_v ((const char *const *) headers->pdata);
}

void
table_set_max_width (Table *table, guint column, guint width)
{
  g_return_if_fail (column < table->columns);
  table->max_width[column] = width;
}

/* Cells hold no line breaks or tabs: they would break the columns. */
static char *
cell_text (const char *text, guint max_width)
{
  g_autofree char *flat = g_strdup (text ? text : "");
  for (char *p = flat; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t')
      *p = ' ';
  if (max_width > 1 && (guint) g_utf8_strlen (flat, -1) > max_width)
    {
      const char *end = g_utf8_offset_to_pointer (flat, max_width - 1);
      return g_strdup_printf ("%.*s…", (int) (end - flat), flat);
    }
  return g_steal_pointer (&flat);
}

void
table_add_v (Table *table, const char *const *cells)
{
  char **row = g_new0 (char *, table->columns + 1);
  for (guint i = 0; i < table->columns; i++)
    row[i] = cell_text (cells[i], table->max_width[i]);
  g_ptr_array_add (table->rows, row);
}

void
table_add (Table *table, ...)
{
  g_autofree const char **cells = g_new0 (const char *, table->columns + 1);
  va_list ap;
  va_start (ap, table);
  for (guint i = 0; i < table->columns; i++)
    cells[i] = va_arg (ap, const char *);
  va_end (ap);
  table_add_v (table, cells);
}

void
table_print (Table *table)
{
  g_autofree guint *width = g_new0 (guint, table->columns);
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);
      for (guint c = 0; c < table->columns; c++)
        width[c] = MAX (width[c], (guint) g_utf8_strlen (row[c], -1));
    }
  g_autoptr(GString) line = g_string_new (NULL);
  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);
      g_string_truncate (line, 0);
      for (guint c = 0; c < table->columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < table->columns)
            for (guint pad = g_utf8_strlen (row[c], -1); pad < width[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      /* the last column may be empty: no trailing blanks */
      while (line->len > 0 && line->str[line->len - 1] == ' ')
        g_string_truncate (line, line->len - 1);
      g_print ("%s\n", line->str);
    }
  table_free (table);
}

void
print_field (const char *key, const char *value)
{
  g_autofree char *label = g_strconcat (key, ":", NULL);
  g_print ("%-20s %s\n", label, value ? value : "");
}

void
print_json_node (JsonNode *node)
{
  if (node == NULL)
    return;
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, node);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

/* ---- reading the service's JSON ------------------------------------------------------ */

static JsonNode *
member (JsonObject *obj, const char *name)
{
  if (obj == NULL)
    return NULL;
  JsonNode *node = json_object_get_member (obj, name);
  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

const char *
jstr (JsonObject *obj, const char *name)
{
  JsonNode *node = member (obj, name);
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

gint64
jint (JsonObject *obj, const char *name)
{
  JsonNode *node = member (obj, name);
  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;
  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_INT64)
    return json_node_get_int (node);
  if (type == G_TYPE_DOUBLE)
    return (gint64) json_node_get_double (node);
  return 0;
}

gboolean
jbool (JsonObject *obj, const char *name)
{
  JsonNode *node = member (obj, name);
  return node != NULL && JSON_NODE_TYPE (node) == JSON_NODE_VALUE &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

JsonArray *
jarray (JsonObject *obj, const char *name)
{
  JsonNode *node = member (obj, name);
  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonArray *
jitems (JsonNode *reply)
{
  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;
  return jarray (json_node_get_object (reply), "items");
}

const char *
fmt_user (const char *uri)
{
  return uri && g_str_has_prefix (uri, "sip:") ? uri + 4 : (uri ? uri : "");
}

char *
fmt_list (JsonObject *obj, const char *name)
{
  JsonArray *array = jarray (obj, name);
  GString *out = g_string_new (NULL);
  for (guint i = 0; array && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      if (JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_STRING)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, fmt_user (json_node_get_string (node)));
    }
  return g_string_free (out, FALSE);
}

char *
fmt_time (const char *iso, gboolean seconds)
{
  if (iso == NULL || *iso == '\0')
    return g_strdup ("");
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);
  if (dt == NULL)
    return g_strdup (iso);
  g_autoptr(GDateTime) local = g_date_time_to_local (dt);
  return g_date_time_format (local, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M");
}

char *
fmt_bytes (gint64 bytes)
{
  if (bytes < 1024)
    return g_strdup_printf ("%" G_GINT64_FORMAT " B", bytes);
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
  double value = bytes / 1024.0;
  guint unit = 0;
  while (value >= 1024 && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= 1024;
      unit++;
    }
  return g_strdup_printf (value < 10 ? "%.1f %s" : "%.0f %s", value, units[unit]);
}

char *
fmt_duration (gint64 seconds)
{
  gint64 days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60, secs = seconds % 60;
  if (days > 0)
    return hours ? g_strdup_printf ("%" G_GINT64_FORMAT "d %" G_GINT64_FORMAT "h", days, hours)
                 : g_strdup_printf ("%" G_GINT64_FORMAT "d", days);
  if (hours > 0)
    return minutes ? g_strdup_printf ("%" G_GINT64_FORMAT "h %" G_GINT64_FORMAT "m", hours, minutes)
                   : g_strdup_printf ("%" G_GINT64_FORMAT "h", hours);
  if (minutes > 0)
    return secs ? g_strdup_printf ("%" G_GINT64_FORMAT "m %" G_GINT64_FORMAT "s", minutes, secs)
                : g_strdup_printf ("%" G_GINT64_FORMAT "m", minutes);
  return g_strdup_printf ("%" G_GINT64_FORMAT "s", secs);
}

const char *
fmt_yes_no (gboolean value)
{
  return value ? "yes" : "no";
}
