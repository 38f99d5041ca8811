/*  show: a reply's values as text for humans. See show.h. */
#include "show.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

const msgpack_object *show_get(const msgpack_object *o, const char *key)
{
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t len = strlen(key);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR &&
            kv->key.via.str.size == len &&
            memcmp(kv->key.via.str.ptr, key, len) == 0)
            return kv->val.type == MSGPACK_OBJECT_NIL ? NULL : &kv->val;
    }
    return NULL;
}

const char *show_str(const msgpack_object *o, const char *key, char *buf,
                     size_t size)
{
    const msgpack_object *v = show_get(o, key);
    if (!v || v->type != MSGPACK_OBJECT_STR || size == 0)
        return NULL;
    size_t n = v->via.str.size < size - 1 ? v->via.str.size : size - 1;
    memcpy(buf, v->via.str.ptr, n);
    buf[n] = '\0';
    return buf;
}

const char *show_copy(const msgpack_object *o, const char *key, char *buf,
                      size_t size)
{
    if (size && !show_str(o, key, buf, size))
        buf[0] = '\0';
    return buf;
}

uint64_t show_uint(const msgpack_object *o, const char *key, uint64_t def)
{
    const msgpack_object *v = show_get(o, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64
                                                           : def;
}

const char *show_text(const msgpack_object *o, char *buf, size_t size,
                      size_t *len)
{
    int n = -1;
    if (!o || o->type == MSGPACK_OBJECT_NIL)
        n = snprintf(buf, size, "-");
    else if (o->type == MSGPACK_OBJECT_STR) {
        *len = o->via.str.size;
        return o->via.str.ptr;
    } else if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        n = snprintf(buf, size, "%" PRIu64, o->via.u64);
    else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        n = snprintf(buf, size, "%" PRId64, o->via.i64);
    else if (o->type == MSGPACK_OBJECT_BOOLEAN)
        n = snprintf(buf, size, "%s", o->via.boolean ? "yes" : "no");
    else {
        size_t jlen;
        char *json = json_dump(o, &jlen);
        n = snprintf(buf, size, "%s", json ? json : "?");
        free(json);
    }
    *len = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
    return buf;
}

const char *show_scaled(const msgpack_object *o, double scale, char buf[32])
{
    if (o && (o->type == MSGPACK_OBJECT_FLOAT64 ||
              o->type == MSGPACK_OBJECT_FLOAT32))
        snprintf(buf, 32, "%.1f", o->via.f64 * scale);
    else if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        snprintf(buf, 32, "%.1f", (double)o->via.u64 * scale);
    else
        snprintf(buf, 32, "-");
    return buf;
}

const char *show_percent(const msgpack_object *o, char buf[32])
{
    show_scaled(o, 100, buf);
    if (strcmp(buf, "-") != 0)
        strcat(buf, "%");
    return buf;
}

const char *show_points(const msgpack_object *o, char buf[32])
{
    size_t n;
    if (!o || (o->type != MSGPACK_OBJECT_FLOAT64 &&
               o->type != MSGPACK_OBJECT_FLOAT32)) {
        const char *s = show_text(o, buf, 32, &n);
        if (s != buf) /* a str: copied, so BUF holds the text */
            snprintf(buf, 32, "%.*s", (int)(n < 31 ? n : 31), s);
        return buf;
    }
    snprintf(buf, 32, "%.2f", o->via.f64);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0') /* 12.50 -> 12.5, 12.00 -> 12 */
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    buf[n] = '\0';
    return buf;
}

void show_put(FILE *out, const char *s, size_t len)
{
    char buf[256];
    while (len > 0) {
        size_t n = len < sizeof buf ? len : sizeof buf;
        if (n < len && (unsigned char)s[n - 1] == 0xc2)
            n--; /* keep a C1 control's two bytes together */
        fwrite(buf, 1, table_clean(buf, s, n), out);
        s += n;
        len -= n;
    }
}

int show_cell(table_t *t, const msgpack_object *o)
{
    char buf[256];
    size_t len;
    const char *s = show_text(o, buf, sizeof buf, &len);
    return table_cell(t, s, len);
}

const char *show_time(uint64_t ms, char buf[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!localtime_r(&t, &tm) ||
        strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, 32, "%" PRIu64, ms);
    return buf;
}

const char *show_when(const msgpack_object *o, const char *key,
                      char buf[32])
{
    uint64_t ms = show_uint(o, key, 0);
    if (!ms)
        return strcpy(buf, "-");
    return show_time(ms, buf);
}

const msgpack_object *show_array(const msgpack_object *o, const char *key,
                                 uint32_t *n)
{
    const msgpack_object *v = show_get(o, key);
    if (!v || v->type != MSGPACK_OBJECT_ARRAY || !v->via.array.size) {
        *n = 0;
        return NULL;
    }
    *n = v->via.array.size;
    return v->via.array.ptr;
}

size_t show_join(const msgpack_object *o, const char *const *keys,
                 const char *sep, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; keys[i]; i++) {
        const msgpack_object *v = show_get(o, keys[i]);
        if (!v || v->type != MSGPACK_OBJECT_STR || !v->via.str.size)
            continue;
        int w = snprintf(buf + n, size - n, "%s%.*s", n ? sep : "",
                         (int)v->via.str.size, v->via.str.ptr);
        if (w < 0 || (size_t)w >= size - n)
            return strlen(buf);
        n += (size_t)w;
    }
    return n;
}

