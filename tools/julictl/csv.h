/*  csv: a CSV file read whole (RFC 4180), for julictl import.
 *
 *  Fields are separated by commas and records by LF or CRLF. A field in
 *  double quotes may hold commas, line breaks and quotes (written twice);
 *  spaces around a field are trimmed, inside quotes kept. The text must be
 *  UTF-8 (a byte order mark at the start is skipped); blank lines are
 *  skipped. The first record is the header, naming the columns.
 *
 *  A csv_t owns one copy of the text that every field points into, each
 *  field NUL-terminated; it is read-only once read, until csv_free.
 */
#ifndef JULICTL_CSV_H
#define JULICTL_CSV_H

#include <stddef.h>

#define CSV_MAX_BYTES (64u << 20) /* a bigger file is refused */

typedef struct {
    char **field;  /* its N fields */
    size_t n;
    unsigned line; /* the line the record starts on, from 1 */
} csv_row_t;

typedef struct {
    char *text;      /* the fields, each NUL-terminated */
    char **fields;   /* every record's fields, one record after another */
    csv_row_t *rows; /* rows[0] is the header */
    size_t nrows;    /* the header included */
} csv_t;

/* Reads the file PATH into *C. Returns 0; 1 when there is no such file
 * (*C empty); -1 with "PATH:LINE: why" in ERR when it cannot be read or
 * is not CSV in UTF-8 (*C empty). */
int csv_read(csv_t *c, const char *path, char *err, size_t errlen);

/* Frees what C holds; C is then empty. */
void csv_free(csv_t *c);

/* The index of the header's column NAME (ASCII case ignored), or -1. */
int csv_column(const csv_t *c, const char *name);

/* Field COL of ROW, or "" when COL is -1 or the row is shorter. */
const char *csv_field(const csv_row_t *row, int col);

#endif
