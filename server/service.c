/*
 * service.c - protocol-free predict / classify / regress over the model
 * manager, with TF Serving's validation and error wording (see service.h).
 */
#include "server/service.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SIGNATURE "serving_default"

tsd_code srv_resolve(srv_manager *mgr, const srv_spec *spec, srv_resolved *r, tsd_status *st)
{
    memset(r, 0, sizeof *r);
    if (!spec->name || !*spec->name)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "ModelSpec has no name specified.");
    tsd_code c = srv_manager_acquire(mgr, spec->name, spec->has_version, spec->version, spec->label,
                                     &r->handle, st);
    if (c)
        return c;
    const char *key =
        spec->signature_name && *spec->signature_name ? spec->signature_name : DEFAULT_SIGNATURE;
    const ldr_saved_model *sm = ldr_model_saved_model(r->handle.model);
    r->sig = ldr_saved_model_find_signature(sm, key);
    if (!r->sig) {
        srv_resolved_release(r);
        return tsd_err(st, TSD_FAILED_PRECONDITION, "Serving signature key \"%s\" not found.", key);
    }
    r->sig_name = r->sig->key;
    r->batcher = r->handle.batching ? srv_manager_batcher(mgr) : NULL;
    tsd_status pst = TSD_STATUS_INIT;
    r->plan = ldr_model_plan(r->handle.model, r->sig->key, &pst);
    if (!r->plan) {
        srv_resolved_release(r);
        return tsd_err(st, TSD_FAILED_PRECONDITION, "Serving signature key \"%s\" not found.", key);
    }
    return TSD_OK;
}

void srv_resolved_release(srv_resolved *r)
{
    srv_handle_release(&r->handle);
    r->sig = NULL;
    r->plan = NULL;
}

/* Run the resolved plan, through the batcher when the version is batched. */
static tsd_code run_plan(const srv_resolved *r, eng_call *call, const eng_tensor *feeds,
                         eng_tensor *outs, tsd_status *st)
{
    if (r->batcher) {
        srv_batch_target t = {r->plan, r->handle.batching, r->handle.model_name, r->sig_name};
        return srv_batcher_run(r->batcher, &t, call, feeds, outs, st);
    }
    return eng_plan_run(r->plan, call, feeds, outs, st);
}

int srv_input_index(const srv_resolved *r, const char *key)
{
    for (size_t i = 0; i < r->sig->ninputs; i++)
        if (strcmp(r->sig->inputs[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* "{a,b}" of the keys of a tensor-info list. */
static void join_keys(char *buf, size_t cap, const ldr_tensor_info *ti, size_t n)
{
    size_t off = (size_t)snprintf(buf, cap, "{");
    for (size_t i = 0; i < n && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%s", i ? "," : "", ti[i].key);
    if (off < cap)
        snprintf(buf + off, cap - off, "}");
}

static tsd_code input_mismatch(const srv_resolved *r, const char *const *names, size_t n,
                               tsd_status *st)
{
    char sent[256] = "{", extra[256] = "{", missing[256] = "{", want[256];
    size_t so = 1, eo = 1, mo = 1;
    for (size_t i = 0; i < n; i++) {
        so += (size_t)snprintf(sent + so, so < sizeof sent ? sizeof sent - so : 0, "%s%s",
                               i ? "," : "", names[i]);
        if (srv_input_index(r, names[i]) < 0)
            eo += (size_t)snprintf(extra + eo, eo < sizeof extra ? sizeof extra - eo : 0, "%s%s",
                                   eo > 1 ? "," : "", names[i]);
    }
    for (size_t k = 0; k < r->sig->ninputs; k++) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(names[i], r->sig->inputs[k].key) == 0)
                found = 1;
        if (!found)
            mo += (size_t)snprintf(missing + mo, mo < sizeof missing ? sizeof missing - mo : 0,
                                   "%s%s", mo > 1 ? "," : "", r->sig->inputs[k].key);
    }
    snprintf(sent + (so < sizeof sent ? so : sizeof sent - 2), 2, "}");
    snprintf(extra + (eo < sizeof extra ? eo : sizeof extra - 2), 2, "}");
    snprintf(missing + (mo < sizeof missing ? mo : sizeof missing - 2), 2, "}");
    join_keys(want, sizeof want, r->sig->inputs, r->sig->ninputs);
    return tsd_err(st, TSD_INVALID_ARGUMENT,
                   "input size does not match signature: %zu!=%zu len(%s) != len(%s). Sent "
                   "extra: %s. Missing but required: %s.",
                   n, r->sig->ninputs, sent, want, extra, missing);
}

tsd_code srv_run_predict(const srv_resolved *r, eng_call *call, const char *const *names,
                         const eng_tensor *inputs, size_t n, const char *const *filter,
                         size_t nfilter, const char **out_keys, eng_tensor *outs, size_t *nout,
                         tsd_status *st)
{
    const ldr_signature *sig = r->sig;
    if (n != sig->ninputs)
        return input_mismatch(r, names, n, st);
    eng_tensor feeds_stack[16];
    eng_tensor *feeds = sig->ninputs <= 16 ? feeds_stack : NULL;
    eng_tensor fetch_stack[32];
    eng_tensor *fetched = sig->noutputs <= 32 ? fetch_stack : NULL;
    if (!feeds || !fetched)
        return tsd_err(st, TSD_UNIMPLEMENTED, "signature '%s' has too many inputs or outputs",
                       sig->key);
    for (size_t k = 0; k < sig->ninputs; k++) {
        size_t i = 0;
        while (i < n && strcmp(names[i], sig->inputs[k].key) != 0)
            i++;
        if (i == n)
            return input_mismatch(r, names, n, st);
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) == 0)
                return input_mismatch(r, names, n, st);
        feeds[k] = inputs[i];
    }
    /* Validate the filter before running. */
    for (size_t f = 0; f < nfilter; f++) {
        int found = 0;
        for (size_t k = 0; k < sig->noutputs; k++)
            if (strcmp(filter[f], sig->outputs[k].key) == 0)
                found = 1;
        if (!found) {
            char want[512];
            join_keys(want, sizeof want, sig->outputs, sig->noutputs);
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "output tensor alias not found in signature: %s Outputs expected to "
                           "be in the set %s.",
                           filter[f], want);
        }
        for (size_t g = 0; g < f; g++)
            if (strcmp(filter[f], filter[g]) == 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "duplicate output tensor alias: %s",
                               filter[f]);
    }
    tsd_code c = run_plan(r, call, feeds, fetched, st);
    if (c)
        return c;
    size_t k2 = 0;
    for (size_t k = 0; k < sig->noutputs; k++) {
        int keep = nfilter == 0;
        for (size_t f = 0; f < nfilter && !keep; f++)
            if (strcmp(filter[f], sig->outputs[k].key) == 0)
                keep = 1;
        if (!keep)
            continue;
        out_keys[k2] = sig->outputs[k].key;
        outs[k2] = fetched[k];
        k2++;
    }
    *nout = k2;
    return TSD_OK;
}

