/*  tail: a daemon's events as they happen, one JSON line each, none lost.
 *
 *  PUB may drop messages, so tail trusts the log, not the subscription:
 *
 *    1. subscribe first (topic ""), so nothing published from now on is
 *       missed while catching up;
 *    2. start from --after SEQ, catching up with events.since pages, or,
 *       without --after, from the daemon's last_seq (health): only what
 *       happens from now on;
 *    3. for each published event: seq <= last printed is a duplicate and
 *       is skipped; seq > last + 1 is a gap, filled from events.since
 *       before the event itself is printed;
 *    4. when the subscription is quiet for IDLE_MS, ask events.since
 *       anyway: the last events before a lull may have been dropped.
 *
 *  So the output is every event after the start, in seq order, each once.
 *  When the api cannot fill a gap, the event waits in the log rather than
 *  being printed out of order; the next catch-up prints it. Every line is
 *  flushed as it is written. SIGINT and SIGTERM are taken through a
 *  signalfd polled with the socket, and end the run with exit 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "cmds.h"
#include "frame.h"
#include "json.h"
#include "show.h"

#define IDLE_MS 3000

typedef struct {
    ctl_t *ctl;
    const char *daemon;
    uint64_t last;   /* seq of the last event printed, or the start */
    int sigfd;       /* SIGINT, SIGTERM */
    int stop;        /* one of them came */
    int silent;      /* ctl_call failed once: say nothing until it works */
    int broken;      /* stdout failed */
    void *zctx, *sub;
    frame_decoder_t *decoder;
} s_tail_t;

enum { O_AFTER = 256 };

static const struct option s_opts[] = {
    {"after", required_argument, NULL, O_AFTER},
    {NULL, 0, NULL, 0},
};

/* Prints the event E as one JSON line and flushes. Returns 0 or -1. */
static int s_print(s_tail_t *t, const msgpack_object *e, uint64_t seq)
{
    json_print(stdout, e);
    putchar('\n');
    if (fflush(stdout) != 0)
        return -1;
    t->last = seq;
    return 0;
}

/* True once SIGINT or SIGTERM is pending; drains it. */
static int s_signalled(s_tail_t *t)
{
    if (!t->stop && ctl_signalled(t->sigfd))
        t->stop = 1;
    return t->stop;
}

/* Prints the logged event E (ctl_events' EACH). Nonzero stops the
 * reading: stdout failed (t->broken), or a signal came. */
static int s_on_logged(const msgpack_object *e, void *arg)
{
    s_tail_t *t = arg;
    if (s_print(t, e, show_uint(e, "seq", 0)) < 0) {
        t->broken = 1;
        return 1;
    }
    return s_signalled(t);
}

/* What s_catch_up returns besides 0. */
enum { CATCH_UP_LATER = -1, CATCH_UP_STDOUT = -2 };

/* Prints the logged events after t->last, page by page, until the
 * daemon's last_seq. Returns 0; CATCH_UP_LATER when the api did not
 * answer (said once on stderr until it answers again); CATCH_UP_STDOUT
 * when stdout failed. */
static int s_catch_up(s_tail_t *t)
{
    if (s_signalled(t))
        return 0;
    uint64_t after = t->last;
    t->ctl->quiet = t->silent;
    int rc = ctl_events(t->ctl, t->daemon, &after, s_on_logged, t);
    t->ctl->quiet = 0;
    if (t->broken)
        return CATCH_UP_STDOUT;
    t->silent = rc != 0;
    return rc ? CATCH_UP_LATER : 0;
}

/* Takes one published message ([topic] [event]) off the socket and
 * prints what it brings. Returns 0, or -1 when stdout failed. */
static int s_on_message(s_tail_t *t)
{
    zmq_msg_t parts[2], extra;
    size_t n = 0;     /* frames kept in parts */
    int more = 1, whole = 0, surplus = 0, rc = 0;
    while (more) {
        zmq_msg_t *m = n < 2 ? &parts[n] : &extra;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, t->sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(m);
            break;
        }
        more = zmq_msg_more(m);
        whole = !more;
        if (m == &extra) {
            zmq_msg_close(m);
            surplus = 1;
        } else
            n++;
    }
    msgpack_object e;
    char err[256];
    uint64_t seq;
    if (!whole || surplus || n != 2 ||
        frame_decode(t->decoder, zmq_msg_data(&parts[1]),
                     zmq_msg_size(&parts[1]), &e, err, sizeof err) < 0 ||
        (seq = show_uint(&e, "seq", 0)) <= t->last)
        goto done; /* not an event, or one already printed */
    if (seq > t->last + 1) {
        rc = s_catch_up(t);
        if (rc == CATCH_UP_STDOUT)
            goto done;
        rc = 0;
        if (seq > t->last + 1)
            goto done; /* the gap stays open: the log brings it later */
    }
    if (seq > t->last)
        rc = s_print(t, &e, seq);
