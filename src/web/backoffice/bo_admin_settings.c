/*
 * bo_admin_settings — the collectivité's own settings under /agent/admin/collectivite, for
 * admins: its name and contact text, colours, opening hours, contact details and map centre
 * (one form, checked by core's branding_check so that every wrong field is named at once,
 * and written by branding_settings_set_as with its "admin" audit entry in one job), its logo
 * (a form of its own, since a file input cannot be given back with the form's errors), and
 * a preview of the header with the colours typed («Prévisualiser»), and the calendar of public
 * holidays its delays are counted with (national or Alsace-Moselle). Pages wait for the write
 * with their connection suspended.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/branding.h"
#include "present/tenant.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/collectivite"
#define PREVIEW_CSS TAB "/apercu.css"

/* The fields of the settings form, in their order on the page. */
static const char *const text_fields[] = {
    "name",
    "contact",
    "colour_primary",
    "colour_secondary",
    "hours_notes",
    "address",
    "phone",
    "email",
    "website",
    "map_lat",
    "map_lon",
    "map_zoom",
    "publication_director",
    "dpo",
    "host",
    "holidays",
};
static const char *const day_fields[HOURS_DAYS] = {"hours_0", "hours_1", "hours_2", "hours_3",
                                                   "hours_4", "hours_5", "hours_6"};

/* The form's values as stored, for the first display. */
static void values_of_tenant(bo_page *p, const cat_tenant *t)
{
    const store_branding *b = &t->branding;
    bo_page_value(p, "name", t->rec.name);
    bo_page_value(p, "contact", t->rec.contact);
    bo_page_value(p, "colour_primary", b->colour_primary);
    bo_page_value(p, "colour_secondary", b->colour_secondary);
    bo_page_value(p, "hours_notes", b->hours_notes);
    bo_page_value(p, "address", b->address);
    bo_page_value(p, "phone", b->phone);
    bo_page_value(p, "email", b->email);
    bo_page_value(p, "website", b->website);
    bo_page_value(p, "publication_director", b->publication_director);
    bo_page_value(p, "dpo", b->dpo);
    bo_page_value(p, "host", b->host);
    bo_page_value(p, "holidays",
                  b->holidays ? BRANDING_HOLIDAYS_ALSACE_MOSELLE : BRANDING_HOLIDAYS_NATIONAL);
    if (b->has_map) {
        char num[32];
        snprintf(num, sizeof num, "%.6f", b->map_lat);
        bo_page_value(p, "map_lat", num);
        snprintf(num, sizeof num, "%.6f", b->map_lon);
        bo_page_value(p, "map_lon", num);
        snprintf(num, sizeof num, "%d", b->map_zoom);
        bo_page_value(p, "map_zoom", num);
    }
    hours_week w;
    if (hours_parse(b->hours, &w) != 0)
        memset(&w, 0, sizeof w);
    for (int d = 0; d < HOURS_DAYS; d++) {
        char day[HOURS_DAY_INPUT_MAX + 1];
        hours_day_format(&w.day[d], day, sizeof day);
        bo_page_value(p, day_fields[d], day);
    }
}

static void values_of_form(bo_page *p, const form *f)
{
    for (size_t i = 0; i < sizeof text_fields / sizeof text_fields[0]; i++)
        bo_page_value(p, text_fields[i], bo_admin_field(f, text_fields[i]));
    for (int d = 0; d < HOURS_DAYS; d++)
        bo_page_value(p, day_fields[d], bo_admin_field(f, day_fields[d]));
}

static void input_of_form(const form *f, branding_input *in)
{
    memset(in, 0, sizeof *in);
    in->name = bo_admin_field(f, "name");
    in->contact = bo_admin_field(f, "contact");
    in->colour_primary = bo_admin_field(f, "colour_primary");
    in->colour_secondary = bo_admin_field(f, "colour_secondary");
    for (int d = 0; d < HOURS_DAYS; d++)
        in->hours_day[d] = bo_admin_field(f, day_fields[d]);
    in->hours_notes = bo_admin_field(f, "hours_notes");
    in->address = bo_admin_field(f, "address");
    in->phone = bo_admin_field(f, "phone");
    in->email = bo_admin_field(f, "email");
    in->website = bo_admin_field(f, "website");
    in->map_lat = bo_admin_field(f, "map_lat");
    in->map_lon = bo_admin_field(f, "map_lon");
    in->map_zoom = bo_admin_field(f, "map_zoom");
    in->publication_director = bo_admin_field(f, "publication_director");
    in->dpo = bo_admin_field(f, "dpo");
    in->host = bo_admin_field(f, "host");
    in->holidays = bo_admin_field(f, "holidays");
}

