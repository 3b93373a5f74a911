/*
 * compile.c - eng_plan_compile driver and its first passes: parse feeds,
 * fetches and targets; resolve input strings; prune backwards from what is
 * fetched (a fed tensor cuts the graph); check every reached op is
 * implemented; order nodes topologically (Kahn, cycles are errors). Later
 * passes are in compile_infer.c and compile_build.c. Also the plan
 * accessors and eng_plan_free.
 */
#include "engine/compile_int.h"

#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t next_plan_id = 1;

int eng__cc_feed_of(const eng__cc *cc, int32_t node, int idx)
{
    if (!cc->cn[node].feed_any)
        return -1;
    for (int f = 0; f < cc->nfeeds; f++)
        if (cc->feed_node[f] == node && cc->feed_idx[f] == idx)
            return f;
    return -1;
}

tsd_code eng__cc_resolve(eng__cc *cc, int32_t i)
{
    eng__cnode *c = &cc->cn[i];
    if (c->resolved)
        return TSD_OK;
    if (c->unresolvable)
        return TSD_INVALID_ARGUMENT;
    const eng_node *n = c->n;
    int nd = 0, nc = 0;
    for (int k = 0; k < n->ninputs; k++)
        if (n->inputs[k][0] == '^')
            nc++;
        else
            nd++;
    c->in_node = malloc(((size_t)nd + 1) * sizeof *c->in_node);
    c->in_idx = malloc(((size_t)nd + 1) * sizeof *c->in_idx);
    c->ctl = malloc(((size_t)nc + 1) * sizeof *c->ctl);
    if (!c->in_node || !c->in_idx || !c->ctl)
        return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
    for (int k = 0; k < n->ninputs; k++) {
        eng__input_ref r;
        const eng_node *src = NULL;
        if (eng__parse_input(n->inputs[k], &r) == 0)
            src = eng__graph_find_n(cc->g, r.name, r.len);
        if (!src) {
            c->unresolvable = 1;
            return tsd_err(cc->st, TSD_INVALID_ARGUMENT,
                           "model %s: node '%s': input '%s' refers to unknown node '%.*s'",
                           cc->s->name, n->name, n->inputs[k], (int)r.len, r.name ? r.name : "");
        }
        if (r.control) {
            c->ctl[c->nctl++] = (int32_t)src->id;
        } else {
            c->in_node[c->nin] = (int32_t)src->id;
            c->in_idx[c->nin++] = r.index;
        }
    }
    c->resolved = 1;
    return TSD_OK;
}

/* Parse "node:i" naming a tensor of the graph. */
static tsd_code parse_tensor(eng__cc *cc, const char *what, const char *s, int32_t *node, int *idx)
{
    eng__input_ref r;
    const eng_node *n = NULL;
    if (s && eng__parse_input(s, &r) == 0 && !r.control)
        n = eng__graph_find_n(cc->g, r.name, r.len);
    if (!n)
        return tsd_err(cc->st, TSD_INVALID_ARGUMENT, "model %s: %s '%s' names no node of the graph",
                       cc->s->name, what, s ? s : "(null)");
    *node = (int32_t)n->id;
    *idx = r.index;
    return TSD_OK;
}

/* Walk backwards from the stack, marking nodes (reached or infer_only). */
static tsd_code walk(eng__cc *cc, int32_t *stack, size_t sp, int infer_only)
{
    while (sp) {
        int32_t i = stack[--sp];
        eng__cnode *c = &cc->cn[i];
        if (eng__cc_resolve(cc, i)) {
            if (!infer_only)
                return cc->st->code;
            tsd_status_clear(cc->st);
            continue;
        }
        for (int k = 0; k < c->nin + c->nctl; k++) {
            int32_t src = k < c->nin ? c->in_node[k] : c->ctl[k - c->nin];
            if (k < c->nin && eng__cc_feed_of(cc, src, c->in_idx[k]) >= 0)
                continue;
            eng__cnode *sc = &cc->cn[src];
            if (sc->reached || (infer_only && sc->infer_only))
                continue;
            if (infer_only)
                sc->infer_only = 1;
            else
                sc->reached = 1;
            stack[sp++] = src;
        }
    }
    return TSD_OK;
}

