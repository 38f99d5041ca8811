/*  test_config: the built-in defaults, the shipped deploy/juli.ini (which
 *  must say exactly what the defaults say), overrides key by key, durations,
 *  and the errors that name the file, the line, the section and the key.
 *
 *  Each test writes its INI text into a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "harness.h"

#define MINUTE (60 * 1000ull)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)

/* -- fixture ------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char path[128]; /* DIR/juli.ini, written by s_write */
    char err[512];
    config_t *cfg;
} fx_t;

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (h_tempdir(fx->dir, sizeof fx->dir, "config") < 0) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/juli.ini", fx->dir);
    unsetenv("STATE_DIRECTORY");
    fx->cfg = config_new();
    if (!fx->cfg)
        return -1;
    *state = fx;
    return 0;
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    config_destroy(&fx->cfg);
    h_rmtree(fx->dir);
    unsetenv("STATE_DIRECTORY");
    free(fx);
    return 0;
}

/* -- helpers ------------------------------------------------------------- */

/* Writes TEXT as fx->path. */
static void s_write(fx_t *fx, const char *text)
{
    FILE *f = fopen(fx->path, "w");
    if (!f)
        fail_msg("fopen %s: %s", fx->path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* Writes TEXT and loads it on top of the defaults; returns config_load's. */
static int s_load(fx_t *fx, const char *text)
{
    s_write(fx, text);
    fx->err[0] = '\0';
    return config_load(fx->cfg, fx->path, fx->err, sizeof fx->err);
}

static void s_load_ok(fx_t *fx, const char *text)
{
    if (s_load(fx, text) != 0)
        fail_msg("refused: %s", fx->err);
}

/* Asserts TEXT is refused with "PATH:LINE: [SECTION] KEY: ..." and that the
 * reason contains REASON (not empty: every text contains that). */
static void s_refused(fx_t *fx, const char *text, int line,
                      const char *where, const char *reason)
{
    assert_true(reason[0] != '\0');
    assert_int_equal(s_load(fx, text), -1);
    char head[256];
    snprintf(head, sizeof head, "%s:%d: %s: ", fx->path, line, where);
    if (strncmp(fx->err, head, strlen(head)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", fx->err, head);
    if (!strstr(fx->err, reason))
        fail_msg("error \"%s\" does not say \"%s\"", fx->err, reason);
}

/* One text that must be refused: s_refused's arguments, static strings. */
typedef struct {
    const char *text;
    int line;
    const char *where, *reason;
} refusal_t;

/* Asserts each of the N CASES is refused, in order, as s_refused does. */
static void s_refused_all(fx_t *fx, const refusal_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_refused(fx, cases[i].text, cases[i].line, cases[i].where,
                  cases[i].reason);
}

static const char *s_route(config_route_t r)
{
    return r == ROUTE_GRID ? "grid" : r == ROUTE_UNIT ? "unit" : "police";
}

/* Asserts every field of A and B but the daemons' db paths is equal. */
static void s_assert_same(const config_t *a, const config_t *b)
{
    const config_daemon_t *da[] = {&a->intake, &a->dispatch, &a->scoring};
    const config_daemon_t *db[] = {&b->intake, &b->dispatch, &b->scoring};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(da[i]->name, db[i]->name);
        assert_string_equal(da[i]->api, db[i]->api);
        assert_string_equal(da[i]->events, db[i]->events);
        assert_string_equal(da[i]->metrics, db[i]->metrics);
        assert_int_equal(da[i]->synchronous_full, db[i]->synchronous_full);
        assert_int_equal(da[i]->log_level, db[i]->log_level);
    }
    assert_string_equal(a->timezone, b->timezone);
    assert_int_equal(a->limits.max_frame, b->limits.max_frame);
    assert_int_equal(a->limits.max_str, b->limits.max_str);
    assert_int_equal(a->limits.max_depth, b->limits.max_depth);
    assert_int_equal(a->limits.max_array, b->limits.max_array);
    assert_int_equal(a->limits.max_map, b->limits.max_map);
    assert_int_equal(a->str_bytes, b->str_bytes);
    assert_int_equal(a->text_chars, b->text_chars);
    assert_int_equal(a->ncategories, b->ncategories);
    for (size_t i = 0; i < a->ncategories; i++) {
        const config_category_t *ca = &a->categories[i];
        const config_category_t *cb = &b->categories[i];
        assert_string_equal(ca->code, cb->code);
        assert_string_equal(ca->name, cb->name);
        assert_string_equal(s_route(ca->route), s_route(cb->route));
        assert_int_equal(ca->accept_ms, cb->accept_ms);
        assert_int_equal(ca->resolve_ms, cb->resolve_ms);
        assert_int_equal(ca->nkeywords, cb->nkeywords);
        for (size_t k = 0; k < ca->nkeywords; k++)
            assert_string_equal(ca->keywords[k], cb->keywords[k]);
    }
    assert_memory_equal(&a->points, &b->points, sizeof a->points);
    assert_memory_equal(&a->stars, &b->stars, sizeof a->stars);
    assert_int_equal(a->curve, b->curve);
    assert_string_equal(a->keys, b->keys);
    assert_string_equal(a->client_key, b->client_key);
    assert_string_equal(a->clock_start, b->clock_start);
    assert_true(a->clock_speed == b->clock_speed);
    assert_int_equal(a->clock_epoch, b->clock_epoch);
}

/* The shipped file, found from this source file's place in the tree. */
static void s_shipped_path(char *out, size_t size)
{
    char here[512];
    snprintf(here, sizeof here, "%s", __FILE__);
    snprintf(out, size, "%s/../deploy/juli.ini", dirname(here));
}

/* -- defaults ------------------------------------------------------------ */

static void test_defaults_daemons(void **state)
{
    fx_t *fx = *state;
    const config_t *c = fx->cfg;
    static const struct {
        const char *name, *api, *events, *metrics, *db;
    } want[] = {
        {"intake", "tcp://127.0.0.1:7101", "tcp://127.0.0.1:7102",
         "127.0.0.1:9101", "./var/intake.db"},
        {"dispatch", "tcp://127.0.0.1:7201", "tcp://127.0.0.1:7202",
         "127.0.0.1:9201", "./var/dispatch.db"},
        {"scoring", "tcp://127.0.0.1:7301", "tcp://127.0.0.1:7302",
         "127.0.0.1:9301", "./var/scoring.db"},
    };
    for (size_t i = 0; i < 3; i++) {
        config_daemon_t *d = config_daemon(fx->cfg, want[i].name);
        assert_non_null(d);
        assert_string_equal(d->name, want[i].name);
        assert_string_equal(d->api, want[i].api);
        assert_string_equal(d->events, want[i].events);
        assert_string_equal(d->metrics, want[i].metrics);
        assert_string_equal(d->db, want[i].db);
        assert_int_equal(d->synchronous_full, 1);
        assert_int_equal(d->log_level, LOG_INFO);
    }
    assert_ptr_equal(config_daemon(fx->cfg, "intake"), &c->intake);
    assert_ptr_equal(config_daemon(fx->cfg, "scoring"), &c->scoring);
    assert_null(config_daemon(fx->cfg, "intak"));
    assert_null(config_daemon(fx->cfg, ""));

    assert_string_equal(c->timezone, "Asia/Shanghai");
    assert_int_equal(c->limits.max_frame, 65536);
    assert_int_equal(c->limits.max_depth, 8);
    assert_int_equal(c->limits.max_array, 256);
    assert_int_equal(c->limits.max_map, 256);
    assert_int_equal(c->str_bytes, 4096);
    assert_int_equal(c->text_chars, 2000);
    /* 2000 characters of up to four bytes each pass the walker. */
    assert_true(c->limits.max_str >= 4 * 2000);
}

static void test_defaults_state_directory(void **state)
{
    fx_t *fx = *state;
    config_destroy(&fx->cfg);
    assert_null(fx->cfg);

    /* systemd may list several directories: the first one is ours. */
    setenv("STATE_DIRECTORY", "/srv/juli-state:/srv/other", 1);
    fx->cfg = config_new();
    assert_non_null(fx->cfg);
    assert_string_equal(fx->cfg->intake.db, "/srv/juli-state/intake.db");
    assert_string_equal(fx->cfg->dispatch.db, "/srv/juli-state/dispatch.db");
    assert_string_equal(fx->cfg->scoring.db, "/srv/juli-state/scoring.db");
    config_destroy(&fx->cfg);

    setenv("STATE_DIRECTORY", "/srv/only", 1);
    fx->cfg = config_new();
    assert_string_equal(fx->cfg->intake.db, "/srv/only/intake.db");
    config_destroy(&fx->cfg);

    /* Set but empty: as if unset. */
    setenv("STATE_DIRECTORY", "", 1);
    fx->cfg = config_new();
    assert_string_equal(fx->cfg->intake.db, "./var/intake.db");
    unsetenv("STATE_DIRECTORY");
    config_destroy(&fx->cfg); /* twice is fine */
    config_destroy(&fx->cfg);
}

static void test_defaults_categories(void **state)
{
    fx_t *fx = *state;
    const config_t *c = fx->cfg;
    static const char *const codes[] = {
        "sanitation", "safety",  "dispute",     "property",
        "facility",   "elderly", "youth",       "family",
        "culture",    "poverty_aid", "mutual_aid", "other",
    };
    assert_int_equal(c->ncategories, 12);
    for (size_t i = 0; i < 12; i++) {
        const config_category_t *cat = &c->categories[i];
        assert_string_equal(cat->code, codes[i]);
        assert_true(cat->name[0] != '\0');
        assert_true(cat->accept_ms > 0);
        assert_true(cat->resolve_ms > cat->accept_ms);
        assert_ptr_equal(config_category(c, codes[i], strlen(codes[i])),
                         cat);
        for (size_t k = 0; k < cat->nkeywords; k++)
            assert_true(cat->keywords[k][0] != '\0');
    }

    const config_category_t *s = config_category(c, "sanitation", 10);
    assert_string_equal(s->name, "环境卫生");
    assert_int_equal(s->route, ROUTE_GRID);
    assert_int_equal(s->accept_ms, 30 * MINUTE);
    assert_int_equal(s->resolve_ms, 2 * DAY);
    assert_int_equal(s->nkeywords, 8);
    assert_string_equal(s->keywords[0], "垃圾");
    assert_string_equal(s->keywords[7], "种菜");

    const config_category_t *p = config_category(c, "safety", 6);
    assert_int_equal(p->route, ROUTE_POLICE);
    assert_int_equal(p->accept_ms, 15 * MINUTE);
    assert_int_equal(p->resolve_ms, 1 * DAY);
    assert_int_equal(config_category(c, "property", 8)->route, ROUTE_UNIT);

    const config_category_t *o = config_category(c, "other", 5);
    assert_string_equal(o->name, "其他");
    assert_int_equal(o->nkeywords, 0);

    /* The code is matched by length: no NUL needed, no prefix match. */
    assert_ptr_equal(config_category(c, "safetyXYZ", 6), p);
    assert_null(config_category(c, "safe", 4));
    assert_null(config_category(c, "noise", 5));
    assert_null(config_category(c, "", 0));
}

static void test_defaults_points_and_stars(void **state)
{
    fx_t *fx = *state;
    const config_t *c = fx->cfg;
    /* PROTOCOL.md, "Configuration of the domain". */
    assert_true(c->points.per_hour == 10);
    assert_true(c->points.difficulty[0] == 5);
    assert_true(c->points.difficulty[1] == 10);
    assert_true(c->points.difficulty[2] == 20);
    assert_true(c->points.urgency[0] == 1);
    assert_true(c->points.urgency[1] == 1.2);
    assert_true(c->points.urgency[2] == 1.5);
    assert_true(c->points.professional == 10);
    assert_true(c->points.satisfied == 5);
    static const double steps[5] = {20, 50, 100, 200, 400};
    for (int i = 0; i < 5; i++) {
        assert_true(c->stars.member[i] == steps[i]);
        assert_true(c->stars.group[i] == steps[i]);
        assert_true(c->stars.branch[i] == steps[i]);
    }
}

/* -- the shipped file ---------------------------------------------------- */

static void test_shipped_file_is_the_defaults(void **state)
{
    fx_t *fx = *state;
    char shipped[600];
    s_shipped_path(shipped, sizeof shipped);
    config_t *loaded = config_new();
    assert_non_null(loaded);
    if (config_load(loaded, shipped, fx->err, sizeof fx->err) != 0) {
        config_destroy(&loaded);
        fail_msg("%s refused: %s", shipped, fx->err);
    }
    s_assert_same(fx->cfg, loaded);
    /* The file leaves db commented out: the defaults stay. */
    assert_string_equal(loaded->intake.db, fx->cfg->intake.db);
    config_destroy(&loaded);
}

static void test_empty_file_is_the_defaults(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "; nothing but a comment\n\n");
    config_t *defaults = config_new();
    s_assert_same(defaults, fx->cfg);
    config_destroy(&defaults);
}

/* -- overrides ----------------------------------------------------------- */

static void test_daemon_keys(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[dispatch]\n"
                  "api = ipc:///run/juli/dispatch.api\n"
                  "events = tcp://0.0.0.0:17202\n"
                  "metrics = off\n"
                  "db = /data/dispatch.db\n"
                  "synchronous = normal\n"
                  "log_level = debug\n"
                  "[community]\n"
                  "timezone = Europe/Berlin\n");
    const config_daemon_t *d = &fx->cfg->dispatch;
    assert_string_equal(d->api, "ipc:///run/juli/dispatch.api");
    assert_string_equal(d->events, "tcp://0.0.0.0:17202");
    assert_string_equal(d->metrics, "off");
    assert_string_equal(d->db, "/data/dispatch.db");
    assert_int_equal(d->synchronous_full, 0);
    assert_int_equal(d->log_level, LOG_DEBUG);
    assert_string_equal(fx->cfg->timezone, "Europe/Berlin");
    /* The other daemons keep theirs. */
    assert_string_equal(fx->cfg->intake.api, "tcp://127.0.0.1:7101");
    assert_int_equal(fx->cfg->scoring.synchronous_full, 1);
}

static void test_category_override_one_key(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[category.sanitation]\n"
                  "accept = 10m\n");
    const config_t *c = fx->cfg;
    assert_int_equal(c->ncategories, 12);
    const config_category_t *s = config_category(c, "sanitation", 10);
    assert_ptr_equal(s, &c->categories[0]);
    assert_int_equal(s->accept_ms, 10 * MINUTE);
    assert_string_equal(s->name, "环境卫生");
    assert_int_equal(s->route, ROUTE_GRID);
    assert_int_equal(s->resolve_ms, 2 * DAY);
    assert_int_equal(s->nkeywords, 8);
    assert_string_equal(s->keywords[0], "垃圾");
    assert_string_equal(s->keywords[7], "种菜");
}

