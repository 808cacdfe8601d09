#include "embedded.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANSWER_MAX (4 << 20)
#define IO_TIMEOUT_MS 10000
#define QUIET_MS 3
#define SILENT_MS 300
#define PATIENT_MS 5000

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "embedded server: %s failed (%s:%d)\n", #cond, __FILE__, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* libmicrohttpd keeps a kept-alive connection open, and a half-close that arrives while a
 * request is being answered goes unnoticed until the header deadline: the end of an answer
 * is not the end of the stream. So the exchange ends when the server has no request in
 * flight and there was nothing to read for QUIET_MS after an answer began, or for
 * SILENT_MS when none came (the server may not have read the request yet). */
/* Sends data on a new connection and reads the answer. silent_ms: how long a silence with
 * no request in flight may last before any answer came (the quiet rule above); 0: read until
 * the server closes the connection (a well-formed request with "Connection: close", which
 * always gets a whole answer: a loaded machine may take longer than SILENT_MS to start it). */
static char *exchange(const embedded *e, const char *data, size_t len, size_t *out_len,
                      int silent_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)e->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return NULL;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server refused the rest: its answer still counts */
        off += (size_t)w;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    REQUIRE(buf);
    for (int waited = 0; waited < IO_TIMEOUT_MS;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, QUIET_MS);
        if (ready == 0) {
            waited += QUIET_MS;
            if (silent_ms && cli_server_in_flight(e->server) == 0 && (n > 0 || waited >= silent_ms))
                break;
            continue;
        }
        if (n == cap) {
            if (cap >= ANSWER_MAX)
                break;
            cap *= 2;
            buf = realloc(buf, cap + 1);
            REQUIRE(buf);
        }
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *out_len = n;
    return buf;
}

char *embedded_exchange(const embedded *e, const char *data, size_t len, size_t *out_len)
{
    return exchange(e, data, len, out_len, SILENT_MS);
}

char *embedded_request(const embedded *e, const char *request, size_t len, size_t *out_len)
{
    return exchange(e, request, len, out_len, PATIENT_MS);
}

char *embedded_fetch(const embedded *e, const char *request, size_t len, size_t *out_len)
{
    return exchange(e, request, len, out_len, 0);
}

int embedded_status(const char *answer)
{
    if (!answer || strncmp(answer, "HTTP/1.", 7) != 0 || strlen(answer) < 12)
        return 0;
    return (int)strtol(answer + 9, NULL, 10);
}

