/*  body: a request's body map, built entry by entry.
 *
 *  MessagePack writes a map's entry count before its entries, and most of
 *  julictl's fields are optional. A body_t packs entries into its own
 *  buffer and counts them, so a command adds what the user gave and the
 *  count comes out right; body_map nests one body in another. A body may
 *  also be a list: body_item appends a map to it, and body_array adds it
 *  to another body as an array. A body owns its buffer until body_free.
 */
#ifndef JULICTL_BODY_H
#define JULICTL_BODY_H

#include <stdint.h>

#include "pack.h"

typedef struct {
    pack_t pack;  /* the entries, without the map header */
    uint32_t n;   /* how many */
} body_t;

/* Initialises B empty. */
void body_init(body_t *b);

/* Frees B's buffer. */
void body_free(body_t *b);

/* Adds KEY with the string VAL; nothing when VAL is NULL. */
void body_str(body_t *b, const char *key, const char *val);

/* Adds KEY with the integer V. */
void body_uint(body_t *b, const char *key, uint64_t v);

/* Adds KEY with the signed integer V. */
void body_int(body_t *b, const char *key, int64_t v);

/* Adds KEY with the boolean V. */
void body_bool(body_t *b, const char *key, int v);

/* Adds KEY with the number V. */
void body_double(body_t *b, const char *key, double v);

/* Adds KEY with the array of strings that CSV's comma-separated items are
 * (empty items left out). */
void body_csv(body_t *b, const char *key, const char *csv);

/* Appends the map ITEM to the list LIST. */
void body_item(body_t *list, const body_t *item);

/* Adds KEY with the array of LIST's items, also when there are none. */
void body_array(body_t *b, const char *key, const body_t *list);

/* Adds KEY with the map SUB; nothing when SUB has no entries. */
void body_map(body_t *b, const char *key, const body_t *sub);

/* Writes B as one whole map into P. */
void body_pack(const body_t *b, pack_t *p);

#endif
