/* diff_driver.h - the differential fuzzer's driver (diff_driver.c). */
#ifndef EV_TESTS_FUZZ_DIFF_DRIVER_H
#define EV_TESTS_FUZZ_DIFF_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/* Runs the input as a program over a fresh default loop and returns its trace (malloc'ed,
 * NUL-terminated; *trace_len without the NUL). Leaves no loop, fd, child or signal behind. */
void diff_run(const uint8_t *data, size_t size, char **trace, size_t *trace_len);

#endif
