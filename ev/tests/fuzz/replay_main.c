/*
 * replay_main.c - runs every file of the directories (or the files) named on
 * the command line through LLVMFuzzerTestOneInput, as libFuzzer would replay
 * them. //ev/tests/fuzz:corpus_test uses it on corpus/ and regressions/, so the
 * fuzzer's inputs also run in the plain, ASan and UBSan configurations. A
 * failing input aborts (the check's message names it: see "replaying" below).
 */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replayed;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fprintf(stderr, "replaying %s (%zu bytes)\n", path, n);
    /* a private copy of exactly n bytes, so ASan sees reads past the end */
    uint8_t *copy = (uint8_t *)malloc(n ? n : 1);
    memcpy(copy, buf, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    ++replayed;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        perror(path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        exit(2);
    }
    char **names = NULL;
    size_t cnt = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
            continue;
        names = (char **)realloc(names, (cnt + 1) * sizeof *names);
        if (asprintf(&names[cnt], "%s/%s", path, e->d_name) < 0)
            exit(2);
        ++cnt;
    }
    closedir(d);
    qsort(names, cnt, sizeof *names, by_name);
    for (size_t i = 0; i < cnt; ++i) {
        replay(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; ++i)
        replay(argv[i]);
    fprintf(stderr, "%d inputs replayed, all passed\n", replayed);
    if (!replayed) {
        fprintf(stderr, "no inputs found\n");
        return 1;
    }
    return 0;
}
