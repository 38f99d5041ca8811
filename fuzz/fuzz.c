/*  fuzz: what the service fuzz targets share. See fuzz.h. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daemon.h"
#include "event.h"
#include "frame.h"
#include "json.h"
#include "log.h"
#include "period.h"

int fuzz_role(uint8_t b)
{
    static const int roles[] = {ROLE_ANY,   ROLE_APP,   ROLE_UNIT,
                                ROLE_STAFF, ROLE_ADMIN, ROLE_SERVICE};
    return roles[b % 6];
}

void fuzz_env(const char *name)
{
    const char *level = getenv("JULI_FUZZ_LOG");
    enum log_level l;
    if (level && log_level_parse(level, &l) == 0)
        log_setup(name, l);
    else
        log_setup(name, (enum log_level)0); /* below LOG_ERR: silent */
    if (period_set_zone("Asia/Shanghai") < 0) {
        fprintf(stderr, "fuzz: time zone Asia/Shanghai not installed\n");
        abort();
    }
}

void fuzz_state_init(fuzz_state_t *st)
{
    const char *s = getenv("JULI_FUZZ_RESET");
    long n = s ? strtol(s, NULL, 10) : 0;
    *st = (fuzz_state_t){.every = n > 0 ? (unsigned)n : 0};
}

void fuzz_state_seeded(fuzz_state_t *st, sqlite3_stmt *any)
{
    st->db = sqlite3_db_handle(any);
    st->clean = sqlite3_total_changes(st->db);
    st->runs = 0;
}

int fuzz_state_stale(fuzz_state_t *st)
{
    int stale = st->every ? st->runs && st->runs % st->every == 0
                          : sqlite3_total_changes(st->db) != st->clean;
    st->runs++;
    return stale;
}

void fuzz_state_renew(fuzz_state_t *st, void (*down)(void), void (*up)(void))
{
    if (fuzz_state_stale(st)) {
        down();
        up();
    }
}

int fuzz_state_changed(const fuzz_state_t *st)
{
    return sqlite3_total_changes(st->db) != st->clean;
}

void fuzz_probes_init(fuzz_probes_t *p)
{
    pack_init(&p->frames);
    p->n = 0;
}

void fuzz_probes_add(fuzz_probes_t *p, const char *json)
{
    if (p->n == sizeof p->end / sizeof p->end[0])
        abort();
    fuzz_json(&p->frames, json);
    p->end[p->n++] = pack_size(&p->frames);
}

void fuzz_probes_common(fuzz_probes_t *p)
{
    fuzz_probes_add(
        p,
        "{\"type\":\"events.since\",\"body\":{\"after\":0,\"limit\":10000}}");
    fuzz_probes_add(p, "{\"type\":\"stats\"}");
}

void fuzz_probes_run(fuzz_probes_t *p, const fuzz_state_t *st, api_t *api,
                     pack_t *reply)
{
    if (!fuzz_state_changed(st))
        return;
    const char *base = pack_data(&p->frames);
    for (size_t i = 0, start = 0; i < p->n; start = p->end[i++]) {
        api_call(api, base + start, p->end[i] - start, ROLE_ADMIN, reply);
        fuzz_check_reply(base + start, p->end[i] - start, pack_data(reply),
                         pack_size(reply));
    }
}

/* -- JSON to MessagePack, for the seeds --------------------------------- */

void fuzz_json(pack_t *p, const char *json)
{
    char err[160];
    if (json_pack(p, json, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz: json: %s\n", err);
        abort();
    }
}

/* -- replies ------------------------------------------------------------- */

static void s_hex(const char *what, const void *bytes, size_t len)
{
    const uint8_t *b = bytes;
    fprintf(stderr, "%s (%zu bytes):", what, len);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", b[i]);
    fprintf(stderr, "\n");
}

static void s_bad(const char *why, const void *req, size_t reqlen,
                  const void *reply, size_t len)
{
    fprintf(stderr, "fuzz: bad reply: %s\n", why);
    s_hex("request", req, reqlen);
    s_hex("reply", reply, len);
    abort();
}

static const msgpack_object *s_get(const msgpack_object *map, const char *key)
{
    size_t klen = strlen(key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen &&
            memcmp(k->via.str.ptr, key, klen) == 0)
            return &map->via.map.ptr[i].val;
    }
    return NULL;
}

/* The id a request carried, as api.c reads it: a str of 1..64 bytes at the
 * top of a frame that decodes. Returns 1 with *ID, else 0. */
