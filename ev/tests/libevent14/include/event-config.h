/* Stand-in for the event-config.h that libevent 1.4's build generates (evutil.h includes it):
 * what it says on Linux/glibc. Written for ev. */
#define _EVENT_HAVE_SYS_TIME_H 1
#define _EVENT_HAVE_STDINT_H 1
#define _EVENT_HAVE_SYS_TYPES_H 1
#define _EVENT_HAVE_UINT64_T 1
#define _EVENT_HAVE_UINT32_T 1
#define _EVENT_HAVE_UINT16_T 1
#define _EVENT_HAVE_UINT8_T 1
#define _EVENT_HAVE_TIMERADD 1
#define _EVENT_HAVE_TIMERCLEAR 1
#define _EVENT_HAVE_TIMERISSET 1
#define _EVENT_HAVE_GETTIMEOFDAY 1
