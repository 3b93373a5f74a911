/*
 * trainer.h - public API of the embedded trainer.
 *
 * A model is an engine graph built the way tf.estimator builds it (same
 * variable names, same head, same optimizer updates), compiled into two
 * plans: `train` (forward, gradients from eng_graph_gradients, optimizer
 * updates and the global step, all in one run) and `predict`. Checkpoints
 * are TensorFlow V2 bundles with the `checkpoint` state file, written
 * crash-safe by the loader, so training resumes after a kill -9 and
 * TensorFlow can read them.
 *
 * So far: a binary DNN classifier over dense float features (the DNN part
 * of DNNClassifier: ReLU hidden layers, logits, sigmoid cross-entropy with
 * SUM_OVER_BATCH_SIZE, Adagrad). Feature columns, the linear and combined
 * models, evaluation metrics, event files and export come next.
 */
#ifndef TSD_TRAINER_TRAINER_H
#define TSD_TRAINER_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/** A DNN binary classifier over n_features dense floats. */
typedef struct trn_dnn_config {
    int n_features;
    const int *hidden_units; /* e.g. {100, 75, 50, 25} */
    int n_hidden;
    float learning_rate; /* Adagrad (V2, epsilon 1e-7, accumulators start at 0.1) */
    uint64_t seed;       /* Glorot-uniform initial kernels */
} trn_dnn_config;

typedef struct trn_model trn_model;

/** Build and compile the model; variables initialised as the estimator does. */
trn_model *trn_dnn_new(const trn_dnn_config *c, tsd_status *st);

/** Free a model. */
void trn_model_free(trn_model *m);

/**
 * One training step on a batch: x [batch, n_features], labels [batch] in
 * {0, 1}. *loss gets the batch's mean loss before the update.
 */
tsd_code trn_train_step(trn_model *m, const float *x, const float *labels, int64_t batch,
                        float *loss, tsd_status *st);

/** Probabilities of class 1 (head/predictions/logistic) for x [batch, n_features]. */
tsd_code trn_predict(trn_model *m, const float *x, int64_t batch, float *prob, tsd_status *st);

/** The global step (training steps taken, across restores). */
int64_t trn_global_step(const trn_model *m);

/**
 * Write model_dir/model.ckpt-<global_step> (every variable and optimizer
 * slot under TensorFlow's names) and update model_dir/checkpoint, keeping
 * the newest `keep_max` checkpoints (older bundles are deleted).
 */
tsd_code trn_save(trn_model *m, const char *model_dir, int keep_max, tsd_status *st);

/**
 * Restore every variable from the latest complete checkpoint in model_dir.
 * NOT_FOUND when there is none (a fresh start).
 */
tsd_code trn_restore(trn_model *m, const char *model_dir, tsd_status *st);

#endif
