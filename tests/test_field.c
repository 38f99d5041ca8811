/*  test_field: typed getters over decoded frames, and the paths and
 *  reasons of their details. Frames are built with pack and decoded with
 *  frame, the way a daemon sees them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "frame.h"
#include "harness.h"
#include "pack.h"

/* The fixture: a pack buffer and a decoder (harness.h). */
typedef h_decode_t fx_t;

static int s_setup(void **state)
{
    *state = h_decode_new(NULL);
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    h_decode_destroy((fx_t **)state);
    return 0;
}

#define assert_err(fx, s) assert_string_equal((fx)->err, (s))

static void s_assert_str(field_str_t s, const char *lit)
{
    if (!field_str_eq(s, lit))
        fail_msg("got \"%.*s\", want \"%s\"", (int)s.len, s.ptr, lit);
}

static const char *const s_channels[] = {"app",     "hotline",     "patrol",
                                         "walk_in", "grid_worker", NULL};

/* -- round trips ----------------------------------------------------------- */

static void test_roundtrip_submit(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 3);
    pack_kstr(p, "type", "request.submit");
    pack_kstr(p, "id", "c-42");
    pack_str(p, "body");
    pack_map(p, 6);
    pack_kstr(p, "text", "楼道灯坏了，老人晚上不敢下楼");
    pack_kstr(p, "channel", "grid_worker");
    pack_kstr(p, "category", "facility");
    pack_kuint(p, "urgency", 3);
    pack_str(p, "location");
    pack_map(p, 4);
    pack_kstr(p, "stairwell", "sw-3-2");
    pack_kstr(p, "compound", "cp-3");
    pack_kstr(p, "grid", "g-1");
    pack_kstr(p, "address", "幸福路 1 号 3 栋 2 单元");
    pack_str(p, "reporter");
    pack_map(p, 3);
    pack_kstr(p, "id", "r-7");
    pack_kstr(p, "name", "王阿姨");
    pack_kstr(p, "phone", "13800000000");
    field_map_t *root = h_decode(fx);

    field_str_t type, id, text, category, sw, cp, grid, addr, rid, rname, phone;
    field_map_t body, loc, rep;
    int channel = -1;
    uint64_t urgency = 0;
    assert_int_equal(field_str(root, "type", 1, 64, &type), 1);
    s_assert_str(type, "request.submit");
    assert_int_equal(field_str(root, "id", 1, 64, &id), 1);
    s_assert_str(id, "c-42");
    assert_int_equal(field_map(root, "body", 1, &body), 1);
    assert_string_equal(body.path, "body");
    assert_int_equal(field_text(&body, "text", 1, 2000, &text), 1);
    s_assert_str(text, "楼道灯坏了，老人晚上不敢下楼");
    assert_int_equal(field_enum(&body, "channel", 1, s_channels, &channel), 1);
    assert_int_equal(channel, 4);
    assert_int_equal(field_str(&body, "category", 0, 32, &category), 1);
    s_assert_str(category, "facility");
    assert_int_equal(field_uint(&body, "urgency", 0, 1, 3, &urgency), 1);
    assert_int_equal(urgency, 3);
    assert_int_equal(field_map(&body, "location", 1, &loc), 1);
    assert_string_equal(loc.path, "body.location");
    assert_int_equal(field_str(&loc, "stairwell", 0, 64, &sw), 1);
    s_assert_str(sw, "sw-3-2");
    assert_int_equal(field_str(&loc, "compound", 0, 64, &cp), 1);
    s_assert_str(cp, "cp-3");
    assert_int_equal(field_str(&loc, "grid", 0, 64, &grid), 1);
    s_assert_str(grid, "g-1");
    assert_int_equal(field_str(&loc, "address", 0, 256, &addr), 1);
    s_assert_str(addr, "幸福路 1 号 3 栋 2 单元");
    assert_int_equal(field_map(&body, "reporter", 0, &rep), 1);
    assert_int_equal(field_str(&rep, "id", 0, 64, &rid), 1);
    s_assert_str(rid, "r-7");
    assert_int_equal(field_str(&rep, "name", 0, 64, &rname), 1);
    s_assert_str(rname, "王阿姨");
    assert_int_equal(field_str(&rep, "phone", 0, 32, &phone), 1);
    s_assert_str(phone, "13800000000");
    assert_err(fx, "");
}

