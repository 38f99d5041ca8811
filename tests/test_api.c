/*  The api's turn: requests drained together share one transaction, and a
 *  request that fails after writing takes the turn's earlier writes with
 *  it (they are answered unavailable and retried), never half of itself,
 *  and with them the queries that may have read them.
 *
 *  A real api on an inproc endpoint, a real store; the test's DEALER sends
 *  a burst before the loop runs, so the api drains it in one turn.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>
#include <zmq.h>

#include "api.h"
#include "harness.h"
#include "store.h"

static const char *const s_migrations[] = {
    "CREATE TABLE things (name TEXT NOT NULL);", NULL};

/* thing.add {name}: a row and an event. The name "late" is refused, but
 * only after the row went in: a handler that fails after writing. */
static api_status_t s_add(api_req_t *req, void *ctx)
{
    store_t *store = ctx;
    field_str_t name;
    if (field_str(&req->body, "name", FIELD_REQUIRED, 32, &name) < 0)
        return API_INVALID;
    sqlite3_stmt *st = store_prepare(store, "INSERT INTO things VALUES (?)");
    sqlite3_bind_text(st, 1, name.ptr, (int)name.len, SQLITE_STATIC);
    pack_t data;
    pack_init(&data);
    pack_map(&data, 1);
    pack_kstrn(&data, "name", name.ptr, name.len);
    int rc = store_step(store, st) < 0 ||
             api_event(req, "thing.added", &data) < 0;
    pack_free(&data);
    if (rc)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    if (field_str_eq(name, "late"))
        return api_fail(req, API_CONFLICT, "late: refused after writing");
    pack_kstrn(api_reply(req, 1), "name", name.ptr, name.len);
    return API_OK;
}

/* things.list: the things' names, as the store shows them now. */
static api_status_t s_list(api_req_t *req, void *ctx)
{
    store_t *store = ctx;
    sqlite3_stmt *st =
        store_prepare(store, "SELECT group_concat(name, ' ') FROM things");
    if (store_step(store, st) != 1)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    const char *names = (const char *)sqlite3_column_text(st, 0);
    pack_kstr(api_reply(req, 1), "names", names ? names : "");
    store_reset(st);
    return API_OK;
}

static const api_route_t s_routes[] = {
    {"thing.add", s_add, API_WRITE, ROLE_ANY},
    {"things.list", s_list, API_QUERY, ROLE_ANY},
    {"thing.admin", s_add, API_WRITE, ROLE_ADMIN},
    {NULL, NULL, 0, 0},
};

typedef struct {
    char dir[256];
    uv_loop_t loop;
    bus_t *bus;
    store_t *store;
    api_t *api;
    bus_socket_t *dealer;
    h_decode_t *dec;
    char replies[8][160]; /* "id error" or "id ok" */
    int nreplies;
} fx_t;

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    char path[300], err[256];
    if (!fx || h_tempdir(fx->dir, sizeof fx->dir, "api") < 0 ||
        uv_loop_init(&fx->loop) < 0 || !(fx->bus = bus_new(&fx->loop)))
        return -1;
    snprintf(path, sizeof path, "%s/api.db", fx->dir);
    store_opts_t so = {.path = path,
                       .source = "test",
                       .synchronous_full = 1,
                       .migrations = s_migrations};
    if (!(fx->store = store_open(&so, err, sizeof err)))
        return -1;
    api_opts_t ao = {.service = "test",
                     .version = "0",
                     .api_endpoint = "inproc://api",
                     .events_endpoint = "inproc://events",
                     .limits = frame_limits_default(),
                     .routes = s_routes,
                     .ctx = fx->store};
    if (!(fx->api = api_new(&fx->loop, fx->bus, fx->store, NULL, &ao, err,
                            sizeof err)) ||
        api_start(fx->api) < 0 ||
        !(fx->dealer = bus_connect(fx->bus, ZMQ_DEALER, "inproc://api", NULL,
                                   err, sizeof err)) ||
        !(fx->dec = h_decode_new(NULL)))
        return -1;
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    bus_close(fx->dealer);
    api_destroy(&fx->api);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    bus_destroy(&fx->bus);
    store_close(&fx->store);
    h_decode_destroy(&fx->dec);
    int rc = uv_loop_close(&fx->loop) == 0 && h_rmtree(fx->dir) == 0 ? 0 : -1;
    free(fx);
    return rc;
}

