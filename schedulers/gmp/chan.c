/*
 * chan.c — channels: a lock, a ring buffer and two FIFO queues of waiting
 * Gs (sudogs).  Follows Go's runtime/chan.go (makechan, chansend, chanrecv,
 * closechan, the send/recv direct hand-offs, and the lock-free "not ready"
 * fast check of non-blocking operations).
 *
 * A send to a waiting receiver copies the value straight into the receiver's
 * variable and readies it into runnext, so an unbuffered ping-pong never
 * touches the buffer and the partner runs next on the same P.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime2.h"

struct asb_chan {
    gmp_mutex lock;
    size_t qcount;   /* values in the buffer */
    size_t dataqsiz; /* buffer capacity */
    size_t elemsize;
    _Atomic uint32_t closed;
    size_t sendx, recvx;
    gmp_waitq recvq, sendq;
    char *buf;
};

/* ---- wait queues (also used by select and sema) ---- */

void gmp_waitq_enqueue(gmp_waitq *q, gmp_sudog *sg) {
    sg->next = NULL;
    sg->prev = q->last;
    if (q->last)
        q->last->next = sg;
    else
        q->first = sg;
    q->last = sg;
}

void gmp_waitq_remove(gmp_waitq *q, gmp_sudog *sg) {
    if (sg->prev)
        sg->prev->next = sg->next;
    else if (q->first == sg)
        q->first = sg->next;
    else
        return; /* not queued (already dequeued) */
    if (sg->next)
        sg->next->prev = sg->prev;
    else
        q->last = sg->prev;
    sg->next = sg->prev = NULL;
}

gmp_sudog *gmp_waitq_dequeue(gmp_waitq *q) {
    for (;;) {
        gmp_sudog *sg = q->first;
        if (!sg) return NULL;
        q->first = sg->next;
        if (q->first)
            q->first->prev = NULL;
        else
            q->last = NULL;
        sg->next = sg->prev = NULL;
        /* A select waits on several channels: the first to claim it wins;
         * the others drop its sudog here. */
        if (sg->is_select) {
            uint32_t zero = 0;
            if (!atomic_compare_exchange_strong(&sg->g->select_done, &zero, 1)) continue;
        }
        return sg;
    }
}

/* ---- channel operations ---- */

static void chan_panic(const char *msg) {
    fprintf(stderr, "gmp: panic: %s\n", msg);
    abort();
}

asb_chan *gmp_chan_make(size_t elemsize, size_t cap) {
    if (elemsize && cap > SIZE_MAX / elemsize) return NULL;
    asb_chan *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->elemsize = elemsize;
    c->dataqsiz = cap;
    if (cap && elemsize) {
        c->buf = malloc(cap * elemsize);
        if (!c->buf) {
            free(c);
            return NULL;
        }
    }
    return c;
}

void gmp_chan_free(asb_chan *c) {
    if (!c) return;
    free(c->buf);
    free(c);
}

void gmp_chan_lock(asb_chan *c) { gmp_lock(&c->lock); }
void gmp_chan_unlock(asb_chan *c) { gmp_unlock(&c->lock); }

static char *chanbuf(asb_chan *c, size_t i) { return c->buf + i * c->elemsize; }

/* Word-sized elements (the common case) are copied inline rather than
 * through a call to memcpy for a size it cannot know. */
static void copy_elem(asb_chan *c, void *dst, const void *src) {
    if (!dst || !src) return;
    switch (c->elemsize) {
    case 0: break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, c->elemsize);
    }
}

static bool chanparkcommit(G *gp, void *lock) {
    (void)gp;
    gmp_unlock(lock);
    return true;
}

/* Hand ep to the waiting receiver sg (lock held; released here). */
static void send_direct(asb_chan *c, gmp_sudog *sg, const void *ep) {
    if (sg->elem) copy_elem(c, sg->elem, ep);
    sg->success = true;
    sg->g->param = sg;
    gmp_unlock(&c->lock);
    gmp_goready(sg->g);
}

/* Receive from the waiting sender sg (lock held; released here).  With a
 * full buffer take its head and put the sender's value at the tail. */
static void recv_direct(asb_chan *c, gmp_sudog *sg, void *ep) {
    if (c->dataqsiz == 0) {
        copy_elem(c, ep, sg->elem);
    } else {
        char *slot = chanbuf(c, c->recvx);
        copy_elem(c, ep, slot);
        copy_elem(c, slot, sg->elem);
        if (++c->recvx == c->dataqsiz) c->recvx = 0;
        c->sendx = c->recvx;
    }
    sg->success = true;
    sg->g->param = sg;
    gmp_unlock(&c->lock);
    gmp_goready(sg->g);
}

