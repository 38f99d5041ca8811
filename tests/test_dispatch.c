/*  End to end: dispatch with intake, real processes over real sockets.
 *  Each test runs its own stack, so deadlines, rates and kills do not
 *  disturb one another. */
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
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Short deadlines for the categories the deadline tests use. */
static const char s_test_config[] =
    "[category.quick]\nname = 快速\nroute = grid\naccept = 1500ms\n"
    "resolve = 1h\n"
    "[category.later]\nname = 稍后\nroute = grid\naccept = 2s\n"
    "resolve = 1h\n";

/* The tree (in intake) and its staff (in dispatch, once dispatch has heard
 * of the nodes). */
static void s_community(h_stack_t *st)
{
    static const h_node_t nodes[] = {
        {"HCZ", "火车站社区", "community", NULL},
        {"G1", "第一网格", "grid", "HCZ"},
        {"G2", "第二网格", "grid", "HCZ"},
        {"C11", "铁路新村", "compound", "G1"},
        {"S111", "1栋1单元", "stairwell", "C11"},
        {"C21", "站前小区", "compound", "G2"},
    };
    h_define_nodes(st->intake.client, "n-", nodes,
                   sizeof nodes / sizeof nodes[0]);
}

/* Assigns a role, retrying while dispatch has not yet heard of the node. */
static void s_staff(h_stack_t *st, const char *node, const char *role,
                    const char *person)
{
    char id[96], name[96];
    snprintf(id, sizeof id, "st-%s-%s", node, role);
    snprintf(name, sizeof name, "%s的名字", person);
    h_staff_assign(st, id, node, role, person, name);
}

static void s_start(h_stack_t *st)
{
    h_stack_init(st);
    snprintf(st->extra_config, sizeof st->extra_config, "%s",
             s_test_config);
    h_daemon_start(&st->intake);
    h_daemon_start(&st->dispatch);
    s_community(st);
}

/* Submits a request; returns its ref in OUT. */
static void s_submit(h_stack_t *st, const char *id, const char *category,
                     const char *where, char out[32])
{
    const msgpack_object *r = h_call(
        st->intake.client,
        "{\"type\":\"request.submit\",\"id\":\"%s\",\"body\":{"
        "\"text\":\"需要帮助\",\"channel\":\"app\",\"category\":\"%s\","
        "\"location\":{%s}}}",
        id, category, where);
    h_expect_ok(r);
    snprintf(out, 32, "%s", h_str(r, "ref"));
}

/* The path of field WANT of the first item of R's array LIST whose KEY is
 * VALUE ("tasks[3].task") into PATH; returns 0, or -1 when none is. */
static int s_item(const msgpack_object *r, const char *list, const char *key,
                  const char *value, const char *want, char path[64])
{
    uint32_t n = h_get(r, list)->via.array.size;
    for (uint32_t k = 0; k < n; k++) {
        snprintf(path, 64, "%s[%u].%s", list, k, key);
        if (strcmp(h_str(r, path), value) == 0) {
            snprintf(path, 64, "%s[%u].%s", list, k, want);
            return 0;
        }
    }
    return -1;
}

/* Waits until dispatch has a task for REF; returns its id in TASK. */
static void s_task_of(h_stack_t *st, const char *ref, char task[32])
{
    for (int i = 0; i < 200; i++) {
        const msgpack_object *r = h_call(
            st->dispatch.client,
            "{\"type\":\"tasks.list\",\"body\":{\"limit\":1000}}");
        h_expect_ok(r);
        char path[64];
        if (s_item(r, "tasks", "ref", ref, "task", path) == 0) {
            snprintf(task, 32, "%s", h_str(r, path));
            return;
        }
        usleep(50000);
    }
    fail_msg("no task for %s", ref);
}

/* Submits a request (as s_submit) and waits for its task (as s_task_of). */
static void s_submit_task(h_stack_t *st, const char *id, const char *category,
                          const char *where, char ref[32], char task[32])
{
    s_submit(st, id, category, where, ref);
    s_task_of(st, ref, task);
}

static const msgpack_object *s_task(h_stack_t *st, const char *task)
{
    const msgpack_object *r = h_call(
        st->dispatch.client,
        "{\"type\":\"task.get\",\"body\":{\"task\":\"%s\"}}", task);
    h_expect_ok(r);
    return r;
}

