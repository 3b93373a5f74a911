/*
 * attr.c - node attributes: deep copy into graph storage, release, lookup
 * by name (binary search over the node's sorted attrs) and the typed
 * getters kernels use (eng_attr_int, eng_attr_int_or, ...).
 */
#include "engine/graph_int.h"
#include "engine/ops/op.h"

#include <stdlib.h>
#include <string.h>

/* Duplicate n elements of size es (NULL when n == 0). */
static int dup_array(void **dst, const void *src, size_t n, size_t es)
{
    *dst = NULL;
    if (n == 0)
        return 0;
    if (!src || n > SIZE_MAX / es)
        return -1;
    *dst = malloc(n * es);
    if (!*dst)
        return -1;
    memcpy(*dst, src, n * es);
    return 0;
}

/* Copy a string's bytes into a NUL-terminated malloc'ed buffer. */
static int dup_bytes(eng_str *dst, const eng_str *src)
{
    char *p = malloc(src->len + 1);
    if (!p)
        return -1;
    if (src->len)
        memcpy(p, src->ptr, src->len);
    p[src->len] = '\0';
    dst->ptr = p;
    dst->len = src->len;
    return 0;
}

void eng__attr_free(eng_attr *a)
{
    if (!a)
        return;
    if (a->kind == ENG_ATTR_STRING || a->kind == ENG_ATTR_FUNC)
        free((char *)a->s.ptr);
    if (a->kind == ENG_ATTR_TENSOR)
        eng_tensor_free_data(&a->tensor);
    if (a->strs)
        for (size_t i = 0; i < a->n; i++)
            free((char *)a->strs[i].ptr);
    if (a->tensors)
        for (size_t i = 0; i < a->n; i++)
            eng_tensor_free_data(&a->tensors[i]);
    free(a->ints);
    free(a->floats);
    free(a->types);
    free(a->strs);
    free(a->shapes);
    free(a->tensors);
    memset(a, 0, sizeof *a);
}

tsd_code eng__attr_copy(eng_attr *dst, const eng_attr *src, tsd_status *st)
{
    eng_attr d;
    memset(&d, 0, sizeof d);
    d.kind = src->kind;
    d.i = src->i;
    d.f = src->f;
    d.b = src->b;
    d.type = src->type;
    d.shape = src->shape;
    int fail = 0;
    switch (src->kind) {
    case ENG_ATTR_STRING:
    case ENG_ATTR_FUNC:
        fail = dup_bytes(&d.s, &src->s);
        break;
    case ENG_ATTR_TENSOR:
        if (eng_tensor_copy(&d.tensor, &src->tensor, st))
            return st ? st->code : TSD_INVALID_ARGUMENT;
        break;
    case ENG_ATTR_LIST_INT:
    case ENG_ATTR_LIST_BOOL:
        d.n = src->n;
        fail = dup_array((void **)&d.ints, src->ints, src->n, sizeof *d.ints);
        break;
    case ENG_ATTR_LIST_FLOAT:
        d.n = src->n;
        fail = dup_array((void **)&d.floats, src->floats, src->n, sizeof *d.floats);
        break;
    case ENG_ATTR_LIST_TYPE:
        d.n = src->n;
        fail = dup_array((void **)&d.types, src->types, src->n, sizeof *d.types);
        break;
    case ENG_ATTR_LIST_SHAPE:
        d.n = src->n;
        fail = dup_array((void **)&d.shapes, src->shapes, src->n, sizeof *d.shapes);
        break;
    case ENG_ATTR_LIST_STRING:
        if (src->n && !src->strs)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "string list without elements");
        d.strs = src->n ? calloc(src->n, sizeof *d.strs) : NULL;
        if (src->n && !d.strs)
            fail = 1;
        for (size_t i = 0; !fail && i < src->n; i++) {
            fail = dup_bytes(&d.strs[i], &src->strs[i]);
            if (!fail)
                d.n = i + 1;
        }
        break;
    case ENG_ATTR_LIST_TENSOR:
        if (src->n && !src->tensors)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "tensor list without elements");
        d.tensors = src->n ? calloc(src->n, sizeof *d.tensors) : NULL;
        if (src->n && !d.tensors)
            fail = 1;
        for (size_t i = 0; !fail && i < src->n; i++) {
            if (eng_tensor_copy(&d.tensors[i], &src->tensors[i], st)) {
                eng__attr_free(&d);
                return st ? st->code : TSD_INVALID_ARGUMENT;
            }
            d.n = i + 1;
        }
        break;
    default:
        break;
    }
    if (fail) {
        eng__attr_free(&d);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory copying attr");
    }
    *dst = d;
    return TSD_OK;
}

