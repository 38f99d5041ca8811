/*  directory: who is there to take tasks.
 *
 *  The grid tree comes from intake's grid.defined events (dispatch never
 *  defines a node itself); staff are assigned to its nodes by role; units
 *  (resident units, associations, departments) register the categories
 *  they offer. Invariants:
 *
 *    1. A role is held by at most one person per node; assigning it again
 *       replaces the person.
 *    2. A role sits on a node of the kind it belongs to (commander and
 *       community_leader on a community, and so on).
 *    3. units.open is the number of tasks assigned to the unit or accepted
 *       by it, moved in the same transaction as the task
 *       (directory_unit_load, called by task.c's s_slot_move only).
 */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *const s_roles[] = {
    "stairwell_leader", "assistant", "grid_police", "grid_leader",
    "community_leader", "commander", "director", NULL};
/* The node kind each role sits on, in s_roles' order. */
static const char *const s_role_kind[] = {
    "stairwell", "compound", "grid", "grid", "community", "community",
    "grid"};
static const char *const s_unit_kinds[] = {"unit", "association",
                                           "department", NULL};

int directory_prepare(dispatch_t *dp)
{
    store_t *s = dp->store;
    dp->node_put = store_prepare(
        s, "INSERT INTO nodes (code, name, kind, parent) VALUES (?,?,?,?)"
           " ON CONFLICT (code) DO UPDATE SET name = excluded.name");
    dp->node_get = store_prepare(s, "SELECT kind FROM nodes WHERE code = ?");
    dp->staff_put = store_prepare(
        s, "INSERT INTO staff (node, role, person, name) VALUES (?,?,?,?)"
           " ON CONFLICT (node, role) DO UPDATE SET person = excluded.person,"
           " name = excluded.name");
    dp->staff_get = store_prepare(
        s, "SELECT person, name FROM staff WHERE node = ? AND role = ?");
    dp->unit_put = store_prepare(
        s, "INSERT INTO units (id, name, kind, capacity, agreement)"
           " VALUES (?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET"
           " name = excluded.name, kind = excluded.kind,"
           " capacity = excluded.capacity, agreement = excluded.agreement");
    dp->unit_cats_clear =
        store_prepare(s, "DELETE FROM unit_categories WHERE unit = ?");
    dp->unit_cat_add = store_prepare(
        s, "INSERT OR IGNORE INTO unit_categories (category, unit)"
           " VALUES (?, ?)");
    /* A category's candidates in id order (the key's order: no sort);
     * directory_unit keeps the least loaded. */
    dp->unit_pick = store_prepare(
        s, "SELECT u.id, u.name, u.kind, u.open FROM unit_categories c"
           " JOIN units u ON u.id = c.unit WHERE c.category = ?1"
           " AND u.kind IN ('unit', 'association')"
           " AND (u.capacity IS NULL OR u.open < u.capacity)"
           " AND NOT EXISTS (SELECT 1 FROM tried t"
           "  WHERE t.task = ?2 AND t.unit = u.id) AND u.id IS NOT ?3"
           " ORDER BY c.unit");
    dp->dept_pick = store_prepare(
        s, "SELECT u.id, u.name, u.kind, u.open FROM unit_categories c"
           " JOIN units u ON u.id = c.unit WHERE c.category = ?1"
           " AND u.kind = 'department' ORDER BY c.unit");
    dp->unit_load =
        store_prepare(s, "UPDATE units SET open = max(0, open + ?2)"
                         " WHERE id = ?1");
    dp->staff_count = store_prepare(
        s, "SELECT node, role, person, name FROM staff"
           " WHERE ?1 IS NULL OR node = ?1 ORDER BY node, role");
    dp->unit_count = store_prepare(
        s, "SELECT u.id, u.name, u.kind, u.capacity, u.agreement, u.open,"
           " (SELECT group_concat(category, ',') FROM unit_categories c"
           "  WHERE c.unit = u.id) FROM units u"
           " WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM unit_categories c"
           "  WHERE c.unit = u.id AND c.category = ?1) ORDER BY u.id");
    return dp->node_put && dp->node_get && dp->staff_put && dp->staff_get &&
                   dp->unit_put && dp->unit_cats_clear &&
                   dp->unit_cat_add && dp->unit_pick && dp->dept_pick &&
                   dp->unit_load && dp->staff_count && dp->unit_count
               ? 0
               : -1;
}

