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
#include <stdio.h>

#include "common/status.h"

/** A DNN binary classifier over n_features dense floats. */
typedef struct trn_dnn_config {
    int n_features;
    const int *hidden_units; /* e.g. {100, 75, 50, 25} */
    int n_hidden;
    float learning_rate;               /* Adagrad (V2, epsilon 1e-7, accumulators start at 0.1) */
    uint64_t seed;                     /* Glorot-uniform initial kernels */
    const char *const *feature_names;  /* tf.Example keys for export (NULL: feature_<i>) */
    const float *norm_mean, *norm_std; /* numeric_column normalizer (x-mean)/std, or NULL */
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

/**
 * Write TensorBoard events for training into model_dir (as Estimator's
 * hooks do): the "loss" scalar every `summary_steps` steps, "global_step/sec"
 * every `summary_steps` steps after the first, and a SessionLog CHECKPOINT
 * event per trn_save. Events are flushed at every checkpoint and at free.
 */
tsd_code trn_set_summary_dir(trn_model *m, const char *model_dir, int summary_steps,
                             tsd_status *st);

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

/**
 * Export a SavedModel as Estimator.export_saved_model does for a binary
 * classifier: <export_dir_base>/<unix seconds> (written as temp-<ts>, then
 * renamed) with a ParseExample serving input over the feature names, the
 * signatures serving_default and classification (classify: classes,
 * scores), regression (outputs) and predict, the restore subgraph and
 * saver_def, and variables/ with the weights and global_step. *export_dir
 * (malloc'ed) names the directory written. tensord and TensorFlow Serving
 * load it like any other version.
 */
tsd_code trn_export(trn_model *m, const char *export_dir_base, char **export_dir, tsd_status *st);

/* ---- evaluation -------------------------------------------------------------- */

/** The metrics evaluate() returns for a binary classifier (TF's keys). */
typedef struct trn_binary_metrics {
    double accuracy, accuracy_baseline, auc, auc_precision_recall, precision, recall;
    double average_loss; /* Σ w·l / Σ w over examples */
    double loss;         /* mean over batches of each batch's mean loss */
    double label_mean, prediction_mean;
    int64_t global_step;
} trn_binary_metrics;

/**
 * Compute the binary head's metrics over n examples from predicted
 * probabilities, labels in {0,1}, optional weights (NULL = 1) and the
 * per-example losses, as Keras/Estimator define them (formats: eval
 * metrics): AUC (ROC) and AUC (PR, Davis-Goadrich interpolation) over
 * `num_thresholds` thresholds (200 in TF), precision and recall at 0.5.
 * `loss` and `global_step` are left for the caller.
 */
void trn_binary_metrics_compute(const float *prob, const float *labels, const float *weights,
                                const float *example_loss, int64_t n, int num_thresholds,
                                trn_binary_metrics *out);

/**
 * Evaluate the model on x/labels in batches of batch_size. With model_dir,
 * also append the metrics as one summary at global_step to
 * model_dir/eval/events.out.tfevents.* (legacy simple_value scalars), as
 * Estimator.evaluate does.
 */
tsd_code trn_evaluate(trn_model *m, const float *x, const float *labels, int64_t n,
                      int64_t batch_size, const char *model_dir, trn_binary_metrics *out,
                      tsd_status *st);

/* ---- runs -------------------------------------------------------------------- */

/** One evaluation metric under TensorFlow's key ("accuracy", "auc", ...). */
typedef struct trn_metric {
    char key[40];
    double value;
} trn_metric;

/** The metrics of one evaluate(), in TF's key order (sorted). */
typedef struct trn_metrics {
    int n;
    trn_metric m[24];
} trn_metrics;

/** The value of metric `key`, or NAN if absent. */
double trn_metrics_get(const trn_metrics *m, const char *key);

/** Where a run is, as reported to trn_run_options.on_progress. */
typedef struct trn_progress {
    const char *phase; /* "reading", "training", "evaluating", "exporting", "done" */
    int64_t step;      /* global step */
    int64_t max_steps; /* the step this run trains to */
    int64_t epoch;     /* 1-based epoch of the current step */
    double loss;       /* the last training batch's loss */
    double examples_per_sec;
} trn_progress;

/** Options of one run (all optional; zero = the config's behaviour). */
typedef struct trn_run_options {
    /* Export into this directory instead of the config's export_dir_base. */
    const char *export_dir_base;
    /* Train num_epochs (or max_steps) more steps from the checkpoint's
     * global step, instead of up to that many in total: one round of
     * continuous training over the data as it is now. */
    int continue_training;
    /* Polled every step; nonzero stops training after a checkpoint (the
     * run then returns TSD_CANCELLED without evaluating or exporting). */
    int (*should_stop)(void *ud);
    /* Called at phase changes and about twice a second while training. */
    void (*on_progress)(void *ud, const trn_progress *p);
    void *ud;
    /* Progress lines (a terminal gets one updating line). NULL: none. */
    FILE *log;
} trn_run_options;

/**
 * One run from a text-format tensord.TrainerConfig (proto/tensord/
 * trainer_config.proto), as estimator.train(); evaluate();
 * export_saved_model(): read the data, build the model, resume from
 * model_dir's latest checkpoint, train with checkpoints and summaries,
 * evaluate on the eval files (*metrics, also written to model_dir/eval)
 * and export a SavedModel (*export_dir, malloc'ed).
 */
tsd_code trn_run(const char *config_path, const trn_run_options *opts, trn_metrics *metrics,
                 char **export_dir, tsd_status *st);

#endif
