/*
 * filing_form — the procedure forms of the portal, generated from each procedure's attribute
 * definitions. Démarches go through two steps (the form, review). Incidents go through the
 * report flow, phone first, whichever way the citizen came (`/signaler`, or one category's
 * `/demarches/{code}`): the place (an address from the collectivité's list, the browser's
 * position or the map: never coordinates to type), then the problem (a photo first, the
 * words, the category — suggested from the words —), then the category's questions and the
 * contact details above a summary of the rest, and «Envoyer». Without JavaScript every step
 * is a POST to the same URL naming the step it shows; the answers of the other steps travel
 * in hidden fields, so no answer is stored before the citizen sends. Each step is checked on
 * the server: an error summary links to every faulty field and the values are kept. Whatever
 * step a POST came from, the files it carries are checked and kept on the server
 * (core/upload_stash.h, tied to the browser's CSRF cookie) rather than carried in the page,
 * so that a refusal, a «Modifier» or a file too many never makes the visitor choose them
 * again: the step that asks for files lists them, each with «retirer», and sending attaches
 * them. Sending suspends the connection while request_create waits for its group commit.
 * Questions a condition hides (show_if, core/attrs.h) are in the page with the `hidden`
 * attribute, so that a script (static/js/conditions.js) shows them at once; without it, a
 * step whose answers show questions it did not show comes back with them («Continuer» again)
 * before moving on, every answer kept. Hidden questions are neither checked nor carried.
 * A démarche's location question is a place as the report's is (struct place): the address
 * list's combobox with a script, the same lookup on «Continuer» without one.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/address.h"
#include "core/attachment.h"
#include "core/attrs.h"
#include "core/request.h"
#include "core/request_public.h"
#include "core/stats.h"
#include "core/upload_stash.h"
#include "util/collate.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "web/portal/filing_internal.h"
#include "web/portal/portal.h"
#include "web/form_field.h"
#include "web/portal/tracking_internal.h"
#include "web/web.h"

/* Addresses of the collectivité's list offered when the one typed names several. */
#define PLACE_CHOICES 5
/* The value of the choice that keeps the address as typed. */
#define PLACE_AS_TYPED "telle-quelle"
/* «Déjà signalé près d'ici ?»: the public open incidents this close to the place given, at
 * most this many, shown on the problem's step. */
#define NEARBY_METRES 150.0
#define NEARBY_SHOWN 3
/* The zoom of a map centred on a place the citizen already gave: the street. */
#define MAP_ZOOM_PLACE "17"
/* Submissions per client address: a burst for a family filing several requests, then one
 * every ten seconds. */
#define SUBMIT_RATE 0.1
#define SUBMIT_BURST 20
/* Posts carrying files per client address: each file is scanned, decoded and re-encoded. */
#define UPLOAD_RATE 0.5
#define UPLOAD_BURST 30
/* The id of a step's heading: where an error about the whole step (not one field) leads. */
#define STEP_ANCHOR "etape"
/* The file input's name, and its error's. */
#define FILES_FIELD "files"
#define MAX_SPECS 64
#define MAX_ERRORS 64
/* The hidden input listing the conditional questions the page showed (codes, one space
 * apart), which conditions.js keeps up to date. */
#define SHOWN_FIELD "questions_affichees"

typedef enum step_id {
    STEP_LOCATION = 0,
    STEP_WHAT,
    STEP_SEND,
    STEP_FORM,
    STEP_REVIEW,
    STEP_COUNT
} step_id;

static const struct {
    const char *code;
    const char *label_key;
} step_info[STEP_COUNT] = {
    [STEP_LOCATION] = {"location", "procedure.step_location"},
    [STEP_WHAT] = {"what", "procedure.step_what"},
    [STEP_SEND] = {"send", "procedure.step_send"},
    [STEP_FORM] = {"form", "procedure.step_form"},
    [STEP_REVIEW] = {"review", "procedure.step_review"},
};

static const step_id incident_steps[] = {STEP_LOCATION, STEP_WHAT, STEP_SEND};
static const step_id demarche_steps[] = {STEP_FORM, STEP_REVIEW};

/* What a field checks beyond its kind. */
typedef enum fcheck {
    C_NONE,
    C_ATTR,
    C_DESCRIPTION,
    C_ADDRESS,
    C_LAT,
    C_LON,
    C_NAME,
    C_EMAIL,
    C_PHONE,
    C_NOTIFY,
    C_CATEGORY,
    C_ATTR_FILE
} fcheck;

/* One choice of a list that is not an attribute's (how to be informed, the category). */
typedef struct fchoice {
    const char *value, *label;
    const char *keywords; /* folded words that suggest it (the category), or NULL */
} fchoice;

/* A place the citizen types — the report's own, or a location question's — resolved against
 * the collectivité's address list when the form comes without a script (resolve_place). */
typedef struct place {
    const char *code; /* the location question's, NULL for the report's place */
    /* The names of its fields: the address typed; the position (hidden: the list, the map or
     * the phone give it, never a citizen typing degrees); the address the position was found
     * for («» when the map or the phone gave it); the address choices were offered for, and
     * the choice among them. */
    const char *address, *lat, *lon, *found_for, *offered_for, *choice;
    const char *lat_id, *lon_id, *found_for_id; /* the ids of the hidden ones */
    /* What the lookup gave: the address found, or the addresses to choose among. */
    int has_place;
    const char *label, *at_lat, *at_lon;
    int drop_position; /* the position sent was found for another address than the one sent */
    const char *typed; /* what the citizen typed, when they are to choose */
    const fchoice *choices;
    size_t n_choices;
} place;

/* The report's place and a procedure's location questions: those beyond are plain text. */
#define MAX_PLACES 16

typedef struct fspec {
    const char *name; /* form field name */
    const char *id;
    const char *label;
    const char *hint;
    form_field_kind kind;
    fcheck check;
    const char *input_type, *inputmode, *autocomplete;
    int required, is_short, multi;
    int hidden; /* a condition hides it for the answers so far */
    const attr_def *attr;
    const fchoice *choices; /* the list of a choice that is not an attribute */
    size_t n_choices;
    place *pl; /* the place one of whose fields it is, or NULL */
} fspec;

typedef struct ferr {
    const char *name; /* field name */
    const char *message;
} ferr;

static const char *const notify_values[] = {"email", "sms", "none"};
static const char *const notify_keys[] = {"procedure.notify_email", "procedure.notify_sms",
                                          "procedure.notify_none"};

typedef struct filing {
    http_req *rq;
    const cat_tenant *t;
    const cat_procedure *p; /* a report's: the category chosen, NULL until then */
    int incident;
    const cat_procedure *came_for; /* a report begun from one category's page, or NULL */
    const char *suggested;         /* the category suggested to the citizen, or NULL */
    int suggested_by_place;        /* … from the incidents near the place, not the words */
    int proposal_refuted; /* the place's proposal sent back as it was, the words saying another */
    /* The places typed (place_of): the report's, the location questions'. */
    place places[MAX_PLACES];
    size_t n_places;
    lang l;
    form f; /* the answers so far (empty on GET) */
    http_file *files;
    size_t n_files;
    ferr errors[MAX_ERRORS];
    size_t n_errors;
    int prefill; /* fill contact fields from the account */
    store_account acc;
    int logged_in;
    const char *shared_key; /* set: the page may be shared (web_render_shared) */
    /* files kept between the steps (POSTs only) */
    upload_stash stash;
    upload_kept *kept; /* in the order sent */
    size_t n_kept;
    int files_status; /* 400, or 503 when the antivirus could not scan one; 0: no refusal */
    int question_file_refused; /* the refused file came for a file question */
    /* sending */
    store_attachment *atts;
    size_t n_atts;
    request_input in;
    request_created created;
    /* The answers the conditions read (cond_inputs), gathered once. */
    attr_input *cond_in;
    size_t n_cond_in;
    int cond_ready;
    int conditions_notice; /* the step comes back with the questions the answers show */
} filing;

static const char *S(filing *fl, const char *key)
{
    return present_string(fl->rq->present, fl->l, key);
}

/* The procedure whose page this is: the démarche's, or the category's a report began from (a
 * report from «Signaler un problème» has none). */
static const cat_procedure *page_procedure(const filing *fl)
{
    return fl->incident ? fl->came_for : fl->p;
}

/* The honest delay of the page's procedure (core/stats.h: measured over the requests closed
 * in the last 90 days, none below the floor): 1 and the figures, or 0. */
static int page_delay(filing *fl, int64_t *median_s, int64_t *p90_s)
{
    const cat_procedure *p = page_procedure(fl);
    return p && stats_procedure_delay(fl->rq->core, fl->t, p->rec.id, median_s, p90_s);
}

/* «12 jours» or, under two days, «5 heures»: rounded up, so that «en moins de» stays true. */
static const char *delay_words(filing *fl, int64_t s)
{
    int64_t days = (s + 86399) / 86400, hours = (s + 3599) / 3600;
    int in_days = s >= 2 * 86400;
    int64_t n = in_days ? days : hours < 1 ? 1 : hours;
    const char *key = in_days ? (n == 1 ? "procedure.delay_day" : "procedure.delay_days")
                              : (n == 1 ? "procedure.delay_hour" : "procedure.delay_hours");
    return filing_subst1(fl->rq->arena, S(fl, key), "n",
                         arena_printf(fl->rq->arena, "%lld", (long long)n));
}

/* The page's line on the delay, or NULL when there is no figure to give. */
static const char *delay_line(filing *fl)
{
    int64_t median_s, p90_s;
    if (!page_delay(fl, &median_s, &p90_s))
        return NULL;
    const char *keys[] = {"median", "p90"};
    const char *vals[] = {delay_words(fl, median_s), delay_words(fl, p90_s)};
    return filing_subst(fl->rq->arena, S(fl, "procedure.delay_measured"), keys, vals, 2);
}

/* ---- the fields of each step ---- */

static const step_id *steps_of(const filing *fl, size_t *n)
{
    if (fl->incident) {
        *n = sizeof incident_steps / sizeof incident_steps[0];
        return incident_steps;
    }
    *n = sizeof demarche_steps / sizeof demarche_steps[0];
    return demarche_steps;
}

/* The step that asks for files: a report's photo comes with the problem; a démarche's
 * documents just above «Envoyer». */
static step_id files_step(const filing *fl)
{
    return fl->incident ? STEP_WHAT : STEP_REVIEW;
}

/* The step that asks the procedure's questions. */
static step_id questions_step(const filing *fl)
{
    return fl->incident ? STEP_SEND : STEP_FORM;
}

/* The step whose POST sends the request. */
static step_id last_step(const filing *fl)
{
    return fl->incident ? STEP_SEND : STEP_REVIEW;
}

static int step_index(const filing *fl, step_id s)
{
    size_t n;
    const step_id *st = steps_of(fl, &n);
    for (size_t i = 0; i < n; i++)
        if (st[i] == s)
            return (int)i;
    return -1;
}

