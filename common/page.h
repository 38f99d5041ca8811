/*  page: one page of a list request (requests.list, tasks.list, ledger).
 *
 *  Lists answer {ok, <items>: [...], next?}: `after` is the opaque cursor
 *  the previous page gave as `next` (juli's cursors are row ids, written as
 *  decimal strings), `limit` defaults to 100 and is clamped to 1000. The
 *  caller's statement asks for limit + 1 rows, so a page knows whether
 *  another follows without counting. A page_t borrows the pack its items
 *  go into.
 */
#ifndef JULI_PAGE_H
#define JULI_PAGE_H

#include <stdint.h>

#include "api.h"
#include "pack.h"

typedef struct {
    int64_t after;  /* rows after this id */
    uint64_t limit; /* rows on this page */
    int64_t last;   /* the id of the last row taken */
    uint32_t n;     /* rows taken */
    int more;       /* a row beyond the page exists */
    pack_t *items;  /* where the caller packs each row */
} page_t;

/* Reads body.after and body.limit of REQ; ITEMS is emptied. Returns 0, or
 * -1 with the detail written (answer API_INVALID). */
int page_begin(page_t *pg, api_req_t *req, pack_t *items);

/* Before packing the row with id ID: returns 1 to pack it, or 0 when the
 * page is full (then stop reading, and reset the statement). */
int page_take(page_t *pg, int64_t id);

/* Writes the reply: KEY with the items, and next when more follow. Returns
 * API_OK. */
api_status_t page_reply(page_t *pg, api_req_t *req, const char *key);

#endif
