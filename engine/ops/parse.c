/*
 * parse.c - op family "parse": ParseExample and ParseExampleV2, which turn a
 * batch of serialized tf.Examples into sparse (indices, values, dense_shape),
 * dense ([B] + shape) and ragged (values, row_splits) tensors.
 *
 * Semantics follow TensorFlow's fast example parser: unknown keys are
 * ignored; for dense keys the last entry that has a kind wins and an empty
 * Feature counts as missing; for sparse/ragged keys the last entry wins;
 * kinds must match the configured dtype and dense value counts must equal
 * the number of elements of the configured shape.
 */
#include "engine/ops/families.h"

#include <stdlib.h>
#include <string.h>

#include "engine/example.h"

/* Longest key or name printed in an error message. */
#define PE_MSG_KEY_MAX 200

/* Role of a configured key. */
enum { PE_SPARSE = 0, PE_DENSE = 1, PE_RAGGED = 2 };

/* The attr part of the configuration (shared by infer and compute). */
typedef struct pe_spec {
    int v2;
    int ns, nd, nr;
    const eng_dtype *sparse_types;
    const eng_dtype *dense_types;
    const eng_shape *dense_shapes;
    const eng_dtype *ragged_types;
    const eng_dtype *ragged_splits;
    int first_default; /* input index of dense_defaults[0] */
} pe_spec;

/* One configured key in the sorted lookup index. */
typedef struct pe_key {
    eng_str key;
    int role;
    int idx;
} pe_key;

/* The Feature chosen for one (example, sparse-or-ragged key) pair. */
typedef struct pe_hit {
    eng_ex_list list;
    size_t count;
} pe_hit;

/* Walk state while visiting the entries of one Example. */
typedef struct pe_walk {
    const pe_key *index;
    int nkeys;
    eng_ex_entry *last;   /* per key: chosen entry */
    eng_ex_list *dense;   /* per key: decoded kind for dense keys */
    unsigned char *found; /* per key: 1 when an entry was chosen */
    tsd_status *st;
    tsd_code rc;
} pe_walk;

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int pe_key_cmp(const void *x, const void *y)
{
    const pe_key *a = x, *b = y;
    return key_cmp(a->key.ptr, a->key.len, b->key.ptr, b->key.len);
}

static int key_find(const pe_key *index, int n, const char *k, size_t klen)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = key_cmp(k, klen, index[mid].key.ptr, index[mid].key.len);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

static int msg_len(size_t n)
{
    return n > PE_MSG_KEY_MAX ? PE_MSG_KEY_MAX : (int)n;
}

/* A list attr of types; absent = empty. Fails when present with another kind. */
static tsd_code list_types(const eng_node *n, const char *name, const eng_dtype **out, int *count,
                           tsd_status *st)
{
    const eng_attr *a = eng_node_attr(n, name);
    *out = NULL;
    *count = 0;
    if (!a || a->kind == ENG_ATTR_NONE || (a->kind >= ENG_ATTR_LIST_INT && a->n == 0))
        return TSD_OK; /* absent, or an empty list whatever kind it was given */
    if (a->kind != ENG_ATTR_LIST_TYPE)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "attr '%s' is not a list of types", name);
    if (a->n > 100000)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "attr '%s' has too many entries", name);
    *out = a->types;
    *count = (int)a->n;
    return TSD_OK;
}

static int parse_dtype_ok(eng_dtype t)
{
    return t == ENG_DT_FLOAT || t == ENG_DT_INT64 || t == ENG_DT_STRING;
}

