/*
 * graph_attr.c - tensorflow.AttrValue -> eng_attr for the graph importer.
 * Scalars are copied, lists become the matching ENG_ATTR_LIST_* (function
 * lists become string lists of names), tensors and shapes are decoded with
 * tensor_proto.c. An empty list carries no kind on the wire; its kind comes
 * from the op definition when the MetaGraphDef's stripped op list has it,
 * otherwise from the attr name (T*, *types -> types; *shape* -> shapes).
 */
#include <stdlib.h>
#include <string.h>

#include "loader/model_int.h"
#include "loader/tensor_proto.h"

/* Kind of an empty list: from the op def when known, else from the name. */
static eng_attr_kind empty_list_kind(const Tensorflow__OpDef *od, const char *name)
{
    for (size_t i = 0; od && i < od->n_attr; i++) {
        const Tensorflow__OpDef__AttrDef *ad = od->attr[i];
        if (!ad->name || !ad->type || strcmp(ad->name, name) != 0)
            continue;
        if (strcmp(ad->type, "list(type)") == 0)
            return ENG_ATTR_LIST_TYPE;
        if (strcmp(ad->type, "list(shape)") == 0)
            return ENG_ATTR_LIST_SHAPE;
        if (strcmp(ad->type, "list(string)") == 0)
            return ENG_ATTR_LIST_STRING;
        if (strcmp(ad->type, "list(float)") == 0)
            return ENG_ATTR_LIST_FLOAT;
        if (strcmp(ad->type, "list(bool)") == 0)
            return ENG_ATTR_LIST_BOOL;
        if (strcmp(ad->type, "list(tensor)") == 0)
            return ENG_ATTR_LIST_TENSOR;
        return ENG_ATTR_LIST_INT;
    }
    size_t len = strlen(name);
    if (strstr(name, "shape"))
        return ENG_ATTR_LIST_SHAPE;
    if (name[0] == 'T' || (len >= 5 && strcmp(name + len - 5, "types") == 0) ||
        strcmp(name, "dtypes") == 0)
        return ENG_ATTR_LIST_TYPE;
    return ENG_ATTR_LIST_INT;
}

void ldr__attr_release(eng_attr *a)
{
    if (a->kind == ENG_ATTR_TENSOR)
        eng_tensor_free_data(&a->tensor);
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

/* Convert a list AttrValue. */
static tsd_code convert_list(const Tensorflow__OpDef *od, const char *name,
                             const Tensorflow__AttrValue__ListValue *l, eng_attr *a, tsd_status *st)
{
    size_t n;
    if ((n = l->n_s) > 0) {
        a->kind = ENG_ATTR_LIST_STRING;
        if (!(a->strs = calloc(n, sizeof *a->strs)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            a->strs[i] = (eng_str){(const char *)l->s[i].data, l->s[i].len};
    } else if ((n = l->n_i) > 0) {
        a->kind = ENG_ATTR_LIST_INT;
        if (!(a->ints = calloc(n, sizeof *a->ints)))
            goto oom;
        memcpy(a->ints, l->i, n * sizeof *a->ints);
    } else if ((n = l->n_f) > 0) {
        a->kind = ENG_ATTR_LIST_FLOAT;
        if (!(a->floats = calloc(n, sizeof *a->floats)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            a->floats[i] = l->f[i];
    } else if ((n = l->n_b) > 0) {
        a->kind = ENG_ATTR_LIST_BOOL;
        if (!(a->ints = calloc(n, sizeof *a->ints)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            a->ints[i] = l->b[i] ? 1 : 0;
    } else if ((n = l->n_type) > 0) {
        a->kind = ENG_ATTR_LIST_TYPE;
        if (!(a->types = calloc(n, sizeof *a->types)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            a->types[i] = (eng_dtype)l->type[i];
    } else if ((n = l->n_shape) > 0) {
        a->kind = ENG_ATTR_LIST_SHAPE;
        if (!(a->shapes = calloc(n, sizeof *a->shapes)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            if (ldr_shape_from_proto(l->shape[i], &a->shapes[i], st) != TSD_OK)
                return tsd_status_prefix(st, "shape %zu", i);
    } else if ((n = l->n_tensor) > 0) {
        a->kind = ENG_ATTR_LIST_TENSOR;
        if (!(a->tensors = calloc(n, sizeof *a->tensors)))
            goto oom;
        a->n = n; /* so attr_temp_free frees what was decoded */
        for (size_t i = 0; i < n; i++)
            if (ldr_tensor_from_proto(l->tensor[i], &a->tensors[i], st) != TSD_OK)
                return tsd_status_prefix(st, "tensor %zu", i);
    } else if ((n = l->n_func) > 0) {
        a->kind = ENG_ATTR_LIST_STRING; /* function names */
        if (!(a->strs = calloc(n, sizeof *a->strs)))
            goto oom;
        for (size_t i = 0; i < n; i++) {
            const char *fn = l->func[i]->name ? l->func[i]->name : "";
            a->strs[i] = (eng_str){fn, strlen(fn)};
        }
    } else {
        a->kind = empty_list_kind(od, name);
    }
    a->n = n;
    return TSD_OK;
oom:
    return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
}

tsd_code ldr__attr_from_proto(const Tensorflow__AttrValue *v, const Tensorflow__OpDef *od,
                              const char *name, eng_attr *a, tsd_status *st)
{
    memset(a, 0, sizeof *a);
    switch (v->value_case) {
    case TENSORFLOW__ATTR_VALUE__VALUE_S:
        a->kind = ENG_ATTR_STRING;
        a->s = (eng_str){(const char *)v->s.data, v->s.len};
        return TSD_OK;
    case TENSORFLOW__ATTR_VALUE__VALUE_I:
        a->kind = ENG_ATTR_INT;
        a->i = v->i;
        return TSD_OK;
    case TENSORFLOW__ATTR_VALUE__VALUE_F:
        a->kind = ENG_ATTR_FLOAT;
        a->f = v->f;
        return TSD_OK;
    case TENSORFLOW__ATTR_VALUE__VALUE_B:
        a->kind = ENG_ATTR_BOOL;
        a->b = v->b ? 1 : 0;
        return TSD_OK;
    case TENSORFLOW__ATTR_VALUE__VALUE_TYPE:
        a->kind = ENG_ATTR_TYPE;
        a->type = (eng_dtype)v->type;
        return TSD_OK;
    case TENSORFLOW__ATTR_VALUE__VALUE_SHAPE:
        a->kind = ENG_ATTR_SHAPE;
        return ldr_shape_from_proto(v->shape, &a->shape, st);
    case TENSORFLOW__ATTR_VALUE__VALUE_TENSOR:
        a->kind = ENG_ATTR_TENSOR;
        return ldr_tensor_from_proto(v->tensor, &a->tensor, st);
    case TENSORFLOW__ATTR_VALUE__VALUE_FUNC: {
        const char *fn = v->func && v->func->name ? v->func->name : "";
        a->kind = ENG_ATTR_FUNC;
        a->s = (eng_str){fn, strlen(fn)};
        return TSD_OK;
    }
    case TENSORFLOW__ATTR_VALUE__VALUE_LIST:
        return convert_list(od, name, v->list, a, st);
    default:
        a->kind = ENG_ATTR_NONE;
        return TSD_OK;
    }
}
