/*
 * fuzz_trainer_csv.c - libFuzzer driver for the trainer's CSV reader and
 * the feature columns on what it produces: arbitrary bytes as a CSV file
 * for a fixed config with numeric (with a default), bucketized,
 * vocabulary (with OOV buckets), hash, identity, weighted and crossed
 * columns in a wide-and-deep model with dropout and batch norm. Rows that
 * read become tf.Examples; the first ones are predicted and trained on
 * once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainer/trainer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config[] =
    "data { train_files: \"fuzz.csv\" column_names: [\"n\", \"s\", \"i\", \"w\", \"label\"] "
    "label_column: \"label\" label_vocabulary: [\"no\", \"yes\"] }\n"
    "feature_columns { name: \"n\" part: \"dnn\" numeric { default_value: 0 } }\n"
    "feature_columns { name: \"n\" part: \"linear\" bucketized { boundaries: [-1, 0, 1] } }\n"
    "feature_columns { name: \"s\" part: \"linear\" vocabulary_list { vocabulary: [\"a\", \"b\"] "
    "num_oov_buckets: 3 } }\n"
    "feature_columns { name: \"i\" part: \"none\" identity { num_buckets: 5 default_value: 0 "
    "has_default_value: true } }\n"
    "feature_columns { part: \"linear\" weighted { categorical: \"i\" weight_feature_key: \"w\" } "
    "}\n"
    "feature_columns { part: \"dnn\" embedding { categorical: \"s\" dimension: 2 } }\n"
    "feature_columns { part: \"linear\" crossed { keys: [\"n_bucketized\", \"s\"] "
    "hash_bucket_size: 7 } }\n"
    "estimator { type: \"DNNLinearCombinedClassifier\" hidden_units: [3] dropout: 0.3 "
    "batch_norm: true }\n"
    "run_config { model_dir: \"m\" }\n";

static char dir[64];
static trn_config *cfg;
static trn_model *model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsd_status st = TSD_STATUS_INIT;
    if (!cfg) {
        snprintf(dir, sizeof dir, "/tmp/fuzz-trainer-%ld", (long)getpid());
        mkdir(dir, 0700);
        cfg = trn_config_parse(config, sizeof config - 1, dir, &st);
        model = cfg ? trn_model_new(cfg, NULL, &st) : NULL;
        if (!model)
            abort(); /* the fixed config must build */
    }
    char path[128];
    snprintf(path, sizeof path, "%s/fuzz.csv", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    trn_data *d = trn_data_read(cfg, 0, &st);
    if (!d)
        return 0;
    int64_t n = trn_data_rows(d);
    if (n > 16)
        n = 16;
    if (n > 0) {
        float out[16];
        int64_t rows[16];
        for (int64_t i = 0; i < n; i++)
            rows[i] = i;
        trn_predict(model, d, 0, n, out, &st);
        trn_train_step(model, d, rows, n, NULL, &st);
    }
    trn_data_free(d);
    return 0;
}
