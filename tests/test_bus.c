/*  test_bus: real ZeroMQ sockets in a real libuv loop.
 *
 *  Every test binds on ipc:// endpoints in its own temporary directory (or
 *  on a port the kernel picks), runs the loop until the counts it waits for
 *  are reached, with a 10 s watchdog timer that stops the loop and fails the
 *  test instead of hanging it, then closes every socket, lets the close
 *  callbacks run, destroys the bus and checks that the loop closes cleanly.
 *
 *  Callbacks only count and record; the assertions run after uv_run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus.h"
#include "harness.h"
#include "log.h"

#define WATCHDOG_MS 10000
#define MAX_MSG     (1 << 20)

/* -- fixture ------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char api[128];    /* ipc://DIR/api */
    char events[128]; /* ipc://DIR/events */
    char err[256];
    uv_loop_t loop;
    bus_t *bus;
    uv_timer_t watchdog;
    int timed_out;
    uv_timer_t timers[4]; /* the tests' own timers, closed by s_shutdown */
    int ntimers;
    bus_socket_t *socks[4];
    size_t nsocks;
    void *zctx; /* for plain ZeroMQ peers outside the bus */
    void *zsocks[4];
    size_t nzsocks;
    int finished;
} fx_t;

static void s_on_watchdog(uv_timer_t *t)
{
    fx_t *fx = t->data;
    fx->timed_out = 1;
    uv_stop(&fx->loop);
}

static int s_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (h_tempdir(fx->dir, sizeof fx->dir, "bus") < 0) {
        free(fx);
        return -1;
    }
    snprintf(fx->api, sizeof fx->api, "ipc://%s/api", fx->dir);
    snprintf(fx->events, sizeof fx->events, "ipc://%s/events", fx->dir);
    if (uv_loop_init(&fx->loop) < 0)
        return -1;
    fx->bus = bus_new(&fx->loop);
    if (!fx->bus)
        return -1;
    uv_timer_init(&fx->loop, &fx->watchdog);
    fx->watchdog.data = fx;
    uv_timer_start(&fx->watchdog, s_on_watchdog, WATCHDOG_MS, 0);
    *state = fx;
    return 0;
}

/* Closes every socket and the watchdog, runs the loop until their close
 * callbacks ran, destroys the bus; returns uv_loop_close's result. */
static int s_shutdown(fx_t *fx)
{
    fx->finished = 1;
    for (size_t i = 0; i < fx->nzsocks; i++)
        zmq_close(fx->zsocks[i]);
    fx->nzsocks = 0;
    if (fx->zctx)
        zmq_ctx_term(fx->zctx);
    fx->zctx = NULL;
    for (size_t i = 0; i < fx->nsocks; i++)
        bus_close(fx->socks[i]);
    fx->nsocks = 0;
    for (int i = 0; i < fx->ntimers; i++)
        uv_close((uv_handle_t *)&fx->timers[i], NULL);
    fx->ntimers = 0;
    if (!uv_is_closing((uv_handle_t *)&fx->watchdog))
        uv_close((uv_handle_t *)&fx->watchdog, NULL);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    bus_destroy(&fx->bus);
    return uv_loop_close(&fx->loop);
}

/* The end of every test: everything closes and the loop with it. */
static void s_finish(fx_t *fx)
{
    assert_int_equal(s_shutdown(fx), 0);
    assert_null(fx->bus);
}

static int s_teardown(void **state)
{
    fx_t *fx = *state;
    if (!fx->finished)
        s_shutdown(fx); /* a failed test: clean up as far as possible */
    h_rmtree(fx->dir);
    free(fx);
    return 0;
}

/* -- helpers ------------------------------------------------------------- */

static bus_socket_t *s_bind(fx_t *fx, int type, const char *endpoint)
{
    bus_socket_t *s =
        bus_bind(fx->bus, type, endpoint, MAX_MSG, NULL, fx->err, sizeof fx->err);
    if (!s)
        fail_msg("bus_bind %s: %s", endpoint, fx->err);
    fx->socks[fx->nsocks++] = s;
    return s;
}