/* Try the operation with the lock held; true if done (lock released). */
bool gmp_chan_send_ready_locked(asb_chan *c, const void *ep) {
    if (relaxed_load(&c->closed)) {
        gmp_unlock(&c->lock);
        chan_panic("send on closed channel");
    }
    gmp_sudog *sg = gmp_waitq_dequeue(&c->recvq);
    if (sg) {
        send_direct(c, sg, ep);
        return true;
    }
    if (c->qcount < c->dataqsiz) {
        copy_elem(c, chanbuf(c, c->sendx), ep);
        if (++c->sendx == c->dataqsiz) c->sendx = 0;
        c->qcount++;
        gmp_unlock(&c->lock);
        return true;
    }
    return false;
}

/* *ok: false if the channel was closed and drained. */
bool gmp_chan_recv_ready_locked(asb_chan *c, void *ep, bool *ok) {
    if (relaxed_load(&c->closed) && c->qcount == 0) {
        gmp_unlock(&c->lock);
        if (ep && c->elemsize) memset(ep, 0, c->elemsize);
        *ok = false;
        return true;
    }
    *ok = true;
    gmp_sudog *sg = gmp_waitq_dequeue(&c->sendq);
    if (sg) {
        recv_direct(c, sg, ep);
        return true;
    }
    if (c->qcount > 0) {
        char *slot = chanbuf(c, c->recvx);
        copy_elem(c, ep, slot);
        if (++c->recvx == c->dataqsiz) c->recvx = 0;
        c->qcount--;
        gmp_unlock(&c->lock);
        return true;
    }
    return false;
}

/* Blocking send and receive are the API entry points themselves (the table
 * in gmp.c points here) rather than being called from a wrapper: when a G
 * parks, every frame between the task and the switch is a return that
 * mispredicts on resumption, and these are the operations that park most. */
void gmp_chan_send(asb_chan *c, const void *ep) {
    G *gp = gmp_enter_runtime();
    gmp_lock(&c->lock);
    if (!gmp_chan_send_ready_locked(c, ep)) {
        gmp_sudog sg = {.g = gp, .elem = (void *)ep};
        gmp_waitq_enqueue(&c->sendq, &sg);
        gmp_gopark(chanparkcommit, &c->lock, WAIT_CHAN_SEND);
        if (!sg.success) chan_panic("send on closed channel");
    }
    gmp_leave_runtime(gp);
}

bool gmp_chan_recv(asb_chan *c, void *ep) {
    G *gp = gmp_enter_runtime();
    bool ok;
    gmp_lock(&c->lock);
    if (!gmp_chan_recv_ready_locked(c, ep, &ok)) {
        gmp_sudog sg = {.g = gp, .elem = ep};
        gmp_waitq_enqueue(&c->recvq, &sg);
        gmp_gopark(chanparkcommit, &c->lock, WAIT_CHAN_RECV);
        ok = sg.success;
    }
    gmp_leave_runtime(gp);
    return ok;
}

/* Non-blocking send (select with one case and a default).  Go first does a
 * lock-free "cannot proceed" check; here the fields it reads are plain, so
 * the check is done under the lock (TSan-clean at the cost of one lock). */
bool gmp_chan_trysend(asb_chan *c, const void *ep) {
    gmp_lock(&c->lock);
    if (gmp_chan_send_ready_locked(c, ep)) return true;
    gmp_unlock(&c->lock);
    return false;
}

/* Non-blocking receive: true if a value (or the close) was taken. */
bool gmp_chan_tryrecv(asb_chan *c, void *ep, bool *ok) {
    gmp_lock(&c->lock);
    if (gmp_chan_recv_ready_locked(c, ep, ok)) return true;
    gmp_unlock(&c->lock);
    return false;
}

void gmp_chan_close(asb_chan *c) {
    gmp_lock(&c->lock);
    if (relaxed_load(&c->closed)) {
        gmp_unlock(&c->lock);
        chan_panic("close of closed channel");
    }
    relaxed_store(&c->closed, 1);
    G *ready = NULL;
    gmp_sudog *sg;
    while ((sg = gmp_waitq_dequeue(&c->recvq))) {
        if (sg->elem && c->elemsize) memset(sg->elem, 0, c->elemsize);
        sg->success = false;
        sg->g->param = sg;
        sg->g->schedlink = ready;
        ready = sg->g;
    }
    while ((sg = gmp_waitq_dequeue(&c->sendq))) {
        sg->success = false;
        sg->g->param = sg;
        sg->g->schedlink = ready;
        ready = sg->g;
    }
    gmp_unlock(&c->lock);
    while (ready) {
        G *gp = ready;
        ready = gp->schedlink;
        gmp_goready(gp);
    }
}

void gmp_chan_enqueue(asb_chan *c, gmp_sudog *sg, bool send) {
    gmp_waitq_enqueue(send ? &c->sendq : &c->recvq, sg);
}

void gmp_chan_dequeue_sudog(asb_chan *c, gmp_sudog *sg, bool send) {
    gmp_waitq_remove(send ? &c->sendq : &c->recvq, sg);
}
