/*
 * empirical.c — the `empirical` workload, after tcmalloc's empirical driver:
 * an allocation pattern drawn from a profile file (profile.h: size and
 * lifetime distributions, allocation rate, thread count, a cycle of phases
 * with spikes and drops) rather than from a fixed benchmark loop, run for a
 * number of allocations (count mode: the presets) or for a time (fixed-time
 * mode, seconds=N, for minutes-long runs whose memory over time matters).
 *
 * Each thread allocates objects whose size and lifetime it draws from the
 * profile; a lifetime is counted in the thread's own allocations and scaled
 * by the phase (a spike makes what is allocated meanwhile live longer, so
 * the live set swells); a phase may start with a drop, which frees that
 * share of the live objects at once.  Deaths are kept in a timing wheel of
 * 2^16 buckets (an object with a longer lifetime waits another turn), the
 * objects' records in memory mapped outside the allocator under test.
 * Threads are independent: each frees only what it allocated.
 *
 * Live bytes go to the harness (asb_live_add) for the fragmentation curve.
 * Verification: every object is filled with a pattern of its id, and every
 * word is checked before it is freed; the sum of the ids' hashes of the
 * objects allocated minus those freed must come back to zero.
 *
 * One op = one allocation.  Setup and the final frees are not timed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc_util.h"
#include "profile.h"

/* workloads/alloc/meson.build sets it to the source tree's profiles/. */
#ifndef ASB_PROFILE_DIR
#define ASB_PROFILE_DIR "workloads/alloc/profiles"
#endif

#define EMPIRICAL "empirical"
#define WHEEL_BITS 16
#define WHEEL (1u << WHEEL_BITS)
#define NIL UINT32_MAX
/* Clock checks (time mode, rate) once per this many allocations. */
#define CHECK_EVERY 64

typedef struct emp_obj {
    unsigned char *p;
    uint64_t id, death; /* death: the thread's allocation count at which it is freed, or EMP_FOREVER */
    uint32_t size, next;
} emp_obj;

typedef struct emp_thread {
    asb_ctx *ctx;
    const emp_profile *prof;
    int index, status;
    uint64_t allocs_target; /* count mode; 0 in time mode */
    uint64_t end_ns;        /* time mode: the monotonic clock at which to stop */
    emp_obj *objs;          /* records, mapped; grown with mremap */
    size_t objs_cap;
    uint32_t used, free_head, forever_head;
    uint32_t *wheel;        /* per bucket: the first record of a list, NIL when empty */
    uint64_t now;           /* allocations made */
    uint64_t live_bytes, peak_live_bytes, bytes, checksum;
    asb_rng rng;
} emp_thread;

static uint64_t pattern(uint64_t id) { return awl_mix(id * 0x9e3779b97f4a7c15ull + 0x5851f42d4c957f2dull); }

static void fill(unsigned char *p, size_t size, uint64_t word) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8) memcpy(p + i, &word, 8);
    memcpy(p + i, &word, size - i);
}

/* The offset of the first byte that differs from the pattern, or size. */
static size_t first_difference(const unsigned char *p, size_t size, uint64_t word) {
    size_t i = 0;
    for (; i + 8 <= size; i += 8)
        if (memcmp(p + i, &word, 8)) break;
    for (; i < size; i++)
        if (p[i] != ((const unsigned char *)&word)[i % 8]) return i;
    return size;
}

static uint32_t record_new(emp_thread *t) {
    if (t->free_head != NIL) {
        uint32_t r = t->free_head;
        t->free_head = t->objs[r].next;
        return r;
    }
    if (t->used == t->objs_cap) {
        if (t->objs_cap >= NIL / 2) return NIL;
        size_t old = t->objs_cap * sizeof *t->objs;
        void *grown = mremap(t->objs, old, 2 * old, MREMAP_MAYMOVE);
        if (grown == MAP_FAILED) return NIL;
        t->objs = grown;
        t->objs_cap *= 2;
    }
    return t->used++;
}

static void record_free(emp_thread *t, uint32_t r) {
    t->objs[r].next = t->free_head;
    t->free_head = r;
}

static void link_object(emp_thread *t, uint32_t r) {
    uint32_t *head = t->objs[r].death == EMP_FOREVER ? &t->forever_head : &t->wheel[t->objs[r].death & (WHEEL - 1)];
    t->objs[r].next = *head;
    *head = r;
}

/* Checks the contents of record r's object, frees it and its record. */
static int object_free(emp_thread *t, uint32_t r) {
    emp_obj *o = &t->objs[r];
    uint64_t word = pattern(o->id);
    size_t at = first_difference(o->p, o->size, word);
    if (at < o->size)
        return asb_verify_fail(t->ctx, "empirical: thread %d object %llu at %p (%u B): byte %zu overwritten while live",
                               t->index, (unsigned long long)o->id, (void *)o->p, o->size, at);
    free(o->p);
    t->checksum -= word;
    t->live_bytes -= o->size;
    asb_live_add(t->ctx, t->index, -(int64_t)o->size);
    record_free(t, r);
    return ASB_OK;
}

