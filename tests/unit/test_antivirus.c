/*
 * Unit tests of core/antivirus against a small fake clamd run in a thread of the test (the
 * real clamd is tested through the server in tests/http/antivirus.test.js): the INSTREAM
 * framing (command, chunks of at most ANTIVIRUS_CHUNK_BYTES with big-endian lengths, the
 * zero-length end, the bytes intact), every reply clamd gives (OK, FOUND with the signature,
 * ERROR, the size limit), replies that must not be trusted (unexpected, endless, arriving
 * before the whole file was sent), a silent or unreachable daemon within the timeout, Unix
 * and loopback TCP, the option checks, and attachment_prepare refusing what is infected or
 * could not be scanned, leaving no file behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/antivirus.h"
#include "core/attachment.h"
#include "util/arena.h"

static char g_tmp[64];
static char g_uploads[96];
static attachment_dir g_dir; /* opened on g_uploads by main, as core opens its own */

/* ---- a fake clamd: one connection, scripted ---- */

typedef enum fake_mode {
    FAKE_REPLY,     /* reads the whole stream, then writes `reply` and closes */
    FAKE_SILENT,    /* reads the whole stream, then says nothing until the client leaves */
    FAKE_EARLY,     /* reads `early_after` bytes of data, then writes `reply` and closes */
    FAKE_FLOOD,     /* reads the whole stream, then writes bytes without end (no NUL) */
    FAKE_NO_ACCEPT, /* listens, never accepts */
} fake_mode;

typedef struct fake {
    int listen_fd;
    int port;       /* TCP: the port the kernel chose; 0 for a Unix socket */
    char path[108]; /* Unix socket */
    fake_mode mode;
    const char *reply; /* bytes to answer */
    size_t reply_len;
    size_t early_after;
    /* what the client sent */
    char command[32];
    unsigned char *received;
    size_t received_len;
    size_t chunks, max_chunk;
    int terminated; /* the zero-length chunk came */
    pthread_t thread;
} fake;

