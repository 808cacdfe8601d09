/*
 * bo_admin_workflow_acts — a workflow's actions and timeouts in the editor (private to
 * bo_admin_workflows.c): their rows for the actions' page form, read back from that form
 * into a workflow core checks (each row checked by workflow_action_check /
 * workflow_timeout_check, its error on the field at fault), and in words for the read-only
 * overview and a version's view. Kept apart from bo_admin_workflow_view (statuses and
 * transitions) so that each module keeps one role.
 *
 * Without JavaScript a row's fields depend on its kind, so a row's kind is chosen once, when
 * it is added: the «add» rows pick a status and a kind, and «Ajouter» shows the page again
 * with the new row and its fields (nothing saved yet); a kind is changed by removing the row
 * and adding another.
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_ADMIN_WORKFLOW_ACTS_H
#define GUICHET_WEB_BACKOFFICE_BO_ADMIN_WORKFLOW_ACTS_H

#include <jansson.h>

#include "core/workflow.h"
#include "util/form.h"
#include "web/backoffice/bo_common.h"

/* The actions' form rows of wf: "actions" and "timeouts" (each with its kind's fields, its
 * row's errors from a parse, up/down/remove), and the add rows' choices ("add_statuses",
 * "action_kinds", "timeout_kinds"), set on p. */
void bo_wf_acts_rows(bo_page *p, const cat_workflow *wf);

/* wf with the actions and timeouts the actions' form f sent, its row operation applied (op
 * "del-a<i>", "up-a<i>", "down-a<i>", "del-o<i>", "add-action", "add-timeout"), the rest of
 * wf kept; in a. Each row checked: its error, in words, on p (summary and row). *adding 1
 * when op added a row (the page is shown again, not saved). NULL when out of memory. */
cat_workflow *bo_wf_parse_acts(arena *a, const cat_workflow *wf, const form *f, bo_page *p,
                               int *adding);

/* wf's actions and timeouts in words on p (partial agent/admin/_workflow_acts):
 * "acts_overview", one entry a status that has any: [{"label", "actions": [text],
 * "timeouts": [text]}], and "has_acts". */
void bo_wf_acts_overview(bo_page *p, const cat_workflow *wf);

/* The same from a version's definition (workflow_edit_json's statuses array). */
void bo_wf_acts_of_definition(bo_page *p, json_t *statuses);

#endif
