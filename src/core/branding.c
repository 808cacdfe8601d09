/*
 * branding — checks and writes a collectivité's branding and settings, and prepares its
 * logo (see branding.h).
 */
#include "core/branding.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <vips/vips.h>

#include "core/attachment.h"
#include "core/catalogue.h"
#include "core/change.h"
#include "core/outbox.h"
#include "store/store.h"
#include "util/log.h"
#include "util/text.h"

#define LOGO_MAX_PIXELS 50000000.0 /* refused before decoding: decompression bombs */
#define LOGO_HASH_BYTES 16

/* ---- colours ---- */

int branding_colour_parse(const char *s, unsigned rgb[3])
{
    if (!s || s[0] != '#' || strlen(s) != 7 || strspn(s + 1, "0123456789abcdefABCDEF") != 6)
        return -1;
    unsigned long v = strtoul(s + 1, NULL, 16);
    rgb[0] = (unsigned)(v >> 16) & 255;
    rgb[1] = (unsigned)(v >> 8) & 255;
    rgb[2] = (unsigned)v & 255;
    return 0;
}

/* WCAG 2.1's relative luminance of an sRGB colour. */
static double luminance(const unsigned rgb[3])
{
    double l[3];
    for (int i = 0; i < 3; i++) {
        double c = rgb[i] / 255.0;
        l[i] = c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
}

double branding_contrast(const char *a, const char *b)
{
    unsigned ca[3], cb[3];
    if (branding_colour_parse(a, ca) != 0 || branding_colour_parse(b, cb) != 0)
        return -1;
    double la = luminance(ca), lb = luminance(cb);
    return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

double branding_primary_contrast(const char *colour)
{
    double on = branding_contrast(colour, BRANDING_TEXT_ON_COLOUR);
    double in = branding_contrast(colour, BRANDING_LIGHT_BACKGROUND);
    return on < in ? on : in;
}

double branding_secondary_contrast(const char *colour)
{
    return branding_contrast(colour, BRANDING_TEXT_ON_COLOUR);
}

/* "#rrggbb", lowercase, into out[8]. */
static void colour_hex(const unsigned rgb[3], char out[8])
{
    snprintf(out, 8, "#%02x%02x%02x", (unsigned char)rgb[0], (unsigned char)rgb[1],
             (unsigned char)rgb[2]);
}

void branding_colour_darker(const char *colour, char out[8])
{
    unsigned c[3];
    if (branding_colour_parse(colour, c) != 0)
        branding_colour_parse(BRANDING_DEFAULT_PRIMARY, c);
    for (int i = 0; i < 3; i++)
        c[i] = c[i] * 3 / 4;
    colour_hex(c, out);
}

/* ---- checking what was typed ---- */

static const struct {
    const char *field;
    size_t max;
} text_max[] = {
    {"name", BRANDING_NAME_MAX},         {"contact", BRANDING_CONTACT_MAX},
    {"hours_notes", BRANDING_NOTES_MAX}, {"address", BRANDING_ADDRESS_MAX},
    {"phone", BRANDING_PHONE_MAX},       {"email", BRANDING_EMAIL_MAX},
    {"website", BRANDING_WEBSITE_MAX},   {"publication_director", BRANDING_LEGAL_MAX},
    {"dpo", BRANDING_LEGAL_MAX},         {"host", BRANDING_LEGAL_MAX},
};

size_t branding_field_max(const char *field)
{
    for (size_t i = 0; i < sizeof text_max / sizeof text_max[0]; i++)
        if (strcmp(text_max[i].field, field) == 0)
            return text_max[i].max;
    return 0;
}

typedef struct checker {
    arena *a;
    branding_problem *probs;
    int n;
    int oom;
} checker;

/* Records a problem; the problem (to complete), or NULL when there is no room left. */
static branding_problem *problem(checker *k, const char *field, branding_problem_kind kind)
{
    if (k->n >= BRANDING_PROBLEMS_MAX)
        return NULL;
    branding_problem *p = &k->probs[k->n++];
    memset(p, 0, sizeof *p);
    p->field = field;
    p->kind = kind;
    return p;
}

/* A text field: trimmed into *out (NULL when empty), or a problem. */
static void text(checker *k, const char *field, const char *in, int single_line, const char **out)
{
    *out = NULL;
    const char *v = NULL;
    switch (text_field(k->a, in, branding_field_max(field), &v)) {
    case TEXT_OK:
        if (single_line && strpbrk(v, "\r\n\t")) {
            problem(k, field, BRANDING_BAD_TEXT);
            return;
        }
        *out = v;
        return;
    case TEXT_EMPTY:
        return;
    case TEXT_BAD_CHARACTERS:
        problem(k, field, BRANDING_BAD_TEXT);
        return;
    case TEXT_TOO_LONG:
        problem(k, field, BRANDING_TOO_LONG);
        return;
    case TEXT_NO_MEMORY:
        k->oom = 1;
        return;
    }
}

static void colour(checker *k, const char *field, const char *in, int primary, const char **out)
{
    *out = NULL;
    const char *v = text_trim(k->a, in ? in : "");
    if (!v) {
        k->oom = 1;
        return;
    }
    if (!*v)
        return;
    char lower[8];
    unsigned rgb[3];
    /* «1f4e8c» without its '#' is what a colour picker's users often copy. */
    const char *hex = v[0] == '#' ? v : arena_printf(k->a, "#%s", v);
    if (!hex || branding_colour_parse(hex, rgb) != 0) {
        if (!hex)
            k->oom = 1;
        else
            problem(k, field, BRANDING_BAD_COLOUR);
        return;
    }
    colour_hex(rgb, lower);
    double ratio = primary ? branding_primary_contrast(lower) : branding_secondary_contrast(lower);
    if (ratio < BRANDING_MIN_CONTRAST) {
        branding_problem *p = problem(k, field, BRANDING_LOW_CONTRAST);
        if (p)
            p->ratio = ratio;
        return;
    }
    *out = arena_strdup(k->a, lower);
    if (!*out)
        k->oom = 1;
}

/* Digits, spaces, '.', '-', '(', ')' and one leading '+'; 4 to 20 digits. */
static int phone_ok(const char *s)
{
    int digits = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!(strchr(" .-()", *p) || (*p == '+' && p == s)))
            return 0;
    }
    return digits >= 4 && digits <= 20;
}

