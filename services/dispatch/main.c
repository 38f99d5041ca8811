/*  juli-dispatch: staff, units and tasks (下单, 接单), deadlines and
 *  escalation, follow-up visits, the rates.
 *
 *  main wires the service into the common daemon: its schema, its routes,
 *  and a context that follows intake's events and runs the deadline timer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"

const char *const dispatch_migrations[] = {
    /* 1: the grid tree, staff, units, tasks and rate facts */
    "CREATE TABLE nodes (code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " kind TEXT NOT NULL, parent TEXT);"
    "CREATE TABLE staff (node TEXT NOT NULL, role TEXT NOT NULL,"
    " person TEXT NOT NULL, name TEXT NOT NULL,"
    " PRIMARY KEY (node, role));"
    "CREATE TABLE units (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " kind TEXT NOT NULL, capacity INTEGER, agreement INTEGER NOT NULL,"
    " open INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE unit_categories (category TEXT NOT NULL,"
    " unit TEXT NOT NULL, PRIMARY KEY (category, unit)) WITHOUT ROWID;"
    "CREATE TABLE tasks (task INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,"
    " category TEXT NOT NULL, urgency INTEGER NOT NULL, community TEXT,"
    " grid TEXT, compound TEXT, stairwell TEXT, status TEXT NOT NULL,"
    " rank INTEGER NOT NULL, a_kind TEXT, a_id TEXT, a_name TEXT,"
    " a_role TEXT, a_node TEXT, assigned_at INTEGER, accept_by INTEGER,"
    " resolve_by INTEGER, accepted_at INTEGER, resolved_at INTEGER,"
    " assign_fact INTEGER, stuck INTEGER NOT NULL DEFAULT 0, due INTEGER,"
    " result TEXT, participants BLOB, difficulty INTEGER,"
    " professional INTEGER, satisfaction TEXT, solved INTEGER,"
    " resolved_by TEXT, created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE INDEX tasks_due ON tasks (due) WHERE due IS NOT NULL;"
    "CREATE INDEX tasks_status ON tasks (status, task);"
    "CREATE INDEX tasks_assignee ON tasks (a_id, task);"
    "CREATE TABLE tried (task INTEGER NOT NULL, unit TEXT NOT NULL,"
    " PRIMARY KEY (task, unit)) WITHOUT ROWID;"
    "CREATE TABLE facts (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL,"
    " ts INTEGER NOT NULL, task INTEGER NOT NULL, grid TEXT, unit TEXT,"
    " category TEXT, a INTEGER NOT NULL, b INTEGER NOT NULL,"
    " minutes REAL);"
    "CREATE INDEX facts_ts ON facts (ts);",
    NULL,
};

const api_route_t dispatch_routes[] = {
    {"staff.assign", directory_staff_assign, API_WRITE, ROLE_ADMIN},
    {"unit.register", directory_unit_register, API_WRITE, ROLE_ADMIN},
    {"staff.list", directory_staff_list, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"units.list", directory_units_list, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"task.accept", task_accept, API_WRITE, ROLE_UNIT | ROLE_STAFF | ROLE_ADMIN},
    {"task.decline", task_decline, API_WRITE, ROLE_UNIT | ROLE_STAFF | ROLE_ADMIN},
    {"task.escalate", task_escalate, API_WRITE, ROLE_UNIT | ROLE_STAFF | ROLE_ADMIN},
    {"task.resolve", task_resolve, API_WRITE, ROLE_UNIT | ROLE_STAFF | ROLE_ADMIN},
    {"followup.record", task_followup, API_WRITE, ROLE_STAFF | ROLE_ADMIN},
    {"task.reopen", task_reopen, API_WRITE, ROLE_STAFF | ROLE_ADMIN},
    {"task.get", task_get, API_QUERY, ROLE_UNIT | ROLE_STAFF | ROLE_ADMIN},
    {"tasks.list", task_list, API_QUERY, ROLE_UNIT | ROLE_STAFF | ROLE_ADMIN},
    {"rates", rates_get, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"stats", task_stats, API_QUERY, ROLE_STAFF | ROLE_ADMIN | ROLE_SERVICE},
    {NULL, NULL, 0, 0},
};

