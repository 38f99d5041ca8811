/*  metrics: a Prometheus registry, served by libmicrohttpd on a libuv loop.
 *  See metrics.h.
 *
 *  Invariants:
 *  1. Families form a list in registration order; each owns its name, its
 *     HELP (unescaped) and its series, also listed in creation order.
 *  2. A series belongs to one family and owns a copy of its labels, "" when
 *     the caller passed NULL, so (name, labels) names at most one series.
 *  3. A histogram series keeps nbounds + 1 bucket counts, not cumulative, the
 *     last for +Inf; render adds them up, so +Inf always equals _count.
 *  4. daemon != NULL exactly when poll and timer are initialised. Destroy
 *     closes both; the registry is freed by whichever close callback runs
 *     last (closing counts those still due).
 *
 *  MHD runs in epoll mode without a thread: its epoll fd is readable when
 *  any of its sockets is, and MHD_get_timeout says when MHD_run must run
 *  anyway (0 ms when MHD still holds work its edge-triggered sockets will
 *  not announce again), so the timer is re-armed after every MHD_run.
 */
#include "metrics.h"

#include "log.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

static const char *const s_type_names[] = {"counter", "gauge", "histogram"};

struct family;

struct metric {
    struct metric *next;
    struct family *family; /* not owned: the family owns this series */
    char *labels;          /* owned; "" for none */
    double value;          /* counter and gauge */
    double *bounds;        /* histogram: owned, nbounds upper bounds */
    uint64_t *counts;      /* histogram: owned, nbounds + 1, last is +Inf */
    size_t nbounds;
    double sum;
    uint64_t count;
};

struct family {
    struct family *next;
    char *name; /* owned */
    char *help; /* owned, unescaped */
    enum metric_type type;
    metric_t *series, **series_tail;
};

struct metrics {
    uv_loop_t *loop; /* not owned */
    struct family *families, **families_tail;
    void (*collect)(void *arg);
    void *collect_arg;
    struct MHD_Daemon *daemon; /* owned; NULL when not listening */
    uv_poll_t poll;            /* on MHD's epoll fd */
    uv_timer_t timer;          /* MHD's deadlines */
    int closing;               /* close callbacks still due */
};

/* -- registry ------------------------------------------------------------ */

#ifndef NDEBUG /* for an assertion only */
static int s_valid_name(const char *s)
{
    for (const char *p = s; *p; p++) {
        int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    *p == '_' || *p == ':';
        if (!alpha && (p == s || *p < '0' || *p > '9'))
            return 0;
    }
    return *s != '\0';
}
#endif

static void s_metric_free(metric_t *m)
{
    free(m->labels);
    free(m->bounds);
    free(m->counts);
    free(m);
}

static void s_family_free(struct family *f)
{
    while (f->series) {
        metric_t *next = f->series->next;
        s_metric_free(f->series);
        f->series = next;
    }
    free(f->name);
    free(f->help);
    free(f);
}

static void s_free(metrics_t *self)
{
    while (self->families) {
        struct family *next = self->families->next;
        s_family_free(self->families);
        self->families = next;
    }
    free(self);
}

/* Returns a new series of F, not yet linked, or NULL when out of memory. */
static metric_t *s_metric_new(struct family *f, const char *labels,
                              const double *bounds, size_t nbounds)
{
    metric_t *m = calloc(1, sizeof *m);
    if (!m || !(m->labels = strdup(labels)))
        goto err;
    m->family = f;
    if (f->type == METRIC_HISTOGRAM) {
        for (size_t i = 0; i < nbounds; i++)
            assert(isfinite(bounds[i]) &&
                   (i == 0 || bounds[i - 1] < bounds[i]));
        m->nbounds = nbounds;
        m->counts = calloc(nbounds + 1, sizeof *m->counts);
        if (!m->counts)
            goto err;
        if (nbounds && !(m->bounds = malloc(nbounds * sizeof *bounds)))
            goto err;
        if (nbounds)
            memcpy(m->bounds, bounds, nbounds * sizeof *bounds);
    }
    return m;
err:
    if (m)
        s_metric_free(m);
    return NULL;
}

/* Finds or creates the series (NAME, LABELS) of TYPE. Returns it (owned by
 * the registry), or NULL when out of memory. */
static metric_t *s_series(metrics_t *self, enum metric_type type,
                          const char *name, const char *help,
                          const char *labels, const double *bounds,
                          size_t nbounds)
{
    assert(self && name && help && s_valid_name(name));
    assert(type != METRIC_HISTOGRAM || bounds || nbounds == 0);
    if (!labels)
        labels = "";
    struct family *f = self->families;
    while (f && strcmp(f->name, name) != 0)
        f = f->next;
    if (f) {
        assert(f->type == type && "metric name registered with another type");
        for (metric_t *m = f->series; m; m = m->next)
            if (strcmp(m->labels, labels) == 0) {
                assert(m->nbounds == nbounds &&
                       (!nbounds ||
                        !memcmp(m->bounds, bounds, nbounds * sizeof *bounds)));
                return m;
            }
    }
    struct family *created = NULL;
    if (!f) {
        created = f = calloc(1, sizeof *f);
        if (!f || !(f->name = strdup(name)) || !(f->help = strdup(help)))
            goto err;
        f->type = type;
        f->series_tail = &f->series;
    }
    metric_t *m = s_metric_new(f, labels, bounds, nbounds);
    if (!m)
        goto err;
    *f->series_tail = m;
    f->series_tail = &m->next;
    if (created) {
        *self->families_tail = created;
        self->families_tail = &created->next;
    }
    return m;
err:
    if (created)
        s_family_free(created);
    return NULL;
}

