#include "cli/options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_LINE_MAX 1024
#define CONFIG_MAX_BYTES (64 * 1024)

static const opt_spec *find_spec(const opt_spec *specs, const char *name, size_t len)
{
    for (const opt_spec *s = specs; s->name; s++)
        if (s->type != OPT_ARG && strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

static int known_anywhere(const char *name, size_t len)
{
    if (len == 6 && strncmp(name, "config", 6) == 0)
        return 1;
    for (const opt_spec *const *t = options_all_specs; t && *t; t++)
        if (find_spec(*t, name, len))
            return 1;
    return 0;
}

/* Checks a value against its spec; prints why not and returns -1. */
static int check_value(const char *cmd, const opt_spec *s, const char *value, const char *from)
{
    if (s->type == OPT_FLAG) {
        if (strcmp(value, "yes") && strcmp(value, "no") && strcmp(value, "1") &&
            strcmp(value, "0")) {
            fprintf(stderr, "%s: invalid value for --%s: '%s'%s (expected yes or no)\n", cmd,
                    s->name, value, from);
            return -1;
        }
        return 0;
    }
    if (s->type == OPT_STRING || s->type == OPT_LIST || s->type == OPT_ARG) {
        if (s->required && !*value) {
            fprintf(stderr, "%s: --%s must not be empty%s\n", cmd, s->name, from);
            return -1;
        }
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double d = strtod(value, &end);
    int integral = s->type == OPT_UINT;
    if (!*value || *end || errno || !isfinite(d) || d < s->min || d > s->max ||
        (integral && (d != floor(d) || strpbrk(value, ".eE")))) {
        fprintf(stderr, "%s: invalid value for --%s: '%s'%s (expected %s from %g to %g)\n", cmd,
                s->name, value, from, integral ? "an integer" : "a number", s->min, s->max);
        return -1;
    }
    return 0;
}

/* Reads "name = value" lines; values for specs not yet set are taken. */
static int read_config(const char *cmd, const char *path, const opt_spec *specs, opt_values *v,
                       const char *from_cli[OPT_MAX])
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot read config file '%s'\n", cmd, path);
        return -1;
    }
    static char store[CONFIG_MAX_BYTES]; /* values live until exit */
    size_t used = 0;
    char line[CONFIG_LINE_MAX];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fprintf(stderr, "%s: %s:%d: line too long\n", cmd, path, lineno);
            rc = -1;
            break;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\0')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            fprintf(stderr, "%s: %s:%d: expected 'name = value'\n", cmd, path, lineno);
            rc = -1;
            break;
        }
        char *name_end = eq;
        while (name_end > p && (name_end[-1] == ' ' || name_end[-1] == '\t'))
            name_end--;
        char *val = eq + 1;
        while (*val == ' ' || *val == '\t')
            val++;
        char *val_end = val + strlen(val);
        while (val_end > val && strchr(" \t\r\n", val_end[-1]))
            val_end--;
        size_t nlen = (size_t)(name_end - p);
        const opt_spec *s = find_spec(specs, p, nlen);
        if (!s) {
            if (!known_anywhere(p, nlen)) {
                fprintf(stderr, "%s: %s:%d: unknown setting '%.*s'\n", cmd, path, lineno, (int)nlen,
                        p);
                rc = -1;
                break;
            }
            continue;
        }
        size_t idx = (size_t)(s - specs);
        if (from_cli[idx])
            continue;
        size_t vlen = (size_t)(val_end - val);
        if (used + vlen + 1 > sizeof store) {
            fprintf(stderr, "%s: %s: config file too large\n", cmd, path);
            rc = -1;
            break;
        }
        memcpy(store + used, val, vlen);
        store[used + vlen] = '\0';
        v->values[idx] = store + used;
        used += vlen + 1;
    }
    fclose(f);
    return rc;
}

