/*
 * grad.c - symbolic gradients (tf.gradients): from y back to each x through
 * the nodes that lie on a path between them, in reverse topological order,
 * summing the gradients that reach one tensor (AddN) and calling each op's
 * gradient function (ops/grads.c), which adds ordinary nodes to the graph.
 * The result is more graph: the trainer compiles forward, backward and the
 * optimizer updates into one plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/graph_int.h"
#include "engine/ops/op.h"

/* Gradients reaching the outputs of one node. */
typedef struct out_grads {
    char ***lists; /* lists[k]: names, count[k] of them */
    int *count;
    int nouts;
} out_grads;

typedef struct gstate {
    eng_graph *g;
    const char *prefix;
    size_t seq;           /* unique node-name counter */
    char strbuf[8][1100]; /* eng_grad_out results (ring) */
    int strnext;
    out_grads *og; /* per node id */
    tsd_status *st;
} gstate;

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Data inputs of n as parsed refs; returns the count (control edges skipped). */
static int data_inputs(const eng_node *n, eng__input_ref *refs, int cap)
{
    int k = 0;
    for (int i = 0; i < n->ninputs && k < cap; i++) {
        eng__input_ref r;
        if (eng__parse_input(n->inputs[i], &r) || r.control)
            continue;
        refs[k++] = r;
    }
    return k;
}

