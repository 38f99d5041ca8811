/*  backup: a consistent copy of every daemon's store, taken while the
 *  daemons run.
 *
 *    julictl backup DIR [--force]
 *
 *  For intake, dispatch and scoring in turn, the store the config names
 *  ([NAME] db) is copied into DIR/NAME.db with SQLite's online backup API:
 *  the source is opened read-only and copied in one step, inside one read
 *  transaction, so what lands is one committed state. The stores run in
 *  WAL mode, where a reader never holds up a writer: the daemons go on
 *  writing while the copy is taken. (Copied a few pages per step instead,
 *  every daemon's write between two steps would make SQLite start the
 *  copy over, and on a busy stack it would never end.) Taking the read
 *  lock waits at most BUSY_MS, once, for a checkpoint or a recovery.
 *  The file's bytes are never copied by hand: that could catch a store
 *  halfway through a transaction, or miss what still sits in its WAL.
 *
 *  Invariants:
 *
 *    1. A store that does not exist (a daemon never started) is skipped
 *       and said so; none at all is a failure.
 *    2. Nothing is overwritten without --force, and every target is
 *       checked before the first copy starts: a refused backup writes
 *       nothing. The live store itself is never a target.
 *    3. A copy is written to DIR/.NAME.db.partial and renamed into place
 *       only once complete, in rollback-journal mode: DIR/NAME.db is
 *       always one whole, self-contained SQLite file.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"

#define BUSY_MS 5000 /* wait for the source's read lock at most this long */

static const char *const s_daemons[] = {"intake", "dispatch", "scoring",
                                        NULL};

enum { O_FORCE = 256 };

static const struct option s_opts[] = {
    CTL_FLAG("force", O_FORCE),
    CTL_ARGS_END,
};

/* mkdir -p DIR. Returns 0, or -1 with errno set. */
static int s_mkdirs(const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* One store to copy: where from, where to. */
typedef struct {
    const char *name;
    const char *src;
    char dst[PATH_MAX], tmp[PATH_MAX];
} s_job_t;

/* Says why the SQLite call on DB failed, for the store of JOB. Returns
 * CTL_EXIT_FAILED. */
static int s_fail(const s_job_t *job, sqlite3 *db, const char *what)
{
    fprintf(stderr, "julictl backup: %s: %s: %s\n", job->name, what,
            db ? sqlite3_errmsg(db) : "out of memory");
    return CTL_EXIT_FAILED;
}

/* Copies JOB's store into its temporary file, in one step. Returns 0 with
 * the number of pages in *PAGES, or the exit code after saying why. */
static int s_copy(ctl_t *ctl, const s_job_t *job, sqlite3 *src,
                  sqlite3 *dst, int *pages)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b)
        return s_fail(job, dst, "cannot start the backup");
    ctl_progress(ctl, "%s: copying", job->name);
    int rc = sqlite3_backup_step(b, -1);
    *pages = sqlite3_backup_pagecount(b);
    ctl_progress_done(ctl);
    sqlite3_backup_finish(b); /* its error, if any, is now dst's */
    if (rc != SQLITE_DONE)
        return s_fail(job, rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? src
                                                                     : dst,
                      "copy failed");
    /* One self-contained file: the copy carries the source's WAL mode. */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) !=
        SQLITE_OK)
        return s_fail(job, dst, "cannot leave WAL mode");
    return 0;
}

/* Backs up the store of JOB: copy, then rename into place. Returns 0 or
 * the exit code after saying why (the temporary file removed). */
