/*
 * tsa — RFC 3161 timestamps for PAdES B-T and document timestamps: a TimeStampReq for a
 * SHA-256 (of a signature value, or of a document timestamp's ByteRange) sent to a
 * timestamping authority over HTTP (libcurl), its reply checked (granted, the imprint and
 * nonce of the request) and its token kept; and a token found in a file checked against what
 * it stamps and the trust anchors.
 */
#ifndef GUICHET_SIGN_TSA_H
#define GUICHET_SIGN_TSA_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "util/buf.h"
#include "util/error.h"

/* The largest reply read from a TSA (bytes), and how long one is waited for (seconds). */
#define TSA_REPLY_MAX (64u * 1024)
#define TSA_TIMEOUT 30

/* Whether the TSA may be on a private address (loopback, RFC 1918…: util/netaddr.h) — 1 until
 * set: the command line trusts the URL its operator typed. The server sets it once at start,
 * before its threads, from --crl-private-ok: its TSA's URL is a collectivité administrator's,
 * who must not make the server reach its own network. Either way the TSA's host is resolved
 * once and the connection pinned to the address checked (sign/host_pin.h). */
void tsa_set_private_ok(int ok);

/* Asks the TSA at url (http or https) to timestamp data (len bytes: a signature value),
 * appending the token's DER (a ContentInfo, to put in the signature's timeStampToken
 * attribute) to token. 0, or -1 with err (ERR_UNAVAILABLE when the TSA cannot be reached, is
 * on a private address it may not be on, or answers no granted, matching token). */
int tsa_stamp(const char *url, const unsigned char *data, size_t len, buf *token, error *err);

/* The same for data already hashed: sha256 is the imprint asked for (a document timestamp's
 * ByteRange digest). tsa_stamp hashes and calls it. */
int tsa_stamp_digest(const char *url, const unsigned char sha256[32], buf *token, error *err);

/* What a checked token says. */
typedef struct tsa_info {
    char when[32]; /* the time stamped, "YYYY-MM-DD HH:MM:SS UTC" */
    time_t at;     /* the same as a time */
    char tsa[160]; /* the TSA's common name (UTF-8, control characters as '?') */
} tsa_info;

/* Checks a timeStampToken (der, len bytes) against the data it stamps and the anchors of
 * trust (the TSA's certificate must chain to them, with its timeStamping purpose). 0 with
 * what it says in info, or -1 with why (a static English text). */
int tsa_check(const unsigned char *der, size_t len, const unsigned char *data, size_t data_len,
              X509_STORE *trust, tsa_info *info, const char **why);

/* The same for a token stamping the two ranges of a ByteRange r of pdf (a document
 * timestamp): they are hashed with the algorithm the token's imprint names (SHA-256, -384 or
 * -512), the imprint compared. The caller checked the ranges lie in pdf. */
int tsa_check_ranges(const unsigned char *der, size_t len, const char *pdf, const size_t r[4],
                     X509_STORE *trust, tsa_info *info, const char **why);

#endif
