/*
 * bo_intake — fast intake of requests received by phone, at the counter or by post: the
 * agent picks the channel and the procedure (a GET step, so that the procedure's own
 * questions can follow without JavaScript), finds the citizen among existing requests'
 * contacts or types them, and files through the same request_create as every channel, with
 * that channel and the actor "agent:<id>". The scanned letter goes as an attachment. The
 * page then shows the reference and the tracking code to read out or print.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attachment.h"
#include "core/courrier.h"
#include "core/perm.h"
#include "core/request.h"
#include "core/short_code.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_common.h"
#include "web/backoffice/bo_work.h"
#include "web/form_field.h"
#include "web/web.h"

#define CONTACTS_MAX 10
#define SEARCH_MAX 100 /* characters of a contact search */

/* The channels an agent files for; web and API file themselves. */
static const char *const intake_channels[] = {"phone", "counter", "post", "email"};

static int intake_channel_ok(const char *v)
{
    for (size_t i = 0; v && i < sizeof intake_channels / sizeof intake_channels[0]; i++)
        if (strcmp(intake_channels[i], v) == 0)
            return 1;
    return 0;
}

/* A value typed by the agent, from the form being re-shown or the query (prefill). */
static const char *val(const form *f, const char *name)
{
    const char *v = f ? form_get(f, name) : NULL;
    return v && *v ? v : NULL;
}

/* 1 when `code` is among the values given for a multivaluelist. */
static int has_value(const form *f, const char *name, const char *code)
{
    for (size_t i = 0; f && i < f->count; i++)
        if (strcmp(f->fields[i].name, name) == 0 && strcmp(f->fields[i].value, code) == 0)
            return 1;
    return 0;
}

/* The post room's letter being filed (?courrier=, then the forms' hidden field): 1 with *l
 * when it names a letter still to process, its read recorded; 0 when none (or not one). */
static int intake_letter(http_req *rq, const store_agent *a, const cat_tenant *t, const form *f,
                         store_post_letter *l)
{
    const char *v = val(f, "courrier");
    char *end = NULL;
    long long id = v ? strtoll(v, &end, 10) : 0;
    if (id <= 0 || !end || *end)
        return 0;
    int found = 0;
    error err;
    error_clear(&err);
    core_actor who = bo_who(rq, a);
    if (courrier_get(rq->core, t, &who, id, rq->arena, l, &found, &err) != 0) {
        log_warn("intake: post letter %lld: %s", id, err.detail);
        return 0;
    }
    return found && strcmp(l->state, "pending") == 0;
}

/* f with the letter's proposals for the fields it does not have yet (what the agent typed
 * wins), in the arena; f itself when out of memory. */
static form with_proposals(http_req *rq, const form *f, const store_post_letter *l)
{
    static const char *const fields[][2] = {
        {"prenom", "first_name"}, {"nom", "last_name"},           {"email", "email"},
        {"tel", "phone"},         {"description", "description"}, {"adresse", "address"},
        {"canal", NULL}};
    size_t n_fields = sizeof fields / sizeof fields[0];
    form out = {arena_alloc(rq->arena, (f->count + n_fields) * sizeof *out.fields), 0};
    json_error_t jerr;
    json_t *j = l->proposals ? json_loads(l->proposals, 0, &jerr) : NULL;
    if (!out.fields) {
        json_decref(j);
        return *f;
    }
    memcpy(out.fields, f->fields, f->count * sizeof *out.fields);
    out.count = f->count;
    for (size_t i = 0; i < n_fields; i++) {
        if (val(f, fields[i][0]))
            continue;
        const char *v = fields[i][1] ? json_string_value(json_object_get(j, fields[i][1])) : "post";
        if (!v || !*v)
            continue;
        const char *copy = arena_strdup(rq->arena, v);
        if (copy)
            out.fields[out.count++] = (form_field){fields[i][0], copy, strlen(copy)};
    }
    json_decref(j);
    return out;
}

