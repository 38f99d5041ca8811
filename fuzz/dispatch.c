/*  Fuzz target: juli-dispatch's requests, one api_call turn per input.
 *
 *  The state every input meets (rebuilt as fuzz.h says), made the way the
 *  daemon makes it: the tree as intake's grid.defined events would bring it
 *  (directory_node_defined), staff and units by request, and tasks from
 *  request.accepted events (task_request_accepted), then moved on by request:
 *
 *    HCZ > G1 > C11 > S111, HCZ > G2 > C21 > S211; XQ > G9 (nobody).
 *    Staff: p-lou (S111 stairwell_leader), p-zhu (C11 assistant), p-wang
 *    (G1 grid_leader), p-jing (G1 grid_police), p-li (C21 assistant), p-da
 *    (HCZ community_leader), p-zhi (HCZ commander).
 *    Units: U-test (the unit role's own: property, facility; capacity 3),
 *    U2 (association: youth, mutual_aid), D1 (department: sanitation,
 *    property, safety).
 *    Tasks: T1 assigned (p-lou), T2 accepted (p-lou), T3 assigned (U-test),
 *    T4 resolved (p-jing), T5 closed (p-zhu), T6 pending (XQ), T7
 *    cancelled, T8 accepted (U-test), T9 assigned (U2).
 *
 *  An input whose role byte has bit 0x40 set is one of intake's events
 *  instead, for the apply hook main.c gives the follower (fuzz_upstream).
 *  An input whose role byte has its top bit set also fires the deadlines
 *  afterwards as if 30 days had passed (what deadline.c's timer does), so
 *  escalation and the breach counter run too. After every input the
 *  counters stats reads must agree with the tasks table, and each unit's
 *  open count with its open tasks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fuzz.h"
#include "dispatch.h"

static struct {
    config_t *config;
    uv_loop_t loop;
    metrics_t *metrics;
    store_t *store;
    dispatch_t dp;
    api_t *api;
    sqlite3_stmt *counts, *loads;
    pack_t reply, scratch;
    fuzz_state_t state;
    fuzz_probes_t probes;
} s;

static void s_down(void)
{
    api_destroy(&s.api);
    deadline_stop(&s.dp);
    /* The timer's memory is reused by the next s_up: out of the loop
     * first. */
    uv_close((uv_handle_t *)&s.dp.deadline_timer, NULL);
    uv_run(&s.loop, UV_RUN_NOWAIT);
    pack_free(&s.dp.data);
    pack_free(&s.dp.scratch);
    store_close(&s.store);
}

/* main.c's apply hook for intake's events (static there). */
static int s_apply(void *ctx, const follow_event_t *e)
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

/* Applies intake's event of TYPE with the JSON map DATA, as the follower
 * would. */
static void s_intake_event(const char *type, const char *data)
{
    char json[2048];
    snprintf(json, sizeof json, "{\"ts\":%llu,\"type\":\"%s\",\"data\":%s}",
             (unsigned long long)clock_now_ms(), type, data);
    pack_reset(&s.scratch);
    fuzz_json(&s.scratch, json);
    if (fuzz_upstream(s.store, "intake", (const uint8_t *)pack_data(&s.scratch),
                      pack_size(&s.scratch), s_apply, &s.dp) != 1)
        abort(); /* a seed follow.c would skip */
}

