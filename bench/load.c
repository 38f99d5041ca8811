/*  load: requests in flight over DEALER connections. See load.h.
 *
 *  Each connection's window is an array of slots and a stack of the free
 *  ones: a reply's id names its slot, so matching is one index and one
 *  comparison of SEQ, whatever the window.
 */
#include "load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "frame.h"

#define LOAD_MAX_CONNS   1024
#define LOAD_MAX_WATCH   8
#define LOAD_SHOW_ERRORS 5

typedef struct {
    uint64_t seq; /* 0 when free */
    uint64_t t0;
    uint64_t user;
    int kind;
} s_slot_t;

typedef struct {
    void *zsock;
    unsigned window;
    s_slot_t *slots;
    uint32_t *free; /* stack of free slot indexes */
    unsigned nfree;
} s_conn_t;

struct load {
    volatile sig_atomic_t *stop;
    void *zctx;
    char tag[16];
    uint64_t seq;
    int random_ids;
    s_conn_t *conns;
    int nconns;
    void *watch[LOAD_MAX_WATCH];
    int nwatch;
    zmq_pollitem_t *items;
    int begun_conn; /* the connection of the request being written */
    uint32_t begun_slot;
    pack_t out;
    frame_decoder_t *decoder;
    load_kind_t kinds[LOAD_MAX_KINDS];
    char kind_names[LOAD_MAX_KINDS][32];
    uint64_t inflight, failures, mismatches, lost, shown;
};

uint64_t load_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

load_t *load_new(volatile sig_atomic_t *stop, int random_ids)
{
    load_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->stop = stop;
    self->random_ids = random_ids;
    self->begun_conn = -1;
    /* A tag per process and moment, so ids never repeat across runs
     * against the same store (they are idempotency keys). */
    snprintf(self->tag, sizeof self->tag, "b%" PRIx64,
             (load_now_ns() ^ ((uint64_t)getpid() << 40)) & 0xffffffffffu);
    pack_init(&self->out);
    frame_limits_t lim = frame_limits_reply();
    self->decoder = frame_decoder_new(&lim);
    self->zctx = zmq_ctx_new();
    self->conns = calloc(LOAD_MAX_CONNS, sizeof *self->conns);
    self->items = calloc(LOAD_MAX_CONNS + LOAD_MAX_WATCH, sizeof *self->items);
    if (!self->decoder || !self->zctx || !self->conns || !self->items) {
        load_destroy(&self);
        return NULL;
    }
    return self;
}

void load_destroy(load_t **self_p)
{
    load_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->nconns; i++) {
        zmq_close(self->conns[i].zsock);
        free(self->conns[i].slots);
        free(self->conns[i].free);
    }
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    for (int k = 0; k < LOAD_MAX_KINDS; k++)
        free(self->kinds[k].lat_ns);
    frame_decoder_destroy(&self->decoder);
    pack_free(&self->out);
    free(self->conns);
    free(self->items);
    free(self);
    *self_p = NULL;
}

void *load_zctx(load_t *self)
{
    return self->zctx;
}

/* Rebuilds the poll set: connections first, then watched sockets. */
static void s_items(load_t *self)
{
    for (int i = 0; i < self->nconns; i++)
        self->items[i] = (zmq_pollitem_t){.socket = self->conns[i].zsock,
                                          .events = ZMQ_POLLIN};
    for (int i = 0; i < self->nwatch; i++)
        self->items[self->nconns + i] =
            (zmq_pollitem_t){.socket = self->watch[i], .events = ZMQ_POLLIN};
}

