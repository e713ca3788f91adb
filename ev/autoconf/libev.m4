dnl libev.m4 - configure checks for embedding ev (the libev 4.33 compatible event loop).
dnl
dnl In configure.ac, after AC_PROG_CC and AC_CONFIG_HEADERS:
dnl
dnl     m4_include([libev.m4])
dnl
dnl Including the file runs the checks (EV_CHECKS, which may also be called by name if the file
dnl is included early). They define in config.h the HAVE_* symbols that ev.c reads when it is
dnl compiled without EV_STANDALONE (it then includes EV_CONFIG_H, or "config.h", first), and add
dnl the libraries ev needs to LIBS (-lrt for clock_gettime/nanosleep on old C libraries, -lm for
dnl floor, -lpthread where threads are not in libc).
dnl
dnl   header                    function          ev uses them for
dnl   sys/epoll.h               epoll_ctl         the epoll backend (Linux)
dnl   linux/io_uring.h, sys/mman.h                the io_uring backend (Linux, raw system calls)
dnl   sys/event.h               kqueue            the kqueue backend (BSD, macOS)
dnl   port.h                    port_create       the event ports backend (Solaris, illumos)
dnl   poll.h                    poll              the poll backend
dnl   sys/select.h              select            the select backend
dnl   sys/eventfd.h             eventfd           ev_async wake-ups without a pipe
dnl   sys/signalfd.h            signalfd          EVFLAG_SIGNALFD
dnl   sys/timerfd.h             timerfd_create    noticing wall-clock jumps at once (ev_periodic)
dnl   sys/inotify.h             inotify_init      ev_stat without polling
dnl                             clock_gettime     the monotonic clock (else gettimeofday)
dnl                             nanosleep         ev_sleep (else select)
dnl                             floor             ev_periodic (else ev's own floor)
dnl
dnl A facility is used when both its header and its function were found; an EV_USE_* macro set
dnl by the project (in config.h or with -D) overrides the result.

AC_DEFUN([EV_CHECKS], [
AC_REQUIRE([AC_PROG_CC])

AC_CHECK_HEADERS([sys/epoll.h sys/event.h port.h poll.h sys/select.h dnl
sys/eventfd.h sys/signalfd.h sys/timerfd.h sys/inotify.h sys/mman.h linux/io_uring.h])

AC_CHECK_FUNCS([epoll_ctl kqueue port_create poll select dnl
eventfd signalfd timerfd_create inotify_init])

dnl clock_gettime and nanosleep lived in librt before glibc 2.17.
AC_SEARCH_LIBS([clock_gettime], [rt],
  [AC_DEFINE([HAVE_CLOCK_GETTIME], [1], [Define to 1 if you have the `clock_gettime' function.])])
AC_SEARCH_LIBS([nanosleep], [rt],
  [AC_DEFINE([HAVE_NANOSLEEP], [1], [Define to 1 if you have the `nanosleep' function.])])

dnl floor is in libm on most systems.
AC_SEARCH_LIBS([floor], [m],
  [AC_DEFINE([HAVE_FLOOR], [1], [Define to 1 if you have the `floor' function.])])

dnl Thread-safe wake-ups (ev_async) and the loop registry use POSIX threads.
AC_SEARCH_LIBS([pthread_mutex_lock], [pthread])
])

EV_CHECKS
