/*
 * antivirus — a client of clamd's INSTREAM command: "zINSTREAM\0", then the file as chunks
 * each preceded by its length (4 bytes, network order), then a zero length; clamd answers
 * "stream: OK", "stream: NAME FOUND" or "... ERROR", ended by a NUL. One connection per scan,
 * non-blocking, every wait bounded by the scan's deadline.
 */
#include "core/antivirus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Set once before serving, then only read. */
static struct {
    int enabled;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int timeout_ms;
    char target[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
} g_av;

/* How long to wait between attempts while clamd's listen queue is full. */
#define QUEUE_FULL_RETRY_NS (20 * 1000 * 1000)

/* ---- configuration ---- */

/* A loopback "HOST:PORT" into *ss: 0, -1 when malformed, -2 when not loopback. */
static int parse_address(const char *address, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *host = address, *colon;
    size_t host_len;
    if (*address == '[') {
        const char *close = strchr(address, ']');
        if (!close || close[1] != ':')
            return -1;
        host = address + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strchr(address, ':');
        /* An IPv6 address goes in brackets: "::1:3310" could be read two ways. */
        if (!colon || strchr(colon + 1, ':'))
            return -1;
        host_len = (size_t)(colon - address);
    }
    char name[INET6_ADDRSTRLEN];
    if (host_len == 0 || host_len >= sizeof name)
        return -1;
    memcpy(name, host, host_len);
    name[host_len] = '\0';
    const char *port_s = colon + 1;
    char *end = NULL;
    unsigned long port = *port_s >= '0' && *port_s <= '9' ? strtoul(port_s, &end, 10) : 0;
    if (!end || *end || port == 0 || port > 65535)
        return -1;
    /* No resolver: "localhost" is the one name taken, and it means IPv4 loopback. */
    if (strcmp(name, "localhost") == 0)
        memcpy(name, "127.0.0.1", sizeof "127.0.0.1");
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, name, &in4->sin_addr) == 1) {
        if ((ntohl(in4->sin_addr.s_addr) >> 24) != 127)
            return -2;
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, name, &in6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return -2;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return 0;
    }
    return -1;
}

int antivirus_configure(const char *socket_path, const char *address, int timeout_ms, error *err)
{
    memset(&g_av, 0, sizeof g_av);
    int has_socket = socket_path && *socket_path, has_address = address && *address;
    if (has_socket && has_address)
        return error_set(err, ERR_INVALID_ARG, "clamd-address",
                         "give --clamd-socket or --clamd-address, not both");
    if (!has_socket && !has_address)
        return 0;
    if (has_socket) {
        struct sockaddr_un *un = (struct sockaddr_un *)&g_av.addr;
        size_t n = strlen(socket_path);
        if (n >= sizeof un->sun_path)
            return error_set(err, ERR_INVALID_ARG, "clamd-socket",
                             "socket path longer than %zu bytes", sizeof un->sun_path - 1);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, socket_path, n + 1);
        g_av.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
        snprintf(g_av.target, sizeof g_av.target, "%s", socket_path);
    } else {
        int rc = parse_address(address, &g_av.addr, &g_av.addr_len);
        if (rc != 0) {
            memset(&g_av, 0, sizeof g_av);
            return rc == -2 ? error_set(err, ERR_INVALID_ARG, "clamd-address",
                                        "'%.80s' is not a loopback address: files would "
                                        "travel to clamd unencrypted",
                                        address)
                            : error_set(err, ERR_INVALID_ARG, "clamd-address",
                                        "'%.80s' is not HOST:PORT (127.0.0.1:3310, "
                                        "[::1]:3310 or localhost:3310)",
                                        address);
        }
        snprintf(g_av.target, sizeof g_av.target, "%.80s", address);
    }
    g_av.timeout_ms = timeout_ms > 0 ? timeout_ms : ANTIVIRUS_TIMEOUT_MS_DEFAULT;
    g_av.enabled = 1;
    return 0;
}

int antivirus_enabled(void)
{
    return g_av.enabled;
}

const char *antivirus_target(void)
{
    return g_av.target;
}

