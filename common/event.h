/*  event: the envelope every daemon logs and publishes.
 *
 *    {"seq": uint, "type": str, "ts": uint, "source": str, "data": map}
 *
 *  seq counts per daemon from 1 without gaps; ts is Unix milliseconds; data
 *  is kept as its encoded MessagePack bytes, exactly as logged, so the
 *  envelope is written around it without decoding it again. An event_t
 *  borrows its strings and bytes: it owns nothing.
 */
#ifndef JULI_EVENT_H
#define JULI_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "pack.h"

typedef struct {
    uint64_t seq;
    uint64_t ts;
    const char *type; /* NUL-terminated */
    const char *source;
    const void *data; /* one encoded MessagePack map */
    size_t len;
} event_t;

/* Writes E as the envelope map into P. */
void event_pack(pack_t *p, const event_t *e);

#endif