/* dispatch's events of TYPE about TASK, from the log, in order: their
 * data's PATH values joined by ' ' into OUT. */
static void s_events(h_stack_t *st, const char *task, const char *type,
                     const char *path, char *out, size_t size)
{
    const msgpack_object *r = h_call(
        st->dispatch.client,
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":10000}}");
    h_expect_ok(r);
    out[0] = '\0';
    uint32_t n = h_get(r, "events")->via.array.size;
    for (uint32_t i = 0; i < n; i++) {
        char p[128];
        snprintf(p, sizeof p, "events[%u].data.task", i);
        if (strcmp(h_str(r, p), task) != 0)
            continue;
        snprintf(p, sizeof p, "events[%u].type", i);
        if (strcmp(h_str(r, p), type) != 0)
            continue;
        snprintf(p, sizeof p, "events[%u].data.%s", i, path);
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", len ? " " : "",
                 h_str(r, p));
    }
}

#define REQ_STATUS "{\"type\":\"request.get\",\"body\":{\"ref\":\"%s\"}}"

static void s_wait_request(h_stack_t *st, const char *ref,
                           const char *status)
{
    char req[128];
    snprintf(req, sizeof req, REQ_STATUS, ref);
    h_wait_str(&st->intake, req, "request.status", status);
}

/* -- a request's whole life ----------------------------------------------- */

static void test_whole_life(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "S111", "stairwell_leader", "p-lou");
    s_staff(&st, "HCZ", "community_leader", "p-da");
    char ref[32], task[32];
    s_submit(&st, "life-1", "sanitation", "\"stairwell\":\"S111\"", ref);
    s_task_of(&st, ref, task);
    const msgpack_object *r = s_task(&st, task);
    assert_string_equal(h_str(r, "task.status"), "assigned");
    assert_string_equal(h_str(r, "task.assignee.id"), "p-lou");
    assert_string_equal(h_str(r, "task.assignee.role"), "stairwell_leader");
    assert_string_equal(h_str(r, "task.level"), "stairwell");
    s_wait_request(&st, ref, "assigned");

    client_t *c = st.dispatch.client;
    h_expect_ok(h_call(c, "{\"type\":\"task.accept\",\"id\":\"a1\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"p-lou\"}}",
                       task));
    s_wait_request(&st, ref, "in_progress");
    h_expect_ok(h_call(
        c, "{\"type\":\"task.resolve\",\"id\":\"r1\",\"body\":{"
           "\"task\":\"%s\",\"by\":\"p-lou\",\"result\":\"已清理\","
           "\"participants\":[{\"member\":\"m1\",\"hours\":1.5},"
           "{\"member\":\"m2\",\"hours\":2}],\"difficulty\":2}}",
        task));
    s_wait_request(&st, ref, "resolved");
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"f1\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"p-da\","
                          "\"satisfaction\":\"satisfied\"}}",
                       task));
    s_wait_request(&st, ref, "closed");

    /* task.closed carries what scoring needs. */
    char out[256];
    s_events(&st, task, "task.closed", "participants[1].member", out,
             sizeof out);
    assert_string_equal(out, "m2");
    s_events(&st, task, "task.closed", "level", out, sizeof out);
    assert_string_equal(out, "stairwell");
    s_events(&st, task, "task.closed", "within_grid", out, sizeof out);
    assert_string_equal(out, "true");
    s_events(&st, task, "task.closed", "difficulty", out, sizeof out);
    assert_string_equal(out, "2");
    s_events(&st, task, "task.closed", "resolved_by", out, sizeof out);
    assert_string_equal(out, "p-lou");

    /* The resident's timeline follows every step. */
    r = h_call(st.intake.client, REQ_STATUS, ref);
    const char *want[] = {"submitted", "accepted", "assigned",
                          "in_progress", "resolved", "closed"};
    for (int i = 0; i < 6; i++) {
        char p[64];
        snprintf(p, sizeof p, "request.timeline[%d].status", i);
        assert_string_equal(h_str(r, p), want[i]);
    }
    h_stack_cleanup(&st);
}

/* -- illegal moves ----------------------------------------------------------- */

