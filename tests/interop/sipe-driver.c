/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sipe-driver: runs the stock pidgin-sipe protocol plugin (prpl-sipe)
 * headlessly through libpurple against a Perch server, for the interop test.
 *
 * It signs one account in, then carries out a script given as arguments,
 * one step per argument, and prints one line per result on stdout so that a
 * test can assert on it.  Everything else (libpurple/SIPE debug output when
 * PERCH_INTEROP_DEBUG is set, progress notes, failures) goes to stderr.
 *
 *   sipe-driver --server 127.0.0.1:5060 --user alice \
 *       signed-in rooms "join General" history "post General hi" \
 *       "expect bob hello"
 *
 * Steps (the room is the first word after the verb, the text the rest):
 *   signed-in           wait for sign-in                 -> "signed-in"
 *   rooms               room list via purple_roomlist     -> "room NAME",
 *                                                           "room-uri NAME URI"...,
 *                                                           "rooms N"
 *   join ROOM [URI]     join by name (URI from the room list unless given)
 *   join URI            or by URI alone (the room is the chat SIPE opens)
 *                                                        -> "joined ROOM"
 *   history [ROOM]      the posts SIPE showed after joining, once they stop
 *                       arriving                         -> "history ROOM AUTHOR TEXT"...,
 *                                                           "history-count N"
 *   post ROOM TEXT      send a post                      -> "posted ROOM TEXT"
 *   expect USER TEXT    wait until a post from USER with TEXT is shown in a
 *                       chat                             -> "got ROOM AUTHOR TEXT"
 *   member ROOM USER    wait until USER is in ROOM's roster -> "member ROOM USER"
 *   not-member ROOM USER  wait until USER has left ROOM  -> "not-member ROOM USER"
 *   leave ROOM          close the chat (SIPE sends cmd:part) -> "left ROOM"
 *   wait-ms N           let the main loop run N ms        -> "waited N"
 * After the last step the account is signed off and "done" is printed.
 *
 * Exit status: 0 when every step succeeded, 1 on a failed step, a connection
 * error or the global timeout (the reason on stderr, prefixed "sipe-driver:
 * FAIL"), 77 when libpurple cannot load prpl-sipe, 2 on bad usage.
 *
 * How SIPE exposes persistent chat through libpurple (read from its source):
 * the room list is purple_roomlist_get_list(), which sends cmd:chansrch and
 * fails (returns NULL) until SIPE's group chat session is connected; each
 * room's first field is its ma-chan:// URI.  A chat is joined with
 * serv_join_chat() and the single component "uri"; SIPE creates the
 * conversation (serv_got_joined_chat, named after the room) when the join
 * reply arrives.  History (rpl:bccontext) and live posts (grpchat) both
 * arrive as serv_got_chat_in() and so through the write_chat UI op; SIPE does
 * not mark history, so "history" reports what arrived after the join until
 * the room has been quiet for a moment.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include <purple.h>

#define UI_ID "perch-interop"

/* How long "history" waits for the first history post, and how long the room
 * must then stay quiet before the history is considered complete. */
#define HISTORY_FIRST_MS 4000
#define HISTORY_QUIET_MS 800
/* Pause between room list attempts while SIPE's group chat is not ready. */
#define ROOMLIST_RETRY_MS 300
/* Time given to SIPE to send BYE / un-REGISTER when signing off. */
#define SIGNOFF_MS 500

typedef struct {
  char *room;              /* conversation name (the room's name) */
  char *who;               /* author as SIPE gave it, e.g. sip:bob@example.test */
  char *text;              /* plain text, HTML unescaped */
  PurpleMessageFlags flags;
  time_t mtime;            /* the post's ts as SIPE parsed it */
  gint64 arrived;          /* monotonic time it was shown */
  gboolean consumed;       /* matched by an "expect" step */
} ChatLine;

typedef enum {
  ROOMLIST_IDLE,
  ROOMLIST_WAITING,        /* asked, reply not complete yet */
  ROOMLIST_DONE,
} RoomlistState;

typedef struct {
  GMainLoop *loop;
  char *user_dir;
  PurpleAccount *account;
  gboolean debug;

  char **steps;
  guint n_steps;
  guint cur;               /* index of the step in progress */
  guint phase;             /* progress within the current step */
  gint64 phase_time;       /* monotonic µs when the phase began */
  gint64 wake_at;          /* do not look at the step before this */

  gboolean signed_on;
  gboolean finished;
  int exit_code;

  GPtrArray *lines;        /* ChatLine*, every chat line shown */
  gint64 last_line_at;

  RoomlistState roomlist_state;
  PurpleRoomlist *roomlist;
  GHashTable *room_uris;   /* room name -> ma-chan:// URI */
  GHashTable *join_times;  /* room name -> gint64* monotonic join time */
  char *last_room;         /* the room joined last, default for "history" */
  gint64 join_started;     /* when the pending join was sent */
  char *created_chat;      /* name of the first chat created since then */
} Driver;

static Driver drv;

static void driver_kick (void);

/* ---------- results and failure ---------- */

static void
result (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
result (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vfprintf (stdout, fmt, ap);
  va_end (ap);
  fputc ('\n', stdout);
  fflush (stdout);
}

static void
note (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
note (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "sipe-driver: %s\n", msg);
}

static void
finish (int code)
{
  if (drv.finished)
    return;
  drv.finished = TRUE;
  drv.exit_code = code;
  g_main_loop_quit (drv.loop);
}

static void
fail (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
fail (const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  if (drv.finished)
    return;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (drv.cur < drv.n_steps)
    fprintf (stderr, "sipe-driver: FAIL in step %u '%s': %s\n",
             drv.cur + 1, drv.steps[drv.cur], msg);
  else
    fprintf (stderr, "sipe-driver: FAIL: %s\n", msg);
  finish (1);
}

/* ---------- GLib-backed libpurple event loop ---------- */

typedef struct {
  PurpleInputFunction func;
  gpointer data;
} InputClosure;

static gboolean
input_dispatch (gint fd, GIOCondition condition, gpointer user_data)
{
  InputClosure *closure = user_data;
  PurpleInputCondition cond = 0;

  if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR))
    cond |= PURPLE_INPUT_READ;
  if (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR))
    cond |= PURPLE_INPUT_WRITE;
  closure->func (closure->data, fd, cond);
  return G_SOURCE_CONTINUE;
}

