/*
 * psync.h — channels (with select), wait groups and mutexes built on two
 * primitives a scheduler supplies: park the calling task and make a parked
 * task runnable again (Go's gopark/goready).  The same code serves the
 * user-level competitors (globalq, wsdeque: park switches to the worker's
 * scheduler context) and the OS-thread baseline (threads: park waits on a
 * per-thread semaphore), so their channel semantics are identical and any
 * difference in the figures comes from the scheduling, not from the channel.
 *
 * The channel follows Go's runtime/chan.go (one lock per channel, a ring
 * buffer, FIFO queues of waiting senders and receivers, direct hand-off to a
 * waiting peer) and select follows runtime/select.go (random poll order,
 * channels locked in address order, one waiter per case, the first case to
 * fire wins a compare-and-swap and the losers are dequeued on wake-up).
 */
#ifndef ASB_PSYNC_H
#define ASB_PSYNC_H

#include "../sched.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The lock of a channel, wait group or mutex: a futex lock (Drepper's
 * "Futexes are tricky", mutex 2) rather than a pthread mutex because a
 * user-level task takes it and its worker's scheduler loop releases it after
 * the task switched out — an ownership pthread (and ThreadSanitizer) would
 * not accept.  C++ (boostfiber.cpp's socket parking) sees it only through
 * pointers: C11 atomics are not C++ before C++23. */
typedef struct psync_lock psync_lock;
#ifndef __cplusplus
#include <stdatomic.h>
struct psync_lock {
    atomic_int state; /* 0 free, 1 held, 2 held with sleepers */
};
#endif

void psync_lock_acquire(psync_lock *l);
void psync_lock_release(psync_lock *l);

/* What a scheduler supplies.  `park` must release the lock only once the
 * task can safely be made runnable again (for a user-level task: after its
 * context was saved), and `ready` may be called from any thread. */
typedef struct psync_ops {
    void *(*self)(void);                         /* the calling task */
    void (*park)(psync_lock *const *held, int nheld); /* block; releases `held` */
    void (*ready)(void *task);
} psync_ops;

asb_chan *psync_chan_make(const psync_ops *ops, size_t elemsize, size_t cap);
void psync_chan_send(asb_chan *c, const void *elem);
bool psync_chan_recv(asb_chan *c, void *elem);
void psync_chan_close(asb_chan *c);
void psync_chan_free(asb_chan *c);
int psync_select(asb_select_case *cases, int ncases, bool has_default);

asb_wg *psync_wg_make(const psync_ops *ops);
void psync_wg_add(asb_wg *wg, int delta);
void psync_wg_done(asb_wg *wg);
void psync_wg_wait(asb_wg *wg);
void psync_wg_free(asb_wg *wg);

asb_mutex *psync_mutex_make(const psync_ops *ops);
void psync_mutex_lock(asb_mutex *m);
void psync_mutex_unlock(asb_mutex *m);
void psync_mutex_free(asb_mutex *m);

/* Release an array of locks (the usual body of a park implementation). */
void psync_unlock_all(psync_lock *const *held, int nheld);

#ifdef __cplusplus
}
#endif

#endif
