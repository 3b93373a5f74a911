/*
 * testkit.c - eng_test_run_op: one op run through the real engine path,
 * for kernel unit tests (see testkit.h).
 */
#include "engine/testkit.h"
#include "engine/plan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

eng_attr eng_test_attr_int(int64_t v)
{
    eng_attr a = {.kind = ENG_ATTR_INT, .i = v};
    return a;
}

eng_attr eng_test_attr_float(double v)
{
    eng_attr a = {.kind = ENG_ATTR_FLOAT, .f = v};
    return a;
}

eng_attr eng_test_attr_bool(int v)
{
    eng_attr a = {.kind = ENG_ATTR_BOOL, .b = v != 0};
    return a;
}

eng_attr eng_test_attr_type(eng_dtype v)
{
    eng_attr a = {.kind = ENG_ATTR_TYPE, .type = v};
    return a;
}

eng_attr eng_test_attr_string(const char *s)
{
    eng_attr a = {.kind = ENG_ATTR_STRING};
    a.s.ptr = s;
    a.s.len = s ? strlen(s) : 0;
    return a;
}

eng_attr eng_test_attr_shape(int rank, const int64_t *dims)
{
    eng_attr a = {.kind = ENG_ATTR_SHAPE};
    a.shape.rank = rank;
    for (int i = 0; i < rank && i < ENG_MAX_RANK; i++)
        a.shape.dims[i] = dims[i];
    return a;
}

eng_attr eng_test_attr_tensor(const eng_tensor *t)
{
    eng_attr a = {.kind = ENG_ATTR_TENSOR, .tensor = *t};
    return a;
}

eng_attr eng_test_attr_list_int(const int64_t *v, size_t n)
{
    eng_attr a = {.kind = ENG_ATTR_LIST_INT, .n = n, .ints = (int64_t *)v};
    return a;
}

eng_attr eng_test_attr_list_type(const eng_dtype *v, size_t n)
{
    eng_attr a = {.kind = ENG_ATTR_LIST_TYPE, .n = n, .types = (eng_dtype *)v};
    return a;
}

eng_tensor eng_test_tensor(eng_dtype dt, int rank, const int64_t *dims, void *data)
{
    eng_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.rank = rank;
    int64_t n = 1;
    for (int i = 0; i < rank && i < ENG_MAX_RANK; i++) {
        t.dims[i] = dims[i];
        n *= dims[i];
    }
    t.data = data;
    t.nbytes = (size_t)n * eng_dtype_size(dt);
    return t;
}

/* Add the input nodes and the op node. */
static tsd_code build(eng_graph *g, const char *op, const eng_attr_kv *attrs, int nattrs,
                      const eng_tensor *inputs, int ninputs, const eng_test_opts *o,
                      char (*names)[32], eng_node **opnode, tsd_status *st)
{
    for (int i = 0; i < ninputs; i++) {
        snprintf(names[i], sizeof names[i], "in%d", i);
        int is_const = i < 64 && (o->const_mask >> i & 1);
        eng_node *n;
        if (eng_graph_add_node(g, names[i], is_const ? "Const" : "Placeholder", NULL, 0, &n, st))
            return st->code;
        eng_attr a = eng_test_attr_type(inputs[i].dtype);
        if (eng_node_set_attr(g, n, "dtype", &a, st))
            return st->code;
        if (is_const) {
            a = eng_test_attr_tensor(&inputs[i]);
            if (eng_node_set_attr(g, n, "value", &a, st))
                return st->code;
        } else {
            a = eng_test_attr_shape(inputs[i].rank, inputs[i].dims);
            if (o->unknown_batch && a.shape.rank > 0)
                a.shape.dims[0] = -1;
            if (eng_node_set_attr(g, n, "shape", &a, st))
                return st->code;
        }
    }
    const char *ins[64];
    for (int i = 0; i < ninputs; i++)
        ins[i] = names[i];
    if (eng_graph_add_node(g, "op", op, ins, ninputs, opnode, st))
        return st->code;
    for (int i = 0; i < nattrs; i++)
        if (eng_node_set_attr(g, *opnode, attrs[i].name, &attrs[i].value, st))
            return st->code;
    return TSD_OK;
}

/* Compare a kernel output with its inferred dtype and known dims. */
static tsd_code check_inferred(const eng_plan *p, int i, const eng_tensor *t, tsd_status *st)
{
    eng_dtype dt = eng_plan_fetch_dtype(p, i);
    eng_shape sh = eng_plan_fetch_shape(p, i);
    if (dt != ENG_DT_INVALID && dt != t->dtype)
        return tsd_err(st, TSD_INTERNAL, "output %d: inferred dtype %s but kernel produced %s", i,
                       eng_dtype_name(dt), eng_dtype_name(t->dtype));
    if (sh.rank < 0)
        return TSD_OK;
    int bad = sh.rank != t->rank;
    for (int d = 0; !bad && d < sh.rank; d++)
        bad = sh.dims[d] >= 0 && sh.dims[d] != t->dims[d];
    if (bad) {
        char a[96], b[96];
        return tsd_err(st, TSD_INTERNAL, "output %d: inferred shape %s but kernel produced %s", i,
                       eng_shape_str(sh.dims, sh.rank, a, sizeof a),
                       eng_shape_str(t->dims, t->rank, b, sizeof b));
    }
    return TSD_OK;
}