/* Read and cross-check the attrs; `ninputs` is the node's input count. */
static tsd_code spec_read(const eng_node *n, int v2, int ninputs, pe_spec *s, tsd_status *st)
{
    memset(s, 0, sizeof *s);
    s->v2 = v2;
    int nshapes = 0;
    tsd_code rc = list_types(n, "sparse_types", &s->sparse_types, &s->ns, st);
    if (rc == TSD_OK)
        rc = list_types(n, "Tdense", &s->dense_types, &s->nd, st);
    if (rc == TSD_OK && v2)
        rc = list_types(n, "ragged_value_types", &s->ragged_types, &s->nr, st);
    int nsplits = 0;
    if (rc == TSD_OK && v2)
        rc = list_types(n, "ragged_split_types", &s->ragged_splits, &nsplits, st);
    if (rc != TSD_OK)
        return rc;
    const eng_attr *sh = eng_node_attr(n, "dense_shapes");
    if (sh && sh->kind == ENG_ATTR_LIST_SHAPE) {
        s->dense_shapes = sh->shapes;
        nshapes = (int)sh->n;
    } else if (sh && sh->kind != ENG_ATTR_NONE && !(sh->kind >= ENG_ATTR_LIST_INT && sh->n == 0)) {
        return tsd_err(st, TSD_INVALID_ARGUMENT, "attr 'dense_shapes' is not a list of shapes");
    }
    int64_t want_ns = eng_attr_int_or(n, v2 ? "num_sparse" : "Nsparse", s->ns);
    int64_t want_nd = v2 ? s->nd : eng_attr_int_or(n, "Ndense", s->nd);
    if (want_ns != s->ns || want_nd != s->nd || nshapes != s->nd || nsplits != s->nr)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "inconsistent attrs: %d sparse_types for %lld sparse keys, %d Tdense and "
                       "%d dense_shapes for %lld dense keys, %d ragged value and %d split types",
                       s->ns, (long long)want_ns, s->nd, nshapes, (long long)want_nd, s->nr,
                       nsplits);
    for (int i = 0; i < s->ns; i++)
        if (!parse_dtype_ok(s->sparse_types[i]))
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "sparse_types[%d] is %s, not float, int64 "
                           "or string",
                           i, eng_dtype_name(s->sparse_types[i]));
    for (int i = 0; i < s->nd; i++)
        if (!parse_dtype_ok(s->dense_types[i]))
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Tdense[%d] is %s, not float, int64 or "
                           "string",
                           i, eng_dtype_name(s->dense_types[i]));
    for (int i = 0; i < s->nr; i++) {
        if (!parse_dtype_ok(s->ragged_types[i]))
            return tsd_err(st, TSD_INVALID_ARGUMENT, "ragged_value_types[%d] is %s", i,
                           eng_dtype_name(s->ragged_types[i]));
        if (s->ragged_splits[i] != ENG_DT_INT32 && s->ragged_splits[i] != ENG_DT_INT64)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "ragged_split_types[%d] is %s", i,
                           eng_dtype_name(s->ragged_splits[i]));
    }
    s->first_default = v2 ? 5 : 2 + s->ns + s->nd;
    if (ninputs != s->first_default + s->nd)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "expected %d inputs, got %d",
                       s->first_default + s->nd, ninputs);
    return TSD_OK;
}

static int num_outputs(const pe_spec *s)
{
    return 3 * s->ns + s->nd + 2 * s->nr;
}

static tsd_code pe_infer(eng_infer_ctx *ic, int v2)
{
    pe_spec s;
    if (spec_read(ic->node, v2, ic->ninputs, &s, ic->st) != TSD_OK)
        return ic->st->code;
    ic->noutputs = num_outputs(&s);
    if (ic->noutputs > ic->max_outputs)
        return TSD_OK;
    int64_t batch = ENG_DIM_BATCH;
    if (ic->inputs[0].shape.rank == 1)
        batch = ic->inputs[0].shape.dims[0];
    int o = 0;
    for (int i = 0; i < s.ns; i++) {
        eng_value_info *v = &ic->outputs[o++];
        v->dtype = ENG_DT_INT64;
        v->shape.rank = 2;
        v->shape.dims[0] = -1;
        v->shape.dims[1] = 2;
    }
    for (int i = 0; i < s.ns; i++) {
        eng_value_info *v = &ic->outputs[o++];
        v->dtype = s.sparse_types[i];
        v->shape.rank = 1;
        v->shape.dims[0] = -1;
    }
    for (int i = 0; i < s.ns; i++) {
        eng_value_info *v = &ic->outputs[o++];
        v->dtype = ENG_DT_INT64;
        v->shape.rank = 1;
        v->shape.dims[0] = 2;
    }
    for (int i = 0; i < s.nd; i++) {
        eng_value_info *v = &ic->outputs[o++];
        const eng_shape *ds = &s.dense_shapes[i];
        v->dtype = s.dense_types[i];
        if (ds->rank < 0 || ds->rank + 1 > ENG_MAX_RANK) {
            v->shape.rank = -1;
            continue;
        }
        v->shape.rank = ds->rank + 1;
        v->shape.dims[0] = batch;
        for (int k = 0; k < ds->rank; k++)
            v->shape.dims[k + 1] = ds->dims[k] < 0 ? -1 : ds->dims[k];
    }
    for (int i = 0; i < s.nr; i++) {
        eng_value_info *v = &ic->outputs[o++];
        v->dtype = s.ragged_types[i];
        v->shape.rank = 1;
        v->shape.dims[0] = -1;
    }
    for (int i = 0; i < s.nr; i++) {
        eng_value_info *v = &ic->outputs[o++];
        v->dtype = s.ragged_splits[i];
        v->shape.rank = 1;
        v->shape.dims[0] = batch >= 0 ? batch + 1 : -1;
    }
    return TSD_OK;
}

