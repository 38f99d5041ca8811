/*  dispatch_cmds: dispatch's requests from the command line (protocol:
 *  "Dispatch: orders, deadlines, escalation, follow-up").
 *
 *    staff assign   -> staff.assign     accept    -> task.accept
 *    staff [list]   -> staff.list       decline   -> task.decline
 *    unit register  -> unit.register    escalate  -> task.escalate
 *    units          -> units.list       resolve   -> task.resolve
 *    tasks          -> tasks.list       followup  -> followup.record
 *    task           -> task.get         reopen    -> task.reopen
 *    rates          -> rates
 *
 *  The writes send an idempotency key, --id KEY or a fresh one, and print
 *  it, as intake's do. A task is named T00000001 or by its bare number.
 *  The daemon checks every field and who may act (a --by that is not the
 *  task's assignee is forbidden); julictl only checks what makes the
 *  command line itself wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "show.h"
#include "table.h"

#define DAEMON "dispatch"

enum {
    O_ID = 256,
    O_NODE,
    O_KIND,
    O_CATEGORIES,
    O_CAPACITY,
    O_AGREEMENT,
    O_CATEGORY,
    O_STATUS,
    O_ASSIGNEE,
    O_GRID,
    O_AFTER,
    O_LIMIT,
    O_BY,
    O_REASON,
    O_RESULT,
    O_DIFFICULTY,
    O_PROFESSIONAL,
    O_PARTICIPANT,
    O_SATISFACTION,
    O_RESOLVED,
    O_NOTE,
    O_PERIOD,
};

/* ctl_write of a task's move, printed as "T00000001 accepted (id KEY)". */
static int s_move(ctl_t *ctl, const char *type, const char *given,
                  const body_t *body)
{
    char id[CTL_ID_SIZE];
    msgpack_object reply;
    int rc = ctl_write(ctl, DAEMON, type, given, body, id, &reply);
    return rc ? rc : ctl_done(ctl, &reply, "task", id);
}

/* -- staff ----------------------------------------------------------------- */

static const struct option s_staff_opts[] = {
    CTL_ARG("node", O_NODE),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

static void s_staff_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"NODE", "ROLE", "PERSON", "NAME"};
    static const char *const keys[] = {"node", "role", "person", "name"};
    show_table(reply, "staff", 4, headers, keys);
}

/* staff assign NODE ROLE PERSON_ID NAME, from ARGV[optind] on. */
static int s_staff_assign(ctl_t *ctl, int argc, char **argv,
                          const char *given_id)
{
    int rc = ctl_positionals(ctl, argc, argv, 4, 4,
                             "NODE ROLE PERSON_ID NAME");
    if (rc)
        return rc;
    char **arg = argv + optind;
    body_t body, person;
    body_init(&body);
    body_init(&person);
    body_str(&body, "node", arg[0]);
    body_str(&body, "role", arg[1]);
    body_str(&person, "id", arg[2]);
    body_str(&person, "name", arg[3]);
    body_map(&body, "person", &person);
    char id[CTL_ID_SIZE];
    msgpack_object reply;
    rc = ctl_write(ctl, DAEMON, "staff.assign", given_id, &body, id,
                   &reply);
    body_free(&person);
    body_free(&body);
    if (rc || ctl->json)
        return rc ? rc : ctl_print_json(&reply);
    printf("%s %s: %s %s (id %s)\n", arg[0], arg[1], arg[2], arg[3], id);
    return CTL_EXIT_OK;
}

static int s_staff(ctl_t *ctl, int argc, char **argv)
{
    const char *node = NULL, *given_id = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_staff_opts)) !=
                CTL_OPT_END;) {
        if (c == O_NODE)
            node = optarg;
        else if (c == O_ID)
            given_id = optarg;
        else
            return ctl_opt_exit(c);
    }
    const char *sub = optind < argc ? argv[optind] : "";
    int assign = strcmp(sub, "assign") == 0;
    if (assign || strcmp(sub, "list") == 0)
        optind++;
    if (assign && node)
        return ctl_usage(ctl, "--node is for 'staff list'");
    if (assign)
        return s_staff_assign(ctl, argc, argv, given_id);
    if (given_id)
        return ctl_usage(ctl, "--id is for 'staff assign'");
    int rc = ctl_positionals(ctl, argc, argv, 0, 0, "");
    if (rc)
        return rc;
    body_t body;
    body_init(&body);
    body_str(&body, "node", node);
    rc = ctl_query(ctl, DAEMON, "staff.list", &body, s_staff_table);
    body_free(&body);
    return rc;
}

