/*  test_deploy: what ships beside the binaries.
 *
 *  - make install into a staging dir: every file where docs/operations.md
 *    says, the units with @BINDIR@ replaced, an existing juli.ini kept;
 *    make uninstall removes it all but a changed juli.ini.
 *  - systemd-analyze verify on the installed units (their ExecStart pointed
 *    at the staged binaries, MANPATH at the staged man pages: verify checks
 *    both exist) with no warning at all, and systemd-analyze security
 *    --offline=yes --threshold=20: exposure 2.0 or lower.
 *  - promtool on the alert rules, their unit tests and the scrape config.
 *  - The three real daemons with /metrics on: promtool check metrics on
 *    each page, what promtool misses (every histogram series has its +Inf
 *    bucket, _sum and _count, cumulative buckets, +Inf == _count), the
 *    families docs/operations.md lists, and every metric the alert rules
 *    and the Grafana dashboard query is one a daemon serves.
 *
 *  Runs from the repository's root (make test does), with JULI_BIN naming
 *  the binaries to stage. systemd-analyze and promtool come from the
 *  Debian packages systemd and prometheus (the Makefile's DEBS).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static const char *const s_daemons[] = {"intake", "dispatch", "scoring"};
static const char *const s_programs[] = {"juli-intake", "juli-dispatch",
                                         "juli-scoring", "julictl"};
static const char *const s_units[] = {"juli-intake.service",
                                      "juli-dispatch.service",
                                      "juli-scoring.service", "juli.target"};

/* -- helpers ------------------------------------------------------------- */

/* Runs CMD with sh, stdout and stderr into OUT; returns its exit code. */
static int s_run(const char *cmd, char *out, size_t outlen)
{
    char full[4096];
    snprintf(full, sizeof full, "(%s) 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p)
        fail_msg("popen %s: %s", cmd, strerror(errno));
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    while (fgetc(p) != EOF) /* drain what did not fit */
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void s_need(const char *tool, const char *package)
{
    char cmd[128], out[256];
    snprintf(cmd, sizeof cmd, "command -v %s", tool);
    if (s_run(cmd, out, sizeof out) != 0)
        fail_msg("%s is missing: apt-get install %s (the Makefile's DEBS)",
                 tool, package);
}

/* The whole file, NUL-terminated; NULL when it cannot be read. The caller
 * frees it. */
static char *s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

static void s_spew(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        fail_msg("cannot write %s: %s", path, strerror(errno));
}

static int s_exists(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", dir, rel);
    return access(path, F_OK) == 0;
}

/* Replaces every FROM in TEXT with TO; the caller frees the result. */
static char *s_replace(const char *text, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to), count = 0;
    for (const char *p = text; (p = strstr(p, from)); p += nf)
        count++;
    char *out = malloc(strlen(text) + count * nt + 1), *o = out;
    const char *p = text, *q;
    while ((q = strstr(p, from))) {
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, nt);
        o += nt;
        p = q + nf;
    }
    strcpy(o, p);
    return out;
}

static const char *s_bin_dir(void)
{
    const char *b = getenv("JULI_BIN");
    return b && *b ? b : "bin";
}

/* make GOAL into the staging dir DEST; fails the test when make fails. */
static void s_make(const char *goal, const char *dest)
{
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd,
             "make -s --no-print-directory -o all %s DESTDIR=%s "
             "PREFIX=/usr/local INSTALL_BIN=%s",
             goal, dest, s_bin_dir());
    int rc = s_run(cmd, out, sizeof out);
    if (rc != 0)
        fail_msg("%s: exit %d\n%s", cmd, rc, out);
}

