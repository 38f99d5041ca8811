/*  task: one request's task, from dispatch (下单) to the follow-up visit.
 *  A request has one task for its whole life.
 *
 *                 request.accepted (s_create)
 *                          │
 *            nobody yet    v    somebody on the route
 *   PENDING <──────── (routing) ────────> ASSIGNED <───────────────────┐
 *      │  task_retry_pending                │  │  decline, escalate,    │
 *      └─────────────────────────────────>  │  │  deadline: next one ───┘
 *                                 task_accept│
 *                                            v
 *                                        ACCEPTED ── escalate, deadline ──> ASSIGNED
 *                                            │ task_resolve
 *                                            v
 *                                        RESOLVED ── follow-up unsatisfied ──> ASSIGNED
 *                                            │ follow-up satisfied/basically     (routed
 *                                            v                                   again)
 *                                         CLOSED ── task.reopen ──> ASSIGNED (routed again)
 *
 *   PENDING, ASSIGNED, ACCEPTED, RESOLVED ── request.cancelled ──> CANCELLED
 *
 *  Every move is checked against s_moves (s_may): a request that asks for
 *  a move its task's state does not allow gets `conflict` and changes
 *  nothing. Each move checks all it needs before its first write, then
 *  writes the task row, its events and its rate facts in the caller's
 *  transaction.
 */
#include "clock.h"
#include "dispatch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"


const char *const task_states[] = {"pending",  "assigned", "accepted",
                                   "resolved", "closed",   "cancelled",
                                   NULL};

typedef enum {
    MV_ROUTE,    /* (re)assign: routing, decline, escalation, deadline */
    MV_ACCEPT,   /* task_accept */
    MV_RESOLVE,  /* task_resolve */
    MV_FOLLOWUP, /* task_followup (closes or reopens) */
    MV_REOPEN,   /* task_reopen */
    MV_CANCEL,   /* task_request_cancelled */
    MV_COUNT
} move_t;

/* Which states each move may start from. */
static const unsigned s_moves[MV_COUNT] = {
    [MV_ROUTE] = 1u << ST_PENDING | 1u << ST_ASSIGNED | 1u << ST_ACCEPTED,
    [MV_ACCEPT] = 1u << ST_ASSIGNED,
    [MV_RESOLVE] = 1u << ST_ACCEPTED,
    [MV_FOLLOWUP] = 1u << ST_RESOLVED,
    [MV_REOPEN] = 1u << ST_CLOSED,
    [MV_CANCEL] = 1u << ST_PENDING | 1u << ST_ASSIGNED | 1u << ST_ACCEPTED |
                  1u << ST_RESOLVED,
};

static int s_may(state_t from, move_t mv)
{
    return (s_moves[mv] >> from) & 1u;
}

static const char *const s_satisfaction[] = {"satisfied", "basically",
                                             "unsatisfied", NULL};


int task_prepare(dispatch_t *dp)
{
    store_t *s = dp->store;
    /* Every assignment, pending included, writes the same columns: a new
     * task is inserted as it stands after its first move, an existing one
     * has them replaced (one statement, where an insert and an update
     * would move every index twice). */
    dp->task_write = store_prepare(
        s, "INSERT INTO tasks (task, ref, category, urgency, community,"
           " grid, compound, stairwell, status, rank, a_kind, a_id, a_name,"
           " a_role, a_node, assigned_at, accept_by, resolve_by, due,"
           " assign_fact, created, updated)"
           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
           " ON CONFLICT (task) DO UPDATE SET status = excluded.status,"
           " rank = excluded.rank, a_kind = excluded.a_kind,"
           " a_id = excluded.a_id, a_name = excluded.a_name,"
           " a_role = excluded.a_role, a_node = excluded.a_node,"
           " assigned_at = excluded.assigned_at,"
           " accept_by = excluded.accept_by,"
           " resolve_by = excluded.resolve_by, accepted_at = NULL,"
           " due = excluded.due, stuck = 0,"
           " assign_fact = excluded.assign_fact, satisfaction = NULL,"
           " solved = NULL, updated = excluded.updated");
    dp->task_next = store_prepare(
        s, "SELECT coalesce(max(task), 0) + 1 FROM tasks");
    dp->task_get =
        store_prepare(s, "SELECT " TASK_COLS " FROM tasks WHERE task = ?");
    dp->task_by_ref =
        store_prepare(s, "SELECT task FROM tasks WHERE ref = ?");
    dp->task_set_status = store_prepare(
        s, "UPDATE tasks SET status = ?2, due = ?3, stuck = ?4,"
           " updated = ?5 WHERE task = ?1");
    dp->task_accept = store_prepare(
        s, "UPDATE tasks SET status = 'accepted', accepted_at = ?2,"
           " due = resolve_by, updated = ?2 WHERE task = ?1");
    dp->task_resolve = store_prepare(
        s, "UPDATE tasks SET status = 'resolved', resolved_at = ?2,"
           " due = NULL, result = ?3, participants = ?4, difficulty = ?5,"
           " professional = ?6, resolved_by = ?7, updated = ?2"
           " WHERE task = ?1");
    dp->task_close = store_prepare(
        s, "UPDATE tasks SET status = ?2, satisfaction = ?3, solved = ?4,"
           " updated = ?5 WHERE task = ?1");
    dp->tried_add = store_prepare(
        s, "INSERT OR IGNORE INTO tried (task, unit) VALUES (?, ?)");
    dp->tried_clear = store_prepare(s, "DELETE FROM tried WHERE task = ?");
    dp->pending = store_prepare(
        s, "SELECT task FROM tasks WHERE status = 'pending' AND task > ?1"
           " ORDER BY task LIMIT ?2");
    return dp->task_write && dp->task_next && dp->task_get &&
                   dp->task_by_ref && dp->task_set_status &&
                   dp->task_accept && dp->task_resolve && dp->task_close &&
                   dp->tried_add && dp->tried_clear && dp->pending
               ? 0
               : -1;
}

