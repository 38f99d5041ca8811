/*  pipeline: the whole stack under a realistic load, as the other services
 *  would drive it.
 *
 *  A flow is one resident's request through its whole life:
 *
 *    submit (intake) ──> task.assigned seen ──> task.accept ──> task.resolve
 *      ──> followup.record (dispatch) ──> task.closed ──> points (scoring)
 *
 *  The generator plays residents (the submit connections) and assignees
 *  (the dispatch connections). It learns of tasks the way a follower
 *  would: dispatch's events on SUB, applied in seq order; a gap, or no
 *  event for 100 ms while tasks are still unseen, fetches the log with
 *  events.since (PUB may drop). Submissions stop while more than a backlog
 *  of flows is open, so the stack runs at the rate its slowest stage
 *  sustains instead of queueing without end.
 *
 *  Every half second (every 20 ms once the load stops) three monitor
 *  connections ask intake's health, dispatch's stats and scoring's stats:
 *  dispatch's lag is intake's last_seq minus dispatch's intake_applied,
 *  scoring's is dispatch's last_seq minus its dispatch_applied. The run
 *  ends when every flow is closed and a sample taken after that shows both
 *  consumers caught up; then the counts are checked end to end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "bench.h"
#include "frame.h"
#include "mix.h"

#define P_FETCH_LIMIT   10000
#define P_IDLE_FETCH_NS 100000000u
#define P_STAGE_SHIFT   56

enum { P_ACCEPT, P_RESOLVE, P_FOLLOWUP };
enum { M_INTAKE, M_DISPATCH, M_SCORING };

typedef struct {
    char by[64]; /* the assignee, from task.assigned */
} p_flow_t;

typedef struct {
    bench_t *b;
    proc_stack_t *st;
    load_t *l;
    frame_decoder_t *dec;
    void *sub;
    int nsubmit, ndispatch, mon[3], fetch;

    p_flow_t *flows; /* by task number */
    size_t capflows;
    uint64_t *ring; /* work: task number | stage << P_STAGE_SHIFT */
    size_t rhead, rlen, rcap;

    uint64_t target, backlog;
    uint64_t issued, submit_done, accepted, closed, dead, discovered;
    uint64_t expected_entries;
    int submitting;

    uint64_t cursor, last_event_ns;
    int fetching;

    uint64_t t0, t_warm, t_stop, t_open0, warm_ns, dur_ns, deadline;
    int warmed, stopped, caught_up;
    uint64_t api_ok_at_stop, closed_at_warm, closed_at_stop;

    uint64_t sample_ns, next_sample, sample_sent;
    int sample_wait;
    uint64_t intake_last, dispatch_last, d_applied, s_applied;
} p_pipe_t;

/* -- flows and work ----------------------------------------------------------
 */

static int s_push(p_pipe_t *s, uint64_t item)
{
    if (s->rlen == s->rcap) {
        size_t cap = s->rcap ? s->rcap * 2 : 4096;
        uint64_t *r = malloc(cap * sizeof *r);
        if (!r)
            return -1;
        for (size_t i = 0; i < s->rlen; i++)
            r[i] = s->ring[(s->rhead + i) % s->rcap];
        free(s->ring);
        s->ring = r;
        s->rcap = cap;
        s->rhead = 0;
    }
    s->ring[(s->rhead + s->rlen++) % s->rcap] = item;
    return 0;
}

static uint64_t s_pop(p_pipe_t *s)
{
    uint64_t item = s->ring[s->rhead];
    s->rhead = (s->rhead + 1) % s->rcap;
    s->rlen--;
    return item;
}

static p_flow_t *s_flow(p_pipe_t *s, uint64_t task)
{
    if (task >= s->capflows) {
        size_t cap = s->capflows ? s->capflows : 4096;
        while (cap <= task)
            cap *= 2;
        p_flow_t *f = realloc(s->flows, cap * sizeof *f);
        if (!f)
            return NULL;
        memset(f + s->capflows, 0, (cap - s->capflows) * sizeof *f);
        s->flows = f;
        s->capflows = cap;
    }
    return &s->flows[task];
}

