/*  juli-intake: the grid tree and residents' requests (居民点单).
 *
 *  main wires the service into the common daemon: its schema, its routes
 *  and its context. The daemon's life (config, store, sockets, signals) is
 *  common/daemon.c; the service's logic is grid.c, request.c and
 *  progress.c, which follows dispatch's events.
 */
#include <stdio.h>
#include <stdlib.h>

#include "intake.h"

const char *const intake_migrations[] = {
    /* 1: the grid tree, requests and their timelines */
    "CREATE TABLE grid (code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " kind INTEGER NOT NULL, parent TEXT REFERENCES grid (code));"
    "CREATE TABLE requests (rid INTEGER PRIMARY KEY, status TEXT NOT NULL,"
    " text TEXT NOT NULL, channel TEXT NOT NULL, category TEXT,"
    " suggested INTEGER NOT NULL, urgency INTEGER NOT NULL,"
    " community TEXT, grid TEXT, compound TEXT, stairwell TEXT,"
    " address TEXT, reporter_id TEXT, reporter_name TEXT,"
    " reporter_phone TEXT, created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE INDEX requests_status ON requests (status, rid);"
    "CREATE INDEX requests_grid ON requests (grid, rid);"
    "CREATE INDEX requests_category ON requests (category, rid);"
    "CREATE TABLE timeline (rid INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " status TEXT NOT NULL, note TEXT);"
    "CREATE INDEX timeline_rid ON timeline (rid);",
    NULL,
};

const api_route_t intake_routes[] = {
    {"grid.define", grid_define, API_WRITE, ROLE_ADMIN},
    {"request.submit", request_submit, API_WRITE, ROLE_APP | ROLE_STAFF | ROLE_ADMIN},
    {"request.classify", request_classify, API_WRITE, ROLE_STAFF | ROLE_ADMIN},
    {"request.cancel", request_cancel, API_WRITE, ROLE_APP | ROLE_STAFF | ROLE_ADMIN},
    {"request.get", request_get, API_QUERY, ROLE_APP | ROLE_STAFF | ROLE_ADMIN},
    {"requests.list", request_list, API_QUERY, ROLE_STAFF | ROLE_ADMIN},
    {"stats", request_stats, API_QUERY, ROLE_STAFF | ROLE_ADMIN | ROLE_SERVICE},
    {NULL, NULL, 0, 0},
};

static void s_stop(void *ctx);

static void *s_start(daemon_t *d, char *err, size_t errlen)
{
    intake_t *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    in->daemon = d;
    in->config = daemon_config(d);
    in->store = daemon_store(d);
    pack_init(&in->data);
    pack_init(&in->list);
    if (grid_prepare(in) < 0 || request_prepare(in) < 0) {
        snprintf(err, errlen, "cannot prepare the store's statements");
        s_stop(in);
        return NULL;
    }
    const config_t *cfg = in->config;
    const bus_curve_t *curve;
    if (daemon_upstream_curve(d, "dispatch", &curve, err, errlen) < 0) {
        s_stop(in);
        return NULL;
    }
    follow_opts_t fo = {.upstream = "dispatch",
                        .curve = curve,
                        .api_endpoint = cfg->dispatch.api,
                        .events_endpoint = cfg->dispatch.events,
                        .apply = progress_apply,
                        .committed = daemon_publish_committed,
                        .ctx = in,
                        .committed_ctx = d};
    in->dispatch = follow_new(daemon_loop(d), daemon_bus(d), in->store,
                              daemon_metrics(d), &fo, err, errlen);
    if (!in->dispatch) {
        s_stop(in);
        return NULL;
    }
    return in;
}

static void s_stop(void *ctx)
{
    intake_t *in = ctx;
    follow_destroy(&in->dispatch);
    grid_free(in);
    pack_free(&in->data);
    pack_free(&in->list);
    free(in);
}

static const daemon_spec_t s_spec = {
    .name = "intake",
    .summary = "Takes residents' requests, keeps the grid tree, and answers "
               "for each request's status.",
    .migrations = intake_migrations,
    .routes = intake_routes,
    .start = s_start,
    .stop = s_stop,
};

int main(int argc, char **argv)
{
    return daemon_main(argc, argv, &s_spec);
}
