/*
 * bo_pilotage — what the pages under /agent/pilotage share (bo_pilotage.c, the dashboards;
 * bo_pilotage_map.c, the incidents map): the filters of a view read from the URL and checked,
 * with the agent's rights, rate limit and scope, so that every page of pilotage shows the
 * same requests for the same URL.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_PILOTAGE_H
#define GUICHET_WEB_BACKOFFICE_BO_PILOTAGE_H

#include <stdint.h>

#include "core/catalogue.h"
#include "http/http.h"
#include "store/records.h"
#include "util/buf.h"
#include "web/backoffice/bo_common.h"

/* The filters as asked and understood. */
typedef struct bo_pilotage_view {
    int64_t day_from, day_to;       /* local days, inclusive */
    const struct granularity *gran; /* the dashboards' time buckets */
    store_request_filter f;
    int64_t area; /* the quartier (0: in none), or STATS_AREA_ANY */
    int64_t now;  /* the instant «overdue» is counted at */
} bo_pilotage_view;

/* What every page of pilotage does first: the agent, their right to the dashboards, the rate
 * limit, the filters read and checked into v (errors in p, the form's lists in p), the
 * agent's scope applied, "filters_q" ("&periode=…", for links that add to a query) and
 * "filters_qs" (the same without its first "&") set in p. 0 with p started, or -1 when the
 * request was answered. */
int bo_pilotage_view_start(http_req *rq, store_agent *a, const cat_tenant **t, bo_page *p,
                           bo_pilotage_view *v);

/* The SVG document svg as a data: URL for an <img> (the template engine writes no raw
 * markup; the CSP allows data: images), in rq's arena; NULL when out of memory. */
const char *bo_pilotage_data_url(http_req *rq, const buf *svg);

#endif
