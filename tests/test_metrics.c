/*  test_metrics: the registry, its text format, and GET /metrics served from
 *  a libuv loop (a client thread talks HTTP over a real socket while the
 *  main thread runs the loop; cmocka asserts only on the main thread).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* -- helpers ------------------------------------------------------------- */

/* Renders M; the caller frees the string. Checks the length and the final
 * newline every time. */
static char *s_render(metrics_t *m)
{
    size_t len = 0;
    char *text = metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    assert_true(len > 0 && text[len - 1] == '\n');
    return text;
}

/* Occurrences of NEEDLE in TEXT. (memmem: ASan's strstr measures the
 * whole haystack on every call.) */
static int s_count(const char *text, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    const char *p = text, *end = text + strlen(text);
    while ((p = memmem(p, (size_t)(end - p), needle, len))) {
        p += len;
        n++;
    }
    return n;
}

/* TEXT has the whole line LINE (given without its newline). */
static int s_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

/* The value on the line that starts with KEY and a space; fails if none. */
static double s_value(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = text; (p = strstr(p, key)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    fail_msg("no sample %s in:\n%s", key, text);
    return NAN;
}

static void s_new_loop(uv_loop_t *loop, metrics_t **m)
{
    assert_int_equal(uv_loop_init(loop), 0);
    *m = metrics_new(loop);
    assert_non_null(*m);
}

static void s_close_loop(uv_loop_t *loop)
{
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(loop), 0);
}

/* -- registry and text format -------------------------------------------- */

static void test_counter_without_labels(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    metric_t *c = metrics_counter(m, "juli_requests_total", "Requests.", NULL);
    assert_non_null(c);
    metric_add(c, 2);
    metric_add(c, 1);
    assert_true(metric_value(c) == 3);
    char *text = s_render(m);
    assert_true(s_has_line(text, "# HELP juli_requests_total Requests."));
    assert_true(s_has_line(text, "# TYPE juli_requests_total counter"));
    assert_true(s_has_line(text, "juli_requests_total 3"));
    assert_null(strstr(text, "juli_requests_total{"));
    free(text);
    metrics_destroy(&m);
    assert_null(m);
    s_close_loop(&loop);
}

static void test_counter_with_labels(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    metric_t *ok = metrics_counter(m, "juli_checks_total", "Checks.",
                                   "type=\"health\",result=\"ok\"");
    metric_t *bad = metrics_counter(m, "juli_checks_total", "Checks.",
                                    "type=\"health\",result=\"bad\"");
    assert_ptr_not_equal(ok, bad);
    metric_add(ok, 5);
    metric_add(bad, 1);
    char *text = s_render(m);
    assert_true(
        s_has_line(text, "juli_checks_total{type=\"health\",result=\"ok\"} 5"));
    assert_true(s_has_line(
        text, "juli_checks_total{type=\"health\",result=\"bad\"} 1"));
    /* Series in creation order. */
    assert_true(strstr(text, "result=\"ok\"") < strstr(text, "result=\"bad\""));
    free(text);
    metrics_destroy(&m);
    s_close_loop(&loop);
}

static void test_gauge_numbers(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    static const struct {
        const char *labels;
        double v;
        const char *line;
    } cases[] = {
        {"k=\"a\"", 1e6, "juli_g{k=\"a\"} 1000000"},
        {"k=\"b\"", 0.1, "juli_g{k=\"b\"} 0.1"},
        {"k=\"c\"", -2, "juli_g{k=\"c\"} -2"},
        {"k=\"d\"", 1.0 / 3, "juli_g{k=\"d\"} 0.33333333333333331"},
        {"k=\"e\"", INFINITY, "juli_g{k=\"e\"} +Inf"},
        {"k=\"f\"", -INFINITY, "juli_g{k=\"f\"} -Inf"},
        {"k=\"g\"", NAN, "juli_g{k=\"g\"} NaN"},
        {"k=\"h\"", 0.005, "juli_g{k=\"h\"} 0.005"},
    };
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++)
        metric_set(metrics_gauge(m, "juli_g", "G.", cases[i].labels),
                   cases[i].v);
    metric_t *up = metrics_gauge(m, "juli_up", "Up.", NULL);
    metric_set(up, 4);
    metric_add(up, -1.5);
    assert_true(metric_value(up) == 2.5);
    char *text = s_render(m);
    for (size_t i = 0; i < n; i++)
        if (!s_has_line(text, cases[i].line))
            fail_msg("no line \"%s\" in:\n%s", cases[i].line, text);
    assert_true(s_has_line(text, "# TYPE juli_g gauge"));
    assert_true(s_has_line(text, "juli_up 2.5"));
    free(text);
    metrics_destroy(&m);
    s_close_loop(&loop);
}

