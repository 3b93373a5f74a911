/*
 * spec.c - a TrainerConfig checked and resolved (see spec.h): column names
 * as TensorFlow derives them, bucket counts, references between columns,
 * the parse spec (conflicting specs for one key are an error, as in
 * make_parse_example_spec), the head and the optimizers with TF 2's
 * defaults (formats: canned estimator defaults). Every error names the
 * config file and the column or field at fault.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pbtext.h"
#include "trainer/spec.h"

#define MAX_COLS 256

int trn__col_find(const trn_config *c, const char *name)
{
    for (int i = 0; i < c->ncols; i++)
        if (strcmp(c->cols[i].name, name) == 0)
            return i;
    return -1;
}

const trn_feature *trn__feature(const trn_config *c, const char *key)
{
    for (int i = 0; i < c->nfeatures; i++)
        if (strcmp(c->features[i].key, key) == 0)
            return &c->features[i];
    return NULL;
}

void trn_config_free(trn_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->ncols; i++) {
        for (int64_t k = 0; k < c->cols[i].nvocab; k++)
            free(c->cols[i].vocab[k]);
        free(c->cols[i].vocab);
        free(c->cols[i].vocab_path);
        free(c->cols[i].mean);
        free(c->cols[i].std);
    }
    free(c->cols);
    free(c->features);
    free(c->path);
    free(c->dir);
    if (c->pb)
        protobuf_c_message_free_unpacked(&c->pb->base, NULL);
    free(c);
}

static eng_dtype dtype_of(const char *s, const char *path, const char *col, tsd_status *st,
                          int *bad)
{
    if (!s || !*s || strcmp(s, "string") == 0)
        return ENG_DT_STRING;
    if (strcmp(s, "int64") == 0)
        return ENG_DT_INT64;
    *bad = 1;
    tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': dtype '%s' is not string or int64", path,
            col, s);
    return ENG_DT_INVALID;
}

/* file relative to the config's directory unless absolute */
static void resolve(const trn_config *c, const char *file, char *out, size_t len)
{
    if (file[0] == '/')
        snprintf(out, len, "%s", file);
    else
        snprintf(out, len, "%s/%s", c->dir, file);
}

static tsd_code set_vocab(trn_col *col, char *const *words, size_t n, const char *path,
                          tsd_status *st)
{
    if (!n)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': empty vocabulary", path,
                       col->name);
    col->vocab = calloc(n, sizeof *col->vocab);
    if (!col->vocab)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < i; k++)
            if (strcmp(words[k], words[i]) == 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "%s: column '%s': duplicate vocabulary entry '%s'", path, col->name,
                               words[i]);
        if (!(col->vocab[i] = strdup(words[i])))
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        col->nvocab++;
    }
    return TSD_OK;
}

/* categorical_column_with_vocabulary_file: key = whole line, id = line number. */
static tsd_code read_vocab_file(trn_config *c, trn_col *col, const Tensord__VocabularyFileColumn *v,
                                tsd_status *st)
{
    char path[4096];
    resolve(c, v->vocabulary_file, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return tsd_err(st, TSD_NOT_FOUND, "%s: column '%s': cannot open vocabulary file %s: %s",
                       c->path, col->name, path, strerror(errno));
    char **words = NULL, line[4096];
    size_t n = 0, cap = 0;
    tsd_code rc = TSD_OK;
    while (fgets(line, sizeof line, f) &&
           (v->vocabulary_size <= 0 || (int64_t)n < v->vocabulary_size)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **w = realloc(words, cap * sizeof *w);
            if (!w) {
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            words = w;
        }
        if (!(words[n] = strdup(line))) {
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        n++;
    }
    fclose(f);
    if (!rc && v->vocabulary_size > 0 && (int64_t)n < v->vocabulary_size)
        rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                     "%s: column '%s': vocabulary_size %lld but %s has %zu lines", c->path,
                     col->name, (long long)v->vocabulary_size, path, n);
    if (!rc)
        rc = set_vocab(col, words, n, c->path, st);
    if (!rc && !(col->vocab_path = strdup(path)))
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++)
        free(words[i]);
    free(words);
    return rc;
}

