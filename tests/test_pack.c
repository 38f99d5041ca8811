/*  test_pack: what the helpers write decodes to what was meant, encodings
 *  are the shortest, raw bytes nest, and a reset buffer is reused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "frame.h"
#include "harness.h"
#include "pack.h"

/* The fixture: a pack buffer and a decoder (harness.h) that takes frames
 * and strings up to 1 MiB. */
typedef h_decode_t fx_t;

static int s_setup(void **state)
{
    frame_limits_t lim = frame_limits_default();
    lim.max_frame = 1 << 20;
    lim.max_str = 1 << 20;
    *state = h_decode_new(&lim);
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    h_decode_destroy((fx_t **)state);
    return 0;
}

/* The bytes one value takes when packed alone: BITS through pack_int (as
 * the int64_t it holds) when IS_SIGNED, else through pack_uint. */
static size_t s_packed_size(int is_signed, uint64_t bits)
{
    pack_t p;
    pack_init(&p);
    if (is_signed)
        pack_int(&p, (int64_t)bits);
    else
        pack_uint(&p, bits);
    size_t n = pack_size(&p);
    pack_free(&p);
    return n;
}

static void test_scalars(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 9);
    pack_kstr(p, "s", "居民点单");
    pack_kstrn(p, "n", "ab\0cd", 5);
    pack_kuint(p, "u", UINT64_MAX);
    pack_kint(p, "i", INT64_MIN);
    pack_kint(p, "pi", 42); /* a positive int reads back as an integer */
    pack_kdouble(p, "d", -0.125);
    pack_kbool(p, "t", 1);
    pack_kbool(p, "f", 0);
    pack_knil(p, "z");
    field_map_t *root = h_decode(fx);
    field_str_t s;
    uint64_t u;
    int64_t i;
    double d;
    int b;
    assert_int_equal(field_str(root, "s", 1, 64, &s), 1);
    assert_true(field_str_eq(s, "居民点单"));
    assert_int_equal(field_str(root, "n", 1, 64, &s), 1);
    assert_int_equal(s.len, 5);
    assert_memory_equal(s.ptr, "ab\0cd", 5);
    assert_int_equal(field_uint(root, "u", 1, 0, UINT64_MAX, &u), 1);
    assert_true(u == UINT64_MAX);
    assert_int_equal(field_int(root, "i", 1, INT64_MIN, 0, &i), 1);
    assert_true(i == INT64_MIN);
    assert_int_equal(field_int(root, "pi", 1, 0, 100, &i), 1);
    assert_int_equal(i, 42);
    assert_int_equal(field_num(root, "d", 1, &d), 1);
    assert_true(d == -0.125);
    assert_int_equal(field_bool(root, "t", 1, &b), 1);
    assert_int_equal(b, 1);
    assert_int_equal(field_bool(root, "f", 1, &b), 1);
    assert_int_equal(b, 0);
    const msgpack_object *z = NULL;
    for (uint32_t k = 0; k < fx->obj.via.map.size; k++)
        if (fx->obj.via.map.ptr[k].key.via.str.size == 1 &&
            fx->obj.via.map.ptr[k].key.via.str.ptr[0] == 'z')
            z = &fx->obj.via.map.ptr[k].val;
    assert_non_null(z);
    assert_int_equal(z->type, MSGPACK_OBJECT_NIL);
}

static void test_shortest_encodings(void **state)
{
    (void)state;
    static const struct {
        int is_signed;
        uint64_t bits; /* an int64_t when is_signed */
        size_t want;
    } sizes[] = {
        {0, 0, 1},
        {0, 127, 1},
        {0, 128, 2},
        {0, 255, 2},
        {0, 256, 3},
        {0, 65535, 3},
        {0, 65536, 5},
        {0, UINT32_MAX, 5},
        {0, (uint64_t)UINT32_MAX + 1, 9},
        {1, (uint64_t)(int64_t)5, 1},
        {1, (uint64_t)(int64_t)-1, 1},
        {1, (uint64_t)(int64_t)-32, 1},
        {1, (uint64_t)(int64_t)-33, 2},
        {1, (uint64_t)(int64_t)-128, 2},
        {1, (uint64_t)(int64_t)-129, 3},
        {1, (uint64_t)(int64_t)-32769, 5},
        {1, (uint64_t)INT64_MIN, 9},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t got = s_packed_size(sizes[i].is_signed, sizes[i].bits);
        if (got != sizes[i].want)
            fail_msg("%s %#llx: %zu bytes, want %zu",
                     sizes[i].is_signed ? "int" : "uint",
                     (unsigned long long)sizes[i].bits, got, sizes[i].want);
    }

    pack_t p;
    pack_init(&p);
    pack_str(&p, "seq");
    assert_int_equal(pack_size(&p), 4);
    assert_int_equal((unsigned char)pack_data(&p)[0], 0xa3);
    pack_reset(&p);
    pack_map(&p, 3);
    pack_array(&p, 2);
    pack_map(&p, 16);
    pack_array(&p, 65536);
    static const unsigned char want[] = {0x83, 0x92, 0xde, 0x00, 0x10,
                                         0xdd, 0x00, 0x01, 0x00, 0x00};
    assert_int_equal(pack_size(&p), sizeof want);
    assert_memory_equal(pack_data(&p), want, sizeof want);
    pack_free(&p);
}