static void test_find_or_create(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    metric_t *a = metrics_counter(m, "juli_x_total", "X.", "a=\"1\"");
    assert_ptr_equal(a, metrics_counter(m, "juli_x_total", "X.", "a=\"1\""));
    assert_ptr_not_equal(a,
                         metrics_counter(m, "juli_x_total", "X.", "a=\"2\""));
    /* No labels: NULL and "" are the same series. */
    metric_t *none = metrics_counter(m, "juli_y_total", "Y.", NULL);
    assert_ptr_equal(none, metrics_counter(m, "juli_y_total", "Y.", ""));
    static const double b[] = {1, 2};
    metric_t *h = metrics_histogram(m, "juli_h", "H.", NULL, b, 2);
    assert_ptr_equal(h, metrics_histogram(m, "juli_h", "H.", NULL, b, 2));
    /* The label string was copied. */
    char labels[] = "a=\"3\"";
    metric_t *c = metrics_counter(m, "juli_x_total", "X.", labels);
    labels[3] = '4';
    assert_ptr_equal(c, metrics_counter(m, "juli_x_total", "X.", "a=\"3\""));
    metrics_destroy(&m);
    s_close_loop(&loop);
}

/* Walks every histogram series of TEXT named NAME: buckets never decrease,
 * the last is +Inf and equals _count. Returns the number of series seen. */
static int s_check_histograms(const char *text, const char *name)
{
    size_t n = strlen(name);
    int series = 0, open = 0, last_inf = 0;
    double last = 0;
    for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
        const char *v = strchr(p, '\n');
        while (v > p && v[-1] != ' ')
            v--;
        double x = strtod(v, NULL);
        if (strncmp(p, name, n) != 0)
            continue;
        if (strncmp(p + n, "_bucket{", 8) == 0) {
            if (open)
                assert_true(x >= last);
            open = 1;
            last = x;
            last_inf = v - p > 11 && strncmp(v - 11, "le=\"+Inf\"} ", 11) == 0;
        } else if (strncmp(p + n, "_count", 6) == 0) {
            assert_true(open && last_inf && x == last);
            open = 0;
            series++;
        }
    }
    assert_false(open);
    return series;
}

static void test_histogram(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    static const double b[] = {0.005, 0.1, 1};
    metric_t *h =
        metrics_histogram(m, "juli_latency_seconds", "Latency.", NULL, b, 3);
    metric_t *hl = metrics_histogram(m, "juli_latency_seconds", "Latency.",
                                     "op=\"put\"", b, 3);
    metric_t *e =
        metrics_histogram(m, "juli_empty_seconds", "Empty.", NULL, NULL, 0);
    static const double obs[] = {0.001, 0.005, 0.05, 0.5, 1, 2};
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
        metric_observe(h, obs[i]);
    metric_observe(hl, 3);
    metric_observe(e, 7);
    char *text = s_render(m);
    static const char *const lines[] = {
        "# TYPE juli_latency_seconds histogram",
        "juli_latency_seconds_bucket{le=\"0.005\"} 2",
        "juli_latency_seconds_bucket{le=\"0.1\"} 3",
        "juli_latency_seconds_bucket{le=\"1\"} 5",
        "juli_latency_seconds_bucket{le=\"+Inf\"} 6",
        "juli_latency_seconds_sum 3.556",
        "juli_latency_seconds_count 6",
        "juli_latency_seconds_bucket{op=\"put\",le=\"0.005\"} 0",
        "juli_latency_seconds_bucket{op=\"put\",le=\"0.1\"} 0",
        "juli_latency_seconds_bucket{op=\"put\",le=\"1\"} 0",
        "juli_latency_seconds_bucket{op=\"put\",le=\"+Inf\"} 1",
        "juli_latency_seconds_sum{op=\"put\"} 3",
        "juli_latency_seconds_count{op=\"put\"} 1",
        "juli_empty_seconds_bucket{le=\"+Inf\"} 1",
        "juli_empty_seconds_sum 7",
        "juli_empty_seconds_count 1",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!s_has_line(text, lines[i]))
            fail_msg("no line \"%s\" in:\n%s", lines[i], text);
    /* Every series ends its buckets with +Inf, right before _sum. */
    assert_int_equal(s_count(text, "le=\"+Inf\"} "), 3);
    assert_int_equal(s_count(text, "le=\"+Inf\"} 6\njuli_latency_seconds_sum "),
                     1);
    assert_int_equal(s_check_histograms(text, "juli_latency_seconds"), 2);
    assert_int_equal(s_check_histograms(text, "juli_empty_seconds"), 1);
    assert_true(fabs(s_value(text, "juli_latency_seconds_sum") - 3.556) < 1e-9);
    free(text);
    metrics_destroy(&m);
    s_close_loop(&loop);
}

