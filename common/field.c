/*  field: typed reads from a decoded map, with the field's path in every
 *  error. See field.h.
 *
 *  1. Lookups are linear over the map's entries: maps are small (at most
 *     max_map entries) and frame_walk has already refused duplicate keys,
 *     so the first match is the only one.
 *  2. An explicit nil is absent everywhere, field_get included.
 *  3. Details read "<path>: <reason>", the reason short and lowercase; a
 *     detail longer than the caller's buffer is cut, never overrun.
 */
#include "field.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Formats into OUT, cutting what does not fit: paths and details are
 * diagnostics, a cut one still names the field. */
static void s_print(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_print(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

/* Writes "<path>: <reason>" (or just the reason when PATH is empty). */
static int s_vfail(char *err, size_t errlen, const char *path, const char *fmt,
                   va_list ap)
{
    if (!err || errlen == 0)
        return -1;
    size_t n = 0;
    if (path[0]) {
        s_print(err, errlen, "%s: ", path);
        n = strlen(err);
    }
    vsnprintf(err + n, errlen - n, fmt, ap);
    return -1;
}

static int s_fail_at(char *err, size_t errlen, const char *path,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int s_fail_at(char *err, size_t errlen, const char *path,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vfail(err, errlen, path, fmt, ap);
    va_end(ap);
    return -1;
}

/* Appends S to OUT[*N..SIZE), cutting what does not fit. */
static void s_append(char *out, size_t size, size_t *n, const char *s)
{
    size_t len = strlen(s);
    if (*n + len >= size)
        len = size - 1 - *n;
    memcpy(out + *n, s, len);
    *n += len;
}

/* Writes "<path>.<key>" (or "<key>" at the root, "<path>" without a key)
 * to OUT. Runs for every nested view, so it copies rather than formats. */
static void s_join(char *out, size_t size, const char *path, const char *key)
{
    size_t n = 0;
    if (!key || path[0])
        s_append(out, size, &n, path);
    if (key && path[0])
        s_append(out, size, &n, ".");
    if (key)
        s_append(out, size, &n, key);
    out[n] = '\0';
}

/* Writes "<path>.<key>[<i>]" to OUT. */
static void s_join_item(char *out, size_t size, const char *path,
                        const char *key, size_t i)
{
    char base[sizeof((field_map_t *)0)->path];
    s_join(base, sizeof base, path, key);
    s_print(out, size, "%s[%zu]", base, i);
}

int field_fail(const field_map_t *m, const char *key, const char *fmt, ...)
{
    char path[sizeof m->path + 64];
    va_list ap;
    s_join(path, sizeof path, m->path, key);
    va_start(ap, fmt);
    s_vfail(m->err, m->errlen, path, fmt, ap);
    va_end(ap);
    return -1;
}

void field_root(field_map_t *out, const msgpack_object *obj, char *err,
                size_t errlen)
{
    out->obj = obj;
    out->path[0] = '\0';
    out->err = err;
    out->errlen = errlen;
    if (err && errlen > 0)
        err[0] = '\0';
}

const msgpack_object *field_get(const field_map_t *m, const char *key)
{
    if (!m->obj || m->obj->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen(key);
    const msgpack_object_map *map = &m->obj->via.map;
    for (uint32_t i = 0; i < map->size; i++) {
        const msgpack_object *k = &map->ptr[i].key;
        /* An empty str's ptr may be NULL: compare only what is there. */
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
            (klen == 0 || memcmp(k->via.str.ptr, key, klen) == 0)) {
            const msgpack_object *v = &map->ptr[i].val;
            return v->type == MSGPACK_OBJECT_NIL ? NULL : v;
        }
    }
    return NULL;
}

/* Looks KEY up: returns 1 with *V set when present, else 0 for an optional
 * field and -1 (detail "missing") for a required one. */
static int s_find(const field_map_t *m, const char *key, int required,
                  const msgpack_object **v)
{
    *v = field_get(m, key);
    if (*v)
        return 1;
    return required ? field_fail(m, key, "missing") : 0;
}

int field_map(const field_map_t *m, const char *key, int required,
              field_map_t *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc > 0 && v->type != MSGPACK_OBJECT_MAP)
        rc = field_fail(m, key, "must be a map");
    /* built aside, so that OUT may be M itself */
    field_map_t view = {rc > 0 ? v : NULL, "", m->err, m->errlen};
    s_join(view.path, sizeof view.path, m->path, key);
    *out = view;
    return rc;
}

/* Checks V is a str of 1..MAX_BYTES bytes; PATH names it in the detail. */
static int s_str(char *err, size_t errlen, const char *path,
                 const msgpack_object *v, size_t max_bytes, field_str_t *out)
{
    if (v->type != MSGPACK_OBJECT_STR)
        return s_fail_at(err, errlen, path, "must be a string");
    if (v->via.str.size < 1 || v->via.str.size > max_bytes)
        return s_fail_at(err, errlen, path, "must be 1..%zu bytes", max_bytes);
    out->ptr = v->via.str.ptr;
    out->len = v->via.str.size;
    return 1;
}

int field_str(const field_map_t *m, const char *key, int required,
              size_t max_bytes, field_str_t *out)
{
    const msgpack_object *v;
    char path[sizeof m->path + 64];
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    if (v->type == MSGPACK_OBJECT_STR && v->via.str.size >= 1 &&
        v->via.str.size <= max_bytes) { /* the common case: no path */
        out->ptr = v->via.str.ptr;
        out->len = v->via.str.size;
        return 1;
    }
    s_join(path, sizeof path, m->path, key);
    return s_str(m->err, m->errlen, path, v, max_bytes, out);
}

int field_text(const field_map_t *m, const char *key, int required,
               size_t max_chars, field_str_t *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    if (v->type != MSGPACK_OBJECT_STR)
        return field_fail(m, key, "must be a string");
    size_t chars = field_utf8_chars(v->via.str.ptr, v->via.str.size);
    if (chars < 1 || chars > max_chars)
        return field_fail(m, key, "must be 1..%zu characters", max_chars);
    /* Text is for people: no control characters but line breaks and tabs
     * (they would garble terminals and logs). */
    for (size_t i = 0; i < v->via.str.size; i++) {
        unsigned char c = (unsigned char)v->via.str.ptr[i];
        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f)
            return field_fail(m, key, "control character at byte %zu", i);
    }
    out->ptr = v->via.str.ptr;
    out->len = v->via.str.size;
    return 1;
}

/* Fails with "must be one of a, b, c", the names cut to fit. */
static int s_enum_fail(const field_map_t *m, const char *key,
                       const char *const *names)
{
    char list[256];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; names[i] && used < sizeof list; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return field_fail(m, key, "must be one of %s", list);
}

int field_enum(const field_map_t *m, const char *key, int required,
               const char *const *names, int *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    if (v->type == MSGPACK_OBJECT_STR) {
        field_str_t s = {v->via.str.ptr, v->via.str.size};
        for (int i = 0; names[i]; i++)
            if (field_str_eq(s, names[i])) {
                *out = i;
                return 1;
            }
    }
    return s_enum_fail(m, key, names);
}

int field_uint(const field_map_t *m, const char *key, int required,
               uint64_t min, uint64_t max, uint64_t *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 < min ||
        v->via.u64 > max) {
        if (max == UINT64_MAX)
            return field_fail(m, key, "must be an integer >= %" PRIu64, min);
        return field_fail(m, key, "must be an integer in %" PRIu64 "..%" PRIu64,
                          min, max);
    }
    *out = v->via.u64;
    return 1;
}

