/*  store: SQLite with an event log, idempotency keys and offsets. See
 *  store.h for the invariants it keeps.
 *
 *  Transaction states:
 *
 *      IDLE --store_begin--> OPEN --store_step fails, and SQLite--> LOST
 *        ^                   |       rolled the transaction back     |
 *        |                   |       by itself (disk full, I/O)      |
 *        +---store_commit----+                                       |
 *        +---store_rollback--+-------store_rollback, store_commit----+
 *
 *  A failed commit rolls back too, to IDLE. In LOST, SQLite is back in
 *  autocommit mode: a write would commit on its own, after the writes
 *  SQLite undid, so every write fails (store_step refuses any statement
 *  that is not read-only, store_count_add refuses moves) and so does the
 *  commit, until the caller rolls back, which restores seq and forgets
 *  the events and counter moves, as for any rollback. store_dirty reports
 *  a LOST transaction as changed: more than the caller's request is gone.
 *
 *  Events appended in the open transaction are kept in a reusable arena
 *  (s_pending) so they can be published once the commit is durable.
 */
#include "store.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frame.h"
#include "log.h"

#define STORE_MAX_STMTS 96
#define STORE_COUNT_KEY 96 /* longer keys are written at once */

enum { S_IDLE, S_OPEN, S_LOST };

/* The store's own schema, before the daemon's steps. */
static const char *const s_schema =
    "CREATE TABLE events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL,"
    " ts INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TABLE idem (id BLOB PRIMARY KEY, type TEXT NOT NULL,"
    " body BLOB NOT NULL, reply BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE offsets (upstream TEXT PRIMARY KEY,"
    " seq INTEGER NOT NULL);"
    "CREATE TABLE counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL);";

struct store {
    sqlite3 *db;
    const char *source;
    int state;
    sqlite3_stmt *stmts[STORE_MAX_STMTS];
    size_t nstmts;
    sqlite3_stmt *begin, *commit, *rollback, *event_insert, *events_since,
        *idem_get, *idem_put, *offset_get, *offset_set, *count_add, *counts;
    uint64_t last_seq;      /* last seq appended */
    uint64_t seq_at_begin;  /* restored when the transaction rolls back */
    int64_t checkpointed;   /* total changes when the last checkpoint
                               copied the whole WAL; -1: none yet */
    /* Events of the open (then last committed) transaction: where their
     * type and data sit in the arena, which may move while it grows. */
    struct s_pending {
        uint64_t seq, ts;
        size_t type_off, data_off, len;
    } *pending;
    event_t *committed; /* the same, as events, built by store_committed */
    size_t npending, cap_pending;
    char *arena; /* their types and data, back to back */
    /* Counter deltas of the open transaction, one entry per
     * store_count_add, merged per key and written by s_counts_flush (at
     * commit, or before store_counts reads). */
    struct s_delta {
        char key[STORE_COUNT_KEY];
        int64_t delta;
    } *deltas;
    size_t ndeltas, cap_deltas;
    char *idem_buf; /* the last idempotency entry read */
    size_t idem_cap;
    size_t arena_len, arena_cap;
};

static int s_exec(store_t *self, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s", msg ? msg : "unknown error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Creates the directories above PATH that are missing. */
static int s_mkdir_parent(const char *path, char *err, size_t errlen)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (*dir && mkdir(dir, 0750) < 0 && errno != EEXIST)
        goto fail;
    return 0;
fail:
    snprintf(err, errlen, "cannot create %.200s: %s", dir, strerror(errno));
    return -1;
}

static int s_migrate(store_t *self, const char *const *steps, char *err,
                     size_t errlen)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(self->db, "PRAGMA user_version", -1, &st,
                           NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);

    int nsteps = 1;
    while (steps && steps[nsteps - 1])
        nsteps++;
    if (version > nsteps) {
        snprintf(err, errlen,
                 "schema version %d is newer than this program's %d",
                 version, nsteps);
        return -1;
    }
    for (int v = version; v < nsteps; v++) {
        const char *sql = v == 0 ? s_schema : steps[v - 1];
        char step[64];
        snprintf(step, sizeof step, ";PRAGMA user_version=%d;", v + 1);
        if (s_exec(self, "BEGIN IMMEDIATE", err, errlen) < 0)
            return -1;
        if (s_exec(self, sql, err, errlen) < 0 ||
            s_exec(self, step, err, errlen) < 0 ||
            s_exec(self, "COMMIT", err, errlen) < 0) {
            char ignore[64];
            s_exec(self, "ROLLBACK", ignore, sizeof ignore);
            return -1;
        }
    }
    return 0;
