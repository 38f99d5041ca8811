/*  test_store: the store on real SQLite files in a temporary directory.
 *
 *  Opening creates and migrates the file by user_version, one step once;
 *  the pragmas are as configured; the event log counts seq from 1 without
 *  gaps across rolled-back transactions and failed commits, hands out
 *  events only once committed and keeps them across a reopen; idempotency
 *  keys, upstream offsets and counters move with their transaction; a
 *  checkpoint copies the WAL into the file.
 *
 *  What is "in the file" is read through a second, read-only connection, so
 *  the store's own state cannot vouch for itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "store.h"

/* -- fixture ------------------------------------------------------------- */

typedef struct {
    char dir[64];   /* the temporary directory */
    char path[128]; /* DIR/state/test.db: the parent does not exist yet */
    char err[512];
    store_t *store;
} fx_t;

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (h_tempdir(fx->dir, sizeof fx->dir, "store") < 0) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/state/test.db", fx->dir);
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    store_close(&fx->store);
    h_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* -- helpers ------------------------------------------------------------- */

/* The daemon's steps used by most tests: each would fail if run twice. */
static const char *const s_steps[] = {
    "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
    "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER"
    " REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
    NULL,
};

static store_t *s_open_with(fx_t *fx, const char *const *steps, int full)
{
    store_opts_t opts = {.path = fx->path,
                         .source = "test",
                         .synchronous_full = full,
                         .migrations = steps};
    fx->err[0] = '\0';
    return store_open(&opts, fx->err, sizeof fx->err);
}

/* Opens fx->path with s_steps into fx->store; fails the test if refused. */
static store_t *s_open(fx_t *fx)
{
    fx->store = s_open_with(fx, s_steps, 1);
    if (!fx->store)
        fail_msg("store_open: %s", fx->err);
    return fx->store;
}

static void s_reopen(fx_t *fx)
{
    store_close(&fx->store);
    assert_null(fx->store);
    s_open(fx);
}

/* The first column of the first row of SQL run through the store. */
static sqlite3_int64 s_store_int(store_t *st, const char *sql)
{
    sqlite3_stmt *stmt = store_prepare(st, sql);
    assert_non_null(stmt);
    assert_int_equal(store_step(st, stmt), 1);
    sqlite3_int64 v = sqlite3_column_int64(stmt, 0);
    store_reset(stmt);
    return v;
}

/* The same through a second, read-only connection to the file. */
static sqlite3_int64 s_file_int(const fx_t *fx, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
        sqlite3_step(stmt) != SQLITE_ROW)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_int64 v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

static int s_file_has_table(const fx_t *fx, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
             " AND name = '%s'",
             name);
    return (int)s_file_int(fx, sql);
}

static off_t s_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Appends one event of TYPE whose data is a one-entry map {"n": N}. */
static uint64_t s_append(store_t *st, const char *type, unsigned n,
                         uint64_t ts)
{
    const unsigned char data[] = {0x81, 0xa1, 'n', (unsigned char)(n & 0x7f)};
    uint64_t seq = 0;
    assert_int_equal(store_event_append(st, type, data, sizeof data, ts, &seq),
                     0);
    return seq;
}

/* Fills BUF[0..LEN) (LEN >= 6) with the map {"b": a bin of LEN - 6 bytes
 * of FILL}: event data of any size that walks as the store checks. */
static void s_blob_map(unsigned char *buf, size_t len, unsigned char fill)
{
    size_t n = len - 6;
    const unsigned char head[] = {0x81, 0xa1, 'b', 0xc5,
                                  (unsigned char)(n >> 8),
                                  (unsigned char)(n & 0xff)};
    memcpy(buf, head, sizeof head);
    memset(buf + 6, fill, n);
}

/* What store_events_since handed to its callback. */
typedef struct {
    int calls;
    uint64_t seq[32];
    uint64_t ts[32];
    char type[32][32];
    unsigned n[32];
    int bad_source;
} seen_t;

static void s_on_event(const event_t *e, void *arg)
{
    seen_t *s = arg;
    if (s->calls < 32) {
        s->seq[s->calls] = e->seq;
        s->ts[s->calls] = e->ts;
        snprintf(s->type[s->calls], sizeof s->type[0], "%s", e->type);
        s->n[s->calls] =
            e->len == 4 ? ((const unsigned char *)e->data)[3] : 0xffff;
    }
    if (!e->source || strcmp(e->source, "test") != 0)
        s->bad_source++;
    s->calls++;
}

/* -- opening and migrating ----------------------------------------------- */

