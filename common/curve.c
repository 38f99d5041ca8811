/*  curve: keys, the clients file and the ZAP handler. See curve.h.
 *
 *  The ZAP handler is a REP socket on inproc://zeromq.zap.01 in the same
 *  ZeroMQ context as the daemon's servers, run by the daemon's own loop:
 *
 *    request  [version "1.0", request id, domain, address, routing id,
 *              mechanism "CURVE", client public key (32 bytes)]
 *    reply    [version "1.0", request id, "200" | "400", status text,
 *              user id (the role), metadata ""]
 *
 *  Anything but a CURVE request in the juli domain from a listed key gets
 *  400, and ZeroMQ drops the connection at the handshake.
 */
#include "curve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define CURVE_MAX_CLIENTS 4096

typedef struct {
    char key[41];  /* Z85 public key */
    char role[72];
} s_client_t;

struct curve {
    bus_socket_t *zap;
    char dir[512];
    char public_key[41], secret_key[41];
    bus_curve_t server, client;
    char upstream_key[41];
    s_client_t *clients;
    size_t nclients;
};

int curve_role_valid(const char *role)
{
    static const char *const roles[] = {"app", "staff", "admin", "service"};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(role, roles[i]) == 0)
            return 1;
    if (strncmp(role, "unit:", 5) != 0 || !role[5] || strlen(role) > 69)
        return 0;
    for (const char *p = role + 5; *p; p++)
        if (*p == ' ' || *p == '\t')
            return 0;
    return 1;
}

static int s_key_ok(const char *k)
{
    if (strlen(k) != 40)
        return 0;
    unsigned char bin[32];
    return zmq_z85_decode(bin, k) != NULL;
}

/* Reads up to two whitespace-trimmed lines of PATH. */
static int s_read_lines(const char *path, char lines[2][41], int want,
                        char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char buf[128];
    int n = 0;
    while (n < want && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, " \t\r\n")] = '\0';
        /* '#' is a Z85 digit too: a comment is a '#' line that is no key. */
        if (!buf[0] || (buf[0] == '#' && !s_key_ok(buf)))
            continue;
        /* Exactly 40 characters: a longer token is no key, not one cut. */
        if (!s_key_ok(buf)) {
            fclose(f);
            snprintf(err, errlen, "%s: not a Z85 CURVE key", path);
            return -1;
        }
        memcpy(lines[n++], buf, 41);
    }
    fclose(f);
    if (n < want) {
        snprintf(err, errlen, "%s: %s", path,
                 want == 2 ? "needs a public and a secret key"
                           : "needs a public key");
        return -1;
    }
    return 0;
}

int curve_read_pair(const char *path, char public_key[41],
                    char secret_key[41], char *err, size_t errlen)
{
    char lines[2][41];
    if (s_read_lines(path, lines, 2, err, errlen) < 0)
        return -1;
    memcpy(public_key, lines[0], 41);
    memcpy(secret_key, lines[1], 41);
    return 0;
}

int curve_read_public(const char *path, char public_key[41], char *err,
                      size_t errlen)
{
    char lines[2][41];
    if (s_read_lines(path, lines, 1, err, errlen) < 0)
        return -1;
    memcpy(public_key, lines[0], 41);
    return 0;
}

