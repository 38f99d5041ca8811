/*  cmds: the commands of julictl, one ctl_cmd_t each, for main's table.
 *
 *  service_cmds.c  the requests every daemon answers: health, stats,
 *                  events (one page of the event log)
 *  tail.c          tail: live events, caught up from the log
 *  intake_cmds.c   intake's requests: grid define, submit, get, list,
 *                  classify, cancel
 *  dispatch_cmds.c dispatch's requests: staff, unit register, units,
 *                  tasks, task, accept, decline, escalate, resolve,
 *                  followup, reopen, rates
 *  scoring_cmds.c  scoring's requests: member register, points, ledger,
 *                  leaderboard, ratings, volunteer, adjust, verify
 *  backup.c        backup: the daemons' stores, copied while they run
 *  import.c        import: a community from CSV files, idempotently
 *  keygen.c        keygen: CURVE key pairs and the clients file
 *  simulate.c      simulate: a month of residents, staff and units, in
 *                  the stack's simulated time (residents.c: what they say)
 *  report.c        report: a period's rates, escalations, points, stars
 *                  (report_html.c: the same as one XHTML page)
 *
 *  community.c reads the grid tree, members and staff for simulate and
 *  report.
 */
#ifndef JULICTL_CMDS_H
#define JULICTL_CMDS_H

#include "ctl.h"

extern const ctl_cmd_t cmd_health, cmd_stats, cmd_events;
extern const ctl_cmd_t cmd_tail;
extern const ctl_cmd_t cmd_grid, cmd_submit, cmd_get, cmd_list,
    cmd_classify, cmd_cancel;
extern const ctl_cmd_t cmd_staff, cmd_unit, cmd_units, cmd_tasks, cmd_task,
    cmd_accept, cmd_decline, cmd_escalate, cmd_resolve, cmd_followup,
    cmd_reopen, cmd_rates;
extern const ctl_cmd_t cmd_member, cmd_points, cmd_ledger, cmd_leaderboard,
    cmd_ratings, cmd_volunteer, cmd_adjust, cmd_verify;
extern const ctl_cmd_t cmd_backup, cmd_import, cmd_keygen, cmd_simulate,
    cmd_report;

/* Tables that the report shares with the commands that own them. */

/* The rates rows in the array ITEMS of O, one line each (dispatch_cmds.c);
 * with NAME, a last column of each row's value under NAME. */
void rates_table(const msgpack_object *o, const char *items,
                 const char *name);

/* The leaderboard rows in the array ITEMS of O, ranked (scoring_cmds.c). */
void board_table(const msgpack_object *o, const char *items);

/* The reply to ratings.compute: how many of each scope got 0 to 5 stars
 * (scoring_cmds.c). */
void stars_table(const msgpack_object *reply);

#endif