static tsd_code prune(eng__cc *cc)
{
    const eng_plan_spec *sp = cc->spec;
    int32_t *stack = malloc((cc->n + 1) * sizeof *stack);
    if (!stack)
        return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
    size_t top = 0;
    for (int f = 0; f < sp->nfetches; f++) {
        int32_t nd = cc->fetch_node[f];
        if (eng__cc_feed_of(cc, nd, cc->fetch_idx[f]) >= 0 || cc->cn[nd].reached)
            continue;
        cc->cn[nd].reached = 1;
        stack[top++] = nd;
    }
    for (int t = 0; t < sp->ntargets; t++) {
        const char *name = sp->targets[t];
        if (name && name[0] == '^')
            name++;
        const eng_node *n = name ? eng_graph_find(cc->g, name) : NULL;
        if (!n) {
            free(stack);
            return tsd_err(cc->st, TSD_INVALID_ARGUMENT,
                           "model %s: target '%s' names no node of the graph", cc->s->name,
                           sp->targets[t] ? sp->targets[t] : "(null)");
        }
        if (!cc->cn[n->id].reached) {
            cc->cn[n->id].reached = 1;
            stack[top++] = (int32_t)n->id;
        }
    }
    tsd_code rc = walk(cc, stack, top, 0);
    if (rc == TSD_OK) {
        /* Producers of fed tensors are only inferred (for the feed's dtype). */
        top = 0;
        for (int f = 0; f < cc->nfeeds; f++) {
            eng__cnode *c = &cc->cn[cc->feed_node[f]];
            if (!c->reached && !c->infer_only) {
                c->infer_only = 1;
                stack[top++] = cc->feed_node[f];
            }
        }
        rc = walk(cc, stack, top, 1);
    }
    free(stack);
    if (rc)
        return rc;
    for (size_t i = 0; i < cc->n; i++) {
        eng__cnode *c = &cc->cn[i];
        if (!c->reached && !c->infer_only)
            continue;
        c->def = eng_op_find(c->n->op);
        if (!c->def && c->reached)
            return tsd_err(cc->st, TSD_UNIMPLEMENTED,
                           "model %s: node '%s': op '%s' is not supported", cc->s->name, c->n->name,
                           c->n->op);
    }
    return TSD_OK;
}

/*
 * Kahn's algorithm over reached + infer-only nodes; data and control edges.
 * Edges from fed tensors order their producer (inferred only, for the
 * feed's dtype) before the consumers, unless that makes a cycle (a feed
 * that breaks a loop): then they are left out (with_fed = 0).
 */
static tsd_code order_nodes(eng__cc *cc, int with_fed)
{
    size_t n = cc->n;
    int32_t *indeg = calloc(n + 1, sizeof *indeg);
    size_t *start = calloc(n + 2, sizeof *start);
    int32_t *queue = malloc((n + 1) * sizeof *queue);
    int32_t *adj = NULL;
    tsd_code rc = TSD_OK;
    if (!indeg || !start || !queue) {
        rc = tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        goto out;
    }
#define IN_SET(c) (((c)->reached || (c)->infer_only) && (c)->resolved)
#define FED(k) ((k) < c->nin && eng__cc_feed_of(cc, c->in_node[k], c->in_idx[k]) >= 0)
    size_t nedges = 0;
    for (size_t i = 0; i < n; i++) {
        eng__cnode *c = &cc->cn[i];
        if (!IN_SET(c))
            continue;
        for (int k = 0; k < c->nin + c->nctl; k++) {
            int32_t src = k < c->nin ? c->in_node[k] : c->ctl[k - c->nin];
            if (!IN_SET(&cc->cn[src]) || (!with_fed && FED(k)))
                continue;
            indeg[i]++;
            start[src + 1]++;
            nedges++;
        }
    }
    for (size_t i = 0; i < n; i++)
        start[i + 1] += start[i];
    adj = malloc((nedges + 1) * sizeof *adj);
    size_t *fill = calloc(n + 1, sizeof *fill);
    if (!adj || !fill) {
        free(fill);
        rc = tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        eng__cnode *c = &cc->cn[i];
        if (!IN_SET(c))
            continue;
        for (int k = 0; k < c->nin + c->nctl; k++) {
            int32_t src = k < c->nin ? c->in_node[k] : c->ctl[k - c->nin];
            if (IN_SET(&cc->cn[src]) && (with_fed || !FED(k)))
                adj[start[src] + fill[src]++] = (int32_t)i;
        }
    }
    free(fill);
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (IN_SET(&cc->cn[i]) && indeg[i] == 0)
            queue[tail++] = (int32_t)i;
    while (head < tail) {
        int32_t i = queue[head++];
        cc->order[cc->norder++] = i;
        for (size_t e = start[i]; e < start[i + 1]; e++)
            if (--indeg[adj[e]] == 0)
                queue[tail++] = adj[e];
    }
    for (size_t i = 0; i < n; i++) {
        eng__cnode *c = &cc->cn[i];
        if (IN_SET(c) && indeg[i] > 0 && c->reached) {
            if (with_fed) {
                rc = TSD_ABORTED; /* retry without the edges of fed tensors */
                break;
            }
            rc = tsd_err(cc->st, TSD_INVALID_ARGUMENT,
                         "model %s: node '%s': the graph has a cycle through this node",
                         cc->s->name, c->n->name);
            break;
        }
    }
#undef IN_SET
#undef FED
out:
    free(indeg);
    free(start);
    free(queue);
    free(adj);
    return rc;
}

