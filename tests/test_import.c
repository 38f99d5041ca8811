/*  End to end: julictl import of the demo community (deploy/demo) into a
 *  fresh stack of the three daemons, twice; julictl backup of the three
 *  stores while they run, and of a store written without pause;
 *  scoring's commands on the imported members; and the
 *  report of rows a daemon refuses. One stack serves the file;
 *  the tests run in order. Paths are relative to the repo root, where the
 *  tests run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define DEMO "deploy/demo"

static h_stack_t s_stack;
static char s_out[1 << 16]; /* what the last julictl printed, both streams */

/* Runs "julictl -c DIR/juli.ini ARGS" (ARGS as for the shell, printf
 * style) with its output in s_out; returns its exit code. */
static int s_vctl(const char *dir, const char *fmt, va_list ap)
{
    const char *bin = getenv("JULI_BIN");
    char args[1024], cmd[1600];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(cmd, sizeof cmd, "%s/julictl -c %s/juli.ini %s 2>&1",
             bin && *bin ? bin : "bin", dir, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("popen: %s", cmd);
    size_t n = fread(s_out, 1, sizeof s_out - 1, p);
    s_out[n] = '\0';
    int status = pclose(p);
    if (!WIFEXITED(status))
        fail_msg("julictl %s died:\n%s", args, s_out);
    return WEXITSTATUS(status);
}

/* s_vctl on the stack of this file. */
static int s_ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int s_ctl(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vctl(s_stack.dir, fmt, ap);
    va_end(ap);
    return rc;
}

/* s_vctl on the stack whose state dir is DIR. */
static int s_ctl_at(const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int s_ctl_at(const char *dir, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vctl(dir, fmt, ap);
    va_end(ap);
    return rc;
}

#define CTL_OK(...)                                                         \
    do {                                                                    \
        if (s_ctl(__VA_ARGS__) != 0)                                        \
            fail_msg("julictl failed:\n%s", s_out);                         \
    } while (0)

static void s_saw(const char *want)
{
    if (!strstr(s_out, want))
        fail_msg("no '%s' in:\n%s", want, s_out);
}

/* The rows of DEMO/NAME (lines but the header; no field of the demo spans
 * lines). */
static int64_t s_rows(const char *name)
{
    char path[256], line[1024];
    snprintf(path, sizeof path, DEMO "/%s", name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    int64_t n = -1;
    while (fgets(line, sizeof line, f))
        n += line[0] != '\n';
    fclose(f);
    return n;
}

/* The number of items in the array at PATH of the reply to REQUEST. */
static int64_t s_count(h_daemon_t *d, const char *request, const char *path)
{
    const msgpack_object *r = h_call(d->client, "%s", request);
    h_expect_ok(r);
    const msgpack_object *a = h_get(r, path);
    if (!a || a->type != MSGPACK_OBJECT_ARRAY)
        fail_msg("no array %s in the reply to %s", path, request);
    return a->via.array.size;
}

/* intake's grid.defined events, from its whole log. */
static int64_t s_grid_events(void)
{
    const msgpack_object *r = h_call(
        s_stack.intake.client,
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":10000}}");
    h_expect_ok(r);
    const msgpack_object *e = h_get(r, "events");
    assert_non_null(e);
    int64_t n = 0;
    for (uint32_t i = 0; i < e->via.array.size; i++)
        n += strcmp(h_str(&e->via.array.ptr[i], "type"), "grid.defined") ==
             0;
    assert_true(e->via.array.size < 10000);
    return n;
}

/* What an import must leave, and each daemon's last event. */
typedef struct {
    int64_t grid, staff, units, members;
    int64_t last_seq[3];
} s_counts_t;

static void s_counts(s_counts_t *c)
{
    h_daemon_t *all[] = {&s_stack.intake, &s_stack.dispatch,
                         &s_stack.scoring};
    c->grid = s_grid_events();
    c->staff = s_count(&s_stack.dispatch, "{\"type\":\"staff.list\"}",
                       "staff");
    c->units = s_count(&s_stack.dispatch, "{\"type\":\"units.list\"}",
                       "units");
    c->members =
        h_int(h_call(s_stack.scoring.client, "{\"type\":\"stats\"}"),
              "members");
    for (int i = 0; i < 3; i++)
        c->last_seq[i] =
            h_int(h_call(all[i]->client, "{\"type\":\"health\"}"),
                  "last_seq");
}

static int s_setup(void **state)
{
    (void)state;
    h_stack_init(&s_stack);
    h_daemon_start(&s_stack.intake);
    h_daemon_start(&s_stack.dispatch);
    h_daemon_start(&s_stack.scoring);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    h_stack_cleanup(&s_stack);
    return 0;
}

/* -- the demo, imported twice ---------------------------------------------- */

static void test_import_twice(void **state)
{
    (void)state;
    s_counts_t first, again;
    CTL_OK("import " DEMO);
    s_saw(", 0 refused");
    s_counts(&first);
    assert_int_equal(first.grid, s_rows("grid.csv"));
    assert_int_equal(first.staff, s_rows("staff.csv"));
    assert_int_equal(first.units, s_rows("units.csv"));
    assert_int_equal(first.members, s_rows("members.csv"));
    /* The demo is the seed's community: 105 resident units, 10
     * associations, about 1,200 party members, a few hundred nodes. */
    assert_true(first.units > 115 && first.members > 1100 &&
                first.grid > 200);

    /* Again: every row is answered from the daemons' stored replies. */
    CTL_OK("import " DEMO);
    s_saw(", 0 refused");
    s_counts(&again);
    assert_memory_equal(&first, &again, sizeof first);
}

/* -- backup while the daemons run ------------------------------------------ */

/* Checks the SQLite file DIR/NAME.db: intact, with TABLES tables at
 * least, and ROWS rows in TABLE. */
static void s_check_copy(const char *dir, const char *name, const char *table,
                         int64_t rows, int64_t tables)
{
    char path[512], sql[128];
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("%s: %s", path, sqlite3_errmsg(db));
    const char *queries[] = {
        "PRAGMA integrity_check",
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'", sql};
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    for (int i = 0; i < 3; i++) {
        if (sqlite3_prepare_v2(db, queries[i], -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
            fail_msg("%s: %s: %s", path, queries[i], sqlite3_errmsg(db));
        if (i == 0)
            assert_string_equal((const char *)sqlite3_column_text(st, 0),
                                "ok");
        else if (i == 1)
            assert_true(sqlite3_column_int64(st, 0) >= tables);
        else
            assert_int_equal(sqlite3_column_int64(st, 0), rows);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

static void test_backup(void **state)
{
    (void)state;
    char dir[320];
    snprintf(dir, sizeof dir, "%s/backup/today", s_stack.dir);
    CTL_OK("backup %s", dir);
    s_saw("intake: wrote ");
    s_saw("dispatch: wrote ");
    s_saw("scoring: wrote ");
    s_check_copy(dir, "intake", "grid", s_rows("grid.csv"), 5);
    s_check_copy(dir, "dispatch", "staff", s_rows("staff.csv"), 5);
    s_check_copy(dir, "scoring", "members", s_rows("members.csv"), 5);

    /* Nothing is overwritten but with --force. */
    assert_int_equal(s_ctl("backup %s", dir), 1);
    s_saw("exists; --force overwrites it");
    CTL_OK("backup %s --force", dir);
    s_check_copy(dir, "scoring", "members", s_rows("members.csv"), 5);
    /* The live stores themselves are never a target. */
    assert_int_equal(s_ctl("backup %s --force", s_stack.dir), 1);
    s_saw("live store");
}

/* A writer on a thread of its own, as a daemon writes every loop turn: a
 * commit after another on the store at PATH (a connection of its own),
 * until STOP, or until LOAD_SECONDS have passed (EXPIRED then set). */
#define LOAD_ROWS    16000 /* rows of 1 kB: about 4,000 pages */
#define LOAD_SECONDS 10    /* far longer than a backup takes */

typedef struct {
    const char *path;
    atomic_int stop, expired, commits, failed;
} s_load_t;

static void *s_load(void *arg)
{
    s_load_t *l = arg;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    time_t end = time(NULL) + LOAD_SECONDS;
    if (sqlite3_open(l->path, &db) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "UPDATE t SET v = randomblob(1000) WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        atomic_store(&l->failed, 1);
    for (int i = 0; st && !atomic_load(&l->stop); i++) {
        if (time(NULL) >= end) {
            atomic_store(&l->expired, 1);
            break;
        }
        sqlite3_bind_int(st, 1, i % LOAD_ROWS + 1);
        if (sqlite3_step(st) != SQLITE_DONE) {
            atomic_store(&l->failed, 1);
            break;
        }
        sqlite3_reset(st);
        atomic_fetch_add(&l->commits, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

/* A backup ends while its store takes one commit after another: a commit
 * in the middle of the copy does not start it over. The store is
 * intake's of a stack whose daemons are not started, written by the
 * test as a daemon writes its own (WAL, synchronous=NORMAL). */
static void test_backup_busy_store(void **state)
{
    (void)state;
    h_stack_t busy;
    h_stack_init(&busy);
    h_stack_write_config(&busy);
    static s_load_t load; /* static: atomics zeroed */
    char path[320], dir[320], sql[400];
    snprintf(path, sizeof path, "%s/intake.db", busy.dir);
    snprintf(dir, sizeof dir, "%s/backup", busy.dir);
    sqlite3 *db = NULL;
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode=WAL;"
             "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
             " FROM n WHERE i < %d)"
             " INSERT INTO t (v) SELECT randomblob(1000) FROM n;",
             LOAD_ROWS);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", path, sqlite3_errmsg(db));
    sqlite3_close(db);

    load.path = path;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_load, &load), 0);
    while (atomic_load(&load.commits) < 100 && !atomic_load(&load.failed))
        usleep(1000);
    int before = atomic_load(&load.commits);
    int rc = s_ctl_at(busy.dir, "backup %s", dir);
    int after = atomic_load(&load.commits);
    int expired = atomic_load(&load.expired);
    atomic_store(&load.stop, 1);
    pthread_join(t, NULL);
    if (rc != 0)
        fail_msg("julictl failed:\n%s", s_out);
    s_saw("intake: wrote ");
    assert_false(atomic_load(&load.failed));
    /* The store took commits while the copy was made, and the copy ended
     * before the writer did. */
    assert_true(after > before);
    assert_false(expired);

    s_check_copy(dir, "intake", "t", LOAD_ROWS, 1);
    h_stack_cleanup(&busy);
}

/* A backup restores into a working daemon that serves the same requests:
 * each copy becomes the store of a daemon of a fresh stack, which answers
 * as the original does. */
static void test_restore(void **state)
{
    (void)state;
    h_stack_t r;
    h_stack_init(&r);
    h_daemon_t *orig[] = {&s_stack.intake, &s_stack.dispatch,
                          &s_stack.scoring};
    h_daemon_t *back[] = {&r.intake, &r.dispatch, &r.scoring};
    const char *query[] = {
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":50}}",
        "{\"type\":\"staff.list\"}",
        "{\"type\":\"leaderboard\",\"body\":{\"scope\":\"group\","
        "\"limit\":5}}",
    };
    const char *list[] = {"events", "staff", "rows"};
    for (int i = 0; i < 3; i++) {
        char from[400], to[400], cmd[900];
        snprintf(from, sizeof from, "%s/backup/today/%s.db", s_stack.dir,
                 orig[i]->name);
        snprintf(to, sizeof to, "%s/%s.db", r.dir, orig[i]->name);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
        assert_int_equal(system(cmd), 0);
        h_daemon_start(back[i]);
        /* The same answer, byte for byte, but for the uptime. */
        pack_t a, b;
        pack_init(&a);
        pack_init(&b);
        const msgpack_object *got = h_call(orig[i]->client, "%s", query[i]);
        /* A real answer, not an empty list. */
        assert_true(h_get(got, list[i])->via.array.size > 0);
        pack_object(&a, got);
        pack_object(&b, h_call(back[i]->client, "%s", query[i]));
        assert_int_equal(pack_size(&a), pack_size(&b));
        assert_memory_equal(pack_data(&a), pack_data(&b), pack_size(&a));
        pack_free(&a);
        pack_free(&b);
    }
    const msgpack_object *v =
        h_call(r.scoring.client, "{\"type\":\"ledger.verify\"}");
    assert_string_equal(h_str(v, "intact"), "true");
    h_stack_cleanup(&r);
}

/* -- scoring's commands on the imported members ---------------------------- */

static void test_scoring_commands(void **state)
{
    (void)state;
    CTL_OK("volunteer M0001 --hours 2.5 --activity '周三卫生巡查' "
           "--date 2026-03-04 --by M0017 --id v-1");
    s_saw("M0001 +25 points (id v-1)");
    CTL_OK("volunteer M0001 --hours 2.5 --activity '周三卫生巡查' "
           "--date 2026-03-04 --by M0017 --id v-1"); /* a retry */
    CTL_OK("adjust M0001 --points -5 --reason '重复登记更正' --by admin");
    s_saw("M0001 -5 points");
    CTL_OK("points M0001");
    s_saw("M0001: 20 points (all time)");
    CTL_OK("points M0001 --period 2026-03");
    s_saw("M0001: 25 points (2026-03)");
    CTL_OK("ledger M0001");
    s_saw("ENTRY  TIME");
    s_saw("+25     volunteer  M0017  volunteer 2026-03-04: 周三卫生巡查");
    CTL_OK("leaderboard --scope member --limit 3");
    s_saw("1     M0001");
    CTL_OK("leaderboard --scope branch --period 2026");
    s_saw("HCZ-B1");
    CTL_OK("ratings compute 2026-03 --id r-1");
    s_saw("ratings of 2026-03 computed (id r-1)");
    s_saw("members   ");
    CTL_OK("ratings 2026-03 --scope member");
    s_saw("member  M0001  25      1 ★☆☆☆☆");
    CTL_OK("member register M9001 测试党员 HCZ-B1-1 HCZ-B1");
    s_saw("member M9001 registered");
    CTL_OK("verify");
    s_saw("ledger intact: 2 entries");
    assert_int_equal(s_ctl("adjust M0001 --points 0 --reason x --by y"), 1);
    s_saw("invalid: body.points");
    assert_int_equal(s_ctl("leaderboard --scope everyone"), 1);
    assert_int_equal(s_ctl("adjust M0001 --points 1.5 --reason x --by y"),
                     2);
}

/* -- rows that are refused ------------------------------------------------- */

static void s_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

static void test_refused_rows(void **state)
{
    (void)state;
    char dir[320], mk[400];
    snprintf(dir, sizeof dir, "%s/bad", s_stack.dir);
    snprintf(mk, sizeof mk, "mkdir -p '%s'", dir);
    assert_int_equal(system(mk), 0);
    s_write(dir, "grid.csv",
            "code,name,kind,parent\r\n"
            "HCZ-G9,\"第九网格, 试点\",grid,HCZ\r\n"
            "HCZ-G9-C1,小区,compound,NOPE\r\n"
            "HCZ-G9,重复,grid,HCZ\r\n");
    s_write(dir, "units.csv",
            "id,name,kind,categories,capacity\n"
            "T1,测试单位,unit,safety;bogus,\n"
            "T2,测试单位二,unit,\"safety; elderly\",\n"
            "T3,测试单位三,unit,safety,99999999999999999999999\n");
    s_write(dir, "staff.csv",
            "node,role,person_id,name\n"
            "HCZ-G9,grid_leader,p9,九格长\n"
            "HCZ-G9-C1,assistant,p10,协理员\n");
    assert_int_equal(s_ctl("import %s", dir), 1);
    s_saw("/bad/grid.csv:3: invalid: body.parent: unknown: NOPE");
    s_saw("/bad/grid.csv:4: refused: HCZ-G9 given again (first on line 2)");
    s_saw("/bad/units.csv:2: invalid: body.categories[1]: unknown: bogus");
    s_saw("/bad/units.csv:4: refused: capacity: '99999999999999999999999' "
          "is too large");
    s_saw("/bad/staff.csv:3: not_found: body.node:");
    s_saw("members.csv: no such file, skipped");
    s_saw("imported ");
    s_saw(", 5 refused");
    CTL_OK("staff --node HCZ-G9");
    s_saw("p9");
    CTL_OK("units --category elderly");
    s_saw("T2 ");

    /* A file that is not CSV stops the import before any request. */
    s_write(dir, "members.csv", "id,name,group,branch\n\"M1,x,g,b\n");
    assert_int_equal(s_ctl("import %s", dir), 1);
    s_saw("members.csv:2: a quote opened here is never closed");
    s_write(dir, "members.csv", "id,name,branch\nM1,x,b\n");
    assert_int_equal(s_ctl("import %s", dir), 1);
    s_saw("no column 'group'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_twice),
        cmocka_unit_test(test_backup),
        cmocka_unit_test(test_backup_busy_store),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_scoring_commands),
        cmocka_unit_test(test_refused_rows),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
