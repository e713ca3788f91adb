// ev++.h's callables from C++11 on (built as C++11, 14, 17 and 20 with the standard set by the
// target, not by .bazelrc): w.set(lambda) in its three signatures, functors by value, mutable
// and const call operators, std::function, a capture stored in the data member, one too big for
// it (heap, released on reset: ASan checks), a move-only callable and generic lambdas (C++14),
// std::chrono durations and time points, move construction. Plain main (gtest needs C++14), on
// every backend compiled in.
#include <ev++.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <unistd.h>

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            std::printf("not ok: %s:%d: %s\n", __FILE__, __LINE__, #c);                            \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

namespace {

// Runs blocking iterations until done() (bounded).
template <class Done> void run_until(ev::loop_ref loop, Done done)
{
    for (int i = 0; i < 1000 && !done(); ++i)
        loop.run(ev::ONCE);
}

struct ByValue {
    int *calls;
    void operator()(ev::io &w, int revents)
    {
        CHECK(revents == ev::READ);
        ++*calls;
        w.stop();
    }
};

struct ConstCall {
    int *calls;
    void operator()(int revents) const
    {
        CHECK(revents == ev::TIMER);
        ++*calls;
    }
};

void callables(ev::loop_ref loop)
{
    // The three signatures.
    int full = 0, revs = 0, none = 0;
    ev::timer a(loop), b(loop), c(loop);
    a.set([&full](ev::timer &w, int revents) {
        CHECK(revents == ev::TIMER && !w.is_active());
        ++full;
    });
    b.set([&revs](int revents) { revs = revents; });
    c.set([&none]() { ++none; });
    a.start(0.);
    b.start(0.);
    c.start(0.);
    run_until(loop, [&] { return full && revs && none; });
    CHECK(full == 1 && revs == ev::TIMER && none == 1);

    // A capture of one pointer lives in data (no heap block).
    int small = 0;
    int *p = &small;
    a.set([p](ev::timer &, int) { ++*p; });
    CHECK(*reinterpret_cast<int **>(&a.data) == p);
    a.start(0.);
    run_until(loop, [&] { return small == 1; });
    CHECK(small == 1);

    // A big capture lives in a heap block, replaced (and freed) by the next set.
    std::string big = "a string much bigger than the data pointer of a watcher";
    std::size_t seen = 0;
    a.set([big, &seen](ev::timer &, int) { seen = big.size(); });
    a.set_(a.data, ev_cb(static_cast<ev_timer *>(&a))); // the same again: the block stays
    a.start(0.);
    run_until(loop, [&] { return seen != 0; });
    CHECK(seen == big.size());

    // A mutable lambda keeps its state between calls.
    int last = 0;
    a.set([&last](ev::timer &w, int) mutable {
        static_cast<void>(w);
        ++last;
    });
    int counter_state = 0;
    b.set([counter_state, &last]() mutable { last = 100 + ++counter_state; });
    b.start(0.);
    run_until(loop, [&] { return last == 101; });
    b.start(0.);
    run_until(loop, [&] { return last == 102; });
    CHECK(last == 102);

    // Functors by value (mutable and const operator()).
    int fds[2];
    CHECK(pipe(fds) == 0);
    int io_calls = 0;
    ev::io io(loop);
    io.set(ByValue{&io_calls});
    io.start(fds[0], ev::READ);
    CHECK(write(fds[1], "x", 1) == 1);
    run_until(loop, [&] { return io_calls == 1; });
    CHECK(io_calls == 1);
    int const_calls = 0;
    const ConstCall cc = {&const_calls};
    c.set(cc);
    c.start(0.);
    run_until(loop, [&] { return const_calls == 1; });
    CHECK(const_calls == 1);

    // std::function, in two signatures, as an lvalue and an rvalue.
    int fn_calls = 0;
    std::function<void(ev::timer &, int)> f1 = [&fn_calls](ev::timer &, int) { ++fn_calls; };
    a.set(f1);
    a.start(0.);
    b.set(std::function<void()>([&fn_calls] { fn_calls += 10; }));
    b.start(0.);
    run_until(loop, [&] { return fn_calls == 11; });
    CHECK(fn_calls == 11);

#if __cplusplus >= 201402L
    // Generic lambdas and a move-only callable (C++14 init-capture).
    int generic = 0;
    a.set([&generic](auto &w, int) {
        w.stop();
        ++generic;
    });
    std::unique_ptr<int> owned(new int(5));
    b.set([q = std::move(owned), &generic](int) { generic += *q; });
    a.start(0.);
    b.start(0.);
    run_until(loop, [&] { return generic == 6; });
    CHECK(generic == 6);
#endif

    // std::chrono: timers and periodics.
    int chrono_calls = 0;
    a.set([&chrono_calls] { ++chrono_calls; });
    a.set(std::chrono::milliseconds(1));
    CHECK(a.at > 0.0009 && a.at < 0.0011 && a.repeat == 0.);
    a.set(std::chrono::seconds(2), std::chrono::milliseconds(500));
    CHECK(a.at == 2. && a.repeat == 0.5);
    a.start(std::chrono::microseconds(0));
    run_until(loop, [&] { return chrono_calls == 1; });
    CHECK(chrono_calls == 1);
    ev::periodic per(loop);
    per.set([&chrono_calls](ev::periodic &w, int) {
        w.stop();
        ++chrono_calls;
    });
    per.set(std::chrono::seconds(0), std::chrono::hours(1));
    CHECK(per.offset == 0. && per.interval == 3600.);
    per.set(std::chrono::system_clock::now() - std::chrono::seconds(1));
    CHECK(per.interval == 0.);
    per.start();
    run_until(loop, [&] { return chrono_calls == 2; });
    CHECK(chrono_calls == 2);

    // Move construction: the callable and the configuration go along, the old one is empty.
    int moved_calls = 0;
    ev::timer src(loop);
    src.set([&moved_calls, big](ev::timer &, int) { moved_calls += (int)big.size(); });
    src.start(3600.);
    ev::timer dst(std::move(src));
    CHECK(!src.is_active() && dst.is_active() && dst.loop == loop);
    dst.stop();
    dst.start(0.);
    run_until(loop, [&] { return moved_calls != 0; });
    CHECK(moved_calls == (int)big.size());

    close(fds[0]);
    close(fds[1]);
}

} // namespace

int main()
{
    static const unsigned int backends[] = {ev::SELECT, ev::POLL, ev::EPOLL};
    for (unsigned int b : backends) {
        if (!(ev::supported_backends() & b))
            continue;
        ev::dynamic_loop loop(ev::NOENV | b);
        callables(loop);
    }
    if (failures)
        std::printf("%d failures\n", failures);
    else
        std::printf("ok: ev++ callables as C++%ld\n", (long)__cplusplus);
    return failures ? 1 : 0;
}
