/*
 * stat_test.cc - ev_stat on every backend, twice: with inotify (StatTest) and
 * polling only (StatPollTest, EVFLAG_NOINOTIFY with a 0.11 s interval). Each
 * test works in a fresh mkdtemp directory. Waits end on the watcher or on the
 * fixture's deadline; nothing asserts how fast a change is noticed.
 */
#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

/* What a watcher saw: calls, and attr/prev as of the last call. */
struct Seen {
    int calls = 0;
    int revents = 0;
    ev_statdata prev{};
    ev_statdata attr{};
    bool stop_self = false;
    bool free_self = false;
    ev_stat *stop_other = nullptr; /* stopped and deleted from the callback */
};

void StatCb(struct ev_loop *loop, ev_stat *w, int revents)
{
    Seen *s = static_cast<Seen *>(w->data);
    ++s->calls;
    s->revents |= revents;
    s->prev = w->prev;
    s->attr = w->attr;
    if (s->stop_other) {
        ev_stat_stop(loop, s->stop_other);
        delete s->stop_other;
        s->stop_other = nullptr;
    }
    if (s->stop_self || s->free_self)
        ev_stat_stop(loop, w);
    if (s->free_self)
        delete w;
}

void WriteFile(const std::string &path, const std::string &data, bool append = false)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(write(fd, data.data(), data.size()), (ssize_t)data.size());
    close(fd);
}

/* The inotify fds this process has open right now. */
std::vector<int> InotifyFds()
{
    std::vector<int> out;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return out;
    while (struct dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        std::string p = std::string("/proc/self/fd/") + e->d_name;
        char buf[256];
        ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
        if (n > 0) {
            buf[n] = '\0';
            if (std::string(buf) == "anon_inode:inotify")
                out.push_back(atoi(e->d_name));
        }
    }
    closedir(d);
    return out;
}

class StatBase : public evtest::LoopTest {
  public:
    /* The shared test bodies (STAT_TEST) are free functions. */
    using evtest::LoopTest::loop;
    using evtest::LoopTest::RunUntil;
    std::string dir;

    /* Interval for the watchers of a test: 0 (default) with inotify, so a
     * change is only noticed through inotify; small when polling. */
    virtual double Interval() const = 0;
    virtual bool Inotify() const = 0;

    void SetUp() override
    {
        evtest::LoopTest::SetUp();
        char tmpl[] = "/tmp/ev_stat_test_XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir = tmpl;
    }

    void TearDown() override
    {
        evtest::LoopTest::TearDown();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    std::string P(const char *name) const { return dir + "/" + name; }

    void Start(ev_stat *w, Seen *s, const std::string &path, int priority = 0)
    {
        ev_stat_init(w, StatCb, path.c_str(), Interval());
        ev_set_priority(w, priority);
        w->data = s;
        ev_stat_start(loop, w);
        if (Inotify())
            EXPECT_GE(w->wd, 0);
        else
            EXPECT_EQ(w->wd, -2); /* "not set up", as libev 4.33 leaves it (probed) */
    }

    bool WaitCalls(const Seen &s, int n)
    {
        return RunUntil([&] { return s.calls >= n; });
    }
};

class StatTest : public StatBase {
  public:
    double Interval() const override { return 0.; }
    bool Inotify() const override { return true; }
};

class StatPollTest : public StatBase {
  public:
    unsigned ExtraFlags() const override { return EVFLAG_NOINOTIFY; }
    double Interval() const override { return 0.11; }
    bool Inotify() const override { return false; }
};

} // namespace

/* One body, run by both suites. */
#define STAT_TEST(Name)                                                                            \
    static void Name##Body(StatBase *t);                                                           \
    TEST_P(StatTest, Name)                                                                         \
    {                                                                                              \
        Name##Body(this);                                                                          \
    }                                                                                              \
    TEST_P(StatPollTest, Name)                                                                     \
    {                                                                                              \
        Name##Body(this);                                                                          \
    }                                                                                              \
    static void Name##Body(StatBase *t)

