/*  period: reporting periods (a year, a quarter or a month) in the
 *  community's time zone, as half-open ranges of Unix milliseconds.
 *
 *  A period is named "YYYY", "YYYY-Qn" or "YYYY-MM" (years 1970..9999) and
 *  runs from 00:00 local time on its first day to 00:00 local time on the
 *  first day of the next one, so consecutive periods meet exactly and a day
 *  with a DST change is as long as the zone makes it. The zone is the
 *  process's own (TZ), set once at start by period_set_zone(): the module
 *  keeps no state, and it is not a calendar library (no weeks, no
 *  arithmetic beyond what a period's bounds need). Nothing allocates.
 */
#ifndef JULI_PERIOD_H
#define JULI_PERIOD_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char name[8];    /* "2026", "2026-Q3", "2026-07" */
    int64_t from_ms; /* first millisecond, Unix ms UTC, inclusive */
    int64_t to_ms;   /* end, exclusive */
} period_t;

/* Sets the process's time zone (TZ) to ZONE, e.g. "Asia/Shanghai", once at
 * start, before anything else reads local time. Returns 0, or -1 when the
 * zone is not installed (/usr/share/zoneinfo/ZONE missing or unreadable) —
 * then nothing changed. */
int period_set_zone(const char *zone);

/* Parses S[0..LEN) ("2026", "2026-Q3", "2026-07"; year 1970..9999) into *OUT
 * with its bounds in the zone set. Returns 0, or -1 when S is not a period. */
int period_parse(const char *s, size_t len, period_t *out);

/* The month ("YYYY-MM") containing TS (Unix ms) in the zone set. A TS
 * before 1970 or after 9999 counts in the first or the last month. */
void period_month_of(int64_t ts, period_t *out);

/* True when TS falls in P. */
int period_contains(const period_t *p, int64_t ts);

/* Parses a date "YYYY-MM-DD" (a real calendar date, year 1970..9999) into
 * the Unix ms of its local midnight in the zone set. Returns 0, or -1 when
 * not a date. */
int period_date(const char *s, size_t len, int64_t *ms);

#endif
