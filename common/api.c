/*  api: request/reply with group commit and idempotency. See api.h.
 *
 *  A turn, as the bus delivers it:
 *
 *    s_on_request  (per message)  decode, route, run the handler, queue
 *                                 the reply in the turn's outbox; a handler
 *                                 that failed after writing undoes the turn
 *                                 so far (s_undo_turn)
 *    s_on_batch    (once)         commit, send the outbox, publish events
 *
 *  The outbox keeps each reply's routing envelope and bytes in one arena
 *  that is reused from turn to turn.
 */
#include "api.h"

#include <assert.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "log.h"

#define API_MAX_ID      64
#define API_MAX_ROUTES  64  /* built-in and service routes together */
#define API_PRINT       16  /* bytes of a body's fingerprint */
#define API_MAX_ROUTING 256 /* bytes of a ROUTER peer id */

static const char *const s_status_names[] = {
    "ok",        "malformed", "invalid",  "unknown_type",
    "forbidden", "not_found", "conflict", "unavailable",
};

typedef struct {
    size_t routing_off, routing_len;
    int delimiter; /* the request came with an empty delimiter frame */
    size_t reply_off, reply_len;
    int provisional;     /* stands on the turn's open transaction: a
                            write, or a query that may have read its
                            writes; unavailable if the commit fails */
    int undone;          /* provisional, and the turn rolled back */
    char id[API_MAX_ID]; /* for the unavailable reply */
    size_t id_len;
} s_outgoing_t;

struct api {
    uv_loop_t *loop;
    store_t *store;
    metrics_t *metrics;
    api_opts_t opts;
    bus_socket_t *router, *pub;
    frame_decoder_t *decoder;
    uint64_t started_ms;
    int in_turn;     /* this turn began its transaction (first write) */
    int turn_failed; /* BEGIN failed: the turn's writes are unavailable */
    void (*on_commit)(void *ctx); /* api_on_commit's hook, this turn */
    void *on_commit_ctx;
    /* the turn's outbox */
    s_outgoing_t *out;
    size_t nout, capout;
    pack_t arena;
    /* scratch */
    pack_t fields, body, reply, scratch;
    char detail[256];
    metric_t *commit_seconds, *batch_size, *published;
    /* juli_requests_total by route (the built-ins first, then the
     * service's, then unknown types) and status, found once */
    metric_t *counted[API_MAX_ROUTES + 1][API_UNAVAILABLE + 1];
};

static const double s_commit_bounds[] = {0.0005, 0.001, 0.0025, 0.005,
                                         0.01,   0.025, 0.05,   0.1,
                                         0.25,   0.5,   1,      2.5};
static const double s_batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};

store_t *api_store(api_t *self)
{
    return self->store;
}

/* -- handler helpers ------------------------------------------------------- */

#ifndef NDEBUG
/* A handler that miscounts its map entries writes a broken reply: caught
 * here in every build that keeps assertions, which the tests do (an
 * event's data is checked by the store, whoever appends it). */
static int s_well_formed(const void *bytes, size_t len)
{
    static const frame_limits_t lim = {.max_frame = SIZE_MAX,
                                       .max_str = SIZE_MAX,
                                       .max_depth = 32,
                                       .max_array = SIZE_MAX,
                                       .max_map = SIZE_MAX};
    char err[128];
    if (frame_walk(bytes, len, &lim, err, sizeof err) == 0)
        return 1;
    log_error("api: a handler wrote a broken map: %s", err);
    return 0;
}
#endif

pack_t *api_reply(api_req_t *req, uint32_t n)
{
    req->nfields = n;
    return req->fields;
}

api_status_t api_fail(api_req_t *req, api_status_t status, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->detail, req->detail_len, fmt, ap);
    va_end(ap);
    return status;
}

int api_event(api_req_t *req, const char *type, const pack_t *data)
{
    uint64_t seq;
    return store_event_append(req->api->store, type, pack_data(data),
                              pack_size(data), req->now, &seq);
}

/* -- replies --------------------------------------------------------------- */

