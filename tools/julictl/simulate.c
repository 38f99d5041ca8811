/*  simulate: a month of the community, through the real api, in the
 *  stack's simulated time.
 *
 *    julictl simulate [--days N] [--seed S] [--rate R]
 *
 *  julictl plays everyone but the daemons: residents submit requests,
 *  staff classify what waits in triage, assignees accept, decline and
 *  resolve, staff make follow-up visits, residents complain, and the
 *  sanitation patrol goes out every Wednesday and Friday. The daemons do
 *  the rest as in production: routing, deadlines and escalation, points,
 *  the rates. residents.c holds what everyone says; this file decides
 *  who acts when.
 *
 *  Time. The config's [clock] puts every process of the stack on one
 *  simulated clock (clock.h); simulate puts itself on it too, and refuses
 *  to run without it. Simulated time runs by itself; simulate sleeps
 *  STEP_MS of real time, then acts for the simulated interval that
 *  passed (s_step):
 *
 *    1. the hours that began are drawn: a Poisson number of requests per
 *       hour in a daily rhythm, each planned at its minute, and the patrol
 *       at 09:00 on Wednesdays and Fridays (s_hour);
 *    2. the plans now due are sent: submissions, the classification of a
 *       request in triage an hour after it came, volunteer logs,
 *       complaints (s_send_plans);
 *    3. the tasks are polled by status (tasks.list) and each acts once its
 *       moment has come: accepted or declined a while after its
 *       assignment (mostly before the deadline, some after it, so dispatch
 *       escalates them), resolved a while after acceptance, visited a
 *       while after resolution (s_assigned, s_accepted, s_resolved);
 *    4. dispatch's new events are read: escalations and closings for the
 *       progress line, and a few closings draw a complaint.
 *
 *  Invariants:
 *
 *    1. The window is --days days from the clock's start date (local
 *       midnight); nothing is done for a moment outside it.
 *    2. Deterministic: each choice is drawn from dice seeded with the seed
 *       and the simulated event it is about (residents.h), and each write's
 *       idempotency key names that event: "sim:SEED:N" for the N-th request
 *       (N = the window's hour × 100 + its number in the hour),
 *       "sim:SEED:T00000012:accept:ASSIGNED_AT" for a task's move. A run
 *       again with the same seed after a crash sends again what was sent
 *       (each daemon replays its stored reply: nothing doubles) and sends
 *       the hours it missed at once.
 *    3. Nothing about a task is kept here: what to do is read from the
 *       task each time (status, assignee, times), so a move refused
 *       because a deadline passed the task on a moment before is not
 *       tried again: the next assignee gets its own draw.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmds.h"
#include "community.h"
#include "residents.h"
#include "show.h"

#define MINUTE       ((int64_t)60000)
#define HOUR         (60 * MINUTE)
#define DAY          (24 * HOUR)
#define STEP_MS      10            /* real ms slept between two steps */
#define PROGRESS_MS  200           /* real ms between two progress updates */
#define SLOW_POLL    (15 * MINUTE) /* simulated: accepted, resolved tasks */
#define PER_HOUR_MAX 99 /* requests in an hour at most (keys: hour × 100) */
#define WARN_MAX     5  /* unexpected refusals said, at most */
#define TASKS_PAGE   1000

/* What s_write returns besides 0 and an exit code. */
enum { S_REFUSED = -1, S_LATER = -2 };

enum { O_DAYS = 256, O_SEED, O_RATE };

/* A write planned for a simulated moment. Plans are allocated one by one:
 * a body_t must not move. */
enum { PLAN_SUBMIT, PLAN_CLASSIFY, PLAN_VOLUNTEER, PLAN_REOPEN };
typedef struct {
    int64_t at;
    int kind, done;
    char id[CTL_ID_SIZE];
    body_t body;
    /* A submission's, for its classification when it lands in triage. */
    char category[32], place_key[16], place[65];
    int patrol;
} s_plan_t;

/* What a task says of itself, copied out of a tasks.list page. */
typedef struct {
    char task[24], category[32], grid[65], kind[16], who[65];
    int64_t assigned_at, accept_by, resolve_by, accepted_at, resolved_at;
} s_task_t;

typedef struct {
    size_t submitted, findings, classified, accepted, declined, resolved,
        visits, satisfaction[3], reopened, closed, escalations, volunteer,
        refused;
} s_totals_t;

typedef struct {
    ctl_t *ctl;
    const config_t *cfg;
    uint64_t seed;
    double rate;           /* requests per simulated day */
    int64_t from, to, now; /* the window, and the moment acted for */
    int64_t step;          /* the simulated length of the last step */
    int64_t hours, drawn;  /* hours in the window, hours drawn */
    int64_t slow_poll;     /* the moment of the last slow poll */
    uint64_t feed;         /* dispatch's events read up to this seq */
    int oom;
    community_t c;
    size_t *stairwells, nstairwells; /* indexes into c.nodes */
    const char *leader; /* the community leader's id, who logs and reopens */
    s_plan_t **plans;
    size_t nplans, capplans;
    s_task_t *tasks;
    size_t ntasks, captasks;
    s_totals_t n;
    int warned;
} s_sim_t;