/* Feed serialized examples to a one-input signature and fetch all outputs. */
static tsd_code run_examples(const srv_resolved *r, eng_call *call, const eng_tensor *examples,
                             eng_tensor *fetched, tsd_status *st)
{
    if (r->sig->ninputs != 1)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Expected one input Tensor.");
    if (examples->rank != 1 || examples->dims[0] == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Input is empty.");
    if (eng_plan_feed_dtype(r->plan, 0) != ENG_DT_STRING)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "signature '%s': input '%s' is not a string tensor of serialized "
                       "tf.Examples",
                       r->sig->key, r->sig->inputs[0].key);
    return run_plan(r, call, examples, fetched, st);
}

static int output_index(const ldr_signature *sig, const char *key)
{
    for (size_t k = 0; k < sig->noutputs; k++)
        if (strcmp(sig->outputs[k].key, key) == 0)
            return (int)k;
    return -1;
}

tsd_code srv_run_classify(const srv_resolved *r, eng_call *call, const eng_tensor *examples,
                          srv_classifications *res, tsd_status *st)
{
    memset(res, 0, sizeof *res);
    const ldr_signature *sig = r->sig;
    int ic = output_index(sig, "classes"), is = output_index(sig, "scores");
    if (sig->ninputs != 1)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Expected one input Tensor.");
    if (ic < 0 && is < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Expected classification signature outputs to contain at least one of "
                       "\"classes\" or \"scores\".");
    eng_tensor fetched[32];
    if (sig->noutputs > 32)
        return tsd_err(st, TSD_UNIMPLEMENTED, "too many outputs");
    tsd_code c = run_examples(r, call, examples, fetched, st);
    if (c)
        return c;
    int64_t b = examples->dims[0];
    int64_t ncls = -1;
    if (ic >= 0) {
        const eng_tensor *t = &fetched[ic];
        if (t->dtype != ENG_DT_STRING)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Expected classes Tensor of DT_STRING. Got: %s",
                           eng_dtype_name(t->dtype));
        if (t->rank != 2 || t->dims[0] != b)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Expected Tensor shape: [batch_size num_classes] but got rank %d",
                           (int)t->rank);
        ncls = t->dims[1];
        res->labels = t->data;
    }
    if (is >= 0) {
        const eng_tensor *t = &fetched[is];
        if (t->dtype != ENG_DT_FLOAT)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Expected scores Tensor of DT_FLOAT. Got: %s",
                           eng_dtype_name(t->dtype));
        if (t->rank != 2 || t->dims[0] != b)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Expected Tensor shape: [batch_size num_classes] but got rank %d",
                           (int)t->rank);
        if (ncls >= 0 && t->dims[1] != ncls)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Tensors class and score should match in dim[1]. Got %" PRId64
                           " vs. %" PRId64,
                           ncls, t->dims[1]);
        ncls = t->dims[1];
        res->scores = t->data;
    }
    res->nexamples = (size_t)b;
    res->nclasses = (size_t)ncls;
    return TSD_OK;
}

tsd_code srv_run_regress(const srv_resolved *r, eng_call *call, const eng_tensor *examples,
                         const float **values, size_t *n, tsd_status *st)
{
    const ldr_signature *sig = r->sig;
    int io = output_index(sig, "outputs");
    if (sig->ninputs != 1)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Expected one input Tensor.");
    if (io < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "No regression outputs found in SignatureDef.");
    eng_tensor fetched[32];
    if (sig->noutputs > 32)
        return tsd_err(st, TSD_UNIMPLEMENTED, "too many outputs");
    tsd_code c = run_examples(r, call, examples, fetched, st);
    if (c)
        return c;
    const eng_tensor *t = &fetched[io];
    int64_t b = examples->dims[0];
    if (t->dtype != ENG_DT_FLOAT)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Expected output Tensor of DT_FLOAT. Got: %s",
                       eng_dtype_name(t->dtype));
    if (!((t->rank == 1 && t->dims[0] == b) ||
          (t->rank == 2 && t->dims[0] == b && t->dims[1] == 1)))
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Expected output Tensor shape to be either [batch_size] or [batch_size, "
                       "1] but got rank %d",
                       (int)t->rank);
    *values = t->data;
    *n = (size_t)b;
    return TSD_OK;
}