int dispatch_apply(void *ctx, const follow_event_t *e)
{
    dispatch_t *dp = ctx;
    if (field_str_eq(e->type, "grid.defined"))
        return directory_node_defined(dp, &e->data) < 0 ? -1 : 0;
    if (field_str_eq(e->type, "request.accepted"))
        return task_request_accepted(dp, &e->data, e->ts);
    if (field_str_eq(e->type, "request.cancelled"))
        return task_request_cancelled(dp, &e->data, e->ts);
    return 0;
}

static void s_stop(void *ctx);

/* The metrics of open tasks by grid and state, from the store's counters
 * ("grid.<grid>.<state>"): a read of a small table, no count of tasks. */
static void s_open_task(const char *key, int64_t n, void *arg)
{
    dispatch_t *dp = arg;
    static const char *const open[] = {"pending", "assigned", "accepted",
                                       "resolved"};
    const char *dot = strrchr(key, '.');
    if (strncmp(key, "grid.", 5) != 0 || !dot || dot < key + 5)
        return;
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++) {
        if (strcmp(dot + 1, open[i]) != 0)
            continue;
        char labels[160];
        snprintf(labels, sizeof labels, "grid=\"%.*s\",status=\"%s\"",
                 (int)(dot - key - 5), key + 5, open[i]);
        metric_set(metrics_gauge(dp->metrics, "juli_tasks_open",
                                 "Tasks not yet closed, by grid and state.",
                                 labels),
                   (double)n);
    }
}

static void s_collect(void *ctx)
{
    dispatch_t *dp = ctx;
    store_counts(dp->store, s_open_task, dp);
}

static void *s_start(daemon_t *d, char *err, size_t errlen)
{
    dispatch_t *dp = calloc(1, sizeof *dp);
    if (!dp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    dp->daemon = d;
    dp->config = daemon_config(d);
    dp->store = daemon_store(d);
    pack_init(&dp->data);
    pack_init(&dp->scratch);
    uv_timer_init(daemon_loop(d), &dp->deadline_timer);
    dp->deadline_timer.data = dp;
    dp->metrics = daemon_metrics(d);
    dp->breaches = metrics_counter(
        dp->metrics, "juli_deadline_breaches_total",
        "Deadlines passed with nobody above to escalate to.", NULL);
    if (directory_prepare(dp) < 0 || task_prepare(dp) < 0 ||
        query_prepare(dp) < 0 ||
        deadline_prepare(dp) < 0 || rates_prepare(dp) < 0) {
        snprintf(err, errlen, "cannot prepare the store's statements");
        s_stop(dp);
        return NULL;
    }
    const config_t *cfg = dp->config;
    const bus_curve_t *curve;
    if (daemon_upstream_curve(d, "intake", &curve, err, errlen) < 0) {
        s_stop(dp);
        return NULL;
    }
    follow_opts_t fo = {.upstream = "intake",
                        .curve = curve,
                        .api_endpoint = cfg->intake.api,
                        .events_endpoint = cfg->intake.events,
                        .apply = dispatch_apply,
                        .committed = daemon_publish_committed,
                        .ctx = dp,
                        .committed_ctx = d};
    dp->intake = follow_new(daemon_loop(d), daemon_bus(d), dp->store,
                            daemon_metrics(d), &fo, err, errlen);
    if (!dp->intake) {
        s_stop(dp);
        return NULL;
    }
    deadline_start(dp);
    metrics_on_collect(daemon_metrics(d), s_collect, dp);
    return dp;
}

static void s_on_closed(uv_handle_t *h)
{
    dispatch_t *dp = h->data;
    pack_free(&dp->data);
    pack_free(&dp->scratch);
    free(dp);
}

static void s_stop(void *ctx)
{
    dispatch_t *dp = ctx;
    follow_destroy(&dp->intake);
    deadline_stop(dp);
    uv_close((uv_handle_t *)&dp->deadline_timer, s_on_closed);
}

static const daemon_spec_t s_spec = {
    .name = "dispatch",
    .summary = "Dispatches residents' requests down the grid: tasks, "
               "deadlines, escalation, follow-up visits and the rates.",
    .migrations = dispatch_migrations,
    .routes = dispatch_routes,
    .start = s_start,
    .stop = s_stop,
};

int main(int argc, char **argv)
{
    return daemon_main(argc, argv, &s_spec);
}