static void s_text(sqlite3_stmt *st, int i, field_str_t s)
{
    if (s.ptr)
        sqlite3_bind_text(st, i, s.ptr, (int)s.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}


int directory_node_defined(dispatch_t *dp, const field_map_t *data)
{
    field_str_t code, name, kind, parent = {0};
    if (field_str(data, "code", FIELD_REQUIRED, 64, &code) < 0 ||
        field_str(data, "name", FIELD_REQUIRED, 256, &name) < 0 ||
        field_str(data, "kind", FIELD_REQUIRED, 16, &kind) < 0 ||
        field_str(data, "parent", FIELD_OPTIONAL, 64, &parent) < 0) {
        log_error("grid.defined skipped: %s", data->err);
        return 0;
    }
    sqlite3_stmt *st = dp->node_put;
    s_text(st, 1, code);
    s_text(st, 2, name);
    s_text(st, 3, kind);
    s_text(st, 4, parent);
    return store_step(dp->store, st) < 0 ? -1 : 0;
}

/* -- staff ----------------------------------------------------------------- */

int directory_staff(dispatch_t *dp, rank_t rank, const char *node,
                    assignee_t *a)
{
    if (!node || !*node)
        return 0;
    sqlite3_stmt *st = dp->staff_get;
    sqlite3_bind_text(st, 1, node, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s_roles[rank], -1, SQLITE_STATIC);
    int rc = store_step(dp->store, st);
    if (rc != 1)
        return rc;
    memset(a, 0, sizeof *a);
    a->rank = rank;
    snprintf(a->kind, sizeof a->kind, "staff");
    store_column_copy(st, 0, a->id, sizeof a->id);
    store_column_copy(st, 1, a->name, sizeof a->name);
    snprintf(a->role, sizeof a->role, "%s", s_roles[rank]);
    snprintf(a->node, sizeof a->node, "%s", node);
    store_reset(st);
    return 1;
}

api_status_t directory_staff_assign(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    field_str_t node, id, name;
    field_map_t person;
    int role;
    if (field_str(&req->body, "node", FIELD_REQUIRED, 64, &node) < 0 ||
        field_enum(&req->body, "role", FIELD_REQUIRED, s_roles, &role) < 0 ||
        field_map(&req->body, "person", FIELD_REQUIRED, &person) < 0 ||
        field_str(&person, "id", FIELD_REQUIRED, 64, &id) < 0 ||
        field_text(&person, "name", FIELD_REQUIRED, STAFF_NAME_CHARS,
                   &name) < 0)
        return API_INVALID;
    sqlite3_stmt *st = dp->node_get;
    s_text(st, 1, node);
    int rc = store_step(dp->store, st);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 0)
        return api_fail(req, API_NOT_FOUND,
                        "body.node: unknown to dispatch (yet): %.*s",
                        (int)node.len, node.ptr);
    char kind[16];
    store_column_copy(st, 0, kind, sizeof kind);
    store_reset(st);
    if (strcmp(kind, s_role_kind[role]) != 0)
        return api_fail(req, API_INVALID,
                        "body.role: a %s sits on a %s, not a %s",
                        s_roles[role], s_role_kind[role], kind);
    st = dp->staff_put;
    s_text(st, 1, node);
    sqlite3_bind_text(st, 2, s_roles[role], -1, SQLITE_STATIC);
    s_text(st, 3, id);
    s_text(st, 4, name);
    pack_t *d = &dp->data;
    pack_reset(d);
    pack_map(d, 3);
    pack_kfield(d, "node", node);
    pack_kstr(d, "role", s_roles[role]);
    pack_str(d, "person");
    pack_map(d, 2);
    pack_kfield(d, "id", id);
    pack_kfield(d, "name", name);
    if (store_step(dp->store, st) < 0 ||
        api_event(req, "staff.assigned", d) < 0 ||
        task_retry_pending(dp, req->now) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 2);
    pack_kfield(r, "node", node);
    pack_kstr(r, "role", s_roles[role]);
    return API_OK;
}

api_status_t directory_staff_list(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    field_str_t node = {0};
    if (field_str(&req->body, "node", FIELD_OPTIONAL, 64, &node) < 0)
        return API_INVALID;
    sqlite3_stmt *st = dp->staff_count;
    s_text(st, 1, node);
    pack_reset(&dp->scratch);
    uint32_t n = 0;
    int rc;
    while ((rc = store_step(dp->store, st)) == 1) {
        pack_t *p = &dp->scratch;
        pack_map(p, 4);
        pack_kstr(p, "node", (const char *)sqlite3_column_text(st, 0));
        pack_kstr(p, "role", (const char *)sqlite3_column_text(st, 1));
        pack_kstr(p, "person", (const char *)sqlite3_column_text(st, 2));
        pack_kstr(p, "name", (const char *)sqlite3_column_text(st, 3));
        n++;
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 1);
    pack_str(r, "staff");
    pack_array(r, n);
    pack_raw(r, pack_data(&dp->scratch), pack_size(&dp->scratch));
    return API_OK;
}

/* -- units ----------------------------------------------------------------- */

int directory_unit(dispatch_t *dp, const char *category, int64_t task,
                   int department, const char *skip, assignee_t *a)
{
    sqlite3_stmt *st = department ? dp->dept_pick : dp->unit_pick;
    sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
    if (!department) {
        sqlite3_bind_int64(st, 2, task);
        if (skip)
            sqlite3_bind_text(st, 3, skip, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 3);
    }
    /* The fewest open tasks, the first id on a tie: candidates come in id
     * order, so only a strictly smaller load replaces the one in hand. */
    int found = 0, rc;
    int64_t least = 0;
    while ((rc = store_step(dp->store, st)) == 1) {
        int64_t open = sqlite3_column_int64(st, 3);
        if (found && open >= least)
            continue;
        found = 1;
        least = open;
        memset(a, 0, sizeof *a);
        a->rank = department ? RANK_DEPARTMENT : RANK_UNIT;
        store_column_copy(st, 0, a->id, sizeof a->id);
        store_column_copy(st, 1, a->name, sizeof a->name);
        store_column_copy(st, 2, a->kind, sizeof a->kind);
    }
    return rc < 0 ? -1 : found;
}

