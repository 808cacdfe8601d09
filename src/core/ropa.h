/*
 * ropa — the record of processing activities (registre des activités de traitement, RGPD
 * article 30) of one collectivité, generated from its configuration so that it cannot drift
 * from what the software does: one entry per procedure (each is a processing activity with
 * its own purpose, data and recipients), then the portal's accounts, the audit log, the
 * agents' own data, and
 * what the channels keep outside requests: mail held as spam, the numbers opted out of SMS,
 * the broadcasts' subscribers.
 *
 * ropa_build gathers facts and codes only (core holds no sentences); ropa_label adds the
 * sentences of one language from the strings it is given (the "ropa" area of the i18n
 * files); ropa_csv writes a labelled register as CSV. The back office renders the labelled
 * tree with a template, the CLI prints it as JSON or CSV.
 *
 * Model (ropa_build), every member always present:
 *   {controller: {name, contact}, generated_at,
 *    entries: [{id, kind: procedure|accounts|audit|agents|mail_held|sms_optouts|subscribers,
 *               code, name, group, active,
 *               procedure_kind: incident|demarche|null, purpose (the procedure's
 *               description, or null), legal_basis (code),
 *               persons: [codes], anonymous_allowed,
 *               data: [{category (code), code, label, datatype, required, free_text}],
 *               recipients: [{kind (code), name, detail}],
 *               retention_days (null: not defined), transfers_outside_eu,
 *               security: [codes]}]}
 * (a procedure's entry has retention_months too; a channel's, retention_rule: the code of
 * the sentence that words its retention, with its retention_days)
 * ropa_label adds to each entry purpose_text, legal_basis_text, persons_text[],
 * data_text[], recipients_text[], retention_text, transfers_text, security_text[], and
 * to the root columns {…} and column_list[] (the CSV and table headings), security_text[]
 * (the measures every entry shares, for pages that list them once) and title.
 */
#ifndef GUICHET_CORE_ROPA_H
#define GUICHET_CORE_ROPA_H

#include <jansson.h>

#include "core/catalogue.h"
#include "core/core.h"
#include "util/buf.h"
#include "util/error.h"

/* The register of tenant t (from a catalogue snapshot the caller holds): the procedures, the
 * tenant's active API keys and the audit retention setting. *out: caller decrefs. */
int ropa_build(core *c, const cat_tenant *t, json_t **out, error *err);

/* A labelled copy of model with the sentences of `strings` (a language's whole i18n tree;
 * the "ropa" area is read). Missing strings show their key. NULL when out of memory.
 * Caller decrefs. */
json_t *ropa_label(const json_t *model, const json_t *strings);

/* A labelled register as CSV into out: a UTF-8 byte order mark (spreadsheets then read the
 * accents right), a heading row, one row per entry; fields separated by ';' (what French
 * spreadsheets expect), quoted when needed (RFC 4180), lists joined with " | ", and a cell
 * starting with = + - @ prefixed with ' so that no spreadsheet runs it as a formula. -1 with
 * err when out's maximum is reached. */
int ropa_csv(const json_t *labelled, buf *out, error *err);

#endif