static int read_full(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Waits until the client closes its side. */
static void drain(int fd)
{
    char b[4096];
    while (read(fd, b, sizeof b) > 0)
        ;
}

static void *fake_run(void *arg)
{
    fake *f = arg;
    if (f->mode == FAKE_NO_ACCEPT)
        return NULL;
    int c = accept(f->listen_fd, NULL, NULL);
    if (c < 0)
        return NULL;
    size_t n = 0;
    while (n + 1 < sizeof f->command && read_full(c, &f->command[n], 1) == 0 && f->command[n])
        n++;
    f->command[n] = '\0';
    if (strcmp(f->command, "zINSTREAM") == 0) {
        for (;;) {
            uint32_t be;
            if (read_full(c, &be, 4) != 0)
                break;
            uint32_t len = ntohl(be);
            if (len == 0) {
                f->terminated = 1;
                break;
            }
            f->chunks++;
            if (len > f->max_chunk)
                f->max_chunk = len;
            f->received = realloc(f->received, f->received_len + len);
            if (!f->received || read_full(c, f->received + f->received_len, len) != 0)
                break;
            f->received_len += len;
            if (f->mode == FAKE_EARLY && f->received_len >= f->early_after)
                break;
        }
    }
    switch (f->mode) {
    case FAKE_REPLY:
    case FAKE_EARLY:
        write_all(c, f->reply, f->reply_len);
        break;
    case FAKE_SILENT:
        drain(c);
        break;
    case FAKE_FLOOD: {
        char junk[4096];
        memset(junk, 'A', sizeof junk);
        for (int i = 0; i < 64; i++)
            write_all(c, junk, sizeof junk);
        drain(c);
        break;
    }
    case FAKE_NO_ACCEPT:
        break;
    }
    close(c);
    return NULL;
}

/* Starts a fake on a Unix socket (tcp 0) or on 127.0.0.1 (tcp 1) and points the antivirus
 * at it with timeout_ms. early_after: for FAKE_EARLY. */
static void fake_start(fake *f, int tcp, fake_mode mode, const char *reply, size_t reply_len,
                       int timeout_ms, size_t early_after)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    f->early_after = early_after;
    f->reply = reply;
    f->reply_len = reply_len;
    char address[64] = "";
    if (tcp) {
        f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(f->listen_fd >= 0);
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&in, sizeof in), 0);
        socklen_t sl = sizeof in;
        assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&in, &sl), 0);
        f->port = ntohs(in.sin_port);
        snprintf(address, sizeof address, "127.0.0.1:%d", f->port);
    } else {
        static int serial;
        snprintf(f->path, sizeof f->path, "%s/clamd-%d.sock", g_tmp, ++serial);
        f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(f->listen_fd >= 0);
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        memcpy(un.sun_path, f->path, strlen(f->path) + 1);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&un, sizeof un), 0);
    }
    assert_int_equal(listen(f->listen_fd, 4), 0);
    error err;
    error_clear(&err);
    assert_int_equal(
        antivirus_configure(tcp ? NULL : f->path, tcp ? address : NULL, timeout_ms, &err), 0);
    assert_true(antivirus_enabled());
    assert_int_equal(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

static void fake_stop(fake *f)
{
    if (f->mode == FAKE_NO_ACCEPT) {
        close(f->listen_fd);
        pthread_join(f->thread, NULL);
    } else {
        pthread_join(f->thread, NULL);
        close(f->listen_fd);
    }
    if (f->path[0])
        unlink(f->path);
}

/* After fake_stop, once what it received has been checked. */
static void fake_free(fake *f)
{
    free(f->received);
    f->received = NULL;
}

#define REPLY(s) s, sizeof s - 1 /* a string literal with its NUL when it has one inside */

/* Bytes that change along the buffer, so that a chunk out of place would be seen. */
static unsigned char *pattern(size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

static int64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One scan against a fresh fake answering `reply`: the scan's rc, verdict and signature. */
static int scan_with(fake_mode mode, const char *reply, size_t reply_len, size_t data_len,
                     antivirus_verdict *v, char *sig, size_t sig_size, error *err)
{
    fake f;
    fake_start(&f, 0, mode, reply, reply_len, 2000, 0);
    unsigned char *data = pattern(data_len);
    error_clear(err);
    int rc = antivirus_scan(data, data_len, v, sig, sig_size, err);
    fake_stop(&f);
    fake_free(&f);
    free(data);
    return rc;
}

/* ---- protocol ---- */

static void test_framing(void **state)
{
    (void)state;
    static const size_t sizes[] = {1,
                                   5,
                                   ANTIVIRUS_CHUNK_BYTES - 1,
                                   ANTIVIRUS_CHUNK_BYTES,
                                   ANTIVIRUS_CHUNK_BYTES + 1,
                                   3 * ANTIVIRUS_CHUNK_BYTES + 17,
                                   0};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        fake f;
        fake_start(&f, 0, FAKE_REPLY, REPLY("stream: OK\0"), 2000, 0);
        unsigned char *data = pattern(n);
        antivirus_verdict v = ANTIVIRUS_INFECTED;
        char sig[ANTIVIRUS_SIGNATURE_MAX] = "x";
        error err;
        error_clear(&err);
        assert_int_equal(antivirus_scan(data, n, &v, sig, sizeof sig, &err), 0);
        fake_stop(&f);
        assert_int_equal(v, ANTIVIRUS_CLEAN);
        assert_string_equal(sig, "");
        assert_string_equal(f.command, "zINSTREAM");
        assert_true(f.terminated);
        assert_int_equal(f.chunks, (n + ANTIVIRUS_CHUNK_BYTES - 1) / ANTIVIRUS_CHUNK_BYTES);
        assert_true(f.max_chunk <= ANTIVIRUS_CHUNK_BYTES);
        assert_int_equal(f.received_len, n);
        if (n)
            assert_memory_equal(f.received, data, n);
        fake_free(&f);
        free(data);
    }
}

static void test_found(void **state)
{
    (void)state;
    antivirus_verdict v;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error err;
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: Guichet.Test.Payload.UNOFFICIAL FOUND\0"),
                               1000, &v, sig, sizeof sig, &err),
                     0);
    assert_int_equal(v, ANTIVIRUS_INFECTED);
    assert_string_equal(sig, "Guichet.Test.Payload.UNOFFICIAL");
    /* ExtendedDetectionInfo adds the hash and size */
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: Win.Test.EICAR_HDB-1(44d8:68) FOUND\0"),
                               68, &v, sig, sizeof sig, &err),
                     0);
    assert_int_equal(v, ANTIVIRUS_INFECTED);
    assert_string_equal(sig, "Win.Test.EICAR_HDB-1(44d8:68)");
    /* control characters never reach the log; long names are cut */
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: Bad\x01Na\xffme FOUND\0"), 10, &v, sig,
                               sizeof sig, &err),
                     0);
    assert_string_equal(sig, "Bad?Na?me");
    char small[8];
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: Very.Long.Signature.Name FOUND\0"), 10,
                               &v, small, sizeof small, &err),
                     0);
    assert_int_equal(v, ANTIVIRUS_INFECTED);
    assert_string_equal(small, "Very.Lo");
    /* a NULL signature buffer is allowed */
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: X FOUND\0"), 10, &v, NULL, 0, &err), 0);
    assert_int_equal(v, ANTIVIRUS_INFECTED);
}

