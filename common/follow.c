/*  follow: an upstream's events, exactly once. See follow.h.
 *
 *  Fetch state:
 *
 *    IDLE --gap, start, or poll timer--> FETCHING (events.since sent)
 *      ^                                    |
 *      +--- reply with nothing newer -------+  (more behind: fetch again)
 *      +--- no reply in FOLLOW_STALE_MS ----+  (the request is sent again)
 *
 *  While catching up, the next page is asked for as soon as a page
 *  arrives, before it is applied, so the upstream reads page N+1 while
 *  this daemon applies page N. A page that does not start right after the
 *  cursor (page N failed to commit, or the fast path moved the cursor
 *  meanwhile) opens no transaction and applies nothing, and is asked for
 *  again from the cursor at once; only a page that was asked for from the
 *  cursor and still does not start there waits for the poll timer.
 *
 *  An events.since the upstream refuses (ok: false) is logged with the
 *  upstream's error and detail, once until a page is accepted again.
 */
#include "follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "frame.h"
#include "log.h"
#include "pack.h"

#define FOLLOW_POLL_MS  1000
#define FOLLOW_STALE_MS 5000
#define FOLLOW_PAGE     1000

struct follow {
    store_t *store;
    follow_opts_t opts;
    char upstream[32];
    bus_socket_t *sub, *dealer;
    uv_timer_t timer;
    frame_decoder_t *decoder;
    pack_t request;
    uint64_t cursor;      /* last applied, committed */
    uint64_t applying;    /* last applied in the open transaction */
    uint64_t head;        /* the newest seq the upstream has shown */
    int in_tx;            /* a delivery's transaction is open */
    int fetching;         /* an events.since is in flight */
    int catching_up;      /* a page or more behind: said in the log */
    int failed;           /* an apply failed: the delivery rolls back */
    int refused;          /* the last events.since was refused: logged */
    uint64_t fetch_sent;  /* uv_now when it was sent */
    uint64_t fetch_after; /* what it asked for: the events after this */
    char detail[256];
    metric_t *lag, *applied, *skipped;
};

uint64_t follow_cursor(const follow_t *self)
{
    return self ? self->cursor : 0;
}

/* Asks for the events after AFTER. */
static void s_fetch(follow_t *self, uint64_t after)
{
    pack_t *p = &self->request;
    pack_reset(p);
    pack_map(p, 2);
    pack_kstr(p, "type", "events.since");
    pack_str(p, "body");
    pack_map(p, 2);
    pack_kuint(p, "after", after);
    pack_kuint(p, "limit", FOLLOW_PAGE);
    bus_frame_t frames[2] = {{"", 0}, {pack_data(p), pack_size(p)}};
    /* With ZMQ_IMMEDIATE a send fails while the upstream is away: the
     * poll timer tries again. */
    if (bus_send(self->dealer, frames, 2) == 0) {
        self->fetching = 1;
        self->fetch_sent = uv_now(self->timer.loop);
        self->fetch_after = after;
    }
}

/* -- applying -------------------------------------------------------------- */

static int s_begin(follow_t *self)
{
    if (self->in_tx)
        return 0;
    if (store_begin(self->store) < 0)
        return -1;
    self->in_tx = 1;
    self->applying = self->cursor;
    return 0;
}

/* Ends the delivery: moves the offset to the last event applied and
 * commits. Effects and offset go together or not at all. */
static void s_end(follow_t *self)
{
    if (!self->in_tx)
        return;
    self->in_tx = 0;
    if (self->failed) {
        log_warn("follow %s: the store failed: will retry", self->upstream);
        self->failed = 0;
        store_rollback(self->store);
        return;
    }
    if (self->applying == self->cursor) {
        store_rollback(self->store); /* nothing was applied */
        return;
    }
    if (store_offset_set(self->store, self->upstream, self->applying) < 0) {
        store_rollback(self->store);
        return;
    }
    if (store_commit(self->store) < 0) {
        log_warn("follow %s: commit failed; will retry", self->upstream);
        return;
    }
    uint64_t n = self->applying - self->cursor;
    self->cursor = self->applying;
    if (self->applied)
        metric_add(self->applied, (double)n);
    if (self->opts.committed)
        self->opts.committed(self->opts.committed_ctx);
}

/* Applies the event map OBJ when it is the next one. Returns 1 when it was
 * the next (applied or skipped), 0 when not the next, -1 on failure. */
