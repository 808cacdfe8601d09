/*
 * fault_loop — every allocation and every storage write on a request's path made to fail in
 * turn, as curl's torture tests and SQLite's OOM loops do. For each scenario (a raw request
 * sent to a real server embedded in this process, see tests/support/embedded.h), a first run
 * without fault gives the expected status; then for N = 1, 2, … the Nth allocation (or
 * write) fails, once, until a run goes through without reaching N. Every run must end in the
 * expected answer or a clean 5xx (never another status, a crash or a hang), the server must
 * then serve a fresh request, and every create it acknowledged must be readable. At the end
 * the database passes PRAGMA integrity_check; under the ASan build, LeakSanitizer checks
 * that no failure path leaked.
 *
 * And the loops of a workflow timeout's jump (fault_timeout.h, scenario "timeout-jump").
 *
 * Usage: fault_loop [SCENARIO…] (all by default). FAULT_STRIDE=k tries one N in k (quick
 * looks by hand); FAULT_TRACE=1 prints the stack of each failed allocation and names the
 * failures that were answered as if nothing had failed. Prints one line per scenario and loop, then
 * "N passed, N failed".
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embedded.h"
#include "fault_hooks.h"
#include "fault_timeout.h"

#define MAX_RUNS 20000

typedef struct scenario {
    const char *name;
    const char *request; /* raw, with embedded.h's placeholders */
    int io;              /* also loop over storage writes */
} scenario;

static const scenario scenarios[] = {
    {"open311-list", "GET /open311/v2/requests.json?status=open&page_size=5&extensions=true HTTP/1.1\r\n"
                     "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", 0},
    {"open311-services-xml", "GET /open311/v2/services.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Connection: close\r\n\r\n", 0},
    {"open311-create", "POST /open311/v2/requests.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Connection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                       "Content-Length: @LEN@\r\n\r\napi_key=@OPEN311KEY@&service_code=nid-de-poule"
                       "&lat=48.8566&long=2.3522&description=Trou+dans+la+chauss%C3%A9e"
                       "&attribute%5Btaille%5D=petit", 1},
    {"portal-form", "GET /demarches/question-generale HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Connection: close\r\n\r\n", 0},
    {"portal-public-list", "GET /signalements?lang=en HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Connection: close\r\n\r\n", 0},
    {"portal-tracking-post", "POST /suivi HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "Cookie: @CSRF_COOKIE@\r\n"
                             "Content-Type: application/x-www-form-urlencoded\r\n"
                             "Content-Length: @LEN@\r\n\r\ncsrf_token=@CSRF_TOKEN@"
                             "&reference=2026-000001&code=ABCD2345", 0},
    {"portal-multipart", "POST /demarches/question-generale HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Connection: close\r\nCookie: @CSRF_COOKIE@\r\n"
                         "Content-Type: multipart/form-data; boundary=b0\r\n"
                         "Content-Length: @LEN@\r\n\r\n"
                         "--b0\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
                         "@CSRF_TOKEN@\r\n"
                         "--b0\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n"
                         "Bonjour\r\n"
                         "--b0\r\nContent-Disposition: form-data; name=\"pieces\"; "
                         "filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
                         "--b0--\r\n", 0},
    {"backoffice-login", "POST /agent/connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Connection: close\r\nCookie: @CSRF_COOKIE@\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         "Content-Length: @LEN@\r\n\r\ncsrf_token=@CSRF_TOKEN@"
                         "&email=martin.durand%40ville-demo.test&password=demo-guichet-2026", 1},
    {"api-patch", "PATCH /api/v1/requests/2026-000003 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Connection: close\r\nAuthorization: Bearer @APIKEY@\r\n"
                  "Content-Type: application/json\r\nContent-Length: @LEN@\r\n\r\n"
                  "{\"priority\":\"high\",\"note\":\"Vu sur place\"}", 1},
    {NULL, NULL, 0},
};

static embedded srv;
static int passed, failed;

static const char probe[] =
    "GET /open311/v2/services.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/* Sends the scenario's request; its status (0: no answer). The service_request_id of an
 * acknowledged create (2xx) into created when not NULL. */
static int send_request(const scenario *sc, char *created, size_t size)
{
    size_t len = 0, n = 0;
    char *req = embedded_expand(&srv, sc->request, strlen(sc->request), &len);
    char *answer = embedded_request(&srv, req, len, &n);
    free(req);
    int status = embedded_status(answer);
    if (created) {
        created[0] = '\0';
        const char *id = answer ? strstr(answer, "\"service_request_id\":\"") : NULL;
        if (status >= 200 && status < 300 && id) {
            id += 22;
            size_t l = strcspn(id, "\"");
            if (l < size) {
                memcpy(created, id, l);
                created[l] = '\0';
            }
        }
    }
    free(answer);
    return status;
}

static int probe_ok(void)
{
    size_t n = 0;
    char *answer = embedded_fetch(&srv, probe, sizeof probe - 1, &n);
    int ok = embedded_status(answer) == 200;
    free(answer);
    return ok;
}

