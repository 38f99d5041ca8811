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

/* The requests of the seeded state, after the tree. */
static const fuzz_seed_t s_seeds[] = {
    {ROLE_APP, "{\"type\":\"request.submit\",\"id\":\"r1\",\"body\":{"
               "\"text\":\"楼道里堆满了垃圾，已经好几天没人清理\","
               "\"channel\":\"app\",\"category\":\"sanitation\","
               "\"location\":{\"stairwell\":\"S111\"}}}"},
    {ROLE_STAFF, "{\"type\":\"request.submit\",\"id\":\"r2\",\"body\":{"
                 "\"text\":\"小区路灯坏了，晚上很黑\",\"channel\":\"hotline\","
                 "\"urgency\":3,\"location\":{\"compound\":\"C21\","
                 "\"address\":\"站前小区北门\"},\"reporter\":{\"id\":\"u-9\","
                 "\"name\":\"王阿姨\",\"phone\":\"+86 138-0000-0000\"}}}"},
    {ROLE_APP, "{\"type\":\"request.submit\",\"id\":\"r3\",\"body\":{"
               "\"text\":\"邻居家漏水到我家天花板\",\"channel\":\"walk_in\","
               "\"location\":{\"address\":\"火车站路12号\"}}}"},
    {ROLE_STAFF, "{\"type\":\"request.submit\",\"id\":\"r4\",\"body\":{"
                 "\"text\":\"想咨询一下\",\"channel\":\"grid_worker\","
                 "\"location\":{\"grid\":\"G1\"}}}"},
    {ROLE_APP, "{\"type\":\"request.submit\",\"id\":\"r5\",\"body\":{"
               "\"text\":\"门口有人吵架\",\"channel\":\"patrol\","
               "\"category\":\"dispute\",\"location\":{\"grid\":\"G2\"}}}"},
    {ROLE_APP, "{\"type\":\"request.cancel\",\"id\":\"c5\",\"body\":{"
               "\"ref\":\"R00000005\",\"reason\":\"已经解决了\"}}"},
    {ROLE_STAFF, "{\"type\":\"request.submit\",\"id\":\"r6\",\"body\":{"
                 "\"text\":\"独居老人需要送餐\",\"channel\":\"app\","
                 "\"category\":\"elderly\",\"location\":{\"stairwell\":"
                 "\"S211\"}}}"},
    {0, NULL},
};

static void s_up(void)
{
    static const char *const nodes[] = {"HCZ", "G1",   "G2",   "C11",
                                        "C21", "S111", "S112", "S211"};
    s.store = fuzz_store("intake", intake_migrations);
    s.in = (intake_t){.config = s.config, .store = s.store};
    pack_init(&s.in.data);
    pack_init(&s.in.list);
    if (grid_prepare(&s.in) < 0 || request_prepare(&s.in) < 0 ||
        !(s.counts = store_prepare(s.store, "SELECT status, count(*) FROM"
                                            " requests GROUP BY status")))
        abort();
    s.api = fuzz_api(NULL, s.store, NULL, "intake", intake_routes, &s.in,
                     s.config->limits);

    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        const fuzz_node_t *n = fuzz_node(nodes[i]);
        char parent[64] = "";
        if (n->parent)
            snprintf(parent, sizeof parent, ",\"parent\":\"%s\"", n->parent);
        fuzz_seed(
            s.api, ROLE_ADMIN,
            fuzz_format("{\"type\":\"grid.define\",\"id\":\"n-%s\",\"body\":{"
                        "\"code\":\"%s\",\"name\":\"%s\",\"kind\":\"%s\"%s}}",
                        n->code, n->code, n->name, n->kind, parent));
    }
    fuzz_seeds(s.api, s_seeds);
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
    fuzz_probes_common(&s.probes);
    for (int i = 1; i <= 8; i++)
        fuzz_probes_add(
            &s.probes,
            fuzz_format(
                "{\"type\":\"request.get\",\"body\":{\"ref\":\"R%08d\"}}", i));
    s_up();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_state_renew(&s.state, s_down, s_up);
    fuzz_input(s.api, "dispatch", progress_apply, &s.in, data, size, &s.reply);
    fuzz_probes_run(&s.probes, &s.state, s.api, &s.reply);
    /* The counters stats answers with agree with the table. */
    fuzz_check_counts(s.store, "requests.", s.counts);
    return 0;
}
