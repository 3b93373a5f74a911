/*
 * grpc_methods.c - the gRPC method handlers: tensorflow.serving
 * PredictionService and ModelService and grpc.health.v1.Health. Each
 * handler unpacks nothing and sends nothing itself: it receives the decoded
 * request, calls the protocol-free service layer, and fills a response
 * built in a per-call pool. Errors use TF Serving's codes and wording.
 */
#include "server/grpc_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/tensor_proto.h"
#include "server/config.h"
#include "server/input.h"
#include "server/service.h"

/* ---- the per-call pool ---------------------------------------------------- */

void *srv_pool_alloc(srv_pool *p, size_t n)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 32;
        void **nb = realloc(p->blocks, nc * sizeof *nb);
        if (!nb)
            return NULL;
        p->blocks = nb;
        p->cap = nc;
    }
    void *b = calloc(1, n ? n : 1);
    if (b)
        p->blocks[p->n++] = b;
    return b;
}

char *srv_pool_strdup(srv_pool *p, const char *s)
{
    size_t n = strlen(s);
    char *d = srv_pool_alloc(p, n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

void srv_pool_free(srv_pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->blocks[i]);
    free(p->blocks);
    for (size_t i = 0; i < p->nmsgs; i++)
        protobuf_c_message_free_unpacked(p->msgs[i], NULL);
    free(p->msgs);
    memset(p, 0, sizeof *p);
}

/* Keep a protobuf-c message (allocated by protobuf-c) until the pool dies. */
static int pool_keep_msg(srv_pool *p, ProtobufCMessage *m)
{
    ProtobufCMessage **nm = realloc(p->msgs, (p->nmsgs + 1) * sizeof *nm);
    if (!nm)
        return -1;
    p->msgs = nm;
    p->msgs[p->nmsgs++] = m;
    return 0;
}

#define OOM(st) tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory")

/* ---- model specs ------------------------------------------------------------ */

static tsd_code spec_from_proto(const Tensorflow__Serving__ModelSpec *ms, srv_spec *spec,
                                tsd_status *st)
{
    memset(spec, 0, sizeof *spec);
    if (!ms)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Missing ModelSpec");
    if (!ms->name || !*ms->name)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "ModelSpec has no name specified.");
    spec->name = ms->name;
    spec->signature_name = ms->signature_name;
    if (ms->version_choice_case == TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION &&
        ms->version) {
        spec->has_version = 1;
        spec->version = ms->version->value;
    } else if (ms->version_choice_case ==
               TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION_LABEL) {
        spec->label = ms->version_label;
    }
    return TSD_OK;
}

/* The echoed ModelSpec: name, resolved signature, version served. */
static Tensorflow__Serving__ModelSpec *spec_echo(srv_pool *p, const char *name, const char *sig,
                                                 int64_t version)
{
    Tensorflow__Serving__ModelSpec *ms = srv_pool_alloc(p, sizeof *ms);
    Google__Protobuf__Int64Value *v = srv_pool_alloc(p, sizeof *v);
    if (!ms || !v)
        return NULL;
    tensorflow__serving__model_spec__init(ms);
    google__protobuf__int64_value__init(v);
    ms->name = srv_pool_strdup(p, name);
    ms->signature_name = srv_pool_strdup(p, sig ? sig : "");
    v->value = version;
    ms->version_choice_case = TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION;
    ms->version = v;
    return ms->name && ms->signature_name ? ms : NULL;
}

/* ---- request size -------------------------------------------------------------- */

/*
 * Count the elements input `name` declares by its shape into *total and fail
 * once *total passes max (--max_request_elements, REST's wording), before
 * anything is allocated: a short value list repeats its last value, so a few
 * bytes can declare a huge tensor. Shapes the decoder rejects anyway
 * (unknown or negative dimensions) are left to it.
 */
