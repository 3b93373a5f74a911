/*
 * graph_import.c - GraphDef + FunctionDefLibrary -> eng_graph.
 *
 * Plain nodes are copied (inputs verbatim, attrs converted). Function calls
 * are inlined: a call node C to function F becomes
 *   C/<arg>   Identity of the call's data input for each input arg,
 *   C/<node>  each body node, with body references rewritten from the
 *             function form "node:out_arg:idx" to the flat "C/node:K",
 *   C         Identity / IdentityN of F's return values (NoOp if none),
 *             with control edges on F's control outputs,
 * so references to "C:i" and "^C" outside keep their meaning. Nested calls
 * recurse with a depth limit and a cycle check. Computing K needs each
 * op's output arg list: a small built-in table covers the multi-output ops
 * that occur in exported functions; the MetaGraphDef's stripped_op_list
 * covers the rest when present, and single-output ops have K = idx.
 */
#include "loader/model_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/core/framework/function.pb-c.h"

/* ---- output arg signatures of multi-output ops ---------------------------- */

/* How many tensors one output arg holds. */
typedef enum arg_kind { ARG_ONE, ARG_NUM, ARG_TYPES } arg_kind;

typedef struct out_arg {
    const char *name;
    arg_kind kind;
    const char *attr; /* ARG_NUM: int attr; ARG_TYPES: list(type) attr */
} out_arg;

#define MAX_OUT_ARGS 6

typedef struct op_outputs {
    const char *op;
    out_arg args[MAX_OUT_ARGS];
} op_outputs;