static tsd_code oov_rules(const char *path, trn_col *col, int has_default, int64_t def, int64_t oov,
                          tsd_status *st)
{
    if (oov < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': num_oov_buckets < 0", path,
                       col->name);
    if (oov > 0 && has_default && def != -1)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "%s: column '%s': can't specify both num_oov_buckets and default_value",
                       path, col->name);
    col->num_oov = oov;
    col->default_id = has_default ? def : -1;
    col->num_buckets = col->nvocab + oov;
    return TSD_OK;
}

/* Pass 1: the column itself (references resolved in pass 2). */
static tsd_code column(trn_config *c, const Tensord__FeatureColumn *fc, trn_col *col,
                       tsd_status *st)
{
    const char *path = c->path;
    col->key = fc->name;
    col->cat = -1;
    int bad = 0;
    snprintf(col->name, sizeof col->name, "%s", fc->name);
    switch (fc->kind_case) {
    case TENSORD__FEATURE_COLUMN__KIND_NUMERIC: {
        const Tensord__NumericColumn *n = fc->numeric;
        col->kind = TRN_NUMERIC;
        col->dtype = ENG_DT_FLOAT;
        col->shape = n->shape > 0 ? n->shape : 1;
        col->normalize = n->normalize;
        col->defaults = n->default_value;
        col->ndefaults = (int)n->n_default_value;
        if (col->ndefaults > 1 && col->ndefaults != col->shape)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: column '%s': %d default values for shape %d", path, col->name,
                           col->ndefaults, col->shape);
        break;
    }
    case TENSORD__FEATURE_COLUMN__KIND_BUCKETIZED: {
        const Tensord__BucketizedColumn *bk = fc->bucketized;
        col->kind = TRN_BUCKETIZED;
        col->categorical = 1;
        col->dtype = ENG_DT_FLOAT;
        col->shape = bk->shape > 0 ? bk->shape : 1;
        col->bounds = bk->boundaries;
        col->nbounds = (int)bk->n_boundaries;
        if (!col->nbounds)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': no boundaries", path,
                           fc->name);
        for (int i = 1; i < col->nbounds; i++)
            if (!(col->bounds[i] > col->bounds[i - 1]))
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "%s: column '%s': boundaries must be sorted and distinct", path,
                               fc->name);
        snprintf(col->name, sizeof col->name, "%s_bucketized", fc->name);
        col->num_buckets = (int64_t)(col->nbounds + 1) * col->shape;
        break;
    }
    case TENSORD__FEATURE_COLUMN__KIND_VOCABULARY_LIST: {
        const Tensord__VocabularyListColumn *v = fc->vocabulary_list;
        col->kind = TRN_VOCAB;
        col->categorical = 1;
        col->dtype = dtype_of(v->dtype, path, fc->name, st, &bad);
        if (bad || set_vocab(col, v->vocabulary, v->n_vocabulary, path, st) ||
            oov_rules(path, col, v->has_default_value, v->default_value, v->num_oov_buckets, st))
            return st->code;
        if (col->dtype == ENG_DT_INT64)
            for (int64_t i = 0; i < col->nvocab; i++) {
                char *end;
                strtoll(col->vocab[i], &end, 10);
                if (!*col->vocab[i] || *end)
                    return tsd_err(st, TSD_INVALID_ARGUMENT,
                                   "%s: column '%s': vocabulary entry '%s' is not an int64", path,
                                   fc->name, col->vocab[i]);
            }
        break;
    }
    case TENSORD__FEATURE_COLUMN__KIND_VOCABULARY_FILE: {
        const Tensord__VocabularyFileColumn *v = fc->vocabulary_file;
        col->kind = TRN_VOCAB;
        col->categorical = 1;
        col->dtype = dtype_of(v->dtype, path, fc->name, st, &bad);
        if (bad || read_vocab_file(c, col, v, st) ||
            oov_rules(path, col, v->has_default_value, v->default_value, v->num_oov_buckets, st))
            return st->code;
        break;
    }
    case TENSORD__FEATURE_COLUMN__KIND_HASH_BUCKET:
        col->kind = TRN_HASH;
        col->categorical = 1;
        col->dtype = dtype_of(fc->hash_bucket->dtype, path, fc->name, st, &bad);
        col->num_buckets = fc->hash_bucket->hash_bucket_size;
        if (bad)
            return st->code;
        if (col->num_buckets < 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: column '%s': hash_bucket_size must be at least 1", path, fc->name);
        break;
    case TENSORD__FEATURE_COLUMN__KIND_IDENTITY:
        col->kind = TRN_IDENTITY;
        col->categorical = 1;
        col->dtype = ENG_DT_INT64;
        col->num_buckets = fc->identity->num_buckets;
        col->default_id = fc->identity->has_default_value ? fc->identity->default_value : -1;
        if (col->num_buckets < 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': num_buckets must be >= 1",
                           path, fc->name);
        if (fc->identity->has_default_value &&
            (col->default_id < 0 || col->default_id >= col->num_buckets))
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: column '%s': default_value %lld not in [0, %lld)", path, fc->name,
                           (long long)col->default_id, (long long)col->num_buckets);
        break;
    case TENSORD__FEATURE_COLUMN__KIND_CROSSED: {
        const Tensord__CrossedColumn *x = fc->crossed;
        col->kind = TRN_CROSSED;
        col->categorical = 1;
        col->num_buckets = x->hash_bucket_size;
        col->hash_key = x->hash_key ? x->hash_key : 0xDECAFCAFFEull;
        if (x->n_keys < 2 || x->n_keys > TRN_MAX_CROSS)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: crossed column: needs 2 to %d keys", path,
                           TRN_MAX_CROSS);
        if (col->num_buckets < 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: crossed column: hash_bucket_size must be at least 1", path);
        col->nsrc = (int)x->n_keys;
        for (int i = 0; i < col->nsrc; i++) {
            col->raw[i] = x->keys[i];
            col->src[i] = -1;
        }
        col->name[0] = '\0'; /* pass 2: "_X_".join(sorted(leaf names)) */
        break;
    }
    case TENSORD__FEATURE_COLUMN__KIND_INDICATOR:
        col->kind = TRN_INDICATOR;
        col->raw[0] = fc->indicator->categorical;
        snprintf(col->name, sizeof col->name, "%s_indicator", fc->indicator->categorical);
        break;
    case TENSORD__FEATURE_COLUMN__KIND_EMBEDDING: {
        const Tensord__EmbeddingColumn *e = fc->embedding;
        col->kind = TRN_EMBEDDING;
        col->raw[0] = e->categorical;
        col->dim = e->dimension;
        snprintf(col->name, sizeof col->name, "%s_embedding", e->categorical);
        if (col->dim < 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': dimension must be >= 1",
                           path, col->name);
        if (!*e->combiner || strcmp(e->combiner, "mean") == 0)
            col->combiner = TRN_COMBINER_MEAN;
        else if (strcmp(e->combiner, "sum") == 0)
            col->combiner = TRN_COMBINER_SUM;
        else if (strcmp(e->combiner, "sqrtn") == 0)
            col->combiner = TRN_COMBINER_SQRTN;
        else
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: column '%s': combiner '%s' is not mean, sum or sqrtn", path,
                           col->name, e->combiner);
        break;
    }
    case TENSORD__FEATURE_COLUMN__KIND_WEIGHTED:
        col->kind = TRN_WEIGHTED;
        col->categorical = 1;
        col->raw[0] = fc->weighted->categorical;
        col->weight_key = fc->weighted->weight_feature_key;
        snprintf(col->name, sizeof col->name, "%s_weighted_by_%s", fc->weighted->categorical,
                 col->weight_key);
        if (!*col->weight_key)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': no weight_feature_key", path,
                           col->name);
        break;
    default:
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: feature column '%s' has no kind", path,
                       fc->name);
    }
    int keyed = col->kind <= TRN_IDENTITY;
    if (keyed && !*fc->name)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: a feature column has no name", path);
    return TSD_OK;
}

