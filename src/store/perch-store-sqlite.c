/* SPDX-License-Identifier: GPL-3.0-or-later */
/* perch-store-sqlite.c: the embedded sqlite backend of the store.
 *
 * Two connections to one WAL database: `wdb` belongs to the committer's
 * thread and does nothing but perch_store_write(); `db` belongs to the main
 * thread and does everything else. WAL lets the main thread read while a
 * group commit is in progress; writes from the main thread wait for the
 * committer's transaction through busy_timeout.
 *
 * Every statement is prepared once per connection and cached by its text;
 * user text only ever reaches sqlite as a bound parameter. */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "perch-store.h"

#define BUSY_TIMEOUT_MS 5000

/* ---- schema ----------------------------------------------------------- */

/* Each step runs in its own transaction and bumps PRAGMA user_version to
 * its index + 1. Never edit a step that has shipped: append a new one. */
static const char *const migrations[] = {
  /* 1: the initial schema */
  "CREATE TABLE config ("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL);"

  "CREATE TABLE users ("
  "  uri          TEXT PRIMARY KEY NOT NULL,"
  "  display_name TEXT,"
  "  ha1          TEXT,"
  "  admin        INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),"
  "  enabled      INTEGER NOT NULL DEFAULT -1 CHECK (enabled IN (-1, 0, 1)));"

  "CREATE TABLE groups ("
  "  name TEXT PRIMARY KEY NOT NULL);"
  "CREATE TABLE group_members ("
  "  group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,"
  "  member     TEXT NOT NULL,"
  "  UNIQUE (group_name, member));"
  /* policy asks "which groups is this user in" */
  "CREATE INDEX group_members_member ON group_members (member);"

  /* AUTOINCREMENT: ids appear in ma-cat:// URIs, so a deleted category's
   * id must never come back as another category. */
  "CREATE TABLE categories ("
  "  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name         TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  description  TEXT,"
  "  file_upload  INTEGER NOT NULL DEFAULT 1,"
  "  chat_history INTEGER NOT NULL DEFAULT 1,"
  "  invitations  INTEGER NOT NULL DEFAULT 1);"
  "CREATE TABLE category_principals ("
  "  category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,"
  "  kind        TEXT NOT NULL CHECK (kind IN ('allowed', 'denied', 'creator')),"
  "  principal   TEXT NOT NULL,"
  "  UNIQUE (category_id, kind, principal));"
  "CREATE INDEX category_principals_principal ON category_principals (principal);"

  "CREATE TABLE rooms ("
  "  id          TEXT PRIMARY KEY NOT NULL,"
  "  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,"
  "  description TEXT,"
  "  category_id INTEGER NOT NULL REFERENCES categories (id),"
  "  privacy     TEXT NOT NULL DEFAULT 'closed' CHECK (privacy IN ('open', 'closed', 'secret')),"
  "  type        TEXT NOT NULL DEFAULT 'normal' CHECK (type IN ('normal', 'auditorium')),"
  "  disabled    INTEGER NOT NULL DEFAULT 0,"
  "  addin       TEXT,"
  "  invitations INTEGER NOT NULL DEFAULT 1,"
  "  created_us  INTEGER NOT NULL);"
  "CREATE INDEX rooms_category ON rooms (category_id);"
  "CREATE TABLE room_principals ("
  "  room_id   TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
  "  kind      TEXT NOT NULL CHECK (kind IN ('member', 'manager', 'presenter')),"
  "  principal TEXT NOT NULL,"
  "  UNIQUE (room_id, kind, principal));"
  "CREATE INDEX room_principals_principal ON room_principals (principal);"

  /* AUTOINCREMENT: the id is the global sequence clients page by; it must
   * keep increasing even after the newest messages are deleted.
   * No foreign key to rooms on purpose: a post racing a room deletion must
   * not fail the whole group commit it shares with other rooms' posts. */
  "CREATE TABLE messages ("
  "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  room_id TEXT NOT NULL,"
  "  author  TEXT NOT NULL,"
  "  ts_us   INTEGER NOT NULL,"
  "  content TEXT NOT NULL,"
  "  state   INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)));"
  "CREATE INDEX messages_room_id ON messages (room_id, id);"
  "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
  "  content, content = 'messages', content_rowid = 'id',"
  "  tokenize = 'unicode61 remove_diacritics 2');"
  "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;"
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
  "END;"
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN"
  "  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);"
  "  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);"
  "END;"

  "CREATE TABLE invitations ("
  "  id         INTEGER PRIMARY KEY,"
  "  user       TEXT NOT NULL,"
  "  room_id    TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,"
  "  seen       INTEGER NOT NULL DEFAULT 0,"
  "  created_us INTEGER NOT NULL);"
  /* at most one unseen invitation per user and room; seen ones are history */
  "CREATE UNIQUE INDEX invitations_unseen ON invitations (user, room_id) WHERE seen = 0;"
  "CREATE INDEX invitations_room ON invitations (room_id);"

  "CREATE TABLE prefs ("
  "  user    TEXT NOT NULL,"
  "  label   TEXT NOT NULL,"
  "  content TEXT NOT NULL,"
  "  PRIMARY KEY (user, label));"

  /* The compliance outbox. AUTOINCREMENT: the compliance service resumes
   * after the last id it handled, so ids must not restart when the outbox
   * is emptied. room_id is not a foreign key: events outlive rooms. */
  "CREATE TABLE events ("
  "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  type    TEXT NOT NULL,"
  "  room_id TEXT NOT NULL,"
  "  user    TEXT,"
  "  ts_us   INTEGER NOT NULL,"
  "  content TEXT,"
  "  msg_id  INTEGER);",

  /* 2: administration (issue 3) */
  "CREATE TABLE addins ("
  "  name TEXT PRIMARY KEY NOT NULL,"
  "  url  TEXT NOT NULL);"

  /* Who did what. Paged newest first by id; ids may be reused after the
   * newest entry is deleted, which nothing does. */
  "CREATE TABLE audit ("
  "  id     INTEGER PRIMARY KEY,"
  "  ts_us  INTEGER NOT NULL,"
  "  actor  TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  target TEXT,"
  "  detail TEXT);"

  /* Per-room content statistics, kept by the triggers below so that
   * listing rooms by size reads a table instead of scanning messages.
   * A removed message counts in neither messages nor bytes; last_post_us
   * is the newest ts among the room's stored messages, removed or not.
   * bytes: length() of a text counts characters, of a blob bytes. */
  "CREATE TABLE room_stats ("
  "  room_id      TEXT PRIMARY KEY NOT NULL,"
  "  messages     INTEGER NOT NULL,"
  "  bytes        INTEGER NOT NULL,"
  "  last_post_us INTEGER NOT NULL);"
  "INSERT INTO room_stats (room_id, messages, bytes, last_post_us)"
  "  SELECT room_id, sum(state <> 2), sum(iif(state <> 2, length(CAST(content AS BLOB)), 0)), max(ts_us)"
  "  FROM messages GROUP BY room_id;"
  /* On the post path: one upsert per stored message. */
  "CREATE TRIGGER messages_stats_insert AFTER INSERT ON messages BEGIN"
  "  INSERT INTO room_stats (room_id, messages, bytes, last_post_us)"
  "  VALUES (new.room_id, new.state <> 2, iif(new.state <> 2, length(CAST(new.content AS BLOB)), 0), new.ts_us)"
  "  ON CONFLICT (room_id) DO UPDATE SET messages = messages + excluded.messages,"
  "    bytes = bytes + excluded.bytes, last_post_us = max(last_post_us, excluded.last_post_us);"
  "END;"
  /* Messages never change room or time, only state and content. */
  "CREATE TRIGGER messages_stats_update AFTER UPDATE OF state, content ON messages BEGIN"
  "  UPDATE room_stats SET"
  "    messages = messages - (old.state <> 2) + (new.state <> 2),"
  "    bytes = bytes - iif(old.state <> 2, length(CAST(old.content AS BLOB)), 0)"
  "                  + iif(new.state <> 2, length(CAST(new.content AS BLOB)), 0)"
  "  WHERE room_id = old.room_id;"
  "END;"
  /* Deleting the newest message rescans the room for the next newest (and
   * drops the row with the room's last message). Bulk deletes spare every
   * row that work: room_clear and room_delete drop the stats row first
   * when nothing of the room survives, and when something does, it is
   * newer than everything deleted, so last_post_us stays. */
  "CREATE TRIGGER messages_stats_delete AFTER DELETE ON messages BEGIN"
  "  UPDATE room_stats SET"
  "    messages = messages - (old.state <> 2),"
  "    bytes = bytes - iif(old.state <> 2, length(CAST(old.content AS BLOB)), 0),"
  "    last_post_us = iif(old.ts_us < last_post_us, last_post_us,"
  "      ifnull((SELECT max(ts_us) FROM messages WHERE room_id = old.room_id), 0))"
  "  WHERE room_id = old.room_id;"
  "  DELETE FROM room_stats WHERE room_id = old.room_id AND last_post_us = 0"
  "    AND NOT EXISTS (SELECT 1 FROM messages WHERE room_id = old.room_id);"
  "END;",

  /* 3: the compliance service (issue 4) */
  /* One row per range of the outbox handed to an adapter. A range is
   * recorded here (planned) before the adapter sees it, and marked done in
   * the transaction that deletes its events, so after a crash the planned
   * row says exactly what to redo. AUTOINCREMENT: run ids reach external
   * commands, and must not come back after old rows are pruned. */
  "CREATE TABLE compliance_runs ("
  "  id             INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  first_event_id INTEGER NOT NULL,"
  "  last_event_id  INTEGER NOT NULL,"
  "  adapter        TEXT NOT NULL,"
  "  started_us     INTEGER NOT NULL,"
  "  finished_us    INTEGER,"
  "  state          TEXT NOT NULL CHECK (state IN ('planned', 'done', 'failed')),"
  "  error          TEXT,"
  "  events         INTEGER NOT NULL DEFAULT 0,"
  "  duration_ms    INTEGER);"
  /* Pending events per type, kept by triggers so that the status page
   * reads a few rows instead of counting an outbox that may hold days of
   * events while an adapter is failing. */
  "CREATE TABLE event_counts ("
  "  type TEXT PRIMARY KEY NOT NULL,"
  "  n    INTEGER NOT NULL) WITHOUT ROWID;"
  "INSERT INTO event_counts (type, n) SELECT type, count(*) FROM events GROUP BY type;"
  "CREATE TRIGGER events_count_insert AFTER INSERT ON events BEGIN"
  "  INSERT INTO event_counts (type, n) VALUES (new.type, 1)"
  "  ON CONFLICT (type) DO UPDATE SET n = n + 1;"
  "END;"
  "CREATE TRIGGER events_count_delete AFTER DELETE ON events BEGIN"
  "  UPDATE event_counts SET n = n - 1 WHERE type = old.type;"
  "END;",

  /* 4: files in rooms (issue 4) */
  /* The bytes are <data-dir>/files/<id>. room_id is not a foreign key: a
   * deleted room's files are marked deleted and kept, since compliance
   * may not have archived them yet. */
  "CREATE TABLE files ("
  "  id       TEXT PRIMARY KEY NOT NULL,"
  "  room_id  TEXT NOT NULL,"
  "  uploader TEXT NOT NULL,"
  "  name     TEXT NOT NULL,"
  "  size     INTEGER NOT NULL CHECK (size >= 0),"
  "  sha256   TEXT NOT NULL,"
  "  ts_us    INTEGER NOT NULL,"
  "  state    TEXT NOT NULL DEFAULT 'stored' CHECK (state IN ('stored', 'deleted')));"
  "CREATE INDEX files_room ON files (room_id);",
};

