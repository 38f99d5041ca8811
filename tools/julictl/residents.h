/*  residents: what the simulated community says and does, for simulate.
 *
 *  The words and the mixes of `julictl simulate`: the texts residents
 *  write per category (a handful of templates each, with the compound and
 *  the stairwell filled in), the patrol's findings, the channels and
 *  urgencies they use, the daily rhythm of their requests, and what staff
 *  and units answer (results, declines, follow-up notes, complaints).
 *  Nothing here talks to a daemon or knows the time: simulate.c decides
 *  when, this module decides what.
 *
 *  The dice: every choice is drawn from a dice_t seeded with what names
 *  the simulated event (seed 7, accept, T00000012 at 1790000000000), so the
 *  same seed and the same event always draw the same way, whatever ran
 *  before: a simulation run again after a crash sends the very same
 *  requests under the same idempotency keys.
 */
#ifndef JULICTL_RESIDENTS_H
#define JULICTL_RESIDENTS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct {
    uint64_t s;
} dice_t;

/* Seeds D for the simulated event WHAT ("accept", "hour") of OF (a task,
 * a date; "" for none) at N (a moment, a number) in the run of SEED. */
void dice_seed(dice_t *d, uint64_t seed, const char *what, const char *of,
               int64_t n);

/* A uniform draw in [0, 1). */
double dice_unit(dice_t *d);

/* A uniform draw in [LO, HI). */
double dice_range(dice_t *d, double lo, double hi);

/* A uniform draw in 0..N-1 (N > 0). */
size_t dice_below(dice_t *d, size_t n);

/* An index in 0..N-1 drawn with the weights W[0..N) (not all 0). */
size_t dice_weighted(dice_t *d, const double *w, size_t n);

/* A Poisson draw of mean MEAN (at most 1000). */
unsigned dice_poisson(dice_t *d, double mean);

/* How many requests come in the hour starting at HOUR (0..23, local)
 * relative to an average hour: few at night, most in the morning. */
double residents_rhythm(int hour);

/* A category drawn by how often residents ask for it, among those with
 * texts here that CFG configures; NULL when there is none. */
const char *residents_category(dice_t *d, const config_t *cfg);

/* A resident's text about CATEGORY in OUT (SIZE bytes), about the
 * compound COMPOUND and, when the text names one, the stairwell
 * STAIRWELL ("3栋2单元"): then *AT_STAIRWELL is 1, else 0 (the request is
 * about the compound as a whole). */
void residents_text(dice_t *d, const char *category, const char *compound,
                    const char *stairwell, char *out, size_t size,
                    int *at_stairwell);

/* A finding of the sanitation patrol, as residents_text writes it. */
void residents_finding(dice_t *d, const char *compound, const char *stairwell,
                       char *out, size_t size, int *at_stairwell);

/* A channel of a resident's request: app, hotline, walk_in or
 * grid_worker. */
const char *residents_channel(dice_t *d);

/* An urgency: mostly 1. */
int residents_urgency(dice_t *d);

/* A reporter's name ("王女士", 32 bytes) and phone (16 bytes). */
void residents_reporter(dice_t *d, char name[32], char phone[16]);

/* What the assignee reports when resolving a task of CATEGORY. */
const char *residents_result(dice_t *d, const char *category);

/* Why a unit declines a task. */
const char *residents_decline(dice_t *d);

/* What the resident says at a follow-up visit with SATISFACTION. */
const char *residents_followup(dice_t *d, const char *satisfaction);

/* A resident's complaint that reopens a closed task. */
const char *residents_complaint(dice_t *d);

#endif
