/*
 * filing_util — helpers shared by the filing pages: accent folding for the procedure search,
 * "{name}" substitution in translated strings, dates in the tenant's zone, the readable
 * answers of a stored request (confirmation receipt) and the context of pages without forms.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/attrs.h"
#include "core/forms.h"
#include "util/form.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/collate.h"
#include "util/utf8.h"
#include "web/portal/filing_internal.h"
#include "web/web.h"

/* ---- accent folding ---- */

/* The portal's search folds as the collation's key does (util/collate): one folding for
 * every comparison of French words. */
char *filing_fold(arena *a, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *out = arena_alloc(a, 2 * n + 1); /* the key is never longer than 2 × n */
    if (!out || collate_fold(s, n, out, 2 * n + 1) < 0)
        return NULL;
    return out;
}

static int is_word_byte(unsigned char c)
{
    return c >= 0x80 || isalnum(c);
}

int filing_matches(const char *q, const char *hay)
{
    const unsigned char *p = (const unsigned char *)q;
    int any = 0;
    while (*p) {
        while (*p && !is_word_byte(*p))
            p++;
        const unsigned char *start = p;
        while (*p && is_word_byte(*p))
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0)
            continue;
        any = 1;
        /* Look for this word anywhere in the haystack (prefixes of longer words count). */
        int found = 0;
        for (const char *h = hay; (h = strchr(h, (char)start[0])) != NULL; h++)
            if (strncmp(h, (const char *)start, len) == 0) {
                found = 1;
                break;
            }
        if (!found)
            return 0;
    }
    return any;
}

/* ---- substitution ---- */

char *filing_subst(arena *a, const char *tmpl, const char *const *keys, const char *const *vals,
                   size_t n)
{
    buf b;
    buf_init(&b, 64 * 1024);
    for (const char *p = tmpl ? tmpl : ""; *p;) {
        if (*p == '{') {
            size_t k;
            for (k = 0; k < n; k++) {
                size_t kl = strlen(keys[k]);
                if (strncmp(p + 1, keys[k], kl) == 0 && p[1 + kl] == '}') {
                    buf_puts(&b, vals[k] ? vals[k] : "");
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

char *filing_subst1(arena *a, const char *tmpl, const char *key, const char *val)
{
    return filing_subst(a, tmpl, &key, &val, 1);
}

char *filing_url_encode(arena *a, const char *s)
{
    return form_encode(a, s, NULL);
}

/* ---- dates ---- */

char *filing_date_long(arena *a, int64_t t, const char *tz, lang l)
{
    return (char *)present_date(a, l, t, tz, 0);
}

char *filing_datetime(arena *a, int64_t t, const char *tz, lang l)
{
    return (char *)present_date(a, l, t, tz, 1);
}

/* ---- contexts ---- */

void filing_lang_q(http_req *rq, json_t *ctx)
{
    if (ctx && rq->lang == LANG_EN)
        json_object_set_new(ctx, "lang_q", json_string("?lang=en"));
}

json_t *filing_public_context(http_req *rq, int *cacheable)
{
    json_t *ctx = web_context_public(rq, cacheable);
    filing_lang_q(rq, ctx);
    return ctx;
}

/* ---- a stored request in words ---- */

static void add_answer(json_t *list, const char *label, const char *value)
{
    if (!value || !*value)
        return;
    json_t *o = json_object();
    present_set_str(o, "label", label);
    present_set_str(o, "value", value);
    json_array_append_new(list, o);
}

static void add_section(json_t *sections, const char *code, const char *label, json_t *answers)
{
    if (json_array_size(answers) == 0) {
        json_decref(answers);
        return;
    }
    json_t *s = json_object();
    present_set_str(s, "code", code);
    present_set_str(s, "label", label);
    json_object_set_new(s, "answers", answers);
    json_array_append_new(sections, s);
}

json_t *filing_request_sections(http_req *rq, const cat_tenant *t, const cat_procedure *p,
                                const store_request *r)
{
    lang l = rq->lang;
    const char *tz = t->rec.timezone;
    json_t *sections = json_array();
    json_t *answers = json_array();
    json_t *values = r->attributes ? json_loads(r->attributes, 0, NULL) : NULL;
    /* The labels of the form's version the request was filed under. */
    const attr_def *defs = NULL;
    size_t n_defs = 0;
    if (p)
        forms_at(rq->core, p, r->procedure_version, rq->arena, &defs, &n_defs);
    for (size_t i = 0; i < n_defs; i++) {
        const attr_def *d = &defs[i];
        json_t *v = d->variable ? json_object_get(values, d->code) : NULL;
        if (!v)
            continue;
        const char *text = NULL;
        int has_pos;
        double lat, lon;
        if (d->type == ATTR_LOCATION) {
            /* The place in words, as the report's below. */
            text = attr_location_of(v, &has_pos, &lat, &lon);
        } else if (json_is_array(v)) {
            buf b;
            buf_init(&b, 16 * 1024);
            size_t k;
            json_t *item;
            json_array_foreach(v, k, item)
            {
                if (!json_is_string(item))
                    continue;
                if (b.len)
                    buf_puts(&b, ", ");
                buf_puts(&b, attr_value_name(d, json_string_value(item), l));
            }
            text = arena_strdup(rq->arena, buf_cstr(&b));
            buf_free(&b);
        } else if (json_is_string(v)) {
            text = json_string_value(v);
            int64_t when;
            const char *day;
            if (d->type == ATTR_SINGLEVALUELIST)
                text = attr_value_name(d, text, l);
            else if (d->type == ATTR_DATETIME && time_parse_rfc3339(text, &when) == 0)
                text = filing_datetime(rq->arena, when, tz, l);
            else if (d->type == ATTR_DATE && (day = present_day(rq->arena, l, text)) != NULL)
                text = day;
            text = arena_strdup(rq->arena, text);
        }
        add_answer(answers, attr_label(d, l), text);
    }
    json_decref(values);
    add_answer(answers, present_string(rq->present, l, "procedure.description"), r->description);
    add_section(sections, "answers", present_string(rq->present, l, "procedure.section_answers"),
                answers);

    answers = json_array();
    /* The place in words: degrees are not something a citizen reads. */
    add_answer(answers, present_string(rq->present, l, "procedure.address"),
               r->address && *r->address ? r->address
               : r->has_location ? present_string(rq->present, l, "procedure.position_on_map")
                                 : NULL);
    add_section(sections, "location", present_string(rq->present, l, "procedure.step_location"),
                answers);

    answers = json_array();
    add_answer(answers, present_string(rq->present, l, "procedure.first_name"), r->first_name);
    add_answer(answers, present_string(rq->present, l, "procedure.last_name"), r->last_name);
    add_answer(answers, present_string(rq->present, l, "procedure.email"), r->email);
    add_answer(answers, present_string(rq->present, l, "procedure.phone"), r->phone);
    if (r->notify && *r->notify) {
        const char *key = strcmp(r->notify, "sms") == 0    ? "procedure.notify_sms"
                          : strcmp(r->notify, "none") == 0 ? "procedure.notify_none"
                                                           : "procedure.notify_email";
        add_answer(answers, present_string(rq->present, l, "procedure.notify"),
                   present_string(rq->present, l, key));
    }
    add_section(sections, "contact", present_string(rq->present, l, "procedure.section_contact"),
                answers);
    return sections;
}
