/*
 * evdns_prog.c - libevent 1.4's evdns.c and its own DNS regression test (test/regress_dns.c, both
 * unmodified in third_party/libevent-1.4) on ev's libevent shim (issue 18, item 7).
 *
 * regress_dns.c's dns_suite() runs dns_server() (its own DNS server on 127.0.0.1 made with
 * evdns_add_server_port, queried through evdns), then evdns_init() (/etc/resolv.conf) and three
 * lookups of Internet names. This runner (ev's) calls the same functions in the same order, with
 * one change: instead of evdns_init() the nameserver is a second local responder, made the same
 * way, that answers those three names, so the test needs no network. Then it checks that a
 * warning of the shim reaches the log callback the program installed through libevent's log.c.
 * Each backend (LIBEV_FLAGS 1, 2, 4, 128 where supported) runs the whole suite in a child.
 */
#include "test/regress_dns.c"

#include <sys/wait.h>

/* Under LeakSanitizer: libevent 1.4's server_port_free never frees the port ("XXXX actually free
 * the port? -NM" in evdns.c), a leak of libevent's, not of the shim's. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:evdns_add_server_port\n";
}

/* The local stand-in for the Internet's DNS: www.monkey.org A, www.ietf.org AAAA and the PTR of
 * 127.0.0.1, which dns_gethostbyname/6/addr ask for. */
static void local_answer(struct evdns_server_request *req, void *data)
{
    int err = 0;
    (void)data;
    for (int i = 0; i < req->nquestions; ++i) {
        const struct evdns_server_question *q = req->questions[i];
        if (q->type == EVDNS_TYPE_A && !strcmp(q->name, "www.monkey.org")) {
            struct in_addr a;
            a.s_addr = htonl(0x7f000002UL);
            evdns_server_request_add_a_reply(req, q->name, 1, &a.s_addr, 300);
        } else if (q->type == EVDNS_TYPE_AAAA && !strcmp(q->name, "www.ietf.org")) {
            char a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
            evdns_server_request_add_aaaa_reply(req, q->name, 1, a6, 300);
        } else if (q->type == EVDNS_TYPE_PTR && !strcmp(q->name, "1.0.0.127.in-addr.arpa")) {
            evdns_server_request_add_ptr_reply(req, NULL, q->name, "localhost", 300);
        } else {
            err = DNS_ERR_NOTEXIST;
        }
    }
    evdns_server_request_respond(req, err);
}

static int shim_warnings;
static void log_cb(int severity, const char *msg)
{
    if (severity == _EVENT_LOG_WARN && strstr(msg, "event_add"))
        ++shim_warnings;
}

static int run_suite(void)
{
    if (!event_init())
        return 2;

    dns_server(); /* regress_dns.c: "Do this before we call evdns_init." */

    /* In place of evdns_init(): a nameserver on loopback. */
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(0x7f000001UL);
    if (sock < 0 || bind(sock, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        getsockname(sock, (struct sockaddr *)&sin, &len) < 0) {
        perror("local nameserver");
        return 1;
    }
    evutil_make_socket_nonblocking(sock);
    struct evdns_server_port *port = evdns_add_server_port(sock, 0, local_answer, NULL);
    char ns[32];
    snprintf(ns, sizeof ns, "127.0.0.1:%d", ntohs(sin.sin_port));
    if (!port || evdns_nameserver_ip_add(ns) != 0) {
        printf("cannot configure the local nameserver\n");
        return 1;
    }

    dns_gethostbyname();
    dns_gethostbyname6();
    dns_gethostbyaddr();
    evdns_shutdown(0);
    evdns_close_server_port(port);

    /* The shim's own warnings go to the callback set through log.c (issue 18, item 7). */
    event_set_log_callback(log_cb);
    struct event never_set;
    memset(&never_set, 0, sizeof never_set);
    if (event_add(&never_set, NULL) != -1 || shim_warnings != 1) {
        printf("FAILED: the shim's warning did not reach log.c's callback (%d)\n", shim_warnings);
        return 1;
    }
    printf("log callback: OK\n");
    return 0;
}

int main(void)
{
    static const unsigned backends[] = {EVBACKEND_SELECT, EVBACKEND_POLL, EVBACKEND_EPOLL,
                                        EVBACKEND_IOURING};
    int failed = 0, ran = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; ++i) {
        unsigned b = backends[i];
        if (!(ev_supported_backends() & b))
            continue;
        printf("--- LIBEV_FLAGS=%u\n", b);
        pid_t pid = fork();
        if (pid == 0) {
            char flags[16];
            snprintf(flags, sizeof flags, "%u", b);
            setenv("LIBEV_FLAGS", flags, 1);
            exit(run_suite());
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            printf("FAILED on backend %u (status %d)\n", b, status);
            ++failed;
        }
        ++ran;
    }
    printf("%d backends, %d failed\n", ran, failed);
    return failed || !ran;
}