static void test_roundtrip_resolve(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 3);
    pack_kstr(p, "type", "task.resolve");
    pack_kstr(p, "id", "c-43");
    pack_str(p, "body");
    pack_map(p, 7);
    pack_kuint(p, "task", 17);
    pack_kstr(p, "by", "p-9");
    pack_kstr(p, "result", "换了灯泡");
    pack_str(p, "participants");
    pack_array(p, 2);
    pack_map(p, 2);
    pack_kstr(p, "member", "m-1");
    pack_kdouble(p, "hours", 1.5);
    pack_map(p, 2);
    pack_kstr(p, "member", "m-2");
    pack_kuint(p, "hours", 2);
    pack_kuint(p, "difficulty", 2);
    pack_kbool(p, "professional", 1);
    pack_kint(p, "offset", -30);
    field_map_t *root = h_decode(fx);

    field_map_t body, item;
    uint64_t task = 0, difficulty = 0;
    field_str_t by, result, member;
    const msgpack_object *items = NULL;
    size_t n = 0;
    int professional = 0;
    int64_t offset = 0;
    double hours = 0;
    assert_int_equal(field_map(root, "body", 1, &body), 1);
    assert_int_equal(field_uint(&body, "task", 1, 1, UINT64_MAX, &task), 1);
    assert_int_equal(task, 17);
    assert_int_equal(field_str(&body, "by", 1, 64, &by), 1);
    s_assert_str(by, "p-9");
    assert_int_equal(field_text(&body, "result", 1, 2000, &result), 1);
    s_assert_str(result, "换了灯泡");
    assert_int_equal(field_array(&body, "participants", 1, 256, &items, &n), 1);
    assert_int_equal(n, 2);
    const char *members[] = {"m-1", "m-2"};
    const double want[] = {1.5, 2.0};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(
            field_item_map(&body, "participants", i, &items[i], &item), 1);
        assert_int_equal(field_str(&item, "member", 1, 64, &member), 1);
        s_assert_str(member, members[i]);
        assert_int_equal(field_num(&item, "hours", 1, &hours), 1);
        assert_true(hours == want[i]);
    }
    assert_string_equal(item.path, "body.participants[1]");
    assert_int_equal(field_uint(&body, "difficulty", 1, 1, 3, &difficulty), 1);
    assert_int_equal(difficulty, 2);
    assert_int_equal(field_bool(&body, "professional", 0, &professional), 1);
    assert_int_equal(professional, 1);
    assert_int_equal(field_int(&body, "offset", 0, -60, 60, &offset), 1);
    assert_int_equal(offset, -30);
    assert_err(fx, "");
}

/* -- failures -------------------------------------------------------------- */

