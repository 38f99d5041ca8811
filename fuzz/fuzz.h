/*  fuzz: what the service fuzz targets share.
 *
 *  A service target (intake.c, dispatch.c, scoring.c) keeps one in-memory
 *  store, one service context and one socketless api (api_new with a NULL
 *  bus) in globals, seeds them with a known state, and runs each input as
 *  one request turn through api_call:
 *
 *      input = [role byte] [request frame ...]
 *
 *  the role byte picking ROLE_ANY, ROLE_APP, ROLE_UNIT (as "unit:U-test"),
 *  ROLE_STAFF, ROLE_ADMIN or ROLE_SERVICE (byte % 6). With bit 0x40 of that
 *  byte set, the frame is instead one event of the upstream the daemon
 *  follows ({ts, type, data}), for its apply hook (fuzz_upstream). Every
 *  reply must walk clean as a frame and hold the envelope the protocol
 *  promises (fuzz_check_reply), every event it logged must walk clean the way
 *  a follower reads it (fuzz_check_events), and what it stored must read back
 *  clean (fuzz_probes_t); anything else aborts, which is the finding.
 *
 *  The state is rebuilt from scratch before an input whenever the inputs
 *  before it changed the store (any row written, even if rolled back), so
 *  every input meets the same seeded state and a crash file replays on its
 *  own. JULI_FUZZ_RESET=N rebuilds every N inputs instead, letting state
 *  pile up in between: that finds more, but gives crashes that may need
 *  their predecessors.
 *
 *  Logging is off unless JULI_FUZZ_LOG names a level ("error" ... "debug");
 *  JULI_FUZZ_PRINT=1 prints every reply.
 */
#ifndef JULI_FUZZ_H
#define JULI_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "follow.h"
#include "pack.h"
#include "store.h"

/* The role bits the first input byte B stands for. */
int fuzz_role(uint8_t b);

/* Sets up logging (off unless JULI_FUZZ_LOG) and the time zone the daemons
 * use (Asia/Shanghai). Aborts when the zone is not installed. */
void fuzz_env(const char *name);

/* Opens an empty in-memory store whose events come from SOURCE
 * ("intake"), migrated with MIGRATIONS. Returns it; the caller owns it
 * (store_close). Aborts, printing why, when it cannot be opened. */
store_t *fuzz_store(const char *source, const char *const *migrations);

/* Makes the socketless api of SERVICE on STORE (api_new with a NULL bus):
 * ROUTES, each handed CTX, under the frame LIMITS. LOOP and METRICS may be
 * NULL, as api_new allows; STORE, LOOP, METRICS and CTX stay the caller's
 * and must outlive the api. Returns it; the caller owns it (api_destroy).
 * Aborts, printing why, when api_new fails. */
api_t *fuzz_api(uv_loop_t *loop, store_t *store, metrics_t *metrics,
                const char *service, const api_route_t *routes, void *ctx,
                frame_limits_t limits);

/* One request of a seeded state: the role bits it is sent with and the
 * request written as JSON (fuzz_seed). A table of them ends with a NULL
 * json. */
typedef struct {
    int roles;
    const char *json;
} fuzz_seed_t;

/* Runs fuzz_seed on each request of SEEDS in order, up to the one with a
 * NULL json. SEEDS stays the caller's (a static table). */
void fuzz_seeds(api_t *api, const fuzz_seed_t *seeds);

/* One node of the grid tree the targets seed: the HCZ community
 * (火车站社区) with its grids, compounds and stairwells, and the XQ
 * community (新区社区) with its grid G9. Each target picks the nodes it
 * seeds, parents first, by code (fuzz_node). */
typedef struct {
    const char *code;   /* "G1" */
    const char *name;   /* "第一网格" */
    const char *kind;   /* "community", "grid", "compound", "stairwell" */
    const char *parent; /* its parent's code; NULL for a community */
} fuzz_node_t;

/* The node of the tree whose code is CODE, owned by fuzz.c (static).
 * Aborts on a code the tree lacks: the seeds are the harness's own. */
const fuzz_node_t *fuzz_node(const char *code);

/* Applies UPSTREAM's event of TYPE with the JSON map DATA ("{...}"),
 * stamped with the clock's now, through APPLY(CTX, e) on STORE the way
 * the follower would (fuzz_upstream). For seeding a known state: aborts
 * when it is an event follow.c would skip. */
void fuzz_event(store_t *store, const char *upstream, const char *type,
                const char *data,
                int (*apply)(void *ctx, const follow_event_t *e), void *ctx);

/* When a target rebuilds its state (see above). */
typedef struct {
    unsigned every; /* JULI_FUZZ_RESET; 0: when the store changed */
    unsigned runs;  /* inputs since the last rebuild */
    sqlite3 *db;
    long long clean; /* the db's total changes once seeded */
} fuzz_state_t;

/* Reads JULI_FUZZ_RESET into *ST. */
void fuzz_state_init(fuzz_state_t *st);

/* Notes that the state was just (re)built and seeded, on the store that
 * ANY, one of its statements, belongs to. */
