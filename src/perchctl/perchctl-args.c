/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-args.c: a verb's options.
 *
 * GOption wants a repeated option for every value of a list; the
 * administrators' habit (and the cmdlets') is one option and several values:
 * `room members R --add alice bob --remove carol`. So a verb declares its
 * options in a small spec and this parser takes them in any order, with
 * positional words around them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perchctl.h"

typedef enum {
  OPT_FLAG,       /* name  */
  OPT_VALUE,      /* name= */
  OPT_LIST,       /* name* */
  OPT_OPTIONAL,   /* name? */
} OptKind;

struct _Args {
  GHashTable *values;     /* option name -> GPtrArray of char*, NULL-terminated */
  GPtrArray  *positional; /* of char*, NULL-terminated */
};

void
args_free (Args *args)
{
  g_clear_pointer (&args->values, g_hash_table_unref);
  g_clear_pointer (&args->positional, g_ptr_array_unref);
  g_free (args);
}

int
usage_error (Ctl *ctl, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_printerr ("perchctl: %s\n", message);
  if (ctl->usage != NULL)
    g_printerr ("Usage: perchctl %s\n", ctl->usage);
  return EXIT_USAGE;
}

/* Finds NAME (without dashes, LEN bytes) in SPEC. */
static gboolean
find_option (const char *const *spec, const char *name, gsize len, char **canonical, OptKind *kind)
{
  for (guint i = 0; spec && spec[i]; i++)
    {
      gsize n = strcspn (spec[i], "=*?");
      if (n != len || strncmp (spec[i], name, len) != 0)
        continue;
      switch (spec[i][n])
        {
        case '=': *kind = OPT_VALUE; break;
        case '*': *kind = OPT_LIST; break;
        case '?': *kind = OPT_OPTIONAL; break;
        default:  *kind = OPT_FLAG; break;
        }
      *canonical = g_strndup (spec[i], n);
      return TRUE;
    }
  return FALSE;
}

static gboolean
is_option (const char *word)
{
  return word[0] == '-' && word[1] == '-' && word[2] != '\0';
}

/* The value list of NAME, created empty; REPLACE empties it first. */
static GPtrArray *
values_of (Args *args, char *name, gboolean replace)
{
  GPtrArray *values = g_hash_table_lookup (args->values, name);
  if (values == NULL)
    {
      values = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (values, NULL);
      g_hash_table_insert (args->values, name, values);
    }
  else
    {
      g_free (name);
      if (replace)
        {
          g_ptr_array_set_size (values, 0);
          g_ptr_array_add (values, NULL);
        }
    }
  return values;
}

static void
append (GPtrArray *values, const char *value)
{
  /* keep the NULL terminator last */
  values->pdata[values->len - 1] = g_strdup (value);
  g_ptr_array_add (values, NULL);
}

Args *
args_parse (Ctl *ctl, int argc, char **argv, const char *const *spec,
            guint min_pos, guint max_pos, int *status)
{
  g_autoptr(Args) args = g_new0 (Args, 1);
  args->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  args->positional = g_ptr_array_new_with_free_func (g_free);
  gboolean options_done = FALSE;
  *status = EXIT_OK;
  for (int i = 0; i < argc; i++)
    {
      const char *word = argv[i];
      if (!options_done && strcmp (word, "--") == 0)
        {
          options_done = TRUE;
          continue;
        }
      if (options_done || !is_option (word))
        {
          if (!options_done && (strcmp (word, "-h") == 0))
            goto help;
          g_ptr_array_add (args->positional, g_strdup (word));
          continue;
        }
      const char *name = word + 2;
      const char *eq = strchr (name, '=');
      gsize len = eq ? (gsize) (eq - name) : strlen (name);
      if (len == 4 && strncmp (name, "json", 4) == 0 && eq == NULL)
        {
          ctl->json = TRUE;
          continue;
        }
      if (len == 4 && strncmp (name, "help", 4) == 0 && eq == NULL)
        goto help;
      char *canonical = NULL;
      OptKind kind;
      if (!find_option (spec, name, len, &canonical, &kind))
        {
          *status = usage_error (ctl, "%s has no option --%.*s", ctl->command, (int) len, name);
          return NULL;
        }
      GPtrArray *values = values_of (args, canonical, kind != OPT_LIST);
      switch (kind)
        {
        case OPT_FLAG:
          if (eq != NULL)
            {
              *status = usage_error (ctl, "--%.*s takes no value", (int) len, name);
              return NULL;
            }
          append (values, "");
          break;
        case OPT_VALUE:
          if (eq != NULL)
            append (values, eq + 1);
          else if (i + 1 < argc)
            append (values, argv[++i]);
          else
            {
              *status = usage_error (ctl, "--%s wants a value", name);
              return NULL;
            }
          break;
        case OPT_OPTIONAL:
          if (eq != NULL)
            append (values, eq + 1);
          else if (i + 1 < argc && !is_option (argv[i + 1]))
            append (values, argv[++i]);
          else
            append (values, "");
          break;
        case OPT_LIST:
          if (eq != NULL)
            append (values, eq + 1);
          while (i + 1 < argc && !is_option (argv[i + 1]))
            append (values, argv[++i]);
          break;
        }
    }
  if (args->positional->len < min_pos || args->positional->len > max_pos)
    {
      *status = usage_error (ctl, args->positional->len < min_pos ? "%s: missing arguments"
                                                                   : "%s: too many arguments", ctl->command);
      return NULL;
    }
  g_ptr_array_add (args->positional, NULL);
  return g_steal_pointer (&args);

help:
  g_print ("Usage: perchctl %s\n", ctl->usage);
  *status = EXIT_OK;
  return NULL;
}

