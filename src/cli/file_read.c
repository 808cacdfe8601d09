/*
 * file_read — a bounded whole-file read (see file_read.h).
 */
#include "cli/file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_file_read(const char *cmd, const char *path, size_t max, size_t *len, int *too_large)
{
    *too_large = 0;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    int failed = !text;
    /* One byte more than max at most: enough to know the file is too large. */
    while (!failed && n <= max) {
        if (n + 1 >= cap) {
            size_t ncap = cap * 2 > max + 2 ? max + 2 : cap * 2;
            char *more = realloc(text, ncap);
            if (!more) {
                failed = 1;
                break;
            }
            text = more;
            cap = ncap;
        }
        size_t got = fread(text + n, 1, cap - 1 - n, in);
        n += got;
        if (got == 0)
            break;
    }
    failed = failed || ferror(in);
    *too_large = !failed && n > max;
    if (*too_large)
        fprintf(stderr, "%s: '%s' is over %zu bytes: nothing imported\n", cmd, path, max);
    else if (failed)
        fprintf(stderr, "%s: cannot read '%s'\n", cmd, path);
    if (!is_stdin)
        fclose(in);
    if (failed || *too_large) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}
