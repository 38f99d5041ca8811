/*  body: a counted map of a request's fields. See body.h. */
#include "body.h"

void body_init(body_t *b)
{
    pack_init(&b->pack);
    b->n = 0;
}

void body_free(body_t *b)
{
    pack_free(&b->pack);
    b->n = 0;
}

void body_str(body_t *b, const char *key, const char *val)
{
    if (!val)
        return;
    pack_kstr(&b->pack, key, val);
    b->n++;
}

void body_uint(body_t *b, const char *key, uint64_t v)
{
    pack_kuint(&b->pack, key, v);
    b->n++;
}

void body_map(body_t *b, const char *key, const body_t *sub)
{
    if (sub->n == 0)
        return;
    pack_str(&b->pack, key);
    body_pack(sub, &b->pack);
    b->n++;
}

void body_pack(const body_t *b, pack_t *p)
{
    pack_map(p, b->n);
    if (b->n)
        pack_raw(p, pack_data(&b->pack), pack_size(&b->pack));
}
