/*
 * cov_util.h - helpers of the ev/core coverage tests (issue #15):
 *   - an SIGABRT handler that writes the gcov counters before the process dies, so that the
 *     lines leading to an abort (usage errors, ev_verify's checks, allocation failures) count
 *     when tools/coverage.sh builds these tests with --coverage (a no-op otherwise: __gcov_dump
 *     is a weak reference that stays null without gcov);
 *   - RunChild: a scenario in a forked child, which reports through its exit status;
 *   - FailSyscalls: a seccomp filter that makes chosen system calls fail with a chosen errno in
 *     the calling process (only ever in a forked child: a filter cannot be removed). This reaches
 *     the library's error paths through its real calls, with no link-time wrapping.
 */
#ifndef EV_TESTS_COV_CORE_COV_UTIL_H_
#define EV_TESTS_COV_CORE_COV_UTIL_H_

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

extern "C" void __gcov_dump(void) __attribute__((weak));

namespace covcore {

inline void DumpOnAbort(int)
{
    if (__gcov_dump)
        __gcov_dump();
    /* returning from the handler: abort() goes on to kill the process with SIGABRT */
}

struct AbortHook {
    AbortHook()
    {
        struct sigaction sa {};
        sa.sa_handler = DumpOnAbort;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESETHAND;
        sigaction(SIGABRT, &sa, nullptr);
    }
};
/* One per test program (inline variable: C++17). Death-test children re-run the program's
 * static initialisers (threadsafe style) or inherit the handler (fast style). */
inline AbortHook abort_hook;

/* Fails the child (exit status = the line) with a message when cond is false. */
#define COV_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond);         \
            return __LINE__ % 200 + 1;                                                             \
        }                                                                                          \
    } while (0)

/* Runs fn() (returning 0 on success) in a forked child; returns the wait status. A hang ends as
 * SIGALRM after a minute. */
template <class F> int RunChild(F fn)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(60);
        _exit(fn());
    }
    int status = -1;
    while (waitpid(pid, &status, 0) < 0)
        ;
    return status;
}

inline bool ExitedOk(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A system call to fail: nr, and (arg >= 0) only when its argument number `arg` (low 32 bits)
 * equals `value`, and (arg2 >= 0) argument `arg2` equals `value2` too. */
struct Fail {
    long nr;
    int err;
    int arg = -1;
    unsigned value = 0;
    int arg2 = -1;
    unsigned value2 = 0;
};

/* Installs the filter in the calling process; false if the kernel refuses it. */
inline bool FailSyscalls(const std::vector<Fail> &rules)
{
    std::vector<sock_filter> p;
    for (const Fail &r : rules) {
        /* [nr] [== r.nr?] ([arg] [== value?])* [ret errno]: each failed test jumps past the
         * rest of the rule */
        int conds = (r.arg >= 0) + (r.arg2 >= 0);
        int rest = 1 + 2 * conds; /* instructions after the nr test */
        p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
        p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)r.nr, 0, (unsigned char)rest));
        const int args[2] = {r.arg, r.arg2};
        const unsigned values[2] = {r.value, r.value2};
        for (int i = 0; i < 2; ++i) {
            if (args[i] < 0)
                continue;
            rest -= 2;
            p.push_back(
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                         (unsigned)(offsetof(struct seccomp_data, args) + 8 * (unsigned)args[i])));
            p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, values[i], 0, (unsigned char)rest));
        }
        p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)r.err & 0xffff)));
    }
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    sock_fprog prog{};
    prog.len = (unsigned short)p.size();
    prog.filter = p.data();
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return false;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/* Whether seccomp filters work here (not under qemu-user, whose guest syscall numbers are not
 * the host's). Tried once in a child. */
inline bool SeccompWorks()
{
    static int works = -1;
    if (works < 0) {
        if (std::getenv("EV_TEST_EMULATOR") && *std::getenv("EV_TEST_EMULATOR")) {
            works = 0;
        } else {
            int st = RunChild([] {
                if (!FailSyscalls({{SYS_getppid, 77}}))
                    return 1;
                return syscall(SYS_getppid) == -1 && errno == 77 ? 0 : 2;
            });
            works = ExitedOk(st);
        }
    }
    return works == 1;
}

#define COV_NEED_SECCOMP()                                                                         \
    do {                                                                                           \
        if (!::covcore::SeccompWorks())                                                            \
            GTEST_SKIP() << "seccomp filters unavailable here";                                    \
    } while (0)

} // namespace covcore

#endif /* EV_TESTS_COV_CORE_COV_UTIL_H_ */
