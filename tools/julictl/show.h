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

/* show_str, but an empty string in BUF when there is no str under KEY.
 * Returns BUF. */
const char *show_copy(const msgpack_object *o, const char *key, char *buf,
                      size_t size);

/* The non-negative integer under KEY, or DEF when absent or not one. */
uint64_t show_uint(const msgpack_object *o, const char *key, uint64_t def);

/* O as text (see above; NULL is "-"). Returns a pointer into O or BUF
 * (SIZE bytes) and its length in *LEN. */
const char *show_text(const msgpack_object *o, char *buf, size_t size,
                      size_t *len);

/* The number O times SCALE with one decimal ("87.5"; a rate times 100 is
 * a percentage), or "-" when O is not a number (a rate with nothing to
 * count is nil); in BUF, which it returns. */
const char *show_scaled(const msgpack_object *o, double scale, char buf[32]);

/* The rate O as a percentage ("87.5%"), or "-" when it is nil; in BUF,
 * which it returns. */
const char *show_percent(const msgpack_object *o, char buf[32]);

/* Points O as text: a whole number as it is, an average with at most two
 * decimals ("12.5", "12.33"), anything else as show_text writes it; in
 * BUF, which it returns. */
const char *show_points(const msgpack_object *o, char buf[32]);

/* Writes the text S[0..LEN) to OUT with control characters as spaces
 * (see table_clean). */
void show_put(FILE *out, const char *s, size_t len);

/* Adds O as the next cell of T's current row, as show_text writes it. */
int show_cell(table_t *t, const msgpack_object *o);

/* Writes the Unix time MS (milliseconds) as local "YYYY-MM-DD HH:MM:SS"
 * into BUF and returns BUF. */
const char *show_time(uint64_t ms, char buf[32]);

/* The Unix time (milliseconds) under KEY in O as show_time writes it, or
 * "-" when absent or 0; in BUF, which it returns. */
const char *show_when(const msgpack_object *o, const char *key,
                      char buf[32]);

/* The array under KEY in O: its first item and in *N their number, or
 * NULL and 0 when absent or not an array. */
const msgpack_object *show_array(const msgpack_object *o, const char *key,
                                 uint32_t *n);

/* Joins the strs under KEYS (NULL-terminated) of O with SEP into BUF
 * (SIZE bytes), skipping the others. Returns the length written. */
size_t show_join(const msgpack_object *o, const char *const *keys,
                 const char *sep, char *buf, size_t size);

/* Prints LABEL padded to SHOW_LABEL columns, a space, the text S[0..LEN)
 * as show_put writes it, SUFFIX and a newline, on stdout. */
#define SHOW_LABEL 11
void show_line(const char *label, const char *s, size_t len,
               const char *suffix);

/* show_line of the value O as show_text writes it. */
void show_field(const char *label, const msgpack_object *o);

/* show_line of the time under KEY in O, as show_when writes it. */
void show_when_line(const char *label, const msgpack_object *o,
                    const char *key);

/* Prints the list REPLY as a table: a row for each item of the array
 * under ITEMS, whose NCOLS columns HEADERS are the items' values under
 * KEYS; then "next: CURSOR" when the reply has a next page. */
void show_table(const msgpack_object *reply, const char *items,
                size_t ncols, const char *const *headers,
                const char *const *keys);

/* Prints "next: CURSOR" when the list REPLY has a next page. */
void show_next(const msgpack_object *reply);

/* Prints the map O as aligned "key: value" lines, nested maps flattened to
 * dotted keys ("requests.triage"), skipping "ok", "id" and nil values. */
void show_pairs(FILE *out, const msgpack_object *o);

/* A one-line summary of the map O: "key=value" for its scalar entries,
 * space-separated, at most WIDTH display columns (cut with "…"), in BUF
 * (SIZE bytes). Returns BUF. */
const char *show_summary(const msgpack_object *o, size_t width, char *buf,
                         size_t size);

#endif