/* The step called `code` among this procedure's steps, or -1. */
static int step_parse(const filing *fl, const char *code)
{
    if (!code)
        return -1;
    for (int s = 0; s < STEP_COUNT; s++)
        if (strcmp(step_info[s].code, code) == 0 && step_index(fl, (step_id)s) >= 0)
            return s;
    return -1;
}

static const char *trimmed(arena *a, const char *v);

/* The place of location question d, or the report's (d NULL), set up on first use; NULL
 * when there are too many (the question is then a line of text). */
static place *place_of(filing *fl, const attr_def *d)
{
    arena *a = fl->rq->arena;
    for (size_t i = 0; i < fl->n_places; i++)
        if (d ? fl->places[i].code && strcmp(fl->places[i].code, d->code) == 0
              : !fl->places[i].code)
            return &fl->places[i];
    if (fl->n_places == MAX_PLACES)
        return NULL;
    place *pl = &fl->places[fl->n_places++];
    memset(pl, 0, sizeof *pl);
    if (!d) {
        *pl = (place){.address = "address",
                      .lat = "lat",
                      .lon = "long",
                      .found_for = "lieu_position",
                      .offered_for = "adresses_pour",
                      .choice = "adresse_choisie",
                      .lat_id = "lat",
                      .lon_id = "long",
                      .found_for_id = "lieu_position"};
        return pl;
    }
    const char *id = form_field_id(a, d->code);
    pl->code = d->code;
    pl->address = arena_printf(a, "attribute[%s]", d->code);
    pl->lat = arena_printf(a, "attribute[%s][lat]", d->code);
    pl->lon = arena_printf(a, "attribute[%s][lon]", d->code);
    pl->found_for = arena_printf(a, "attribute[%s][pour]", d->code);
    pl->offered_for = arena_printf(a, "attribute[%s][offertes]", d->code);
    pl->choice = arena_printf(a, "attribute[%s][choix]", d->code);
    pl->lat_id = arena_printf(a, "%s-lat", id);
    pl->lon_id = arena_printf(a, "%s-lon", id);
    pl->found_for_id = arena_printf(a, "%s-pour", id);
    return pl;
}

/* The answers so far to the questions conditions depend on, as core reads them: every
 * non-empty value of every question of the procedure. */
static void cond_inputs(filing *fl)
{
    if (fl->cond_ready)
        return;
    fl->cond_ready = 1;
    fl->cond_in =
        fl->f.count ? arena_alloc(fl->rq->arena, fl->f.count * sizeof *fl->cond_in) : NULL;
    for (size_t i = 0; fl->p && fl->cond_in && i < fl->p->n_attrs; i++) {
        const attr_def *d = &fl->p->attrs[i];
        if (!d->variable)
            continue;
        const char *name = form_field_name(fl->rq->arena, d);
        for (size_t j = 0; name && j < fl->f.count; j++) {
            if (strcmp(fl->f.fields[j].name, name) != 0)
                continue;
            const char *v = trimmed(fl->rq->arena, fl->f.fields[j].value);
            if (v && *v)
                fl->cond_in[fl->n_cond_in++] = (attr_input){d->code, v};
        }
    }
}

/* 1 when a condition hides question d for the answers so far. */
static int attr_hidden(filing *fl, const attr_def *d)
{
    if (!d->conditional)
        return 0;
    cond_inputs(fl);
    return !attrs_shown(fl->p->attrs, fl->p->n_attrs, d, fl->cond_in, fl->n_cond_in);
}

static size_t add_place_specs(filing *fl, place *pl, fspec *out, size_t n, size_t max);

static size_t add_attr_specs(filing *fl, fspec *out, size_t n, size_t max)
{
    arena *a = fl->rq->arena;
    for (size_t i = 0; fl->p && i < fl->p->n_attrs && n < max; i++) {
        const attr_def *d = &fl->p->attrs[i];
        fspec *s = &out[n++];
        memset(s, 0, sizeof *s);
        s->attr = d;
        s->id = form_field_id(a, d->code);
        s->label = attr_label(d, fl->rq->lang);
        s->hint = attr_hint(d, fl->rq->lang);
        s->hidden = attr_hidden(fl, d);
        form_field_widget w;
        form_field_widget_of(d, &w);
        s->kind = w.kind;
        s->input_type = w.input_type;
        s->inputmode = w.inputmode;
        s->autocomplete = w.autocomplete;
        s->is_short = w.is_short;
        s->multi = w.multi;
        if (w.kind == FORM_FIELD_SECTION || w.kind == FORM_FIELD_NOTICE) {
            s->name = "";
            continue;
        }
        s->check = w.kind == FORM_FIELD_FILE ? C_ATTR_FILE : C_ATTR;
        s->required = d->required;
        s->name = form_field_name(a, d);
        if (d->type == ATTR_LOCATION) {
            s->pl = place_of(fl, d);
            if (s->pl) {
                int hidden = s->hidden;
                size_t from = n;
                n = add_place_specs(fl, s->pl, out, n, max);
                for (size_t k = from; k < n; k++)
                    out[k].hidden = hidden; /* carried and checked with their question */
            }
        }
    }
    return n;
}

static void input_spec(fspec *s, const char *name, const char *label, const char *hint,
                       fcheck check, const char *type, const char *autocomplete)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->id = name;
    s->label = label;
    s->hint = hint;
    s->kind = FORM_FIELD_INPUT;
    s->check = check;
    s->input_type = type;
    s->autocomplete = autocomplete;
}

/* A hidden field of place pl. */
static void place_hidden(fspec *s, place *pl, const char *name, const char *id, const char *label,
                         fcheck check)
{
    input_spec(s, name, label, NULL, check, "hidden", NULL);
    s->id = id;
    s->kind = FORM_FIELD_HIDDEN;
    s->pl = pl;
}

/* The fields of place pl after its address: the position and the address it was found for
 * (another address typed since drops it), then, when the address typed named several, the
 * address they were offered for and the choice among them. The report's position is checked
 * here (C_LAT, C_LON), a question's by core with its address. */
static size_t add_place_specs(filing *fl, place *pl, fspec *out, size_t n, size_t max)
{
    int report = pl->code == NULL;
    if (n + 5 > max)
        return n;
    place_hidden(&out[n++], pl, pl->lat, pl->lat_id, S(fl, "procedure.lat"),
                 report ? C_LAT : C_NONE);
    place_hidden(&out[n++], pl, pl->lon, pl->lon_id, S(fl, "procedure.lon"),
                 report ? C_LON : C_NONE);
    place_hidden(&out[n++], pl, pl->found_for, pl->found_for_id, S(fl, "procedure.address"),
                 C_NONE);
    if (pl->n_choices) {
        const char *offered_id = report ? pl->offered_for
                                        : arena_printf(fl->rq->arena, "%s-offertes",
                                                       form_field_id(fl->rq->arena, pl->code));
        place_hidden(&out[n++], pl, pl->offered_for, offered_id, S(fl, "procedure.address"),
                     C_NONE);
        fspec *s = &out[n++];
        input_spec(
            s, pl->choice, S(fl, "procedure.place_choose"),
            filing_subst1(fl->rq->arena, S(fl, "procedure.place_choose_hint"), "label", pl->typed),
            C_NONE, NULL, NULL);
        s->id = report ? pl->choice
                       : arena_printf(fl->rq->arena, "%s-choix",
                                      form_field_id(fl->rq->arena, pl->code));
        s->kind = FORM_FIELD_CHOICES;
        s->choices = pl->choices;
        s->n_choices = pl->n_choices;
        s->pl = pl;
    }
    return n;
}

/* The description is required for incidents, and for démarches whose attributes require
 * nothing (a question): otherwise the request could say nothing at all. */
static int description_required(const filing *fl)
{
    if (fl->incident)
        return 1;
    for (size_t i = 0; i < fl->p->n_attrs; i++)
        if (fl->p->attrs[i].variable && fl->p->attrs[i].required)
            return 0;
    return 1;
}

static size_t add_description_spec(filing *fl, fspec *out, size_t n)
{
    fspec *s = &out[n];
    int required = description_required(fl);
    input_spec(s, "description",
               S(fl, required ? "procedure.description" : "procedure.description_demarche"),
               S(fl, fl->incident ? "procedure.description_incident_hint"
                                  : "procedure.description_demarche_hint"),
               C_DESCRIPTION, NULL, NULL);
    s->kind = FORM_FIELD_TEXTAREA;
    s->required = required;
    return n + 1;
}

/* The list of a choice (n entries), values and label keys given. */
static const fchoice *choices_of(filing *fl, const char *const *values, const char *const *keys,
                                 size_t n)
{
    fchoice *c = arena_alloc(fl->rq->arena, n * sizeof *c);
    for (size_t i = 0; c && i < n; i++)
        c[i] = (fchoice){values[i], S(fl, keys[i]), NULL};
    return c;
}

static int cmp_choice(const void *x, const void *y)
{
    const fchoice *a = x, *b = y;
    return collate_fr(a->label, strlen(a->label), b->label, strlen(b->label));
}

/* The categories of a report: the collectivité's incident procedures open to filing, in
 * French alphabetical order, each with the folded words that suggest it. */
static const fchoice *category_choices(filing *fl, size_t *n)
{
    arena *a = fl->rq->arena;
    *n = 0;
    fchoice *c = arena_alloc(a, (fl->t->n_procedures + 1) * sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < fl->t->n_procedures; i++) {
        const cat_procedure *p = &fl->t->procedures[i];
        if (!p->rec.active || p->rec.kind != PROCEDURE_INCIDENT)
            continue;
        /* Its keywords; its names only when it has none (a name's adjectives — «dangereux»,
         * «public» — would point to it from any report). */
        const char *words = p->rec.keywords && *p->rec.keywords
                                ? p->rec.keywords
                                : arena_printf(a, "%s %s", p->rec.name,
                                               p->rec.name_en ? p->rec.name_en : "");
        c[(*n)++] = (fchoice){p->rec.code, web_procedure_name(fl->rq, p),
                              words ? filing_fold(a, words) : NULL};
    }
    qsort(c, *n, sizeof *c, cmp_choice);
    return c;
}

static size_t add_category_spec(filing *fl, fspec *out, size_t n)
{
    fspec *s = &out[n];
    input_spec(s, "categorie", S(fl, "procedure.category"), NULL, C_CATEGORY, NULL, NULL);
    s->kind = FORM_FIELD_CHOICES;
    s->required = 1;
    s->choices = category_choices(fl, &s->n_choices);
    if (fl->suggested)
        s->hint = filing_subst1(fl->rq->arena,
                                S(fl, fl->suggested_by_place ? "procedure.category_suggested_place"
                                                             : "procedure.category_suggested"),
                                "label",
                                web_procedure_name(fl->rq, catalogue_procedure(fl->t, fl->suggested)));
    return n + 1;
}