/* The procedure's variable attributes as simple fields. */
static json_t *attr_fields(http_req *rq, const cat_procedure *p, const form *f, const char *bad,
                           const char *bad_message)
{
    json_t *out = json_array();
    for (size_t i = 0; i < p->n_attrs; i++) {
        const attr_def *d = &p->attrs[i];
        /* A file question's document is the citizen's to attach on the portal; at the
         * counter it goes with the request's attachments. */
        if (!d->variable || d->type == ATTR_FILE)
            continue;
        const char *name = arena_printf(rq->arena, "attr_%s", d->code);
        json_t *o = json_object();
        present_set_str_opt(o, "id", arena_printf(rq->arena, "attr-%s", d->code));
        present_set_str_opt(o, "name", name);
        present_set_str_opt(o, "label", attr_label(d, rq->lang));
        /* Every question is drawn (the agent takes the answers as they come): one that a
         * condition may hide says when it is to be filled in. */
        const char *hint = attr_hint(d, rq->lang);
        const char *note = form_field_condition_note(rq->arena, rq->present, rq->lang, p->attrs,
                                                     p->n_attrs, d, "intake.only_if");
        present_set_str_opt(o, "hint",
                            note && hint && *hint ? arena_printf(rq->arena, "%s %s", note, hint)
                            : note                ? note
                                                  : hint);
        /* A question a condition may hide is not marked: core requires it only when its
         * condition holds, and says so. */
        json_object_set_new(o, "required", json_boolean(d->required && !d->conditional));
        present_set_str_opt(o, "value", val(f, name));
        if (bad && strcmp(bad, d->code) == 0)
            present_set_str_opt(
                o, "error",
                bad_message ? bad_message
                            : present_string(rq->present, rq->lang, "intake.error_attribute"));
        const char *kind = "k_input";
        const char *type = "text";
        switch (d->type) {
        case ATTR_NUMBER:
            type = "text";
            present_set_str_opt(o, "inputmode", "decimal");
            break;
        case ATTR_DATETIME:
            type = "datetime-local";
            break;
        case ATTR_DATE:
            type = "date";
            break;
        case ATTR_TEXT:
            kind = "k_textarea";
            break;
        case ATTR_SINGLEVALUELIST:
            kind = "k_select";
            break;
        case ATTR_MULTIVALUELIST:
            kind = "k_checkboxes";
            break;
        default:
            break;
        }
        json_object_set_new(o, kind, json_true());
        present_set_str_opt(o, "type", type);
        json_t *opts = json_array();
        for (size_t k = 0; k < d->n_values; k++) {
            json_t *op = json_object();
            present_set_str_opt(op, "value", d->values[k].key);
            present_set_str_opt(op, "label", attr_value_name(d, d->values[k].key, rq->lang));
            present_set_str_opt(op, "id", arena_printf(rq->arena, "attr-%s-%zu", d->code, k));
            json_object_set_new(op, "selected", json_boolean(has_value(f, name, d->values[k].key)));
            json_array_append_new(opts, op);
        }
        json_object_set_new(o, "options", opts);
        json_array_append_new(out, o);
    }
    return out;
}

