/*  rates: the three rates (响应率, 解决率, 满意率) and their companions,
 *  from facts recorded as tasks move.
 *
 *  A fact is one row per event that a rate counts, with the keys it may be
 *  grouped by (grid, unit, category) and the moment that places it in a
 *  period:
 *
 *    kind      when                a                      b          minutes
 *    assign    each (re)assignment accepted in time       -          to accept
 *    resolve   task.resolve        before resolve_by      -          to resolve
 *    followup  followup.record     found solved           satisfied
 *                                                         or basically
 *    close     the task closed     within the grid        -          -
 *
 *  A query reads only the period's facts, through the index on ts, sorted
 *  by the key: never the tasks, never the whole table.
 */
#include "dispatch.h"

#include <stdlib.h>
#include <string.h>

#include "period.h"

static const char *const s_by[] = {"grid", "unit", "category", NULL};

int rates_prepare(dispatch_t *dp)
{
    dp->fact_add = store_prepare(
        dp->store, "INSERT INTO facts (kind, ts, task, grid, unit, category,"
                   " a, b, minutes) VALUES (?,?,?,?,?,?,?,?,?)");
    dp->fact_accept = store_prepare(
        dp->store, "UPDATE facts SET a = ?2, minutes = ?3 WHERE id = ?1");
    for (int i = 0; i < 3; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT %s, kind, a, b, minutes FROM facts"
                 " WHERE ts >= ?1 AND ts < ?2 AND %s IS NOT NULL"
                 " ORDER BY 1",
                 s_by[i], s_by[i]);
        if (!(dp->facts_by[i] = store_prepare(dp->store, sql)))
            return -1;
    }
    return dp->fact_add && dp->fact_accept ? 0 : -1;
}

int64_t rates_fact(dispatch_t *dp, fact_t kind, int64_t task, uint64_t ts,
                   const char *grid, const char *unit, const char *category,
                   int a, int b, double min)
{
    sqlite3_stmt *st = dp->fact_add;
    const char *keys[3] = {grid, unit, category};
    sqlite3_bind_int(st, 1, kind);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ts);
    sqlite3_bind_int64(st, 3, task);
    for (int i = 0; i < 3; i++)
        if (keys[i] && *keys[i])
            sqlite3_bind_text(st, 4 + i, keys[i], -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 4 + i);
    sqlite3_bind_int(st, 7, a);
    sqlite3_bind_int(st, 8, b);
    if (min >= 0)
        sqlite3_bind_double(st, 9, min);
    else
        sqlite3_bind_null(st, 9);
    if (store_step(dp->store, st) < 0)
        return -1;
    return sqlite3_last_insert_rowid(sqlite3_db_handle(st));
}

int rates_accepted(dispatch_t *dp, int64_t id, int in_time, double min)
{
    sqlite3_stmt *st = dp->fact_accept;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, in_time);
    sqlite3_bind_double(st, 3, min);
    return store_step(dp->store, st) < 0 ? -1 : 0;
}

/* -- the query ------------------------------------------------------------- */

/* One key's row being summed. */
typedef struct {
    char key[65];
    int64_t assigned, accepted_in_time, followups, solved, satisfied,
        closed, within, resolved, on_time;
    double *accept_min, *resolve_min; /* growable, reused across keys */
    size_t naccept, nresolve, cap_accept, cap_resolve;
} s_row_t;

