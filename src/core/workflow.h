/*
 * workflow — a procedure's statuses and the moves between them, as the collectivité's data
 * (tables workflows, workflow_statuses, workflow_transitions, read with the catalogue):
 * labels for agents and citizens, badge colour, Open311 open/closed and extended status,
 * initial and final statuses, which transitions an agent of a given role may take and
 * whether they need a comment. Every status rule of core and of the entrances asks here.
 */
#ifndef GUICHET_CORE_WORKFLOW_H
#define GUICHET_CORE_WORKFLOW_H

#include <stddef.h>

#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

/* The actor is no agent (an API key, the system, a citizen's own reopening): the workflow's
 * transitions alone decide, whatever the roles they name. */
#define WORKFLOW_ANY_ROLE (-1)

/* The most statuses, or transitions from one status, a list built from a workflow holds (the
 * back office's status control, refusals naming codes); a workflow may have more, the lists
 * then stop there. */
#define WORKFLOW_LIST_MAX 64

typedef struct cat_transition {
    store_workflow_transition rec;
    unsigned roles; /* bit (1 << agent_role) for each role it names */
} cat_transition;

/* What a request entering a status sets off (core/workflow_action.h checks them, the change
 * job runs them: core/status_actions.h). */
typedef enum workflow_action_kind {
    WORKFLOW_ACTION_NOTIFY_CITIZEN,    /* a message to the citizen on their channel */
    WORKFLOW_ACTION_NOTIFY_DEPARTMENT, /* an e-mail to the request's department */
    WORKFLOW_ACTION_ASSIGN_BY_RULE,    /* the routing rules again, as «re-router» */
    WORKFLOW_ACTION_SET_DUE_DATE,      /* a new due date, N days from the entry */
    WORKFLOW_ACTION_ASK_CITIZEN,       /* the citizen asked for a correction or a document */
    WORKFLOW_ACTION_WEBHOOK,           /* request.entered_status to one subscription */
    WORKFLOW_ACTION_GENERATE_DOCUMENT, /* a letter or decision from a template, as a document */
    WORKFLOW_ACTION_SEND_FOR_SIGNATURE, /* the latest letter or decision to élus (parapheur) */
} workflow_action_kind;

typedef struct cat_action {
    workflow_action_kind kind;
    const char *status; /* the status whose entry runs it */
    int position;       /* order among the status's actions */
    /* NOTIFY_CITIZEN: the collectivité's own text (placeholders {reference}, {statut},
     * {procedure}, {lien}) in French and English; NULL: the request_status template's. */
    const char *text, *text_en;
    int days, working;     /* SET_DUE_DATE: N days, 1: jours ouvrés, 0: calendar days */
    const char *return_to; /* ASK_CITIZEN: where the citizen's answer takes the request */
    const char *url;       /* WEBHOOK: an active subscription's URL (its secret stays there) */
    /* GENERATE_DOCUMENT: the collectivité's letter template of that name; whether the citizen
     * sees the document; 1: only when a silence vaut accord / rejet jump entered the status
     * (an attestation of an implicit decision, not of an agent's) */
    const char *tpl;
    int citizen_visible, silence_only;
    /* SEND_FOR_SIGNATURE: the élus' e-mail addresses in signing order, comma-separated
     * (whether each is an active élu is checked when the action runs, since agents change
     * without the workflow). */
    const char *signers;
} cat_action;

typedef struct cat_workflow {
    store_workflow rec;
    store_workflow_status *statuses; /* by position */
    size_t n_statuses;
    cat_transition *transitions; /* by position */
    size_t n_transitions;
    const store_workflow_status *initial; /* never NULL in a catalogue's workflow */
    cat_action *actions;                  /* by status, then position */
    size_t n_actions;
    store_workflow_timeout *timeouts; /* by status, position (core/workflow_timeout.h) */
    size_t n_timeouts;
} cat_workflow;

struct cat_tenant;

