/*
 * error — the one registry of failure codes. Every module returns 0 on success and -1 on
 * failure, filling an `error` with a code from this table; entrances turn the code into an
 * HTTP status and a French or English message with the functions below.
 */
#ifndef GUICHET_UTIL_ERROR_H
#define GUICHET_UTIL_ERROR_H

typedef enum err_code {
    ERR_NONE = 0,
    ERR_BAD_REQUEST,    /* 400 malformed input (syntax, encoding) */
    ERR_MISSING_ARG,    /* 400 a required argument is absent; error.arg names it */
    ERR_INVALID_ARG,    /* 400 an argument has a wrong value; error.arg names it */
    ERR_UNAUTHORIZED,   /* 401 no or unknown credentials (JSON API) */
    ERR_FORBIDDEN,      /* 403 credentials refused or insufficient */
    ERR_NOT_FOUND,      /* 404 */
    ERR_METHOD,         /* 405 */
    ERR_CONFLICT,       /* 409 e.g. a transition not allowed from the current status */
    ERR_TOO_LARGE,      /* 413 body over its limit */
    ERR_URI_TOO_LONG,   /* 414 request target over its limit */
    ERR_MISDIRECTED,    /* 421 the Host names no collectivité of a multi-collectivité server */
    ERR_UNSUPPORTED,    /* 415 content type not accepted */
    ERR_RATE_LIMITED,   /* 429 */
    ERR_INTERNAL,       /* 500 our own bug: logged loudly */
    ERR_UNAVAILABLE,    /* 503 storage busy or full: retry later */
    ERR_COUNT
} err_code;

typedef enum lang { LANG_FR = 0, LANG_EN = 1 } lang;

typedef struct error {
    err_code code;
    char arg[64];     /* the argument at fault, "" when none */
    char detail[240]; /* English detail for logs and API clients; never personal data */
} error;

/* Fills e (when not NULL) and returns -1, so that `return error_set(...)` reads naturally.
 * arg may be NULL. detail is a printf format, may be NULL. */
int error_set(error *e, err_code code, const char *arg, const char *detail, ...)
    __attribute__((format(printf, 4, 5)));
void error_clear(error *e);

/* HTTP status for a code (500 for unknown codes). */
int err_http_status(err_code code);
/* Stable machine-readable name, e.g. "invalid_argument". */
const char *err_name(err_code code);
/* A short, polite sentence for the person at the other end, in the given language. */
const char *err_message(err_code code, lang l);

#endif
