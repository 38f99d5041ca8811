/*  proc: daemons as child processes; /proc readings. See proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "load.h"
#include "port.h"

int proc_stack_init(proc_stack_t *s, const char *bin, const char *baseline,
                    int sync_full)
{
    memset(s, 0, sizeof *s);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/juli-bench-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "juli-bench: mkdtemp %s: %s\n", s->dir,
                strerror(errno));
        return -1;
    }
    snprintf(s->bin, sizeof s->bin, "%s", bin);
    snprintf(s->baseline, sizeof s->baseline, "%s", baseline);
    s->sync_full = sync_full;
    proc_t *all[] = {&s->intake, &s->dispatch, &s->scoring, &s->baseline_srv};
    const char *names[] = {"intake", "dispatch", "scoring", "baseline"};
    for (int i = 0; i < 4; i++) {
        all[i]->name = names[i];
        int api = port_free(), events = port_free();
        if (api < 0 || events < 0) {
            fprintf(stderr, "juli-bench: no free port\n");
            return -1;
        }
        snprintf(all[i]->api, sizeof all[i]->api, "tcp://127.0.0.1:%d", api);
        snprintf(all[i]->events, sizeof all[i]->events, "tcp://127.0.0.1:%d",
                 events);
    }
    return 0;
}

static int s_write_config(const proc_stack_t *s)
{
    char path[320];
    snprintf(path, sizeof path, "%s/juli.ini", s->dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "juli-bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "; written by juli-bench for one run\n");
    const proc_t *all[] = {&s->intake, &s->dispatch, &s->scoring};
    for (int i = 0; i < 3; i++)
        fprintf(f,
                "[%s]\napi = %s\nevents = %s\nmetrics = off\n"
                "db = %s/%s.db\nsynchronous = %s\n\n",
                all[i]->name, all[i]->api, all[i]->events, s->dir, all[i]->name,
                s->sync_full ? "full" : "normal");
    return fclose(f) == 0 ? 0 : -1;
}

static void s_dump_log(const proc_stack_t *s, const proc_t *p)
{
    char path[320], line[512];
    snprintf(path, sizeof path, "%s/%s.log", s->dir, p->name);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        fprintf(stderr, "  %s| %s", p->name, line);
    if (f)
        fclose(f);
}

/* An argv being built in one buffer. */
typedef struct {
    char *buf;
    size_t size, used;
    char **argv;
    int n, max;
} s_args_t;

