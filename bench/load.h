/*  load: many requests in flight over many DEALER connections, replies
 *  matched by id, latency per kind of request.
 *
 *  A load_t owns one ZeroMQ context and its connections. Each connection
 *  is a DEALER socket with a window: at most WINDOW requests in flight.
 *  load_run turns one loop until a hook says stop:
 *
 *    fill   (each connection with room)  the caller issues requests with
 *                                         load_begin + load_send;
 *    reply  (each matched reply)          the caller sees the decoded map;
 *    watch  (each readable extra socket)  e.g. a SUB on a daemon's events;
 *    tick   (every TICK_MS)               the caller decides: go on, drain
 *                                         (no more fill; wait for what is
 *                                         in flight) or stop.
 *
 *  Every request carries an id "TAG.CONN.SEQ.SLOT": the reply names the
 *  connection and window slot it answers, and SEQ tells an answer to this
 *  request from a stray or repeated one. SEQ is zero-padded and grows, as
 *  a service numbering its requests would; with random ids it is a
 *  scramble of the count instead, as from a client that draws its keys at
 *  random (an idempotency index then takes its inserts all over). A reply whose id is missing,
 *  malformed, not ours or not outstanding counts as a mismatch; ok:false
 *  counts as a failure; a request unanswered for LOAD_LOST_MS counts as
 *  lost. These counters are what a smoke run asserts on.
 *
 *  Latency is the time from zmq_send to the reply's arrival, kept per kind
 *  (a small integer the caller gives each request) until load_reset.
 */
#ifndef JULI_BENCH_LOAD_H
#define JULI_BENCH_LOAD_H

#include <msgpack.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "pack.h"

#define LOAD_MAX_KINDS 8
#define LOAD_LOST_MS   30000

enum { LOAD_GO = 0, LOAD_DRAIN = 1, LOAD_STOP = 2 };

typedef struct load load_t;

typedef struct {
    /* CONN has ROOM free slots: issue up to ROOM requests (or none). */
    void (*fill)(void *ctx, load_t *l, int conn, unsigned room);
    /* The reply to a request of KIND with the caller's USER value. */
    void (*reply)(void *ctx, load_t *l, int conn, int kind, uint64_t user,
                  const msgpack_object *reply, int ok);
    /* ZSOCK (added with load_watch) is readable: drain it. */
    void (*watch)(void *ctx, load_t *l, void *zsock);
    /* Every tick: LOAD_GO, LOAD_DRAIN or LOAD_STOP. */
    int (*tick)(void *ctx, load_t *l, uint64_t now_ns);
} load_hooks_t;

typedef struct {
    uint64_t ok, failed; /* replies with ok true / false */
    uint64_t *lat_ns;    /* one per reply, in arrival order */
    size_t nlat, caplat;
} load_kind_t;

/* A new engine; STOP (may be NULL) is polled each turn, and a set flag
 * ends load_run at once (Ctrl-C). RANDOM_IDS: ids in no order (see
 * above). Returns NULL when out of memory. */
load_t *load_new(volatile sig_atomic_t *stop, int random_ids);

/* Closes every connection and the context. NULL is fine. */
void load_destroy(load_t **self_p);

/* Connects a DEALER to ENDPOINT with room for WINDOW requests in flight.
 * Returns the connection's index, or -1. */
int load_connect(load_t *self, const char *endpoint, unsigned window);

/* Adds ZSOCK (the caller's, made with load_zctx) to the poll set. */
int load_watch(load_t *self, void *zsock);

/* The engine's ZeroMQ context, for the caller's extra sockets. */
void *load_zctx(load_t *self);

/* Names KIND for reports ("request.submit"). */
void load_kind_name(load_t *self, int kind, const char *name);

/* Starts a request of TYPE on CONN: writes {type, id, body: } and returns
 * the pack where the caller writes the body's value (one map). Returns
 * NULL when CONN has no free slot. */
pack_t *load_begin(load_t *self, int conn, const char *type, int kind,
                   uint64_t user);

/* Sends the request begun on CONN. Returns 0, or -1 (counted as failed). */
int load_send(load_t *self, int conn);

/* Runs the loop with HOOKS until a tick says LOAD_STOP, or LOAD_DRAIN and
 * nothing is left in flight, or the stop flag is set. Returns 0, or -1
 * when stopped by the flag. */
int load_run(load_t *self, const load_hooks_t *hooks, void *ctx,
             unsigned tick_ms);

/* Counts a reply that came back wrong in a way only the caller sees
 * (WHY is printed for the first few). */
void load_mismatch(load_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets the latencies and counts gathered so far (end of a warm-up). */
void load_reset(load_t *self);

/* What was gathered for KIND since the last reset. */
const load_kind_t *load_kind(const load_t *self, int kind);

/* Totals since the start (never reset): failures, mismatches, lost. */
uint64_t load_failures(const load_t *self);
uint64_t load_mismatches(const load_t *self);
uint64_t load_lost(const load_t *self);

/* Monotonic nanoseconds. */
uint64_t load_now_ns(void);

/* -- reading replies --------------------------------------------------------
 */

/* The value under KEY in map O (a dotted path: "tasks.closed"), or NULL. */
const msgpack_object *load_get(const msgpack_object *o, const char *path);

/* PATH as an unsigned integer, or DEF when absent or not one. */
uint64_t load_uint(const msgpack_object *o, const char *path, uint64_t def);

/* PATH as a string copied into OUT (empty when absent). Returns OUT. */
char *load_str(const msgpack_object *o, const char *path, char *out,
               size_t size);

/* Sorts the N latencies in LAT, for load_percentile. */
void load_sort(uint64_t *lat, size_t n);

/* Percentile P (0..1) of the N sorted values in LAT, by nearest rank; 0
 * when N is 0. */
uint64_t load_percentile(const uint64_t *lat, size_t n, double p);

#endif
