/*  csv: RFC 4180 records from a UTF-8 file. See csv.h.
 *
 *  1. The file is read whole and checked as UTF-8 first, so the parser
 *     only ever splits between characters.
 *  2. Fields are unquoted into one buffer as large as the file plus one
 *     NUL per field; a field never grows when unquoted, so the buffer is
 *     allocated once. Records keep indexes while parsing (the arrays may
 *     move) and become pointers at the end.
 */
#include "csv.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t s_utf8_len(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return s[0] ? 1 : 0; /* a NUL byte is no text either */
    size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Reads PATH whole into *BUF (*LEN bytes, NUL-terminated). Returns 0, 1
 * when absent, or -1 with ERR. */
static int s_slurp(const char *path, char **buf, size_t *len, char *err,
                   size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    for (size_t got = 1; p && got > 0;) {
        if (n + 1 == cap) {
            char *q = cap <= CSV_MAX_BYTES ? realloc(p, cap *= 2) : NULL;
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
        }
        n += got = fread(p + n, 1, cap - 1 - n, f);
    }
    int bad = !p || ferror(f) || n > CSV_MAX_BYTES;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path,
                 !p || n > CSV_MAX_BYTES ? "too big" : "cannot read");
        free(p);
        return -1;
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return 0;
}

/* The parser's state: the input, the unquoted output, the records. */
typedef struct {
    const char *in;
    size_t len, pos;
    unsigned line;
    char *out;
    size_t nout;
    size_t *fields; /* offsets into out */
    size_t nfields, capfields;
    struct {
        size_t first, n;
        unsigned line;
    } *rows;
    size_t nrows, caprows;
    int quoted; /* the last field was in quotes */
} s_parse_t;

static int s_push_field(s_parse_t *p, size_t off)
{
    if (p->nfields == p->capfields) {
        size_t cap = p->capfields ? p->capfields * 2 : 256;
        size_t *f = realloc(p->fields, cap * sizeof *f);
        if (!f)
            return -1;
        p->fields = f;
        p->capfields = cap;
    }
    p->fields[p->nfields++] = off;
    return 0;
}

static int s_push_row(s_parse_t *p, size_t first, unsigned line)
{
    if (p->nrows == p->caprows) {
        size_t cap = p->caprows ? p->caprows * 2 : 64;
        void *r = realloc(p->rows, cap * sizeof *p->rows);
        if (!r)
            return -1;
        p->rows = r;
        p->caprows = cap;
    }
    p->rows[p->nrows].first = first;
    p->rows[p->nrows].n = p->nfields - first;
    p->rows[p->nrows].line = line;
    p->nrows++;
    return 0;
}

static int s_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* True at the end of a record: LF, CRLF or the end of the input. */
static int s_at_eol(const s_parse_t *p)
{
    return p->pos >= p->len || p->in[p->pos] == '\n' ||
           (p->in[p->pos] == '\r' && p->in[p->pos + 1] == '\n');
}

/* Parses one field at p->pos into the output. Returns 0, or -1 with a
 * reason in ERR. */
static int s_field(s_parse_t *p, char *err, size_t errlen)
{
    const char *in = p->in;
    while (p->pos < p->len && s_blank(in[p->pos]))
        p->pos++;
    size_t start = p->nout;
    p->quoted = p->pos < p->len && in[p->pos] == '"';
    if (p->quoted) {
        unsigned opened = p->line;
        for (p->pos++;; p->pos++) {
            if (p->pos >= p->len) {
                snprintf(err, errlen, "%u: a quote opened here is never "
                                      "closed",
                         opened);
                return -1;
            }
            if (in[p->pos] == '"' && in[p->pos + 1] != '"')
                break;
            if (in[p->pos] == '"')
                p->pos++; /* "" is one quote */
            else if (in[p->pos] == '\n')
                p->line++;
            p->out[p->nout++] = in[p->pos];
        }
        p->pos++;
        while (p->pos < p->len && s_blank(in[p->pos]))
            p->pos++;
        if (!s_at_eol(p) && in[p->pos] != ',') {
            snprintf(err, errlen, "%u: text after a closing quote",
                     p->line);
            return -1;
        }
    } else {
        while (!s_at_eol(p) && in[p->pos] != ',')
            p->out[p->nout++] = in[p->pos++];
        while (p->nout > start && s_blank(p->out[p->nout - 1]))
            p->nout--;
    }
    p->out[p->nout++] = '\0';
    return s_push_field(p, start);
}