static void test_reply_forms(void **state)
{
    (void)state;
    antivirus_verdict v;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error err;
    /* the end of the connection ends a reply too; a newline is tolerated */
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: OK"), 10, &v, sig, sizeof sig, &err), 0);
    assert_int_equal(v, ANTIVIRUS_CLEAN);
    assert_int_equal(scan_with(FAKE_REPLY, REPLY("stream: OK\n"), 10, &v, sig, sizeof sig, &err),
                     0);
    assert_int_equal(v, ANTIVIRUS_CLEAN);
    /* anything else is no verdict */
    static const char *const bad[] = {
        "stream: Can't allocate memory ERROR",
        "PONG",
        "stream: OKAY",
        "stream:  FOUND",
        "stream: FOUND",
        "Stream: OK",
        "stream: OK extra",
        "",
        "OK",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = ANTIVIRUS_INFECTED;
        int rc = scan_with(FAKE_REPLY, bad[i], strlen(bad[i]) + 1, 10, &v, sig, sizeof sig, &err);
        if (rc != -1)
            fail_msg("reply '%s' taken as a verdict", bad[i]);
        assert_int_equal(err.code, ERR_UNAVAILABLE);
        assert_int_equal(v, ANTIVIRUS_CLEAN);
    }
    /* nothing at all before the end */
    assert_int_equal(scan_with(FAKE_REPLY, "", 0, 10, &v, sig, sizeof sig, &err), -1);
    assert_non_null(strstr(err.detail, "without a reply"));
}

static void test_size_limit(void **state)
{
    (void)state;
    antivirus_verdict v;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error err;
    /* clamd at its StreamMaxLength: answers, stops reading and closes while we still send */
    fake f;
    fake_start(&f, 0, FAKE_EARLY, REPLY("INSTREAM size limit exceeded. ERROR\0"), 2000, 128 * 1024);
    size_t n = 4 * 1024 * 1024;
    unsigned char *data = pattern(n);
    error_clear(&err);
    assert_int_equal(antivirus_scan(data, n, &v, sig, sizeof sig, &err), -1);
    fake_stop(&f);
    fake_free(&f);
    free(data);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_non_null(strstr(err.detail, "StreamMaxLength"));
    assert_int_equal(v, ANTIVIRUS_CLEAN);

    /* a clean verdict about part of a file is no verdict */
    fake_start(&f, 0, FAKE_EARLY, REPLY("stream: OK\0"), 2000, 64 * 1024);
    data = pattern(n);
    assert_int_equal(antivirus_scan(data, n, &v, sig, sizeof sig, &err), -1);
    fake_stop(&f);
    fake_free(&f);
    free(data);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_int_equal(v, ANTIVIRUS_CLEAN);
}

