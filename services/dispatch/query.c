/*  query: reading tasks — task.get, tasks.list and stats. Nothing here
 *  changes a task; task.c owns every move.
 */
#include "dispatch.h"
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int query_prepare(dispatch_t *dp)
{
    store_t *s = dp->store;
    dp->task_list = store_prepare(
        s, "SELECT " TASK_COLS " FROM tasks WHERE task > ?4"
           " AND (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR a_id = ?2)"
           " AND (?3 IS NULL OR grid = ?3) ORDER BY task LIMIT ?5");
    return dp->task_list ? 0 : -1;
}

/* Writes the task in the current row of ST as a map. */
static void s_pack_task(dispatch_t *dp, sqlite3_stmt *st, pack_t *p)
{
    task_t t;
    task_row(dp, st, &t);
    char name[24];
    task_name(name, t.r.task);
    pack_map(p, 18);
    pack_kstr(p, "task", name);
    pack_kstr(p, "ref", t.ref);
    pack_kstr(p, "status", task_states[t.state]);
    pack_kstr(p, "category", t.r.category);
    pack_kuint(p, "urgency", (uint64_t)t.urgency);
    pack_kstr(p, "community", t.r.community);
    pack_kstr(p, "grid", t.r.grid);
    pack_kstr(p, "compound", t.r.compound);
    pack_kstr(p, "stairwell", t.r.stairwell);
    pack_str(p, "assignee");
    if (t.a.rank == RANK_NONE)
        pack_nil(p);
    else
        route_pack_assignee(p, &t.a);
    pack_kstr(p, "level", route_level(&t.a));
    /* Times that have not come (yet) are nil. */
    const char *keys[] = {"assigned_at", "accept_by", "resolve_by",
                          "accepted_at", "resolved_at"};
    int64_t times[] = {t.assigned_at, t.accept_by, t.resolve_by,
                       t.accepted_at, t.resolved_at};
    for (int i = 0; i < 5; i++)
        if (times[i])
            pack_kint(p, keys[i], times[i]);
        else
            pack_knil(p, keys[i]);
    pack_kbool(p, "breached", t.stuck);
    pack_kstrn(p, "satisfaction", (const char *)sqlite3_column_text(st, 26),
               (size_t)sqlite3_column_bytes(st, 26));
}

api_status_t task_get(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    task_t t;
    api_status_t st = task_from_request(req, dp, &t);
    if (st != API_OK)
        return st;
    if (req->unit[0] && strcmp(req->unit, t.a.id) != 0)
        return api_fail(req, API_FORBIDDEN,
                        "body.task: not a task of unit %s", req->unit);
    if (task_load(dp, t.r.task, &t) != 1)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 1);
    pack_str(r, "task");
    s_pack_task(dp, dp->task_get, r);
    store_reset(dp->task_get);
    return API_OK;
}

api_status_t task_list(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    int status = -1;
    field_str_t assignee = {0}, grid = {0};
    page_t pg;
    if (field_enum(&req->body, "status", FIELD_OPTIONAL, task_states,
                   &status) < 0 ||
        field_str(&req->body, "assignee", FIELD_OPTIONAL, 64, &assignee) <
            0 ||
        field_str(&req->body, "grid", FIELD_OPTIONAL, 64, &grid) < 0 ||
        page_begin(&pg, req, &dp->scratch) < 0)
        return API_INVALID;
    sqlite3_stmt *st = dp->task_list;
    if (status >= 0)
        sqlite3_bind_text(st, 1, task_states[status], -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    if (req->unit[0]) /* a unit sees its own tasks only */
        assignee = (field_str_t){req->unit, strlen(req->unit)};
    if (assignee.ptr)
        sqlite3_bind_text(st, 2, assignee.ptr, (int)assignee.len,
                          SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    if (grid.ptr)
        sqlite3_bind_text(st, 3, grid.ptr, (int)grid.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, pg.after);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)pg.limit + 1);
    int rc;
    while ((rc = store_step(dp->store, st)) == 1) {
        if (!page_take(&pg, sqlite3_column_int64(st, 0))) {
            store_reset(st);
            break;
        }
        s_pack_task(dp, st, pg.items);
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    return page_reply(&pg, req, "tasks");
}

static void s_stat(const char *key, int64_t n, void *arg)
{
    int64_t *counts = arg;
    for (int i = 0; i < ST_COUNT; i++)
        if (strncmp(key, "tasks.", 6) == 0 &&
            strcmp(key + 6, task_states[i]) == 0)
            counts[i] = n;
}

api_status_t task_stats(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    int64_t n[ST_COUNT] = {0}, total = 0;
    if (store_counts(dp->store, s_stat, n) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 3);
    pack_str(r, "tasks");
    pack_map(r, ST_COUNT + 1);
    for (int i = 0; i < ST_COUNT; i++) {
        pack_kint(r, task_states[i], n[i]);
        total += n[i];
    }
    pack_kint(r, "total", total);
    pack_kuint(r, "last_seq", store_durable_seq(dp->store));
    pack_kuint(r, "intake_applied", follow_cursor(dp->intake));
    return API_OK;
}
