/*  board: party members, leaderboards and star ratings (星级评定).
 *
 *  A member belongs to one party group (党小组) and one branch (支部). A
 *  member's points in a period are the sum of their ledger entries whose ts
 *  falls in it; a group's or a branch's are the average over its registered
 *  members, those without points included. Stars 0..5 count the configured
 *  thresholds reached. ratings.compute stores what it found per (period,
 *  scope, id) and publishes rating.published for each rating that is new
 *  or changed, so computing a period again yields the same ratings and
 *  repeats no event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scoring.h"

static const char *const s_scopes[] = {"member", "group", "branch", NULL};

/* A member's points in [?1, ?2). */
#define MEMBER_POINTS                                                       \
    "(SELECT coalesce(sum(points), 0) FROM ledger l WHERE l.member = m.id" \
    " AND l.ts >= ?1 AND l.ts < ?2)"

int board_prepare(scoring_t *sc)
{
    store_t *s = sc->store;
    sc->member_put = store_prepare(
        s, "INSERT INTO members (id, name, grp, branch, registered)"
           " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET"
           " name = excluded.name, grp = excluded.grp,"
           " branch = excluded.branch");
    sc->member_get = store_prepare(s, "SELECT count(*) FROM members");
    /* Registered members, and ids with points that have not registered. */
    sc->board_members = store_prepare(
        s, "SELECT id, name, points FROM ("
           " SELECT m.id AS id, m.name AS name, " MEMBER_POINTS " AS points"
           " FROM members m UNION ALL"
           " SELECT l.member, NULL, sum(l.points) FROM ledger l"
           " WHERE l.ts >= ?1 AND l.ts < ?2 AND l.member NOT IN"
           " (SELECT id FROM members) GROUP BY l.member)"
           " ORDER BY points DESC, id LIMIT ?3");
    sc->board_groups = store_prepare(
        s, "SELECT grp, NULL, avg(p) FROM (SELECT m.grp AS grp, "
           MEMBER_POINTS " AS p FROM members m) GROUP BY grp"
           " ORDER BY 3 DESC, 1 LIMIT ?3");
    sc->board_branches = store_prepare(
        s, "SELECT branch, NULL, avg(p) FROM (SELECT m.branch AS branch, "
           MEMBER_POINTS " AS p FROM members m) GROUP BY branch"
           " ORDER BY 3 DESC, 1 LIMIT ?3");
    sc->rating_get = store_prepare(
        s, "SELECT points, stars FROM ratings WHERE period = ? AND scope = ?"
           " AND id = ?");
    sc->rating_put = store_prepare(
        s, "INSERT INTO ratings (period, scope, id, points, stars)"
           " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (period, scope, id)"
           " DO UPDATE SET points = excluded.points,"
           " stars = excluded.stars");
    sc->ratings_of = store_prepare(
        s, "SELECT scope, id, points, stars FROM ratings WHERE period = ?1"
           " AND (?2 IS NULL OR scope = ?2) ORDER BY scope, stars DESC,"
           " points DESC, id");
    return sc->member_put && sc->member_get && sc->board_members &&
                   sc->board_groups && sc->board_branches &&
                   sc->rating_get && sc->rating_put && sc->ratings_of
               ? 0
               : -1;
}

static int s_period(api_req_t *req, field_str_t ps, period_t *p)
{
    *p = (period_t){.name = "all", .from_ms = INT64_MIN, .to_ms = INT64_MAX};
    if (ps.ptr && period_parse(ps.ptr, ps.len, p) < 0) {
        api_fail(req, API_INVALID, "body.period: YYYY, YYYY-Qn or YYYY-MM");
        return -1;
    }
    return 0;
}

api_status_t board_member_register(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t id, name, group, branch;
    if (field_str(&req->body, "id", FIELD_REQUIRED, 64, &id) < 0 ||
        field_text(&req->body, "name", FIELD_REQUIRED, 64, &name) < 0 ||
        field_str(&req->body, "group", FIELD_REQUIRED, 64, &group) < 0 ||
        field_str(&req->body, "branch", FIELD_REQUIRED, 64, &branch) < 0)
        return API_INVALID;
    sqlite3_stmt *st = sc->member_put;
    field_str_t vals[] = {id, name, group, branch};
    for (int i = 0; i < 4; i++)
        sqlite3_bind_text(st, i + 1, vals[i].ptr, (int)vals[i].len,
                          SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)req->now);
    pack_t *d = &sc->data;
    pack_reset(d);
    pack_map(d, 4);
    pack_kfield(d, "id", id);
    pack_kfield(d, "name", name);
    pack_kfield(d, "group", group);
    pack_kfield(d, "branch", branch);
    if (store_step(sc->store, st) < 0 ||
        api_event(req, "member.registered", d) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 1);
    pack_kfield(r, "member", id);
    return API_OK;
}

