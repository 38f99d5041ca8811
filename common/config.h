/*  config: the one INI file that runs the whole stack, read with inih.
 *
 *  A config_t starts from built-in defaults for everything (endpoints of the
 *  three daemons, limits, the default categories with their Chinese names,
 *  routes, deadlines and keywords, the points rule and the star thresholds)
 *  and a file read on top overrides them key by key. Sections:
 *
 *    [intake] [dispatch] [scoring]  api, events, metrics, db, synchronous,
 *                                   log_level
 *    [community]                    timezone
 *    [limits]                       frame, string, text, depth, array
 *    [category.CODE]                name, route, accept, resolve, keywords
 *    [points]                       per_hour, difficulty, urgency,
 *                                   professional, satisfied
 *    [stars]                        member, group, branch
 *    [clock]                        start, speed, epoch (simulations only:
 *                                   see clock.h)
 *    [security]                     curve, keys, client_key (see curve.h)
 *
 *  An unknown section or key, or a value that does not parse, is an error
 *  naming the file and line: a typo must not silently fall back to a
 *  default. Lines are at most 199 bytes (inih's limit); a long keywords
 *  list goes on indented continuation lines, which add to it. The config_t owns all its strings; it is read-only once the
 *  daemon runs.
 */
#ifndef JULI_CONFIG_H
#define JULI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "log.h"

#define CONFIG_MAX_CATEGORIES 64
#define CONFIG_MAX_KEYWORDS   32
#define CONFIG_MAX_LINE       199 /* bytes: inih's limit */

typedef struct {
    const char *name;     /* "intake", "dispatch", "scoring" */
    char api[256];        /* ZeroMQ endpoint */
    char events[256];     /* ZeroMQ endpoint */
    char metrics[128];    /* "host:port", or "off" */
    char db[1024];        /* SQLite file */
    int synchronous_full; /* 1: synchronous=FULL (default), 0: NORMAL */
    enum log_level log_level;
} config_daemon_t;

typedef enum { ROUTE_GRID, ROUTE_UNIT, ROUTE_POLICE } config_route_t;

typedef struct {
    char code[32];
    char name[64];
    config_route_t route;
    uint64_t accept_ms;  /* at urgency 1; 2 halves it, 3 quarters it */
    uint64_t resolve_ms; /* likewise */
    size_t nkeywords;
    char keywords[CONFIG_MAX_KEYWORDS][64];
} config_category_t;

typedef struct {
    double per_hour;
    double difficulty[3];
    double urgency[3];
    double professional;
    double satisfied;
} config_points_t;

typedef struct {
    double member[5], group[5], branch[5];
} config_stars_t;

typedef struct {
    config_daemon_t intake, dispatch, scoring;
    char timezone[64];
    frame_limits_t limits;
    size_t str_bytes;  /* any string field but a request's text */
    size_t text_chars; /* a request's text, in characters */
    size_t ncategories;
    config_category_t categories[CONFIG_MAX_CATEGORIES];
    unsigned rules_version; /* moved by config_take_rules */
    config_points_t points;
    config_stars_t stars;
    int curve;              /* [security] curve = on */
    char keys[512];         /* the keys directory */
    char client_key[512];   /* the key pair julictl presents */
    char clock_start[16]; /* "YYYY-MM-DD", "" for the real clock */
    double clock_speed;
    int64_t clock_epoch;  /* real Unix ms */
} config_t;

/* Creates a config holding the built-in defaults. The state dir of the
 * default db paths is $STATE_DIRECTORY when set, else ./var; the keys
 * directory is $CONFIGURATION_DIRECTORY/keys, else the state dir's keys
 * (the first directory of each, see config_env_dir). Returns NULL when
 * out of memory. */
config_t *config_new(void);

/* The first directory of the environment variable NAME, which systemd may
 * set to several separated by ':' (STATE_DIRECTORY,
 * CONFIGURATION_DIRECTORY), copied into OUT (SIZE bytes, the caller's).
 * Returns OUT, or NULL when NAME is unset or its first entry empty. */
const char *config_env_dir(const char *name, char *out, size_t size);

/* Destroys *SELF_P (NULL is fine) and sets it to NULL. */
void config_destroy(config_t **self_p);

/* Reads PATH on top of what SELF holds. Returns 0, or -1 with a one-line
 * reason in ERR ("juli.ini:12: [points] per_hour: not a number"). On -1,
 * SELF may be partly changed: load into a fresh config to keep the old. */
int config_load(config_t *self, const char *path, char *err, size_t errlen);

/* The section of the daemon called NAME, or NULL. */
config_daemon_t *config_daemon(config_t *self, const char *name);

/* The category with code CODE[0..LEN), or NULL. */
const config_category_t *config_category(const config_t *self,
                                         const char *code, size_t len);

/* Copies the domain rules (categories, points, stars) of FROM into SELF:
 * what a reload may change while the daemon runs. */
void config_take_rules(config_t *self, const config_t *from);

/* Parses "45s", "30m", "2h", "3d" or "500ms" into milliseconds. Returns 0,
 * or -1 when S is not such a duration. */
int config_duration(const char *s, uint64_t *ms);

#endif