int options_parse(const char *cmd, const opt_spec *specs, int argc, char **argv, opt_values *v)
{
    memset(v, 0, sizeof *v);
    v->specs = specs;
    size_t n_specs = 0;
    while (specs[n_specs].name)
        n_specs++;
    if (n_specs > OPT_MAX) { /* our own bug: a command with more options than the table */
        fprintf(stderr, "%s: internal error: %zu options, OPT_MAX is %d\n", cmd, n_specs, OPT_MAX);
        return -1;
    }
    const char *from_cli[OPT_MAX] = {0};
    const char *config = getenv("GUICHET_CONFIG");
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (strncmp(arg, "--", 2) != 0) {
            /* The next positional argument's spec. */
            const opt_spec *p = specs;
            while (p->name && (p->type != OPT_ARG || from_cli[p - specs]))
                p++;
            if (!p->name) {
                fprintf(stderr, "%s: unexpected argument '%s'\n", cmd, arg);
                return -1;
            }
            from_cli[p - specs] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        if (nlen == 6 && strncmp(name, "config", 6) == 0) {
            if (!value && i + 1 < argc)
                value = argv[++i];
            if (!value) {
                fprintf(stderr, "%s: --config needs a file\n", cmd);
                return -1;
            }
            config = value;
            continue;
        }
        const opt_spec *s = find_spec(specs, name, nlen);
        if (!s) {
            fprintf(stderr, "%s: unknown option '--%.*s' (see %s --help)\n", cmd, (int)nlen, name,
                    cmd);
            return -1;
        }
        if (s->type == OPT_FLAG) {
            if (value) {
                fprintf(stderr, "%s: --%s takes no value\n", cmd, s->name);
                return -1;
            }
            from_cli[s - specs] = "yes";
            continue;
        }
        if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: option --%s needs a value\n", cmd, s->name);
                return -1;
            }
            value = argv[++i];
        }
        size_t idx = (size_t)(s - specs);
        if (s->type == OPT_LIST && from_cli[idx]) {
            /* Joined in a static pool: values live until the process exits. */
            static char pool[4096];
            static size_t used;
            size_t need = strlen(from_cli[idx]) + 1 + strlen(value) + 1;
            if (used + need > sizeof pool) {
                fprintf(stderr, "%s: too many values for --%s\n", cmd, s->name);
                return -1;
            }
            char *joined = pool + used;
            snprintf(joined, need, "%s,%s", from_cli[idx], value);
            used += need;
            value = joined;
        }
        from_cli[idx] = value;
    }
    for (const opt_spec *s = specs; s->name; s++) {
        size_t idx = (size_t)(s - specs);
        if (from_cli[idx])
            v->values[idx] = from_cli[idx];
    }
    if (config && read_config(cmd, config, specs, v, from_cli) != 0)
        return -1;
    for (const opt_spec *s = specs; s->name; s++) {
        size_t idx = (size_t)(s - specs);
        const char *from = "";
        if (from_cli[idx]) {
            v->values[idx] = from_cli[idx];
        } else if (s->env && getenv(s->env)) {
            v->values[idx] = getenv(s->env);
            from = s->env[0] ? " (from the environment)" : "";
        } else if (v->values[idx]) {
            from = " (from the config file)";
        } else {
            v->values[idx] = s->def;
        }
        if (!v->values[idx]) {
            if (s->required && s->type == OPT_ARG) {
                fprintf(stderr, "%s: missing %s (%s)\n", cmd, s->name, s->help);
                return -1;
            }
            if (s->required) {
                fprintf(stderr, "%s: missing --%s%s%s%s\n", cmd, s->name, s->env ? " (or " : "",
                        s->env ? s->env : "", s->env ? ")" : "");
                return -1;
            }
            continue;
        }
        if (check_value(cmd, s, v->values[idx], from) != 0)
            return -1;
    }
    return 0;
}

void options_usage(const opt_spec *specs)
{
    for (const opt_spec *s = specs; s->name; s++) {
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", s->type == OPT_ARG ? "" : "--", s->name,
                 s->type == OPT_FLAG || s->type == OPT_ARG ? ""
                 : s->type == OPT_LIST                     ? " VALUE (repeatable)"
                 : s->type == OPT_STRING                   ? " VALUE"
                                                           : " N");
        fprintf(stdout, "  %-24s %s", left, s->help);
        if (s->def)
            fprintf(stdout, " (default %s)", s->def);
        if (s->env)
            fprintf(stdout, " [%s]", s->env);
        fputc('\n', stdout);
    }
    fprintf(stdout, "  %-24s %s\n", "--config FILE",
            "read 'name = value' settings [GUICHET_CONFIG]");
}

static const char *lookup(const opt_values *v, const char *name)
{
    for (size_t i = 0; v->specs[i].name; i++)
        if (strcmp(v->specs[i].name, name) == 0)
            return v->values[i];
    return NULL;
}

const char *opt_str(const opt_values *v, const char *name)
{
    return lookup(v, name);
}

unsigned long opt_uint(const opt_values *v, const char *name)
{
    const char *s = lookup(v, name);
    return s ? strtoul(s, NULL, 10) : 0;
}

int opt_flag(const opt_values *v, const char *name)
{
    const char *s = lookup(v, name);
    return s && (strcmp(s, "yes") == 0 || strcmp(s, "1") == 0);
}

double opt_double(const opt_values *v, const char *name)
{
    const char *s = lookup(v, name);
    return s ? strtod(s, NULL) : 0;
}

int opt_list_split(char *value, const char **items, size_t max)
{
    size_t n = 0;
    if (!*value)
        return 0;
    for (char *p = value;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p || n == max)
            return -1;
        items[n++] = p;
        if (!comma)
            return (int)n;
        p = comma + 1;
    }
}
