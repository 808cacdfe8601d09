/*
 * document_cmd — `guichet document receipt`: writes a request's accusé de réception as a PDF
 * (core/document.h), in the request's language, with the strings embedded in the binary.
 * The command table in commands.c lists it.
 */
#ifndef GUICHET_CLI_DOCUMENT_CMD_H
#define GUICHET_CLI_DOCUMENT_CMD_H

#include "cli/options.h"

extern const opt_spec document_cmd_receipt_opts[];

/* guichet document receipt --db FILE --request REFERENCE --out FILE.pdf [--tenant SLUG]
 * Exit 0 once FILE.pdf is written whole, 1 otherwise (unknown request, unwritable file),
 * 2 on a wrong usage. */
int document_cmd_receipt(const opt_values *v);

#endif
