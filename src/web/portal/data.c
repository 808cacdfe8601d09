/*
 * portal/data — «Mes données personnelles»: a logged-in citizen downloads one archive with
 * their account, their requests and their attachments (RGPD art. 15 and 20; the archive is
 * core/export's). The page says what the archive holds; the download is a POST with the CSRF
 * token (it costs the server a walk over every request and file), limited per account.
 */
#include <stdio.h>

#include "core/export.h"
#include "util/log.h"
#include "web/portal/portal.h"
#include "web/web.h"

#define PATH "/compte/donnees"
/* Downloads per account: five an hour, with room for a second try right away. */
#define RATE_EXPORT (5.0 / 3600), 5

static void data_get(http_req *rq)
{
    store_account acc;
    if (portal_require_login(rq, &acc, PATH) != 0)
        return;
    json_t *ctx = web_context(rq);
    if (!ctx) {
        error e;
        error_set(&e, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &e);
        return;
    }
    json_object_set_new(ctx, "title",
                        json_string(present_string(rq->present, rq->lang, "rgpd.data.title")));
    json_object_set_new(ctx, "verified", json_boolean(acc.email_verified_at != 0));
    web_render(rq, 200, "account/data", ctx);
}

static void data_post(http_req *rq)
{
    form f;
    error err;
    error_clear(&err);
    if (http_form_body(rq, &f, &err) != 0) {
        web_write_error(rq, &err);
        return;
    }
    if (web_check_csrf(rq, &f) != 0)
        return;
    store_account acc;
    if (portal_require_login(rq, &acc, PATH) != 0)
        return;
    const cat_tenant *t = web_tenant(rq);
    if (web_limit_id(rq, "export", acc.id, RATE_EXPORT) != 0)
        return;
    export_plan *plan = NULL;
    if (export_plan_citizen(rq->core, t->rec.id, &acc, &plan, &err) != 0) {
        web_write_error(rq, &err);
        return;
    }
    size_t n = 0;
    export_plan_requests(plan, &n);
    log_info("export: account %lld downloads its data (%zu requests)", (long long)acc.id, n);
    web_send_export(rq, t, plan);
}

const http_route portal_data_routes[] = {
    {HTTP_GET | HTTP_HEAD, PATH, data_get},
    {HTTP_POST, PATH, data_post},
    {0, NULL, NULL},
};