/* -- small things ---------------------------------------------------------- */

static int s_is(const msgpack_object *e, const char *type)
{
    char t[32];
    return show_str(e, "type", t, sizeof t) && strcmp(t, type) == 0;
}

/* The local time of MS into *TM. */
static void s_local(int64_t ms, struct tm *tm)
{
    time_t t = (time_t)(ms / 1000);
    localtime_r(&t, tm);
}

/* True when the moment AT is due: nearer to this step than to the next
 * (steps are STEP_MS of real time apart, which at a high speed is many
 * simulated minutes: acting at the nearest step keeps the moments
 * unbiased). */
static int s_due(const s_sim_t *sim, int64_t at)
{
    return at <= sim->now + sim->step / 2;
}

/* Says MSG on stderr below the progress line. */
static void s_say(s_sim_t *sim, const char *what, const char *detail)
{
    ctl_progress_done(sim->ctl);
    fprintf(stderr, "julictl simulate: %s", what);
    if (detail) {
        fputs(": ", stderr);
        show_put(stderr, detail, strlen(detail));
    }
    fputc('\n', stderr);
}

/* Sends the write TYPE with BODY under the key ID to DAEMON. Returns 0
 * with the reply in *REPLY; S_REFUSED (counted, and said unless it is a
 * task's move that lost the race with a deadline: forbidden or conflict
 * from dispatch); S_LATER
 * when the store is unavailable; or an exit code when the daemon does not
 * answer. */
static int s_write(s_sim_t *sim, const char *daemon, const char *type,
                   const char *id, const body_t *body, msgpack_object *reply)
{
    *reply = (msgpack_object){.type = MSGPACK_OBJECT_NIL};
    sim->ctl->quiet = 1;
    int rc = ctl_call(sim->ctl, daemon, type, id, body, reply);
    sim->ctl->quiet = 0;
    char error[32], detail[300], what[160];
    if (rc == CTL_EXIT_OK)
        return 0;
    if (rc != CTL_EXIT_FAILED ||
        !show_str(reply, "error", error, sizeof error)) {
        snprintf(what, sizeof what, "no reply from %s to %s", daemon, type);
        s_say(sim, what, "stopping");
        return rc ? rc : CTL_EXIT_FAILED;
    }
    if (strcmp(error, "unavailable") == 0)
        return S_LATER;
    sim->n.refused++;
    int race = strcmp(daemon, "dispatch") == 0 &&
               (!strcmp(error, "forbidden") || !strcmp(error, "conflict"));
    if (!race && sim->warned++ < WARN_MAX) {
        snprintf(what, sizeof what, "%s %s refused: %s", type, id, error);
        s_say(sim, what, show_str(reply, "detail", detail, sizeof detail));
    }
    return S_REFUSED;
}

/* A fresh plan of KIND at AT, added to SIM's plans; NULL when out of
 * memory. */
static s_plan_t *s_plan(s_sim_t *sim, int64_t at, int kind)
{
    s_plan_t **slot =
        ctl_grow(&sim->plans, sim->nplans, &sim->capplans, sizeof *slot);
    s_plan_t *p = slot ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        sim->oom = 1;
        return NULL;
    }
    *slot = p;
    sim->nplans++;
    p->at = at;
    p->kind = kind;
    body_init(&p->body);
    return p;
}

/* -- the community, as the daemons know it --------------------------------- */

/* Reads the community (community.h) and finds its stairwells. Returns 0
 * or an exit code after saying why. */
static int s_community(s_sim_t *sim)
{
    int rc = community_tree(sim->ctl, &sim->c);
    if (rc || (rc = community_people(sim->ctl, &sim->c)))
        return rc;
    if (!(sim->stairwells = calloc(sim->c.nnodes + 1, sizeof(size_t)))) {
        fprintf(stderr, "julictl simulate: out of memory\n");
        return CTL_EXIT_FAILED;
    }
    for (size_t i = 0; i < sim->c.nnodes; i++)
        if (strcmp(sim->c.nodes[i].kind, "stairwell") == 0 &&
            sim->c.nodes[i].up >= 0)
            sim->stairwells[sim->nstairwells++] = i;
    sim->leader = community_holder(&sim->c, NULL, "community_leader");
    if (!sim->leader)
        sim->leader = "sim-staff";
    return 0;
}

/* Who makes the follow-up visits of GRID: its director (理事长), else the
 * community leader. */
static const char *s_visitor(const s_sim_t *sim, const char *grid)
{
    const char *director = community_holder(&sim->c, grid, "director");
    return director ? director : sim->leader;
}

/* -- residents and the patrol ---------------------------------------------- */