static void test_help_type_once(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    metrics_counter(m, "juli_a_total", "A with \\ and\nnewline.", "x=\"1\"");
    metrics_gauge(m, "juli_b", "B.", NULL);
    metrics_counter(m, "juli_a_total", "ignored: first HELP wins", "x=\"2\"");
    static const double b[] = {1};
    metrics_histogram(m, "juli_c", "C.", "x=\"1\"", b, 1);
    metrics_histogram(m, "juli_c", "C.", "x=\"2\"", b, 1);
    char *text = s_render(m);
    assert_int_equal(s_count(text, "# HELP juli_a_total "), 1);
    assert_int_equal(s_count(text, "# TYPE juli_a_total "), 1);
    assert_int_equal(s_count(text, "# HELP juli_c "), 1);
    assert_int_equal(s_count(text, "# TYPE juli_c "), 1);
    assert_true(
        s_has_line(text, "# HELP juli_a_total A with \\\\ and\\nnewline."));
    /* Families in registration order, the series of one family together. */
    const char *a = strstr(text, "# HELP juli_a_total");
    const char *bb = strstr(text, "# HELP juli_b");
    const char *a2 = strstr(text, "juli_a_total{x=\"2\"} 0");
    assert_true(strstr(text, "# HELP process_start_time_seconds") < a);
    assert_true(a && bb && a2 && a < a2 && a2 < bb);
    assert_int_equal(s_count(text, "# HELP "), 4);
    assert_int_equal(s_count(text, "# TYPE "), 4);
    free(text);
    metrics_destroy(&m);
    s_close_loop(&loop);
}

static void s_collect(void *arg)
{
    (*(int *)arg)++;
}

static void test_start_time_and_collect(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m;
    time_t before = time(NULL);
    s_new_loop(&loop, &m);
    int calls = 0;
    metrics_on_collect(m, s_collect, &calls);
    char *text = s_render(m);
    assert_int_equal(calls, 1);
    assert_true(s_has_line(text, "# TYPE process_start_time_seconds gauge"));
    double t = s_value(text, "process_start_time_seconds");
    assert_true(t >= (double)before && t <= (double)time(NULL));
    /* Written as an integer: 1.7e+09 would be legal but ugly. */
    char line[64];
    snprintf(line, sizeof line, "process_start_time_seconds %.0f", t);
    assert_true(s_has_line(text, line));
    free(text);
    metrics_destroy(&m);
    s_close_loop(&loop);
}

/* -- live HTTP ------------------------------------------------------------ */

#define RESPONSE_MAX (16 << 20)

/* One client request made from a thread while the loop serves it. */
struct fetch {
    int port;
    const char *request;
    char *response; /* owned, RESPONSE_MAX + 1 bytes, NUL-terminated */
    size_t len;
    int error; /* errno of the client's failure, or 0 */
    int slow;  /* small receive window, slow reads */
    uv_async_t done;
    metrics_t *metrics; /* destroyed from the loop once the client is done */
};

