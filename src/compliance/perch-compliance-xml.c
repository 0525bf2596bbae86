/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-compliance-xml.c: the compliance document, and the built-in XML
 * adapter that writes it to files.
 *
 * The document is shaped like Lync's compliance output (admin-model.md):
 * Conversations / Conversation per room / Channel, FirstMessage, Messages,
 * StartTimeUTC, EndTimeUTC; each Message with its Sender and DateTimeUTC
 * (milliseconds since 1970, ISO 8601 text, .NET ticks). Perch adds one
 * attribute, eventId, the outbox id, so an archive can check that it holds
 * every event once.
 *
 * Files are named by the batch's range: perch-compliance-FIRST-LAST.xml, or
 * perch-compliance-FIRST-LAST-ROOM.xml per room, and
 * perch-compliance-FIRST-LAST.manifest.xml for attachments, whose files are
 * copied to attachments/ID beside them. Each is written
 * under a temporary dot-name in the same directory, fsynced, renamed, and
 * the directory fsynced, so a reader never sees half a file and a redo of
 * the range after a crash replaces the files instead of adding copies. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "perch-compliance-private.h"
#include "perch-xccos.h"

/* .NET ticks (100 ns since 0001-01-01) at the Unix epoch: Lync's "long". */
#define TICKS_AT_1970 G_GINT64_CONSTANT (621355968000000000)

static void
append_time (GString *out, const char *indent, const char *element, gint64 ts_us)
{
  if (ts_us < 0)
    ts_us = 0;
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (ts_us / G_USEC_PER_SEC);
  g_autofree char *base = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S") : g_strdup ("1970-01-01T00:00:00");
  /* Seven fractional digits, as .NET's round-trip format writes them. */
  g_string_append_printf (out, "%s<%s since1970=\"%" G_GINT64_FORMAT "\" string=\"%s.%06d0Z\" long=\"%"
                          G_GINT64_FORMAT "\"/>\n", indent, element, ts_us / 1000, base,
                          (int) (ts_us % G_USEC_PER_SEC), ts_us * 10 + TICKS_AT_1970);
}

static void
append_sender (GString *out, const PerchComplianceBatch *batch, const char *user, const char *indent)
{
  const char *address = user == NULL ? "" : g_str_has_prefix (user, "sip:") ? user + 4 : user;

  g_string_append_printf (out, "%s<Sender", indent);
  if (batch->settings->user_details && user != NULL)
    {
      const PerchUser *u = perch_compliance_details_user (batch->details, user);
      perch_xml_attr_append (out, "UserName",
                             u != NULL && u->display_name != NULL && *u->display_name ? u->display_name : address);
      perch_xml_attr_append (out, "id", user);
      perch_xml_attr_append (out, "email", address);
      /* A user the pool provisions, as opposed to one since deleted. */
      perch_xml_attr_append (out, "internal", u != NULL ? "true" : "false");
    }
  perch_xml_attr_append (out, "uri", address);
  g_string_append (out, "/>\n");
}

static void
append_message (GString *out, const char *element, const PerchEvent *ev, const PerchComplianceBatch *batch)
{
  g_string_append_printf (out, "    %s<%s", strcmp (element, "Message") == 0 ? "  " : "", element);
  perch_xml_attr_append (out, "type", perch_event_type_to_string (ev->type));
  perch_xml_attr_append (out, "content", ev->content != NULL ? ev->content : "");
  g_string_append_printf (out, " id=\"%" G_GINT64_FORMAT "\" eventId=\"%" G_GINT64_FORMAT "\">\n",
                          ev->msg_id, ev->id);
  const char *inner = strcmp (element, "Message") == 0 ? "        " : "      ";
  append_sender (out, batch, ev->user, inner);
  append_time (out, inner, "DateTimeUTC", ev->ts_us);
  g_string_append_printf (out, "    %s</%s>\n", strcmp (element, "Message") == 0 ? "  " : "", element);
}

