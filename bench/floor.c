/*  floor: what the rows behind one durable ack cost SQLite on this machine,
 *  with nothing else running: the least juli-intake could spend per
 *  request.submit with the data the protocol keeps.
 *
 *  The bench process writes the rows itself, in intake's real schema (its
 *  migrations and the store's own tables, opened with store_open), in
 *  transactions of FLOOR_BATCH requests as a turn commits them, with a
 *  passive checkpoint every 100 commits. Each level adds to the one before:
 *
 *    0  the baseline's row: one INSERT of the request's frame;
 *    1  the event log row (store_event_append), instead;
 *    2  + the request row with its three indexes, the two timeline rows of
 *         an accepted submission and the status counter it moves, with
 *         intake's own statements (request_prepare);
 *    3  + the idempotency key: store_idem_get, then store_idem_put.
 *
 *  Bodies come from the mix, ids are numbered per connection as in the
 *  load. From level 2 a body is decoded to bind its values, as intake
 *  binds them; it is not validated, nor its location looked up (the mix's
 *  stairwell code names its chain). CPU is this process's user + system
 *  time per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "field.h"
#include "frame.h"
#include "intake.h"
#include "mix.h"
#include "store.h"

typedef struct {
    intake_t in; /* .store and request.c's statements */
    sqlite3_stmt *ack;
    frame_decoder_t *dec;
    pack_t body, reply;
} floor_t;

/* Binds M's string KEY to parameter I of ST (NULL when absent or empty, as
 * intake binds it). */
static void s_text(sqlite3_stmt *st, int i, const field_map_t *m,
                   const char *key)
{
    field_str_t v = {0};
    field_str(m, key, FIELD_OPTIONAL, 4096, &v);
    if (v.ptr && v.len)
        sqlite3_bind_text(st, i, v.ptr, (int)v.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Writes the request row of BODY, accepted at TS, its two timeline rows
 * and its status counter, as request_submit does for a body that names
 * its category (one it suggests adds a third timeline row; here the
 * category is left NULL). Returns 0 or -1. */
static int s_request_rows(intake_t *in, const field_map_t *body, uint64_t ts)
{
    field_map_t loc = {0}, who = {0};
    field_str_t stair = {0}, channel = {0};
    uint64_t urgency = 1;
    field_map(body, "location", FIELD_OPTIONAL, &loc);
    field_map(body, "reporter", FIELD_OPTIONAL, &who);
    field_str(&loc, "stairwell", FIELD_OPTIONAL, 15, &stair);
    field_str(body, "channel", FIELD_OPTIONAL, 31, &channel);
    field_uint(body, "urgency", FIELD_OPTIONAL, 1, 3, &urgency);
    if (stair.len != 4) /* the mix's S<grid><compound><stair> */
        return -1;
    char grid[3] = {'G', stair.ptr[1], 0};
    char compound[4] = {'C', stair.ptr[1], stair.ptr[2], 0};

    sqlite3_stmt *ins = in->req_insert;
    sqlite3_bind_text(ins, 1, "accepted", -1, SQLITE_STATIC);
    s_text(ins, 2, body, "text");
    s_text(ins, 3, body, "channel");
    s_text(ins, 4, body, "category");
    sqlite3_bind_int(ins, 5, 0);
    sqlite3_bind_int(ins, 6, (int)urgency);
    sqlite3_bind_text(ins, 7, "HCZ", -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 8, grid, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 9, compound, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 10, stair.ptr, (int)stair.len, SQLITE_STATIC);
    sqlite3_bind_null(ins, 11);
    s_text(ins, 12, &who, "id");
    s_text(ins, 13, &who, "name");
    s_text(ins, 14, &who, "phone");
    sqlite3_bind_int64(ins, 15, (sqlite3_int64)ts);
    int rc = store_step(in->store, ins);
    sqlite3_clear_bindings(ins);
    if (rc < 0)
        return -1;
    int64_t rid = sqlite3_last_insert_rowid(sqlite3_db_handle(ins));

    char note[64];
    snprintf(note, sizeof note, "submitted by %.*s", (int)channel.len,
             channel.ptr ? channel.ptr : "");
    const char *steps[2][2] = {{"submitted", note},
                               {"accepted", "grid and category known"}};
    sqlite3_stmt *tl = in->timeline_add2;
    for (int i = 0, col = 1; i < 2; i++) {
        sqlite3_bind_int64(tl, col++, rid);
        sqlite3_bind_int64(tl, col++, (sqlite3_int64)ts);
        sqlite3_bind_text(tl, col++, steps[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(tl, col++, steps[i][1], -1, SQLITE_STATIC);
    }
    if (store_step(in->store, tl) < 0 ||
        store_count_add(in->store, "requests.accepted", 1) < 0)
        return -1;
    return 0;
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
        return store_step(f->in.store, f->ack) < 0 ? -1 : 0;
    }
    uint64_t seq;
    if (store_event_append(f->in.store, "request.accepted", pack_data(&f->body),
                           pack_size(&f->body), n, &seq) < 0)
        return -1;
    if (level >= 2) {
        msgpack_object obj;
        char err[128], detail[128];
        if (frame_decode(f->dec, pack_data(&f->body), pack_size(&f->body),
                         &obj, err, sizeof err) < 0)
            return -1;
        field_map_t body;
        field_root(&body, &obj, detail, sizeof detail);
        if (s_request_rows(&f->in, &body, n) < 0)
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
        if (store_idem_get(f->in.store, id, (size_t)len, &seen) != 0 ||
            store_idem_put(f->in.store, id, (size_t)len, &entry) < 0)
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
    floor_t f = {.in.store = store_open(&so, err, sizeof err)};
    frame_limits_t lim = frame_limits_default();
    f.dec = frame_decoder_new(&lim);
    pack_init(&f.body);
    pack_init(&f.reply);
    int rc = -1;
    if (!f.in.store || !f.dec) {
        fprintf(stderr, "juli-bench: floor: %s\n",
                f.in.store ? "no memory" : err);
        goto done;
    }
    store_t *store = f.in.store;
    sqlite3_stmt *create = store_prepare(
        store, "CREATE TABLE IF NOT EXISTS acks (seq INTEGER PRIMARY KEY,"
               " id TEXT NOT NULL, frame BLOB NOT NULL)");
    if (!create || store_step(store, create) < 0)
        goto done;
    f.ack = store_prepare(store, "INSERT INTO acks (id, frame) VALUES (?, ?)");
    if (!f.ack || request_prepare(&f.in) < 0)
        goto done;
    double t0 = bench_self_cpu_s();
    for (uint64_t n = 1, commits = 0; n <= count; commits++) {
        if (store_begin(store) < 0)
            goto done;
        for (int i = 0; i < FLOOR_BATCH && n <= count; i++, n++)
            if (s_request(&f, level, n) < 0) {
                store_rollback(store);
                goto done;
            }
        if (store_commit(store) < 0)
            goto done;
        if (commits % 100 == 99)
            store_checkpoint(store);
    }
    *us = (bench_self_cpu_s() - t0) / (double)count * 1e6;
    rc = 0;
done:
    pack_free(&f.body);
    pack_free(&f.reply);
    frame_decoder_destroy(&f.dec);
    store_close(&f.in.store); /* finalizes request.c's statements */
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