static int s_push(double **arr, size_t *n, size_t *cap, double v)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        double *p = realloc(*arr, c * sizeof *p);
        if (!p)
            return -1;
        *arr = p;
        *cap = c;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void s_median(pack_t *p, const char *key, double *v, size_t n)
{
    if (!n) {
        pack_knil(p, key);
        return;
    }
    qsort(v, n, sizeof *v, s_cmp);
    pack_kdouble(p, key, n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

static void s_rate(pack_t *p, const char *key, int64_t num, int64_t den)
{
    if (den)
        pack_kdouble(p, key, (double)num / (double)den);
    else
        pack_knil(p, key);
}

static void s_flush(pack_t *p, s_row_t *r)
{
    pack_map(p, 17);
    pack_kstr(p, "key", r->key);
    pack_kint(p, "assigned", r->assigned);
    pack_kint(p, "accepted_in_time", r->accepted_in_time);
    s_rate(p, "response_rate", r->accepted_in_time, r->assigned);
    pack_kint(p, "followups", r->followups);
    pack_kint(p, "solved", r->solved);
    s_rate(p, "resolution_rate", r->solved, r->followups);
    pack_kint(p, "satisfied_or_basically", r->satisfied);
    s_rate(p, "satisfaction_rate", r->satisfied, r->followups);
    pack_kint(p, "closed", r->closed);
    pack_kint(p, "within_grid", r->within);
    s_rate(p, "within_grid_rate", r->within, r->closed);
    pack_kint(p, "resolved", r->resolved);
    pack_kint(p, "on_time", r->on_time);
    s_rate(p, "on_time_rate", r->on_time, r->resolved);
    s_median(p, "median_accept_min", r->accept_min, r->naccept);
    s_median(p, "median_resolve_min", r->resolve_min, r->nresolve);
}

/* Adds the fact in the current row of ST to R. */
static int s_add(s_row_t *r, sqlite3_stmt *st)
{
    int a = sqlite3_column_int(st, 2), b = sqlite3_column_int(st, 3);
    int has_min = sqlite3_column_type(st, 4) != SQLITE_NULL;
    double min = sqlite3_column_double(st, 4);
    switch (sqlite3_column_int(st, 1)) {
    case FACT_ASSIGN:
        r->assigned++;
        r->accepted_in_time += a;
        if (has_min)
            return s_push(&r->accept_min, &r->naccept, &r->cap_accept, min);
        return 0;
    case FACT_RESOLVE:
        r->resolved++;
        r->on_time += a;
        if (has_min)
            return s_push(&r->resolve_min, &r->nresolve, &r->cap_resolve,
                          min);
        return 0;
    case FACT_FOLLOWUP:
        r->followups++;
        r->solved += a;
        r->satisfied += b;
        return 0;
    case FACT_CLOSE:
        r->closed++;
        r->within += a;
        return 0;
    }
    return 0;
}

api_status_t rates_get(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    field_str_t ps = {0};
    int by;
    if (field_enum(&req->body, "by", FIELD_REQUIRED, s_by, &by) < 0 ||
        field_str(&req->body, "period", FIELD_OPTIONAL, 16, &ps) < 0)
        return API_INVALID;
    period_t period = {.name = "all", .from_ms = 0, .to_ms = INT64_MAX};
    if (ps.ptr && period_parse(ps.ptr, ps.len, &period) < 0)
        return api_fail(req, API_INVALID,
                        "body.period: YYYY, YYYY-Qn or YYYY-MM");
    sqlite3_stmt *st = dp->facts_by[by];
    sqlite3_bind_int64(st, 1, period.from_ms);
    sqlite3_bind_int64(st, 2, period.to_ms);
    pack_t *rows = &dp->scratch;
    pack_reset(rows);
    s_row_t r;
    memset(&r, 0, sizeof r);
    uint32_t n = 0;
    int rc, failed = 0;
    while ((rc = store_step(dp->store, st)) == 1) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (r.key[0] && strcmp(key, r.key) != 0) {
            s_flush(rows, &r);
            n++;
            double *am = r.accept_min, *rm = r.resolve_min;
            size_t ca = r.cap_accept, cr = r.cap_resolve;
            memset(&r, 0, sizeof r);
            r.accept_min = am, r.resolve_min = rm;
            r.cap_accept = ca, r.cap_resolve = cr;
        }
        snprintf(r.key, sizeof r.key, "%s", key);
        failed |= s_add(&r, st) < 0;
    }
    if (r.key[0]) {
        s_flush(rows, &r);
        n++;
    }
    free(r.accept_min);
    free(r.resolve_min);
    if (rc < 0 || failed)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *out = api_reply(req, 3);
    pack_kstr(out, "period", period.name);
    pack_kstr(out, "by", s_by[by]);
    pack_str(out, "rows");
    pack_array(out, n);
    pack_raw(out, pack_data(rows), pack_size(rows));
    return API_OK;
}
