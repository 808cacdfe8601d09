/*
 * tmpl — compiles the Mustache-like language of tmpl.h into a flat array of nodes once, and
 * renders by walking that array: no parsing and no allocation per render (except for the
 * rare |json filter, which lets jansson serialise).
 *
 * A template is an array of nodes in source order; a section node records the index just
 * past its body, so rendering a body is a loop over a sub-range and skipping it is a jump.
 * Text nodes and names point into the template's own copy of its source. Partials are
 * linked to their template when either side is added to the set, so a render never looks a
 * name up; a set is only written while it is built, hence read-only renders are thread-safe.
 *
 * Whitespace follows Mustache: a line holding only a section, inverted, closing, comment or
 * partial tag (and blanks) is removed with its newline, so that text templates (e-mails)
 * render without stray blank lines.
 */
#include "util/tmpl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum node_type { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };
enum filter { F_NONE, F_URL, F_HREF, F_JSON };

/* A segment of a dotted name, pointing into the template's source. */
typedef struct seg {
    const char *p;
    size_t n;
} seg;

typedef struct tmpl tmpl;

typedef struct node {
    uint8_t type;
    uint8_t filter;
    uint16_t nseg;       /* var/section: segments of the name (0 for ".") */
    uint32_t seg0;       /* var/section: index of the first segment in tmpl.segs */
    uint32_t end;        /* section/inverted: index of the node just past the body */
    uint32_t line;       /* where the tag is, for render errors */
    const char *s;       /* text, or the partial's name */
    size_t n;            /* its length */
    const tmpl *partial; /* partial: the linked template, NULL until it is added */
} node;

struct tmpl {
    char *name;
    size_t name_len;
    char *src;
    node *nodes;
    size_t n_nodes, cap_nodes;
    seg *segs;
    size_t n_segs, cap_segs;
};

struct tmpl_set {
    tmpl **items;
    size_t n, cap;
    tmpl **slots; /* open-addressing hash by name, size a power of two, > 2 * n */
    size_t n_slots;
};

/* ---- set ---- */

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static const tmpl *set_find(const tmpl_set *set, const char *name, size_t n)
{
    if (!set || !set->n_slots)
        return NULL;
    size_t mask = set->n_slots - 1;
    for (size_t i = name_hash(name, n) & mask;; i = (i + 1) & mask) {
        const tmpl *t = set->slots[i];
        if (!t)
            return NULL;
        if (t->name_len == n && memcmp(t->name, name, n) == 0)
            return t;
    }
}

static void slots_put(tmpl **slots, size_t n_slots, tmpl *t)
{
    size_t mask = n_slots - 1;
    size_t i = name_hash(t->name, t->name_len) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = t;
}

static void tmpl_free_one(tmpl *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->src);
    free(t->nodes);
    free(t->segs);
    free(t);
}

tmpl_set *tmpl_set_new(void)
{
    return calloc(1, sizeof(tmpl_set));
}

void tmpl_set_free(tmpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        tmpl_free_one(set->items[i]);
    free(set->items);
    free(set->slots);
    free(set);
}

int tmpl_has(const tmpl_set *set, const char *name)
{
    return name && set_find(set, name, strlen(name)) != NULL;
}

/* Adds t to the set (which then owns it); -1 when out of memory. */
static int set_insert(tmpl_set *set, tmpl *t)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 32;
        tmpl **items = realloc(set->items, cap * sizeof *items);
        if (!items)
            return -1;
        set->items = items;
        set->cap = cap;
    }
    if (2 * (set->n + 1) >= set->n_slots) {
        size_t n_slots = set->n_slots ? set->n_slots * 2 : 64;
        tmpl **slots = calloc(n_slots, sizeof *slots);
        if (!slots)
            return -1;
        for (size_t i = 0; i < set->n; i++)
            slots_put(slots, n_slots, set->items[i]);
        free(set->slots);
        set->slots = slots;
        set->n_slots = n_slots;
    }
    set->items[set->n++] = t;
    slots_put(set->slots, set->n_slots, t);
    return 0;
}

