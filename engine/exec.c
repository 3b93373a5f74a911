/*
 * exec.c - running plans. eng_plan_run checks and binds feeds, picks the
 * memory plan for the call's batch size (cached in the call, so a steady
 * stream of calls takes no lock), runs the flat step array in order and
 * returns fetches pointing into the call's memory. Writer steps run under
 * the session's variable write lock. eng_session_run is compile+run+free.
 */
#include "engine/plan_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * 1 if output k points into an input's buffer in a way the memory plan did
 * not provide for (only ALIAS0's input 0 → output 0 extends the source's
 * lifetime). Such a view could be overwritten when the input's slot is
 * reused, so it is copied instead: a kernel shortcut can never corrupt
 * memory.
 */
static int unplanned_view(const eng_op_def *def, const eng_tensor *in, int nin, const eng_tensor *o,
                          int k)
{
    if (!o->nbytes)
        return 0;
    const char *p = o->data;
    for (int j = 0; j < nin; j++) {
        const char *b = in[j].data;
        if (!b || !in[j].nbytes || p < b || p >= b + in[j].nbytes)
            continue;
        return !((def->flags & ENG_OP_ALIAS0) && k == 0 && j == 0);
    }
    return 0;
}

/* Replace o's buffer with a private copy in the call's dynamic region. */
static tsd_code copy_out(eng_call *c, eng_tensor *o, tsd_status *st)
{
    void *d = eng__call_bump(c, o->nbytes, 64, st);
    if (!d)
        return st ? st->code : TSD_RESOURCE_EXHAUSTED;
    memcpy(d, o->data, o->nbytes);
    o->data = d;
    return TSD_OK;
}

/* Run one kernel with outputs cleared and checked afterwards. */
static tsd_code run_step(eng_session *s, const eng_op_def *def, const eng_node *n,
                         const void *op_state, const eng_tensor *in, int nin, eng_tensor *out,
                         int nout, eng_call *c, const eng__memplan *mp, int32_t out_base,
                         tsd_status *st)
{
    eng__kimpl im = {.call = c, .mp = mp, .out_base = mp ? out_base : -1, .flags = def->flags};
    eng_kctx ctx = {.node = n,
                    .ninputs = nin,
                    .inputs = in,
                    .noutputs = nout,
                    .outputs = out,
                    .op_state = op_state,
                    .sess = s,
                    .impl = &im,
                    .st = st};
    if (nout)
        memset(out, 0, (size_t)nout * sizeof *out);
    tsd_code rc = def->compute(&ctx);
    if (rc) {
        if (st && st->code == TSD_OK)
            tsd_err(st, rc, "kernel failed");
        return rc;
    }
    for (int k = 0; k < nout; k++) {
        if (out[k].dtype == ENG_DT_INVALID || (!out[k].data && out[k].nbytes))
            return tsd_err(st, TSD_INTERNAL, "kernel did not produce output %d", k);
        if (unplanned_view(def, in, nin, &out[k], k) && copy_out(c, &out[k], st))
            return st ? st->code : TSD_RESOURCE_EXHAUSTED;
    }
    return TSD_OK;
}

tsd_code eng__run_kernel(eng_session *s, const eng_op_def *def, const eng_node *n,
                         const void *op_state, const eng_tensor *in, int nin, eng_tensor *out,
                         int nout, eng_call *c, tsd_status *st)
{
    return run_step(s, def, n, op_state, in, nin, out, nout, c, NULL, -1, st);
}

/* Grow-only per-call arrays. */
static tsd_code ensure_arrays(eng_call *c, const eng_plan *p, tsd_status *st)
{
    size_t nv = (size_t)p->nvals + 1;
    if (c->vals_cap < nv) {
        eng_tensor *v = malloc(nv * sizeof *v);
        if (!v)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory for call values");
        c->nmallocs++;
        free(c->vals);
        c->vals = v;
        c->vals_cap = nv;
    }
    size_t ni = (size_t)p->max_in + 1;
    if (c->tmp_in_cap < ni) {
        eng_tensor *v = malloc(ni * sizeof *v);
        if (!v)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory for call inputs");
        c->nmallocs++;
        free(c->tmp_in);
        c->tmp_in = v;
        c->tmp_in_cap = ni;
    }
    return TSD_OK;
}