static tsd_code infer_v1(eng_infer_ctx *ic)
{
    return pe_infer(ic, 0);
}

static tsd_code infer_v2(eng_infer_ctx *ic)
{
    return pe_infer(ic, 1);
}

/* ---- compute ------------------------------------------------------------- */

/* Everything one compute call needs. */
typedef struct pe_run {
    eng_kctx *ctx;
    pe_spec s;
    int64_t batch;
    const eng_str *ser;
    const eng_tensor *names;
    pe_key *index;
    int nkeys;
    int64_t *dense_elems; /* per dense key: elements per example */
    eng_tensor **dense_out;
    pe_hit *hits; /* [batch][ns + nr] */
} pe_run;

/* Fetch a string key input: V1 has one scalar per key, V2 one vector per role. */
static tsd_code collect_keys(pe_run *r)
{
    eng_kctx *ctx = r->ctx;
    const pe_spec *s = &r->s;
    int total = s->ns + s->nd + s->nr;
    r->nkeys = total;
    r->index = eng_kctx_scratch(ctx, (size_t)(total ? total : 1) * sizeof *r->index);
    if (!r->index)
        return ctx->st->code;
    int counts[3] = {s->ns, s->nd, s->nr};
    static const char *const what[3] = {"sparse_keys", "dense_keys", "ragged_keys"};
    int k = 0;
    for (int role = 0; role < 3; role++) {
        if (s->v2) {
            const eng_tensor *t = &ctx->inputs[2 + role];
            if (t->dtype != ENG_DT_STRING || t->rank != 1 || t->dims[0] != counts[role])
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "%s must be a string vector of %d keys", what[role], counts[role]);
            for (int i = 0; i < counts[role]; i++) {
                r->index[k].key = ((const eng_str *)t->data)[i];
                r->index[k].role = role;
                r->index[k++].idx = i;
            }
        } else {
            int base = role == PE_SPARSE ? 2 : 2 + s->ns;
            for (int i = 0; i < counts[role]; i++) {
                const eng_tensor *t = &ctx->inputs[base + i];
                if (t->dtype != ENG_DT_STRING || eng_tensor_num_elements(t) != 1 || t->rank != 0)
                    return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "%s[%d] must be a scalar string",
                                   what[role], i);
                r->index[k].key = ((const eng_str *)t->data)[0];
                r->index[k].role = role;
                r->index[k++].idx = i;
            }
        }
    }
    qsort(r->index, (size_t)total, sizeof *r->index, pe_key_cmp);
    for (int i = 1; i < total; i++)
        if (pe_key_cmp(&r->index[i - 1], &r->index[i]) == 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "duplicate feature key '%.*s'",
                           msg_len(r->index[i].key.len), r->index[i].key.ptr);
    return TSD_OK;
}

/* Format a dense shape as TensorShape::DebugString does: "[2,3]", "[]". */
static void shape_debug(const eng_shape *sh, char *buf, size_t len)
{
    eng_shape_str(sh->dims, sh->rank, buf, len);
}

