/*  Fuzz target: the frame walker and decoder, and the field getters over
 *  whatever they let through.
 *
 *  For each input, with the protocol's default limits:
 *
 *    1. frame_walk and frame_decode must agree: a frame the walker accepts
 *       decodes, one it refuses does not (msgpack-c never sees it).
 *    2. Over a decoded frame, every getter of field.h runs on every key of
 *       every map (and on keys that are absent), nested maps and arrays
 *       included, with the paths growing as deep as the frame goes (the
 *       service targets check the details that reach replies).
 *    3. pack_object re-encodes the decoded map: the bytes must walk clean
 *       under the same limits, and decoding and re-encoding them again
 *       gives the very same bytes (the canonical encoding that idempotency
 *       compares bodies by).
 *
 *  The walk also runs under limits of 1 byte to 64 KiB picked by the first
 *  input byte, so the boundary checks meet small limits too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "frame.h"
#include "pack.h"

static frame_decoder_t *s_dec, *s_dec2;
static pack_t s_pack, s_pack2;

static const char *const s_keys[] = {
    "type", "id",     "body",         "ref",        "code",   "name",   "text",
    "task", "by",     "kind",         "location",   "parent", "member", "hours",
    "ok",   "detail", "participants", "categories", NULL};
static const char *const s_enum[] = {"app",  "hotline", "community",
                                     "grid", "",        NULL};

/* Aborts unless S[0..N) is valid UTF-8 (the walker's rule). */
static void s_utf8(const char *s, size_t n, const char *what)
{
    static const frame_limits_t lim = {.max_frame = 1u << 20,
                                       .max_str = 1u << 20,
                                       .max_depth = 1,
                                       .max_array = 0,
                                       .max_map = 1};
    uint8_t buf[5 + 1024 + 5];
    char err[128];
    if (n > 1024)
        n = 1024;
    /* {"d": <s>} */
    size_t k = 0;
    buf[k++] = 0x81;
    buf[k++] = 0xa1;
    buf[k++] = 'd';
    buf[k++] = 0xda;
    buf[k++] = (uint8_t)(n >> 8);
    buf[k++] = (uint8_t)n;
    memcpy(buf + k, s, n);
    if (frame_walk(buf, k + n, &lim, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz: %s is not valid UTF-8: %s: \"%.*s\"\n", what,
                err, (int)n, s);
        abort();
    }
}

static void s_map(const field_map_t *m, unsigned depth);

/* Every getter on KEY of M. */
static void s_getters(const field_map_t *m, const char *key, unsigned depth)
{
    field_str_t str;
    uint64_t u;
    int64_t i;
    double d;
    int b, e;
    const msgpack_object *items;
    size_t n;
    field_map_t sub;
    for (int req = 0; req < 2; req++) {
        m->err[0] = '\0';
        if (field_str(m, key, req, 64, &str) == 1 && !str.ptr)
            abort();
        if (field_text(m, key, req, 2000, &str) == 1)
            (void)field_utf8_chars(str.ptr, str.len);
        field_enum(m, key, req, s_enum, &e);
        field_uint(m, key, req, 1, 3, &u);
        field_uint(m, key, req, 0, UINT64_MAX, &u);
        field_int(m, key, req, -100000, 100000, &i);
        field_int(m, key, req, INT64_MIN, INT64_MAX, &i);
        field_num(m, key, req, &d);
        field_bool(m, key, req, &b);
        /* Down into what is there once, not once per pass. */
        if (field_array(m, key, req, 256, &items, &n) == 1 && !req) {
            for (size_t k = 0; k < n; k++) {
                field_map_t item;
                if (field_item_map(m, key, k, &items[k], &item) == 1)
                    s_map(&item, depth + 1);
                field_item_str(m, key, k, &items[k], 64, &str);
            }
        }
        if (field_map(m, key, req, &sub) == 1 && sub.obj && !req)
            s_map(&sub, depth + 1);
        (void)field_get(m, key);
    }
    field_fail(m, key, "fuzz %s", "detail");
}