/* Runs the board of SCOPE for P, calling CB per row. Returns 0 or -1. */
static int s_board(scoring_t *sc, int scope, const period_t *p,
                   int64_t limit,
                   int (*cb)(scoring_t *sc, sqlite3_stmt *st, void *arg),
                   void *arg)
{
    sqlite3_stmt *st = scope == 0   ? sc->board_members
                       : scope == 1 ? sc->board_groups
                                    : sc->board_branches;
    sqlite3_bind_int64(st, 1, p->from_ms);
    sqlite3_bind_int64(st, 2, p->to_ms);
    sqlite3_bind_int64(st, 3, limit);
    int rc;
    while ((rc = store_step(sc->store, st)) == 1)
        if (cb(sc, st, arg) < 0) {
            store_reset(st);
            return -1;
        }
    return rc;
}

static int s_board_row(scoring_t *sc, sqlite3_stmt *st, void *arg)
{
    uint32_t *n = arg;
    pack_t *p = &sc->scratch;
    int has_name = sqlite3_column_type(st, 1) != SQLITE_NULL;
    pack_map(p, has_name ? 3 : 2);
    pack_kstr(p, "id", (const char *)sqlite3_column_text(st, 0));
    if (has_name)
        pack_kstr(p, "name", (const char *)sqlite3_column_text(st, 1));
    if (sqlite3_column_type(st, 2) == SQLITE_INTEGER)
        pack_kint(p, "points", sqlite3_column_int64(st, 2));
    else
        pack_kdouble(p, "points", sqlite3_column_double(st, 2));
    (*n)++;
    return 0;
}

api_status_t board_leaderboard(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t ps = {0};
    int scope;
    uint64_t limit = 100;
    period_t p;
    if (field_enum(&req->body, "scope", FIELD_REQUIRED, s_scopes, &scope) <
            0 ||
        field_str(&req->body, "period", FIELD_OPTIONAL, 16, &ps) < 0 ||
        field_uint(&req->body, "limit", FIELD_OPTIONAL, 1, UINT32_MAX,
                   &limit) < 0)
        return API_INVALID;
    if (s_period(req, ps, &p) < 0)
        return API_INVALID;
    if (limit > 1000)
        limit = 1000;
    pack_reset(&sc->scratch);
    uint32_t n = 0;
    if (s_board(sc, scope, &p, (int64_t)limit, s_board_row, &n) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 3);
    pack_kstr(r, "scope", s_scopes[scope]);
    pack_kstr(r, "period", p.name);
    pack_str(r, "rows");
    pack_array(r, n);
    pack_raw(r, pack_data(&sc->scratch), pack_size(&sc->scratch));
    return API_OK;
}

/* -- ratings --------------------------------------------------------------- */

typedef struct {
    const period_t *period;
    int scope;
    const double *thresholds;
    uint64_t now;
    int64_t counted, stars[6];
    /* The rows of one scope, read before any is written. */
    struct s_rated {
        char id[65];
        double points;
    } *rows;
    size_t n, cap;
} s_rating_t;

static int s_collect(scoring_t *sc, sqlite3_stmt *st, void *arg)
{
    s_rating_t *rt = arg;
    (void)sc;
    if (sqlite3_column_type(st, 1) == SQLITE_NULL && rt->scope == 0)
        return 0; /* not registered: not rated */
    if (rt->n == rt->cap) {
        size_t cap = rt->cap ? rt->cap * 2 : 256;
        struct s_rated *p = realloc(rt->rows, cap * sizeof *p);
        if (!p)
            return -1;
        rt->rows = p;
        rt->cap = cap;
    }
    store_column_copy(st, 0, rt->rows[rt->n].id, sizeof rt->rows[rt->n].id);
    rt->rows[rt->n].points = sqlite3_column_double(st, 2);
    rt->n++;
    return 0;
}

