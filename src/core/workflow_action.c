/*
 * workflow_action — the kinds of the actions on entering a status, the check of their
 * parameters, and the placeholders of a notification's own text.
 */
#include "core/workflow_action.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "core/webhook.h"
#include "util/buf.h"
#include "util/utf8.h"

static const char *const kind_names[] = {
    [WORKFLOW_ACTION_NOTIFY_CITIZEN] = "notify_citizen",
    [WORKFLOW_ACTION_NOTIFY_DEPARTMENT] = "notify_department",
    [WORKFLOW_ACTION_ASSIGN_BY_RULE] = "assign_by_rule",
    [WORKFLOW_ACTION_SET_DUE_DATE] = "set_due_date",
    [WORKFLOW_ACTION_ASK_CITIZEN] = "ask_citizen",
    [WORKFLOW_ACTION_WEBHOOK] = "webhook",
    [WORKFLOW_ACTION_GENERATE_DOCUMENT] = "generate_document",
    [WORKFLOW_ACTION_SEND_FOR_SIGNATURE] = "send_for_signature",
};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

/* The keys params may hold, per kind, space-separated. */
static const char *const kind_keys[] = {
    [WORKFLOW_ACTION_NOTIFY_CITIZEN] = "text text_en",
    [WORKFLOW_ACTION_NOTIFY_DEPARTMENT] = "",
    [WORKFLOW_ACTION_ASSIGN_BY_RULE] = "",
    [WORKFLOW_ACTION_SET_DUE_DATE] = "days working",
    [WORKFLOW_ACTION_ASK_CITIZEN] = "return_to",
    [WORKFLOW_ACTION_WEBHOOK] = "url",
    [WORKFLOW_ACTION_GENERATE_DOCUMENT] = "template citizen_visible silence_only",
    [WORKFLOW_ACTION_SEND_FOR_SIGNATURE] = "elus",
};

/* The placeholders a notification's text may hold, with what replaces them. */
static const char *const placeholders[] = {"reference", "statut", "procedure", "lien"};
#define N_PLACEHOLDERS (sizeof placeholders / sizeof placeholders[0])

const char *workflow_action_kind_name(workflow_action_kind k)
{
    return (size_t)k < N_KINDS ? kind_names[k] : "";
}

int workflow_action_kind_parse(const char *name, workflow_action_kind *out)
{
    for (size_t i = 0; name && i < N_KINDS; i++)
        if (strcmp(kind_names[i], name) == 0) {
            *out = (workflow_action_kind)i;
            return 0;
        }
    return -1;
}

static int key_allowed(workflow_action_kind k, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = kind_keys[k]; *p;) {
        size_t l = strcspn(p, " ");
        if (l == n && strncmp(p, key, n) == 0)
            return 1;
        p += l;
        while (*p == ' ')
            p++;
    }
    return 0;
}

/* The placeholder {name} starting at p ('{'): its index, its length with the braces in *len;
 * -1 when it is none of ours. */
static int placeholder_at(const char *p, size_t *len)
{
    const char *close = strchr(p, '}');
    if (!close)
        return -1;
    size_t n = (size_t)(close - p - 1);
    for (size_t i = 0; i < N_PLACEHOLDERS; i++)
        if (strlen(placeholders[i]) == n && strncmp(p + 1, placeholders[i], n) == 0) {
            *len = n + 2;
            return (int)i;
        }
    return -1;
}