/* One of dispatch's events, in seq order: a task.assigned starts work. */
static void s_apply(p_pipe_t *s, const msgpack_object *ev)
{
    char type[32], task[32], by[64];
    load_str(ev, "type", type, sizeof type);
    if (strcmp(type, "task.assigned") != 0)
        return;
    load_str(ev, "data.task", task, sizeof task);
    load_str(ev, "data.assignee.id", by, sizeof by);
    char *end = NULL;
    uint64_t no = task[0] == 'T' ? strtoull(task + 1, &end, 10) : 0;
    p_flow_t *f = no && end && !*end && by[0] ? s_flow(s, no) : NULL;
    if (!f) {
        load_mismatch(s->l, "task.assigned without a task or assignee");
        return;
    }
    snprintf(f->by, sizeof f->by, "%s", by);
    s->discovered++;
    s_push(s, no | (uint64_t)P_ACCEPT << P_STAGE_SHIFT);
}

static void s_fetch(p_pipe_t *s)
{
    pack_t *p = load_begin(s->l, s->fetch, "events.since", K_FETCH, 0);
    if (!p)
        return;
    pack_map(p, 2);
    pack_kuint(p, "after", s->cursor);
    pack_kuint(p, "limit", P_FETCH_LIMIT);
    if (load_send(s->l, s->fetch) == 0)
        s->fetching = 1;
}

/* -- hooks -------------------------------------------------------------------
 */

static void s_fill(void *ctx, load_t *l, int conn, unsigned room)
{
    p_pipe_t *s = ctx;
    if (conn < s->nsubmit) {
        while (room-- && s->submitting &&
               s->issued - s->closed - s->dead < s->backlog &&
               (!s->target || s->issued < s->target)) {
            pack_t *p = load_begin(l, conn, "request.submit", K_SUBMIT, 0);
            mix_submit_body(p, s->issued++, 1);
            load_send(l, conn);
        }
        return;
    }
    if (conn >= s->nsubmit + s->ndispatch)
        return;
    static const char *const types[] = {"task.accept", "task.resolve",
                                        "followup.record"};
    while (room-- && s->rlen) {
        uint64_t item = s_pop(s);
        uint64_t no = item & ((1ull << P_STAGE_SHIFT) - 1);
        int stage = (int)(item >> P_STAGE_SHIFT);
        char task[24];
        snprintf(task, sizeof task, "T%08" PRIu64, no);
        const char *by = s->flows[no].by;
        pack_t *p = load_begin(l, conn, types[stage], K_ACCEPT + stage, item);
        if (stage == P_ACCEPT)
            mix_accept_body(p, task, by);
        else if (stage == P_RESOLVE)
            mix_resolve_body(p, task, by, no);
        else
            mix_followup_body(p, task, no);
        load_send(l, conn);
    }
}

/* A - B, or 0 when B is larger: counts read at different moments (a lag,
 * flows still open) never wrap. */
