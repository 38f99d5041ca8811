/*  The category a request's text suggests (intake's keywords.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "keywords.h"

/* Sets C's rules to categories given as "code:kw1,kw2,..." strings. */
static void s_rules(config_t *c, const char *const *cats, size_t n)
{
    c->ncategories = n;
    for (size_t i = 0; i < n; i++) {
        config_category_t *cat = &c->categories[i];
        memset(cat, 0, sizeof *cat);
        const char *colon = strchr(cats[i], ':');
        snprintf(cat->code, sizeof cat->code, "%.*s",
                 (int)(colon - cats[i]), cats[i]);
        for (const char *p = colon + 1; *p;) {
            size_t len = strcspn(p, ",");
            snprintf(cat->keywords[cat->nkeywords++], 64, "%.*s", (int)len,
                     p);
            p += len + (p[len] == ',');
        }
    }
}

/* Each test's rules and index. */
typedef struct {
    config_t *c;
    keywords_t *kw;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f || !(f->c = config_new()) || !(f->kw = calloc(1, sizeof *f->kw)))
        return -1;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    config_destroy(&f->c);
    free(f->kw);
    free(f);
    return 0;
}

static const char *s_suggest(keywords_t *kw, const config_t *c,
                             const char *text, const char **word)
{
    *word = NULL;
    const config_category_t *cat =
        keywords_suggest(kw, c, text, strlen(text), word);
    return cat ? cat->code : NULL;
}

static void test_most_keywords_win(void **state)
{
    fixture_t *f = *state;
    const char *cats[] = {"sanitation:垃圾,清扫,卫生,楼道",
                          "property:物业,电梯,漏水,楼道"};
    s_rules(f->c, cats, 2);
    config_t *c = f->c;
    keywords_t *kw = f->kw;
    const char *word;
    /* Two of property's against one of sanitation's (楼道 counts for
     * both). */
    assert_string_equal(
        s_suggest(kw, c, "楼道里电梯坏了，楼上漏水", &word), "property");
    assert_string_equal(word, "电梯"); /* property's first that occurs */
    /* A keyword that occurs twice counts once: 垃圾 垃圾 against 物业
     * 电梯. */
    assert_string_equal(
        s_suggest(kw, c, "垃圾垃圾垃圾，物业说电梯要修", &word), "property");
    /* None occurs. */
    assert_null(s_suggest(kw, c, "今天天气很好", &word));
    assert_null(word);
    assert_null(s_suggest(kw, c, "", &word));
}

static void test_tie_goes_to_the_first(void **state)
{
    fixture_t *f = *state;
    const char *cats[] = {"a:路灯,井盖", "b:噪音,吵架", "c:井盖,噪音"};
    s_rules(f->c, cats, 3);
    config_t *c = f->c;
    keywords_t *kw = f->kw;
    const char *word;
    /* One each for a and c, or for b and c: the first of them. */
    assert_string_equal(s_suggest(kw, c, "路边井盖坏了", &word), "a");
    assert_string_equal(word, "井盖");
    assert_string_equal(s_suggest(kw, c, "楼下噪音", &word), "b");
    /* c has both; a and b one each. */
    assert_string_equal(s_suggest(kw, c, "井盖旁边有噪音", &word), "c");
    assert_string_equal(word, "井盖");
}

static void test_edges_of_the_text(void **state)
{
    fixture_t *f = *state;
    const char *cats[] = {"long:健身器材", "ascii:TV,wifi", "first:停车"};
    s_rules(f->c, cats, 3);
    config_t *c = f->c;
    keywords_t *kw = f->kw;
    const char *word;
    /* At the very start and the very end. */
    assert_string_equal(s_suggest(kw, c, "停车", &word), "first");
    assert_string_equal(s_suggest(kw, c, "小区的健身器材", &word), "long");
    /* Cut short at the end: a prefix is no match. */
    assert_null(s_suggest(kw, c, "小区的健身器", &word));
    /* Keywords under three bytes are found too. */
    assert_string_equal(s_suggest(kw, c, "the TV is broken", &word),
                        "ascii");
    assert_string_equal(word, "TV");
    assert_string_equal(s_suggest(kw, c, "no wifi, no TV", &word), "ascii");
    assert_string_equal(word, "TV"); /* config order, not text order */
}

static void test_rules_change(void **state)
{
    fixture_t *f = *state;
    const char *before[] = {"x:电梯"};
    const char *after[] = {"y:漏水", "x:电梯"};
    s_rules(f->c, before, 1);
    config_t *fresh = config_new();
    assert_non_null(fresh);
    s_rules(fresh, after, 2);
    const char *word;
    assert_null(s_suggest(f->kw, f->c, "楼上漏水", &word));
    config_take_rules(f->c, fresh); /* what SIGHUP does */
    assert_string_equal(s_suggest(f->kw, f->c, "楼上漏水", &word), "y");
    assert_string_equal(s_suggest(f->kw, f->c, "电梯", &word), "x");
    config_destroy(&fresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_most_keywords_win, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_tie_goes_to_the_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_edges_of_the_text, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_rules_change, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