/* ---- the store object and statement helpers --------------------------- */

typedef struct {
  PerchStore  parent;
  sqlite3    *db;      /* main thread */
  GHashTable *stmts;   /* SQL text -> sqlite3_stmt* on db */
  sqlite3    *wdb;     /* committer thread */
  GHashTable *wstmts;  /* SQL text -> sqlite3_stmt* on wdb */
  gint        writing; /* atomic: a write() is running */
} PerchSqliteStore;

#define SELF(store) ((PerchSqliteStore *) (store))

/* A cached statement in use. Resetting it on scope exit matters beyond
 * tidiness: a statement left mid-step holds its read transaction open, and
 * the main connection would stop seeing the committer's commits. */
typedef sqlite3_stmt PerchSqlStmt;

static void
perch_sql_stmt_release (PerchSqlStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PerchSqlStmt, perch_sql_stmt_release)

static gboolean
set_db_error (sqlite3 *db, GError **error, const char *what)
{
  int ext = sqlite3_extended_errcode (db);
  int code = PERCH_ERROR_FAILED;

  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
    code = PERCH_ERROR_CONFLICT;
  g_set_error (error, PERCH_ERROR, code, "%s: %s", what, sqlite3_errmsg (db));
  return FALSE;
}

static PerchSqlStmt *
prepare (sqlite3 *db, GHashTable *cache, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (cache, sql);

  if (stmt != NULL)
    return stmt;
  if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      set_db_error (db, error, "preparing a statement");
      return NULL;
    }
  /* The key is the caller's string literal, which lives forever. */
  g_hash_table_insert (cache, (gpointer) sql, stmt);
  return stmt;
}

/* For the main connection, the usual case. */
#define MAIN_STMT(self, sql, error) prepare ((self)->db, (self)->stmts, (sql), (error))

static void
bind_text (sqlite3_stmt *stmt, int i, const char *s)
{
  /* STATIC: every bound string outlives the statement's use, which ends
   * with the reset at scope exit. */
  if (s == NULL)
    sqlite3_bind_null (stmt, i);
  else
    sqlite3_bind_text (stmt, i, s, -1, SQLITE_STATIC);
}

static char *
column_dup (sqlite3_stmt *stmt, int i)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, i));
}

/* Runs a statement that returns no rows. */
static gboolean
run (sqlite3 *db, sqlite3_stmt *stmt, GError **error, const char *what)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (db, error, what);
  return TRUE;
}

static gboolean
tx_begin (sqlite3 *db, GHashTable *cache, GError **error)
{
  /* IMMEDIATE: take the write lock now, so a read-then-write transaction
   * cannot fail half-way with SQLITE_BUSY (busy_timeout waits here). */
  g_autoptr(PerchSqlStmt) stmt = prepare (db, cache, "BEGIN IMMEDIATE", error);
  return stmt != NULL && run (db, stmt, error, "starting a transaction");
}

static gboolean
tx_commit (sqlite3 *db, GHashTable *cache, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = prepare (db, cache, "COMMIT", error);
  return stmt != NULL && run (db, stmt, error, "committing");
}

static void
tx_rollback (sqlite3 *db, GHashTable *cache)
{
  /* Some errors (I/O, full disk) already rolled the transaction back. */
  if (sqlite3_get_autocommit (db))
    return;
  g_autoptr(PerchSqlStmt) stmt = prepare (db, cache, "ROLLBACK", NULL);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_DONE)
    g_warning ("store: rollback failed: %s", sqlite3_errmsg (db));
}

/* The work of one transaction: TRUE to commit, FALSE with ERROR set to
 * roll everything it did back. */
typedef gboolean (*PerchTxBody) (PerchSqliteStore *self, gpointer data, GError **error);

/* Runs BODY in one durable transaction (BEGIN IMMEDIATE ... COMMIT) on DB,
 * whose statements CACHE holds, or rolls it back when BODY or the commit
 * fails. */
static gboolean
tx_run (PerchSqliteStore *self, sqlite3 *db, GHashTable *cache, PerchTxBody body, gpointer data, GError **error)
{
  if (!tx_begin (db, cache, error))
    return FALSE;
  if (!body (self, data, error) || !tx_commit (db, cache, error))
    {
      tx_rollback (db, cache);
      return FALSE;
    }
  return TRUE;
}

/* The usual case: on the main connection. */
static gboolean
main_tx (PerchSqliteStore *self, PerchTxBody body, gpointer data, GError **error)
{
  return tx_run (self, self->db, self->stmts, body, data, error);
}

static GPtrArray *
string_array_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

/* Runs a one-column query with up to two text parameters into an array of
 * strings. */
static GPtrArray *
query_strings (PerchSqliteStore *self, const char *sql, const char *p1, const char *p2, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, sql, error);
  g_autoptr(GPtrArray) out = string_array_new ();
  int rc;

  if (stmt == NULL)
    return NULL;
  if (p1 != NULL)
    bind_text (stmt, 1, p1);
  if (p2 != NULL)
    bind_text (stmt, 2, p2);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* sqlite's LIMIT takes a signed 64-bit value. */
static sqlite3_int64
limit_value (guint limit)
{
  return (sqlite3_int64) limit;
}

/* ---- opening, migrating, closing --------------------------------------- */

static gboolean
exec (sqlite3 *db, const char *sql, GError **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "%s",
                   msg ? msg : sqlite3_errmsg (db));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

static gboolean
user_version (sqlite3 *db, int *version, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
    return set_db_error (db, error, "reading the schema version");
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *version = sqlite3_column_int (stmt, 0);
  else
    set_db_error (db, error, "reading the schema version");
  sqlite3_finalize (stmt);
  return rc == SQLITE_ROW;
}

static gboolean
migrate (sqlite3 *db, GError **error)
{
  const int latest = G_N_ELEMENTS (migrations);
  int version;

  if (!user_version (db, &version, error))
    return FALSE;
  if (version > latest)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED,
                   "the store has schema version %d, newer than this program's %d",
                   version, latest);
      return FALSE;
    }
  while (version < latest)
    {
      g_autofree char *bump = NULL;

      if (!exec (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      /* Re-read under the write lock: another process opening the same
       * store may have migrated it since we looked. */
      if (!user_version (db, &version, error))
        goto fail;
      if (version >= latest)
        return exec (db, "COMMIT", error);
      bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!exec (db, migrations[version], error) || !exec (db, bump, error)
          || !exec (db, "COMMIT", error))
        goto fail;
      version++;
    }
  return TRUE;

fail:
  g_prefix_error (error, "migrating the store to version %d: ", version + 1);
  if (!sqlite3_get_autocommit (db))
    exec (db, "ROLLBACK", NULL);
  return FALSE;
}

static sqlite3 *
open_connection (const char *path, GError **error)
{
  sqlite3 *db = NULL;
  /* NOMUTEX: each connection is used by one thread at a time (see the top
   * of this file), so sqlite's per-connection mutex would buy nothing. */
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  sqlite3_stmt *stmt = NULL;
  gboolean wal = FALSE;

  if (sqlite3_open_v2 (path, &db, flags, NULL) != SQLITE_OK)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "opening %s: %s", path,
                   db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close_v2 (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);

  /* synchronous=FULL: in WAL mode NORMAL may lose the last commits on power
   * loss, and an acknowledged post is a promise. */
  if (!exec (db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", error))
    goto fail;

  if (sqlite3_prepare_v2 (db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL) != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_db_error (db, error, "switching to WAL");
      sqlite3_finalize (stmt);
      goto fail;
    }
  wal = g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") == 0;
  sqlite3_finalize (stmt);
  if (!wal)
    {
      /* e.g. ":memory:", where two connections would be two databases */
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_FAILED,
                           "the store needs a file that supports WAL");
      goto fail;
    }
  return db;

fail:
  g_prefix_error (error, "%s: ", path);
  sqlite3_close_v2 (db);
  return NULL;
}

/* perch_casefold(text): Unicode case folding for room search, which
 * sqlite's own lower() and LIKE only do for ASCII. */
static char *
casefold (const char *s)
{
  if (g_utf8_validate (s, -1, NULL))
    return g_utf8_casefold (s, -1);
  return g_ascii_strdown (s, -1);
}

static void
sql_casefold (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
  const char *s = (const char *) sqlite3_value_text (argv[0]);

  if (s == NULL)
    {
      sqlite3_result_null (ctx);
      return;
    }
  sqlite3_result_text (ctx, casefold (s), -1, g_free);
}

static void
stmt_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static GHashTable *
stmt_cache_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL, stmt_finalize);
}

static void
sqlite_close (PerchStore *store)
{
  PerchSqliteStore *self = SELF (store);

  /* Statements first: sqlite3_close refuses while any are alive. */
  g_clear_pointer (&self->stmts, g_hash_table_unref);
  g_clear_pointer (&self->wstmts, g_hash_table_unref);
  if (self->db != NULL)
    {
      /* Keeps the planner's statistics current, cheaply, as sqlite advises
       * doing on close. */
      exec (self->db, "PRAGMA optimize", NULL);
      sqlite3_close_v2 (self->db);
    }
  if (self->wdb != NULL)
    sqlite3_close_v2 (self->wdb);
  g_free (self);
}

static const PerchStoreBackend sqlite_backend;

PerchStore *
perch_store_open_sqlite (const char *path, GError **error)
{
  g_autoptr(PerchStore) store = NULL;
  PerchSqliteStore *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_new0 (PerchSqliteStore, 1);
  self->parent.backend = &sqlite_backend;
  store = &self->parent;
  self->stmts = stmt_cache_new ();
  self->wstmts = stmt_cache_new ();

  self->db = open_connection (path, error);
  if (self->db == NULL)
    return NULL;
  if (!migrate (self->db, error))
    return NULL;
  /* The writer opens after migrating so that it never sees an old schema. */
  self->wdb = open_connection (path, error);
  if (self->wdb == NULL)
    return NULL;
  if (sqlite3_create_function (self->db, "perch_casefold", 1,
                               SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                               NULL, sql_casefold, NULL, NULL) != SQLITE_OK)
    {
      set_db_error (self->db, error, "registering functions");
      return NULL;
    }
  return g_steal_pointer (&store);
}

/* ---- config and prefs --------------------------------------------------- */

static char *
sqlite_config_get (PerchStore *store, const char *key)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT value FROM config WHERE key = ?1", &error);
  int rc;

  if (stmt == NULL)
    {
      g_warning ("store: %s", error->message);
      return NULL;
    }
  bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    g_warning ("store: reading config %s: %s", key, sqlite3_errmsg (self->db));
  return NULL;
}

static gboolean
sqlite_config_set (PerchStore *store, const char *key, const char *value, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  /* A NULL value unsets the key, so "NULL when unset" stays true. */
  const char *sql = value != NULL
    ? "INSERT INTO config (key, value) VALUES (?1, ?2)"
      " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    : "DELETE FROM config WHERE key = ?1";
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, key);
  if (value != NULL)
    bind_text (stmt, 2, value);
  return run (self->db, stmt, error, "writing config");
}

static char *
sqlite_pref_get (PerchStore *store, const char *user, const char *label)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT content FROM prefs WHERE user = ?1 AND label = ?2", &error);
  int rc;

  if (stmt == NULL)
    {
      g_warning ("store: %s", error->message);
      return NULL;
    }
  bind_text (stmt, 1, user);
  bind_text (stmt, 2, label);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return column_dup (stmt, 0);
  if (rc != SQLITE_DONE)
    g_warning ("store: reading a preference: %s", sqlite3_errmsg (self->db));
  return NULL;
}