/* Queues the request written as JSON on the DEALER, before the loop
 * runs. */
static void s_send_json(fx_t *fx, const char *json)
{
    pack_reset(&fx->dec->p);
    h_json(&fx->dec->p, json);
    assert_int_equal(zmq_send(bus_zsocket(fx->dealer), pack_data(&fx->dec->p),
                              pack_size(&fx->dec->p), 0),
                     (int)pack_size(&fx->dec->p));
}

/* Queues thing.add {name} with ID. */
static void s_send(fx_t *fx, const char *id, const char *name)
{
    char json[128];
    snprintf(json, sizeof json,
             "{\"type\":\"thing.add\",\"id\":\"%s\",\"body\":{\"name\":"
             "\"%s\"}}",
             id, name);
    s_send_json(fx, json);
}

/* Turns the loop until N replies came back, noting each as "id ok" or
 * "id error". */
static void s_replies(fx_t *fx, int n)
{
    fx->nreplies = 0;
    for (int spins = 0; fx->nreplies < n && spins < 2000; spins++) {
        uv_run(&fx->loop, UV_RUN_NOWAIT);
        char buf[512];
        int len;
        while (fx->nreplies < n &&
               (len = zmq_recv(bus_zsocket(fx->dealer), buf, sizeof buf,
                               ZMQ_DONTWAIT)) > 0) {
            const msgpack_object *r =
                h_decode_buf(fx->dec, buf, (size_t)len)->obj;
            snprintf(fx->replies[fx->nreplies++], sizeof fx->replies[0],
                     "%s %s", h_str(r, "id"),
                     h_ok(r) ? "ok" : h_str(r, "error"));
        }
        if (fx->nreplies < n)
            zmq_poll(NULL, 0, 1);
    }
    assert_int_equal(fx->nreplies, n);
}

/* Turns the loop until the replies came, and asserts them ("id ok",
 * "id error"), in order. */
static void s_expect(fx_t *fx, const char *const *want, int n)
{
    s_replies(fx, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(fx->replies[i], want[i]);
}

static void s_count_event(const event_t *e, void *arg)
{
    (void)e;
    (*(int *)arg)++;
}

/* Asserts the things' names in order ("B A ") and the events logged. */
static void s_expect_store(fx_t *fx, const char *names, int events)
{
    sqlite3_stmt *st =
        store_prepare(fx->store, "SELECT name FROM things ORDER BY rowid");
    char got[128] = "";
    while (store_step(fx->store, st) == 1)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s ",
                 (const char *)sqlite3_column_text(st, 0));
    assert_string_equal(got, names);
    int n = 0;
    assert_int_equal(store_events_since(fx->store, 0, 100, s_count_event, &n),
                     events);
}

static void test_turn_undone_by_a_late_failure(void **state)
{
    fx_t *fx = *state;
    s_send(fx, "a1", "A");
    s_send(fx, "a1", "A"); /* a retry inside the turn: a replay */
    s_send(fx, "l1", "late");
    s_send(fx, "b1", "B");
    /* A and its replay went with the turn; late failed, leaving nothing;
     * B came after, in a fresh transaction. */
    const char *const first[] = {"a1 unavailable", "a1 unavailable",
                                 "l1 conflict", "b1 ok"};
    s_expect(fx, first, 4);
    s_expect_store(fx, "B ", 1);
    /* The retry does it now, once; the log has no gap. */
    s_send(fx, "a1", "A");
    const char *const retry[] = {"a1 ok"};
    s_expect(fx, retry, 1);
    s_expect_store(fx, "B A ", 2);
}

/* Queues things.list with ID. */
static void s_send_list(fx_t *fx, const char *id)
{
    char json[128];
    snprintf(json, sizeof json, "{\"type\":\"things.list\",\"id\":\"%s\"}", id);
    s_send_json(fx, json);
}

static void test_queries_fall_with_the_turn_they_read(void **state)
{
    fx_t *fx = *state;
    s_send_list(fx, "q0"); /* before any write: what is committed */
    s_send(fx, "a1", "A");
    s_send_list(fx, "q1"); /* sees A, which the turn then loses */
    s_send(fx, "l1", "late");
    s_send_list(fx, "q2"); /* after the undo: what is committed */
    s_send(fx, "b1", "B");
    s_send_list(fx, "q3"); /* sees B, which commits */
    const char *const want[] = {
        "q0 ok", "a1 unavailable", "q1 unavailable", "l1 conflict",
        "q2 ok", "b1 ok",          "q3 ok"};
    s_expect(fx, want, 7);
    s_expect_store(fx, "B ", 1);
}

