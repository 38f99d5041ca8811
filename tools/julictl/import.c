/*  import: a whole community from CSV files, through the api.
 *
 *    julictl import DIR
 *
 *  DIR holds up to four files (deploy/demo/README.md describes them):
 *
 *    grid.csv     code,name,kind,parent       intake    grid.define
 *    staff.csv    node,role,person_id,name    dispatch  staff.assign
 *    units.csv    id,name,kind,categories,    dispatch  unit.register
 *                 capacity,agreement
 *    members.csv  id,name,group,branch        scoring   member.register
 *
 *  Invariants:
 *
 *    1. Idempotent: each row's request carries an idempotency key made of
 *       the file, the row's key (a code, node and role, an id) and a hash
 *       of the request's body: "import:grid:HCZ-G1:1f0c3a2b". Importing
 *       the same files again sends the same keys and bodies, which every
 *       daemon answers with its stored reply and no second effect; a row
 *       that was changed gets a new key and is applied again (a rename, a
 *       new person in a role, an updated member).
 *    2. Every file is read and checked before the first request: a file
 *       that is not CSV in UTF-8, or lacks a column, stops the import with
 *       nothing sent. A row the daemon refuses, or that cannot make a
 *       request (a field count unlike the header's, a capacity that is not
 *       a number, a key already given on an earlier line) is reported as
 *       FILE:LINE with the reason and the rest goes on; the import then
 *       exits 1.
 *    3. Order: the grid, parents first (one wave per level: community,
 *       grid, compound, stairwell); then staff and units; then members.
 *       dispatch learns of a node from intake's grid.defined events a
 *       moment later, so a staff.assign answered not_found is sent again
 *       (same key) after a short sleep, for as long as dispatch has not yet
 *       applied every event intake had logged when the grid was done, and
 *       gives up when dispatch made no progress for RETRY_MS. unavailable
 *       is retried the same way, within RETRY_MS.
 *    4. Requests are pipelined, at most WINDOW in flight on the one
 *       connection, replies matched by id: the daemons commit them in
 *       groups, so a thousand rows take a fraction of a second.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"
#include "csv.h"
#include "show.h"
#include "table.h"

#define WINDOW         256   /* requests in flight at most */
#define RETRY_SLEEP_MS 100   /* between rounds of retries */
#define RETRY_MS       10000 /* give up after this long without progress */
#define PROGRESS_EVERY 64    /* replies between two progress updates */
#define NCOLS          6     /* columns of the widest file */

enum { ITEM_TODO, ITEM_SENT, ITEM_OK, ITEM_REFUSED, ITEM_RETRY };

/* One row's request. */
typedef struct s_file s_file_t;
typedef struct {
    s_file_t *file;
    const csv_row_t *row;
    body_t body;
    char key[CTL_ID_SIZE]; /* the row's key in its file */
    char id[CTL_ID_SIZE];  /* the request's idempotency key */
    int state;
    int wave; /* grid rows: the level, so parents go first */
    char error[16], detail[256]; /* why it waits for a retry */
} s_item_t;

/* What a file is and what its rows become. */
typedef struct {
    const char *name;   /* "grid": grid.csv, ids "import:grid:..." */
    const char *daemon; /* where its requests go */
    const char *type;
    const char *columns[NCOLS + 1]; /* "?name" for an optional column */
    /* Fills IT's body, key and wave from the row's fields F, in the
     * order of COLUMNS. Returns 0, or -1 with a reason in WHY. */
    int (*build)(s_item_t *it, const char *const *f, char *why,
                 size_t whysize);
} s_kind_t;

struct s_file {
    const s_kind_t *kind;
    char path[PATH_MAX];
    csv_t csv;
    int cols[NCOLS]; /* the header's index of each column, or -1 */
    size_t rows, ok, refused;
};

typedef struct {
    ctl_t *ctl;
    s_file_t files[4];
    size_t nfiles;
    s_item_t *items;
    size_t nitems;
    uint64_t intake_seq; /* intake's last event once the grid is done */
    uint64_t applied;    /* how far dispatch has applied them, last seen */
    size_t answered;     /* replies since the last progress update */
} s_import_t;

