/*  End to end: CURVE with roles, refusals that change nothing, loopback
 *  only without CURVE, and a flood that does not starve another client. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static h_stack_t s_stack;

static int64_t s_last_seq(h_daemon_t *d)
{
    return h_int(h_call(d->client, "{\"type\":\"health\"}"), "last_seq");
}

/* The whole flow with CURVE on, each request from the role it belongs to;
 * the task is left assigned to unit U1 for the refusal tests. */
static int s_setup(void **state)
{
    (void)state;
    h_stack_t *st = &s_stack;
    h_stack_init(st);
    h_stack_curve(st);
    h_daemon_start(&st->intake);
    h_daemon_start(&st->dispatch);
    h_daemon_start(&st->scoring);
    client_t *admin = st->intake.client;
    static const h_node_t nodes[] = {
        {"HCZ", "社区", "community", NULL},
        {"G1", "一格", "grid", "HCZ"},
    };
    h_define_nodes(admin, "", nodes, sizeof nodes / sizeof nodes[0]);
    h_staff_assign(st, "s", "G1", "grid_leader", "p-xiao", "肖");
    const char *units[] = {"U1", "U2"};
    for (int i = 0; i < 2; i++)
        h_expect_ok(h_call(st->dispatch.client,
                           "{\"type\":\"unit.register\",\"id\":\"u%d\","
                           "\"body\":{\"id\":\"%s\",\"name\":\"单位\","
                           "\"kind\":\"unit\",\"categories\":[\"property\"]}}",
                           i, units[i]));
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_stack_cleanup(&s_stack);
    return 0;
}

