/*
 * messaging.c — hackbench over channels: `groups` groups of `senders`
 * senders and `receivers` receivers; each sender writes `messages` messages
 * of `size` bytes (up to 128) to every receiver of its group, round-robin;
 * each receiver has one channel of capacity `cap` (hackbench's pipe buffer).
 * Mass wake-ups: many tasks become runnable at once, across groups.
 *
 * Verification: each receiver got senders × messages messages, each intact
 * (sender id, sequence number and a fill pattern derived from both), and
 * the messages of any one sender arrived in order.
 * One op = one message.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sched_common.h"

enum { MSG_MAX = 128 };

typedef struct msg_header {
    int32_t sender, seq;
} msg_header;

typedef struct msg_run {
    const asb_sched *s;
    int64_t groups, senders, receivers, messages, size, cap;
    asb_chan **inbox; /* groups × receivers */
    asb_wg *wg;
    atomic_llong received, corrupt;
} msg_run;

static msg_run *hb;

static unsigned char fill_byte(int32_t sender, int32_t seq, int64_t i) {
    return (unsigned char)(sender * 31 + seq * 7 + i);
}

static void sender_task(void *arg) {
    int64_t id = (int64_t)(intptr_t)arg, group = id / hb->senders;
    unsigned char buf[MSG_MAX];
    for (int32_t seq = 0; seq < hb->messages; seq++) {
        msg_header h = {(int32_t)id, seq};
        memcpy(buf, &h, sizeof h);
        for (int64_t i = sizeof h; i < hb->size; i++) buf[i] = fill_byte(h.sender, seq, i);
        for (int64_t r = 0; r < hb->receivers; r++) hb->s->chan_send(hb->inbox[group * hb->receivers + r], buf);
    }
    hb->s->wg_done(hb->wg);
}

static void receiver_task(void *arg) {
    int64_t id = (int64_t)(intptr_t)arg, group = id / hb->receivers;
    int32_t *next_seq = calloc((size_t)hb->senders, sizeof *next_seq);
    if (!next_seq) abort();
    unsigned char buf[MSG_MAX];
    int64_t want = hb->senders * hb->messages, got = 0, bad = 0;
    for (; got < want; got++) {
        hb->s->chan_recv(hb->inbox[id], buf);
        msg_header h;
        memcpy(&h, buf, sizeof h);
        int64_t local = h.sender - group * hb->senders;
        if (local < 0 || local >= hb->senders || h.seq != next_seq[local]) {
            bad++;
            continue;
        }
        next_seq[local]++;
        for (int64_t i = sizeof h; i < hb->size; i++)
            if (buf[i] != fill_byte(h.sender, h.seq, i)) {
                bad++;
                break;
            }
    }
    free(next_seq);
    atomic_fetch_add(&hb->received, got);
    atomic_fetch_add(&hb->corrupt, bad);
    hb->s->wg_done(hb->wg);
}

static void msg_root(void *arg) {
    msg_run *r = arg;
    r->s->wg_add(r->wg, (int)(r->groups * (r->senders + r->receivers)));
    for (int64_t i = 0; i < r->groups * r->receivers; i++) sw_spawn(r->s, receiver_task, (void *)(intptr_t)i);
    for (int64_t i = 0; i < r->groups * r->senders; i++) sw_spawn(r->s, sender_task, (void *)(intptr_t)i);
    r->s->wg_wait(r->wg);
}

static int messaging_run(asb_ctx *ctx) {
    msg_run r = {.s = asb_ctx_sched(ctx), .groups = asb_param_i(ctx, "groups"), .senders = asb_param_i(ctx, "senders"),
                 .receivers = asb_param_i(ctx, "receivers"), .messages = asb_param_i(ctx, "messages"),
                 .size = asb_param_i(ctx, "size"), .cap = asb_param_i(ctx, "cap")};
    if (r.groups < 1 || r.senders < 1 || r.receivers < 1 || r.messages < 0 || r.cap < 0 ||
        r.size < (int64_t)sizeof(msg_header) || r.size > MSG_MAX || r.groups * (r.senders + r.receivers) > 1000000)
        return asb_fail(ctx, ASB_USAGE, "messaging: need groups, senders, receivers >= 1, 8 <= size <= %d", MSG_MAX);
    atomic_init(&r.received, 0);
    atomic_init(&r.corrupt, 0);
    int64_t nbox = r.groups * r.receivers;
    r.inbox = calloc((size_t)nbox, sizeof *r.inbox);
    r.wg = r.s->wg_make();
    int status = r.inbox && r.wg ? ASB_OK : asb_fail(ctx, ASB_ERROR, "messaging: out of memory");
    for (int64_t i = 0; i < nbox && status == ASB_OK; i++)
        if (!(r.inbox[i] = r.s->chan_make((size_t)r.size, (size_t)r.cap)))
            status = asb_fail(ctx, ASB_ERROR, "messaging: cannot make a channel of %lld-byte messages", (long long)r.size);
    hb = &r;
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), msg_root, &r);
    if (status == ASB_OK) {
        int64_t want = r.groups * r.senders * r.receivers * r.messages;
        asb_count(ctx, (uint64_t)want, 0, (uint64_t)(want * r.size));
        if (atomic_load(&r.received) != want || atomic_load(&r.corrupt) != 0)
            status = asb_verify_fail(ctx, "messaging: %lld messages received (%lld corrupt or out of order), expected %lld",
                                     (long long)atomic_load(&r.received), (long long)atomic_load(&r.corrupt),
                                     (long long)want);
    }
    for (int64_t i = 0; r.inbox && i < nbox; i++)
        if (r.inbox[i]) r.s->chan_free(r.inbox[i]);
    if (r.wg) r.s->wg_free(r.wg);
    free(r.inbox);
    return status;
}

static const asb_param_def messaging_params[] = {
    {"groups", "10", "2", "independent groups"},
    {"senders", "20", NULL, "senders per group"},
    {"receivers", "20", NULL, "receivers per group"},
    {"messages", "100", "20", "messages from each sender to each receiver"},
    {"size", "100", NULL, "bytes per message (8..128)"},
    {"cap", "10", NULL, "capacity of each receiver's channel"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload messaging = {
    .name = "messaging",
    .kind = "sched",
    .stresses = "mass wake-ups (hackbench over channels)",
    .params = messaging_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS,
    .work_param = "messages",
    .run = messaging_run,
};
ASB_REGISTER_WORKLOAD(messaging)
