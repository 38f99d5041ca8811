/*  intake: the daemon that owns the grid tree and residents' requests.
 *
 *  intake_t is the service's context: the config it reads the categories
 *  from, the store, and the prepared statements of its tables. It is made
 *  by intake_start once the store is open and lives until intake_stop.
 *
 *  Modules: grid.c (the tree and location → chain), request.c (submit,
 *  classify, cancel, get, list and the status counts), keywords.c (the
 *  category a text suggests), progress.c (dispatch's events → request
 *  status), main.c (wiring).
 */
#ifndef JULI_INTAKE_H
#define JULI_INTAKE_H

#include <sqlite3.h>

#include "api.h"
#include "config.h"
#include "daemon.h"
#include "follow.h"
#include "keywords.h"
#include "store.h"

/* Node kinds, in tree order: a node's parent is of the kind before it. */
typedef enum {
    KIND_COMMUNITY,
    KIND_GRID,
    KIND_COMPOUND,
    KIND_STAIRWELL,
    KIND_COUNT
} grid_kind_t;

extern const char *const grid_kind_names[]; /* NULL-terminated */

#define GRID_ADDRESS_CHARS 256
#define GRID_NAME_CHARS 64 /* a node's name */

/* A resolved location: the chain from the community down to the most
 * precise node known, codes NUL-terminated ("" when unknown). */
typedef struct {
    char community[65], grid[65], compound[65], stairwell[65];
    char address[GRID_ADDRESS_CHARS * 4 + 1]; /* UTF-8 */
} grid_chain_t;

typedef struct {
    const config_t *config;
    store_t *store;
    /* grid.c */
    sqlite3_stmt *node_get, *node_put, *node_all;
    struct grid_cache *grid; /* the committed tree (grid_free) */
    /* request.c */
    sqlite3_stmt *req_insert, *req_get, *req_update,
        *req_status, *req_status_get, *timeline_add, *timeline_add2, *timeline_add3,
        *timeline_get, *list_all, *list_status, *list_grid, *list_category;
    keywords_t keywords; /* the category a text suggests */
    pack_t data;         /* an event's data, reused */
    pack_t list; /* a list's items, reused */
    daemon_t *daemon;
    follow_t *dispatch; /* dispatch's events: the requests' progress */
} intake_t;

/* The schema steps, in order (NULL-ended). */
extern const char *const intake_migrations[];

/* The requests the daemon answers, with who may send each (main.c). */
extern const api_route_t intake_routes[];

/* Prepares grid.c's statements and loads the committed tree into memory.
 * Returns 0 or -1. */
int grid_prepare(intake_t *in);

/* Frees the tree in memory (NULL is fine). */
void grid_free(intake_t *in);

/* Resolves the location map LOC (stairwell?, compound?, grid?, address?)
 * into *CHAIN. Returns API_OK, or API_INVALID with the detail written
 * through LOC's detail buffer (an unknown code, a code of another kind,
 * codes that contradict each other), or API_UNAVAILABLE. */
api_status_t grid_resolve(intake_t *in, const field_map_t *loc,
                          grid_chain_t *chain);

/* Handler of grid.define. */
api_status_t grid_define(api_req_t *req, void *ctx);

/* Prepares request.c's statements. Returns 0 or -1. */
int request_prepare(intake_t *in);

/* Handlers of request.submit, request.classify, request.cancel,
 * request.get, requests.list and stats. */
api_status_t request_submit(api_req_t *req, void *ctx);
api_status_t request_classify(api_req_t *req, void *ctx);
api_status_t request_cancel(api_req_t *req, void *ctx);
api_status_t request_get(api_req_t *req, void *ctx);
api_status_t request_list(api_req_t *req, void *ctx);
api_status_t request_stats(api_req_t *req, void *ctx);

/* Records dispatch's progress on the request REF: moves it to STATUS (NULL:
 * a timeline note only) unless it was cancelled. Returns 0 (also for an
 * unknown ref, skipped, and for one that is not a ref, logged and
 * skipped), -1 on a store error. */
int request_progress(intake_t *in, field_str_t ref, const char *status,
                     const char *note, uint64_t ts);

/* progress.c: applies one of dispatch's events (a follow_t apply hook). */
int progress_apply(void *ctx, const follow_event_t *e);

#endif
