/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-web-files.c: the routes whose bodies are bytes — files in rooms
 * (PUT and GET /files/{token}) and the pool's export and import
 * (GET /api/v1/export, POST /api/v1/import).
 *
 * Files. A chat client asks over XCCOS for a token (cmd:getfutok to
 * upload, cmd:getfdtok to download; perch-commands.c), which names this
 * service's /files/TOKEN. The token is single-use, expires, and is bound to
 * the user, the room and the file; the caller here must be that user, and
 * the rules are checked again when the token is taken. An upload's body
 * goes to DATA_DIR/files/tmp/<random> as it arrives (perch-web.c), hashed
 * on the way and cut off at max_file_size_kb; once complete it is fsynced,
 * renamed to DATA_DIR/files/<id> (a fresh random id: nothing the client
 * sent is ever part of a path) and recorded with its FILEUPLOAD event in
 * one transaction. An upload that does not complete leaves no file and no
 * record. A download is recorded (FILEDOWNLOAD, durable) before its first
 * byte is sent, then streamed a chunk at a time.
 *
 * Files are never unlinked here, not even when their room is deleted (the
 * store marks them deleted): the compliance service copies the files its
 * FILEUPLOAD events name from DATA_DIR/files/<id>, possibly long after.
 *
 * Export and import. An export is written to an unlinked temporary file
 * and streamed from it; an archive to import is received into a temporary
 * file, which perch_admin_import reads (checking all of it before applying
 * any of it). Neither is ever whole in memory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gunixoutputstream.h>

#include "perch-export.h"
#include "perch-web-private.h"

#define EXPORT_BUFFER (64 * 1024)

static void
fail (PerchWebRequest *req, int code, const char *message)
{
  g_autoptr(GError) error = g_error_new_literal (PERCH_ERROR, code, message);
  perch_web_reply_error (req, error);
}

/* RFC 8187: attachment; filename*=UTF-8''name, every byte outside
 * attr-char percent-encoded. */
static char *
content_disposition (const char *name)
{
  GString *out = g_string_new ("attachment; filename*=UTF-8''");
  for (const guchar *p = (const guchar *) name; *p; p++)
    if (g_ascii_isalnum (*p) || strchr ("!#$&+-.^_`|~", *p))
      g_string_append_c (out, (char) *p);
    else
      g_string_append_printf (out, "%%%02X", *p);
  return g_string_free (out, FALSE);
}

/* Headers of every answer that is a file: never rendered, never run. */
static void
attachment_headers (SoupServerMessage *msg, const char *name)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *disposition = content_disposition (name);
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy", "default-src 'none'; sandbox");
}

/* ---- uploads -------------------------------------------------------------------- */

gboolean
perch_web_begin_file_put (PerchWebRequest *req, PerchWebUpload *upload, GError **error)
{
  PerchFileGrant *grant = perch_channel_file_token_take (req->channel, perch_web_param (req, "token"),
                                                         PERCH_FILE_UPLOAD, req->actor, error);
  if (grant == NULL)
    return FALSE;
  upload->data = grant;
  upload->data_free = (GDestroyNotify) perch_file_grant_free;
  upload->max = perch_channel_max_file_size (req->channel);
  upload->limit_message = g_strdup_printf ("files are limited to %" G_GINT64_FORMAT " KiB (max_file_size_kb)",
                                           upload->max / 1024);
  upload->subdir = "files/tmp";
  return TRUE;
}

/* An upload received whole, on its way to the file store. */
typedef struct {
  PerchWebPause       *pause;       /* holds the service and the message */
  PerchWeb            *web;
  const PerchWebRoute *route;
  PerchFile           *file;        /* the record to add: id chosen here */
  int                  fd;          /* the temporary file, until closed */
  char                *tmp_path;    /* NULL once renamed */
  char                *files_dir;
  char                *final_path;  /* FILES_DIR/<id> */
} Storing;

static void
storing_free (Storing *st)
{
  if (st->fd >= 0)
    close (st->fd);
  if (st->tmp_path != NULL)
    g_unlink (st->tmp_path);
  g_free (st->tmp_path);
  g_free (st->files_dir);
  g_free (st->final_path);
  perch_file_free (st->file);
  g_free (st);
}

/* In a thread: the bytes on disk, then the name, then the name on disk. */
static void
store_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Storing *st = data;
  int saved = 0;
  const char *step = NULL;
  if (fsync (st->fd) != 0)
    saved = errno, step = "syncing";
  if (close (st->fd) != 0 && saved == 0)
    saved = errno, step = "closing";
  st->fd = -1;
  if (saved == 0)
    {
      if (rename (st->tmp_path, st->final_path) != 0)
        saved = errno, step = "naming";
      else
        {
          g_clear_pointer (&st->tmp_path, g_free);
          int dir = open (st->files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (dir < 0 || fsync (dir) != 0)
            saved = errno, step = "syncing the directory of";
          if (dir >= 0)
            close (dir);
        }
    }
  if (saved != 0)
    g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved), "%s an upload: %s", step,
                             g_strerror (saved));
  else
    g_task_return_boolean (task, TRUE);
}

