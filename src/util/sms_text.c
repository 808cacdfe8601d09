/*
 * sms_text — GSM 03.38 counting, folding and cutting (see sms_text.h).
 */
#include "util/sms_text.h"

#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

/* The basic table's characters beyond printable ASCII's, and the ASCII ones it lacks. */
static const uint32_t gsm_basic_extra[] = {
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
    0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
    0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
    0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};
/* The extension table (an escape septet, then the character's). */
static const char gsm_extension_ascii[] = "^{}\\[]~|\f";
#define EURO 0x20AC

/* Septets of code point cp in GSM-7: 1 (basic table), 2 (extension), 0 (none: UCS-2). */
static int gsm_septets(uint32_t cp)
{
    if (cp == '\n' || cp == '\r')
        return 1;
    if (cp == EURO || (cp < 0x80 && cp != 0 && strchr(gsm_extension_ascii, (int)cp)))
        return 2;
    /* Printable ASCII but for the backquote, which GSM lacks ('$' and '@' are in it). */
    if (cp >= 0x20 && cp < 0x7F && cp != '`')
        return 1;
    for (size_t i = 0; i < sizeof gsm_basic_extra / sizeof gsm_basic_extra[0]; i++)
        if (gsm_basic_extra[i] == cp)
            return 1;
    return 0;
}

/* The code point at s (valid UTF-8) and its byte length in *len. */
static uint32_t decode(const char *s, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] < 0x80) {
        *len = 1;
        return u[0];
    }
    if (u[0] < 0xE0) {
        *len = 2;
        return (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    }
    if (u[0] < 0xF0) {
        *len = 3;
        return (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    }
    *len = 4;
    return (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
           (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
}

/* Both counts of a run of text, kept side by side while it is read. */
typedef struct tally {
    size_t septets, utf16;
    int gsm; /* 1 while every character so far is GSM-7 */
} tally;

static void tally_add(tally *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len;
        uint32_t cp = decode(s + i, &len);
        int sep = gsm_septets(cp);
        if (sep == 0)
            t->gsm = 0;
        t->septets += (size_t)sep;
        t->utf16 += cp > 0xFFFF ? 2 : 1;
        i += len;
    }
}

static size_t tally_single(const tally *t)
{
    return t->gsm ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
}

static size_t tally_units(const tally *t)
{
    return t->gsm ? t->septets : t->utf16;
}

int sms_text_count(const char *s, sms_count *out)
{
    size_t n = strlen(s);
    if (!utf8_valid(s, n))
        return -1;
    tally t = {0, 0, 1};
    tally_add(&t, s, n);
    out->encoding = t.gsm ? SMS_GSM7 : SMS_UCS2;
    out->units = tally_units(&t);
    size_t part = t.gsm ? SMS_GSM7_PART : SMS_UCS2_PART;
    out->parts = out->units <= tally_single(&t) ? 1 : (out->units + part - 1) / part;
    return 0;
}

/* Longest first: French quotes with their inner spaces become plain quotes without them. */
static const struct {
    const char *from, *to;
} folds[] = {
    {"\u00AB\u00A0", "\""}, {"\u00AB\u202F", "\""}, {"\u00AB ", "\""}, {"\u00A0\u00BB", "\""},
    {"\u202F\u00BB", "\""}, {" \u00BB", "\""},      {"\u2019", "'"},   {"\u2018", "'"},
    {"\u00AB", "\""},       {"\u00BB", "\""},       {"\u201C", "\""},  {"\u201D", "\""},
    {"\u2013", "-"},        {"\u2014", "-"},        {"\u2026", "..."}, {"\u00A0", " "},
    {"\u202F", " "},
};

void sms_text_fold(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        size_t k = 0;
        for (; k < sizeof folds / sizeof folds[0]; k++)
            if (strncmp(r, folds[k].from, strlen(folds[k].from)) == 0)
                break;
        if (k < sizeof folds / sizeof folds[0]) {
            /* Every replacement is shorter than what it replaces ("…" is 3 bytes, "..." too),
             * so the write position never passes the read one. */
            size_t to = strlen(folds[k].to);
            memmove(w, folds[k].to, to);
            w += to;
            r += strlen(folds[k].from);
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static const char ELLIPSIS[] = "...";

/* Copies the parts into out; -1 when they do not fit in cap bytes with the NUL. */
static long assemble(char *out, size_t cap, const char *text, size_t text_n, const char *mid,
                     const char *link)
{
    size_t mid_n = strlen(mid), link_n = strlen(link);
    size_t total = text_n + mid_n + (link_n ? 1 + link_n : 0);
    if (total + 1 > cap)
        return -1;
    memcpy(out, text, text_n);
    memcpy(out + text_n, mid, mid_n);
    if (link_n) {
        out[text_n + mid_n] = ' ';
        memcpy(out + text_n + mid_n + 1, link, link_n);
    }
    out[total] = '\0';
    return (long)total;
}

long sms_text_fit(const char *text, const char *link, char *out, size_t cap)
{
    if (!link)
        link = "";
    size_t text_n = strlen(text), link_n = strlen(link);
    if (!utf8_valid(text, text_n) || !utf8_valid(link, link_n))
        return -1;
    tally suffix = {0, 0, 1};
    tally_add(&suffix, ELLIPSIS, strlen(ELLIPSIS));
    if (link_n) {
        tally_add(&suffix, " ", 1);
        tally_add(&suffix, link, link_n);
    }
    tally whole = {0, 0, 1};
    tally_add(&whole, text, text_n);
    if (link_n) {
        tally_add(&whole, " ", 1);
        tally_add(&whole, link, link_n);
    }
    if (tally_units(&whole) <= tally_single(&whole))
        return assemble(out, cap, text, text_n, "", link);
    /* The longest prefix ending before a blank whose cut form fits: read once, the prefix's
     * counts growing as it goes and judged with the suffix's at every word's end. */
    tally prefix = {0, 0, 1};
    size_t best = 0;
    for (size_t i = 0; i < text_n;) {
        size_t len;
        uint32_t cp = decode(text + i, &len);
        if (cp == ' ' || cp == '\n' || cp == '\r' || cp == '\t') {
            size_t end = i;
            while (end > 0 && strchr(" ,;:\n\r\t", text[end - 1]))
                end--;
            if (end > 0) {
                tally both = prefix;
                both.septets += suffix.septets;
                both.utf16 += suffix.utf16;
                both.gsm = prefix.gsm && suffix.gsm;
                if (tally_units(&both) <= tally_single(&both))
                    best = end;
                else if (!both.gsm || tally_units(&both) > SMS_GSM7_SINGLE)
                    break; /* only grows from here */
            }
        }
        tally_add(&prefix, text + i, len);
        i += len;
    }
    if (best == 0)
        return -1;
    return assemble(out, cap, text, best, ELLIPSIS, link);
}