/* Fills the submission P with TEXT on CHANNEL about CATEGORY (NULL: left
 * out) at URGENCY (0: left out), at the location KEY: VALUE, from the
 * reporter ID (NULL: none) called NAME, with PHONE (NULL: none). */
static void s_submission(s_plan_t *p, const char *text, const char *channel,
                         const char *category, int urgency, const char *key,
                         const char *value, const char *id, const char *name,
                         const char *phone)
{
    body_t loc, reporter;
    body_init(&loc);
    body_init(&reporter);
    body_str(&loc, key, value);
    body_str(&reporter, "id", id);
    body_str(&reporter, "name", name);
    body_str(&reporter, "phone", phone);
    body_str(&p->body, "text", text);
    body_str(&p->body, "channel", channel);
    body_str(&p->body, "category", category);
    if (urgency)
        body_uint(&p->body, "urgency", (uint64_t)urgency);
    body_map(&p->body, "location", &loc);
    body_map(&p->body, "reporter", &reporter);
    body_free(&reporter);
    body_free(&loc);
}

/* A stairwell drawn with D, and its compound in *COMPOUND. */
static const community_node_t *s_stairwell(const s_sim_t *sim, dice_t *d,
                                           const community_node_t **compound)
{
    const community_node_t *sw =
        &sim->c.nodes[sim->stairwells[dice_below(d, sim->nstairwells)]];
    *compound = &sim->c.nodes[sw->up];
    return sw;
}

/* Fills the submission P with a resident's request about CATEGORY, drawn
 * with D. */
static void s_request(s_sim_t *sim, dice_t *d, const char *category,
                      s_plan_t *p)
{
    const community_node_t *cp, *sw = s_stairwell(sim, d, &cp);
    char text[512], name[32], phone[16], address[160];
    int at_stairwell;
    residents_text(d, category, cp->name, sw->name, text, sizeof text,
                   &at_stairwell);
    residents_reporter(d, name, phone);
    const community_node_t *place = at_stairwell ? sw : cp;
    snprintf(p->category, sizeof p->category, "%s", category);
    /* A few give only an address (triage: staff place them); some leave
     * the category out (intake suggests one from the keywords). */
    double x = dice_unit(d);
    int address_only = x < 0.04, bare = x >= 0.04 && x < 0.19;
    const char *channel = residents_channel(d);
    int urgency = residents_urgency(d);
    if (address_only) {
        snprintf(p->place_key, sizeof p->place_key, "%s", place->kind);
        snprintf(p->place, sizeof p->place, "%s", place->code);
        snprintf(address, sizeof address, "%s%s附近", cp->name,
                 at_stairwell ? sw->name : "");
    }
    s_submission(p, text, channel, bare ? NULL : category, urgency,
                 address_only ? "address" : place->kind,
                 address_only ? address : place->code, NULL, name, phone);
}

/* Plans the sanitation patrol of the day whose 09:00 is AT (local time
 * TM): its findings through the morning, as requests on channel patrol,
 * and the volunteer hours of its members at noon. Returns 0 or -1. */
static int s_patrol(s_sim_t *sim, int64_t at, const struct tm *tm)
{
    char date[16];
    strftime(date, sizeof date, "%Y-%m-%d", tm);
    dice_t d;
    dice_seed(&d, sim->seed, "patrol", date, 0);
    size_t nfind =
        config_category(sim->cfg, "sanitation", 10) && sim->c.nmembers
            ? 1 + dice_below(&d, 3)
            : 0;
    for (size_t k = 0; k < nfind; k++) {
        const community_node_t *cp, *sw = s_stairwell(sim, &d, &cp);
        const community_member_t *m =
            &sim->c.members[dice_below(&d, sim->c.nmembers)];
        s_plan_t *p =
            s_plan(sim, at + (int64_t)dice_range(&d, 0, 2 * HOUR), PLAN_SUBMIT);
        if (!p)
            return -1;
        char text[512];
        int at_stairwell;
        residents_finding(&d, cp->name, sw->name, text, sizeof text,
                          &at_stairwell);
        snprintf(p->id, sizeof p->id, "sim:%" PRIu64 ":patrol:%s:f%zu",
                 sim->seed, date, k + 1);
        p->patrol = 1;
        s_submission(p, text, "patrol", "sanitation", 0,
                     at_stairwell ? "stairwell" : "compound",
                     at_stairwell ? sw->code : cp->code, m->id, m->name, NULL);
    }
    size_t want =
        sim->c.nmembers < 10 ? sim->c.nmembers : 10 + dice_below(&d, 11);
    size_t chosen[20], n = 0;
    while (n < want) {
        size_t m = dice_below(&d, sim->c.nmembers), k = 0;
        while (k < n && chosen[k] != m)
            k++;
        if (k < n)
            continue; /* already on the patrol */
        chosen[n++] = m;
        s_plan_t *p = s_plan(sim, at + 3 * HOUR, PLAN_VOLUNTEER);
        if (!p)
            return -1;
        snprintf(p->id, sizeof p->id, "sim:%" PRIu64 ":patrol:%s:v%zu",
                 sim->seed, date, n);
        body_str(&p->body, "member", sim->c.members[m].id);
        body_double(&p->body, "hours", 1 + 0.5 * (double)dice_below(&d, 3));
        body_str(&p->body, "activity",
                 tm->tm_wday == 3 ? "周三卫生巡查" : "周五卫生巡查");
        body_str(&p->body, "date", date);
        body_str(&p->body, "by", sim->leader);
    }
    return 0;
}

