/*
 * bo_form_def — a procedure's form definition as both its editors show it (the JSON editor of
 * bo_admin_procedures.c and the question-by-question builder of bo_admin_form_builder.c): the
 * message saying what attrs_check refuses and where, and the preview of the form as citizens
 * see it. Both editors save through admin_procedure_upsert_as, which checks it again.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_FORM_DEF_H
#define GUICHET_WEB_BACKOFFICE_BO_FORM_DEF_H

#include "core/attrs.h"
#include "web/backoffice/bo_common.h"

/* Checks a definition text as core will (attrs_check). When it is not valid, puts on p, on
 * field, the message that says what to change and where (the question by its rank and code,
 * the value by its rank), copies the problem into *pb (may be NULL) and returns -1; else 0. */
int bo_form_def_check(bo_page *p, const char *json, const char *field, attrs_problem *pb);

/* Sets "has_preview", "preview_empty" and "preview" on p: every question of a valid
 * definition, the ones a condition hides too, as the portal's form first draws it
 * (web/form_field.h), with a note saying when a conditional one shows. */
void bo_form_def_preview(bo_page *p, const char *json);

#endif