static gboolean
sqlite_pref_set (PerchStore *store, const char *user, const char *label, const char *content, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  const char *sql = content != NULL
    ? "INSERT INTO prefs (user, label, content) VALUES (?1, ?2, ?3)"
      " ON CONFLICT (user, label) DO UPDATE SET content = excluded.content"
    : "DELETE FROM prefs WHERE user = ?1 AND label = ?2";
  g_autoptr(PerchSqlStmt) stmt = NULL;

  if (user == NULL || label == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "a preference needs a user and a label");
      return FALSE;
    }
  stmt = MAIN_STMT (self, sql, error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user);
  bind_text (stmt, 2, label);
  if (content != NULL)
    bind_text (stmt, 3, content);
  return run (self->db, stmt, error, "writing a preference");
}

/* ---- users and groups ---------------------------------------------------- */

static PerchUser *
user_from_row (sqlite3_stmt *stmt)
{
  PerchUser *user = g_new0 (PerchUser, 1);

  user->uri = column_dup (stmt, 0);
  user->display_name = column_dup (stmt, 1);
  user->ha1 = column_dup (stmt, 2);
  user->admin = sqlite3_column_int (stmt, 3) != 0;
  user->enabled = sqlite3_column_int (stmt, 4);
  return user;
}

#define USER_COLUMNS "uri, display_name, ha1, admin, enabled"

static gboolean
user_upsert (PerchSqliteStore *self, const PerchUser *user, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = NULL;

  if (user->uri == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a user needs a URI");
      return FALSE;
    }
  /* An upsert, not INSERT OR REPLACE: REPLACE deletes the old row first,
   * which would fire ON DELETE actions of anything that refers to users. */
  stmt = MAIN_STMT (self,
                    "INSERT INTO users (" USER_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)"
                    " ON CONFLICT (uri) DO UPDATE SET display_name = excluded.display_name,"
                    " ha1 = excluded.ha1, admin = excluded.admin, enabled = excluded.enabled",
                    error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user->uri);
  bind_text (stmt, 2, user->display_name);
  bind_text (stmt, 3, user->ha1);
  sqlite3_bind_int (stmt, 4, user->admin ? 1 : 0);
  sqlite3_bind_int (stmt, 5, CLAMP (user->enabled, -1, 1));
  return run (self->db, stmt, error, "writing a user");
}

static gboolean
sqlite_user_put (PerchStore *store, const PerchUser *user, GError **error)
{
  /* One statement: sqlite's own transaction around it is durable. */
  return user_upsert (SELF (store), user, error);
}

typedef struct {
  const PerchUser *const *users;
  guint                   n;
} UsersPut;

static gboolean
users_put_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const UsersPut *up = data;

  for (guint i = 0; i < up->n; i++)
    if (up->users[i] == NULL || !user_upsert (self, up->users[i], error))
      {
        if (up->users[i] == NULL)
          g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a user is missing");
        g_prefix_error (error, "user %u of %u: ", i, up->n);
        return FALSE;
      }
  return TRUE;
}

static gboolean
sqlite_users_put (PerchStore *store, const PerchUser *const *users, guint n, GError **error)
{
  UsersPut up = { users, n };

  if (n == 0)
    return TRUE;
  return main_tx (SELF (store), users_put_tx, &up, error);
}

static PerchUser *
sqlite_user_get (PerchStore *store, const char *uri)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT " USER_COLUMNS " FROM users WHERE uri = ?1", &error);
  int rc;

  if (stmt == NULL)
    {
      g_warning ("store: %s", error->message);
      return NULL;
    }
  bind_text (stmt, 1, uri);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return user_from_row (stmt);
  if (rc != SQLITE_DONE)
    g_warning ("store: reading user %s: %s", uri, sqlite3_errmsg (self->db));
  return NULL;
}

static GPtrArray *
sqlite_user_list (PerchStore *store, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT " USER_COLUMNS " FROM users ORDER BY uri", error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_user_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, user_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "listing users");
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
group_exists (PerchSqliteStore *self, const char *name, gboolean *exists, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT 1 FROM groups WHERE name = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self->db, error, "reading a group");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

typedef struct {
  const char        *name;
  const char *const *members;
} GroupPut;

static gboolean
group_put_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const GroupPut *gp = data;
  const char *name = gp->name;
  const char *const *members = gp->members;

  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "INSERT INTO groups (name) VALUES (?1) ON CONFLICT DO NOTHING", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, name);
    if (!run (self->db, stmt, error, "writing a group"))
      return FALSE;
  }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "DELETE FROM group_members WHERE group_name = ?1", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, name);
    if (!run (self->db, stmt, error, "writing a group"))
      return FALSE;
  }
  for (guint i = 0; members != NULL && members[i] != NULL; i++)
    {
      g_autoptr(PerchSqlStmt) stmt =
        MAIN_STMT (self, "INSERT INTO group_members (group_name, member) VALUES (?1, ?2)"
                         " ON CONFLICT DO NOTHING", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, name);
      bind_text (stmt, 2, members[i]);
      if (!run (self->db, stmt, error, "writing a group member"))
        return FALSE;
    }
  return TRUE;
}

static gboolean
sqlite_group_put (PerchStore *store, const char *name, const char *const *members, GError **error)
{
  GroupPut gp = { name, members };

  if (name == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a group needs a name");
      return FALSE;
    }
  return main_tx (SELF (store), group_put_tx, &gp, error);
}

static gboolean
sqlite_group_delete (PerchStore *store, const char *name, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "DELETE FROM groups WHERE name = ?1", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  if (!run (self->db, stmt, error, "deleting a group"))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no group named %s", name ? name : "(null)");
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
sqlite_group_list (PerchStore *store, GError **error)
{
  return query_strings (SELF (store), "SELECT name FROM groups ORDER BY name", NULL, NULL, error);
}

static GPtrArray *
sqlite_group_members (PerchStore *store, const char *name, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  gboolean exists = FALSE;

  if (name != NULL && !group_exists (self, name, &exists, error))
    return NULL;
  if (!exists)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no group named %s", name ? name : "(null)");
      return NULL;
    }
  return query_strings (self, "SELECT member FROM group_members WHERE group_name = ?1 ORDER BY rowid",
                        name, NULL, error);
}

/* ---- principal lists (of categories and rooms) --------------------------- */

/* A category's allowed/denied/creator lists and a room's member/manager/
 * presenter lists are stored alike, one (owner, kind, principal) row per
 * entry, so one piece of code reads and writes both; a PrincipalTable holds
 * what differs. An owner is named by the text of its id everywhere here
 * (that is what sqlite3_column_text gives for either column); a category's
 * is bound back as the integer it is. */
typedef struct {
  const char *kinds[3];       /* the kind of each of the owner's three lists, in order */
  gboolean    integer_owner;  /* the owner column holds integer ids */
  const char *delete_sql;     /* ?1 = owner */
  const char *insert_sql;     /* ?1 = owner, ?2 = kind, ?3 = principal */
  const char *select_sql;     /* (owner, kind, principal) of every owner, in insertion order */
  const char *select_one_sql; /* the same for owner ?1 */
  const char *writing;        /* for errors */
  const char *reading;
} PrincipalTable;

static const PrincipalTable category_principals = {
  .kinds = { "allowed", "denied", "creator" },
  .integer_owner = TRUE,
  .delete_sql = "DELETE FROM category_principals WHERE category_id = ?1",
  .insert_sql = "INSERT INTO category_principals (category_id, kind, principal)"
                " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
  .select_sql = "SELECT category_id, kind, principal FROM category_principals ORDER BY rowid",
  .select_one_sql = "SELECT category_id, kind, principal FROM category_principals"
                    " WHERE category_id = ?1 ORDER BY rowid",
  .writing = "writing a category's lists",
  .reading = "reading categories' lists",
};

static const PrincipalTable room_principals = {
  .kinds = { "member", "manager", "presenter" },
  .integer_owner = FALSE,
  .delete_sql = "DELETE FROM room_principals WHERE room_id = ?1",
  .insert_sql = "INSERT INTO room_principals (room_id, kind, principal)"
                " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
  .select_sql = "SELECT room_id, kind, principal FROM room_principals ORDER BY rowid",
  .select_one_sql = "SELECT room_id, kind, principal FROM room_principals WHERE room_id = ?1 ORDER BY rowid",
  .writing = "writing a room's lists",
  .reading = "reading rooms' lists",
};

static void
bind_owner (sqlite3_stmt *stmt, const PrincipalTable *table, const char *owner)
{
  if (table->integer_owner)
    sqlite3_bind_int64 (stmt, 1, g_ascii_strtoll (owner, NULL, 10));
  else
    bind_text (stmt, 1, owner);
}

/* Replaces OWNER's lists with LISTS (NULL entries: empty lists). */
static gboolean
principals_write (PerchSqliteStore *self, const PrincipalTable *table, const char *owner,
                  const GPtrArray *const lists[3], GError **error)
{
  {
    g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, table->delete_sql, error);
    if (stmt == NULL)
      return FALSE;
    bind_owner (stmt, table, owner);
    if (!run (self->db, stmt, error, table->writing))
      return FALSE;
  }
  for (guint k = 0; k < 3; k++)
    for (guint i = 0; lists[k] != NULL && i < lists[k]->len; i++)
      {
        g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, table->insert_sql, error);
        if (stmt == NULL)
          return FALSE;
        bind_owner (stmt, table, owner);
        bind_text (stmt, 2, table->kinds[k]);
        bind_text (stmt, 3, g_ptr_array_index (lists[k], i));
        if (!run (self->db, stmt, error, table->writing))
          return FALSE;
      }
  return TRUE;
}

/* Owners whose lists principals_read() fills: owner id as text -> its
 * three lists (GPtrArray *[3], borrowed), in the order of the kinds. */
static GHashTable *
owners_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
owners_add (GHashTable *owners, const char *owner, GPtrArray *l0, GPtrArray *l1, GPtrArray *l2)
{
  GPtrArray **lists = g_new (GPtrArray *, 3);

  lists[0] = l0;
  lists[1] = l1;
  lists[2] = l2;
  g_hash_table_insert (owners, g_strdup (owner), lists);
}

/* Appends to the lists in OWNERS their principals: ONLY's (by its index)
 * when given, else every owner's in one pass rather than one query each. */
static gboolean
principals_read (PerchSqliteStore *self, const PrincipalTable *table, const char *only,
                 GHashTable *owners, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, only != NULL ? table->select_one_sql : table->select_sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (only != NULL)
    bind_owner (stmt, table, only);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      GPtrArray **lists = g_hash_table_lookup (owners, sqlite3_column_text (stmt, 0));
      const char *kind = (const char *) sqlite3_column_text (stmt, 1);

      for (guint k = 0; lists != NULL && k < 3; k++)
        if (g_strcmp0 (kind, table->kinds[k]) == 0)
          g_ptr_array_add (lists[k], column_dup (stmt, 2));
    }
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, error, table->reading);
  return TRUE;
}

/* ---- categories ---------------------------------------------------------- */

static char *
category_owner (gint64 id)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, id);
}

