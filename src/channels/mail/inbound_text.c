/*
 * inbound_text — the text of an incoming e-mail: HTML turned into lines with libxml2's HTML
 * parser (GMime has no such thing), and the split of the citizen's new words from the quoted
 * history and signature their mail program appends.
 */
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "channels/mail/inbound.h"
#include "util/buf.h"

/* ---- HTML ---- */

/* Elements whose content is no text for a reader. */
static int skipped(const char *name)
{
    static const char *const names[] = {"script", "style", "head", "title", "template", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* Elements that begin and end a line. */
static int block(const char *name)
{
    static const char *const names[] = {"p",  "div", "li", "tr", "h1",         "h2",  "h3",
                                        "h4", "h5",  "h6", "ul", "ol",         "pre", "table",
                                        "hr", "dl",  "dt", "dd", "blockquote", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* The output so far ends a line (or is empty). */
static int at_line_start(const buf *b)
{
    return b->len == 0 || b->data[b->len - 1] == '\n';
}

static void newline(buf *b)
{
    if (!at_line_start(b))
        buf_append(b, "\n", 1);
}

/* Text with its runs of white space made one space, as a browser shows it. */
static void append_text(buf *b, const char *s, int pre)
{
    if (pre) {
        buf_append(b, s, strlen(s));
        return;
    }
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f') {
            if (!at_line_start(b) && b->data[b->len - 1] != ' ')
                buf_append(b, " ", 1);
            continue;
        }
        buf_append(b, s, 1);
    }
}

/* libxml2 bounds the tree's depth (256 without XML_PARSE_HUGE): the recursion is bounded. */
static void walk(buf *b, xmlNode *n, int pre, int quote)
{
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content) {
                if (quote && at_line_start(b))
                    buf_append(b, "> ", 2);
                append_text(b, (const char *)n->content, pre);
            }
            continue;
        }
        if (n->type != XML_ELEMENT_NODE || !n->name)
            continue;
        const char *name = (const char *)n->name;
        if (skipped(name))
            continue;
        if (strcasecmp(name, "br") == 0) {
            buf_append(b, "\n", 1);
            continue;
        }
        int is_block = block(name);
        int is_quote = strcasecmp(name, "blockquote") == 0;
        if (is_block)
            newline(b);
        walk(b, n->children, pre || strcasecmp(name, "pre") == 0, quote || is_quote);
        if (is_block)
            newline(b);
    }
}

char *mail_in_html_text(const char *html, size_t len, arena *a)
{
    buf b;
    buf_init(&b, 4 * MAIL_IN_MAX_TEXT);
    if (len > (size_t)0x7fffffff)
        len = 0x7fffffff;
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, NULL,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
    if (doc)
        walk(&b, xmlDocGetRootElement(doc), 0, 0);
    xmlFreeDoc(doc);
    char *out = arena_strndup(a, b.data ? b.data : "", b.len);
    buf_free(&b);
    return out;
}

/* ---- quoted history and signature ---- */

typedef struct line {
    const char *s;
    size_t n;
} line;

static int blank(line l)
{
    for (size_t i = 0; i < l.n; i++)
        if (l.s[i] != ' ' && l.s[i] != '\t')
            return 0;
    return 1;
}

static int quoted(line l)
{
    return l.n > 0 && l.s[0] == '>';
}

/* l, trailing blanks left out, ends with suffix (case-insensitive). */
static int ends_with(line l, const char *suffix)
{
    size_t n = l.n, k = strlen(suffix);
    while (n > 0 && (l.s[n - 1] == ' ' || l.s[n - 1] == '\t'))
        n--;
    return n >= k && strncasecmp(l.s + n - k, suffix, k) == 0;
}

static int contains(line l, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= l.n; i++)
        if (strncasecmp(l.s + i, needle, k) == 0)
            return 1;
    return 0;
}

/* «Le 3 mars 2026 à 10:12, Mairie <…> a écrit :», «On Tue, … wrote:». */
static int attribution(line l)
{
    return ends_with(l, "a \xc3\xa9"
                        "crit :") ||
           ends_with(l, "a \xc3\xa9"
                        "crit:") ||
           ends_with(l, "wrote:") || ends_with(l, "wrote :");
}

/* The separators Outlook and webmails put above the message they forward or answer. */
static int original_marker(line l)
{
    return contains(l, "-----Original Message-----") || contains(l, "Message d'origine -----") ||
           contains(l, "Message original -----") || contains(l, "-------- Message transf");
}

/* The signature separator of RFC 3676 ("-- "), and "--" alone as many programs write it. */
static int signature(line l)
{
    return (l.n == 3 && memcmp(l.s, "-- ", 3) == 0) || (l.n == 2 && memcmp(l.s, "--", 2) == 0);
}

int mail_in_fold(const char *text, arena *a, const char **fresh, const char **folded)
{
    size_t cap = 16, n = 0;
    line *ls = arena_alloc(a, sizeof *ls * cap);
    if (!ls)
        return -1;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (n == cap) {
            line *more = arena_alloc(a, sizeof *ls * cap * 2);
            if (!more)
                return -1;
            memcpy(more, ls, sizeof *ls * n);
            ls = more, cap *= 2;
        }
        ls[n++] = (line){p, k};
        p += k + (e ? 1 : 0);
    }
    /* Where the trailing block of quoted and blank lines begins (n: none). */
    size_t tail = n;
    while (tail > 0 && (quoted(ls[tail - 1]) || blank(ls[tail - 1])))
        tail--;
    while (tail < n && blank(ls[tail]))
        tail++;
    size_t cut = n;
    for (size_t i = 0; i < n && cut == n; i++) {
        if (signature(ls[i]) || original_marker(ls[i]))
            cut = i;
        else if (attribution(ls[i])) {
            size_t j = i + 1;
            while (j < n && blank(ls[j]))
                j++;
            if (j < n && quoted(ls[j]))
                cut = i;
        } else if (i == tail && tail < n && quoted(ls[i]))
            cut = i;
    }
    size_t keep = cut;
    while (keep > 0 && blank(ls[keep - 1]))
        keep--;
    if (cut == n || keep == 0) {
        /* Nothing folded: the whole text, without its trailing blank lines. */
        size_t len = strlen(text);
        while (len > 0 && strchr(" \t\n", text[len - 1]))
            len--;
        *fresh = arena_strndup(a, text, len);
        *folded = NULL;
        return *fresh ? 0 : -1;
    }
    size_t fresh_len = (size_t)(ls[keep - 1].s + ls[keep - 1].n - text);
    *fresh = arena_strndup(a, text, fresh_len);
    *folded = arena_strdup(a, ls[cut].s);
    return *fresh && *folded ? 0 : -1;
}
