/*  report: the results as Markdown, with the command and the machine, so
 *  the README can quote it as it is. See bench.h.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bench.h"

#define MIB(kib) ((double)(kib) / 1024.0)

/* N with thousands separators, rounded, in one of 8 rotating buffers. */
static const char *s_num(double n)
{
    static char bufs[8][32];
    static int next;
    char *out = bufs[next++ % 8];
    char raw[32];
    snprintf(raw, sizeof raw, "%.0f", n < 0 ? 0 : n);
    size_t len = strlen(raw), o = 0;
    for (size_t i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = '\0';
    return out;
}

static double s_ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* -- the machine ------------------------------------------------------------
 */

static void s_first_line(const char *path, const char *key, char *out,
                         size_t size)
{
    char line[512];
    FILE *f = fopen(path, "r");
    snprintf(out, size, "unknown");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) != 0)
            continue;
        char *v = strchr(line, ':');
        v = v ? v + 1 : line + strlen(key);
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, size, "%s", v);
        break;
    }
    if (f)
        fclose(f);
}

/* The mount that holds DIR: its mount point, source and type. */
static void s_disk(const char *dir, char *out, size_t size)
{
    char real[PATH_MAX], line[1024], best[PATH_MAX] = "", what[512] = "?";
    if (!realpath(dir, real))
        snprintf(real, sizeof real, "%s", dir);
    FILE *f = fopen("/proc/self/mountinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        char mnt[PATH_MAX], fstype[64], source[256];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
            sscanf(dash + 3, "%63s %255s", fstype, source) != 2)
            continue;
        size_t n = strlen(mnt);
        int under = strncmp(real, mnt, n) == 0 &&
                    (real[n] == '/' || real[n] == '\0' || n == 1);
        if (under && n >= strlen(best)) {
            snprintf(best, sizeof best, "%s", mnt);
            snprintf(what, sizeof what, "%s (%s)", source, fstype);
        }
    }
    if (f)
        fclose(f);
    /* Rotational or not, from the block device when there is one. */
    char rot[16] = "", path[512];
    const char *dev = strrchr(what, '/');
    if (dev) {
        char name[64];
        snprintf(name, sizeof name, "%s", dev + 1);
        name[strcspn(name, " ")] = '\0';
        snprintf(path, sizeof path, "/sys/class/block/%s/queue/rotational",
                 name);
        FILE *r = fopen(path, "r");
        if (!r) {
            snprintf(path, sizeof path,
                     "/sys/class/block/%s/../queue/rotational", name);
            r = fopen(path, "r");
        }
        if (r && fgets(rot, sizeof rot, r))
            rot[strcspn(rot, "\n")] = '\0';
        if (r)
            fclose(r);
    }
    snprintf(out, size, "%s on %s, mounted at %s%s", dir, what, best,
             rot[0] == '0'   ? ", non-rotational"
             : rot[0] == '1' ? ", rotational"
                             : "");
}

static void s_machine(const bench_t *b, int argc, char **argv)
{
    char model[256], mem[64], load[128], disk[1024];
    struct utsname u;
    uname(&u);
    s_first_line("/proc/cpuinfo", "model name", model, sizeof model);
    s_first_line("/proc/meminfo", "MemTotal", mem, sizeof mem);
    s_first_line("/proc/loadavg", "", load, sizeof load);
    const char *tmp = getenv("TMPDIR");
    s_disk(tmp && *tmp ? tmp : "/tmp", disk, sizeof disk);
    int zmaj, zmin, zpat;
    zmq_version(&zmaj, &zmin, &zpat);
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));

    printf("## juli benchmark%s\n\n", b->smoke ? " (smoke run)" : "");
    printf("Command: `");
    const char *via = getenv("JULI_BENCH_VIA");
    if (via && *via)
        printf("%s` → `", via);
    for (int i = 0; i < argc; i++)
        printf("%s%s", i ? " " : "", argv[i]);
    printf("`\n\n");
    printf("| machine | |\n| --- | --- |\n");
    printf("| CPUs | %ld × %s |\n", sysconf(_SC_NPROCESSORS_ONLN), model);
    printf("| kernel | %s %s %s |\n", u.sysname, u.release, u.machine);
    printf("| memory | %.1f GiB |\n",
           (double)strtoull(mem, NULL, 10) / 1048576);
    printf("| temp dir | %s |\n", disk);
    printf("| load average at the end | %s |\n", load);
    printf("| SQLite, libzmq | %s, %d.%d.%d |\n", sqlite3_libversion(), zmaj,
           zmin, zpat);
    printf("| stores | WAL, synchronous=%s |\n",
           b->sync_full ? "FULL" : "NORMAL");
    printf("| daemons | %s/juli-* |\n", b->bin);
    printf("| date | %s |\n\n", date);
}

