/*  show: reading a reply's fields for a human and printing them.
 *
 *  Replies are decoded msgpack_objects; these helpers look keys up without
 *  a type check and turn any value into text: a str as it is, nil as "-",
 *  numbers in decimal, anything else as JSON. Times are Unix milliseconds
 *  shown in the local time zone. Nothing here allocates what it returns
 *  but show_pairs' scratch; results point into the reply or into the
 *  caller's buffer.
 */
#ifndef JULICTL_SHOW_H
#define JULICTL_SHOW_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "table.h"

/* The value under KEY in the map O, or NULL when O is not a map, the key
 * is absent or its value is nil. */
const msgpack_object *show_get(const msgpack_object *o, const char *key);

/* The str under KEY in O as a NUL-terminated copy in BUF (cut to SIZE - 1
 * bytes), or NULL when absent or not a str. */
const char *show_str(const msgpack_object *o, const char *key, char *buf,
                     size_t size);

/* The non-negative integer under KEY, or DEF when absent or not one. */
uint64_t show_uint(const msgpack_object *o, const char *key, uint64_t def);

/* O as text (see above; NULL is "-"). Returns a pointer into O or BUF
 * (SIZE bytes) and its length in *LEN. */
const char *show_text(const msgpack_object *o, char *buf, size_t size,
                      size_t *len);

/* Writes the text S[0..LEN) to OUT with control characters as spaces
 * (see table_clean). */
void show_put(FILE *out, const char *s, size_t len);

/* Adds O as the next cell of T's current row, as show_text writes it. */
int show_cell(table_t *t, const msgpack_object *o);

/* Writes the Unix time MS (milliseconds) as local "YYYY-MM-DD HH:MM:SS"
 * into BUF and returns BUF. */
const char *show_time(uint64_t ms, char buf[32]);

/* Prints the map O as aligned "key: value" lines, nested maps flattened to
 * dotted keys ("requests.triage"), skipping "ok", "id" and nil values. */
void show_pairs(FILE *out, const msgpack_object *o);

/* A one-line summary of the map O: "key=value" for its scalar entries,
 * space-separated, at most WIDTH display columns (cut with "…"), in BUF
 * (SIZE bytes). Returns BUF. */
const char *show_summary(const msgpack_object *o, size_t width, char *buf,
                         size_t size);

#endif
