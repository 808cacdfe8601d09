/*
 * fuzz_http — the whole HTTP entrance on arbitrary bytes: each input is what a client writes
 * on one connection, sent to a real guichet server embedded in this process (tests/support/
 * embedded: the cli_server `guichet serve` runs, on a demo database, on loopback). It reaches
 * libmicrohttpd's parsing, the request-line and query handling, the admission on headers,
 * routing, multipart streaming of files, urlencoded and JSON bodies (Open311, the JSON API,
 * the portal's and back office's forms) and the handlers behind.
 *
 * Inputs may hold the placeholders embedded.h lists (@CSRF_COOKIE@, @CSRF_TOKEN@, @APIKEY@,
 * @OPEN311KEY@, @LEN@) so that the fuzzer gets past authentication. After every input the
 * server must still accept a connection, and a fresh request must get a 200: a crash or a
 * sanitizer report fails the run. FUZZ_HTTP_VERBOSE=1 prints each answer's status line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http: check failed: %s (line %d)\n", #cond, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static embedded srv;
static int started;

static void stop(void)
{
    embedded_stop(&srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!started) {
        char *extra[] = {"--cache-mb", "1", "--header-timeout", "2"};
        embedded_start(&srv, 40, extra, 4);
        atexit(stop);
        started = 1;
    }
    size_t len = 0, n = 0;
    char *input = embedded_expand(&srv, (const char *)data, size, &len);
    char *answer = embedded_exchange(&srv, input, len, &n);
    CHECK(answer != NULL); /* the server still accepts connections */
    if (getenv("FUZZ_HTTP_VERBOSE"))
        fprintf(stderr, "fuzz_http: %zu bytes in, answer: %.*s\n", len,
                (int)strcspn(answer, "\r\n"), answer);
    if (n > 0)
        CHECK(strncmp(answer, "HTTP/1.", 7) == 0);
    free(answer);
    free(input);
    /* And it still serves. */
    static const char probe[] =
        "GET /open311/v2/services.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    answer = embedded_fetch(&srv, probe, sizeof probe - 1, &n);
    if (!answer || embedded_status(answer) != 200)
        fprintf(stderr, "fuzz_http: the probe after this input got %zu bytes: %.*s\n", n,
                answer ? (int)strcspn(answer, "\r\n") : 0, answer ? answer : "");
    CHECK(answer && embedded_status(answer) == 200);
    free(answer);
    return 0;
}
