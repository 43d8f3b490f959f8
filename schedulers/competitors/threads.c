/*
 * threads.c — the OS baseline: one pthread per task, with the kernel as the
 * scheduler.  Channels, select, wait groups and mutexes are the same psync
 * code as the user-level competitors, parking on a per-thread semaphore, so
 * the comparison isolates kernel scheduling and thread creation.  `nprocs`
 * becomes the CPU affinity of every task thread (the first nprocs CPUs the
 * process may use), which is as close as threads get to GOMAXPROCS.
 *
 * The kernel preempts, and a blocking system call blocks only its own thread,
 * so PREEMPTION is a capability and syscall_enter/exit are no-ops; a million
 * live threads is not (MANY_TASKS is not declared).
 *
 * Sockets (NET) block the thread: a call that would block waits in poll(2)
 * on the fd and on the thread's own eventfd, with the deadline as timeout;
 * net_close (netpoll_shared.c) writes the eventfd of every thread waiting on
 * that fd, which then returns -EBADF.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "netpoll_shared.h"
#include "psync.h"

enum { TASK_STACK = 256 * 1024 };

typedef struct th_task {
    sem_t wake;
    int net_wake_fd; /* eventfd net_close writes; -1 until the first socket wait */
    asb_task_fn fn;
    void *arg;
} th_task;

static _Thread_local th_task *self_task;
static cpu_set_t task_cpus;
static atomic_long live_tasks;
static atomic_ulong spawned, spawn_failures;
static long leaked;

static void task_free(th_task *t) {
    sem_destroy(&t->wake);
    if (t->net_wake_fd >= 0) close(t->net_wake_fd);
    free(t);
}

static void *task_main(void *arg) {
    th_task *t = arg;
    self_task = t;
    t->fn(t->arg);
    task_free(t);
    atomic_fetch_sub(&live_tasks, 1);
    return NULL;
}

static int th_spawn(asb_task_fn fn, void *arg) {
    th_task *t = malloc(sizeof *t);
    if (!t) return -1;
    sem_init(&t->wake, 0, 0);
    t->net_wake_fd = -1;
    t->fn = fn;
    t->arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, TASK_STACK);
    pthread_attr_setaffinity_np(&attr, sizeof task_cpus, &task_cpus);
    atomic_fetch_add(&live_tasks, 1);
    pthread_t tid;
    int err = pthread_create(&tid, &attr, task_main, t);
    pthread_attr_destroy(&attr);
    if (err) {
        atomic_fetch_sub(&live_tasks, 1);
        atomic_fetch_add(&spawn_failures, 1);
        task_free(t);
        errno = err;
        return -1;
    }
    atomic_fetch_add(&spawned, 1);
    return 0;
}

static void th_yield(void) { sched_yield(); }

__attribute__((noreturn)) static void th_exit(void) {
    task_free(self_task);
    atomic_fetch_sub(&live_tasks, 1);
    pthread_exit(NULL);
}

static void th_noop(void) {}

static void th_sleep_ns(uint64_t ns) {
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- parking on the thread's semaphore ---- */

static void *park_self(void) { return self_task; }

static void park_thread(psync_lock *const *held, int nheld) {
    th_task *t = self_task;
    psync_unlock_all(held, nheld); /* a ready() that comes first leaves the semaphore posted */
    while (sem_wait(&t->wake) != 0 && errno == EINTR) {
    }
}

static void park_ready(void *task) { sem_post(&((th_task *)task)->wake); }

static const psync_ops th_psync = {.self = park_self, .park = park_thread, .ready = park_ready};

static asb_chan *th_chan_make(size_t elemsize, size_t cap) { return psync_chan_make(&th_psync, elemsize, cap); }
static asb_wg *th_wg_make(void) { return psync_wg_make(&th_psync); }
static asb_mutex *th_mutex_make(void) { return psync_mutex_make(&th_psync); }

/* ---- sockets: the thread blocks in poll(2) ---- */

typedef struct th_net_waiter {
    np_waiter base;
    int wake_fd;
} th_net_waiter;

static void th_net_wake(np_waiter *w) {
    uint64_t one = 1;
    (void)!write(((th_net_waiter *)w)->wake_fd, &one, sizeof one); /* EAGAIN: already posted */
}

static int th_net_wait(np_fd *pd, np_mode mode, uint64_t deadline_ns) {
    th_task *t = self_task;
    int timeout_ms = -1;
    if (deadline_ns) {
        uint64_t now = np_now_ns();
        if (now >= deadline_ns) return -ETIMEDOUT;
        uint64_t ms = (deadline_ns - now + 999999) / 1000000;
        timeout_ms = ms > 86400000 ? 86400000 : (int)ms; /* a day; the loop waits again */
    }
    if (t->net_wake_fd < 0 && (t->net_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) return -errno;
    th_net_waiter w = {.base.wake = th_net_wake, .wake_fd = t->net_wake_fd};
    if (!np_enlist(pd, mode, &w.base)) return -EBADF;
    struct pollfd fds[2] = {{.fd = np_fd_number(pd), .events = mode == NP_READ ? POLLIN : POLLOUT},
                            {.fd = t->net_wake_fd, .events = POLLIN}};
    int r = poll(fds, 2, timeout_ms);
    int err = r < 0 ? errno : 0;
    bool closing = np_unlist(pd, mode, &w.base);
    if (fds[1].revents & POLLIN) {
        uint64_t count;
        (void)!read(t->net_wake_fd, &count, sizeof count);
    }
    if (closing) return -EBADF;
    return err && err != EINTR ? -err : 0; /* ready or timed out: the call tries again */
}

static int th_net_accept(int fd, uint64_t deadline_ns) { return np_accept(th_net_wait, fd, deadline_ns); }
static int th_net_connect(int fd, const void *sa, unsigned len, uint64_t deadline_ns) {
    return np_connect(th_net_wait, fd, sa, len, deadline_ns);
}
static long th_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns) {
    return np_read(th_net_wait, fd, buf, n, deadline_ns);
}
static long th_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns) {
    return np_write(th_net_wait, fd, buf, n, deadline_ns);
}

