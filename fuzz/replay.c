/*  replay: runs a fuzz target's corpus without libFuzzer, for `make test`.
 *
 *  Linked with one target (frame.c, intake.c, ...) and built with gcc under
 *  ASan and UBSan, it feeds LLVMFuzzerTestOneInput every regular file of the
 *  directories (or the files) on its command line, one at a time in name
 *  order, after LLVMFuzzerInitialize when the target defines it. Without
 *  arguments it replays fuzz/seeds/<name> and fuzz/corpus/<name> (those that
 *  exist), <name> being the program's own name: what `make test` runs from
 *  the repository's root. A finding is a sanitizer report or an abort: the
 *  process dies, and tests/run.sh counts it failed. No input at all (run
 *  from elsewhere, the seeds not written) is a failure too, said as such.
 *  Otherwise it ends with the line run.sh counts: "[  PASSED  ] N
 *  test(s)." (N files).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Replays the file PATH. Returns 0, or -1 when it cannot be read. */
static int s_one(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0) {
        perror(path);
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    /* An exact-size copy, so ASan sees a read one byte past the input. */
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    if (getenv("FUZZ_REPLAY_VERBOSE"))
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int s_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in DIR, in name order. Returns how many, or
 * -1 on an error. */
static long s_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **more = realloc(names, cap * sizeof *names);
            if (!more)
                abort();
            names = more;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len)))
            abort();
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, s_by_name);
    long count = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (s_one(names[i]) < 0)
                count = -1;
            else if (count >= 0)
                count++;
        }
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    /* No arguments: the target's seeds and corpus. */
    static char dirs[2][512];
    char *fallback[] = {argv[0], NULL, NULL, NULL};
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    int defaults = argc < 2;
    if (defaults) {
        argc = 1;
        for (int i = 0; i < 2; i++) {
            struct stat st;
            snprintf(dirs[i], sizeof dirs[i], "fuzz/%s/%s",
                     i ? "corpus" : "seeds", name);
            if (stat(dirs[i], &st) == 0)
                fallback[argc++] = dirs[i];
        }
        argv = fallback;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? s_dir(argv[i])
                 : s_one(argv[i]) == 0                          ? 1
                                                                : -1;
        if (n < 0) {
            fprintf(stderr, "[  FAILED  ] 1 test(s): cannot read %s\n",
                    argv[i]);
            return 1;
        }
        total += n;
    }
    if (total == 0) {
        if (defaults)
            fprintf(stderr,
                    "[  FAILED  ] 1 test(s): no input in fuzz/seeds/%s or "
                    "fuzz/corpus/%s: run from the repository's root, after "
                    "python3 fuzz/seeds.py\n",
                    name, name);
        else
            fprintf(stderr, "[  FAILED  ] 1 test(s): no input in the %d "
                            "path(s) given\n", argc - 1);
        return 1;
    }
    printf("[  PASSED  ] %ld test(s).\n", total);
    return 0;
}