static JsonNode *
file_json (const PerchFile *file)
{
  JsonObject *obj = json_object_new ();
  json_object_set_string_member (obj, "id", file->id);
  json_object_set_string_member (obj, "name", file->name);
  json_object_set_int_member (obj, "size", file->size);
  json_object_set_string_member (obj, "sha256", file->sha256);
  g_autofree char *link = g_strconcat ("ma-filelink:", file->id, NULL);
  json_object_set_string_member (obj, "link", link);
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  return node;
}

static void
stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Storing *st = user_data;
  g_autoptr(GError) error = NULL;
  SoupServerMessage *msg = _perch_web_pause_message (st->pause);
  PerchWeb *web = st->web;
  PerchWebRequest req = { .web = web, .msg = msg, .route = st->route };
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  if (ok && _perch_web_is_stopped (web))
    {
      /* The store may be gone: the file must not stay without its record. */
      ok = FALSE;
      error = g_error_new_literal (PERCH_ERROR, PERCH_ERROR_BUSY, "the server is stopping");
    }
  if (ok)
    ok = perch_store_file_add (_perch_web_get_store (web), st->file, &error);
  if (!ok)
    {
      if (st->tmp_path == NULL)
        g_unlink (st->final_path);
      if (!_perch_web_is_stopped (web))
        perch_web_reply_error (&req, error);
    }
  else
    perch_web_reply (&req, 201, file_json (st->file));
  _perch_web_resume (st->pause);
  storing_free (st);
}

void
perch_web_handle_file_put (PerchWebRequest *req)
{
  PerchWebUpload *upload = req->upload;
  PerchFileGrant *grant = upload->data;
  Storing *st = g_new0 (Storing, 1);
  st->route = req->route;
  st->file = g_new0 (PerchFile, 1);
  st->file->id = perch_random_hex (16);
  st->file->room_id = g_strdup (grant->room_id);
  st->file->uploader = g_strdup (grant->user);
  st->file->name = g_strdup (grant->file);
  st->file->size = upload->size;
  st->file->sha256 = g_strdup (g_checksum_get_string (upload->sha256));
  /* The temporary file is the thread's now: the request's cleanup, which
   * may run if the client leaves meanwhile, no longer touches it. */
  st->fd = upload->fd;
  upload->fd = -1;
  st->tmp_path = g_steal_pointer (&upload->path);
  st->files_dir = g_build_filename (_perch_web_get_data_dir (req->web), "files", NULL);
  st->final_path = g_build_filename (st->files_dir, st->file->id, NULL);
  st->web = req->web;
  st->pause = _perch_web_pause (req);
  g_autoptr(GTask) task = g_task_new (NULL, NULL, stored, st);
  g_task_set_task_data (task, st, NULL);
  g_task_run_in_thread (task, store_thread);
}

/* ---- downloads ------------------------------------------------------------------- */

typedef struct {
  PerchWebPause       *pause;
  const PerchWebRoute *route;
  PerchWeb            *web;
  int                  fd;
  PerchFile           *file;
} Sending;

/* The FILEDOWNLOAD event is durable (or failed): send, or say why not. */
static void
download_recorded (const GError *error, gpointer user_data)
{
  Sending *s = user_data;
  SoupServerMessage *msg = _perch_web_pause_message (s->pause);
  PerchWebRequest req = { .web = s->web, .msg = msg, .route = s->route };
  if (_perch_web_is_stopped (s->web))
    close (s->fd);
  else if (error != NULL)
    {
      close (s->fd);
      perch_web_reply_error (&req, error);
    }
  else
    {
      attachment_headers (msg, s->file->name);
      _perch_web_stream_fd (&req, s->fd, s->file->size, "application/octet-stream");
    }
  _perch_web_resume (s->pause);
  perch_file_free (s->file);
  g_free (s);
}

