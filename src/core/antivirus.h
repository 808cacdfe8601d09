/*
 * antivirus — asks a ClamAV daemon (clamd) whether an uploaded file is malware, before any
 * of guichet's parsers (libmagic, libvips) reads it. Speaks clamd's INSTREAM protocol over a
 * Unix socket or a loopback TCP port, each scan within one deadline, the reply bounded. When
 * a scanner is configured and a scan cannot be done, the caller refuses the file: nothing is
 * accepted unscanned (fail closed). Off unless configured.
 *
 * Why in core: accepting a file is a rule of core (attachment.c), and every entrance's
 * uploads go through attachment_prepare, so no entrance can forget the scan. The scanner is
 * a local service answering synchronously, like the store's database file or libmagic's
 * database, not the outside world that core only reaches through the outbox.
 */
#ifndef GUICHET_CORE_ANTIVIRUS_H
#define GUICHET_CORE_ANTIVIRUS_H

#include <stddef.h>

#include "util/error.h"

#define ANTIVIRUS_TIMEOUT_MS_DEFAULT 30000 /* one whole scan: connect, send, clamd's verdict */
#define ANTIVIRUS_CHUNK_BYTES (64 * 1024)  /* INSTREAM chunk; clamd accepts any size */
#define ANTIVIRUS_REPLY_MAX 512            /* longer replies are refused as malformed */
#define ANTIVIRUS_SIGNATURE_MAX 128        /* room for a signature name, NUL included */

/* Where clamd listens: socket_path (a Unix socket, e.g. /run/clamav/clamd.ctl) or address
 * ("127.0.0.1:3310", "[::1]:3310", "localhost:3310": loopback only, since the files travel
 * unencrypted), at most one of them; neither (NULL or "") turns scanning off. timeout_ms <= 0
 * takes ANTIVIRUS_TIMEOUT_MS_DEFAULT. Nothing is connected here. Call before serving, from
 * one thread. -1 with ERR_INVALID_ARG naming the option ("clamd-socket", "clamd-address"),
 * scanning then off. */
int antivirus_configure(const char *socket_path, const char *address, int timeout_ms, error *err);
/* 1 when a scanner is configured. */
int antivirus_enabled(void);
/* The configured socket path or address, for logs ("" when off). */
const char *antivirus_target(void);

typedef enum antivirus_verdict { ANTIVIRUS_CLEAN = 0, ANTIVIRUS_INFECTED = 1 } antivirus_verdict;

/* Has clamd scan data[len]. 0 with *verdict: ANTIVIRUS_INFECTED puts the signature name
 * clamd reported into signature (printable ASCII, cut to sig_size - 1; may be NULL). -1 with
 * ERR_UNAVAILABLE when no verdict came: clamd unreachable, silent past the timeout, closing
 * early, answering ERROR (e.g. the file is over its StreamMaxLength: the detail says so) or
 * anything unexpected. With scanning off: 0 and ANTIVIRUS_CLEAN. Thread-safe: one connection
 * per scan. */
int antivirus_scan(const void *data, size_t len, antivirus_verdict *verdict, char *signature,
                   size_t sig_size, error *err);

/* The verdict in clamd's reply to INSTREAM (a NUL-terminated line, as antivirus_scan reads
 * it, at most ANTIVIRUS_REPLY_MAX bytes): "stream: OK", "stream: NAME FOUND", or else -1 with
 * ERR_UNAVAILABLE ("… ERROR", anything unexpected). Exposed for the fuzz target. */
int antivirus_parse_reply(const char *reply, antivirus_verdict *verdict, char *signature,
                          size_t sig_size, error *err);

/* clamd's version line ("ClamAV 1.4.6/27…"), printable ASCII, into out: 0, or -1 with
 * ERR_UNAVAILABLE (as antivirus_scan). For the start-up log. */
int antivirus_version(char *out, size_t size, error *err);

#endif
