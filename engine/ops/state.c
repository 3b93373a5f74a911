/*
 * state.c - op family "state" (see families.h): constants, placeholders,
 * identities, reference and resource variables, and (from state_table.c)
 * lookup tables. Variables live in the session; kernels reach them through
 * eng_kctx_read_var / eng_kctx_write_var. Resource handles are DT_RESOURCE
 * scalars whose one eng_str element names the variable or table.
 */
#include "engine/ops/families.h"
#include "engine/ops/state_int.h"
#include "engine/graph_int.h"
#include "engine/session_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static eng_dtype base_type(eng_dtype dt)
{
    return (int)dt > ENG_DT_REF_OFFSET ? (eng_dtype)((int)dt - ENG_DT_REF_OFFSET) : dt;
}

static void set_out(eng_infer_ctx *ic, int i, eng_dtype dt, const eng_shape *sh)
{
    ic->outputs[i].dtype = base_type(dt);
    if (sh)
        ic->outputs[i].shape = *sh;
    else
        ic->outputs[i].shape.rank = -1;
}

static eng_shape shape_attr(const eng_node *n, const char *name)
{
    const eng_attr *a = eng_node_attr(n, name);
    eng_shape sh = {.rank = -1};
    if (a && a->kind == ENG_ATTR_SHAPE && a->shape.rank <= ENG_MAX_RANK)
        sh = a->shape;
    for (int i = 0; i < sh.rank; i++)
        if (sh.dims[i] < -1)
            sh.dims[i] = -1;
    return sh;
}

static const eng_shape scalar_shape = {.rank = 0};

static tsd_code need_inputs(eng_infer_ctx *ic, int n)
{
    if (ic->ninputs < n)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected %d inputs, got %d", n, ic->ninputs);
    return TSD_OK;
}

tsd_code eng__state_target(eng_kctx *ctx, int j, char *buf, size_t len)
{
    if (j >= ctx->ninputs)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "missing input %d", j);
    const eng_tensor *t = &ctx->inputs[j];
    if (t->dtype == ENG_DT_RESOURCE) {
        if (eng_tensor_num_elements(t) != 1)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "resource handle must be a scalar");
        const eng_str *h = t->data;
        if (h->len >= len)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "resource name too long");
        memcpy(buf, h->ptr, h->len);
        buf[h->len] = '\0';
        return TSD_OK;
    }
    /* A reference variable read: the producer named by the input string. */
    const eng_node *n = ctx->node;
    int k = 0;
    for (int i = 0; i < n->ninputs; i++) {
        if (n->inputs[i][0] == '^')
            continue;
        if (k++ != j)
            continue;
        eng__input_ref r;
        if (eng__parse_input(n->inputs[i], &r) || r.len >= len)
            break;
        memcpy(buf, r.name, r.len);
        buf[r.len] = '\0';
        return TSD_OK;
    }
    return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "cannot tell which variable input %d names", j);
}

/* ---- Const, Placeholder, identities, NoOp -------------------------------- */

static tsd_code const_infer(eng_infer_ctx *ic)
{
    const eng_attr *a = eng_node_attr(ic->node, "value");
    if (!a || a->kind != ENG_ATTR_TENSOR)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "Const without a tensor 'value' attr");
    eng_shape sh = {.rank = a->tensor.rank};
    memcpy(sh.dims, a->tensor.dims, sizeof sh.dims);
    ic->noutputs = 1;
    set_out(ic, 0, a->tensor.dtype, &sh);
    return TSD_OK;
}

static tsd_code const_compute(eng_kctx *ctx)
{
    const eng_attr *a = eng_node_attr(ctx->node, "value");
    if (!a || a->kind != ENG_ATTR_TENSOR)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "Const without a tensor 'value' attr");
    ctx->outputs[0] = a->tensor; /* graph-owned, lives as long as the session */
    return TSD_OK;
}

static tsd_code placeholder_infer(eng_infer_ctx *ic)
{
    eng_shape sh = shape_attr(ic->node, "shape");
    ic->noutputs = 1;
    set_out(ic, 0, eng_attr_type_or(ic->node, "dtype", ENG_DT_INVALID), &sh);
    return TSD_OK;
}

static tsd_code placeholder_compute(eng_kctx *ctx)
{
    eng_dtype dt = base_type(eng_attr_type_or(ctx->node, "dtype", ENG_DT_INVALID));
    return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                   "You must feed a value for placeholder tensor '%s' with dtype %s",
                   eng_node_name(ctx->node), eng_dtype_name(dt));
}

