/*
 * ropa — the article 30 register from the configuration. Every fact comes from a table the
 * administrator fills (procedures, their attributes, departments, API keys, settings) or from
 * what the code does whatever the configuration (the fixed recipients, the security
 * measures); codes are turned into sentences only by ropa_label, with strings it is given.
 */
#include "core/ropa.h"

#include <stdlib.h>
#include <string.h>

#include "core/attrs.h"
#include "core/audit.h"
#include "core/broadcast.h"
#include "core/core_internal.h"
#include "core/courrier.h"
#include "core/mail_held.h"
#include "core/retention.h"
#include "util/csv.h"
#include "util/timeutil.h"

/* What guichet does for every processing activity, whatever the configuration; each code
 * has its sentence in the strings, pointing to docs/security.md. */
static const char *const security_codes[] = {
    "access_control", "audit_log",    "authentication", "secrets", "uploads",
    "transport",      "minimisation", "hosting",        NULL,
};


static json_t *codes(const char *const *list)
{
    json_t *a = json_array();
    for (size_t i = 0; list[i]; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* {category, code, label, datatype, required, free_text}: a category of data. */
static json_t *data_item(const char *category, const attr_def *d, int free_text)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:b, s:b}", "category", category, "code",
                     str_or_null(d ? d->code : NULL), "label",
                     str_or_null(d ? attr_label(d, LANG_FR) : NULL), "datatype",
                     str_or_null(d ? attr_type_name(d->type) : NULL), "required",
                     d ? d->required : 0, "free_text", free_text);
}

static json_t *recipient(const char *kind, const char *name, const char *detail)
{
    return json_pack("{s:s, s:o, s:o}", "kind", kind, "name", str_or_null(name), "detail",
                     str_or_null(detail));
}

static json_t *entry_new(const char *id, const char *kind, const char *code, const char *name)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:n, s:n, s:s, s:o, s:b, s:o, s:o, s:n, "
                     "s:b, s:o}",
                     "id", id, "kind", kind, "code", str_or_null(code), "name", str_or_null(name),
                     "group", json_null(), "active", 1, "procedure_kind", "purpose", "legal_basis",
                     "public_interest", "persons", json_array(), "anonymous_allowed", 0, "data",
                     json_array(), "recipients", json_array(), "retention_days",
                     "transfers_outside_eu", 0, "security", codes(security_codes));
}

/* The recipients every procedure shares: the tenant's administrators and élus, and the
 * software whose keys read requests (api) or file them (gateway). */
static void common_recipients(json_t *list, const store_apikey *keys, size_t n_keys)
{
    json_array_append_new(list, recipient("admins", NULL, NULL));
    json_array_append_new(list, recipient("elected", NULL, NULL));
    for (size_t i = 0; i < n_keys; i++) {
        if (keys[i].revoked_at)
            continue;
        if (keys[i].scope && strcmp(keys[i].scope, "api") == 0)
            json_array_append_new(list, recipient("api_key", keys[i].name, keys[i].scope));
        else if (keys[i].scope && strcmp(keys[i].scope, "gateway") == 0)
            json_array_append_new(list, recipient("gateway_key", keys[i].name, keys[i].scope));
    }
}

static const char *const detail_codes[] = {"none", "status", "full"};

