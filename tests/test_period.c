/*  test_period: bounds of months, quarters and years in Asia/Shanghai and
 *  across Europe/Berlin's DST changes, the millisecond on either side of a
 *  bound, strict refusal of anything that is not a period or a date, and a
 *  zone that is not installed.
 *
 *  Expected instants were checked with date(1), e.g.
 *  `date -u -d '2026-06-30 16:00:00' +%s` gives 1782835200.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "period.h"

#define S 1000LL /* ms per second */

static int s_shanghai(void **state)
{
    (void)state;
    return period_set_zone("Asia/Shanghai");
}

/* Copies TEXT to a buffer of its exact length, no NUL, so that ASan
 * catches any read past the end. */
static char *s_exact(const char *text, size_t *len)
{
    *len = strlen(text);
    char *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    memcpy(buf, text, *len);
    return buf;
}

static int s_parse(const char *text, period_t *p)
{
    size_t len;
    char *buf = s_exact(text, &len);
    int rc = period_parse(buf, len, p);
    free(buf);
    return rc;
}

static int s_date(const char *text, int64_t *ms)
{
    size_t len;
    char *buf = s_exact(text, &len);
    int rc = period_date(buf, len, ms);
    free(buf);
    return rc;
}

/* Asserts that TEXT parses to FROM..TO (Unix seconds). */
static void s_expect(const char *text, int64_t from, int64_t to)
{
    period_t p;
    if (s_parse(text, &p) != 0)
        fail_msg("\"%s\" refused", text);
    assert_string_equal(p.name, text);
    assert_int_equal(p.from_ms, from * S);
    assert_int_equal(p.to_ms, to * S);
}

/* Asserts that TS falls in the month NAME, as period_parse gives it. */
static void s_expect_month(int64_t ts, const char *name)
{
    period_t m, p;
    period_month_of(ts, &m);
    assert_string_equal(m.name, name);
    assert_int_equal(s_parse(name, &p), 0);
    assert_int_equal(m.from_ms, p.from_ms);
    assert_int_equal(m.to_ms, p.to_ms);
    assert_true(period_contains(&m, ts));
}

static void test_month_shanghai(void **state)
{
    (void)state;
    s_expect("2026-07", 1782835200, 1785513600); /* 06-30 16:00Z..07-31 */
    s_expect("2026-01", 1767196800, 1769875200);
    s_expect("2026-12", 1796054400, 1798732800);
    s_expect("2024-02", 1706716800, 1709222400); /* 29 days */
}

static void test_quarter_and_year_shanghai(void **state)
{
    (void)state;
    s_expect("2026-Q1", 1767196800, 1774972800);
    s_expect("2026-Q3", 1782835200, 1790784000);
    s_expect("2026-Q4", 1790784000, 1798732800);
    s_expect("2026", 1767196800, 1798732800);
    s_expect("1970", -28800, 31507200);           /* before the epoch */
    s_expect("9999", 253370736000, 253402272000); /* to 10000-01-01 */
    s_expect("9999-Q4", 253394323200, 253402272000);
}

static void test_boundary_millisecond(void **state)
{
    (void)state;
    period_t jun, jul, q3;
    assert_int_equal(s_parse("2026-06", &jun), 0);
    assert_int_equal(s_parse("2026-07", &jul), 0);
    assert_int_equal(s_parse("2026-Q3", &q3), 0);
    assert_int_equal(jun.to_ms, jul.from_ms);
    assert_int_equal(q3.from_ms, jul.from_ms);
    assert_true(period_contains(&jul, jul.from_ms));
    assert_true(period_contains(&jul, jul.to_ms - 1));
    assert_false(period_contains(&jul, jul.to_ms));
    assert_false(period_contains(&jul, jul.from_ms - 1));
    assert_true(period_contains(&jun, jul.from_ms - 1));
}

static void test_month_of_midnight(void **state)
{
    (void)state;
    s_expect_month(1785513600 * S - 1, "2026-07"); /* 07-31 15:59:59.999Z */
    s_expect_month(1785513600 * S, "2026-08");     /* 08-01 00:00 local */
    s_expect_month(1782835200 * S - 1, "2026-06");
    s_expect_month(1782835200 * S, "2026-07");
    s_expect_month(1798732800 * S - 1, "2026-12");
    s_expect_month(1798732800 * S, "2027-01");
    s_expect_month(1709136000 * S, "2024-02"); /* 02-29 00:00 local */
    s_expect_month(0, "1970-01");
}

static void test_month_of_out_of_range(void **state)
{
    (void)state;
    period_t m;
    period_month_of(INT64_MIN, &m);
    assert_string_equal(m.name, "1970-01");
    period_month_of(-28800 * S - 1, &m); /* 1969-12-31 23:59:59.999 */
    assert_string_equal(m.name, "1970-01");
    period_month_of(253402272000 * S, &m); /* 10000-01-01 00:00 */
    assert_string_equal(m.name, "9999-12");
    period_month_of(INT64_MAX, &m);
    assert_string_equal(m.name, "9999-12");
    s_expect_month(253402272000 * S - 1, "9999-12");
}

