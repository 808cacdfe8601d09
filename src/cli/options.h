/*
 * options — command-line options as data: each command lists its option specs; values come
 * from the command line, else the environment (GUICHET_*), else a config file
 * (--config FILE or GUICHET_CONFIG, "name = value" lines), else the default. Every value is
 * checked against its type and bounds before the command runs.
 */
#ifndef GUICHET_CLI_OPTIONS_H
#define GUICHET_CLI_OPTIONS_H

#include <stddef.h>

/* OPT_FLAG takes no value on the command line: present means "yes" (the environment and the
 * config file may say yes/no/1/0). */
/* OPT_LIST may be given several times on the command line; the values are joined with
 * commas ("--department a --department b" is "a,b", as is "--department a,b"). */
/* OPT_ARG is an argument that is not an option (a file to read: "-" is one too), given
 * by position: the command line's such arguments fill the command's OPT_ARG specs in
 * order, under their names (opt_str), and one more is a wrong usage. */
typedef enum opt_type { OPT_STRING, OPT_UINT, OPT_DOUBLE, OPT_FLAG, OPT_LIST, OPT_ARG } opt_type;

typedef struct opt_spec {
    const char *name; /* long option without dashes: "db" */
    const char *env;  /* environment variable, NULL when none */
    opt_type type;
    const char *def;  /* default, NULL when none */
    int required;
    double min, max;  /* bounds for numbers */
    const char *help;
} opt_spec;

#define OPT_MAX 40

typedef struct opt_values {
    const opt_spec *specs; /* terminated by a NULL name */
    const char *values[OPT_MAX];
} opt_values;

/* Parses argv (after the command words) into v for specs. On a wrong option or value, prints
 * one line naming it on stderr (prefixed by `cmd`) and returns -1 (the caller exits 2).
 * Returns 1 when --help was asked (usage printed), 0 otherwise. */
int options_parse(const char *cmd, const opt_spec *specs, int argc, char **argv, opt_values *v);
/* Prints the options of specs as help text. */
void options_usage(const opt_spec *specs);
const char *opt_str(const opt_values *v, const char *name);
unsigned long opt_uint(const opt_values *v, const char *name);
/* 1 when a flag is set ("yes" or "1"). */
int opt_flag(const opt_values *v, const char *name);
double opt_double(const opt_values *v, const char *name);
/* Splits a list value ("a,b,c", as OPT_LIST joins repeated options) in place into at most
 * max items: their count, or -1 when an item is empty or there are more than max. An empty
 * string has no item. */
int opt_list_split(char *value, const char **items, size_t max);

/* The names of every option of every command, so that a config file key known to another
 * command is not an error (set by the command table). */
extern const opt_spec *const *options_all_specs;

#endif
