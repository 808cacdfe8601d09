/*
 * filing — the citizens' front door: the home page (the commune, a search over procedures,
 * the catalogue by group, the citizen's latest requests), the confirmation shown after
 * filing and its printable receipt, the accessibility statement and the legal notices, and
 * the per-tenant colour sheet. The procedure forms themselves are in filing_form.c.
 * Pages the same for every anonymous visitor are marked cacheable; pages holding a CSRF
 * token or a citizen's data never are.
 */
#include <stdlib.h>
#include <string.h>

#include "core/attachment.h"
#include "core/branding.h"
#include "core/request.h"
#include "core/short_code.h"
#include "present/icons.h"
#include "util/collate.h"
#include "util/log.h"
#include "util/utf8.h"
#include "web/portal/filing_internal.h"
#include "web/portal/portal.h"
#include "web/web.h"

#define SEARCH_MAX_BYTES 200 /* a longer query is cut: nobody types more to find a form */
#define MY_REQUESTS_ON_HOME 5
#define MOST_USED_ON_HOME 3 /* the first screen's shortcuts, beside «Signaler un problème» */
#define MOST_USED_DAYS 90   /* "most used": requests filed over this many days */

static lang page_lang(http_req *rq)
{
    return rq->lang == LANG_EN ? LANG_EN : LANG_FR;
}

static void fail_internal(http_req *rq, const char *what)
{
    error e;
    error_set(&e, ERR_INTERNAL, NULL, "%s", what);
    web_write_error(rq, &e);
}

/* ---- home ---- */

