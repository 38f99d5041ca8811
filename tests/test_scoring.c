/*  End to end: scoring with dispatch and intake, real processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static void s_start(h_stack_t *st, int pipeline)
{
    h_stack_init(st);
    if (pipeline) {
        h_daemon_start(&st->intake);
        h_daemon_start(&st->dispatch);
    }
    h_daemon_start(&st->scoring);
    if (!pipeline)
        return;
    static const h_node_t nodes[] = {
        {"HCZ", "火车站社区", "community", NULL},
        {"G1", "第一网格", "grid", "HCZ"},
    };
    h_define_nodes(st->intake.client, "", nodes,
                   sizeof nodes / sizeof nodes[0]);
    h_staff_assign(st, "s", "G1", "grid_leader", "p-xiao", "肖格长");
}

static void s_member(h_stack_t *st, const char *id, const char *group,
                     const char *branch)
{
    h_expect_ok(h_call(st->scoring.client,
                       "{\"type\":\"member.register\",\"id\":\"m-%s\","
                       "\"body\":{\"id\":\"%s\",\"name\":\"党员%s\","
                       "\"group\":\"%s\",\"branch\":\"%s\"}}",
                       id, id, id, group, branch));
}

/* Takes a request through to a closed task, with PARTS as the
 * participants' JSON; returns the task id in TASK. */
static void s_close_one(h_stack_t *st, const char *tag, const char *parts,
                        int urgency, char task[32])
{
    const msgpack_object *r = h_call(
        st->intake.client,
        "{\"type\":\"request.submit\",\"id\":\"%s-s\",\"body\":{"
        "\"text\":\"帮忙\",\"channel\":\"app\",\"category\":\"dispute\","
        "\"urgency\":%d,\"location\":{\"grid\":\"G1\"}}}",
        tag, urgency);
    h_expect_ok(r);
    char ref[32];
    snprintf(ref, sizeof ref, "%s", h_str(r, "ref"));
    /* The task number follows the request number in a fresh stack. */
    snprintf(task, 32, "T%s", ref + 1);
    client_t *c = st->dispatch.client;
    h_expect_ok(h_call_found(c,
                             "{\"type\":\"task.accept\",\"id\":\"%s-a\","
                             "\"body\":{\"task\":\"%s\",\"by\":\"p-xiao\"}}",
                             tag, task));
    h_expect_ok(h_call(c,
                       "{\"type\":\"task.resolve\",\"id\":\"%s-r\",\"body\":{"
                       "\"task\":\"%s\",\"by\":\"p-xiao\",\"result\":\"好\","
                       "\"participants\":%s,\"difficulty\":2,"
                       "\"professional\":true}}",
                       tag, task, parts));
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"%s-f\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                          "\"satisfaction\":\"satisfied\"}}",
                       tag, task));
}

static int64_t s_points(h_stack_t *st, const char *member,
                        const char *period)
{
    const msgpack_object *r;
    if (period)
        r = h_call(st->scoring.client,
                   "{\"type\":\"points.get\",\"body\":{\"member\":\"%s\","
                   "\"period\":\"%s\"}}",
                   member, period);
    else
        r = h_call(st->scoring.client,
                   "{\"type\":\"points.get\",\"body\":{\"member\":\"%s\"}}",
                   member);
    h_expect_ok(r);
    return h_int(r, "points");
}

/* Waits until scoring has applied everything dispatch logged. */
static void s_caught_up(h_stack_t *st)
{
    char want[32];
    int64_t head =
        h_int(h_call(st->dispatch.client, "{\"type\":\"health\"}"),
              "last_seq");
    snprintf(want, sizeof want, "%lld", (long long)head);
    h_wait_str(&st->scoring, "{\"type\":\"stats\"}", "dispatch_applied",
               want);
}

