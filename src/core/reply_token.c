/*
 * reply_token — reference "." MAC, the MAC the first REPLY_TOKEN_MAC_LEN hex characters of
 * core_hash_secret over "reply:<tenant>:<REFERENCE uppercased>".
 */
#include "core/reply_token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Characters a reference may hold in a token: those of references ("2026-000123") and
 * letters, all unquoted-local-part safe and none the token's own "." separator. */
static int ref_char_ok(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           ch == '-' || ch == '_';
}

/* The MAC of (tenant, reference) as REPLY_TOKEN_MAC_LEN lowercase hex characters + NUL; -1
 * when the reference cannot be carried. */
static int mac_of(const core *c, int64_t tenant_id, const char *reference,
                  char mac[REPLY_TOKEN_MAC_LEN + 1])
{
    size_t n = strlen(reference);
    if (n == 0 || n > REPLY_TOKEN_REF_MAX)
        return -1;
    char upper[REPLY_TOKEN_REF_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        if (!ref_char_ok(reference[i]))
            return -1;
        upper[i] =
            reference[i] >= 'a' && reference[i] <= 'z' ? (char)(reference[i] - 32) : reference[i];
    }
    upper[n] = 0;
    char msg[REPLY_TOKEN_REF_MAX + 32];
    snprintf(msg, sizeof msg, "reply:%lld:%s", (long long)tenant_id, upper);
    char hex[65];
    core_hash_secret(c, msg, hex);
    memcpy(mac, hex, REPLY_TOKEN_MAC_LEN);
    mac[REPLY_TOKEN_MAC_LEN] = 0;
    sodium_memzero(hex, sizeof hex);
    return 0;
}

int reply_token_make(const core *c, int64_t tenant_id, const char *reference, char *out, size_t cap)
{
    char mac[REPLY_TOKEN_MAC_LEN + 1];
    if (!reference || mac_of(c, tenant_id, reference, mac) != 0)
        return -1;
    int len = snprintf(out, cap, "%s.%s", reference, mac);
    return len < 0 || (size_t)len >= cap ? -1 : 0;
}

int reply_token_check(const core *c, int64_t tenant_id, const char *token, char *reference,
                      size_t cap)
{
    const char *dot = token ? strrchr(token, '.') : NULL;
    if (!dot || strlen(dot + 1) != REPLY_TOKEN_MAC_LEN)
        return -1;
    size_t ref_len = (size_t)(dot - token);
    if (ref_len == 0 || ref_len > REPLY_TOKEN_REF_MAX || ref_len >= cap)
        return -1;
    char ref[REPLY_TOKEN_REF_MAX + 1];
    memcpy(ref, token, ref_len);
    ref[ref_len] = 0;
    char want[REPLY_TOKEN_MAC_LEN + 1], got[REPLY_TOKEN_MAC_LEN + 1];
    if (mac_of(c, tenant_id, ref, want) != 0)
        return -1;
    for (size_t i = 0; i < REPLY_TOKEN_MAC_LEN; i++) {
        char ch = dot[1 + i];
        got[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    got[REPLY_TOKEN_MAC_LEN] = 0;
    if (sodium_memcmp(want, got, REPLY_TOKEN_MAC_LEN) != 0)
        return -1;
    /* The reference as references are written (upper case), whatever the MTA did to it. */
    for (size_t i = 0; i <= ref_len; i++)
        reference[i] = ref[i] >= 'a' && ref[i] <= 'z' ? (char)(ref[i] - 32) : ref[i];
    return 0;
}