fail:
    snprintf(err, errlen, "%s", sqlite3_errmsg(self->db));
    return -1;
}

sqlite3_stmt *store_prepare(store_t *self, const char *sql)
{
    if (self->nstmts == STORE_MAX_STMTS) {
        log_error("store: cannot prepare \"%.60s\": over %d statements",
                  sql, STORE_MAX_STMTS);
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        log_error("store: cannot prepare \"%.60s\": %s", sql,
                  sqlite3_errmsg(self->db));
        return NULL;
    }
    self->stmts[self->nstmts++] = st;
    return st;
}

static int s_prepare_own(store_t *self)
{
    struct {
        sqlite3_stmt **slot;
        const char *sql;
    } own[] = {
        {&self->begin, "BEGIN IMMEDIATE"},
        {&self->commit, "COMMIT"},
        {&self->rollback, "ROLLBACK"},
        {&self->event_insert,
         "INSERT INTO events (seq, type, ts, data) VALUES (?, ?, ?, ?)"},
        {&self->events_since, "SELECT seq, type, ts, data FROM events"
                              " WHERE seq > ? ORDER BY seq LIMIT ?"},
        {&self->idem_get, "SELECT type, body, reply FROM idem WHERE id = ?"},
        {&self->idem_put,
         "INSERT INTO idem (id, type, body, reply) VALUES (?, ?, ?, ?)"},
        {&self->offset_get, "SELECT seq FROM offsets WHERE upstream = ?"},
        {&self->offset_set, "INSERT INTO offsets (upstream, seq) VALUES (?, ?)"
                            " ON CONFLICT (upstream) DO UPDATE"
                            " SET seq = excluded.seq"},
        {&self->count_add, "INSERT INTO counts (key, n) VALUES (?1, ?2)"
                           " ON CONFLICT (key) DO UPDATE SET n = n + ?2"},
        {&self->counts, "SELECT key, n FROM counts ORDER BY key"},
    };
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (!(*own[i].slot = store_prepare(self, own[i].sql)))
            return -1;
    return 0;
}