static void test_flow_with_curve(void **state)
{
    (void)state;
    h_stack_t *st = &s_stack;
    client_t *app = h_client(&st->intake, "app", 5000);
    const msgpack_object *r = h_call(
        app, "{\"type\":\"request.submit\",\"id\":\"f1\",\"body\":{"
             "\"text\":\"邻居噪音\",\"channel\":\"app\","
             "\"category\":\"dispute\",\"location\":{\"grid\":\"G1\"}}}");
    h_expect_ok(r);
    char ref[32], task[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    snprintf(task, sizeof task, "T%s", ref + 1);
    client_t *staff = h_client(&st->dispatch, "staff", 5000);
    h_expect_ok(h_call_found(staff,
                             "{\"type\":\"task.accept\",\"id\":\"f-a\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"p-xiao\"}}",
                             task));
    h_expect_ok(h_call(
        staff, "{\"type\":\"task.resolve\",\"id\":\"f-r\",\"body\":{"
               "\"task\":\"%s\",\"by\":\"p-xiao\",\"result\":\"好\","
               "\"participants\":[{\"member\":\"m1\",\"hours\":1}],"
               "\"difficulty\":1}}",
        task));
    h_expect_ok(h_call(staff, "{\"type\":\"followup.record\",\"id\":\"f-f\","
                              "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                              "\"satisfaction\":\"satisfied\"}}",
                       task));
    /* Over CURVE, scoring followed dispatch (as a service) and awarded. */
    client_t *sstaff = h_client(&st->scoring, "staff", 5000);
    const char *points = "";
    for (int i = 0; i < 200; i++) {
        r = h_call(sstaff, "{\"type\":\"points.get\",\"body\":{"
                           "\"member\":\"m1\"}}");
        points = h_str(r, "points");
        if (strcmp(points, "20") == 0)
            break;
        usleep(50000);
    }
    assert_string_equal(points, "20");
    /* And the resident sees it closed, through intake following dispatch. */
    for (int i = 0; i < 200; i++) {
        r = h_call(app, "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}",
                   ref);
        if (strcmp(h_str(r, "request.status"), "closed") == 0)
            break;
        usleep(50000);
    }
    assert_string_equal(h_str(r, "request.status"), "closed");
    client_destroy(&app);
    client_destroy(&staff);
    client_destroy(&sstaff);
}

/* Without a key, or with one nobody listed, nothing gets through the
 * handshake: no reply at all. */
static void test_refused_at_handshake(void **state)
{
    (void)state;
    h_stack_t *st = &s_stack;
    const char *keys[] = {NULL, "stranger"};
    for (int i = 0; i < 2; i++) {
        client_t *c = h_client(&st->intake, keys[i], 500);
        pack_t p;
        pack_init(&p);
        h_json(&p, "{\"type\":\"grid.define\",\"id\":\"x\",\"body\":{"
                   "\"code\":\"EVIL\",\"name\":\"x\",\"kind\":\"community\"}}");
        msgpack_object reply;
        char err[128];
        assert_int_equal(client_call(c, pack_data(&p), pack_size(&p), &reply,
                                     err, sizeof err),
                         -1);
        assert_non_null(strstr(err, "no reply"));
        pack_free(&p);
        client_destroy(&c);
    }
}

/* Roles: each refusal is forbidden and leaves every event log as it was. */
static void test_roles(void **state)
{
    (void)state;
    h_stack_t *st = &s_stack;
    client_t *app = h_client(&st->dispatch, "app", 5000);
    client_t *iapp = h_client(&st->intake, "app", 5000);
    client_t *u1 = h_client(&st->dispatch, "u1", 5000);
    client_t *u2 = h_client(&st->dispatch, "u2", 5000);
    const msgpack_object *r = h_call(
        iapp, "{\"type\":\"request.submit\",\"id\":\"r1\",\"body\":{"
              "\"text\":\"电梯坏了\",\"channel\":\"app\","
              "\"category\":\"property\",\"location\":{\"grid\":\"G1\"}}}");
    h_expect_ok(r);
    char task[32], req[96];
    snprintf(task, sizeof task, "T%s", h_str(r, "ref") + 1);
    snprintf(req, sizeof req,
             "{\"type\":\"task.get\",\"body\":{\"task\":\"%s\"}}", task);
    h_wait_str(&st->dispatch, req, "task.assignee.id", "U1");

    int64_t seq[3] = {s_last_seq(&st->intake), s_last_seq(&st->dispatch),
                      s_last_seq(&st->scoring)};
    /* An app key sending staff and admin requests. */
    h_expect_error(h_call(app, "{\"type\":\"staff.assign\",\"id\":\"e1\","
                               "\"body\":{\"node\":\"G1\",\"role\":"
                               "\"grid_leader\",\"person\":{\"id\":\"me\","
                               "\"name\":\"我\"}}}"),
                   "forbidden", NULL);
    h_expect_error(h_call(app, "{\"type\":\"task.accept\",\"id\":\"e2\","
                               "\"body\":{\"task\":\"%s\",\"by\":\"U1\"}}",
                          task),
                   "forbidden", NULL);
    h_expect_error(h_call(iapp, "{\"type\":\"grid.define\",\"id\":\"e3\","
                                "\"body\":{\"code\":\"X\",\"name\":\"x\","
                                "\"kind\":\"community\"}}"),
                   "forbidden", NULL);
    h_expect_error(h_call(iapp, "{\"type\":\"events.since\",\"body\":{"
                                "\"after\":0}}"),
                   "forbidden", NULL);
    /* Forbidden comes before invalid: a garbage body is not even read. */
    h_expect_error(h_call(app, "{\"type\":\"unit.register\",\"id\":\"e4\","
                               "\"body\":7}"),
                   "forbidden", NULL);
    /* A unit acting on another unit's task, even naming that unit. */
    h_expect_error(h_call(u2, "{\"type\":\"task.accept\",\"id\":\"e5\","
                              "\"body\":{\"task\":\"%s\",\"by\":\"U1\"}}",
                          task),
                   "forbidden", "assignee");
    h_expect_error(h_call(u2, "{\"type\":\"task.get\",\"body\":{"
                              "\"task\":\"%s\"}}",
                          task),
                   "forbidden", NULL);
    r = h_call(u2, "{\"type\":\"tasks.list\"}");
    assert_int_equal(h_get(r, "tasks")->via.array.size, 0);
    /* A unit's own key: the body's by is not even believed. */
    assert_int_equal(s_last_seq(&st->intake), seq[0]);
    assert_int_equal(s_last_seq(&st->dispatch), seq[1]);
    assert_int_equal(s_last_seq(&st->scoring), seq[2]);
    r = h_call(u1, "{\"type\":\"task.accept\",\"id\":\"ok1\","
                   "\"body\":{\"task\":\"%s\",\"by\":\"U2\"}}",
               task);
    h_expect_ok(r);
    r = h_call(u1, "{\"type\":\"tasks.list\"}");
    assert_int_equal(h_get(r, "tasks")->via.array.size, 1);
    client_destroy(&app);
    client_destroy(&iapp);
    client_destroy(&u1);
    client_destroy(&u2);
}

/* Stops (SIGSTOP) or continues (SIGCONT) daemon D and waits until it has. */
static void s_pause(h_daemon_t *d, int sig)
{
    int status;
    kill(d->pid, sig);
    if (waitpid(d->pid, &status, sig == SIGSTOP ? WUNTRACED : WCONTINUED) !=
            d->pid ||
        (sig == SIGSTOP ? !WIFSTOPPED(status) : !WIFCONTINUED(status)))
        fail_msg("juli-%s: not %s (status %d)", d->name,
                 sig == SIGSTOP ? "stopped" : "continued", status);
}

/* Sends a health request on C while D is stopped, continues D, and returns
 * the reply's last_seq, or -1 (ERR says why) when none came. */
static int64_t s_health_across(h_daemon_t *d, client_t *c, char *err,
                               size_t errlen)
{
    pack_t p;
    pack_init(&p);
    h_json(&p, "{\"type\":\"health\"}");
    int sent = client_send(c, pack_data(&p), pack_size(&p));
    pack_free(&p);
    s_pause(d, SIGCONT);
    msgpack_object reply;
    if (sent < 0) {
        snprintf(err, errlen, "cannot send health");
        return -1;
    }
    if (client_recv(c, &reply, err, errlen) < 0)
        return -1;
    return h_int(&reply, "last_seq");
}

/* One client floods; another is still answered after a bounded share of
 * the flood. The flood (writes of one event each) is queued while intake
 * is stopped, so it all waits when the other client's health arrives. A
 * turn reads at most BUS_BATCH messages (ZeroMQ queues fairly between
 * clients) and sends its replies when it ends, so health is answered after
 * at most the writes of its own turn. Counted in commits, not seconds:
 * health reports last_seq as of its turn's start; a second health, sent
 * after the first reply while intake is stopped again, reports it as of
 * the next turn or the one after, so between the two at most two turns of
 * flood commit. A loop that drained everything before answering would
 * commit the whole flood in between. */
static void test_flood_does_not_starve(void **state)
{
    (void)state;
    enum { FLOOD = 8 * BUS_BATCH };
    h_stack_t *st = &s_stack;
    h_daemon_t *d = &st->intake;
    client_t *flood = h_client(d, "staff", 2000);
    client_t *other = h_client(d, "app", 5000);
    h_expect_ok(h_call(flood, "{\"type\":\"health\"}"));
    int64_t seq0 = h_int(h_call(other, "{\"type\":\"health\"}"), "last_seq");
    s_pause(d, SIGSTOP);
    pack_t p;
    pack_init(&p);
    int sent = 0;
    for (; sent < FLOOD; sent++) {
        char json[200];
        snprintf(json, sizeof json,
                 "{\"type\":\"request.submit\",\"id\":\"flood-%d\","
                 "\"body\":{\"text\":\"x\",\"channel\":\"app\","
                 "\"location\":{\"address\":\"a\"}}}",
                 sent);
        pack_reset(&p);
        h_json(&p, json);
        if (client_send(flood, pack_data(&p), pack_size(&p)) < 0)
            break;
    }
    pack_free(&p);
    char err[200] = "";
    int64_t seq1 = s_health_across(d, other, err, sizeof err);
    int64_t seq2 = -1;
    if (seq1 >= 0) {
        s_pause(d, SIGSTOP);
        seq2 = s_health_across(d, other, err, sizeof err);
    }
    if (seq1 < 0 || seq2 < 0)
        fail_msg("health during the flood: %s", err);
    assert_int_equal(sent, FLOOD);
    /* Each write is one event: the whole flood commits in the end. */
    char want[32];
    snprintf(want, sizeof want, "%" PRId64, seq0 + FLOOD);
    h_wait_str(d, "{\"type\":\"health\"}", "last_seq", want);
    if (seq2 - seq1 >= 2 * BUS_BATCH)
        fail_msg("%" PRId64 " of %d flood writes committed between two "
                 "health requests (seq %" PRId64 " to %" PRId64 ")",
                 seq2 - seq1, FLOOD, seq1, seq2);
    client_destroy(&flood);
    client_destroy(&other);
}

/* julictl presents the configured client key (admin by default). */
static void test_julictl_with_curve(void **state)
{
    (void)state;
    char cmd[600], out[512] = "";
    const char *bin = getenv("JULI_BIN");
    snprintf(cmd, sizeof cmd, "%s/julictl -c %s/juli.ini health dispatch 2>&1",
             bin && *bin ? bin : "bin", s_stack.dir);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    if (rc != 0)
        fail_msg("julictl: %s", out);
    assert_non_null(strstr(out, "dispatch"));
}

/* Without CURVE, an endpoint open to the network is refused at start. */
static void test_open_endpoint_refused(void **state)
{
    (void)state;
    char out[1024], db[320], api[64];
    snprintf(db, sizeof db, "%s/open.db", s_stack.dir);
    snprintf(api, sizeof api, "tcp://0.0.0.0:%d", h_free_port());
    const char *args[] = {"--api", api, "--metrics", "off", "--db", db, NULL};
    assert_int_not_equal(h_run("intake", args, out, sizeof out), 0);
    assert_non_null(strstr(out, "refusing to bind"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_with_curve),
        cmocka_unit_test(test_refused_at_handshake),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_flood_does_not_starve),
        cmocka_unit_test(test_julictl_with_curve),
        cmocka_unit_test(test_open_endpoint_refused),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
