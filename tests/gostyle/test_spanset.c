/* test_spanset.c — mspanset: FIFO order across the 512-entry blocks, spine
 * growth, empty pops, reset, and concurrent pushes and pops losing or
 * duplicating nothing. */
#include <pthread.h>
#include <string.h>

#include "gs_test.h"
#include "runtime.h"

#define N 5000
static gs_mspan spans[N];

static gs_spanset shared_set;
static _Atomic int popped_count[N];
static _Atomic int total_popped;

static void *pusher(void *arg) {
    int base = (int)(intptr_t)arg;
    for (int i = base; i < N; i += 2) gs_spanset_push(&shared_set, &spans[i]);
    return NULL;
}

static void *popper(void *arg) {
    (void)arg;
    while (atomic_load(&total_popped) < N) {
        gs_mspan *s = gs_spanset_pop(&shared_set);
        if (s) {
            atomic_fetch_add(&popped_count[s - spans], 1);
            atomic_fetch_add(&total_popped, 1);
        }
    }
    return NULL;
}

int main(void) {
    gs_ensure_init(); /* the block pool uses the allocator's OS layer */
    gs_spanset set;
    gs_spanset_init(&set);
    CHECK(gs_spanset_pop(&set) == NULL);
    for (int i = 0; i < N; i++) gs_spanset_push(&set, &spans[i]);
    CHECK_EQ(gs_spanset_len(&set), N);
    CHECK(set.spine_cap >= (N + GS_SPANSET_BLOCK_ENTRIES - 1) / GS_SPANSET_BLOCK_ENTRIES);
    for (int i = 0; i < N; i++) CHECK(gs_spanset_pop(&set) == &spans[i]);
    CHECK(gs_spanset_pop(&set) == NULL);
    CHECK_EQ(gs_spanset_len(&set), 0);
    /* Reset returns blocks and restarts the indices; the set still works. */
    CHECK(gs_spanset_reset_if_empty(&set));
    CHECK_EQ(atomic_load(&set.index), 0);
    gs_spanset_push(&set, &spans[7]);
    CHECK(!gs_spanset_reset_if_empty(&set));
    CHECK(gs_spanset_pop(&set) == &spans[7]);

    /* Two pushers, two poppers. */
    gs_spanset_init(&shared_set);
    pthread_t t[4];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, pusher, (void *)(intptr_t)i);
    for (int i = 2; i < 4; i++) pthread_create(&t[i], NULL, popper, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) CHECK_EQ(atomic_load(&popped_count[i]), 1);
    CHECK(gs_spanset_pop(&shared_set) == NULL);
    puts("spanset: ok");
    return 0;
}