/* A notification's own text: -1 with err naming key when it breaks a rule. */
static int check_text(arena *a, json_t *v, const char *key, const char **out, error *err)
{
    if (!json_is_string(v))
        return error_set(err, ERR_INVALID_ARG, key, "must be a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!len || strlen(s) != len || !utf8_valid(s, len))
        return error_set(err, ERR_INVALID_ARG, key, "must be non-empty valid UTF-8");
    if (utf8_length(s, len) > WORKFLOW_ACTION_TEXT_MAX)
        return error_set(err, ERR_INVALID_ARG, key, "is longer than %d characters",
                         WORKFLOW_ACTION_TEXT_MAX);
    if (utf8_has_control(s, len))
        return error_set(err, ERR_INVALID_ARG, key, "contains control characters");
    for (const char *p = strchr(s, '{'); p; p = strchr(p + 1, '{')) {
        size_t n;
        if (placeholder_at(p, &n) < 0) {
            /* Named as written, up to its closing brace (or a few characters when it has
             * none), not the rest of the text. */
            const char *close = strchr(p, '}');
            int shown = close && close - p < 30 ? (int)(close - p + 1) : 12;
            return error_set(err, ERR_INVALID_ARG, key,
                             "has an unknown placeholder %.*s (known: {reference}, {statut}, "
                             "{procedure}, {lien})",
                             shown, p);
        }
    }
    *out = arena_strdup(a, s);
    return *out ? 0 : error_set(err, ERR_INTERNAL, NULL, "out of memory");
}

/* The rules of an action of kind on status st that depend on the rest of wf, which an editor
 * may change after the action was checked: the status seen by citizens (notify_citizen,
 * ask_citizen), and ask_citizen's return_to another status of wf, still open (its code, in
 * wf, into *return_out when not NULL). */
static int check_place(const cat_workflow *wf, const store_workflow_status *st,
                       workflow_action_kind kind, const char *return_to, const char **return_out,
                       error *err)
{
    if (kind == WORKFLOW_ACTION_NOTIFY_CITIZEN && !st->citizen_visible)
        return error_set(err, ERR_INVALID_ARG, "status",
                         "status %s is hidden from citizens: nothing to tell them", st->code);
    if (kind != WORKFLOW_ACTION_ASK_CITIZEN)
        return 0;
    if (!st->citizen_visible)
        return error_set(err, ERR_INVALID_ARG, "status",
                         "status %s is hidden from citizens, who could not answer", st->code);
    const store_workflow_status *to = return_to ? workflow_status(wf, return_to) : NULL;
    if (!to)
        return error_set(err, ERR_INVALID_ARG, "return_to", "must name a status of %s",
                         wf->rec.code ? wf->rec.code : "the workflow");
    if (to == st || to->open311_closed)
        return error_set(err, ERR_INVALID_ARG, "return_to",
                         "must be another status, still open (not %s)", to->code);
    if (return_out)
        *return_out = to->code;
    return 0;
}

/* send_for_signature's "elus": 1 to WORKFLOW_ACTION_SIGNERS_MAX distinct e-mail addresses
 * (an '@', no blank, comma or control character, at most 254 bytes), kept comma-separated. */
static int check_signers(arena *a, json_t *v, const char **out, error *err)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || n == 0 || n > WORKFLOW_ACTION_SIGNERS_MAX)
        return error_set(err, ERR_INVALID_ARG, "elus", "must list 1 to %d élus' e-mail addresses",
                         WORKFLOW_ACTION_SIGNERS_MAX);
    buf b;
    buf_init(&b, WORKFLOW_ACTION_SIGNERS_MAX * 256);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *s = json_string_value(json_array_get(v, i));
        size_t len = s ? strlen(s) : 0;
        int ok = len > 2 && len <= 254 && strchr(s, '@') && utf8_valid(s, len);
        for (size_t k = 0; ok && k < len; k++)
            ok = (unsigned char)s[k] > 0x20 && s[k] != ',' && s[k] != 0x7f;
        for (size_t k = 0; ok && k < i; k++)
            ok = strcasecmp(json_string_value(json_array_get(v, k)), s) != 0;
        if (!ok)
            rc = error_set(err, ERR_INVALID_ARG, "elus",
                           "must list distinct e-mail addresses of élus");
        else if (buf_printf(&b, "%s%s", i ? "," : "", s) != 0)
            rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    if (rc == 0 && !(*out = arena_strdup(a, buf_cstr(&b))))
        rc = error_set(err, ERR_INTERNAL, NULL, "out of memory");
    buf_free(&b);
    return rc;
}

