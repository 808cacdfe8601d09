/*
 * demo_data — private to the demo loader (demo.c): the static tables of «Ville de Démo»
 * (tenant, departments and the identifiers of their agents, procedures with their attribute
 * definitions, streets, people, text fragments, reply templates). Nothing outside src/cli/demo*.c
 * includes this header.
 */
#ifndef GUICHET_CLI_DEMO_DATA_H
#define GUICHET_CLI_DEMO_DATA_H

#include <stddef.h>

/* The record types (store_tenant, the procedure kinds) as the loader hands them to core. */
#include "core/admin.h"
#include "core/branding.h"

/* The commune is fictional. Its area is the square centred on 45.7640 N, 4.8357 E with
 * half-sides of 0.02 degrees (about 2.2 km north-south, 1.6 km east-west); every incident
 * lies inside it. */
#define DEMO_LAT_CENTER 45.7640
#define DEMO_LON_CENTER 4.8357
#define DEMO_HALF_SIDE 0.02
#define DEMO_ZIPCODE "69999"

extern const store_tenant demo_tenant;
/* Its branding and settings (colours, opening hours, contact details, map centre), as an
 * administrator would type them, and its logo: an SVG drawn for the demo, which core turns
 * into a PNG like any uploaded one. */
extern const branding_input demo_branding;
extern const char demo_logo_svg[];

typedef struct demo_department {
    const char *code, *name, *email;
    const char *const *agents; /* NULL-terminated assignee identifiers */
} demo_department;

extern const demo_department demo_departments[];
extern const size_t demo_n_departments;

/* A description template. `text` may contain {lieu} (the street address) and {v:CODE} (the
 * value chosen for attribute CODE, its name for list attributes). `forced` fixes attribute
 * values so that the text and the values agree: "code=key,code=key+key" or NULL. */
typedef struct demo_text {
    const char *forced;
    const char *text;
} demo_text;

typedef struct demo_procedure {
    const char *code, *name, *group, *description, *keywords;
    const char *attributes; /* JSON definitions, see core/attrs.h */
    const char *notice;     /* service_notice */
    const char *department; /* department code */
    int kind, is_public, open311, delay_days;
    unsigned weight;             /* relative frequency among requests */
    const demo_text *texts;      /* NULL-text-terminated */
    const char *const *details;  /* NULL-terminated second sentences */
    const char *const *resolved; /* NULL-terminated public notes on resolution */
    const char *const *rejected; /* NULL-terminated public notes on rejection */
    int priority_shift;          /* added to the usual priority draw (arbres: +1) */
    unsigned flags;              /* DEMO_AUTO_PUBLIC, DEMO_ANONYMOUS */
} demo_procedure;

#define DEMO_AUTO_PUBLIC 1u /* public at once, without an agent's acceptance */
#define DEMO_ANONYMOUS 2u   /* may be filed without any contact detail */

extern const demo_procedure demo_procedures[];
/* The English name of demo procedure `code` (what the portal shows English visitors), or
 * NULL. */
const char *demo_procedure_name_en(const char *code);
/* The icon of demo procedure `code` (a name of vendor/icons.txt), or NULL. */
const char *demo_procedure_icon(const char *code);
extern const size_t demo_n_procedures;

typedef struct demo_street {
    const char *name; /* "rue Victor Hugo" */
    double lat, lon;  /* a point on it, inside the area */
    unsigned max_number;
} demo_street;

extern const demo_street demo_streets[];
extern const size_t demo_n_streets;

typedef struct demo_name {
    const char *name;  /* as written: "Amélie" */
    const char *ascii; /* for e-mail addresses: "amelie" */
    int female;        /* first names only */
} demo_name;

extern const demo_name demo_first_names[];
extern const size_t demo_n_first_names;
extern const demo_name demo_last_names[];
extern const size_t demo_n_last_names;

/* NULL-terminated pools of fragments used whatever the procedure. */
extern const char *const demo_ack_incident[];
extern const char *const demo_ack_demarche[];
extern const char *const demo_progress_incident[];
extern const char *const demo_progress_demarche[];
extern const char *const demo_duplicate_notes[];
extern const char *const demo_internal_incident[];
extern const char *const demo_internal_demarche[];
extern const char *const demo_followups[];
extern const char *const demo_emoji_tails[];
extern const char *const demo_association_names[];
/* texts for the text attributes, by meaning */
extern const char *const demo_texts_circumstances[];
extern const char *const demo_texts_damage[];
extern const char *const demo_texts_situation[];
extern const char *const demo_texts_school[];
extern const char *const demo_counter_agents[];

/* Comments citizens leave with their rating of a closed request, by rating: [0] for 1 star
 * to [4] for 5 stars; each NULL-terminated. */
extern const char *const *const demo_rating_comments[5];

/* The back office's reply templates (French, as the commune writes to its citizens), with
 * the {{variables}} core fills in: reference, procedure, date, agent. */
typedef struct demo_reply_template {
    const char *name, *body;
} demo_reply_template;

extern const demo_reply_template demo_reply_templates[];
extern const size_t demo_n_reply_templates;

/* The letter templates an administrator starts from (core/letter_tpl.h), for every
 * procedure, in French, with their {placeholders}: a standard answer, an arrêté de voirie
 * granting a parking permit, a decision of refusal with the appeal mentions. */
typedef struct demo_letter_template {
    const char *name, *kind, *subject, *body, *visas, *considerants, *decides, *quality, *signatory;
} demo_letter_template;

extern const demo_letter_template demo_letter_templates[];
extern const size_t demo_n_letter_templates;

/* The showcase requests. */
extern const char *const demo_long_email_paragraphs[]; /* NULL-terminated */
extern const char demo_xml_text[];
extern const char demo_emoji_text[];

#endif
