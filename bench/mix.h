/*  mix: what the load generator says, as the other services would.
 *
 *  A small community (社区) with grids, compounds and stairwells; its
 *  staff, resident units and party members; and request bodies drawn
 *  deterministically from a request number, so a run is repeatable:
 *  residents' complaints in Chinese whose keywords suggest a category,
 *  every channel, urgencies, reporters, locations of every precision, and
 *  the bodies dispatch's assignees send to accept, resolve and follow up.
 *  Every body is valid: the benchmark counts any error as a failure.
 */
#ifndef JULI_BENCH_MIX_H
#define JULI_BENCH_MIX_H

#include <stddef.h>
#include <stdint.h>

#include "pack.h"

typedef struct {
    char code[16];
    char name[48];
    const char *kind; /* community, grid, compound, stairwell */
    char parent[16];  /* "" for the community */
} mix_node_t;

/* The grid tree, parents before children. Returns the count (at most
 * MAX). */
size_t mix_nodes(mix_node_t *out, size_t max);

/* The body of grid.define for NODE. */
void mix_grid_body(pack_t *p, const mix_node_t *node);

/* Staff: the I-th staff.assign body, 0 <= I < mix_staff_count(). */
size_t mix_staff_count(void);
void mix_staff_body(pack_t *p, size_t i);

/* Resident units: the I-th unit.register body. */
size_t mix_unit_count(void);
void mix_unit_body(pack_t *p, size_t i);

/* Party members: the I-th member.register body. */
size_t mix_member_count(void);
void mix_member_body(pack_t *p, size_t i);

/* The body of request.submit number N. With ROUTED set, the request
 * always names a stairwell and has a category (given or suggested by its
 * keywords), so intake accepts it and dispatch routes it; otherwise about
 * one in twenty gives only an address and lands in triage. */
void mix_submit_body(pack_t *p, uint64_t n, int routed);

/* task.accept, task.resolve and followup.record bodies for TASK, held by
 * BY; N varies participants, hours, difficulty and satisfaction. */
void mix_accept_body(pack_t *p, const char *task, const char *by);
void mix_resolve_body(pack_t *p, const char *task, const char *by, uint64_t n);
void mix_followup_body(pack_t *p, const char *task, uint64_t n);

/* The number of participants mix_resolve_body names for N: the ledger
 * entries scoring writes when the task closes. */
uint32_t mix_participants(uint64_t n);

#endif
