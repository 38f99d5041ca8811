/*  bus: ZeroMQ sockets inside a libuv loop. See bus.h for the shape. */
#include "bus.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define BUS_LINGER_MS 200

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* a draft option Debian's 4.3.4 honours */
#endif
#define BUS_HANDLES   4 /* poll, prepare, check, idle */

struct bus {
    uv_loop_t *loop;
    void *zctx;
    int nsockets; /* open sockets, for bus_destroy's check */
};

struct bus_socket {
    bus_t *bus;
    void *zsock;
    uv_poll_t poll;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_idle_t idle;
    int watching; /* the four handles were initialised */
    int closing;  /* handles still to close */
    bus_recv_fn recv;
    bus_batch_fn batch;
    void *arg;
};

bus_t *bus_new(uv_loop_t *loop)
{
    bus_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->zctx = zmq_ctx_new();
    if (!self->zctx) {
        free(self);
        return NULL;
    }
    return self;
}

void bus_destroy(bus_t **self_p)
{
    bus_t *self = *self_p;
    if (!self)
        return;
    assert(self->nsockets == 0);
    zmq_ctx_term(self->zctx);
    free(self);
    *self_p = NULL;
}

static bus_socket_t *s_socket_new(bus_t *bus, int type, char *err,
                                  size_t errlen)
{
    bus_socket_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->bus = bus;
    s->zsock = zmq_socket(bus->zctx, type);
    if (!s->zsock) {
        snprintf(err, errlen, "zmq_socket: %s", zmq_strerror(errno));
        free(s);
        return NULL;
    }
    /* A bounded LINGER, so the context terminates; bounded queues per
     * peer, so a flood cannot grow memory without end. */
    int linger = BUS_LINGER_MS, hwm = BUS_HWM;
    zmq_setsockopt(s->zsock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s->zsock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->zsock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    bus->nsockets++;
    return s;
}

/* Security options apply only to binds and connects made after them. */
int bus_curve_apply(void *z, const bus_curve_t *c, char *err, size_t errlen)
{
    if (!c)
        return 0;
    int on = 1, rc = 0;
    if (c->server) {
        rc |= zmq_setsockopt(z, ZMQ_CURVE_SERVER, &on, sizeof on);
        rc |= zmq_setsockopt(z, ZMQ_ZAP_DOMAIN, c->zap_domain,
                             strlen(c->zap_domain));
        rc |= zmq_setsockopt(z, ZMQ_ZAP_ENFORCE_DOMAIN, &on, sizeof on);
    } else
        rc |= zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, c->server_key, 40);
    rc |= zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, c->public_key, 40);
    rc |= zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, c->secret_key, 40);
    if (rc) {
        snprintf(err, errlen, "CURVE: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

static void s_socket_free(bus_socket_t *s)
{
    zmq_close(s->zsock);
    s->bus->nsockets--;
    free(s);
}

bus_socket_t *bus_bind(bus_t *self, int type, const char *endpoint,
                       int64_t max_msg, const bus_curve_t *curve, char *err,
                       size_t errlen)
{
    bus_socket_t *s = s_socket_new(self, type, err, errlen);
    if (!s)
        return NULL;
    if (type == ZMQ_ROUTER) {
        int on = 1;
        zmq_setsockopt(s->zsock, ZMQ_ROUTER_MANDATORY, &on, sizeof on);
        zmq_setsockopt(s->zsock, ZMQ_MAXMSGSIZE, &max_msg, sizeof max_msg);
    }
    if (bus_curve_apply(s->zsock, curve, err, errlen) < 0) {
        s_socket_free(s);
        return NULL;
    }
    if (zmq_bind(s->zsock, endpoint) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", endpoint,
                 zmq_strerror(errno));
        s_socket_free(s);
        return NULL;
    }
    return s;
}

bus_socket_t *bus_connect(bus_t *self, int type, const char *endpoint,
                          const bus_curve_t *curve, char *err, size_t errlen)
{
    bus_socket_t *s = s_socket_new(self, type, err, errlen);
    if (!s)
        return NULL;
    if (bus_curve_apply(s->zsock, curve, err, errlen) < 0) {
        s_socket_free(s);
        return NULL;
    }
    if (zmq_connect(s->zsock, endpoint) < 0) {
        snprintf(err, errlen, "cannot connect %s: %s", endpoint,
                 zmq_strerror(errno));
        s_socket_free(s);
        return NULL;
    }
    return s;
}

int bus_subscribe(bus_socket_t *s, const char *prefix)
{
    return zmq_setsockopt(s->zsock, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
}

void *bus_zsocket(bus_socket_t *s)
{
    return s->zsock;
}

static int s_readable(bus_socket_t *s)
{
    int events = 0;
    size_t len = sizeof events;
    if (zmq_getsockopt(s->zsock, ZMQ_EVENTS, &events, &len) < 0)
        return 0;
    return (events & ZMQ_POLLIN) != 0;
}

/* Receives one whole message into PARTS, dropping frames past
 * BUS_MAX_PARTS. Returns the number of frames kept, 0 when nothing waits. */
static size_t s_recv(bus_socket_t *s, zmq_msg_t *parts, int *truncated)
{
    size_t n = 0;
    int more = 1;
    *truncated = 0;
    while (more) {
        zmq_msg_t scratch, *m = n < BUS_MAX_PARTS ? &parts[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, s->zsock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            assert(n == 0); /* ZeroMQ delivers messages whole */
            return 0;
        }
        more = zmq_msg_more(m);
        if (m == &scratch) {
            zmq_msg_close(m);
            *truncated = 1;
        } else
            n++;
    }
    return n;
}

static void s_on_check(uv_check_t *h)
{
    bus_socket_t *s = h->data;
    int got = 0;
    zmq_msg_t parts[BUS_MAX_PARTS];
    for (int i = 0; i < BUS_BATCH && !s->closing; i++) {
        int truncated;
        size_t n = s_recv(s, parts, &truncated);
        if (n == 0)
            break;
        got++;
        s->recv(s, parts, n, truncated, s->arg);
        for (size_t k = 0; k < n; k++)
            zmq_msg_close(&parts[k]);
    }
    if (got && s->batch && !s->closing)
        s->batch(s, s->arg);
}

/* The idle handle exists only to keep the loop from blocking; its callback
 * does nothing. */
static void s_on_idle(uv_idle_t *h)
{
    (void)h;
}

static void s_on_prepare(uv_prepare_t *h)
{
    bus_socket_t *s = h->data;
    if (s_readable(s))
        uv_idle_start(&s->idle, s_on_idle);
    else
        uv_idle_stop(&s->idle);
}

static void s_on_poll(uv_poll_t *h, int status, int events)
{
    (void)h, (void)status, (void)events; /* uv_check does the work */
}

int bus_start(bus_socket_t *s, bus_recv_fn recv, bus_batch_fn batch,
              void *arg)
{
    uv_loop_t *loop = s->bus->loop;
    int fd;
    size_t len = sizeof fd;
    if (zmq_getsockopt(s->zsock, ZMQ_FD, &fd, &len) < 0)
        return -1;
    s->recv = recv;
    s->batch = batch;
    s->arg = arg;
    if (uv_poll_init(loop, &s->poll, fd) < 0)
        return -1;
    uv_prepare_init(loop, &s->prepare);
    uv_check_init(loop, &s->check);
    uv_idle_init(loop, &s->idle);
    s->poll.data = s->prepare.data = s->check.data = s->idle.data = s;
    s->watching = 1;
    uv_poll_start(&s->poll, UV_READABLE, s_on_poll);
    uv_prepare_start(&s->prepare, s_on_prepare);
    uv_check_start(&s->check, s_on_check);
    return 0;
}

int bus_send(bus_socket_t *s, const bus_frame_t *frames, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(s->zsock, frames[i].data, frames[i].len, flags) < 0) {
            /* A ROUTER refuses the first frame (the peer's id) or none. */
            log_debug("bus: send: %s", zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void s_on_closed(uv_handle_t *h)
{
    bus_socket_t *s = h->data;
    if (--s->closing == 0)
        s_socket_free(s);
}

void bus_close(bus_socket_t *s)
{
    if (!s)
        return;
    if (!s->watching) {
        s_socket_free(s);
        return;
    }
    s->closing = BUS_HANDLES;
    /* Stop and close the poll before the socket: zmq_close frees the fd. */
    uv_close((uv_handle_t *)&s->poll, s_on_closed);
    uv_close((uv_handle_t *)&s->prepare, s_on_closed);
    uv_close((uv_handle_t *)&s->check, s_on_closed);
    uv_close((uv_handle_t *)&s->idle, s_on_closed);
}

const char *bus_peer_role(zmq_msg_t *msg)
{
    return zmq_msg_gets(msg, "User-Id");
}

int bus_curve_keypair(char public_key[41], char secret_key[41])
{
    return zmq_curve_keypair(public_key, secret_key) == 0 ? 0 : -1;
}

void bus_curve_z85(const unsigned char key[32], char out[41])
{
    zmq_z85_encode(out, key, 32);
}
