/*
 * attrs — a procedure's attribute definitions (the Open311 service definition: six datatypes,
 * required flags, list values) parsed from their JSON form, and validation of the values a
 * citizen or a client gives for them.
 *
 * Stored JSON form (procedures.attributes), an array of:
 *   {"code": "taille", "datatype": "singlevaluelist", "required": true, "variable": true,
 *    "description": "Taille du trou", "datatype_description": "…", "order": 1,
 *    "description_en": "Size of the hole", "datatype_description_en": "…",
 *    "values": [{"key": "petit", "name": "Petit (moins de 20 cm)", "name_en": "Small"}]}
 * The *_en members are optional English texts (as a procedure's name_en): English pages show
 * them, the French where none is given (attr_label, attr_hint, attr_value_name).
 * A string question may also have "format": "siret", "siren", "iban", "code_postal",
 * "telephone" or "email" (attr_format): its values are checked as such and stored normalised.
 * Datatypes beyond Open311's: "date" (a calendar day), "email" and "phone" (a string of
 * format email or telephone), "yesno" (a singlevaluelist of the keys "oui" and "non", no
 * "values" given) and "section" (a heading, its description, with help text, its
 * datatype_description, grouping the questions after it up to the next section; nothing is
 * asked), "file" (a document the citizen attaches on the portal: the request's attachment,
 * the question's value its file name; only the portal's form carries files, so only there is
 * one required — attrs_policy.files — and Open311 does not expose it), "location" (a place
 * other than an incident's own: the address as typed or as the collectivité's address list
 * names it, and its position when one was found; Open311 does not expose it either, and only
 * where the entrance asks it — attrs_policy.locations — is one required).
 * Conditional display: any question or section may have "show_if": {"field": CODE,
 * "equals": KEY} or {"field": CODE, "in": [KEY, …]}: it is shown only when the question
 * CODE, which comes before it, is shown and was given that value (one of those, or for a
 * multivaluelist, one of its chosen values); the questions of a hidden section are hidden.
 * A hidden question is neither required nor stored (attrs_validate drops its values).
 * Stored values (requests.attributes): a JSON object code -> string (array of strings for
 * multivaluelist, object {"address": TEXT, "lat": DEGREES, "lon": DEGREES} for location,
 * lat and lon only when a position was given).
 */
#ifndef GUICHET_CORE_ATTRS_H
#define GUICHET_CORE_ATTRS_H

#include <jansson.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"
#include "util/fr_ids.h"

typedef enum attr_type {
    ATTR_STRING = 0,
    ATTR_NUMBER,
    ATTR_DATETIME,
    ATTR_TEXT,
    ATTR_SINGLEVALUELIST,
    ATTR_MULTIVALUELIST,
    ATTR_DATE,     /* ours, not Open311's: a calendar day, "2026-12-05" */
    ATTR_SECTION,  /* ours: a heading grouping the questions after it, never a value */
    ATTR_FILE,     /* ours: a document the portal's form attaches; its value is the file's name */
    ATTR_LOCATION, /* ours: an address and maybe its position, stored as an object */
    ATTR_TYPE_COUNT
} attr_type;

/* What a string question's values are, beyond one line of text (member "format"). */
typedef enum attr_format {
    ATTR_FORMAT_NONE = 0,
    ATTR_FORMAT_SIRET,
    ATTR_FORMAT_SIREN,
    ATTR_FORMAT_IBAN,
    ATTR_FORMAT_CODE_POSTAL,
    ATTR_FORMAT_TELEPHONE,
    ATTR_FORMAT_EMAIL,
    ATTR_FORMAT_COUNT
} attr_format;

#define ATTR_STRING_MAX 1000 /* characters, single line */
#define ATTR_TEXT_MAX 10000  /* characters */
#define ATTR_CODE_MAX 48     /* bytes of a code: keeps "attribute[CODE][]" inside error.arg */
#define ATTR_LABEL_MAX 2000  /* characters of a label, a hint or a value's name, idem */
#define ATTR_FILE_NAME_MAX 255 /* characters of a file question's value, a file's name */

typedef struct attr_value {
    const char *key;
    const char *name;
    const char *name_en; /* NULL when none */
} attr_value;

typedef struct attr_def attr_def;
struct attr_def {
    const char *code;
    attr_type type;
    int variable; /* 0: informational only, no input */
    int required;
    int order;
    const char *description;
    const char *datatype_description; /* NULL when none */
    const char *description_en;       /* NULL when none */
    const char *datatype_description_en; /* NULL when none */
    attr_format format;                  /* ATTR_FORMAT_NONE but for some string questions */
    attr_value *values;
    size_t n_values;
    int yesno;                /* datatype "yesno": a singlevaluelist of "oui" and "non" */
    const char *show_field;   /* show_if's question, NULL when always shown */
    const char **show_values; /* the keys that show it */
    size_t n_show_values;
    /* 1 when a condition (its own or its section's) may hide it: Open311 says such a
     * question is not required, and the server checks it. */
    int conditional;
    const attr_def *section; /* the section it is under, NULL when none (set by the parse) */
};