static bus_socket_t *s_connect(fx_t *fx, int type, const char *endpoint)
{
    bus_socket_t *s =
        bus_connect(fx->bus, type, endpoint, NULL, fx->err, sizeof fx->err);
    if (!s)
        fail_msg("bus_connect %s: %s", endpoint, fx->err);
    fx->socks[fx->nsocks++] = s;
    return s;
}

/* A plain ZeroMQ socket in a context of its own, connected to ENDPOINT. */
static void *s_plain(fx_t *fx, int type, const char *endpoint)
{
    if (!fx->zctx)
        fx->zctx = zmq_ctx_new();
    assert_non_null(fx->zctx);
    void *z = zmq_socket(fx->zctx, type);
    assert_non_null(z);
    int zero = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_SNDHWM, &zero, sizeof zero); /* never block */
    assert_int_equal(zmq_connect(z, endpoint), 0);
    fx->zsocks[fx->nzsocks++] = z;
    return z;
}

/* A timer of the fixture's, with DATA; s_shutdown closes it. */
static uv_timer_t *s_timer(fx_t *fx, void *data)
{
    assert_true(fx->ntimers < 4);
    uv_timer_t *t = &fx->timers[fx->ntimers++];
    uv_timer_init(&fx->loop, t);
    t->data = data;
    return t;
}

/* Runs the loop until something stops it; fails if the watchdog did. */
static void s_run(fx_t *fx)
{
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    if (fx->timed_out)
        fail_msg("watchdog: nothing stopped the loop in %d ms", WATCHDOG_MS);
}

static int s_frame_is(const zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size((zmq_msg_t *)m) == n &&
           memcmp(zmq_msg_data((zmq_msg_t *)m), s, n) == 0;
}

/* -- a flood is drained in bounded batches --------------------------------- */

#define FLOOD 1000

typedef struct {
    fx_t *fx;
    int recvs, batches, in_batch, max_batch;
    int out_of_order, bad_shape;
    int next; /* the index expected next */
} flood_t;

static void s_flood_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                         int truncated, void *arg)
{
    (void)s;
    flood_t *f = arg;
    f->recvs++;
    f->in_batch++;
    /* ROUTER: the peer's id, then the payload. */
    if (n != 2 || truncated || zmq_msg_size(&parts[1]) != sizeof(int)) {
        f->bad_shape++;
        return;
    }
    int i;
    memcpy(&i, zmq_msg_data(&parts[1]), sizeof i);
    if (i != f->next)
        f->out_of_order++;
    f->next = i + 1;
}

static void s_flood_batch(bus_socket_t *s, void *arg)
{
    (void)s;
    flood_t *f = arg;
    f->batches++;
    if (f->in_batch > f->max_batch)
        f->max_batch = f->in_batch;
    f->in_batch = 0;
    if (f->recvs == FLOOD)
        uv_stop(&f->fx->loop);
}

static void test_flood_drained_in_batches(void **state)
{
    fx_t *fx = *state;
    flood_t f = {.fx = fx};
    bus_socket_t *server = s_bind(fx, ZMQ_ROUTER, fx->api);
    assert_int_equal(bus_start(server, s_flood_recv, s_flood_batch, &f), 0);

    /* All sent before the loop runs: they wait queued for the server. */
    void *client = s_plain(fx, ZMQ_DEALER, fx->api);
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(zmq_send(client, &i, sizeof i, 0), (int)sizeof i);

    s_run(fx);
    assert_int_equal(f.recvs, FLOOD);
    assert_int_equal(f.bad_shape, 0);
    assert_int_equal(f.out_of_order, 0);
    assert_int_equal(f.next, FLOOD);
    assert_true(f.batches >= (FLOOD + BUS_BATCH - 1) / BUS_BATCH);
    assert_true(f.max_batch >= 1 && f.max_batch <= BUS_BATCH);
    assert_int_equal(f.in_batch, 0); /* every message was in some batch */
    s_finish(fx);
}

/* A timer that falls due during a flood runs before the flood is drained:
 * a batch yields to the rest of the loop. */
typedef struct {
    flood_t f;
    uv_timer_t *tick;
    int ticks;
    int recvs_at_tick;
} starve_t;

