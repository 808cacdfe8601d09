/*
 * mailgate_cmd — `guichet mailgate`: the MTA's delivery program for the contact addresses,
 * like Request Tracker's rt-mailgate. It reads one message on standard input and hands it to
 * the running server (POST /passerelle/mail, message/rfc822, a "gateway"-scope key), so that
 * the server stays the only writer. The command table in commands.c lists it.
 */
#ifndef GUICHET_CLI_MAILGATE_CMD_H
#define GUICHET_CLI_MAILGATE_CMD_H

#include "cli/options.h"

/* sysexits.h's codes, the MTA's contract. */
#define MAILGATE_EX_OK 0
#define MAILGATE_EX_DATAERR 65  /* a message that can never be taken: the MTA bounces it */
#define MAILGATE_EX_TEMPFAIL 75 /* try again later: the MTA keeps the message queued */

extern const opt_spec mailgate_cmd_opts[];

/* guichet mailgate --url BASE_URL --key-file FILE [--tenant SLUG] [--timeout S]
 * Prints one line: the reference created or threaded into, or why the message was dropped
 * or not taken. Exit 0 handled (dropped included); 75 when the server is unreachable, busy or
 * refuses the key, and for any usage or configuration mistake (mail waits instead of
 * bouncing); 65 only for a message the server can never take (too large, not a message). */
int mailgate_cmd_run(const opt_values *v);

#endif