/* -- reading --------------------------------------------------------------- */

static state_t s_state(const char *name)
{
    for (int i = 0; i < ST_COUNT; i++)
        if (strcmp(name, task_states[i]) == 0)
            return (state_t)i;
    return ST_CANCELLED;
}

void task_row(dispatch_t *dp, sqlite3_stmt *st, task_t *t)
{
    memset(t, 0, sizeof *t);
    t->r.task = sqlite3_column_int64(st, 0);
    store_column_copy(st, 1, t->ref, sizeof t->ref);
    store_column_copy(st, 2, t->r.category, sizeof t->r.category);
    const config_category_t *c =
        config_category(dp->config, t->r.category, strlen(t->r.category));
    t->r.route = c ? c->route : ROUTE_GRID;
    t->urgency = sqlite3_column_int(st, 3);
    store_column_copy(st, 4, t->r.community, sizeof t->r.community);
    store_column_copy(st, 5, t->r.grid, sizeof t->r.grid);
    store_column_copy(st, 6, t->r.compound, sizeof t->r.compound);
    store_column_copy(st, 7, t->r.stairwell, sizeof t->r.stairwell);
    char status[16];
    store_column_copy(st, 8, status, sizeof status);
    t->state = s_state(status);
    t->a.rank = (rank_t)sqlite3_column_int(st, 9);
    store_column_copy(st, 10, t->a.kind, sizeof t->a.kind);
    store_column_copy(st, 11, t->a.id, sizeof t->a.id);
    store_column_copy(st, 12, t->a.name, sizeof t->a.name);
    store_column_copy(st, 13, t->a.role, sizeof t->a.role);
    store_column_copy(st, 14, t->a.node, sizeof t->a.node);
    t->assigned_at = sqlite3_column_int64(st, 15);
    t->accept_by = sqlite3_column_int64(st, 16);
    t->resolve_by = sqlite3_column_int64(st, 17);
    t->accepted_at = sqlite3_column_int64(st, 18);
    t->resolved_at = sqlite3_column_int64(st, 19);
    t->assign_fact = sqlite3_column_int64(st, 20);
    t->stuck = sqlite3_column_int(st, 21);
    t->created = sqlite3_column_int64(st, 29);
}

int task_load(dispatch_t *dp, int64_t id, task_t *t)
{
    sqlite3_bind_int64(dp->task_get, 1, id);
    int rc = store_step(dp->store, dp->task_get);
    if (rc == 1)
        task_row(dp, dp->task_get, t);
    return rc;
}

void task_name(char out[24], int64_t id)
{
    snprintf(out, 24, "T%08" PRId64, id);
}

/* -- moves ----------------------------------------------------------------- */

static int s_is_unit(const assignee_t *a)
{
    return a->rank == RANK_UNIT || a->rank == RANK_DEPARTMENT;
}

static int s_event(dispatch_t *dp, const char *type, uint64_t ts)
{
    uint64_t seq;
    return store_event_append(dp->store, type, pack_data(&dp->data),
                              pack_size(&dp->data), ts, &seq);
}

/* Counts a task moving from state FROM to TO (ST_COUNT: none). */
static int s_count(dispatch_t *dp, const task_t *t, state_t from,
                   state_t to)
{
    /* "tasks.<state>" for stats, "grid.<grid>.<state>" for the metrics of
     * open tasks by grid. */
    char key[2][96];
    const state_t moves[2] = {from, to};
    for (int i = 0; i < 2; i++) {
        if (moves[i] == ST_COUNT)
            continue;
        snprintf(key[0], sizeof key[0], "tasks.%s", task_states[moves[i]]);
        snprintf(key[1], sizeof key[1], "grid.%s.%s", t->r.grid,
                 task_states[moves[i]]);
        for (int k = 0; k < 2; k++)
            if (store_count_add(dp->store, key[k], i ? 1 : -1) < 0)
                return -1;
    }
    return 0;
}