static guint
loop_input_add (int fd, PurpleInputCondition cond, PurpleInputFunction func,
                gpointer data)
{
  InputClosure *closure = g_new0 (InputClosure, 1);
  GIOCondition condition = G_IO_HUP | G_IO_ERR;

  closure->func = func;
  closure->data = data;
  if (cond & PURPLE_INPUT_READ)
    condition |= G_IO_IN;
  if (cond & PURPLE_INPUT_WRITE)
    condition |= G_IO_OUT;
  return g_unix_fd_add_full (G_PRIORITY_DEFAULT, fd, condition,
                             input_dispatch, closure, g_free);
}

static PurpleEventLoopUiOps loop_ops = {
  .timeout_add = g_timeout_add,
  .timeout_remove = g_source_remove,
  .input_add = loop_input_add,
  .input_remove = g_source_remove,
  .timeout_add_seconds = g_timeout_add_seconds,
};

/* ---------- conversations: where received posts arrive ---------- */

static void
record_line (PurpleConversation *conv, const char *who, const char *message,
             PurpleMessageFlags flags, time_t mtime)
{
  ChatLine *line;
  g_autofree char *unescaped = NULL;

  if (flags & PURPLE_MESSAGE_ERROR)
    {
      /* SIPE writes "This message was not delivered to chat room" and
       * server error notices this way. */
      g_autofree char *plain = purple_markup_strip_html (message);
      fail ("error shown in %s: %s", purple_conversation_get_name (conv),
            plain);
      return;
    }
  if (flags & PURPLE_MESSAGE_SYSTEM || who == NULL)
    {
      g_autofree char *plain = purple_markup_strip_html (message);
      note ("system message in %s: %s", purple_conversation_get_name (conv),
            plain);
      return;
    }

  unescaped = purple_unescape_html (message);
  line = g_new0 (ChatLine, 1);
  line->room = g_strdup (purple_conversation_get_name (conv));
  line->who = g_strdup (who);
  line->text = purple_markup_strip_html (unescaped);
  line->flags = flags;
  line->mtime = mtime;
  line->arrived = g_get_monotonic_time ();
  g_ptr_array_add (drv.lines, line);
  drv.last_line_at = line->arrived;
  note ("chat %s <%s> %s", line->room, line->who, line->text);
  driver_kick ();
}

