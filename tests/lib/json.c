/*  json: JSON text to MessagePack. See json.h. */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *s; /* the next character */
    char *err;
    size_t errlen;
} s_json_t;

static int s_fail(s_json_t *j, const char *what)
{
    snprintf(j->err, j->errlen, "%s at '%.20s'", what, j->s);
    return -1;
}

static void s_ws(s_json_t *j)
{
    while (*j->s == ' ' || *j->s == '\n' || *j->s == '\t' || *j->s == '\r')
        j->s++;
}

/* Writes code point V (below 0x10000) as UTF-8 at OUT; returns its size. */
static size_t s_utf8(char *out, unsigned v)
{
    if (v < 0x80) {
        out[0] = (char)v;
        return 1;
    }
    if (v < 0x800) {
        out[0] = (char)(0xc0 | (v >> 6));
        out[1] = (char)(0x80 | (v & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | (v >> 12));
    out[1] = (char)(0x80 | ((v >> 6) & 0x3f));
    out[2] = (char)(0x80 | (v & 0x3f));
    return 3;
}

static int s_string(s_json_t *j, pack_t *p)
{
    if (*j->s != '"')
        return s_fail(j, "expected a string");
    j->s++;
    /* The unescaped text is never longer than the JSON it comes from. */
    char *buf = malloc(strlen(j->s) + 1);
    size_t n = 0;
    int rc = 0;
    while (rc == 0 && *j->s && *j->s != '"') {
        char c = *j->s++;
        if (c != '\\') {
            buf[n++] = c;
            continue;
        }
        unsigned v;
        switch ((c = *j->s++)) {
        case 'n': buf[n++] = '\n'; break;
        case 't': buf[n++] = '\t'; break;
        case 'r': buf[n++] = '\r'; break;
        case 'u':
            if (sscanf(j->s, "%4x", &v) != 1) {
                rc = s_fail(j, "bad \\u escape");
                break;
            }
            j->s += 4;
            n += s_utf8(buf + n, v);
            break;
        case '\0':
            j->s--;
            rc = s_fail(j, "unterminated escape");
            break;
        default: buf[n++] = c;
        }
    }
    if (rc == 0 && *j->s != '"')
        rc = s_fail(j, "unterminated string");
    if (rc == 0) {
        j->s++;
        pack_strn(p, buf, n);
    }
    free(buf);
    return rc;
}

static int s_value(s_json_t *j, pack_t *p);

static int s_container(s_json_t *j, pack_t *p, int map)
{
    char close = map ? '}' : ']';
    pack_t items;
    pack_init(&items);
    uint32_t n = 0;
    int rc = 0;
    j->s++;
    s_ws(j);
    while (rc == 0 && *j->s && *j->s != close) {
        if (map) {
            rc = s_string(j, &items);
            s_ws(j);
            if (rc == 0 && *j->s++ != ':')
                rc = s_fail(j, "expected ':'");
        }
        if (rc == 0)
            rc = s_value(j, &items);
        n++;
        s_ws(j);
        if (*j->s == ',')
            j->s++;
        s_ws(j);
    }
    if (rc == 0 && *j->s != close)
        rc = s_fail(j, "unterminated container");
    if (rc == 0) {
        j->s++;
        if (map)
            pack_map(p, n);
        else
            pack_array(p, n);
        pack_raw(p, pack_data(&items), pack_size(&items));
    }
    pack_free(&items);
    return rc;
}

static int s_value(s_json_t *j, pack_t *p)
{
    static const struct {
        const char *word;
        int kind; /* 1 true, 0 false, -1 null */
    } words[] = {{"true", 1}, {"false", 0}, {"null", -1}};
    s_ws(j);
    if (*j->s == '{' || *j->s == '[')
        return s_container(j, p, *j->s == '{');
    if (*j->s == '"')
        return s_string(j, p);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t len = strlen(words[i].word);
        if (strncmp(j->s, words[i].word, len) == 0) {
            if (words[i].kind < 0)
                pack_nil(p);
            else
                pack_bool(p, words[i].kind);
            j->s += len;
            return 0;
        }
    }
    char *end;
    size_t span = strspn(j->s, "-0123456789");
    if (j->s[span] == '.' || j->s[span] == 'e')
        pack_double(p, strtod(j->s, &end));
    else if (*j->s == '-')
        pack_int(p, strtoll(j->s, &end, 10));
    else
        pack_uint(p, strtoull(j->s, &end, 10));
    if (end == j->s)
        return s_fail(j, "unexpected");
    j->s = end;
    return 0;
}

int json_pack(pack_t *p, const char *json, char *err, size_t errlen)
{
    s_json_t j = {json, err, errlen};
    if (s_value(&j, p) < 0)
        return -1;
    s_ws(&j);
    return *j.s ? s_fail(&j, "trailing bytes") : 0;
}
