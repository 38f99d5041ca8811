/*  scoring_cmds: scoring's requests from the command line (protocol:
 *  "Scoring: service points and star ratings").
 *
 *    member register  -> member.register   leaderboard      -> leaderboard
 *    points           -> points.get        ratings compute  -> ratings.compute
 *    ledger           -> ledger            ratings [list]   -> ratings.list
 *    volunteer        -> volunteer.log     verify           -> ledger.verify
 *    adjust           -> points.adjust
 *
 *  The writes (member register, volunteer, adjust, ratings compute) send
 *  an idempotency key, --id KEY or a fresh one, and print it, as the
 *  other daemons' writes do. Points are whole numbers for a member; the
 *  averages of groups and branches print with two decimals at most.
 *  There is no request that lists the members: 'leaderboard' shows them
 *  all, those without points included.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "show.h"
#include "table.h"

#define DAEMON       "scoring"
#define REASON_WIDTH 40 /* display columns of a ledger entry's reason */
#define STARS_MAX    5

enum {
    O_ID = 256,
    O_PERIOD,
    O_AFTER,
    O_LIMIT,
    O_SCOPE,
    O_HOURS,
    O_ACTIVITY,
    O_DATE,
    O_POINTS,
    O_REASON,
    O_BY,
};

/* The integer O (negative ones too), or 0 when it is not one. */
static int64_t s_int(const msgpack_object *o)
{
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return o->via.u64 > INT64_MAX ? INT64_MAX : (int64_t)o->via.u64;
    if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return 0;
}

/* Adds points O as a cell, as show_points writes them. */
static void s_points_cell(table_t *t, const msgpack_object *o)
{
    char buf[32];
    table_cellf(t, "%s", show_points(o, buf));
}

/* -- member register ------------------------------------------------------- */


static int s_member(ctl_t *ctl, int argc, char **argv)
{
    const char *given_id;
    int rc = ctl_id_only(ctl, argc, argv, &given_id);
    if (rc != CTL_OPT_END ||
        (rc = ctl_word(ctl, argc, argv, "register", 4, 4,
                       "ID NAME GROUP BRANCH")))
        return rc;
    char **arg = argv + optind;
    body_t body;
    body_init(&body);
    body_str(&body, "id", arg[0]);
    body_str(&body, "name", arg[1]);
    body_str(&body, "group", arg[2]);
    body_str(&body, "branch", arg[3]);
    char id[CTL_ID_SIZE];
    msgpack_object reply;
    rc = ctl_write(ctl, DAEMON, "member.register", given_id, &body, id,
                   &reply);
    body_free(&body);
    if (rc || ctl->json)
        return rc ? rc : ctl_print_json(&reply);
    printf("member %s registered: %s, group %s, branch %s (id %s)\n",
           arg[0], arg[1], arg[2], arg[3], id);
    return CTL_EXIT_OK;
}

const ctl_cmd_t cmd_member = {
    "member",
    "register ID NAME GROUP BRANCH: add or change a party member",
    "Usage: julictl member register ID NAME GROUP BRANCH [--id KEY]\n"
    "Registers the party member ID called NAME in the party group GROUP\n"
    "(党小组) of the branch BRANCH (支部), or changes their record. Points\n"
    "a member earned before registering count from then on.\n"
    "\n" CTL_HELP_ID CTL_HELP_GLOBAL,
    s_member,
};

/* -- points ---------------------------------------------------------------- */

static const struct option s_points_opts[] = {
    CTL_ARG("period", O_PERIOD),
    CTL_ARGS_END,
};

static void s_show_points(const msgpack_object *reply)
{
    char member[72], period[16];
    if (!show_str(reply, "member", member, sizeof member))
        snprintf(member, sizeof member, "?");
    if (!show_str(reply, "period", period, sizeof period) ||
        strcmp(period, "all") == 0)
        snprintf(period, sizeof period, "all time");
    printf("%s: %" PRId64 " points (%s)\n", member,
           s_int(show_get(reply, "points")), period);
}