const ctl_cmd_t cmd_staff = {
    "staff",
    "assign a role of the grid to a person, or list who holds which",
    "Usage: julictl staff assign NODE ROLE PERSON_ID NAME [--id KEY]\n"
    "       julictl staff [list] [--node N]\n"
    "assign gives ROLE at the node NODE of the grid tree to the person\n"
    "PERSON_ID called NAME, replacing whoever held it. ROLE is commander or\n"
    "community_leader (on a community), grid_leader, grid_police or\n"
    "director (on a grid), assistant (on a compound) or stairwell_leader\n"
    "(on a stairwell). Dispatch learns of a node from intake a moment\n"
    "after 'grid define': until then the node is not_found; retry.\n"
    "list prints who holds which role, by node.\n"
    "\n"
    "  --node N   list only the roles at node N\n" CTL_HELP_ID
    CTL_HELP_GLOBAL,
    s_staff,
};

/* -- units ----------------------------------------------------------------- */

static const struct option s_unit_opts[] = {
    CTL_ARG("kind", O_KIND),          CTL_ARG("categories", O_CATEGORIES),
    CTL_ARG("capacity", O_CAPACITY),  CTL_FLAG("agreement", O_AGREEMENT),
    CTL_ARG("id", O_ID),              CTL_ARGS_END,
};

static int s_unit(ctl_t *ctl, int argc, char **argv)
{
    const char *kind = NULL, *categories = NULL, *given_id = NULL;
    uint64_t capacity = 0;
    int agreement = 0;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_unit_opts)) !=
                CTL_OPT_END;) {
        switch (c) {
        case O_KIND: kind = optarg; break;
        case O_CATEGORIES: categories = optarg; break;
        case O_CAPACITY:
            if (ctl_uint(ctl, "--capacity", optarg, 1, 1000000,
                         &capacity) < 0)
                return CTL_EXIT_USAGE;
            break;
        case O_AGREEMENT: agreement = 1; break;
        case O_ID: given_id = optarg; break;
        default: return ctl_opt_exit(c);
        }
    }
    int rc = ctl_word(ctl, argc, argv, "register", 2, 2, "ID NAME");
    if (rc)
        return rc;
    if (!kind || !categories)
        return ctl_usage(ctl, "--kind and --categories are required");
    body_t body;
    body_init(&body);
    body_str(&body, "id", argv[optind]);
    body_str(&body, "name", argv[optind + 1]);
    body_str(&body, "kind", kind);
    body_csv(&body, "categories", categories);
    if (capacity)
        body_uint(&body, "capacity", capacity);
    body_bool(&body, "agreement", agreement);
    char id[CTL_ID_SIZE];
    msgpack_object reply;
    rc = ctl_write(ctl, DAEMON, "unit.register", given_id, &body, id,
                   &reply);
    body_free(&body);
    if (rc || ctl->json)
        return rc ? rc : ctl_print_json(&reply);
    printf("%s %s registered (id %s)\n", kind, argv[optind], id);
    return CTL_EXIT_OK;
}

const ctl_cmd_t cmd_unit = {
    "unit",
    "register ID NAME: add or change a unit, association or department",
    "Usage: julictl unit register ID NAME --kind KIND --categories A,B,...\n"
    "                             [--capacity N] [--agreement] [--id KEY]\n"
    "Registers the unit ID called NAME, or changes it when known, with the\n"
    "categories of request it takes on. Routes of kind unit go to the unit\n"
    "or association offering the category with the fewest open tasks;\n"
    "a department is the top of every chain.\n"
    "\n"
    "  --kind KIND          unit (驻区单位), association or department\n"
    "  --categories A,B     the category codes it offers, comma-separated\n"
    "  --capacity N         at most N open tasks at a time (default: no\n"
    "                       limit)\n"
    "  --agreement          it signed the co-building agreement\n"
    "  --id KEY             the idempotency key (default: a fresh one,\n"
    "                       printed)\n" CTL_HELP_GLOBAL,
    s_unit,
};