/* The badge palette (every colour keeps a 4.5:1 contrast with its text) and FixMyStreet's
 * extended statuses, each list NULL-terminated: what a status may name. */
extern const char *const workflow_colours[];
extern const char *const workflow_extended_statuses[];

/* The longest code of a workflow or of a status. */
#define WORKFLOW_CODE_MAX 40
/* 1 when code may name a workflow or a status: a lowercase letter, then lowercase letters,
 * digits and '_', at most WORKFLOW_CODE_MAX bytes. */
int workflow_code_valid(const char *code);

/* One rule a workflow breaks: key names it (the i18n key "workflows.problem.<key>" words it,
 * in French and English, with {a} and {b}), a and b the codes it concerns (a status; or a
 * transition's from and to), NULL when unused; they point into the workflow checked. */
typedef struct workflow_problem {
    const char *key;
    const char *a, *b;
} workflow_problem;

/* The most problems a page lists; workflow_check counts those beyond. */
#define WORKFLOW_PROBLEMS_MAX 32

/* Every rule wf breaks, the rules the catalogue loads a workflow under and the editor saves
 * one under: a name; at least one status, each with a valid code of its own, French agent
 * and citizen labels, a colour of the palette, a known extended status, a reopen target among
 * its statuses, final only when closed; exactly one initial status; each transition between
 * two of its statuses, not from a final one nor to its own status, once per pair, labelled,
 * naming known roles; each timeout as workflow_timeout_check and each action as
 * workflow_action_check would take it now. Writes the first max into out (may be NULL when max is
 * 0) in that order and returns how many there are (0: none). */
size_t workflow_check(const cat_workflow *wf, workflow_problem *out, size_t max);
/* The statuses of wf not reachable from its initial one, by transitions or a reopening (key
 * "status_unreachable", a the status, b the initial one; "out_of_memory" when it could not
 * tell), as workflow_check reports. Not one of workflow_check's rules: the editor saves
 * statuses and transitions one form after the other, so a status added waits for the
 * transition leading to it, and a status nothing leads to harms no request. A document
 * imported whole (core/procdef.h) must be complete, and is refused for it. 0 when wf has not
 * exactly one initial status (workflow_check's to say). */
size_t workflow_check_reachable(const cat_workflow *wf, workflow_problem *out, size_t max);

/* Drops wf's actions and timeouts on statuses wf no longer has: they go with their status
 * (an editor removing one). */
void workflow_prune(cat_workflow *wf);

/* Builds the workflows of tenant_id from raw rows into *out (n in *n, in the arena).
 * A workflow that breaks a rule of workflow_check, or has an action workflow_action_check
 * or a timeout workflow_timeout_check refuses, is left out and logged: procedures that use it then
 * have none, and the catalogue disables them. -1 when out of memory. */
int workflow_build(arena *a, const store_catalogue *raw, int64_t tenant_id, cat_workflow **out,
                   size_t *n);
/* A deep copy of wf in a (for a write job that may outlive the catalogue's snapshot); NULL
 * when out of memory or wf is NULL. */
cat_workflow *workflow_copy(arena *a, const cat_workflow *wf);

/* The status `code` of wf; NULL when wf has none (or wf or code is NULL). */
const store_workflow_status *workflow_status(const cat_workflow *wf, const char *code);
/* 1 when code is a closed status of wf (Open311 "closed": the request is done, closed_at
 * set). A closed status may still have transitions out (an incident resolved, then reopened);
 * a final one is closed and has none, which the catalogue checks. */
int workflow_is_closed(const cat_workflow *wf, const char *code);
/* The agents' label of code in l (French when there is no English one); the code itself when
 * wf has no such status, "" for NULL. Points into wf. */
const char *workflow_agent_label(const cat_workflow *wf, const char *code, lang l);
/* The status a citizen sees for code: code's own when visible, else the nearest visible
 * status before it in the workflow's order, else the initial one; NULL when unknown. */
