/*
 * sms_keyword — the words that file a new request by SMS: each collectivité maps keywords
 * («TROU», «ÉCLAIRAGE») to one of its incident procedures, and an SMS whose first word is
 * one («Trou 12 rue de la Paix») becomes a request of channel sms under it, the rest of the
 * text its description. A keyword is one word of letters and digits, compared with accents
 * and case aside, unique in its collectivité.
 */
#ifndef GUICHET_CORE_SMS_KEYWORD_H
#define GUICHET_CORE_SMS_KEYWORD_H

#include <stddef.h>
#include <stdint.h>

#include "core/actor.h"
#include "core/catalogue.h"
#include "core/core.h"
#include "core/request.h"
#include "store/records.h"
#include "util/arena.h"
#include "util/error.h"

#define SMS_KEYWORD_MAX 20        /* characters of a keyword as typed */
#define SMS_KEYWORD_FOLDED_MAX 40 /* bytes of it folded (an œ folds to "oe") */
#define SMS_KEYWORDS_MAX 50       /* keywords of one collectivité */
/* Characters of a report's text after its keyword: a few SMS, not a letter. */
#define SMS_REPORT_TEXT_MAX 640

/* Why a keyword is refused (the page words each). */
typedef enum sms_keyword_problem {
    SMS_KEYWORD_OK = 0,
    SMS_KEYWORD_EMPTY,    /* nothing typed */
    SMS_KEYWORD_TOO_LONG, /* over SMS_KEYWORD_MAX characters */
    SMS_KEYWORD_NOT_WORD, /* a blank, a dash or another sign: not one word */
    SMS_KEYWORD_RESERVED, /* STOP, ARRET…: the opt-out's words */
    SMS_KEYWORD_TAKEN,    /* the collectivité has it already (ERR_CONFLICT) */
    SMS_KEYWORD_TOO_MANY, /* the collectivité has SMS_KEYWORDS_MAX (ERR_CONFLICT) */
} sms_keyword_problem;

/* The problem's name, for messages and logs ("empty", "too_long"…). */
const char *sms_keyword_problem_name(sms_keyword_problem p);

/* typed folded (lowercase ASCII letters and digits, accents aside: «Éclairage» is
 * "eclairage") into out (SMS_KEYWORD_FOLDED_MAX + 1 bytes); SMS_KEYWORD_OK or the problem. */
sms_keyword_problem sms_keyword_normalise(const char *typed, char *out, size_t cap);

/* The first word of an SMS's text, folded as a keyword, into word (SMS_KEYWORD_FOLDED_MAX
 * + 1 bytes), and *rest where the text after it starts (blanks skipped); 0 when the text
 * does not start with a word (nothing, a sign, a word too long). Punctuation stuck to the
 * word is not part of it: «TROU, 12 rue…» starts with "trou". */
int sms_keyword_first(const char *text, char *word, size_t cap, const char **rest);

/* 1 when p can be given a keyword: an active incident procedure none of whose questions an
 * SMS cannot answer is required. */
int sms_keyword_procedure_ok(const cat_procedure *p);

/* What sms_report_file did. */
typedef struct sms_report {
    request_created created;
    int placed; /* 1: the text named an address of the list, the request is there */
} sms_report;

/* Files an SMS report: a request of channel sms under p (sms_keyword_procedure), from
 * `from` (E.164, its contact, news by SMS, the acknowledgement by SMS with links under
 * base_url), `text` (what follows the keyword, at most SMS_REPORT_TEXT_MAX characters) its
 * description. When the text is an address the collectivité's list resolves
 * (address_resolve: one numbered address, or one hit), the request is placed there; else it
 * is filed without location — an SMS report is accepted so, whatever its procedure asks of
 * the portal's forms — with an internal "sms_unplaced" event asking an agent to place it.
 * When `from` is an account's verified number (phone_verified_account), the request is that
 * account's («Mes demandes»).
 * ERR_MISSING_ARG "description" when the text is empty, ERR_INVALID_ARG "description" when
 * over its bound; otherwise as request_create (asynchronous; out valid until cb). */
int sms_report_file(core *c, const cat_tenant *t, const cat_procedure *p, const char *from,
                    const char *text, const char *base_url, sms_report *out, core_done_fn cb,
                    void *ctx, error *err);

/* t's keywords with their procedures, by keyword (strings in a). */
int sms_keyword_list(core *c, int64_t tenant_id, arena *a, store_sms_keyword **out, size_t *n,
                     error *err);

/* The procedure an SMS of t starting with `word` (folded) is filed under: NULL when the word
 * is no keyword of t or its procedure can no longer take one (sms_keyword_procedure_ok). */
const cat_procedure *sms_keyword_procedure(core *c, const cat_tenant *t, const char *word);

/* Adds a keyword (an admin's change, audited "admin" "sms_keyword"): ERR_MISSING_ARG or
 * ERR_INVALID_ARG naming "keyword" (its problem in *problem, which may be NULL) or
 * "procedure" (not one of t's, or not sms_keyword_procedure_ok); ERR_CONFLICT naming
 * "keyword" when t has it already (any case or accent) or has SMS_KEYWORDS_MAX (the job
 * checks both; the page tells them apart by sms_keyword_conflict). Asynchronous as change_run;
 * strings are copied. */
int sms_keyword_add_as(core *c, const core_actor *who, const cat_tenant *t, const char *keyword,
                       const char *procedure_code, sms_keyword_problem *problem, core_done_fn cb,
                       void *ctx, error *err);
/* The problem an ERR_CONFLICT of sms_keyword_add_as stands for: SMS_KEYWORD_TAKEN or
 * SMS_KEYWORD_TOO_MANY. */
sms_keyword_problem sms_keyword_conflict(const error *err);
/* Removes a keyword (folded or as typed); ERR_NOT_FOUND when t has none such. Asynchronous as
 * change_run. */
int sms_keyword_delete_as(core *c, const core_actor *who, int64_t tenant_id, const char *keyword,
                          core_done_fn cb, void *ctx, error *err);

#endif
