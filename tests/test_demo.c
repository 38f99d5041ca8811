/*  End to end: the demo's simulated month, shortened. A stack on a
 *  simulated clock 43,200 times faster than real time (a simulated day in
 *  two real seconds) starting on the first Wednesday of the previous
 *  month;
 *  the demo community imported; `julictl simulate --days 3 --seed 7`;
 *  the same again, which must double nothing; then `julictl report` of
 *  that month, whose totals must agree with the daemons' own counts, and
 *  whose page must be well-formed XML naming every grid of the demo. One
 *  stack serves the file; the tests run in order. Paths are relative to
 *  the repo root, where the tests run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"
#include "period.h"

#define DEMO  "deploy/demo"
#define SPEED 43200

static h_stack_t s_stack;
static char s_month[8];           /* the simulated month, "YYYY-MM" */
static int64_t s_submitted;       /* requests the first simulate sent */
static pack_t s_json;             /* julictl report --json, packed */
static msgpack_unpacked s_report; /* ...and decoded (pointing into it) */

/* Runs "julictl -c STACK/juli.ini ARGS" (printf style, ARGS as for the
 * shell) with its stdout in STACK/NAME.out and its stderr in
 * STACK/NAME.err; returns its exit code. */
static int s_julictl(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int s_julictl(const char *name, const char *fmt, ...)
{
    const char *bin = getenv("JULI_BIN");
    char *args, *cmd;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&args, fmt, ap);
    va_end(ap);
    if (n < 0 || asprintf(&cmd,
                          "%s/julictl -c %s/juli.ini %s >%s/%s.out "
                          "2>%s/%s.err",
                          bin && *bin ? bin : "bin", s_stack.dir, args,
                          s_stack.dir, name, s_stack.dir, name) < 0)
        fail_msg("out of memory");
    int status = system(cmd);
    free(cmd);
    free(args);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The whole file STACK/NAME, NUL-terminated; the caller frees it. */
static char *s_slurp(const char *name)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", s_stack.dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    char *text = NULL;
    size_t size = 0, n = 0;
    for (size_t got = 1; got > 0; n += got) {
        if (size - n < 4096 && !(text = realloc(text, size += 65536)))
            fail_msg("out of memory");
        got = fread(text + n, 1, size - n - 1, f);
    }
    fclose(f);
    text[n] = '\0';
    return text;
}

/* The number after WHAT in TEXT ("requests submitted   97"), or -1. */
static int64_t s_number_after(const char *text, const char *what)
{
    const char *at = strstr(text, what);
    long long v;
    return at && sscanf(at + strlen(what), "%lld", &v) == 1 ? v : -1;
}

static int64_t s_stat(h_daemon_t *d, const char *path)
{
    return h_int(h_call(d->client, "{\"type\":\"stats\"}"), path);
}

/* How many of D's logged events have TYPE (and, when KIND is not NULL,
 * data.kind KIND) and a ts in the simulated month. */
static int64_t s_events(h_daemon_t *d, const char *type, const char *kind)
{
    period_t month;
    if (period_parse(s_month, strlen(s_month), &month) < 0)
        fail_msg("bad month %s", s_month);
    int64_t n = 0, after = 0, last;
    do {
        const msgpack_object *r =
            h_call(d->client,
                   "{\"type\":\"events.since\",\"body\":{\"after\":%lld,"
                   "\"limit\":10000}}",
                   (long long)after);
        h_expect_ok(r);
        const msgpack_object *e = h_get(r, "events");
        last = h_int(r, "last_seq");
        for (uint32_t i = 0; e && i < e->via.array.size; i++) {
            const msgpack_object *ev = &e->via.array.ptr[i];
            after = h_int(ev, "seq");
            n += strcmp(h_str(ev, "type"), type) == 0 &&
                 (!kind || strcmp(h_str(ev, "data.kind"), kind) == 0) &&
                 period_contains(&month, h_int(ev, "ts"));
        }
        if (!e || e->via.array.size == 0)
            break;
    } while (after < last);
    return n;
}

/* The simulated clock: from the first Wednesday of the previous month (a
 * patrol day, in the community's zone), from a moment just after the
 * daemons are up. */
