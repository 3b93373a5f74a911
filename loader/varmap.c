/*
 * varmap.c - which checkpoint key (and slice) restores which graph variable.
 *
 * Instead of guessing from names, this interprets the saver's restore
 * subgraph the way running it would: starting at saver_def.restore_op_name
 * it walks all inputs backwards; every Assign / AssignVariableOp reached
 * takes its value (through Identity) from output i of a RestoreV2 node,
 * whose tensor_names / shape_and_slices Const inputs give key i and slice i,
 * and its variable (through Identity) from a VariableV2 / VarHandleOp node.
 * Calls (StatefulPartitionedCall, PartitionedCall) reached on the way are
 * followed into their library function (the TF2 __inference__traced_restore
 * function), where a variable input is a function argument that maps to the
 * call node's input in the calling graph.
 */
#include <stdlib.h>
#include <string.h>

#include "loader/savedmodel_int.h"

/* Deepest nesting of function calls followed, and longest Identity chain. */
#define VM_MAX_CALL_DEPTH 8
#define VM_MAX_CHAIN 64
/* Most function-body nodes interpreted in total (guards against call fan-out). */
#define VM_MAX_WORK ((size_t)1 << 22)

/* A node list (main graph or function body) with a name index. */
typedef struct vm_graph {
    const char *what; /* "graph" or the function name, for messages */
    Tensorflow__NodeDef **nodes;
    size_t n;
    size_t *slots; /* open addressing: node index + 1, 0 = empty */
    size_t cap;
    /* function bodies only */
    int is_func;
    Tensorflow__OpDef__ArgDef **args;
    size_t nargs;
} vm_graph;

/* Where a graph's function arguments come from: the call node in the parent. */
typedef struct vm_ctx {
    const vm_graph *g;
    const struct vm_ctx *parent;
    const Tensorflow__NodeDef *call; /* NULL for the main graph */
    int depth;
} vm_ctx;

/* A parsed input reference. */
typedef struct vm_ref {
    const char *name; /* not NUL-terminated: name[0..len) */
    size_t len;
    long index;
    int arg; /* >= 0: function argument index */
} vm_ref;

typedef struct vm_state {
    const Tensorflow__FunctionDef **funcs; /* library functions sorted by name */
    size_t nfuncs;
    ldr_var_binding *out;
    size_t n, cap;
    size_t work; /* function-body nodes interpreted so far */
} vm_state;

/* ---- graph index -------------------------------------------------------- */

static uint64_t vm_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static tsd_code vm_graph_init(vm_graph *g, const char *what, Tensorflow__NodeDef **nodes, size_t n,
                              tsd_status *st)
{
    memset(g, 0, sizeof *g);
    g->what = what;
    g->nodes = nodes;
    g->n = n;
    g->cap = 16;
    while (g->cap < 2 * n)
        g->cap *= 2;
    g->slots = calloc(g->cap, sizeof *g->slots);
    if (!g->slots)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory indexing %zu nodes", what, n);
    for (size_t i = 0; i < n; i++) {
        if (!nodes[i] || !nodes[i]->name)
            continue;
        size_t len = strlen(nodes[i]->name);
        size_t s = (size_t)vm_hash(nodes[i]->name, len) & (g->cap - 1);
        int dup = 0;
        while (g->slots[s] && !dup) {
            dup = strcmp(nodes[g->slots[s] - 1]->name, nodes[i]->name) == 0;
            s = (s + 1) & (g->cap - 1);
        }
        if (!dup)
            g->slots[s] = i + 1; /* the first of duplicate names wins */
    }
    return TSD_OK;
}

static void vm_graph_fini(vm_graph *g)
{
    free(g->slots);
}