/* Writes the whole reply into self->reply. */
static void s_pack_reply(api_t *self, api_status_t st, field_str_t id,
                         const api_req_t *req, const char *detail)
{
    pack_t *r = &self->reply;
    pack_reset(r);
    if (st == API_OK) {
        pack_map(r, 1 + (id.ptr ? 1 : 0) + (req ? req->nfields : 0));
        pack_kbool(r, "ok", 1);
        if (id.ptr)
            pack_kstrn(r, "id", id.ptr, id.len);
        if (req && req->nfields)
            pack_raw(r, pack_data(req->fields), pack_size(req->fields));
        assert(s_well_formed(pack_data(r), pack_size(r)));
        return;
    }
    pack_map(r, 3 + (id.ptr ? 1 : 0));
    pack_kbool(r, "ok", 0);
    if (id.ptr)
        pack_kstrn(r, "id", id.ptr, id.len);
    pack_kstr(r, "error", s_status_names[st]);
    pack_kstr(r, "detail", detail ? detail : "");
}

/* Queues self->reply for the peer in PARTS. */
static void s_queue(api_t *self, const zmq_msg_t *routing, int delimiter,
                    field_str_t id, int provisional)
{
    if (self->nout == self->capout) {
        size_t cap = self->capout ? self->capout * 2 : BUS_BATCH;
        s_outgoing_t *o = realloc(self->out, cap * sizeof *o);
        if (!o) {
            log_error("api: out of memory: a reply is dropped");
            return;
        }
        self->out = o;
        self->capout = cap;
    }
    s_outgoing_t *o = &self->out[self->nout++];
    o->routing_off = pack_size(&self->arena);
    o->routing_len = zmq_msg_size((zmq_msg_t *)routing);
    msgpack_sbuffer_write(&self->arena.buf, zmq_msg_data((zmq_msg_t *)routing),
                          o->routing_len);
    o->delimiter = delimiter;
    o->reply_off = pack_size(&self->arena);
    o->reply_len = pack_size(&self->reply);
    msgpack_sbuffer_write(&self->arena.buf, pack_data(&self->reply),
                          o->reply_len);
    o->provisional = provisional;
    o->undone = 0;
    o->id_len = id.ptr ? id.len : 0;
    if (id.ptr)
        memcpy(o->id, id.ptr, id.len);
}

/* -- the built-in requests ------------------------------------------------- */

static api_status_t s_health(api_req_t *req, void *ctx)
{
    api_t *self = req->api;
    (void)ctx;
    pack_t *r = api_reply(req, 4);
    pack_kstr(r, "service", self->opts.service);
    pack_kstr(r, "version", self->opts.version);
    pack_kuint(r, "last_seq", store_durable_seq(self->store));
    pack_kuint(r, "uptime_s", (req->now - self->started_ms) / 1000);
    return API_OK;
}

typedef struct {
    pack_t *p;
    uint32_t n;
} s_since_t;

static void s_since_one(const event_t *e, void *arg)
{
    s_since_t *s = arg;
    event_pack(s->p, e);
    s->n++;
}