/* Starts the data of an event about task T in dp->data: a map of N more
 * entries after its task and ref, which the caller writes. */
static pack_t *s_data(dispatch_t *dp, const task_t *t, uint32_t n)
{
    char name[24];
    task_name(name, t->r.task);
    pack_t *d = &dp->data;
    pack_reset(d);
    pack_map(d, n + 2);
    pack_kstr(d, "task", name);
    pack_kstr(d, "ref", t->ref);
    return d;
}

/* Scales a deadline by urgency: 1 as configured, 2 half, 3 a quarter. */
static int64_t s_deadline(uint64_t ms, int urgency)
{
    return (int64_t)(urgency >= 3 ? ms / 4 : urgency == 2 ? ms / 2 : ms);
}

static void s_bind_str(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void s_bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms)
        sqlite3_bind_int64(st, i, ms);
    else
        sqlite3_bind_null(st, i);
}

/* Writes task T as s_assign left it, DUE its next deadline (0: none):
 * inserts a new task, and replaces an existing one's assignment. A pending
 * task has no assignee and no deadlines; "" and 0 are written as NULL. */
static int s_write(dispatch_t *dp, const task_t *t, int64_t due,
                   uint64_t now)
{
    sqlite3_stmt *st = dp->task_write;
    const char *chain[] = {t->r.community, t->r.grid, t->r.compound,
                           t->r.stairwell};
    const char *who[] = {t->a.kind, t->a.id, t->a.name, t->a.role,
                         t->a.node};
    const int64_t times[] = {t->assigned_at, t->accept_by, t->resolve_by,
                             due, t->assign_fact};
    sqlite3_bind_int64(st, 1, t->r.task);
    sqlite3_bind_text(st, 2, t->ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->r.category, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, t->urgency);
    for (int i = 0; i < 4; i++)
        s_bind_str(st, 5 + i, chain[i]);
    sqlite3_bind_text(st, 9, task_states[t->state], -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, t->a.rank);
    for (int i = 0; i < 5; i++)
        s_bind_str(st, 11 + i, who[i]);
    for (int i = 0; i < 5; i++)
        s_bind_ms(st, 16 + i, times[i]);
    sqlite3_bind_int64(st, 21, t->created);
    sqlite3_bind_int64(st, 22, (sqlite3_int64)now);
    return store_step(dp->store, st);
}

/* Whether task T holds a place in its assignee's capacity: a unit's (or
 * department's) units.open counts the tasks assigned to it or accepted by
 * it, and nothing else. */
static int s_holds_slot(const task_t *t)
{
    return (t->state == ST_ASSIGNED || t->state == ST_ACCEPTED) &&
           s_is_unit(&t->a);
}

/* Moves the open count of the unit whose place task T holds, if it holds
 * one, by DELTA: every move of a task calls it before (-1) and after (+1)
 * it changes the task's state or assignee. */
static int s_slot_move(dispatch_t *dp, const task_t *t, int delta)
{
    return s_holds_slot(t) ? directory_unit_load(dp, t->a.id, delta) : 0;
}

/* Hands task T to A (or leaves it pending, with nobody, when A->rank is
 * RANK_NONE), with fresh deadlines from NOW, and logs task.assigned (or
 * task.pending). A new task (state ST_COUNT, not yet a row) is inserted as
 * it ends up. */
static int s_assign(dispatch_t *dp, task_t *t, const assignee_t *a,
                    uint64_t now)
{
    state_t to = a->rank == RANK_NONE ? ST_PENDING : ST_ASSIGNED;
    if (s_slot_move(dp, t, -1) < 0 ||
        (t->state != to && s_count(dp, t, t->state, to) < 0))
        return -1;
    t->state = to;
    t->a = *a;
    t->stuck = 0;
    t->assigned_at = t->accept_by = t->resolve_by = t->accepted_at = 0;
    t->assign_fact = 0;
    int64_t due = 0;
    if (to == ST_ASSIGNED) {
        const config_category_t *c = config_category(
            dp->config, t->r.category, strlen(t->r.category));
        t->assigned_at = (int64_t)now;
        t->accept_by = (int64_t)now + s_deadline(c ? c->accept_ms : 3600000,
                                                 t->urgency);
        t->resolve_by = (int64_t)now + s_deadline(c ? c->resolve_ms
                                                    : 259200000,
                                                  t->urgency);
        due = t->accept_by < t->resolve_by ? t->accept_by : t->resolve_by;
        t->assign_fact = rates_fact(dp, FACT_ASSIGN, t->r.task, now,
                                    t->r.grid, s_is_unit(a) ? a->id : NULL,
                                    t->r.category, 0, 0, -1);
        if (t->assign_fact < 0)
            return -1;
    }
    if (s_slot_move(dp, t, 1) < 0 || s_write(dp, t, due, now) < 0)
        return -1;
    if (to == ST_PENDING) {
        pack_kstr(s_data(dp, t, 1), "reason",
                  "nobody on the request's chain or among the units can "
                  "take it yet");
        return s_event(dp, "task.pending", now);
    }
    pack_t *d = s_data(dp, t, 6);
    pack_str(d, "assignee");
    route_pack_assignee(d, &t->a);
    pack_kstr(d, "level", route_level(&t->a));
    pack_kuint(d, "accept_by", (uint64_t)t->accept_by);
    pack_kuint(d, "resolve_by", (uint64_t)t->resolve_by);
    pack_kstr(d, "category", t->r.category);
    pack_kstr(d, "grid", t->r.grid);
    deadline_note(dp, due);
    return s_event(dp, "task.assigned", now);
}

