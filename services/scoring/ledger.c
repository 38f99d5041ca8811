/*  ledger: every point ever given or taken, append-only and hash-chained.
 *
 *  Invariants:
 *
 *    1. Rows are only ever inserted: triggers refuse UPDATE and DELETE, so
 *       a correction is a new entry (an adjustment, a take-back), never an
 *       edit.
 *    2. Every entry says why (kind and reason), by whom, and from which
 *       upstream event (source, seq) when it came from one.
 *    3. Entry n's hash is BLAKE2b(hash of entry n-1 ‖ entry n's fields), so
 *       changing, removing or reordering any past row breaks every hash
 *       after it: ledger.verify finds the first broken one.
 *    4. An entry's ts places it in a period: the upstream event's ts for
 *       task entries, the day for volunteer service, the moment it was
 *       made for adjustments.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "scoring.h"

#define HASH_LEN 32

int ledger_prepare(scoring_t *sc)
{
    store_t *s = sc->store;
    sc->entry_add = store_prepare(
        s, "INSERT INTO ledger (member, points, kind, reason, by, source,"
           " seq, task, ts, made, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    sc->entry_last = store_prepare(
        s, "SELECT id, hash FROM ledger ORDER BY id DESC LIMIT 1");
    sc->entries_of = store_prepare(
        s, "SELECT id, member, points, kind, reason, by, source, seq, task,"
           " ts, made, hash FROM ledger WHERE member = ?1 AND id > ?2"
           " ORDER BY id LIMIT ?3");
    sc->entries_all = store_prepare(
        s, "SELECT id, member, points, kind, reason, by, source, seq, task,"
           " ts, made, hash FROM ledger WHERE id > ?1 ORDER BY id LIMIT ?2");
    sc->task_net = store_prepare(
        s, "SELECT member, sum(points) FROM ledger WHERE task = ?"
           " GROUP BY member HAVING sum(points) != 0 ORDER BY member");
    sc->member_sum = store_prepare(
        s, "SELECT coalesce(sum(points), 0) FROM ledger WHERE member = ?1"
           " AND ts >= ?2 AND ts < ?3");
    return sc->entry_add && sc->entry_last && sc->entries_of &&
                   sc->entries_all && sc->task_net && sc->member_sum
               ? 0
               : -1;
}

/* The hash of entry ID with fields E chained to PREV. */
static void s_hash(scoring_t *sc, const unsigned char prev[HASH_LEN],
                   int64_t id, const entry_t *e, uint64_t made,
                   unsigned char out[HASH_LEN])
{
    pack_t *p = &sc->scratch;
    pack_reset(p);
    pack_array(p, 11);
    pack_int(p, id);
    pack_str(p, e->member);
    pack_int(p, e->points);
    pack_str(p, e->kind);
    pack_str(p, e->reason);
    pack_str(p, e->by);
    if (e->source)
        pack_str(p, e->source);
    else
        pack_nil(p);
    pack_uint(p, e->seq);
    if (e->task)
        pack_str(p, e->task);
    else
        pack_nil(p);
    pack_uint(p, e->ts);
    pack_uint(p, made);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, HASH_LEN);
    crypto_generichash_update(&st, prev, HASH_LEN);
    crypto_generichash_update(&st, (const unsigned char *)pack_data(p),
                              pack_size(p));
    crypto_generichash_final(&st, out, HASH_LEN);
}

/* The last entry's id and hash (0 and zeros for an empty ledger). */
static int s_last(scoring_t *sc, int64_t *id, unsigned char hash[HASH_LEN])
{
    int rc = store_step(sc->store, sc->entry_last);
    memset(hash, 0, HASH_LEN);
    *id = 0;
    if (rc == 1) {
        *id = sqlite3_column_int64(sc->entry_last, 0);
        if (sqlite3_column_bytes(sc->entry_last, 1) == HASH_LEN)
            memcpy(hash, sqlite3_column_blob(sc->entry_last, 1), HASH_LEN);
        store_reset(sc->entry_last);
    }
    return rc < 0 ? -1 : 0;
}