STAT_TEST(AbsentAtStartThenCreated)
{
    std::string path = t->P("f");
    ev_stat w;
    Seen s;
    t->Start(&w, &s, path);
    EXPECT_EQ(w.attr.st_nlink, 0u);
    EXPECT_EQ(w.attr.st_ino, 0u);
    EXPECT_EQ(w.attr.st_mode, 0u);
    WriteFile(path, "x");
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.revents, EV_STAT);
    EXPECT_EQ(s.prev.st_nlink, 0u);
    EXPECT_EQ(s.attr.st_nlink, 1u);
    EXPECT_TRUE(S_ISREG(s.attr.st_mode));
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(ModifyChangesSize)
{
    std::string path = t->P("f");
    WriteFile(path, "abc");
    ev_stat w;
    Seen s;
    t->Start(&w, &s, path);
    EXPECT_EQ(w.attr.st_size, 3);
    EXPECT_EQ(w.attr.st_nlink, 1u);
    WriteFile(path, "defgh", true);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.prev.st_size, 3);
    EXPECT_EQ(s.attr.st_size, 8);
    EXPECT_EQ(s.attr.st_ino, s.prev.st_ino);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(Chmod)
{
    std::string path = t->P("f");
    WriteFile(path, "abc");
    ASSERT_EQ(chmod(path.c_str(), 0644), 0);
    ev_stat w;
    Seen s;
    t->Start(&w, &s, path);
    ASSERT_EQ(chmod(path.c_str(), 0600), 0);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.prev.st_mode & 07777, 0644u);
    EXPECT_EQ(s.attr.st_mode & 07777, 0600u);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(UnlinkThenRecreate)
{
    std::string path = t->P("f");
    WriteFile(path, "abc");
    ev_stat w;
    Seen s;
    t->Start(&w, &s, path);
    ASSERT_EQ(unlink(path.c_str()), 0);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.prev.st_nlink, 1u);
    EXPECT_EQ(s.attr.st_nlink, 0u);
    EXPECT_EQ(s.attr.st_size, 0);
    /* The watch has moved to the directory; the path coming back is seen. */
    WriteFile(path, "hello");
    ASSERT_TRUE(t->WaitCalls(s, 2));
    EXPECT_EQ(s.prev.st_nlink, 0u);
    EXPECT_EQ(s.attr.st_nlink, 1u);
    EXPECT_EQ(s.attr.st_size, 5);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(RenameOver)
{
    std::string path = t->P("f"), tmp = t->P("f.tmp");
    WriteFile(path, "old");
    WriteFile(tmp, "new");
    struct stat tst;
    ASSERT_EQ(stat(tmp.c_str(), &tst), 0);
    ev_stat w;
    Seen s;
    t->Start(&w, &s, path);
    ino_t old_ino = w.attr.st_ino;
    ASSERT_EQ(rename(tmp.c_str(), path.c_str()), 0);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.prev.st_ino, old_ino);
    EXPECT_EQ(s.attr.st_ino, tst.st_ino);
    /* The watch follows the new file. */
    WriteFile(path, "longer", true);
    ASSERT_TRUE(t->WaitCalls(s, 2));
    EXPECT_EQ(s.attr.st_size, 9);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(SymlinkIsTheLinkItself)
{
    std::string target = t->P("target"), link = t->P("link");
    WriteFile(target, "0123456789");
    ASSERT_EQ(symlink("target", link.c_str()), 0);
    ev_stat w;
    Seen s;
    t->Start(&w, &s, link);
    EXPECT_TRUE(S_ISLNK(w.attr.st_mode));
    EXPECT_EQ(w.attr.st_size, 6); /* strlen("target") */
    /* Re-point the link (a different length): the link changed. */
    ASSERT_EQ(unlink(link.c_str()), 0);
    ASSERT_EQ(symlink("target-other", link.c_str()), 0);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_TRUE(S_ISLNK(s.attr.st_mode));
    EXPECT_EQ(s.attr.st_size, 12);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(DirectoryAttributeChange)
{
    std::string d = t->P("d");
    ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
    ev_stat w;
    Seen s;
    t->Start(&w, &s, d);
    EXPECT_TRUE(S_ISDIR(w.attr.st_mode));
    ASSERT_EQ(chmod(d.c_str(), 0700), 0);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.attr.st_mode & 07777, 0700u);
    /* A new entry changes the directory's mtime (and nlink for a subdir). */
    ASSERT_EQ(mkdir((d + "/sub").c_str(), 0755), 0);
    ASSERT_TRUE(t->WaitCalls(s, 2));
    EXPECT_EQ(s.attr.st_nlink, s.prev.st_nlink + 1);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(MissingParentsAppearOneByOne)
{
    std::string path = t->P("a/b/c");
    ev_stat w;
    Seen s;
    t->Start(&w, &s, path);
    EXPECT_EQ(w.attr.st_nlink, 0u);
    /* One component at a time, letting the loop see each step (inotify
     * queues the event with the syscall): the watch must move down. */
    ASSERT_EQ(mkdir(t->P("a").c_str(), 0755), 0);
    ev_run(t->loop, EVRUN_NOWAIT);
    ASSERT_EQ(mkdir(t->P("a/b").c_str(), 0755), 0);
    ev_run(t->loop, EVRUN_NOWAIT);
    EXPECT_EQ(s.calls, 0);
    WriteFile(path, "c");
    ASSERT_TRUE(t->WaitCalls(s, 1));
    EXPECT_EQ(s.attr.st_nlink, 1u);
    EXPECT_EQ(s.attr.st_size, 1);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(StatRefreshesAttr)
{
    std::string path = t->P("f");
    ev_stat w;
    ev_stat_init(&w, StatCb, path.c_str(), t->Interval());
    ev_stat_stat(t->loop, &w); /* works on a watcher that was never started */
    EXPECT_EQ(w.attr.st_nlink, 0u);
    WriteFile(path, "abcd");
    ev_stat_stat(t->loop, &w);
    EXPECT_EQ(w.attr.st_nlink, 1u);
    EXPECT_EQ(w.attr.st_size, 4);

    Seen s;
    t->Start(&w, &s, path);
    ASSERT_EQ(truncate(path.c_str(), 1), 0);
    ev_stat_stat(t->loop, &w); /* now, without running the loop */
    EXPECT_EQ(w.attr.st_size, 1);
    EXPECT_EQ(s.calls, 0);
    ev_stat_stop(t->loop, &w);
}

STAT_TEST(TwoWatchersOnOnePathBothFire)
{
    std::string path = t->P("f");
    WriteFile(path, "a");
    ev_stat w1, w2;
    Seen s1, s2;
    t->Start(&w1, &s1, path);
    t->Start(&w2, &s2, path);
    WriteFile(path, "bc", true);
    ASSERT_TRUE(t->RunUntil([&] { return s1.calls >= 1 && s2.calls >= 1; }));
    EXPECT_EQ(s1.attr.st_size, 3);
    EXPECT_EQ(s2.attr.st_size, 3);
    /* Stopping one leaves the other working (they share one inotify watch,
     * which must stay until its last user goes). */
    ev_stat_stop(t->loop, &w1);
    WriteFile(path, "d", true);
    ASSERT_TRUE(t->WaitCalls(s2, 2));
    EXPECT_EQ(s2.attr.st_size, 4);
    EXPECT_EQ(s1.calls, 1);
    ev_stat_stop(t->loop, &w2);
}

STAT_TEST(StopAndFreeInsideCallback)
{
    std::string path = t->P("f");
    WriteFile(path, "a");
    ev_stat *w = new ev_stat;
    Seen s;
    s.free_self = true;
    t->Start(w, &s, path);
    WriteFile(path, "bc", true);
    ASSERT_TRUE(t->WaitCalls(s, 1));
    /* Nothing left: ev_run returns at once (the deadline is unreferenced). */
    EXPECT_EQ(ev_run(t->loop, EVRUN_NOWAIT), 0);
}

STAT_TEST(CallbackStopsAndFreesAnotherPendingWatcher)
{
    std::string path = t->P("f");
    WriteFile(path, "a");
    ev_stat w1;
    ev_stat *w2 = new ev_stat;
    Seen s1, s2;
    /* w1 runs first (higher priority) while w2 is pending (with inotify both
     * are queued by one event; when polling, w1's timer is due no later). */
    t->Start(&w1, &s1, path, 1);
    t->Start(w2, &s2, path, 0);
    s1.stop_other = w2;
    WriteFile(path, "bc", true);
    ASSERT_TRUE(t->WaitCalls(s1, 1));
    EXPECT_EQ(s1.stop_other, nullptr);
    /* A few more iterations: the freed watcher must never be invoked. */
    ev_run(t->loop, EVRUN_NOWAIT);
    ev_run(t->loop, EVRUN_NOWAIT);
    EXPECT_EQ(s2.calls, 0);
    ev_stat_stop(t->loop, &w1);
    EXPECT_EQ(ev_run(t->loop, EVRUN_NOWAIT), 0);
}

STAT_TEST(HoldsOneReference)
{
    std::string path = t->P("f");
    ev_stat w;
    Seen s;
    EXPECT_EQ(ev_run(t->loop, EVRUN_NOWAIT), 0);
    t->Start(&w, &s, path);
    EXPECT_EQ(w.active, 1);
    /* The polling timer (if any) is internal and unreferenced. */
    EXPECT_EQ(ev_run(t->loop, EVRUN_NOWAIT), 1);
    ev_stat_stop(t->loop, &w);
    EXPECT_EQ(w.active, 0);
    EXPECT_EQ(ev_run(t->loop, EVRUN_NOWAIT), 0);
    ev_stat_stop(t->loop, &w); /* stopping twice is harmless */
    EXPECT_EQ(ev_run(t->loop, EVRUN_NOWAIT), 0);
}

STAT_TEST(IntervalRules)
{
    std::string path = t->P("f");
    ev_stat w0, wsmall, wneg, wbig;
    Seen s;
    ev_stat_init(&w0, StatCb, path.c_str(), 0.);
    ev_stat_init(&wsmall, StatCb, path.c_str(), 0.01);
    ev_stat_init(&wneg, StatCb, path.c_str(), -1.);
    ev_stat_init(&wbig, StatCb, path.c_str(), 2.5);
    for (ev_stat *w : {&w0, &wsmall, &wneg, &wbig}) {
        w->data = &s;
        ev_stat_start(t->loop, w);
    }
    EXPECT_EQ(w0.interval, 0.); /* the ~5 s default is internal */
    EXPECT_DOUBLE_EQ(wsmall.interval, 0.1074891);
    EXPECT_DOUBLE_EQ(wneg.interval, 0.1074891); /* libev raises any nonzero value below the floor */
    EXPECT_EQ(wbig.interval, 2.5);
    for (ev_stat *w : {&w0, &wsmall, &wneg, &wbig})
        ev_stat_stop(t->loop, w);
}

TEST_P(StatTest, ChangeOnTargetOfSymlinkIsNotALinkChange)
{
    std::string target = P("target"), link = P("link");
    WriteFile(target, "0123456789");
    ASSERT_EQ(symlink("target", link.c_str()), 0);
    ev_stat w;
    Seen s;
    Start(&w, &s, link);
    /* inotify queues events synchronously with the syscall, so two
     * non-blocking iterations would see an event if the link were
     * followed. */
    ASSERT_EQ(chmod(target.c_str(), 0600), 0);
    WriteFile(target, "more", true);
    ev_run(loop, EVRUN_NOWAIT);
    ev_run(loop, EVRUN_NOWAIT);
    EXPECT_EQ(s.calls, 0);
    ev_stat_stop(loop, &w);
}

TEST_P(StatTest, InotifyFdIsLazyCloexecAndOnePerLoop)
{
    std::vector<int> before = InotifyFds();
    std::string path = P("f");
    ev_stat w1, w2;
    Seen s;
    ev_stat_init(&w1, StatCb, path.c_str(), 0.);
    w1.data = &s;
    EXPECT_EQ(InotifyFds().size(), before.size()); /* not at loop creation */
    ev_stat_start(loop, &w1);
    std::vector<int> after = InotifyFds();
    ASSERT_EQ(after.size(), before.size() + 1);
    int fd = -1;
    for (int f : after)
        if (std::find(before.begin(), before.end(), f) == before.end())
            fd = f;
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);

    std::string path2 = P("g"); /* the watcher keeps the pointer */
    ev_stat_init(&w2, StatCb, path2.c_str(), 0.);
    w2.data = &s;
    ev_stat_start(loop, &w2);
    EXPECT_EQ(InotifyFds().size(), before.size() + 1); /* one per loop */

    /* Another loop gets its own. */
    struct ev_loop *l2 = ev_loop_new(EVFLAG_NOENV | GetParam());
    ASSERT_NE(l2, nullptr);
    ev_stat w3;
    ev_stat_init(&w3, StatCb, path.c_str(), 0.);
    w3.data = &s;
    ev_stat_start(l2, &w3);
    EXPECT_GE(w3.wd, 0);
    EXPECT_EQ(InotifyFds().size(), before.size() + 2);
    ev_stat_stop(l2, &w3);
    ev_loop_destroy(l2);
    EXPECT_EQ(InotifyFds().size(), before.size() + 1);

    /* Destroying the loop (watchers still active) closes it: no leak. */
    StopDeadline();
    ev_loop_destroy(loop);
    loop = nullptr;
    EXPECT_EQ(InotifyFds(), before);
}

TEST_P(StatPollTest, NoInotifyFdWithNoInotifyFlag)
{
    std::vector<int> before = InotifyFds();
    ev_stat w;
    Seen s;
    Start(&w, &s, P("f"));
    EXPECT_EQ(InotifyFds(), before);
    ev_stat_stop(loop, &w);
}

/* Overflowing the kernel's event queue drops later events; the overflow
 * marker makes every watcher re-stat, so the dropped change is still seen. */
TEST_P(StatTest, QueueOverflowRestatsEveryWatcher)
{
    long max_events = 0;
    std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_events;
    if (max_events <= 0 || max_events > 200000)
        GTEST_SKIP() << "max_queued_events = " << max_events;
    std::string d1 = P("d1"), d2 = P("d2"), f = P("f");
    ASSERT_EQ(mkdir(d1.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(d2.c_str(), 0755), 0);
    WriteFile(f, "a");
    ev_stat w1, w2, wf;
    Seen s1, s2, sf;
    Start(&w1, &s1, d1);
    Start(&w2, &s2, d2);
    Start(&wf, &sf, f);
    /* Alternate between two watches: identical consecutive events would be
     * merged by the kernel. */
    for (long i = 0; i < max_events / 2 + 64; ++i) {
        ASSERT_EQ(chmod(d1.c_str(), (i & 1) ? 0700 : 0755), 0);
        ASSERT_EQ(chmod(d2.c_str(), (i & 1) ? 0700 : 0755), 0);
    }
    ASSERT_EQ(chmod(f.c_str(), 0600), 0); /* its event is dropped */
    ASSERT_TRUE(WaitCalls(sf, 1));
    EXPECT_EQ(sf.attr.st_mode & 07777, 0600u);
    ev_stat_stop(loop, &w1);
    ev_stat_stop(loop, &w2);
    ev_stat_stop(loop, &wf);
}

/* After fork the child must use its own inotify instance: if it removed
 * watches from the inherited (shared) one, the parent would go deaf. */
TEST_P(StatTest, ForkChildGetsItsOwnInotify)
{
    std::string a = P("a"), b = P("b");
    WriteFile(a, "a");
    WriteFile(b, "b");
    ev_stat wa, wb;
    Seen sa, sb;
    Start(&wa, &sa, a);
    Start(&wb, &sb, b);
    ev_run(loop, EVRUN_NOWAIT); /* fd changes applied before the fork */

    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ev_loop_fork(loop);
        ev_run(loop, EVRUN_NOWAIT); /* re-creates the kernel state */
        int code = 0;
        if (wa.wd < 0 || wb.wd < 0)
            code = 2;
        int fd = open(b.c_str(), O_WRONLY | O_APPEND);
        if (fd < 0 || write(fd, "x", 1) != 1)
            code = 3;
        close(fd);
        if (!code && !RunUntil([&] { return sb.calls >= 1; }))
            code = 4;
        if (!code && sb.attr.st_size != 2)
            code = 5;
        ev_stat_stop(loop, &wa); /* must not touch the parent's watches */
        ev_stat_stop(loop, &wb);
        /* Were the instance still shared, these would also eat the events
         * that tell the parent its watches are gone. */
        ev_run(loop, EVRUN_NOWAIT);
        ev_run(loop, EVRUN_NOWAIT);
        _exit(code);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);

    sa.calls = 0;
    WriteFile(a, "yy", true);
    ASSERT_TRUE(WaitCalls(sa, 1));
    EXPECT_EQ(sa.attr.st_size, 3);
    ev_stat_stop(loop, &wa);
    ev_stat_stop(loop, &wb);
}

/* Same-size edits within one second: attributes are compared with their
 * nanoseconds (libev 4.33 compares whole seconds and can miss this). */
TEST_P(StatTest, SameSizeEditWithinASecondIsSeen)
{
    std::string path = P("f");
    WriteFile(path, "aaaa");
    ev_stat w;
    Seen s;
    Start(&w, &s, path);
    struct timespec ts[2] = {w.attr.st_atim, w.attr.st_mtim};
    ts[1].tv_nsec = (ts[1].tv_nsec + 1) % 1000000000L; /* same second, new nanoseconds */
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), ts, 0), 0);
    ASSERT_TRUE(WaitCalls(s, 1));
    EXPECT_EQ(s.attr.st_size, 4);
    EXPECT_EQ(s.attr.st_mtim.tv_nsec, ts[1].tv_nsec);
    ev_stat_stop(loop, &w);
}

extern "C" int ev__test_inotify_add_errno;

/* max_user_watches reached (ENOSPC from inotify_add_watch, injected through the
 * library's test hook rather than a system-wide limit): the watcher falls back
 * to polling at its interval and still sees changes. */
TEST_P(StatTest, OutOfInotifyWatchesFallsBackToPolling)
{
    std::string path = P("f");
    WriteFile(path, "abc");
    ev_stat w;
    Seen s;
    ev_stat_init(&w, StatCb, path.c_str(), 0.11);
    w.data = &s;
    ev__test_inotify_add_errno = ENOSPC;
    ev_stat_start(loop, &w);
    ev__test_inotify_add_errno = 0;
    EXPECT_EQ(w.wd, -1) << "no watch could be placed";
    EXPECT_TRUE(ev_is_active(&w));
    WriteFile(path, "defgh", true);
    ASSERT_TRUE(WaitCalls(s, 1));
    EXPECT_EQ(s.attr.st_size, 8);
    ev_stat_stop(loop, &w);
}

EV_ALL_BACKENDS(StatTest);
EV_ALL_BACKENDS(StatPollTest);
