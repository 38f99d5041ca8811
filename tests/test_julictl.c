/*  End to end: julictl against a real intake and dispatch. Every step runs
 *  the julictl binary as an operator would ($JULI_BIN/julictl -c the
 *  stack's juli.ini) and checks what it prints and its exit code. One
 *  stack serves the whole file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static h_stack_t s_stack;
static char s_out[65536]; /* stdout and stderr of the last run */

/* Runs julictl with ARGS (NULL-ended) against the stack; returns its exit
 * code, with what it printed in s_out. */
static int s_run(const char *const *args)
{
    const char *dir = getenv("JULI_BIN");
    char bin[256], conf[320];
    snprintf(bin, sizeof bin, "%s/julictl", dir && *dir ? dir : "bin");
    snprintf(conf, sizeof conf, "%s/juli.ini", s_stack.dir);
    const char *argv[48] = {bin, "-c", conf};
    for (int i = 0; args[i] && i < 44; i++)
        argv[i + 3] = args[i];
    int fds[2];
    if (pipe(fds) < 0)
        fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], s_out + got, sizeof s_out - 1 - got)) > 0)
        got += (size_t)n;
    s_out[got] = '\0';
    close(fds[0]);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        fail_msg("julictl %s did not run or died: %s", args[0], s_out);
    return WEXITSTATUS(status);
}

#define CTL(...) s_run((const char *const[]){__VA_ARGS__, NULL})

/* Runs julictl ARGS and asserts exit code RC. */
#define CTL_RC(rc, ...)                                                     \
    do {                                                                    \
        int got_ = CTL(__VA_ARGS__);                                        \
        if (got_ != (rc))                                                   \
            fail_msg("julictl exited %d, not %d:\n%s", got_, rc, s_out);    \
    } while (0)

/* Asserts that the last run printed WANT. */
static void s_saw(const char *want)
{
    if (!strstr(s_out, want))
        fail_msg("no '%s' in:\n%s", want, s_out);
}

/* Runs ARGS until they print WANT, for at most 5 s. */
static void s_until(const char *want, const char *const *args)
{
    for (int i = 0; i < 100; i++) {
        s_run(args);
        if (strstr(s_out, want))
            return;
        usleep(50000);
    }
    fail_msg("julictl %s never printed '%s':\n%s", args[0], want, s_out);
}

#define CTL_UNTIL(want, ...)                                                \
    s_until(want, (const char *const[]){__VA_ARGS__, NULL})

/* The first line of s_out that holds NEEDLE, copied into LINE. */
static const char *s_line(const char *needle, char *line, size_t size)
{
    const char *p = strstr(s_out, needle);
    if (!p)
        fail_msg("no line with '%s' in:\n%s", needle, s_out);
    while (p > s_out && p[-1] != '\n')
        p--;
    snprintf(line, size, "%.*s", (int)strcspn(p, "\n"), p);
    return line;
}

static int s_setup(void **state)
{
    (void)state;
    h_stack_init(&s_stack);
    h_daemon_start(&s_stack.intake);
    h_daemon_start(&s_stack.dispatch);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_stack_cleanup(&s_stack);
    return 0;
}

/* -- a request's whole life, from the command line ------------------------ */

static void test_whole_life(void **state)
{
    (void)state;
    char ref[32], ref2[32], task[32], task2[32], line[512];

    CTL_RC(0, "grid", "define", "HCZ", "火车站社区", "community");
    s_saw("community HCZ defined (id ctl-");
    CTL_RC(0, "grid", "define", "G1", "第一网格", "grid", "HCZ");
    CTL_RC(0, "grid", "define", "C11", "铁路新村", "compound", "G1");
    CTL_RC(0, "grid", "define", "S111", "1栋1单元", "stairwell", "C11");

    /* submit, human: "R00000001 accepted (id ctl-...)" */
    CTL_RC(0, "submit", "--text", "楼道垃圾没人清理", "--channel", "app",
           "--stairwell", "S111");
    assert_int_equal(sscanf(s_out, "%31s accepted (id ctl-", ref), 1);
    assert_int_equal(ref[0], 'R');
    /* and with --json: the reply as it came */
    CTL_RC(0, "submit", "--json", "--text", "邻居噪音扰民", "--channel",
           "hotline", "--category", "dispute", "--stairwell", "S111");
    const char *r = strstr(s_out, "\"ref\":\"");
    assert_non_null(r);
    assert_int_equal(sscanf(r, "\"ref\":\"%31[^\"]", ref2), 1);
    assert_string_not_equal(ref, ref2);
    s_saw("\"status\":\"accepted\"");

    CTL_RC(0, "list");
    s_saw(ref);
    s_saw(ref2);
    CTL_RC(0, "get", ref);
    s_saw("楼道垃圾没人清理");
    s_saw("HCZ / G1 / C11 / S111");

    /* Dispatch hears of the nodes a moment after intake defined them. */
    CTL_UNTIL("(id ctl-", "staff", "assign", "S111", "stairwell_leader",
              "p-lou", "楼长");
    s_saw("S111 stairwell_leader: p-lou 楼长");
    CTL_UNTIL("(id ctl-", "staff", "assign", "HCZ", "community_leader",
              "p-da", "大姐");
    CTL_RC(0, "staff", "list", "--node", "S111");
    s_saw("p-lou");

    /* The task waits for the stairwell leader. */
    CTL_UNTIL(ref2, "tasks", "--status", "assigned", "--assignee", "p-lou");
    assert_int_equal(sscanf(s_line(ref, line, sizeof line), "%31s", task),
                     1);
    assert_non_null(strstr(line, "stairwell"));
    assert_int_equal(sscanf(s_line(ref2, line, sizeof line), "%31s", task2),
                     1);
    assert_int_equal(task[0], 'T');
    CTL_RC(0, "task", task);
    s_saw("p-lou 楼长 (stairwell_leader at S111)");
    assert_non_null(strstr(s_line("status:", line, sizeof line),
                           "assigned"));

    CTL_RC(0, "accept", task, "--by", "p-lou");
    snprintf(line, sizeof line, "%s accepted (id ctl-", task);
    s_saw(line);
    CTL_RC(0, "resolve", task, "--by", "p-lou", "--result", "已清理",
           "--difficulty", "2", "--participant", "m1:1.5",
           "--participant", "m2:2");
    snprintf(line, sizeof line, "%s resolved (id ctl-", task);
    s_saw(line);
    CTL_RC(0, "followup", task, "--by", "p-da", "--satisfaction",
           "satisfied", "--id", "fu-1");
    snprintf(line, sizeof line, "%s closed (id fu-1)", task);
    s_saw(line);
    CTL_UNTIL("closed", "get", ref);
    assert_non_null(strstr(s_line("status:", line, sizeof line), "closed"));

    /* Refused: 1, with the daemon's error; then the right person. */
    CTL_RC(1, "accept", task2, "--by", "p-wrong");
    s_saw("forbidden");
    CTL_RC(0, "accept", task2, "--by", "p-lou", "--json");
    s_saw("\"status\":\"accepted\"");

    /* Two assignments, both accepted in time: a response rate of 100 %. */
    char key[64], assigned[16], resp[16];
    CTL_RC(0, "rates", "--by", "grid");
    assert_int_equal(sscanf(s_line("G1 ", line, sizeof line),
                            "%63s %15s %15s", key, assigned, resp),
                     3);
    assert_string_equal(assigned, "2");
    assert_string_equal(resp, "100.0");
    CTL_RC(0, "stats", "dispatch");
    assert_string_equal(s_line("tasks.closed:", line, sizeof line),
                        "tasks.closed:    1");
}

