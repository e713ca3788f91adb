/*
 * fault_slot.h - the armed failures of one wrapped call, shared by sysfault.cc and emufault.cc:
 * Arm(err, times, skip) makes the call fail with err `times` times after letting `skip` calls
 * through; every call is counted, every failure too.
 */
#ifndef EV_TESTS_COV_BACKENDS_FAULT_SLOT_H
#define EV_TESTS_COV_BACKENDS_FAULT_SLOT_H

#include <errno.h>

namespace covfault {

struct Slot {
    int err = 0, times = 0, skip = 0;
    int calls = 0, injected = 0;

    void Arm(int e, int n, int s)
    {
        err = e;
        times = n;
        skip = s;
    }

    /* Counts the call; true if it must fail (errno is then set, or err was 0). */
    bool Hit()
    {
        ++calls;
        if (times <= 0)
            return false;
        if (skip > 0) {
            --skip;
            return false;
        }
        --times;
        ++injected;
        errno = err;
        return true;
    }
};

} // namespace covfault

#endif