/* An absolute http(s) URL with a host, printable ASCII without blanks, quotes or angle
 * brackets: it becomes a link's href on every page. */
static int website_ok(const char *s)
{
    const char *rest = strncasecmp(s, "https://", 8) == 0  ? s + 8
                       : strncasecmp(s, "http://", 7) == 0 ? s + 7
                                                           : NULL;
    if (!rest || !*rest || *rest == '/' || *rest == '.')
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"'<>\\`", *p))
            return 0;
    return 1;
}

/* A decimal number with '.' or ',' as its point, within [lo, hi]. */
static int decimal(const char *s, double lo, double hi, double *out)
{
    char tmp[40];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    for (size_t i = 0; i <= n; i++)
        tmp[i] = s[i] == ',' ? '.' : s[i];
    if (strspn(tmp, "+-0123456789.") != n)
        return -1;
    char *end;
    double v = strtod(tmp, &end);
    if (*end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void map(checker *k, const branding_input *in, store_branding *out)
{
    const char *lat = text_trim(k->a, in->map_lat ? in->map_lat : "");
    const char *lon = text_trim(k->a, in->map_lon ? in->map_lon : "");
    const char *zoom = text_trim(k->a, in->map_zoom ? in->map_zoom : "");
    if (!lat || !lon || !zoom) {
        k->oom = 1;
        return;
    }
    int given = !!*lat + !!*lon + !!*zoom;
    if (given == 0)
        return;
    int bad = 0;
    double z = 0;
    if (*lat && decimal(lat, -90, 90, &out->map_lat) != 0) {
        problem(k, "map_lat", BRANDING_BAD_MAP);
        bad = 1;
    }
    if (*lon && decimal(lon, -180, 180, &out->map_lon) != 0) {
        problem(k, "map_lon", BRANDING_BAD_MAP);
        bad = 1;
    }
    if (*zoom && (decimal(zoom, 1, 19, &z) != 0 || z != floor(z))) {
        problem(k, "map_zoom", BRANDING_BAD_MAP);
        bad = 1;
    }
    if (bad)
        return;
    if (given < 3) {
        problem(k, !*lat ? "map_lat" : !*lon ? "map_lon" : "map_zoom", BRANDING_MAP_PARTIAL);
        return;
    }
    out->map_zoom = (int)z;
    out->has_map = 1;
}

static const char *const hours_fields[HOURS_DAYS] = {"hours_0", "hours_1", "hours_2", "hours_3",
                                                     "hours_4", "hours_5", "hours_6"};

int branding_check(const branding_input *in, arena *a, store_branding *out, const char **name,
                   const char **contact, branding_problem *probs)
{
    checker k = {a, probs, 0, 0};
    int64_t tenant_id = out->tenant_id;
    memset(out, 0, sizeof *out);
    out->tenant_id = tenant_id;
    text(&k, "name", in->name, 1, name);
    if (!*name && k.n == 0)
        problem(&k, "name", BRANDING_REQUIRED);
    text(&k, "contact", in->contact, 0, contact);
    colour(&k, "colour_primary", in->colour_primary, 1, &out->colour_primary);
    colour(&k, "colour_secondary", in->colour_secondary, 0, &out->colour_secondary);
    hours_week week;
    memset(&week, 0, sizeof week);
    for (int d = 0; d < HOURS_DAYS; d++) {
        hours_problem hp = hours_parse_day(in->hours_day[d], &week.day[d]);
        if (hp != HOURS_OK) {
            branding_problem *p = problem(&k, hours_fields[d], BRANDING_BAD_HOURS);
            if (p)
                p->hours = hp;
        }
    }
    char canonical[HOURS_CANONICAL_MAX + 1];
    hours_format(&week, canonical, sizeof canonical);
    if (*canonical && !(out->hours = arena_strdup(a, canonical)))
        k.oom = 1;
    text(&k, "hours_notes", in->hours_notes, 0, &out->hours_notes);
    text(&k, "address", in->address, 0, &out->address);
    text(&k, "phone", in->phone, 1, &out->phone);
    if (out->phone && !phone_ok(out->phone))
        problem(&k, "phone", BRANDING_BAD_PHONE);
    text(&k, "email", in->email, 1, &out->email);
    if (out->email && !outbox_email_ok(out->email))
        problem(&k, "email", BRANDING_BAD_EMAIL);
    text(&k, "website", in->website, 1, &out->website);
    if (out->website && !website_ok(out->website))
        problem(&k, "website", BRANDING_BAD_WEBSITE);
    map(&k, in, out);
    text(&k, "publication_director", in->publication_director, 0, &out->publication_director);
    text(&k, "dpo", in->dpo, 0, &out->dpo);
    text(&k, "host", in->host, 0, &out->host);
    const char *hol = in->holidays ? in->holidays : "";
    if (strcmp(hol, BRANDING_HOLIDAYS_ALSACE_MOSELLE) == 0)
        out->holidays = 1;
    else if (*hol && strcmp(hol, BRANDING_HOLIDAYS_NATIONAL) != 0)
        problem(&k, "holidays", BRANDING_BAD_HOLIDAYS);
    return k.oom ? -1 : k.n;
}

/* ---- writing the settings ---- */

/* The job's copy: the tenant (name and contact changed) and its branding, strings in the
 * caller's arena, which lives until the outcome. */
typedef struct settings_arg {
    store_tenant tenant;
    store_branding branding;
} settings_arg;

static int apply_settings(store *s, void *arg, int64_t *id, error *err)
{
    settings_arg *sa = arg;
    if (s->ops->catalogue.tx_tenant_upsert(s, &sa->tenant, id, err) != 0)
        return -1;
    sa->branding.tenant_id = *id;
    return s->ops->catalogue.tx_branding_set(s, &sa->branding, err);
}

static const change_def settings_change = {"admin", "tenant", apply_settings, 1};

int branding_settings_set_as(core *c, const core_actor *who, const store_tenant *t,
                             const branding_input *in, arena *a, core_done_fn cb, void *ctx,
                             error *err)
{
    settings_arg sa;
    memset(&sa, 0, sizeof sa);
    sa.tenant = *t;
    sa.tenant.hosts = NULL; /* kept: only the command line gives host names */
    sa.branding.tenant_id = t->id;
    branding_problem probs[BRANDING_PROBLEMS_MAX];
    const char *name = NULL, *contact = NULL;
    int n = branding_check(in, a, &sa.branding, &name, &contact, probs);
    if (n < 0)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    if (n > 0)
        return error_set(err, ERR_INVALID_ARG, probs[0].field, "invalid %s", probs[0].field);
    sa.tenant.name = name;
    sa.tenant.contact = contact;
    return change_run(c, who, t->id, &settings_change, &sa, sizeof sa, NULL, cb, ctx, err);
}

/* ---- the logo ---- */

/* An SVG is rendered by librsvg (which runs no script and, loading from memory, follows no
 * outside reference), and only the PNG guichet makes of it is ever served. Still, an SVG
 * that asks for more than shapes is refused before librsvg reads it: scripts and foreign
 * objects have no place in a logo, entity declarations are how XML bombs start, and any
 * reference outside the document (href, url(), @import) would be a request to somewhere
 * else. A logo exported by a drawing program has none of these. */
static int svg_unsafe(const char *data, size_t len)
{
    static const char *const banned[] = {"<script",     "<!entity", "<foreignobject", "@import",
                                         "javascript:", "<iframe",  "<embed",         "<object"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++) {
        size_t n = strlen(banned[i]);
        for (size_t j = 0; j + n <= len; j++)
            if (strncasecmp(data + j, banned[i], n) == 0)
                return 1;
    }
    /* Every reference must point inside the document ('#id') or be an embedded PNG/JPEG. */
    static const char *const refs[] = {"href", "url("};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(refs[i]);
        for (size_t j = 0; j + n <= len; j++) {
            if (strncasecmp(data + j, refs[i], n) != 0)
                continue;
            size_t p = j + n;
            if (i == 0) { /* href = "…" */
                while (p < len && (data[p] == ' ' || data[p] == '\t' || data[p] == '\n'))
                    p++;
                if (p >= len || data[p] != '=')
                    continue;
                p++;
            }
            while (p < len && strchr(" \t\r\n\"'", data[p]))
                p++;
            if (p < len && data[p] == '#')
                continue;
            if (p + 15 <= len && (strncasecmp(data + p, "data:image/png;", 15) == 0 ||
                                  strncasecmp(data + p, "data:image/jpeg", 15) == 0))
                continue;
            return 1;
        }
    }
    return 0;
}

/* The loader libvips picked must be the one for the type libmagic saw. */
static const char *expected_loader(const char *type)
{
    if (strcmp(type, "image/png") == 0)
        return "pngload";
    if (strcmp(type, "image/jpeg") == 0)
        return "jpegload";
    return "svgload";
}

static int logo_fail(branding_logo_problem *problem, branding_logo_problem p, error *err,
                     const char *detail)
{
    *problem = p;
    return error_set(err, ERR_INVALID_ARG, "logo", "%s", detail);
}

/* Decodes the image and writes it as a PNG fitting in BRANDING_LOGO_MAX_SIDE, sRGB, its
 * transparency kept, without metadata. *png is freed with g_free. */
static int encode_png(const void *data, size_t len, int is_svg, void **png, size_t *png_len, int *w,
                      int *h)
{
    VipsImage *thumb = NULL, *srgb = NULL;
    int rc = -1;
    /* An SVG is drawn at the size it is shown (VIPS_SIZE_BOTH: a 24-pixel icon is drawn
     * large, not enlarged as pixels); a photo is only ever made smaller. */
    if (vips_thumbnail_buffer((void *)data, len, &thumb, BRANDING_LOGO_MAX_SIDE, "height",
                              BRANDING_LOGO_MAX_SIDE, "size",
                              is_svg ? VIPS_SIZE_BOTH : VIPS_SIZE_DOWN, "option_string",
                              "fail_on=truncated", NULL) != 0)
        goto cleanup;
    if (vips_colourspace(thumb, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0)
        goto cleanup;
    if (vips_pngsave_buffer(srgb, png, png_len, "strip", TRUE, "compression", 9, NULL) != 0)
        goto cleanup;
    *w = vips_image_get_width(srgb);
    *h = vips_image_get_height(srgb);
    rc = 0;
cleanup:
    if (srgb)
        g_object_unref(srgb);
    if (thumb)
        g_object_unref(thumb);
    return rc;
}

int branding_logo_prepare(const void *data, size_t len, arena *a, store_logo *out,
                          branding_logo_problem *problem, error *err)
{
    memset(out, 0, sizeof *out);
    *problem = BRANDING_LOGO_OK;
    if (!data || len == 0)
        return logo_fail(problem, BRANDING_LOGO_EMPTY, err, "empty file");
    if (len > BRANDING_LOGO_MAX_BYTES)
        return logo_fail(problem, BRANDING_LOGO_TOO_BIG, err, "larger than 1 MB");
    /* Before libmagic, librsvg or libvips read a byte of it, as for every upload. */
    if (attachment_scan(data, len, "logo", err) != 0) {
        *problem = attachment_is_unscanned(err) ? BRANDING_LOGO_UNSCANNED : BRANDING_LOGO_INFECTED;
        return -1;
    }
    char type[128];
    if (attachment_sniff(data, len, type, sizeof type) != 0) {
        *problem = BRANDING_LOGO_DAMAGED;
        return error_set(err, ERR_INTERNAL, NULL, "libmagic or libvips did not start");
    }
    int is_svg = strcmp(type, "image/svg+xml") == 0 ||
                 ((strcmp(type, "text/xml") == 0 || strcmp(type, "application/xml") == 0 ||
                   strcmp(type, "text/plain") == 0) &&
                  memmem(data, len, "<svg", 4));
    if (!is_svg && strcmp(type, "image/png") != 0 && strcmp(type, "image/jpeg") != 0)
        return logo_fail(problem, BRANDING_LOGO_NOT_IMAGE, err, "neither PNG, JPEG nor SVG");
    if (is_svg) {
        snprintf(type, sizeof type, "image/svg+xml");
        if (svg_unsafe(data, len))
            return logo_fail(problem, BRANDING_LOGO_SVG_UNSAFE, err,
                             "SVG with scripts, entities or outside references");
    }
    int rc = -1;
    void *png = NULL;
    size_t png_len = 0;
    VipsImage *head =
        vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    const char *loader = NULL;
    if (!head || vips_image_get_string(head, VIPS_META_LOADER, &loader) != 0 || !loader ||
        strncmp(loader, expected_loader(type), strlen(expected_loader(type))) != 0) {
        vips_error_clear();
        logo_fail(problem, BRANDING_LOGO_DAMAGED, err, "does not decode as its type");
        goto cleanup;
    }
    if (!is_svg &&
        (double)vips_image_get_width(head) * vips_image_get_height(head) > LOGO_MAX_PIXELS) {
        logo_fail(problem, BRANDING_LOGO_DAMAGED, err, "more than 50 million pixels");
        goto cleanup;
    }
    int w = 0, h = 0;
    if (encode_png(data, len, is_svg, &png, &png_len, &w, &h) != 0) {
        log_warn("branding: logo re-encoding: %.200s", vips_error_buffer());
        vips_error_clear();
        logo_fail(problem, BRANDING_LOGO_DAMAGED, err, "does not decode whole");
        goto cleanup;
    }
    void *copy = arena_alloc(a, png_len);
    unsigned char digest[LOGO_HASH_BYTES];
    char hex[LOGO_HASH_BYTES * 2 + 1];
    if (!copy) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    memcpy(copy, png, png_len);
    crypto_generichash(digest, sizeof digest, copy, png_len, NULL, 0);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    out->data = copy;
    out->size = png_len;
    out->hash = arena_strdup(a, hex);
    out->width = w;
    out->height = h;
    if (!out->hash) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    rc = 0;
cleanup:
    g_free(png);
    if (head)
        g_object_unref(head);
    return rc;
}

typedef struct logo_arg {
    int64_t tenant_id;
    int remove;
    store_logo logo;
} logo_arg;

static int apply_logo(store *s, void *arg, int64_t *id, error *err)
{
    logo_arg *la = arg;
    *id = la->tenant_id;
    return s->ops->catalogue.tx_logo_set(s, la->tenant_id, la->remove ? NULL : &la->logo, err);
}

static const change_def logo_change = {"admin", "logo", apply_logo, 1};

int branding_logo_set_as(core *c, const core_actor *who, int64_t tenant_id, const store_logo *logo,
                         core_done_fn cb, void *ctx, error *err)
{
    logo_arg la;
    memset(&la, 0, sizeof la);
    la.tenant_id = tenant_id;
    la.remove = logo == NULL;
    if (logo) {
        if (!logo->data || logo->size == 0 || !logo->hash || logo->width <= 0 ||
            logo->height <= 0 || logo->width > BRANDING_LOGO_MAX_SIDE ||
            logo->height > BRANDING_LOGO_MAX_SIDE)
            return error_set(err, ERR_INVALID_ARG, "logo", "not a prepared logo");
        la.logo = *logo;
    }
    return change_run(c, who, tenant_id, &logo_change, &la, sizeof la, NULL, cb, ctx, err);
}

int branding_logo_get(core *c, int64_t tenant_id, arena *a, store_logo *out, int *found, error *err)
{
    store *s = core_store(c);
    return s->ops->catalogue.logo_get(s, tenant_id, a, out, found, err);
}