static tsd_code pwd_infer(eng_infer_ctx *ic)
{
    if (need_inputs(ic, 1))
        return ic->st->code;
    eng_shape sh = shape_attr(ic->node, "shape");
    if (sh.rank < 0)
        sh = ic->inputs[0].shape;
    ic->noutputs = 1;
    set_out(ic, 0, eng_attr_type_or(ic->node, "dtype", ic->inputs[0].dtype), &sh);
    return TSD_OK;
}

static tsd_code identity_infer(eng_infer_ctx *ic)
{
    if (need_inputs(ic, 1))
        return ic->st->code;
    ic->noutputs = 1;
    ic->outputs[0] = ic->inputs[0];
    ic->outputs[0].value = NULL;
    return TSD_OK;
}

static tsd_code identity_compute(eng_kctx *ctx)
{
    const eng_tensor *in = &ctx->inputs[0];
    return eng_kctx_forward(ctx, 0, 0, in->rank, in->dims) ? TSD_OK : ctx->st->code;
}

static tsd_code identity_n_infer(eng_infer_ctx *ic)
{
    ic->noutputs = ic->ninputs;
    if (ic->ninputs > ic->max_outputs)
        return TSD_OK;
    for (int i = 0; i < ic->ninputs; i++) {
        ic->outputs[i] = ic->inputs[i];
        ic->outputs[i].value = NULL;
    }
    return TSD_OK;
}

static tsd_code identity_n_compute(eng_kctx *ctx)
{
    for (int i = 0; i < ctx->ninputs && i < ctx->noutputs; i++) {
        const eng_tensor *in = &ctx->inputs[i];
        if (!eng_kctx_forward(ctx, i, i, in->rank, in->dims))
            return ctx->st->code;
    }
    return TSD_OK;
}

static tsd_code noop_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 0;
    return TSD_OK;
}

static tsd_code noop_compute(eng_kctx *ctx)
{
    (void)ctx;
    return TSD_OK;
}

/* ---- variables ------------------------------------------------------------ */

static tsd_code variable_infer(eng_infer_ctx *ic)
{
    eng_shape sh = shape_attr(ic->node, "shape");
    ic->noutputs = 1;
    set_out(ic, 0, eng_attr_type_or(ic->node, "dtype", ENG_DT_INVALID), &sh);
    return TSD_OK;
}

/* Read variable `name` into output 0. */
static tsd_code read_into_output(eng_kctx *ctx, const char *name)
{
    eng_tensor t;
    if (eng_kctx_read_var(ctx, name, &t))
        return ctx->st->code;
    ctx->outputs[0] = t;
    return TSD_OK;
}

static tsd_code variable_compute(eng_kctx *ctx)
{
    return read_into_output(ctx, eng_node_name(ctx->node));
}

static tsd_code handle_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 1;
    set_out(ic, 0, ENG_DT_RESOURCE, &scalar_shape);
    return TSD_OK;
}

static tsd_code var_handle_compute(eng_kctx *ctx)
{
    eng_tensor *t = eng_kctx_output(ctx, 0, ENG_DT_RESOURCE, 0, NULL);
    if (!t)
        return ctx->st->code;
    const char *name = eng_node_name(ctx->node);
    return eng_kctx_str(ctx, name, strlen(name), (eng_str *)t->data);
}

static tsd_code read_var_infer(eng_infer_ctx *ic)
{
    if (need_inputs(ic, 1))
        return ic->st->code;
    ic->noutputs = 1;
    set_out(ic, 0, eng_attr_type_or(ic->node, "dtype", ENG_DT_INVALID), NULL);
    return TSD_OK;
}

static tsd_code read_var_compute(eng_kctx *ctx)
{
    char name[1024];
    if (eng__state_target(ctx, 0, name, sizeof name))
        return ctx->st->code;
    return read_into_output(ctx, name);
}

/* value negated into call memory (for the *Sub ops). */
static tsd_code negate(eng_kctx *ctx, const eng_tensor *v, eng_tensor *out)
{
    *out = *v;
    out->data = eng_kctx_scratch(ctx, v->nbytes);
    if (!out->data)
        return ctx->st->code;
    int64_t n = eng_tensor_num_elements(v);
    switch (v->dtype) {
#define NEG(DT, T)                                                                                 \
    case DT:                                                                                       \
        for (int64_t i = 0; i < n; i++)                                                            \
            ((T *)out->data)[i] = (T) - ((const T *)v->data)[i];                                   \
        return TSD_OK;
        NEG(ENG_DT_FLOAT, float)
        NEG(ENG_DT_DOUBLE, double)
        NEG(ENG_DT_INT32, int32_t)
        NEG(ENG_DT_INT64, int64_t)
#undef NEG
    default:
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "cannot subtract values of dtype %s",
                       eng_dtype_name(v->dtype));
    }
}

