/*  scenario: dispatch catching up after being down, and cold starts. See
 *  bench.h.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench.h"

/* -- catch-up ----------------------------------------------------------------
 */

/* Polls dispatch's stats until intake_applied reaches TARGET. Returns the
 * moment it did, or 0 after TIMEOUT_S. */
static uint64_t s_wait_caught_up(const bench_t *b, const proc_t *dispatch,
                                 uint64_t target, double timeout_s)
{
    char err[256];
    client_t *c = client_new(dispatch->api, 30000, err, sizeof err);
    uint64_t done = 0, applied = 0;
    if (c && bench_wait_stat(b, c, "stats", "intake_applied", target,
                             b->smoke ? 5 : 20, timeout_s, &applied) == 0)
        done = load_now_ns();
    else
        fprintf(stderr,
                "juli-bench: catch-up: dispatch applied %" PRIu64 " of %" PRIu64
                " events in %.0f s\n",
                applied, target, timeout_s);
    client_destroy(&c);
    return done;
}

int scenario_catchup(bench_t *b)
{
    proc_stack_t st;
    if (bench_stack_init(b, &st) < 0)
        return -1;
    int rc = -1;
    char err[256];
    uint64_t applied0 = 0, target = 0;
    if (proc_start(&st, &st.intake, 60000) < 0 ||
        proc_start(&st, &st.dispatch, 60000) < 0 ||
        bench_setup(b, &st, 1, 0) < 0)
        goto done;
    client_t *c = client_new(st.dispatch.api, 10000, err, sizeof err);
    int ok = c && bench_ask(c, "stats", "intake_applied", &applied0) == 0;
    client_destroy(&c);
    if (!ok || proc_stop(&st.dispatch) != 0) {
        fprintf(stderr, "juli-bench: catch-up: cannot stop dispatch\n");
        goto done;
    }

    /* dispatch is down: intake takes N requests. */
    if (!b->smoke)
        fprintf(stderr,
                "juli-bench: catch-up: submitting %" PRIu64
                " requests with dispatch down\n",
                b->catchup_n);
    double cpu_intake = bench_usage_begin(&st.intake);
    bench_point_t sub;
    if (bench_submit(b, st.intake.api, b->conns, 256, b->catchup_n, 0, 0, 1,
                     &sub) < 0)
        goto done;
    b->cu_submit_rate = sub.rate;
    c = client_new(st.intake.api, 10000, err, sizeof err);
    ok = c && bench_ask(c, "health", "last_seq", &target) == 0;
    client_destroy(&c);
    if (!ok)
        goto done;

    /* dispatch comes back: from exec until it has applied them all. */
    uint64_t t_exec = load_now_ns();
    if (proc_start(&st, &st.dispatch, 60000) < 0)
        goto done;
    b->cu_dispatch_cold_ms = (double)st.dispatch.cold_ns / 1e6;
    double timeout = 60 + (double)b->catchup_n / 5000;
    uint64_t t_done = s_wait_caught_up(b, &st.dispatch, target, timeout);
    bench_usage_end(&st.dispatch, 0, &b->cu_use[1]);
    bench_usage_end(&st.intake, cpu_intake, &b->cu_use[0]);
    if (!t_done)
        goto done;
    b->ran_catchup = 1;
    b->cu_events = target - applied0;
    b->cu_secs = (double)(t_done - t_exec) / 1e9;
    b->cu_rate = (double)b->cu_events / b->cu_secs;

    /* intake again, now with N requests in its store. */
    if (proc_stop(&st.intake) != 0 || proc_start(&st, &st.intake, 60000) < 0)
        goto done;
    b->cu_intake_restart_ms = (double)st.intake.cold_ns / 1e6;
    rc = 0;
done:
    if (proc_stack_cleanup(&st))
        rc = -1;
    return rc;
}

/* -- cold start -------------------------------------------------------------
 */

static int s_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int scenario_cold(bench_t *b)
{
    const char *names[3] = {"intake", "dispatch", "scoring"};
    int reps = b->cold_reps;
    assert(reps >= 1 && reps <= BENCH_MAX_COLD_REPS);
    for (int i = 0; i < 3; i++) {
        double ms[BENCH_MAX_COLD_REPS];
        uint64_t rss_max = 0;
        for (int r = 0; r < reps; r++) {
            proc_stack_t st;
            if (bench_stack_init(b, &st) < 0)
                return -1;
            proc_t *p = i == 0   ? &st.intake
                        : i == 1 ? &st.dispatch
                                 : &st.scoring;
            if (proc_start(&st, p, 60000) < 0) {
                fprintf(stderr, "juli-bench: cold: %s did not start\n",
                        names[i]);
                proc_stack_cleanup(&st);
                return -1;
            }
            ms[r] = (double)p->cold_ns / 1e6;
            /* Idle: started, its first follow polls done. */
            usleep(b->smoke ? 50000 : 1500000);
            uint64_t rss = 0, hwm = 0;
            proc_mem(p->pid, &rss, &hwm);
            if (rss > rss_max)
                rss_max = rss;
            int code = proc_stop(p);
            proc_stack_cleanup(&st);
            if (code != 0) {
                fprintf(stderr, "juli-bench: cold: %s exited %d\n", names[i],
                        code);
                return -1;
            }
        }
        qsort(ms, (size_t)reps, sizeof ms[0], s_cmp);
        b->cold_ms[i] = ms[reps / 2];
        b->idle_rss_kib[i] = rss_max;
    }
    b->ran_cold = 1;
    return 0;
}
