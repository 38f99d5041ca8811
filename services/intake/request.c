/*  request: residents' requests (居民点单), from submission to their end.
 *
 *  A request's status, as intake sees it:
 *
 *               request_submit
 *        ┌────────────┴────────────┐
 *        v  (no grid or category)  v  (grid and category known)
 *     triage ──request_classify──> accepted ──> assigned ──> in_progress
 *        │                            │        ──> resolved ──> closed
 *        └──────request_cancel────────┴──> cancelled   (until resolved)
 *
 *  The statuses after accepted follow dispatch's events. Every change
 *  writes a timeline row and moves the status counters (store_count_add),
 *  in the same transaction as its event, so stats never scan the requests.
 *  A handler checks all it needs before its first write.
 *  A ref is "R" and the row id in eight or more digits: refs never repeat.
 */
#include "intake.h"
#include "log.h"
#include "page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_channels[] = {"app", "hotline", "patrol",
                                         "walk_in", "grid_worker", NULL};
static const char *const s_statuses[] = {
    "triage",   "accepted", "assigned",  "in_progress",
    "resolved", "closed",   "cancelled", NULL};

int request_prepare(intake_t *in)
{
    /* One list statement per index to lead with; the other filters are
     * checked on the rows it yields. */
    static const char cols[] =
        "SELECT rid, status, text, channel, category, suggested, urgency,"
        " community, grid, compound, stairwell, address, reporter_id,"
        " reporter_name, reporter_phone, created, updated FROM requests";
    static const char *const where[] = {
        "rid = ?",
        "rid > ?4 AND (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR grid = ?2)"
        " AND (?3 IS NULL OR category = ?3) ORDER BY rid LIMIT ?5",
        "status = ?1 AND rid > ?4 AND (?2 IS NULL OR grid = ?2)"
        " AND (?3 IS NULL OR category = ?3) ORDER BY rid LIMIT ?5",
        "grid = ?2 AND rid > ?4 AND (?1 IS NULL OR status = ?1)"
        " AND (?3 IS NULL OR category = ?3) ORDER BY rid LIMIT ?5",
        "category = ?3 AND rid > ?4 AND (?1 IS NULL OR status = ?1)"
        " AND (?2 IS NULL OR grid = ?2) ORDER BY rid LIMIT ?5",
    };
    sqlite3_stmt **slots[] = {&in->req_get, &in->list_all, &in->list_status,
                              &in->list_grid, &in->list_category};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        char sql[600];
        snprintf(sql, sizeof sql, "%s WHERE %s", cols, where[i]);
        if (!(*slots[i] = store_prepare(in->store, sql)))
            return -1;
    }
    in->req_insert = store_prepare(
        in->store,
        "INSERT INTO requests (status, text, channel, category, suggested,"
        " urgency, community, grid, compound, stairwell, address,"
        " reporter_id, reporter_name, reporter_phone, created, updated)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14, ?15, ?15)");
    in->req_update = store_prepare(
        in->store,
        "UPDATE requests SET category = ?2, suggested = 0, community = ?3,"
        " grid = ?4, compound = ?5, stairwell = ?6, address = ?7,"
        " updated = ?8 WHERE rid = ?1");
    in->req_status = store_prepare(
        in->store, "UPDATE requests SET status = ?2, updated = ?3"
                   " WHERE rid = ?1");
    in->req_status_get = store_prepare(
        in->store, "SELECT status FROM requests WHERE rid = ?");
    in->timeline_add = store_prepare(
        in->store,
        "INSERT INTO timeline (rid, ts, status, note) VALUES (?, ?, ?, ?)");
    in->timeline_add2 = store_prepare(
        in->store, "INSERT INTO timeline (rid, ts, status, note)"
                   " VALUES (?, ?, ?, ?), (?, ?, ?, ?)");
    in->timeline_add3 = store_prepare(
        in->store, "INSERT INTO timeline (rid, ts, status, note)"
                   " VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)");
    in->timeline_get = store_prepare(
        in->store, "SELECT ts, status, note FROM timeline WHERE rid = ?"
                   " ORDER BY rowid");
    return in->req_insert && in->req_update && in->req_status &&
                   in->req_status_get &&
                   in->timeline_add && in->timeline_add2 &&
                   in->timeline_add3 && in->timeline_get
               ? 0
               : -1;
}

/* -- helpers --------------------------------------------------------------- */