/* Validate dense shapes and defaults; allocate the dense outputs. */
static tsd_code setup_dense(pe_run *r)
{
    eng_kctx *ctx = r->ctx;
    const pe_spec *s = &r->s;
    size_t nd = (size_t)(s->nd ? s->nd : 1);
    r->dense_elems = eng_kctx_scratch(ctx, nd * sizeof *r->dense_elems);
    r->dense_out = eng_kctx_scratch(ctx, nd * sizeof *r->dense_out);
    if (!r->dense_elems || !r->dense_out)
        return ctx->st->code;
    for (int d = 0; d < s->nd; d++) {
        const eng_shape *ds = &s->dense_shapes[d];
        if (ds->rank < 0 || ds->rank + 1 > ENG_MAX_RANK)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "dense_shapes[%d] must have a known rank below %d", d, ENG_MAX_RANK);
        int64_t elems = 1;
        int64_t dims[ENG_MAX_RANK];
        dims[0] = r->batch;
        for (int k = 0; k < ds->rank; k++) {
            if (ds->dims[k] < 0) {
                char buf[96];
                shape_debug(ds, buf, sizeof buf);
                if (k == 0)
                    return tsd_err(ctx->st, TSD_UNIMPLEMENTED,
                                   "dense_shapes[%d] = %s: variable-length dense features "
                                   "(FixedLenSequenceFeature) are not supported",
                                   d, buf);
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                               "dense_shapes[%d] = %s has an unknown inner dimension", d, buf);
            }
            if (ds->dims[k] > 0 && elems > ENG_MAX_ELEMENTS / ds->dims[k])
                return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "dense_shapes[%d] is too large", d);
            elems *= ds->dims[k];
            dims[k + 1] = ds->dims[k];
        }
        r->dense_elems[d] = elems;
        const eng_tensor *def = &ctx->inputs[s->first_default + d];
        int64_t ndef = eng_tensor_num_elements(def);
        if (def->dtype != s->dense_types[d])
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "dense_defaults[%d] has dtype %s but Tdense[%d] is %s", d,
                           eng_dtype_name(def->dtype), d, eng_dtype_name(s->dense_types[d]));
        if (ndef != 0 && ndef != elems) {
            char buf[96];
            shape_debug(ds, buf, sizeof buf);
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "dense_defaults[%d] has %lld elements but dense_shapes[%d] is %s", d,
                           (long long)ndef, d, buf);
        }
        r->dense_out[d] =
            eng_kctx_output(ctx, 3 * s->ns + d, s->dense_types[d], ds->rank + 1, dims);
        if (!r->dense_out[d])
            return ctx->st->code;
    }
    return TSD_OK;
}

static int walk_visit(void *ud, const eng_ex_entry *e)
{
    pe_walk *w = ud;
    int k = key_find(w->index, w->nkeys, e->key, e->key_len);
    if (k < 0)
        return 0;
    if (w->index[k].role == PE_DENSE) {
        eng_ex_list l;
        if (eng_ex_feature(e->feature, e->feature_len, &l, w->st) != TSD_OK) {
            w->rc = w->st->code;
            return 1;
        }
        if (l.kind == ENG_EX_NONE)
            return 0; /* an empty Feature never replaces a dense value */
        w->dense[k] = l;
    }
    w->last[k] = *e;
    w->found[k] = 1;
    return 0;
}

/* The example's name for messages. */
static eng_str example_name(const pe_run *r, int64_t b)
{
    eng_str unknown = {"<unknown>", 9};
    if (eng_tensor_num_elements(r->names) == 0)
        return unknown;
    return ((const eng_str *)r->names->data)[b];
}

/* Copy string elements into call memory (they point into the request). */
static tsd_code own_strings(eng_kctx *ctx, eng_str *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (eng_kctx_str(ctx, v[i].ptr, v[i].len, &v[i]) != TSD_OK)
            return ctx->st->code;
    return TSD_OK;
}

