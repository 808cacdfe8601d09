#include "http/conns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/timeutil.h"

#define ADDR_MAX 46       /* INET6_ADDRSTRLEN */
#define COUNT_SLOTS 16384 /* per-address counters; power of two, above the connection limit */
#define WATCH_PERIOD_MS 250

typedef enum phase {
    PHASE_HEADERS = 0, /* waiting for a request's headers (new or kept-alive connection) */
    PHASE_BODY,        /* receiving the body */
    PHASE_HANDLER,     /* the server is working on it, or answering: never cut */
} phase;

struct conn_entry {
    conn_entry *prev, *next;
    int fd;
    int reaped;
    char addr[ADDR_MAX];
    _Atomic int phase;
    _Atomic int64_t since_ms; /* start of the current phase */
    _Atomic uint64_t body_bytes;
    void *owed; /* touched only by the connection's own thread, and by conns_close */
};

typedef struct addr_count {
    char addr[ADDR_MAX];
    unsigned n;
} addr_count;

struct conns {
    conns_config cfg;
    pthread_mutex_t lock; /* the list, the counters, and the sockets' lifetime */
    conn_entry *head;
    addr_count *counts;
    pthread_t watchdog;
    pthread_cond_t wake;
    int stopping;
    _Atomic uint64_t reaped;
};

void conns_address(const struct sockaddr *sa, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        /* An IPv4 client on a dual-stack socket counts as that IPv4 address. */
        if (IN6_IS_ADDR_V4MAPPED(a6))
            inet_ntop(AF_INET, &a6->s6_addr[12], out, (socklen_t)size);
        else
            inet_ntop(AF_INET6, a6, out, (socklen_t)size);
    }
    if (!out[0] && size >= 2) {
        out[0] = '?';
        out[1] = '\0';
    }
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* The counter slot of addr (locked): the existing one, or a free one when create. Linear
 * probing over a table larger than the connection limit, so a free slot always exists;
 * slots whose count fell to zero stay as tombstones and are reused for any address. */
static addr_count *count_slot(conns *c, const char *addr, int create)
{
    uint32_t h = hash(addr);
    addr_count *free_slot = NULL;
    for (uint32_t i = 0; i < COUNT_SLOTS; i++) {
        addr_count *s = &c->counts[(h + i) & (COUNT_SLOTS - 1)];
        if (s->addr[0] == '\0') {
            if (!free_slot)
                free_slot = s;
            break; /* never used: the address is not further on */
        }
        if (s->n > 0 && strcmp(s->addr, addr) == 0)
            return s;
        if (s->n == 0 && !free_slot)
            free_slot = s;
    }
    if (!create || !free_slot)
        return NULL;
    snprintf(free_slot->addr, sizeof free_slot->addr, "%s", addr);
    free_slot->n = 0;
    return free_slot;
}

static int exempt(const conns *c, const char *addr)
{
    for (size_t i = 0; i < c->cfg.n_exempt; i++)
        if (strcmp(c->cfg.exempt[i], addr) == 0)
            return 1;
    return 0;
}

int conns_admit(conns *c, const struct sockaddr *addr)
{
    if (!c->cfg.max_per_address)
        return 1;
    char a[ADDR_MAX];
    conns_address(addr, a, sizeof a);
    if (exempt(c, a))
        return 1;
    pthread_mutex_lock(&c->lock);
    addr_count *s = count_slot(c, a, 0);
    int ok = !s || s->n < c->cfg.max_per_address;
    pthread_mutex_unlock(&c->lock);
    if (!ok)
        log_warn("refused a connection from %s: %u already open from that address", a,
                 c->cfg.max_per_address);
    return ok;
}

conn_entry *conns_open(conns *c, const struct sockaddr *addr, int fd)
{
    conn_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->fd = fd;
    conns_address(addr, e->addr, sizeof e->addr);
    atomic_store(&e->since_ms, time_mono_ms());
    pthread_mutex_lock(&c->lock);
    addr_count *s = count_slot(c, e->addr, 1);
    if (s)
        s->n++;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    pthread_mutex_unlock(&c->lock);
    return e;
}

