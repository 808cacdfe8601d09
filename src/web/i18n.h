/*
 * i18n — the strings of the pages and e-mails, in French and English, from the embedded
 * files templates/i18n/<lang>/<area>.json. Each file holds one object whose single key is
 * its area ({"common": {...}} in common.json); a language's files are merged into one
 * object, and both languages must have exactly the same key paths. Loaded once by web_init,
 * read-only afterwards (safe from any thread).
 */
#ifndef GUICHET_WEB_I18N_H
#define GUICHET_WEB_I18N_H

#include <jansson.h>

#include "util/error.h"
#include "web/assets.h"
#include "web/web.h"

/* Merges the i18n files found among assets[0..n) (paths "templates/i18n/fr/…json" and
 * ".../en/…json"; other paths are ignored) into *fr and *en (caller decrefs). -1 with
 * ERR_INVALID_ARG and a detail naming the file or the first key present in one language
 * only: invalid JSON, a file that is not one object with one key named after the file, an
 * area defined twice, differing keys. */
int i18n_build(const web_asset *assets, size_t n, json_t **fr, json_t **en, error *err);

/* Loads the strings with i18n_build from assets (replacing any loaded before). */
int i18n_load(const web_asset *assets, size_t n, error *err);
void i18n_unload(void);
/* The loaded strings of language l (borrowed: incref to keep), NULL before i18n_load. */
json_t *i18n_strings(lang l);
/* The string at a dotted key ("form.errors.title") in language l; the key itself when it is
 * missing or not a string. */
const char *i18n_get(lang l, const char *key);

/* The configuration web_init received (copied; NULL before web_init). Implemented in
 * web_init.c, for web.c. */
const web_config *web_config_get(void);

#endif