/* "État civil" -> "etat-civil": an id for the group's heading. */
static const char *group_slug(arena *a, const char *name)
{
    char *s = filing_fold(a, name);
    if (!s)
        return "groupe";
    for (char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            *c = '-';
    return s;
}

/* A procedure with its sort keys for the catalogue. */
typedef struct listed {
    const store_procedure *p;
    int rank;          /* 0: a group holding incident reports («Signaler un problème») */
    const char *group; /* folded */
    const char *name;  /* folded */
} listed;

static int cmp_listed(const void *x, const void *y)
{
    const listed *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank - b->rank;
    int c = strcmp(a->group, b->group);
    return c ? c : strcmp(a->name, b->name);
}

/* The icon of the group that starts at l[first] (sorted): the one its procedures share, else
 * the default of the kind the group is listed as (reports or démarches). */
static const char *group_icon(const listed *l, size_t n, size_t first)
{
    const char *icon = icons_of(l[first].p);
    for (size_t i = first + 1; i < n && strcmp(l[i].group, l[first].group) == 0; i++)
        if (strcmp(icons_of(l[i].p), icon) != 0)
            return icons_kind_default(l[first].rank == 0 ? PROCEDURE_INCIDENT : PROCEDURE_DEMARCHE);
    return icon;
}

/* The catalogue grouped by group — incident reports first, then the other groups and the
 * procedures in alphabetical order ignoring accents — only the procedures matching the
 * folded query when given; *count the number of procedures listed. */
static json_t *catalogue_groups(http_req *rq, const cat_tenant *t, const char *fq, size_t *count)
{
    arena *a = rq->arena;
    json_t *groups = json_array();
    *count = 0;
    listed *l = arena_alloc(a, (t->n_procedures + 1) * sizeof *l);
    if (!l)
        return groups;
    size_t n = 0;
    for (size_t i = 0; i < t->n_procedures; i++) {
        const store_procedure *p = &t->procedures[i].rec;
        if (!p->active)
            continue;
        const char *group = p->group_name ? p->group_name : "";
        if (fq && *fq) {
            const char *hay =
                filing_fold(a, arena_printf(a, "%s %s %s %s", p->name ? p->name : "",
                                            p->keywords ? p->keywords : "",
                                            p->description ? p->description : "", group));
            if (!hay || !filing_matches(fq, hay))
                continue;
        }
        l[n] = (listed){p, 1, filing_fold(a, group), filing_fold(a, p->name)};
        if (!l[n].group || !l[n].name)
            return groups;
        n++;
    }
    /* A group ranks first when it holds an incident procedure. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (l[j].p->kind == PROCEDURE_INCIDENT && strcmp(l[i].group, l[j].group) == 0)
                l[i].rank = 0;
    qsort(l, n, sizeof *l, cmp_listed);
    json_t *current = NULL;
    const char *current_group = NULL;
    for (size_t i = 0; i < n; i++) {
        const store_procedure *p = l[i].p;
        if (!current_group || strcmp(current_group, l[i].group) != 0) {
            json_t *g = json_object();
            const char *group =
                p->group_name && *p->group_name
                    ? p->group_name
                    : present_string(rq->present, page_lang(rq), "home.catalogue_title");
            present_set_str(g, "name", group);
            present_set_str(g, "slug", group_slug(a, group));
            present_set_str(g, "icon", group_icon(l, n, i));
            current = json_array();
            json_object_set_new(g, "procedures", current);
            json_array_append_new(groups, g);
            current_group = l[i].group;
        }
        json_t *o = json_object();
        present_set_str(o, "code", p->code);
        present_set_str(o, "name", web_in_lang(rq, p->name, p->name_en));
        present_set_str(o, "icon", icons_of(p));
        present_set_str(o, "description", web_in_lang(rq, p->description, p->description_en));
        json_array_append_new(current, o);
        (*count)++;
    }
    return groups;
}

/* An active procedure with the requests it received lately, for the first screen. */
typedef struct used {
    const store_procedure *p;
    const char *name; /* as shown, in the page's language */
    int64_t n;
} used;

static int cmp_used(const void *x, const void *y)
{
    const used *a = x, *b = y;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return collate_fr(a->name, strlen(a->name), b->name, strlen(b->name));
}

/* The MOST_USED_ON_HOME active procedures that received the most requests over the last
 * MOST_USED_DAYS days, ties and procedures without any in French alphabetical order, so
 * that a new collectivité's first screen still offers three. The counts are the store's
 * kept per-day sums: a few hundred rows whatever the number of requests. */
static json_t *most_used(http_req *rq, const cat_tenant *t)
{
    arena *a = rq->arena;
    json_t *list = json_array();
    store_procedure_count *counts = NULL;
    size_t n_counts = 0;
    error e;
    if (request_procedure_counts(rq->core, t, MOST_USED_DAYS, a, &counts, &n_counts, &e) != 0) {
        log_warn("home: the procedures' counts could not be read: %s", e.detail);
        n_counts = 0;
    }
    used *u = arena_alloc(a, (t->n_procedures + 1) * sizeof *u);
    if (!u)
        return list;
    size_t n = 0;
    for (size_t i = 0; i < t->n_procedures; i++) {
        const store_procedure *p = &t->procedures[i].rec;
        if (!p->active)
            continue;
        u[n] = (used){p, web_in_lang(rq, p->name, p->name_en), 0};
        for (size_t j = 0; j < n_counts; j++)
            if (counts[j].procedure_id == p->id)
                u[n].n = counts[j].n;
        n++;
    }
    qsort(u, n, sizeof *u, cmp_used);
    for (size_t i = 0; i < n && i < MOST_USED_ON_HOME; i++) {
        json_t *o = json_object();
        present_set_str(o, "code", u[i].p->code);
        present_set_str(o, "name", u[i].name);
        present_set_str(o, "icon", icons_of(u[i].p));
        json_array_append_new(list, o);
    }
    return list;
}

/* The citizen's latest requests: filed from the account, or with its verified address. */
static json_t *my_requests(http_req *rq, const cat_tenant *t, const store_account *acc)
{
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = t->rec.id;
    request_filter_owned_by(&f, acc);
    f.limit = MY_REQUESTS_ON_HOME;
    store_request *list = NULL;
    size_t n = 0;
    error e;
    json_t *obj = json_object();
    json_t *items = json_array();
    if (request_search(rq->core, &f, rq->arena, &list, &n, &e) != 0) {
        log_warn("home: the citizen's requests could not be read: %s", e.detail);
        n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const cat_procedure *p = catalogue_procedure_by_id(t, list[i].procedure_id);
        json_t *o = json_object();
        present_set_str(o, "reference", list[i].reference);
        present_set_str(o, "procedure", web_procedure_name(rq, p));
        present_set_str(o, "icon", web_procedure_icon(p));
        present_set_str(
            o, "date",
            filing_date_long(rq->arena, list[i].created_at, t->rec.timezone, page_lang(rq)));
        web_set_status(rq, o, p, list[i].status, page_lang(rq), WEB_CITIZEN);
        json_array_append_new(items, o);
    }
    json_object_set_new(obj, "has_items", json_boolean(n > 0));
    json_object_set_new(obj, "items", items);
    return obj;
}

static void home(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    lang l = page_lang(rq);
    int cacheable;
    json_t *ctx = filing_public_context(rq, &cacheable);
    if (!ctx) {
        fail_internal(rq, "out of memory");
        return;
    }
    const char *q = form_get(&rq->query, "q");
    if (q) {
        size_t len = utf8_prefix_bytes(q, strlen(q), SEARCH_MAX_BYTES);
        q = arena_strndup(rq->arena, q, len);
    }
    const char *fq = q ? filing_fold(rq->arena, q) : NULL;
    int searching = 0;
    for (const char *c = fq; c && *c && !searching; c++)
        searching =
            (unsigned char)*c >= 0x80 || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
    size_t count = 0;
    json_object_set_new(ctx, "groups", catalogue_groups(rq, t, searching ? fq : NULL, &count));
    if (!searching) {
        json_t *used_list = most_used(rq, t);
        json_object_set_new(ctx, "has_most_used", json_boolean(json_array_size(used_list) > 0));
        json_object_set_new(ctx, "most_used", used_list);
        json_t *report = json_object();
        present_set_str(report, "icon", icons_kind_default(PROCEDURE_INCIDENT));
        json_object_set_new(ctx, "report", report);
    }
    present_set_str(ctx, "q", q ? q : "");
    present_set_str(ctx, "title",
                    searching ? present_string(rq->present, l, "home.results_title")
                              : present_string(rq->present, l, "home.title"));
    if (searching) {
        json_object_set_new(ctx, "searching", json_true());
        char n[24];
        snprintf(n, sizeof n, "%zu", count);
        const char *text =
            count == 0 ? present_string(rq->present, l, "home.result_none")
            : count == 1
                ? present_string(rq->present, l, "home.result_one")
                : filing_subst1(rq->arena, present_string(rq->present, l, "home.result_many"), "n",
                                n);
        present_set_str(ctx, "result_text", text);
    }
    store_account acc;
    if (json_object_get(ctx, "user") && web_account(rq, &acc))
        json_object_set_new(ctx, "my_requests", my_requests(rq, t, &acc));
    if (cacheable)
        http_cacheable(rq);
    web_render(rq, 200, "home", ctx);
}

/* ---- the collectivité's colours ---- */

/* colour when it is "#rrggbb", else fallback: nothing else may reach a style sheet (core
 * checked it when it was written; this is the last door before CSS). */
static const char *css_colour(const char *colour, const char *fallback)
{
    unsigned rgb[3];
    return branding_colour_parse(colour, rgb) == 0 ? colour : fallback;
}

/* GET /theme.css: the custom properties of guichet.css set from the collectivité's colours
 * (docs/ui.md). A style sheet of its own rather than inline styles: the Content-Security-
 * Policy allows styles from this site only. */
static void theme_css(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    const char *primary = css_colour(t->branding.colour_primary, BRANDING_DEFAULT_PRIMARY);
    const char *secondary = css_colour(t->branding.colour_secondary, BRANDING_DEFAULT_SECONDARY);
    char dark[8];
    branding_colour_darker(primary, dark);
    buf_reset(&rq->out);
    buf_printf(&rq->out,
               ":root {\n  --brand: %s;\n  --brand-text: " BRANDING_TEXT_ON_COLOUR ";\n"
               "  --brand-dark: %s;\n  --brand-secondary: %s;\n}\n",
               primary, dark, secondary);
    http_cacheable(rq);
    http_respond(rq, 200, "text/css; charset=utf-8");
}

/* GET /logo.png: the collectivité's logo, a PNG guichet encoded itself. Its URL carries the
 * logo's hash (?v=), so a browser may keep it for a year: a new logo has a new URL. */
static void logo_png(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_logo logo;
    int found = 0;
    error e;
    error_clear(&e);
    if (branding_logo_get(rq->core, t->rec.id, rq->arena, &logo, &found, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }
    if (!found) {
        error_set(&e, ERR_NOT_FOUND, NULL, "no logo");
        web_write_error(rq, &e);
        return;
    }
    const char *v = form_get(&rq->query, "v");
    http_add_header(rq, "Cache-Control",
                    v && logo.hash && strcmp(v, logo.hash) == 0
                        ? "public, max-age=31536000, immutable"
                        : "no-cache");
    buf_reset(&rq->out);
    buf_append(&rq->out, logo.data, logo.size);
    http_respond(rq, 200, "image/png");
}

/* ---- confirmation and receipt ---- */

/* The request named in the path whose tracking token is ?jeton=; otherwise answers 404
 * (the same page whether the reference or the token is wrong) and returns -1. */
static int load_request(http_req *rq, const cat_tenant *t, store_request *r,
                        const cat_procedure **p, const char **token)
{
    error e;
    error_clear(&e);
    *token = form_get(&rq->query, "jeton");
    int found = *token && **token && request_get(rq->core, t, rq->params[0], rq->arena, r, &e) == 0;
    if (!found && e.code != ERR_NONE && e.code != ERR_NOT_FOUND) {
        web_write_error(rq, &e); /* storage trouble, not a wrong link */
        return -1;
    }
    if (!found || !request_token_matches(rq->core, r, *token)) {
        error_set(&e, ERR_NOT_FOUND, NULL, "no request with this reference and token");
        web_write_error(rq, &e);
        return -1;
    }
    *p = catalogue_procedure_by_id(t, r->procedure_id);
    return 0;
}

/* Common fields of the confirmation and the receipt. */
static json_t *request_context(http_req *rq, const cat_tenant *t, const store_request *r,
                               const cat_procedure *p, const char *token, const char *page)
{
    arena *a = rq->arena;
    json_t *ctx = web_context(rq);
    if (!ctx)
        return NULL;
    filing_lang_q(rq, ctx);
    const char *ref = filing_url_encode(a, r->reference);
    const char *tok = filing_url_encode(a, token);
    /* The short code, shown again only when the link carries it and it is the request's
     * (the token already opened the page: this says nothing its holder could not see). */
    const char *code = form_get(&rq->query, "code");
    const char *code_q = "";
    char canonical[SHORT_CODE_LEN + 1];
    if (code && short_code_normalise(code, canonical) == 0 &&
        request_short_code_matches(rq->core, r, canonical)) {
        char shown[SHORT_CODE_DISPLAY_SIZE];
        short_code_format(canonical, shown);
        present_set_str(ctx, "short_code", shown);
        present_set_str(ctx, "lookup_url", arena_printf(a, "%s/suivi", http_base_url(rq, t)));
        code_q = arena_printf(a, "&code=%s", canonical);
    }
    present_set_str(ctx, "reference", r->reference);
    present_set_str(ctx, "procedure_name", web_procedure_name(rq, p));
    present_set_str(ctx, "track_path", arena_printf(a, "/suivi/%s?jeton=%s", ref, tok));
    present_set_str(ctx, "receipt_path", arena_printf(a, "/recu/%s?jeton=%s%s", ref, tok, code_q));
    present_set_str(ctx, "lang_switch_url",
                    arena_printf(a, "/%s/%s?jeton=%s%s&lang=%s", page, ref, tok, code_q,
                                 page_lang(rq) == LANG_EN ? "fr" : "en"));
    /* The token is in the URL: keep the page out of shared caches and browser history
     * caches. */
    http_add_header(rq, "Cache-Control", "no-store");
    return ctx;
}

static void confirmation(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_request r;
    const cat_procedure *p;
    const char *token;
    if (load_request(rq, t, &r, &p, &token) != 0)
        return;
    lang l = page_lang(rq);
    json_t *ctx = request_context(rq, t, &r, p, token, "confirmation");
    if (!ctx) {
        fail_internal(rq, "out of memory");
        return;
    }
    present_set_str(ctx, "title", present_string(rq->present, l, "procedure.confirmation_title"));
    if (web_procedure_notice(rq, p))
        present_set_str(ctx, "service_notice", web_procedure_notice(rq, p));
    int64_t due = r.due_at;
    if (!due)
        due = request_due_at(t, p, r.created_at);
    if (due)
        present_set_str(ctx, "due_date", filing_date_long(rq->arena, due, t->rec.timezone, l));
    if (r.email && *r.email)
        present_set_str(ctx, "email", r.email);
    present_set_str(ctx, "track_url",
                    arena_printf(rq->arena, "%s%s", http_base_url(rq, t),
                                 json_string_value(json_object_get(ctx, "track_path"))));
    web_render(rq, 200, "confirmation", ctx);
}

static void receipt(http_req *rq)
{
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    store_request r;
    const cat_procedure *p;
    const char *token;
    if (load_request(rq, t, &r, &p, &token) != 0)
        return;
    lang l = page_lang(rq);
    json_t *ctx = request_context(rq, t, &r, p, token, "recu");
    if (!ctx) {
        fail_internal(rq, "out of memory");
        return;
    }
    present_set_str(ctx, "title",
                    arena_printf(rq->arena, "%s %s",
                                 present_string(rq->present, l, "procedure.receipt_title"),
                                 r.reference));
    present_set_str(ctx, "created", filing_datetime(rq->arena, r.created_at, t->rec.timezone, l));
    web_set_status(rq, ctx, p, r.status, l, WEB_CITIZEN);
    json_object_set_new(ctx, "sections", filing_request_sections(rq, t, p, &r));
    store_attachment *atts = NULL;
    size_t n_atts = 0;
    error e;
    if (attachment_list(rq->core, t->rec.id, r.id, rq->arena, &atts, &n_atts, &e) != 0) {
        log_warn("receipt: attachments of %s could not be listed: %s", r.reference, e.detail);
        n_atts = 0;
    }
    if (n_atts)
        json_object_set_new(ctx, "n_attachments", json_integer((json_int_t)n_atts));
    web_render(rq, 200, "receipt", ctx);
}

/* ---- information pages ---- */

/* An information page; extra (may be NULL) adds what the page shows besides its strings. */
static void info_page(http_req *rq, const char *tmpl, const char *title_key,
                      void (*extra)(http_req *rq, json_t *ctx))
{
    if (!web_tenant(rq))
        return;
    int cacheable;
    json_t *ctx = filing_public_context(rq, &cacheable);
    if (!ctx) {
        fail_internal(rq, "out of memory");
        return;
    }
    present_set_str(ctx, "title", present_string(rq->present, page_lang(rq), title_key));
    if (extra)
        extra(rq, ctx);
    if (cacheable)
        http_cacheable(rq);
    web_render(rq, 200, tmpl, ctx);
}

static void accessibility(http_req *rq)
{
    info_page(rq, "pages/accessibilite", "pages.a11y_title", NULL);
}

/* The legal notice states how long each démarche's requests are kept: the same figures the
 * retention pass applies (core/retention.h), so that the page says what the software does. */
static void legal_retention(http_req *rq, json_t *ctx)
{
    const cat_tenant *t = rq->host_tenant;
    json_t *list = json_array();
    for (size_t i = 0; i < t->n_procedures; i++) {
        if (!t->procedures[i].rec.active)
            continue;
        json_t *o = json_object();
        present_set_str(o, "name", web_procedure_name(rq, &t->procedures[i]));
        json_object_set_new(o, "months", json_integer(t->procedures[i].rec.retention_months));
        json_array_append_new(list, o);
    }
    json_object_set_new(ctx, "retention", list);
    if (t->rec.archives_visa)
        json_object_set_new(ctx, "archives_visa", json_true());
}

static void legal(http_req *rq)
{
    info_page(rq, "pages/mentions-legales", "pages.legal_title", legal_retention);
}

const http_route portal_filing_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/", home},
    {HTTP_GET | HTTP_HEAD, "/theme.css", theme_css},
    {HTTP_GET | HTTP_HEAD, "/logo.png", logo_png},
    {HTTP_GET | HTTP_HEAD, "/demarches/{}", filing_form_get},
    {HTTP_POST | HTTP_ROUTE_FILES, "/demarches/{}", filing_form_post},
    {HTTP_GET | HTTP_HEAD, "/signaler", filing_report_get},
    {HTTP_POST | HTTP_ROUTE_FILES, "/signaler", filing_report_post},
    {HTTP_GET | HTTP_HEAD, "/confirmation/{}", confirmation},
    {HTTP_GET | HTTP_HEAD, "/recu/{}", receipt},
    {HTTP_GET | HTTP_HEAD, "/accessibilite", accessibility},
    {HTTP_GET | HTTP_HEAD, "/mentions-legales", legal},
    {0, NULL, NULL},
};
