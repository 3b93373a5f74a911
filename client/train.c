/*
 * train.c - `tensorctl train|evaluate|export --config FILE`: offline runs of
 * the trainer on a text-format tensord.TrainerConfig. train trains (resuming
 * from the latest checkpoint), evaluates and exports, with a progress line;
 * evaluate prints the latest checkpoint's metrics under TF's names; export
 * writes a SavedModel from it and prints its directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "engine/engine.h"
#include "trainer/trainer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tensorctl train|evaluate|export --config FILE [--blas_threads N]\n"
               "  train     trains the model a tensord.TrainerConfig describes (resuming\n"
               "            from the latest checkpoint in its model_dir), evaluates it and\n"
               "            exports a SavedModel that tensord serves\n"
               "  evaluate  evaluates the latest checkpoint on the eval files\n"
               "  export    exports the latest checkpoint as a SavedModel\n"
               "  --blas_threads N  OpenBLAS threads (default 1: the trainer's matrices\n"
               "                    are small, extra threads only spin)\n");
}

int cli_cmd_train(int argc, char **argv)
{
    const char *cmd = argv[0];
    int mode = !strcmp(cmd, "evaluate") ? TRN_RUN_EVALUATE
               : !strcmp(cmd, "export") ? TRN_RUN_EXPORT
                                        : TRN_RUN_TRAIN;
    const char *config = NULL;
    int blas = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--blas_threads") && i + 1 < argc)
            blas = atoi(argv[++i]);
        else if (!strncmp(argv[i], "--blas_threads=", 15))
            blas = atoi(argv[i] + 15);
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            config = argv[i] + 9;
        else {
            fprintf(stderr, "tensorctl %s: unknown argument '%s'\n", cmd, argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        usage(stderr);
        return 2;
    }
    if (blas < 1) {
        fprintf(stderr, "tensorctl %s: --blas_threads must be at least 1\n", cmd);
        return 2;
    }
    eng_set_blas_threads(blas);
    tsd_status st = TSD_STATUS_INIT;
    trn_metrics m;
    char *dir = NULL;
    trn_run_options o = {.mode = mode, .log = stderr};
    if (trn_run(config, &o, &m, &dir, &st) != TSD_OK) {
        fprintf(stderr, "tensorctl %s: %s\n", cmd, st.msg);
        return 1;
    }
    if (m.n) {
        printf("eval:");
        for (int i = 0; i < m.n; i++) {
            if (strcmp(m.m[i].key, "global_step") == 0)
                printf("%s global_step = %lld", i ? "," : "", (long long)m.m[i].value);
            else
                printf("%s %s = %.4f", i ? "," : "", m.m[i].key, m.m[i].value);
        }
        printf("\n");
    }
    if (dir)
        printf("exported: %s\n", dir);
    free(dir);
    return 0;
}