/* -- what each row becomes ------------------------------------------------- */

static const char *const s_levels[] = {"community", "grid", "compound",
                                       "stairwell", NULL};

static int s_grid_row(s_item_t *it, const char *const *f, char *why,
                      size_t whysize)
{
    (void)why, (void)whysize;
    body_str(&it->body, "code", f[0]);
    body_str(&it->body, "name", f[1]);
    body_str(&it->body, "kind", f[2]);
    body_str(&it->body, "parent", *f[3] ? f[3] : NULL);
    snprintf(it->key, sizeof it->key, "%s", f[0]);
    it->wave = 0;
    while (s_levels[it->wave] && strcmp(s_levels[it->wave], f[2]) != 0)
        it->wave++; /* an unknown kind goes last: intake says why */
    return 0;
}

static int s_staff_row(s_item_t *it, const char *const *f, char *why,
                       size_t whysize)
{
    (void)why, (void)whysize;
    body_t person;
    body_init(&person);
    body_str(&person, "id", f[2]);
    body_str(&person, "name", f[3]);
    body_str(&it->body, "node", f[0]);
    body_str(&it->body, "role", f[1]);
    body_map(&it->body, "person", &person);
    body_free(&person);
    snprintf(it->key, sizeof it->key, "%s:%s", f[0], f[1]);
    return 0;
}

/* Adds the categories of a units.csv row ("sanitation;safety"; commas
 * too) as an array. */
static void s_categories(body_t *b, const char *list)
{
    body_t cats;
    body_init(&cats);
    for (const char *s = list; *s;) {
        s += strspn(s, " \t;,");
        size_t len = strcspn(s, ";,");
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len) {
            pack_strn(&cats.pack, s, len);
            cats.n++;
        }
        s += len;
    }
    body_array(b, "categories", &cats);
    body_free(&cats);
}

static int s_unit_row(s_item_t *it, const char *const *f, char *why,
                      size_t whysize)
{
    static const char *const yes[] = {"yes", "true", "1", "y", NULL};
    static const char *const no[] = {"no", "false", "0", "n", NULL};
    body_str(&it->body, "id", f[0]);
    body_str(&it->body, "name", f[1]);
    body_str(&it->body, "kind", f[2]);
    s_categories(&it->body, f[3]);
    snprintf(it->key, sizeof it->key, "%s", f[0]);
    if (*f[4]) {
        char *end;
        errno = 0;
        unsigned long long cap = strtoull(f[4], &end, 10);
        if (*f[4] < '0' || *f[4] > '9' || *end) {
            snprintf(why, whysize, "capacity: '%s' is not a whole number",
                     f[4]);
            return -1;
        }
        if (errno == ERANGE) {
            snprintf(why, whysize, "capacity: '%s' is too large", f[4]);
            return -1;
        }
        body_uint(&it->body, "capacity", cap);
    }
    if (!*f[5])
        return 0;
    for (int v = 1; v >= 0; v--)
        for (const char *const *w = v ? yes : no; *w; w++)
            if (strcasecmp(f[5], *w) == 0) {
                body_bool(&it->body, "agreement", v);
                return 0;
            }
    snprintf(why, whysize, "agreement: '%s' is not yes or no", f[5]);
    return -1;
}

static int s_member_row(s_item_t *it, const char *const *f, char *why,
                        size_t whysize)
{
    (void)why, (void)whysize;
    body_str(&it->body, "id", f[0]);
    body_str(&it->body, "name", f[1]);
    body_str(&it->body, "group", f[2]);
    body_str(&it->body, "branch", f[3]);
    snprintf(it->key, sizeof it->key, "%s", f[0]);
    return 0;
}