static json_t *procedure_entry(const cat_tenant *t, const cat_procedure *cp,
                               const store_apikey *keys, size_t n_keys)
{
    const store_procedure *p = &cp->rec;
    char id[160];
    snprintf(id, sizeof id, "procedure:%s", p->code ? p->code : "");
    json_t *e = entry_new(id, "procedure", p->code, p->name);
    if (!e)
        return NULL;
    int incident = p->kind == PROCEDURE_INCIDENT;
    json_object_set_new(e, "group", str_or_null(p->group_name));
    json_object_set_new(e, "active", json_boolean(p->active));
    json_object_set_new(e, "procedure_kind", json_string(incident ? "incident" : "demarche"));
    json_object_set_new(e, "purpose", str_or_null(p->description));
    static const char *const persons[] = {"requesters", "third_parties", NULL};
    json_object_set_new(e, "persons", codes(persons));
    json_object_set_new(e, "anonymous_allowed", json_boolean(p->allow_anonymous));

    json_t *data = json_object_get(e, "data");
    json_array_append_new(data, data_item("identity", NULL, 0));
    json_array_append_new(data, data_item("contact", NULL, 0));
    if (incident)
        json_array_append_new(data, data_item("location", NULL, 0));
    json_array_append_new(data, data_item("description", NULL, 1));
    for (size_t i = 0; i < cp->n_attrs; i++) {
        const attr_def *d = &cp->attrs[i];
        if (!d->variable) /* a notice shown on the form: nothing is asked */
            continue;
        json_array_append_new(
            data, data_item("attribute", d, d->type == ATTR_STRING || d->type == ATTR_TEXT));
    }
    json_array_append_new(data, data_item("attachments", NULL, 0));
    json_array_append_new(data, data_item("followup", NULL, 1));
    if (p->open311)
        json_array_append_new(data, data_item("open311_ids", NULL, 0));

    json_t *rec = json_object_get(e, "recipients");
    const cat_department *dep = catalogue_department_by_id(t, p->department_id);
    json_array_append_new(rec, dep ? recipient("department", dep->rec.name, dep->rec.code)
                                   : recipient("no_department", NULL, NULL));
    common_recipients(rec, keys, n_keys);
    if (p->open311) {
        int level = p->open311_detail >= 0 && p->open311_detail <= 2 ? p->open311_detail : 0;
        json_array_append_new(rec, recipient("open311", NULL, detail_codes[level]));
    }
    if (p->is_public)
        json_array_append_new(
            rec, recipient(p->auto_public ? "public_list_auto" : "public_list", NULL, NULL));

    /* What the retention pass applies: months after closure, then anonymisation. */
    json_object_set_new(e, "retention_months", json_integer(retention_months_of(p)));
    return e;
}

/* The portal's accounts: a processing of its own, whatever the procedures. */
static json_t *accounts_entry(void)
{
    json_t *e = entry_new("accounts", "accounts", NULL, NULL);
    if (!e)
        return NULL;
    static const char *const persons[] = {"account_holders", NULL};
    json_object_set_new(e, "persons", codes(persons));
    json_t *data = json_object_get(e, "data");
    static const char *const cats[] = {"account_identity", "account_contact", "account_prefs",
                                       "account_sessions", NULL};
    for (size_t i = 0; cats[i]; i++)
        json_array_append_new(data, data_item(cats[i], NULL, 0));
    json_t *rec = json_object_get(e, "recipients");
    json_array_append_new(rec, recipient("admins", NULL, NULL));
    return e;
}

/* The audit log: agents' accesses to personal data, kept audit_retention_days. */
static json_t *audit_entry(int days)
{
    json_t *e = entry_new("audit", "audit", NULL, NULL);
    if (!e)
        return NULL;
    json_object_set_new(e, "legal_basis", json_string("legal_obligation"));
    static const char *const persons[] = {"agents", "api_clients", NULL};
    json_object_set_new(e, "persons", codes(persons));
    json_t *data = json_object_get(e, "data");
    static const char *const cats[] = {"audit_actor", "audit_action", "audit_source", NULL};
    for (size_t i = 0; cats[i]; i++)
        json_array_append_new(data, data_item(cats[i], NULL, 0));
    json_array_append_new(json_object_get(e, "recipients"), recipient("admins", NULL, NULL));
    json_object_set_new(e, "retention_days", json_integer(days));
    return e;
}

/* A processing outside requests (the agents' own data, issue 14's channels): its persons,
 * data categories, legal basis, retention (days, or -1: none fixed) and the rule that words
 * it. */
