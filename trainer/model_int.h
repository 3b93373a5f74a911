/*
 * model_int.h - trainer-private: what evaluation needs from a model.
 */
#ifndef TSD_TRAINER_MODEL_INT_H
#define TSD_TRAINER_MODEL_INT_H

#include "trainer/trainer.h"

/** Features per example. */
int trn__n_features(const trn_model *m);

/**
 * Run the eval plan on one batch: probabilities, per-example losses and
 * the batch's mean loss.
 */
tsd_code trn__eval_batch(trn_model *m, const float *x, const float *labels, int64_t batch,
                         float *prob, float *example_loss, float *batch_loss, tsd_status *st);

#endif