static void
conv_write_chat (PurpleConversation *conv, const char *who,
                 const char *message, PurpleMessageFlags flags, time_t mtime)
{
  record_line (conv, who, message, flags, mtime);
}

static void
conv_write_conv (PurpleConversation *conv, const char *name,
                 const char *alias, const char *message,
                 PurpleMessageFlags flags, time_t mtime)
{
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT)
    {
      record_line (conv, name, message, flags, mtime);
    }
  else
    {
      g_autofree char *plain = purple_markup_strip_html (message);
      note ("im from %s: %s", name ? name : "-", plain);
    }
}

static void
conv_create (PurpleConversation *conv)
{
  note ("conversation created: %s", purple_conversation_get_name (conv));
  if (purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_CHAT
      && drv.created_chat == NULL)
    drv.created_chat = g_strdup (purple_conversation_get_name (conv));
  driver_kick ();
}

static void
conv_add_users (PurpleConversation *conv, GList *cbuddies,
                gboolean new_arrivals)
{
  for (GList *l = cbuddies; l; l = l->next)
    {
      PurpleConvChatBuddy *cb = l->data;
      note ("roster %s: +%s%s", purple_conversation_get_name (conv),
            cb->name, new_arrivals ? " (arrived)" : "");
    }
}

static void
conv_remove_users (PurpleConversation *conv, GList *users)
{
  for (GList *l = users; l; l = l->next)
    note ("roster %s: -%s", purple_conversation_get_name (conv),
          (const char *) l->data);
}

static PurpleConversationUiOps conv_ops = {
  .create_conversation = conv_create,
  .write_chat = conv_write_chat,
  .write_conv = conv_write_conv,
  .chat_add_users = conv_add_users,
  .chat_remove_users = conv_remove_users,
};

/* ---------- room list ---------- */

static void
roomlist_in_progress (PurpleRoomlist *list, gboolean flag)
{
  if (!flag && list == drv.roomlist)
    {
      drv.roomlist_state = ROOMLIST_DONE;
      driver_kick ();
    }
}

static void
roomlist_add_room (PurpleRoomlist *list, PurpleRoomlistRoom *room)
{
  /* SIPE's first field is the room's ma-chan:// URI. */
  GList *fields = purple_roomlist_room_get_fields (room);
  const char *uri = fields ? fields->data : NULL;

  if (uri)
    g_hash_table_replace (drv.room_uris,
                          g_strdup (purple_roomlist_room_get_name (room)),
                          g_strdup (uri));
}

static PurpleRoomlistUiOps roomlist_ops = {
  .add_room = roomlist_add_room,
  .in_progress = roomlist_in_progress,
};

/* Starts or continues fetching the room list; TRUE once it is complete. */
static gboolean
roomlist_fetch (void)
{
  PurpleConnection *gc = purple_account_get_connection (drv.account);
  PurpleRoomlist *list;

  switch (drv.roomlist_state)
    {
    case ROOMLIST_DONE:
      return TRUE;
    case ROOMLIST_WAITING:
      return FALSE;
    case ROOMLIST_IDLE:
      break;
    }

  if (gc == NULL || !drv.signed_on)
    return FALSE;

  /* SIPE refuses (NULL) until its group chat session is connected. */
  list = purple_roomlist_get_list (gc);
  if (list == NULL)
    {
      drv.wake_at = g_get_monotonic_time () + ROOMLIST_RETRY_MS * 1000;
      return FALSE;
    }
  /* SIPE drops its own reference when the reply is complete. */
  purple_roomlist_ref (list);
  g_clear_pointer (&drv.roomlist, purple_roomlist_unref);
  drv.roomlist = list;
  g_hash_table_remove_all (drv.room_uris);
  if (!purple_roomlist_get_in_progress (list))
    {
      drv.roomlist_state = ROOMLIST_DONE;
      return TRUE;
    }
  drv.roomlist_state = ROOMLIST_WAITING;
  return FALSE;
}

/* ---------- connection ---------- */

static void
conn_connected (PurpleConnection *gc)
{
  drv.signed_on = TRUE;
  note ("signed on as %s",
        purple_account_get_username (purple_connection_get_account (gc)));
  driver_kick ();
}

static void
conn_progress (PurpleConnection *gc, const char *text, size_t step,
               size_t step_count)
{
  note ("connecting: %s (%zu/%zu)", text, step, step_count);
}

