/*
 * fuzz_http — the whole HTTP entrance on arbitrary bytes: each input is what a client writes
 * on one connection, sent to a real guichet server embedded in this process (the same
 * cli_server `guichet serve` runs, on a demo database in a temporary directory, on
 * loopback). It reaches libmicrohttpd's parsing, the request-line and query handling, the
 * admission on headers, routing, multipart streaming of files, urlencoded and JSON bodies
 * (Open311, the JSON API, the portal's and back office's forms) and the handlers behind.
 *
 * Inputs may hold placeholders the harness replaces with live secrets, so that the fuzzer
 * gets past authentication: @CSRF_COOKIE@ (a browser's CSRF cookie, "name=value"),
 * @CSRF_TOKEN@ (the matching form token), @APIKEY@ (a JSON API key), @OPEN311KEY@ (an Open311
 * key), and @LEN@ (the number of bytes after the first blank line that follows it: a
 * Content-Length that stays right whatever the secrets' lengths). The server is checked
 * after every input: a crash or a sanitizer report fails the
 * run, and a fresh request must still get a 200.
 */
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

#include "cli/cli.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http: check failed: %s (line %d)\n", #cond, __LINE__);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define ANSWER_MAX (4 << 20)
#define IO_TIMEOUT_MS 10000
#define QUIET_MS 10

static cli_server *server;
static int port;
static char dir[256];
static char csrf_cookie[128], csrf_token[128], api_key[128], open311_key[128];

/* Sends data on a new connection and reads the answers until the server is done with it:
 * nothing more to read for QUIET_MS and no request in flight (libmicrohttpd keeps a
 * kept-alive connection open, and a half-close arriving during a request goes unnoticed until
 * the header deadline, so the end of the answer cannot be the end of the stream). Returns
 * what was read (NUL-terminated, at most ANSWER_MAX bytes; caller frees), NULL when the
 * connection failed. */
static char *exchange(const char *data, size_t len, size_t *out_len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
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
    CHECK(buf);
    for (int waited = 0; waited < IO_TIMEOUT_MS;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, QUIET_MS);
        if (ready == 0) {
            waited += QUIET_MS;
            if (cli_server_in_flight(server) == 0)
                break;
            continue;
        }
        if (n == cap) {
            if (cap >= ANSWER_MAX)
                break;
            cap *= 2;
            buf = realloc(buf, cap + 1);
            CHECK(buf);
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

/* The status of a raw answer, 0 when there is none. */
static int status_of(const char *answer)
{
    if (strncmp(answer, "HTTP/1.", 7) != 0 || strlen(answer) < 12)
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
 * that output into last (an API key is printed last). */
static void run_cli(char **argv, int argc, char *last, size_t size)
{
    char path[300];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *f = fopen(path, "w+");
    CHECK(f && saved >= 0);
    dup2(fileno(f), STDOUT_FILENO);
    int rc = cli_main(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    CHECK(rc == 0);
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
        CHECK(wl < size);
        memcpy(last, w, wl + 1);
    }
    fclose(f);
}

static void stop_server(void)
{
    cli_server_stop(server, 5000);
    server = NULL;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_http: could not remove %s\n", dir);
}

static void start(void)
{
    /* A file system in memory when there is one: every create is an fsync. */
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/guichet-fuzz-http-XXXXXX", base);
    CHECK(mkdtemp(dir));
    char db[300];
    snprintf(db, sizeof db, "%s/g.db", dir);
    char *init[] = {"guichet", "init", "--db", db};
    run_cli(init, 4, NULL, 0);
    char *demo[] = {"guichet", "demo", "--db", db, "--requests", "40"};
    run_cli(demo, 6, NULL, 0);
    char *key_api[] = {"guichet", "apikey", "create", "--db", db, "--name", "fuzz", "--scope", "api"};
    run_cli(key_api, 9, api_key, sizeof api_key);
    char *key_311[] = {"guichet", "apikey",  "create", "--db",   db,
                       "--name",  "fuzz311", "--scope", "open311"};
    run_cli(key_311, 9, open311_key, sizeof open311_key);

    signal(SIGPIPE, SIG_IGN);
    char *serve[] = {"--db",          db,  "--listen",      "127.0.0.1:0", "--threads",
                     "2",             "--rate-ip", "0", "--log-level", "error", "--cache-mb",
                     "1",             "--header-timeout", "2"};
    CHECK(cli_server_start((int)(sizeof serve / sizeof serve[0]), serve, &server) == 0);
    port = cli_server_port(server);
    atexit(stop_server);

    /* A browser's CSRF cookie and token, from a form page. */
    static const char get_form[] = "GET /demarches/question-generale HTTP/1.1\r\nHost: "
                                   "127.0.0.1\r\nConnection: close\r\n\r\n";
    size_t n = 0;
    char *page = exchange(get_form, sizeof get_form - 1, &n);
    CHECK(page && status_of(page) == 200);
    extract(page, "Set-Cookie: ", ";\r\n", csrf_cookie, sizeof csrf_cookie);
    extract(page, "name=\"csrf_token\" value=\"", "\"", csrf_token, sizeof csrf_token);
    CHECK(strncmp(csrf_cookie, "guichet_csrf=", 13) == 0 && csrf_token[0]);
    free(page);
}

/* The input with its placeholders replaced (caller frees). */
static char *expand(const uint8_t *data, size_t size, size_t *out_len)
{
    static const struct {
        const char *mark;
        const char *value;
    } marks[] = {{"@CSRF_COOKIE@", csrf_cookie},
                 {"@CSRF_TOKEN@", csrf_token},
                 {"@APIKEY@", api_key},
                 {"@OPEN311KEY@", open311_key}};
    size_t cap = size * 8 + 64, n = 0;
    char *out = malloc(cap);
    CHECK(out);
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
            out[n++] = (char)data[i++];
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server)
        start();
    size_t len = 0;
    char *input = expand(data, size, &len);
    size_t n = 0;
    char *answer = exchange(input, len, &n);
    CHECK(answer != NULL); /* the server still accepts connections */
    if (getenv("FUZZ_HTTP_VERBOSE")) /* what each input got: to check a corpus by hand */
        fprintf(stderr, "fuzz_http: %zu bytes in, answer: %.*s\n", len, (int)strcspn(answer, "\r\n"),
                answer);
    if (n > 0)
        CHECK(strncmp(answer, "HTTP/1.", 7) == 0);
    free(answer);
    free(input);
    /* And it still serves. */
    static const char probe[] =
        "GET /open311/v2/services.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    answer = exchange(probe, sizeof probe - 1, &n);
    CHECK(answer && status_of(answer) == 200);
    free(answer);
    return 0;
}