static void s_bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int ledger_append(scoring_t *sc, const entry_t *e, uint64_t now)
{
    int64_t last;
    unsigned char prev[HASH_LEN], hash[HASH_LEN];
    if (s_last(sc, &last, prev) < 0)
        return -1;
    s_hash(sc, prev, last + 1, e, now, hash);
    sqlite3_stmt *st = sc->entry_add;
    sqlite3_bind_text(st, 1, e->member, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, e->points);
    sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, e->by, -1, SQLITE_STATIC);
    s_bind_opt(st, 6, e->source);
    if (e->source)
        sqlite3_bind_int64(st, 7, (sqlite3_int64)e->seq);
    else
        sqlite3_bind_null(st, 7);
    s_bind_opt(st, 8, e->task);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)e->ts);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)now);
    sqlite3_bind_blob(st, 11, hash, HASH_LEN, SQLITE_STATIC);
    if (store_step(sc->store, st) < 0)
        return -1;
    pack_t *d = &sc->data;
    pack_reset(d);
    pack_map(d, 8);
    pack_kint(d, "entry", last + 1);
    pack_kstr(d, "member", e->member);
    pack_kint(d, "points", e->points);
    pack_kstr(d, "kind", e->kind);
    pack_kstr(d, "reason", e->reason);
    pack_kstr(d, "by", e->by);
    pack_str(d, "from");
    if (e->source) {
        pack_map(d, 2);
        pack_kstr(d, "source", e->source);
        pack_kuint(d, "seq", e->seq);
    } else
        pack_nil(d);
    pack_kuint(d, "ts", e->ts);
    uint64_t seq;
    if (store_event_append(sc->store, "points.awarded", pack_data(d),
                           pack_size(d), now, &seq) < 0)
        return -1;
    if (sc->awarded)
        metric_add(e->points > 0 ? sc->awarded : sc->taken,
                   (double)(e->points > 0 ? e->points : -e->points));
    return 0;
}

int ledger_take_back(scoring_t *sc, const char *task, const char *by,
                     const char *source, uint64_t seq, uint64_t ts,
                     uint64_t now)
{
    /* Read first, then append: the statement must not be stepping while
     * the ledger grows. */
    struct {
        char member[65];
        int64_t net;
    } nets[64];
    size_t n = 0;
    int rc;
    sqlite3_bind_text(sc->task_net, 1, task, -1, SQLITE_STATIC);
    while ((rc = store_step(sc->store, sc->task_net)) == 1) {
        if (n == 64) {
            store_reset(sc->task_net);
            break;
        }
        store_column_copy(sc->task_net, 0, nets[n].member,
                          sizeof nets[n].member);
        nets[n].net = sqlite3_column_int64(sc->task_net, 1);
        n++;
    }
    if (rc < 0)
        return -1;
    char reason[96];
    snprintf(reason, sizeof reason, "taken back: task %s reopened", task);
    for (size_t i = 0; i < n; i++) {
        entry_t e = {.member = nets[i].member,
                     .points = -nets[i].net,
                     .kind = "task",
                     .reason = reason,
                     .by = by,
                     .source = source,
                     .seq = seq,
                     .task = task,
                     .ts = ts};
        if (ledger_append(sc, &e, now) < 0)
            return -1;
    }
    return 0;
}