static void test_nil_values(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    field_str_t none = {NULL, 0};
    field_str_t some = {"abcdef", 3};
    pack_map(p, 6);
    pack_kstr(p, "a", NULL);
    pack_kstrn(p, "b", NULL, 4);
    pack_kfield(p, "c", none);
    pack_kfield(p, "d", some);
    pack_str(p, "e");
    pack_str(p, NULL);
    pack_kstrn(p, "f", "", 0);
    field_map_t *root = h_decode(fx);
    const char *nils[] = {"a", "b", "c", "e"};
    for (int i = 0; i < 4; i++) {
        const msgpack_object *v = NULL;
        for (uint32_t k = 0; k < fx->obj.via.map.size; k++)
            if (fx->obj.via.map.ptr[k].key.via.str.ptr[0] == nils[i][0])
                v = &fx->obj.via.map.ptr[k].val;
        assert_non_null(v);
        assert_int_equal(v->type, MSGPACK_OBJECT_NIL);
    }
    field_str_t s;
    assert_int_equal(field_str(root, "d", 1, 8, &s), 1);
    assert_true(field_str_eq(s, "abc"));
    /* an empty str is a str, not nil */
    const msgpack_object *f = field_get(root, "f");
    assert_non_null(f);
    assert_int_equal(f->type, MSGPACK_OBJECT_STR);
    assert_int_equal(f->via.str.size, 0);
}

