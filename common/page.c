/*  page: paging of list requests. See page.h. */
#include "page.h"

#include <inttypes.h>
#include <stdio.h>

#define PAGE_DEFAULT 100
#define PAGE_MAX     1000

int page_begin(page_t *pg, api_req_t *req, pack_t *items)
{
    field_str_t after = {0};
    *pg = (page_t){.limit = PAGE_DEFAULT, .items = items};
    pack_reset(items);
    if (field_str(&req->body, "after", FIELD_OPTIONAL, 18, &after) < 0 ||
        field_uint(&req->body, "limit", FIELD_OPTIONAL, 1, UINT32_MAX,
                   &pg->limit) < 0)
        return -1;
    if (pg->limit > PAGE_MAX)
        pg->limit = PAGE_MAX;
    for (size_t i = 0; i < after.len; i++) {
        if (after.ptr[i] < '0' || after.ptr[i] > '9')
            return field_fail(&req->body, "after", "not a cursor");
        pg->after = pg->after * 10 + (after.ptr[i] - '0');
    }
    return 0;
}

int page_take(page_t *pg, int64_t id)
{
    if (pg->n == pg->limit) {
        pg->more = 1;
        return 0;
    }
    pg->last = id;
    pg->n++;
    return 1;
}

api_status_t page_reply(page_t *pg, api_req_t *req, const char *key)
{
    pack_t *r = api_reply(req, pg->more ? 2 : 1);
    pack_str(r, key);
    pack_array(r, pg->n);
    pack_raw(r, pack_data(pg->items), pack_size(pg->items));
    if (pg->more) {
        char cursor[24];
        snprintf(cursor, sizeof cursor, "%" PRId64, pg->last);
        pack_kstr(r, "next", cursor);
    }
    return API_OK;
}