static void test_illegal_transitions(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "G1", "grid_leader", "p-xiao");
    char ref[32], task[32];
    s_submit(&st, "ill-1", "dispute", "\"grid\":\"G1\"", ref);
    s_task_of(&st, ref, task);
    client_t *c = st.dispatch.client;
    const char *resolve =
        "{\"type\":\"task.resolve\",\"id\":\"%s\",\"body\":{\"task\":\"%s\","
        "\"by\":\"p-xiao\",\"result\":\"x\",\"participants\":[],"
        "\"difficulty\":1}}";
    h_expect_error(h_call(c, resolve, "ill-r1", task), "conflict",
                   "assigned");
    h_expect_error(h_call(c, "{\"type\":\"followup.record\",\"id\":\"ill-f\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"x\","
                             "\"satisfaction\":\"satisfied\"}}",
                          task),
                   "conflict", NULL);
    h_expect_error(h_call(c, "{\"type\":\"task.accept\",\"id\":\"ill-a0\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"nobody\"}}",
                          task),
                   "forbidden", "body.by");
    h_expect_error(h_call(c, "{\"type\":\"task.accept\",\"id\":\"ill-a1\","
                             "\"body\":{\"task\":\"T99999\",\"by\":\"x\"}}"),
                   "not_found", NULL);
    h_expect_error(h_call(c, resolve, "ill-r2", "T1x"), "invalid",
                   "body.task");
    h_expect_error(
        h_call(c, "{\"type\":\"task.resolve\",\"id\":\"ill-r3\",\"body\":{"
                  "\"task\":\"%s\",\"by\":\"p-xiao\",\"result\":\"x\","
                  "\"participants\":[{\"member\":\"m\",\"hours\":25}],"
                  "\"difficulty\":1}}",
               task),
        "invalid", "body.participants[0].hours");
    h_expect_ok(h_call(c, "{\"type\":\"task.accept\",\"id\":\"ill-a2\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"p-xiao\"}}",
                       task));
    h_expect_error(h_call(c, "{\"type\":\"task.accept\",\"id\":\"ill-a3\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"p-xiao\"}}",
                          task),
                   "conflict", NULL);
    h_expect_ok(h_call(c, resolve, "ill-r4", task));
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"ill-f2\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"x\","
                          "\"satisfaction\":\"basically\"}}",
                       task));
    /* Nothing may happen to a closed task but a reopen. */
    h_expect_error(h_call(c, "{\"type\":\"task.accept\",\"id\":\"ill-a4\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"p-xiao\"}}",
                          task),
                   "conflict", "closed");
    h_expect_error(h_call(c, resolve, "ill-r5", task), "conflict", "closed");
    assert_string_equal(h_str(s_task(&st, task), "task.status"), "closed");
    h_stack_cleanup(&st);
}

/* -- deadlines ----------------------------------------------------------------- */

static void test_accept_deadline_climbs(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "S111", "stairwell_leader", "p-lou");
    s_staff(&st, "C11", "assistant", "p-xie");
    s_staff(&st, "G1", "grid_leader", "p-xiao");
    char ref[32], task[32];
    s_submit(&st, "dl-1", "quick", "\"stairwell\":\"S111\"", ref);
    s_task_of(&st, ref, task);
    char req[96];
    snprintf(req, sizeof req,
             "{\"type\":\"task.get\",\"body\":{\"task\":\"%s\"}}", task);
    h_wait_str(&st.dispatch, req, "task.assignee.id", "p-xiao");
    char out[512];
    s_events(&st, task, "task.assigned", "assignee.role", out, sizeof out);
    assert_string_equal(out, "stairwell_leader assistant grid_leader");
    s_events(&st, task, "task.escalated", "reason", out, sizeof out);
    assert_string_equal(out, "accept_timeout accept_timeout");
    s_events(&st, task, "task.escalated", "from.role", out, sizeof out);
    assert_string_equal(out, "stairwell_leader assistant");
    s_events(&st, task, "task.escalated", "to.role", out, sizeof out);
    assert_string_equal(out, "assistant grid_leader");
    h_stack_cleanup(&st);
}