static void test_berlin_dst(void **state)
{
    (void)state;
    assert_int_equal(period_set_zone("Europe/Berlin"), 0);
    /* CET (+1) on March 1st, CEST (+2) from 03-29 01:00Z: an hour short. */
    s_expect("2026-03", 1772319600, 1774994400);
    s_expect("2026-04", 1774994400, 1777586400);
    s_expect("2026-Q1", 1767222000, 1774994400);
    /* Back to CET on 10-25 01:00Z: October is an hour long. */
    s_expect("2026-10", 1790805600, 1793487600);
    s_expect("2026", 1767222000, 1798758000);
    s_expect_month(1774746000 * S - 1, "2026-03"); /* the change itself */
    s_expect_month(1774746000 * S, "2026-03");
    s_expect_month(1774994400 * S - 1, "2026-03");
    s_expect_month(1774994400 * S, "2026-04");
    s_expect_month(1793487600 * S - 1, "2026-10");
    s_expect_month(1793487600 * S, "2026-11");
    int64_t ms;
    assert_int_equal(s_date("2026-03-29", &ms), 0); /* still CET */
    assert_int_equal(ms, 1774738800 * S);
    assert_int_equal(s_date("2026-03-30", &ms), 0); /* CEST: 23 h later */
    assert_int_equal(ms, 1774821600 * S);
}

static void test_bad_periods(void **state)
{
    (void)state;
    static const char *bad[] = {
        "2026-13",    "2026-Q5", "2026-7",  "26-07",   "2026-07-", "",
        "2026-00",    "2026-Q0", "2026-q3", "2026-Q",  "2026-Q10", "1969",
        "0000",       "202",     "20266",   "2026 ",   " 2026",    "+2026",
        "2026/07",    "2026-0a", "20a6-07", "2026-Q+", "2026-7-",  "2026--7",
        "2026-07-01", "1969-12", "10000",   "2026-1-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        period_t p = {.name = "keep", .from_ms = 1, .to_ms = 2};
        if (s_parse(bad[i], &p) != -1)
            fail_msg("\"%s\" taken for a period", bad[i]);
        assert_string_equal(p.name, "keep");
        assert_int_equal(p.from_ms, 1);
    }
    /* Only S[0..LEN) counts. */
    period_t p;
    assert_int_equal(period_parse("2026-07xyz", 7, &p), 0);
    assert_string_equal(p.name, "2026-07");
    assert_int_equal(period_parse("2026-07", 6, &p), -1);
    assert_int_equal(period_parse("2026", 0, &p), -1);
}

static void test_dates(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(s_date("2024-02-29", &ms), 0);
    assert_int_equal(ms, 1709136000 * S); /* 02-28 16:00Z */
    assert_int_equal(s_date("2000-02-29", &ms), 0);
    assert_int_equal(ms, 951753600 * S);
    assert_int_equal(s_date("2026-07-01", &ms), 0);
    assert_int_equal(ms, 1782835200 * S);
    assert_int_equal(s_date("2026-12-31", &ms), 0);
    assert_int_equal(s_date("1970-01-01", &ms), 0);
    assert_int_equal(ms, -28800 * S);
    assert_int_equal(s_date("9999-12-31", &ms), 0);
    static const char *bad[] = {
        "2026-02-30", "2025-02-29", "2100-02-29", "2026-04-31",  "2026-13-01",
        "2026-00-10", "2026-01-00", "2026-01-32", "2026-1-01",   "2026-01-1",
        "2026/01/01", "1969-12-31", "",           "2026-01-01 ", "2026-01",
        "20260101",   "2026-01-0a", "2026-+1-01", "0000-01-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ms = 7;
        if (s_date(bad[i], &ms) != -1)
            fail_msg("\"%s\" taken for a date", bad[i]);
        assert_int_equal(ms, 7);
    }
}

static void test_unknown_zone(void **state)
{
    (void)state;
    assert_int_equal(period_set_zone("Europe/Berlin"), 0);
    static const char *bad[] = {
        "Nowhere/Atlantis",
        "",
        "Asia",
        "zone.tab",
        "../../../etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "Europe/Berlin/",
        "Europe/Berlin ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (period_set_zone(bad[i]) != -1)
            fail_msg("zone \"%s\" taken", bad[i]);
    assert_string_equal(getenv("TZ"), "Europe/Berlin");
    s_expect("2026-07", 1782856800, 1785535200); /* still Berlin */
    assert_int_equal(period_set_zone("UTC"), 0);
    s_expect("2026-07", 1782864000, 1785542400);
}

#define T(f) cmocka_unit_test_setup(f, s_shanghai)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_month_shanghai),        T(test_quarter_and_year_shanghai),
        T(test_boundary_millisecond),  T(test_month_of_midnight),
        T(test_month_of_out_of_range), T(test_berlin_dst),
        T(test_bad_periods),           T(test_dates),
        T(test_unknown_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
