/*  keywords: the category a request's text suggests, from the categories'
 *  keywords in the rules.
 *
 *  A category's score is how many of its keywords occur in the text (each
 *  counted once); the best score wins, the first category in config order
 *  on a tie, and none when no keyword occurs.
 *
 *  keywords_t owns an index of the rules' keywords by their first three
 *  bytes, so a text is read once instead of once per keyword. It is rebuilt
 *  when the rules change (config_t's rules_version, moved by SIGHUP).
 */
#ifndef JULI_INTAKE_KEYWORDS_H
#define JULI_INTAKE_KEYWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define KEYWORDS_MAX     (CONFIG_MAX_CATEGORIES * CONFIG_MAX_KEYWORDS)
#define KEYWORDS_BUCKETS 256

typedef struct {
    uint16_t cat, kw, len;
    uint16_t next; /* in its bucket; UINT16_MAX ends */
} keywords_entry_t;

typedef struct {
    const config_t *config; /* the rules indexed, at rules_version */
    unsigned version;
    size_t n;      /* entries: keywords of three bytes or more */
    size_t nshort; /* shorts: the others */
    keywords_entry_t entry[KEYWORDS_MAX];
    keywords_entry_t shorts[KEYWORDS_MAX];
    uint16_t head[KEYWORDS_BUCKETS];
} keywords_t;

/* The category TEXT suggests under CFG's rules, or NULL; *WORD gets its
 * first keyword (config order) that occurs. Rebuilds SELF's index first
 * when CFG or its rules changed. SELF starts zeroed. */
const config_category_t *keywords_suggest(keywords_t *self,
                                          const config_t *cfg,
                                          const char *text, size_t len,
                                          const char **word);

#endif
