/*
 * compile_build.c - the last compile passes: identities become aliases of
 * their inputs, MatMul(+BiasAdd)(+activation) chains with single consumers
 * become one _TsdFusedMatMul step (when that kernel exists), values are
 * numbered (feeds, constants, step outputs), steps are built and prepared,
 * and liveness (last use, fetched, ALIAS0 roots) is recorded for memplan.c.
 */
#include "engine/compile_int.h"

#include <stdlib.h>
#include <string.h>

static int is_identity_op(const char *op)
{
    return !strcmp(op, "Identity") || !strcmp(op, "StopGradient") ||
           !strcmp(op, "PreventGradient") || !strcmp(op, "Snapshot") || !strcmp(op, "IdentityN") ||
           !strcmp(op, "RefIdentity");
}

static int is_activation(const char *op)
{
    return !strcmp(op, "Relu") || !strcmp(op, "Relu6") || !strcmp(op, "Sigmoid") ||
           !strcmp(op, "Tanh");
}

eng__vref eng__cc_canon(const eng__cc *cc, int32_t node, int idx)
{
    eng__vref r = {ENG__VAL_STEP, node, idx};
    for (size_t hops = 0; hops <= cc->n; hops++) {
        int f = eng__cc_feed_of(cc, node, idx);
        if (f >= 0) {
            r.kind = ENG__VAL_FEED;
            r.node = f;
            r.idx = 0;
            return r;
        }
        const eng__cnode *c = &cc->cn[node];
        if (c->folded) {
            r.kind = ENG__VAL_CONST;
            r.node = node;
            r.idx = idx;
            return r;
        }
        if (!c->alias || idx >= c->nin)
            break;
        int32_t nn = c->in_node[idx];
        idx = c->in_idx[idx];
        node = nn;
    }
    r.kind = ENG__VAL_STEP;
    r.node = node;
    r.idx = idx;
    return r;
}

static int is_step(const eng__cnode *c)
{
    return c->reached && c->def && c->inferred && !c->folded && !c->alias && !c->fused_away;
}

static void mark_aliases(eng__cc *cc)
{
    for (size_t o = 0; o < cc->norder; o++) {
        eng__cnode *c = &cc->cn[cc->order[o]];
        if (c->reached && c->inferred && !c->folded && c->nout >= 1 && c->nin >= c->nout &&
            is_identity_op(c->n->op))
            c->alias = 1;
    }
}

/* The idx-th data input string of n. */
static const char *data_input(const eng_node *n, int idx)
{
    int k = 0;
    for (int i = 0; i < n->ninputs; i++) {
        if (n->inputs[i][0] == '^')
            continue;
        if (k++ == idx)
            return n->inputs[i];
    }
    return "";
}

/* Info of the canonical value r (for infer/prepare of fused nodes). */
static eng_value_info vref_info(const eng__cc *cc, eng__vref r)
{
    eng_value_info vi;
    memset(&vi, 0, sizeof vi);
    vi.shape.rank = -1;
    if (r.kind == ENG__VAL_FEED)
        return cc->feed_info[r.node];
    const eng__cnode *c = &cc->cn[r.node];
    if (!c->inferred || r.idx >= c->nout)
        return vi;
    vi = c->out[r.idx];
    vi.value = r.kind == ENG__VAL_CONST ? &c->cval[r.idx] : NULL;
    return vi;
}

/* Try to make a synthetic fused node for the chain m → b → a. */
static eng_node *make_fused(eng__cc *cc, const eng_op_def *fdef, int32_t m, int32_t b, int32_t last,
                            const char *act)
{
    const eng_node *mn = cc->cn[m].n;
    if (!cc->p->synth && !(cc->p->synth = eng_graph_new()))
        return NULL;
    const char *ins[3] = {data_input(mn, 0), data_input(mn, 1),
                          b >= 0 ? data_input(cc->cn[b].n, 1) : ""};
    eng_node *fn;
    tsd_status tmp = TSD_STATUS_INIT;
    if (eng_graph_add_node(cc->p->synth, cc->cn[last].n->name, "_TsdFusedMatMul", ins,
                           b >= 0 ? 3 : 2, &fn, &tmp))
        return NULL;
    eng_attr a;
    memset(&a, 0, sizeof a);
    a.kind = ENG_ATTR_BOOL;
    a.b = eng_attr_bool_or(mn, "transpose_a", 0);
    eng_node_set_attr(cc->p->synth, fn, "transpose_a", &a, &tmp);
    a.b = eng_attr_bool_or(mn, "transpose_b", 0);
    eng_node_set_attr(cc->p->synth, fn, "transpose_b", &a, &tmp);
    a.b = b >= 0;
    eng_node_set_attr(cc->p->synth, fn, "has_bias", &a, &tmp);
    memset(&a, 0, sizeof a);
    a.kind = ENG_ATTR_TYPE;
    a.type = ENG_DT_FLOAT;
    eng_node_set_attr(cc->p->synth, fn, "T", &a, &tmp);
    memset(&a, 0, sizeof a);
    a.kind = ENG_ATTR_STRING;
    a.s.ptr = act;
    a.s.len = strlen(act);
    eng_node_set_attr(cc->p->synth, fn, "activation", &a, &tmp);
    if (tmp.code)
        return NULL;
    /* Validate with the fused op's own inference. */
    eng_value_info in[3];
    in[0] = vref_info(cc, eng__cc_canon(cc, cc->cn[m].in_node[0], cc->cn[m].in_idx[0]));
    in[1] = vref_info(cc, eng__cc_canon(cc, cc->cn[m].in_node[1], cc->cn[m].in_idx[1]));
    if (b >= 0)
        in[2] = vref_info(cc, eng__cc_canon(cc, cc->cn[b].in_node[1], cc->cn[b].in_idx[1]));
    eng_value_info *outs = NULL;
    int nouts = 0;
    int ok = eng__infer_node(fdef, fn, in, b >= 0 ? 3 : 2, &outs, &nouts, &tmp) == TSD_OK &&
             nouts == 1 && outs[0].dtype == cc->cn[last].out[0].dtype;
    free(outs);
    return ok ? fn : NULL;
}