static gboolean
category_exists (PerchSqliteStore *self, gint64 id, gboolean *exists, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT 1 FROM categories WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self->db, error, "reading a category");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
category_lists_write (PerchSqliteStore *self, const PerchCategory *cat, GError **error)
{
  g_autofree char *owner = category_owner (cat->id);
  const GPtrArray *const lists[3] = { cat->allowed, cat->denied, cat->creators };

  return principals_write (self, &category_principals, owner, lists, error);
}

static gboolean
name_taken_error (sqlite3 *db, GError **error, const char *what, const char *name)
{
  if (sqlite3_extended_errcode (db) == SQLITE_CONSTRAINT_UNIQUE)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT, "a %s named %s already exists", what, name);
      return FALSE;
    }
  return set_db_error (db, error, what);
}

static gboolean
category_create_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  PerchCategory *cat = data;

  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "INSERT INTO categories (name, description, file_upload, chat_history, invitations)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, cat->name);
    bind_text (stmt, 2, cat->description);
    sqlite3_bind_int (stmt, 3, cat->file_upload ? 1 : 0);
    sqlite3_bind_int (stmt, 4, cat->chat_history ? 1 : 0);
    sqlite3_bind_int (stmt, 5, cat->invitations ? 1 : 0);
    if (sqlite3_step (stmt) != SQLITE_DONE)
      return name_taken_error (self->db, error, "category", cat->name);
  }
  cat->id = sqlite3_last_insert_rowid (self->db);
  return category_lists_write (self, cat, error);
}

static gboolean
sqlite_category_create (PerchStore *store, PerchCategory *cat, GError **error)
{
  if (cat->name == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a category needs a name");
      return FALSE;
    }
  if (!main_tx (SELF (store), category_create_tx, cat, error))
    {
      cat->id = 0;
      return FALSE;
    }
  return TRUE;
}

static gboolean
category_update_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const PerchCategory *cat = data;

  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "UPDATE categories SET name = ?2, description = ?3, file_upload = ?4,"
                       " chat_history = ?5, invitations = ?6 WHERE id = ?1", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, cat->id);
    bind_text (stmt, 2, cat->name);
    bind_text (stmt, 3, cat->description);
    sqlite3_bind_int (stmt, 4, cat->file_upload ? 1 : 0);
    sqlite3_bind_int (stmt, 5, cat->chat_history ? 1 : 0);
    sqlite3_bind_int (stmt, 6, cat->invitations ? 1 : 0);
    if (sqlite3_step (stmt) != SQLITE_DONE)
      return name_taken_error (self->db, error, "category", cat->name);
  }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND,
                   "no category with id %" G_GINT64_FORMAT, cat->id);
      return FALSE;
    }
  return category_lists_write (self, cat, error);
}

static gboolean
sqlite_category_update (PerchStore *store, const PerchCategory *cat, GError **error)
{
  if (cat->name == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a category needs a name");
      return FALSE;
    }
  return main_tx (SELF (store), category_update_tx, (gpointer) cat, error);
}

static gboolean
category_delete_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  gint64 id = *(const gint64 *) data;
  gboolean exists = FALSE;

  if (!category_exists (self, id, &exists, error))
    return FALSE;
  if (!exists)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no category with id %" G_GINT64_FORMAT, id);
      return FALSE;
    }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "SELECT 1 FROM rooms WHERE category_id = ?1 LIMIT 1", error);
    int rc;
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      {
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT,
                     "category %" G_GINT64_FORMAT " still holds rooms", id);
        return FALSE;
      }
    if (rc != SQLITE_DONE)
      return set_db_error (self->db, error, "reading rooms");
  }
  {
    g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "DELETE FROM categories WHERE id = ?1", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, id);
    return run (self->db, stmt, error, "deleting a category");
  }
}

static gboolean
sqlite_category_delete (PerchStore *store, gint64 id, GError **error)
{
  return main_tx (SELF (store), category_delete_tx, &id, error);
}

static GPtrArray *
sqlite_category_list (PerchStore *store, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) perch_category_free);
  g_autoptr(GHashTable) owners = owners_new ();
  int rc;

  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "SELECT id, name, description, file_upload, chat_history, invitations"
                       " FROM categories ORDER BY name", error);
    if (stmt == NULL)
      return NULL;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        PerchCategory *cat = g_new0 (PerchCategory, 1);
        g_autofree char *owner = NULL;
        cat->id = sqlite3_column_int64 (stmt, 0);
        cat->name = column_dup (stmt, 1);
        cat->description = column_dup (stmt, 2);
        cat->file_upload = sqlite3_column_int (stmt, 3) != 0;
        cat->chat_history = sqlite3_column_int (stmt, 4) != 0;
        cat->invitations = sqlite3_column_int (stmt, 5) != 0;
        cat->allowed = string_array_new ();
        cat->denied = string_array_new ();
        cat->creators = string_array_new ();
        g_ptr_array_add (out, cat);
        owner = category_owner (cat->id);
        owners_add (owners, owner, cat->allowed, cat->denied, cat->creators);
      }
    if (rc != SQLITE_DONE)
      {
        set_db_error (self->db, error, "listing categories");
        return NULL;
      }
  }
  if (!principals_read (self, &category_principals, NULL, owners, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* ---- rooms --------------------------------------------------------------- */

/* What room_insert() filled in a room it was given. */
#define ROOM_MADE_ID 1
#define ROOM_MADE_TS 2

#define ROOM_COLUMNS \
  "id, name, description, category_id, privacy, type, disabled, addin, invitations, created_us"

static PerchRoomInfo *
room_from_row (sqlite3_stmt *stmt)
{
  PerchRoomInfo *room = g_new0 (PerchRoomInfo, 1);
  PerchPrivacy privacy = PERCH_PRIVACY_CLOSED;
  PerchRoomType type = PERCH_ROOM_NORMAL;

  room->id = column_dup (stmt, 0);
  room->name = column_dup (stmt, 1);
  room->description = column_dup (stmt, 2);
  room->category_id = sqlite3_column_int64 (stmt, 3);
  /* The CHECK constraints keep these parseable. */
  perch_privacy_from_string ((const char *) sqlite3_column_text (stmt, 4), &privacy);
  perch_room_type_from_string ((const char *) sqlite3_column_text (stmt, 5), &type);
  room->privacy = privacy;
  room->type = type;
  room->disabled = sqlite3_column_int (stmt, 6) != 0;
  room->addin = column_dup (stmt, 7);
  room->invitations = sqlite3_column_int (stmt, 8) != 0;
  room->created_us = sqlite3_column_int64 (stmt, 9);
  room->members = string_array_new ();
  room->managers = string_array_new ();
  room->presenters = string_array_new ();
  return room;
}

static gboolean
room_lists_write (PerchSqliteStore *self, const PerchRoomInfo *room, GError **error)
{
  const GPtrArray *const lists[3] = { room->members, room->managers, room->presenters };

  return principals_write (self, &room_principals, room->id, lists, error);
}

static void
room_owners_add (GHashTable *owners, PerchRoomInfo *room)
{
  owners_add (owners, room->id, room->members, room->managers, room->presenters);
}

static gboolean
room_check_fields (PerchSqliteStore *self, const PerchRoomInfo *room, GError **error)
{
  gboolean exists = FALSE;

  if (room->name == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a room needs a name");
      return FALSE;
    }
  if (room->privacy > PERCH_PRIVACY_SECRET || room->type > PERCH_ROOM_AUDITORIUM)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "bad room privacy or type");
      return FALSE;
    }
  /* The foreign key would refuse it too, but as FAILED; callers want to
   * tell the user the category does not exist. */
  if (!category_exists (self, room->category_id, &exists, error))
    return FALSE;
  if (!exists)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND,
                   "no category with id %" G_GINT64_FORMAT, room->category_id);
      return FALSE;
    }
  return TRUE;
}

/* Inserts ROOM (and its lists) inside the caller's transaction, filling
 * room->id when NULL and created_us when 0; *MADE says which it filled, so
 * that a caller whose transaction fails can leave ROOM as it was given. */
static gboolean
room_insert (PerchSqliteStore *self, PerchRoomInfo *room, guint *made, GError **error)
{
  *made = 0;
  if (!room_check_fields (self, room, error))
    return FALSE;
  if (room->id == NULL)
    {
      room->id = g_uuid_string_random ();
      *made |= ROOM_MADE_ID;
    }
  /* A given created_us is kept, so an import preserves it. */
  if (room->created_us == 0)
    {
      room->created_us = perch_now_us ();
      *made |= ROOM_MADE_TS;
    }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "INSERT INTO rooms (" ROOM_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                 error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, room->id);
    bind_text (stmt, 2, room->name);
    bind_text (stmt, 3, room->description);
    sqlite3_bind_int64 (stmt, 4, room->category_id);
    bind_text (stmt, 5, perch_privacy_to_string (room->privacy));
    bind_text (stmt, 6, perch_room_type_to_string (room->type));
    sqlite3_bind_int (stmt, 7, room->disabled ? 1 : 0);
    bind_text (stmt, 8, room->addin);
    sqlite3_bind_int (stmt, 9, room->invitations ? 1 : 0);
    sqlite3_bind_int64 (stmt, 10, room->created_us);
    if (sqlite3_step (stmt) != SQLITE_DONE)
      {
        if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
          {
            g_set_error (error, PERCH_ERROR, PERCH_ERROR_CONFLICT, "a room with id %s already exists", room->id);
            return FALSE;
          }
        return name_taken_error (self->db, error, "room", room->name);
      }
  }
  return room_lists_write (self, room, error);
}

/* Undoes what room_insert() filled in ROOM after its transaction failed. */
static void
room_unmake (PerchRoomInfo *room, guint made)
{
  if (made & ROOM_MADE_ID)
    g_clear_pointer (&room->id, g_free);
  if (made & ROOM_MADE_TS)
    room->created_us = 0;
}

/* Rooms to create in one transaction, and what room_insert() filled in
 * each of them so far. */
typedef struct {
  PerchRoomInfo **rooms;
  guint           n;
  guint          *made;   /* n entries */
} RoomsCreate;

static gboolean
rooms_create_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  RoomsCreate *rc = data;

  for (guint i = 0; i < rc->n; i++)
    if (!room_insert (self, rc->rooms[i], &rc->made[i], error))
      {
        if (rc->n > 1)
          g_prefix_error (error, "room %u of %u: ", i, rc->n);
        return FALSE;
      }
  return TRUE;
}

static gboolean
rooms_create (PerchSqliteStore *self, PerchRoomInfo **rooms, guint n, GError **error)
{
  g_autofree guint *made = g_new0 (guint, n);
  RoomsCreate rc = { rooms, n, made };

  if (main_tx (self, rooms_create_tx, &rc, error))
    return TRUE;
  /* Leave the caller's rooms as they were given: nothing was written. */
  for (guint i = 0; i < n; i++)
    room_unmake (rooms[i], made[i]);
  return FALSE;
}

static gboolean
sqlite_room_create (PerchStore *store, PerchRoomInfo *room, GError **error)
{
  return rooms_create (SELF (store), &room, 1, error);
}

static gboolean
sqlite_rooms_create (PerchStore *store, PerchRoomInfo **rooms, guint n, GError **error)
{
  if (n == 0)
    return TRUE;
  for (guint i = 0; i < n; i++)
    if (rooms == NULL || rooms[i] == NULL)
      {
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "room %u of %u is missing", i, n);
        return FALSE;
      }
  return rooms_create (SELF (store), rooms, n, error);
}

