/*  intake_cmds: intake's requests from the command line (protocol:
 *  "Intake: requests from residents").
 *
 *    grid define  -> grid.define        get      -> request.get
 *    submit       -> request.submit     list     -> requests.list
 *    classify     -> request.classify   cancel   -> request.cancel
 *
 *  The writes (grid define, submit, classify, cancel) send an idempotency
 *  key, --id KEY or a fresh random one, and print it, so the user can
 *  retry a write whose reply was lost and get the same answer. The intake
 *  daemon checks every field; julictl only checks what makes the command
 *  line itself wrong (a missing argument, a number that is not one).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "show.h"
#include "table.h"

#define DAEMON     "intake"
#define TEXT_WIDTH 30 /* display columns of a request's text in list */

enum {
    O_ID = 256,
    O_TEXT,
    O_CHANNEL,
    O_CATEGORY,
    O_URGENCY,
    O_STAIRWELL,
    O_COMPOUND,
    O_GRID,
    O_ADDRESS,
    O_REPORTER_ID,
    O_REPORTER_NAME,
    O_PHONE,
    O_STATUS,
    O_AFTER,
    O_LIMIT,
    O_REASON,
};

/* -- grid define ----------------------------------------------------------- */


static int s_grid(ctl_t *ctl, int argc, char **argv)
{
    static const char *const kinds[] = {"community", "grid", "compound",
                                        "stairwell", NULL};
    const char *given_id;
    int rc = ctl_id_only(ctl, argc, argv, &given_id);
    if (rc != CTL_OPT_END ||
        (rc = ctl_word(ctl, argc, argv, "define", 3, 4, "CODE NAME KIND")))
        return rc;
    const char *code = argv[optind], *name = argv[optind + 1],
               *kind = argv[optind + 2];
    const char *parent = optind + 3 < argc ? argv[optind + 3] : NULL;
    int known = 0;
    for (size_t i = 0; kinds[i]; i++)
        known |= strcmp(kind, kinds[i]) == 0;
    if (!known)
        return ctl_usage(ctl, "KIND '%s' is not community, grid, compound "
                              "or stairwell",
                         kind);

    char id[CTL_ID_SIZE];
    if ((rc = ctl_id(ctl, given_id, id)))
        return rc;
    body_t body;
    body_init(&body);
    body_str(&body, "code", code);
    body_str(&body, "name", name);
    body_str(&body, "kind", kind);
    body_str(&body, "parent", parent);
    msgpack_object reply;
    rc = ctl_call(ctl, DAEMON, "grid.define", id, &body, &reply);
    body_free(&body);
    if (rc)
        return rc;
    if (ctl->json)
        return ctl_print_json(&reply);
    const msgpack_object *renamed = show_get(&reply, "renamed");
    printf("%s %s %s%s%s (id %s)\n", kind, code,
           renamed && renamed->type == MSGPACK_OBJECT_BOOLEAN &&
                   renamed->via.boolean
               ? "renamed"
               : "defined",
           parent ? " under " : "", parent ? parent : "", id);
    return CTL_EXIT_OK;
}

const ctl_cmd_t cmd_grid = {
    "grid",
    "define CODE NAME KIND [PARENT]: add or rename a node of the grid",
    "Usage: julictl grid define CODE NAME KIND [PARENT] [--id KEY]\n"
    "Defines the node CODE of the grid tree, called NAME. KIND is community,\n"
    "grid, compound or stairwell; every kind but community needs a PARENT\n"
    "of the kind above it. Defining a code again with the same kind and\n"
    "parent renames it.\n"
    "\n"
    "  --id KEY   the idempotency key (default: a fresh one, printed)\n"
    CTL_HELP_GLOBAL,
    s_grid,
};

/* -- submit ---------------------------------------------------------------- */

