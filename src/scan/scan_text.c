/*
 * scan_text — what a letter's OCR text proposes for its request (scan.h, scan_propose): the
 * text cleaned as its description; an e-mail address, a French telephone number and a cited
 * request reference found anywhere; and the sender, taken from the first address block (a
 * name line, a street line, a postcode line) that is not the mairie's own, as French letters
 * put the sender's block first. Only proposals: the agent confirms or corrects each.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "scan/scan.h"
#include "util/collate.h"
#include "util/phone.h"
#include "util/utf8.h"

#define LINES_MAX 400
#define LINE_MAX_BYTES 512

static void copy_field(char *dst, const char *src, size_t n)
{
    if (n >= SCAN_FIELD_MAX)
        n = utf8_prefix_bytes(src, n, SCAN_FIELD_MAX / 4);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int email_local(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int email_domain(int c)
{
    return isalnum(c) || c == '.' || c == '-';
}

/* The first address shaped like local@domain.tld, lowercased. OCR often reads a blank on
 * either side of the «@» («marie.dupont@ exemple.fr»): one is skipped. */
static void find_email(const char *t, char *out)
{
    for (const char *at = strchr(t, '@'); at; at = strchr(at + 1, '@')) {
        const char *le = at; /* the local part ends here */
        if (le > t + 1 && le[-1] == ' ' && email_local((unsigned char)le[-2]))
            le--;
        const char *s = le;
        while (s > t && email_local((unsigned char)s[-1]))
            s--;
        while (*s == '.' && s < le)
            s++;
        const char *ds = at + 1; /* the domain starts here */
        if (*ds == ' ' && email_domain((unsigned char)ds[1]))
            ds++;
        const char *e = ds;
        while (email_domain((unsigned char)*e))
            e++;
        while (e > ds && (e[-1] == '.' || e[-1] == '-'))
            e--;
        const char *dot = NULL;
        for (const char *p = ds; p < e; p++)
            if (*p == '.')
                dot = p;
        if (s == le || !dot || dot == ds || e - dot - 1 < 2)
            continue;
        int tld_letters = 1;
        for (const char *p = dot + 1; p < e; p++)
            tld_letters &= isalpha((unsigned char)*p) != 0;
        size_t nl = (size_t)(le - s), nd = (size_t)(e - ds);
        if (!tld_letters || nl + 1 + nd >= SCAN_FIELD_MAX)
            continue;
        size_t k = 0;
        for (size_t i = 0; i < nl; i++)
            out[k++] = (char)tolower((unsigned char)s[i]);
        out[k++] = '@';
        for (size_t i = 0; i < nd; i++)
            out[k++] = (char)tolower((unsigned char)ds[i]);
        out[k] = '\0';
        return;
    }
}

/* The first «YYYY-NNNNNN» (a year of this century, six to ten digits) standing alone. */
static void find_reference(const char *t, char *out)
{
    for (const char *p = t; *p; p++) {
        if (p > t && isdigit((unsigned char)p[-1]))
            continue;
        if (!(p[0] == '2' && p[1] == '0' && isdigit((unsigned char)p[2]) &&
              isdigit((unsigned char)p[3]) && p[4] == '-'))
            continue;
        size_t k = 5;
        while (isdigit((unsigned char)p[k]))
            k++;
        if (k - 5 < 6 || k - 5 > 10)
            continue;
        copy_field(out, p, k);
        return;
    }
}

/* The first French number (10 digits from 0, or +33 / 0033 and 9) as E.164. */
static void find_phone(const char *t, char *out)
{
    for (const char *p = t; *p; p++) {
        if (!(isdigit((unsigned char)*p) || *p == '+') ||
            (p > t && (isdigit((unsigned char)p[-1]) || p[-1] == '-' || p[-1] == '+')))
            continue;
        char cand[40];
        size_t n = 0, digits = 0;
        const char *q = p;
        while (*q && n + 1 < sizeof cand &&
               (isdigit((unsigned char)*q) || *q == ' ' || *q == '.' || *q == '-' ||
                (*q == '+' && q == p) || *q == '(' || *q == ')')) {
            if (isdigit((unsigned char)*q))
                digits++;
            cand[n++] = *q++;
            if (digits >= 13)
                break;
        }
        while (n > 0 && !isdigit((unsigned char)cand[n - 1]))
            n--;
        cand[n] = '\0';
        int french = (cand[0] == '0' && cand[1] != '0' && digits == 10) ||
                     (strncmp(cand, "+33", 3) == 0 && digits == 11) ||
                     (strncmp(cand, "0033", 4) == 0 && digits == 13);
        char e164[PHONE_E164_MAX];
        phone_result r;
        if (french && phone_e164(cand, e164, &r) == 0) {
            copy_field(out, e164, strlen(e164));
            return;
        }
    }
}

