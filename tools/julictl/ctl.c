/*  ctl: options, endpoints and one request at a time. See ctl.h.
 *
 *  1. Every request carries an id, queries too: replies on a DEALER are
 *     not promised in order, and a reply that comes after its request
 *     timed out must not be taken for the answer to the next one.
 *  2. The config is read on first need, so `julictl CMD --help` works
 *     with a broken config file, and read at most once.
 *  3. One client per daemon, connected on first need and kept for the
 *     run: a command that goes back and forth between daemons (simulate,
 *     report) does not reconnect each time.
 *  4. ctl_send and ctl_recv are ctl_call's two halves, for a command that
 *     keeps many requests in flight on that connection (import).
 */
#include "ctl.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "curve.h"
#include "json.h"
#include "period.h"
#include "show.h"

/* Global options: values past any command's own (which start at 256). */
enum { O_JSON = 1000, O_TIMEOUT, O_API, O_EVENTS };

static const struct option s_global[] = {
    {"config", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, O_JSON},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"api", required_argument, NULL, O_API},
    {"events", required_argument, NULL, O_EVENTS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char *const s_daemons[] = {"intake", "dispatch", "scoring",
                                        NULL};

void ctl_init(ctl_t *ctl)
{
    memset(ctl, 0, sizeof *ctl);
    ctl->timeout_ms = CTL_TIMEOUT_DEFAULT;
    pack_init(&ctl->frame);
}

void ctl_fini(ctl_t *ctl)
{
    for (size_t i = 0; i < 3; i++)
        client_destroy(&ctl->clients[i]);
    ctl->client = NULL;
    config_destroy(&ctl->config);
    pack_free(&ctl->frame);
}

const struct option *ctl_global_options(void)
{
    return s_global;
}

/* DAEMON's place in s_daemons (and in ctl->clients, ctl->apis), or -1. */
static int s_daemon_index(const char *daemon)
{
    for (int k = 0; s_daemons[k]; k++)
        if (strcmp(s_daemons[k], daemon) == 0)
            return k;
    return -1;
}

/* Takes --api ARG: NAME=ENDPOINT when ARG starts with a daemon's name
 * and '=', else a bare ENDPOINT. */
static void s_api_option(ctl_t *ctl, const char *arg)
{
    for (size_t k = 0; s_daemons[k]; k++) {
        size_t len = strlen(s_daemons[k]);
        if (strncmp(arg, s_daemons[k], len) == 0 && arg[len] == '=') {
            ctl->apis[k] = arg + len + 1;
            return;
        }
    }
    ctl->api = arg;
}

int ctl_global_option(ctl_t *ctl, int c, const char *arg)
{
    uint64_t ms;
    switch (c) {
    case 'c': ctl->config_path = arg; return 0;
    case O_JSON: ctl->json = 1; return 0;
    case O_API: s_api_option(ctl, arg); return 0;
    case O_EVENTS: ctl->events = arg; return 0;
    case O_TIMEOUT:
        if (ctl_uint(ctl, "--timeout", arg, 1, 3600 * 1000, &ms) < 0)
            return -1;
        ctl->timeout_ms = (int)ms;
        return 0;
    default: return 1;
    }
}

/* -- the command line ------------------------------------------------------ */

/* The name used in messages: "julictl" or "julictl CMD". */
static void s_prog(const ctl_t *ctl, char *out, size_t size)
{
    snprintf(out, size, "julictl%s%s", ctl->cmd ? " " : "",
             ctl->cmd ? ctl->cmd->name : "");
}

int ctl_usage(ctl_t *ctl, const char *fmt, ...)
{
    char prog[64];
    s_prog(ctl, prog, sizeof prog);
    fprintf(stderr, "%s: ", prog);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see '%s --help')\n", prog);
    return CTL_EXIT_USAGE;
}

