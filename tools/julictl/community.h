/*  community: the community as its daemons know it, for simulate and
 *  report: the grid tree (community › grid › compound › stairwell), the
 *  party members and who holds which role of the grid.
 *
 *  No request lists the tree or the members. Like dispatch and scoring,
 *  julictl reads them from the event logs: intake's grid.defined and
 *  scoring's member.registered, from the start (a code or id defined again
 *  is an update: the last one counts). The staff come from dispatch's
 *  staff.list. A community_t is a copy: it does not follow later changes.
 */
#ifndef JULICTL_COMMUNITY_H
#define JULICTL_COMMUNITY_H

#include <stddef.h>

#include "ctl.h"

typedef struct {
    char code[65], name[65], parent[65];
    char kind[16]; /* community, grid, compound or stairwell */
    long up;       /* the index of the parent in nodes, -1 for none */
} community_node_t;

typedef struct {
    char id[65], name[65], branch[65];
} community_member_t;

typedef struct {
    char node[65], role[24], person[65];
} community_staff_t;

typedef struct {
    community_node_t *nodes; /* sorted by code */
    size_t nnodes, capnodes;
    community_member_t *members; /* sorted by branch, then id */
    size_t nmembers, capmembers;
    community_staff_t *staff;
    size_t nstaff;
    int oom;
} community_t;

/* Reads the grid tree from intake into C (initially zeroed). Returns 0, or
 * an exit code after saying why. */
int community_tree(ctl_t *ctl, community_t *c);

/* Reads the members from scoring and the staff from dispatch into C.
 * Returns 0, or an exit code after saying why. */
int community_people(ctl_t *ctl, community_t *c);

/* The node CODE, or NULL. */
const community_node_t *community_node(const community_t *c, const char *code);

/* The first node of KIND ("community"), or NULL. */
const community_node_t *community_first(const community_t *c, const char *kind);

/* The member ID, or NULL. */
const community_member_t *community_member(const community_t *c,
                                           const char *id);

/* The id of the person holding ROLE at NODE (at any node when NODE is
 * NULL), or NULL. */
const char *community_holder(const community_t *c, const char *node,
                             const char *role);

/* Frees what C holds and zeroes it. */
void community_free(community_t *c);

#endif