static tsd_code bind_feeds(const eng_plan *p, const eng_tensor *feeds, int64_t *batch,
                           tsd_status *st)
{
    const char *model = p->sess->name;
    *batch = -1;
    for (int f = 0; f < p->nfeeds; f++) {
        const eng_tensor *t = &feeds[f];
        const eng__value *v = &p->vals[p->feed_val[f]];
        if (v->dtype != ENG_DT_INVALID && t->dtype != v->dtype)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "model %s: input '%s': expected dtype %s but got %s", model,
                           p->feed_names[f], eng_dtype_name(v->dtype), eng_dtype_name(t->dtype));
        if (eng__tensor_check(t, st))
            return tsd_status_prefix(st, "model %s: input '%s'", model, p->feed_names[f]);
        /* Shapes are the kernels' business (as in TensorFlow); the memory
         * plan stays safe when they differ from the inferred ones. */
        if (*batch < 0 && t->rank >= 1 && v->shape.rank >= 1 && v->shape.dims[0] == ENG_DIM_BATCH)
            *batch = t->dims[0];
    }
    return TSD_OK;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void eng_call_set_timeout(eng_call *c, int64_t timeout_ms)
{
    if (c)
        c->deadline_ns = timeout_ms > 0 ? now_ns() + timeout_ms * 1000000 : 0;
}

int64_t eng_call_deadline(const eng_call *c)
{
    return c ? c->deadline_ns : 0;
}

void eng_call_set_deadline(eng_call *c, int64_t deadline_ns)
{
    if (c)
        c->deadline_ns = deadline_ns > 0 ? deadline_ns : 0;
}

tsd_code eng_plan_run(const eng_plan *cp, eng_call *c, const eng_tensor *feeds, eng_tensor *outs,
                      tsd_status *st)
{
    eng_plan *p = (eng_plan *)cp; /* only the memory-plan cache is mutated, under its lock */
    if (!p || !c || (p->nfeeds && !feeds) || (p->nfetches && !outs))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "run: missing plan, call, feeds or outputs");
    const char *model = p->sess->name;
    int64_t batch;
    if (bind_feeds(p, feeds, &batch, st))
        return st ? st->code : TSD_INVALID_ARGUMENT;
    if (!c->mp || c->mp_plan != p->id || c->mp->batch != batch) {
        eng__memplan *mp;
        if (eng__memplan_get(p, batch, &mp, st))
            return tsd_status_prefix(st, "model %s", model);
        if (c->mp)
            eng__memplan_unref(c->mp);
        c->mp = mp;
        c->mp_plan = p->id;
    }
    const eng__memplan *mp = c->mp;
    if (eng__call_reserve(c, mp->total, st) || ensure_arrays(c, p, st))
        return tsd_status_prefix(st, "model %s", model);
    eng__call_reset(c);
    for (int f = 0; f < p->nfeeds; f++)
        c->vals[p->feed_val[f]] = feeds[f];
    if (p->nconsts)
        memcpy(&c->vals[p->const_base], p->consts, (size_t)p->nconsts * sizeof *p->consts);
    for (size_t s = 0; s < p->nsteps; s++) {
        const eng__step *stp = &p->steps[s];
        /* deadline: checked between steps (every 16 to keep the clock off
         * the hot path of long cheap plans) */
        if (c->deadline_ns && (s & 15) == 0 && now_ns() > c->deadline_ns)
            return tsd_err(st, TSD_DEADLINE_EXCEEDED, "model %s: Deadline Exceeded", model);
        for (int k = 0; k < stp->ninputs; k++)
            c->tmp_in[k] = c->vals[stp->in[k]];
        if (stp->writer)
            eng__session_lock_write(p->sess);
        tsd_code rc = run_step(p->sess, stp->def, stp->node, stp->op_state, c->tmp_in, stp->ninputs,
                               &c->vals[stp->out_base], stp->noutputs, c, mp, stp->out_base, st);
        if (stp->writer)
            eng__session_unlock_write(p->sess);
        if (rc)
            return tsd_status_prefix(st, "model %s: node '%s'", model, stp->node->name);
    }
    for (int f = 0; f < p->nfetches; f++)
        outs[f] = c->vals[p->fetch_val[f]];
    return TSD_OK;
}

tsd_code eng_session_run(eng_session *s, const eng_plan_spec *spec, const eng_tensor *feeds,
                         tsd_status *st)
{
    eng_plan *p = eng_plan_compile(s, spec, st);
    if (!p)
        return st ? st->code : TSD_INVALID_ARGUMENT;
    eng_call *c = eng_call_new();
    tsd_code rc;
    if (!c) {
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory creating a call");
    } else {
        eng_tensor *outs = calloc((size_t)spec->nfetches + 1, sizeof *outs);
        rc = outs ? eng_plan_run(p, c, feeds, outs, st)
                  : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory running");
        free(outs);
    }
    eng_call_free(c);
    eng_plan_free(p);
    return rc;
}