/* Links every partial node of the set that names a template now present. */
static void set_link(tmpl_set *set, tmpl *added)
{
    for (size_t k = 0; k < set->n; k++) {
        tmpl *t = set->items[k];
        for (size_t i = 0; i < t->n_nodes; i++) {
            node *nd = &t->nodes[i];
            if (nd->type != N_PARTIAL || nd->partial)
                continue;
            if (t == added)
                nd->partial = set_find(set, nd->s, nd->n);
            else if (nd->n == added->name_len && memcmp(nd->s, added->name, nd->n) == 0)
                nd->partial = added;
        }
    }
}

/* ---- compiler ---- */

typedef struct compiler {
    tmpl *t;
    const char *name;
    error *err;
    unsigned line;               /* line of src[counted] */
    size_t counted;              /* newlines counted up to here */
    size_t open[TMPL_MAX_DEPTH]; /* node index of each open section */
    size_t depth;
} compiler;

static int cfail(compiler *c, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int cfail(compiler *c, unsigned line, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_set(c->err, ERR_INVALID_ARG, c->name, "template %s line %u: %s", c->name, line, msg);
    return -1;
}

/* Quoted source fragments in messages are cut to this length. */
static size_t clip(size_t n)
{
    return n > 40 ? 40 : n;
}

static unsigned line_at(compiler *c, size_t pos)
{
    const char *s = c->t->src;
    for (; c->counted < pos; c->counted++)
        if (s[c->counted] == '\n')
            c->line++;
    return c->line;
}

static node *new_node(compiler *c, uint8_t type, unsigned line)
{
    tmpl *t = c->t;
    if (t->n_nodes == t->cap_nodes) {
        size_t cap = t->cap_nodes ? t->cap_nodes * 2 : 64;
        node *nodes = realloc(t->nodes, cap * sizeof *nodes);
        if (!nodes) {
            error_set(c->err, ERR_INTERNAL, NULL, "out of memory compiling %s", c->name);
            return NULL;
        }
        t->nodes = nodes;
        t->cap_nodes = cap;
    }
    node *nd = &t->nodes[t->n_nodes++];
    memset(nd, 0, sizeof *nd);
    nd->type = type;
    nd->line = line;
    return nd;
}

static int add_text(compiler *c, const char *s, size_t n, unsigned line)
{
    if (n == 0)
        return 0;
    node *nd = new_node(c, N_TEXT, line);
    if (!nd)
        return -1;
    nd->s = s;
    nd->n = n;
    return 0;
}

static int is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Trims blanks around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && is_blank(**s))
        (*s)++, (*n)--;
    while (*n && is_blank((*s)[*n - 1]))
        (*n)--;
}

/* Splits a dotted name into segments of node nd; "." is the context itself. */
static int parse_name(compiler *c, node *nd, const char *s, size_t n, unsigned line)
{
    if (n == 0)
        return cfail(c, line, "empty name in tag");
    nd->seg0 = (uint32_t)c->t->n_segs;
    nd->nseg = 0;
    if (n == 1 && s[0] == '.')
        return 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && is_name_char(s[j]))
            j++;
        if (j == i || (j < n && s[j] != '.'))
            return cfail(c, line, "invalid name '%.*s'", (int)clip(n), s);
        tmpl *t = c->t;
        if (t->n_segs == t->cap_segs) {
            size_t cap = t->cap_segs ? t->cap_segs * 2 : 64;
            seg *segs = realloc(t->segs, cap * sizeof *segs);
            if (!segs)
                return error_set(c->err, ERR_INTERNAL, NULL, "out of memory");
            t->segs = segs;
            t->cap_segs = cap;
        }
        if (nd->nseg == UINT16_MAX)
            return cfail(c, line, "name too long '%.*s'", (int)clip(n), s);
        t->segs[t->n_segs++] = (seg){s + i, j - i};
        nd->nseg++;
        i = j + 1;
    }
    return 0;
}

/* The source text of a section's name, for matching its closing tag. */
static void section_name(const tmpl *t, const node *nd, const char **s, size_t *n)
{
    if (nd->nseg == 0) {
        *s = ".";
        *n = 1;
        return;
    }
    const seg *first = &t->segs[nd->seg0], *last = &t->segs[nd->seg0 + nd->nseg - 1];
    *s = first->p;
    *n = (size_t)(last->p + last->n - first->p);
}