metrics_t *metrics_new(uv_loop_t *loop)
{
    assert(loop);
    metrics_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->loop = loop;
    self->families_tail = &self->families;
    metric_t *start = metrics_gauge(
        self, "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.", NULL);
    if (!start) {
        s_free(self);
        return NULL;
    }
    metric_set(start, (double)time(NULL));
    return self;
}

metric_t *metrics_counter(metrics_t *self, const char *name, const char *help,
                          const char *labels)
{
    return s_series(self, METRIC_COUNTER, name, help, labels, NULL, 0);
}

metric_t *metrics_gauge(metrics_t *self, const char *name, const char *help,
                        const char *labels)
{
    return s_series(self, METRIC_GAUGE, name, help, labels, NULL, 0);
}

metric_t *metrics_histogram(metrics_t *self, const char *name, const char *help,
                            const char *labels, const double *bounds,
                            size_t nbounds)
{
    return s_series(self, METRIC_HISTOGRAM, name, help, labels, bounds,
                    nbounds);
}

void metric_add(metric_t *m, double v)
{
    assert(m && m->family->type != METRIC_HISTOGRAM);
    assert(m->family->type == METRIC_GAUGE || v >= 0);
    m->value += v;
}

void metric_set(metric_t *m, double v)
{
    assert(m && m->family->type == METRIC_GAUGE);
    m->value = v;
}

void metric_observe(metric_t *m, double v)
{
    assert(m && m->family->type == METRIC_HISTOGRAM);
    size_t i = 0;
    while (i < m->nbounds && !(v <= m->bounds[i]))
        i++; /* NaN and values above every bound land in +Inf */
    m->counts[i]++;
    m->sum += v;
    m->count++;
}

double metric_value(const metric_t *m)
{
    assert(m && m->family->type != METRIC_HISTOGRAM);
    return m->value;
}

void metrics_on_collect(metrics_t *self, void (*cb)(void *arg), void *arg)
{
    assert(self);
    self->collect = cb;
    self->collect_arg = arg;
}

/* -- text format --------------------------------------------------------- */

/* Formats V into BUF (32 bytes) the short way: integers without a point,
 * otherwise 15 significant digits unless V needs 17 to read back. */
