/*  juli-baseline: the least a durable request/ack server can do on this
 *  machine, to hold juli's figures against.
 *
 *  One ROUTER socket and one SQLite file (WAL, the same synchronous
 *  setting as juli, FULL by default). Each turn of the loop:
 *
 *    1. zmq_poll until the socket is readable;
 *    2. drain with ZMQ_DONTWAIT until it is empty or 256 messages are in
 *       hand (juli's BUS_BATCH);
 *    3. decode each frame (the same bounded walk juli runs, frame_decode)
 *       and take its id;
 *    4. BEGIN IMMEDIATE, one INSERT per request (its id and frame),
 *       COMMIT: one fsync for the whole batch (group commit);
 *    5. send the acks {ok: true, id}, only now that they are durable.
 *
 *  Like juli, automatic checkpoints are off and a passive checkpoint runs
 *  at most once a second between batches, never inside a commit. A
 *  request whose type is "health" is answered without a write, so the
 *  benchmark can wait for the server to be up. There is no routing, no
 *  validation beyond the walk, no idempotency table, no event log: what
 *  juli does on top of this is what its ratio to the baseline measures.
 *
 *  Usage: juli-baseline --api ENDPOINT --db FILE [--synchronous full|normal]
 *  SIGTERM or SIGINT stop it after the batch in hand.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "frame.h"
#include "pack.h"

#define BASE_BATCH  256
#define BASE_MAX_ID 64

static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

typedef struct {
    zmq_msg_t peer, payload;
    int delimiter;
    int health; /* answered without a write */
    int bad;    /* did not decode: answered malformed */
    char id[BASE_MAX_ID];
    size_t id_len;
} base_msg_t;

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *rollback, *insert;
    void *zctx, *router;
    frame_decoder_t *decoder;
    pack_t reply;
    base_msg_t batch[BASE_BATCH];
    uint64_t commits_since_checkpoint;
    time_t checkpointed;
} base_t;