int load_connect(load_t *self, const char *endpoint, unsigned window)
{
    if (self->nconns == LOAD_MAX_CONNS || window == 0)
        return -1;
    s_conn_t *c = &self->conns[self->nconns];
    memset(c, 0, sizeof *c);
    c->zsock = zmq_socket(self->zctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    if (!c->zsock)
        return -1;
    zmq_setsockopt(c->zsock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(c->zsock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->zsock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    c->window = window;
    c->slots = calloc(window, sizeof *c->slots);
    c->free = calloc(window, sizeof *c->free);
    if (!c->slots || !c->free || zmq_connect(c->zsock, endpoint) < 0) {
        zmq_close(c->zsock);
        free(c->slots);
        free(c->free);
        return -1;
    }
    for (unsigned i = 0; i < window; i++)
        c->free[i] = window - 1 - i;
    c->nfree = window;
    self->nconns++;
    s_items(self);
    return self->nconns - 1;
}

int load_watch(load_t *self, void *zsock)
{
    if (self->nwatch == LOAD_MAX_WATCH)
        return -1;
    self->watch[self->nwatch++] = zsock;
    s_items(self);
    return 0;
}

void load_kind_name(load_t *self, int kind, const char *name)
{
    snprintf(self->kind_names[kind], sizeof self->kind_names[kind], "%s", name);
}

pack_t *load_begin(load_t *self, int conn, const char *type, int kind,
                   uint64_t user)
{
    s_conn_t *c = &self->conns[conn];
    if (c->nfree == 0 || self->begun_conn >= 0)
        return NULL;
    uint32_t slot = c->free[--c->nfree];
    s_slot_t *s = &c->slots[slot];
    /* Random: an odd multiplier is a bijection modulo 2^39, so the
     * scrambled SEQ is unique, never 0, and 12 digits at most. */
    s->seq = self->random_ids
                 ? (++self->seq * 0x9E3779B97F4A7C15u) & ((1ull << 39) - 1)
                 : ++self->seq;
    s->user = user;
    s->kind = kind;
    self->begun_conn = conn;
    self->begun_slot = slot;
    char id[64];
    snprintf(id, sizeof id, "%s.%d.%012" PRIu64 ".%" PRIu32, self->tag, conn,
             s->seq, slot);
    pack_t *p = &self->out;
    pack_reset(p);
    pack_map(p, 3);
    pack_kstr(p, "type", type);
    pack_kstr(p, "id", id);
    pack_str(p, "body");
    return p;
}

static void s_release(s_conn_t *c, uint32_t slot)
{
    c->slots[slot].seq = 0;
    c->free[c->nfree++] = slot;
}

int load_send(load_t *self, int conn)
{
    if (self->begun_conn != conn)
        return -1;
    s_conn_t *c = &self->conns[conn];
    uint32_t slot = self->begun_slot;
    self->begun_conn = -1;
    c->slots[slot].t0 = load_now_ns();
    if (zmq_send(c->zsock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(c->zsock, pack_data(&self->out), pack_size(&self->out),
                 ZMQ_DONTWAIT) < 0) {
        fprintf(stderr, "juli-bench: send: %s\n", zmq_strerror(errno));
        s_release(c, slot);
        self->failures++;
        return -1;
    }
    self->inflight++;
    return 0;
}

void load_mismatch(load_t *self, const char *fmt, ...)
{
    self->mismatches++;
    if (self->shown++ >= LOAD_SHOW_ERRORS)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "juli-bench: mismatch: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static void s_record(load_kind_t *k, uint64_t ns)
{
    if (k->nlat == k->caplat) {
        size_t cap = k->caplat ? k->caplat * 2 : 4096;
        uint64_t *p = realloc(k->lat_ns, cap * sizeof *p);
        if (!p)
            return; /* a latency less; the counts stay right */
        k->lat_ns = p;
        k->caplat = cap;
    }
    k->lat_ns[k->nlat++] = ns;
}

/* Parses "TAG.CONN.SEQ.SLOT". Returns 0, or -1 when it is not ours. */
static int s_parse_id(const load_t *self, const char *id, size_t len, int *conn,
                      uint32_t *slot, uint64_t *seq)
{
    size_t tl = strlen(self->tag);
    if (len <= tl + 1 || memcmp(id, self->tag, tl) != 0 || id[tl] != '.')
        return -1;
    uint64_t v[3] = {0};
    int k = 0, digits = 0;
    for (size_t i = tl + 1; i < len; i++) {
        if (id[i] == '.') {
            if (!digits || ++k > 2)
                return -1;
            digits = 0;
        } else if (id[i] >= '0' && id[i] <= '9') {
            v[k] = v[k] * 10 + (uint64_t)(id[i] - '0');
            digits++;
        } else
            return -1;
    }
    if (k != 2 || !digits || v[0] >= (uint64_t)self->nconns)
        return -1;
    *conn = (int)v[0];
    *seq = v[1];
    *slot = (uint32_t)v[2];
    return 0;
}

/* Matches one reply frame and hands it to the caller. */
static void s_reply(load_t *self, const load_hooks_t *hooks, void *ctx,
                    int from, const void *data, size_t size, uint64_t now)
{
    msgpack_object root;
    char err[256];
    if (frame_decode(self->decoder, data, size, &root, err, sizeof err) < 0) {
        load_mismatch(self, "reply does not decode: %s", err);
        return;
    }
    const msgpack_object *id = load_get(&root, "id");
    const msgpack_object *ok = load_get(&root, "ok");
    int conn;
    uint32_t slot;
    uint64_t seq;
    if (!id || id->type != MSGPACK_OBJECT_STR ||
        s_parse_id(self, id->via.str.ptr, id->via.str.size, &conn, &slot,
                   &seq) < 0) {
        load_mismatch(self, "reply without one of our ids");
        return;
    }
    s_conn_t *c = &self->conns[conn];
    if (conn != from || slot >= c->window || c->slots[slot].seq != seq) {
        load_mismatch(self, "reply %.*s answers nothing outstanding",
                      (int)id->via.str.size, id->via.str.ptr);
        return;
    }
    s_slot_t s = c->slots[slot];
    s_release(c, slot);
    self->inflight--;
    int is_ok = ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
    load_kind_t *k = &self->kinds[s.kind];
    if (is_ok)
        k->ok++;
    else {
        k->failed++;
        self->failures++;
        if (self->shown++ < LOAD_SHOW_ERRORS) {
            char e[64], d[256];
            fprintf(stderr, "juli-bench: %s failed: %s: %s\n",
                    self->kind_names[s.kind],
                    load_str(&root, "error", e, sizeof e),
                    load_str(&root, "detail", d, sizeof d));
        }
    }
    s_record(k, now - s.t0);
    if (hooks->reply)
        hooks->reply(ctx, self, conn, s.kind, s.user, &root, is_ok);
}

/* Receives every reply waiting on connection I. */
static void s_drain(load_t *self, const load_hooks_t *hooks, void *ctx, int i)
{
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
        int more = 1, parts = 0;
        while (more) {
            if (zmq_msg_recv(&msg, self->conns[i].zsock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&msg);
                return; /* ZeroMQ delivers messages whole */
            }
            more = zmq_msg_more(&msg);
            parts++;
        }
        if (parts != 2)
            load_mismatch(self, "reply of %d frames", parts);
        else
            s_reply(self, hooks, ctx, i, zmq_msg_data(&msg), zmq_msg_size(&msg),
                    load_now_ns());
    }
}

/* Counts requests unanswered for LOAD_LOST_MS as lost and frees them.
 * NOW must be read after the last send: a request sent later than NOW
 * would otherwise look infinitely old. */
static void s_expire(load_t *self, uint64_t now)
{
    for (int i = 0; i < self->nconns; i++) {
        s_conn_t *c = &self->conns[i];
        for (uint32_t k = 0; k < c->window; k++) {
            s_slot_t *s = &c->slots[k];
            if (!s->seq || s->t0 > now ||
                now - s->t0 < LOAD_LOST_MS * 1000000ull)
                continue;
            if (self->shown++ < LOAD_SHOW_ERRORS)
                fprintf(stderr, "juli-bench: %s unanswered for %d s\n",
                        self->kind_names[s->kind], LOAD_LOST_MS / 1000);
            self->lost++;
            s_release(c, k);
            self->inflight--;
        }
    }
}

int load_run(load_t *self, const load_hooks_t *hooks, void *ctx,
             unsigned tick_ms)
{
    uint64_t tick_ns = (uint64_t)tick_ms * 1000000u;
    uint64_t next_tick = 0, next_expire = load_now_ns() + 1000000000u;
    int mode = LOAD_GO;
    for (;;) {
        if (self->stop && *self->stop)
            return -1;
        uint64_t now = load_now_ns();
        if (now >= next_tick) {
            int m = hooks->tick(ctx, self, now);
            if (m == LOAD_STOP)
                return 0;
            if (m > mode)
                mode = m;
            next_tick = now + tick_ns;
        }
        if (now >= next_expire) {
            s_expire(self, load_now_ns());
            next_expire = now + 1000000000u;
        }
        if (mode == LOAD_DRAIN && self->inflight == 0)
            return 0;
        if (mode == LOAD_GO && hooks->fill)
            for (int i = 0; i < self->nconns; i++)
                if (self->conns[i].nfree)
                    hooks->fill(ctx, self, i, self->conns[i].nfree);
        now = load_now_ns();
        long timeout =
            next_tick > now ? (long)((next_tick - now + 999999) / 1000000) : 0;
        int rc = zmq_poll(self->items, self->nconns + self->nwatch, timeout);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "juli-bench: poll: %s\n", zmq_strerror(errno));
            return -1;
        }
        for (int i = 0; rc > 0 && i < self->nconns; i++)
            if (self->items[i].revents & ZMQ_POLLIN)
                s_drain(self, hooks, ctx, i);
        for (int i = 0; rc > 0 && i < self->nwatch; i++)
            if (self->items[self->nconns + i].revents & ZMQ_POLLIN &&
                hooks->watch)
                hooks->watch(ctx, self, self->watch[i]);
    }
}

void load_reset(load_t *self)
{
    for (int k = 0; k < LOAD_MAX_KINDS; k++) {
        self->kinds[k].ok = self->kinds[k].failed = 0;
        self->kinds[k].nlat = 0;
    }
}

const load_kind_t *load_kind(const load_t *self, int kind)
{
    return &self->kinds[kind];
}

uint64_t load_failures(const load_t *self)
{
    return self->failures;
}
uint64_t load_mismatches(const load_t *self)
{
    return self->mismatches;
}
uint64_t load_lost(const load_t *self)
{
    return self->lost;
}

/* -- reading replies --------------------------------------------------------
 */

const msgpack_object *load_get(const msgpack_object *o, const char *path)
{
    while (o && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        const msgpack_object *next = NULL;
        if (o->type == MSGPACK_OBJECT_MAP)
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object *k = &o->via.map.ptr[i].key;
                if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
                    memcmp(k->via.str.ptr, path, n) == 0) {
                    next = &o->via.map.ptr[i].val;
                    break;
                }
            }
        o = next;
        path += n + (dot ? 1 : 0);
    }
    return o;
}

uint64_t load_uint(const msgpack_object *o, const char *path, uint64_t def)
{
    const msgpack_object *v = load_get(o, path);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : def;
}

char *load_str(const msgpack_object *o, const char *path, char *out,
               size_t size)
{
    const msgpack_object *v = load_get(o, path);
    if (v && v->type == MSGPACK_OBJECT_STR)
        snprintf(out, size, "%.*s", (int)v->via.str.size, v->via.str.ptr);
    else
        snprintf(out, size, "%s", "");
    return out;
}

static int s_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void load_sort(uint64_t *lat, size_t n)
{
    qsort(lat, n, sizeof *lat, s_cmp);
}

uint64_t load_percentile(const uint64_t *lat, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return lat[rank - 1];
}
