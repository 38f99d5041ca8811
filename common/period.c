/*  period: years, quarters and months in the process's time zone.
 *
 *  Every bound is a local midnight made by mktime (tm_isdst = -1, so the
 *  zone decides whether DST is in force), and a period's end is the start of
 *  the next one computed the same way: consecutive periods never overlap or
 *  leave a gap, whatever the zone does to its clocks.
 */
#include "period.h"

#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_ZONEINFO "/usr/share/zoneinfo/"

_Static_assert(sizeof(time_t) >= 8, "years up to 9999 need a 64-bit time_t");

/* The number in the LEN digits at S, or -1 when one is not a digit. */
static int s_digits(const char *s, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        n = n * 10 + (s[i] - '0');
    }
    return n;
}

static int s_days_in(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* The Unix ms of 00:00 local on YEAR-MONTH-DAY; MONTH 13 is January of the
 * next year. Cannot fail for years 1970..10000 with a 64-bit time_t. */
static int64_t s_midnight(int year, int month, int day)
{
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_isdst = -1};
    return (int64_t)mktime(&tm) * 1000;
}

/* Fills *OUT with month MONTH (0 and 13 step into the year next to it) of
 * YEAR. Returns 0, or -1 (and *OUT untouched) when out of range. */
static int s_month(int year, int month, period_t *out)
{
    if (month == 0 || month == 13) {
        year += month ? 1 : -1;
        month = month ? 1 : 12;
    }
    if (year < 1970 || year > 9999 || month < 1 || month > 12)
        return -1;
    snprintf(out->name, sizeof out->name, "%04d-%02d", year, month);
    out->from_ms = s_midnight(year, month, 1);
    out->to_ms = s_midnight(year, month + 1, 1);
    return 0;
}

int period_set_zone(const char *zone)
{
    assert(zone);
    char path[256];
    char magic[4];
    if (!*zone || zone[0] == '/' || strstr(zone, "..") ||
        snprintf(path, sizeof path, S_ZONEINFO "%s", zone) >= (int)sizeof path)
        return -1;
    /* glibc takes a TZ it cannot load for UTC without a word: check first
     * that the file is there and is a compiled zone ("TZif"), not a
     * directory or one of the tables beside the zones. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, magic, sizeof magic);
    close(fd);
    if (n != (ssize_t)sizeof magic || memcmp(magic, "TZif", 4) != 0)
        return -1;
    if (setenv("TZ", zone, 1) != 0)
        return -1;
    tzset();
    return 0;
}

int period_parse(const char *s, size_t len, period_t *out)
{
    int year, n;
    period_t p;
    if (len < 4 || (year = s_digits(s, 4)) < 1970)
        return -1;
    if (len == 4) {
        p.from_ms = s_midnight(year, 1, 1);
        p.to_ms = s_midnight(year + 1, 1, 1);
    } else if (len == 7 && s[4] == '-' && s[5] == 'Q') {
        if ((n = s_digits(s + 6, 1)) < 1 || n > 4)
            return -1;
        p.from_ms = s_midnight(year, 3 * n - 2, 1);
        p.to_ms = s_midnight(year, 3 * n + 1, 1);
    } else if (len == 7 && s[4] == '-') {
        if ((n = s_digits(s + 5, 2)) < 1 || n > 12)
            return -1;
        p.from_ms = s_midnight(year, n, 1);
        p.to_ms = s_midnight(year, n + 1, 1);
    } else {
        return -1;
    }
    memcpy(p.name, s, len);
    p.name[len] = '\0';
    *out = p;
    return 0;
}

void period_month_of(int64_t ts, period_t *out)
{
    time_t t = (time_t)(ts / 1000 - (ts % 1000 < 0)); /* floor */
    struct tm tm = {0};
    if (!localtime_r(&t, &tm))
        tm.tm_year = ts < 0 ? -1 : 9000;
    int year = tm.tm_year + 1900, month = tm.tm_mon + 1;
    if (year < 1970 || year > 9999) {
        s_month(year < 1970 ? 1970 : 9999, year < 1970 ? 1 : 12, out);
        return;
    }
    s_month(year, month, out);
    /* Where DST skips a local midnight, mktime may put the bound an hour
     * off the day localtime names: the bounds decide. */
    if (ts < out->from_ms)
        s_month(year, month - 1, out);
    else if (ts >= out->to_ms)
        s_month(year, month + 1, out);
}

int period_contains(const period_t *p, int64_t ts)
{
    return ts >= p->from_ms && ts < p->to_ms;
}

int period_date(const char *s, size_t len, int64_t *ms)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int year = s_digits(s, 4), month = s_digits(s + 5, 2);
    int day = s_digits(s + 8, 2);
    if (year < 1970 || month < 1 || month > 12 || day < 1 ||
        day > s_days_in(year, month))
        return -1;
    *ms = s_midnight(year, month, day);
    return 0;
}
