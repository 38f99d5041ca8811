/*  ctl: one run of julictl, from its options to the replies it prints.
 *
 *  A ctl_t lives on main's stack for the whole run and travels to the
 *  command. It holds the global options (config file, endpoint overrides,
 *  --json, --timeout), the config once read, and a client per daemon the
 *  command talks to. It is not a long-lived object:
 *  main sets it up, the command uses it, main tears it down.
 *
 *  The command's side of it:
 *
 *    1. ctl_getopt parses the command's own options and takes the global
 *       ones wherever they stand (julictl list --json works), and --help;
 *    2. ctl_call sends one request and waits for its reply, and on failure
 *       has already said why on stderr and returns the exit code to give;
 *    3. the command prints the reply, human or JSON (ctl->json).
 *
 *  Exit codes are the CTL_EXIT_* values; only main calls exit.
 */
#ifndef JULICTL_CTL_H
#define JULICTL_CTL_H

#include <getopt.h>
#include <msgpack.h>
#include <signal.h>
#include <stdint.h>

#include "body.h"
#include "client.h"
#include "config.h"
#include "pack.h"

enum {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILED = 1,   /* the daemon said ok:false, or a local error */
    CTL_EXIT_USAGE = 2,    /* bad command line or config file */
    CTL_EXIT_NO_REPLY = 3, /* the daemon did not answer in time */
};

/* What ctl_getopt returns besides a command's own option values. */
enum { CTL_OPT_END = -1, CTL_OPT_HELP = -2, CTL_OPT_BAD = -3 };

/* Entries of a command's option table (ctl_getopt's OPTS). */
#define CTL_ARG(name, val)  {name, required_argument, NULL, val}
#define CTL_FLAG(name, val) {name, no_argument, NULL, val}
#define CTL_ARGS_END        {NULL, 0, NULL, 0}

/* The last lines of every command's --help. */
#define CTL_HELP_GLOBAL                                                       \
    "\nGlobal options (before or after the command): -c FILE, --api "      \
    "[NAME=]ENDPOINT,\n--json, --timeout MS; see 'julictl --help'.\n"

/* The --id line of a write's --help. */
#define CTL_HELP_ID                                                         \
    "  --id KEY   the idempotency key (default: a fresh one, printed)\n"

#define CTL_TIMEOUT_DEFAULT 5000
#define CTL_ID_SIZE         65 /* an idempotency key: 1..64 bytes + NUL */

typedef struct ctl ctl_t;

/* A command: its line in julictl --help, its own --help, and its body,
 * which gets the arguments from the command's name on and returns an exit
 * code. */
typedef struct {
    const char *name;    /* "submit" */
    const char *summary; /* one line for julictl --help */
    const char *help;    /* usage and options, for julictl CMD --help */
    int (*run)(ctl_t *ctl, int argc, char **argv);
} ctl_cmd_t;

struct ctl {
    /* Options, from the command line; NULL or 0 when not given. */
    const char *config_path; /* -c FILE */
    const char *api;         /* --api ENDPOINT: the one daemon's */
    const char *apis[3];     /* --api NAME=ENDPOINT: intake, dispatch,
                                scoring */
    const char *events;      /* --events ENDPOINT */
    int json;                /* --json */
    int timeout_ms;          /* --timeout MS */
    int quiet;               /* ctl_call says nothing on failure, on
                                stderr or (--json) stdout */
    int several;             /* set by a command that talks to more than
                                one daemon: a bare --api is refused */
    const ctl_cmd_t *cmd;    /* the command that runs */
    /* private */
    config_t *config;     /* read on first need */
    client_t *clients[3]; /* one per daemon, connected on first need */
    client_t *client;     /* the one of the daemon last talked to */
    char daemon[16];
    char api_daemon[16];  /* the daemon a bare --api went to, "" before */
    char endpoint[256];
    pack_t frame;         /* the request being sent */
    char curve_keys[3][41]; /* CURVE: own public, secret; the daemon's */
    bus_curve_t curve;
    struct option longopts[40];
    char progress[256];   /* the progress line shown, "" when none */
};

/* The config (-c FILE, else $JULI_CONFIG, else the built-in defaults),
 * read on first need, in *OUT (owned by CTL). Returns 0, or an exit code
 * after saying why. */
int ctl_config(ctl_t *ctl, const config_t **out);

/* Puts this process on the stack's clock, as every daemon of the stack
 * does: simulated (clock.h) when the config has a [clock] section, else
 * the real one. *START gets the simulated clock's start (the local
 * midnight of [clock] start, Unix ms), or 0 for the real clock. Returns
 * 0, or an exit code after saying why (a start that is not a date). */
int ctl_clock(ctl_t *ctl, int64_t *start);

/* The CURVE options for talking to DAEMON when the config turns CURVE on
 * ([security] curve, keys, client_key), else NULL, into *OUT (valid until
 * the next call). Returns 0, or an exit code after saying why. */
int ctl_curve(ctl_t *ctl, const char *daemon, const bus_curve_t **out);

