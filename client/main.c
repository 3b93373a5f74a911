/*
 * main.c - tensorctl entry point: a const table of subcommands, each with
 * a one-line help, dispatched on argv[1]. Usage errors exit with status 2.
 */
#include <stdio.h>
#include <string.h>

#include "client/cli.h"

#ifndef TSD_VERSION
#define TSD_VERSION "0.1.0"
#endif

/* One subcommand: name, handler (gets argv from the subcommand name on), help. */
typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cli_command;

static const cli_command cli_commands[] = {
    {"inspect", cli_cmd_inspect, "show tag sets, signatures, variables and assets of a SavedModel"},
    {"run", cli_cmd_run, "run a signature of a SavedModel on given inputs"},
    {"predict", cli_cmd_predict, "Predict on a server (gRPC, or REST with --rest)"},
    {"classify", cli_cmd_classify, "Classify tf.Examples on a server"},
    {"regress", cli_cmd_regress, "Regress tf.Examples on a server"},
    {"metadata", cli_cmd_metadata, "show a served model's signatures"},
    {"status", cli_cmd_status, "show a served model's version states"},
    {"reload", cli_cmd_reload, "replace a server's model set (HandleReloadConfigRequest)"},
    {"train", cli_cmd_train, "train, evaluate and export a model from a trainer config"},
    {"evaluate", cli_cmd_train, "evaluate a trainer config's latest checkpoint"},
    {"export", cli_cmd_train, "export a trainer config's latest checkpoint as a SavedModel"},
};

static void cli_usage(FILE *f)
{
    fprintf(f, "usage: tensorctl <command> [args]\n"
               "       tensorctl --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++)
        fprintf(f, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].help);
    fprintf(f, "\nRun 'tensorctl <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("tensorctl (tensord) %s\n", TSD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        cli_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof cli_commands / sizeof cli_commands[0]; i++) {
        if (strcmp(cmd, cli_commands[i].name) == 0)
            return cli_commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "tensorctl: unknown command '%s'\n\n", cmd);
    cli_usage(stderr);
    return 2;
}
