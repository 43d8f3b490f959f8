/*
 * runtime1.c — the GMPDEBUG ablation switches (also run()'s options string),
 * parsed in GODEBUG style against a table of the known keys (Go's
 * runtime1.go dbgvars and parsedebugvars):
 *
 *   GMPDEBUG=runnext=0,steal=0,spinning=0,asyncpreempt=0,sysmon=0,netpoll=0,procs=N
 *
 * An unknown key or a bad value is an error (common/debugvars.h): gmp_run
 * refuses to start.  The harness calls gmp_debug_parse to check variant
 * settings before it runs anything.
 */
#include "debugvars.h"
#include "runtime2.h"

static const asb_debugvar dbgvars[] = {
    ASB_DEBUGVAR_SWITCH(gmp_debug, runnext),
    ASB_DEBUGVAR_SWITCH(gmp_debug, steal),
    ASB_DEBUGVAR_SWITCH(gmp_debug, spinning),
    ASB_DEBUGVAR_SWITCH(gmp_debug, asyncpreempt),
    ASB_DEBUGVAR_SWITCH(gmp_debug, sysmon),
    ASB_DEBUGVAR_SWITCH(gmp_debug, netpoll),
    ASB_DEBUGVAR_INT(gmp_debug, procs, 1, GMP_MAX_PROCS),
};

static const asb_debugvars gmpdebug = {"GMPDEBUG", dbgvars, sizeof dbgvars / sizeof *dbgvars};

int gmp_debug_parse(const char *s, gmp_debug *d, char *err, size_t errlen) {
    *d = (gmp_debug){.runnext = true, .steal = true, .spinning = true, .asyncpreempt = true, .sysmon = true,
                     .netpoll = true, .procs = 0};
    return asb_debugvars_parse(&gmpdebug, s, d, err, errlen);
}
