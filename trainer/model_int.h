/*
 * model_int.h - trainer-private: what evaluation needs from a model.
 */
#ifndef TSD_TRAINER_MODEL_INT_H
#define TSD_TRAINER_MODEL_INT_H

#include "engine/engine.h"
#include "trainer/trainer.h"

/** Features per example. */
int trn__n_features(const trn_model *m);

/**
 * Run the eval plan on one batch: probabilities, per-example losses and
 * the batch's mean loss.
 */
tsd_code trn__eval_batch(trn_model *m, const float *x, const float *labels, int64_t batch,
                         float *prob, float *example_loss, float *batch_loss, tsd_status *st);

/**
 * Add the model's forward pass to g on `input` ([batch, n_features]
 * floats): normalizer, hidden layers, logits (name into logits). With
 * register_vars 0 the variables are created in g but not recorded in the
 * model (for an export graph).
 */
tsd_code trn__forward(trn_model *m, int register_vars, eng_graph *g, const char *input,
                      char *logits, size_t len, tsd_status *st);

/** The model's config (feature names, sizes) and session. */
const trn_dnn_config *trn__config(const trn_model *m);
eng_session *trn__session(trn_model *m);

#endif
