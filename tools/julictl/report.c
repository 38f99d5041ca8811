/*  report: the month's service in one report, from the three daemons.
 *
 *    julictl report [--period P] [--html FILE]
 *
 *  Invariants:
 *
 *    1. Read-only but for one write: ratings.compute of the period, whose
 *       idempotency key "report:ratings:PERIOD:LAST_SEQ" names scoring's
 *       last event, so a report run again on an unchanged ledger replays
 *       the stored ratings, and one after new points computes afresh.
 *    2. Each reply is packed into the report (report.h) as soon as it
 *       comes: a reply lives only until the next request. What one part
 *       needs of another (grid and unit names) is copied out first.
 *    3. The period is the month of the stack's clock by default: the
 *       simulated month when the config has [clock] (ctl_clock).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmds.h"
#include "community.h"
#include "period.h"
#include "report.h"
#include "show.h"
#include "table.h"

#define TOP   10 /* rows of the leaderboards and of units */
#define NKEYS 16 /* entries of the report's map */

enum { O_PERIOD = 256, O_HTML };

/* The levels of the chain, lowest first, and why a task went up. */
static const char *const s_levels[] = {"stairwell", "compound", "grid",
                                       "community", "unit",     "department"};
static const char *const s_reasons[] = {"accept_timeout", "resolve_timeout",
                                        "manual"};
#define NLEVELS  6
#define NREASONS 3

/* The counts of a rates row that add up, and the rates they make. */
static const char *const s_counts[] = {"assigned",
                                       "accepted_in_time",
                                       "followups",
                                       "solved",
                                       "satisfied_or_basically",
                                       "closed",
                                       "within_grid",
                                       "resolved",
                                       "on_time"};
#define NCOUNTS 9
#define CLOSED  5 /* s_counts[CLOSED] */
static const struct {
    const char *rate;
    int num, den; /* indexes into s_counts */
} s_rates[] = {
    {"response_rate", 1, 0},     {"resolution_rate", 3, 2},
    {"satisfaction_rate", 4, 2}, {"within_grid_rate", 6, 5},
    {"on_time_rate", 8, 7},
};

typedef struct {
    char id[65], name[129];
} s_name_t;

typedef struct {
    ctl_t *ctl;
    const config_t *cfg;
    period_t period;
    community_t c;
    pack_t out;
    uint64_t sums[NCOUNTS];
    uint64_t escalated[NLEVELS][NREASONS];
    s_name_t *units;
    size_t nunits;
} s_report_t;

/* The rates rows by BY (grid, unit, category) of the period. */
static int s_rates_of(s_report_t *rp, const char *by, msgpack_object *reply)
{
    body_t body;
    body_init(&body);
    body_str(&body, "by", by);
    body_str(&body, "period", rp->period.name);
    int rc = ctl_call(rp->ctl, "dispatch", "rates", NULL, &body, reply);
    body_free(&body);
    return rc;
}

/* Packs the rates row ROW with "name": NAME (nil when NULL) added. */
static void s_pack_named(pack_t *p, const msgpack_object *row, const char *name)
{
    uint32_t n = row && row->type == MSGPACK_OBJECT_MAP ? row->via.map.size : 0;
    pack_map(p, n + 1);
    for (uint32_t i = 0; i < n; i++) {
        pack_object(p, &row->via.map.ptr[i].key);
        pack_object(p, &row->via.map.ptr[i].val);
    }
    pack_kstr(p, "name", name);
}

/* The row of ROWS[0..N) whose key is KEY, or NULL. */
static const msgpack_object *s_row(const msgpack_object *rows, uint32_t n,
                                   const char *key)
{
    char k[72];
    for (uint32_t i = 0; i < n; i++)
        if (show_str(&rows[i], "key", k, sizeof k) && strcmp(k, key) == 0)
            return &rows[i];
    return NULL;
}

/* -- the rates ------------------------------------------------------------- */

