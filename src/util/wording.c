/*
 * wording — placeholders, months and dates in words (see wording.h). Dates go through their
 * RFC 3339 form in the zone (util/timeutil), the one conversion to local time.
 */
#include "util/wording.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/timeutil.h"

const char *wording_lookup(const json_t *strings, const char *key)
{
    if (!key)
        return "";
    const json_t *v = strings;
    const char *p = key;
    while (v) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        v = json_is_object(v) ? json_object_getn(v, p, n) : NULL;
        if (!dot)
            break;
        p = dot + 1;
    }
    const char *s = json_string_value(v);
    return s ? s : key;
}

char *wording_subst(arena *a, const char *pattern, const char *const *names,
                    const char *const *values, size_t n)
{
    buf b;
    buf_init(&b, 64 * 1024);
    for (const char *p = pattern ? pattern : ""; *p;) {
        if (*p == '{') {
            size_t k;
            for (k = 0; k < n; k++) {
                size_t kl = strlen(names[k]);
                if (strncmp(p + 1, names[k], kl) == 0 && p[1 + kl] == '}') {
                    buf_puts(&b, values[k] ? values[k] : "");
                    p += kl + 2;
                    break;
                }
            }
            if (k < n)
                continue;
        }
        buf_putc(&b, *p++);
    }
    char *out = arena_strdup(a, buf_cstr(&b));
    buf_free(&b);
    return out;
}

const char *wording_blank_unknown(const char *text, const char *const *names, size_t n, size_t *len)
{
    *len = 0;
    for (const char *p = text ? strchr(text, '{') : NULL; p; p = strchr(p + 1, '{')) {
        size_t k = 1;
        while (k <= WORDING_BLANK_MAX + 1 && (isalnum((unsigned char)p[k]) || p[k] == '_'))
            k++;
        if (k == 1 || k > WORDING_BLANK_MAX + 1 || p[k] != '}')
            continue;
        size_t i = 0;
        while (i < n && !(strlen(names[i]) == k - 1 && strncmp(names[i], p + 1, k - 1) == 0))
            i++;
        if (i == n) {
            *len = k - 1;
            return p + 1;
        }
    }
    return NULL;
}

static const char *const month_names[2][12] = {
    [LANG_FR] = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                 "septembre", "octobre", "novembre", "décembre"},
    [LANG_EN] = {"January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"},
};

const char *wording_month(lang l, int month)
{
    if (month < 1 || month > 12)
        return "";
    return month_names[l == LANG_EN ? LANG_EN : LANG_FR][month - 1];
}

/* The local fields of t in tz (from its RFC 3339 form): 0, or -1 when unreadable. */
static int local_fields(int64_t t, const char *tz, int *y, int *mo, int *d, int *h, int *mi)
{
    char s[TIME_RFC3339_LEN];
    time_format_rfc3339(t, tz, s);
    if (sscanf(s, "%d-%d-%dT%d:%d", y, mo, d, h, mi) != 5 || *mo < 1 || *mo > 12)
        return -1;
    return 0;
}

const char *wording_clock(arena *a, lang l, int64_t t, const char *tz)
{
    int y, mo, d, h, mi;
    if (local_fields(t, tz, &y, &mo, &d, &h, &mi) != 0)
        return "";
    return l == LANG_EN ? arena_printf(a, "%02d:%02d", h, mi) : arena_printf(a, "%d h %02d", h, mi);
}

const char *wording_date(arena *a, lang l, int64_t t, const char *tz, int with_time)
{
    int y, mo, d, h, mi;
    if (local_fields(t, tz, &y, &mo, &d, &h, &mi) != 0)
        return "";
    if (l == LANG_EN)
        return with_time
                   ? arena_printf(a, "%d %s %d at %02d:%02d", d, wording_month(l, mo), y, h, mi)
                   : arena_printf(a, "%d %s %d", d, wording_month(l, mo), y);
    const char *day = d == 1 ? "1er" : arena_printf(a, "%d", d);
    return with_time ? arena_printf(a, "%s %s %d à %d h %02d", day, wording_month(l, mo), y, h, mi)
                     : arena_printf(a, "%s %s %d", day, wording_month(l, mo), y);
}

const char *wording_duration(arena *a, lang l, int64_t s)
{
    if (s < 0)
        return "—";
    const char *d = l == LANG_EN ? "d" : "j";
    int64_t days = s / 86400, hours = s % 86400 / 3600, mins = s % 3600 / 60;
    if (days > 0)
        return hours ? arena_printf(a, "%lld %s %lld h", (long long)days, d, (long long)hours)
                     : arena_printf(a, "%lld %s", (long long)days, d);
    if (hours > 0)
        return mins ? arena_printf(a, "%lld h %lld min", (long long)hours, (long long)mins)
                    : arena_printf(a, "%lld h", (long long)hours);
    if (mins > 0)
        return arena_printf(a, "%lld min", (long long)mins);
    return "< 1 min";
}
