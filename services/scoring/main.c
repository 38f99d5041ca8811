/*  juli-scoring: party members' service points (积分) and star ratings
 *  (星级).
 *
 *  main wires the service into the common daemon: its schema, its routes,
 *  and a context that follows dispatch's events.
 */
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>

#include "scoring.h"

const char *const scoring_migrations[] = {
    /* 1: members, the ledger (append-only, hash-chained), ratings */
    "CREATE TABLE members (id TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " grp TEXT NOT NULL, branch TEXT NOT NULL,"
    " registered INTEGER NOT NULL);"
    "CREATE INDEX members_grp ON members (grp);"
    "CREATE INDEX members_branch ON members (branch);"
    "CREATE TABLE ledger (id INTEGER PRIMARY KEY, member TEXT NOT NULL,"
    " points INTEGER NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,"
    " by TEXT NOT NULL, source TEXT, seq INTEGER, task TEXT,"
    " ts INTEGER NOT NULL, made INTEGER NOT NULL, hash BLOB NOT NULL);"
    "CREATE INDEX ledger_member ON ledger (member, ts);"
    "CREATE INDEX ledger_ts ON ledger (ts);"
    "CREATE INDEX ledger_task ON ledger (task) WHERE task IS NOT NULL;"
    "CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger"
    " BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"
    "CREATE TABLE ratings (period TEXT NOT NULL, scope TEXT NOT NULL,"
    " id TEXT NOT NULL, points REAL NOT NULL, stars INTEGER NOT NULL,"
    " PRIMARY KEY (period, scope, id)) WITHOUT ROWID;",
    NULL,
};

const api_route_t scoring_routes[] = {
    {"member.register", board_member_register, API_WRITE, ROLE_ADMIN},
    {"volunteer.log", award_volunteer, API_WRITE, ROLE_STAFF | ROLE_ADMIN},
    {"points.adjust", award_adjust, API_WRITE, ROLE_ADMIN},
    {"points.get", ledger_points, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"ledger", ledger_get, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"ledger.verify", ledger_verify, API_QUERY, ROLE_ADMIN},
    {"leaderboard", board_leaderboard, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"ratings.compute", board_ratings_compute, API_WRITE, ROLE_STAFF | ROLE_ADMIN},
    {"ratings.list", board_ratings_list, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"stats", board_stats, API_QUERY, ROLE_STAFF | ROLE_ADMIN | ROLE_SERVICE},
    {NULL, NULL, 0, 0},
};

static void s_stop(void *ctx)
{
    scoring_t *sc = ctx;
    follow_destroy(&sc->dispatch);
    pack_free(&sc->data);
    pack_free(&sc->scratch);
    free(sc);
}

static void *s_start(daemon_t *d, char *err, size_t errlen)
{
    scoring_t *sc = calloc(1, sizeof *sc);
    if (!sc || sodium_init() < 0) {
        snprintf(err, errlen, "out of memory");
        free(sc);
        return NULL;
    }
    sc->daemon = d;
    sc->config = daemon_config(d);
    sc->store = daemon_store(d);
    pack_init(&sc->data);
    pack_init(&sc->scratch);
    sc->awarded = metrics_counter(daemon_metrics(d),
                                  "juli_points_awarded_total",
                                  "Service points given in the ledger.",
                                  NULL);
    sc->taken = metrics_counter(daemon_metrics(d),
                                "juli_points_taken_back_total",
                                "Service points taken back in the ledger "
                                "(reopened tasks, negative adjustments).",
                                NULL);
    if (ledger_prepare(sc) < 0 || board_prepare(sc) < 0) {
        snprintf(err, errlen, "cannot prepare the store's statements");
        s_stop(sc);
        return NULL;
    }
    const config_t *cfg = sc->config;
    const bus_curve_t *curve;
    if (daemon_upstream_curve(d, "dispatch", &curve, err, errlen) < 0) {
        s_stop(sc);
        return NULL;
    }
    follow_opts_t fo = {.upstream = "dispatch",
                        .curve = curve,
                        .api_endpoint = cfg->dispatch.api,
                        .events_endpoint = cfg->dispatch.events,
                        .apply = award_apply,
                        .committed = daemon_publish_committed,
                        .ctx = sc,
                        .committed_ctx = d};
    sc->dispatch = follow_new(daemon_loop(d), daemon_bus(d), sc->store,
                              daemon_metrics(d), &fo, err, errlen);
    if (!sc->dispatch) {
        s_stop(sc);
        return NULL;
    }
    return sc;
}

static const daemon_spec_t s_spec = {
    .name = "scoring",
    .summary = "Keeps party members' service points in an append-only "
               "ledger and rates members, groups and branches with stars.",
    .migrations = scoring_migrations,
    .routes = scoring_routes,
    .start = s_start,
    .stop = s_stop,
};

int main(int argc, char **argv)
{
    return daemon_main(argc, argv, &s_spec);
}