static const struct option s_units_opts[] = {
    CTL_ARG("category", O_CATEGORY),
    CTL_ARGS_END,
};

static void s_units_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"ID",  "KIND",       "OPEN",
                                          "CAP", "CATEGORIES", "NAME"};
    static const char *const keys[] = {"id",       "kind",       "open_tasks",
                                       "capacity", "categories", "name"};
    show_table(reply, "units", 6, headers, keys);
}

static int s_units(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_opts(ctl, argc, argv, s_units_opts, DAEMON,
                          "units.list", NULL, s_units_table);
}

const ctl_cmd_t cmd_units = {
    "units",
    "the registered units, with their open tasks",
    "Usage: julictl units [--category C]\n"
    "Lists the units, associations and departments: their kind, open tasks\n"
    "(OPEN), capacity (CAP, '-' for no limit) and categories.\n"
    "\n"
    "  --category C   only those offering category C\n" CTL_HELP_GLOBAL,
    s_units,
};

/* -- tasks ----------------------------------------------------------------- */

static const struct option s_tasks_opts[] = {
    CTL_ARG("status", O_STATUS), CTL_ARG("assignee", O_ASSIGNEE),
    CTL_ARG("grid", O_GRID),     CTL_ARG("after", O_AFTER),
    CTL_ARG("limit", O_LIMIT),   CTL_ARGS_END,
};

static void s_tasks_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"TASK",     "REF",   "STATUS",
                                          "CATEGORY", "LEVEL", "ASSIGNEE",
                                          "ACCEPT_BY"};
    uint32_t n;
    const msgpack_object *r = show_array(reply, "tasks", &n);
    table_t *t = table_new(7, headers);
    if (!t)
        return;
    for (uint32_t i = 0; i < n; i++) {
        char status[16], when[32];
        int waiting = show_str(&r[i], "status", status, sizeof status) &&
                      strcmp(status, "assigned") == 0;
        table_row(t);
        show_cell(t, show_get(&r[i], "task"));
        show_cell(t, show_get(&r[i], "ref"));
        show_cell(t, show_get(&r[i], "status"));
        show_cell(t, show_get(&r[i], "category"));
        show_cell(t, show_get(&r[i], "level"));
        show_cell(t, show_get(show_get(&r[i], "assignee"), "id"));
        table_cellf(t, "%s",
                    waiting ? show_when(&r[i], "accept_by", when) : "-");
    }
    table_print(t, stdout);
    table_destroy(&t);
    show_next(reply);
}

static int s_tasks(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_opts(ctl, argc, argv, s_tasks_opts, DAEMON,
                          "tasks.list", NULL, s_tasks_table);
}

const ctl_cmd_t cmd_tasks = {
    "tasks",
    "tasks, filtered, one page at a time",
    "Usage: julictl tasks [--status S] [--assignee ID] [--grid G] "
    "[--after CURSOR]\n"
    "                     [--limit N]\n"
    "Lists tasks, oldest first, and 'next: CURSOR' when there are more:\n"
    "pass it back as --after for the next page. ASSIGNEE is the person or\n"
    "unit id that --by takes; ACCEPT_BY is the deadline to accept, while\n"
    "the task waits for it (status assigned).\n"
    "\n"
    "  --status S      pending, assigned, accepted, resolved, closed or\n"
    "                  cancelled\n"
    "  --assignee ID   only tasks held by the person or unit ID\n"
    "  --grid G        only tasks of grid G\n"
    "  --after CURSOR  the page after the one that printed CURSOR\n"
    "  --limit N       at most N tasks (default 100, at most 1000)\n"
    CTL_HELP_GLOBAL,
    s_tasks,
};