/* Fill dense key d of example b from its chosen Feature or its default. */
static tsd_code fill_dense(pe_run *r, int64_t b, int d, const eng_ex_list *l, int found,
                           eng_str name, eng_str key)
{
    eng_kctx *ctx = r->ctx;
    eng_dtype dt = r->s.dense_types[d];
    int64_t elems = r->dense_elems[d];
    size_t esz = eng_dtype_size(dt);
    char *out = (char *)r->dense_out[d]->data + (size_t)(b * elems) * esz;
    if (!found) {
        const eng_tensor *def = &ctx->inputs[r->s.first_default + d];
        if (eng_tensor_num_elements(def) == 0)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Name: %.*s, Feature: %.*s (data type: %s) is required but could "
                           "not be found.",
                           msg_len(name.len), name.ptr, msg_len(key.len), key.ptr,
                           eng_dtype_name(dt));
        if (elems > 0)
            memcpy(out, def->data, (size_t)elems * esz);
        return dt == ENG_DT_STRING ? own_strings(ctx, (eng_str *)out, (size_t)elems) : TSD_OK;
    }
    eng_ex_kind want = dt == ENG_DT_FLOAT   ? ENG_EX_FLOAT
                       : dt == ENG_DT_INT64 ? ENG_EX_INT64
                                            : ENG_EX_BYTES;
    if (l->kind != want)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Name: %.*s, Key: %.*s, Index: %lld.  Data types don't match. Data "
                       "type: %s but expected type: %s",
                       msg_len(name.len), name.ptr, msg_len(key.len), key.ptr, (long long)b,
                       eng_ex_kind_name(l->kind), eng_dtype_name(dt));
    size_t count = 0;
    tsd_status sub = TSD_STATUS_INIT;
    if (eng_ex_values(l, out, (size_t)elems, &count, &sub) != TSD_OK)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Name: %.*s, Key: %.*s, Index: %lld.  Can't parse serialized Example: %s",
                       msg_len(name.len), name.ptr, msg_len(key.len), key.ptr, (long long)b,
                       sub.msg);
    if (count != (size_t)elems) {
        char buf[96];
        shape_debug(&r->s.dense_shapes[d], buf, sizeof buf);
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Name: %.*s, Key: %.*s, Index: %lld.  Number of %s values != expected.  "
                       "Values size: %zu but output shape: %s",
                       msg_len(name.len), name.ptr, msg_len(key.len), key.ptr, (long long)b,
                       dt == ENG_DT_STRING ? "bytes" : eng_dtype_name(dt), count, buf);
    }
    return dt == ENG_DT_STRING ? own_strings(ctx, (eng_str *)out, count) : TSD_OK;
}

/* Record (and validate) the Feature of sparse/ragged slot `slot` of example b. */
static tsd_code note_varlen(pe_run *r, int64_t b, int slot, eng_dtype dt, const eng_ex_entry *e,
                            int found, eng_str name, eng_str key)
{
    eng_kctx *ctx = r->ctx;
    pe_hit *h = &r->hits[b * (r->s.ns + r->s.nr) + slot];
    memset(h, 0, sizeof *h);
    if (!found)
        return TSD_OK;
    tsd_status sub = TSD_STATUS_INIT;
    if (eng_ex_feature(e->feature, e->feature_len, &h->list, &sub) != TSD_OK)
        goto bad;
    if (h->list.kind == ENG_EX_NONE)
        return TSD_OK;
    eng_ex_kind want = dt == ENG_DT_FLOAT   ? ENG_EX_FLOAT
                       : dt == ENG_DT_INT64 ? ENG_EX_INT64
                                            : ENG_EX_BYTES;
    if (h->list.kind != want)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Name: %.*s, Key: %.*s, Index: %lld.  Data types don't match. Expected "
                       "type: %s, Actual type: %s",
                       msg_len(name.len), name.ptr, msg_len(key.len), key.ptr, (long long)b,
                       eng_dtype_name(dt), eng_ex_kind_name(h->list.kind));
    if (eng_ex_values(&h->list, NULL, 0, &h->count, &sub) != TSD_OK)
        goto bad;
    return TSD_OK;
bad:
    return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                   "Name: %.*s, Key: %.*s, Index: %lld.  Can't parse serialized Example: %s",
                   msg_len(name.len), name.ptr, msg_len(key.len), key.ptr, (long long)b, sub.msg);
}

