/*  service_cmds: the requests every daemon answers (protocol: "Requests
 *  every daemon answers"): health, stats and one page of events.since.
 *
 *  Each takes an optional daemon name, intake by default, and prints the
 *  reply as "key: value" lines or a table; --json prints it raw.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "show.h"
#include "table.h"

#define EVENTS_LIMIT_MAX 10000
#define SUMMARY_WIDTH    60

static const struct option s_no_opts[] = {CTL_ARGS_END};

static void s_pairs(const msgpack_object *reply)
{
    show_pairs(stdout, reply);
}

/* health and stats: no body, and the reply's fields as lines. */
static int s_query(ctl_t *ctl, int argc, char **argv, const char *type)
{
    int c = ctl_getopt(ctl, argc, argv, s_no_opts);
    if (c != CTL_OPT_END) /* help, or a bad option: no options of its own */
        return ctl_opt_exit(c);
    int i = optind;
    const char *daemon = ctl_daemon_arg(ctl, argc, argv, &i);
    if (!daemon)
        return CTL_EXIT_USAGE;
    if (i < argc)
        return ctl_usage(ctl, "unexpected argument '%s'", argv[i]);
    body_t body;
    body_init(&body);
    int rc = ctl_query(ctl, daemon, type, &body, s_pairs);
    body_free(&body);
    return rc;
}

static int s_health(ctl_t *ctl, int argc, char **argv)
{
    return s_query(ctl, argc, argv, "health");
}

static int s_stats(ctl_t *ctl, int argc, char **argv)
{
    return s_query(ctl, argc, argv, "stats");
}

const ctl_cmd_t cmd_health = {
    "health",
    "ask a daemon whether it is up: version, last event, uptime",
    "Usage: julictl health [intake|dispatch|scoring]\n"
    "Asks the daemon (intake by default) for its health: service, version,\n"
    "last_seq (its last durable event) and uptime_s.\n" CTL_HELP_GLOBAL,
    s_health,
};

const ctl_cmd_t cmd_stats = {
    "stats",
    "a daemon's counters (requests or tasks by status)",
    "Usage: julictl stats [intake|dispatch|scoring]\n"
    "Prints the daemon's counters (intake by default): intake counts its\n"
    "requests by status (requests.accepted: 3), dispatch its tasks\n"
    "(tasks.assigned: 2) and how far it has applied intake's events\n"
    "(intake_applied); both give last_seq, their last event.\n"
    CTL_HELP_GLOBAL,
    s_stats,
};

/* -- events ---------------------------------------------------------------- */

enum { O_AFTER = 256, O_LIMIT };

static const struct option s_events_opts[] = {
    {"after", required_argument, NULL, O_AFTER},
    {"limit", required_argument, NULL, O_LIMIT},
    {NULL, 0, NULL, 0},
};

/* Prints the events of one events.since reply as a table. */
static void s_events_table(const msgpack_object *events, uint64_t last_seq)
{
    static const char *const headers[] = {"SEQ", "TYPE", "TIME", "DATA"};
    table_t *t = table_new(4, headers);
    if (!t)
        return;
    uint64_t last = 0;
    for (uint32_t i = 0; i < events->via.array.size; i++) {
        const msgpack_object *e = &events->via.array.ptr[i];
        char when[32], summary[4 * SUMMARY_WIDTH + 8];
        last = show_uint(e, "seq", last);
        table_row(t);
        show_cell(t, show_get(e, "seq"));
        show_cell(t, show_get(e, "type"));
        table_cellf(t, "%s", show_time(show_uint(e, "ts", 0), when));
        show_summary(show_get(e, "data"), SUMMARY_WIDTH, summary,
                     sizeof summary);
        table_cell(t, summary, strlen(summary));
    }
    table_print(t, stdout);
    table_destroy(&t);
    if (last && last < last_seq)
        printf("next: --after %" PRIu64 "\n", last);
}

static int s_events(ctl_t *ctl, int argc, char **argv)
{
    uint64_t after = 0, limit = 0;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_events_opts)) !=
                CTL_OPT_END;) {
        switch (c) {
        case O_AFTER:
            if (ctl_uint(ctl, "--after", optarg, 0, UINT64_MAX, &after) < 0)
                return CTL_EXIT_USAGE;
            break;
        case O_LIMIT:
            if (ctl_uint(ctl, "--limit", optarg, 1, EVENTS_LIMIT_MAX,
                         &limit) < 0)
                return CTL_EXIT_USAGE;
            break;
        case CTL_OPT_HELP: return CTL_EXIT_OK;
        default: return CTL_EXIT_USAGE;
        }
    }
    int i = optind;
    const char *daemon = ctl_daemon_arg(ctl, argc, argv, &i);
    if (!daemon)
        return CTL_EXIT_USAGE;
    if (i < argc)
        return ctl_usage(ctl, "unexpected argument '%s'", argv[i]);
    body_t body;
    body_init(&body);
    body_uint(&body, "after", after);
    if (limit)
        body_uint(&body, "limit", limit);
    msgpack_object reply;
    int rc = ctl_call(ctl, daemon, "events.since", NULL, &body, &reply);
    body_free(&body);
    if (rc)
        return rc;
    const msgpack_object *events = show_get(&reply, "events");
    if (!events || events->type != MSGPACK_OBJECT_ARRAY) {
        fprintf(stderr, "julictl: bad reply: no events array\n");
        return CTL_EXIT_FAILED;
    }
    if (!ctl->json) {
        s_events_table(events, show_uint(&reply, "last_seq", 0));
        return CTL_EXIT_OK;
    }
    for (uint32_t k = 0; k < events->via.array.size; k++) {
        json_print(stdout, &events->via.array.ptr[k]);
        putchar('\n');
    }
    return fflush(stdout) == 0 ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

const ctl_cmd_t cmd_events = {
    "events",
    "one page of a daemon's event log",
    "Usage: julictl events [intake|dispatch|scoring] [--after SEQ] "
    "[--limit N]\n"
    "Prints the events with seq > SEQ (default 0) from the daemon's log\n"
    "(intake by default), at most N (default 1000, at most 10000), as a\n"
    "table with a one-line summary of each event's data, and 'next: --after\n"
    "SEQ' when there are more. With --json, one event per line, as JSON,\n"
    "the way 'julictl tail' prints them.\n"
    "\n"
    "  --after SEQ   start after this seq\n"
    "  --limit N     at most N events\n" CTL_HELP_GLOBAL,
    s_events,
};