int ctl_getopt(ctl_t *ctl, int argc, char **argv, const struct option *opts)
{
    /* The command's options, then the global ones. Rebuilt on each call:
     * cheap, and it keeps no state besides getopt's own. */
    size_t n = 0, cap = sizeof ctl->longopts / sizeof ctl->longopts[0];
    for (size_t i = 0; opts[i].name && n + 1 < cap; i++)
        ctl->longopts[n++] = opts[i];
    for (size_t i = 0; s_global[i].name && n + 1 < cap; i++)
        ctl->longopts[n++] = s_global[i];
    memset(&ctl->longopts[n], 0, sizeof ctl->longopts[n]);

    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":c:h", ctl->longopts, NULL);
        const char *arg = argv[optind - 1 > 0 ? optind - 1 : 0];
        switch (c) {
        case -1: return CTL_OPT_END;
        case 'h':
            printf("%s", ctl->cmd->help);
            return CTL_OPT_HELP;
        case '?':
            if (optopt && optopt < 256)
                ctl_usage(ctl, "unknown option '-%c'", optopt);
            else
                ctl_usage(ctl, "unknown option '%s'", arg);
            return CTL_OPT_BAD;
        case ':':
            ctl_usage(ctl, "option '%s' needs a value", arg);
            return CTL_OPT_BAD;
        default:
            switch (ctl_global_option(ctl, c, optarg)) {
            case 0: continue;
            case 1: return c;
            default: return CTL_OPT_BAD;
            }
        }
    }
}

int ctl_uint(ctl_t *ctl, const char *what, const char *s, uint64_t min,
             uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v < min || v > max) {
        ctl_usage(ctl, "%s: '%s' is not a number in %" PRIu64 "..%" PRIu64,
                  what, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int ctl_opt_exit(int c)
{
    return c == CTL_OPT_HELP ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

int ctl_opts_body(ctl_t *ctl, int argc, char **argv,
                  const struct option *opts, body_t *body)
{
    int c;
    while ((c = ctl_getopt(ctl, argc, argv, opts)) >= 0) {
        const struct option *o = opts;
        while (o->name && o->val != c)
            o++;
        uint64_t limit;
        if (!o->name)
            return CTL_EXIT_USAGE; /* not in OPTS: cannot happen */
        if (strcmp(o->name, "limit") != 0)
            body_str(body, o->name, optarg);
        else if (ctl_uint(ctl, "--limit", optarg, 1, 1000, &limit) < 0)
            return CTL_EXIT_USAGE;
        else
            body_uint(body, "limit", limit);
    }
    return c == CTL_OPT_END ? c : ctl_opt_exit(c);
}

int ctl_word(ctl_t *ctl, int argc, char **argv, const char *word, int min,
             int max, const char *what)
{
    if (optind >= argc || strcmp(argv[optind], word) != 0)
        return ctl_usage(ctl, "expected '%s'", word);
    optind++;
    return ctl_positionals(ctl, argc, argv, min, max, what);
}

int ctl_id_only(ctl_t *ctl, int argc, char **argv, const char **id)
{
    enum { O_ONLY_ID = 1 };
    static const struct option opts[] = {
        {"id", required_argument, NULL, O_ONLY_ID},
        {NULL, 0, NULL, 0},
    };
    *id = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, opts)) != CTL_OPT_END;) {
        if (c != O_ONLY_ID)
            return ctl_opt_exit(c);
        *id = optarg;
    }
    return CTL_OPT_END;
}

int ctl_positionals(ctl_t *ctl, int argc, char **argv, int min, int max,
                    const char *what)
{
    int n = argc - optind;
    if (n < min)
        return ctl_usage(ctl, "missing %s", what);
    if (n > max)
        return ctl_usage(ctl, "unexpected argument '%s'",
                         argv[optind + max]);
    return 0;
}

const char *ctl_daemon_arg(ctl_t *ctl, int argc, char **argv, int *i)
{
    if (*i >= argc)
        return s_daemons[0];
    for (size_t k = 0; s_daemons[k]; k++)
        if (strcmp(argv[*i], s_daemons[k]) == 0) {
            (*i)++;
            return s_daemons[k];
        }
    ctl_usage(ctl, "'%s' is not intake, dispatch or scoring", argv[*i]);
    return NULL;
}

