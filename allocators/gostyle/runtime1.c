/*
 * runtime1.c — the GOSTYLEDEBUG ablation switches, parsed once at start in
 * GODEBUG style (Go's runtime1.go parsedebugvars):
 *
 *   GOSTYLEDEBUG=mcache=0,pagecache=0,scavenger=off|background|eager,
 *                madvise=dontneed|free,procs=N,freegc=1,gcpercent=N,printstats=1
 *
 * Unknown keys and malformed values are ignored (and counted, for tests).
 */
#include <string.h>

#include "runtime.h"

gs_debug gs_dbg;

static bool parse_uint(const char *v, size_t len, int *out) {
    if (len == 0 || len > 9) return false;
    int x = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') return false;
        x = x * 10 + (v[i] - '0');
    }
    *out = x;
    return true;
}

static bool value_is(const char *v, size_t len, const char *word) {
    return strlen(word) == len && memcmp(v, word, len) == 0;
}

static bool parse_bool(const char *v, size_t len, bool *out) {
    int x;
    if (!parse_uint(v, len, &x) || x > 1) return false;
    *out = x == 1;
    return true;
}

static bool parse_one(const char *key, size_t klen, const char *v, size_t vlen, gs_debug *d) {
    int n;
    if (value_is(key, klen, "mcache")) return parse_bool(v, vlen, &d->mcache);
    if (value_is(key, klen, "pagecache")) return parse_bool(v, vlen, &d->pagecache);
    if (value_is(key, klen, "freegc")) return parse_bool(v, vlen, &d->freegc);
    if (value_is(key, klen, "printstats")) return parse_bool(v, vlen, &d->printstats);
    if (value_is(key, klen, "scavenger")) {
        if (value_is(v, vlen, "off")) d->scavenger = GS_SCAV_OFF;
        else if (value_is(v, vlen, "background")) d->scavenger = GS_SCAV_BACKGROUND;
        else if (value_is(v, vlen, "eager")) d->scavenger = GS_SCAV_EAGER;
        else return false;
        return true;
    }
    if (value_is(key, klen, "madvise")) {
        if (value_is(v, vlen, "dontneed")) d->madvise = GS_MADV_DONTNEED;
        else if (value_is(v, vlen, "free")) d->madvise = GS_MADV_FREE;
        else return false;
        return true;
    }
    if (value_is(key, klen, "procs")) {
        if (!parse_uint(v, vlen, &n) || n < 1 || n > GS_MAX_PROCS) return false;
        d->procs = n;
        return true;
    }
    if (value_is(key, klen, "gcpercent")) {
        if (!parse_uint(v, vlen, &n)) return false;
        d->gcpercent = n;
        return true;
    }
    return false;
}

int gs_debug_parse(const char *s, gs_debug *d, int ncpu) {
    d->mcache = true;
    d->pagecache = true;
    d->freegc = false;
    d->printstats = false;
    d->scavenger = GS_SCAV_BACKGROUND;
    d->madvise = GS_MADV_DONTNEED;
    d->procs = ncpu < 1 ? 1 : ncpu > GS_MAX_PROCS ? GS_MAX_PROCS : ncpu;
    d->gcpercent = 100;
    int bad = 0;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq || !parse_one(s, (size_t)(eq - s), eq + 1, len - (size_t)(eq - s) - 1, d)) {
            if (len) bad++;
        }
        s = end ? end + 1 : NULL;
    }
    return bad;
}