static size_t add_contact_specs(filing *fl, fspec *out, size_t n)
{
    input_spec(&out[n++], "first_name", S(fl, "procedure.first_name"), NULL, C_NAME, "text",
               "given-name");
    input_spec(&out[n++], "last_name", S(fl, "procedure.last_name"), NULL, C_NAME, "text",
               "family-name");
    input_spec(&out[n++], "email", S(fl, "procedure.email"), S(fl, "procedure.email_hint"), C_EMAIL,
               "email", "email");
    input_spec(&out[n++], "phone", S(fl, "procedure.phone"), S(fl, "procedure.phone_hint"), C_PHONE,
               "tel", "tel");
    fspec *s = &out[n++];
    input_spec(s, "notify", S(fl, "procedure.notify"), NULL, C_NOTIFY, NULL, NULL);
    s->kind = FORM_FIELD_CHOICES;
    s->choices = choices_of(fl, notify_values, notify_keys, 3);
    s->n_choices = s->choices ? 3 : 0;
    return n;
}

/* The fields shown on step st, in order. */
static size_t step_specs(filing *fl, step_id st, fspec *out, size_t max)
{
    size_t n = 0;
    switch (st) {
    case STEP_LOCATION: {
        place *pl = place_of(fl, NULL);
        input_spec(&out[n], "address", S(fl, "procedure.address"), S(fl, "procedure.address_hint"),
                   C_ADDRESS, "text", "street-address");
        out[n++].pl = pl;
        n = add_place_specs(fl, pl, out, n, max);
        break;
    }
    case STEP_WHAT:
        n = add_description_spec(fl, out, n);
        n = add_category_spec(fl, out, n);
        /* The category proposed from the place, if any: sent back checked, it is checked
         * against the words once they are there. */
        input_spec(&out[n], "categorie_proposee", S(fl, "procedure.category"), NULL, C_NONE,
                   "hidden", NULL);
        out[n++].kind = FORM_FIELD_HIDDEN;
        break;
    case STEP_SEND:
        n = add_attr_specs(fl, out, n, max - 6);
        n = add_contact_specs(fl, out, n);
        break;
    case STEP_FORM:
        n = add_attr_specs(fl, out, n, max - 6);
        n = add_description_spec(fl, out, n);
        n = add_contact_specs(fl, out, n);
        break;
    default:
        break;
    }
    return n;
}

/* ---- values ---- */

static const char *trimmed(arena *a, const char *v)
{
    if (!v)
        return "";
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    return arena_strndup(a, v, n);
}

/* The (first) value of a field as typed, "" when absent; contact fields are filled from the
 * citizen's account when arriving on their step. */
static const char *raw_value(filing *fl, const char *name)
{
    for (size_t i = 0; i < fl->n_places; i++) {
        const place *pl = &fl->places[i];
        int position = strcmp(name, pl->lat) == 0 || strcmp(name, pl->lon) == 0 ||
                       strcmp(name, pl->found_for) == 0;
        if (pl->has_place) {
            if (strcmp(name, pl->address) == 0 || strcmp(name, pl->found_for) == 0)
                return pl->label;
            if (strcmp(name, pl->lat) == 0)
                return pl->at_lat;
            if (strcmp(name, pl->lon) == 0)
                return pl->at_lon;
        } else if (pl->drop_position && position) {
            return "";
        }
        if (pl->n_choices && strcmp(name, pl->offered_for) == 0)
            return pl->typed;
    }
    if (fl->suggested_by_place && strcmp(name, "categorie_proposee") == 0)
        return fl->suggested;
    /* Shown the words' proposal instead: the citizen's next choice stands, whatever it is. */
    if (fl->proposal_refuted && strcmp(name, "categorie_proposee") == 0)
        return "";
    if (fl->proposal_refuted && strcmp(name, "categorie") == 0)
        return fl->suggested;
    const char *v = form_get(&fl->f, name);
    if ((!v || !*v) && fl->prefill && fl->logged_in) {
        if (strcmp(name, "email") == 0 && fl->acc.email)
            return fl->acc.email;
        if (strcmp(name, "phone") == 0 && fl->acc.phone)
            return fl->acc.phone;
    }
    /* A report's category: the one chosen, else the one it began from or the one
     * suggested. */
    if ((!v || !*v) && strcmp(name, "categorie") == 0)
        return fl->p ? fl->p->rec.code : fl->suggested ? fl->suggested : "";
    return v ? v : "";
}

/* The value the form carries for name, "" when none: no default. */
static const char *form_value(filing *fl, const char *name)
{
    const char *v = form_get(&fl->f, name);
    return v ? v : "";
}

static const char *value(filing *fl, const char *name)
{
    return trimmed(fl->rq->arena, raw_value(fl, name));
}

static int has_value(filing *fl, const char *name, const char *v)
{
    for (size_t i = 0; i < fl->f.count; i++)
        if (strcmp(fl->f.fields[i].name, name) == 0 && strcmp(fl->f.fields[i].value, v) == 0)
            return 1;
    return 0;
}

/* ---- checks ---- */

static void add_error(filing *fl, const char *name, const char *message)
{
    for (size_t i = 0; i < fl->n_errors; i++)
        if (strcmp(fl->errors[i].name, name) == 0)
            return; /* one message per field: the first problem */
    if (fl->n_errors < MAX_ERRORS)
        fl->errors[fl->n_errors++] = (ferr){name, message};
}

static const char *error_of(filing *fl, const char *name)
{
    for (size_t i = 0; i < fl->n_errors; i++)
        if (strcmp(fl->errors[i].name, name) == 0)
            return fl->errors[i].message;
    return NULL;
}

static void field_error(filing *fl, const fspec *s, const char *key)
{
    add_error(fl, s->name, filing_subst1(fl->rq->arena, S(fl, key), "label", s->label));
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/*
 * A date and time as a citizen gives it — "2026-11-28T14:30" from <input type=datetime-local>,
 * "28/11/2026 14:30" typed where the browser has no date picker, a bare date, or a full
 * RFC 3339 instant — as RFC 3339 with the offset of zone tz at that local time. NULL when it
 * is none of those.
 */
static const char *local_to_rfc3339(arena *a, const char *v, const char *tz)
{
    int64_t t;
    size_t len = strlen(v);
    if (len > 19 && time_parse_rfc3339(v, &t) == 0)
        return v;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const char *p = v;
    if (len >= 10 && v[4] == '-') {
        if (read_digits(&p, 4, &y) || *p++ != '-' || read_digits(&p, 2, &mo) || *p++ != '-' ||
            read_digits(&p, 2, &d))
            return NULL;
    } else if (len >= 10 && v[2] == '/') {
        if (read_digits(&p, 2, &d) || *p++ != '/' || read_digits(&p, 2, &mo) || *p++ != '/' ||
            read_digits(&p, 4, &y))
            return NULL;
    } else {
        return NULL;
    }
    if (*p == 'T' || *p == ' ') {
        p++;
        while (*p == ' ')
            p++;
        if (read_digits(&p, 2, &h) || (*p != ':' && *p != 'h'))
            return NULL;
        p++;
        if (read_digits(&p, 2, &mi))
            return NULL;
        if (*p == ':') {
            p++;
            if (read_digits(&p, 2, &sec))
                return NULL;
        }
    }
    if (*p)
        return NULL;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || sec > 59)
        return NULL;
    int64_t local =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
    t = time_from_local(local, tz);
    char *out = arena_alloc(a, TIME_RFC3339_LEN);
    if (!out)
        return NULL;
    time_format_rfc3339(t, tz, out);
    return out;
}

/* A decimal number typed with a comma or a point; -1 when it is not one. */
static int parse_decimal(arena *a, const char *v, double *out)
{
    char *s = arena_strdup(a, v);
    if (!s || !*s)
        return -1;
    for (char *c = s; *c; c++)
        if (*c == ',')
            *c = '.';
    char *end;
    *out = strtod(s, &end);
    return (*end || !isfinite(*out)) ? -1 : 0;
}

/* An attribute's value as core wants it: numbers with a point, datetimes in RFC 3339, dates as
 * YYYY-MM-DD (a French 05/12/2026 too). */
static const char *attr_normalise(filing *fl, const attr_def *d, const char *v, int *bad)
{
    *bad = 0;
    if (!*v)
        return v;
    if (d->type == ATTR_NUMBER) {
        char *s = arena_strdup(fl->rq->arena, v);
        for (char *c = s; c && *c; c++)
            if (*c == ',')
                *c = '.';
        return s;
    }
    if (d->type == ATTR_DATETIME) {
        const char *r = local_to_rfc3339(fl->rq->arena, v, fl->t->rec.timezone);
        if (!r)
            *bad = 1;
        return r ? r : v;
    }
    if (d->type == ATTR_DATE) {
        const char *iso;
        *bad = attr_date_read(fl->rq->arena, v, &iso) != 0;
        return *bad ? v : iso;
    }
    return v;
}

/* The inputs given for attribute s->attr (appended to in[*n], at most max). -1 when a
 * value cannot be converted (a date that is not one). */
static int attr_inputs(filing *fl, const fspec *s, attr_input *in, size_t *n, size_t max)
{
    int failed = 0;
    for (size_t i = 0; i < fl->f.count && *n < max; i++) {
        if (strcmp(fl->f.fields[i].name, s->name) != 0)
            continue;
        const char *v = trimmed(fl->rq->arena, fl->f.fields[i].value);
        if (!*v)
            continue;
        int bad;
        v = attr_normalise(fl, s->attr, v, &bad);
        failed |= bad;
        /* A location carries the position found for its address. */
        if (s->pl)
            v = attr_location_input(fl->rq->arena, v, value(fl, s->pl->lat), value(fl, s->pl->lon));
        in[(*n)++] = (attr_input){s->attr->code, v ? v : ""};
        if (!s->multi)
            break;
    }
    return failed ? -1 : 0;
}

static int text_ok(const char *v, size_t max, int multi_line)
{
    size_t n = strlen(v);
    return utf8_valid(v, n) && utf8_length(v, n) <= max && !utf8_has_control(v, n) &&
           (multi_line || !strpbrk(v, "\r\n\t"));
}

static int email_ok(const char *e)
{
    const char *at = strchr(e, '@');
    return at && at != e && at[1] && !strchr(at + 1, '@') && !strpbrk(e, " <>\"(),;:") &&
           strchr(at + 1, '.') && strlen(e) <= 254;
}

/* A visitor's file name fit for a page: "?" when it has none or it is not UTF-8. */
static const char *shown_name(const char *name)
{
    return name && *name && utf8_valid(name, strlen(name)) ? name : "?";
}

/* The file kept for file question `name` (its latest), NULL when none. */
static const upload_kept *kept_for(const filing *fl, const char *name)
{
    const upload_kept *found = NULL;
    for (size_t i = 0; i < fl->n_kept; i++)
        if (fl->kept[i].field && strcmp(fl->kept[i].field, name) == 0)
            found = &fl->kept[i];
    return found;
}

