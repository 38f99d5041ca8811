/*  log: one line per event of interest on stderr, for journald.
 *
 *  Each line starts with the sd-daemon priority prefix ("<3>" for errors,
 *  "<4>" warnings, "<6>" info, "<7>" debug) so journald files it at the right
 *  level, then the daemon's name. Lines below the configured level are not
 *  formatted at all. The module owns nothing but two statics set once at
 *  start, before the loop runs; it is the one place that writes to stderr.
 *
 *  Personal data (names, phone numbers, request texts) belongs in debug lines
 *  only.
 */
#ifndef JULI_LOG_H
#define JULI_LOG_H

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

/* Sets the name printed on every line (not copied: pass a literal) and the
 * most verbose level written. */
void log_setup(const char *name, enum log_level level);

/* Parses "error", "warn", "info" or "debug". Returns 0, or -1 when unknown. */
int log_level_parse(const char *s, enum log_level *out);

/* Writes one line at LEVEL when LEVEL passes the configured level. */
void log_write(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)

#endif