/* Parses every record. Returns 0, or -1 with "LINE: why" in ERR. */
static int s_records(s_parse_t *p, char *err, size_t errlen)
{
    while (p->pos < p->len) {
        size_t first = p->nfields;
        unsigned line = p->line;
        for (;;) {
            if (s_field(p, err, errlen) < 0)
                return -1;
            if (p->pos < p->len && p->in[p->pos] == ',') {
                p->pos++;
                continue;
            }
            break; /* at the end of the record */
        }
        if (p->pos < p->len) { /* LF or CRLF */
            p->pos += p->in[p->pos] == '\r' ? 2 : 1;
            p->line++;
        }
        if (p->nfields - first == 1 && !p->out[p->fields[first]] &&
            !p->quoted)
            p->nfields = first; /* a blank line: no record */
        else if (s_push_row(p, first, line) < 0) {
            snprintf(err, errlen, "%u: out of memory", line);
            return -1;
        }
    }
    return 0;
}

int csv_read(csv_t *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    char *in;
    size_t len;
    int rc = s_slurp(path, &in, &len, err, errlen);
    if (rc)
        return rc;
    s_parse_t p = {.in = in, .len = len, .line = 1};
    if (len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
        p.pos = 3;
    char why[128] = "";
    for (size_t i = p.pos, line = 1; i < len;) {
        size_t n = s_utf8_len((const unsigned char *)in + i, len - i);
        if (!n) {
            snprintf(why, sizeof why, "%zu: not UTF-8 text", line);
            break;
        }
        line += in[i] == '\n';
        i += n;
    }
    /* Each field takes at most its own bytes and a NUL, and a field
     * follows every comma or line break: twice the input is room enough. */
    if (!why[0] && !(p.out = malloc(2 * len + 2)))
        snprintf(why, sizeof why, "out of memory");
    if (!why[0])
        s_records(&p, why, sizeof why);
    c->text = p.out;
    if (!why[0] && p.nfields &&
        !(c->fields = malloc(p.nfields * sizeof *c->fields)))
        snprintf(why, sizeof why, "out of memory");
    if (!why[0] && p.nrows && !(c->rows = calloc(p.nrows, sizeof *c->rows)))
        snprintf(why, sizeof why, "out of memory");
    for (size_t i = 0; !why[0] && i < p.nfields; i++)
        c->fields[i] = p.out + p.fields[i];
    for (size_t i = 0; !why[0] && i < p.nrows; i++)
        c->rows[i] = (csv_row_t){c->fields + p.rows[i].first, p.rows[i].n,
                                 p.rows[i].line};
    c->nrows = why[0] ? 0 : p.nrows;
    free(p.fields);
    free(p.rows);
    free(in);
    if (why[0]) {
        snprintf(err, errlen, "%s:%s", path, why);
        csv_free(c);
        return -1;
    }
    return 0;
}

void csv_free(csv_t *c)
{
    free(c->text);
    free(c->fields);
    free(c->rows);
    memset(c, 0, sizeof *c);
}

int csv_column(const csv_t *c, const char *name)
{
    for (size_t i = 0; c->nrows && i < c->rows[0].n; i++)
        if (strcasecmp(c->rows[0].field[i], name) == 0)
            return (int)i;
    return -1;
}

const char *csv_field(const csv_row_t *row, int col)
{
    return col >= 0 && (size_t)col < row->n ? row->field[col] : "";
}