/* The ratio as the language writes it, cut (never rounded up: 4.47 is not 4.5). */
static void ratio_words(lang l, double ratio, char out[16])
{
    snprintf(out, 16, "%.1f", floor(ratio * 10) / 10);
    if (l == LANG_FR)
        for (char *c = out; *c; c++)
            if (*c == '.')
                *c = ',';
}

/* One problem of branding_check as a sentence of the page's language. */
static void problem_error(bo_page *p, const form *f, const branding_problem *pb)
{
    static const char *const hours_keys[] = {
        [HOURS_SYNTAX] = "admin.branding.error_hours_syntax",
        [HOURS_TIME] = "admin.branding.error_hours_time",
        [HOURS_BACKWARD] = "admin.branding.error_hours_backward",
        [HOURS_OVERLAP] = "admin.branding.error_hours_overlap",
        [HOURS_TOO_MANY] = "admin.branding.error_hours_too_many",
    };
    char msg[600], tmp[600], num[32];
    switch (pb->kind) {
    case BRANDING_REQUIRED:
        bo_page_error_key(p, pb->field, "admin.branding.error_name");
        return;
    case BRANDING_BAD_TEXT:
        bo_page_error_key(p, pb->field, "admin.branding.error_text");
        return;
    case BRANDING_TOO_LONG:
        snprintf(num, sizeof num, "%zu", branding_field_max(pb->field));
        present_fill(msg, sizeof msg, bo_page_str(p, "admin.branding.error_too_long"), "max", num);
        break;
    case BRANDING_BAD_COLOUR:
        bo_page_error_key(p, pb->field, "admin.branding.error_colour");
        return;
    case BRANDING_LOW_CONTRAST:
        ratio_words(p->l, pb->ratio, num);
        present_fill(tmp, sizeof tmp,
                     bo_page_str(p, strcmp(pb->field, "colour_primary") == 0
                                        ? "admin.branding.error_contrast_primary"
                                        : "admin.branding.error_contrast_secondary"),
                     "ratio", num);
        present_fill(msg, sizeof msg, tmp, "colour", bo_admin_field(f, pb->field));
        break;
    case BRANDING_BAD_HOURS: {
        char key[32];
        snprintf(key, sizeof key, "hours.day_%c", pb->field[6]);
        const char *pattern = pb->hours > HOURS_OK && pb->hours <= HOURS_TOO_MANY
                                  ? bo_page_str(p, hours_keys[pb->hours])
                                  : bo_page_str(p, hours_keys[HOURS_SYNTAX]);
        present_fill(msg, sizeof msg, pattern, "day", bo_page_str(p, key));
        break;
    }
    case BRANDING_BAD_PHONE:
        bo_page_error_key(p, pb->field, "admin.branding.error_phone");
        return;
    case BRANDING_BAD_EMAIL:
        bo_page_error_key(p, pb->field, "admin.branding.error_email");
        return;
    case BRANDING_BAD_WEBSITE:
        bo_page_error_key(p, pb->field, "admin.branding.error_website");
        return;
    case BRANDING_BAD_MAP:
        snprintf(msg, sizeof msg, "admin.branding.error_%s", pb->field);
        bo_page_error_key(p, pb->field, msg);
        return;
    case BRANDING_MAP_PARTIAL:
        bo_page_error_key(p, pb->field, "admin.branding.error_map_partial");
        return;
    case BRANDING_BAD_HOLIDAYS:
        bo_page_error_key(p, pb->field, "admin.branding.error_holidays");
        return;
    default:
        bo_page_error_key(p, pb->field, "admin.branding.error_text");
        return;
    }
    bo_page_error(p, pb->field, msg);
}

/* The header's preview: the saved settings, or the colours typed (`preview` given). Its
 * colours come from a style sheet of this site (PREVIEW_CSS), as the Content-Security-Policy
 * wants: no inline style. */