static tsd_code fuse(eng__cc *cc)
{
    const eng_op_def *fdef = eng_op_find("_TsdFusedMatMul");
    if (!fdef)
        return TSD_OK;
    size_t n = cc->n;
    int32_t *count = calloc(n + 1, sizeof *count);
    int32_t *consumer = malloc((n + 1) * sizeof *consumer);
    int *slot = malloc((n + 1) * sizeof *slot);
    unsigned char *fetched = calloc(n + 1, 1);
    if (!count || !consumer || !slot || !fetched) {
        free(count);
        free(consumer);
        free(slot);
        free(fetched);
        return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
    }
    for (size_t o = 0; o < cc->norder; o++) {
        int32_t i = cc->order[o];
        eng__cnode *c = &cc->cn[i];
        if (!is_step(c))
            continue;
        for (int k = 0; k < c->nin; k++) {
            eng__vref r = eng__cc_canon(cc, c->in_node[k], c->in_idx[k]);
            if (r.kind != ENG__VAL_STEP)
                continue;
            if (r.idx != 0)
                fetched[r.node] = 1; /* other outputs used: not a candidate */
            count[r.node]++;
            consumer[r.node] = i;
            slot[r.node] = k;
        }
    }
    for (int f = 0; f < cc->spec->nfetches; f++) {
        eng__vref r = eng__cc_canon(cc, cc->fetch_node[f], cc->fetch_idx[f]);
        if (r.kind == ENG__VAL_STEP)
            fetched[r.node] = 1;
    }
#define SOLE(x) (count[x] == 1 && !fetched[x] && slot[x] == 0 && is_step(&cc->cn[consumer[x]]))
    for (size_t o = 0; o < cc->norder; o++) {
        int32_t m = cc->order[o];
        eng__cnode *mc = &cc->cn[m];
        if (!is_step(mc) || strcmp(mc->n->op, "MatMul") || mc->nout != 1 || mc->nin != 2 ||
            mc->out[0].dtype != ENG_DT_FLOAT || !SOLE(m))
            continue;
        int32_t b = -1, a = -1, cur = m;
        if (!strcmp(cc->cn[consumer[m]].n->op, "BiasAdd") && cc->cn[consumer[m]].nin == 2) {
            b = consumer[m];
            cur = b;
        }
        if (SOLE(cur) && is_activation(cc->cn[consumer[cur]].n->op))
            a = consumer[cur];
        if (b < 0 && a < 0)
            continue;
        int32_t last = a >= 0 ? a : b;
        const char *act = a >= 0 ? cc->cn[a].n->op : "";
        eng_node *fn = make_fused(cc, fdef, m, b, last, act);
        if (!fn)
            continue;
        mc->fused_away = 1;
        if (b >= 0 && last != b)
            cc->cn[b].fused_away = 1;
        cc->cn[last].fuse_mm = m;
        cc->cn[last].fuse_bias = b;
        cc->cn[last].fuse_act = act;
        cc->cn[last].def = fdef;
        cc->cn[last].n = fn;
    }
#undef SOLE
    free(count);
    free(consumer);
    free(slot);
    free(fetched);
    return TSD_OK;
}

