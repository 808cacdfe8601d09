/*
 * gateway_client — the gateway key and one POST with libcurl (gateway_client.h).
 */
#include "cli/gateway_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/file_read.h"

#define KEY_FILE_MAX 256

void gateway_key_free(char *k)
{
    if (k)
        explicit_bzero(k, strlen(k));
    free(k);
}

char *gateway_key_read(const char *cmd, const char *path, const char *suffix)
{
    size_t len = 0;
    int too_large = 0;
    char *k = cli_file_read(cmd, path, KEY_FILE_MAX, &len, &too_large);
    if (!k) {
        printf("%s: cannot read the key file %s%s\n", cmd, path, suffix);
        return NULL;
    }
    size_t start = strspn(k, " \t\r\n");
    size_t n = strcspn(k + start, " \t\r\n");
    memmove(k, k + start, n);
    k[n] = '\0';
    if (n == 0) {
        printf("%s: the key file %s is empty%s\n", cmd, path, suffix);
        gateway_key_free(k);
        return NULL;
    }
    return k;
}

size_t gateway_base_len(const char *base)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (n == 0 || n > GATEWAY_URL_MAX ||
        (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0))
        return 0;
    return n;
}

int gateway_client_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == 0 ? 0 : -1;
}

static size_t collect(char *data, size_t size, size_t n, void *user)
{
    buf *b = user;
    return buf_append(b, data, size * n) == 0 ? size * n : 0;
}

int gateway_post(const char *url, const char *key, const char *content_type, const void *data,
                 size_t len, long timeout_s, long *status, buf *answer, char *why, size_t size)
{
    *status = 0;
    buf_reset(answer);
    int rc = -1;
    char *auth = NULL, *ctype = NULL;
    struct curl_slist *hdrs = NULL;
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(why, size, "cannot start libcurl");
        goto done;
    }
    if (asprintf(&auth, "Authorization: Bearer %s", key) < 0)
        auth = NULL;
    if (asprintf(&ctype, "Content-Type: %s", content_type) < 0)
        ctype = NULL;
    if (!auth || !ctype) {
        snprintf(why, size, "out of memory");
        goto done;
    }
    struct curl_slist *h1 = curl_slist_append(NULL, ctype);
    struct curl_slist *h2 = h1 ? curl_slist_append(h1, auth) : NULL;
    hdrs = h2 ? curl_slist_append(h2, "Expect:") : NULL;
    if (!hdrs) {
        curl_slist_free_all(h2 ? h2 : h1);
        snprintf(why, size, "out of memory");
        goto done;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
    CURLcode cr = curl_easy_perform(h);
    if (cr != CURLE_OK) {
        snprintf(why, size, "%s", curl_easy_strerror(cr));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    rc = 0;
done:
    curl_slist_free_all(hdrs);
    if (auth)
        explicit_bzero(auth, strlen(auth));
    free(auth);
    free(ctype);
    if (h)
        curl_easy_cleanup(h);
    return rc;
}

void gateway_answer_read(const buf *answer, gateway_answer *out)
{
    json_error_t jerr;
    memset(out, 0, sizeof *out);
    out->json = answer->len ? json_loadb(answer->data, answer->len, 0, &jerr) : NULL;
    const json_t *e = json_object_get(out->json, "error");
    out->code = json_string_value(json_object_get(e, "code"));
    out->argument = json_string_value(json_object_get(e, "argument"));
    out->detail = json_string_value(json_object_get(e, "detail"));
    out->motif = json_string_value(json_object_get(e, "motif"));
}

void gateway_answer_free(gateway_answer *a)
{
    json_decref(a->json);
    a->json = NULL;
}