static void check_attr(filing *fl, const fspec *s)
{
    attr_input in[64];
    size_t n = 0;
    if (attr_inputs(fl, s, in, &n, 64) != 0) {
        field_error(fl, s,
                    s->attr->type == ATTR_DATE ? "procedure.err_date" : "procedure.err_datetime");
        return;
    }
    const char *refusal =
        form_field_refusal(fl->rq->arena, fl->rq->present, fl->l, s->attr, s->label, in, n,
                           s->attr->type == ATTR_LOCATION ? value(fl, s->name) : NULL);
    if (refusal)
        add_error(fl, s->name, refusal);
}

static void check_field(filing *fl, const fspec *s)
{
    if (s->hidden || s->kind == FORM_FIELD_SECTION)
        return; /* hidden: its values are dropped, whatever they are */
    const char *v = s->kind == FORM_FIELD_NOTICE ? "" : value(fl, s->name);
    double d;
    switch (s->check) {
    case C_ATTR:
        check_attr(fl, s);
        break;
    case C_ATTR_FILE:
        if (s->required && !kept_for(fl, s->name))
            field_error(fl, s, "procedure.err_file_required");
        break;
    case C_DESCRIPTION:
        if (s->required && !*v)
            add_error(fl, s->name,
                      S(fl, fl->incident ? "procedure.err_description"
                                         : "procedure.err_description_demarche"));
        else if (utf8_length(v, strlen(v)) > FILING_DESCRIPTION_MAX)
            field_error(fl, s, "procedure.err_too_long");
        else if (!text_ok(v, FILING_DESCRIPTION_MAX, 1))
            field_error(fl, s, "procedure.err_invalid");
        break;
    case C_ADDRESS:
    case C_NAME:
        if (!text_ok(v, REQUEST_FIELD_MAX, 0))
            field_error(fl, s,
                        utf8_length(v, strlen(v)) > REQUEST_FIELD_MAX ? "procedure.err_too_long"
                                                                      : "procedure.err_one_line");
        break;
    case C_LAT:
    case C_LON:
        /* Hidden: the citizen mends it by choosing the place again. */
        if (*v &&
            (parse_decimal(fl->rq->arena, v, &d) != 0 || fabs(d) > (s->check == C_LAT ? 90 : 180)))
            add_error(fl, "address", S(fl, "procedure.err_position"));
        break;
    case C_CATEGORY:
        /* Chosen on the form or come with the page; a suggestion is only a proposal. */
        if (!fl->p && *form_value(fl, s->name))
            add_error(fl, s->name, S(fl, "procedure.err_invalid_category"));
        else if (!fl->p && fl->suggested)
            field_error(fl, s, "procedure.err_category_suggested");
        else if (!fl->p)
            add_error(fl, s->name, S(fl, "procedure.err_category"));
        break;
    case C_EMAIL:
        if (*v && !email_ok(v))
            add_error(fl, s->name, S(fl, "procedure.err_email"));
        break;
    case C_PHONE: {
        const char *refusal = form_field_phone_refusal(fl->rq->arena, fl->rq->present, fl->l, v);
        if (refusal)
            add_error(fl, s->name, refusal);
        break;
    }
    case C_NOTIFY:
        if (*v && strcmp(v, "email") != 0 && strcmp(v, "sms") != 0 && strcmp(v, "none") != 0)
            field_error(fl, s, "procedure.err_invalid");
        break;
    default:
        break;
    }
}

/* Rules across fields of one step. */
static void check_step_rules(filing *fl, step_id st)
{
    if (st == STEP_LOCATION) {
        const char *lat = value(fl, "lat"), *lon = value(fl, "long");
        if ((*lat && !*lon) || (!*lat && *lon))
            add_error(fl, "address", S(fl, "procedure.err_position"));
        else if (!*lat && !*value(fl, "address"))
            add_error(fl, "address", S(fl, "procedure.err_location"));
    }
    if ((st == STEP_SEND || st == STEP_FORM) && fl->p) {
        const char *email = value(fl, "email"), *phone = value(fl, "phone");
        const char *notify = value(fl, "notify");
        if (!fl->p->rec.allow_anonymous && !*email && !*phone)
            add_error(fl, "email", S(fl, "procedure.err_contact"));
        if (strcmp(notify, "email") == 0 && !*email)
            add_error(fl, "notify", S(fl, "procedure.err_notify_email"));
        if (strcmp(notify, "sms") == 0 && !*phone)
            add_error(fl, "notify", S(fl, "procedure.err_notify_sms"));
    }
}

/* Checks step st; the number of errors found. */
static size_t check_step(filing *fl, step_id st)
{
    fspec specs[MAX_SPECS];
    size_t n = step_specs(fl, st, specs, MAX_SPECS);
    size_t before = fl->n_errors;
    for (size_t i = 0; i < n; i++)
        check_field(fl, &specs[i]);
    check_step_rules(fl, st);
    return fl->n_errors - before;
}

/* ---- rendering ---- */

static const char *anchor_of(const fspec *s, arena *a)
{
    return s->kind == FORM_FIELD_CHOICES ? arena_printf(a, "%s-0", s->id) : s->id;
}

/* What conditions.js needs of a question or section a condition may hide: the name of
 * the field its condition reads and the values that show it (a JSON array), and
 * its section's element when that one may be hidden; `hidden` when hidden now. */
static void cond_json(filing *fl, const fspec *s, json_t *o)
{
    arena *a = fl->rq->arena;
    const attr_def *d = s->attr;
    if (!d || !d->conditional)
        return;
    json_object_set_new(o, "cond_hidden", json_boolean(s->hidden));
    present_set_str(o, "cond_code", d->code);
    if (d->section && d->section->conditional)
        present_set_str(o, "cond_section", form_field_id(a, d->section->code));
    const attr_def *f =
        d->show_field ? attrs_find(fl->p->attrs, fl->p->n_attrs, d->show_field) : NULL;
    if (!f)
        return;
    json_t *values = json_array();
    for (size_t k = 0; k < d->n_show_values; k++)
        json_array_append_new(values, json_string(d->show_values[k]));
    char *text = json_dumps(values, JSON_COMPACT);
    json_decref(values);
    present_set_str(o, "cond_name", form_field_name(a, f));
    present_set_str(o, "cond_values", text ? arena_strdup(a, text) : "[]");
    free(text);
}

/* A choice field of a filing, for attr_checked. */
typedef struct choice_field {
    filing *fl;
    const fspec *s;
} choice_field;

/* 1 when the answers hold key for the choice field ctx (a choice_field). */
static int attr_checked(void *ctx, const char *key)
{
    const choice_field *c = ctx;
    return c->s->multi ? has_value(c->fl, c->s->name, key)
                       : strcmp(raw_value(c->fl, c->s->name), key) == 0;
}

static json_t *field_json(filing *fl, const fspec *s)
{
    arena *a = fl->rq->arena;
    form_field_widget w = {s->kind,         s->input_type, s->inputmode,
                           s->autocomplete, s->is_short,   s->multi};
    const char *v = raw_value(fl, s->name);
    json_t *o = form_field_json(a, s->id, s->name, s->label, s->hint, &w, s->required, v,
                                error_of(fl, s->name));
    cond_json(fl, s, o);
    if (s->kind == FORM_FIELD_FILE) {
        const upload_kept *k = kept_for(fl, s->name);
        if (k) {
            const char *described = json_string_value(json_object_get(o, "describedby"));
            present_set_str(o, "kept_name", shown_name(k->at.filename));
            present_set_str(o, "describedby",
                            arena_printf(a, "%s%s%s-kept", described ? described : "",
                                         described ? " " : "", s->id));
        }
    } else if (s->kind == FORM_FIELD_SELECT || s->kind == FORM_FIELD_CHOICES) {
        json_t *opts;
        if (s->attr) {
            choice_field c = {fl, s};
            opts = form_field_values(a, s->attr, s->id, fl->rq->lang, attr_checked, &c);
        } else {
            opts = json_array();
            for (size_t i = 0; i < s->n_choices; i++) {
                const fchoice *c = &s->choices[i];
                json_t *opt =
                    form_field_option(a, s->id, i, c->value, c->label, strcmp(v, c->value) == 0);
                if (c->keywords)
                    present_set_str(opt, "keywords", c->keywords);
                json_array_append_new(opts, opt);
            }
        }
        json_object_set_new(o, "options", opts);
    }
    return o;
}

/* Hidden inputs for every answer of the steps other than `shown` (all of them on review); a
 * report's category rides along even when it was not chosen on this form but came with the
 * page (its URL), and the place as the address list named it. */
static json_t *hidden_fields(filing *fl, step_id shown)
{
    json_t *list = json_array();
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    for (size_t k = 0; k < n_steps; k++) {
        if (steps[k] == shown && shown != STEP_REVIEW)
            continue;
        fspec specs[MAX_SPECS];
        size_t n = step_specs(fl, steps[k], specs, MAX_SPECS);
        for (size_t i = 0; i < n; i++) {
            if (specs[i].kind == FORM_FIELD_NOTICE || specs[i].kind == FORM_FIELD_SECTION ||
                specs[i].hidden)
                continue;
            /* A value the form does not carry as such: the category the report began from, the
             * place as the address list names it. */
            int category = specs[i].check == C_CATEGORY && !*form_value(fl, specs[i].name);
            const place *pl = specs[i].pl;
            int carried = category || (pl && (pl->has_place || pl->drop_position) &&
                                       specs[i].kind != FORM_FIELD_CHOICES);
            if (carried) {
                /* A category is carried once chosen, never while only proposed. */
                const char *v = category ? (fl->p ? fl->p->rec.code : "") : raw_value(fl, specs[i].name);
                if (*v) {
                    json_t *h = json_object();
                    present_set_str(h, "name", specs[i].name);
                    present_set_str(h, "value", v);
                    json_array_append_new(list, h);
                }
                continue;
            }
            for (size_t j = 0; j < fl->f.count; j++) {
                const form_field *ff = &fl->f.fields[j];
                if (strcmp(ff->name, specs[i].name) != 0 || !*ff->value)
                    continue;
                json_t *h = json_object();
                present_set_str(h, "name", ff->name);
                present_set_str(h, "value", ff->value);
                json_array_append_new(list, h);
            }
        }
    }
    return list;
}