static const struct option s_submit_opts[] = {
    CTL_ARG("text", O_TEXT),
    CTL_ARG("channel", O_CHANNEL),
    CTL_ARG("category", O_CATEGORY),
    CTL_ARG("urgency", O_URGENCY),
    CTL_ARG("stairwell", O_STAIRWELL),
    CTL_ARG("compound", O_COMPOUND),
    CTL_ARG("grid", O_GRID),
    CTL_ARG("address", O_ADDRESS),
    CTL_ARG("reporter-id", O_REPORTER_ID),
    CTL_ARG("reporter-name", O_REPORTER_NAME),
    CTL_ARG("phone", O_PHONE),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

static int s_submit(ctl_t *ctl, int argc, char **argv)
{
    const char *text = NULL, *channel = NULL, *category = NULL,
               *given_id = NULL;
    uint64_t urgency = 0;
    body_t body, loc, reporter;
    body_init(&body);
    body_init(&loc);
    body_init(&reporter);
    int rc = CTL_EXIT_USAGE;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_submit_opts)) !=
                CTL_OPT_END;) {
        switch (c) {
        case O_TEXT: text = optarg; break;
        case O_CHANNEL: channel = optarg; break;
        case O_CATEGORY: category = optarg; break;
        case O_URGENCY:
            if (ctl_uint(ctl, "--urgency", optarg, 1, 3, &urgency) < 0)
                goto done;
            break;
        case O_STAIRWELL: body_str(&loc, "stairwell", optarg); break;
        case O_COMPOUND: body_str(&loc, "compound", optarg); break;
        case O_GRID: body_str(&loc, "grid", optarg); break;
        case O_ADDRESS: body_str(&loc, "address", optarg); break;
        case O_REPORTER_ID: body_str(&reporter, "id", optarg); break;
        case O_REPORTER_NAME: body_str(&reporter, "name", optarg); break;
        case O_PHONE: body_str(&reporter, "phone", optarg); break;
        case O_ID: given_id = optarg; break;
        default: rc = ctl_opt_exit(c); goto done;
        }
    }
    if ((rc = ctl_positionals(ctl, argc, argv, 0, 0, "")))
        goto done;
    rc = CTL_EXIT_USAGE;
    if (!text || !channel) {
        ctl_usage(ctl, "--text and --channel are required");
        goto done;
    }
    if (loc.n == 0) {
        ctl_usage(ctl, "give --stairwell, --compound, --grid or --address");
        goto done;
    }
    char id[CTL_ID_SIZE];
    if ((rc = ctl_id(ctl, given_id, id)))
        goto done;
    body_str(&body, "text", text);
    body_str(&body, "channel", channel);
    body_str(&body, "category", category);
    if (urgency)
        body_uint(&body, "urgency", urgency);
    body_map(&body, "location", &loc);
    body_map(&body, "reporter", &reporter);
    msgpack_object reply;
    if (!(rc = ctl_call(ctl, DAEMON, "request.submit", id, &body, &reply)))
        rc = ctl_done(ctl, &reply, "ref", id);
done:
    body_free(&reporter);
    body_free(&loc);
    body_free(&body);
    return rc;
}

const ctl_cmd_t cmd_submit = {
    "submit",
    "submit a resident's request",
    "Usage: julictl submit --text TEXT --channel CH [OPTION]...\n"
    "Submits a request and prints its ref and status: accepted when its\n"
    "grid and category are known, else triage (see classify).\n"
    "\n"
    "  --text TEXT           what the resident says (1..2000 characters)\n"
    "  --channel CH          app, hotline, patrol, walk_in or grid_worker\n"
    "  --category C          a category code (default: suggested from the\n"
    "                        text's keywords)\n"
    "  --urgency N           1 normal (default), 2 pressing, 3 urgent\n"
    "  --stairwell S, --compound C, --grid G\n"
    "                        where, as a code of the grid tree (the most\n"
    "                        precise one known)\n"
    "  --address A           where, in words (alone: the request waits in\n"
    "                        triage)\n"
    "  --reporter-id I, --reporter-name N, --phone P\n"
    "                        who reported it\n"
    "  --id KEY              the idempotency key (default: a fresh one,\n"
    "                        printed)\n" CTL_HELP_GLOBAL,
    s_submit,
};

/* -- get ------------------------------------------------------------------- */

