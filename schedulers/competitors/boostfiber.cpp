/*
 * boostfiber.cpp — Boost.Fiber behind the asb_sched API: the work-stealing
 * scheduler (boost::fibers::algo::work_stealing) on nprocs threads, Boost's
 * own buffered_channel / unbuffered_channel, fibers::mutex, and a wait group
 * made of a fibers::mutex + condition_variable.  Only the glue is ours.
 *
 * Departures forced by Boost.Fiber, all documented in docs/schedulers.md:
 *  - buffered_channel needs a power-of-two capacity and holds capacity-1
 *    values, so a channel of cap c gets the smallest power of two > c
 *    (cap 10 holds 15 values);
 *  - there is no select: ours polls the cases (try_push/try_pop, or a
 *    zero-timeout wait on unbuffered channels) in random order and yields
 *    between rounds.  Under contention across threads this polling can
 *    hang inside Boost (seen with 100 fibers selecting on 2 threads; Boost's
 *    timed waits under work_stealing have known bugs, boostorg/fiber#212),
 *    so no workload of the suite selects;
 *  - element types are fixed-size byte arrays of 8/32/128/1024 bytes;
 *  - a fiber can be created only by a thread of the scheduler (no
 *    injection), work_stealing can be set up once per process, and each fiber
 *    stack is a separate 64 KiB allocation (no MANY_TASKS);
 *  - exit() throws an exception caught by the fiber's wrapper (C frames
 *    carry unwind tables on the supported targets);
 *  - preempt_check() yields once 10 ms passed since this thread last did;
 *  - Boost.Fiber has no poller: the socket calls park the fiber on a
 *    condition variable (netpoll_shared.c's np_park) and one poller thread
 *    of ours, blocked in epoll, wakes it on readiness, deadline or close.
 */
#include <boost/fiber/all.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "../sched.h"
#include "netpoll_shared.h"

namespace {

constexpr std::size_t fiber_stack_size = 64 * 1024;
constexpr auto preempt_slice = std::chrono::milliseconds(10);

std::atomic<unsigned long> fibers_spawned{0};
std::atomic<unsigned long> select_polls{0};
thread_local std::chrono::steady_clock::time_point last_yield = std::chrono::steady_clock::now();

struct fiber_exit {};

void run_task(asb_task_fn fn, void *arg) {
    try {
        fn(arg);
    } catch (const fiber_exit &) {
    }
}

enum class try_result { done, blocked, closed };

/* A channel of one element size; the subclasses hide the payload type. */
struct chan_base {
    virtual ~chan_base() = default;
    virtual void send(const void *elem) = 0;
    virtual bool recv(void *elem) = 0;
    virtual void close() = 0;
    virtual try_result try_send(const void *elem) = 0;
    virtual try_result try_recv(void *elem) = 0;
};

/* A channel of one element size: Boost's unbuffered_channel for capacity 0,
 * else a buffered_channel of the smallest power of two > capacity. */
template <std::size_t N>
struct chan_impl final : chan_base {
    using payload = std::array<unsigned char, N>;
    std::size_t elemsize;
    std::unique_ptr<boost::fibers::buffered_channel<payload>> buffered;
    std::unique_ptr<boost::fibers::unbuffered_channel<payload>> unbuffered;

