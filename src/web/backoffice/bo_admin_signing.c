/*
 * bo_admin_signing — /agent/admin/signatures, for admins: each élu's signing key (a PKCS#12
 * file uploaded, or a PKCS#11 token of the server named by its labels), opened once with the
 * élu's PIN to check it and read its certificate (subject, issuer, validity, shown here),
 * the PIN never kept; how the élus sign (the PAdES level, the TSA, the visible box); and the
 * délégations de signature («X signe pour Y du … au …»). All
 * are core's writes (core/parapheur.h) with their audit entries, through the
 * administration's form cycle.
 */
#include <sodium.h>
#include <string.h>

#include "core/agent.h"
#include "core/parapheur.h"
#include "core/perm.h"
#include "util/timeutil.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/signatures"

/* The élus (and admins: they may sign) to choose from; selected: the one chosen. */
static json_t *signers_json(const store_agent *agents, size_t n, const char *selected)
{
    json_t *list = json_array();
    int64_t sel = bo_admin_id(selected);
    for (size_t i = 0; i < n; i++) {
        if (!agents[i].active || !perm_can_sign(&agents[i]))
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(agents[i].id));
        present_set_str(o, "name", agents[i].name);
        if (sel == agents[i].id)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(list, o);
    }
    return list;
}

static void signing_render(bo_page *p, int status, const form *f)
{
    http_req *rq = p->rq;
    error e;
    store_sign_key *keys = NULL;
    size_t n = 0;
    store_agent *agents = NULL;
    size_t n_agents = 0;
    store_sign_delegation *ds = NULL;
    size_t n_ds = 0;
    if (parapheur_keys(rq->core, bo_admin_tenant(rq), rq->arena, &keys, &n, &e) != 0 ||
        agent_list(rq->core, bo_admin_tenant(rq), rq->arena, &agents, &n_agents, &e) != 0 ||
        parapheur_delegations(rq->core, rq->host_tenant, rq->arena, &ds, &n_ds, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    int64_t now = time_now();
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        present_set_str(o, "name", keys[i].agent_name);
        present_set_str(o, "kind",
                        bo_page_str(p, strcmp(keys[i].kind, "p12") == 0
                                           ? "parapheur.admin_kind_p12"
                                           : "parapheur.admin_kind_pkcs11"));
        present_set_str(o, "quality", keys[i].quality);
        present_set_str(o, "subject", keys[i].subject);
        present_set_str(o, "issuer", keys[i].issuer);
        present_set_str(o, "from", bo_admin_when(rq, keys[i].not_before));
        present_set_str(o, "to", bo_admin_when(rq, keys[i].not_after));
        json_object_set_new(o, "expired", json_boolean(keys[i].not_after < now));
        json_object_set_new(o, "locked", json_boolean(keys[i].locked_until > now));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "keys", list);
    json_t *dl = json_array();
    for (size_t i = 0; i < n_ds; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(ds[i].id));
        present_set_str(o, "delegate", ds[i].delegate_name);
        present_set_str(o, "principal", ds[i].principal_name);
        present_set_str(o, "from", ds[i].starts_on);
        present_set_str(o, "to", ds[i].ends_on);
        json_array_append_new(dl, o);
    }
    bo_page_set(p, "delegations", dl);
    bo_page_set(p, "elus", signers_json(agents, n_agents, f ? form_get(f, "agent") : NULL));
    bo_page_set(p, "delegates", signers_json(agents, n_agents, f ? form_get(f, "delegate") : NULL));
    bo_page_set(p, "principals",
                signers_json(agents, n_agents, f ? form_get(f, "principal") : NULL));
    int days = PARAPHEUR_REMIND_DAYS;
    if (parapheur_remind_days(rq->core, bo_admin_tenant(rq), &days, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    const char *typed = f ? form_get(f, "remind_days") : NULL;
    present_set_str(p->ctx, "remind_days", typed ? typed : arena_printf(rq->arena, "%d", days));
    /* The signatures' settings, as saved or as just typed. */
    store_sign_settings how;
    if (parapheur_signing(rq->core, bo_admin_tenant(rq), rq->arena, &how, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    const char *level = f && form_get(f, "level") ? form_get(f, "level") : how.level;
    json_t *levels = json_array();
    static const char *const codes[] = {"B-B", "B-T", "B-LT"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        json_t *o = json_object();
        present_set_str(o, "code", codes[i]);
        present_set_str(o, "id", arena_printf(rq->arena, "level-%zu", i));
        present_set_str(o, "label",
                        bo_page_str(p, arena_printf(rq->arena, "parapheur.admin_level_%s",
                                                    i == 0   ? "bb"
                                                    : i == 1 ? "bt"
                                                             : "blt")));
        json_object_set_new(o, "checked", json_boolean(strcmp(level, codes[i]) == 0));
        json_array_append_new(levels, o);
    }
    bo_page_set(p, "levels", levels);
    present_set_str(p->ctx, "tsa_url",
                    f ? form_get(f, "tsa_url") : (how.tsa_url ? how.tsa_url : NULL));
    json_object_set_new(
        p->ctx, "sign_visible",
        json_boolean(f && form_get(f, "level") ? bo_admin_checked(f, "visible") : how.visible));
    const char *kind = f ? form_get(f, "kind") : NULL;
    json_object_set_new(p->ctx, "kind_pkcs11", json_boolean(kind && strcmp(kind, "pkcs11") == 0));
    json_object_set_new(p->ctx, "has_pkcs11", json_boolean(parapheur_pkcs11_module() != NULL));
    if (f) {
        static const char *const keep[] = {"quality", "token", "key", "starts_on", "ends_on"};
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            bo_page_value(p, keep[i], form_get(f, keep[i]));
    }
    bo_page_render(p, status, "agent/admin/signing", bo_page_str(p, "parapheur.admin_title"));
}

static void signing_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    signing_render(&p, 200, NULL);
}

static void pin_wipe(form *f)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->fields[i].name, "pin") == 0)
            sodium_memzero((char *)f->fields[i].value, f->fields[i].value_len);
}