static gboolean
room_update_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const PerchRoomInfo *room = data;

  if (!room_check_fields (self, room, error))
    return FALSE;
  {
    /* created_us is when the room was made; an update keeps it. */
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "UPDATE rooms SET name = ?2, description = ?3, category_id = ?4, privacy = ?5,"
                       " type = ?6, disabled = ?7, addin = ?8, invitations = ?9 WHERE id = ?1", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, room->id);
    bind_text (stmt, 2, room->name);
    bind_text (stmt, 3, room->description);
    sqlite3_bind_int64 (stmt, 4, room->category_id);
    bind_text (stmt, 5, perch_privacy_to_string (room->privacy));
    bind_text (stmt, 6, perch_room_type_to_string (room->type));
    sqlite3_bind_int (stmt, 7, room->disabled ? 1 : 0);
    bind_text (stmt, 8, room->addin);
    sqlite3_bind_int (stmt, 9, room->invitations ? 1 : 0);
    if (sqlite3_step (stmt) != SQLITE_DONE)
      return name_taken_error (self->db, error, "room", room->name);
  }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with id %s", room->id);
      return FALSE;
    }
  return room_lists_write (self, room, error);
}

static gboolean
sqlite_room_update (PerchStore *store, const PerchRoomInfo *room, GError **error)
{
  if (room->id == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with a NULL id");
      return FALSE;
    }
  return main_tx (SELF (store), room_update_tx, (gpointer) room, error);
}

/* Runs SQL, which takes the room id as ?1, on the main connection. */
static gboolean
room_run (PerchSqliteStore *self, const char *sql, const char *room_id, const char *what, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, room_id);
  return run (self->db, stmt, error, what);
}

static gboolean
room_delete_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const char *room_id = data;

  /* Lists and invitations go by ON DELETE CASCADE. */
  if (!room_run (self, "DELETE FROM rooms WHERE id = ?1", room_id, "deleting a room", error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with id %s", room_id);
      return FALSE;
    }
  /* The statistics first, so that the triggers have no row to keep while
   * every message goes (see room_stats in the schema); then the messages,
   * which have no foreign key (see the schema), by hand; files are only
   * marked: their bytes stay until compliance has them. */
  return room_run (self, "DELETE FROM room_stats WHERE room_id = ?1", room_id,
                   "deleting a room's statistics", error)
         && room_run (self, "DELETE FROM messages WHERE room_id = ?1", room_id,
                      "deleting a room's messages", error)
         && room_run (self, "UPDATE files SET state = 'deleted' WHERE room_id = ?1", room_id,
                      "marking a room's files deleted", error);
}

static gboolean
sqlite_room_delete (PerchStore *store, const char *room_id, GError **error)
{
  if (room_id == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with a NULL id");
      return FALSE;
    }
  return main_tx (SELF (store), room_delete_tx, (gpointer) room_id, error);
}

/* By name as the column's NOCASE collation orders them (ASCII letters
 * folded, every other byte compared as it is); names are unique under it. */
static int
compare_rooms_nocase (gconstpointer a, gconstpointer b)
{
  const PerchRoomInfo *x = *(PerchRoomInfo *const *) a, *y = *(PerchRoomInfo *const *) b;
  return g_ascii_strcasecmp (x->name, y->name);
}

static GPtrArray *
sqlite_room_list (PerchStore *store, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) perch_room_info_free);
  g_autoptr(GHashTable) owners = owners_new ();
  int rc;

  {
    /* In table order, sorted here: ORDER BY name would read the rows in
     * the name index's order, one random page each (100,000 rooms: 94,000
     * reads of a page sqlite's cache no longer holds). */
    g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT " ROOM_COLUMNS " FROM rooms", error);
    if (stmt == NULL)
      return NULL;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        PerchRoomInfo *room = room_from_row (stmt);
        g_ptr_array_add (out, room);
        room_owners_add (owners, room);
      }
    if (rc != SQLITE_DONE)
      {
        set_db_error (self->db, error, "listing rooms");
        return NULL;
      }
  }
  if (!principals_read (self, &room_principals, NULL, owners, error))
    return NULL;
  g_ptr_array_sort (out, compare_rooms_nocase);
  return g_steal_pointer (&out);
}

static PerchRoomInfo *
sqlite_room_get (PerchStore *store, const char *room_id, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchRoomInfo) room = NULL;
  int rc;

  if (room_id == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with a NULL id");
      return NULL;
    }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "SELECT " ROOM_COLUMNS " FROM rooms WHERE id = ?1", error);
    if (stmt == NULL)
      return NULL;
    bind_text (stmt, 1, room_id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      {
        g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with id %s", room_id);
        return NULL;
      }
    if (rc != SQLITE_ROW)
      {
        set_db_error (self->db, error, "reading a room");
        return NULL;
      }
    room = room_from_row (stmt);
  }
  {
    g_autoptr(GHashTable) owners = owners_new ();
    room_owners_add (owners, room);
    if (!principals_read (self, &room_principals, room->id, owners, error))
      return NULL;
  }
  return g_steal_pointer (&room);
}

static GPtrArray *
sqlite_room_search (PerchStore *store, const char *text, guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autofree char *folded = casefold (text != NULL ? text : "");
  /* instr() rather than LIKE: the user's text is matched as plain text, so
   * %, _ and \ need no escaping, and folding covers more than ASCII. */
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT id FROM rooms"
                     " WHERE instr(perch_casefold(name), ?1) > 0"
                     " OR instr(perch_casefold(ifnull(description, '')), ?1) > 0"
                     " ORDER BY name LIMIT ?2", error);
  g_autoptr(GPtrArray) out = string_array_new ();
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, folded);
  sqlite3_bind_int64 (stmt, 2, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, column_dup (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "searching rooms");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- the write path (committer thread) ------------------------------------ */

/* Appends a compliance event on DB (either connection), giving its id. */
static gboolean
insert_event (sqlite3 *db, GHashTable *cache, PerchEventType type, const char *room_id, const char *user,
              gint64 ts_us, const char *content, gint64 msg_id, gint64 *event_id, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt =
    prepare (db, cache, "INSERT INTO events (type, room_id, user, ts_us, content, msg_id)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, perch_event_type_to_string (type));
  bind_text (stmt, 2, room_id);
  bind_text (stmt, 3, user);
  sqlite3_bind_int64 (stmt, 4, ts_us);
  bind_text (stmt, 5, content);
  if (msg_id != 0)
    sqlite3_bind_int64 (stmt, 6, msg_id);
  else
    sqlite3_bind_null (stmt, 6);
  if (!run (db, stmt, error, "storing an event"))
    return FALSE;
  if (event_id != NULL)
    *event_id = sqlite3_last_insert_rowid (db);
  return TRUE;
}

static gboolean
write_one (PerchSqliteStore *self, PerchWrite *w, GError **error)
{
  if (perch_event_type_to_string (w->type) == NULL)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "unknown event type %d", (int) w->type);
      return FALSE;
    }
  if (w->ts_us == 0)
    w->ts_us = perch_now_us ();

  if (w->type == PERCH_EVENT_CHAT && w->store_message)
    {
      g_autoptr(PerchSqlStmt) stmt =
        prepare (self->wdb, self->wstmts,
                 "INSERT INTO messages (room_id, author, ts_us, content, state) VALUES (?1, ?2, ?3, ?4, 0)",
                 error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, w->room_id);
      bind_text (stmt, 2, w->user);
      sqlite3_bind_int64 (stmt, 3, w->ts_us);
      bind_text (stmt, 4, w->content);
      if (!run (self->wdb, stmt, error, "storing a message"))
        return FALSE;
      w->msg_id = sqlite3_last_insert_rowid (self->wdb);
    }
  return insert_event (self->wdb, self->wstmts, w->type, w->room_id, w->user, w->ts_us, w->content,
                       w->msg_id, &w->event_id, error);
}

typedef struct {
  PerchWrite **writes;
  guint        n;
} WriteBatch;

static gboolean
write_batch_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const WriteBatch *wb = data;

  for (guint i = 0; i < wb->n; i++)
    if (!write_one (self, wb->writes[i], error))
      return FALSE;
  return TRUE;
}

/* On the committer's connection. */
static gboolean
write_batch (PerchSqliteStore *self, PerchWrite **writes, guint n_writes, GError **error)
{
  WriteBatch wb = { writes, n_writes };

  if (tx_run (self, self->wdb, self->wstmts, write_batch_tx, &wb, error))
    return TRUE;
  /* Nothing was written, so no id may be believed. */
  for (guint i = 0; i < n_writes; i++)
    writes[i]->msg_id = writes[i]->event_id = 0;
  return FALSE;
}

static gboolean
sqlite_write (PerchStore *store, PerchWrite **writes, guint n_writes, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  gboolean ok;

  for (guint i = 0; i < n_writes; i++)
    writes[i]->msg_id = writes[i]->event_id = 0;
  if (n_writes == 0)
    return TRUE;
  /* wdb is opened NOMUTEX: two threads writing at once would corrupt the
   * connection, so refuse loudly instead (a caller bypassing the
   * committer while it runs). */
  if (!g_atomic_int_compare_and_exchange (&self->writing, 0, 1))
    {
      g_critical ("perch_store_write called concurrently; only the committer may write");
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_FAILED, "concurrent store write");
      return FALSE;
    }
  ok = write_batch (self, writes, n_writes, error);
  g_atomic_int_set (&self->writing, 0);
  return ok;
}

/* ---- history and message search -------------------------------------------- */

#define MESSAGE_COLUMNS "m.id, m.room_id, m.author, m.ts_us, m.content, m.state"

static PerchMessage *
message_from_row (sqlite3_stmt *stmt)
{
  PerchMessage *msg = g_new0 (PerchMessage, 1);

  msg->id = sqlite3_column_int64 (stmt, 0);
  msg->room_id = column_dup (stmt, 1);
  msg->author = column_dup (stmt, 2);
  msg->ts_us = sqlite3_column_int64 (stmt, 3);
  msg->content = column_dup (stmt, 4);
  msg->state = (PerchMessageState) sqlite3_column_int (stmt, 5);
  return msg;
}

static GPtrArray *
sqlite_history (PerchStore *store, const char *room_id, gint64 before_id, guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  /* Newest first so LIMIT keeps the newest, walking the (room_id, id)
   * index backwards; reversed below. */
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT " MESSAGE_COLUMNS " FROM messages AS m"
                     " WHERE m.room_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3", error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
  bind_text (stmt, 1, room_id);
  sqlite3_bind_int64 (stmt, 2, before_id > 0 ? before_id : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 3, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, message_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading history");
      return NULL;
    }
  for (guint i = 0, j = out->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = out->pdata[i];
      out->pdata[i] = out->pdata[j - 1];
      out->pdata[j - 1] = tmp;
    }
  return g_steal_pointer (&out);
}

/* TRUE when WORD holds something the unicode61 tokenizer indexes. A phrase
 * with no tokens ("*", "%") matches nothing in FTS5, which would make a
 * whole AND query fail, so such words are dropped. */
static gboolean
has_token_chars (const char *word)
{
  if (!g_utf8_validate (word, -1, NULL))
    return TRUE;
  for (const char *p = word; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (g_unichar_isalnum (c) || g_unichar_ismark (c)
          || g_unichar_type (c) == G_UNICODE_PRIVATE_USE)
        return TRUE;
    }
  return FALSE;
}

/* Turns the user's words into an FTS5 query in which every word is a quoted
 * string, so nothing the user types is read as FTS5 syntax (AND, OR, NOT,
 * NEAR, *, ^, column filters...). NULL when no word is searchable. */