static api_status_t s_events_since(api_req_t *req, void *ctx)
{
    api_t *self = req->api;
    uint64_t after, limit = 1000;
    (void)ctx;
    if (field_uint(&req->body, "after", FIELD_REQUIRED, 0, UINT64_MAX,
                   &after) < 0 ||
        field_uint(&req->body, "limit", FIELD_OPTIONAL, 1, UINT64_MAX,
                   &limit) < 0)
        return API_INVALID;
    if (limit > 10000)
        limit = 10000;
    /* Only what is durable: a consumer must never apply an event whose
     * transaction may still fail. */
    uint64_t last = store_durable_seq(self->store);
    if (after >= last)
        limit = 0;
    else if (limit > last - after)
        limit = last - after;
    s_since_t s = {.p = &self->scratch};
    pack_reset(s.p);
    if (limit && store_events_since(self->store, after, (size_t)limit,
                                    s_since_one, &s) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read events");
    pack_t *r = api_reply(req, 2);
    pack_str(r, "events");
    pack_array(r, s.n);
    pack_raw(r, pack_data(s.p), pack_size(s.p));
    pack_kuint(r, "last_seq", last);
    return API_OK;
}

static const api_route_t s_builtin[] = {
    {"health", s_health, API_QUERY, ROLE_ANY},
    {"events.since", s_events_since, API_QUERY,
     ROLE_SERVICE | ROLE_STAFF | ROLE_ADMIN},
    {NULL, NULL, 0, 0},
};
#define S_NBUILTIN (sizeof s_builtin / sizeof s_builtin[0] - 1)

/* Counts N requests of ROUTE (NULL: an unknown type) answered ST. */
static void s_count(api_t *self, const api_route_t *route, api_status_t st,
                    double n)
{
    if (!self->metrics)
        return;
    size_t i = API_MAX_ROUTES; /* unknown */
    if (route && route >= s_builtin && route < s_builtin + S_NBUILTIN)
        i = (size_t)(route - s_builtin);
    else if (route)
        i = S_NBUILTIN + (size_t)(route - self->opts.routes);
    metric_t **m = &self->counted[i][st];
    if (!*m) {
        char labels[160];
        snprintf(labels, sizeof labels, "type=\"%s\",result=\"%s\"",
                 route ? route->type : "unknown", s_status_names[st]);
        *m = metrics_counter(self->metrics, "juli_requests_total",
                             "Requests answered, by type and result.",
                             labels);
    }
    metric_add(*m, n);
}

static const api_route_t *s_route(const api_t *self, field_str_t type)
{
    for (const api_route_t *r = s_builtin; r->type; r++)
        if (field_str_eq(type, r->type))
            return r;
    for (const api_route_t *r = self->opts.routes; r->type; r++)
        if (field_str_eq(type, r->type))
            return r;
    return NULL;
}

/* -- one request ----------------------------------------------------------- */

/* A request of ROUTE failed after writing: rolls back the turn's
 * transaction and marks the replies queued so far that stood on it (writes,
 * and queries that may have read them) undone. A later write of the turn
 * opens a new transaction. */
static void s_undo_turn(api_t *self, const api_route_t *route)
{
    log_warn("api: %s failed after writing: the turn's %zu earlier "
             "replies become unavailable",
             route->type, self->nout);
    store_rollback(self->store);
    self->in_turn = 0;
    self->on_commit = NULL;
    for (size_t i = 0; i < self->nout; i++)
        if (self->out[i].provisional) {
            self->out[i].provisional = 0;
            self->out[i].undone = 1;
        }
}

/* Checks the envelope and runs the handler. Returns the status; on API_OK
 * the reply's fields are in req->fields, or the whole reply in self->reply
 * when *PACKED is set (a write, or a replay). *PROVISIONAL is set for a
 * write whose effect now waits for the commit, and for a query answered
 * inside the turn's open transaction: it may have read the turn's writes,
 * so it stands or falls with them. */
static api_status_t s_handle(api_t *self, const msgpack_object *root,
                             const api_route_t **route_p, api_req_t *req,
                             int *provisional, int *packed)
{
    field_map_t top;
    field_str_t type;
    field_root(&top, root, req->detail, req->detail_len);
    if (field_str(&top, "type", FIELD_REQUIRED, 64, &type) < 0)
        return API_INVALID;
    const api_route_t *route = *route_p = s_route(self, type);
    /* A well-formed id goes back in the reply, whatever the answer; one
     * that is not is invalid only after the route and the role checks, in
     * the protocol's order. */
    field_str_t id;
    if (field_str(&top, "id", FIELD_OPTIONAL, API_MAX_ID, &id) > 0)
        req->id = id;
    if (!route)
        return api_fail(req, API_UNKNOWN_TYPE, "type: unknown: %.*s",
                        (int)type.len, type.ptr);
    req->type = route->type;
    if (!(route->roles & req->roles))
        return api_fail(req, API_FORBIDDEN, "type: %s is not for this caller",
                        route->type);
    if (field_str(&top, "id", FIELD_OPTIONAL, API_MAX_ID, &id) < 0 ||
        field_map(&top, "body", FIELD_OPTIONAL, &req->body) < 0)
        return API_INVALID;
    if (!(route->flags & API_WRITE)) {
        *provisional = self->in_turn && !self->turn_failed;
        return route->fn(req, self->opts.ctx);
    }

    if (!req->id.ptr)
        return api_fail(req, API_INVALID, "id: missing");
    /* The turn's transaction opens with its first write: a turn of
     * queries takes no write lock. */
    if (!self->in_turn) {
        self->in_turn = 1;
        self->turn_failed = store_begin(self->store) < 0;
    }
    if (self->turn_failed)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write now");
    /* The body's fingerprint (BLAKE2b of its canonical bytes), to tell a
     * retry from a reuse; no body is the same as an empty one. */
    pack_reset(&self->body);
    if (req->body.obj)
        pack_object(&self->body, req->body.obj);
    else
        pack_map(&self->body, 0);
    unsigned char print[API_PRINT];
    crypto_generichash(print, sizeof print,
                       (const unsigned char *)pack_data(&self->body),
                       pack_size(&self->body), NULL, 0);
    store_idem_t seen;
    int rc = store_idem_get(self->store, req->id.ptr, req->id.len, &seen);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 1) {
        if (strcmp(seen.type, route->type) != 0 ||
            seen.body_len != sizeof print ||
            memcmp(seen.body, print, sizeof print) != 0)
            return api_fail(req, API_CONFLICT,
                            "id: already used for another request");
        pack_reset(&self->reply);
        msgpack_sbuffer_write(&self->reply.buf, seen.reply, seen.reply_len);
        /* The key may have been written earlier in this very turn: the
         * replay stands or falls with the turn, like a write. */
        *provisional = 1;
        *packed = 1;
        return API_OK;
    }
    store_mark_t mark;
    store_mark(self->store, &mark);
    api_status_t st = route->fn(req, self->opts.ctx);
    if (st == API_OK) {
        s_pack_reply(self, API_OK, req->id, req, NULL);
        store_idem_t entry = {route->type, print, sizeof print,
                              pack_data(&self->reply),
                              pack_size(&self->reply)};
        if (store_idem_put(self->store, req->id.ptr, req->id.len, &entry) <
            0)
            st = api_fail(req, API_UNAVAILABLE, "store: cannot write now");
    }
    if (st != API_OK && store_dirty(self->store, &mark))
        s_undo_turn(self, route);
    *provisional = st == API_OK;
    *packed = st == API_OK;
    return st;
}