/* The answer to a field in words, for the review page. */
static const char *answer_text(filing *fl, const fspec *s)
{
    arena *a = fl->rq->arena;
    if (s->kind == FORM_FIELD_CHOICES || s->kind == FORM_FIELD_SELECT) {
        buf b;
        buf_init(&b, 16 * 1024);
        if (s->attr) {
            for (size_t i = 0; i < s->attr->n_values; i++) {
                const attr_value *av = &s->attr->values[i];
                if (has_value(fl, s->name, av->key)) {
                    if (b.len)
                        buf_puts(&b, ", ");
                    buf_puts(&b, attr_value_name(s->attr, av->key, fl->rq->lang));
                }
            }
        } else {
            for (size_t i = 0; i < s->n_choices; i++)
                if (strcmp(value(fl, s->name), s->choices[i].value) == 0)
                    buf_puts(&b, s->choices[i].label);
        }
        char *out = arena_strdup(a, buf_cstr(&b));
        buf_free(&b);
        return out;
    }
    if (s->kind == FORM_FIELD_FILE) {
        const upload_kept *k = kept_for(fl, s->name);
        return k ? shown_name(k->at.filename) : "";
    }
    /* A day in words, so that the citizen sees how 05/12 was read. */
    const char *iso, *day;
    if (s->attr && s->attr->type == ATTR_DATE && attr_date_read(a, value(fl, s->name), &iso) == 0 &&
        (day = present_day(a, fl->rq->lang, iso)) != NULL)
        return day;
    return value(fl, s->name);
}

static void add_answer(json_t *answers, const char *label, const char *value)
{
    json_t *o = json_object();
    present_set_str(o, "label", label);
    present_set_str(o, "value", value);
    json_array_append_new(answers, o);
}

/* The files kept so far in words: «photo.jpg, dégâts.pdf». */
static const char *kept_files_text(filing *fl)
{
    const char *out = "";
    for (size_t i = 0; i < fl->n_kept; i++)
        out = arena_printf(fl->rq->arena, "%s%s%s", out, i ? ", " : "",
                           shown_name(fl->kept[i].at.filename));
    return out ? out : "";
}

/* The answers of the steps before `shown`, a section per step, for the citizen to check
 * before sending: the place in words (the position is not something to read), the files
 * with the step that asked for them. */
static json_t *review_sections(filing *fl, step_id shown)
{
    json_t *sections = json_array();
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    for (size_t k = 0; k < n_steps && steps[k] != shown; k++) {
        fspec specs[MAX_SPECS];
        size_t n = step_specs(fl, steps[k], specs, MAX_SPECS);
        json_t *answers = json_array();
        for (size_t i = 0; i < n; i++) {
            if (specs[i].kind == FORM_FIELD_NOTICE || specs[i].kind == FORM_FIELD_HIDDEN ||
                specs[i].kind == FORM_FIELD_SECTION || specs[i].hidden)
                continue;
            const char *v = answer_text(fl, &specs[i]);
            if (!*v && specs[i].check == C_ADDRESS && *value(fl, "lat"))
                v = S(fl, "procedure.position_on_map");
            add_answer(answers, specs[i].label, *v ? v : S(fl, "procedure.none_given"));
        }
        if (steps[k] == files_step(fl) && fl->n_kept)
            add_answer(answers, S(fl, "procedure.files_title"), kept_files_text(fl));
        json_t *sec = json_object();
        present_set_str(sec, "code", step_info[steps[k]].code);
        present_set_str(sec, "label", S(fl, step_info[steps[k]].label_key));
        json_object_set_new(sec, "answers", answers);
        json_array_append_new(sections, sec);
    }
    return sections;
}

/* The files kept for this form, for the step that asks for files: name, size and the value
 * of their «retirer» button. */
static json_t *kept_files_json(filing *fl)
{
    json_t *list = json_array();
    for (size_t i = 0; i < fl->n_kept; i++) {
        json_t *o = json_object();
        present_set_str(o, "id", fl->kept[i].at.storage_name);
        present_set_str(o, "name", shown_name(fl->kept[i].at.filename));
        /* As sent, which is how the visitor knows it (a photo is stored re-encoded). */
        present_set_str(o, "size", web_file_size(fl->rq, fl->kept[i].sent_bytes));
        json_array_append_new(list, o);
    }
    return list;
}

static const char *form_action(filing *fl)
{
    arena *a = fl->rq->arena;
    const char *lc = fl->l == LANG_EN ? "en" : "fr";
    if (!fl->incident)
        return arena_printf(a, "/demarches/%s?lang=%s", filing_url_encode(a, fl->p->rec.code), lc);
    if (fl->came_for)
        return arena_printf(a, "/signaler?categorie=%s&lang=%s",
                            filing_url_encode(a, fl->came_for->rec.code), lc);
    return arena_printf(a, "/signaler?lang=%s", lc);
}

/* The file input and the files already kept, on the step that asks for them; errors on the
 * files join the summary's items. */
static void add_files(filing *fl, json_t *ctx, json_t *items)
{
    http_req *rq = fl->rq;
    fspec file;
    memset(&file, 0, sizeof file);
    file.name = FILES_FIELD;
    file.id = FILES_FIELD;
    file.label = S(fl, fl->incident ? "procedure.photo_label" : "procedure.files_label");
    file.hint = web_upload_hint(rq, S(fl, "procedure.files_hint"));
    const char *err = error_of(fl, FILES_FIELD);
    json_t *fj = field_json(fl, &file);
    json_object_del(fj, "k_input");
    json_object_set_new(fj, "k_file", json_true());
    json_object_set_new(ctx, "file_field", fj);
    if (err) {
        json_t *it = json_object();
        present_set_str(it, "anchor", FILES_FIELD);
        present_set_str(it, "message", err);
        json_array_append_new(items, it);
    }
    if (fl->n_kept) {
        json_object_set_new(ctx, "has_kept_files", json_true());
        json_object_set_new(ctx, "kept_files", kept_files_json(fl));
    }
}

/* The location step's map: on the place already given at street zoom, otherwise on the
 * collectivité's own centre and zoom (its settings, or guichet's). */
static void add_map(filing *fl, json_t *ctx)
{
    arena *a = fl->rq->arena;
    double lat, lon;
    int known = parse_decimal(a, value(fl, "lat"), &lat) == 0 &&
                parse_decimal(a, value(fl, "long"), &lon) == 0 && fabs(lat) <= 90 &&
                fabs(lon) <= 180;
    json_object_set_new(ctx, "is_location", json_true());
    json_object_set_new(ctx, "use_map", json_true());
    json_t *home = json_object_get(json_object_get(ctx, "tenant"), "map");
    present_set_str(ctx, "map_lat",
                    known ? arena_printf(a, "%.6f", lat)
                          : json_string_value(json_object_get(home, "lat")));
    present_set_str(ctx, "map_lon",
                    known ? arena_printf(a, "%.6f", lon)
                          : json_string_value(json_object_get(home, "lon")));
    present_set_str(ctx, "map_zoom",
                    known ? MAP_ZOOM_PLACE : json_string_value(json_object_get(home, "zoom")));
    json_object_set_new(ctx, "map_marker", json_boolean(known));
}

/* The steps indicator, and «Étape n sur N : …». */
static const char *add_steps(filing *fl, json_t *ctx, step_id st)
{
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    int idx = step_index(fl, st);
    json_t *sitems = json_array();
    for (size_t i = 0; i < n_steps; i++) {
        json_t *it = json_object();
        present_set_str(it, "label", S(fl, step_info[steps[i]].label_key));
        json_object_set_new(it, "current", json_boolean((int)i == idx));
        json_object_set_new(it, "done", json_boolean((int)i < idx));
        json_array_append_new(sitems, it);
    }
    json_t *sobj = json_object();
    json_object_set_new(sobj, "items", sitems);
    json_object_set_new(ctx, "steps", sobj);
    char n_s[16], total_s[16];
    snprintf(n_s, sizeof n_s, "%d", idx + 1);
    snprintf(total_s, sizeof total_s, "%zu", n_steps);
    const char *keys[] = {"n", "total", "label"};
    const char *vals[] = {n_s, total_s, S(fl, step_info[st].label_key)};
    const char *heading = filing_subst(fl->rq->arena, S(fl, "procedure.step_of"), keys, vals, 3);
    present_set_str(ctx, "step_heading", heading);
    if (idx > 0 && st != STEP_REVIEW)
        present_set_str(ctx, "prev_step", step_info[steps[idx - 1]].code);
    json_object_set_new(ctx, "first_step", json_boolean(idx == 0));
    return heading;
}

/*
 * The public open incidents near the place given, for the problem's step (NULL when the place
 * has no position or none is near): the citizen may find theirs there and say «moi aussi»
 * instead of filing it again. When neither the citizen nor their words chose a category, the
 * one most of them have is proposed. A lookup that fails costs the citizen nothing but the
 * list.
 */
static json_t *nearby_cards(filing *fl)
{
    arena *a = fl->rq->arena;
    double lat, lon;
    if (parse_decimal(a, value(fl, "lat"), &lat) != 0 ||
        parse_decimal(a, value(fl, "long"), &lon) != 0)
        return NULL;
    request_public_card *cards;
    size_t n;
    error e;
    if (request_public_nearby(fl->rq->core, fl->t, lat, lon, NEARBY_METRES, NEARBY_SHOWN, a, &cards,
                              &n, &e) != 0) {
        if (e.code != ERR_INVALID_ARG)
            log_warn("portal: the incidents near a report could not be read: %s", e.detail);
        return NULL;
    }
    if (n == 0)
        return NULL;
    json_t *list = json_array();
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *card = tracking_public_card_json(fl->rq, fl->t, &cards[i], 0);
        json_object_set_new(card, "with_support", json_true());
        json_array_append_new(list, card);
        size_t same = 0;
        for (size_t j = 0; j < n; j++)
            same += cards[j].procedure == cards[i].procedure;
        if (same > best_count) {
            best = i;
            best_count = same;
        }
    }
    const cat_procedure *p = cards[best].procedure;
    /* A category two neighbours share says something about the place; one alone does not. */
    if (!fl->p && !fl->suggested && best_count >= 2 && p && p->rec.active &&
        p->rec.kind == PROCEDURE_INCIDENT) {
        fl->suggested = p->rec.code;
        fl->suggested_by_place = 1;
    }
    return list;
}

/* The conditional questions and sections among specs[0..n) shown now, their codes one
 * space apart ("" when none is); NULL when none of them is conditional. */
static const char *shown_codes(filing *fl, const fspec *specs, size_t n)
{
    const char *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!specs[i].attr || !specs[i].attr->conditional)
            continue;
        if (!out)
            out = "";
        if (!specs[i].hidden)
            out = arena_printf(fl->rq->arena, "%s%s%s", out, *out ? " " : "", specs[i].attr->code);
    }
    return out;
}

/* 1 when the answers posted on step st show a question or section the page did not (its
 * SHOWN_FIELD): the step is to be asked again with it, rather than checked. */
