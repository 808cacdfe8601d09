/*
 * file_read — a bounded whole-file read (see file_read.h).
 */
#include "cli/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads in whole (what cli_file_read does once it is open); label names it in messages. */
static char *read_stream(const char *cmd, FILE *in, const char *label, size_t max, size_t *len,
                         int *too_large)
{
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
        fprintf(stderr, "%s: '%s' is over %zu bytes\n", cmd, label, max);
    else if (failed)
        fprintf(stderr, "%s: cannot read '%s'\n", cmd, label);
    if (failed || *too_large) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

char *cli_file_read(const char *cmd, const char *path, size_t max, size_t *len, int *too_large)
{
    *too_large = 0;
    int is_stdin = strcmp(path, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", cmd, path, strerror(errno));
        return NULL;
    }
    char *text = read_stream(cmd, in, path, max, len, too_large);
    if (!is_stdin)
        fclose(in);
    return text;
}

char *cli_file_read_at(const char *cmd, int dfd, const char *name, size_t max, size_t *len,
                       int *too_large, int *not_regular)
{
    *too_large = 0;
    *not_regular = 0;
    /* O_NOFOLLOW: a link swapped in for the file is refused, not followed; O_NONBLOCK: a
     * FIFO does not block the open (it is then refused as not a regular file). */
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *not_regular = errno == ELOOP;
        fprintf(stderr, "%s: cannot open '%s': %s\n", cmd, name, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *not_regular = 1;
        fprintf(stderr, "%s: '%s' is not a regular file\n", cmd, name);
        close(fd);
        return NULL;
    }
    FILE *in = fdopen(fd, "rb");
    if (!in) {
        fprintf(stderr, "%s: cannot read '%s': %s\n", cmd, name, strerror(errno));
        close(fd);
        return NULL;
    }
    char *text = read_stream(cmd, in, name, max, len, too_large);
    fclose(in);
    return text;
}
