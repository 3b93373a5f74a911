/*
 * warmup.c - replay <version>/assets.extra/tf_serving_warmup_requests (a
 * TFRecord of tensorflow.serving.PredictionLog) against a freshly loaded
 * version before it is published, with TF Serving's limits and wording.
 */
#include "server/warmup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader/tensor_proto.h"
#include "server/input.h"
#include "server/log.h"
#include "server/service.h"
#include "tensorflow_serving/apis/prediction_log.pb-c.h"

#define MAX_WARMUP_RECORDS 1000

/* A srv_resolved for an unpublished model. */
static tsd_code resolve_local(ldr_model *lm, const Tensorflow__Serving__ModelSpec *spec,
                              srv_resolved *r, tsd_status *st)
{
    memset(r, 0, sizeof *r);
    const char *key = spec && spec->signature_name && *spec->signature_name ? spec->signature_name
                                                                            : "serving_default";
    r->handle.model = lm;
    r->sig = ldr_saved_model_find_signature(ldr_model_saved_model(lm), key);
    if (!r->sig)
        return tsd_err(st, TSD_FAILED_PRECONDITION, "Serving signature key \"%s\" not found.", key);
    r->sig_name = r->sig->key;
    r->plan = ldr_model_plan(lm, key, st);
    return r->plan ? TSD_OK : st->code;
}

static tsd_code replay_predict(ldr_model *lm, eng_call *call,
                               const Tensorflow__Serving__PredictRequest *req, tsd_status *st)
{
    srv_resolved r;
    tsd_code c = resolve_local(lm, req->model_spec, &r, st);
    if (c)
        return c;
    size_t n = req->n_inputs;
    const char **names = calloc(n ? n : 1, sizeof *names);
    eng_tensor *ts = calloc(n ? n : 1, sizeof *ts);
    const char **okeys = calloc(r.sig->noutputs ? r.sig->noutputs : 1, sizeof *okeys);
    eng_tensor *outs = calloc(r.sig->noutputs ? r.sig->noutputs : 1, sizeof *outs);
    size_t done = 0, nout = 0;
    if (!names || !ts || !okeys || !outs)
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (; !c && done < n; done++) {
        names[done] = req->inputs[done]->key;
        c = ldr_tensor_from_proto(req->inputs[done]->value, &ts[done], st);
    }
    if (!c)
        c = srv_run_predict(&r, call, names, ts, n, (const char *const *)req->output_filter,
                            req->n_output_filter, okeys, outs, &nout, st);
    for (size_t i = 0; i < done; i++)
        eng_tensor_free_data(&ts[i]);
    free(names);
    free(ts);
    free(okeys);
    free(outs);
    return c;
}

static tsd_code replay_examples(ldr_model *lm, eng_call *call,
                                const Tensorflow__Serving__ModelSpec *spec,
                                const Tensorflow__Serving__Input *in, int classify, tsd_status *st)
{
    srv_resolved r;
    tsd_code c = resolve_local(lm, spec, &r, st);
    if (c)
        return c;
    eng_tensor ex;
    char *storage;
    if ((c = srv_input_to_examples(in, &ex, &storage, st)))
        return c;
    if (classify) {
        srv_classifications cl;
        c = srv_run_classify(&r, call, &ex, &cl, st);
    } else {
        const float *v;
        size_t nv;
        c = srv_run_regress(&r, call, &ex, &v, &nv, st);
    }
    eng_tensor_free_data(&ex);
    free(storage);
    return c;
}

static tsd_code replay(ldr_model *lm, eng_call *call, const Tensorflow__Serving__PredictionLog *pl,
                       tsd_status *st)
{
    switch (pl->log_type_case) {
    case TENSORFLOW__SERVING__PREDICTION_LOG__LOG_TYPE_PREDICT_LOG:
        if (!pl->predict_log->request)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "warmup predict_log without a request");
        return replay_predict(lm, call, pl->predict_log->request, st);
    case TENSORFLOW__SERVING__PREDICTION_LOG__LOG_TYPE_CLASSIFY_LOG:
        if (!pl->classify_log->request)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "warmup classify_log without a request");
        return replay_examples(lm, call, pl->classify_log->request->model_spec,
                               pl->classify_log->request->input, 1, st);
    case TENSORFLOW__SERVING__PREDICTION_LOG__LOG_TYPE_REGRESS_LOG:
        if (!pl->regress_log->request)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "warmup regress_log without a request");
        return replay_examples(lm, call, pl->regress_log->request->model_spec,
                               pl->regress_log->request->input, 0, st);
    case TENSORFLOW__SERVING__PREDICTION_LOG__LOG_TYPE_MULTI_INFERENCE_LOG: {
        const Tensorflow__Serving__MultiInferenceRequest *mr = pl->multi_inference_log->request;
        if (!mr)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "warmup multi_inference_log without a request");
        for (size_t i = 0; i < mr->n_tasks; i++) {
            const char *mn = mr->tasks[i]->method_name;
            int classify = mn && strcmp(mn, "tensorflow/serving/classify") == 0;
            int regress = mn && strcmp(mn, "tensorflow/serving/regress") == 0;
            if (!classify && !regress)
                return tsd_err(st, TSD_UNIMPLEMENTED, "Unsupported signature method_name: %s",
                               mn ? mn : "");
            tsd_code c =
                replay_examples(lm, call, mr->tasks[i]->model_spec, mr->input, classify, st);
            if (c)
                return c;
        }
        return TSD_OK;
    }
    default:
        return tsd_err(st, TSD_UNIMPLEMENTED, "Unsupported log_type for warmup: %d",
                       (int)pl->log_type_case);
    }
}

tsd_code srv_warmup(ldr_model *lm, const char *version_dir, int iterations, int *nrecords,
                    tsd_status *st)
{
    *nrecords = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/assets.extra/tf_serving_warmup_requests", version_dir);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        srv_log(SRV_LOG_DEBUG, "No warmup data file found at %s", path);
        return TSD_OK;
    }
    ldr_tfrecord *rd;
    tsd_code c = ldr_tfrecord_open(path, &rd, st);
    if (c)
        return c;
    eng_call *call = eng_call_new();
    if (!call) {
        ldr_tfrecord_close(rd);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    int reps = iterations > 0 ? iterations : 1;
    for (;;) {
        const uint8_t *data;
        size_t len;
        c = ldr_tfrecord_next(rd, &data, &len, 0, st);
        if (c == TSD_OUT_OF_RANGE) {
            c = TSD_OK;
            tsd_status_clear(st);
            break;
        }
        if (c) {
            if (c == TSD_DATA_LOSS)
                tsd_status_prefix(st, "Please verify your warmup data is in TFRecord format");
            break;
        }
        if (++*nrecords > MAX_WARMUP_RECORDS) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT,
                        "Number of warmup records exceeds the maximum (%d) at %s",
                        MAX_WARMUP_RECORDS, path);
            break;
        }
        Tensorflow__Serving__PredictionLog *pl =
            tensorflow__serving__prediction_log__unpack(NULL, len, data);
        if (!pl) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT, "Failed to parse warmup record: %s", path);
            break;
        }
        for (int i = 0; i < reps && !c; i++)
            c = replay(lm, call, pl, st);
        tensorflow__serving__prediction_log__free_unpacked(pl, NULL);
        if (c) {
            tsd_status_prefix(st, "warmup record %d of %s", *nrecords, path);
            break;
        }
    }
    eng_call_free(call);
    ldr_tfrecord_close(rd);
    return c;
}