static void test_type_mismatch(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 9);
    pack_kuint(p, "s", 1);
    pack_kstr(p, "n", "3");
    pack_kdouble(p, "d", 2.0);
    pack_kuint(p, "b", 1);
    pack_str(p, "a");
    pack_map(p, 0);
    pack_str(p, "m");
    pack_array(p, 0);
    pack_kstr(p, "f", "1.5");
    pack_kuint(p, "e", 0);
    pack_kbool(p, "t", 1);
    field_map_t *root = h_decode(fx);
    field_str_t s = {0};
    uint64_t u = 0;
    int64_t i = 0;
    double d = 0;
    int b = 0, e = 0;
    const msgpack_object *items = NULL;
    size_t n = 0;
    field_map_t m;

    assert_int_equal(field_str(root, "s", 1, 10, &s), -1);
    assert_err(fx, "s: must be a string");
    assert_int_equal(field_text(root, "s", 1, 10, &s), -1);
    assert_err(fx, "s: must be a string");
    assert_int_equal(field_uint(root, "n", 1, 1, 3, &u), -1);
    assert_err(fx, "n: must be an integer in 1..3");
    assert_int_equal(field_uint(root, "d", 1, 1, 3, &u), -1);
    assert_err(fx, "d: must be an integer in 1..3");
    assert_int_equal(field_int(root, "n", 1, -5, 5, &i), -1);
    assert_err(fx, "n: must be an integer in -5..5");
    assert_int_equal(field_int(root, "t", 1, -5, 5, &i), -1);
    assert_err(fx, "t: must be an integer in -5..5");
    assert_int_equal(field_num(root, "f", 1, &d), -1);
    assert_err(fx, "f: must be a number");
    assert_int_equal(field_num(root, "t", 1, &d), -1);
    assert_err(fx, "t: must be a number");
    assert_int_equal(field_bool(root, "b", 1, &b), -1);
    assert_err(fx, "b: must be a boolean");
    assert_int_equal(field_array(root, "a", 1, 10, &items, &n), -1);
    assert_err(fx, "a: must be an array");
    assert_int_equal(field_map(root, "m", 1, &m), -1);
    assert_err(fx, "m: must be a map");
    assert_int_equal(field_enum(root, "e", 1, s_channels, &e), -1);
    assert_err(fx, "e: must be one of app, hotline, patrol, walk_in, "
                   "grid_worker");
    /* nothing was written on failure */
    assert_null(s.ptr);
    assert_int_equal(u, 0);
    assert_int_equal(i, 0);
    assert_true(d == 0);
    assert_int_equal(b, 0);
    assert_int_equal(e, 0);
    assert_null(items);
}

static void test_out_of_range(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 10);
    pack_kuint(p, "zero", 0);
    pack_kuint(p, "four", 4);
    pack_kint(p, "neg", -1);
    pack_kuint(p, "huge", UINT64_MAX);
    pack_kstr(p, "empty", "");
    pack_kstr(p, "long", "abcdefghi");
    pack_str(p, "arr");
    pack_array(p, 3);
    pack_uint(p, 1);
    pack_uint(p, 2);
    pack_uint(p, 3);
    pack_kdouble(p, "inf", INFINITY);
    pack_kdouble(p, "nan", NAN);
    pack_kint(p, "min", INT64_MIN);
    field_map_t *root = h_decode(fx);
    uint64_t u = 99;
    int64_t i = 99;
    double d = 99;
    field_str_t s = {0};
    const msgpack_object *items = NULL;
    size_t n = 0;

    assert_int_equal(field_uint(root, "zero", 1, 1, 3, &u), -1);
    assert_err(fx, "zero: must be an integer in 1..3");
    assert_int_equal(field_uint(root, "four", 1, 1, 3, &u), -1);
    assert_err(fx, "four: must be an integer in 1..3");
    assert_int_equal(field_uint(root, "neg", 1, 0, 3, &u), -1);
    assert_err(fx, "neg: must be an integer in 0..3");
    assert_int_equal(field_uint(root, "neg", 1, 1, UINT64_MAX, &u), -1);
    assert_err(fx, "neg: must be an integer >= 1");
    assert_int_equal(u, 99);
    assert_int_equal(field_uint(root, "huge", 1, 0, UINT64_MAX, &u), 1);
    assert_true(u == UINT64_MAX);

    assert_int_equal(field_int(root, "huge", 1, INT64_MIN, INT64_MAX, &i), -1);
    assert_non_null(strstr(fx->err, "huge: must be an integer in"));
    assert_int_equal(field_int(root, "neg", 1, 0, 10, &i), -1);
    assert_err(fx, "neg: must be an integer in 0..10");
    assert_int_equal(field_int(root, "four", 1, -3, 3, &i), -1);
    assert_err(fx, "four: must be an integer in -3..3");
    assert_int_equal(i, 99);
    assert_int_equal(field_int(root, "min", 1, INT64_MIN, 0, &i), 1);
    assert_true(i == INT64_MIN);

    assert_int_equal(field_str(root, "empty", 1, 8, &s), -1);
    assert_err(fx, "empty: must be 1..8 bytes");
    assert_int_equal(field_str(root, "long", 1, 8, &s), -1);
    assert_err(fx, "long: must be 1..8 bytes");
    assert_int_equal(field_text(root, "empty", 1, 8, &s), -1);
    assert_err(fx, "empty: must be 1..8 characters");
    assert_int_equal(field_text(root, "long", 1, 8, &s), -1);
    assert_err(fx, "long: must be 1..8 characters");
    assert_null(s.ptr);

    assert_int_equal(field_array(root, "arr", 1, 2, &items, &n), -1);
    assert_err(fx, "arr: must have at most 2 items");
    assert_int_equal(field_array(root, "arr", 1, 3, &items, &n), 1);
    assert_int_equal(n, 3);

    assert_int_equal(field_num(root, "inf", 1, &d), -1);
    assert_err(fx, "inf: must be a finite number");
    assert_int_equal(field_num(root, "nan", 1, &d), -1);
    assert_err(fx, "nan: must be a finite number");
    assert_true(d == 99);
}

