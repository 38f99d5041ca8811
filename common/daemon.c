/*  daemon: command line, start, run, stop. See daemon.h.
 *
 *  Start-up order, and teardown in reverse:
 *
 *    1. command line, config, zone    (nothing to undo)
 *    2. store                         store_close
 *    3. loop, bus, metrics, ZAP       bus_destroy, metrics_destroy,
 *                                     curve_destroy
 *    4. service context               spec->stop
 *    5. api (ROUTER + PUB bound)      api_destroy
 *    6. signals (SIGHUP reloads the rules), checkpoint timer, READY=1
 */
#include "daemon.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "curve.h"
#include "log.h"
#include "notify.h"
#include "period.h"

#define CHECKPOINT_MS 1000

struct daemon {
    const daemon_spec_t *spec;
    config_t *config;
    config_daemon_t *self_cfg;
    uv_loop_t loop;
    store_t *store;
    bus_t *bus;
    curve_t *curve; /* NULL without CURVE */
    metrics_t *metrics;
    void *ctx;
    api_t *api;
    notify_t *notify;
    char config_path[1024]; /* "" when running on built-in settings */
    uv_signal_t sigterm, sigint, sighup;
    uv_timer_t checkpoint;
};

uv_loop_t *daemon_loop(daemon_t *d)
{
    return &d->loop;
}
config_t *daemon_config(daemon_t *d)
{
    return d->config;
}
store_t *daemon_store(daemon_t *d)
{
    return d->store;
}
bus_t *daemon_bus(daemon_t *d)
{
    return d->bus;
}
metrics_t *daemon_metrics(daemon_t *d)
{
    return d->metrics;
}
api_t *daemon_api(daemon_t *d)
{
    return d->api;
}

void daemon_publish_committed(void *daemon)
{
    daemon_t *d = daemon;
    if (d && d->api)
        api_publish_committed(d->api);
}

int daemon_upstream_curve(daemon_t *d, const char *upstream,
                          const bus_curve_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!d->curve)
        return 0;
    *out = curve_client(d->curve, upstream, err, errlen);
    return *out ? 0 : -1;
}

static void s_usage(const daemon_spec_t *spec, FILE *out)
{
    fprintf(out,
            "Usage: juli-%s [OPTION]...\n"
            "%s\n\n"
            "  -c, --config FILE     the stack's INI file (default: built-in\n"
            "                        settings, or $CONFIGURATION_DIRECTORY/"
            "juli.ini)\n"
            "      --api ENDPOINT    ZeroMQ endpoint of the api (ROUTER)\n"
            "      --events ENDPOINT ZeroMQ endpoint of the events (PUB)\n"
            "      --metrics HOST:PORT  /metrics over HTTP, or 'off'\n"
            "      --db FILE         the SQLite store\n"
            "      --log-level LEVEL error, warn, info or debug\n"
            "  -h, --help            this help\n"
            "  -V, --version         the version\n\n"
            "Flags override the file's [%s] section. SIGTERM or SIGINT stop\n"
            "the daemon cleanly; SIGHUP reloads the rules (categories,\n"
            "deadlines, points, stars) from the file. The protocol is in\n"
            "docs/protocol.md.\n",
            spec->name, spec->summary, spec->name);
}

/* Reads the command line into D's config. Returns -1 to exit 0 (help,
 * version), -2 to exit 2 (usage error, said on stderr), 0 to go on. */