/* Moves task T one step on: to the next unit (UNIT_NEXT) or up the chain.
 * REASON is accept_timeout, resolve_timeout, manual or decline; a decline
 * logs task.declined (by BY), anything else task.escalated. Returns 1 when
 * moved, 0 when nobody is above (nothing changed), -1 on error. */
static int s_pass(dispatch_t *dp, task_t *t, const char *reason,
                  const char *by, const char *why, int unit_next,
                  uint64_t now)
{
    /* Nothing is written before somebody is found: a request that finds
     * nobody fails having changed nothing. */
    assignee_t next;
    int rc = route_next(dp, &t->r, &t->a, unit_next, &next);
    if (rc <= 0)
        return rc;
    if (unit_next && t->a.rank == RANK_UNIT) {
        sqlite3_bind_int64(dp->tried_add, 1, t->r.task);
        sqlite3_bind_text(dp->tried_add, 2, t->a.id, -1, SQLITE_STATIC);
        if (store_step(dp->store, dp->tried_add) < 0)
            return -1;
    }
    int decline = strcmp(reason, "decline") == 0;
    pack_t *d = s_data(dp, t, 4);
    if (decline) {
        pack_kstr(d, "by", by);
        pack_kstr(d, "reason", why);
        pack_str(d, "to");
        route_pack_assignee(d, &next);
    } else {
        pack_str(d, "from");
        route_pack_assignee(d, &t->a);
        pack_str(d, "to");
        route_pack_assignee(d, &next);
        pack_kstr(d, "reason", reason);
    }
    pack_kstr(d, "level", route_level(&next)); /* where it went */
    if (s_event(dp, decline ? "task.declined" : "task.escalated", now) < 0 ||
        s_assign(dp, t, &next, now) < 0)
        return -1;
    if (!decline) {
        char name[24];
        task_name(name, t->r.task);
        log_info("task %s escalated to %s (%s)", name, route_level(&next),
                 reason);
        char labels[64];
        snprintf(labels, sizeof labels, "level=\"%s\",reason=\"%s\"",
                 route_level(&next), reason);
        if (dp->metrics)
            metric_add(metrics_counter(dp->metrics, "juli_escalations_total",
                                       "Tasks escalated, by the level they "
                                       "went to and why.",
                                       labels),
                       1);
    }
    return 1;
}

/* -- from intake ----------------------------------------------------------- */

int task_request_accepted(dispatch_t *dp, const field_map_t *data,
                          uint64_t ts)
{
    field_str_t ref, category;
    uint64_t urgency = 1;
    if (field_str(data, "ref", FIELD_REQUIRED, 23, &ref) < 0 ||
        field_str(data, "category", FIELD_REQUIRED, 31, &category) < 0 ||
        field_uint(data, "urgency", FIELD_OPTIONAL, 1, 3, &urgency) < 0) {
        log_error("request.accepted skipped: %s", data->err);
        return 0;
    }
    /* One task per request, whatever comes. */
    sqlite3_stmt *st = dp->task_by_ref;
    sqlite3_bind_text(st, 1, ref.ptr, (int)ref.len, SQLITE_STATIC);
    int rc = store_step(dp->store, st);
    if (rc != 0) {
        if (rc == 1)
            store_reset(st);
        return rc < 0 ? -1 : 0;
    }
    /* The task before its first move: not yet a row (ST_COUNT), with the
     * request's chain and the next task id. */
    task_t t;
    memset(&t, 0, sizeof t);
    snprintf(t.ref, sizeof t.ref, "%.*s", (int)ref.len, ref.ptr);
    snprintf(t.r.category, sizeof t.r.category, "%.*s", (int)category.len,
             category.ptr);
    const config_category_t *c =
        config_category(dp->config, category.ptr, category.len);
    t.r.route = c ? c->route : ROUTE_GRID;
    t.urgency = (int)urgency;
    t.state = ST_COUNT;
    t.a.rank = RANK_NONE;
    t.created = (int64_t)ts;
    const char *keys[] = {"community", "grid", "compound", "stairwell"};
    char *chain[] = {t.r.community, t.r.grid, t.r.compound, t.r.stairwell};
    for (int i = 0; i < 4; i++) {
        field_str_t v = {0};
        field_str(data, keys[i], FIELD_OPTIONAL, 64, &v);
        if (v.ptr)
            memcpy(chain[i], v.ptr, v.len); /* 64 at most: fits */
    }
    if (store_step(dp->store, dp->task_next) != 1)
        return -1;
    t.r.task = sqlite3_column_int64(dp->task_next, 0);
    store_reset(dp->task_next);
    assignee_t a;
    uint64_t now = clock_now_ms();
    if (route_first(dp, &t.r, &a) < 0)
        return -1;
    return s_assign(dp, &t, &a, now);
}

