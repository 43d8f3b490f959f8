/*
 * select.c — select over several channel cases.  Follows Go's
 * runtime/select.go (selectgo): a random poll order, all channels locked in
 * address order, a first pass that takes any ready case, then (without a
 * default) one sudog per case enqueued on every channel, park, and on wakeup
 * a pass that dequeues the sudogs of the cases that did not fire.
 */
#include <stdio.h>
#include <stdlib.h>

#include "runtime2.h"

enum { SELECT_STACK_CASES = 16 };

static void sellock(asb_select_case *cases, const uint16_t *lockorder, int n) {
    asb_chan *last = NULL;
    for (int i = 0; i < n; i++) {
        asb_chan *c = cases[lockorder[i]].chan;
        if (c != last) gmp_chan_lock(c);
        last = c;
    }
}

/* Unlock in reverse order, each channel once, skipping all but one lock of
 * duplicate channels.  Only lock-protected state may be touched after the
 * last unlock: the G may already be running elsewhere. */
static void selunlock(asb_select_case *cases, const uint16_t *lockorder, int n) {
    for (int i = n - 1; i >= 0; i--) {
        asb_chan *c = cases[lockorder[i]].chan;
        if (i > 0 && c == cases[lockorder[i - 1]].chan) continue;
        gmp_chan_unlock(c);
    }
}

typedef struct select_park {
    asb_select_case *cases;
    const uint16_t *lockorder;
    int n;
} select_park;

static bool selparkcommit(G *gp, void *arg) {
    (void)gp;
    select_park *sp = arg;
    selunlock(sp->cases, sp->lockorder, sp->n);
    return true;
}

static int select_block_forever(void) {
    gmp_gopark(NULL, NULL, WAIT_SELECT_NO_CASES);
    abort(); /* never readied */
}

/* Unlocks the locked channel of `casi` when the case is done by the helpers
 * of chan.c (they release the lock of the one channel they used), so the
 * other locks are dropped first. */
static void selunlock_except(asb_select_case *cases, const uint16_t *lockorder, int n,
                             asb_chan *keep) {
    for (int i = n - 1; i >= 0; i--) {
        asb_chan *c = cases[lockorder[i]].chan;
        if (i > 0 && c == cases[lockorder[i - 1]].chan) continue;
        if (c != keep) gmp_chan_unlock(c);
    }
}

int gmp_select(asb_select_case *cases, int n, bool has_default) {
    /* Go compiles these shapes to plain or non-blocking channel calls. */
    if (n == 0) {
        if (has_default) return -1;
        return select_block_forever();
    }
    if (n == 1 && has_default) {
        asb_select_case *sc = &cases[0];
        if (sc->dir == ASB_SELECT_SEND) return gmp_chan_trysend(sc->chan, sc->elem) ? 0 : -1;
        return gmp_chan_tryrecv(sc->chan, sc->elem, &sc->ok) ? 0 : -1;
    }
    if (n > UINT16_MAX) abort();

    uint16_t order_buf[2 * SELECT_STACK_CASES];
    gmp_sudog sudog_buf[SELECT_STACK_CASES];
    uint16_t *pollorder = order_buf, *lockorder = order_buf + SELECT_STACK_CASES;
    gmp_sudog *sgs = sudog_buf;
    void *heap = NULL;
    if (n > SELECT_STACK_CASES) {
        heap = malloc((size_t)n * (2 * sizeof(uint16_t) + sizeof(gmp_sudog)));
        if (!heap) abort();
        sgs = heap;
        pollorder = (uint16_t *)(sgs + n);
        lockorder = pollorder + n;
    }

    /* Random poll order (inside-out Fisher-Yates). */
    for (int i = 0; i < n; i++) {
        int j = (int)gmp_fastrandn((uint32_t)i + 1);
        pollorder[i] = pollorder[j];
        pollorder[j] = (uint16_t)i;
    }
    /* Lock order: by channel address (insertion sort; selects are small). */
    for (int i = 0; i < n; i++) {
        int j = i;
        while (j > 0 && (uintptr_t)cases[lockorder[j - 1]].chan > (uintptr_t)cases[i].chan) {
            lockorder[j] = lockorder[j - 1];
            j--;
        }
        lockorder[j] = (uint16_t)i;
    }

    sellock(cases, lockorder, n);

    /* Pass 1: any case ready? */
    for (int k = 0; k < n; k++) {
        int i = pollorder[k];
        asb_select_case *sc = &cases[i];
        bool done;
        if (sc->dir == ASB_SELECT_RECV) {
            done = gmp_chan_recv_ready_locked(sc->chan, sc->elem, &sc->ok);
        } else {
            done = gmp_chan_send_ready_locked(sc->chan, sc->elem);
        }
        if (done) {
            /* The helper released sc->chan's lock; release the others. */
            selunlock_except(cases, lockorder, n, sc->chan);
            free(heap);
            return i;
        }
    }
    if (has_default) {
        selunlock(cases, lockorder, n);
        free(heap);
        return -1;
    }

    /* Pass 2: enqueue on every channel and park. */
    G *gp = gmp_getg();
    atomic_store(&gp->select_done, 0);
    gp->param = NULL;
    for (int k = 0; k < n; k++) {
        int i = lockorder[k];
        gmp_sudog *sg = &sgs[i];
        *sg = (gmp_sudog){.g = gp, .elem = cases[i].elem, .is_select = true};
        gmp_chan_enqueue(cases[i].chan, sg, cases[i].dir == ASB_SELECT_SEND);
    }
    select_park sp = {cases, lockorder, n};
    gmp_gopark(selparkcommit, &sp, WAIT_SELECT);

    /* Pass 3: the case whose sudog woke us won; dequeue the others. */
    sellock(cases, lockorder, n);
    gmp_sudog *won = gp->param;
    int casi = -1;
    for (int k = 0; k < n; k++) {
        int i = lockorder[k];
        if (&sgs[i] == won)
            casi = i;
        else
            gmp_chan_dequeue_sudog(cases[i].chan, &sgs[i], cases[i].dir == ASB_SELECT_SEND);
    }
    selunlock(cases, lockorder, n);
    if (casi < 0) abort();
    bool success = won->success;
    free(heap);
    if (cases[casi].dir == ASB_SELECT_SEND) {
        if (!success) {
            fprintf(stderr, "gmp: panic: send on closed channel\n");
            abort();
        }
    } else {
        cases[casi].ok = success;
    }
    return casi;
}
