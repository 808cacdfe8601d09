/*
 * file_write — a whole output file written beside its destination and renamed into place
 * once synced, so that a command never leaves a half-written file where one is expected
 * (a receipt, a signed PDF).
 */
#ifndef GUICHET_CLI_FILE_WRITE_H
#define GUICHET_CLI_FILE_WRITE_H

#include <stddef.h>

/* Writes len bytes of data to path through path + ".tmp", fsync and rename. 0, or -1 after a
 * message prefixed with cmd on stderr (nothing left behind). */
int cli_file_write(const char *cmd, const char *path, const void *data, size_t len);

#endif
