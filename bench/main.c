/*  juli-bench: juli's load generator and benchmark.
 *
 *  main reads the command line, runs the chosen scenarios in order
 *  (intake against the baseline, the whole pipeline, dispatch catching
 *  up, cold starts), prints the Markdown report on stdout and exits
 *  non-zero when a request failed, a reply did not match or a scenario
 *  could not run. Progress goes to stderr. `--smoke` runs every scenario
 *  small (a few hundred requests, a few seconds) for `make test`.
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_usage(FILE *out)
{
    fprintf(
        out,
        "Usage: juli-bench [OPTION]...\n"
        "Drives juli's daemons as the other services would and prints a\n"
        "Markdown report: intake against a minimal durable server, the\n"
        "whole pipeline, dispatch catching up, cold starts, memory.\n\n"
        "  --smoke                every scenario, small (< 10 s); exits\n"
        "                         non-zero on any failed or mismatched "
        "reply\n"
        "  --only LIST            some of: intake,pipeline,catchup,cold,\n"
        "                         floor\n"
        "  --bin DIR              the daemons (default $JULI_BIN, else "
        "bin)\n"
        "  --baseline FILE        juli-baseline (default: beside this "
        "program)\n"
        "  --synchronous MODE     full (default) or normal, for every "
        "store\n"
        "  --inflight LIST        intake points (default 1,16,256)\n"
        "  --conns N              connections per point (default 16)\n"
        "  --duration S           seconds per intake point (default 5)\n"
        "  --count N              requests per intake point, instead\n"
        "  --pipeline-duration S  (default 20)\n"
        "  --pipeline-flows N     requests through their whole life, "
        "instead\n"
        "  --pipeline-window W    in flight per pipeline connection "
        "(default 16)\n"
        "  --catchup N            requests while dispatch is down "
        "(default 1000000)\n"
        "  --cold-reps N          cold starts per daemon (default 5)\n"
        "  --floor N              requests per floor level (default "
        "100000)\n"
        "  --random-ids           idempotency keys drawn at random, not\n"
        "                         numbered in sequence per connection\n"
        "  --wrap-intake CMD      run intake under CMD (valgrind ...); also\n"
        "                         --wrap-dispatch, --wrap-scoring\n"
        "  --intake EP[,PID[,EV]] use a running intake: its api, pid and\n"
        "                         events endpoint (also --dispatch,\n"
        "                         --scoring); catchup and cold are "
        "skipped\n"
        "  -h, --help             this help\n\n"
        "Temp dirs go under $TMPDIR (default /tmp); JULI_BENCH_KEEP=1 "
        "keeps them.\n");
}

static int s_list(const char *arg, unsigned *out, size_t max, size_t *n)
{
    char *end;
    *n = 0;
    while (*arg && *n < max) {
        unsigned long v = strtoul(arg, &end, 10);
        if (end == arg || v == 0 || v > 4096)
            return -1;
        out[(*n)++] = (unsigned)v;
        arg = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return *n ? 0 : -1;
}

/* "API[,PID[,EVENTS]]" of a daemon started by the caller. */
static int s_attach(bench_t *b, int which, const char *arg)
{
    const char *comma = strchr(arg, ',');
    size_t len = comma ? (size_t)(comma - arg) : strlen(arg);
    if (len == 0 || len >= sizeof b->attach_api[which])
        return -1;
    memcpy(b->attach_api[which], arg, len);
    b->attach_api[which][len] = '\0';
    b->attach_pid[which] = comma ? atoi(comma + 1) : 0;
    const char *events = comma ? strchr(comma + 1, ',') : NULL;
    if (events &&
        snprintf(b->attach_events[which], sizeof b->attach_events[which], "%s",
                 events + 1) >= (int)sizeof b->attach_events[which])
        return -1;
    b->attached = 1;
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
        OPT_WRAP,
        OPT_WRAP_D,
        OPT_WRAP_S,
        OPT_INTAKE,
        OPT_DISPATCH,
        OPT_SCORING
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
        {"wrap-dispatch", required_argument, NULL, OPT_WRAP_D},
        {"wrap-scoring", required_argument, NULL, OPT_WRAP_S},
        {"intake", required_argument, NULL, OPT_INTAKE},
        {"dispatch", required_argument, NULL, OPT_DISPATCH},
        {"scoring", required_argument, NULL, OPT_SCORING},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
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
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_SMOKE:
            break;
        case OPT_RANDOM_IDS:
            b->random_ids = 1;
            break;
        case OPT_ONLY:
            snprintf(b->only, sizeof b->only, "%s", optarg);
            break;
        case OPT_BIN:
            b->bin = optarg;
            break;
        case OPT_BASELINE:
            snprintf(b->baseline, sizeof b->baseline, "%s", optarg);
            break;
        case OPT_SYNC:
            b->sync_full = strcmp(optarg, "normal") != 0;
            bad |= strcmp(optarg, "full") && strcmp(optarg, "normal");
            break;
        case OPT_INFLIGHT:
            bad |=
                s_list(optarg, b->inflight, BENCH_MAX_POINTS, &b->npoints) < 0;
            break;
        case OPT_CONNS:
            b->conns = (unsigned)atoi(optarg);
            break;
        case OPT_DURATION:
            b->duration_s = atof(optarg);
            b->count = 0;
            break;
        case OPT_COUNT:
            b->count = strtoull(optarg, NULL, 10);
            break;
        case OPT_PDUR:
            b->pipeline_s = atof(optarg);
            b->pipeline_flows = 0;
            break;
        case OPT_PFLOWS:
            b->pipeline_flows = strtoull(optarg, NULL, 10);
            break;
        case OPT_PWIN:
            b->pipe_window = (unsigned)atoi(optarg);
            break;
        case OPT_CATCHUP:
            b->catchup_n = strtoull(optarg, NULL, 10);
            break;
        case OPT_COLD:
            b->cold_reps = atoi(optarg);
            break;
        case OPT_FLOOR:
            b->floor_n = strtoull(optarg, NULL, 10);
            break;
        case OPT_WRAP:
        case OPT_WRAP_D:
        case OPT_WRAP_S: {
            int w = c == OPT_WRAP ? 0 : c == OPT_WRAP_D ? 1 : 2;
            snprintf(b->wrap[w], sizeof b->wrap[w], "%s", optarg);
            break;
        }
        case OPT_INTAKE:
            bad |= s_attach(b, 0, optarg) < 0;
            break;
        case OPT_DISPATCH:
            bad |= s_attach(b, 1, optarg) < 0;
            break;
        case OPT_SCORING:
            bad |= s_attach(b, 2, optarg) < 0;
            break;
        case 'h':
            s_usage(stdout);
            return 1;
        default:
            bad = 1;
        }
    }
    if (bad || optind < argc || b->conns == 0 || b->conns > 512 ||
        b->pipe_window == 0 || b->pipe_window > 4096 ||
        (!b->count && b->duration_s <= 0) ||
        (!b->pipeline_flows && b->pipeline_s <= 0) || b->catchup_n == 0 ||
        b->floor_n == 0) {
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
        snprintf(b->baseline, sizeof b->baseline, "bench/juli-baseline");
        return;
    }
    self[n] = '\0';
    snprintf(b->baseline, sizeof b->baseline, "%s/juli-baseline",
             dirname(self));
}

