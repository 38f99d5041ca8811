/*  juli-bench: juli's load generator and benchmark.
 *
 *  main reads the command line, runs the chosen scenarios in the order of
 *  s_scenarios (intake against the baseline, the whole pipeline, dispatch
 *  catching up, cold starts, the floor), prints the Markdown report on
 *  stdout and exits non-zero when a request failed, a reply did not match
 *  or a scenario could not run. Progress goes to stderr. `--smoke` runs
 *  every scenario small (a few hundred requests, a few seconds) for `make
 *  test`. A flag's value that is not what the flag takes (a number out of
 *  its range, an unknown scenario) is refused, naming the flag: nothing
 *  runs on a guess.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define S_MAX_COUNT 1000000000u /* --count, --catchup, ... */
#define S_MAX_SECS  86400       /* --duration, --pipeline-duration */

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* The scenarios, in the order they run. */
typedef enum {
    S_ATTACH_ANY,  /* uses the daemons given and starts the others (or none) */
    S_ATTACH_ALL,  /* all three daemons given, or none */
    S_ATTACH_NONE, /* starts its own daemons: skipped when any is given */
} s_attach_t;

static const struct {
    const char *name;
    int (*fn)(bench_t *);
    s_attach_t attach;
} s_scenarios[] = {
    {"intake", scenario_intake, S_ATTACH_ANY},
    {"pipeline", scenario_pipeline, S_ATTACH_ALL},
    {"catchup", scenario_catchup, S_ATTACH_NONE},
    {"cold", scenario_cold, S_ATTACH_NONE},
    {"floor", scenario_floor, S_ATTACH_ANY},
};
#define S_NSCENARIOS (sizeof s_scenarios / sizeof s_scenarios[0])

/* Prints the names of the scenarios (those whose attach is ATTACH, or all
 * when ATTACH is -1) to OUT, separated by SEP. */
static void s_names(FILE *out, int attach, const char *sep)
{
    const char *before = "";
    for (size_t i = 0; i < S_NSCENARIOS; i++)
        if (attach < 0 || (int)s_scenarios[i].attach == attach) {
            fprintf(out, "%s%s", before, s_scenarios[i].name);
            before = sep;
        }
}

static void s_usage(FILE *out)
{
    fprintf(out,
            "Usage: juli-bench [OPTION]...\n"
            "Drives juli's daemons as the other services would and prints a\n"
            "Markdown report: intake against a minimal durable server, the\n"
            "whole pipeline, dispatch catching up, cold starts, memory.\n\n"
            "  --smoke                every scenario, small (< 10 s); exits\n"
            "                         non-zero on any failed or mismatched "
            "reply\n"
            "  --only LIST            some of: ");
    s_names(out, -1, ",");
    fprintf(
        out,
        "\n"
        "  --bin DIR              the daemons (default $JULI_BIN, else "
        "bin)\n"
        "  --baseline FILE        juli-baseline (default: beside this "
        "program)\n"
        "  --synchronous MODE     full (default) or normal, for every "
        "store\n"
        "  --inflight LIST        intake points, at most %d, each 1..4096\n"
        "                         (default 1,16,256)\n"
        "  --conns N              connections per point, 1..512 (default 16)\n"
        "  --duration S           seconds per intake point (default 5)\n"
        "  --count N              requests per intake point, instead\n"
        "  --pipeline-duration S  (default 20)\n"
        "  --pipeline-flows N     requests through their whole life, "
        "instead\n"
        "  --pipeline-window W    in flight per pipeline connection, "
        "1..4096\n"
        "                         (default 16)\n"
        "  --catchup N            requests while dispatch is down "
        "(default 1000000)\n"
        "  --cold-reps N          cold starts per daemon, 1..%d (default 5)\n"
        "  --floor N              requests per floor level (default "
        "100000)\n"
        "  --random-ids           idempotency keys drawn at random, not\n"
        "                         numbered in sequence per connection\n"
        "  --wrap-intake CMD      run intake under CMD (valgrind ...); also\n"
        "                         --wrap-dispatch, --wrap-scoring\n"
        "  --intake EP[,PID[,EV]] use a running intake: its api, pid and\n"
        "                         events endpoint (also --dispatch,\n"
        "                         --scoring); skipped then: ",
        BENCH_MAX_POINTS, BENCH_MAX_COLD_REPS);
    s_names(out, S_ATTACH_NONE, ", ");
    fprintf(out, "\n"
                 "  -h, --help             this help\n\n"
                 "A count N is a whole number in 1..%llu; seconds S are more "
                 "than 0 and at\nmost %d. Temp dirs go under $TMPDIR (default "
                 "/tmp); JULI_BENCH_KEEP=1\nkeeps them.\n",
            (unsigned long long)S_MAX_COUNT, S_MAX_SECS);
}