static void test_required_missing(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 1);
    pack_kstr(p, "other", "x");
    field_map_t *root = h_decode(fx);
    field_str_t s = {0};
    uint64_t u = 0;
    int64_t i = 0;
    double d = 0;
    int b = 0, e = 0;
    const msgpack_object *items = NULL;
    size_t n = 0;
    field_map_t m;

#define MISSING(call, key)                                                     \
    do {                                                                       \
        fx->err[0] = '\0';                                                     \
        assert_int_equal((call), -1);                                          \
        assert_err(fx, key ": missing");                                       \
    } while (0)
    MISSING(field_str(root, "type", 1, 64, &s), "type");
    MISSING(field_text(root, "text", 1, 2000, &s), "text");
    MISSING(field_enum(root, "channel", 1, s_channels, &e), "channel");
    MISSING(field_uint(root, "urgency", 1, 1, 3, &u), "urgency");
    MISSING(field_int(root, "points", 1, -100, 100, &i), "points");
    MISSING(field_num(root, "hours", 1, &d), "hours");
    MISSING(field_bool(root, "agreement", 1, &b), "agreement");
    MISSING(field_array(root, "categories", 1, 16, &items, &n), "categories");
    MISSING(field_map(root, "body", 1, &m), "body");
#undef MISSING
    assert_null(m.obj);
    assert_string_equal(m.path, "body");
}

static void test_optional_absent(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 1);
    pack_kstr(p, "other", "x");
    field_map_t *root = h_decode(fx);
    static const char sentinel[] = "untouched";
    field_str_t s = {sentinel, 9};
    uint64_t u = 77;
    int64_t i = -77;
    double d = 7.5;
    int b = 7, e = 7;
    const msgpack_object *items = (const msgpack_object *)sentinel;
    size_t n = 7;
    field_map_t m;
    assert_int_equal(field_str(root, "category", 0, 64, &s), 0);
    assert_int_equal(field_text(root, "note", 0, 200, &s), 0);
    assert_true(s.ptr == sentinel && s.len == 9);
    assert_int_equal(field_enum(root, "channel", 0, s_channels, &e), 0);
    assert_int_equal(e, 7);
    assert_int_equal(field_uint(root, "urgency", 0, 1, 3, &u), 0);
    assert_int_equal(u, 77);
    assert_int_equal(field_int(root, "points", 0, -100, 100, &i), 0);
    assert_int_equal(i, -77);
    assert_int_equal(field_num(root, "hours", 0, &d), 0);
    assert_true(d == 7.5);
    assert_int_equal(field_bool(root, "professional", 0, &b), 0);
    assert_int_equal(b, 7);
    assert_int_equal(field_array(root, "participants", 0, 16, &items, &n), 0);
    assert_true(items == (const msgpack_object *)sentinel && n == 7);
    assert_null(field_get(root, "category"));
    /* an absent optional map is a view with no map and a path */
    assert_int_equal(field_map(root, "reporter", 0, &m), 0);
    assert_null(m.obj);
    assert_string_equal(m.path, "reporter");
    assert_int_equal(field_str(&m, "name", 0, 64, &s), 0);
    assert_int_equal(field_str(&m, "name", 1, 64, &s), -1);
    assert_err(fx, "reporter.name: missing");
    assert_true(s.ptr == sentinel);
}