static void
append_conversation (GString *out, const PerchComplianceBatch *batch, const char *room_id, GPtrArray *events)
{
  const PerchComplianceSettings *s = batch->settings;
  g_autofree char *uri = perch_room_uri (s->domain, room_id);
  const PerchComplianceRoom *room = s->room_details ? perch_compliance_details_room (batch->details, room_id) : NULL;
  gint64 start = G_MAXINT64, end = G_MININT64;

  g_string_append (out, "  <Conversation>\n    <Channel");
  perch_xml_attr_append (out, "uri", uri);
  /* Lync names a room by its URI unless room details are asked for. */
  perch_xml_attr_append (out, "name", room != NULL ? room->name : uri);
  if (room != NULL)
    {
      perch_xml_attr_append (out, "category", room->category);
      perch_xml_attr_append (out, "privacy", room->privacy);
    }
  g_string_append (out, "/>\n");
  append_message (out, "FirstMessage", g_ptr_array_index (events, 0), batch);
  g_string_append (out, "    <Messages>\n");
  for (guint i = 0; i < events->len; i++)
    {
      const PerchEvent *ev = g_ptr_array_index (events, i);
      append_message (out, "Message", ev, batch);
      start = MIN (start, ev->ts_us);
      end = MAX (end, ev->ts_us);
    }
  g_string_append (out, "    </Messages>\n");
  append_time (out, "    ", "StartTimeUTC", start);
  append_time (out, "    ", "EndTimeUTC", end);
  g_string_append (out, "  </Conversation>\n");
}

/* The rooms of the batch in order of their first event, and each room's
 * events. */
static GPtrArray *
rooms_in_order (const PerchComplianceBatch *batch, GHashTable **by_room_out)
{
  GPtrArray *order = g_ptr_array_new ();
  GHashTable *by_room = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                               (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < batch->events->len; i++)
    {
      PerchEvent *ev = g_ptr_array_index (batch->events, i);
      GPtrArray *list = g_hash_table_lookup (by_room, ev->room_id);
      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (by_room, ev->room_id, list);
          g_ptr_array_add (order, ev->room_id);
        }
      g_ptr_array_add (list, ev);
    }
  *by_room_out = by_room;
  return order;
}

GString *
perch_compliance_xml_document (const PerchComplianceBatch *batch, const char *room_id)
{
  g_autoptr(GHashTable) by_room = NULL;
  g_autoptr(GPtrArray) order = rooms_in_order (batch, &by_room);
  GString *out = g_string_new ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                               "<Conversations xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
                               " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n");
  for (guint i = 0; i < order->len; i++)
    {
      const char *room = g_ptr_array_index (order, i);
      if (room_id == NULL || strcmp (room, room_id) == 0)
        append_conversation (out, batch, room, g_hash_table_lookup (by_room, room));
    }
  g_string_append (out, "</Conversations>\n");
  return out;
}

/* ---- attachments ------------------------------------------------------------ */

/* File ids are generated by the file store; anything else in an event's
 * content must not become a path. */
static gboolean
file_id_ok (const char *id)
{
  gsize n = id != NULL ? strlen (id) : 0;
  if (n == 0 || n > 128)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Size and SHA-256 of FILES_DIR/ID, read in pieces; FALSE when it is not a
 * readable regular file. */
static gboolean
file_digest (const char *files_dir, const char *id, GCancellable *cancellable, gint64 *size, char **sha256)
{
  g_autofree char *path = g_build_filename (files_dir, id, NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  char buf[65536];
  ssize_t n;

  if (fd < 0)
    return FALSE;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      return FALSE;
    }
  *size = 0;
  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || g_cancellable_is_cancelled (cancellable))
        {
          close (fd);
          return FALSE;
        }
      g_checksum_update (sum, (const guchar *) buf, n);
      *size += n;
    }
  close (fd);
  *sha256 = g_strdup (g_checksum_get_string (sum));
  return TRUE;
}

/* The manifest of the files the batch's FILEUPLOAD events name, or NULL
 * when there are none. A file not in the file store is listed with
 * missing="true": the events are delivered all the same. */
static GString *
manifest_document (const PerchComplianceBatch *batch, GCancellable *cancellable)
{
  const PerchComplianceSettings *s = batch->settings;
  GString *out = NULL;

  for (guint i = 0; i < batch->events->len; i++)
    {
      const PerchEvent *ev = g_ptr_array_index (batch->events, i);
      if (ev->type != PERCH_EVENT_FILEUPLOAD)
        continue;
      if (out == NULL)
        {
          out = g_string_new ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
          g_string_append_printf (out, "<Attachments firstEventId=\"%" G_GINT64_FORMAT "\" lastEventId=\"%"
                                  G_GINT64_FORMAT "\">\n", batch->first_id, batch->last_id);
        }
      g_autofree char *uri = perch_room_uri (s->domain, ev->room_id);
      g_autofree char *sha256 = NULL;
      gint64 size = 0;
      gboolean present = file_id_ok (ev->content) && file_digest (s->files_dir, ev->content, cancellable, &size, &sha256);
      g_string_append (out, "  <File");
      perch_xml_attr_append (out, "id", ev->content != NULL ? ev->content : "");
      g_string_append_printf (out, " eventId=\"%" G_GINT64_FORMAT "\"", ev->id);
      perch_xml_attr_append (out, "channel", uri);
      perch_xml_attr_append (out, "uploader", ev->user);
      if (present)
        {
          g_string_append_printf (out, " size=\"%" G_GINT64_FORMAT "\"", size);
          perch_xml_attr_append (out, "sha256", sha256);
        }
      else
        g_string_append (out, " missing=\"true\"");
      g_string_append (out, "/>\n");
    }
  if (out != NULL)
    g_string_append (out, "</Attachments>\n");
  return out;
}

