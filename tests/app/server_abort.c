/*
 * server_abort.c — a backend library for the server tests that aborts as
 * soon as it is loaded: a server started with it preloaded dies before it
 * answers, and its row must say crashed:SIGABRT and name the app.
 */
#include <stdlib.h>

__attribute__((constructor)) static void abort_when_loaded(void) { abort(); }