static void test_nil_is_absent(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 4);
    pack_knil(p, "category");
    pack_knil(p, "urgency");
    pack_knil(p, "location");
    pack_kstr(p, "parent", NULL); /* nil as well */
    field_map_t *root = h_decode(fx);
    field_str_t s = {"x", 1};
    uint64_t u = 5;
    field_map_t m;
    assert_int_equal(field_str(root, "category", 0, 64, &s), 0);
    assert_true(s.len == 1);
    assert_int_equal(field_uint(root, "urgency", 0, 1, 3, &u), 0);
    assert_int_equal(u, 5);
    assert_int_equal(field_map(root, "location", 0, &m), 0);
    assert_null(m.obj);
    assert_null(field_get(root, "parent"));
    assert_int_equal(field_str(root, "category", 1, 64, &s), -1);
    assert_err(fx, "category: missing");
    assert_int_equal(field_map(root, "location", 1, &m), -1);
    assert_err(fx, "location: missing");
}

static void test_enum(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 1);
    pack_str(p, "body");
    pack_map(p, 5);
    pack_kstr(p, "a", "app");
    pack_kstr(p, "b", "walk_in");
    pack_kstr(p, "c", "App");
    pack_kstr(p, "d", "ap");
    pack_kstr(p, "e", "apps");
    field_map_t *root = h_decode(fx);
    field_map_t body;
    int v = -1;
    assert_int_equal(field_map(root, "body", 1, &body), 1);
    assert_int_equal(field_enum(&body, "a", 1, s_channels, &v), 1);
    assert_int_equal(v, 0);
    assert_int_equal(field_enum(&body, "b", 1, s_channels, &v), 1);
    assert_int_equal(v, 3);
    const char *keys[] = {"c", "d", "e"};
    for (int i = 0; i < 3; i++) {
        char want[120];
        snprintf(want, sizeof want,
                 "body.%s: must be one of app, hotline, patrol, walk_in, "
                 "grid_worker",
                 keys[i]);
        assert_int_equal(field_enum(&body, keys[i], 1, s_channels, &v), -1);
        assert_err(fx, want);
    }
    assert_int_equal(v, 3);
    /* a list longer than the detail is cut, not overrun */
    const char *many[60];
    for (int i = 0; i < 59; i++)
        many[i] = "a_rather_long_enumeration_name";
    many[59] = NULL;
    assert_int_equal(field_enum(&body, "c", 1, many, &v), -1);
    assert_true(strlen(fx->err) < sizeof fx->err);
    assert_non_null(strstr(fx->err, "body.c: must be one of a_rather"));
}

static void s_pack_chinese(pack_t *p, const char *key, int chars)
{
    static const char zh[] = "居民点单接单服务";
    char *s = malloc((size_t)chars * 3);
    for (int i = 0; i < chars; i++)
        memcpy(s + 3 * i, zh + 3 * (i % 8), 3);
    pack_str(p, key);
    pack_strn(p, s, (size_t)chars * 3);
    free(s);
}

