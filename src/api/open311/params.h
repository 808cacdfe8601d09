/*
 * params — the Open311 GeoReport v2 arguments turned into checked values, without core: the
 * POST Service Request form (service_code, location, attribute[CODE], contact, description,
 * media_url…) and the GET Service Requests filters (service_request_id, service_code, dates,
 * status, page, page_size, extensions). Pure functions over a parsed form, so that they can
 * be fuzzed (tests/fuzz/fuzz_open311.c). Every failure names the argument in err->arg.
 */
#ifndef GUICHET_API_OPEN311_PARAMS_H
#define GUICHET_API_OPEN311_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/attrs.h"
#include "core/request.h"
#include "util/arena.h"
#include "util/error.h"
#include "util/form.h"

#define O311_DESCRIPTION_MAX 4000 /* characters, from the spec: what answers write at most */
/* What POST keeps: guichet's own maximum, since clients (FixMyStreet) do not cap their text
 * at the spec's 4,000 characters and a report cut on the way in is lost. */
#define O311_POST_DESCRIPTION_MAX REQUEST_DESCRIPTION_MAX
#define O311_FIELD_MAX 500        /* characters: address, names, ids, URL */
#define O311_MAX_RESULTS 1000     /* the spec's "first 1000 requests" */
#define O311_MAX_IDS O311_MAX_RESULTS
#define O311_MAX_CODES 32
#define O311_RANGE_DAYS 90 /* the window a missing start_date or end_date stands for */
#define O311_IDEMPOTENCY_KEY_MAX 128
#define O311_UPDATE_ID_MAX 128 /* characters of a client's own update_id */

/* POST /requests: every string is NULL when absent or empty (the spec's "Optional": an empty
 * argument counts as not passed); strings point into the form's arena. */
typedef struct o311_post {
    const char *jurisdiction_id;
    const char *api_key;
    const char *service_code; /* never NULL after success */
    int has_location;         /* lat and long both given and valid */
    double lat, lon;
    const char *address_string, *address_id;
    const char *email, *device_id, *account_id, *first_name, *last_name, *phone;
    const char *description; /* at most O311_POST_DESCRIPTION_MAX characters */
    const char *media_url;   /* http or https */
    /* lang (guichet's extension): the tag as given, and the language of the messages about
     * the request it stands for: "en" when its primary subtag is en, "fr" for any other;
     * both NULL when not given (the entrance then takes the request's ?lang= or
     * Accept-Language). */
    const char *lang_tag, *lang_code;
    attr_input *attrs;       /* attribute[CODE]=v and attribute[CODE][]=v, in input order */
    size_t n_attrs;
    /* internal: raw coordinates before they are checked */
    const char *lat_text, *long_text;
} o311_post;

/* Reads and checks the POST arguments of f. -1 with err: ERR_MISSING_ARG (service_code, or
 * one of lat/long without the other), ERR_INVALID_ARG naming the field (syntax, range,
 * length, control characters, URL scheme, a field given twice, a malformed attribute[…]
 * name). The location requirement (incidents) and attribute values are core's to check. */
int o311_params_post(arena *a, const form *f, o311_post *out, error *err);

/* GET /requests filters. */
typedef struct o311_query {
    const char *jurisdiction_id;
    const char **ids; /* service_request_id list; when n_ids > 0 the rest is ignored */
    size_t n_ids;
    const char **codes; /* service_code list */
    size_t n_codes;
    int64_t created_from, created_to; /* inclusive unix seconds */
    int want_open, want_closed;       /* status filter; both 0: any status */
    size_t page;                      /* 1-based */
    size_t page_size;                 /* 1..O311_MAX_RESULTS, default O311_MAX_RESULTS */
    int extensions;
} o311_query;

/* Reads and checks the filters of f, `now` giving the default 90-day window. Both dates given
 * may span any length (clients' back-fills): page_size bounds the answer. A date without
 * offset is read in zone tz (the collectivité's). -1 with ERR_INVALID_ARG naming the
 * argument (bad date, end before start, unknown status, page or page_size out of range, too
 * many ids or codes, extensions not a boolean). */
int o311_params_query(arena *a, const form *f, int64_t now, const char *tz, o311_query *out,
                      error *err);

/* GET /servicerequestupdates. */
typedef struct o311_updates_query {
    const char *jurisdiction_id;
    const char *api_key; /* optional on GET; checked when given */
    int64_t from, to;    /* inclusive unix seconds: start_date, end_date, or the last 90 days */
    size_t page;         /* 1-based */
    size_t page_size;    /* 1..O311_MAX_RESULTS, default O311_MAX_RESULTS */
} o311_updates_query;

/* Reads and checks start_date, end_date (as o311_params_query), page, page_size,
 * jurisdiction_id and api_key. -1 with ERR_INVALID_ARG naming the argument. */
int o311_params_updates(const form *f, int64_t now, const char *tz, o311_updates_query *out,
                        error *err);

/* POST /servicerequestupdates: a comment a client sends on a citizen's behalf. Strings as in
 * o311_post (NULL when absent or empty, pointing into the form). */
typedef struct o311_update_post {
    const char *jurisdiction_id;
    const char *api_key;
    const char *service_request_id;
    const char *update_id; /* the client's own id: the same one again is the same update */
    const char *updated_datetime;
    int64_t updated_at; /* updated_datetime read (no offset: in zone tz) */
    const char *status_text;
    const char *status; /* status_text upper-cased to one of the known words (static) */
    const char *description;
    const char *media_url;
    const char *first_name, *last_name; /* "-" (FixMyStreet's "none") counts as absent */
    const char *email, *phone, *account_id;
} o311_update_post;

/* Reads and checks the POST arguments of f. -1 with err: ERR_MISSING_ARG for
 * service_request_id, update_id, status, updated_datetime or description; ERR_INVALID_ARG
 * naming the field (unknown status, bad date, syntax, length, control characters, URL
 * scheme, a field given twice). */
int o311_params_update_post(const form *f, const char *tz, o311_update_post *out, error *err);

/* Only jurisdiction_id (GET endpoints other than /requests): NULL when absent or empty;
 * -1 with ERR_INVALID_ARG when given twice. */
int o311_params_jurisdiction(const form *f, const char **out, error *err);

/* 1 when an Idempotency-Key header value is acceptable: 1..O311_IDEMPOTENCY_KEY_MAX bytes of
 * printable ASCII without spaces. */
int o311_idempotency_key_valid(const char *key);

#endif
