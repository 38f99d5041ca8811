/*  daemon: the life of a juli daemon, the same for all three.
 *
 *  daemon_main reads the command line and the config, opens the store,
 *  binds the metrics, api and events endpoints, starts the service, tells
 *  systemd it is ready, and runs the loop until SIGTERM or SIGINT; then it
 *  stops taking requests, lets the turn in progress finish, stops the
 *  service, closes everything in reverse order and returns the exit code.
 *  A daemon that cannot start says why in one line on stderr and returns
 *  non-zero; it never half-starts.
 *
 *  A service is described by a daemon_spec_t: its name, schema steps, route
 *  table, and start/stop hooks that own the service's context.
 */
#ifndef JULI_DAEMON_H
#define JULI_DAEMON_H

#include <stddef.h>
#include <uv.h>

#include "api.h"
#include "bus.h"
#include "config.h"
#include "metrics.h"
#include "store.h"

#define JULI_VERSION "0.1.0"

typedef struct daemon daemon_t;

typedef struct {
    const char *name;    /* "intake": the config section and events source */
    const char *summary; /* one line for --help */
    const char *const *migrations; /* the service's schema, NULL-ended */
    const api_route_t *routes;     /* ends with {NULL} */
    /* Creates the service's context once the store is open. Returns NULL
     * with a reason in ERR. */
    void *(*start)(daemon_t *d, char *err, size_t errlen);
    /* Destroys the context (before the store closes). */
    void (*stop)(void *ctx);
} daemon_spec_t;

/* Runs the daemon described by SPEC with the command line ARGC/ARGV.
 * Returns the process's exit code. */
int daemon_main(int argc, char **argv, const daemon_spec_t *spec);

/* For services: what the daemon owns, valid from start until stop. */
uv_loop_t *daemon_loop(daemon_t *d);
config_t *daemon_config(daemon_t *d);
store_t *daemon_store(daemon_t *d);
bus_t *daemon_bus(daemon_t *d);
metrics_t *daemon_metrics(daemon_t *d);
/* The api, from the first loop turn on (NULL during start). */
api_t *daemon_api(daemon_t *d);
/* Publishes the events of the store's last commit on DAEMON's api (a
 * daemon_t; NULL, or no api yet: nothing). For writers outside a request
 * turn, after their own store_commit; fits a follower's committed hook
 * (follow_opts_t) as it is. */
void daemon_publish_committed(void *daemon);
/* The CURVE options for following the daemon UPSTREAM into *OUT: NULL
 * without CURVE. Returns 0, or -1 with a reason in ERR. */
int daemon_upstream_curve(daemon_t *d, const char *upstream,
                          const bus_curve_t **out, char *err, size_t errlen);

#endif
