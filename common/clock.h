/*  clock: the time juli lives by.
 *
 *  In production this is the real clock, in Unix milliseconds. For the
 *  demo's simulated month (julictl simulate) the config's [clock] section
 *  makes every process of the stack agree on a faster, shifted clock:
 *
 *      simulated = start + (real - epoch) × speed
 *
 *  with start a local date, epoch a real Unix ms shared by all processes,
 *  and speed how many simulated milliseconds pass per real one. Event
 *  timestamps, deadlines and periods then all live in simulated time, and
 *  a deadline timer waits the real time that corresponds. Without [clock]
 *  nothing changes: speed 1, no shift.
 *
 *  Like log, the module holds three numbers set once at start, before the
 *  loop runs; it owns nothing else.
 */
#ifndef JULI_CLOCK_H
#define JULI_CLOCK_H

#include <stdint.h>

/* Makes the clock simulated (see above). SPEED must be >= 1. */
void clock_simulate(int64_t start, int64_t epoch, double speed);

/* Now, in (simulated) Unix milliseconds. */
uint64_t clock_now_ms(void);

/* The real milliseconds until (simulated) time AT; 0 when past. */
uint64_t clock_wait_ms(int64_t at);

#endif