/* Contacts of existing requests matching the agent's search (within their scope). */
static json_t *contacts(http_req *rq, const store_agent *a, const cat_tenant *t, const char *q)
{
    json_t *out = json_array();
    store_request_filter f;
    memset(&f, 0, sizeof f);
    f.tenant_id = t->rec.id;
    f.text = q;
    f.limit = 50;
    error err;
    error_clear(&err);
    store_request *rows = NULL;
    size_t n = 0;
    int64_t searched_from; /* suggestions: the years searched within the budget are enough */
    if (perm_scope(a, &f, &err) != 0 ||
        request_search_text(rq->core, &f, rq->arena, &rows, &n, &searched_from, &err) != 0) {
        log_warn("intake contact search: %s", err.detail);
        return out;
    }
    int64_t *ids = n ? arena_alloc(rq->arena, n * sizeof *ids) : NULL;
    for (size_t i = 0; i < n && ids; i++)
        ids[i] = rows[i].id;
    bo_record_access(rq, a, "search", "contact", ids, ids ? n : 0);
    for (size_t i = 0; i < n && json_array_size(out) < CONTACTS_MAX; i++) {
        const store_request *r = &rows[i];
        const char *name = bo_citizen_name(rq, r);
        if (!name && !(r->email && *r->email) && !(r->phone && *r->phone))
            continue;
        int dup = 0;
        for (size_t k = 0; k < i && !dup; k++) {
            const store_request *o = &rows[k];
            dup = ((r->email && o->email && strcmp(r->email, o->email) == 0) ||
                   (r->phone && o->phone && *r->phone && strcmp(r->phone, o->phone) == 0));
        }
        if (dup)
            continue;
        json_t *c = json_object();
        present_set_str_opt(c, "name", name);
        present_set_str_opt(c, "email", r->email && *r->email ? r->email : NULL);
        present_set_str_opt(c, "phone", r->phone && *r->phone ? r->phone : NULL);
        present_set_str_opt(c, "last_reference", r->reference);
        /* A GET link that fills the form: nothing is written until the agent files. */
        present_set_str_opt(c, "use_url",
                            arena_printf(rq->arena, "&prenom=%s&nom=%s&email=%s&tel=%s",
                                         bo_url(rq, r->first_name), bo_url(rq, r->last_name),
                                         bo_url(rq, r->email), bo_url(rq, r->phone)));
        json_array_append_new(out, c);
    }
    return out;
}

/* The page's words about the letter being filed (merged into the page's context). */
static json_t *letter_json(http_req *rq, const store_post_letter *l)
{
    json_t *o = json_object();
    const char *base = arena_printf(rq->arena, "/agent/courrier/%lld", (long long)l->id);
    char note[400];
    present_fill(note, sizeof note, present_string(rq->present, rq->lang, "courrier.intake_note"),
                 "name", l->filename);
    json_t *letter = json_object();
    present_set_str_opt(letter, "id", arena_printf(rq->arena, "%lld", (long long)l->id));
    present_set_str_opt(letter, "note", note);
    present_set_str_opt(letter, "url", base);
    present_set_str_opt(letter, "filename", l->filename);
    present_set_str_opt(letter, "file_url", arena_printf(rq->arena, "%s/fichier", base));
    present_set_str_opt(letter, "preview_url",
                        arena_printf(rq->arena,
                                     strcmp(l->content_type, "application/pdf") == 0
                                         ? "%s/apercu.png"
                                         : "%s/fichier",
                                     base));
    json_object_set_new(o, "letter", letter);
    return o;
}

