/*  client: a blocking DEALER client of a daemon's api. See client.h. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

#include "frame.h"

struct client {
    void *zctx, *zsock;
    int timeout_ms;
    frame_decoder_t *decoder;
    zmq_msg_t last; /* the reply frame the decoded object points into */
};

client_t *client_new(const char *endpoint, int timeout_ms, char *err,
                     size_t errlen)
{
    return client_new_curve(endpoint, timeout_ms, NULL, err, errlen);
}

client_t *client_new_curve(const char *endpoint, int timeout_ms,
                           const bus_curve_t *curve, char *err,
                           size_t errlen)
{
    client_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    zmq_msg_init(&self->last);
    self->timeout_ms = timeout_ms;
    frame_limits_t lim = frame_limits_reply();
    self->decoder = frame_decoder_new(&lim);
    self->zctx = zmq_ctx_new();
    if (!self->decoder || !self->zctx)
        goto fail;
    self->zsock = zmq_socket(self->zctx, ZMQ_DEALER);
    int linger = 0;
    if (!self->zsock ||
        zmq_setsockopt(self->zsock, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(self->zsock, ZMQ_RCVTIMEO, &timeout_ms,
                       sizeof timeout_ms) < 0 ||
        zmq_setsockopt(self->zsock, ZMQ_SNDTIMEO, &timeout_ms,
                       sizeof timeout_ms) < 0 ||
        bus_curve_apply(self->zsock, curve, err, errlen) < 0 ||
        zmq_connect(self->zsock, endpoint) < 0)
        goto fail;
    return self;
fail:
    snprintf(err, errlen, "cannot connect to %s: %s", endpoint,
             zmq_strerror(errno));
    client_destroy(&self);
    return NULL;
}

void client_destroy(client_t **self_p)
{
    client_t *self = *self_p;
    if (!self)
        return;
    zmq_msg_close(&self->last);
    if (self->zsock)
        zmq_close(self->zsock);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    frame_decoder_destroy(&self->decoder);
    free(self);
    *self_p = NULL;
}

int client_send(client_t *self, const void *frame, size_t len)
{
    if (zmq_send(self->zsock, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(self->zsock, frame, len, 0) < 0)
        return -1;
    return 0;
}

int client_send_raw(client_t *self, const void *const *frames,
                    const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (zmq_send(self->zsock, frames[i], lens[i],
                     i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
            return -1;
    return 0;
}

int client_recv(client_t *self, msgpack_object *reply, char *err,
                size_t errlen)
{
    /* Skip the delimiter, keep the last frame of the message. */
    int more = 1;
    while (more) {
        zmq_msg_close(&self->last);
        zmq_msg_init(&self->last);
        if (zmq_msg_recv(&self->last, self->zsock, 0) < 0) {
            snprintf(err, errlen, "%s",
                     errno == EAGAIN ? "no reply in time"
                                     : zmq_strerror(errno));
            return -1;
        }
        more = zmq_msg_more(&self->last);
    }
    if (frame_decode(self->decoder, zmq_msg_data(&self->last),
                     zmq_msg_size(&self->last), reply, err, errlen) < 0) {
        errno = EBADMSG;
        return -1;
    }
    return 0;
}

int client_call(client_t *self, const void *frame, size_t len,
                msgpack_object *reply, char *err, size_t errlen)
{
    if (client_send(self, frame, len) < 0) {
        snprintf(err, errlen, "cannot send: %s", zmq_strerror(errno));
        return -1;
    }
    return client_recv(self, reply, err, errlen);
}
