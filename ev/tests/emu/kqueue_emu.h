/*
 * kqueue_emu.h - a test-only stand-in for <sys/event.h>: kqueue() and kevent()
 * for EVFILT_READ / EVFILT_WRITE, emulated on top of epoll so that the real
 * kqueue backend (ev/backends/kqueue.c built with -DEV_KQUEUE_EMU) runs here.
 * The names are macros onto ev_emu_* functions, so nothing clashes with a
 * libc that has its own. Semantics follow FreeBSD's kqueue(2): see
 * kqueue_emu.c for exactly what is emulated and where it stops.
 */
#ifndef EV_TESTS_EMU_KQUEUE_EMU_H_
#define EV_TESTS_EMU_KQUEUE_EMU_H_

#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kevent {
    uintptr_t ident; /* the fd */
    short filter;    /* EVFILT_* */
    unsigned short flags;
    unsigned int fflags;
    intptr_t data;
    void *udata;
};

#define EVFILT_READ (-1)
#define EVFILT_WRITE (-2)

/* flags, FreeBSD's values */
#define EV_ADD 0x0001
#define EV_DELETE 0x0002
#define EV_ENABLE 0x0004
#define EV_DISABLE 0x0008
#define EV_ONESHOT 0x0010
#define EV_CLEAR 0x0020
#define EV_RECEIPT 0x0040
#define EV_EOF 0x8000
#define EV_ERROR 0x4000

#define EV_SET(kevp, a, b, c, d, e, f)                                                             \
    do {                                                                                           \
        struct kevent *ev_set_kevp_ = (kevp);                                                      \
        ev_set_kevp_->ident = (a);                                                                 \
        ev_set_kevp_->filter = (b);                                                                \
        ev_set_kevp_->flags = (c);                                                                 \
        ev_set_kevp_->fflags = (d);                                                                \
        ev_set_kevp_->data = (e);                                                                  \
        ev_set_kevp_->udata = (f);                                                                 \
    } while (0)

int ev_emu_kqueue(void);
int ev_emu_kevent(int kq, const struct kevent *changelist, int nchanges, struct kevent *eventlist,
                  int nevents, const struct timespec *timeout);

#define kqueue ev_emu_kqueue
#define kevent(kq, cl, nc, el, ne, to) ev_emu_kevent(kq, cl, nc, el, ne, to)

#ifdef __cplusplus
}
#endif

#endif /* EV_TESTS_EMU_KQUEUE_EMU_H_ */