/* Shared body of the writers: mode 0 assign, 1 add, -1 subtract. */
static tsd_code write_var(eng_kctx *ctx, int mode, int output)
{
    char name[1024];
    if (ctx->ninputs < 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    if (eng__state_target(ctx, 0, name, sizeof name))
        return ctx->st->code;
    const eng_tensor *v = &ctx->inputs[1];
    eng_tensor neg;
    if (mode < 0) {
        if (negate(ctx, v, &neg))
            return ctx->st->code;
        v = &neg;
    }
    if (eng_kctx_write_var(ctx, name, v, mode != 0))
        return ctx->st->code;
    return output ? read_into_output(ctx, name) : TSD_OK;
}

static tsd_code assign_infer(eng_infer_ctx *ic)
{
    if (need_inputs(ic, 2))
        return ic->st->code;
    ic->noutputs = 1;
    ic->outputs[0] = ic->inputs[1];
    ic->outputs[0].value = NULL;
    return TSD_OK;
}

static tsd_code assign_compute(eng_kctx *ctx)
{
    return write_var(ctx, 0, 1);
}

static tsd_code assign_add_compute(eng_kctx *ctx)
{
    return write_var(ctx, 1, 1);
}

static tsd_code assign_sub_compute(eng_kctx *ctx)
{
    return write_var(ctx, -1, 1);
}

static tsd_code assign_var_infer(eng_infer_ctx *ic)
{
    if (need_inputs(ic, 2))
        return ic->st->code;
    ic->noutputs = 0;
    return TSD_OK;
}

static tsd_code assign_var_compute(eng_kctx *ctx)
{
    return write_var(ctx, 0, 0);
}

static tsd_code assign_add_var_compute(eng_kctx *ctx)
{
    return write_var(ctx, 1, 0);
}

static tsd_code assign_sub_var_compute(eng_kctx *ctx)
{
    return write_var(ctx, -1, 0);
}

static tsd_code is_init_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 1;
    set_out(ic, 0, ENG_DT_BOOL, &scalar_shape);
    return TSD_OK;
}

static tsd_code is_init_compute(eng_kctx *ctx)
{
    char name[1024];
    if (eng__state_target(ctx, 0, name, sizeof name))
        return ctx->st->code;
    eng_tensor *t = eng_kctx_output(ctx, 0, ENG_DT_BOOL, 0, NULL);
    if (!t)
        return ctx->st->code;
    eng_tensor v;
    tsd_status *saved = ctx->st;
    tsd_status tmp = TSD_STATUS_INIT;
    ctx->st = &tmp;
    tsd_code rc = eng_kctx_read_var(ctx, name, &v);
    ctx->st = saved;
    *(uint8_t *)t->data = rc == TSD_OK;
    return TSD_OK;
}

/* ResourceGather: rows of a resource variable (batch_dims 0). */
static tsd_code gather_infer(eng_infer_ctx *ic)
{
    if (need_inputs(ic, 2))
        return ic->st->code;
    if (eng_attr_int_or(ic->node, "batch_dims", 0) != 0)
        return tsd_err(ic->st, TSD_UNIMPLEMENTED, "ResourceGather: batch_dims != 0");
    ic->noutputs = 1;
    set_out(ic, 0, eng_attr_type_or(ic->node, "dtype", ENG_DT_INVALID), NULL);
    return TSD_OK;
}