static const s_kind_t s_kinds[] = {
    {"grid", "intake", "grid.define", {"code", "name", "kind", "?parent"},
     s_grid_row},
    {"staff", "dispatch", "staff.assign",
     {"node", "role", "person_id", "name"}, s_staff_row},
    {"units", "dispatch", "unit.register",
     {"id", "name", "kind", "categories", "?capacity", "?agreement"},
     s_unit_row},
    {"members", "scoring", "member.register",
     {"id", "name", "group", "branch"}, s_member_row},
};

/* -- reading the files ----------------------------------------------------- */

/* The idempotency key of IT: "import:FILE:KEY:BODYHASH", or, when that is
 * too long for a key, the KEY hashed too. */
static void s_item_id(s_item_t *it)
{
    uint32_t body = (uint32_t)ctl_fnv(pack_data(&it->body.pack),
                                    pack_size(&it->body.pack));
    int n = snprintf(it->id, sizeof it->id, "import:%s:%s:%08" PRIx32,
                     it->file->kind->name, it->key, body);
    if (n < 0 || (size_t)n >= sizeof it->id)
        snprintf(it->id, sizeof it->id, "import:%s:#%016" PRIx64 ":%08" PRIx32,
                 it->file->kind->name, ctl_fnv(it->key, strlen(it->key)),
                 body);
}

/* Says that IT's row was refused, and why. */
static void s_refuse(s_item_t *it, const char *error, const char *detail)
{
    fprintf(stderr, "julictl import: %s:%u: %s%s", it->file->path,
            it->row->line, error, *detail ? ": " : "");
    show_put(stderr, detail, strlen(detail));
    fputc('\n', stderr);
    it->state = ITEM_REFUSED;
    it->file->refused++;
}

/* Orders items by file, key, then line. */
static int s_by_key(const void *a, const void *b)
{
    const s_item_t *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->row->line < y->row->line ? -1 : x->row->line > y->row->line;
}

/* Opens DIR/NAME.csv into F and checks its header. Returns 0 (F->rows 0
 * when absent), or -1 after saying why. */
static int s_open(s_file_t *f, const s_kind_t *kind, const char *dir)
{
    char err[PATH_MAX + 128];
    f->kind = kind;
    snprintf(f->path, sizeof f->path, "%s/%s.csv", dir, kind->name);
    int rc = csv_read(&f->csv, f->path, err, sizeof err);
    if (rc == 1) {
        fprintf(stderr, "julictl import: %s: no such file, skipped\n",
                f->path);
        return 0;
    }
    if (rc < 0 || f->csv.nrows == 0) {
        fprintf(stderr, "julictl import: %s\n",
                rc < 0 ? err : "no header row");
        return -1;
    }
    for (size_t c = 0; c < NCOLS; c++) {
        const char *col = kind->columns[c];
        f->cols[c] = -1;
        if (!col)
            continue;
        int optional = col[0] == '?';
        f->cols[c] = csv_column(&f->csv, col + optional);
        if (f->cols[c] < 0 && !optional) {
            fprintf(stderr, "julictl import: %s:%u: no column '%s'\n",
                    f->path, f->csv.rows[0].line, col);
            return -1;
        }
    }
    f->rows = f->csv.nrows - 1;
    return 0;
}

/* Makes the items of every row of every file; refuses rows that cannot
 * make a request, and repeated keys. Returns 0, or -1 when out of
 * memory. */
static int s_items(s_import_t *imp)
{
    size_t total = 0;
    for (size_t i = 0; i < imp->nfiles; i++)
        total += imp->files[i].rows;
    if (!(imp->items = calloc(total ? total : 1, sizeof *imp->items)))
        return -1;
    for (size_t i = 0; i < imp->nfiles; i++) {
        s_file_t *f = &imp->files[i];
        size_t header = f->rows ? f->csv.rows[0].n : 0;
        for (size_t r = 1; r <= f->rows; r++) {
            s_item_t *it = &imp->items[imp->nitems++];
            const char *fields[NCOLS];
            char why[160] = "";
            it->file = f;
            it->row = &f->csv.rows[r];
            body_init(&it->body);
            for (size_t c = 0; c < NCOLS; c++)
                fields[c] = csv_field(it->row, f->cols[c]);
            if (it->row->n != header)
                snprintf(why, sizeof why, "%zu fields, the header has %zu",
                         it->row->n, header);
            else if (f->kind->build(it, fields, why, sizeof why) == 0)
                s_item_id(it);
            if (why[0])
                s_refuse(it, "refused", why);
        }
    }
    /* A key given twice: the first line counts, the others are refused. */
    qsort(imp->items, imp->nitems, sizeof *imp->items, s_by_key);
    for (size_t i = 1; i < imp->nitems; i++) {
        s_item_t *a = &imp->items[i - 1], *b = &imp->items[i];
        char why[96];
        if (a->file != b->file || b->state != ITEM_TODO ||
            strcmp(a->key, b->key) != 0)
            continue;
        snprintf(why, sizeof why, "%s given again (first on line %u)",
                 b->key, a->row->line);
        s_refuse(b, "refused", why);
    }
    return 0;
}