guint
args_n_pos (Args *args)
{
  return args->positional->len - 1;
}

const char *
args_pos (Args *args, guint i)
{
  return i < args_n_pos (args) ? g_ptr_array_index (args->positional, i) : NULL;
}

const char *const *
args_pos_from (Args *args, guint i)
{
  return (const char *const *) args->positional->pdata + MIN (i, args_n_pos (args));
}

gboolean
args_has (Args *args, const char *name)
{
  return g_hash_table_contains (args->values, name);
}

const char *
args_get (Args *args, const char *name)
{
  GPtrArray *values = g_hash_table_lookup (args->values, name);
  if (values == NULL || values->len < 2)
    return NULL;
  return g_ptr_array_index (values, values->len - 2);
}

const char *const *
args_list (Args *args, const char *name)
{
  GPtrArray *values = g_hash_table_lookup (args->values, name);
  return values ? (const char *const *) values->pdata : NULL;
}

/* ---- values ------------------------------------------------------------------ */

int
args_enum (Ctl *ctl, Args *args, const char *name, const char *const *values, const char **out)
{
  const char *value = args_get (args, name);
  if (value == NULL)
    return EXIT_OK;
  for (guint i = 0; values[i]; i++)
    if (strcmp (values[i], value) == 0)
      {
        *out = values[i];
        return EXIT_OK;
      }
  g_autofree char *choices = g_strjoinv ("|", (char **) values);
  return usage_error (ctl, "--%s is %s, not “%s”", name, choices, value);
}

int
args_yes_no (Ctl *ctl, Args *args, const char *name, int *out)
{
  const char *value = args_get (args, name);
  if (value == NULL)
    return EXIT_OK;
  static const char *const yes[] = { "yes", "true", "on", "1", NULL };
  static const char *const no[] = { "no", "false", "off", "0", NULL };
  if (g_strv_contains (yes, value))
    *out = 1;
  else if (g_strv_contains (no, value))
    *out = 0;
  else
    return usage_error (ctl, "--%s is yes or no, not “%s”", name, value);
  return EXIT_OK;
}

int
args_int (Ctl *ctl, Args *args, const char *name, gint64 min, gint64 max, gint64 *out)
{
  const char *value = args_get (args, name);
  if (value == NULL)
    return EXIT_OK;
  if (!g_ascii_string_to_signed (value, 10, min, max, out, NULL))
    return usage_error (ctl, "--%s is a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ", not “%s”",
                        name, min, max, value);
  return EXIT_OK;
}

static gboolean
is_date_only (const char *s)
{
  return strlen (s) == 10 && g_ascii_isdigit (s[0]) && g_ascii_isdigit (s[3]) && s[4] == '-' &&
         g_ascii_isdigit (s[5]) && g_ascii_isdigit (s[6]) && s[7] == '-' && g_ascii_isdigit (s[8]) &&
         g_ascii_isdigit (s[9]);
}

/* Parses TEXT as perchctl documents dates; NULL when it is none. */
static GDateTime *
parse_date (const char *text, gboolean end_of_day)
{
  if (g_ascii_strcasecmp (text, "now") == 0)
    return g_date_time_new_now_utc ();
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  if (is_date_only (text))
    {
      int y = atoi (text), m = atoi (text + 5), d = atoi (text + 8);
      g_autoptr(GDateTime) day = g_date_time_new (local, y, m, d, 0, 0, 0);
      if (day == NULL || !end_of_day)
        return day ? g_date_time_ref (day) : NULL;
      g_autoptr(GDateTime) next = g_date_time_add_days (day, 1);
      return next ? g_date_time_add (next, -1) : NULL;
    }
  /* "2024-05-01 12:30" as well as "2024-05-01T12:30:00"; seconds optional. */
  g_autofree char *iso = g_strdup (text);
  if (strlen (iso) > 10 && iso[10] == ' ')
    iso[10] = 'T';
  GDateTime *dt = g_date_time_new_from_iso8601 (iso, local);
  if (dt == NULL && strlen (iso) == 16)
    {
      g_autofree char *with_seconds = g_strconcat (iso, ":00", NULL);
      dt = g_date_time_new_from_iso8601 (with_seconds, local);
    }
  return dt;
}

int
args_date (Ctl *ctl, Args *args, const char *name, gboolean end_of_day, char **out)
{
  const char *value = args_get (args, name);
  if (value == NULL)
    return EXIT_OK;
  g_autoptr(GDateTime) dt = parse_date (value, end_of_day);
  if (dt == NULL)
    return usage_error (ctl, "--%s wants a date (YYYY-MM-DD, “YYYY-MM-DD HH:MM”, ISO 8601 or now), not “%s”",
                        name, value);
  g_autoptr(GDateTime) utc = g_date_time_to_utc (dt);
  *out = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S.%fZ");
  return EXIT_OK;
}
