/*
 * demo — generates «Ville de Démo»: upserts the catalogue from demo_data.c, then composes a
 * year of requests day by day (office hours for the counter, the phone and the post; any hour
 * for the web), each with attribute values validated against its procedure, a French
 * description in the style of its channel, and a plausible timeline, and imports them in
 * batches through admin_import_requests. A private PRNG keeps the content reproducible. The
 * back office gets its reply templates and, through core, the agents the requests are
 * assigned to.
 */
#include "cli/demo.h"
#include "cli/demo_areas.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/demo_data.h"
#include "core/address.h"
#include "core/admin.h"
#include "core/letter_tpl.h"
#include "core/agent.h"
#include "core/attrs.h"
#include "core/catalogue.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/workflow.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/fr_ids.h"
#include "util/geo.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/timeutil.h"

/* The demo's requests follow the shipped incident workflow, which its procedures name (also
 * the démarches: the history it writes is an incident's): its status codes in lifecycle
 * order, the last three final. */
typedef enum status {
    STATUS_NEW = 0,
    STATUS_ACKNOWLEDGED,
    STATUS_IN_PROGRESS,
    STATUS_RESOLVED,
    STATUS_REJECTED,
    STATUS_DUPLICATE,
    STATUS_COUNT
} status;

static const char *const status_codes[STATUS_COUNT] = {"new",      "acknowledged", "in_progress",
                                                       "resolved", "rejected",     "duplicate"};

static const char *status_code(status s)
{
    return status_codes[s];
}

static int status_is_closed(status s)
{
    return s >= STATUS_RESOLVED;
}

static int code_is_closed(const char *code)
{
    for (int s = STATUS_RESOLVED; code && s < STATUS_COUNT; s++)
        if (strcmp(code, status_codes[s]) == 0)
            return 1;
    return 0;
}

#define DAY 86400
#define DEMO_DAYS 365
#define MAX_INPUTS 48
#define MAX_EVENTS 16
#define MAX_PROCEDURES 32
#define DESC_MAX (REQUEST_DESCRIPTION_MAX * 4) /* bytes: 20,000 characters of UTF-8 */

/* ---- PRNG: splitmix64, so that a seed gives the same commune on every platform ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* An independent stream for item `index` of `kind` (a day's times, a request): what one
 * request draws never shifts the draws of the next, so that a branch that depends on "now"
 * (recent requests) cannot change the rest of the commune. */
static rng rng_stream(uint64_t seed, uint64_t kind, uint64_t index)
{
    rng r = {seed * 0xD1342543DE82EF95ULL + kind * 0x9E3779B97F4A7C15ULL + index};
    rng_next(&r);
    return r;
}

static unsigned rng_below(rng *r, unsigned n)
{
    return n ? (unsigned)(rng_next(r) % n) : 0;
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static double rng_between(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(r);
}

static size_t list_len(const char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

static const char *pick(rng *r, const char *const *list)
{
    size_t n = list_len(list);
    return n ? list[rng_below(r, (unsigned)n)] : NULL;
}

/* Index drawn from weights[n] (all zero: -1). */
static int pick_weighted(rng *r, const unsigned *weights, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    if (!total)
        return -1;
    unsigned x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return (int)i;
        x -= weights[i];
    }
    return -1;
}

/* ---- generation state ---- */

typedef struct demo_gen {
    core *c;
    const cat_tenant *tenant;
    rng r;
    int64_t now;
    uint64_t seed;
    unsigned n;                                 /* requests to generate */
    const cat_procedure *procs[MAX_PROCEDURES]; /* parallel to demo_procedures */
    const demo_department *depts[MAX_PROCEDURES];
    unsigned ch_count[CHANNEL_COUNT];
    unsigned st_count[STATUS_COUNT];
    size_t n_events;
    /* the batch being filled */
    arena a;
    admin_import_request *batch;
    size_t n_batch;
    size_t written;
} demo_gen;

typedef struct slot {
    int64_t t;
    int office; /* inside the mairie's opening hours */
} slot;

static int cmp_slot(const void *pa, const void *pb)
{
    const slot *a = pa, *b = pb;
    return (a->t > b->t) - (a->t < b->t);
}

/* Channel weights inside and outside opening hours: the counter, the phone line and the
 * post room only take requests while the mairie is open. */
static const unsigned channel_weights_office[CHANNEL_COUNT] = {
    [CHANNEL_WEB] = 18,   [CHANNEL_MOBILE] = 5,   [CHANNEL_EMAIL] = 15, [CHANNEL_SMS] = 3,
    [CHANNEL_PHONE] = 25, [CHANNEL_COUNTER] = 20, [CHANNEL_POST] = 10,  [CHANNEL_API] = 4,
};
static const unsigned channel_weights_any[CHANNEL_COUNT] = {
    [CHANNEL_WEB] = 40, [CHANNEL_MOBILE] = 25, [CHANNEL_EMAIL] = 20,
    [CHANNEL_SMS] = 8,  [CHANNEL_API] = 7,
};

/* Hours of the day at which citizens file online (weights per hour, local time). */
static const unsigned hour_weights[24] = {1, 1, 0, 0, 0, 1, 2,  5, 8, 9, 9, 8,
                                          7, 7, 8, 8, 8, 9, 10, 9, 8, 7, 5, 3};

/* Approximate local midnight for Europe/Paris (UTC+1; summer time ignored: the demo only
 * needs plausible hours). */
#define LOCAL_OFFSET 3600

static int weekday(int64_t day_start)
{
    int64_t days = (day_start + LOCAL_OFFSET) / DAY;
    return (int)((days + 4) % 7); /* 1970-01-01 was a Thursday; 0 is Sunday */
}

static int month_of(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tmv;
    gmtime_r(&tt, &tmv);
    return tmv.tm_mon + 1;
}

static void gen_slot(demo_gen *g, int64_t day_start, slot *s)
{
    int wd = weekday(day_start);
    s->office = wd != 0 && rng_unit(&g->r) < 0.55;
    int64_t t;
    if (s->office) {
        unsigned from = wd == 6 ? 540 : 510, to = wd == 6 ? 720 : 1050; /* minutes */
        t = day_start + (int64_t)(from + rng_below(&g->r, to - from)) * 60 + rng_below(&g->r, 60);
    } else {
        int h = pick_weighted(&g->r, hour_weights, 24);
        t = day_start + (int64_t)h * 3600 + rng_below(&g->r, 3600);
    }
    if (t > g->now - 120)
        t = g->now - 120 - rng_below(&g->r, 600);
    s->t = t;
}

/* ---- contents ---- */

typedef struct person {
    const demo_name *first, *last;
    const char *email, *phone; /* NULL when not given */
    int anonymous;
} person;

/* A contact for a request on channel ch; without allow_anonymous (the procedure's), never
 * anonymous. */
static void gen_person(demo_gen *g, channel ch, int allow_anonymous, person *p)
{
    rng *r = &g->r;
    memset(p, 0, sizeof *p);
    p->first = &demo_first_names[rng_below(r, (unsigned)demo_n_first_names)];
    p->last = &demo_last_names[rng_below(r, (unsigned)demo_n_last_names)];
    double want_email = 0, want_phone = 0;
    switch (ch) {
    case CHANNEL_WEB:
        want_email = 0.95, want_phone = 0.4;
        break;
    case CHANNEL_MOBILE:
        want_email = 0.6, want_phone = 0.2;
        break;
    case CHANNEL_EMAIL:
        want_email = 1, want_phone = 0.15;
        break;
    case CHANNEL_SMS:
        want_phone = 1;
        break;
    case CHANNEL_PHONE:
        want_email = 0.2, want_phone = 1;
        break;
    case CHANNEL_COUNTER:
        want_email = 0.5, want_phone = 0.7;
        break;
    case CHANNEL_POST:
        want_email = 0.2, want_phone = 0.3;
        break;
    case CHANNEL_API:
        want_email = 0.7;
        break;
    default:
        break;
    }
    /* drawn even when not allowed, so that the draws after it stay the same */
    if ((ch == CHANNEL_MOBILE || ch == CHANNEL_API) && rng_unit(r) < 0.35 && allow_anonymous) {
        p->anonymous = 1;
        return;
    }
    if (rng_unit(r) < want_email) {
        switch (rng_below(r, 3)) {
        case 0:
            p->email = arena_printf(&g->a, "%s.%s@exemple.fr", p->first->ascii, p->last->ascii);
            break;
        case 1:
            p->email = arena_printf(&g->a, "%.1s.%s@exemple.fr", p->first->ascii, p->last->ascii);
            break;
        default:
            p->email = arena_printf(&g->a, "%s%s%u@exemple.fr", p->first->ascii, p->last->ascii,
                                    10 + rng_below(r, 89));
        }
    }
    /* 06 39 98 xx xx is the range ARCEP reserves for fiction, in the block of Mayotte
     * (0639): written as core stores it (E.164, +262), since the demo writes its rows. */
    if (rng_unit(r) < want_phone)
        p->phone = arena_printf(&g->a, "+26263998%02u%02u", rng_below(r, 100), rng_below(r, 100));
}

/* The attribute values chosen for one request: (code, value) pairs, several per code for a
 * multivaluelist. */
typedef struct values {
    attr_input in[MAX_INPUTS];
    size_t n;
} values;

static int values_add(values *v, const char *code, const char *value)
{
    if (v->n >= MAX_INPUTS)
        return -1;
    v->in[v->n].code = code;
    v->in[v->n].value = value;
    v->n++;
    return 0;
}

static int values_has(const values *v, const char *code)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->in[i].code, code) == 0)
            return 1;
    return 0;
}

