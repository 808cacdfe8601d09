/*
 * document_generate — the workflow action «generate a document» (core/workflow_action.h):
 * scheduled as a job by the write job of the status entry (core/status_actions.c), run by
 * the scheduler right after that commit. The template is drawn outside any transaction (a PDF
 * takes milliseconds the writer must not wait for); the document, its timeline event, its
 * audit entry and the citizen's notice are then written in one write job that also marks the
 * job done, so that the document is issued exactly once: a crash before that commit leaves the
 * job claimed, pending again at the next start (jobs_recover) and drawn again; after it, the
 * job is done and its run's own record finds nothing left to do.
 */
#include <string.h>

#include "core/core_internal.h"
#include "core/core_op.h"
#include "core/document.h"
#include "core/jobs.h"
#include "core/letter_tpl.h"
#include "core/request.h"
#include "core/request_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/wording.h"

typedef struct generate_op {
    core_op op;
    int64_t job_id, request_id, now;
    const char *procedure, *tracking_url; /* in op.a */
    store_document doc;                   /* its bytes, code and title in op.a */
} generate_op;

static int generate_apply(store *s, core_op *op, error *err)
{
    generate_op *o = (generate_op *)op;
    int claimed = 0, found = 0;
    if (jobs_finish_tx(s, o->job_id, o->now, &claimed, err) != 0)
        return -1;
    if (!claimed) /* another run of the job wrote it */
        return 0;
    store_request r;
    if (s->ops->requests.get_by_id(s, o->doc.tenant_id, o->request_id, &op->a, &r, &found, err) !=
        0)
        return -1;
    /* Gone or anonymised since the draw: nothing is issued, and the job is over. */
    if (!found || r.anonymised_at)
        return 0;
    return letter_tpl_store_tx(s, &r, &o->doc, &actor_system, "system", o->procedure,
                               o->tracking_url, o->now, NULL, err);
}

/* What the job's payload says (status_actions.c writes it). */
typedef struct generate_args {
    const char *tpl, *tracking_url;
    int citizen_visible;
    int64_t decided_at;
} generate_args;

static void read_args(arena *a, const char *payload, generate_args *out)
{
    memset(out, 0, sizeof *out);
    json_t *p = json_loads(payload ? payload : "{}", 0, NULL);
    const char *tpl = json_string_value(json_object_get(p, "template"));
    const char *url = json_string_value(json_object_get(p, "tracking_url"));
    out->tpl = tpl ? arena_strdup(a, tpl) : NULL;
    out->tracking_url = url ? arena_strdup(a, url) : NULL;
    out->citizen_visible = json_is_true(json_object_get(p, "citizen_visible"));
    out->decided_at = (int64_t)json_integer_value(json_object_get(p, "decided_at"));
    json_decref(p);
}

/* Ends the run without a document: the cause has gone (static why, English, no personal
 * data). Logged, since a workflow naming a template that was deleted is the collectivité's to
 * fix. */
static int cancel(job_run *jr, const char *why)
{
    log_warn("document_generate: job %lld (request id %lld): %s", (long long)jr->job->id,
             (long long)jr->job->request_id, why);
    jr->cancelled_why = why;
    jr->no_event = 1;
    return 0;
}

static int generate_job(job_run *jr, error *err)
{
    core *c = jr->core;
    const cat_tenant *t = jr->tenant;
    if (!t)
        return cancel(jr, "collectivité gone");
    generate_args args;
    read_args(jr->a, jr->job->payload, &args);
    store_request r;
    if (request_get_by_id(c, t, jr->job->request_id, jr->a, &r, err) != 0)
        return err->code == ERR_NOT_FOUND ? cancel(jr, "request gone") : -1;
    if (r.anonymised_at)
        return cancel(jr, "request anonymised");
    store_letter_template tpl;
    int found = 0;
    if (letter_tpl_find(c, t->rec.id, args.tpl, jr->a, &tpl, &found, err) != 0)
        return -1;
    if (!found)
        return cancel(jr, "the workflow names a letter template the collectivité no longer has");
    lang l = strcmp(tpl.lang, "en") == 0 ? LANG_EN : LANG_FR;
    /* Signed by the template's signatory: no agent issues it. */
    letter_tpl_values v;
    letter_tpl_values_of(jr->a, t, &r, tpl.signatory && *tpl.signatory ? tpl.signatory : NULL,
                         jr->now, l, &v);
    if (args.decided_at)
        v.v[LETTER_TPL_DATE_DECISION] = wording_date(jr->a, l, args.decided_at, t->rec.timezone, 0);
    /* The tracking link the notice carries: the one the entrance knew, else the lookup page on
     * the collectivité's base URL (a timeout's jump has no entrance). */
    const char *tracking = args.tracking_url;
    char base[CORE_URL_MAX];
    if (!tracking && core_base_url(c, t, base, sizeof base) == 0)
        tracking = request_lookup_url(c, jr->a, base);
    char code[SHORT_CODE_LEN + 1], shown[SHORT_CODE_DISPLAY_SIZE];
    document_code_new(code, shown);
    buf pdf;
    buf_init(&pdf, LETTER_PDF_MAX);
    generate_op *op = NULL;
    const char *title = NULL;
    int rc = -1;
    if (letter_tpl_render(c, t, &r, &tpl, &v, shown, jr->a, &title, &pdf, err) != 0)
        goto cleanup;
    if (!(op = core_op_new(sizeof *op, generate_apply))) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    arena *oa = &op->op.a;
    const cat_procedure *p = catalogue_procedure_by_id(t, r.procedure_id);
    op->job_id = jr->job->id;
    op->request_id = r.id;
    op->now = jr->now;
    op->procedure = p ? arena_strdup(oa, p->rec.name) : NULL;
    op->tracking_url = tracking ? arena_strdup(oa, tracking) : NULL;
    op->doc = (store_document){
        .tenant_id = t->rec.id,
        .kind = arena_strdup(oa, tpl.kind),
        .title = arena_strdup(oa, title),
        .citizen_visible = args.citizen_visible,
    };
    if (!op->doc.kind || !op->doc.title ||
        document_row_fill(oa, code, pdf.data, pdf.len, &op->doc) != 0) {
        error_set(err, ERR_UNAVAILABLE, NULL, "out of memory");
        goto cleanup;
    }
    rc = core_op_submit(c, op, NULL, NULL, err);
    op = NULL;
    /* The document's own event (letter_issued, its title) tells the run. */
    jr->no_event = 1;
cleanup:
    core_op_free(op);
    buf_free(&pdf);
    return rc;
}

static const job_handler generate_handler = {
    .kind = DOCUMENT_GENERATE_KIND,
    .run = generate_job,
    .max_attempts = 8,
    .retry_base_s = 30,
    .retry_max_s = 3600,
};

int document_generate_register(core *c, error *err)
{
    return jobs_register(c, &generate_handler, err);
}