static int s_apply(follow_t *self, const msgpack_object *obj)
{
    field_map_t root;
    follow_event_t e;
    self->detail[0] = '\0';
    field_root(&root, obj, self->detail, sizeof self->detail);
    if (field_uint(&root, "seq", FIELD_REQUIRED, 1, UINT64_MAX, &e.seq) <
        0) {
        log_error("follow %s: an event without a seq: %s", self->upstream,
                  self->detail);
        return 0;
    }
    if (e.seq > self->head)
        self->head = e.seq;
    if (e.seq != self->applying + 1)
        return 0;
    if (field_uint(&root, "ts", FIELD_REQUIRED, 0, UINT64_MAX, &e.ts) < 0 ||
        field_str(&root, "type", FIELD_REQUIRED, 64, &e.type) < 0 ||
        field_map(&root, "data", FIELD_REQUIRED, &e.data) < 0) {
        log_error("follow %s: event %llu skipped: %s", self->upstream,
                  (unsigned long long)e.seq, self->detail);
        if (self->skipped)
            metric_add(self->skipped, 1);
        self->applying = e.seq;
        return 1;
    }
    /* No savepoint per event: a failure (the store's, never the event's)
     * rolls the whole delivery back, and it is tried again. */
    if (self->opts.apply(self->opts.ctx, &e) < 0) {
        self->failed = 1;
        return -1;
    }
    self->applying = e.seq;
    return 1;
}

/* -- SUB: the fast path ---------------------------------------------------- */

static void s_on_sub(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                     int truncated, void *arg)
{
    follow_t *self = arg;
    msgpack_object obj;
    char err[160];
    (void)s;
    if (n != 2 || truncated ||
        frame_decode(self->decoder, zmq_msg_data(&parts[1]),
                     zmq_msg_size(&parts[1]), &obj, err, sizeof err) < 0)
        return; /* not ours to answer; the log will have it */
    if (self->fetching || self->failed || s_begin(self) < 0)
        return; /* a page is coming that covers it, or a retry will */
    if (s_apply(self, &obj) == 0 && self->head > self->applying)
        s_fetch(self, self->cursor); /* a gap */
}

static void s_on_sub_batch(bus_socket_t *s, void *arg)
{
    (void)s;
    s_end(arg);
}

/* -- events.since: the log ------------------------------------------------- */

/* The seq of the event map E, or 0 when it has none. */
static uint64_t s_seq_of(follow_t *self, const msgpack_object *e)
{
    field_map_t m;
    uint64_t seq;
    if (e->type != MSGPACK_OBJECT_MAP)
        return 0;
    field_root(&m, e, self->detail, sizeof self->detail);
    if (field_uint(&m, "seq", FIELD_REQUIRED, 1, UINT64_MAX, &seq) < 0)
        return 0;
    return seq;
}

/* Logs an events.since the upstream refused, with its error and detail:
 * at warn the first time, then at debug until a page is accepted. */
static void s_refused(follow_t *self, const field_map_t *root)
{
    field_str_t error = {"(none)", 6}, detail = {"", 0};
    (void)field_str(root, "error", FIELD_OPTIONAL, 64, &error);
    (void)field_str(root, "detail", FIELD_OPTIONAL, 1024, &detail);
    if (self->refused)
        log_debug("follow %s: events.since refused again: %.*s: %.*s",
                  self->upstream, (int)error.len, error.ptr,
                  (int)detail.len, detail.ptr);
    else
        log_warn("follow %s: events.since refused: %.*s: %.*s",
                 self->upstream, (int)error.len, error.ptr, (int)detail.len,
                 detail.ptr);
    self->refused = 1;
}

static void s_on_page(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                      int truncated, void *arg)
{
    follow_t *self = arg;
    msgpack_object reply;
    char err[160];
    (void)s;
    self->fetching = 0;
    if (n < 1 || truncated ||
        frame_decode(self->decoder, zmq_msg_data(&parts[n - 1]),
                     zmq_msg_size(&parts[n - 1]), &reply, err,
                     sizeof err) < 0) {
        log_warn("follow %s: bad events.since reply: %s", self->upstream,
                 err);
        return;
    }
    field_map_t root;
    const msgpack_object *events;
    size_t count;
    uint64_t last = 0;
    int ok = 1;
    self->detail[0] = '\0';
    field_root(&root, &reply, self->detail, sizeof self->detail);
    if (field_bool(&root, "ok", FIELD_OPTIONAL, &ok) > 0 && !ok) {
        s_refused(self, &root);
        return;
    }
    if (field_array(&root, "events", FIELD_REQUIRED, 100000, &events,
                    &count) < 0 ||
        field_uint(&root, "last_seq", FIELD_REQUIRED, 0, UINT64_MAX,
                   &last) < 0) {
        log_warn("follow %s: bad events.since reply: %s", self->upstream,
                 self->detail);
        return;
    }
    self->refused = 0;
    if (last > self->head)
        self->head = last;
    if (count == 0)
        return;
    if (s_seq_of(self, &events[0]) != self->cursor + 1) {
        /* Asked for from elsewhere (see above): ask again from the cursor
         * now. Asked for from the cursor, the upstream's log has a hole
         * here: the poll timer asks again. */
        if (self->fetch_after != self->cursor)
            s_fetch(self, self->cursor);
        else
            log_warn("follow %s: the page after %llu starts at %llu",
                     self->upstream, (unsigned long long)self->cursor,
                     (unsigned long long)s_seq_of(self, &events[0]));
        return;
    }
    if (s_begin(self) < 0)
        return;
    /* A page from the cursor on, with more behind it: ask for the next
     * one now. */
    uint64_t page_end = s_seq_of(self, &events[count - 1]);
    if (page_end == self->cursor + count && self->head > page_end)
        s_fetch(self, page_end);
    int rc = 0;
    for (size_t i = 0; i < count && rc >= 0; i++)
        if (events[i].type == MSGPACK_OBJECT_MAP)
            rc = s_apply(self, &events[i]);
    uint64_t before = self->cursor;
    s_end(self);
    if (!self->fetching && rc >= 0 && self->cursor > before &&
        self->head > self->cursor)
        s_fetch(self, self->cursor); /* more behind */
    else if (self->cursor > before && self->cursor >= self->head &&
             self->catching_up) {
        log_info("follow %s: caught up at seq %llu", self->upstream,
                 (unsigned long long)self->cursor);
        self->catching_up = 0;
    }
    if (self->head > self->cursor + FOLLOW_PAGE && !self->catching_up) {
        log_info("follow %s: %llu events behind, catching up from the log",
                 self->upstream,
                 (unsigned long long)(self->head - self->cursor));
        self->catching_up = 1;
    }
}

