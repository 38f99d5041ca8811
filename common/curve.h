/*  curve: who may talk to a daemon, and as whom (CURVE and ZAP).
 *
 *  With [security] curve = on, every api and events endpoint is a CURVE
 *  server, and a ZAP handler (RFC 27) in the daemon decides at the
 *  handshake: a client whose public key is in the clients file gets the
 *  role written beside it as its ZAP user id; any other key is refused
 *  before a single request arrives. The role of a request is read from the
 *  frame's metadata (bus_peer_role), never from its body.
 *
 *  The keys directory holds, per daemon NAME, NAME.key (the public and the
 *  secret key, Z85, one per line, mode 0600) and NAME.pub (the public key);
 *  other clients' pairs likewise; and the clients file, `clients`:
 *
 *      # public key (Z85, 40 chars)           role        name
 *      rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7  service     dispatch
 *      Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID  unit:U001   铁路小学
 *
 *  Roles: app, staff, admin, service, unit:<id>. A curve_t owns the ZAP
 *  handler's socket and the keys it read; it borrows the bus.
 */
#ifndef JULI_CURVE_H
#define JULI_CURVE_H

#include <stddef.h>

#include "bus.h"

#define CURVE_DOMAIN "juli"

typedef struct curve curve_t;

/* Reads DIR/NAME.key and DIR/clients and binds the ZAP handler in the bus's
 * context (before any CURVE server binds). Returns NULL with a one-line
 * reason in ERR. */
curve_t *curve_new(bus_t *bus, const char *dir, const char *name, char *err,
                   size_t errlen);

/* Closes the ZAP handler's socket (in the loop). NULL is fine. */
void curve_destroy(curve_t **self_p);

/* The options for this daemon's CURVE servers. */
const bus_curve_t *curve_server(curve_t *self);

/* The options for connecting, as this daemon, to the daemon UPSTREAM
 * (whose public key is DIR/UPSTREAM.pub). Returns NULL with a reason in
 * ERR. The result lives in SELF until the next call. */
const bus_curve_t *curve_client(curve_t *self, const char *upstream,
                                char *err, size_t errlen);

/* Reads a key pair file (public, then secret, Z85, a line each) into
 * PUBLIC and SECRET. Returns 0 or -1 with a reason in ERR. */
int curve_read_pair(const char *path, char public_key[41],
                    char secret_key[41], char *err, size_t errlen);

/* Reads the public key of a .pub or .key file into PUBLIC. */
int curve_read_public(const char *path, char public_key[41], char *err,
                      size_t errlen);

/* Writes a new key pair as DIR/NAME.key (0600) and DIR/NAME.pub, and puts
 * its public key into *PUBLIC. Refuses to overwrite. Returns 0 or -1. */
int curve_write_pair(const char *dir, const char *name,
                     char public_key[41], char *err, size_t errlen);

/* True when ROLE is app, staff, admin, service or unit:<id>. */
int curve_role_valid(const char *role);

#endif