typedef struct channel_entry {
    const char *kind;
    const char *legal_basis;
    const char *const *persons;
    const char *const *data;
    const char *retention_rule;
} channel_entry;

/* Agents are data subjects too: what the back office keeps of them (store_agent, their
 * sessions, the notices e-mailed to them, their audit entries). */
static const char *const agent_persons[] = {"agents", NULL};
static const char *const agent_data[] = {"agent_identity", "agent_auth",    "agent_notices",
                                         "agent_traces",   "agent_figures", NULL};
static const char *const held_persons[] = {"mail_senders", NULL};
static const char *const held_data[] = {"held_mail", NULL};
static const char *const optout_persons[] = {"sms_senders", NULL};
static const char *const optout_data[] = {"sms_optout", NULL};
static const char *const subscriber_persons[] = {"subscribers", NULL};
static const char *const subscriber_data[] = {"subscription_contact", "subscription_topics",
                                              "subscription_messages", NULL};

/* The documents issued about requests (core/document.h) and the post room's letters
 * (core/courrier.h): their own lines, as their data outlive or precede a request's form. */
static const char *const document_persons[] = {"requesters", NULL};
static const char *const document_data[] = {"document_content", "document_proof", NULL};
static const char *const post_persons[] = {"post_senders", NULL};
static const char *const post_data[] = {"post_scan", "post_text", NULL};

static const channel_entry channel_entries[] = {
    {"agents", "public_interest", agent_persons, agent_data, "agents"},
    {"mail_held", "public_interest", held_persons, held_data, "held_mail"},
    {"sms_optouts", "objection", optout_persons, optout_data, "optout"},
    {"subscribers", "consent", subscriber_persons, subscriber_data, "subscription"},
    {"documents", "legal_obligation", document_persons, document_data, "documents"},
    {"post_room", "public_interest", post_persons, post_data, "post_room"},
};

static json_t *channel_entry_new(const channel_entry *ce, int days)
{
    json_t *e = entry_new(ce->kind, ce->kind, NULL, NULL);
    if (!e)
        return NULL;
    json_object_set_new(e, "legal_basis", json_string(ce->legal_basis));
    json_object_set_new(e, "persons", codes(ce->persons));
    json_t *data = json_object_get(e, "data");
    for (size_t i = 0; ce->data[i]; i++)
        json_array_append_new(data, data_item(ce->data[i], NULL, 0));
    json_array_append_new(json_object_get(e, "recipients"), recipient("admins", NULL, NULL));
    if (days >= 0)
        json_object_set_new(e, "retention_days", json_integer(days));
    json_object_set_new(e, "retention_rule", json_string(ce->retention_rule));
    return e;
}