static int setup(void **state)
{
    (void)state;
    /* A make run by make test must not join its parent's jobserver. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    if (access("Makefile", F_OK) != 0 || access("deploy/systemd", F_OK) != 0)
        fail_msg("run from the repository's root");
    return 0;
}

/* -- make install, make uninstall, systemd-analyze ------------------------ */

static void s_check_installed(const char *dest)
{
    char path[512];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/usr/local/bin/%s", dest,
                 s_programs[i]);
        if (access(path, X_OK) != 0)
            fail_msg("not installed (executable): %s", path);
        snprintf(path, sizeof path, "%s/usr/local/share/man/man%s/%s.%s",
                 dest, i == 3 ? "1" : "8", s_programs[i], i == 3 ? "1" : "8");
        if (access(path, F_OK) != 0)
            fail_msg("no man page: %s", path);
    }
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/usr/local/lib/systemd/system/%s",
                 dest, s_units[i]);
        char *unit = s_slurp(path);
        if (!unit)
            fail_msg("unit not installed: %s", path);
        assert_null(strstr(unit, "@BINDIR@"));
        if (i < 3) {
            char want[128];
            snprintf(want, sizeof want, "\nExecStart=/usr/local/bin/juli-%s\n",
                     s_daemons[i]);
            if (!strstr(unit, want))
                fail_msg("%s lacks %s", path, want + 1);
            /* Found under a real systemd: libzmq aborts the daemon at its
             * first bind without netlink (getifaddrs), and at its first
             * I/O thread without sched_setscheduler. */
            if (!strstr(unit, "\nRestrictAddressFamilies=AF_INET AF_INET6 "
                              "AF_UNIX AF_NETLINK\n") ||
                !strstr(unit, "\nSystemCallFilter=sched_setscheduler\n"))
                fail_msg("%s: the sandbox refuses what libzmq needs", path);
        }
        free(unit);
    }
    assert_true(s_exists(dest, "/usr/local/share/doc/juli/operations.md"));
    assert_true(
        s_exists(dest, "/usr/local/share/doc/juli/prometheus/juli.rules.yml"));
    assert_true(s_exists(dest, "/usr/local/share/doc/juli/grafana/juli.json"));
}

static void test_install_verify_security(void **state)
{
    (void)state;
    s_need("systemd-analyze", "systemd");
    char dest[] = "/tmp/juli-deploy-XXXXXX";
    if (!mkdtemp(dest))
        fail_msg("mkdtemp: %s", strerror(errno));
    s_make("install", dest);
    s_check_installed(dest);

    /* The default config, byte for byte. */
    char path[512];
    snprintf(path, sizeof path, "%s/etc/juli/juli.ini", dest);
    char *conf = s_slurp(path), *dflt = s_slurp("deploy/juli.ini");
    assert_non_null(conf);
    assert_non_null(dflt);
    assert_string_equal(conf, dflt);
    free(conf);

    /* verify: the installed units, their binaries at the staged path. */
    char vdir[300], files[2048] = "", out[16384], cmd[4096];
    snprintf(vdir, sizeof vdir, "%s/verify", dest);
    if (mkdir(vdir, 0755) < 0)
        fail_msg("mkdir %s: %s", vdir, strerror(errno));
    char staged_bin[300];
    snprintf(staged_bin, sizeof staged_bin, "%s/usr/local/bin/", dest);
    for (size_t i = 0; i < 4; i++) {
        char src[512], dst[512];
        snprintf(src, sizeof src, "%s/usr/local/lib/systemd/system/%s", dest,
                 s_units[i]);
        snprintf(dst, sizeof dst, "%s/%s", vdir, s_units[i]);
        char *unit = s_slurp(src);
        char *moved = s_replace(unit, "/usr/local/bin/", staged_bin);
        s_spew(dst, moved);
        free(unit);
        free(moved);
        size_t n = strlen(files);
        snprintf(files + n, sizeof files - n, " %s", dst);
    }
    /* verify runs man for each man: in Documentation=; without man-db
     * (a minimal image) only the files are checked, above. */
    int have_man = s_run("command -v man", out, sizeof out) == 0;
    snprintf(cmd, sizeof cmd,
             "MANPATH=%s/usr/local/share/man SYSTEMD_LOG_COLOR=0 "
             "systemd-analyze verify --man=%s%s",
             dest, have_man ? "yes" : "no", files);
    int rc = s_run(cmd, out, sizeof out);
    if (rc != 0 || out[0])
        fail_msg("%s: exit %d, said:\n%s", cmd, rc, out);

    /* security: exposure at most 2.0 for each service. */
    for (size_t i = 0; i < 3; i++) {
        snprintf(cmd, sizeof cmd,
                 "SYSTEMD_COLORS=0 systemd-analyze security --offline=yes "
                 "--threshold=20 --no-pager %s/%s",
                 vdir, s_units[i]);
        rc = s_run(cmd, out, sizeof out);
        const char *lvl = strstr(out, "Overall exposure level for ");
        const char *colon = lvl ? strstr(lvl, ": ") : NULL;
        if (rc != 0 || !colon)
            fail_msg("%s: exit %d\n%s", cmd, rc, out);
        double exposure = strtod(colon + 2, NULL);
        printf("exposure of %s: %.1f\n", s_units[i], exposure);
        assert_true(exposure <= 2.0);
    }

    /* A second install keeps a changed juli.ini; uninstall keeps it too
     * and removes the rest. */
    char *changed = malloc(strlen(dflt) + 64);
    sprintf(changed, "%s; changed here\n", dflt);
    s_spew(path, changed);
    s_make("install", dest);
    conf = s_slurp(path);
    assert_string_equal(conf, changed);
    free(conf);
    s_make("uninstall", dest);
    for (size_t i = 0; i < 4; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "/usr/local/bin/%s", s_programs[i]);
        assert_false(s_exists(dest, rel));
        snprintf(rel, sizeof rel, "/usr/local/lib/systemd/system/%s",
                 s_units[i]);
        assert_false(s_exists(dest, rel));
    }
    assert_false(s_exists(dest, "/usr/local/share/man/man8/juli-intake.8"));
    assert_false(s_exists(dest, "/usr/local/share/doc/juli"));
    conf = s_slurp(path);
    assert_non_null(conf);
    assert_string_equal(conf, changed);
    free(conf);

    /* The default, untouched: uninstall removes it and /etc/juli. */
    s_spew(path, dflt);
    s_make("install", dest);
    s_make("uninstall", dest);
    assert_false(s_exists(dest, "/etc/juli"));

    free(changed);
    free(dflt);
    h_rmtree(dest);
}