static const char *s_number(char *buf, double v)
{
    if (isnan(v))
        return "NaN";
    if (isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    snprintf(buf, 32, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, 32, "%.17g", v);
    return buf;
}

/* Writes one sample: NAME SUFFIX, braces only when there is a label (LE is
 * NULL outside histogram buckets), the value and a newline. */
static void s_put_sample(FILE *out, const char *name, const char *suffix,
                         const char *labels, const char *le, double v)
{
    char buf[32];
    fprintf(out, "%s%s", name, suffix);
    if (*labels || le) {
        fprintf(out, "{%s", labels);
        if (le)
            fprintf(out, "%sle=\"%s\"", *labels ? "," : "", le);
        fputc('}', out);
    }
    fprintf(out, " %s\n", s_number(buf, v));
}

static void s_put_family(FILE *out, const struct family *f)
{
    fprintf(out, "# HELP %s ", f->name);
    for (const char *p = f->help; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", out);
        else if (*p == '\n')
            fputs("\\n", out);
        else
            fputc(*p, out);
    }
    fprintf(out, "\n# TYPE %s %s\n", f->name, s_type_names[f->type]);
    for (const metric_t *m = f->series; m; m = m->next) {
        if (f->type != METRIC_HISTOGRAM) {
            s_put_sample(out, f->name, "", m->labels, NULL, m->value);
            continue;
        }
        uint64_t total = 0;
        char le[32];
        for (size_t i = 0; i <= m->nbounds; i++) {
            total += m->counts[i];
            s_put_sample(out, f->name, "_bucket", m->labels,
                         i < m->nbounds ? s_number(le, m->bounds[i]) : "+Inf",
                         (double)total);
        }
        s_put_sample(out, f->name, "_sum", m->labels, NULL, m->sum);
        s_put_sample(out, f->name, "_count", m->labels, NULL, (double)m->count);
    }
}

char *metrics_render(metrics_t *self, size_t *len)
{
    assert(self && len);
    if (self->collect)
        self->collect(self->collect_arg);
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (!out)
        return NULL;
    for (const struct family *f = self->families; f; f = f->next)
        s_put_family(out, f);
    int failed = ferror(out);
    if (fclose(out) != 0 || failed) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* -- HTTP ---------------------------------------------------------------- */

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    log_warn("metrics: %s", line);
}

static enum MHD_Result s_reply_text(struct MHD_Connection *conn,
                                    unsigned int status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* MHD's access handler, called on the loop thread from MHD_run, first when
 * the headers are in, then per piece of body, then once more at the end.
 * Errors are answered at once (MHD then closes the connection rather than
 * read a body); a scrape waits for the last call, because MHD 0.9.75 drops
 * keep-alive on a response queued from the first. */
static enum MHD_Result s_answer(void *cls, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    metrics_t *self = cls;
    (void)version, (void)upload_data;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "method not allowed\n");
    if (strcmp(url, "/metrics") != 0)
        return s_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
    if (!*con_cls) {
        *con_cls = self; /* a mark only: nothing to free per request */
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* a GET with a body: ignore it */
        return MHD_YES;
    }
    size_t len;
    char *body = metrics_render(self, &len);
    if (!body)
        return s_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "out of memory\n");
    /* MUST_FREE: the response owns BODY from here, unless creation fails. */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

static void s_on_timer(uv_timer_t *timer);

/* Lets MHD do what is ready, then arms the timer for its next deadline. */
static void s_run(metrics_t *self)
{
    if (MHD_run(self->daemon) != MHD_YES)
        log_warn("metrics: MHD_run failed");
    MHD_UNSIGNED_LONG_LONG ms;
    if (MHD_get_timeout(self->daemon, &ms) == MHD_YES)
        uv_timer_start(&self->timer, s_on_timer, ms, 0);
    else
        uv_timer_stop(&self->timer);
}

static void s_on_timer(uv_timer_t *timer)
{
    s_run(timer->data);
}

static void s_on_poll(uv_poll_t *poll, int status, int events)
{
    (void)events;
    if (status < 0)
        log_warn("metrics: poll: %s", uv_strerror(status));
    s_run(poll->data);
}

/* Parses "a.b.c.d:port" or "localhost:port". Returns 0, or -1. */
static int s_parse_hostport(const char *s, struct sockaddr_in *sa)
{
    const char *colon = strrchr(s, ':');
    char host[INET_ADDRSTRLEN];
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    const char *p = colon + 1;
    long port = 0;
    do {
        if (*p < '0' || *p > '9')
            return -1;
        port = port * 10 + (*p - '0');
    } while (*++p && port <= 65535);
    if (*p || port > 65535)
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* MHD does not say why it could not start: bind a socket the way it does
 * (SO_REUSEADDR) to find out. Returns a string that is not to be freed. */
static const char *s_bind_reason(const struct sockaddr_in *sa)
{
    const char *reason = "cannot start the HTTP daemon";
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return strerror(errno);
    int on = 1, err = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0)
        err = errno;
    close(fd);
    return err ? strerror(err) : reason;
}

int metrics_listen(metrics_t *self, const char *hostport, char *err,
                   size_t errlen)
{
    assert(self && hostport && !self->daemon);
    struct sockaddr_in sa;
    if (s_parse_hostport(hostport, &sa) != 0) {
        snprintf(err, errlen, "metrics: bad address \"%s\" (want ipv4:port)",
                 hostport);
        return -1;
    }
    self->daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, ntohs(sa.sin_port), NULL, NULL,
        s_answer, self, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
        MHD_OPTION_END);
    if (!self->daemon) {
        snprintf(err, errlen, "metrics: cannot listen on %s: %s", hostport,
                 s_bind_reason(&sa));
        return -1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    int rc = info ? uv_poll_init(self->loop, &self->poll, info->epoll_fd)
                  : UV_EINVAL;
    if (rc != 0) {
        MHD_stop_daemon(self->daemon);
        self->daemon = NULL;
        snprintf(err, errlen, "metrics: cannot poll the HTTP daemon: %s",
                 uv_strerror(rc));
        return -1;
    }
    uv_timer_init(self->loop, &self->timer);
    self->poll.data = self;
    self->timer.data = self;
    uv_poll_start(&self->poll, UV_READABLE, s_on_poll);
    return 0;
}

int metrics_port(const metrics_t *self)
{
    if (!self || !self->daemon)
        return 0;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

static void s_on_close(uv_handle_t *handle)
{
    metrics_t *self = handle->data;
    if (--self->closing == 0)
        s_free(self);
}

void metrics_destroy(metrics_t **self_p)
{
    assert(self_p);
    metrics_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (!self->daemon) {
        s_free(self);
        return;
    }
    /* The poll leaves libuv's epoll set before MHD closes the fd it
     * watches; the registry stays until both close callbacks ran. */
    self->closing = 2;
    uv_close((uv_handle_t *)&self->poll, s_on_close);
    uv_close((uv_handle_t *)&self->timer, s_on_close);
    MHD_stop_daemon(self->daemon);
    self->daemon = NULL;
}