/* ---- writing files ------------------------------------------------------------ */

/* "cannot write PATH: No space left on device" */
static gboolean
set_errno_error (GError **error, int saved, const char *action, const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s %s: %s", action, path, g_strerror (saved));
  return FALSE;
}

/* DIR/NAME holds DATA, durably, or is untouched. The temporary name is
 * fixed per NAME so that a crash leaves at most one stray, which the redo
 * overwrites. The directory's fsync is the caller's, once for all files. */
static gboolean
write_durably (int dirfd, const char *dir, const char *name, const GString *data, GError **error)
{
  g_autofree char *tmp = g_strconcat (".", name, ".tmp", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  gsize done = 0;
  int saved;

  if (fd < 0)
    return set_errno_error (error, errno, "cannot write", path);
  while (done < data->len)
    {
      ssize_t n = write (fd, data->str + done, data->len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      done += n;
    }
  if (fsync (fd) != 0)
    goto fail;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (renameat (dirfd, tmp, dirfd, name) != 0)
    goto fail;
  return TRUE;

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  unlinkat (dirfd, tmp, 0);
  return set_errno_error (error, saved, "cannot write", path);
}

/* Files of this range that this delivery did not write (a redo after the
 * configuration changed between one file and one per room, say), and
 * temporary files of it left by a crash: removed, so that the directory
 * holds the range's events once. */
static gboolean
remove_stale (int dirfd, const char *dir, const char *base, GPtrArray *written, GError **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  const char *entry;
  gsize n = strlen (base);

  if (d == NULL)
    return FALSE;
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      const char *rest = entry[0] == '.' ? entry + 1 : entry;
      /* "BASE." or "BASE-": BASE followed by a digit is another range. */
      if (strncmp (rest, base, n) != 0 || (rest[n] != '.' && rest[n] != '-'))
        continue;
      if (entry[0] != '.')
        {
          if (!g_str_has_suffix (entry, ".xml"))
            continue;
          gboolean keep = FALSE;
          for (guint i = 0; i < written->len && !keep; i++)
            keep = strcmp (entry, g_ptr_array_index (written, i)) == 0;
          if (keep)
            continue;
        }
      else if (!g_str_has_suffix (entry, ".tmp"))
        continue;
      if (unlinkat (dirfd, entry, 0) != 0 && errno != ENOENT)
        return set_errno_error (error, errno, "cannot remove", entry);
    }
  return TRUE;
}

/* A room's part of a per-room file name: its id when that is plain, else a
 * digest of it (ids come from imports too, and must not become paths). The
 * two forms cannot collide: a plain id has no '.'. */
static char *
room_token (const char *room_id)
{
  gsize n = strlen (room_id);
  gboolean plain = n > 0 && n <= 64;
  for (const char *p = room_id; plain && *p; p++)
    plain = g_ascii_isalnum (*p) || *p == '_' || *p == '-';
  if (plain)
    return g_strdup (room_id);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, room_id, -1);
  return g_strdup_printf ("h.%.16s", sum);
}

/* Copies the file each FILEUPLOAD event names into OUTPUT/attachments/ID,
 * durably (temporary name, fsync, rename, directory fsync). A redo finds
 * the copy there and leaves it. A file no longer in the store is skipped:
 * the manifest says so when one is asked for. */