static void s_starve_tick(uv_timer_t *t)
{
    starve_t *st = t->data;
    st->ticks++;
    st->recvs_at_tick = st->f.recvs;
}

static void s_starve_batch(bus_socket_t *s, void *arg)
{
    starve_t *st = arg;
    if (st->f.batches == 0) /* due at once, from the first batch */
        uv_timer_start(st->tick, s_starve_tick, 0, 0);
    s_flood_batch(s, &st->f);
}

static void s_starve_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                          int truncated, void *arg)
{
    starve_t *st = arg;
    s_flood_recv(s, parts, n, truncated, &st->f);
}

static void test_flood_does_not_starve_timers(void **state)
{
    fx_t *fx = *state;
    starve_t st = {.f = {.fx = fx}};
    bus_socket_t *server = s_bind(fx, ZMQ_ROUTER, fx->api);
    st.tick = s_timer(fx, &st);
    assert_int_equal(bus_start(server, s_starve_recv, s_starve_batch, &st),
                     0);
    void *client = s_plain(fx, ZMQ_DEALER, fx->api);
    for (int i = 0; i < FLOOD; i++)
        assert_int_equal(zmq_send(client, &i, sizeof i, 0), (int)sizeof i);

    s_run(fx);
    assert_int_equal(st.f.recvs, FLOOD);
    assert_int_equal(st.f.out_of_order, 0);
    assert_int_equal(st.ticks, 1);
    assert_true(st.recvs_at_tick < FLOOD);
    s_finish(fx);
}

/* -- replies sent from a timer do not stall later requests ------------------ */

#define ROUNDS 200

typedef struct {
    fx_t *fx;
    bus_socket_t *server, *client;
    uv_timer_t *answer; /* the server answers from here, every 1 ms */
    /* The server's queue of requests not yet answered. */
    char ids[8][256];
    size_t id_len[8];
    int payload[8];
    int queued;
    int server_recvs, replies_sent, send_failures, overflow;
    int client_recvs, wrong_reply;
} echo_t;

static void s_echo_server_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                               int truncated, void *arg)
{
    (void)s, (void)truncated;
    echo_t *e = arg;
    e->server_recvs++;
    if (n != 2 || e->queued == 8 || zmq_msg_size(&parts[0]) > 256) {
        e->overflow++;
        return;
    }
    int q = e->queued++;
    e->id_len[q] = zmq_msg_size(&parts[0]);
    memcpy(e->ids[q], zmq_msg_data(&parts[0]), e->id_len[q]);
    memcpy(&e->payload[q], zmq_msg_data(&parts[1]), sizeof(int));
}

static void s_echo_answer(uv_timer_t *t)
{
    echo_t *e = t->data;
    for (int q = 0; q < e->queued; q++) {
        bus_frame_t frames[2] = {{e->ids[q], e->id_len[q]},
                                 {&e->payload[q], sizeof(int)}};
        if (bus_send(e->server, frames, 2) == 0)
            e->replies_sent++;
        else
            e->send_failures++;
    }
    e->queued = 0;
}

static void s_echo_client_send(echo_t *e, int i)
{
    bus_frame_t frame = {&i, sizeof i};
    if (bus_send(e->client, &frame, 1) < 0)
        e->send_failures++;
}

static void s_echo_client_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                               int truncated, void *arg)
{
    (void)s, (void)truncated;
    echo_t *e = arg;
    int i = -1;
    if (n == 1 && zmq_msg_size(&parts[0]) == sizeof i)
        memcpy(&i, zmq_msg_data(&parts[0]), sizeof i);
    if (i != e->client_recvs)
        e->wrong_reply++;
    e->client_recvs++;
    if (e->client_recvs == ROUNDS)
        uv_stop(&e->fx->loop);
    else
        s_echo_client_send(e, e->client_recvs); /* the next ping */
}

