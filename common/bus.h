/*  bus: ZeroMQ sockets inside a libuv loop.
 *
 *  A bus_t owns the ZeroMQ context; a bus_socket_t owns one ZeroMQ socket
 *  and the libuv handles that watch it. ZMQ_FD is edge-triggered, and
 *  sending, receiving or reading ZMQ_EVENTS all consume the edge, so a
 *  socket that only drained in its poll callback would strand messages. The
 *  shape used here, for every socket that receives:
 *
 *    uv_poll  (ZMQ_FD readable)  only wakes the loop;
 *    uv_prepare (before every block) re-reads ZMQ_EVENTS and starts a
 *             uv_idle while the socket is readable, so the loop does not
 *             block on a socket that holds messages;
 *    uv_check (after every poll phase) drains at most BUS_BATCH messages,
 *             calls the receive callback for each, then the batch callback
 *             once, so a flood cannot starve timers.
 *
 *  Sends never block: a full or unknown peer is reported, not waited for.
 *  Every socket gets a bounded LINGER; a ROUTER gets ROUTER_MANDATORY and a
 *  maximum message size well above the protocol's frame limit, so an
 *  oversize request still reaches the application and gets its reply.
 *  ZeroMQ's error codes stay in this module: calls return 0 or -1.
 */
#ifndef JULI_BUS_H
#define JULI_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <zmq.h>

#define BUS_BATCH     256 /* messages drained per loop turn and socket */
#define BUS_HWM       1000 /* messages queued per peer, each way */
#define BUS_MAX_PARTS 8   /* frames kept per message; more are dropped */

typedef struct bus bus_t;
typedef struct bus_socket bus_socket_t;

typedef struct {
    const void *data;
    size_t len;
} bus_frame_t;

/* CURVE for one socket; keys are Z85 text (40 characters). A server needs
 * its public and secret key and a ZAP domain (the ZAP handler decides who
 * may connect); a client needs its own pair and the server's public key.
 * NULL where a socket goes without CURVE. */
typedef struct {
    int server;
    const char *public_key, *secret_key;
    const char *server_key; /* clients only */
    const char *zap_domain; /* servers only */
} bus_curve_t;

/* One received message: PARTS[0..N) are valid during the callback only.
 * TRUNCATED is set when the message had more than BUS_MAX_PARTS frames. */
typedef void (*bus_recv_fn)(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                            int truncated, void *arg);
/* Called once after each drained batch (at least one message). */
typedef void (*bus_batch_fn)(bus_socket_t *s, void *arg);

/* Creates the ZeroMQ context for LOOP. Returns NULL on failure. */
bus_t *bus_new(uv_loop_t *loop);

/* Terminates the context once every socket is closed (after the loop ran
 * their close callbacks). NULL is fine; *SELF_P is set to NULL. */
void bus_destroy(bus_t **self_p);

/* Binds a ROUTER (api), PUB (events) or REP (ZAP handler) socket to
 * ENDPOINT, with CURVE when CURVE is not NULL. MAX_MSG is the largest
 * message a ROUTER accepts before dropping the peer (set it far above the
 * frame limit). Returns NULL with a one-line reason in ERR. */
bus_socket_t *bus_bind(bus_t *self, int type, const char *endpoint,
                       int64_t max_msg, const bus_curve_t *curve, char *err,
                       size_t errlen);

/* Connects a DEALER, REQ or SUB socket to ENDPOINT, with CURVE when CURVE
 * is not NULL. Returns NULL with a reason in ERR. */
bus_socket_t *bus_connect(bus_t *self, int type, const char *endpoint,
                          const bus_curve_t *curve, char *err,
                          size_t errlen);

/* Sets CURVE's options on the ZeroMQ socket ZSOCK, as a server or as a
 * client as CURVE says; nothing when CURVE is NULL. For sockets the bus
 * does not own (julictl's, a blocking client's) as for its own. Call it
 * before the socket binds or connects: the options apply only to what
 * comes after. Returns 0, or -1 with a one-line reason in ERR. */
int bus_curve_apply(void *zsock, const bus_curve_t *curve, char *err,
                    size_t errlen);

/* The role the ZAP handler gave the peer that sent MSG (its "User-Id"),
 * or NULL when the socket has no CURVE. */
const char *bus_peer_role(zmq_msg_t *msg);

/* Fills PUBLIC and SECRET (41 bytes each, Z85 and NUL) with a new CURVE
 * key pair. Returns 0 or -1. */
int bus_curve_keypair(char public_key[41], char secret_key[41]);

/* Encodes a 32-byte binary key as Z85 (41 bytes with the NUL). */
void bus_curve_z85(const unsigned char key[32], char out[41]);

/* Starts delivering received messages to RECV, and BATCH (may be NULL)
 * after each drained batch. ARG is passed to both. Returns 0 or -1. */
int bus_start(bus_socket_t *s, bus_recv_fn recv, bus_batch_fn batch,
              void *arg);

/* Sends FRAMES[0..N) as one message, copying them. Returns 0, or -1 when
 * the peer is unknown or gone (ROUTER), or the queue is full. */
int bus_send(bus_socket_t *s, const bus_frame_t *frames, size_t n);

/* Subscribes a SUB socket to topics starting with PREFIX ("" for all). */
int bus_subscribe(bus_socket_t *s, const char *prefix);

/* Stops watching, closes the handles and then the ZeroMQ socket (in the
 * last close callback). NULL is fine. */
void bus_close(bus_socket_t *s);

/* The underlying ZeroMQ socket, for options the bus does not wrap. */
void *bus_zsocket(bus_socket_t *s);

#endif