static tsd_code count_elements(const char *name, const Tensorflow__TensorProto *tp, int64_t max,
                               int64_t *total, tsd_status *st)
{
    eng_shape shape;
    tsd_status ignored = TSD_STATUS_INIT;
    if (max <= 0 || !tp || ldr_shape_from_proto(tp->tensor_shape, &shape, &ignored) != TSD_OK ||
        shape.rank < 0)
        return TSD_OK;
    for (int i = 0; i < shape.rank; i++)
        if (shape.dims[i] < 0)
            return TSD_OK;
    int64_t n = 1;
    for (int i = 0; i < shape.rank; i++) {
        if (shape.dims[i] != 0 && n > max / shape.dims[i])
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "input '%s': tensor has more than %" PRId64 " elements", name, max);
        n *= shape.dims[i];
    }
    if (n > max - *total)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "input '%s': the request's input tensors have more than %" PRId64
                       " elements",
                       name, max);
    *total += n;
    return TSD_OK;
}

/* Number of examples in a tensorflow.serving.Input (0 if none). */
static size_t num_examples(const Tensorflow__Serving__Input *in)
{
    if (in && in->kind_case == TENSORFLOW__SERVING__INPUT__KIND_EXAMPLE_LIST && in->example_list)
        return in->example_list->n_examples;
    if (in && in->kind_case == TENSORFLOW__SERVING__INPUT__KIND_EXAMPLE_LIST_WITH_CONTEXT &&
        in->example_list_with_context)
        return in->example_list_with_context->n_examples;
    return 0;
}

/* ---- Predict ---------------------------------------------------------------- */

tsd_code srv_grpc_predict(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                          srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__PredictRequest *req = (const void *)msg;
    srv_spec spec;
    tsd_code c = spec_from_proto(req->model_spec, &spec, st);
    if (c)
        return c;
    g->model_name = spec.name;
    srv_resolved r;
    if ((c = srv_resolve(g->mgr, &spec, &r, st)))
        return c;
    g->version = r.handle.version;
    size_t n = req->n_inputs, nsig = r.sig->noutputs;
    const char **names = srv_pool_alloc(p, (n + 1) * sizeof *names);
    eng_tensor *ts = srv_pool_alloc(p, (n + 1) * sizeof *ts);
    const char **okeys = srv_pool_alloc(p, (nsig + 1) * sizeof *okeys);
    eng_tensor *outs = srv_pool_alloc(p, (nsig + 1) * sizeof *outs);
    size_t done = 0, nout = 0;
    if (!names || !ts || !okeys || !outs)
        c = OOM(st);
    int64_t total = 0;
    for (size_t i = 0; !c && i < n; i++)
        c = count_elements(req->inputs[i]->key, req->inputs[i]->value, g->max_elements, &total, st);
    for (; !c && done < n; done++) {
        names[done] = req->inputs[done]->key;
        if (!req->inputs[done]->value) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT, "input '%s' has no tensor", names[done]);
            break;
        }
        c = ldr_tensor_from_proto(req->inputs[done]->value, &ts[done], st);
        if (c)
            tsd_status_prefix(st, "input '%s'", names[done]);
    }
    if (!c)
        c = srv_run_predict(&r, g->call, names, ts, n, (const char *const *)req->output_filter,
                            req->n_output_filter, okeys, outs, &nout, st);
    Tensorflow__Serving__PredictResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (!c && !resp)
        c = OOM(st);
    if (!c) {
        tensorflow__serving__predict_response__init(resp);
        resp->outputs = srv_pool_alloc(p, (nout + 1) * sizeof *resp->outputs);
        resp->model_spec = spec_echo(p, spec.name, r.sig_name, r.handle.version);
        if (!resp->outputs || !resp->model_spec)
            c = OOM(st);
        for (size_t i = 0; !c && i < nout; i++) {
            Tensorflow__Serving__PredictResponse__OutputsEntry *e = srv_pool_alloc(p, sizeof *e);
            Tensorflow__TensorProto *tp = NULL;
            if (!e)
                c = OOM(st);
            else
                c = ldr_tensor_to_proto(&outs[i], g->tensor_content, &tp, st);
            if (!c && pool_keep_msg(p, &tp->base) != 0) {
                tensorflow__tensor_proto__free_unpacked(tp, NULL);
                c = OOM(st);
            }
            if (c)
                break;
            tensorflow__serving__predict_response__outputs_entry__init(e);
            e->key = (char *)okeys[i];
            e->value = tp;
            resp->outputs[resp->n_outputs++] = e;
        }
    }
    for (size_t i = 0; i < done; i++)
        eng_tensor_free_data(&ts[i]);
    /* Responses reference keys in the signature: pack before releasing. */
    if (!c)
        c = srv_grpc_pack(&resp->base, g, st);
    srv_resolved_release(&r);
    *out = NULL;
    return c;
}