static const Tensorflow__NodeDef *vm_find(const vm_graph *g, const char *name, size_t len,
                                          size_t *idx)
{
    size_t s = (size_t)vm_hash(name, len) & (g->cap - 1);
    while (g->slots[s]) {
        const Tensorflow__NodeDef *nd = g->nodes[g->slots[s] - 1];
        if (strncmp(nd->name, name, len) == 0 && nd->name[len] == '\0') {
            if (idx)
                *idx = g->slots[s] - 1;
            return nd;
        }
        s = (s + 1) & (g->cap - 1);
    }
    return NULL;
}

/* ---- references ------------------------------------------------------------ */

/* Parse a decimal output index; -1 if malformed. */
static long vm_parse_index(const char *s)
{
    if (!*s)
        return -1;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 1000000)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/*
 * Parse a data input: main graph "node" / "node:i"; function body
 * "node:out_arg:i" / "node:out_arg" or a bare argument name. The output
 * index within a named output arg is used as is (the ops interpreted here,
 * RestoreV2 and Identity, have a single output arg).
 */
static tsd_code vm_parse_ref(const vm_graph *g, const char *in, vm_ref *r, tsd_status *st)
{
    memset(r, 0, sizeof *r);
    r->arg = -1;
    const char *c1 = strchr(in, ':');
    if (!c1) {
        r->name = in;
        r->len = strlen(in);
        if (g->is_func) {
            for (size_t i = 0; i < g->nargs; i++) {
                if (g->args[i] && g->args[i]->name && strcmp(g->args[i]->name, in) == 0) {
                    r->arg = (int)i;
                    return TSD_OK;
                }
            }
        }
        return TSD_OK;
    }
    r->name = in;
    r->len = (size_t)(c1 - in);
    const char *idx = c1 + 1;
    if (g->is_func) {
        const char *c2 = strchr(idx, ':');
        idx = c2 ? c2 + 1 : NULL;
    }
    r->index = idx ? vm_parse_index(idx) : 0;
    if (r->index < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "malformed input reference '%s'", in);
    return TSD_OK;
}

/* The i-th data (non-control) input of a node, or NULL. */
static const char *vm_data_input(const Tensorflow__NodeDef *nd, size_t i)
{
    size_t k = 0;
    for (size_t j = 0; j < nd->n_input; j++) {
        const char *in = nd->input[j];
        if (!in || in[0] == '^')
            continue;
        if (k++ == i)
            return in;
    }
    return NULL;
}

/* Resolve a reference through Identity / IdentityN to its producer (or an argument). */
static tsd_code vm_resolve(const vm_graph *g, const char *in, vm_ref *r,
                           const Tensorflow__NodeDef **prod, tsd_status *st)
{
    *prod = NULL;
    for (int hop = 0; hop < VM_MAX_CHAIN; hop++) {
        if (vm_parse_ref(g, in, r, st) != TSD_OK)
            return st ? st->code : TSD_INVALID_ARGUMENT;
        if (r->arg >= 0)
            return TSD_OK;
        const Tensorflow__NodeDef *nd = vm_find(g, r->name, r->len, NULL);
        if (!nd)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "input '%s' names no node", in);
        const char *op = nd->op ? nd->op : "";
        const char *next = NULL;
        if (strcmp(op, "Identity") == 0 && r->index == 0)
            next = vm_data_input(nd, 0);
        else if (strcmp(op, "IdentityN") == 0)
            next = vm_data_input(nd, (size_t)r->index);
        if (!next) {
            *prod = nd;
            return TSD_OK;
        }
        in = next;
    }
    return tsd_err(st, TSD_INVALID_ARGUMENT, "input '%s': Identity chain longer than %d", in,
                   VM_MAX_CHAIN);
}

static const Tensorflow__AttrValue *vm_attr(const Tensorflow__NodeDef *nd, const char *key)
{
    for (size_t i = 0; i < nd->n_attr; i++)
        if (nd->attr[i] && nd->attr[i]->key && strcmp(nd->attr[i]->key, key) == 0)
            return nd->attr[i]->value;
    return NULL;
}

/* ---- string constants ----------------------------------------------------------- */

