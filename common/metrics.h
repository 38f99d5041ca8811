/*  metrics: counters, gauges and histograms, served as Prometheus text on
 *  GET /metrics.
 *
 *  A metrics_t owns a registry of families (one name, HELP, TYPE) and their
 *  series (one label set each), and, once listening, a libmicrohttpd daemon
 *  driven from the caller's libuv loop: MHD runs in epoll mode without a
 *  thread of its own, a uv_poll on its epoll fd and a uv_timer for its
 *  timeouts call MHD_run. Everything therefore happens on the loop thread:
 *  series are plain doubles, no locks, no atomics.
 *
 *  Series are found or created by (name, labels): asking again returns the
 *  same series, so callers may cache the pointer for hot paths. Rendering
 *  walks the registry in registration order; no callback runs per scrape
 *  except the optional collect hook, which must be cheap (no table counts).
 *  Every registry carries process_start_time_seconds.
 */
#ifndef JULI_METRICS_H
#define JULI_METRICS_H

#include <stddef.h>
#include <uv.h>

typedef struct metrics metrics_t;
typedef struct metric metric_t;

/* Creates an empty registry on LOOP. Returns NULL when out of memory. */
metrics_t *metrics_new(uv_loop_t *loop);

/* Stops serving, closes the handles and frees everything once their close
 * callbacks ran (run the loop once more after this). NULL is fine; *SELF_P
 * is set to NULL. Series pointers die with the registry. */
void metrics_destroy(metrics_t **self_p);

/* Serves GET /metrics on HOSTPORT ("127.0.0.1:9101"; port 0 picks a free
 * port, see metrics_port). Returns 0, or -1 with a one-line reason in ERR
 * (bad address, port taken). */
int metrics_listen(metrics_t *self, const char *hostport, char *err,
                   size_t errlen);

/* The TCP port being served, or 0 when not listening. */
int metrics_port(const metrics_t *self);

/* Find or create a series. NAME follows Prometheus naming (counters end in
 * _total); LABELS is NULL or the inside of the braces, already escaped
 * (e.g. "type=\"health\",result=\"ok\""). A name registered with another
 * type is a programmer error (assert). The registry owns the series. */
metric_t *metrics_counter(metrics_t *self, const char *name,
                          const char *help, const char *labels);
metric_t *metrics_gauge(metrics_t *self, const char *name, const char *help,
                        const char *labels);
/* BOUNDS are the upper bounds, ascending, without +Inf (added on render). */
metric_t *metrics_histogram(metrics_t *self, const char *name,
                            const char *help, const char *labels,
                            const double *bounds, size_t nbounds);

/* Counter: add V >= 0. Gauge: add any V. */
void metric_add(metric_t *m, double v);
/* Gauge: set to V. */
void metric_set(metric_t *m, double v);
/* Histogram: count one observation of V. */
void metric_observe(metric_t *m, double v);
/* Current value of a counter or gauge (for tests and stats). */
double metric_value(const metric_t *m);

/* Called before each render, on the loop thread, to refresh gauges. */
void metrics_on_collect(metrics_t *self, void (*cb)(void *arg), void *arg);

/* Renders the registry in Prometheus text format 0.0.4 into a new
 * NUL-terminated string (the caller frees it) and sets *LEN. Returns NULL
 * when out of memory. */
char *metrics_render(metrics_t *self, size_t *len);

#endif