static int check_params(arena *a, const cat_workflow *wf, const store_workflow_status *st,
                        json_t *params, cat_action *out, error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v)
    {
        if (!key_allowed(out->kind, key))
            return error_set(err, ERR_INVALID_ARG, "params", "%s takes no parameter %.40s",
                             kind_names[out->kind], key);
    }
    switch (out->kind) {
    case WORKFLOW_ACTION_NOTIFY_CITIZEN:
        if (check_place(wf, st, out->kind, NULL, NULL, err) != 0)
            return -1;
        if ((v = json_object_get(params, "text")) && check_text(a, v, "text", &out->text, err))
            return -1;
        if ((v = json_object_get(params, "text_en"))) {
            if (!out->text)
                return error_set(err, ERR_INVALID_ARG, "text_en", "goes with a French text");
            if (check_text(a, v, "text_en", &out->text_en, err) != 0)
                return -1;
        }
        return 0;
    case WORKFLOW_ACTION_SET_DUE_DATE:
        v = json_object_get(params, "days");
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > WORKFLOW_ACTION_DAYS_MAX)
            return error_set(err, ERR_INVALID_ARG, "days", "must be a whole number from 1 to %d",
                             WORKFLOW_ACTION_DAYS_MAX);
        out->days = (int)json_integer_value(v);
        v = json_object_get(params, "working");
        if (v && !json_is_boolean(v))
            return error_set(err, ERR_INVALID_ARG, "working", "must be true or false");
        out->working = json_is_true(v);
        return 0;
    case WORKFLOW_ACTION_ASK_CITIZEN:
        v = json_object_get(params, "return_to");
        return check_place(wf, st, out->kind, json_is_string(v) ? json_string_value(v) : NULL,
                           &out->return_to, err);
    case WORKFLOW_ACTION_WEBHOOK:
        v = json_object_get(params, "url");
        if (!json_is_string(v))
            return error_set(err, ERR_INVALID_ARG, "url", "is required");
        /* Loopback targets are a server's setting: the delivery checks them again. */
        if (webhook_url_check(json_string_value(v), 1, err) != 0)
            return -1;
        out->url = arena_strdup(a, json_string_value(v));
        return out->url ? 0 : error_set(err, ERR_INTERNAL, NULL, "out of memory");
    case WORKFLOW_ACTION_GENERATE_DOCUMENT: {
        v = json_object_get(params, "template");
        size_t len = json_string_length(v);
        if (!json_is_string(v) || !len || len > WORKFLOW_ACTION_TEMPLATE_MAX ||
            strlen(json_string_value(v)) != len || !utf8_valid(json_string_value(v), len) ||
            utf8_has_control(json_string_value(v), len))
            return error_set(err, ERR_INVALID_ARG, "template",
                             "must name a letter template (1 to %d bytes of text)",
                             WORKFLOW_ACTION_TEMPLATE_MAX);
        json_t *vis = json_object_get(params, "citizen_visible");
        json_t *sil = json_object_get(params, "silence_only");
        if ((vis && !json_is_boolean(vis)) || (sil && !json_is_boolean(sil)))
            return error_set(err, ERR_INVALID_ARG,
                             vis && !json_is_boolean(vis) ? "citizen_visible" : "silence_only",
                             "must be true or false");
        /* Shown to the citizen unless said otherwise: what a workflow generates is mostly
         * for them (an attestation, a decision). */
        out->citizen_visible = !vis || json_is_true(vis);
        out->silence_only = json_is_true(sil);
        out->tpl = arena_strdup(a, json_string_value(v));
        return out->tpl ? 0 : error_set(err, ERR_INTERNAL, NULL, "out of memory");
    }
    case WORKFLOW_ACTION_SEND_FOR_SIGNATURE:
        return check_signers(a, json_object_get(params, "elus"), &out->signers, err);
    case WORKFLOW_ACTION_NOTIFY_DEPARTMENT:
    case WORKFLOW_ACTION_ASSIGN_BY_RULE:
        return 0;
    }
    return error_set(err, ERR_INVALID_ARG, "kind", "unknown kind");
}