/* A 1-D string Const as TensorFlow stores it (fewer values repeat the last one). */
typedef struct vm_strs {
    const ProtobufCBinaryData *vals;
    size_t nvals;
    int64_t count;
    const char *node;
} vm_strs;

static tsd_code vm_const_strings(const vm_graph *g, const char *in, vm_strs *out, tsd_status *st)
{
    vm_ref r;
    const Tensorflow__NodeDef *nd;
    if (vm_resolve(g, in, &r, &nd, st) != TSD_OK)
        return st ? st->code : TSD_INVALID_ARGUMENT;
    if (!nd)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "'%s' is a function argument, not a Const", in);
    out->node = nd->name;
    const Tensorflow__AttrValue *v = vm_attr(nd, "value");
    if (strcmp(nd->op ? nd->op : "", "Const") != 0 || !v ||
        v->value_case != TENSORFLOW__ATTR_VALUE__VALUE_TENSOR || !v->tensor)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "node '%s' (op %s) is not a Const tensor",
                       nd->name, nd->op ? nd->op : "");
    const Tensorflow__TensorProto *t = v->tensor;
    if (t->dtype != TENSORFLOW__DATA_TYPE__DT_STRING)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Const '%s': dtype %d is not DT_STRING", nd->name,
                       (int)t->dtype);
    int64_t count = 1;
    if (t->tensor_shape) {
        if (t->tensor_shape->n_dim > 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Const '%s': rank %zu, expected 1", nd->name,
                           t->tensor_shape->n_dim);
        if (t->tensor_shape->n_dim == 1)
            count = t->tensor_shape->dim[0] ? t->tensor_shape->dim[0]->size : -1;
    }
    if (count < 0 || (size_t)count < t->n_string_val)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Const '%s': shape holds %lld elements but %zu values are stored", nd->name,
                       (long long)count, t->n_string_val);
    out->vals = t->string_val;
    out->nvals = t->n_string_val;
    out->count = count;
    return TSD_OK;
}

/* Element i as a new NUL-terminated string (NULL: embedded NUL or no memory). */
static char *vm_strs_get(const vm_strs *s, int64_t i, tsd_status *st)
{
    const uint8_t *p = (const uint8_t *)"";
    size_t len = 0;
    if (s->nvals > 0) {
        const ProtobufCBinaryData *b = &s->vals[(size_t)i < s->nvals ? (size_t)i : s->nvals - 1];
        p = b->data;
        len = b->len;
    }
    if (len && memchr(p, 0, len)) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "Const '%s' element %lld contains a NUL byte", s->node,
                (long long)i);
        return NULL;
    }
    char *d = malloc(len + 1);
    if (!d) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    if (len)
        memcpy(d, p, len);
    d[len] = '\0';
    return d;
}

/* ---- bindings ------------------------------------------------------------------------ */

static int vm_is_variable_op(const char *op)
{
    return strcmp(op, "VariableV2") == 0 || strcmp(op, "VarHandleOp") == 0 ||
           strcmp(op, "Variable") == 0;
}

/* Find the variable node an input of a (possibly nested) function graph denotes. */
static tsd_code vm_var_node(const vm_ctx *ctx, const char *in, const Tensorflow__NodeDef **var,
                            tsd_status *st)
{
    vm_ref r;
    const Tensorflow__NodeDef *nd;
    for (;;) {
        if (vm_resolve(ctx->g, in, &r, &nd, st) != TSD_OK)
            return st ? st->code : TSD_INVALID_ARGUMENT;
        if (nd)
            break;
        /* a function argument: continue with the call's input in the caller */
        const char *outer = ctx->call ? vm_data_input(ctx->call, (size_t)r.arg) : NULL;
        if (!outer || !ctx->parent)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "argument %d of %s has no matching input on the call node", r.arg,
                           ctx->g->what);
        in = outer;
        ctx = ctx->parent;
    }
    if (!vm_is_variable_op(nd->op ? nd->op : ""))
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "assigned node '%s' (op %s) in %s is not a variable", nd->name,
                       nd->op ? nd->op : "", ctx->g->what);
    *var = nd;
    return TSD_OK;
}