/* One value given for an attribute; a multivaluelist gives one entry per chosen key. A
 * location's value is its address as text, or an object {"address": TEXT, "lat": DEGREES,
 * "lon": DEGREES} as JSON text (what attr_location_input writes; lat and lon both or
 * neither), read as such when it begins with '{'. */
typedef struct attr_input {
    const char *code;
    const char *value;
} attr_input;

/* A location's input value (attr_input) for an address and the position found for it, in
 * decimal degrees as text (both NULL or "" when none): the JSON text, in a; NULL when out of
 * memory. Degrees that are not numbers are written as they are, for attrs_validate to refuse. */
const char *attr_location_input(arena *a, const char *address, const char *lat, const char *lon);

/* Datatype name of a type ("singlevaluelist", "date", …), and the reverse (-1 if unknown;
 * the aliases "email", "phone" and "yesno" are read by the definitions' parse only). */
const char *attr_type_name(attr_type t);
int attr_type_parse(const char *name, attr_type *out);

/* Name of a format ("siret", "" for none), and the reverse (-1 if unknown; "" is none). */
const char *attr_format_name(attr_format f);
int attr_format_parse(const char *name, attr_format *out);
/* What a format expects, a sentence in language l for clients (Open311's
 * datatype_description) and people ("14 chiffres…"); NULL for ATTR_FORMAT_NONE. Static. */
const char *attr_format_note(attr_format f, lang l);
/* Checks a value of a question of format f (not ATTR_FORMAT_NONE): 0 with *stored the
 * normalised value (allocated in a: SIREN/SIRET digits, a compact upper-case IBAN, a code
 * postal's 5 digits, a telephone number in E.164, an e-mail address as given); -1 with *r
 * saying what is wrong (an e-mail address that is not one: FR_ID_CHARACTERS), -2 out of
 * memory. */
int attr_format_check(arena *a, attr_format f, const char *value, const char **stored,
                      fr_id_result *r);

/* Parses a JSON definition array (NULL or "" gives none) into defs allocated in a, sorted by
 * order. Lenient with what the catalogue holds already (unknown members and ill-typed
 * optional texts are ignored); attrs_check is the strict gate for new text. -1 with
 * ERR_INVALID_ARG naming the faulty attribute. */
int attrs_parse_definitions(arena *a, const char *json, attr_def **defs, size_t *n,
                            error *err);

/* What is wrong with a definition text, for a message that names the place (attrs_check). */
typedef enum attrs_problem_kind {
    ATTRS_OK = 0,
    ATTRS_SYNTAX,               /* not JSON: line, column */
    ATTRS_NOT_ARRAY,            /* not an array */
    ATTRS_TOO_MANY,             /* more than max questions */
    ATTRS_NOT_OBJECT,           /* question item is not an object */
    ATTRS_UNKNOWN_MEMBER,       /* question item has member `member` no definition has */
    ATTRS_NO_CODE,              /* question item has no code */
    ATTRS_BAD_CODE,             /* its code is not 1 to max letters, digits, - _ . */
    ATTRS_REPEATED_CODE,        /* its code is an earlier question's */
    ATTRS_NO_DATATYPE,          /* no datatype */
    ATTRS_BAD_DATATYPE,         /* datatype `member` unknown */
    ATTRS_NOT_TEXT,             /* member is not a string of at most max characters */
    ATTRS_NOT_BOOL,             /* member is not true or false */
    ATTRS_NOT_INTEGER,          /* member ("order") is not an integer */
    ATTRS_VALUES_COUNT,         /* a list question without 1 to max values */
    ATTRS_VALUE_NOT_OBJECT,     /* value `value` of question item is not an object */
    ATTRS_VALUE_UNKNOWN_MEMBER, /* it has member `member` */
    ATTRS_VALUE_NO_KEY,         /* it has no key */
    ATTRS_VALUE_NO_NAME,        /* it has no name */
    ATTRS_VALUE_REPEATED_KEY,   /* its key `member` is an earlier value's */
    ATTRS_BAD_FORMAT,           /* format `member` unknown (or not a string) */
    ATTRS_FORMAT_NOT_STRING,    /* a format on a question whose datatype is not string */
    ATTRS_YESNO_VALUES,         /* "values" on a yesno question: its values are fixed */
    ATTRS_BAD_CONDITION,        /* show_if is not {field, equals} or {field, in}: `member` */
    ATTRS_CONDITION_UNKNOWN,    /* show_if names question `member`, which no question is */
    ATTRS_CONDITION_LATER,      /* show_if names question `member`, which comes after it */
    ATTRS_CONDITION_NOT_ASKED,  /* show_if names `member`, a section or a notice: no value */
    ATTRS_CONDITION_BAD_VALUE,  /* show_if's value `member` is not one of the list's keys */
    ATTRS_PROBLEM_COUNT
} attrs_problem_kind;