static void s_show_task(const msgpack_object *reply)
{
    static const char *const chain[] = {"community", "grid", "compound",
                                        "stairwell", NULL};
    static const char *const who[] = {"id", "name", NULL};
    const msgpack_object *t = show_get(reply, "task");
    char buf[512], role[32], node[72], kind[24];
    size_t len;

    show_field("task:", show_get(t, "task"));
    show_field("ref:", show_get(t, "ref"));
    show_field("status:", show_get(t, "status"));
    show_field("category:", show_get(t, "category"));
    show_field("urgency:", show_get(t, "urgency"));
    len = show_join(t, chain, " / ", buf, sizeof buf);
    show_line("location:", len ? buf : "-", len ? len : 1, "");
    /* "p-lou 楼长 (stairwell_leader at S111)", "U1 物业 (unit)" */
    const msgpack_object *a = show_get(t, "assignee");
    len = show_join(a, who, " ", buf, sizeof buf);
    if (show_str(a, "role", role, sizeof role) &&
        show_str(a, "node", node, sizeof node))
        snprintf(buf + len, sizeof buf - len, " (%s at %s)", role, node);
    else if (show_str(a, "kind", kind, sizeof kind))
        snprintf(buf + len, sizeof buf - len, " (%s)", kind);
    len = strlen(buf);
    show_line("assignee:", len ? buf : "-", len ? len : 1, "");
    show_field("level:", show_get(t, "level"));
    show_when_line("assigned:", t, "assigned_at");
    show_when_line("accept by:", t, "accept_by");
    show_when_line("resolve by:", t, "resolve_by");
    show_when_line("accepted:", t, "accepted_at");
    show_when_line("resolved:", t, "resolved_at");
    show_field("breached:", show_get(t, "breached"));
    const msgpack_object *sat = show_get(t, "satisfaction");
    if (sat && sat->type == MSGPACK_OBJECT_STR && sat->via.str.size)
        show_field("follow-up:", sat);
}

static int s_task(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_arg(ctl, argc, argv, DAEMON, "task.get", "task",
                         s_show_task);
}

const ctl_cmd_t cmd_task = {
    "task",
    "one task: its assignee, level and deadlines",
    "Usage: julictl task TASK\n"
    "Prints the task TASK (T00000001, or its number): its request, status,\n"
    "assignee and level, and its times in the local time zone. 'breached'\n"
    "says a deadline passed with nobody above to escalate to.\n"
    CTL_HELP_GLOBAL,
    s_task,
};

/* -- moves of a task ------------------------------------------------------- */

static const struct option s_accept_opts[] = {
    CTL_ARG("by", O_BY),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

static const struct option s_pass_opts[] = {
    CTL_ARG("by", O_BY),
    CTL_ARG("reason", O_REASON),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

static const struct option s_followup_opts[] = {
    CTL_ARG("by", O_BY),
    CTL_ARG("satisfaction", O_SATISFACTION),
    CTL_ARG("resolved", O_RESOLVED),
    CTL_ARG("note", O_NOTE),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

/* Checks the TASK argument and the --by (BY) of a task's move and adds
 * them to BODY. Returns 0, or CTL_EXIT_USAGE after a usage line. */
static int s_task_body(ctl_t *ctl, int argc, char **argv, const char *by,
                       body_t *body)
{
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "TASK");
    if (rc)
        return rc;
    if (!by)
        return ctl_usage(ctl, "--by is required");
    body_str(body, "task", argv[optind]);
    body_str(body, "by", by);
    return 0;
}

/* The moves of a task but resolve, TASK --by ID with the options OPTS
 * has: accept (s_accept_opts); decline, escalate and reopen (s_pass_opts,
 * --reason required); followup (s_followup_opts, --satisfaction
 * required). */
static int s_task_move(ctl_t *ctl, int argc, char **argv, const char *type,
                       const struct option *opts)
{
    const char *by = NULL, *reason = NULL, *satisfaction = NULL,
               *resolved = NULL, *note = NULL, *given_id = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, opts)) != CTL_OPT_END;) {
        switch (c) {
        case O_BY: by = optarg; break;
        case O_REASON: reason = optarg; break;
        case O_SATISFACTION: satisfaction = optarg; break;
        case O_RESOLVED: resolved = optarg; break;
        case O_NOTE: note = optarg; break;
        case O_ID: given_id = optarg; break;
        default: return ctl_opt_exit(c);
        }
    }
    body_t body;
    body_init(&body);
    int rc = s_task_body(ctl, argc, argv, by, &body);
    if (!rc && !reason && opts == s_pass_opts)
        rc = ctl_usage(ctl, "--reason is required");
    else if (!rc && !satisfaction && opts == s_followup_opts)
        rc = ctl_usage(ctl, "--satisfaction is required");
    else if (!rc && resolved && strcmp(resolved, "yes") &&
             strcmp(resolved, "no"))
        rc = ctl_usage(ctl, "--resolved is yes or no");
    body_str(&body, "reason", reason);
    body_str(&body, "satisfaction", satisfaction);
    if (resolved)
        body_bool(&body, "resolved", strcmp(resolved, "yes") == 0);
    body_str(&body, "note", note);
    if (!rc)
        rc = s_move(ctl, type, given_id, &body);
    body_free(&body);
    return rc;
}