/* Ops with more than one output arg (as TensorFlow's op registry defines them), by name. */
static const op_outputs builtin_outputs[] = {
    {"BroadcastGradientArgs", {{"r0", ARG_ONE, 0}, {"r1", ARG_ONE, 0}}},
    {"DenseToDenseSetOperation",
     {{"result_indices", ARG_ONE, 0}, {"result_values", ARG_ONE, 0}, {"result_shape", ARG_ONE, 0}}},
    {"DenseToSparseSetOperation",
     {{"result_indices", ARG_ONE, 0}, {"result_values", ARG_ONE, 0}, {"result_shape", ARG_ONE, 0}}},
    {"DeserializeSparse",
     {{"sparse_indices", ARG_ONE, 0}, {"sparse_values", ARG_ONE, 0}, {"sparse_shape", ARG_ONE, 0}}},
    {"FusedBatchNorm",
     {{"y", ARG_ONE, 0},
      {"batch_mean", ARG_ONE, 0},
      {"batch_variance", ARG_ONE, 0},
      {"reserve_space_1", ARG_ONE, 0},
      {"reserve_space_2", ARG_ONE, 0}}},
    {"FusedBatchNormV2",
     {{"y", ARG_ONE, 0},
      {"batch_mean", ARG_ONE, 0},
      {"batch_variance", ARG_ONE, 0},
      {"reserve_space_1", ARG_ONE, 0},
      {"reserve_space_2", ARG_ONE, 0}}},
    {"FusedBatchNormV3",
     {{"y", ARG_ONE, 0},
      {"batch_mean", ARG_ONE, 0},
      {"batch_variance", ARG_ONE, 0},
      {"reserve_space_1", ARG_ONE, 0},
      {"reserve_space_2", ARG_ONE, 0},
      {"reserve_space_3", ARG_ONE, 0}}},
    {"ListDiff", {{"out", ARG_ONE, 0}, {"idx", ARG_ONE, 0}}},
    {"LookupTableExportV2", {{"keys", ARG_ONE, 0}, {"values", ARG_ONE, 0}}},
    {"MaxPoolWithArgmax", {{"output", ARG_ONE, 0}, {"argmax", ARG_ONE, 0}}},
    {"Merge", {{"output", ARG_ONE, 0}, {"value_index", ARG_ONE, 0}}},
    {"ParseExample",
     {{"sparse_indices", ARG_NUM, "Nsparse"},
      {"sparse_values", ARG_TYPES, "sparse_types"},
      {"sparse_shapes", ARG_NUM, "Nsparse"},
      {"dense_values", ARG_TYPES, "Tdense"}}},
    {"ParseExampleV2",
     {{"sparse_indices", ARG_NUM, "num_sparse"},
      {"sparse_values", ARG_TYPES, "sparse_types"},
      {"sparse_shapes", ARG_NUM, "num_sparse"},
      {"dense_values", ARG_TYPES, "Tdense"},
      {"ragged_values", ARG_TYPES, "ragged_value_types"},
      {"ragged_row_splits", ARG_TYPES, "ragged_split_types"}}},
    {"ParseSingleExample",
     {{"sparse_indices", ARG_NUM, "num_sparse"},
      {"sparse_values", ARG_TYPES, "sparse_types"},
      {"sparse_shapes", ARG_NUM, "num_sparse"},
      {"dense_values", ARG_TYPES, "Tdense"}}},
    {"RaggedTensorToSparse",
     {{"sparse_indices", ARG_ONE, 0},
      {"sparse_values", ARG_ONE, 0},
      {"sparse_dense_shape", ARG_ONE, 0}}},
    {"RefMerge", {{"output", ARG_ONE, 0}, {"value_index", ARG_ONE, 0}}},
    {"RefSwitch", {{"output_false", ARG_ONE, 0}, {"output_true", ARG_ONE, 0}}},
    {"SetDiff1D", {{"out", ARG_ONE, 0}, {"idx", ARG_ONE, 0}}},
    {"SparseAdd",
     {{"sum_indices", ARG_ONE, 0}, {"sum_values", ARG_ONE, 0}, {"sum_shape", ARG_ONE, 0}}},
    {"SparseCross",
     {{"output_indices", ARG_ONE, 0}, {"output_values", ARG_ONE, 0}, {"output_shape", ARG_ONE, 0}}},
    {"SparseCrossHashed",
     {{"output_indices", ARG_ONE, 0}, {"output_values", ARG_ONE, 0}, {"output_shape", ARG_ONE, 0}}},
    {"SparseCrossV2",
     {{"output_indices", ARG_ONE, 0}, {"output_values", ARG_ONE, 0}, {"output_shape", ARG_ONE, 0}}},
    {"SparseFillEmptyRows",
     {{"output_indices", ARG_ONE, 0},
      {"output_values", ARG_ONE, 0},
      {"empty_row_indicator", ARG_ONE, 0},
      {"reverse_index_map", ARG_ONE, 0}}},
    {"SparseReorder", {{"output_indices", ARG_ONE, 0}, {"output_values", ARG_ONE, 0}}},
    {"SparseReshape", {{"output_indices", ARG_ONE, 0}, {"output_shape", ARG_ONE, 0}}},
    {"SparseSlice",
     {{"output_indices", ARG_ONE, 0}, {"output_values", ARG_ONE, 0}, {"output_shape", ARG_ONE, 0}}},
    {"SparseSplit",
     {{"output_indices", ARG_NUM, "num_split"},
      {"output_values", ARG_NUM, "num_split"},
      {"output_shape", ARG_NUM, "num_split"}}},
    {"SparseToSparseSetOperation",
     {{"result_indices", ARG_ONE, 0}, {"result_values", ARG_ONE, 0}, {"result_shape", ARG_ONE, 0}}},
    {"Switch", {{"output_false", ARG_ONE, 0}, {"output_true", ARG_ONE, 0}}},
    {"TopK", {{"values", ARG_ONE, 0}, {"indices", ARG_ONE, 0}}},
    {"TopKV2", {{"values", ARG_ONE, 0}, {"indices", ARG_ONE, 0}}},
    {"Unique", {{"y", ARG_ONE, 0}, {"idx", ARG_ONE, 0}}},
    {"UniqueV2", {{"y", ARG_ONE, 0}, {"idx", ARG_ONE, 0}}},
    {"UniqueWithCounts", {{"y", ARG_ONE, 0}, {"idx", ARG_ONE, 0}, {"count", ARG_ONE, 0}}},
};