static int s_points(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_opts(ctl, argc, argv, s_points_opts, DAEMON,
                          "points.get", "member", s_show_points);
}

const ctl_cmd_t cmd_points = {
    "points",
    "a member's service points, all time or in a period",
    "Usage: julictl points MEMBER [--period P]\n"
    "Prints the points the member MEMBER holds: the sum of their ledger\n"
    "entries, in the period P or of all time.\n"
    "\n"
    "  --period P   YYYY, YYYY-Qn or YYYY-MM (default: all time)\n"
    CTL_HELP_GLOBAL,
    s_points,
};

/* -- ledger ---------------------------------------------------------------- */

static const struct option s_ledger_opts[] = {
    CTL_ARG("after", O_AFTER),
    CTL_ARG("limit", O_LIMIT),
    CTL_ARGS_END,
};

static void s_ledger_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"ENTRY", "TIME", "POINTS",
                                          "KIND",  "BY",   "REASON"};
    uint32_t n;
    const msgpack_object *e = show_array(reply, "entries", &n);
    table_t *t = table_new(6, headers);
    if (!t)
        return;
    table_max_width(t, 5, REASON_WIDTH);
    for (uint32_t i = 0; i < n; i++) {
        char when[32];
        table_row(t);
        show_cell(t, show_get(&e[i], "entry"));
        table_cellf(t, "%s", show_when(&e[i], "ts", when));
        table_cellf(t, "%+" PRId64, s_int(show_get(&e[i], "points")));
        show_cell(t, show_get(&e[i], "kind"));
        show_cell(t, show_get(&e[i], "by"));
        show_cell(t, show_get(&e[i], "reason"));
    }
    table_print(t, stdout);
    table_destroy(&t);
    show_next(reply);
}

static int s_ledger(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_opts(ctl, argc, argv, s_ledger_opts, DAEMON, "ledger",
                          "member", s_ledger_table);
}

const ctl_cmd_t cmd_ledger = {
    "ledger",
    "a member's ledger entries, oldest first",
    "Usage: julictl ledger MEMBER [--after CURSOR] [--limit N]\n"
    "Lists the ledger entries of the member MEMBER, oldest first, and\n"
    "'next: CURSOR' when there are more. TIME places the entry in a\n"
    "period (the task's closing, the day of volunteer service, or the\n"
    "moment of an adjustment); KIND is task, volunteer or adjust; BY who\n"
    "resolved the task, logged the service or made the adjustment.\n"
    "\n"
    "  --after CURSOR  the page after the one that printed CURSOR\n"
    "  --limit N       at most N entries (default 100, at most 1000)\n"
    CTL_HELP_GLOBAL,
    s_ledger,
};

/* -- leaderboard ----------------------------------------------------------- */

static const struct option s_board_opts[] = {
    CTL_ARG("scope", O_SCOPE),
    CTL_ARG("period", O_PERIOD),
    CTL_ARG("limit", O_LIMIT),
    CTL_ARGS_END,
};

void board_table(const msgpack_object *o, const char *items)
{
    static const char *const headers[] = {"RANK", "ID", "NAME", "POINTS"};
    uint32_t n;
    const msgpack_object *r = show_array(o, items, &n);
    table_t *t = table_new(4, headers);
    if (!t)
        return;
    for (uint32_t i = 0; i < n; i++) {
        table_row(t);
        table_cellf(t, "%" PRIu32, i + 1);
        show_cell(t, show_get(&r[i], "id"));
        show_cell(t, show_get(&r[i], "name"));
        s_points_cell(t, show_get(&r[i], "points"));
    }
    table_print(t, stdout);
    table_destroy(&t);
}

static void s_board_table(const msgpack_object *reply)
{
    board_table(reply, "rows");
}

static int s_leaderboard(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_opts(ctl, argc, argv, s_board_opts, DAEMON,
                          "leaderboard", NULL, s_board_table);
}

