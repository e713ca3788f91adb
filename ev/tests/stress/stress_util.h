/*
 * stress_util.h - helpers shared by the stress tests: the seed of the random
 * generators (EV_STRESS_SEED in the environment, so tools/soak.sh can vary it;
 * printed with every failure) and the backends of a given set.
 */
#ifndef EV_TESTS_STRESS_STRESS_UTIL_H_
#define EV_TESTS_STRESS_STRESS_UTIL_H_

#include "ev/tests/test_util.h"

#include <stdlib.h>

#include <vector>

namespace evstress {

inline unsigned Seed()
{
    const char *s = getenv("EV_STRESS_SEED");
    return s && *s ? (unsigned)strtoul(s, nullptr, 0) : 12345u;
}

/* The compiled-in and usable backends among `mask`. */
inline std::vector<unsigned> BackendsIn(unsigned mask)
{
    std::vector<unsigned> out;
    for (unsigned b : evtest::Backends())
        if (b & mask)
            out.push_back(b);
    return out;
}

} // namespace evstress

#endif