static int conditions_moved(filing *fl, step_id st)
{
    fspec specs[MAX_SPECS];
    size_t n = step_specs(fl, st, specs, MAX_SPECS);
    const char *was = form_value(fl, SHOWN_FIELD);
    for (size_t i = 0; i < n; i++) {
        const attr_def *d = specs[i].attr;
        if (!d || !d->conditional || specs[i].hidden)
            continue;
        size_t len = strlen(d->code);
        int listed = 0;
        for (const char *p = was; *p && !listed;) {
            while (*p == ' ')
                p++;
            size_t w = strcspn(p, " ");
            listed = w == len && strncmp(p, d->code, len) == 0;
            p += w;
        }
        if (!listed)
            return 1;
    }
    return 0;
}

static void render_step(filing *fl, step_id st, int status)
{
    http_req *rq = fl->rq;
    arena *a = rq->arena;
    json_t *ctx = web_context(rq);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    filing_lang_q(rq, ctx);
    json_t *nearby = st == STEP_WHAT ? nearby_cards(fl) : NULL;
    if (nearby) {
        json_object_set_new(ctx, "has_nearby", json_true());
        json_object_set_new(ctx, "nearby", nearby);
        present_set_str(ctx, "nearby_intro",
                        filing_subst1(a, S(fl, "procedure.nearby_intro"), "distance",
                                      arena_printf(a, "%.0f m", NEARBY_METRES)));
    }

    /* The fields of this step and the errors that concern them. */
    fspec specs[MAX_SPECS];
    size_t n = st == STEP_REVIEW ? 0 : step_specs(fl, st, specs, MAX_SPECS);
    json_t *items = json_array();
    json_t *fields = json_array();
    int any_required = 0; /* «Les champs marqués (obligatoire)…» only where one is */
    const char *shown = shown_codes(fl, specs, n);
    if (shown) {
        present_set_str(ctx, "conditions_shown", shown);
        present_set_str(ctx, "conditions_field", SHOWN_FIELD);
        json_object_set_new(ctx, "has_conditions", json_true());
    }
    for (size_t i = 0; i < n; i++) {
        const char *err = specs[i].kind == FORM_FIELD_NOTICE ? NULL : error_of(fl, specs[i].name);
        if (err && specs[i].kind != FORM_FIELD_HIDDEN) {
            json_t *it = json_object();
            present_set_str(it, "anchor", anchor_of(&specs[i], a));
            present_set_str(it, "message", err);
            json_array_append_new(items, it);
        }
        json_t *fj = field_json(fl, &specs[i]);
        if (specs[i].pl && specs[i].kind == FORM_FIELD_INPUT) {
            /* The address of a place: address.js makes it a combobox filling its position. */
            json_object_set_new(ctx, "use_address", json_true());
            json_object_set_new(fj, "address_search", json_true());
            present_set_str(fj, "lat_input", specs[i].pl->lat_id);
            present_set_str(fj, "lon_input", specs[i].pl->lon_id);
            present_set_str(fj, "for_input", specs[i].pl->found_for_id);
        }
        any_required |= specs[i].required && !specs[i].hidden;
        if (specs[i].kind == FORM_FIELD_FILE)
            json_object_set_new(ctx, "multipart", json_true());
        json_array_append_new(fields, fj);
    }
    if (st == files_step(fl))
        add_files(fl, ctx, items);
    const char *step_error = error_of(fl, STEP_ANCHOR);
    if (step_error) {
        json_t *it = json_object();
        present_set_str(it, "anchor", STEP_ANCHOR);
        present_set_str(it, "message", step_error);
        json_array_append_new(items, it);
    }
    if (st == last_step(fl)) {
        json_t *sections = review_sections(fl, st);
        json_object_set_new(ctx, "has_sections", json_boolean(json_array_size(sections) > 0));
        json_object_set_new(ctx, "sections", sections);
    }
    int has_errors = json_array_size(items) > 0;
    if (has_errors) {
        json_t *sum = json_object();
        json_object_set_new(sum, "items", items);
        json_object_set_new(ctx, "error_summary", sum);
    } else {
        json_decref(items);
    }
    json_object_set_new(ctx, "has_required", json_boolean(any_required));
    if (fl->conditions_notice)
        present_set_str(ctx, "conditions_notice", S(fl, "procedure.conditions_notice"));
    json_object_set_new(ctx, "fields", fields);

    const char *heading = add_steps(fl, ctx, st);
    /* A démarche is its name; so is a report begun from one category's page while it keeps
     * that category; otherwise «Signaler un problème». */
    const char *name = !fl->incident || (fl->came_for && fl->p == fl->came_for)
                           ? web_procedure_name(rq, fl->p)
                           : S(fl, "procedure.report_title");
    present_set_str(ctx, "title",
                    arena_printf(a, "%s%s%s – %s", has_errors ? S(fl, "common.error_prefix") : "",
                                 has_errors ? " " : "", heading, name));
    json_t *proc = json_object();
    present_set_str(proc, "name", name);
    /* The page's introduction: the démarche's or the category's the report began from (a
     * report from «Signaler un problème» needs none: its first field says what to give). */
    const cat_procedure *about = page_procedure(fl);
    if (about)
        present_set_str(proc, "description", web_procedure_description(rq, about));
    const char *delay = delay_line(fl); /* shown on the first step */
    if (delay)
        present_set_str(proc, "delay", delay);
    json_object_set_new(ctx, "procedure", proc);
    /* Where the contact details are asked: whether they may be left out. */
    if ((st == STEP_SEND || st == STEP_FORM) && fl->p) {
        json_object_set_new(ctx, "anonymous_ok", json_boolean(fl->p->rec.allow_anonymous != 0));
        if (!fl->p->rec.allow_anonymous)
            present_set_str(ctx, "step_intro", S(fl, "procedure.contact_needed_hint"));
    }
    present_set_str(ctx, "step", step_info[st].code);
    present_set_str(ctx, "action", form_action(fl));
    present_set_str(ctx, "submit_label",
                    S(fl, st != last_step(fl) ? "procedure.continue"
                          : fl->incident      ? "procedure.send_report"
                                              : "procedure.send"));
    json_object_set_new(ctx, "hidden", hidden_fields(fl, st));
    if (st == STEP_LOCATION)
        add_map(fl, ctx);
    if (st == STEP_WHAT)
        json_object_set_new(ctx, "is_what", json_true());
    const char *tmpl = st == STEP_REVIEW ? "procedure_review" : "procedure";
    if (fl->shared_key && !has_errors)
        web_render_shared(rq, fl->shared_key, status, tmpl, ctx);
    else
        web_render(rq, has_errors && status < 400 ? 400 : status, tmpl, ctx);
}

/* ---- requests ---- */

/* An incident category open to reports, or NULL. */
static const cat_procedure *incident_category(const cat_tenant *t, const char *code)
{
    const cat_procedure *p = code && *code ? catalogue_procedure(t, code) : NULL;
    return p && p->rec.active && p->rec.kind == PROCEDURE_INCIDENT ? p : NULL;
}

/* The page's procedure: a démarche named by the URL, or a report — from `/signaler`, with
 * the category it began from in `?categorie=`, or from one incident category's page. A
 * report's category is the one chosen on its form once read (choose_category). */
static int setup(filing *fl, http_req *rq, int report)
{
    memset(fl, 0, sizeof *fl);
    fl->rq = rq;
    fl->l = rq->lang == LANG_EN ? LANG_EN : LANG_FR;
    fl->t = web_tenant(rq);
    if (!fl->t)
        return -1;
    fl->logged_in = web_account(rq, &fl->acc);
    if (report) {
        fl->incident = 1;
        fl->came_for = incident_category(fl->t, form_get(&rq->query, "categorie"));
        fl->p = fl->came_for;
        return 0;
    }
    fl->p = catalogue_procedure(fl->t, rq->params[0]);
    if (!fl->p || !fl->p->rec.active) {
        error e;
        error_set(&e, ERR_NOT_FOUND, NULL, "no such procedure");
        web_write_error(rq, &e);
        return -1;
    }
    fl->incident = fl->p->rec.kind == PROCEDURE_INCIDENT;
    if (fl->incident)
        fl->came_for = fl->p;
    return 0;
}

/* The category the form names, when it names one open to reports. */
static void choose_category(filing *fl)
{
    const char *named = form_get(&fl->f, "categorie");
    if (named && *named)
        fl->p = incident_category(fl->t, named); /* NULL: refused by name on its step */
}

/* 1 when the folded word w says the same as the keyword k: equal, or one the start of the
 * other when that start is long enough to mean something («trou», «trous»). */
static int word_matches(const char *w, size_t wn, const char *k, size_t kn)
{
    size_t shorter = wn < kn ? wn : kn;
    if (wn == kn)
        return memcmp(w, k, wn) == 0;
    return shorter >= 4 && memcmp(w, k, shorter) == 0;
}

/* The number of the text's words (folded) that one of the keywords says. */
static int keyword_score(const char *text, const char *keywords)
{
    int score = 0;
    for (const char *w = text; *w;) {
        while (*w && !isalnum((unsigned char)*w) && (unsigned char)*w < 0x80)
            w++;
        const char *e = w;
        while (*e && (isalnum((unsigned char)*e) || (unsigned char)*e >= 0x80))
            e++;
        size_t wn = (size_t)(e - w);
        if (wn >= 3) {
            for (const char *k = keywords; *k;) {
                while (*k && !isalnum((unsigned char)*k) && (unsigned char)*k < 0x80)
                    k++;
                const char *ke = k;
                while (*ke && (isalnum((unsigned char)*ke) || (unsigned char)*ke >= 0x80))
                    ke++;
                if (ke > k && word_matches(w, wn, k, (size_t)(ke - k))) {
                    score++;
                    break;
                }
                k = ke;
            }
        }
        w = e;
    }
    return score;
}

/* The category the citizen's words point to — the one whose keywords and name they say
 * most, when one says more than every other — or NULL. static/js/report.js does the same
 * as they type. */
static const char *suggest_category(filing *fl)
{
    const char *said = value(fl, "description");
    /* A text the step refuses as too long proposes nothing (and costs nothing to read). */
    if (strlen(said) > FILING_DESCRIPTION_MAX * 4)
        return NULL;
    const char *words = filing_fold(fl->rq->arena, said);
    if (!words || !*words)
        return NULL;
    size_t n;
    const fchoice *c = category_choices(fl, &n);
    const char *best = NULL;
    int best_score = 0, tie = 0;
    for (size_t i = 0; c && i < n; i++) {
        int sc = c[i].keywords ? keyword_score(words, c[i].keywords) : 0;
        if (sc > best_score) {
            best = c[i].value;
            best_score = sc;
            tie = 0;
        } else if (sc == best_score && sc > 0) {
            tie = 1;
        }
    }
    return tie ? NULL : best;
}

/* Whose files a form keeps, for this browser: a report's are the report's, whatever category
 * it ends in; a démarche's are its own. */
static const char *stash_scope(filing *fl)
{
    return arena_printf(fl->rq->arena, "%s/%s", fl->t->rec.slug,
                        fl->incident ? "@signaler" : fl->p->rec.code);
}