/* Parses "code=key,code=key+key" into v, strings in a. */
static int add_forced(arena *a, const char *forced, values *v)
{
    if (!forced)
        return 0;
    char *copy = arena_strdup(a, forced);
    if (!copy)
        return -1;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq)
            return -1;
        *eq = '\0';
        char *save2 = NULL;
        for (char *k = strtok_r(eq + 1, "+", &save2); k; k = strtok_r(NULL, "+", &save2))
            if (values_add(v, item, k) != 0)
                return -1;
    }
    return 0;
}

static char *fmt_time(demo_gen *g, int64_t t)
{
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, demo_tenant.timezone, out);
    return arena_strdup(&g->a, out);
}

/* The day of t in the demo's zone, YYYY-MM-DD: a date question's answer. */
static char *fmt_day(demo_gen *g, int64_t t)
{
    char out[TIME_RFC3339_LEN];
    time_format_rfc3339(t, demo_tenant.timezone, out);
    return arena_strndup(&g->a, out, 10);
}

/* A value for attribute d of a request created at t0. List attributes draw from their own
 * keys; the others follow the meaning of their code. NULL when the code is unknown here. */
/* The digit that completes digits[0..n) into a number that passes Luhn (digits has room
 * for it and its NUL). */
static void luhn_complete(char *digits, size_t n)
{
    digits[n + 1] = '\0';
    for (char k = '0'; k <= '9'; k++) {
        digits[n] = k;
        if (fr_luhn_ok(digits))
            return;
    }
}

/* An invented association's SIRET: a SIREN beginning with 8 (as many associations') with
 * its Luhn key, then its first establishment's NIC 0001 and the establishment's key. */
static char *demo_siret(arena *a, rng *r)
{
    char d[16];
    snprintf(d, sizeof d, "8%07u", rng_below(r, 10000000));
    luhn_complete(d, 8);
    memcpy(d + 9, "0001", 4);
    luhn_complete(d, 13);
    return arena_strdup(a, d);
}

static char *gen_value(demo_gen *g, const attr_def *d, int64_t t0)
{
    rng *r = &g->r;
    arena *a = &g->a;
    const char *code = d->code;
    if (d->type == ATTR_SINGLEVALUELIST)
        return arena_strdup(a, d->values[rng_below(r, (unsigned)d->n_values)].key);
    if (strcmp(code, "date_constat") == 0)
        return fmt_time(g, t0 - (int64_t)rng_below(r, 3 * DAY));
    if (strcmp(code, "depuis") == 0)
        return fmt_time(g, t0 - 600 - (int64_t)rng_below(r, 6 * 3600));
    if (strcmp(code, "numero_lampadaire") == 0)
        return arena_printf(a, "LP-%04u", 1 + rng_below(r, 2400));
    if (strcmp(code, "nombre_lampadaires") == 0)
        return arena_printf(a, "%u", rng_unit(r) < 0.7 ? 1 : 2 + rng_below(r, 5));
    if (strcmp(code, "surface_m2") == 0)
        return arena_printf(a, "%u", 1 + rng_below(r, 24));
    if (strcmp(code, "immatriculation") == 0) {
        static const char letters[] = "ABCDEFGHJKLMNPQRSTVWXYZ"; /* no I, O, U */
        unsigned nl = sizeof letters - 1;
        return arena_printf(a, "%c%c-%03u-%c%c", letters[rng_below(r, nl)],
                            letters[rng_below(r, nl)], 1 + rng_below(r, 998),
                            letters[rng_below(r, nl)], letters[rng_below(r, nl)]);
    }
    if (strcmp(code, "nom_acte") == 0)
        return arena_strdup(a, demo_last_names[rng_below(r, (unsigned)demo_n_last_names)].name);
    if (strcmp(code, "date_acte") == 0) {
        /* any day between 1940 and a month before the request */
        int64_t from = -946771200; /* 1940-01-01 */
        int64_t span = t0 - 30 * DAY - from;
        return fmt_day(g, from + (int64_t)(rng_unit(r) * (double)span) / DAY * DAY + 36000);
    }
    if (strcmp(code, "nombre_exemplaires") == 0)
        return arena_printf(a, "%u", 1 + (rng_unit(r) < 0.25 ? 1 + rng_below(r, 2) : 0));
    if (strcmp(code, "prenom_enfant") == 0)
        return arena_strdup(a, demo_first_names[rng_below(r, (unsigned)demo_n_first_names)].name);
    if (strcmp(code, "date_naissance_enfant") == 0) {
        int64_t age = (int64_t)(rng_between(r, 2.6, 10.5) * 365.25 * DAY);
        return fmt_day(g, (t0 - age) / DAY * DAY + 36000);
    }
    if (strcmp(code, "nom_association") == 0)
        return arena_strdup(a, pick(r, demo_association_names));
    if (strcmp(code, "numero_rna") == 0)
        return arena_printf(a, "W69%07u", rng_below(r, 10000000));
    if (strcmp(code, "siret") == 0)
        return demo_siret(a, r);
    if (strcmp(code, "montant_demande") == 0)
        return arena_printf(a, "%u", (6 + rng_below(r, 155)) * 50);
    if (strcmp(code, "nombre_adherents") == 0)
        return arena_printf(a, "%u", 12 + rng_below(r, 400));
    if (strcmp(code, "date_reservation") == 0) {
        int64_t day = (t0 / DAY + 7 + rng_below(r, 90)) * DAY - LOCAL_OFFSET;
        static const unsigned hours[] = {9, 14, 18, 19};
        return fmt_time(g, day + (int64_t)hours[rng_below(r, 4)] * 3600);
    }
    if (strcmp(code, "nombre_participants") == 0)
        return arena_printf(a, "%u", 8 + rng_below(r, 240));
    if (strcmp(code, "composition_foyer") == 0)
        return arena_printf(a, "%u", 1 + rng_below(r, 6));
    if (strcmp(code, "lieu_projet") == 0) {
        /* The same place every time, drawing nothing: the other values stay as they were. */
        const char *place =
            attr_location_input(a, "Place de la Mairie, 69999 Ville de Démo", "45.7640", "4.8357");
        return place ? arena_strdup(a, place) : NULL;
    }
    if (strcmp(code, "objet") == 0)
        return arena_strdup(a, "Achat de matériel et organisation de la manifestation annuelle "
                               "ouverte à tous les habitants.");
    if (strcmp(code, "circonstances") == 0)
        return arena_strdup(a, pick(r, demo_texts_circumstances));
    if (strcmp(code, "degats") == 0)
        return arena_strdup(a, pick(r, demo_texts_damage));
    if (strcmp(code, "situation") == 0)
        return arena_strdup(a, pick(r, demo_texts_situation));
    if (strcmp(code, "observations") == 0)
        return arena_strdup(a, pick(r, demo_texts_school));
    return NULL;
}

