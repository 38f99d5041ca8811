/*  proc: the daemons under test as child processes, and what /proc says
 *  about them.
 *
 *  A proc_stack_t is one temporary state dir (under TMPDIR or /tmp) with a
 *  generated juli.ini that puts the three daemons on free loopback ports,
 *  each with its store in the dir, metrics off and the chosen synchronous
 *  setting, so each daemon follows the others of its own stack. The
 *  baseline server runs from the same dir. A daemon is started with
 *  proc_start, which measures exec to the first health reply (the cold
 *  start), and dies with the benchmark whatever happens to it
 *  (PR_SET_PDEATHSIG). A daemon may also be one the caller started: then
 *  it is only measured, never signalled.
 */
#ifndef JULI_BENCH_PROC_H
#define JULI_BENCH_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    const char *name; /* "intake", ..., "baseline" */
    char api[64], events[64];
    char wrap[256];   /* a command line put before the binary, or "" */
    pid_t pid;        /* 0 when not running */
    int owned;        /* started by us: we stop it */
    uint64_t cold_ns; /* exec to first health reply, of the last start */
} proc_t;

typedef struct {
    char dir[256];
    char bin[256];      /* where juli-intake... are */
    char baseline[512]; /* the juli-baseline binary */
    int sync_full;      /* synchronous=FULL (1) or NORMAL (0) */
    proc_t intake, dispatch, scoring, baseline_srv;
} proc_stack_t;

/* A fresh state dir and free ports for every daemon; nothing started.
 * Returns 0, or -1 with a reason on stderr. */
int proc_stack_init(proc_stack_t *s, const char *bin, const char *baseline,
                    int sync_full);

/* Writes the stack's juli.ini, starts P and waits (at most TIMEOUT_MS) for
 * its first health reply. Returns 0, or -1 (its log is printed). */
int proc_start(proc_stack_t *s, proc_t *p, int timeout_ms);

/* Stops P with SIGTERM and waits. Returns the exit code (-1 when it died
 * of a signal or did not stop in 60 s: then it is killed). A daemon the
 * caller started is left alone (returns 0). */
int proc_stop(proc_t *p);

/* Stops every running daemon of S and removes its dir. Returns how many
 * daemons did not exit 0 on SIGTERM (a crash or a leak under ASan). */
int proc_stack_cleanup(proc_stack_t *s);

/* VmRSS and VmHWM of PID in KiB. Returns 0 or -1. */
int proc_mem(pid_t pid, uint64_t *rss_kib, uint64_t *hwm_kib);

/* User plus system CPU time of PID so far, in seconds (-1 on error). */
double proc_cpu_s(pid_t pid);

#endif