static void render_form(http_req *rq, const store_agent *a, const cat_tenant *t, const form *f,
                        int http_status, json_t *extra)
{
    json_t *ctx = bo_context(rq, a);
    if (!ctx) {
        json_decref(extra);
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "intake.title"));
    store_post_letter letter;
    if (intake_letter(rq, a, t, f, &letter)) {
        json_t *lj = letter_json(rq, &letter);
        json_object_update(ctx, lj);
        json_decref(lj);
    }
    present_set_str_opt(
        ctx, "files_hint",
        web_upload_hint(rq, present_string(rq->present, rq->lang, "intake.files_hint")));
    const char *canal = val(f, "canal");
    if (!intake_channel_ok(canal))
        canal = "phone";
    json_t *chs = json_array();
    for (size_t i = 0; i < sizeof intake_channels / sizeof intake_channels[0]; i++) {
        json_t *o = json_object();
        present_set_str_opt(o, "value", intake_channels[i]);
        present_set_str_opt(o, "label", bo_channel_label(rq, intake_channels[i]));
        present_set_str_opt(o, "id", arena_printf(rq->arena, "canal-%s", intake_channels[i]));
        json_object_set_new(o, "checked", json_boolean(strcmp(canal, intake_channels[i]) == 0));
        json_array_append_new(chs, o);
    }
    json_object_set_new(ctx, "channels", chs);
    /* The contact given in the address (the caller lookup's «Nouvelle demande», a contact
     * found) travels through step 1 with the procedure chosen, up to step 2's fields. */
    static const char *const contact[] = {"prenom", "nom", "email", "tel", "courrier"};
    json_t *carried = json_array();
    for (size_t i = 0; i < sizeof contact / sizeof contact[0]; i++) {
        /* A letter's proposals are read again from the letter: none of its personal data
         * goes into the step's address. */
        if (!val(f, contact[i]) || (val(f, "courrier") && strcmp(contact[i], "courrier") != 0))
            continue;
        json_t *o = json_object();
        present_set_str_opt(o, "name", contact[i]);
        present_set_str_opt(o, "value", val(f, contact[i]));
        json_array_append_new(carried, o);
    }
    json_object_set_new(ctx, "carried", carried);
    /* The language of the messages the citizen will get (acknowledgement, replies). */
    static const char *const langs[] = {"fr", "en"};
    const char *langue = val(f, "langue");
    json_t *ls = json_array();
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        json_t *o = json_object();
        present_set_str_opt(o, "value", langs[i]);
        present_set_str_opt(
            o, "label",
            present_string(rq->present, rq->lang, i ? "request_bo.lang_en" : "request_bo.lang_fr"));
        present_set_str_opt(o, "id", arena_printf(rq->arena, "langue-%s", langs[i]));
        json_object_set_new(o, "checked",
                            json_boolean(langue && strcmp(langue, "en") == 0 ? i == 1 : i == 0));
        json_array_append_new(ls, o);
    }
    json_object_set_new(ctx, "langs", ls);
    present_set_str_opt(ctx, "canal", canal);
    present_set_str_opt(ctx, "canal_label", bo_channel_label(rq, canal));

    const cat_procedure *chosen =
        val(f, "demarche") ? catalogue_procedure(t, val(f, "demarche")) : NULL;
    if (chosen && !chosen->rec.active)
        chosen = NULL;
    json_t *groups = json_array();
    json_t *group = NULL;
    const char *gname = NULL;
    for (size_t i = 0; i < t->n_procedures; i++) {
        const cat_procedure *p = &t->procedures[i];
        if (!p->rec.active)
            continue;
        const char *g = p->rec.group_name ? p->rec.group_name : "";
        if (!group || strcmp(g, gname) != 0) {
            group = json_object();
            present_set_str_opt(group, "label", g);
            json_object_set_new(group, "options", json_array());
            json_array_append_new(groups, group);
            gname = g;
        }
        json_t *o = json_object();
        present_set_str_opt(o, "value", p->rec.code);
        present_set_str_opt(o, "label", p->rec.name);
        json_object_set_new(o, "selected", json_boolean(p == chosen));
        json_array_append_new(json_object_get(group, "options"), o);
    }
    json_object_set_new(ctx, "procedure_groups", groups);

    const char *search = val(f, "cherche");
    if (search && strlen(search) <= SEARCH_MAX) {
        json_t *cs = contacts(rq, a, t, search);
        const char *prefix =
            arena_printf(rq->arena, "/agent/saisie?canal=%s%s%s", bo_url(rq, canal),
                         chosen ? "&demarche=" : "", chosen ? bo_url(rq, chosen->rec.code) : "");
        size_t k;
        json_t *c;
        json_array_foreach(cs, k, c)
        {
            present_set_str_opt(c, "use_url",
                                arena_printf(rq->arena, "%s%s", prefix,
                                             json_string_value(json_object_get(c, "use_url"))));
        }
        json_object_set_new(ctx, "searched", json_true());
        json_object_set_new(ctx, "has_contacts", json_boolean(json_array_size(cs) > 0));
        json_object_set_new(ctx, "contacts", cs);
        present_set_str_opt(ctx, "cherche_value", search);
    }
    if (chosen) {
        json_t *p = json_object();
        present_set_str_opt(p, "code", chosen->rec.code);
        present_set_str_opt(p, "name", chosen->rec.name);
        json_object_set_new(p, "is_incident", json_boolean(chosen->rec.kind == PROCEDURE_INCIDENT));
        const char *bad = extra ? json_string_value(json_object_get(extra, "bad_attribute")) : NULL;
        const char *bad_message =
            extra ? json_string_value(json_object_get(extra, "bad_attribute_message")) : NULL;
        json_t *fields = attr_fields(rq, chosen, f, bad, bad_message);
        json_object_set_new(p, "has_fields", json_boolean(json_array_size(fields) > 0));
        json_object_set_new(p, "fields", fields);
        json_object_set_new(ctx, "procedure", p);
        /* The department the agent may choose; none: the routing rules decide. */
        const char *service = val(f, "service");
        json_t *deps = json_array();
        for (size_t i = 0; i < t->n_departments; i++) {
            json_t *o = json_object();
            present_set_str_opt(o, "value", t->departments[i].rec.code);
            present_set_str_opt(o, "label", t->departments[i].rec.name);
            json_object_set_new(
                o, "selected",
                json_boolean(service && strcmp(service, t->departments[i].rec.code) == 0));
            json_array_append_new(deps, o);
        }
        json_object_set_new(ctx, "intake_departments", deps);
        static const char *const names[] = {"prenom",      "nom",     "email", "tel",
                                            "description", "adresse", "lat",   "long"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            present_set_str_opt(ctx, arena_printf(rq->arena, "%s_value", names[i]),
                                val(f, names[i]));
    }
    if (extra) {
        json_object_del(extra, "bad_attribute");
        json_object_del(extra, "bad_attribute_message");
        json_object_update(ctx, extra);
        json_decref(extra);
    }
    if (json_object_get(ctx, "has_errors"))
        present_set_str_opt(
            ctx, "title",
            arena_printf(rq->arena, "%s %s",
                         present_string(rq->present, rq->lang, "common.error_prefix"),
                         present_string(rq->present, rq->lang, "intake.title")));
    bo_render(rq, http_status, "agent/intake", ctx);
}