static tsd_code order(eng__cc *cc)
{
    tsd_code rc = order_nodes(cc, 1);
    if (rc != TSD_ABORTED)
        return rc;
    cc->norder = 0;
    return order_nodes(cc, 0);
}

static void cc_free(eng__cc *cc)
{
    if (cc->cn) {
        for (size_t i = 0; i < cc->n; i++) {
            eng__cnode *c = &cc->cn[i];
            free(c->in_node);
            free(c->in_idx);
            free(c->ctl);
            free(c->out);
            free(c->cval);
            free(c->vid);
        }
    }
    for (size_t i = 0; i < cc->nowned; i++)
        free(cc->owned[i]);
    free(cc->owned);
    free(cc->cn);
    free(cc->feed_node);
    free(cc->feed_idx);
    free(cc->feed_info);
    free(cc->fetch_node);
    free(cc->fetch_idx);
    free(cc->order);
    eng_call_free(cc->fold_call);
}

static tsd_code parse_spec(eng__cc *cc)
{
    const eng_plan_spec *sp = cc->spec;
    int nf = sp->nfeeds, nt = sp->nfetches;
    if (nf < 0 || nt < 0 || sp->ntargets < 0 || (nf && !sp->feeds) || (nt && !sp->fetches) ||
        (sp->ntargets && !sp->targets))
        return tsd_err(cc->st, TSD_INVALID_ARGUMENT, "model %s: malformed plan spec", cc->s->name);
    cc->nfeeds = nf;
    cc->feed_node = calloc((size_t)nf + 1, sizeof *cc->feed_node);
    cc->feed_idx = calloc((size_t)nf + 1, sizeof *cc->feed_idx);
    cc->feed_info = calloc((size_t)nf + 1, sizeof *cc->feed_info);
    cc->fetch_node = calloc((size_t)nt + 1, sizeof *cc->fetch_node);
    cc->fetch_idx = calloc((size_t)nt + 1, sizeof *cc->fetch_idx);
    if (!cc->feed_node || !cc->feed_idx || !cc->feed_info || !cc->fetch_node || !cc->fetch_idx)
        return tsd_err(cc->st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
    for (int f = 0; f < nf; f++) {
        if (parse_tensor(cc, "feed", sp->feeds[f], &cc->feed_node[f], &cc->feed_idx[f]))
            return cc->st->code;
        if (eng__cc_feed_of(cc, cc->feed_node[f], cc->feed_idx[f]) >= 0)
            return tsd_err(cc->st, TSD_INVALID_ARGUMENT, "model %s: tensor '%s' is fed twice",
                           cc->s->name, sp->feeds[f]);
        cc->cn[cc->feed_node[f]].feed_any = 1;
        /* Until the producer is inferred: its dtype attr, unknown shape. */
        const eng_node *pn = cc->cn[cc->feed_node[f]].n;
        eng_dtype dt = eng_attr_type_or(pn, "dtype", eng_attr_type_or(pn, "T", ENG_DT_INVALID));
        if ((int)dt > ENG_DT_REF_OFFSET)
            dt = (eng_dtype)((int)dt - ENG_DT_REF_OFFSET);
        cc->feed_info[f].dtype = cc->feed_idx[f] == 0 ? dt : ENG_DT_INVALID;
        cc->feed_info[f].shape.rank = -1;
    }
    for (int f = 0; f < nt; f++)
        if (parse_tensor(cc, "fetch", sp->fetches[f], &cc->fetch_node[f], &cc->fetch_idx[f]))
            return cc->st->code;
    return TSD_OK;
}

eng_plan *eng_plan_compile(eng_session *s, const eng_plan_spec *spec, tsd_status *st)
{
    if (!s || !spec) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "compile: missing session or spec");
        return NULL;
    }
    tsd_status local = TSD_STATUS_INIT;
    if (!st)
        st = &local;
    eng__cc cc;
    memset(&cc, 0, sizeof cc);
    cc.s = s;
    cc.g = s->g;
    cc.spec = spec;
    cc.st = st;
    cc.n = s->g->n;
    cc.cn = calloc(cc.n + 1, sizeof *cc.cn);
    cc.order = malloc((cc.n + 1) * sizeof *cc.order);
    cc.fold_call = eng_call_new();
    cc.p = calloc(1, sizeof *cc.p);
    if (!cc.cn || !cc.order || !cc.fold_call || !cc.p) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory compiling");
        goto fail;
    }
    for (size_t i = 0; i < cc.n; i++) {
        cc.cn[i].n = s->g->nodes[i];
        cc.cn[i].fuse_mm = cc.cn[i].fuse_bias = -1;
    }
    /* Folding runs kernels at compile time; keep what it may build small. */
    eng__call_set_limits(cc.fold_call, (size_t)64 << 20, (size_t)256 << 20);
    cc.p->sess = s;
    cc.p->id = atomic_fetch_add(&next_plan_id, 1);
    pthread_mutex_init(&cc.p->mp_lock, NULL);
    if (parse_spec(&cc) || prune(&cc) || order(&cc) || eng__cc_infer_fold(&cc) ||
        eng__cc_build(&cc))
        goto fail;
    eng_plan *p = cc.p;
    cc.p = NULL;
    p->owned = cc.owned;
    p->nowned = cc.nowned;
    cc.owned = NULL;
    cc.nowned = 0;
    cc_free(&cc);
    return p;
