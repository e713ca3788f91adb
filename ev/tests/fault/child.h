/*
 * child.h - running a scenario in a forked child, for the fault tests: ev aborts on an
 * allocation failure and on an unrecoverable system error (as libev), so such cases are observed
 * from outside.
 */
#ifndef EV_TESTS_FAULT_CHILD_H_
#define EV_TESTS_FAULT_CHILD_H_

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace evfault {

/* Runs fn in a forked child with stderr captured into *err; returns the wait status. A hang ends
 * as SIGALRM after a minute, never as a passing test. */
template <class F> int RunInChild(F fn, std::string *err)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(60);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        fn();
        _exit(0);
    }
    close(p[1]);
    char buf[512];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0)
        err->append(buf, (size_t)n);
    close(p[0]);
    int status = -1;
    waitpid(pid, &status, 0);
    return status;
}

} // namespace evfault

#endif /* EV_TESTS_FAULT_CHILD_H_ */