static int key_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    const http_file *file = NULL;
    for (size_t i = 0; i < st->n_files && !file; i++)
        if (strcmp(st->files[i].field, "p12") == 0 && st->files[i].len > 0)
            file = &st->files[i];
    parapheur_key_in in = {.agent_id = bo_admin_id(bo_admin_field(&st->f, "agent")),
                           .quality = bo_admin_field(&st->f, "quality"),
                           .kind = bo_admin_field(&st->f, "kind"),
                           .p12 = file && file->refused != HTTP_FILE_TOO_LARGE ? file->data : NULL,
                           .p12_len = file ? file->len : 0,
                           .token = bo_admin_field(&st->f, "token"),
                           .key = bo_admin_field(&st->f, "key"),
                           .pin = bo_admin_field(&st->f, "pin")};
    /* The PIN is read on this thread only: the key is opened before the call returns. */
    int rc = parapheur_key_set(rq->core, rq->host_tenant, &st->who, &in, http_wait_done, w, e);
    pin_wipe(&st->f);
    return rc;
}

static int invalid(const error *e)
{
    return e->code == ERR_INVALID_ARG;
}

static void key_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    pin_wipe(&st->f);
    if (w && w->rc != 0) {
        static const char *const fields[] = {"agent", "quality",       "kind", "p12", "token",
                                             "key",   "pkcs11-module", "pin",  NULL};
        const char *field = bo_admin_error_field(&w->err, fields, "p12");
        if (strcmp(field, "pkcs11-module") == 0)
            field = "kind";
        bo_page_error_key(p, field, arena_printf(p->rq->arena, "parapheur.admin_error_%s", field));
    }
    signing_render(p, 400, &st->f);
}

static const bo_admin_cycle key_cycle = {.tab = TAB,
                                         .done = "signing_key",
                                         .takes_files = 1,
                                         .apply = key_apply,
                                         .refused = invalid,
                                         .render = key_render};

static void key_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &key_cycle);
}

