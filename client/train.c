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
#include "trainer/trainer.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tensorctl train --config FILE\n"
               "  Trains the model a tensord.TrainerConfig describes (resuming from the\n"
               "  latest checkpoint in its model_dir), evaluates it and exports a\n"
               "  SavedModel that tensord serves.\n");
}

int cli_cmd_train(int argc, char **argv)
{
    const char *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
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
    tsd_status st = TSD_STATUS_INIT;
    trn_binary_metrics m;
    char *dir = NULL;
    if (trn_run_config(config, stderr, &m, &dir, &st) != TSD_OK) {
        fprintf(stderr, "tensorctl train: %s\n", st.msg);
        return 1;
    }
    if (m.global_step)
        printf("eval: accuracy = %.4f, accuracy_baseline = %.4f, auc = %.4f, "
               "auc_precision_recall = %.4f, average_loss = %.4f, label/mean = %.4f, "
               "loss = %.4f, precision = %.4f, prediction/mean = %.4f, recall = %.4f, "
               "global_step = %lld\n",
               m.accuracy, m.accuracy_baseline, m.auc, m.auc_precision_recall, m.average_loss,
               m.label_mean, m.loss, m.precision, m.prediction_mean, m.recall,
               (long long)m.global_step);
    printf("exported: %s\n", dir);
    free(dir);
    return 0;
}
