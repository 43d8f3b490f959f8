/*
 * traceback.c — introspection: the state dump printed on SIGQUIT or SIGUSR1
 * (every G with its state and wait reason, plus a schedtrace line; Go's
 * runtime/traceback.go tracebackothers and proc.go schedtrace), the leak
 * report at the end of run(), and the statistics behind asb_sched.stats.
 *
 * Leaks: a G still blocked (waiting or in a syscall) when run() returns can
 * never finish; it is reported on stderr with its wait reason and counted in
 * `leaked_gs`.  Gs that were merely runnable (say a skynet leaf that had sent
 * its value but not yet returned) are counted in `abandoned_gs`.
 *
 * The dump runs inside the signal handler and the run continues afterwards
 * (Go exits after a SIGQUIT dump; here the benchmark goes on).  It only
 * reads atomics and lists that are never unlinked during a run, and formats
 * with its own async-signal-safe helpers.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime2.h"

static const char *const waitreason_strings[WAIT_NREASONS] = {
    [WAIT_NONE] = "",
    [WAIT_CHAN_SEND] = "chan send",
    [WAIT_CHAN_RECV] = "chan receive",
    [WAIT_SELECT] = "select",
    [WAIT_SELECT_NO_CASES] = "select (no cases)",
    [WAIT_SLEEP] = "sleep",
    [WAIT_SEMACQUIRE] = "semacquire",
    [WAIT_SYNC_MUTEX_LOCK] = "sync.Mutex.Lock",
    [WAIT_SYNC_WAITGROUP_WAIT] = "sync.WaitGroup.Wait",
    [WAIT_IO_WAIT] = "IO wait",
};

static const char *const gstatus_strings[GMP_NGSTATUS] = {
    [G_IDLE] = "idle",       [G_RUNNABLE] = "runnable", [G_RUNNING] = "running",
    [G_SYSCALL] = "syscall", [G_WAITING] = "waiting",   [5] = "moribund_unused",
    [G_DEAD] = "dead",
};

const char *gmp_waitreason_string(gmp_waitreason r) {
    return r < WAIT_NREASONS ? waitreason_strings[r] : "?";
}

static const char *gstatus_string(uint32_t s) { return s < GMP_NGSTATUS ? gstatus_strings[s] : "?"; }

/* ---- async-signal-safe output ---- */

typedef struct out {
    int fd;
    char buf[512];
    size_t len;
} out;

static void out_flush(out *o) {
    size_t off = 0;
    while (off < o->len) {
        ssize_t n = write(o->fd, o->buf + off, o->len - off);
        if (n <= 0) break;
        off += (size_t)n;
    }
    o->len = 0;
}

static void out_str(out *o, const char *s) {
    for (; *s; s++) {
        if (o->len == sizeof o->buf) out_flush(o);
        o->buf[o->len++] = *s;
    }
}

static void out_u64(out *o, uint64_t v) {
    char tmp[24];
    int i = sizeof tmp - 1;
    tmp[i] = 0;
    do tmp[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    out_str(o, tmp + i);
}

void gmp_dump_all(int fd) {
    out o = {.fd = fd, .len = 0};
    out_str(&o, "SCHED gomaxprocs=");
    out_u64(&o, (uint64_t)gmp_gomaxprocs);
    out_str(&o, " idleprocs=");
    out_u64(&o, (uint64_t)relaxed_load(&gmp_sched.npidle));
    out_str(&o, " spinningthreads=");
    out_u64(&o, (uint64_t)relaxed_load(&gmp_sched.nmspinning));
    out_str(&o, " runqueue=");
    out_u64(&o, (uint64_t)relaxed_load(&gmp_sched.runqsize));
    out_str(&o, " [");
    for (int i = 0; i < gmp_gomaxprocs; i++) {
        if (i) out_str(&o, " ");
        out_u64(&o, gmp_runqlen(gmp_allp[i]));
    }
    out_str(&o, "]\n");
    for (G *gp = acquire_load(&gmp_allgs); gp; gp = gp->alllink) {
        uint32_t s = relaxed_load(&gp->status);
        if (s == G_DEAD || s == G_IDLE) continue;
        out_str(&o, "\ngoroutine ");
        out_u64(&o, gp->goid);
        out_str(&o, " [");
        out_str(&o, gstatus_string(s));
        gmp_waitreason r = relaxed_load(&gp->waitreason);
        if (s == G_WAITING && r != WAIT_NONE) {
            out_str(&o, ", ");
            out_str(&o, gmp_waitreason_string(r));
        }
        out_str(&o, "]:\n");
    }
    out_flush(&o);
}

/* ---- dump on a signal ---- */

static const int dump_signals[] = {SIGQUIT, SIGUSR1};
static struct sigaction old_dump_actions[2];

static void dump_handler(int sig) {
    (void)sig;
    gmp_dump_all(STDERR_FILENO);
}

void gmp_dump_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = dump_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 2; i++) sigaction(dump_signals[i], &sa, &old_dump_actions[i]);
}