static void test_raw_nested(void **state)
{
    fx_t *fx = *state;
    pack_t inner;
    pack_init(&inner);
    pack_map(&inner, 3);
    pack_kstr(&inner, "ref", "R-2024-0001");
    pack_kuint(&inner, "urgency", 2);
    pack_str(&inner, "location");
    pack_map(&inner, 1);
    pack_kstr(&inner, "grid", "g-1");

    /* the event envelope around the stored data, as event_pack does */
    pack_t *p = &fx->p;
    pack_map(p, 3);
    pack_kuint(p, "seq", 7);
    pack_str(p, "data");
    size_t at = pack_size(p);
    pack_raw(p, pack_data(&inner), pack_size(&inner));
    assert_int_equal(pack_size(p) - at, pack_size(&inner));
    assert_memory_equal(pack_data(p) + at, pack_data(&inner),
                        pack_size(&inner));
    pack_str(p, "list");
    pack_array(p, 2);
    pack_raw(p, pack_data(&inner), pack_size(&inner));
    pack_raw(p, "\x2a", 1); /* a raw scalar: 42 */
    pack_free(&inner);

    field_map_t *root = h_decode(fx);
    field_map_t data, loc, item;
    field_str_t s;
    uint64_t u;
    const msgpack_object *items;
    size_t n;
    assert_int_equal(field_uint(root, "seq", 1, 1, 100, &u), 1);
    assert_int_equal(u, 7);
    assert_int_equal(field_map(root, "data", 1, &data), 1);
    assert_int_equal(field_str(&data, "ref", 1, 64, &s), 1);
    assert_true(field_str_eq(s, "R-2024-0001"));
    assert_int_equal(field_uint(&data, "urgency", 1, 1, 3, &u), 1);
    assert_int_equal(u, 2);
    assert_int_equal(field_map(&data, "location", 1, &loc), 1);
    assert_int_equal(field_str(&loc, "grid", 1, 64, &s), 1);
    assert_true(field_str_eq(s, "g-1"));
    assert_int_equal(field_array(root, "list", 1, 4, &items, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(field_item_map(root, "list", 0, &items[0], &item), 1);
    assert_int_equal(field_uint(&item, "urgency", 1, 1, 3, &u), 1);
    assert_int_equal(items[1].type, MSGPACK_OBJECT_POSITIVE_INTEGER);
    assert_int_equal(items[1].via.u64, 42);
    at = pack_size(p);
    pack_raw(p, NULL, 0); /* nothing to append */
    assert_int_equal(pack_size(p), at);
}

static void test_reset_reuses(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    char big[20000];
    memset(big, 'q', sizeof big);
    pack_map(p, 1);
    pack_kstrn(p, "big", big, sizeof big);
    const char *before = pack_data(p);
    size_t alloc = p->buf.alloc;
    assert_true(alloc >= sizeof big);

    pack_reset(p);
    assert_int_equal(pack_size(p), 0);
    assert_ptr_equal(pack_data(p), before);
    assert_int_equal(p->buf.alloc, alloc);

    for (int round = 0; round < 100; round++) {
        pack_reset(p);
        pack_map(p, 2);
        pack_kuint(p, "round", (uint64_t)round);
        pack_kstrn(p, "big", big, (size_t)round * 150);
        assert_ptr_equal(pack_data(p), before);
        assert_int_equal(p->buf.alloc, alloc);
        field_map_t *root = h_decode(fx);
        uint64_t u;
        field_str_t s;
        assert_int_equal(field_uint(root, "round", 1, 0, 99, &u), 1);
        assert_int_equal(u, round);
        if (round > 0) {
            assert_int_equal(field_str(root, "big", 1, 20000, &s), 1);
            assert_int_equal(s.len, (size_t)round * 150);
        }
        /* only this round's bytes: the frame ends right after it */
        assert_int_equal(fx->obj.via.map.size, 2);
    }
}

static void test_object_roundtrip(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 5);
    pack_kstr(p, "type", "grid.define");
    pack_kint(p, "n", -300);
    pack_kdouble(p, "x", 3.75);
    pack_str(p, "body");
    pack_map(p, 2);
    pack_kstr(p, "code", "g-1");
    pack_str(p, "kids");
    pack_array(p, 3);
    pack_bool(p, 0);
    pack_nil(p);
    pack_str(p, "网格");
    pack_kuint(p, "ts", 1700000000000ull);
    size_t len = pack_size(p);
    char *orig = malloc(len);
    memcpy(orig, pack_data(p), len);
    h_decode_buf(fx, orig, len);

    pack_t copy;
    pack_init(&copy);
    pack_object(&copy, &fx->obj);
    assert_int_equal(pack_size(&copy), len);
    assert_memory_equal(pack_data(&copy), orig, len);

    /* a sub-object too */
    pack_reset(&copy);
    pack_map(&copy, 1);
    pack_str(&copy, "b");
    pack_object(&copy, &fx->obj.via.map.ptr[3].val);
    field_map_t *root = h_decode_buf(fx, pack_data(&copy), pack_size(&copy));
    field_map_t b;
    field_str_t s;
    assert_int_equal(field_map(root, "b", 1, &b), 1);
    assert_int_equal(field_str(&b, "code", 1, 8, &s), 1);
    assert_true(field_str_eq(s, "g-1"));
    pack_free(&copy);
    free(orig);
}

/* A reply built from the request's own fields, as a daemon answers. */
static void test_reply_from_request(void **state)
{
    fx_t *fx = *state;
    pack_t req;
    pack_init(&req);
    pack_map(&req, 2);
    pack_kstr(&req, "type", "health");
    pack_kstr(&req, "id", "q-1");
    field_map_t *root = h_decode_buf(fx, pack_data(&req), pack_size(&req));
    field_str_t id;
    assert_int_equal(field_str(root, "id", 0, 64, &id), 1);

    pack_t *p = &fx->p;
    pack_map(p, 4);
    pack_kbool(p, "ok", 0);
    pack_kstr(p, "error", "invalid");
    pack_kstr(p, "detail", "body.text: missing");
    pack_kfield(p, "id", id);
    pack_free(&req); /* the reply holds its own copy of the id */
    root = h_decode(fx);
    int ok = 1;
    field_str_t s;
    assert_int_equal(field_bool(root, "ok", 1, &ok), 1);
    assert_int_equal(ok, 0);
    assert_int_equal(field_str(root, "id", 1, 64, &s), 1);
    assert_true(field_str_eq(s, "q-1"));
    assert_int_equal(field_str(root, "detail", 1, 64, &s), 1);
    assert_true(field_str_eq(s, "body.text: missing"));
}

static void test_free_and_reuse(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    pack_free(&p); /* never written */
    pack_free(&p); /* twice */
    assert_int_equal(pack_size(&p), 0);
    pack_map(&p, 0); /* usable again after a free */
    assert_int_equal(pack_size(&p), 1);
    assert_int_equal((unsigned char)pack_data(&p)[0], 0x80);
    pack_free(&p);
    assert_null(pack_data(&p));
    assert_int_equal(pack_size(&p), 0);
}

static void test_large_growth(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    char chunk[1000];
    memset(chunk, 'w', sizeof chunk);
    pack_array(&p, 300);
    for (int i = 0; i < 300; i++)
        pack_strn(&p, chunk, sizeof chunk);
    assert_int_equal(pack_size(&p), 3 + 300 * (3 + sizeof chunk));
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object o;
    size_t off = 0;
    assert_int_equal(
        msgpack_unpack(pack_data(&p), pack_size(&p), &off, &zone, &o),
        MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, pack_size(&p));
    assert_int_equal(o.via.array.size, 300);
    assert_int_equal(o.via.array.ptr[299].via.str.size, sizeof chunk);
    msgpack_zone_destroy(&zone);
    pack_free(&p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_scalars),
        cmocka_unit_test(test_shortest_encodings),
        T(test_nil_values),
        T(test_raw_nested),
        T(test_reset_reuses),
        T(test_object_roundtrip),
        T(test_reply_from_request),
        cmocka_unit_test(test_free_and_reuse),
        cmocka_unit_test(test_large_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
