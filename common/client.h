/*  client: a blocking api client, for julictl, the tests and the load
 *  generator (the daemons themselves never block: they use bus).
 *
 *  A client_t owns a ZeroMQ context and one DEALER socket connected to a
 *  daemon's api. It speaks REQ's envelope (an empty delimiter before each
 *  frame) so replies come back the same way, and it may keep many requests
 *  in flight: client_send then client_recv, matching replies by id.
 *  Replies are decoded with generous limits (they may carry 10,000 events)
 *  but still walked first: a client trusts no frame either.
 */
#ifndef JULI_CLIENT_H
#define JULI_CLIENT_H

#include <msgpack.h>
#include <stddef.h>

#include "bus.h"

typedef struct client client_t;

/* Connects to ENDPOINT; TIMEOUT_MS bounds every wait. Returns NULL with a
 * reason in ERR. */
client_t *client_new(const char *endpoint, int timeout_ms, char *err,
                     size_t errlen);

/* The same, with CURVE as a client (its own key pair and the server's
 * public key) when CURVE is not NULL. */
client_t *client_new_curve(const char *endpoint, int timeout_ms,
                           const bus_curve_t *curve, char *err,
                           size_t errlen);

/* Closes the socket and the context. NULL is fine; *SELF_P set to NULL. */
void client_destroy(client_t **self_p);

/* Sends one request frame (an encoded map). Returns 0, or -1 when the
 * socket refuses it. */
int client_send(client_t *self, const void *frame, size_t len);

/* Waits for the next reply and decodes it into *REPLY (valid until the
 * next client_recv or client_call). Returns 0, or -1 with ERR saying why
 * and errno telling the cases apart: EAGAIN when nothing came in time,
 * EBADMSG for a frame that does not decode, else ZeroMQ's error. */
int client_recv(client_t *self, msgpack_object *reply, char *err,
                size_t errlen);

/* client_send then client_recv. */
int client_call(client_t *self, const void *frame, size_t len,
                msgpack_object *reply, char *err, size_t errlen);

/* Sends raw frames as one message, without the delimiter: for tests that
 * must send what a well-behaved client never would. */
int client_send_raw(client_t *self, const void *const *frames,
                    const size_t *lens, size_t n);

#endif