static void test_open_creates_file_and_dir(void **state)
{
    fx_t *fx = *state;
    char parent[96];
    snprintf(parent, sizeof parent, "%s/state", fx->dir);
    assert_int_equal(s_file_size(parent), -1);

    s_open(fx);
    assert_true(s_file_size(fx->path) >= 0);
    /* The store's own step, then the daemon's two. */
    assert_int_equal(s_store_int(fx->store, "PRAGMA user_version"), 1 + 2);
    store_close(&fx->store);

    assert_int_equal(s_file_int(fx, "PRAGMA user_version"), 3);
    assert_true(s_file_has_table(fx, "events"));
    assert_true(s_file_has_table(fx, "idem"));
    assert_true(s_file_has_table(fx, "offsets"));
    assert_true(s_file_has_table(fx, "things"));
    assert_true(s_file_has_table(fx, "child"));
}

static void test_open_without_daemon_steps(void **state)
{
    fx_t *fx = *state;
    fx->store = s_open_with(fx, NULL, 1);
    assert_non_null(fx->store);
    assert_int_equal(s_store_int(fx->store, "PRAGMA user_version"), 1);
    assert_int_equal(store_last_seq(fx->store), 0);
    assert_int_equal(store_durable_seq(fx->store), 0);
}

static void test_reopen_runs_no_step_twice(void **state)
{
    fx_t *fx = *state;
    s_open(fx);
    /* CREATE TABLE fails when run twice: a second open would be refused. */
    s_reopen(fx);
    s_reopen(fx);
    assert_int_equal(s_store_int(fx->store, "PRAGMA user_version"), 3);
    store_close(&fx->store);

    /* A program with one more step runs only that step. */
    const char *const more[] = {s_steps[0], s_steps[1],
                                "CREATE TABLE later (x)", NULL};
    fx->store = s_open_with(fx, more, 1);
    assert_non_null(fx->store);
    assert_int_equal(s_store_int(fx->store, "PRAGMA user_version"), 4);
    store_close(&fx->store);
    assert_true(s_file_has_table(fx, "later"));
}

static void test_newer_file_refused(void **state)
{
    fx_t *fx = *state;
    s_open(fx);
    store_close(&fx->store);

    const char *const fewer[] = {s_steps[0], NULL};
    fx->store = s_open_with(fx, fewer, 1);
    assert_null(fx->store);
    assert_non_null(strstr(fx->err, fx->path));
    assert_non_null(strstr(fx->err, "newer"));
    /* Refusing did not touch the file. */
    assert_int_equal(s_file_int(fx, "PRAGMA user_version"), 3);
}

static void test_bad_step_fails_and_keeps_last_good_version(void **state)
{
    fx_t *fx = *state;
    /* Step 2 creates a table, then fails: the table must not stay. */
    const char *const bad[] = {
        "CREATE TABLE things (id INTEGER PRIMARY KEY)",
        "CREATE TABLE half (x); INSERT INTO no_such_table VALUES (1)",
        "CREATE TABLE never (x)",
        NULL,
    };
    fx->store = s_open_with(fx, bad, 1);
    assert_null(fx->store);
    assert_non_null(strstr(fx->err, fx->path));
    assert_non_null(strstr(fx->err, "no_such_table"));

    assert_int_equal(s_file_int(fx, "PRAGMA user_version"), 1 + 1);
    assert_true(s_file_has_table(fx, "things"));
    assert_false(s_file_has_table(fx, "half"));
    assert_false(s_file_has_table(fx, "never"));

    /* Fixed, the program goes on from the last good step. */
    const char *const fixed[] = {bad[0], "CREATE TABLE half (x)", bad[2],
                                 NULL};
    fx->store = s_open_with(fx, fixed, 1);
    assert_non_null(fx->store);
    assert_int_equal(s_store_int(fx->store, "PRAGMA user_version"), 4);
}

static void test_bad_sql_step_fails_with_reason(void **state)
{
    fx_t *fx = *state;
    const char *const bad[] = {"CREATE TABL oops (x)", NULL};
    fx->store = s_open_with(fx, bad, 1);
    assert_null(fx->store);
    assert_non_null(strstr(fx->err, "syntax error"));
    assert_int_equal(s_file_int(fx, "PRAGMA user_version"), 1);
}

/* -- pragmas ------------------------------------------------------------- */

