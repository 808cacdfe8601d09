/*
 * cli — the guichet command line: init, demo, serve, apikey and tenant commands, their
 * options (see options.h) and exit codes (0 success, 1 failure, 2 wrong usage).
 */
#ifndef GUICHET_CLI_CLI_H
#define GUICHET_CLI_CLI_H

int cli_main(int argc, char **argv);

/* The server `guichet serve` runs, for programs that embed it (the HTTP fuzz target):
 * started from serve's options (argv without the command words), serving until
 * cli_server_stop. 0 and *out; 1 on a failure, 2 on a wrong option (printed on stderr).
 * Signals are the caller's business. */
typedef struct cli_server cli_server;
int cli_server_start(int argc, char **argv, cli_server **out);
/* The bound port (useful with --listen 127.0.0.1:0). */
int cli_server_port(const cli_server *cs);
/* Requests the server is working on now (received in part or whole, not yet completed). */
int cli_server_in_flight(const cli_server *cs);
/* Lets the requests in flight finish (up to timeout_ms), stops everything, frees cs. */
void cli_server_stop(cli_server *cs, int timeout_ms);

#endif