/* ---- Classify / Regress ------------------------------------------------------- */

static tsd_code classify_result(srv_pool *p, const srv_classifications *cl,
                                Tensorflow__Serving__ClassificationResult **out, tsd_status *st)
{
    Tensorflow__Serving__ClassificationResult *res = srv_pool_alloc(p, sizeof *res);
    if (!res)
        return OOM(st);
    tensorflow__serving__classification_result__init(res);
    res->classifications = srv_pool_alloc(p, (cl->nexamples + 1) * sizeof *res->classifications);
    if (!res->classifications)
        return OOM(st);
    for (size_t e = 0; e < cl->nexamples; e++) {
        Tensorflow__Serving__Classifications *cs = srv_pool_alloc(p, sizeof *cs);
        if (!cs)
            return OOM(st);
        tensorflow__serving__classifications__init(cs);
        cs->classes = srv_pool_alloc(p, (cl->nclasses + 1) * sizeof *cs->classes);
        if (!cs->classes)
            return OOM(st);
        for (size_t k = 0; k < cl->nclasses; k++) {
            size_t i = e * cl->nclasses + k;
            Tensorflow__Serving__Class *cls = srv_pool_alloc(p, sizeof *cls);
            if (!cls)
                return OOM(st);
            tensorflow__serving__class__init(cls);
            if (cl->labels) {
                char *l = srv_pool_alloc(p, cl->labels[i].len + 1);
                if (!l)
                    return OOM(st);
                memcpy(l, cl->labels[i].ptr, cl->labels[i].len);
                cls->label = l;
            }
            cls->score = cl->scores ? cl->scores[i] : 0.0f;
            cs->classes[cs->n_classes++] = cls;
        }
        res->classifications[res->n_classifications++] = cs;
    }
    *out = res;
    return TSD_OK;
}

static tsd_code regress_result(srv_pool *p, const float *v, size_t n,
                               Tensorflow__Serving__RegressionResult **out, tsd_status *st)
{
    Tensorflow__Serving__RegressionResult *res = srv_pool_alloc(p, sizeof *res);
    if (!res)
        return OOM(st);
    tensorflow__serving__regression_result__init(res);
    res->regressions = srv_pool_alloc(p, (n + 1) * sizeof *res->regressions);
    if (!res->regressions)
        return OOM(st);
    for (size_t i = 0; i < n; i++) {
        Tensorflow__Serving__Regression *rg = srv_pool_alloc(p, sizeof *rg);
        if (!rg)
            return OOM(st);
        tensorflow__serving__regression__init(rg);
        rg->value = v[i];
        res->regressions[res->n_regressions++] = rg;
    }
    *out = res;
    return TSD_OK;
}