/* A form opened afresh is a new request: the files this browser kept for an earlier one (a
 * report left for a «moi aussi», a computer shared at a counter or a library) are not
 * offered to it. */
static void forget_kept_files(filing *fl)
{
    char owner[65];
    upload_stash st;
    error e;
    if (web_upload_owner(fl->rq, stash_scope(fl), owner) == 0 &&
        upload_stash_open(core_uploads(fl->rq->core), owner, &st, &e) == 0)
        upload_stash_clear(&st);
}

static void form_get_page(http_req *rq, int report)
{
    filing *fl = arena_alloc(rq->arena, sizeof *fl);
    if (!fl) {
        http_respond_text(rq, 500, "out of memory");
        return;
    }
    if (setup(fl, rq, report) != 0)
        return;
    forget_kept_files(fl);
    /* The first step of a form is the same for every anonymous visitor but for the CSRF
     * token: it is rendered once and copied (web_shared_page). */
    /* The measured delay is part of the page: a new figure is a new page. */
    int64_t median_s = 0, p90_s = 0;
    page_delay(fl, &median_s, &p90_s);
    fl->shared_key =
        arena_printf(rq->arena, "form:%s:%s:%lld:%lld", fl->incident ? "@signaler" : "",
                     fl->p ? fl->p->rec.code : "", (long long)median_s, (long long)p90_s);
    if (!fl->logged_in && fl->shared_key && web_shared_page(rq, fl->shared_key))
        return;
    size_t n;
    const step_id *steps = steps_of(fl, &n);
    fl->prefill = 1;
    render_step(fl, steps[0], 200);
}

void filing_form_get(http_req *rq)
{
    form_get_page(rq, 0);
}

void filing_report_get(http_req *rq)
{
    form_get_page(rq, 1);
}

/* The field name core named in err, mapped to ours (NULL when it names none of ours). */
static const char *core_field(filing *fl, const error *err, const char **key)
{
    const char *arg = err->arg;
    *key = err->code == ERR_MISSING_ARG ? "procedure.err_required" : "procedure.err_invalid";
    if (strncmp(arg, "attribute[", 10) == 0) {
        size_t len = strcspn(arg + 10, "]");
        for (size_t i = 0; i < fl->p->n_attrs; i++) {
            const attr_def *d = &fl->p->attrs[i];
            if (strlen(d->code) == len && strncmp(d->code, arg + 10, len) == 0)
                return d->type == ATTR_MULTIVALUELIST
                           ? arena_printf(fl->rq->arena, "attribute[%s][]", d->code)
                           : arena_printf(fl->rq->arena, "attribute[%s]", d->code);
        }
        return NULL;
    }
    static const struct {
        const char *arg, *field, *key;
    } map[] = {
        {"lat", "address", "procedure.err_position"},
        {"long", "address", "procedure.err_position"},
        {"location", "address", "procedure.err_location"},
        {"address_string", "address", NULL},
        {"email", "email", "procedure.err_email"},
        {"phone", "phone", NULL},
        {"first_name", "first_name", NULL},
        {"last_name", "last_name", NULL},
        {"description", "description", NULL},
        {"notify", "notify", NULL},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(arg, map[i].arg) == 0) {
            if (map[i].key)
                *key = map[i].key;
            return map[i].field;
        }
    return NULL;
}

/* Shows the first step holding a field with an error. */
static void render_first_faulty(filing *fl)
{
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    for (size_t k = 0; k < n_steps; k++) {
        fspec specs[MAX_SPECS];
        size_t n = step_specs(fl, steps[k], specs, MAX_SPECS);
        for (size_t i = 0; i < n; i++)
            if (specs[i].kind != FORM_FIELD_NOTICE && error_of(fl, specs[i].name)) {
                render_step(fl, steps[k], 400);
                return;
            }
    }
    render_step(fl, last_step(fl), 400);
}

static void discard_attachments(filing *fl)
{
    for (size_t i = 0; i < fl->n_atts; i++)
        attachment_discard(core_uploads(fl->rq->core), &fl->atts[i]);
    fl->n_atts = 0;
}

static void submit_finish(http_req *rq)
{
    filing *fl = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    if (outcome->rc == 0) {
        upload_stash_clear(&fl->stash); /* attached: the request holds them now */
        /* The short code rides along with the token (which opens more than it does) so
         * that the confirmation and its receipt can show it: it is kept nowhere else. */
        const char *loc = arena_printf(rq->arena, "/confirmation/%s?jeton=%s&code=%s%s",
                                       filing_url_encode(rq->arena, fl->created.reference),
                                       filing_url_encode(rq->arena, fl->created.token),
                                       filing_url_encode(rq->arena, fl->created.short_code),
                                       fl->l == LANG_EN ? "&lang=en" : "");
        web_redirect(rq, loc);
        return;
    }
    discard_attachments(fl);
    const error *err = &outcome->err;
    const char *key;
    const char *field = (err->code == ERR_INVALID_ARG || err->code == ERR_MISSING_ARG)
                            ? core_field(fl, err, &key)
                            : NULL;
    if (!field) {
        if (err->code == ERR_INVALID_ARG || err->code == ERR_MISSING_ARG)
            log_warn("portal: request refused on %s: %s", err->arg, err->detail);
        web_write_error(rq, err);
        return;
    }
    /* The label of the field for the message. */
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    const char *label = field;
    for (size_t k = 0; k < n_steps; k++) {
        fspec specs[MAX_SPECS];
        size_t n = step_specs(fl, steps[k], specs, MAX_SPECS);
        for (size_t i = 0; i < n; i++)
            if (strcmp(specs[i].name, field) == 0)
                label = arena_strdup(rq->arena, specs[i].label);
    }
    add_error(fl, field, filing_subst1(rq->arena, S(fl, key), "label", label));
    render_first_faulty(fl);
}