const store_workflow_status *workflow_citizen_status(const cat_workflow *wf, const char *code);
/* The citizens' label of workflow_citizen_status(code) in l; the code when unknown. */
const char *workflow_citizen_label(const cat_workflow *wf, const char *code, lang l);
/* The badge colour (a palette name) of code; "grey" when unknown. */
const char *workflow_colour(const cat_workflow *wf, const char *code);
/* "open" or "closed" (Open311) for code; unknown codes count as open. */
const char *workflow_open311(const cat_workflow *wf, const char *code);
/* FixMyStreet's extended status of code ("FIXED", …); NULL when it has none. */
const char *workflow_extended_status(const cat_workflow *wf, const char *code);

/* The transitions from `from` that an agent of `role` (agent_role, or WORKFLOW_ANY_ROLE)
 * may take, in order, into out (pointers into wf); returns how many, at most max. */
size_t workflow_transitions_from(const cat_workflow *wf, const char *from, int role,
                                 const cat_transition **out, size_t max);
/* The transition from → to of wf, whatever the role; NULL when there is none. */
const cat_transition *workflow_transition(const cat_workflow *wf, const char *from, const char *to);
/* 1 when an actor of `role` may move a request of wf from `from` to `to`; then
 * *comment_required (may be NULL) says whether the move needs a comment. */
int workflow_transition_allowed(const cat_workflow *wf, const char *from, const char *to, int role,
                                int *comment_required);
/* Where the citizen's «pas réglé» takes a request in status code; NULL when it cannot be
 * reopened from there. */
const char *workflow_reopen_target(const cat_workflow *wf, const char *code);
/* The status a merged duplicate ends in: the one whose extended status is DUPLICATE, else
 * the one coded "duplicate"; NULL when wf has neither. */
const store_workflow_status *workflow_duplicate_status(const cat_workflow *wf);
/* The status a problem fixed on the spot ends in (the field visit's «résolu»): the closed one
 * whose extended status is FIXED, else the one coded "resolved"; NULL when neither. */
const store_workflow_status *workflow_fixed_status(const cat_workflow *wf);

/* The most actions one status may have (workflow_build refuses a workflow with more). */
#define WORKFLOW_ACTIONS_MAX 16
#define WORKFLOW_ACTION_SIGNERS_MAX 5 /* élus a send_for_signature action names */

/* The actions entering status runs, in position order, into out (pointers into wf);
 * returns how many, at most max. */
size_t workflow_actions_on(const cat_workflow *wf, const char *status, const cat_action **out,
                           size_t max);
/* The ask_citizen action of status: a request there waits for the citizen's answer; NULL
 * when the status has none. */
const cat_action *workflow_ask_citizen(const cat_workflow *wf, const char *status);

/* Which statuses workflow_tenant_codes lists. */
typedef enum workflow_codes {
    WORKFLOW_CODES_OPEN,    /* not closed (Open311 "open") */
    WORKFLOW_CODES_CLOSED,  /* closed (Open311 "closed") */
    WORKFLOW_CODES_INITIAL, /* initial */
} workflow_codes;
/* The distinct codes of t's workflows of the kind asked, in workflow then position order, into
 * out (pointers into the catalogue); returns how many, at most max. For filters across
 * procedures («ouvertes»); since closed_at is set exactly when a request enters a closed
 * status, callers that want open requests also ask for closed_at unset, which stays right
 * should one code be closed in one workflow and not in another. */
size_t workflow_tenant_codes(const struct cat_tenant *t, workflow_codes which, const char **out,
                             size_t max);
/* The agents' label of code in the first of t's workflows that has it; the code when none. */
const char *workflow_tenant_label(const struct cat_tenant *t, const char *code, lang l);
/* t's workflow coded `code`; NULL when none. */
const cat_workflow *workflow_by_code(const struct cat_tenant *t, const char *code);

#endif