    chan_impl(std::size_t size, std::size_t cap) : elemsize(size) {
        if (cap == 0) {
            unbuffered = std::make_unique<boost::fibers::unbuffered_channel<payload>>();
        } else {
            std::size_t pow2 = 2;
            while (pow2 <= cap) pow2 *= 2;
            buffered = std::make_unique<boost::fibers::buffered_channel<payload>>(pow2);
        }
    }
    payload pack(const void *elem) const {
        payload p{};
        std::memcpy(p.data(), elem, elemsize);
        return p;
    }
    void unpack(void *elem, const payload &p, bool ok) const {
        if (!elem) return;
        if (ok) std::memcpy(elem, p.data(), elemsize);
        else std::memset(elem, 0, elemsize);
    }
    static void check_send(boost::fibers::channel_op_status s) {
        if (s == boost::fibers::channel_op_status::closed) {
            std::fprintf(stderr, "asbench scheduler: send on closed channel\n");
            std::abort();
        }
    }
    void send(const void *elem) override {
        payload p = pack(elem);
        check_send(buffered ? buffered->push(p) : unbuffered->push(p));
    }
    bool recv(void *elem) override {
        payload p{};
        bool ok = (buffered ? buffered->pop(p) : unbuffered->pop(p)) == boost::fibers::channel_op_status::success;
        unpack(elem, p, ok);
        return ok;
    }
    void close() override {
        if (buffered) buffered->close();
        else unbuffered->close();
    }
    static try_result map(boost::fibers::channel_op_status s) {
        switch (s) {
        case boost::fibers::channel_op_status::success: return try_result::done;
        case boost::fibers::channel_op_status::closed: return try_result::closed;
        default: return try_result::blocked;
        }
    }
    /* unbuffered_channel has no try_push/try_pop: a wait with a zero timeout
     * is the only way to poll it. */
    try_result try_send(const void *elem) override {
        payload p = pack(elem);
        return map(buffered ? buffered->try_push(p) : unbuffered->push_wait_for(p, std::chrono::nanoseconds(0)));
    }
    try_result try_recv(void *elem) override {
        payload p{};
        try_result r = map(buffered ? buffered->try_pop(p)
                                    : unbuffered->pop_wait_for(p, std::chrono::nanoseconds(0)));
        if (r != try_result::blocked) unpack(elem, p, r == try_result::done);
        return r;
    }
};

chan_base *as_chan(asb_chan *c) { return reinterpret_cast<chan_base *>(c); }

struct wait_group {
    boost::fibers::mutex lock;
    boost::fibers::condition_variable zero;
    long count = 0;
};

wait_group *as_wg(asb_wg *wg) { return reinterpret_cast<wait_group *>(wg); }
boost::fibers::mutex *as_mutex(asb_mutex *m) { return reinterpret_cast<boost::fibers::mutex *>(m); }

int bf_spawn(asb_task_fn fn, void *arg) {
    try {
        boost::fibers::fiber(std::allocator_arg, boost::fibers::fixedsize_stack(fiber_stack_size), run_task, fn, arg)
            .detach();
    } catch (const std::exception &) {
        return -1;
    }
    fibers_spawned.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

void bf_yield(void) {
    last_yield = std::chrono::steady_clock::now();
    boost::this_fiber::yield();
}

__attribute__((noreturn)) void bf_exit(void) { throw fiber_exit{}; }

void bf_preempt_check(void) {
    if (std::chrono::steady_clock::now() - last_yield >= preempt_slice) bf_yield();
}

asb_chan *bf_chan_make(size_t elemsize, size_t cap) {
    chan_base *c = nullptr;
    try {
        if (elemsize <= 8) c = new chan_impl<8>(elemsize, cap);
        else if (elemsize <= 32) c = new chan_impl<32>(elemsize, cap);
        else if (elemsize <= 128) c = new chan_impl<128>(elemsize, cap);
        else if (elemsize <= 1024) c = new chan_impl<1024>(elemsize, cap);
    } catch (const std::exception &) {
        return nullptr;
    }
    return reinterpret_cast<asb_chan *>(c);
}

void bf_chan_send(asb_chan *c, const void *elem) { as_chan(c)->send(elem); }
bool bf_chan_recv(asb_chan *c, void *elem) { return as_chan(c)->recv(elem); }
void bf_chan_close(asb_chan *c) { as_chan(c)->close(); }
void bf_chan_free(asb_chan *c) { delete as_chan(c); }

int bf_select(asb_select_case *cases, int ncases, bool has_default) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    std::vector<int> order(static_cast<std::size_t>(ncases));
    for (int i = 0; i < ncases; i++) order[static_cast<std::size_t>(i)] = i;
    for (;;) {
        select_polls.fetch_add(1, std::memory_order_relaxed);
        std::shuffle(order.begin(), order.end(), rng);
        for (int k : order) {
            asb_select_case &sc = cases[k];
            if (!sc.chan) continue;
            if (sc.dir == ASB_SELECT_SEND) {
                try_result r = as_chan(sc.chan)->try_send(sc.elem);
                if (r == try_result::closed) chan_impl<8>::check_send(boost::fibers::channel_op_status::closed);
                if (r == try_result::done) return k;
            } else {
                try_result r = as_chan(sc.chan)->try_recv(sc.elem);
                if (r != try_result::blocked) {
                    sc.ok = r == try_result::done;
                    return k;
                }
            }
        }
        if (has_default) return -1;
        bf_yield();
    }
}

asb_wg *bf_wg_make(void) { return reinterpret_cast<asb_wg *>(new (std::nothrow) wait_group); }

void bf_wg_add(asb_wg *w, int delta) {
    wait_group *wg = as_wg(w);
    std::unique_lock<boost::fibers::mutex> lk(wg->lock);
    wg->count += delta;
    if (wg->count < 0) std::abort(); /* negative counter, as in Go */
    if (wg->count == 0) wg->zero.notify_all();
}

void bf_wg_done(asb_wg *w) { bf_wg_add(w, -1); }

void bf_wg_wait(asb_wg *w) {
    wait_group *wg = as_wg(w);
    std::unique_lock<boost::fibers::mutex> lk(wg->lock);
    wg->zero.wait(lk, [wg] { return wg->count == 0; });
}

void bf_wg_free(asb_wg *w) { delete as_wg(w); }

asb_mutex *bf_mutex_make(void) { return reinterpret_cast<asb_mutex *>(new (std::nothrow) boost::fibers::mutex); }
void bf_mutex_lock(asb_mutex *m) { as_mutex(m)->lock(); }
void bf_mutex_unlock(asb_mutex *m) { as_mutex(m)->unlock(); }
void bf_mutex_free(asb_mutex *m) { delete as_mutex(m); }

void bf_sleep_ns(uint64_t ns) { boost::this_fiber::sleep_for(std::chrono::nanoseconds(ns)); }

void bf_noop(void) {}

/* ---- sockets: parking for np_park, and the poller thread ---- */

/* What a parked fiber waits on.  A std::mutex (never held across a
 * suspension) guards the flag, so a wake-up from the poller thread, or one
 * that comes before the wait, is never lost. */
struct fiber_waker {
    std::mutex lock;
    boost::fibers::condition_variable_any cv;
    bool woken = false;
};

boost::fibers::fiber_specific_ptr<fiber_waker> current_waker;

void *bf_park_self(void) {
    if (!current_waker.get()) current_waker.reset(new fiber_waker);
    return current_waker.get();
}

void bf_park(psync_lock *const *held, int nheld) {
    psync_unlock_all(held, nheld);
    fiber_waker *w = current_waker.get();
    std::unique_lock<std::mutex> lk(w->lock);
    w->cv.wait(lk, [w] { return w->woken; });
    w->woken = false;
}

void bf_park_ready(void *task) {
    fiber_waker *w = static_cast<fiber_waker *>(task);
    std::lock_guard<std::mutex> lk(w->lock); /* notified under the lock: the fiber cannot end meanwhile */
    w->woken = true;
    w->cv.notify_one();
}

const psync_ops bf_psync = {bf_park_self, bf_park, bf_park_ready};

int bf_wait_fd(np_fd *pd, np_mode mode, uint64_t deadline_ns) { return np_park(&bf_psync, pd, mode, deadline_ns); }

int bf_net_accept(int fd, uint64_t deadline_ns) { return np_accept(bf_wait_fd, fd, deadline_ns); }
int bf_net_connect(int fd, const void *sa, unsigned len, uint64_t deadline_ns) {
    return np_connect(bf_wait_fd, fd, sa, len, deadline_ns);
}
long bf_net_read(int fd, void *buf, size_t n, uint64_t deadline_ns) { return np_read(bf_wait_fd, fd, buf, n, deadline_ns); }
long bf_net_write(int fd, const void *buf, size_t n, uint64_t deadline_ns) {
    return np_write(bf_wait_fd, fd, buf, n, deadline_ns);
}

std::atomic<bool> poller_quit{false};

void wake_polled(void *task, void *) { bf_park_ready(task); }

void poller_main() {
    while (!poller_quit.load()) np_poll(true, wake_polled, nullptr);
}

int bf_run(int nprocs, const char *options, asb_task_fn root, void *arg) {
    (void)options;
    static std::atomic<bool> used{false};
    if (nprocs < 1 || used.exchange(true)) { /* work_stealing's set-up is once per process */
        errno = EINVAL;
        return -1;
    }
    if (np_start(true) != 0) return -1;
    std::thread poller(poller_main);
    boost::fibers::mutex done_lock;
    boost::fibers::condition_variable done_cv;
    bool done = false;
    std::vector<std::thread> threads;
    for (int i = 1; i < nprocs; i++)
        threads.emplace_back([&, nprocs] {
            boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(
                static_cast<std::uint32_t>(nprocs), true);
            std::unique_lock<boost::fibers::mutex> lk(done_lock);
            done_cv.wait(lk, [&] { return done; }); /* this thread's dispatcher runs fibers meanwhile */
        });
    /* One thread: round_robin.  work_stealing's pick_next, finding its own
     * queue empty, draws a victim until it is not itself — with one thread,
     * forever — so a lone thread waiting for a timer or a wake-up from
     * another thread (the socket poller) would spin and never sleep. */
    if (nprocs == 1) boost::fibers::use_scheduling_algorithm<boost::fibers::algo::round_robin>();
    else
        boost::fibers::use_scheduling_algorithm<boost::fibers::algo::work_stealing>(static_cast<std::uint32_t>(nprocs),
                                                                                     true);
    boost::fibers::fiber(std::allocator_arg, boost::fibers::fixedsize_stack(fiber_stack_size), run_task, root, arg)
        .join();
    {
        std::unique_lock<boost::fibers::mutex> lk(done_lock);
        done = true;
    }
    done_cv.notify_all();
    for (auto &t : threads) t.join();
    poller_quit.store(true);
    np_break();
    poller.join();
    np_stop();
    return 0;
}

void bf_stats(asb_stat_emit emit, void *cookie) {
    emit(cookie, "spawned", static_cast<double>(fibers_spawned.load()));
    emit(cookie, "select_polls", static_cast<double>(select_polls.load()));
}

const asb_sched boostfiber_sched = {
    .name = "boostfiber",
    .summary = "Boost.Fiber work_stealing scheduler with Boost.Fiber channels and mutexes",
    .caps = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING | ASB_CAP_NET,
    .run = bf_run, .spawn = bf_spawn, .yield = bf_yield, .exit = bf_exit, .preempt_check = bf_preempt_check,
    .chan_make = bf_chan_make, .chan_send = bf_chan_send, .chan_recv = bf_chan_recv,
    .chan_close = bf_chan_close, .chan_free = bf_chan_free, .select = bf_select,
    .wg_make = bf_wg_make, .wg_add = bf_wg_add, .wg_done = bf_wg_done, .wg_wait = bf_wg_wait,
    .wg_free = bf_wg_free, .mutex_make = bf_mutex_make, .mutex_lock = bf_mutex_lock,
    .mutex_unlock = bf_mutex_unlock, .mutex_free = bf_mutex_free, .sleep_ns = bf_sleep_ns,
    .syscall_enter = bf_noop, .syscall_exit = bf_noop, .stats = bf_stats,
    .net_accept = bf_net_accept, .net_connect = bf_net_connect, .net_read = bf_net_read,
    .net_write = bf_net_write, .net_close = np_close,
};

} // namespace

ASB_REGISTER_SCHED(boostfiber_sched)