/* Every answer checked again, files prepared, then the request written. */
static void submit(filing *fl)
{
    http_req *rq = fl->rq;
    arena *a = rq->arena;
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    for (size_t k = 0; k < n_steps; k++)
        check_step(fl, steps[k]);
    if (fl->n_errors) {
        render_first_faulty(fl);
        return;
    }
    error e;
    const char *bucket = arena_printf(a, "submit:%s", rq->client_ip ? rq->client_ip : "?");
    if (http_ratelimit(rq, bucket, SUBMIT_RATE, SUBMIT_BURST, &e) != 0) {
        /* Many citizens may share one address (a mobile operator, a library): the page comes
         * back with everything typed and the files kept, to be sent again in a moment. */
        add_error(fl, STEP_ANCHOR, S(fl, "procedure.err_busy"));
        render_step(fl, last_step(fl), 429);
        return;
    }
    /* The document of a file question a condition hides is not sent: it leaves the stash. */
    fspec qs[MAX_SPECS];
    size_t nq = add_attr_specs(fl, qs, 0, MAX_SPECS);
    for (size_t i = 0; i < nq; i++)
        for (size_t j = 0; qs[i].kind == FORM_FIELD_FILE && qs[i].hidden && j < fl->n_kept; j++)
            if (fl->kept[j].field && strcmp(fl->kept[j].field, qs[i].name) == 0)
                upload_stash_remove(&fl->stash, fl->kept[j].at.storage_name);
    /* The files kept on the way, given their names in the uploads directory; the stash keeps
     * them until the request is written, so that a refusal loses none. */
    if (upload_stash_claim(&fl->stash, core_uploads(rq->core), (int64_t)time(NULL), a, &fl->atts,
                           &fl->n_atts, &e) != 0) {
        web_write_error(rq, &e);
        return;
    }

    /* The request. */
    request_input *in = &fl->in;
    in->tenant = fl->t;
    in->procedure = fl->p;
    in->ch = CHANNEL_WEB;
    in->description_max = FILING_DESCRIPTION_MAX;
    const char *description = value(fl, "description");
    in->description = *description ? description : NULL;
    in->require_location = fl->incident;
    if (fl->incident) {
        const char *address = value(fl, "address");
        in->address = *address ? address : NULL;
        if (parse_decimal(a, value(fl, "lat"), &in->lat) == 0 &&
            parse_decimal(a, value(fl, "long"), &in->lon) == 0)
            in->has_location = 1;
    }
    fspec specs[MAX_SPECS];
    size_t n = add_attr_specs(fl, specs, 0, MAX_SPECS);
    attr_input *attrs = arena_alloc(a, 256 * sizeof *attrs);
    size_t n_attrs = 0;
    if (!attrs) {
        discard_attachments(fl);
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (specs[i].check == C_ATTR && !specs[i].hidden)
            attr_inputs(fl, &specs[i], attrs, &n_attrs, 256);
        else if (specs[i].check == C_ATTR_FILE && !specs[i].hidden && n_attrs < 256 &&
                 kept_for(fl, specs[i].name))
            attrs[n_attrs++] =
                (attr_input){specs[i].attr->code, kept_for(fl, specs[i].name)->at.filename};
    in->attr_files = 1;
    in->attr_locations = 1;
    in->attrs = attrs;
    in->n_attrs = n_attrs;
    static const char *const contact[] = {"first_name", "last_name", "email", "phone"};
    const char *cv[4];
    for (size_t i = 0; i < 4; i++) {
        cv[i] = value(fl, contact[i]);
        if (!*cv[i])
            cv[i] = NULL;
    }
    in->first_name = cv[0];
    in->last_name = cv[1];
    in->email = cv[2];
    in->phone = cv[3];
    const char *notify = value(fl, "notify");
    in->notify = *notify ? notify : (cv[2] ? "email" : cv[3] ? "sms" : "none");
    core_actor who = portal_citizen(rq, fl->logged_in ? fl->acc.id : 0);
    in->who = &who; /* copied by request_create */
    in->citizen_id = fl->logged_in ? fl->acc.id : 0;
    in->attachments = fl->atts;
    in->n_attachments = fl->n_atts;
    in->ack_base_url = http_base_url(rq, fl->t);
    in->lang_code = fl->l == LANG_EN ? "en" : "fr";

    rq->user = fl;
    /* Suspend before queuing: the writer may answer at any moment after. */
    http_wait *w = http_wait_begin(rq, submit_finish);
    error err;
    int rc = request_create(rq->core, in, &fl->created, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

/* Adds message to the file input's error: a form may refuse several files at once, and each
 * is named. */
static void add_file_error(filing *fl, const char *field, const char *message)
{
    for (size_t i = 0; i < fl->n_errors; i++)
        if (strcmp(fl->errors[i].name, field) == 0) {
            const char *both = arena_printf(fl->rq->arena, "%s %s", fl->errors[i].message, message);
            if (both)
                fl->errors[i].message = both;
            return;
        }
    add_error(fl, field, message);
}

/* The message of a file refused by name: `key` of procedure.json with {label} its name and
 * {max} the limit it broke. */
static void refuse_file(filing *fl, const char *field, const char *key, const char *name,
                        const char *max, int status)
{
    const char *keys[] = {"label", "max"};
    const char *vals[] = {shown_name(name), max ? max : ""};
    fl->question_file_refused |= strcmp(field, FILES_FIELD) != 0;
    add_file_error(fl, field, filing_subst(fl->rq->arena, S(fl, key), keys, vals, 2));
    if (fl->files_status < status)
        fl->files_status = status;
}

/* Reads the files kept for this browser and form into fl->kept, after removing the one its
 * «retirer» names. */
static int load_kept(filing *fl, error *err)
{
    const char *removed = form_get(&fl->f, "retirer");
    if (removed)
        upload_stash_remove(&fl->stash, removed);
    return upload_stash_list(&fl->stash, (int64_t)time(NULL), fl->rq->arena, &fl->kept, &fl->n_kept,
                             err);
}

/* 1 when name is the field of one of the procedure's file questions ("attribute[CODE]"). */
static int file_question_field(const filing *fl, const char *name)
{
    for (size_t i = 0; fl->p && name && i < fl->p->n_attrs; i++) {
        const attr_def *d = &fl->p->attrs[i];
        size_t len = strlen(d->code);
        if (d->type == ATTR_FILE && strncmp(name, "attribute[", 10) == 0 &&
            strncmp(name + 10, d->code, len) == 0 && strcmp(name + 10 + len, "]") == 0)
            return 1;
    }
    return 0;
}

/* Keeps the files this POST carries, whatever its step: each is checked and prepared
 * (antivirus, type, re-encoding) into the stash, or refused by name with a message on the
 * file input (fl->files_status set). 0, or -1 once an error page is answered. */
static int keep_files(filing *fl)
{
    http_req *rq = fl->rq;
    arena *a = rq->arena;
    error e;
    error_clear(&e);
    char owner[65];
    if (web_upload_owner(rq, stash_scope(fl), owner) != 0 ||
        upload_stash_open(core_uploads(rq->core), owner, &fl->stash, &e) != 0 ||
        load_kept(fl, &e) != 0) {
        if (!e.code)
            error_set(&e, ERR_FORBIDDEN, "csrf_token", "no CSRF cookie to keep files for");
        web_write_error(rq, &e);
        return -1;
    }
    if (fl->n_files == 0)
        return 0;
    const char *bucket = arena_printf(a, "upload:%s", rq->client_ip ? rq->client_ip : "?");
    if (http_ratelimit(rq, bucket, UPLOAD_RATE, UPLOAD_BURST, &e) != 0) {
        web_write_error(rq, &e);
        return -1;
    }
    web_upload_limits limits = web_upload_limits_of(rq);
    const char *max_size = limits.size_words, *max_count = limits.files_words;
    size_t room = fl->n_kept < limits.files ? limits.files - fl->n_kept : 0;
    size_t added = 0;
    upload_kept *now_kept = arena_alloc(a, (fl->n_kept + fl->n_files) * sizeof *now_kept);
    if (!now_kept) {
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return -1;
    }
    if (fl->n_kept)
        memcpy(now_kept, fl->kept, fl->n_kept * sizeof *now_kept);
    for (size_t i = 0; i < fl->n_files; i++) {
        const http_file *f = &fl->files[i];
        /* A file question's own input, or the files of the step that asks for them. */
        int question = file_question_field(fl, f->field);
        const char *field = question ? f->field : FILES_FIELD;
        if (f->refused == HTTP_FILE_TOO_LARGE) {
            refuse_file(fl, field, "procedure.err_file_too_large", f->filename, max_size, 400);
            continue;
        }
        if (f->refused == HTTP_FILE_TOO_MANY || added >= room) {
            refuse_file(fl, field, "procedure.err_files_count", f->filename, max_count, 400);
            continue;
        }
        attachment_upload up = {field, f->filename, f->data, f->len};
        upload_kept k;
        if (upload_stash_add(&fl->stash, &up, a, &k, &e) != 0) {
            if (attachment_is_too_large(&e)) {
                refuse_file(fl, field, "procedure.err_file_too_large", f->filename, max_size, 400);
                continue;
            }
            const char *key;
            int status = web_file_refusal(rq, "procedure.err_file", &e, &key);
            if (!status) {
                web_write_error(rq, &e);
                return -1;
            }
            refuse_file(fl, field, key, f->filename, NULL, status);
            continue;
        }
        /* A file question holds one document: a new one takes the place of the one kept
         * for it (there is at most one). */
        size_t at = fl->n_kept + added;
        for (size_t j = 0; question && j < fl->n_kept + added; j++)
            if (now_kept[j].field && strcmp(now_kept[j].field, field) == 0) {
                upload_stash_remove(&fl->stash, now_kept[j].at.storage_name);
                at = j;
                break;
            }
        if (at == fl->n_kept + added)
            added++;
        now_kept[at] = k;
    }
    fl->kept = now_kept;
    fl->n_kept += added;
    return 0;
}

/*
 * Place pl typed without a position (no script, or the address list's proposals not used):
 * looked up in the collectivité's address list (address_resolve). One numbered address found
 * (or one street alone): the place is that address, with its position. Several: the citizen
 * chooses among them — or keeps what they typed (a landmark is a place too) — on the same
 * step again: 1 (2 when they were offered already and none was chosen: an error says so).
 * Nothing found, no list, or a lookup that fails: the place stays as typed, without a
 * position (the agents read it as the citizen wrote it).
 */
static int resolve_place(filing *fl, place *pl)
{
    arena *a = fl->rq->arena;
    const char *typed = value(fl, pl->address), *choice = form_value(fl, pl->choice);
    /* A position found for another address than the one sent is that address's, not this
     * one's. */
    const char *found_for = form_value(fl, pl->found_for);
    pl->drop_position = *found_for && strcmp(found_for, typed) != 0;
    if (*value(fl, pl->lat) || !*typed || strcmp(choice, PLACE_AS_TYPED) == 0)
        return 0;
    store_address *hits;
    const store_address *take;
    size_t n;
    error e;
    if (address_resolve(fl->rq->core, fl->t->rec.id, typed, choice, PLACE_CHOICES, a, &hits, &n,
                        &take, &e) != 0) {
        log_warn("portal: the address list could not be searched: %s", e.detail);
        return 0;
    }
    if (take) {
        pl->has_place = 1;
        pl->label = take->label;
        pl->at_lat = arena_printf(a, "%.7f", take->lat);
        pl->at_lon = arena_printf(a, "%.7f", take->lon);
        return 0;
    }
    if (n == 0)
        return 0;
    fchoice *c = arena_alloc(a, (n + 1) * sizeof *c);
    if (!c)
        return 0;
    for (size_t i = 0; i < n; i++)
        c[i] = (fchoice){hits[i].label, hits[i].label, NULL};
    c[n] = (fchoice){PLACE_AS_TYPED,
                     filing_subst1(a, S(fl, "procedure.place_as_typed"), "label", typed), NULL};
    pl->typed = typed;
    pl->choices = c;
    pl->n_choices = n + 1;
    /* Offered already for this very address, and sent without a choice: said so. */
    if (!*choice && strcmp(form_value(fl, pl->offered_for), typed) == 0) {
        add_error(fl, pl->choice, S(fl, "procedure.err_place_choose"));
        return 2;
    }
    return 1;
}

/* The places of step st resolved (resolve_place): the report's on its step, the shown
 * location questions' on theirs. The greatest of their answers. */
static int resolve_places(filing *fl, step_id st)
{
    if (st == STEP_LOCATION)
        return resolve_place(fl, place_of(fl, NULL));
    if (st != questions_step(fl))
        return 0;
    fspec specs[MAX_SPECS];
    size_t n = add_attr_specs(fl, specs, 0, MAX_SPECS);
    int r = 0;
    for (size_t i = 0; i < n; i++)
        if (specs[i].attr && specs[i].attr->type == ATTR_LOCATION && specs[i].pl &&
            specs[i].kind == FORM_FIELD_INPUT && !specs[i].hidden) {
            int one = resolve_place(fl, specs[i].pl);
            r = one > r ? one : r;
        }
    return r;
}

static void form_post(http_req *rq, int report)
{
    filing *fl = arena_alloc(rq->arena, sizeof *fl);
    if (!fl) {
        http_respond_text(rq, 500, "out of memory");
        return;
    }
    if (setup(fl, rq, report) != 0)
        return;
    if (web_form_and_files(rq, &fl->f, &fl->files, &fl->n_files) != 0)
        return;
    if (fl->incident)
        choose_category(fl);
    if (keep_files(fl) != 0)
        return;
    size_t n_steps;
    const step_id *steps = steps_of(fl, &n_steps);
    int st = step_parse(fl, form_get(&fl->f, "step"));
    int go = step_parse(fl, form_get(&fl->f, "goto"));
    if (fl->incident && !fl->p)
        fl->suggested = suggest_category(fl);
    if (fl->files_status || form_get(&fl->f, "retirer")) {
        /* A file refused or removed: the step where files are chosen again, every answer
         * kept, the files kept listed. */
        render_step(fl, fl->question_file_refused ? questions_step(fl) : files_step(fl),
                    fl->files_status ? fl->files_status : 200);
        return;
    }
    if (go >= 0) {
        /* «Modifier» or «Étape précédente»: no check, the answers are kept as they are. */
        fl->prefill = go != st;
        render_step(fl, (step_id)go, 200);
        return;
    }
    if (st < 0) {
        fl->prefill = 1;
        render_step(fl, steps[0], 200);
        return;
    }
    if (st == STEP_WHAT && fl->p &&
        strcmp(form_value(fl, "categorie_proposee"), fl->p->rec.code) == 0) {
        /* The category proposed from the place, left as it was: the words have the last say
         * when they point elsewhere. */
        const char *said = suggest_category(fl);
        if (said && strcmp(said, fl->p->rec.code) != 0) {
            fl->p = NULL;
            fl->suggested = said;
            fl->proposal_refuted = 1;
        }
    }
    int r = resolve_places(fl, (step_id)st);
    if (r) {
        render_step(fl, (step_id)st, r == 2 ? 400 : 200);
        return;
    }
    if (conditions_moved(fl, (step_id)st)) {
        /* Without a script, the questions these answers show are asked now. */
        fl->conditions_notice = 1;
        render_step(fl, (step_id)st, 200);
        return;
    }
    if (check_step(fl, (step_id)st) > 0) {
        render_step(fl, (step_id)st, 400);
        return;
    }
    if (st == (int)last_step(fl)) {
        submit(fl);
        return;
    }
    step_id next = steps[step_index(fl, (step_id)st) + 1];
    fl->prefill = 1;
    render_step(fl, next, 200);
}

void filing_form_post(http_req *rq)
{
    form_post(rq, 0);
}

void filing_report_post(http_req *rq)
{
    form_post(rq, 1);
}