static void *s_client(void *arg)
{
    struct fetch *f = arg;
    struct timeval tv = {5, 0};
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)f->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        f->error = errno;
        goto done;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (f->slow) {
        int small = 4096;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        send(fd, f->request, strlen(f->request), MSG_NOSIGNAL) < 0) {
        f->error = errno;
        goto done;
    }
    for (;;) {
        if (f->slow)
            usleep(200);
        ssize_t n = recv(fd, f->response + f->len, RESPONSE_MAX - f->len, 0);
        if (n < 0)
            f->error = errno;
        if (n <= 0 || (f->len += (size_t)n) == RESPONSE_MAX)
            break;
    }
done:
    f->response[f->len] = '\0';
    if (fd >= 0)
        close(fd);
    uv_async_send(&f->done);
    return NULL;
}

static void s_on_done(uv_async_t *async)
{
    struct fetch *f = async->data;
    uv_close((uv_handle_t *)async, NULL);
    metrics_destroy(&f->metrics);
}

/* Serves M (listening) on LOOP until a client thread has sent REQUEST and
 * read the whole answer; destroys M and closes LOOP. The caller frees the
 * result with s_fetch_free. */
static struct fetch *s_fetch(uv_loop_t *loop, metrics_t *m, const char *request,
                             int slow)
{
    struct fetch *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->response = malloc(RESPONSE_MAX + 1);
    assert_non_null(f->response);
    f->port = metrics_port(m);
    f->request = request;
    f->slow = slow;
    f->metrics = m;
    assert_int_equal(uv_async_init(loop, &f->done, s_on_done), 0);
    f->done.data = f;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_client, f), 0);
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_null(f->metrics);
    assert_int_equal(uv_loop_close(loop), 0);
    assert_int_equal(f->error, 0);
    return f;
}

static void s_fetch_free(struct fetch *f)
{
    free(f->response);
    free(f);
}

static metrics_t *s_listening(uv_loop_t *loop)
{
    metrics_t *m;
    char err[256] = "";
    s_new_loop(loop, &m);
    if (metrics_listen(m, "127.0.0.1:0", err, sizeof err) != 0)
        fail_msg("listen: %s", err);
    assert_true(metrics_port(m) > 0);
    return m;
}