void *conns_close(conns *c, conn_entry *e)
{
    if (!e)
        return NULL;
    pthread_mutex_lock(&c->lock);
    addr_count *s = count_slot(c, e->addr, 0);
    if (s && s->n > 0 && --s->n == 0) {
        /* Free the slot for good when no probe chain runs through it. */
        size_t i = (size_t)(s - c->counts);
        if (c->counts[(i + 1) & (COUNT_SLOTS - 1)].addr[0] == '\0')
            s->addr[0] = '\0';
    }
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    pthread_mutex_unlock(&c->lock);
    void *owed = e->owed;
    free(e);
    return owed;
}

void conns_owe(conn_entry *e, void *request_ctx)
{
    if (e)
        e->owed = request_ctx;
}

static void set_phase(conn_entry *e, phase p)
{
    atomic_store(&e->since_ms, time_mono_ms());
    atomic_store(&e->phase, (int)p);
}

void conns_headers_done(conn_entry *e, int has_body)
{
    if (!e)
        return;
    atomic_store(&e->body_bytes, 0);
    set_phase(e, has_body ? PHASE_BODY : PHASE_HANDLER);
}

void conns_body_bytes(conn_entry *e, size_t n)
{
    if (e)
        atomic_fetch_add(&e->body_bytes, n);
}

void conns_body_done(conn_entry *e)
{
    if (e && atomic_load(&e->phase) == PHASE_BODY)
        set_phase(e, PHASE_HANDLER);
}

void conns_answered(conn_entry *e)
{
    if (e)
        set_phase(e, PHASE_HEADERS);
}

uint64_t conns_reaped(const conns *c)
{
    return atomic_load(&c->reaped);
}

/* Why e is past its deadline at now, or NULL. */
static const char *overdue(const conns *c, conn_entry *e, int64_t now)
{
    int64_t age = now - atomic_load(&e->since_ms);
    switch ((phase)atomic_load(&e->phase)) {
    case PHASE_HEADERS:
        if (c->cfg.header_timeout_ms > 0 && age > c->cfg.header_timeout_ms)
            return "request headers not received in time";
        return NULL;
    case PHASE_BODY:
        if (c->cfg.min_body_rate > 0 && age > c->cfg.body_grace_ms &&
            atomic_load(&e->body_bytes) * 1000 < (uint64_t)age * c->cfg.min_body_rate)
            return "request body arriving too slowly";
        return NULL;
    case PHASE_HANDLER:
    default:
        return NULL;
    }
}

/* Shuts down the sockets of overdue connections. Under the lock, so that no socket is closed
 * (conns_close runs before libmicrohttpd closes it) while it is shut down here. */
static void sweep(conns *c)
{
    int64_t now = time_mono_ms();
    pthread_mutex_lock(&c->lock);
    for (conn_entry *e = c->head; e; e = e->next) {
        if (e->reaped)
            continue;
        const char *why = overdue(c, e, now);
        if (!why)
            continue;
        e->reaped = 1;
        atomic_fetch_add(&c->reaped, 1);
        log_warn("closing a connection from %s: %s", e->addr, why);
        shutdown(e->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&c->lock);
}

static void *watchdog_main(void *arg)
{
    conns *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        time_cond_wait_ms(&c->wake, &c->lock, WATCH_PERIOD_MS, &c->stopping, NULL);
        if (c->stopping)
            break;
        pthread_mutex_unlock(&c->lock);
        sweep(c);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

conns *conns_new(const conns_config *cfg)
{
    conns *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cfg = *cfg;
    c->counts = calloc(COUNT_SLOTS, sizeof *c->counts);
    time_cond_init(&c->wake);
    pthread_mutex_init(&c->lock, NULL);
    if (!c->counts || pthread_create(&c->watchdog, NULL, watchdog_main, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c->counts);
        free(c);
        return NULL;
    }
    return c;
}

void conns_free(conns *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->watchdog, NULL);
    /* The daemon is stopped: every connection was closed and unregistered; free any left. */
    for (conn_entry *e = c->head, *next; e; e = next) {
        next = e->next;
        free(e);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c->counts);
    free(c);
}