static void s_show_request(const msgpack_object *reply)
{
    static const char *const chain[] = {"community", "grid", "compound",
                                        "stairwell", NULL};
    static const char *const who[] = {"id", "name", "phone", NULL};
    const msgpack_object *r = show_get(reply, "request");
    char buf[1024], when[32];
    size_t len;

    show_field("ref:", show_get(r, "ref"));
    show_field("status:", show_get(r, "status"));
    show_field("text:", show_get(r, "text"));
    show_field("channel:", show_get(r, "channel"));
    const char *s = show_text(show_get(r, "category"), buf, sizeof buf, &len);
    const msgpack_object *sug = show_get(r, "category_suggested");
    int suggested = sug && sug->type == MSGPACK_OBJECT_BOOLEAN &&
                    sug->via.boolean;
    show_line("category:", s, len, suggested ? " (suggested)" : "");
    show_field("urgency:", show_get(r, "urgency"));
    len = show_join(r, chain, " / ", buf, sizeof buf);
    show_line("location:", len ? buf : "-", len ? len : 1, "");
    const msgpack_object *address = show_get(show_get(r, "location"),
                                             "address");
    if (address)
        show_field("address:", address);
    len = show_join(show_get(r, "reporter"), who, " ", buf, sizeof buf);
    if (len)
        show_line("reporter:", buf, len, "");
    show_when_line("created:", r, "created");
    show_when_line("updated:", r, "updated");

    uint32_t n;
    const msgpack_object *e = show_array(r, "timeline", &n);
    static const char *const headers[] = {"TIME", "STATUS", "NOTE"};
    table_t *t = n ? table_new(3, headers) : NULL;
    if (!t)
        return;
    for (uint32_t i = 0; i < n; i++) {
        table_row(t);
        table_cellf(t, "%s", show_when(&e[i], "ts", when));
        show_cell(t, show_get(&e[i], "status"));
        show_cell(t, show_get(&e[i], "note"));
    }
    printf("\n");
    table_print(t, stdout);
    table_destroy(&t);
}

static int s_get(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_arg(ctl, argc, argv, DAEMON, "request.get", "ref",
                         s_show_request);
}

const ctl_cmd_t cmd_get = {
    "get",
    "one request, with its timeline",
    "Usage: julictl get REF\n"
    "Prints the request REF (R00000001) with its current status and its\n"
    "timeline, times in the local time zone.\n" CTL_HELP_GLOBAL,
    s_get,
};

/* -- list ------------------------------------------------------------------ */

static const struct option s_list_opts[] = {
    CTL_ARG("status", O_STATUS), CTL_ARG("grid", O_GRID),
    CTL_ARG("category", O_CATEGORY), CTL_ARG("after", O_AFTER),
    CTL_ARG("limit", O_LIMIT), CTL_ARGS_END,
};

static void s_list_table(const msgpack_object *reply)
{
    static const char *const headers[] = {"REF", "STATUS",  "CATEGORY",
                                          "URG", "GRID",    "CREATED",
                                          "TEXT"};
    uint32_t n;
    const msgpack_object *r = show_array(reply, "requests", &n);
    table_t *t = table_new(7, headers);
    if (!t)
        return;
    table_max_width(t, 6, TEXT_WIDTH);
    for (uint32_t i = 0; i < n; i++) {
        char when[32];
        table_row(t);
        show_cell(t, show_get(&r[i], "ref"));
        show_cell(t, show_get(&r[i], "status"));
        show_cell(t, show_get(&r[i], "category"));
        show_cell(t, show_get(&r[i], "urgency"));
        show_cell(t, show_get(&r[i], "grid"));
        table_cellf(t, "%s", show_when(&r[i], "created", when));
        show_cell(t, show_get(&r[i], "text"));
    }
    table_print(t, stdout);
    table_destroy(&t);
    show_next(reply);
}

static int s_list(ctl_t *ctl, int argc, char **argv)
{
    return ctl_query_opts(ctl, argc, argv, s_list_opts, DAEMON,
                          "requests.list", NULL, s_list_table);
}

const ctl_cmd_t cmd_list = {
    "list",
    "requests, filtered, one page at a time",
    "Usage: julictl list [--status S] [--grid G] [--category C] "
    "[--after CURSOR]\n"
    "                    [--limit N]\n"
    "Lists requests, oldest first, and 'next: CURSOR' when there are more:\n"
    "pass it back as --after for the next page.\n"
    "\n"
    "  --status S     triage, accepted, assigned, in_progress, resolved,\n"
    "                 closed or cancelled\n"
    "  --grid G       only requests of grid G\n"
    "  --category C   only requests of category C\n"
    "  --after CURSOR the page after the one that printed CURSOR\n"
    "  --limit N      at most N requests (default 100, at most 1000)\n"
    CTL_HELP_GLOBAL,
    s_list,
};