static void s_on_timer(uv_timer_t *t)
{
    follow_t *self = t->data;
    uint64_t now = uv_now(t->loop);
    if (self->fetching && now - self->fetch_sent > FOLLOW_STALE_MS)
        self->fetching = 0; /* the reply was lost with a restart */
    if (!self->fetching)
        s_fetch(self, self->cursor);
    if (self->lag)
        metric_set(self->lag, (double)(self->head > self->cursor
                                           ? self->head - self->cursor
                                           : 0));
}

/* -- life ------------------------------------------------------------------ */

follow_t *follow_new(uv_loop_t *loop, bus_t *bus, store_t *store,
                     metrics_t *metrics, const follow_opts_t *opts,
                     char *err, size_t errlen)
{
    follow_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->store = store;
    self->opts = *opts;
    self->opts.curve = NULL; /* used only here, while connecting */
    if (!self->opts.committed_ctx)
        self->opts.committed_ctx = opts->ctx;
    snprintf(self->upstream, sizeof self->upstream, "%s", opts->upstream);
    pack_init(&self->request);
    uv_timer_init(loop, &self->timer);
    self->timer.data = self;
    /* Upstream frames are walked like any other, with room for a page. */
    frame_limits_t lim = frame_limits_reply();
    self->decoder = frame_decoder_new(&lim);
    if (!self->decoder ||
        store_offset_get(store, self->upstream, &self->cursor) < 0) {
        snprintf(err, errlen, "follow %s: cannot read the offset",
                 self->upstream);
        goto fail;
    }
    self->head = self->cursor;
    self->sub = bus_connect(bus, ZMQ_SUB, opts->events_endpoint, opts->curve,
                            err, errlen);
    if (!self->sub || bus_subscribe(self->sub, "") < 0)
        goto fail;
    self->dealer =
        bus_connect(bus, ZMQ_DEALER, opts->api_endpoint, opts->curve, err,
                    errlen);
    if (!self->dealer)
        goto fail;
    /* Nothing queued to an upstream is worth waiting for at shutdown. */
    int on = 1, linger = 0;
    zmq_setsockopt(bus_zsocket(self->dealer), ZMQ_IMMEDIATE, &on, sizeof on);
    zmq_setsockopt(bus_zsocket(self->dealer), ZMQ_LINGER, &linger,
                   sizeof linger);
    zmq_setsockopt(bus_zsocket(self->sub), ZMQ_LINGER, &linger,
                   sizeof linger);
    if (bus_start(self->sub, s_on_sub, s_on_sub_batch, self) < 0 ||
        bus_start(self->dealer, s_on_page, NULL, self) < 0) {
        snprintf(err, errlen, "follow %s: cannot watch the sockets",
                 self->upstream);
        goto fail;
    }
    if (metrics) {
        char labels[64];
        snprintf(labels, sizeof labels, "upstream=\"%s\"", self->upstream);
        self->lag = metrics_gauge(metrics, "juli_consumer_lag_events",
                                  "Upstream head seq minus the last applied.",
                                  labels);
        self->applied = metrics_counter(metrics, "juli_events_applied_total",
                                        "Upstream events applied.", labels);
        self->skipped = metrics_counter(
            metrics, "juli_events_skipped_total",
            "Upstream events passed over as unusable.", labels);
    }
    /* Catch up at once, then poll while idle. */
    uv_timer_start(&self->timer, s_on_timer, 0, FOLLOW_POLL_MS);
    return self;
fail:
    follow_destroy(&self);
    return NULL;
}

static void s_on_closed(uv_handle_t *h)
{
    free(h->data);
}

void follow_destroy(follow_t **self_p)
{
    follow_t *self = *self_p;
    if (!self)
        return;
    if (self->in_tx)
        store_rollback(self->store);
    bus_close(self->sub);
    bus_close(self->dealer);
    frame_decoder_destroy(&self->decoder);
    pack_free(&self->request);
    uv_close((uv_handle_t *)&self->timer, s_on_closed);
    *self_p = NULL;
}
