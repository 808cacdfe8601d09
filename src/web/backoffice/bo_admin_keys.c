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
} key_state;

static void apikey_created(http_req *rq)
{
    bo_admin_write *st = bo_admin_write_of(rq);
    key_state *ks = st->page;
    const http_wait *w = http_wait_result(rq);
    bo_page p;
    if (bo_page_start(&p, rq, &st->agent) != 0)
        return;
    bo_admin_tabs(&p, TAB);
    const char *name = bo_admin_field(&st->f, "name");
    if (w->rc != 0) {
        if (w->err.code != ERR_INVALID_ARG) {
            bo_page_fail(&p, &w->err);
            return;
        }
        bo_page_error_key(&p, "name", "admin.apikeys.error_name");
        bo_page_value(&p, "name", name);
        apikeys_render(&p, 400, bo_admin_field(&st->f, "scope"));
        return;
    }
    /* Shown once, on this answer only: only its hash is stored. */
    json_t *created = json_object();
    present_set_str(created, "key", ks->key);
    present_set_str(created, "name", name);
    bo_page_set(&p, "created_key", created);
    apikeys_render(&p, 200, "open311");
}

static void apikeys_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    const char *name = bo_admin_field(&f, "name"), *scope_s = bo_admin_field(&f, "scope");
    apikey_scope scope;
    int bad_name = !*name || strlen(name) > 100 || utf8_has_control(name, strlen(name));
    int bad_scope = apikey_scope_parse(scope_s, &scope) != 0;
    if (bad_name || bad_scope) {
        bo_page p;
        if (bo_page_start(&p, rq, &a) != 0)
            return;
        bo_admin_tabs(&p, TAB);
        if (bad_name)
            bo_page_error_key(&p, "name", "admin.apikeys.error_name");
        if (bad_scope)
            bo_page_error_key(&p, "scope", "admin.apikeys.error_scope");
        bo_page_value(&p, "name", name);
        apikeys_render(&p, 400, scope_s);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, sizeof(key_state));
    if (!st)
        return;
    key_state *ks = st->page;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, apikey_created);
    int rc = apikey_create_as(rq->core, &st->who, bo_admin_tenant(rq), name, scope, ks->key,
                              &st->id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

static void apikey_revoked(http_req *rq)
{
    const http_wait *w = http_wait_result(rq);
    if (w->rc == 0) {
        bo_admin_done(rq, TAB, "key_revoked");
        return;
    }
    if (w->err.code == ERR_NOT_FOUND)
        bo_not_found(rq);
    else
        web_write_error(rq, &w->err);
}

static void apikey_revoke_post(http_req *rq)
{
    store_agent a;
    form f;
    if (bo_admin_form(rq, &a, &f) != 0)
        return;
    int64_t id = bo_admin_id(rq->params[0]);
    if (!id) {
        bo_not_found(rq);
        return;
    }
    bo_admin_write *st = bo_admin_write_new(rq, &a, &f, 0);
    if (!st)
        return;
    error e;
    error_clear(&e);
    http_wait *w = http_wait_begin(rq, apikey_revoked);
    int rc = apikey_revoke_as(rq->core, &st->who, bo_admin_tenant(rq), id, http_wait_done, w, &e);
    http_wait_started(w, rc, &e);
}

const http_route bo_admin_key_routes[] = {
    {HTTP_GET | HTTP_HEAD, TAB, apikeys_get},
    {HTTP_POST, TAB, apikeys_post},
    {HTTP_POST, TAB "/{}/revoquer", apikey_revoke_post},
    {0, NULL, NULL},
};