/* -- sending --------------------------------------------------------------- */

static void s_progress(s_import_t *imp)
{
    char line[256];
    size_t n = 0;
    for (size_t i = 0; i < imp->nfiles && n < sizeof line; i++) {
        const s_file_t *f = &imp->files[i];
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%s %zu/%zu",
                              i ? "  " : "", f->kind->name,
                              f->ok + f->refused, f->rows);
    }
    ctl_progress(imp->ctl, "%s", line);
    imp->answered = 0;
}

/* Takes the reply REPLY to the item among FLYING[0..*N) with its id, and
 * drops that item from FLYING. A reply to none of them (a late one) is
 * ignored. Returns 0, or -1 for a reply without an id. */
static int s_take(s_import_t *imp, const msgpack_object *reply,
                  s_item_t **flying, size_t *n)
{
    char id[CTL_ID_SIZE], error[32], detail[512] = "";
    if (!show_str(reply, "id", id, sizeof id)) {
        show_str(reply, "detail", detail, sizeof detail);
        fprintf(stderr, "julictl import: a reply without an id: %s\n",
                detail);
        return -1;
    }
    size_t k = 0;
    while (k < *n && strcmp(flying[k]->id, id) != 0)
        k++;
    if (k == *n)
        return 0;
    s_item_t *it = flying[k];
    flying[k] = flying[--*n];
    if (ctl_ok(reply)) {
        it->state = ITEM_OK;
        it->file->ok++;
    } else {
        if (!show_str(reply, "error", error, sizeof error))
            snprintf(error, sizeof error, "failed");
        show_str(reply, "detail", detail, sizeof detail);
        if (strcmp(error, "unavailable") == 0 ||
            (strcmp(error, "not_found") == 0 &&
             strcmp(it->file->kind->type, "staff.assign") == 0)) {
            it->state = ITEM_RETRY;
            show_str(reply, "error", it->error, sizeof it->error);
            show_str(reply, "detail", it->detail, sizeof it->detail);
        } else
            s_refuse(it, error, detail);
    }
    if (++imp->answered >= PROGRESS_EVERY)
        s_progress(imp);
    return 0;
}

/* Sends BATCH[0..N) to DAEMON, at most WINDOW in flight, and takes every
 * reply. Returns 0, or the exit code after saying why. */
static int s_pump(s_import_t *imp, const char *daemon, s_item_t **batch,
                  size_t n)
{
    s_item_t *flying[WINDOW];
    size_t nflying = 0, next = 0;
    while (next < n || nflying > 0) {
        while (nflying < WINDOW && next < n) {
            s_item_t *it = batch[next++];
            int rc = ctl_send(imp->ctl, daemon, it->file->kind->type, it->id,
                              &it->body);
            if (rc)
                return rc;
            it->state = ITEM_SENT;
            flying[nflying++] = it;
        }
        msgpack_object reply;
        int rc = ctl_recv(imp->ctl, &reply);
        if (rc)
            return rc;
        if (s_take(imp, &reply, flying, &nflying) < 0)
            return CTL_EXIT_FAILED;
    }
    return 0;
}