/* Pass 1: walk every example; fill dense outputs, record sparse/ragged hits. */
static tsd_code scan_examples(pe_run *r)
{
    eng_kctx *ctx = r->ctx;
    size_t nk = (size_t)(r->nkeys ? r->nkeys : 1);
    pe_walk w = {r->index, r->nkeys, NULL, NULL, NULL, NULL, TSD_OK};
    w.last = eng_kctx_scratch(ctx, nk * sizeof *w.last);
    w.dense = eng_kctx_scratch(ctx, nk * sizeof *w.dense);
    w.found = eng_kctx_scratch(ctx, nk);
    size_t nvar = (size_t)(r->s.ns + r->s.nr);
    if (nvar && (uint64_t)r->batch > SIZE_MAX / sizeof *r->hits / nvar)
        return tsd_err(ctx->st, TSD_RESOURCE_EXHAUSTED, "batch of %lld examples is too large",
                       (long long)r->batch);
    r->hits = eng_kctx_scratch(ctx, (nvar * (size_t)r->batch + 1) * sizeof *r->hits);
    if (!w.last || !w.dense || !w.found || !r->hits)
        return ctx->st->code;
    tsd_status sub = TSD_STATUS_INIT;
    w.st = &sub;
    for (int64_t b = 0; b < r->batch; b++) {
        eng_str name = example_name(r, b);
        memset(w.found, 0, nk);
        w.rc = TSD_OK;
        tsd_status_clear(&sub);
        tsd_code rc = eng_example_walk(r->ser[b].ptr, r->ser[b].len, walk_visit, &w, &sub);
        if (rc == TSD_OK)
            rc = w.rc;
        if (rc != TSD_OK)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Name: %.*s, Index: %lld.  Could not parse example input: %s",
                           msg_len(name.len), name.ptr, (long long)b, sub.msg);
        for (int k = 0; k < r->nkeys; k++) {
            const pe_key *pk = &r->index[k];
            if (pk->role == PE_DENSE) {
                rc = fill_dense(r, b, pk->idx, &w.dense[k], w.found[k], name, pk->key);
            } else {
                int slot = pk->role == PE_SPARSE ? pk->idx : r->s.ns + pk->idx;
                eng_dtype dt =
                    pk->role == PE_SPARSE ? r->s.sparse_types[pk->idx] : r->s.ragged_types[pk->idx];
                rc = note_varlen(r, b, slot, dt, &w.last[k], w.found[k], name, pk->key);
            }
            if (rc != TSD_OK)
                return rc;
        }
    }
    return TSD_OK;
}

/* Decode the values of slot `slot` for all examples into vals (string: owned copies). */
static tsd_code emit_values(pe_run *r, int slot, eng_tensor *vals)
{
    size_t esz = eng_dtype_size(vals->dtype);
    size_t pos = 0;
    size_t nvar = (size_t)(r->s.ns + r->s.nr);
    for (int64_t b = 0; b < r->batch; b++) {
        const pe_hit *h = &r->hits[(size_t)b * nvar + (size_t)slot];
        if (h->count == 0)
            continue;
        size_t got = 0;
        char *out = (char *)vals->data + pos * esz;
        if (eng_ex_values(&h->list, out, h->count, &got, r->ctx->st) != TSD_OK)
            return r->ctx->st->code;
        if (vals->dtype == ENG_DT_STRING && own_strings(r->ctx, (eng_str *)out, got) != TSD_OK)
            return r->ctx->st->code;
        pos += h->count;
    }
    return TSD_OK;
}

/* Pass 2a: the sparse outputs of sparse key s. */
static tsd_code emit_sparse(pe_run *r, int s)
{
    eng_kctx *ctx = r->ctx;
    size_t nvar = (size_t)(r->s.ns + r->s.nr);
    int64_t total = 0, maxc = 0;
    for (int64_t b = 0; b < r->batch; b++) {
        int64_t c = (int64_t)r->hits[(size_t)b * nvar + (size_t)s].count;
        total += c;
        if (c > maxc)
            maxc = c;
        if (total > ENG_MAX_ELEMENTS)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "too many values for sparse key %d", s);
    }
    int64_t idims[2] = {total, 2};
    int64_t sdims[1] = {2};
    eng_tensor *ind = eng_kctx_output(ctx, s, ENG_DT_INT64, 2, idims);
    eng_tensor *vals = eng_kctx_output(ctx, r->s.ns + s, r->s.sparse_types[s], 1, &total);
    eng_tensor *shp = eng_kctx_output(ctx, 2 * r->s.ns + s, ENG_DT_INT64, 1, sdims);
    if (!ind || !vals || !shp)
        return ctx->st->code;
    int64_t *ip = ind->data;
    for (int64_t b = 0; b < r->batch; b++) {
        int64_t c = (int64_t)r->hits[(size_t)b * nvar + (size_t)s].count;
        for (int64_t j = 0; j < c; j++) {
            *ip++ = b;
            *ip++ = j;
        }
    }
    ((int64_t *)shp->data)[0] = r->batch;
    ((int64_t *)shp->data)[1] = maxc;
    return emit_values(r, s, vals);
}