/* -- endpoints and ids ----------------------------------------------------- */

/* Reads the config once: -c FILE, else $JULI_CONFIG, else the built-in
 * defaults. Returns 0, or an exit code after saying why. */
static int s_config(ctl_t *ctl)
{
    if (ctl->config)
        return 0;
    if (!(ctl->config = config_new())) {
        fprintf(stderr, "julictl: out of memory\n");
        return CTL_EXIT_FAILED;
    }
    const char *path = ctl->config_path;
    const char *env = getenv("JULI_CONFIG");
    if (!path && env && *env)
        path = env;
    char err[512];
    if (path && config_load(ctl->config, path, err, sizeof err) < 0) {
        fprintf(stderr, "julictl: %s\n", err);
        return CTL_EXIT_USAGE;
    }
    /* Times are shown in the community's zone, as the daemons count. */
    if (period_set_zone(ctl->config->timezone) < 0)
        fprintf(stderr, "julictl: unknown zone %s: local times shown\n",
                ctl->config->timezone);
    return 0;
}

int ctl_config(ctl_t *ctl, const config_t **out)
{
    int rc = s_config(ctl);
    *out = ctl->config;
    return rc;
}

int ctl_clock(ctl_t *ctl, int64_t *start)
{
    int rc = s_config(ctl);
    const config_t *cfg = ctl->config;
    *start = 0;
    if (rc || !cfg->clock_start[0])
        return rc;
    /* As common/daemon.c does, in the zone s_config has set. */
    if (period_date(cfg->clock_start, strlen(cfg->clock_start), start) <
        0) {
        fprintf(stderr, "julictl: [clock] start: not a date: %s\n",
                cfg->clock_start);
        return CTL_EXIT_USAGE;
    }
    clock_simulate(*start, cfg->clock_epoch, cfg->clock_speed);
    return 0;
}

int ctl_curve(ctl_t *ctl, const char *daemon, const bus_curve_t **out)
{
    *out = NULL;
    int rc = s_config(ctl);
    if (rc || !ctl->config->curve)
        return rc;
    char path[600], err[700];
    snprintf(path, sizeof path, "%s/%s.pub", ctl->config->keys, daemon);
    if (curve_read_pair(ctl->config->client_key, ctl->curve_keys[0],
                        ctl->curve_keys[1], err, sizeof err) < 0 ||
        curve_read_public(path, ctl->curve_keys[2], err, sizeof err) < 0) {
        fprintf(stderr, "julictl: CURVE: %s\n", err);
        return CTL_EXIT_USAGE;
    }
    ctl->curve = (bus_curve_t){.public_key = ctl->curve_keys[0],
                               .secret_key = ctl->curve_keys[1],
                               .server_key = ctl->curve_keys[2]};
    *out = &ctl->curve;
    return 0;
}

