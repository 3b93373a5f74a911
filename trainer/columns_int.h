/*
 * columns_int.h - trainer-private: the feature columns' graph building
 * (columns.c) as the model parts (forward.c) use it.
 */
#ifndef TSD_TRAINER_COLUMNS_INT_H
#define TSD_TRAINER_COLUMNS_INT_H

#include "trainer/model_int.h"

/** Sparse ids of a categorical column: indices [N,2], values [N] int64, dense_shape [2]. */
typedef struct trn_sparse {
    const char *ind, *val, *shape, *w; /* w: weights [N] or NULL */
    int may_be_negative;               /* ids that must be pruned */
} trn_sparse;

typedef struct trn_cols {
    trn_gb *b;
    const trn_config *c;
    trn_vars *vars;
    const char *batch; /* scalar int32 batch size */
    const char **dense;
    trn_sparse *parsed; /* per parse-spec feature */
    trn_sparse *ids;    /* per column, once built */
    int *built;
    trn_graph_names *out;
    int ntables;
} trn_cols;

/** A column name as a variable scope: [A-Za-z0-9_.-] kept, others '_'. */
void trn__col_sanitize(const char *in, char *out, size_t len);

/** Index of key in the parse spec (-1 if absent). */
int trn__feature_index(const trn_config *c, const char *key);

/** ParseExample over the parse spec on `examples`; fills x->dense, x->parsed, x->batch. */
tsd_code trn__cols_parse(trn_cols *x, const char *examples);

/** The pruned sparse ids of categorical column ci (built once). */
trn_sparse trn__col_ids(trn_cols *x, int ci);

/** Rows of params [nb, dim] combined per example over the ids of s. */
const char *trn__col_lookup(trn_cols *x, const char *scope, const char *params, trn_sparse s,
                            int combiner);

/** Width of a dense column's [B, width] tensor (0 for categorical ones). */
int64_t trn__col_dense_width(const trn_col *col);

/** The dense [B, width] tensor of dense column ci, nodes under prefix. */
const char *trn__col_dense(trn_cols *x, int ci, const char *prefix);

#endif
