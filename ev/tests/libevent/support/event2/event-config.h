/* Stand-in for libevent's generated <event2/event-config.h> in ev's runs of libevent's own tests:
 * what configure finds on Linux, for the headers those tests test for. */
#define EVENT__HAVE_SYS_TIME_H 1
#define EVENT__HAVE_SYS_SOCKET_H 1
#define EVENT__HAVE_SIGACTION 1
#define EVENT__HAVE_UNISTD_H 1
#define EVENT__HAVE_FCNTL_H 1
#define EVENT__HAVE_SETITIMER 1
