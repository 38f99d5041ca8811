/*  test_frame: the bounded walk and the decoder against good and hostile
 *  frames. Every hostile frame is copied into a heap block of its exact
 *  size, so an overread trips ASan; under ASan a malloc hook also counts
 *  allocations, to show the walk allocates nothing and a warm decoder
 *  neither.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "pack.h"

/* -- allocation counting (ASan only) -------------------------------------- */

#if defined(__SANITIZE_ADDRESS__) /* GCC */
#define S_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define S_ASAN 1
#endif
#endif

#if defined(S_ASAN)
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

/* volatile: GCC assumes malloc writes no global, and would cache it */
static volatile size_t s_mallocs;

static void s_malloc_hook(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    s_mallocs++;
}

static void s_free_hook(const volatile void *p)
{
    (void)p;
}

static int s_hooks_install(void)
{
    return __sanitizer_install_malloc_and_free_hooks(s_malloc_hook,
                                                     s_free_hook) > 0;
}

static size_t s_malloc_count(void)
{
    return s_mallocs;
}
#else
static int s_hooks_install(void)
{
    return 0;
}

static size_t s_malloc_count(void)
{
    return 0;
}
#endif

/* -- helpers --------------------------------------------------------------- */

/* Walks a copy of BYTES in a block of exactly LEN bytes. */
static int s_walk_lim(const void *bytes, size_t len, const frame_limits_t *lim,
                      char *err, size_t errlen)
{
    unsigned char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    int rc = frame_walk(copy, len, lim, err, errlen);
    free(copy);
    return rc;
}

static int s_walk(const void *bytes, size_t len, char *err, size_t errlen)
{
    frame_limits_t lim = frame_limits_default();
    return s_walk_lim(bytes, len, &lim, err, errlen);
}

/* Asserts that both the walk and a decoder refuse BYTES, with a reason that
 * contains WHY. */
static void s_refused(const void *bytes, size_t len, const char *why)
{
    char err[160] = "";
    frame_limits_t lim = frame_limits_default();
    assert_int_equal(s_walk(bytes, len, err, sizeof err), -1);
    if (!strstr(err, why))
        fail_msg("reason \"%s\" lacks \"%s\"", err, why);

    frame_decoder_t *dec = frame_decoder_new(&lim);
    assert_non_null(dec);
    unsigned char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    msgpack_object obj;
    err[0] = '\0';
    assert_int_equal(frame_decode(dec, copy, len, &obj, err, sizeof err), -1);
    if (!strstr(err, why))
        fail_msg("decode reason \"%s\" lacks \"%s\"", err, why);
    free(copy);
    frame_decoder_destroy(&dec);
    assert_null(dec);
}

static void s_accepted(const void *bytes, size_t len)
{
    char err[160] = "";
    if (s_walk(bytes, len, err, sizeof err) != 0)
        fail_msg("refused: %s", err);
}

/* A request as a client sends it. */
static void s_pack_request(pack_t *p)
{
    pack_map(p, 3);
    pack_kstr(p, "type", "request.submit");
    pack_kstr(p, "id", "c-0001");
    pack_str(p, "body");
    pack_map(p, 5);
    pack_kstr(p, "text", "楼道里的灯坏了，晚上很黑");
    pack_kstr(p, "channel", "app");
    pack_kuint(p, "urgency", 2);
    pack_str(p, "location");
    pack_map(p, 2);
    pack_kstr(p, "stairwell", "sw-3-2");
    pack_knil(p, "address");
    pack_str(p, "tags");
    pack_array(p, 3);
    pack_int(p, -7);
    pack_double(p, 1.5);
    pack_bool(p, 1);
}

/* {"k": {"k": ... {"k": 1}}}: DEPTH maps. */
static size_t s_nested_maps(unsigned char *out, unsigned depth)
{
    size_t n = 0;
    for (unsigned i = 0; i < depth; i++) {
        out[n++] = 0x81;
        out[n++] = 0xa1;
        out[n++] = 'k';
    }
    out[n++] = 0x01;
    return n;
}

/* {"k": [[...[1]...]]}: the map and DEPTH - 1 arrays. */
static size_t s_nested_arrays(unsigned char *out, unsigned depth)
{
    size_t n = 0;
    out[n++] = 0x81;
    out[n++] = 0xa1;
    out[n++] = 'k';
    for (unsigned i = 1; i < depth; i++)
        out[n++] = 0x91;
    out[n++] = 0x01;
    return n;
}

/* {"s": STR} with STR given as raw bytes. */
static void s_pack_str_frame(pack_t *p, const void *s, size_t n)
{
    pack_reset(p);
    pack_map(p, 1);
    pack_str(p, "s");
    pack_strn(p, s, n);
}