static int s_open_store(base_t *b, const char *path, int full)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             "PRAGMA wal_autocheckpoint=0; PRAGMA busy_timeout=5000;"
             "CREATE TABLE IF NOT EXISTS acks (seq INTEGER PRIMARY KEY,"
             " id TEXT NOT NULL, frame BLOB NOT NULL);",
             full ? "FULL" : "NORMAL");
    if (sqlite3_open(path, &b->db) != SQLITE_OK ||
        sqlite3_exec(b->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(b->db, "BEGIN IMMEDIATE", -1, &b->begin, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(b->db, "COMMIT", -1, &b->commit, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(b->db, "ROLLBACK", -1, &b->rollback, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(b->db, "INSERT INTO acks (id, frame) VALUES (?, ?)",
                           -1, &b->insert, NULL) != SQLITE_OK) {
        fprintf(stderr, "juli-baseline: %s: %s\n", path,
                b->db ? sqlite3_errmsg(b->db) : "cannot open");
        return -1;
    }
    return 0;
}

static int s_bind(base_t *b, const char *endpoint)
{
    b->zctx = zmq_ctx_new();
    b->router = b->zctx ? zmq_socket(b->zctx, ZMQ_ROUTER) : NULL;
    int on = 1, linger = 200;
    int64_t max = 1 << 20;
    if (!b->router ||
        zmq_setsockopt(b->router, ZMQ_ROUTER_MANDATORY, &on, sizeof on) < 0 ||
        zmq_setsockopt(b->router, ZMQ_LINGER, &linger, sizeof linger) < 0 ||
        zmq_setsockopt(b->router, ZMQ_MAXMSGSIZE, &max, sizeof max) < 0 ||
        zmq_bind(b->router, endpoint) < 0) {
        fprintf(stderr, "juli-baseline: cannot bind %s: %s\n", endpoint,
                zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Receives one whole message into M. Returns 1, 0 when nothing waits, or
 * -1 for a message of another shape (dropped, as juli drops it). */
static int s_recv(base_t *b, base_msg_t *m)
{
    zmq_msg_t parts[3];
    int n = 0, more = 1, extra = 0;
    while (more) {
        zmq_msg_t scratch, *p = n < 3 ? &parts[n] : &scratch;
        zmq_msg_init(p);
        if (zmq_msg_recv(p, b->router, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(p);
            return 0; /* ZeroMQ delivers messages whole: n is 0 */
        }
        more = zmq_msg_more(p);
        if (p == &scratch) {
            zmq_msg_close(p);
            extra = 1;
        } else
            n++;
    }
    int delimiter = n == 3 && zmq_msg_size(&parts[1]) == 0;
    if (extra || n < 2 || (n == 3 && !delimiter)) {
        for (int i = 0; i < n; i++)
            zmq_msg_close(&parts[i]);
        return -1;
    }
    m->peer = parts[0];
    m->payload = parts[n - 1];
    if (n == 3)
        zmq_msg_close(&parts[1]);
    m->delimiter = delimiter;
    return 1;
}

/* Decodes M's frame: its id, and whether it is a health probe. */
static void s_decode(base_t *b, base_msg_t *m)
{
    msgpack_object root;
    char err[128];
    m->bad = m->health = 0;
    m->id_len = 0;
    if (frame_decode(b->decoder, zmq_msg_data(&m->payload),
                     zmq_msg_size(&m->payload), &root, err, sizeof err) < 0) {
        m->bad = 1;
        return;
    }
    for (uint32_t i = 0; i < root.via.map.size; i++) {
        const msgpack_object *k = &root.via.map.ptr[i].key;
        const msgpack_object *v = &root.via.map.ptr[i].val;
        if (v->type != MSGPACK_OBJECT_STR)
            continue;
        if (k->via.str.size == 2 && memcmp(k->via.str.ptr, "id", 2) == 0 &&
            v->via.str.size <= BASE_MAX_ID) {
            memcpy(m->id, v->via.str.ptr, v->via.str.size);
            m->id_len = v->via.str.size;
        } else if (k->via.str.size == 4 &&
                   memcmp(k->via.str.ptr, "type", 4) == 0 &&
                   v->via.str.size == 6 &&
                   memcmp(v->via.str.ptr, "health", 6) == 0)
            m->health = 1;
    }
    if (!m->id_len && !m->health)
        m->bad = 1; /* juli answers a write without an id as invalid */
}

static int s_step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* Writes the batch in one transaction. Returns 0, or -1 (rolled back). */
static int s_commit(base_t *b, size_t n)
{
    if (s_step(b->begin) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        base_msg_t *m = &b->batch[i];
        if (m->bad || m->health)
            continue;
        sqlite3_bind_text(b->insert, 1, m->id, (int)m->id_len, SQLITE_STATIC);
        sqlite3_bind_blob(b->insert, 2, zmq_msg_data(&m->payload),
                          (int)zmq_msg_size(&m->payload), SQLITE_STATIC);
        if (s_step(b->insert) < 0) {
            s_step(b->rollback);
            return -1;
        }
    }
    if (s_step(b->commit) < 0) {
        s_step(b->rollback);
        return -1;
    }
    b->commits_since_checkpoint++;
    return 0;
}

static void s_ack(base_t *b, base_msg_t *m, int committed)
{
    pack_t *r = &b->reply;
    pack_reset(r);
    int ok = !m->bad && (committed || m->health);
    pack_map(r, (ok ? 1 : 3) + (m->id_len ? 1 : 0));
    pack_kbool(r, "ok", ok);
    if (m->id_len)
        pack_kstrn(r, "id", m->id, m->id_len);
    if (!ok) {
        pack_kstr(r, "error", m->bad ? "malformed" : "unavailable");
        pack_kstr(r, "detail", "");
    }
    /* A vanished peer is not worth more than the lost ack. */
    if (zmq_msg_send(&m->peer, b->router, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
        (!m->delimiter ||
         zmq_send(b->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0))
        zmq_send(b->router, pack_data(r), pack_size(r), ZMQ_DONTWAIT);
    zmq_msg_close(&m->peer);
    zmq_msg_close(&m->payload);
}

static void s_run(base_t *b)
{
    while (!s_stop) {
        zmq_pollitem_t item = {.socket = b->router, .events = ZMQ_POLLIN};
        if (zmq_poll(&item, 1, 1000) < 0 && errno != EINTR)
            break;
        size_t n = 0;
        while (n < BASE_BATCH) {
            int rc = s_recv(b, &b->batch[n]);
            if (rc == 0)
                break;
            if (rc == 1)
                s_decode(b, &b->batch[n++]);
        }
        int writes = 0;
        for (size_t i = 0; i < n; i++)
            writes += !b->batch[i].bad && !b->batch[i].health;
        int committed = writes ? s_commit(b, n) == 0 : 1;
        for (size_t i = 0; i < n; i++)
            s_ack(b, &b->batch[i], committed);
        time_t now = time(NULL);
        if (b->commits_since_checkpoint && now != b->checkpointed) {
            sqlite3_wal_checkpoint_v2(b->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                      NULL, NULL);
            b->commits_since_checkpoint = 0;
            b->checkpointed = now;
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"api", required_argument, NULL, 'a'},
        {"db", required_argument, NULL, 'd'},
        {"synchronous", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *api = NULL, *db = NULL;
    int full = 1, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            api = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 's':
            full = strcmp(optarg, "normal") != 0;
            if (full && strcmp(optarg, "full") != 0) {
                fprintf(stderr, "juli-baseline: --synchronous: '%s' is not "
                                "full or normal\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            printf("Usage: juli-baseline --api ENDPOINT --db FILE "
                   "[--synchronous full|normal]\n"
                   "A minimal durable ROUTER server: decode, insert, group "
                   "commit, ack.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!api || !db) {
        fprintf(stderr, "juli-baseline: --api and --db are required\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = s_on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    static base_t b;
    frame_limits_t lim = frame_limits_default();
    int rc = 1;
    pack_init(&b.reply);
    if (!(b.decoder = frame_decoder_new(&lim)))
        goto done;
    if (s_open_store(&b, db, full) < 0)
        goto done;
    if (s_bind(&b, api) < 0)
        goto done;
    s_run(&b);
    rc = 0;
done:
    if (b.router)
        zmq_close(b.router);
    if (b.zctx)
        zmq_ctx_term(b.zctx);
    sqlite3_finalize(b.begin);
    sqlite3_finalize(b.commit);
    sqlite3_finalize(b.rollback);
    sqlite3_finalize(b.insert);
    sqlite3_close(b.db);
    frame_decoder_destroy(&b.decoder);
    pack_free(&b.reply);
    return rc;
}
