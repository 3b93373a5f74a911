/*
 * columns.c - the parsing input (ParseExample over the parse spec, keys
 * sorted) and the feature columns with TensorFlow's semantics (formats:
 * feature columns), as graph nodes the model parts (forward.c) consume.
 * Standard TensorFlow ops only, so the exported graph is one TensorFlow
 * Serving loads.
 *
 * Categorical columns become sparse ids (indices [N,2] int64, values [N]
 * int64, dense_shape [2] int64): vocabulary lookups through a HashTableV2
 * (with StringToHashBucketFast OOV buckets), hash buckets, identity ids,
 * bucket ids (Bucketize plus the element offset), crosses (SparseCross with
 * TF's HashCrosser). Invalid (negative) ids are pruned with Where and
 * GatherV2, as safe_embedding_lookup_sparse prunes them. Combiners are the
 * SparseSegment{Sum,Mean,SqrtN}WithNumSegments ops over the batch, which
 * give empty rows zeros.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/columns_int.h"

#define I64 ENG_DT_INT64
#define I32 ENG_DT_INT32
#define F32 ENG_DT_FLOAT
#define STR ENG_DT_STRING

/* A column name as a variable scope: [A-Za-z0-9_.-] kept, others '_'. */
void trn__col_sanitize(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in[i] && i + 1 < len; i++) {
        char ch = in[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '.' || ch == '-';
        out[i] = ok ? ch : '_';
    }
    out[i] = '\0';
}

/* ---- parsing ---------------------------------------------------------------------- */

