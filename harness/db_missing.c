/*
 * db_missing.c — `asbench db` and `asbench history` in a build without
 * SQLite (meson found no sqlite3): they say which package is missing.
 */
#include "report.h"

static int needs_sqlite(const char *command) {
    fprintf(stderr, "asbench: %s needs SQLite, which this build lacks: install Debian package libsqlite3-dev "
                    "(tools/bootstrap does) and rebuild\n", command);
    return ASB_EXIT_USAGE;
}

int asb_cmd_db(int argc, char **argv) {
    (void)argc, (void)argv;
    return needs_sqlite("db");
}

int asb_cmd_history(int argc, char **argv) {
    (void)argc, (void)argv;
    return needs_sqlite("history");
}