static uint64_t s_gap(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static void s_sample_done(p_pipe_t *s)
{
    bench_t *b = s->b;
    uint64_t now = load_now_ns();
    bench_sample_t smp = {
        .t = (double)(s->sample_sent - s->t0) / 1e9,
        .dispatch_lag = s_gap(s->intake_last, s->d_applied),
        .scoring_lag = s_gap(s->dispatch_last, s->s_applied),
    };
    if (b->nsamples < BENCH_MAX_SAMPLES)
        b->samples[b->nsamples++] = smp;
    if (s->t_open0 && s->sample_sent >= s->t_open0 && smp.dispatch_lag == 0 &&
        smp.scoring_lag == 0 && !s->caught_up) {
        s->caught_up = 1;
        b->pipe_drain_s = (double)(now - s->t_stop) / 1e9;
    }
}

static void s_reply(void *ctx, load_t *l, int conn, int kind, uint64_t user,
                    const msgpack_object *reply, int ok)
{
    p_pipe_t *s = ctx;
    uint64_t no = user & ((1ull << P_STAGE_SHIFT) - 1);
    char status[32];
    (void)conn;
    switch (kind) {
    case K_SUBMIT:
        s->submit_done++;
        if (!ok)
            break;
        if (strcmp(load_str(reply, "status", status, sizeof status),
                   "accepted") == 0)
            s->accepted++;
        else
            load_mismatch(l, "a routed request was answered '%s'", status);
        break;
    case K_ACCEPT:
    case K_RESOLVE:
        if (!ok)
            s->dead++;
        else
            s_push(s, no | (uint64_t)(kind - K_ACCEPT + 1) << P_STAGE_SHIFT);
        break;
    case K_FOLLOWUP:
        if (!ok) {
            s->dead++;
            break;
        }
        s->closed++;
        s->expected_entries += mix_participants(no);
        break;
    case K_FETCH: {
        s->fetching = 0;
        const msgpack_object *evs = load_get(reply, "events");
        if (!ok || !evs || evs->type != MSGPACK_OBJECT_ARRAY)
            break;
        for (uint32_t i = 0; i < evs->via.array.size; i++) {
            uint64_t seq = load_uint(&evs->via.array.ptr[i], "seq", 0);
            if (seq != s->cursor + 1)
                continue;
            s_apply(s, &evs->via.array.ptr[i]);
            s->cursor = seq;
        }
        s->last_event_ns = load_now_ns();
        if (evs->via.array.size == P_FETCH_LIMIT)
            s_fetch(s);
        break;
    }
    case K_MONITOR:
        if (user == M_INTAKE)
            s->intake_last = load_uint(reply, "last_seq", 0);
        else if (user == M_DISPATCH) {
            s->dispatch_last = load_uint(reply, "last_seq", 0);
            s->d_applied = load_uint(reply, "intake_applied", 0);
        } else
            s->s_applied = load_uint(reply, "dispatch_applied", 0);
        if (--s->sample_wait == 0)
            s_sample_done(s);
        break;
    default:
        break;
    }
}

static void s_watch(void *ctx, load_t *l, void *zsock)
{
    p_pipe_t *s = ctx;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
        int more = 1, parts = 0;
        while (more) {
            if (zmq_msg_recv(&msg, zsock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&msg);
                return;
            }
            more = zmq_msg_more(&msg);
            parts++;
        }
        msgpack_object ev;
        char err[128];
        if (parts != 2 ||
            frame_decode(s->dec, zmq_msg_data(&msg), zmq_msg_size(&msg), &ev,
                         err, sizeof err) < 0) {
            load_mismatch(l, "an event that does not decode");
            continue;
        }
        uint64_t seq = load_uint(&ev, "seq", 0);
        if (seq <= s->cursor)
            continue;
        if (seq == s->cursor + 1) {
            s_apply(s, &ev);
            s->cursor = seq;
            s->last_event_ns = load_now_ns();
        } else if (!s->fetching)
            s_fetch(s); /* a gap: the log has what PUB dropped */
    }
}

static void s_ask(p_pipe_t *s, int which, const char *type)
{
    pack_t *p =
        load_begin(s->l, s->mon[which], type, K_MONITOR, (uint64_t)which);
    if (!p)
        return;
    pack_map(p, 0);
    if (load_send(s->l, s->mon[which]) == 0)
        s->sample_wait++;
}

static int s_tick(void *ctx, load_t *l, uint64_t now)
{
    p_pipe_t *s = ctx;
    if (!s->warmed && now - s->t0 >= s->warm_ns) {
        load_reset(l);
        s->t_warm = now;
        s->closed_at_warm = s->closed;
        s->warmed = 1;
    }
    if (!s->stopped && (s->target ? s->submit_done >= s->target &&
                                        s->closed + s->dead >= s->accepted
                                  : now - s->t0 >= s->dur_ns)) {
        s->stopped = 1;
        s->submitting = 0;
        s->t_stop = now;
        s->closed_at_stop = s->closed;
        for (int k = K_SUBMIT; k <= K_FOLLOWUP; k++)
            s->api_ok_at_stop += load_kind(l, k)->ok;
        s->sample_ns = 20000000u;
        s->next_sample = now;
        s->deadline = now + (s->b->smoke ? 8000000000u : 60000000000u);
    }
    if (s->stopped && !s->t_open0 && s->submit_done == s->issued &&
        s->closed + s->dead == s->accepted)
        s->t_open0 = now;
    if (s->caught_up)
        return LOAD_STOP;
    if (s->stopped && now >= s->deadline) {
        fprintf(
            stderr,
            "juli-bench: pipeline: not caught up in time: %" PRIu64
            " flows open, %" PRIu64 " tasks unseen, lag %" PRIu64
            " (dispatch) %" PRIu64 " (scoring)\n",
            s_gap(s->accepted, s->closed + s->dead),
            s_gap(s->accepted, s->discovered),
            s_gap(s->intake_last, s->d_applied),
            s_gap(s->dispatch_last, s->s_applied));
        return LOAD_STOP;
    }
    if (!s->fetching && s->discovered < s->accepted &&
        now - s->last_event_ns > P_IDLE_FETCH_NS)
        s_fetch(s);
    if (!s->sample_wait && now >= s->next_sample) {
        s->sample_sent = now;
        s->next_sample = now + s->sample_ns;
        s_ask(s, M_INTAKE, "health");
        s_ask(s, M_DISPATCH, "stats");
        s_ask(s, M_SCORING, "stats");
    }
    return LOAD_GO;
}