/* The body of an HTTP answer, after the blank line. */
static const char *s_body(const char *response)
{
    const char *p = strstr(response, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static void test_http_get_metrics(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m = s_listening(&loop);
    int calls = 0;
    metrics_on_collect(m, s_collect, &calls);
    metric_add(metrics_counter(m, "juli_served_total", "Served.", NULL), 7);
    struct fetch *f = s_fetch(&loop, m, "GET /metrics HTTP/1.0\r\n\r\n", 0);
    assert_int_equal(strncmp(f->response, "HTTP/1.", 7), 0);
    assert_int_equal(strncmp(f->response + 8, " 200 ", 5), 0);
    assert_non_null(strstr(f->response, "\r\nContent-Type: text/plain; "
                                        "version=0.0.4; charset=utf-8\r\n"));
    const char *body = s_body(f->response);
    assert_true(s_has_line(body, "juli_served_total 7"));
    assert_true(s_value(body, "process_start_time_seconds") > 0);
    assert_true(f->response[f->len - 1] == '\n');
    assert_int_equal(calls, 1);
    s_fetch_free(f);
}

static void test_http_large_body(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m = s_listening(&loop);
    /* ~8 MB, more than the kernel takes in one send (tcp_wmem max is 4 MB)
     * while the client reads slowly through a small window: MHD must come
     * back to the connection many times to finish writing. */
    enum { N = 3500 };
    char labels[2100], line[2200];
    for (int i = 0; i < N; i++) {
        snprintf(labels, sizeof labels, "worker=\"%d\",pad=\"%02000d\"", i, i);
        metric_set(metrics_gauge(m, "juli_big", "Big.", labels), i);
    }
    struct fetch *f = s_fetch(&loop, m, "GET /metrics HTTP/1.0\r\n\r\n", 1);
    assert_int_equal(strncmp(f->response + 8, " 200 ", 5), 0);
    const char *body = s_body(f->response);
    assert_true(f->len > (6 << 20) && f->len < RESPONSE_MAX);
    assert_int_equal(s_count(body, "\njuli_big{"), N);
    snprintf(line, sizeof line, "juli_big{%s} %d", labels, N - 1);
    assert_true(s_has_line(body, line));
    s_fetch_free(f);
}

/* Two requests in one packet: MHD reads both, answers the first, and has
 * no socket event left to wake it for the second; only the 0 ms deadline
 * from MHD_get_timeout brings it back. */
static void test_http_pipelined(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m = s_listening(&loop);
    struct fetch *f = s_fetch(&loop, m,
                              "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
                              "GET /metrics HTTP/1.1\r\nHost: a\r\n"
                              "Connection: close\r\n\r\n",
                              0);
    assert_int_equal(s_count(f->response, "HTTP/1.1 200 OK\r\n"), 2);
    assert_int_equal(s_count(f->response, "\nprocess_start_time_seconds "), 2);
    s_fetch_free(f);
}

static void test_http_not_found(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m = s_listening(&loop);
    struct fetch *f = s_fetch(&loop, m, "GET /other HTTP/1.0\r\n\r\n", 0);
    assert_int_equal(strncmp(f->response + 8, " 404 ", 5), 0);
    assert_null(strstr(f->response, "process_start_time_seconds"));
    s_fetch_free(f);
}

static void test_http_method_not_allowed(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m = s_listening(&loop);
    struct fetch *f = s_fetch(&loop, m,
                              "POST /metrics HTTP/1.0\r\n"
                              "Content-Length: 0\r\n\r\n",
                              0);
    assert_int_equal(strncmp(f->response + 8, " 405 ", 5), 0);
    assert_non_null(strstr(f->response, "\r\nAllow: GET, HEAD\r\n"));
    s_fetch_free(f);
}

static void test_listen_port_taken(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t salen = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
    char hostport[32], err[256] = "", want[128];
    snprintf(hostport, sizeof hostport, "127.0.0.1:%d", ntohs(sa.sin_port));
    snprintf(want, sizeof want,
             "metrics: cannot listen on %s: Address already in use", hostport);

    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    assert_int_equal(metrics_listen(m, hostport, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(metrics_port(m), 0);
    metrics_destroy(&m);
    s_close_loop(&loop);
    close(fd);
}

static void test_listen_bad_address(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "nope",
        ":9101",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:x",
        "1.2.3:80",
        "127.0.0.1:65536",
        "::1:80",
        "127.0.0.1:-1",
        "example.org:80",
        "127.0.0.1:99999999999999999999",
    };
    uv_loop_t loop;
    metrics_t *m;
    s_new_loop(&loop, &m);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        if (metrics_listen(m, bad[i], err, sizeof err) != -1)
            fail_msg("listen accepted \"%s\"", bad[i]);
        assert_non_null(strstr(err, "bad address"));
    }
    metrics_destroy(&m);
    s_close_loop(&loop);
}

static void s_count_handle(uv_handle_t *handle, void *arg)
{
    (void)handle;
    (*(int *)arg)++;
}

static void test_destroy_closes_handles(void **state)
{
    (void)state;
    uv_loop_t loop;
    metrics_t *m = s_listening(&loop);
    int handles = 0;
    uv_walk(&loop, s_count_handle, &handles);
    assert_int_equal(handles, 2); /* the poll and the timer */
    metrics_destroy(&m);
    assert_null(m);
    metrics_destroy(&m); /* NULL is fine */
    /* The close callbacks free the registry (LeakSanitizer watches). */
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    handles = 0;
    uv_walk(&loop, s_count_handle, &handles);
    assert_int_equal(handles, 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_without_labels),
        cmocka_unit_test(test_counter_with_labels),
        cmocka_unit_test(test_gauge_numbers),
        cmocka_unit_test(test_find_or_create),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_help_type_once),
        cmocka_unit_test(test_start_time_and_collect),
        cmocka_unit_test(test_http_get_metrics),
        cmocka_unit_test(test_http_large_body),
        cmocka_unit_test(test_http_pipelined),
        cmocka_unit_test(test_http_not_found),
        cmocka_unit_test(test_http_method_not_allowed),
        cmocka_unit_test(test_listen_port_taken),
        cmocka_unit_test(test_listen_bad_address),
        cmocka_unit_test(test_destroy_closes_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
