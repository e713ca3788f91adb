// ev++ with EV_MULTIPLICITY=0: one implicit loop, no loop arguments, watcher objects the size of
// the C watchers (as libev's ev++.h). Built against the amalgamation compiled the same way.
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "ev++.h"

#if EV_MULTIPLICITY
#error "this program is meant for EV_MULTIPLICITY=0"
#endif

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            std::printf("not ok: line %d: %s\n", __LINE__, #c);                                    \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

struct Counter {
    int calls = 0;
    void on_timer(ev::timer &w, int revents)
    {
        ++calls;
        CHECK(revents & ev::TIMER);
        (void)w;
    }
};

static int fn_calls;
static void on_idle(ev::idle &w, int)
{
    ++fn_calls;
    w.stop();
}

int main()
{
    static_assert(sizeof(ev::io) == sizeof(ev_io), "ev::io is the C watcher alone");
    static_assert(sizeof(ev::timer) == sizeof(ev_timer), "ev::timer is the C watcher alone");

    ev::default_loop loop;
    CHECK(loop.is_default());
    CHECK(loop == ev::get_default_loop());
    CHECK(ev::now() > 0.);

    // A method callback on a timer.
    Counter counter;
    ev::timer t;
    t.set<Counter, &Counter::on_timer>(&counter);
    t.start(0.001);

    // A function callback on an idle watcher.
    ev::idle idle;
    idle.set<on_idle>();
    idle.start();

    // A lambda on an io watcher: a pipe made readable.
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    int io_calls = 0;
    ev::io io;
    io.set([&](ev::io &w, int revents) {
        ++io_calls;
        CHECK(revents & ev::READ);
        char c;
        CHECK(read(w.fd, &c, 1) == 1);
        w.stop();
    });
    io.start(p[0], ev::READ);

    // A moved watcher keeps running.
    ev::timer moved_from;
    int moved_calls = 0;
    moved_from.set([&](int) { ++moved_calls; });
    moved_from.start(0.002);
    ev::timer moved(std::move(moved_from));
    CHECK(!moved_from.is_active());
    CHECK(moved.is_active());

    // async, fed from inside the loop by a prepare watcher.
    ev::async async;
    int async_calls = 0;
    async.set([&](ev::async &w, int) {
        ++async_calls;
        w.stop();
    });
    async.start();
    ev::prepare prep;
    prep.set([&](ev::prepare &w, int) {
        async.send();
        w.stop();
    });
    prep.start();

    loop.run();

    CHECK(counter.calls == 1);
    CHECK(fn_calls == 1);
    CHECK(io_calls == 1);
    CHECK(moved_calls == 1);
    CHECK(async_calls == 1);
    CHECK(loop.iteration() > 0);

    // ev_once through the loop_ref.
    int once_calls = 0;
    struct Once {
        int *n;
        void operator()(int revents)
        {
            ++*n;
            (void)revents;
        }
    } once{&once_calls};
    loop.once(-1, 0, 0.001, &once);
    loop.run();
    CHECK(once_calls == 1);

    close(p[0]);
    close(p[1]);
    if (failures)
        return 1;
    std::printf("ALL OK\n");
    return 0;
}