/* The role bits and unit id of a ZAP user id (NULL: no CURVE, every
 * role). */
static void s_roles(const char *role, api_req_t *req)
{
    static const struct {
        const char *name;
        int bit;
    } names[] = {{"app", ROLE_APP},
                 {"staff", ROLE_STAFF},
                 {"admin", ROLE_ADMIN},
                 {"service", ROLE_SERVICE}};
    req->unit[0] = '\0';
    if (!role) {
        req->roles = ROLE_ANY;
        return;
    }
    req->roles = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(role, names[i].name) == 0)
            req->roles = names[i].bit;
    if (strncmp(role, "unit:", 5) == 0) {
        req->roles = ROLE_UNIT;
        snprintf(req->unit, sizeof req->unit, "%s", role + 5);
    }
}

/* Runs one request frame: afterwards the whole reply is in self->reply.
 * Returns the status; *ID is the request's id for the reply, *PROVISIONAL
 * set for a reply that waits for the commit (s_handle). */
static api_status_t s_run(api_t *self, const void *bytes, size_t size,
                          const char *role, field_str_t *id,
                          int *provisional)
{
    api_req_t req = {.api = self,
                     .now = clock_now_ms(),
                     .fields = &self->fields,
                     .detail = self->detail,
                     .detail_len = sizeof self->detail};
    s_roles(role, &req);
    self->detail[0] = '\0';
    pack_reset(&self->fields);
    const api_route_t *route = NULL;
    *provisional = 0;
    int packed = 0; /* the reply is in self->reply already */
    api_status_t st;
    msgpack_object root;
    if (size > self->opts.limits.max_frame)
        st = api_fail(&req, API_MALFORMED, "frame of %zu bytes is over %zu",
                      size, self->opts.limits.max_frame);
    else if (frame_decode(self->decoder, bytes, size, &root, self->detail,
                          sizeof self->detail) < 0)
        st = API_MALFORMED;
    else
        st = s_handle(self, &root, &route, &req, provisional, &packed);
    if (!packed)
        s_pack_reply(self, st, req.id, &req, self->detail);
    *id = req.id;
    s_count(self, route, st, 1);
    return st;
}