int workflow_action_check(arena *a, const cat_workflow *wf, const store_workflow_action *in,
                          cat_action *out, error *err)
{
    memset(out, 0, sizeof *out);
    if (workflow_action_kind_parse(in->kind, &out->kind) != 0)
        return error_set(err, ERR_INVALID_ARG, "kind", "unknown action %.40s",
                         in->kind ? in->kind : "");
    const store_workflow_status *st = workflow_status(wf, in->status_code);
    if (!st)
        return error_set(err, ERR_INVALID_ARG, "status", "unknown status %.40s",
                         in->status_code ? in->status_code : "");
    out->status = st->code;
    out->position = in->position;
    json_error_t jerr;
    json_t *params =
        json_loads(in->params && *in->params ? in->params : "{}", JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(params)) {
        json_decref(params);
        return error_set(err, ERR_INVALID_ARG, "params", "must be a JSON object");
    }
    int rc = check_params(a, wf, st, params, out, err);
    json_decref(params);
    return rc;
}

int workflow_action_holds(const cat_workflow *wf, const cat_action *act, error *err)
{
    const store_workflow_status *st = workflow_status(wf, act->status);
    if (!st)
        return error_set(err, ERR_INVALID_ARG, "status", "unknown status %.40s",
                         act->status ? act->status : "");
    return check_place(wf, st, act->kind, act->return_to, NULL, err);
}

json_t *workflow_action_params_json(const cat_action *a)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int rc = 0;
    switch (a->kind) {
    case WORKFLOW_ACTION_NOTIFY_CITIZEN:
        if (a->text)
            rc |= json_object_set_new(o, "text", json_string(a->text));
        if (a->text_en)
            rc |= json_object_set_new(o, "text_en", json_string(a->text_en));
        break;
    case WORKFLOW_ACTION_SET_DUE_DATE:
        rc |= json_object_set_new(o, "days", json_integer(a->days));
        rc |= json_object_set_new(o, "working", json_boolean(a->working));
        break;
    case WORKFLOW_ACTION_ASK_CITIZEN:
        rc |= json_object_set_new(o, "return_to", json_string(a->return_to ? a->return_to : ""));
        break;
    case WORKFLOW_ACTION_WEBHOOK:
        rc |= json_object_set_new(o, "url", json_string(a->url ? a->url : ""));
        break;
    case WORKFLOW_ACTION_GENERATE_DOCUMENT:
        rc |= json_object_set_new(o, "template", json_string(a->tpl ? a->tpl : ""));
        rc |= json_object_set_new(o, "citizen_visible", json_boolean(a->citizen_visible));
        rc |= json_object_set_new(o, "silence_only", json_boolean(a->silence_only));
        break;
    case WORKFLOW_ACTION_SEND_FOR_SIGNATURE: {
        /* Back to the array, one address per member, as written. */
        json_t *list = json_array();
        for (const char *s = a->signers ? a->signers : ""; list && *s;) {
            size_t len = strcspn(s, ",");
            while (len && (*s == ' '))
                s++, len--;
            if (len)
                rc |= json_array_append_new(list, json_stringn(s, len));
            s += len;
            if (*s == ',')
                s++;
        }
        rc |= json_object_set_new(o, "elus", list ? list : json_null());
        break;
    }
    default:
        break;
    }
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

const char *workflow_action_text(arena *a, const char *text, const char *reference,
                                 const char *status, const char *procedure, const char *link)
{
    const char *values[N_PLACEHOLDERS] = {reference, status, procedure, link};
    buf b;
    buf_init(&b, 65536); /* the text's 2,000 characters and four short values fit */
    int rc = 0;
    for (const char *p = text ? text : ""; *p && rc == 0;) {
        size_t n = strcspn(p, "{");
        rc = buf_append(&b, p, n);
        p += n;
        if (!*p || rc != 0)
            break;
        size_t len;
        int k = placeholder_at(p, &len);
        if (k < 0) {
            rc = buf_putc(&b, '{');
            p++;
        } else {
            rc = buf_puts(&b, values[k] ? values[k] : "");
            p += len;
        }
    }
    const char *out = rc == 0 ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_free(&b);
    return out;
}