/* All getters over the keys of M, and the common keys. */
static void s_map(const field_map_t *m, unsigned depth)
{
    if (depth > 16) /* the walker's depth limit stops this far earlier */
        abort();
    if (m->obj && m->obj->type == MSGPACK_OBJECT_MAP) {
        const msgpack_object_map *map = &m->obj->via.map;
        for (uint32_t k = 0; k < map->size; k++) {
            const msgpack_object *key = &map->ptr[k].key;
            char name[128];
            if (key->type != MSGPACK_OBJECT_STR)
                abort(); /* the walker refuses such keys */
            size_t len = key->via.str.size < sizeof name - 1 ? key->via.str.size
                                                             : sizeof name - 1;
            /* A key with a NUL byte reads as a shorter C string: as ""
             * when it starts with one. */
            if (len) /* an empty str's ptr may be NULL */
                memcpy(name, key->via.str.ptr, len);
            name[len] = '\0';
            s_getters(m, name, depth);
        }
    }
    if (depth < 2) {
        for (const char *const *k = s_keys; *k; k++)
            s_getters(m, *k, depth);
        /* The empty key "" too (field_get once compared an empty key
         * through the NULL ptr msgpack-c gives it: fuzz/corpus/frame/
         * empty-key). */
        s_getters(m, "", depth);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    frame_limits_t lim = frame_limits_default();
    s_dec = frame_decoder_new(&lim);
    s_dec2 = frame_decoder_new(&lim);
    pack_init(&s_pack);
    pack_init(&s_pack2);
    return s_dec && s_dec2 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const frame_limits_t lim = frame_limits_default();
    char err[256];
    msgpack_object root;

    /* Small limits, from the first byte. */
    if (size) {
        frame_limits_t small = {.max_frame = 1 + (size_t)data[0] * 257,
                                .max_str = data[0] % 17,
                                .max_depth = data[0] % 5,
                                .max_array = data[0] % 7,
                                .max_map = data[0] % 9};
        if (frame_walk(data, size, &small, err, sizeof err) == 0 &&
            frame_walk(data, size, &lim, err, sizeof err) < 0) {
            fprintf(stderr, "fuzz: accepted under smaller limits only: %s\n",
                    err);
            abort();
        }
    }

    int walked = frame_walk(data, size, &lim, err, sizeof err);
    if (walked < 0)
        s_utf8(err, strlen(err), "a walk error");
    int decoded = frame_decode(s_dec, data, size, &root, err, sizeof err);
    if (walked != decoded) {
        fprintf(stderr, "fuzz: frame_walk %d but frame_decode %d: %s\n", walked,
                decoded, err);
        abort();
    }
    if (decoded < 0)
        return 0;
    if (root.type != MSGPACK_OBJECT_MAP)
        abort();

    char detail[256];
    field_map_t top;
    field_root(&top, &root, detail, sizeof detail);
    s_map(&top, 0);

    /* Re-encoded, it walks clean, and is a fixed point. */
    pack_reset(&s_pack);
    pack_object(&s_pack, &root);
    if (frame_walk(pack_data(&s_pack), pack_size(&s_pack), &lim, err,
                   sizeof err) < 0) {
        fprintf(stderr, "fuzz: the re-encoded frame does not walk: %s\n", err);
        abort();
    }
    msgpack_object again;
    if (frame_decode(s_dec2, pack_data(&s_pack), pack_size(&s_pack), &again,
                     err, sizeof err) < 0)
        abort();
    pack_reset(&s_pack2);
    pack_object(&s_pack2, &again);
    if (pack_size(&s_pack2) != pack_size(&s_pack) ||
        memcmp(pack_data(&s_pack2), pack_data(&s_pack), pack_size(&s_pack))) {
        fprintf(stderr, "fuzz: re-encoding is not canonical\n");
        abort();
    }
    return 0;
}
