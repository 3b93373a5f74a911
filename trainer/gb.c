/*
 * gb.c - the trainer's graph builder (see gb.h).
 */
#include "trainer/gb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void trn_gb_init(trn_gb *b, eng_graph *g, tsd_status *st)
{
    memset(b, 0, sizeof *b);
    b->g = g;
    b->st = st;
}

void trn_gb_free(trn_gb *b)
{
    for (size_t i = 0; i < b->npool; i++)
        free(b->pool[i]);
    free(b->pool);
    b->pool = NULL;
    b->npool = b->cap = 0;
}

static void oom(trn_gb *b)
{
    if (!b->failed)
        tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory building the model graph");
    b->failed = 1;
}

const char *trn_gb_name(trn_gb *b, const char *fmt, ...)
{
    if (b->failed)
        return "";
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        oom(b);
        return "";
    }
    if (b->npool == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        char **p = realloc(b->pool, cap * sizeof *p);
        if (!p) {
            free(s);
            oom(b);
            return "";
        }
        b->pool = p;
        b->cap = cap;
    }
    b->pool[b->npool++] = s;
    return s;
}

eng_node *trn_gb_add(trn_gb *b, const char *name, const char *op, const char *const *ins, int n)
{
    if (b->failed)
        return NULL;
    eng_node *nd = NULL;
    if (eng_graph_add_node(b->g, name, op, ins, n, &nd, b->st)) {
        b->failed = 1;
        return NULL;
    }
    return nd;
}

void trn_gb_attr(trn_gb *b, eng_node *n, const char *attr, eng_attr a)
{
    if (!b->failed && n && eng_node_set_attr(b->g, n, attr, &a, b->st))
        b->failed = 1;
}

void trn_gb_type(trn_gb *b, eng_node *n, const char *attr, eng_dtype t)
{
    trn_gb_attr(b, n, attr, (eng_attr){.kind = ENG_ATTR_TYPE, .type = t});
}

void trn_gb_int(trn_gb *b, eng_node *n, const char *attr, int64_t v)
{
    trn_gb_attr(b, n, attr, (eng_attr){.kind = ENG_ATTR_INT, .i = v});
}

void trn_gb_bool(trn_gb *b, eng_node *n, const char *attr, int v)
{
    trn_gb_attr(b, n, attr, (eng_attr){.kind = ENG_ATTR_BOOL, .b = v});
}

void trn_gb_float(trn_gb *b, eng_node *n, const char *attr, double v)
{
    trn_gb_attr(b, n, attr, (eng_attr){.kind = ENG_ATTR_FLOAT, .f = v});
}

void trn_gb_str(trn_gb *b, eng_node *n, const char *attr, const char *s)
{
    trn_gb_attr(b, n, attr, (eng_attr){.kind = ENG_ATTR_STRING, .s = {s, strlen(s)}});
}

const char *trn_gb_op1(trn_gb *b, const char *name, const char *op, const char *a, eng_dtype t)
{
    eng_node *n = trn_gb_add(b, name, op, &a, 1);
    if (t != ENG_DT_INVALID)
        trn_gb_type(b, n, "T", t);
    return b->failed ? "" : name;
}

const char *trn_gb_op2(trn_gb *b, const char *name, const char *op, const char *a, const char *c,
                       eng_dtype t)
{
    const char *ins[2] = {a, c};
    eng_node *n = trn_gb_add(b, name, op, ins, 2);
    if (t != ENG_DT_INVALID)
        trn_gb_type(b, n, "T", t);
    return b->failed ? "" : name;
}

const char *trn_gb_const(trn_gb *b, const char *name, const eng_tensor *t)
{
    eng_node *n = trn_gb_add(b, name, "Const", NULL, 0);
    trn_gb_type(b, n, "dtype", t->dtype);
    trn_gb_attr(b, n, "value", (eng_attr){.kind = ENG_ATTR_TENSOR, .tensor = *t});
    return b->failed ? "" : name;
}