static void
conn_disconnect_reason (PurpleConnection *gc, PurpleConnectionError reason,
                        const char *text)
{
  if (drv.finished)
    return;
  fail ("disconnected by SIPE (reason %d): %s", (int) reason,
        text ? text : "no text");
}

static PurpleConnectionUiOps conn_ops = {
  .connect_progress = conn_progress,
  .connected = conn_connected,
  .report_disconnect_reason = conn_disconnect_reason,
};

/* ---------- notifications (SIPE's error dialogs) ---------- */

static void *
notify_message (PurpleNotifyMsgType type, const char *title,
                const char *primary, const char *secondary)
{
  note ("notify%s: %s: %s %s",
        type == PURPLE_NOTIFY_MSG_ERROR ? " (error)" : "",
        title ? title : "", primary ? primary : "",
        secondary ? secondary : "");
  if (type == PURPLE_NOTIFY_MSG_ERROR && drv.signed_on)
    fail ("SIPE reported an error: %s: %s", primary ? primary : "",
          secondary ? secondary : "");
  return NULL;
}

static void *
notify_formatted (const char *title, const char *primary,
                  const char *secondary, const char *text)
{
  note ("notify: %s: %s", title ? title : "", primary ? primary : "");
  return NULL;
}

static PurpleNotifyUiOps notify_ops = {
  .notify_message = notify_message,
  .notify_formatted = notify_formatted,
};

/* ---------- core ---------- */

static void
core_ui_init (void)
{
  purple_conversations_set_ui_ops (&conv_ops);
  purple_connections_set_ui_ops (&conn_ops);
  purple_roomlist_set_ui_ops (&roomlist_ops);
  purple_notify_set_ui_ops (&notify_ops);
}

static GHashTable *
core_ui_info (void)
{
  static GHashTable *info;

  if (info == NULL)
    {
      info = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (info, (char *) "name", (char *) "Perch interop driver");
      g_hash_table_insert (info, (char *) "version", (char *) "1");
      g_hash_table_insert (info, (char *) "client_type", (char *) "bot");
    }
  return info;
}

static PurpleCoreUiOps core_ops = {
  .ui_init = core_ui_init,
  .get_ui_info = core_ui_info,
};

/* ---------- the script ---------- */

/* Splits "verb room rest of text" in place-free copies. */
static void
split_step (const char *step, char **verb, char **arg, char **rest)
{
  g_auto (GStrv) parts = g_strsplit (step, " ", 3);

  *verb = g_strdup (parts[0] ? parts[0] : "");
  *arg = g_strdup (parts[0] && parts[1] ? parts[1] : "");
  *rest = g_strdup (parts[0] && parts[1] && parts[2] ? parts[2] : "");
}

static PurpleConversation *
find_chat (const char *room)
{
  PurpleConversation *conv =
    purple_find_conversation_with_account (PURPLE_CONV_TYPE_CHAT, room,
                                           drv.account);

  if (conv && purple_conv_chat_has_left (PURPLE_CONV_CHAT (conv)))
    return NULL;
  return conv;
}

/* USER matches "sip:bob@example.test" as "bob", "bob@example.test" or the
 * whole URI. */
static gboolean
author_matches (const char *who, const char *user)
{
  const char *bare = g_str_has_prefix (who, "sip:") ? who + 4 : who;
  const char *at = strchr (bare, '@');

  if (g_strcmp0 (who, user) == 0 || g_strcmp0 (bare, user) == 0)
    return TRUE;
  return at && strlen (user) == (size_t) (at - bare)
         && strncmp (bare, user, at - bare) == 0;
}

static void
next_step (void)
{
  drv.cur++;
  drv.phase = 0;
  drv.phase_time = g_get_monotonic_time ();
  drv.wake_at = 0;
}

static void
set_phase (guint phase)
{
  drv.phase = phase;
  drv.phase_time = g_get_monotonic_time ();
}

static gboolean
step_rooms (void)
{
  GList *rooms;
  guint n = 0;

  if (drv.phase == 0)
    {
      drv.roomlist_state = ROOMLIST_IDLE;
      set_phase (1);
    }
  if (!roomlist_fetch ())
    return FALSE;

  rooms = drv.roomlist ? drv.roomlist->rooms : NULL;
  for (GList *l = rooms; l; l = l->next, n++)
    {
      const char *name = purple_roomlist_room_get_name (l->data);
      result ("room %s", name);
      result ("room-uri %s %s", name,
              (const char *) g_hash_table_lookup (drv.room_uris, name));
    }
  result ("rooms %u", n);
  return TRUE;
}

