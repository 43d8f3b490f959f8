/*
 * worker_counters.c — the worker's counts of its timed region (see
 * worker_counters.h): perf_event_open hardware counters, or callgrind's
 * instrumentation switch.
 *
 * perf: each event is a separate counter on this thread with inherit=1, so
 * the threads started after it (the workload's, the scheduler's) are
 * counted with it and reading it sums them, live or exited.  Threads that
 * existed before (an allocator's background thread started in a
 * constructor) are not.  User space only, so that kernel.perf_event_paranoid
 * = 2 (the default) allows it.  A region's count is the difference of two
 * reads around enable/disable, so regions add up exactly.
 *
 * cachegrind: asbench starts the worker under valgrind --tool=callgrind
 * --instr-atstart=no; the worker switches instrumentation on at the start of
 * each timed region and off at its end, so callgrind's totals are those of
 * the timed regions alone.  Instrumentation (unlike callgrind's "collect"
 * state, which is per thread) applies to every thread.
 */
#include "worker_counters.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef ASB_HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#include <valgrind/valgrind.h>
#endif

static const struct {
    const char *key; /* counters.KEY */
    uint32_t type;
    uint64_t config;
} perf_events[ASB_PERF_EVENTS] = {
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"dtlb_misses", PERF_TYPE_HW_CACHE,
     PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) | (PERF_COUNT_HW_CACHE_RESULT_MISS << 16)},
};

bool asb_counters_mode_parse(const char *name, asb_counters_mode *mode) {
    if (strcmp(name, "perf") == 0) *mode = ASB_COUNTERS_PERF;
    else if (strcmp(name, "cachegrind") == 0) *mode = ASB_COUNTERS_CACHEGRIND;
    else return false;
    return true;
}

/* What an errno of perf_event_open means on the machine at hand. */
static void perf_failure(asb_worker_counters *c, const char *event, int err) {
    char hint[96] = "";
    if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
        snprintf(hint, sizeof hint, " (this kernel exposes no hardware PMU for it: a VM without PMU passthrough?)");
    else if (err == EACCES || err == EPERM) {
        int level = 0;
        FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
        if (f) {
            if (fscanf(f, "%d", &level) != 1) level = 0;
            fclose(f);
        }
        snprintf(hint, sizeof hint, " (kernel.perf_event_paranoid=%d forbids it)", level);
    } else if (err == ENOSYS)
        snprintf(hint, sizeof hint, " (kernel built without perf events)");
    snprintf(c->unavailable, sizeof c->unavailable, "perf_event_open(%s): %s%s", event, strerror(err), hint);
}

static void perf_open(asb_worker_counters *c) {
    for (int i = 0; i < ASB_PERF_EVENTS; i++) {
        struct perf_event_attr attr = {
            .size = sizeof attr,
            .type = perf_events[i].type,
            .config = perf_events[i].config,
            .read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING,
            .disabled = 1,
            .inherit = 1,
            .exclude_kernel = 1,
            .exclude_hv = 1,
        };
        c->fd[i] = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (c->fd[i] < 0) {
            perf_failure(c, perf_events[i].key, errno);
            asb_worker_counters_close(c);
            return;
        }
    }
}

void asb_worker_counters_open(asb_worker_counters *c, asb_counters_mode mode) {
    *c = (asb_worker_counters){.mode = mode};
    for (int i = 0; i < ASB_PERF_EVENTS; i++) c->fd[i] = -1;
    if (mode == ASB_COUNTERS_PERF) perf_open(c);
#ifdef ASB_HAVE_CALLGRIND_H
    else if (mode == ASB_COUNTERS_CACHEGRIND && !RUNNING_ON_VALGRIND)
        snprintf(c->unavailable, sizeof c->unavailable,
                 "not running under valgrind (asbench --counters cachegrind starts the worker under "
                 "valgrind --tool=callgrind --instr-atstart=no)");
#else
    else if (mode == ASB_COUNTERS_CACHEGRIND)
        snprintf(c->unavailable, sizeof c->unavailable,
                 "this worker was built without valgrind/callgrind.h (install valgrind and rebuild)");
#endif
}

/* Switch callgrind's instrumentation (no-ops when not under valgrind). */
static void callgrind_switch(bool on, bool zero) {
#ifdef ASB_HAVE_CALLGRIND_H
    if (zero) CALLGRIND_ZERO_STATS;
    if (on) CALLGRIND_START_INSTRUMENTATION;
    else CALLGRIND_STOP_INSTRUMENTATION;
#else
    (void)on;
    (void)zero;
#endif
}

/* value, time enabled, time running; false if the read failed. */
static bool perf_read(int fd, uint64_t v[3]) { return read(fd, v, 3 * sizeof *v) == (ssize_t)(3 * sizeof *v); }

void asb_worker_counters_resume(asb_worker_counters *c) {
    if (c->unavailable[0]) return;
    if (c->mode == ASB_COUNTERS_CACHEGRIND) callgrind_switch(true, false);
    if (c->mode != ASB_COUNTERS_PERF) return;
    for (int i = 0; i < ASB_PERF_EVENTS; i++) {
        if (!perf_read(c->fd[i], c->at_resume[i])) {
            snprintf(c->unavailable, sizeof c->unavailable, "reading perf counter %s: %s", perf_events[i].key,
                     strerror(errno));
            return;
        }
        ioctl(c->fd[i], PERF_EVENT_IOC_ENABLE, 0);
    }
}

void asb_worker_counters_pause(asb_worker_counters *c, bool keep) {
    if (c->unavailable[0]) return;
    if (c->mode == ASB_COUNTERS_CACHEGRIND) callgrind_switch(false, !keep);
    if (c->mode != ASB_COUNTERS_PERF) return;
    for (int i = 0; i < ASB_PERF_EVENTS; i++) {
        uint64_t now[3];
        ioctl(c->fd[i], PERF_EVENT_IOC_DISABLE, 0);
        if (!perf_read(c->fd[i], now)) {
            snprintf(c->unavailable, sizeof c->unavailable, "reading perf counter %s: %s", perf_events[i].key,
                     strerror(errno));
            return;
        }
        if (keep)
            for (int k = 0; k < 3; k++) c->total[i][k] += now[k] - c->at_resume[i][k];
    }
}

void asb_worker_counters_emit(const asb_worker_counters *c, FILE *out) {
    if (c->mode == ASB_COUNTERS_OFF) return;
    if (c->unavailable[0]) {
        fprintf(out, "counters.unavailable=%s\n", c->unavailable);
        return;
    }
    if (c->mode != ASB_COUNTERS_PERF) return;
    for (int i = 0; i < ASB_PERF_EVENTS; i++)
        if (c->total[i][2] == 0) {
            fprintf(out, "counters.unavailable=perf counter %s never ran (no timed region, or no free PMU counter)\n",
                    perf_events[i].key);
            return;
        }
    /* With more events than hardware counters the kernel time-shares them:
     * scale by enabled/running, as perf stat does. */
    for (int i = 0; i < ASB_PERF_EVENTS; i++)
        fprintf(out, "counters.%s=%.0f\n", perf_events[i].key,
                (double)c->total[i][0] * ((double)c->total[i][1] / (double)c->total[i][2]));
}

void asb_worker_counters_close(asb_worker_counters *c) {
    for (int i = 0; i < ASB_PERF_EVENTS; i++)
        if (c->fd[i] >= 0) {
            close(c->fd[i]);
            c->fd[i] = -1;
        }
}