int task_request_cancelled(dispatch_t *dp, const field_map_t *data,
                           uint64_t ts)
{
    field_str_t ref;
    (void)ts;
    if (field_str(data, "ref", FIELD_REQUIRED, 23, &ref) < 0) {
        log_error("request.cancelled skipped: %s", data->err);
        return 0;
    }
    sqlite3_stmt *st = dp->task_by_ref;
    sqlite3_bind_text(st, 1, ref.ptr, (int)ref.len, SQLITE_STATIC);
    int rc = store_step(dp->store, st);
    if (rc <= 0)
        return rc; /* a request in triage never had a task */
    int64_t id = sqlite3_column_int64(st, 0);
    store_reset(st);
    task_t t;
    if (task_load(dp, id, &t) != 1)
        return -1;
    store_reset(dp->task_get);
    if (!s_may(t.state, MV_CANCEL))
        return 0; /* closed already: it stays closed */
    uint64_t now = clock_now_ms();
    if (s_slot_move(dp, &t, -1) < 0)
        return -1;
    st = dp->task_set_status;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, "cancelled", -1, SQLITE_STATIC);
    sqlite3_bind_null(st, 3);
    sqlite3_bind_int(st, 4, 0);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
    if (store_step(dp->store, st) < 0 ||
        s_count(dp, &t, t.state, ST_CANCELLED) < 0)
        return -1;
    s_data(dp, &t, 0);
    return s_event(dp, "task.cancelled", now);
}

int task_retry_pending(dispatch_t *dp, uint64_t now)
{
    /* Every pending task, a page of ids at a time (routing one moves it out
     * of the index a query in progress would be reading), oldest first. */
    enum { PAGE = 256 };
    int64_t ids[PAGE], after = 0;
    size_t n;
    do {
        sqlite3_stmt *st = dp->pending;
        sqlite3_bind_int64(st, 1, after);
        sqlite3_bind_int(st, 2, PAGE);
        int rc;
        n = 0;
        while ((rc = store_step(dp->store, st)) == 1)
            ids[n++] = sqlite3_column_int64(st, 0);
        if (rc < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            task_t t;
            assignee_t a;
            if (task_load(dp, ids[i], &t) != 1)
                return -1;
            store_reset(dp->task_get);
            if (route_first(dp, &t.r, &a) < 0)
                return -1;
            if (a.rank != RANK_NONE && s_assign(dp, &t, &a, now) < 0)
                return -1;
        }
        if (n)
            after = ids[n - 1];
    } while (n == PAGE);
    return 0;
}

int task_deadline_passed(dispatch_t *dp, int64_t id, uint64_t now)
{
    task_t t;
    int rc = task_load(dp, id, &t);
    if (rc <= 0)
        return rc;
    store_reset(dp->task_get);
    const char *reason = NULL;
    if (t.state == ST_ASSIGNED && (int64_t)now >= t.accept_by)
        reason = "accept_timeout";
    else if ((t.state == ST_ASSIGNED || t.state == ST_ACCEPTED) &&
             (int64_t)now >= t.resolve_by)
        reason = "resolve_timeout";
    if (reason && !t.stuck) {
        rc = s_pass(dp, &t, reason, NULL, NULL, 1, now);
        if (rc != 0)
            return rc;
        /* Nobody above: the task stays, the breach is counted once. */
        char name[24];
        task_name(name, id);
        log_warn("task %s: %s at the top of the chain", name, reason);
        if (dp->breaches)
            metric_add(dp->breaches, 1);
        t.stuck = 1;
    }
    /* What is left to watch: nothing once stuck, else the next deadline. */
    int64_t due = t.stuck || t.state == ST_PENDING ? 0
                  : t.state == ST_ASSIGNED
                      ? (t.accept_by < t.resolve_by ? t.accept_by
                                                    : t.resolve_by)
                  : t.state == ST_ACCEPTED ? t.resolve_by
                                           : 0;
    if (due && due <= (int64_t)now)
        due = 0; /* passed and handled */
    sqlite3_stmt *st = dp->task_set_status;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, task_states[t.state], -1, SQLITE_STATIC);
    s_bind_ms(st, 3, due);
    sqlite3_bind_int(st, 4, t.stuck);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
    return store_step(dp->store, st) < 0 ? -1 : 0;
}