static void s_bind_text(sqlite3_stmt *st, int i, const char *s, size_t len)
{
    if (s && len)
        sqlite3_bind_text(st, i, s, (int)len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void s_bind_cstr(sqlite3_stmt *st, int i, const char *s)
{
    s_bind_text(st, i, s, s ? strlen(s) : 0);
}

static void s_ref(char out[24], int64_t rid)
{
    snprintf(out, 24, "R%08" PRId64, rid);
}

/* Parses REF ("R" and 1 to 18 digits) into *RID. Returns 0, or -1 when it
 * is not a ref (*RID untouched). */
static int s_ref_parse(field_str_t ref, int64_t *rid)
{
    if (ref.len < 2 || ref.len > 19 || ref.ptr[0] != 'R')
        return -1;
    int64_t v = 0;
    for (size_t i = 1; i < ref.len; i++) {
        if (ref.ptr[i] < '0' || ref.ptr[i] > '9')
            return -1;
        v = v * 10 + (ref.ptr[i] - '0');
    }
    *rid = v;
    return 0;
}

/* Reads the ref under "ref" into *RID. */
static int s_ref_field(api_req_t *req, int64_t *rid)
{
    field_str_t ref;
    if (field_str(&req->body, "ref", FIELD_REQUIRED, 24, &ref) < 0)
        return -1;
    if (s_ref_parse(ref, rid) < 0)
        return field_fail(&req->body, "ref", "not a request ref");
    return 0;
}

static int s_timeline(intake_t *in, int64_t rid, uint64_t ts,
                      const char *status, const char *note)
{
    sqlite3_stmt *st = in->timeline_add;
    sqlite3_bind_int64(st, 1, rid);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)ts);
    sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
    s_bind_cstr(st, 4, note);
    return store_step(in->store, st);
}

static int s_count(intake_t *in, const char *status, int delta)
{
    char key[32];
    snprintf(key, sizeof key, "requests.%s", status);
    return store_count_add(in->store, key, delta);
}

/* Moves request RID from status FROM to TO with a timeline NOTE. */
static int s_move(intake_t *in, int64_t rid, const char *from,
                  const char *to, uint64_t ts, const char *note)
{
    sqlite3_stmt *st = in->req_status;
    sqlite3_bind_int64(st, 1, rid);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)ts);
    if (store_step(in->store, st) < 0 || s_count(in, from, -1) < 0 ||
        s_count(in, to, 1) < 0 || s_timeline(in, rid, ts, to, note) < 0)
        return -1;
    return 0;
}

/* Column I of the row in ST as a string value (nil when NULL). */
static void s_kcol(pack_t *p, const char *key, sqlite3_stmt *st, int i)
{
    pack_kstrn(p, key, (const char *)sqlite3_column_text(st, i),
               (size_t)sqlite3_column_bytes(st, i));
}

/* Writes the request in the current row of ST (columns as in req_get) as a
 * map, with its timeline when TIMELINE is set. */
static int s_pack_row(intake_t *in, sqlite3_stmt *st, pack_t *p,
                      int timeline)
{
    int64_t rid = sqlite3_column_int64(st, 0);
    char ref[24];
    s_ref(ref, rid);
    pack_map(p, 15 + (timeline ? 1 : 0));
    pack_kstr(p, "ref", ref);
    s_kcol(p, "status", st, 1);
    s_kcol(p, "text", st, 2);
    s_kcol(p, "channel", st, 3);
    s_kcol(p, "category", st, 4);
    pack_kbool(p, "category_suggested", sqlite3_column_int(st, 5));
    pack_kuint(p, "urgency", (uint64_t)sqlite3_column_int(st, 6));
    s_kcol(p, "community", st, 7);
    s_kcol(p, "grid", st, 8);
    s_kcol(p, "compound", st, 9);
    s_kcol(p, "stairwell", st, 10);
    pack_str(p, "location");
    pack_map(p, 4);
    s_kcol(p, "stairwell", st, 10);
    s_kcol(p, "compound", st, 9);
    s_kcol(p, "grid", st, 8);
    s_kcol(p, "address", st, 11);
    pack_str(p, "reporter");
    pack_map(p, 3);
    s_kcol(p, "id", st, 12);
    s_kcol(p, "name", st, 13);
    s_kcol(p, "phone", st, 14);
    pack_kuint(p, "created", (uint64_t)sqlite3_column_int64(st, 15));
    pack_kuint(p, "updated", (uint64_t)sqlite3_column_int64(st, 16));
    if (!timeline)
        return 0;
    pack_t lines;
    pack_init(&lines);
    uint32_t n = 0;
    int rc;
    sqlite3_bind_int64(in->timeline_get, 1, rid);
    while ((rc = store_step(in->store, in->timeline_get)) == 1) {
        pack_map(&lines, 3);
        pack_kuint(&lines, "ts",
                   (uint64_t)sqlite3_column_int64(in->timeline_get, 0));
        s_kcol(&lines, "status", in->timeline_get, 1);
        s_kcol(&lines, "note", in->timeline_get, 2);
        n++;
    }
    pack_str(p, "timeline");
    pack_array(p, n);
    pack_raw(p, pack_data(&lines), pack_size(&lines));
    pack_free(&lines);
    return rc;
}

