/*
 * bo_admin_keys — the collectivité's API keys under /agent/admin/cles, for admins: the list,
 * creation (the key is shown once, on the answer to its creation: only its hash is kept) and
 * revocation. Both are core's (apikey_create_as, apikey_revoke_as: the change and its "admin"
 * audit entry in one job); the page waits for them with its connection suspended.
 */
#include <string.h>

#include "core/apikey.h"
#include "util/utf8.h"
#include "web/backoffice/backoffice.h"
#include "web/backoffice/bo_admin_common.h"
#include "web/web.h"

#define TAB "/agent/admin/cles"

static const char *const scopes[] = {"open311", "api", "gateway", NULL};

static void apikeys_render(bo_page *p, int status, const char *scope)
{
    http_req *rq = p->rq;
    store_apikey *keys = NULL;
    size_t n = 0;
    error e;
    if (apikey_list(rq->core, bo_admin_tenant(rq), rq->arena, &keys, &n, &e) != 0) {
        bo_page_fail(p, &e);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(keys[i].id));
        present_set_str(o, "name", keys[i].name);
        present_set_str(o, "scope", keys[i].scope);
        present_set_str(o, "prefix", keys[i].prefix);
        present_set_str(o, "created", bo_admin_when(rq, keys[i].created_at));
        present_set_str(o, "revoked", bo_admin_when(rq, keys[i].revoked_at));
        json_object_set_new(o, "live", json_boolean(keys[i].revoked_at == 0));
        json_array_append_new(list, o);
    }
    bo_page_set(p, "keys", list);
    json_t *sc = json_array();
    for (size_t i = 0; scopes[i]; i++) {
        json_t *o = json_object();
        present_set_str(o, "value", scopes[i]);
        present_set_str(
            o, "label",
            bo_page_str(p, arena_printf(rq->arena, "admin.apikeys.scope_%s", scopes[i])));
        if (scope && strcmp(scope, scopes[i]) == 0)
            json_object_set_new(o, "selected", json_true());
        json_array_append_new(sc, o);
    }
    bo_page_set(p, "scopes", sc);
    bo_page_render(p, status, "agent/admin/apikeys", bo_page_str(p, "admin.apikeys.title"));
}

static void apikeys_get(http_req *rq)
{
    store_agent a;
    bo_page p;
    if (bo_admin_page(rq, &a, &p, TAB) != 0)
        return;
    apikeys_render(&p, 200, "open311");
}

/* The key in clear while its row commits: shown once it is durable, never otherwise. */
typedef struct key_state {
    char key[APIKEY_LEN];
    apikey_scope scope;
} key_state;

static void apikey_check(bo_page *p, bo_admin_write *st)
{
    key_state *ks = st->page;
    const char *name = bo_admin_field(&st->f, "name");
    if (!*name || strlen(name) > 100 || utf8_has_control(name, strlen(name)))
        bo_page_error_key(p, "name", "admin.apikeys.error_name");
    if (apikey_scope_parse(bo_admin_field(&st->f, "scope"), &ks->scope) != 0)
        bo_page_error_key(p, "scope", "admin.apikeys.error_scope");
}

static int create_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    key_state *ks = st->page;
    return apikey_create_as(rq->core, &st->who, bo_admin_tenant(rq), bo_admin_field(&st->f, "name"),
                            ks->scope, ks->key, &st->id, http_wait_done, w, e);
}

static int invalid(const error *e)
{
    return e->code == ERR_INVALID_ARG;
}

/* The key created, or the form again with its errors. */
static void apikey_render(bo_page *p, bo_admin_write *st, const http_wait *w)
{
    key_state *ks = st->page;
    const char *name = bo_admin_field(&st->f, "name");
    if (!w || w->rc != 0) {
        if (w)
            bo_page_error_key(p, "name", "admin.apikeys.error_name");
        bo_page_value(p, "name", name);
        apikeys_render(p, 400, bo_admin_field(&st->f, "scope"));
        return;
    }
    /* Shown once, on this answer only: only its hash is stored. */
    json_t *created = json_object();
    present_set_str(created, "key", ks->key);
    present_set_str(created, "name", name);
    bo_page_set(p, "created_key", created);
    apikeys_render(p, 200, "open311");
}

static const bo_admin_cycle create_cycle = {.tab = TAB,
                                            .page_size = sizeof(key_state),
                                            .check = apikey_check,
                                            .apply = create_apply,
                                            .refused = invalid,
                                            .render = apikey_render};

static void apikeys_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &create_cycle);
}

static int revoke_apply(bo_page *p, bo_admin_write *st, http_wait *w, error *e)
{
    http_req *rq = p->rq;
    return apikey_revoke_as(rq->core, &st->who, bo_admin_tenant(rq), st->id, http_wait_done, w, e);
}

static const bo_admin_cycle revoke_cycle = {
    .tab = TAB, .done = "key_revoked", .takes_id = 1, .apply = revoke_apply};

static void apikey_revoke_post(http_req *rq)
{
    bo_admin_cycle_run(rq, &revoke_cycle);
}

const http_route bo_admin_key_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, apikeys_get},
    {HTTP_POST, TAB, apikeys_post},
    {HTTP_POST, TAB "/{}/revoquer", apikey_revoke_post},
    {0, NULL, NULL},
};
