/*  config: built-in defaults, then the INI file on top. See config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The default categories. Deadlines are at urgency 1. */
static const struct {
    const char *code, *name;
    config_route_t route;
    const char *accept, *resolve, *keywords;
} s_categories[] = {
    {"sanitation", "环境卫生", ROUTE_GRID, "30m", "2d",
     "垃圾, 清扫, 卫生, 楼道, 堆放, 异味, 污水, 种菜"},
    {"safety", "治安安全", ROUTE_POLICE, "15m", "1d",
     "治安, 盗窃, 被偷, 消防, 隐患, 可疑, 打架"},
    {"dispute", "矛盾纠纷", ROUTE_GRID, "30m", "3d",
     "纠纷, 吵架, 矛盾, 争执, 调解, 噪音"},
    {"property", "物业管理", ROUTE_UNIT, "1h", "3d",
     "物业, 电梯, 停车, 漏水, 门禁, 水管"},
    {"facility", "公共设施", ROUTE_UNIT, "1h", "5d",
     "路灯, 井盖, 道路, 设施, 健身器材, 破损"},
    {"elderly", "养老助老", ROUTE_GRID, "30m", "1d",
     "老人, 独居, 养老, 助老, 空巢, 老年"},
    {"youth", "青少年服务", ROUTE_UNIT, "2h", "5d",
     "孩子, 青少年, 学生, 辅导, 未成年"},
    {"family", "婚育家庭", ROUTE_UNIT, "2h", "5d",
     "计生, 生育, 婚礼, 丧事, 家庭"},
    {"culture", "文体活动", ROUTE_UNIT, "4h", "7d",
     "文艺, 广场舞, 体育, 比赛, 演出"},
    {"poverty_aid", "帮困救助", ROUTE_GRID, "1h", "3d",
     "困难, 低保, 救助, 帮扶, 贫困"},
    {"mutual_aid", "邻里互助", ROUTE_UNIT, "1h", "2d",
     "帮忙, 互助, 代买, 陪同, 维修"},
    {"other", "其他", ROUTE_GRID, "1h", "3d", ""},
};

static void s_daemon_defaults(config_daemon_t *d, const char *name,
                              int port_base, const char *state_dir)
{
    d->name = name;
    snprintf(d->api, sizeof d->api, "tcp://127.0.0.1:%d", port_base + 1);
    snprintf(d->events, sizeof d->events, "tcp://127.0.0.1:%d",
             port_base + 2);
    snprintf(d->metrics, sizeof d->metrics, "127.0.0.1:%d",
             port_base + 2001);
    snprintf(d->db, sizeof d->db, "%s/%s.db", state_dir, name);
    d->synchronous_full = 1;
    d->log_level = LOG_INFO;
}

/* Splits "a, b, c" into up to MAX trimmed items of SIZE bytes. Returns the
 * count, or -1 when an item is too long or there are too many. */
static int s_split(const char *list, char (*out)[64], size_t max)
{
    size_t n = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (n == max || len >= 64)
            return -1;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        p += len;
    }
    return (int)n;
}

const char *config_env_dir(const char *name, char *out, size_t size)
{
    const char *list = getenv(name);
    size_t len = list ? strcspn(list, ":") : 0;
    if (!len)
        return NULL;
    snprintf(out, size, "%.*s", (int)len, list);
    return out;
}