/* Adds values for the variable attributes not forced by the template: all required ones,
 * about half of the optional ones. -1 when a required attribute cannot be generated. */
static int gen_values(demo_gen *g, const cat_procedure *p, int64_t t0, values *v)
{
    for (size_t i = 0; i < p->n_attrs; i++) {
        const attr_def *d = &p->attrs[i];
        if (!d->variable || values_has(v, d->code))
            continue;
        if (!d->required && rng_unit(&g->r) < 0.45)
            continue;
        if (d->type == ATTR_MULTIVALUELIST) {
            unsigned k = 1 + rng_below(&g->r, d->n_values < 3 ? (unsigned)d->n_values : 3);
            unsigned start = rng_below(&g->r, (unsigned)d->n_values);
            for (unsigned j = 0; j < k; j++)
                if (values_add(v, d->code, d->values[(start + j) % d->n_values].key) != 0)
                    return -1;
            continue;
        }
        char *val = gen_value(g, d, t0);
        if (!val) {
            if (d->required)
                return -1;
            continue;
        }
        if (values_add(v, d->code, val) != 0)
            return -1;
    }
    return 0;
}

/* The text a template shows for attribute `code`: the names of the chosen keys for lists,
 * the value itself otherwise. */
static int put_value(buf *b, const cat_procedure *p, const values *v, const char *code,
                     size_t code_len)
{
    const attr_def *d = NULL;
    for (size_t i = 0; i < p->n_attrs; i++)
        if (strlen(p->attrs[i].code) == code_len && memcmp(p->attrs[i].code, code, code_len) == 0)
            d = &p->attrs[i];
    if (!d)
        return -1;
    /* The demo's texts are French, as the requests they compose. */
    int found = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->in[i].code, d->code) != 0)
            continue;
        const char *shown = attr_value_name(d, v->in[i].value, LANG_FR);
        if (found++)
            buf_puts(b, ", ");
        buf_puts(b, shown);
    }
    return found ? 0 : -1;
}

/* Appends `tpl` with {lieu} and {v:CODE} replaced. -1 on a placeholder the request cannot
 * fill (a bug in the tables). */
static int expand(buf *b, const char *tpl, const char *place, const cat_procedure *p,
                  const values *v)
{
    const char *s = tpl;
    while (*s) {
        const char *open = strchr(s, '{');
        if (!open) {
            buf_puts(b, s);
            break;
        }
        buf_append(b, s, (size_t)(open - s));
        const char *close = strchr(open, '}');
        if (!close)
            return -1;
        if (close - open == 5 && memcmp(open, "{lieu}", 6) == 0) {
            if (!place)
                return -1;
            buf_puts(b, place);
        } else if (strncmp(open, "{v:", 3) == 0) {
            if (put_value(b, p, v, open + 3, (size_t)(close - open - 3)) != 0)
                return -1;
        } else {
            return -1;
        }
        s = close + 1;
    }
    return 0;
}

enum special { SPECIAL_NONE, SPECIAL_LONG, SPECIAL_XML, SPECIAL_EMOJI };

/* Wraps the citizen's words in the form its channel gives them: an e-mail has a greeting
 * and a signature, a phone call or a counter visit is written down by the agent. */
static int compose_description(demo_gen *g, buf *b, channel ch, const person *who,
                               const char *core_text, const char *detail)
{
    rng *r = &g->r;
    switch (ch) {
    case CHANNEL_EMAIL:
        buf_puts(b, "Bonjour,\n\n");
        break;
    case CHANNEL_WEB:
        if (rng_unit(r) < 0.3)
            buf_puts(b, "Bonjour,\n");
        break;
    case CHANNEL_PHONE:
        buf_puts(b, "Appel téléphonique : ");
        break;
    case CHANNEL_COUNTER:
        buf_printf(b, "Usager%s reçu%s à l'accueil, signale : « ", who->first->female ? "e" : "",
                   who->first->female ? "e" : "");
        break;
    case CHANNEL_POST:
        buf_puts(b, "Courrier reçu : « ");
        break;
    default:
        break;
    }
    buf_puts(b, core_text);
    if (detail) {
        buf_putc(b, ' ');
        buf_puts(b, detail);
    }
    switch (ch) {
    case CHANNEL_EMAIL:
        /* No signature: the name is in the contact fields, and descriptions are public
         * on Open311, which must never show who wrote. */
        buf_puts(b, "\n\nCordialement.");
        break;
    case CHANNEL_WEB:
        if (rng_unit(r) < 0.4)
            buf_puts(b, rng_unit(r) < 0.5 ? "\nMerci." : "\nCordialement.");
        break;
    case CHANNEL_COUNTER:
    case CHANNEL_POST:
        buf_puts(b, " »");
        break;
    case CHANNEL_SMS:
    case CHANNEL_MOBILE:
        if (rng_unit(r) < 0.12)
            buf_puts(b, pick(r, demo_emoji_tails));
        break;
    default:
        break;
    }
    return b->failed ? -1 : 0;
}

/* ---- choice of channel, procedure, status ---- */

static channel pick_channel(demo_gen *g, const slot *s)
{
    const unsigned *w = s->office ? channel_weights_office : channel_weights_any;
    /* Every channel appears even in a small demo: the first requests of the year take the
     * channels not seen yet, among those open at that hour. */
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        if (!g->ch_count[ch] && w[ch])
            return (channel)ch;
    return (channel)pick_weighted(&g->r, w, CHANNEL_COUNT);
}

