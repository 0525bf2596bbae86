/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perchctl-archive.c: `perchctl export` and `perchctl import` — what
 * Export-/Import-CsPersistentChatData do: categories, rooms, their lists
 * and content as one JSON Lines archive, streamed to and from a file (an
 * archive of millions of messages never sits in perchctl's memory). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>

#include "perchctl.h"

/* export [--output FILE|-] [--categories C...] [--from DATE] [--to DATE] [--no-content] */
static int
export_run (Ctl *ctl, int argc, char **argv)
{
  static const char *const spec[] = { "output=", "categories*", "from=", "to=", "no-content", NULL };
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, spec, 0, 0, &status);
  if (args == NULL)
    return status;
  g_autofree char *from = NULL, *to = NULL;
  if ((status = args_date (ctl, args, "from", FALSE, &from)) ||
      (status = args_date (ctl, args, "to", TRUE, &to)))
    return status;
  const char *const *categories = args_list (args, "categories");
  if (categories != NULL && categories[0] == NULL)
    return usage_error (ctl, "--categories wants category names");
  g_autofree char *names = categories ? g_strjoinv (",", (char **) categories) : NULL;
  g_autoptr(GString) path = g_string_new ("/export");
  api_query (path, "categories", names);
  api_query (path, "from", from);
  api_query (path, "to", to);
  api_query (path, "content", args_has (args, "no-content") ? "false" : NULL);

  /* Where to: --output FILE, or "-" or a pipe for standard output; on a
   * terminal, the file name the service suggests. A file is written under
   * a temporary name and renamed once complete. */
  const char *output = args_get (args, "output");
  gboolean to_stdout = output ? strcmp (output, "-") == 0 : !isatty (STDOUT_FILENO);
  g_autoptr(GOutputStream) out = NULL;
  g_autofree char *partial = NULL;
  if (to_stdout)
    out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  else
    {
      partial = g_strdup_printf ("%s.part-XXXXXX", output ? output : "perch-export");
      int fd = g_mkstemp (partial);
      if (fd < 0)
        {
          g_printerr ("perchctl: %s: cannot write %s: %s\n", ctl->command, partial, g_strerror (errno));
          return EXIT_FAILED;
        }
      out = g_unix_output_stream_new (fd, TRUE);
    }
  goffset written = 0;
  g_autofree char *suggested = NULL;
  status = api_stream (ctl, "GET", path->str, NULL, NULL, -1, out, &written, &suggested, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_output_stream_close (out, NULL, &error) && status == EXIT_OK)
    {
      g_printerr ("perchctl: %s: %s\n", ctl->command, error->message);
      status = EXIT_FAILED;
    }
  if (to_stdout)
    return status;
  const char *target = output ? output : suggested ? suggested : "perch-export.jsonl";
  if (status == EXIT_OK && g_rename (partial, target) != 0)
    {
      g_printerr ("perchctl: %s: cannot write %s: %s\n", ctl->command, target, g_strerror (errno));
      status = EXIT_FAILED;
    }
  if (status != EXIT_OK)
    {
      g_unlink (partial);
      return status;
    }
  g_autofree char *size = fmt_bytes (written);
  if (ctl->json)
    g_print ("{\"file\": \"%s\", \"bytes\": %" G_GINT64_FORMAT "}\n", target, (gint64) written);
  else
    g_print ("wrote %s (%s)\n", target, size);
  return EXIT_OK;
}

const PerchctlVerb perchctl_export_verbs[] = {
  { "", export_run,
    "export [--output FILE|-] [--categories C...] [--from DATE] [--to DATE] [--no-content]",
    "categories, rooms, lists and content to one archive (JSON Lines)" },
  { NULL }
};

/* import FILE|- */
static int
import_run (Ctl *ctl, int argc, char **argv)
{
  int status;
  g_autoptr(Args) args = args_parse (ctl, argc, argv, NULL, 1, 1, &status);
  if (args == NULL)
    return status;
  const char *name = args_pos (args, 0);
  g_autoptr(GInputStream) in = NULL;
  goffset length = -1;
  if (strcmp (name, "-") == 0)
    {
      if (g_getenv ("PERCH_PASSWORD") == NULL && !isatty (STDIN_FILENO))
        return usage_error (ctl, "the archive on standard input needs the password in $PERCH_PASSWORD");
      /* The service wants a Content-Length (a chunked body cut short would
       * look whole): spooled to an unlinked temporary file first. */
      g_autoptr(GError) error = NULL;
      g_autofree char *spool = NULL;
      int fd = g_file_open_tmp ("perchctl-import-XXXXXX", &spool, &error);
      if (fd < 0)
        {
          g_printerr ("perchctl: %s: %s\n", ctl->command, error->message);
          return EXIT_FAILED;
        }
      g_unlink (spool);
      g_autoptr(GInputStream) stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      g_autoptr(GOutputStream) to_spool = g_unix_output_stream_new (fd, FALSE);
      length = g_output_stream_splice (to_spool, stdin_stream, G_OUTPUT_STREAM_SPLICE_NONE, NULL, &error);
      if (length < 0 || lseek (fd, 0, SEEK_SET) != 0)
        {
          g_printerr ("perchctl: %s: reading standard input: %s\n", ctl->command,
                      error ? error->message : g_strerror (errno));
          close (fd);
          return EXIT_FAILED;
        }
      in = g_unix_input_stream_new (fd, TRUE);
    }
  else
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (name);
      g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, &error);
      g_autoptr(GFileInfo) info = stream ? g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                                            NULL, &error) : NULL;
      if (info == NULL)
        return usage_error (ctl, "cannot read %s: %s", name, error->message);
      length = g_file_info_get_size (info);
      in = G_INPUT_STREAM (g_steal_pointer (&stream));
    }
  g_autoptr(JsonNode) reply = NULL;
  if ((status = api_stream (ctl, "POST", "/import", in, "application/x-ndjson", length, NULL, NULL, NULL, &reply)))
    return status;
  if (ctl->json)
    {
      print_json_node (reply);
      return EXIT_OK;
    }
  JsonObject *report = json_node_get_object (reply);
  g_print ("categories: %" G_GINT64_FORMAT " created, %" G_GINT64_FORMAT " existing\n",
           jint (report, "categories_created"), jint (report, "categories_existing"));
  g_print ("rooms:      %" G_GINT64_FORMAT " created, %" G_GINT64_FORMAT " skipped (a room of that name exists)\n",
           jint (report, "rooms_created"), jint (report, "rooms_skipped"));
  g_print ("messages:   %" G_GINT64_FORMAT "\n", jint (report, "messages"));
  JsonArray *notes = jarray (report, "notes");
  for (guint i = 0; notes && i < json_array_get_length (notes); i++)
    g_print ("note: %s\n", json_array_get_string_element (notes, i));
  return EXIT_OK;
}

const PerchctlVerb perchctl_import_verbs[] = {
  { "", import_run, "import FILE|-", "apply an archive from export (a malformed or truncated one changes nothing)" },
  { NULL }
};