static void s_up(void)
{
    char err[256];
    store_opts_t so = {.path = ":memory:",
                       .source = "dispatch",
                       .synchronous_full = 0,
                       .migrations = dispatch_migrations};
    if (!(s.store = store_open(&so, err, sizeof err))) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    s.dp = (dispatch_t){
        .config = s.config, .store = s.store, .metrics = s.metrics};
    s.dp.breaches = metrics_counter(
        s.metrics, "juli_deadline_breaches_total",
        "Deadlines passed with nobody above to escalate to.", NULL);
    pack_init(&s.dp.data);
    pack_init(&s.dp.scratch);
    uv_timer_init(&s.loop, &s.dp.deadline_timer);
    s.dp.deadline_timer.data = &s.dp;
    if (directory_prepare(&s.dp) < 0 || task_prepare(&s.dp) < 0 ||
        query_prepare(&s.dp) < 0 || deadline_prepare(&s.dp) < 0 ||
        rates_prepare(&s.dp) < 0 ||
        !(s.counts = store_prepare(s.store, "SELECT status, count(*) FROM"
                                            " tasks GROUP BY status")) ||
        !(s.loads = store_prepare(
              s.store,
              "SELECT u.id, u.open, (SELECT count(*) FROM tasks t"
              " WHERE t.a_id = u.id AND t.a_kind != 'staff'"
              " AND t.status IN ('assigned', 'accepted')) FROM units u")))
        abort();
    api_opts_t ao = {.service = "dispatch",
                     .version = JULI_VERSION,
                     .limits = s.config->limits,
                     .routes = dispatch_routes,
                     .ctx = &s.dp};
    if (!(s.api = api_new(&s.loop, NULL, s.store, s.metrics, &ao, err,
                          sizeof err))) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }

    static const char *const nodes[][4] = {
        {"HCZ", "火车站社区", "community", NULL},
        {"G1", "第一网格", "grid", "HCZ"},
        {"G2", "第二网格", "grid", "HCZ"},
        {"C11", "铁路新村", "compound", "G1"},
        {"C21", "站前小区", "compound", "G2"},
        {"S111", "1栋1单元", "stairwell", "C11"},
        {"S211", "3栋1单元", "stairwell", "C21"},
        {"XQ", "新区社区", "community", NULL},
        {"G9", "第九网格", "grid", "XQ"},
    };
    char json[1024];
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"code\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\","
                 "\"parent\":%s%s%s}",
                 nodes[i][0], nodes[i][1], nodes[i][2], nodes[i][3] ? "\"" : "",
                 nodes[i][3] ? nodes[i][3] : "null", nodes[i][3] ? "\"" : "");
        s_intake_event("grid.defined", json);
    }
    static const char *const staff[][4] = {
        {"S111", "stairwell_leader", "p-lou", "楼长老刘"},
        {"C11", "assistant", "p-zhu", "朱助理"},
        {"G1", "grid_leader", "p-wang", "王网格长"},
        {"G1", "grid_police", "p-jing", "景警官"},
        {"C21", "assistant", "p-li", "李助理"},
        {"HCZ", "community_leader", "p-da", "达书记"},
        {"HCZ", "commander", "p-zhi", "智指挥"},
    };
    for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"type\":\"staff.assign\",\"id\":\"st-%zu\",\"body\":{"
                 "\"node\":\"%s\",\"role\":\"%s\",\"person\":{\"id\":\"%s\","
                 "\"name\":\"%s\"}}}",
                 i, staff[i][0], staff[i][1], staff[i][2], staff[i][3]);
        fuzz_seed(s.api, ROLE_ADMIN, json);
    }
    fuzz_seed(s.api, ROLE_ADMIN,
              "{\"type\":\"unit.register\",\"id\":\"u-1\",\"body\":{"
              "\"id\":\"U-test\",\"name\":\"红星物业公司\",\"kind\":\"unit\","
              "\"categories\":[\"property\",\"facility\"],\"capacity\":3,"
              "\"agreement\":true}}");
    fuzz_seed(s.api, ROLE_ADMIN,
              "{\"type\":\"unit.register\",\"id\":\"u-2\",\"body\":{"
              "\"id\":\"U2\",\"name\":\"青年志愿者协会\",\"kind\":"
              "\"association\",\"categories\":[\"youth\",\"mutual_aid\"]}}");
    fuzz_seed(s.api, ROLE_ADMIN,
              "{\"type\":\"unit.register\",\"id\":\"u-3\",\"body\":{"
              "\"id\":\"D1\",\"name\":\"街道城管科\",\"kind\":\"department\","
              "\"categories\":[\"sanitation\",\"property\",\"safety\"]}}");

    static const char *const tasks[][3] = {
        {"R00000001", "sanitation",
         "HCZ\",\"grid\":\"G1\",\"compound\":"
         "\"C11\",\"stairwell\":\"S111"},
        {"R00000002", "sanitation",
         "HCZ\",\"grid\":\"G1\",\"compound\":"
         "\"C11\",\"stairwell\":\"S111"},
        {"R00000003", "property",
         "HCZ\",\"grid\":\"G1\",\"compound\":"
         "\"C11"},
        {"R00000004", "safety", "HCZ\",\"grid\":\"G1"},
        {"R00000005", "elderly",
         "HCZ\",\"grid\":\"G1\",\"compound\":"
         "\"C11"},
        {"R00000006", "dispute", "XQ\",\"grid\":\"G9"},
        {"R00000007", "culture",
         "HCZ\",\"grid\":\"G2\",\"compound\":"
         "\"C21"},
        {"R00000008", "facility",
         "HCZ\",\"grid\":\"G2\",\"compound\":"
         "\"C21\",\"stairwell\":\"S211"},
        {"R00000009", "mutual_aid", "HCZ\",\"grid\":\"G2"},
    };
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
        snprintf(json, sizeof json,
                 "{\"ref\":\"%s\",\"status\":\"accepted\",\"text\":"
                 "\"需要帮助\",\"category\":\"%s\",\"urgency\":%zu,"
                 "\"community\":\"%s\"}",
                 tasks[i][0], tasks[i][1], 1 + i % 3, tasks[i][2]);
        s_intake_event("request.accepted", json);
    }
    s_intake_event("request.cancelled",
                   "{\"ref\":\"R00000007\",\"reason\":\"居民撤销\","
                   "\"was\":\"assigned\"}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"task.accept\",\"id\":\"a2\",\"body\":{"
              "\"task\":\"T00000002\",\"by\":\"p-lou\"}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"task.accept\",\"id\":\"a4\",\"body\":{"
              "\"task\":\"T00000004\",\"by\":\"p-jing\"}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"task.resolve\",\"id\":\"r4\",\"body\":{"
              "\"task\":\"T00000004\",\"by\":\"p-jing\",\"result\":"
              "\"已调解，双方和解\",\"participants\":[{\"member\":\"m1\","
              "\"hours\":1.5},{\"member\":\"m2\",\"hours\":2}],"
              "\"difficulty\":2,\"professional\":true}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"task.accept\",\"id\":\"a5\",\"body\":{"
              "\"task\":\"5\",\"by\":\"p-zhu\"}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"task.resolve\",\"id\":\"r5\",\"body\":{"
              "\"task\":\"T00000005\",\"by\":\"p-zhu\",\"result\":"
              "\"已上门送餐\",\"participants\":[{\"member\":\"m3\","
              "\"hours\":0.5}],\"difficulty\":1}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"followup.record\",\"id\":\"f5\",\"body\":{"
              "\"task\":\"T00000005\",\"by\":\"p-da\",\"satisfaction\":"
              "\"satisfied\",\"note\":\"老人很满意\"}}");
    fuzz_seed(s.api, ROLE_UNIT,
              "{\"type\":\"task.accept\",\"id\":\"a8\",\"body\":{"
              "\"task\":\"T00000008\"}}");
    fuzz_state_seeded(&s.state, s.counts);
}

