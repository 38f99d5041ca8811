/*  floor: what the rows behind one durable ack cost SQLite on this machine,
 *  with nothing else running: the least juli-intake could spend per
 *  request.submit with the data the protocol keeps.
 *
 *  The bench process writes the rows itself, in intake's real schema (its
 *  migrations and the store's own tables, opened with store_open), in
 *  transactions of BATCH requests as a turn commits them, with a passive
 *  checkpoint every 100 commits. Each level adds to the one before:
 *
 *    0  the baseline's row: one INSERT of the request's frame;
 *    1  the event log row (store_event_append), instead;
 *    2  + the request row with its three indexes, and the two timeline
 *         rows of an accepted submission (the SQL of request.c);
 *    3  + the idempotency key: store_idem_get, then store_idem_put.
 *
 *  Bodies come from the mix, ids are numbered per connection as in the
 *  load. CPU is this process's user + system time per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.h"
#include "field.h"
#include "frame.h"
#include "mix.h"
#include "store.h"

#define FLOOR_BATCH 256

extern const char *const intake_migrations[];

static double s_cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

typedef struct {
    store_t *store;
    sqlite3_stmt *ack, *request, *timeline;
    frame_decoder_t *dec;
    pack_t body, reply;
} floor_t;

static void s_text(sqlite3_stmt *st, int i, const field_map_t *m,
                   const char *key)
{
    field_str_t v = {0};
    field_str(m, key, FIELD_OPTIONAL, 4096, &v);
    if (v.ptr)
        sqlite3_bind_text(st, i, v.ptr, (int)v.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Writes request N's rows at LEVEL. Returns 0 or -1. */
static int s_request(floor_t *f, int level, uint64_t n)
{
    char id[48];
    int len = snprintf(id, sizeof id, "f.%d.%012llu", (int)(n % 16),
                       (unsigned long long)n);
    pack_reset(&f->body);
    mix_submit_body(&f->body, n, 1);
    if (level == 0) {
        sqlite3_bind_text(f->ack, 1, id, len, SQLITE_STATIC);
        sqlite3_bind_blob(f->ack, 2, pack_data(&f->body),
                          (int)pack_size(&f->body), SQLITE_STATIC);
        return store_step(f->store, f->ack) < 0 ? -1 : 0;
    }
    uint64_t seq;
    if (store_event_append(f->store, "request.accepted", pack_data(&f->body),
                           pack_size(&f->body), n, &seq) < 0)
        return -1;
    if (level >= 2) {
        msgpack_object obj;
        char err[128], detail[128];
        if (frame_decode(f->dec, pack_data(&f->body), pack_size(&f->body),
                         &obj, err, sizeof err) < 0)
            return -1;
        field_map_t body, loc = {0};
        field_root(&body, &obj, detail, sizeof detail);
        field_map(&body, "location", FIELD_OPTIONAL, &loc);
        sqlite3_stmt *st = f->request;
        s_text(st, 1, &body, "text");
        s_text(st, 2, &body, "channel");
        s_text(st, 3, &body, "category");
        sqlite3_bind_text(st, 4, "G1", -1, SQLITE_STATIC);
        s_text(st, 5, &loc, "compound");
        s_text(st, 6, &loc, "stairwell");
        sqlite3_bind_int64(st, 7, (sqlite3_int64)n);
        if (store_step(f->store, st) < 0)
            return -1;
        sqlite3_bind_int64(f->timeline, 1,
                           sqlite3_last_insert_rowid(sqlite3_db_handle(st)));
        sqlite3_bind_int64(f->timeline, 2, (sqlite3_int64)n);
        if (store_step(f->store, f->timeline) < 0)
            return -1;
    }
    if (level >= 3) {
        static const unsigned char print[16]; /* the body's fingerprint */
        pack_reset(&f->reply);
        pack_map(&f->reply, 3);
        pack_kbool(&f->reply, "ok", 1);
        pack_kstrn(&f->reply, "id", id, (size_t)len);
        pack_kstr(&f->reply, "ref", "R00000001");
        store_idem_t seen, entry = {"request.submit", print, sizeof print,
                                    pack_data(&f->reply),
                                    pack_size(&f->reply)};
        if (store_idem_get(f->store, id, (size_t)len, &seen) != 0 ||
            store_idem_put(f->store, id, (size_t)len, &entry) < 0)
            return -1;
    }
    return 0;
}

/* Writes COUNT requests at LEVEL in a fresh store in DIR; *US gets the
 * CPU per request. Returns 0 or -1. */
static int s_level(const char *dir, int level, uint64_t count, int sync_full,
                   double *us)
{
    char path[320], err[256];
    snprintf(path, sizeof path, "%s/floor-%d.db", dir, level);
    store_opts_t so = {.path = path,
                       .source = "floor",
                       .synchronous_full = sync_full,
                       .migrations = intake_migrations};
    floor_t f = {.store = store_open(&so, err, sizeof err)};
    frame_limits_t lim = frame_limits_default();
    f.dec = frame_decoder_new(&lim);
    pack_init(&f.body);
    pack_init(&f.reply);
    int rc = -1;
    if (!f.store || !f.dec) {
        fprintf(stderr, "juli-bench: floor: %s\n", f.store ? "no memory" : err);
        goto done;
    }
    sqlite3_stmt *create = store_prepare(
        f.store, "CREATE TABLE IF NOT EXISTS acks (seq INTEGER PRIMARY KEY,"
                 " id TEXT NOT NULL, frame BLOB NOT NULL)");
    if (!create || store_step(f.store, create) < 0)
        goto done;
    f.ack = store_prepare(f.store, "INSERT INTO acks (id, frame) VALUES (?, ?)");
    f.request = store_prepare(
        f.store,
        "INSERT INTO requests (status, text, channel, category, suggested,"
        " urgency, community, grid, compound, stairwell, address,"
        " reporter_id, reporter_name, reporter_phone, created, updated)"
        " VALUES ('accepted', ?1, ?2, ?3, 0, 2, 'C1', ?4, ?5, ?6, NULL,"
        " 'r-1', '王芳', '13800000000', ?7, ?7)");
    f.timeline = store_prepare(
        f.store, "INSERT INTO timeline (rid, ts, status, note)"
                 " VALUES (?1, ?2, 'submitted', 'submitted by app'),"
                 " (?1, ?2, 'accepted', 'grid and category known')");
    if (!f.ack || !f.request || !f.timeline)
        goto done;
    double t0 = s_cpu_s();
    for (uint64_t n = 1, commits = 0; n <= count; commits++) {
        if (store_begin(f.store) < 0)
            goto done;
        for (int i = 0; i < FLOOR_BATCH && n <= count; i++, n++)
            if (s_request(&f, level, n) < 0) {
                store_rollback(f.store);
                goto done;
            }
        if (store_commit(f.store) < 0)
            goto done;
        if (commits % 100 == 99)
            store_checkpoint(f.store);
    }
    *us = (s_cpu_s() - t0) / (double)count * 1e6;
    rc = 0;
done:
    pack_free(&f.body);
    pack_free(&f.reply);
    frame_decoder_destroy(&f.dec);
    store_close(&f.store);
    return rc;
}

int scenario_floor(bench_t *b)
{
    proc_stack_t st; /* for its temp dir only */
    if (bench_stack_init(b, &st) < 0)
        return -1;
    int rc = 0;
    for (int level = 0; level < 4 && rc == 0 && !*b->stop; level++)
        rc = s_level(st.dir, level, b->floor_n, b->sync_full,
                     &b->floor_us[level]);
    b->ran_floor = rc == 0;
    proc_stack_cleanup(&st);
    return rc;
}