static const op_outputs *builtin_find(const char *op)
{
    size_t lo = 0, hi = sizeof builtin_outputs / sizeof builtin_outputs[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(op, builtin_outputs[mid].op);
        if (c == 0)
            return &builtin_outputs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- import context --------------------------------------------------------- */

typedef struct import_ctx {
    eng_graph *g;
    const Tensorflow__FunctionDefLibrary *lib;
    const Tensorflow__FunctionDef **funcs; /* sorted by signature name */
    size_t nfuncs;
    const Tensorflow__OpList *ops;
    const char *stack[LDR_MAX_CALL_DEPTH]; /* functions being inlined */
    int depth;
} import_ctx;

/* The attrs a function body may substitute for `placeholder` attrs: those
 * of the call's `f` (NameAttrList) or, for a direct call, of the node. */
typedef struct attr_scope {
    size_t n;
    Tensorflow__NameAttrList__AttrEntry *const *fentries;
    Tensorflow__NodeDef__AttrEntry *const *nentries;
} attr_scope;

static int cmp_func(const void *a, const void *b)
{
    const Tensorflow__FunctionDef *fa = *(const Tensorflow__FunctionDef *const *)a;
    const Tensorflow__FunctionDef *fb = *(const Tensorflow__FunctionDef *const *)b;
    return strcmp(fa->signature->name, fb->signature->name);
}

static const Tensorflow__FunctionDef *find_func(const import_ctx *c, const char *name)
{
    size_t lo = 0, hi = c->nfuncs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strcmp(name, c->funcs[mid]->signature->name);
        if (r == 0)
            return c->funcs[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static const Tensorflow__OpDef *find_opdef(const import_ctx *c, const char *op)
{
    if (!c->ops)
        return NULL;
    for (size_t i = 0; i < c->ops->n_op; i++)
        if (c->ops->op[i] && c->ops->op[i]->name && strcmp(c->ops->op[i]->name, op) == 0)
            return c->ops->op[i];
    return NULL;
}

static const Tensorflow__AttrValue *node_attr(const Tensorflow__NodeDef *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attr; i++)
        if (nd->attr[i]->key && strcmp(nd->attr[i]->key, name) == 0)
            return nd->attr[i]->value;
    return NULL;
}

static const Tensorflow__AttrValue *scope_attr(const attr_scope *sc, const char *name)
{
    for (size_t i = 0; sc && i < sc->n; i++) {
        const char *key = sc->fentries ? sc->fentries[i]->key : sc->nentries[i]->key;
        if (key && strcmp(key, name) == 0)
            return sc->fentries ? sc->fentries[i]->value : sc->nentries[i]->value;
    }
    return NULL;
}

/* An attr of a body node with placeholders resolved (NULL if absent). */
static const Tensorflow__AttrValue *resolved_attr(const Tensorflow__NodeDef *nd, const char *name,
                                                  const attr_scope *sc)
{
    const Tensorflow__AttrValue *v = node_attr(nd, name);
    if (v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER)
        v = scope_attr(sc, v->placeholder);
    return v;
}

/* If nd calls a library function, return it (and the attrs it gets). */
static const Tensorflow__FunctionDef *call_target(const import_ctx *c,
                                                  const Tensorflow__NodeDef *nd,
                                                  const attr_scope *sc, attr_scope *fattrs)
{
    if (strcmp(nd->op, "StatefulPartitionedCall") == 0 || strcmp(nd->op, "PartitionedCall") == 0) {
        const Tensorflow__AttrValue *f = resolved_attr(nd, "f", sc);
        if (!f || f->value_case != TENSORFLOW__ATTR_VALUE__VALUE_FUNC || !f->func->name)
            return NULL;
        fattrs->n = f->func->n_attr;
        fattrs->fentries = f->func->attr;
        fattrs->nentries = NULL;
        return find_func(c, f->func->name);
    }
    const Tensorflow__FunctionDef *fd = find_func(c, nd->op);
    if (fd) {
        /* A direct call: the node's own attrs instantiate the function. */
        fattrs->n = nd->n_attr;
        fattrs->fentries = NULL;
        fattrs->nentries = nd->attr;
    }
    return fd;
}

/* ---- node creation ---------------------------------------------------------- */

/* Add a node with inputs and the NodeDef's attrs (placeholders via sc). */
static tsd_code add_node(import_ctx *c, const char *name, const Tensorflow__NodeDef *nd,
                         const char *const *inputs, int ninputs, const attr_scope *sc,
                         tsd_status *st)
{
    if (eng_graph_num_nodes(c->g) >= LDR_MAX_GRAPH_NODES)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "node '%s': graph exceeds %d nodes", name,
                       LDR_MAX_GRAPH_NODES);
    eng_node *n;
    if (eng_graph_add_node(c->g, name, nd->op, inputs, ninputs, &n, st) != TSD_OK)
        return st->code;
    for (size_t i = 0; i < nd->n_attr; i++) {
        const char *key = nd->attr[i]->key;
        const Tensorflow__AttrValue *v = nd->attr[i]->value;
        if (!key || !v)
            continue;
        if (v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER) {
            v = scope_attr(sc, v->placeholder);
            if (!v) /* unresolved: leave it to the op's default */
                continue;
        }
        eng_attr a;
        tsd_code rc = ldr__attr_from_proto(v, find_opdef(c, nd->op), key, &a, st);
        if (rc == TSD_OK)
            rc = eng_node_set_attr(c->g, n, key, &a, st);
        ldr__attr_release(&a);
        if (rc != TSD_OK)
            return tsd_status_prefix(st, "node '%s': attr '%s'", name, key);
    }
    return TSD_OK;
}

/* Add a synthetic node (Identity / IdentityN / NoOp) with a type attr. */
static tsd_code add_synthetic(import_ctx *c, const char *name, const char *op,
                              const char *const *inputs, int ninputs, const eng_dtype *types,
                              size_t ntypes, int list, tsd_status *st)
{
    eng_node *n;
    if (eng_graph_num_nodes(c->g) >= LDR_MAX_GRAPH_NODES)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "node '%s': graph exceeds %d nodes", name,
                       LDR_MAX_GRAPH_NODES);
    if (eng_graph_add_node(c->g, name, op, inputs, ninputs, &n, st) != TSD_OK)
        return st->code;
    if (!types)
        return TSD_OK;
    eng_attr a;
    memset(&a, 0, sizeof a);
    if (list) {
        a.kind = ENG_ATTR_LIST_TYPE;
        a.n = ntypes;
        a.types = (eng_dtype *)types;
    } else {
        a.kind = ENG_ATTR_TYPE;
        a.type = types[0];
    }
    return eng_node_set_attr(c->g, n, "T", &a, st);
}

/* ---- inlining ------------------------------------------------------------------ */

/* A growable list of malloc'ed strings. */
typedef struct strlist {
    char **v;
    int n, cap;
} strlist;

static int sl_push(strlist *l, char *s)
{
    if (!s)
        return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(s);
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

static void sl_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

/* A function being instantiated. */
typedef struct inst {
    const Tensorflow__FunctionDef *fd;
    const char *fname;
    char *prefix;         /* "<call>/" */
    const attr_scope *sc; /* attrs of the instantiation */
} inst;

static const Tensorflow__NodeDef *body_node(const inst *in, const char *name, size_t len)
{
    for (size_t i = 0; i < in->fd->n_node_def; i++) {
        const char *nm = in->fd->node_def[i]->name;
        if (nm && strlen(nm) == len && strncmp(nm, name, len) == 0)
            return in->fd->node_def[i];
    }
    return NULL;
}

/* Number of tensors of one output arg of body node nd; -1 if not known. */
static long arg_width(const Tensorflow__NodeDef *nd, arg_kind kind, const char *attr,
                      const attr_scope *sc)
{
    if (kind == ARG_ONE)
        return 1;
    const Tensorflow__AttrValue *v = resolved_attr(nd, attr, sc);
    if (!v)
        return -1;
    if (kind == ARG_NUM)
        return v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_I && v->i >= 0 ? (long)v->i : -1;
    if (v->value_case != TENSORFLOW__ATTR_VALUE__VALUE_LIST)
        return -1;
    return (long)v->list->n_type;
}

/* Flat index of output `arg`[idx] of body node nd. */
static tsd_code flat_index(const import_ctx *c, const inst *in, const Tensorflow__NodeDef *nd,
                           const char *arg, size_t arglen, long idx, long *out, tsd_status *st)
{
    attr_scope fattrs;
    const Tensorflow__FunctionDef *callee = call_target(c, nd, in->sc, &fattrs);
    if (callee && strcmp(nd->op, callee->signature->name) == 0) {
        /* Direct call: output args of the callee, one tensor each. */
        for (size_t i = 0; i < callee->signature->n_output_arg; i++) {
            const char *an = callee->signature->output_arg[i]->name;
            if (strlen(an) == arglen && strncmp(an, arg, arglen) == 0) {
                *out = (long)i + idx;
                return TSD_OK;
            }
        }
        return tsd_err(st, TSD_INVALID_ARGUMENT, "function '%s' has no output '%.*s'",
                       callee->signature->name, (int)arglen, arg);
    }
    long base = 0;
    const op_outputs *bo = builtin_find(nd->op);
    if (bo) {
        for (int i = 0; i < MAX_OUT_ARGS && bo->args[i].name; i++) {
            if (strlen(bo->args[i].name) == arglen && strncmp(bo->args[i].name, arg, arglen) == 0) {
                *out = base + idx;
                return TSD_OK;
            }
            long w = arg_width(nd, bo->args[i].kind, bo->args[i].attr, in->sc);
            if (w < 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "cannot size output '%s' of op %s: attr '%s' missing",
                               bo->args[i].name, nd->op, bo->args[i].attr);
            base += w;
        }
        return tsd_err(st, TSD_INVALID_ARGUMENT, "op %s has no output '%.*s'", nd->op, (int)arglen,
                       arg);
    }
    const Tensorflow__OpDef *od = find_opdef(c, nd->op);
    if (od && od->n_output_arg > 1) {
        for (size_t i = 0; i < od->n_output_arg; i++) {
            const Tensorflow__OpDef__ArgDef *ad = od->output_arg[i];
            if (strlen(ad->name) == arglen && strncmp(ad->name, arg, arglen) == 0) {
                *out = base + idx;
                return TSD_OK;
            }
            long w = 1;
            if (ad->number_attr && *ad->number_attr)
                w = arg_width(nd, ARG_NUM, ad->number_attr, in->sc);
            else if (ad->type_list_attr && *ad->type_list_attr)
                w = arg_width(nd, ARG_TYPES, ad->type_list_attr, in->sc);
            if (w < 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "cannot size output '%s' of op %s",
                               ad->name, nd->op);
            base += w;
        }
        return tsd_err(st, TSD_INVALID_ARGUMENT, "op %s has no output '%.*s'", nd->op, (int)arglen,
                       arg);
    }
    *out = idx; /* a single output arg (possibly a list) */
    return TSD_OK;
}

/* Rewrite one body reference into the engine form under the prefix. */
static tsd_code rewrite_ref(const import_ctx *c, const inst *in, const char *ref, char **out,
                            tsd_status *st)
{
    *out = NULL;
    if (ref[0] == '^') {
        *out = str_printf("^%s%s", in->prefix, ref + 1);
    } else {
        const char *c1 = strchr(ref, ':');
        const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c1) { /* an input arg, or output 0 of a node */
            *out = str_printf("%s%s", in->prefix, ref);
        } else if (!c2) { /* "node:K" (already flat) */
            *out = str_printf("%s%s", in->prefix, ref);
        } else {
            char *end;
            long idx = strtol(c2 + 1, &end, 10);
            if (*end != '\0' || idx < 0 || end == c2 + 1)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "malformed input '%s'", ref);
            const Tensorflow__NodeDef *src = body_node(in, ref, (size_t)(c1 - ref));
            if (!src)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "input '%s' names no node", ref);
            long k = 0;
            if (flat_index(c, in, src, c1 + 1, (size_t)(c2 - c1 - 1), idx, &k, st) != TSD_OK)
                return tsd_status_prefix(st, "input '%s'", ref);
            *out = str_printf("%s%.*s:%ld", in->prefix, (int)(c1 - ref), ref, k);
        }
    }
    if (!*out)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    return TSD_OK;
}

