/* Stand-in for the config.h that libevent 1.4's configure writes, for building its evdns.c and
 * test/regress_dns.c (third_party/libevent-1.4) in ev's tests: configure's results on Linux.
 * Written for ev. */
#define HAVE_SYS_TIME_H 1
#define HAVE_STDINT_H 1
#define HAVE_UNISTD_H 1
#define HAVE_NETDB_H 1
#define HAVE_STRTOK_R 1
#define HAVE_STRUCT_IN6_ADDR 1
#define HAVE_INET_NTOP 1
#define HAVE_FCNTL_H 1
#define HAVE_STDLIB_H 1
/* evdns.c's transaction ids: clock_gettime (configure's choice where it exists). */
#define DNS_USE_CPU_CLOCK_FOR_ID 1
