/*
 * conns — the server's registry of open connections: it caps connections per client address,
 * closes a connection whose request headers do not arrive in time or whose body trickles in
 * slower than a floor (slowloris), and holds the request context a connection owes, so that
 * a context libmicrohttpd never hands back (a request it refused before calling the handler)
 * is freed when the connection closes.
 *
 * libmicrohttpd's own timeout is an idle timeout, reset by every byte: it cannot stop a
 * client that sends one byte every few seconds. A watchdog thread reads each connection's
 * phase and, past its deadline, shuts the socket down; libmicrohttpd then sees the end of
 * the stream and closes the connection through its usual path.
 */
#ifndef GUICHET_HTTP_CONNS_H
#define GUICHET_HTTP_CONNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct conns conns;
typedef struct conn_entry conn_entry;

typedef struct conns_config {
    unsigned max_per_address; /* open connections per client address; 0: no cap */
    int header_timeout_ms;    /* from connection start (or the previous answer) to the end of
                                 the request headers; 0: none */
    size_t min_body_rate;     /* bytes per second a body must average past the grace period;
                                 0: none */
    int body_grace_ms;        /* how long a body may start slowly */
    /* Addresses exempt from the per-address cap (the reverse proxies in front). */
    const char *const *exempt;
    size_t n_exempt;
} conns_config;

/* Starts the registry and its watchdog thread. NULL when out of memory. Caller frees with
 * conns_free (after the HTTP daemon stopped: no callback may still run). */
conns *conns_new(const conns_config *cfg);
void conns_free(conns *c);

/* Whether a new connection from addr may be accepted (the per-address cap). */
int conns_admit(conns *c, const struct sockaddr *addr);
/* Registers a connection that libmicrohttpd just accepted on fd. NULL when out of memory
 * (the connection is then simply not watched). */
conn_entry *conns_open(conns *c, const struct sockaddr *addr, int fd);
/* Unregisters e (libmicrohttpd closes the socket afterwards) and returns the request
 * context it still owed (see conns_owe), NULL when none: the caller frees it. */
void *conns_close(conns *c, conn_entry *e);

/* The request context the connection holds from now on (NULL: none: it was handed back). */
void conns_owe(conn_entry *e, void *request_ctx);

/* Phase changes, for the deadlines. */
void conns_headers_done(conn_entry *e, int has_body); /* headers complete */
void conns_body_bytes(conn_entry *e, size_t n);        /* n more body bytes received */
void conns_body_done(conn_entry *e);                   /* body complete: handler runs */
void conns_answered(conn_entry *e); /* answer done: waiting for the next request's headers */

/* Connections closed by the watchdog since start (for tests and logs). */
uint64_t conns_reaped(const conns *c);

/* Writes the printable address of sa into out (INET6_ADDRSTRLEN bytes); "?" when unknown. */
void conns_address(const struct sockaddr *sa, char *out, size_t size);

#endif
