/*  log: sd-daemon prefixed lines on stderr. See log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *s_name = "juli";
static enum log_level s_level = LOG_INFO;

void log_setup(const char *name, enum log_level level)
{
    s_name = name;
    s_level = level;
}

int log_level_parse(const char *s, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {{"error", LOG_ERR},
                 {"warn", LOG_WARN},
                 {"info", LOG_INFO},
                 {"debug", LOG_DEBUG}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    return -1;
}

void log_write(enum log_level level, const char *fmt, ...)
{
    if (level > s_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line, so lines from a dying process stay whole. */
    fprintf(stderr, "<%d>%s: %s\n", (int)level, s_name, line);
}
