/*  api: a daemon's request/reply endpoint and event publisher, with group
 *  commit and idempotency.
 *
 *  An api_t owns the ROUTER socket (api) and the PUB socket (events) of one
 *  daemon, and runs every request through the same steps:
 *
 *    frame ──> malformed? ──> unknown_type? ──> forbidden for the caller's
 *          role? (the ZAP user id: never the body) ──> id and body (invalid)
 *          ──> idempotency key seen? (replay the stored reply, or conflict)
 *          ──> the service's handler, in the turn's transaction ──> reply
 *              queued
 *
 *  All requests drained in one loop turn share one transaction. After the
 *  commit the replies go out, then the events the turn logged are
 *  published; when the commit fails, every write of the turn is answered
 *  `unavailable` instead (nothing of it happened), and so is every query
 *  answered after the turn's first write, which may have read what never
 *  happened. A successful write's reply is stored under its id in the same
 *  transaction.
 *
 *  A handler checks before it writes, so a failed request has changed
 *  nothing, and there is no savepoint per request to pay for. Should one
 *  fail after writing all the same (a store error, or a handler that could
 *  not know earlier), the api rolls the turn back: the failed request's
 *  writes go, and so do those of the turn's requests before it, which are
 *  answered `unavailable` (their clients retry with the same id), as are
 *  the queries that may have read them; the requests after it start a
 *  fresh transaction.
 *
 *  The api answers `health` and `events.since` itself; everything else
 *  comes from the service's route table. It borrows the bus, the store and
 *  the metrics registry, which must outlive it.
 */
#ifndef JULI_API_H
#define JULI_API_H

#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "field.h"
#include "frame.h"
#include "metrics.h"
#include "pack.h"
#include "store.h"

typedef enum {
    API_OK = 0,
    API_MALFORMED,
    API_INVALID,
    API_UNKNOWN_TYPE,
    API_FORBIDDEN,
    API_NOT_FOUND,
    API_CONFLICT,
    API_UNAVAILABLE,
} api_status_t;

typedef struct api api_t;

/* The callers' roles (CURVE's ZAP user ids), as bits of a route's roles.
 * Without CURVE every caller has every role. */
enum {
    ROLE_APP = 1,      /* residents' apps, the hotline */
    ROLE_UNIT = 2,     /* unit:<id>: one resident unit or association */
    ROLE_STAFF = 4,    /* community staff */
    ROLE_ADMIN = 8,    /* operators */
    ROLE_SERVICE = 16, /* juli's own daemons, following each other */
    ROLE_ANY = 31,
};

/* One request being handled. Views point into the request frame. */
typedef struct {
    field_map_t body;  /* the body map (obj NULL when absent) */
    field_str_t id;    /* ptr NULL when the request had no id */
    const char *type;  /* the route's type */
    uint64_t now;      /* Unix ms, taken once per request */
    int roles;         /* the caller's role bits */
    char unit[65];     /* the caller's unit id for unit:<id>, else "" */
    api_t *api;
    /* private */
    pack_t *fields;
    uint32_t nfields;
    char *detail;
    size_t detail_len;
} api_req_t;

typedef api_status_t (*api_handler_fn)(api_req_t *req, void *ctx);

enum { API_QUERY = 0, API_WRITE = 1 };

typedef struct {
    const char *type;  /* "request.submit" */
    api_handler_fn fn;
    int flags;         /* API_WRITE: needs an id, is idempotent, may log */
    int roles;         /* who may send it (ROLE_ bits) */
} api_route_t;

typedef struct {
    const char *service; /* "intake" */
    const char *version;
    const char *api_endpoint;
    const char *events_endpoint;
    const bus_curve_t *curve;  /* NULL: no CURVE, loopback or ipc only */
    frame_limits_t limits;
    const api_route_t *routes; /* ends with a {NULL} entry */
    void *ctx;                 /* passed to every handler */
} api_opts_t;

/* Binds the api and events endpoints. Without CURVE, an endpoint that is
 * not loopback, ipc or inproc is refused. Returns NULL with a one-line
 * reason in ERR (endpoint taken, bad address, open without CURVE, more
 * routes than the api counts requests for: 62). A NULL BUS makes an api
 * without sockets, for api_call (tests, fuzzing). */
api_t *api_new(uv_loop_t *loop, bus_t *bus, store_t *store,
               metrics_t *metrics, const api_opts_t *opts, char *err,
               size_t errlen);

/* Starts taking requests. */
int api_start(api_t *self);

/* Stops taking requests and closes both sockets (their memory goes in the
 * loop's close callbacks). NULL is fine; *SELF_P is set to NULL. */
void api_destroy(api_t **self_p);

/* Runs one request frame as a turn of its own (decode, route, handle,
 * commit) and puts the reply's bytes into REPLY, the caller's role bits
 * being ROLES. For tests and fuzzing: no socket is involved. */
void api_call(api_t *self, const void *frame, size_t len, int roles,
              pack_t *reply);

/* Publishes the events of the last commit. For writers outside a request
 * turn (timers, followers) after their own store_commit. */
void api_publish_committed(api_t *self);

/* -- for handlers ---------------------------------------------------------- */

/* Starts the reply's own fields (after ok and id): the handler then writes
 * exactly N key/value pairs into the returned pack. */
pack_t *api_reply(api_req_t *req, uint32_t n);

/* Fails the request with STATUS and a detail; returns STATUS. A handler
 * whose field_* getter failed returns API_INVALID directly: the getter
 * already wrote the detail. */
api_status_t api_fail(api_req_t *req, api_status_t status, const char *fmt,
                      ...) __attribute__((format(printf, 3, 4)));

/* Logs an event of TYPE whose data is the map in DATA, in the turn's
 * transaction. Returns 0, or -1 (then fail the request as unavailable). */
int api_event(api_req_t *req, const char *type, const pack_t *data);

/* Asks for FN(CTX) to be called once, right after this request's turn
 * commits successfully (not when the commit fails, nor when the turn wrote
 * nothing). One hook per turn: a later call replaces it. For a service that
 * caches committed state: the hook must check what the store now holds,
 * since the request's writes may have been rolled back with a later
 * request's (see above). */
void api_on_commit(api_req_t *req, void (*fn)(void *ctx), void *ctx);

/* The store, for handlers. */
store_t *api_store(api_t *self);

#endif
