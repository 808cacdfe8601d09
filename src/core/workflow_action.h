/*
 * workflow_action — the actions a workflow runs when a request enters one of its statuses,
 * as data: their kinds' names, the check of one action's parameters against its workflow
 * (the catalogue's load and the procedure import both run it: one set of rules), and the
 * placeholders of a notification's own text.
 */
#ifndef GUICHET_CORE_WORKFLOW_ACTION_H
#define GUICHET_CORE_WORKFLOW_ACTION_H

#include <stddef.h>

#include <jansson.h>

#include "core/workflow.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define WORKFLOW_ACTION_TEXT_MAX 2000 /* characters of a notification's own text */
#define WORKFLOW_ACTION_DAYS_MAX 3650 /* a due date at most ten years on */
#define WORKFLOW_ACTION_TEMPLATE_MAX 100 /* bytes of a template's name (LETTER_TPL_NAME_MAX) */

/* The kind's stored name ("notify_citizen", …), and back (-1 when unknown). */
const char *workflow_action_kind_name(workflow_action_kind k);
int workflow_action_kind_parse(const char *name, workflow_action_kind *out);

/* Checks action in (its kind, status and params JSON) against wf, whose statuses must be
 * set, and fills out (strings in a). The rules: a known kind on one of wf's statuses;
 * params a JSON object with only the kind's keys —
 *   notify_citizen    optional "text", "text_en" (strings, at most WORKFLOW_ACTION_TEXT_MAX
 *                     characters, no control character but line breaks, placeholders among
 *                     {reference} {statut} {procedure} {lien}; "text_en" needs "text"); never
 *                     on a status hidden from citizens
 *   notify_department, assign_by_rule   none
 *   set_due_date      "days" (1 to WORKFLOW_ACTION_DAYS_MAX), optional "working" (boolean)
 *   ask_citizen       "return_to": another status of wf, open; the status itself visible to
 *                     citizens and with no other ask_citizen (checked by the caller that
 *                     holds the whole list: workflow_build)
 *   webhook           "url": a subscription's address (webhook_url_check; whether it is an
 *                     active subscription is checked when the action runs, since
 *                     subscriptions change without the workflow)
 *   generate_document "template": a letter template's name (1 to WORKFLOW_ACTION_TEMPLATE_MAX
 *                     bytes of text; whether the collectivité has it is checked when the
 *                     editor saves the workflow — workflow_edit_save — and when the document
 *                     is made, since templates change without the workflow), optional
 *                     "citizen_visible" (boolean, true unless false) and "silence_only"
 *                     (boolean: only when a silence vaut accord / rejet jump entered the status)
 *   send_for_signature "elus": 1 to WORKFLOW_ACTION_SIGNERS_MAX distinct e-mail addresses of
 *                     élus, in signing order (whether each is an active élu is checked when
 *                     the action runs)
 * -1 with ERR_INVALID_ARG, err->arg the key at fault ("kind", "status", "params", "text",
 * "text_en", "days", "working", "return_to", "url", "template", "citizen_visible",
 * "silence_only", "elus") and an English detail; ERR_INTERNAL when out of memory. */
int workflow_action_check(arena *a, const cat_workflow *wf, const store_workflow_action *in,
                          cat_action *out, error *err);

/* Whether act, checked by workflow_action_check against an earlier state of wf, still holds
 * in wf as it is now (an editor may have removed its status, hidden it from citizens, or
 * removed or closed the status its answer returns to): the rules of workflow_action_check that
 * depend on the rest of the workflow, applied to act's fields. 0, or -1 with err as
 * workflow_action_check. */
int workflow_action_holds(const cat_workflow *wf, const cat_action *act, error *err);

/* The parameters of a checked action as the JSON object workflow_action_check read (only the
 * members it holds: the collectivité's texts, days and working, return_to, url, template and
 * its two booleans), keys in a
 * fixed order, so that writing it back, exporting it or keeping it in a version gives the
 * same bytes. New reference; NULL when out of memory. */
json_t *workflow_action_params_json(const cat_action *a);

/* text with its placeholders replaced ({reference}, {statut}, {procedure}, {lien}; NULL
 * values as ""), in a; NULL when out of memory. Unknown placeholders cannot be there:
 * workflow_action_check refused them. */
const char *workflow_action_text(arena *a, const char *text, const char *reference,
                                 const char *status, const char *procedure, const char *link);

#endif
