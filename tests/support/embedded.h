/*
 * embedded — a real guichet server inside a test program, for the tests that must share its
 * address space (the HTTP fuzz target's coverage, the fault loops' allocation and storage
 * hooks): the same cli_server `guichet serve` runs, on a demo database in a temporary
 * directory, on a loopback port, with a browser's CSRF cookie and token and API keys ready.
 *
 * Requests are raw bytes sent on one connection; they may hold placeholders replaced with
 * the live secrets: @CSRF_COOKIE@ ("name=value"), @CSRF_TOKEN@, @APIKEY@ (JSON API),
 * @OPEN311KEY@, and @LEN@ (the number of bytes after the first blank line that follows it,
 * for a Content-Length that stays right whatever the secrets' lengths).
 */
#ifndef GUICHET_TESTS_EMBEDDED_H
#define GUICHET_TESTS_EMBEDDED_H

#include <stddef.h>

#include "cli/cli.h"

typedef struct embedded {
    cli_server *server;
    int port;
    char dir[256];
    char db[320];
    char csrf_cookie[128], csrf_token[128], api_key[128], open311_key[128];
} embedded;

/* Creates the database (init, demo with n_requests requests, keys) and starts the server
 * with serve's options plus extra (n_extra strings). Aborts the program on failure: a test
 * harness that cannot start has nothing to test. */
void embedded_start(embedded *e, unsigned n_requests, char **extra, int n_extra);
/* Stops the server (letting requests finish) and removes the directory. */
void embedded_stop(embedded *e);

/* data with its placeholders replaced (caller frees); its length in *out_len. */
char *embedded_expand(const embedded *e, const char *data, size_t size, size_t *out_len);
/* Sends data on a new connection and reads until the server is done with it: nothing more
 * to read for a moment and no request in flight. What was read, NUL-terminated (caller
 * frees), length in *out_len; NULL when the connection could not be made. */
char *embedded_exchange(const embedded *e, const char *data, size_t len, size_t *out_len);
/* Sends a well-formed request that a fault may leave unanswered and reads its answer as
 * embedded_exchange does, but waits up to 5 s, not 300 ms, for the server to start on it: a
 * loaded machine (CI running other suites) may take that long to schedule the server's
 * thread, and giving up sooner reads as a connection closed without an answer. Same
 * ownership as embedded_exchange. */
char *embedded_request(const embedded *e, const char *request, size_t len, size_t *out_len);
/* Sends a well-formed request that asks "Connection: close" and reads its whole answer, up
 * to the server's close (or 10 s): for probes, which must not mistake a slow start under
 * load for no answer. Same ownership as embedded_exchange. */
char *embedded_fetch(const embedded *e, const char *request, size_t len, size_t *out_len);
/* The status code of a raw answer, 0 when it has none. */
int embedded_status(const char *answer);

#endif