static void test_replies_from_timer_do_not_stall(void **state)
{
    fx_t *fx = *state;
    echo_t e = {.fx = fx};
    e.server = s_bind(fx, ZMQ_ROUTER, fx->api);
    e.client = s_connect(fx, ZMQ_DEALER, fx->api);
    assert_int_equal(bus_start(e.server, s_echo_server_recv, NULL, &e), 0);
    assert_int_equal(bus_start(e.client, s_echo_client_recv, NULL, &e), 0);
    e.answer = s_timer(fx, &e);
    uv_timer_start(e.answer, s_echo_answer, 1, 1);

    s_echo_client_send(&e, 0);
    s_run(fx);
    assert_int_equal(e.client_recvs, ROUNDS);
    assert_int_equal(e.server_recvs, ROUNDS);
    assert_int_equal(e.replies_sent, ROUNDS);
    assert_int_equal(e.wrong_reply, 0);
    assert_int_equal(e.send_failures, 0);
    assert_int_equal(e.overflow, 0);
    s_finish(fx);
}

/* The same with both sides sending only from timers: the client's next
 * request goes out from a timer too, after its reply consumed the edge. */
typedef struct {
    echo_t e;
    uv_timer_t *ping;
    int pending_ping;
} echo2_t;

static void s_echo2_client_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                                int truncated, void *arg)
{
    (void)s, (void)truncated;
    echo2_t *x = arg;
    int i = -1;
    if (n == 1 && zmq_msg_size(&parts[0]) == sizeof i)
        memcpy(&i, zmq_msg_data(&parts[0]), sizeof i);
    if (i != x->e.client_recvs)
        x->e.wrong_reply++;
    x->e.client_recvs++;
    if (x->e.client_recvs == ROUNDS)
        uv_stop(&x->e.fx->loop);
    else
        x->pending_ping = 1;
}

static void s_echo2_ping(uv_timer_t *t)
{
    echo2_t *x = t->data;
    if (!x->pending_ping)
        return;
    x->pending_ping = 0;
    s_echo_client_send(&x->e, x->e.client_recvs);
}

static void s_echo2_server_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                                int truncated, void *arg)
{
    echo2_t *x = arg;
    s_echo_server_recv(s, parts, n, truncated, &x->e);
}

static void test_sends_from_timers_on_both_sides(void **state)
{
    fx_t *fx = *state;
    echo2_t x = {.e = {.fx = fx}, .pending_ping = 1};
    x.e.server = s_bind(fx, ZMQ_ROUTER, fx->api);
    x.e.client = s_connect(fx, ZMQ_DEALER, fx->api);
    assert_int_equal(bus_start(x.e.server, s_echo2_server_recv, NULL, &x), 0);
    assert_int_equal(bus_start(x.e.client, s_echo2_client_recv, NULL, &x), 0);
    x.e.answer = s_timer(fx, &x.e);
    uv_timer_start(x.e.answer, s_echo_answer, 1, 1);
    x.ping = s_timer(fx, &x);
    uv_timer_start(x.ping, s_echo2_ping, 1, 1);

    s_run(fx);
    assert_int_equal(x.e.client_recvs, ROUNDS);
    assert_int_equal(x.e.server_recvs, ROUNDS);
    assert_int_equal(x.e.replies_sent, ROUNDS);
    assert_int_equal(x.e.wrong_reply, 0);
    assert_int_equal(x.e.send_failures, 0);
    s_finish(fx);
}

/* -- sends that cannot be delivered ---------------------------------------- */

typedef struct {
    fx_t *fx;
    bus_socket_t *server;
    int recvs, unknown_rc, known_rc;
    int client_got;
} peer_t;

static void s_peer_server_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                               int truncated, void *arg)
{
    (void)truncated;
    peer_t *p = arg;
    p->recvs++;
    if (n != 2)
        return;
    /* An id nobody has: refused at once, not queued, not blocking. */
    bus_frame_t nobody[2] = {{"nobody", 6}, {"x", 1}};
    p->unknown_rc = bus_send(s, nobody, 2);
    /* The real peer still gets its reply afterwards. */
    bus_frame_t reply[2] = {{zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0])},
                            {"pong", 4}};
    p->known_rc = bus_send(s, reply, 2);
}

static void s_peer_client_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                               int truncated, void *arg)
{
    (void)s, (void)truncated;
    peer_t *p = arg;
    if (n == 1 && s_frame_is(&parts[0], "pong"))
        p->client_got++;
    uv_stop(&p->fx->loop);
}

