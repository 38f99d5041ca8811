/*  End to end: the intake part of the protocol, against the real
 *  juli-intake process over real sockets. One daemon serves the group; the
 *  tests that restart or kill it start their own. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static h_stack_t s_stack;

/* The tree every test may use: one community, one grid, two compounds,
 * three stairwells. */
static void s_define_tree(client_t *c)
{
    static const h_node_t nodes[] = {
        {"HCZ", "火车站社区", "community", NULL},
        {"G1", "第一网格", "grid", "HCZ"},
        {"G2", "第二网格", "grid", "HCZ"},
        {"C11", "铁路新村", "compound", "G1"},
        {"C21", "站前小区", "compound", "G2"},
        {"S111", "1栋1单元", "stairwell", "C11"},
        {"S112", "1栋2单元", "stairwell", "C11"},
        {"S211", "3栋1单元", "stairwell", "C21"},
    };
    h_define_nodes(c, "tree-", nodes, sizeof nodes / sizeof nodes[0]);
}

static int s_setup(void **state)
{
    (void)state;
    h_stack_init(&s_stack);
    h_daemon_start(&s_stack.intake);
    s_define_tree(s_stack.intake.client);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_stack_cleanup(&s_stack);
    return 0;
}

/* -- the requests every daemon answers --------------------------------------- */