done:
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&parts[i]);
    return rc;
}

/* Opens the SUB socket on ENDPOINT, with CURVE when the config has it.
 * Returns 0, or -1 after saying why. */
static int s_subscribe(s_tail_t *t, const char *endpoint)
{
    const bus_curve_t *c;
    if (ctl_curve(t->ctl, t->daemon, &c))
        return -1;
    int linger = 0;
    char err[256];
    t->zctx = zmq_ctx_new();
    if (!t->zctx || !(t->sub = zmq_socket(t->zctx, ZMQ_SUB)) ||
        zmq_setsockopt(t->sub, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        bus_curve_apply(t->sub, c, err, sizeof err) < 0 ||
        zmq_setsockopt(t->sub, ZMQ_SUBSCRIBE, "", 0) < 0 ||
        zmq_connect(t->sub, endpoint) < 0) {
        fprintf(stderr, "julictl: cannot subscribe to %s: %s\n", endpoint,
                zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Catches up, then prints published events until a signal. Returns an
 * exit code. */
static int s_follow(s_tail_t *t)
{
    if (s_catch_up(t) == CATCH_UP_STDOUT)
        return CTL_EXIT_FAILED;
    while (!t->stop) {
        zmq_pollitem_t items[2] = {{t->sub, 0, ZMQ_POLLIN, 0},
                                   {NULL, t->sigfd, ZMQ_POLLIN, 0}};
        int n = zmq_poll(items, 2, IDLE_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "julictl: poll: %s\n", zmq_strerror(errno));
            return CTL_EXIT_FAILED;
        }
        if (items[1].revents & ZMQ_POLLIN && s_signalled(t))
            break;
        int rc = 0;
        if (items[0].revents & ZMQ_POLLIN)
            rc = s_on_message(t);
        else if (n == 0 && s_catch_up(t) == CATCH_UP_STDOUT)
            rc = -1;
        if (rc < 0)
            return CTL_EXIT_FAILED; /* stdout failed */
    }
    return CTL_EXIT_OK;
}

static int s_tail(ctl_t *ctl, int argc, char **argv)
{
    s_tail_t t = {.ctl = ctl, .sigfd = -1};
    int have_after = 0;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_opts)) != CTL_OPT_END;) {
        if (c != O_AFTER)
            return c == CTL_OPT_HELP ? CTL_EXIT_OK : CTL_EXIT_USAGE;
        if (ctl_uint(ctl, "--after", optarg, 0, UINT64_MAX, &t.last) < 0)
            return CTL_EXIT_USAGE;
        have_after = 1;
    }
    int i = optind;
    if (!(t.daemon = ctl_daemon_arg(ctl, argc, argv, &i)))
        return CTL_EXIT_USAGE;
    if (i < argc)
        return ctl_usage(ctl, "unexpected argument '%s'", argv[i]);
    const char *events;
    int rc = ctl_endpoints(ctl, t.daemon, NULL, &events);
    if (rc)
        return rc;

    sigset_t old;
    frame_limits_t lim = frame_limits_reply(); /* what daemons send */
    rc = CTL_EXIT_FAILED;
    if ((t.sigfd = ctl_signals(&old)) < 0)
        goto done;
    if (!(t.decoder = frame_decoder_new(&lim))) {
        fprintf(stderr, "julictl: out of memory\n");
        goto done;
    }
    if (s_subscribe(&t, events) < 0)
        goto done;
    if (!have_after) {
        body_t body;
        body_init(&body);
        msgpack_object reply;
        rc = ctl_call(ctl, t.daemon, "health", NULL, &body, &reply);
        body_free(&body);
        if (rc)
            goto done;
        t.last = show_uint(&reply, "last_seq", 0);
    }
    rc = s_follow(&t);
done:
    if (t.sub)
        zmq_close(t.sub);
    if (t.zctx)
        zmq_ctx_term(t.zctx);
    frame_decoder_destroy(&t.decoder);
    if (t.sigfd >= 0)
        close(t.sigfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}

const ctl_cmd_t cmd_tail = {
    "tail",
    "follow a daemon's events live, as JSON lines",
    "Usage: julictl tail [intake|dispatch|scoring] [--after SEQ] "
    "[--events ENDPOINT]\n"
    "Prints the daemon's events (intake by default) as they happen, one\n"
    "JSON object per line, in seq order, each once: a dropped message is\n"
    "fetched from the daemon's log. With --after SEQ, first prints the\n"
    "logged events after SEQ; without it, starts from now. Runs until\n"
    "SIGINT or SIGTERM, then exits 0.\n"
    "\n"
    "  --after SEQ          start after this seq\n"
    "  --events ENDPOINT    the events endpoint (PUB) to subscribe to\n"
    CTL_HELP_GLOBAL,
    s_tail,
};