static void test_send_to_unknown_peer_fails(void **state)
{
    fx_t *fx = *state;
    peer_t p = {.fx = fx, .unknown_rc = 99, .known_rc = 99};
    p.server = s_bind(fx, ZMQ_ROUTER, fx->api);
    bus_socket_t *client = s_connect(fx, ZMQ_DEALER, fx->api);
    assert_int_equal(bus_start(p.server, s_peer_server_recv, NULL, &p), 0);
    assert_int_equal(bus_start(client, s_peer_client_recv, NULL, &p), 0);

    /* Before anyone connected, too. */
    bus_frame_t nobody[2] = {{"nobody", 6}, {"x", 1}};
    assert_int_equal(bus_send(p.server, nobody, 2), -1);

    bus_frame_t ping = {"ping", 4};
    assert_int_equal(bus_send(client, &ping, 1), 0);
    s_run(fx);
    assert_int_equal(p.recvs, 1);
    assert_int_equal(p.unknown_rc, -1);
    assert_int_equal(p.known_rc, 0);
    assert_int_equal(p.client_got, 1);
    s_finish(fx);
}

/* A peer that does not read fills its queue: the send fails, it does not
 * wait for room. */
typedef struct {
    fx_t *fx;
    int recvs, sent, refused;
} full_t;

static void s_full_server_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                               int truncated, void *arg)
{
    (void)truncated;
    full_t *f = arg;
    f->recvs++;
    if (n != 2)
        return;
    static char big[1024];
    bus_frame_t reply[2] = {{zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0])},
                            {big, sizeof big}};
    /* At most 100 MiB: the queues hold a few thousand of these. */
    for (int i = 0; i < 100000; i++) {
        if (bus_send(s, reply, 2) < 0) {
            f->refused++;
            break;
        }
        f->sent++;
    }
    uv_stop(&f->fx->loop);
}

static void test_send_to_full_peer_fails(void **state)
{
    fx_t *fx = *state;
    full_t f = {.fx = fx};
    bus_socket_t *server = s_bind(fx, ZMQ_ROUTER, fx->api);
    assert_int_equal(bus_start(server, s_full_server_recv, NULL, &f), 0);
    void *client = s_plain(fx, ZMQ_DEALER, fx->api);
    assert_int_equal(zmq_send(client, "hi", 2, 0), 2);

    s_run(fx);
    assert_int_equal(f.recvs, 1);
    assert_int_equal(f.refused, 1);
    assert_true(f.sent >= 1 && f.sent < 100000);
    s_finish(fx);
}

/* -- PUB/SUB -------------------------------------------------------------- */

typedef struct {
    fx_t *fx;
    bus_socket_t *pub;
    int round;
    int task_got, task_wrong; /* the SUB for "task." */
    int all_got, all_other;   /* the SUB for "" */
} pubsub_t;

static void s_pub_round(uv_timer_t *t)
{
    pubsub_t *ps = t->data;
    /* Until the subscriptions land, these are dropped: publish rounds. */
    static const char *const topics[] = {"intake.created", "task.created",
                                         "tasks", "task", "TASK.created"};
    for (size_t i = 0; i < 5; i++) {
        char payload[16];
        int len = snprintf(payload, sizeof payload, "%d", ps->round);
        bus_frame_t frames[2] = {{topics[i], strlen(topics[i])},
                                 {payload, (size_t)len}};
        bus_send(ps->pub, frames, 2);
    }
    ps->round++;
}

static void s_sub_task_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                            int truncated, void *arg)
{
    (void)s, (void)truncated;
    pubsub_t *ps = arg;
    ps->task_got++;
    if (n != 2 || !s_frame_is(&parts[0], "task.created"))
        ps->task_wrong++;
}

static void s_sub_all_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                           int truncated, void *arg)
{
    (void)s, (void)truncated;
    pubsub_t *ps = arg;
    ps->all_got++;
    if (n == 2 && !s_frame_is(&parts[0], "task.created"))
        ps->all_other++;
}

static void s_pubsub_check(bus_socket_t *s, void *arg)
{
    (void)s;
    pubsub_t *ps = arg;
    if (ps->task_got >= 5 && ps->all_other >= 5)
        uv_stop(&ps->fx->loop);
}