store_t *store_open(const store_opts_t *opts, char *err, size_t errlen)
{
    store_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->source = opts->source;
    self->checkpointed = -1;
    /* One connection per process, used by one thread: SQLite need not
     * count memory (a global mutex per malloc) before it first runs. */
    static int configured;
    if (!configured) {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        configured = 1;
    }
    char why[256];
    if (s_mkdir_parent(opts->path, why, sizeof why) < 0)
        goto fail;
    if (sqlite3_open_v2(opts->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(why, sizeof why, "%s",
                 self->db ? sqlite3_errmsg(self->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(self->db, 1);
    /* Room for the small allocations of a statement's life. */
    sqlite3_db_config(self->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 512, 512);
    sqlite3_busy_timeout(self->db, 5000);
    const char *pragmas = opts->synchronous_full
                              ? "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA temp_store=MEMORY;"
                                "PRAGMA wal_autocheckpoint=0;"
                                "PRAGMA foreign_keys=ON;"
                              : "PRAGMA journal_mode=WAL;"
                                "PRAGMA synchronous=NORMAL;"
                                "PRAGMA temp_store=MEMORY;"
                                "PRAGMA wal_autocheckpoint=0;"
                                "PRAGMA foreign_keys=ON;";
    if (s_exec(self, pragmas, why, sizeof why) < 0 ||
        s_migrate(self, opts->migrations, why, sizeof why) < 0)
        goto fail;
    if (s_prepare_own(self) < 0) {
        snprintf(why, sizeof why, "cannot prepare statements");
        goto fail;
    }
    sqlite3_stmt *st = store_prepare(self, "SELECT max(seq) FROM events");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        snprintf(why, sizeof why, "%s", sqlite3_errmsg(self->db));
        goto fail;
    }
    self->last_seq = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return self;
fail:
    snprintf(err, errlen, "store %s: %s", opts->path, why);
    store_close(&self);
    return NULL;
}

void store_close(store_t **self_p)
{
    store_t *self = *self_p;
    if (!self)
        return;
    if (self->state != S_IDLE && !sqlite3_get_autocommit(self->db))
        sqlite3_step(self->rollback);
    for (size_t i = 0; i < self->nstmts; i++)
        sqlite3_finalize(self->stmts[i]);
    if (self->db && sqlite3_close(self->db) != SQLITE_OK)
        log_warn("store: close: %s", sqlite3_errmsg(self->db));
    free(self->pending);
    free(self->committed);
    free(self->arena);
    free(self->deltas);
    free(self->idem_buf);
    free(self);
    *self_p = NULL;
}

int store_step(store_t *self, sqlite3_stmt *stmt)
{
    if (self->state == S_LOST && !sqlite3_stmt_readonly(stmt)) {
        log_debug("store: the transaction is lost: refused %.60s",
                  sqlite3_sql(stmt));
        return -1;
    }
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(stmt);
    if (rc == SQLITE_DONE)
        return 0;
    log_error("store: %s (%.60s)", sqlite3_errmsg(self->db),
              sqlite3_sql(stmt));
    if (self->state == S_OPEN && sqlite3_get_autocommit(self->db)) {
        log_warn("store: SQLite rolled the transaction back: its writes "
                 "fail until it is rolled back");
        self->state = S_LOST;
    }
    return -1;
}

void store_reset(sqlite3_stmt *stmt)
{
    sqlite3_reset(stmt);
}

void store_column_copy(sqlite3_stmt *stmt, int col, char *dst, size_t size)
{
    const unsigned char *v = sqlite3_column_text(stmt, col);
    size_t n = v ? (size_t)sqlite3_column_bytes(stmt, col) : 0;
    if (n >= size) {
        /* Cut before the character that does not fit, not inside it:
         * V[N] is the first byte left out. */
        n = size - 1;
        while (n && (v[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, v, n);
    dst[n] = '\0';
}

/* -- transactions ---------------------------------------------------------- */

int store_begin(store_t *self)
{
    assert(self->state == S_IDLE);
    self->npending = 0;
    self->arena_len = 0;
    self->ndeltas = 0;
    if (store_step(self, self->begin) < 0)
        return -1;
    self->state = S_OPEN;
    self->seq_at_begin = self->last_seq;
    return 0;
}

void store_rollback(store_t *self)
{
    assert(self->state != S_IDLE);
    self->state = S_IDLE;
    /* A failed COMMIT may already have ended the transaction. */
    if (!sqlite3_get_autocommit(self->db))
        store_step(self, self->rollback);
    self->last_seq = self->seq_at_begin;
    self->npending = 0;
    self->arena_len = 0;
    self->ndeltas = 0;
}

static int s_delta_cmp(const void *a, const void *b)
{
    return strcmp(((const struct s_delta *)a)->key,
                  ((const struct s_delta *)b)->key);
}

static int s_count_write(store_t *self, const char *key, int64_t delta)
{
    sqlite3_stmt *st = self->count_add;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, delta);
    return store_step(self, st) < 0 ? -1 : 0;
}

/* Writes the pending counter deltas, one UPSERT per key, in the open
 * transaction, and forgets them. Returns 0 or -1. */
static int s_counts_flush(store_t *self)
{
    assert(self->state == S_OPEN);
    size_t n = self->ndeltas;
    self->ndeltas = 0;
    if (n > 1)
        qsort(self->deltas, n, sizeof *self->deltas, s_delta_cmp);
    for (size_t i = 0; i < n;) {
        int64_t sum = 0;
        size_t j = i;
        for (; j < n && strcmp(self->deltas[j].key, self->deltas[i].key) == 0;
             j++)
            sum += self->deltas[j].delta;
        /* A sum of 0 is still written: the key exists, as it did when
         * every move was its own UPSERT. */
        if (s_count_write(self, self->deltas[i].key, sum) < 0)
            return -1;
        i = j;
    }
    return 0;
}

int store_commit(store_t *self)
{
    assert(self->state != S_IDLE);
    if (self->state == S_OPEN && s_counts_flush(self) == 0 &&
        store_step(self, self->commit) == 0) {
        self->state = S_IDLE;
        return 0;
    }
    store_rollback(self);
    return -1;
}

void store_mark(const store_t *self, store_mark_t *mark)
{
    *mark = (store_mark_t){sqlite3_total_changes64(self->db), self->npending,
                           self->ndeltas};
}

int store_dirty(const store_t *self, const store_mark_t *mark)
{
    /* An I/O or disk-full error may have made SQLite roll the whole
     * transaction back by itself (LOST): that undid more than this
     * request. */
    return sqlite3_total_changes64(self->db) != mark->changes ||
           self->npending != mark->events || self->ndeltas != mark->deltas ||
           self->state == S_LOST;
}

int store_in_transaction(const store_t *self)
{
    return self->state != S_IDLE;
}

void store_checkpoint(store_t *self)
{
    assert(self->state == S_IDLE);
    /* Any row written since, events or not (a follower's effects), may
     * have grown the WAL. */
    int64_t changes = sqlite3_total_changes64(self->db);
    if (changes == self->checkpointed)
        return;
    int nlog = 0, ncopied = 0;
    int rc = sqlite3_wal_checkpoint_v2(self->db, NULL,
                                       SQLITE_CHECKPOINT_PASSIVE, &nlog,
                                       &ncopied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        log_warn("store: checkpoint: %s", sqlite3_errmsg(self->db));
    /* A reader may have held frames back: then the next call tries
     * again. */
    if (rc == SQLITE_OK && ncopied == nlog)
        self->checkpointed = changes;
}

/* -- the event log --------------------------------------------------------- */

#ifndef NDEBUG
/* Whether DATA walks the way a follower reads it, inside an event inside a
 * page of events.since (three levels around it). Data that does not would
 * stop every follower at that event for good: a programmer error (a writer
 * that miscounted its map entries), caught in every build that keeps
 * assertions, which the tests and fuzz replays do. */
static int s_well_formed(const void *data, size_t len)
{
    frame_limits_t lim = frame_limits_reply();
    char err[128];
    lim.max_depth -= 3;
    if (frame_walk(data, len, &lim, err, sizeof err) == 0)
        return 1;
    log_error("store: an event's data does not walk: %s", err);
    return 0;
}
#endif

/* Copies an event into the pending arena, to publish after the commit. */
static int s_remember(store_t *self, const event_t *e)
{
    size_t tlen = strlen(e->type) + 1;
    if (self->npending == self->cap_pending) {
        size_t cap = self->cap_pending ? self->cap_pending * 2 : 64;
        struct s_pending *p = realloc(self->pending, cap * sizeof *p);
        if (!p)
            return -1;
        self->pending = p;
        event_t *c = realloc(self->committed, cap * sizeof *c);
        if (!c)
            return -1;
        self->committed = c;
        self->cap_pending = cap;
    }
    if (self->arena_len + tlen + e->len > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 16384;
        while (cap < self->arena_len + tlen + e->len)
            cap *= 2;
        char *a = realloc(self->arena, cap);
        if (!a)
            return -1;
        self->arena = a;
        self->arena_cap = cap;
    }
    struct s_pending *slot = &self->pending[self->npending++];
    slot->seq = e->seq;
    slot->ts = e->ts;
    slot->len = e->len;
    slot->type_off = self->arena_len;
    memcpy(self->arena + self->arena_len, e->type, tlen);
    self->arena_len += tlen;
    slot->data_off = self->arena_len;
    memcpy(self->arena + self->arena_len, e->data, e->len);
    self->arena_len += e->len;
    return 0;
}

int store_event_append(store_t *self, const char *type, const void *data,
                       size_t len, uint64_t ts, uint64_t *seq)
{
    assert(self->state != S_IDLE);
    assert(s_well_formed(data, len));
    event_t e = {.seq = self->last_seq + 1,
                 .ts = ts,
                 .type = type,
                 .source = self->source,
                 .data = data,
                 .len = len};
    sqlite3_stmt *st = self->event_insert;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)e.seq);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)ts);
    sqlite3_bind_blob(st, 4, data, (int)len, SQLITE_STATIC);
    int rc = store_step(self, st);
    sqlite3_clear_bindings(st);
    if (rc < 0 || s_remember(self, &e) < 0)
        return -1;
    self->last_seq = e.seq;
    *seq = e.seq;
    return 0;
}

uint64_t store_last_seq(const store_t *self)
{
    return self->last_seq;
}

uint64_t store_durable_seq(const store_t *self)
{
    return self->state == S_IDLE ? self->last_seq : self->seq_at_begin;
}

const event_t *store_committed(const store_t *self, size_t *n)
{
    assert(self->state == S_IDLE);
    for (size_t i = 0; i < self->npending; i++) {
        const struct s_pending *p = &self->pending[i];
        self->committed[i] = (event_t){.seq = p->seq,
                                       .ts = p->ts,
                                       .type = self->arena + p->type_off,
                                       .source = self->source,
                                       .data = self->arena + p->data_off,
                                       .len = p->len};
    }
    *n = self->npending;
    return self->committed;
}

int store_events_since(store_t *self, uint64_t after, size_t limit,
                       void (*cb)(const event_t *e, void *arg), void *arg)
{
    sqlite3_stmt *st = self->events_since;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    int n = 0, rc;
    while ((rc = store_step(self, st)) == 1) {
        event_t e = {
            .seq = (uint64_t)sqlite3_column_int64(st, 0),
            .type = (const char *)sqlite3_column_text(st, 1),
            .ts = (uint64_t)sqlite3_column_int64(st, 2),
            .source = self->source,
            .data = sqlite3_column_blob(st, 3),
            .len = (size_t)sqlite3_column_bytes(st, 3),
        };
        cb(&e, arg);
        n++;
    }
    return rc < 0 ? -1 : n;
}

/* -- idempotency keys ------------------------------------------------------ */

int store_idem_get(store_t *self, const char *id, size_t id_len,
                   store_idem_t *out)
{
    sqlite3_stmt *st = self->idem_get;
    sqlite3_bind_blob(st, 1, id, (int)id_len, SQLITE_STATIC);
    int rc = store_step(self, st);
    if (rc != 1)
        return rc;
    /* Copied out so the statement ends now: an open read would hold back
     * checkpoints. */
    size_t tlen = (size_t)sqlite3_column_bytes(st, 0) + 1;
    out->body_len = (size_t)sqlite3_column_bytes(st, 1);
    out->reply_len = (size_t)sqlite3_column_bytes(st, 2);
    size_t need = tlen + out->body_len + out->reply_len;
    if (need > self->idem_cap) {
        char *buf = realloc(self->idem_buf, need);
        if (!buf) {
            sqlite3_reset(st);
            return -1;
        }
        self->idem_buf = buf;
        self->idem_cap = need;
    }
    char *p = self->idem_buf;
    memcpy(p, sqlite3_column_text(st, 0), tlen);
    /* A zero-length blob comes back as NULL: copy only what there is. */
    if (out->body_len)
        memcpy(p + tlen, sqlite3_column_blob(st, 1), out->body_len);
    if (out->reply_len)
        memcpy(p + tlen + out->body_len, sqlite3_column_blob(st, 2),
               out->reply_len);
    sqlite3_reset(st);
    out->type = p;
    out->body = p + tlen;
    out->reply = p + tlen + out->body_len;
    return 1;
}

int store_idem_put(store_t *self, const char *id, size_t id_len,
                   const store_idem_t *entry)
{
    sqlite3_stmt *st = self->idem_put;
    sqlite3_bind_blob(st, 1, id, (int)id_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, entry->type, -1, SQLITE_STATIC);
    /* A NULL pointer would bind SQL NULL: an empty blob is "". */
    sqlite3_bind_blob(st, 3, entry->body_len ? entry->body : "",
                      (int)entry->body_len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, entry->reply_len ? entry->reply : "",
                      (int)entry->reply_len, SQLITE_STATIC);
    return store_step(self, st) < 0 ? -1 : 0;
}

/* -- upstream offsets ------------------------------------------------------ */

int store_offset_get(store_t *self, const char *upstream, uint64_t *seq)
{
    sqlite3_stmt *st = self->offset_get;
    sqlite3_bind_text(st, 1, upstream, -1, SQLITE_STATIC);
    int rc = store_step(self, st);
    *seq = rc == 1 ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    if (rc == 1)
        sqlite3_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_offset_set(store_t *self, const char *upstream, uint64_t seq)
{
    assert(self->state != S_IDLE);
    sqlite3_stmt *st = self->offset_set;
    sqlite3_bind_text(st, 1, upstream, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    return store_step(self, st) < 0 ? -1 : 0;
}

/* -- counters -------------------------------------------------------------- */

int store_count_add(store_t *self, const char *key, int64_t delta)
{
    assert(self->state != S_IDLE);
    if (self->state == S_LOST)
        return -1;
    size_t len = strlen(key);
    if (len >= STORE_COUNT_KEY)
        return s_count_write(self, key, delta);
    if (self->ndeltas == self->cap_deltas) {
        size_t cap = self->cap_deltas ? self->cap_deltas * 2 : 64;
        struct s_delta *d = realloc(self->deltas, cap * sizeof *d);
        if (!d)
            return -1;
        self->deltas = d;
        self->cap_deltas = cap;
    }
    struct s_delta *d = &self->deltas[self->ndeltas++];
    memcpy(d->key, key, len + 1);
    d->delta = delta;
    return 0;
}

int store_counts(store_t *self,
                 void (*cb)(const char *key, int64_t n, void *arg), void *arg)
{
    /* Reads inside the open transaction see its own moves, as when each
     * move was its own UPSERT. */
    if (self->state == S_OPEN && self->ndeltas && s_counts_flush(self) < 0)
        return -1;
    sqlite3_stmt *st = self->counts;
    int rc;
    while ((rc = store_step(self, st)) == 1)
        cb((const char *)sqlite3_column_text(st, 0),
           sqlite3_column_int64(st, 1), arg);
    return rc;
}
