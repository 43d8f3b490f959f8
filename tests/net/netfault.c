/*
 * netfault.c — an LD_PRELOAD library that plants one network fault in a
 * worker, so the net suite can show that the server workloads catch it
 * (tests/net/check_net.py):
 *   ASB_NETFAULT=corrupt  the 50th send(2) of 1-256 bytes goes out with
 *                         its last byte flipped: an echo that differs
 *                         from what was sent, the row is verify-failed;
 *   ASB_NETFAULT=leak     close(2) of a listening socket does nothing and
 *                         says it succeeded: a socket left open after the
 *                         run, which the workload's /proc/self/fd count
 *                         must report.
 * Anything else (or unset): every call goes straight through.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Small: the copy lives on the caller's stack, a task's in gmp. */
enum { CORRUPT_AT = 50, MAX_CORRUPT = 256 };

static const char *fault(void) {
    const char *f = getenv("ASB_NETFAULT");
    return f ? f : "";
}

ssize_t send(int fd, const void *buf, size_t n, int flags) {
    static ssize_t (*real_send)(int, const void *, size_t, int);
    static atomic_int sends;
    if (!real_send) real_send = (ssize_t(*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    if (n > 0 && n <= MAX_CORRUPT && !strcmp(fault(), "corrupt") && atomic_fetch_add(&sends, 1) + 1 == CORRUPT_AT) {
        char copy[MAX_CORRUPT];
        memcpy(copy, buf, n);
        copy[n - 1] ^= 0x5a;
        return real_send(fd, copy, n, flags);
    }
    return real_send(fd, buf, n, flags);
}

int close(int fd) {
    static int (*real_close)(int);
    if (!real_close) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    if (!strcmp(fault(), "leak")) {
        int listening = 0;
        socklen_t len = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) return 0;
    }
    return real_close(fd);
}