/* -- results -----------------------------------------------------------------
 */

static void s_results(p_pipe_t *s)
{
    bench_t *b = s->b;
    double secs = (double)(s->t_stop - s->t_warm) / 1e9;
    b->pipe_secs = secs;
    b->pipe_api_rate = secs > 0 ? (double)s->api_ok_at_stop / secs : 0;
    b->pipe_e2e_rate =
        secs > 0 ? (double)(s->closed_at_stop - s->closed_at_warm) / secs : 0;
    b->pipe_closed = s->closed;
    b->pipe_submitted = s->issued;
    for (int k = 0; k < 4; k++)
        bench_point(s->l, K_SUBMIT + k, s->t_warm, s->t_stop,
                    &b->pipe_kind[k]);
    /* Lag in the steady window: its last third against its first. */
    double from = (double)(s->t_warm - s->t0) / 1e9;
    double to = (double)(s->t_stop - s->t0) / 1e9;
    double third = (to - from) / 3;
    uint64_t first = 0, last = 0;
    for (size_t i = 0; i < b->nsamples; i++) {
        const bench_sample_t *x = &b->samples[i];
        uint64_t lag =
            x->dispatch_lag > x->scoring_lag ? x->dispatch_lag : x->scoring_lag;
        if (x->t >= from && x->t <= to) {
            if (x->dispatch_lag > b->pipe_max_dlag)
                b->pipe_max_dlag = x->dispatch_lag;
            if (x->scoring_lag > b->pipe_max_slag)
                b->pipe_max_slag = x->scoring_lag;
        }
        if (x->t >= from && x->t < from + third && lag > first)
            first = lag;
        if (x->t > to - third && x->t <= to && lag > last)
            last = lag;
    }
    b->pipe_caught_up = s->caught_up;
    b->pipe_bounded =
        s->caught_up && last <= 2 * first + 2000 && b->pipe_drain_s <= 10;
}

/* The counts end to end, once everything is applied: dispatch closed
 * every flow, intake shows them closed, scoring's ledger is intact and
 * holds one entry per participant. */
static int s_check(p_pipe_t *s)
{
    char err[256];
    int rc = 0;
    uint64_t n = 0;
    client_t *c = client_new(s->st->dispatch.api, 10000, err, sizeof err);
    if (!c || bench_ask(c, "stats", "tasks.closed", &n) < 0 || n != s->closed) {
        fprintf(stderr,
                "juli-bench: dispatch has %" PRIu64 " tasks closed, the "
                "generator closed %" PRIu64 "\n",
                n, s->closed);
        rc = -1;
    }
    client_destroy(&c);
    /* intake follows dispatch back: give it a moment. */
    c = client_new(s->st->intake.api, 10000, err, sizeof err);
    if (c)
        bench_wait_stat(s->b, c, "stats", "requests.closed", s->closed, 20, 10,
                        &n);
    if (n != s->closed) {
        fprintf(stderr,
                "juli-bench: intake shows %" PRIu64
                " requests closed of %" PRIu64 "\n",
                n, s->closed);
        rc = -1;
    }
    client_destroy(&c);
    if (!s->b->smoke)
        return rc; /* ledger.verify reads the whole ledger */
    c = client_new(s->st->scoring.api, 10000, err, sizeof err);
    uint64_t entries = 0;
    if (!c || bench_ask(c, "ledger.verify", "entries", &entries) < 0 ||
        entries != s->expected_entries) {
        fprintf(stderr,
                "juli-bench: the ledger has %" PRIu64
                " entries, expected %" PRIu64 "\n",
                entries, s->expected_entries);
        rc = -1;
    }
    client_destroy(&c);
    return rc;
}

/* -- the scenario ------------------------------------------------------------
 */