/* The unsigned KEY of the reply to the query TYPE to DAEMON, in *OUT.
 * Returns 0 or the exit code. */
static int s_ask(s_import_t *imp, const char *daemon, const char *type,
                 const char *key, uint64_t *out)
{
    body_t body;
    body_init(&body);
    msgpack_object reply;
    int rc = ctl_call(imp->ctl, daemon, type, NULL, &body, &reply);
    body_free(&body);
    if (!rc)
        *out = show_uint(&reply, key, 0);
    return rc;
}

/* True when the items BATCH[0..N) waiting for a retry may still succeed:
 * one was unavailable, or dispatch has not yet applied every event intake
 * had logged (a node it does not know yet may be on its way). */
static int s_may_succeed(s_import_t *imp, const char *daemon,
                         s_item_t **batch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (batch[i]->state == ITEM_RETRY &&
            strcmp(batch[i]->error, "not_found") != 0)
            return 1;
    if (strcmp(daemon, "dispatch") != 0 ||
        s_ask(imp, daemon, "stats", "intake_applied", &imp->applied) != 0)
        return 1;
    return imp->applied < imp->intake_seq;
}

/* Sends every item of DAEMON's files of wave WAVE (-1: any) still to do,
 * then again those to retry while they may still succeed (s_may_succeed)
 * and RETRY_MS has not passed without progress. Returns 0 or the exit
 * code. */
static int s_send_all(s_import_t *imp, const char *daemon, int wave)
{
    s_item_t **batch = malloc((imp->nitems ? imp->nitems : 1) *
                              sizeof *batch);
    if (!batch) {
        fprintf(stderr, "julictl import: out of memory\n");
        return CTL_EXIT_FAILED;
    }
    uint64_t deadline = ctl_mono_ms() + RETRY_MS, applied = imp->applied;
    int rc = 0, want = ITEM_TODO;
    for (;;) {
        size_t n = 0;
        for (size_t i = 0; i < imp->nitems; i++) {
            s_item_t *it = &imp->items[i];
            if (it->state == want &&
                strcmp(it->file->kind->daemon, daemon) == 0 &&
                (wave < 0 || it->wave == wave))
                batch[n++] = it;
        }
        if (n == 0 || (rc = s_pump(imp, daemon, batch, n)))
            break;
        want = ITEM_RETRY;
        int left = 0;
        for (size_t i = 0; i < n; i++)
            left += batch[i]->state == ITEM_RETRY;
        if (!left)
            break;
        int may = s_may_succeed(imp, daemon, batch, n);
        if (imp->applied > applied) { /* dispatch is catching up */
            applied = imp->applied;
            deadline = ctl_mono_ms() + RETRY_MS;
        }
        if (!may || ctl_mono_ms() >= deadline) {
            if (strcmp(daemon, "dispatch") == 0 &&
                imp->applied < imp->intake_seq)
                fprintf(stderr,
                        "julictl import: for %d s, dispatch has stayed at "
                        "%" PRIu64 " of intake's %" PRIu64 " events: does "
                        "it follow intake?\n",
                        RETRY_MS / 1000, imp->applied, imp->intake_seq);
            for (size_t i = 0; i < n; i++)
                if (batch[i]->state == ITEM_RETRY)
                    s_refuse(batch[i], batch[i]->error, batch[i]->detail);
            break;
        }
        ctl_sleep_ms(RETRY_SLEEP_MS);
    }
    free(batch);
    s_progress(imp);
    return rc;
}

/* -- the command ----------------------------------------------------------- */

static void s_summary(const s_import_t *imp, const char *dir, double secs)
{
    static const char *const headers[] = {"FILE", "ROWS", "OK", "REFUSED"};
    table_t *t = table_new(4, headers);
    size_t rows = 0, refused = 0;
    for (size_t i = 0; t && i < imp->nfiles; i++) {
        const s_file_t *f = &imp->files[i];
        table_row(t);
        table_cellf(t, "%s.csv", f->kind->name);
        table_cellf(t, "%zu", f->rows);
        table_cellf(t, "%zu", f->ok);
        table_cellf(t, "%zu", f->refused);
        rows += f->rows;
        refused += f->refused;
    }
    if (t)
        table_print(t, stdout);
    table_destroy(&t);
    printf("imported %s: %zu rows in %.2f s, %zu refused\n", dir, rows, secs,
           refused);
}

