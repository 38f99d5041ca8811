/*  grid: the community's tree of nodes, and a location's chain.
 *
 *    community ─┬─ grid ─┬─ compound ─┬─ stairwell
 *               │        │            └─ stairwell
 *               │        └─ compound ...
 *               └─ grid ...
 *
 *  Invariants: a community has no parent; every other node's parent exists
 *  and is of the kind just above it; a node keeps its kind and parent for
 *  ever (defining it again may only rename it). So walking up from any node
 *  always ends at a community in at most three steps.
 */
#include "intake.h"

#include <string.h>

const char *const grid_kind_names[] = {"community", "grid", "compound",
                                       "stairwell", NULL};

/* Codes are short and printable: letters, digits, '-', '_', '.'. */
static int s_code_ok(field_str_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

int grid_prepare(intake_t *in)
{
    in->node_get = store_prepare(
        in->store, "SELECT name, kind, parent FROM grid WHERE code = ?");
    in->node_put = store_prepare(in->store,
                                 "INSERT INTO grid (code, name, kind, parent)"
                                 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (code)"
                                 " DO UPDATE SET name = excluded.name");
    return in->node_get && in->node_put ? 0 : -1;
}

/* Looks up CODE. Returns 1 with its kind, parent (PARENT gets "" for a
 * community) and, when NAME is not NULL, its name; 0 when unknown, -1 on
 * a store error. */
static int s_node(intake_t *in, const char *code, size_t len, int *kind,
                  char parent[65], char name[256])
{
    sqlite3_stmt *st = in->node_get;
    sqlite3_bind_text(st, 1, code, (int)len, SQLITE_STATIC);
    int rc = store_step(in->store, st);
    if (rc == 1) {
        *kind = sqlite3_column_int(st, 1);
        const char *p = (const char *)sqlite3_column_text(st, 2);
        snprintf(parent, 65, "%s", p ? p : "");
        if (name)
            snprintf(name, 256, "%s", sqlite3_column_text(st, 0));
        store_reset(st);
    }
    return rc;
}

api_status_t grid_define(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    field_str_t code, name, parent = {0};
    int kind;
    if (field_str(&req->body, "code", FIELD_REQUIRED, 64, &code) < 0 ||
        field_text(&req->body, "name", FIELD_REQUIRED, 64, &name) < 0 ||
        field_enum(&req->body, "kind", FIELD_REQUIRED, grid_kind_names,
                   &kind) < 0 ||
        field_str(&req->body, "parent", FIELD_OPTIONAL, 64, &parent) < 0)
        return API_INVALID;
    if (!s_code_ok(code))
        return api_fail(req, API_INVALID,
                        "body.code: only letters, digits, - _ .");
    if (kind == KIND_COMMUNITY && parent.ptr)
        return api_fail(req, API_INVALID,
                        "body.parent: a community has no parent");
    if (kind != KIND_COMMUNITY) {
        char grand[65];
        int pkind;
        if (!parent.ptr)
            return api_fail(req, API_INVALID, "body.parent: missing");
        int rc = s_node(in, parent.ptr, parent.len, &pkind, grand, NULL);
        if (rc < 0)
            return api_fail(req, API_UNAVAILABLE, "store: cannot read");
        if (rc == 0)
            return api_fail(req, API_INVALID, "body.parent: unknown: %.*s",
                            (int)parent.len, parent.ptr);
        if (pkind != kind - 1)
            return api_fail(req, API_INVALID,
                            "body.parent: the parent of a %s must be a %s",
                            grid_kind_names[kind],
                            grid_kind_names[kind - 1]);
    }
    char old_parent[65], old_name[256];
    int old_kind, rc = s_node(in, code.ptr, code.len, &old_kind, old_parent,
                              old_name);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 1 &&
        (old_kind != kind || strlen(old_parent) != parent.len ||
         memcmp(old_parent, parent.ptr ? parent.ptr : "", parent.len) != 0))
        return api_fail(req, API_CONFLICT,
                        "body.code: already a %s under '%s'",
                        grid_kind_names[old_kind], old_parent);
    int existed = rc == 1;
    if (existed && field_str_eq(name, old_name)) {
        /* Nothing changes: no event. */
        pack_t *r = api_reply(req, 2);
        pack_kfield(r, "code", code);
        pack_kbool(r, "renamed", 0);
        return API_OK;
    }

    sqlite3_stmt *st = in->node_put;
    sqlite3_bind_text(st, 1, code.ptr, (int)code.len, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name.ptr, (int)name.len, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, kind);
    if (parent.ptr)
        sqlite3_bind_text(st, 4, parent.ptr, (int)parent.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    rc = store_step(in->store, st);
    sqlite3_clear_bindings(st);
    pack_t *d = &in->data;
    pack_reset(d);
    pack_map(d, 4);
    pack_kfield(d, "code", code);
    pack_kfield(d, "name", name);
    pack_kstr(d, "kind", grid_kind_names[kind]);
    pack_kfield(d, "parent", parent);
    if (rc < 0 || api_event(req, "grid.defined", d) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 2);
    pack_kfield(r, "code", code);
    pack_kbool(r, "renamed", existed);
    return API_OK;
}

/* The slot of CHAIN that holds nodes of KIND. */
static char *s_slot(grid_chain_t *chain, int kind)
{
    char *slots[] = {chain->community, chain->grid, chain->compound,
                     chain->stairwell};
    return slots[kind];
}

api_status_t grid_resolve(intake_t *in, const field_map_t *loc,
                          grid_chain_t *chain)
{
    static const char *const keys[] = {"community", "grid", "compound",
                                       "stairwell"};
    field_str_t given[KIND_COUNT] = {{0}}, address = {0};
    memset(chain, 0, sizeof *chain);
    /* A community alone does not place a request: only grid and below. */
    for (int k = KIND_GRID; k < KIND_COUNT; k++)
        if (field_str(loc, keys[k], FIELD_OPTIONAL, 64, &given[k]) < 0)
            return API_INVALID;
    if (field_text(loc, "address", FIELD_OPTIONAL, GRID_ADDRESS_CHARS,
                   &address) < 0)
        return API_INVALID;
    if (address.ptr) /* at most 4 bytes a character: it fits */
        memcpy(chain->address, address.ptr, address.len);

    /* Walk up from the most precise code given. */
    int from = KIND_COUNT - 1;
    while (from > KIND_COMMUNITY && !given[from].ptr)
        from--;
    if (from == KIND_COMMUNITY)
        return API_OK; /* only an address: triage */
    char code[65], parent[65];
    snprintf(code, sizeof code, "%.*s", (int)given[from].len,
             given[from].ptr);
    for (int k = from; k >= KIND_COMMUNITY; k--) {
        int kind, rc = s_node(in, code, strlen(code), &kind, parent, NULL);
        if (rc < 0)
            return API_UNAVAILABLE;
        if (rc == 0) {
            field_fail(loc, keys[k], "unknown: %s", code);
            return API_INVALID;
        }
        if (kind != k) {
            field_fail(loc, keys[k], "%s is a %s", code,
                       grid_kind_names[kind]);
            return API_INVALID;
        }
        snprintf(s_slot(chain, k), 65, "%s", code);
        if (given[k].ptr && !field_str_eq(given[k], code)) {
            field_fail(loc, keys[k], "does not contain %s %s", keys[from],
                       s_slot(chain, from));
            return API_INVALID;
        }
        snprintf(code, sizeof code, "%s", parent);
    }
    return API_OK;
}