/* -- requests -------------------------------------------------------------- */

api_status_t task_from_request(api_req_t *req, dispatch_t *dp,
                               task_t *t)
{
    field_str_t v;
    if (field_str(&req->body, "task", FIELD_REQUIRED, 24, &v) < 0)
        return API_INVALID;
    size_t i = v.len && (v.ptr[0] == 'T' || v.ptr[0] == 't') ? 1 : 0;
    int64_t id = 0;
    if (i == v.len || v.len - i > 18)
        return api_fail(req, API_INVALID, "body.task: not a task id");
    for (; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9')
            return api_fail(req, API_INVALID, "body.task: not a task id");
        id = id * 10 + (v.ptr[i] - '0');
    }
    int rc = task_load(dp, id, t);
    if (rc == 1)
        store_reset(dp->task_get);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 0)
        return api_fail(req, API_NOT_FOUND, "body.task: no such task");
    return API_OK;
}

/* The `by` of an assignee's request: a unit's key says which unit it is
 * (a body's by is not asked for, nor believed); anyone else names
 * themselves. */
static int s_by(api_req_t *req, field_str_t *by)
{
    if (req->unit[0]) {
        *by = (field_str_t){req->unit, strlen(req->unit)};
        return 1;
    }
    return field_str(&req->body, "by", FIELD_REQUIRED, 64, by);
}

/* Checks that BY is the current assignee (after the fields are valid). */
static api_status_t s_by_assignee(api_req_t *req, const task_t *t,
                                  field_str_t by)
{
    if (t->state == ST_CANCELLED)
        return api_fail(req, API_CONFLICT, "body.task: cancelled");
    if (!field_str_eq(by, t->a.id))
        return api_fail(req, API_FORBIDDEN,
                        "body.by: not the task's assignee");
    return API_OK;
}

static api_status_t s_conflict(api_req_t *req, const task_t *t,
                               const char *what)
{
    return api_fail(req, API_CONFLICT, "body.task: the task is %s: it "
                                       "cannot be %s",
                    task_states[t->state], what);
}

/* The common start of an assignee's request, once its fields are read:
 * the task, BY its assignee, and the move MV allowed (WHAT names it for
 * the conflict). Returns API_OK, or the failure to answer with. */
static api_status_t s_assignee_task(api_req_t *req, dispatch_t *dp,
                                    field_str_t by, move_t mv,
                                    const char *what, task_t *t)
{
    api_status_t st = task_from_request(req, dp, t);
    if (st != API_OK || (st = s_by_assignee(req, t, by)) != API_OK)
        return st;
    return s_may(t->state, mv) ? API_OK : s_conflict(req, t, what);
}

static void s_reply_task(api_req_t *req, const task_t *t)
{
    char name[24];
    task_name(name, t->r.task);
    pack_t *r = api_reply(req, 2);
    pack_kstr(r, "task", name);
    pack_kstr(r, "status", task_states[t->state]);
}

api_status_t task_accept(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    task_t t;
    field_str_t by;
    if (s_by(req, &by) < 0)
        return API_INVALID;
    api_status_t st = s_assignee_task(req, dp, by, MV_ACCEPT, "accepted", &t);
    if (st != API_OK)
        return st;
    sqlite3_stmt *s = dp->task_accept;
    sqlite3_bind_int64(s, 1, t.r.task);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)req->now);
    int in_time = (int64_t)req->now <= t.accept_by;
    pack_t *d = s_data(dp, &t, 1);
    pack_kfield(d, "by", by);
    if (store_step(dp->store, s) < 0 ||
        s_count(dp, &t, ST_ASSIGNED, ST_ACCEPTED) < 0 ||
        rates_accepted(dp, t.assign_fact, in_time,
                       (double)((int64_t)req->now - t.assigned_at) /
                           60000.0) < 0 ||
        api_event(req, "task.accepted", d) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    t.state = ST_ACCEPTED;
    s_reply_task(req, &t);
    return API_OK;
}