static int s_accept(ctl_t *ctl, int argc, char **argv)
{
    return s_task_move(ctl, argc, argv, "task.accept", s_accept_opts);
}

static int s_decline(ctl_t *ctl, int argc, char **argv)
{
    return s_task_move(ctl, argc, argv, "task.decline", s_pass_opts);
}

static int s_escalate(ctl_t *ctl, int argc, char **argv)
{
    return s_task_move(ctl, argc, argv, "task.escalate", s_pass_opts);
}

static int s_reopen(ctl_t *ctl, int argc, char **argv)
{
    return s_task_move(ctl, argc, argv, "task.reopen", s_pass_opts);
}

static int s_followup(ctl_t *ctl, int argc, char **argv)
{
    return s_task_move(ctl, argc, argv, "followup.record", s_followup_opts);
}

#define HELP_BY_REASON                                                      \
    "\n"                                                                    \
    "  --by ID        who: the task's assignee (person or unit id)\n"      \
    "  --reason TEXT  why, for the log\n"                                   \
    "  --id KEY       the idempotency key (default: a fresh one, printed)\n"

const ctl_cmd_t cmd_accept = {
    "accept",
    "the assignee takes a task on (接单)",
    "Usage: julictl accept TASK --by ID [--id KEY]\n"
    "The assignee ID accepts the task TASK, which must be waiting for it\n"
    "(status assigned); the resolve deadline then runs.\n"
    "\n"
    "  --by ID    the task's assignee (person or unit id)\n" CTL_HELP_ID
    CTL_HELP_GLOBAL,
    s_accept,
};

const ctl_cmd_t cmd_decline = {
    "decline",
    "the assignee turns a task down: it passes on",
    "Usage: julictl decline TASK --by ID --reason TEXT [--id KEY]\n"
    "The assignee ID declines the task TASK before accepting it: a unit\n"
    "passes it to the next unit offering the category, staff one level up\n"
    "the chain.\n" HELP_BY_REASON CTL_HELP_GLOBAL,
    s_decline,
};

const ctl_cmd_t cmd_escalate = {
    "escalate",
    "the assignee hands a task one level up",
    "Usage: julictl escalate TASK --by ID --reason TEXT [--id KEY]\n"
    "The assignee ID passes the task TASK one level up the chain; the one\n"
    "above must accept it again. At the top of the chain it is a\n"
    "conflict.\n" HELP_BY_REASON CTL_HELP_GLOBAL,
    s_escalate,
};

const ctl_cmd_t cmd_reopen = {
    "reopen",
    "reopen a closed task (a resident's complaint)",
    "Usage: julictl reopen TASK --by ID --reason TEXT [--id KEY]\n"
    "Reopens the closed task TASK, e.g. on a resident's complaint: it is\n"
    "routed again and must be accepted again. ID is the staff member who\n"
    "reopens it.\n" HELP_BY_REASON CTL_HELP_GLOBAL,
    s_reopen,
};