/* -- tests ----------------------------------------------------------------- */

/* The counter the allocation checks rely on does count. */
static void test_alloc_counter(void **state)
{
    (void)state;
#if defined(S_ASAN)
    size_t before = s_malloc_count();
    void *volatile p = malloc(16);
    assert_int_equal(s_malloc_count(), before + 1);
    free(p);

    /* a cold decoder grows its zone for a big frame: that is counted */
    frame_limits_t lim = frame_limits_default();
    frame_decoder_t *dec = frame_decoder_new(&lim);
    pack_t pk;
    pack_init(&pk);
    pack_map(&pk, 1);
    pack_str(&pk, "a");
    pack_array(&pk, 256);
    for (int i = 0; i < 256; i++) {
        pack_map(&pk, 1);
        pack_knil(&pk, "k");
    }
    msgpack_object o;
    char err[80];
    before = s_malloc_count();
    assert_int_equal(
        frame_decode(dec, pack_data(&pk), pack_size(&pk), &o, err, sizeof err),
        0);
    assert_true(s_malloc_count() > before);
    pack_free(&pk);
    frame_decoder_destroy(&dec);
#else
    skip();
#endif
}

static void test_limits_default(void **state)
{
    (void)state;
    frame_limits_t lim = frame_limits_default();
    assert_int_equal(lim.max_frame, 65536);
    assert_int_equal(lim.max_str, 8000);
    assert_int_equal(lim.max_depth, 8);
    assert_int_equal(lim.max_array, 256);
    assert_int_equal(lim.max_map, 256);
}