static void s_check_pragmas(fx_t *fx, int full)
{
    fx->store = s_open_with(fx, s_steps, full);
    assert_non_null(fx->store);
    sqlite3_stmt *st = store_prepare(fx->store, "PRAGMA journal_mode");
    assert_non_null(st);
    assert_int_equal(store_step(fx->store, st), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    store_reset(st);
    /* 2: FULL, 1: NORMAL */
    assert_int_equal(s_store_int(fx->store, "PRAGMA synchronous"),
                     full ? 2 : 1);
    assert_int_equal(s_store_int(fx->store, "PRAGMA wal_autocheckpoint"), 0);
    assert_int_equal(s_store_int(fx->store, "PRAGMA foreign_keys"), 1);
}

static void test_wal_and_synchronous_full(void **state)
{
    s_check_pragmas(*state, 1);
}

static void test_wal_and_synchronous_normal(void **state)
{
    s_check_pragmas(*state, 0);
}

/* -- the event log ------------------------------------------------------- */

static void test_append_and_committed(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_false(store_in_transaction(st));
    assert_int_equal(store_begin(st), 0);
    assert_true(store_in_transaction(st));
    assert_int_equal(s_append(st, "a.one", 1, 1000), 1);
    assert_int_equal(s_append(st, "a.two", 2, 2000), 2);
    assert_int_equal(s_append(st, "a.three", 3, 3000), 3);
    assert_int_equal(store_last_seq(st), 3);
    assert_int_equal(store_commit(st), 0);
    assert_false(store_in_transaction(st));

    size_t n = 0;
    const event_t *ev = store_committed(st, &n);
    assert_int_equal(n, 3);
    static const char *const types[] = {"a.one", "a.two", "a.three"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ev[i].seq, i + 1);
        assert_int_equal(ev[i].ts, (i + 1) * 1000);
        assert_string_equal(ev[i].type, types[i]);
        assert_string_equal(ev[i].source, "test");
        assert_int_equal(ev[i].len, 4);
        const unsigned char want[] = {0x81, 0xa1, 'n', (unsigned char)(i + 1)};
        assert_memory_equal(ev[i].data, want, 4);
    }
    /* Reading them twice gives the same. */
    assert_ptr_equal(store_committed(st, &n), ev);
    assert_int_equal(n, 3);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 3);
}

static void test_committed_holds_only_the_last_transaction(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    s_append(st, "first", 1, 1);
    assert_int_equal(store_commit(st), 0);

    /* A transaction without events commits nothing to publish. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_commit(st), 0);
    size_t n = 99;
    store_committed(st, &n);
    assert_int_equal(n, 0);

    assert_int_equal(store_begin(st), 0);
    s_append(st, "second", 2, 2);
    assert_int_equal(store_commit(st), 0);
    const event_t *ev = store_committed(st, &n);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].seq, 2);
    assert_string_equal(ev[0].type, "second");
}

static void test_many_events_in_one_transaction(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    /* Enough events and bytes to grow the pending arrays and the arena
     * several times: every event must still read back as appended. */
    enum { N = 500 };
    static unsigned char big[700];
    assert_int_equal(store_begin(st), 0);
    for (unsigned i = 0; i < N; i++) {
        char type[32];
        snprintf(type, sizeof type, "bulk.%u", i);
        size_t len = 6 + (i % (sizeof big - 6));
        s_blob_map(big, len, (unsigned char)(i & 0xff));
        uint64_t seq;
        assert_int_equal(store_event_append(st, type, big, len, i, &seq), 0);
        assert_int_equal(seq, i + 1);
    }
    assert_int_equal(store_commit(st), 0);
    size_t n = 0;
    const event_t *ev = store_committed(st, &n);
    assert_int_equal(n, N);
    for (unsigned i = 0; i < N; i++) {
        char type[32];
        snprintf(type, sizeof type, "bulk.%u", i);
        assert_int_equal(ev[i].seq, i + 1);
        assert_string_equal(ev[i].type, type);
        assert_int_equal(ev[i].len, 6 + (i % (sizeof big - 6)));
        const unsigned char *d = ev[i].data;
        assert_int_equal(d[0], 0x81);
        assert_int_equal(d[3], 0xc5);
        assert_int_equal((d[4] << 8) | d[5], ev[i].len - 6);
        assert_int_equal(d[ev[i].len - 1], ev[i].len > 6 ? (i & 0xff) : 0);
    }
}

static void test_rolled_back_transaction_reuses_seq(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "kept.1", 1, 10), 1);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "lost.2", 2, 20), 2);
    assert_int_equal(s_append(st, "lost.3", 3, 30), 3);
    store_rollback(st);
    assert_false(store_in_transaction(st));
    assert_int_equal(store_last_seq(st), 1);
    assert_int_equal(store_durable_seq(st), 1);
    size_t n = 99;
    store_committed(st, &n);
    assert_int_equal(n, 0);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "kept.2", 4, 40), 2);
    assert_int_equal(store_commit(st), 0);

    const event_t *ev = store_committed(st, &n);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].seq, 2);
    assert_string_equal(ev[0].type, "kept.2");
    assert_int_equal(ev[0].ts, 40);
    assert_int_equal(((const unsigned char *)ev[0].data)[3], 4);

    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 2);
    assert_int_equal(s_file_int(fx, "SELECT max(seq) FROM events"), 2);
    assert_int_equal(
        s_file_int(fx, "SELECT count(*) FROM events WHERE type LIKE 'lost%'"),
        0);
}