/* dtype of a function arg under the instantiation attrs (INVALID if unknown). */
static eng_dtype arg_dtype(const Tensorflow__OpDef__ArgDef *ad, const attr_scope *sc)
{
    if (ad->type != TENSORFLOW__DATA_TYPE__DT_INVALID)
        return (eng_dtype)ad->type;
    if (ad->type_attr && *ad->type_attr) {
        const Tensorflow__AttrValue *v = scope_attr(sc, ad->type_attr);
        if (v && v->value_case == TENSORFLOW__ATTR_VALUE__VALUE_TYPE)
            return (eng_dtype)v->type;
    }
    return ENG_DT_INVALID;
}

static tsd_code inline_call(import_ctx *c, const char *call, const Tensorflow__FunctionDef *fd,
                            const attr_scope *fattrs, char *const *data, int ndata,
                            char *const *ctrl, int nctrl, tsd_status *st);

/* Add one NodeDef under `in` (NULL = top level), inlining calls. */
static tsd_code import_node(import_ctx *c, const inst *in, const Tensorflow__NodeDef *nd,
                            const char *const *extra_ctrl, int nextra, tsd_status *st)
{
    if (!nd->name || !*nd->name || !nd->op || !*nd->op)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "a node has no name or op");
    char *full = in ? str_printf("%s%s", in->prefix, nd->name) : strdup(nd->name);
    if (!full)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    strlist data = {0}, ctrl = {0};
    tsd_code rc = TSD_OK;
    for (size_t i = 0; rc == TSD_OK && i < nd->n_input; i++) {
        char *r = NULL;
        if (!in)
            r = strdup(nd->input[i]);
        else if (rewrite_ref(c, in, nd->input[i], &r, st) != TSD_OK)
            rc = tsd_status_prefix(st, "node '%s'", full);
        if (rc == TSD_OK && sl_push(r[0] == '^' ? &ctrl : &data, r) != 0)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    /* The enclosing call's control inputs gate source nodes of the body. */
    int source = data.n == 0 && ctrl.n == 0;
    for (int i = 0; rc == TSD_OK && source && i < nextra; i++)
        if (sl_push(&ctrl, strdup(extra_ctrl[i])) != 0)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    attr_scope fattrs = {0, NULL, NULL};
    const Tensorflow__FunctionDef *callee =
        rc == TSD_OK ? call_target(c, nd, in ? in->sc : NULL, &fattrs) : NULL;
    if (rc == TSD_OK && callee) {
        rc = inline_call(c, full, callee, &fattrs, data.v, data.n, ctrl.v, ctrl.n, st);
    } else if (rc == TSD_OK) {
        strlist all = {0};
        for (int i = 0; rc == TSD_OK && i < data.n + ctrl.n; i++)
            if (sl_push(&all, strdup(i < data.n ? data.v[i] : ctrl.v[i - data.n])) != 0)
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        if (rc == TSD_OK)
            rc = add_node(c, full, nd, (const char *const *)all.v, all.n, in ? in->sc : NULL, st);
        sl_free(&all);
    }
    sl_free(&data);
    sl_free(&ctrl);
    free(full);
    return rc;
}