/* Gather rows of the (borrowed, read-locked) variable into output 0. */
static tsd_code gather_rows(const eng_tensor *var, void *ud)
{
    eng_kctx *ctx = ud;
    const eng_tensor *idx = &ctx->inputs[1];
    if (var->rank < 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "cannot gather from a scalar variable");
    if (idx->rank + var->rank - 1 > ENG_MAX_RANK)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "result rank too large");
    int64_t dims[ENG_MAX_RANK];
    int rank = 0;
    for (int i = 0; i < idx->rank; i++)
        dims[rank++] = idx->dims[i];
    int64_t row = 1;
    for (int i = 1; i < var->rank; i++) {
        dims[rank++] = var->dims[i];
        row *= var->dims[i];
    }
    eng_tensor *out = eng_kctx_output(ctx, 0, var->dtype, rank, dims);
    if (!out)
        return ctx->st->code;
    size_t es = eng_dtype_size(var->dtype), rb = (size_t)row * es;
    int64_t n = eng_tensor_num_elements(idx);
    for (int64_t i = 0; i < n; i++) {
        int64_t k = idx->dtype == ENG_DT_INT32 ? ((const int32_t *)idx->data)[i]
                                               : ((const int64_t *)idx->data)[i];
        if (k < 0 || k >= var->dims[0])
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "indices[%lld] = %lld is not in [0, %lld)", (long long)i, (long long)k,
                           (long long)var->dims[0]);
        if (rb)
            memcpy((char *)out->data + (size_t)i * rb, (const char *)var->data + (size_t)k * rb,
                   rb);
    }
    /* String rows point into the variable: copy their bytes into call memory. */
    if (var->dtype == ENG_DT_STRING) {
        eng_str *s = out->data;
        for (size_t i = 0; i < out->nbytes / sizeof *s; i++)
            if (eng_kctx_str(ctx, s[i].ptr, s[i].len, &s[i]))
                return ctx->st->code;
    }
    return TSD_OK;
}

static tsd_code gather_compute(eng_kctx *ctx)
{
    char name[1024];
    if (ctx->ninputs < 2)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "expected 2 inputs");
    if (eng__state_target(ctx, 0, name, sizeof name))
        return ctx->st->code;
    const eng_tensor *idx = &ctx->inputs[1];
    if (idx->dtype != ENG_DT_INT32 && idx->dtype != ENG_DT_INT64)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "indices must be int32 or int64, not %s",
                       eng_dtype_name(idx->dtype));
    if (!ctx->sess)
        return tsd_err(ctx->st, TSD_INTERNAL, "no session for variable '%s'", name);
    return eng__session_with_var(ctx->sess, name, gather_rows, ctx, ctx->st);
}

/* The family table. */
const eng_op_def eng_ops_state[] = {
    {"Assign", assign_infer, assign_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"AssignAdd", assign_infer, assign_add_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"AssignAddVariableOp", assign_var_infer, assign_add_var_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"AssignSub", assign_infer, assign_sub_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"AssignSubVariableOp", assign_var_infer, assign_sub_var_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"AssignVariableOp", assign_var_infer, assign_var_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"Const", const_infer, const_compute, NULL, NULL, 0},
    {"HashTableV2", eng__table_handle_infer, eng__table_handle_compute, NULL, NULL,
     ENG_OP_STATEFUL},
    {"Identity", identity_infer, identity_compute, NULL, NULL, ENG_OP_ALIAS0},
    {"IdentityN", identity_n_infer, identity_n_compute, NULL, NULL, ENG_OP_ALIAS0},
    {"InitializeTableFromTextFileV2", eng__table_init_infer, eng__table_init_file_compute, NULL,
     NULL, ENG_OP_STATEFUL},
    {"InitializeTableV2", eng__table_init_infer, eng__table_init_compute, NULL, NULL,
     ENG_OP_STATEFUL},
    {"LookupTableFindV2", eng__table_find_infer, eng__table_find_compute, NULL, NULL,
     ENG_OP_STATEFUL},
    {"LookupTableImportV2", eng__table_init_infer, eng__table_import_compute, NULL, NULL,
     ENG_OP_STATEFUL},
    {"LookupTableSizeV2", eng__table_size_infer, eng__table_size_compute, NULL, NULL,
     ENG_OP_STATEFUL},
    {"NoOp", noop_infer, noop_compute, NULL, NULL, 0},
    {"Placeholder", placeholder_infer, placeholder_compute, NULL, NULL,
     ENG_OP_STATEFUL | ENG_OP_NO_FOLD},
    {"PlaceholderWithDefault", pwd_infer, identity_compute, NULL, NULL, ENG_OP_ALIAS0},
    {"PreventGradient", identity_infer, identity_compute, NULL, NULL, ENG_OP_ALIAS0},
    {"ReadVariableOp", read_var_infer, read_var_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"ResourceGather", gather_infer, gather_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"Snapshot", identity_infer, identity_compute, NULL, NULL, ENG_OP_ALIAS0},
    {"StopGradient", identity_infer, identity_compute, NULL, NULL, ENG_OP_ALIAS0},
    {"VarHandleOp", handle_infer, var_handle_compute, NULL, NULL, 0},
    {"VarIsInitializedOp", is_init_infer, is_init_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"Variable", variable_infer, variable_compute, NULL, NULL, ENG_OP_STATEFUL},
    {"VariableV2", variable_infer, variable_compute, NULL, NULL, ENG_OP_STATEFUL},
    {NULL, NULL, NULL, NULL, NULL, 0},
};
