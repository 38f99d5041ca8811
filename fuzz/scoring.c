/*  Fuzz target: juli-scoring's requests, one api_call turn per input.
 *
 *  The state every input meets (rebuilt as fuzz.h says): members m1..m4 in
 *  two groups of two branches, a volunteer log and an adjustment, and the
 *  ledger entries of dispatch's events as the follower applies them
 *  (award_apply): T00000004 closed with m1 and m2, T00000005 closed with m3,
 *  then reopened (taken back).
 *
 *  An input whose role byte has bit 0x40 set is one of dispatch's events
 *  instead, for award_apply (fuzz_upstream).
 *
 *  After every input the ledger's hash chain must still verify: nothing
 *  but the daemon writes it, so ledger.verify must answer intact.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "clock.h"
#include "fuzz.h"
#include "scoring.h"

static struct {
    config_t *config;
    uv_loop_t loop;
    metrics_t *metrics;
    store_t *store;
    scoring_t sc;
    api_t *api;
    pack_t reply, verify;
    msgpack_zone zone;
    fuzz_state_t state;
    fuzz_probes_t probes;
} s;

static void s_down(void)
{
    api_destroy(&s.api);
    pack_free(&s.sc.data);
    pack_free(&s.sc.scratch);
    store_close(&s.store);
}

/* Applies dispatch's event of TYPE with the JSON map DATA, as the
 * follower would. */
static void s_dispatch_event(const char *type, const char *data)
{
    fuzz_event(s.store, "dispatch", type, data, award_apply, &s.sc);
}

/* The requests of the seeded state, after the members. */
static const fuzz_seed_t s_seeds[] = {
    {ROLE_STAFF, "{\"type\":\"volunteer.log\",\"id\":\"v1\",\"body\":{"
                 "\"member\":\"m4\",\"hours\":3,\"activity\":\"夜间巡逻\","
                 "\"date\":\"2026-03-05\",\"by\":\"p-da\"}}"},
    {ROLE_ADMIN, "{\"type\":\"points.adjust\",\"id\":\"j1\",\"body\":{"
                 "\"member\":\"m2\",\"points\":-5,\"reason\":\"重复登记更正\","
                 "\"by\":\"admin\"}}"},
    {0, NULL},
};

static void s_up(void)
{
    s.store = fuzz_store("scoring", scoring_migrations);
    s.sc = (scoring_t){.config = s.config, .store = s.store};
    pack_init(&s.sc.data);
    pack_init(&s.sc.scratch);
    s.sc.awarded = metrics_counter(s.metrics, "juli_points_awarded_total",
                                   "Service points given in the ledger.", NULL);
    s.sc.taken =
        metrics_counter(s.metrics, "juli_points_taken_back_total",
                        "Service points taken back in the ledger.", NULL);
    if (ledger_prepare(&s.sc) < 0 || board_prepare(&s.sc) < 0)
        abort();
    s.api = fuzz_api(&s.loop, s.store, s.metrics, "scoring", scoring_routes,
                     &s.sc, s.config->limits);

    static const char *const members[][4] = {
        {"m1", "张党员", "第一党小组", "火车站社区党支部"},
        {"m2", "李党员", "第一党小组", "火车站社区党支部"},
        {"m3", "王党员", "第二党小组", "新区社区党支部"},
        {"m4", "赵党员", "第二党小组", "新区社区党支部"},
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
        fuzz_seed(
            s.api, ROLE_ADMIN,
            fuzz_format("{\"type\":\"member.register\",\"id\":\"mr-%zu\","
                        "\"body\":{\"id\":\"%s\",\"name\":\"%s\",\"group\":"
                        "\"%s\",\"branch\":\"%s\"}}",
                        i, members[i][0], members[i][1], members[i][2],
                        members[i][3]));
    fuzz_seeds(s.api, s_seeds);
    s_dispatch_event("task.closed",
                     "{\"task\":\"T00000004\",\"ref\":\"R00000004\","
                     "\"participants\":[{\"member\":\"m1\",\"hours\":1.5},"
                     "{\"member\":\"m2\",\"hours\":2}],\"difficulty\":2,"
                     "\"urgency\":1,\"professional\":true,\"satisfaction\":"
                     "\"satisfied\",\"resolved_by\":\"p-jing\"}");
    s_dispatch_event("task.closed",
                     "{\"task\":\"T00000005\",\"ref\":\"R00000005\","
                     "\"participants\":[{\"member\":\"m3\",\"hours\":0.5}],"
                     "\"difficulty\":1,\"urgency\":3,\"satisfaction\":"
                     "\"basically\",\"resolved_by\":\"p-zhu\"}");
    s_dispatch_event("task.reopened",
                     "{\"task\":\"T00000005\",\"ref\":\"R00000005\","
                     "\"by\":\"p-da\",\"reason\":\"居民投诉\","
                     "\"was\":\"closed\"}");
    fuzz_state_seeded(&s.state, s.sc.entry_add);
}

/* Aborts unless ledger.verify answers intact. */
static void s_check_ledger(void)
{
    static const uint8_t verify[] = "\x81\xa4type\xadledger.verify";
    api_call(s.api, verify, sizeof verify - 1, ROLE_ADMIN, &s.verify);
    msgpack_object root;
    size_t off = 0;
    msgpack_zone_clear(&s.zone);
    if (msgpack_unpack(pack_data(&s.verify), pack_size(&s.verify), &off,
                       &s.zone, &root) != MSGPACK_UNPACK_SUCCESS)
        abort();
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        const msgpack_object_kv *kv = &root.via.map.ptr[i];
        if (kv->key.via.str.size == 6 &&
            memcmp(kv->key.via.str.ptr, "intact", 6) == 0 &&
            kv->val.type == MSGPACK_OBJECT_BOOLEAN && kv->val.via.boolean)
            return;
    }
    fprintf(stderr, "fuzz: the ledger does not verify: ");
    msgpack_object_print(stderr, root);
    fprintf(stderr, "\n");
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *const scopes[] = {"member", "group", "branch"};
    static const char *const periods[] = {"2026", "2026-03"};
    (void)argc;
    (void)argv;
    fuzz_env("fuzz-scoring");
    if (sodium_init() < 0 || !(s.config = config_new()) ||
        uv_loop_init(&s.loop) < 0 || !(s.metrics = metrics_new(&s.loop)) ||
        !msgpack_zone_init(&s.zone, 4096))
        abort();
    pack_init(&s.reply);
    pack_init(&s.verify);
    fuzz_state_init(&s.state);
    fuzz_probes_init(&s.probes);
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        fuzz_probes_add(
            &s.probes,
            fuzz_format("{\"type\":\"leaderboard\",\"body\":{\"scope\":"
                        "\"%s\",\"limit\":1000}}",
                        scopes[i]));
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        fuzz_probes_add(
            &s.probes,
            fuzz_format(
                "{\"type\":\"ratings.list\",\"body\":{\"period\":\"%s\"}}",
                periods[i]));
    fuzz_probes_common(&s.probes);
    for (int i = 1; i <= 4; i++)
        fuzz_probes_add(
            &s.probes,
            fuzz_format("{\"type\":\"ledger\",\"body\":{\"member\":\"m%d\","
                        "\"limit\":1000}}",
                        i));
    s_up();
    s_check_ledger();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_state_renew(&s.state, s_down, s_up);
    fuzz_input(s.api, "dispatch", award_apply, &s.sc, data, size, &s.reply);
    fuzz_probes_run(&s.probes, &s.state, s.api, &s.reply);
    s_check_ledger();
    return 0;
}