static char *
fts_query_from_words (const char *text)
{
  g_autoptr(GString) q = g_string_new (NULL);
  g_auto(GStrv) words = g_strsplit_set (text, " \t\r\n\f\v", -1);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0' || !has_token_chars (words[i]))
        continue;
      if (q->len > 0)
        g_string_append (q, " AND ");
      g_string_append_c (q, '"');
      for (const char *p = words[i]; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (q, '"');
          g_string_append_c (q, *p);
        }
      g_string_append_c (q, '"');
    }
  if (q->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&q), FALSE);
}

static GPtrArray *
sqlite_message_search (PerchStore *store, const char *room_id, const char *query, guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autofree char *match = fts_query_from_words (query != NULL ? query : "");
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
  g_autoptr(PerchSqlStmt) stmt = NULL;
  int rc;

  if (match == NULL)
    return g_steal_pointer (&out);
  /* Ordered by rowid, which FTS5 serves from the index without ranking
   * (ranking a common word over millions of rows is slow). Removed
   * messages are not findable by the words they no longer show. */
  stmt = MAIN_STMT (self, "SELECT " MESSAGE_COLUMNS " FROM messages_fts AS f"
                          " JOIN messages AS m ON m.id = f.rowid"
                          " WHERE messages_fts MATCH ?1 AND (?2 IS NULL OR m.room_id = ?2)"
                          " AND m.state <> 2"
                          " ORDER BY f.rowid DESC LIMIT ?3", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, match);
  bind_text (stmt, 2, room_id);
  sqlite3_bind_int64 (stmt, 3, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, message_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "searching messages");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- invitations ------------------------------------------------------------- */

static gboolean
sqlite_invitation_add (PerchStore *store, const char *user, const char *room_id, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "INSERT INTO invitations (user, room_id, seen, created_us) VALUES (?1, ?2, 0, ?3)"
                     " ON CONFLICT (user, room_id) WHERE seen = 0 DO NOTHING", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, user);
  bind_text (stmt, 2, room_id);
  sqlite3_bind_int64 (stmt, 3, perch_now_us ());
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      if (sqlite3_extended_errcode (self->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with id %s", room_id);
          return FALSE;
        }
      return set_db_error (self->db, error, "adding an invitation");
    }
  return TRUE;
}

typedef struct {
  const char *user;
  GPtrArray  *out;    /* the room ids taken */
} InvitationsTake;

static gboolean
invitations_take_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  InvitationsTake *it = data;

  it->out = query_strings (self, "SELECT room_id FROM invitations WHERE user = ?1 AND seen = 0 ORDER BY id",
                           it->user, NULL, error);
  if (it->out == NULL)
    return FALSE;
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "UPDATE invitations SET seen = 1 WHERE user = ?1 AND seen = 0", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, it->user);
    return run (self->db, stmt, error, "marking invitations seen");
  }
}

static GPtrArray *
sqlite_invitations_take (PerchStore *store, const char *user, GError **error)
{
  InvitationsTake it = { user, NULL };

  if (!main_tx (SELF (store), invitations_take_tx, &it, error))
    {
      g_clear_pointer (&it.out, g_ptr_array_unref);
      return NULL;
    }
  return it.out;
}

/* ---- the compliance outbox ------------------------------------------------------ */

static gboolean
event_type_from_string (const char *s, PerchEventType *out)
{
  for (int t = PERCH_EVENT_JOIN; t <= PERCH_EVENT_CLEAR; t++)
    if (s != NULL && strcmp (s, perch_event_type_to_string (t)) == 0)
      {
        *out = (PerchEventType) t;
        return TRUE;
      }
  return FALSE;
}

static GPtrArray *
sqlite_events_pending (PerchStore *store, gint64 after_id, guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT id, type, room_id, user, ts_us, content, ifnull(msg_id, 0)"
                     " FROM events WHERE id > ?1 ORDER BY id LIMIT ?2", error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_event_free);
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PerchEvent *ev = g_new0 (PerchEvent, 1);
      ev->id = sqlite3_column_int64 (stmt, 0);
      if (!event_type_from_string ((const char *) sqlite3_column_text (stmt, 1), &ev->type))
        {
          /* Only a newer program writes types we do not know. */
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED,
                       "event %" G_GINT64_FORMAT " has an unknown type %s", ev->id,
                       (const char *) sqlite3_column_text (stmt, 1));
          perch_event_free (ev);
          return NULL;
        }
      ev->room_id = column_dup (stmt, 2);
      ev->user = column_dup (stmt, 3);
      ev->ts_us = sqlite3_column_int64 (stmt, 4);
      ev->content = column_dup (stmt, 5);
      ev->msg_id = sqlite3_column_int64 (stmt, 6);
      g_ptr_array_add (out, ev);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading events");
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
sqlite_events_delete_upto (PerchStore *store, gint64 id, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "DELETE FROM events WHERE id <= ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return run (self->db, stmt, error, "deleting events");
}

static gint64
sqlite_events_count (PerchStore *store)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(GError) error = NULL;
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT count(*) FROM events", &error);

  if (stmt == NULL)
    {
      g_warning ("store: %s", error->message);
      return -1;
    }
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_warning ("store: counting events: %s", sqlite3_errmsg (self->db));
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

/* ---- administration ------------------------------------------------------------ */

static gboolean
room_exists (PerchSqliteStore *self, const char *room_id, gboolean *exists, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT 1 FROM rooms WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, room_id);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_db_error (self->db, error, "reading a room");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

/* NOT_FOUND unless ROOM_ID names a room. */
static gboolean
room_must_exist (PerchSqliteStore *self, const char *room_id, GError **error)
{
  gboolean exists = FALSE;

  if (!room_exists (self, room_id, &exists, error))
    return FALSE;
  if (!exists)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no room with id %s", room_id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
user_delete_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const char *uri = data;
  /* What belongs to the user alone goes with it; their messages stay (they
   * are the room's), and so do room and category lists naming them. */
  static const char *const more[] = {
    "DELETE FROM group_members WHERE member = ?1",
    "DELETE FROM prefs WHERE user = ?1",
    "DELETE FROM invitations WHERE user = ?1",
  };

  {
    g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "DELETE FROM users WHERE uri = ?1", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, uri);
    if (!run (self->db, stmt, error, "deleting a user"))
      return FALSE;
  }
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no user %s", uri);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (more); i++)
    {
      g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, more[i], error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, uri);
      if (!run (self->db, stmt, error, "deleting a user"))
        return FALSE;
    }
  return TRUE;
}

static gboolean
sqlite_user_delete (PerchStore *store, const char *uri, GError **error)
{
  if (uri == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no user with a NULL URI");
      return FALSE;
    }
  return main_tx (SELF (store), user_delete_tx, (gpointer) uri, error);
}

/* A PerchMessageFilter's keywords, prepared once for every message. */
typedef struct {
  PerchMatchMode mode;
  gboolean       fold;    /* compare casefolded */
  GStrv          words;   /* folded when FOLD; NULL: any content matches */
  char          *joined;  /* the words joined by single spaces, for EXACT */
} KeywordMatch;

static void
keyword_match_init (KeywordMatch *km, const PerchMessageFilter *filter)
{
  GStrvBuilder *b = g_strv_builder_new ();

  km->mode = filter->mode;
  km->fold = !filter->match_case;
  km->joined = NULL;
  for (guint i = 0; filter->keywords != NULL && filter->keywords[i] != NULL; i++)
    {
      g_autofree char *folded = km->fold ? casefold (filter->keywords[i]) : NULL;
      g_strv_builder_add (b, km->fold ? folded : filter->keywords[i]);
    }
  km->words = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  if (km->words[0] == NULL)
    g_clear_pointer (&km->words, g_strfreev);
  else
    km->joined = g_strjoinv (" ", km->words);
}

static void
keyword_match_clear (KeywordMatch *km)
{
  g_clear_pointer (&km->words, g_strfreev);
  g_clear_pointer (&km->joined, g_free);
}

static gboolean
keyword_match (const KeywordMatch *km, const char *content)
{
  g_autofree char *folded = NULL;

  if (km->words == NULL)
    return TRUE;
  if (content == NULL)
    content = "";
  if (km->fold)
    content = folded = casefold (content);
  switch (km->mode)
    {
    case PERCH_MATCH_EXACT:
      return strcmp (content, km->joined) == 0;
    case PERCH_MATCH_ANY:
      for (guint i = 0; km->words[i] != NULL; i++)
        if (strstr (content, km->words[i]) != NULL)
          return TRUE;
      return FALSE;
    case PERCH_MATCH_ALL:
    default:
      for (guint i = 0; km->words[i] != NULL; i++)
        if (strstr (content, km->words[i]) == NULL)
          return FALSE;
      return TRUE;
    }
}

/* "[1,2,3]", for json_each(): a list of ids as one bound parameter. */
static char *
ids_json (const GArray *ids)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", g_array_index (ids, gint64, i));
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Appends to OUT, oldest first, the ids of the messages FILTER matches
 * that are not removed: the room, author, dates and ids in SQL, the
 * keywords (Unicode casefolding, substrings) here. */
static gboolean
messages_matching (PerchSqliteStore *self, const PerchMessageFilter *filter, GArray *out, GError **error)
{
#define CANDIDATES_WHERE \
  " m.room_id = ?1 AND m.state <> 2 AND (?2 IS NULL OR m.author = ?2) AND m.ts_us BETWEEN ?3 AND ?4"
  /* With ids, from the primary key; without, along the (room_id, id) index. */
  const char *sql = filter->ids != NULL
    ? "SELECT m.id, m.content FROM messages AS m"
      " WHERE m.id IN (SELECT value FROM json_each(?5)) AND" CANDIDATES_WHERE " ORDER BY m.id"
    : "SELECT m.id, m.content FROM messages AS m WHERE" CANDIDATES_WHERE " ORDER BY m.id";
#undef CANDIDATES_WHERE
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, sql, error);
  g_autofree char *ids = NULL;
  KeywordMatch km;
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, filter->room_id);
  bind_text (stmt, 2, filter->author);
  sqlite3_bind_int64 (stmt, 3, filter->from_us != 0 ? filter->from_us : G_MININT64);
  sqlite3_bind_int64 (stmt, 4, filter->to_us != 0 ? filter->to_us : G_MAXINT64);
  if (filter->ids != NULL)
    {
      ids = ids_json (filter->ids);
      bind_text (stmt, 5, ids);
    }
  keyword_match_init (&km, filter);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (keyword_match (&km, (const char *) sqlite3_column_text (stmt, 1)))
      {
        gint64 id = sqlite3_column_int64 (stmt, 0);
        g_array_append_val (out, id);
      }
  keyword_match_clear (&km);
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, error, "selecting messages");
  return TRUE;
}

typedef struct {
  const PerchMessageFilter *filter;
  const char               *replacement;
  const char               *actor;
  GArray                   *changed;   /* ids, filled */
} MessagesChange;

static gboolean
messages_change_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  MessagesChange *mc = data;
  const PerchMessageFilter *filter = mc->filter;
  PerchEventType type = mc->replacement != NULL ? PERCH_EVENT_REPLACE : PERCH_EVENT_REMOVE;
  gint64 now = perch_now_us ();

  if (!room_must_exist (self, filter->room_id, error)
      || !messages_matching (self, filter, mc->changed, error))
    return FALSE;
  for (guint i = 0; i < mc->changed->len; i++)
    {
      gint64 id = g_array_index (mc->changed, gint64, i);
      g_autoptr(PerchSqlStmt) stmt =
        MAIN_STMT (self, "UPDATE messages SET state = ?2, content = ?3 WHERE id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      /* FTS and room_stats follow by their triggers. */
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int (stmt, 2, mc->replacement != NULL ? PERCH_MSG_REPLACED : PERCH_MSG_REMOVED);
      bind_text (stmt, 3, mc->replacement != NULL ? mc->replacement : "");
      if (!run (self->db, stmt, error, "changing a message"))
        return FALSE;
      if (!insert_event (self->db, self->stmts, type, filter->room_id, mc->actor, now, mc->replacement, id, NULL,
                         error))
        return FALSE;
    }
  return TRUE;
}