static void test_events_since(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    for (unsigned i = 1; i <= 10; i++)
        s_append(st, "e", i, 100 + i);
    assert_int_equal(store_commit(st), 0);

    seen_t seen = {0};
    assert_int_equal(store_events_since(st, 3, 4, s_on_event, &seen), 4);
    assert_int_equal(seen.calls, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(seen.seq[i], 4 + i);
        assert_int_equal(seen.ts[i], 104 + i);
        assert_int_equal(seen.n[i], 4 + i);
        assert_string_equal(seen.type[i], "e");
    }
    assert_int_equal(seen.bad_source, 0);

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_events_since(st, 0, 100, s_on_event, &seen), 10);
    assert_int_equal(seen.seq[0], 1);
    assert_int_equal(seen.seq[9], 10);

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_events_since(st, 8, 100, s_on_event, &seen), 2);
    assert_int_equal(seen.seq[0], 9);
    assert_int_equal(seen.seq[1], 10);

    memset(&seen, 0, sizeof seen);
    assert_int_equal(store_events_since(st, 10, 100, s_on_event, &seen), 0);
    assert_int_equal(store_events_since(st, 500, 100, s_on_event, &seen), 0);
    assert_int_equal(store_events_since(st, 0, 0, s_on_event, &seen), 0);
    assert_int_equal(seen.calls, 0);
}

static void test_durable_seq(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    s_append(st, "e", 1, 1);
    s_append(st, "e", 2, 2);
    assert_int_equal(store_durable_seq(st), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_durable_seq(st), 2);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_durable_seq(st), 2);
    s_append(st, "e", 3, 3);
    assert_int_equal(store_last_seq(st), 3);
    assert_int_equal(store_durable_seq(st), 2);
    s_append(st, "e", 4, 4);
    assert_int_equal(store_durable_seq(st), 2);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_durable_seq(st), 4);
    assert_int_equal(store_last_seq(st), 4);
}

static void test_events_survive_reopen(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    s_append(st, "x.one", 1, 11);
    s_append(st, "x.two", 2, 22);
    s_append(st, "x.three", 3, 33);
    assert_int_equal(store_commit(st), 0);

    s_reopen(fx);
    st = fx->store;
    assert_int_equal(store_last_seq(st), 3);
    assert_int_equal(store_durable_seq(st), 3);
    size_t n = 99;
    store_committed(st, &n);
    assert_int_equal(n, 0);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "x.four", 4, 44), 4);
    assert_int_equal(store_commit(st), 0);

    seen_t seen = {0};
    assert_int_equal(store_events_since(st, 0, 100, s_on_event, &seen), 4);
    assert_string_equal(seen.type[0], "x.one");
    assert_int_equal(seen.ts[1], 22);
    assert_int_equal(seen.n[2], 3);
    assert_string_equal(seen.type[3], "x.four");
    assert_int_equal(seen.seq[3], 4);
}

static void test_uncommitted_events_lost_on_close(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    s_append(st, "kept", 1, 1);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_begin(st), 0);
    s_append(st, "open", 2, 2);
    /* Closing with the transaction open rolls it back. */
    s_reopen(fx);
    assert_int_equal(store_last_seq(fx->store), 1);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 1);
}

/* -- a commit that fails --------------------------------------------------- */

static void test_failed_commit_forgets_everything(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    sqlite3_stmt *orphan =
        store_prepare(st, "INSERT INTO child (id, parent) VALUES (1, 42)");
    assert_non_null(orphan);

    assert_int_equal(store_begin(st), 0);
    s_append(st, "before", 1, 1);
    assert_int_equal(store_offset_set(st, "up", 5), 0);
    assert_int_equal(store_commit(st), 0);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "doomed.a", 2, 2), 2);
    assert_int_equal(s_append(st, "doomed.b", 3, 3), 3);
    store_idem_t entry = {.type = "t", .body = "b", .body_len = 1,
                          .reply = "r", .reply_len = 1};
    assert_int_equal(store_idem_put(st, "key", 3, &entry), 0);
    assert_int_equal(store_offset_set(st, "up", 9), 0);
    /* The deferred foreign key lets the row in until COMMIT. */
    assert_int_equal(store_step(st, orphan), 0);
    assert_int_equal(store_last_seq(st), 3);

    assert_int_equal(store_commit(st), -1);
    assert_false(store_in_transaction(st));
    assert_int_equal(store_last_seq(st), 1);
    assert_int_equal(store_durable_seq(st), 1);
    size_t n = 99;
    store_committed(st, &n);
    assert_int_equal(n, 0);

    /* Nothing of it reached the file. */
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 1);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM child"), 0);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM idem"), 0);
    assert_int_equal(s_file_int(fx, "SELECT seq FROM offsets"), 5);
    store_idem_t got;
    assert_int_equal(store_idem_get(st, "key", 3, &got), 0);
    uint64_t off = 0;
    assert_int_equal(store_offset_get(st, "up", &off), 0);
    assert_int_equal(off, 5);

    /* The store goes on, with seq gapless. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "after", 4, 4), 2);
    assert_int_equal(store_commit(st), 0);
    const event_t *ev = store_committed(st, &n);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].seq, 2);
    assert_string_equal(ev[0].type, "after");
    assert_int_equal(s_file_int(fx, "SELECT max(seq) FROM events"), 2);
}

/* -- statements ------------------------------------------------------------ */