/* Frees the objects of list *head for which `dies` says so (the rest stay
 * linked, in order). */
static int free_from_list(emp_thread *t, uint32_t *head, bool (*dies)(emp_thread *, const emp_obj *, void *),
                          void *arg) {
    uint32_t *link = head;
    while (*link != NIL) {
        uint32_t r = *link;
        if (!dies(t, &t->objs[r], arg)) {
            link = &t->objs[r].next;
            continue;
        }
        *link = t->objs[r].next;
        int status = object_free(t, r);
        if (status != ASB_OK) return status;
    }
    return ASB_OK;
}

static bool due(emp_thread *t, const emp_obj *o, void *arg) {
    (void)arg;
    return o->death <= t->now;
}

static bool dropped(emp_thread *t, const emp_obj *o, void *share) {
    (void)o;
    return (double)(asb_rng_next(&t->rng) >> 11) * 0x1p-53 < *(double *)share;
}

static bool always(emp_thread *t, const emp_obj *o, void *arg) {
    (void)t, (void)o, (void)arg;
    return true;
}

/* Every live object (wheel and forever list) for which `dies` says so. */
static int free_live(emp_thread *t, bool (*dies)(emp_thread *, const emp_obj *, void *), void *arg) {
    int status = free_from_list(t, &t->forever_head, dies, arg);
    for (uint32_t b = 0; b < WHEEL && status == ASB_OK; b++) status = free_from_list(t, &t->wheel[b], dies, arg);
    return status;
}

static int allocate(emp_thread *t, double lifetime_scale) {
    const emp_profile *pf = t->prof;
    uint64_t size, life;
    double u1 = (double)(asb_rng_next(&t->rng) >> 11) * 0x1p-53, u2 = (double)(asb_rng_next(&t->rng) >> 11) * 0x1p-53;
    emp_sample_object(pf, u1, u2, asb_rng_next(&t->rng), asb_rng_next(&t->rng), &size, &life);
    uint32_t r = record_new(t);
    if (r == NIL) return asb_fail(t->ctx, ASB_ERROR, "empirical: thread %d: out of memory for object records", t->index);
    emp_obj *o = &t->objs[r];
    *o = (emp_obj){.id = ((uint64_t)t->index << 48) | t->now, .size = (uint32_t)size};
    o->death = life == EMP_FOREVER ? EMP_FOREVER : t->now + (uint64_t)fmax(1, round((double)life * lifetime_scale));
    if (!(o->p = malloc(size))) {
        record_free(t, r);
        return asb_fail(t->ctx, ASB_ERROR, "empirical: thread %d: malloc(%llu) returned NULL", t->index,
                        (unsigned long long)size);
    }
    uint64_t word = pattern(o->id);
    fill(o->p, size, word);
    t->checksum += word;
    t->live_bytes += size;
    t->bytes += size;
    if (t->live_bytes > t->peak_live_bytes) t->peak_live_bytes = t->live_bytes;
    asb_live_add(t->ctx, t->index, (int64_t)size);
    link_object(t, r);
    t->now++;
    return free_from_list(t, &t->wheel[t->now & (WHEEL - 1)], due, NULL);
}

/* Whether the run is over (count or time); pauses to keep the profile's
 * rate. */
static bool finished(emp_thread *t, uint64_t start_ns) {
    bool count_mode = t->allocs_target != 0;
    if (count_mode && t->now >= t->allocs_target) return true;
    if (t->now % CHECK_EVERY || (count_mode && t->prof->rate <= 0)) return false;
    uint64_t now_ns = asb_now_ns();
    if (t->prof->rate > 0) {
        uint64_t due_ns = start_ns + (uint64_t)((double)t->now * 1e9 / t->prof->rate);
        if (due_ns > now_ns) {
            awl_sleep((double)(due_ns - now_ns) / 1e9);
            now_ns = asb_now_ns();
        }
    }
    return !count_mode && now_ns >= t->end_ns;
}

static void *emp_thread_main(void *arg) {
    emp_thread *t = arg;
    const emp_profile *pf = t->prof;
    uint64_t start_ns = asb_now_ns();
    for (int phase = 0; t->status == ASB_OK; phase = (phase + 1) % pf->nphases) {
        const emp_phase *ph = &pf->phases[phase];
        double drop = ph->drop;
        if (drop > 0) t->status = free_live(t, dropped, &drop);
        for (uint64_t i = 0; i < ph->allocs && t->status == ASB_OK; i++) {
            if (finished(t, start_ns)) return NULL;
            t->status = allocate(t, ph->lifetime_scale);
        }
    }
    return NULL;
}

/* profile=NAME: as given, else NAME or NAME.profile in the shipped profiles. */
static const char *resolve_profile(const char *name, char *buf, size_t len) {
    if (name[0] == '/' || access(name, R_OK) == 0) return name;
    snprintf(buf, len, "%s/%s", ASB_PROFILE_DIR, name);
    if (access(buf, R_OK) == 0) return buf;
    snprintf(buf, len, "%s/%s.profile", ASB_PROFILE_DIR, name);
    return access(buf, R_OK) == 0 ? buf : name;
}

