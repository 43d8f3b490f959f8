/* test_threads.c — threads and Ps: cross-thread frees (producer/consumer),
 * more threads than Ps (run with GOSTYLEDEBUG=procs=1 as well), Ps returning
 * when threads exit, and fork: the child allocates and frees while the
 * parent's other threads were busy allocating at the time of the fork. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_api.h"
#include "gs_test.h"

#define RING 1024
#define ITEMS 200000

static void *_Atomic ring[RING];
static _Atomic int stop;

static void *producer(void *arg) {
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        size_t n = 8 + (size_t)(i * 7919 % 2000);
        unsigned char *p = gmalloc(n);
        CHECK(p);
        memset(p, (int)(n & 0xff), n);
        p[0] = (unsigned char)n;
        void *expect = NULL;
        while (!atomic_compare_exchange_weak(&ring[i % RING], &expect, p)) expect = NULL;
    }
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    for (int i = 0; i < ITEMS; i++) {
        void *p;
        while (!(p = atomic_exchange(&ring[i % RING], NULL))) sched_yield();
        gfree(p);
    }
    return NULL;
}

static void *churner(void *arg) {
    uint64_t x = (uintptr_t)arg * 2654435761u + 1;
    void *slots[256] = {0};
    while (!atomic_load(&stop)) {
        for (int k = 0; k < 1000; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            unsigned s = (unsigned)(x % 256);
            gfree(slots[s]);
            size_t n = x % 8 == 0 ? 40000 : 1 + (x >> 20) % 3000;
            slots[s] = gmalloc(n);
            CHECK(slots[s]);
            memset(slots[s], 0x5a, n < 64 ? n : 64);
        }
    }
    for (int i = 0; i < 256; i++) gfree(slots[i]);
    return NULL;
}

static void *short_lived(void *arg) {
    (void)arg;
    void *p[100];
    for (int i = 0; i < 100; i++) p[i] = gmalloc((size_t)i * 10);
    for (int i = 0; i < 100; i++) gfree(p[i]);
    return NULL;
}

int main(void) {
    pthread_t t[8];
    pthread_create(&t[0], NULL, producer, NULL);
    pthread_create(&t[1], NULL, consumer, NULL);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);

    /* Six threads churning at once, whatever the number of Ps. */
    for (int i = 0; i < 6; i++) pthread_create(&t[i], NULL, churner, (void *)(uintptr_t)(i + 1));
    usleep(200000);
    /* Fork while they run: the child must be able to allocate. */
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        void *p[2000];
        for (int i = 0; i < 2000; i++) {
            p[i] = gmalloc((size_t)(i % 700) * 3 + 1);
            if (!p[i]) _exit(2);
        }
        for (int i = 0; i < 2000; i++) gfree(p[i]);
        void *big = gmalloc(1 << 20);
        if (!big) _exit(3);
        gfree(big);
        _exit(0);
    }
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    usleep(100000);
    atomic_store(&stop, 1);
    for (int i = 0; i < 6; i++) pthread_join(t[i], NULL);

    /* Threads that exit give their P back. */
    for (int round = 0; round < 50; round++) {
        pthread_create(&t[0], NULL, short_lived, NULL);
        pthread_join(t[0], NULL);
    }
    struct gostyle_stats st;
    gostyle_stats(&st);
    CHECK(st.bound_procs <= 1); /* only the main thread may still hold one */
    CHECK_EQ(st.live_objects, 0);
    puts("threads: ok");
    return 0;
}