static int same_tensor(const eng_tensor *a, const eng_tensor *b)
{
    if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes)
        return 0;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return 0;
    if (a->dtype == ENG_DT_STRING || a->dtype == ENG_DT_RESOURCE) {
        const eng_str *x = a->data, *y = b->data;
        for (size_t i = 0; i < a->nbytes / sizeof(eng_str); i++)
            if (x[i].len != y[i].len || (x[i].len && memcmp(x[i].ptr, y[i].ptr, x[i].len)))
                return 0;
        return 1;
    }
    return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

tsd_code eng_test_run_op_ex(const char *op, const eng_attr_kv *attrs, int nattrs,
                            const eng_tensor *inputs, int ninputs, const eng_test_opts *opts,
                            eng_tensor *outs, int *nouts, tsd_status *st)
{
    tsd_status local = TSD_STATUS_INIT;
    if (!st)
        st = &local;
    eng_test_opts o = {0};
    if (opts)
        o = *opts;
    if (o.runs < 1)
        o.runs = 1;
    if (!op || ninputs < 0 || ninputs > 64 || !nouts || (ninputs && !inputs))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "eng_test_run_op: bad arguments");
    char names[64][32];
    eng_graph *g = eng_graph_new();
    if (!g)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    eng_node *opnode = NULL;
    if (build(g, op, attrs, nattrs, inputs, ninputs, &o, names, &opnode, st)) {
        eng_graph_free(g);
        return st->code;
    }
    /* Ask the op's inference how many outputs it has. */
    const eng_op_def *def = eng_op_find(op);
    if (!def) {
        eng_graph_free(g);
        return tsd_err(st, TSD_UNIMPLEMENTED, "model test: node 'op': op '%s' is not supported",
                       op);
    }
    eng_value_info in[64];
    for (int i = 0; i < ninputs; i++) {
        memset(&in[i], 0, sizeof in[i]);
        in[i].dtype = inputs[i].dtype;
        in[i].shape.rank = inputs[i].rank;
        memcpy(in[i].shape.dims, inputs[i].dims, sizeof in[i].shape.dims);
        if (o.unknown_batch && inputs[i].rank > 0)
            in[i].shape.dims[0] = ENG_DIM_BATCH;
        if (i < 64 && (o.const_mask >> i & 1))
            in[i].value = &inputs[i];
    }
    eng_value_info *infos = NULL;
    int nout = 0;
    if (eng__infer_node(def, opnode, in, ninputs, &infos, &nout, st)) {
        eng_graph_free(g);
        return tsd_status_prefix(st, "model test: node 'op'");
    }
    free(infos);
    if (nout > *nouts || nout > 64) {
        eng_graph_free(g);
        return tsd_err(st, TSD_INVALID_ARGUMENT, "op has %d outputs but room for %d", nout, *nouts);
    }
    eng_session *s = eng_session_new(g, "test", o.host, st);
    if (!s) {
        eng_graph_free(g);
        return st->code;
    }
    char fetch_names[64][32];
    const char *fetches[64], *feeds[64];
    eng_tensor feedv[64];
    int nfeeds = 0;
    for (int i = 0; i < nout; i++) {
        snprintf(fetch_names[i], sizeof fetch_names[i], "op:%d", i);
        fetches[i] = fetch_names[i];
    }
    for (int i = 0; i < ninputs; i++)
        if (!(o.const_mask >> i & 1)) {
            feeds[nfeeds] = names[i];
            feedv[nfeeds++] = inputs[i];
        }
    eng_plan_spec spec = {feeds, nfeeds, fetches, nout, NULL, 0};
    const char *target = "op";
    if (nout == 0) {
        spec.targets = &target;
        spec.ntargets = 1;
    }
    tsd_code rc = TSD_OK;
    eng_plan *p = eng_plan_compile(s, &spec, st);
    eng_call *c = eng_call_new();
    eng_tensor res[64], first[64];
    int ncopied = 0;
    if (!p || !c) {
        rc = p ? tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory") : st->code;
        goto out;
    }
    for (int r = 0; r < o.runs && rc == TSD_OK; r++) {
        if ((rc = eng_plan_run(p, c, feedv, res, st)))
            break;
        for (int i = 0; i < nout && rc == TSD_OK; i++) {
            if (r == 0) {
                if ((rc = check_inferred(p, i, &res[i], st)))
                    break;
                if ((rc = eng_tensor_copy(&first[i], &res[i], st)))
                    break;
                ncopied++;
            } else if (!same_tensor(&first[i], &res[i])) {
                rc = tsd_err(st, TSD_INTERNAL, "output %d differs between run 1 and run %d", i,
                             r + 1);
            }
        }
    }
    if (rc == TSD_OK) {
        for (int i = 0; i < nout; i++)
            outs[i] = first[i];
        *nouts = nout;
        ncopied = 0;
    }
out:
    for (int i = 0; i < ncopied; i++)
        eng_tensor_free_data(&first[i]);
    eng_call_free(c);
    eng_plan_free(p);
    eng_session_free(s);
    return rc;
}

tsd_code eng_test_run_op(const char *op, const eng_attr_kv *attrs, int nattrs,
                         const eng_tensor *inputs, int ninputs, eng_tensor *outs, int *nouts,
                         tsd_status *st)
{
    return eng_test_run_op_ex(op, attrs, nattrs, inputs, ninputs, NULL, outs, nouts, st);
}
