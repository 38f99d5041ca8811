/*  table: rows of text printed as aligned columns, for humans.
 *
 *  A table_t collects every cell first (each copied), then prints the
 *  header and the rows with each column as wide as its widest cell,
 *  counted in display columns: a CJK character takes two, a combining mark
 *  none. The last column is not padded. A column may have a maximum
 *  width; a longer cell is cut at a character boundary and ends with "…".
 *  Control characters in a cell (a newline in a request's text, an
 *  escape sequence) print as spaces, so one row stays one line.
 *
 *  Widths come from wcwidth(), which needs a UTF-8 LC_CTYPE (main sets
 *  C.UTF-8); without one, East Asian wide ranges are checked by hand.
 *  Cells must be UTF-8; a byte that is not is counted as one column.
 */
#ifndef JULICTL_TABLE_H
#define JULICTL_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct table table_t;

/* Creates a table of NCOLS columns whose headers are HEADERS (borrowed:
 * they must outlive the table; literals are the normal case). Returns
 * NULL when out of memory. */
table_t *table_new(size_t ncols, const char *const *headers);

/* Destroys *SELF_P (NULL is fine) and sets it to NULL. */
void table_destroy(table_t **self_p);

/* Limits column COL to WIDTH display columns (at least 2). */
void table_max_width(table_t *self, size_t col, size_t width);

/* Starts a new row; its cells are added left to right with table_cell.
 * Missing cells print empty. Returns 0, or -1 when out of memory. */
int table_row(table_t *self);

/* Adds the next cell of the current row: a copy of S[0..LEN). Cells past
 * the last column are ignored. Returns 0, or -1 when out of memory. */
int table_cell(table_t *self, const char *s, size_t len);

/* table_cell with a printf format. */
int table_cellf(table_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints the header and the rows to OUT. */
void table_print(const table_t *self, FILE *out);

/* Copies SRC[0..LEN) to DST (LEN bytes at least) with every control
 * character (C0, DEL, C1) made a space, so text from a resident can
 * neither break a line nor drive the terminal. Returns the bytes written,
 * at most LEN. */
size_t table_clean(char *dst, const char *src, size_t len);

/* Display columns taken by the UTF-8 text S[0..LEN). */
size_t table_width(const char *s, size_t len);

/* How many bytes of S[0..LEN) fit in WIDTH display columns, leaving room
 * for a one-column "…" when the text does not fit whole. Returns LEN when
 * it fits whole; then *CUT is 0, else 1. */
size_t table_fit(const char *s, size_t len, size_t width, int *cut);

#endif