void show_line(const char *label, const char *s, size_t len,
               const char *suffix)
{
    printf("%-*s ", SHOW_LABEL, label);
    show_put(stdout, s, len);
    printf("%s\n", suffix);
}

void show_field(const char *label, const msgpack_object *o)
{
    char buf[1024];
    size_t len;
    const char *s = show_text(o, buf, sizeof buf, &len);
    show_line(label, s, len, "");
}

void show_when_line(const char *label, const msgpack_object *o,
                    const char *key)
{
    char when[32];
    show_when(o, key, when);
    show_line(label, when, strlen(when), "");
}

void show_table(const msgpack_object *reply, const char *items,
                size_t ncols, const char *const *headers,
                const char *const *keys)
{
    uint32_t n;
    const msgpack_object *item = show_array(reply, items, &n);
    table_t *t = table_new(ncols, headers);
    if (!t)
        return;
    for (uint32_t i = 0; i < n; i++) {
        table_row(t);
        for (size_t c = 0; c < ncols; c++)
            show_cell(t, show_get(&item[i], keys[c]));
    }
    table_print(t, stdout);
    table_destroy(&t);
    show_next(reply);
}

void show_next(const msgpack_object *reply)
{
    char next[64];
    if (show_str(reply, "next", next, sizeof next))
        printf("next: %s\n", next);
}

/* -- key: value lines ------------------------------------------------------ */

static int s_skip(const msgpack_object_kv *kv, int top)
{
    const msgpack_object *k = &kv->key;
    if (kv->val.type == MSGPACK_OBJECT_NIL || k->type != MSGPACK_OBJECT_STR)
        return 1;
    return top && ((k->via.str.size == 2 && !memcmp(k->via.str.ptr, "ok", 2)) ||
                   (k->via.str.size == 2 && !memcmp(k->via.str.ptr, "id", 2)));
}

/* The widest dotted key under O, whose own keys follow PREFIX columns. */
static size_t s_key_width(const msgpack_object *o, size_t prefix, int top)
{
    size_t max = 0;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (s_skip(kv, top))
            continue;
        size_t w = prefix + table_width(kv->key.via.str.ptr,
                                        kv->key.via.str.size);
        if (kv->val.type == MSGPACK_OBJECT_MAP)
            w = s_key_width(&kv->val, w + 1, 0);
        if (w > max)
            max = w;
    }
    return max;
}

static void s_pairs(FILE *out, const msgpack_object *o, const char *prefix,
                    size_t width, int top)
{
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (s_skip(kv, top))
            continue;
        char key[256];
        snprintf(key, sizeof key, "%s%.*s", prefix,
                 (int)kv->key.via.str.size, kv->key.via.str.ptr);
        if (kv->val.type == MSGPACK_OBJECT_MAP) {
            char sub[260];
            snprintf(sub, sizeof sub, "%s.", key);
            s_pairs(out, &kv->val, sub, width, 0);
            continue;
        }
        char buf[512];
        size_t len;
        const char *text = show_text(&kv->val, buf, sizeof buf, &len);
        fprintf(out, "%s:", key);
        for (size_t w = table_width(key, strlen(key)); w < width; w++)
            fputc(' ', out);
        fputc(' ', out);
        show_put(out, text, len);
        fputc('\n', out);
    }
}

void show_pairs(FILE *out, const msgpack_object *o)
{
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return;
    s_pairs(out, o, "", s_key_width(o, 0, 1), 1);
}

/* -- summaries ------------------------------------------------------------- */

const char *show_summary(const msgpack_object *o, size_t width, char *buf,
                         size_t size)
{
    char *line = NULL;
    size_t line_len = 0;
    FILE *mem = open_memstream(&line, &line_len);
    buf[0] = '\0';
    if (!mem)
        return buf;
    int first = 1;
    for (uint32_t i = 0; o && o->type == MSGPACK_OBJECT_MAP &&
                         i < o->via.map.size;
         i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (s_skip(kv, 0) || kv->val.type == MSGPACK_OBJECT_MAP ||
            kv->val.type == MSGPACK_OBJECT_ARRAY)
            continue;
        char vbuf[128];
        size_t vlen;
        const char *v = show_text(&kv->val, vbuf, sizeof vbuf, &vlen);
        fprintf(mem, "%s%.*s=%.*s", first ? "" : " ",
                (int)kv->key.via.str.size, kv->key.via.str.ptr, (int)vlen,
                v);
        first = 0;
    }
    if (fclose(mem) != 0 || !line) {
        free(line);
        return buf;
    }
    int cut;
    size_t n = table_fit(line, line_len, width, &cut);
    const char *tail = cut ? "\xe2\x80\xa6" : "";
    if (n + strlen(tail) + 1 > size) { /* BUF is short: cut it whole */
        n = size - strlen(tail) - 1;
        while (n > 0 && ((unsigned char)line[n] & 0xc0) == 0x80)
            n--;
    }
    snprintf(buf, size, "%.*s%s", (int)n, line, tail);
    free(line);
    return buf;
}
