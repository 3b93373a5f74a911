/*
 * train.c - `tensorctl train --config FILE`: one offline training run
 * (train, evaluate, export) from a text-format tensord.TrainerConfig, with
 * a progress line, the evaluation metrics under TF's names and the
 * directory of the exported SavedModel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "engine/engine.h"
#include "trainer/trainer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tensorctl train --config FILE\n"
               "  Trains the model a tensord.TrainerConfig describes (resuming from the\n"
               "  latest checkpoint in its model_dir), evaluates it and exports a\n"
               "  SavedModel that tensord serves.\n"
               "  --blas_threads N  OpenBLAS threads (default 1: the trainer's matrices\n"
               "                    are small, extra threads only spin)\n");
}

int cli_cmd_train(int argc, char **argv)
{
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
            fprintf(stderr, "tensorctl train: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        usage(stderr);
        return 2;
    }
    if (blas < 1) {
        fprintf(stderr, "tensorctl train: --blas_threads must be at least 1\n");
        return 2;
    }
    eng_set_blas_threads(blas);
    tsd_status st = TSD_STATUS_INIT;
    trn_metrics m;
    char *dir = NULL;
    trn_run_options o = {.log = stderr};
    if (trn_run(config, &o, &m, &dir, &st) != TSD_OK) {
        fprintf(stderr, "tensorctl train: %s\n", st.msg);
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
    printf("exported: %s\n", dir);
    free(dir);
    return 0;
}
