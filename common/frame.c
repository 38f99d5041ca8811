/*  frame: a bounded walk of untrusted MessagePack, then msgpack-c. See
 *  frame.h.
 *
 *  The walker keeps these invariants:
 *
 *    1. It reads only BUF[0..LEN): every header is read by s_head, which
 *       checks the bytes that remain first, and every payload is taken with
 *       s_take, which does the same.
 *    2. It never allocates. It recurses once per container level, at most
 *       S_DEPTH_CAP deep; its only scratch is a fixed array on its own stack
 *       (24 KiB) where the keys of the maps being walked are noted.
 *    3. It costs O(LEN), plus O(n log n) per map of n keys for the
 *       duplicate check (a heapsort of the map's keys, then a look at
 *       neighbours; up to S_SMALL_MAP keys, each against the others). A map whose keys do not fit the scratch (only with
 *       limits far above the defaults) is checked pair by pair instead.
 *    4. It adds up the bytes msgpack-c will take from the zone for the
 *       frame (one msgpack_object per array entry, one kv per map entry).
 *       The decoder grows its zone to that before unpacking, and a cleared
 *       zone keeps its first chunk, so once the largest frame has been seen
 *       a decode allocates nothing.
 */
#include "frame.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack/unpack.h>
#include <msgpack/zone.h>

enum {
    S_DEPTH_CAP = 32, /* msgpack-c's unpack stack (MSGPACK_EMBED_STACK_SIZE) */
    S_KEYS = 2048,    /* keys noted for the dup check: 8 nested maps of
                         256 keys, the default limits, always fit */
    S_ALIGN = 8,      /* slack per container for the zone's alignment */
    S_SMALL_MAP = 12, /* keys checked pairwise rather than sorted */
    S_ZONE_MIN = 8192 /* first chunk of a new decoder's zone */
};

/* What a header starts. */
enum { K_FIXED, K_STR, K_BIN, K_ARRAY, K_MAP, K_EXT, K_NEVER };

/* The tags 0xc0..0xdf: their kind, and the bytes after the tag that hold
 * the length or count (K_STR, K_BIN, K_ARRAY, K_MAP, K_EXT) or the value
 * itself (K_FIXED). */
static const struct {
    unsigned char kind, n;
} s_tags[32] = {
    {K_FIXED, 0}, {K_NEVER, 0}, {K_FIXED, 0}, {K_FIXED, 0}, /* c0 nil..true */
    {K_BIN, 1},   {K_BIN, 2},   {K_BIN, 4},                 /* c4 bin */
    {K_EXT, 1},   {K_EXT, 2},   {K_EXT, 4},                 /* c7 ext */
    {K_FIXED, 4}, {K_FIXED, 8},                             /* ca float */
    {K_FIXED, 1}, {K_FIXED, 2}, {K_FIXED, 4}, {K_FIXED, 8}, /* cc uint */
    {K_FIXED, 1}, {K_FIXED, 2}, {K_FIXED, 4}, {K_FIXED, 8}, /* d0 int */
    {K_EXT, 0},   {K_EXT, 0},   {K_EXT, 0},   {K_EXT, 0},   /* d4 fixext */
    {K_EXT, 0},   {K_STR, 1},   {K_STR, 2},   {K_STR, 4},   /* d9 str */
    {K_ARRAY, 2}, {K_ARRAY, 4}, {K_MAP, 2},   {K_MAP, 4},   /* dc */
};

typedef struct {
    int kind;
    size_t n; /* length, count, or payload bytes of a K_FIXED */
} head_t;

typedef struct {
    uint32_t at;  /* offset of the key's header, for the reason */
    uint32_t off; /* offset of its bytes */
    uint32_t len;
} keyref_t;

typedef struct {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    const frame_limits_t *lim;
    unsigned max_depth;
    size_t need;           /* bytes msgpack-c will take from the zone */
    size_t nkeys;          /* entries of keys in use */
    keyref_t keys[S_KEYS]; /* the keys of the maps being walked */
    char *err;
    size_t errlen;
} walker_t;

struct frame_decoder {
    frame_limits_t lim;
    msgpack_zone zone;
    size_t zone_size; /* bytes in the zone's first chunk */
};

frame_limits_t frame_limits_reply(void)
{
    frame_limits_t lim = {.max_frame = 256u << 20,
                          .max_str = 1u << 20,
                          .max_depth = 16,
                          .max_array = 1u << 20,
                          .max_map = 1u << 16};
    return lim;
}

