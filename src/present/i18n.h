/*
 * i18n — the strings of the pages and e-mails, in French and English, from the embedded
 * files templates/i18n/<lang>/<area>.json. Each file holds one object whose single key is
 * its area ({"common": {...}} in common.json); a language's files are merged into one
 * object, and both languages must have exactly the same key paths. Stateless: the merged
 * trees belong to whoever built them (present.c keeps them for the process).
 */
#ifndef GUICHET_PRESENT_I18N_H
#define GUICHET_PRESENT_I18N_H

#include <jansson.h>

#include "present/assets.h"
#include "util/error.h"

/* Merges the i18n files found among assets[0..n) (paths "templates/i18n/fr/…json" and
 * ".../en/…json"; other paths are ignored) into *fr and *en (caller decrefs). -1 with
 * ERR_INVALID_ARG and a detail naming the file or the first key present in one language
 * only: invalid JSON, a file that is not one object with one key named after the file, an
 * area defined twice, differing keys. */
int i18n_build(const web_asset *assets, size_t n, json_t **fr, json_t **en, error *err);

/* The string at a dotted key ("form.errors.title") in the merged tree strings (NULL
 * allowed); the key itself when it is missing or not a string. */
const char *i18n_lookup(json_t *strings, const char *key);

#endif
