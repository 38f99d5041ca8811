/*  The points rule on hand-computed cases (scoring's points.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "scoring.h"

static config_points_t s_rule(void)
{
    config_t *c = config_new();
    config_points_t p = c->points;
    config_destroy(&c);
    return p;
}

/* per_hour 10; difficulty 5, 10, 20; urgency ×1, ×1.2, ×1.5;
 * professional 10; satisfied 5. */
static void test_each_difficulty(void **state)
{
    (void)state;
    config_points_t r = s_rule();
    assert_int_equal(points_task(&r, 1, 1, 1, 0, 0), 10 + 5);
    assert_int_equal(points_task(&r, 1, 2, 1, 0, 0), 10 + 10);
    assert_int_equal(points_task(&r, 1, 3, 1, 0, 0), 10 + 20);
}

static void test_each_urgency(void **state)
{
    (void)state;
    config_points_t r = s_rule();
    /* quality 10 (difficulty 2): ×1, ×1.2, ×1.5 */
    assert_int_equal(points_task(&r, 2, 2, 1, 0, 0), 20 + 10);
    assert_int_equal(points_task(&r, 2, 2, 2, 0, 0), 20 + 12);
    assert_int_equal(points_task(&r, 2, 2, 3, 0, 0), 20 + 15);
    /* 35 × 1.2 is 42.00000000000001 in binary: still 42. */
    assert_int_equal(points_task(&r, 1, 3, 2, 1, 1), 10 + 42);
}

static void test_professional_and_satisfied(void **state)
{
    (void)state;
    config_points_t r = s_rule();
    assert_int_equal(points_task(&r, 1, 1, 1, 1, 0), 10 + 5 + 10);
    assert_int_equal(points_task(&r, 1, 1, 1, 0, 1), 10 + 5 + 5);
    assert_int_equal(points_task(&r, 1, 1, 1, 1, 1), 10 + 5 + 10 + 5);
    /* satisfied counts before the urgency multiplier: (5 + 5) × 1.2 */
    assert_int_equal(points_task(&r, 2, 1, 2, 0, 1), 20 + 12);
}

static void test_rounding(void **state)
{
    (void)state;
    config_points_t r = s_rule();
    /* 15 + (10 + 10 + 5) × 1.5 = 52.5: half away from zero, 53 */
    assert_int_equal(points_task(&r, 1.5, 2, 3, 1, 1), 53);
    /* 0.5 + 5 = 5.5 → 6 */
    assert_int_equal(points_task(&r, 0.05, 1, 1, 0, 0), 6);
    /* 0.35 h is 0.34999999999999997: the sum 8.5 must still round up */
    assert_int_equal(points_task(&r, 0.35, 1, 1, 0, 0), 9);
    /* 2.4 + 5 = 7.4 → 7 */
    assert_int_equal(points_task(&r, 0.24, 1, 1, 0, 0), 7);
    /* volunteer: hours × per_hour only */
    assert_int_equal(points_volunteer(&r, 2.5), 25);
    assert_int_equal(points_volunteer(&r, 0.35), 4);
    assert_int_equal(points_volunteer(&r, 0.04), 0);
}

static void test_configured_rule(void **state)
{
    (void)state;
    config_points_t r = {.per_hour = 8,
                         .difficulty = {1, 2, 3},
                         .urgency = {1, 2, 3},
                         .professional = 4,
                         .satisfied = 0};
    /* 3 × 8 + (3 + 4 + 0) × 3 = 45 */
    assert_int_equal(points_task(&r, 3, 3, 3, 1, 1), 45);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_difficulty),
        cmocka_unit_test(test_each_urgency),
        cmocka_unit_test(test_professional_and_satisfied),
        cmocka_unit_test(test_rounding),
        cmocka_unit_test(test_configured_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