static GArray *
sqlite_messages_change (PerchStore *store, const PerchMessageFilter *filter, const char *replacement,
                        const char *actor, GError **error)
{
  g_autoptr(GArray) changed = g_array_new (FALSE, FALSE, sizeof (gint64));
  MessagesChange mc = { filter, replacement, actor, changed };

  if (filter == NULL || filter->room_id == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "removing messages needs a room");
      return NULL;
    }
  if ((guint) filter->mode > PERCH_MATCH_EXACT)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "unknown keyword match mode %d", (int) filter->mode);
      return NULL;
    }
  /* One transaction from the selection on: a post committed meanwhile
   * either is seen whole or waits. */
  if (!main_tx (SELF (store), messages_change_tx, &mc, error))
    return NULL;
  return g_steal_pointer (&changed);
}

typedef struct {
  const char *room_id;
  gint64      up_to_us;
  const char *actor;
  gint64      n;        /* messages deleted, filled */
} RoomClear;

static gboolean
room_clear_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  RoomClear *rc = data;
  g_autofree char *content = NULL;
  g_autofree char *up_to = NULL;

  if (!room_must_exist (self, rc->room_id, error))
    return FALSE;
  {
    /* When every message goes, the stats row goes first, so that the
     * delete trigger has nothing to recompute message by message. When
     * some survive, they are newer than up_to, so last_post_us stays. */
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "DELETE FROM room_stats WHERE room_id = ?1 AND last_post_us <= ?2", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, rc->room_id);
    sqlite3_bind_int64 (stmt, 2, rc->up_to_us);
    if (!run (self->db, stmt, error, "clearing a room"))
      return FALSE;
  }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "DELETE FROM messages WHERE room_id = ?1 AND ts_us <= ?2", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, rc->room_id);
    sqlite3_bind_int64 (stmt, 2, rc->up_to_us);
    if (!run (self->db, stmt, error, "clearing a room"))
      return FALSE;
    /* Only the statement's own rows, not its triggers'. */
    rc->n = sqlite3_changes64 (self->db);
  }
  up_to = perch_format_ts (rc->up_to_us);
  content = g_strdup_printf ("up to %s: %" G_GINT64_FORMAT " messages", up_to, rc->n);
  return insert_event (self->db, self->stmts, PERCH_EVENT_CLEAR, rc->room_id, rc->actor, perch_now_us (), content,
                       0, NULL, error);
}

static gint64
sqlite_room_clear (PerchStore *store, const char *room_id, gint64 up_to_us, const char *actor, GError **error)
{
  RoomClear rc = { room_id, up_to_us, actor, 0 };

  if (room_id == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "clearing needs a room");
      return -1;
    }
  if (!main_tx (SELF (store), room_clear_tx, &rc, error))
    return -1;
  return rc.n;
}

static GHashTable *
sqlite_room_stats (PerchStore *store, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT room_id, messages, bytes, last_post_us FROM room_stats", error);
  g_autoptr(GHashTable) out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PerchRoomStats *st = g_new0 (PerchRoomStats, 1);
      st->messages = sqlite3_column_int64 (stmt, 1);
      st->bytes = sqlite3_column_int64 (stmt, 2);
      st->last_post_us = sqlite3_column_int64 (stmt, 3);
      g_hash_table_insert (out, column_dup (stmt, 0), st);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading room statistics");
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
sqlite_addin_put (PerchStore *store, const PerchAddin *addin, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt = NULL;

  if (addin->name == NULL || addin->name[0] == '\0')
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "an add-in needs a name");
      return FALSE;
    }
  if (addin->url == NULL
      || (g_ascii_strncasecmp (addin->url, "http://", 7) != 0 && g_ascii_strncasecmp (addin->url, "https://", 8) != 0))
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "add-in %s needs an http:// or https:// URL",
                   addin->name);
      return FALSE;
    }
  stmt = MAIN_STMT (self, "INSERT INTO addins (name, url) VALUES (?1, ?2)"
                          " ON CONFLICT (name) DO UPDATE SET url = excluded.url", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, addin->name);
  bind_text (stmt, 2, addin->url);
  return run (self->db, stmt, error, "writing an add-in");
}

static gboolean
sqlite_addin_delete (PerchStore *store, const char *name, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "DELETE FROM addins WHERE name = ?1", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  if (!run (self->db, stmt, error, "deleting an add-in"))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no add-in named %s", name ? name : "(null)");
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
sqlite_addin_list (PerchStore *store, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT name, url FROM addins ORDER BY name", error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_addin_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PerchAddin *addin = g_new0 (PerchAddin, 1);
      addin->name = column_dup (stmt, 0);
      addin->url = column_dup (stmt, 1);
      g_ptr_array_add (out, addin);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "listing add-ins");
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
sqlite_audit_add (PerchStore *store, const char *actor, const char *action, const char *target,
                  const char *detail, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt = NULL;

  if (actor == NULL || action == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "an audit entry needs an actor and an action");
      return FALSE;
    }
  stmt = MAIN_STMT (self, "INSERT INTO audit (ts_us, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                    error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, perch_now_us ());
  bind_text (stmt, 2, actor);
  bind_text (stmt, 3, action);
  bind_text (stmt, 4, target);
  bind_text (stmt, 5, detail);
  return run (self->db, stmt, error, "writing the audit log");
}

static GPtrArray *
sqlite_audit_list (PerchStore *store, gint64 before_id, guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT id, ts_us, actor, action, target, detail FROM audit"
                     " WHERE id < ?1 ORDER BY id DESC LIMIT ?2", error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_audit_entry_free);
  sqlite3_bind_int64 (stmt, 1, before_id > 0 ? before_id : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 2, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      PerchAuditEntry *e = g_new0 (PerchAuditEntry, 1);
      e->id = sqlite3_column_int64 (stmt, 0);
      e->ts_us = sqlite3_column_int64 (stmt, 1);
      e->actor = column_dup (stmt, 2);
      e->action = column_dup (stmt, 3);
      e->target = column_dup (stmt, 4);
      e->detail = column_dup (stmt, 5);
      g_ptr_array_add (out, e);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading the audit log");
      return NULL;
    }
  return g_steal_pointer (&out);
}

static gboolean
import_check (PerchMessage **messages, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      const PerchMessage *m = messages[i];
      if (m == NULL || m->room_id == NULL || m->author == NULL || m->content == NULL)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                       "imported message %u needs a room, an author and content", i);
          return FALSE;
        }
      if ((guint) m->state > PERCH_MSG_REMOVED)
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                       "imported message %u has an unknown state %d", i, (int) m->state);
          return FALSE;
        }
    }
  return TRUE;
}

typedef struct {
  PerchMessage **messages;
  guint          n;
} ImportMessages;

static gboolean
import_messages_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const ImportMessages *im = data;
  const char *known_room = NULL;  /* the last room found to exist */

  for (guint i = 0; i < im->n; i++)
    {
      PerchMessage *m = im->messages[i];
      g_autoptr(PerchSqlStmt) stmt = NULL;

      /* Messages have no foreign key to rooms (see the schema); an import
       * must not leave any that belong nowhere. Imports come room by room,
       * so one lookup per run of a room. */
      if (known_room == NULL || strcmp (known_room, m->room_id) != 0)
        {
          if (!room_must_exist (self, m->room_id, error))
            return FALSE;
          known_room = m->room_id;
        }
      stmt = MAIN_STMT (self, "INSERT INTO messages (room_id, author, ts_us, content, state)"
                              " VALUES (?1, ?2, ?3, ?4, ?5)", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, m->room_id);
      bind_text (stmt, 2, m->author);
      sqlite3_bind_int64 (stmt, 3, m->ts_us);
      bind_text (stmt, 4, m->content);
      sqlite3_bind_int (stmt, 5, m->state);
      if (!run (self->db, stmt, error, "importing a message"))
        return FALSE;
      m->id = sqlite3_last_insert_rowid (self->db);
    }
  return TRUE;
}

static gboolean
sqlite_import_messages (PerchStore *store, PerchMessage **messages, guint n, GError **error)
{
  ImportMessages im = { messages, n };

  if (n == 0)
    return TRUE;
  if (messages == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "no messages to import");
      return FALSE;
    }
  if (!import_check (messages, n, error))
    return FALSE;
  if (!main_tx (SELF (store), import_messages_tx, &im, error))
    {
      /* Nothing was written, so no id may be believed. */
      for (guint i = 0; i < n; i++)
        messages[i]->id = 0;
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
sqlite_messages_range (PerchStore *store, const char *room_id, gint64 after_id, gint64 from_us, gint64 to_us,
                       guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  /* Forward along the (room_id, id) index; the times only filter. */
  g_autoptr(PerchSqlStmt) stmt = NULL;
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (room_id == NULL)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST, "a message range needs a room");
      return NULL;
    }
  stmt = MAIN_STMT (self, "SELECT " MESSAGE_COLUMNS " FROM messages AS m"
                          " WHERE m.room_id = ?1 AND m.id > ?2 AND m.ts_us BETWEEN ?3 AND ?4"
                          " ORDER BY m.id LIMIT ?5", error);
  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_message_free);
  bind_text (stmt, 1, room_id);
  sqlite3_bind_int64 (stmt, 2, after_id);
  sqlite3_bind_int64 (stmt, 3, from_us != 0 ? from_us : G_MININT64);
  sqlite3_bind_int64 (stmt, 4, to_us != 0 ? to_us : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 5, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, message_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading messages");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- the compliance service ------------------------------------------------------ */

static PerchStore *
sqlite_open_again (PerchStore *store, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  const char *path = sqlite3_db_filename (self->db, "main");

  if (path == NULL || *path == '\0')
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_FAILED, "the store has no file to open again");
      return NULL;
    }
  return perch_store_open_sqlite (path, error);
}

static gboolean
sqlite_events_summary (PerchStore *store, gint64 *counts, gint64 *oldest_us, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  int rc;

  memset (counts, 0, sizeof (gint64) * (PERCH_EVENT_CLEAR + 1));
  {
    g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT type, n FROM event_counts", error);
    if (stmt == NULL)
      return FALSE;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        PerchEventType type;
        gint64 n = sqlite3_column_int64 (stmt, 1);
        if (event_type_from_string ((const char *) sqlite3_column_text (stmt, 0), &type))
          counts[type] = n;
        counts[0] += n;
      }
    if (rc != SQLITE_DONE)
      return set_db_error (self->db, error, "counting events");
  }
  if (oldest_us != NULL)
    {
      /* The oldest pending event is the first by id: ids follow commits. */
      g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "SELECT ts_us FROM events ORDER BY id LIMIT 1", error);
      if (stmt == NULL)
        return FALSE;
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return set_db_error (self->db, error, "reading the oldest event");
      *oldest_us = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    }
  return TRUE;
}

/* Old runs are kept for the status page, not forever. */
#define COMPLIANCE_RUNS_KEPT 1000