static void test_prepare_refused_past_the_table(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    /* The store's own statements took some room of the table already. */
    int n = 0;
    while (n < 200 && store_prepare(st, "SELECT 1"))
        n++;
    assert_true(n > 0);
    assert_true(n < 96);
    assert_null(store_prepare(st, "SELECT 2"));
    /* The store goes on with the statements it has. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "e", 1, 1), 1);
    assert_int_equal(store_commit(st), 0);
    seen_t seen = {0};
    assert_int_equal(store_events_since(st, 0, 10, s_on_event, &seen), 1);
}

/* -- reading columns ------------------------------------------------------- */

static void test_column_copy_cuts_between_characters(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    /* "a", then 火 (3 bytes), then U+1F600 (4 bytes), then "z": 9 bytes. */
    sqlite3_stmt *q =
        store_prepare(st, "SELECT 'a\xe7\x81\xab\xf0\x9f\x98\x80z', NULL");
    assert_non_null(q);
    static const char *const want[] = {
        /* by the buffer's size, 1 to 11 */
        "", "a", "a", "a", "a\xe7\x81\xab", "a\xe7\x81\xab",
        "a\xe7\x81\xab", "a\xe7\x81\xab",
        "a\xe7\x81\xab\xf0\x9f\x98\x80",
        "a\xe7\x81\xab\xf0\x9f\x98\x80z",
        "a\xe7\x81\xab\xf0\x9f\x98\x80z",
    };
    for (size_t size = 1; size <= sizeof want / sizeof want[0]; size++) {
        char dst[16];
        memset(dst, 'X', sizeof dst);
        assert_int_equal(store_step(st, q), 1);
        store_column_copy(q, 0, dst, size);
        assert_string_equal(dst, want[size - 1]);
        memset(dst, 'X', sizeof dst);
        store_column_copy(q, 1, dst, size);
        assert_string_equal(dst, "");
        store_reset(q);
    }
}

/* -- a transaction SQLite rolls back by itself ---------------------------- */

/* Sets the file's page limit to PAGES (SQLite keeps it at least at the
 * current size) through the store. */
static void s_max_pages(store_t *st, const char *pages)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %s", pages);
    sqlite3_stmt *pragma = store_prepare(st, sql);
    assert_non_null(pragma);
    assert_int_equal(store_step(st, pragma), 1);
    store_reset(pragma);
}

/* Fills the disk (the page limit) in a transaction with an event, a key, an
 * offset and a counter move in it: SQLite rolls the whole transaction back.
 * Every later write of it must fail rather than commit on its own, then the
 * transaction ends by store_commit (COMMIT) or store_rollback, and the
 * next one carries on from seq 1 without a gap. */
static void s_lose_transaction(fx_t *fx, int end_by_commit)
{
    store_t *st = fx->store;
    sqlite3_stmt *big = store_prepare(
        st, "INSERT INTO things (name) VALUES (zeroblob(200000))");
    sqlite3_stmt *small =
        store_prepare(st, "INSERT INTO things (name) VALUES ('x')");
    assert_non_null(big);
    assert_non_null(small);
    store_idem_t entry = {.type = "t", .body = "b", .body_len = 1,
                          .reply = "r", .reply_len = 1};
    const unsigned char data[] = {0x80};
    uint64_t seq = 0;

    assert_int_equal(store_begin(st), 0);
    store_mark_t mark;
    store_mark(st, &mark);
    assert_int_equal(s_append(st, "doomed", 2, 2), 2);
    assert_int_equal(store_idem_put(st, "k", 1, &entry), 0);
    assert_int_equal(store_offset_set(st, "up", 9), 0);
    assert_int_equal(store_count_add(st, "n", 1), 0);
    s_max_pages(st, "1");
    assert_int_equal(store_step(st, big), -1);
    /* Room again: a write that ran now would commit on its own. */
    s_max_pages(st, "1000000");

    assert_true(store_in_transaction(st));
    assert_true(store_dirty(st, &mark));
    assert_int_equal(store_event_append(st, "late", data, 1, 3, &seq), -1);
    assert_int_equal(store_idem_put(st, "k2", 2, &entry), -1);
    assert_int_equal(store_offset_set(st, "up", 10), -1);
    assert_int_equal(store_count_add(st, "n", 1), -1);
    assert_int_equal(store_step(st, small), -1);
    /* Reads still answer, from what is committed. */
    uint64_t off = 99;
    assert_int_equal(store_offset_get(st, "up", &off), 0);
    assert_int_equal(off, 5);
    if (end_by_commit)
        assert_int_equal(store_commit(st), -1);
    else
        store_rollback(st);
    assert_false(store_in_transaction(st));
    assert_int_equal(store_last_seq(st), 1);
    assert_int_equal(store_durable_seq(st), 1);

    /* Nothing of it reached the file. */
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 1);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM things"), 0);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM idem"), 0);
    assert_int_equal(s_file_int(fx, "SELECT seq FROM offsets"), 5);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM counts"), 0);

    /* The next transaction works, and seq goes on from 1. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "after", 4, 4), 2);
    assert_int_equal(store_step(st, small), 0);
    assert_int_equal(store_commit(st), 0);
    size_t n = 0;
    const event_t *ev = store_committed(st, &n);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].seq, 2);
    assert_string_equal(ev[0].type, "after");
    assert_int_equal(s_file_int(fx, "SELECT max(seq) FROM events"), 2);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 2);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM things"), 1);
}

static void s_lost_setup(fx_t *fx)
{
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(s_append(st, "kept", 1, 1), 1);
    assert_int_equal(store_offset_set(st, "up", 5), 0);
    assert_int_equal(store_commit(st), 0);
}

static void test_lost_transaction_until_rollback(void **state)
{
    fx_t *fx = *state;
    s_lost_setup(fx);
    s_lose_transaction(fx, 0);
}

static void test_lost_transaction_fails_to_commit(void **state)
{
    fx_t *fx = *state;
    s_lost_setup(fx);
    s_lose_transaction(fx, 1);
}

/* -- idempotency keys ------------------------------------------------------ */