static void preview_set(bo_page *p, const char *primary, const char *secondary)
{
    unsigned rgb[3];
    const char *pc = branding_colour_parse(primary, rgb) == 0 ? primary : "";
    const char *sc = branding_colour_parse(secondary, rgb) == 0 ? secondary : "";
    char *href = arena_printf(p->rq->arena, PREVIEW_CSS "?primary=%%23%s&secondary=%%23%s",
                              *pc ? pc + 1 : "", *sc ? sc + 1 : "");
    bo_page_set(p, "extra_css", json_string(href ? href : PREVIEW_CSS));
}

/* ---- the form, as data ---- */

typedef struct field_spec {
    const char *name;
    const char *type; /* an input's type; NULL: a textarea */
    const char *inputmode;
    int required;
} field_spec;

#define FIELDS_MAX 8

/* The settings form's fieldsets, in order; a field's label is admin.branding.<name> and its
 * hint admin.branding.<name>_hint when that string exists (the days' labels are their
 * names, hours.day_N). */
static const struct {
    const char *id;
    field_spec fields[FIELDS_MAX];
} sections[] = {
    {"identity", {{"name", "text", NULL, 1}, {"contact", NULL, NULL, 0}}},
    {"colours", {{"colour_primary", "text", NULL, 0}, {"colour_secondary", "text", NULL, 0}}},
    {"hours",
     {{"hours_0", "text", NULL, 0},
      {"hours_1", "text", NULL, 0},
      {"hours_2", "text", NULL, 0},
      {"hours_3", "text", NULL, 0},
      {"hours_4", "text", NULL, 0},
      {"hours_5", "text", NULL, 0},
      {"hours_6", "text", NULL, 0},
      {"hours_notes", NULL, NULL, 0}}},
    {"contact_details",
     {{"address", NULL, NULL, 0},
      {"phone", "tel", NULL, 0},
      {"email", "email", NULL, 0},
      {"website", "url", NULL, 0}}},
    {"map",
     {{"map_lat", "text", "decimal", 0},
      {"map_lon", "text", "decimal", 0},
      {"map_zoom", "text", "numeric", 0}}},
    {"legal",
     {{"publication_director", NULL, NULL, 0}, {"dpo", NULL, NULL, 0}, {"host", NULL, NULL, 0}}},
};

/* The string `key` of the page, or NULL when there is none. */
static const char *optional_str(bo_page *p, const char *key)
{
    const char *s = key ? bo_page_str(p, key) : NULL;
    return s && strcmp(s, key) != 0 ? s : NULL;
}

/* One field for agent/admin/_field: every key set (false when unused), so that a field
 * never borrows its fieldset's hint through the templates' outward lookup. */
static json_t *field_json(bo_page *p, const field_spec *fs)
{
    json_t *o = json_object();
    arena *a = p->rq->arena;
    const char *label =
        strncmp(fs->name, "hours_", 6) == 0 && fs->name[6] >= '0' && fs->name[6] <= '6'
            ? bo_page_str(p, arena_printf(a, "hours.day_%c", fs->name[6]))
            : bo_page_str(p, arena_printf(a, "admin.branding.%s", fs->name));
    const char *hint = optional_str(p, arena_printf(a, "admin.branding.%s_hint", fs->name));
    json_t *err = json_object_get(p->field_errors, fs->name);
    json_t *val = json_object_get(p->values, fs->name);
    present_set_str(o, "name", fs->name);
    present_set_str(o, "label", label);
    json_object_set_new(o, "hint", hint ? json_string(hint) : json_false());
    json_object_set(o, "error", err ? err : json_false());
    json_object_set_new(o, "value", val ? json_incref(val) : json_string(""));
    json_object_set_new(o, "textarea", json_boolean(fs->type == NULL));
    present_set_str(o, "type", fs->type ? fs->type : "");
    json_object_set_new(o, "inputmode", fs->inputmode ? json_string(fs->inputmode) : json_false());
    json_object_set_new(o, "required", json_boolean(fs->required));
    const char *describedby = hint && err ? arena_printf(a, "%s-hint %s-error", fs->name, fs->name)
                              : hint      ? arena_printf(a, "%s-hint", fs->name)
                              : err       ? arena_printf(a, "%s-error", fs->name)
                                          : NULL;
    json_object_set_new(o, "describedby", describedby ? json_string(describedby) : json_false());
    return o;
}