static void test_roundtrip(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    s_pack_request(&p);
    frame_limits_t lim = frame_limits_default();
    frame_decoder_t *dec = frame_decoder_new(&lim);
    assert_non_null(dec);
    assert_int_equal(frame_decoder_limits(dec)->max_map, 256);

    msgpack_object o;
    char err[128];
    assert_int_equal(
        frame_decode(dec, pack_data(&p), pack_size(&p), &o, err, sizeof err),
        0);
    assert_int_equal(o.type, MSGPACK_OBJECT_MAP);
    assert_int_equal(o.via.map.size, 3);
    const msgpack_object_kv *kv = o.via.map.ptr;
    assert_int_equal(kv[0].key.via.str.size, 4);
    assert_memory_equal(kv[0].key.via.str.ptr, "type", 4);
    assert_memory_equal(kv[0].val.via.str.ptr, "request.submit", 14);
    /* strings point into the caller's buffer */
    assert_true(kv[0].val.via.str.ptr > pack_data(&p) &&
                kv[0].val.via.str.ptr < pack_data(&p) + pack_size(&p));
    const msgpack_object *body = &kv[2].val;
    assert_int_equal(body->type, MSGPACK_OBJECT_MAP);
    assert_int_equal(body->via.map.size, 5);
    const msgpack_object *tags = &body->via.map.ptr[4].val;
    assert_int_equal(tags->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(tags->via.array.ptr[0].via.i64, -7);
    assert_true(tags->via.array.ptr[1].via.f64 == 1.5);
    assert_true(tags->via.array.ptr[2].via.boolean);

    frame_decoder_destroy(&dec);
    frame_decoder_destroy(&dec); /* NULL is fine */
    frame_decoder_destroy(NULL);
    pack_free(&p);
}

static void test_scalars(void **state)
{
    (void)state;
    /* clang-format off */
    static const unsigned char f[] = {
        0x8d,                                     /* map of 13 */
        0xa1, 'a', 0xc0,                          /* nil */
        0xa1, 'b', 0xc3,                          /* true */
        0xa1, 'c', 0xcc, 0xff,                    /* uint8 */
        0xa1, 'd', 0xcd, 0xff, 0xff,              /* uint16 */
        0xa1, 'e', 0xce, 0, 0, 0, 1,              /* uint32 */
        0xa1, 'f', 0xcf, 0xff, 0xff, 0xff, 0xff,  /* uint64 */
        0xff, 0xff, 0xff, 0xff,                   /* */
        0xa1, 'g', 0xd0, 0x80,                    /* int8 */
        0xa1, 'h', 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0, /* int64 min */
        0xa1, 'i', 0xca, 0x3f, 0xc0, 0, 0,        /* float32 1.5 */
        0xa1, 'j', 0xcb, 0x40, 0x04, 0, 0, 0, 0, 0, 0, /* float64 2.5 */
        0xa1, 'k', 0xc4, 0x02, 0x00, 0xff,        /* bin8, not UTF-8 */
        0xa1, 'l', 0xe0,                          /* -32 */
        0xa1, 'm', 0xd9, 0x00,                    /* empty str8 */
    };
    /* clang-format on */
    s_accepted(f, sizeof f);
    frame_limits_t lim = frame_limits_default();
    frame_decoder_t *dec = frame_decoder_new(&lim);
    msgpack_object o;
    char err[128];
    assert_int_equal(frame_decode(dec, f, sizeof f, &o, err, sizeof err), 0);
    const msgpack_object_kv *kv = o.via.map.ptr;
    assert_int_equal(kv[0].val.type, MSGPACK_OBJECT_NIL);
    assert_int_equal(kv[3].val.via.u64, 65535);
    assert_true(kv[5].val.via.u64 == UINT64_MAX);
    assert_true(kv[7].val.via.i64 == INT64_MIN);
    assert_int_equal(kv[8].val.type, MSGPACK_OBJECT_FLOAT32);
    assert_true(kv[8].val.via.f64 == 1.5);
    assert_true(kv[9].val.via.f64 == 2.5);
    assert_int_equal(kv[10].val.type, MSGPACK_OBJECT_BIN);
    assert_int_equal(kv[11].val.via.i64, -32);
    assert_int_equal(kv[12].val.via.str.size, 0);
    frame_decoder_destroy(&dec);
}

static void test_empty(void **state)
{
    (void)state;
    s_refused("", 0, "empty frame");
    static const unsigned char empty_map[] = {0x80};
    s_accepted(empty_map, sizeof empty_map);
}

static void test_truncated_prefixes(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    /* a long str16 and a float64 in the tail, so cuts land in headers,
     * payloads and fixed-size values alike */
    pack_reset(&p);
    pack_map(&p, 4);
    pack_kstr(&p, "type", "request.submit");
    pack_kdouble(&p, "hours", 2.25);
    pack_str(&p, "body");
    pack_map(&p, 2);
    pack_kstr(&p, "text", "一二三四五六七八九十一二三四五六七八九十");
    pack_kuint(&p, "n", 70000);
    pack_kint(&p, "neg", -40000);
    const char *d = pack_data(&p);
    size_t len = pack_size(&p);
    s_accepted(d, len);
    frame_limits_t lim = frame_limits_default();
    frame_decoder_t *dec = frame_decoder_new(&lim);
    for (size_t k = 0; k < len; k++) {
        char err[160] = "";
        msgpack_object o;
        if (s_walk(d, k, err, sizeof err) != -1)
            fail_msg("prefix of %zu of %zu bytes accepted", k, len);
        assert_true(err[0] != '\0');
        unsigned char *copy = malloc(k ? k : 1);
        memcpy(copy, d, k);
        assert_int_equal(frame_decode(dec, copy, k, &o, err, sizeof err), -1);
        free(copy);
    }
    frame_decoder_destroy(&dec);
    s_refused(d, 1, "claims 4 entries in 0 bytes");
    s_refused(d, len - 1, "truncated");
    pack_free(&p);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    static const unsigned char f[] = {0x81, 0xa1, 'a', 0x01, 0x00};
    s_refused(f, sizeof f, "1 bytes after the map");
    static const unsigned char two[] = {0x80, 0x80};
    s_refused(two, sizeof two, "after the map");
}

static void test_top_not_map(void **state)
{
    (void)state;
    static const unsigned char arr[] = {0x91, 0x01};
    static const unsigned char str[] = {0xa1, 'x'};
    static const unsigned char num[] = {0x05};
    static const unsigned char nil[] = {0xc0};
    static const unsigned char arr32[] = {0xdd, 0, 0, 0, 0};
    s_refused(arr, sizeof arr, "top level is not a map");
    s_refused(str, sizeof str, "top level is not a map");
    s_refused(num, sizeof num, "top level is not a map");
    s_refused(nil, sizeof nil, "top level is not a map");
    s_refused(arr32, sizeof arr32, "top level is not a map");
}

static void test_huge_counts(void **state)
{
    (void)state;
    static const unsigned char map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    /* clang-format off */
    static const unsigned char map16[] = {0xde, 0xff, 0xff, 0xa1, 'a'};
    static const unsigned char arr32[] = {0x81, 0xa1, 'a',
                                          0xdd, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char str32[] = {0x81, 0xa1, 'a',
                                          0xdb, 0xff, 0xff, 0xff, 0xff};
    static const unsigned char bin32[] = {0x81, 0xa1, 'a',
                                          0xc6, 0xff, 0xff, 0xff, 0xff};
    /* 3 entries fit 6 bytes' worth of arrays but not of maps */
    static const unsigned char map_tight[] = {0x83, 1, 1, 1, 1, 1};
    static const unsigned char arr_tight[] = {0x81, 0xa1, 'a', 0x93, 1, 1};
    /* clang-format on */
    frame_limits_t lim = frame_limits_default();
    char err[160];

    size_t before = s_malloc_count();
    assert_int_equal(frame_walk(map32, sizeof map32, &lim, err, sizeof err),
                     -1);
    assert_int_equal(s_malloc_count(), before);
    assert_string_equal(err,
                        "map at offset 0 claims 4294967295 entries in 0 bytes");
    assert_int_equal(frame_walk(arr32, sizeof arr32, &lim, err, sizeof err),
                     -1);
    assert_int_equal(s_malloc_count(), before);
    assert_string_equal(
        err, "array at offset 3 claims 4294967295 entries in 0 bytes");

    /* the decoder refuses before msgpack-c sees a byte */
    frame_decoder_t *dec = frame_decoder_new(&lim);
    msgpack_object o;
    before = s_malloc_count();
    assert_int_equal(
        frame_decode(dec, map32, sizeof map32, &o, err, sizeof err), -1);
    assert_int_equal(
        frame_decode(dec, arr32, sizeof arr32, &o, err, sizeof err), -1);
    assert_int_equal(s_malloc_count(), before);
    frame_decoder_destroy(&dec);

    s_refused(map16, sizeof map16, "claims 65535 entries in 2 bytes");
    s_refused(str32, sizeof str32, "over 8000 bytes");
    s_refused(bin32, sizeof bin32, "bin at offset 3 over 8000 bytes");
    s_refused(map_tight, sizeof map_tight, "claims 3 entries in 5 bytes");
    s_refused(arr_tight, sizeof arr_tight, "claims 3 entries in 2 bytes");

    /* with limits out of the way, the count check alone still holds */
    lim.max_map = lim.max_array = lim.max_str = SIZE_MAX;
    assert_int_equal(s_walk_lim(map32, sizeof map32, &lim, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "claims"));
    assert_int_equal(s_walk_lim(str32, sizeof str32, &lim, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "truncated"));
}

static void test_depth(void **state)
{
    (void)state;
    unsigned char f[256];
    size_t n = s_nested_maps(f, 8);
    s_accepted(f, n);
    n = s_nested_maps(f, 9);
    s_refused(f, n, "depth over 8");
    n = s_nested_arrays(f, 8);
    s_accepted(f, n);
    n = s_nested_arrays(f, 9);
    s_refused(f, n, "depth over 8");

    /* above msgpack-c's stack of 32, the walk caps the limit */
    frame_limits_t lim = frame_limits_default();
    lim.max_depth = 1000;
    frame_decoder_t *dec = frame_decoder_new(&lim);
    msgpack_object o;
    char err[160];
    n = s_nested_maps(f, 32);
    assert_int_equal(frame_decode(dec, f, n, &o, err, sizeof err), 0);
    n = s_nested_maps(f, 33);
    assert_int_equal(frame_decode(dec, f, n, &o, err, sizeof err), -1);
    assert_string_equal(err, "depth over 32");
    n = s_nested_maps(f, 80);
    assert_int_equal(frame_decode(dec, f, n, &o, err, sizeof err), -1);
    frame_decoder_destroy(&dec);
}

static void s_pack_array_frame(pack_t *p, size_t items)
{
    pack_reset(p);
    pack_map(p, 1);
    pack_str(p, "a");
    pack_array(p, (uint32_t)items);
    for (size_t i = 0; i < items; i++)
        pack_uint(p, i);
}

static void s_pack_map_frame(pack_t *p, size_t keys)
{
    pack_reset(p);
    pack_map(p, 1);
    pack_str(p, "m");
    pack_map(p, (uint32_t)keys);
    for (size_t i = 0; i < keys; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%zu", i);
        pack_kuint(p, key, i);
    }
}

static void test_counts_limits(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    s_pack_array_frame(&p, 256);
    s_accepted(pack_data(&p), pack_size(&p));
    s_pack_array_frame(&p, 257);
    s_refused(pack_data(&p), pack_size(&p), "array at offset 3 over 256");
    s_pack_map_frame(&p, 256);
    s_accepted(pack_data(&p), pack_size(&p));
    s_pack_map_frame(&p, 257);
    s_refused(pack_data(&p), pack_size(&p), "map at offset 3 over 256");
    pack_free(&p);
}

static void test_str_limits(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    char *s = malloc(8001);
    memset(s, 'x', 8001);
    s_pack_str_frame(&p, s, 8000);
    s_accepted(pack_data(&p), pack_size(&p));
    s_pack_str_frame(&p, s, 8001);
    s_refused(pack_data(&p), pack_size(&p), "str at offset 3 over 8000 bytes");

    /* a key is a str too */
    pack_reset(&p);
    pack_map(&p, 1);
    pack_strn(&p, s, 8001);
    pack_nil(&p);
    s_refused(pack_data(&p), pack_size(&p), "str at offset 1 over 8000");

    /* bin */
    pack_reset(&p);
    pack_map(&p, 1);
    pack_str(&p, "b");
    msgpack_pack_bin(&p.pk, 8001);
    msgpack_pack_bin_body(&p.pk, s, 8001);
    s_refused(pack_data(&p), pack_size(&p), "bin at offset 3 over 8000");

    /* 2000 Chinese characters fit the default (6000 bytes) */
    char *zh = malloc(2000 * 3);
    for (int i = 0; i < 2000; i++)
        memcpy(zh + 3 * i, "灯", 3);
    s_pack_str_frame(&p, zh, 6000);
    s_accepted(pack_data(&p), pack_size(&p));
    free(zh);
    free(s);
    pack_free(&p);
}

static void test_utf8(void **state)
{
    (void)state;
    /* clang-format off */
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\xc0\x80", 2},         /* overlong NUL */
        {"\xc1\xbf", 2},         /* overlong */
        {"\xe0\x80\x80", 3},     /* overlong, 3 bytes */
        {"\xe0\x9f\xbf", 3},     /* overlong U+07FF */
        {"\xf0\x80\x80\x80", 4}, /* overlong, 4 bytes */
        {"\xf0\x8f\xbf\xbf", 4}, /* overlong U+FFFF */
        {"\xed\xa0\x80", 3},     /* surrogate D800 */
        {"\xed\xbf\xbf", 3},     /* surrogate DFFF */
        {"\xf4\x90\x80\x80", 4}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4}, /* past the range */
        {"\xff", 1},
        {"\xfe", 1},
        {"\x80", 1},             /* lone continuation */
        {"a\xbf", 2},            /* lone continuation after ASCII */
        {"\xe4\xb8", 2},         /* truncated 中 */
        {"\xe4\xb8" "a", 3},     /* truncated, then ASCII */
        {"\xf0\x9f\x98", 3},     /* truncated 4 bytes */
        {"\xc3", 1},             /* truncated 2 bytes */
        {"\xe4\x28\xad", 3},     /* bad second byte */
        {"\xf0\x9f\x28\x80", 4}, /* bad third byte */
    };
    /* clang-format on */
    /* clang-format off */
    static const struct {
        const char *bytes;
        size_t len;
    } good[] = {
        {"", 0},
        {"\x00", 1},              /* NUL is a code point */
        {"\x7f", 1},
        {"\xc2\x80", 2},          /* U+0080 */
        {"\xdf\xbf", 2},          /* U+07FF */
        {"\xe0\xa0\x80", 3},      /* U+0800 */
        {"\xed\x9f\xbf", 3},      /* U+D7FF */
        {"\xee\x80\x80", 3},      /* U+E000 */
        {"\xef\xbf\xbf", 3},      /* U+FFFF */
        {"\xf0\x90\x80\x80", 4},  /* U+10000 */
        {"\xf0\x9f\x98\x80", 4},  /* emoji */
        {"\xf4\x8f\xbf\xbf", 4},  /* U+10FFFF */
        {"居民点单 ok", 15},
    };
    /* clang-format on */
    pack_t p;
    pack_init(&p);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_pack_str_frame(&p, bad[i].bytes, bad[i].len);
        s_refused(pack_data(&p), pack_size(&p),
                  "invalid UTF-8 in str at offset 3");
        /* the same bytes as a key */
        pack_reset(&p);
        pack_map(&p, 1);
        pack_strn(&p, bad[i].bytes, bad[i].len);
        pack_uint(&p, 1);
        s_refused(pack_data(&p), pack_size(&p),
                  "invalid UTF-8 in str at offset 1");
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        s_pack_str_frame(&p, good[i].bytes, good[i].len);
        s_accepted(pack_data(&p), pack_size(&p));
    }
    pack_free(&p);
}

