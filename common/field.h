/*  field: typed, validated reads from a decoded map, with the path of the
 *  field in every error.
 *
 *  A field_map_t is a view of one map in a decoded frame together with the
 *  dotted path that names it ("body.location") and the buffer where the
 *  detail of the first failure goes ("body.location.stairwell: unknown").
 *  Views are plain values on the caller's stack; they own nothing.
 *
 *  Every getter returns 1 when the field is present and valid (and writes
 *  *OUT), 0 when it is absent (or nil) and optional (and leaves *OUT alone),
 *  and -1 when it is required and absent, or present and invalid; then the
 *  detail buffer names the field and what is wrong with it. Callers stop at
 *  the first -1.
 */
#ifndef JULI_FIELD_H
#define JULI_FIELD_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

enum { FIELD_OPTIONAL = 0, FIELD_REQUIRED = 1 };

typedef struct {
    const char *ptr; /* not NUL-terminated; points into the frame */
    size_t len;
} field_str_t;

typedef struct {
    const msgpack_object *obj; /* the map; NULL for an absent optional map */
    char path[96];             /* "" at the root, else "body.location" */
    char *err;                 /* shared detail buffer */
    size_t errlen;
} field_map_t;

/* Makes a view of the top-level map OBJ (path ""), writing details to ERR. */
void field_root(field_map_t *out, const msgpack_object *obj, char *err,
                size_t errlen);

/* The map under KEY, as a view with path "<path>.<key>". An absent optional
 * map gives a view whose obj is NULL; getters on it see every key absent. */
int field_map(const field_map_t *m, const char *key, int required,
              field_map_t *out);

/* A str of 1..MAX_BYTES bytes. */
int field_str(const field_map_t *m, const char *key, int required,
              size_t max_bytes, field_str_t *out);

/* A str of 1..MAX_CHARS characters (UTF-8 code points), without control
 * characters other than tab, CR and LF. */
int field_text(const field_map_t *m, const char *key, int required,
               size_t max_chars, field_str_t *out);

/* A str that is one of NAMES (a NULL-terminated list); *OUT is its index. */
int field_enum(const field_map_t *m, const char *key, int required,
               const char *const *names, int *out);

/* A non-negative integer in [MIN, MAX]. */
int field_uint(const field_map_t *m, const char *key, int required,
               uint64_t min, uint64_t max, uint64_t *out);

/* A signed integer in [MIN, MAX]. */
int field_int(const field_map_t *m, const char *key, int required,
              int64_t min, int64_t max, int64_t *out);

/* A number (integer or float, finite). Range checks are the caller's, with
 * field_fail. */
int field_num(const field_map_t *m, const char *key, int required,
              double *out);

/* A boolean. */
int field_bool(const field_map_t *m, const char *key, int required, int *out);

/* An array of at most MAX entries; *ITEMS points at its first element. */
int field_array(const field_map_t *m, const char *key, int required,
                size_t max, const msgpack_object **items, size_t *n);

/* Element I of the array under KEY, which must be a map: a view with path
 * "<path>.<key>[<i>]". Returns 1, or -1 when ITEM is not a map. */
int field_item_map(const field_map_t *m, const char *key, size_t i,
                   const msgpack_object *item, field_map_t *out);

/* Element I of the array under KEY, which must be a str of 1..MAX_BYTES. */
int field_item_str(const field_map_t *m, const char *key, size_t i,
                   const msgpack_object *item, size_t max_bytes,
                   field_str_t *out);

/* Writes "<path>.<key>: <reason>" to the detail buffer. Returns -1. */
int field_fail(const field_map_t *m, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The raw object under KEY, or NULL when absent. No type check. */
const msgpack_object *field_get(const field_map_t *m, const char *key);

/* True when S equals the NUL-terminated string LIT. */
int field_str_eq(field_str_t s, const char *lit);

/* Number of UTF-8 code points in S (S must be valid UTF-8). */
size_t field_utf8_chars(const char *s, size_t len);

#endif