/* Pass 2: references, crossed names, parts. */
static tsd_code resolve_refs(trn_config *c, tsd_status *st)
{
    for (int i = 0; i < c->ncols; i++) {
        trn_col *col = &c->cols[i];
        if (col->kind == TRN_INDICATOR || col->kind == TRN_EMBEDDING || col->kind == TRN_WEIGHTED) {
            int k = trn__col_find(c, col->raw[0]);
            if (k < 0 || !c->cols[k].categorical)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "%s: column '%s': '%s' is not a categorical column of this config",
                               c->path, col->name, col->raw[0]);
            if (col->kind == TRN_WEIGHTED && c->cols[k].kind == TRN_WEIGHTED)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': weighted twice", c->path,
                               col->name);
            col->cat = k;
            col->num_buckets = c->cols[k].num_buckets;
        }
        if (col->kind != TRN_CROSSED)
            continue;
        const char *leaf[TRN_MAX_CROSS];
        for (int s = 0; s < col->nsrc; s++) {
            const char *key = col->raw[s];
            int k = -1;
            if (strncmp(key, "column:", 7) == 0) {
                key += 7;
                if ((k = trn__col_find(c, key)) < 0)
                    return tsd_err(st, TSD_INVALID_ARGUMENT,
                                   "%s: crossed column: '%s' is not a column", c->path, key);
            } else {
                k = trn__col_find(c, key);
                if (k >= 0 && c->cols[k].kind != TRN_BUCKETIZED)
                    k = -1; /* a plain string names the raw feature, as in TF */
            }
            if (k >= 0) {
                const trn_col *src = &c->cols[k];
                if (!src->categorical || src->kind == TRN_HASH || src->kind == TRN_WEIGHTED ||
                    k >= i)
                    return tsd_err(st, TSD_INVALID_ARGUMENT,
                                   "%s: crossed column: '%s' must be a bucketized, vocabulary "
                                   "or identity column listed before the cross",
                                   c->path, key);
                col->src[s] = k;
                leaf[s] = src->name;
            } else {
                leaf[s] = key;
            }
        }
        /* name: "_X_".join(sorted(leaf names)) */
        for (int a = 1; a < col->nsrc; a++)
            for (int b = a; b > 0 && strcmp(leaf[b - 1], leaf[b]) > 0; b--) {
                const char *t = leaf[b];
                leaf[b] = leaf[b - 1];
                leaf[b - 1] = t;
            }
        size_t at = 0;
        for (int s = 0; s < col->nsrc && at < sizeof col->name; s++)
            at += (size_t)snprintf(col->name + at, sizeof col->name - at, "%s%s", s ? "_X_" : "",
                                   leaf[s]);
        if (at >= sizeof col->name)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: crossed column name too long", c->path);
    }
    for (int i = 0; i < c->ncols; i++)
        for (int k = 0; k < i; k++)
            if (strcmp(c->cols[i].name, c->cols[k].name) == 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: two feature columns named '%s'",
                               c->path, c->cols[i].name);
    return TSD_OK;
}