static void test_category_keywords_replace(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[category.dispute]\n"
                  "keywords =  吵架 ,邻居,,  声音\t\n"
                  "[category.safety]\n"
                  "keywords =\n");
    const config_category_t *d = config_category(fx->cfg, "dispute", 7);
    assert_int_equal(d->nkeywords, 3);
    assert_string_equal(d->keywords[0], "吵架");
    assert_string_equal(d->keywords[1], "邻居");
    assert_string_equal(d->keywords[2], "声音");
    assert_int_equal(config_category(fx->cfg, "safety", 6)->nkeywords, 0);
}

static void test_category_new_with_defaults(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[category.noise]\n"
                  "keywords = 噪音, 扰民\n"
                  "[category.sanitation]\n"
                  "route = unit\n");
    const config_t *c = fx->cfg;
    assert_int_equal(c->ncategories, 13);
    const config_category_t *n = config_category(c, "noise", 5);
    assert_ptr_equal(n, &c->categories[12]);
    assert_string_equal(n->code, "noise");
    assert_string_equal(n->name, "noise");
    assert_int_equal(n->route, ROUTE_GRID);
    assert_int_equal(n->accept_ms, 1 * HOUR);
    assert_int_equal(n->resolve_ms, 3 * DAY);
    assert_int_equal(n->nkeywords, 2);
    assert_string_equal(n->keywords[0], "噪音");
    assert_string_equal(n->keywords[1], "扰民");
    assert_int_equal(config_category(c, "sanitation", 10)->route, ROUTE_UNIT);
}

