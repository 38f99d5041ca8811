/*  report: a period of the community's service, assembled from the three
 *  daemons into one value, then shown as text, JSON or one XHTML page.
 *
 *  report.c asks the daemons and assembles the report; report_html.c
 *  writes it as a page. The report is one MessagePack map, the same for
 *  all three outputs (julictl report --json prints it):
 *
 *    period, from, to         "2026-10" and its bounds (Unix ms)
 *    as_of, simulated         the (simulated) time of the report
 *    community                the community's name, or nil
 *    all                      the three rates of the whole community: a
 *                             rates row (protocol.md, Rates) summed over
 *                             the grids, without medians
 *    grids, categories, units rates rows with a name; every grid of the
 *                             tree, the categories with facts, the 10
 *                             units most assigned
 *    escalations              [{level, count, accept_timeout,
 *                             resolve_timeout, manual}] in the period
 *    members, groups,         the leaderboards' top 10 rows for the
 *      branches               period
 *    ratings                  ratings.compute of the period: {id,
 *                             members, groups, branches}
 *    totals                   {requests: intake's stats, tasks:
 *                             dispatch's stats, escalations, closed}
 */
#ifndef JULICTL_REPORT_H
#define JULICTL_REPORT_H

#include <msgpack.h>
#include <stdio.h>

/* Writes the report R as one self-contained, well-formed XHTML page to
 * OUT: its tables, with SVG charts of the three rates per grid and of the
 * escalations by level, and a print stylesheet. Returns 0, or -1 when
 * OUT fails. */
int report_html(FILE *out, const msgpack_object *r);

#endif
