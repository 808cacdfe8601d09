/*
 * bo_form_def — the check's message and the preview of a procedure's form definition.
 */
#include "web/backoffice/bo_form_def.h"

#include <stdio.h>
#include <string.h>

#include "util/log.h"
#include "web/form_field.h"
#include "web/web.h"

/* pattern with each {names[i]} replaced by values[i], in the request's arena. */
static const char *fill(bo_page *p, const char *pattern, const char *const *names,
                        const char *const *values, size_t n)
{
    return present_subst(p->rq->arena, pattern, names, values, n);
}

int bo_form_def_check(bo_page *p, const char *json, const char *field, attrs_problem *out)
{
    attrs_problem pb;
    if (attrs_check(json, &pb) == 0)
        return 0;
    if (out)
        *out = pb;
    char n[24], v[24], max[24], line[24], column[24];
    snprintf(n, sizeof n, "%zu", pb.item);
    snprintf(v, sizeof v, "%zu", pb.value);
    snprintf(max, sizeof max, "%d", pb.max);
    snprintf(line, sizeof line, "%d", pb.line);
    snprintf(column, sizeof column, "%d", pb.column);
    const char *at = "";
    if (pb.item > 0) {
        const char *const qn[] = {"n", "code"};
        const char *const qv[] = {n, pb.code};
        at = fill(p,
                  bo_page_str(p, pb.code[0] ? "admin.procedure.attrs_error.at_question_code"
                                            : "admin.procedure.attrs_error.at_question"),
                  qn, qv, 2);
    }
    if (pb.value > 0) {
        const char *const vn[] = {"question", "v"};
        const char *const vv[] = {at, v};
        at = fill(p, bo_page_str(p, "admin.procedure.attrs_error.at_value"), vn, vv, 2);
    }
    const char *key =
        arena_printf(p->rq->arena, "admin.procedure.attrs_error.%s", attrs_problem_name(pb.kind));
    const char *const names[] = {"at", "member", "max", "line", "column"};
    const char *const values[] = {at, pb.member, max, line, column};
    const char *what = fill(p, bo_page_str(p, key), names, values, 5);
    bo_page_error(p, field,
                  arena_printf(p->rq->arena, "%s %s",
                               bo_page_str(p, "admin.procedure.error_attributes"), what));
    return -1;
}

void bo_form_def_preview(bo_page *p, const char *json)
{
    http_req *rq = p->rq;
    attr_def *defs;
    size_t n;
    error err;
    if (attrs_parse_definitions(rq->arena, json, &defs, &n, &err) != 0) {
        log_error("admin: preview of a definition attrs_check took: %s", err.detail);
        return;
    }
    json_t *fields = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = form_field_of(rq->arena, &defs[i], rq->lang);
        present_set_str_opt(o, "show_if_note",
                            form_field_condition_note(rq->arena, rq->present, rq->lang, defs, n,
                                                      &defs[i], "admin.procedure.preview_show_if"));
        json_array_append_new(fields, o);
    }
    bo_page_set(p, "has_preview", json_true());
    bo_page_set(p, "preview_empty", json_boolean(n == 0));
    bo_page_set(p, "preview", fields);
}
