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
 *
 *  The tree is read on every submission, so grid_resolve reads it from
 *  memory: a hash of code -> {kind, parent} (struct grid_cache), loaded by
 *  grid_prepare. Its invariant: every node in the cache is committed, with
 *  the kind and parent the store holds. It may lack nodes (those defined
 *  in the open turn, or since an allocation failed): a code the cache does
 *  not know is looked up in the store, which sees the open transaction,
 *  so resolving gives what the SQL alone gave. Nothing is added inside a
 *  turn, since the turn's transaction may still roll back (a failed commit,
 *  or a later request of the turn failing after it wrote): grid_define
 *  notes the codes it inserts, and after the turn commits (api_on_commit)
 *  s_on_commit reads each back from the store and caches the ones that are
 *  there. A failed commit drops the hook; its codes are checked again (and
 *  found absent) after the next commit. Nodes are never deleted and never
 *  change kind or parent, and names are not cached, so a cached node never
 *  goes stale.
 */
#include "intake.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GRID_CODE_MAX 64

struct grid_node {
    uint8_t used, kind, code_len, parent_len;
    char code[GRID_CODE_MAX], parent[GRID_CODE_MAX];
};

struct grid_cache {
    struct grid_node *slots; /* open addressing, cap a power of two */
    size_t cap, n;
    char (*dirty)[GRID_CODE_MAX + 1]; /* codes inserted, not yet cached */
    size_t ndirty, capdirty;
};

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

/* -- the cache ------------------------------------------------------------- */

static size_t s_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

/* The slot of CODE, or the empty slot where it would go. G has room. */
static struct grid_node *s_slot_of(struct grid_cache *g, const char *code,
                                   size_t len)
{
    size_t i = s_hash(code, len) & (g->cap - 1);
    while (g->slots[i].used && (g->slots[i].code_len != len ||
                                memcmp(g->slots[i].code, code, len) != 0))
        i = (i + 1) & (g->cap - 1);
    return &g->slots[i];
}

static const struct grid_node *s_cache_get(struct grid_cache *g,
                                           const char *code, size_t len)
{
    if (!g || !g->cap || len > GRID_CODE_MAX)
        return NULL;
    const struct grid_node *n = s_slot_of(g, code, len);
    return n->used ? n : NULL;
}

/* Caches a committed node. Returns 0, or -1 (not cached: too long, out of
 * memory), which only costs lookups in the store. */
static int s_cache_put(struct grid_cache *g, const char *code, size_t len,
                       int kind, const char *parent, size_t plen)
{
    if (len > GRID_CODE_MAX || plen > GRID_CODE_MAX)
        return -1;
    if ((g->n + 1) * 2 > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        struct grid_node *old = g->slots;
        size_t oldcap = g->cap;
        struct grid_node *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return -1;
        g->slots = slots;
        g->cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].used)
                *s_slot_of(g, old[i].code, old[i].code_len) = old[i];
        free(old);
    }
    struct grid_node *n = s_slot_of(g, code, len);
    if (!n->used)
        g->n++;
    n->used = 1;
    n->kind = (uint8_t)kind;
    n->code_len = (uint8_t)len;
    n->parent_len = (uint8_t)plen;
    memcpy(n->code, code, len);
    memcpy(n->parent, parent, plen);
    return 0;
}

/* Notes CODE, just inserted in the open turn, for s_on_commit. */
static void s_dirty(struct grid_cache *g, const char *code, size_t len)
{
    if (!g || len > GRID_CODE_MAX)
        return;
    if (g->ndirty == g->capdirty) {
        size_t cap = g->capdirty ? g->capdirty * 2 : 16;
        void *d = realloc(g->dirty, cap * sizeof *g->dirty);
        if (!d)
            return; /* stays a store lookup */
        g->dirty = d;
        g->capdirty = cap;
    }
    memcpy(g->dirty[g->ndirty], code, len);
    g->dirty[g->ndirty++][len] = '\0';
}

void grid_free(intake_t *in)
{
    struct grid_cache *g = in->grid;
    if (!g)
        return;
    free(g->slots);
    free(g->dirty);
    free(g);
    in->grid = NULL;
}

