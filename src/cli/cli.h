/*
 * cli — the guichet command line: init, demo, serve, apikey and tenant commands, their
 * options (see options.h) and exit codes (0 success, 1 failure, 2 wrong usage).
 */
#ifndef GUICHET_CLI_CLI_H
#define GUICHET_CLI_CLI_H

int cli_main(int argc, char **argv);

#endif