static int s_request_id(const void *req, size_t len, field_str_t *id)
{
    static frame_decoder_t *dec;
    if (!dec) {
        frame_limits_t lim = frame_limits_default();
        dec = frame_decoder_new(&lim);
    }
    msgpack_object root;
    char err[128];
    if (frame_decode(dec, req, len, &root, err, sizeof err) < 0)
        return 0;
    const msgpack_object *type = s_get(&root, "type");
    const msgpack_object *o = s_get(&root, "id");
    if (!type || type->type != MSGPACK_OBJECT_STR || type->via.str.size < 1 ||
        type->via.str.size > 64)
        return 0; /* the envelope stops at type, before the id is read */
    if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size < 1 ||
        o->via.str.size > 64)
        return 0;
    id->ptr = o->via.str.ptr;
    id->len = o->via.str.size;
    return 1;
}

void fuzz_check_reply(const void *req, size_t reqlen, const void *reply,
                      size_t len)
{
    /* What a juli client accepts (client.c's limits). */
    static const frame_limits_t lim = {.max_frame = 256u << 20,
                                       .max_str = 1u << 20,
                                       .max_depth = 16,
                                       .max_array = 1u << 20,
                                       .max_map = 1u << 16};
    static frame_decoder_t *dec;
    static const char *const errors[] = {
        "malformed", "invalid",  "unknown_type", "forbidden",
        "not_found", "conflict", "unavailable",  NULL};
    char err[256], why[320];
    msgpack_object root;
    if (!dec)
        dec = frame_decoder_new(&lim);
    if (frame_decode(dec, reply, len, &root, err, sizeof err) < 0) {
        snprintf(why, sizeof why, "does not walk: %s", err);
        s_bad(why, req, reqlen, reply, len);
    }
    const msgpack_object *ok = s_get(&root, "ok");
    if (!ok || ok->type != MSGPACK_OBJECT_BOOLEAN)
        s_bad("no bool ok", req, reqlen, reply, len);
    if (!ok->via.boolean) {
        const msgpack_object *e = s_get(&root, "error");
        const msgpack_object *d = s_get(&root, "detail");
        int known = 0;
        for (int i = 0; e && e->type == MSGPACK_OBJECT_STR && errors[i]; i++)
            known |= e->via.str.size == strlen(errors[i]) &&
                     memcmp(e->via.str.ptr, errors[i], e->via.str.size) == 0;
        if (!known)
            s_bad("an error reply without a known error", req, reqlen, reply,
                  len);
        if (!d || d->type != MSGPACK_OBJECT_STR)
            s_bad("an error reply without a str detail", req, reqlen, reply,
                  len);
    }
    field_str_t id;
    if (s_request_id(req, reqlen, &id)) {
        const msgpack_object *r = s_get(&root, "id");
        if (!r || r->type != MSGPACK_OBJECT_STR || r->via.str.size != id.len ||
            memcmp(r->via.str.ptr, id.ptr, id.len) != 0)
            s_bad("the request's id is not in the reply", req, reqlen, reply,
                  len);
    }
}

