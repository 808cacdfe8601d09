/*
 * pades_after — what an update after the last signature changed (see pades.h). The signed
 * revision (the file's first bytes, up to the end of the signature's ByteRange) and the whole
 * file are both read with libqpdf, and everything the signed revision shows is compared, object
 * by object, from the catalog and the document information down: the same objects must hold
 * the same values and the same stream bytes. Only the catalog's /DSS may differ and, when
 * document timestamps are allowed, the AcroForm may list new invisible document timestamp
 * fields (their widgets on their page, /SigFlags set), taken out before comparing: what an
 * update may add is validation data and nothing a reader displays. Comparing what is reached,
 * rather than the objects the update writes, also catches an object redefined under another
 * generation or hidden in an object stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qpdf/qpdf-c.h>

#include "sign/pades.h"

/* qpdf's largest object number (pdf_update's bound too). */
#define OBJECT_MAX 8000000

typedef struct walk {
    qpdf_data a, b; /* the signed revision and the whole file */
    unsigned char *seen; /* one bit per object number below OBJECT_MAX */
    int too_far;         /* a reference past OBJECT_MAX was met */
    int (*stack)[2];
    size_t top, cap;
} walk;

/* Pushes reference id gen unless it was seen. 0, or -1 when out of memory or when the
 * reference is past what the walk records (too_far set): such a reference is never taken for
 * «null on both sides», since what the file's own /Size says is the attacker's to write. */
static int push(walk *w, long id, long gen)
{
    if (id < 1 || gen < 0)
        return 0; /* no object number: null on both sides */
    if (id >= OBJECT_MAX || gen > 65535) {
        w->too_far = 1;
        return -1;
    }
    size_t byte = (size_t)id / 8;
    if (w->seen[byte] & (1u << (id % 8)))
        return 0;
    w->seen[byte] |= (unsigned char)(1u << (id % 8));
    if (w->top == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 256;
        void *s = realloc(w->stack, cap * sizeof *w->stack);
        if (!s)
            return -1;
        w->stack = s;
        w->cap = cap;
    }
    w->stack[w->top][0] = (int)id;
    w->stack[w->top][1] = (int)gen;
    w->top++;
    return 0;
}

/* Pushes every "N G R" of an unparsed value. A string that happens to read as a reference
 * only makes one more comparison. */
static int push_refs(walk *w, const char *t)
{
    for (const char *p = strstr(t, " R"); p; p = strstr(p + 2, " R")) {
        if (p[2] && !strchr(" \n\r\t/<>[]()", p[2]))
            continue;
        const char *q = p;
        long gen = 0, id = 0, mul = 1;
        int digits = 0;
        while (q > t && q[-1] >= '0' && q[-1] <= '9' && digits < 6) {
            gen += (q[-1] - '0') * mul;
            mul *= 10;
            q--;
            digits++;
        }
        if (!digits || q == t || q[-1] != ' ')
            continue;
        q--;
        mul = 1;
        digits = 0;
        while (q > t && q[-1] >= '0' && q[-1] <= '9' && digits < 8) {
            id += (q[-1] - '0') * mul;
            mul *= 10;
            q--;
            digits++;
        }
        if (digits && push(w, id, gen) != 0)
            return -1;
    }
    return 0;
}

/* Whether the raw bytes of streams sa (in a) and sb (in b) are the same. */
static int same_stream_data(walk *w, qpdf_oh sa, qpdf_oh sb)
{
    unsigned char *da = NULL, *db = NULL;
    size_t la = 0, lb = 0;
    int same = !(qpdf_oh_get_stream_data(w->a, sa, qpdf_dl_none, NULL, &da, &la) & QPDF_ERRORS) &&
               !(qpdf_oh_get_stream_data(w->b, sb, qpdf_dl_none, NULL, &db, &lb) & QPDF_ERRORS) &&
               la == lb && (la == 0 || memcmp(da, db, la) == 0);
    free(da);
    free(db);
    return same;
}

