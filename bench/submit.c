/*  submit: request.submit at a fixed number in flight, the set-up of a
 *  community, and the intake scenario (juli-intake against the baseline
 *  server). See bench.h.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"
#include "mix.h"

#define SETUP_WINDOW 32

int bench_wants(const bench_t *b, const char *name)
{
    if (!b->only[0])
        return 1;
    size_t n = strlen(name);
    for (const char *p = b->only; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len + (end ? 1 : 0);
    }
    return 0;
}

int bench_stack_init(const bench_t *b, proc_stack_t *st)
{
    if (proc_stack_init(st, b->bin, b->baseline, b->sync_full) < 0)
        return -1;
    proc_t *d[3] = {&st->intake, &st->dispatch, &st->scoring};
    for (int i = 0; i < 3; i++)
        snprintf(d[i]->wrap, sizeof d[i]->wrap, "%s", b->wrap[i]);
    return 0;
}

double bench_usage_begin(const proc_t *p)
{
    return p->pid > 0 ? proc_cpu_s(p->pid) : 0;
}

void bench_usage_end(const proc_t *p, double cpu0, bench_usage_t *u)
{
    uint64_t rss, hwm;
    if (p->pid <= 0 || proc_mem(p->pid, &rss, &hwm) < 0)
        return;
    double cpu = proc_cpu_s(p->pid);
    u->cpu_s += cpu >= cpu0 ? cpu - cpu0 : 0;
    if (hwm > u->hwm_kib)
        u->hwm_kib = hwm;
    u->valid = 1;
}

void bench_point(load_t *l, int kind, uint64_t t_from, uint64_t t_to,
                 bench_point_t *out)
{
    load_kind_t *k = (load_kind_t *)load_kind(l, kind);
    load_sort(k->lat_ns, k->nlat);
    out->ok = k->ok;
    out->secs = (double)(t_to - t_from) / 1e9;
    out->rate = out->secs > 0 ? (double)k->ok / out->secs : 0;
    out->p50 = load_percentile(k->lat_ns, k->nlat, 0.50);
    out->p99 = load_percentile(k->lat_ns, k->nlat, 0.99);
    out->p999 = load_percentile(k->lat_ns, k->nlat, 0.999);
    out->valid = k->ok > 0;
}

double bench_self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static int s_clean(const load_t *l)
{
    return load_failures(l) == 0 && load_mismatches(l) == 0 &&
           load_lost(l) == 0;
}

/* -- one load point of request.submit ----------------------------------------
 */

typedef struct {
    uint64_t count, issued, total_ok;
    int routed, expect_ref, warmed;
    uint64_t t0, t_warm, warm_ns, dur_ns;
} s_submit_t;

static void s_submit_fill(void *ctx, load_t *l, int conn, unsigned room)
{
    s_submit_t *s = ctx;
    while (room-- && (s->count == 0 || s->issued < s->count)) {
        pack_t *p = load_begin(l, conn, "request.submit", K_SUBMIT, 0);
        mix_submit_body(p, s->issued++, s->routed);
        load_send(l, conn);
    }
}

static void s_submit_reply(void *ctx, load_t *l, int conn, int kind,
                           uint64_t user, const msgpack_object *reply, int ok)
{
    s_submit_t *s = ctx;
    (void)conn, (void)kind, (void)user;
    if (!ok)
        return;
    s->total_ok++;
    if (!s->expect_ref) /* the baseline acks with {ok, id} only */
        return;
    char ref[32], status[32];
    load_str(reply, "ref", ref, sizeof ref);
    load_str(reply, "status", status, sizeof status);
    if (ref[0] != 'R' || (strcmp(status, "accepted") != 0 &&
                          (s->routed || strcmp(status, "triage") != 0)))
        load_mismatch(l, "submit answered ref '%s' status '%s'", ref, status);
}

static int s_submit_tick(void *ctx, load_t *l, uint64_t now)
{
    s_submit_t *s = ctx;
    if (!s->warmed && now - s->t0 >= s->warm_ns) {
        load_reset(l);
        s->t_warm = now;
        s->warmed = 1;
    }
    if (s->count ? s->issued >= s->count : now - s->t0 >= s->dur_ns)
        return LOAD_DRAIN;
    return LOAD_GO;
}