const char *fuzz_format(const char *fmt, ...)
{
    static char json[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(json, sizeof json, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof json)
        abort();
    return json;
}

void fuzz_seed(api_t *api, int roles, const char *json)
{
    pack_t req, reply;
    pack_init(&req);
    pack_init(&reply);
    fuzz_json(&req, json);
    api_call(api, pack_data(&req), pack_size(&req), roles, &reply);
    fuzz_check_reply(pack_data(&req), pack_size(&req), pack_data(&reply),
                     pack_size(&reply));
    fuzz_check_events(api_store(api));
    msgpack_zone zone;
    msgpack_zone_init(&zone, 4096);
    msgpack_object root;
    size_t off = 0;
    msgpack_unpack(pack_data(&reply), pack_size(&reply), &off, &zone, &root);
    const msgpack_object *ok = s_get(&root, "ok");
    if (!ok->via.boolean) {
        fprintf(stderr, "fuzz: seed refused: %s\n  reply: ", json);
        msgpack_object_print(stderr, root);
        fprintf(stderr, "\n");
        abort();
    }
    msgpack_zone_destroy(&zone);
    pack_free(&req);
    pack_free(&reply);
}

void fuzz_check_events(const store_t *store)
{
    /* follow.c's limits, less the two levels of the page around an event
     * (the reply map and its events array). */
    static const frame_limits_t lim = {.max_frame = 64u << 20,
                                       .max_str = 1u << 20,
                                       .max_depth = 16 - 2,
                                       .max_array = 100000,
                                       .max_map = 4096};
    static pack_t p;
    static int ready;
    if (!ready) {
        pack_init(&p);
        ready = 1;
    }
    size_t n;
    const event_t *e = store_committed(store, &n);
    for (size_t i = 0; i < n; i++) {
        char err[256];
        pack_reset(&p);
        event_pack(&p, &e[i]);
        if (frame_walk(pack_data(&p), pack_size(&p), &lim, err, sizeof err) <
            0) {
            fprintf(stderr, "fuzz: event %llu (%s) does not walk: %s\n",
                    (unsigned long long)e[i].seq, e[i].type, err);
            s_hex("event", pack_data(&p), pack_size(&p));
            abort();
        }
    }
}

void fuzz_call(api_t *api, const uint8_t *data, size_t size, pack_t *reply)
{
    if (size < 1)
        return;
    api_call(api, data + 1, size - 1, fuzz_role(data[0]), reply);
    fuzz_check_reply(data + 1, size - 1, pack_data(reply), pack_size(reply));
    if (getenv("JULI_FUZZ_PRINT")) {
        msgpack_zone zone;
        msgpack_object o;
        size_t off = 0;
        msgpack_zone_init(&zone, 4096);
        msgpack_unpack(pack_data(reply), pack_size(reply), &off, &zone, &o);
        fprintf(stderr, "reply: ");
        msgpack_object_print(stderr, o);
        fprintf(stderr, "\n");
        msgpack_zone_destroy(&zone);
    }
    fuzz_check_events(api_store(api));
}

void fuzz_input(api_t *api, const char *upstream,
                int (*apply)(void *ctx, const follow_event_t *e), void *ctx,
                const uint8_t *data, size_t size, pack_t *reply)
{
    if (size && data[0] & 0x40)
        fuzz_upstream(api_store(api), upstream, data + 1, size - 1, apply, ctx);
    else
        fuzz_call(api, data, size, reply);
}

int fuzz_upstream(store_t *store, const char *upstream, const uint8_t *frame,
                  size_t len, int (*apply)(void *ctx, const follow_event_t *e),
                  void *ctx)
{
    static const frame_limits_t lim = {.max_frame = 64u << 20,
                                       .max_str = 1u << 20,
                                       .max_depth = 16,
                                       .max_array = 100000,
                                       .max_map = 4096};
    static frame_decoder_t *dec;
    msgpack_object obj;
    char err[256], detail[256];
    field_map_t root;
    follow_event_t e;
    if (!dec)
        dec = frame_decoder_new(&lim);
    if (frame_decode(dec, frame, len, &obj, err, sizeof err) < 0)
        return 0;
    field_root(&root, &obj, detail, sizeof detail);
    if (field_uint(&root, "ts", FIELD_REQUIRED, 0, UINT64_MAX, &e.ts) < 0 ||
        field_str(&root, "type", FIELD_REQUIRED, 64, &e.type) < 0 ||
        field_map(&root, "data", FIELD_REQUIRED, &e.data) < 0)
        return 0;
    if (store_offset_get(store, upstream, &e.seq) < 0 || store_begin(store) < 0)
        abort();
    e.seq++;
    /* As follow.c does: no savepoint, and a failure rolls the whole
     * delivery back. */
    if (apply(ctx, &e) < 0) {
        store_rollback(store);
        fprintf(stderr,
                "fuzz: the apply hook failed on %s's event %.*s "
                "(the follower would retry it forever): %s\n",
                upstream, (int)e.type.len, e.type.ptr, detail);
        s_hex("event", frame, len);
        abort();
    }
    if (store_offset_set(store, upstream, e.seq) < 0 || store_commit(store) < 0)
        abort();
    fuzz_check_events(store);
    return 1;
}

/* -- a target's state ---------------------------------------------------- */

store_t *fuzz_store(const char *source, const char *const *migrations)
{
    char err[256];
    store_opts_t so = {.path = ":memory:",
                       .source = source,
                       .synchronous_full = 0,
                       .migrations = migrations};
    store_t *store = store_open(&so, err, sizeof err);
    if (!store) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    return store;
}

api_t *fuzz_api(uv_loop_t *loop, store_t *store, metrics_t *metrics,
                const char *service, const api_route_t *routes, void *ctx,
                frame_limits_t limits)
{
    char err[256];
    api_opts_t ao = {.service = service,
                     .version = JULI_VERSION,
                     .limits = limits,
                     .routes = routes,
                     .ctx = ctx};
    api_t *api = api_new(loop, NULL, store, metrics, &ao, err, sizeof err);
    if (!api) {
        fprintf(stderr, "fuzz: %s\n", err);
        abort();
    }
    return api;
}

void fuzz_seeds(api_t *api, const fuzz_seed_t *seeds)
{
    for (; seeds->json; seeds++)
        fuzz_seed(api, seeds->roles, seeds->json);
}

/* The tree, parents first (fuzz.h). */
static const fuzz_node_t s_nodes[] = {
    {"HCZ", "火车站社区", "community", NULL},
    {"G1", "第一网格", "grid", "HCZ"},
    {"G2", "第二网格", "grid", "HCZ"},
    {"C11", "铁路新村", "compound", "G1"},
    {"C21", "站前小区", "compound", "G2"},
    {"S111", "1栋1单元", "stairwell", "C11"},
    {"S112", "1栋2单元", "stairwell", "C11"},
    {"S211", "3栋1单元", "stairwell", "C21"},
    {"XQ", "新区社区", "community", NULL},
    {"G9", "第九网格", "grid", "XQ"},
};

const fuzz_node_t *fuzz_node(const char *code)
{
    for (size_t i = 0; i < sizeof s_nodes / sizeof s_nodes[0]; i++)
        if (strcmp(s_nodes[i].code, code) == 0)
            return &s_nodes[i];
    fprintf(stderr, "fuzz: no node %s in the tree\n", code);
    abort();
}

void fuzz_event(store_t *store, const char *upstream, const char *type,
                const char *data,
                int (*apply)(void *ctx, const follow_event_t *e), void *ctx)
{
    char json[2048];
    pack_t frame;
    snprintf(json, sizeof json, "{\"ts\":%llu,\"type\":\"%s\",\"data\":%s}",
             (unsigned long long)clock_now_ms(), type, data);
    pack_init(&frame);
    fuzz_json(&frame, json);
    if (fuzz_upstream(store, upstream, (const uint8_t *)pack_data(&frame),
                      pack_size(&frame), apply, ctx) != 1)
        abort(); /* a seed follow.c would skip */
    pack_free(&frame);
}

/* -- counters ------------------------------------------------------------ */

typedef struct {
    const char *prefix;
    size_t n;
    struct {
        char name[96];
        int64_t n;
        int seen;
    } c[256];
} s_counts_t;

static void s_count_one(const char *key, int64_t n, void *arg)
{
    s_counts_t *cs = arg;
    size_t plen = strlen(cs->prefix);
    if (strncmp(key, cs->prefix, plen) != 0 || cs->n == 256)
        return;
    snprintf(cs->c[cs->n].name, sizeof cs->c[cs->n].name, "%s", key + plen);
    cs->c[cs->n].n = n;
    cs->c[cs->n].seen = 0;
    cs->n++;
}

void fuzz_check_counts(store_t *store, const char *prefix, sqlite3_stmt *rows)
{
    static s_counts_t cs;
    cs.prefix = prefix;
    cs.n = 0;
    if (store_counts(store, s_count_one, &cs) < 0)
        abort();
    int rc;
    while ((rc = store_step(store, rows)) == 1) {
        const char *name = (const char *)sqlite3_column_text(rows, 0);
        int64_t want = sqlite3_column_int64(rows, 1);
        int64_t have = 0;
        for (size_t i = 0; name && i < cs.n; i++)
            if (strcmp(cs.c[i].name, name) == 0) {
                have = cs.c[i].n;
                cs.c[i].seen = 1;
            }
        if (have != want) {
            fprintf(stderr,
                    "fuzz: counter %s%s is %lld, the table has "
                    "%lld\n",
                    prefix, name ? name : "(null)", (long long)have,
                    (long long)want);
            abort();
        }
    }
    if (rc < 0)
        abort();
    for (size_t i = 0; i < cs.n; i++)
        if (!cs.c[i].seen && cs.c[i].n != 0) {
            fprintf(stderr,
                    "fuzz: counter %s%s is %lld, the table has "
                    "none\n",
                    prefix, cs.c[i].name, (long long)cs.c[i].n);
            abort();
        }
}
