/*  route: who takes a task, and who takes it next. "Small matters do not
 *  leave the grid": routing starts at the lowest staffed level of the
 *  request's own chain and climbs only when it must.
 *
 *  The chain, lowest first (unstaffed positions are skipped):
 *
 *    stairwell_leader ─> assistant ─> grid_leader ─> community_leader
 *        (stairwell)     (compound)      (grid)         (community)
 *                                  ^
 *          grid_police (grid) ─────┘      ─> commander ─> department
 *                                            (community)  (offering the
 *                                                          category)
 *
 *  Routes: grid starts at the bottom of the chain; police at the grid's
 *  police officer (the grid route when there is none); unit at the least
 *  loaded unit or association offering the category, within its capacity.
 *  A unit that declines or times out passes the task to the next such unit,
 *  and when none is left to the community leader, then up. A department is
 *  the top: nothing is above it.
 */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>

static const char *s_node_of(const route_ctx_t *t, rank_t rank)
{
    switch (rank) {
    case RANK_STAIRWELL_LEADER: return t->stairwell;
    case RANK_ASSISTANT: return t->compound;
    case RANK_GRID_POLICE:
    case RANK_GRID_LEADER: return t->grid;
    case RANK_COMMUNITY_LEADER:
    case RANK_COMMANDER: return t->community;
    default: return NULL;
    }
}

/* The first staffed position at or above FROM on the chain (the police
 * position only when FROM is it), then a department. */
static int s_climb(dispatch_t *dp, const route_ctx_t *t, rank_t from,
                   assignee_t *a)
{
    for (int r = from; r <= RANK_COMMANDER; r++) {
        if (r == RANK_GRID_POLICE && from != RANK_GRID_POLICE)
            continue;
        int rc = directory_staff(dp, (rank_t)r, s_node_of(t, (rank_t)r), a);
        if (rc != 0)
            return rc;
    }
    return directory_unit(dp, t->category, t->task, 1, NULL, a);
}

int route_first(dispatch_t *dp, const route_ctx_t *t, assignee_t *a)
{
    int rc = 0;
    if (t->route == ROUTE_UNIT) {
        rc = directory_unit(dp, t->category, t->task, 0, NULL, a);
        if (rc == 0)
            rc = s_climb(dp, t, RANK_COMMUNITY_LEADER, a);
    } else if (t->route == ROUTE_POLICE) {
        rc = s_climb(dp, t, RANK_GRID_POLICE, a);
    } else {
        rc = s_climb(dp, t, RANK_STAIRWELL_LEADER, a);
    }
    if (rc == 0) {
        memset(a, 0, sizeof *a);
        a->rank = RANK_NONE;
    }
    return rc;
}

int route_next(dispatch_t *dp, const route_ctx_t *t, const assignee_t *from,
               int unit_next, assignee_t *a)
{
    switch (from->rank) {
    case RANK_DEPARTMENT: return 0; /* the top */
    case RANK_UNIT:
        if (unit_next) {
            /* FROM is about to be tried: not again. */
            int rc =
                directory_unit(dp, t->category, t->task, 0, from->id, a);
            if (rc != 0)
                return rc;
        }
        return s_climb(dp, t, RANK_COMMUNITY_LEADER, a);
    case RANK_GRID_POLICE:
        /* The police pass to the grid's leader, then up the chain. */
        return s_climb(dp, t, RANK_GRID_LEADER, a);
    case RANK_NONE: return route_first(dp, t, a);
    default: return s_climb(dp, t, (rank_t)(from->rank + 1), a);
    }
}

const char *route_level(const assignee_t *a)
{
    static const char *const levels[] = {
        [RANK_STAIRWELL_LEADER] = "stairwell",
        [RANK_ASSISTANT] = "compound",
        [RANK_GRID_POLICE] = "grid",
        [RANK_GRID_LEADER] = "grid",
        [RANK_COMMUNITY_LEADER] = "community",
        [RANK_COMMANDER] = "community",
        [RANK_DEPARTMENT] = "department",
        [RANK_UNIT] = "unit",
        [RANK_NONE] = "none",
    };
    return levels[a->rank];
}

int route_within_grid(rank_t rank)
{
    return rank <= RANK_GRID_LEADER;
}

void route_pack_assignee(pack_t *p, const assignee_t *a)
{
    int staff = strcmp(a->kind, "staff") == 0;
    pack_map(p, staff ? 5 : 3);
    pack_kstr(p, "kind", a->kind);
    pack_kstr(p, "id", a->id);
    pack_kstr(p, "name", a->name);
    if (staff) {
        pack_kstr(p, "role", a->role);
        pack_kstr(p, "node", a->node);
    }
}
