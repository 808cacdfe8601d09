/*
 * test_cmd — what the tests that check a file with a real tool (pdftotext, pdfinfo, pdftoppm,
 * zbarimg, Tesseract, qpdf) share: the file written into a scratch directory of its own, the
 * tool's output read back, the directory removed. No cmocka here, so that any test program may
 * link it: callers assert on what these return.
 */
#ifndef GUICHET_TESTS_TEST_CMD_H
#define GUICHET_TESTS_TEST_CMD_H

#include <stddef.h>

#include "util/buf.h"

/* The standard output of the shell command cmd, NUL-terminated (caller frees), and its exit
 * status in *status (-1 when it did not exit normally). NULL when it could not be started,
 * printed more than max bytes, or memory ran out. */
char *test_cmd_output(const char *cmd, size_t max, int *status);

/* test_cmd_output for a command that must exit 0: its output, or NULL (the command and its exit
 * status said on standard error). */
char *test_cmd_run(const char *cmd, size_t max);

/* A scratch directory: a new directory under /tmp holding data as the file `name`. */
typedef struct test_scratch {
    char dir[64];
    char path[128]; /* dir/name */
} test_scratch;

/* Makes s with data (len bytes) as `name` (no slash). 0, or -1 (nothing left behind). */
int test_scratch_make(test_scratch *s, const char *name, const void *data, size_t len);

/* Removes s's directory and every file in it. */
void test_scratch_remove(test_scratch *s);

/* Reads the file at path into out (initialised here, at most max bytes). 0, or -1 when it
 * cannot be opened or read, or is over max. */
int test_file_read(const char *path, buf *out, size_t max);

/* Whether `qpdf --check` accepts the PDF file at path: 1 or 0. */
int test_qpdf_accepts(const char *path);

#endif
