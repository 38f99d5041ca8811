/*  event: the envelope around every logged event. See event.h. */
#include "event.h"

void event_pack(pack_t *p, const event_t *e)
{
    pack_map(p, 5);
    pack_kuint(p, "seq", e->seq);
    pack_kstr(p, "type", e->type);
    pack_kuint(p, "ts", e->ts);
    pack_kstr(p, "source", e->source);
    pack_str(p, "data");
    pack_raw(p, e->data, e->len);
}