/* Draws the hour H of the window: its requests, and the patrol when it is
 * 09:00 on a Wednesday or a Friday. Returns 0 or -1. */
static int s_hour(s_sim_t *sim, int64_t h)
{
    int64_t start = sim->from + h * HOUR;
    struct tm tm;
    s_local(start, &tm);
    if (!sim->nstairwells)
        return 0;
    if (tm.tm_hour == 9 && (tm.tm_wday == 3 || tm.tm_wday == 5) &&
        s_patrol(sim, start, &tm) < 0)
        return -1;
    dice_t d;
    dice_seed(&d, sim->seed, "hour", "", h);
    unsigned n =
        dice_poisson(&d, sim->rate / 24 * residents_rhythm(tm.tm_hour));
    for (unsigned k = 0; k < n && k < PER_HOUR_MAX; k++) {
        const char *category = residents_category(&d, sim->cfg);
        if (!category)
            return 0;
        s_plan_t *p =
            s_plan(sim, start + (int64_t)dice_range(&d, 0, HOUR), PLAN_SUBMIT);
        if (!p)
            return -1;
        snprintf(p->id, sizeof p->id, "sim:%" PRIu64 ":%" PRId64, sim->seed,
                 h * 100 + k);
        s_request(sim, &d, category, p);
    }
    return 0;
}

/* -- sending the plans ----------------------------------------------------- */

/* A submission that landed in triage gets classified an hour later. */
static int s_triaged(s_sim_t *sim, const s_plan_t *sub,
                     const msgpack_object *reply)
{
    char ref[32];
    if (!show_str(reply, "ref", ref, sizeof ref))
        return 0;
    s_plan_t *p = s_plan(sim, sim->now + HOUR, PLAN_CLASSIFY);
    if (!p)
        return -1;
    snprintf(p->id, sizeof p->id, "%.54s:classify", sub->id);
    body_str(&p->body, "ref", ref);
    body_str(&p->body, "category", sub->category);
    if (sub->place[0]) {
        body_t loc;
        body_init(&loc);
        body_str(&loc, sub->place_key, sub->place);
        body_map(&p->body, "location", &loc);
        body_free(&loc);
    }
    return 0;
}

/* Sends the plan P. Returns 0, S_REFUSED, S_LATER or an exit code. */
static int s_send(s_sim_t *sim, s_plan_t *p)
{
    static const struct {
        const char *daemon, *type;
    } how[] = {
        [PLAN_SUBMIT] = {"intake", "request.submit"},
        [PLAN_CLASSIFY] = {"intake", "request.classify"},
        [PLAN_VOLUNTEER] = {"scoring", "volunteer.log"},
        [PLAN_REOPEN] = {"dispatch", "task.reopen"},
    };
    msgpack_object reply;
    int rc = s_write(sim, how[p->kind].daemon, how[p->kind].type, p->id,
                     &p->body, &reply);
    if (rc)
        return rc;
    char status[16];
    switch (p->kind) {
    case PLAN_SUBMIT:
        sim->n.submitted++;
        sim->n.findings += (size_t)p->patrol;
        if (show_str(&reply, "status", status, sizeof status) &&
            strcmp(status, "triage") == 0 && s_triaged(sim, p, &reply) < 0)
            return CTL_EXIT_FAILED;
        break;
    case PLAN_CLASSIFY:
        sim->n.classified++;
        break;
    case PLAN_VOLUNTEER:
        sim->n.volunteer++;
        break;
    case PLAN_REOPEN:
        sim->n.reopened++;
        break;
    }
    return 0;
}

static int s_by_time(const void *a, const void *b)
{
    const s_plan_t *x = *(s_plan_t *const *)a, *y = *(s_plan_t *const *)b;
    return (x->at > y->at) - (x->at < y->at);
}

/* Sends the plans that are due, oldest first; keeps those the store could
 * not take yet. Returns 0 or an exit code. */