/* decline and escalate: pass the task on. */
static api_status_t s_pass_request(api_req_t *req, dispatch_t *dp,
                                   int decline)
{
    task_t t;
    field_str_t by, reason;
    if (s_by(req, &by) < 0 ||
        field_text(&req->body, "reason", FIELD_REQUIRED, 500, &reason) < 0)
        return API_INVALID;
    api_status_t st = task_from_request(req, dp, &t);
    if (st != API_OK || (st = s_by_assignee(req, &t, by)) != API_OK)
        return st;
    if (!s_may(t.state, MV_ROUTE) || t.state == ST_PENDING ||
        (decline && t.state != ST_ASSIGNED))
        return s_conflict(req, &t, decline ? "declined" : "escalated");
    char by_s[65], why[2048]; /* 500 characters of UTF-8 */
    snprintf(by_s, sizeof by_s, "%.*s", (int)by.len, by.ptr);
    snprintf(why, sizeof why, "%.*s", (int)reason.len, reason.ptr);
    int rc = s_pass(dp, &t, decline ? "decline" : "manual", by_s, why,
                    decline, req->now);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    if (rc == 0)
        return api_fail(req, API_CONFLICT,
                        "body.task: nobody above %s to pass it to",
                        route_level(&t.a));
    s_reply_task(req, &t);
    return API_OK;
}

api_status_t task_decline(api_req_t *req, void *ctx)
{
    return s_pass_request(req, ctx, 1);
}

api_status_t task_escalate(api_req_t *req, void *ctx)
{
    return s_pass_request(req, ctx, 0);
}