/* "join NAME", "join NAME URI" or "join URI".  Without a URI the name is
 * looked up in the room list; without a name the chat SIPE creates next
 * is taken as the joined room. */
static gboolean
step_join (const char *arg, const char *rest)
{
  PurpleConnection *gc = purple_account_get_connection (drv.account);
  gboolean by_uri = g_str_has_prefix (arg, "ma-chan://");
  const char *name = by_uri ? NULL : arg;
  const char *uri = by_uri ? arg : g_str_has_prefix (rest, "ma-chan://") ? rest : NULL;

  if (*arg == '\0')
    {
      fail ("usage: join NAME [URI] | join URI");
      return FALSE;
    }

  if (drv.phase == 0)
    {
      GHashTable *components;

      if (!drv.signed_on || gc == NULL)
        return FALSE;
      if (uri == NULL)
        {
          if (!roomlist_fetch ())
            return FALSE;
          uri = g_hash_table_lookup (drv.room_uris, name);
          if (uri == NULL)
            {
              fail ("room '%s' is not in the room list (%u rooms)", name,
                    g_hash_table_size (drv.room_uris));
              return FALSE;
            }
        }
      note ("joining %s (%s)", name ? name : "?", uri);
      components = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          g_free);
      g_hash_table_insert (components, g_strdup ("uri"), g_strdup (uri));
      drv.join_started = g_get_monotonic_time ();
      g_clear_pointer (&drv.created_chat, g_free);
      serv_join_chat (gc, components);
      g_hash_table_unref (components);
      set_phase (1);
    }

  /* The conversation carries the name from the join reply's chanib. */
  if (name == NULL)
    name = drv.created_chat;
  if (name == NULL || find_chat (name) == NULL)
    return FALSE;
  g_hash_table_replace (drv.join_times, g_strdup (name),
                        g_memdup2 (&drv.join_started, sizeof (gint64)));
  g_free (drv.last_room);
  drv.last_room = g_strdup (name);
  result ("joined %s", name);
  return TRUE;
}

static gboolean
step_history (const char *room_arg)
{
  const char *room = *room_arg ? room_arg : drv.last_room;
  gint64 now = g_get_monotonic_time ();
  gint64 *joined, last = 0;
  guint n = 0;

  if (room == NULL)
    {
      fail ("history: no room joined");
      return FALSE;
    }
  joined = g_hash_table_lookup (drv.join_times, room);
  if (joined == NULL || find_chat (room) == NULL)
    {
      fail ("history: room '%s' is not joined", room);
      return FALSE;
    }

  for (guint i = 0; i < drv.lines->len; i++)
    {
      ChatLine *line = g_ptr_array_index (drv.lines, i);
      if (g_strcmp0 (line->room, room) == 0 && line->arrived >= *joined)
        last = MAX (last, line->arrived);
    }
  if (last == 0 && now - *joined < HISTORY_FIRST_MS * 1000)
    return FALSE;
  if (last != 0 && now - last < HISTORY_QUIET_MS * 1000)
    return FALSE;

  for (guint i = 0; i < drv.lines->len; i++)
    {
      ChatLine *line = g_ptr_array_index (drv.lines, i);
      if (g_strcmp0 (line->room, room) != 0 || line->arrived < *joined)
        continue;
      result ("history %s %s %s", room, line->who, line->text);
      n++;
    }
  result ("history-count %u", n);
  return TRUE;
}

static gboolean
step_post (const char *room, const char *text)
{
  PurpleConversation *conv = find_chat (room);
  g_autofree char *html = NULL;

  if (conv == NULL)
    {
      fail ("post: room '%s' is not joined", room);
      return FALSE;
    }
  /* libpurple hands the prpl HTML: escape the plain text. */
  html = g_markup_escape_text (text, -1);
  purple_conv_chat_send (PURPLE_CONV_CHAT (conv), html);
  result ("posted %s %s", room, text);
  return TRUE;
}