static int s_backup_one(ctl_t *ctl, const s_job_t *job)
{
    sqlite3 *src = NULL, *dst = NULL;
    int rc, pages = 0;
    unlink(job->tmp);
    if (sqlite3_open_v2(job->src, &src, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK)
        rc = s_fail(job, src, job->src);
    else if (sqlite3_busy_timeout(src, BUSY_MS) != SQLITE_OK ||
             sqlite3_open_v2(job->tmp, &dst,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             NULL) != SQLITE_OK)
        rc = s_fail(job, dst, job->tmp);
    else
        rc = s_copy(ctl, job, src, dst, &pages);
    sqlite3_close(src);
    if (sqlite3_close(dst) != SQLITE_OK && !rc)
        rc = s_fail(job, dst, "cannot close the copy");
    if (!rc && rename(job->tmp, job->dst) < 0) {
        fprintf(stderr, "julictl backup: %s: %s\n", job->dst,
                strerror(errno));
        rc = CTL_EXIT_FAILED;
    }
    if (rc) {
        unlink(job->tmp);
        return rc;
    }
    struct stat st;
    long long bytes = stat(job->dst, &st) == 0 ? (long long)st.st_size : -1;
    printf("%s: wrote %s (%d pages, %lld bytes)\n", job->name, job->dst,
           pages, bytes);
    return 0;
}

/* Fills JOB for the store SRC of daemon NAME going to DIR, and checks the
 * target. Returns 0, or the exit code after saying why. */
static int s_plan(ctl_t *ctl, s_job_t *job, const char *name,
                  const char *src, const char *dir, int force)
{
    job->name = name;
    job->src = src;
    if (snprintf(job->dst, sizeof job->dst, "%s/%s.db", dir, name) >=
            (int)sizeof job->dst ||
        snprintf(job->tmp, sizeof job->tmp, "%s/.%s.db.partial", dir,
                 name) >= (int)sizeof job->tmp)
        return ctl_usage(ctl, "DIR is too long");
    struct stat s, d;
    if (stat(job->dst, &d) < 0)
        return 0;
    if (stat(src, &s) == 0 && s.st_dev == d.st_dev && s.st_ino == d.st_ino) {
        fprintf(stderr, "julictl backup: %s is %s's live store\n", job->dst,
                name);
        return CTL_EXIT_FAILED;
    }
    if (!force) {
        fprintf(stderr,
                "julictl backup: %s exists; --force overwrites it\n",
                job->dst);
        return CTL_EXIT_FAILED;
    }
    return 0;
}

static int s_backup(ctl_t *ctl, int argc, char **argv)
{
    int force = 0;
    for (int c; (c = ctl_getopt(ctl, argc, argv, s_opts)) != CTL_OPT_END;) {
        if (c != O_FORCE)
            return ctl_opt_exit(c);
        force = 1;
    }
    int rc = ctl_positionals(ctl, argc, argv, 1, 1, "DIR");
    if (rc)
        return rc;
    const char *dir = argv[optind];
    s_job_t jobs[3];
    size_t n = 0;
    for (size_t i = 0; s_daemons[i]; i++) {
        const config_daemon_t *d;
        if ((rc = ctl_daemon_config(ctl, s_daemons[i], &d)))
            return rc;
        if (access(d->db, F_OK) < 0) {
            fprintf(stderr, "julictl backup: %s: no store at %s, skipped\n",
                    s_daemons[i], d->db);
            continue;
        }
        if ((rc = s_plan(ctl, &jobs[n++], s_daemons[i], d->db, dir, force)))
            return rc;
    }
    if (n == 0) {
        fprintf(stderr, "julictl backup: no store to copy\n");
        return CTL_EXIT_FAILED;
    }
    if (s_mkdirs(dir) < 0) {
        fprintf(stderr, "julictl backup: %s: %s\n", dir, strerror(errno));
        return CTL_EXIT_FAILED;
    }
    for (size_t i = 0; i < n; i++)
        if ((rc = s_backup_one(ctl, &jobs[i])))
            return rc;
    return CTL_EXIT_OK;
}

const ctl_cmd_t cmd_backup = {
    "backup",
    "copy every daemon's store into DIR, while they run",
    "Usage: julictl backup DIR [--force]\n"
    "Copies the store of each of intake, dispatch and scoring (its [NAME]\n"
    "db in the config) into DIR/NAME.db with SQLite's online backup, so\n"
    "the daemons keep running and each copy is one committed state of its\n"
    "store. DIR is created when missing. A store that does not exist is\n"
    "skipped. A relative db path counts from the current directory, as\n"
    "for a daemon started here. Progress shows on stderr; each file\n"
    "written is printed.\n"
    "To restore, stop the daemon and put the copy in place of its db.\n"
    "\n"
    "  --force   overwrite files already in DIR\n" CTL_HELP_GLOBAL,
    s_backup,
};
