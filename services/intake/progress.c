/*  progress: what dispatch did with a request, as residents see it.
 *
 *  intake follows dispatch's events (follow.c, exactly once) and maps the
 *  task's moves onto the request's status and timeline:
 *
 *    task.assigned  -> assigned      task.escalated, task.declined,
 *    task.accepted  -> in_progress   task.pending, task.reopened
 *    task.resolved  -> resolved          -> a timeline note only
 *    task.closed    -> closed
 *
 *  A reopened task is assigned again at once, so the status follows.
 */
#include <stdio.h>
#include <string.h>

#include "intake.h"

/* "张三 (stairwell_leader, S111)" or "某单位 (unit)", from an assignee
 * map. */
static void s_who(const field_map_t *data, const char *key, char *out,
                  size_t size)
{
    field_map_t a;
    field_str_t name = {0}, role = {0}, kind = {0};
    if (field_map(data, key, FIELD_OPTIONAL, &a) <= 0) {
        snprintf(out, size, "?");
        return;
    }
    field_str(&a, "name", FIELD_OPTIONAL, 512, &name); /* 128 characters */
    field_str(&a, "role", FIELD_OPTIONAL, 64, &role);
    field_str(&a, "kind", FIELD_OPTIONAL, 64, &kind);
    field_str_t what = role.ptr ? role : kind;
    snprintf(out, size, "%.*s (%.*s)", (int)name.len,
             name.ptr ? name.ptr : "", (int)what.len,
             what.ptr ? what.ptr : "");
}

int progress_apply(void *ctx, const follow_event_t *e)
{
    intake_t *in = ctx;
    field_str_t ref, reason = {0};
    if (field_str(&e->data, "ref", FIELD_OPTIONAL, 23, &ref) <= 0 ||
        ref.len < 2 || ref.ptr[0] != 'R')
        return 0; /* staff, units: not about a request */
    /* A reason of 500 characters: up to 2,000 bytes. */
    field_str(&e->data, "reason", FIELD_OPTIONAL, 2000, &reason);
    /* A reason of 500 characters (2,000 bytes), an assignee's name of 128
     * (512) and its role: a note holds both, uncut. */
    char note[2700], who[600];
    const char *status = NULL;
    if (field_str_eq(e->type, "task.assigned")) {
        s_who(&e->data, "assignee", who, sizeof who);
        snprintf(note, sizeof note, "assigned to %s", who);
        status = "assigned";
    } else if (field_str_eq(e->type, "task.accepted")) {
        snprintf(note, sizeof note, "accepted");
        status = "in_progress";
    } else if (field_str_eq(e->type, "task.resolved")) {
        snprintf(note, sizeof note, "resolved");
        status = "resolved";
    } else if (field_str_eq(e->type, "task.closed")) {
        field_str_t sat = {0};
        field_str(&e->data, "satisfaction", FIELD_OPTIONAL, 32, &sat);
        snprintf(note, sizeof note, "closed after a follow-up visit (%.*s)",
                 (int)sat.len, sat.ptr ? sat.ptr : "");
        status = "closed";
    } else if (field_str_eq(e->type, "task.escalated")) {
        s_who(&e->data, "to", who, sizeof who);
        snprintf(note, sizeof note, "escalated to %s (%.*s)", who,
                 (int)reason.len, reason.ptr ? reason.ptr : "");
    } else if (field_str_eq(e->type, "task.declined")) {
        snprintf(note, sizeof note, "declined: %.*s", (int)reason.len,
                 reason.ptr ? reason.ptr : "");
    } else if (field_str_eq(e->type, "task.reopened")) {
        snprintf(note, sizeof note, "reopened: %.*s", (int)reason.len,
                 reason.ptr ? reason.ptr : "");
    } else if (field_str_eq(e->type, "task.pending")) {
        snprintf(note, sizeof note, "waiting for staff to take it");
    } else
        return 0;
    return request_progress(in, ref, status, note, e->ts);
}