static void test_task_awards(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st, 1);
    s_member(&st, "m1", "G-a", "B-1");
    char task[32];
    /* 1.5 h, difficulty 2, professional, satisfied, urgency 2:
     * 15 + (10 + 10 + 5) × 1.2 = 45; 2 h: 20 + 30 = 50. */
    s_close_one(&st, "aw",
                "[{\"member\":\"m1\",\"hours\":1.5},"
                "{\"member\":\"x9\",\"hours\":2}]",
                2, task);
    s_caught_up(&st);
    assert_int_equal(s_points(&st, "m1", NULL), 45);
    assert_int_equal(s_points(&st, "x9", NULL), 50);
    const msgpack_object *r =
        h_call(st.scoring.client,
               "{\"type\":\"ledger\",\"body\":{\"member\":\"m1\"}}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "entries[0].kind"), "task");
    assert_string_equal(h_str(r, "entries[0].by"), "p-xiao");
    assert_string_equal(h_str(r, "entries[0].from.source"), "dispatch");
    assert_non_null(strstr(h_str(r, "entries[0].reason"), task));
    /* An unregistered participant keeps the award, unnamed until they
     * register. */
    r = h_call(st.scoring.client,
               "{\"type\":\"leaderboard\",\"body\":{\"scope\":\"member\"}}");
    assert_string_equal(h_str(r, "rows[0].id"), "x9");
    assert_string_equal(h_str(r, "rows[0].name"), "(none)");
    s_member(&st, "x9", "G-a", "B-1");
    r = h_call(st.scoring.client,
               "{\"type\":\"leaderboard\",\"body\":{\"scope\":\"member\"}}");
    assert_string_equal(h_str(r, "rows[0].name"), "党员x9");
    r = h_call(st.scoring.client,
               "{\"type\":\"leaderboard\",\"body\":{\"scope\":\"group\"}}");
    assert_string_equal(h_str(r, "rows[0].id"), "G-a");
    assert_true(h_get(r, "rows[0].points")->via.f64 == 47.5);
    h_stack_cleanup(&st);
}

static void test_reopen_nets_one_award(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st, 1);
    char task[32];
    s_close_one(&st, "ro", "[{\"member\":\"m1\",\"hours\":1}]", 1, task);
    /* 10 + (10 + 10 + 5) × 1 = 35 */
    h_expect_ok(h_call(st.dispatch.client,
                       "{\"type\":\"task.reopen\",\"id\":\"ro-o\","
                       "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                       "\"reason\":\"投诉\"}}",
                       task));
    client_t *c = st.dispatch.client;
    h_expect_ok(h_call(c, "{\"type\":\"task.accept\",\"id\":\"ro-a2\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"p-xiao\"}}",
                       task));
    h_expect_ok(h_call(
        c, "{\"type\":\"task.resolve\",\"id\":\"ro-r2\",\"body\":{"
           "\"task\":\"%s\",\"by\":\"p-xiao\",\"result\":\"好\","
           "\"participants\":[{\"member\":\"m1\",\"hours\":1}],"
           "\"difficulty\":2,\"professional\":true}}",
        task));
    h_expect_ok(h_call(c, "{\"type\":\"followup.record\",\"id\":\"ro-f2\","
                          "\"body\":{\"task\":\"%s\",\"by\":\"s\","
                          "\"satisfaction\":\"satisfied\"}}",
                       task));
    s_caught_up(&st);
    assert_int_equal(s_points(&st, "m1", NULL), 35);
    const msgpack_object *r =
        h_call(st.scoring.client,
               "{\"type\":\"ledger\",\"body\":{\"member\":\"m1\"}}");
    assert_int_equal(h_get(r, "entries")->via.array.size, 3);
    assert_int_equal(h_int(r, "entries[0].points"), 35);
    assert_int_equal(h_int(r, "entries[1].points"), -35);
    assert_int_equal(h_int(r, "entries[2].points"), 35);
    r = h_call(st.scoring.client, "{\"type\":\"ledger.verify\"}");
    assert_string_equal(h_str(r, "intact"), "true");
    assert_int_equal(h_int(r, "entries"), 3);
    h_stack_cleanup(&st);
}

#define CLOSURES 40

static void test_kill9_scoring(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st, 1);
    for (int i = 0; i < CLOSURES; i++) {
        char tag[16], task[32];
        snprintf(tag, sizeof tag, "k%d", i);
        s_close_one(&st, tag,
                    "[{\"member\":\"a\",\"hours\":1},"
                    "{\"member\":\"b\",\"hours\":1}]",
                    1, task);
        if (i == CLOSURES / 3 || i == 2 * CLOSURES / 3) {
            int status = h_daemon_signal(&st.scoring, SIGKILL);
            assert_true(WIFSIGNALED(status));
            h_daemon_start(&st.scoring);
        }
    }
    s_caught_up(&st);
    /* Exactly one award per participant per closure. */
    const char *who[] = {"a", "b"};
    for (int k = 0; k < 2; k++) {
        const msgpack_object *r =
            h_call(st.scoring.client,
                   "{\"type\":\"ledger\",\"body\":{\"member\":\"%s\","
                   "\"limit\":1000}}",
                   who[k]);
        assert_int_equal(h_get(r, "entries")->via.array.size, CLOSURES);
        assert_int_equal(s_points(&st, who[k], NULL), CLOSURES * 35);
    }
    const msgpack_object *r =
        h_call(st.scoring.client, "{\"type\":\"ledger.verify\"}");
    assert_string_equal(h_str(r, "intact"), "true");
    h_stack_cleanup(&st);
}

