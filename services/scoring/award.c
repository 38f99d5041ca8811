/*  award: what goes into the ledger, and why.
 *
 *    task.closed (dispatch)     each participant earns points_task, at the
 *                               event's ts, by whoever resolved the task
 *    task.reopened, was closed  what the task's entries net is taken back
 *                               (ledger_take_back); the next task.closed
 *                               awards again, so a task closed, reopened
 *                               and closed again nets one award
 *    volunteer.log (staff)      hours of service outside tasks (patrols),
 *                               on the day they were given
 *    points.adjust (admin)      a signed correction, never an edit
 *
 *  A participant who is not (yet) a registered member keeps the award
 *  under their id: nothing is dropped, and it counts once they register.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "scoring.h"

static const char *const s_satisfaction[] = {"satisfied", "basically",
                                             "unsatisfied", NULL};

/* Copies S into a NUL-terminated buffer. */
static void s_cstr(char *dst, size_t size, field_str_t s)
{
    snprintf(dst, size, "%.*s", (int)s.len, s.ptr ? s.ptr : "");
}

static int s_closed(scoring_t *sc, const follow_event_t *e)
{
    const field_map_t *d = &e->data;
    field_str_t task, ref, by = {0};
    const msgpack_object *parts;
    size_t nparts;
    uint64_t difficulty, urgency;
    int professional = 0, sat;
    if (field_str(d, "task", FIELD_REQUIRED, 23, &task) < 0 ||
        field_str(d, "ref", FIELD_REQUIRED, 23, &ref) < 0 ||
        field_array(d, "participants", FIELD_REQUIRED, 64, &parts,
                    &nparts) < 0 ||
        field_uint(d, "difficulty", FIELD_REQUIRED, 1, 3, &difficulty) < 0 ||
        field_uint(d, "urgency", FIELD_REQUIRED, 1, 3, &urgency) < 0 ||
        field_bool(d, "professional", FIELD_OPTIONAL, &professional) < 0 ||
        field_enum(d, "satisfaction", FIELD_REQUIRED, s_satisfaction, &sat) <
            0 ||
        field_str(d, "resolved_by", FIELD_OPTIONAL, 64, &by) < 0) {
        log_error("task.closed %llu skipped: %s",
                  (unsigned long long)e->seq, d->err);
        return 0;
    }
    char task_s[24], by_s[65], reason[96];
    s_cstr(task_s, sizeof task_s, task);
    s_cstr(by_s, sizeof by_s, by);
    snprintf(reason, sizeof reason, "task %s (request %.*s)", task_s,
             (int)ref.len, ref.ptr);
    for (size_t i = 0; i < nparts; i++) {
        field_map_t one;
        field_str_t member;
        double hours;
        if (field_item_map(d, "participants", i, &parts[i], &one) < 0 ||
            field_str(&one, "member", FIELD_REQUIRED, 64, &member) < 0 ||
            field_num(&one, "hours", FIELD_REQUIRED, &hours) < 0 ||
            !(hours > 0 && hours <= 24)) {
            log_error("task.closed %llu: participant %zu skipped",
                      (unsigned long long)e->seq, i);
            continue;
        }
        char member_s[65];
        s_cstr(member_s, sizeof member_s, member);
        entry_t entry = {
            .member = member_s,
            .points = points_task(&sc->config->points, hours,
                                  (int)difficulty, (int)urgency,
                                  professional, sat == 0),
            .kind = "task",
            .reason = reason,
            .by = by_s,
            .source = "dispatch",
            .seq = e->seq,
            .task = task_s,
            .ts = e->ts};
        if (ledger_append(sc, &entry, clock_now_ms()) < 0)
            return -1;
    }
    return 0;
}

