/*  julictl: the juli stack's command line for operators.
 *
 *    julictl [-c FILE] [--json] [--timeout MS] COMMAND [ARGS...]
 *
 *  main reads top-down: the global options, the command's name looked up
 *  in the table below, the command run with the rest of the line, exit
 *  with its code. The commands live in service_cmds.c, tail.c,
 *  intake_cmds.c, dispatch_cmds.c, scoring_cmds.c, backup.c, import.c,
 *  keygen.c, simulate.c and report.c;
 *  what a run holds (options, config, client) is ctl.c's.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "daemon.h" /* JULI_VERSION */

static const ctl_cmd_t *const s_cmds[] = {
    /* every daemon */
    &cmd_health, &cmd_stats, &cmd_events, &cmd_tail,
    /* intake */
    &cmd_grid, &cmd_submit, &cmd_get, &cmd_list, &cmd_classify, &cmd_cancel,
    /* dispatch */
    &cmd_staff, &cmd_unit, &cmd_units, &cmd_tasks, &cmd_task, &cmd_accept,
    &cmd_decline, &cmd_escalate, &cmd_resolve, &cmd_followup, &cmd_reopen,
    &cmd_rates,
    /* scoring */
    &cmd_member, &cmd_points, &cmd_ledger, &cmd_leaderboard, &cmd_ratings,
    &cmd_volunteer, &cmd_adjust, &cmd_verify,
    /* the whole stack */
    &cmd_backup, &cmd_import, &cmd_keygen, &cmd_simulate, &cmd_report,
    NULL,
};

static void s_help(void)
{
    printf("Usage: julictl [-c FILE] [--json] [--timeout MS] COMMAND "
           "[ARGS...]\n"
           "Talks to the juli daemons (intake, dispatch, scoring) through "
           "their api.\n\n"
           "Commands ('julictl COMMAND --help' for each):\n");
    for (size_t i = 0; s_cmds[i]; i++)
        printf("  %-11s %s\n", s_cmds[i]->name, s_cmds[i]->summary);
    printf(
        "\nGlobal options, before or after the command:\n"
        "  -c, --config FILE    the stack's INI file; endpoints come from "
        "its\n"
        "                       [intake], [dispatch] and [scoring] "
        "sections\n"
        "                       (default: $JULI_CONFIG, else built-in "
        "defaults)\n"
        "      --api ENDPOINT   the api of the one daemon the command talks "
        "to\n"
        "      --api NAME=ENDPOINT  the api of daemon NAME (intake, dispatch "
        "or\n"
        "                       scoring), once per daemon; the only form "
        "for\n"
        "                       commands that talk to several (import, "
        "simulate,\n"
        "                       report)\n"
        "      --events ENDPOINT  the events endpoint, for tail\n"
        "      --json           print the reply as one JSON object\n"
        "      --timeout MS     wait at most MS for a reply (default %d)\n"
        "  -h, --help           this help\n"
        "  -V, --version        the version\n\n"
        "Writes (grid, submit, classify, cancel, staff assign, unit, "
        "accept, decline,\n"
        "escalate, resolve, followup, reopen, member, ratings compute, "
        "volunteer,\n"
        "adjust) print their idempotency key; pass it back with --id KEY "
        "to retry\n"
        "one safely. import derives each row's key from the row, so "
        "importing again\n"
        "changes nothing.\n\n"
        "Exit status: 0 done; 1 the daemon refused (its error and detail "
        "on stderr)\n"
        "or another failure; 2 a bad command line or config file; 3 no "
        "reply in time.\n",
        CTL_TIMEOUT_DEFAULT);
}

static const ctl_cmd_t *s_find(const char *name)
{
    for (size_t i = 0; s_cmds[i]; i++)
        if (strcmp(s_cmds[i]->name, name) == 0)
            return s_cmds[i];
    return NULL;
}

/* Reads the options before the command into CTL. Returns -1 to go on, or
 * the exit code (after --help or --version, or a usage error). */
static int s_global_args(ctl_t *ctl, int argc, char **argv)
{
    struct option opts[16];
    const struct option *global = ctl_global_options();
    size_t n = 0;
    while (global[n].name && n < 14) {
        opts[n] = global[n];
        n++;
    }
    opts[n++] = (struct option){"version", no_argument, NULL, 'V'};
    opts[n] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h': s_help(); return CTL_EXIT_OK;
        case 'V': printf("julictl %s\n", JULI_VERSION); return CTL_EXIT_OK;
        case ':':
            return ctl_usage(ctl, "option '%s' needs a value",
                             argv[optind - 1]);
        case '?':
            return ctl_usage(ctl, "unknown option '%s'", argv[optind - 1]);
        default:
            if (ctl_global_option(ctl, c, optarg) != 0)
                return CTL_EXIT_USAGE;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    /* Display widths of Chinese text; numbers keep the C locale. */
    setlocale(LC_CTYPE, "C.UTF-8");
    ctl_t ctl;
    ctl_init(&ctl);
    int rc = s_global_args(&ctl, argc, argv);
    if (rc >= 0)
        goto done;
    if (optind >= argc) {
        rc = ctl_usage(&ctl, "missing COMMAND");
        goto done;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) { /* julictl help [COMMAND] */
        const ctl_cmd_t *cmd =
            optind + 1 < argc ? s_find(argv[optind + 1]) : NULL;
        if (cmd)
            printf("%s", cmd->help);
        else
            s_help();
        rc = CTL_EXIT_OK;
        goto done;
    }
    if (!(ctl.cmd = s_find(name))) {
        rc = ctl_usage(&ctl, "unknown command '%s'", name);
        goto done;
    }
    int cargc = argc - optind;
    char **cargv = argv + optind;
    optind = 0; /* getopt starts over, on the command's arguments */
    rc = ctl.cmd->run(&ctl, cargc, cargv);
done:
    ctl_fini(&ctl);
    return rc;
}