static void test_deadline_while_down(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "G1", "grid_leader", "p-xiao");
    s_staff(&st, "HCZ", "community_leader", "p-da");
    char ref[32], task[32];
    s_submit(&st, "down-1", "later", "\"grid\":\"G1\"", ref);
    s_task_of(&st, ref, task);
    assert_int_equal(WEXITSTATUS(h_daemon_signal(&st.dispatch, SIGTERM)),
                     0);
    sleep(3); /* the 2 s accept deadline passes while dispatch is down */
    h_daemon_start(&st.dispatch);
    /* It fires at once after the restart, not a deadline later. */
    const msgpack_object *r = s_task(&st, task);
    for (int i = 0; i < 20 && strcmp(h_str(r, "task.assignee.id"), "p-da");
         i++) {
        usleep(50000);
        r = s_task(&st, task);
    }
    assert_string_equal(h_str(r, "task.assignee.id"), "p-da");
    char out[256];
    s_events(&st, task, "task.escalated", "reason", out, sizeof out);
    assert_string_equal(out, "accept_timeout");
    h_stack_cleanup(&st);
}

/* Registers unit ID (kind unit, offering property) named NAME, with
 * CAPACITY. */
static void s_unit(h_stack_t *st, const char *id, const char *name,
                   int capacity)
{
    h_expect_ok(h_call(st->dispatch.client,
                       "{\"type\":\"unit.register\",\"id\":\"u-%s\","
                       "\"body\":{\"id\":\"%s\",\"name\":\"%s\","
                       "\"kind\":\"unit\",\"categories\":[\"property\"],"
                       "\"capacity\":%d,\"agreement\":true}}",
                       id, id, name, capacity));
}

/* Unit ID's open tasks, as units.list reports them. */
static int64_t s_open_tasks(h_stack_t *st, const char *id)
{
    const msgpack_object *r =
        h_call(st->dispatch.client, "{\"type\":\"units.list\"}");
    h_expect_ok(r);
    char path[64];
    if (s_item(r, "units", "id", id, "open_tasks", path) < 0)
        fail_msg("no unit %s", id);
    return h_int(r, path);
}

/* -- units: decline to the next, then to the community leader -------------- */

static void test_decline_passes_on(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "HCZ", "community_leader", "p-da");
    client_t *c = st.dispatch.client;
    s_unit(&st, "U1", "驻区单位U1", 5);
    s_unit(&st, "U2", "驻区单位U2", 5);
    char ref[32], task[32];
    s_submit(&st, "dec-1", "property", "\"grid\":\"G2\"", ref);
    s_task_of(&st, ref, task);
    const msgpack_object *r = s_task(&st, task);
    assert_string_equal(h_str(r, "task.assignee.id"), "U1");
    assert_string_equal(h_str(r, "task.level"), "unit");
    h_expect_ok(h_call(c, "{\"type\":\"task.decline\",\"id\":\"d1\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"U1\","
                          "\"reason\":\"人手不足\"}}",
                       task));
    assert_string_equal(h_str(s_task(&st, task), "task.assignee.id"), "U2");
    h_expect_ok(h_call(c, "{\"type\":\"task.decline\",\"id\":\"d2\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"U2\","
                          "\"reason\":\"不在服务范围\"}}",
                       task));
    r = s_task(&st, task);
    assert_string_equal(h_str(r, "task.assignee.id"), "p-da");
    assert_string_equal(h_str(r, "task.assignee.role"), "community_leader");
    char out[256];
    s_events(&st, task, "task.declined", "by", out, sizeof out);
    assert_string_equal(out, "U1 U2");
    /* The units' loads are back to zero. */
    r = h_call(c, "{\"type\":\"units.list\"}");
    assert_int_equal(h_int(r, "units[0].open_tasks"), 0);
    assert_int_equal(h_int(r, "units[1].open_tasks"), 0);
    /* A department offering nothing here: the community leader's own
     * decline goes to the commander, of whom there is none: conflict. */
    h_expect_error(h_call(c, "{\"type\":\"task.escalate\",\"id\":\"e1\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"p-da\","
                             "\"reason\":\"x\"}}",
                          task),
                   "conflict", "nobody above");
    /* New tasks go to the unit with the fewest open tasks, the first id
     * on a tie: U1, then U2 (U1 holds one), then U1 again (one each). */
    const char *expect[] = {"U1", "U2", "U1"};
    for (int i = 0; i < 3; i++) {
        char id[24];
        snprintf(id, sizeof id, "load-%d", i);
        s_submit(&st, id, "property", "\"grid\":\"G2\"", ref);
        s_task_of(&st, ref, task);
        assert_string_equal(h_str(s_task(&st, task), "task.assignee.id"),
                            expect[i]);
    }
    h_stack_cleanup(&st);
}

/* -- reopen -------------------------------------------------------------------- */