const ctl_cmd_t cmd_followup = {
    "followup",
    "record the follow-up visit of a resolved task",
    "Usage: julictl followup TASK --by ID --satisfaction S [--resolved "
    "yes|no]\n"
    "                        [--note TEXT] [--id KEY]\n"
    "Records the call-back to the resident after the task TASK was\n"
    "resolved. satisfied or basically closes the task (status closed);\n"
    "unsatisfied reopens it: it is routed again (status assigned).\n"
    "\n"
    "  --by ID           the staff member who called back\n"
    "  --satisfaction S  satisfied, basically or unsatisfied\n"
    "  --resolved yes|no whether the matter was solved (default: no when\n"
    "                    unsatisfied, else yes)\n"
    "  --note TEXT       what the resident said\n" CTL_HELP_ID
    CTL_HELP_GLOBAL,
    s_followup,
};

/* -- resolve --------------------------------------------------------------- */

static const struct option s_resolve_opts[] = {
    CTL_ARG("by", O_BY),
    CTL_ARG("result", O_RESULT),
    CTL_ARG("difficulty", O_DIFFICULTY),
    CTL_FLAG("professional", O_PROFESSIONAL),
    CTL_ARG("participant", O_PARTICIPANT),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

/* Appends "MEMBER:HOURS" (ARG) to the participants PARTS. Returns 0, or -1
 * after a usage line. */
static int s_participant(ctl_t *ctl, body_t *parts, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    char *end = NULL;
    double hours = colon ? strtod(colon + 1, &end) : 0;
    if (!colon || colon == arg || end == colon + 1 || *end) {
        ctl_usage(ctl, "--participant '%s' is not MEMBER:HOURS", arg);
        return -1;
    }
    char *member = strndup(arg, (size_t)(colon - arg));
    if (!member) {
        fprintf(stderr, "julictl: out of memory\n");
        return -1;
    }
    body_t one;
    body_init(&one);
    body_str(&one, "member", member);
    body_double(&one, "hours", hours);
    body_item(parts, &one);
    body_free(&one);
    free(member);
    return 0;
}

static int s_resolve(ctl_t *ctl, int argc, char **argv)
{
    const char *by = NULL, *result = NULL, *given_id = NULL;
    uint64_t difficulty = 0;
    body_t body, parts;
    body_init(&body);
    body_init(&parts);
    int rc = CTL_EXIT_USAGE, professional = 0;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_resolve_opts)) !=
                CTL_OPT_END;) {
        switch (c) {
        case O_BY: by = optarg; break;
        case O_RESULT: result = optarg; break;
        case O_DIFFICULTY:
            if (ctl_uint(ctl, "--difficulty", optarg, 1, 3, &difficulty) <
                0)
                goto done;
            break;
        case O_PROFESSIONAL: professional = 1; break;
        case O_PARTICIPANT:
            if (s_participant(ctl, &parts, optarg) < 0)
                goto done;
            break;
        case O_ID: given_id = optarg; break;
        default: rc = ctl_opt_exit(c); goto done;
        }
    }
    if ((rc = s_task_body(ctl, argc, argv, by, &body)))
        goto done;
    if (!result || !difficulty) {
        rc = ctl_usage(ctl, "--result and --difficulty are required");
        goto done;
    }
    body_str(&body, "result", result);
    body_array(&body, "participants", &parts);
    body_uint(&body, "difficulty", difficulty);
    body_bool(&body, "professional", professional);
    rc = s_move(ctl, "task.resolve", given_id, &body);
done:
    body_free(&parts);
    body_free(&body);
    return rc;
}