/* "grids": a row for every grid of the tree (a grid without facts has its
 * key and name only), then any other key; "all": their sums. */
static int s_grids(s_report_t *rp)
{
    msgpack_object reply;
    int rc = s_rates_of(rp, "grid", &reply);
    if (rc)
        return rc;
    uint32_t n, ngrids = 0, extra = 0;
    const msgpack_object *rows = show_array(&reply, "rows", &n);
    for (size_t i = 0; i < rp->c.nnodes; i++)
        ngrids += strcmp(rp->c.nodes[i].kind, "grid") == 0;
    for (uint32_t i = 0; i < n; i++) {
        char key[72];
        const community_node_t *g =
            community_node(&rp->c, show_copy(&rows[i], "key", key, sizeof key));
        extra += !g || strcmp(g->kind, "grid") != 0;
        for (size_t k = 0; k < NCOUNTS; k++)
            rp->sums[k] += show_uint(&rows[i], s_counts[k], 0);
    }
    pack_str(&rp->out, "grids");
    pack_array(&rp->out, ngrids + extra);
    for (size_t i = 0; i < rp->c.nnodes; i++) {
        const community_node_t *g = &rp->c.nodes[i];
        if (strcmp(g->kind, "grid") != 0)
            continue;
        const msgpack_object *row = s_row(rows, n, g->code);
        if (row)
            s_pack_named(&rp->out, row, g->name);
        else {
            pack_map(&rp->out, 2);
            pack_kstr(&rp->out, "key", g->code);
            pack_kstr(&rp->out, "name", g->name);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        char key[72];
        const community_node_t *g =
            community_node(&rp->c, show_copy(&rows[i], "key", key, sizeof key));
        if (!g || strcmp(g->kind, "grid") != 0)
            s_pack_named(&rp->out, &rows[i], NULL);
    }
    /* The whole community: the grids' counts added up. */
    const community_node_t *top = community_first(&rp->c, "community");
    pack_str(&rp->out, "all");
    pack_map(&rp->out, 2 + NCOUNTS + sizeof s_rates / sizeof s_rates[0]);
    pack_kstr(&rp->out, "key", top ? top->code : "all");
    pack_kstr(&rp->out, "name", top ? top->name : NULL);
    for (size_t k = 0; k < NCOUNTS; k++)
        pack_kuint(&rp->out, s_counts[k], rp->sums[k]);
    for (size_t k = 0; k < sizeof s_rates / sizeof s_rates[0]; k++) {
        uint64_t num = rp->sums[s_rates[k].num], den = rp->sums[s_rates[k].den];
        if (den)
            pack_kdouble(&rp->out, s_rates[k].rate, (double)num / (double)den);
        else
            pack_knil(&rp->out, s_rates[k].rate);
    }
    return 0;
}

/* "categories": the rows of the categories with facts, in the config's
 * order, named as the config names them. */
static int s_categories(s_report_t *rp)
{
    msgpack_object reply;
    int rc = s_rates_of(rp, "category", &reply);
    if (rc)
        return rc;
    uint32_t n, shown = 0;
    const msgpack_object *rows = show_array(&reply, "rows", &n);
    const config_t *cfg = rp->cfg;
    for (size_t i = 0; i < cfg->ncategories; i++)
        shown += s_row(rows, n, cfg->categories[i].code) != NULL;
    pack_str(&rp->out, "categories");
    pack_array(&rp->out, shown);
    for (size_t i = 0; i < cfg->ncategories; i++) {
        const msgpack_object *row = s_row(rows, n, cfg->categories[i].code);
        if (row)
            s_pack_named(&rp->out, row, cfg->categories[i].name);
    }
    return 0;
}

/* Busiest first: by assigned, then by key. */
static int s_by_assigned(const void *a, const void *b)
{
    const msgpack_object *x = *(const msgpack_object *const *)a,
                         *y = *(const msgpack_object *const *)b;
    uint64_t nx = show_uint(x, "assigned", 0), ny = show_uint(y, "assigned", 0);
    if (nx != ny)
        return nx > ny ? -1 : 1;
    char kx[72], ky[72];
    return strcmp(show_copy(x, "key", kx, sizeof kx),
                  show_copy(y, "key", ky, sizeof ky));
}

/* "units": the TOP units most assigned in the period, named as
 * units.list names them. */
static int s_units(s_report_t *rp)
{
    msgpack_object reply;
    int rc = ctl_call(rp->ctl, "dispatch", "units.list", NULL, NULL, &reply);
    if (rc)
        return rc;
    uint32_t n;
    const msgpack_object *u = show_array(&reply, "units", &n);
    if (n && !(rp->units = calloc(n, sizeof *rp->units)))
        return CTL_EXIT_FAILED;
    for (uint32_t i = 0; i < n; i++, rp->nunits++) {
        show_copy(&u[i], "id", rp->units[i].id, sizeof rp->units[i].id);
        show_copy(&u[i], "name", rp->units[i].name, sizeof rp->units[i].name);
    }
    if ((rc = s_rates_of(rp, "unit", &reply)))
        return rc;
    const msgpack_object *rows = show_array(&reply, "rows", &n);
    const msgpack_object **order = calloc(n + 1, sizeof *order);
    if (!order)
        return CTL_EXIT_FAILED;
    for (uint32_t i = 0; i < n; i++)
        order[i] = &rows[i];
    qsort(order, n, sizeof *order, s_by_assigned);
    n = n < TOP ? n : TOP;
    pack_str(&rp->out, "units");
    pack_array(&rp->out, n);
    for (uint32_t i = 0; i < n; i++) {
        char key[72];
        const char *name = NULL;
        show_copy(order[i], "key", key, sizeof key);
        for (size_t k = 0; k < rp->nunits && !name; k++)
            if (strcmp(rp->units[k].id, key) == 0)
                name = rp->units[k].name;
        s_pack_named(&rp->out, order[i], name);
    }
    free(order);
    return 0;
}

/* -- escalations ----------------------------------------------------------- */

/* The index in s_levels of the level NAME, or NLEVELS when unknown. */
static size_t s_level(const char *name)
{
    size_t l = 0;
    while (l < NLEVELS && strcmp(s_levels[l], name) != 0)
        l++;
    return l;
}

/* Counts a task.escalated event E of the period by the level dispatch
 * says the task went to (its data's level) and why. The log is in time
 * order: an event past the period's end stops the reading. */
static int s_on_event(const msgpack_object *e, void *arg)
{
    s_report_t *rp = arg;
    char type[32], reason[32], level[32];
    int64_t ts = (int64_t)show_uint(e, "ts", 0);
    if (ts >= rp->period.to_ms)
        return 1;
    if (!show_str(e, "type", type, sizeof type) ||
        strcmp(type, "task.escalated") != 0 ||
        !period_contains(&rp->period, ts))
        return 0;
    const msgpack_object *d = show_get(e, "data");
    show_copy(d, "level", level, sizeof level);
    show_copy(d, "reason", reason, sizeof reason);
    size_t l = s_level(level), why = 0;
    while (why < NREASONS && strcmp(s_reasons[why], reason) != 0)
        why++;
    if (l < NLEVELS && why < NREASONS)
        rp->escalated[l][why]++;
    return 0;
}

/* "escalations": dispatch's task.escalated events of the period, by the
 * level they went to and why. Returns their total in *TOTAL. */
static int s_escalations(s_report_t *rp, uint64_t *total)
{
    uint64_t after = 0;
    int rc = ctl_events(rp->ctl, "dispatch", &after, s_on_event, rp);
    if (rc)
        return rc;
    *total = 0;
    pack_str(&rp->out, "escalations");
    pack_array(&rp->out, NLEVELS);
    for (size_t l = 0; l < NLEVELS; l++) {
        uint64_t count = 0;
        for (size_t k = 0; k < NREASONS; k++)
            count += rp->escalated[l][k];
        *total += count;
        pack_map(&rp->out, 2 + NREASONS);
        pack_kstr(&rp->out, "level", s_levels[l]);
        pack_kuint(&rp->out, "count", count);
        for (size_t k = 0; k < NREASONS; k++)
            pack_kuint(&rp->out, s_reasons[k], rp->escalated[l][k]);
    }
    return 0;
}

/* -- points and stars ------------------------------------------------------ */

/* KEY: the top rows of the leaderboard of SCOPE. */
static int s_board(s_report_t *rp, const char *scope, const char *key)
{
    body_t body;
    body_init(&body);
    body_str(&body, "scope", scope);
    body_str(&body, "period", rp->period.name);
    body_uint(&body, "limit", TOP);
    msgpack_object reply;
    int rc = ctl_call(rp->ctl, "scoring", "leaderboard", NULL, &body, &reply);
    body_free(&body);
    if (rc)
        return rc;
    const msgpack_object *rows = show_get(&reply, "rows");
    pack_str(&rp->out, key);
    if (rows)
        pack_object(&rp->out, rows);
    else
        pack_array(&rp->out, 0);
    return 0;
}

/* "ratings": the period's star ratings, computed now (invariant 1). */
static int s_ratings(s_report_t *rp)
{
    static const char *const scopes[] = {"members", "groups", "branches"};
    msgpack_object reply;
    int rc = ctl_call(rp->ctl, "scoring", "health", NULL, NULL, &reply);
    if (rc)
        return rc;
    char id[CTL_ID_SIZE];
    snprintf(id, sizeof id, "report:ratings:%s:%" PRIu64, rp->period.name,
             show_uint(&reply, "last_seq", 0));
    body_t body;
    body_init(&body);
    body_str(&body, "period", rp->period.name);
    rc = ctl_call(rp->ctl, "scoring", "ratings.compute", id, &body, &reply);
    body_free(&body);
    if (rc)
        return rc;
    pack_str(&rp->out, "ratings");
    pack_map(&rp->out, 4);
    pack_kstr(&rp->out, "id", id);
    for (size_t i = 0; i < 3; i++) {
        const msgpack_object *s = show_get(&reply, scopes[i]);
        pack_str(&rp->out, scopes[i]);
        if (s)
            pack_object(&rp->out, s);
        else
            pack_nil(&rp->out);
    }
    return 0;
}

/* "totals": what intake and dispatch count, all time, and the period's
 * escalations (ESCALATED) and closings. */
static int s_totals(s_report_t *rp, uint64_t escalated)
{
    static const struct {
        const char *daemon, *key;
    } stats[] = {{"intake", "requests"}, {"dispatch", "tasks"}};
    pack_str(&rp->out, "totals");
    pack_map(&rp->out, 4);
    for (size_t i = 0; i < 2; i++) {
        msgpack_object reply;
        int rc =
            ctl_call(rp->ctl, stats[i].daemon, "stats", NULL, NULL, &reply);
        if (rc)
            return rc;
        const msgpack_object *counts = show_get(&reply, stats[i].key);
        pack_str(&rp->out, stats[i].key);
        if (counts)
            pack_object(&rp->out, counts);
        else
            pack_nil(&rp->out);
    }
    pack_kuint(&rp->out, "escalations", escalated);
    pack_kuint(&rp->out, "closed", rp->sums[CLOSED]);
    return 0;
}

/* Asks the daemons and packs the whole report (report.h) into rp->out.
 * Returns 0 or the exit code. */
static int s_assemble(s_report_t *rp, int simulated)
{
    int rc = community_tree(rp->ctl, &rp->c);
    if (rc)
        return rc;
    const community_node_t *top = community_first(&rp->c, "community");
    pack_t *p = &rp->out;
    pack_map(p, NKEYS);
    pack_kstr(p, "period", rp->period.name);
    pack_kint(p, "from", rp->period.from_ms);
    pack_kint(p, "to", rp->period.to_ms);
    pack_kuint(p, "as_of", clock_now_ms());
    pack_kbool(p, "simulated", simulated);
    pack_kstr(p, "community", top ? top->name : NULL);
    uint64_t escalated = 0;
    if ((rc = s_grids(rp)) || (rc = s_categories(rp)) || (rc = s_units(rp)) ||
        (rc = s_escalations(rp, &escalated)) ||
        (rc = s_board(rp, "member", "members")) ||
        (rc = s_board(rp, "group", "groups")) ||
        (rc = s_board(rp, "branch", "branches")) || (rc = s_ratings(rp)) ||
        (rc = s_totals(rp, escalated)))
        return rc;
    return 0;
}

/* -- as text --------------------------------------------------------------- */

static void s_title(const char *title)
{
    printf("\n%s\n", title);
}

static void s_print(const msgpack_object *r)
{
    char community[80], period[16], when[32], buf[6][32];
    const msgpack_object *all = show_get(r, "all"),
                         *totals = show_get(r, "totals"),
                         *requests = show_get(totals, "requests");
    show_time(show_uint(r, "as_of", 0), when);
    printf("%s, %s: the month's service (%s time, as of %.16s)\n",
           show_copy(r, "community", community, sizeof community),
           show_copy(r, "period", period, sizeof period),
           show_get(r, "simulated") && show_get(r, "simulated")->via.boolean
               ? "simulated"
               : "real",
           when);
    char label[64];
    s_title("Totals");
    printf("  %-30s %" PRIu64, "requests, all time (intake)",
           show_uint(requests, "total", 0));
    for (uint32_t i = 0, first = 1; requests && i < requests->via.map.size;
         i++) {
        const msgpack_object_kv *kv = &requests->via.map.ptr[i];
        size_t len;
        const char *v = show_text(&kv->val, buf[0], sizeof buf[0], &len);
        if (kv->key.via.str.size == 5 &&
            memcmp(kv->key.via.str.ptr, "total", 5) == 0)
            continue;
        printf("%s%.*s %.*s", first ? ": " : ", ", (int)kv->key.via.str.size,
               kv->key.via.str.ptr, (int)len, v);
        first = 0;
    }
    printf("\n  %-30s %" PRIu64 " of %" PRIu64 " tasks\n",
           "closed, all time (dispatch)",
           show_uint(show_get(totals, "tasks"), "closed", 0),
           show_uint(show_get(totals, "tasks"), "total", 0));
    snprintf(label, sizeof label, "closed in %s", period);
    printf("  %-30s %" PRIu64 "\n", label, show_uint(totals, "closed", 0));
    snprintf(label, sizeof label, "escalations in %s", period);
    printf("  %-30s %" PRIu64 "\n", label, show_uint(totals, "escalations", 0));
    s_title("The three rates (三率), and within the grid, on time");
    printf("  response %s  resolution %s  satisfaction %s  within grid %s  "
           "on time %s\n",
           show_percent(show_get(all, "response_rate"), buf[1]),
           show_percent(show_get(all, "resolution_rate"), buf[2]),
           show_percent(show_get(all, "satisfaction_rate"), buf[3]),
           show_percent(show_get(all, "within_grid_rate"), buf[4]),
           show_percent(show_get(all, "on_time_rate"), buf[5]));
    s_title("By grid (网格)");
    rates_table(r, "grids", "name");
    s_title("By category (类别)");
    rates_table(r, "categories", "name");
    s_title("Busiest units (驻区单位), by tasks assigned");
    rates_table(r, "units", "name");
    s_title("Escalations by level (上交)");
    static const char *const headers[] = {"LEVEL", "COUNT", "ACCEPT_TIMEOUT",
                                          "RESOLVE_TIMEOUT", "MANUAL"};
    static const char *const keys[] = {"level", "count", "accept_timeout",
                                       "resolve_timeout", "manual"};
    show_table(r, "escalations", 5, headers, keys);
    s_title("Points (积分): members, top 10");
    board_table(r, "members");
    s_title("Points: party groups (党小组), top 10");
    board_table(r, "groups");
    s_title("Points: branches (支部)");
    board_table(r, "branches");
    char id[CTL_ID_SIZE];
    printf("\nStar ratings (星级) of %s (ratings compute, id %s)\n", period,
           show_copy(show_get(r, "ratings"), "id", id, sizeof id));
    stars_table(show_get(r, "ratings"));
}

/* -- the command ----------------------------------------------------------- */

/* Writes the page of R to PATH. Returns 0 or an exit code. */
static int s_write_html(const msgpack_object *r, const char *path)
{
    FILE *f = fopen(path, "w");
    int failed = !f || report_html(f, r) < 0;
    if (f && fclose(f) != 0)
        failed = 1;
    if (failed) {
        fprintf(stderr, "julictl report: cannot write %s\n", path);
        return CTL_EXIT_FAILED;
    }
    return 0;
}

static const struct option s_opts[] = {
    CTL_ARG("period", O_PERIOD),
    CTL_ARG("html", O_HTML),
    CTL_ARGS_END,
};

static int s_report(ctl_t *ctl, int argc, char **argv)
{
    ctl->several = 1; /* intake, dispatch and scoring */
    const char *period = NULL, *html = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_opts)) != CTL_OPT_END;) {
        if (c == O_PERIOD)
            period = optarg;
        else if (c == O_HTML)
            html = optarg;
        else
            return ctl_opt_exit(c);
    }
    s_report_t rp = {.ctl = ctl};
    int64_t start;
    int rc = ctl_positionals(ctl, argc, argv, 0, 0, "");
    if (rc || (rc = ctl_config(ctl, &rp.cfg)) || (rc = ctl_clock(ctl, &start)))
        return rc;
    if (!period)
        period_month_of((int64_t)clock_now_ms(), &rp.period);
    else if (period_parse(period, strlen(period), &rp.period) < 0)
        return ctl_usage(ctl, "--period: YYYY, YYYY-Qn or YYYY-MM");
    pack_init(&rp.out);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    if (!(rc = s_assemble(&rp, start != 0))) {
        if (msgpack_unpack_next(&up, pack_data(&rp.out), pack_size(&rp.out),
                                NULL) != MSGPACK_UNPACK_SUCCESS) {
            fprintf(stderr, "julictl report: out of memory\n");
            rc = CTL_EXIT_FAILED;
        } else if (ctl->json)
            rc = ctl_print_json(&up.data);
        else
            s_print(&up.data);
    }
    if (!rc && html)
        rc = s_write_html(&up.data, html);
    msgpack_unpacked_destroy(&up);
    pack_free(&rp.out);
    community_free(&rp.c);
    free(rp.units);
    return rc;
}

const ctl_cmd_t cmd_report = {
    "report",
    "a period's rates, escalations, points and stars, as text or a page",
    "Usage: julictl report [--period P] [--html FILE]\n"
    "Prints the community's service in the period P: the totals, the three\n"
    "rates (response, resolution, satisfaction) with the within-grid and\n"
    "on-time rates, by grid, by category and for the busiest units; the\n"
    "escalations by the level they went to; the points leaderboards of\n"
    "members, party groups and branches; and the star ratings, which it\n"
    "computes for P (ratings.compute, the one write it makes). --json\n"
    "prints the whole report as one JSON object.\n"
    "\n"
    "  --period P   YYYY, YYYY-Qn or YYYY-MM (default: the month of the\n"
    "               stack's clock, simulated when the config has [clock])\n"
    "  --html FILE  also write the report as one self-contained XHTML page\n"
    "               with charts, for the screen and for "
    "print\n" CTL_HELP_GLOBAL,
    s_report,
};
