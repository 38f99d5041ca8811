/*  community: the tree, the members and the staff, from the daemons. See
 *  community.h. */
#include "community.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "show.h"

/* The item of *ITEMS (N used, *CAP allocated, SIZE bytes each) whose
 * first field, a string, is KEY: the last such, or a new one, zeroed.
 * NULL when out of memory. */
static void *s_upsert(void *items, size_t *n, size_t *cap, size_t size,
                      const char *key)
{
    char *base = *(void **)items;
    for (size_t i = *n; i > 0; i--)
        if (strcmp(base + (i - 1) * size, key) == 0)
            return base + (i - 1) * size;
    void *it = ctl_grow(items, *n, cap, size);
    if (it)
        ++*n;
    return it;
}

/* Takes a grid.defined or member.registered event into C. */
static int s_on_event(const msgpack_object *e, void *arg)
{
    community_t *c = arg;
    char type[32], key[65];
    const msgpack_object *d = show_get(e, "data");
    show_copy(e, "type", type, sizeof type);
    if (strcmp(type, "grid.defined") == 0) {
        community_node_t *n =
            s_upsert(&c->nodes, &c->nnodes, &c->capnodes, sizeof *n,
                     show_copy(d, "code", key, sizeof key));
        if (!n)
            return c->oom = 1;
        snprintf(n->code, sizeof n->code, "%s", key);
        show_copy(d, "name", n->name, sizeof n->name);
        show_copy(d, "parent", n->parent, sizeof n->parent);
        show_copy(d, "kind", n->kind, sizeof n->kind);
    } else if (strcmp(type, "member.registered") == 0) {
        community_member_t *m =
            s_upsert(&c->members, &c->nmembers, &c->capmembers, sizeof *m,
                     show_copy(d, "id", key, sizeof key));
        if (!m)
            return c->oom = 1;
        snprintf(m->id, sizeof m->id, "%s", key);
        show_copy(d, "name", m->name, sizeof m->name);
        show_copy(d, "branch", m->branch, sizeof m->branch);
    }
    return 0;
}

static int s_by_code(const void *a, const void *b)
{
    return strcmp(((const community_node_t *)a)->code,
                  ((const community_node_t *)b)->code);
}

/* Members by branch, then id: a branch is one run. */
static int s_by_branch(const void *a, const void *b)
{
    const community_member_t *x = a, *y = b;
    int c = strcmp(x->branch, y->branch);
    return c ? c : strcmp(x->id, y->id);
}

/* Says that C ran out of memory. Returns the exit code. */
static int s_oom(void)
{
    fprintf(stderr, "julictl: out of memory\n");
    return CTL_EXIT_FAILED;
}

int community_tree(ctl_t *ctl, community_t *c)
{
    uint64_t after = 0;
    int rc = ctl_events(ctl, "intake", &after, s_on_event, c);
    if (rc || c->oom)
        return rc ? rc : s_oom();
    if (c->nnodes > 1)
        qsort(c->nodes, c->nnodes, sizeof *c->nodes, s_by_code);
    for (size_t i = 0; i < c->nnodes; i++) {
        const community_node_t *up = community_node(c, c->nodes[i].parent);
        c->nodes[i].up = up ? up - c->nodes : -1;
    }
    return 0;
}

int community_people(ctl_t *ctl, community_t *c)
{
    uint64_t after = 0;
    int rc = ctl_events(ctl, "scoring", &after, s_on_event, c);
    if (rc || c->oom)
        return rc ? rc : s_oom();
    if (c->nmembers > 1)
        qsort(c->members, c->nmembers, sizeof *c->members, s_by_branch);
    msgpack_object reply;
    rc = ctl_call(ctl, "dispatch", "staff.list", NULL, NULL, &reply);
    if (rc)
        return rc;
    uint32_t n;
    const msgpack_object *st = show_array(&reply, "staff", &n);
    if (n && !(c->staff = calloc(n, sizeof *c->staff)))
        return s_oom();
    for (uint32_t i = 0; i < n; i++) {
        community_staff_t *s = &c->staff[c->nstaff++];
        show_copy(&st[i], "node", s->node, sizeof s->node);
        show_copy(&st[i], "role", s->role, sizeof s->role);
        show_copy(&st[i], "person", s->person, sizeof s->person);
    }
    return 0;
}

const community_node_t *community_node(const community_t *c, const char *code)
{
    community_node_t key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return c->nnodes ? bsearch(&key, c->nodes, c->nnodes, sizeof key, s_by_code)
                     : NULL;
}

const community_node_t *community_first(const community_t *c, const char *kind)
{
    for (size_t i = 0; i < c->nnodes; i++)
        if (strcmp(c->nodes[i].kind, kind) == 0)
            return &c->nodes[i];
    return NULL;
}

const community_member_t *community_member(const community_t *c, const char *id)
{
    for (size_t i = 0; i < c->nmembers; i++)
        if (strcmp(c->members[i].id, id) == 0)
            return &c->members[i];
    return NULL;
}

const char *community_holder(const community_t *c, const char *node,
                             const char *role)
{
    for (size_t i = 0; i < c->nstaff; i++)
        if ((!node || strcmp(c->staff[i].node, node) == 0) &&
            strcmp(c->staff[i].role, role) == 0)
            return c->staff[i].person;
    return NULL;
}

void community_free(community_t *c)
{
    free(c->nodes);
    free(c->members);
    free(c->staff);
    memset(c, 0, sizeof *c);
}
