/*
 * head.c - the canned heads (formats: loss and reduction; SavedModel
 * export): prediction tensors under the names Estimator's heads give them,
 * and the training loss. Binary: sigmoid cross-entropy; multi-class:
 * sparse softmax cross-entropy, written as logsumexp(z) - z[label] with
 * ops that have gradients; regression: squared error. The loss is
 * SUM_OVER_BATCH_SIZE (TF 2: the mean of weight * per-example loss over all
 * elements) or, with loss_reduction "sum", their sum (TF 1's estimators).
 */
#include <stdio.h>
#include <string.h>

#include "trainer/model_int.h"

#define F32 ENG_DT_FLOAT
#define I32 ENG_DT_INT32
#define I64 ENG_DT_INT64

static const char *argmax_classes(trn_gb *b, const char *logits)
{
    const char *dim = trn_gb_si32(b, "head/predictions/class_ids/dimension", 1);
    eng_node *n =
        trn_gb_add(b, "head/predictions/class_ids", "ArgMax", (const char *[]){logits, dim}, 2);
    trn_gb_type(b, n, "T", F32);
    trn_gb_type(b, n, "Tidx", I32);
    trn_gb_type(b, n, "output_type", I64);
    const char *ed = trn_gb_si32(b, "head/predictions/ExpandDims/dim", -1);
    n = trn_gb_add(b, "head/predictions/ExpandDims", "ExpandDims",
                   (const char *[]){"head/predictions/class_ids", ed}, 2);
    trn_gb_type(b, n, "T", I64);
    trn_gb_type(b, n, "Tdim", I32);
    return "head/predictions/ExpandDims";
}

/* classes [B,1] (strings), all_class_ids and all_classes [B, n] (head/Tile). */
static void class_names(trn_gb *b, const trn_config *c, int n)
{
    const char *ids = "head/predictions/ExpandDims";
    char num[64][12];
    const char *names[64];
    for (int i = 0; i < n && i < 64; i++) {
        snprintf(num[i], sizeof num[i], "%d", i);
        names[i] = c->class_names ? c->class_names[i] : num[i];
    }
    if (c->class_names) {
        const char *vocab =
            trn_gb_strs(b, "head/predictions/class_string_lookup/vocabulary", names, n);
        const char *axis = trn_gb_si32(b, "head/predictions/class_string_lookup/axis", 0);
        eng_node *g = trn_gb_add(b, "head/predictions/str_classes", "GatherV2",
                                 (const char *[]){vocab, ids, axis}, 3);
        trn_gb_type(b, g, "Tparams", ENG_DT_STRING);
        trn_gb_type(b, g, "Tindices", I64);
        trn_gb_type(b, g, "Taxis", I32);
        trn_gb_int(b, g, "batch_dims", 0);
    } else {
        eng_node *s = trn_gb_add(b, "head/predictions/str_classes", "AsString", &ids, 1);
        trn_gb_type(b, s, "T", I64);
        trn_gb_int(b, s, "precision", -1);
        trn_gb_bool(b, s, "scientific", 0);
        trn_gb_bool(b, s, "shortest", 0);
        trn_gb_int(b, s, "width", -1);
        trn_gb_str(b, s, "fill", "");
    }
    /* [1, n] constants tiled to [B, n] by Shape(class ids) = [B, 1] */
    eng_node *sh = trn_gb_add(b, "head/Shape", "Shape", &ids, 1);
    trn_gb_type(b, sh, "T", I64);
    trn_gb_type(b, sh, "out_type", I32);
    eng_tensor t = {.dtype = ENG_DT_STRING, .rank = 2, .dims = {1, n}};
    eng_str sv[64];
    for (int i = 0; i < n; i++)
        sv[i] = (eng_str){names[i], strlen(names[i])};
    t.data = sv;
    t.nbytes = (size_t)n * sizeof *sv;
    trn_gb_const(b, "head/Const", &t);
    eng_node *tl =
        trn_gb_add(b, "head/Tile", "Tile", (const char *[]){"head/Const", "head/Shape"}, 2);
    trn_gb_type(b, tl, "T", ENG_DT_STRING);
    trn_gb_type(b, tl, "Tmultiples", I32);
    int32_t iv[64];
    for (int i = 0; i < n; i++)
        iv[i] = i;
    eng_tensor ti = {.dtype = I32, .rank = 2, .dims = {1, n}, .data = iv, .nbytes = (size_t)n * 4};
    trn_gb_const(b, "head/predictions/all_class_ids/Const", &ti);
    tl = trn_gb_add(b, "head/predictions/all_class_ids", "Tile",
                    (const char *[]){"head/predictions/all_class_ids/Const", "head/Shape"}, 2);
    trn_gb_type(b, tl, "T", I32);
    trn_gb_type(b, tl, "Tmultiples", I32);
}

