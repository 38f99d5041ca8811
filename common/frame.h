/*  frame: untrusted MessagePack bytes in, a checked msgpack_object out.
 *
 *  Every payload frame that reaches a daemon is walked with bounds before
 *  msgpack-c allocates anything for it (msgpack-c reserves room for a whole
 *  container from its header, so five bytes could ask for gigabytes). The
 *  walk refuses, in one pass and without allocating:
 *
 *    1. a frame over max_frame bytes, or empty;
 *    2. a truncated value, or bytes left over after the one top-level value;
 *    3. a top-level value that is not a map;
 *    4. nesting deeper than max_depth (the top-level map is depth 1);
 *    5. an array over max_array entries, a map over max_map entries, or any
 *       container whose count cannot fit in the bytes that remain (each
 *       entry takes at least one byte);
 *    6. a str or bin over max_str bytes, a str that is not valid UTF-8
 *       (overlongs, surrogates and code points past U+10FFFF are invalid);
 *    7. a map key that is not a str, or a key repeated in one map;
 *    8. ext types (juli never sends them).
 *
 *  Only then is the frame unpacked into the decoder's zone, which is reused
 *  from frame to frame. Strings in the result point into the caller's
 *  buffer: keep it alive while the object is used.
 */
#ifndef JULI_FRAME_H
#define JULI_FRAME_H

#include <msgpack.h>
#include <stddef.h>

typedef struct {
    size_t max_frame; /* bytes in one frame (protocol default 65536) */
    size_t max_str;   /* bytes in one str or bin; must let a request's text
                         through (2000 characters of UTF-8: 8000 bytes) */
    unsigned max_depth; /* map/array nesting (default 8) */
    size_t max_array;   /* entries in one array (default 256) */
    size_t max_map;     /* entries in one map (default 256) */
} frame_limits_t;

/* The protocol's default limits, for requests. */
frame_limits_t frame_limits_default(void);

/* The limits for what juli's daemons send back: replies and pages of
 * events (up to 10,000 events), walked all the same by whoever reads them
 * (clients, followers). */
frame_limits_t frame_limits_reply(void);

/* Walks BUF[0..LEN) against LIM without allocating. Returns 0 when the frame
 * is acceptable, or -1 with a one-line reason in ERR (e.g. "depth over 8",
 * "map at offset 1 claims 4294967295 entries in 4 bytes"). */
int frame_walk(const void *buf, size_t len, const frame_limits_t *lim,
               char *err, size_t errlen);

typedef struct frame_decoder frame_decoder_t;

/* Creates a decoder with its own reusable zone; LIM is copied. Returns NULL
 * when out of memory. */
frame_decoder_t *frame_decoder_new(const frame_limits_t *lim);

/* Destroys *SELF_P (NULL is fine) and sets it to NULL. */
void frame_decoder_destroy(frame_decoder_t **self_p);

/* Walks then unpacks BUF. On success returns 0 and sets *OUT to the
 * top-level map, valid until the next decode on this decoder and while BUF
 * lives. On failure returns -1 with the reason in ERR. */
int frame_decode(frame_decoder_t *self, const void *buf, size_t len,
                 msgpack_object *out, char *err, size_t errlen);

/* The limits this decoder enforces. */
const frame_limits_t *frame_decoder_limits(const frame_decoder_t *self);

#endif