static tsd_code add_feature(trn_config *c, const char *key, int sparse, eng_dtype dt, int shape,
                            const float *defs, int ndefs, tsd_status *st)
{
    for (int i = 0; i < c->nfeatures; i++) {
        trn_feature *f = &c->features[i];
        if (strcmp(f->key, key) != 0)
            continue;
        if (f->sparse != sparse || f->dtype != dt || (!sparse && f->shape != shape))
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "%s: feature '%s' is parsed two different ways by its columns "
                           "(%s %s vs %s %s)",
                           c->path, key, f->sparse ? "VarLen" : "FixedLen",
                           eng_dtype_name(f->dtype), sparse ? "VarLen" : "FixedLen",
                           eng_dtype_name(dt));
        if (ndefs && !f->ndefaults) {
            f->defaults = defs;
            f->ndefaults = ndefs;
        }
        return TSD_OK;
    }
    trn_feature *f = &c->features[c->nfeatures++];
    *f = (trn_feature){key, sparse, dt, shape, defs, ndefs};
    return TSD_OK;
}

static int cmp_feature(const void *a, const void *b)
{
    return strcmp(((const trn_feature *)a)->key, ((const trn_feature *)b)->key);
}

static tsd_code parse_spec(trn_config *c, tsd_status *st)
{
    c->features = calloc((size_t)c->ncols * (TRN_MAX_CROSS + 1) + 1, sizeof *c->features);
    if (!c->features)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < c->ncols; i++) {
        const trn_col *col = &c->cols[i];
        tsd_code rc = TSD_OK;
        switch (col->kind) {
        case TRN_NUMERIC:
        case TRN_BUCKETIZED:
            rc = add_feature(c, col->key, 0, ENG_DT_FLOAT, col->shape, col->defaults,
                             col->ndefaults, st);
            break;
        case TRN_VOCAB:
        case TRN_HASH:
        case TRN_IDENTITY:
            rc = add_feature(c, col->key, 1, col->dtype, 0, NULL, 0, st);
            break;
        case TRN_CROSSED:
            for (int s = 0; s < col->nsrc && !rc; s++)
                if (col->src[s] < 0)
                    rc = add_feature(c, col->raw[s], 1, ENG_DT_STRING, 0, NULL, 0, st);
            break;
        case TRN_WEIGHTED:
            rc = add_feature(c, col->weight_key, 1, ENG_DT_FLOAT, 0, NULL, 0, st);
            break;
        default:
            break;
        }
        if (rc)
            return rc;
    }
    qsort(c->features, (size_t)c->nfeatures, sizeof *c->features, cmp_feature);
    return TSD_OK;
}

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

