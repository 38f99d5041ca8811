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
 *  afterwards as if 30 days had passed (deadline_fire, what deadline.c's
 *  timer calls), so escalation and the breach counter run too. After
 *  every input the counters stats reads must agree with the tasks table,
 *  and each unit's open count with its open tasks.
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
    pack_t reply;
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

/* Applies intake's event of TYPE with the JSON map DATA, as the follower
 * would. */
static void s_intake_event(const char *type, const char *data)
{
    fuzz_event(s.store, "intake", type, data, dispatch_apply, &s.dp);
}

/* The units registered after the staff. */
static const fuzz_seed_t s_units[] = {
    {ROLE_ADMIN,
     "{\"type\":\"unit.register\",\"id\":\"u-1\",\"body\":{"
     "\"id\":\"U-test\",\"name\":\"红星物业公司\",\"kind\":\"unit\","
     "\"categories\":[\"property\",\"facility\"],\"capacity\":3,"
     "\"agreement\":true}}"},
    {ROLE_ADMIN, "{\"type\":\"unit.register\",\"id\":\"u-2\",\"body\":{"
                 "\"id\":\"U2\",\"name\":\"青年志愿者协会\",\"kind\":"
                 "\"association\",\"categories\":[\"youth\",\"mutual_aid\"]}}"},
    {ROLE_ADMIN,
     "{\"type\":\"unit.register\",\"id\":\"u-3\",\"body\":{"
     "\"id\":\"D1\",\"name\":\"街道城管科\",\"kind\":\"department\","
     "\"categories\":[\"sanitation\",\"property\",\"safety\"]}}"},
    {0, NULL},
};

/* The requests that move the tasks on once intake's events made them. */
static const fuzz_seed_t s_moves[] = {
    {ROLE_STAFF, "{\"type\":\"task.accept\",\"id\":\"a2\",\"body\":{"
                 "\"task\":\"T00000002\",\"by\":\"p-lou\"}}"},
    {ROLE_STAFF, "{\"type\":\"task.accept\",\"id\":\"a4\",\"body\":{"
                 "\"task\":\"T00000004\",\"by\":\"p-jing\"}}"},
    {ROLE_STAFF, "{\"type\":\"task.resolve\",\"id\":\"r4\",\"body\":{"
                 "\"task\":\"T00000004\",\"by\":\"p-jing\",\"result\":"
                 "\"已调解，双方和解\",\"participants\":[{\"member\":\"m1\","
                 "\"hours\":1.5},{\"member\":\"m2\",\"hours\":2}],"
                 "\"difficulty\":2,\"professional\":true}}"},
    {ROLE_STAFF, "{\"type\":\"task.accept\",\"id\":\"a5\",\"body\":{"
                 "\"task\":\"5\",\"by\":\"p-zhu\"}}"},
    {ROLE_STAFF, "{\"type\":\"task.resolve\",\"id\":\"r5\",\"body\":{"
                 "\"task\":\"T00000005\",\"by\":\"p-zhu\",\"result\":"
                 "\"已上门送餐\",\"participants\":[{\"member\":\"m3\","
                 "\"hours\":0.5}],\"difficulty\":1}}"},
    {ROLE_STAFF, "{\"type\":\"followup.record\",\"id\":\"f5\",\"body\":{"
                 "\"task\":\"T00000005\",\"by\":\"p-da\",\"satisfaction\":"
                 "\"satisfied\",\"note\":\"老人很满意\"}}"},
    {ROLE_UNIT, "{\"type\":\"task.accept\",\"id\":\"a8\",\"body\":{"
                "\"task\":\"T00000008\"}}"},
    {0, NULL},
};

static void s_up(void)
{
    static const char *const nodes[] = {"HCZ",  "G1",   "G2", "C11", "C21",
                                        "S111", "S211", "XQ", "G9"};
    s.store = fuzz_store("dispatch", dispatch_migrations);
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
    s.api = fuzz_api(&s.loop, s.store, s.metrics, "dispatch", dispatch_routes,
                     &s.dp, s.config->limits);

    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        const fuzz_node_t *n = fuzz_node(nodes[i]);
        s_intake_event(
            "grid.defined",
            fuzz_format("{\"code\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\","
                        "\"parent\":%s%s%s}",
                        n->code, n->name, n->kind, n->parent ? "\"" : "",
                        n->parent ? n->parent : "null", n->parent ? "\"" : ""));
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
        fuzz_seed(s.api, ROLE_ADMIN,
                  fuzz_format(
                      "{\"type\":\"staff.assign\",\"id\":\"st-%zu\",\"body\":{"
                      "\"node\":\"%s\",\"role\":\"%s\",\"person\":{\"id\":"
                      "\"%s\",\"name\":\"%s\"}}}",
                      i, staff[i][0], staff[i][1], staff[i][2], staff[i][3]));
    }
    fuzz_seeds(s.api, s_units);

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
        s_intake_event(
            "request.accepted",
            fuzz_format("{\"ref\":\"%s\",\"status\":\"accepted\",\"text\":"
                        "\"需要帮助\",\"category\":\"%s\",\"urgency\":%zu,"
                        "\"community\":\"%s\"}",
                        tasks[i][0], tasks[i][1], 1 + i % 3, tasks[i][2]));
    }
    s_intake_event("request.cancelled",
                   "{\"ref\":\"R00000007\",\"reason\":\"居民撤销\","
                   "\"was\":\"assigned\"}");
    fuzz_seeds(s.api, s_moves);
    fuzz_state_seeded(&s.state, s.counts);
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
    static const char *const rates[] = {"grid", "unit", "category"};
    (void)argc;
    (void)argv;
    fuzz_env("fuzz-dispatch");
    if (!(s.config = config_new()) || uv_loop_init(&s.loop) < 0 ||
        !(s.metrics = metrics_new(&s.loop)))
        abort();
    pack_init(&s.reply);
    fuzz_state_init(&s.state);
    fuzz_probes_init(&s.probes);
    fuzz_probes_add(&s.probes,
                    "{\"type\":\"tasks.list\",\"body\":{\"limit\":1000}}");
    fuzz_probes_add(&s.probes, "{\"type\":\"staff.list\"}");
    fuzz_probes_add(&s.probes, "{\"type\":\"units.list\"}");
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        fuzz_probes_add(
            &s.probes,
            fuzz_format("{\"type\":\"rates\",\"body\":{\"by\":\"%s\"}}",
                        rates[i]));
    fuzz_probes_common(&s.probes);
    s_up();
    fuzz_check_counts(s.store, "tasks.", s.counts);
    s_check_loads();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_state_renew(&s.state, s_down, s_up);
    fuzz_input(s.api, "intake", dispatch_apply, &s.dp, data, size, &s.reply);
    if (size && data[0] & 0x80) {
        deadline_fire(&s.dp, clock_now_ms() + 30ull * 86400000);
        fuzz_check_events(s.store);
    }
    fuzz_probes_run(&s.probes, &s.state, s.api, &s.reply);
    fuzz_check_counts(s.store, "tasks.", s.counts);
    s_check_loads();
    return 0;
}