/* Compares object id gen in both; pushes what the whole file's version refers to. 1 when
 * the same, 0 when not, -1 when out of memory. */
static int same_object(walk *w, int id, int gen)
{
    qpdf_oh a = qpdf_get_object_by_id(w->a, id, gen);
    qpdf_oh b = qpdf_get_object_by_id(w->b, id, gen);
    int stream = qpdf_oh_is_stream(w->a, a);
    if (stream != qpdf_oh_is_stream(w->b, b))
        return 0;
    char *ta = strdup(qpdf_oh_unparse_resolved(w->a, stream ? qpdf_oh_get_dict(w->a, a) : a));
    const char *tb = qpdf_oh_unparse_resolved(w->b, stream ? qpdf_oh_get_dict(w->b, b) : b);
    if (!ta)
        return -1;
    int same = strcmp(ta, tb) == 0 && (!stream || same_stream_data(w, a, b));
    free(ta);
    if (same && push_refs(w, tb) != 0)
        return -1;
    return same;
}

/* Whether f (in b) is a document timestamp's field as pades_timestamp writes one: a
 * signature field merged with its widget, no kids nor parent, no action (a page-open script
 * could change what the page shows), an empty rectangle (nothing drawn), its value a
 * /DocTimeStamp dictionary with /SubFilter /ETSI.RFC3161. */
static int doc_timestamp_field(qpdf_data b, qpdf_oh f)
{
    if (!qpdf_oh_is_dictionary(b, f) ||
        !qpdf_oh_is_name_and_equals(b, qpdf_oh_get_key(b, f, "/FT"), "/Sig"))
        return 0;
    static const char *const refused[] = {"/Kids", "/Parent", "/A", "/AA", NULL};
    for (const char *const *k = refused; *k; k++)
        if (qpdf_oh_has_key(b, f, *k))
            return 0;
    qpdf_oh v = qpdf_oh_get_key(b, f, "/V");
    if (!qpdf_oh_is_dictionary(b, v) ||
        !qpdf_oh_is_name_and_equals(b, qpdf_oh_get_key(b, v, "/Type"), "/DocTimeStamp") ||
        !qpdf_oh_is_name_and_equals(b, qpdf_oh_get_key(b, v, "/SubFilter"), "/ETSI.RFC3161"))
        return 0;
    qpdf_oh r = qpdf_oh_get_key(b, f, "/Rect");
    if (!qpdf_oh_is_array(b, r) || qpdf_oh_get_array_n_items(b, r) != 4)
        return 0;
    double c[4];
    for (int i = 0; i < 4; i++) {
        qpdf_oh x = qpdf_oh_get_array_item(b, r, i);
        if (!qpdf_oh_is_number(b, x))
            return 0;
        c[i] = qpdf_oh_get_numeric_value(b, x);
    }
    return c[0] == c[2] || c[1] == c[3];
}

/* Removes from arr (in q) every reference to object id; 1 when one was. */
static int drop_refs(qpdf_data q, qpdf_oh arr, int id)
{
    int dropped = 0;
    for (int i = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0; i-- > 0;) {
        qpdf_oh x = qpdf_oh_get_array_item(q, arr, i);
        if (qpdf_oh_is_indirect(q, x) && qpdf_oh_get_object_id(q, x) == id) {
            qpdf_oh_erase_item(q, arr, i);
            dropped = 1;
        }
    }
    return dropped;
}

/* Takes out of the whole file's objects (in memory only) the document timestamps' fields an
 * update added to the AcroForm after the signed revision — new objects (numbered from
 * size_a), listed in /Fields and in their page's /Annots — and the /SigFlags they set, so
 * that the comparison then finds everything else unchanged. *found is how many there were.
 * 0, or -1 with why for /SigFlags that do not say signatures exist. */
