/*
 * forward.c - the model parts on the feature columns: the linear model
 * (columns sorted by name; weighted sums of weight rows for categorical
 * ids, matmuls for dense columns, bias_weights), the DNN (the input layer
 * concatenating dense columns sorted by name, hidden layers, logits) and
 * the DNNLinearCombined sum, under the canned estimators' variable names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/columns_int.h"

#define I32 ENG_DT_INT32
#define F32 ENG_DT_FLOAT

static int cmp_cols(const void *a, const void *b, void *c)
{
    const trn_config *cfg = c;
    return strcmp(cfg->cols[*(const int *)a].name, cfg->cols[*(const int *)b].name);
}

static void sorted_cols(const trn_config *c, int part, int *idx, int *n)
{
    *n = 0;
    for (int i = 0; i < c->ncols; i++)
        if (c->cols[i].parts & part)
            idx[(*n)++] = i;
    qsort_r(idx, (size_t)*n, sizeof *idx, cmp_cols, (void *)c);
}

static tsd_code linear(trn_cols *x, const char **logits)
{
    trn_gb *b = x->b;
    const trn_config *c = x->c;
    int idx[256], n;
    sorted_cols(c, TRN_PART_LINEAR, idx, &n);
    int64_t units = c->logits_dim;
    const char *sum = NULL;
    for (int k = 0; k < n; k++) {
        const trn_col *col = &c->cols[idx[k]];
        char san[160];
        trn__col_sanitize(col->name, san, sizeof san);
        const char *scope = trn_gb_name(b, "linear/linear_model/%s", san);
        int64_t first = col->categorical ? col->num_buckets : trn__col_dense_width(col);
        int64_t dims[2] = {first, units};
        const char *w = trn__var(b, x->vars, trn_gb_name(b, "%s/weights", scope), F32, 2, dims,
                                 TRN_INIT_ZEROS, 0, TRN_PART_LINEAR);
        const char *part;
        if (col->categorical) {
            part = trn__col_lookup(x, scope, w, trn__col_ids(x, idx[k]), c->sparse_combiner);
        } else {
            const char *in = trn__col_dense(x, idx[k], "linear/linear_model");
            part = trn_gb_name(b, "%s/weighted_sum", scope);
            eng_node *mm = trn_gb_add(b, part, "MatMul", (const char *[]){in, w}, 2);
            trn_gb_type(b, mm, "T", F32);
            trn_gb_bool(b, mm, "transpose_a", 0);
            trn_gb_bool(b, mm, "transpose_b", 0);
        }
        sum = sum ? trn_gb_op2(b, trn_gb_name(b, "linear/linear_model/add_%d", k), "AddV2", sum,
                               part, F32)
                  : part;
    }
    int64_t bd[1] = {units};
    const char *bias = trn__var(b, x->vars, "linear/linear_model/bias_weights", F32, 1, bd,
                                TRN_INIT_ZEROS, 0, TRN_PART_LINEAR);
    if (!sum) {
        tsd_err(b->st, TSD_INVALID_ARGUMENT, "the linear model has no feature columns");
        b->failed = 1;
        return b->st->code;
    }
    const char *out = "linear/linear_model/weighted_sum";
    eng_node *ba = trn_gb_add(b, out, "BiasAdd", (const char *[]){sum, bias}, 2);
    trn_gb_type(b, ba, "T", F32);
    trn_gb_str(b, ba, "data_format", "NHWC");
    *logits = out;
    return b->failed ? b->st->code : TSD_OK;
}

/* ---- the DNN ------------------------------------------------------------------------- */

