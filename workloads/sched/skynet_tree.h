/*
 * skynet_tree.h — the skynet task tree over the task API (schedulers/sched.h),
 * shared by the skynet workload, gmp's tests and tools/gmpbench.c.
 */
#ifndef ASB_SKYNET_TREE_H
#define ASB_SKYNET_TREE_H

#include <stdint.h>

#include "../../schedulers/sched.h"

/* From inside a task of s: spawn a fanout-ary tree of tasks with `leaves`
 * leaves (a power of fanout; 1,111,111 tasks for a million leaves).  Each
 * leaf sends its index to its parent over the parent's unbuffered channel;
 * each inner task sums its children's values and sends the sum up.  Returns
 * the root's sum, 0 + 1 + … + (leaves-1) if the scheduler is correct.
 * Aborts with a message if the scheduler cannot make a channel or a task: a
 * benchmark cannot go on with part of its tree missing. */
uint64_t skynet_tree(const asb_sched *s, uint64_t leaves, uint64_t fanout);

#endif
