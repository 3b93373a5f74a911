/*
 * compile_infer.c - shape/dtype inference and constant folding, one pass
 * over the topological order. Fed tensors take the dtype the graph gives
 * their producer and an unknown leading dim becomes ENG_DIM_BATCH. A
 * reached node whose data inputs are all constants and whose op is not
 * stateful is run once here and becomes a constant; Const values and
 * variables nothing writes are borrowed, not copied.
 */
#include "engine/compile_int.h"

#include <stdlib.h>
#include <string.h>

/* Largest folded output kept as a constant (bytes). */
#define FOLD_MAX_BYTES ((size_t)64 << 20)

tsd_code eng__infer_node(const eng_op_def *def, const eng_node *n, const eng_value_info *in,
                         int nin, eng_value_info **outs, int *nouts, tsd_status *st)
{
    int cap = ENG_MAX_OUTPUTS_INLINE;
    for (int attempt = 0; attempt < 4; attempt++) {
        eng_value_info *o = calloc((size_t)cap, sizeof *o);
        if (!o)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory inferring shapes");
        for (int k = 0; k < cap; k++)
            o[k].shape.rank = -1;
        eng_infer_ctx ic = {.node = n,
                            .ninputs = nin,
                            .inputs = in,
                            .noutputs = 0,
                            .outputs = o,
                            .max_outputs = cap,
                            .st = st};
        tsd_code rc = def->infer(&ic);
        if (rc) {
            free(o);
            if (st && st->code == TSD_OK)
                tsd_err(st, rc, "shape inference failed");
            return rc;
        }
        if (ic.noutputs < 0) {
            free(o);
            return tsd_err(st, TSD_INTERNAL, "shape inference gave %d outputs", ic.noutputs);
        }
        if (ic.noutputs <= cap) {
            for (int k = 0; k < ic.noutputs; k++) {
                o[k].value = NULL;
                if ((int)o[k].dtype > ENG_DT_REF_OFFSET)
                    o[k].dtype = (eng_dtype)((int)o[k].dtype - ENG_DT_REF_OFFSET);
                if (o[k].shape.rank > ENG_MAX_RANK)
                    o[k].shape.rank = -1;
            }
            *outs = o;
            *nouts = ic.noutputs;
            return TSD_OK;
        }
        free(o);
        if (ic.noutputs > 1 << 16)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "too many outputs (%d)", ic.noutputs);
        cap = ic.noutputs;
    }
    return tsd_err(st, TSD_INTERNAL, "shape inference did not settle its output count");
}

static int remember(eng__cc *cc, void *buf)
{
    if (cc->nowned == cc->cap_owned) {
        size_t nc = cc->cap_owned ? cc->cap_owned * 2 : 16;
        void **no = realloc(cc->owned, nc * sizeof *no);
        if (!no)
            return -1;
        cc->owned = no;
        cc->cap_owned = nc;
    }
    cc->owned[cc->nowned++] = buf;
    return 0;
}

/* Input infos of node i (values of constants included). */
static tsd_code input_infos(eng__cc *cc, int32_t i, eng_value_info *in)
{
    eng__cnode *c = &cc->cn[i];
    for (int k = 0; k < c->nin; k++) {
        int32_t src = c->in_node[k];
        int idx = c->in_idx[k];
        int f = eng__cc_feed_of(cc, src, idx);
        memset(&in[k], 0, sizeof in[k]);
        in[k].shape.rank = -1;
        if (f >= 0) {
            in[k] = cc->feed_info[f];
            continue;
        }
        eng__cnode *sc = &cc->cn[src];
        if (!sc->inferred)
            continue;
        if (idx >= sc->nout)
            return tsd_err(cc->st, TSD_INVALID_ARGUMENT,
                           "model %s: node '%s': input %d wants output %d of '%s', which has "
                           "%d outputs",
                           cc->s->name, c->n->name, k, idx, sc->n->name, sc->nout);
        in[k] = sc->out[idx];
        in[k].value = sc->cval && sc->cval[idx].dtype != ENG_DT_INVALID ? &sc->cval[idx] : NULL;
    }
    return TSD_OK;
}

