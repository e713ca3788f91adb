// Struct layouts of ev's <ev.h> against Debian's libev 4.33 <ev.h>, both compiled by the
// compiler of the target platform (layout_table.c, BUILD.bazel): every public struct's size and
// alignment and every member's size and offset must be the same. Run per platform, this is the
// ABI check for 32-bit x86 (--config=i386: 4-byte alignment of double members, 4-byte pointers
// and longs), aarch64 (its own struct stat) and the host.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

#include "ev/tests/layout/layout.h"

namespace {

struct DoubleAfterChar {
    char c;
    double d;
};

std::string Name(const ev_layout_entry &e)
{
    return *e.member ? std::string(e.type) + "." + e.member : std::string(e.type);
}

// Compares two tables built from the same list; returns the number of differences, each
// reported as a test failure naming the entry and both values.
int Compare(const ev_layout_table &ours, const ev_layout_table &theirs)
{
    EXPECT_STREQ(ours.header, "ev") << "the ev table was compiled against another ev.h";
    EXPECT_STREQ(theirs.header, "libev") << "the libev table was compiled against ev's ev.h";
    EXPECT_EQ(ours.count, theirs.count);
    int differences = 0;
    for (size_t i = 0; i < ours.count && i < theirs.count; i++) {
        const ev_layout_entry &a = ours.entries[i], &b = theirs.entries[i];
        EXPECT_EQ(Name(a), Name(b));
        if (a.size != b.size || a.align != b.align || a.offset != b.offset) {
            differences++;
            ADD_FAILURE() << Name(a) << ": ev has size " << a.size << " align " << a.align
                          << " offset " << a.offset << ", libev 4.33 has size " << b.size
                          << " align " << b.align << " offset " << b.offset;
        }
    }
    std::ostringstream summary;
    summary << ours.count << " entries (sizeof(void *) = " << sizeof(void *)
            << ", alignof(double) in a struct = " << offsetof(DoubleAfterChar, d)
            << "): " << differences << " differences";
    std::printf("%s\n", summary.str().c_str());
    return differences;
}

TEST(LayoutTest, EveryPublicStructAsLibev433)
{
    EXPECT_EQ(Compare(ev_layout_ours, ev_layout_libev), 0);
}

TEST(LayoutTest, EveryPublicStructAsLibev433WithLargeFiles)
{
    EXPECT_EQ(Compare(ev_layout_ours_lfs, ev_layout_libev_lfs), 0);
}

} // namespace