static void s_add(s_args_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void s_add(s_args_t *a, const char *fmt, ...)
{
    if (a->n + 1 >= a->max || a->used >= a->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(a->buf + a->used, a->size - a->used, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= a->size - a->used)
        return;
    a->argv[a->n++] = a->buf + a->used;
    a->argv[a->n] = NULL;
    a->used += (size_t)len + 1;
}

/* The command line of P: its wrap words (split on spaces), the binary,
 * its flags. ARGV gets pointers into BUF. */
static void s_argv(const proc_stack_t *s, const proc_t *p, char *buf,
                   size_t size, char **argv, int max)
{
    s_args_t a = {.buf = buf, .size = size, .argv = argv, .max = max};
    char wrap[sizeof p->wrap];
    snprintf(wrap, sizeof wrap, "%s", p->wrap);
    char *save = NULL;
    for (char *w = strtok_r(wrap, " ", &save); w;
         w = strtok_r(NULL, " ", &save))
        s_add(&a, "%s", w);
    if (strcmp(p->name, "baseline") == 0) {
        s_add(&a, "%s", s->baseline);
        s_add(&a, "--api");
        s_add(&a, "%s", p->api);
        s_add(&a, "--db");
        s_add(&a, "%s/baseline.db", s->dir);
        s_add(&a, "--synchronous");
        s_add(&a, "%s", s->sync_full ? "full" : "normal");
    } else {
        s_add(&a, "%s/juli-%s", s->bin, p->name);
        s_add(&a, "-c");
        s_add(&a, "%s/juli.ini", s->dir);
    }
}

int proc_start(proc_stack_t *s, proc_t *p, int timeout_ms)
{
    if (s_write_config(s) < 0)
        return -1;
    char log[320], buf[2048];
    char *argv[64];
    snprintf(log, sizeof log, "%s/%s.log", s->dir, p->name);
    s_argv(s, p, buf, sizeof buf, argv, 64);

    /* The health probe connects first and retries every millisecond, so
     * the reply comes as soon as the daemon's loop runs. */
    void *zctx = zmq_ctx_new();
    void *z = zmq_socket(zctx, ZMQ_DEALER);
    int linger = 0, ivl = 1;
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(z, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_connect(z, p->api);

    uint64_t t0 = load_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "juli-bench: fork: %s\n", strerror(errno));
        zmq_close(z);
        zmq_ctx_term(zctx);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    p->pid = pid;
    p->owned = 1;
    /* A "health" request, in the envelope of a REQ. */
    static const char health[] = "\x81\xa4type\xa6health";
    zmq_send(z, "", 0, ZMQ_SNDMORE);
    zmq_send(z, health, sizeof health - 1, 0);
    int rc = -1;
    uint64_t deadline = t0 + (uint64_t)timeout_ms * 1000000u;
    while (load_now_ns() < deadline) {
        zmq_pollitem_t item = {.socket = z, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, 1) > 0) {
            p->cold_ns = load_now_ns() - t0;
            rc = 0;
            break;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            if (WIFEXITED(status))
                fprintf(stderr, "juli-bench: %s exited %d at start%s\n",
                        p->name, WEXITSTATUS(status),
                        WEXITSTATUS(status) == 127 ? " (cannot exec)" : "");
            else
                fprintf(stderr, "juli-bench: %s died of signal %d at start\n",
                        p->name, WTERMSIG(status));
            p->pid = 0;
            break;
        }
    }
    zmq_close(z);
    zmq_ctx_term(zctx);
    if (rc < 0) {
        if (p->pid)
            fprintf(stderr, "juli-bench: %s did not answer health in %d ms\n",
                    p->name, timeout_ms);
        s_dump_log(s, p);
        proc_stop(p);
    }
    return rc;
}

int proc_stop(proc_t *p)
{
    if (p->pid <= 0)
        return 0;
    if (!p->owned) {
        p->pid = 0;
        return 0;
    }
    kill(p->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 6000; i++) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD))
            break;
        if (i == 5999) {
            fprintf(stderr, "juli-bench: %s ignored SIGTERM: killed\n",
                    p->name);
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            p->pid = 0;
            return -1;
        }
        usleep(10000);
    }
    p->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int s_rm(const char *path, const struct stat *st, int flag,
                struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int proc_stack_cleanup(proc_stack_t *s)
{
    proc_t *all[] = {&s->scoring, &s->dispatch, &s->intake, &s->baseline_srv};
    int bad = 0;
    for (int i = 0; i < 4; i++)
        if (all[i]->pid > 0 && proc_stop(all[i]) != 0) {
            fprintf(stderr, "juli-bench: %s did not exit 0 on SIGTERM\n",
                    all[i]->name);
            s_dump_log(s, all[i]);
            bad++;
        }
    if (s->dir[0] && getenv("JULI_BENCH_KEEP") == NULL)
        nftw(s->dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
    return bad;
}

int proc_mem(pid_t pid, uint64_t *rss_kib, uint64_t *hwm_kib)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    *rss_kib = *hwm_kib = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (sscanf(line, "VmRSS: %llu", &v) == 1)
            *rss_kib = v;
        else if (sscanf(line, "VmHWM: %llu", &v) == 1)
            *hwm_kib = v;
    }
    fclose(f);
    return 0;
}

double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parens: fields resume after
     * the last ')'. utime and stime are fields 14 and 15; the one after
     * ')' is field 3. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    unsigned long long ut, st;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}