static size_t pick_procedure(demo_gen *g, channel ch, int64_t t0)
{
    unsigned w[MAX_PROCEDURES] = {0};
    int month = month_of(t0);
    for (size_t i = 0; i < demo_n_procedures; i++) {
        const demo_procedure *dp = &demo_procedures[i];
        w[i] = dp->weight * 4;
        /* school registrations peak in spring, room bookings before summer and Christmas */
        if (strcmp(dp->code, "inscription-scolaire") == 0 && month >= 3 && month <= 6)
            w[i] *= 4;
        if (strcmp(dp->code, "reservation-salle") == 0 && (month == 6 || month == 12))
            w[i] *= 2;
        /* Open311 clients only see exposed services; an SMS is a short report */
        if (ch == CHANNEL_API && !dp->open311)
            w[i] = 0;
        if (ch == CHANNEL_SMS && dp->kind != PROCEDURE_INCIDENT &&
            strcmp(dp->code, "question-generale") != 0)
            w[i] = 0;
    }
    int k = pick_weighted(&g->r, w, demo_n_procedures);
    return k < 0 ? 0 : (size_t)k;
}

static status pick_status(demo_gen *g, size_t index, int64_t age)
{
    static const status open_order[] = {STATUS_NEW, STATUS_ACKNOWLEDGED, STATUS_IN_PROGRESS};
    static const status closed_order[] = {STATUS_RESOLVED, STATUS_REJECTED, STATUS_DUPLICATE};
    /* Every status appears: the last requests take the open ones not seen yet, the older
     * ones the closed ones not seen yet. */
    if (index + 3 >= g->n)
        for (size_t i = 0; i < 3; i++)
            if (!g->st_count[open_order[i]])
                return open_order[i];
    if (age > 20 * DAY)
        for (size_t i = 0; i < 3; i++)
            if (!g->st_count[closed_order[i]])
                return closed_order[i];
    /* Per mille by age: recent requests are open, old ones closed. */
    static const unsigned by_age[4][STATUS_COUNT] = {
        {600, 300, 100, 0, 0, 0},     /* under 2 days */
        {150, 350, 350, 120, 20, 10}, /* under a week */
        {30, 120, 300, 450, 60, 40},  /* under a month */
        {5, 20, 50, 800, 70, 55},     /* older */
    };
    int row = age < 2 * DAY ? 0 : age < 7 * DAY ? 1 : age < 30 * DAY ? 2 : 3;
    int s = pick_weighted(&g->r, by_age[row], STATUS_COUNT);
    return s < 0 ? STATUS_NEW : (status)s;
}

/* ---- timeline ---- */

typedef struct timeline {
    admin_import_event ev[MAX_EVENTS];
    size_t n;
} timeline;

static admin_import_event *tl_add(timeline *tl, int64_t t, const char *kind, int is_public,
                                  const char *actor, const char *channel_code)
{
    if (tl->n >= MAX_EVENTS)
        return NULL;
    admin_import_event *e = &tl->ev[tl->n++];
    memset(e, 0, sizeof *e);
    e->created_at = t;
    e->kind = kind;
    e->is_public = is_public;
    e->actor = actor;
    e->channel = channel_code;
    return e;
}

static const char *status_note(demo_gen *g, const demo_procedure *dp, status st)
{
    int incident = dp->kind == PROCEDURE_INCIDENT;
    switch (st) {
    case STATUS_ACKNOWLEDGED:
        return pick(&g->r, incident ? demo_ack_incident : demo_ack_demarche);
    case STATUS_IN_PROGRESS:
        return pick(&g->r, incident ? demo_progress_incident : demo_progress_demarche);
    case STATUS_RESOLVED:
        return pick(&g->r, dp->resolved);
    case STATUS_REJECTED:
        return dp->rejected ? pick(&g->r, dp->rejected)
                            : "Votre demande ne relève pas des compétences de la commune ; "
                              "nous l'avons transmise au service compétent.";
    case STATUS_DUPLICATE:
        return pick(&g->r, demo_duplicate_notes);
    default:
        return NULL;
    }
}

/* The first instant at or after t when agents work (weekdays, 8:00 to 18:00 local time); t
 * itself when it already is one. */
static int64_t office_hours(demo_gen *g, int64_t t)
{
    int64_t local = t + LOCAL_OFFSET;
    int64_t day = local / DAY, sec = local % DAY;
    for (int i = 0; i < 8; i++, day++, sec = 0) {
        int wd = (int)((day + 4) % 7);
        if (wd < 1 || wd > 5)
            continue;
        if (sec >= 8 * 3600 && sec < 18 * 3600)
            return day * DAY + sec - LOCAL_OFFSET;
        if (sec < 8 * 3600)
            return day * DAY + 8 * 3600 + rng_below(&g->r, 3 * 3600) - LOCAL_OFFSET;
    }
    return t;
}

/* Moves the agents' actions into office hours (unless that would pass `limit`), keeps the
 * timeline in order, and sets closed_at and updated_at from it. */
static void settle_timeline(demo_gen *g, store_request *r, timeline *tl, int64_t limit)
{
    r->closed_at = 0;
    for (size_t k = 1; k < tl->n; k++) {
        admin_import_event *e = &tl->ev[k];
        if (strncmp(e->actor, "agent:", 6) == 0) {
            int64_t t = office_hours(g, e->created_at);
            if (t <= limit)
                e->created_at = t;
        }
        if (e->created_at < tl->ev[k - 1].created_at)
            e->created_at = tl->ev[k - 1].created_at;
        if (strcmp(e->kind, "status") == 0 && code_is_closed(e->status_to))
            r->closed_at = e->created_at;
    }
    r->updated_at = tl->ev[tl->n - 1].created_at;
}

/* Fills the request's timeline and its status fields: the creation, then each status step at
 * plausible later times, internal notes along the way, and for long-open requests a citizen
 * asking for news. Every time lies between created_at and now. */
