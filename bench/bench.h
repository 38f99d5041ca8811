/*  bench: juli's benchmark, its settings, its scenarios and their
 *  results.
 *
 *  A bench_t holds what the command line chose and what each scenario
 *  measured; main runs the scenarios in order and report prints them as
 *  Markdown. Every scenario starts its own daemons in a fresh temporary
 *  dir (proc) and drives them with the load engine (load), saying what
 *  the other services would (mix). Scenarios:
 *
 *    intake     the baseline server, then juli-intake, each at every
 *               in-flight level: durable acks/s and latency (submit.c);
 *    pipeline   the whole stack: submitted -> task assigned -> accepted ->
 *               resolved -> closed -> points awarded, with the consumers'
 *               lag sampled over time (pipeline.c);
 *    catchup    dispatch down while intake takes N requests, then started:
 *               how fast it applies the backlog (scenario.c);
 *    cold       exec to first health reply, and idle RSS (scenario.c);
 *    floor      the rows behind one of intake's acks written by this
 *               process alone, against the baseline's one row: what
 *               SQLite costs here per request, with no daemon (floor.c).
 *
 *  A scenario that cannot run (a daemon that does not start, requests that
 *  fail) says why on stderr and counts an error: the run then exits
 *  non-zero. A target that is missed is only reported.
 */
#ifndef JULI_BENCH_H
#define JULI_BENCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "load.h"
#include "proc.h"

#define BENCH_MAX_POINTS    4
#define BENCH_MAX_SAMPLES   4096
#define BENCH_MAX_COLD_REPS 32

/* Kinds of request, for latency. */
enum {
    K_SUBMIT,
    K_ACCEPT,
    K_RESOLVE,
    K_FOLLOWUP,
    K_MONITOR, /* health and stats polls */
    K_FETCH,   /* events.since */
    K_SETUP,   /* grid, staff, units, members */
};

typedef struct {
    uint64_t ok;             /* replies ok in the measured window */
    uint64_t total;          /* replies ok, warm-up included */
    double secs;             /* the measured window */
    double rate;             /* ok / secs */
    uint64_t p50, p99, p999; /* ns */
    double gen_us;           /* the generator's CPU per reply */
    int valid;
} bench_point_t;

typedef struct {
    double cpu_s;     /* user + system during the scenario */
    uint64_t hwm_kib; /* VmHWM at its end */
    int valid;
} bench_usage_t;

typedef struct {
    double t;              /* seconds since the load started */
    uint64_t dispatch_lag; /* intake last_seq - dispatch intake_applied */
    uint64_t scoring_lag;  /* dispatch last_seq - scoring applied */
} bench_sample_t;

typedef struct {
    /* settings */
    volatile sig_atomic_t *stop;
    const char *bin;    /* the daemons' dir */
    char baseline[512]; /* the juli-baseline binary */
    int sync_full;
    int smoke;
    int random_ids; /* idempotency keys in no order */
    char only[128];    /* "" or a comma list of scenarios */
    double duration_s; /* per intake point, when count is 0 */
    uint64_t count;    /* per intake point */
    unsigned conns;    /* connections of a load point */
    unsigned inflight[BENCH_MAX_POINTS];
    size_t npoints;
    double pipeline_s;    /* pipeline run, when pipeline_flows is 0 */
    unsigned pipe_window; /* in flight per pipeline connection */
    uint64_t pipeline_flows;
    uint64_t catchup_n;
    int cold_reps;    /* 1..BENCH_MAX_COLD_REPS */
    uint64_t floor_n; /* requests per floor level */
    char wrap[3][256]; /* intake, dispatch, scoring run under
                          this command (valgrind ...), or "" */
    /* daemons started by the caller (attach mode): api and pid */
    char attach_api[3][64];
    char attach_events[3][64]; /* "" when not given */
    int attach_pid[3];
    int attached;

    /* results */
    int errors;
    bench_point_t base[BENCH_MAX_POINTS], juli[BENCH_MAX_POINTS];
    bench_usage_t base_use, intake_use;
    int ran_intake;

    int ran_pipeline;
    double pipe_secs;     /* steady window */
    double pipe_api_rate; /* api requests ok / s */
    double pipe_e2e_rate; /* requests closed / s */
    uint64_t pipe_closed, pipe_submitted;
    bench_point_t pipe_kind[4]; /* submit, accept, resolve, follow-up */
    bench_sample_t samples[BENCH_MAX_SAMPLES];
    size_t nsamples;
    uint64_t pipe_max_dlag, pipe_max_slag;
    double pipe_drain_s; /* load stopped -> scoring caught up */
    int pipe_caught_up, pipe_bounded;
    bench_usage_t pipe_use[3]; /* intake, dispatch, scoring */

    int ran_catchup;
    uint64_t cu_events;
    double cu_secs, cu_rate;
    double cu_submit_rate;
    double cu_dispatch_cold_ms, cu_intake_restart_ms;
    bench_usage_t cu_use[2]; /* intake, dispatch */

    int ran_cold;
    double cold_ms[3];
    uint64_t idle_rss_kib[3];

    int ran_floor;
    double floor_us[4]; /* CPU per request, level 0..3 (floor.c) */
} bench_t;

