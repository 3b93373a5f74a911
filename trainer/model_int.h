/*
 * model_int.h - trainer-private: what the model builder, the feature
 * columns, the data reader, evaluation and export share.
 */
#ifndef TSD_TRAINER_MODEL_INT_H
#define TSD_TRAINER_MODEL_INT_H

#include "engine/engine.h"
#include "trainer/gb.h"
#include "trainer/spec.h"
#include "trainer/trainer.h"

/* ---- data ------------------------------------------------------------------------ */

/** The serialized examples, labels [n, label_dim] and weights [n] of d. */
const eng_str *trn__data_examples(const trn_data *d);
const float *trn__data_labels(const trn_data *d);
const float *trn__data_weights(const trn_data *d);

/**
 * The order of epoch `epoch` over n rows: Dataset.shuffle(buffer) seeded by
 * (seed, epoch); buffer <= 1 keeps the file order.
 */
void trn__data_order(int64_t n, uint64_t seed, int64_t epoch, int64_t buffer, int64_t *order);

/** A dense feature for trn__parse_dense: key, dtype, width, defaults (NULL: required). */
typedef struct trn_dense_key {
    const char *key;
    eng_dtype dtype;
    int64_t width;
    const float *defaults; /* width floats (float features only) */
} trn_dense_key;

/** Called per chunk with rows [first, first + n) and one output per key, in key order. */
typedef tsd_code (*trn_dense_fn)(void *ud, int64_t first, int64_t n, const eng_tensor *outs,
                                 tsd_status *st);

/** Parse the dense keys of examples ex[0..n) with ParseExample, chunk by chunk. */
tsd_code trn__parse_dense(const eng_str *ex, int64_t n, const trn_dense_key *keys, int nk,
                          trn_dense_fn fn, void *ud, tsd_status *st);

/* ---- variables ------------------------------------------------------------------- */

enum { TRN_INIT_ZEROS, TRN_INIT_GLOROT, TRN_INIT_TRUNC_NORMAL, TRN_INIT_CONST };

/** A variable the model trains or keeps (weights, optimizer slots, global_step). */
typedef struct trn_var {
    char name[256];
    eng_dtype dtype;
    int rank;
    int64_t dims[2];
    int init;    /* TRN_INIT_* */
    float value; /* CONST value, TRUNC_NORMAL stddev */
    int part;    /* TRN_PART_* of a model weight; 0 for slots and global_step */
} trn_var;

/** The variables a graph build records (NULL when building an export graph). */
typedef struct trn_vars {
    trn_var *v;
    int n, cap;
} trn_vars;

/**
 * A resource variable in the graph, recorded in vars when vars is not
 * NULL; returns its "<name>/Read" tensor.
 */
const char *trn__var(trn_gb *b, trn_vars *vars, const char *name, eng_dtype dt, int rank,
                     const int64_t *dims, int init, float value, int part);

/* ---- the feature columns and the model graph ------------------------------------- */

#define TRN_MAX_MASKS 16 /* one per hidden layer */

/** Names the model graph exposes. */
typedef struct trn_graph_names {
    const char *logits; /* [B, logits_dim] */
    char **table_inits; /* table initializer nodes (malloc'ed array of pool names) */
    int ntable_inits;
    /* vocabulary files: the string Const each initializer reads its path
     * from ("x:0") and the file (malloc'ed arrays of pool / config strings) */
    char **asset_tensors;
    const char **asset_files;
    int nassets;
    /* dropout masks the train plan feeds (training graph only) */
    const char *masks[TRN_MAX_MASKS];
    int64_t mask_width[TRN_MAX_MASKS];
    int nmasks;
    /* batch norm (training graph): the mode placeholder the train plan
     * feeds 1.0, and the moving-moment updates it runs */
    const char *bn_mode;
    const char *bn_updates[2 * TRN_MAX_MASKS];
    int nbn_updates;
} trn_graph_names;

/**
 * Add the forward model to b on the string tensor `examples` (serialized
 * tf.Example [B]): ParseExample over the config's parse spec, the feature
 * columns, the linear and DNN parts with their variables, and the logits.
 * Variables go to vars (NULL: not recorded).
 */
tsd_code trn__build_forward(trn_gb *b, const trn_config *c, trn_vars *vars, const char *examples,
                            trn_graph_names *out);

/**
 * The head's prediction nodes on logits (as the canned heads name them):
 * binary: head/predictions/{logistic, probabilities, class_ids, classes}
 * and the all-classes tensors; multi-class: probabilities, class_ids,
 * classes; regression: head/predictions/predictions. `out` names the
 * tensor trn_predict returns.
 */
tsd_code trn__build_predictions(trn_gb *b, const trn_config *c, const char *logits,
                                const char **out);

/**
 * The training loss on logits: per-example losses [B, dim] (unweighted)
 * and "loss", the SUM_OVER_BATCH_SIZE mean of weights [B,1] * per-example.
 * labels are [B, dim] floats (class ids for a multi-class head).
 */
tsd_code trn__build_loss(trn_gb *b, const trn_config *c, const char *logits, const char *labels,
                         const char *weights, const char **per_example, const char **loss);

/** The model's config and session. */
const trn_config *trn__config(const trn_model *m);
eng_session *trn__session(trn_model *m);

/**
 * Run the eval plan on rows [first, first + n) of d: the prediction output
 * (trn_output_dim floats per row), per-example weighted losses and the
 * batch loss.
 */
tsd_code trn__eval_batch(trn_model *m, const trn_data *d, int64_t first, int64_t n, float *pred,
                         float *example_loss, float *batch_loss, tsd_status *st);

#endif
