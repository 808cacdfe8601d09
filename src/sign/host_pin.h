/*
 * host_pin — where the signature's fetches may go. A CRL's distribution point comes from a
 * certificate an outsider may have made, and the parapheur's TSA URL from a collectivité's
 * administrator: neither may make the server reach its own network (SSRF). The URL's host is
 * resolved once, refused when any of its addresses is private (util/netaddr.h), and the
 * connection pinned to the address checked, so that a second resolution (DNS rebinding)
 * cannot send it elsewhere.
 */
#ifndef GUICHET_SIGN_HOST_PIN_H
#define GUICHET_SIGN_HOST_PIN_H

#include <stddef.h>

#include <curl/curl.h>

#include "util/error.h"

/* The longest URL pinned, and the size of a pin (a CURLOPT_CONNECT_TO entry). */
#define HOST_PIN_URL_MAX 1024
#define HOST_PIN_MAX 80

/* Resolves url's host and, unless private_ok, refuses it when any of its addresses is
 * netaddr_private's (a name with one public and one private address could be steered to
 * either). Writes to pin the CURLOPT_CONNECT_TO entry that sends every connection of the
 * transfer to the first address checked. what names the fetch in messages ("the CRL of «X»",
 * "the TSA"); errors carry arg. 0, or -1 with ERR_UNAVAILABLE. */
int host_pin(const char *url, const char *what, const char *arg, int private_ok,
             char pin[HOST_PIN_MAX], error *err);

/* host_pin, then sets c's CURLOPT_CONNECT_TO to the pin (through *list, which the caller frees
 * with curl_slist_free_all once the transfer is done) and no proxy: a proxy from the
 * environment would make the connection elsewhere than checked. 0, or -1 with err. */
int host_pin_curl(CURL *c, const char *url, const char *what, const char *arg, int private_ok,
                  struct curl_slist **list, error *err);

#endif
