/*
 * bo_admin_workflow_view — the workflow editor's forms and views (private to
 * bo_admin_workflows.c and bo_admin_procedure_workflow.c): a workflow's statuses and
 * transitions as the page's rows, read back from the forms into a workflow core checks, its
 * problems and versions' summaries in words, a saved version's definition as a view. The
 * actions and timeouts have their own module (bo_admin_workflow_acts).
 */
#ifndef GUICHET_WEB_BACKOFFICE_BO_ADMIN_WORKFLOW_VIEW_H
#define GUICHET_WEB_BACKOFFICE_BO_ADMIN_WORKFLOW_VIEW_H

#include <jansson.h>

#include "core/workflow.h"
#include "util/form.h"
#include "web/backoffice/bo_common.h"

/* The English text when the page is in English and there is one, else the French. */
const char *bo_wf_text(const bo_page *p, const char *fr, const char *en);

/* key's text with {a} and {b} filled (NULL as ""), in rq->arena. */
const char *bo_wf_fill(bo_page *p, const char *key, const char *a, const char *b);
/* values[] (NULL-terminated) as options {value, label, selected}: label the string of
 * prefix + value (the value itself when prefix is NULL), chosen selected. */
json_t *bo_wf_options(bo_page *p, const char *const *values, const char *prefix,
                      const char *chosen);
/* wf's statuses as options (their agents' label in l), chosen selected. */
json_t *bo_wf_status_options(const cat_workflow *wf, const char *chosen, lang l);

/* The rows of wf's statuses for the form (with the requests each holds, from counts[n]; the
 * code editable for a status `saved` lacks), the read-only overview, and the rows of its
 * transitions. New references. */
json_t *bo_wf_statuses_json(bo_page *p, const cat_workflow *saved, const cat_workflow *wf,
                            const store_status_count *counts, size_t n);
json_t *bo_wf_overview_json(bo_page *p, const cat_workflow *wf);
json_t *bo_wf_transitions_json(bo_page *p, const cat_workflow *wf);
/* The empty row that adds a status or a transition, with what f typed in it (f may be NULL). */
json_t *bo_wf_new_status_json(bo_page *p, const cat_workflow *wf, const form *f);
json_t *bo_wf_new_transition_json(bo_page *p, const cat_workflow *wf, const form *f);

/* wf with the names and statuses the statuses' form f sent (its row operation — op
 * "up-<i>", "down-<i>", "del-<i>" — applied), or with the transitions the transitions' form
 * sent (op "del-<i>"), the rest of wf kept; in a. The new row's typed values are kept on p.
 * NULL when out of memory. */
cat_workflow *bo_wf_parse_statuses(arena *a, const cat_workflow *wf, const form *f, bo_page *p);
cat_workflow *bo_wf_parse_transitions(arena *a, const cat_workflow *wf, const form *f, bo_page *p);

/* Adds prob, in words, to the page's error summary. */
void bo_wf_problem(bo_page *p, const workflow_problem *prob);
/* A version's author: the agent's name for "agent:<id>", else the words for the original
 * definition (NULL) or the command line. */
const char *bo_wf_author(bo_page *p, const char *by, const store_agent *agents, size_t n);
/* A version's summary (its JSON array) in words, "; " between. */
const char *bo_wf_summary(bo_page *p, const char *summary);
/* A version's definition (JSON) as v_name, v_statuses, v_transitions, and its
 * actions and timeouts in words as bo_wf_acts_overview sets them, on p. */
void bo_wf_version_view(bo_page *p, const char *definition);

#endif