config_t *config_new(void)
{
    config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    char dir[512], conf[512];
    if (!config_env_dir("STATE_DIRECTORY", dir, sizeof dir))
        snprintf(dir, sizeof dir, "./var");
    s_daemon_defaults(&self->intake, "intake", 7100, dir);
    s_daemon_defaults(&self->dispatch, "dispatch", 7200, dir);
    s_daemon_defaults(&self->scoring, "scoring", 7300, dir);
    snprintf(self->timezone, sizeof self->timezone, "Asia/Shanghai");
    /* Keys live with the configuration (under systemd, its
     * ConfigurationDirectory), else beside the stores. */
    snprintf(self->keys, sizeof self->keys, "%.480s/keys",
             config_env_dir("CONFIGURATION_DIRECTORY", conf, sizeof conf)
                 ? conf
                 : dir);
    snprintf(self->client_key, sizeof self->client_key, "%.480s/admin.key",
             self->keys);
    self->limits = frame_limits_default();
    self->str_bytes = 4096;
    self->text_chars = 2000;
    self->ncategories = sizeof s_categories / sizeof s_categories[0];
    for (size_t i = 0; i < self->ncategories; i++) {
        config_category_t *c = &self->categories[i];
        snprintf(c->code, sizeof c->code, "%s", s_categories[i].code);
        snprintf(c->name, sizeof c->name, "%s", s_categories[i].name);
        c->route = s_categories[i].route;
        config_duration(s_categories[i].accept, &c->accept_ms);
        config_duration(s_categories[i].resolve, &c->resolve_ms);
        c->nkeywords =
            (size_t)s_split(s_categories[i].keywords, c->keywords,
                            CONFIG_MAX_KEYWORDS);
    }
    self->points = (config_points_t){.per_hour = 10,
                                     .difficulty = {5, 10, 20},
                                     .urgency = {1, 1.2, 1.5},
                                     .professional = 10,
                                     .satisfied = 5};
    self->clock_speed = 1;
    static const double steps[5] = {20, 50, 100, 200, 400};
    memcpy(self->stars.member, steps, sizeof steps);
    memcpy(self->stars.group, steps, sizeof steps);
    memcpy(self->stars.branch, steps, sizeof steps);
    return self;
}

void config_destroy(config_t **self_p)
{
    if (*self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

int config_duration(const char *s, uint64_t *ms)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || !isdigit((unsigned char)*s))
        return -1;
    uint64_t unit;
    if (strcmp(end, "ms") == 0)
        unit = 1;
    else if (strcmp(end, "s") == 0)
        unit = 1000;
    else if (strcmp(end, "m") == 0)
        unit = 60 * 1000;
    else if (strcmp(end, "h") == 0)
        unit = 3600 * 1000;
    else if (strcmp(end, "d") == 0)
        unit = 86400 * 1000;
    else
        return -1;
    if (v == 0 || v > UINT64_MAX / unit / 1000)
        return -1;
    *ms = v * unit;
    return 0;
}

void config_take_rules(config_t *self, const config_t *from)
{
    self->ncategories = from->ncategories;
    memcpy(self->categories, from->categories, sizeof self->categories);
    self->points = from->points;
    self->stars = from->stars;
    self->rules_version++;
}