/* Whether an acknowledged create can be read back. */
static int readable(const char *id)
{
    char req[256];
    int l = snprintf(req, sizeof req,
                     "GET /api/v1/requests/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     id, srv.api_key);
    size_t n = 0;
    char *answer = embedded_fetch(&srv, req, (size_t)l, &n);
    int ok = embedded_status(answer) == 200;
    free(answer);
    return ok;
}

/* Waits until the server has finished with every request (a failure may be answered before
 * the handler's last allocation). */
static void settle(void)
{
    for (int i = 0; i < 1000 && cli_server_in_flight(srv.server) > 0; i++)
        usleep(1000);
}

/* One loop: io selects storage writes rather than allocations. */
static void run_loop(const scenario *sc, int io, long stride)
{
    char created[64];
    int expected = send_request(sc, created, sizeof created);
    if (expected == 0 || expected >= 500) {
        printf("FAIL  %-22s %s: no clean answer without fault (%d)\n", sc->name,
               io ? "writes" : "allocations", expected);
        failed++;
        return;
    }
    long n = 1, runs = 0, errors5xx = 0, dropped = 0;
    int bad = 0;
    for (; n < MAX_RUNS * stride; n += stride, runs++) {
        if (io)
            fault_io_arm(n, n % 2 == 0);
        else
            fault_alloc_arm(n);
        int status = send_request(sc, created, sizeof created);
        settle();
        int fired = io ? fault_io_fired() : fault_alloc_fired();
        if (io)
            fault_io_disarm();
        else
            fault_alloc_disarm();
        if (status >= 500 && status <= 503)
            errors5xx++;
        else if (status == 0) {
            dropped++;
            if (getenv("FAULT_TRACE"))
                printf("      %s: failure %ld closed the connection\n", sc->name, n);
        } else if (status == expected && fired && getenv("FAULT_TRACE"))
            printf("      %s: failure %ld answered as without fault\n", sc->name, n);
        else if (status != expected) {
            printf("      %s: failure %ld answered %d (expected %d or 5xx)\n", sc->name, n,
                   status, expected);
            bad = 1;
        }
        if (created[0] && !readable(created)) {
            printf("      %s: failure %ld acknowledged %s, which cannot be read back\n", sc->name,
                   n, created);
            bad = 1;
        }
        if (!probe_ok()) {
            printf("      %s: after failure %ld the server no longer serves\n", sc->name, n);
            bad = 1;
            break;
        }
        if (!fired)
            break; /* the request needed fewer than n: every one has failed in turn */
    }
    /* A connection closed without an answer is allowed only where nothing can be answered:
     * the request's own context could not be allocated. */
    if (dropped > 2) {
        printf("      %s: %ld failures closed the connection without an answer\n", sc->name,
               dropped);
        bad = 1;
    }
    printf("%s  %-22s %s: %ld runs, %ld answered 5xx, %ld closed, expected %d otherwise\n",
           bad ? "FAIL" : "ok  ", sc->name, io ? "writes" : "allocations", runs, errors5xx,
           dropped, expected);
    if (bad)
        failed++;
    else
        passed++;
}

static int integrity_ok(const char *db)
{
    sqlite3 *h = NULL;
    int ok = 0;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return ok;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    fault_alloc_exempt_this_thread();
    if (fault_hooks_install() != 0) {
        fprintf(stderr, "fault_loop: cannot install the hooks\n");
        return 1;
    }
    const char *s = getenv("FAULT_STRIDE");
    long stride = s ? strtol(s, NULL, 10) : 1;
    if (stride < 1)
        stride = 1;
    /* No response cache: every run goes down to the store. */
    char *extra[] = {"--cache-mb", "0", "--log-level", "error", "--rate-key", "0"};
    embedded_start(&srv, 40, extra, 6);
    for (const scenario *sc = scenarios; sc->name; sc++) {
        int chosen = argc < 2;
        for (int i = 1; i < argc; i++)
            chosen |= strcmp(argv[i], sc->name) == 0;
        if (!chosen)
            continue;
        run_loop(sc, 0, stride);
        if (sc->io)
            run_loop(sc, 1, stride);
    }
    /* Not a request on the wire: the workflow timeout's jump, run by the scheduler. */
    int timeouts = argc < 2;
    for (int i = 1; i < argc; i++)
        timeouts |= strcmp(argv[i], "timeout-jump") == 0;
    if (timeouts) {
        fault_timeout_loop(0, stride, &passed, &failed);
        fault_timeout_loop(1, stride, &passed, &failed);
    }
    char db[sizeof srv.db];
    memcpy(db, srv.db, sizeof db);
    cli_server_stop(srv.server, 5000);
    srv.server = NULL;
    if (integrity_ok(db)) {
        printf("ok    integrity_check\n");
        passed++;
    } else {
        printf("FAIL  integrity_check\n");
        failed++;
    }
    embedded_stop(&srv);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
