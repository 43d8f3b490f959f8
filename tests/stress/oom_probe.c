/*
 * oom_probe.c — out-of-memory behaviour of the malloc serving this process
 * (glibc, or a library under LD_PRELOAD; see oom_gostyle.sh).
 *
 * A child process lowers its address-space limit (RLIMIT_AS) to what it uses
 * now + 256 MiB and then: allocates 1 MiB blocks until malloc returns NULL,
 * which must come with errno = ENOMEM; does the same with 64-byte blocks;
 * checks that impossible requests (malloc, calloc, realloc of GiBs) return
 * NULL with ENOMEM and that realloc's failure leaves the block intact; frees
 * everything and requires the allocator to serve again (at least half as
 * many 1 MiB blocks as the first time, contents verified).  The parent
 * reports the child's verdict, or the signal that killed it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BIG = 1 << 20, MAX_BIG = 4096, SMALL = 64, HEADROOM_MB = 256 };

static void *big[MAX_BIG];

/* Messages without stdio: its buffers would need memory we may not have. */
static void say(const char *fmt, ...) {
    static char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && write(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) _exit(4);
}

static int failed(const char *what, int err) {
    say("FAIL: %s (errno %d: %s)\n", what, err, strerror(err));
    return 1;
}

/* Fills 1 MiB blocks until malloc says no; returns how many it got. */
static int fill_big(unsigned char tag, int *err) {
    int n = 0;
    *err = 0;
    for (; n < MAX_BIG; n++) {
        errno = 0;
        big[n] = malloc(BIG);
        if (!big[n]) {
            *err = errno;
            break;
        }
        memset(big[n], tag + n, BIG);
    }
    return n;
}

static int check_and_free_big(int n, unsigned char tag) {
    for (int i = 0; i < n; i++) {
        const unsigned char *p = big[i];
        if (p[0] != (unsigned char)(tag + i) || p[BIG - 1] != (unsigned char)(tag + i)) {
            say("FAIL: 1 MiB block %d was overwritten\n", i);
            return 1;
        }
        free(big[i]);
    }
    return 0;
}

static int probe(void) {
    long page = sysconf(_SC_PAGESIZE), vm_pages = 0, rss;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &vm_pages, &rss) != 2) return failed("cannot read /proc/self/statm", errno);
    fclose(f);
    rlim_t limit = (rlim_t)vm_pages * (rlim_t)page + ((rlim_t)HEADROOM_MB << 20);
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_AS, &rl) != 0) return failed("setrlimit(RLIMIT_AS)", errno);

    int err, first = fill_big(1, &err);
    if (first == MAX_BIG) return failed("malloc(1 MiB) never failed under RLIMIT_AS", 0);
    if (err != ENOMEM) return failed("malloc(1 MiB) returned NULL without errno = ENOMEM", err);
    if (first == 0) return failed("no 1 MiB block at all under a 256 MiB headroom", err);

    /* Small blocks, chained through themselves, until memory runs out. */
    void *chain = NULL;
    long small = 0;
    for (;;) {
        errno = 0;
        void **p = malloc(SMALL);
        if (!p) break;
        *p = chain;
        chain = p;
        small++;
    }
    if (errno != ENOMEM) return failed("malloc(64) returned NULL without errno = ENOMEM", errno);

    /* Requests that cannot succeed. */
    volatile size_t huge = (size_t)1 << 40; /* volatile: keep the compiler from folding the call */
    errno = 0;
    if (malloc(huge) || errno != ENOMEM) return failed("malloc(1 TiB) did not return NULL with ENOMEM", errno);
    errno = 0;
    if (calloc(huge >> 20, 1 << 20) || errno != ENOMEM) return failed("calloc(1 Mi, 1 MiB) did not fail with ENOMEM", errno);
    errno = 0;
    if (realloc(big[0], huge) || errno != ENOMEM) return failed("realloc(p, 1 TiB) did not fail with ENOMEM", errno);

    while (chain) {
        void *next = *(void **)chain;
        free(chain);
        chain = next;
    }
    if (check_and_free_big(first, 1)) return 1; /* big[0] intact: realloc's failure kept it */

    int again = fill_big(77, &err);
    if (again < first / 2) {
        say("FAIL: after freeing everything only %d of %d 1 MiB blocks could be allocated again\n", again, first);
        return 1;
    }
    if (check_and_free_big(again, 77)) return 1;
    void *p = malloc(SMALL);
    if (!p) return failed("malloc(64) failed after everything was freed", errno);
    free(p);
    say("PASS: %d x 1 MiB then %ld x 64 B until ENOMEM; impossible requests NULL/ENOMEM; %d x 1 MiB again after free\n",
        first, small, again);
    return 0;
}

int main(void) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return failed("fork", errno);
    if (pid == 0) _exit(probe());
    int status;
    if (waitpid(pid, &status, 0) != pid) return failed("waitpid", errno);
    if (WIFSIGNALED(status)) {
        say("FAIL: the probe was killed by SIG%s under RLIMIT_AS (the allocator crashed instead of returning NULL)\n",
            sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
        return 1;
    }
    return WEXITSTATUS(status);
}
