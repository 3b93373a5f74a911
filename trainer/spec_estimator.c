/*
 * spec_estimator.c - the estimator part of a TrainerConfig: the canned
 * estimator type and its head (binary, multi-class, regression), hidden
 * units and activation, which model part each feature column feeds, and
 * the optimizers with TF 2's defaults (formats: canned estimator defaults:
 * FTRL at 0.2 for a linear model, at min(0.005, 1/sqrt(n)) in a combined
 * one; Adagrad at 0.001 for the DNN; Keras' class defaults otherwise).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainer/spec.h"

static tsd_code optimizer(const trn_config *c, const Tensord__OptimizerConfig *o, int def_type,
                          float def_lr, trn_opt *out, tsd_status *st)
{
    const char *t = o && *o->type ? o->type : NULL;
    int type = def_type;
    if (t) {
        if (strcmp(t, "Adagrad") == 0)
            type = TRN_OPT_ADAGRAD;
        else if (strcmp(t, "Ftrl") == 0)
            type = TRN_OPT_FTRL;
        else if (strcmp(t, "SGD") == 0)
            type = TRN_OPT_SGD;
        else if (strcmp(t, "Adam") == 0)
            type = TRN_OPT_ADAM;
        else
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: optimizer '%s' is not Adagrad, Ftrl, SGD or Adam", c->path, t);
    }
    static const char *const names[] = {"SGD", "Adagrad", "Ftrl", "Adam"};
    /* Keras' class default rates when the type is given without one */
    static const float class_lr[] = {0.01f, 0.001f, 0.001f, 0.001f};
    *out = (trn_opt){
        .type = type,
        .name = names[type],
        .lr = o && o->learning_rate > 0 ? o->learning_rate
              : t                       ? class_lr[type]
                                        : def_lr,
        .lr_power = o && o->has_learning_rate_power ? o->learning_rate_power : -0.5f,
        .l1 = o ? o->l1_regularization_strength : 0,
        .l2 = o ? o->l2_regularization_strength : 0,
        .l2_shrinkage = o ? o->l2_shrinkage_regularization_strength : 0,
        .init_acc = o && o->initial_accumulator_value > 0 ? o->initial_accumulator_value : 0.1f,
        .beta1 = o && o->beta_1 > 0 ? o->beta_1 : 0.9f,
        .beta2 = o && o->beta_2 > 0 ? o->beta_2 : 0.999f,
        .eps = o && o->epsilon > 0 ? o->epsilon : 1e-7f};
    if (out->lr_power > 0 || out->l1 < 0 || out->l2 < 0 || out->l2_shrinkage < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "%s: optimizer %s: learning_rate_power must be <= 0 and regularization "
                       ">= 0",
                       c->path, out->name);
    return TSD_OK;
}

