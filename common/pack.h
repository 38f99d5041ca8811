/*  pack: writing MessagePack replies and events with msgpack-c.
 *
 *  A pack_t is a msgpack_packer writing into a growable buffer that is
 *  reused from message to message (pack_reset keeps its memory), so a busy
 *  daemon does not allocate per reply. The helpers below write one key and
 *  its value, the shape of nearly everything juli sends. The caller counts
 *  its map entries as msgpack requires.
 */
#ifndef JULI_PACK_H
#define JULI_PACK_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "field.h"

typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} pack_t;

/* Initialises P with an empty buffer. */
void pack_init(pack_t *p);

/* Empties P, keeping its memory. */
void pack_reset(pack_t *p);

/* Frees P's buffer. */
void pack_free(pack_t *p);

/* The bytes written so far; valid until the next write or reset. */
static inline const char *pack_data(const pack_t *p)
{
    return p->buf.data;
}
static inline size_t pack_size(const pack_t *p)
{
    return p->buf.size;
}

void pack_map(pack_t *p, uint32_t n);
void pack_array(pack_t *p, uint32_t n);
void pack_str(pack_t *p, const char *s);              /* NUL-terminated */
void pack_strn(pack_t *p, const char *s, size_t n);
void pack_uint(pack_t *p, uint64_t v);
void pack_int(pack_t *p, int64_t v);
void pack_double(pack_t *p, double v);
void pack_bool(pack_t *p, int v);
void pack_nil(pack_t *p);

/* Appends already-encoded MessagePack bytes (one whole value). */
void pack_raw(pack_t *p, const void *bytes, size_t n);

/* Writes the msgpack_object O as it is. */
void pack_object(pack_t *p, const msgpack_object *o);

/* One key and its value. A NULL string value is written as nil. */
void pack_kstr(pack_t *p, const char *key, const char *val);
void pack_kstrn(pack_t *p, const char *key, const char *val, size_t n);
void pack_kfield(pack_t *p, const char *key, field_str_t val); /* nil if
                                                                  !val.ptr */
void pack_kuint(pack_t *p, const char *key, uint64_t v);
void pack_kint(pack_t *p, const char *key, int64_t v);
void pack_kdouble(pack_t *p, const char *key, double v);
void pack_kbool(pack_t *p, const char *key, int v);
void pack_knil(pack_t *p, const char *key);

#endif
