/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-authz.c: the whole authorization matrix, over HTTP and over XCCOS,
 * against the real perchd on loopback (admin-model.md, "Who may do what").
 *
 * One perchd for the file, set up over HTTP by the administrator: users
 * erin, frank and gina; a category "Matrix" (allowed: the whole domain,
 * denied: gina, creators: erin) and a category "Elsewhere" (the whole domain,
 * creators: erin); in Matrix, one room per privacy x type with members
 * [frank], managers [alice] and presenters [carol], one room per privacy with
 * an empty member list (it inherits the category's membership), and one
 * disabled room. Seven roles, each signed in once over SIP and once over
 * HTTP: administrator (admin), category creator (erin, in no room's lists),
 * room manager (alice), presenter (carol), member (frank), an outsider the
 * category allows (bob), a user the category denies (gina).
 *
 * The table `cases` says, for every role x room, what each path must answer:
 * find (HTTP GET /rooms/{id}, HTTP GET /rooms?text=NAME, XCCOS chansrch),
 * read (HTTP GET /rooms/{id}/messages, XCCOS bccontext), join and post
 * (XCCOS), manage (HTTP PATCH of the description, a move to Elsewhere,
 * DELETE). Then:
 *   - the answers the two paths actually gave are compared with each other
 *     (paths-agree), apart from the differences perch-admin.h documents;
 *   - every 404 reads exactly as a made-up room's 404 on the same path, and
 *     secret rooms are probed on every route and command (secret-like-missing);
 *   - who may create rooms in a category, and moving by a creator;
 *   - changes made over HTTP (a member removed, a user denied by the
 *     category, a room disabled) change both paths' decisions at once
 *     (same-module).
 * A mismatch is reported with role, room, path, expected and actual, and the
 * test goes on, so one run lists every disagreement. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <libxml/tree.h>

#include "perch-common.h"
#include "perch-xccos.h"
#include "perch-test-http.h"
#include "perch-test-util.h"

#define HTTP_TIMEOUT_MS  20000
#define WAIT_TIMEOUT_MS  20000
#define DOMAIN           "example.test"

/* ---- roles and rooms --------------------------------------------------------- */

typedef enum { ADMIN, CREATOR, MANAGER, PRESENTER, MEMBER, OUTSIDER, DENIED, N_ROLES } Role;

static const char *const role_user[N_ROLES] = {
  [ADMIN] = "admin", [CREATOR] = "erin", [MANAGER] = "alice", [PRESENTER] = "carol",
  [MEMBER] = "frank", [OUTSIDER] = "bob", [DENIED] = "gina",
};

static const char *const role_label[N_ROLES] = {
  [ADMIN] = "administrator", [CREATOR] = "category creator", [MANAGER] = "room manager",
  [PRESENTER] = "presenter", [MEMBER] = "member", [OUTSIDER] = "allowed outsider",
  [DENIED] = "denied by the category",
};

typedef enum { ON, OA, CN, CA, SN, SA, OI, CI, SI, DIS, N_ROOMS } Room;

typedef struct {
  const char *name;       /* no name is a part of another, so ?text=NAME finds one room */
  const char *privacy;
  const char *type;
  gboolean    inherit;    /* empty member list: the category's membership */
  gboolean    disabled;
} RoomSpec;

/* Every room has managers [alice] and presenters [carol]; members [frank]
 * unless it inherits. */
static const RoomSpec room_spec[N_ROOMS] = {
  [ON]  = { "mx-open-normal",       "open",   "normal",     FALSE, FALSE },
  [OA]  = { "mx-open-auditorium",   "open",   "auditorium", FALSE, FALSE },
  [CN]  = { "mx-closed-normal",     "closed", "normal",     FALSE, FALSE },
  [CA]  = { "mx-closed-auditorium", "closed", "auditorium", FALSE, FALSE },
  [SN]  = { "mx-secret-normal",     "secret", "normal",     FALSE, FALSE },
  [SA]  = { "mx-secret-auditorium", "secret", "auditorium", FALSE, FALSE },
  [OI]  = { "mx-open-inherit",      "open",   "normal",     TRUE,  FALSE },
  [CI]  = { "mx-closed-inherit",    "closed", "normal",     TRUE,  FALSE },
  [SI]  = { "mx-secret-inherit",    "secret", "normal",     TRUE,  FALSE },
  [DIS] = { "mx-disabled",          "open",   "normal",     FALSE, TRUE  },
};

/* ---- the matrix ----------------------------------------------------------------- */

typedef struct {
  Role     role;
  Room     room;
  int      get;        /* HTTP GET /rooms/{id}: 200 or 404 */
  gboolean listed;     /* HTTP GET /rooms?text=NAME lists it */
  gboolean found;      /* XCCOS cmd:chansrch NAME lists it */
  int      read;       /* HTTP GET /rooms/{id}/messages */
  int      bccontext;  /* XCCOS cmd:bccontext result code */
  int      join;       /* XCCOS cmd:join result code */
  int      post;       /* SIP status of a post sent after the join */
  int      patch;      /* HTTP PATCH /rooms/{id} {"description"} */
  int      move;       /* HTTP PATCH /rooms/{id} {"category": "Elsewhere"} */
  int      del;        /* HTTP DELETE /rooms/{id}; 0: not tried (the administrator's is in create) */
} Case;

#define Y TRUE
#define N FALSE

/* admin-model.md, "Who may do what", row by row:
 *  - the category's allowed/denied lists bound everyone but administrators:
 *    gina, denied, gets what a missing room gets (404) everywhere;
 *  - open: every allowed user finds, joins and reads (and, in a normal room,
 *    posts); closed: every allowed user finds it, only members join and read
 *    (403 to others, who may know it exists); secret: only members find it,
 *    to everyone else it is a missing room (404 on every path);
 *  - an empty member list inherits the category's: every allowed user is a
 *    member of the *-inherit rooms;
 *  - members are those listed as members, managers or presenters
 *    (perch-policy.h; admin-model.md does not say, but presenters must join
 *    an auditorium to present in it);
 *  - auditorium: presenters and managers post, members read (403 on a post);
 *  - a creator may create rooms in the category; that gives erin nothing in
 *    rooms she did not create: she is an outsider there, as bob is;
 *  - managers change everything (200) but may not delete (403) or move the
 *    room to a category where they are not creators (422); everyone else's
 *    PATCH is 403 where they may know the room, 404 where it is hidden;
 *  - the administrator is bound by no list: everything is 200;
 *  - disabled: sessions parted, gone from search, content kept. Over XCCOS
 *    nobody finds, joins, reads or posts (404; perch-policy.h: disabled rooms
 *    are NOT_FOUND to can_find, administrators included). Over HTTP the
 *    administrator sees every room and reads everything, and managers also
 *    see the disabled rooms they manage, in GET and in the list
 *    (perch-admin.h, room_list/room_get), and may change them (re-enable);
 *    a manager's reading is refused while the room is disabled: 403, since
 *    HTTP shows the manager the room (perch-admin.c, perch_admin_history). */
static const Case cases[] = {
  /* role       room  get  list chan read bcc  join post  patch move del */
  /* administrator: bound by no list; XCCOS still hides the disabled room */
  { ADMIN,     ON,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     OA,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     CN,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     CA,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     SN,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     SA,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     OI,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     CI,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     SI,  200, Y, Y,  200, 200, 200, 200,  200, 200,   0 },
  { ADMIN,     DIS, 200, Y, N,  200, 404, 404, 404,  200, 200,   0 },
  /* category creator, in no room's lists: an outsider, like bob */
  { CREATOR,   ON,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { CREATOR,   OA,  200, Y, Y,  200, 200, 200, 403,  403, 403, 403 },
  { CREATOR,   CN,  200, Y, Y,  403, 403, 403, 403,  403, 403, 403 },
  { CREATOR,   CA,  200, Y, Y,  403, 403, 403, 403,  403, 403, 403 },
  { CREATOR,   SN,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { CREATOR,   SA,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { CREATOR,   OI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { CREATOR,   CI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { CREATOR,   SI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { CREATOR,   DIS, 404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  /* room manager: a member everywhere, posts in auditoriums, may not move or delete */
  { MANAGER,   ON,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   OA,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   CN,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   CA,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   SN,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   SA,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   OI,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   CI,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   SI,  200, Y, Y,  200, 200, 200, 200,  200, 422, 403 },
  { MANAGER,   DIS, 200, Y, N,  403, 404, 404, 404,  200, 422, 403 },
  /* presenter: a member everywhere, posts in auditoriums, manages nothing */
  { PRESENTER, ON,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, OA,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, CN,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, CA,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, SN,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, SA,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, OI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, CI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, SI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { PRESENTER, DIS, 404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  /* member: joins and reads everywhere, does not post in auditoriums */
  { MEMBER,    ON,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { MEMBER,    OA,  200, Y, Y,  200, 200, 200, 403,  403, 403, 403 },
  { MEMBER,    CN,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { MEMBER,    CA,  200, Y, Y,  200, 200, 200, 403,  403, 403, 403 },
  { MEMBER,    SN,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { MEMBER,    SA,  200, Y, Y,  200, 200, 200, 403,  403, 403, 403 },
  { MEMBER,    OI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { MEMBER,    CI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { MEMBER,    SI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { MEMBER,    DIS, 404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  /* allowed outsider: open rooms yes, closed ones found but shut, secret ones missing */
  { OUTSIDER,  ON,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { OUTSIDER,  OA,  200, Y, Y,  200, 200, 200, 403,  403, 403, 403 },
  { OUTSIDER,  CN,  200, Y, Y,  403, 403, 403, 403,  403, 403, 403 },
  { OUTSIDER,  CA,  200, Y, Y,  403, 403, 403, 403,  403, 403, 403 },
  { OUTSIDER,  SN,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { OUTSIDER,  SA,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { OUTSIDER,  OI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { OUTSIDER,  CI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { OUTSIDER,  SI,  200, Y, Y,  200, 200, 200, 200,  403, 403, 403 },
  { OUTSIDER,  DIS, 404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  /* denied by the category: no room of it exists for her */
  { DENIED,    ON,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    OA,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    CN,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    CA,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    SN,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    SA,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    OI,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    CI,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    SI,  404, N, N,  404, 404, 404, 404,  404, 404, 404 },
  { DENIED,    DIS, 404, N, N,  404, 404, 404, 404,  404, 404, 404 },
};

/* Creating a room in Matrix (POST /rooms): administrators and the
 * category's creators; a user the category denies does not see it (404,
 * perch-admin.h: categories are visible to those they allow). */
static const struct { Role role; int status; } create_cases[] = {
  { ADMIN, 201 }, { CREATOR, 201 }, { MANAGER, 403 }, { PRESENTER, 403 },
  { MEMBER, 403 }, { OUTSIDER, 403 }, { DENIED, 404 },
};

/* ---- the world: one server, every role signed in once on each path -------------- */

/* What each path actually answered, for paths-agree; 0: not asked. */
typedef struct {
  int get, listed, found, read, bccontext, join, post, patch, move, del;
} Actual;

typedef struct {
  PerchTestServer *server;
  SoupSession     *session;
  char            *base;                  /* "http://127.0.0.1:PORT" */
  char            *auth[N_ROLES];         /* "Bearer ..." */
  PerchClient     *client[N_ROLES];
  guint            parts[N_ROLES];        /* ntc:part notices naming the client's own user */
  char            *id[N_ROOMS];
  char            *uri[N_ROOMS];
  char            *fake_id, *fake_uri;    /* a room that does not exist */
  Actual           actual[N_ROLES][N_ROOMS];
  gboolean         posted[N_ROLES][N_ROOMS];
  guint            mismatches;
} World;

static World *W;

static void
mismatch (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
mismatch (const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *text = g_strdup_vprintf (format, ap);
  va_end (ap);
  W->mismatches++;
  /* every mismatch in the log; the test's own message keeps the last */
  g_test_message ("MISMATCH %s", text);
  g_test_fail_printf ("%s", text);
}

/* ---- HTTP ------------------------------------------------------------------------- */

/* The shared reply, under this file's short name. */
typedef PerchTestHttpReply Reply;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, perch_test_http_reply_free)

static Reply *
http (const char *method, const char *path, const char *auth, const char *body)
{
  return perch_test_http (W->session, W->base, method, path, auth, body, body ? strlen (body) : 0,
                          "application/json", PERCH_TEST_HTTP_DEFAULT, HTTP_TIMEOUT_MS);
}

/* An HTTP call in the set-up: anything but STATUS ends the test. */
static Reply *
http_ok (const char *method, const char *path, const char *auth, const char *body, guint status)
{
  Reply *r = http (method, path, auth, body);
  if (r->status != status)
    g_error ("%s %s: expected HTTP %u, got %u: %s", method, path, status, r->status, r->text);
  return r;
}

static gboolean
strings_are (JsonObject *obj, const char *member, const char *const *want)
{
  JsonArray *array = json_object_get_array_member (obj, member);
  guint n = 0;
  for (; want[n]; n++)
    if (n >= json_array_get_length (array) ||
        g_strcmp0 (json_array_get_string_element (array, n), want[n]) != 0)
      return FALSE;
  return json_array_get_length (array) == n;
}

static char *
login (const char *name)
{
  g_autofree char *body = g_strdup_printf ("{\"user\": \"%s@" DOMAIN "\", \"password\": \"%s-demo\"}", name, name);
  g_autoptr(Reply) r = http_ok ("POST", "/api/v1/login", NULL, body, 200);
  return g_strconcat ("Bearer ", json_object_get_string_member (r->obj, "token"), NULL);
}

/* Does GET /rooms?text=TEXT, as ROLE, list the room with id ID? The whole
 * answer is returned through TEXT_OUT when not NULL. */
static gboolean
http_lists (Role role, const char *text, const char *id, char **text_out)
{
  g_autofree char *escaped = g_uri_escape_string (text, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/api/v1/rooms?text=", escaped, NULL);
  g_autoptr(Reply) r = http ("GET", path, W->auth[role], NULL);
  if (r->status != 200)
    {
      mismatch ("%s (%s): GET %s answered %u: %s", role_user[role], role_label[role], path, r->status, r->text);
      return FALSE;
    }
  if (text_out != NULL)
    *text_out = g_strdup (r->text);
  JsonArray *items = json_object_get_array_member (r->obj, "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (items, i), "id"), id) == 0)
      return TRUE;
  return FALSE;
}

/* ---- XCCOS -------------------------------------------------------------------------- */

/* The XCCOS result code of a command; MESSAGE_OUT gets the client's error
 * (code and code text: all an error reply carries besides sequence
 * numbers) or NULL. DATA_OUT, when not NULL, the reply's <data> as XML. */
static int
command (Role role, const char *cmd, const char *data, char **message_out, char **data_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchClientReply) reply = perch_test_command (W->client[role], cmd, data, &error);
  if (reply != NULL)
    {
      if (data_out != NULL)
        {
          *data_out = g_strdup ("");
          if (reply->data != NULL)
            {
              xmlBufferPtr buf = xmlBufferCreate ();
              xmlNodeDump (buf, reply->data->doc, reply->data, 0, 0);
              g_free (*data_out);
              *data_out = g_strdup ((const char *) xmlBufferContent (buf));
              xmlBufferFree (buf);
            }
        }
      return reply->code;
    }
  g_assert_true (error->domain == PERCH_ERROR);
  /* An XCCOS error reply ("cmd:x failed: 404 NOT_FOUND"), not a SIP refusal
   * of the INFO that carried it. */
  if (strstr (error->message, " failed: ") == NULL)
    g_error ("%s was refused at the SIP layer: %s", cmd, error->message);
  if (message_out != NULL)
    *message_out = g_strdup (error->message);
  return error->code;
}

static int
join_code (Role role, const char *uri, char **message_out)
{
  g_autofree char *data = perch_client_build_join_data (uri);
  return command (role, "cmd:join", data, message_out, NULL);
}

static int
bccontext_code (Role role, const char *uri, char **message_out)
{
  g_autofree char *data = perch_client_build_history_data (uri, 25);
  return command (role, "cmd:bccontext", data, message_out, NULL);
}

static int
part_code (Role role, const char *uri, char **message_out)
{
  g_autofree char *data = perch_client_build_part_data (uri);
  return command (role, "cmd:part", data, message_out, NULL);
}

/* The SIP status a post got; MESSAGE_OUT the client's error (status and
 * reason phrase) or NULL. */
static int
post_code (Role role, const char *uri, const char *text, char **message_out)
{
  g_autoptr(GError) error = NULL;
  if (perch_test_post (W->client[role], uri, text, &error))
    return 200;
  g_assert_true (error->domain == PERCH_ERROR);
  if (message_out != NULL)
    *message_out = g_strdup (error->message);
  return error->code;
}

static char *
post_text (Role role, Room room)
{
  return g_strdup_printf ("authz: %s posts in %s", role_user[role], room_spec[room].name);
}

static void
on_notice (PerchClient *client, const char *id, gpointer item_ptr, gpointer data)
{
  PerchXccosItem *item = item_ptr;
  Role role = GPOINTER_TO_INT (data);
  if (g_strcmp0 (id, "ntc:part") != 0 || item->data == NULL)
    return;
  xmlNode *chanib = perch_xml_child (item->data, "chanib");
  xmlNode *uib = chanib ? perch_xml_child (chanib, "uib") : NULL;
  g_autofree char *who = uib ? perch_xml_get (uib, "uri") : NULL;
  g_autofree char *me = g_strdup_printf ("sip:%s@" DOMAIN, role_user[role]);
  if (g_strcmp0 (who, me) == 0)
    W->parts[role]++;
}

typedef struct {
  Role  role;
  guint want;
} PartWait;

static gboolean
parted (gpointer data)
{
  PartWait *w = data;
  return W->parts[w->role] >= w->want;
}

/* ---- the world ---------------------------------------------------------------------- */

static char *
room_create_body (Room room)
{
  const RoomSpec *s = &room_spec[room];
  return g_strdup_printf ("{\"name\": \"%s\", \"category\": \"Matrix\", \"privacy\": \"%s\", \"type\": \"%s\", "
                          "\"members\": [%s], \"managers\": [\"alice@" DOMAIN "\"], "
                          "\"presenters\": [\"carol@" DOMAIN "\"]}",
                          s->name, s->privacy, s->type, s->inherit ? "" : "\"frank@" DOMAIN "\"");
}

static void
world_start (void)
{
  const char *args[] = { "--http-listen", "127.0.0.1:0", "--config", "commands_per_second=100000", NULL };
  W = g_new0 (World, 1);
  W->server = perch_test_server_start (args);
  g_assert_nonnull (perch_test_server_get (W->server, "http"));
  W->base = g_strconcat ("http://", perch_test_server_get (W->server, "http"), NULL);
  W->session = soup_session_new_with_options ("timeout", 20, NULL);
  W->auth[ADMIN] = login ("admin");
  const char *admin = W->auth[ADMIN];

  /* Users the demo pool lacks, enabled for persistent chat. */
  const char *const new_users[] = { "erin", "frank", "gina" };
  for (guint i = 0; i < G_N_ELEMENTS (new_users); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/users/%s@" DOMAIN, new_users[i]);
      g_autofree char *body = g_strdup_printf ("{\"password\": \"%s-demo\", \"enabled\": true}", new_users[i]);
      g_autoptr(Reply) r = http_ok ("PUT", path, admin, body, 201);
    }

  g_autoptr(Reply) matrix = http_ok ("POST", "/api/v1/categories", admin,
                                     "{\"name\": \"Matrix\", \"allowed\": [\"domain:" DOMAIN "\"], "
                                     "\"denied\": [\"gina@" DOMAIN "\"], \"creators\": [\"erin@" DOMAIN "\"]}", 201);
  g_autoptr(Reply) elsewhere = http_ok ("POST", "/api/v1/categories", admin,
                                        "{\"name\": \"Elsewhere\", \"allowed\": [\"domain:" DOMAIN "\"], "
                                        "\"creators\": [\"erin@" DOMAIN "\"]}", 201);

  for (Room room = 0; room < N_ROOMS; room++)
    {
      g_autofree char *body = room_create_body (room);
      g_autoptr(Reply) created = http_ok ("POST", "/api/v1/rooms", admin, body, 201);
      W->id[room] = g_strdup (json_object_get_string_member (created->obj, "id"));
      W->uri[room] = g_strdup (json_object_get_string_member (created->obj, "uri"));
      /* The creator is made a manager; the administrator needs no list. */
      g_autofree char *path = perch_test_http_room_path (W->id[room], "");
      g_autoptr(Reply) patched = http_ok ("PATCH", path, admin,
                                          room_spec[room].disabled
                                            ? "{\"disabled\": true, \"managers\": {\"remove\": [\"admin@" DOMAIN "\"]}}"
                                            : "{\"managers\": {\"remove\": [\"admin@" DOMAIN "\"]}}", 200);
      const char *const alice[] = { "sip:alice@" DOMAIN, NULL };
      const char *const carol[] = { "sip:carol@" DOMAIN, NULL };
      const char *const frank[] = { "sip:frank@" DOMAIN, NULL };
      const char *const nobody[] = { NULL };
      g_assert_true (strings_are (patched->obj, "managers", alice));
      g_assert_true (strings_are (patched->obj, "presenters", carol));
      g_assert_true (strings_are (patched->obj, "members", room_spec[room].inherit ? nobody : frank));
      g_assert_cmpstr (json_object_get_string_member (patched->obj, "privacy"), ==, room_spec[room].privacy);
      g_assert_cmpstr (json_object_get_string_member (patched->obj, "type"), ==, room_spec[room].type);
      g_assert_true (json_object_get_boolean_member (patched->obj, "disabled") == room_spec[room].disabled);
    }
  W->fake_id = g_uuid_string_random ();
  W->fake_uri = perch_room_uri (DOMAIN, W->fake_id);

  for (Role role = 0; role < N_ROLES; role++)
    {
      if (W->auth[role] == NULL)
        W->auth[role] = login (role_user[role]);
      W->client[role] = perch_test_connect (W->server, role_user[role]);
      g_signal_connect (W->client[role], "notice", G_CALLBACK (on_notice), GINT_TO_POINTER (role));
    }
}

static void
world_stop (void)
{
  if (W == NULL)
    return;
  for (Role role = 0; role < N_ROLES; role++)
    {
      if (W->client[role] != NULL)
        perch_test_disconnect (W->client[role]);
      g_free (W->auth[role]);
    }
  g_clear_object (&W->session);
  perch_test_server_stop (W->server);
  for (Room room = 0; room < N_ROOMS; room++)
    {
      g_free (W->id[room]);
      g_free (W->uri[room]);
    }
  g_free (W->fake_id);
  g_free (W->fake_uri);
  g_free (W->base);
  g_clear_pointer (&W, g_free);
}

/* The world, started by the first test that needs it (so one test can run
 * alone with -p), stopped once at the end. */
static void
world (void)
{
  if (W == NULL)
    world_start ();
}

/* ---- checking one case ---------------------------------------------------------------- */

static void
check_int (const Case *c, const char *path, int got, int want)
{
  if (got != want)
    mismatch ("%s (%s), room %s, %s: answered %d; expected %d", role_user[c->role], role_label[c->role],
              room_spec[c->room].name, path, got, want);
}

static void
check_bool (const Case *c, const char *path, gboolean got, gboolean want)
{
  if (got != want)
    mismatch ("%s (%s), room %s, %s: %s it; expected it %s", role_user[c->role], role_label[c->role],
              room_spec[c->room].name, path, got ? "lists" : "does not list", want ? "listed" : "not listed");
}

/* A 404 on HTTP must read exactly as the same request about a room that
 * does not exist: status and body. */
static void
http_like_missing (const Case *c, const char *method, const char *suffix, const char *body, Reply *r)
{
  g_autofree char *path = perch_test_http_room_path (W->fake_id, suffix);
  g_autoptr(Reply) fake = http (method, path, W->auth[c->role], body);
  if (fake->status != r->status || g_strcmp0 (fake->text, r->text) != 0)
    mismatch ("%s (%s), room %s, HTTP %s /rooms/{id}%s: a hidden room answers %u %s, a missing one %u %s",
              role_user[c->role], role_label[c->role], room_spec[c->room].name, method, suffix,
              r->status, r->text, fake->status, fake->text);
}

/* The same for XCCOS: the error (code and code text) must be the missing room's. */
static void
xccos_like_missing (const Case *c, const char *what, const char *real, const char *fake)
{
  if (g_strcmp0 (real, fake) != 0)
    mismatch ("%s (%s), room %s, XCCOS %s: a hidden room answers “%s”, a missing one “%s”",
              role_user[c->role], role_label[c->role], room_spec[c->room].name, what, real, fake);
}

static Reply *
http_checked (const Case *c, const char *method, const char *suffix, const char *body, int want, int *got)
{
  g_autofree char *path = perch_test_http_room_path (W->id[c->room], suffix);
  Reply *r = http (method, path, W->auth[c->role], body);
  g_autofree char *what = g_strdup_printf ("HTTP %s /rooms/{id}%s%s%s", method, suffix, body ? " " : "", body ? body : "");
  check_int (c, what, r->status, want);
  if (r->status == 404)
    http_like_missing (c, method, suffix, body, r);
  *got = r->status;
  return r;
}

enum { FIND = 1 << 0, READ = 1 << 1, JOIN_POST = 1 << 2, MANAGE = 1 << 3, ALL = 0xf };

static void
check_case (const Case *c, guint aspects)
{
  Actual *a = &W->actual[c->role][c->room];
  const char *id = W->id[c->room], *uri = W->uri[c->room], *name = room_spec[c->room].name;

  if (aspects & FIND)
    {
      g_autoptr(Reply) get = http_checked (c, "GET", "", NULL, c->get, &a->get);
      if (get->status == 200)
        g_assert_cmpstr (json_object_get_string_member (get->obj, "id"), ==, id);
      g_autofree char *list_what = g_strdup_printf ("HTTP GET /rooms?text=%s", name);
      gboolean listed = http_lists (c->role, name, id, NULL);
      check_bool (c, list_what, listed, c->listed);
      a->listed = listed ? 1 : -1;
      g_autofree char *found_uri = perch_test_find_room (W->client[c->role], name);
      g_assert_true (found_uri == NULL || g_strcmp0 (found_uri, uri) == 0);
      g_autofree char *chan_what = g_strdup_printf ("XCCOS cmd:chansrch %s", name);
      check_bool (c, chan_what, found_uri != NULL, c->found);
      a->found = found_uri != NULL ? 1 : -1;
    }

  if (aspects & READ)
    {
      g_autoptr(Reply) read = http_checked (c, "GET", "/messages", NULL, c->read, &a->read);
      g_autofree char *real = NULL, *fake = NULL;
      a->bccontext = bccontext_code (c->role, uri, &real);
      check_int (c, "XCCOS cmd:bccontext", a->bccontext, c->bccontext);
      if (a->bccontext == 404)
        {
          g_assert_cmpint (bccontext_code (c->role, W->fake_uri, &fake), ==, 404);
          xccos_like_missing (c, "cmd:bccontext", real, fake);
        }
    }

  if (aspects & JOIN_POST)
    {
      g_autofree char *real = NULL, *fake = NULL;
      a->join = join_code (c->role, uri, &real);
      check_int (c, "XCCOS cmd:join", a->join, c->join);
      if (a->join == 404)
        {
          g_assert_cmpint (join_code (c->role, W->fake_uri, &fake), ==, 404);
          xccos_like_missing (c, "cmd:join", real, fake);
        }
      g_autofree char *text = post_text (c->role, c->room);
      g_autofree char *real_post = NULL, *fake_post = NULL;
      a->post = post_code (c->role, uri, text, &real_post);
      check_int (c, "XCCOS post (SIP status)", a->post, c->post);
      if (a->post == 200)
        W->posted[c->role][c->room] = TRUE;
      if (a->post == 404)
        {
          g_assert_cmpint (post_code (c->role, W->fake_uri, "authz: to nowhere", &fake_post), ==, 404);
          xccos_like_missing (c, "post", real_post, fake_post);
        }
    }

  if (aspects & MANAGE)
    {
      g_autofree char *description = g_strdup_printf ("changed by %s", role_user[c->role]);
      g_autofree char *body = g_strdup_printf ("{\"description\": \"%s\"}", description);
      g_autoptr(Reply) patch = http_checked (c, "PATCH", "", body, c->patch, &a->patch);
      if (patch->status == 200)
        g_assert_cmpstr (json_object_get_string_member (patch->obj, "description"), ==, description);
      g_autoptr(Reply) move = http_checked (c, "PATCH", "", "{\"category\": \"Elsewhere\"}", c->move, &a->move);
      if (move->status == 200)
        {
          /* Moved (the administrator may): it is in Elsewhere; put it back. */
          g_assert_cmpstr (json_object_get_string_member (move->obj, "category"), ==, "Elsewhere");
          g_autofree char *path = perch_test_http_room_path (id, "");
          g_autoptr(Reply) back = http_ok ("PATCH", path, W->auth[ADMIN], "{\"category\": \"Matrix\"}", 200);
          g_assert_cmpstr (json_object_get_string_member (back->obj, "category"), ==, "Matrix");
        }
      if (c->del != 0)
        {
          g_autoptr(Reply) del = http_checked (c, "DELETE", "", NULL, c->del, &a->del);
          g_assert_cmpuint (del->status, !=, 204);   /* the world would be gone */
        }
    }
}

static const Case *
case_of (Role role, Room room)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (cases[i].role == role && cases[i].room == room)
      return &cases[i];
  g_assert_not_reached ();
}

static void
check_all (guint aspects)
{
  world ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_case (&cases[i], aspects);
}

/* ---- the tests ----------------------------------------------------------------------- */

static void
test_table (void)
{
  /* Every role x room once, and nothing else. */
  gboolean seen[N_ROLES][N_ROOMS] = { { FALSE } };
  g_assert_cmpuint (G_N_ELEMENTS (cases), ==, N_ROLES * N_ROOMS);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_false (seen[cases[i].role][cases[i].room]);
      seen[cases[i].role][cases[i].room] = TRUE;
    }
}

static void
test_find (void)
{
  check_all (FIND);
}

static void
test_read (void)
{
  check_all (READ);
}

static void
test_join_post (void)
{
  check_all (JOIN_POST);

  /* The store holds exactly the posts that were answered 200. */
  for (Room room = 0; room < N_ROOMS; room++)
    {
      g_autofree char *path = perch_test_http_room_path (W->id[room], "/messages?limit=500");
      g_autoptr(Reply) r = http_ok ("GET", path, W->auth[ADMIN], NULL, 200);
      JsonArray *items = json_object_get_array_member (r->obj, "items");
      for (Role role = 0; role < N_ROLES; role++)
        {
          g_autofree char *text = post_text (role, room);
          guint n = 0;
          for (guint i = 0; i < json_array_get_length (items); i++)
            if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (items, i), "content"), text) == 0)
              n++;
          guint want = W->posted[role][room] ? 1 : 0;
          if (n != want)
            mismatch ("the history of %s holds “%s” %u times, not %u", room_spec[room].name, text, n, want);
        }
    }
}

static void
test_manage (void)
{
  check_all (MANAGE);
}

/* The answers the paths actually gave, against each other. */
static void
test_paths_agree (void)
{
  world ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      const Actual *a = &W->actual[c->role][c->room];
      const char *user = role_user[c->role], *label = role_label[c->role], *name = room_spec[c->room].name;
      if (a->get == 0 || a->read == 0 || a->join == 0 || a->patch == 0)
        {
          g_test_skip ("run find, read, join-post and manage first");
          return;
        }
      gboolean http_sees = a->get == 200;
      /* HTTP documents one difference: administrators see every room, and
       * managers the disabled rooms they manage, which chatting never finds. */
      gboolean hidden_from_chat_only = room_spec[c->room].disabled && (c->role == ADMIN || c->role == MANAGER);

      if ((a->listed > 0) != http_sees)
        mismatch ("PATHS DISAGREE %s (%s), room %s: HTTP GET answers %d but the HTTP list %s it",
                  user, label, name, a->get, a->listed > 0 ? "lists" : "does not list");
      if ((a->found > 0) != http_sees && !hidden_from_chat_only)
        mismatch ("PATHS DISAGREE %s (%s), room %s: HTTP GET answers %d but XCCOS chansrch %s it",
                  user, label, name, a->get, a->found > 0 ? "lists" : "does not list");
      /* Administrators read everything over HTTP; everyone else reads by
       * the chatting rule on both paths. A manager, to whom HTTP shows the
       * disabled room, is refused its content (403) where chatting, which
       * does not find it, says 404: the same decision, told truthfully. */
      if (c->role != ADMIN && a->read != a->bccontext &&
          !(hidden_from_chat_only && a->read == 403 && a->bccontext == 404))
        mismatch ("PATHS DISAGREE %s (%s), room %s: HTTP read answers %d, XCCOS bccontext %d",
                  user, label, name, a->read, a->bccontext);
      if (a->join != a->bccontext)
        mismatch ("PATHS DISAGREE %s (%s), room %s: XCCOS join answers %d, bccontext %d",
                  user, label, name, a->join, a->bccontext);
      if (a->join != 200 && a->post != a->join)
        mismatch ("PATHS DISAGREE %s (%s), room %s: XCCOS join answers %d, a post %d",
                  user, label, name, a->join, a->post);
      /* A room hidden on HTTP is hidden to every HTTP operation. */
      if (!http_sees && (a->read != 404 || a->patch != 404 || a->move != 404 || (a->del != 0 && a->del != 404)))
        mismatch ("PATHS DISAGREE %s (%s), room %s: HTTP GET answers 404 but read %d, PATCH %d, move %d, DELETE %d",
                  user, label, name, a->read, a->patch, a->move, a->del);
      if (http_sees && a->del != 0 && a->del != 403)
        mismatch ("PATHS DISAGREE %s (%s), room %s: HTTP GET answers 200 but a non-administrator's DELETE %d",
                  user, label, name, a->del);
    }
}

static char *
bjoin_data (const char *first_id, const char *second_id)
{
  const char *ids[] = { first_id, second_id, NULL };
  return perch_test_bjoin_data (ids);
}

static char *
replace_all (const char *text, const char *what, const char *with)
{
  g_auto(GStrv) parts = g_strsplit (text ? text : "", what, -1);
  return g_strjoinv (with, parts);
}

/* A secret room is, to those outside it, exactly a room that does not
 * exist: on every HTTP route that names a room and every XCCOS command. */
static void
test_secret_like_missing (void)
{
  world ();
  static const struct { const char *method, *suffix, *body; } routes[] = {
    { "GET",    "",                  NULL },
    { "GET",    "/messages",         NULL },
    { "GET",    "/eligible",         NULL },
    { "PATCH",  "",                  "{\"description\": \"probe\"}" },
    { "PATCH",  "",                  "{\"category\": \"Elsewhere\"}" },
    { "PATCH",  "",                  "{\"members\": {\"add\": [\"bob@" DOMAIN "\"]}}" },
    { "DELETE", "",                  NULL },
    { "POST",   "/messages/remove",  "{\"keywords\": [\"probe\"]}" },
    { "POST",   "/clear",            "{\"up_to\": \"2030-01-01T00:00:00Z\"}" },
  };
  const Room secret[] = { SN, SA };
  guint probed = 0;

  for (Role role = 0; role < N_ROLES; role++)
    for (guint s = 0; s < G_N_ELEMENTS (secret); s++)
      {
        const Case *c = case_of (role, secret[s]);
        if (c->get != 404)
          continue;   /* a member: it exists for them */
        probed++;
        const char *id = W->id[c->room], *uri = W->uri[c->room], *name = room_spec[c->room].name;
        const char *auth = W->auth[role];

        /* HTTP, by id, by URI and by name. */
        for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
          {
            const char *names[][2] = { { id, W->fake_id }, { uri, W->fake_uri }, { name, "mx-no-such-room" } };
            for (guint k = 0; k < G_N_ELEMENTS (names); k++)
              {
                g_autofree char *real_path = perch_test_http_room_path (names[k][0], routes[i].suffix);
                g_autofree char *fake_path = perch_test_http_room_path (names[k][1], routes[i].suffix);
                g_autoptr(Reply) real = http (routes[i].method, real_path, auth, routes[i].body);
                g_autoptr(Reply) fake = http (routes[i].method, fake_path, auth, routes[i].body);
                if (real->status != fake->status || g_strcmp0 (real->text, fake->text) != 0)
                  mismatch ("%s (%s), room %s, HTTP %s %s %s: the secret room answers %u %s, a missing one %u %s",
                            role_user[role], role_label[role], name, routes[i].method, real_path,
                            routes[i].body ? routes[i].body : "", real->status, real->text, fake->status, fake->text);
                /* The administrative routes refuse a non-administrator
                 * before looking at the room (403); the rest are 404. */
                if (real->status != 404 && real->status != 403)
                  mismatch ("%s (%s), room %s, HTTP %s %s: %u, neither 404 nor 403",
                            role_user[role], role_label[role], name, routes[i].method, real_path, real->status);
              }
          }
        /* The list, searched for its name and for a name nothing has. */
        g_autofree char *listed = NULL, *listed_none = NULL;
        g_assert_false (http_lists (role, name, id, &listed));
        g_assert_false (http_lists (role, "mx-no-such-room", id, &listed_none));
        if (g_strcmp0 (listed, listed_none) != 0)
          mismatch ("%s (%s), HTTP GET /rooms?text=%s answers %s, for a name nothing has %s",
                    role_user[role], role_label[role], name, listed, listed_none);

        /* XCCOS: every command that names a room. */
        struct { const char *what; int (*fn) (Role, const char *, char **); } cmds[] = {
          { "cmd:join", join_code }, { "cmd:bccontext", bccontext_code }, { "cmd:part", part_code },
        };
        for (guint i = 0; i < G_N_ELEMENTS (cmds); i++)
          {
            g_autofree char *real = NULL, *fake = NULL;
            int real_code = cmds[i].fn (role, uri, &real);
            int fake_code = cmds[i].fn (role, W->fake_uri, &fake);
            g_assert_cmpint (fake_code, ==, 404);
            check_int (c, cmds[i].what, real_code, 404);
            xccos_like_missing (c, cmds[i].what, real, fake);
          }
        /* bjoin of an open room and the secret one, against the open room
         * and a made-up one: the same reply but for the id named. */
        {
          g_autofree char *real_data = bjoin_data (W->id[ON], id);
          g_autofree char *fake_data = bjoin_data (W->id[ON], W->fake_id);
          g_autofree char *real = NULL, *fake = NULL;
          g_assert_cmpint (command (role, "cmd:bjoin", real_data, NULL, &real), ==, 200);
          g_assert_cmpint (command (role, "cmd:bjoin", fake_data, NULL, &fake), ==, 200);
          g_autofree char *real_norm = replace_all (real, id, "ROOM-ID");
          g_autofree char *fake_norm = replace_all (fake, W->fake_id, "ROOM-ID");
          g_assert_nonnull (strstr (real_norm, "<fib key=\"OPERATION_FAILED\" value=\"ROOM-ID\""));
          xccos_like_missing (c, "cmd:bjoin", real_norm, fake_norm);
        }
        /* chansrch for its name finds what a search for nothing finds. */
        {
          g_autofree char *by_name = perch_client_build_search_data (name);
          g_autofree char *by_none = perch_client_build_search_data ("mx-no-such-room");
          g_autofree char *real = NULL, *fake = NULL;
          g_assert_cmpint (command (role, "cmd:chansrch", by_name, NULL, &real), ==, 200);
          g_assert_cmpint (command (role, "cmd:chansrch", by_none, NULL, &fake), ==, 200);
          xccos_like_missing (c, "cmd:chansrch", real, fake);
        }
        /* A post: the same SIP status and reason phrase. */
        {
          g_autofree char *real = NULL, *fake = NULL;
          int real_code = post_code (role, uri, "authz: HIDDEN probe", &real);
          int fake_code = post_code (role, W->fake_uri, "authz: HIDDEN probe", &fake);
          g_assert_cmpint (fake_code, ==, 404);
          check_int (c, "XCCOS post (SIP status)", real_code, 404);
          xccos_like_missing (c, "post", real, fake);
        }
      }
  /* erin, bob and gina, in both secret rooms */
  g_assert_cmpuint (probed, ==, 6);

  /* Nothing a probe sent was stored. */
  for (guint s = 0; s < G_N_ELEMENTS (secret); s++)
    {
      g_autofree char *path = perch_test_http_room_path (W->id[secret[s]], "/messages?limit=500");
      g_autoptr(Reply) r = http_ok ("GET", path, W->auth[ADMIN], NULL, 200);
      g_assert_null (strstr (r->text, "HIDDEN"));
      g_assert_null (strstr (r->text, "probe"));
    }
}

/* Creating rooms in a category, and moving by a manager who is a creator
 * in the target category; the administrator deletes, on both paths at once. */
static void
test_create (void)
{
  world ();
  g_autoptr(GPtrArray) made = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) made_uris = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < G_N_ELEMENTS (create_cases); i++)
    {
      Role role = create_cases[i].role;
      g_autofree char *body = g_strdup_printf ("{\"name\": \"mx-created-by-%s\", \"category\": \"Matrix\"}",
                                               role_user[role]);
      g_autoptr(Reply) r = http ("POST", "/api/v1/rooms", W->auth[role], body);
      if (r->status != (guint) create_cases[i].status)
        mismatch ("%s (%s), HTTP POST /rooms in Matrix: answered %u; expected %d: %s",
                  role_user[role], role_label[role], r->status, create_cases[i].status, r->text);
      if (r->status != 201)
        continue;
      /* The creator becomes a manager. */
      g_autofree char *me = g_strdup_printf ("sip:%s@" DOMAIN, role_user[role]);
      const char *const managers[] = { me, NULL };
      g_assert_true (strings_are (r->obj, "managers", managers));
      g_ptr_array_add (made, g_strdup (json_object_get_string_member (r->obj, "id")));
      g_ptr_array_add (made_uris, g_strdup (json_object_get_string_member (r->obj, "uri")));
      if (role == CREATOR)
        {
          const char *id = json_object_get_string_member (r->obj, "id");
          g_autofree char *path = perch_test_http_room_path (id, "");
          /* erin manages it and is a creator in Elsewhere: she may move it
           * there; alice (not a creator anywhere here) may not move hers. */
          g_autoptr(Reply) moved = http ("PATCH", path, W->auth[CREATOR], "{\"category\": \"Elsewhere\"}");
          if (moved->status != 200)
            mismatch ("erin (category creator, manager of the room), HTTP PATCH move to Elsewhere where she "
                      "is a creator: answered %u; expected 200: %s", moved->status, moved->text);
          /* alice is no manager of it: she may not even change it. */
          g_autoptr(Reply) alice = http ("PATCH", path, W->auth[MANAGER], "{\"description\": \"mine\"}");
          if (alice->status != 403)
            mismatch ("alice (manager of other rooms), HTTP PATCH of erin's room: answered %u; expected 403",
                      alice->status);
        }
    }

  /* The administrator deletes them; then neither path knows them. */
  for (guint i = 0; i < made->len; i++)
    {
      g_autofree char *path = perch_test_http_room_path (g_ptr_array_index (made, i), "");
      g_autoptr(Reply) del = http_ok ("DELETE", path, W->auth[ADMIN], NULL, 204);
      g_autoptr(Reply) gone = http_ok ("GET", path, W->auth[ADMIN], NULL, 404);
      g_autofree char *msg = NULL;
      int code = join_code (ADMIN, g_ptr_array_index (made_uris, i), &msg);
      if (code != 404)
        mismatch ("admin, XCCOS join of a room deleted over HTTP: answered %d; expected 404", code);
    }
  g_autofree char *found = perch_test_find_room (W->client[ADMIN], "mx-created-by-admin");
  g_assert_null (found);
}

/* A case as the table has it for LIKE_ROOM, asked of ROOM. */
static Case
case_like (Role role, Room room, Role like_role, Room like_room)
{
  Case c = *case_of (like_role, like_room);
  c.role = role;
  c.room = room;
  return c;
}

static void
wait_parted (Role role, guint before)
{
  PartWait w = { role, before + 1 };
  if (!perch_test_wait (parted, &w, WAIT_TIMEOUT_MS))
    mismatch ("%s was not parted (no ntc:part naming them)", role_user[role]);
}

/* Changes made over HTTP change the decisions of both paths at once: one
 * policy module decides for both. */
static void
test_same_module (void)
{
  world ();
  const char *alice = W->auth[MANAGER], *admin = W->auth[ADMIN];

  /* frank, removed from the closed room's members by its manager over HTTP
   * (dave stays listed, so the list is not empty): parted from his live
   * XCCOS session, and from then on what an allowed outsider of a closed
   * room is on every path. */
  {
    g_autofree char *data = perch_client_build_join_data (W->uri[CN]);
    g_assert_cmpint (command (MEMBER, "cmd:join", data, NULL, NULL), ==, 200);
    g_autofree char *path = perch_test_http_room_path (W->id[CN], "");
    g_autoptr(Reply) dave = http_ok ("PATCH", path, alice, "{\"members\": {\"add\": [\"dave@" DOMAIN "\"]}}", 200);
    guint before = W->parts[MEMBER];
    g_autoptr(Reply) r = http_ok ("PATCH", path, alice, "{\"members\": {\"remove\": [\"frank@" DOMAIN "\"]}}", 200);
    wait_parted (MEMBER, before);
    Case removed = case_like (MEMBER, CN, OUTSIDER, CN);
    check_case (&removed, ALL);
    g_autoptr(Reply) back = http_ok ("PATCH", path, alice,
                                     "{\"members\": {\"add\": [\"frank@" DOMAIN "\"], \"remove\": [\"dave@" DOMAIN "\"]}}", 200);
    check_case (case_of (MEMBER, CN), FIND | READ | JOIN_POST);
    check_case (case_of (OUTSIDER, CN), FIND | READ | JOIN_POST);
  }

  /* Removing the last member empties the list, and an empty list inherits
   * the category's membership (admin-model.md): the closed room is then
   * open to every allowed user, on both paths, as mx-closed-inherit is. */
  {
    g_autofree char *path = perch_test_http_room_path (W->id[CN], "");
    g_autoptr(Reply) r = http_ok ("PATCH", path, alice, "{\"members\": {\"remove\": [\"frank@" DOMAIN "\"]}}", 200);
    const char *const nobody[] = { NULL };
    g_assert_true (strings_are (r->obj, "members", nobody));
    for (Role role = 0; role < N_ROLES; role++)
      if (role != ADMIN && role != MANAGER)
        {
          Case inherited = case_like (role, CN, role, CI);
          check_case (&inherited, FIND | READ | JOIN_POST);
        }
    g_autoptr(Reply) back = http_ok ("PATCH", path, alice, "{\"members\": {\"add\": [\"frank@" DOMAIN "\"]}}", 200);
    check_case (case_of (MEMBER, CN), FIND | READ | JOIN_POST);
    check_case (case_of (OUTSIDER, CN), FIND | READ | JOIN_POST);
  }

  /* bob, denied by the category over HTTP: its rooms, even the open one
   * and the one whose membership he inherited, no longer exist for him. */
  {
    g_autofree char *data = perch_client_build_join_data (W->uri[OI]);
    g_assert_cmpint (command (OUTSIDER, "cmd:join", data, NULL, NULL), ==, 200);
    guint before = W->parts[OUTSIDER];
    g_autoptr(Reply) r = http_ok ("PATCH", "/api/v1/categories/Matrix", admin,
                                  "{\"denied\": {\"add\": [\"bob@" DOMAIN "\"]}}", 200);
    wait_parted (OUTSIDER, before);
    Case on = case_like (OUTSIDER, ON, DENIED, ON);
    Case oi = case_like (OUTSIDER, OI, DENIED, OI);
    check_case (&on, ALL);
    check_case (&oi, ALL);
    g_autoptr(Reply) back = http_ok ("PATCH", "/api/v1/categories/Matrix", admin,
                                     "{\"denied\": {\"remove\": [\"bob@" DOMAIN "\"]}}", 200);
    check_case (case_of (OUTSIDER, ON), FIND | READ | JOIN_POST);
    check_case (case_of (OUTSIDER, OI), FIND | READ | JOIN_POST);
  }

  /* The secret room, disabled by its manager over HTTP: its member is
   * parted and every role now gets what the disabled room gives; enabled
   * again, it comes back as it was. */
  {
    g_autofree char *data = perch_client_build_join_data (W->uri[SN]);
    g_assert_cmpint (command (MEMBER, "cmd:join", data, NULL, NULL), ==, 200);
    guint before = W->parts[MEMBER];
    g_autofree char *path = perch_test_http_room_path (W->id[SN], "");
    g_autoptr(Reply) r = http_ok ("PATCH", path, alice, "{\"disabled\": true}", 200);
    wait_parted (MEMBER, before);
    for (Role role = 0; role < N_ROLES; role++)
      {
        Case disabled = case_like (role, SN, role, DIS);
        check_case (&disabled, FIND | READ | JOIN_POST);
      }
    g_autoptr(Reply) back = http_ok ("PATCH", path, alice, "{\"disabled\": false}", 200);
    for (Role role = 0; role < N_ROLES; role++)
      check_case (case_of (role, SN), FIND | READ | JOIN_POST);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/perch/authz/table", test_table);
  g_test_add_func ("/perch/authz/find", test_find);
  g_test_add_func ("/perch/authz/read", test_read);
  g_test_add_func ("/perch/authz/join-post", test_join_post);
  g_test_add_func ("/perch/authz/manage", test_manage);
  g_test_add_func ("/perch/authz/paths-agree", test_paths_agree);
  g_test_add_func ("/perch/authz/secret-like-missing", test_secret_like_missing);
  g_test_add_func ("/perch/authz/create", test_create);
  g_test_add_func ("/perch/authz/same-module", test_same_module);
  int status = g_test_run ();
  world_stop ();
  return status;
}