int ctl_daemon_config(ctl_t *ctl, const char *daemon,
                      const config_daemon_t **out)
{
    int rc = s_config(ctl);
    if (rc)
        return rc;
    if (!(*out = config_daemon(ctl->config, daemon))) {
        fprintf(stderr, "julictl: no daemon called %s\n", daemon);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

int ctl_endpoints(ctl_t *ctl, const char *daemon, const char **api,
                  const char **events)
{
    const config_daemon_t *d;
    int rc = ctl_daemon_config(ctl, daemon, &d);
    if (rc)
        return rc;
    if (api) {
        int k = s_daemon_index(daemon);
        if (k >= 0 && ctl->apis[k])
            *api = ctl->apis[k];
        else if (!ctl->api)
            *api = d->api;
        else if (ctl->several ||
                 (ctl->api_daemon[0] && strcmp(ctl->api_daemon, daemon)))
            return ctl_usage(ctl,
                             "--api %s stands for one daemon, and this "
                             "command talks to several: give --api "
                             "NAME=ENDPOINT for each one the config does "
                             "not place",
                             ctl->api);
        else {
            snprintf(ctl->api_daemon, sizeof ctl->api_daemon, "%s", daemon);
            *api = ctl->api;
        }
    }
    if (events)
        *events = ctl->events ? ctl->events : d->events;
    return 0;
}

/* Writes "ctl-" and 16 random hex digits to OUT. Returns 0 or -1. */
static int s_random_id(char out[CTL_ID_SIZE])
{
    unsigned char bytes[8];
    size_t got = 0;
    while (got < sizeof bytes) {
        ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    int off = snprintf(out, CTL_ID_SIZE, "ctl-");
    for (size_t i = 0; i < sizeof bytes; i++)
        off += snprintf(out + off, CTL_ID_SIZE - (size_t)off, "%02x",
                        bytes[i]);
    return 0;
}

int ctl_id(ctl_t *ctl, const char *given, char id[CTL_ID_SIZE])
{
    if (given) {
        size_t len = strlen(given);
        if (len == 0 || len >= CTL_ID_SIZE)
            return ctl_usage(ctl, "--id must be 1 to %d bytes",
                             CTL_ID_SIZE - 1);
        memcpy(id, given, len + 1);
        return 0;
    }
    if (s_random_id(id) < 0) {
        fprintf(stderr, "julictl: getrandom: %s\n", strerror(errno));
        return CTL_EXIT_FAILED;
    }
    return 0;
}

/* -- requests -------------------------------------------------------------- */

/* True when the reply R answers the request whose id is ID: it carries
 * that id, or none (a daemon that could not read the id of a request says
 * so without one). */
static int s_ours(const msgpack_object *r, const char *id)
{
    const msgpack_object *v = show_get(r, "id");
    if (!v || v->type != MSGPACK_OBJECT_STR)
        return 1;
    return v->via.str.size == strlen(id) &&
           memcmp(v->via.str.ptr, id, v->via.str.size) == 0;
}

/* Makes ctl->client DAEMON's, connecting it on first need. Returns 0 or
 * an exit code. */
static int s_connect(ctl_t *ctl, const char *daemon)
{
    if (ctl->client && strcmp(ctl->daemon, daemon) == 0)
        return 0;
    int k = s_daemon_index(daemon);
    if (k < 0) {
        fprintf(stderr, "julictl: no daemon called %s\n", daemon);
        return CTL_EXIT_USAGE;
    }
    const char *api;
    int rc = ctl_endpoints(ctl, daemon, &api, NULL);
    if (rc)
        return rc;
    snprintf(ctl->daemon, sizeof ctl->daemon, "%s", daemon);
    snprintf(ctl->endpoint, sizeof ctl->endpoint, "%s", api);
    if ((ctl->client = ctl->clients[k]))
        return 0;
    const bus_curve_t *curve;
    if ((rc = ctl_curve(ctl, daemon, &curve)))
        return rc;
    char err[512];
    ctl->client = ctl->clients[k] =
        client_new_curve(api, ctl->timeout_ms, curve, err, sizeof err);
    if (!ctl->client) { /* nearly always an endpoint that does not parse */
        fprintf(stderr, "julictl: %s\n", err);
        return CTL_EXIT_USAGE;
    }
    return 0;
}

/* Says why the ok:false reply R failed: "julictl: <error>: <detail>" on
 * stderr, and R on stdout with --json; nothing when CTL is quiet. */
static int s_refused(ctl_t *ctl, const msgpack_object *r)
{
    if (ctl->quiet)
        return CTL_EXIT_FAILED;
    if (ctl->json)
        ctl_print_json(r);
    char error[64], detail[1024];
    if (!show_str(r, "error", error, sizeof error))
        snprintf(error, sizeof error, "failed");
    if (!show_str(r, "detail", detail, sizeof detail))
        snprintf(detail, sizeof detail, "no detail");
    /* The detail may quote what the user sent: keep it one clean line. */
    fprintf(stderr, "julictl: %s: ", error);
    show_put(stderr, detail, strlen(detail));
    fputc('\n', stderr);
    return CTL_EXIT_FAILED;
}

int ctl_send(ctl_t *ctl, const char *daemon, const char *type,
             const char *id, const body_t *body)
{
    int rc = s_connect(ctl, daemon);
    if (rc)
        return rc;
    pack_t *p = &ctl->frame;
    pack_reset(p);
    pack_map(p, 3);
    pack_kstr(p, "type", type);
    pack_kstr(p, "id", id);
    pack_str(p, "body");
    if (body)
        body_pack(body, p);
    else
        pack_map(p, 0);
    if (client_send(ctl->client, pack_data(p), pack_size(p)) < 0) {
        if (!ctl->quiet)
            fprintf(stderr, "julictl: cannot send to %s: %s\n",
                    ctl->endpoint, strerror(errno));
        return CTL_EXIT_NO_REPLY;
    }
    return 0;
}

int ctl_recv(ctl_t *ctl, msgpack_object *reply)
{
    char err[512];
    if (client_recv(ctl->client, reply, err, sizeof err) == 0)
        return 0;
    int timeout = errno == EAGAIN;
    if (!ctl->quiet && timeout)
        fprintf(stderr, "julictl: no reply from %s in %d ms\n",
                ctl->endpoint, ctl->timeout_ms);
    else if (!ctl->quiet)
        fprintf(stderr, "julictl: bad reply from %s: %s\n", ctl->endpoint,
                err);
    return timeout ? CTL_EXIT_NO_REPLY : CTL_EXIT_FAILED;
}

int ctl_ok(const msgpack_object *reply)
{
    const msgpack_object *ok = show_get(reply, "ok");
    return ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean;
}

int ctl_call(ctl_t *ctl, const char *daemon, const char *type,
             const char *id, const body_t *body, msgpack_object *reply)
{
    char fresh[CTL_ID_SIZE];
    int rc;
    if (!id) {
        if ((rc = ctl_id(ctl, NULL, fresh)))
            return rc;
        id = fresh;
    }
    if ((rc = ctl_send(ctl, daemon, type, id, body)))
        return rc;
    do { /* skipping late replies to earlier requests */
        if ((rc = ctl_recv(ctl, reply)))
            return rc;
    } while (!s_ours(reply, id));
    return ctl_ok(reply) ? CTL_EXIT_OK : s_refused(ctl, reply);
}

int ctl_write(ctl_t *ctl, const char *daemon, const char *type,
              const char *given, const body_t *body, char id[CTL_ID_SIZE],
              msgpack_object *reply)
{
    int rc = ctl_id(ctl, given, id);
    return rc ? rc : ctl_call(ctl, daemon, type, id, body, reply);
}

int ctl_events(ctl_t *ctl, const char *daemon, uint64_t *after,
               int (*each)(const msgpack_object *event, void *arg),
               void *arg)
{
    for (;;) {
        body_t body;
        body_init(&body);
        body_uint(&body, "after", *after);
        body_uint(&body, "limit", 1000);
        msgpack_object reply;
        int rc = ctl_call(ctl, daemon, "events.since", NULL, &body, &reply);
        body_free(&body);
        if (rc)
            return rc;
        const msgpack_object *page = show_get(&reply, "events");
        if (!page || page->type != MSGPACK_OBJECT_ARRAY) {
            if (!ctl->quiet)
                fprintf(stderr, "julictl: bad reply from %s: no events\n",
                        ctl->endpoint);
            return CTL_EXIT_FAILED;
        }
        uint64_t before = *after;
        uint32_t n = page->via.array.size;
        const msgpack_object *e = page->via.array.ptr;
        for (uint32_t i = 0; i < n; i++) {
            uint64_t seq = show_uint(&e[i], "seq", 0);
            if (seq <= *after)
                continue;
            *after = seq;
            if (each(&e[i], arg))
                return 0;
        }
        /* A page with nothing new ends it too: the daemon has no more. */
        if (*after == before || *after >= show_uint(&reply, "last_seq", 0))
            return 0;
    }
}

int ctl_query(ctl_t *ctl, const char *daemon, const char *type,
              const body_t *body, void (*print)(const msgpack_object *reply))
{
    msgpack_object reply;
    int rc = ctl_call(ctl, daemon, type, NULL, body, &reply);
    if (rc)
        return rc;
    if (ctl->json)
        return ctl_print_json(&reply);
    print(&reply);
    return CTL_EXIT_OK;
}

int ctl_query_arg(ctl_t *ctl, int argc, char **argv, const char *daemon,
                  const char *type, const char *key,
                  void (*print)(const msgpack_object *reply))
{
    static const struct option none[] = {CTL_ARGS_END};
    return ctl_query_opts(ctl, argc, argv, none, daemon, type, key, print);
}

int ctl_query_opts(ctl_t *ctl, int argc, char **argv,
                   const struct option *opts, const char *daemon,
                   const char *type, const char *key,
                   void (*print)(const msgpack_object *reply))
{
    char what[16] = "";
    for (size_t i = 0; key && key[i] && i + 1 < sizeof what; i++) {
        what[i] = (char)toupper((unsigned char)key[i]);
        what[i + 1] = '\0';
    }
    body_t body;
    body_init(&body);
    int rc = ctl_opts_body(ctl, argc, argv, opts, &body);
    if (rc == CTL_OPT_END &&
        !(rc = ctl_positionals(ctl, argc, argv, !!key, !!key, what))) {
        body_str(&body, key, key ? argv[optind] : NULL);
        rc = ctl_query(ctl, daemon, type, &body, print);
    }
    body_free(&body);
    return rc;
}

int ctl_done(ctl_t *ctl, const msgpack_object *reply, const char *key,
             const char *id)
{
    if (ctl->json)
        return ctl_print_json(reply);
    char what[72], status[32];
    if (!show_str(reply, key, what, sizeof what))
        snprintf(what, sizeof what, "?");
    if (!show_str(reply, "status", status, sizeof status))
        snprintf(status, sizeof status, "done");
    printf("%s %s (id %s)\n", what, status, id);
    return CTL_EXIT_OK;
}

/* -- progress -------------------------------------------------------------- */

void ctl_progress(ctl_t *ctl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctl->progress, sizeof ctl->progress, fmt, ap);
    va_end(ap);
    if (isatty(STDERR_FILENO)) /* "\033[K": the rest of an older line */
        fprintf(stderr, "\r%s\033[K", ctl->progress);
}

void ctl_progress_done(ctl_t *ctl)
{
    if (!ctl->progress[0])
        return;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r%s\033[K\n", ctl->progress);
    else
        fprintf(stderr, "%s\n", ctl->progress);
    ctl->progress[0] = '\0';
}

/* -- small things ---------------------------------------------------------- */

int ctl_signals(sigset_t *old)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigprocmask(SIG_BLOCK, &mask, old);
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        fprintf(stderr, "julictl: signalfd: %s\n", strerror(errno));
    return fd;
}

int ctl_signalled(int fd)
{
    struct signalfd_siginfo si;
    return read(fd, &si, sizeof si) == sizeof si;
}

void *ctl_grow(void *items, size_t n, size_t *cap, size_t size)
{
    void **p = items;
    if (n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *grown = realloc(*p, c * size);
        if (!grown)
            return NULL;
        *p = grown;
        *cap = c;
    }
    void *it = (char *)*p + n * size;
    memset(it, 0, size);
    return it;
}

uint64_t ctl_fnv(const void *s, size_t len)
{
    const unsigned char *p = s;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

uint64_t ctl_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ctl_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

int ctl_print_json(const msgpack_object *reply)
{
    json_print(stdout, reply);
    putchar('\n');
    return fflush(stdout) == 0 && !ferror(stdout) ? CTL_EXIT_OK
                                                  : CTL_EXIT_FAILED;
}