static int parse_filter(compiler *c, const char *s, size_t n, unsigned line, uint8_t *out)
{
    static const struct {
        const char *name;
        uint8_t f;
    } filters[] = {{"url", F_URL}, {"href", F_HREF}, {"json", F_JSON}};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        if (strlen(filters[i].name) == n && memcmp(filters[i].name, s, n) == 0) {
            *out = filters[i].f;
            return 0;
        }
    }
    return cfail(c, line, "unknown filter '%.*s'", (int)clip(n), s);
}

/* Handles one tag whose inner text is [s, s + n). */
static int compile_tag(compiler *c, char sigil, const char *s, size_t n, unsigned line)
{
    tmpl *t = c->t;
    node *nd;
    switch (sigil) {
    case '!':
        return 0;
    case '#':
    case '^':
        if (c->depth == TMPL_MAX_DEPTH)
            return cfail(c, line, "sections nested deeper than %d", TMPL_MAX_DEPTH);
        if (memchr(s, '|', n))
            return cfail(c, line, "filter on a section '%.*s'", (int)clip(n), s);
        if (!(nd = new_node(c, sigil == '#' ? N_SECTION : N_INVERTED, line)))
            return -1;
        if (parse_name(c, nd, s, n, line) != 0)
            return -1;
        c->open[c->depth++] = t->n_nodes - 1;
        return 0;
    case '/': {
        if (c->depth == 0)
            return cfail(c, line, "'{{/%.*s}}' closes no open section", (int)clip(n), s);
        node *open = &t->nodes[c->open[c->depth - 1]];
        const char *os;
        size_t on;
        section_name(t, open, &os, &on);
        if (on != n || memcmp(os, s, n) != 0) {
            return cfail(c, line, "'{{/%.*s}}' does not close section '%.*s' opened on line %u",
                         (int)clip(n), s, (int)clip(on), os, open->line);
        }
        open->end = (uint32_t)t->n_nodes;
        c->depth--;
        return 0;
    }
    case '>':
        if (n == 0)
            return cfail(c, line, "partial without a name");
        for (size_t i = 0; i < n; i++)
            if (!is_name_char(s[i]) && s[i] != '/' && s[i] != '.')
                return cfail(c, line, "invalid partial name '%.*s'", (int)clip(n), s);
        if (!(nd = new_node(c, N_PARTIAL, line)))
            return -1;
        nd->s = s;
        nd->n = n;
        return 0;
    case '{':
    case '&':
        return cfail(c, line, "unescaped output ('{{%c') is not supported", sigil);
    case '=':
        return cfail(c, line, "changing delimiters ('{{=') is not supported");
    default: {
        const char *bar = memchr(s, '|', n);
        uint8_t filter = F_NONE;
        size_t name_n = n;
        if (bar) {
            const char *f = bar + 1;
            size_t fn = (size_t)(s + n - f);
            trim(&f, &fn);
            if (parse_filter(c, f, fn, line, &filter) != 0)
                return -1;
            /* s is already trimmed at the front: only blanks before the '|' remain. */
            name_n = (size_t)(bar - s);
            while (name_n && is_blank(s[name_n - 1]))
                name_n--;
        }
        if (!(nd = new_node(c, N_VAR, line)))
            return -1;
        nd->filter = filter;
        return parse_name(c, nd, s, name_n, line);
    }
    }
}