static json_t *sections_json(bo_page *p)
{
    json_t *list = json_array();
    arena *a = p->rq->arena;
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        json_t *sec = json_object();
        present_set_str(sec, "id", sections[i].id);
        present_set_str(
            sec, "legend",
            bo_page_str(p, arena_printf(a, "admin.branding.%s_legend", sections[i].id)));
        const char *hint =
            optional_str(p, arena_printf(a, "admin.branding.%s_legend_hint", sections[i].id));
        json_object_set_new(sec, "hint", hint ? json_string(hint) : json_false());
        json_t *fields = json_array();
        for (size_t j = 0; j < FIELDS_MAX && sections[i].fields[j].name; j++)
            json_array_append_new(fields, field_json(p, &sections[i].fields[j]));
        json_object_set_new(sec, "fields", fields);
        json_array_append_new(list, sec);
    }
    return list;
}

/* The host names are shown, never edited here: they choose which collectivité a request
 * is for and build the links e-mailed to citizens, so an administrator of one collectivité
 * could otherwise take another's names. Only the server's administrator sets them
 * (`guichet tenant add`). */
static void branding_render(bo_page *p, int status)
{
    const cat_tenant *ct = p->rq->host_tenant;
    const store_tenant *t = &ct->rec;
    bo_page_set(p, "slug", json_string(t->slug));
    bo_page_set(p, "hosts", json_string(t->hosts ? t->hosts : ""));
    bo_page_set(p, "sections", sections_json(p));
    /* The calendar's radio buttons: the value typed or saved, else the national one. */
    const char *hol = json_string_value(json_object_get(p->values, "holidays"));
    bo_page_set(p, "holidays_alsace_moselle",
                json_boolean(hol && strcmp(hol, BRANDING_HOLIDAYS_ALSACE_MOSELLE) == 0));
    json_t *logo = json_object();
    json_t *tj = json_object_get(p->ctx, "tenant");
    const char *url = json_string_value(json_object_get(tj, "logo_url"));
    if (url && *url) {
        present_set_str(logo, "url", url);
        json_object_set(logo, "width", json_object_get(tj, "logo_width"));
        json_object_set(logo, "height", json_object_get(tj, "logo_height"));
    }
    bo_page_set(p, "logo", logo);
    char max[16];
    snprintf(max, sizeof max, "%d", BRANDING_LOGO_MAX_SIDE);
    bo_page_set(p, "logo_side", json_string(max));
    if (!json_object_get(p->ctx, "extra_css"))
        preview_set(p, ct->branding.colour_primary, ct->branding.colour_secondary);
    bo_page_render(p, status, "agent/admin/branding", bo_page_str(p, "admin.branding.title"));
}

static void branding_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    values_of_tenant(&p, rq->host_tenant);
    branding_render(&p, 200);
}

static void branding_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, TAB, "branding");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    if (w->err.code != ERR_INVALID_ARG) {
        bo_page_fail(&p, &w->err);
        return;
    }
    /* branding_check found nothing, so core's own refusal is about the name. */
    bo_page_error_key(&p, "name", "admin.branding.error_name");
    values_of_form(&p, &st->f);
    branding_render(&p, 400);
}

static void branding_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    bo_page p;
    if (bo_page_start(&p, rq, &a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    branding_input in;
    input_of_form(&f, &in);
    store_branding checked = {.tenant_id = rq->host_tenant->rec.id};
    branding_problem probs[BRANDING_PROBLEMS_MAX];
    const char *name = NULL, *contact = NULL;
    int n = branding_check(&in, rq->arena, &checked, &name, &contact, probs);
    if (n < 0) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        bo_page_fail(&p, &e);
        return;
    }
    for (int i = 0; i < n; i++)
        problem_error(&p, &f, &probs[i]);
    int previewing = *bo_admin_field(&f, "apercu") != '\0';
    if (previewing || n > 0) {
        /* The preview shows what was typed where it is right, what is saved elsewhere. */
        const store_branding *saved = &rq->host_tenant->branding;
        preview_set(&p, checked.colour_primary ? checked.colour_primary : saved->colour_primary,
                    checked.colour_secondary ? checked.colour_secondary : saved->colour_secondary);
        if (previewing && n == 0)
            bo_page_notice(&p, "info", bo_page_str(&p, "admin.branding.preview_notice"));
        values_of_form(&p, &f);
        branding_render(&p, n > 0 ? 400 : 200);
        return;
    }
    bo_page_discard(&p);
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    input_of_form(&st->f, &in);
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, branding_saved);
    int rc = branding_settings_set_as(rq->core, &st->who, &rq->host_tenant->rec, &in, rq->arena,
                                      http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- the logo ---- */

static void logo_saved(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, TAB, st->page ? "logo_removed" : "logo");
        return;
    }
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) == 0)
        bo_page_fail(&p, &w->err);
}

