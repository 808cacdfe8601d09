/*
 * gateway_client — what the commands that hand input to the running server share (`guichet
 * mailgate`, `guichet courrier import`): the gateway key read from its file, and one POST
 * of a body to a /passerelle/ route with that key, and its JSON answer read.
 */
#ifndef GUICHET_CLI_GATEWAY_CLIENT_H
#define GUICHET_CLI_GATEWAY_CLIENT_H

#include <jansson.h>
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

/* The server's JSON answer as read: the document (NULL when the body is not JSON) and the
 * strings of its "error" object (api/json_error.h), each NULL when absent. */
typedef struct gateway_answer {
    json_t *json;
    const char *code;
    const char *argument;
    const char *detail;
    const char *motif;
} gateway_answer;

/* Reads answer into *out; release with gateway_answer_free (the strings point into json). */
void gateway_answer_read(const buf *answer, gateway_answer *out);
void gateway_answer_free(gateway_answer *a);

#endif
