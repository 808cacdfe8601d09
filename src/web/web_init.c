/*
 * web_init — builds what every page needs once at start-up: the template set compiled from
 * the embedded templates/ files and the strings of both languages. Both are read-only once
 * built, so renders on the server's threads share them without locks.
 *
 * Template names: "templates/home.html" is "home", "templates/account/login.html" is
 * "account/login"; text templates keep their extension ("mail/request_ack.txt") so that an
 * e-mail's text and HTML parts can share a base name.
 */
#include "web/web.h"

#include <stdlib.h>
#include <string.h>

#include "web/assets.h"
#include "web/i18n.h"

#define TEMPLATES_PREFIX "templates/"

static tmpl_set *templates;
static web_config config;
static char *config_strings[2];
static int have_config;

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t sn = strlen(suffix);
    return n >= sn && memcmp(s + n - sn, suffix, sn) == 0;
}

/* Compiles every embedded template into set. */
static int compile_all(tmpl_set *set, error *err)
{
    size_t plen = strlen(TEMPLATES_PREFIX);
    char name[256];
    for (size_t i = 0; i < assets_count(); i++) {
        const web_asset *a = assets_at(i);
        if (strncmp(a->path, TEMPLATES_PREFIX, plen) != 0)
            continue;
        const char *rel = a->path + plen;
        size_t n = strlen(rel);
        if (ends_with(rel, n, ".html"))
            n -= 5;
        else if (!ends_with(rel, n, ".txt"))
            continue;
        if (n >= sizeof name)
            return error_set(err, ERR_INVALID_ARG, "template", "template name too long: %s",
                             a->path);
        memcpy(name, rel, n);
        name[n] = '\0';
        if (tmpl_add(set, name, a->data, a->len, err) != 0)
            return -1;
    }
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int web_init(const web_config *cfg, error *err)
{
    web_shutdown();
    tmpl_set *set = tmpl_set_new();
    if (!set)
        return error_set(err, ERR_INTERNAL, NULL, "out of memory loading templates");
    if (compile_all(set, err) != 0 || i18n_load(assets_table, assets_table_len, err) != 0) {
        tmpl_set_free(set);
        return -1;
    }
    if (cfg) {
        config_strings[0] = dup_or_null(cfg->map_tiles_url);
        config_strings[1] = dup_or_null(cfg->map_attribution);
        if ((cfg->map_tiles_url && !config_strings[0]) ||
            (cfg->map_attribution && !config_strings[1])) {
            tmpl_set_free(set);
            web_shutdown();
            return error_set(err, ERR_INTERNAL, NULL, "out of memory copying web_config");
        }
        config.map_tiles_url = config_strings[0];
        config.map_attribution = config_strings[1];
    }
    have_config = 1;
    templates = set;
    return 0;
}

void web_shutdown(void)
{
    web_shared_pages_free();
    tmpl_set_free(templates);
    templates = NULL;
    i18n_unload();
    free(config_strings[0]);
    free(config_strings[1]);
    config_strings[0] = config_strings[1] = NULL;
    memset(&config, 0, sizeof config);
    have_config = 0;
}

const tmpl_set *web_templates(void)
{
    return templates;
}

const char *web_string(lang l, const char *key)
{
    return i18n_get(l, key);
}

const web_config *web_config_get(void)
{
    return have_config ? &config : NULL;
}