/* -- exit codes ------------------------------------------------------------ */

static void test_exit_codes(void **state)
{
    (void)state;
    CTL_RC(2, "accept", "--by", "p-lou");
    s_saw("missing TASK");
    CTL_RC(2, "resolve", "T1", "--by", "p", "--result", "r",
           "--difficulty", "9");
    CTL_RC(2, "resolve", "T1", "--by", "p", "--result", "r",
           "--difficulty", "1", "--participant", "m1");
    CTL_RC(2, "rates");
    CTL_RC(2, "tasks", "--bogus");
    CTL_RC(2, "no-such-command");
    CTL_RC(1, "task", "T99999999");
    s_saw("not_found");

    char api[64];
    snprintf(api, sizeof api, "tcp://127.0.0.1:%d", h_free_port());
    CTL_RC(3, "--api", api, "--timeout", "300", "tasks");
    CTL_RC(3, "--api", api, "--timeout", "300", "accept", "T1", "--by",
           "p");
}

/* --api ENDPOINT stands for the one daemon a command talks to; a command
 * that talks to several takes --api NAME=ENDPOINT per daemon instead. */
static void test_api_per_daemon(void **state)
{
    (void)state;
    char api[64], nowhere[80];
    snprintf(api, sizeof api, "%s", s_stack.dispatch.api);
    snprintf(nowhere, sizeof nowhere, "dispatch=tcp://127.0.0.1:%d",
             h_free_port());
    /* Refused before a request is sent: report reads intake, dispatch
     * and scoring. */
    CTL_RC(2, "--api", api, "report");
    s_saw("stands for one daemon");
    s_saw("--api NAME=ENDPOINT");
    CTL_RC(0, "--api", api, "health");
    s_saw("service:  dispatch");
    /* NAME=ENDPOINT moves that daemon only. */
    CTL_RC(0, "--api", nowhere, "health", "intake");
    s_saw("service:  intake");
    CTL_RC(3, "--api", nowhere, "--timeout", "300", "health", "dispatch");
    char intake[80];
    snprintf(intake, sizeof intake, "intake=%s", s_stack.dispatch.api);
    CTL_RC(0, "--api", intake, "health", "intake");
    s_saw("service:  dispatch");
}

static void test_help(void **state)
{
    (void)state;
    static const char *const cmds[] = {
        "health", "stats",   "events",   "tail",    "grid",     "submit",
        "get",    "list",    "classify", "cancel",  "staff",    "unit",
        "units",  "tasks",   "task",     "accept",  "decline",  "escalate",
        "resolve", "followup", "reopen", "rates",   "member",   "points",
        "ledger", "leaderboard", "ratings", "volunteer", "adjust", "verify",
        "backup", "import", "keygen", "simulate", "report", NULL};
    for (size_t i = 0; cmds[i]; i++) {
        /* The whole word: "task" must not pass on "tasks"' usage. */
        char want[64];
        snprintf(want, sizeof want, "Usage: julictl %s", cmds[i]);
        CTL_RC(0, cmds[i], "--help");
        const char *at = s_out;
        while ((at = strstr(at, want))) {
            char next = at[strlen(want)];
            if (next == ' ' || next == '\n' || next == '\0')
                break;
            at++;
        }
        if (!at)
            fail_msg("no '%s' as a whole word in:\n%s", want, s_out);
    }
    CTL_RC(0, "--help");
    for (size_t i = 0; cmds[i]; i++) {
        char want[64];
        snprintf(want, sizeof want, "\n  %s ", cmds[i]);
        s_saw(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_life),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_api_per_daemon),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
