/* Embedding by copying files, as libev's manual describes: ev.c is compiled as part of this
 * file, and embed_other.c only includes ev.h. */
#define EV_STANDALONE 1
#include "ev.c"

#include <stdio.h>

int other_run(struct ev_loop *loop); /* embed_other.c */

int main(void)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    if (!loop)
        return 1;
    int fired = other_run(loop);
    printf("embedded ev: backend %u, %d timer callbacks\n", ev_backend(loop), fired);
    ev_loop_destroy(loop);
    return fired == 3 ? 0 : 1;
}