static int gen_timeline(demo_gen *g, const demo_procedure *dp, const demo_department *dd,
                        store_request *r, status target, const char *creator, timeline *tl)
{
    rng *rg = &g->r;
    int64_t t0 = r->created_at, now = g->now;
    status path[3];
    size_t m = 0;
    switch (target) {
    case STATUS_NEW:
        break;
    case STATUS_ACKNOWLEDGED:
        path[m++] = STATUS_ACKNOWLEDGED;
        break;
    case STATUS_IN_PROGRESS:
        path[m++] = STATUS_ACKNOWLEDGED;
        path[m++] = STATUS_IN_PROGRESS;
        break;
    case STATUS_RESOLVED:
        path[m++] = STATUS_ACKNOWLEDGED;
        if (rng_unit(rg) < 0.7)
            path[m++] = STATUS_IN_PROGRESS;
        path[m++] = STATUS_RESOLVED;
        break;
    default: /* rejected, duplicate: often straight away */
        if (rng_unit(rg) < 0.5)
            path[m++] = STATUS_ACKNOWLEDGED;
        path[m++] = target;
        break;
    }
    int closed = status_is_closed(target);
    int64_t avail = now - 60 - t0;
    if (avail < 1)
        avail = 1;
    double span;
    if (closed) {
        if (target == STATUS_RESOLVED)
            span =
                (dp->delay_days > 2 ? dp->delay_days : 2) * (double)DAY * rng_between(rg, 0.1, 1.3);
        else
            span = rng_between(rg, 3600, 3 * DAY);
    } else {
        span = (double)avail * rng_between(rg, 0.05, 0.8);
    }
    if (span > (double)avail)
        span = (double)avail;

    const char *agent = pick(rg, dd->agents);
    const char *const *internal_pool =
        dp->kind == PROCEDURE_INCIDENT ? demo_internal_incident : demo_internal_demarche;
    if (m > 0 && rng_unit(rg) < 0.75)
        r->assignee = agent;

    admin_import_event *e = tl_add(tl, t0, "created", 1, creator, r->channel);
    if (!e)
        return -1;
    e->status_to = "new";
    int64_t prev = t0;
    status from = STATUS_NEW;
    for (size_t k = 0; k < m; k++) {
        double f = (closed && k + 1 == m) ? 1.0 : ((double)k + rng_between(rg, 0.2, 1.0)) / m;
        int64_t t = t0 + (int64_t)(f * span);
        if (t <= prev)
            t = prev + 1;
        const char *note = status_note(g, dp, path[k]);
        e = tl_add(tl, t, "status", 1, agent, "web");
        if (!e)
            return -1;
        e->status_from = status_code(from);
        e->status_to = status_code(path[k]);
        e->body = note;
        r->status_notes = note;
        if (k == 0 && r->assignee) {
            e = tl_add(tl, t, "assign", 0, agent, "web");
            if (!e)
                return -1;
            e->body = r->assignee;
        }
        /* an internal note before the next step */
        int64_t next = k + 1 < m ? t0 + (int64_t)(((double)k + 1.2) / m * span) : 0;
        if (next > t + 2 && rng_unit(rg) < 0.35) {
            e = tl_add(tl, t + (next - t) / 2, "note", 0, agent, "web");
            if (!e)
                return -1;
            e->body = pick(rg, internal_pool);
        }
        prev = t;
        from = path[k];
    }
    int64_t left = now - 30 - prev;
    if (closed && left > 600 && rng_unit(rg) < 0.1) {
        int64_t gap = (int64_t)rng_between(rg, 600, 2 * DAY);
        if (gap > left / 2)
            gap = left / 2;
        e = tl_add(tl, prev + gap, "note", 0, agent, "web");
        if (!e)
            return -1;
        e->body = "Clôturé après vérification sur place.";
        prev += gap;
    }
    if (!closed && m > 0 && left > 3600) {
        if (rng_unit(rg) < 0.3) {
            e = tl_add(tl, prev + (int64_t)((double)left * rng_between(rg, 0.05, 0.25)), "note", 0,
                       agent, "web");
            if (!e)
                return -1;
            e->body = pick(rg, internal_pool);
            prev = e->created_at;
        }
        if (t0 < now - 10 * DAY && rng_unit(rg) < 0.3) {
            left = now - 30 - prev;
            const char *via = r->channel;
            if (strcmp(via, "counter") == 0 || strcmp(via, "post") == 0)
                via = "phone";
            int64_t tf = prev + (int64_t)((double)left * rng_between(rg, 0.3, 0.8));
            e = tl_add(tl, tf, "note", 1, "citizen", via);
            if (!e)
                return -1;
            e->body = pick(rg, demo_followups);
            if (rng_unit(rg) < 0.6) {
                int64_t tr = tf + (int64_t)((double)(now - 30 - tf) * rng_between(rg, 0.1, 0.9));
                e = tl_add(tl, tr, "note", 1, agent, "web");
                if (!e)
                    return -1;
                e->body = "Nous avons relancé l'équipe chargée de votre demande ; elle "
                          "interviendra très prochainement. Merci de votre patience.";
                r->status_notes = e->body;
            }
        }
    }
    settle_timeline(g, r, tl, now - 30);
    return 0;
}

/* ---- the citizen's side: notifications, publicity, "moi aussi", ratings ---- */

/* Fills notify, is_public, supporters, rating and rating_comment. Drawn last, after the
 * timeline, so that the rest of the request does not depend on them. */
static void gen_citizen_side(demo_gen *g, const demo_procedure *dp, status target,
                             store_request *rec)
{
    rng *r = &g->r;
    if (rec->email)
        rec->notify = "email";
    else if (rec->phone && rng_unit(r) < 0.6)
        rec->notify = "sms";
    /* Public once an agent accepted it (or at once where the procedure says so); a rejected
     * report or a duplicate was not accepted. */
    int accepted =
        target == STATUS_ACKNOWLEDGED || target == STATUS_IN_PROGRESS || target == STATUS_RESOLVED;
    rec->is_public = dp->is_public && (accepted || (dp->flags & DEMO_AUTO_PUBLIC));
    /* The demo's words name no one: as an agent would approve them for the public pages (an
     * auto-public report waits for its text like any other until accepted). */
    if (rec->is_public && accepted && rec->description &&
        utf8_length(rec->description, strlen(rec->description)) <= REQUEST_PUBLIC_TEXT_MAX)
        rec->public_description = rec->description;
    if (rec->is_public && rng_unit(r) < 0.4)
        rec->supporters = 1 + (int)rng_below(r, rng_unit(r) < 0.8 ? 4 : 15);
    if (status_is_closed(target) && rng_unit(r) < 0.3) {
        /* per cent: 1 to 5 stars */
        static const unsigned weights[5] = {8, 10, 17, 30, 35};
        int k = pick_weighted(r, weights, 5);
        rec->rating = k + 1;
        if (rng_unit(r) < 0.7)
            rec->rating_comment = pick(r, demo_rating_comments[k]);
    }
}

/* ---- one request ---- */

static int internal(error *err, const char *what, size_t index)
{
    return error_set(err, ERR_INTERNAL, NULL, "demo tables: %s (request %zu)", what, index);
}

/* Position of a procedure in demo_procedures (the showcase requests name theirs). */
static size_t procedure_index(const char *code)
{
    for (size_t i = 0; i < demo_n_procedures; i++)
        if (strcmp(demo_procedures[i].code, code) == 0)
            return i;
    return 0;
}