/* Pass 2b: the ragged outputs of ragged key q. */
static tsd_code emit_ragged(pe_run *r, int q)
{
    eng_kctx *ctx = r->ctx;
    const pe_spec *s = &r->s;
    size_t nvar = (size_t)(s->ns + s->nr);
    int slot = s->ns + q;
    int64_t total = 0;
    for (int64_t b = 0; b < r->batch; b++)
        total += (int64_t)r->hits[(size_t)b * nvar + (size_t)slot].count;
    if (total > ENG_MAX_ELEMENTS || (s->ragged_splits[q] == ENG_DT_INT32 && total > INT32_MAX))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "too many values for ragged key %d", q);
    int64_t ndims = r->batch + 1;
    int base = 3 * s->ns + s->nd;
    eng_tensor *vals = eng_kctx_output(ctx, base + q, s->ragged_types[q], 1, &total);
    eng_tensor *spl = eng_kctx_output(ctx, base + s->nr + q, s->ragged_splits[q], 1, &ndims);
    if (!vals || !spl)
        return ctx->st->code;
    int64_t acc = 0;
    for (int64_t b = 0; b <= r->batch; b++) {
        if (spl->dtype == ENG_DT_INT32)
            ((int32_t *)spl->data)[b] = (int32_t)acc;
        else
            ((int64_t *)spl->data)[b] = acc;
        if (b < r->batch)
            acc += (int64_t)r->hits[(size_t)b * nvar + (size_t)slot].count;
    }
    return emit_values(r, slot, vals);
}

static tsd_code pe_compute(eng_kctx *ctx, int v2)
{
    pe_run r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    if (spec_read(ctx->node, v2, ctx->ninputs, &r.s, ctx->st) != TSD_OK)
        return ctx->st->code;
    const eng_tensor *ser = &ctx->inputs[0];
    if (ser->dtype != ENG_DT_STRING || ser->rank != 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Expected serialized to be a vector of strings, got rank %d %s", ser->rank,
                       eng_dtype_name(ser->dtype));
    r.batch = ser->dims[0];
    r.ser = ser->data;
    r.names = &ctx->inputs[1];
    int64_t nnames = eng_tensor_num_elements(r.names);
    if (r.names->dtype != ENG_DT_STRING || r.names->rank > 1 || (nnames != 0 && nnames != r.batch))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Expected len(names) == 0 or len(names) == len(serialized) = %lld, got "
                       "%lld names",
                       (long long)r.batch, (long long)nnames);
    if (collect_keys(&r) != TSD_OK || setup_dense(&r) != TSD_OK || scan_examples(&r) != TSD_OK)
        return ctx->st->code;
    for (int s = 0; s < r.s.ns; s++)
        if (emit_sparse(&r, s) != TSD_OK)
            return ctx->st->code;
    for (int q = 0; q < r.s.nr; q++)
        if (emit_ragged(&r, q) != TSD_OK)
            return ctx->st->code;
    return TSD_OK;
}

static tsd_code compute_v1(eng_kctx *ctx)
{
    return pe_compute(ctx, 0);
}

static tsd_code compute_v2(eng_kctx *ctx)
{
    return pe_compute(ctx, 1);
}

const eng_op_def eng_ops_parse[] = {
    {"ParseExample", infer_v1, compute_v1, NULL, NULL, 0},
    {"ParseExampleV2", infer_v2, compute_v2, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, NULL, 0},
};