/* Reads the LEN bytes at S, flag FLAG's value (or one item of it), as a
 * whole number in MIN..MAX into *OUT. Returns 0, or -1 saying why on
 * stderr. */
static int s_uintn(const char *flag, const char *s, size_t len, uint64_t min,
                   uint64_t max, uint64_t *out)
{
    char num[24], *end;
    unsigned long long v = 0;
    int ok = len > 0 && len < sizeof num && s[0] >= '0' && s[0] <= '9';
    if (ok) {
        memcpy(num, s, len);
        num[len] = '\0';
        errno = 0;
        v = strtoull(num, &end, 10);
        ok = !*end && !errno && v >= min && v <= max;
    }
    if (!ok) {
        fprintf(stderr,
                "juli-bench: %s: '%.*s' is not a whole number in %" PRIu64
                "..%" PRIu64 "\n",
                flag, (int)len, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int s_uint(const char *flag, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out)
{
    return s_uintn(flag, s, strlen(s), min, max, out);
}

/* Reads flag FLAG's value S, seconds more than 0 and at most S_MAX_SECS,
 * into *OUT. Returns 0, or -1 saying why on stderr. */
static int s_secs(const char *flag, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v > 0 && v <= S_MAX_SECS)) {
        fprintf(stderr,
                "juli-bench: %s: '%s' is not a number of seconds more "
                "than 0 and at most %d\n",
                flag, s, S_MAX_SECS);
        return -1;
    }
    *out = v;
    return 0;
}

/* Copies flag FLAG's value S into OUT (SIZE bytes). Returns 0, or -1 when
 * it does not fit. */
static int s_copy(const char *flag, const char *s, char *out, size_t size)
{
    if (snprintf(out, size, "%s", s) < (int)size)
        return 0;
    fprintf(stderr, "juli-bench: %s: longer than %zu bytes\n", flag,
            size - 1);
    return -1;
}

/* --only: a comma list of scenario names, each known. */
static int s_only(bench_t *b, const char *arg)
{
    if (s_copy("--only", arg, b->only, sizeof b->only) < 0)
        return -1;
    for (const char *p = arg;;) {
        size_t len = strcspn(p, ",");
        size_t i = 0;
        while (i < S_NSCENARIOS && (strlen(s_scenarios[i].name) != len ||
                                    strncmp(s_scenarios[i].name, p, len)))
            i++;
        if (i == S_NSCENARIOS) {
            fprintf(stderr, "juli-bench: --only: '%.*s' is not a scenario (",
                    (int)len, p);
            s_names(stderr, -1, ", ");
            fprintf(stderr, ")\n");
            return -1;
        }
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

/* --inflight: a comma list of 1 to BENCH_MAX_POINTS levels. */
static int s_inflight(bench_t *b, const char *arg)
{
    size_t n = 0;
    for (const char *p = arg;; n++) {
        size_t len = strcspn(p, ",");
        uint64_t v;
        if (n == BENCH_MAX_POINTS) {
            fprintf(stderr,
                    "juli-bench: --inflight: '%s' has more than %d values\n",
                    arg, BENCH_MAX_POINTS);
            return -1;
        }
        if (s_uintn("--inflight", p, len, 1, 4096, &v) < 0)
            return -1;
        b->inflight[n] = (unsigned)v;
        if (!p[len])
            break;
        p += len + 1;
    }
    b->npoints = n + 1;
    return 0;
}

/* "API[,PID[,EVENTS]]" of a daemon started by the caller. */
static int s_attach(bench_t *b, int which, const char *flag, const char *arg)
{
    size_t len = strcspn(arg, ",");
    if (len == 0 || len >= sizeof b->attach_api[which]) {
        fprintf(stderr, "juli-bench: %s: '%s' does not start with an "
                "endpoint (at most %zu bytes)\n",
                flag, arg, sizeof b->attach_api[which] - 1);
        return -1;
    }
    memcpy(b->attach_api[which], arg, len);
    b->attach_api[which][len] = '\0';
    b->attached = 1;
    if (!arg[len])
        return 0;
    const char *pid = arg + len + 1;
    size_t pid_len = strcspn(pid, ",");
    uint64_t v;
    if (s_uintn(flag, pid, pid_len, 1, INT_MAX, &v) < 0)
        return -1;
    b->attach_pid[which] = (int)v;
    if (pid[pid_len])
        return s_copy(flag, pid + pid_len + 1, b->attach_events[which],
                      sizeof b->attach_events[which]);
    return 0;
}
/* Returns 0 to run, 1 to exit 0 (help), 2 on a usage error. */
static int s_args(bench_t *b, int argc, char **argv)
{
    enum {
        OPT_SMOKE = 256,
        OPT_ONLY,
        OPT_BIN,
        OPT_BASELINE,
        OPT_SYNC,
        OPT_INFLIGHT,
        OPT_CONNS,
        OPT_DURATION,
        OPT_COUNT,
        OPT_PDUR,
        OPT_PFLOWS,
        OPT_PWIN,
        OPT_CATCHUP,
        OPT_COLD,
        OPT_FLOOR,
        OPT_RANDOM_IDS,
        OPT_WRAP, /* then OPT_WRAP + 1, + 2: dispatch, scoring */
        OPT_INTAKE = OPT_WRAP + 3, /* then dispatch, scoring */
    };
    static const struct option opts[] = {
        {"smoke", no_argument, NULL, OPT_SMOKE},
        {"only", required_argument, NULL, OPT_ONLY},
        {"bin", required_argument, NULL, OPT_BIN},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"synchronous", required_argument, NULL, OPT_SYNC},
        {"inflight", required_argument, NULL, OPT_INFLIGHT},
        {"conns", required_argument, NULL, OPT_CONNS},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"count", required_argument, NULL, OPT_COUNT},
        {"pipeline-duration", required_argument, NULL, OPT_PDUR},
        {"pipeline-flows", required_argument, NULL, OPT_PFLOWS},
        {"pipeline-window", required_argument, NULL, OPT_PWIN},
        {"catchup", required_argument, NULL, OPT_CATCHUP},
        {"cold-reps", required_argument, NULL, OPT_COLD},
        {"floor", required_argument, NULL, OPT_FLOOR},
        {"random-ids", no_argument, NULL, OPT_RANDOM_IDS},
        {"wrap-intake", required_argument, NULL, OPT_WRAP},
        {"wrap-dispatch", required_argument, NULL, OPT_WRAP + 1},
        {"wrap-scoring", required_argument, NULL, OPT_WRAP + 2},
        {"intake", required_argument, NULL, OPT_INTAKE},
        {"dispatch", required_argument, NULL, OPT_INTAKE + 1},
        {"scoring", required_argument, NULL, OPT_INTAKE + 2},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const wraps[] = {"--wrap-intake", "--wrap-dispatch",
                                        "--wrap-scoring"};
    static const char *const attach[] = {"--intake", "--dispatch",
                                         "--scoring"};
    /* --smoke first: it sets defaults the other flags may override. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--smoke") == 0) {
            static const unsigned smoke[] = {1, 16};
            b->smoke = 1;
            memcpy(b->inflight, smoke, sizeof smoke);
            b->npoints = 2;
            b->count = 100;
            b->conns = 4;
            b->pipeline_flows = 60;
            b->pipe_window = 4;
            b->catchup_n = 2500; /* pages of 1000: the prefetch too */
            b->cold_reps = 1;
            b->floor_n = 2000;
        }
    int c, bad = 0;
    uint64_t v;
    while (!bad && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SMOKE:
            break;
        case OPT_RANDOM_IDS:
            b->random_ids = 1;
            break;
        case OPT_ONLY:
            bad = s_only(b, optarg) < 0;
            break;
        case OPT_BIN:
            b->bin = optarg;
            break;
        case OPT_BASELINE:
            bad = s_copy("--baseline", optarg, b->baseline,
                         sizeof b->baseline) < 0;
            break;
        case OPT_SYNC:
            b->sync_full = strcmp(optarg, "normal") != 0;
            bad = strcmp(optarg, "full") && strcmp(optarg, "normal");
            if (bad)
                fprintf(stderr,
                        "juli-bench: --synchronous: '%s' is not full or "
                        "normal\n",
                        optarg);
            break;
        case OPT_INFLIGHT:
            bad = s_inflight(b, optarg) < 0;
            break;
        case OPT_CONNS:
            bad = s_uint("--conns", optarg, 1, 512, &v) < 0;
            b->conns = (unsigned)v;
            break;
        case OPT_DURATION:
            bad = s_secs("--duration", optarg, &b->duration_s) < 0;
            b->count = 0;
            break;
        case OPT_COUNT:
            bad = s_uint("--count", optarg, 1, S_MAX_COUNT, &b->count) < 0;
            break;
        case OPT_PDUR:
            bad = s_secs("--pipeline-duration", optarg, &b->pipeline_s) < 0;
            b->pipeline_flows = 0;
            break;
        case OPT_PFLOWS:
            bad = s_uint("--pipeline-flows", optarg, 1, S_MAX_COUNT,
                         &b->pipeline_flows) < 0;
            break;
        case OPT_PWIN:
            bad = s_uint("--pipeline-window", optarg, 1, 4096, &v) < 0;
            b->pipe_window = (unsigned)v;
            break;
        case OPT_CATCHUP:
            bad = s_uint("--catchup", optarg, 1, S_MAX_COUNT, &b->catchup_n) <
                  0;
            break;
        case OPT_COLD:
            bad = s_uint("--cold-reps", optarg, 1, BENCH_MAX_COLD_REPS, &v) <
                  0;
            b->cold_reps = (int)v;
            break;
        case OPT_FLOOR:
            bad = s_uint("--floor", optarg, 1, S_MAX_COUNT, &b->floor_n) < 0;
            break;
        case OPT_WRAP:
        case OPT_WRAP + 1:
        case OPT_WRAP + 2:
            bad = s_copy(wraps[c - OPT_WRAP], optarg, b->wrap[c - OPT_WRAP],
                         sizeof b->wrap[0]) < 0;
            break;
        case OPT_INTAKE:
        case OPT_INTAKE + 1:
        case OPT_INTAKE + 2:
            bad = s_attach(b, c - OPT_INTAKE, attach[c - OPT_INTAKE],
                           optarg) < 0;
            break;
        case 'h':
            s_usage(stdout);
            return 1;
        default: /* getopt said why */
            bad = 1;
        }
    }
    if (!bad && optind < argc) {
        fprintf(stderr, "juli-bench: '%s' is not an option\n", argv[optind]);
        bad = 1;
    }
    if (bad) {
        fprintf(stderr, "Try 'juli-bench --help'.\n");
        return 2;
    }
    return 0;
}

