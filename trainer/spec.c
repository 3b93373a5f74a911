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

void trn__config_path(const trn_config *c, const char *file, char *out, size_t len)
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
    trn__config_path(c, v->vocabulary_file, path, sizeof path);
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
    if (resolve_refs(c, st) || parse_spec(c, st) || trn__spec_estimator(c, st))
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