/* Data inputs (as canonical refs) of step node i. */
static int step_refs(const eng__cc *cc, int32_t i, eng__vref *out)
{
    const eng__cnode *c = &cc->cn[i];
    if (c->fuse_mm >= 0) {
        const eng__cnode *m = &cc->cn[c->fuse_mm];
        out[0] = eng__cc_canon(cc, m->in_node[0], m->in_idx[0]);
        out[1] = eng__cc_canon(cc, m->in_node[1], m->in_idx[1]);
        if (c->fuse_bias < 0)
            return 2;
        const eng__cnode *b = &cc->cn[c->fuse_bias];
        out[2] = eng__cc_canon(cc, b->in_node[1], b->in_idx[1]);
        return 3;
    }
    for (int k = 0; k < c->nin; k++)
        out[k] = eng__cc_canon(cc, c->in_node[k], c->in_idx[k]);
    return c->nin;
}

static int32_t ref_vid(const eng__cc *cc, eng__vref r)
{
    if (r.kind == ENG__VAL_FEED)
        return r.node;
    const eng__cnode *c = &cc->cn[r.node];
    return c->vid && r.idx < c->nout ? c->vid[r.idx] : -1;
}

static tsd_code ensure_vid(eng__cc *cc, int32_t node)
{
    eng__cnode *c = &cc->cn[node];
    if (c->vid)
        return TSD_OK;
    c->vid = malloc(((size_t)c->nout + 1) * sizeof *c->vid);
    if (!c->vid)
        return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
    for (int k = 0; k < c->nout; k++)
        c->vid[k] = -1;
    return TSD_OK;
}

/* Number values: feeds, then referenced constants, then step outputs. */
static tsd_code number_values(eng__cc *cc, eng__vref *refs, size_t *nsteps, int32_t *nconsts,
                              int32_t *nvals)
{
    int32_t next = cc->nfeeds;
    size_t ns = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t o = 0; o <= cc->norder; o++) {
            int nr;
            if (o < cc->norder) {
                int32_t i = cc->order[o];
                if (!is_step(&cc->cn[i]))
                    continue;
                if (pass == 1) {
                    if (ensure_vid(cc, i))
                        return cc->st->code;
                    for (int k = 0; k < cc->cn[i].nout; k++)
                        cc->cn[i].vid[k] = next++;
                    ns++;
                    continue;
                }
                nr = step_refs(cc, i, refs);
            } else {
                if (pass == 1)
                    break;
                nr = cc->spec->nfetches;
                for (int f = 0; f < nr; f++)
                    refs[f] = eng__cc_canon(cc, cc->fetch_node[f], cc->fetch_idx[f]);
            }
            for (int k = 0; k < nr; k++) {
                if (refs[k].kind != ENG__VAL_CONST)
                    continue;
                if (ensure_vid(cc, refs[k].node))
                    return cc->st->code;
                if (cc->cn[refs[k].node].vid[refs[k].idx] < 0)
                    cc->cn[refs[k].node].vid[refs[k].idx] = next++;
            }
        }
        if (pass == 0)
            *nconsts = next - cc->nfeeds;
    }
    *nsteps = ns;
    *nvals = next;
    return TSD_OK;
}

static tsd_code fill_values(eng__cc *cc)
{
    eng_plan *p = cc->p;
    for (int f = 0; f < cc->nfeeds; f++) {
        p->vals[f].dtype = cc->feed_info[f].dtype;
        p->vals[f].shape = cc->feed_info[f].shape;
        p->vals[f].kind = ENG__VAL_FEED;
        p->feed_val[f] = f;
        const char *nm = cc->spec->feeds[f];
        p->feed_names[f] = malloc(strlen(nm) + 1);
        if (!p->feed_names[f])
            return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        memcpy(p->feed_names[f], nm, strlen(nm) + 1);
    }
    for (size_t i = 0; i < cc->n; i++) {
        eng__cnode *c = &cc->cn[i];
        if (!c->vid)
            continue;
        for (int k = 0; k < c->nout; k++) {
            int32_t v = c->vid[k];
            if (v < 0)
                continue;
            eng__value *ev = &p->vals[v];
            ev->dtype = c->out[k].dtype;
            ev->shape = c->out[k].shape;
            ev->alias_root = v;
            if (c->folded) {
                ev->kind = ENG__VAL_CONST;
                p->consts[v - p->const_base] = c->cval[k];
            } else {
                ev->kind = ENG__VAL_STEP;
            }
        }
    }
    for (int f = 0; f < cc->spec->nfetches; f++) {
        int32_t v = ref_vid(cc, eng__cc_canon(cc, cc->fetch_node[f], cc->fetch_idx[f]));
        if (v < 0)
            return tsd_err(cc->st, TSD_INTERNAL, "model %s: fetch '%s' has no value", cc->s->name,
                           cc->spec->fetches[f]);
        p->fetch_val[f] = v;
        p->vals[v].fetched = 1;
    }
    return TSD_OK;
}