static int s_setup(void **state)
{
    (void)state;
    if (period_set_zone("Asia/Shanghai") < 0)
        fail_msg("no zone Asia/Shanghai (tzdata)");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    period_t p;
    period_month_of((int64_t)now.tv_sec * 1000, &p);
    int y = atoi(p.name), m = atoi(p.name + 5) - 1;
    if (m == 0)
        y--, m = 12;
    snprintf(s_month, sizeof s_month, "%04d-%02d", y, m);
    char first[16];
    int64_t ms;
    snprintf(first, sizeof first, "%s-01", s_month);
    if (period_date(first, strlen(first), &ms) < 0)
        fail_msg("bad date %s", first);
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    h_stack_init(&s_stack);
    snprintf(s_stack.extra_config, sizeof s_stack.extra_config,
             "[clock]\nstart = %s-%02d\nspeed = %d\nepoch = %lld\n", s_month,
             1 + (3 - tm.tm_wday + 7) % 7, SPEED,
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 + 1500);
    h_daemon_start(&s_stack.intake);
    h_daemon_start(&s_stack.dispatch);
    h_daemon_start(&s_stack.scoring);
    if (s_julictl("import", "import " DEMO) != 0)
        fail_msg("julictl import %s failed", DEMO);
    pack_init(&s_json);
    msgpack_unpacked_init(&s_report);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    msgpack_unpacked_destroy(&s_report);
    pack_free(&s_json);
    h_stack_cleanup(&s_stack);
    return 0;
}

/* -- simulate -------------------------------------------------------------- */

