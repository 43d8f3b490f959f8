/*
 * testing.c — applications for the tests of the `app` kind (tests/app),
 * each a real program that meets one of the runner's verdicts on purpose:
 * a static binary that never loads the preload shim (unsupported: does not
 * use the preloaded malloc), a command whose output names the preloaded
 * libraries and so differs from glibc's run (verify-failed), and a program
 * of a package that does not exist (unsupported: needs Debian package).
 * test_only keeps them out of `asbench list` and app:all.
 */
#include "app.h"

static const asb_app static_app = {
    .name = "test-static",
    .package = "libc-bin",
    .programs = "/sbin/ldconfig",
    .stresses = "nothing: a static binary ignores LD_PRELOAD",
    .input = "none",
    .scale = "1",
    .scale_help = "unused",
    .command = "exec /sbin/ldconfig --version",
    .test_only = true,
};
ASB_REGISTER_APP(static_app)

static const asb_app differs_app = {
    .name = "test-differs",
    .package = "coreutils",
    .programs = "/usr/bin/printenv",
    .stresses = "nothing: prints its LD_PRELOAD, which names the backend",
    .input = "none",
    .scale = "1",
    .scale_help = "unused",
    .command = "exec /usr/bin/printenv LD_PRELOAD",
    .min_mallocs = 1,
    .test_only = true,
};
ASB_REGISTER_APP(differs_app)

static const asb_app missing_app = {
    .name = "test-missing",
    .package = "asbench-no-such-package",
    .programs = "/nonexistent/asbench-no-such-program",
    .stresses = "nothing: its program is not installed",
    .input = "none",
    .scale = "1",
    .scale_help = "unused",
    .command = "exec /nonexistent/asbench-no-such-program",
    .test_only = true,
};
ASB_REGISTER_APP(missing_app)