static int s_send_plans(s_sim_t *sim)
{
    if (sim->nplans > 1)
        qsort(sim->plans, sim->nplans, sizeof *sim->plans, s_by_time);
    size_t due = 0; /* plans made while sending come after these */
    while (due < sim->nplans && sim->plans[due]->at <= sim->now)
        due++;
    int rc = 0;
    for (size_t i = 0; i < due && rc <= 0; i++) {
        rc = s_send(sim, sim->plans[i]);
        sim->plans[i]->done = rc != S_LATER;
    }
    size_t kept = 0;
    for (size_t i = 0; i < sim->nplans; i++) {
        s_plan_t *p = sim->plans[i];
        if (p->done) {
            body_free(&p->body);
            free(p);
        } else
            sim->plans[kept++] = p;
    }
    sim->nplans = kept;
    return sim->oom ? CTL_EXIT_FAILED : rc > 0 ? rc : 0;
}

/* -- assignees and staff --------------------------------------------------- */

/* An assigned task: its assignee accepts it once its moment has come,
 * drawn mostly before the accept deadline and some after it (dispatch
 * escalates first: the next assignee draws anew); a unit sometimes
 * declines instead. */
static int s_assigned(s_sim_t *sim, const s_task_t *t)
{
    dice_t d;
    dice_seed(&d, sim->seed, "accept", t->task, t->assigned_at);
    int64_t window = t->accept_by - t->assigned_at;
    int unit =
        strcmp(t->kind, "unit") == 0 || strcmp(t->kind, "association") == 0;
    double x = dice_unit(&d);
    int decline = unit && x < 0.08;
    double f = decline     ? dice_range(&d, 0.1, 0.6)
               : x >= 0.86 ? dice_range(&d, 1.1, 2.5) /* one in seven */
                           : dice_range(&d, 0.05, 0.75);
    if (!s_due(sim,
               t->assigned_at +
                   (int64_t)(f * (double)(window > MINUTE ? window : MINUTE))))
        return 0;
    body_t body;
    body_init(&body);
    body_str(&body, "task", t->task);
    body_str(&body, "by", t->who);
    body_str(&body, "reason", decline ? residents_decline(&d) : NULL);
    char id[CTL_ID_SIZE];
    snprintf(id, sizeof id, "sim:%" PRIu64 ":%s:%s:%" PRId64, sim->seed,
             t->task, decline ? "decline" : "accept", t->assigned_at);
    msgpack_object reply;
    int rc = s_write(sim, "dispatch", decline ? "task.decline" : "task.accept",
                     id, &body, &reply);
    body_free(&body);
    if (rc == 0 && decline)
        sim->n.declined++;
    else if (rc == 0)
        sim->n.accepted++;
    return rc > 0 ? rc : 0;
}

/* Appends to LIST the 1 to 3 members who worked on a task with WHO: WHO
 * when a member, and mostly others of their branch. */
static void s_participants(const s_sim_t *sim, dice_t *d, const char *who,
                           body_t *list)
{
    static const double sizes[] = {50, 35, 15};
    const community_member_t *self = community_member(&sim->c, who), *chosen[3];
    size_t want = 1 + dice_weighted(d, sizes, 3), n = 0;
    size_t lo = 0, hi = sim->c.nmembers; /* the branch's run */
    if (self) {
        chosen[n++] = self;
        lo = hi = (size_t)(self - sim->c.members);
        while (lo > 0 && !strcmp(sim->c.members[lo - 1].branch, self->branch))
            lo--;
        while (hi < sim->c.nmembers &&
               !strcmp(sim->c.members[hi].branch, self->branch))
            hi++;
    }
    for (int tries = 0; n < want && tries < 20 && sim->c.nmembers; tries++) {
        const community_member_t *m =
            dice_unit(d) < 0.7
                ? &sim->c.members[lo + dice_below(d, hi - lo)]
                : &sim->c.members[dice_below(d, sim->c.nmembers)];
        size_t k = 0;
        while (k < n && chosen[k] != m)
            k++;
        if (k == n)
            chosen[n++] = m;
    }
    for (size_t k = 0; k < n; k++) {
        body_t one;
        body_init(&one);
        body_str(&one, "member", chosen[k]->id);
        body_double(&one, "hours", 0.5 * (double)(1 + dice_below(d, 8)));
        body_item(list, &one);
        body_free(&one);
    }
}

/* An accepted task: resolved a while after acceptance, mostly before its
 * resolve deadline. */
static int s_accepted(s_sim_t *sim, const s_task_t *t)
{
    static const double difficulty[] = {60, 30, 10};
    dice_t d;
    dice_seed(&d, sim->seed, "resolve", t->task, t->accepted_at);
    int64_t left = t->resolve_by - t->accepted_at;
    left = left > HOUR ? left : HOUR;
    int64_t at = dice_unit(&d) < 0.08
                     ? t->resolve_by +
                           (int64_t)(dice_range(&d, 0.05, 0.3) * (double)left)
                     : t->accepted_at +
                           (int64_t)(dice_range(&d, 0.05, 0.6) * (double)left);
    if (!s_due(sim, at))
        return 0;
    body_t body, parts;
    body_init(&body);
    body_init(&parts);
    s_participants(sim, &d, t->who, &parts);
    body_str(&body, "task", t->task);
    body_str(&body, "by", t->who);
    body_str(&body, "result", residents_result(&d, t->category));
    body_array(&body, "participants", &parts);
    body_uint(&body, "difficulty", 1 + dice_weighted(&d, difficulty, 3));
    body_bool(&body, "professional", dice_unit(&d) < 0.15);
    char id[CTL_ID_SIZE];
    snprintf(id, sizeof id, "sim:%" PRIu64 ":%s:resolve:%" PRId64, sim->seed,
             t->task, t->accepted_at);
    msgpack_object reply;
    int rc = s_write(sim, "dispatch", "task.resolve", id, &body, &reply);
    body_free(&parts);
    body_free(&body);
    sim->n.resolved += rc == 0;
    return rc > 0 ? rc : 0;
}

