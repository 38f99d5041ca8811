/*  Fuzz target: juli-intake's requests, one api_call turn per input.
 *
 *  The state every input meets (rebuilt as fuzz.h says): the tree HCZ
 *  (community) > G1, G2 (grids) > C11, C21 (compounds) > S111, S112, S211
 *  (stairwells), and requests R00000001..6: 1 accepted (stairwell), 2
 *  accepted (compound, urgency 3, reporter), 3 in triage (an address only), 4
 *  in triage (a grid, no keyword), 5 cancelled, 6 resolved by dispatch's
 *  progress.
 *
 *  An input whose role byte has bit 0x40 set is one of dispatch's events
 *  instead, for progress_apply (fuzz_upstream).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "fuzz.h"
#include "intake.h"

static struct {
    config_t *config;
    store_t *store;
    intake_t in;
    api_t *api;
    sqlite3_stmt *counts; /* the requests by status, for the counters */
    pack_t reply;
    fuzz_state_t state;
    fuzz_probes_t probes;
} s;

static void s_down(void)
{
    api_destroy(&s.api);
    grid_free(&s.in);
    pack_free(&s.in.data);
    pack_free(&s.in.list);
    store_close(&s.store);
}

static void s_up(void)
{
    char err[256];
    store_opts_t so = {.path = ":memory:",
                       .source = "intake",
                       .synchronous_full = 0,
                       .migrations = intake_migrations};
    if (!(s.store = store_open(&so, err, sizeof err))) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    s.in = (intake_t){.config = s.config, .store = s.store};
    pack_init(&s.in.data);
    pack_init(&s.in.list);
    if (grid_prepare(&s.in) < 0 || request_prepare(&s.in) < 0 ||
        !(s.counts = store_prepare(s.store, "SELECT status, count(*) FROM"
                                            " requests GROUP BY status")))
        abort();
    api_opts_t ao = {.service = "intake",
                     .version = JULI_VERSION,
                     .limits = s.config->limits,
                     .routes = intake_routes,
                     .ctx = &s.in};
    if (!(s.api = api_new(NULL, NULL, s.store, NULL, &ao, err, sizeof err))) {
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
        {"S112", "1栋2单元", "stairwell", "C11"},
        {"S211", "3栋1单元", "stairwell", "C21"},
    };
    char json[1024];
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        char parent[64] = "";
        if (nodes[i][3])
            snprintf(parent, sizeof parent, ",\"parent\":\"%s\"", nodes[i][3]);
        snprintf(json, sizeof json,
                 "{\"type\":\"grid.define\",\"id\":\"n-%s\",\"body\":{"
                 "\"code\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\"%s}}",
                 nodes[i][0], nodes[i][0], nodes[i][1], nodes[i][2], parent);
        fuzz_seed(s.api, ROLE_ADMIN, json);
    }
    fuzz_seed(s.api, ROLE_APP,
              "{\"type\":\"request.submit\",\"id\":\"r1\",\"body\":{"
              "\"text\":\"楼道里堆满了垃圾，已经好几天没人清理\","
              "\"channel\":\"app\",\"category\":\"sanitation\","
              "\"location\":{\"stairwell\":\"S111\"}}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"request.submit\",\"id\":\"r2\",\"body\":{"
              "\"text\":\"小区路灯坏了，晚上很黑\",\"channel\":\"hotline\","
              "\"urgency\":3,\"location\":{\"compound\":\"C21\","
              "\"address\":\"站前小区北门\"},\"reporter\":{\"id\":\"u-9\","
              "\"name\":\"王阿姨\",\"phone\":\"+86 138-0000-0000\"}}}");
    fuzz_seed(s.api, ROLE_APP,
              "{\"type\":\"request.submit\",\"id\":\"r3\",\"body\":{"
              "\"text\":\"邻居家漏水到我家天花板\",\"channel\":\"walk_in\","
              "\"location\":{\"address\":\"火车站路12号\"}}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"request.submit\",\"id\":\"r4\",\"body\":{"
              "\"text\":\"想咨询一下\",\"channel\":\"grid_worker\","
              "\"location\":{\"grid\":\"G1\"}}}");
    fuzz_seed(s.api, ROLE_APP,
              "{\"type\":\"request.submit\",\"id\":\"r5\",\"body\":{"
              "\"text\":\"门口有人吵架\",\"channel\":\"patrol\","
              "\"category\":\"dispute\",\"location\":{\"grid\":\"G2\"}}}");
    fuzz_seed(s.api, ROLE_APP,
              "{\"type\":\"request.cancel\",\"id\":\"c5\",\"body\":{"
              "\"ref\":\"R00000005\",\"reason\":\"已经解决了\"}}");
    fuzz_seed(s.api, ROLE_STAFF,
              "{\"type\":\"request.submit\",\"id\":\"r6\",\"body\":{"
              "\"text\":\"独居老人需要送餐\",\"channel\":\"app\","
              "\"category\":\"elderly\",\"location\":{\"stairwell\":"
              "\"S211\"}}}");
    /* dispatch's progress on R00000006, as progress.c records it. */
    field_str_t ref = {"R00000006", 9};
    uint64_t now = clock_now_ms();
    if (store_begin(s.store) < 0 ||
        request_progress(&s.in, ref, "assigned", "派给楼长", now) < 0 ||
        request_progress(&s.in, ref, "in_progress", "楼长已接单", now) < 0 ||
        request_progress(&s.in, ref, "resolved", "已送餐", now) < 0 ||
        store_commit(s.store) < 0)
        abort();
    fuzz_check_counts(s.store, "requests.", s.counts);
    fuzz_state_seeded(&s.state, s.counts);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_env("fuzz-intake");
    if (!(s.config = config_new()))
        abort();
    pack_init(&s.reply);
    fuzz_state_init(&s.state);
    fuzz_probes_init(&s.probes);
    fuzz_probes_add(&s.probes,
                    "{\"type\":\"requests.list\",\"body\":{\"limit\":1000}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":10000}}");
    fuzz_probes_add(&s.probes, "{\"type\":\"stats\"}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000001\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000002\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000003\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000004\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000005\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000006\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000007\"}}");
    fuzz_probes_add(
        &s.probes,
        "{\"type\":\"request.get\",\"body\":{\"ref\":\"R00000008\"}}");
    s_up();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_state_stale(&s.state)) {
        s_down();
        s_up();
    }
    if (size && data[0] & 0x40)
        fuzz_upstream(s.store, "dispatch", data + 1, size - 1, progress_apply,
                      &s.in);
    else
        fuzz_call(s.api, data, size, &s.reply);
    if (fuzz_state_changed(&s.state))
        fuzz_probes_run(&s.probes, s.api, &s.reply);
    /* The counters stats answers with agree with the table. */
    fuzz_check_counts(s.store, "requests.", s.counts);
    return 0;
}