/* A scripted month, in Asia/Shanghai: volunteer service on the last day
 * of June and the first of July, stars at each threshold's edge. */
static void test_month_and_stars(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st, 0);
    client_t *c = st.scoring.client;
    s_member(&st, "a", "G-1", "B-1"); /* 20, exactly: one star */
    s_member(&st, "b", "G-1", "B-1"); /* 19 (June's 100 not counted): 0 */
    s_member(&st, "c", "G-2", "B-1"); /* 50: two */
    s_member(&st, "d", "G-2", "B-2"); /* 400, exactly: five */
    s_member(&st, "e", "G-3", "B-2"); /* 199: three */
    s_member(&st, "f", "G-3", "B-2"); /* nothing: zero */
    static const struct {
        const char *member, *date;
        double hours;
    } logs[] = {
        {"a", "2026-07-01", 2},  {"b", "2026-06-30", 10},
        {"b", "2026-07-31", 1.9}, {"c", "2026-07-15", 5},
        {"d", "2026-07-02", 20}, {"d", "2026-07-03", 20},
        {"e", "2026-07-04", 19.9},
    };
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++)
        h_expect_ok(h_call(c,
                           "{\"type\":\"volunteer.log\",\"id\":\"v%zu\","
                           "\"body\":{\"member\":\"%s\",\"hours\":%g,"
                           "\"activity\":\"周三卫生巡查\",\"date\":\"%s\","
                           "\"by\":\"staff-1\"}}",
                           i, logs[i].member, logs[i].hours, logs[i].date));
    assert_int_equal(s_points(&st, "b", "2026-07"), 19);
    assert_int_equal(s_points(&st, "b", "2026-06"), 100);
    assert_int_equal(s_points(&st, "b", "2026-Q3"), 19);
    assert_int_equal(s_points(&st, "b", "2026"), 119);
    assert_int_equal(s_points(&st, "e", "2026-07"), 199);
    const msgpack_object *r =
        h_call(c, "{\"type\":\"leaderboard\",\"body\":{\"scope\":"
                  "\"member\",\"period\":\"2026-07\",\"limit\":3}}");
    assert_int_equal(h_get(r, "rows")->via.array.size, 3);
    assert_string_equal(h_str(r, "rows[0].id"), "d");
    assert_int_equal(h_int(r, "rows[0].points"), 400);
    assert_string_equal(h_str(r, "rows[1].id"), "e");
    r = h_call(c, "{\"type\":\"ratings.compute\",\"id\":\"rc1\","
                  "\"body\":{\"period\":\"2026-07\"}}");
    h_expect_ok(r);
    assert_int_equal(h_int(r, "members.rated"), 6);
    /* a 1, b 0, c 2, d 5, e 3 (199), f 0 */
    assert_int_equal(h_int(r, "members.stars[0]"), 2);
    assert_int_equal(h_int(r, "members.stars[1]"), 1);
    assert_int_equal(h_int(r, "members.stars[2]"), 1);
    assert_int_equal(h_int(r, "members.stars[3]"), 1);
    assert_int_equal(h_int(r, "members.stars[5]"), 1);
    /* groups: G-1 (20+19)/2 = 19.5 → 0; G-2 (50+400)/2 = 225 → 4;
     * G-3 (199+0)/2 = 99.5 → 2. Branches: B-1 (20+19+50)/3 = 29.67 → 1;
     * B-2 (400+199+0)/3 = 199.67 → 3. */
    assert_int_equal(h_int(r, "groups.stars[0]"), 1);
    assert_int_equal(h_int(r, "groups.stars[2]"), 1);
    assert_int_equal(h_int(r, "groups.stars[4]"), 1);
    assert_int_equal(h_int(r, "branches.stars[1]"), 1);
    assert_int_equal(h_int(r, "branches.stars[3]"), 1);
    int64_t seq = h_int(h_call(c, "{\"type\":\"health\"}"), "last_seq");
    r = h_call(c, "{\"type\":\"events.since\",\"body\":{\"after\":0,"
                  "\"limit\":10000}}");
    int published = 0;
    for (uint32_t i = 0; i < h_get(r, "events")->via.array.size; i++) {
        char p[64];
        snprintf(p, sizeof p, "events[%u].type", i);
        published += strcmp(h_str(r, p), "rating.published") == 0;
    }
    assert_int_equal(published, 6 + 3 + 2);
    /* Again: the same ratings, and no event repeated. */
    r = h_call(c, "{\"type\":\"ratings.compute\",\"id\":\"rc2\","
                  "\"body\":{\"period\":\"2026-07\"}}");
    assert_int_equal(h_int(r, "members.stars[5]"), 1);
    assert_int_equal(h_int(h_call(c, "{\"type\":\"health\"}"), "last_seq"),
                     seq);
    r = h_call(c, "{\"type\":\"ratings.list\",\"body\":{\"period\":"
                  "\"2026-07\",\"scope\":\"member\"}}");
    assert_string_equal(h_str(r, "ratings[0].id"), "d");
    assert_int_equal(h_int(r, "ratings[0].stars"), 5);
    h_stack_cleanup(&st);
}