/* -- classify -------------------------------------------------------------- */

static const struct option s_classify_opts[] = {
    CTL_ARG("category", O_CATEGORY), CTL_ARG("stairwell", O_STAIRWELL),
    CTL_ARG("compound", O_COMPOUND), CTL_ARG("grid", O_GRID),
    CTL_ARG("id", O_ID),             CTL_ARGS_END,
};

static int s_classify(ctl_t *ctl, int argc, char **argv)
{
    const char *category = NULL, *given_id = NULL;
    body_t body, loc;
    body_init(&body);
    body_init(&loc);
    int rc = CTL_EXIT_USAGE;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_classify_opts)) !=
                CTL_OPT_END;) {
        switch (c) {
        case O_CATEGORY: category = optarg; break;
        case O_STAIRWELL:
        case O_COMPOUND:
        case O_GRID:
            if (loc.n) {
                ctl_usage(ctl, "give one of --stairwell, --compound, "
                               "--grid");
                goto done;
            }
            body_str(&loc,
                     c == O_STAIRWELL  ? "stairwell"
                     : c == O_COMPOUND ? "compound"
                                       : "grid",
                     optarg);
            break;
        case O_ID: given_id = optarg; break;
        default: rc = ctl_opt_exit(c); goto done;
        }
    }
    if ((rc = ctl_positionals(ctl, argc, argv, 1, 1, "REF")))
        goto done;
    char id[CTL_ID_SIZE];
    if ((rc = ctl_id(ctl, given_id, id)))
        goto done;
    body_str(&body, "ref", argv[optind]);
    body_str(&body, "category", category);
    body_map(&body, "location", &loc);
    msgpack_object reply;
    if (!(rc = ctl_call(ctl, DAEMON, "request.classify", id, &body,
                        &reply)))
        rc = ctl_done(ctl, &reply, "ref", id);
done:
    body_free(&loc);
    body_free(&body);
    return rc;
}

const ctl_cmd_t cmd_classify = {
    "classify",
    "give a request in triage its category or place",
    "Usage: julictl classify REF [--category C]\n"
    "                        [--stairwell S | --compound C | --grid G] "
    "[--id KEY]\n"
    "Moves the request REF out of triage to accepted, setting what it\n"
    "lacked: its category, its place in the grid tree, or both.\n"
    "\n"
    "  --category C                 a category code\n"
    "  --stairwell S, --compound C, --grid G\n"
    "                               where (one of them)\n"
    "  --id KEY                     the idempotency key (default: a fresh\n"
    "                               one, printed)\n" CTL_HELP_GLOBAL,
    s_classify,
};

/* -- cancel ---------------------------------------------------------------- */

static const struct option s_cancel_opts[] = {
    CTL_ARG("reason", O_REASON),
    CTL_ARG("id", O_ID),
    CTL_ARGS_END,
};

static int s_cancel(ctl_t *ctl, int argc, char **argv)
{
    const char *reason = NULL, *given_id = NULL;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_cancel_opts)) !=
                CTL_OPT_END;) {
        if (c == O_REASON)
            reason = optarg;
        else if (c == O_ID)
            given_id = optarg;
        else
            return ctl_opt_exit(c);
    }
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "REF");
    char id[CTL_ID_SIZE];
    if (rc || (rc = ctl_id(ctl, given_id, id)))
        return rc;
    body_t body;
    body_init(&body);
    body_str(&body, "ref", argv[optind]);
    body_str(&body, "reason", reason);
    msgpack_object reply;
    if (!(rc = ctl_call(ctl, DAEMON, "request.cancel", id, &body, &reply)))
        rc = ctl_done(ctl, &reply, "ref", id);
    body_free(&body);
    return rc;
}

const ctl_cmd_t cmd_cancel = {
    "cancel",
    "cancel a request (until it is resolved)",
    "Usage: julictl cancel REF [--reason TEXT] [--id KEY]\n"
    "Cancels the request REF; dispatch then ends its task. Allowed until\n"
    "the request is resolved.\n"
    "\n"
    "  --reason TEXT   why, for the timeline\n"
    "  --id KEY        the idempotency key (default: a fresh one, printed)\n"
    CTL_HELP_GLOBAL,
    s_cancel,
};