/* ---- run ---- */

typedef struct root_call {
    asb_task_fn fn;
    void *arg;
    sem_t done;
} root_call;

static void root_task(void *arg) {
    root_call *rc = arg;
    rc->fn(rc->arg);
    leaked = atomic_load(&live_tasks) - 1; /* every task but this one */
    sem_post(&rc->done);
}

/* The first nprocs CPUs of the process's affinity mask. */
static int pick_cpus(int nprocs) {
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
    CPU_ZERO(&task_cpus);
    for (int cpu = 0, taken = 0; cpu < CPU_SETSIZE && taken < nprocs; cpu++)
        if (CPU_ISSET(cpu, &allowed)) {
            CPU_SET(cpu, &task_cpus);
            taken++;
        }
    return 0;
}

static int th_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    (void)options;
    if (nprocs < 1) {
        errno = EINVAL;
        return -1;
    }
    if (pick_cpus(nprocs) != 0 || np_start(false) != 0) return -1;
    atomic_store(&live_tasks, 0);
    atomic_store(&spawned, 0);
    atomic_store(&spawn_failures, 0);
    root_call rc = {.fn = root, .arg = arg};
    sem_init(&rc.done, 0, 0);
    if (th_spawn(root_task, &rc) != 0) {
        sem_destroy(&rc.done);
        return -1;
    }
    while (sem_wait(&rc.done) != 0 && errno == EINTR) {
    }
    sem_destroy(&rc.done);
    return 0;
}

static void th_stats(asb_stat_emit emit, void *cookie) {
    emit(cookie, "threads_created", (double)atomic_load(&spawned));
    emit(cookie, "spawn_failures", (double)atomic_load(&spawn_failures));
    emit(cookie, "leaked_tasks", (double)leaked);
}

static const asb_sched threads_sched = {
    .name = "threads",
    .summary = "one pthread per task, kernel-scheduled (the OS baseline)",
    .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING | ASB_CAP_PREEMPTION | ASB_CAP_INJECTION |
            ASB_CAP_NET,
    .run = th_run, .spawn = th_spawn, .yield = th_yield, .exit = th_exit, .preempt_check = th_noop,
    .chan_make = th_chan_make, .chan_send = psync_chan_send, .chan_recv = psync_chan_recv,
    .chan_close = psync_chan_close, .chan_free = psync_chan_free, .select = psync_select,
    .wg_make = th_wg_make, .wg_add = psync_wg_add, .wg_done = psync_wg_done, .wg_wait = psync_wg_wait,
    .wg_free = psync_wg_free, .mutex_make = th_mutex_make, .mutex_lock = psync_mutex_lock,
    .mutex_unlock = psync_mutex_unlock, .mutex_free = psync_mutex_free, .sleep_ns = th_sleep_ns,
    .syscall_enter = th_noop, .syscall_exit = th_noop, .stats = th_stats,
    .net_accept = th_net_accept, .net_connect = th_net_connect, .net_read = th_net_read,
    .net_write = th_net_write, .net_close = np_close,
};
ASB_REGISTER_SCHED(threads_sched)
