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