static int gen_request(demo_gen *g, const slot *s, size_t index, admin_import_request *q,
                       error *err)
{
    g->r = rng_stream(g->seed, 2, index);
    rng *r = &g->r;
    arena *a = &g->a;
    enum special sp = SPECIAL_NONE;
    if (g->n >= 30 && index >= g->n / 2 && index < g->n / 2 + 3)
        sp = (enum special)(SPECIAL_LONG + (index - g->n / 2));

    channel ch;
    size_t pi;
    const demo_text *tpl = NULL;
    const char *special_text = NULL;
    switch (sp) {
    case SPECIAL_LONG:
        ch = CHANNEL_EMAIL;
        pi = procedure_index("nid-de-poule");
        break;
    case SPECIAL_XML:
        ch = CHANNEL_WEB;
        pi = procedure_index("graffiti");
        break;
    case SPECIAL_EMOJI:
        ch = CHANNEL_MOBILE;
        pi = procedure_index("depot-sauvage");
        special_text = demo_emoji_text;
        break;
    default:
        ch = pick_channel(g, s);
        pi = pick_procedure(g, ch, s->t);
    }
    const demo_procedure *dp = &demo_procedures[pi];
    const cat_procedure *p = g->procs[pi];
    const demo_department *dd = g->depts[pi];
    int64_t t0 = s->t;

    store_request *rec = &q->rec;
    memset(q, 0, sizeof *q);
    rec->tenant_id = g->tenant->rec.id;
    rec->procedure_id = p->rec.id;
    rec->department_id = p->rec.department_id;
    rec->channel = channel_name(ch);
    rec->created_at = t0;
    rec->due_at = request_due_at(g->tenant, p, t0);

    /* place */
    const char *place = NULL;
    if (dp->kind == PROCEDURE_INCIDENT) {
        const demo_street *st = &demo_streets[rng_below(r, (unsigned)demo_n_streets)];
        place = arena_printf(a, "%u %s", 1 + rng_below(r, st->max_number), st->name);
        rec->address = place;
        rec->zipcode = DEMO_ZIPCODE;
        rec->has_location = 1;
        rec->lat = st->lat + rng_between(r, -0.0012, 0.0012);
        rec->lon = st->lon + rng_between(r, -0.0016, 0.0016);
        if (rec->lat <= DEMO_LAT_CENTER - DEMO_HALF_SIDE ||
            rec->lat >= DEMO_LAT_CENTER + DEMO_HALF_SIDE ||
            rec->lon <= DEMO_LON_CENTER - DEMO_HALF_SIDE ||
            rec->lon >= DEMO_LON_CENTER + DEMO_HALF_SIDE)
            return internal(err, "street outside the commune", index);
    }

    /* attribute values, the template's first so that text and values agree */
    values v;
    v.n = 0;
    size_t nt = 0;
    while (dp->texts[nt].text)
        nt++;
    tpl = &dp->texts[rng_below(r, (unsigned)nt)];
    const char *forced = tpl->forced;
    if (sp == SPECIAL_LONG)
        forced = "taille=grand,emplacement=chaussee";
    else if (sp == SPECIAL_XML)
        forced = "support=batiment-public,injurieux=oui";
    else if (sp == SPECIAL_EMOJI)
        forced = "types_dechets=encombrants+electromenager+sacs,volume=camionnette";
    if (add_forced(a, forced, &v) != 0 || gen_values(g, p, t0, &v) != 0)
        return internal(err, "attribute values", index);
    const char *json = NULL;
    error verr;
    error_clear(&verr);
    if (attrs_validate(a, p->attrs, p->n_attrs, v.in, v.n, NULL, &json, &verr) != 0)
        return error_set(err, ERR_INTERNAL, verr.arg,
                         "demo tables: %s fails validation (request %zu: %s)", dp->code, index,
                         verr.detail);
    rec->attributes = json;

    /* contact and description */
    person who;
    gen_person(g, ch, (dp->flags & DEMO_ANONYMOUS) != 0, &who);
    if (sp == SPECIAL_LONG)
        who.anonymous = 0;
    if (!who.anonymous) {
        rec->first_name = who.first->name;
        rec->last_name = who.last->name;
        rec->email = who.email;
        rec->phone = who.phone;
    }
    if (ch == CHANNEL_MOBILE)
        rec->device_id = arena_printf(a, "demo-%08x", (unsigned)(rng_next(r) & 0xffffffffu));

    buf b;
    buf_init(&b, DESC_MAX);
    int rc = 0;
    if (sp == SPECIAL_LONG) {
        for (size_t k = 0; demo_long_email_paragraphs[k]; k++)
            buf_puts(&b, demo_long_email_paragraphs[k]);
        buf_printf(&b, "%s %s, %s\n", who.first->name, who.last->name, place);
    } else if (sp == SPECIAL_XML) {
        buf_puts(&b, demo_xml_text);
    } else {
        buf tb;
        buf_init(&tb, DESC_MAX);
        rc = expand(&tb, special_text ? special_text : tpl->text, place, p, &v);
        const char *detail = rng_unit(r) < 0.6 ? pick(r, dp->details) : NULL;
        if (rc == 0 && ch == CHANNEL_SMS)
            detail = NULL; /* an SMS stays short */
        if (rc == 0)
            rc = compose_description(g, &b, ch, &who, buf_cstr(&tb), detail);
        buf_free(&tb);
    }
    if (rc == 0 && !b.failed)
        rec->description = arena_strdup(a, buf_cstr(&b));
    buf_free(&b);
    if (rc != 0 || !rec->description)
        return internal(err, "description template", index);

    /* priority */
    double x = rng_unit(r);
    int prio = x < 0.12 ? 0 : x < 0.80 ? 1 : x < 0.95 ? 2 : 3;
    prio += dp->priority_shift;
    if (sp == SPECIAL_XML)
        prio = 2;
    rec->priority = prio > 3 ? 3 : prio;

    /* status and timeline */
    status target = pick_status(g, index, g->now - t0);
    rec->status = status_code(target);
    const char *creator = "citizen";
    if (ch == CHANNEL_PHONE || ch == CHANNEL_COUNTER || ch == CHANNEL_POST)
        creator = pick(r, demo_counter_agents);
    else if (ch == CHANNEL_API)
        creator = "api:application-mobile-demo";
    timeline tl;
    tl.n = 0;
    if (gen_timeline(g, dp, dd, rec, target, creator, &tl) != 0)
        return internal(err, "timeline too long", index);
    admin_import_event *ev = arena_alloc(a, sizeof *ev * tl.n);
    if (!ev)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory");
    memcpy(ev, tl.ev, sizeof *ev * tl.n);
    q->events = ev;
    q->n_events = tl.n;

    gen_citizen_side(g, dp, target, rec);

    g->ch_count[ch]++;
    g->st_count[target]++;
    g->n_events += tl.n;
    return 0;
}

static int flush(demo_gen *g, error *err)
{
    size_t done = 0;
    int rc = admin_import_requests(g->c, g->batch, g->n_batch, &done, err);
    g->written += done;
    g->n_batch = 0;
    arena_free(&g->a);
    return rc;
}

/* ---- catalogue ---- */

/* What Open311 shows of a demo procedure's requests: the public incidents in full;
 * stationnement gênant, exposed but never public (licence plates, the reporter's street),
 * its status only, so that the app that filed a report can follow it; nothing of the rest. */
static open311_detail demo_open311_detail(const demo_procedure *dp)
{
    if (!dp->open311)
        return OPEN311_DETAIL_NONE;
    return dp->is_public ? OPEN311_DETAIL_FULL : OPEN311_DETAIL_STATUS;
}

/* The commune's colours, hours, contact details and map, then its logo: what `make run`
 * shows in every header and footer. A logo libvips cannot draw (no SVG loader) is left out,
 * with a warning: the demo works without. */