static void test_category_code_must_be_lowercase(void **state)
{
    fx_t *fx = *state;
    s_refused(fx, "[category.Noise]\nname = x\n", 2, "[category.Noise] name",
              "a-z");
}

static void test_points_override(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[points]\n"
                  "per_hour = 12.5\n"
                  "difficulty = 1, 2, 3\n"
                  "urgency = 1,2,4\n"
                  "[stars]\n"
                  "group = 1, 1, 2, 3, 5\n");
    const config_t *c = fx->cfg;
    assert_true(c->points.per_hour == 12.5);
    assert_true(c->points.difficulty[0] == 1);
    assert_true(c->points.difficulty[2] == 3);
    assert_true(c->points.urgency[2] == 4);
    assert_true(c->points.professional == 10);
    assert_true(c->stars.group[0] == 1);
    assert_true(c->stars.group[4] == 5);
    assert_true(c->stars.member[4] == 400);
}

static void test_points_difficulty_needs_three(void **state)
{
    fx_t *fx = *state;
    static const refusal_t cases[] = {
        {"[points]\ndifficulty = 5, 10\n", 2, "[points] difficulty",
         "not a number, or not the right count"},
        {"[points]\ndifficulty = 5, 10, 20, 40\n", 2, "[points] difficulty",
         "not a number, or not the right count"},
        {"[points]\ndifficulty = 5, ten, 20\n", 2, "[points] difficulty",
         "not a number, or not the right count"},
        {"[points]\nper_hour = 10x\n", 2, "[points] per_hour",
         "not a number, or not the right count"},
    };
    s_refused_all(fx, cases, sizeof cases / sizeof cases[0]);
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t ms;
    } good[] = {
        {"45s", 45000},       {"30m", 30 * MINUTE}, {"2h", 2 * HOUR},
        {"3d", 3 * DAY},      {"500ms", 500},       {"1ms", 1},
        {"90m", 90 * MINUTE},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t ms = 0;
        if (config_duration(good[i].s, &ms) != 0)
            fail_msg("\"%s\" refused", good[i].s);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = {
        "0s", "5x", "-1m", "", "s", "5", " 5s", "5 s", "5s ", "1.5h", "+5s",
        "5S", "ms", "0ms", "99999999999999999999999d",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 77;
        if (config_duration(bad[i], &ms) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(ms, 77);
    }
}

static void test_duration_in_file(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[category.elderly]\naccept = 500ms\nresolve = 45s\n");
    const config_category_t *e = config_category(fx->cfg, "elderly", 7);
    assert_int_equal(e->accept_ms, 500);
    assert_int_equal(e->resolve_ms, 45000);
    static const refusal_t cases[] = {
        {"[category.elderly]\naccept = 0s\n", 2, "[category.elderly] accept",
         "duration"},
        {"[category.elderly]\nresolve = -1m\n", 2, "[category.elderly] resolve",
         "duration"},
        {"[category.elderly]\nresolve =\n", 2, "[category.elderly] resolve",
         "duration"},
    };
    s_refused_all(fx, cases, sizeof cases / sizeof cases[0]);
}

/* -- errors -------------------------------------------------------------- */

static void test_unknown_section_refused(void **state)
{
    fx_t *fx = *state;
    static const refusal_t cases[] = {
        {"[intake]\napi = tcp://127.0.0.1:1\n\n[intak]\napi = x\n", 5,
         "[intak] api", "unknown section"},
        {"[point]\nper_hour = 1\n", 2, "[point] per_hour", "unknown section"},
    };
    s_refused_all(fx, cases, sizeof cases / sizeof cases[0]);
}

static void test_unknown_key_refused(void **state)
{
    fx_t *fx = *state;
    static const refusal_t cases[] = {
        {"; top\n[intake]\napi = tcp://127.0.0.1:1\nevent = x\n", 4,
         "[intake] event", "unknown key"},
        {"[category.safety]\nkeyword = a\n", 2, "[category.safety] keyword",
         "unknown key"},
        {"[points]\nper_day = 1\n", 2, "[points] per_day", "unknown key"},
        {"[stars]\nmembers = 1, 2, 3, 4, 5\n", 2, "[stars] members",
         "unknown key"},
        {"[limits]\nstrings = 10\n", 2, "[limits] strings", "unknown key"},
        {"[community]\ntz = UTC\n", 2, "[community] tz", "unknown key"},
    };
    s_refused_all(fx, cases, sizeof cases / sizeof cases[0]);
}

static void test_bad_values_refused(void **state)
{
    fx_t *fx = *state;
    static const refusal_t cases[] = {
        {"[category.safety]\nroute = army\n", 2, "[category.safety] route",
         "grid, unit or police"},
        {"[intake]\nsynchronous = off\n", 2, "[intake] synchronous",
         "full or normal"},
        {"[scoring]\nlog_level = verbose\n", 2, "[scoring] log_level", "debug"},
        {"[intake]\ndb =\n", 2, "[intake] db", "too long or empty"},
        {"[limits]\nframe = 0\n", 2, "[limits] frame",
         "not a positive whole number"},
        {"[limits]\ndepth = 2.5\n", 2, "[limits] depth",
         "not a positive whole number"},
        {"[clock]\nstart = 2024-1-1\nepoch = 1700000000000\n", 2,
         "[clock] start", "a date, YYYY-MM-DD"},
        {"[clock]\nspeed = 0.5\n", 2, "[clock] speed",
         "a number from 1 to 10000000"},
        {"[clock]\nspeed = fast\n", 2, "[clock] speed",
         "a number from 1 to 10000000"},
        {"[clock]\nspeed = 20000000\n", 2, "[clock] speed",
         "a number from 1 to 10000000"},
        {"[clock]\nepoch = 1700000000\n", 2, "[clock] epoch",
         "real Unix milliseconds"},
        {"[clock]\nepoch = 1700000000000.5\n", 2, "[clock] epoch",
         "real Unix milliseconds"},
        {"[clock]\ntick = 1\n", 2, "[clock] tick", "unknown key"},
        {"[security]\ncurve = yes\n", 2, "[security] curve",
         "must be on or off"},
        {"[security]\nkeys =\n", 2, "[security] keys", "empty or too long"},
        {"[security]\nclient_key =\n", 2, "[security] client_key",
         "empty or too long"},
        {"[security]\nkey = x\n", 2, "[security] key", "unknown key"},
    };
    s_refused_all(fx, cases, sizeof cases / sizeof cases[0]);
}

static void test_stars_must_not_decrease(void **state)
{
    fx_t *fx = *state;
    s_refused(fx, "[stars]\nmember = 20, 50, 40, 200, 400\n", 2,
              "[stars] member", "must not decrease");
    s_refused(fx, "[stars]\nbranch = 1, 2, 3, 4\n", 2, "[stars] branch",
              "five");
    /* Equal steps are fine. */
    s_load_ok(fx, "[stars]\nbranch = 10, 10, 10, 10, 10\n");
    assert_true(fx->cfg->stars.branch[4] == 10);
}

/* A mistake in the middle of a file is reported at its own line, with its
 * own section and key, whatever follows it. */
static void test_error_names_its_own_line(void **state)
{
    fx_t *fx = *state;
    s_refused(fx,
              "[category.safety]\n"     /* 1 */
              "route = army\n"          /* 2: the mistake */
              "accept = 15m\n"          /* 3 */
              "[points]\n"              /* 4 */
              "per_hour = 10\n",        /* 5 */
              2, "[category.safety] route", "grid, unit or police");
    s_refused(fx,
              "[intake]\n"              /* 1 */
              "apii = tcp://x:1\n"      /* 2: the mistake */
              "[stars]\n"               /* 3 */
              "member = 5, 4, 3, 2, 1\n", /* 4: another one */
              2, "[intake] apii", "unknown key");
}

static void test_missing_file_refused(void **state)
{
    fx_t *fx = *state;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/nowhere/juli.ini", fx->dir);
    assert_int_equal(config_load(fx->cfg, missing, fx->err, sizeof fx->err),
                     -1);
    assert_non_null(strstr(fx->err, missing));
    assert_non_null(strstr(fx->err, strerror(ENOENT)));
}

static void test_syntax_error_refused(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(s_load(fx, "[points]\nper_hour = 10\nthis is no key\n"),
                     -1);
    char want[200];
    snprintf(want, sizeof want, "%s:3:", fx->path);
    assert_non_null(strstr(fx->err, want));
}

/* A syntax error (no handler call) followed by a refused value: the error
 * is the first line's, and must not borrow the later line's reason. */
static void test_syntax_error_before_bad_value(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(s_load(fx, "[points]\n"
                                "this is no key\n"      /* 2 */
                                "per_hour = ten\n"),    /* 3 */
                     -1);
    char want[200];
    snprintf(want, sizeof want, "%s:2: syntax error", fx->path);
    if (strcmp(fx->err, want) != 0)
        fail_msg("error \"%s\", not \"%s\"", fx->err, want);
}

static void test_inline_comments(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "; a comment line\n"
                  "# another\n"
                  "[points] ; the points\n"
                  "per_hour = 12      ; twelve\n"
                  "[category.noise]\n"
                  "name = 噪音扰民 ; shown to residents\n"
                  "keywords = 噪音, 装修 ; two words\n");
    assert_true(fx->cfg->points.per_hour == 12);
    const config_category_t *n = config_category(fx->cfg, "noise", 5);
    assert_non_null(n);
    assert_string_equal(n->name, "噪音扰民");
    assert_int_equal(n->nkeywords, 2);
    assert_string_equal(n->keywords[1], "装修");
}

