/*
 * git.c — app:git, git building and packing a generated repository: add and
 * commit SCALE files, commit a second revision of a third of them, log with
 * diffs, then gc (delta compression of the pack).  Every command is its own
 * process with the backend preloaded; the shell script around them is the
 * measured process (wall, rusage and RSS include its children's).  Names
 * and dates are fixed so that the commit ids are the same in every run.
 */
#include <stdlib.h>
#include <string.h>

#include "app.h"

/* A text file of random lines; `revision` 2 changes some lines of it. */
static int put_file(asb_app_ctx *x, const char *name, long i, int revision) {
    FILE *f = asb_app_create(x, name);
    if (!f) return -1;
    asb_rng r;
    asb_rng_seed(&r, x->seed * 1000003u + (uint64_t)i);
    int lines = 20 + (int)asb_rng_below(&r, 60);
    for (int l = 0; l < lines; l++) {
        unsigned long long v = asb_rng_next(&r);
        if (revision == 2 && l % 7 == 3) v ^= 0x5a5a;
        fprintf(f, "line %d of file %ld: %016llx %llu\n", l, i, v, v % 100000);
    }
    return asb_app_close(x, f);
}

static int generate(asb_app_ctx *x) {
    for (const char *d = "rev1\0rev2\0rev1/d0\0rev2/d0\0"; *d; d += strlen(d) + 1) {
        char *p = asb_xasprintf("%s/%s", x->input_dir, d);
        int r = asb_mkdirs(p);
        free(p);
        if (r) return asb_app_fail(x, "cannot create %s/%s", x->input_dir, d);
    }
    for (long i = 0; i < x->scale; i++) {
        if (i % 100 == 0 && i) { /* 100 files a folder */
            for (int rev = 1; rev <= 2; rev++) {
                char *p = asb_xasprintf("%s/rev%d/d%ld", x->input_dir, rev, i / 100);
                int r = asb_mkdirs(p);
                free(p);
                if (r) return asb_app_fail(x, "cannot create a folder under %s", x->input_dir);
            }
        }
        for (int rev = 1; rev <= 2; rev++) {
            char name[64];
            snprintf(name, sizeof name, "rev%d/d%ld/f%ld.txt", rev, i / 100, i);
            if (put_file(x, name, i, rev == 2 && i % 3 == 0 ? 2 : 1)) return -1;
        }
    }
    return 0;
}

/* One op per file. */
static void parse(asb_app_ctx *x, const char *out) {
    (void)out;
    asb_app_set_ops(x, (double)x->scale);
}

static const asb_app git_app = {
    .name = "git",
    .package = "git",
    .programs = "/usr/bin/git",
    .stresses = "short-lived processes: index, object and diff buffers, zlib streams, pack delta windows",
    .input = "SCALE text files of 20-80 lines in folders of 100, and a second revision changing a third of them",
    .scale = "1500",
    .quick_scale = "30",
    .scale_help = "files",
    .env = "HOME=/nonexistent;GIT_CONFIG_NOSYSTEM=1;GIT_AUTHOR_NAME=asbench;GIT_AUTHOR_EMAIL=asbench@localhost;"
           "GIT_COMMITTER_NAME=asbench;GIT_COMMITTER_EMAIL=asbench@localhost;"
           "GIT_AUTHOR_DATE=1700000000 +0000;GIT_COMMITTER_DATE=1700000000 +0000",
    .generate = generate,
    .command = "cp -R \"$ASB_INPUT/rev1\" repo && cd repo && git -c init.defaultBranch=main init -q && "
               "git add . && git commit -q -m one && cp -R \"$ASB_INPUT/rev2/.\" . && git commit -q -a -m two && "
               "git log -p --stat | git hash-object --stdin && git gc -q && git count-objects | cut -d' ' -f1 && "
               "git rev-parse HEAD",
    .parse = parse,
};
ASB_REGISTER_APP(git_app)
