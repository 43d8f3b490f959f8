/*
 * chameneos.c — the Computer Language Benchmarks Game's chameneos-redux:
 * creatures of three colours meet pairwise at one meeting place until
 * `meetings` meetings happened; after each meeting both take the complement
 * of the two colours.  Played twice, with 3 and with 10 creatures.  The
 * meeting place is a mutex; a creature that finds nobody waiting parks on
 * its own channel until a partner arrives and sends it its colour.
 * Contended rendez-vous: a mutex hand-off plus a channel wake-up per meeting.
 *
 * Verification: per game, the creatures' meeting counts add up to twice the
 * number of meetings and no creature met itself.
 * One op = one meeting.
 */
#include <stdlib.h>

#include "sched_common.h"

enum { BLUE, RED, YELLOW };

typedef struct creature {
    int color;
    int64_t meetings, met_self;
    asb_chan *reply;
} creature;

typedef struct chameneos_msg {
    int32_t color, id;
} chameneos_msg;

typedef struct game {
    const asb_sched *s;
    asb_mutex *place;
    int64_t remaining;
    int waiting; /* index of the creature waiting at the place, or -1 */
    creature *creatures;
    int ncreatures;
    asb_wg *wg;
} game;

typedef struct creature_arg {
    game *g;
    int id;
} creature_arg;

static int complement(int a, int b) { return a == b ? a : 3 - a - b; }

static void meet(creature *me, int myid, chameneos_msg other) {
    me->meetings++;
    me->met_self += other.id == myid;
    me->color = complement(me->color, other.color);
}

static void creature_task(void *arg) {
    creature_arg *ca = arg;
    game *g = ca->g;
    int id = ca->id;
    creature *me = &g->creatures[id];
    for (;;) {
        g->s->mutex_lock(g->place);
        if (g->remaining == 0) {
            g->s->mutex_unlock(g->place);
            break;
        }
        if (g->waiting < 0) {
            g->waiting = id;
            g->s->mutex_unlock(g->place);
            chameneos_msg other;
            g->s->chan_recv(me->reply, &other);
            meet(me, id, other);
            continue;
        }
        int partner = g->waiting;
        g->waiting = -1;
        g->remaining--;
        chameneos_msg theirs = {g->creatures[partner].color, partner}; /* stable: the partner is parked */
        g->s->mutex_unlock(g->place);
        chameneos_msg mine = {me->color, id};
        g->s->chan_send(g->creatures[partner].reply, &mine);
        meet(me, id, theirs);
    }
    g->s->wg_done(g->wg);
}

typedef struct chameneos_run {
    const asb_sched *s;
    int64_t meetings;
    game games[2];
} chameneos_run;

static void play(game *g) {
    creature_arg args[10];
    g->s->wg_add(g->wg, g->ncreatures);
    for (int i = 0; i < g->ncreatures; i++) {
        args[i] = (creature_arg){g, i};
        sw_spawn(g->s, creature_task, &args[i]);
    }
    g->s->wg_wait(g->wg);
}

static void chameneos_root(void *arg) {
    chameneos_run *r = arg;
    play(&r->games[0]);
    play(&r->games[1]);
}

static int chameneos_run_workload(asb_ctx *ctx) {
    static const int colors3[] = {BLUE, RED, YELLOW};
    static const int colors10[] = {BLUE, RED, YELLOW, RED, YELLOW, BLUE, RED, YELLOW, RED, BLUE};
    chameneos_run r = {.s = asb_ctx_sched(ctx), .meetings = asb_param_i(ctx, "meetings")};
    if (r.meetings < 0) return asb_fail(ctx, ASB_USAGE, "chameneos: meetings must be >= 0");
    int status = ASB_OK;
    for (int k = 0; k < 2; k++) {
        game *g = &r.games[k];
        const int *colors = k == 0 ? colors3 : colors10;
        *g = (game){.s = r.s, .remaining = r.meetings, .waiting = -1, .ncreatures = k == 0 ? 3 : 10};
        g->place = r.s->mutex_make();
        g->wg = r.s->wg_make();
        g->creatures = calloc((size_t)g->ncreatures, sizeof *g->creatures);
        if (!g->place || !g->wg || !g->creatures) status = ASB_ERROR;
        for (int i = 0; status == ASB_OK && i < g->ncreatures; i++) {
            g->creatures[i].color = colors[i];
            if (!(g->creatures[i].reply = r.s->chan_make(sizeof(chameneos_msg), 0))) status = ASB_ERROR;
        }
    }
    if (status != ASB_OK) status = asb_fail(ctx, ASB_ERROR, "chameneos: out of memory");
    if (status == ASB_OK) status = sw_run(ctx, asb_threads(ctx), chameneos_root, &r);
    if (status == ASB_OK) asb_count(ctx, (uint64_t)(2 * r.meetings), 0, 0);
    for (int k = 0; k < 2; k++) {
        game *g = &r.games[k];
        int64_t total = 0, self = 0;
        for (int i = 0; g->creatures && i < g->ncreatures; i++) {
            total += g->creatures[i].meetings;
            self += g->creatures[i].met_self;
            if (g->creatures[i].reply) r.s->chan_free(g->creatures[i].reply);
        }
        if (status == ASB_OK && (total != 2 * r.meetings || self != 0))
            status = asb_verify_fail(ctx, "chameneos: %d creatures counted %lld meetings (%lld with themselves), expected %lld",
                                     g->ncreatures, (long long)total, (long long)self, (long long)(2 * r.meetings));
        if (g->place) r.s->mutex_free(g->place);
        if (g->wg) r.s->wg_free(g->wg);
        free(g->creatures);
    }
    return status;
}

static const asb_param_def chameneos_params[] = {
    {"meetings", "6000000", "20000", "meetings per game (two games: 3 and 10 creatures)"},
    {NULL, NULL, NULL, NULL},
};

static const asb_workload chameneos = {
    .name = "chameneos",
    .kind = "sched",
    .stresses = "contended rendez-vous: mutex hand-off plus channel wake-up",
    .params = chameneos_params,
    .needs = ASB_CAP_SPAWN_JOIN | ASB_CAP_CHANNELS | ASB_CAP_BLOCKING,
    .work_param = "meetings",
    .run = chameneos_run_workload,
};
ASB_REGISTER_WORKLOAD(chameneos)
