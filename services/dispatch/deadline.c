/*  deadline: escalating tasks whose deadline passed.
 *
 *  Each task row carries `due`, the next deadline that concerns it (the
 *  accept deadline while assigned, the resolve deadline while accepted;
 *  none once it is resolved, pending, or stuck at the top of the chain).
 *  One libuv timer is armed for the earliest `due` in the store: at start,
 *  so a deadline that passed while dispatch was down fires at once, and
 *  again after every firing. deadline_note only ever brings it forward; a
 *  firing that finds nothing due (its transaction rolled back) re-arms from
 *  the store, so the timer never trusts memory over the store.
 */
#include "clock.h"
#include "dispatch.h"

#include "event.h"
#include "log.h"

#define DEADLINE_BATCH 256

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

static void s_on_timer(uv_timer_t *t)
{
    dispatch_t *dp = t->data;
    uint64_t now = clock_now_ms();
    int64_t ids[DEADLINE_BATCH];
    size_t n = 0;
    int rc;
    dp->deadline_armed = 0;
    sqlite3_bind_int64(dp->due_now, 1, (sqlite3_int64)now);
    sqlite3_bind_int(dp->due_now, 2, DEADLINE_BATCH);
    while ((rc = store_step(dp->store, dp->due_now)) == 1)
        ids[n++] = sqlite3_column_int64(dp->due_now, 0);
    if (rc < 0 || (n && store_begin(dp->store) < 0)) {
        s_arm_at(dp, (int64_t)now + 1000); /* the store is busy: retry */
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (store_savepoint(dp->store) < 0)
            break;
        rc = task_deadline_passed(dp, ids[i], now);
        store_savepoint_end(dp->store, rc >= 0);
    }
    if (n && store_commit(dp->store) == 0 && dp->daemon &&
        daemon_api(dp->daemon))
        api_publish_committed(daemon_api(dp->daemon));
    if (n == DEADLINE_BATCH)
        s_arm_at(dp, (int64_t)now); /* more are due: go on next turn */
    else
        deadline_start(dp);
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