const ctl_cmd_t cmd_resolve = {
    "resolve",
    "the assignee reports a task done, with who helped",
    "Usage: julictl resolve TASK --by ID --result TEXT --difficulty 1|2|3\n"
    "                       [--professional] [--participant MEMBER:HOURS]..."
    "\n"
    "                       [--id KEY]\n"
    "The assignee ID resolves the accepted task TASK; a follow-up visit\n"
    "then closes it (see followup). The participants earn service points\n"
    "when it closes.\n"
    "\n"
    "  --by ID                     the task's assignee\n"
    "  --result TEXT               what was done\n"
    "  --difficulty N              1 simple, 2 harder, 3 hard\n"
    "  --professional              professional skill was needed\n"
    "  --participant MEMBER:HOURS  a member who took part, and for how long\n"
    "                              (hours in (0, 24]); repeat for each one,\n"
    "                              or leave out when nobody did\n"
    "  --id KEY                    the idempotency key (default: a fresh\n"
    "                              one, printed)\n" CTL_HELP_GLOBAL,
    s_resolve,
};

/* -- rates ----------------------------------------------------------------- */

static const struct option s_rates_opts[] = {
    CTL_ARG("by", O_BY),
    CTL_ARG("period", O_PERIOD),
    CTL_ARGS_END,
};

void rates_table(const msgpack_object *o, const char *items, const char *name)
{
    static const char *const headers[] = {
        "KEY",      "ASSIGNED",   "RESP%",      "FOLLOWUPS",
        "RESOL%",   "SATIS%",     "CLOSED",     "WITHIN%",
        "ON-TIME%", "MED-ACCEPT", "MED-RESOLVE", "NAME"};
    static const char *const keys[] = {
        "key",    "assigned", "response_rate",     "followups",
        "resolution_rate",    "satisfaction_rate", "closed",
        "within_grid_rate",   "on_time_rate",      "median_accept_min",
        "median_resolve_min"};
    /* Rates as percentages, medians in minutes with one decimal. */
    static const double scale[] = {0, 0, 100, 0, 100, 100, 0, 100, 100, 1, 1};
    uint32_t n;
    const msgpack_object *r = show_array(o, items, &n);
    table_t *t = table_new(name ? 12 : 11, headers);
    if (!t)
        return;
    for (uint32_t i = 0; i < n; i++) {
        char buf[32];
        table_row(t);
        for (size_t k = 0; k < 11; k++)
            if (scale[k])
                table_cellf(t, "%s",
                            show_scaled(show_get(&r[i], keys[k]), scale[k],
                                        buf));
            else
                show_cell(t, show_get(&r[i], keys[k]));
        if (name)
            show_cell(t, show_get(&r[i], name));
    }
    table_print(t, stdout);
    table_destroy(&t);
}

static void s_rates_table(const msgpack_object *reply)
{
    rates_table(reply, "rows", NULL);
}

static int s_rates(ctl_t *ctl, int argc, char **argv)
{
    const char *by = NULL, *period = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_rates_opts)) !=
                CTL_OPT_END;) {
        if (c == O_BY)
            by = optarg;
        else if (c == O_PERIOD)
            period = optarg;
        else
            return ctl_opt_exit(c);
    }
    int rc = ctl_positionals(ctl, argc, argv, 0, 0, "");
    if (rc)
        return rc;
    if (!by)
        return ctl_usage(ctl, "--by is required");
    body_t body;
    body_init(&body);
    body_str(&body, "by", by);
    body_str(&body, "period", period);
    rc = ctl_query(ctl, DAEMON, "rates", &body, s_rates_table);
    body_free(&body);
    return rc;
}

const ctl_cmd_t cmd_rates = {
    "rates",
    "response, resolution, satisfaction rates by grid, unit or category",
    "Usage: julictl rates --by grid|unit|category [--period P]\n"
    "Prints one row per grid, unit or category: assignments and the share\n"
    "accepted in time (RESP%), follow-ups and the shares found solved\n"
    "(RESOL%) and satisfied or basically (SATIS%), closed tasks and the\n"
    "share resolved within the grid (WITHIN%), the share resolved before\n"
    "the deadline (ON-TIME%), and the median minutes to accept and to\n"
    "resolve. A rate with nothing to count is '-'.\n"
    "\n"
    "  --by KEY     grid, unit or category\n"
    "  --period P   YYYY, YYYY-Qn or YYYY-MM (default: all time)\n"
    CTL_HELP_GLOBAL,
    s_rates,
};