static int is_str(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

/* Try to borrow a variable's storage as node i's constant output. */
static int fold_variable(eng__cc *cc, eng__cnode *c, const eng_value_info *in)
{
    const char *name = NULL;
    char buf[1024];
    if (is_str(c->n->op, "VariableV2") || is_str(c->n->op, "Variable")) {
        name = c->n->name;
    } else if (is_str(c->n->op, "ReadVariableOp")) {
        if (c->nin < 1 || !in[0].value || in[0].value->dtype != ENG_DT_RESOURCE ||
            eng_tensor_num_elements(in[0].value) != 1)
            return 0;
        const eng_str *h = in[0].value->data;
        if (h->len >= sizeof buf)
            return 0;
        memcpy(buf, h->ptr, h->len);
        buf[h->len] = '\0';
        name = buf;
    } else {
        return 0;
    }
    eng_tensor t;
    if (eng__session_pin_var(cc->s, name, &t))
        return 0;
    if (c->nout < 1 || (c->out[0].dtype != ENG_DT_INVALID && c->out[0].dtype != t.dtype))
        return 0;
    c->cval[0] = t;
    return 1;
}

/* Run node i at compile time; 1 if it became constant. */
static int fold_kernel(eng__cc *cc, int32_t i, const eng_value_info *in)
{
    eng__cnode *c = &cc->cn[i];
    int n = c->nin;
    eng_tensor *tin = calloc((size_t)n + 1, sizeof *tin);
    eng_tensor *tout = calloc((size_t)c->nout + 1, sizeof *tout);
    void *state = NULL;
    void (*free_state)(void *) = NULL;
    int ok = 0;
    tsd_status tmp = TSD_STATUS_INIT;
    if (!tin || !tout)
        goto out;
    for (int k = 0; k < n; k++) {
        if (in[k].value) {
            tin[k] = *in[k].value;
            continue;
        }
        /* a shape-only op: a header-only tensor with the known shape */
        tin[k].dtype = in[k].dtype;
        tin[k].rank = in[k].shape.rank;
        memcpy(tin[k].dims, in[k].shape.dims, sizeof tin[k].dims);
    }
    if (c->def->prepare) {
        eng_prep_ctx pc = {.node = c->n,
                           .ninputs = n,
                           .inputs = in,
                           .state = &state,
                           .free_state = NULL,
                           .st = &tmp};
        if (c->def->prepare(&pc))
            goto out;
        free_state = pc.free_state;
    }
    eng__call_reset(cc->fold_call);
    if (eng__run_kernel(cc->s, c->def, c->n, state, tin, n, tout, c->nout, cc->fold_call, &tmp))
        goto out;
    size_t total = 0;
    for (int k = 0; k < c->nout; k++)
        total += tout[k].nbytes;
    if (total > FOLD_MAX_BYTES)
        goto out;
    for (int k = 0; k < c->nout; k++) {
        int borrowed = 0;
        for (int j = 0; j < n && !borrowed; j++)
            if (tout[k].data == tin[j].data && tout[k].nbytes == tin[j].nbytes &&
                tout[k].dtype == tin[j].dtype && tin[j].nbytes)
                borrowed = 1;
        if (borrowed) {
            c->cval[k] = tout[k];
            continue;
        }
        eng_tensor cp;
        if (eng_tensor_copy(&cp, &tout[k], &tmp))
            goto out;
        if (remember(cc, cp.data)) {
            free(cp.data);
            goto out;
        }
        c->cval[k] = cp;
    }
    ok = 1;
out:
    if (state)
        (free_state ? free_state : free)(state);
    free(tin);
    free(tout);
    return ok;
}

static int is_ref_var(const char *op)
{
    return is_str(op, "VariableV2") || is_str(op, "Variable");
}

/* Mark reference variables used only as the target (input 0) of writers:
 * they are not read, but become a handle naming the variable. */
static void mark_ref_only(eng__cc *cc)
{
    for (size_t o = 0; o < cc->norder; o++) {
        eng__cnode *c = &cc->cn[cc->order[o]];
        if (!c->reached)
            continue;
        int writer = eng__is_writer_op(c->n->op);
        for (int k = 0; k < c->nin; k++) {
            eng__cnode *src = &cc->cn[c->in_node[k]];
            if (!is_ref_var(src->n->op) || eng__cc_feed_of(cc, c->in_node[k], c->in_idx[k]) >= 0)
                continue;
            if (writer && k == 0 && src->ref_only != 2)
                src->ref_only = 1;
            else
                src->ref_only = 2;
        }
    }
    for (int f = 0; f < cc->spec->nfetches; f++)
        if (is_ref_var(cc->cn[cc->fetch_node[f]].n->op))
            cc->cn[cc->fetch_node[f]].ref_only = 2;
    for (int t = 0; t < cc->spec->ntargets; t++) {
        const char *name = cc->spec->targets[t];
        const eng_node *n = eng_graph_find(cc->g, name[0] == '^' ? name + 1 : name);
        if (n && is_ref_var(n->op))
            cc->cn[n->id].ref_only = 2;
    }
    for (size_t i = 0; i < cc->n; i++)
        if (cc->cn[i].ref_only == 2)
            cc->cn[i].ref_only = 0;
}

/* A DT_RESOURCE scalar naming node c (graph-owned name). */
static int handle_const(eng__cc *cc, eng__cnode *c)
{
    eng_str *h = malloc(sizeof *h);
    if (!h || remember(cc, h)) {
        free(h);
        return 0;
    }
    h->ptr = c->n->name;
    h->len = strlen(c->n->name);
    memset(&c->cval[0], 0, sizeof c->cval[0]);
    c->cval[0].dtype = ENG_DT_RESOURCE;
    c->cval[0].rank = 0;
    c->cval[0].data = h;
    c->cval[0].nbytes = sizeof *h;
    return 1;
}

/* A shape with known rank and no unknown or batch dimension. */
static int shape_known(const eng_shape *sh)
{
    if (sh->rank < 0)
        return 0;
    for (int d = 0; d < sh->rank; d++)
        if (sh->dims[d] < 0)
            return 0;
    return 1;
}

/* Decide and perform folding of reached node i. */
static void try_fold(eng__cc *cc, int32_t i, const eng_value_info *in)
{
    eng__cnode *c = &cc->cn[i];
    if (!c->reached || c->feed_any || !c->def)
        return;
    if (c->nout == 0) {
        /* NoOp-like: nothing to compute (and nothing to order) unless stateful. */
        if (!(c->def->flags & ENG_OP_STATEFUL))
            c->folded = 1;
        return;
    }
    for (int k = 0; k < c->nctl; k++) {
        eng__cnode *cs = &cc->cn[c->ctl[k]];
        if (!cs->folded && !cs->alias && cs->reached)
            return; /* ordered after a step with effects */
    }
    c->cval = calloc((size_t)c->nout, sizeof *c->cval);
    if (!c->cval)
        return;
    if (c->ref_only && c->nout == 1) {
        c->folded = handle_const(cc, c);
    } else if (is_str(c->n->op, "Const")) {
        const eng_attr *a = eng_node_attr(c->n, "value");
        if (a && a->kind == ENG_ATTR_TENSOR && c->nout == 1 && a->tensor.data &&
            eng__tensor_check(&a->tensor, NULL) == TSD_OK) {
            c->cval[0] = a->tensor;
            c->folded = 1;
        }
    } else if (fold_variable(cc, c, in)) {
        c->folded = 1;
    } else if (!(c->def->flags & (ENG_OP_STATEFUL | ENG_OP_NO_FOLD))) {
        int all = 1, shape_only = (c->def->flags & ENG_OP_SHAPE_ONLY) != 0;
        for (int k = 0; k < c->nin && all; k++)
            all = in[k].value != NULL ||
                  (shape_only &&
                   (is_str(c->n->op, "Rank") ? in[k].shape.rank >= 0 : shape_known(&in[k].shape)));
        if (all)
            c->folded = fold_kernel(cc, i, in);
    }
    if (!c->folded) {
        free(c->cval);
        c->cval = NULL;
        return;
    }
    for (int k = 0; k < c->nout; k++) {
        c->out[k].dtype = c->cval[k].dtype;
        c->out[k].shape.rank = c->cval[k].rank;
        memcpy(c->out[k].shape.dims, c->cval[k].dims, sizeof c->out[k].shape.dims);
    }
}

/* After the producer of feed f is inferred, derive the feed's info. */
static void feed_from_producer(eng__cc *cc, int f)
{
    eng__cnode *c = &cc->cn[cc->feed_node[f]];
    int idx = cc->feed_idx[f];
    if (!c->inferred || idx >= c->nout)
        return;
    eng_value_info vi = c->out[idx];
    vi.value = NULL;
    if (vi.shape.rank >= 1 && vi.shape.dims[0] == -1)
        vi.shape.dims[0] = ENG_DIM_BATCH;
    if (vi.dtype == ENG_DT_INVALID)
        vi.dtype = cc->feed_info[f].dtype;
    cc->feed_info[f] = vi;
}

tsd_code eng__cc_infer_fold(eng__cc *cc)
{
    int maxin = 1;
    for (size_t o = 0; o < cc->norder; o++)
        if (cc->cn[cc->order[o]].nin > maxin)
            maxin = cc->cn[cc->order[o]].nin;
    eng_value_info *in = malloc((size_t)maxin * sizeof *in);
    if (!in)
        return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
    tsd_code rc = TSD_OK;
    mark_ref_only(cc);
    for (size_t o = 0; o < cc->norder && !rc; o++) {
        int32_t i = cc->order[o];
        eng__cnode *c = &cc->cn[i];
        if (!c->def)
            continue;
        rc = input_infos(cc, i, in);
        if (rc) {
            if (c->reached)
                break;
            tsd_status_clear(cc->st);
            rc = TSD_OK;
            continue;
        }
        rc = eng__infer_node(c->def, c->n, in, c->nin, &c->out, &c->nout, cc->st);
        if (rc) {
            if (c->reached) {
                tsd_status_prefix(cc->st, "model %s: node '%s'", cc->s->name, c->n->name);
                break;
            }
            tsd_status_clear(cc->st);
            rc = TSD_OK;
            continue;
        }
        c->inferred = 1;
        try_fold(cc, i, in);
        if (c->feed_any)
            for (int f = 0; f < cc->nfeeds; f++)
                if (cc->feed_node[f] == i)
                    feed_from_producer(cc, f);
    }
    free(in);
    if (rc)
        return rc;
    /* Fetched outputs must exist. */
    for (int f = 0; f < cc->spec->nfetches; f++) {
        eng__cnode *c = &cc->cn[cc->fetch_node[f]];
        if (eng__cc_feed_of(cc, cc->fetch_node[f], cc->fetch_idx[f]) >= 0)
            continue;
        if (cc->fetch_idx[f] >= c->nout)
            return tsd_err(cc->st, TSD_INVALID_ARGUMENT,
                           "model %s: fetch '%s': node '%s' has %d outputs", cc->s->name,
                           cc->spec->fetches[f], c->n->name, c->nout);
    }
    return TSD_OK;
}
