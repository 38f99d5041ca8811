/*  scoring: the daemon that owns party members and the service points
 *  ledger (积分), and rates members, party groups and branches with stars
 *  (星级).
 *
 *  scoring_t is the service's context: the config (the points rule and the
 *  star thresholds), the store and its statements, and the follower of
 *  dispatch. Made by main.c's start hook, it lives until the stop hook.
 *
 *  Modules, one noun each:
 *    points.c   the rule: what a closed task or an hour of service earns
 *    ledger.c   the append-only, hash-chained ledger and its queries
 *    award.c    dispatch's events, volunteer logs and adjustments → ledger
 *    board.c    members, leaderboards and star ratings
 *    main.c     wiring: schema, routes, start and stop
 */
#ifndef JULI_SCORING_H
#define JULI_SCORING_H

#include <sqlite3.h>
#include <stdint.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "follow.h"
#include "period.h"
#include "store.h"

typedef struct {
    daemon_t *daemon;
    const config_t *config;
    store_t *store;
    follow_t *dispatch;
    pack_t data, scratch;
    /* ledger.c */
    sqlite3_stmt *entry_add, *entry_last, *entries_of, *entries_all,
        *task_net, *member_sum;
    /* board.c */
    sqlite3_stmt *member_put, *member_get, *board_members, *board_groups,
        *board_branches, *rating_get, *rating_put, *ratings_of;
    metric_t *awarded, *taken; /* points given, points taken back */
} scoring_t;

extern const char *const scoring_migrations[];

/* The requests the daemon answers, with who may send each (main.c). */
extern const api_route_t scoring_routes[];

/* -- points.c -------------------------------------------------------------- */

/* What one participant of a closed task earns, rounded once, half away
 * from zero: hours × per_hour + (difficulty + professional + satisfied) ×
 * urgency. DIFFICULTY and URGENCY are 1..3. */
int64_t points_task(const config_points_t *rule, double hours,
                    int difficulty, int urgency, int professional,
                    int satisfied);

/* What HOURS of volunteer service earn: hours × per_hour, rounded. */
int64_t points_volunteer(const config_points_t *rule, double hours);

/* -- ledger.c -------------------------------------------------------------- */

typedef struct {
    const char *member; /* NUL-terminated */
    int64_t points;
    const char *kind;   /* task, volunteer, adjust */
    const char *reason;
    const char *by;
    const char *source; /* for task entries, else NULL */
    uint64_t seq;
    const char *task;   /* the task id for task entries, else NULL */
    uint64_t ts;        /* the moment that places it in a period */
} entry_t;

int ledger_prepare(scoring_t *sc);
/* Appends E, chained to the previous entry's hash, and logs its
 * points.awarded event. Returns 0 or -1. */
int ledger_append(scoring_t *sc, const entry_t *e, uint64_t now);
/* Takes back what TASK's entries still net per member (a reopen), at TS.
 * Returns 0 or -1. */
int ledger_take_back(scoring_t *sc, const char *task, const char *by,
                     const char *source, uint64_t seq, uint64_t ts,
                     uint64_t now);
/* MEMBER's points in [FROM, TO). Returns 0 or -1. */
int ledger_sum(scoring_t *sc, const char *member, size_t len, int64_t from,
               int64_t to, int64_t *out);
api_status_t ledger_get(api_req_t *req, void *ctx);
api_status_t ledger_points(api_req_t *req, void *ctx);
api_status_t ledger_verify(api_req_t *req, void *ctx);

/* -- award.c --------------------------------------------------------------- */

/* Applies one of dispatch's events (a follow_t apply hook). */
int award_apply(void *ctx, const follow_event_t *e);
api_status_t award_volunteer(api_req_t *req, void *ctx);
api_status_t award_adjust(api_req_t *req, void *ctx);

/* -- board.c --------------------------------------------------------------- */

int board_prepare(scoring_t *sc);
api_status_t board_member_register(api_req_t *req, void *ctx);
api_status_t board_leaderboard(api_req_t *req, void *ctx);
api_status_t board_ratings_compute(api_req_t *req, void *ctx);
api_status_t board_ratings_list(api_req_t *req, void *ctx);
api_status_t board_stats(api_req_t *req, void *ctx);

#endif