int bench_submit(bench_t *b, const char *endpoint, unsigned conns,
                 unsigned inflight, uint64_t count, double duration_s,
                 int routed, int expect_ref, bench_point_t *out)
{
    load_t *l = load_new(b->stop, b->random_ids);
    if (!l)
        return -1;
    load_kind_name(l, K_SUBMIT, "request.submit");
    if (conns > inflight)
        conns = inflight;
    unsigned window = (inflight + conns - 1) / conns;
    for (unsigned i = 0; i < conns; i++)
        if (load_connect(l, endpoint, window) < 0) {
            load_destroy(&l);
            return -1;
        }
    s_submit_t s = {.count = count, .routed = routed, .expect_ref = expect_ref};
    s.t0 = load_now_ns();
    /* A warm-up (caches, the WAL's first pages) outside the measure when
     * the point runs for a duration. */
    s.warm_ns = count ? 0 : (uint64_t)(duration_s * 1e8);
    s.dur_ns = (uint64_t)(duration_s * 1e9);
    load_hooks_t hooks = {
        .fill = s_submit_fill, .reply = s_submit_reply, .tick = s_submit_tick};
    double cpu0 = bench_self_cpu_s();
    int rc = load_run(l, &hooks, &s, 5);
    bench_point(l, K_SUBMIT, s.t_warm, load_now_ns(), out);
    out->total = s.total_ok;
    out->gen_us =
        s.total_ok ? (bench_self_cpu_s() - cpu0) * 1e6 / (double)s.total_ok : 0;
    if (rc < 0 || !s_clean(l))
        rc = -1;
    load_destroy(&l);
    return rc;
}

/* -- set-up -----------------------------------------------------------------
 */

typedef struct {
    const char *type;
    size_t n, issued;
    void (*body)(pack_t *p, size_t i, void *arg);
    void *arg;
} s_batch_t;

static void s_batch_fill(void *ctx, load_t *l, int conn, unsigned room)
{
    s_batch_t *s = ctx;
    while (room-- && s->issued < s->n) {
        pack_t *p = load_begin(l, conn, s->type, K_SETUP, s->issued);
        s->body(p, s->issued++, s->arg);
        load_send(l, conn);
    }
}

static int s_batch_tick(void *ctx, load_t *l, uint64_t now)
{
    s_batch_t *s = ctx;
    (void)l, (void)now;
    return s->issued == s->n ? LOAD_DRAIN : LOAD_GO;
}

int bench_batch(bench_t *b, const char *endpoint, const char *type, size_t n,
                void (*body)(pack_t *p, size_t i, void *arg), void *arg)
{
    load_t *l = load_new(b->stop, b->random_ids);
    /* One connection: requests are applied in the order sent (a parent
     * before its children). */
    if (!l || load_connect(l, endpoint, SETUP_WINDOW) < 0) {
        load_destroy(&l);
        return -1;
    }
    load_kind_name(l, K_SETUP, type);
    s_batch_t s = {.type = type, .n = n, .body = body, .arg = arg};
    load_hooks_t hooks = {.fill = s_batch_fill, .tick = s_batch_tick};
    int rc = load_run(l, &hooks, &s, 5);
    if (rc == 0 && !s_clean(l)) {
        fprintf(stderr, "juli-bench: set-up: %s failed\n", type);
        rc = -1;
    }
    load_destroy(&l);
    return rc;
}

int bench_ask(client_t *c, const char *type, const char *path, uint64_t *out)
{
    pack_t p;
    pack_init(&p);
    pack_map(&p, 1);
    pack_kstr(&p, "type", type);
    msgpack_object reply;
    char err[256];
    int rc =
        client_call(c, pack_data(&p), pack_size(&p), &reply, err, sizeof err);
    pack_free(&p);
    if (rc < 0) {
        fprintf(stderr, "juli-bench: %s: %s\n", type, err);
        return -1;
    }
    const msgpack_object *v = load_get(&reply, path);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
        fprintf(stderr, "juli-bench: %s: no %s in the reply\n", type, path);
        return -1;
    }
    *out = v->via.u64;
    return 0;
}

int bench_wait_stat(const bench_t *b, client_t *c, const char *type,
                    const char *path, uint64_t target, unsigned step_ms,
                    double timeout_s, uint64_t *got)
{
    uint64_t deadline = load_now_ns() + (uint64_t)(timeout_s * 1e9);
    *got = 0;
    while (!*b->stop && bench_ask(c, type, path, got) == 0) {
        if (*got >= target)
            return 0;
        if (load_now_ns() >= deadline)
            break;
        usleep(step_ms * 1000);
    }
    return -1;
}