/* ---- lines ---- */

typedef struct line {
    char s[LINE_MAX_BYTES]; /* trimmed, blanks folded */
} line;

/* Splits t into lines, trimmed, runs of blanks folded into one space. */
static size_t split_lines(const char *t, line *out, size_t max)
{
    size_t n = 0;
    while (*t && n < max) {
        size_t len = strcspn(t, "\n");
        size_t k = 0;
        int blank = 1; /* at the start, or after a blank */
        for (size_t i = 0; i < len && k + 1 < LINE_MAX_BYTES; i++) {
            char c = t[i] == '\t' || t[i] == '\r' || t[i] == '\f' ? ' ' : t[i];
            if (c == ' ' && blank)
                continue;
            blank = c == ' ';
            out[n].s[k++] = c;
        }
        while (k > 0 && out[n].s[k - 1] == ' ')
            k--;
        /* A line cut at LINE_MAX_BYTES may end inside a character. */
        while (k > 0 && !utf8_valid(out[n].s, k))
            k--;
        out[n].s[k] = '\0';
        n++;
        t += len;
        if (*t == '\n')
            t++;
    }
    return n;
}

static int has_alnum(const char *s)
{
    for (; *s; s++)
        if (isalnum((unsigned char)*s) || (unsigned char)*s >= 0xC3)
            return 1;
    return 0;
}

static int folded_has(const char *s, const char *const *words)
{
    char f[LINE_MAX_BYTES * 2 + 1];
    if (collate_fold(s, strlen(s), f, sizeof f) < 0)
        return 0;
    for (size_t i = 0; words[i]; i++)
        if (strstr(f, words[i]))
            return 1;
    return 0;
}

/* «75011 Paris», «97400 Saint-Denis»: five digits, a blank, a letter. */
static int is_postcode_line(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return s[5] == ' ' && (isalpha((unsigned char)s[6]) || (unsigned char)s[6] >= 0xC3);
}

static const char *const street_words[] = {
    "rue ",      "avenue",   "boulevard",   "bd ",   "chemin", "place ",
    "allee",     "impasse",  "route ",      "quai ", "cours ", "square",
    "residence", "lieu-dit", "lotissement", "bp ",   NULL};
static const char *const mairie_words[] = {"mairie", "hotel de ville", "service",
                                           "maire",  "commune",        NULL};

static int is_street_line(const char *s)
{
    return isdigit((unsigned char)s[0]) || folded_has(s, street_words);
}

/* A person's name: 2 to 5 words, letters (and - ' .) only, no digit. */
static int is_name_line(const char *s)
{
    int words = 0, in_word = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isdigit(c) || c == '@' || c == ',' || c == ':')
            return 0;
        if (c == ' ') {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return words >= 2 && words <= 5;
}

static int word_is_upper(const char *w, size_t n)
{
    int letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (islower(c))
            return 0;
        /* UTF-8 of à–ÿ (lower case Latin-1) is C3 A0–BF. */
        if (c == 0xC3 && i + 1 < n && (unsigned char)w[i + 1] >= 0xA0)
            return 0;
        letters += isalpha(c) != 0;
    }
    return letters >= 2;
}

/* «Madame Marie DUPONT» → first «Marie», last «DUPONT»: the words in capitals are the last
 * name; without any, the last word is. A civility first is dropped. */
