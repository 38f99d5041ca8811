/*  deadline: escalating tasks whose deadline passed.
 *
 *  Each task row carries `due`, the next deadline that concerns it (the
 *  accept deadline while assigned, the resolve deadline while accepted;
 *  none once it is resolved, pending, or stuck at the top of the chain).
 *  One libuv timer is armed for the earliest `due` in the store: at start,
 *  so a deadline that passed while dispatch was down fires at once, and
 *  again after every firing. deadline_note only ever brings it forward; a
 *  firing re-arms from the store, so the timer never trusts memory over
 *  the store.
 *
 *  A firing (deadline_fire) handles up to DEADLINE_BATCH due tasks in one
 *  transaction. Handling a task fails only when the store does, as a
 *  follower's apply does: then the whole batch rolls back, like a
 *  follower's delivery, and the timer tries again DEADLINE_RETRY_MS later
 *  (the due times it would find have passed: re-arming at them would spin).
 */
#include "clock.h"
#include "dispatch.h"

#include "event.h"
#include "log.h"

#define DEADLINE_BATCH    256
#define DEADLINE_RETRY_MS 1000

int deadline_prepare(dispatch_t *dp)
{
    dp->due_next = store_prepare(
        dp->store, "SELECT min(due) FROM tasks WHERE due IS NOT NULL");
    dp->due_now = store_prepare(dp->store,
                                "SELECT task FROM tasks WHERE due IS NOT NULL"
                                " AND due <= ? ORDER BY due LIMIT ?");
    return dp->due_next && dp->due_now ? 0 : -1;
}

static void s_arm_at(dispatch_t *dp, int64_t due);

/* Handles the tasks of IDS[0..N) in one transaction at NOW. Returns 0 when
 * committed (or N is 0), -1 when the store failed (nothing of it stays). */
static int s_escalate(dispatch_t *dp, const int64_t *ids, size_t n,
                      uint64_t now)
{
    if (!n)
        return 0;
    if (store_begin(dp->store) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (task_deadline_passed(dp, ids[i], now) < 0) {
            store_rollback(dp->store);
            return -1;
        }
    if (store_commit(dp->store) < 0)
        return -1;
    daemon_publish_committed(dp->daemon);
    return 0;
}

void deadline_fire(dispatch_t *dp, uint64_t now)
{
    int64_t ids[DEADLINE_BATCH];
    size_t n = 0;
    int rc;
    dp->deadline_armed = 0;
    sqlite3_bind_int64(dp->due_now, 1, (sqlite3_int64)now);
    sqlite3_bind_int(dp->due_now, 2, DEADLINE_BATCH);
    while ((rc = store_step(dp->store, dp->due_now)) == 1)
        ids[n++] = sqlite3_column_int64(dp->due_now, 0);
    if (rc < 0 || s_escalate(dp, ids, n, now) < 0) {
        log_warn("deadline: the store failed: retrying in %d ms",
                 DEADLINE_RETRY_MS);
        s_arm_at(dp, (int64_t)now + DEADLINE_RETRY_MS);
    } else if (n == DEADLINE_BATCH)
        s_arm_at(dp, (int64_t)now); /* more are due: go on next turn */
    else
        deadline_start(dp);
}

static void s_on_timer(uv_timer_t *t)
{
    deadline_fire(t->data, clock_now_ms());
}

static void s_arm_at(dispatch_t *dp, int64_t due)
{
    dp->deadline_armed = due;
    uv_timer_start(&dp->deadline_timer, s_on_timer, clock_wait_ms(due), 0);
}

void deadline_start(dispatch_t *dp)
{
    dp->deadline_timer.data = dp;
    int rc = store_step(dp->store, dp->due_next);
    if (rc == 1 && sqlite3_column_type(dp->due_next, 0) != SQLITE_NULL) {
        int64_t due = sqlite3_column_int64(dp->due_next, 0);
        store_reset(dp->due_next);
        s_arm_at(dp, due);
        return;
    }
    if (rc == 1)
        store_reset(dp->due_next);
    uv_timer_stop(&dp->deadline_timer);
    dp->deadline_armed = 0;
}

void deadline_note(dispatch_t *dp, int64_t due)
{
    if (!dp->deadline_armed || due < dp->deadline_armed)
        s_arm_at(dp, due);
}

void deadline_stop(dispatch_t *dp)
{
    uv_timer_stop(&dp->deadline_timer);
}
