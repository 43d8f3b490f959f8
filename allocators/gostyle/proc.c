/*
 * proc.c — binding threads to Ps (the part of Go's proc.go that acquirep /
 * releasep play for the allocator).
 *
 * There are GOSTYLEDEBUG=procs Ps (default: the CPUs this process may run
 * on), each with an mcache (mcache.c), a page cache and a span-struct cache.
 * In Go an M must hold a P to allocate; here a thread binds to a free P on its
 * first allocation and keeps it until it exits, so the owner touches its P
 * with no atomic read-modify-write at all.
 *
 * Threads beyond the number of Ps run without one, through the mcentral
 * locks, until a P frees up: every 64 such operations they also look for a
 * P whose owner has done nothing since the last look (a thread blocked in
 * join, say) and take it over.  Taking over is an asymmetric Dekker handshake:
 * the owner brackets each operation with a plain store of in_use = 1 in its
 * own M (thread record), a load of the P's owner, and a release store of
 * in_use = 0; the thief CASes the P's owner, runs
 * membarrier(PRIVATE_EXPEDITED) — which orders the owner's plain store and
 * load as a fence on its CPU would — and waits for the old owner's in_use to
 * clear.  Either the owner sees the new owner and backs off, or the thief
 * sees in_use and waits.  in_use lives in the M, not the P, because a thread
 * that has lost its P still writes its flag once before it notices.  Ms are
 * recycled, never freed, so the flag stays readable after its thread exits.
 * Without membarrier the owner uses an atomic exchange instead.
 * The fork handlers use the same handshake to stop every P.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

gs_p *gs_allp;
bool gs_membarrier_ok;
__thread gs_tls_state gs_tls __attribute__((tls_model("initial-exec")));

enum { THREAD_FRESH, THREAD_REGISTERED, THREAD_EXITED };
static __thread uint8_t tls_state __attribute__((tls_model("initial-exec")));
static __thread uint32_t tls_pless_ops __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static gs_m seized_m; /* owner of the Ps the fork handler holds */

/* Recycled M structs. */
static struct {
    pthread_mutex_t lock;
    gs_m *free;
    gs_m *chunk;
    int chunk_left;
    gs_m *all;  /* every M ever made, through next_all */
} allm = {.lock = PTHREAD_MUTEX_INITIALIZER};

#define IDLE_CHECK_INTERVAL 64
#define M_CHUNK 64

void gs_procs_init(void) {
    gs_allp = gs_sys_alloc((uintptr_t)gs_dbg.procs * sizeof(gs_p));
    for (int i = 0; i < gs_dbg.procs; i++)
        for (int c = 0; c < GS_NUM_SPAN_CLASSES; c++) gs_allp[i].alloc[c] = &gs_empty_span;
    gs_membarrier_ok = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    if (pthread_key_create(&exit_key, gs_thread_exit) != 0) gs_throw("pthread_key_create failed");
}

/* A new thread's M; its freegc lists open now. */
static gs_m *m_alloc(void) {
    gs_freegc_open();
    pthread_mutex_lock(&allm.lock);
    gs_m *m = allm.free;
    if (m) {
        allm.free = m->next_free;
    } else {
        if (allm.chunk_left == 0) {
            allm.chunk = gs_sys_alloc(M_CHUNK * sizeof(gs_m));
            allm.chunk_left = M_CHUNK;
        }
        m = &allm.chunk[--allm.chunk_left];
        m->next_all = allm.all;
        allm.all = m;
    }
    m->freegc = &gs_freegc_tls;
    pthread_mutex_unlock(&allm.lock);
    return m;
}

/* Under the allm lock, so that no thread's TLS goes away while it is read
 * (an exiting thread unlinks its lists first).  The owners
 * update room with plain stores, so a running thread's count is a moment's
 * snapshot. */