/* Sets CTL to its defaults. */
void ctl_init(ctl_t *ctl);

/* Frees what CTL holds (client, config, buffers). */
void ctl_fini(ctl_t *ctl);

/* Applies the global option C (as in the long options of
 * ctl_global_options) with its value ARG. Returns 0 when taken, 1 when C
 * is not a global option, -1 when ARG is bad (said on stderr). */
int ctl_global_option(ctl_t *ctl, int c, const char *arg);

/* The global long options, ending with a zeroed entry. */
const struct option *ctl_global_options(void);

/* The next of the command's own options in ARGV (ARGV[0] is the command's
 * name), parsed by getopt_long with OPTS (ending with a zeroed entry) and
 * the global options. Returns an option's value (optarg holds its
 * argument), CTL_OPT_END when none is left (positional arguments are then
 * ARGV[optind..]), CTL_OPT_HELP once the command's help is printed, or
 * CTL_OPT_BAD once a one-line hint is printed. */
int ctl_getopt(ctl_t *ctl, int argc, char **argv, const struct option *opts);

/* What ctl_getopt's CTL_OPT_HELP (the help printed) and CTL_OPT_BAD mean
 * as an exit code. */
int ctl_opt_exit(int c);

/* Parses the command's options OPTS, each of which takes a value, into
 * BODY: the value under the option's own name, as a string, but "limit"
 * as a number in 1..1000. Returns CTL_OPT_END once all are read, else the
 * exit code (after the help or a usage line). */
int ctl_opts_body(ctl_t *ctl, int argc, char **argv,
                  const struct option *opts, body_t *body);

/* For "CMD WORD ARGS..." (grid define, member register, unit register):
 * checks that WORD comes first and that MIN to MAX arguments (WHAT) follow
 * it, the options being read already. Returns 0 with optind on the first
 * argument after WORD, or CTL_EXIT_USAGE after a usage line. */
int ctl_word(ctl_t *ctl, int argc, char **argv, const char *word, int min,
             int max, const char *what);

/* Reads a command's only option, --id KEY, into *ID (NULL when not
 * given). Returns CTL_OPT_END, or the exit code. */
int ctl_id_only(ctl_t *ctl, int argc, char **argv, const char **id);

/* Checks that MIN to MAX positional arguments (WHAT, for the message) are
 * left after the options. Returns 0, or CTL_EXIT_USAGE after a usage
 * line. */
int ctl_positionals(ctl_t *ctl, int argc, char **argv, int min, int max,
                    const char *what);

/* Prints "julictl CMD: <message> (see 'julictl CMD --help')" on stderr.
 * Returns CTL_EXIT_USAGE. */
