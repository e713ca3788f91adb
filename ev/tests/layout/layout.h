/*
 * layout.h - the public structs of <ev.h> as a table of sizes, alignments and member offsets, so
 * that two builds of the same table, one against ev's ev.h and one against Debian's libev 4.33
 * ev.h, can be compared entry by entry (layout_test.cc). layout_table.c fills the table; it is
 * compiled once per header, each time under another table name (EV_LAYOUT_NAME).
 */
#ifndef EV_TESTS_LAYOUT_LAYOUT_H_
#define EV_TESTS_LAYOUT_LAYOUT_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One entry: a type ("ev_io": member empty, offset 0) or one of its members ("ev_io", "fd"). */
struct ev_layout_entry {
    const char *type;
    const char *member;
    size_t size;
    size_t align; /* of the type; 0 for a member */
    size_t offset;
};

struct ev_layout_table {
    const char *header; /* "ev" or "libev": which ev.h the table was compiled against */
    const struct ev_layout_entry *entries;
    size_t count;
};

/* Every table of this test program (see BUILD.bazel). */
extern const struct ev_layout_table ev_layout_ours;
extern const struct ev_layout_table ev_layout_libev;
extern const struct ev_layout_table ev_layout_ours_lfs;
extern const struct ev_layout_table ev_layout_libev_lfs;

#ifdef __cplusplus
}
#endif

#endif