static int load_branding(core *c, int64_t tenant_id, error *err)
{
    store_tenant t = demo_tenant;
    t.id = tenant_id;
    arena a;
    arena_init(&a, 0);
    int rc = branding_settings_set_as(c, &actor_cli, &t, &demo_branding, &a, NULL, NULL, err);
    store_logo logo;
    branding_logo_problem problem;
    error lerr;
    error_clear(&lerr);
    if (rc == 0) {
        if (branding_logo_prepare(demo_logo_svg, strlen(demo_logo_svg), &a, &logo, &problem,
                                  &lerr) == 0)
            rc = branding_logo_set_as(c, &actor_cli, tenant_id, &logo, NULL, NULL, err);
        else
            log_warn("demo: no logo (%s)", lerr.detail);
    }
    arena_free(&a);
    return rc;
}

static int load_catalogue(core *c, int64_t *tenant_out, error *err)
{
    int64_t tenant_id = 0;
    if (admin_tenant_upsert_as(c, &actor_cli, &demo_tenant, &tenant_id, NULL, NULL, err) != 0)
        return -1;
    *tenant_out = tenant_id;
    if (load_branding(c, tenant_id, err) != 0)
        return -1;
    int64_t dept_ids[MAX_PROCEDURES] = {0};
    for (size_t i = 0; i < demo_n_departments; i++) {
        const demo_department *dd = &demo_departments[i];
        store_department d = {
            .tenant_id = tenant_id, .code = dd->code, .name = dd->name, .email = dd->email};
        if (admin_department_upsert_as(c, &actor_cli, &d, &dept_ids[i], NULL, NULL, err) != 0)
            return -1;
    }
    const catalogue *cat = catalogue_acquire(c);
    const cat_workflow *incident =
        workflow_by_code(catalogue_tenant_by_id(cat, tenant_id), "incident");
    int64_t workflow_id = incident ? incident->rec.id : 0;
    catalogue_release(c, cat);
    if (!workflow_id)
        return error_set(err, ERR_INTERNAL, NULL, "the demo tenant has no incident workflow");
    for (size_t i = 0; i < demo_n_procedures; i++) {
        const demo_procedure *dp = &demo_procedures[i];
        int64_t dept = 0;
        for (size_t k = 0; k < demo_n_departments; k++)
            if (strcmp(demo_departments[k].code, dp->department) == 0)
                dept = dept_ids[k];
        if (!dept)
            return error_set(err, ERR_INTERNAL, dp->code, "demo procedure without department");
        store_procedure p = {
            .tenant_id = tenant_id,
            .code = dp->code,
            .name = dp->name,
            .name_en = demo_procedure_name_en(dp->code),
            .icon = demo_procedure_icon(dp->code),
            .group_name = dp->group,
            .description = dp->description,
            .keywords = dp->keywords,
            .attributes = dp->attributes,
            .service_notice = dp->notice,
            .department_id = dept,
            .kind = dp->kind,
            .is_public = dp->is_public,
            .auto_public = (dp->flags & DEMO_AUTO_PUBLIC) != 0,
            .allow_anonymous = (dp->flags & DEMO_ANONYMOUS) != 0,
            .open311 = dp->open311,
            .open311_detail = demo_open311_detail(dp),
            .delay_days = dp->delay_days,
            .active = 1,
            .workflow_id = workflow_id,
        };
        if (admin_procedure_upsert_as(c, &actor_cli, &p, NULL, NULL, NULL, err) != 0)
            return -1;
    }
    return 0;
}

/* ---- back office: reply templates and agents ---- */

/* The letter templates, through core as an administrator's would be; one of the same name
 * already there is kept (an administrator may have edited it). */
static int load_letter_templates(core *c, int64_t tenant_id, FILE *report, error *err)
{
    arena a;
    arena_init(&a, 1024 * 1024);
    store_letter_template *have = NULL;
    size_t n_have = 0, added = 0;
    int rc = letter_tpl_list(c, tenant_id, &a, &have, &n_have, err);
    for (size_t i = 0; rc == 0 && i < demo_n_letter_templates; i++) {
        const demo_letter_template *d = &demo_letter_templates[i];
        size_t k = 0;
        while (k < n_have && strcmp(have[k].name, d->name) != 0)
            k++;
        if (k < n_have)
            continue;
        store_letter_template t = {.tenant_id = tenant_id,
                                   .name = d->name,
                                   .kind = d->kind,
                                   .lang = "fr",
                                   .subject = d->subject,
                                   .body = d->body,
                                   .visas = d->visas,
                                   .considerants = d->considerants,
                                   .decides = d->decides,
                                   .quality = d->quality,
                                   .signatory = d->signatory};
        rc = letter_tpl_upsert_as(c, &actor_cli, &t, NULL, NULL, NULL, err);
        added += rc == 0;
    }
    arena_free(&a);
    if (rc == 0 && report)
        fprintf(report, "%zu letter templates.\n", added);
    return rc;
}

/* The reply templates (through core, as an administrator's would be: upserted by name, so a
 * second run rewrites the same rows), then the agents the requests are assigned to (core
 * creates them, with the managers, the élu and the admin); both keep what already exists. */
static int load_backoffice(core *c, int64_t tenant_id, FILE *report, error *err)
{
    for (size_t i = 0; i < demo_n_reply_templates; i++) {
        store_reply_template t = {.tenant_id = tenant_id,
                                  .name = demo_reply_templates[i].name,
                                  .body = demo_reply_templates[i].body};
        if (admin_reply_template_upsert_as(c, &actor_cli, &t, NULL, NULL, NULL, err) != 0)
            return -1;
    }
    if (report)
        fprintf(report, "%zu reply templates.\n", demo_n_reply_templates);
    if (load_letter_templates(c, tenant_id, report, err) != 0)
        return -1;
    return agent_demo_load(c, tenant_id, report, err);
}

/* The demo's address list: every number of every street its requests name, laid along a
 * line through the street's point (its direction turned by the golden angle from one street
 * to the next), odd numbers on one side and even on the other, 6 m apart, so that the
 * search and «Me localiser» work around the map's centre. Loaded once: a list already
 * there is kept. */
#define DEMO_ADDRESS_STEP_M 6.0
#define DEMO_ADDRESS_SIDE_M 8.0
#define DEMO_INSEE "69999"

static int load_addresses(core *c, int64_t tenant_id, FILE *report, error *err)
{
    int64_t count = 0;
    if (address_count(c, tenant_id, &count, err) != 0)
        return -1;
    if (count > 0)
        return 0;
    address_import *im = NULL;
    if (address_import_begin(c, tenant_id, &im, err) != 0)
        return -1;
    const double coslat = cos(DEMO_LAT_CENTER * M_PI / 180.0);
    for (size_t i = 0; i < demo_n_streets; i++) {
        const demo_street *st = &demo_streets[i];
        /* The BAN writes a street's type with a capital: «Rue Victor Hugo». */
        char name[128];
        snprintf(name, sizeof name, "%s", st->name);
        if (name[0] >= 'a' && name[0] <= 'z')
            name[0] = (char)(name[0] - 'a' + 'A');
        double angle = fmod((double)i * 2.399963, M_PI);
        double ux = cos(angle), uy = sin(angle); /* along the street: east, north */
        for (unsigned n = 1; n <= st->max_number; n++) {
            double along =
                ((double)((n + 1) / 2) - (double)st->max_number / 4.0) * 2.0 * DEMO_ADDRESS_STEP_M;
            double side = (n % 2 ? 1.0 : -1.0) * DEMO_ADDRESS_SIDE_M;
            double north = along * uy + side * ux, east = along * ux - side * uy;
            char id[48];
            snprintf(id, sizeof id, DEMO_INSEE "_%04zu_%05u", i + 1, n);
            address_input in = {
                .ban_id = id,
                .number = (int)n,
                .street = name,
                .postcode = DEMO_ZIPCODE,
                .insee = DEMO_INSEE,
                .commune = demo_tenant.name,
                .lat = st->lat + north / GEO_METRES_PER_DEGREE,
                .lon = st->lon + east / (GEO_METRES_PER_DEGREE * coslat),
            };
            if (address_import_add(im, &in, err) != 0) {
                address_import_abort(im);
                return -1;
            }
        }
    }
    address_import_result r;
    if (address_import_commit(im, &r, err) != 0)
        return -1;
    if (report)
        fprintf(report, "%lld addresses in %lld streets (the address list).\n",
                (long long)r.addresses, (long long)r.streets);
    return 0;
}