static void test_text_counts_characters(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 1);
    pack_str(p, "body");
    pack_map(p, 4);
    s_pack_chinese(p, "ok", 2000);
    s_pack_chinese(p, "over", 2001);
    pack_kstr(p, "mixed", "a中😀"); /* 3 characters in 8 bytes */
    pack_kstr(p, "ascii", "abc");
    field_map_t *root = h_decode(fx);
    field_map_t body;
    field_str_t s = {0};
    assert_int_equal(field_map(root, "body", 1, &body), 1);
    assert_int_equal(field_text(&body, "ok", 1, 2000, &s), 1);
    assert_int_equal(s.len, 6000);
    assert_int_equal(field_utf8_chars(s.ptr, s.len), 2000);
    s.ptr = NULL;
    assert_int_equal(field_text(&body, "over", 1, 2000, &s), -1);
    assert_err(fx, "body.over: must be 1..2000 characters");
    assert_null(s.ptr);
    /* the same 2000 characters are 6000 bytes: a byte limit refuses them */
    assert_int_equal(field_str(&body, "ok", 1, 2000, &s), -1);
    assert_err(fx, "body.ok: must be 1..2000 bytes");
    assert_int_equal(field_str(&body, "ok", 1, 6000, &s), 1);
    assert_int_equal(field_text(&body, "mixed", 1, 3, &s), 1);
    assert_int_equal(s.len, 8);
    assert_int_equal(field_text(&body, "mixed", 1, 2, &s), -1);
    assert_err(fx, "body.mixed: must be 1..2 characters");
    assert_int_equal(field_text(&body, "ascii", 1, 3, &s), 1);
}

static void test_nested_path(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 2);
    pack_kstr(p, "type", "request.submit");
    pack_str(p, "body");
    pack_map(p, 1);
    pack_str(p, "location");
    pack_map(p, 2);
    pack_kuint(p, "stairwell", 12);
    pack_str(p, "extra");
    pack_map(p, 1);
    pack_kbool(p, "deep", 0);
    field_map_t *root = h_decode(fx);
    field_map_t body, loc, extra, none;
    field_str_t s;
    uint64_t u;
    assert_int_equal(field_map(root, "body", 1, &body), 1);
    assert_int_equal(field_map(&body, "location", 1, &loc), 1);
    assert_int_equal(field_str(&loc, "stairwell", 0, 64, &s), -1);
    assert_err(fx, "body.location.stairwell: must be a string");
    assert_int_equal(field_str(&loc, "grid", 1, 64, &s), -1);
    assert_err(fx, "body.location.grid: missing");
    assert_int_equal(field_map(&loc, "extra", 1, &extra), 1);
    assert_string_equal(extra.path, "body.location.extra");
    assert_int_equal(field_uint(&extra, "deep", 1, 0, 1, &u), -1);
    assert_err(fx, "body.location.extra.deep: must be an integer in 0..1");
    /* a required key under an absent optional map */
    assert_int_equal(field_map(&body, "reporter", 0, &none), 0);
    assert_int_equal(field_str(&none, "id", 1, 64, &s), -1);
    assert_err(fx, "body.reporter.id: missing");
    /* a view may be replaced by its own child */
    field_map_t walk = body;
    assert_int_equal(field_map(&walk, "location", 1, &walk), 1);
    assert_int_equal(field_map(&walk, "extra", 1, &walk), 1);
    assert_string_equal(walk.path, "body.location.extra");
    assert_int_equal(field_map(&walk, "deep", 1, &walk), -1);
    assert_err(fx, "body.location.extra.deep: must be a map");
    /* field_fail, with and without a key */
    assert_int_equal(field_fail(&loc, "stairwell", "unknown"), -1);
    assert_err(fx, "body.location.stairwell: unknown");
    assert_int_equal(field_fail(&loc, NULL, "codes contradict (%d)", 2), -1);
    assert_err(fx, "body.location: codes contradict (2)");
    assert_int_equal(field_fail(root, "type", "no such type"), -1);
    assert_err(fx, "type: no such type");
    assert_int_equal(field_fail(root, NULL, "bad"), -1);
    assert_err(fx, "bad");
}