const ctl_cmd_t cmd_leaderboard = {
    "leaderboard",
    "members, party groups or branches by their points",
    "Usage: julictl leaderboard --scope member|group|branch [--period P]\n"
    "                           [--limit N]\n"
    "Ranks the members, party groups (党小组) or branches (支部) by their\n"
    "points, highest first (ties by id). Members without points count\n"
    "with 0; an id with points that never registered has no NAME. A\n"
    "group's or branch's POINTS is the average over its registered\n"
    "members.\n"
    "\n"
    "  --scope S    member, group or branch\n"
    "  --period P   YYYY, YYYY-Qn or YYYY-MM (default: all time)\n"
    "  --limit N    the first N rows (default 100, at most 1000)\n"
    CTL_HELP_GLOBAL,
    s_leaderboard,
};

/* -- ratings --------------------------------------------------------------- */

static const struct option s_ratings_opts[] = {
    CTL_ARG("scope", O_SCOPE),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

void stars_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"SCOPE", "RATED", "0★", "1★",
                                          "2★",    "3★",    "4★", "5★"};
    static const char *const scopes[] = {"members", "groups", "branches"};
    table_t *t = table_new(8, headers);
    if (!t)
        return;
    for (size_t i = 0; i < 3; i++) {
        const msgpack_object *s = show_get(reply, scopes[i]);
        uint32_t n;
        const msgpack_object *stars = show_array(s, "stars", &n);
        table_row(t);
        table_cellf(t, "%s", scopes[i]);
        show_cell(t, show_get(s, "rated"));
        for (uint32_t k = 0; k <= STARS_MAX; k++)
            show_cell(t, k < n ? &stars[k] : NULL);
    }
    table_print(t, stdout);
    table_destroy(&t);
}

static void s_ratings_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"SCOPE", "ID", "POINTS",
                                          "STARS"};
    static const char full[] = "★", empty[] = "☆";
    uint32_t n;
    const msgpack_object *r = show_array(reply, "ratings", &n);
    table_t *t = table_new(4, headers);
    if (!t)
        return;
    for (uint32_t i = 0; i < n; i++) {
        int64_t stars = s_int(show_get(&r[i], "stars"));
        char bar[8 * STARS_MAX + 8];
        int len = snprintf(bar, sizeof bar, "%" PRId64 " ", stars);
        for (int64_t k = 0; k < STARS_MAX && len > 0; k++)
            len += snprintf(bar + len, sizeof bar - (size_t)len, "%s",
                            k < stars ? full : empty);
        table_row(t);
        show_cell(t, show_get(&r[i], "scope"));
        show_cell(t, show_get(&r[i], "id"));
        s_points_cell(t, show_get(&r[i], "points"));
        table_cellf(t, "%s", bar);
    }
    table_print(t, stdout);
    table_destroy(&t);
}

static int s_ratings(ctl_t *ctl, int argc, char **argv)
{
    const char *scope = NULL, *given_id = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_ratings_opts)) !=
                CTL_OPT_END;) {
        if (c == O_SCOPE)
            scope = optarg;
        else if (c == O_ID)
            given_id = optarg;
        else
            return ctl_opt_exit(c);
    }
    const char *sub = optind < argc ? argv[optind] : "";
    int compute = strcmp(sub, "compute") == 0;
    if (compute || strcmp(sub, "list") == 0)
        optind++;
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "PERIOD");
    if (rc)
        return rc;
    if (compute && scope)
        return ctl_usage(ctl, "--scope is for 'ratings list'");
    if (!compute && given_id)
        return ctl_usage(ctl, "--id is for 'ratings compute'");
    const char *period = argv[optind];
    body_t body;
    body_init(&body);
    body_str(&body, "period", period);
    body_str(&body, "scope", scope);
    if (!compute) {
        rc = ctl_query(ctl, DAEMON, "ratings.list", &body, s_ratings_table);
        body_free(&body);
        return rc;
    }
    char id[CTL_ID_SIZE];
    msgpack_object reply;
    rc = ctl_write(ctl, DAEMON, "ratings.compute", given_id, &body, id,
                   &reply);
    body_free(&body);
    if (rc || ctl->json)
        return rc ? rc : ctl_print_json(&reply);
    printf("ratings of %s computed (id %s)\n", period, id);
    stars_table(&reply);
    return CTL_EXIT_OK;
}