static const char *vec(trn_gb *b, const char *name, eng_dtype dt, const void *v, int64_t n,
                       size_t esz)
{
    eng_tensor t = {.dtype = dt, .rank = n < 0 ? 0 : 1, .data = (void *)v};
    t.dims[0] = n < 0 ? 0 : n;
    t.nbytes = (size_t)(n < 0 ? 1 : n) * esz;
    return trn_gb_const(b, name, &t);
}

const char *trn_gb_i32(trn_gb *b, const char *name, const int32_t *v, int64_t n)
{
    return vec(b, name, ENG_DT_INT32, v, n, sizeof *v);
}

const char *trn_gb_i64(trn_gb *b, const char *name, const int64_t *v, int64_t n)
{
    return vec(b, name, ENG_DT_INT64, v, n, sizeof *v);
}

const char *trn_gb_f32(trn_gb *b, const char *name, const float *v, int64_t n)
{
    return vec(b, name, ENG_DT_FLOAT, v, n, sizeof *v);
}

const char *trn_gb_strs(trn_gb *b, const char *name, const char *const *v, int64_t n)
{
    int64_t cnt = n < 0 ? 1 : n;
    eng_str *s = calloc((size_t)(cnt ? cnt : 1), sizeof *s);
    if (!s) {
        oom(b);
        return "";
    }
    for (int64_t i = 0; i < cnt; i++)
        s[i] = (eng_str){v[i], strlen(v[i])};
    const char *r = vec(b, name, ENG_DT_STRING, s, n, sizeof *s);
    free(s);
    return r;
}

const char *trn_gb_si32(trn_gb *b, const char *name, int32_t v)
{
    return trn_gb_i32(b, name, &v, -1);
}

const char *trn_gb_si64(trn_gb *b, const char *name, int64_t v)
{
    return trn_gb_i64(b, name, &v, -1);
}

const char *trn_gb_sf32(trn_gb *b, const char *name, float v)
{
    return trn_gb_f32(b, name, &v, -1);
}

const char *trn_gb_cast(trn_gb *b, const char *name, const char *x, eng_dtype src, eng_dtype dst)
{
    eng_node *n = trn_gb_add(b, name, "Cast", &x, 1);
    trn_gb_type(b, n, "SrcT", src);
    trn_gb_type(b, n, "DstT", dst);
    trn_gb_bool(b, n, "Truncate", 0);
    return b->failed ? "" : name;
}

const char *trn_gb_reshape(trn_gb *b, const char *name, const char *x, eng_dtype t,
                           const int32_t *shape, int rank)
{
    const char *s = trn_gb_i32(b, trn_gb_name(b, "%s/shape", name), shape, rank);
    eng_node *n = trn_gb_add(b, name, "Reshape", (const char *[]){x, s}, 2);
    trn_gb_type(b, n, "T", t);
    trn_gb_type(b, n, "Tshape", ENG_DT_INT32);
    return b->failed ? "" : name;
}

const char *trn_gb_var(trn_gb *b, const char *name, eng_dtype dt, int rank, const int64_t *dims,
                       int read)
{
    eng_node *h = trn_gb_add(b, name, "VarHandleOp", NULL, 0);
    eng_attr shape = {.kind = ENG_ATTR_SHAPE, .shape = {.rank = rank}};
    for (int d = 0; d < rank; d++)
        shape.shape.dims[d] = dims[d];
    trn_gb_type(b, h, "dtype", dt);
    trn_gb_attr(b, h, "shape", shape);
    trn_gb_str(b, h, "shared_name", name);
    trn_gb_str(b, h, "container", "");
    if (!read)
        return b->failed ? "" : name;
    const char *rn = trn_gb_name(b, "%s/Read", name);
    eng_node *r = trn_gb_add(b, rn, "ReadVariableOp", &name, 1);
    trn_gb_type(b, r, "dtype", dt);
    return b->failed ? "" : rn;
}
