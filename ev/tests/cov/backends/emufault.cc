/* emufault.cc - the --wrap wrappers of emufault.h. */
#include "ev/tests/cov/backends/emufault.h"
#include "ev/tests/cov/backends/fault_slot.h"

#include <errno.h>
#include <stdint.h>

#include "ev/tests/emu/kqueue_emu.h"
#include "ev/tests/emu/port_emu.h"

extern "C" {
int __real_ev_emu_kqueue(void);
int __real_ev_emu_kevent(int kq, const struct kevent *cl, int nc, struct kevent *el, int ne,
                         const struct timespec *to);
int __real_ev_emu_port_create(void);
int __real_ev_emu_port_getn(int port, port_event_t list[], unsigned int max, unsigned int *nget,
                            timespec_t *timeout);
}

namespace emufault {
namespace {

using covfault::Slot;

Slot slots[NCALL];
int rewrite_events;
bool rewrite_stale;

bool Hit(Call c)
{
    return slots[c].Hit();
}

} // namespace

void Arm(Call c, int err, int times, int skip)
{
    slots[c].Arm(err, times, skip);
}

void RewritePortEvent(int events, bool stale)
{
    rewrite_events = events;
    rewrite_stale = stale;
}

void Reset()
{
    for (Slot &s : slots)
        s = Slot();
    rewrite_events = 0;
    rewrite_stale = false;
}

int Calls(Call c)
{
    return slots[c].calls;
}

int Injected(Call c)
{
    return slots[c].injected;
}

} // namespace emufault

using emufault::Hit;

extern "C" {

int __wrap_ev_emu_kqueue(void)
{
    if (Hit(emufault::KQUEUE))
        return -1;
    return __real_ev_emu_kqueue();
}

int __wrap_ev_emu_kevent(int kq, const struct kevent *cl, int nc, struct kevent *el, int ne,
                         const struct timespec *to)
{
    if (Hit(emufault::KEVENT))
        return -1;
    return __real_ev_emu_kevent(kq, cl, nc, el, ne, to);
}

int __wrap_ev_emu_port_create(void)
{
    if (Hit(emufault::PORT_CREATE))
        return -1;
    return __real_ev_emu_port_create();
}

int __wrap_ev_emu_port_getn(int port, port_event_t list[], unsigned int max, unsigned int *nget,
                            timespec_t *timeout)
{
    if (Hit(emufault::PORT_GETN)) {
        *nget = 0;
        return -1;
    }
    int r = __real_ev_emu_port_getn(port, list, max, nget, timeout);
    if (*nget > 0 && (emufault::rewrite_events || emufault::rewrite_stale)) {
        if (emufault::rewrite_events)
            list[0].portev_events = emufault::rewrite_events;
        if (emufault::rewrite_stale)
            list[0].portev_user = (void *)(uintptr_t)0xdead0000u;
        emufault::rewrite_events = 0;
        emufault::rewrite_stale = false;
    }
    return r;
}

} // extern "C"
