/*
 * trace_prog.c — a program with a known allocation history, recorded by the
 * trace round-trip test (trace_test.py).  `trace_prog full` makes a fixed mix
 * of malloc, calloc, realloc, the aligned allocators and free on two threads,
 * with blocks handed between them (cross-thread frees and a cross-thread
 * realloc), and prints how many of each it made.  `trace_prog baseline` does
 * everything else the same (thread start, hand-off waits, printing) without
 * those ops, so the difference between the two traces is exactly the known mix
 * whatever libc allocates for itself.  `trace_prog descendants` is the
 * baseline plus two children: a forked one that allocates and exits (it must
 * not be recorded) and one that execs `trace_prog full` (recorded into its
 * own FILE.<pid>).
 */
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAIN_MALLOCS = 40, TO_WORKER = 20, WORKER_MALLOCS = 30, TO_MAIN = 15 };

static bool full;
static void *main_blocks[MAIN_MALLOCS];
static void *worker_blocks[WORKER_MALLOCS];
static void *misc_blocks[32];
static int nmisc;
static atomic_int stage; /* 1: main's blocks handed over, 2: worker's handed back */

static struct {
    int malloc_, calloc_, realloc_, free_, posix_memalign_, aligned_alloc_, memalign_, valloc_, pvalloc_;
    int cross_thread_frees;
} counts;
static pthread_mutex_t counts_lock = PTHREAD_MUTEX_INITIALIZER;

#define COUNT(field, n)                     \
    do {                                    \
        pthread_mutex_lock(&counts_lock);   \
        counts.field += (n);                \
        pthread_mutex_unlock(&counts_lock); \
    } while (0)

static void *must(void *p) {
    if (!p) {
        fputs("trace_prog: allocation failed\n", stderr);
        exit(1);
    }
    return p;
}

static void wait_stage(int s) {
    while (atomic_load(&stage) < s) sched_yield();
}

static void *worker(void *arg) {
    (void)arg;
    wait_stage(1);
    if (full) {
        for (int i = 8; i < 8 + TO_WORKER; i++) free(main_blocks[i]); /* cross-thread */
        COUNT(free_, TO_WORKER);
        COUNT(cross_thread_frees, TO_WORKER);
        for (int i = 0; i < WORKER_MALLOCS; i++) memset(must(worker_blocks[i] = malloc(1000 + (size_t)i)), 1, 8);
        COUNT(malloc_, WORKER_MALLOCS);
        /* Realloc of one of main's blocks: a cross-thread op. */
        void *moved = must(realloc(main_blocks[28], 3000));
        main_blocks[28] = NULL;
        COUNT(realloc_, 1);
        COUNT(cross_thread_frees, 1);
        free(moved);
        for (int i = TO_MAIN; i < WORKER_MALLOCS; i++) free(worker_blocks[i]);
        COUNT(free_, 1 + WORKER_MALLOCS - TO_MAIN);
    }
    atomic_store(&stage, 2);
    return NULL;
}

/* Runs a child and waits for it; a failed child fails the program. */
static void run_child(char *self, bool exec_full) {
    pid_t pid = fork();
    if (pid < 0) exit(1);
    if (pid == 0) {
        if (exec_full) {
            execl(self, self, "full", (char *)NULL);
            _exit(127);
        }
        for (int i = 0; i < 50; i++) free(must(malloc(64)));
        exit(0); /* runs the recorder's exit handler in the child */
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) exit(1);
}

static void main_ops(void) {
    for (int i = 0; i < MAIN_MALLOCS; i++) memset(must(main_blocks[i] = malloc(16 + (size_t)i)), 2, 16);
    COUNT(malloc_, MAIN_MALLOCS);
    for (int i = 0; i < 10; i++) misc_blocks[nmisc++] = must(calloc((size_t)i + 1, 24));
    COUNT(calloc_, 10);
    for (int i = 0; i < 6; i++) misc_blocks[nmisc++] = must(realloc(NULL, 100 + (size_t)i));
    for (int i = 0; i < 8; i++) main_blocks[i] = must(realloc(main_blocks[i], 500 + (size_t)i));
    COUNT(realloc_, 14);
    for (int i = 0; i < 3; i++) {
        void *p;
        if (posix_memalign(&p, 64, 100)) must(NULL);
        misc_blocks[nmisc++] = p;
    }
    COUNT(posix_memalign_, 3);
    for (int i = 0; i < 3; i++) misc_blocks[nmisc++] = must(aligned_alloc(128, 256));
    COUNT(aligned_alloc_, 3);
    for (int i = 0; i < 2; i++) misc_blocks[nmisc++] = must(memalign(256, 50));
    COUNT(memalign_, 2);
    misc_blocks[nmisc++] = must(valloc(100));
    COUNT(valloc_, 1);
    misc_blocks[nmisc++] = must(pvalloc(5000));
    COUNT(pvalloc_, 1);
}

int main(int argc, char **argv) {
    if (argc != 2 || (strcmp(argv[1], "full") && strcmp(argv[1], "baseline") && strcmp(argv[1], "descendants"))) {
        fputs("usage: trace_prog full|baseline|descendants\n", stderr);
        return 2;
    }
    full = strcmp(argv[1], "full") == 0;
    if (strcmp(argv[1], "descendants") == 0) {
        run_child(argv[0], false);
        run_child(argv[0], true);
    }
    pthread_t tid;
    if (pthread_create(&tid, NULL, worker, NULL)) return 1;
    if (full) main_ops();
    atomic_store(&stage, 1);
    wait_stage(2);
    if (full) {
        for (int i = 0; i < TO_MAIN; i++) free(worker_blocks[i]); /* cross-thread */
        COUNT(free_, TO_MAIN);
        COUNT(cross_thread_frees, TO_MAIN);
        int freed = 0;
        for (int i = 0; i < MAIN_MALLOCS; i++)
            if ((i < 8 || i >= 8 + TO_WORKER) && main_blocks[i]) {
                free(main_blocks[i]);
                freed++;
            }
        for (int i = 0; i < nmisc; i++) free(misc_blocks[i]);
        COUNT(free_, freed + nmisc);
    }
    pthread_join(tid, NULL);
    printf("malloc=%d calloc=%d realloc=%d free=%d posix_memalign=%d aligned_alloc=%d memalign=%d valloc=%d "
           "pvalloc=%d cross_thread_frees=%d\n",
           counts.malloc_, counts.calloc_, counts.realloc_, counts.free_, counts.posix_memalign_,
           counts.aligned_alloc_, counts.memalign_, counts.valloc_, counts.pvalloc_, counts.cross_thread_frees);
    return 0;
}