int ropa_build(core *c, const cat_tenant *t, json_t **out, error *err)
{
    *out = NULL;
    store *s = c->store;
    arena a;
    arena_init(&a, 0);
    store_apikey *keys = NULL;
    size_t n_keys = 0;
    int days = AUDIT_RETENTION_DAYS_DEFAULT, held_days = MAIL_HELD_RETENTION_DAYS_DEFAULT;
    int post_days = COURRIER_DROPPED_RETENTION_DAYS_DEFAULT;
    if (s->ops->apikeys.list(s, t->rec.id, &a, &keys, &n_keys, err) != 0 ||
        audit_retention_days(c, &days, err) != 0 ||
        mail_held_retention_days(c, &held_days, err) != 0 ||
        courrier_dropped_retention_days(c, &post_days, err) != 0) {
        arena_free(&a);
        return -1;
    }
    char now[TIME_RFC3339_LEN];
    time_format_rfc3339(time_now(), t->rec.timezone, now);
    json_t *entries = json_array();
    json_t *root =
        json_pack("{s:{s:o, s:o}, s:s, s:o}", "controller", "name", str_or_null(t->rec.name),
                  "contact", str_or_null(t->rec.contact), "generated_at", now, "entries", entries);
    int failed = !root;
    for (size_t i = 0; root && i < t->n_procedures; i++) {
        json_t *e = procedure_entry(t, &t->procedures[i], keys, n_keys);
        failed |= !e || json_array_append_new(entries, e) != 0;
    }
    if (root) {
        json_t *e = accounts_entry();
        failed |= !e || json_array_append_new(entries, e) != 0;
        e = audit_entry(days);
        failed |= !e || json_array_append_new(entries, e) != 0;
        /* The days each of them is kept, as the retention pass applies them (an agent's
         * audit entries go after the audit log's period, the agent's account stays; an
         * opt-out stays as long as it is wanted: no period; a dropped scan its own, a filed one
         * goes with its request). */
        const int channel_days[] = {days, held_days, -1, BROADCAST_ENDED_KEEP_DAYS, -1, post_days};
        for (size_t i = 0; i < sizeof channel_entries / sizeof channel_entries[0]; i++) {
            e = channel_entry_new(&channel_entries[i], channel_days[i]);
            failed |= !e || json_array_append_new(entries, e) != 0;
        }
    }
    arena_free(&a);
    if (failed) {
        json_decref(root);
        return error_set(err, ERR_INTERNAL, NULL, "out of memory building the register");
    }
    *out = root;
    return 0;
}

/* ---- sentences ---- */

/* strings.ropa.<path> (dotted), or the full key when missing. */
static const char *S(const json_t *strings, const char *path, char *key, size_t key_size)
{
    snprintf(key, key_size, "ropa.%s", path);
    const json_t *node = strings;
    const char *p = key;
    while (node && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char part[64];
        if (n >= sizeof part)
            return key;
        memcpy(part, p, n);
        part[n] = '\0';
        node = json_object_get(node, part);
        p = dot ? dot + 1 : p + n;
    }
    return json_is_string(node) ? json_string_value(node) : key;
}

/* A "{name}" placeholder of a string and its value (NULL: ""). */
typedef struct var {
    const char *name;
    const char *value;
} var;