/* -- promtool on the rules and the scrape config -------------------------- */

static void test_prometheus_files(void **state)
{
    (void)state;
    s_need("promtool", "prometheus");
    const char *cmds[] = {
        "promtool check rules deploy/prometheus/*.rules.yml",
        "cd deploy/prometheus && promtool test rules juli.rules.test.yml",
        "promtool check config deploy/prometheus/prometheus.yml",
    };
    char out[8192];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        int rc = s_run(cmds[i], out, sizeof out);
        if (rc != 0)
            fail_msg("%s: exit %d\n%s", cmds[i], rc, out);
    }
}

/* -- the daemons' /metrics ------------------------------------------------ */

/* GET /metrics over HTTP/1.0 from 127.0.0.1:PORT; returns the body (the
 * caller frees it) after checking the status line. */
static char *s_scrape(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        fail_msg("connect 127.0.0.1:%d: %s", port, strerror(errno));
    const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1))
        fail_msg("write: %s", strerror(errno));
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[len] = '\0';
    if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 8, " 200", 4) != 0)
        fail_msg("GET /metrics on %d: %.200s", port, buf);
    char *body = strstr(buf, "\r\n\r\n");
    if (!body)
        fail_msg("no end of headers from %d", port);
    char *copy = strdup(body + 4);
    free(buf);
    return copy;
}

/* The families a page declares: "name type" per TYPE line. */
typedef struct {
    char name[128][96];
    char type[128][16];
    size_t n;
} families_t;

static void s_families(const char *page, families_t *f)
{
    for (const char *p = page; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        char name[96], type[16];
        if (sscanf(p, "# TYPE %95s %15s", name, type) == 2 && f->n < 128) {
            for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->name[i], name) == 0)
                    goto next;
            snprintf(f->name[f->n], sizeof f->name[0], "%s", name);
            snprintf(f->type[f->n], sizeof f->type[0], "%s", type);
            f->n++;
        }
    next:;
    }
}

static const char *s_family_type(const families_t *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->type[i];
    return NULL;
}

/* LINE's labels without le, into KEY ("" when none); its le into LE. */
static void s_split_labels(const char *labels, size_t len, char *key,
                           size_t keylen, char *le, size_t lelen)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)len, labels);
    le[0] = '\0';
    char *l = strstr(buf, "le=\"");
    if (l && (l == buf || l[-1] == ',')) {
        char *end = strchr(l + 4, '"');
        if (end) {
            snprintf(le, lelen, "%.*s", (int)(end - l - 4), l + 4);
            end++;
            if (*end == ',')
                end++;
            else if (l > buf && l[-1] == ',')
                l--;
            memmove(l, end, strlen(end) + 1);
        }
    }
    snprintf(key, keylen, "%s", buf);
}