/* Binds the generator to the catalogue entries just written. */
static int bind_catalogue(demo_gen *g, const catalogue *cat, error *err)
{
    g->tenant = catalogue_tenant_by_slug(cat, DEMO_TENANT_SLUG);
    if (!g->tenant)
        return error_set(err, ERR_INTERNAL, NULL, "demo tenant missing after its upsert");
    for (size_t i = 0; i < demo_n_procedures; i++) {
        g->procs[i] = catalogue_procedure(g->tenant, demo_procedures[i].code);
        g->depts[i] = NULL;
        for (size_t k = 0; k < demo_n_departments; k++)
            if (strcmp(demo_departments[k].code, demo_procedures[i].department) == 0)
                g->depts[i] = &demo_departments[k];
        if (!g->procs[i] || !g->depts[i] || !g->procs[i]->rec.active)
            return error_set(err, ERR_INTERNAL, demo_procedures[i].code,
                             "demo procedure missing or inactive after its upsert");
    }
    return 0;
}

static int existing_requests(core *c, int64_t *count, int64_t *tenant_id, error *err)
{
    *count = 0;
    *tenant_id = 0;
    const catalogue *cat = catalogue_acquire(c);
    const cat_tenant *t = catalogue_tenant_by_slug(cat, DEMO_TENANT_SLUG);
    int rc = 0;
    if (t) {
        *tenant_id = t->rec.id;
        store_request_filter f;
        memset(&f, 0, sizeof f);
        f.tenant_id = t->rec.id;
        f.priority = -1;
        f.limit = 1;
        rc = request_count(c, &f, count, err);
    }
    catalogue_release(c, cat);
    return rc;
}

static void report_summary(FILE *out, const demo_gen *g, int64_t ms)
{
    if (!out)
        return;
    fprintf(out,
            "Ville de Démo (tenant \"%s\") loaded: %zu departments, %zu procedures, %zu "
            "requests, %zu timeline events in %.1f s.\n",
            DEMO_TENANT_SLUG, demo_n_departments, demo_n_procedures, g->written, g->n_events,
            (double)ms / 1000.0);
    if (!g->written)
        return;
    fputs("  by channel:", out);
    for (int ch = 0; ch < CHANNEL_COUNT; ch++)
        fprintf(out, " %s %u", channel_name((channel)ch), g->ch_count[ch]);
    fputs("\n  by status: ", out);
    for (int s = 0; s < STATUS_COUNT; s++)
        fprintf(out, " %s %u", status_code((status)s), g->st_count[s]);
    fputc('\n', out);
}

int demo_load(core *c, unsigned requests, unsigned years, unsigned seed, FILE *report, error *err)
{
    if (requests > DEMO_MAX_REQUESTS)
        return error_set(err, ERR_INVALID_ARG, "requests", "at most %u requests",
                         DEMO_MAX_REQUESTS);
    if (demo_n_procedures > MAX_PROCEDURES || demo_n_departments > MAX_PROCEDURES)
        return error_set(err, ERR_INTERNAL, NULL, "demo tables larger than the generator");
    int64_t existing = 0, tenant_id = 0;
    if (existing_requests(c, &existing, &tenant_id, err) != 0)
        return -1;
    if (existing > 0) {
        if (report)
            fprintf(report,
                    "Ville de Démo is already loaded (%lld requests in tenant \"%s\"): its "
                    "requests are unchanged.\n",
                    (long long)existing, DEMO_TENANT_SLUG);
        /* A database loaded before the back office or the address list existed gets its
         * agents, templates and addresses. */
        if (load_backoffice(c, tenant_id, report, err) != 0 ||
            load_addresses(c, tenant_id, report, err) != 0)
            return -1;
        return demo_load_areas(c, tenant_id, report, err);
    }
    int64_t started = time_mono_ms();
    if (load_catalogue(c, &tenant_id, err) != 0)
        return -1;
    if (load_backoffice(c, tenant_id, report, err) != 0 ||
        load_addresses(c, tenant_id, report, err) != 0 ||
        demo_load_areas(c, tenant_id, report, err) != 0)
        return -1;

    demo_gen *g = calloc(1, sizeof *g);
    slot *slots = NULL;
    const catalogue *cat = catalogue_acquire(c);
    int rc = -1;
    if (!g) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    g->c = c;
    g->seed = seed;
    g->now = time_now();
    g->n = requests;
    arena_init(&g->a, 0);
    if (bind_catalogue(g, cat, err) != 0)
        goto cleanup;
    if (years < 1)
        years = 1;
    unsigned days = DEMO_DAYS * years;
    size_t per_day_max = requests / days + 2;
    slots = calloc(per_day_max, sizeof *slots);
    g->batch = calloc(ADMIN_IMPORT_BATCH, sizeof *g->batch);
    if (!slots || !g->batch) {
        error_set(err, ERR_INTERNAL, NULL, "out of memory");
        goto cleanup;
    }
    /* Day 0 is `years` years ago, day days-1 today; each day gets its share of the requests,
     * sorted by time so that references follow the order of creation. */
    int64_t today = (g->now + LOCAL_OFFSET) / DAY * DAY - LOCAL_OFFSET;
    size_t index = 0;
    for (unsigned d = 0; d < days; d++) {
        size_t k =
            (size_t)(((uint64_t)(d + 1) * requests) / days - ((uint64_t)d * requests) / days);
        int64_t day_start = today - (int64_t)(days - 1 - d) * DAY;
        g->r = rng_stream(g->seed, 1, d);
        for (size_t i = 0; i < k; i++)
            gen_slot(g, day_start, &slots[i]);
        qsort(slots, k, sizeof *slots, cmp_slot);
        for (size_t i = 0; i < k; i++) {
            if (gen_request(g, &slots[i], index++, &g->batch[g->n_batch++], err) != 0)
                goto cleanup;
            if (g->n_batch == ADMIN_IMPORT_BATCH && flush(g, err) != 0)
                goto cleanup;
        }
    }
    if (g->n_batch && flush(g, err) != 0)
        goto cleanup;
    report_summary(report, g, time_mono_ms() - started);
    rc = 0;
cleanup:
    catalogue_release(c, cat);
    if (g) {
        arena_free(&g->a);
        free(g->batch);
    }
    free(slots);
    free(g);
    return rc;
}