/* ---- bounded I/O ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events: 0, or -1 with errno (ETIMEDOUT past the deadline). A
 * socket in error is "ready": the next call on it reports the error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 0;
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
}

/* A connected non-blocking socket to clamd, or -1 with err. */
static int connect_clamd(int64_t deadline, error *err)
{
    int fd = socket(g_av.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: socket: %s", strerror(errno));
    for (;;) {
        if (connect(fd, (const struct sockaddr *)&g_av.addr, g_av.addr_len) == 0)
            return fd;
        if (errno == EINTR)
            continue;
        /* A Unix socket whose listen queue is full: clamd is busy, not gone. */
        if (errno == EAGAIN && now_ms() < deadline) {
            struct timespec pause = {0, QUEUE_FULL_RETRY_NS};
            nanosleep(&pause, NULL);
            continue;
        }
        break;
    }
    if (errno == EINPROGRESS) { /* TCP */
        if (wait_fd(fd, POLLOUT, deadline) == 0) {
            int so_error = 0;
            socklen_t sl = sizeof so_error;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &sl) != 0)
                so_error = errno;
            if (so_error == 0)
                return fd;
            errno = so_error;
        }
    } else if (errno == EAGAIN) {
        errno = ETIMEDOUT; /* the queue stayed full until the deadline */
    }
    int saved = errno;
    close(fd);
    return error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: cannot connect to clamd at %.100s: %s",
                     g_av.target, strerror(saved));
}

/* Sends all of data: 0, or -1 with errno. MSG_NOSIGNAL: clamd closing early must not kill
 * the process with SIGPIPE. */
static int send_all(int fd, const void *data, size_t len, int64_t deadline)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* The INSTREAM command, data in chunks, and the zero-length end: 0, or -1 with errno. */
static int send_stream(int fd, const unsigned char *data, size_t len, int64_t deadline)
{
    static const char command[] = "zINSTREAM"; /* sent with its NUL */
    if (send_all(fd, command, sizeof command, deadline) != 0)
        return -1;
    size_t off = 0;
    do {
        size_t n = len - off < ANTIVIRUS_CHUNK_BYTES ? len - off : ANTIVIRUS_CHUNK_BYTES;
        uint32_t be = htonl((uint32_t)n);
        if (send_all(fd, &be, sizeof be, deadline) != 0)
            return -1;
        if (n == 0)
            return 0; /* that was the terminator */
        if (send_all(fd, data + off, n, deadline) != 0)
            return -1;
        off += n;
    } while (1);
}

/* Reads clamd's reply into buf (NUL-terminated, at most size - 1 bytes): up to its NUL
 * terminator, or to the end of the connection. 0, or -1 with *why (longer than size - 1,
 * timeout, nothing before the end). */
static int read_reply(int fd, char *buf, size_t size, int64_t deadline, const char **why)
{
    size_t len = 0;
    for (;;) {
        if (len == size - 1) {
            *why = "reply too long";
            return -1;
        }
        ssize_t n = recv(fd, buf + len, size - 1 - len, 0);
        if (n > 0) {
            const char *nul = memchr(buf + len, '\0', (size_t)n);
            len += (size_t)n;
            buf[len] = '\0';
            if (nul)
                return 0;
        } else if (n == 0) {
            buf[len] = '\0';
            if (len == 0) {
                *why = "connection closed without a reply";
                return -1;
            }
            return 0;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(fd, POLLIN, deadline) != 0) {
                *why = errno == ETIMEDOUT ? "no reply before the timeout" : strerror(errno);
                return -1;
            }
        } else if (errno != EINTR) {
            *why = strerror(errno);
            return -1;
        }
    }
}

/* Copies s[n] as printable ASCII (others become '?') into out, cut to size - 1. */
static void printable(const char *s, size_t n, char *out, size_t size)
{
    if (!out || size == 0)
        return;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < size; i++)
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[o] = '\0';
}