config_daemon_t *config_daemon(config_t *self, const char *name)
{
    config_daemon_t *all[] = {&self->intake, &self->dispatch, &self->scoring};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

const config_category_t *config_category(const config_t *self,
                                         const char *code, size_t len)
{
    for (size_t i = 0; i < self->ncategories; i++)
        if (strlen(self->categories[i].code) == len &&
            memcmp(self->categories[i].code, code, len) == 0)
            return &self->categories[i];
    return NULL;
}

/* -- reading the file ------------------------------------------------------ */

typedef struct {
    config_t *cfg;
    FILE *file;
    int line;         /* the line inih is reading */
    int refused;      /* the line the handler refused, 0 if none */
    char where[160];  /* "[section] key" of the line refused */
    char reason[160]; /* why the handler refused it */
    char kw_section[64]; /* the section whose keywords are being read */
    int client_key;      /* the file names [security] client_key */
} s_reader_t;

static int s_fail(s_reader_t *r, const char *fmt, ...)
{
    r->refused = r->line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
    return 0; /* inih: stop and report this line */
}

static int s_copy(char *dst, size_t size, const char *v)
{
    if (strlen(v) >= size)
        return -1;
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

static int s_number(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

static int s_size(const char *v, size_t min, size_t *out)
{
    double d;
    if (s_number(v, &d) < 0 || d < (double)min || d > 1e9 || d != floor(d))
        return -1;
    *out = (size_t)d;
    return 0;
}

/* Parses "a, b, c" as exactly N numbers. */
static int s_numbers(const char *v, double *out, size_t n)
{
    char items[8][64];
    int got = s_split(v, items, 8);
    if (got != (int)n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s_number(items[i], &out[i]) < 0)
            return -1;
    return 0;
}

static int s_daemon_key(s_reader_t *r, config_daemon_t *d, const char *key,
                        const char *v)
{
    int rc = 0;
    if (strcmp(key, "api") == 0)
        rc = s_copy(d->api, sizeof d->api, v);
    else if (strcmp(key, "events") == 0)
        rc = s_copy(d->events, sizeof d->events, v);
    else if (strcmp(key, "metrics") == 0)
        rc = s_copy(d->metrics, sizeof d->metrics, v);
    else if (strcmp(key, "db") == 0)
        rc = *v ? s_copy(d->db, sizeof d->db, v) : -1;
    else if (strcmp(key, "synchronous") == 0) {
        if (strcmp(v, "full") == 0 || strcmp(v, "normal") == 0)
            d->synchronous_full = strcmp(v, "full") == 0;
        else
            return s_fail(r, "must be full or normal");
    } else if (strcmp(key, "log_level") == 0) {
        if (log_level_parse(v, &d->log_level) < 0)
            return s_fail(r, "must be error, warn, info or debug");
    } else
        return s_fail(r, "unknown key");
    return rc < 0 ? s_fail(r, "too long or empty") : 1;
}

static int s_category_key(s_reader_t *r, const char *code, const char *key,
                          const char *v)
{
    config_t *cfg = r->cfg;
    size_t len = strlen(code);
    config_category_t *c =
        (config_category_t *)config_category(cfg, code, len);
    if (!c) {
        if (len == 0 || len >= sizeof c->code)
            return s_fail(r, "bad category code");
        for (size_t i = 0; i < len; i++)
            if (!islower((unsigned char)code[i]) && code[i] != '_')
                return s_fail(r, "category codes are a-z and _");
        if (cfg->ncategories == CONFIG_MAX_CATEGORIES)
            return s_fail(r, "too many categories");
        c = &cfg->categories[cfg->ncategories++];
        memset(c, 0, sizeof *c);
        memcpy(c->code, code, len + 1);
        memcpy(c->name, code, len + 1);
        c->route = ROUTE_GRID;
        c->accept_ms = 3600 * 1000;
        c->resolve_ms = 3 * 86400 * 1000;
    }
    if (strcmp(key, "name") == 0) {
        if (!*v || s_copy(c->name, sizeof c->name, v) < 0)
            return s_fail(r, "empty or too long");
    } else if (strcmp(key, "route") == 0) {
        if (strcmp(v, "grid") == 0)
            c->route = ROUTE_GRID;
        else if (strcmp(v, "unit") == 0)
            c->route = ROUTE_UNIT;
        else if (strcmp(v, "police") == 0)
            c->route = ROUTE_POLICE;
        else
            return s_fail(r, "must be grid, unit or police");
    } else if (strcmp(key, "accept") == 0) {
        if (config_duration(v, &c->accept_ms) < 0)
            return s_fail(r, "not a duration (45s, 30m, 2h, 3d)");
    } else if (strcmp(key, "resolve") == 0) {
        if (config_duration(v, &c->resolve_ms) < 0)
            return s_fail(r, "not a duration (45s, 30m, 2h, 3d)");
    } else if (strcmp(key, "keywords") == 0) {
        /* The first keywords line of a section replaces the list; more
         * lines (an indented continuation, or the key again) add to it,
         * since inih reads at most 199 bytes a line. */
        size_t have = 0;
        if (strcmp(r->kw_section, code) == 0)
            have = c->nkeywords;
        snprintf(r->kw_section, sizeof r->kw_section, "%s", code);
        int n = s_split(v, c->keywords + have, CONFIG_MAX_KEYWORDS - have);
        if (n < 0)
            return s_fail(r, "at most %d keywords of 63 bytes",
                          CONFIG_MAX_KEYWORDS);
        c->nkeywords = have + (size_t)n;
    } else
        return s_fail(r, "unknown key");
    return 1;
}

static int s_points_key(s_reader_t *r, const char *key, const char *v)
{
    config_points_t *p = &r->cfg->points;
    int rc;
    if (strcmp(key, "per_hour") == 0)
        rc = s_number(v, &p->per_hour);
    else if (strcmp(key, "difficulty") == 0)
        rc = s_numbers(v, p->difficulty, 3);
    else if (strcmp(key, "urgency") == 0)
        rc = s_numbers(v, p->urgency, 3);
    else if (strcmp(key, "professional") == 0)
        rc = s_number(v, &p->professional);
    else if (strcmp(key, "satisfied") == 0)
        rc = s_number(v, &p->satisfied);
    else
        return s_fail(r, "unknown key");
    return rc < 0 ? s_fail(r, "not a number, or not the right count") : 1;
}

static int s_stars_key(s_reader_t *r, const char *key, const char *v)
{
    config_stars_t *s = &r->cfg->stars;
    double *t = strcmp(key, "member") == 0  ? s->member
                : strcmp(key, "group") == 0 ? s->group
                : strcmp(key, "branch") == 0 ? s->branch
                                             : NULL;
    if (!t)
        return s_fail(r, "unknown key");
    double v5[5];
    if (s_numbers(v, v5, 5) < 0)
        return s_fail(r, "five thresholds, for 1 to 5 stars");
    for (int i = 1; i < 5; i++)
        if (v5[i] < v5[i - 1])
            return s_fail(r, "thresholds must not decrease");
    memcpy(t, v5, sizeof v5);
    return 1;
}

static int s_limits_key(s_reader_t *r, const char *key, const char *v)
{
    frame_limits_t *l = &r->cfg->limits;
    size_t n;
    if (s_size(v, 1, &n) < 0)
        return s_fail(r, "not a positive whole number");
    if (strcmp(key, "frame") == 0)
        l->max_frame = n;
    else if (strcmp(key, "string") == 0)
        r->cfg->str_bytes = n;
    else if (strcmp(key, "text") == 0)
        r->cfg->text_chars = n;
    else if (strcmp(key, "depth") == 0)
        l->max_depth = (unsigned)(n > 32 ? 32 : n);
    else if (strcmp(key, "array") == 0)
        l->max_array = l->max_map = n;
    else
        return s_fail(r, "unknown key");
    return 1;
}

static int s_clock_key(s_reader_t *r, const char *key, const char *v)
{
    config_t *c = r->cfg;
    double d;
    if (strcmp(key, "start") == 0) {
        if (strlen(v) != 10 || s_copy(c->clock_start, sizeof c->clock_start,
                                      v) < 0)
            return s_fail(r, "a date, YYYY-MM-DD");
    } else if (strcmp(key, "speed") == 0) {
        if (s_number(v, &d) < 0 || d < 1 || d > 1e7)
            return s_fail(r, "a number from 1 to 10000000");
        c->clock_speed = d;
    } else if (strcmp(key, "epoch") == 0) {
        if (s_number(v, &d) < 0 || d < 1e12 || d != floor(d))
            return s_fail(r, "real Unix milliseconds");
        c->clock_epoch = (int64_t)d;
    } else
        return s_fail(r, "unknown key");
    return 1;
}

static int s_security_key(s_reader_t *r, const char *key, const char *v)
{
    config_t *c = r->cfg;
    if (strcmp(key, "curve") == 0) {
        if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
            return s_fail(r, "must be on or off");
        c->curve = strcmp(v, "on") == 0;
    } else if (strcmp(key, "keys") == 0) {
        if (!*v || s_copy(c->keys, sizeof c->keys, v) < 0)
            return s_fail(r, "empty or too long");
    } else if (strcmp(key, "client_key") == 0) {
        if (!*v || s_copy(c->client_key, sizeof c->client_key, v) < 0)
            return s_fail(r, "empty or too long");
        r->client_key = 1;
    } else
        return s_fail(r, "unknown key");
    return 1;
}

static int s_handler(void *user, const char *section, const char *key,
                     const char *value)
{
    s_reader_t *r = user;
    /* inih reads on after a refused line: the first refusal stands. */
    if (r->reason[0])
        return 1;
    snprintf(r->where, sizeof r->where, "[%s] %s", section, key);
    config_daemon_t *d = config_daemon(r->cfg, section);
    if (d)
        return s_daemon_key(r, d, key, value);
    if (strncmp(section, "category.", 9) == 0)
        return s_category_key(r, section + 9, key, value);
    if (strcmp(section, "points") == 0)
        return s_points_key(r, key, value);
    if (strcmp(section, "stars") == 0)
        return s_stars_key(r, key, value);
    if (strcmp(section, "limits") == 0)
        return s_limits_key(r, key, value);
    if (strcmp(section, "clock") == 0)
        return s_clock_key(r, key, value);
    if (strcmp(section, "security") == 0)
        return s_security_key(r, key, value);
    if (strcmp(section, "community") == 0) {
        if (strcmp(key, "timezone") != 0)
            return s_fail(r, "unknown key");
        if (!*value || s_copy(r->cfg->timezone, sizeof r->cfg->timezone,
                              value) < 0)
            return s_fail(r, "empty or too long");
        return 1;
    }
    return s_fail(r, "unknown section");
}

/* inih cuts lines at 199 bytes and reads the rest as a line of its own:
 * refuse such a file with a clear reason instead. Returns the number of
 * the first long line, 0 when none, -1 when the file cannot be read. */
static int s_long_line(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int line = 1, len = 0, c, found = 0;
    while (!found && (c = fgetc(f)) != EOF) {
        if (c == '\n') {
            line++;
            len = 0;
        } else if (++len > CONFIG_MAX_LINE)
            found = line;
    }
    fclose(f);
    return found;
}

/* inih's line reader, counting lines so a refusal knows its own. */
static char *s_gets(char *buf, int size, void *arg)
{
    s_reader_t *r = arg;
    char *got = fgets(buf, size, r->file);
    if (got)
        r->line++;
    return got;
}

int config_load(config_t *self, const char *path, char *err, size_t errlen)
{
    s_reader_t r = {.cfg = self};
    int too_long = s_long_line(path);
    if (too_long > 0) {
        snprintf(err, errlen,
                 "%s:%d: line longer than %d bytes: continue it on an "
                 "indented next line",
                 path, too_long, CONFIG_MAX_LINE);
        return -1;
    }
    if (too_long < 0 || !(r.file = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : ENOENT));
        return -1;
    }
    int line = ini_parse_stream(s_gets, &r, s_handler, &r);
    fclose(r.file);
    if (line != 0) {
        /* inih names the first bad line; a syntax error there never
         * reached the handler, whose refusal may be of a later line. */
        if (r.refused == line)
            snprintf(err, errlen, "%s:%d: %s: %s", path, line, r.where,
                     r.reason);
        else
            snprintf(err, errlen, "%s:%d: syntax error", path, line);
        return -1;
    }
    if (!r.client_key) /* the admin key of the keys directory */
        snprintf(self->client_key, sizeof self->client_key,
                 "%.480s/admin.key", self->keys);
    if (self->clock_start[0] && !self->clock_epoch) {
        snprintf(err, errlen, "%s: [clock] start needs epoch (the real Unix "
                              "ms every process counts from)",
                 path);
        return -1;
    }
    /* The walker lets through the longest string a field may hold; text
     * of 2000 characters may take four bytes each. */
    self->limits.max_str = self->str_bytes > self->text_chars * 4
                               ? self->str_bytes
                               : self->text_chars * 4;
    return 0;
}
