/*
 * render — turns an outbox row into the texts of a message: the template context (params,
 * strings, collectivité), the subject, and the text and HTML parts rendered with util/tmpl.
 * Pure: the strings and templates are given, so tests render every template without a server.
 */
#include "channels/mail/mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/present.h"
#include "util/buf.h"

#define MAIL_RENDER_MAX (256 * 1024)
/* A broadcast's subject (150 characters, up to 4 bytes each) and a reference fit whole. */
#define MAIL_SUBJECT_MAX 1024

/* "2026-12-14T08:48:17+01:00" (core writes due dates in RFC 3339, local to the
 * collectivité) → "14 décembre 2026" / "14 December 2026". 0 when iso starts with a date. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int human_date(const char *iso, const char *lang_code, char *out, size_t size)
{
    if (!iso || strlen(iso) < 10 || iso[4] != '-' || iso[7] != '-' ||
        (iso[10] && iso[10] != 'T' && iso[10] != ' '))
        return -1;
    int y = digits(iso, 4), mo = digits(iso + 5, 2), d = digits(iso + 8, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    int en = lang_code && strcmp(lang_code, "en") == 0;
    snprintf(out, size, "%d%s %s %d", d, !en && d == 1 ? "er" : "",
             present_month_name(en ? LANG_EN : LANG_FR, mo), y);
    return 0;
}

/* strings.mail.<name>.subject, or NULL. */
static const char *subject_string(json_t *strings, const char *template_name)
{
    json_t *mail = json_object_get(strings, "mail");
    json_t *section = json_object_get(mail, template_name);
    return json_string_value(json_object_get(section, "subject"));
}

json_t *mail_context(const char *template_name, json_t *params, json_t *strings,
                     const char *lang_code, const char *tenant_name, const char *tenant_contact)
{
    json_t *ctx = json_is_object(params) ? json_deep_copy(params) : json_object();
    if (!ctx)
        return NULL;
    char date[64];
    if (human_date(json_string_value(json_object_get(ctx, "due_date")), lang_code, date,
                   sizeof date) == 0 &&
        json_object_set_new(ctx, "due_date", json_string(date)) != 0) {
        json_decref(ctx);
        return NULL;
    }
    const char *title = subject_string(strings, template_name);
    if (!title || !*title)
        title = tenant_name && *tenant_name ? tenant_name : template_name;
    /* A broadcast's subject is its author's, given in params (read before ctx's "subject"
     * is replaced below, which frees it). */
    const char *own = json_string_value(json_object_get(ctx, "subject"));
    const char *base = own && *own ? own : title;
    const char *ref = json_string_value(json_object_get(ctx, "reference"));
    char subject[MAIL_SUBJECT_MAX];
    if (ref && *ref)
        snprintf(subject, sizeof subject, "%s – %s", base, ref);
    else
        snprintf(subject, sizeof subject, "%s", base);
    json_t *tenant = json_pack("{s:s, s:s?}", "name", tenant_name ? tenant_name : "", "contact",
                               tenant_contact && *tenant_contact ? tenant_contact : NULL);
    if (!tenant || json_object_set_new(ctx, "tenant", tenant) != 0 ||
        json_object_set(ctx, "t", strings ? strings : json_null()) != 0 ||
        json_object_set_new(ctx, "lang", json_string(lang_code && *lang_code ? lang_code : "fr")) !=
            0 ||
        json_object_set_new(ctx, "subject", json_string(subject)) != 0 ||
        json_object_set_new(ctx, "title", json_string(title)) != 0) {
        json_decref(ctx);
        return NULL;
    }
    return ctx;
}

/* Blank lines left by sections that rendered nothing: at most one empty line in a row, none
 * at the start, exactly one newline at the end. Trailing spaces stay ("-- " is the RFC 3676
 * signature separator). */
static void tidy_text(char *s)
{
    if (!*s)
        return;
    char *w = s;
    int newlines = 2; /* drops leading blank lines */
    for (const char *r = s; *r; r++) {
        if (*r == '\n') {
            if (++newlines > 2)
                continue;
        } else {
            newlines = 0;
        }
        *w++ = *r;
    }
    while (w > s && w[-1] == '\n')
        w--;
    *w++ = '\n';
    *w = '\0';
}

int mail_render(const tmpl_set *set, const char *template_name, json_t *ctx, char **text,
                char **html, error *err)
{
    *text = NULL;
    *html = NULL;
    int rc = -1;
    char name[96];
    buf out;
    buf_init(&out, MAIL_RENDER_MAX);
    snprintf(name, sizeof name, "mail/%s.txt", template_name);
    if (!tmpl_has(set, name)) {
        error_set(err, ERR_NOT_FOUND, "template", "no mail template %s", name);
        goto cleanup;
    }
    if (tmpl_render(set, name, ctx, &out, err) != 0)
        goto cleanup;
    if (!(*text = buf_steal(&out, NULL))) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory rendering %s", name);
        goto cleanup;
    }
    mail_unescape_text(*text);
    tidy_text(*text);
    snprintf(name, sizeof name, "mail/%s", template_name);
    if (tmpl_has(set, name)) {
        buf_reset(&out);
        if (tmpl_render(set, name, ctx, &out, err) != 0)
            goto cleanup;
        if (!(*html = buf_steal(&out, NULL))) {
            error_set(err, ERR_INTERNAL, NULL, "out of memory rendering %s", name);
            goto cleanup;
        }
    }
    rc = 0;
cleanup:
    buf_free(&out);
    if (rc != 0) {
        free(*text);
        *text = NULL;
    }
    return rc;
}