static void s_on_request(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                         int truncated, void *arg)
{
    api_t *self = arg;
    (void)s;
    /* [peer id] [empty delimiter]? [payload] */
    int delimiter = n == 3 && zmq_msg_size(&parts[1]) == 0;
    if (truncated || n < 2 || n > 3 || (n == 3 && !delimiter) ||
        zmq_msg_size(&parts[0]) > API_MAX_ROUTING) {
        log_debug("api: dropped a message of %zu frames", n);
        return;
    }
    zmq_msg_t *payload = &parts[n - 1];
    field_str_t id;
    int provisional;
    s_run(self, zmq_msg_data(payload), zmq_msg_size(payload),
          bus_peer_role(payload), &id, &provisional);
    s_queue(self, &parts[0], delimiter, id, provisional);
}

/* Ends a turn: commits its transaction, if it opened one. Returns 1 when
 * the turn's writes are durable (or it had none), 0 when they were lost. */
static int s_end_turn(api_t *self)
{
    if (!self->in_turn)
        return 1;
    self->in_turn = 0;
    if (self->turn_failed) {
        self->on_commit = NULL;
        return 0;
    }
    uint64_t t0 = uv_hrtime();
    int committed = store_commit(self->store) == 0;
    if (self->metrics) {
        metric_observe(self->commit_seconds,
                       (double)(uv_hrtime() - t0) / 1e9);
        metric_observe(self->batch_size, (double)(self->nout ? self->nout
                                                             : 1));
    }
    if (!committed)
        log_warn("api: commit failed: the turn's writes become unavailable");
    void (*hook)(void *) = self->on_commit;
    self->on_commit = NULL;
    if (committed && hook)
        hook(self->on_commit_ctx);
    return committed;
}

void api_on_commit(api_req_t *req, void (*fn)(void *ctx), void *ctx)
{
    req->api->on_commit = fn;
    req->api->on_commit_ctx = ctx;
}

void api_call(api_t *self, const void *frame, size_t len, int roles,
              pack_t *reply)
{
    static const char *const names[] = {"app", "unit:U-test", "staff",
                                        "admin", "service"};
    const char *role = NULL;
    for (int i = 0; i < 5; i++)
        if (roles == 1 << i)
            role = names[i];
    field_str_t id;
    int provisional;
    s_run(self, frame, len, roles == ROLE_ANY ? NULL : role, &id,
          &provisional);
    int committed = s_end_turn(self);
    pack_reset(reply);
    if (provisional && !committed) {
        s_pack_reply(self, API_UNAVAILABLE, id, NULL, "store: commit failed");
    }
    pack_raw(reply, pack_data(&self->reply), pack_size(&self->reply));
}

/* Sends one queued reply; a vanished peer is not an error worth more than a
 * debug line (the client retries with the same id). */
static void s_send(api_t *self, const s_outgoing_t *o, const void *reply,
                   size_t len)
{
    const char *base = pack_data(&self->arena);
    bus_frame_t frames[3] = {{base + o->routing_off, o->routing_len}};
    size_t n = 1;
    if (o->delimiter)
        frames[n++] = (bus_frame_t){"", 0};
    frames[n++] = (bus_frame_t){reply, len};
    bus_send(self->router, frames, n);
}

void api_publish_committed(api_t *self)
{
    size_t n;
    if (!self->pub)
        return; /* an api for api_call */
    const event_t *events = store_committed(self->store, &n);
    for (size_t i = 0; i < n; i++) {
        pack_reset(&self->scratch);
        event_pack(&self->scratch, &events[i]);
        bus_frame_t frames[2] = {
            {events[i].type, strlen(events[i].type)},
            {pack_data(&self->scratch), pack_size(&self->scratch)}};
        if (bus_send(self->pub, frames, 2) == 0 && self->published)
            metric_add(self->published, 1);
    }
}

static void s_on_batch(bus_socket_t *s, void *arg)
{
    api_t *self = arg;
    (void)s;
    int had_turn = self->in_turn && !self->turn_failed;
    int committed = s_end_turn(self);
    for (size_t i = 0; i < self->nout; i++) {
        const s_outgoing_t *o = &self->out[i];
        if (o->undone || (o->provisional && !committed)) {
            field_str_t id = {o->id, o->id_len};
            s_pack_reply(self, API_UNAVAILABLE, id, NULL,
                         o->undone ? "store: undone with the turn, retry"
                                   : "store: commit failed");
            s_send(self, o, pack_data(&self->reply), pack_size(&self->reply));
        } else
            s_send(self, o, pack_data(&self->arena) + o->reply_off,
                   o->reply_len);
    }
    self->nout = 0;
    pack_reset(&self->arena);
    if (had_turn && committed)
        api_publish_committed(self);
}