tsd_code trn__cols_parse(trn_cols *x, const char *examples)
{
    trn_gb *b = x->b;
    const trn_config *c = x->c;
    int ns = 0, nd = 0;
    for (int i = 0; i < c->nfeatures; i++)
        c->features[i].sparse ? ns++ : nd++;
    const char **ins = calloc((size_t)(2 + 2 * c->nfeatures), sizeof *ins);
    eng_dtype *stypes = calloc((size_t)c->nfeatures + 1, sizeof *stypes);
    eng_dtype *dtypes = calloc((size_t)c->nfeatures + 1, sizeof *dtypes);
    eng_shape *shapes = calloc((size_t)c->nfeatures + 1, sizeof *shapes);
    if (!ins || !stypes || !dtypes || !shapes) {
        free(ins);
        free(stypes);
        free(dtypes);
        free(shapes);
        return tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    int n = 0;
    ins[n++] = examples;
    ins[n++] = trn_gb_strs(b, "ParseExample/Const", NULL, 0); /* names */
    int k = 0;
    for (int i = 0; i < c->nfeatures; i++)
        if (c->features[i].sparse) {
            const char *key = c->features[i].key;
            ins[n++] = trn_gb_strs(b, trn_gb_name(b, "ParseExample/ParseExample/sparse_keys_%d", k),
                                   &key, -1);
            stypes[k++] = c->features[i].dtype;
        }
    k = 0;
    for (int i = 0; i < c->nfeatures; i++)
        if (!c->features[i].sparse) {
            const char *key = c->features[i].key;
            ins[n++] = trn_gb_strs(b, trn_gb_name(b, "ParseExample/ParseExample/dense_keys_%d", k),
                                   &key, -1);
            dtypes[k] = F32;
            shapes[k] = (eng_shape){.rank = 1, .dims = {c->features[i].shape}};
            k++;
        }
    k = 0;
    float *defs = NULL;
    for (int i = 0; i < c->nfeatures; i++) {
        const trn_feature *f = &c->features[i];
        if (f->sparse)
            continue;
        /* a scalar default is broadcast to the shape; none: required */
        int64_t nv = f->ndefaults ? f->shape : 0;
        free(defs);
        defs = calloc((size_t)(nv ? nv : 1), sizeof *defs);
        for (int64_t j = 0; defs && j < nv; j++)
            defs[j] = f->defaults[f->ndefaults == 1 ? 0 : j];
        ins[n++] = trn_gb_f32(b, trn_gb_name(b, "ParseExample/Const_%d", k + 1), defs, nv);
        k++;
    }
    free(defs);
    eng_node *pe = trn_gb_add(b, "ParseExample/ParseExample", "ParseExample", ins, n);
    trn_gb_int(b, pe, "Nsparse", ns);
    trn_gb_int(b, pe, "Ndense", nd);
    trn_gb_attr(b, pe, "sparse_types",
                (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = (size_t)ns, .types = stypes});
    trn_gb_attr(b, pe, "Tdense",
                (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = (size_t)nd, .types = dtypes});
    trn_gb_attr(b, pe, "dense_shapes",
                (eng_attr){.kind = ENG_ATTR_LIST_SHAPE, .n = (size_t)nd, .shapes = shapes});
    free(ins);
    free(stypes);
    free(dtypes);
    free(shapes);
    int si = 0, di = 0;
    for (int i = 0; i < c->nfeatures; i++) {
        if (c->features[i].sparse) {
            x->parsed[i].ind = trn_gb_name(b, "ParseExample/ParseExample:%d", si);
            x->parsed[i].val = trn_gb_name(b, "ParseExample/ParseExample:%d", ns + si);
            x->parsed[i].shape = trn_gb_name(b, "ParseExample/ParseExample:%d", 2 * ns + si);
            si++;
        } else {
            x->dense[i] = trn_gb_name(b, "ParseExample/ParseExample:%d", 3 * ns + di);
            di++;
        }
    }
    /* the batch size, for the combiners' num_segments */
    eng_node *sh = trn_gb_add(b, "input_layer/batch_shape", "Shape", &examples, 1);
    trn_gb_type(b, sh, "T", STR);
    trn_gb_type(b, sh, "out_type", I32);
    x->batch = trn_gb_reshape(b, "input_layer/batch_size", "input_layer/batch_shape", I32, NULL, 0);
    return b->failed ? b->st->code : TSD_OK;
}

int trn__feature_index(const trn_config *c, const char *key)
{
    for (int i = 0; i < c->nfeatures; i++)
        if (strcmp(c->features[i].key, key) == 0)
            return i;
    return -1;
}

/* ---- categorical ids -------------------------------------------------------------- */

/* Keep the entries of s whose id >= 0 (and weight > 0): sparse_retain. */
static trn_sparse prune(trn_cols *x, const char *scope, trn_sparse s)
{
    trn_gb *b = x->b;
    const char *zero = trn_gb_si64(b, trn_gb_name(b, "%s/zero", scope), 0);
    const char *mask =
        trn_gb_op2(b, trn_gb_name(b, "%s/GreaterEqual", scope), "GreaterEqual", s.val, zero, I64);
    if (s.w) {
        const char *wz = trn_gb_sf32(b, trn_gb_name(b, "%s/wzero", scope), 0);
        const char *wm =
            trn_gb_op2(b, trn_gb_name(b, "%s/Greater", scope), "Greater", s.w, wz, F32);
        mask = trn_gb_op2(b, trn_gb_name(b, "%s/LogicalAnd", scope), "LogicalAnd", mask, wm,
                          ENG_DT_INVALID);
    }
    const char *where =
        trn_gb_op1(b, trn_gb_name(b, "%s/Where", scope), "Where", mask, ENG_DT_BOOL);
    static const int32_t flat[1] = {-1};
    const char *keep = trn_gb_reshape(b, trn_gb_name(b, "%s/Reshape", scope), where, I64, flat, 1);
    const char *axis = trn_gb_si32(b, trn_gb_name(b, "%s/axis", scope), 0);
    trn_sparse r = s;
    const char *src[3] = {s.val, s.ind, s.w};
    const char **dst[3] = {&r.val, &r.ind, &r.w};
    eng_dtype types[3] = {I64, I64, F32};
    static const char *const what[3] = {"values", "indices", "weights"};
    for (int i = 0; i < 3; i++) {
        if (!src[i])
            continue;
        const char *name = trn_gb_name(b, "%s/%s", scope, what[i]);
        eng_node *g = trn_gb_add(b, name, "GatherV2", (const char *[]){src[i], keep, axis}, 3);
        trn_gb_type(b, g, "Tparams", types[i]);
        trn_gb_type(b, g, "Tindices", I64);
        trn_gb_type(b, g, "Taxis", I32);
        trn_gb_int(b, g, "batch_dims", 0);
        *dst[i] = name;
    }
    r.may_be_negative = 0;
    return r;
}

/* A vocabulary lookup table and its initializer. */
static const char *vocab_lookup(trn_cols *x, const trn_col *col, const char *scope,
                                const char *vals)
{
    trn_gb *b = x->b;
    eng_dtype kt = col->dtype;
    const char *table = trn_gb_name(b, "%s/hash_table", scope);
    eng_node *t = trn_gb_add(b, table, "HashTableV2", NULL, 0);
    trn_gb_type(b, t, "key_dtype", kt);
    trn_gb_type(b, t, "value_dtype", I64);
    trn_gb_str(b, t, "container", "");
    trn_gb_str(b, t, "shared_name", "");
    trn_gb_bool(b, t, "use_node_name_sharing", 0);
    const char *init = trn_gb_name(b, "%s/table_init", scope);
    if (col->vocab_path && kt == STR) { /* the file itself, a SavedModel asset */
        const char *base = strrchr(col->vocab_path, '/');
        base = base ? base + 1 : col->vocab_path;
        /* training reads the file where it is; an export names the asset,
         * whose path the loader feeds into this tensor */
        const char *fname = trn_gb_name(b, "%s/vocabulary_file", scope);
        trn_gb_strs(b, fname, x->vars ? (const char *const *)&col->vocab_path : &base, -1);
        eng_node *in =
            trn_gb_add(b, init, "InitializeTableFromTextFileV2", (const char *[]){table, fname}, 2);
        trn_gb_int(b, in, "key_index", -2);   /* the whole line */
        trn_gb_int(b, in, "value_index", -1); /* the line number */
        trn_gb_int(b, in, "vocab_size", col->nvocab);
        trn_gb_str(b, in, "delimiter", "\t");
        trn_gb_int(b, in, "offset", 0);
        if (!b->failed && x->out) {
            trn_graph_names *o = x->out;
            char **at = realloc(o->asset_tensors, (size_t)(o->nassets + 1) * sizeof *at);
            if (at)
                o->asset_tensors = at;
            const char **f =
                at ? realloc(o->asset_files, (size_t)(o->nassets + 1) * sizeof *f) : NULL;
            if (!f) {
                tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
                b->failed = 1;
                return "";
            }
            o->asset_files = f;
            at[o->nassets] = (char *)trn_gb_name(b, "%s:0", fname);
            f[o->nassets++] = col->vocab_path;
        }
    } else {
        const char *keys;
        if (kt == STR) {
            keys = trn_gb_strs(b, trn_gb_name(b, "%s/keys", scope), (const char *const *)col->vocab,
                               col->nvocab);
        } else {
            int64_t *kv = calloc((size_t)col->nvocab, sizeof *kv);
            for (int64_t i = 0; kv && i < col->nvocab; i++)
                kv[i] = strtoll(col->vocab[i], NULL, 10);
            keys = trn_gb_i64(b, trn_gb_name(b, "%s/keys", scope), kv, col->nvocab);
            free(kv);
        }
        int64_t *iv = calloc((size_t)col->nvocab, sizeof *iv);
        for (int64_t i = 0; iv && i < col->nvocab; i++)
            iv[i] = i;
        const char *values = trn_gb_i64(b, trn_gb_name(b, "%s/values", scope), iv, col->nvocab);
        free(iv);
        eng_node *in =
            trn_gb_add(b, init, "InitializeTableV2", (const char *[]){table, keys, values}, 3);
        trn_gb_type(b, in, "Tkey", kt);
        trn_gb_type(b, in, "Tval", I64);
    }
    if (!b->failed && x->out) {
        char **ti = realloc(x->out->table_inits, (size_t)(x->out->ntable_inits + 1) * sizeof *ti);
        if (!ti) {
            tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            b->failed = 1;
            return "";
        }
        x->out->table_inits = ti;
        ti[x->out->ntable_inits++] = (char *)init;
    }
    const char *def =
        trn_gb_si64(b, trn_gb_name(b, "%s/default", scope), col->num_oov ? -1 : col->default_id);
    const char *ids = trn_gb_name(b, "%s/lookup", scope);
    eng_node *lk = trn_gb_add(b, ids, "LookupTableFindV2", (const char *[]){table, vals, def}, 3);
    trn_gb_type(b, lk, "Tin", kt);
    trn_gb_type(b, lk, "Tout", I64);
    return ids;
}

/* StringToHashBucketFast over string values (int64 values go through AsString). */
static const char *hash_bucket(trn_cols *x, const char *scope, const char *vals, eng_dtype dt,
                               int64_t buckets)
{
    trn_gb *b = x->b;
    if (dt == I64) {
        const char *s = trn_gb_name(b, "%s/AsString", scope);
        eng_node *n = trn_gb_add(b, s, "AsString", &vals, 1);
        trn_gb_type(b, n, "T", I64);
        trn_gb_int(b, n, "precision", -1);
        trn_gb_bool(b, n, "scientific", 0);
        trn_gb_bool(b, n, "shortest", 0);
        trn_gb_int(b, n, "width", -1);
        trn_gb_str(b, n, "fill", "");
        vals = s;
    }
    const char *h = trn_gb_name(b, "%s/to_hash_bucket", scope);
    eng_node *n = trn_gb_add(b, h, "StringToHashBucketFast", &vals, 1);
    trn_gb_int(b, n, "num_buckets", buckets);
    return h;
}

/* Bucketize(x) [B, shape] int32 of bucketized column col, under scope. */
static const char *bucketize(trn_cols *x, const trn_col *col, const char *scope)
{
    trn_gb *b = x->b;
    const char *src = x->dense[trn__feature_index(x->c, col->key)];
    const char *bk = trn_gb_name(b, "%s/Bucketize", scope);
    double *bd = calloc((size_t)col->nbounds, sizeof *bd);
    for (int i = 0; bd && i < col->nbounds; i++)
        bd[i] = col->bounds[i];
    eng_node *n = trn_gb_add(b, bk, "Bucketize", &src, 1);
    trn_gb_type(b, n, "T", F32);
    trn_gb_attr(b, n, "boundaries",
                (eng_attr){.kind = ENG_ATTR_LIST_FLOAT, .n = (size_t)col->nbounds, .floats = bd});
    free(bd);
    return bk;
}

/* Raw ids of a column (negative ones not yet pruned). */
static trn_sparse raw_ids(trn_cols *x, int ci)
{
    trn_gb *b = x->b;
    const trn_config *c = x->c;
    const trn_col *col = &c->cols[ci];
    char san[160];
    trn__col_sanitize(col->name, san, sizeof san);
    const char *scope = trn_gb_name(b, "input_layer/%s", san);
    trn_sparse s = {0};
    if (col->kind == TRN_VOCAB || col->kind == TRN_HASH || col->kind == TRN_IDENTITY) {
        s = x->parsed[trn__feature_index(c, col->key)];
        if (col->kind == TRN_HASH) {
            s.val = hash_bucket(x, scope, s.val, col->dtype, col->num_buckets);
        } else if (col->kind == TRN_VOCAB) {
            const char *ids = vocab_lookup(x, col, scope, s.val);
            if (col->num_oov) {
                const char *h = hash_bucket(x, trn_gb_name(b, "%s/oov", scope), s.val, col->dtype,
                                            col->num_oov);
                const char *n = trn_gb_si64(b, trn_gb_name(b, "%s/vocab_size", scope), col->nvocab);
                const char *hb =
                    trn_gb_op2(b, trn_gb_name(b, "%s/oov_ids", scope), "AddV2", h, n, I64);
                const char *m1 = trn_gb_si64(b, trn_gb_name(b, "%s/not_found", scope), -1);
                const char *oov =
                    trn_gb_op2(b, trn_gb_name(b, "%s/is_oov", scope), "Equal", ids, m1, I64);
                const char *sel = trn_gb_name(b, "%s/ids", scope);
                eng_node *n2 = trn_gb_add(b, sel, "Select", (const char *[]){oov, hb, ids}, 3);
                trn_gb_type(b, n2, "T", I64);
                ids = sel;
            }
            s.val = ids;
            s.may_be_negative = !col->num_oov && col->default_id < 0;
        } else if (col->default_id >= 0) { /* identity with a default */
            const char *v = s.val;
            const char *z = trn_gb_si64(b, trn_gb_name(b, "%s/zero", scope), 0);
            const char *nb =
                trn_gb_si64(b, trn_gb_name(b, "%s/num_buckets", scope), col->num_buckets);
            const char *ge =
                trn_gb_op2(b, trn_gb_name(b, "%s/ge", scope), "GreaterEqual", v, z, I64);
            const char *lt = trn_gb_op2(b, trn_gb_name(b, "%s/lt", scope), "Less", v, nb, I64);
            const char *ok = trn_gb_op2(b, trn_gb_name(b, "%s/in_range", scope), "LogicalAnd", ge,
                                        lt, ENG_DT_INVALID);
            const char *zl = trn_gb_op1(b, trn_gb_name(b, "%s/zeros", scope), "ZerosLike", v, I64);
            const char *dv = trn_gb_si64(b, trn_gb_name(b, "%s/default", scope), col->default_id);
            const char *dd =
                trn_gb_op2(b, trn_gb_name(b, "%s/defaults", scope), "AddV2", zl, dv, I64);
            const char *sel = trn_gb_name(b, "%s/ids", scope);
            eng_node *n2 = trn_gb_add(b, sel, "Select", (const char *[]){ok, v, dd}, 3);
            trn_gb_type(b, n2, "T", I64);
            s.val = sel;
        } else {
            s.may_be_negative = 1;
        }
    } else if (col->kind == TRN_BUCKETIZED) {
        const char *bk = bucketize(x, col, scope);
        const char *ids = trn_gb_cast(b, trn_gb_name(b, "%s/ToInt64", scope), bk, I32, I64);
        if (col->shape > 1) { /* element j's ids are offset by j * (k + 1) */
            int64_t *off = calloc((size_t)col->shape, sizeof *off);
            for (int j = 0; off && j < col->shape; j++)
                off[j] = (int64_t)j * (col->nbounds + 1);
            const char *o = trn_gb_i64(b, trn_gb_name(b, "%s/offsets", scope), off, col->shape);
            free(off);
            ids = trn_gb_op2(b, trn_gb_name(b, "%s/ids", scope), "AddV2", ids, o, I64);
        }
        const char *z = trn_gb_si64(b, trn_gb_name(b, "%s/zero", scope), 0);
        const char *all =
            trn_gb_op2(b, trn_gb_name(b, "%s/all", scope), "GreaterEqual", ids, z, I64);
        s.ind = trn_gb_op1(b, trn_gb_name(b, "%s/indices", scope), "Where", all, ENG_DT_BOOL);
        static const int32_t flat[1] = {-1};
        s.val = trn_gb_reshape(b, trn_gb_name(b, "%s/values", scope), ids, I64, flat, 1);
        eng_node *sh = trn_gb_add(b, trn_gb_name(b, "%s/dense_shape", scope), "Shape", &ids, 1);
        trn_gb_type(b, sh, "T", I64);
        trn_gb_type(b, sh, "out_type", I64);
        s.shape = trn_gb_name(b, "%s/dense_shape", scope);
    } else if (col->kind == TRN_CROSSED) {
        int n = col->nsrc, any_int = 0; /* internal_type as _sparse_cross_internal picks it */
        const char *ins[3 * TRN_MAX_CROSS];
        eng_dtype types[TRN_MAX_CROSS];
        for (int i = 0; i < n; i++) {
            trn_sparse in;
            if (col->src[i] >= 0) {
                in = trn__col_ids(x, col->src[i]);
                types[i] = I64;
                any_int = 1;
            } else {
                in = x->parsed[trn__feature_index(c, col->raw[i])];
                types[i] = STR;
            }
            ins[i] = in.ind;
            ins[n + i] = in.val;
            ins[2 * n + i] = in.shape;
        }
        const char *xn = trn_gb_name(b, "%s/SparseCross", scope);
        eng_node *xc = trn_gb_add(b, xn, "SparseCross", ins, 3 * n);
        trn_gb_int(b, xc, "N", n);
        trn_gb_bool(b, xc, "hashed_output", 1);
        trn_gb_int(b, xc, "num_buckets", col->num_buckets);
        trn_gb_int(b, xc, "hash_key", (int64_t)col->hash_key);
        trn_gb_attr(b, xc, "sparse_types",
                    (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = (size_t)n, .types = types});
        trn_gb_attr(b, xc, "dense_types", (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = 0});
        trn_gb_type(b, xc, "out_type", I64);
        trn_gb_type(b, xc, "internal_type", any_int ? I64 : STR);
        s.ind = trn_gb_name(b, "%s:0", xn);
        s.val = trn_gb_name(b, "%s:1", xn);
        s.shape = trn_gb_name(b, "%s:2", xn);
    } else if (col->kind == TRN_WEIGHTED) {
        s = raw_ids(x, col->cat);
        s.w = x->parsed[trn__feature_index(c, col->weight_key)].val;
        s.may_be_negative = 1; /* weights <= 0 are pruned too */
    }
    return s;
}

/* The pruned trn_sparse ids of categorical column ci (built once). */
trn_sparse trn__col_ids(trn_cols *x, int ci)
{
    if (x->built[ci])
        return x->ids[ci];
    trn_sparse s = raw_ids(x, ci);
    if (s.may_be_negative) {
        char san[160];
        trn__col_sanitize(x->c->cols[ci].name, san, sizeof san);
        s = prune(x, trn_gb_name(x->b, "input_layer/%s/prune", san), s);
    }
    x->ids[ci] = s;
    x->built[ci] = 1;
    return s;
}

/* Segment ids (row of each id, int32) of s. */
static const char *segments(trn_cols *x, const char *scope, trn_sparse s)
{
    trn_gb *b = x->b;
    const char *zero = trn_gb_si32(b, trn_gb_name(b, "%s/row", scope), 0);
    const char *one = trn_gb_si32(b, trn_gb_name(b, "%s/row_axis", scope), 1);
    const char *rows = trn_gb_name(b, "%s/rows", scope);
    eng_node *g = trn_gb_add(b, rows, "GatherV2", (const char *[]){s.ind, zero, one}, 3);
    trn_gb_type(b, g, "Tparams", I64);
    trn_gb_type(b, g, "Tindices", I32);
    trn_gb_type(b, g, "Taxis", I32);
    trn_gb_int(b, g, "batch_dims", 0);
    return trn_gb_cast(b, trn_gb_name(b, "%s/segment_ids", scope), rows, I64, I32);
}

/*
 * Combine rows of params [nb, dim] for the ids of s per example: the
 * embedding lookup of the linear model and of embedding columns.
 */
const char *trn__col_lookup(trn_cols *x, const char *scope, const char *params, trn_sparse s,
                            int combiner)
{
    trn_gb *b = x->b;
    const char *seg = segments(x, scope, s);
    const char *data = params, *idx = s.val;
    eng_dtype it = I64;
    if (s.w) { /* weighted: gather, scale, then sum rows 0..N-1 */
        if (combiner != TRN_COMBINER_SUM) {
            tsd_err(b->st, TSD_UNIMPLEMENTED,
                    "%s: weighted categorical columns support the sum combiner only", scope);
            b->failed = 1;
            return "";
        }
        const char *axis = trn_gb_si32(b, trn_gb_name(b, "%s/axis", scope), 0);
        const char *gn = trn_gb_name(b, "%s/embeddings", scope);
        eng_node *g = trn_gb_add(b, gn, "GatherV2", (const char *[]){params, s.val, axis}, 3);
        trn_gb_type(b, g, "Tparams", F32);
        trn_gb_type(b, g, "Tindices", I64);
        trn_gb_type(b, g, "Taxis", I32);
        trn_gb_int(b, g, "batch_dims", 0);
        static const int32_t col1[2] = {-1, 1};
        const char *w =
            trn_gb_reshape(b, trn_gb_name(b, "%s/id_weights", scope), s.w, F32, col1, 2);
        data = trn_gb_op2(b, trn_gb_name(b, "%s/weighted", scope), "Mul", gn, w, F32);
        eng_node *sh = trn_gb_add(b, trn_gb_name(b, "%s/n_shape", scope), "Shape", &s.val, 1);
        trn_gb_type(b, sh, "T", I64);
        trn_gb_type(b, sh, "out_type", I32);
        const char *nn = trn_gb_reshape(b, trn_gb_name(b, "%s/n", scope),
                                        trn_gb_name(b, "%s/n_shape", scope), I32, NULL, 0);
        const char *one = trn_gb_si32(b, trn_gb_name(b, "%s/one", scope), 1);
        idx = trn_gb_name(b, "%s/range", scope);
        eng_node *r = trn_gb_add(b, idx, "Range", (const char *[]){axis, nn, one}, 3);
        trn_gb_type(b, r, "Tidx", I32);
        it = I32;
    }
    static const char *const ops[3] = {"SparseSegmentMeanWithNumSegments",
                                       "SparseSegmentSumWithNumSegments",
                                       "SparseSegmentSqrtNWithNumSegments"};
    const char *out = trn_gb_name(b, "%s/combine", scope);
    eng_node *n = trn_gb_add(b, out, s.w ? ops[TRN_COMBINER_SUM] : ops[combiner],
                             (const char *[]){data, idx, seg, x->batch}, 4);
    trn_gb_type(b, n, "T", F32);
    trn_gb_type(b, n, "Tidx", it);
    trn_gb_type(b, n, "Tnumsegments", I32);
    trn_gb_type(b, n, "Tsegmentids", I32);
    return out;
}

/* Normalized dense value of numeric column col: (x - mean) / std. */
static const char *numeric(trn_cols *x, const trn_col *col, const char *scope)
{
    trn_gb *b = x->b;
    const char *v = x->dense[trn__feature_index(x->c, col->key)];
    if (!col->normalize || !col->mean)
        return v;
    const char *mu = trn_gb_f32(b, trn_gb_name(b, "%s/mean", scope), col->mean, col->shape);
    const char *sd = trn_gb_f32(b, trn_gb_name(b, "%s/std", scope), col->std, col->shape);
    const char *d = trn_gb_op2(b, trn_gb_name(b, "%s/centered", scope), "Sub", v, mu, F32);
    return trn_gb_op2(b, trn_gb_name(b, "%s/normalized", scope), "RealDiv", d, sd, F32);
}

/* OneHot(indices, depth) as float, along a new last axis. */
static const char *one_hot(trn_cols *x, const char *scope, const char *idx, eng_dtype it,
                           int64_t depth)
{
    trn_gb *b = x->b;
    const char *d = trn_gb_si32(b, trn_gb_name(b, "%s/depth", scope), (int32_t)depth);
    const char *on = trn_gb_sf32(b, trn_gb_name(b, "%s/on", scope), 1);
    const char *off = trn_gb_sf32(b, trn_gb_name(b, "%s/off", scope), 0);
    const char *out = trn_gb_name(b, "%s/one_hot", scope);
    eng_node *n = trn_gb_add(b, out, "OneHot", (const char *[]){idx, d, on, off}, 4);
    trn_gb_type(b, n, "T", F32);
    trn_gb_type(b, n, "TI", it);
    trn_gb_int(b, n, "axis", -1);
    return out;
}

int64_t trn__col_dense_width(const trn_col *col)
{
    switch (col->kind) {
    case TRN_NUMERIC:
        return col->shape;
    case TRN_BUCKETIZED:
        return (int64_t)col->shape * (col->nbounds + 1);
    case TRN_INDICATOR:
        return col->num_buckets;
    case TRN_EMBEDDING:
        return col->dim;
    default:
        return 0;
    }
}

/* The dense [B, width] tensor of a dense column (DNN input layer, linear dense). */
const char *trn__col_dense(trn_cols *x, int ci, const char *prefix)
{
    trn_gb *b = x->b;
    const trn_config *c = x->c;
    const trn_col *col = &c->cols[ci];
    char san[160];
    trn__col_sanitize(col->name, san, sizeof san);
    const char *scope = trn_gb_name(b, "%s/%s", prefix, san);
    int32_t flat[2] = {-1, (int32_t)trn__col_dense_width(col)};
    switch (col->kind) {
    case TRN_NUMERIC:
        return trn_gb_reshape(b, trn_gb_name(b, "%s/Reshape", scope), numeric(x, col, scope), F32,
                              flat, 2);
    case TRN_BUCKETIZED: {
        const char *bk = bucketize(x, col, scope);
        const char *oh = one_hot(x, scope, bk, I32, col->nbounds + 1);
        return trn_gb_reshape(b, trn_gb_name(b, "%s/Reshape", scope), oh, F32, flat, 2);
    }
    case TRN_INDICATOR: {
        trn_sparse s = trn__col_ids(x, col->cat);
        if (s.w) {
            tsd_err(b->st, TSD_UNIMPLEMENTED,
                    "column '%s': indicator of a weighted column is not supported yet", col->name);
            b->failed = 1;
            return "";
        }
        const char *m1 = trn_gb_si64(b, trn_gb_name(b, "%s/missing", scope), -1);
        const char *dn = trn_gb_name(b, "%s/SparseToDense", scope);
        eng_node *n =
            trn_gb_add(b, dn, "SparseToDense", (const char *[]){s.ind, s.shape, s.val, m1}, 4);
        trn_gb_type(b, n, "T", I64);
        trn_gb_type(b, n, "Tindices", I64);
        trn_gb_bool(b, n, "validate_indices", 1);
        const char *oh = one_hot(x, scope, dn, I64, col->num_buckets);
        const char *ax = trn_gb_si32(b, trn_gb_name(b, "%s/sum_axis", scope), 1);
        const char *sum = trn_gb_name(b, "%s/multi_hot", scope);
        eng_node *sn = trn_gb_add(b, sum, "Sum", (const char *[]){oh, ax}, 2);
        trn_gb_type(b, sn, "T", F32);
        trn_gb_type(b, sn, "Tidx", I32);
        trn_gb_bool(b, sn, "keep_dims", 0);
        return sum;
    }
    case TRN_EMBEDDING: {
        trn_sparse s = trn__col_ids(x, col->cat);
        int64_t dims[2] = {col->num_buckets, col->dim};
        const char *w = trn__var(
            b, x->vars,
            trn_gb_name(b, "dnn/input_from_feature_columns/input_layer/%s/embedding_weights", san),
            F32, 2, dims, TRN_INIT_TRUNC_NORMAL, 1.0f / sqrtf((float)col->dim), TRN_PART_DNN);
        return trn__col_lookup(x, scope, w, s, col->combiner);
    }
    default:
        return "";
    }
}
