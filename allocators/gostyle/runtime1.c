/*
 * runtime1.c — the GOSTYLEDEBUG ablation switches, parsed once at start in
 * GODEBUG style against a table of the known keys (Go's runtime1.go dbgvars
 * and parsedebugvars):
 *
 *   GOSTYLEDEBUG=mcache=0,pagecache=0,scavenger=off|background|eager,
 *                madvise=dontneed|free,procs=N,freegc=1,gcpercent=N,printstats=1
 *
 * An unknown key or a bad value is an error (common/debugvars.h): malloc.c
 * then prints the message and exits.  This file uses nothing else of the
 * allocator, so the harness links it to check variant settings in advance.
 */
#include "debugvars.h"
#include "runtime.h"

gs_debug gs_dbg;

static const char *const scavenger_modes[] = {
    [GS_SCAV_OFF] = "off", [GS_SCAV_BACKGROUND] = "background", [GS_SCAV_EAGER] = "eager", NULL};
static const char *const madvise_modes[] = {[GS_MADV_DONTNEED] = "dontneed", [GS_MADV_FREE] = "free", NULL};

static const asb_debugvar dbgvars[] = {
    ASB_DEBUGVAR_SWITCH(gs_debug, mcache),
    ASB_DEBUGVAR_SWITCH(gs_debug, pagecache),
    ASB_DEBUGVAR_SWITCH(gs_debug, freegc),
    ASB_DEBUGVAR_SWITCH(gs_debug, printstats),
    ASB_DEBUGVAR_WORDS(gs_debug, scavenger, scavenger_modes),
    ASB_DEBUGVAR_WORDS(gs_debug, madvise, madvise_modes),
    ASB_DEBUGVAR_INT(gs_debug, procs, 1, GS_MAX_PROCS),
    ASB_DEBUGVAR_INT(gs_debug, gcpercent, 0, 999999999),
};

static const asb_debugvars gostyledebug = {"GOSTYLEDEBUG", dbgvars, sizeof dbgvars / sizeof *dbgvars};

int gs_debug_parse(const char *s, gs_debug *d, int ncpu, char *err, size_t errlen) {
    *d = (gs_debug){
        .mcache = true,
        .pagecache = true,
        .freegc = false,
        .printstats = false,
        .scavenger = GS_SCAV_BACKGROUND,
        .madvise = GS_MADV_DONTNEED,
        .procs = ncpu < 1 ? 1 : ncpu > GS_MAX_PROCS ? GS_MAX_PROCS : ncpu,
        .gcpercent = 100,
    };
    return asb_debugvars_parse(&gostyledebug, s, d, err, errlen);
}
