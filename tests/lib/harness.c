/*  harness: daemons as processes, JSON requests, replies by path. See
 *  harness.h. */
#include "harness.h"
#include "json.h"
#include "port.h"
#include "curve.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H_RUN_TIMEOUT_MS 10000 /* h_run's bound on a child */

/* CLOCK_MONOTONIC in milliseconds. */
static int64_t s_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const char *s_bin_dir(void)
{
    const char *b = getenv("JULI_BIN");
    return b && *b ? b : "bin";
}

int h_free_port(void)
{
    int port = port_free();
    if (port < 0)
        fail_msg("no free port");
    return port;
}

void h_stack_init(h_stack_t *s)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/juli-test-XXXXXX");
    if (!mkdtemp(s->dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    h_daemon_t *all[] = {&s->intake, &s->dispatch, &s->scoring};
    const char *names[] = {"intake", "dispatch", "scoring"};
    for (int i = 0; i < 3; i++) {
        all[i]->name = names[i];
        all[i]->stack = s;
        snprintf(all[i]->api, sizeof all[i]->api, "tcp://127.0.0.1:%d",
                 h_free_port());
        snprintf(all[i]->events, sizeof all[i]->events,
                 "tcp://127.0.0.1:%d", h_free_port());
    }
}

void h_stack_write_config(h_stack_t *s)
{
    char path[320];
    snprintf(path, sizeof path, "%s/juli.ini", s->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    h_daemon_t *all[] = {&s->intake, &s->dispatch, &s->scoring};
    for (int i = 0; i < 3; i++)
        fprintf(f, "[%s]\napi = %s\nevents = %s\ndb = %s/%s.db\n"
                   "metrics = off\n\n",
                all[i]->name, all[i]->api, all[i]->events, s->dir,
                all[i]->name);
    if (s->curve)
        fprintf(f, "[security]\ncurve = on\nkeys = %s/keys\n\n", s->dir);
    fprintf(f, "%s\n", s->extra_config);
    fclose(f);
}

void h_stack_curve(h_stack_t *s)
{
    static const char *const keys[][2] = {
        {"intake", "service"}, {"dispatch", "service"},
        {"scoring", "service"}, {"admin", "admin"},
        {"staff", "staff"},     {"app", "app"},
        {"u1", "unit:U1"},      {"u2", "unit:U2"},
        {"stranger", NULL},
    };
    char dir[300], path[320], err[256], pub[41];
    snprintf(dir, sizeof dir, "%s/keys", s->dir);
    if (mkdir(dir, 0700) < 0)
        fail_msg("%s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/clients", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# test clients\n");
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (curve_write_pair(dir, keys[i][0], pub, err, sizeof err) < 0)
            fail_msg("keygen: %s", err);
        if (keys[i][1])
            fprintf(f, "%s %s %s\n", pub, keys[i][1], keys[i][0]);
    }
    fclose(f);
    s->curve = 1;
}

client_t *h_client(h_daemon_t *d, const char *key, int timeout_ms)
{
    char err[256], path[320], server[41], pub[41], sec[41];
    if (!key)
        return client_new(d->api, timeout_ms, err, sizeof err);
    snprintf(path, sizeof path, "%s/keys/%s.key", d->stack->dir, key);
    if (curve_read_pair(path, pub, sec, err, sizeof err) < 0)
        fail_msg("%s", err);
    snprintf(path, sizeof path, "%s/keys/%s.pub", d->stack->dir, d->name);
    if (curve_read_public(path, server, err, sizeof err) < 0)
        fail_msg("%s", err);
    bus_curve_t c = {.public_key = pub, .secret_key = sec,
                     .server_key = server};
    client_t *cl = client_new_curve(d->api, timeout_ms, &c, err, sizeof err);
    if (!cl)
        fail_msg("%s", err);
    return cl;
}

static void s_dump_log(const h_daemon_t *d)
{
    char path[320], line[512];
    snprintf(path, sizeof path, "%s/%s.log", d->stack->dir, d->name);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        fprintf(stderr, "  %s| %s", d->name, line);
    if (f)
        fclose(f);
}

void h_daemon_start(h_daemon_t *d)
{
    char bin[256], conf[320], log[320];
    snprintf(bin, sizeof bin, "%s/juli-%s", s_bin_dir(), d->name);
    snprintf(conf, sizeof conf, "%s/juli.ini", d->stack->dir);
    snprintf(log, sizeof log, "%s/%s.log", d->stack->dir, d->name);
    h_stack_write_config(d->stack);
    d->pid = fork();
    if (d->pid == 0) {
        /* The daemon dies with the test, whatever the test's fate. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(bin, bin, "-c", conf, (char *)NULL);
        _exit(127);
    }
    char err[256];
    for (int i = 0; i < 200; i++) {
        int status;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            s_dump_log(d);
            d->pid = 0;
            fail_msg("juli-%s exited at start (status %d)", d->name,
                     status);
        }
        client_t *c = h_client(d, d->stack->curve ? "admin" : NULL, 100);
        pack_t p;
        pack_init(&p);
        h_json(&p, "{\"type\":\"health\"}");
        msgpack_object reply;
        int rc = client_call(c, pack_data(&p), pack_size(&p), &reply, err,
                             sizeof err);
        pack_free(&p);
        client_destroy(&c);
        if (rc == 0) {
            d->client =
                h_client(d, d->stack->curve ? "admin" : NULL, 10000);
            return;
        }
    }
    s_dump_log(d);
    fail_msg("juli-%s did not answer health in 20 s", d->name);
}

int h_daemon_signal(h_daemon_t *d, int sig)
{
    client_destroy(&d->client);
    int status = 0;
    if (d->pid > 0) {
        kill(d->pid, sig);
        waitpid(d->pid, &status, 0);
        d->pid = 0;
    }
    return status;
}

void h_stack_cleanup(h_stack_t *s)
{
    h_daemon_t *all[] = {&s->intake, &s->dispatch, &s->scoring};
    for (int i = 0; i < 3; i++) {
        if (all[i]->pid <= 0)
            continue;
        int status = h_daemon_signal(all[i], SIGTERM);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            s_dump_log(all[i]);
            fail_msg("juli-%s did not exit 0 on SIGTERM (status %d)",
                     all[i]->name, status);
        }
    }
    h_rmtree(s->dir);
}

void h_wait_str(h_daemon_t *d, const char *request, const char *path,
                const char *want)
{
    const char *got = "";
    for (int i = 0; i < 200; i++) {
        got = h_str(h_call(d->client, "%s", request), path);
        if (strcmp(got, want) == 0)
            return;
        usleep(50000);
    }
    fail_msg("%s of %s: waited for '%s', still '%s'", path, request, want,
             got);
}

/* Reads what FD carries into OUT (LEN bytes, NUL-terminated; the rest is
 * read and dropped) until its writers close it or DEADLINE (CLOCK_MONOTONIC
 * ms) passes. Returns 0, or -1 at the deadline. */
static int s_read_until(int fd, char *out, size_t len, int64_t deadline)
{
    size_t got = 0;
    for (;;) {
        int64_t left = deadline - s_now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int rc = poll(&p, 1, (int)left);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            fail_msg("poll: %s", strerror(errno));
        if (rc == 0)
            break;
        char scratch[512];
        char *to = got < len - 1 ? out + got : scratch;
        size_t room = got < len - 1 ? len - 1 - got : sizeof scratch;
        ssize_t n = read(fd, to, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            out[got] = '\0';
            return 0;
        }
        if (to != scratch)
            got += (size_t)n;
    }
    out[got] = '\0';
    return -1;
}

int h_run(const char *name, const char *const *argv, char *err,
          size_t errlen)
{
    char bin[256];
    snprintf(bin, sizeof bin, "%s/juli-%s", s_bin_dir(), name);
    int fds[2];
    if (pipe(fds) < 0)
        fail_msg("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        const char *args[32] = {bin};
        for (int i = 0; argv[i] && i < 30; i++)
            args[i + 1] = argv[i];
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    close(fds[1]);
    int64_t deadline = s_now_ms() + H_RUN_TIMEOUT_MS;
    int rc = s_read_until(fds[0], err, errlen, deadline);
    close(fds[0]);
    int status = 0;
    /* The pipe may close before the child exits: it still has the time
     * left to do so. */
    while (rc == 0) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0)
            fail_msg("waitpid juli-%s: %s", name, strerror(errno));
        if (s_now_ms() >= deadline)
            rc = -1;
        else
            usleep(10000);
    }
    if (rc < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("juli-%s did not exit within %d s; it wrote: %s", name,
                 H_RUN_TIMEOUT_MS / 1000, err);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int64_t h_csv_rows(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s: %s", path, strerror(errno));
    char line[4096];
    int64_t n = -1; /* the header */
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fclose(f);
            fail_msg("%s: a line longer than %zu bytes", path,
                     sizeof line - 2);
        }
        n += line[0] != '\n' && strcmp(line, "\r\n") != 0;
    }
    fclose(f);
    return n;
}

void h_json(pack_t *p, const char *json)
{
    char err[160];
    if (json_pack(p, json, err, sizeof err) < 0)
        fail_msg("json: %s", err);
}

/* The request FMT formats, for a message if it goes wrong (free it). */
static char *s_request_text(const char *fmt, va_list ap)
{
    char *text;
    if (vasprintf(&text, fmt, ap) < 0)
        fail_msg("out of memory");
    return text;
}

/* Sends TEXT and returns the reply (static: valid until the next call). */
static const msgpack_object *s_call(client_t *c, const char *text)
{
    static msgpack_object reply;
    pack_t p;
    pack_init(&p);
    h_json(&p, text);
    char err[256];
    int rc = client_call(c, pack_data(&p), pack_size(&p), &reply, err,
                         sizeof err);
    pack_free(&p);
    if (rc < 0)
        fail_msg("no reply to %.200s: %s", text, err);
    return &reply;
}

const msgpack_object *h_call(client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = s_request_text(fmt, ap);
    va_end(ap);
    const msgpack_object *r = s_call(c, text);
    free(text);
    return r;
}

const msgpack_object *h_call_found(client_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = s_request_text(fmt, ap);
    va_end(ap);
    int64_t deadline = s_now_ms() + 10000;
    for (;;) {
        const msgpack_object *r = s_call(c, text);
        if (h_ok(r) || strcmp(h_str(r, "error"), "not_found") != 0) {
            free(text);
            return r;
        }
        if (s_now_ms() >= deadline) {
            char why[256];
            snprintf(why, sizeof why, "%s", h_str(r, "detail"));
            fail_msg("still not_found after 10 s (%s): %.200s", why, text);
        }
        usleep(20000);
    }
}

/* -- reading replies -------------------------------------------------------- */

const msgpack_object *h_get(const msgpack_object *o, const char *path)
{
    while (o && *path) {
        if (*path == '[') {
            unsigned long i = strtoul(path + 1, (char **)&path, 10);
            path += *path == ']';
            if (o->type != MSGPACK_OBJECT_ARRAY || i >= o->via.array.size)
                return NULL;
            o = &o->via.array.ptr[i];
        } else {
            size_t len = strcspn(path, ".[");
            const msgpack_object *next = NULL;
            if (o->type != MSGPACK_OBJECT_MAP)
                return NULL;
            for (uint32_t i = 0; i < o->via.map.size; i++) {
                const msgpack_object *k = &o->via.map.ptr[i].key;
                if (k->type == MSGPACK_OBJECT_STR &&
                    k->via.str.size == len &&
                    memcmp(k->via.str.ptr, path, len) == 0)
                    next = &o->via.map.ptr[i].val;
            }
            o = next;
            path += len;
        }
        if (*path == '.')
            path++;
    }
    return o;
}

const char *h_str(const msgpack_object *o, const char *path)
{
    static char slots[8][4096];
    static int next;
    char *out = slots[next++ % 8];
    const msgpack_object *v = h_get(o, path);
    if (!v)
        snprintf(out, 4096, "(none)");
    else if (v->type == MSGPACK_OBJECT_STR)
        snprintf(out, 4096, "%.*s", (int)v->via.str.size, v->via.str.ptr);
    else if (v->type == MSGPACK_OBJECT_NIL)
        snprintf(out, 4096, "(nil)");
    else if (v->type == MSGPACK_OBJECT_BOOLEAN)
        snprintf(out, 4096, "%s", v->via.boolean ? "true" : "false");
    else if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(out, 4096, "%llu", (unsigned long long)v->via.u64);
    else
        snprintf(out, 4096, "(type %d)", (int)v->type);
    return out;
}

int64_t h_int(const msgpack_object *o, const char *path)
{
    const msgpack_object *v = h_get(o, path);
    if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t)v->via.u64;
    if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return v->via.i64;
    fail_msg("%s: not an integer", path);
    return 0;
}

int h_ok(const msgpack_object *reply)
{
    const msgpack_object *ok = h_get(reply, "ok");
    return ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
}

void h_expect_ok(const msgpack_object *reply)
{
    if (!h_ok(reply))
        fail_msg("expected ok, got %s: %s", h_str(reply, "error"),
                 h_str(reply, "detail"));
}

void h_expect_error(const msgpack_object *reply, const char *code,
                    const char *detail)
{
    if (h_ok(reply))
        fail_msg("expected %s, got ok", code);
    const char *got = h_str(reply, "error");
    const char *why = h_str(reply, "detail");
    if (strcmp(got, code) != 0)
        fail_msg("expected %s, got %s: %s", code, got, why);
    if (detail && !strstr(why, detail))
        fail_msg("expected detail with '%s', got '%s'", detail, why);
}

/* -- temporary directories ------------------------------------------------ */

int h_tempdir(char *dir, size_t len, const char *what)
{
    int n = snprintf(dir, len, "/tmp/juli-test-%s-XXXXXX", what);
    if (n < 0 || (size_t)n >= len)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

static int s_remove_one(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int h_rmtree(const char *dir)
{
    if (nftw(dir, s_remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0 &&
        errno != ENOENT) {
        fprintf(stderr, "cannot remove %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* -- a grid tree through intake ------------------------------------------ */

void h_define_nodes(client_t *c, const char *id_prefix,
                    const h_node_t *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char parent[64] = "";
        if (nodes[i].parent)
            snprintf(parent, sizeof parent, ",\"parent\":\"%s\"",
                     nodes[i].parent);
        h_expect_ok(h_call(c,
                           "{\"type\":\"grid.define\",\"id\":\"%s%s\","
                           "\"body\":{\"code\":\"%s\",\"name\":\"%s\","
                           "\"kind\":\"%s\"%s}}",
                           id_prefix, nodes[i].code, nodes[i].code,
                           nodes[i].name, nodes[i].kind, parent));
    }
}

void h_staff_assign(h_stack_t *s, const char *id, const char *node,
                    const char *role, const char *person, const char *name)
{
    for (int i = 0; i < 200; i++) {
        const msgpack_object *r = h_call(
            s->dispatch.client,
            "{\"type\":\"staff.assign\",\"id\":\"%s\",\"body\":{"
            "\"node\":\"%s\",\"role\":\"%s\",\"person\":{\"id\":\"%s\","
            "\"name\":\"%s\"}}}",
            id, node, role, person, name);
        if (h_ok(r))
            return;
        h_expect_error(r, "not_found", NULL);
        usleep(50000);
    }
    fail_msg("dispatch never heard of node %s", node);
}

/* -- decoding what a test packed ------------------------------------------ */

h_decode_t *h_decode_new(const frame_limits_t *lim)
{
    h_decode_t *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    frame_limits_t def = frame_limits_default();
    pack_init(&d->p);
    d->dec = frame_decoder_new(lim ? lim : &def);
    if (!d->dec)
        h_decode_destroy(&d);
    return d;
}

void h_decode_destroy(h_decode_t **self_p)
{
    if (!*self_p)
        return;
    h_decode_t *d = *self_p;
    frame_decoder_destroy(&d->dec);
    pack_free(&d->p);
    free(d);
    *self_p = NULL;
}

field_map_t *h_decode_buf(h_decode_t *d, const char *buf, size_t len)
{
    char err[160];
    if (frame_decode(d->dec, buf, len, &d->obj, err, sizeof err) != 0)
        fail_msg("frame refused: %s", err);
    field_root(&d->root, &d->obj, d->err, sizeof d->err);
    return &d->root;
}

field_map_t *h_decode(h_decode_t *d)
{
    return h_decode_buf(d, pack_data(&d->p), pack_size(&d->p));
}