static void test_array_items(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 1);
    pack_str(p, "body");
    pack_map(p, 2);
    pack_str(p, "participants");
    pack_array(p, 3);
    pack_map(p, 2);
    pack_kstr(p, "member", "m-1");
    pack_kdouble(p, "hours", 1.0);
    pack_map(p, 2);
    pack_kstr(p, "member", "m-2");
    pack_kstr(p, "hours", "two");
    pack_str(p, "m-3");
    pack_str(p, "tags");
    pack_array(p, 3);
    pack_str(p, "ok");
    pack_str(p, "much-too-long");
    pack_uint(p, 5);
    field_map_t *root = h_decode(fx);
    field_map_t body, item;
    const msgpack_object *items;
    size_t n;
    double hours;
    field_str_t s;
    assert_int_equal(field_map(root, "body", 1, &body), 1);
    assert_int_equal(field_array(&body, "participants", 1, 256, &items, &n), 1);
    assert_int_equal(n, 3);
    assert_int_equal(field_item_map(&body, "participants", 0, &items[0], &item),
                     1);
    assert_string_equal(item.path, "body.participants[0]");
    assert_int_equal(field_num(&item, "hours", 1, &hours), 1);
    assert_int_equal(field_item_map(&body, "participants", 1, &items[1], &item),
                     1);
    assert_int_equal(field_num(&item, "hours", 1, &hours), -1);
    assert_err(fx, "body.participants[1].hours: must be a number");
    assert_int_equal(field_fail(&item, "hours", "must be in (0, 24]"), -1);
    assert_err(fx, "body.participants[1].hours: must be in (0, 24]");
    assert_int_equal(field_item_map(&body, "participants", 2, &items[2], &item),
                     -1);
    assert_err(fx, "body.participants[2]: must be a map");
    assert_null(item.obj);

    assert_int_equal(field_array(&body, "tags", 1, 256, &items, &n), 1);
    assert_int_equal(field_item_str(&body, "tags", 0, &items[0], 8, &s), 1);
    s_assert_str(s, "ok");
    assert_int_equal(field_item_str(&body, "tags", 1, &items[1], 8, &s), -1);
    assert_err(fx, "body.tags[1]: must be 1..8 bytes");
    assert_int_equal(field_item_str(&body, "tags", 2, &items[2], 8, &s), -1);
    assert_err(fx, "body.tags[2]: must be a string");
}

static void test_err_buffer(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 1);
    pack_kuint(p, "urgency", 9);
    h_decode(fx);
    char small[10];
    field_map_t root;
    uint64_t u;
    memset(small, 'x', sizeof small);
    field_root(&root, &fx->obj, small, sizeof small);
    assert_string_equal(small, "");
    assert_int_equal(field_uint(&root, "urgency", 1, 1, 3, &u), -1);
    assert_string_equal(small, "urgency: ");
    field_root(&root, &fx->obj, small, 4);
    assert_int_equal(field_uint(&root, "urgency", 1, 1, 3, &u), -1);
    assert_string_equal(small, "urg");
    /* no buffer at all */
    field_root(&root, &fx->obj, NULL, 0);
    assert_int_equal(field_uint(&root, "urgency", 1, 1, 3, &u), -1);
    assert_int_equal(field_uint(&root, "missing", 1, 1, 3, &u), -1);

    /* a path longer than a view holds is cut, not overrun */
    field_map_t deep;
    field_root(&root, &fx->obj, fx->err, sizeof fx->err);
    deep = root;
    memset(deep.path, 'p', sizeof deep.path - 1);
    deep.path[sizeof deep.path - 1] = '\0';
    field_map_t sub;
    assert_int_equal(field_map(&deep, "child", 0, &sub), 0);
    assert_int_equal(strlen(sub.path), sizeof sub.path - 1);
    assert_int_equal(field_str(&deep, "child", 1, 8, NULL), -1);
    assert_true(strlen(fx->err) < sizeof fx->err);
    assert_non_null(strstr(fx->err, ".child: missing"));
    assert_int_equal(field_item_map(&deep, "items", 7, NULL, &sub), -1);
    assert_int_equal(strlen(sub.path), sizeof sub.path - 1);
}