/* A resolved task: the grid's director visits the resident 2 to 26 hours
 * later; about 80% satisfied, 15% basically, 5% unsatisfied (dispatch
 * reopens those), and whether the matter was solved. */
static int s_resolved(s_sim_t *sim, const s_task_t *t)
{
    static const char *const answers[] = {"satisfied", "basically",
                                          "unsatisfied"};
    static const double shares[] = {80, 15, 5};
    dice_t d;
    dice_seed(&d, sim->seed, "followup", t->task, t->resolved_at);
    if (!s_due(sim,
               t->resolved_at + (int64_t)dice_range(&d, 2 * HOUR, 26 * HOUR)))
        return 0;
    size_t answer = dice_weighted(&d, shares, 3);
    body_t body;
    body_init(&body);
    body_str(&body, "task", t->task);
    body_str(&body, "by", s_visitor(sim, t->grid));
    body_str(&body, "satisfaction", answers[answer]);
    /* Satisfied is solved; a third of "basically" is not quite, and a
     * fifth of the unsatisfied were solved but badly. */
    double x = dice_unit(&d);
    body_bool(&body, "resolved",
              answer == 0   ? 1
              : answer == 1 ? x >= 0.3
                            : x < 0.2);
    body_str(&body, "note", residents_followup(&d, answers[answer]));
    char id[CTL_ID_SIZE];
    snprintf(id, sizeof id, "sim:%" PRIu64 ":%s:followup:%" PRId64, sim->seed,
             t->task, t->resolved_at);
    msgpack_object reply;
    int rc = s_write(sim, "dispatch", "followup.record", id, &body, &reply);
    body_free(&body);
    if (rc == 0) {
        sim->n.visits++;
        sim->n.satisfaction[answer]++;
    }
    return rc > 0 ? rc : 0;
}

/* Reads every task of STATUS from dispatch, then lets ACT act on each.
 * Returns 0 or an exit code. */