static int s_args(daemon_t *d, int argc, char **argv)
{
    enum { O_API = 256, O_EVENTS, O_METRICS, O_DB, O_LOG };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"api", required_argument, NULL, O_API},
        {"events", required_argument, NULL, O_EVENTS},
        {"metrics", required_argument, NULL, O_METRICS},
        {"db", required_argument, NULL, O_DB},
        {"log-level", required_argument, NULL, O_LOG},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *api = NULL, *events = NULL, *metrics = NULL,
               *db = NULL, *level = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': file = optarg; break;
        case O_API: api = optarg; break;
        case O_EVENTS: events = optarg; break;
        case O_METRICS: metrics = optarg; break;
        case O_DB: db = optarg; break;
        case O_LOG: level = optarg; break;
        case 'h': s_usage(d->spec, stdout); return -1;
        case 'V': printf("juli-%s %s\n", d->spec->name, JULI_VERSION);
            return -1;
        default:
            fprintf(stderr, "Try 'juli-%s --help'.\n", d->spec->name);
            return -2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "juli-%s: unexpected argument '%s'\n",
                d->spec->name, argv[optind]);
        return -2;
    }
    char path[1024], confdir[512], err[512];
    if (!file && config_env_dir("CONFIGURATION_DIRECTORY", confdir,
                                sizeof confdir)) {
        snprintf(path, sizeof path, "%s/juli.ini", confdir);
        file = path;
    }
    if (file && config_load(d->config, file, err, sizeof err) < 0) {
        fprintf(stderr, "juli-%s: %s\n", d->spec->name, err);
        return -2;
    }
    if (file)
        snprintf(d->config_path, sizeof d->config_path, "%s", file);
    config_daemon_t *me = d->self_cfg;
    struct {
        const char *val;
        char *dst;
        size_t size;
    } flags[] = {{api, me->api, sizeof me->api},
                 {events, me->events, sizeof me->events},
                 {metrics, me->metrics, sizeof me->metrics},
                 {db, me->db, sizeof me->db}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].val)
            snprintf(flags[i].dst, flags[i].size, "%s", flags[i].val);
    if (level && log_level_parse(level, &me->log_level) < 0) {
        fprintf(stderr, "juli-%s: --log-level: not a level: %s\n",
                d->spec->name, level);
        return -2;
    }
    return 0;
}