/* The settings page again with the logo's refusal, the other fields as saved. */
static void logo_refused(http_req *rq, const store_agent *a, const char *msg_key, int status)
{
    bo_page p;
    if (bo_page_start(&p, rq, a) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    bo_page_error_key(&p, "logo", msg_key);
    values_of_tenant(&p, rq->host_tenant);
    branding_render(&p, status);
}

static void logo_post(http_req *rq)
{
    static const char *const problem_keys[] = {
        [BRANDING_LOGO_EMPTY] = "admin.branding.error_logo_empty",
        [BRANDING_LOGO_TOO_BIG] = "admin.branding.error_logo_too_big",
        [BRANDING_LOGO_NOT_IMAGE] = "admin.branding.error_logo_not_image",
        [BRANDING_LOGO_SVG_UNSAFE] = "admin.branding.error_logo_svg",
        [BRANDING_LOGO_DAMAGED] = "admin.branding.error_logo_damaged",
        [BRANDING_LOGO_INFECTED] = "admin.branding.error_logo_infected",
        [BRANDING_LOGO_UNSCANNED] = "admin.branding.error_logo_unscanned",
    };
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_with_files(rq, &f, &files, &n_files) != 0)
        return;
    const http_file *file = NULL;
    for (size_t i = 0; i < n_files; i++)
        if (strcmp(files[i].field, "logo") == 0)
            file = &files[i];
    store_logo logo;
    branding_logo_problem problem = BRANDING_LOGO_EMPTY;
    error e;
    error_clear(&e);
    if (!file ||
        branding_logo_prepare(file->data, file->len, rq->arena, &logo, &problem, &e) != 0) {
        if (problem == BRANDING_LOGO_OK) { /* not the file's fault */
            bo_page p;
            if (bo_page_start(&p, rq, &a) == 0)
                bo_page_fail(&p, &e);
            return;
        }
        if (problem == BRANDING_LOGO_UNSCANNED)
            http_add_header(rq, "Retry-After", "30");
        logo_refused(rq, &a, problem_keys[problem], problem == BRANDING_LOGO_UNSCANNED ? 503 : 400);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    store_logo *kept = arena_alloc(rq->arena, sizeof *kept);
    if (!kept) {
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    *kept = logo;
    http_wait *w = http_wait_begin(rq, logo_saved);
    int rc =
        branding_logo_set_as(rq->core, &st->who, bo_admin_tenant(rq), kept, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void logo_remove_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    /* page set: logo_saved says «removed». */
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 1);
    if (!st)
        return;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, logo_saved);
    int rc =
        branding_logo_set_as(rq->core, &st->who, bo_admin_tenant(rq), NULL, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

/* ---- the preview's colours ---- */

/* GET PREVIEW_CSS?primary=%23rrggbb&secondary=%23rrggbb: the preview box's custom
 * properties. Only "#rrggbb" values reach the sheet; anything else keeps the default. */
static void preview_css(http_req *rq)
{
    store_agent a;
    if (!bo_admin(rq, &a))
        return;
    unsigned rgb[3];
    const char *primary = form_get(&rq->query, "primary");
    const char *secondary = form_get(&rq->query, "secondary");
    if (branding_colour_parse(primary, rgb) != 0)
        primary = BRANDING_DEFAULT_PRIMARY;
    if (branding_colour_parse(secondary, rgb) != 0)
        secondary = BRANDING_DEFAULT_SECONDARY;
    char dark[8];
    branding_colour_darker(primary, dark);
    buf_reset(&rq->out);
    buf_printf(
        &rq->out,
        ".brand-preview {\n  --brand: %s;\n  --brand-dark: %s;\n  --brand-secondary: %s;\n}\n",
        primary, dark, secondary);
    http_respond(rq, 200, "text/css; charset=utf-8");
}

const http_route bo_admin_settings_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, branding_get},
    {HTTP_POST, TAB, branding_post},
    {HTTP_POST | HTTP_ROUTE_FILES, TAB "/logo", logo_post},
    {HTTP_POST, TAB "/logo/supprimer", logo_remove_post},
    {HTTP_GET | HTTP_HEAD, PREVIEW_CSS, preview_css},
    {0, NULL, NULL},
};
