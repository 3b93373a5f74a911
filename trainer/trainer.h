/*
 * trainer.h - public API of the embedded trainer: tf.estimator in C.
 *
 * A text-format tensord.TrainerConfig (proto/tensord/trainer_config.proto)
 * describes the data, the feature columns and a canned estimator (Linear,
 * DNN or DNNLinearCombined; classifier or regressor). The model is one
 * engine graph built the way tf.estimator builds it: the parsing serving
 * input (ParseExample over serialized tf.Example), the feature column
 * transforms, the model with TF's variable names, the head, the loss, its
 * gradients and the optimizer updates (FTRL, Adagrad, SGD, Adam), compiled
 * into a train plan and predict / eval plans. Training feeds the same
 * serialized examples a client sends, so the exported SavedModel answers
 * exactly what the trainer predicts. Checkpoints are TensorFlow V2
 * bundles written crash-safe by the loader, so training resumes after a
 * kill -9 and TensorFlow can read them.
 */
#ifndef TSD_TRAINER_TRAINER_H
#define TSD_TRAINER_TRAINER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/status.h"

/* ---- configuration and data ---------------------------------------------------- */

/** A parsed and checked trainer config. */
typedef struct trn_config trn_config;

/** Read a text-format tensord.TrainerConfig; relative paths are relative to its directory. */
trn_config *trn_config_load(const char *path, tsd_status *st);

/** Parse config text; relative paths are relative to base_dir. */
trn_config *trn_config_parse(const char *text, size_t len, const char *base_dir, tsd_status *st);

/** Free a config. */
void trn_config_free(trn_config *c);

/**
 * A dataset in memory: one serialized tf.Example per row (CSV rows are
 * converted with the types the feature columns give each column; TFRecord
 * files are read as they are), the label(s) and the weight of each row.
 */
typedef struct trn_data trn_data;

/** Read the config's train (eval = 0) or eval (eval = 1) files. */
trn_data *trn_data_read(const trn_config *c, int eval, tsd_status *st);

/** Rows in d. */
int64_t trn_data_rows(const trn_data *d);

/** Row i's label (its first label for a multi-dimensional regressor). */
float trn_data_label(const trn_data *d, int64_t i);

/** Free a dataset. */
void trn_data_free(trn_data *d);

/* ---- the model ------------------------------------------------------------------ */

typedef struct trn_model trn_model;

/**
 * Build and compile the model the config describes, variables initialised
 * as the estimator does (seeded by run_config.tf_random_seed). `train`
 * gives the normalizer statistics of numeric columns with normalize set
 * (it may be NULL when none has).
 */
trn_model *trn_model_new(const trn_config *c, const trn_data *train, tsd_status *st);

/** Free a model. */
void trn_model_free(trn_model *m);

/**
 * One training step on the rows rows[0..batch) of d. *loss gets the batch's
 * loss (SUM_OVER_BATCH_SIZE) before the update. A NaN loss stops training
 * with "Model diverged with loss = NaN.".
 */
tsd_code trn_train_step(trn_model *m, const trn_data *d, const int64_t *rows, int64_t batch,
                        float *loss, tsd_status *st);

/** Values per example trn_predict writes (1 for binary and regression heads with one label). */
int trn_output_dim(const trn_model *m);

/**
 * Predict rows [first, first + batch) of d: the probability of class 1
 * (binary), the class probabilities (multi-class) or the predictions
 * (regression); out has batch * trn_output_dim(m) floats.
 */
tsd_code trn_predict(trn_model *m, const trn_data *d, int64_t first, int64_t batch, float *out,
                     tsd_status *st);

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
 * Export a SavedModel as Estimator.export_saved_model does:
 * <export_dir_base>/<unix seconds> (written as temp-<ts>, then renamed)
 * with the parsing serving input receiver, the head's signatures
 * (classifiers: serving_default and classification, predict, and for a
 * binary head regression; regressors: serving_default and regression,
 * predict), the table initializers as the main op, the restore subgraph
 * and saver_def, and variables/ with the model weights and global_step.
 * *export_dir (malloc'ed) names the directory written.
 */
tsd_code trn_export(trn_model *m, const char *export_dir_base, char **export_dir, tsd_status *st);

/* ---- evaluation -------------------------------------------------------------- */

/** One evaluation metric under TensorFlow's key ("accuracy", "auc", ...). */
typedef struct trn_metric {
    char key[40];
    double value;
} trn_metric;

/** The metrics of one evaluate(), sorted by key as TF prints them. */
typedef struct trn_metrics {
    int n;
    trn_metric m[24];
} trn_metrics;

/** The value of metric `key`, or NAN if absent. */
double trn_metrics_get(const trn_metrics *m, const char *key);

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
 * Evaluate the model on all of d in batches of batch_size: the head's
 * metrics under TF's keys (binary: accuracy, accuracy_baseline, auc,
 * auc_precision_recall, average_loss, label/mean, loss, precision,
 * prediction/mean, recall; multi-class: accuracy, average_loss, loss;
 * regression: average_loss, label/mean, loss, prediction/mean; all:
 * global_step). With model_dir, also append them as one summary at
 * global_step to model_dir/eval/events.out.tfevents.*, as
 * Estimator.evaluate does.
 */
tsd_code trn_evaluate(trn_model *m, const trn_data *d, int64_t batch_size, const char *model_dir,
                      trn_metrics *out, tsd_status *st);

/* ---- runs -------------------------------------------------------------------- */

/** Where a run is, as reported to trn_run_options.on_progress. */
typedef struct trn_progress {
    const char *phase; /* "reading", "training", "evaluating", "exporting", "done" */
    int64_t step;      /* global step */
    int64_t max_steps; /* the step this run trains to */
    int64_t epoch;     /* 1-based epoch of the current step */
    double loss;       /* the last training batch's loss */
    double examples_per_sec;
} trn_progress;

enum { TRN_RUN_TRAIN, TRN_RUN_EVALUATE, TRN_RUN_EXPORT };

/** Options of one run (all optional; zero = the config's behaviour). */
typedef struct trn_run_options {
    /* TRN_RUN_TRAIN (0): train, evaluate, export. TRN_RUN_EVALUATE: only
     * evaluate the latest checkpoint. TRN_RUN_EXPORT: only export it.
     * Evaluate and export need a checkpoint (NOT_FOUND without one). */
    int mode;
    /* When the run trains no step (training was already complete) and the
     * export base already holds a version, do not export the same weights
     * again: *export_dir stays NULL. */
    int skip_export_if_untrained;
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
