/*
 * sms_keyword — keywords that file requests by SMS (see sms_keyword.h).
 */
#include "core/sms_keyword.h"

#include <stdio.h>
#include <string.h>

#include "core/address.h"
#include "core/change.h"
#include "core/core_internal.h"
#include "core/procedure_key.h"
#include "core/phone_verify.h"
#include "core/sms.h"
#include "util/log.h"
#include "util/utf8.h"

#define TOO_MANY_DETAIL "the collectivité has its greatest number of keywords"

const char *sms_keyword_problem_name(sms_keyword_problem p)
{
    static const char *const names[] = {"ok",       "empty", "too_long", "not_word",
                                        "reserved", "taken", "too_many"};
    return (size_t)p < sizeof names / sizeof names[0] ? names[p] : "invalid";
}

sms_keyword_problem sms_keyword_normalise(const char *typed, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (!typed)
        return SMS_KEYWORD_EMPTY;
    while (*typed == ' ' || *typed == '\t')
        typed++;
    size_t n = strlen(typed);
    while (n && (typed[n - 1] == ' ' || typed[n - 1] == '\t'))
        n--;
    if (n == 0)
        return SMS_KEYWORD_EMPTY;
    if (!utf8_valid(typed, n))
        return SMS_KEYWORD_NOT_WORD;
    if (utf8_length(typed, n) > SMS_KEYWORD_MAX)
        return SMS_KEYWORD_TOO_LONG;
    /* Letters and digits only: an ASCII byte that is neither is a blank or a sign; other
     * characters must fold to letters (É, œ), which address_words checks by keeping them. */
    char copy[SMS_KEYWORD_MAX * 4 + 1];
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)typed[i];
        if (ch < 0x80 &&
            !((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return SMS_KEYWORD_NOT_WORD;
    }
    memcpy(copy, typed, n);
    copy[n] = '\0';
    char folded[SMS_KEYWORD_FOLDED_MAX + 2];
    address_words(copy, folded, sizeof folded);
    /* A character that does not fold to a letter separates words or vanishes: «É» stays
     * one letter, «€» or «’» would not. */
    if (!*folded || strchr(folded, ' ') || strlen(folded) > SMS_KEYWORD_FOLDED_MAX)
        return SMS_KEYWORD_NOT_WORD;
    if (strlen(folded) < utf8_length(typed, n)) /* a character fell out: not a letter */
        return SMS_KEYWORD_NOT_WORD;
    if (sms_is_stop(folded) || sms_is_start(folded))
        return SMS_KEYWORD_RESERVED;
    if (strlen(folded) >= cap)
        return SMS_KEYWORD_TOO_LONG;
    memcpy(out, folded, strlen(folded) + 1);
    return SMS_KEYWORD_OK;
}

int sms_keyword_first(const char *text, char *word, size_t cap, const char **rest)
{
    if (cap)
        word[0] = '\0';
    *rest = text;
    if (!text)
        return 0;
    while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
        text++;
    size_t n = strcspn(text, " \t\r\n");
    /* Signs stuck to its end are not the word's: «TROU,» «Trou:». */
    while (n && strchr(".,;:!?-", text[n - 1]))
        n--;
    if (n == 0 || n > SMS_KEYWORD_MAX * 4)
        return 0;
    char token[SMS_KEYWORD_MAX * 4 + 1];
    memcpy(token, text, n);
    token[n] = '\0';
    if (sms_keyword_normalise(token, word, cap) != SMS_KEYWORD_OK)
        return 0;
    const char *r = text + strcspn(text, " \t\r\n");
    while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n' || *r == ',' || *r == ':')
        r++;
    *rest = r;
    return 1;
}

int sms_keyword_procedure_ok(const cat_procedure *p)
{
    return p && p->rec.kind == PROCEDURE_INCIDENT && procedure_key_text_ok(p);
}

int sms_keyword_list(core *c, int64_t tenant_id, arena *a, store_sms_keyword **out, size_t *n,
                     error *err)
{
    return c->store->ops->sms.keyword_list(c->store, tenant_id, a, out, n, err);
}

const cat_procedure *sms_keyword_procedure(core *c, const cat_tenant *t, const char *word)
{
    arena a;
    arena_init(&a, 0);
    store_sms_keyword *list = NULL;
    size_t n = 0;
    error err;
    error_clear(&err);
    const cat_procedure *found = NULL;
    if (sms_keyword_list(c, t->rec.id, &a, &list, &n, &err) != 0) {
        log_warn("sms in: keywords unreadable: %s", err.detail);
        n = 0;
    }
    for (size_t i = 0; i < n && !found; i++)
        if (strcmp(list[i].keyword, word) == 0) {
            const cat_procedure *p = catalogue_procedure_by_id(t, list[i].procedure_id);
            if (sms_keyword_procedure_ok(p))
                found = p;
        }
    arena_free(&a);
    return found;
}

#define REPORT_PLACES 5 /* hits looked at to place a report */

int sms_report_file(core *c, const cat_tenant *t, const cat_procedure *p, const char *from,
                    const char *text, const char *base_url, sms_report *out, core_done_fn cb,
                    void *ctx, error *err)
{
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return error_set(err, ERR_MISSING_ARG, "description", "the report says nothing");
    if (utf8_length(text, strlen(text)) > SMS_REPORT_TEXT_MAX)
        return error_set(err, ERR_INVALID_ARG, "description", "at most %d characters",
                         SMS_REPORT_TEXT_MAX);
    request_input in = {.tenant = t,
                        .procedure = p,
                        .ch = CHANNEL_SMS,
                        .description = text,
                        .description_max = SMS_REPORT_TEXT_MAX,
                        .ignore_unknown_attrs = 1,
                        .phone = from,
                        .notify = "sms",
                        .ack_base_url = base_url};
    arena a;
    arena_init(&a, 0);
    store_address *hits = NULL;
    const store_address *take = NULL;
    size_t n = 0;
    error e;
    error_clear(&e);
    if (address_resolve(c, t->rec.id, text, NULL, REPORT_PLACES, &a, &hits, &n, &take, &e) != 0)
        log_warn("sms in: the address list could not be searched: %s", e.detail);
    /* The sender's account, when their number is verified on it: the report is theirs. */
    int64_t account_id = 0;
    if (phone_verified_account(c, t->rec.id, from, &account_id, &e) != 0)
        log_warn("sms in: the accounts could not be read: %s", e.detail);
    in.citizen_id = account_id;
    if (take) {
        in.address = take->label;
        in.lat = take->lat;
        in.lon = take->lon;
        in.has_location = 1;
        out->placed = 1;
    } else {
        in.sms_unplaced = text;
    }
    /* request_create copies what it keeps: the arena may go when it returns. */
    int rc = request_create(c, &in, &out->created, cb, ctx, err);
    arena_free(&a);
    return rc;
}

static int apply_add(store *s, void *arg, int64_t *id, error *err)
{
    const procedure_key *k = arg;
    *id = k->procedure_id;
    /* Counted in the job, which no other write interleaves with. */
    arena a;
    arena_init(&a, 0);
    store_sms_keyword *list = NULL;
    size_t n = 0;
    int rc = s->ops->sms.keyword_list(s, k->tenant_id, &a, &list, &n, err);
    arena_free(&a);
    if (rc != 0)
        return -1;
    if (n >= SMS_KEYWORDS_MAX)
        return error_set(err, ERR_CONFLICT, "keyword", TOO_MANY_DETAIL);
    store_sms_keyword rec = {
        .tenant_id = k->tenant_id, .keyword = k->key, .procedure_id = k->procedure_id};
    return s->ops->sms.tx_keyword_add(s, &rec, err);
}

static int apply_delete(store *s, void *arg, int64_t *id, error *err)
{
    const procedure_key *k = arg;
    *id = 0;
    return s->ops->sms.tx_keyword_delete(s, k->tenant_id, k->key, err);
}

static const change_def add_change = {"admin", "sms_keyword", apply_add, 0};
static const change_def delete_change = {"admin", "sms_keyword", apply_delete, 0};

/* The folded keyword fits a procedure_key. */
_Static_assert(SMS_KEYWORD_FOLDED_MAX <= PROCEDURE_KEY_MAX, "a folded keyword is a key");

int sms_keyword_add_as(core *c, const core_actor *who, const cat_tenant *t, const char *keyword,
                       const char *procedure_code, sms_keyword_problem *problem, core_done_fn cb,
                       void *ctx, error *err)
{
    procedure_key k = {.tenant_id = t->rec.id};
    sms_keyword_problem pb = sms_keyword_normalise(keyword, k.key, SMS_KEYWORD_FOLDED_MAX + 1);
    if (problem)
        *problem = pb;
    if (pb == SMS_KEYWORD_EMPTY)
        return error_set(err, ERR_MISSING_ARG, "keyword", "the keyword is required");
    if (pb != SMS_KEYWORD_OK)
        return error_set(err, ERR_INVALID_ARG, "keyword", "not a keyword (%s)",
                         sms_keyword_problem_name(pb));
    return procedure_key_add(
        c, who, t, &add_change, &k, procedure_code, sms_keyword_procedure_ok,
        "not an incident procedure of the collectivité an SMS can be filed under", cb, ctx, err);
}

sms_keyword_problem sms_keyword_conflict(const error *err)
{
    return strcmp(err->detail, TOO_MANY_DETAIL) == 0 ? SMS_KEYWORD_TOO_MANY : SMS_KEYWORD_TAKEN;
}

int sms_keyword_delete_as(core *c, const core_actor *who, int64_t tenant_id, const char *keyword,
                          core_done_fn cb, void *ctx, error *err)
{
    procedure_key k = {.tenant_id = tenant_id};
    if (sms_keyword_normalise(keyword, k.key, SMS_KEYWORD_FOLDED_MAX + 1) != SMS_KEYWORD_OK)
        return error_set(err, ERR_NOT_FOUND, "keyword", "no such SMS keyword");
    return change_run(c, who, tenant_id, &delete_change, &k, sizeof k, NULL, cb, ctx, err);
}