/* -- life ------------------------------------------------------------------ */

/* Whether EP is loopback, ipc or inproc: all an endpoint may be without
 * CURVE. */
static int api_endpoint_local(const char *ep)
{
    static const char *const local[] = {
        "ipc://", "inproc://", "tcp://127.", "tcp://localhost:",
        "tcp://[::1]:",
    };
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (strncmp(ep, local[i], strlen(local[i])) == 0)
            return 1;
    return 0;
}

api_t *api_new(uv_loop_t *loop, bus_t *bus, store_t *store,
               metrics_t *metrics, const api_opts_t *opts, char *err,
               size_t errlen)
{
    /* Each route has its row of request counters. */
    size_t nroutes = 0;
    while (opts->routes[nroutes].type)
        nroutes++;
    if (S_NBUILTIN + nroutes > API_MAX_ROUTES) {
        snprintf(err, errlen,
                 "%s: %zu routes, over the api's %zu (with its %zu own)",
                 opts->service, nroutes, (size_t)API_MAX_ROUTES - S_NBUILTIN,
                 S_NBUILTIN);
        return NULL;
    }
    api_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->loop = loop;
    self->store = store;
    self->metrics = metrics;
    self->opts = *opts;
    self->started_ms = clock_now_ms();
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium cannot start");
        free(self);
        return NULL;
    }
    pack_init(&self->arena);
    pack_init(&self->fields);
    pack_init(&self->body);
    pack_init(&self->reply);
    pack_init(&self->scratch);
    self->decoder = frame_decoder_new(&opts->limits);
    if (!self->decoder) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!bus)
        goto metrics; /* for api_call: no sockets */
    const char *eps[] = {opts->api_endpoint, opts->events_endpoint};
    for (int i = 0; i < 2 && !opts->curve; i++)
        if (!api_endpoint_local(eps[i])) {
            snprintf(err, errlen,
                     "refusing to bind %s without CURVE: only loopback, "
                     "ipc or inproc (set [security] curve = on)",
                     eps[i]);
            goto fail;
        }
    /* Far above the frame limit, so an oversize frame still gets its
     * malformed reply instead of a silent disconnect. */
    int64_t max_msg = (int64_t)opts->limits.max_frame * 16;
    self->router = bus_bind(bus, ZMQ_ROUTER, opts->api_endpoint, max_msg,
                            opts->curve, err, errlen);
    if (!self->router)
        goto fail;
    self->pub = bus_bind(bus, ZMQ_PUB, opts->events_endpoint, -1,
                         opts->curve, err, errlen);
    if (!self->pub)
        goto fail;
metrics:
    if (metrics) {
        self->commit_seconds = metrics_histogram(
            metrics, "juli_store_commit_seconds",
            "Time to commit one turn's transaction.", NULL, s_commit_bounds,
            sizeof s_commit_bounds / sizeof s_commit_bounds[0]);
        self->batch_size = metrics_histogram(
            metrics, "juli_store_batch_requests",
            "Requests answered per committed turn.", NULL, s_batch_bounds,
            sizeof s_batch_bounds / sizeof s_batch_bounds[0]);
        self->published = metrics_counter(metrics,
                                          "juli_events_published_total",
                                          "Events sent on the PUB socket.",
                                          NULL);
        /* Every type's ok series from 0, so rate() sees the first one. */
        const api_route_t *tables[] = {s_builtin, opts->routes};
        for (int t = 0; t < 2; t++)
            for (const api_route_t *r = tables[t]; r->type; r++)
                s_count(self, r, API_OK, 0);
    }
    return self;
fail:
    api_destroy(&self);
    return NULL;
}


int api_start(api_t *self)
{
    return bus_start(self->router, s_on_request, s_on_batch, self);
}

void api_destroy(api_t **self_p)
{
    api_t *self = *self_p;
    if (!self)
        return;
    bus_close(self->router);
    bus_close(self->pub);
    frame_decoder_destroy(&self->decoder);
    pack_free(&self->arena);
    pack_free(&self->fields);
    pack_free(&self->body);
    pack_free(&self->reply);
    pack_free(&self->scratch);
    free(self->out);
    free(self);
    *self_p = NULL;
}
