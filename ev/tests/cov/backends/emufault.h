/*
 * emufault.h - failures injected into the emulated kqueue and event-port calls
 * (ev/tests/emu), for tests of kqueue.c and port.c linked with //ev/tests/emu:core_emu: the
 * backends' calls go through -Wl,--wrap (BUILD.bazel's EMUFAULT_WRAPS; the lines below tell
 * tools/coverage.sh). Single-threaded use.
 */
// coverage.sh: lib=emu ev/tests/cov/backends/emufault.cc
// coverage.sh: -Wl,--wrap=ev_emu_kqueue -Wl,--wrap=ev_emu_kevent
// coverage.sh: -Wl,--wrap=ev_emu_port_create -Wl,--wrap=ev_emu_port_getn
#ifndef EV_TESTS_COV_BACKENDS_EMUFAULT_H_
#define EV_TESTS_COV_BACKENDS_EMUFAULT_H_

namespace emufault {

enum Call { KQUEUE, KEVENT, PORT_CREATE, PORT_GETN, NCALL };

/* The next `times` calls of c, after `skip` that pass, fail with err. */
void Arm(Call c, int err, int times, int skip = 0);
/* The first event the next successful port_getn returns gets these portev_events (nonzero), or
 * a user pointer that is no generation ev handed out (stale). */
void RewritePortEvent(int events, bool stale);
void Reset();
int Calls(Call c);
int Injected(Call c);

} // namespace emufault

#endif