static int delegation_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    parapheur_delegation_in in = {.delegate_id = bo_admin_id(bo_admin_field(&st->f, "delegate")),
                                  .principal_id = bo_admin_id(bo_admin_field(&st->f, "principal")),
                                  .starts_on = bo_admin_field(&st->f, "starts_on"),
                                  .ends_on = bo_admin_field(&st->f, "ends_on")};
    return parapheur_delegation_add(rq->core, rq->host_tenant, &st->who, &in, http_wait_done, w, e);
}

static void delegation_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    if (w && w->rc != 0) {
        static const char *const fields[] = {"delegate", "principal", "starts_on", "ends_on", NULL};
        const char *field = bo_admin_error_field(&w->err, fields, "delegate");
        bo_page_error_key(p, field, arena_printf(p->rq->arena, "parapheur.error_%s", field));
    }
    signing_render(p, 400, &st->f);
}

static const bo_admin_cycle delegation_cycle = {.tab = TAB,
                                                .done = "signing_delegation",
                                                .apply = delegation_apply,
                                                .refused = invalid,
                                                .render = delegation_render};

static void delegation_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &delegation_cycle);
}

static int delegation_delete_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return parapheur_delegation_delete(rq->core, rq->host_tenant, &st->who, st->id, http_wait_done,
                                       w, e);
}

static const bo_admin_cycle delegation_delete_cycle = {.tab = TAB,
                                                       .done = "signing_delegation_deleted",
                                                       .takes_id = 1,
                                                       .apply = delegation_delete_apply};

static void delegation_delete_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &delegation_delete_cycle);
}

/* The days typed: 1 to PARAPHEUR_REMIND_DAYS_MAX digits' worth, else 0 (core refuses it). */
static int days_of(const char *s)
{
    int64_t v = bo_admin_id(s);
    return v > 0 && v <= PARAPHEUR_REMIND_DAYS_MAX ? (int)v : 0;
}

static int remind_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return parapheur_remind_days_set(rq->core, rq->host_tenant, &st->who,
                                     days_of(bo_admin_field(&st->f, "remind_days")), http_wait_done,
                                     w, e);
}

static void remind_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    if (w && w->rc != 0)
        bo_page_error_key(p, "remind_days", "parapheur.admin_error_remind_days");
    signing_render(p, 400, &st->f);
}

static const bo_admin_cycle remind_cycle = {.tab = TAB,
                                            .done = "signing_remind",
                                            .apply = remind_apply,
                                            .refused = invalid,
                                            .render = remind_render};

static void remind_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &remind_cycle);
}

static int level_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    store_sign_settings in = {.level = bo_admin_field(&st->f, "level"),
                              .tsa_url = bo_admin_field(&st->f, "tsa_url"),
                              .visible = bo_admin_checked(&st->f, "visible")};
    return parapheur_signing_set(rq->core, rq->host_tenant, &st->who, &in, http_wait_done, w, e);
}

static void level_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    if (w && w->rc != 0) {
        static const char *const fields[] = {"level", "tsa_url", NULL};
        const char *field = bo_admin_error_field(&w->err, fields, "level");
        bo_page_error_key(p, field, arena_printf(p->rq->arena, "parapheur.admin_error_%s", field));
    }
    signing_render(p, 400, &st->f);
}

static const bo_admin_cycle level_cycle = {.tab = TAB,
                                           .done = "signing_level",
                                           .apply = level_apply,
                                           .refused = invalid,
                                           .render = level_render};

static void level_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &level_cycle);
}

const http_route bo_admin_signing_routes[] = {
    {HTTP_POST, TAB "/relance", remind_post},
    {HTTP_POST, TAB "/niveau", level_post},
    {HTTP_GET | HTTP_HEAD, TAB, signing_get},
    {HTTP_POST | HTTP_ROUTE_FILES, TAB, key_post},
    {HTTP_POST, TAB "/delegations", delegation_post},
    {HTTP_POST, TAB "/delegations/{}/supprimer", delegation_delete_post},
    {0, NULL, NULL},
};