static void s_accept_resolve(h_stack_t *st, const char *task, const char *by,
                             const char *tag)
{
    client_t *c = st->dispatch.client;
    h_expect_ok(h_call(c, "{\"type\":\"task.accept\",\"id\":\"%s-a\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"%s\"}}",
                       tag, task, by));
    h_expect_ok(h_call(
        c, "{\"type\":\"task.resolve\",\"id\":\"%s-r\",\"body\":{"
           "\"task\":\"%s\",\"by\":\"%s\",\"result\":\"好了\","
           "\"participants\":[{\"member\":\"m1\",\"hours\":1}],"
           "\"difficulty\":1}}",
        tag, task, by));
}

static void test_reopen(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "G2", "grid_leader", "p-g2");
    char ref[32], task[32];
    s_submit(&st, "re-1", "dispute", "\"compound\":\"C21\"", ref);
    s_task_of(&st, ref, task);
    client_t *c = st.dispatch.client;
    s_accept_resolve(&st, task, "p-g2", "re1");
    const msgpack_object *r =
        h_call(c, "{\"type\":\"followup.record\",\"id\":\"re-f1\","
                  "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                  "\"satisfaction\":\"unsatisfied\"}}",
               task);
    h_expect_ok(r);
    assert_string_equal(h_str(r, "status"), "assigned");
    s_wait_request(&st, ref, "assigned");
    s_accept_resolve(&st, task, "p-g2", "re2");
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"re-f2\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                          "\"satisfaction\":\"satisfied\"}}",
                       task));
    assert_string_equal(h_str(s_task(&st, task), "task.status"), "closed");
    r = h_call(c, "{\"type\":\"task.reopen\",\"id\":\"re-o\","
                  "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                  "\"reason\":\"居民投诉\"}}",
               task);
    h_expect_ok(r);
    r = s_task(&st, task);
    assert_string_equal(h_str(r, "task.status"), "assigned");
    assert_string_equal(h_str(r, "task.assignee.id"), "p-g2");
    s_wait_request(&st, ref, "assigned");
    char out[256];
    s_events(&st, task, "task.reopened", "was", out, sizeof out);
    assert_string_equal(out, "resolved closed");
    s_events(&st, task, "task.assigned", "assignee.id", out, sizeof out);
    assert_string_equal(out, "p-g2 p-g2 p-g2");
    h_stack_cleanup(&st);
}

/* -- a unit's capacity across reopen and pending ---------------------------- */

static void test_pending_frees_unit(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_unit(&st, "U1", "驻区单位U1", 1);
    /* U1, of capacity 1, resolves two requests in turn, then takes a third
     * that holds its one place. */
    char ref[4][32], task[4][32];
    for (int i = 0; i < 3; i++) {
        char id[24];
        snprintf(id, sizeof id, "cap-%d", i);
        s_submit_task(&st, id, "property", "\"grid\":\"G2\"", ref[i],
                      task[i]);
        assert_string_equal(h_str(s_task(&st, task[i]), "task.assignee.id"),
                            "U1");
        if (i < 2)
            s_accept_resolve(&st, task[i], "U1", id);
    }
    assert_int_equal(s_open_tasks(&st, "U1"), 1);
    /* Both resolved ones are found unsolved: U1 is full and nobody is on
     * the chain, so they wait, held by nobody. */
    client_t *c = st.dispatch.client;
    for (int i = 0; i < 2; i++) {
        const msgpack_object *r =
            h_call(c, "{\"type\":\"followup.record\",\"id\":\"cap-f%d\","
                      "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                      "\"satisfaction\":\"unsatisfied\"}}",
                   i, task[i]);
        h_expect_ok(r);
        assert_string_equal(h_str(r, "status"), "pending");
        r = s_task(&st, task[i]);
        assert_string_equal(h_str(r, "task.status"), "pending");
        assert_int_equal(h_get(r, "task.assignee")->type, MSGPACK_OBJECT_NIL);
        assert_string_equal(h_str(r, "task.level"), "none");
        assert_int_equal(h_get(r, "task.accept_by")->type,
                         MSGPACK_OBJECT_NIL);
    }
    assert_int_equal(s_open_tasks(&st, "U1"), 1);
    /* U2 joins and takes the first waiting task; U1 still holds the third,
     * so the second keeps waiting. */
    s_unit(&st, "U2", "驻区单位U2", 1);
    assert_string_equal(h_str(s_task(&st, task[0]), "task.assignee.id"),
                        "U2");
    assert_string_equal(h_str(s_task(&st, task[1]), "task.status"),
                        "pending");
    assert_int_equal(s_open_tasks(&st, "U1"), 1);
    assert_int_equal(s_open_tasks(&st, "U2"), 1);
    /* Both are full: a new request waits too. */
    s_submit_task(&st, "cap-3", "property", "\"grid\":\"G2\"", ref[3],
                  task[3]);
    assert_string_equal(h_str(s_task(&st, task[3]), "task.status"),
                        "pending");
    assert_int_equal(s_open_tasks(&st, "U1"), 1);
    assert_int_equal(s_open_tasks(&st, "U2"), 1);
    h_stack_cleanup(&st);
}