static tsd_code estimator(trn_config *c, tsd_status *st)
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
    if (e->dropout != 0 || e->batch_norm)
        return tsd_err(st, TSD_UNIMPLEMENTED, "%s: dropout and batch_norm are not supported yet",
                       c->path);
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
        if (strcmp(c->activation, "Elu") == 0)
            return tsd_err(st, TSD_UNIMPLEMENTED, "%s: activation elu has no gradient yet",
                           c->path);
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

static trn_config *finish(trn_config *c, tsd_status *st)
{
    const Tensord__TrainerConfig *pb = c->pb;
    if (!pb->data || !pb->run_config || !*pb->run_config->model_dir) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "%s: data and run_config.model_dir are required",
                c->path);
        goto fail;
    }
    if (!pb->n_feature_columns || pb->n_feature_columns > MAX_COLS) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "%s: needs 1 to %d feature_columns", c->path, MAX_COLS);
        goto fail;
    }
    c->cols = calloc(pb->n_feature_columns, sizeof *c->cols);
    if (!c->cols) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < pb->n_feature_columns; i++) {
        c->ncols++;
        if (column(c, pb->feature_columns[i], &c->cols[i], st))
            goto fail;
    }
    if (resolve_refs(c, st) || parse_spec(c, st) || estimator(c, st))
        goto fail;
    c->seed = pb->run_config->tf_random_seed;
    return c;
fail:
    trn_config_free(c);
    return NULL;
}

trn_config *trn_config_parse(const char *text, size_t len, const char *base_dir, tsd_status *st)
{
    trn_config *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup("trainer config")) || !(c->dir = strdup(base_dir))) {
        trn_config_free(c);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    ProtobufCMessage *msg = NULL;
    if (tsd_pbtext_parse(&tensord__trainer_config__descriptor, text, len, &msg, st)) {
        trn_config_free(c);
        return NULL;
    }
    c->pb = (Tensord__TrainerConfig *)msg;
    return finish(c, st);
}

trn_config *trn_config_load(const char *path, tsd_status *st)
{
    trn_config *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        trn_config_free(c);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    c->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!c->dir) {
        trn_config_free(c);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    ProtobufCMessage *msg = NULL;
    if (tsd_pbtext_parse_file(&tensord__trainer_config__descriptor, path, &msg, st)) {
        trn_config_free(c);
        return NULL;
    }
    c->pb = (Tensord__TrainerConfig *)msg;
    return finish(c, st);
}