static void bo_intake_get(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    if (!perm_can_intake(&a)) {
        bo_forbidden(rq);
        return;
    }
    store_post_letter l;
    if (intake_letter(rq, &a, t, &rq->query, &l)) {
        form f = with_proposals(rq, &rq->query, &l);
        render_form(rq, &a, t, &f, 200, NULL);
        return;
    }
    render_form(rq, &a, t, &rq->query, 200, NULL);
}

static void add_error(json_t *ctx, const char *field, const char *text)
{
    json_t *errors = json_object_get(ctx, "errors");
    if (!errors) {
        errors = json_array();
        json_object_set_new(ctx, "errors", errors);
    }
    json_t *e = json_object();
    present_set_str_opt(e, "field", field);
    present_set_str_opt(e, "message", text);
    json_array_append_new(errors, e);
    json_object_set_new(ctx, "has_errors", json_true());
    char k[80];
    snprintf(k, sizeof k, "%s_error", field);
    present_set_str_opt(ctx, k, text);
}

/* Attribute inputs from the form, as typed: a datetime-local value carries no offset, and
 * core reads it in the collectivité's zone at that date (summer or winter time alike). */
static attr_input *attr_inputs(http_req *rq, const form *f, size_t *n)
{
    *n = 0;
    attr_input *in = f->count ? arena_alloc(rq->arena, f->count * sizeof *in) : NULL;
    if (!in)
        return NULL;
    for (size_t i = 0; i < f->count; i++) {
        const char *name = f->fields[i].name;
        if (strncmp(name, "attr_", 5) != 0 || !*f->fields[i].value)
            continue;
        const char *code = name + 5;
        in[*n].code = code;
        in[*n].value = f->fields[i].value;
        (*n)++;
    }
    return in;
}

/* Why core refused the answer to question `code` of p, worded as the portal words it (the
 * SIRET's missing digit, the date that does not exist…); NULL when the question is unknown
 * or its answer passes on its own (core refused it for another reason). */
static const char *attr_refusal(http_req *rq, const cat_procedure *p, const form *f,
                                const char *code)
{
    const attr_def *d = attrs_find(p->attrs, p->n_attrs, code);
    size_t n_all = 0;
    attr_input *all = attr_inputs(rq, f, &n_all);
    if (!d || !all)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++)
        if (strcmp(all[i].code, code) == 0)
            all[n++] = all[i];
    return form_field_refusal(rq->arena, rq->present, rq->lang, d, attr_label(d, rq->lang), all, n,
                              NULL);
}