static tsd_code build_steps(eng__cc *cc, eng__vref *refs, eng_value_info *infos)
{
    eng_plan *p = cc->p;
    size_t s = 0;
    for (size_t o = 0; o < cc->norder; o++) {
        int32_t i = cc->order[o];
        eng__cnode *c = &cc->cn[i];
        if (!is_step(c))
            continue;
        eng__step *st = &p->steps[s];
        int nr = step_refs(cc, i, refs);
        st->def = c->def;
        st->node = c->n;
        st->ninputs = nr;
        st->in = malloc(((size_t)nr + 1) * sizeof *st->in);
        if (!st->in)
            return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        for (int k = 0; k < nr; k++) {
            st->in[k] = ref_vid(cc, refs[k]);
            if (st->in[k] < 0)
                return tsd_err(cc->st, TSD_INTERNAL, "model %s: node '%s': input %d has no value",
                               cc->s->name, c->n->name, k);
            infos[k] = vref_info(cc, refs[k]);
            eng__value *v = &p->vals[st->in[k]];
            v->last_use = (int32_t)s;
        }
        st->out_base = c->nout ? c->vid[0] : (int32_t)p->nvals;
        st->noutputs = c->nout;
        st->writer = eng__is_writer_op(c->n->op);
        for (int k = 0; k < c->nout; k++) {
            p->vals[c->vid[k]].def_step = (int32_t)s;
            p->vals[c->vid[k]].last_use = (int32_t)s;
        }
        if ((c->def->flags & ENG_OP_ALIAS0) && nr >= 1 && c->nout >= 1 &&
            p->vals[st->in[0]].kind == ENG__VAL_STEP)
            p->vals[st->out_base].alias_root = p->vals[st->in[0]].alias_root;
        if (nr > p->max_in)
            p->max_in = nr;
        s++;
        if (c->def->prepare) {
            void *state = NULL;
            eng_prep_ctx pc = {.node = c->n,
                               .ninputs = nr,
                               .inputs = infos,
                               .state = &state,
                               .free_state = NULL,
                               .st = cc->st};
            if (c->def->prepare(&pc)) {
                if (state)
                    (pc.free_state ? pc.free_state : free)(state);
                return tsd_status_prefix(cc->st, "model %s: node '%s'", cc->s->name, c->n->name);
            }
            st->op_state = state;
            st->free_state = pc.free_state;
        }
    }
    p->nsteps = s;
    return TSD_OK;
}

tsd_code eng__cc_build(eng__cc *cc)
{
    mark_aliases(cc);
    if (fuse(cc))
        return cc->st->code;
    int maxr = cc->spec->nfetches + 3;
    for (size_t o = 0; o < cc->norder; o++)
        if (cc->cn[cc->order[o]].nin + 3 > maxr)
            maxr = cc->cn[cc->order[o]].nin + 3;
    eng__vref *refs = malloc((size_t)maxr * sizeof *refs);
    eng_value_info *infos = malloc((size_t)maxr * sizeof *infos);
    tsd_code rc = TSD_OK;
    size_t nsteps = 0;
    int32_t nconsts = 0, nvals = 0;
    eng_plan *p = cc->p;
    if (!refs || !infos) {
        rc = tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        goto out;
    }
    if ((rc = number_values(cc, refs, &nsteps, &nconsts, &nvals)))
        goto out;
    p->nfeeds = cc->nfeeds;
    p->nfetches = cc->spec->nfetches;
    p->nvals = nvals;
    p->const_base = cc->nfeeds;
    p->nconsts = nconsts;
    p->vals = calloc((size_t)nvals + 1, sizeof *p->vals);
    p->consts = calloc((size_t)nconsts + 1, sizeof *p->consts);
    p->steps = calloc(nsteps + 1, sizeof *p->steps);
    p->feed_val = calloc((size_t)cc->nfeeds + 1, sizeof *p->feed_val);
    p->feed_names = calloc((size_t)cc->nfeeds + 1, sizeof *p->feed_names);
    p->fetch_val = calloc((size_t)p->nfetches + 1, sizeof *p->fetch_val);
    if (!p->vals || !p->consts || !p->steps || !p->feed_val || !p->feed_names || !p->fetch_val) {
        rc = tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        goto out;
    }
    if ((rc = fill_values(cc)) || (rc = build_steps(cc, refs, infos)))
        goto out;
    /* Extend ALIAS0 roots' lifetimes to their aliases'. */
    for (int32_t v = 0; v < p->nvals; v++) {
        eng__value *ev = &p->vals[v];
        if (ev->kind != ENG__VAL_STEP || ev->alias_root == v)
            continue;
        eng__value *root = &p->vals[ev->alias_root];
        if (ev->last_use > root->last_use)
            root->last_use = ev->last_use;
        if (ev->fetched)
            root->fetched = 1;
    }
out:
    free(refs);
    free(infos);
    return rc;
}