static gboolean
step_expect (const char *user, const char *text)
{
  if (*user == '\0')
    {
      fail ("usage: expect USER TEXT");
      return FALSE;
    }
  for (guint i = 0; i < drv.lines->len; i++)
    {
      ChatLine *line = g_ptr_array_index (drv.lines, i);
      if (line->consumed || !author_matches (line->who, user)
          || g_strcmp0 (line->text, text) != 0)
        continue;
      line->consumed = TRUE;
      result ("got %s %s %s", line->room, line->who, line->text);
      return TRUE;
    }
  return FALSE;
}

/* Waits until USER is (or is no longer) in ROOM's roster: the join reply's
 * uib/aib, ntc:join and ntc:part as SIPE applied them. */
static gboolean
step_member (const char *room, const char *user, gboolean wanted)
{
  PurpleConversation *conv = find_chat (room);
  gboolean present = FALSE;

  if (conv == NULL)
    {
      fail ("room '%s' is not joined", room);
      return FALSE;
    }
  if (*user == '\0')
    {
      fail ("usage: %s ROOM USER", wanted ? "member" : "not-member");
      return FALSE;
    }
  for (GList *l = purple_conv_chat_get_users (PURPLE_CONV_CHAT (conv)); l;
       l = l->next)
    {
      PurpleConvChatBuddy *cb = l->data;
      if (author_matches (cb->name, user))
        present = TRUE;
    }
  if (present != wanted)
    return FALSE;
  result ("%s %s %s", wanted ? "member" : "not-member", room, user);
  return TRUE;
}

static gboolean
step_leave (const char *room)
{
  PurpleConversation *conv = find_chat (room);

  if (conv == NULL)
    {
      fail ("leave: room '%s' is not joined", room);
      return FALSE;
    }
  /* Destroying a chat conversation makes libpurple call chat_leave. */
  purple_conversation_destroy (conv);
  result ("left %s", room);
  return TRUE;
}

static gboolean
step_wait_ms (const char *arg)
{
  gint64 ms = g_ascii_strtoll (arg, NULL, 10);

  if (drv.phase == 0)
    {
      drv.wake_at = g_get_monotonic_time () + ms * 1000;
      set_phase (1);
      return FALSE;
    }
  result ("waited %" G_GINT64_FORMAT, ms);
  return TRUE;
}

static gboolean
signoff_done (gpointer data)
{
  result ("done");
  finish (0);
  return G_SOURCE_REMOVE;
}

/* Runs steps until one has to wait; called from a timer and on events. */
static void
driver_run (void)
{
  while (!drv.finished && drv.cur < drv.n_steps)
    {
      g_autofree char *verb = NULL, *arg = NULL, *rest = NULL;
      gboolean done;

      if (drv.wake_at && g_get_monotonic_time () < drv.wake_at)
        return;
      drv.wake_at = 0;

      split_step (drv.steps[drv.cur], &verb, &arg, &rest);

      if (g_str_equal (verb, "signed-in"))
        {
          done = drv.signed_on;
          if (done)
            result ("signed-in");
        }
      else if (!drv.signed_on)
        done = FALSE;   /* every other step needs a connection */
      else if (g_str_equal (verb, "rooms"))
        done = step_rooms ();
      else if (g_str_equal (verb, "join"))
        done = step_join (arg, rest);
      else if (g_str_equal (verb, "history"))
        done = step_history (arg);
      else if (g_str_equal (verb, "post"))
        done = step_post (arg, rest);
      else if (g_str_equal (verb, "expect"))
        {
          /* "expect USER TEXT": TEXT is everything after USER. */
          done = step_expect (arg, rest);
        }
      else if (g_str_equal (verb, "member"))
        done = step_member (arg, rest, TRUE);
      else if (g_str_equal (verb, "not-member"))
        done = step_member (arg, rest, FALSE);
      else if (g_str_equal (verb, "leave"))
        done = step_leave (arg);
      else if (g_str_equal (verb, "wait-ms"))
        done = step_wait_ms (arg);
      else
        {
          fail ("unknown step verb '%s'", verb);
          return;
        }

      if (!done || drv.finished)
        return;
      next_step ();
    }

  if (!drv.finished && drv.cur == drv.n_steps)
    {
      drv.cur++;   /* sign off only once */
      note ("script complete, signing off");
      purple_account_set_enabled (drv.account, UI_ID, FALSE);
      g_timeout_add (SIGNOFF_MS, signoff_done, NULL);
    }
}