/* True when scenario NAME is to run. */
int bench_wants(const bench_t *b, const char *name);

/* proc_stack_init with B's settings, and B's wrap commands set. */
int bench_stack_init(const bench_t *b, proc_stack_t *st);

/* -- submit.c ---------------------------------------------------------------
 */

/* Runs request.submit against ENDPOINT with CONNS connections sharing
 * INFLIGHT requests, for COUNT requests (or DURATION_S seconds when COUNT
 * is 0); ROUTED as in mix_submit_body. With EXPECT_REF (juli-intake) a
 * reply must carry a ref and a status, else it is a mismatch; without
 * (the baseline's bare acks) only ok counts. Fills OUT. Returns 0, or -1
 * when a request failed or a reply did not match. */
int bench_submit(bench_t *b, const char *endpoint, unsigned conns,
                 unsigned inflight, uint64_t count, double duration_s,
                 int routed, int expect_ref, bench_point_t *out);

/* Fills OUT from the replies of KIND that L gathered between T_FROM and
 * T_TO (load_now_ns): the count, the rate over that window, and the
 * latency percentiles (L's latencies of KIND are sorted in place). */
void bench_point(load_t *l, int kind, uint64_t t_from, uint64_t t_to,
                 bench_point_t *out);

/* Sends N requests of TYPE to ENDPOINT, 32 in flight; BODY writes the
 * I-th body. Returns 0, or -1 when one failed. */
int bench_batch(bench_t *b, const char *endpoint, const char *type, size_t n,
                void (*body)(pack_t *p, size_t i, void *arg), void *arg);

/* One blocking query of TYPE (no body) on C: writes the reply's integer
 * at PATH to *OUT. Returns 0, or -1. */
int bench_ask(client_t *c, const char *type, const char *path, uint64_t *out);

/* Asks C for TYPE every STEP_MS until the integer at PATH reaches TARGET,
 * for TIMEOUT_S at most, or until B's stop flag is set; *GOT is the last
 * value read (0 when none was). Returns 0 once it reached TARGET, or -1
 * (the timeout, the flag, a failed ask). */
int bench_wait_stat(const bench_t *b, client_t *c, const char *type,
                    const char *path, uint64_t target, unsigned step_ms,
                    double timeout_s, uint64_t *got);

/* Defines the community in intake and, when DISPATCH is running, its
 * staff and units there (after dispatch has heard of every node); when
 * SCORING is running, the members there. Returns 0 or -1. */
int bench_setup(bench_t *b, proc_stack_t *st, int dispatch, int scoring);

/* The generator's own CPU time so far (its ZeroMQ thread included). */
double bench_self_cpu_s(void);

/* Reads P's CPU time now (for a later bench_usage_end). */
double bench_usage_begin(const proc_t *p);
void bench_usage_end(const proc_t *p, double cpu0, bench_usage_t *u);

/* The intake scenario: baseline and intake at every in-flight level. */
int scenario_intake(bench_t *b);

/* -- pipeline.c -------------------------------------------------------------
 */

int scenario_pipeline(bench_t *b);

/* -- scenario.c -------------------------------------------------------------
 */

int scenario_catchup(bench_t *b);
int scenario_cold(bench_t *b);

/* -- floor.c ----------------------------------------------------------------
 */

/* Requests per transaction of the floor's writes. */
#define FLOOR_BATCH 256

int scenario_floor(bench_t *b);

/* -- report.c ---------------------------------------------------------------
 */

/* Prints the Markdown report of everything that ran, with the command
 * ARGV and the machine's facts. */
void report_print(const bench_t *b, int argc, char **argv);

#endif