static int strip_doc_timestamps(walk *w, qpdf_oh ra, qpdf_oh rb, long long size_a, int *found,
                                char why[96])
{
    *found = 0;
    qpdf_oh form_a = qpdf_oh_get_key(w->a, ra, "/AcroForm");
    qpdf_oh form = qpdf_oh_get_key(w->b, rb, "/AcroForm");
    qpdf_oh fields = qpdf_oh_get_key_if_dict(w->b, form, "/Fields");
    int n = qpdf_oh_is_array(w->b, fields) ? qpdf_oh_get_array_n_items(w->b, fields) : 0;
    for (int i = n; i-- > 0;) {
        qpdf_oh f = qpdf_oh_get_array_item(w->b, fields, i);
        int id = qpdf_oh_get_object_id(w->b, f);
        if (!qpdf_oh_is_indirect(w->b, f) || id < size_a || !doc_timestamp_field(w->b, f))
            continue;
        qpdf_oh_erase_item(w->b, fields, i);
        (*found)++;
        /* Its widget: out of the annotations of the page it names. Listed on another page,
         * it stays there, and that page then differs. */
        qpdf_oh page = qpdf_oh_get_key(w->b, f, "/P");
        if (!qpdf_oh_is_dictionary(w->b, page) || !qpdf_oh_is_indirect(w->b, page))
            continue;
        qpdf_oh annots = qpdf_oh_get_key(w->b, page, "/Annots");
        qpdf_oh page_a = qpdf_get_object_by_id(w->a, qpdf_oh_get_object_id(w->b, page),
                                               qpdf_oh_get_generation(w->b, page));
        /* A page that had no annotations gets none back rather than an empty array. */
        if (drop_refs(w->b, annots, id) && qpdf_oh_get_array_n_items(w->b, annots) == 0 &&
            qpdf_oh_is_dictionary(w->a, page_a) && !qpdf_oh_has_key(w->a, page_a, "/Annots"))
            qpdf_oh_remove_key(w->b, page, "/Annots");
    }
    if (!*found)
        return 0;
    /* /SigFlags must say that signatures exist (bit 1); what else it said is the revision's. */
    qpdf_oh flags = qpdf_oh_get_key(w->b, form, "/SigFlags");
    if (!qpdf_oh_is_integer(w->b, flags) || !(qpdf_oh_get_int_value(w->b, flags) & 1)) {
        snprintf(why, 96, "the document timestamp's form has no /SigFlags");
        return -1;
    }
    qpdf_oh flags_a = qpdf_oh_get_key_if_dict(w->a, form_a, "/SigFlags");
    if (qpdf_oh_is_integer(w->a, flags_a))
        qpdf_oh_replace_key(w->b, form, "/SigFlags",
                            qpdf_oh_new_integer(w->b, qpdf_oh_get_int_value(w->a, flags_a)));
    else
        qpdf_oh_remove_key(w->b, form, "/SigFlags");
    return 0;
}

