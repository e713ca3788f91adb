/*
 * port_emu.h - a test-only stand-in for Solaris/illumos <port.h>: event ports
 * for file descriptors (PORT_SOURCE_FD), emulated on top of epoll so that the
 * real port backend (ev/backends/port.c built with -DEV_PORT_EMU) runs here.
 * The names are macros onto ev_emu_port_* functions. See port_emu.c for the
 * semantics kept (one-shot associations, ETIME with events) and the limits.
 */
#ifndef EV_TESTS_EMU_PORT_EMU_H_
#define EV_TESTS_EMU_PORT_EMU_H_

#include <poll.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct port_event {
    int portev_events;            /* POLL* that happened */
    unsigned short portev_source; /* PORT_SOURCE_* */
    unsigned short portev_pad;
    uintptr_t portev_object; /* the fd */
    void *portev_user;       /* as given to port_associate */
} port_event_t;

typedef struct timespec timespec_t;

#define PORT_SOURCE_AIO 1
#define PORT_SOURCE_TIMER 2
#define PORT_SOURCE_USER 3
#define PORT_SOURCE_FD 4
#define PORT_SOURCE_ALERT 5

int ev_emu_port_create(void);
int ev_emu_port_associate(int port, int source, uintptr_t object, int events, void *user);
int ev_emu_port_dissociate(int port, int source, uintptr_t object);
int ev_emu_port_getn(int port, port_event_t list[], unsigned int max, unsigned int *nget,
                     timespec_t *timeout);

#define port_create ev_emu_port_create
#define port_associate ev_emu_port_associate
#define port_dissociate ev_emu_port_dissociate
#define port_getn ev_emu_port_getn

#ifdef __cplusplus
}
#endif

#endif /* EV_TESTS_EMU_PORT_EMU_H_ */