/* Run one classify or regress over serialized examples. */
static tsd_code run_examples(srv_grpc_ctx *g, const srv_spec *spec,
                             const Tensorflow__Serving__Input *in, int classify, srv_pool *p,
                             Tensorflow__Serving__ClassificationResult **cres,
                             Tensorflow__Serving__RegressionResult **rres,
                             Tensorflow__Serving__ModelSpec **echo, tsd_status *st)
{
    srv_resolved r;
    tsd_code c = srv_resolve(g->mgr, spec, &r, st);
    if (c)
        return c;
    g->version = r.handle.version;
    eng_tensor ex;
    char *storage = NULL;
    size_t nex = num_examples(in);
    if (g->max_elements > 0 && nex > (uint64_t)g->max_elements)
        c = tsd_err(st, TSD_INVALID_ARGUMENT,
                    "input examples: tensor has more than %" PRId64 " elements", g->max_elements);
    else
        c = srv_input_to_examples(in, &ex, &storage, st);
    if (!c) {
        if (classify) {
            srv_classifications cl;
            c = srv_run_classify(&r, g->call, &ex, &cl, st);
            if (!c)
                c = classify_result(p, &cl, cres, st);
        } else {
            const float *v;
            size_t n;
            c = srv_run_regress(&r, g->call, &ex, &v, &n, st);
            if (!c)
                c = regress_result(p, v, n, rres, st);
        }
        eng_tensor_free_data(&ex);
        free(storage);
    }
    if (!c) {
        *echo = spec_echo(p, spec->name, r.sig_name, r.handle.version);
        if (!*echo)
            c = OOM(st);
    }
    srv_resolved_release(&r);
    return c;
}

tsd_code srv_grpc_classify(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                           srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__ClassificationRequest *req = (const void *)msg;
    srv_spec spec;
    tsd_code c = spec_from_proto(req->model_spec, &spec, st);
    if (c)
        return c;
    g->model_name = spec.name;
    Tensorflow__Serving__ClassificationResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (!resp)
        return OOM(st);
    tensorflow__serving__classification_response__init(resp);
    c = run_examples(g, &spec, req->input, 1, p, &resp->result, NULL, &resp->model_spec, st);
    *out = c ? NULL : &resp->base;
    return c;
}

tsd_code srv_grpc_regress(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                          srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__RegressionRequest *req = (const void *)msg;
    srv_spec spec;
    tsd_code c = spec_from_proto(req->model_spec, &spec, st);
    if (c)
        return c;
    g->model_name = spec.name;
    Tensorflow__Serving__RegressionResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (!resp)
        return OOM(st);
    tensorflow__serving__regression_response__init(resp);
    c = run_examples(g, &spec, req->input, 0, p, NULL, &resp->result, &resp->model_spec, st);
    *out = c ? NULL : &resp->base;
    return c;
}

