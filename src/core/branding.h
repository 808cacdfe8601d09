/*
 * branding — a collectivité's branding and public settings: its name and contact text, its
 * colours (refused below the contrast RGAA asks for the text they carry), weekly opening
 * hours and their exceptions, postal address, phone, e-mail and website, the centre and
 * zoom of its maps, and its logo (an uploaded PNG, JPEG or SVG that guichet re-encodes as a
 * PNG of its own: no SVG is ever served). Checks what an administrator typed, field by
 * field, and writes it as one administrative change with its audit entry (core/change.h);
 * pages, e-mails and the portal read it through the catalogue (cat_tenant.branding). Also the
 * calendar of public holidays the collectivité's delays are counted with (national or
 * Alsace-Moselle).
 */
#ifndef GUICHET_CORE_BRANDING_H
#define GUICHET_CORE_BRANDING_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/core.h"
#include "core/hours.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* guichet's own colours, used until an administrator sets others: white on them contrasts
 * at 8.9:1 and 11.6:1. */
#define BRANDING_DEFAULT_PRIMARY "#1f4e8c"
#define BRANDING_DEFAULT_SECONDARY "#163a69"
/* WCAG 2.1 AA (RGAA 4.1 criterion 3.2) for text of normal size. */
#define BRANDING_MIN_CONTRAST 4.5
/* The colours carry white text (header, buttons, navigation) and the primary one is also
 * the colour of links on the pages' light backgrounds: it is checked against the darker of
 * them (guichet.css --bg-alt). */
#define BRANDING_TEXT_ON_COLOUR "#ffffff"
#define BRANDING_LIGHT_BACKGROUND "#f4f5f7"
/* Maps of a collectivité without a centre of its own: metropolitan France. */
#define BRANDING_DEFAULT_LAT 46.6034
#define BRANDING_DEFAULT_LON 1.8883
#define BRANDING_DEFAULT_ZOOM 6

#define BRANDING_NAME_MAX 200     /* characters */
#define BRANDING_CONTACT_MAX 1000 /* characters */
#define BRANDING_NOTES_MAX 1000
#define BRANDING_ADDRESS_MAX 500
#define BRANDING_PHONE_MAX 30
#define BRANDING_EMAIL_MAX 254
#define BRANDING_WEBSITE_MAX 300
#define BRANDING_LEGAL_MAX 500 /* each of the legal notice's facts */

/* A logo as uploaded: at most 1 MB; stored as a PNG fitting in 256 × 256 pixels. */
#define BRANDING_LOGO_MAX_BYTES (1024 * 1024)
#define BRANDING_LOGO_MAX_SIDE 256

/* The settings as typed (any field may be NULL: empty). */
typedef struct branding_input {
    const char *name; /* required */
    const char *contact;
    const char *colour_primary, *colour_secondary; /* "#rrggbb" (any case), empty: default */
    const char *hours_day[HOURS_DAYS];             /* Monday first, see hours_parse_day */
    const char *hours_notes;
    const char *address, *phone, *email, *website;
    const char *map_lat, *map_lon, *map_zoom; /* decimal degrees ('.' or ','), 1-19; all three
                                                 or none */
    /* The legal notice: publication director, data protection officer, host (free text,
     * several lines; empty: the notice says it generically). */
    const char *publication_director, *dpo, *host;
    /* The calendar of public holidays: BRANDING_HOLIDAYS_NATIONAL or
     * BRANDING_HOLIDAYS_ALSACE_MOSELLE; NULL or empty: the national one. */
    const char *holidays;
} branding_input;

/* The form's values of the holidays calendar (store_branding.holidays 0 and 1). */
#define BRANDING_HOLIDAYS_NATIONAL "national"
#define BRANDING_HOLIDAYS_ALSACE_MOSELLE "alsace-moselle"

typedef enum branding_problem_kind {
    BRANDING_REQUIRED,     /* name */
    BRANDING_BAD_TEXT,     /* control characters or invalid UTF-8 */
    BRANDING_TOO_LONG,     /* over the field's maximum (branding_field_max) */
    BRANDING_BAD_COLOUR,   /* not #rrggbb */
    BRANDING_LOW_CONTRAST, /* ratio (below BRANDING_MIN_CONTRAST) in the problem */
    BRANDING_BAD_HOURS,    /* hours (hours_problem) in the problem */
    BRANDING_BAD_PHONE,    /* digits, spaces, '.', '-', '(', ')', a leading '+'; 4 to 20 digits */
    BRANDING_BAD_EMAIL,
    BRANDING_BAD_WEBSITE,  /* not an http:// or https:// URL with a host */
    BRANDING_BAD_MAP,      /* a latitude, longitude or zoom out of range or not a number */
    BRANDING_MAP_PARTIAL,  /* one or two of the three given */
    BRANDING_BAD_HOLIDAYS, /* neither of the two calendars */
} branding_problem_kind;

