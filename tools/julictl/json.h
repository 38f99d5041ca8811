/*  json: a decoded MessagePack value printed as JSON, on one line.
 *
 *  The mapping, value by value:
 *
 *    nil, bool       null, true, false
 *    integers        decimal, as wide as they came (uint64 and int64)
 *    float32/64      the shortest decimal that reads back to the same value
 *                    (at most %.17g); NaN and infinities, which JSON cannot
 *                    hold, become null
 *    str             a JSON string: " and \ escaped, control characters as
 *                    \n \t ... or \u00XX, UTF-8 passed through as it is;
 *                    a byte that is not part of valid UTF-8 becomes \ufffd
 *    bin, ext        a string holding the bytes in base64
 *    array, map      [ ] and { }; a map key that is not a str is written
 *                    as the JSON of the key, itself as a string
 *
 *  It is not a general JSON library: it writes, it never parses, and it
 *  owns nothing.
 */
#ifndef JULICTL_JSON_H
#define JULICTL_JSON_H

#include <msgpack.h>
#include <stdio.h>

/* Writes O as JSON to OUT, without a newline. Returns 0, or -1 when OUT
 * reports a write error. */
int json_print(FILE *out, const msgpack_object *o);

/* Writes the bytes S[0..LEN) as a JSON string, quotes included. */
void json_string(FILE *out, const char *s, size_t len);

/* O as JSON in a new NUL-terminated string that the caller frees, or NULL
 * when out of memory. *LEN, when not NULL, gets its length. */
char *json_dump(const msgpack_object *o, size_t *len);

#endif