/* What the filing's continuation needs once request_create is durable or refused. */
typedef struct intake_state {
    store_agent a;
    const cat_tenant *t;
    form f;
    const cat_procedure *p;
    channel ch;
    json_t *extra;          /* owned: the page's errors, if the filing is refused */
    store_attachment *atts; /* prepared files, discarded when the filing fails */
    size_t n_atts;
    request_created out;
} intake_state;

static void intake_done(http_req *rq);

static void bo_intake_post(http_req *rq)
{
    store_agent a;
    if (!bo_agent(rq, &a))
        return;
    const cat_tenant *t = web_tenant(rq);
    if (!t)
        return;
    error err;
    error_clear(&err);
    form f;
    http_file *files = NULL;
    size_t n_files = 0;
    if (web_form_with_files(rq, &f, &files, &n_files) != 0)
        return;
    if (!perm_can_intake(&a)) {
        bo_forbidden(rq);
        return;
    }
    const char *canal = val(&f, "canal");
    const cat_procedure *p =
        val(&f, "demarche") ? catalogue_procedure(t, val(&f, "demarche")) : NULL;
    json_t *extra = json_object();
    if (!intake_channel_ok(canal))
        add_error(extra, "canal-phone",
                  present_string(rq->present, rq->lang, "intake.error_channel"));
    if (!p || !p->rec.active) {
        add_error(extra, "demarche",
                  present_string(rq->present, rq->lang, "intake.error_procedure"));
        render_form(rq, &a, t, &f, 400, extra);
        return;
    }
    const char *msg = NULL;
    const char *desc = bo_text(rq, val(&f, "description"), REQUEST_DESCRIPTION_MAX, 0, &msg);
    if (msg)
        add_error(extra, "description", present_string(rq->present, rq->lang, msg));
    request_input in;
    memset(&in, 0, sizeof in);
    in.tenant = t;
    in.procedure = p;
    channel ch = CHANNEL_PHONE;
    if (canal)
        channel_parse(canal, &ch);
    in.ch = ch;
    in.description = desc;
    in.address = bo_trim(rq, val(&f, "adresse"));
    const char *lat = val(&f, "lat"), *lon = val(&f, "long");
    if (lat && lon) {
        char *e1 = NULL, *e2 = NULL;
        in.lat = strtod(lat, &e1);
        in.lon = strtod(lon, &e2);
        if (*e1 || *e2 || in.lat < -90 || in.lat > 90 || in.lon < -180 || in.lon > 180)
            add_error(extra, "lat",
                      present_string(rq->present, rq->lang, "intake.error_coordinates"));
        else
            in.has_location = 1;
    }
    in.first_name = bo_trim(rq, val(&f, "prenom"));
    in.last_name = bo_trim(rq, val(&f, "nom"));
    in.email = bo_trim(rq, val(&f, "email"));
    in.phone = bo_trim(rq, val(&f, "tel"));
    in.attrs = attr_inputs(rq, &f, &in.n_attrs);
    /* A location question is a line of text here: the place as the caller words it. */
    in.attr_locations = 1;
    in.require_location = p->rec.kind == PROCEDURE_INCIDENT;
    /* News by e-mail when the citizen gave an address, else by SMS to the number they gave
     * (their receipt first: reference and tracking code), else none. */
    in.notify = in.email && *in.email ? "email" : in.phone && *in.phone ? "sms" : "none";
    in.ack_base_url = http_base_url(rq, t);
    /* The language the messages about it go out in: French unless the agent says the
     * citizen wants English (core takes "en" or French). */
    in.lang_code = val(&f, "langue");
    const char *service = val(&f, "service");
    if (service && *service) {
        const cat_department *d = catalogue_department(t, service);
        if (d)
            in.department_id = d->rec.id;
        else
            add_error(extra, "service",
                      present_string(rq->present, rq->lang, "intake.error_department"));
    }
    if (json_object_get(extra, "errors")) {
        render_form(rq, &a, t, &f, 400, extra);
        return;
    }
    store_attachment *atts = n_files ? arena_alloc(rq->arena, n_files * sizeof *atts) : NULL;
    size_t n_atts = 0;
    int http_status = 400; /* 503 when the antivirus could not scan a file */
    for (size_t i = 0; i < n_files && atts; i++) {
        attachment_upload up = {files[i].field, files[i].filename, files[i].data, files[i].len};
        error aerr;
        error_clear(&aerr);
        if (attachment_prepare(core_uploads(rq->core), &up, rq->arena, &atts[n_atts], &aerr) == 0) {
            n_atts++;
            continue;
        }
        const char *key;
        int file_status = web_file_refusal(rq, "intake.error_file", &aerr, &key);
        if (!file_status) {
            for (size_t k = 0; k < n_atts; k++)
                attachment_discard(core_uploads(rq->core), &atts[k]);
            json_decref(extra);
            http_respond_error(rq, &aerr);
            return;
        }
        if (file_status > http_status)
            http_status = file_status;
        add_error(extra, "fichiers", present_string(rq->present, rq->lang, key));
        if (file_status == 503)
            break; /* the next files would wait for the antivirus as long */
    }
    /* Filed from the post room: the letter's scan joins the files, and the request's own
     * transaction marks the letter filed (another agent first: ERR_CONFLICT). */
    store_post_letter letter;
    if (val(&f, "courrier") && !intake_letter(rq, &a, t, &f, &letter)) {
        /* Filed, linked or discarded meanwhile (a second click, another agent): nothing is
         * filed twice, nor without its letter. */
        for (size_t k = 0; k < n_atts; k++)
            attachment_discard(core_uploads(rq->core), &atts[k]);
        add_error(extra, "description",
                  present_string(rq->present, rq->lang, "courrier.error_decided"));
        render_form(rq, &a, t, &f, 409, extra);
        return;
    }
    if (!json_object_get(extra, "errors") && val(&f, "courrier")) {
        store_attachment *more = arena_alloc(rq->arena, (n_atts + 1) * sizeof *more);
        if (!more ||
            courrier_attachment(rq->core, t, &letter, rq->arena, &more[n_atts], &err) != 0) {
            for (size_t k = 0; k < n_atts; k++)
                attachment_discard(core_uploads(rq->core), &atts[k]);
            if (more && courrier_is_uncut(&err)) {
                /* Nothing filed, what the agent typed kept: the letter stays to process. */
                add_error(extra, "description",
                          present_string(rq->present, rq->lang, "courrier.error_cut"));
                render_form(rq, &a, t, &f, 400, extra);
                return;
            }
            json_decref(extra);
            if (!more)
                error_set(&err, ERR_INTERNAL, NULL, "out of memory");
            http_respond_error(rq, &err);
            return;
        }
        if (n_atts)
            memcpy(more, atts, n_atts * sizeof *more);
        atts = more;
        n_atts++;
        in.post_letter_id = letter.id;
        in.ch = ch = CHANNEL_POST;
    }
    if (json_object_get(extra, "errors")) {
        for (size_t k = 0; k < n_atts; k++)
            attachment_discard(core_uploads(rq->core), &atts[k]);
        render_form(rq, &a, t, &f, http_status, extra);
        return;
    }
    in.attachments = atts;
    in.n_attachments = n_atts;
    intake_state *is = arena_alloc(rq->arena, sizeof *is);
    if (!is) {
        for (size_t k = 0; k < n_atts; k++)
            attachment_discard(core_uploads(rq->core), &atts[k]);
        json_decref(extra);
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    memset(is, 0, sizeof *is);
    is->a = a;
    is->t = t;
    is->f = f;
    is->p = p;
    is->ch = ch;
    is->extra = extra;
    is->atts = atts;
    is->n_atts = n_atts;
    rq->user = is;
    core_actor who = bo_who(rq, &a);
    in.who = &who;
    http_wait *w = http_wait_begin(rq, intake_done);
    int rc = request_create(rq->core, &in, &is->out, http_wait_done, w, &err);
    http_wait_started(w, rc, &err);
}

static void intake_done(http_req *rq)
{
    intake_state *is = rq->user;
    const http_wait *outcome = http_wait_result(rq);
    store_agent a = is->a;
    const cat_tenant *t = is->t;
    const form f = is->f;
    const cat_procedure *p = is->p;
    channel ch = is->ch;
    json_t *extra = is->extra;
    store_attachment *atts = is->atts;
    size_t n_atts = is->n_atts;
    const request_created out = is->out;
    error err = outcome->err;
    if (outcome->rc != 0) {
        for (size_t k = 0; k < n_atts; k++)
            attachment_discard(core_uploads(rq->core), &atts[k]);
        if (err.code != ERR_INVALID_ARG && err.code != ERR_MISSING_ARG) {
            json_decref(extra);
            http_respond_error(rq, &err);
            return;
        }
        const char *field = "description";
        const char *refusal = NULL;
        if (strncmp(err.arg, "attribute[", 10) == 0) {
            char code[64];
            snprintf(code, sizeof code, "%.*s", (int)strcspn(err.arg + 10, "]"), err.arg + 10);
            present_set_str_opt(extra, "bad_attribute", code);
            field = arena_printf(rq->arena, "attr-%s", code);
            refusal = attr_refusal(rq, p, &f, code);
            present_set_str_opt(extra, "bad_attribute_message", refusal);
        } else if (strcmp(err.arg, "lat") == 0 || strcmp(err.arg, "address") == 0 ||
                   strcmp(err.arg, "address_string") == 0) {
            field = "adresse";
        } else if (strcmp(err.arg, "email") == 0) {
            field = "email";
        } else if (strcmp(err.arg, "phone") == 0) {
            field = "tel";
            refusal = form_field_phone_refusal(rq->arena, rq->present, rq->lang, val(&f, "tel"));
        }
        add_error(extra, field,
                  refusal
                      ? refusal
                      : present_string(rq->present, rq->lang,
                                       strncmp(field, "attr-", 5) == 0 ? "intake.error_attribute"
                                       : strcmp(field, "adresse") == 0 ? "intake.error_location"
                                                                       : "intake.error_invalid"));
        render_form(rq, &a, t, &f, 400, extra);
        return;
    }
    json_decref(extra);
    json_t *ctx = bo_context(rq, &a);
    if (!ctx) {
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        http_respond_error(rq, &err);
        return;
    }
    present_set_str_opt(ctx, "title", present_string(rq->present, rq->lang, "intake.done_title"));
    present_set_str_opt(ctx, "reference", out.reference);
    /* The short code, which a person can dictate, rather than the long token; the receipt
     * form carries it to /agent/demandes/{ref}/recu. */
    if (out.short_code[0]) {
        char shown[SHORT_CODE_DISPLAY_SIZE];
        short_code_format(out.short_code, shown);
        present_set_str_opt(ctx, "short_code", shown);
        present_set_str_opt(ctx, "code", out.short_code);
    }
    /* An address given: the acknowledgement, with the code, went into the outbox with the
     * request (request_input.ack_base_url). */
    const char *email = bo_trim(rq, val(&f, "email"));
    if (email && *email)
        present_set_str_opt(ctx, "email", email);
    present_set_str_opt(ctx, "procedure", p->rec.name);
    present_set_str_opt(ctx, "channel_label", bo_channel_label(rq, channel_name(ch)));
    present_set_str_opt(ctx, "request_url",
                        arena_printf(rq->arena, "/agent/demandes/%s", bo_url(rq, out.reference)));
    present_set_str_opt(ctx, "tracking_url",
                        arena_printf(rq->arena, "%s/suivi", http_base_url(rq, t)));
    present_set_str_opt(ctx, "again_url",
                        arena_printf(rq->arena, "/agent/saisie?canal=%s", channel_name(ch)));
    bo_render(rq, 201, "agent/intake_done", ctx);
}

const http_route bo_intake_routes[] = {
    {HTTP_GET | HTTP_HEAD, "/agent/saisie", bo_intake_get},
    {HTTP_POST | HTTP_ROUTE_FILES, "/agent/saisie", bo_intake_post},
    {0, NULL, NULL},
};