static int compile(compiler *c, size_t len)
{
    const char *src = c->t->src;
    size_t text_start = 0, pos = 0;
    for (;;) {
        const char *open = pos < len ? memmem(src + pos, len - pos, "{{", 2) : NULL;
        if (!open)
            break;
        size_t tag_start = (size_t)(open - src);
        unsigned line = line_at(c, tag_start);
        const char *close = memmem(open + 2, len - tag_start - 2, "}}", 2);
        if (!close)
            return cfail(c, line, "unclosed tag '{{%.*s'", (int)clip(len - tag_start - 2),
                         open + 2);
        size_t tag_end = (size_t)(close - src) + 2;
        const char *in = open + 2;
        size_t in_n = (size_t)(close - in);
        char sigil = 0;
        const char *name = in;
        size_t name_n = in_n;
        trim(&name, &name_n);
        if (name_n && strchr("!#^/>{&=", name[0])) {
            sigil = name[0];
            name++, name_n--;
            trim(&name, &name_n);
        }
        /* A tag may not contain "{{": in "{{a {{b}}" the first tag is unclosed. */
        const char *nested = sigil != '!' ? memmem(in, in_n, "{{", 2) : NULL;
        if (nested)
            return cfail(c, line, "unclosed tag '{{%.*s'", (int)clip((size_t)(nested - in)), in);
        /* Standalone line: only blanks around a non-output tag, and no other tag before it on
         * this line (the pending text then reaches back to the start of the line). */
        size_t text_end = tag_start, next = tag_end;
        if (sigil && sigil != '{' && sigil != '&' && sigil != '=') {
            size_t ls = tag_start;
            while (ls > text_start && (src[ls - 1] == ' ' || src[ls - 1] == '\t'))
                ls--;
            int at_line_start = (ls == 0 || src[ls - 1] == '\n') && ls >= text_start;
            size_t e = tag_end;
            while (e < len && (src[e] == ' ' || src[e] == '\t'))
                e++;
            int at_line_end =
                e == len || src[e] == '\n' || (src[e] == '\r' && e + 1 < len && src[e + 1] == '\n');
            if (at_line_start && at_line_end) {
                text_end = ls;
                next = e == len ? len : (src[e] == '\r' ? e + 2 : e + 1);
            }
        }
        if (add_text(c, src + text_start, text_end - text_start, line) != 0)
            return -1;
        if (compile_tag(c, sigil, name, name_n, line) != 0)
            return -1;
        text_start = pos = next;
    }
    if (add_text(c, src + text_start, len - text_start, line_at(c, text_start)) != 0)
        return -1;
    if (c->depth) {
        const node *open = &c->t->nodes[c->open[c->depth - 1]];
        const char *os;
        size_t on;
        section_name(c->t, open, &os, &on);
        return cfail(c, open->line, "section '%.*s' is never closed", (int)clip(on), os);
    }
    if (c->t->n_nodes > UINT32_MAX)
        return cfail(c, 1, "too many tags");
    return 0;
}

int tmpl_add(tmpl_set *set, const char *name, const char *source, size_t len, error *err)
{
    if (!set || !name || (!source && len))
        return error_set(err, ERR_INVALID_ARG, "template", "no set, name or source");
    if (len > TMPL_MAX_SOURCE)
        return error_set(err, ERR_INVALID_ARG, name,
                         "template %s: %zu bytes, more than the %d allowed", name, len,
                         TMPL_MAX_SOURCE);
    if (tmpl_has(set, name))
        return error_set(err, ERR_INVALID_ARG, name, "template %s is defined twice", name);
    tmpl *t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->name_len = strlen(name);
    t->name = malloc(t->name_len + 1);
    t->src = malloc(len + 1);
    if (!t->name || !t->src)
        goto oom;
    memcpy(t->name, name, t->name_len + 1);
    if (len)
        memcpy(t->src, source, len);
    t->src[len] = '\0';
    compiler c = {.t = t, .name = name, .err = err, .line = 1};
    if (compile(&c, len) != 0) {
        tmpl_free_one(t);
        return -1;
    }
    if (set_insert(set, t) != 0)
        goto oom;
    set_link(set, t);
    return 0;
oom:
    tmpl_free_one(t);
    return error_set(err, ERR_INTERNAL, NULL, "out of memory compiling %s", name);
}

/* ---- renderer ---- */

/* Every section may push one context, in each template of a chain of partials. */
#define STACK_MAX (1 + TMPL_MAX_DEPTH * (TMPL_MAX_PARTIAL_DEPTH + 1))

/* Nodes one render may visit. Templates are ours, but sections nested over arrays multiply:
 * 32 levels over a two-element array that print nothing would loop 2^32 times without ever
 * reaching the output limit. A real page visits a few thousand nodes. */
#define STEPS_MAX (1ul << 22)

typedef struct render {
    buf *out;
    error *err;
    unsigned long steps;
    unsigned partial_depth;
    unsigned sp;
    json_t *stack[STACK_MAX];
} render;

/* Index into the entity table for each byte; 0 when the byte is copied as it is. */
static const unsigned char html_class[256] = {
    ['&'] = 1, ['<'] = 2, ['>'] = 3, ['"'] = 4, ['\''] = 5};