int pades_only_dss_after(const char *pdf, size_t len, size_t signed_len, int timestamps_ok,
                         char why[96])
{
    snprintf(why, 96, "out of memory");
    walk w = {0};
    int rc = -1;
    if (signed_len < 8 || signed_len >= len)
        return -1;
    if (!(w.a = qpdf_init()) || !(w.b = qpdf_init()))
        goto cleanup;
    qpdf_silence_errors(w.a);
    qpdf_silence_errors(w.b);
    qpdf_set_suppress_warnings(w.a, QPDF_TRUE);
    qpdf_set_suppress_warnings(w.b, QPDF_TRUE);
    if ((qpdf_read_memory(w.a, "signed", pdf, signed_len, NULL) & QPDF_ERRORS) ||
        (qpdf_read_memory(w.b, "pdf", pdf, len, NULL) & QPDF_ERRORS)) {
        snprintf(why, 96, "the file or its signed revision cannot be read");
        goto cleanup;
    }
    qpdf_oh ra = qpdf_get_root(w.a), rb = qpdf_get_root(w.b);
    qpdf_oh sa = qpdf_oh_get_key(w.a, qpdf_get_trailer(w.a), "/Size");
    qpdf_oh sb = qpdf_oh_get_key(w.b, qpdf_get_trailer(w.b), "/Size");
    long long size_a = qpdf_oh_is_integer(w.a, sa) ? qpdf_oh_get_int_value(w.a, sa) : 0;
    long long size = qpdf_oh_is_integer(w.b, sb) ? qpdf_oh_get_int_value(w.b, sb) : 0;
    /* An update adds objects and never has fewer than the revision it extends. */
    if (size < 1 || size > OBJECT_MAX || size < size_a) {
        snprintf(why, 96, "the update after it has a false object count");
        goto cleanup;
    }
    if (!qpdf_oh_is_indirect(w.a, ra) || !qpdf_oh_is_indirect(w.b, rb) ||
        qpdf_oh_get_object_id(w.a, ra) != qpdf_oh_get_object_id(w.b, rb) ||
        qpdf_oh_get_generation(w.a, ra) != qpdf_oh_get_generation(w.b, rb)) {
        snprintf(why, 96, "the update after it replaces the catalog");
        goto cleanup;
    }
    /* Sized by qpdf's bound, not by the trailer's /Size: an update could claim a small count
     * and still define (and qpdf resolve) objects past it. */
    if (!(w.seen = calloc(OBJECT_MAX / 8 + 1, 1)))
        goto cleanup;
    /* The update must bring a DSS: bytes that add none are no DSS update. */
    qpdf_oh da = qpdf_oh_get_key(w.a, ra, "/DSS"), db = qpdf_oh_get_key(w.b, rb, "/DSS");
    char *dss_a = strdup(qpdf_oh_unparse_resolved(w.a, da));
    if (!dss_a)
        goto cleanup;
    int new_dss =
        qpdf_oh_is_dictionary(w.b, db) && strcmp(dss_a, qpdf_oh_unparse_resolved(w.b, db)) != 0;
    free(dss_a);
    int stamps = 0;
    if (timestamps_ok && strip_doc_timestamps(&w, ra, rb, size_a, &stamps, why) != 0)
        goto cleanup;
    if (!new_dss && !stamps) {
        snprintf(why, 96, "bytes after the last signature are not signed");
        goto cleanup;
    }
    /* The catalog compared without its /DSS (in memory only: nothing is written). */
    qpdf_oh_remove_key(w.a, ra, "/DSS");
    qpdf_oh_remove_key(w.b, rb, "/DSS");
    const char *info[2];
    char *info_a =
        strdup(qpdf_oh_unparse(w.a, qpdf_oh_get_key(w.a, qpdf_get_trailer(w.a), "/Info")));
    info[1] = qpdf_oh_unparse(w.b, qpdf_oh_get_key(w.b, qpdf_get_trailer(w.b), "/Info"));
    info[0] = info_a;
    int same_info = info_a && strcmp(info[0], info[1]) == 0;
    if (!info_a || push(&w, qpdf_oh_get_object_id(w.b, rb), qpdf_oh_get_generation(w.b, rb)) ||
        push_refs(&w, info[1]) != 0) {
        free(info_a);
        goto cleanup;
    }
    free(info_a);
    if (!same_info) {
        snprintf(why, 96, "the update after it changes the document information");
        goto cleanup;
    }
    while (w.top > 0) {
        w.top--;
        int id = w.stack[w.top][0], gen = w.stack[w.top][1];
        int same = same_object(&w, id, gen);
        if (same < 0)
            goto cleanup;
        if (!same) {
            snprintf(why, 96, "the update after it changes object %d %d", id, gen);
            goto cleanup;
        }
    }
    if (qpdf_has_error(w.a) || qpdf_has_error(w.b)) {
        snprintf(why, 96, "the file or its signed revision is damaged");
        goto cleanup;
    }
    why[0] = '\0';
    rc = 0;
cleanup:
    if (w.too_far)
        snprintf(why, 96, "the update after it refers to an object past %d", OBJECT_MAX);
    free(w.stack);
    free(w.seen);
    if (w.a)
        qpdf_cleanup(&w.a);
    if (w.b)
        qpdf_cleanup(&w.b);
    return rc;
}