static gboolean
copy_attachments (const PerchComplianceBatch *batch, GCancellable *cancellable, GError **error)
{
  const PerchComplianceSettings *s = batch->settings;
  g_autofree char *dir = g_build_filename (s->output_dir, "attachments", NULL);
  int dirfd = -1;
  gboolean ok = FALSE;
  for (guint i = 0; i < batch->events->len; i++)
    {
      const PerchEvent *ev = g_ptr_array_index (batch->events, i);
      if (ev->type != PERCH_EVENT_FILEUPLOAD || !file_id_ok (ev->content))
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      g_autofree char *src = g_build_filename (s->files_dir, ev->content, NULL);
      int in = open (src, O_RDONLY | O_CLOEXEC);
      if (in < 0)
        continue;
      if (dirfd < 0)
        {
          if (g_mkdir_with_parents (dir, 0750) != 0 ||
              (dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            {
              close (in);
              set_errno_error (error, errno, "cannot create", dir);
              goto out;
            }
        }
      struct stat have, want;
      if (fstatat (dirfd, ev->content, &have, 0) == 0 && fstat (in, &want) == 0 && have.st_size == want.st_size)
        {
          close (in);
          continue;
        }
      g_autofree char *tmp = g_strdup_printf (".%s.tmp", ev->content);
      int out_fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
      gboolean copied = out_fd >= 0;
      char buf[65536];
      ssize_t n;
      while (copied && (n = read (in, buf, sizeof buf)) != 0)
        {
          if (n < 0)
            {
              if (errno == EINTR)
                continue;
              copied = FALSE;
              break;
            }
          for (ssize_t off = 0; off < n;)
            {
              ssize_t w = write (out_fd, buf + off, n - off);
              if (w < 0 && errno == EINTR)
                continue;
              if (w <= 0)
                {
                  copied = FALSE;
                  break;
                }
              off += w;
            }
        }
      int saved = errno;
      close (in);
      if (copied && fsync (out_fd) != 0)
        copied = FALSE, saved = errno;
      if (out_fd >= 0)
        close (out_fd);
      if (copied && renameat (dirfd, tmp, dirfd, ev->content) != 0)
        copied = FALSE, saved = errno;
      if (!copied)
        {
          unlinkat (dirfd, tmp, 0);
          set_errno_error (error, saved, "cannot copy the attachment into", dir);
          goto out;
        }
    }
  if (dirfd >= 0 && fsync (dirfd) != 0)
    {
      set_errno_error (error, errno, "cannot sync", dir);
      goto out;
    }
  ok = TRUE;
out:
  if (dirfd >= 0)
    close (dirfd);
  return ok;
}

static gboolean
xml_deliver (const PerchComplianceBatch *batch, GCancellable *cancellable, GError **error)
{
  const PerchComplianceSettings *s = batch->settings;
  g_autofree char *base = g_strdup_printf ("perch-compliance-%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                                           batch->first_id, batch->last_id);
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = FALSE;
  int dirfd;

  if (g_mkdir_with_parents (s->output_dir, 0750) != 0)
    return set_errno_error (error, errno, "cannot create the output directory", s->output_dir);
  dirfd = open (s->output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return set_errno_error (error, errno, "cannot open the output directory", s->output_dir);

  if (!s->one_room_per_file)
    {
      g_autoptr(GString) doc = perch_compliance_xml_document (batch, NULL);
      g_autofree char *name = g_strconcat (base, ".xml", NULL);
      if (!write_durably (dirfd, s->output_dir, name, doc, error))
        goto out;
      g_ptr_array_add (written, g_steal_pointer (&name));
    }
  else
    {
      g_autoptr(GHashTable) by_room = NULL;
      g_autoptr(GPtrArray) order = rooms_in_order (batch, &by_room);
      for (guint i = 0; i < order->len; i++)
        {
          const char *room = g_ptr_array_index (order, i);
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
          g_autoptr(GString) doc = perch_compliance_xml_document (batch, room);
          g_autofree char *token = room_token (room);
          g_autofree char *name = g_strdup_printf ("%s-%s.xml", base, token);
          if (!write_durably (dirfd, s->output_dir, name, doc, error))
            goto out;
          g_ptr_array_add (written, g_steal_pointer (&name));
        }
    }
  if (s->manifest)
    {
      g_autoptr(GString) doc = manifest_document (batch, cancellable);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      g_autofree char *name = g_strconcat (base, ".manifest.xml", NULL);
      if (doc != NULL && !write_durably (dirfd, s->output_dir, name, doc, error))
        goto out;
      if (doc != NULL)
        g_ptr_array_add (written, g_steal_pointer (&name));
    }
  /* The files the events name go with them, before the events are done. */
  if (!copy_attachments (batch, cancellable, error))
    goto out;
  if (!remove_stale (dirfd, s->output_dir, base, written, error))
    goto out;
  /* The renames (and removals) are durable only once the directory is. */
  if (fsync (dirfd) != 0)
    {
      set_errno_error (error, errno, "cannot sync the output directory", s->output_dir);
      goto out;
    }
  ok = TRUE;
out:
  close (dirfd);
  return ok;
}

const PerchComplianceAdapter perch_compliance_xml_adapter = {
  .name = "xml",
  .deliver = xml_deliver,
};