static void test_non_str_key(void **state)
{
    (void)state;
    /* clang-format off */
    static const unsigned char intkey[] = {0x81, 0x01, 0x01};
    static const unsigned char nilkey[] = {0x81, 0xc0, 0x01};
    static const unsigned char binkey[] = {0x81, 0xc4, 0x01, 'a', 0x01};
    static const unsigned char mapkey[] = {0x81, 0x80, 0x01};
    static const unsigned char nested[] = {0x81, 0xa1, 'a', 0x82, 0xa1, 'b',
                                           0x01, 0xc3, 0x01};
    /* clang-format on */
    s_refused(intkey, sizeof intkey, "map key at offset 1 is not a str");
    s_refused(nilkey, sizeof nilkey, "map key at offset 1 is not a str");
    s_refused(binkey, sizeof binkey, "map key at offset 1 is not a str");
    s_refused(mapkey, sizeof mapkey, "map key at offset 1 is not a str");
    s_refused(nested, sizeof nested, "map key at offset 7 is not a str");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    /* clang-format off */
    static const unsigned char top[] = {0x82, 0xa1, 'a', 0x01,
                                        0xa1, 'a', 0x02};
    static const unsigned char nested[] = {0x81, 0xa1, 'b', 0x83,
                                           0xa1, 'x', 0x01,
                                           0xa2, 'x', 'y', 0x01,
                                           0xa1, 'x', 0x01};
    /* the same key in sibling maps, and a prefix, are no duplicates */
    static const unsigned char siblings[] = {0x82, 0xa1, 'a', 0x81, 0xa1,
                                             'x', 0x01, 0xa1, 'b', 0x81,
                                             0xa1, 'x', 0x01};
    static const unsigned char prefix[] = {0x82, 0xa1, 'a', 0x01,
                                           0xa2, 'a', 'a', 0x01};
    /* str8 and fixstr spellings of one key */
    static const unsigned char spelled[] = {0x82, 0xa1, 'a', 0x01,
                                            0xd9, 0x01, 'a', 0x01};
    /* clang-format on */
    s_refused(top, sizeof top, "duplicate key at offset 4");
    s_refused(nested, sizeof nested, "duplicate key at offset 11");
    s_accepted(siblings, sizeof siblings);
    s_accepted(prefix, sizeof prefix);
    s_refused(spelled, sizeof spelled, "duplicate key at offset 4");

    /* 256 keys, the last repeating the first */
    pack_t p;
    pack_init(&p);
    pack_map(&p, 256);
    for (int i = 0; i < 255; i++) {
        char key[32];
        snprintf(key, sizeof key, "key-%d", (i * 37) % 255);
        pack_kuint(&p, key, (uint64_t)i);
    }
    pack_kuint(&p, "key-0", 0);
    s_refused(pack_data(&p), pack_size(&p), "duplicate key");
    pack_free(&p);
}