frame_limits_t frame_limits_default(void)
{
    frame_limits_t lim = {
        .max_frame = 65536,
        .max_str = 8000,
        .max_depth = 8,
        .max_array = 256,
        .max_map = 256,
    };
    return lim;
}

static int s_fail(walker_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int s_fail(walker_t *w, const char *fmt, ...)
{
    if (w->err && w->errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, w->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static size_t s_be(const uint8_t *p, size_t n)
{
    size_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Reads the header at *POS of BUF[0..LEN): the tag and the length or count
 * bytes after it. Returns 0 and moves *POS past them, or -1 when they run
 * past LEN. */
static int s_head(const uint8_t *buf, size_t len, size_t *pos, head_t *h)
{
    h->kind = K_NEVER;
    h->n = 0;
    if (*pos >= len)
        return -1;
    uint8_t b = buf[(*pos)++];
    if (b <= 0x7f || b >= 0xe0) {
        h->kind = K_FIXED;
    } else if (b <= 0x9f) {
        h->kind = b <= 0x8f ? K_MAP : K_ARRAY;
        h->n = b & 0x0f;
    } else if (b <= 0xbf) {
        h->kind = K_STR;
        h->n = b & 0x1f;
    } else {
        size_t width = s_tags[b - 0xc0].n;
        h->kind = s_tags[b - 0xc0].kind;
        h->n = width;
        if (h->kind != K_FIXED && h->kind != K_EXT) {
            if (len - *pos < width)
                return -1;
            h->n = s_be(buf + *pos, width);
            *pos += width;
        }
    }
    return 0;
}

/* True when S[0..N) is UTF-8 without overlongs, surrogates or code points
 * past U+10FFFF. */
static int s_utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint8_t lo = 0x80, hi = 0xbf;
        size_t k;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c == 0xe0)
            k = 2, lo = 0xa0;
        else if (c == 0xed)
            k = 2, hi = 0x9f;
        else if (c >= 0xe1 && c <= 0xef)
            k = 2;
        else if (c == 0xf0)
            k = 3, lo = 0x90;
        else if (c == 0xf4)
            k = 3, hi = 0x8f;
        else if (c >= 0xf1 && c <= 0xf3)
            k = 3;
        else
            return 0;
        if (n - i - 1 < k || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

/* Takes N payload bytes of the value at AT. */
static int s_take(walker_t *w, size_t at, size_t n)
{
    if (w->len - w->pos < n)
        return s_fail(w, "value at offset %zu truncated", at);
    w->pos += n;
    return 0;
}

static int s_str(walker_t *w, size_t at, const head_t *h)
{
    const char *what = h->kind == K_STR ? "str" : "bin";
    if (h->n > w->lim->max_str)
        return s_fail(w, "%s at offset %zu over %zu bytes", what, at,
                      w->lim->max_str);
    size_t start = w->pos;
    if (s_take(w, at, h->n) < 0)
        return -1;
    if (h->kind == K_STR && !s_utf8_ok(w->buf + start, h->n))
        return s_fail(w, "invalid UTF-8 in str at offset %zu", at);
    return 0;
}

/* The str whose header is at AT, already walked. */
static keyref_t s_key_at(const walker_t *w, size_t at)
{
    head_t h;
    size_t pos = at;
    (void)s_head(w->buf, w->len, &pos, &h);
    return (keyref_t){(uint32_t)at, (uint32_t)pos, (uint32_t)h.n};
}

/* Orders two keys by length, then bytes. */
static int s_key_cmp(const walker_t *w, keyref_t a, keyref_t b)
{
    if (a.len != b.len)
        return a.len < b.len ? -1 : 1;
    return memcmp(w->buf + a.off, w->buf + b.off, a.len);
}

static void s_sift(const walker_t *w, keyref_t *k, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && s_key_cmp(w, k[child], k[child + 1]) < 0)
            child++;
        if (s_key_cmp(w, k[root], k[child]) >= 0)
            return;
        keyref_t t = k[root];
        k[root] = k[child];
        k[child] = t;
    }
}

/* Sorts the N keys from keys[BASE] in place (heapsort: no allocation,
 * O(n log n)) and refuses two equal neighbours. */
static int s_dup_sorted(walker_t *w, size_t base, size_t n)
{
    keyref_t *k = w->keys + base;
    for (size_t i = n / 2; i-- > 0;)
        s_sift(w, k, i, n);
    for (size_t end = n; end > 1; end--) {
        keyref_t t = k[0];
        k[0] = k[end - 1];
        k[end - 1] = t;
        s_sift(w, k, 0, end - 1);
    }
    for (size_t i = 1; i < n; i++)
        if (s_key_cmp(w, k[i - 1], k[i]) == 0) {
            uint32_t at = k[i].at > k[i - 1].at ? k[i].at : k[i - 1].at;
            return s_fail(w, "duplicate key at offset %u", (unsigned)at);
        }
    return 0;
}

/* The same check for a small map (N at most S_SMALL_MAP keys): each key
 * against those before it, which costs less than sorting so few. */
static int s_dup_small(walker_t *w, size_t base, size_t n)
{
    const keyref_t *k = w->keys + base;
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (s_key_cmp(w, k[j], k[i]) == 0)
                return s_fail(w, "duplicate key at offset %u",
                              (unsigned)k[i].at);
    return 0;
}

/* Moves *POS past one value that has already been walked. */
static void s_skip(const walker_t *w, size_t *pos)
{
    head_t h;
    (void)s_head(w->buf, w->len, pos, &h);
    if (h.kind == K_ARRAY || h.kind == K_MAP) {
        size_t items = h.kind == K_MAP ? 2 * h.n : h.n;
        for (size_t i = 0; i < items; i++)
            s_skip(w, pos);
    } else {
        *pos += h.n;
    }
}

/* Compares each key of the walked map whose entries start at FIRST with
 * every later one: O(n * bytes), only for maps too big for the scratch. */
static int s_dup_pairwise(walker_t *w, size_t first, size_t n)
{
    size_t pi = first;
    for (size_t i = 0; i < n; i++) {
        keyref_t ki = s_key_at(w, pi);
        s_skip(w, &pi);
        s_skip(w, &pi);
        size_t pj = pi;
        for (size_t j = i + 1; j < n; j++) {
            keyref_t kj = s_key_at(w, pj);
            if (s_key_cmp(w, ki, kj) == 0)
                return s_fail(w, "duplicate key at offset %u", kj.at);
            s_skip(w, &pj);
            s_skip(w, &pj);
        }
    }
    return 0;
}

static int s_value(walker_t *w, unsigned depth);

static int s_map_entries(walker_t *w, size_t n, unsigned depth)
{
    size_t base = w->nkeys;
    size_t first = w->pos;
    int keep = n <= S_KEYS - base;
    for (size_t i = 0; i < n; i++) {
        size_t at = w->pos;
        head_t h;
        if (s_head(w->buf, w->len, &w->pos, &h) < 0)
            return s_fail(w, "value at offset %zu truncated", at);
        if (h.kind != K_STR)
            return s_fail(w, "map key at offset %zu is not a str", at);
        keyref_t key = {(uint32_t)at, (uint32_t)w->pos, (uint32_t)h.n};
        if (s_str(w, at, &h) < 0)
            return -1;
        if (keep)
            w->keys[w->nkeys++] = key;
        if (s_value(w, depth) < 0)
            return -1;
    }
    int rc = !keep              ? s_dup_pairwise(w, first, n)
             : n <= S_SMALL_MAP ? s_dup_small(w, base, n)
                                : s_dup_sorted(w, base, n);
    w->nkeys = base;
    return rc;
}

/* An array or map whose header at AT has been read; DEPTH is its own. */
static int s_container(walker_t *w, size_t at, const head_t *h, unsigned depth)
{
    int map = h->kind == K_MAP;
    const char *what = map ? "map" : "array";
    size_t left = w->len - w->pos;
    size_t max = map ? w->lim->max_map : w->lim->max_array;
    if (depth > w->max_depth)
        return s_fail(w, "depth over %u", w->max_depth);
    if (h->n > (map ? left / 2 : left))
        return s_fail(w, "%s at offset %zu claims %zu entries in %zu bytes",
                      what, at, h->n, left);
    if (h->n > max)
        return s_fail(w, "%s at offset %zu over %zu entries", what, at, max);
    w->need += S_ALIGN + h->n * (map ? sizeof(msgpack_object_kv)
                                     : sizeof(msgpack_object));
    if (map)
        return s_map_entries(w, h->n, depth);
    for (size_t i = 0; i < h->n; i++)
        if (s_value(w, depth) < 0)
            return -1;
    return 0;
}

/* Walks one value inside a container at DEPTH (0 for the top level). */
static int s_value(walker_t *w, unsigned depth)
{
    size_t at = w->pos;
    head_t h;
    if (s_head(w->buf, w->len, &w->pos, &h) < 0)
        return s_fail(w, "value at offset %zu truncated", at);
    switch (h.kind) {
    case K_FIXED:
        return s_take(w, at, h.n);
    case K_STR:
    case K_BIN:
        return s_str(w, at, &h);
    case K_ARRAY:
    case K_MAP:
        return s_container(w, at, &h, depth + 1);
    case K_EXT:
        return s_fail(w, "ext type at offset %zu", at);
    default:
        return s_fail(w, "reserved byte 0xc1 at offset %zu", at);
    }
}

static int s_walk(walker_t *w)
{
    size_t max =
        w->lim->max_frame < UINT32_MAX ? w->lim->max_frame : UINT32_MAX;
    if (w->len == 0)
        return s_fail(w, "empty frame");
    if (w->len > max)
        return s_fail(w, "frame of %zu bytes over %zu", w->len, max);
    uint8_t b = w->buf[0];
    if (!((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf))
        return s_fail(w, "top level is not a map");
    if (s_value(w, 0) < 0)
        return -1;
    if (w->pos != w->len)
        return s_fail(w, "%zu bytes after the map", w->len - w->pos);
    return 0;
}

static void s_walker_init(walker_t *w, const void *buf, size_t len,
                          const frame_limits_t *lim, char *err, size_t errlen)
{
    w->buf = buf;
    w->len = len;
    w->pos = 0;
    w->lim = lim;
    w->max_depth = lim->max_depth < S_DEPTH_CAP ? lim->max_depth : S_DEPTH_CAP;
    w->need = 0;
    w->nkeys = 0;
    w->err = err;
    w->errlen = errlen;
    if (err && errlen > 0)
        err[0] = '\0';
}

int frame_walk(const void *buf, size_t len, const frame_limits_t *lim,
               char *err, size_t errlen)
{
    walker_t w;
    s_walker_init(&w, buf, len, lim, err, errlen);
    return s_walk(&w);
}

frame_decoder_t *frame_decoder_new(const frame_limits_t *lim)
{
    frame_decoder_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->lim = *lim;
    self->zone_size = S_ZONE_MIN;
    if (!msgpack_zone_init(&self->zone, self->zone_size)) {
        free(self);
        return NULL;
    }
    return self;
}

void frame_decoder_destroy(frame_decoder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    msgpack_zone_destroy(&(*self_p)->zone);
    free(*self_p);
    *self_p = NULL;
}

/* Makes the zone's first chunk hold NEED bytes, so that unpacking takes
 * nothing from malloc. Returns 0, or -1 when out of memory. */
static int s_zone_fit(frame_decoder_t *self, size_t need)
{
    if (need <= self->zone_size)
        return 0;
    size_t size = self->zone_size;
    while (size < need)
        size *= 2;
    msgpack_zone bigger;
    if (!msgpack_zone_init(&bigger, size))
        return -1;
    msgpack_zone_destroy(&self->zone);
    self->zone = bigger;
    self->zone_size = size;
    return 0;
}

int frame_decode(frame_decoder_t *self, const void *buf, size_t len,
                 msgpack_object *out, char *err, size_t errlen)
{
    walker_t w;
    s_walker_init(&w, buf, len, &self->lim, err, errlen);
    if (s_walk(&w) < 0)
        return -1;
    if (s_zone_fit(self, w.need) < 0)
        return s_fail(&w, "out of memory");
    msgpack_zone_clear(&self->zone);
    size_t off = 0;
    msgpack_object obj;
    msgpack_unpack_return rc =
        msgpack_unpack(buf, len, &off, &self->zone, &obj);
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len ||
        obj.type != MSGPACK_OBJECT_MAP)
        return s_fail(&w, "unpack failed (%d at offset %zu)", (int)rc, off);
    *out = obj;
    return 0;
}

const frame_limits_t *frame_decoder_limits(const frame_decoder_t *self)
{
    return &self->lim;
}
