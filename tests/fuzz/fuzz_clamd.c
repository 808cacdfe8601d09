/*
 * fuzz_clamd — the reader of clamd's INSTREAM replies (core/antivirus) on arbitrary bytes,
 * cut as antivirus_scan cuts them (at most ANTIVIRUS_REPLY_MAX - 1 bytes, then NUL). Checks
 * what the upload path relies on: a verdict only for "stream: OK" or "stream: NAME FOUND",
 * a signature name in printable ASCII within its buffer, and every other reply a refusal
 * (ERR_UNAVAILABLE: fail closed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/antivirus.h"
#include "util/error.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char reply[ANTIVIRUS_REPLY_MAX];
    size_t n = size < sizeof reply - 1 ? size : sizeof reply - 1;
    memcpy(reply, data, n);
    reply[n] = '\0';
    antivirus_verdict v = ANTIVIRUS_CLEAN;
    char sig[64];
    memset(sig, 'X', sizeof sig);
    error e;
    error_clear(&e);
    int rc = antivirus_parse_reply(reply, &v, sig, sizeof sig, &e);
    if (rc == 0) {
        CHECK(strncmp(reply, "stream: ", 8) == 0);
        if (v == ANTIVIRUS_INFECTED) {
            CHECK(memchr(sig, '\0', sizeof sig) != NULL);
            for (const char *p = sig; *p; p++)
                CHECK(*p >= 0x20 && *p < 0x7f);
            CHECK(strstr(reply, " FOUND") != NULL);
        } else {
            CHECK(v == ANTIVIRUS_CLEAN);
            CHECK(strncmp(reply, "stream: OK", 10) == 0);
        }
    } else {
        CHECK(rc == -1 && e.code == ERR_UNAVAILABLE);
    }
    /* No signature buffer at all is allowed too. */
    error_clear(&e);
    (void)antivirus_parse_reply(reply, &v, NULL, 0, &e);
    return 0;
}