static void test_keywords_at_most_32(void **state)
{
    fx_t *fx = *state;
    char text[512], *p = text;
    p += sprintf(p, "[category.other]\nkeywords = ");
    for (int i = 0; i < 32; i++)
        p += sprintf(p, "%sk%d", i ? "," : "", i);
    sprintf(p, "\n");
    s_load_ok(fx, text);
    const config_category_t *o = config_category(fx->cfg, "other", 5);
    assert_int_equal(o->nkeywords, 32);
    assert_string_equal(o->keywords[31], "k31");

    sprintf(p, ",k32\n");
    s_refused(fx, text, 2, "[category.other] keywords", "at most 32");
}

/* The header allows 32 keywords of up to 63 bytes, but inih reads at most
 * 199 bytes a line: twenty three-character Chinese keywords (about 230
 * bytes) are refused on one line, with the line named, and load whole on
 * an indented continuation line. */
static void test_long_keywords_line(void **state)
{
    fx_t *fx = *state;
    static const char *const words[] = {
        "垃圾站", "清扫工", "卫生间", "楼道灯", "堆放物", "异味大", "污水井",
        "种菜地", "下水道", "化粪池", "垃圾桶", "废品站", "落叶堆", "积水处",
        "油烟机", "小广告", "宠物粪", "建筑垃", "大件垃", "厨余桶",
    };
    char text[1024], *p = text;
    p += sprintf(p, "[category.sanitation]\nkeywords = ");
    for (size_t i = 0; i < 20; i++)
        p += sprintf(p, "%s%s", i ? ", " : "", words[i]);
    sprintf(p, "\nname = 卫生\n");
    assert_int_equal(s_load(fx, text), -1);
    assert_non_null(strstr(fx->err, ":2: line longer than 199 bytes"));

    p = text;
    p += sprintf(p, "[category.sanitation]\nkeywords = ");
    for (size_t i = 0; i < 20; i++)
        p += sprintf(p, "%s%s%s", i == 10 ? "\n    " : "",
                     i && i != 10 ? ", " : "", words[i]);
    sprintf(p, "\nname = 卫生\n");
    s_load_ok(fx, text);
    const config_category_t *s = config_category(fx->cfg, "sanitation", 10);
    assert_int_equal(s->nkeywords, 20);
    assert_string_equal(s->keywords[19], "厨余桶");
    assert_string_equal(s->name, "卫生");
}