void gmp_dump_uninstall(void) {
    for (int i = 0; i < 2; i++) sigaction(dump_signals[i], &old_dump_actions[i], NULL);
}

/* ---- statistics of the last run ---- */

static struct {
    bool valid;
    gmp_pstats p;
    uint64_t gs_by_state[GMP_NGSTATUS];
    uint64_t gs_total, leaked, abandoned, threads, lock_acquires, lock_contended, syscall_handoffs,
        preempt_requests, outside_spawns, stack_guards, spinning_starts;
    int procs;
    gmp_debug opts;
} last;

void gmp_collect_stats(void) {
    memset(&last, 0, sizeof last);
    last.valid = true;
    for (int i = 0; i < gmp_gomaxprocs; i++) {
        gmp_pstats *s = &gmp_allp[i]->stats;
        last.p.ctxswitches += s->ctxswitches;
        last.p.steals += s->steals;
        last.p.stolen_gs += s->stolen_gs;
        last.p.runq_overflows += s->runq_overflows;
        last.p.preempt_coop += s->preempt_coop;
        last.p.preempt_async += s->preempt_async;
        last.p.spawns += s->spawns;
        last.p.gosched += s->gosched;
        last.p.runnext_hits += s->runnext_hits;
    }
    for (G *gp = relaxed_load(&gmp_allgs); gp; gp = gp->alllink) {
        uint32_t s = relaxed_load(&gp->status);
        last.gs_total++;
        if (s < GMP_NGSTATUS) last.gs_by_state[s]++;
        if (s == G_RUNNABLE || s == G_RUNNING) last.abandoned++;
        if (s != G_WAITING && s != G_SYSCALL) continue;
        last.leaked++;
        gmp_waitreason r = s == G_WAITING ? relaxed_load(&gp->waitreason) : WAIT_NONE;
        fprintf(stderr, "gmp: leaked goroutine %llu [%s%s%s]\n", (unsigned long long)gp->goid,
                gstatus_string(s), r != WAIT_NONE ? ", " : "", gmp_waitreason_string(r));
    }
    for (M *m = relaxed_load(&gmp_allm); m; m = m->alllink) last.threads += m->id >= 0;
    last.lock_acquires = gmp_sched.lock_acquires;
    last.lock_contended = gmp_sched.lock_contended;
    last.syscall_handoffs = relaxed_load(&gmp_sched.syscall_handoffs);
    last.preempt_requests = relaxed_load(&gmp_sched.preempt_requests);
    last.outside_spawns = gmp_outside_spawns();
    last.spinning_starts = relaxed_load(&gmp_sched.spinning_starts);
    last.stack_guards = gmp_stack_guard_count();
    last.procs = gmp_gomaxprocs;
    last.opts = gmp_opts;
}

void gmp_stats(asb_stat_emit emit, void *cookie) {
    if (!last.valid) return;
    emit(cookie, "procs", last.procs);
    emit(cookie, "threads", (double)last.threads);
    emit(cookie, "gs_total", (double)last.gs_total);
    for (int s = 0; s < GMP_NGSTATUS; s++) {
        if (s == 5) continue;
        char key[32];
        snprintf(key, sizeof key, "gs_%s", gstatus_strings[s]);
        emit(cookie, key, (double)last.gs_by_state[s]);
    }
    emit(cookie, "leaked_gs", (double)last.leaked);
    emit(cookie, "abandoned_gs", (double)last.abandoned);
    emit(cookie, "spawns", (double)(last.p.spawns + last.outside_spawns));
    emit(cookie, "outside_spawns", (double)last.outside_spawns);
    emit(cookie, "ctxswitches", (double)last.p.ctxswitches);
    emit(cookie, "gosched", (double)last.p.gosched);
    emit(cookie, "runnext_hits", (double)last.p.runnext_hits);
    emit(cookie, "spinning_starts", (double)last.spinning_starts);
    emit(cookie, "steals", (double)last.p.steals);
    emit(cookie, "stolen_gs", (double)last.p.stolen_gs);
    emit(cookie, "runq_overflows", (double)last.p.runq_overflows);
    emit(cookie, "globrunq_lock_acquires", (double)last.lock_acquires);
    emit(cookie, "globrunq_lock_contended", (double)last.lock_contended);
    emit(cookie, "preempt_requests", (double)last.preempt_requests);
    emit(cookie, "preempt_coop", (double)last.p.preempt_coop);
    emit(cookie, "preempt_async", (double)last.p.preempt_async);
    emit(cookie, "syscall_handoffs", (double)last.syscall_handoffs);
    emit(cookie, "stack_guards", (double)last.stack_guards);
    emit(cookie, "opt_runnext", last.opts.runnext);
    emit(cookie, "opt_steal", last.opts.steal);
    emit(cookie, "opt_spinning", last.opts.spinning);
    emit(cookie, "opt_asyncpreempt", last.opts.asyncpreempt);
    emit(cookie, "opt_sysmon", last.opts.sysmon);
    emit(cookie, "opt_netpoll", last.opts.netpoll);
}