static void test_simulate_needs_a_clock(void **state)
{
    (void)state;
    char path[320], cmd[800];
    snprintf(path, sizeof path, "%s/real.ini", s_stack.dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[community]\ntimezone = Asia/Shanghai\n");
    fclose(f);
    const char *bin = getenv("JULI_BIN");
    snprintf(cmd, sizeof cmd,
             "%s/julictl -c %s simulate >%s/real.out "
             "2>&1",
             bin && *bin ? bin : "bin", path, s_stack.dir);
    int status = system(cmd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    char *out = s_slurp("real.out");
    if (!strstr(out, "simulate needs a simulated clock: see make demo"))
        fail_msg("no refusal in: %s", out);
    free(out);
}

static void test_simulate_three_days(void **state)
{
    (void)state;
    int rc = s_julictl("simulate", "simulate --days 3 --seed 7");
    char *out = s_slurp("simulate.out"), *err = s_slurp("simulate.err");
    if (rc != 0)
        fail_msg("simulate exited %d:\n%s\n%s", rc, out, err);
    s_submitted = s_number_after(out, "requests submitted");
    /* About 30 requests a day and the patrol's findings, all taken. */
    assert_in_range(s_submitted, 30, 300);
    assert_int_equal(s_stat(&s_stack.intake, "requests.total"), s_submitted);
    assert_true(s_stat(&s_stack.dispatch, "tasks.closed") > 0);
    assert_true(s_number_after(out, "volunteer logs") >= 10);
    assert_true(s_number_after(out, "escalations seen") > 0);
    if (strstr(err, "refused:"))
        fail_msg("a write was refused:\n%s", err);
    free(out);
    free(err);
}

static void test_simulate_again_doubles_nothing(void **state)
{
    (void)state;
    int64_t volunteer =
        s_events(&s_stack.scoring, "points.awarded", "volunteer");
    assert_true(volunteer >= 10);
    int rc = s_julictl("again", "simulate --days 3 --seed 7");
    char *out = s_slurp("again.out"), *err = s_slurp("again.err");
    if (rc != 0)
        fail_msg("simulate exited %d:\n%s\n%s", rc, out, err);
    /* Every request sent again under its key: each one replayed. */
    assert_int_equal(s_number_after(out, "requests submitted"), s_submitted);
    assert_int_equal(s_stat(&s_stack.intake, "requests.total"), s_submitted);
    assert_int_equal(s_events(&s_stack.scoring, "points.awarded", "volunteer"),
                     volunteer);
    if (strstr(err, "refused:"))
        fail_msg("a write was refused:\n%s", err);
    free(out);
    free(err);
}

/* -- report ---------------------------------------------------------------- */

static void test_report_agrees_with_the_daemons(void **state)
{
    (void)state;
    int rc = s_julictl("report",
                       "report --period %s --json --html "
                       "%s/report.html",
                       s_month, s_stack.dir);
    char *out = s_slurp("report.out");
    if (rc != 0) {
        char *err = s_slurp("report.err");
        fail_msg("report exited %d:\n%s\n%s", rc, out, err);
    }
    h_json(&s_json, out);
    free(out);
    if (msgpack_unpack_next(&s_report, pack_data(&s_json), pack_size(&s_json),
                            NULL) != MSGPACK_UNPACK_SUCCESS)
        fail_msg("the report does not decode");
    const msgpack_object *r = &s_report.data;
    assert_string_equal(h_str(r, "period"), s_month);
    assert_string_equal(h_str(r, "simulated"), "true");
    assert_string_equal(h_str(r, "community"), "火车站社区");
    /* The totals are the daemons' own counts. */
    assert_int_equal(h_int(r, "totals.requests.total"),
                     s_stat(&s_stack.intake, "requests.total"));
    assert_int_equal(h_int(r, "totals.tasks.closed"),
                     s_stat(&s_stack.dispatch, "tasks.closed"));
    const msgpack_object *top =
        h_call(s_stack.scoring.client,
               "{\"type\":\"leaderboard\",\"body\":{\"scope\":\"member\","
               "\"period\":\"%s\",\"limit\":1}}",
               s_month);
    h_expect_ok(top);
    assert_string_equal(h_str(r, "members[0].id"), h_str(top, "rows[0].id"));
    assert_int_equal(h_int(r, "members[0].points"),
                     h_int(top, "rows[0].points"));
    assert_true(h_int(r, "members[0].points") > 0);
    /* The whole community adds the grids up. */
    int64_t closed = 0, escalations = 0;
    const msgpack_object *grids = h_get(r, "grids");
    assert_non_null(grids);
    assert_int_equal(grids->via.array.size, 5);
    for (uint32_t i = 0; i < grids->via.array.size; i++)
        closed += h_int(&grids->via.array.ptr[i], "closed");
    assert_int_equal(h_int(r, "all.closed"), closed);
    assert_int_equal(h_int(r, "totals.closed"), closed);
    assert_true(closed > 0);
    /* Escalations: the month's task.escalated events, by level (the
     * deadlines go on escalating after the report: at least as many). */
    const msgpack_object *levels = h_get(r, "escalations");
    assert_non_null(levels);
    for (uint32_t i = 0; i < levels->via.array.size; i++)
        escalations += h_int(&levels->via.array.ptr[i], "count");
    assert_int_equal(h_int(r, "totals.escalations"), escalations);
    assert_true(escalations > 0);
    assert_true(escalations <=
                s_events(&s_stack.dispatch, "task.escalated", NULL));
    /* The stars of every registered member. */
    int64_t members = h_csv_rows(DEMO "/members.csv");
    assert_true(members > 1000); /* the seed's ~1,200 party members */
    assert_int_equal(h_int(r, "ratings.members.rated"), members);
    assert_true(strncmp(h_str(r, "ratings.id"), "report:ratings:", 15) == 0);
}

static void test_report_page_is_well_formed(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "xmllint --noout %s/report.html 2>%s/xml.err",
             s_stack.dir, s_stack.dir);
    if (system("command -v xmllint >/dev/null") != 0)
        fail_msg("xmllint is missing: apt-get install libxml2-utils");
    int status = system(cmd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *err = s_slurp("xml.err");
        fail_msg("xmllint refuses the page:\n%s", err);
    }
    /* It names every grid of the demo, by code and by name. */
    char *page = s_slurp("report.html");
    FILE *f = fopen(DEMO "/grid.csv", "r");
    assert_non_null(f);
    char line[512];
    int grids = 0;
    while (fgets(line, sizeof line, f)) {
        char *code = strtok(line, ","), *name = strtok(NULL, ","),
             *kind = strtok(NULL, ",");
        if (!kind || strcmp(kind, "grid") != 0)
            continue;
        grids++;
        if (!strstr(page, code) || !strstr(page, name))
            fail_msg("the page does not name grid %s %s", code, name);
    }
    fclose(f);
    assert_int_equal(grids, 5);
    assert_non_null(strstr(page, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(page, "@media print"));
    /* Self-contained: nothing to fetch, nothing to run. */
    assert_null(strstr(page, "src="));
    assert_null(strstr(page, "href="));
    assert_null(strstr(page, "<script"));
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulate_needs_a_clock),
        cmocka_unit_test(test_simulate_three_days),
        cmocka_unit_test(test_simulate_again_doubles_nothing),
        cmocka_unit_test(test_report_agrees_with_the_daemons),
        cmocka_unit_test(test_report_page_is_well_formed),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
