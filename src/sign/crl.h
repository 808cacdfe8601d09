/*
 * crl — the revocation data of PAdES B-LT: a certificate's CRL fetched from its CRL
 * Distribution Point over plain http (libcurl; bounded in size and time, no redirect), checked
 * to be its issuer's (name and signature) and current, and the certificate looked up on it.
 * The URL comes from a certificate anyone may have made, so its host is resolved here once,
 * refused when it is an address of the server's own networks (util/netaddr.h) unless the
 * caller allows them, and the connection pinned to the address checked.
 */
#ifndef GUICHET_SIGN_CRL_H
#define GUICHET_SIGN_CRL_H

#include <openssl/x509.h>

#include "util/buf.h"
#include "util/error.h"

/* The largest CRL fetched (bytes), how long one is waited for (seconds), and the longest
 * distribution point URL followed. */
#define CRL_MAX (4u * 1024 * 1024)
#define CRL_TIMEOUT 20
#define CRL_URL_MAX 1024

/* Fetches the CRL of cert, issued by issuer, from cert's first http distribution point, checks
 * it (signed by issuer, issued for its name, not past its nextUpdate) and that cert is not on
 * it, and appends its DER to der. The point's host must resolve to public addresses only
 * (util/netaddr.h) unless private_ok (a mairie whose CA publishes on its own network); the
 * connection goes to the address checked, never through a proxy. 0, or -1 with err:
 * ERR_UNAVAILABLE (arg "crl") when the certificate names no http distribution point, its host
 * is refused or the CRL cannot be had or is not a good one, ERR_CONFLICT (arg "crl") when the
 * certificate is revoked. */
int crl_fetch_checked(X509 *cert, X509 *issuer, int private_ok, buf *der, error *err);

#endif