void fuzz_state_seeded(fuzz_state_t *st, sqlite3_stmt *any);

/* Called before each input: whether the state must be rebuilt first. */
int fuzz_state_stale(fuzz_state_t *st);

/* Called before each input in place of fuzz_state_stale: when the state
 * must be rebuilt, DOWN tears it down and UP builds and seeds it again
 * (ending with fuzz_state_seeded). */
void fuzz_state_renew(fuzz_state_t *st, void (*down)(void), void (*up)(void));

/* Whether the store changed since the state was seeded. */
int fuzz_state_changed(const fuzz_state_t *st);

/* Queries that read back what inputs may have stored (request.get with its
 * timeline, lists, the event log), run after an input that changed the
 * store: a reply that does not walk is then found at once, not by a later
 * input that the rebuild keeps from ever seeing it. */
typedef struct {
    pack_t frames; /* the encoded queries, back to back */
    size_t n;
    size_t end[64];
} fuzz_probes_t;

/* Empties *P. */
void fuzz_probes_init(fuzz_probes_t *p);

/* Adds the query written as JSON. */
void fuzz_probes_add(fuzz_probes_t *p, const char *json);

/* Adds the queries every service answers: events.since over the whole
 * log, then stats. */
void fuzz_probes_common(fuzz_probes_t *p);

/* Called after each input: when the store changed since ST was seeded
 * (fuzz_state_changed), runs every query of P through API as ROLE_ADMIN
 * and checks each reply (fuzz_check_reply), into the caller's REPLY. */
void fuzz_probes_run(fuzz_probes_t *p, const fuzz_state_t *st, api_t *api,
                     pack_t *reply);

/* Encodes JSON text (objects, arrays, strings with \" \\ \n \t \uXXXX
 * escapes, integers, floats, true, false, null) as MessagePack into P.
 * Aborts on JSON it cannot read: the seeds are the harness's own. */
void fuzz_json(pack_t *p, const char *json);

/* Writes the printf FMT with its arguments, for JSON made from a table
 * (fuzz_seed, fuzz_probes_add, fuzz_event). Returns fuzz.c's static
 * buffer, valid until the next call; aborts when the text would not fit
 * in 1023 bytes. */
const char *fuzz_format(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Runs the request written as JSON through API with ROLES and aborts,
 * printing the reply, unless it is ok: true. For seeding a known state. */
void fuzz_seed(api_t *api, int roles, const char *json);

/* Checks the reply REPLY[0..LEN) to the request frame REQ[0..REQLEN): it
 * walks clean (no size limits, the protocol's depth), is a map with a bool
 * "ok", an error reply has a known "error" and a str "detail", and a
 * request that carried a valid id gets it back. Aborts with both frames in
 * hex otherwise. */
void fuzz_check_reply(const void *req, size_t reqlen, const void *reply,
                      size_t len);

/* Checks the events of STORE's last commit: each, as the envelope
 * events.since serves, walks clean with the limits a follower decodes its
 * upstream's pages with (follow.c), leaving room for the page around it.
 * Aborts with the event in hex otherwise: a follower could never get past
 * it. */
void fuzz_check_events(const store_t *store);

/* One input for a service target: api_call with the role of DATA[0] on the
 * frame DATA[1..SIZE), then fuzz_check_reply and fuzz_check_events on its
 * store. REPLY is the caller's reusable buffer. */
void fuzz_call(api_t *api, const uint8_t *data, size_t size, pack_t *reply);

/* One input for a service target, as fuzz.h's opening says: with bit 0x40
 * of DATA[0] set, fuzz_upstream of DATA[1..SIZE) as UPSTREAM's event
 * through APPLY(CTX, e) on API's store; otherwise fuzz_call. An empty
 * input does nothing. REPLY is the caller's reusable buffer. */
void fuzz_input(api_t *api, const char *upstream,
                int (*apply)(void *ctx, const follow_event_t *e), void *ctx,
                const uint8_t *data, size_t size, pack_t *reply);

/* One of an upstream's events for a follower's apply hook, the way
 * follow.c hands it over: FRAME[0..LEN) is decoded under a follower's
 * limits as {ts, type, data} (seq is the next after STORE's offset of
 * UPSTREAM; a frame follow.c would skip is skipped), then APPLY(CTX, e) runs
 * in a transaction that also moves the offset (rolled back whole when it
 * fails, as follow.c does), and fuzz_check_events. Returns 1, or 0 when
 * skipped. Aborts when APPLY fails on this healthy in-memory store: the
 * follower would retry that event forever. */
int fuzz_upstream(store_t *store, const char *upstream, const uint8_t *frame,
                  size_t len, int (*apply)(void *ctx, const follow_event_t *e),
                  void *ctx);

/* Aborts unless every counter of STORE whose key starts with PREFIX
 * ("tasks.") equals the count the statement ROWS (prepared on STORE,
 * yielding rows of name, count) gives for the rest of its key, 0 for a
 * name it does not yield: the counters stats answers with must agree with
 * the tables. */
void fuzz_check_counts(store_t *store, const char *prefix, sqlite3_stmt *rows);

#endif