static int s_connect_all(p_pipe_t *s, unsigned conns, unsigned window)
{
    load_t *l = s->l;
    s->nsubmit = conns >= 4 ? (int)conns / 4 : 1;
    s->ndispatch = conns > (unsigned)s->nsubmit ? (int)conns - s->nsubmit : 1;
    for (int i = 0; i < s->nsubmit; i++)
        if (load_connect(l, s->st->intake.api, window) < 0)
            return -1;
    for (int i = 0; i < s->ndispatch; i++)
        if (load_connect(l, s->st->dispatch.api, window) < 0)
            return -1;
    const proc_t *mon[3] = {&s->st->intake, &s->st->dispatch, &s->st->scoring};
    for (int i = 0; i < 3; i++)
        if ((s->mon[i] = load_connect(l, mon[i]->api, 1)) < 0)
            return -1;
    if ((s->fetch = load_connect(l, s->st->dispatch.api, 1)) < 0)
        return -1;
    s->sub = zmq_socket(load_zctx(l), ZMQ_SUB);
    int hwm = 1000000, linger = 0;
    if (!s->sub)
        return -1;
    zmq_setsockopt(s->sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->sub, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_connect(s->sub, s->st->dispatch.events) < 0 ||
        load_watch(l, s->sub) < 0)
        return -1;
    /* The backlog: enough open flows to keep every assignee slot busy. */
    s->backlog = (uint64_t)(s->nsubmit + 2 * s->ndispatch) * window;
    return 0;
}

static void s_kinds(load_t *l)
{
    static const char *const names[] = {"request.submit", "task.accept",
                                        "task.resolve",   "followup.record",
                                        "health/stats",   "events.since"};
    for (int k = 0; k <= K_FETCH; k++)
        load_kind_name(l, k, names[k]);
}

int scenario_pipeline(bench_t *b)
{
    proc_stack_t st;
    if (bench_stack_init(b, &st) < 0)
        return -1;
    p_pipe_t s = {.b = b, .st = &st, .submitting = 1};
    frame_limits_t lim = {.max_frame = 1u << 20,
                          .max_str = 1u << 16,
                          .max_depth = 16,
                          .max_array = 1u << 16,
                          .max_map = 1u << 10};
    int rc = -1;
    proc_t *d[3] = {&st.intake, &st.dispatch, &st.scoring};
    for (int i = 0; i < 3; i++) {
        if (b->attach_api[i][0]) {
            snprintf(d[i]->api, sizeof d[i]->api, "%s", b->attach_api[i]);
            /* Without its events endpoint, tasks are found with
             * events.since alone (every 100 ms). */
            snprintf(d[i]->events, sizeof d[i]->events, "%s",
                     b->attach_events[i][0] ? b->attach_events[i]
                                            : "tcp://127.0.0.1:1");
            d[i]->pid = b->attach_pid[i];
        } else if (proc_start(&st, d[i], 60000) < 0)
            goto done;
    }
    if (bench_setup(b, &st, 1, 1) < 0)
        goto done;
    char err[256];
    client_t *c = client_new(st.dispatch.api, 10000, err, sizeof err);
    int ok = c && bench_ask(c, "health", "last_seq", &s.cursor) == 0;
    client_destroy(&c);
    if (!ok || !(s.l = load_new(b->stop, b->random_ids)) || !(s.dec = frame_decoder_new(&lim)))
        goto done;
    s_kinds(s.l);
    if (s_connect_all(&s, b->conns, b->pipe_window) < 0) {
        fprintf(stderr, "juli-bench: pipeline: cannot connect\n");
        goto done;
    }
    s.target = b->pipeline_flows;
    s.dur_ns = (uint64_t)(b->pipeline_s * 1e9);
    s.warm_ns = s.target ? 0 : (uint64_t)(b->pipeline_s * 1e8);
    s.sample_ns = b->smoke ? 100000000u : 500000000u;
    double cpu0[3];
    for (int i = 0; i < 3; i++)
        cpu0[i] = bench_usage_begin(d[i]);
    s.t0 = s.last_event_ns = load_now_ns();
    load_hooks_t hooks = {
        .fill = s_fill, .reply = s_reply, .watch = s_watch, .tick = s_tick};
    int run = load_run(s.l, &hooks, &s, 5);
    for (int i = 0; i < 3; i++)
        bench_usage_end(d[i], cpu0[i], &b->pipe_use[i]);
    b->ran_pipeline = 1;
    s_results(&s);
    if (run < 0 || !s.caught_up || s.dead || load_failures(s.l) ||
        load_mismatches(s.l) || load_lost(s.l))
        goto done;
    rc = s_check(&s);
done:
    if (s.sub)
        zmq_close(s.sub);
    load_destroy(&s.l);
    frame_decoder_destroy(&s.dec);
    free(s.flows);
    free(s.ring);
    if (proc_stack_cleanup(&st))
        rc = -1;
    return rc;
}