/* A map too big for the walker's scratch of key offsets takes the
 * pair-by-pair path. */
static void test_duplicate_keys_wide(void **state)
{
    (void)state;
    frame_limits_t lim = frame_limits_default();
    lim.max_map = 10000;
    lim.max_frame = 1 << 20;
    pack_t p;
    pack_init(&p);
    char err[160];
    for (int dup = 0; dup < 2; dup++) {
        pack_reset(&p);
        pack_map(&p, 1);
        pack_str(&p, "m");
        pack_map(&p, 4200);
        for (int i = 0; i < 4200; i++) {
            char key[32];
            snprintf(key, sizeof key, "%d", dup && i == 4199 ? 17 : i);
            pack_kuint(&p, key, 1);
        }
        int rc =
            s_walk_lim(pack_data(&p), pack_size(&p), &lim, err, sizeof err);
        assert_int_equal(rc, dup ? -1 : 0);
        if (dup)
            assert_non_null(strstr(err, "duplicate key"));
    }
    pack_free(&p);
}

/* Eight nested maps of 256 keys each fill the walker's scratch at the
 * default limits; a duplicate in the innermost one is still found. */
static void test_duplicate_keys_nested_full(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    for (int dup = 0; dup < 2; dup++) {
        pack_reset(&p);
        for (int depth = 1; depth <= 8; depth++) {
            pack_map(&p, 256);
            for (int i = 0; i < 255; i++) {
                char key[16];
                int inner_dup = dup && depth == 8 && i == 254;
                snprintf(key, sizeof key, "%d", inner_dup ? 3 : i);
                pack_knil(&p, key);
            }
            pack_str(&p, "z");
        }
        pack_nil(&p);
        assert_true(pack_size(&p) <= 65536);
        if (dup)
            s_refused(pack_data(&p), pack_size(&p), "duplicate key");
        else
            s_accepted(pack_data(&p), pack_size(&p));
    }
    pack_free(&p);
}

