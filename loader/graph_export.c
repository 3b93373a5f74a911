/*
 * graph_export.c - engine graph -> tensorflow.GraphDef, the inverse of the
 * importer: each node's name, op, input strings and attrs (scalars, shapes,
 * tensors through tensor_proto.c, lists; function attrs as NameAttrList).
 * Every part is malloc'ed so one protobuf_c_message_free_unpacked frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "loader/tensor_proto.h"
#include "tensorflow/core/framework/graph.pb-c.h"

#define PRODUCER 27

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static Tensorflow__TensorShapeProto *shape_proto(const eng_shape *sh)
{
    Tensorflow__TensorShapeProto *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    tensorflow__tensor_shape_proto__init(p);
    if (sh->rank < 0) {
        p->unknown_rank = 1;
        return p;
    }
    p->n_dim = (size_t)sh->rank;
    p->dim = calloc((size_t)sh->rank + 1, sizeof *p->dim);
    if (!p->dim) {
        free(p);
        return NULL;
    }
    for (int d = 0; d < sh->rank; d++) {
        Tensorflow__TensorShapeProto__Dim *dim = malloc(sizeof *dim);
        if (!dim) {
            p->n_dim = (size_t)d;
            protobuf_c_message_free_unpacked(&p->base, NULL);
            return NULL;
        }
        tensorflow__tensor_shape_proto__dim__init(dim);
        dim->size = sh->dims[d] < 0 ? -1 : sh->dims[d];
        p->dim[d] = dim;
    }
    return p;
}

/* Fill a ListValue from a list attr; returns -1 on allocation failure. */
static int fill_list(Tensorflow__AttrValue__ListValue *l, const eng_attr *a, tsd_status *st)
{
    size_t n = a->n;
    switch (a->kind) {
    case ENG_ATTR_LIST_INT:
    case ENG_ATTR_LIST_BOOL:
        if (a->kind == ENG_ATTR_LIST_INT) {
            if (!(l->i = calloc(n + 1, sizeof *l->i)))
                return -1;
            l->n_i = n;
            for (size_t i = 0; i < n; i++)
                l->i[i] = a->ints[i];
        } else {
            if (!(l->b = calloc(n + 1, sizeof *l->b)))
                return -1;
            l->n_b = n;
            for (size_t i = 0; i < n; i++)
                l->b[i] = a->ints[i] != 0;
        }
        return 0;
    case ENG_ATTR_LIST_FLOAT:
        if (!(l->f = calloc(n + 1, sizeof *l->f)))
            return -1;
        l->n_f = n;
        for (size_t i = 0; i < n; i++)
            l->f[i] = (float)a->floats[i];
        return 0;
    case ENG_ATTR_LIST_TYPE:
        if (!(l->type = calloc(n + 1, sizeof *l->type)))
            return -1;
        l->n_type = n;
        for (size_t i = 0; i < n; i++)
            l->type[i] = (Tensorflow__DataType)a->types[i];
        return 0;
    case ENG_ATTR_LIST_STRING:
        if (!(l->s = calloc(n + 1, sizeof *l->s)))
            return -1;
        for (size_t i = 0; i < n; i++, l->n_s++) {
            l->s[i].data = (uint8_t *)dupn(a->strs[i].ptr, a->strs[i].len);
            l->s[i].len = a->strs[i].len;
            if (!l->s[i].data)
                return -1;
        }
        return 0;
    case ENG_ATTR_LIST_SHAPE:
        if (!(l->shape = calloc(n + 1, sizeof *l->shape)))
            return -1;
        for (size_t i = 0; i < n; i++, l->n_shape++)
            if (!(l->shape[i] = shape_proto(&a->shapes[i])))
                return -1;
        return 0;
    case ENG_ATTR_LIST_TENSOR:
        if (!(l->tensor = calloc(n + 1, sizeof *l->tensor)))
            return -1;
        for (size_t i = 0; i < n; i++, l->n_tensor++)
            if (ldr_tensor_to_proto(&a->tensors[i], 1, &l->tensor[i], st))
                return -2;
        return 0;
    default:
        return 0;
    }
}