/* The string at path with each placeholder of vars[0..n) replaced, as a new JSON string. */
static json_t *textv(const json_t *strings, const char *path, const var *vars, size_t n)
{
    char key[160];
    const char *tpl = S(strings, path, key, sizeof key);
    buf b;
    buf_init(&b, 64 * 1024);
    for (const char *q = tpl; *q;) {
        const var *hit = NULL;
        for (size_t i = 0; *q == '{' && i < n && !hit; i++) {
            size_t len = strlen(vars[i].name);
            if (strncmp(q + 1, vars[i].name, len) == 0 && q[1 + len] == '}')
                hit = &vars[i];
        }
        if (hit) {
            buf_puts(&b, hit->value ? hit->value : "");
            q += strlen(hit->name) + 2;
        } else {
            buf_putc(&b, *q++);
        }
    }
    json_t *out = b.failed ? NULL : json_string(buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* textv with at most one placeholder (name NULL: none). */
static json_t *text(const json_t *strings, const char *path, const char *name, const char *value)
{
    var v = {name, value};
    return textv(strings, path, &v, name ? 1 : 0);
}

static const char *member(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* "Taille du trou (choix dans une liste, obligatoire)". */
static json_t *attribute_text(const json_t *strings, const json_t *d)
{
    char type_key[160], req_key[160], path[96];
    snprintf(path, sizeof path, "datatype.%s", member(d, "datatype") ? member(d, "datatype") : "");
    const char *type = S(strings, path, type_key, sizeof type_key);
    int required = json_is_true(json_object_get(d, "required"));
    json_t *label = text(strings, "data.attribute", "label", member(d, "label"));
    if (!label)
        return NULL;
    buf b;
    buf_init(&b, 64 * 1024);
    buf_printf(&b, "%s (%s%s%s)", json_string_value(label), type, required ? ", " : "",
               required ? S(strings, "data.required", req_key, sizeof req_key) : "");
    json_decref(label);
    json_t *out = b.failed ? NULL : json_string(buf_cstr(&b));
    buf_free(&b);
    return out;
}

static json_t *recipient_text(const json_t *strings, const json_t *r)
{
    const char *kind = member(r, "kind") ? member(r, "kind") : "";
    char path[96];
    if (strcmp(kind, "open311") == 0) {
        snprintf(path, sizeof path, "recipients.open311_%s",
                 member(r, "detail") ? member(r, "detail") : "none");
        return text(strings, path, NULL, NULL);
    }
    snprintf(path, sizeof path, "recipients.%s", kind);
    return text(strings, path, "name", member(r, "name"));
}

static json_t *data_text(const json_t *strings, const json_t *d)
{
    const char *cat = member(d, "category") ? member(d, "category") : "";
    if (strcmp(cat, "attribute") == 0)
        return attribute_text(strings, d);
    char path[96];
    snprintf(path, sizeof path, "data.%s", cat);
    return text(strings, path, NULL, NULL);
}

/* labels[i] = f(strings, list[i]) as a new array. */
static json_t *map(const json_t *strings, const json_t *list,
                   json_t *(*f)(const json_t *strings, const json_t *item))
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) json_array_append_new(out, f(strings, v));
    return out;
}

static json_t *code_text(const json_t *strings, const char *section, const json_t *code)
{
    char path[96];
    snprintf(path, sizeof path, "%s.%s", section,
             json_string_value(code) ? json_string_value(code) : "");
    return text(strings, path, NULL, NULL);
}

static json_t *person_text(const json_t *strings, const json_t *c)
{
    return code_text(strings, "persons", c);
}

static json_t *security_text(const json_t *strings, const json_t *c)
{
    return code_text(strings, "security", c);
}

static void label_entry(json_t *e, const json_t *strings)
{
    const char *kind = member(e, "kind") ? member(e, "kind") : "";
    int is_procedure = strcmp(kind, "procedure") == 0;
    char path[96];
    if (!is_procedure) {
        snprintf(path, sizeof path, "entry.%s", kind);
        json_object_set_new(e, "name", text(strings, path, NULL, NULL));
    }
    const char *purpose = member(e, "purpose");
    if (is_procedure) {
        /* The description tells citizens what the procedure is for: the purpose, as they
         * were told it. */
        var vars[] = {{"name", member(e, "name")}, {"description", purpose}};
        json_object_set_new(
            e, "purpose_text",
            textv(strings, purpose && *purpose ? "purpose.procedure" : "purpose.procedure_default",
                  vars, 2));
    } else {
        snprintf(path, sizeof path, "purpose.%s", kind);
        json_object_set_new(e, "purpose_text", text(strings, path, NULL, NULL));
    }
    json_object_set_new(e, "legal_basis_text",
                        code_text(strings, "legal_basis", json_object_get(e, "legal_basis")));
    json_t *persons = map(strings, json_object_get(e, "persons"), person_text);
    if (json_is_true(json_object_get(e, "anonymous_allowed")))
        json_array_append_new(persons, text(strings, "persons.anonymous", NULL, NULL));
    json_object_set_new(e, "persons_text", persons);
    json_object_set_new(e, "data_text", map(strings, json_object_get(e, "data"), data_text));
    json_object_set_new(e, "recipients_text",
                        map(strings, json_object_get(e, "recipients"), recipient_text));
    json_t *days = json_object_get(e, "retention_days");
    json_t *months = json_object_get(e, "retention_months");
    const char *rule = member(e, "retention_rule");
    char n[32];
    if (rule) {
        snprintf(path, sizeof path, "retention.%s", rule);
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(days));
        json_object_set_new(e, "retention_text", text(strings, path, "days", n));
    } else if (json_is_integer(months)) {
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(months));
        json_object_set_new(e, "retention_text",
                            text(strings, "retention.months_after_closure", "months", n));
    } else if (json_is_integer(days)) {
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(days));
        json_object_set_new(e, "retention_text", text(strings, "retention.days", "days", n));
    } else {
        json_object_set_new(e, "retention_text", text(strings, "retention.undefined", NULL, NULL));
    }
    json_object_set_new(e, "transfers_text",
                        text(strings,
                             json_is_true(json_object_get(e, "transfers_outside_eu"))
                                 ? "transfers.some"
                                 : "transfers.none",
                             NULL, NULL));
    json_object_set_new(e, "security_text",
                        map(strings, json_object_get(e, "security"), security_text));
    json_object_set_new(e, "status_text",
                        json_is_false(json_object_get(e, "active"))
                            ? text(strings, "inactive", NULL, NULL)
                            : json_string(""));
}

