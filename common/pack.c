/*  pack: MessagePack writing over a reused msgpack_sbuffer. See pack.h.
 *
 *  The packer holds a pointer to the buffer inside the same pack_t, so a
 *  pack_t must not be copied or moved after pack_init. msgpack-c reports a
 *  failed realloc through its return codes, which these helpers drop: the
 *  header gives them no way to pass it on (a reply that could not grow is
 *  cut short, and the peer sees a malformed frame).
 */
#include "pack.h"

#include <string.h>

void pack_init(pack_t *p)
{
    msgpack_sbuffer_init(&p->buf);
    msgpack_packer_init(&p->pk, &p->buf, msgpack_sbuffer_write);
}

void pack_reset(pack_t *p)
{
    msgpack_sbuffer_clear(&p->buf);
}

void pack_free(pack_t *p)
{
    msgpack_sbuffer_destroy(&p->buf);
    msgpack_sbuffer_init(&p->buf);
}

void pack_map(pack_t *p, uint32_t n)
{
    msgpack_pack_map(&p->pk, n);
}

void pack_array(pack_t *p, uint32_t n)
{
    msgpack_pack_array(&p->pk, n);
}

void pack_str(pack_t *p, const char *s)
{
    if (!s)
        pack_nil(p);
    else
        pack_strn(p, s, strlen(s));
}

void pack_strn(pack_t *p, const char *s, size_t n)
{
    msgpack_pack_str(&p->pk, n);
    msgpack_pack_str_body(&p->pk, s, n);
}

void pack_uint(pack_t *p, uint64_t v)
{
    msgpack_pack_uint64(&p->pk, v);
}

void pack_int(pack_t *p, int64_t v)
{
    msgpack_pack_int64(&p->pk, v);
}

void pack_double(pack_t *p, double v)
{
    msgpack_pack_double(&p->pk, v);
}

void pack_bool(pack_t *p, int v)
{
    if (v)
        msgpack_pack_true(&p->pk);
    else
        msgpack_pack_false(&p->pk);
}

void pack_nil(pack_t *p)
{
    msgpack_pack_nil(&p->pk);
}

void pack_raw(pack_t *p, const void *bytes, size_t n)
{
    msgpack_sbuffer_write(&p->buf, bytes, n);
}

void pack_object(pack_t *p, const msgpack_object *o)
{
    msgpack_pack_object(&p->pk, *o);
}

void pack_kstr(pack_t *p, const char *key, const char *val)
{
    pack_str(p, key);
    pack_str(p, val);
}

void pack_kstrn(pack_t *p, const char *key, const char *val, size_t n)
{
    pack_str(p, key);
    if (!val)
        pack_nil(p);
    else
        pack_strn(p, val, n);
}

void pack_kfield(pack_t *p, const char *key, field_str_t val)
{
    pack_kstrn(p, key, val.ptr, val.len);
}

void pack_kuint(pack_t *p, const char *key, uint64_t v)
{
    pack_str(p, key);
    pack_uint(p, v);
}

void pack_kint(pack_t *p, const char *key, int64_t v)
{
    pack_str(p, key);
    pack_int(p, v);
}

void pack_kdouble(pack_t *p, const char *key, double v)
{
    pack_str(p, key);
    pack_double(p, v);
}

void pack_kbool(pack_t *p, const char *key, int v)
{
    pack_str(p, key);
    pack_bool(p, v);
}

void pack_knil(pack_t *p, const char *key)
{
    pack_str(p, key);
    pack_nil(p);
}