static void test_subscribe_filters_by_prefix(void **state)
{
    fx_t *fx = *state;
    pubsub_t ps = {.fx = fx};
    ps.pub = s_bind(fx, ZMQ_PUB, fx->events);
    bus_socket_t *task = s_connect(fx, ZMQ_SUB, fx->events);
    bus_socket_t *all = s_connect(fx, ZMQ_SUB, fx->events);
    assert_int_equal(bus_subscribe(task, "task."), 0);
    assert_int_equal(bus_subscribe(all, ""), 0);
    assert_int_equal(bus_start(task, s_sub_task_recv, s_pubsub_check, &ps),
                     0);
    assert_int_equal(bus_start(all, s_sub_all_recv, s_pubsub_check, &ps), 0);
    uv_timer_start(s_timer(fx, &ps), s_pub_round, 0, 2);

    s_run(fx);
    /* The other topics were published while "task." was subscribed (the
     * catch-all SUB saw them), yet only task.* arrived there. */
    assert_true(ps.task_got >= 5);
    assert_int_equal(ps.task_wrong, 0);
    assert_true(ps.all_other >= 5);
    s_finish(fx);
}

/* -- messages with too many frames --------------------------------------- */

typedef struct {
    fx_t *fx;
    int recvs;
    size_t n[4];
    int truncated[4];
    char last[4][16]; /* the last frame kept, as text */
    char first[4][16];
} parts_t;

static void s_parts_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                         int truncated, void *arg)
{
    (void)s;
    parts_t *p = arg;
    if (p->recvs < 4) {
        int r = p->recvs;
        p->n[r] = n;
        p->truncated[r] = truncated;
        /* parts[0] is the DEALER's id: its payload starts at parts[1]. */
        if (n >= 2) {
            snprintf(p->first[r], sizeof p->first[r], "%.*s",
                     (int)zmq_msg_size(&parts[1]),
                     (const char *)zmq_msg_data(&parts[1]));
            snprintf(p->last[r], sizeof p->last[r], "%.*s",
                     (int)zmq_msg_size(&parts[n - 1]),
                     (const char *)zmq_msg_data(&parts[n - 1]));
        }
    }
    if (++p->recvs == 3)
        uv_stop(&p->fx->loop);
}

/* Sends COUNT frames "f0", "f1"... as one message from the plain Z. */
static void s_send_frames(void *z, int count)
{
    for (int i = 0; i < count; i++) {
        char f[8];
        int len = snprintf(f, sizeof f, "f%d", i);
        assert_int_equal(
            zmq_send(z, f, (size_t)len, i + 1 < count ? ZMQ_SNDMORE : 0),
            len);
    }
}

static void test_too_many_frames_truncated(void **state)
{
    fx_t *fx = *state;
    parts_t p = {.fx = fx};
    bus_socket_t *server = s_bind(fx, ZMQ_ROUTER, fx->api);
    assert_int_equal(bus_start(server, s_parts_recv, NULL, &p), 0);
    void *client = s_plain(fx, ZMQ_DEALER, fx->api);
    s_send_frames(client, BUS_MAX_PARTS - 1); /* with the id: exactly max */
    s_send_frames(client, BUS_MAX_PARTS + 4); /* with the id: max + 5 */
    s_send_frames(client, 1);                 /* whole, after the cut one */

    s_run(fx);
    assert_int_equal(p.recvs, 3);

    assert_int_equal(p.n[0], BUS_MAX_PARTS);
    assert_int_equal(p.truncated[0], 0);
    assert_string_equal(p.first[0], "f0");

    char want[16];
    snprintf(want, sizeof want, "f%d", BUS_MAX_PARTS - 2);
    assert_int_equal(p.n[1], BUS_MAX_PARTS);
    assert_int_equal(p.truncated[1], 1);
    assert_string_equal(p.first[1], "f0");
    assert_string_equal(p.last[1], want); /* the first BUS_MAX_PARTS kept */

    /* The dropped frames did not spill into the next message. */
    assert_int_equal(p.n[2], 2);
    assert_int_equal(p.truncated[2], 0);
    assert_string_equal(p.first[2], "f0");
    s_finish(fx);
}