void gs_freegc_listed(uint64_t per_class[GS_NUM_SPAN_CLASSES]) {
    pthread_mutex_lock(&allm.lock);
    for (gs_m *m = allm.all; m; m = m->next_all) {
        if (!m->freegc) continue;
        for (int c = 1; c < GS_NUM_SPAN_CLASSES; c++)
            per_class[c] += gs_freegc_cap[c] - __atomic_load_n(&m->freegc->room[c], __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&allm.lock);
}

static void m_free(gs_m *m) {
    pthread_mutex_lock(&allm.lock);
    m->next_free = allm.free;
    allm.free = m;
    pthread_mutex_unlock(&allm.lock);
}

static void full_barrier_on_all_threads(void) {
    if (gs_membarrier_ok) {
        if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
            gs_throw("membarrier failed after registration");
    } else {
        atomic_thread_fence(memory_order_seq_cst);
    }
}

static void wait_not_in_use(gs_m *m) {
    while (atomic_load_explicit(&m->in_use, memory_order_acquire)) __builtin_ia32_pause();
}

static gs_p *take_over(gs_p *p, gs_m *old) {
    if (!atomic_compare_exchange_strong(&p->owner, &old, gs_tls.m)) return NULL;
    full_barrier_on_all_threads();
    wait_not_in_use(old);
    gs_tls.p = p;
    return p;
}

gs_p *gs_acquire_p(void) {
    gs_tls.p = NULL;
    if (tls_state == THREAD_EXITED) return NULL;
    if (tls_state == THREAD_FRESH) {
        tls_state = THREAD_REGISTERED;
        gs_tls.m = m_alloc();
        /* May allocate (keys past the first 32); the nested call finds the
         * state registered and binds a P itself. */
        pthread_setspecific(exit_key, gs_tls.m);
        if (gs_tls.p) return gs_tls.p;
    }
    if (!gs_dbg.mcache) return NULL;
    int n = gs_dbg.procs;
    int start = (int)(((uintptr_t)gs_tls.m / sizeof(gs_m)) % (uintptr_t)n);
    for (int i = 0; i < n; i++) {
        gs_p *p = &gs_allp[(start + i) % n];
        gs_m *none = NULL;
        if (!atomic_load_explicit(&p->owner, memory_order_relaxed) &&
            atomic_compare_exchange_strong(&p->owner, &none, gs_tls.m)) {
            gs_tls.p = p;
            return p;
        }
    }
    if (tls_pless_ops++ % IDLE_CHECK_INTERVAL != 0) return NULL;
    for (int i = 0; i < n; i++) {
        gs_p *p = &gs_allp[(start + i) % n];
        gs_m *owner = atomic_load_explicit(&p->owner, memory_order_relaxed);
        uint64_t ops = __atomic_load_n(&p->ops, __ATOMIC_RELAXED);
        if (owner && owner != &seized_m && ops == __atomic_load_n(&p->ops_seen, __ATOMIC_RELAXED) &&
            !atomic_load_explicit(&owner->in_use, memory_order_relaxed)) {
            gs_p *got = take_over(p, owner);
            if (got) return got;
        }
        __atomic_store_n(&p->ops_seen, ops, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* pthread key destructor: the thread is exiting; its P (with its caches)
 * becomes free for the next thread, and its M is recycled.  Later
 * allocations by this thread (other destructors) go through the mcentral
 * locks. */
void gs_thread_exit(void *arg) {
    gs_m *m = arg;
    gs_tls.p = NULL;
    tls_state = THREAD_EXITED;
    /* Unlink the lists before emptying them: statistics read room = 0 as
     * a full list. */
    pthread_mutex_lock(&allm.lock);
    m->freegc = NULL;
    pthread_mutex_unlock(&allm.lock);
    gs_freegc_flush();
    for (int i = 0; i < gs_dbg.procs; i++) {
        gs_m *me = m;
        atomic_compare_exchange_strong(&gs_allp[i].owner, &me, NULL);
    }
    gs_tls.m = NULL;
    m_free(m);
}

/* Fork: take every P from its owner (except the caller's own). */
static gs_m *seized_from[GS_MAX_PROCS];

void gs_seize_all_ps(void) {
    /* The M list too: a child must be able to make Ms and read statistics. */
    pthread_mutex_lock(&allm.lock);
    for (int i = 0; i < gs_dbg.procs; i++) {
        gs_p *p = &gs_allp[i];
        seized_from[i] = NULL;
        for (;;) {
            gs_m *owner = atomic_load_explicit(&p->owner, memory_order_relaxed);
            if (owner && owner == gs_tls.m) break;
            if (atomic_compare_exchange_strong(&p->owner, &owner, &seized_m)) {
                seized_from[i] = owner;
                break;
            }
        }
    }
    full_barrier_on_all_threads();
    for (int i = 0; i < gs_dbg.procs; i++)
        if (seized_from[i]) wait_not_in_use(seized_from[i]);
}

/* After fork, in parent and child: seized Ps are free again; their former
 * owners rebind on their next allocation. */
void gs_release_seized_ps(bool child) {
    for (int i = 0; i < gs_dbg.procs; i++) {
        gs_m *seized = &seized_m;
        atomic_compare_exchange_strong(&gs_allp[i].owner, &seized, NULL);
    }
    /* In the child the other threads are gone: their freegc objects stay
     * allocated (counted live, not listed), and their TLS may be handed to
     * the child's new threads, so their Ms must not point at it. */
    if (child)
        for (gs_m *m = allm.all; m; m = m->next_all)
            if (m != gs_tls.m) m->freegc = NULL;
    pthread_mutex_unlock(&allm.lock);
}