/* -- long names ------------------------------------------------------------------ */

/* A unit's name of 100 Chinese characters (300 bytes) reaches task.get and
 * intake's followers whole: cut inside a character, it made dispatch's
 * event log unreadable. */
static void test_long_unit_name(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    static const char *const words[] = {"火", "车", "站", "社", "区"};
    char name[512] = "";
    for (int i = 0; i < 100; i++)
        strcat(name, words[i % 5]);
    assert_int_equal(strlen(name), 300);
    s_unit(&st, "U9", name, 5);
    char ref[32], task[32];
    s_submit_task(&st, "long-1", "property", "\"grid\":\"G2\"", ref, task);
    const msgpack_object *r = s_task(&st, task);
    assert_string_equal(h_str(r, "task.assignee.id"), "U9");
    assert_string_equal(h_str(r, "task.assignee.name"), name);
    s_wait_request(&st, ref, "assigned");
    r = h_call(st.intake.client, REQ_STATUS, ref);
    h_expect_ok(r);
    assert_non_null(strstr(h_str(r, "request.timeline[2].note"), name));
    h_stack_cleanup(&st);
}

/* -- many pending tasks --------------------------------------------------------- */

#define WAITING 300

/* Tasks nobody can take do not keep later ones waiting: staffing the
 * second grid routes its task, behind many more of the first grid's. */
static void test_pending_all_retried(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    char ref[32], task[32];
    for (int i = 0; i < WAITING; i++) {
        char id[32];
        snprintf(id, sizeof id, "wait-%d", i);
        s_submit(&st, id, "dispute", "\"grid\":\"G1\"", ref);
    }
    s_submit_task(&st, "wait-g2", "dispute", "\"grid\":\"G2\"", ref, task);
    char want[32];
    snprintf(want, sizeof want, "%d", WAITING + 1);
    h_wait_str(&st.dispatch, "{\"type\":\"stats\"}", "tasks.pending", want);
    s_staff(&st, "G2", "grid_leader", "p-g2");
    const msgpack_object *r = s_task(&st, task);
    assert_string_equal(h_str(r, "task.status"), "assigned");
    assert_string_equal(h_str(r, "task.assignee.id"), "p-g2");
    snprintf(want, sizeof want, "%d", WAITING);
    h_wait_str(&st.dispatch, "{\"type\":\"stats\"}", "tasks.pending", want);
    h_stack_cleanup(&st);
}

/* -- rates --------------------------------------------------------------------- */