/* Stores and, when new or changed, publishes one rating. */
static int s_rate(scoring_t *sc, s_rating_t *rt, const struct s_rated *one)
{
    int stars = 0;
    while (stars < 5 && one->points >= rt->thresholds[stars])
        stars++;
    rt->counted++;
    rt->stars[stars]++;
    sqlite3_stmt *st = sc->rating_get;
    sqlite3_bind_text(st, 1, rt->period->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s_scopes[rt->scope], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, one->id, -1, SQLITE_STATIC);
    int rc = store_step(sc->store, st);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        int same = sqlite3_column_double(st, 0) == one->points &&
                   sqlite3_column_int(st, 1) == stars;
        store_reset(st);
        if (same)
            return 0;
    }
    st = sc->rating_put;
    sqlite3_bind_text(st, 1, rt->period->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s_scopes[rt->scope], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, one->id, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 4, one->points);
    sqlite3_bind_int(st, 5, stars);
    if (store_step(sc->store, st) < 0)
        return -1;
    pack_t *d = &sc->data;
    pack_reset(d);
    pack_map(d, 5);
    pack_kstr(d, "period", rt->period->name);
    pack_kstr(d, "scope", s_scopes[rt->scope]);
    pack_kstr(d, "id", one->id);
    pack_kdouble(d, "points", one->points);
    pack_kint(d, "stars", stars);
    uint64_t seq;
    return store_event_append(sc->store, "rating.published", pack_data(d),
                              pack_size(d), rt->now, &seq);
}

api_status_t board_ratings_compute(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t ps;
    period_t p;
    if (field_str(&req->body, "period", FIELD_REQUIRED, 16, &ps) < 0)
        return API_INVALID;
    if (s_period(req, ps, &p) < 0)
        return API_INVALID;
    const double *thresholds[] = {sc->config->stars.member,
                                  sc->config->stars.group,
                                  sc->config->stars.branch};
    pack_t *r = api_reply(req, 4);
    pack_kstr(r, "period", p.name);
    for (int scope = 0; scope < 3; scope++) {
        s_rating_t rt = {.period = &p,
                         .scope = scope,
                         .thresholds = thresholds[scope],
                         .now = req->now};
        int rc = s_board(sc, scope, &p, INT64_MAX, s_collect, &rt);
        for (size_t i = 0; rc >= 0 && i < rt.n; i++)
            rc = s_rate(sc, &rt, &rt.rows[i]);
        free(rt.rows);
        if (rc < 0)
            return api_fail(req, API_UNAVAILABLE, "store: cannot write");
        /* {"members": {"rated": n, "stars": [n0..n5]}, ...} */
        pack_str(r, scope == 0 ? "members" : scope == 1 ? "groups"
                                                        : "branches");
        pack_map(r, 2);
        pack_kint(r, "rated", rt.counted);
        pack_str(r, "stars");
        pack_array(r, 6);
        for (int s = 0; s < 6; s++)
            pack_int(r, rt.stars[s]);
    }
    return API_OK;
}

api_status_t board_ratings_list(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t ps;
    int scope = -1;
    period_t p;
    if (field_str(&req->body, "period", FIELD_REQUIRED, 16, &ps) < 0 ||
        field_enum(&req->body, "scope", FIELD_OPTIONAL, s_scopes, &scope) <
            0)
        return API_INVALID;
    if (s_period(req, ps, &p) < 0)
        return API_INVALID;
    sqlite3_stmt *st = sc->ratings_of;
    sqlite3_bind_text(st, 1, p.name, -1, SQLITE_STATIC);
    if (scope >= 0)
        sqlite3_bind_text(st, 2, s_scopes[scope], -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    pack_reset(&sc->scratch);
    uint32_t n = 0;
    int rc;
    while ((rc = store_step(sc->store, st)) == 1) {
        pack_t *q = &sc->scratch;
        pack_map(q, 4);
        pack_kstr(q, "scope", (const char *)sqlite3_column_text(st, 0));
        pack_kstr(q, "id", (const char *)sqlite3_column_text(st, 1));
        pack_kdouble(q, "points", sqlite3_column_double(st, 2));
        pack_kint(q, "stars", sqlite3_column_int(st, 3));
        n++;
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 2);
    pack_kstr(r, "period", p.name);
    pack_str(r, "ratings");
    pack_array(r, n);
    pack_raw(r, pack_data(&sc->scratch), pack_size(&sc->scratch));
    return API_OK;
}

api_status_t board_stats(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    int64_t members = 0;
    if (store_step(sc->store, sc->member_get) == 1) {
        members = sqlite3_column_int64(sc->member_get, 0);
        store_reset(sc->member_get);
    }
    pack_t *r = api_reply(req, 3);
    pack_kint(r, "members", members);
    pack_kuint(r, "last_seq", store_durable_seq(sc->store));
    pack_kuint(r, "dispatch_applied", follow_cursor(sc->dispatch));
    return API_OK;
}