tsd_code srv_grpc_multi_inference(srv_grpc_ctx *g, const ProtobufCMessage *msg,
                                  ProtobufCMessage **out, srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__MultiInferenceRequest *req = (const void *)msg;
    if (req->n_tasks == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Tasks field is empty");
    const char *model = NULL;
    for (size_t i = 0; i < req->n_tasks; i++) {
        const Tensorflow__Serving__InferenceTask *t = req->tasks[i];
        srv_spec spec;
        tsd_code c = spec_from_proto(t->model_spec, &spec, st);
        if (c)
            return c;
        if (model && strcmp(model, spec.name) != 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "All ModelSpecs in a MultiInferenceRequest must access the same model "
                           "name.");
        model = spec.name;
        const char *sig =
            spec.signature_name && *spec.signature_name ? spec.signature_name : "serving_default";
        for (size_t j = 0; j < i; j++) {
            const char *o = req->tasks[j]->model_spec->signature_name;
            if (strcmp(o && *o ? o : "serving_default", sig) == 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "Duplicate evaluation of signature: %s",
                               sig);
        }
        if (!t->method_name || (strcmp(t->method_name, "tensorflow/serving/classify") &&
                                strcmp(t->method_name, "tensorflow/serving/regress")))
            return tsd_err(st, TSD_UNIMPLEMENTED, "Unsupported signature method_name: %s",
                           t->method_name ? t->method_name : "");
    }
    g->model_name = model;
    Tensorflow__Serving__MultiInferenceResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (!resp)
        return OOM(st);
    tensorflow__serving__multi_inference_response__init(resp);
    resp->results = srv_pool_alloc(p, req->n_tasks * sizeof *resp->results);
    if (!resp->results)
        return OOM(st);
    for (size_t i = 0; i < req->n_tasks; i++) {
        const Tensorflow__Serving__InferenceTask *t = req->tasks[i];
        srv_spec spec;
        spec_from_proto(t->model_spec, &spec, st);
        int classify = strcmp(t->method_name, "tensorflow/serving/classify") == 0;
        Tensorflow__Serving__InferenceResult *ir = srv_pool_alloc(p, sizeof *ir);
        if (!ir)
            return OOM(st);
        tensorflow__serving__inference_result__init(ir);
        Tensorflow__Serving__ClassificationResult *cr = NULL;
        Tensorflow__Serving__RegressionResult *rr = NULL;
        tsd_code c = run_examples(g, &spec, req->input, classify, p, &cr, &rr, &ir->model_spec, st);
        if (c)
            return c;
        if (classify) {
            ir->result_case = TENSORFLOW__SERVING__INFERENCE_RESULT__RESULT_CLASSIFICATION_RESULT;
            ir->classification_result = cr;
        } else {
            ir->result_case = TENSORFLOW__SERVING__INFERENCE_RESULT__RESULT_REGRESSION_RESULT;
            ir->regression_result = rr;
        }
        resp->results[resp->n_results++] = ir;
    }
    *out = &resp->base;
    return TSD_OK;
}

/* ---- metadata ------------------------------------------------------------------ */

static Tensorflow__TensorInfo *tensor_info(srv_pool *p, const ldr_tensor_info *ti)
{
    Tensorflow__TensorInfo *t = srv_pool_alloc(p, sizeof *t);
    Tensorflow__TensorShapeProto *sh = srv_pool_alloc(p, sizeof *sh);
    if (!t || !sh)
        return NULL;
    tensorflow__tensor_info__init(t);
    tensorflow__tensor_shape_proto__init(sh);
    t->dtype = (Tensorflow__DataType)ti->dtype;
    if (ti->shape.rank < 0) {
        sh->unknown_rank = 1;
    } else {
        sh->dim = srv_pool_alloc(p, ((size_t)ti->shape.rank + 1) * sizeof *sh->dim);
        if (!sh->dim)
            return NULL;
        for (int d = 0; d < ti->shape.rank; d++) {
            Tensorflow__TensorShapeProto__Dim *dim = srv_pool_alloc(p, sizeof *dim);
            if (!dim)
                return NULL;
            tensorflow__tensor_shape_proto__dim__init(dim);
            dim->size = ti->shape.dims[d] < 0 ? -1 : ti->shape.dims[d];
            sh->dim[sh->n_dim++] = dim;
        }
    }
    t->tensor_shape = sh;
    if (ti->name) {
        t->encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
        t->name = (char *)ti->name;
    }
    return t;
}

static Tensorflow__SignatureDef *signature_def(srv_pool *p, const ldr_signature *s)
{
    Tensorflow__SignatureDef *sd = srv_pool_alloc(p, sizeof *sd);
    if (!sd)
        return NULL;
    tensorflow__signature_def__init(sd);
    sd->method_name = (char *)(s->method_name ? s->method_name : "");
    sd->inputs = srv_pool_alloc(p, (s->ninputs + 1) * sizeof *sd->inputs);
    sd->outputs = srv_pool_alloc(p, (s->noutputs + 1) * sizeof *sd->outputs);
    if (!sd->inputs || !sd->outputs)
        return NULL;
    for (size_t i = 0; i < s->ninputs; i++) {
        Tensorflow__SignatureDef__InputsEntry *e = srv_pool_alloc(p, sizeof *e);
        if (!e)
            return NULL;
        tensorflow__signature_def__inputs_entry__init(e);
        e->key = (char *)s->inputs[i].key;
        if (!(e->value = tensor_info(p, &s->inputs[i])))
            return NULL;
        sd->inputs[sd->n_inputs++] = e;
    }
    for (size_t i = 0; i < s->noutputs; i++) {
        Tensorflow__SignatureDef__OutputsEntry *e = srv_pool_alloc(p, sizeof *e);
        if (!e)
            return NULL;
        tensorflow__signature_def__outputs_entry__init(e);
        e->key = (char *)s->outputs[i].key;
        if (!(e->value = tensor_info(p, &s->outputs[i])))
            return NULL;
        sd->outputs[sd->n_outputs++] = e;
    }
    return sd;
}

tsd_code srv_grpc_metadata(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                           srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__GetModelMetadataRequest *req = (const void *)msg;
    srv_spec spec;
    tsd_code c = spec_from_proto(req->model_spec, &spec, st);
    if (c)
        return c;
    g->model_name = spec.name;
    if (req->n_metadata_field == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "GetModelMetadataRequest must specify at least "
                       "one metadata_field");
    for (size_t i = 0; i < req->n_metadata_field; i++)
        if (strcmp(req->metadata_field[i], "signature_def") != 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Metadata field %s is not supported",
                           req->metadata_field[i]);
    srv_handle h;
    if ((c = srv_manager_acquire(g->mgr, spec.name, spec.has_version, spec.version, spec.label, &h,
                                 st)))
        return c;
    g->version = h.version;
    const ldr_saved_model *sm = ldr_model_saved_model(h.model);
    size_t ns = ldr_saved_model_num_signatures(sm);
    Tensorflow__Serving__SignatureDefMap map;
    tensorflow__serving__signature_def_map__init(&map);
    map.signature_def = srv_pool_alloc(p, (ns + 1) * sizeof *map.signature_def);
    if (!map.signature_def)
        c = OOM(st);
    for (size_t i = 0; !c && i < ns; i++) {
        const ldr_signature *s = ldr_saved_model_signature(sm, i);
        Tensorflow__Serving__SignatureDefMap__SignatureDefEntry *e = srv_pool_alloc(p, sizeof *e);
        if (!e) {
            c = OOM(st);
            break;
        }
        tensorflow__serving__signature_def_map__signature_def_entry__init(e);
        e->key = (char *)s->key;
        if (!(e->value = signature_def(p, s))) {
            c = OOM(st);
            break;
        }
        map.signature_def[map.n_signature_def++] = e;
    }
    Tensorflow__Serving__GetModelMetadataResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (!c && !resp)
        c = OOM(st);
    if (!c) {
        size_t len = tensorflow__serving__signature_def_map__get_packed_size(&map);
        uint8_t *buf = srv_pool_alloc(p, len);
        Google__Protobuf__Any *any = srv_pool_alloc(p, sizeof *any);
        Tensorflow__Serving__GetModelMetadataResponse__MetadataEntry *me =
            srv_pool_alloc(p, sizeof *me);
        Tensorflow__Serving__GetModelMetadataResponse__MetadataEntry **arr =
            srv_pool_alloc(p, sizeof *arr);
        if (!buf || !any || !me || !arr) {
            c = OOM(st);
        } else {
            tensorflow__serving__signature_def_map__pack(&map, buf);
            google__protobuf__any__init(any);
            any->type_url = "type.googleapis.com/tensorflow.serving.SignatureDefMap";
            any->value.data = buf;
            any->value.len = len;
            tensorflow__serving__get_model_metadata_response__metadata_entry__init(me);
            me->key = "signature_def";
            me->value = any;
            arr[0] = me;
            tensorflow__serving__get_model_metadata_response__init(resp);
            resp->n_metadata = 1;
            resp->metadata = arr;
            resp->model_spec = spec_echo(p, spec.name, "", h.version);
            if (!resp->model_spec)
                c = OOM(st);
            else
                c = srv_grpc_pack(&resp->base, g, st);
        }
    }
    srv_handle_release(&h);
    *out = NULL;
    return c;
}

/* ---- ModelService ------------------------------------------------------------------ */

tsd_code srv_grpc_status(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                         srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__GetModelStatusRequest *req = (const void *)msg;
    srv_spec spec;
    tsd_code c = spec_from_proto(req->model_spec, &spec, st);
    if (c)
        return c;
    g->model_name = spec.name;
    srv_version_status *vs;
    size_t n;
    /* a version label is ignored, as in TF Serving */
    if ((c = srv_manager_status(g->mgr, spec.name, spec.has_version, spec.version, &vs, &n, st)))
        return c;
    Tensorflow__Serving__GetModelStatusResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (resp) {
        tensorflow__serving__get_model_status_response__init(resp);
        resp->model_version_status = srv_pool_alloc(p, n * sizeof *resp->model_version_status);
    }
    if (!resp || !resp->model_version_status) {
        free(vs);
        return OOM(st);
    }
    for (size_t i = 0; i < n; i++) {
        Tensorflow__Serving__ModelVersionStatus *m = srv_pool_alloc(p, sizeof *m);
        Tensorflow__Serving__StatusProto *sp = srv_pool_alloc(p, sizeof *sp);
        if (!m || !sp)
            break;
        tensorflow__serving__model_version_status__init(m);
        tensorflow__serving__status_proto__init(sp);
        m->version = vs[i].version;
        m->state = (Tensorflow__Serving__ModelVersionStatus__State)vs[i].state;
        sp->error_code = (Tensorflow__Error__Code)vs[i].error_code;
        sp->error_message = srv_pool_strdup(p, vs[i].error_message);
        m->status = sp;
        resp->model_version_status[resp->n_model_version_status++] = m;
    }
    free(vs);
    *out = &resp->base;
    return TSD_OK;
}

tsd_code srv_grpc_reload(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                         srv_pool *p, tsd_status *st)
{
    const Tensorflow__Serving__ReloadConfigRequest *req = (const void *)msg;
    Tensorflow__Serving__ReloadConfigResponse *resp = srv_pool_alloc(p, sizeof *resp);
    Tensorflow__Serving__StatusProto *sp = srv_pool_alloc(p, sizeof *sp);
    if (!resp || !sp)
        return OOM(st);
    tensorflow__serving__reload_config_response__init(resp);
    tensorflow__serving__status_proto__init(sp);
    resp->status = sp;
    tsd_status rst = TSD_STATUS_INIT;
    srv_model_config *cfg = NULL;
    size_t n = 0;
    if (!req->config || req->config->config_case !=
                            TENSORFLOW__SERVING__MODEL_SERVER_CONFIG__CONFIG_MODEL_CONFIG_LIST)
        tsd_err(&rst, TSD_INVALID_ARGUMENT,
                "ServerModelConfig type not supported by HandleReloadConfigRequest. Only "
                "ModelConfigList is currently supported");
    else if (srv_config_from_proto(req->config, &cfg, &n, &rst) == TSD_OK)
        srv_manager_set_config(g->mgr, cfg, n, 1, &rst);
    srv_config_free(cfg, n);
    /* TF Serving reports the outcome inside the response as well as in the
     * RPC status. */
    sp->error_code = (Tensorflow__Error__Code)rst.code;
    sp->error_message = srv_pool_strdup(p, rst.msg);
    if (rst.code != TSD_OK)
        return tsd_status_copy(st, &rst);
    *out = &resp->base;
    return TSD_OK;
}

/* ---- health ------------------------------------------------------------------------ */

tsd_code srv_grpc_health(srv_grpc_ctx *g, const ProtobufCMessage *msg, ProtobufCMessage **out,
                         srv_pool *p, tsd_status *st)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const void *)msg;
    const char *svc = req->service ? req->service : "";
    if (*svc && strcmp(svc, "ModelService") && strcmp(svc, "PredictionService") &&
        strcmp(svc, "tensorflow.serving.ModelService") &&
        strcmp(svc, "tensorflow.serving.PredictionService"))
        return tsd_err(st, TSD_NOT_FOUND, "unknown service %s", svc);
    Grpc__Health__V1__HealthCheckResponse *resp = srv_pool_alloc(p, sizeof *resp);
    if (!resp)
        return OOM(st);
    grpc__health__v1__health_check_response__init(resp);
    resp->status = !g->draining && srv_manager_ready(g->mgr)
                       ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                       : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    *out = &resp->base;
    return TSD_OK;
}