static void test_idem_put_get(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    /* Binary ids and bytes, with NULs inside. */
    static const char id[] = {'r', 0, 'q', 1};
    static const char body[] = {(char)0x82, 0, 'a', 0, (char)0xff, 'z'};
    static const char reply[] = {(char)0x81, 'o', 'k', 0, (char)0xc3};
    store_idem_t in = {.type = "request.create",
                       .body = body,
                       .body_len = sizeof body,
                       .reply = reply,
                       .reply_len = sizeof reply};
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_idem_put(st, id, sizeof id, &in), 0);
    assert_int_equal(store_commit(st), 0);

    store_idem_t out;
    memset(&out, 0, sizeof out);
    assert_int_equal(store_idem_get(st, id, sizeof id, &out), 1);
    assert_string_equal(out.type, "request.create");
    assert_int_equal(out.body_len, sizeof body);
    assert_memory_equal(out.body, body, sizeof body);
    assert_int_equal(out.reply_len, sizeof reply);
    assert_memory_equal(out.reply, reply, sizeof reply);

    /* An id that is a prefix of a known one is unknown. */
    assert_int_equal(store_idem_get(st, id, sizeof id - 1, &out), 0);
    assert_int_equal(store_idem_get(st, "nope", 4, &out), 0);
}

static void test_idem_get_twice(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    store_idem_t a = {.type = "ta", .body = "body-a", .body_len = 6,
                      .reply = "reply-a", .reply_len = 7};
    store_idem_t b = {.type = "type-b", .body = "B", .body_len = 1,
                      .reply = "a much longer reply for b", .reply_len = 25};
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_idem_put(st, "a", 1, &a), 0);
    assert_int_equal(store_idem_put(st, "b", 1, &b), 0);
    assert_int_equal(store_commit(st), 0);

    /* Each get reuses the statement: every one must find its row. */
    for (int round = 0; round < 3; round++) {
        store_idem_t out;
        assert_int_equal(store_idem_get(st, "a", 1, &out), 1);
        assert_string_equal(out.type, "ta");
        assert_memory_equal(out.reply, "reply-a", 7);
        assert_int_equal(store_idem_get(st, "a", 1, &out), 1);
        assert_memory_equal(out.body, "body-a", 6);
        assert_int_equal(store_idem_get(st, "b", 1, &out), 1);
        assert_string_equal(out.type, "type-b");
        assert_int_equal(out.reply_len, 25);
        assert_memory_equal(out.reply, "a much longer reply for b", 25);
        assert_int_equal(store_idem_get(st, "c", 1, &out), 0);
    }
    /* A get leaves no read open: a checkpoint can still copy everything. */
    store_checkpoint(st);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM idem"), 2);
}

static void test_idem_rolled_back_with_transaction(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    store_idem_t e = {.type = "t", .body = "b", .body_len = 1,
                      .reply = "r", .reply_len = 1};
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_idem_put(st, "gone", 4, &e), 0);
    store_idem_t out;
    assert_int_equal(store_idem_get(st, "gone", 4, &out), 1);
    store_rollback(st);
    assert_int_equal(store_idem_get(st, "gone", 4, &out), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_idem_put(st, "kept", 4, &e), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_idem_get(st, "gone", 4, &out), 0);
    assert_int_equal(store_idem_get(st, "kept", 4, &out), 1);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM idem"), 1);
}

