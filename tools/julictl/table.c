/*  table: aligned text columns with display widths. See table.h.
 *
 *  1. Cells live in one array of NCOLS pointers per row, each a
 *     NUL-terminated copy the table owns (NULL for a missing cell).
 *  2. Copies are already cleaned (control characters made spaces) and
 *     already cut to their column's maximum, so printing only pads.
 */
#include "table.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

struct table {
    size_t ncols;
    const char *const *headers;
    size_t *max; /* per column; 0: no limit */
    char **cells; /* nrows * ncols */
    size_t nrows, cap;
    size_t next; /* the column the next cell of the last row goes to */
};

table_t *table_new(size_t ncols, const char *const *headers)
{
    table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->ncols = ncols;
    self->headers = headers;
    self->max = calloc(ncols, sizeof *self->max);
    if (!self->max) {
        free(self);
        return NULL;
    }
    return self;
}

void table_destroy(table_t **self_p)
{
    table_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->nrows * self->ncols; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self->max);
    free(self);
    *self_p = NULL;
}

void table_max_width(table_t *self, size_t col, size_t width)
{
    if (col < self->ncols)
        self->max[col] = width < 2 ? 2 : width;
}

int table_row(table_t *self)
{
    if (self->nrows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **cells =
            realloc(self->cells, cap * self->ncols * sizeof *cells);
        if (!cells)
            return -1;
        self->cells = cells;
        self->cap = cap;
    }
    memset(&self->cells[self->nrows * self->ncols], 0,
           self->ncols * sizeof *self->cells);
    self->nrows++;
    self->next = 0;
    return 0;
}

/* -- widths ---------------------------------------------------------------- */

/* Decodes the code point at S (N > 0 bytes left) into *CP and returns its
 * length; a byte that starts no valid sequence is taken alone, as itself. */
static size_t s_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n) {
        *cp = s[0];
        return 1;
    }
    uint32_t v = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = s[0];
            return 1;
        }
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

/* East Asian Wide and Fullwidth blocks, for when wcwidth cannot tell (no
 * UTF-8 locale). */
static int s_wide(uint32_t cp)
{
    static const uint32_t ranges[][2] = {
        {0x1100, 0x115f},   {0x2e80, 0x303e},   {0x3041, 0x33ff},
        {0x3400, 0x4dbf},   {0x4e00, 0x9fff},   {0xa000, 0xa4cf},
        {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe30, 0xfe4f},
        {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
        {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (cp >= ranges[i][0] && cp <= ranges[i][1])
            return 1;
    return 0;
}

static size_t s_cp_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        return 1; /* printed as a space */
    int w = wcwidth((wchar_t)cp);
    if (w >= 0)
        return (size_t)w;
    return s_wide(cp) ? 2 : 1;
}

size_t table_width(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t width = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        i += s_decode(p + i, len - i, &cp);
        width += s_cp_width(cp);
    }
    return width;
}

size_t table_fit(const char *s, size_t len, size_t width, int *cut)
{
    *cut = 0;
    if (table_width(s, len) <= width)
        return len;
    *cut = 1;
    const unsigned char *p = (const unsigned char *)s;
    size_t used = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = s_decode(p + i, len - i, &cp);
        size_t w = s_cp_width(cp);
        if (used + w + 1 > width) /* keep a column for the ellipsis */
            break;
        used += w;
        i += n;
    }
    return i;
}

/* -- cells and printing ---------------------------------------------------- */

size_t table_clean(char *dst, const char *src, size_t len)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f)
            dst[n++] = ' ';
        else if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
                 p[i + 1] <= 0x9f) {
            dst[n++] = ' '; /* U+0080..U+009F, the C1 controls */
            i++;
        } else
            dst[n++] = (char)p[i];
    }
    return n;
}

int table_cell(table_t *self, const char *s, size_t len)
{
    if (self->nrows == 0 && table_row(self) < 0)
        return -1;
    if (self->next >= self->ncols)
        return 0;
    int cut = 0;
    if (self->max[self->next])
        len = table_fit(s, len, self->max[self->next], &cut);
    char *copy = malloc(len + (cut ? sizeof ELLIPSIS : 1));
    if (!copy)
        return -1;
    size_t n = table_clean(copy, s, len);
    if (cut)
        memcpy(copy + n, ELLIPSIS, sizeof ELLIPSIS);
    else
        copy[n] = '\0';
    self->cells[(self->nrows - 1) * self->ncols + self->next++] = copy;
    return 0;
}

int table_cellf(table_t *self, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    return table_cell(self, buf,
                      (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void s_print_row(const table_t *self, FILE *out,
                        const char *const *row, const size_t *widths)
{
    for (size_t c = 0; c < self->ncols; c++) {
        const char *cell = row[c] ? row[c] : "";
        fputs(cell, out);
        if (c + 1 == self->ncols)
            break;
        size_t w = table_width(cell, strlen(cell));
        for (size_t i = w; i < widths[c] + 2; i++)
            fputc(' ', out);
    }
    fputc('\n', out);
}

void table_print(const table_t *self, FILE *out)
{
    size_t *widths = calloc(self->ncols, sizeof *widths);
    if (!widths)
        return;
    for (size_t c = 0; c < self->ncols; c++)
        widths[c] = table_width(self->headers[c], strlen(self->headers[c]));
    for (size_t r = 0; r < self->nrows; r++)
        for (size_t c = 0; c < self->ncols; c++) {
            const char *cell = self->cells[r * self->ncols + c];
            size_t w = cell ? table_width(cell, strlen(cell)) : 0;
            if (w > widths[c])
                widths[c] = w;
        }
    s_print_row(self, out, self->headers, widths);
    for (size_t r = 0; r < self->nrows; r++)
        s_print_row(self, out,
                    (const char *const *)&self->cells[r * self->ncols],
                    widths);
    free(widths);
}