static void split_name(const char *s, scan_proposals *out)
{
    static const char *const civility[] = {"madame ", "monsieur ",     "mme ", "m. ",
                                           "mlle ",   "mademoiselle ", "m "};
    for (size_t i = 0; i < sizeof civility / sizeof civility[0]; i++) {
        size_t k = strlen(civility[i]);
        if (strncasecmp(s, civility[i], k) == 0) {
            s += k;
            break;
        }
    }
    const char *starts[8];
    size_t lens[8], n = 0;
    for (const char *p = s; *p && n < 8;) {
        size_t k = strcspn(p, " ");
        starts[n] = p;
        lens[n++] = k;
        p += k;
        p += strspn(p, " ");
    }
    if (n < 2)
        return;
    size_t first_upper = n;
    for (size_t i = 0; i < n; i++)
        if (word_is_upper(starts[i], lens[i])) {
            first_upper = i;
            break;
        }
    size_t split = first_upper == 0 || first_upper == n ? n - 1 : first_upper;
    if (first_upper == 0) {
        /* «DUPONT Marie»: the name in capitals first. */
        size_t k = 0;
        while (k < n && word_is_upper(starts[k], lens[k]))
            k++;
        if (k < n) {
            copy_field(out->last_name, starts[0],
                       (size_t)(starts[k - 1] + lens[k - 1] - starts[0]));
            copy_field(out->first_name, starts[k],
                       (size_t)(starts[n - 1] + lens[n - 1] - starts[k]));
            return;
        }
    }
    copy_field(out->first_name, starts[0],
               (size_t)(starts[split - 1] + lens[split - 1] - starts[0]));
    copy_field(out->last_name, starts[split],
               (size_t)(starts[n - 1] + lens[n - 1] - starts[split]));
}

/* The sender: the first postcode line after a street line, whose block is not the mairie's;
 * the name line above the street, when there is one. OCR often puts an empty line between a
 * block's lines: only lines with text count. */
static void find_sender(const line *ls, size_t n, arena *a, scan_proposals *out)
{
    size_t *idx = arena_alloc(a, (n ? n : 1) * sizeof *idx);
    if (!idx)
        return;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (ls[i].s[0])
            idx[m++] = i;
    for (size_t k = 1; k < m; k++) {
        const char *postcode = ls[idx[k]].s, *street = ls[idx[k - 1]].s;
        const char *name = k >= 2 ? ls[idx[k - 2]].s : NULL;
        if (!is_postcode_line(postcode) || !is_street_line(street))
            continue;
        if (name && !is_name_line(name))
            name = NULL;
        if (folded_has(street, mairie_words) || folded_has(postcode, mairie_words) ||
            (name && folded_has(name, mairie_words)))
            continue;
        size_t sa = strlen(street), sb = strlen(postcode);
        if (sa + 2 + sb < SCAN_FIELD_MAX) {
            memcpy(out->address, street, sa);
            memcpy(out->address + sa, ", ", 2);
            memcpy(out->address + sa + 2, postcode, sb + 1);
        }
        if (name)
            split_name(name, out);
        return;
    }
}

/* The lines joined back: those without a letter or digit (scanner noise, rules) dropped,
 * at most one empty line in a row, none at either end; at most max characters. */
static const char *clean_text(const line *ls, size_t n, size_t max, arena *a)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(ls[i].s) + 1;
    char *s = arena_alloc(a, total);
    if (!s)
        return NULL;
    size_t at = 0;
    int pending_blank = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ls[i].s[0] || !has_alnum(ls[i].s)) {
            pending_blank = at > 0;
            continue;
        }
        if (at > 0)
            s[at++] = '\n';
        if (pending_blank)
            s[at++] = '\n';
        pending_blank = 0;
        size_t k = strlen(ls[i].s);
        memcpy(s + at, ls[i].s, k);
        at += k;
    }
    at = utf8_prefix_bytes(s, at, max);
    s[at] = '\0';
    return s;
}

void scan_propose(const char *text, size_t desc_max, arena *a, scan_proposals *out)
{
    memset(out, 0, sizeof *out);
    out->description = "";
    if (!text)
        return;
    find_email(text, out->email);
    find_reference(text, out->reference);
    find_phone(text, out->phone);
    line *ls = arena_alloc(a, LINES_MAX * sizeof *ls);
    if (!ls)
        return;
    size_t n = split_lines(text, ls, LINES_MAX);
    find_sender(ls, n, a, out);
    const char *d = clean_text(ls, n, desc_max, a);
    if (d)
        out->description = d;
}