static const struct {
    const char *s;
    size_t n;
} html_entity[] = {{"", 0}, {"&amp;", 5}, {"&lt;", 4}, {"&gt;", 4}, {"&quot;", 6}, {"&#39;", 5}};

static void put_escaped(buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char k = html_class[(unsigned char)s[i]];
        if (!k)
            continue;
        if (i > run)
            buf_append(out, s + run, i - run);
        buf_append(out, html_entity[k].s, html_entity[k].n);
        run = i + 1;
    }
    if (n > run)
        buf_append(out, s + run, n - run);
}

static int is_unreserved(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Percent-encoding leaves no character HTML gives meaning to, so no escaping follows. */
static void put_url(buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (is_unreserved(ch))
            continue;
        if (i > run)
            buf_append(out, s + run, i - run);
        char pct[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        buf_append(out, pct, 3);
        run = i + 1;
    }
    if (n > run)
        buf_append(out, s + run, n - run);
}

static int has_prefix_ci(const char *s, size_t n, const char *prefix)
{
    size_t pn = strlen(prefix);
    if (n < pn)
        return 0;
    for (size_t i = 0; i < pn; i++) {
        char ch = s[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != prefix[i])
            return 0;
    }
    return 1;
}

static void put_href(buf *out, const char *s, size_t n)
{
    static const char *const safe[] = {"/", "#", "?", "http://", "https://", "mailto:", "tel:"};
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++) {
        if (has_prefix_ci(s, n, safe[i])) {
            put_escaped(out, s, n);
            return;
        }
    }
    buf_append(out, "#", 1);
}

/* jansson only writes <, > and & inside strings, where \u escapes mean the same. */
static int json_chunk(const char *s, size_t n, void *data)
{
    buf *out = data;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '<':
            rep = "\\u003c";
            break;
        case '>':
            rep = "\\u003e";
            break;
        case '&':
            rep = "\\u0026";
            break;
        default:
            continue;
        }
        if (i > run)
            buf_append(out, s + run, i - run);
        buf_append(out, rep, 6);
        run = i + 1;
    }
    if (n > run)
        buf_append(out, s + run, n - run);
    return out->failed ? -1 : 0;
}

/* The text form of a scalar into tmp (or pointing into the value); 0 when it prints
 * nothing (null, false, missing, objects, arrays). */
