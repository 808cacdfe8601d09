/*
 * gateway_client — what the commands that hand input to the running server share (`guichet
 * mailgate`, `guichet courrier import`): the gateway key read from its file, and one POST
 * of a body to a /passerelle/ route with that key, answered in JSON.
 */
#ifndef GUICHET_CLI_GATEWAY_CLIENT_H
#define GUICHET_CLI_GATEWAY_CLIENT_H

#include <stddef.h>

#include "util/buf.h"

#define GATEWAY_ANSWER_MAX (64 * 1024)
#define GATEWAY_URL_MAX 2048

/* The key: the first word of the file at path (malloc'd; free with gateway_key_free, which
 * wipes it). NULL after printing "<cmd>: …<suffix>" on standard output. */
char *gateway_key_read(const char *cmd, const char *path, const char *suffix);
void gateway_key_free(char *key);

/* The length of base without its trailing slashes when it is an http:// or https:// URL of
 * at most GATEWAY_URL_MAX bytes; 0 otherwise. */
size_t gateway_base_len(const char *base);

/* A started libcurl for the posts that follow (curl_global_init once per process); -1 when
 * it cannot start. */
int gateway_client_init(void);

/* POSTs data (len bytes, content_type) to url with `Authorization: Bearer key`: 0 with the
 * status and the answer (at most GATEWAY_ANSWER_MAX bytes) in *answer, or -1 when no answer
 * came (the server unreachable, a timeout), why in why (size bytes). */
int gateway_post(const char *url, const char *key, const char *content_type, const void *data,
                 size_t len, long timeout_s, long *status, buf *answer, char *why, size_t size);

#endif