int grid_prepare(intake_t *in)
{
    in->node_get = store_prepare(
        in->store, "SELECT name, kind, parent FROM grid WHERE code = ?");
    in->node_put = store_prepare(in->store,
                                 "INSERT INTO grid (code, name, kind, parent)"
                                 " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (code)"
                                 " DO UPDATE SET name = excluded.name");
    in->node_all =
        store_prepare(in->store, "SELECT code, kind, parent FROM grid");
    if (!in->node_get || !in->node_put || !in->node_all ||
        !(in->grid = calloc(1, sizeof *in->grid)))
        return -1;
    int rc = 0;
    sqlite3_stmt *st = in->node_all;
    while ((rc = store_step(in->store, st)) == 1) {
        const char *p = (const char *)sqlite3_column_text(st, 2);
        s_cache_put(in->grid, (const char *)sqlite3_column_text(st, 0),
                    (size_t)sqlite3_column_bytes(st, 0),
                    sqlite3_column_int(st, 1), p ? p : "",
                    p ? (size_t)sqlite3_column_bytes(st, 2) : 0);
    }
    return rc < 0 ? -1 : 0;
}


/* Looks up CODE. Returns 1 with its kind, parent (PARENT gets "" for a
 * community) and, when NAME is not NULL, its name; 0 when unknown, -1 on
 * a store error. */
static int s_node(intake_t *in, const char *code, size_t len, int *kind,
                  char parent[65], char name[GRID_NAME_CHARS * 4 + 1])
{
    sqlite3_stmt *st = in->node_get;
    sqlite3_bind_text(st, 1, code, (int)len, SQLITE_STATIC);
    int rc = store_step(in->store, st);
    if (rc == 1) {
        *kind = sqlite3_column_int(st, 1);
        store_column_copy(st, 2, parent, 65);
        if (name)
            store_column_copy(st, 0, name, GRID_NAME_CHARS * 4 + 1);
        store_reset(st);
    }
    return rc;
}

/* Like s_node without the name, from the cache when it knows CODE. */
static int s_lookup(intake_t *in, const char *code, size_t len, int *kind,
                    char parent[65])
{
    const struct grid_node *n = s_cache_get(in->grid, code, len);
    if (!n)
        return s_node(in, code, len, kind, parent, NULL);
    *kind = n->kind;
    memcpy(parent, n->parent, n->parent_len);
    parent[n->parent_len] = '\0';
    return 1;
}

/* The api's hook after a commit: caches the nodes inserted that the store
 * now holds (see the invariant above). */
static void s_on_commit(void *ctx)
{
    intake_t *in = ctx;
    struct grid_cache *g = in->grid;
    for (size_t i = 0; i < g->ndirty; i++) {
        char parent[65];
        int kind;
        size_t len = strlen(g->dirty[i]);
        if (s_node(in, g->dirty[i], len, &kind, parent, NULL) == 1)
            s_cache_put(g, g->dirty[i], len, kind, parent, strlen(parent));
    }
    g->ndirty = 0;
}

api_status_t grid_define(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    field_str_t code, name, parent = {0};
    int kind;
    if (field_str(&req->body, "code", FIELD_REQUIRED, 64, &code) < 0 ||
        field_text(&req->body, "name", FIELD_REQUIRED, GRID_NAME_CHARS,
                   &name) < 0 ||
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
        int rc = s_lookup(in, parent.ptr, parent.len, &pkind, grand);
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
    char old_parent[65], old_name[GRID_NAME_CHARS * 4 + 1];
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
    if (!existed && in->grid) {
        s_dirty(in->grid, code.ptr, code.len);
        api_on_commit(req, s_on_commit, in);
    }
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
        size_t len = strlen(code);
        int kind, rc = s_lookup(in, code, len, &kind, parent);
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
        memcpy(s_slot(chain, k), code, len + 1);
        if (given[k].ptr && !field_str_eq(given[k], code)) {
            field_fail(loc, keys[k], "does not contain %s %s", keys[from],
                       s_slot(chain, from));
            return API_INVALID;
        }
        memcpy(code, parent, strlen(parent) + 1);
    }
    return API_OK;
}
