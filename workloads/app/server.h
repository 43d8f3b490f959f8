/*
 * server.h — the life cycle of a server application (app.h's
 * asb_app_server), shared by every server app (redis.c, memcached.c, nginx.c):
 * a free loopback port, the server started through the worker client with
 * the backend preloaded (its RSS timeline, rusage and crash are the
 * server's), a bounded wait until it answers a probe, the package's client
 * run without the preload, then SIGTERM, SIGKILL after a grace period, and
 * the reaping — on every path, including a timeout and an interrupt.
 *
 * An app describes its server in an asb_server_spec and fills its
 * asb_app_server with one start wrapper and the shared hooks:
 *
 *   static int redis_start(asb_app_ctx *x, void **s) { return asb_server_start(x, &redis_spec, s); }
 *   static const asb_app_server redis_server = {redis_start, asb_server_ready, asb_server_drive, asb_server_stop};
 */
#ifndef ASB_SERVER_H
#define ASB_SERVER_H

#include "app.h"

typedef struct asb_server asb_server; /* one running server (server.c) */

typedef struct asb_server_spec {
    const char *program; /* the server's path (argv[0], and its name in messages) */
    /* The server's arguments after argv[0]: listen on 127.0.0.1:port, keep
     * any file in x->work_dir, stay in the foreground. */
    void (*args)(asb_app_ctx *x, int port, asb_argv *a);
    /* A library put last in LD_PRELOAD, or NULL: "libc.so.6" for a program
     * linked with a malloc of its own that calls it by the standard names
     * (Debian's redis-server links libjemalloc), so that glibc's malloc, not
     * the linked one, serves the glibc run and follows the backend's. */
    const char *preload_last;
    /* A request it answers once it serves, and how the answer starts. */
    const char *probe, *probe_reply;
    /* Drive the server (asb_server_port): asb_server_client for each client program. */
    int (*drive)(asb_app_ctx *x, asb_server *s);
} asb_server_spec;

int asb_server_start(asb_app_ctx *x, const asb_server_spec *spec, void **state);
int asb_server_ready(asb_app_ctx *x, void *state);
int asb_server_drive(asb_app_ctx *x, void *state);
void asb_server_stop(asb_app_ctx *x, void *state, asb_outcome *o);

/* Runs one client program (argv[0] a path) to its end: no preload
 * (x->client_env), its stdout into stdout_path, bounded by what is left of
 * the run's timeout and stopped by an interrupt.  0 when it exited 0;
 * otherwise -1 after asb_app_fail naming the client, and the run's status
 * becomes timeout, interrupted, verify-failed (the client exited 3: it read
 * back wrong data) or error. */
int asb_server_client(asb_app_ctx *x, asb_server *s, const asb_argv *argv, const char *stdout_path);
/* The data a client read back was wrong: the run is verify-failed with this
 * message (as asb_app_fail); returns -1. */
int asb_server_verify_failed(asb_app_ctx *x, asb_server *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The loopback TCP port the server listens on. */
int asb_server_port(const asb_server *s);

/* The path of asb-kvclient, our key-value client (kvclient.c); allocated. */
char *asb_server_kvclient_path(void);

#endif