static void test_idem_survives_reopen(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    store_idem_t e = {.type = "task.accept", .body = "\x81\xa1x\x01",
                      .body_len = 4, .reply = "\x81\xa2ok\xc3",
                      .reply_len = 5};
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_idem_put(st, "id-1", 4, &e), 0);
    assert_int_equal(store_commit(st), 0);
    s_reopen(fx);
    store_idem_t out;
    assert_int_equal(store_idem_get(fx->store, "id-1", 4, &out), 1);
    assert_string_equal(out.type, "task.accept");
    assert_int_equal(out.body_len, 4);
    assert_memory_equal(out.body, "\x81\xa1x\x01", 4);
    assert_int_equal(out.reply_len, 5);
    assert_memory_equal(out.reply, "\x81\xa2ok\xc3", 5);
}

static void test_idem_duplicate_put_fails(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    store_idem_t first = {.type = "t", .body = "1", .body_len = 1,
                          .reply = "r1", .reply_len = 2};
    store_idem_t second = {.type = "t", .body = "2", .body_len = 1,
                           .reply = "r2", .reply_len = 2};
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_idem_put(st, "k", 1, &first), 0);
    /* The failed statement undoes only itself: the transaction goes on. */
    assert_int_equal(store_idem_put(st, "k", 1, &second), -1);
    assert_true(store_in_transaction(st));
    assert_int_equal(store_commit(st), 0);
    store_idem_t out;
    assert_int_equal(store_idem_get(st, "k", 1, &out), 1);
    assert_memory_equal(out.reply, "r1", 2);
}

/* An empty body (a write request without one: api.c packs nothing) is a
 * valid entry. Run in a child process: the get side is undefined behaviour
 * that UBSan aborts on, and that must not take the other tests with it.
 * The child's exit code says which step failed. */
static int s_idem_empty_child(fx_t *fx)
{
    store_t *st = s_open_with(fx, NULL, 1);
    if (!st)
        return 10;
    int code = 0;
    store_idem_t none = {.type = "t", .body = NULL, .body_len = 0,
                         .reply = "r", .reply_len = 1};
    store_idem_t empty = {.type = "t", .body = "", .body_len = 0,
                          .reply = "r", .reply_len = 1};
    store_idem_t out;
    if (store_begin(st) < 0)
        code = 11;
    else if (store_idem_put(st, "null-body", 9, &none) < 0)
        code = 12; /* NULL with length 0 bound as SQL NULL */
    else if (store_idem_put(st, "empty-body", 10, &empty) < 0)
        code = 13;
    else if (store_commit(st) < 0)
        code = 14;
    else if (store_idem_get(st, "null-body", 9, &out) != 1 ||
             out.body_len != 0 || out.reply_len != 1)
        code = 15;
    else if (store_idem_get(st, "empty-body", 10, &out) != 1 ||
             out.body_len != 0 || memcmp(out.reply, "r", 1) != 0)
        code = 16;
    store_close(&st);
    return code;
}

static void test_idem_empty_body(void **state)
{
    fx_t *fx = *state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(s_idem_empty_child(fx));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status))
        fail_msg("child killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("child failed with %d (12: put of a NULL empty body "
                 "refused; 1: UBSan abort in store_idem_get)",
                 WEXITSTATUS(status));
}

/* -- upstream offsets ------------------------------------------------------ */

static void test_offsets(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    uint64_t seq = 99;
    assert_int_equal(store_offset_get(st, "intake", &seq), 0);
    assert_int_equal(seq, 0);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_offset_set(st, "intake", 7), 0);
    assert_int_equal(store_offset_get(st, "intake", &seq), 0);
    assert_int_equal(seq, 7);
    assert_int_equal(store_offset_set(st, "intake", 8), 0);
    assert_int_equal(store_offset_set(st, "dispatch", 3), 0);
    assert_int_equal(store_commit(st), 0);

    s_reopen(fx);
    st = fx->store;
    assert_int_equal(store_offset_get(st, "intake", &seq), 0);
    assert_int_equal(seq, 8);
    assert_int_equal(store_offset_get(st, "dispatch", &seq), 0);
    assert_int_equal(seq, 3);
    assert_int_equal(store_offset_get(st, "scoring", &seq), 0);
    assert_int_equal(seq, 0);

    /* Moved in a transaction that is rolled back: back where it was. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_offset_set(st, "intake", 100), 0);
    assert_int_equal(store_offset_set(st, "scoring", 1), 0);
    assert_int_equal(store_offset_get(st, "intake", &seq), 0);
    assert_int_equal(seq, 100);
    store_rollback(st);
    assert_int_equal(store_offset_get(st, "intake", &seq), 0);
    assert_int_equal(seq, 8);
    assert_int_equal(store_offset_get(st, "scoring", &seq), 0);
    assert_int_equal(seq, 0);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM offsets"), 2);
}

/* -- counters -------------------------------------------------------------- */