static const char *dense_layer(trn_cols *x, const char *scope, const char *in, int64_t nin,
                               int64_t nout, const char *act)
{
    trn_gb *b = x->b;
    int64_t kd[2] = {nin, nout}, bd[1] = {nout};
    const char *k = trn__var(b, x->vars, trn_gb_name(b, "%s/kernel", scope), F32, 2, kd,
                             TRN_INIT_GLOROT, 0, TRN_PART_DNN);
    const char *bias = trn__var(b, x->vars, trn_gb_name(b, "%s/bias", scope), F32, 1, bd,
                                TRN_INIT_ZEROS, 0, TRN_PART_DNN);
    const char *mm = trn_gb_name(b, "%s/MatMul", scope);
    eng_node *m = trn_gb_add(b, mm, "MatMul", (const char *[]){in, k}, 2);
    trn_gb_type(b, m, "T", F32);
    trn_gb_bool(b, m, "transpose_a", 0);
    trn_gb_bool(b, m, "transpose_b", 0);
    const char *ba = trn_gb_name(b, "%s/BiasAdd", scope);
    eng_node *a = trn_gb_add(b, ba, "BiasAdd", (const char *[]){mm, bias}, 2);
    trn_gb_type(b, a, "T", F32);
    trn_gb_str(b, a, "data_format", "NHWC");
    if (!act)
        return ba;
    return trn_gb_op1(b, trn_gb_name(b, "%s/%s", scope, act), act, ba, F32);
}

/*
 * Dropout after hidden layer i: in * mask, where the mask is a
 * PlaceholderWithDefault of 1.0. The train plan feeds [B, width] masks of
 * 0 and 1/keep drawn by the trainer (seeded by step); predict and eval
 * leave the default, which changes nothing (x * 1.0 == x), and the export
 * has no dropout at all, as Keras' Dropout is inactive outside training.
 */
static const char *dropout(trn_cols *x, int i, const char *in, int64_t width)
{
    trn_gb *b = x->b;
    const char *one = trn_gb_sf32(b, trn_gb_name(b, "dnn/hiddenlayer_%d/dropout/no_mask", i), 1);
    const char *mask = trn_gb_name(b, "dnn/hiddenlayer_%d/dropout/mask", i);
    eng_node *p = trn_gb_add(b, mask, "PlaceholderWithDefault", &one, 1);
    trn_gb_type(b, p, "dtype", F32);
    trn_gb_attr(b, p, "shape", (eng_attr){.kind = ENG_ATTR_SHAPE, .shape = {.rank = -1}});
    trn_graph_names *o = x->out;
    if (!b->failed && o->nmasks < TRN_MAX_MASKS) {
        o->masks[o->nmasks] = mask;
        o->mask_width[o->nmasks++] = width;
    }
    return trn_gb_op2(b, trn_gb_name(b, "dnn/hiddenlayer_%d/dropout/mul", i), "Mul", in, mask, F32);
}

/* A [n] float variable of batch norm layer i, initialised to v, trained when part != 0. */
static const char *bn_var(trn_cols *x, int i, const char *what, int64_t n, float v, int part)
{
    trn_gb *b = x->b;
    return trn__var(b, x->vars, trn_gb_name(b, "dnn/hiddenlayer_%d/batchnorm_%d/%s", i, i, what),
                    F32, 1, &n, v ? TRN_INIT_CONST : TRN_INIT_ZEROS, v, part);
}

/*
 * Batch normalization after hidden layer i (Keras' BatchNormalization as
 * the DNN estimator configures it: momentum 0.999, epsilon 0.001, over the
 * batch axis): gamma * (in - mean) / sqrt(var + eps) + beta. Training uses
 * the batch's moments and moves moving_mean / moving_variance toward them
 * (extra train targets); inference uses the moving ones. In the training
 * graph one PlaceholderWithDefault "dnn/batchnorm_training" (default 0,
 * the train plan feeds 1) picks between them; the export uses the moving
 * moments alone.
 */