typedef struct attrs_problem {
    attrs_problem_kind kind;
    size_t item;                  /* the question, from 1 in the text's order; 0 when none */
    size_t value;                 /* the value within it, from 1; 0 when none */
    char code[ATTR_CODE_MAX + 1]; /* the question's code when it has a valid one, else "" */
    char member[48];  /* the member at fault, or the unknown datatype or repeated key (cut) */
    int max;          /* the limit broken, when there is one */
    int line, column; /* ATTRS_SYNTAX: where jansson stopped */
} attrs_problem;

/* Checks a definition text as it is saved (the procedure editor, the CLI): everything
 * attrs_parse_definitions needs, and also no unknown member, texts that are strings of at most
 * ATTR_LABEL_MAX characters, flags that are booleans, codes of at most ATTR_CODE_MAX letters,
 * digits, '-', '_' or '.', no key twice in a list, a known format and only on a string
 * question. NULL or "" is no question. 0 when valid;
 * -1 with *pb saying what and where (the first problem in the text's order). */
int attrs_check(const char *json, attrs_problem *pb);
/* A stable name of kind for messages ("not_text", …); "" for ATTRS_OK. */
const char *attrs_problem_name(attrs_problem_kind kind);

/* The texts people read in language l: the English given for them when l is LANG_EN, the
 * French otherwise. The label falls back to the code, the hint to NULL; a value's name is
 * the key itself for a key the list does not have (a definition changed since). Borrowed
 * from d. */
const char *attr_label(const attr_def *d, lang l);
const char *attr_hint(const attr_def *d, lang l);
const char *attr_value_name(const attr_def *d, const char *key, lang l);
/* The definition of code among defs[0..n), NULL when none. */
const attr_def *attrs_find(const attr_def *defs, size_t n, const char *code);
/* 1 when d (one of defs[0..n)) is shown for the values in[0..n_in): its section is shown,
 * and its condition, if any, holds (the question it names is shown and has a value it
 * names). */
int attrs_shown(const attr_def *defs, size_t n, const attr_def *d, const attr_input *in,
                size_t n_in);
/* 1 when d is a question Open311 exposes (a section, a file or a location question are
 * not). */
int attr_open311_exposed(const attr_def *d);

/* A stored location value v (an object {address, lat, lon}): its address, borrowed from v,
 * NULL when v is not one; *has_pos 1 with *lat and *lon when it has a position. */
const char *attr_location_of(const json_t *v, int *has_pos, double *lat, double *lon);

/* A date as people and clients give it, into *iso ("2026-12-05", in a; value itself when
 * it is that already): YYYY-MM-DD, a date typed the French way (05/12/2026, 5/12/2026, blanks
 * around), or a date and time (RFC 3339, or without offset as from a datetime-local input)
 * whose written date is kept, whatever its offset: a client that has only datetimes sends the
 * day it means. Only real calendar days, years 1000 to 9999. 0, -1 when value is none of
 * those, -2 out of memory. */
int attr_date_read(arena *a, const char *value, const char **iso);

/* How far attrs_validate goes beyond the letter of the definitions. */
typedef struct attrs_policy {
    /* The collectivité's zone: a datetime without offset ("2026-12-05T14:30", what an HTML
     * datetime-local sends) is the time its clocks show, stored as RFC 3339 with its offset.
     * NULL: such a value is refused. */
    const char *tz;
    /* 1: a code no definition has is dropped and logged (Open311 clients send their own extra
     * fields) instead of refused. Defined codes are checked as strictly either way. */
    int ignore_unknown;
    /* 1: the entrance attaches the files its file questions name (the portal's form), so a
     * required one is required; 0: a value given for a file question is dropped (no file
     * comes with it) and none is required. */
    int files;
    /* 1: the entrance asks location questions (the portal's and the counter's forms), so a
     * required one is required; 0: a value given for one is dropped and none is required
     * (Open311 does not expose them). A NULL policy asks them. */
    int locations;
} attrs_policy;

/* Checks inputs against defs: values of questions hidden by a condition (attrs_shown) are
 * dropped unchecked, and a hidden question is not required; then unknown or non-variable codes,
 * datatypes (number: decimal, and with a policy also with blanks around it or a decimal comma,
 * stored as "2.5"; datetime: RFC 3339, or a local time in policy->tz; date: YYYY-MM-DD, and with a
 * policy whatever attr_date_read reads, stored as YYYY-MM-DD; string: one line, and its format's
 * rule, stored normalised (attr_format_check); location: an address of one line, a position
 * both or neither of whose degrees are given, within ±90 and ±180; list keys), lengths,
 * required ones present. policy may be NULL (strict). On success returns the normalised JSON
 * object text in *json_out (allocated in a; "{}" when none). On failure -1 with
 * ERR_MISSING_ARG/ERR_INVALID_ARG and err->arg "attribute[CODE]". */
int attrs_validate(arena *a, const attr_def *defs, size_t n, const attr_input *in,
                   size_t n_in, const attrs_policy *policy, const char **json_out,
                   error *err);

#endif