/* Loads request RID into the row of req_get. Returns 1, 0 when unknown, -1
 * on a store error. The caller resets req_get after reading. */
static int s_load(intake_t *in, int64_t rid)
{
    sqlite3_bind_int64(in->req_get, 1, rid);
    return store_step(in->store, in->req_get);
}

/* Logs EVENT with the request RID as its data. */
static int s_event(intake_t *in, api_req_t *req, int64_t rid,
                   const char *event)
{
    pack_reset(&in->data);
    if (s_load(in, rid) != 1)
        return -1;
    s_pack_row(in, in->req_get, &in->data, 0);
    store_reset(in->req_get);
    return api_event(req, event, &in->data);
}

/* A string value as the row would hold it: nil when absent or empty (the
 * binders store NULL for both). A field's value is never empty: fields go
 * through pack_kfield. */
static void s_kcopt(pack_t *p, const char *key, const char *s)
{
    pack_kstr(p, key, s && *s ? s : NULL);
}

/* -- request.submit -------------------------------------------------------- */

typedef struct {
    field_str_t text, category, id, name, phone;
    int channel;
    uint64_t urgency;
    field_map_t location, reporter;
} s_submit_t;

static int s_submit_fields(const intake_t *in, api_req_t *req, s_submit_t *s)
{
    const field_map_t *b = &req->body;
    if (field_text(b, "text", FIELD_REQUIRED, in->config->text_chars,
                   &s->text) < 0 ||
        field_enum(b, "channel", FIELD_REQUIRED, s_channels, &s->channel) <
            0 ||
        field_str(b, "category", FIELD_OPTIONAL, 31, &s->category) < 0 ||
        field_uint(b, "urgency", FIELD_OPTIONAL, 1, 3, &s->urgency) < 0 ||
        field_map(b, "location", FIELD_REQUIRED, &s->location) < 0 ||
        field_map(b, "reporter", FIELD_OPTIONAL, &s->reporter) < 0 ||
        field_str(&s->reporter, "id", FIELD_OPTIONAL, 64, &s->id) < 0 ||
        field_text(&s->reporter, "name", FIELD_OPTIONAL, 64, &s->name) < 0 ||
        field_str(&s->reporter, "phone", FIELD_OPTIONAL, 32, &s->phone) < 0)
        return -1;
    for (size_t i = 0; i < s->phone.len; i++)
        if (!strchr("0123456789+- ()", s->phone.ptr[i]))
            return field_fail(&s->reporter, "phone",
                              "digits, spaces and + - ( ) only");
    return 0;
}

