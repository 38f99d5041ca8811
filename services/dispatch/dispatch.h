/*  dispatch: the daemon that owns staff, units and tasks (下单, 接单).
 *
 *  dispatch_t is the service's context: the config (categories and their
 *  deadlines), the store and its prepared statements, the follower of
 *  intake, and the deadline timer. It is made by main.c's start hook once
 *  the store is open and lives until the stop hook.
 *
 *  Modules, one noun each:
 *    directory.c  the grid tree (from intake's events), staff and units
 *    route.c      who takes a task: the route's first position, the next
 *                 one up the chain, the next unit
 *    task.c       the task's life: the state machine and its requests
 *    query.c      reading tasks: task.get, tasks.list, stats
 *    deadline.c   the timer that escalates tasks past their deadlines
 *    rates.c      the three rates, from facts recorded as tasks move
 *    main.c       wiring: schema, routes, start and stop
 */
#ifndef JULI_DISPATCH_H
#define JULI_DISPATCH_H

#include <sqlite3.h>
#include <stdint.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "follow.h"
#include "store.h"

/* Positions of the chain, lowest first. A task's rank says where it is;
 * units sit beside the chain (RANK_UNIT). */
typedef enum {
    RANK_STAIRWELL_LEADER,
    RANK_ASSISTANT,
    RANK_GRID_POLICE,
    RANK_GRID_LEADER,
    RANK_COMMUNITY_LEADER,
    RANK_COMMANDER,
    RANK_DEPARTMENT,
    RANK_UNIT,
    RANK_NONE, /* nobody could be found: the task is pending */
} rank_t;

/* The longest names, in characters of UTF-8 (up to 4 bytes each): a
 * unit's (unit.register) and a staff member's (staff.assign). */
#define UNIT_NAME_CHARS 128
#define STAFF_NAME_CHARS 64

/* Who holds a task. Strings are NUL-terminated, "" when not applicable. */
typedef struct {
    rank_t rank;
    char kind[16]; /* staff, unit, association, department */
    char id[65];   /* person id for staff, unit id otherwise */
    char name[UNIT_NAME_CHARS * 4 + 1]; /* UTF-8, never cut */
    char role[24]; /* staff only */
    char node[65]; /* staff only */
} assignee_t;

/* What routing needs to know of a task. */
typedef struct {
    int64_t task;
    char category[32];
    config_route_t route;
    char community[65], grid[65], compound[65], stairwell[65];
} route_ctx_t;

typedef struct dispatch dispatch_t;

/* A task's state; see the diagram in task.c. */
typedef enum {
    ST_PENDING,
    ST_ASSIGNED,
    ST_ACCEPTED,
    ST_RESOLVED,
    ST_CLOSED,
    ST_CANCELLED,
    ST_COUNT
} state_t;

/* A task as loaded from its row. */
typedef struct {
    route_ctx_t r;
    char ref[24];
    int urgency;
    state_t state;
    assignee_t a;
    int64_t assigned_at, accept_by, resolve_by, accepted_at, resolved_at;
    int64_t assign_fact;
    int stuck;
    int64_t created;
} task_t;

#define TASK_COLS                                                           \
    "task, ref, category, urgency, community, grid, compound, stairwell,"  \
    " status, rank, a_kind, a_id, a_name, a_role, a_node, assigned_at,"    \
    " accept_by, resolve_by, accepted_at, resolved_at, assign_fact,"       \
    " stuck, result, participants, difficulty, professional,"              \
    " satisfaction, solved, resolved_by, created, updated"


struct dispatch {
    daemon_t *daemon;
    const config_t *config;
    store_t *store;
    follow_t *intake;
    uv_timer_t deadline_timer;
    int64_t deadline_armed; /* Unix ms the timer is set for, 0 if idle */
    pack_t data;            /* an event's data, reused */
    pack_t scratch;
    metrics_t *metrics;     /* the registry (NULL: none, as when fuzzed) */
    metric_t *breaches;     /* deadlines passed at the top of the chain */
    /* directory.c */
    sqlite3_stmt *node_put, *node_get, *staff_put, *staff_get, *unit_put,
        *unit_cats_clear, *unit_cat_add, *unit_pick, *dept_pick, *unit_load,
        *staff_count, *unit_count;
    /* task.c */
    sqlite3_stmt *task_write, *task_next, *task_get, *task_by_ref,
        *task_set_status, *task_accept, *task_resolve, *task_close,
        *tried_add, *tried_clear, *pending, *task_list;
    /* deadline.c */
    sqlite3_stmt *due_next, *due_now;
    /* rates.c */
    sqlite3_stmt *fact_add, *fact_accept, *facts_by[3];
};

/* Schema steps (NULL-ended). */
extern const char *const dispatch_migrations[];

/* The requests the daemon answers, with who may send each (main.c). */
extern const api_route_t dispatch_routes[];

/* Applies one of intake's events (a follow_t apply hook, main.c):
 * grid.defined, request.accepted, request.cancelled; the others are not
 * dispatch's. */
int dispatch_apply(void *ctx, const follow_event_t *e);

/* -- directory.c ----------------------------------------------------------- */

int directory_prepare(dispatch_t *dp);
/* Applies intake's grid.defined. Returns 0 (also when the event is
 * unusable: logged and skipped), -1 on a store error. */
