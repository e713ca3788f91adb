/* Stand-in for the BSD <sys/tree.h> that libevent 1.x's log.c includes (glibc has none; libevent
 * shipped its own copy under compat/). log.c uses nothing from it. Written for ev's tests. */