int curve_write_pair(const char *dir, const char *name, char public_key[41],
                     char *err, size_t errlen)
{
    char secret[41], path[600];
    if (bus_curve_keypair(public_key, secret) < 0) {
        snprintf(err, errlen, "cannot make a CURVE key pair");
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char text[128];
    int len = snprintf(text, sizeof text, "%s\n%s\n", public_key, secret);
    int ok = write(fd, text, (size_t)len) == len;
    close(fd);
    snprintf(path, sizeof path, "%s/%s.pub", dir, name);
    FILE *f = fopen(path, "wx");
    if (!ok || !f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    fprintf(f, "%s\n", public_key);
    fclose(f);
    return 0;
}

/* Reads DIR/clients into SELF. */
static int s_load_clients(curve_t *self, char *err, size_t errlen)
{
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/clients", self->dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    self->clients = calloc(CURVE_MAX_CLIENTS, sizeof *self->clients);
    int n = 0;
    while (self->clients && fgets(line, sizeof line, f)) {
        n++;
        char key[64] = "", role[128] = "";
        if (sscanf(line, " %63s %127s", key, role) < 1 ||
            (key[0] == '#' && !s_key_ok(key)))
            continue; /* blank, or a comment ('#' is a Z85 digit too) */
        if (!s_key_ok(key) || !curve_role_valid(role) ||
            self->nclients == CURVE_MAX_CLIENTS) {
            snprintf(err, errlen,
                     "%s:%d: want a Z85 public key and a role (app, staff, "
                     "admin, service, unit:<id>)",
                     path, n);
            fclose(f);
            return -1;
        }
        s_client_t *c = &self->clients[self->nclients++];
        memcpy(c->key, key, 41);
        snprintf(c->role, sizeof c->role, "%.70s", role);
    }
    fclose(f);
    if (!self->clients) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static const char *s_role_of(const curve_t *self, const char *key)
{
    for (size_t i = 0; i < self->nclients; i++)
        if (memcmp(self->clients[i].key, key, 40) == 0)
            return self->clients[i].role;
    return NULL;
}

/* One ZAP request: answer it at once (REP). */
static void s_on_zap(bus_socket_t *s, zmq_msg_t *parts, size_t n,
                     int truncated, void *arg)
{
    curve_t *self = arg;
    const char *role = NULL;
    char key[41] = "";
    if (!truncated && n >= 7 && zmq_msg_size(&parts[6]) == 32 &&
        zmq_msg_size(&parts[2]) == strlen(CURVE_DOMAIN) &&
        memcmp(zmq_msg_data(&parts[2]), CURVE_DOMAIN,
               strlen(CURVE_DOMAIN)) == 0 &&
        zmq_msg_size(&parts[5]) == 5 &&
        memcmp(zmq_msg_data(&parts[5]), "CURVE", 5) == 0) {
        bus_curve_z85(zmq_msg_data(&parts[6]), key);
        role = s_role_of(self, key);
    }
    if (!role)
        log_warn("curve: refused a client%s%s", key[0] ? " with key " : "",
                 key);
    bus_frame_t reply[6] = {
        {"1.0", 3},
        {n > 1 ? zmq_msg_data(&parts[1]) : "", n > 1 ? zmq_msg_size(&parts[1])
                                                     : 0},
        {role ? "200" : "400", 3},
        {role ? "OK" : "unknown key", role ? 2 : 11},
        {role ? role : "", role ? strlen(role) : 0},
        {"", 0},
    };
    bus_send(s, reply, 6);
}

curve_t *curve_new(bus_t *bus, const char *dir, const char *name, char *err,
                   size_t errlen)
{
    curve_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    char path[600];
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    if (curve_read_pair(path, self->public_key, self->secret_key, err,
                        errlen) < 0 ||
        s_load_clients(self, err, errlen) < 0)
        goto fail;
    self->zap = bus_bind(bus, ZMQ_REP, "inproc://zeromq.zap.01", -1, NULL,
                         err, errlen);
    if (!self->zap || bus_start(self->zap, s_on_zap, NULL, self) < 0)
        goto fail;
    self->server = (bus_curve_t){.server = 1,
                                 .public_key = self->public_key,
                                 .secret_key = self->secret_key,
                                 .zap_domain = CURVE_DOMAIN};
    log_info("curve: on, %zu clients known", self->nclients);
    return self;
fail:
    curve_destroy(&self);
    return NULL;
}

void curve_destroy(curve_t **self_p)
{
    curve_t *self = *self_p;
    if (!self)
        return;
    bus_close(self->zap);
    free(self->clients);
    free(self);
    *self_p = NULL;
}

const bus_curve_t *curve_server(curve_t *self)
{
    return &self->server;
}

const bus_curve_t *curve_client(curve_t *self, const char *upstream,
                                char *err, size_t errlen)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.pub", self->dir, upstream);
    if (curve_read_public(path, self->upstream_key, err, errlen) < 0)
        return NULL;
    self->client = (bus_curve_t){.public_key = self->public_key,
                                 .secret_key = self->secret_key,
                                 .server_key = self->upstream_key};
    return &self->client;
}
