/*
 * present/tenant — the collectivité's public face for templates (see tenant.h).
 */
#include "present/tenant.h"

#include <stdio.h>
#include <string.h>

#include "core/branding.h"
#include "core/hours.h"

/* A time as the language writes it: «8 h 30», «12 h» in French; «8:30», «12:00» in English. */
static void time_words(lang l, int minutes, char *out, size_t size)
{
    int h = minutes / 60, m = minutes % 60;
    if (l == LANG_EN)
        snprintf(out, size, "%d:%02d", h, m);
    else if (m)
        snprintf(out, size, "%d h %02d", h, m);
    else
        snprintf(out, size, "%d h", h);
}

static void day_times(const present *p, lang l, const hours_day *d, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < d->n && len + 1 < size; i++) {
        char a[16], b[16];
        time_words(l, d->r[i].start, a, sizeof a);
        time_words(l, d->r[i].end, b, sizeof b);
        const char *sep = i == 0 ? "" : i + 1 == d->n ? present_string(p, l, "hours.and") : ", ";
        int w = snprintf(out + len, size - len, "%s%s – %s", sep, a, b);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

/* «Lundi», «Lundi et mardi», «Du lundi au vendredi». */
static void day_span(const present *p, lang l, int from, int to, char *out, size_t size)
{
    char key[32], tmp[160];
    snprintf(key, sizeof key, "hours.day_%d", from);
    if (from == to) {
        snprintf(out, size, "%s", present_string(p, l, key));
        return;
    }
    char first[40], last[40];
    snprintf(key, sizeof key, "hours.day_lower_%d", from);
    snprintf(first, sizeof first, "%s", present_string(p, l, key));
    snprintf(key, sizeof key, "hours.day_lower_%d", to);
    snprintf(last, sizeof last, "%s", present_string(p, l, key));
    const char *pattern =
        present_string(p, l, to == from + 1 ? "hours.days_pair" : "hours.days_range");
    present_fill(tmp, sizeof tmp, pattern, "from", first);
    present_fill(out, size, tmp, "to", last);
}

static json_t *hours_json(const present *p, lang l, const char *canonical)
{
    json_t *list = json_array();
    hours_week w;
    if (!list || !canonical || hours_parse(canonical, &w) != 0)
        return list;
    for (int d = 0; d < HOURS_DAYS;) {
        int e = d;
        while (e + 1 < HOURS_DAYS && hours_day_equal(&w.day[e + 1], &w.day[d]))
            e++;
        char days[200], times[200];
        day_span(p, l, d, e, days, sizeof days);
        if (w.day[d].n)
            day_times(p, l, &w.day[d], times, sizeof times);
        else
            snprintf(times, sizeof times, "%s", present_string(p, l, "hours.closed"));
        json_t *row = json_object();
        present_set_str(row, "days", days);
        present_set_str(row, "times", times);
        json_array_append_new(list, row);
        d = e + 1;
    }
    return list;
}

/* "tel:" and the number's digits (a leading '+' kept): what a phone dials. */
static void phone_href(const char *phone, char *out, size_t size)
{
    size_t n = snprintf(out, size, "tel:");
    for (const char *c = phone; *c && n + 1 < size; c++)
        if ((*c >= '0' && *c <= '9') || (*c == '+' && c == phone))
            out[n++] = *c;
    out[n] = '\0';
}

static int set(const char *s)
{
    return s && *s;
}

json_t *present_tenant(const present *p, lang l, const store_tenant *t, const store_branding *b)
{
    static const store_branding none;
    if (!b)
        b = &none;
    json_t *o = json_object();
    if (!o)
        return NULL;
    present_set_str(o, "name", t && set(t->name) ? t->name : "guichet");
    present_set_str(o, "slug", t ? t->slug : "");
    present_set_str(o, "contact", t ? t->contact : "");
    json_object_set_new(o, "address_lines", present_paragraphs(b->address));
    present_set_str_opt(o, "phone", set(b->phone) ? b->phone : NULL);
    if (set(b->phone)) {
        char href[64];
        phone_href(b->phone, href, sizeof href);
        present_set_str(o, "phone_href", href);
    }
    present_set_str_opt(o, "email", set(b->email) ? b->email : NULL);
    present_set_str_opt(o, "website", set(b->website) ? b->website : NULL);
    int has_details = set(b->address) || set(b->phone) || set(b->email) || set(b->website);
    json_object_set_new(o, "has_details", json_boolean(has_details));
    json_object_set_new(o, "has_contact", json_boolean(has_details || (t && set(t->contact))));
    json_t *hours = hours_json(p, l, b->hours);
    json_object_set_new(o, "has_week", json_boolean(json_array_size(hours) > 0));
    json_object_set_new(o, "has_hours",
                        json_boolean(json_array_size(hours) > 0 || set(b->hours_notes)));
    json_object_set_new(o, "hours", hours ? hours : json_array());
    json_object_set_new(o, "hours_notes", present_paragraphs(b->hours_notes));
    /* The legal notice's facts, when the collectivité gave them. */
    present_set_str_opt(o, "legal_director",
                        set(b->publication_director) ? b->publication_director : NULL);
    json_object_set_new(o, "has_legal_dpo", json_boolean(set(b->dpo)));
    json_object_set_new(o, "legal_dpo", present_paragraphs(b->dpo));
    json_object_set_new(o, "has_legal_host", json_boolean(set(b->host)));
    json_object_set_new(o, "legal_host", present_paragraphs(b->host));
    if (set(b->logo_hash) && b->logo_width > 0 && b->logo_height > 0) {
        char url[96];
        snprintf(url, sizeof url, "%s?v=%s", PRESENT_LOGO_PATH, b->logo_hash);
        present_set_str(o, "logo_url", url);
        /* Shown PRESENT_LOGO_HEIGHT high, as wide as its proportions say. */
        int w = (b->logo_width * PRESENT_LOGO_HEIGHT + b->logo_height / 2) / b->logo_height;
        json_object_set_new(o, "logo_width", json_integer(w > 0 ? w : 1));
        json_object_set_new(o, "logo_height", json_integer(PRESENT_LOGO_HEIGHT));
    } else {
        present_set_str(o, "logo_url", "");
    }
    const char *primary = set(b->colour_primary) ? b->colour_primary : BRANDING_DEFAULT_PRIMARY;
    char dark[8];
    branding_colour_darker(primary, dark);
    present_set_str(o, "colour", primary);
    present_set_str(o, "colour_secondary",
                    set(b->colour_secondary) ? b->colour_secondary : BRANDING_DEFAULT_SECONDARY);
    present_set_str(o, "colour_dark", dark);
    json_t *map = json_object();
    char num[32];
    snprintf(num, sizeof num, "%.6f", b->has_map ? b->map_lat : BRANDING_DEFAULT_LAT);
    present_set_str(map, "lat", num);
    snprintf(num, sizeof num, "%.6f", b->has_map ? b->map_lon : BRANDING_DEFAULT_LON);
    present_set_str(map, "lon", num);
    snprintf(num, sizeof num, "%d", b->has_map ? b->map_zoom : BRANDING_DEFAULT_ZOOM);
    present_set_str(map, "zoom", num);
    json_object_set_new(o, "map", map);
    return o;
}