/* What deadline.c's timer does when it fires at NOW. */
static void s_deadlines(uint64_t now)
{
    int64_t ids[64];
    size_t n = 0;
    int rc;
    sqlite3_bind_int64(s.dp.due_now, 1, (sqlite3_int64)now);
    sqlite3_bind_int(s.dp.due_now, 2, 64);
    while ((rc = store_step(s.store, s.dp.due_now)) == 1)
        ids[n++] = sqlite3_column_int64(s.dp.due_now, 0);
    if (rc < 0 || !n || store_begin(s.store) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        if (store_savepoint(s.store) < 0)
            break;
        rc = task_deadline_passed(&s.dp, ids[i], now);
        store_savepoint_end(s.store, rc >= 0);
    }
    store_commit(s.store);
    fuzz_check_events(s.store);
}

/* Each unit's open count against its open tasks (directory.c's invariant
 * 3). */
static void s_check_loads(void)
{
    int rc;
    while ((rc = store_step(s.store, s.loads)) == 1) {
        int64_t open = sqlite3_column_int64(s.loads, 1);
        int64_t tasks = sqlite3_column_int64(s.loads, 2);
        if (open != tasks) {
            fprintf(stderr, "fuzz: unit %s: open %lld, open tasks %lld\n",
                    (const char *)sqlite3_column_text(s.loads, 0),
                    (long long)open, (long long)tasks);
            abort();
        }
    }
    if (rc < 0)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env("fuzz-dispatch");
    if (!(s.config = config_new()) || uv_loop_init(&s.loop) < 0 ||
        !(s.metrics = metrics_new(&s.loop)))
        abort();
    pack_init(&s.reply);
    pack_init(&s.scratch);
    fuzz_state_init(&s.state);
    fuzz_probes_init(&s.probes);
    fuzz_probes_add(&s.probes,
                    "{\"type\":\"tasks.list\",\"body\":{\"limit\":1000}}");
    fuzz_probes_add(&s.probes, "{\"type\":\"staff.list\"}");
    fuzz_probes_add(&s.probes, "{\"type\":\"units.list\"}");
    fuzz_probes_add(&s.probes,
                    "{\"type\":\"rates\",\"body\":{\"by\":\"grid\"}}");
    fuzz_probes_add(&s.probes,
                    "{\"type\":\"rates\",\"body\":{\"by\":\"unit\"}}");
    fuzz_probes_add(&s.probes,
                    "{\"type\":\"rates\",\"body\":{\"by\":\"category\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":10000}}");
    fuzz_probes_add(&s.probes, "{\"type\":\"stats\"}");
    s_up();
    fuzz_check_counts(s.store, "tasks.", s.counts);
    s_check_loads();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_state_stale(&s.state)) {
        s_down();
        s_up();
    }
    if (size && data[0] & 0x40)
        fuzz_upstream(s.store, "intake", data + 1, size - 1, s_apply, &s.dp);
    else
        fuzz_call(s.api, data, size, &s.reply);
    if (size && data[0] & 0x80)
        s_deadlines(clock_now_ms() + 30ull * 86400000);
    if (fuzz_state_changed(&s.state))
        fuzz_probes_run(&s.probes, s.api, &s.reply);
    fuzz_check_counts(s.store, "tasks.", s.counts);
    s_check_loads();
    return 0;
}