fail:
    if (cc.p)
        eng_plan_free(cc.p);
    cc_free(&cc);
    return NULL;
}

void eng_plan_free(eng_plan *p)
{
    if (!p)
        return;
    eng__memplan_clear(p);
    for (size_t i = 0; i < p->nsteps; i++) {
        eng__step *s = &p->steps[i];
        if (s->op_state)
            (s->free_state ? s->free_state : free)(s->op_state);
        free(s->in);
    }
    for (size_t i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    free(p->owned);
    if (p->feed_names)
        for (int f = 0; f < p->nfeeds; f++)
            free(p->feed_names[f]);
    free(p->feed_names);
    free(p->feed_val);
    free(p->fetch_val);
    free(p->vals);
    free(p->consts);
    free(p->steps);
    eng_graph_free(p->synth);
    pthread_mutex_destroy(&p->mp_lock);
    free(p);
}

eng_dtype eng_plan_feed_dtype(const eng_plan *p, int i)
{
    if (!p || i < 0 || i >= p->nfeeds)
        return ENG_DT_INVALID;
    return p->vals[p->feed_val[i]].dtype;
}

eng_dtype eng_plan_fetch_dtype(const eng_plan *p, int i)
{
    if (!p || i < 0 || i >= p->nfetches)
        return ENG_DT_INVALID;
    return p->vals[p->fetch_val[i]].dtype;
}

eng_shape eng_plan_feed_shape(const eng_plan *p, int i)
{
    eng_shape sh = {.rank = -1};
    if (!p || i < 0 || i >= p->nfeeds)
        return sh;
    return p->vals[p->feed_val[i]].shape;
}

eng_shape eng_plan_fetch_shape(const eng_plan *p, int i)
{
    eng_shape sh = {.rank = -1};
    if (!p || i < 0 || i >= p->nfetches)
        return sh;
    return p->vals[p->fetch_val[i]].shape;
}

int eng_plan_num_feeds(const eng_plan *p)
{
    return p ? p->nfeeds : 0;
}

int eng_plan_num_fetches(const eng_plan *p)
{
    return p ? p->nfetches : 0;
}

size_t eng_plan_num_steps(const eng_plan *p)
{
    return p ? p->nsteps : 0;
}

int32_t eng__plan_num_values(const eng_plan *p)
{
    return p->nvals;
}