tsd_code trn__build_predictions(trn_gb *b, const trn_config *c, const char *logits,
                                const char **out)
{
    if (c->head == TRN_HEAD_REGRESSION) {
        *out = trn_gb_op1(b, "head/predictions/predictions", "Identity", logits, F32);
        return b->failed ? b->st->code : TSD_OK;
    }
    if (c->n_classes > 64) {
        tsd_err(b->st, TSD_INVALID_ARGUMENT, "at most 64 classes");
        return b->st->code;
    }
    const char *probs_in = logits;
    if (c->head == TRN_HEAD_BINARY) {
        trn_gb_op1(b, "head/predictions/logistic", "Sigmoid", logits, F32);
        trn_gb_op1(b, "head/predictions/zeros_like", "ZerosLike", logits, F32);
        const char *axis = trn_gb_si32(b, "head/predictions/two_class_logits/axis", 1);
        eng_node *n = trn_gb_add(b, "head/predictions/two_class_logits", "ConcatV2",
                                 (const char *[]){"head/predictions/zeros_like", logits, axis}, 3);
        trn_gb_int(b, n, "N", 2);
        trn_gb_type(b, n, "T", F32);
        trn_gb_type(b, n, "Tidx", I32);
        probs_in = "head/predictions/two_class_logits";
    }
    trn_gb_op1(b, "head/predictions/probabilities", "Softmax", probs_in, F32);
    argmax_classes(b, probs_in);
    class_names(b, c, c->n_classes);
    *out =
        c->head == TRN_HEAD_BINARY ? "head/predictions/logistic" : "head/predictions/probabilities";
    return b->failed ? b->st->code : TSD_OK;
}

tsd_code trn__build_loss(trn_gb *b, const trn_config *c, const char *z, const char *labels,
                         const char *weights, const char **per_example, const char **loss)
{
    const char *per;
    if (c->head == TRN_HEAD_BINARY) { /* max(z,0) - z*y + log1p(exp(-|z|)) */
        const char *r = trn_gb_op1(b, "head/losses/relu_z", "Relu", z, F32);
        const char *zy = trn_gb_op2(b, "head/losses/z_label", "Mul", z, labels, F32);
        const char *a = trn_gb_op1(b, "head/losses/abs_z", "Abs", z, F32);
        const char *na = trn_gb_op1(b, "head/losses/neg_abs_z", "Neg", a, F32);
        const char *e = trn_gb_op1(b, "head/losses/exp", "Exp", na, F32);
        const char *l = trn_gb_op1(b, "head/losses/log1p", "Log1p", e, F32);
        const char *s = trn_gb_op2(b, "head/losses/sub", "Sub", r, zy, F32);
        per = trn_gb_op2(b, "head/losses/per_example", "AddV2", s, l, F32);
    } else if (c->head == TRN_HEAD_MULTI) { /* logsumexp(z) - z[label] */
        const char *li = trn_gb_cast(b, "head/losses/label_ids", labels, F32, I64);
        static const int32_t flat[1] = {-1};
        const char *lf = trn_gb_reshape(b, "head/losses/label_ids_flat", li, I64, flat, 1);
        const char *d = trn_gb_si32(b, "head/losses/depth", c->n_classes);
        const char *on = trn_gb_sf32(b, "head/losses/on", 1);
        const char *off = trn_gb_sf32(b, "head/losses/off", 0);
        eng_node *oh =
            trn_gb_add(b, "head/losses/one_hot", "OneHot", (const char *[]){lf, d, on, off}, 4);
        trn_gb_type(b, oh, "T", F32);
        trn_gb_type(b, oh, "TI", I64);
        trn_gb_int(b, oh, "axis", -1);
        const char *ax = trn_gb_si32(b, "head/losses/axis", 1);
        eng_node *mx = trn_gb_add(b, "head/losses/max", "Max", (const char *[]){z, ax}, 2);
        trn_gb_type(b, mx, "T", F32);
        trn_gb_type(b, mx, "Tidx", I32);
        trn_gb_bool(b, mx, "keep_dims", 1);
        const char *m =
            trn_gb_op1(b, "head/losses/max_stop", "StopGradient", "head/losses/max", F32);
        const char *zc = trn_gb_op2(b, "head/losses/shifted", "Sub", z, m, F32);
        const char *e = trn_gb_op1(b, "head/losses/exp", "Exp", zc, F32);
        eng_node *se = trn_gb_add(b, "head/losses/sum_exp", "Sum", (const char *[]){e, ax}, 2);
        trn_gb_type(b, se, "T", F32);
        trn_gb_type(b, se, "Tidx", I32);
        trn_gb_bool(b, se, "keep_dims", 1);
        const char *lse =
            trn_gb_op1(b, "head/losses/log_sum_exp", "Log", "head/losses/sum_exp", F32);
        const char *pick =
            trn_gb_op2(b, "head/losses/label_logit_all", "Mul", zc, "head/losses/one_hot", F32);
        eng_node *zy =
            trn_gb_add(b, "head/losses/label_logit", "Sum", (const char *[]){pick, ax}, 2);
        trn_gb_type(b, zy, "T", F32);
        trn_gb_type(b, zy, "Tidx", I32);
        trn_gb_bool(b, zy, "keep_dims", 1);
        per = trn_gb_op2(b, "head/losses/per_example", "Sub", lse, "head/losses/label_logit", F32);
    } else {
        const char *d = trn_gb_op2(b, "head/losses/diff", "Sub", z, labels, F32);
        per = trn_gb_op1(b, "head/losses/per_example", "Square", d, F32);
    }
    const char *w = trn_gb_op2(b, "head/losses/weighted", "Mul", per, weights, F32);
    const char *axes = trn_gb_i32(b, "head/losses/axes", (const int32_t[]){0, 1}, 2);
    eng_node *mn =
        trn_gb_add(b, "loss", c->loss_sum ? "Sum" : "Mean", (const char *[]){w, axes}, 2);
    trn_gb_type(b, mn, "T", F32);
    trn_gb_type(b, mn, "Tidx", I32);
    trn_gb_bool(b, mn, "keep_dims", 0);
    *per_example = per;
    *loss = "loss";
    return b->failed ? b->st->code : TSD_OK;
}