/* One sample line of family FAM with SUFFIX ("_bucket"): its labels
 * (without the braces) and value. Returns 0 when LINE is not one. */
static int s_sample(const char *line, const char *fam, const char *suffix,
                    const char **labels, size_t *lablen, double *value)
{
    size_t nf = strlen(fam), ns = strlen(suffix);
    if (strncmp(line, fam, nf) != 0 || strncmp(line + nf, suffix, ns) != 0)
        return 0;
    const char *p = line + nf + ns;
    *labels = p;
    *lablen = 0;
    if (*p == '{') {
        const char *end = strchr(p, '}');
        if (!end)
            return 0;
        *labels = p + 1;
        *lablen = (size_t)(end - p - 1);
        p = end + 1;
    }
    if (*p != ' ')
        return 0;
    *value = strtod(p + 1, NULL);
    return 1;
}

/* Checks that every series of every histogram of PAGE is complete and
 * consistent. Returns 0, or -1 with the first fault in WHY. */
static int s_histograms_ok(const char *page, const families_t *f, char *why,
                           size_t whylen)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->type[i], "histogram") != 0)
            continue;
        const char *fam = f->name[i];
        struct {
            char key[512];
            int inf, sum, count;
            double last, inf_value, count_value;
        } s[32];
        size_t ns = 0;
        for (const char *p = page; p && *p;
             p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
            const char *labels;
            size_t lablen;
            double v;
            char key[512], le[64];
            int kind = 0;
            if (s_sample(p, fam, "_bucket", &labels, &lablen, &v))
                kind = 1;
            else if (s_sample(p, fam, "_sum", &labels, &lablen, &v))
                kind = 2;
            else if (s_sample(p, fam, "_count", &labels, &lablen, &v))
                kind = 3;
            if (!kind)
                continue;
            s_split_labels(labels, lablen, key, sizeof key, le, sizeof le);
            size_t j = 0;
            while (j < ns && strcmp(s[j].key, key) != 0)
                j++;
            if (j == ns) {
                if (ns == 32) {
                    snprintf(why, whylen, "%s: over 32 series", fam);
                    return -1;
                }
                memset(&s[ns], 0, sizeof s[ns]);
                snprintf(s[ns].key, sizeof s[ns].key, "%s", key);
                s[ns].last = -1;
                ns++;
            }
            if (kind == 1 && !le[0]) {
                snprintf(why, whylen, "%s_bucket{%s} without le", fam, key);
                return -1;
            }
            if (kind == 1 && v < s[j].last) {
                snprintf(why, whylen,
                         "%s_bucket{%s} le=\"%s\" below the bucket before it",
                         fam, key, le);
                return -1;
            }
            if (kind == 1) {
                s[j].last = v;
                if (strcmp(le, "+Inf") == 0) {
                    s[j].inf = 1;
                    s[j].inf_value = v;
                }
            } else if (kind == 2) {
                s[j].sum = 1;
            } else {
                s[j].count = 1;
                s[j].count_value = v;
            }
        }
        for (size_t j = 0; j < ns; j++) {
            if (!s[j].inf || !s[j].sum || !s[j].count) {
                snprintf(why, whylen,
                         "histogram %s{%s}: +Inf bucket %s, _sum %s, "
                         "_count %s",
                         fam, s[j].key, s[j].inf ? "yes" : "MISSING",
                         s[j].sum ? "yes" : "MISSING",
                         s[j].count ? "yes" : "MISSING");
                return -1;
            }
            if (s[j].inf_value != s[j].count_value) {
                snprintf(why, whylen,
                         "histogram %s{%s}: +Inf bucket %g != _count %g", fam,
                         s[j].key, s[j].inf_value, s[j].count_value);
                return -1;
            }
        }
    }
    return 0;
}

