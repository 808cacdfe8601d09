/*
 * web_agent — the agent of a request, from the agent session cookie. The back office asks it
 * on every page; the portal's attachments ask it too, since agents preview citizens' files
 * there. It lives in the shared web layer so that neither entrance includes the other.
 */
#include "core/agent_session.h"
#include "util/log.h"
#include "web/web.h"

int web_agent(http_req *rq, store_agent *out, int *had_cookie)
{
    *had_cookie = 0;
    if (!rq->host_tenant)
        return 0;
    const char *token = http_cookie(rq, WEB_AGENT_COOKIE);
    if (!token || !*token)
        return 0;
    *had_cookie = 1;
    store_session se;
    error e;
    if (agent_session_lookup(rq->core, rq->host_tenant->rec.id, token, rq->arena, &se, out, &e) !=
        0) {
        if (e.code != ERR_UNAUTHORIZED)
            log_warn("agent session lookup failed: %s", e.detail);
        return 0;
    }
    return 1;
}