api_status_t task_resolve(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    task_t t;
    field_str_t by, result;
    const msgpack_object *parts;
    size_t nparts;
    uint64_t difficulty;
    int professional = 0;
    if (s_by(req, &by) < 0 ||
        field_text(&req->body, "result", FIELD_REQUIRED, 2000, &result) <
            0 ||
        field_array(&req->body, "participants", FIELD_REQUIRED, 64, &parts,
                    &nparts) < 0 ||
        field_uint(&req->body, "difficulty", FIELD_REQUIRED, 1, 3,
                   &difficulty) < 0 ||
        field_bool(&req->body, "professional", FIELD_OPTIONAL,
                   &professional) < 0)
        return API_INVALID;
    pack_t *p = &dp->scratch;
    pack_reset(p);
    pack_array(p, (uint32_t)nparts);
    for (size_t i = 0; i < nparts; i++) {
        field_map_t one;
        field_str_t member;
        double hours;
        if (field_item_map(&req->body, "participants", i, &parts[i], &one) <
                0 ||
            field_str(&one, "member", FIELD_REQUIRED, 64, &member) < 0 ||
            field_num(&one, "hours", FIELD_REQUIRED, &hours) < 0)
            return API_INVALID;
        if (!(hours > 0 && hours <= 24)) {
            field_fail(&one, "hours", "must be in (0, 24]");
            return API_INVALID;
        }
        pack_map(p, 2);
        pack_kfield(p, "member", member);
        pack_kdouble(p, "hours", hours);
    }
    api_status_t st = s_assignee_task(req, dp, by, MV_RESOLVE, "resolved", &t);
    if (st != API_OK)
        return st;
    sqlite3_stmt *s = dp->task_resolve;
    sqlite3_bind_int64(s, 1, t.r.task);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)req->now);
    sqlite3_bind_text(s, 3, result.ptr, (int)result.len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, pack_data(p), (int)pack_size(p), SQLITE_STATIC);
    sqlite3_bind_int(s, 5, (int)difficulty);
    sqlite3_bind_int(s, 6, professional);
    sqlite3_bind_text(s, 7, by.ptr, (int)by.len, SQLITE_STATIC);
    if (store_step(dp->store, s) < 0 ||
        s_count(dp, &t, ST_ACCEPTED, ST_RESOLVED) < 0 ||
        s_slot_move(dp, &t, -1) < 0 ||
        rates_fact(dp, FACT_RESOLVE, t.r.task, req->now, t.r.grid,
                   s_is_unit(&t.a) ? t.a.id : NULL, t.r.category,
                   (int64_t)req->now <= t.resolve_by, 0,
                   (double)((int64_t)req->now - t.accepted_at) / 60000.0) <
            0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *d = s_data(dp, &t, 5);
    pack_kfield(d, "by", by);
    pack_kfield(d, "result", result);
    pack_str(d, "participants");
    pack_raw(d, pack_data(p), pack_size(p));
    pack_kuint(d, "difficulty", difficulty);
    pack_kbool(d, "professional", professional);
    if (api_event(req, "task.resolved", d) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    t.state = ST_RESOLVED;
    s_reply_task(req, &t);
    return API_OK;
}

/* Routes task T again from the start of its route (reopen), after logging
 * task.reopened. */
static int s_reopen(dispatch_t *dp, task_t *t, const char *by,
                    const char *reason, uint64_t now)
{
    pack_t *d = s_data(dp, t, 3);
    pack_kstr(d, "by", by);
    pack_kstr(d, "reason", reason);
    pack_kstr(d, "was", task_states[t->state]);
    sqlite3_bind_int64(dp->tried_clear, 1, t->r.task);
    if (s_event(dp, "task.reopened", now) < 0 ||
        store_step(dp->store, dp->tried_clear) < 0)
        return -1;
    assignee_t a;
    if (route_first(dp, &t->r, &a) < 0)
        return -1;
    return s_assign(dp, t, &a, now);
}

api_status_t task_followup(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    task_t t;
    field_str_t by, note = {0};
    int sat, solved = -1;
    if (field_str(&req->body, "by", FIELD_REQUIRED, 64, &by) < 0 ||
        field_enum(&req->body, "satisfaction", FIELD_REQUIRED,
                   s_satisfaction, &sat) < 0 ||
        field_bool(&req->body, "resolved", FIELD_OPTIONAL, &solved) < 0 ||
        field_text(&req->body, "note", FIELD_OPTIONAL, 500, &note) < 0)
        return API_INVALID;
    if (solved < 0)
        solved = sat != 2; /* unsatisfied: not solved, unless said */
    api_status_t st = task_from_request(req, dp, &t);
    if (st != API_OK)
        return st;
    if (!s_may(t.state, MV_FOLLOWUP))
        return s_conflict(req, &t, "followed up");
    const char *unit = s_is_unit(&t.a) ? t.a.id : NULL;
    if (rates_fact(dp, FACT_FOLLOWUP, t.r.task, req->now, t.r.grid, unit,
                   t.r.category, solved, sat != 2, -1) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    char by_s[65];
    snprintf(by_s, sizeof by_s, "%.*s", (int)by.len, by.ptr);
    if (sat == 2) {
        if (s_reopen(dp, &t, by_s, "unsatisfied", req->now) < 0)
            return api_fail(req, API_UNAVAILABLE, "store: cannot write");
        s_reply_task(req, &t);
        return API_OK;
    }
    int within = route_within_grid(t.a.rank);
    sqlite3_stmt *s = dp->task_close;
    sqlite3_bind_int64(s, 1, t.r.task);
    sqlite3_bind_text(s, 2, "closed", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, s_satisfaction[sat], -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, solved);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)req->now);
    if (store_step(dp->store, s) < 0 ||
        s_count(dp, &t, ST_RESOLVED, ST_CLOSED) < 0 ||
        rates_fact(dp, FACT_CLOSE, t.r.task, req->now, t.r.grid, unit,
                   t.r.category, within, 0, -1) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    /* The columns of the resolve, still on task_get's row. */
    if (task_load(dp, t.r.task, &t) != 1)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    sqlite3_stmt *row = dp->task_get;
    pack_t *d = s_data(dp, &t, 15);
    pack_str(d, "assignee");
    route_pack_assignee(d, &t.a);
    pack_kstr(d, "level", route_level(&t.a));
    pack_kbool(d, "within_grid", within);
    pack_str(d, "participants");
    pack_raw(d, sqlite3_column_blob(row, 23),
             (size_t)sqlite3_column_bytes(row, 23));
    pack_kuint(d, "difficulty", (uint64_t)sqlite3_column_int(row, 24));
    pack_kuint(d, "urgency", (uint64_t)t.urgency);
    pack_kbool(d, "professional", sqlite3_column_int(row, 25));
    pack_kstr(d, "satisfaction", s_satisfaction[sat]);
    pack_kbool(d, "resolved", solved);
    pack_kuint(d, "accepted_ms", (uint64_t)t.accepted_at);
    pack_kuint(d, "resolved_ms", (uint64_t)t.resolved_at);
    pack_kstrn(d, "resolved_by", (const char *)sqlite3_column_text(row, 28),
               (size_t)sqlite3_column_bytes(row, 28));
    pack_kstr(d, "category", t.r.category);
    pack_kstr(d, "grid", t.r.grid);
    pack_kfield(d, "followup_by", by);
    store_reset(row);
    if (api_event(req, "task.closed", d) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    s_reply_task(req, &t);
    return API_OK;
}

api_status_t task_reopen(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    task_t t;
    field_str_t by, reason;
    if (field_str(&req->body, "by", FIELD_REQUIRED, 64, &by) < 0 ||
        field_text(&req->body, "reason", FIELD_REQUIRED, 500, &reason) < 0)
        return API_INVALID;
    api_status_t st = task_from_request(req, dp, &t);
    if (st != API_OK)
        return st;
    if (!s_may(t.state, MV_REOPEN))
        return s_conflict(req, &t, "reopened");
    char by_s[65], why[2048]; /* 500 characters of UTF-8 */
    snprintf(by_s, sizeof by_s, "%.*s", (int)by.len, by.ptr);
    snprintf(why, sizeof why, "%.*s", (int)reason.len, reason.ptr);
    if (s_reopen(dp, &t, by_s, why, req->now) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    s_reply_task(req, &t);
    return API_OK;
}