static const char *batch_norm(trn_cols *x, int i, const char *in, int64_t w)
{
    trn_gb *b = x->b;
    const char *sc = trn_gb_name(b, "dnn/hiddenlayer_%d/batchnorm_%d", i, i);
    const char *gamma = bn_var(x, i, "gamma", w, 1.0f, TRN_PART_DNN);
    const char *beta = bn_var(x, i, "beta", w, 0.0f, TRN_PART_DNN);
    const char *mm = bn_var(x, i, "moving_mean", w, 0.0f, 0);
    const char *mv = bn_var(x, i, "moving_variance", w, 1.0f, 0);
    const char *mean = mm, *var = mv;
    if (x->vars && x->out) { /* training graph */
        trn_graph_names *o = x->out;
        const char *t = "dnn/batchnorm_training";
        if (!o->bn_mode) {
            const char *zero = trn_gb_sf32(b, "dnn/batchnorm_training/default", 0);
            eng_node *p = trn_gb_add(b, t, "PlaceholderWithDefault", &zero, 1);
            trn_gb_type(b, p, "dtype", F32);
            trn_gb_attr(b, p, "shape", (eng_attr){.kind = ENG_ATTR_SHAPE, .shape = {.rank = 0}});
            o->bn_mode = t;
        }
        const char *ax = trn_gb_si32(b, trn_gb_name(b, "%s/moments/axis", sc), 0);
        const char *mu_b = trn_gb_name(b, "%s/moments/mean", sc);
        eng_node *n = trn_gb_add(b, mu_b, "Mean", (const char *[]){in, ax}, 2);
        trn_gb_type(b, n, "T", F32);
        trn_gb_type(b, n, "Tidx", I32);
        trn_gb_bool(b, n, "keep_dims", 0);
        const char *d =
            trn_gb_op2(b, trn_gb_name(b, "%s/moments/centered", sc), "Sub", in, mu_b, F32);
        const char *d2 = trn_gb_op1(b, trn_gb_name(b, "%s/moments/squared", sc), "Square", d, F32);
        const char *var_b = trn_gb_name(b, "%s/moments/variance", sc);
        n = trn_gb_add(b, var_b, "Mean", (const char *[]){d2, ax}, 2);
        trn_gb_type(b, n, "T", F32);
        trn_gb_type(b, n, "Tidx", I32);
        trn_gb_bool(b, n, "keep_dims", 0);
        const char *one = trn_gb_sf32(b, trn_gb_name(b, "%s/one", sc), 1);
        const char *nt = trn_gb_op2(b, trn_gb_name(b, "%s/not_training", sc), "Sub", one, t, F32);
        const char *moments[2][2] = {{mu_b, mm}, {var_b, mv}};
        const char *out[2];
        static const char *const what[2] = {"mean", "variance"};
        for (int k = 0; k < 2; k++) {
            const char *stop = trn_gb_op1(b, trn_gb_name(b, "%s/%s/moving_stop", sc, what[k]),
                                          "StopGradient", moments[k][1], F32);
            const char *bt = trn_gb_op2(b, trn_gb_name(b, "%s/%s/batch_part", sc, what[k]), "Mul",
                                        moments[k][0], t, F32);
            const char *mt = trn_gb_op2(b, trn_gb_name(b, "%s/%s/moving_part", sc, what[k]), "Mul",
                                        stop, nt, F32);
            out[k] = trn_gb_op2(b, trn_gb_name(b, "%s/%s/used", sc, what[k]), "AddV2", bt, mt, F32);
            /* moving = moving * momentum + batch * (1 - momentum), a train target */
            const char *mom = trn_gb_sf32(b, trn_gb_name(b, "%s/%s/momentum", sc, what[k]), 0.999f);
            const char *rest = trn_gb_sf32(
                b, trn_gb_name(b, "%s/%s/one_minus_momentum", sc, what[k]), 1.0f - 0.999f);
            const char *keep =
                trn_gb_op2(b, trn_gb_name(b, "%s/%s/decayed", sc, what[k]), "Mul", stop, mom, F32);
            const char *bs = trn_gb_op1(b, trn_gb_name(b, "%s/%s/batch_stop", sc, what[k]),
                                        "StopGradient", moments[k][0], F32);
            const char *add =
                trn_gb_op2(b, trn_gb_name(b, "%s/%s/added", sc, what[k]), "Mul", bs, rest, F32);
            const char *nv = trn_gb_op2(b, trn_gb_name(b, "%s/%s/new_moving", sc, what[k]), "AddV2",
                                        keep, add, F32);
            const char *var_node =
                trn_gb_name(b, "dnn/hiddenlayer_%d/batchnorm_%d/moving_%s", i, i, what[k]);
            const char *upd = trn_gb_name(b, "%s/%s/update_moving", sc, what[k]);
            eng_node *a = trn_gb_add(b, upd, "AssignVariableOp", (const char *[]){var_node, nv}, 2);
            trn_gb_type(b, a, "dtype", F32);
            if (!b->failed && o->nbn_updates < 2 * TRN_MAX_MASKS)
                o->bn_updates[o->nbn_updates++] = upd;
        }
        mean = out[0];
        var = out[1];
    }
    const char *eps = trn_gb_sf32(b, trn_gb_name(b, "%s/epsilon", sc), 0.001f);
    const char *ve = trn_gb_op2(b, trn_gb_name(b, "%s/add_epsilon", sc), "AddV2", var, eps, F32);
    const char *inv = trn_gb_op1(b, trn_gb_name(b, "%s/Rsqrt", sc), "Rsqrt", ve, F32);
    const char *c = trn_gb_op2(b, trn_gb_name(b, "%s/centered", sc), "Sub", in, mean, F32);
    const char *nrm = trn_gb_op2(b, trn_gb_name(b, "%s/normalized", sc), "Mul", c, inv, F32);
    const char *sc2 = trn_gb_op2(b, trn_gb_name(b, "%s/scaled", sc), "Mul", nrm, gamma, F32);
    return trn_gb_op2(b, trn_gb_name(b, "%s/output", sc), "AddV2", sc2, beta, F32);
}