static int s_import(ctl_t *ctl, int argc, char **argv)
{
    ctl->several = 1; /* intake, dispatch and scoring */
    static const struct option none[] = {CTL_ARGS_END};
    int c = ctl_getopt(ctl, argc, argv, none);
    if (c != CTL_OPT_END)
        return ctl_opt_exit(c);
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "DIR");
    if (rc)
        return rc;
    const char *dir = argv[optind];
    uint64_t t0 = ctl_mono_ms();
    s_import_t imp = {.ctl = ctl};
    for (size_t k = 0; k < sizeof s_kinds / sizeof s_kinds[0]; k++) {
        s_file_t *f = &imp.files[imp.nfiles++];
        if (s_open(f, &s_kinds[k], dir) < 0) {
            rc = CTL_EXIT_FAILED;
            goto done;
        }
    }
    if (!imp.files[0].rows && !imp.files[1].rows && !imp.files[2].rows &&
        !imp.files[3].rows) {
        fprintf(stderr, "julictl import: no rows in %s\n", dir);
        rc = CTL_EXIT_FAILED;
        goto done;
    }
    if (s_items(&imp) < 0) {
        fprintf(stderr, "julictl import: out of memory\n");
        rc = CTL_EXIT_FAILED;
        goto done;
    }
    /* The grid level by level; then what dispatch must know of intake's
     * grid by then; then dispatch's and scoring's rows. */
    for (int wave = 0; wave <= 4 && !rc; wave++)
        rc = s_send_all(&imp, "intake", wave);
    if (!rc && imp.files[1].rows)
        rc = s_ask(&imp, "intake", "health", "last_seq", &imp.intake_seq);
    if (!rc)
        rc = s_send_all(&imp, "dispatch", -1);
    if (!rc)
        rc = s_send_all(&imp, "scoring", -1);
    ctl_progress_done(ctl);
    if (!rc) {
        s_summary(&imp, dir, (double)(ctl_mono_ms() - t0) / 1000);
        for (size_t i = 0; i < imp.nfiles; i++)
            if (imp.files[i].refused)
                rc = CTL_EXIT_FAILED;
    }
done:
    for (size_t i = 0; i < imp.nitems; i++)
        body_free(&imp.items[i].body);
    free(imp.items);
    for (size_t i = 0; i < imp.nfiles; i++)
        csv_free(&imp.files[i].csv);
    return rc;
}

const ctl_cmd_t cmd_import = {
    "import",
    "load a community (grid, staff, units, members) from CSV files",
    "Usage: julictl import DIR\n"
    "Loads DIR/grid.csv into intake (grid.define, parents first), then\n"
    "DIR/staff.csv and DIR/units.csv into dispatch (staff.assign,\n"
    "unit.register), then DIR/members.csv into scoring (member.register).\n"
    "Each is UTF-8 CSV with a header row naming its columns:\n"
    "\n"
    "  grid.csv     code,name,kind,parent\n"
    "  staff.csv    node,role,person_id,name\n"
    "  units.csv    id,name,kind,categories,capacity,agreement\n"
    "               (categories separated by ';', capacity and agreement\n"
    "               may be empty; agreement yes or no)\n"
    "  members.csv  id,name,group,branch\n"
    "\n"
    "A missing file is skipped. Each row is sent with an idempotency key\n"
    "made from the row, so importing the same files again changes\n"
    "nothing, and a row edited since is applied again. A row that is\n"
    "refused is reported as FILE:LINE with the daemon's reason; the others\n"
    "go on, and the exit status is then 1. Progress shows on stderr, a\n"
    "summary per file on stdout. deploy/demo holds the Railway Station\n"
    "Community (火车站社区) in this form.\n" CTL_HELP_GLOBAL,
    s_import,
};
