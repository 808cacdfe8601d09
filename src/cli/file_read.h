/*
 * file_read — a whole input file read into memory with a bound, for the import commands that
 * parse a document at once (areas' GeoJSON, procedure definitions): never more than one byte
 * over the bound is read, whatever the file's size.
 */
#ifndef GUICHET_CLI_FILE_READ_H
#define GUICHET_CLI_FILE_READ_H

#include <stddef.h>

/* Reads the whole of path ("-": standard input), refusing one over max bytes. The text
 * (NUL-terminated, *len bytes before the NUL); caller frees. NULL after a message prefixed
 * with cmd on stderr, *too_large set for a file over max (a problem of the file, not of the
 * system). */
char *cli_file_read(const char *cmd, const char *path, size_t max, size_t *len, int *too_large);

/* The same for the file `name` of the directory open as dfd, opened without following a
 * symbolic link and read only when it is a regular file: NULL with *not_regular set for a
 * link, a FIFO, a device or a directory (a problem of the file: the caller sets it aside). */
char *cli_file_read_at(const char *cmd, int dfd, const char *name, size_t max, size_t *len,
                       int *too_large, int *not_regular);

#endif