static void test_clean_failures_cost_nothing(void **state)
{
    fx_t *fx = *state;
    /* Failures that wrote nothing (a missing name, an id reused for
     * another body) leave the turn's writes alone. */
    s_send(fx, "a1", "A");
    s_send_json(fx, "{\"type\":\"thing.add\",\"id\":\"x\",\"body\":{}}");
    s_send(fx, "a1", "other");
    s_send(fx, "b1", "B");
    const char *const want[] = {"a1 ok", "x invalid", "a1 conflict",
                                "b1 ok"};
    s_expect(fx, want, 4);
    s_expect_store(fx, "A B ", 2);
}

/* Runs the request written as JSON through api_call with ROLES and
 * returns its reply as "id error" or "id ok". */
static const char *s_call(fx_t *fx, int roles, const char *json)
{
    pack_t req, reply;
    pack_init(&req);
    pack_init(&reply);
    h_json(&req, json);
    api_call(fx->api, pack_data(&req), pack_size(&req), roles, &reply);
    const msgpack_object *r =
        h_decode_buf(fx->dec, pack_data(&reply), pack_size(&reply))->obj;
    snprintf(fx->replies[0], sizeof fx->replies[0], "%s %s", h_str(r, "id"),
             h_ok(r) ? "ok" : h_str(r, "error"));
    pack_free(&req);
    pack_free(&reply);
    return fx->replies[0];
}

static void test_errors_in_the_protocols_order(void **state)
{
    fx_t *fx = *state;
    static const struct {
        int roles;
        const char *json, *want;
    } cases[] = {
        /* An id that is not a str: unknown_type and forbidden come first,
         * and the reply carries no id. */
        {ROLE_ANY, "{\"type\":\"nope\",\"id\":123}", "(none) unknown_type"},
        {ROLE_APP, "{\"type\":\"thing.admin\",\"id\":123}", "(none) forbidden"},
        {ROLE_ADMIN, "{\"type\":\"thing.admin\",\"id\":123}", "(none) invalid"},
        {ROLE_ADMIN, "{\"type\":\"thing.admin\",\"id\":\"\"}",
         "(none) invalid"},
        /* A well-formed id comes back with every answer. */
        {ROLE_ANY, "{\"type\":\"nope\",\"id\":\"n1\"}", "n1 unknown_type"},
        {ROLE_APP, "{\"type\":\"thing.admin\",\"id\":\"f1\",\"body\":{}}",
         "f1 forbidden"},
        {ROLE_ADMIN, "{\"type\":\"thing.admin\",\"id\":\"i1\",\"body\":{}}",
         "i1 invalid"},
        {ROLE_ADMIN,
         "{\"type\":\"thing.admin\",\"id\":\"k1\",\"body\":{\"name\":\"K\"}}",
         "k1 ok"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(s_call(fx, cases[i].roles, cases[i].json),
                            cases[i].want);
    s_expect_store(fx, "K ", 1);
}

static void test_too_many_routes_refused(void **state)
{
    fx_t *fx = *state;
    /* The service's routes with the api's two own fill its 64 rows of
     * request counters, and not one more. */
    static api_route_t routes[64];
    static char names[64][16];
    char err[256];
    for (size_t n = 62; n <= 63; n++) {
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "thing.%zu", i);
            routes[i] = (api_route_t){names[i], s_add, API_WRITE, ROLE_ANY};
        }
        routes[n] = (api_route_t){NULL, NULL, 0, 0};
        api_opts_t ao = {.service = "test",
                         .version = "0",
                         .limits = frame_limits_default(),
                         .routes = routes,
                         .ctx = fx->store};
        err[0] = '\0';
        api_t *api =
            api_new(&fx->loop, NULL, fx->store, NULL, &ao, err, sizeof err);
        if (n == 62) {
            assert_non_null(api);
        } else {
            assert_null(api);
            assert_string_equal(err, "test: 63 routes, over the api's 62 (with "
                                     "its 2 own)");
        }
        api_destroy(&api);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_turn_undone_by_a_late_failure,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_clean_failures_cost_nothing,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(
            test_queries_fall_with_the_turn_they_read, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_errors_in_the_protocols_order,
                                        s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_routes_refused,
                                        s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
