/*
 * server_uv.c - the HTTP/1.1 keep-alive benchmark server on libuv (see server.h). Reads with
 * uv_read_start (libuv owns the read watcher), answers with uv_try_write and queues the rest with
 * uv_write (libuv watches for writability only while a write is queued), and resets the idle
 * timeout with uv_timer_again.
 */
#include "server.h"

#include <uv.h>

struct conn {
    uv_tcp_t tcp;
    uv_timer_t idle;
    uv_write_t wr;
    int state, owed, writing, closing;
    size_t olen;
    char out[SRV_OUT_CAP];
    char in[16384];
};

static uv_loop_t *loop;
static uint64_t idle_ms;

static void conn_freed(uv_handle_t *h)
{
    struct conn *c = (struct conn *)h->data;
    if (--c->closing == 0)
        free(c);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = 2;
    uv_close((uv_handle_t *)&c->tcp, conn_freed);
    uv_close((uv_handle_t *)&c->idle, conn_freed);
}

static void conn_flush(struct conn *c);

static void write_done(uv_write_t *req, int status)
{
    struct conn *c = (struct conn *)req->data;
    c->writing = 0;
    if (status < 0) {
        conn_close(c);
        return;
    }
    c->olen = 0;
    c->owed = srv_queue(c->out, &c->olen, c->owed);
    conn_flush(c);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = (struct conn *)h->data;
    *buf = uv_buf_init(c->in, sizeof c->in);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void conn_flush(struct conn *c)
{
    if (c->writing || c->closing || c->olen == 0)
        return;
    int k = uv_try_write((uv_stream_t *)&c->tcp, &(uv_buf_t){.base = c->out, .len = c->olen}, 1);
    if (k == (int)c->olen) {
        c->olen = 0;
        c->owed = srv_queue(c->out, &c->olen, c->owed);
        if (c->olen)
            conn_flush(c);
        return;
    }
    if (k < 0 && k != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    size_t done = k > 0 ? (size_t)k : 0;
    memmove(c->out, c->out + done, c->olen - done);
    c->olen -= done;
    uv_buf_t b = uv_buf_init(c->out, (unsigned)c->olen);
    c->writing = 1;
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, write_done) < 0)
        conn_close(c);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = (struct conn *)s->data;
    if (n < 0) {
        conn_close(c);
        return;
    }
    int reqs = srv_count_requests(buf->base, (size_t)n, &c->state);
    if (reqs) {
        uv_timer_again(&c->idle);
        c->owed = c->writing ? c->owed + reqs : srv_queue(c->out, &c->olen, c->owed + reqs);
        conn_flush(c);
    }
}

static void idle_cb(uv_timer_t *t)
{
    conn_close((struct conn *)t->data);
}

static void accept_cb(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    struct conn *c = (struct conn *)calloc(1, sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_timer_init(loop, &c->idle);
    c->idle.data = c;
    uv_timer_start(&c->idle, idle_cb, idle_ms, idle_ms);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

static void stop_cb(uv_signal_t *s, int signum)
{
    uv_stop(loop);
}

int main(int argc, char **argv)
{
    loop = uv_default_loop();
    idle_ms = (uint64_t)srv_arg(argc, argv, "idle", 10) * 1000;
    int lfd = srv_listen((int)srv_arg(argc, argv, "port", 0));
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    if (uv_tcp_open(&server, lfd) < 0 || uv_listen((uv_stream_t *)&server, 4096, accept_cb) < 0) {
        fprintf(stderr, "server: uv_listen failed\n");
        return 2;
    }
    uv_signal_t term, intr;
    uv_signal_init(loop, &term);
    uv_signal_start(&term, stop_cb, SIGTERM);
    uv_signal_init(loop, &intr);
    uv_signal_start(&intr, stop_cb, SIGINT);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}
