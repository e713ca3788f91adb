/* Embedding by copying files, as libev's manual describes: ev.c is compiled as part of this
 * file, and embed_other.c only includes ev.h. */
#define EV_STANDALONE 1
#include "ev.c"

#include <stdio.h>

/* The ecb_* macros that libev's ev.c leaves visible to the file that includes it, used here as
 * embedders use them (Perl's EV module: ecb_expect_true/ecb_expect_false). Under -Werror an
 * undefined one fails the build (implicit declaration, or a syntax error for the attributes). */
#if !defined(ecb_expect_true) || !defined(ecb_expect_false) || !defined(ecb_likely) ||             \
    !defined(ecb_unlikely) || !defined(ecb_inline) || !defined(ecb_noinline) ||                    \
    !defined(ecb_cold) || !defined(ecb_hot) || !defined(ecb_unused) || !defined(ecb_attribute)
#error "ev.c does not define the ecb_* macros"
#endif

ecb_inline int twice(int x)
{
    return 2 * x;
}

ecb_noinline ecb_cold static int rare(int x)
{
    return x + 1;
}

ecb_hot static int hot(int x)
{
    return x - 1;
}

static int checked(int x) ecb_attribute((__warn_unused_result__));
static int checked(int x)
{
    return x;
}

static int use_ecb(int x)
{
    ecb_unused int spare = x;
    int n = 0;
    if (ecb_expect_true(x > 0))
        n += twice(x);
    if (ecb_expect_false(x < 0))
        n += rare(x);
    if (ecb_likely(x != 7))
        n += hot(x);
    if (ecb_unlikely(x == 7))
        n = 0;
    return checked(n); /* x = 3: 6 + 2 */
}

int other_run(struct ev_loop *loop); /* embed_other.c */

int main(void)
{
    struct ev_loop *loop = ev_default_loop(EVFLAG_NOENV);
    if (!loop)
        return 1;
    if (use_ecb(3) != 8)
        return 1;
    int fired = other_run(loop);
    printf("embedded ev: backend %u, %d timer callbacks\n", ev_backend(loop), fired);
    ev_loop_destroy(loop);
    return fired == 3 ? 0 : 1;
}