static int scalar_text(json_t *v, char *tmp, size_t tmp_size, const char **s, size_t *n)
{
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        *s = json_string_value(v);
        *n = json_string_length(v);
        return 1;
    case JSON_INTEGER: {
        int len = snprintf(tmp, tmp_size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *s = tmp;
        *n = (size_t)len;
        return 1;
    }
    case JSON_REAL: {
        double d = json_real_value(v);
        /* The shortest of 15, 16 or 17 digits that reads back as the same double. */
        int len = 0;
        for (int prec = 15; prec <= 17; prec++) {
            len = snprintf(tmp, tmp_size, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
        *s = tmp;
        *n = (size_t)len;
        return 1;
    }
    case JSON_TRUE:
        *s = "true";
        *n = 4;
        return 1;
    default:
        return 0;
    }
}

static json_t *lookup(const render *r, const tmpl *t, const node *nd)
{
    if (nd->nseg == 0)
        return r->sp ? r->stack[r->sp - 1] : NULL;
    const seg *sg = &t->segs[nd->seg0];
    json_t *v = NULL;
    for (unsigned i = r->sp; i-- > 0;) {
        json_t *ctx = r->stack[i];
        if (json_is_object(ctx) && (v = json_object_getn(ctx, sg[0].p, sg[0].n)))
            break;
    }
    for (unsigned k = 1; k < nd->nseg && v; k++)
        v = json_is_object(v) ? json_object_getn(v, sg[k].p, sg[k].n) : NULL;
    return v;
}

static int truthy(json_t *v)
{
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_TRUE:
        return 1;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    default:
        return 0;
    }
}

static int rfail(render *r, const tmpl *t, const node *nd, const char *what, const char *s,
                 size_t n)
{
    if (n)
        error_set(r->err, ERR_INTERNAL, NULL, "template %s line %u: %s '%.*s'", t->name,
                  nd ? nd->line : 0, what, (int)(n > 60 ? 60 : n), s);
    else
        error_set(r->err, ERR_INTERNAL, NULL, "template %s line %u: %s", t->name, nd ? nd->line : 0,
                  what);
    return -1;
}

static void put_var(render *r, const tmpl *t, const node *nd)
{
    json_t *v = lookup(r, t, nd);
    if (nd->filter == F_JSON) {
        if (!v)
            buf_append(r->out, "null", 4);
        else
            json_dump_callback(v, json_chunk, r->out, JSON_COMPACT | JSON_ENCODE_ANY);
        return;
    }
    char tmp[40];
    const char *s = "";
    size_t n = 0;
    int any = scalar_text(v, tmp, sizeof tmp, &s, &n);
    switch (nd->filter) {
    case F_URL:
        put_url(r->out, s, n);
        break;
    case F_HREF:
        put_href(r->out, s, n);
        break;
    default:
        if (any)
            put_escaped(r->out, s, n);
        break;
    }
}

static int render_range(render *r, const tmpl *t, size_t from, size_t to);

static int render_body(render *r, const tmpl *t, size_t i, json_t *ctx)
{
    if (r->sp == STACK_MAX)
        return rfail(r, t, &t->nodes[i], "contexts nested too deep at", "", 0);
    r->stack[r->sp++] = ctx;
    int rc = render_range(r, t, i + 1, t->nodes[i].end);
    r->sp--;
    return rc;
}

static int render_range(render *r, const tmpl *t, size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        const node *nd = &t->nodes[i];
        if (++r->steps > STEPS_MAX)
            return rfail(r, t, nd, "render visits too many nodes, stopped", "", 0);
        if (r->out->failed)
            return rfail(r, t, nd, "output larger than the buffer's maximum", "", 0);
        switch (nd->type) {
        case N_TEXT:
            buf_append(r->out, nd->s, nd->n);
            i++;
            break;
        case N_VAR:
            put_var(r, t, nd);
            i++;
            break;
        case N_SECTION: {
            json_t *v = lookup(r, t, nd);
            if (json_is_array(v)) {
                size_t k;
                json_t *item;
                json_array_foreach(v, k, item)
                {
                    if (render_body(r, t, i, item) != 0)
                        return -1;
                }
            } else if (truthy(v) && render_body(r, t, i, v) != 0) {
                return -1;
            }
            i = nd->end;
            break;
        }
        case N_INVERTED:
            if (!truthy(lookup(r, t, nd)) && render_range(r, t, i + 1, nd->end) != 0)
                return -1;
            i = nd->end;
            break;
        case N_PARTIAL:
            if (!nd->partial)
                return rfail(r, t, nd, "missing partial", nd->s, nd->n);
            if (r->partial_depth == TMPL_MAX_PARTIAL_DEPTH)
                return rfail(r, t, nd, "partials nested deeper than 8 at", nd->s, nd->n);
            r->partial_depth++;
            int rc = render_range(r, nd->partial, 0, nd->partial->n_nodes);
            r->partial_depth--;
            if (rc != 0)
                return -1;
            i++;
            break;
        }
    }
    if (r->out->failed)
        return rfail(r, t, NULL, "output larger than the buffer's maximum", "", 0);
    return 0;
}

int tmpl_render(const tmpl_set *set, const char *name, json_t *data, buf *out, error *err)
{
    const tmpl *t = name ? set_find(set, name, strlen(name)) : NULL;
    if (!t)
        return error_set(err, ERR_INTERNAL, NULL, "no template called '%s'",
                         name ? name : "(null)");
    render r;
    r.out = out;
    r.err = err;
    r.steps = 0;
    r.partial_depth = 0;
    r.sp = 0;
    if (data)
        r.stack[r.sp++] = data;
    if (out->failed)
        return error_set(err, ERR_INTERNAL, NULL, "template %s: output buffer already failed",
                         t->name);
    if (render_range(&r, t, 0, t->n_nodes) != 0)
        return -1;
    /* An empty render leaves a never-allocated buf: give callers a valid C string anyway. */
    if (!out->data && buf_append(out, "", 0) != 0)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    return 0;
}