static int s_tasks(s_sim_t *sim, const char *status,
                   int (*act)(s_sim_t *sim, const s_task_t *t))
{
    char after[32] = "";
    sim->ntasks = 0;
    do {
        body_t body;
        body_init(&body);
        body_str(&body, "status", status);
        body_uint(&body, "limit", TASKS_PAGE);
        body_str(&body, "after", after[0] ? after : NULL);
        msgpack_object reply;
        int rc =
            ctl_call(sim->ctl, "dispatch", "tasks.list", NULL, &body, &reply);
        body_free(&body);
        if (rc)
            return rc;
        uint32_t n;
        const msgpack_object *r = show_array(&reply, "tasks", &n);
        for (uint32_t i = 0; i < n; i++) {
            s_task_t *t =
                ctl_grow(&sim->tasks, sim->ntasks, &sim->captasks, sizeof *t);
            if (!t)
                return CTL_EXIT_FAILED;
            sim->ntasks++;
            const msgpack_object *a = show_get(&r[i], "assignee");
            show_copy(&r[i], "task", t->task, sizeof t->task);
            show_copy(&r[i], "category", t->category, sizeof t->category);
            show_copy(&r[i], "grid", t->grid, sizeof t->grid);
            show_copy(a, "kind", t->kind, sizeof t->kind);
            show_copy(a, "id", t->who, sizeof t->who);
            t->assigned_at = (int64_t)show_uint(&r[i], "assigned_at", 0);
            t->accept_by = (int64_t)show_uint(&r[i], "accept_by", 0);
            t->resolve_by = (int64_t)show_uint(&r[i], "resolve_by", 0);
            t->accepted_at = (int64_t)show_uint(&r[i], "accepted_at", 0);
            t->resolved_at = (int64_t)show_uint(&r[i], "resolved_at", 0);
        }
        show_copy(&reply, "next", after, sizeof after);
    } while (after[0]);
    for (size_t i = 0; i < sim->ntasks; i++) {
        int rc = act(sim, &sim->tasks[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* dispatch's events: escalations and closings counted; about 3% of the
 * closings draw a resident's complaint a few days later, and the
 * community leader reopens the task. */
static int s_on_dispatch(const msgpack_object *e, void *arg)
{
    s_sim_t *sim = arg;
    if (s_is(e, "task.escalated"))
        sim->n.escalations++;
    if (!s_is(e, "task.closed"))
        return 0;
    sim->n.closed++;
    char task[24];
    uint64_t seq = show_uint(e, "seq", 0);
    show_copy(show_get(e, "data"), "task", task, sizeof task);
    dice_t d;
    dice_seed(&d, sim->seed, "complaint", task, (int64_t)seq);
    if (dice_unit(&d) >= 0.03)
        return 0;
    int64_t at =
        (int64_t)show_uint(e, "ts", 0) + (int64_t)dice_range(&d, DAY, 4 * DAY);
    s_plan_t *p = s_plan(sim, at, PLAN_REOPEN);
    if (!p)
        return 1;
    snprintf(p->id, sizeof p->id, "sim:%" PRIu64 ":%s:reopen:%" PRIu64,
             sim->seed, task, seq);
    body_str(&p->body, "task", task);
    body_str(&p->body, "by", sim->leader);
    body_str(&p->body, "reason", residents_complaint(&d));
    return 0;
}

/* -- the run --------------------------------------------------------------- */

/* Acts for the simulated time up to sim->now. Returns 0 or an exit code. */
static int s_step(s_sim_t *sim)
{
    while (sim->drawn < sim->hours && sim->from + sim->drawn * HOUR <= sim->now)
        if (s_hour(sim, sim->drawn++) < 0)
            return CTL_EXIT_FAILED;
    int rc = s_send_plans(sim);
    if (!rc)
        rc = s_tasks(sim, "assigned", s_assigned);
    if (!rc && sim->now - sim->slow_poll >= SLOW_POLL) {
        sim->slow_poll = sim->now;
        if (!(rc = s_tasks(sim, "accepted", s_accepted)))
            rc = s_tasks(sim, "resolved", s_resolved);
    }
    if (!rc)
        rc = ctl_events(sim->ctl, "dispatch", &sim->feed, s_on_dispatch, sim);
    return rc ? rc : sim->oom ? CTL_EXIT_FAILED : 0;
}

static void s_progress(s_sim_t *sim)
{
    char when[32], bar[24];
    size_t width = 20,
           done = (size_t)((double)width * (double)(sim->now + 1 - sim->from) /
                           (double)(sim->to - sim->from));
    for (size_t i = 0; i < width; i++)
        bar[i] = i < done ? '#' : '.';
    bar[width] = '\0';
    show_time((uint64_t)sim->now, when);
    ctl_progress(sim->ctl,
                 "%.16s  day %" PRId64 "/%" PRId64 " [%s]  requests %zu  "
                 "closed %zu  escalations %zu",
                 when, (sim->now - sim->from) / DAY + 1, sim->hours / 24, bar,
                 sim->n.submitted, sim->n.closed, sim->n.escalations);
}

/* Steps until the window's end or a signal on SIGFD. Returns 0, or an
 * exit code. */
static int s_run(s_sim_t *sim, int sigfd)
{
    uint64_t shown = 0;
    for (;;) {
        if (ctl_signalled(sigfd)) {
            s_say(sim, "interrupted", NULL);
            return CTL_EXIT_FAILED;
        }
        int64_t was = sim->now;
        sim->now = (int64_t)clock_now_ms();
        sim->step = was ? sim->now - was : 0;
        if (sim->now < sim->from) { /* the stack's clock starts soon */
            ctl_progress(sim->ctl, "waiting %.1f s for the simulated clock",
                         (double)clock_wait_ms(sim->from) / 1000);
            ctl_sleep_ms(STEP_MS);
            continue;
        }
        int last = sim->now >= sim->to;
        if (last)
            sim->now = sim->to - 1;
        int rc = s_step(sim);
        if (rc)
            return rc;
        if (last || ctl_mono_ms() - shown >= PROGRESS_MS) {
            s_progress(sim);
            shown = ctl_mono_ms();
        }
        if (last)
            return 0;
        ctl_sleep_ms(STEP_MS);
    }
}

static void s_totals(const s_sim_t *sim)
{
    const s_totals_t *n = &sim->n;
    char from[32], to[32];
    show_time((uint64_t)sim->from, from);
    show_time((uint64_t)sim->to, to);
    printf("simulated %.16s to %.16s: %" PRId64 " days, seed %" PRIu64
           ", about %g requests a day\n",
           from, to, sim->hours / 24, sim->seed, sim->rate);
    printf("  requests submitted   %zu (patrol findings %zu, classified "
           "from triage %zu)\n",
           n->submitted, n->findings, n->classified);
    printf("  tasks accepted       %zu (declined by units %zu)\n", n->accepted,
           n->declined);
    printf("  tasks resolved       %zu\n", n->resolved);
    printf("  follow-up visits     %zu (satisfied %zu, basically %zu, "
           "unsatisfied %zu)\n",
           n->visits, n->satisfaction[0], n->satisfaction[1],
           n->satisfaction[2]);
    printf("  tasks closed         %zu (reopened on complaint %zu)\n",
           n->closed, n->reopened);
    printf("  escalations seen     %zu\n", n->escalations);
    printf("  volunteer logs       %zu\n", n->volunteer);
    if (n->refused)
        printf("  refused              %zu (moves that a deadline overtook, "
               "or said above)\n",
               n->refused);
}

static const struct option s_opts[] = {
    CTL_ARG("days", O_DAYS),
    CTL_ARG("seed", O_SEED),
    CTL_ARG("rate", O_RATE),
    CTL_ARGS_END,
};

static int s_simulate(ctl_t *ctl, int argc, char **argv)
{
    ctl->several = 1; /* intake, dispatch and scoring */
    uint64_t days = 30, rate = 30;
    s_sim_t sim = {.ctl = ctl, .seed = 1};
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_opts)) != CTL_OPT_END;) {
        if ((c == O_DAYS &&
             ctl_uint(ctl, "--days", optarg, 1, 366, &days) < 0) ||
            (c == O_SEED &&
             ctl_uint(ctl, "--seed", optarg, 0, UINT64_MAX, &sim.seed) < 0) ||
            (c == O_RATE &&
             ctl_uint(ctl, "--rate", optarg, 1, 10000, &rate) < 0))
            return CTL_EXIT_USAGE;
        if (c != O_DAYS && c != O_SEED && c != O_RATE)
            return ctl_opt_exit(c);
    }
    int rc = ctl_positionals(ctl, argc, argv, 0, 0, "");
    if (rc || (rc = ctl_config(ctl, &sim.cfg)) ||
        (rc = ctl_clock(ctl, &sim.from)))
        return rc;
    if (!sim.from) {
        fprintf(stderr, "julictl simulate: simulate needs a simulated "
                        "clock: see make demo\n");
        return CTL_EXIT_USAGE;
    }
    sim.rate = (double)rate;
    sim.hours = (int64_t)days * 24;
    sim.to = sim.from + (int64_t)days * DAY;
    sim.slow_poll = INT64_MIN / 2;
    sigset_t old;
    int sigfd = -1;
    if ((rc = s_community(&sim)))
        goto done;
    if (!sim.nstairwells) {
        fprintf(stderr, "julictl simulate: intake knows no stairwell: "
                        "import a community first (julictl import "
                        "deploy/demo)\n");
        rc = CTL_EXIT_FAILED;
        goto done;
    }
    msgpack_object reply;
    rc = ctl_call(ctl, "dispatch", "health", NULL, NULL, &reply);
    if (rc)
        goto done;
    sim.feed = show_uint(&reply, "last_seq", 0);
    if ((sigfd = ctl_signals(&old)) < 0) {
        rc = CTL_EXIT_FAILED;
        goto done;
    }
    rc = s_run(&sim, sigfd);
    ctl_progress_done(ctl);
    s_totals(&sim);
    if (rc == CTL_EXIT_FAILED && !sim.oom)
        fprintf(stderr,
                "julictl simulate: stopped before the end: run it "
                "again with --seed %" PRIu64 " to go on\n",
                sim.seed);
    close(sigfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
done:
    for (size_t i = 0; i < sim.nplans; i++) {
        body_free(&sim.plans[i]->body);
        free(sim.plans[i]);
    }
    free(sim.plans);
    free(sim.tasks);
    community_free(&sim.c);
    free(sim.stairwells);
    return rc;
}

const ctl_cmd_t cmd_simulate = {
    "simulate",
    "play a month of residents, staff and units in simulated time",
    "Usage: julictl simulate [--days N] [--seed S] [--rate R]\n"
    "Drives traffic through the api of a stack running on a simulated\n"
    "clock (the config's [clock] section; 'make demo' writes one), as the\n"
    "app, the hotline, staff and units would: residents' requests in a\n"
    "daily rhythm, with Chinese texts per category, on every channel;\n"
    "triage classified an hour later; assignees accepting (some too late,\n"
    "so deadlines escalate), units declining now and then; tasks resolved\n"
    "with members taking part; follow-up visits (some unsatisfied, which\n"
    "reopens); complaints; the sanitation patrol every Wednesday and\n"
    "Friday with its volunteer hours and findings. The window runs from\n"
    "the clock's start date for N days; simulate follows the clock and\n"
    "ends with it, printing totals. Progress shows on stderr.\n"
    "\n"
    "Each write's idempotency key names its simulated event (sim:S:...), so\n"
    "a run again with the same seed after a crash doubles nothing.\n"
    "\n"
    "  --days N   days to simulate (default 30)\n"
    "  --seed S   the seed of every draw (default 1)\n"
    "  --rate R   residents' requests per simulated day, on average\n"
    "             (default 30)\n" CTL_HELP_GLOBAL,
    s_simulate,
};
