/*
 * netaddr — the addresses a URL from outside (a certificate's CRL distribution point, a
 * webhook's target) must not reach: the server's own networks, whatever form the address
 * takes (IPv4, IPv6, IPv4 embedded in IPv6).
 */
#ifndef GUICHET_UTIL_NETADDR_H
#define GUICHET_UTIL_NETADDR_H

#include <sys/socket.h>

/* Why the address sa (AF_INET or AF_INET6) is not one a URL from outside may reach: a static
 * English text naming its kind (loopback, private, link-local, shared CGNAT, multicast,
 * unspecified, reserved — an IPv4 address mapped, compatible or NAT64-embedded in IPv6 is
 * judged as the IPv4 address it carries), or NULL for a public address. */
const char *netaddr_private(const struct sockaddr *sa);

/* The same for an address in text (as libcurl reports the one it connects to); a text that
 * is no address is refused too ("not an address"). */
const char *netaddr_private_text(const char *ip);

#endif