static void test_root_not_map(void **state)
{
    (void)state;
    msgpack_object o = {.type = MSGPACK_OBJECT_POSITIVE_INTEGER};
    char err[64];
    field_map_t root;
    field_str_t s;
    field_root(&root, &o, err, sizeof err);
    assert_null(field_get(&root, "type"));
    assert_int_equal(field_str(&root, "type", 0, 8, &s), 0);
    assert_int_equal(field_str(&root, "type", 1, 8, &s), -1);
    assert_string_equal(err, "type: missing");
    field_root(&root, NULL, err, sizeof err);
    assert_null(field_get(&root, "type"));
}

static void test_helpers(void **state)
{
    (void)state;
    field_str_t s = {"abc", 3};
    assert_true(field_str_eq(s, "abc"));
    assert_false(field_str_eq(s, "ab"));
    assert_false(field_str_eq(s, "abcd"));
    assert_false(field_str_eq(s, "abd"));
    field_str_t empty = {NULL, 0};
    assert_true(field_str_eq(empty, ""));
    assert_false(field_str_eq(empty, "a"));
    s.len = 2; /* not NUL-terminated: only the first two count */
    assert_true(field_str_eq(s, "ab"));
    assert_int_equal(field_utf8_chars("", 0), 0);
    assert_int_equal(field_utf8_chars("abc", 3), 3);
    assert_int_equal(field_utf8_chars("居民", 6), 2);
    assert_int_equal(field_utf8_chars("a\xc3\xa9\xf0\x9f\x98\x80", 7), 3);
}

static void test_num_kinds(void **state)
{
    fx_t *fx = *state;
    pack_t *p = &fx->p;
    pack_map(p, 5);
    pack_kuint(p, "u", 24);
    pack_kint(p, "i", -3);
    pack_kdouble(p, "d", 0.25);
    pack_str(p, "f");
    msgpack_pack_float(&p->pk, 0.5f);
    pack_kbool(p, "no", 0);
    field_map_t *root = h_decode(fx);
    double d;
    int b = 1;
    assert_int_equal(field_num(root, "u", 1, &d), 1);
    assert_true(d == 24);
    assert_int_equal(field_num(root, "i", 1, &d), 1);
    assert_true(d == -3);
    assert_int_equal(field_num(root, "d", 1, &d), 1);
    assert_true(d == 0.25);
    assert_int_equal(field_num(root, "f", 1, &d), 1);
    assert_true(d == 0.5);
    assert_int_equal(field_bool(root, "no", 1, &b), 1);
    assert_int_equal(b, 0);
    const msgpack_object *o = field_get(root, "no");
    assert_non_null(o);
    assert_int_equal(o->type, MSGPACK_OBJECT_BOOLEAN);
}

#define T(f) cmocka_unit_test_setup_teardown(f, s_setup, s_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_roundtrip_submit),
        T(test_roundtrip_resolve),
        T(test_type_mismatch),
        T(test_out_of_range),
        T(test_required_missing),
        T(test_optional_absent),
        T(test_nil_is_absent),
        T(test_enum),
        T(test_text_counts_characters),
        T(test_nested_path),
        T(test_array_items),
        T(test_err_buffer),
        cmocka_unit_test(test_root_not_map),
        cmocka_unit_test(test_helpers),
        T(test_num_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