const eng_attr *eng_node_attr(const eng_node *n, const char *name)
{
    if (!n || !name)
        return NULL;
    int lo = 0, hi = n->nattrs;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(name, n->attrs[mid].name);
        if (c == 0)
            return &n->attrs[mid].v;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Find attr `name` of the wanted kind or fail naming node and attr. */
static const eng_attr *get_kind(const eng_node *n, const char *name, eng_attr_kind kind,
                                const char *what, tsd_status *st)
{
    const eng_attr *a = eng_node_attr(n, name);
    if (!a) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "node '%s': missing attr '%s'", n ? n->name : "?", name);
        return NULL;
    }
    if (a->kind != kind) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "node '%s': attr '%s' is not %s", n->name, name, what);
        return NULL;
    }
    return a;
}

tsd_code eng_attr_int(const eng_node *n, const char *name, int64_t *out, tsd_status *st)
{
    const eng_attr *a = get_kind(n, name, ENG_ATTR_INT, "an int", st);
    if (!a)
        return TSD_INVALID_ARGUMENT;
    *out = a->i;
    return TSD_OK;
}

tsd_code eng_attr_float(const eng_node *n, const char *name, double *out, tsd_status *st)
{
    const eng_attr *a = get_kind(n, name, ENG_ATTR_FLOAT, "a float", st);
    if (!a)
        return TSD_INVALID_ARGUMENT;
    *out = a->f;
    return TSD_OK;
}

tsd_code eng_attr_bool(const eng_node *n, const char *name, int *out, tsd_status *st)
{
    const eng_attr *a = get_kind(n, name, ENG_ATTR_BOOL, "a bool", st);
    if (!a)
        return TSD_INVALID_ARGUMENT;
    *out = a->b != 0;
    return TSD_OK;
}

tsd_code eng_attr_type(const eng_node *n, const char *name, eng_dtype *out, tsd_status *st)
{
    const eng_attr *a = get_kind(n, name, ENG_ATTR_TYPE, "a type", st);
    if (!a)
        return TSD_INVALID_ARGUMENT;
    *out = a->type;
    return TSD_OK;
}

tsd_code eng_attr_string(const eng_node *n, const char *name, eng_str *out, tsd_status *st)
{
    const eng_attr *a = get_kind(n, name, ENG_ATTR_STRING, "a string", st);
    if (!a)
        return TSD_INVALID_ARGUMENT;
    *out = a->s;
    return TSD_OK;
}

int64_t eng_attr_int_or(const eng_node *n, const char *name, int64_t dflt)
{
    const eng_attr *a = eng_node_attr(n, name);
    return a && a->kind == ENG_ATTR_INT ? a->i : dflt;
}

double eng_attr_float_or(const eng_node *n, const char *name, double dflt)
{
    const eng_attr *a = eng_node_attr(n, name);
    return a && a->kind == ENG_ATTR_FLOAT ? a->f : dflt;
}

int eng_attr_bool_or(const eng_node *n, const char *name, int dflt)
{
    const eng_attr *a = eng_node_attr(n, name);
    return a && a->kind == ENG_ATTR_BOOL ? a->b != 0 : dflt;
}

eng_dtype eng_attr_type_or(const eng_node *n, const char *name, eng_dtype dflt)
{
    const eng_attr *a = eng_node_attr(n, name);
    return a && a->kind == ENG_ATTR_TYPE ? a->type : dflt;
}