/* The checker itself, on pages with each fault it must find. */
static void test_histogram_checker(void **state)
{
    (void)state;
    static const char head[] = "# HELP h_seconds Time.\n"
                               "# TYPE h_seconds histogram\n";
    static const struct {
        const char *body;
        const char *fault; /* NULL: the page is fine */
    } cases[] = {
        {"h_seconds_bucket{le=\"0.1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 2\n"
         "h_seconds_sum 0.3\nh_seconds_count 2\n",
         NULL},
        {"h_seconds_bucket{a=\"x\",le=\"1\"} 1\n"
         "h_seconds_bucket{a=\"x\",le=\"+Inf\"} 1\n"
         "h_seconds_sum{a=\"x\"} 0.3\nh_seconds_count{a=\"x\"} 1\n"
         "h_seconds_bucket{le=\"1\",a=\"y\"} 0\n"
         "h_seconds_bucket{le=\"+Inf\",a=\"y\"} 0\n"
         "h_seconds_sum{a=\"y\"} 0\nh_seconds_count{a=\"y\"} 0\n",
         NULL},
        {"h_seconds_bucket{le=\"0.1\"} 1\n"
         "h_seconds_sum 0.3\nh_seconds_count 1\n",
         "+Inf bucket MISSING"},
        {"h_seconds_bucket{a=\"x\",le=\"+Inf\"} 1\n"
         "h_seconds_sum{a=\"x\"} 0.3\nh_seconds_count{a=\"x\"} 1\n"
         "h_seconds_bucket{a=\"y\",le=\"0.1\"} 1\n"
         "h_seconds_sum{a=\"y\"} 0.3\nh_seconds_count{a=\"y\"} 1\n",
         "h_seconds{a=\"y\"}: +Inf bucket MISSING"},
        {"h_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_count 2\n",
         "_sum MISSING"},
        {"h_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_sum 1\n",
         "_count MISSING"},
        {"h_seconds_bucket{le=\"+Inf\"} 2\n"
         "h_seconds_sum 1\nh_seconds_count 3\n",
         "+Inf bucket 2 != _count 3"},
        {"h_seconds_bucket{le=\"0.1\"} 3\nh_seconds_bucket{le=\"+Inf\"} 2\n"
         "h_seconds_sum 1\nh_seconds_count 2\n",
         "below the bucket before it"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char page[1024], why[512] = "";
        snprintf(page, sizeof page, "%s%s", head, cases[i].body);
        families_t f = {0};
        s_families(page, &f);
        assert_int_equal(f.n, 1);
        int rc = s_histograms_ok(page, &f, why, sizeof why);
        if (!cases[i].fault && rc != 0)
            fail_msg("case %zu: refused: %s", i, why);
        if (cases[i].fault && (rc == 0 || !strstr(why, cases[i].fault)))
            fail_msg("case %zu: wanted '%s', got %d '%s'", i,
                     cases[i].fault, rc, why);
    }
}

/* Every metric name FILE mentions is a family of ALL (or up, which
 * Prometheus makes itself). */
static void s_check_mentions(const char *file, const families_t *all)
{
    char *text = s_slurp(file);
    if (!text)
        fail_msg("cannot read %s", file);
    static const char *const prefixes[] = {"juli_", "process_"};
    for (size_t k = 0; k < 2; k++) {
        size_t np = strlen(prefixes[k]);
        for (const char *p = text; (p = strstr(p, prefixes[k])); p += np) {
            char c = p > text ? p[-1] : ' ';
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
                continue;
            char name[96];
            size_t n = 0;
            while (n < sizeof name - 1 &&
                   ((p[n] >= 'a' && p[n] <= 'z') ||
                    (p[n] >= '0' && p[n] <= '9') || p[n] == '_'))
                name[n] = p[n], n++;
            name[n] = '\0';
            if (s_family_type(all, name))
                continue;
            static const char *const sfx[] = {"_bucket", "_sum", "_count"};
            int found = 0;
            for (size_t s = 0; s < 3 && !found; s++) {
                size_t ls = strlen(sfx[s]);
                if (n > ls && strcmp(name + n - ls, sfx[s]) == 0) {
                    char base[96];
                    snprintf(base, sizeof base, "%.*s", (int)(n - ls), name);
                    const char *t = s_family_type(all, base);
                    found = t && strcmp(t, "histogram") == 0;
                }
            }
            if (!found)
                fail_msg("%s queries %s, which no daemon serves", file, name);
        }
    }
    free(text);
}

/* The families docs/operations.md lists per daemon. */
static const char *const s_common_families[] = {
    "process_start_time_seconds", "juli_requests_total",
    "juli_events_published_total", "juli_store_commit_seconds",
    "juli_store_batch_requests", "juli_consumer_lag_events",
    "juli_events_applied_total", "juli_events_skipped_total", NULL};
static const char *const s_own_families[3][4] = {
    {NULL},
    {"juli_deadline_breaches_total", "juli_tasks_open",
     "juli_escalations_total", NULL},
    {"juli_points_awarded_total", "juli_points_taken_back_total", NULL},
};

static void test_metrics(void **state)
{
    (void)state;
    s_need("promtool", "prometheus");
    h_stack_t st;
    h_stack_init(&st);
    int ports[3];
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        ports[i] = h_free_port();
        /* A section again: its keys override the harness's metrics = off. */
        off += (size_t)snprintf(st.extra_config + off,
                                sizeof st.extra_config - off,
                                "[%s]\nmetrics = 127.0.0.1:%d\n",
                                s_daemons[i], ports[i]);
    }
    h_daemon_start(&st.intake);
    h_daemon_start(&st.dispatch);
    h_daemon_start(&st.scoring);

    /* Some work, so that labelled families have series: a grid with
     * staff, one request, its task escalated by hand. */
    static const h_node_t nodes[] = {
        {"HCZ", "火车站社区", "community", NULL},
        {"G1", "第一网格", "grid", "HCZ"},
    };
    h_define_nodes(st.intake.client, "", nodes,
                   sizeof nodes / sizeof nodes[0]);
    h_staff_assign(&st, "s1", "G1", "grid_leader", "p-xiao", "肖格长");
    h_expect_ok(h_call(st.dispatch.client,
                       "{\"type\":\"staff.assign\",\"id\":\"s2\",\"body\":{"
                       "\"node\":\"HCZ\",\"role\":\"community_leader\","
                       "\"person\":{\"id\":\"p-li\",\"name\":\"李书记\"}}}"));
    h_expect_ok(h_call(st.intake.client,
                       "{\"type\":\"request.submit\",\"id\":\"q\",\"body\":{"
                       "\"text\":\"邻居吵架\",\"channel\":\"app\","
                       "\"category\":\"dispute\",\"location\":{"
                       "\"grid\":\"G1\"}}}"));
    h_expect_ok(h_call_found(st.dispatch.client,
                             "{\"type\":\"task.escalate\",\"id\":\"e\","
                             "\"body\":{\"task\":\"T00000001\","
                             "\"by\":\"p-xiao\",\"reason\":\"需要社区协调\"}}"));
    h_expect_ok(h_call(st.scoring.client, "{\"type\":\"health\"}"));

    families_t all = {0};
    char page_path[320], cmd[512], out[8192];
    snprintf(page_path, sizeof page_path, "%s/metrics.txt", st.dir);
    for (int i = 0; i < 3; i++) {
        char *page = s_scrape(ports[i]);
        s_spew(page_path, page);
        snprintf(cmd, sizeof cmd, "promtool check metrics < %s", page_path);
        int rc = s_run(cmd, out, sizeof out);
        if (rc != 0)
            fail_msg("juli-%s: promtool check metrics: exit %d\n%s\n%s",
                     s_daemons[i], rc, out, page);
        families_t f = {0};
        s_families(page, &f);
        char why[512];
        if (s_histograms_ok(page, &f, why, sizeof why) < 0)
            fail_msg("juli-%s: %s", s_daemons[i], why);
        for (const char *const *n = s_common_families; *n; n++)
            if (!s_family_type(&f, *n))
                fail_msg("juli-%s serves no %s", s_daemons[i], *n);
        for (const char *const *n = s_own_families[i]; *n; n++)
            if (!s_family_type(&f, *n))
                fail_msg("juli-%s serves no %s", s_daemons[i], *n);
        for (size_t j = 0; j < f.n; j++)
            if (!s_family_type(&all, f.name[j]) && all.n < 128) {
                snprintf(all.name[all.n], sizeof all.name[0], "%s",
                         f.name[j]);
                snprintf(all.type[all.n], sizeof all.type[0], "%s",
                         f.type[j]);
                all.n++;
            }
        free(page);
    }
    s_check_mentions("deploy/prometheus/juli.rules.yml", &all);
    s_check_mentions("deploy/grafana/juli.json", &all);
    h_stack_cleanup(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_verify_security),
        cmocka_unit_test(test_prometheus_files),
        cmocka_unit_test(test_histogram_checker),
        cmocka_unit_test(test_metrics),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