/* Runs scenario NAME when wanted; counts an error when it fails. */
static void s_run(bench_t *b, const char *name, int (*fn)(bench_t *))
{
    if (s_stop || !bench_wants(b, name))
        return;
    int needs_own = strcmp(name, "catchup") == 0 ||
                    strcmp(name, "cold") == 0 || strcmp(name, "floor") == 0;
    int partial =
        b->attached && strcmp(name, "pipeline") == 0 &&
        !(b->attach_api[0][0] && b->attach_api[1][0] && b->attach_api[2][0]);
    if (partial) {
        fprintf(stderr, "juli-bench: pipeline skipped: give all three "
                        "daemons (--intake, --dispatch, --scoring) or none\n");
        return;
    }
    if (b->attached && needs_own) {
        fprintf(stderr,
                "juli-bench: %s skipped: it starts its own "
                "daemons\n",
                name);
        return;
    }
    if (!b->smoke)
        fprintf(stderr, "juli-bench: %s...\n", name);
    uint64_t t0 = load_now_ns();
    if (fn(b) < 0) {
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

    s_run(&b, "intake", scenario_intake);
    s_run(&b, "pipeline", scenario_pipeline);
    s_run(&b, "catchup", scenario_catchup);
    s_run(&b, "cold", scenario_cold);
    s_run(&b, "floor", scenario_floor);

    report_print(&b, argc, argv);
    if (s_stop) {
        fprintf(stderr, "juli-bench: interrupted\n");
        return 130;
    }
    return b.errors ? 1 : 0;
}