tsd_code trn__spec_estimator(trn_config *c, tsd_status *st)
{
    const Tensord__EstimatorConfig *e = c->pb->estimator;
    const Tensord__DataConfig *d = c->pb->data;
    if (!e || !*e->type)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: estimator.type is required", c->path);
    static const struct {
        const char *name;
        int linear, dnn, regressor;
    } types[] = {
        {"LinearClassifier", 1, 0, 0},
        {"LinearRegressor", 1, 0, 1},
        {"DNNClassifier", 0, 1, 0},
        {"DNNRegressor", 0, 1, 1},
        {"DNNLinearCombinedClassifier", 1, 1, 0},
        {"DNNLinearCombinedRegressor", 1, 1, 1},
    };
    int t = -1;
    for (int i = 0; i < 6; i++)
        if (strcmp(e->type, types[i].name) == 0)
            t = i;
    if (t < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "%s: estimator type '%s' is not one of LinearClassifier, "
                       "LinearRegressor, DNNClassifier, DNNRegressor, "
                       "DNNLinearCombinedClassifier, DNNLinearCombinedRegressor",
                       c->path, e->type);
    c->est_type = types[t].name;
    c->has_linear = types[t].linear;
    c->has_dnn = types[t].dnn;
    c->batch_norm = e->batch_norm;
    if (!(e->dropout >= 0 && e->dropout < 1))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: dropout must be in [0, 1)", c->path);
    c->dropout = e->dropout;
    if (types[t].regressor) {
        c->head = TRN_HEAD_REGRESSION;
        c->logits_dim = e->label_dimension > 0 ? e->label_dimension : 1;
        if (d->n_label_vocabulary)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: a regressor takes numeric labels, not a label_vocabulary", c->path);
    } else {
        c->n_classes = e->n_classes            ? e->n_classes
                       : d->n_label_vocabulary ? (int)d->n_label_vocabulary
                                               : 2;
        if (c->n_classes < 2)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: n_classes must be at least 2", c->path);
        if (d->n_label_vocabulary && d->n_label_vocabulary != (size_t)c->n_classes)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: label_vocabulary has %zu entries but n_classes is %d", c->path,
                           d->n_label_vocabulary, c->n_classes);
        c->head = c->n_classes == 2 ? TRN_HEAD_BINARY : TRN_HEAD_MULTI;
        c->logits_dim = c->n_classes == 2 ? 1 : c->n_classes;
        c->class_names = d->n_label_vocabulary ? (const char *const *)d->label_vocabulary : NULL;
    }
    if (c->has_dnn) {
        if (!e->n_hidden_units || e->n_hidden_units > 16)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: %s needs 1 to 16 hidden_units", c->path,
                           e->type);
        for (size_t i = 0; i < e->n_hidden_units; i++) {
            if (e->hidden_units[i] < 1)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: hidden_units[%zu] must be positive",
                               c->path, i);
            c->hidden[c->nhidden++] = e->hidden_units[i];
        }
    }
    static const struct {
        const char *name, *op;
    } acts[] = {{"relu", "Relu"}, {"tanh", "Tanh"}, {"sigmoid", "Sigmoid"}, {"elu", "Elu"}};
    c->activation = "Relu";
    if (*e->activation) {
        c->activation = NULL;
        for (int i = 0; i < 4; i++)
            if (strcmp(e->activation, acts[i].name) == 0)
                c->activation = acts[i].op;
        if (!c->activation)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: activation '%s' is not relu, tanh, sigmoid or elu", c->path,
                           e->activation);
    }
    if (*e->loss_reduction && strcmp(e->loss_reduction, "sum_over_batch_size") != 0) {
        if (strcmp(e->loss_reduction, "sum") != 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: loss_reduction '%s' is not sum_over_batch_size or sum", c->path,
                           e->loss_reduction);
        c->loss_sum = 1;
    }
    c->sparse_combiner = TRN_COMBINER_SUM;
    if (*e->sparse_combiner && strcmp(e->sparse_combiner, "sum") != 0) {
        if (strcmp(e->sparse_combiner, "mean") == 0)
            c->sparse_combiner = TRN_COMBINER_MEAN;
        else if (strcmp(e->sparse_combiner, "sqrtn") == 0)
            c->sparse_combiner = TRN_COMBINER_SQRTN;
        else
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: sparse_combiner '%s' is not sum, mean or sqrtn", c->path,
                           e->sparse_combiner);
    }
    /* parts of each column */
    int nlinear = 0;
    for (int i = 0; i < c->ncols; i++) {
        trn_col *col = &c->cols[i];
        const char *part = c->pb->feature_columns[i]->part;
        if (strcmp(part, "none") == 0)
            continue;
        if (!*part) {
            if (c->has_linear && c->has_dnn)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "%s: column '%s': set part to \"linear\", \"dnn\" or \"none\" in a "
                               "combined model",
                               c->path, col->name);
            col->parts = c->has_linear ? TRN_PART_LINEAR : TRN_PART_DNN;
        } else if (strcmp(part, "linear") == 0 && c->has_linear) {
            col->parts = TRN_PART_LINEAR;
        } else if (strcmp(part, "dnn") == 0 && c->has_dnn) {
            col->parts = TRN_PART_DNN;
        } else {
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: column '%s': part '%s' is not a part of a %s", c->path, col->name,
                           part, e->type);
        }
        if ((col->parts & TRN_PART_DNN) && col->categorical && col->kind != TRN_BUCKETIZED)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: column '%s': the DNN takes dense columns; wrap a categorical "
                           "column in an indicator or embedding column (and give it part "
                           "\"none\" if nothing else uses it)",
                           c->path, col->name);
        if ((col->parts & TRN_PART_LINEAR) && col->kind == TRN_EMBEDDING)
            return tsd_err(st, TSD_UNIMPLEMENTED,
                           "%s: column '%s': embedding columns in the linear model are not "
                           "supported yet",
                           c->path, col->name);
        if (col->parts & TRN_PART_LINEAR)
            nlinear++;
    }
    int any = 0;
    for (int i = 0; i < c->ncols; i++)
        any |= c->cols[i].parts;
    if ((c->has_linear && !(any & TRN_PART_LINEAR) && !c->has_dnn) ||
        (c->has_dnn && !(any & TRN_PART_DNN)))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: the %s has no feature columns", c->path,
                       e->type);
    /* optimizers (formats: canned estimator defaults, TF 2) */
    float lin_lr = 0.2f;
    if (c->has_dnn && nlinear)
        lin_lr = fminf(0.005f, 1.0f / sqrtf((float)nlinear));
    const Tensord__OptimizerConfig *lo = c->has_dnn ? e->linear_optimizer : e->optimizer;
    const Tensord__OptimizerConfig *dopt = c->has_linear ? e->dnn_optimizer : e->optimizer;
    if (optimizer(c, lo, TRN_OPT_FTRL, lin_lr, &c->linear_opt, st) ||
        optimizer(c, dopt, TRN_OPT_ADAGRAD, 0.001f, &c->dnn_opt, st))
        return st->code;
    if (e->learning_rate > 0) {
        if (c->has_dnn && !(dopt && dopt->learning_rate > 0))
            c->dnn_opt.lr = e->learning_rate;
        else if (!c->has_dnn && !(lo && lo->learning_rate > 0))
            c->linear_opt.lr = e->learning_rate;
    }
    return TSD_OK;
}