/* Append a binding (takes key and slice); duplicates are resolved at the end. */
static tsd_code vm_add(vm_state *s, const char *node, char *key, char *slice, tsd_status *st)
{
    char *nd = NULL;
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 16;
        ldr_var_binding *nv = realloc(s->out, nc * sizeof *nv);
        if (!nv)
            goto oom;
        s->out = nv;
        s->cap = nc;
    }
    size_t len = strlen(node) + 1;
    nd = malloc(len);
    if (!nd)
        goto oom;
    memcpy(nd, node, len);
    s->out[s->n].node = nd;
    s->out[s->n].key = key;
    s->out[s->n].slice = slice;
    s->n++;
    return TSD_OK;
oom:
    free(key);
    free(slice);
    return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
}

/* An Assign / AssignVariableOp: bind its variable if its value comes from RestoreV2. */
static tsd_code vm_assign(vm_state *s, const vm_ctx *ctx, const Tensorflow__NodeDef *nd,
                          tsd_status *st)
{
    const char *var_in = vm_data_input(nd, 0), *val_in = vm_data_input(nd, 1);
    if (!var_in || !val_in)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    vm_ref r;
    const Tensorflow__NodeDef *rst;
    if (vm_resolve(ctx->g, val_in, &r, &rst, st) != TSD_OK)
        return st ? st->code : TSD_INVALID_ARGUMENT;
    if (!rst || strcmp(rst->op ? rst->op : "", "RestoreV2") != 0)
        return TSD_OK; /* not restored from the checkpoint */
    const char *names_in = vm_data_input(rst, 1), *slices_in = vm_data_input(rst, 2);
    if (!names_in || !slices_in)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "RestoreV2 '%s' has fewer than 3 inputs",
                       rst->name);
    vm_strs names, slices;
    if (vm_const_strings(ctx->g, names_in, &names, st) != TSD_OK ||
        vm_const_strings(ctx->g, slices_in, &slices, st) != TSD_OK)
        return tsd_status_prefix(st, "RestoreV2 '%s'", rst->name);
    if (names.count != slices.count || r.index >= names.count)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "RestoreV2 '%s': output %ld but %lld tensor_names and %lld "
                       "shape_and_slices",
                       rst->name, r.index, (long long)names.count, (long long)slices.count);
    const Tensorflow__NodeDef *var = NULL;
    if (vm_var_node(ctx, var_in, &var, st) != TSD_OK)
        return st ? st->code : TSD_INVALID_ARGUMENT;
    char *key = vm_strs_get(&names, r.index, st);
    if (!key)
        return st ? st->code : TSD_INVALID_ARGUMENT;
    char *slice = vm_strs_get(&slices, r.index, st);
    if (!slice) {
        free(key);
        return st ? st->code : TSD_INVALID_ARGUMENT;
    }
    if (!key[0]) {
        free(key);
        free(slice);
        return tsd_err(st, TSD_INVALID_ARGUMENT, "RestoreV2 '%s': empty tensor name %ld", rst->name,
                       r.index);
    }
    return vm_add(s, var->name, key, slice, st);
}

static const char *vm_func_name(const Tensorflow__FunctionDef *f)
{
    return f && f->signature && f->signature->name ? f->signature->name : NULL;
}

static int vm_func_cmp(const void *a, const void *b)
{
    return strcmp(vm_func_name(*(const Tensorflow__FunctionDef *const *)a),
                  vm_func_name(*(const Tensorflow__FunctionDef *const *)b));
}

/* Index the library by name (functions without a name are left out). */
static tsd_code vm_index_library(vm_state *s, const Tensorflow__FunctionDefLibrary *lib,
                                 tsd_status *st)
{
    if (!lib || lib->n_function == 0)
        return TSD_OK;
    s->funcs = calloc(lib->n_function, sizeof *s->funcs);
    if (!s->funcs)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory indexing %zu functions",
                       lib->n_function);
    for (size_t i = 0; i < lib->n_function; i++)
        if (vm_func_name(lib->function[i]))
            s->funcs[s->nfuncs++] = lib->function[i];
    if (s->nfuncs > 1)
        qsort(s->funcs, s->nfuncs, sizeof *s->funcs, vm_func_cmp);
    return TSD_OK;
}