static gboolean
driver_idle (gpointer data)
{
  static gboolean queued;

  if (data == NULL)
    {
      queued = FALSE;
      driver_run ();
      return G_SOURCE_REMOVE;
    }
  if (!queued)
    {
      queued = TRUE;
      g_idle_add (driver_idle, NULL);
    }
  return G_SOURCE_REMOVE;
}

/* Something happened: look at the current step soon (not re-entrantly). */
static void
driver_kick (void)
{
  driver_idle (GINT_TO_POINTER (1));
}

static gboolean
driver_tick (gpointer data)
{
  driver_run ();
  return G_SOURCE_CONTINUE;
}

static gboolean
global_timeout (gpointer data)
{
  fail ("timed out after %u s (SIPE %s signed in)", GPOINTER_TO_UINT (data),
        drv.signed_on ? "was" : "was not");
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  fail ("interrupted by signal %d", GPOINTER_TO_INT (data));
  return G_SOURCE_REMOVE;
}

/* ---------- setup ---------- */

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir)
    {
      const char *name;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

/* libpurple reads prefs.xml at start-up: switch off UPnP / NAT-PMP port
 * mapping so that nothing leaves loopback. */
static void
write_prefs (const char *user_dir)
{
  static const char prefs[] =
    "<?xml version='1.0' encoding='UTF-8' ?>\n"
    "<pref version='1' name='/'>\n"
    " <pref name='purple'>\n"
    "  <pref name='network'>\n"
    "   <pref name='map_ports' type='bool' value='0'/>\n"
    "   <pref name='auto_ip' type='bool' value='0'/>\n"
    "   <pref name='stun_server' type='string' value=''/>\n"
    "   <pref name='turn_server' type='string' value=''/>\n"
    "  </pref>\n"
    " </pref>\n"
    "</pref>\n";
  g_autofree char *path = g_build_filename (user_dir, "prefs.xml", NULL);

  g_file_set_contents (path, prefs, -1, NULL);
}

static void
print_to_stderr (const char *text)
{
  fputs (text, stderr);
}

int
main (int argc, char **argv)
{
  g_autofree char *server = NULL, *user = NULL, *password = NULL;
  g_autofree char *domain = NULL, *transport = NULL, *auth = NULL;
  g_autofree char *groupchat_user = NULL, *plugin_dir = NULL;
  g_autofree char *username = NULL;
  int timeout_s = 60;
  g_auto (GStrv) script = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server,
      "SIP server as HOST:PORT (required)", "HOST:PORT" },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user,
      "sign-in name, or address (default domain appended)", "NAME" },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &password,
      "password (default: NAME-demo)", "PASSWORD" },
    { "domain", 'd', 0, G_OPTION_ARG_STRING, &domain,
      "SIP domain (default example.test)", "DOMAIN" },
    { "transport", 0, 0, G_OPTION_ARG_STRING, &transport,
      "SIPE connection type: tcp (default), tls or auto", "TYPE" },
    { "authentication", 0, 0, G_OPTION_ARG_STRING, &auth,
      "SIPE authentication option (default ntlm; Digest is used whenever "
      "the server answers 407)", "SCHEME" },
    { "groupchat-user", 0, 0, G_OPTION_ARG_STRING, &groupchat_user,
      "SIPE 'Group Chat Proxy' setting (default: from provisioning)",
      "URI" },
    { "plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
      "extra directory to search for libsipe.so", "DIR" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_s,
      "give up after this many seconds (default 60)", "S" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &script,
      NULL, "STEP..." },
    { NULL }
  };
  PurplePlugin *prpl;
  const char *debug_env = g_getenv ("PERCH_INTEROP_DEBUG");

  context = g_option_context_new ("STEP... - drive pidgin-sipe against a "
                                  "Perch server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "sipe-driver: %s\n", error->message);
      return 2;
    }
  if (server == NULL || user == NULL)
    {
      fprintf (stderr, "sipe-driver: --server and --user are required\n");
      return 2;
    }
  if (domain == NULL)
    domain = g_strdup ("example.test");
  if (strchr (user, '@'))
    username = g_strdup (user);
  else
    username = g_strdup_printf ("%s@%s", user, domain);
  if (password == NULL)
    {
      g_autofree char *local = g_strndup (username,
                                          strcspn (username, "@"));
      password = g_strdup_printf ("%s-demo", local);
    }

  drv.steps = script;
  drv.n_steps = script ? g_strv_length (script) : 0;
  drv.debug = debug_env != NULL && *debug_env != '\0'
              && g_strcmp0 (debug_env, "0") != 0;
  drv.lines = g_ptr_array_new ();
  drv.room_uris = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         g_free);
  drv.join_times = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          g_free);
  drv.loop = g_main_loop_new (NULL, FALSE);
  /* stdout carries results only: g_print() (libpurple's debug log) goes to
   * stderr */
  g_set_print_handler (print_to_stderr);

  drv.user_dir = g_dir_make_tmp ("perch-sipe-XXXXXX", &error);
  if (drv.user_dir == NULL)
    {
      fprintf (stderr, "sipe-driver: %s\n", error->message);
      return 1;
    }
  write_prefs (drv.user_dir);

  /* libpurple set-up, as a headless UI */
  purple_util_set_user_dir (drv.user_dir);
  /* libpurple prints its debug log with g_print(), which now goes to
   * stderr.  SIPE logs SIP message contents only in "unsafe" mode. */
  purple_debug_set_enabled (drv.debug);
  purple_debug_set_unsafe (drv.debug);
  purple_core_set_ui_ops (&core_ops);
  purple_eventloop_set_ui_ops (&loop_ops);
  if (plugin_dir)
    purple_plugins_add_search_path (plugin_dir);
  if (!purple_core_init (UI_ID))
    {
      fprintf (stderr, "sipe-driver: libpurple failed to initialise\n");
      remove_tree (drv.user_dir);
      return 1;
    }
  purple_set_blist (purple_blist_new ());

  prpl = purple_find_prpl ("prpl-sipe");
  if (prpl == NULL)
    {
      fprintf (stderr, "sipe-driver: SKIP: libpurple has no prpl-sipe "
               "(is pidgin-sipe installed?)\n");
      purple_core_quit ();
      remove_tree (drv.user_dir);
      return 77;
    }

  /* The account: the options are the keys of SIPE's account options
   * (sipe_purple_account_options in purple-plugin-common.c). */
  drv.account = purple_account_new (username, "prpl-sipe");
  purple_account_set_password (drv.account, password);
  purple_account_set_string (drv.account, "server", server);
  purple_account_set_string (drv.account, "transport",
                             transport ? transport : "tcp");
  purple_account_set_string (drv.account, "authentication",
                             auth ? auth : "ntlm");
  purple_account_set_bool (drv.account, "sso", FALSE);
  /* no calendar publishing, hence no EWS autodiscovery off loopback */
  purple_account_set_bool (drv.account, "dont-publish", TRUE);
  if (groupchat_user)
    purple_account_set_string (drv.account, "groupchat_user", groupchat_user);
  purple_accounts_add (drv.account);

  note ("signing in %s at %s (%s)", username, server,
        transport ? transport : "tcp");
  g_timeout_add_seconds (timeout_s, global_timeout,
                         GUINT_TO_POINTER ((guint) timeout_s));
  g_timeout_add (50, driver_tick, NULL);
  g_unix_signal_add (SIGINT, on_signal, GINT_TO_POINTER (SIGINT));
  g_unix_signal_add (SIGTERM, on_signal, GINT_TO_POINTER (SIGTERM));
  purple_account_set_enabled (drv.account, UI_ID, TRUE);

  g_main_loop_run (drv.loop);

  if (drv.exit_code != 0)
    {
      /* A failure: say which steps did not run. */
      for (guint i = drv.cur + 1; i < drv.n_steps; i++)
        note ("not run: step %u '%s'", i + 1, drv.steps[i]);
    }

  purple_account_set_enabled (drv.account, UI_ID, FALSE);
  g_clear_pointer (&drv.roomlist, purple_roomlist_unref);
  purple_core_quit ();
  remove_tree (drv.user_dir);
  g_free (drv.user_dir);
  g_free (drv.last_room);
  g_free (drv.created_chat);
  g_hash_table_unref (drv.room_uris);
  g_hash_table_unref (drv.join_times);
  for (guint i = 0; i < drv.lines->len; i++)
    {
      ChatLine *line = g_ptr_array_index (drv.lines, i);
      g_free (line->room);
      g_free (line->who);
      g_free (line->text);
      g_free (line);
    }
  g_ptr_array_unref (drv.lines);
  g_main_loop_unref (drv.loop);
  return drv.exit_code;
}
