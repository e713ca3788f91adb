/* Built by enable_values_test.sh under one embedding configuration (the settings come first
 * through -include) against some ev.h, or with our ev.c included: prints what the header
 * exposes after configuration, i.e. the EV_*_ENABLE values an embedder's #if sees (or
 * "undefined"), the configuration macros they depend on, and the sizes of the watcher types,
 * one per line, so two builds can be compared with diff. */
#ifdef INCLUDE_EV_C
#define EV_STANDALONE 1
#include "ev.c"
#else
#include EV_HEADER_PATH
#endif

#include <stdio.h>

#define SHOW(name) printf("%-20s %ld\n", #name, (long)(name))
#define SHOW_UNDEF(name) printf("%-20s undefined\n", #name)
#define SHOW_SIZE(type) printf("sizeof(%s) %d\n", #type, (int)sizeof(type))

int main(void)
{
    SHOW(EV_FEATURES);
    SHOW(EV_MULTIPLICITY);
    SHOW(EV_MINPRI);
    SHOW(EV_MAXPRI);
#ifdef EV_IO_ENABLE
    SHOW(EV_IO_ENABLE);
#else
    SHOW_UNDEF(EV_IO_ENABLE);
#endif
    SHOW(EV_PERIODIC_ENABLE);
    SHOW(EV_STAT_ENABLE);
    SHOW(EV_PREPARE_ENABLE);
    SHOW(EV_CHECK_ENABLE);
    SHOW(EV_IDLE_ENABLE);
    SHOW(EV_FORK_ENABLE);
    SHOW(EV_CLEANUP_ENABLE);
    SHOW(EV_SIGNAL_ENABLE);
    SHOW(EV_CHILD_ENABLE);
    SHOW(EV_ASYNC_ENABLE);
#ifdef EV_EMBED_ENABLE
    SHOW(EV_EMBED_ENABLE);
#else
    SHOW_UNDEF(EV_EMBED_ENABLE);
#endif
    SHOW(EV_WALK_ENABLE);
    SHOW_SIZE(ev_io);
    SHOW_SIZE(ev_timer);
    SHOW_SIZE(ev_periodic);
    SHOW_SIZE(ev_signal);
    SHOW_SIZE(ev_child);
#if EV_STAT_ENABLE
    SHOW_SIZE(ev_stat);
#endif
    SHOW_SIZE(ev_idle);
    SHOW_SIZE(ev_prepare);
    SHOW_SIZE(ev_check);
    SHOW_SIZE(ev_fork);
    SHOW_SIZE(ev_cleanup);
#if EV_EMBED_ENABLE
    SHOW_SIZE(ev_embed);
#endif
#if EV_ASYNC_ENABLE
    SHOW_SIZE(ev_async);
#endif
    SHOW_SIZE(union ev_any_watcher);
    return 0;
}