static void test_rates(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "G2", "grid_leader", "p-g2");
    char ref[3][32], task[3][32];
    for (int i = 0; i < 3; i++) {
        char id[32];
        snprintf(id, sizeof id, "rate-%d", i);
        s_submit(&st, id, "dispute", "\"grid\":\"G2\"", ref[i]);
        s_task_of(&st, ref[i], task[i]);
    }
    client_t *c = st.dispatch.client;
    /* 1: satisfied. 2: unsatisfied, again, then basically but unsolved.
     * 3: never accepted. */
    s_accept_resolve(&st, task[0], "p-g2", "t0");
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"t0-f\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                          "\"satisfaction\":\"satisfied\"}}",
                       task[0]));
    s_accept_resolve(&st, task[1], "p-g2", "t1");
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"t1-f\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                          "\"satisfaction\":\"unsatisfied\"}}",
                       task[1]));
    s_accept_resolve(&st, task[1], "p-g2", "t1b");
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"t1-g\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                          "\"satisfaction\":\"basically\","
                          "\"resolved\":false}}",
                       task[1]));
    const msgpack_object *r =
        h_call(c, "{\"type\":\"rates\",\"body\":{\"by\":\"grid\"}}");
    h_expect_ok(r);
    assert_int_equal(h_get(r, "rows")->via.array.size, 1);
    assert_string_equal(h_str(r, "rows[0].key"), "G2");
    /* By hand: 4 assignments (1 + 2 + 1), 3 accepted in time; 3 follow-ups,
     * 1 solved, 2 satisfied or basically; 2 closed, both at grid level;
     * 3 resolutions, all on time. */
    assert_int_equal(h_int(r, "rows[0].assigned"), 4);
    assert_int_equal(h_int(r, "rows[0].accepted_in_time"), 3);
    assert_int_equal(h_int(r, "rows[0].followups"), 3);
    assert_int_equal(h_int(r, "rows[0].solved"), 1);
    assert_int_equal(h_int(r, "rows[0].satisfied_or_basically"), 2);
    assert_int_equal(h_int(r, "rows[0].closed"), 2);
    assert_int_equal(h_int(r, "rows[0].within_grid"), 2);
    assert_int_equal(h_int(r, "rows[0].resolved"), 3);
    assert_int_equal(h_int(r, "rows[0].on_time"), 3);
    const msgpack_object *rate = h_get(r, "rows[0].response_rate");
    assert_true(rate->type == MSGPACK_OBJECT_FLOAT64);
    assert_true(rate->via.f64 == 0.75);
    rate = h_get(r, "rows[0].resolution_rate");
    assert_true(rate->via.f64 > 0.3333 && rate->via.f64 < 0.3334);
    rate = h_get(r, "rows[0].satisfaction_rate");
    assert_true(rate->via.f64 > 0.6666 && rate->via.f64 < 0.6667);
    assert_true(h_get(r, "rows[0].within_grid_rate")->via.f64 == 1.0);
    assert_true(h_get(r, "rows[0].on_time_rate")->via.f64 == 1.0);
    assert_true(h_get(r, "rows[0].median_accept_min")->type ==
                MSGPACK_OBJECT_FLOAT64);
    /* By unit there is none (staff only); a past period is empty; a bad
     * period is invalid. */
    r = h_call(c, "{\"type\":\"rates\",\"body\":{\"by\":\"unit\"}}");
    assert_int_equal(h_get(r, "rows")->via.array.size, 0);
    r = h_call(c, "{\"type\":\"rates\",\"body\":{\"by\":\"category\","
                  "\"period\":\"2001-01\"}}");
    assert_int_equal(h_get(r, "rows")->via.array.size, 0);
    h_expect_error(h_call(c, "{\"type\":\"rates\",\"body\":{\"by\":\"grid\","
                             "\"period\":\"2001-13\"}}"),
                   "invalid", "body.period");
    h_stack_cleanup(&st);
}

/* -- kill -9 of dispatch while intake takes requests -------------------------- */

#define FLOOD 300

static void test_kill9_dispatch(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "S111", "stairwell_leader", "p-lou");
    char ref[32];
    for (int i = 0; i < FLOOD; i++) {
        char id[32];
        snprintf(id, sizeof id, "fl-%d", i);
        s_submit(&st, id, "sanitation", "\"stairwell\":\"S111\"", ref);
        if (i == FLOOD / 3) {
            int status = h_daemon_signal(&st.dispatch, SIGKILL);
            assert_true(WIFSIGNALED(status));
        }
    }
    h_daemon_start(&st.dispatch);
    char want[32];
    snprintf(want, sizeof want, "%d", FLOOD);
    h_wait_str(&st.dispatch, "{\"type\":\"stats\"}", "tasks.total", want);
    h_wait_str(&st.dispatch, "{\"type\":\"stats\"}", "tasks.assigned", want);
    /* One task per request, and intake agrees on every status. */
    const msgpack_object *r =
        h_call(st.dispatch.client,
               "{\"type\":\"tasks.list\",\"body\":{\"limit\":1000}}");
    assert_int_equal(h_get(r, "tasks")->via.array.size, FLOOD);
    char *seen = calloc(FLOOD + 1, 1);
    for (int i = 0; i < FLOOD; i++) {
        char p[64];
        snprintf(p, sizeof p, "tasks[%d].ref", i);
        long rid = atol(h_str(r, p) + 1);
        assert_true(rid >= 1 && rid <= FLOOD);
        assert_int_equal(seen[rid], 0);
        seen[rid] = 1;
    }
    free(seen);
    h_wait_str(&st.intake, "{\"type\":\"stats\"}", "requests.assigned",
               want);
    h_stack_cleanup(&st);
}

