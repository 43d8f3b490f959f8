/*
 * skynet_tree.c — the skynet task tree (skynet_tree.h): one task per node,
 * an unbuffered channel per inner node, values summed on the way up.
 */
#include "skynet_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct skynet_node {
    const asb_sched *s;
    asb_chan *parent;
    uint64_t first, size, fanout;
} skynet_node;

static void die(const asb_sched *s, const char *what) {
    fprintf(stderr, "skynet: scheduler %s: %s failed (%s)\n", s->name, what, strerror(errno));
    abort();
}

static asb_chan *make_chan(const asb_sched *s) {
    asb_chan *c = s->chan_make(sizeof(uint64_t), 0);
    if (!c) die(s, "chan_make");
    return c;
}

static void spawn_node(const asb_sched *s, asb_task_fn fn, skynet_node node) {
    skynet_node *arg = malloc(sizeof *arg);
    if (!arg) die(s, "malloc");
    *arg = node;
    if (s->spawn(fn, arg) != 0) die(s, "spawn");
}

static void skynet_task(void *arg) {
    skynet_node n = *(skynet_node *)arg;
    free(arg);
    if (n.size == 1) {
        n.s->chan_send(n.parent, &n.first);
        return;
    }
    asb_chan *c = make_chan(n.s);
    uint64_t step = n.size / n.fanout;
    for (uint64_t i = 0; i < n.fanout; i++)
        spawn_node(n.s, skynet_task, (skynet_node){n.s, c, n.first + i * step, step, n.fanout});
    uint64_t sum = 0, v;
    for (uint64_t i = 0; i < n.fanout; i++) {
        n.s->chan_recv(c, &v);
        sum += v;
    }
    n.s->chan_free(c);
    n.s->chan_send(n.parent, &sum);
}

uint64_t skynet_tree(const asb_sched *s, uint64_t leaves, uint64_t fanout) {
    asb_chan *result = make_chan(s);
    spawn_node(s, skynet_task, (skynet_node){s, result, 0, leaves, fanout});
    uint64_t sum = 0;
    s->chan_recv(result, &sum);
    s->chan_free(result);
    return sum;
}