static int s_reopened(scoring_t *sc, const follow_event_t *e)
{
    field_str_t task, was = {0}, by = {0};
    if (field_str(&e->data, "task", FIELD_REQUIRED, 23, &task) < 0)
        return 0;
    field_str(&e->data, "was", FIELD_OPTIONAL, 16, &was);
    field_str(&e->data, "by", FIELD_OPTIONAL, 64, &by);
    if (!field_str_eq(was, "closed"))
        return 0; /* reopened before it closed: nothing was awarded */
    char task_s[24], by_s[65];
    s_cstr(task_s, sizeof task_s, task);
    s_cstr(by_s, sizeof by_s, by);
    return ledger_take_back(sc, task_s, by_s, "dispatch", e->seq, e->ts,
                            clock_now_ms());
}

int award_apply(void *ctx, const follow_event_t *e)
{
    scoring_t *sc = ctx;
    if (field_str_eq(e->type, "task.closed"))
        return s_closed(sc, e);
    if (field_str_eq(e->type, "task.reopened"))
        return s_reopened(sc, e);
    return 0;
}

/* -- requests -------------------------------------------------------------- */

api_status_t award_volunteer(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t member, activity, date, by;
    double hours;
    int64_t day;
    if (field_str(&req->body, "member", FIELD_REQUIRED, 64, &member) < 0 ||
        field_num(&req->body, "hours", FIELD_REQUIRED, &hours) < 0 ||
        field_text(&req->body, "activity", FIELD_REQUIRED, 200, &activity) <
            0 ||
        field_str(&req->body, "date", FIELD_REQUIRED, 10, &date) < 0 ||
        field_str(&req->body, "by", FIELD_REQUIRED, 64, &by) < 0)
        return API_INVALID;
    if (!(hours > 0 && hours <= 24))
        return api_fail(req, API_INVALID, "body.hours: must be in (0, 24]");
    if (period_date(date.ptr, date.len, &day) < 0)
        return api_fail(req, API_INVALID, "body.date: not a YYYY-MM-DD date");
    char member_s[65], by_s[65], reason[1000]; /* 200 characters */
    s_cstr(member_s, sizeof member_s, member);
    s_cstr(by_s, sizeof by_s, by);
    snprintf(reason, sizeof reason, "volunteer %.*s: %.*s", (int)date.len,
             date.ptr, (int)activity.len, activity.ptr);
    entry_t e = {.member = member_s,
                 .points = points_volunteer(&sc->config->points, hours),
                 .kind = "volunteer",
                 .reason = reason,
                 .by = by_s,
                 .ts = (uint64_t)day};
    if (ledger_append(sc, &e, req->now) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 2);
    pack_kfield(r, "member", member);
    pack_kint(r, "points", e.points);
    return API_OK;
}

api_status_t award_adjust(api_req_t *req, void *ctx)
{
    scoring_t *sc = ctx;
    field_str_t member, reason, by;
    int64_t points;
    if (field_str(&req->body, "member", FIELD_REQUIRED, 64, &member) < 0 ||
        field_int(&req->body, "points", FIELD_REQUIRED, -100000, 100000,
                  &points) < 0 ||
        field_text(&req->body, "reason", FIELD_REQUIRED, 200, &reason) < 0 ||
        field_str(&req->body, "by", FIELD_REQUIRED, 64, &by) < 0)
        return API_INVALID;
    if (points == 0)
        return api_fail(req, API_INVALID, "body.points: must not be 0");
    char member_s[65], by_s[65], reason_s[1000]; /* 200 characters */
    s_cstr(member_s, sizeof member_s, member);
    s_cstr(by_s, sizeof by_s, by);
    s_cstr(reason_s, sizeof reason_s, reason);
    entry_t e = {.member = member_s,
                 .points = points,
                 .kind = "adjust",
                 .reason = reason_s,
                 .by = by_s,
                 .ts = req->now};
    if (ledger_append(sc, &e, req->now) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 2);
    pack_kfield(r, "member", member);
    pack_kint(r, "points", points);
    return API_OK;
}
