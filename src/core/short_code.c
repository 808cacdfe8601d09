/*
 * short_code — generation, typed forms, display, keyed hash and delays of the short tracking
 * code (short_code.h).
 */
#include "core/short_code.h"

#include <sodium.h>
#include <string.h>

#include "core/core_internal.h"

void short_code_new(char out[SHORT_CODE_LEN + 1])
{
    static const char alphabet[] = SHORT_CODE_ALPHABET;
    for (int i = 0; i < SHORT_CODE_LEN; i++)
        out[i] = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
    out[SHORT_CODE_LEN] = '\0';
}

/* Bytes of a separator people type between groups at s: 0 when s is not one. ASCII space,
 * tab and hyphen; no-break space (U+00A0), narrow no-break space (U+202F, which French
 * keyboards and phones put in), and the typographic dashes U+2010 to U+2015. */
static int separator_len(const unsigned char *s)
{
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '-')
        return 1;
    if (s[0] == 0xC2 && s[1] == 0xA0)
        return 2;
    if (s[0] == 0xE2 && s[1] == 0x80 && (s[2] == 0xAF || (s[2] >= 0x90 && s[2] <= 0x95)))
        return 3;
    return 0;
}

int short_code_normalise(const char *typed, char out[SHORT_CODE_LEN + 1])
{
    if (!typed || strlen(typed) > SHORT_CODE_TYPED_MAX)
        return -1;
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)typed;
    while (*s) {
        int sep = separator_len(s);
        if (sep) {
            s += sep;
            continue;
        }
        unsigned char ch = *s++;
        if (ch >= 'a' && ch <= 'z')
            ch = (unsigned char)(ch - 'a' + 'A');
        if (ch == '\0' || !strchr(SHORT_CODE_ALPHABET, ch) || n == SHORT_CODE_LEN)
            return -1;
        out[n++] = (char)ch;
    }
    if (n != SHORT_CODE_LEN)
        return -1;
    out[n] = '\0';
    return 0;
}

void short_code_format(const char *code, char out[SHORT_CODE_DISPLAY_SIZE])
{
    memcpy(out, code, 4);
    out[4] = '-';
    memcpy(out + 5, code + 4, 4);
    out[9] = '\0';
}

void short_code_hash(const core *c, int64_t tenant_id, int64_t request_id, const char *code,
                     char out[65])
{
    /* A label of its own, so that this hash never equals another keyed hash of the same
     * secret (a token's, a pass's). */
    static const unsigned char label[] = "guichet short code v1";
    unsigned char ids[16], h[32];
    for (int i = 0; i < 8; i++) {
        ids[i] = (unsigned char)((uint64_t)tenant_id >> (8 * i));
        ids[8 + i] = (unsigned char)((uint64_t)request_id >> (8 * i));
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, c->secret, sizeof c->secret, sizeof h);
    crypto_generichash_update(&st, label, sizeof label);
    crypto_generichash_update(&st, ids, sizeof ids);
    crypto_generichash_update(&st, (const unsigned char *)code, strlen(code));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, 65, h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

int64_t short_code_delay(int failures, int64_t ceiling)
{
    if (failures <= 0)
        return 0;
    int64_t d = SHORT_CODE_DELAY_FIRST;
    for (int i = 1; i < failures && d < ceiling; i++)
        d *= 2;
    return d < ceiling ? d : ceiling;
}

/* 1 when count f no longer counts at now. */
static int forgotten(const store_code_failures *f, int64_t now)
{
    return f->failures <= 0 || f->last_failure_at + SHORT_CODE_FORGET_AFTER <= now;
}

int64_t short_code_wait(const store_code_failures *f, int64_t ceiling, int64_t now)
{
    if (forgotten(f, now))
        return 0;
    int64_t left = f->last_failure_at + short_code_delay(f->failures, ceiling) - now;
    return left > 0 ? left : 0;
}

store_code_failures short_code_failed(const store_code_failures *f, int64_t now)
{
    store_code_failures next = {1, now};
    if (!forgotten(f, now) && f->failures < 1000000)
        next.failures = f->failures + 1;
    return next;
}