static bool thread_setup(emp_thread *t) {
    t->objs_cap = 1u << 16;
    t->objs = mmap(NULL, t->objs_cap * sizeof *t->objs, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    t->wheel = mmap(NULL, WHEEL * sizeof *t->wheel, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->objs == MAP_FAILED || t->wheel == MAP_FAILED) return false;
    memset(t->wheel, 0xff, WHEEL * sizeof *t->wheel); /* NIL */
    t->free_head = t->forever_head = NIL;
    return true;
}

static void thread_teardown(emp_thread *t) {
    if (t->objs && t->objs != MAP_FAILED) munmap(t->objs, t->objs_cap * sizeof *t->objs);
    if (t->wheel && t->wheel != MAP_FAILED) munmap(t->wheel, WHEEL * sizeof *t->wheel);
}

static int emp_run(asb_ctx *ctx) {
    int64_t allocs = asb_param_i(ctx, "allocs"), nthreads = asb_param_i(ctx, "threads");
    double seconds = asb_param_f(ctx, "seconds");
    if (allocs < 1 || seconds < 0 || nthreads < 0 || nthreads > EMP_MAX_THREADS)
        return asb_fail(ctx, ASB_USAGE, "empirical: need allocs >= 1, seconds >= 0 (0: count mode), threads 0..%d",
                        EMP_MAX_THREADS);
    char pathbuf[4096], err[600];
    const char *path = resolve_profile(asb_param_s(ctx, "profile"), pathbuf, sizeof pathbuf);
    emp_profile *pf = malloc(sizeof *pf);
    if (!pf) return asb_fail(ctx, ASB_ERROR, "empirical: out of memory for the profile");
    if (emp_profile_load(path, pf, err, sizeof err)) {
        free(pf);
        return asb_fail(ctx, ASB_USAGE, "empirical: %s", err);
    }
    int p = nthreads ? (int)nthreads : pf->threads;
    size_t bytes = (size_t)p * sizeof(emp_thread);
    emp_thread *threads = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int status = threads == MAP_FAILED ? asb_fail(ctx, ASB_ERROR, "empirical: out of memory") : ASB_OK;
    for (int i = 0; i < p && status == ASB_OK; i++) {
        threads[i] = (emp_thread){.ctx = ctx, .prof = pf, .index = i, .allocs_target = seconds > 0 ? 0 : (uint64_t)allocs};
        asb_rng_seed(&threads[i].rng, asb_seed(ctx) + 0x1000003ull * (uint64_t)i);
        if (!thread_setup(&threads[i])) status = asb_fail(ctx, ASB_ERROR, "empirical: out of memory for thread %d", i);
    }
    asb_live_track(ctx);
    if (status == ASB_OK) {
        asb_timer_start(ctx);
        uint64_t end_ns = asb_now_ns() + (uint64_t)(seconds * 1e9);
        for (int i = 0; i < p; i++) threads[i].end_ns = end_ns;
        status = awl_run_threads(ctx, EMPIRICAL, p, emp_thread_main, threads, sizeof *threads);
        asb_timer_stop(ctx);
    }
    uint64_t made = 0, made_bytes = 0, peak = 0, metadata = 0;
    for (int i = 0; i < p && threads != MAP_FAILED; i++) {
        emp_thread *t = &threads[i];
        if (status == ASB_OK) status = t->status;
        made += t->now;
        made_bytes += t->bytes;
        peak += t->peak_live_bytes;
        metadata += t->used * sizeof *t->objs + WHEEL * sizeof *t->wheel;
        /* After a verification failure the heap may be corrupt: leave it. */
        if (status == ASB_OK && t->objs) status = free_live(t, always, NULL);
        if (status == ASB_OK && t->checksum != 0)
            status = asb_verify_fail(ctx, "empirical: thread %d: the objects freed do not match those allocated "
                                          "(hash sum off by %#llx)", i, (unsigned long long)t->checksum);
        thread_teardown(t);
    }
    asb_count(ctx, made, made, made_bytes);
    asb_report(ctx, "empirical_threads", p);
    asb_report(ctx, "peak_live_bytes", (double)peak);
    asb_report(ctx, "metadata_bytes", (double)metadata);
    if (threads != MAP_FAILED) munmap(threads, bytes);
    free(pf);
    return status;
}

static const asb_param_def emp_params[] = {
    {"profile", "spiky-server", NULL,
     "profile file: a path, or a name in workloads/alloc/profiles/ (python3, sqlite3, gcc-cc1, spiky-server)"},
    {"allocs", "2000000", "300000", "count mode: allocations per thread"},
    {"seconds", "0", NULL, "fixed-time mode: run this long (allocs is then ignored); 0 = count mode"},
    {"threads", "0", NULL, "threads (0 = the profile's; --threads is not used)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload empirical = {
    .name = EMPIRICAL,
    .kind = "alloc",
    .stresses = "a profile's size and lifetime distributions with spikes and drops over time (after tcmalloc's "
                "empirical driver): memory over time, RSS / live bytes",
    .params = emp_params,
    .work_param = "allocs",
    .run = emp_run,
};
ASB_REGISTER_WORKLOAD(empirical)