typedef struct branding_problem {
    const char *field; /* the form's field name: "name", "colour_primary", "hours_0"… */
    branding_problem_kind kind;
    hours_problem hours;
    double ratio; /* BRANDING_LOW_CONTRAST: the contrast found */
} branding_problem;

/* Room for every problem branding_check may find (one per field at most). */
#define BRANDING_PROBLEMS_MAX 24

/* Checks every field of in and fills *out (tenant_id untouched, logo fields zero; strings
 * trimmed and in a; colours lowercase; hours canonical) with what is right. Returns the
 * number of problems written to probs[0..BRANDING_PROBLEMS_MAX), 0 when all is right; -1
 * when a is exhausted. */
int branding_check(const branding_input *in, arena *a, store_branding *out, const char **name,
                   const char **contact, branding_problem *probs);
/* The maximum of a text field's kind BRANDING_TOO_LONG, in characters (0 for others). */
size_t branding_field_max(const char *field);

/* The colour "#rrggbb" (any case) in rgb: 0, or -1 when s is not one. */
int branding_colour_parse(const char *s, unsigned rgb[3]);
/* The WCAG 2.1 contrast ratio of two colours (1 to 21); -1 when either is not "#rrggbb". */
double branding_contrast(const char *a, const char *b);
/* The primary colour's worst contrast with what it meets (white text on it, links in it on
 * the light background), or the secondary one's with white text. */
double branding_primary_contrast(const char *colour);
double branding_secondary_contrast(const char *colour);
/* The colour made darker by a quarter (hover states): "#rrggbb" into out[8]. */
void branding_colour_darker(const char *colour, char out[8]);

/* Writes the collectivité's name, contact and settings (in, checked again here: -1 with
 * ERR_INVALID_ARG naming the first wrong field, at once, without a callback) in one job with
 * its "admin" audit entry (kind "tenant"), the logo left as it is; then reloads the
 * catalogue. t is the tenant as it is (its slug, zone and host names stay). Strings of in
 * and a must live until the outcome. Answers like change_run (cb NULL waits). */
int branding_settings_set_as(core *c, const core_actor *who, const store_tenant *t,
                             const branding_input *in, arena *a, core_done_fn cb, void *ctx,
                             error *err);

typedef enum branding_logo_problem {
    BRANDING_LOGO_OK = 0,
    BRANDING_LOGO_EMPTY,
    BRANDING_LOGO_TOO_BIG,    /* over BRANDING_LOGO_MAX_BYTES */
    BRANDING_LOGO_NOT_IMAGE,  /* not a PNG, JPEG nor SVG by its content */
    BRANDING_LOGO_SVG_UNSAFE, /* an SVG with scripts, entities or outside references */
    BRANDING_LOGO_DAMAGED,    /* does not decode, or too many pixels */
    BRANDING_LOGO_INFECTED,   /* the antivirus found malware */
    BRANDING_LOGO_UNSCANNED,  /* the antivirus could not scan it (try again later) */
} branding_logo_problem;

/* Checks an uploaded logo (antivirus when configured, type from the content, an SVG's
 * safety) and re-encodes it as a PNG without metadata fitting in BRANDING_LOGO_MAX_SIDE
 * (bytes and hash in a). 0, or -1 with *problem (and err for logs: ERR_INVALID_ARG "logo",
 * ERR_UNAVAILABLE when unscanned). Runs on the caller's thread (CPU work). */
int branding_logo_prepare(const void *data, size_t len, arena *a, store_logo *out,
                          branding_logo_problem *problem, error *err);
/* Replaces tenant_id's logo with a prepared one, or removes it (logo NULL), in one job with
 * its "admin" audit entry (kind "logo"); reloads the catalogue. logo's bytes must live until
 * the outcome. Answers like change_run. */
int branding_logo_set_as(core *c, const core_actor *who, int64_t tenant_id, const store_logo *logo,
                         core_done_fn cb, void *ctx, error *err);
/* tenant_id's logo (bytes in a): *found 0 when it has none. */
int branding_logo_get(core *c, int64_t tenant_id, arena *a, store_logo *out, int *found,
                      error *err);

#endif