static const Tensorflow__FunctionDef *vm_function(const vm_state *s, const char *name)
{
    size_t lo = 0, hi = s->nfuncs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(vm_func_name(s->funcs[mid]), name);
        if (c == 0)
            return s->funcs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Name of the function a node calls (attr f of a call op, or the op itself). */
static const char *vm_callee(const vm_state *s, const Tensorflow__NodeDef *nd)
{
    const char *op = nd->op ? nd->op : "";
    if (strcmp(op, "StatefulPartitionedCall") == 0 || strcmp(op, "PartitionedCall") == 0) {
        const Tensorflow__AttrValue *f = vm_attr(nd, "f");
        if (f && f->value_case == TENSORFLOW__ATTR_VALUE__VALUE_FUNC && f->func && f->func->name)
            return f->func->name;
        return NULL;
    }
    return vm_function(s, op) ? op : NULL;
}

static tsd_code vm_node(vm_state *s, const vm_ctx *ctx, const Tensorflow__NodeDef *nd,
                        tsd_status *st);

/* Interpret every node of the function called by `call`. */
static tsd_code vm_call(vm_state *s, const vm_ctx *ctx, const Tensorflow__NodeDef *call,
                        const char *fname, tsd_status *st)
{
    const Tensorflow__FunctionDef *f = vm_function(s, fname);
    if (!f)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "calls unknown function '%s'", fname);
    if (ctx->depth >= VM_MAX_CALL_DEPTH)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "function calls nested deeper than %d",
                       VM_MAX_CALL_DEPTH);
    s->work += f->n_node_def;
    if (s->work > VM_MAX_WORK)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "restore functions expand to more than %zu nodes",
                       VM_MAX_WORK);
    vm_graph fg;
    if (vm_graph_init(&fg, fname, f->node_def, f->n_node_def, st) != TSD_OK)
        return st ? st->code : TSD_RESOURCE_EXHAUSTED;
    fg.is_func = 1;
    fg.args = f->signature->input_arg;
    fg.nargs = f->signature->n_input_arg;
    vm_ctx fctx = {&fg, ctx, call, ctx->depth + 1};
    tsd_code rc = TSD_OK;
    for (size_t i = 0; i < fg.n && rc == TSD_OK; i++)
        if (fg.nodes[i] && fg.nodes[i]->name)
            rc = vm_node(s, &fctx, fg.nodes[i], st);
    vm_graph_fini(&fg);
    return rc;
}

static tsd_code vm_node(vm_state *s, const vm_ctx *ctx, const Tensorflow__NodeDef *nd,
                        tsd_status *st)
{
    const char *op = nd->op ? nd->op : "";
    tsd_code rc = TSD_OK;
    if (strcmp(op, "Assign") == 0 || strcmp(op, "AssignVariableOp") == 0) {
        rc = vm_assign(s, ctx, nd, st);
    } else {
        const char *fname = vm_callee(s, nd);
        if (fname)
            rc = vm_call(s, ctx, nd, fname, st);
    }
    if (rc != TSD_OK)
        tsd_status_prefix(st, "%s node '%s'", ctx->g->is_func ? ctx->g->what : "graph", nd->name);
    return rc;
}

