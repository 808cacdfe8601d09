/*
 * guichet — one binary: the server and its administration commands (see src/cli).
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