/* juli-baseline beside this program, unless --baseline said. */
static void s_find_baseline(bench_t *b)
{
    if (b->baseline[0])
        return;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(b->baseline, sizeof b->baseline,
                 "build/rel/bench/juli-baseline");
        return;
    }
    self[n] = '\0';
    snprintf(b->baseline, sizeof b->baseline, "%s/juli-baseline",
             dirname(self));
}

/* Runs scenario I when wanted; counts an error when it fails. */
static void s_run(bench_t *b, size_t i)
{
    const char *name = s_scenarios[i].name;
    if (s_stop || !bench_wants(b, name))
        return;
    const char *skip = NULL;
    if (b->attached && s_scenarios[i].attach == S_ATTACH_NONE)
        skip = "it starts its own daemons";
    else if (b->attached && s_scenarios[i].attach == S_ATTACH_ALL &&
             !(b->attach_api[0][0] && b->attach_api[1][0] &&
               b->attach_api[2][0]))
        skip = "give all three daemons (--intake, --dispatch, --scoring) or "
               "none";
    if (skip) {
        fprintf(stderr, "juli-bench: %s skipped: %s\n", name, skip);
        return;
    }
    if (!b->smoke)
        fprintf(stderr, "juli-bench: %s...\n", name);
    uint64_t t0 = load_now_ns();
    if (s_scenarios[i].fn(b) < 0) {
        fprintf(stderr, "juli-bench: %s FAILED\n", name);
        b->errors++;
    } else if (!b->smoke)
        fprintf(stderr, "juli-bench: %s done in %.1f s\n", name,
                (double)(load_now_ns() - t0) / 1e9);
}

int main(int argc, char **argv)
{
    static bench_t b = {
        .sync_full = 1,
        .inflight = {1, 16, 256},
        .npoints = 3,
        .duration_s = 5,
        .conns = 16,
        .pipeline_s = 20,
        .pipe_window = 16,
        .catchup_n = 1000000,
        .cold_reps = 5,
        .floor_n = 100000,
    };
    b.stop = &s_stop;
    const char *env = getenv("JULI_BIN");
    b.bin = env && *env ? env : "bin";
    int rc = s_args(&b, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    s_find_baseline(&b);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    for (size_t i = 0; i < S_NSCENARIOS; i++)
        s_run(&b, i);

    report_print(&b, argc, argv);
    if (s_stop) {
        fprintf(stderr, "juli-bench: interrupted\n");
        return 130;
    }
    return b.errors ? 1 : 0;
}