/* Walk all inputs backwards from the restore op and interpret what is reached. */
static tsd_code vm_walk(vm_state *s, const vm_graph *g, size_t start, tsd_status *st)
{
    unsigned char *seen = calloc(g->n ? g->n : 1, 1);
    size_t *queue = malloc((g->n ? g->n : 1) * sizeof *queue);
    if (!seen || !queue) {
        free(seen);
        free(queue);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    size_t head = 0, tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    vm_ctx ctx = {g, NULL, NULL, 0};
    tsd_code rc = TSD_OK;
    while (head < tail && rc == TSD_OK) {
        const Tensorflow__NodeDef *nd = g->nodes[queue[head++]];
        rc = vm_node(s, &ctx, nd, st);
        for (size_t j = 0; j < nd->n_input && rc == TSD_OK; j++) {
            const char *in = nd->input[j];
            if (!in)
                continue;
            if (in[0] == '^')
                in++;
            const char *colon = strchr(in, ':');
            size_t idx;
            if (vm_find(g, in, colon ? (size_t)(colon - in) : strlen(in), &idx) && !seen[idx]) {
                seen[idx] = 1;
                queue[tail++] = idx;
            }
        }
    }
    free(seen);
    free(queue);
    return rc;
}

static int vm_binding_cmp(const void *a, const void *b)
{
    const ldr_var_binding *x = a, *y = b;
    int c = strcmp(x->node, y->node);
    if (!c)
        c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->slice, y->slice);
}

static void vm_binding_free(ldr_var_binding *v)
{
    free((char *)v->node);
    free((char *)v->key);
    free((char *)v->slice);
}

/* Sort by node and drop repeats; a node restored from two places is an error. */
static tsd_code vm_unique(vm_state *s, tsd_status *st)
{
    if (s->n > 1)
        qsort(s->out, s->n, sizeof *s->out, vm_binding_cmp);
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) {
        ldr_var_binding *prev = out ? &s->out[out - 1] : NULL;
        if (prev && strcmp(prev->node, s->out[i].node) == 0) {
            if (strcmp(prev->key, s->out[i].key) != 0 ||
                strcmp(prev->slice, s->out[i].slice) != 0) {
                tsd_code rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                                      "variable '%s' is restored from both '%s' and '%s'",
                                      prev->node, prev->key, s->out[i].key);
                for (size_t j = i; j < s->n; j++)
                    vm_binding_free(&s->out[j]);
                s->n = out;
                return rc;
            }
            vm_binding_free(&s->out[i]);
            continue;
        }
        s->out[out++] = s->out[i];
    }
    s->n = out;
    return TSD_OK;
}

tsd_code ldr__varmap_build(const Tensorflow__MetaGraphDef *mg, ldr_var_binding **out, size_t *n,
                           tsd_status *st)
{
    *out = NULL;
    *n = 0;
    const Tensorflow__SaverDef *sd = mg->saver_def;
    if (!sd || !sd->restore_op_name || !sd->restore_op_name[0])
        return TSD_OK;
    const char *rname = sd->restore_op_name;
    if (rname[0] == '^')
        rname++;
    const char *colon = strchr(rname, ':');
    size_t rlen = colon ? (size_t)(colon - rname) : strlen(rname);
    const Tensorflow__GraphDef *gd = mg->graph_def;
    vm_graph g;
    if (vm_graph_init(&g, "graph", gd ? gd->node : NULL, gd ? gd->n_node : 0, st) != TSD_OK)
        return st ? st->code : TSD_RESOURCE_EXHAUSTED;
    size_t start;
    vm_state s;
    memset(&s, 0, sizeof s);
    tsd_code rc = vm_index_library(&s, gd ? gd->library : NULL, st);
    if (rc == TSD_OK && !vm_find(&g, rname, rlen, &start))
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "saver_def restore op '%s' is not in the graph",
                     sd->restore_op_name);
    if (rc == TSD_OK)
        rc = vm_walk(&s, &g, start, st);
    if (rc == TSD_OK)
        rc = vm_unique(&s, st);
    vm_graph_fini(&g);
    free(s.funcs);
    if (rc != TSD_OK) {
        ldr__varmap_free(s.out, s.n);
        return tsd_status_prefix(st, "variable bindings");
    }
    *out = s.out;
    *n = s.n;
    return TSD_OK;
}

void ldr__varmap_free(ldr_var_binding *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vm_binding_free(&v[i]);
    free(v);
}