typedef struct {
  gint64      first_id, last_id, events;
  const char *adapter;
  gint64      id;       /* the run's, filled */
} CompliancePlan;

static gboolean
compliance_plan_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  CompliancePlan *cp = data;

  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "DELETE FROM compliance_runs WHERE state <> 'planned'"
                       " AND id <= (SELECT max(id) FROM compliance_runs) - ?1", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, COMPLIANCE_RUNS_KEPT);
    if (!run (self->db, stmt, error, "pruning compliance runs"))
      return FALSE;
  }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "INSERT INTO compliance_runs (first_event_id, last_event_id, adapter, started_us, state, events)"
                       " VALUES (?1, ?2, ?3, ?4, 'planned', ?5)", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, cp->first_id);
    sqlite3_bind_int64 (stmt, 2, cp->last_id);
    bind_text (stmt, 3, cp->adapter);
    sqlite3_bind_int64 (stmt, 4, perch_now_us ());
    sqlite3_bind_int64 (stmt, 5, cp->events);
    if (!run (self->db, stmt, error, "planning a compliance run"))
      return FALSE;
    cp->id = sqlite3_last_insert_rowid (self->db);
  }
  return TRUE;
}

static gint64
sqlite_compliance_plan (PerchStore *store, gint64 first_id, gint64 last_id, gint64 events,
                        const char *adapter, GError **error)
{
  CompliancePlan cp = { first_id, last_id, events, adapter, 0 };

  /* synchronous=FULL: once the commit returns, the plan survives a crash. */
  if (!main_tx (SELF (store), compliance_plan_tx, &cp, error))
    return 0;
  return cp.id;
}

/* The range of a planned run, NOT_FOUND when RUN_ID is not planned. */
static gboolean
planned_range (PerchSqliteStore *self, gint64 run_id, gint64 *first, gint64 *last, GError **error)
{
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT first_event_id, last_event_id FROM compliance_runs"
                     " WHERE id = ?1 AND state = 'planned'", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND,
                   "no planned compliance run %" G_GINT64_FORMAT, run_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return set_db_error (self->db, error, "reading a compliance run");
  *first = sqlite3_column_int64 (stmt, 0);
  *last = sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

typedef struct {
  gint64 run_id, duration_ms;
} ComplianceDone;

static gboolean
compliance_done_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const ComplianceDone *cd = data;
  gint64 first = 0, last = 0;

  if (!planned_range (self, cd->run_id, &first, &last, error))
    return FALSE;
  {
    g_autoptr(PerchSqlStmt) stmt = MAIN_STMT (self, "DELETE FROM events WHERE id BETWEEN ?1 AND ?2", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, first);
    sqlite3_bind_int64 (stmt, 2, last);
    if (!run (self->db, stmt, error, "deleting delivered events"))
      return FALSE;
  }
  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "UPDATE compliance_runs SET state = 'done', finished_us = ?2, duration_ms = ?3,"
                       " error = NULL WHERE id = ?1", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, cd->run_id);
    sqlite3_bind_int64 (stmt, 2, perch_now_us ());
    sqlite3_bind_int64 (stmt, 3, cd->duration_ms);
    return run (self->db, stmt, error, "finishing a compliance run");
  }
}

static gboolean
sqlite_compliance_done (PerchStore *store, gint64 run_id, gint64 duration_ms, GError **error)
{
  ComplianceDone cd = { run_id, duration_ms };

  return main_tx (SELF (store), compliance_done_tx, &cd, error);
}

static gboolean
sqlite_compliance_failed (PerchStore *store, gint64 run_id, const char *message, gint64 duration_ms,
                          GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "UPDATE compliance_runs SET state = 'failed', error = ?2, finished_us = ?3,"
                     " duration_ms = ?4 WHERE id = ?1 AND state = 'planned'", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, run_id);
  bind_text (stmt, 2, message != NULL ? message : "failed");
  sqlite3_bind_int64 (stmt, 3, perch_now_us ());
  sqlite3_bind_int64 (stmt, 4, duration_ms);
  if (!run (self->db, stmt, error, "recording a failed compliance run"))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND,
                   "no planned compliance run %" G_GINT64_FORMAT, run_id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_state_from_string (const char *s, PerchRunState *out)
{
  for (int st = PERCH_RUN_PLANNED; st <= PERCH_RUN_FAILED; st++)
    if (s != NULL && strcmp (s, perch_run_state_to_string (st)) == 0)
      {
        *out = (PerchRunState) st;
        return TRUE;
      }
  return FALSE;
}

static GPtrArray *
sqlite_compliance_runs (PerchStore *store, gint64 before_id, guint limit, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT id, first_event_id, last_event_id, adapter, started_us, ifnull(finished_us, 0),"
                     " state, error, events, ifnull(duration_ms, 0)"
                     " FROM compliance_runs WHERE id < ?1 ORDER BY id DESC LIMIT ?2", error);
  g_autoptr(GPtrArray) out = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) perch_compliance_run_free);
  sqlite3_bind_int64 (stmt, 1, before_id > 0 ? before_id : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 2, limit_value (limit));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(PerchComplianceRun) r = g_new0 (PerchComplianceRun, 1);
      r->id = sqlite3_column_int64 (stmt, 0);
      r->first_event_id = sqlite3_column_int64 (stmt, 1);
      r->last_event_id = sqlite3_column_int64 (stmt, 2);
      r->adapter = column_dup (stmt, 3);
      r->started_us = sqlite3_column_int64 (stmt, 4);
      r->finished_us = sqlite3_column_int64 (stmt, 5);
      if (!run_state_from_string ((const char *) sqlite3_column_text (stmt, 6), &r->state))
        {
          g_set_error (error, PERCH_ERROR, PERCH_ERROR_FAILED, "compliance run %" G_GINT64_FORMAT
                       " has an unknown state", r->id);
          return NULL;
        }
      r->error = column_dup (stmt, 7);
      r->events = sqlite3_column_int64 (stmt, 8);
      r->duration_ms = sqlite3_column_int64 (stmt, 9);
      g_ptr_array_add (out, g_steal_pointer (&r));
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, error, "reading compliance runs");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- files in rooms ---------------------------------------------------------------- */

typedef struct {
  const PerchFile *file;
  const char      *id;
} FileAdd;

static gboolean
file_add_tx (PerchSqliteStore *self, gpointer data, GError **error)
{
  const FileAdd *fa = data;
  const PerchFile *file = fa->file;

  {
    g_autoptr(PerchSqlStmt) stmt =
      MAIN_STMT (self, "INSERT INTO files (id, room_id, uploader, name, size, sha256, ts_us, state)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'stored')", error);
    if (stmt == NULL)
      return FALSE;
    bind_text (stmt, 1, fa->id);
    bind_text (stmt, 2, file->room_id);
    bind_text (stmt, 3, file->uploader);
    bind_text (stmt, 4, file->name);
    sqlite3_bind_int64 (stmt, 5, file->size);
    bind_text (stmt, 6, file->sha256);
    sqlite3_bind_int64 (stmt, 7, file->ts_us);
    if (!run (self->db, stmt, error, "storing a file"))
      return FALSE;
  }
  /* The event in the same transaction: no file without its FILEUPLOAD. */
  return insert_event (self->db, self->stmts, PERCH_EVENT_FILEUPLOAD, file->room_id, file->uploader,
                       file->ts_us, fa->id, 0, NULL, error);
}

static gboolean
sqlite_file_add (PerchStore *store, PerchFile *file, GError **error)
{
  g_autofree char *id = NULL;

  if (file->room_id == NULL || file->uploader == NULL || file->name == NULL || file->sha256 == NULL
      || file->size < 0)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_BAD_REQUEST,
                           "a file needs a room, an uploader, a name, a size and a digest");
      return FALSE;
    }
  id = file->id != NULL ? g_strdup (file->id) : perch_random_hex (16);
  if (file->ts_us == 0)
    file->ts_us = perch_now_us ();
  FileAdd fa = { file, id };
  if (!main_tx (SELF (store), file_add_tx, &fa, error))
    return FALSE;
  g_free (file->id);
  file->id = g_steal_pointer (&id);
  file->state = PERCH_FILE_STORED;
  return TRUE;
}

static PerchFile *
sqlite_file_get (PerchStore *store, const char *id, GError **error)
{
  PerchSqliteStore *self = SELF (store);
  g_autoptr(PerchSqlStmt) stmt =
    MAIN_STMT (self, "SELECT id, room_id, uploader, name, size, sha256, ts_us, state FROM files WHERE id = ?1", error);
  PerchFile *file;
  int rc;

  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error_literal (error, PERCH_ERROR, PERCH_ERROR_NOT_FOUND, "no such file");
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      set_db_error (self->db, error, "reading a file");
      return NULL;
    }
  file = g_new0 (PerchFile, 1);
  file->id = column_dup (stmt, 0);
  file->room_id = column_dup (stmt, 1);
  file->uploader = column_dup (stmt, 2);
  file->name = column_dup (stmt, 3);
  file->size = sqlite3_column_int64 (stmt, 4);
  file->sha256 = column_dup (stmt, 5);
  file->ts_us = sqlite3_column_int64 (stmt, 6);
  file->state = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 7), "deleted") == 0
                ? PERCH_FILE_DELETED : PERCH_FILE_STORED;
  return file;
}

static const PerchStoreBackend sqlite_backend = {
  .name = "sqlite",
  .close = sqlite_close,
  .config_get = sqlite_config_get,
  .config_set = sqlite_config_set,
  .user_put = sqlite_user_put,
  .user_get = sqlite_user_get,
  .user_list = sqlite_user_list,
  .group_put = sqlite_group_put,
  .group_delete = sqlite_group_delete,
  .group_list = sqlite_group_list,
  .group_members = sqlite_group_members,
  .category_create = sqlite_category_create,
  .category_update = sqlite_category_update,
  .category_delete = sqlite_category_delete,
  .category_list = sqlite_category_list,
  .room_create = sqlite_room_create,
  .room_update = sqlite_room_update,
  .room_delete = sqlite_room_delete,
  .room_list = sqlite_room_list,
  .room_get = sqlite_room_get,
  .room_search = sqlite_room_search,
  .write = sqlite_write,
  .history = sqlite_history,
  .message_search = sqlite_message_search,
  .invitation_add = sqlite_invitation_add,
  .invitations_take = sqlite_invitations_take,
  .pref_get = sqlite_pref_get,
  .pref_set = sqlite_pref_set,
  .events_pending = sqlite_events_pending,
  .events_delete_upto = sqlite_events_delete_upto,
  .events_count = sqlite_events_count,
  .user_delete = sqlite_user_delete,
  .messages_change = sqlite_messages_change,
  .room_clear = sqlite_room_clear,
  .room_stats = sqlite_room_stats,
  .addin_put = sqlite_addin_put,
  .addin_delete = sqlite_addin_delete,
  .addin_list = sqlite_addin_list,
  .audit_add = sqlite_audit_add,
  .audit_list = sqlite_audit_list,
  .import_messages = sqlite_import_messages,
  .messages_range = sqlite_messages_range,
  .open_again = sqlite_open_again,
  .events_summary = sqlite_events_summary,
  .compliance_plan = sqlite_compliance_plan,
  .compliance_done = sqlite_compliance_done,
  .compliance_failed = sqlite_compliance_failed,
  .compliance_runs = sqlite_compliance_runs,
  .file_add = sqlite_file_add,
  .file_get = sqlite_file_get,
  .rooms_create = sqlite_rooms_create,
  .users_put = sqlite_users_put,
};