static tsd_code dnn(trn_cols *x, const char **logits)
{
    trn_gb *b = x->b;
    const trn_config *c = x->c;
    int idx[256], n;
    sorted_cols(c, TRN_PART_DNN, idx, &n);
    const char **parts = calloc((size_t)n + 1, sizeof *parts);
    if (!parts)
        return tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    int64_t width = 0;
    for (int k = 0; k < n; k++) {
        parts[k] = trn__col_dense(x, idx[k], "dnn/input_from_feature_columns/input_layer");
        width += trn__col_dense_width(&c->cols[idx[k]]);
    }
    const char *in = parts[0];
    if (n > 1) {
        parts[n] = trn_gb_si32(b, "dnn/input_from_feature_columns/input_layer/concat/axis", 1);
        in = "dnn/input_from_feature_columns/input_layer/concat";
        eng_node *cc = trn_gb_add(b, in, "ConcatV2", parts, n + 1);
        trn_gb_int(b, cc, "N", n);
        trn_gb_type(b, cc, "T", F32);
        trn_gb_type(b, cc, "Tidx", I32);
    }
    free(parts);
    for (int i = 0; i < c->nhidden; i++) {
        in = dense_layer(x, trn_gb_name(b, "dnn/hiddenlayer_%d", i), in, width, c->hidden[i],
                         c->activation);
        width = c->hidden[i];
        if (c->dropout > 0 && x->vars && x->out) /* training graph only */
            in = dropout(x, i, in, width);
        if (c->batch_norm)
            in = batch_norm(x, i, in, width);
    }
    *logits = dense_layer(x, "dnn/logits", in, width, c->logits_dim, NULL);
    return b->failed ? b->st->code : TSD_OK;
}

tsd_code trn__build_forward(trn_gb *b, const trn_config *c, trn_vars *vars, const char *examples,
                            trn_graph_names *out)
{
    memset(out, 0, sizeof *out);
    trn_cols x = {.b = b, .c = c, .vars = vars, .out = out};
    x.dense = calloc((size_t)c->nfeatures + 1, sizeof *x.dense);
    x.parsed = calloc((size_t)c->nfeatures + 1, sizeof *x.parsed);
    x.ids = calloc((size_t)c->ncols, sizeof *x.ids);
    x.built = calloc((size_t)c->ncols, sizeof *x.built);
    tsd_code rc = TSD_OK;
    if (!x.dense || !x.parsed || !x.ids || !x.built)
        rc = tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    const char *lin = NULL, *deep = NULL;
    if (!rc)
        rc = trn__cols_parse(&x, examples);
    if (!rc && c->has_dnn)
        rc = dnn(&x, &deep);
    int nlin = 0;
    for (int i = 0; i < c->ncols; i++)
        nlin += (c->cols[i].parts & TRN_PART_LINEAR) != 0;
    if (!rc && c->has_linear && (nlin || !c->has_dnn))
        rc = linear(&x, &lin);
    if (!rc) {
        if (lin && deep)
            out->logits = trn_gb_op2(b, "add", "AddV2", deep, lin, F32);
        else
            out->logits = lin ? lin : deep;
        rc = b->failed ? b->st->code : TSD_OK;
    }
    free(x.dense);
    free(x.parsed);
    free(x.ids);
    free(x.built);
    return rc;
}