void
perch_web_handle_file_get (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  const char *data_dir = _perch_web_get_data_dir (req->web);
  if (data_dir == NULL)
    {
      fail (req, PERCH_ERROR_BUSY, "file transfer is not set up on this server");
      return;
    }
  g_autoptr(PerchFileGrant) grant = perch_channel_file_token_take (req->channel, perch_web_param (req, "token"),
                                                                  PERCH_FILE_DOWNLOAD, req->actor, &error);
  if (grant == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  g_autoptr(PerchFile) file = perch_file_id_valid (grant->file)
                              ? perch_store_file_get (_perch_web_get_store (req->web), grant->file, NULL) : NULL;
  if (file == NULL || file->state != PERCH_FILE_STORED || strcmp (file->room_id, grant->room_id) != 0)
    {
      fail (req, PERCH_ERROR_NOT_FOUND, "no such file");
      return;
    }
  g_autofree char *path = g_build_filename (data_dir, "files", file->id, NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size != file->size)
    {
      g_warning ("web: file %s is missing or damaged in the file store (%s)", file->id,
                 fd < 0 ? g_strerror (errno) : "not the size recorded");
      if (fd >= 0)
        close (fd);
      fail (req, PERCH_ERROR_FAILED, "the file cannot be read");
      return;
    }
  Sending *s = g_new0 (Sending, 1);
  s->route = req->route;
  s->web = req->web;
  s->fd = fd;
  s->file = g_steal_pointer (&file);
  s->pause = _perch_web_pause (req);
  /* Compliance hears of the download before its first byte leaves. */
  perch_channel_record_file_event (req->channel, PERCH_EVENT_FILEDOWNLOAD, s->file->room_id, req->actor->uri,
                                   s->file->id, download_recorded, s);
}

/* ---- export and import -------------------------------------------------------------- */

void
perch_web_handle_export (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  if (_perch_web_get_data_dir (req->web) == NULL)
    {
      fail (req, PERCH_ERROR_BUSY, "export is not set up on this server");
      return;
    }
  g_autoptr(GPtrArray) categories = NULL;
  const char *names = perch_web_query (req, "categories");
  if (names != NULL)
    {
      categories = g_ptr_array_new_with_free_func (g_free);
      g_auto(GStrv) parts = g_strsplit (names, ",", -1);
      for (guint i = 0; parts[i]; i++)
        {
          g_strstrip (parts[i]);
          if (*parts[i])
            g_ptr_array_add (categories, g_strdup (parts[i]));
        }
      if (categories->len == 0)
        {
          fail (req, PERCH_ERROR_BAD_REQUEST, "categories names no category");
          return;
        }
      g_ptr_array_add (categories, NULL);
    }
  PerchExportOptions options = {
    .categories = categories ? (const char *const *) categories->pdata : NULL,
    .no_content = g_strcmp0 (perch_web_query (req, "content"), "false") == 0,
  };
  perch_web_query_time (req, "from", &options.from_us);
  perch_web_query_time (req, "to", &options.to_us);
  if (options.from_us != 0 && options.to_us != 0 && options.from_us > options.to_us)
    {
      fail (req, PERCH_ERROR_BAD_REQUEST, "from is after to");
      return;
    }

  /* Unlinked at once: whatever happens next, nothing is left behind. */
  g_autofree char *path = NULL;
  int fd = _perch_web_temp_open (req->web, "tmp", &path, &error);
  if (fd < 0)
    {
      perch_web_reply_error (req, error);
      return;
    }
  g_unlink (path);
  g_autoptr(GOutputStream) raw = g_unix_output_stream_new (fd, FALSE);
  g_autoptr(GOutputStream) out = g_buffered_output_stream_new_sized (raw, EXPORT_BUFFER);
  gboolean ok = perch_admin_export (req->channel, req->actor, &options, out, NULL, &error) &&
                g_output_stream_close (out, NULL, &error);
  off_t size = ok ? lseek (fd, 0, SEEK_END) : -1;
  if (ok && (size < 0 || lseek (fd, 0, SEEK_SET) != 0))
    {
      int saved = errno;
      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (saved), "rereading an export: %s", g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    {
      close (fd);
      perch_web_reply_error (req, error);
      return;
    }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *name = g_strdup_printf ("perch-export-%s.jsonl", stamp);
  attachment_headers (req->msg, name);
  _perch_web_stream_fd (req, fd, size, "application/x-ndjson");
}

gboolean
perch_web_begin_import (PerchWebRequest *req, PerchWebUpload *upload, GError **error)
{
  /* perch_admin_import decides; this only spares the disk an archive
   * that a non-administrator could never import. */
  if (!req->actor->admin)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_ACCESS_DENIED, "only administrators may import");
      return FALSE;
    }
  /* Not a type a browser may send cross-site without asking first. */
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (req->msg), NULL);
  if (type == NULL || g_ascii_strcasecmp (type, "application/x-ndjson") != 0)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "the archive must be sent as application/x-ndjson");
      return FALSE;
    }
  upload->max = PERCH_WEB_MAX_IMPORT;
  upload->limit_message = g_strdup_printf ("archives are limited to %" G_GINT64_FORMAT " bytes", PERCH_WEB_MAX_IMPORT);
  upload->subdir = "tmp";
  return TRUE;
}

void
perch_web_handle_import (PerchWebRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (req->upload->path);
  g_autoptr(PerchImportReport) report = perch_admin_import (req->channel, req->actor, file, NULL, &error);
  if (report == NULL)
    {
      perch_web_reply_error (req, error);
      return;
    }
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "categories_created", report->categories_created);
  json_object_set_int_member (obj, "categories_existing", report->categories_existing);
  json_object_set_int_member (obj, "rooms_created", report->rooms_created);
  json_object_set_int_member (obj, "rooms_skipped", report->rooms_skipped);
  json_object_set_int_member (obj, "messages", (gint64) report->messages);
  JsonArray *notes = json_array_new ();
  for (guint i = 0; i < report->notes->len; i++)
    json_array_add_string_element (notes, g_ptr_array_index (report->notes, i));
  json_object_set_array_member (obj, "notes", notes);
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);
  json_object_unref (obj);
  perch_web_reply (req, 200, node);
}