/* -- closing from inside a callback ---------------------------------------- */

typedef struct {
    fx_t *fx;
    int recvs, batches;
} close_t;

static void s_close_recv(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                         int truncated, void *arg)
{
    (void)parts, (void)n, (void)truncated;
    close_t *c = arg;
    c->recvs++;
    /* Forget it in the fixture, so s_finish does not close it twice. */
    for (size_t i = 0; i < c->fx->nsocks; i++)
        if (c->fx->socks[i] == s)
            c->fx->socks[i] = c->fx->socks[--c->fx->nsocks];
    bus_close(s);
}

static void s_close_batch(bus_socket_t *s, void *arg)
{
    (void)s;
    close_t *c = arg;
    c->batches++;
}

static void s_close_done(uv_timer_t *t)
{
    fx_t *fx = t->data;
    uv_stop(&fx->loop);
}

static void test_close_inside_recv(void **state)
{
    fx_t *fx = *state;
    close_t c = {.fx = fx};
    bus_socket_t *server = s_bind(fx, ZMQ_ROUTER, fx->api);
    assert_int_equal(bus_start(server, s_close_recv, s_close_batch, &c), 0);
    void *client = s_plain(fx, ZMQ_DEALER, fx->api);
    for (int i = 0; i < 10; i++)
        assert_int_equal(zmq_send(client, "m", 1, 0), 1);

    /* Give the other nine time to arrive, were anyone still reading. */
    uv_timer_start(s_timer(fx, fx), s_close_done, 100, 0);
    s_run(fx);
    assert_int_equal(c.recvs, 1);
    assert_int_equal(c.batches, 0);
    s_finish(fx);
}

/* -- binding and connecting ------------------------------------------------ */

static void test_bind_twice_refused(void **state)
{
    fx_t *fx = *state;
    bus_socket_t *first = s_bind(fx, ZMQ_ROUTER, "tcp://127.0.0.1:*");
    char endpoint[128];
    size_t len = sizeof endpoint;
    assert_int_equal(zmq_getsockopt(bus_zsocket(first), ZMQ_LAST_ENDPOINT,
                                    endpoint, &len),
                     0);
    assert_non_null(strstr(endpoint, "tcp://127.0.0.1:"));

    fx->err[0] = '\0';
    bus_socket_t *second = bus_bind(fx->bus, ZMQ_ROUTER, endpoint, MAX_MSG,
                                    NULL, fx->err, sizeof fx->err);
    assert_null(second);
    assert_non_null(strstr(fx->err, "cannot bind"));
    assert_non_null(strstr(fx->err, endpoint));

    fx->err[0] = '\0';
    assert_null(bus_bind(fx->bus, ZMQ_PUB, "nonsense://x", 0, NULL,
                         fx->err, sizeof fx->err));
    assert_non_null(strstr(fx->err, "cannot bind"));
    assert_null(
        bus_connect(fx->bus, ZMQ_DEALER, "tcp://", NULL, fx->err, sizeof fx->err));
    assert_non_null(strstr(fx->err, "cannot connect"));
    /* The refused sockets were freed: bus_destroy asserts none is left. */
    s_finish(fx);
}

static void test_close_unstarted_and_null(void **state)
{
    fx_t *fx = *state;
    s_bind(fx, ZMQ_PUB, fx->events);
    s_connect(fx, ZMQ_SUB, fx->events);
    bus_close(NULL);
    bus_t *none = NULL;
    bus_destroy(&none);
    s_finish(fx);
}

int main(void)
{
    log_setup("test_bus", LOG_ERR);
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, s_setup, s_teardown)
        T(test_flood_drained_in_batches),
        T(test_flood_does_not_starve_timers),
        T(test_replies_from_timer_do_not_stall),
        T(test_sends_from_timers_on_both_sides),
        T(test_send_to_unknown_peer_fails),
        T(test_send_to_full_peer_fails),
        T(test_subscribe_filters_by_prefix),
        T(test_too_many_frames_truncated),
        T(test_close_inside_recv),
        T(test_bind_twice_refused),
        T(test_close_unstarted_and_null),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