int directory_unit_load(dispatch_t *dp, const char *id, int delta)
{
    sqlite3_stmt *st = dp->unit_load;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, delta);
    return store_step(dp->store, st) < 0 ? -1 : 0;
}

api_status_t directory_unit_register(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    field_str_t id, name;
    int kind, agreement = 0;
    uint64_t capacity = 0;
    const msgpack_object *cats;
    size_t ncats;
    if (field_str(&req->body, "id", FIELD_REQUIRED, 64, &id) < 0 ||
        field_text(&req->body, "name", FIELD_REQUIRED, UNIT_NAME_CHARS,
                   &name) < 0 ||
        field_enum(&req->body, "kind", FIELD_REQUIRED, s_unit_kinds,
                   &kind) < 0 ||
        field_array(&req->body, "categories", FIELD_REQUIRED, 64, &cats,
                    &ncats) < 0 ||
        field_uint(&req->body, "capacity", FIELD_OPTIONAL, 1, 1000000,
                   &capacity) < 0 ||
        field_bool(&req->body, "agreement", FIELD_OPTIONAL, &agreement) < 0)
        return API_INVALID;
    for (size_t i = 0; i < ncats; i++) {
        field_str_t c;
        if (field_item_str(&req->body, "categories", i, &cats[i], 31, &c) <
            0)
            return API_INVALID;
        if (!config_category(dp->config, c.ptr, c.len))
            return api_fail(req, API_INVALID,
                            "body.categories[%zu]: unknown: %.*s", i,
                            (int)c.len, c.ptr);
    }
    sqlite3_stmt *st = dp->unit_put;
    s_text(st, 1, id);
    s_text(st, 2, name);
    sqlite3_bind_text(st, 3, s_unit_kinds[kind], -1, SQLITE_STATIC);
    if (capacity)
        sqlite3_bind_int64(st, 4, (sqlite3_int64)capacity);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int(st, 5, agreement);
    if (store_step(dp->store, st) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    s_text(dp->unit_cats_clear, 1, id);
    if (store_step(dp->store, dp->unit_cats_clear) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *d = &dp->data;
    pack_reset(d);
    pack_map(d, 6);
    pack_kfield(d, "id", id);
    pack_kfield(d, "name", name);
    pack_kstr(d, "kind", s_unit_kinds[kind]);
    pack_str(d, "categories");
    pack_array(d, (uint32_t)ncats);
    for (size_t i = 0; i < ncats; i++) {
        sqlite3_stmt *add = dp->unit_cat_add;
        sqlite3_bind_text(add, 1, cats[i].via.str.ptr,
                          (int)cats[i].via.str.size, SQLITE_STATIC);
        s_text(add, 2, id);
        if (store_step(dp->store, add) < 0)
            return api_fail(req, API_UNAVAILABLE, "store: cannot write");
        pack_strn(d, cats[i].via.str.ptr, cats[i].via.str.size);
    }
    if (capacity)
        pack_kuint(d, "capacity", capacity);
    else
        pack_knil(d, "capacity");
    pack_kbool(d, "agreement", agreement);
    if (api_event(req, "unit.registered", d) < 0 ||
        task_retry_pending(dp, req->now) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 1);
    pack_kfield(r, "unit", id);
    return API_OK;
}

api_status_t directory_units_list(api_req_t *req, void *ctx)
{
    dispatch_t *dp = ctx;
    field_str_t category = {0};
    if (field_str(&req->body, "category", FIELD_OPTIONAL, 31, &category) <
        0)
        return API_INVALID;
    sqlite3_stmt *st = dp->unit_count;
    s_text(st, 1, category);
    pack_reset(&dp->scratch);
    uint32_t n = 0;
    int rc;
    while ((rc = store_step(dp->store, st)) == 1) {
        pack_t *p = &dp->scratch;
        pack_map(p, 7);
        pack_kstr(p, "id", (const char *)sqlite3_column_text(st, 0));
        pack_kstr(p, "name", (const char *)sqlite3_column_text(st, 1));
        pack_kstr(p, "kind", (const char *)sqlite3_column_text(st, 2));
        if (sqlite3_column_type(st, 3) == SQLITE_NULL)
            pack_knil(p, "capacity");
        else
            pack_kint(p, "capacity", sqlite3_column_int64(st, 3));
        pack_kbool(p, "agreement", sqlite3_column_int(st, 4));
        pack_kint(p, "open_tasks", sqlite3_column_int64(st, 5));
        pack_kstr(p, "categories", (const char *)sqlite3_column_text(st, 6));
        n++;
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 1);
    pack_str(r, "units");
    pack_array(r, n);
    pack_raw(r, pack_data(&dp->scratch), pack_size(&dp->scratch));
    return API_OK;
}
