/*
 * netaddr — whether an address is one a URL from outside may reach (see netaddr.h).
 */
#include "util/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

/* The kind of the IPv4 address a (host order) when a URL from outside must not reach it. */
static const char *v4_private(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
        const char *kind;
    } nets[] = {
        {0x00000000u, 0xff000000u, "an unspecified address (0.0.0.0/8)"},
        {0x7f000000u, 0xff000000u, "a loopback address"},
        {0x0a000000u, 0xff000000u, "a private address (RFC 1918)"},
        {0xac100000u, 0xfff00000u, "a private address (RFC 1918)"},
        {0xc0a80000u, 0xffff0000u, "a private address (RFC 1918)"},
        {0xa9fe0000u, 0xffff0000u, "a link-local address"},
        {0x64400000u, 0xffc00000u, "a shared (CGNAT) address"},
        {0xc0000000u, 0xffffff00u, "a reserved address (IETF protocol assignments, 192.0.0.0/24)"},
        {0xc0000200u, 0xffffff00u, "a documentation address (192.0.2.0/24)"},
        {0xc6336400u, 0xffffff00u, "a documentation address (198.51.100.0/24)"},
        {0xcb007100u, 0xffffff00u, "a documentation address (203.0.113.0/24)"},
        {0xc6120000u, 0xfffe0000u, "a benchmarking address (198.18.0.0/15)"},
        {0xc0586300u, 0xffffff00u, "a 6to4 relay address (192.88.99.0/24)"},
        {0xe0000000u, 0xf0000000u, "a multicast address"},
        {0xf0000000u, 0xf0000000u, "a reserved or broadcast address"},
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
        if ((a & nets[i].mask) == nets[i].net)
            return nets[i].kind;
    return NULL;
}

const char *netaddr_private(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6)
        return "an address of an unknown family";
    const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char zero[12],
        mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, nat64[12] = {0, 0x64, 0xff, 0x9b},
        translated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
        nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1}, teredo[4] = {0x20, 0x01, 0, 0},
        documentation[4] = {0x20, 0x01, 0x0d, 0xb8}, discard[8] = {0x01, 0};
    uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
    if (memcmp(b, zero, 12) == 0) {
        if (v4 == 0)
            return "an unspecified address (::)";
        if (v4 == 1)
            return "a loopback address";
        /* An IPv4-compatible address: some stacks still route it to the IPv4 one. */
        return v4_private(v4);
    }
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, translated, 12) == 0)
        return v4_private(v4);
    if (b[0] == 0x20 && b[1] == 0x02) /* 6to4 (2002::/16): the IPv4 address it tunnels to */
        return v4_private((uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5]);
    if (memcmp(b, nat64_local, 6) == 0)
        return "a local-use NAT64 address (64:ff9b:1::/48)";
    if (memcmp(b, teredo, 4) == 0)
        return "a Teredo tunnel address (2001::/32)";
    if (memcmp(b, documentation, 4) == 0)
        return "a documentation address (2001:db8::/32)";
    if (memcmp(b, discard, 8) == 0)
        return "a discard-only address (100::/64)";
    if ((b[0] & 0xfe) == 0xfc)
        return "a private address (unique local, fc00::/7)";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return "a link-local address";
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return "a private address (site-local, fec0::/10)";
    if (b[0] == 0xff)
        return "a multicast address";
    return NULL;
}

const char *netaddr_private_text(const char *ip)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if (ip && inet_pton(AF_INET, ip, &v4.sin_addr) == 1)
        return netaddr_private((const struct sockaddr *)&v4);
    if (ip && inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1)
        return netaddr_private((const struct sockaddr *)&v6);
    return "not an address";
}