int ledger_sum(scoring_t *sc, const char *member, size_t len, int64_t from,
               int64_t to, int64_t *out)
{
    sqlite3_stmt *st = sc->member_sum;
    sqlite3_bind_text(st, 1, member, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    int rc = store_step(sc->store, st);
    if (rc == 1) {
        *out = sqlite3_column_int64(st, 0);
        store_reset(st);
        return 0;
    }
    return -1;
}

/* -- requests -------------------------------------------------------------- */

api_status_t ledger_points(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t member, ps = {0};
    if (field_str(&req->body, "member", FIELD_REQUIRED, 64, &member) < 0 ||
        field_str(&req->body, "period", FIELD_OPTIONAL, 16, &ps) < 0)
        return API_INVALID;
    period_t p = {.name = "all", .from_ms = INT64_MIN, .to_ms = INT64_MAX};
    if (ps.ptr && period_parse(ps.ptr, ps.len, &p) < 0)
        return api_fail(req, API_INVALID,
                        "body.period: YYYY, YYYY-Qn or YYYY-MM");
    int64_t points;
    if (ledger_sum(sc, member.ptr, member.len, p.from_ms, p.to_ms, &points) <
        0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 3);
    pack_kfield(r, "member", member);
    pack_kstr(r, "period", p.name);
    pack_kint(r, "points", points);
    return API_OK;
}

api_status_t ledger_get(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t member;
    page_t pg;
    if (field_str(&req->body, "member", FIELD_REQUIRED, 64, &member) < 0 ||
        page_begin(&pg, req, &sc->data) < 0)
        return API_INVALID;
    sqlite3_stmt *st = sc->entries_of;
    sqlite3_bind_text(st, 1, member.ptr, (int)member.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, pg.after);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)pg.limit + 1);
    int rc;
    while ((rc = store_step(sc->store, st)) == 1) {
        if (!page_take(&pg, sqlite3_column_int64(st, 0))) {
            store_reset(st);
            break;
        }
        pack_t *items = pg.items;
        pack_map(items, 7);
        pack_kint(items, "entry", pg.last);
        pack_kint(items, "points", sqlite3_column_int64(st, 2));
        pack_kstr(items, "kind", (const char *)sqlite3_column_text(st, 3));
        pack_kstr(items, "reason", (const char *)sqlite3_column_text(st, 4));
        pack_kstr(items, "by", (const char *)sqlite3_column_text(st, 5));
        pack_str(items, "from");
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
            pack_map(items, 2);
            pack_kstr(items, "source",
                      (const char *)sqlite3_column_text(st, 6));
            pack_kint(items, "seq", sqlite3_column_int64(st, 7));
        } else
            pack_nil(items);
        pack_kint(items, "ts", sqlite3_column_int64(st, 9));
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    return page_reply(&pg, req, "entries");
}

api_status_t ledger_verify(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    unsigned char prev[HASH_LEN] = {0}, want[HASH_LEN];
    int64_t after = 0, checked = 0, bad = 0;
    int rc = 1;
    /* Page by page, recomputing each hash from the previous one. */
    while (rc == 1 && !bad) {
        sqlite3_stmt *st = sc->entries_all;
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int64(st, 2, 1000);
        int64_t got = 0;
        while ((rc = store_step(sc->store, st)) == 1) {
            /* The row's own text, valid until the next step. */
            int64_t id = sqlite3_column_int64(st, 0);
            const char *text[6];
            for (int i = 0; i < 6; i++)
                text[i] = (const char *)sqlite3_column_text(
                    st, (int[]){1, 3, 4, 5, 6, 8}[i]);
            entry_t e = {.member = text[0],
                         .points = sqlite3_column_int64(st, 2),
                         .kind = text[1],
                         .reason = text[2],
                         .by = text[3],
                         .source = text[4],
                         .seq = (uint64_t)sqlite3_column_int64(st, 7),
                         .task = text[5],
                         .ts = (uint64_t)sqlite3_column_int64(st, 9)};
            s_hash(sc, prev, id, &e, (uint64_t)sqlite3_column_int64(st, 10),
                   want);
            if (id != after + 1 || sqlite3_column_bytes(st, 11) != HASH_LEN ||
                memcmp(want, sqlite3_column_blob(st, 11), HASH_LEN) != 0) {
                bad = after + 1;
                store_reset(st);
                break;
            }
            memcpy(prev, want, HASH_LEN);
            after = id;
            checked++;
            got++;
        }
        if (rc == 0 && got == 1000)
            rc = 1; /* a full page: there may be more */
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, bad ? 3 : 2);
    pack_kbool(r, "intact", !bad);
    pack_kint(r, "entries", checked);
    if (bad)
        pack_kint(r, "first_broken", bad);
    return API_OK;
}
