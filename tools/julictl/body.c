/*  body: a counted map of a request's fields. See body.h. */
#include "body.h"

#include <string.h>

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

void body_int(body_t *b, const char *key, int64_t v)
{
    pack_kint(&b->pack, key, v);
    b->n++;
}

void body_bool(body_t *b, const char *key, int v)
{
    pack_kbool(&b->pack, key, v);
    b->n++;
}

void body_double(body_t *b, const char *key, double v)
{
    pack_kdouble(&b->pack, key, v);
    b->n++;
}

void body_csv(body_t *b, const char *key, const char *csv)
{
    body_t list;
    body_init(&list);
    for (const char *s = csv; *s;) {
        size_t len = strcspn(s, ",");
        if (len) {
            pack_strn(&list.pack, s, len);
            list.n++;
        }
        s += len + (s[len] == ',');
    }
    body_array(b, key, &list);
    body_free(&list);
}

void body_item(body_t *list, const body_t *item)
{
    body_pack(item, &list->pack);
    list->n++;
}

void body_array(body_t *b, const char *key, const body_t *list)
{
    pack_str(&b->pack, key);
    pack_array(&b->pack, list->n);
    if (list->n)
        pack_raw(&b->pack, pack_data(&list->pack), pack_size(&list->pack));
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