/* -- SIGHUP and the simulated clock ------------------------------------------ */

static void test_sighup_reloads_rules(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st);
    s_staff(&st, "G1", "grid_leader", "p-xiao");
    char ref[32], task[32];
    s_submit(&st, "hup-1", "quick", "\"grid\":\"G1\"", ref);
    s_task_of(&st, ref, task);
    const msgpack_object *r = s_task(&st, task);
    int64_t window = h_int(r, "task.accept_by") - h_int(r, "task.assigned_at");
    assert_int_equal(window, 1500);
    /* A new deadline applies to tasks created after the reload. */
    snprintf(st.extra_config, sizeof st.extra_config, "%s%s", s_test_config,
             "[category.dispute]\naccept = 7m\n");
    h_stack_write_config(&st);
    kill(st.dispatch.pid, SIGHUP);
    char req[160];
    snprintf(req, sizeof req,
             "{\"type\":\"task.get\",\"body\":{\"task\":\"%s\"}}", task);
    int64_t got = 0;
    for (int i = 0; i < 100 && got != 420000; i++) {
        char id[32], t2[32];
        snprintf(id, sizeof id, "hup-%d", i + 2);
        s_submit(&st, id, "dispute", "\"grid\":\"G1\"", ref);
        s_task_of(&st, ref, t2);
        r = s_task(&st, t2);
        got = h_int(r, "task.accept_by") - h_int(r, "task.assigned_at");
    }
    assert_int_equal(got, 420000);
    /* A broken file is refused and the running rules stay. */
    snprintf(st.extra_config, sizeof st.extra_config, "%s%s", s_test_config,
             "[category.dispute]\naccept = soon\n");
    h_stack_write_config(&st);
    kill(st.dispatch.pid, SIGHUP);
    usleep(300000);
    s_submit(&st, "hup-x", "dispute", "\"grid\":\"G1\"", ref);
    char t3[32];
    s_task_of(&st, ref, t3);
    r = s_task(&st, t3);
    assert_int_equal(h_int(r, "task.accept_by") - h_int(r, "task.assigned_at"),
                     420000);
    h_expect_ok(h_call(st.dispatch.client, "{\"type\":\"health\"}"));
    h_stack_cleanup(&st);
}

static void test_simulated_clock(void **state)
{
    (void)state;
    h_stack_t st;
    h_stack_init(&st);
    /* 2026-11-02 in Shanghai, 3600 times real time: the 30 min accept
     * deadline of sanitation passes in half a real second. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long epoch = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    snprintf(st.extra_config, sizeof st.extra_config,
             "[clock]\nstart = 2026-11-02\nspeed = 3600\nepoch = %lld\n",
             epoch);
    h_daemon_start(&st.intake);
    h_daemon_start(&st.dispatch);
    s_community(&st);
    s_staff(&st, "G1", "grid_leader", "p-xiao");
    s_staff(&st, "HCZ", "community_leader", "p-da");
    char ref[32], task[32];
    s_submit(&st, "sim-1", "sanitation", "\"grid\":\"G1\"", ref);
    s_task_of(&st, ref, task);
    const msgpack_object *r = s_task(&st, task);
    int64_t assigned = h_int(r, "task.assigned_at");
    /* 2026-11-01T16:00Z is midnight of the 2nd in Shanghai. */
    assert_true(assigned >= 1793548800000LL);
    assert_true(assigned < 1793548800000LL + 86400000LL);
    char req[160];
    snprintf(req, sizeof req,
             "{\"type\":\"task.get\",\"body\":{\"task\":\"%s\"}}", task);
    h_wait_str(&st.dispatch, req, "task.assignee.id", "p-da");
    h_stack_cleanup(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_life),
        cmocka_unit_test(test_illegal_transitions),
        cmocka_unit_test(test_accept_deadline_climbs),
        cmocka_unit_test(test_deadline_while_down),
        cmocka_unit_test(test_decline_passes_on),
        cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_pending_frees_unit),
        cmocka_unit_test(test_pending_all_retried),
        cmocka_unit_test(test_long_unit_name),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_kill9_dispatch),
        cmocka_unit_test(test_sighup_reloads_rules),
        cmocka_unit_test(test_simulated_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
