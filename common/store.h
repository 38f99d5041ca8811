/*  store: a daemon's own SQLite file, its event log, idempotency keys and
 *  upstream offsets.
 *
 *  The store keeps these invariants:
 *
 *    1. Every write happens inside one BEGIN IMMEDIATE transaction per loop
 *       turn (group commit). A request that fails leaves no trace: either it
 *       wrote nothing (store_dirty tells), or the caller rolls the whole
 *       transaction back. There are no savepoints.
 *    2. An event is appended to the log in the same transaction as the
 *       change it describes; seq counts from 1 with no gaps, also across
 *       rolled-back transactions and failed commits.
 *    3. Events are handed out for publishing (store_committed) only after
 *       their transaction committed.
 *    4. An idempotency key is stored with the reply it got, in the same
 *       transaction as the effect; only successful replies are stored.
 *    5. An upstream's offset moves in the same transaction as the effect of
 *       the event it names.
 *    6. Counters (requests by status, ...) move in the same transaction as
 *       what they count, so reading them never scans a table. Their moves
 *       are kept in memory and written once per key just before COMMIT
 *       (forgotten with a rolled-back transaction); a read inside the
 *       transaction writes them first.
 *
 *  The file is in WAL mode with synchronous=FULL unless configured NORMAL,
 *  and busy_timeout set for other readers (julictl backup, the sqlite3
 *  shell). Automatic checkpoints are off: the daemon calls store_checkpoint
 *  from a timer, outside the commit path. The schema is migrated by
 *  user_version: the store's own tables come first, then the daemon's steps.
 *
 *  SQLite's result codes do not leave this module: functions return 0 or -1
 *  (store_step: 1 for a row) and log the reason.
 */
#ifndef JULI_STORE_H
#define JULI_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef struct store store_t;

typedef struct {
    const char *path;
    const char *source;             /* "intake": the events' source */
    int synchronous_full;           /* 1: FULL, 0: NORMAL */
    const char *const *migrations;  /* the daemon's schema steps, NULL-ended */
} store_opts_t;

/* Opens (creating it if needed, with its directory) and migrates the store.
 * Returns NULL with a one-line reason in ERR. */
store_t *store_open(const store_opts_t *opts, char *err, size_t errlen);

/* Finalizes every statement and closes the file. NULL is fine; *SELF_P is
 * set to NULL. */
void store_close(store_t **self_p);

/* Prepares SQL once for the store's lifetime (finalized on close). Returns
 * NULL, logging why, when SQL does not compile or the store already holds
 * its most statements (96): a programmer error that start-up reports. */
sqlite3_stmt *store_prepare(store_t *self, const char *sql);

/* Steps STMT: 1 for a row, 0 when done (STMT is then reset), -1 on error
 * (logged; STMT reset). Bindings stay until the caller rebinds. When an
 * error made SQLite roll the open transaction back by itself (disk full,
 * I/O error), the transaction is lost: from then on every statement that
 * writes fails, and so do store_count_add and store_commit, until
 * store_rollback. */
int store_step(store_t *self, sqlite3_stmt *stmt);

/* Resets STMT after a caller stopped reading rows early. */
void store_reset(sqlite3_stmt *stmt);

/* Copies column COL of STMT's row as text into DST (SIZE > 0 bytes, cut
 * short to fit before a UTF-8 character that would not fit whole, always
 * terminated; "" for NULL). */
void store_column_copy(sqlite3_stmt *stmt, int col, char *dst, size_t size);

/* -- transactions ---------------------------------------------------------- */

/* BEGIN IMMEDIATE. Returns 0, or -1 (busy, I/O error). */
int store_begin(store_t *self);

/* COMMIT. Returns 0; or -1 after rolling the whole transaction back (then
 * the events appended in it are forgotten and seq is restored), always so
 * for a lost transaction. */
int store_commit(store_t *self);

/* ROLLBACK of the whole transaction, open or lost: its events and counter
 * moves are forgotten and seq is restored. */
void store_rollback(store_t *self);

/* Where the open transaction stands: taken before a request, so that
 * store_dirty can tell whether it wrote anything. */
typedef struct {
    int64_t changes; /* rows inserted, updated or deleted */
    size_t events, deltas;
} store_mark_t;

void store_mark(const store_t *self, store_mark_t *mark);

/* True when the transaction wrote a row, an event or a counter move since
 * MARK, or is lost (SQLite rolled it back itself after an error). */
int store_dirty(const store_t *self, const store_mark_t *mark);

/* True while a transaction is open, or lost and not yet rolled back. */
int store_in_transaction(const store_t *self);

/* Runs a passive WAL checkpoint (outside any transaction), unless no row
 * was written since the last one that copied the whole WAL: cheap then,
 * so a timer may call it on every tick. */
void store_checkpoint(store_t *self);

/* -- the event log --------------------------------------------------------- */

/* Appends an event of TYPE with DATA (one encoded map, which builds with
 * assertions check walks as a follower reads it) at TS; *SEQ gets its
 * seq. Must run inside a transaction. Returns 0 or -1. */
int store_event_append(store_t *self, const char *type, const void *data,
                       size_t len, uint64_t ts, uint64_t *seq);

/* The last seq appended (committed, or in the open transaction). */
uint64_t store_last_seq(const store_t *self);

/* The last seq known committed: what consumers may be shown. */
uint64_t store_durable_seq(const store_t *self);

/* The events the last successful commit made durable, in seq order, valid
 * until the next store_begin. Strings and data point into the store. */
const event_t *store_committed(const store_t *self, size_t *n);

/* Calls CB for each logged event with seq > AFTER, at most LIMIT, in seq
 * order; the event's pointers are valid during the call only. Returns the
 * count, or -1. */
int store_events_since(store_t *self, uint64_t after, size_t limit,
                       void (*cb)(const event_t *e, void *arg), void *arg);

/* -- idempotency keys ------------------------------------------------------ */

typedef struct {
    const char *type; /* NUL-terminated */
    const void *body; /* the request body as first seen (the api stores a
                         fingerprint of it) */
    size_t body_len;
    const void *reply; /* encoded reply, as first sent */
    size_t reply_len;
} store_idem_t;

/* Looks up key ID. Returns 1 and fills *OUT (pointers valid until the next
 * store_idem_get), 0 when unknown, -1 on error. */
int store_idem_get(store_t *self, const char *id, size_t id_len,
                   store_idem_t *out);

/* Stores key ID with its request type, body and reply. Returns 0 or -1. */
int store_idem_put(store_t *self, const char *id, size_t id_len,
                   const store_idem_t *entry);

/* -- upstream offsets ------------------------------------------------------ */

/* The last applied seq of UPSTREAM ("intake"...), 0 when none. */
int store_offset_get(store_t *self, const char *upstream, uint64_t *seq);

/* Records SEQ as the last applied seq of UPSTREAM, in the open
 * transaction. Returns 0 or -1. */
int store_offset_set(store_t *self, const char *upstream, uint64_t seq);

/* -- counters -------------------------------------------------------------- */

/* Moves counter KEY by DELTA, in the open transaction (written at commit).
 * Returns 0 or -1. */
int store_count_add(store_t *self, const char *key, int64_t delta);

/* Calls CB with every counter, in key order, with the moves of the open
 * transaction. Returns 0 or -1. */
int store_counts(store_t *self,
                 void (*cb)(const char *key, int64_t n, void *arg),
                 void *arg);

#endif