/* What store_counts handed to its callback, as "key=n;..." in key order. */
static void s_on_count(const char *key, int64_t n, void *arg)
{
    char *out = arg;
    size_t len = strlen(out);
    snprintf(out + len, 256 - len, "%s=%lld;", key, (long long)n);
}

static void s_counts_are(store_t *st, const char *want)
{
    char got[256] = "";
    assert_int_equal(store_counts(st, s_on_count, got), 0);
    assert_string_equal(got, want);
}

static void test_counters_move_with_their_transaction(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_count_add(st, "a", 5), 0);
    assert_int_equal(store_count_add(st, "b", 1), 0);
    assert_int_equal(store_count_add(st, "a", -2), 0);
    assert_int_equal(store_commit(st), 0);
    s_counts_are(st, "a=3;b=1;");

    /* Rolled back: the moves are forgotten, also those a read inside the
     * transaction already wrote. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_count_add(st, "a", 10), 0);
    assert_int_equal(store_count_add(st, "c", 1), 0);
    s_counts_are(st, "a=13;b=1;c=1;");
    assert_int_equal(store_count_add(st, "b", 7), 0);
    store_rollback(st);
    s_counts_are(st, "a=3;b=1;");

    /* The next transaction starts from what was committed. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_count_add(st, "b", 1), 0);
    assert_int_equal(store_commit(st), 0);
    s_counts_are(st, "a=3;b=2;");
    assert_int_equal(s_file_int(fx, "SELECT n FROM counts WHERE key = 'b'"),
                     2);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM counts"), 2);
}

/* -- checkpoints ----------------------------------------------------------- */

static void test_checkpoint_copies_wal_into_file(void **state)
{
    fx_t *fx = *state;
    store_t *st = s_open(fx);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", fx->path);
    static unsigned char data[2048];
    s_blob_map(data, sizeof data, 0x11);

    /* Automatic checkpoints are off: 200 commits of 2 KiB stay in the
     * WAL and the main file does not grow. */
    off_t db_before = s_file_size(fx->path);
    for (int i = 0; i < 200; i++) {
        uint64_t seq;
        assert_int_equal(store_begin(st), 0);
        assert_int_equal(
            store_event_append(st, "bulk", data, sizeof data, 1, &seq), 0);
        assert_int_equal(store_commit(st), 0);
    }
    off_t wal_full = s_file_size(wal);
    assert_true(wal_full > 200 * 2048);
    assert_int_equal(s_file_size(fx->path), db_before);

    store_checkpoint(st);
    /* The pages are now in the main file... */
    assert_true(s_file_size(fx->path) >= 200 * 2048);
    /* ...so the next writer starts the WAL over instead of growing it. */
    for (int i = 0; i < 20; i++) {
        uint64_t seq;
        assert_int_equal(store_begin(st), 0);
        assert_int_equal(
            store_event_append(st, "bulk", data, sizeof data, 1, &seq), 0);
        assert_int_equal(store_commit(st), 0);
    }
    assert_true(s_file_size(wal) <= wal_full);
    assert_int_equal(s_file_int(fx, "SELECT count(*) FROM events"), 220);
}

int main(void)
{
    log_setup("test_store", LOG_ERR);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
        T(test_open_creates_file_and_dir),
        T(test_open_without_daemon_steps),
        T(test_reopen_runs_no_step_twice),
        T(test_newer_file_refused),
        T(test_bad_step_fails_and_keeps_last_good_version),
        T(test_bad_sql_step_fails_with_reason),
        T(test_wal_and_synchronous_full),
        T(test_wal_and_synchronous_normal),
        T(test_append_and_committed),
        T(test_committed_holds_only_the_last_transaction),
        T(test_many_events_in_one_transaction),
        T(test_rolled_back_transaction_reuses_seq),
        T(test_events_since),
        T(test_durable_seq),
        T(test_events_survive_reopen),
        T(test_uncommitted_events_lost_on_close),
        T(test_failed_commit_forgets_everything),
        T(test_prepare_refused_past_the_table),
        T(test_column_copy_cuts_between_characters),
        T(test_lost_transaction_until_rollback),
        T(test_lost_transaction_fails_to_commit),
        T(test_idem_put_get),
        T(test_idem_get_twice),
        T(test_idem_rolled_back_with_transaction),
        T(test_idem_survives_reopen),
        T(test_idem_duplicate_put_fails),
        T(test_idem_empty_body),
        T(test_offsets),
        T(test_counters_move_with_their_transaction),
        T(test_checkpoint_copies_wal_into_file),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
