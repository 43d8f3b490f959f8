/*
 * netpoll_shared.h — the socket calls of the task API (sched.h net_*) for the
 * competitor schedulers: one fd registry and one set of call bodies, with two
 * ways to wait for readiness plugged in.
 *
 *  - Parking (globalq, wsdeque): a task that would block parks on a waiter
 *    record of its fd (psync_ops, as for channels); one edge-triggered epoll
 *    instance, polled by the scheduler from its idle loop (np_poll), hands the
 *    tasks it made ready back to the scheduler in a batch — Go's
 *    netpoll(delay) → injectglist, with np_break (an eventfd) as
 *    netpollBreak.  Deadlines live in a heap the poll expires.
 *  - Blocking (threads): the thread itself waits in poll(2) on the fd and its
 *    own wake-up eventfd, which net_close writes.
 *
 * The registry keeps a reference count of calls in progress per fd:
 * net_close marks the fd closing, wakes its waiters with -EBADF, and the
 * close(2) itself happens when the last call in progress leaves, so a call
 * never runs a system call on a number that was closed and reused.
 */
#ifndef ASB_NETPOLL_SHARED_H
#define ASB_NETPOLL_SHARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "psync.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct np_fd np_fd;
typedef enum { NP_READ, NP_WRITE } np_mode;

/* A caller waiting on one fd in one mode, listed on the fd until it leaves.
 * net_close calls `wake` (fd locked) for every listed waiter. */
typedef struct np_waiter {
    struct np_waiter *next, *prev;
    bool listed;
    void (*wake)(struct np_waiter *w);
} np_waiter;

/* How a scheduler waits for `mode` readiness of pd's fd.  Returns 0 (try the
 * call again), -ETIMEDOUT once deadline_ns (CLOCK_MONOTONIC, 0 = none) has
 * passed, or -EBADF when the fd is being closed. */
typedef int (*np_wait_fn)(np_fd *pd, np_mode mode, uint64_t deadline_ns);

/* Start of a scheduler run: forget every registration of an earlier run and,
 * with `poller`, open the epoll instance and its wake-up eventfd.  Returns 0
 * or -1 (errno set).  np_stop closes them. */
int np_start(bool poller);
void np_stop(void);

/* The call bodies of sched.h, over a wait function. */
int np_accept(np_wait_fn wait, int listen_fd, uint64_t deadline_ns);
int np_connect(np_wait_fn wait, int fd, const void *sockaddr, unsigned addrlen, uint64_t deadline_ns);
long np_read(np_wait_fn wait, int fd, void *buf, size_t n, uint64_t deadline_ns);
long np_write(np_wait_fn wait, int fd, const void *buf, size_t n, uint64_t deadline_ns);
int np_close(int fd);

/* For a blocking wait function: the fd's number, listing a waiter (false,
 * and not listed, when the fd is closing), and unlisting it (returns whether
 * the fd is closing). */
int np_fd_number(const np_fd *pd);
bool np_enlist(np_fd *pd, np_mode mode, np_waiter *w);
bool np_unlist(np_fd *pd, np_mode mode, np_waiter *w);
uint64_t np_now_ns(void);

/* ---- parking schedulers ---- */

/* The wait function body of a parking scheduler: parks the calling task
 * through ops until the poll, a deadline or net_close makes it ready. */
int np_park(const psync_ops *ops, np_fd *pd, np_mode mode, uint64_t deadline_ns);

/* Whether any task is parked on a socket: only then is polling worth it. */
bool np_waiting(void);

/* Poll once — without blocking, or (block) until an event, the earliest
 * deadline or np_break — and hand every task made ready to take(task,
 * cookie).  Returns the number handed over. */
int np_poll(bool block, void (*take)(void *task, void *cookie), void *cookie);

/* Wake a blocked np_poll (no-op when a wake-up is already pending). */
void np_break(void);

#ifdef __cplusplus
}
#endif
#endif