static void test_limits(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[limits]\ntext = 3000\n");
    assert_int_equal(fx->cfg->text_chars, 3000);
    assert_true(fx->cfg->limits.max_str >= 4 * 3000);
    assert_int_equal(fx->cfg->str_bytes, 4096);

    s_load_ok(fx, "[limits]\nstring = 20000\nframe = 131072\ndepth = 4\n"
                  "array = 1000\n");
    assert_int_equal(fx->cfg->str_bytes, 20000);
    assert_true(fx->cfg->limits.max_str >= 20000);
    assert_int_equal(fx->cfg->limits.max_frame, 131072);
    assert_int_equal(fx->cfg->limits.max_depth, 4);
    assert_int_equal(fx->cfg->limits.max_array, 1000);
    assert_int_equal(fx->cfg->limits.max_map, 1000);
}

static void test_clock_and_security(void **state)
{
    fx_t *fx = *state;
    s_load_ok(fx, "[clock]\nstart = 2024-03-01\nspeed = 2880\n"
                  "epoch = 1700000000000\n"
                  "[security]\ncurve = on\nkeys = /etc/juli/keys\n");
    const config_t *c = fx->cfg;
    assert_string_equal(c->clock_start, "2024-03-01");
    assert_true(c->clock_speed == 2880);
    assert_int_equal(c->clock_epoch, 1700000000000);
    assert_int_equal(c->curve, 1);
    assert_string_equal(c->keys, "/etc/juli/keys");
    /* Without client_key, the admin key of the keys directory. */
    assert_string_equal(c->client_key, "/etc/juli/keys/admin.key");
    s_load_ok(fx, "[security]\ncurve = off\nclient_key = /k/staff.key\n");
    assert_int_equal(fx->cfg->curve, 0);
    assert_string_equal(fx->cfg->client_key, "/k/staff.key");
    /* A start needs the epoch every process counts from. */
    config_t *fresh = config_new();
    assert_non_null(fresh);
    s_write(fx, "[clock]\nstart = 2024-03-01\n");
    int rc = config_load(fresh, fx->path, fx->err, sizeof fx->err);
    config_destroy(&fresh);
    assert_int_equal(rc, -1);
    char want[300];
    snprintf(want, sizeof want, "%s: [clock] start needs epoch", fx->path);
    if (strncmp(fx->err, want, strlen(want)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", fx->err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
        T(test_defaults_daemons),
        T(test_defaults_state_directory),
        T(test_defaults_categories),
        T(test_defaults_points_and_stars),
        T(test_shipped_file_is_the_defaults),
        T(test_empty_file_is_the_defaults),
        T(test_daemon_keys),
        T(test_category_override_one_key),
        T(test_category_keywords_replace),
        T(test_category_new_with_defaults),
        T(test_category_code_must_be_lowercase),
        T(test_points_override),
        T(test_points_difficulty_needs_three),
        T(test_durations),
        T(test_duration_in_file),
        T(test_unknown_section_refused),
        T(test_unknown_key_refused),
        T(test_bad_values_refused),
        T(test_stars_must_not_decrease),
        T(test_error_names_its_own_line),
        T(test_missing_file_refused),
        T(test_syntax_error_refused),
        T(test_syntax_error_before_bad_value),
        T(test_inline_comments),
        T(test_keywords_at_most_32),
        T(test_long_keywords_line),
        T(test_limits),
        T(test_clock_and_security),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