static tsd_code inline_body(import_ctx *c, const inst *in, const char *call, char *const *data,
                            int ndata, char *const *ctrl, int nctrl, tsd_status *st)
{
    const Tensorflow__OpDef *sig = in->fd->signature;
    if ((size_t)ndata != sig->n_input_arg)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "node '%s': function '%s' takes %zu inputs but the call has %d", call,
                       in->fname, sig->n_input_arg, ndata);
    /* Arguments: Identity "<call>/<arg>" of the call's data input. */
    for (size_t i = 0; i < sig->n_input_arg; i++) {
        const Tensorflow__OpDef__ArgDef *ad = sig->input_arg[i];
        char *name = str_printf("%s%s", in->prefix, ad->name);
        strlist ins = {0};
        int bad = !name || sl_push(&ins, strdup(data[i])) != 0;
        for (int j = 0; !bad && j < nctrl; j++)
            bad = sl_push(&ins, strdup(ctrl[j])) != 0;
        tsd_code rc;
        eng_dtype dt = arg_dtype(ad, in->sc);
        if (bad)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        else
            rc = add_synthetic(c, name, "Identity", (const char *const *)ins.v, ins.n,
                               dt != ENG_DT_INVALID ? &dt : NULL, 1, 0, st);
        sl_free(&ins);
        free(name);
        if (rc != TSD_OK)
            return rc;
    }
    for (size_t i = 0; i < in->fd->n_node_def; i++)
        if (import_node(c, in, in->fd->node_def[i], (const char *const *)ctrl, nctrl, st) != TSD_OK)
            return st->code;
    /* The call node: Identity/IdentityN of the return values. */
    strlist ins = {0};
    size_t nout = sig->n_output_arg;
    eng_dtype *types = calloc(nout ? nout : 1, sizeof *types);
    tsd_code rc = types ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; rc == TSD_OK && i < nout; i++) {
        const Tensorflow__OpDef__ArgDef *ad = sig->output_arg[i];
        const char *ret = NULL;
        for (size_t j = 0; j < in->fd->n_ret; j++)
            if (strcmp(in->fd->ret[j]->key, ad->name) == 0)
                ret = in->fd->ret[j]->value;
        if (!ret) {
            rc = tsd_err(st, TSD_INVALID_ARGUMENT, "function '%s': output '%s' has no ret",
                         in->fname, ad->name);
            break;
        }
        char *r;
        if (rewrite_ref(c, in, ret, &r, st) != TSD_OK)
            rc = tsd_status_prefix(st, "function '%s': ret '%s'", in->fname, ad->name);
        else if (sl_push(&ins, r) != 0)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        types[i] = arg_dtype(ad, in->sc);
    }
    for (size_t j = 0; rc == TSD_OK && j < in->fd->n_control_ret; j++)
        if (sl_push(&ins, str_printf("^%s%s", in->prefix, in->fd->control_ret[j]->value)) != 0)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    if (rc == TSD_OK && nout == 0) {
        for (int j = 0; rc == TSD_OK && j < nctrl; j++)
            if (sl_push(&ins, strdup(ctrl[j])) != 0)
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        if (rc == TSD_OK)
            rc = add_synthetic(c, call, "NoOp", (const char *const *)ins.v, ins.n, NULL, 0, 0, st);
    } else if (rc == TSD_OK) {
        int known = 1;
        for (size_t i = 0; i < nout; i++)
            known &= types[i] != ENG_DT_INVALID;
        rc =
            add_synthetic(c, call, nout == 1 ? "Identity" : "IdentityN", (const char *const *)ins.v,
                          ins.n, known ? types : NULL, nout, nout != 1, st);
    }
    free(types);
    sl_free(&ins);
    return rc;
}