api_status_t request_submit(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    s_submit_t s = {.urgency = 1};
    if (s_submit_fields(in, req, &s) < 0)
        return API_INVALID;
    const config_category_t *cat = NULL;
    const char *word = NULL;
    if (s.category.ptr &&
        !(cat = config_category(in->config, s.category.ptr, s.category.len)))
        return api_fail(req, API_INVALID, "body.category: unknown: %.*s",
                        (int)s.category.len, s.category.ptr);
    if (!cat)
        cat = keywords_suggest(&in->keywords, in->config, s.text.ptr,
                               s.text.len, &word);
    grid_chain_t chain;
    api_status_t st = grid_resolve(in, &s.location, &chain);
    if (st != API_OK)
        return st == API_UNAVAILABLE
                   ? api_fail(req, st, "store: cannot read")
                   : st;
    if (!chain.grid[0] && !chain.address[0])
        return api_fail(req, API_INVALID,
                        "body.location: needs a stairwell, compound, grid "
                        "or address");
    const char *status = chain.grid[0] && cat ? "accepted" : "triage";

    sqlite3_stmt *ins = in->req_insert;
    sqlite3_bind_text(ins, 1, status, -1, SQLITE_STATIC);
    s_bind_text(ins, 2, s.text.ptr, s.text.len);
    sqlite3_bind_text(ins, 3, s_channels[s.channel], -1, SQLITE_STATIC);
    s_bind_cstr(ins, 4, cat ? cat->code : NULL);
    sqlite3_bind_int(ins, 5, word != NULL);
    sqlite3_bind_int(ins, 6, (int)s.urgency);
    s_bind_cstr(ins, 7, chain.community);
    s_bind_cstr(ins, 8, chain.grid);
    s_bind_cstr(ins, 9, chain.compound);
    s_bind_cstr(ins, 10, chain.stairwell);
    s_bind_cstr(ins, 11, chain.address);
    s_bind_text(ins, 12, s.id.ptr, s.id.len);
    s_bind_text(ins, 13, s.name.ptr, s.name.len);
    s_bind_text(ins, 14, s.phone.ptr, s.phone.len);
    sqlite3_bind_int64(ins, 15, (sqlite3_int64)req->now);
    int rc = store_step(in->store, ins);
    sqlite3_clear_bindings(ins);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    int64_t rid = sqlite3_last_insert_rowid(
        sqlite3_db_handle(in->req_insert));

    /* The submission's timeline, two or three rows, in one statement. */
    char notes[3][160];
    const char *steps[3] = {"submitted", "suggested", status};
    snprintf(notes[0], sizeof notes[0], "submitted by %s",
             s_channels[s.channel]);
    if (word)
        snprintf(notes[1], sizeof notes[1],
                 "category %s suggested (keyword %s)", cat->code, word);
    snprintf(notes[2], sizeof notes[2], "%s",
             *status == 'a'   ? "grid and category known"
             : !chain.grid[0] ? (cat ? "no grid: waits for staff"
                                     : "no grid or category: waits for staff")
                              : "no category: waits for staff");
    sqlite3_stmt *tl = word ? in->timeline_add3 : in->timeline_add2;
    int col = 1;
    for (int i = 0; i < 3; i++) {
        if (i == 1 && !word)
            continue;
        sqlite3_bind_int64(tl, col++, rid);
        sqlite3_bind_int64(tl, col++, (sqlite3_int64)req->now);
        sqlite3_bind_text(tl, col++, steps[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(tl, col++, notes[i], -1, SQLITE_STATIC);
    }
    if (store_step(in->store, tl) < 0 || s_count(in, status, 1) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    char ref[24];
    s_ref(ref, rid);
    /* The event's data: the row just inserted, packed from the values it
     * was bound with (the same map as s_pack_row's, key for key). */
    pack_t *d = &in->data;
    pack_reset(d);
    pack_map(d, 15);
    pack_kstr(d, "ref", ref);
    pack_kstr(d, "status", status);
    pack_kfield(d, "text", s.text);
    pack_kstr(d, "channel", s_channels[s.channel]);
    s_kcopt(d, "category", cat ? cat->code : NULL);
    pack_kbool(d, "category_suggested", word != NULL);
    pack_kuint(d, "urgency", s.urgency);
    s_kcopt(d, "community", chain.community);
    s_kcopt(d, "grid", chain.grid);
    s_kcopt(d, "compound", chain.compound);
    s_kcopt(d, "stairwell", chain.stairwell);
    pack_str(d, "location");
    pack_map(d, 4);
    s_kcopt(d, "stairwell", chain.stairwell);
    s_kcopt(d, "compound", chain.compound);
    s_kcopt(d, "grid", chain.grid);
    s_kcopt(d, "address", chain.address);
    pack_str(d, "reporter");
    pack_map(d, 3);
    pack_kfield(d, "id", s.id);
    pack_kfield(d, "name", s.name);
    pack_kfield(d, "phone", s.phone);
    pack_kuint(d, "created", req->now);
    pack_kuint(d, "updated", req->now);
    if (api_event(req,
                  *status == 'a' ? "request.accepted" : "request.triaged",
                  d) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 2);
    pack_kstr(r, "ref", ref);
    pack_kstr(r, "status", status);
    return API_OK;
}

/* -- request.classify ------------------------------------------------------ */

api_status_t request_classify(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    int64_t rid;
    field_str_t category = {0};
    field_map_t loc;
    if (s_ref_field(req, &rid) < 0 ||
        field_str(&req->body, "category", FIELD_OPTIONAL, 31, &category) <
            0 ||
        field_map(&req->body, "location", FIELD_OPTIONAL, &loc) < 0)
        return API_INVALID;
    const config_category_t *cat = NULL;
    if (category.ptr &&
        !(cat = config_category(in->config, category.ptr, category.len)))
        return api_fail(req, API_INVALID, "body.category: unknown: %.*s",
                        (int)category.len, category.ptr);
    grid_chain_t chain;
    if (loc.obj) {
        api_status_t st = grid_resolve(in, &loc, &chain);
        if (st != API_OK)
            return st == API_UNAVAILABLE
                       ? api_fail(req, st, "store: cannot read")
                       : st;
    }
    int rc = s_load(in, rid);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 0)
        return api_fail(req, API_NOT_FOUND, "body.ref: no such request");
    sqlite3_stmt *row = in->req_get;
    char status[16], old_address[sizeof chain.address], old_cat[32];
    store_column_copy(row, 1, status, sizeof status);
    store_column_copy(row, 11, old_address, sizeof old_address);
    store_column_copy(row, 4, old_cat, sizeof old_cat);
    int triage = strcmp(status, "triage") == 0;
    if (!loc.obj) {
        char *cols[] = {chain.community, chain.grid, chain.compound,
                        chain.stairwell, chain.address};
        size_t sizes[] = {65, 65, 65, 65, sizeof chain.address};
        for (int i = 0; i < 5; i++)
            store_column_copy(row, 7 + i, cols[i], sizes[i]);
    }
    store_reset(row);
    if (!chain.address[0]) /* a location without address keeps the old */
        snprintf(chain.address, sizeof chain.address, "%s", old_address);
    if (!triage)
        return api_fail(req, API_CONFLICT, "body.ref: the request is %s, "
                                           "not in triage",
                        status);
    const char *code = cat ? cat->code : old_cat;
    if (!*code)
        return api_fail(req, API_INVALID, "body.category: still unknown");
    if (!chain.grid[0])
        return api_fail(req, API_INVALID, "body.location: still no grid");

    sqlite3_stmt *up = in->req_update;
    sqlite3_bind_int64(up, 1, rid);
    sqlite3_bind_text(up, 2, code, -1, SQLITE_TRANSIENT);
    s_bind_cstr(up, 3, chain.community);
    s_bind_cstr(up, 4, chain.grid);
    s_bind_cstr(up, 5, chain.compound);
    s_bind_cstr(up, 6, chain.stairwell);
    s_bind_cstr(up, 7, chain.address);
    sqlite3_bind_int64(up, 8, (sqlite3_int64)req->now);
    rc = store_step(in->store, up);
    sqlite3_clear_bindings(up);
    if (rc < 0 ||
        s_move(in, rid, "triage", "accepted", req->now,
               "classified by staff") < 0 ||
        s_event(in, req, rid, "request.accepted") < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    char ref[24];
    s_ref(ref, rid);
    pack_t *r = api_reply(req, 2);
    pack_kstr(r, "ref", ref);
    pack_kstr(r, "status", "accepted");
    return API_OK;
}

/* -- request.cancel -------------------------------------------------------- */

api_status_t request_cancel(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    int64_t rid;
    field_str_t reason = {0};
    if (s_ref_field(req, &rid) < 0 ||
        field_text(&req->body, "reason", FIELD_OPTIONAL, 500, &reason) < 0)
        return API_INVALID;
    int rc = s_load(in, rid);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 0)
        return api_fail(req, API_NOT_FOUND, "body.ref: no such request");
    char status[16];
    store_column_copy(in->req_get, 1, status, sizeof status);
    store_reset(in->req_get);
    if (strcmp(status, "resolved") == 0 || strcmp(status, "closed") == 0 ||
        strcmp(status, "cancelled") == 0)
        return api_fail(req, API_CONFLICT, "body.ref: the request is %s",
                        status);
    char note[2100]; /* a reason of 500 characters */
    snprintf(note, sizeof note, "cancelled%s%.*s", reason.ptr ? ": " : "",
             (int)reason.len, reason.ptr ? reason.ptr : "");
    char ref[24];
    s_ref(ref, rid);
    pack_reset(&in->data);
    pack_map(&in->data, 3);
    pack_kstr(&in->data, "ref", ref);
    pack_kfield(&in->data, "reason", reason);
    pack_kstr(&in->data, "was", status);
    if (s_move(in, rid, status, "cancelled", req->now, note) < 0 ||
        api_event(req, "request.cancelled", &in->data) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot write");
    pack_t *r = api_reply(req, 2);
    pack_kstr(r, "ref", ref);
    pack_kstr(r, "status", "cancelled");
    return API_OK;
}

/* -- dispatch's progress --------------------------------------------------- */

int request_progress(intake_t *in, field_str_t ref, const char *status,
                     const char *note, uint64_t ts)
{
    int64_t rid;
    if (s_ref_parse(ref, &rid) < 0) {
        log_error("dispatch's progress skipped: not a request ref: %.*s",
                  (int)ref.len, ref.ptr);
        return 0;
    }
    sqlite3_stmt *st = in->req_status_get;
    sqlite3_bind_int64(st, 1, rid);
    int rc = store_step(in->store, st);
    if (rc <= 0)
        return rc; /* not ours: skipped */
    char was[16];
    store_column_copy(st, 0, was, sizeof was);
    store_reset(st);
    /* A cancelled request keeps its status: dispatch may still be
     * reporting what happened before it heard of the cancel. */
    if (!status || strcmp(was, "cancelled") == 0 || strcmp(was, status) == 0)
        return s_timeline(in, rid, ts, was, note) < 0 ? -1 : 0;
    return s_move(in, rid, was, status, ts, note);
}

/* -- queries --------------------------------------------------------------- */

api_status_t request_get(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    int64_t rid;
    if (s_ref_field(req, &rid) < 0)
        return API_INVALID;
    int rc = s_load(in, rid);
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    if (rc == 0)
        return api_fail(req, API_NOT_FOUND, "body.ref: no such request");
    pack_t *r = api_reply(req, 1);
    pack_str(r, "request");
    rc = s_pack_row(in, in->req_get, r, 1);
    store_reset(in->req_get);
    return rc < 0 ? api_fail(req, API_UNAVAILABLE, "store: cannot read")
                  : API_OK;
}

api_status_t request_list(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    int status = -1;
    field_str_t grid = {0}, category = {0};
    page_t pg;
    if (field_enum(&req->body, "status", FIELD_OPTIONAL, s_statuses,
                   &status) < 0 ||
        field_str(&req->body, "grid", FIELD_OPTIONAL, 64, &grid) < 0 ||
        field_str(&req->body, "category", FIELD_OPTIONAL, 31, &category) <
            0 ||
        page_begin(&pg, req, &in->list) < 0)
        return API_INVALID;
    sqlite3_stmt *st = status >= 0 ? in->list_status
                       : grid.ptr  ? in->list_grid
                       : category.ptr ? in->list_category
                                      : in->list_all;
    if (status >= 0)
        sqlite3_bind_text(st, 1, s_statuses[status], -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 1);
    s_bind_text(st, 2, grid.ptr, grid.len);
    s_bind_text(st, 3, category.ptr, category.len);
    sqlite3_bind_int64(st, 4, pg.after);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)pg.limit + 1);
    int rc;
    while ((rc = store_step(in->store, st)) == 1) {
        if (!page_take(&pg, sqlite3_column_int64(st, 0))) {
            store_reset(st);
            break;
        }
        s_pack_row(in, st, pg.items, 0);
    }
    if (rc < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    return page_reply(&pg, req, "requests");
}

static void s_stat(const char *key, int64_t n, void *arg)
{
    int64_t *counts = arg;
    for (int i = 0; s_statuses[i]; i++)
        if (strncmp(key, "requests.", 9) == 0 &&
            strcmp(key + 9, s_statuses[i]) == 0)
            counts[i] = n;
}

api_status_t request_stats(api_req_t *req, void *ctx)
{
    intake_t *in = ctx;
    int64_t n[8] = {0}, total = 0;
    if (store_counts(in->store, s_stat, n) < 0)
        return api_fail(req, API_UNAVAILABLE, "store: cannot read");
    pack_t *r = api_reply(req, 2);
    pack_str(r, "requests");
    pack_map(r, 8); /* the seven statuses and the total */
    for (int i = 0; s_statuses[i]; i++) {
        pack_kint(r, s_statuses[i], n[i]);
        total += n[i];
    }
    pack_kint(r, "total", total);
    pack_kuint(r, "last_seq", store_durable_seq(in->store));
    return API_OK;
}
