/*
 * fuzz_tmpl — compiles the input as a template and renders it against a fixed context whose
 * strings are full of markup ("<script>", quotes, "javascript:"). The escaping invariant is
 * checked differentially: the same render against a copy of the context where every '<' and
 * '>' is replaced by '{' and '}' (same lengths, same truthiness, same |href verdicts) must
 * yield exactly as many '<' and '>', since in that copy they can only come from the template
 * text. So no data byte ever reaches the output as markup, whatever the template.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/tmpl.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static const char context_json[] =
    "{\"a\": \"<script>alert(1)</script>\", \"b\": \"\\\"'><script>x</script>&amp;\","
    " \"u\": \"javascript:<script>alert(1)</script>\", \"h\": \"/<script>\","
    " \"m\": \"mailto:<a@b>\", \"n\": 42, \"r\": 1.5, \"t\": true, \"f\": false, \"z\": null,"
    " \"e\": \"\", \"ea\": [], \"eo\": {},"
    " \"list\": [{\"a\": \"<script>1\", \"x\": \"<i>\", \"list\": []},"
    "            {\"b\": \"<script>2\", \"list\": [], \"t\": false}],"
    " \"strs\": [\"<script>\", \"<\", \">\"],"
    " \"obj\": {\"a\": \"<obj>\", \"deep\": {\"s\": \"<deep>\", \"list\": [\"<l>\"]}}}";

static json_t *contexts[2];

/* The JSON text has '<' and '>' only inside strings: a textual swap keeps it valid. */
static void init(void)
{
    char *benign = strdup(context_json);
    CHECK(benign);
    for (char *p = benign; *p; p++)
        if (*p == '<')
            *p = '{';
        else if (*p == '>')
            *p = '}';
    contexts[0] = json_loads(context_json, 0, NULL);
    contexts[1] = json_loads(benign, 0, NULL);
    CHECK(contexts[0] && contexts[1]);
    free(benign);
}

static void count_angles(const buf *b, size_t *lt, size_t *gt)
{
    *lt = *gt = 0;
    for (size_t i = 0; i < b->len; i++) {
        *lt += b->data[i] == '<';
        *gt += b->data[i] == '>';
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!contexts[0])
        init();
    if (size > 8192)
        return 0;
    tmpl_set *set = tmpl_set_new();
    CHECK(set);
    error e;
    static const char partial[] = "[{{a}}|{{#obj}}{{deep.s}}{{/obj}}|{{u|href}}]";
    CHECK(tmpl_add(set, "p", partial, sizeof partial - 1, &e) == 0);
    if (tmpl_add(set, "t", (const char *)data, size, &e) != 0) {
        CHECK(e.code == ERR_INVALID_ARG && strstr(e.detail, " line "));
        CHECK(!tmpl_has(set, "t"));
        tmpl_set_free(set);
        return 0;
    }
    buf out[2];
    int rc[2];
    for (int k = 0; k < 2; k++) {
        buf_init(&out[k], 256 * 1024);
        rc[k] = tmpl_render(set, "t", contexts[k], &out[k], &e);
        CHECK(out[k].len <= out[k].max);
        CHECK(rc[k] == 0 || e.code == ERR_INTERNAL);
    }
    if (rc[0] == 0 && rc[1] == 0) {
        size_t lt[2], gt[2];
        count_angles(&out[0], &lt[0], &gt[0]);
        count_angles(&out[1], &lt[1], &gt[1]);
        CHECK(lt[0] == lt[1] && gt[0] == gt[1]);
        /* Same again: rendering does not depend on anything but the template and data. */
        buf again;
        buf_init(&again, 256 * 1024);
        CHECK(tmpl_render(set, "t", contexts[0], &again, &e) == 0);
        CHECK(again.len == out[0].len && memcmp(again.data, out[0].data, again.len) == 0);
        buf_free(&again);
    }
    buf_free(&out[0]);
    buf_free(&out[1]);
    tmpl_set_free(set);
    return 0;
}