/* The columns of the register, in order: member of the labelled entry, heading key. */
static const struct {
    const char *member;
    const char *heading;
} columns[] = {
    {"name", "name"},
    {"purpose_text", "purpose"},
    {"legal_basis_text", "legal_basis"},
    {"persons_text", "persons"},
    {"data_text", "data"},
    {"recipients_text", "recipients"},
    {"retention_text", "retention"},
    {"transfers_text", "transfers"},
    {"security_text", "security"},
};
#define N_COLUMNS (sizeof columns / sizeof columns[0])

json_t *ropa_label(const json_t *model, const json_t *strings)
{
    json_t *out = json_deep_copy(model);
    json_t *codes_list = codes(security_codes);
    if (!out || !codes_list) {
        json_decref(out);
        json_decref(codes_list);
        return NULL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(out, "entries"), i, e) label_entry(e, strings);
    json_t *heads = json_object();
    json_t *list = json_array();
    for (size_t k = 0; k < N_COLUMNS; k++) {
        char path[96];
        snprintf(path, sizeof path, "columns.%s", columns[k].heading);
        json_t *h = text(strings, path, NULL, NULL);
        json_object_set(heads, columns[k].heading, h);
        json_array_append_new(list, h);
    }
    /* The security measures are the same for every entry: once for pages that list them
     * once. */
    json_object_set_new(out, "security_text", map(strings, codes_list, security_text));
    json_decref(codes_list);
    json_object_set_new(out, "columns", heads);
    json_object_set_new(out, "column_list", list);
    json_object_set_new(out, "title", text(strings, "title", NULL, NULL));
    return out;
}

/* A member as one cell: a string as is, a list joined with " | ". */
static void csv_cell(buf *out, const json_t *v)
{
    if (!json_is_array(v)) {
        csv_field(out, json_string_value(v), CSV_QUOTE_NEEDED);
        return;
    }
    buf cell;
    buf_init(&cell, out->max);
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (i)
            buf_puts(&cell, " | ");
        buf_puts(&cell, json_string_value(x) ? json_string_value(x) : "");
    }
    if (cell.failed)
        out->failed = 1;
    csv_field(out, buf_cstr(&cell), CSV_QUOTE_NEEDED);
    buf_free(&cell);
}

int ropa_csv(const json_t *labelled, buf *out, error *err)
{
    buf_puts(out, "\xEF\xBB\xBF");
    const json_t *heads = json_object_get(labelled, "columns");
    for (size_t k = 0; k < N_COLUMNS; k++) {
        csv_field(out, member(heads, columns[k].heading), CSV_QUOTE_NEEDED);
        csv_end(out, k + 1 == N_COLUMNS);
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(labelled, "entries"), i, e)
    {
        for (size_t k = 0; k < N_COLUMNS; k++) {
            csv_cell(out, json_object_get(e, columns[k].member));
            csv_end(out, k + 1 == N_COLUMNS);
        }
    }
    if (out->failed)
        return error_set(err, ERR_INTERNAL, NULL, "the register is over its CSV limit");
    return 0;
}
