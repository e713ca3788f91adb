/*
 * regress_legacy.c - runs the 1.x-core-API legacy cases of libevent's own test/regress.c (fetched
 * from Debian's libevent source and cut out by extract_regress.py into regress_cases.c) against
 * ev's libevent shim. This file is ev's: the globals and the few tinytest macros the cases use,
 * and a runner that does what libevent's legacy wrapper does: a fresh process per case, a base
 * made by event_init(), a connected socket pair in `pair`, test_ok and called reset; the case
 * passes when it leaves test_ok set and no check failed.
 *   regress_legacy CASE   -> exit 0 (passed), 1 (failed)
 */
#include "event2/event-config.h"
#include "le2_compat.h"

#include <stdio.h>
#include <sys/time.h>
#include <sys/wait.h>

evutil_socket_t pair[2];
int test_ok;
int called;
struct event_base *global_base;
int in_legacy_test_wrapper;
static int check_failed;

/* tinytest's reporting, reduced to what the cases use. */
#define TT_FAIL(args)                                                                              \
    do {                                                                                           \
        printf("  check failed (%s:%d): ", __FILE__, __LINE__);                                    \
        printf args;                                                                               \
        printf("\n");                                                                              \
        check_failed = 1;                                                                          \
    } while (0)
#define TT_BLATHER(args)                                                                           \
    do {                                                                                           \
    } while (0)
#define tt_fail_perror(op) TT_FAIL(("%s: %s [%d]", (op), strerror(errno), errno))
#define tt_fail_msg(msg) TT_FAIL(("%s", msg))
#define tt_assert(b)                                                                               \
    do {                                                                                           \
        if (!(b)) {                                                                                \
            TT_FAIL(("assert(%s)", #b));                                                           \
            goto end;                                                                              \
        }                                                                                          \
    } while (0)

/* libevent allows 50 ms either way; on a loaded CI machine a timer can fire later than that, so
 * only the early side keeps libevent's tolerance (a listed change, see README.md). */
static long msec_between(const struct timeval *a, const struct timeval *b)
{
    return (long)(b->tv_sec - a->tv_sec) * 1000 + (long)(b->tv_usec - a->tv_usec) / 1000;
}
#define test_timeval_diff_eq(tv1, tv2, diff)                                                       \
    do {                                                                                           \
        long ms_ = msec_between((tv1), (tv2));                                                     \
        if (ms_ < (diff)-50 || ms_ > (diff) + 5000) {                                              \
            TT_FAIL(("%ld ms elapsed, expected %d", ms_, (int)(diff)));                            \
            goto end;                                                                              \
        }                                                                                          \
    } while (0)

#include "regress_cases.c"

struct legacy_case {
    const char *name;
    void (*fn)(void);
};

#define CASE(n)                                                                                    \
    {                                                                                              \
#n, test_##n                                                                               \
    }
static const struct legacy_case cases[] = {
    CASE(simpleread),
    CASE(simpleread_multiple),
    CASE(simplewrite),
    CASE(multiple),
    CASE(persistent),
    CASE(combined),
    CASE(simpletimeout),
    CASE(loopexit),
    CASE(loopexit_multiple),
    CASE(loopbreak),
    CASE(priorities),
    CASE(multiple_events_for_same_fd),
    CASE(want_only_once),
    CASE(simplestsignal),
    CASE(simplesignal),
    CASE(multiplesignal),
    CASE(immediatesignal),
    CASE(signal_dealloc),
    CASE(signal_assert),
    CASE(signal_restore),
    CASE(signal_while_processing),
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        if (strcmp(cases[i].name, argv[1]) != 0)
            continue;
        global_base = event_init();
        if (!global_base || socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
            perror("setup");
            return 1;
        }
        test_ok = called = 0;
        in_legacy_test_wrapper = 1;
        cases[i].fn();
        in_legacy_test_wrapper = 0;
        int ok = test_ok && !check_failed;
        printf("%s: %s\n", cases[i].name, ok ? "OK" : "FAILED");
        return ok ? 0 : 1;
    }
    fprintf(stderr, "%s: no case %s\n", argv[0], argv[1]);
    return 2;
}
