/*
 * graphdef_builder.h - build GraphDef / FunctionDef protobuf-c messages by
 * hand for loader tests. Everything is malloc'ed so that
 * tensorflow__graph_def__free_unpacked(g, NULL) releases it. Header-only.
 */
#ifndef TSD_TESTS_GRAPHDEF_BUILDER_H
#define TSD_TESTS_GRAPHDEF_BUILDER_H

#include <stdlib.h>
#include <string.h>

#include "tensorflow/core/framework/function.pb-c.h"
#include "tensorflow/core/framework/graph.pb-c.h"

/* Append p to a protobuf-c repeated pointer field. */
#define GB_PUSH(arr, n, p)                                                                         \
    do {                                                                                           \
        (arr) = realloc((arr), ((n) + 1) * sizeof *(arr));                                         \
        (arr)[(n)++] = (p);                                                                        \
    } while (0)

static inline Tensorflow__GraphDef *gb_graph(void)
{
    Tensorflow__GraphDef *g = malloc(sizeof *g);
    tensorflow__graph_def__init(g);
    return g;
}

/* A node; inputs separated by ',' (may be NULL or ""). */
static inline Tensorflow__NodeDef *gb_node(const char *name, const char *op, const char *inputs)
{
    Tensorflow__NodeDef *n = malloc(sizeof *n);
    tensorflow__node_def__init(n);
    n->name = strdup(name);
    n->op = strdup(op);
    if (inputs && *inputs) {
        char *copy = strdup(inputs), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            GB_PUSH(n->input, n->n_input, strdup(t));
        free(copy);
    }
    return n;
}

static inline Tensorflow__NodeDef *gb_add(Tensorflow__GraphDef *g, Tensorflow__NodeDef *n)
{
    GB_PUSH(g->node, g->n_node, n);
    return n;
}

static inline void gb_attr(Tensorflow__NodeDef *n, const char *key, Tensorflow__AttrValue *v)
{
    Tensorflow__NodeDef__AttrEntry *e = malloc(sizeof *e);
    tensorflow__node_def__attr_entry__init(e);
    e->key = strdup(key);
    e->value = v;
    GB_PUSH(n->attr, n->n_attr, e);
}

static inline Tensorflow__AttrValue *gb_av(void)
{
    Tensorflow__AttrValue *v = malloc(sizeof *v);
    tensorflow__attr_value__init(v);
    return v;
}

static inline Tensorflow__AttrValue *gb_av_type(int t)
{
    Tensorflow__AttrValue *v = gb_av();
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
    v->type = (Tensorflow__DataType)t;
    return v;
}

static inline Tensorflow__AttrValue *gb_av_int(int64_t i)
{
    Tensorflow__AttrValue *v = gb_av();
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I;
    v->i = i;
    return v;
}

static inline Tensorflow__AttrValue *gb_av_placeholder(const char *p)
{
    Tensorflow__AttrValue *v = gb_av();
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER;
    v->placeholder = strdup(p);
    return v;
}

static inline Tensorflow__AttrValue *gb_av_func(const char *name)
{
    Tensorflow__AttrValue *v = gb_av();
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_FUNC;
    v->func = malloc(sizeof *v->func);
    tensorflow__name_attr_list__init(v->func);
    v->func->name = strdup(name);
    return v;
}

static inline void gb_func_attr(Tensorflow__AttrValue *f, const char *key, Tensorflow__AttrValue *v)
{
    Tensorflow__NameAttrList__AttrEntry *e = malloc(sizeof *e);
    tensorflow__name_attr_list__attr_entry__init(e);
    e->key = strdup(key);
    e->value = v;
    GB_PUSH(f->func->attr, f->func->n_attr, e);
}

static inline Tensorflow__AttrValue *gb_av_list(void)
{
    Tensorflow__AttrValue *v = gb_av();
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST;
    v->list = malloc(sizeof *v->list);
    tensorflow__attr_value__list_value__init(v->list);
    return v;
}

static inline Tensorflow__AttrValue *gb_av_types(int n, const int *types)
{
    Tensorflow__AttrValue *v = gb_av_list();
    v->list->type = malloc(((size_t)n + 1) * sizeof *v->list->type);
    for (int i = 0; i < n; i++)
        v->list->type[i] = (Tensorflow__DataType)types[i];
    v->list->n_type = (size_t)n;
    return v;
}

/* A scalar float tensor attr. */
static inline Tensorflow__AttrValue *gb_av_float_tensor(float x)
{
    Tensorflow__AttrValue *v = gb_av();
    v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
    v->tensor = malloc(sizeof *v->tensor);
    tensorflow__tensor_proto__init(v->tensor);
    v->tensor->dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    v->tensor->tensor_shape = malloc(sizeof *v->tensor->tensor_shape);
    tensorflow__tensor_shape_proto__init(v->tensor->tensor_shape);
    v->tensor->float_val = malloc(sizeof(float));
    v->tensor->float_val[0] = x;
    v->tensor->n_float_val = 1;
    return v;
}

static inline Tensorflow__OpDef__ArgDef *gb_arg(const char *name, int dtype)
{
    Tensorflow__OpDef__ArgDef *a = malloc(sizeof *a);
    tensorflow__op_def__arg_def__init(a);
    a->name = strdup(name);
    a->type = (Tensorflow__DataType)dtype;
    return a;
}

/* A function with float args; in/out names separated by ','. */
static inline Tensorflow__FunctionDef *gb_func(Tensorflow__GraphDef *g, const char *name,
                                               const char *ins, const char *outs)
{
    if (!g->library) {
        g->library = malloc(sizeof *g->library);
        tensorflow__function_def_library__init(g->library);
    }
    Tensorflow__FunctionDef *f = malloc(sizeof *f);
    tensorflow__function_def__init(f);
    f->signature = malloc(sizeof *f->signature);
    tensorflow__op_def__init(f->signature);
    f->signature->name = strdup(name);
    const char *lists[2] = {ins, outs};
    for (int k = 0; k < 2; k++) {
        if (!lists[k] || !*lists[k])
            continue;
        char *copy = strdup(lists[k]), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (k == 0)
                GB_PUSH(f->signature->input_arg, f->signature->n_input_arg, gb_arg(t, 1));
            else
                GB_PUSH(f->signature->output_arg, f->signature->n_output_arg, gb_arg(t, 1));
        }
        free(copy);
    }
    GB_PUSH(g->library->function, g->library->n_function, f);
    return f;
}

static inline Tensorflow__NodeDef *gb_fnode(Tensorflow__FunctionDef *f, Tensorflow__NodeDef *n)
{
    GB_PUSH(f->node_def, f->n_node_def, n);
    return n;
}

static inline void gb_ret(Tensorflow__FunctionDef *f, const char *key, const char *val)
{
    Tensorflow__FunctionDef__RetEntry *e = malloc(sizeof *e);
    tensorflow__function_def__ret_entry__init(e);
    e->key = strdup(key);
    e->value = strdup(val);
    GB_PUSH(f->ret, f->n_ret, e);
}

static inline void gb_control_ret(Tensorflow__FunctionDef *f, const char *key, const char *val)
{
    Tensorflow__FunctionDef__ControlRetEntry *e = malloc(sizeof *e);
    tensorflow__function_def__control_ret_entry__init(e);
    e->key = strdup(key);
    e->value = strdup(val);
    GB_PUSH(f->control_ret, f->n_control_ret, e);
}

#endif
