// count_lines [TIMEOUT]: counts the lines of standard input with LineCounter.
#include <stdio.h>
#include <stdlib.h>

#include "line_counter.h"

int main(int argc, char **argv)
{
    ev::default_loop loop;
    LineCounter counter(loop, 0, argc > 1 ? atof(argv[1]) : 10.);
    counter.start();
    loop.run();
    printf("%ld lines%s\n", counter.lines(), counter.timed_out() ? " (idle timeout)" : "");
    return counter.timed_out() ? 1 : 0;
}