static tsd_code inline_call(import_ctx *c, const char *call, const Tensorflow__FunctionDef *fd,
                            const attr_scope *fattrs, char *const *data, int ndata,
                            char *const *ctrl, int nctrl, tsd_status *st)
{
    const char *fname = fd->signature->name;
    if (c->depth >= LDR_MAX_CALL_DEPTH)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "node '%s': function calls nested deeper than %d",
                       call, LDR_MAX_CALL_DEPTH);
    for (int i = 0; i < c->depth; i++)
        if (strcmp(c->stack[i], fname) == 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "node '%s': function '%s' calls itself", call,
                           fname);
    inst in = {fd, fname, str_printf("%s/", call), fattrs};
    if (!in.prefix)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    c->stack[c->depth++] = fname;
    tsd_code rc = inline_body(c, &in, call, data, ndata, ctrl, nctrl, st);
    c->depth--;
    free(in.prefix);
    return rc;
}

tsd_code ldr__graph_import(const Tensorflow__GraphDef *gd, const Tensorflow__OpList *op_list,
                           eng_graph **out, tsd_status *st)
{
    tsd_status local = TSD_STATUS_INIT;
    if (!st) /* the helpers read st->code */
        st = &local;
    *out = NULL;
    import_ctx c;
    memset(&c, 0, sizeof c);
    c.ops = op_list;
    c.lib = gd->library;
    if (c.lib && c.lib->n_function > 0) {
        c.funcs = calloc(c.lib->n_function, sizeof *c.funcs);
        if (!c.funcs)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t i = 0; i < c.lib->n_function; i++) {
            const Tensorflow__FunctionDef *fd = c.lib->function[i];
            if (!fd->signature || !fd->signature->name || !*fd->signature->name) {
                free(c.funcs);
                return tsd_err(st, TSD_INVALID_ARGUMENT, "library function %zu has no name", i);
            }
            c.funcs[c.nfuncs++] = fd;
        }
        qsort(c.funcs, c.nfuncs, sizeof *c.funcs, cmp_func);
    }
    c.g = eng_graph_new();
    if (!c.g) {
        free(c.funcs);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    tsd_code rc = TSD_OK;
    for (size_t i = 0; rc == TSD_OK && i < gd->n_node; i++)
        rc = import_node(&c, NULL, gd->node[i], NULL, 0, st);
    free(c.funcs);
    if (rc != TSD_OK) {
        eng_graph_free(c.g);
        return rc;
    }
    *out = c.g;
    return TSD_OK;
}
