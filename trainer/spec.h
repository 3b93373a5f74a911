/*
 * spec.h - trainer-private: a TrainerConfig checked and resolved into what
 * the model builder and the data reader need: the feature columns with
 * TensorFlow's names, bucket counts and references between columns, the
 * tf.Example parse spec they imply, the head, the model parts and their
 * optimizers with TF 2's defaults filled in.
 */
#ifndef TSD_TRAINER_SPEC_H
#define TSD_TRAINER_SPEC_H

#include <stdint.h>

#include "engine/engine.h"
#include "tensord/trainer_config.pb-c.h"
#include "trainer/trainer.h"

enum {
    TRN_NUMERIC,
    TRN_BUCKETIZED,
    TRN_VOCAB,
    TRN_HASH,
    TRN_IDENTITY,
    TRN_CROSSED,
    TRN_INDICATOR,
    TRN_EMBEDDING,
    TRN_WEIGHTED,
};

#define TRN_PART_LINEAR 1
#define TRN_PART_DNN 2
#define TRN_MAX_CROSS 8

enum { TRN_COMBINER_MEAN, TRN_COMBINER_SUM, TRN_COMBINER_SQRTN };

/** One feature column, resolved. */
typedef struct trn_col {
    int kind;
    char name[160];  /* TF's column name */
    const char *key; /* the feature it reads (numeric, bucketized, vocab, hash, identity) */
    int parts;       /* TRN_PART_* bits; 0 = only a source of other columns */
    int categorical; /* yields sparse ids */
    int64_t num_buckets;
    eng_dtype dtype; /* the raw feature's type: FLOAT, INT64 or STRING */
    int shape;       /* numeric / bucketized: elements per example */
    const float *defaults;
    int ndefaults;
    int normalize;
    float *mean, *std; /* [shape] normalizer statistics (set by the model) */
    const float *bounds;
    int nbounds;
    char **vocab;     /* vocabulary (owned copies) */
    char *vocab_path; /* vocabulary_file (string keys): its resolved path, a table asset */
    int64_t nvocab, default_id, num_oov;
    uint64_t hash_key;
    int src[TRN_MAX_CROSS]; /* crossed: column index, or -1 for raw[i] */
    const char *raw[TRN_MAX_CROSS];
    int nsrc;
    int cat; /* indicator / embedding / weighted: the categorical column */
    int dim, combiner;
    const char *weight_key;
} trn_col;

/** One tf.Example feature the model parses. */
typedef struct trn_feature {
    const char *key;
    int sparse; /* VarLenFeature, else FixedLenFeature */
    eng_dtype dtype;
    int shape;
    const float *defaults;
    int ndefaults;
} trn_feature;

enum { TRN_HEAD_BINARY, TRN_HEAD_MULTI, TRN_HEAD_REGRESSION };
enum { TRN_OPT_SGD, TRN_OPT_ADAGRAD, TRN_OPT_FTRL, TRN_OPT_ADAM };

/** An optimizer with TF's defaults filled in. */
typedef struct trn_opt {
    int type;
    const char *name; /* "Adagrad", "Ftrl", "SGD", "Adam" (slot scope) */
    float lr, lr_power, l1, l2, l2_shrinkage, init_acc, beta1, beta2, eps;
} trn_opt;

struct trn_config {
    Tensord__TrainerConfig *pb;
    char *path, *dir; /* the file and its directory ("." for text) */
    trn_col *cols;
    int ncols;
    trn_feature *features; /* sorted by key; dense and sparse mixed */
    int nfeatures;
    const char *est_type;
    int has_linear, has_dnn;
    int head, n_classes, logits_dim;
    const char *const *class_names; /* label_vocabulary or NULL */
    int hidden[16], nhidden;
    const char *activation; /* op name: Relu, Tanh, Sigmoid, Elu */
    int sparse_combiner;
    int loss_sum;   /* loss_reduction "sum" (else SUM_OVER_BATCH_SIZE) */
    float dropout;  /* DNN: probability of dropping a hidden unit in training */
    int batch_norm; /* DNN: batch normalization after each hidden layer */
    trn_opt linear_opt, dnn_opt;
    uint64_t seed;
};

/**
 * Resolve the estimator (type, head, hidden units, activation, each
 * column's model part, optimizers) of c, whose columns are resolved.
 */
tsd_code trn__spec_estimator(trn_config *c, tsd_status *st);

/** file relative to the config's directory unless absolute, into out. */
void trn__config_path(const trn_config *c, const char *file, char *out, size_t len);

/** Index of the column named name, or -1. */
int trn__col_find(const trn_config *c, const char *name);

/** The parse spec entry of key, or NULL. */
const trn_feature *trn__feature(const trn_config *c, const char *key);

#endif
