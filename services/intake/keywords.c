/*  keywords: a one-pass keyword scan. See keywords.h.
 *
 *  Index: every keyword of three bytes or more sits in the bucket of its
 *  first three bytes (a CJK character in UTF-8). The scan hashes the three
 *  bytes at each position of the text and compares the few keywords of
 *  that bucket. Keywords shorter than three bytes (rare: ASCII words of
 *  one or two letters) are looked for with memmem.
 */
#include "keywords.h"

#include <string.h>

/* A category's keywords that occur are bits of one word. */
_Static_assert(CONFIG_MAX_KEYWORDS <= 32, "keyword bits fit a uint32_t");

static unsigned s_hash(const unsigned char *p)
{
    return ((unsigned)p[0] * 31u * 31u + (unsigned)p[1] * 31u + p[2]) %
           KEYWORDS_BUCKETS;
}

static void s_build(keywords_t *self, const config_t *cfg)
{
    self->config = cfg;
    self->version = cfg->rules_version;
    self->n = self->nshort = 0;
    for (size_t b = 0; b < KEYWORDS_BUCKETS; b++)
        self->head[b] = UINT16_MAX;
    for (size_t c = 0; c < cfg->ncategories; c++)
        for (size_t k = 0; k < cfg->categories[c].nkeywords; k++) {
            const char *w = cfg->categories[c].keywords[k];
            keywords_entry_t e = {(uint16_t)c, (uint16_t)k,
                                  (uint16_t)strlen(w), UINT16_MAX};
            if (e.len < 3) {
                self->shorts[self->nshort++] = e;
                continue;
            }
            unsigned b = s_hash((const unsigned char *)w);
            e.next = self->head[b];
            self->entry[self->n] = e;
            self->head[b] = (uint16_t)self->n++;
        }
}

const config_category_t *keywords_suggest(keywords_t *self,
                                          const config_t *cfg,
                                          const char *text, size_t len,
                                          const char **word)
{
    if (self->config != cfg || self->version != cfg->rules_version)
        s_build(self, cfg);
    /* Which keywords occur: a bit per (category, keyword). */
    uint32_t seen[CONFIG_MAX_CATEGORIES] = {0};
    const unsigned char *t = (const unsigned char *)text;
    for (size_t p = 0; p + 3 <= len; p++)
        for (uint16_t i = self->head[s_hash(t + p)]; i != UINT16_MAX;
             i = self->entry[i].next) {
            const keywords_entry_t *e = &self->entry[i];
            if (e->len <= len - p &&
                memcmp(t + p, cfg->categories[e->cat].keywords[e->kw],
                       e->len) == 0)
                seen[e->cat] |= 1u << e->kw;
        }
    for (size_t i = 0; i < self->nshort; i++) {
        const keywords_entry_t *e = &self->shorts[i];
        if (memmem(text, len, cfg->categories[e->cat].keywords[e->kw],
                   e->len))
            seen[e->cat] |= 1u << e->kw;
    }
    const config_category_t *best = NULL;
    size_t best_hits = 0;
    for (size_t c = 0; c < cfg->ncategories; c++) {
        const config_category_t *cat = &cfg->categories[c];
        size_t hits = (size_t)__builtin_popcount(seen[c]);
        if (hits > best_hits) {
            best = cat;
            best_hits = hits;
            *word = cat->keywords[__builtin_ctz(seen[c])];
        }
    }
    return best;
}