static tsd_code add_grad(gstate *s, const eng_node *n, int k, const char *name)
{
    out_grads *o = &s->og[n->id];
    if (k >= o->nouts) {
        int nn = k + 1;
        char ***l = realloc(o->lists, (size_t)nn * sizeof *l);
        int *c = l ? realloc(o->count, (size_t)nn * sizeof *c) : NULL;
        if (!l || !c) {
            if (l)
                o->lists = l;
            return tsd_err(s->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        for (int j = o->nouts; j < nn; j++) {
            l[j] = NULL;
            c[j] = 0;
        }
        o->lists = l;
        o->count = c;
        o->nouts = nn;
    }
    char **nl = realloc(o->lists[k], (size_t)(o->count[k] + 1) * sizeof *nl);
    char *d = nl ? xstrdup(name) : NULL;
    if (!d) {
        if (nl)
            o->lists[k] = nl;
        return tsd_err(s->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    o->lists[k] = nl;
    nl[o->count[k]++] = d;
    return TSD_OK;
}

/* ---- helpers for gradient functions (op.h) ----------------------------------- */

const char *eng_grad_node(eng_grad_ctx *gc, const char *op, const char *const *ins, int n,
                          eng_dtype t, eng_node **out)
{
    gstate *s = gc->impl;
    char name[1100];
    snprintf(name, sizeof name, "%s/%s_grad/%s_%zu", s->prefix, gc->node->name, op, s->seq++);
    eng_node *nd = NULL;
    if (eng_graph_add_node(gc->g, name, op, ins, n, &nd, gc->st))
        return NULL;
    if (t != ENG_DT_INVALID) {
        eng_attr a = {.kind = ENG_ATTR_TYPE, .type = t};
        if (eng_node_set_attr(gc->g, nd, "T", &a, gc->st))
            return NULL;
    }
    if (out)
        *out = nd;
    return nd->name;
}

const char *eng_grad_out(eng_grad_ctx *gc, const char *node, int k)
{
    gstate *s = gc->impl;
    char *b = s->strbuf[s->strnext++ % 8];
    snprintf(b, sizeof s->strbuf[0], "%s:%d", node, k);
    return b;
}

tsd_code eng_grad_set(eng_grad_ctx *gc, int i, const char *tensor)
{
    if (i < 0 || i >= gc->ninputs)
        return tsd_err(gc->st, TSD_INTERNAL, "gradient for input %d of %d", i, gc->ninputs);
    free(gc->dx[i]);
    gc->dx[i] = tensor ? xstrdup(tensor) : NULL;
    return tensor && !gc->dx[i] ? tsd_err(gc->st, TSD_RESOURCE_EXHAUSTED, "out of memory") : TSD_OK;
}

/* ---- the traversal ------------------------------------------------------------ */

enum { ANC = 1, DESC = 2, DONE = 4 };

/* Sum of the gradients reaching output k of n (NULL if none). */
static const char *sum_grads(gstate *s, eng_grad_ctx *gc, const eng_node *n, int k)
{
    out_grads *o = &s->og[n->id];
    if (k >= o->nouts || o->count[k] == 0)
        return NULL;
    if (o->count[k] == 1)
        return o->lists[k][0];
    eng_node *sum;
    const char *name = eng_grad_node(gc, "AddN", (const char *const *)o->lists[k], o->count[k],
                                     ENG_DT_FLOAT, &sum);
    if (!name)
        return NULL;
    eng_attr na = {.kind = ENG_ATTR_INT, .i = o->count[k]};
    if (eng_node_set_attr(s->g, sum, "N", &na, s->st))
        return NULL;
    for (int j = 0; j < o->count[k]; j++)
        free(o->lists[k][j]);
    o->lists[k][0] = xstrdup(name);
    o->count[k] = 1;
    return o->lists[k][0];
}

tsd_code eng_graph_gradients(eng_graph *g, const char *y, const char *const *xs, int nx,
                             const char *prefix, char **grads, tsd_status *st)
{
    for (int i = 0; i < nx; i++)
        grads[i] = NULL;
    size_t n0 = g->n; /* forward nodes; gradient nodes are added after them */
    unsigned char *mark = calloc(n0 + 1, 1);
    size_t *stack = malloc((n0 + 1) * sizeof *stack), *order = malloc((n0 + 1) * sizeof *order);
    int *nexti = calloc(n0 + 1, sizeof *nexti);
    gstate s = {.g = g, .prefix = prefix ? prefix : "gradients", .st = st};
    s.og = calloc(n0 + 1, sizeof *s.og);
    tsd_code rc = TSD_OK;
    if (!mark || !stack || !order || !nexti || !s.og) {
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    eng__input_ref yr;
    const eng_node *yn = NULL;
    if (!eng__parse_input(y, &yr) && !yr.control)
        yn = eng__graph_find_n(g, yr.name, yr.len);
    if (!yn) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "gradients: no tensor '%s'", y);
        goto out;
    }
    /* DESC: reachable forward from an x. Iterate to a fixpoint over the
     * node list (graphs are small; inputs may come in any order). */
    for (int i = 0; i < nx; i++) {
        eng__input_ref r;
        eng_node *xn = NULL;
        if (!eng__parse_input(xs[i], &r) && !r.control)
            xn = eng__graph_find_n(g, r.name, r.len);
        if (!xn) {
            rc = tsd_err(st, TSD_INVALID_ARGUMENT, "gradients: no tensor '%s'", xs[i]);
            goto out;
        }
        mark[xn->id] |= DESC;
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < n0; i++) {
            const eng_node *n = g->nodes[i];
            if (mark[i] & DESC)
                continue;
            eng__input_ref refs[64];
            int k = data_inputs(n, refs, 64);
            for (int j = 0; j < k; j++) {
                const eng_node *src = eng__graph_find_n(g, refs[j].name, refs[j].len);
                if (src && (mark[src->id] & DESC)) {
                    mark[i] |= DESC;
                    changed = 1;
                    break;
                }
            }
        }
    }
    /* ANC + post-order from y (iterative DFS over data inputs of DESC nodes) */
    size_t sp = 0, no = 0;
    stack[sp++] = yn->id;
    mark[yn->id] |= ANC;
    while (sp) {
        size_t id = stack[sp - 1];
        const eng_node *n = g->nodes[id];
        eng__input_ref refs[64];
        int k = data_inputs(n, refs, 64);
        if (nexti[id] < k) {
            int j = nexti[id]++;
            const eng_node *src = eng__graph_find_n(g, refs[j].name, refs[j].len);
            if (src && (mark[src->id] & DESC) && !(mark[src->id] & ANC)) {
                mark[src->id] |= ANC;
                stack[sp++] = src->id;
            }
            continue;
        }
        order[no++] = id;
        sp--;
    }
    /* seed: dy = OnesLike(y) */
    {
        eng_grad_ctx gc = {.g = g, .node = yn, .impl = &s, .st = st};
        const char *seed = eng_grad_node(&gc, "OnesLike", &y, 1, ENG_DT_FLOAT, NULL);
        if (!seed || add_grad(&s, yn, yr.index, seed)) {
            rc = st->code;
            goto out;
        }
    }
    /* reverse topological order: y first */
    for (size_t oi = no; oi-- > 0;) {
        const eng_node *n = g->nodes[order[oi]];
        if (!(mark[n->id] & DESC))
            continue;
        eng__input_ref refs[64];
        int k = data_inputs(n, refs, 64);
        const char *ins[64];
        char insbuf[64][512];
        int need[64];
        char *dx[64];
        int any_need = 0;
        for (int j = 0; j < k; j++) {
            snprintf(insbuf[j], sizeof insbuf[j], "%.*s:%d", (int)refs[j].len, refs[j].name,
                     refs[j].index);
            ins[j] = insbuf[j];
            const eng_node *src = eng__graph_find_n(g, refs[j].name, refs[j].len);
            need[j] = src && (mark[src->id] & DESC) && (mark[src->id] & ANC);
            any_need |= need[j];
            dx[j] = NULL;
        }
        out_grads *o = &s.og[n->id];
        eng_grad_ctx gc = {.g = g,
                           .node = n,
                           .ninputs = k,
                           .inputs = ins,
                           .need = need,
                           .noutputs = o->nouts,
                           .dx = dx,
                           .impl = &s,
                           .st = st};
        const char *dys[16] = {0};
        int any_dy = 0;
        for (int j = 0; j < o->nouts && j < 16; j++) {
            dys[j] = sum_grads(&s, &gc, n, j);
            if (o->count && j < o->nouts && o->count[j] && !dys[j]) {
                rc = st->code;
                goto out;
            }
            any_dy |= dys[j] != NULL;
        }
        gc.dy = dys;
        if (!any_dy || !any_need)
            continue;
        eng_grad_fn fn = eng_op_grad(n->op);
        if (!fn) {
            rc = tsd_err(st, TSD_UNIMPLEMENTED, "node '%s': op '%s' has no gradient", n->name,
                         n->op);
            goto out;
        }
        rc = fn(&gc);
        if (rc) {
            tsd_status_prefix(st, "gradient of node '%s' (%s)", n->name, n->op);
            for (int j = 0; j < k; j++)
                free(dx[j]);
            goto out;
        }
        for (int j = 0; j < k; j++) {
            if (dx[j] && need[j]) {
                const eng_node *src = eng__graph_find_n(g, refs[j].name, refs[j].len);
                if (add_grad(&s, src, refs[j].index, dx[j])) {
                    rc = st->code;
                    for (int q = j; q < k; q++)
                        free(dx[q]);
                    goto out;
                }
            }
            free(dx[j]);
        }
    }
    /* the gradients of the xs */
    for (int i = 0; i < nx; i++) {
        eng__input_ref r;
        eng__parse_input(xs[i], &r);
        const eng_node *xn = eng__graph_find_n(g, r.name, r.len);
        eng_grad_ctx gc = {.g = g, .node = xn, .impl = &s, .st = st};
        const char *gname = sum_grads(&s, &gc, xn, r.index);
        out_grads *o = &s.og[xn->id];
        if (!gname && r.index < o->nouts && o->count[r.index]) {
            rc = st->code;
            goto out;
        }
        if (gname && !(grads[i] = xstrdup(gname))) {
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            goto out;
        }
    }
out:
    if (s.og) {
        for (size_t i = 0; i < n0 + 1; i++) {
            for (int k = 0; k < s.og[i].nouts; k++) {
                for (int j = 0; j < s.og[i].count[k]; j++)
                    free(s.og[i].lists[k][j]);
                free(s.og[i].lists[k]);
            }
            free(s.og[i].lists);
            free(s.og[i].count);
        }
        free(s.og);
    }
    if (rc)
        for (int i = 0; i < nx; i++) {
            free(grads[i]);
            grads[i] = NULL;
        }
    free(mark);
    free(stack);
    free(order);
    free(nexti);
    return rc;
}