static void s_on_signal(uv_signal_t *h, int signum)
{
    daemon_t *d = h->data;
    /* Signals run between turns: the last turn is committed and answered.
     * Closing the api stops new work; the loop ends once every handle is
     * closed. */
    log_info("signal %d: stopping", signum);
    notify_stopping(d->notify);
    api_destroy(&d->api);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    /* Closing a signal handle restores the default action: a second
     * Ctrl-C or SIGTERM must not kill a daemon that is already stopping. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    uv_close((uv_handle_t *)&d->checkpoint, NULL);
    notify_destroy(&d->notify);
    if (d->ctx) {
        d->spec->stop(d->ctx);
        d->ctx = NULL;
    }
    curve_destroy(&d->curve);
    metrics_destroy(&d->metrics);
}

/* SIGHUP: read the config file again and take its domain rules
 * (categories, deadlines, points, stars). A file that does not load is
 * refused with a log line and the running rules stay. Endpoints and stores
 * change only with a restart. */
static void s_on_reload(uv_signal_t *h, int signum)
{
    daemon_t *d = h->data;
    (void)signum;
    if (!d->config_path[0]) {
        log_warn("SIGHUP: no config file to reload (built-in settings)");
        return;
    }
    config_t *fresh = config_new();
    char err[512];
    if (!fresh || config_load(fresh, d->config_path, err, sizeof err) < 0) {
        log_error("reload refused, the running rules stay: %s",
                  fresh ? err : "out of memory");
        config_destroy(&fresh);
        return;
    }
    config_take_rules(d->config, fresh);
    log_info("reloaded the rules of %s: %zu categories", d->config_path,
             d->config->ncategories);
    config_destroy(&fresh);
}

/* Every tick: the store skips it when nothing was written. Timers run
 * between turns, so no transaction is open. */
static void s_on_checkpoint(uv_timer_t *t)
{
    daemon_t *d = t->data;
    store_checkpoint(d->store);
}

static int s_start(daemon_t *d, char *err, size_t errlen)
{
    const config_daemon_t *me = d->self_cfg;
    /* Periods are the community's, before anything reads local time. */
    if (period_set_zone(d->config->timezone) < 0) {
        snprintf(err, errlen, "[community] timezone: unknown zone: %s",
                 d->config->timezone);
        return -1;
    }
    const config_t *cfg = d->config;
    if (cfg->clock_start[0]) {
        int64_t start;
        if (period_date(cfg->clock_start, strlen(cfg->clock_start),
                        &start) < 0) {
            snprintf(err, errlen, "[clock] start: not a date: %s",
                     cfg->clock_start);
            return -1;
        }
        clock_simulate(start, cfg->clock_epoch, cfg->clock_speed);
        log_warn("simulated clock: %s, %g times real time",
                 cfg->clock_start, cfg->clock_speed);
    }
    store_opts_t so = {.path = me->db,
                       .source = d->spec->name,
                       .synchronous_full = me->synchronous_full,
                       .migrations = d->spec->migrations};
    if (!(d->store = store_open(&so, err, errlen)))
        return -1;
    if (uv_loop_init(&d->loop) < 0 || !(d->bus = bus_new(&d->loop)) ||
        !(d->metrics = metrics_new(&d->loop))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (strcmp(me->metrics, "off") != 0 &&
        metrics_listen(d->metrics, me->metrics, err, errlen) < 0)
        return -1;
    /* The ZAP handler binds before any CURVE server does. */
    if (cfg->curve &&
        !(d->curve = curve_new(d->bus, cfg->keys, d->spec->name, err,
                               errlen)))
        return -1;
    if (!(d->ctx = d->spec->start(d, err, errlen)))
        return -1;
    api_opts_t ao = {.service = d->spec->name,
                     .version = JULI_VERSION,
                     .api_endpoint = me->api,
                     .events_endpoint = me->events,
                     .curve = d->curve ? curve_server(d->curve) : NULL,
                     .limits = d->config->limits,
                     .routes = d->spec->routes,
                     .ctx = d->ctx};
    if (!(d->api = api_new(&d->loop, d->bus, d->store, d->metrics, &ao, err,
                           errlen)) ||
        api_start(d->api) < 0)
        return -1;
    if (!(d->notify = notify_new(&d->loop))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sighup);
    d->sigterm.data = d->sigint.data = d->sighup.data = d;
    uv_signal_start(&d->sigterm, s_on_signal, SIGTERM);
    uv_signal_start(&d->sigint, s_on_signal, SIGINT);
    uv_signal_start(&d->sighup, s_on_reload, SIGHUP);
    uv_timer_init(&d->loop, &d->checkpoint);
    d->checkpoint.data = d;
    uv_timer_start(&d->checkpoint, s_on_checkpoint, CHECKPOINT_MS,
                   CHECKPOINT_MS);
    return 0;
}

/* Undoes whatever s_start did, in reverse, when it failed half-way. */
static void s_unwind(daemon_t *d)
{
    api_destroy(&d->api);
    if (d->ctx)
        d->spec->stop(d->ctx);
    curve_destroy(&d->curve);
    metrics_destroy(&d->metrics);
    if (d->bus) {
        uv_run(&d->loop, UV_RUN_NOWAIT); /* close callbacks */
        bus_destroy(&d->bus);
        uv_loop_close(&d->loop);
    }
    store_close(&d->store);
}

int daemon_main(int argc, char **argv, const daemon_spec_t *spec)
{
    daemon_t d = {.spec = spec};
    signal(SIGPIPE, SIG_IGN);
    if (!(d.config = config_new())) {
        fprintf(stderr, "juli-%s: out of memory\n", spec->name);
        return 1;
    }
    d.self_cfg = config_daemon(d.config, spec->name);
    int rc = s_args(&d, argc, argv);
    if (rc < 0) {
        config_destroy(&d.config);
        return rc == -1 ? 0 : 2;
    }
    log_setup(spec->name, d.self_cfg->log_level);

    char err[512];
    if (s_start(&d, err, sizeof err) < 0) {
        fprintf(stderr, "juli-%s: %s\n", spec->name, err);
        s_unwind(&d);
        config_destroy(&d.config);
        return 1;
    }
    char status[768];
    snprintf(status, sizeof status, "api %s, events %s, metrics %s",
             d.self_cfg->api, d.self_cfg->events, d.self_cfg->metrics);
    log_info("ready: %s, store %s", status, d.self_cfg->db);
    notify_ready(d.notify, status);

    uv_run(&d.loop, UV_RUN_DEFAULT);

    bus_destroy(&d.bus);
    rc = uv_loop_close(&d.loop) == 0 ? 0 : 1;
    if (rc)
        log_error("loop closed with handles still open");
    store_close(&d.store);
    config_destroy(&d.config);
    log_info("stopped");
    return rc;
}
