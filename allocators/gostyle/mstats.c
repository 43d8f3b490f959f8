/*
 * mstats.c — allocator statistics (Go's mstats.go: ReadMemStats, and the
 * gostyle_* control API).
 *
 * Page figures come from the heap's counters; object figures from a walk
 * over every span under the heap lock (Go's allspans): a small span holds
 * alloc_count objects minus the freed slots not yet swept.  Objects in freegc
 * lists are counted as free.  Lock figures sum the gs_mutex counters.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gostyle.h"
#include "runtime.h"

#define GS_PUBLIC __attribute__((visibility("default")))

static void copy_lock(struct gostyle_lock_stats *to, const gs_lock_stats *from, struct gostyle_lock_stats *sum) {
    to->acquisitions = from->acquisitions;
    to->contended = from->contended;
    to->wait_ns = from->wait_ns;
    sum->acquisitions += from->acquisitions;
    sum->contended += from->contended;
    sum->wait_ns += from->wait_ns;
}

static void walk_spans_locked(struct gostyle_stats *st) {
    for (gs_heap_arena *a = gs_heap.all_arenas; a; a = a->next) {
        for (uintptr_t i = 0; i < GS_PAGES_PER_ARENA; i++) {
            gs_mspan *s = a->spans[i];
            uintptr_t page = a->base + (i << GS_PAGE_SHIFT);
            if (!s || s->start != page) continue;
            uint8_t state = atomic_load_explicit(&s->state, memory_order_relaxed);
            if (state == GS_SPAN_DEAD) continue;
            if (s->sizeclass == 0) {
                st->spans_per_class[0]++;
                st->objects_per_class[0]++;
                st->large_objects++;
                st->large_bytes += s->npages << GS_PAGE_SHIFT;
            } else {
                uint32_t live = s->alloc_count - gs_span_pending_frees(s);
                st->spans_per_class[s->sizeclass]++;
                st->objects_per_class[s->sizeclass] += live;
                st->small_span_bytes += s->npages << GS_PAGE_SHIFT;
                st->small_live_objects += live;
                st->small_live_bytes += (uint64_t)live * s->elemsize;
            }
            i += s->npages - 1;
        }
    }
}

GS_PUBLIC int gostyle_stats(struct gostyle_stats *st) {
    gs_ensure_init();
    memset(st, 0, sizeof *st);
    gs_mutex_lock(&gs_heap.lock);
    walk_spans_locked(st);
    gs_mutex_unlock(&gs_heap.lock);
    st->heap_sys_bytes = atomic_load(&gs_heap.heap_sys);
    st->heap_inuse_bytes = atomic_load(&gs_heap.heap_inuse);
    st->heap_released_bytes = atomic_load(&gs_heap.heap_released);
    st->heap_idle_bytes = st->heap_sys_bytes - st->heap_inuse_bytes;
    st->heap_retained_bytes = st->heap_sys_bytes - st->heap_released_bytes;
    st->scavenge_goal_bytes = gs_scavenge_goal();
    st->scavenged_total_bytes = atomic_load(&gs_heap.released_total);
    st->scavenged_sync_bytes = atomic_load(&gs_heap.sync_scavenged);

    gs_lock_stats heap = {0}, spine = {0}, central = {0}, pool = {0}, scav = {0};
    gs_mutex_add_stats(&gs_heap.lock, &heap);
    for (int i = 0; i < GS_NUM_SPAN_CLASSES; i++) {
        gs_mcentral *c = &gs_heap.central[i];
        gs_mutex_add_stats(&c->lock, &central);
        for (int k = 0; k < GS_SPANSET_GENS; k++) {
            gs_mutex_add_stats(&c->partial[k].spine_lock, &spine);
            gs_mutex_add_stats(&c->full[k].spine_lock, &spine);
            st->partial_set_spans += gs_spanset_len(&c->partial[k]);
            st->full_set_spans += gs_spanset_len(&c->full[k]);
        }
    }
    gs_spanset_pool_stats(&pool);
    gs_scavenger_stats(&st->scavenger_cycles, &st->scavenged_background_bytes, &scav);
    copy_lock(&st->heap_lock, &heap, &st->all_locks);
    copy_lock(&st->spine_locks, &spine, &st->all_locks);
    copy_lock(&st->central_locks, &central, &st->all_locks);
    copy_lock(&st->spanset_pool_lock, &pool, &st->all_locks);
    copy_lock(&st->scavenger_lock, &scav, &st->all_locks);

    st->procs = (uint32_t)gs_dbg.procs;
    for (int i = 0; i < gs_dbg.procs; i++) {
        gs_p *p = &gs_allp[i];
        st->p_operations += __atomic_load_n(&p->ops, __ATOMIC_RELAXED);
        if (atomic_load_explicit(&p->owner, memory_order_relaxed)) st->bound_procs++;
    }
    uint64_t listed[GS_NUM_SPAN_CLASSES] = {0};
    gs_freegc_listed(listed);
    for (int c = 1; c < GS_NUM_SPAN_CLASSES; c++) {
        st->freegc_listed_objects += listed[c];
        st->objects_per_class[c] -= listed[c];
        st->small_live_objects -= listed[c];
        st->small_live_bytes -= listed[c] * gs_class_to_size[c];
    }
    st->live_objects = st->small_live_objects + st->large_objects;
    st->live_bytes = st->small_live_bytes + st->large_bytes;
    st->span_utilisation = st->small_span_bytes ? (double)st->small_live_bytes / (double)st->small_span_bytes : 0;
    st->settings = (struct gostyle_settings){
        .mcache = gs_dbg.mcache, .pagecache = gs_dbg.pagecache, .freegc = gs_dbg.freegc,
        .printstats = gs_dbg.printstats, .scavenger = gs_dbg.scavenger, .madvise = gs_dbg.madvise,
        .procs = gs_dbg.procs, .gcpercent = gs_dbg.gcpercent, .membarrier = gs_membarrier_ok};
    return 0;
}

static void put(int fd, const char *fmt_key, unsigned long long v) {
    char line[128];
    int n = snprintf(line, sizeof line, "gostyle: %-28s %llu\n", fmt_key, v);
    if (n > 0 && write(fd, line, (size_t)n) < 0) return;
}

static void put_lock(int fd, const char *name, const struct gostyle_lock_stats *l) {
    char line[160];
    int n = snprintf(line, sizeof line, "gostyle: lock %-22s acquisitions %llu contended %llu wait_ns %llu\n", name,
                     (unsigned long long)l->acquisitions, (unsigned long long)l->contended,
                     (unsigned long long)l->wait_ns);
    if (n > 0 && write(fd, line, (size_t)n) < 0) return;
}

GS_PUBLIC void gostyle_stats_print(int fd) {
    struct gostyle_stats st;
    gostyle_stats(&st);
    put(fd, "heap_sys_bytes", st.heap_sys_bytes);
    put(fd, "heap_inuse_bytes", st.heap_inuse_bytes);
    put(fd, "heap_idle_bytes", st.heap_idle_bytes);
    put(fd, "heap_released_bytes", st.heap_released_bytes);
    put(fd, "heap_retained_bytes", st.heap_retained_bytes);
    put(fd, "scavenge_goal_bytes", st.scavenge_goal_bytes);
    put(fd, "scavenged_total_bytes", st.scavenged_total_bytes);
    put(fd, "scavenged_sync_bytes", st.scavenged_sync_bytes);
    put(fd, "scavenged_background_bytes", st.scavenged_background_bytes);
    put(fd, "scavenger_cycles", st.scavenger_cycles);
    put(fd, "live_objects", st.live_objects);
    put(fd, "live_bytes", st.live_bytes);
    put(fd, "small_span_bytes", st.small_span_bytes);
    put(fd, "small_live_bytes", st.small_live_bytes);
    put(fd, "span_utilisation_permille", (unsigned long long)(st.span_utilisation * 1000));
    put(fd, "large_objects", st.large_objects);
    put(fd, "large_bytes", st.large_bytes);
    put(fd, "freegc_listed_objects", st.freegc_listed_objects);
    put(fd, "partial_set_spans", st.partial_set_spans);
    put(fd, "full_set_spans", st.full_set_spans);
    put(fd, "p_operations", st.p_operations);
    put(fd, "procs", st.procs);
    for (int c = 0; c < GOSTYLE_NUM_SIZE_CLASSES; c++) {
        if (!st.spans_per_class[c]) continue;
        char line[128];
        int n = snprintf(line, sizeof line, "gostyle: class %2d (%5u B) spans %llu objects %llu\n", c,
                         gs_class_to_size[c], (unsigned long long)st.spans_per_class[c],
                         (unsigned long long)st.objects_per_class[c]);
        if (n > 0 && write(fd, line, (size_t)n) < 0) return;
    }
    put_lock(fd, "heap", &st.heap_lock);
    put_lock(fd, "spanset_spines", &st.spine_locks);
    put_lock(fd, "mcentral", &st.central_locks);
    put_lock(fd, "spanset_block_pool", &st.spanset_pool_lock);
    put_lock(fd, "scavenger", &st.scavenger_lock);
    put_lock(fd, "all", &st.all_locks);
}

GS_PUBLIC uint64_t gostyle_scavenge_all(void) {
    gs_ensure_init();
    gs_mutex_lock(&gs_heap.lock);
    uintptr_t r = gs_scavenge_locked(UINTPTR_MAX);
    gs_mutex_unlock(&gs_heap.lock);
    return r;
}

GS_PUBLIC const char *gostyle_version(void) { return "gostyle 0.1"; }

__attribute__((destructor)) static void gostyle_exit(void) {
    if (atomic_load(&gs_initialized) && gs_dbg.printstats) gostyle_stats_print(2);
}
