/*
 * hours — weekly opening hours: parsing a typed day, the canonical week (see hours.h).
 */
#include "core/hours.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* p starts with word w (ASCII, any case) not followed by a letter: its length, else 0. */
static size_t word_at(const char *p, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(p, w, n) != 0)
        return 0;
    char next = p[n];
    if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z'))
        return 0;
    return n;
}

/* One time: H or HH, then optionally ':' 'h' 'H' or '.' and optionally MM. Minutes after
 * midnight in *minutes; the rest in *end. HOURS_SYNTAX when no digit starts p. */
static hours_problem parse_time(const char *p, int *minutes, const char **end)
{
    int h = 0, m = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 2) {
        h = h * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || (*p >= '0' && *p <= '9'))
        return HOURS_SYNTAX;
    if (*p == ':' || *p == 'h' || *p == 'H' || *p == '.') {
        p++;
        if (*p >= '0' && *p <= '9') {
            if (!(p[1] >= '0' && p[1] <= '9') || (p[2] >= '0' && p[2] <= '9'))
                return HOURS_SYNTAX;
            m = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
    }
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return HOURS_TIME;
    *minutes = h * 60 + m;
    *end = p;
    return HOURS_OK;
}

/* A dash between two times: its length, 0 when there is none. */
static size_t dash_at(const char *p)
{
    if (*p == '-')
        return 1;
    if (strncmp(p, "\xe2\x80\x93", 3) == 0 || strncmp(p, "\xe2\x80\x94", 3) == 0)
        return 3; /* en dash, em dash */
    if (strncmp(p, "\xc3\xa0", 2) == 0 && !(p[2] >= 'a' && p[2] <= 'z'))
        return 2; /* «à» */
    return word_at(p, "to");
}

/* What may separate two ranges (spaces alone too): its length. */
static size_t separator_at(const char *p)
{
    if (*p == ',' || *p == ';' || *p == '/' || *p == '+')
        return 1;
    size_t n = word_at(p, "et");
    return n ? n : word_at(p, "and");
}

static int is_closed_word(const char *p)
{
    static const char *const words[] = {"ferm\xc3\xa9", "ferm\xc3\x89", "ferme", "closed"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = word_at(p, words[i]);
        if (n && *skip_spaces(p + n) == '\0')
            return 1;
    }
    return 0;
}

hours_problem hours_parse_day(const char *text, hours_day *out)
{
    hours_day d;
    memset(&d, 0, sizeof d);
    const char *p = skip_spaces(text ? text : "");
    if (*p == '\0' || is_closed_word(p)) {
        *out = d;
        return HOURS_OK;
    }
    if (strlen(p) > HOURS_DAY_INPUT_MAX)
        return HOURS_SYNTAX;
    while (*p) {
        hours_range r;
        hours_problem pr = parse_time(p, &r.start, &p);
        if (pr != HOURS_OK)
            return pr;
        p = skip_spaces(p);
        size_t dash = dash_at(p);
        if (!dash)
            return HOURS_SYNTAX;
        p = skip_spaces(p + dash);
        if ((pr = parse_time(p, &r.end, &p)) != HOURS_OK)
            return pr;
        if (r.end <= r.start)
            return HOURS_BACKWARD;
        if (d.n == HOURS_RANGES_MAX)
            return HOURS_TOO_MANY;
        if (d.n > 0 && r.start < d.r[d.n - 1].end)
            return HOURS_OVERLAP;
        d.r[d.n++] = r;
        p = skip_spaces(p);
        size_t sep = separator_at(p);
        p = skip_spaces(p + sep);
    }
    *out = d;
    return HOURS_OK;
}

void hours_day_format(const hours_day *d, char *out, size_t size)
{
    size_t len = 0;
    if (size)
        out[0] = '\0';
    for (int i = 0; i < d->n && len < size; i++) {
        int w =
            snprintf(out + len, size - len, "%s%02d:%02d-%02d:%02d", i ? ", " : "",
                     d->r[i].start / 60, d->r[i].start % 60, d->r[i].end / 60, d->r[i].end % 60);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

void hours_format(const hours_week *w, char *out, size_t size)
{
    size_t len = 0;
    int any = 0;
    if (size)
        out[0] = '\0';
    for (int i = 0; i < HOURS_DAYS; i++)
        any |= w->day[i].n > 0;
    if (!any || size == 0)
        return;
    for (int i = 0; i < HOURS_DAYS && len < size; i++) {
        const hours_day *d = &w->day[i];
        for (int j = 0; j < d->n && len < size; j++) {
            int n = snprintf(out + len, size - len, "%s%02d:%02d-%02d:%02d", j ? "," : "",
                             d->r[j].start / 60, d->r[j].start % 60, d->r[j].end / 60,
                             d->r[j].end % 60);
            if (n < 0)
                return;
            len += (size_t)n;
        }
        if (i + 1 < HOURS_DAYS && len + 1 < size) {
            out[len++] = '|';
            out[len] = '\0';
        }
    }
}

int hours_parse(const char *s, hours_week *out)
{
    memset(out, 0, sizeof *out);
    if (!s || !*s)
        return 0;
    if (strlen(s) > HOURS_CANONICAL_MAX)
        return -1;
    int day = 0;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, "|");
        char buf[HOURS_DAY_INPUT_MAX + 1];
        if (n > HOURS_DAY_INPUT_MAX || day >= HOURS_DAYS)
            return -1;
        memcpy(buf, p, n);
        buf[n] = '\0';
        /* The canonical form is what hours_parse_day reads, with ',' between ranges. */
        if (hours_parse_day(buf, &out->day[day]) != HOURS_OK)
            return -1;
        day++;
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    return day == HOURS_DAYS ? 0 : -1;
}

int hours_day_equal(const hours_day *a, const hours_day *b)
{
    if (a->n != b->n)
        return 0;
    for (int i = 0; i < a->n; i++)
        if (a->r[i].start != b->r[i].start || a->r[i].end != b->r[i].end)
            return 0;
    return 1;
}