/* Copies into out the characters of s after `after` up to one of `stops`. */
static void extract(const char *s, const char *after, const char *stops, char *out, size_t size)
{
    out[0] = '\0';
    const char *p = strstr(s, after);
    if (!p)
        return;
    p += strlen(after);
    size_t n = strcspn(p, stops);
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Runs a guichet command (cli_main) with its standard output in a file; the last word of
 * that output into last when not NULL (an API key is printed last). */
static void run_cli(const embedded *e, char **argv, int argc, char *last, size_t size)
{
    char path[300];
    snprintf(path, sizeof path, "%s/out.txt", e->dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *f = fopen(path, "w+");
    REQUIRE(f && saved >= 0);
    dup2(fileno(f), STDOUT_FILENO);
    int rc = cli_main(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    REQUIRE(rc == 0);
    if (last) {
        char text[4096];
        rewind(f);
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
            text[--n] = '\0';
        const char *w = strrchr(text, ' ');
        w = w ? w + 1 : text;
        size_t wl = strlen(w);
        REQUIRE(wl < size);
        memcpy(last, w, wl + 1);
    }
    fclose(f);
}

void embedded_start(embedded *e, unsigned n_requests, char **extra, int n_extra)
{
    memset(e, 0, sizeof *e);
    /* A file system in memory when there is one: every create is an fsync. */
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
    snprintf(e->dir, sizeof e->dir, "%s/guichet-embedded-XXXXXX", base);
    REQUIRE(mkdtemp(e->dir));
    snprintf(e->db, sizeof e->db, "%s/g.db", e->dir);
    char requests[16];
    snprintf(requests, sizeof requests, "%u", n_requests);
    char *init[] = {"guichet", "init", "--db", e->db};
    run_cli(e, init, 4, NULL, 0);
    char *demo[] = {"guichet", "demo", "--db", e->db, "--requests", requests};
    run_cli(e, demo, 6, NULL, 0);
    char *key_api[] = {"guichet", "apikey", "create", "--db", e->db,
                       "--name",  "tests",  "--scope", "api"};
    run_cli(e, key_api, 9, e->api_key, sizeof e->api_key);
    char *key_311[] = {"guichet", "apikey",     "create",  "--db",   e->db,
                       "--name",  "tests-311", "--scope", "open311"};
    run_cli(e, key_311, 9, e->open311_key, sizeof e->open311_key);

    signal(SIGPIPE, SIG_IGN);
    char *serve[64] = {"--db", e->db, "--listen", "127.0.0.1:0", "--threads", "2",
                       "--rate-ip", "0", "--log-level", "error"};
    int n = 10;
    REQUIRE(n + n_extra <= 64);
    for (int i = 0; i < n_extra; i++)
        serve[n++] = extra[i];
    REQUIRE(cli_server_start(n, serve, &e->server) == 0);
    e->port = cli_server_port(e->server);

    /* A browser's CSRF cookie and token, from a form page. */
    static const char get_form[] = "GET /demarches/question-generale HTTP/1.1\r\nHost: "
                                   "127.0.0.1\r\nConnection: close\r\n\r\n";
    size_t len = 0;
    char *page = embedded_fetch(e, get_form, sizeof get_form - 1, &len);
    REQUIRE(page && embedded_status(page) == 200);
    extract(page, "Set-Cookie: ", ";\r\n", e->csrf_cookie, sizeof e->csrf_cookie);
    extract(page, "name=\"csrf_token\" value=\"", "\"", e->csrf_token, sizeof e->csrf_token);
    REQUIRE(strncmp(e->csrf_cookie, "guichet_csrf=", 13) == 0 && e->csrf_token[0]);
    free(page);
}

void embedded_stop(embedded *e)
{
    if (e->server)
        cli_server_stop(e->server, 5000);
    e->server = NULL;
    if (!e->dir[0])
        return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "embedded server: could not remove %s\n", e->dir);
    e->dir[0] = '\0';
}

char *embedded_expand(const embedded *e, const char *data, size_t size, size_t *out_len)
{
    const struct {
        const char *mark;
        const char *value;
    } marks[] = {{"@CSRF_COOKIE@", e->csrf_cookie},
                 {"@CSRF_TOKEN@", e->csrf_token},
                 {"@APIKEY@", e->api_key},
                 {"@OPEN311KEY@", e->open311_key}};
    size_t cap = size * 8 + 64, n = 0;
    char *out = malloc(cap);
    REQUIRE(out);
    for (size_t i = 0; i < size;) {
        int replaced = 0;
        for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++) {
            size_t ml = strlen(marks[m].mark);
            if (size - i >= ml && memcmp(data + i, marks[m].mark, ml) == 0) {
                size_t vl = strlen(marks[m].value);
                if (n + vl < cap) {
                    memcpy(out + n, marks[m].value, vl);
                    n += vl;
                }
                i += ml;
                replaced = 1;
                break;
            }
        }
        if (!replaced && n < cap)
            out[n++] = data[i++];
        else if (!replaced)
            i++;
    }
    /* @LEN@: the length of what follows the end of its headers. */
    char *len_mark = memmem(out, n, "@LEN@", 5);
    char *body = len_mark ? memmem(len_mark, n - (size_t)(len_mark - out), "\r\n\r\n", 4) : NULL;
    if (body) {
        char digits[24];
        size_t dl = (size_t)snprintf(digits, sizeof digits, "%zu", n - (size_t)(body + 4 - out));
        size_t tail = n - (size_t)(len_mark + 5 - out);
        if (n - 5 + dl <= cap) {
            memmove(len_mark + dl, len_mark + 5, tail);
            memcpy(len_mark, digits, dl);
            n = n - 5 + dl;
        }
    }
    *out_len = n;
    return out;
}
