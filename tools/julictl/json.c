/*  json: MessagePack values as JSON text. See json.h. */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at S (at most N bytes), or 0 when the
 * bytes there are not one: truncated, overlong, a surrogate, or past
 * U+10FFFF. */
static size_t s_utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp, min;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, cp = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, cp = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    } else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void json_string(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            fputs(esc, out);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            size_t n = s_utf8_len(p + i, len - i);
            if (n == 0) {
                fputs("\\ufffd", out);
                i++;
            } else {
                fwrite(p + i, 1, n, out);
                i += n;
            }
        }
    }
    fputc('"', out);
}

static void s_base64(FILE *out, const char *s, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "abcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        fputc(abc[v >> 18 & 63], out);
        fputc(abc[v >> 12 & 63], out);
        fputc(i + 1 < len ? abc[v >> 6 & 63] : '=', out);
        fputc(i + 2 < len ? abc[v & 63] : '=', out);
    }
    fputc('"', out);
}

/* Writes the shortest of %.1g .. %.17g that reads back as D (as a float
 * when SINGLE is set, since a float32 widened to double would otherwise
 * print its binary noise). */
static void s_number(FILE *out, double d, int single)
{
    if (!isfinite(d)) {
        fputs("null", out);
        return;
    }
    char buf[40];
    int prec;
    for (prec = 1; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (single ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
            break;
    }
    /* %g goes to an exponent when the digits are fewer than the integer
     * part needs: 100 at one digit is 1e+02. Up to 1e17, print all the
     * integer digits instead. */
    const char *e = strchr(buf, 'e');
    long exp10 = e ? strtol(e + 1, NULL, 10) : -1;
    if (exp10 >= prec && exp10 < 17)
        prec = (int)exp10 + 1;
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    fputs(buf, out);
}

static void s_value(FILE *out, const msgpack_object *o);

static void s_key(FILE *out, const msgpack_object *k)
{
    if (k->type == MSGPACK_OBJECT_STR) {
        json_string(out, k->via.str.ptr, k->via.str.size);
        return;
    }
    size_t len;
    char *text = json_dump(k, &len);
    json_string(out, text ? text : "?", text ? len : 1);
    free(text);
}

static void s_value(FILE *out, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: fputs("null", out); break;
    case MSGPACK_OBJECT_BOOLEAN:
        fputs(o->via.boolean ? "true" : "false", out);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        fprintf(out, "%" PRIu64, o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        fprintf(out, "%" PRId64, o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32: s_number(out, o->via.f64, 1); break;
    case MSGPACK_OBJECT_FLOAT64: s_number(out, o->via.f64, 0); break;
    case MSGPACK_OBJECT_STR:
        json_string(out, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        s_base64(out, o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_EXT:
        s_base64(out, o->via.ext.ptr, o->via.ext.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        fputc('[', out);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                fputc(',', out);
            s_value(out, &o->via.array.ptr[i]);
        }
        fputc(']', out);
        break;
    case MSGPACK_OBJECT_MAP:
        fputc('{', out);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            if (i)
                fputc(',', out);
            s_key(out, &o->via.map.ptr[i].key);
            fputc(':', out);
            s_value(out, &o->via.map.ptr[i].val);
        }
        fputc('}', out);
        break;
    default: fputs("null", out); break;
    }
}

int json_print(FILE *out, const msgpack_object *o)
{
    s_value(out, o);
    return ferror(out) ? -1 : 0;
}

char *json_dump(const msgpack_object *o, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem)
        return NULL;
    s_value(mem, o);
    if (fclose(mem) != 0) {
        free(text);
        return NULL;
    }
    if (len)
        *len = size;
    return text;
}