static void test_ext_and_reserved(void **state)
{
    (void)state;
    /* clang-format off */
    static const unsigned char fixext1[] = {0x81, 0xa1, 'e', 0xd4, 1, 0};
    static const unsigned char fixext16[] = {0x81, 0xa1, 'e', 0xd8, 1,
                                             0, 0, 0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char ext8[] = {0x81, 0xa1, 'e', 0xc7, 1, 5, 0};
    static const unsigned char ext32[] = {0x81, 0xa1, 'e', 0xc9, 0xff,
                                          0xff, 0xff, 0xff, 5};
    static const unsigned char ts[] = {0x81, 0xa1, 'e', 0xd6, 0xff,
                                       0, 0, 0, 0};
    static const unsigned char c1[] = {0x81, 0xa1, 'e', 0xc1};
    /* clang-format on */
    s_refused(fixext1, sizeof fixext1, "ext type at offset 3");
    s_refused(fixext16, sizeof fixext16, "ext type at offset 3");
    s_refused(ext8, sizeof ext8, "ext type at offset 3");
    s_refused(ext32, sizeof ext32, "ext type at offset 3");
    s_refused(ts, sizeof ts, "ext type at offset 3");
    s_refused(c1, sizeof c1, "reserved byte 0xc1 at offset 3");
}

static void test_oversize(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    char *s = malloc(8000);
    memset(s, 'z', 8000);
    /* nine strs adding up to exactly 65536 bytes */
    for (size_t extra = 0; extra < 2; extra++) {
        pack_reset(&p);
        pack_map(&p, 9);
        for (int i = 0; i < 9; i++) {
            char key[4] = {'k', (char)('0' + i), 0};
            pack_str(&p, key);
            pack_strn(&p, s, i < 8 ? 7275 : 7281 + extra);
        }
        assert_int_equal(pack_size(&p), 65536 + extra);
        if (extra)
            s_refused(pack_data(&p), pack_size(&p),
                      "frame of 65537 bytes over 65536");
        else
            s_accepted(pack_data(&p), pack_size(&p));
    }
    /* the size check runs before the first byte is looked at */
    char err[80];
    frame_limits_t lim = frame_limits_default();
    lim.max_frame = 4;
    static const unsigned char big[] = {0x81, 0xa1, 'a', 0x01, 0x00};
    assert_int_equal(frame_walk(big, sizeof big, &lim, err, sizeof err), -1);
    assert_string_equal(err, "frame of 5 bytes over 4");
    free(s);
    pack_free(&p);
}

static void test_err_buffer(void **state)
{
    (void)state;
    static const unsigned char f[] = {0x91, 0x01};
    frame_limits_t lim = frame_limits_default();
    char err[8];
    memset(err, 'x', sizeof err);
    assert_int_equal(frame_walk(f, sizeof f, &lim, err, sizeof err), -1);
    assert_string_equal(err, "top lev");
    assert_int_equal(frame_walk(f, sizeof f, &lim, NULL, 0), -1);
    static const unsigned char ok[] = {0x80};
    err[0] = 'x';
    assert_int_equal(frame_walk(ok, sizeof ok, &lim, err, sizeof err), 0);
    assert_string_equal(err, "");
}

/* Builds frame number I of the reuse test: a request whose body grows and
 * shrinks with I, so the zone sees frames of many sizes. */
static void s_pack_nth(pack_t *p, unsigned i)
{
    unsigned items = (i * 7919u) % 200;
    pack_reset(p);
    pack_map(p, 3);
    pack_kstr(p, "type", "task.resolve");
    pack_kuint(p, "id", i);
    pack_str(p, "body");
    pack_map(p, 1);
    pack_str(p, "participants");
    pack_array(p, items);
    for (unsigned k = 0; k < items; k++) {
        pack_map(p, 2);
        pack_kuint(p, "member", i + k);
        pack_kdouble(p, "hours", 0.5);
    }
}

static void s_check_nth(const msgpack_object *o, unsigned i)
{
    unsigned items = (i * 7919u) % 200;
    assert_int_equal(o->via.map.size, 3);
    assert_int_equal(o->via.map.ptr[1].val.via.u64, i);
    const msgpack_object *arr = &o->via.map.ptr[2].val.via.map.ptr[0].val;
    assert_int_equal(arr->via.array.size, items);
    for (unsigned k = 0; k < items; k++) {
        const msgpack_object *m = &arr->via.array.ptr[k];
        assert_int_equal(m->via.map.size, 2);
        assert_int_equal(m->via.map.ptr[0].val.via.u64, i + k);
    }
}

static void test_decoder_reuse(void **state)
{
    (void)state;
    frame_limits_t lim = frame_limits_default();
    frame_decoder_t *dec = frame_decoder_new(&lim);
    assert_non_null(dec);
    pack_t p;
    pack_init(&p);
    msgpack_object o;
    char err[160];
    for (unsigned i = 0; i < 3000; i++) {
        s_pack_nth(&p, i);
        if (frame_decode(dec, pack_data(&p), pack_size(&p), &o, err,
                         sizeof err) != 0)
            fail_msg("frame %u: %s", i, err);
        s_check_nth(&o, i);
        if (i % 5 == 0) { /* a refused frame between good ones */
            static const unsigned char bad[] = {0x81, 0xa1, 'a', 0xc1};
            assert_int_equal(
                frame_decode(dec, bad, sizeof bad, &o, err, sizeof err), -1);
        }
    }

    /* warm now: the largest body has been seen, so decoding allocates
     * nothing (counted under ASan) */
    size_t before = s_malloc_count();
    for (unsigned i = 0; i < 500; i++) {
        s_pack_nth(&p, i); /* the buffer is warm too */
        assert_int_equal(frame_decode(dec, pack_data(&p), pack_size(&p), &o,
                                      err, sizeof err),
                         0);
    }
    assert_int_equal(s_malloc_count(), before);
    s_check_nth(&o, 499);

    /* the largest frame the limits let through still decodes, then the
     * decoder stays warm for it */
    pack_reset(&p);
    pack_map(&p, 1);
    pack_str(&p, "a");
    pack_array(&p, 250);
    for (int k = 0; k < 250; k++) {
        pack_array(&p, 256);
        for (int j = 0; j < 256; j++)
            pack_nil(&p);
    }
    assert_int_equal(
        frame_decode(dec, pack_data(&p), pack_size(&p), &o, err, sizeof err),
        0);
    assert_int_equal(o.via.map.ptr[0].val.via.array.ptr[249].via.array.size,
                     256);
    before = s_malloc_count();
    assert_int_equal(
        frame_decode(dec, pack_data(&p), pack_size(&p), &o, err, sizeof err),
        0);
    assert_int_equal(s_malloc_count(), before);

    pack_free(&p);
    frame_decoder_destroy(&dec);
}

static uint32_t s_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Random mutations of a good frame: nothing crashes, nothing reads out of
 * bounds, whatever the walk accepts msgpack-c unpacks to a map, and the
 * zone the decoder sized for it is enough. */
static void test_mutations(void **state)
{
    (void)state;
    pack_t p;
    pack_init(&p);
    s_pack_request(&p);
    size_t len = pack_size(&p);
    unsigned char *good = malloc(len);
    memcpy(good, pack_data(&p), len);
    frame_limits_t lim = frame_limits_default();
    frame_decoder_t *dec = frame_decoder_new(&lim);
    uint32_t seed = 2463534242u;
    size_t accepted = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = len - s_rand(&seed) % 4;
        unsigned char *f = malloc(n);
        memcpy(f, good, n);
        int flips = 1 + (int)(s_rand(&seed) % 3);
        for (int k = 0; k < flips; k++)
            f[s_rand(&seed) % n] = (unsigned char)s_rand(&seed);
        char err[160] = "";
        msgpack_object o;
        int walk = frame_walk(f, n, &lim, err, sizeof err);
        int rc = frame_decode(dec, f, n, &o, err, sizeof err);
        if (walk != rc || strstr(err, "unpack failed"))
            fail_msg("round %d: walk %d, decode %d: %s", round, walk, rc, err);
        if (rc == 0) {
            assert_int_equal(o.type, MSGPACK_OBJECT_MAP);
            accepted++;
            /* the zone was sized for this frame: again, nothing is taken */
            size_t before = s_malloc_count();
            assert_int_equal(frame_decode(dec, f, n, &o, err, sizeof err), 0);
            assert_int_equal(s_malloc_count(), before);
        }
        free(f);
    }
    assert_true(accepted > 0);
    free(good);
    frame_decoder_destroy(&dec);
    pack_free(&p);
}

int main(void)
{
    if (!s_hooks_install())
        print_message("no ASan malloc hooks: allocation checks skipped\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_counter),
        cmocka_unit_test(test_limits_default),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_trailing_bytes),
        cmocka_unit_test(test_top_not_map),
        cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_counts_limits),
        cmocka_unit_test(test_str_limits),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_non_str_key),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_duplicate_keys_wide),
        cmocka_unit_test(test_duplicate_keys_nested_full),
        cmocka_unit_test(test_ext_and_reserved),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_err_buffer),
        cmocka_unit_test(test_decoder_reuse),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