static void test_validation_and_adjust(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st, 0);
    client_t *c = st.scoring.client;
    h_expect_error(h_call(c, "{\"type\":\"volunteer.log\",\"id\":\"v1\","
                             "\"body\":{\"member\":\"a\",\"hours\":25,"
                             "\"activity\":\"x\",\"date\":\"2026-07-01\","
                             "\"by\":\"s\"}}"),
                   "invalid", "body.hours");
    h_expect_error(h_call(c, "{\"type\":\"volunteer.log\",\"id\":\"v2\","
                             "\"body\":{\"member\":\"a\",\"hours\":1,"
                             "\"activity\":\"x\",\"date\":\"2026-02-30\","
                             "\"by\":\"s\"}}"),
                   "invalid", "body.date");
    h_expect_error(h_call(c, "{\"type\":\"points.adjust\",\"id\":\"j1\","
                             "\"body\":{\"member\":\"a\",\"points\":0,"
                             "\"reason\":\"x\",\"by\":\"admin\"}}"),
                   "invalid", "body.points");
    h_expect_error(h_call(c, "{\"type\":\"leaderboard\",\"body\":{"
                             "\"scope\":\"street\"}}"),
                   "invalid", "body.scope");
    h_expect_ok(h_call(c, "{\"type\":\"points.adjust\",\"id\":\"j2\","
                          "\"body\":{\"member\":\"a\",\"points\":-7,"
                          "\"reason\":\"重复登记\",\"by\":\"admin\"}}"));
    assert_int_equal(s_points(&st, "a", NULL), -7);
    const msgpack_object *r = h_call(
        c, "{\"type\":\"ledger\",\"body\":{\"member\":\"a\"}}");
    assert_string_equal(h_str(r, "entries[0].kind"), "adjust");
    assert_string_equal(h_str(r, "entries[0].from"), "(nil)");
    h_stack_cleanup(&st);
}

/* Editing the ledger behind scoring's back is caught. */
static void test_tamper_evident(void **state)
{
    (void)state;
    h_stack_t st;
    s_start(&st, 0);
    client_t *c = st.scoring.client;
    for (int i = 0; i < 3; i++)
        h_expect_ok(h_call(c, "{\"type\":\"points.adjust\",\"id\":\"t%d\","
                              "\"body\":{\"member\":\"a\",\"points\":%d,"
                              "\"reason\":\"x\",\"by\":\"admin\"}}",
                           i, i + 1));
    assert_int_equal(WEXITSTATUS(h_daemon_signal(&st.scoring, SIGTERM)), 0);
    char path[320];
    snprintf(path, sizeof path, "%s/scoring.db", st.dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* The ledger refuses edits and deletions, by its triggers (not for
     * some other reason, such as a misspelt column)... */
    static const char *const edits[] = {
        "UPDATE ledger SET points = 99 WHERE id = 2",
        "DELETE FROM ledger WHERE id = 2",
        "DELETE FROM ledger",
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *why = NULL;
        int rc = sqlite3_exec(db, edits[i], NULL, NULL, &why);
        int refused = rc != SQLITE_OK && why &&
                      strstr(why, "the ledger is append-only");
        if (!refused)
            fail_msg("%s: %s", edits[i], why ? why : "done");
        sqlite3_free(why);
    }
    sqlite3_stmt *count;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM ledger",
                                        -1, &count, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(count), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(count, 0), 3);
    sqlite3_finalize(count);
    /* ...so a forger must drop the trigger first: the hashes still tell. */
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TRIGGER ledger_no_update;"
                                  "UPDATE ledger SET points = 99"
                                  " WHERE id = 2",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    h_daemon_start(&st.scoring);
    const msgpack_object *r =
        h_call(st.scoring.client, "{\"type\":\"ledger.verify\"}");
    h_expect_ok(r);
    assert_string_equal(h_str(r, "intact"), "false");
    assert_int_equal(h_int(r, "first_broken"), 2);
    h_stack_cleanup(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_awards),
        cmocka_unit_test(test_reopen_nets_one_award),
        cmocka_unit_test(test_kill9_scoring),
        cmocka_unit_test(test_month_and_stars),
        cmocka_unit_test(test_validation_and_adjust),
        cmocka_unit_test(test_tamper_evident),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
