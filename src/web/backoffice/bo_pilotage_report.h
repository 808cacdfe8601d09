/*
 * bo_pilotage_report — /agent/pilotage/rapport.pdf, the dashboards' one-page monthly report
 * (core/monthly_report.h), and the form on /agent/pilotage that asks for it. It shares the
 * dashboards' rights, rate limit, filters and scope through bo_pilotage_view_start
 * (bo_pilotage.h), so that the report holds what the page shows.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_PILOTAGE_REPORT_H
#define GUICHET_WEB_BACKOFFICE_BO_PILOTAGE_REPORT_H

#include "core/catalogue.h"
#include "http/http.h"
#include "store/records.h"
#include "web/backoffice/bo_common.h"

/* The monthly report's form on page p of tenant t: the month asked (or the last complete
 * one) and the dashboards' filters asked, carried as hidden fields. */
void bo_pilotage_report_form(bo_page *p, const cat_tenant *t);

/* GET /agent/pilotage/rapport.pdf?mois=YYYY-MM&<the dashboards' filters>. */
void bo_pilotage_report(http_req *rq);

#endif