static void test_bounded_reply(void **state)
{
    (void)state;
    antivirus_verdict v;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error err;
    assert_int_equal(scan_with(FAKE_FLOOD, NULL, 0, 10, &v, sig, sizeof sig, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_non_null(strstr(err.detail, "too long"));
}

static void test_timeouts(void **state)
{
    (void)state;
    antivirus_verdict v;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error err;
    /* clamd takes the file and never answers */
    fake f;
    fake_start(&f, 0, FAKE_SILENT, NULL, 0, 300, 0);
    unsigned char *data = pattern(1000);
    int64_t t0 = ms_now();
    assert_int_equal(antivirus_scan(data, 1000, &v, sig, sizeof sig, &err), -1);
    int64_t took = ms_now() - t0;
    fake_stop(&f);
    fake_free(&f);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_non_null(strstr(err.detail, "timeout"));
    assert_true(took >= 250 && took < 3000);

    /* clamd never reads: the sockets' buffers fill up and sending waits until the deadline */
    size_t n = 8 * 1024 * 1024;
    free(data);
    data = pattern(n);
    fake_start(&f, 0, FAKE_NO_ACCEPT, NULL, 0, 300, 0);
    t0 = ms_now();
    assert_int_equal(antivirus_scan(data, n, &v, sig, sizeof sig, &err), -1);
    took = ms_now() - t0;
    fake_stop(&f);
    fake_free(&f);
    free(data);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_non_null(strstr(err.detail, "timed out"));
    assert_true(took >= 250 && took < 3000);
}

static void test_unreachable(void **state)
{
    (void)state;
    error err;
    char path[160];
    snprintf(path, sizeof path, "%s/nobody-here.sock", g_tmp);
    assert_int_equal(antivirus_configure(path, NULL, 2000, &err), 0);
    antivirus_verdict v = ANTIVIRUS_INFECTED;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    int64_t t0 = ms_now();
    assert_int_equal(antivirus_scan("x", 1, &v, sig, sizeof sig, &err), -1);
    assert_true(ms_now() - t0 < 1000); /* refused at once, no waiting for the timeout */
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_non_null(strstr(err.detail, path));
    assert_int_equal(v, ANTIVIRUS_CLEAN);
    char version[64];
    assert_int_equal(antivirus_version(version, sizeof version, &err), -1);
    assert_string_equal(version, "");

    /* a closed TCP port on loopback */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s, (struct sockaddr *)&in, sizeof in), 0);
    socklen_t sl = sizeof in;
    assert_int_equal(getsockname(s, (struct sockaddr *)&in, &sl), 0);
    char address[32];
    snprintf(address, sizeof address, "127.0.0.1:%d", ntohs(in.sin_port));
    close(s); /* bound, never listened: the port is now closed */
    assert_int_equal(antivirus_configure(NULL, address, 2000, &err), 0);
    assert_int_equal(antivirus_scan("x", 1, &v, sig, sizeof sig, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
}

static void test_tcp_and_version(void **state)
{
    (void)state;
    fake f;
    fake_start(&f, 1, FAKE_REPLY, REPLY("stream: Guichet.Test.EICAR.UNOFFICIAL FOUND\0"), 2000, 0);
    antivirus_verdict v;
    char sig[ANTIVIRUS_SIGNATURE_MAX];
    error err;
    unsigned char *data = pattern(100000);
    assert_int_equal(antivirus_scan(data, 100000, &v, sig, sizeof sig, &err), 0);
    fake_stop(&f);
    assert_int_equal(v, ANTIVIRUS_INFECTED);
    assert_string_equal(sig, "Guichet.Test.EICAR.UNOFFICIAL");
    assert_int_equal(f.received_len, 100000);
    assert_memory_equal(f.received, data, 100000);
    fake_free(&f);
    free(data);

    fake_start(&f, 0, FAKE_REPLY, REPLY("ClamAV 1.4.6/27000/Mon Jan  5 09:00:00 2026\0"), 2000, 0);
    char version[128];
    assert_int_equal(antivirus_version(version, sizeof version, &err), 0);
    fake_stop(&f);
    fake_free(&f);
    assert_string_equal(f.command, "zVERSION");
    assert_string_equal(version, "ClamAV 1.4.6/27000/Mon Jan  5 09:00:00 2026");
}

static void test_configure(void **state)
{
    (void)state;
    error err;
    assert_int_equal(antivirus_configure(NULL, NULL, 0, &err), 0);
    assert_false(antivirus_enabled());
    assert_string_equal(antivirus_target(), "");
    assert_int_equal(antivirus_configure("", "", 0, &err), 0);
    assert_false(antivirus_enabled());
    /* off: every file is clean without any connection */
    antivirus_verdict v = ANTIVIRUS_INFECTED;
    assert_int_equal(antivirus_scan("x", 1, &v, NULL, 0, &err), 0);
    assert_int_equal(v, ANTIVIRUS_CLEAN);

    assert_int_equal(antivirus_configure("/run/clamav/clamd.ctl", "127.0.0.1:3310", 0, &err), -1);
    assert_string_equal(err.arg, "clamd-address");
    assert_false(antivirus_enabled());

    static const char *const good[] = {"127.0.0.1:3310", "127.0.0.2:3310", "[::1]:3310",
                                       "localhost:3310", "127.0.0.1:65535"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (antivirus_configure(NULL, good[i], 0, &err) != 0)
            fail_msg("%s refused: %s", good[i], err.detail);
        assert_true(antivirus_enabled());
        assert_string_equal(antivirus_target(), good[i]);
    }
    static const char *const not_loopback[] = {"10.0.0.1:3310", "192.0.2.1:3310",
                                               "[2001:db8::1]:3310", "0.0.0.0:3310", "[::]:3310"};
    for (size_t i = 0; i < sizeof not_loopback / sizeof not_loopback[0]; i++) {
        assert_int_equal(antivirus_configure(NULL, not_loopback[i], 0, &err), -1);
        assert_string_equal(err.arg, "clamd-address");
        assert_non_null(strstr(err.detail, "loopback"));
        assert_false(antivirus_enabled());
    }
    static const char *const malformed[] = {
        "127.0.0.1",     "127.0.0.1:", ":3310",    "127.0.0.1:0",         "127.0.0.1:65536",
        "127.0.0.1:33a", "[::1]3310",  "::1:3310", "clamav.example:3310", "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        if (antivirus_configure(NULL, malformed[i], 0, &err) != -1)
            fail_msg("%s accepted", malformed[i]);
        assert_string_equal(err.arg, "clamd-address");
        assert_false(antivirus_enabled());
    }
    char long_path[200];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    assert_int_equal(antivirus_configure(long_path, NULL, 0, &err), -1);
    assert_string_equal(err.arg, "clamd-socket");
    assert_false(antivirus_enabled());
}

/* ---- attachment_prepare with an antivirus ---- */

static const char PDF[] = "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                          "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
                          "trailer << /Root 1 0 R >>\n%%EOF\n";

static size_t count_files(void)
{
    DIR *d = opendir(g_uploads);
    assert_non_null(d);
    size_t n = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* attachment_prepare of the PDF with a fake answering `reply` (or none: no clamd). */
static int prepare_with(const char *reply, size_t reply_len, store_attachment *at, arena *a,
                        error *err)
{
    fake f;
    if (reply) {
        fake_start(&f, 0, FAKE_REPLY, reply, reply_len, 2000, 0);
    } else {
        char path[160];
        snprintf(path, sizeof path, "%s/stopped-clamd.sock", g_tmp);
        assert_int_equal(antivirus_configure(path, NULL, 2000, err), 0);
    }
    attachment_upload up = {
        .field = "justificatif", .filename = "facture.pdf", .data = PDF, .len = sizeof PDF - 1};
    error_clear(err);
    int rc = attachment_prepare(&g_dir, &up, a, at, err);
    if (reply) {
        fake_stop(&f);
        /* the scanner got the file as sent */
        assert_int_equal(f.received_len, sizeof PDF - 1);
        fake_free(&f);
    }
    return rc;
}

static void test_attachment_scanned(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, 0);
    store_attachment at;
    error err;
    size_t before = count_files();

    assert_int_equal(prepare_with(REPLY("stream: OK\0"), &at, &a, &err), 0);
    assert_string_equal(at.content_type, "application/pdf");
    assert_int_equal(count_files(), before + 1);
    attachment_discard(&g_dir, &at);

    assert_int_equal(
        prepare_with(REPLY("stream: Guichet.Test.Payload.UNOFFICIAL FOUND\0"), &at, &a, &err), -1);
    assert_int_equal(err.code, ERR_INVALID_ARG);
    assert_string_equal(err.arg, "justificatif");
    assert_true(attachment_is_infected(&err));
    assert_false(attachment_is_unscanned(&err));
    assert_false(attachment_is_damaged(&err));
    assert_non_null(strstr(err.detail, "Guichet.Test.Payload.UNOFFICIAL"));
    assert_null(strstr(err.detail, "facture")); /* the name may hold personal data */
    assert_int_equal(count_files(), before);

    /* fail closed: no clamd, no file */
    assert_int_equal(prepare_with(NULL, 0, &at, &a, &err), -1);
    assert_int_equal(err.code, ERR_UNAVAILABLE);
    assert_true(attachment_is_unscanned(&err));
    assert_false(attachment_is_infected(&err));
    assert_int_equal(count_files(), before);

    assert_int_equal(prepare_with(REPLY("stream: Can't allocate memory ERROR\0"), &at, &a, &err),
                     -1);
    assert_true(attachment_is_unscanned(&err));
    assert_int_equal(count_files(), before);

    /* other refusals are not taken for the antivirus' */
    error other;
    error_set(&other, ERR_INVALID_ARG, "f", "Le fichier est vide.");
    assert_false(attachment_is_infected(&other));
    error_set(&other, ERR_UNAVAILABLE, NULL, "cannot write an attachment file: No space");
    assert_false(attachment_is_unscanned(&other));

    /* without an antivirus, nothing is scanned */
    assert_int_equal(antivirus_configure(NULL, NULL, 0, &err), 0);
    attachment_upload up = {.field = "f", .filename = "a.pdf", .data = PDF, .len = sizeof PDF - 1};
    assert_int_equal(attachment_prepare(&g_dir, &up, &a, &at, &err), 0);
    attachment_discard(&g_dir, &at);
    assert_int_equal(count_files(), before);
    arena_free(&a);
}

int main(void)
{
    snprintf(g_tmp, sizeof g_tmp, "/tmp/guichet-av-XXXXXX");
    if (!mkdtemp(g_tmp))
        return 1;
    snprintf(g_uploads, sizeof g_uploads, "%s/uploads", g_tmp);
    error err;
    if (attachment_dir_open(&g_dir, g_uploads, &err) != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configure),       cmocka_unit_test(test_framing),
        cmocka_unit_test(test_found),           cmocka_unit_test(test_reply_forms),
        cmocka_unit_test(test_size_limit),      cmocka_unit_test(test_bounded_reply),
        cmocka_unit_test(test_timeouts),        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_tcp_and_version), cmocka_unit_test(test_attachment_scanned),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_tmp);
    return rc;
}
