/*
 * export_send — the HTTP side of a citizen's archive, shared by the portal (the citizen's own
 * export) and the back office (an agent's, for a request received by post): the LISEZMOI.txt
 * in the page's language, the download headers, and the stream handed to the server.
 */
#include <string.h>

#include "core/workflow.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "web/web.h"

#define README_MAX (32 * 1024)

/* LISEZMOI.txt: what each file of the archive is, in the visitor's language. Status codes
 * come from core's table, so the text cannot drift from the codes the JSON holds. In rq's
 * arena; NULL when out of memory. */
static const char *readme(http_req *rq, const cat_tenant *t)
{
    lang l = rq->lang;
    char date[TIME_RFC3339_LEN];
    time_format_rfc3339(time_now(), t->rec.timezone, date);
    date[10] = '\0';
    buf b;
    buf_init(&b, README_MAX);
    buf_printf(&b, "%s %s\n%s %s\n\n%s\n\n", present_string(rq->present, l, "rgpd.readme.title"),
               t->rec.name, present_string(rq->present, l, "rgpd.readme.generated"), date,
               present_string(rq->present, l, "rgpd.readme.intro"));
    static const char *const parts[] = {"account", "request", "files"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "rgpd.readme.%s", parts[i]);
        buf_printf(&b, "- %s\n", present_string(rq->present, l, key));
    }
    buf_printf(&b, "\n%s", present_string(rq->present, l, "rgpd.readme.codes"));
    /* Every status of the collectivité's workflows, in the words citizens read; a code shared
     * by several workflows, once. */
    size_t k = 0;
    for (size_t w = 0; w < t->n_workflows; w++)
        for (size_t i = 0; i < t->workflows[w].n_statuses; i++) {
            const store_workflow_status *st = &t->workflows[w].statuses[i];
            int seen = 0;
            for (size_t x = 0; x < w && !seen; x++)
                seen = workflow_status(&t->workflows[x], st->code) != NULL;
            if (seen)
                continue;
            buf_printf(&b, "%s %s (%s)", k ? "," : "", st->code,
                       l == LANG_EN && st->citizen_label_en ? st->citizen_label_en
                                                            : st->citizen_label);
            k++;
        }
    buf_printf(&b, ".\n%s\n\n%s\n%s\n", present_string(rq->present, l, "rgpd.readme.by"),
               present_string(rq->present, l, "rgpd.readme.contact"),
               t->rec.contact ? t->rec.contact : "");
    const char *out = b.failed ? NULL : arena_strdup(rq->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

static long stream_read(void *cls, char *out, size_t max)
{
    return export_stream_read(cls, out, max);
}

static void stream_free(void *cls)
{
    export_stream_free(cls);
}

void web_send_export(http_req *rq, const cat_tenant *t, export_plan *plan)
{
    error err;
    error_clear(&err);
    const char *text = readme(rq, t);
    if (!text) {
        export_plan_free(plan);
        error_set(&err, ERR_INTERNAL, NULL, "out of memory");
        web_write_error(rq, &err);
        return;
    }
    export_stream *s = export_stream_open(rq->core, plan, text, &err);
    if (!s) {
        web_write_error(rq, &err);
        return;
    }
    /* The name is ASCII (slug and date): no RFC 8187 form needed. */
    const char *name = export_filename(rq->arena, t->rec.slug, time_now(), t->rec.timezone);
    http_add_header(rq, "Content-Disposition",
                    name ? arena_printf(rq->arena, "attachment; filename=\"%s\"", name)
                         : "attachment");
    http_add_header(rq, "Cache-Control", "no-store");
    /* Never a page of ours, whatever a browser might sniff. */
    http_add_header(rq, "Content-Security-Policy", "default-src 'none'; sandbox");
    http_respond_stream(rq, 200, "application/zip", stream_read, stream_free, s);
}
