// LineCounter on a pipe: lines up to end of file; the idle timeout when nothing arrives.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "line_counter.h"

static int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

static void counts_lines_until_eof()
{
    int p[2];
    CHECK(pipe(p) == 0);
    const char text[] = "one\ntwo\nthree\nno newline";
    CHECK(write(p[1], text, strlen(text)) == (ssize_t)strlen(text));
    close(p[1]);

    ev::dynamic_loop loop;
    LineCounter counter(loop, p[0], 60.);
    counter.start();
    loop.run(); // returns when both watchers are stopped
    CHECK(counter.lines() == 3);
    CHECK(counter.reached_eof());
    CHECK(!counter.timed_out());
    close(p[0]);
}

static void times_out_when_idle()
{
    int p[2];
    CHECK(pipe(p) == 0);

    ev::dynamic_loop loop;
    LineCounter counter(loop, p[0], 0.01);
    counter.start();
    loop.run(); // the writer stays open and silent: only the idle timer can end this
    CHECK(counter.timed_out());
    CHECK(counter.lines() == 0);
    CHECK(!counter.reached_eof());
    close(p[0]);
    close(p[1]);
}

int main()
{
    counts_lines_until_eof();
    times_out_when_idle();
    if (failures == 0)
        printf("line_counter_test: ok\n");
    return failures == 0 ? 0 : 1;
}