static Tensorflow__AttrValue *attr_proto(const eng_attr *a, tsd_status *st)
{
    Tensorflow__AttrValue *v = malloc(sizeof *v);
    if (!v) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    tensorflow__attr_value__init(v);
    int bad = 0;
    switch (a->kind) {
    case ENG_ATTR_INT:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I;
        v->i = a->i;
        break;
    case ENG_ATTR_FLOAT:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_F;
        v->f = (float)a->f;
        break;
    case ENG_ATTR_BOOL:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_B;
        v->b = a->b != 0;
        break;
    case ENG_ATTR_TYPE:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
        v->type = (Tensorflow__DataType)a->type;
        break;
    case ENG_ATTR_STRING:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_S;
        v->s.data = (uint8_t *)dupn(a->s.ptr, a->s.len);
        v->s.len = a->s.len;
        bad = !v->s.data;
        break;
    case ENG_ATTR_SHAPE:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE;
        bad = !(v->shape = shape_proto(&a->shape));
        break;
    case ENG_ATTR_TENSOR:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
        if (ldr_tensor_to_proto(&a->tensor, 1, &v->tensor, st)) {
            protobuf_c_message_free_unpacked(&v->base, NULL);
            return NULL;
        }
        break;
    case ENG_ATTR_FUNC:
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_FUNC;
        if ((v->func = malloc(sizeof *v->func))) {
            tensorflow__name_attr_list__init(v->func);
            bad = !(v->func->name = dupn(a->s.ptr, a->s.len));
        } else {
            bad = 1;
        }
        break;
    case ENG_ATTR_NONE:
        break;
    default: /* lists */
        v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST;
        if (!(v->list = malloc(sizeof *v->list))) {
            bad = 1;
            break;
        }
        tensorflow__attr_value__list_value__init(v->list);
        int r = fill_list(v->list, a, st);
        if (r == -2) {
            protobuf_c_message_free_unpacked(&v->base, NULL);
            return NULL;
        }
        bad = r != 0;
    }
    if (bad) {
        protobuf_c_message_free_unpacked(&v->base, NULL);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    return v;
}

static Tensorflow__NodeDef *node_proto(const eng_node *n, tsd_status *st)
{
    Tensorflow__NodeDef *nd = malloc(sizeof *nd);
    if (!nd) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    tensorflow__node_def__init(nd);
    int ni = eng_node_num_inputs(n), na = eng_node_num_attrs(n);
    nd->name = strdup(eng_node_name(n));
    nd->op = strdup(eng_node_op(n));
    nd->input = calloc((size_t)ni + 1, sizeof *nd->input);
    nd->attr = calloc((size_t)na + 1, sizeof *nd->attr);
    if (!nd->name || !nd->op || !nd->input || !nd->attr)
        goto oom;
    for (int i = 0; i < ni; i++, nd->n_input++)
        if (!(nd->input[i] = strdup(eng_node_input(n, i))))
            goto oom;
    for (int i = 0; i < na; i++) {
        Tensorflow__NodeDef__AttrEntry *e = malloc(sizeof *e);
        if (!e)
            goto oom;
        tensorflow__node_def__attr_entry__init(e);
        nd->attr[nd->n_attr++] = e;
        if (!(e->key = strdup(eng_node_attr_name(n, i))))
            goto oom;
        if (!(e->value = attr_proto(eng_node_attr_at(n, i), st))) {
            tsd_status_prefix(st, "node '%s': attr '%s'", eng_node_name(n),
                              eng_node_attr_name(n, i));
            protobuf_c_message_free_unpacked(&nd->base, NULL);
            return NULL;
        }
    }
    return nd;
oom:
    protobuf_c_message_free_unpacked(&nd->base, NULL);
    tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    return NULL;
}

tsd_code ldr_graph_export(const eng_graph *g, uint8_t **out, size_t *len, tsd_status *st)
{
    *out = NULL;
    *len = 0;
    size_t n = eng_graph_num_nodes(g);
    Tensorflow__GraphDef *gd = malloc(sizeof *gd);
    Tensorflow__VersionDef *ver = malloc(sizeof *ver);
    Tensorflow__NodeDef **nodes = calloc(n + 1, sizeof *nodes);
    if (!gd || !ver || !nodes) {
        free(gd);
        free(ver);
        free(nodes);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    tensorflow__graph_def__init(gd);
    tensorflow__version_def__init(ver);
    ver->producer = PRODUCER;
    gd->versions = ver;
    gd->node = nodes;
    tsd_code rc = TSD_OK;
    for (size_t i = 0; i < n; i++, gd->n_node++)
        if (!(nodes[i] = node_proto(eng_graph_node(g, i), st))) {
            rc = st->code;
            break;
        }
    if (!rc) {
        *len = tensorflow__graph_def__get_packed_size(gd);
        *out = malloc(*len ? *len : 1);
        if (*out)
            tensorflow__graph_def__pack(gd, *out);
        else
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    protobuf_c_message_free_unpacked(&gd->base, NULL);
    return rc;
}
