/*
 * netpoll_epoll.c — the Linux half of gmp's network poller.  Follows Go's
 * runtime/netpoll_epoll.go: one epoll instance, every descriptor registered
 * once, edge-triggered, for EPOLLIN|EPOLLOUT|EPOLLRDHUP, and an eventfd
 * (Go 1.19 uses a pipe) that netpollBreak writes to wake the M blocked in
 * epoll_wait.
 *
 * An event carries the descriptor's fd and the sequence number it was
 * registered with (Go packs fdseq into the tagged pollDesc pointer), so an
 * event of an fd that was closed and reused is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "runtime2.h"

gmp_netpoll_counters gmp_netpollstat;

static int epfd = -1;
static int breakfd = -1;
static _Atomic uint32_t wakesig; /* a netpollBreak is pending (Go's netpollWakeSig) */

/* The break eventfd's epoll tag: no fd of a descriptor has this value. */
#define BREAK_TAG UINT64_MAX

int gmp_netpollinit(void) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) return -errno;
    breakfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (breakfd < 0) {
        int err = errno;
        gmp_netpollfini();
        return -err;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = BREAK_TAG};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, breakfd, &ev) != 0) {
        int err = errno;
        gmp_netpollfini();
        return -err;
    }
    relaxed_store(&wakesig, 0);
    return 0;
}

void gmp_netpollfini(void) {
    if (breakfd >= 0) close(breakfd);
    if (epfd >= 0) close(epfd);
    breakfd = epfd = -1;
}

int gmp_netpollopen(int fd, uint32_t seq) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u64 = (uint64_t)seq << 32 | (uint32_t)fd};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

void gmp_netpollclose(int fd) {
    struct epoll_event ev = {0};
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

void gmp_netpollBreak(void) {
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong(&wakesig, &zero, 1)) return; /* one is in flight */
    atomic_fetch_add_explicit(&gmp_netpollstat.breaks, 1, memory_order_relaxed);
    uint64_t one = 1;
    while (write(breakfd, &one, sizeof one) < 0) {
        if (errno == EAGAIN) return; /* the counter is full: a wake-up is pending anyway */
        if (errno != EINTR) {
            perror("gmp: netpollBreak");
            gmp_throw("netpollBreak write failed");
        }
    }
}

/* Go's netpoll: the Gs whose descriptors became ready. */
G *gmp_netpoll(int64_t delay) {
    if (epfd < 0) return NULL;
    int waitms;
    if (delay < 0)
        waitms = -1;
    else if (delay == 0)
        waitms = 0;
    else if (delay < 1000000)
        waitms = 1;
    else if (delay < 1000000000000000ll)
        waitms = (int)(delay / 1000000);
    else
        waitms = 1000000000; /* about 11.5 days, as Go */
    atomic_fetch_add_explicit(&gmp_netpollstat.polls, 1, memory_order_relaxed);
    if (delay != 0) atomic_fetch_add_explicit(&gmp_netpollstat.blocking, 1, memory_order_relaxed);
    struct epoll_event events[128];
    int n;
    for (;;) {
        n = epoll_wait(epfd, events, 128, waitms);
        if (n >= 0) break;
        if (errno != EINTR) {
            perror("gmp: netpoll: epoll_wait");
            gmp_throw("netpoll failed");
        }
        /* A signal (SIGURG for another M, the dump): a timed wait returns
         * so that the caller recomputes its delay, as Go's. */
        if (waitms > 0) return NULL;
    }
    G *list = NULL;
    for (int i = 0; i < n; i++) {
        struct epoll_event *ev = &events[i];
        if (ev->events == 0) continue;
        if (ev->data.u64 == BREAK_TAG) {
            /* Only a blocking poll consumes the wake-up: a non-blocking one
             * may pick it up while the blocked M still needs it. */
            if (delay != 0) {
                uint64_t count;
                while (read(breakfd, &count, sizeof count) < 0 && errno == EINTR) {
                }
                atomic_store(&wakesig, 0);
            }
            continue;
        }
        bool read = ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
        bool write = ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
        struct gmp_polldesc *pd =
            gmp_polldesc_lookup((int)(uint32_t)ev->data.u64, (uint32_t)(ev->data.u64 >> 32));
        if (pd) gmp_netpollready(&list, pd, read, write);
    }
    return list;
}
