/*
 * host_pin — the host of a signature's fetch resolved once, checked and pinned (see
 * host_pin.h).
 */
#include "sign/host_pin.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "util/netaddr.h"

/* The text of ai's address in text (INET6_ADDRSTRLEN bytes); 0, or -1 for another family. */
static int address_text(const struct addrinfo *ai, char *text)
{
    const void *a;
    if (ai->ai_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
    else if (ai->ai_family == AF_INET)
        a = &((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
    else
        return -1;
    return inet_ntop(ai->ai_family, a, text, INET6_ADDRSTRLEN) ? 0 : -1;
}

int host_pin(const char *url, const char *what, const char *arg, int private_ok,
             char pin[HOST_PIN_MAX], error *err)
{
    int rc = -1;
    char *host = NULL, *port = NULL;
    struct addrinfo *res = NULL;
    CURLU *u = curl_url();
    if (strlen(url) > HOST_PIN_URL_MAX || !u ||
        curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        error_set(err, ERR_UNAVAILABLE, arg, "%s is not fetched from %.200s: not a URL", what, url);
        goto cleanup;
    }
    /* An IPv6 literal comes bracketed. */
    char name[HOST_PIN_URL_MAX + 1];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(name, sizeof name, "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(name, sizeof name, "%s", host);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    int gai = getaddrinfo(name, port, &hints, &res);
    if (gai != 0 || !res) {
        error_set(err, ERR_UNAVAILABLE, arg,
                  "%s is not fetched: its host %.200s cannot be "
                  "resolved: %s",
                  what, name, gai ? gai_strerror(gai) : "no address");
        goto cleanup;
    }
    char text[INET6_ADDRSTRLEN];
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        const char *kind = netaddr_private(ai->ai_addr);
        if (kind && !private_ok) {
            if (address_text(ai, text) != 0)
                snprintf(text, sizeof text, "?");
            error_set(err, ERR_UNAVAILABLE, arg,
                      "%s is not fetched from %.200s: its host %s is %s (allowed only with "
                      "--crl-private-ok, for a server on the mairie's own network)",
                      what, url, text, kind);
            goto cleanup;
        }
    }
    if (address_text(res, text) != 0) {
        error_set(err, ERR_UNAVAILABLE, arg,
                  "%s is not fetched: its host %.200s has no usable "
                  "address",
                  what, name);
        goto cleanup;
    }
    int v6 = res->ai_family == AF_INET6;
    snprintf(pin, HOST_PIN_MAX, "::%s%s%s:%s", v6 ? "[" : "", text, v6 ? "]" : "", port);
    rc = 0;
cleanup:
    if (res)
        freeaddrinfo(res);
    curl_free(port);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int host_pin_curl(CURL *c, const char *url, const char *what, const char *arg, int private_ok,
                  struct curl_slist **list, error *err)
{
    char pin[HOST_PIN_MAX];
    if (host_pin(url, what, arg, private_ok, pin, err) != 0)
        return -1;
    if (!(*list = curl_slist_append(NULL, pin)))
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    curl_easy_setopt(c, CURLOPT_CONNECT_TO, *list);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    return 0;
}