static void s_grid_body(pack_t *p, size_t i, void *arg)
{
    mix_grid_body(p, &((const mix_node_t *)arg)[i]);
}
static void s_staff_body(pack_t *p, size_t i, void *arg)
{
    (void)arg;
    mix_staff_body(p, i);
}
static void s_unit_body(pack_t *p, size_t i, void *arg)
{
    (void)arg;
    mix_unit_body(p, i);
}
static void s_member_body(pack_t *p, size_t i, void *arg)
{
    (void)arg;
    mix_member_body(p, i);
}

/* Waits until DOWN's stats APPLIED reaches UP's last_seq (10 s at most). */
static int s_wait_applied(const bench_t *b, const proc_t *up,
                          const proc_t *down, const char *applied)
{
    char err[256];
    client_t *cu = client_new(up->api, 5000, err, sizeof err);
    client_t *cd = client_new(down->api, 5000, err, sizeof err);
    int rc = -1;
    uint64_t last = 0, got = 0;
    if (cu && cd && bench_ask(cu, "health", "last_seq", &last) == 0)
        rc = bench_wait_stat(b, cd, "stats", applied, last, 10, 10, &got);
    if (rc < 0)
        fprintf(stderr, "juli-bench: %s applied %llu of %s's %llu events\n",
                down->name, (unsigned long long)got, up->name,
                (unsigned long long)last);
    client_destroy(&cu);
    client_destroy(&cd);
    return rc;
}

int bench_setup(bench_t *b, proc_stack_t *st, int dispatch, int scoring)
{
    mix_node_t nodes[64];
    size_t n = mix_nodes(nodes, 64);
    if (bench_batch(b, st->intake.api, "grid.define", n, s_grid_body, nodes) <
        0)
        return -1;
    if (dispatch &&
        (s_wait_applied(b, &st->intake, &st->dispatch, "intake_applied") <
             0 ||
         bench_batch(b, st->dispatch.api, "staff.assign", mix_staff_count(),
                     s_staff_body, NULL) < 0 ||
         bench_batch(b, st->dispatch.api, "unit.register", mix_unit_count(),
                     s_unit_body, NULL) < 0))
        return -1;
    if (scoring && bench_batch(b, st->scoring.api, "member.register",
                               mix_member_count(), s_member_body, NULL) < 0)
        return -1;
    return 0;
}

/* -- the intake scenario ----------------------------------------------------
 */

/* Starts P unless the caller runs it (attach mode). */
static int s_start(bench_t *b, proc_stack_t *st, proc_t *p, int which)
{
    if (which >= 0 && b->attach_api[which][0]) {
        snprintf(p->api, sizeof p->api, "%s", b->attach_api[which]);
        p->pid = b->attach_pid[which];
        p->owned = 0;
        return 0;
    }
    return proc_start(st, p, 60000);
}

int scenario_intake(bench_t *b)
{
    proc_stack_t st;
    if (bench_stack_init(b, &st) < 0)
        return -1;
    int rc = -1;
    if (s_start(b, &st, &st.baseline_srv, -1) < 0 ||
        s_start(b, &st, &st.intake, 0) < 0 || bench_setup(b, &st, 0, 0) < 0)
        goto done;
    b->ran_intake = 1;
    for (size_t i = 0; i < b->npoints; i++) {
        unsigned f = b->inflight[i];
        /* The baseline first, then juli, point by point, so a noisy
         * neighbour disturbs both alike. */
        proc_t *who[2] = {&st.baseline_srv, &st.intake};
        bench_point_t *res[2] = {&b->base[i], &b->juli[i]};
        bench_usage_t *use[2] = {&b->base_use, &b->intake_use};
        for (int k = 0; k < 2; k++) {
            double cpu0 = bench_usage_begin(who[k]);
            if (bench_submit(b, who[k]->api, b->conns, f, b->count,
                             b->duration_s, 0, who[k] == &st.intake,
                             res[k]) < 0) {
                fprintf(stderr, "juli-bench: %s at %u in flight failed\n",
                        who[k]->name, f);
                goto done;
            }
            bench_usage_end(who[k], cpu0, use[k]);
        }
    }
    rc = 0;
done:
    if (proc_stack_cleanup(&st))
        rc = -1;
    return rc;
}
