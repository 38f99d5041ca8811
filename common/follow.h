/*  follow: applying an upstream daemon's events exactly once.
 *
 *  A follow_t keeps a cursor per upstream: the seq of the last event
 *  applied, stored in the same transaction as the event's effect (store's
 *  offsets). It applies only cursor + 1 and ignores anything at or below
 *  the cursor, so an event takes effect once whatever the path it came by:
 *
 *    SUB (fast path)      an event at cursor + 1 is applied at once; one
 *                         further ahead shows a gap, and starts a fetch;
 *    events.since (log)   at start, on a gap, and every second while idle
 *                         (PUB drops silently, so the tail of a burst may
 *                         only ever arrive this way), a page at a time
 *                         until the upstream has nothing newer.
 *
 *  The events of one delivery (a drained SUB batch, or a page) are applied
 *  in one transaction, then the offset moves and the transaction commits
 *  (a store failure rolls the whole delivery back, to be tried again); the
 *  committed hook then lets the service
 *  publish what its effects logged. An upstream that is down only delays
 *  this: nothing waits for it, and nothing is lost.
 *
 *  The follower owns its two sockets and its timer; it borrows the bus,
 *  the store and the metrics registry.
 */
#ifndef JULI_FOLLOW_H
#define JULI_FOLLOW_H

#include <stdint.h>
#include <uv.h>

#include "bus.h"
#include "field.h"
#include "metrics.h"
#include "store.h"

typedef struct follow follow_t;

/* One upstream event, as the apply hook sees it. Views point into the
 * received frame and die with the call. */
typedef struct {
    uint64_t seq, ts;
    field_str_t type;
    field_map_t data; /* path "data"; details go to a follower's buffer */
} follow_event_t;

typedef struct {
    const char *upstream;        /* "intake": the offset's name */
    const char *api_endpoint;    /* the upstream's api, for events.since */
    const char *events_endpoint; /* the upstream's PUB */
    const bus_curve_t *curve;    /* CURVE as a client, or NULL */
    /* Applies E inside the open transaction. Returns 0 when applied or
     * deliberately skipped (an event it cannot use is logged and passed
     * over: it would never become usable), -1 on a store failure: the
     * whole delivery is rolled back and tried again later, so a partly
     * applied event leaves nothing behind. */
    int (*apply)(void *ctx, const follow_event_t *e);
    /* After each commit that applied events, with COMMITTED_CTX (CTX when
     * NULL); may be NULL. daemon_publish_committed with the daemon
     * publishes what the effects logged. */
    void (*committed)(void *ctx);
    void *ctx;
    void *committed_ctx;
} follow_opts_t;

/* Connects to the upstream and starts following from the stored offset.
 * Returns NULL with a reason in ERR. */
follow_t *follow_new(uv_loop_t *loop, bus_t *bus, store_t *store,
                     metrics_t *metrics, const follow_opts_t *opts,
                     char *err, size_t errlen);

/* Stops following; the sockets and timer close in the loop. NULL is fine;
 * *SELF_P is set to NULL. */
void follow_destroy(follow_t **self_p);

/* The seq of the last event applied (0 for a NULL follower). */
uint64_t follow_cursor(const follow_t *self);

#endif