int field_int(const field_map_t *m, const char *key, int required, int64_t min,
              int64_t max, int64_t *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    int ok = 0;
    int64_t x = 0;
    if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
        v->via.u64 <= (uint64_t)INT64_MAX) {
        x = (int64_t)v->via.u64;
        ok = 1;
    } else if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        x = v->via.i64;
        ok = 1;
    }
    if (!ok || x < min || x > max)
        return field_fail(m, key, "must be an integer in %" PRId64 "..%" PRId64,
                          min, max);
    *out = x;
    return 1;
}

int field_num(const field_map_t *m, const char *key, int required, double *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    double x;
    switch (v->type) {
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        x = (double)v->via.u64;
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        x = (double)v->via.i64;
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        x = v->via.f64;
        if (!isfinite(x))
            return field_fail(m, key, "must be a finite number");
        break;
    default:
        return field_fail(m, key, "must be a number");
    }
    *out = x;
    return 1;
}

int field_bool(const field_map_t *m, const char *key, int required, int *out)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    if (v->type != MSGPACK_OBJECT_BOOLEAN)
        return field_fail(m, key, "must be a boolean");
    *out = v->via.boolean ? 1 : 0;
    return 1;
}

int field_array(const field_map_t *m, const char *key, int required, size_t max,
                const msgpack_object **items, size_t *n)
{
    const msgpack_object *v;
    int rc = s_find(m, key, required, &v);
    if (rc <= 0)
        return rc;
    if (v->type != MSGPACK_OBJECT_ARRAY)
        return field_fail(m, key, "must be an array");
    if (v->via.array.size > max)
        return field_fail(m, key, "must have at most %zu items", max);
    *items = v->via.array.ptr;
    *n = v->via.array.size;
    return 1;
}

int field_item_map(const field_map_t *m, const char *key, size_t i,
                   const msgpack_object *item, field_map_t *out)
{
    field_map_t view = {NULL, "", m->err, m->errlen};
    s_join_item(view.path, sizeof view.path, m->path, key, i);
    int rc = 1;
    if (item && item->type == MSGPACK_OBJECT_MAP)
        view.obj = item;
    else
        rc = s_fail_at(m->err, m->errlen, view.path, "must be a map");
    *out = view;
    return rc;
}

int field_item_str(const field_map_t *m, const char *key, size_t i,
                   const msgpack_object *item, size_t max_bytes,
                   field_str_t *out)
{
    char path[sizeof m->path + 64];
    s_join_item(path, sizeof path, m->path, key, i);
    if (!item)
        return s_fail_at(m->err, m->errlen, path, "must be a string");
    return s_str(m->err, m->errlen, path, item, max_bytes, out);
}

int field_str_eq(field_str_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && (n == 0 || memcmp(s.ptr, lit, n) == 0);
}

size_t field_utf8_chars(const char *s, size_t len)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            chars++;
    return chars;
}
