/*
 * bo_pilotage_report — see bo_pilotage_report.h. The month is checked here (a month that
 * exists, begun by now in the collectivité's zone), the filters by the dashboards' code; the
 * filters applied are worded for the report's lines; core/monthly_report.h composes and
 * draws the page. Like the dashboards' files, the report is recorded in the audit log as an
 * export of "statistics", though its figures hold no personal data.
 */
#include "web/backoffice/bo_pilotage_report.h"

#include <stdio.h>
#include <string.h>

#include "core/agent.h"
#include "core/area.h"
#include "core/audit.h"
#include "core/monthly_report.h"
#include "core/stats.h"
#include "docs/report.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/wording.h"
#include "web/backoffice/bo_pilotage.h"
#include "web/backoffice/bo_work.h"
#include "web/web.h"

/* The dashboards' filters the report carries over from the page (not its period). */
static const char *const carried[] = {"canal", "demarche", "service", "quartier", "lang"};

/* The year and month of today in t's zone. */
static void this_month(const cat_tenant *t, int *year, int *month)
{
    unsigned m, d;
    time_day_civil(time_local_day(time_now(), t->rec.timezone), year, &m, &d);
    *month = (int)m;
}

void bo_pilotage_report_form(bo_page *p, const cat_tenant *t)
{
    http_req *rq = p->rq;
    const char *asked = bo_query(rq, "mois");
    if (asked) {
        bo_page_value(p, "mois", asked);
    } else {
        int year, month;
        this_month(t, &year, &month);
        if (--month == 0) {
            month = 12;
            year--;
        }
        bo_page_value(p, "mois", arena_printf(rq->arena, "%04d-%02d", year, month));
    }
    json_t *hidden = json_array();
    for (size_t i = 0; i < sizeof carried / sizeof carried[0]; i++) {
        const char *v = bo_query(rq, carried[i]);
        if (!v)
            continue;
        json_t *o = json_object();
        present_set_str(o, "name", carried[i]);
        present_set_str(o, "value", v);
        json_array_append_new(hidden, o);
    }
    bo_page_set(p, "report_hidden", hidden);
}

/* "monthly_report.<key>" with its {value} filled. */
static const char *filter_words(bo_page *p, const char *key, const char *value)
{
    const char *names[] = {"value"};
    const char *values[] = {value};
    return wording_subst(p->rq->arena,
                         bo_page_str(p, arena_printf(p->rq->arena, "monthly_report.%s", key)),
                         names, values, 1);
}

/* The filters applied, in words, into lines[] (at most MONTHLY_REPORT_FILTERS_MAX): those
 * asked and, for a manager who asked no department, the departments their scope keeps. */
static size_t filter_lines(bo_page *p, const cat_tenant *t, const store_agent *a,
                           const store_request_filter *f, const char **lines)
{
    http_req *rq = p->rq;
    size_t n = 0;
    const char *s;
    if ((s = bo_query(rq, "canal")))
        lines[n++] = filter_words(p, "filter_channel", bo_channel_label(rq, s));
    if ((s = bo_query(rq, "demarche"))) {
        const cat_procedure *pr = catalogue_procedure(t, s);
        lines[n++] = filter_words(p, "filter_procedure", pr ? pr->rec.name : s);
    }
    if ((s = bo_query(rq, "service"))) {
        const cat_department *d = catalogue_department(t, s);
        lines[n++] = filter_words(p, "filter_department", d ? d->rec.name : s);
    } else if (bo_role(a) == AGENT_ROLE_MANAGER) {
        buf names;
        buf_init(&names, 4096);
        for (size_t i = 0; i < f->n_department_ids; i++) {
            const cat_department *d = catalogue_department_by_id(t, f->department_ids[i]);
            if (d)
                buf_printf(&names, "%s%s", names.len ? ", " : "", d->rec.name);
        }
        lines[n++] = filter_words(p, "filter_scope", buf_cstr(&names));
        buf_free(&names);
    }
    if ((s = bo_query(rq, "quartier"))) {
        const char *name = strcmp(s, "none") == 0 ? bo_page_str(p, "pilotage.no_area") : s;
        store_area *areas = NULL;
        size_t n_areas = 0;
        error err;
        error_clear(&err);
        if (area_list(rq->core, t->rec.id, AREA_QUARTIER, rq->arena, &areas, &n_areas, &err) != 0)
            log_warn("pilotage report: quartiers: %s", err.detail);
        for (size_t i = 0; i < n_areas; i++)
            if (strcmp(areas[i].code, s) == 0)
                name = areas[i].name;
        lines[n++] = filter_words(p, "filter_area", name);
    }
    return n;
}

/* The report as the response: a file to keep (attachment), never cached, sandboxed if a
 * browser shows it all the same. */
static void send_report(http_req *rq, const buf *pdf, int year, int month)
{
    if (buf_append(&rq->out, pdf->data, pdf->len) != 0) {
        buf_reset(&rq->out);
        error err;
        error_set(&err, ERR_INTERNAL, NULL, "report over the response's limit");
        http_respond_error(rq, &err);
        return;
    }
    http_add_header(
        rq, "Content-Disposition",
        arena_printf(rq->arena, "attachment; filename=\"rapport-%04d-%02d.pdf\"", year, month));
    http_add_header(rq, "Cache-Control", "no-store");
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond(rq, 200, "application/pdf");
}

void bo_pilotage_report(http_req *rq)
{
    store_agent a;
    const cat_tenant *t = NULL;
    bo_page p;
    bo_pilotage_view v;
    if (bo_pilotage_view_start(rq, &a, &t, &p, &v) != 0)
        return;
    const store_request_filter f = v.f;
    const int64_t area = v.area;
    int year = 0, month = 0, now_year, now_month;
    this_month(t, &now_year, &now_month);
    if (monthly_report_month_parse(bo_query(rq, "mois"), &year, &month) != 0)
        bo_page_error_key(&p, "mois", "monthly_report.error_month");
    else if (year * 12 + month > now_year * 12 + now_month)
        bo_page_error_key(&p, "mois", "monthly_report.error_future");
    if (bo_page_has_errors(&p)) {
        bo_page_render(&p, 200, "agent/pilotage", bo_page_str(&p, "pilotage.title"));
        return;
    }
    const char *lines[MONTHLY_REPORT_FILTERS_MAX];
    monthly_report_in in = {
        .strings = present_strings(rq->present, rq->lang),
        .lang = rq->lang,
        .year = year,
        .month = month,
        .f = &f,
        .area = area,
        .filters = lines,
        .n_filters = filter_lines(&p, t, &a, &f, lines),
        .now = time_now(),
    };
    buf pdf;
    buf_init(&pdf, REPORT_PDF_MAX);
    error err;
    error_clear(&err);
    if (monthly_report_pdf(rq->core, t, &in, &pdf, &err) != 0) {
        buf_free(&pdf);
        if (err.code == ERR_INVALID_ARG && strcmp(err.arg, "mois") == 0) {
            bo_page_error_key(&p, "mois", "monthly_report.error_too_many");
            bo_page_render(&p, 200, "agent/pilotage", bo_page_str(&p, "pilotage.title"));
            return;
        }
        log_error("pilotage report %04d-%02d: %s", year, month, err.detail);
        bo_page_fail(&p, &err);
        return;
    }
    bo_page_discard(&p);
    core_actor who = bo_who(rq, &a);
    audit_record_access(rq->core, t->rec.id, &who, "export", "statistics", NULL, 0);
    send_report(rq, &pdf, year, month);
    buf_free(&pdf);
}