int ctl_usage(ctl_t *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses S as a whole number in [MIN, MAX] for option WHAT. Returns 0, or
 * -1 after a usage line. */
int ctl_uint(ctl_t *ctl, const char *what, const char *s, uint64_t min,
             uint64_t max, uint64_t *out);

/* Takes the optional daemon argument ARGV[*I] (intake, dispatch or
 * scoring; advancing *I when it is one), else intake. Returns the name, or
 * NULL after a usage line when the argument is something else. */
const char *ctl_daemon_arg(ctl_t *ctl, int argc, char **argv, int *i);

/* The api (and events) endpoint of DAEMON: the override when given
 * (--api NAME=ENDPOINT for DAEMON, else a bare --api ENDPOINT), else the
 * config's. A bare --api stands for one daemon only: asking for a second
 * one, or for any under a command that talks to several, is refused. The
 * strings are CTL's. Returns 0, or an exit code after saying why (an
 * unreadable config file, a bare --api for a second daemon). */
int ctl_endpoints(ctl_t *ctl, const char *daemon, const char **api,
                  const char **events);

/* The config's section of DAEMON (its endpoints and db file) in *OUT,
 * owned by CTL. Returns 0, or an exit code after saying why (an
 * unreadable config file). */
int ctl_daemon_config(ctl_t *ctl, const char *daemon,
                      const config_daemon_t **out);

/* Writes the idempotency key of a write to ID: GIVEN (--id) when not
 * NULL, else "ctl-" and 16 random hex digits. Returns 0, or an exit code
 * after saying why. */
int ctl_id(ctl_t *ctl, const char *given, char id[CTL_ID_SIZE]);

/* Sends {type: TYPE, id: ID, body: BODY} (BODY NULL: an empty map) to
 * DAEMON's api and waits for its reply. A query passes ID NULL and gets a fresh one, so its reply can
 * be told from a late one. Returns CTL_EXIT_OK with the reply in *REPLY
 * (valid until the next ctl_call), or the exit code after saying why on
 * stderr: an ok:false reply, with --json also printed on stdout
 * (CTL_EXIT_FAILED), no reply in time (CTL_EXIT_NO_REPLY), a reply that
 * does not decode (CTL_EXIT_FAILED). */
int ctl_call(ctl_t *ctl, const char *daemon, const char *type,
             const char *id, const body_t *body, msgpack_object *reply);

/* Reads DAEMON's logged events after *AFTER, oldest first, one
 * events.since page at a time, and calls EACH(event, ARG) for every one,
 * until the daemon's last_seq as of the last page. *AFTER follows the
 * last event read, so a later call goes on from there. EACH must not
 * talk to a daemon (the page lives in the reply); a nonzero return stops
 * the reading. Returns 0, or the exit code after saying why (nothing said
 * when CTL is quiet). */
int ctl_events(ctl_t *ctl, const char *daemon, uint64_t *after,
               int (*each)(const msgpack_object *event, void *arg),
               void *arg);

/* ctl_call of the write TYPE under the idempotency key GIVEN (--id), or a
 * fresh one; the key used is written to ID. Returns the exit code; on 0
 * the reply is in *REPLY. */
int ctl_write(ctl_t *ctl, const char *daemon, const char *type,
              const char *given, const body_t *body, char id[CTL_ID_SIZE],
              msgpack_object *reply);

/* The two halves of ctl_call, for a command that keeps many requests in
 * flight on the one connection and matches replies by id itself.
 * ctl_send sends {type: TYPE, id: ID, body: BODY} to DAEMON (connecting
 * on first need: each daemon has its connection, kept for the run).
 * ctl_recv waits for the next reply on the connection last sent on,
 * whatever request it answers, and decodes it into *REPLY (valid until the next
 * ctl_recv or ctl_call). Both return 0, or the exit code after saying why
 * on stderr: CTL_EXIT_NO_REPLY (cannot send, or nothing in time),
 * CTL_EXIT_FAILED (a reply that does not decode). */
int ctl_send(ctl_t *ctl, const char *daemon, const char *type,
             const char *id, const body_t *body);
int ctl_recv(ctl_t *ctl, msgpack_object *reply);

/* True when REPLY says ok: true. */
int ctl_ok(const msgpack_object *reply);

/* Sends the query TYPE with BODY to DAEMON and prints the reply: as JSON
 * with --json, else with PRINT. Returns the exit code. */
int ctl_query(ctl_t *ctl, const char *daemon, const char *type,
              const body_t *body, void (*print)(const msgpack_object *reply));

/* A query of the one thing the command line names: no options of the
 * command's own, one positional argument sent as KEY of the body (and
 * named KEY in upper case in messages), the reply printed as ctl_query
 * does. Returns the exit code. */
int ctl_query_arg(ctl_t *ctl, int argc, char **argv, const char *daemon,
                  const char *type, const char *key,
                  void (*print)(const msgpack_object *reply));

/* ctl_query_arg with the command's options OPTS too, each added to the
 * body as ctl_opts_body does; KEY NULL for no positional argument at
 * all. Returns the exit code. */
int ctl_query_opts(ctl_t *ctl, int argc, char **argv,
                   const struct option *opts, const char *daemon,
                   const char *type, const char *key,
                   void (*print)(const msgpack_object *reply));

/* Prints the reply to a write: as JSON with --json, else "<KEY's value>
 * <status> (id ID)", status "done" when the reply has none. Returns the
 * exit code. */
int ctl_done(ctl_t *ctl, const msgpack_object *reply, const char *key,
             const char *id);

/* Shows the progress line printf FMT makes on stderr: on a terminal each
 * call rewrites the line in place; elsewhere (a log) nothing shows until
 * ctl_progress_done. */
void ctl_progress(ctl_t *ctl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Ends the progress line: its last state stays on stderr, on a line of
 * its own. Nothing when there is none. */
void ctl_progress_done(ctl_t *ctl);

/* Takes SIGINT and SIGTERM from their default action, for a command that
 * must end its work cleanly: blocks them, with the mask before in *OLD
 * (for sigprocmask(SIG_SETMASK, OLD) at the end), and returns a
 * non-blocking signalfd that reads them, or -1 after saying why. */
int ctl_signals(sigset_t *old);

/* True when the signalfd FD (ctl_signals) has a signal pending; takes
 * it. */
int ctl_signalled(int fd);

/* Makes room for one more item of SIZE bytes at the end of the array
 * *ITEMS (a pointer to the array's pointer; N used, *CAP allocated),
 * growing it by doubling. Returns the new item, zeroed (the caller counts
 * it), or NULL when out of memory. */
void *ctl_grow(void *items, size_t n, size_t *cap, size_t size);

/* FNV-1a (64 bits) of S[0..LEN): keys derived from content, such as the
 * idempotency keys of import and simulate. */
uint64_t ctl_fnv(const void *s, size_t len);

/* A monotonic clock, in milliseconds: for timeouts and durations. */
uint64_t ctl_mono_ms(void);

/* Sleeps MS milliseconds of real time. */
void ctl_sleep_ms(unsigned ms);

/* Prints REPLY as one JSON line on stdout. Returns CTL_EXIT_OK, or
 * CTL_EXIT_FAILED when stdout fails. */
int ctl_print_json(const msgpack_object *reply);

#endif