static void test_health(void **state)
{
    (void)state;
    const msgpack_object *r = h_call(s_stack.intake.client, "{\"type\":\"health\"}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "service"), "intake");
    assert_true(h_int(r, "last_seq") >= 8); /* the tree's events */
    assert_non_null(h_get(r, "uptime_s"));
    assert_non_null(h_get(r, "version"));
}

static void test_events_since(void **state)
{
    (void)state;
    const msgpack_object *r = h_call(
        s_stack.intake.client,
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":3}}");
    h_expect_ok(r);
    assert_int_equal(h_get(r, "events")->via.array.size, 3);
    assert_int_equal(h_int(r, "events[0].seq"), 1);
    assert_int_equal(h_int(r, "events[2].seq"), 3);
    assert_string_equal(h_str(r, "events[0].type"), "grid.defined");
    assert_string_equal(h_str(r, "events[0].source"), "intake");
    assert_string_equal(h_str(r, "events[0].data.code"), "HCZ");
    assert_true(h_int(r, "events[0].ts") > 1700000000000LL);
    int64_t last = h_int(r, "last_seq");
    r = h_call(s_stack.intake.client,
               "{\"type\":\"events.since\",\"body\":{\"after\":%lld}}",
               (long long)last);
    h_expect_ok(r);
    assert_int_equal(h_get(r, "events")->via.array.size, 0);
    r = h_call(s_stack.intake.client,
               "{\"type\":\"events.since\",\"body\":{\"after\":0,"
               "\"limit\":99999999}}");
    h_expect_ok(r); /* clamped, not refused */
    h_expect_error(h_call(s_stack.intake.client, "{\"type\":\"events.since\"}"),
                   "invalid", "body.after: missing");
}

/* -- the grid tree ----------------------------------------------------------- */

static void test_grid_define_rules(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    h_expect_error(h_call(c, "{\"type\":\"grid.define\",\"id\":\"g-1\","
                             "\"body\":{\"code\":\"X1\",\"name\":\"x\","
                             "\"kind\":\"stairwell\",\"parent\":\"G1\"}}"),
                   "invalid", "body.parent: the parent of a stairwell");
    h_expect_error(h_call(c, "{\"type\":\"grid.define\",\"id\":\"g-2\","
                             "\"body\":{\"code\":\"X2\",\"name\":\"x\","
                             "\"kind\":\"grid\",\"parent\":\"NOPE\"}}"),
                   "invalid", "body.parent: unknown");
    h_expect_error(h_call(c, "{\"type\":\"grid.define\",\"id\":\"g-3\","
                             "\"body\":{\"code\":\"X3\",\"name\":\"x\","
                             "\"kind\":\"village\"}}"),
                   "invalid", "body.kind");
    h_expect_error(h_call(c, "{\"type\":\"grid.define\",\"id\":\"g-4\","
                             "\"body\":{\"code\":\"X 4\",\"name\":\"x\","
                             "\"kind\":\"community\"}}"),
                   "invalid", "body.code");
    /* A rename keeps kind and parent. */
    const msgpack_object *r =
        h_call(c, "{\"type\":\"grid.define\",\"id\":\"g-5\","
                  "\"body\":{\"code\":\"C21\",\"name\":\"站前新区\","
                  "\"kind\":\"compound\",\"parent\":\"G2\"}}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "renamed"), "true");
    h_expect_error(h_call(c, "{\"type\":\"grid.define\",\"id\":\"g-6\","
                             "\"body\":{\"code\":\"C21\",\"name\":\"x\","
                             "\"kind\":\"compound\",\"parent\":\"G1\"}}"),
                   "conflict", "already a compound under 'G2'");
}

/* -- request.submit ---------------------------------------------------------- */

static void test_submit_resolves_chain(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    const msgpack_object *r = h_call(
        c, "{\"type\":\"request.submit\",\"id\":\"s-chain\",\"body\":{"
           "\"text\":\"楼道里的灯坏了\",\"channel\":\"app\","
           "\"category\":\"facility\",\"urgency\":2,"
           "\"location\":{\"stairwell\":\"S112\"},"
           "\"reporter\":{\"id\":\"u9\",\"name\":\"王阿姨\","
           "\"phone\":\"138-0000-1111\"}}}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "status"), "accepted");
    assert_string_equal(h_str(r, "id"), "s-chain");
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));

    r = h_call(c, "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}",
               ref);
    h_expect_ok(r);
    assert_string_equal(h_str(r, "request.status"), "accepted");
    assert_string_equal(h_str(r, "request.community"), "HCZ");
    assert_string_equal(h_str(r, "request.grid"), "G1");
    assert_string_equal(h_str(r, "request.compound"), "C11");
    assert_string_equal(h_str(r, "request.stairwell"), "S112");
    assert_string_equal(h_str(r, "request.text"), "楼道里的灯坏了");
    assert_int_equal(h_int(r, "request.urgency"), 2);
    assert_string_equal(h_str(r, "request.reporter.name"), "王阿姨");
    assert_string_equal(h_str(r, "request.timeline[0].status"),
                        "submitted");
    assert_string_equal(h_str(r, "request.timeline[1].status"), "accepted");

    /* The event carries the request and its chain. */
    int64_t last = h_int(r, "request.updated"); /* any value: a marker */
    (void)last;
    r = h_call(c, "{\"type\":\"health\"}");
    int64_t seq = h_int(r, "last_seq");
    r = h_call(c, "{\"type\":\"events.since\",\"body\":{\"after\":%lld}}",
               (long long)seq - 1);
    assert_string_equal(h_str(r, "events[0].type"), "request.accepted");
    assert_string_equal(h_str(r, "events[0].data.ref"), ref);
    assert_string_equal(h_str(r, "events[0].data.grid"), "G1");
    assert_string_equal(h_str(r, "events[0].data.community"), "HCZ");
    assert_string_equal(h_str(r, "events[0].data.category"), "facility");
}

static void test_submit_suggests_category(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    const msgpack_object *r = h_call(
        c, "{\"type\":\"request.submit\",\"id\":\"s-suggest\",\"body\":{"
           "\"text\":\"3号楼楼道堆放垃圾很久没人清扫\","
           "\"channel\":\"hotline\",\"location\":{\"compound\":\"C21\"}}}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "status"), "accepted");
    r = h_call(c, "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}",
               h_str(r, "ref"));
    assert_string_equal(h_str(r, "request.category"), "sanitation");
    assert_string_equal(h_str(r, "request.category_suggested"), "true");
    assert_string_equal(h_str(r, "request.timeline[1].status"),
                        "suggested");
    assert_non_null(strstr(h_str(r, "request.timeline[1].note"), "垃圾"));
}

static void test_triage_and_classify(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    /* No keyword, no grid: triage. */
    const msgpack_object *r = h_call(
        c, "{\"type\":\"request.submit\",\"id\":\"s-triage\",\"body\":{"
           "\"text\":\"请联系我\",\"channel\":\"walk_in\","
           "\"location\":{\"address\":\"车站路12号\"}}}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "status"), "triage");
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    /* Still no grid: invalid, and nothing changes. */
    h_expect_error(
        h_call(c, "{\"type\":\"request.classify\",\"id\":\"cl-1\","
                  "\"body\":{\"ref\":\"%s\",\"category\":\"other\"}}",
               ref),
        "invalid", "body.location: still no grid");
    h_expect_error(
        h_call(c, "{\"type\":\"request.classify\",\"id\":\"cl-2\","
                  "\"body\":{\"ref\":\"R99999999\",\"category\":\"other\"}}"),
        "not_found", "body.ref");
    r = h_call(c, "{\"type\":\"request.classify\",\"id\":\"cl-3\","
                  "\"body\":{\"ref\":\"%s\",\"category\":\"elderly\","
                  "\"location\":{\"grid\":\"G2\"}}}",
               ref);
    h_expect_ok(r);
    assert_string_equal(h_str(r, "status"), "accepted");
    r = h_call(c, "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}",
               ref);
    assert_string_equal(h_str(r, "request.grid"), "G2");
    assert_string_equal(h_str(r, "request.category"), "elderly");
    h_expect_error(
        h_call(c, "{\"type\":\"request.classify\",\"id\":\"cl-4\","
                  "\"body\":{\"ref\":\"%s\",\"category\":\"other\"}}",
               ref),
        "conflict", "not in triage");
}

static void test_cancel(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    const msgpack_object *r = h_call(
        c, "{\"type\":\"request.submit\",\"id\":\"s-cancel\",\"body\":{"
           "\"text\":\"邻居吵架\",\"channel\":\"app\","
           "\"location\":{\"grid\":\"G1\"}}}");
    h_expect_ok(r);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    r = h_call(c, "{\"type\":\"request.cancel\",\"id\":\"x-1\","
                  "\"body\":{\"ref\":\"%s\",\"reason\":\"已自行解决\"}}",
               ref);
    h_expect_ok(r);
    assert_string_equal(h_str(r, "status"), "cancelled");
    h_expect_error(h_call(c, "{\"type\":\"request.cancel\",\"id\":\"x-2\","
                             "\"body\":{\"ref\":\"%s\"}}",
                          ref),
                   "conflict", "cancelled");
    r = h_call(c, "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}",
               ref);
    assert_string_equal(h_str(r, "request.status"), "cancelled");
}

static void test_submit_validation(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    static const struct {
        const char *body, *detail;
    } cases[] = {
        {"{\"channel\":\"app\",\"location\":{\"grid\":\"G1\"}}",
         "body.text: missing"},
        {"{\"text\":\"\",\"channel\":\"app\",\"location\":{\"grid\":\"G1\"}}",
         "body.text"},
        {"{\"text\":5,\"channel\":\"app\",\"location\":{\"grid\":\"G1\"}}",
         "body.text"},
        {"{\"text\":\"x\",\"channel\":\"fax\",\"location\":{\"grid\":\"G1\"}}",
         "body.channel"},
        {"{\"text\":\"x\",\"channel\":\"app\",\"urgency\":4,"
         "\"location\":{\"grid\":\"G1\"}}",
         "body.urgency"},
        {"{\"text\":\"x\",\"channel\":\"app\",\"category\":\"weather\","
         "\"location\":{\"grid\":\"G1\"}}",
         "body.category: unknown"},
        {"{\"text\":\"x\",\"channel\":\"app\"}", "body.location: missing"},
        {"{\"text\":\"x\",\"channel\":\"app\",\"location\":{}}",
         "body.location: needs"},
        {"{\"text\":\"x\",\"channel\":\"app\","
         "\"location\":{\"stairwell\":\"S999\"}}",
         "body.location.stairwell: unknown"},
        {"{\"text\":\"x\",\"channel\":\"app\","
         "\"location\":{\"stairwell\":\"C11\"}}",
         "body.location.stairwell: C11 is a compound"},
        {"{\"text\":\"x\",\"channel\":\"app\","
         "\"location\":{\"stairwell\":\"S111\",\"compound\":\"C21\"}}",
         "body.location.compound: does not contain"},
        {"{\"text\":\"x\",\"channel\":\"app\","
         "\"location\":{\"stairwell\":\"S111\",\"grid\":\"G2\"}}",
         "body.location.grid: does not contain"},
        {"{\"text\":\"x\",\"channel\":\"app\",\"location\":{\"grid\":\"G1\"},"
         "\"reporter\":{\"phone\":\"call me\"}}",
         "body.reporter.phone"},
        {"{\"text\":\"x\",\"channel\":\"app\",\"location\":{\"grid\":\"G1\"},"
         "\"reporter\":\"me\"}",
         "body.reporter"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        h_expect_error(h_call(c,
                              "{\"type\":\"request.submit\","
                              "\"id\":\"v-%zu\",\"body\":%s}",
                              i, cases[i].body),
                       "invalid", cases[i].detail);
    /* Text is counted in characters: 2000 Chinese ones pass, 2001 not. */
    char *text = malloc(2001 * 3 + 1);
    for (int i = 0; i < 2001; i++)
        memcpy(text + i * 3, "垃", 3);
    text[2000 * 3] = '\0';
    h_expect_ok(h_call(c,
                       "{\"type\":\"request.submit\",\"id\":\"v-2000\","
                       "\"body\":{\"text\":\"%s\",\"channel\":\"app\","
                       "\"location\":{\"grid\":\"G1\"}}}",
                       text));
    memcpy(text + 2000 * 3, "垃", 3);
    text[2001 * 3] = '\0';
    h_expect_error(h_call(c,
                          "{\"type\":\"request.submit\",\"id\":\"v-2001\","
                          "\"body\":{\"text\":\"%s\",\"channel\":\"app\","
                          "\"location\":{\"grid\":\"G1\"}}}",
                          text),
                   "invalid", "body.text");
    free(text);
    /* The longest address and cancel reason, all in three-byte characters,
     * are kept whole. */
    char *addr = malloc(256 * 3 + 1), *why = malloc(500 * 3 + 1);
    for (int i = 0; i < 256; i++)
        memcpy(addr + i * 3, "路", 3);
    addr[256 * 3] = '\0';
    for (int i = 0; i < 500; i++)
        memcpy(why + i * 3, "因", 3);
    why[500 * 3] = '\0';
    const msgpack_object *r =
        h_call(c, "{\"type\":\"request.submit\",\"id\":\"v-addr\","
                  "\"body\":{\"text\":\"x\",\"channel\":\"app\","
                  "\"location\":{\"address\":\"%s\"}}}",
               addr);
    h_expect_ok(r);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    h_expect_ok(h_call(c, "{\"type\":\"request.cancel\",\"id\":\"v-why\","
                          "\"body\":{\"ref\":\"%s\",\"reason\":\"%s\"}}",
                       ref, why));
    r = h_call(c, "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}",
               ref);
    assert_string_equal(h_str(r, "request.location.address"), addr);
    const msgpack_object *tl = h_get(r, "request.timeline");
    assert_non_null(tl);
    assert_int_equal(tl->type, MSGPACK_OBJECT_ARRAY);
    assert_true(tl->via.array.size >= 2);
    char path[64], note[32 + 500 * 3];
    snprintf(path, sizeof path, "request.timeline[%u]",
             tl->via.array.size - 1);
    const msgpack_object *last = h_get(r, path);
    assert_string_equal(h_str(last, "status"), "cancelled");
    snprintf(note, sizeof note, "cancelled: %s", why);
    assert_string_equal(h_str(last, "note"), note);
    free(addr);
    free(why);
}

static void test_envelope_errors(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    h_expect_error(h_call(c, "{\"id\":\"e-1\"}"), "invalid", "type: missing");
    h_expect_error(h_call(c, "{\"type\":\"request.fly\",\"id\":\"e-2\"}"),
                   "unknown_type", "request.fly");
    h_expect_error(h_call(c, "{\"type\":\"request.submit\",\"body\":{}}"),
                   "invalid", "id: missing");
    h_expect_error(
        h_call(c, "{\"type\":\"request.submit\",\"id\":\"%s\",\"body\":{}}",
               "0123456789012345678901234567890123456789012345678901234567"
               "89012345"),
        "invalid", "id");
    h_expect_error(h_call(c, "{\"type\":\"request.get\",\"body\":[1]}"),
                   "invalid", "body");
    h_expect_error(h_call(c, "{\"type\":\"request.get\","
                             "\"body\":{\"ref\":\"R00000000000000009\"}}"),
                   "not_found", NULL);
    h_expect_error(h_call(c, "{\"type\":\"request.get\","
                             "\"body\":{\"ref\":\"nope\"}}"),
                   "invalid", "body.ref");
    /* Unknown keys are ignored: clients may be newer. */
    h_expect_ok(h_call(c, "{\"type\":\"health\",\"flavour\":1}"));
}

/* Garbage of every kind gets a malformed reply, and the daemon lives on. */
static void test_garbage(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    static const struct {
        const char *bytes;
        size_t len;
    } frames[] = {
        {"", 0},
        {"hello", 5},
        {"\x93\x01\x02\x03", 4},                 /* an array */
        {"\xdf\xff\xff\xff\xff", 5},             /* map of 4G entries */
        {"\xdd\xff\xff\xff\xff", 5},             /* array of 4G */
        {"\x81\xa4type\xa6health\x00", 14},      /* trailing byte */
        {"\x81\xa4type", 6},                     /* truncated */
        {"\x82\xa1" "a\x01\xa1" "a\x02", 7},     /* duplicate key */
        {"\x81\xa1" "a\xa2\xc0\x80", 7},         /* overlong UTF-8 */
        {"\x81\x01\x02", 3},                     /* key not a string */
        {"\x81\xa1" "a\xd4\x01\x01", 6},         /* ext type */
    };
    msgpack_object reply;
    char err[256];
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        if (client_call(c, frames[i].bytes, frames[i].len, &reply, err,
                        sizeof err) < 0)
            fail_msg("frame %zu: %s", i, err);
        h_expect_error(&reply, "malformed", NULL);
    }
    /* Nine levels of nesting. */
    const char deep[] = "\x81\xa1" "a\x91\x91\x91\x91\x91\x91\x91\x91\x01";
    assert_int_equal(client_call(c, deep, sizeof deep - 1, &reply, err,
                                 sizeof err),
                     0);
    h_expect_error(&reply, "malformed", "depth");
    /* A frame over 64 KiB. */
    size_t big = 70000;
    char *frame = calloc(1, big);
    memcpy(frame, "\x81\xa4text\xdb", 7);
    uint32_t n = (uint32_t)(big - 11);
    frame[7] = (char)(n >> 24), frame[8] = (char)(n >> 16);
    frame[9] = (char)(n >> 8), frame[10] = (char)n;
    memset(frame + 11, 'a', big - 11);
    assert_int_equal(client_call(c, frame, big, &reply, err, sizeof err), 0);
    h_expect_error(&reply, "malformed", "70000 bytes");
    free(frame);
    /* A message of two payload frames after the delimiter is dropped;
     * one without a delimiter is answered the same way it came. */
    const void *parts[] = {"", "\x80", "\x80"};
    size_t lens[] = {0, 1, 1};
    assert_int_equal(client_send_raw(c, parts, lens, 3), 0);
    const void *bare[] = {"\x81\xa4type\xa6health"};
    size_t bare_len[] = {13};
    assert_int_equal(client_send_raw(c, bare, bare_len, 1), 0);
    assert_int_equal(client_recv(c, &reply, err, sizeof err), 0);
    h_expect_ok(&reply);
    h_expect_ok(h_call(c, "{\"type\":\"health\"}"));
}

/* -- idempotency ------------------------------------------------------------- */

static void test_idempotency(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    const char *req = "{\"type\":\"request.submit\",\"id\":\"idem-1\","
                      "\"body\":{\"text\":\"井盖松动\",\"channel\":\"app\","
                      "\"location\":{\"grid\":\"G2\"}}}";
    const msgpack_object *r = h_call(c, "%s", req);
    h_expect_ok(r);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    int64_t seq = h_int(h_call(c, "{\"type\":\"health\"}"), "last_seq");
    r = h_call(c, "%s", req);
    h_expect_ok(r);
    assert_string_equal(h_str(r, "ref"), ref);
    assert_int_equal(h_int(h_call(c, "{\"type\":\"health\"}"), "last_seq"),
                     seq); /* no second effect */
    h_expect_error(h_call(c, "{\"type\":\"request.submit\","
                             "\"id\":\"idem-1\",\"body\":{\"text\":\"别的\","
                             "\"channel\":\"app\","
                             "\"location\":{\"grid\":\"G2\"}}}"),
                   "conflict", "id");
    h_expect_error(h_call(c, "{\"type\":\"request.cancel\","
                             "\"id\":\"idem-1\",\"body\":{\"ref\":\"%s\"}}",
                          ref),
                   "conflict", "id");
    /* A failed request is not remembered: the id may be used again. */
    h_expect_error(h_call(c, "{\"type\":\"request.submit\","
                             "\"id\":\"idem-2\",\"body\":{\"text\":\"x\","
                             "\"channel\":\"fax\","
                             "\"location\":{\"grid\":\"G2\"}}}"),
                   "invalid", NULL);
    h_expect_ok(h_call(c, "{\"type\":\"request.submit\","
                          "\"id\":\"idem-2\",\"body\":{\"text\":\"x\","
                          "\"channel\":\"app\","
                          "\"location\":{\"grid\":\"G2\"}}}"));
}

/* -- list and stats ---------------------------------------------------------- */

static void test_list_and_stats(void **state)
{
    (void)state;
    client_t *c = s_stack.intake.client;
    for (int i = 0; i < 5; i++)
        h_expect_ok(h_call(c,
                           "{\"type\":\"request.submit\",\"id\":\"l-%d\","
                           "\"body\":{\"text\":\"路灯不亮 %d\","
                           "\"channel\":\"patrol\",\"category\":\"culture\","
                           "\"location\":{\"stairwell\":\"S211\"}}}",
                           i, i));
    const msgpack_object *r = h_call(
        c, "{\"type\":\"requests.list\",\"body\":{\"category\":\"culture\","
           "\"limit\":2}}");
    h_expect_ok(r);
    assert_int_equal(h_get(r, "requests")->via.array.size, 2);
    assert_string_equal(h_str(r, "requests[0].text"), "路灯不亮 0");
    char next[32];
    snprintf(next, sizeof next, "%s", h_str(r, "next"));
    int pages = 1, seen = 2;
    while (strcmp(next, "(none)") != 0) {
        r = h_call(c,
                   "{\"type\":\"requests.list\",\"body\":{\"category\":"
                   "\"culture\",\"limit\":2,\"after\":\"%s\"}}",
                   next);
        h_expect_ok(r);
        seen += (int)h_get(r, "requests")->via.array.size;
        snprintf(next, sizeof next, "%s", h_str(r, "next"));
        pages++;
    }
    assert_int_equal(seen, 5);
    assert_int_equal(pages, 3);
    r = h_call(c, "{\"type\":\"requests.list\",\"body\":{\"status\":"
                  "\"cancelled\",\"grid\":\"G1\"}}");
    h_expect_ok(r);
    for (uint32_t i = 0; i < h_get(r, "requests")->via.array.size; i++) {
        char path[64];
        snprintf(path, sizeof path, "requests[%u].status", i);
        assert_string_equal(h_str(r, path), "cancelled");
    }
    h_expect_error(h_call(c, "{\"type\":\"requests.list\",\"body\":{"
                             "\"status\":\"lost\"}}"),
                   "invalid", "body.status");

    r = h_call(c, "{\"type\":\"stats\"}");
    h_expect_ok(r);
    int64_t total = h_int(r, "requests.total");
    int64_t sum = 0;
    static const char *const st[] = {"triage", "accepted", "assigned",
                                     "in_progress", "resolved", "closed",
                                     "cancelled"};
    for (int i = 0; i < 7; i++) {
        char path[64];
        snprintf(path, sizeof path, "requests.%s", st[i]);
        sum += h_int(r, path);
    }
    assert_int_equal(sum, total);
    r = h_call(c, "{\"type\":\"requests.list\",\"body\":{\"limit\":1000}}");
    assert_int_equal(h_get(r, "requests")->via.array.size, total);
}

/* -- processes: restart, kill -9, SIGTERM, refusing to start ------------------ */

static void test_idempotency_survives_restart(void **state)
{
    (void)state;
    h_stack_t st;
    h_stack_init(&st);
    h_daemon_t *d = &st.intake;
    h_daemon_start(d);
    s_define_tree(d->client);
    const char *req = "{\"type\":\"request.submit\",\"id\":\"r-1\","
                      "\"body\":{\"text\":\"电梯坏了\",\"channel\":\"app\","
                      "\"location\":{\"grid\":\"G1\"}}}";
    const msgpack_object *r = h_call(d->client, "%s", req);
    h_expect_ok(r);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    assert_int_equal(WEXITSTATUS(h_daemon_signal(d, SIGTERM)), 0);
    h_daemon_start(d);
    r = h_call(d->client, "%s", req);
    h_expect_ok(r);
    assert_string_equal(h_str(r, "ref"), ref);
    r = h_call(d->client, "{\"type\":\"stats\"}");
    assert_int_equal(h_int(r, "requests.total"), 1);
    h_stack_cleanup(&st);
}

#define BURST 3000

/* kill -9 in the middle of a burst of submissions in flight: every acked
 * ref survives, a retry of every id gets one ref, and the log is gapless
 * with one request.accepted per request. */
static void test_kill9_burst(void **state)
{
    (void)state;
    h_stack_t st;
    h_stack_init(&st);
    h_daemon_t *d = &st.intake;
    h_daemon_start(d);
    s_define_tree(d->client);
    char **acked = calloc(BURST, sizeof *acked);
    pack_t p;
    pack_init(&p);
    for (int i = 0; i < BURST; i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"type\":\"request.submit\",\"id\":\"k-%d\",\"body\":{"
                 "\"text\":\"楼道垃圾 %d\",\"channel\":\"app\","
                 "\"location\":{\"stairwell\":\"S111\"}}}",
                 i, i);
        pack_reset(&p);
        h_json(&p, json);
        assert_int_equal(client_send(d->client, pack_data(&p),
                                     pack_size(&p)),
                         0);
    }
    /* Read acks until a third are in, then kill. */
    msgpack_object reply;
    char err[256];
    int got = 0;
    while (got < BURST / 3 &&
           client_recv(d->client, &reply, err, sizeof err) == 0) {
        if (!h_ok(&reply))
            fail_msg("burst: %s", h_str(&reply, "detail"));
        int i = atoi(h_str(&reply, "id") + 2);
        acked[i] = strdup(h_str(&reply, "ref"));
        got++;
    }
    int status = h_daemon_signal(d, SIGKILL);
    assert_true(WIFSIGNALED(status));
    assert_true(got >= BURST / 3);

    h_daemon_start(d);
    char **refs = calloc(BURST, sizeof *refs);
    for (int i = 0; i < BURST; i++) {
        const msgpack_object *r = h_call(
            d->client,
            "{\"type\":\"request.submit\",\"id\":\"k-%d\",\"body\":{"
            "\"text\":\"楼道垃圾 %d\",\"channel\":\"app\","
            "\"location\":{\"stairwell\":\"S111\"}}}",
            i, i);
        h_expect_ok(r);
        refs[i] = strdup(h_str(r, "ref"));
        if (acked[i])
            assert_string_equal(refs[i], acked[i]);
    }
    /* No two ids share a ref. */
    for (int i = 0; i < BURST; i++)
        for (int j = i + 1; j < BURST && j < i + 50; j++)
            assert_string_not_equal(refs[i], refs[j]);
    const msgpack_object *r = h_call(d->client, "{\"type\":\"stats\"}");
    assert_int_equal(h_int(r, "requests.total"), BURST);

    /* The log: gapless, one request.accepted per ref. */
    char *seen = calloc(BURST + 1, 1);
    int64_t after = 0, accepted = 0;
    for (;;) {
        r = h_call(d->client,
                   "{\"type\":\"events.since\",\"body\":{\"after\":%lld,"
                   "\"limit\":10000}}",
                   (long long)after);
        h_expect_ok(r);
        uint32_t n = h_get(r, "events")->via.array.size;
        if (n == 0)
            break;
        for (uint32_t k = 0; k < n; k++) {
            char path[64];
            snprintf(path, sizeof path, "events[%u].seq", k);
            assert_int_equal(h_int(r, path), after + 1);
            after++;
            snprintf(path, sizeof path, "events[%u].type", k);
            if (strcmp(h_str(r, path), "request.accepted") != 0)
                continue;
            snprintf(path, sizeof path, "events[%u].data.ref", k);
            long rid = atol(h_str(r, path) + 1);
            assert_true(rid >= 1 && rid <= BURST);
            assert_int_equal(seen[rid], 0);
            seen[rid] = 1;
            accepted++;
        }
    }
    assert_int_equal(accepted, BURST);
    for (int i = 0; i < BURST; i++)
        free(acked[i]), free(refs[i]);
    free(acked), free(refs), free(seen);
    pack_free(&p);
    h_stack_cleanup(&st);
}

static void test_command_line(void **state)
{
    (void)state;
    char out[4096];
    const char *help[] = {"--help", NULL};
    assert_int_equal(h_run("intake", help, out, sizeof out), 0);
    assert_non_null(strstr(out, "Usage: juli-intake"));
    const char *version[] = {"--version", NULL};
    assert_int_equal(h_run("intake", version, out, sizeof out), 0);
    assert_non_null(strstr(out, "juli-intake"));
    const char *bad[] = {"--frobnicate", NULL};
    assert_int_equal(h_run("intake", bad, out, sizeof out), 2);
    const char *missing[] = {"-c", "/nonexistent/juli.ini", NULL};
    assert_int_equal(h_run("intake", missing, out, sizeof out), 2);
    assert_non_null(strstr(out, "/nonexistent/juli.ini"));
}

static void test_refuses_bad_start(void **state)
{
    (void)state;
    char out[4096], ini[320];
    /* A config with a typo names the line. */
    h_stack_t st;
    h_stack_init(&st);
    snprintf(ini, sizeof ini, "%s/bad.ini", st.dir);
    FILE *f = fopen(ini, "w");
    fprintf(f, "[points]\nper_hour = ten\n");
    fclose(f);
    const char *args[] = {"-c", ini, NULL};
    assert_int_equal(h_run("intake", args, out, sizeof out), 2);
    assert_non_null(strstr(out, "bad.ini:2"));
    /* A port already taken: one line, non-zero, nothing half-started. */
    char db[320];
    snprintf(db, sizeof db, "%s/x.db", st.dir);
    const char *taken[] = {"--api", s_stack.intake.api, "--metrics", "off", "--db", db,
                           NULL};
    int rc = h_run("intake", taken, out, sizeof out);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(out, "cannot bind"));
    assert_non_null(strchr(out, '\n'));
    assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* one line */
    h_stack_cleanup(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_events_since),
        cmocka_unit_test(test_grid_define_rules),
        cmocka_unit_test(test_submit_resolves_chain),
        cmocka_unit_test(test_submit_suggests_category),
        cmocka_unit_test(test_triage_and_classify),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_submit_validation),
        cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_idempotency),
        cmocka_unit_test(test_list_and_stats),
        cmocka_unit_test(test_idempotency_survives_restart),
        cmocka_unit_test(test_kill9_burst),
        cmocka_unit_test(test_command_line),
        cmocka_unit_test(test_refuses_bad_start),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
