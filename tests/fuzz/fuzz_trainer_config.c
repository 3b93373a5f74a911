/*
 * fuzz_trainer_config.c - libFuzzer driver for the trainer's config
 * resolution: arbitrary bytes as a text-format tensord.TrainerConfig
 * through trn_config_parse (column kinds, references between columns,
 * crosses, parse spec conflicts, estimator and optimizer checks). A config
 * that resolves also gets its model graph built and compiled.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/trainer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tsd_status st = TSD_STATUS_INIT;
    trn_config *c = trn_config_parse((const char *)data, size, "/nonexistent", &st);
    if (!c)
        return 0;
    /* normalizers need data: a config asking for them fails cleanly here */
    trn_model *m = trn_model_new(c, NULL, &st);
    trn_model_free(m);
    trn_config_free(c);
    return 0;
}