/* -- scenarios ---------------------------------------------------------------
 */

static void s_lat(const bench_point_t *p)
{
    printf("%.2f / %.2f / %.2f", s_ms(p->p50), s_ms(p->p99), s_ms(p->p999));
}

static void s_intake(const bench_t *b)
{
    printf("### Intake alone: durable acks against the baseline\n\n");
    printf("request.submit (Chinese text, the realistic mix), %u "
           "connections at most; the baseline is bench/baseline.c "
           "(decode, insert, one COMMIT per drained batch, ack).\n\n",
           b->conns);
    printf("| in flight | baseline acks/s | juli acks/s | ratio | "
           "baseline p50 / p99 / p99.9 ms | juli p50 / p99 / p99.9 ms | "
           "p99 ratio |\n");
    printf("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    uint64_t base_n = 0, juli_n = 0;
    for (size_t i = 0; i < b->npoints; i++) {
        const bench_point_t *x = &b->base[i], *j = &b->juli[i];
        if (!x->valid || !j->valid)
            continue;
        base_n += x->total;
        juli_n += j->total;
        printf("| %u | %s | %s | %.2f× | ", b->inflight[i], s_num(x->rate),
               s_num(j->rate), x->rate > 0 ? j->rate / x->rate : 0);
        s_lat(x);
        printf(" | ");
        s_lat(j);
        printf(" | %.2f× |\n", x->p99 ? (double)j->p99 / (double)x->p99 : 0);
    }
    printf("\nCPU per ack: baseline %.1f µs, juli-intake %.1f µs. Peak RSS: "
           "baseline %.1f MiB, juli-intake %.1f MiB. The generator's own "
           "CPU per request (baseline, juli):",
           base_n ? b->base_use.cpu_s * 1e6 / (double)base_n : 0,
           juli_n ? b->intake_use.cpu_s * 1e6 / (double)juli_n : 0,
           MIB(b->base_use.hwm_kib), MIB(b->intake_use.hwm_kib));
    for (size_t i = 0; i < b->npoints; i++)
        if (b->base[i].valid && b->juli[i].valid)
            printf("%s %u in flight %.1f, %.1f µs", i ? ";" : "",
                   b->inflight[i], b->base[i].gen_us, b->juli[i].gen_us);
    printf(".\n\n");
}

static void s_pipeline(const bench_t *b)
{
    static const char *const kinds[] = {"request.submit", "task.accept",
                                        "task.resolve", "followup.record"};
    printf("### The whole pipeline\n\n");
    printf("Submitted → task assigned → accepted → resolved → closed → "
           "points awarded. %u connections × %u in flight (a quarter "
           "submit to intake, the rest act on dispatch's tasks, found from "
           "its events).\n\n",
           b->conns, b->pipe_window);
    printf("| measure | value |\n| --- | ---: |\n");
    printf("| api requests/s, all four kinds | %s |\n",
           s_num(b->pipe_api_rate));
    printf("| requests/s end to end (closed) | %s |\n",
           s_num(b->pipe_e2e_rate));
    printf("| measured window | %.2f s |\n", b->pipe_secs);
    printf("| requests submitted, closed | %s, %s |\n",
           s_num((double)b->pipe_submitted), s_num((double)b->pipe_closed));
    printf("| max lag: dispatch, scoring (events) | %s, %s |\n",
           s_num((double)b->pipe_max_dlag), s_num((double)b->pipe_max_slag));
    if (b->pipe_caught_up)
        printf("| load stopped → all closed, scoring caught up | %.2f s |\n",
               b->pipe_drain_s);
    else
        printf("| load stopped → all closed, scoring caught up | never |\n");
    for (int i = 0; i < 3; i++)
        if (b->pipe_use[i].valid)
            printf("| %s: CPU, peak RSS | %.1f s, %.1f MiB |\n",
                   i == 0   ? "intake"
                   : i == 1 ? "dispatch"
                            : "scoring",
                   b->pipe_use[i].cpu_s, MIB(b->pipe_use[i].hwm_kib));
    printf("\n| request | replies | p50 ms | p99 ms | p99.9 ms |\n");
    printf("| --- | ---: | ---: | ---: | ---: |\n");
    for (int k = 0; k < 4; k++) {
        const bench_point_t *p = &b->pipe_kind[k];
        printf("| %s | %s | %.2f | %.2f | %.2f |\n", kinds[k],
               s_num((double)p->ok), s_ms(p->p50), s_ms(p->p99), s_ms(p->p999));
    }
    /* The lag over time, at most 16 rows. */
    printf("\nConsumer lag over time (events behind the upstream's "
           "last_seq):\n\n| t (s) | dispatch | scoring |\n"
           "| ---: | ---: | ---: |\n");
    size_t n = b->nsamples, step = n > 16 ? (n + 15) / 16 : 1;
    for (size_t i = 0; i < n; i += step) {
        const bench_sample_t *x = &b->samples[i];
        printf("| %.1f | %s | %s |\n", x->t, s_num((double)x->dispatch_lag),
               s_num((double)x->scoring_lag));
    }
    if (n && (n - 1) % step) {
        const bench_sample_t *x = &b->samples[n - 1];
        printf("| %.1f | %s | %s |\n", x->t, s_num((double)x->dispatch_lag),
               s_num((double)x->scoring_lag));
    }
    printf("\n");
}

static void s_catchup(const bench_t *b)
{
    printf("### Dispatch catching up\n\n");
    printf("intake took %s requests (at %s/s, 256 in flight) while "
           "dispatch was down; then dispatch started.\n\n",
           s_num((double)b->catchup_n), s_num(b->cu_submit_rate));
    printf("| events behind | exec → caught up | events/s | dispatch CPU | "
           "dispatch peak RSS | intake peak RSS |\n");
    printf("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    printf("| %s | %.2f s | %s | %.1f s | %.1f MiB | %.1f MiB |\n\n",
           s_num((double)b->cu_events), b->cu_secs, s_num(b->cu_rate),
           b->cu_use[1].cpu_s, MIB(b->cu_use[1].hwm_kib),
           MIB(b->cu_use[0].hwm_kib));
    printf("dispatch's start with its store: %.1f ms to the first health "
           "reply; intake's restart with %s requests in its store: "
           "%.1f ms.\n\n",
           b->cu_dispatch_cold_ms, s_num((double)b->catchup_n),
           b->cu_intake_restart_ms);
}

/* The largest VmHWM seen for daemon I (0 intake, 1 dispatch, 2 scoring)
 * under load. */
static uint64_t s_peak(const bench_t *b, int i)
{
    uint64_t m = b->pipe_use[i].hwm_kib;
    if (i == 0 && b->intake_use.hwm_kib > m)
        m = b->intake_use.hwm_kib;
    if (i < 2 && b->cu_use[i].hwm_kib > m)
        m = b->cu_use[i].hwm_kib;
    return m;
}

static void s_cold(const bench_t *b)
{
    static const char *const names[] = {"intake", "dispatch", "scoring"};
    printf("### Cold start and memory\n\n");
    printf("| daemon | exec → first health reply (empty store, median of "
           "%d) | RSS idle | peak RSS under load |\n",
           b->cold_reps);
    printf("| --- | ---: | ---: | ---: |\n");
    for (int i = 0; i < 3; i++) {
        uint64_t peak = s_peak(b, i);
        printf("| %s | ", names[i]);
        if (b->ran_cold)
            printf("%.1f ms | %.1f MiB | ", b->cold_ms[i],
                   MIB(b->idle_rss_kib[i]));
        else
            printf("– | – | ");
        if (peak)
            printf("%.1f MiB |\n", MIB(peak));
        else
            printf("– |\n");
    }
    printf("\n");
}

static void s_floor(const bench_t *b)
{
    static const char *const rows[] = {
        "the baseline's row: the request's frame",
        "the event log row, instead",
        "+ the request row (three indexes), two timeline rows and the "
        "status counter",
        "+ the idempotency key, looked up then stored: all that "
        "request.submit writes",
    };
    printf("### The floor: the rows behind one ack, in SQLite alone\n\n");
    printf("This process writes the rows itself (bench/floor.c): %s "
           "requests per level, %d per transaction, in intake's schema "
           "with intake's own statements, and no daemon, socket or "
           "validation (from level 2 the body is decoded to bind its "
           "values).\n\n",
           s_num((double)b->floor_n), FLOOR_BATCH);
    printf("| level | rows written per request | CPU µs per request | × "
           "level 0 |\n| ---: | --- | ---: | ---: |\n");
    for (int i = 0; i < 4; i++)
        printf("| %d | %s | %.1f | %.2f× |\n", i, rows[i], b->floor_us[i],
               b->floor_us[0] > 0 ? b->floor_us[i] / b->floor_us[0] : 0);
    printf("\n");
}

/* The in-flight point closest to 256. */
static int s_point256(const bench_t *b)
{
    int best = -1;
    for (size_t i = 0; i < b->npoints; i++)
        if (b->base[i].valid && b->juli[i].valid &&
            (best < 0 || abs((int)b->inflight[i] - 256) <
                             abs((int)b->inflight[best] - 256)))
            best = (int)i;
    return best;
}

static void s_verdict(const char *target, const char *measured, int pass)
{
    printf("| %s | %s | %s |\n", target, measured, pass ? "PASS" : "MISS");
}

static void s_targets(const bench_t *b)
{
    char m[160];
    printf("### Targets\n\n| target | measured | verdict |\n"
           "| --- | --- | --- |\n");
    int i = s_point256(b);
    if (b->ran_intake && i >= 0) {
        const bench_point_t *x = &b->base[i], *j = &b->juli[i];
        double r = x->rate > 0 ? j->rate / x->rate : 0;
        double q = x->p99 ? (double)j->p99 / (double)x->p99 : 99;
        char t[128];
        snprintf(t, sizeof t,
                 "intake acks/s at %u in flight ≥ 0.5× the "
                 "baseline's (synchronous=FULL)%s",
                 b->inflight[i], b->sync_full ? "" : " — ran NORMAL");
        snprintf(m, sizeof m, "%.2f× (%s vs %s)", r, s_num(j->rate),
                 s_num(x->rate));
        s_verdict(t, m, r >= 0.5);
        snprintf(t, sizeof t,
                 "intake p99 at %u in flight ≤ 2× the "
                 "baseline's",
                 b->inflight[i]);
        snprintf(m, sizeof m, "%.2f× (%.2f vs %.2f ms)", q, s_ms(j->p99),
                 s_ms(x->p99));
        s_verdict(t, m, q <= 2);
    }
    if (b->ran_pipeline) {
        snprintf(m, sizeof m,
                 "%s api requests/s (%s closed/s end to end), "
                 "lag %s",
                 s_num(b->pipe_api_rate), s_num(b->pipe_e2e_rate),
                 b->pipe_bounded ? "bounded" : "not bounded");
        s_verdict("pipeline ≥ 50,000 requests/s sustained, lag bounded", m,
                  b->pipe_api_rate >= 50000 && b->pipe_bounded);
    }
    if (b->ran_catchup) {
        snprintf(m, sizeof m, "%s events/s", s_num(b->cu_rate));
        s_verdict("catch-up ≥ 200,000 events/s", m, b->cu_rate >= 200000);
    }
    static const char *const names[] = {"intake", "dispatch", "scoring"};
    for (int d = 0; d < 3; d++) {
        uint64_t peak = s_peak(b, d);
        if (!peak)
            continue;
        char t[64];
        snprintf(t, sizeof t, "%s < 30 MiB RSS under load", names[d]);
        snprintf(m, sizeof m, "%.1f MiB", MIB(peak));
        s_verdict(t, m, MIB(peak) < 30);
    }
    printf("\nA MISS is reported, never a failure. The run fails only on a "
           "failed request, a mismatched reply or a scenario that could "
           "not run (%d here).\n",
           b->errors);
}

void report_print(const bench_t *b, int argc, char **argv)
{
    s_machine(b, argc, argv);
    if (b->ran_intake)
        s_intake(b);
    if (b->ran_pipeline)
        s_pipeline(b);
    if (b->ran_catchup)
        s_catchup(b);
    if (b->ran_cold || b->ran_intake || b->ran_pipeline)
        s_cold(b);
    if (b->ran_floor)
        s_floor(b);
    s_targets(b);
    fflush(stdout);
}