int antivirus_parse_reply(const char *reply, antivirus_verdict *verdict, char *signature,
                          size_t sig_size, error *err)
{
    static const char prefix[] = "stream: ", found[] = " FOUND", failed[] = " ERROR";
    size_t len = strlen(reply);
    while (len > 0 && (reply[len - 1] == '\n' || reply[len - 1] == '\r'))
        len--;
    char shown[120];
    printable(reply, len, shown, sizeof shown);
    const size_t pl = sizeof prefix - 1, fl = sizeof found - 1, el = sizeof failed - 1;
    if (len >= el && memcmp(reply + len - el, failed, el) == 0) {
        if (strstr(shown, "size limit"))
            return error_set(err, ERR_UNAVAILABLE, NULL,
                             "antivirus: clamd refused the file as longer than its "
                             "StreamMaxLength (raise it to the upload limit): %s",
                             shown);
        return error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: clamd failed: %s", shown);
    }
    if (len == pl + 2 && memcmp(reply, prefix, pl) == 0 && memcmp(reply + pl, "OK", 2) == 0) {
        *verdict = ANTIVIRUS_CLEAN;
        return 0;
    }
    if (len > pl + fl && memcmp(reply, prefix, pl) == 0 &&
        memcmp(reply + len - fl, found, fl) == 0) {
        *verdict = ANTIVIRUS_INFECTED;
        printable(reply + pl, len - pl - fl, signature, sig_size);
        return 0;
    }
    return error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: unexpected reply from clamd: %s",
                     shown);
}

int antivirus_scan(const void *data, size_t len, antivirus_verdict *verdict, char *signature,
                   size_t sig_size, error *err)
{
    *verdict = ANTIVIRUS_CLEAN;
    if (signature && sig_size)
        signature[0] = '\0';
    if (!g_av.enabled)
        return 0;
    int64_t deadline = now_ms() + g_av.timeout_ms;
    int fd = connect_clamd(deadline, err);
    if (fd < 0)
        return -1;
    int rc = -1;
    char reply[ANTIVIRUS_REPLY_MAX];
    const char *why = NULL;
    int sent = send_stream(fd, data, len, deadline);
    int send_errno = errno;
    if (sent != 0 && send_errno != EPIPE && send_errno != ECONNRESET) {
        error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: sending to clamd at %.100s: %s",
                  g_av.target, send_errno == ETIMEDOUT ? "timed out" : strerror(send_errno));
        goto cleanup;
    }
    /* clamd answers before closing when it stops reading (the stream over its
     * StreamMaxLength): its reply tells why, so it is read even after a failed send. */
    if (read_reply(fd, reply, sizeof reply, deadline, &why) != 0) {
        error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: clamd at %.100s: %s%s", g_av.target,
                  sent != 0 ? "closed the connection while receiving the file; " : "", why);
        goto cleanup;
    }
    rc = antivirus_parse_reply(reply, verdict, signature, sig_size, err);
    if (rc == 0 && sent != 0) {
        /* A verdict about part of the file is no verdict. */
        *verdict = ANTIVIRUS_CLEAN;
        rc = error_set(err, ERR_UNAVAILABLE, NULL,
                       "antivirus: clamd answered before receiving the whole file");
    }
cleanup:
    close(fd);
    return rc;
}

int antivirus_version(char *out, size_t size, error *err)
{
    if (size)
        out[0] = '\0';
    if (!g_av.enabled)
        return error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: not configured");
    int64_t deadline = now_ms() + g_av.timeout_ms;
    int fd = connect_clamd(deadline, err);
    if (fd < 0)
        return -1;
    static const char command[] = "zVERSION";
    char reply[ANTIVIRUS_REPLY_MAX];
    const char *why = NULL;
    int rc = 0;
    if (send_all(fd, command, sizeof command, deadline) != 0)
        rc = error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: sending to clamd: %s",
                       strerror(errno));
    else if (read_reply(fd, reply, sizeof reply, deadline, &why) != 0)
        rc = error_set(err, ERR_UNAVAILABLE, NULL, "antivirus: clamd at %.100s: %s", g_av.target,
                       why);
    else
        printable(reply, strcspn(reply, "\r\n"), out, size);
    close(fd);
    return rc;
}