int directory_node_defined(dispatch_t *dp, const field_map_t *data);
api_status_t directory_staff_assign(api_req_t *req, void *ctx);
api_status_t directory_unit_register(api_req_t *req, void *ctx);
api_status_t directory_staff_list(api_req_t *req, void *ctx);
api_status_t directory_units_list(api_req_t *req, void *ctx);
/* The staff member holding ROLE at NODE into *A (rank set). Returns 1, 0
 * when unstaffed, -1 on error. */
int directory_staff(dispatch_t *dp, rank_t rank, const char *node,
                    assignee_t *a);
/* The least loaded unit (or department, when DEPARTMENT) offering
 * CATEGORY, within capacity, not yet tried for TASK and not SKIP (NULL:
 * none). Returns 1, 0 when none, -1 on error. */
int directory_unit(dispatch_t *dp, const char *category, int64_t task,
                   int department, const char *skip, assignee_t *a);
/* Moves unit ID's count of open tasks by DELTA. */
int directory_unit_load(dispatch_t *dp, const char *id, int delta);

/* -- route.c --------------------------------------------------------------- */

/* The first assignee of a task on its route. Returns 1 with *A, 0 when
 * nobody can take it (*A zeroed, A->rank RANK_NONE), -1 on error. */
int route_first(dispatch_t *dp, const route_ctx_t *t, assignee_t *a);
/* The next assignee after FROM: up the chain for staff, the next unit for
 * a unit when UNIT_NEXT (decline, timeout), else up from a unit to the
 * community leader. Returns 1, 0 when there is none above, -1 on error. */
int route_next(dispatch_t *dp, const route_ctx_t *t, const assignee_t *from,
               int unit_next, assignee_t *a);
/* The level name of an assignee ("stairwell" ... "department", "unit"). */
const char *route_level(const assignee_t *a);
/* Whether a level counts as within the grid. */
int route_within_grid(rank_t rank);
/* Writes A as the protocol's assignee map. */
void route_pack_assignee(pack_t *p, const assignee_t *a);

/* -- task.c ---------------------------------------------------------------- */

int task_prepare(dispatch_t *dp);
/* Applies intake's request.accepted / request.cancelled. */
int task_request_accepted(dispatch_t *dp, const field_map_t *data,
                          uint64_t ts);
int task_request_cancelled(dispatch_t *dp, const field_map_t *data,
                           uint64_t ts);
/* Routes every pending task again, oldest first (after staff or units
 * changed). Returns 0 or -1. */
int task_retry_pending(dispatch_t *dp, uint64_t now);
/* Escalates task T whose deadline passed (deadline.c). */
int task_deadline_passed(dispatch_t *dp, int64_t task, uint64_t now);
api_status_t task_accept(api_req_t *req, void *ctx);
api_status_t task_decline(api_req_t *req, void *ctx);
api_status_t task_escalate(api_req_t *req, void *ctx);
api_status_t task_resolve(api_req_t *req, void *ctx);
api_status_t task_followup(api_req_t *req, void *ctx);
api_status_t task_reopen(api_req_t *req, void *ctx);
/* The states' names ("pending" ...), NULL-ended. */
extern const char *const task_states[];
/* Reads the task in the current row of ST (selected as TASK_COLS). */
void task_row(dispatch_t *dp, sqlite3_stmt *st, task_t *t);
/* Loads task ID. Returns 1, 0 when unknown, -1 on error. Leaves task_get
 * on the row (for the columns task_row does not keep); the caller resets
 * it. */
int task_load(dispatch_t *dp, int64_t id, task_t *t);
/* "T00000001". */
void task_name(char out[24], int64_t id);
/* Reads body.task ("T00000001", or the bare number) and loads it. Returns
 * API_OK, or the failure to answer with. */
api_status_t task_from_request(api_req_t *req, dispatch_t *dp, task_t *t);

/* -- query.c --------------------------------------------------------------- */

int query_prepare(dispatch_t *dp);
api_status_t task_get(api_req_t *req, void *ctx);
api_status_t task_list(api_req_t *req, void *ctx);
api_status_t task_stats(api_req_t *req, void *ctx);

/* -- deadline.c ------------------------------------------------------------ */

int deadline_prepare(dispatch_t *dp);
/* Starts the timer from the store (a deadline passed while down fires at
 * once). */
void deadline_start(dispatch_t *dp);
/* Notes a new due time: the timer fires no later than DUE. */
void deadline_note(dispatch_t *dp, int64_t due);
/* What the timer does when it fires at NOW (Unix ms): escalates the tasks
 * due by then in one transaction, publishes their events, and re-arms the
 * timer (1 s later when the store failed: the batch rolled back). */
void deadline_fire(dispatch_t *dp, uint64_t now);
void deadline_stop(dispatch_t *dp);

/* -- rates.c --------------------------------------------------------------- */

int rates_prepare(dispatch_t *dp);
typedef enum { FACT_ASSIGN, FACT_RESOLVE, FACT_FOLLOWUP, FACT_CLOSE } fact_t;
/* Records a fact of task T at TS. A and B are the kind's two flags, MIN its
 * minutes (negative: none). Returns the fact's id, or -1. */
int64_t rates_fact(dispatch_t *dp, fact_t kind, int64_t task, uint64_t ts,
                   const char *grid, const char *unit, const char *category,
                   int a, int b, double min);
/* Marks assignment fact ID accepted at TS, in time or not. */
int rates_accepted(dispatch_t *dp, int64_t id, int in_time, double min);
api_status_t rates_get(api_req_t *req, void *ctx);

#endif
