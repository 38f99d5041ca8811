/*  harness: what the end-to-end tests share. Real daemons as child
 *  processes on free ports with a temporary state dir, a blocking client,
 *  requests written as JSON text, and reads of a reply by path.
 *
 *  Everything here aborts the test (cmocka's fail_msg) on a broken
 *  environment, so tests read as the protocol exchange they check.
 */
#ifndef JULI_HARNESS_H
#define JULI_HARNESS_H

#include <msgpack.h>
#include <stdint.h>
#include <sys/types.h>

#include "client.h"
#include "field.h"
#include "frame.h"
#include "pack.h"

typedef struct h_stack h_stack_t;

typedef struct {
    const char *name; /* "intake" */
    char api[64], events[64];
    pid_t pid; /* 0 when not running */
    client_t *client;
    h_stack_t *stack;
} h_daemon_t;

/* The three daemons of one stack: one state dir, one juli.ini naming free
 * ports for all three, so each follows the others of its own stack. */
struct h_stack {
    char dir[256];
    int curve;               /* CURVE on, keys in DIR/keys (h_stack_curve) */
    char extra_config[4096]; /* appended to the generated juli.ini */
    h_daemon_t intake, dispatch, scoring;
};

/* A fresh state dir and free ports; nothing started. */
void h_stack_init(h_stack_t *s);

/* Turns CURVE on for the stack: key pairs in DIR/keys for the three
 * daemons (role service) and for clients admin, staff, app, u1 (unit:U1),
 * u2 (unit:U2), and stranger (in no clients file). Daemons started after
 * this use CURVE, and their default clients the admin key. */
void h_stack_curve(h_stack_t *s);

/* A client of D presenting the key pair KEY (DIR/keys/KEY.key), or none
 * when KEY is NULL. TIMEOUT_MS bounds each wait. */
client_t *h_client(h_daemon_t *d, const char *key, int timeout_ms);

/* Writes the stack's juli.ini (its three sections and extra_config). */
void h_stack_write_config(h_stack_t *s);

/* Writes the stack's juli.ini and starts the daemon; waits until it
 * answers health. */
void h_daemon_start(h_daemon_t *d);

/* Sends SIG and waits for the process; returns its waitpid status. */
int h_daemon_signal(h_daemon_t *d, int sig);

/* Stops every running daemon with SIGTERM (asserting exit 0) and removes
 * the state dir. */
void h_stack_cleanup(h_stack_t *s);

/* Polls PATH of the reply to REQUEST (JSON) on D until it equals WANT, for
 * at most 10 s; fails the test with the last value otherwise. */
void h_wait_str(h_daemon_t *d, const char *request, const char *path,
                const char *want);

/* Runs the daemon's binary with ARGV (NULL-terminated, without argv[0]),
 * capturing stdout and stderr into ERR; returns its exit code (128 + the
 * signal when killed). A child still running after 10 s is killed and
 * fails the test with what it wrote. */
int h_run(const char *name, const char *const *argv, char *err,
          size_t errlen);

/* The data rows of the CSV file at PATH: its non-empty lines after the
 * header (a row per line; no quoted line breaks). Fails the test when the
 * file cannot be read. */
int64_t h_csv_rows(const char *path);

/* A free TCP port on 127.0.0.1 (port.h says which). */
int h_free_port(void);

/* Encodes JSON text (objects, arrays, strings, integers, floats, true,
 * false, null) as MessagePack into P. Aborts on bad JSON. */
void h_json(pack_t *p, const char *json);

/* Sends the request written as JSON (printf-style) and returns the reply,
 * valid until the next call on C. */
const msgpack_object *h_call(client_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* h_call, repeated while the reply is not_found (a daemon that has not yet
 * heard of what it is asked about from the one it follows), for at most
 * 10 s; returns the first other reply, ok or not, valid as h_call's. Fails
 * the test when not_found lasts. */
const msgpack_object *h_call_found(client_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The object at PATH ("request.timeline[0].status") in O, or NULL. */
const msgpack_object *h_get(const msgpack_object *o, const char *path);

/* PATH's value as a NUL-terminated string (a static buffer per call slot,
 * 8 slots in rotation), or "(none)". */
const char *h_str(const msgpack_object *o, const char *path);

/* PATH's value as an integer; aborts when absent or not an integer. */
int64_t h_int(const msgpack_object *o, const char *path);

/* True when the reply is ok:true. */
int h_ok(const msgpack_object *reply);

/* Asserts the reply is an error with CODE, and that its detail contains
 * DETAIL (when not NULL). */
void h_expect_error(const msgpack_object *reply, const char *code,
                    const char *detail);

/* Asserts ok:true, printing the reply when not. */
void h_expect_ok(const msgpack_object *reply);

/* -- temporary directories ------------------------------------------------ */

/* Makes a fresh directory /tmp/juli-test-WHAT-XXXXXX and writes its path
 * into DIR (LEN bytes, the caller's); returns 0, or -1 when it cannot.
 * The caller removes it with h_rmtree. */
int h_tempdir(char *dir, size_t len, const char *what);

/* Removes DIR and everything below it; returns 0, or -1 (and says so on
 * stderr) when something stayed. */
int h_rmtree(const char *dir);

/* -- a grid tree through intake ------------------------------------------ */

/* One node: its code, name, kind, and its parent's code (NULL for a
 * root). The strings are the caller's. */
typedef struct {
    const char *code, *name, *kind, *parent;
} h_node_t;

/* Defines the N NODES on C, in order, with grid.define requests whose ids
 * are ID_PREFIX followed by the code; asserts each is accepted. */
void h_define_nodes(client_t *c, const char *id_prefix,
                    const h_node_t *nodes, size_t n);

/* Assigns PERSON (id, NAME) to ROLE at NODE through the stack's dispatch
 * with request id ID, retrying for at most 10 s while dispatch answers
 * not_found (it has not yet heard of the node from intake); fails the test
 * on any other answer. */
void h_staff_assign(h_stack_t *s, const char *id, const char *node,
                    const char *role, const char *person, const char *name);

/* -- decoding what a test packed ------------------------------------------ */

/* A pack buffer and a frame decoder, the way a daemon sees a frame: a test
 * packs a map into P, decodes it, and reads it through ROOT, whose
 * details land in ERR. The decoded OBJ lives in the decoder until the next
 * decode. */
typedef struct {
    pack_t p;
    frame_decoder_t *dec;
    msgpack_object obj;
    char err[200];
    field_map_t root;
} h_decode_t;

/* A new fixture decoding under LIM (frame_limits_default when NULL), or
 * NULL when out of memory. The caller owns it: h_decode_destroy. */
h_decode_t *h_decode_new(const frame_limits_t *lim);

/* Frees the fixture, if any, and nulls the caller's pointer. */
void h_decode_destroy(h_decode_t **self_p);

/* Decodes BUF[0..LEN) (a map; the caller's bytes) and makes D's root view
 * over it; fails the test when the frame is refused. */
field_map_t *h_decode_buf(h_decode_t *d, const char *buf, size_t len);

/* Decodes what D's pack buffer holds, as h_decode_buf. */
field_map_t *h_decode(h_decode_t *d);

#endif