const ctl_cmd_t cmd_ratings = {
    "ratings",
    "compute the star ratings of a period, or list them",
    "Usage: julictl ratings compute PERIOD [--id KEY]\n"
    "       julictl ratings [list] PERIOD [--scope S]\n"
    "compute rates every registered member, party group and branch with\n"
    "0 to 5 stars (星级) by their points in PERIOD and the configured\n"
    "thresholds, publishes the ratings that are new or changed, and\n"
    "prints how many of each scope got how many stars. Computing a period\n"
    "again changes only what changed since.\n"
    "list prints the ratings computed for PERIOD, best first per scope.\n"
    "\n"
    "  --scope S   list only member, group or branch ratings\n"
    CTL_HELP_ID CTL_HELP_GLOBAL,
    s_ratings,
};

/* -- volunteer and adjust -------------------------------------------------- */

static const struct option s_volunteer_opts[] = {
    CTL_ARG("hours", O_HOURS), CTL_ARG("activity", O_ACTIVITY),
    CTL_ARG("date", O_DATE),   CTL_ARG("by", O_BY),
    CTL_ARG("id", O_ID),       CTL_ARGS_END,
};

static const struct option s_adjust_opts[] = {
    CTL_ARG("points", O_POINTS), CTL_ARG("reason", O_REASON),
    CTL_ARG("by", O_BY),         CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

/* Parses S as a number for option WHAT: with WHOLE a whole number (a sign
 * allowed), else any finite one. Returns 0, or -1 after a usage line. */
static int s_number(ctl_t *ctl, const char *what, const char *s, int whole,
                    double *out)
{
    char *end;
    errno = 0;
    double v = whole ? (double)strtoll(s, &end, 10) : strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) {
        ctl_usage(ctl, "%s: '%s' is not a %snumber", what, s,
                  whole ? "whole " : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* volunteer (s_volunteer_opts) and adjust (s_adjust_opts): MEMBER and the
 * options OPTS has, all required; prints "MEMBER +N points (id KEY)". */
static int s_award(ctl_t *ctl, int argc, char **argv, const char *type,
                   const struct option *opts)
{
    const char *activity = NULL, *date = NULL, *reason = NULL, *by = NULL,
               *given_id = NULL;
    double hours = 0, points = 0;
    int has_number = 0;
    for (int c; (c = ctl_getopt(ctl, argc, argv, opts)) != CTL_OPT_END;) {
        switch (c) {
        case O_HOURS:
        case O_POINTS:
            if (s_number(ctl, c == O_HOURS ? "--hours" : "--points", optarg,
                         c == O_POINTS, c == O_HOURS ? &hours : &points) <
                0)
                return CTL_EXIT_USAGE;
            has_number = 1;
            break;
        case O_ACTIVITY: activity = optarg; break;
        case O_DATE: date = optarg; break;
        case O_REASON: reason = optarg; break;
        case O_BY: by = optarg; break;
        case O_ID: given_id = optarg; break;
        default: return ctl_opt_exit(c);
        }
    }
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "MEMBER");
    if (rc)
        return rc;
    int volunteer = opts == s_volunteer_opts;
    if (volunteer && (!has_number || !activity || !date || !by))
        return ctl_usage(ctl, "--hours, --activity, --date and --by are "
                              "required");
    if (!volunteer && (!has_number || !reason || !by))
        return ctl_usage(ctl, "--points, --reason and --by are required");
    body_t body;
    body_init(&body);
    body_str(&body, "member", argv[optind]);
    if (volunteer)
        body_double(&body, "hours", hours);
    else
        body_int(&body, "points", (int64_t)points);
    body_str(&body, "activity", activity);
    body_str(&body, "date", date);
    body_str(&body, "reason", reason);
    body_str(&body, "by", by);
    char id[CTL_ID_SIZE];
    msgpack_object reply;
    rc = ctl_write(ctl, DAEMON, type, given_id, &body, id, &reply);
    body_free(&body);
    if (rc || ctl->json)
        return rc ? rc : ctl_print_json(&reply);
    printf("%s %+" PRId64 " points (id %s)\n", argv[optind],
           s_int(show_get(&reply, "points")), id);
    return CTL_EXIT_OK;
}

static int s_volunteer(ctl_t *ctl, int argc, char **argv)
{
    return s_award(ctl, argc, argv, "volunteer.log", s_volunteer_opts);
}

static int s_adjust(ctl_t *ctl, int argc, char **argv)
{
    return s_award(ctl, argc, argv, "points.adjust", s_adjust_opts);
}

const ctl_cmd_t cmd_volunteer = {
    "volunteer",
    "log a member's hours of volunteer service (patrols)",
    "Usage: julictl volunteer MEMBER --hours H --activity TEXT --date "
    "YYYY-MM-DD\n"
    "                         --by ID [--id KEY]\n"
    "Logs H hours of service outside tasks (a patrol, a campaign) by the\n"
    "member MEMBER on the given day, which earn H × per_hour points, and\n"
    "prints them.\n"
    "\n"
    "  --hours H        hours of service, in (0, 24]\n"
    "  --activity TEXT  what was done\n"
    "  --date D         the day of the service, YYYY-MM-DD\n"
    "  --by ID          the staff member who logs it\n" CTL_HELP_ID
    CTL_HELP_GLOBAL,
    s_volunteer,
};

const ctl_cmd_t cmd_adjust = {
    "adjust",
    "correct a member's points with a signed entry",
    "Usage: julictl adjust MEMBER --points N --reason TEXT --by ID "
    "[--id KEY]\n"
    "Adds a correction of N points (negative to take points away) to the\n"
    "ledger of the member MEMBER. The ledger is append-only: a mistake is\n"
    "corrected by another adjustment, never edited.\n"
    "\n"
    "  --points N     a whole number, not 0, at most 100000 either way\n"
    "  --reason TEXT  why, for the ledger\n"
    "  --by ID        the administrator who makes it\n" CTL_HELP_ID
    CTL_HELP_GLOBAL,
    s_adjust,
};

/* -- verify ---------------------------------------------------------------- */

static const struct option s_no_opts[] = {CTL_ARGS_END};

static int s_verify(ctl_t *ctl, int argc, char **argv)
{
    int c = ctl_getopt(ctl, argc, argv, s_no_opts);
    if (c != CTL_OPT_END)
        return ctl_opt_exit(c);
    int rc = ctl_positionals(ctl, argc, argv, 0, 0, "");
    if (rc)
        return rc;
    body_t body;
    body_init(&body);
    msgpack_object reply;
    rc = ctl_call(ctl, DAEMON, "ledger.verify", NULL, &body, &reply);
    body_free(&body);
    if (rc)
        return rc;
    const msgpack_object *intact = show_get(&reply, "intact");
    int ok = intact && intact->type == MSGPACK_OBJECT_BOOLEAN &&
             intact->via.boolean;
    if (ctl->json)
        rc = ctl_print_json(&reply);
    else if (ok)
        printf("ledger intact: %" PRIu64 " entries\n",
               show_uint(&reply, "entries", 0));
    else
        printf("ledger BROKEN at entry %" PRIu64 " (%" PRIu64
               " entries before it are intact)\n",
               show_uint(&reply, "first_broken", 0),
               show_uint(&reply, "entries", 0));
    return rc ? rc : ok ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}

const ctl_cmd_t cmd_verify = {
    "verify",
    "check the ledger's hash chain: has any entry been changed?",
    "Usage: julictl verify\n"
    "Has scoring recompute the hash chain of its whole ledger (each\n"
    "entry's hash covers the one before it) and prints whether it is\n"
    "intact, or the first entry that was changed, removed or reordered\n"
    "behind the daemon's back. Exit status 1 when it is broken.\n"
    CTL_HELP_GLOBAL,
    s_verify,
};
