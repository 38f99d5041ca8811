/*  event: the envelope around every logged event. See event.h. */
#include "event.h"

#include <time.h>


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

uint64_t event_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
