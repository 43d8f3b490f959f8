/*
 * probe.c — the scenarios' common parts (probe.h): progress lines written
 * straight to fd 2, the live-block set and the check for a block handed out
 * twice, overlapping blocks and malloc returning forbidden memory.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

void *(*volatile sec_malloc)(size_t) = malloc;
void *(*volatile sec_calloc)(size_t, size_t) = calloc;
void *(*volatile sec_realloc)(void *, size_t) = realloc;
void (*volatile sec_free)(void *) = free;

void *sec_launder(void *p) {
    __asm__ volatile("" : "+r"(p));
    return p;
}

/* One line on fd 2 with write(2): no stdio buffer on a heap that the
 * misuse may have corrupted, and the line is out before the next step. */
static void probe_line(const char *kind, const char *fmt, va_list ap) {
    char line[512];
    int n = snprintf(line, sizeof line, SEC_PROBE_PREFIX "%s", kind);
    if (fmt && n >= 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = strnlen(line, sizeof line - 2);
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\n') line[i] = ' ';
    line[len++] = '\n';
    for (size_t done = 0; done < len;) {
        ssize_t w = write(2, line + done, len - done);
        if (w <= 0) return;
        done += (size_t)w;
    }
}

static void probe_linef(const char *kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    probe_line(kind, fmt, ap);
    va_end(ap);
}

void sec_misuse(const char *what) { probe_linef("misuse: ", "%s", what); }
void sec_later(void) { probe_linef("later", NULL); }

void sec_observed(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    probe_line("observed: ", fmt, ap);
    va_end(ap);
}

void *sec_keep(sec_run *r, void *p, size_t n) {
    if (p && r->nlive < SEC_MAX_LIVE) r->live[r->nlive++] = (sec_block){p, n};
    return p;
}

void sec_drop(sec_run *r, void *p) {
    for (int i = 0; i < r->nlive; i++)
        if (r->live[i].p == p) {
            r->live[i] = r->live[--r->nlive];
            return;
        }
}

void sec_forbid(sec_run *r, const void *p, size_t n, const char *what) {
    if (r->nforbidden < SEC_MAX_REGIONS)
        r->forbidden[r->nforbidden++] = (sec_region){(uintptr_t)p, (uintptr_t)p + n, what};
}

int sec_spray(sec_run *r, size_t n, int count) {
    int got = 0;
    for (int i = 0; i < count; i++) got += sec_keep(r, sec_malloc(n), n) != NULL;
    return got;
}

void sec_spray_sizes(sec_run *r, size_t max) {
    for (size_t n = 8; n <= max; n += 8) sec_keep(r, sec_malloc(n), n);
}

int sec_result(sec_run *r, bool exploited, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    probe_line(exploited ? "exploited: " : "not exploited: ", fmt, ap);
    va_end(ap);
    asb_report(r->ctx, "exploited", exploited);
    return ASB_OK;
}

static int by_address(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)((const sec_block *)a)->p, y = (uintptr_t)((const sec_block *)b)->p;
    return (x > y) - (x < y);
}

int sec_check_blocks(sec_run *r, const char *none) {
    probe_linef("check", NULL);
    for (int i = 0; i < r->nlive; i++) {
        uintptr_t a = (uintptr_t)r->live[i].p;
        for (int k = 0; k < r->nforbidden; k++)
            if (a + r->live[i].n > r->forbidden[k].lo && a < r->forbidden[k].hi)
                return sec_result(r, true, "malloc returned %p (%zu B) inside %s", r->live[i].p, r->live[i].n,
                                  r->forbidden[k].what);
    }
    qsort(r->live, (size_t)r->nlive, sizeof *r->live, by_address);
    for (int i = 1; i < r->nlive; i++) {
        const sec_block *a = &r->live[i - 1], *b = &r->live[i];
        if (a->p == b->p)
            return sec_result(r, true, "the same block %p was handed out twice (%zu B and %zu B)", a->p, a->n, b->n);
        if ((uintptr_t)a->p + a->n > (uintptr_t)b->p)
            return sec_result(r, true, "live blocks %p (%zu B) and %p (%zu B) overlap", a->p, a->n, b->p, b->n);
    }
    return sec_result(r, false, "%s (%d live blocks checked)", none, r->nlive);
}

/* The shared object that defines symbol (as the dynamic linker resolves it). */
static const char *defining_object(const char *symbol) {
    Dl_info info;
    void *addr = dlsym(RTLD_DEFAULT, symbol);
    if (!addr || !dladdr(addr, &info) || !info.dli_fname) return NULL;
    return info.dli_fname;
}

sec_usable_fn sec_usable_size_fn(char *why, size_t len) {
    const char *of_malloc = defining_object("malloc"), *of_usable = defining_object("malloc_usable_size");
    if (!of_usable) {
        snprintf(why, len, "no malloc_usable_size in the process");
        return NULL;
    }
    if (!of_malloc || strcmp(of_malloc, of_usable) != 0) {
        snprintf(why, len, "malloc_usable_size comes from %s, malloc from %s", of_usable,
                 of_malloc ? of_malloc : "an unknown object");
        return NULL;
    }
    snprintf(why, len, "malloc_usable_size and malloc both from %s", of_malloc);
    return (sec_usable_fn)dlsym(RTLD_DEFAULT, "malloc_usable_size");
}

size_t sec_usable(void *p, size_t asked) {
    char why[256];
    sec_usable_fn fn = sec_usable_size_fn(why, sizeof why);
    size_t n = fn ? fn(p) : 0;
    return n >= asked ? n : asked;
}

int sec_not_applicable(sec_run *r, const char *fmt, ...) {
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return asb_fail(r->ctx, ASB_UNSUPPORTED, "%s", reason);
}

void *sec_fake_chunk(void *region, size_t len) {
    unsigned char *chunk = (unsigned char *)(((uintptr_t)region + 127) & ~(uintptr_t)63);
    if (chunk + 128 > (unsigned char *)region + len) return NULL;
    const size_t chunk_size = 64, prev_inuse = 1;
    memset(region, 0, len);
    ((size_t *)chunk)[1] = chunk_size | prev_inuse;
    ((size_t *)(chunk + chunk_size))[1] = chunk_size | prev_inuse;
    return chunk + 2 * sizeof(size_t);
}
