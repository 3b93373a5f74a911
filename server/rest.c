/*
 * rest.c - the REST transport on libmicrohttpd. It only translates: parse
 * the URL and JSON body, call the service layer, write JSON back with TF
 * Serving's status mapping and wording. Routes are a table.
 */
#include "server/rest.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/json_example.h"
#include "server/json_out.h"
#include "server/json_tensor.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/service.h"
#include "server/training.h"

struct srv_rest {
    srv_rest_options opt;
    char *metrics_path;
    srv_metric *m_requests; /* :tensorflow:serving:request_count */
    srv_metric *m_latency;  /* :tensorflow:serving:request_latency */
    srv_metric *m_version;  /* per-version request counter (tensord) */
    srv_manager *mgr;
    struct MHD_Daemon *daemon;
    pthread_key_t call_key;
    atomic_long inflight;
    atomic_int draining;
};

/* Per-connection request state (MHD's con_cls). */
typedef struct req {
    char *body;
    size_t len, cap;
    int too_large;
} req;

/* ---- responses ------------------------------------------------------------ */

static int http_status(tsd_code c)
{
    switch (c) {
    case TSD_OK:
        return 200;
    case TSD_CANCELLED:
        return 499;
    case TSD_INVALID_ARGUMENT:
    case TSD_FAILED_PRECONDITION:
    case TSD_OUT_OF_RANGE:
        return 400;
    case TSD_DEADLINE_EXCEEDED:
        return 504;
    case TSD_NOT_FOUND:
        return 404;
    case TSD_ALREADY_EXISTS:
    case TSD_ABORTED:
        return 409;
    case TSD_PERMISSION_DENIED:
        return 403;
    case TSD_RESOURCE_EXHAUSTED:
        return 429;
    case TSD_UNIMPLEMENTED:
        return 501;
    case TSD_UNAVAILABLE:
        return 503;
    case TSD_UNAUTHENTICATED:
        return 401;
    default:
        return 500;
    }
}

static enum MHD_Result send_buf(srv_rest *r, struct MHD_Connection *conn, int status, srv_buf *b,
                                const char *ctype)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(b->len, b->data ? b->data : (void *)"",
                                        b->data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        srv_buf_free(b);
        return MHD_NO;
    }
    b->data = NULL;
    MHD_add_response_header(resp, "Content-Type", ctype);
    if (r->opt.enable_cors) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "POST, GET");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Content-Type");
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_json(srv_rest *r, struct MHD_Connection *conn, int status, srv_buf *b)
{
    if (b->oom) {
        srv_buf_free(b);
        srv_buf e = {0};
        srv_buf_puts(&e, "{ \"error\": \"out of memory\" }");
        return send_buf(r, conn, 500, &e, "application/json");
    }
    return send_buf(r, conn, status, b, "application/json");
}

static enum MHD_Result send_error(srv_rest *r, struct MHD_Connection *conn, const tsd_status *st)
{
    srv_buf b = {0};
    srv_buf_puts(&b, "{ \"error\": ");
    srv_json_string(&b, st->msg, strlen(st->msg));
    srv_buf_puts(&b, " }");
    return send_json(r, conn, http_status(st->code), &b);
}

/* ---- URL parsing ----------------------------------------------------------- */

typedef struct route_args {
    char name[256];
    int has_version;
    int64_t version;
    char label[256];
    int has_label;
    char verb[16]; /* predict / classify / regress (POST) */
    int metadata;  /* GET .../metadata */
} route_args;

/* Percent-decode src[0..n) into dst (cap bytes); -1 on bad escapes. */
static int url_decode(const char *src, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= cap)
            return -1;
        if (src[i] == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)src[i + 1]) ||
                !isxdigit((unsigned char)src[i + 2]))
                return -1;
            char hex[3] = {src[i + 1], src[i + 2], 0};
            dst[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            dst[o++] = src[i];
        }
    }
    dst[o] = '\0';
    return 0;
}

static int prefix_ci(const char *s, const char *p)
{
    return strncasecmp(s, p, strlen(p)) == 0;
}

/* Parse "/v1/models/..." after the "/v1/models" prefix. Returns 0 on a
 * match, -1 for malformed (caller answers "Malformed request"), -2 for a
 * bad version number. `post` selects the verb grammar. */
static int parse_models_path(const char *p, int post, route_args *a, tsd_status *st)
{
    memset(a, 0, sizeof *a);
    if (*p != '/')
        return -1;
    p++;
    size_t n = strcspn(p, "/:");
    if (n == 0)
        return -1;
    if (url_decode(p, n, a->name, sizeof a->name) != 0) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "Failed to decode model name");
        return -3;
    }
    p += n;
    if (prefix_ci(p, "/versions/")) {
        p += 10;
        size_t d = 0;
        while (isdigit((unsigned char)p[d]))
            d++;
        if (d == 0)
            return -1;
        char num[64];
        if (d >= sizeof num)
            d = sizeof num - 1;
        memcpy(num, p, d);
        num[d] = '\0';
        errno = 0;
        char *end;
        long long v = strtoll(num, &end, 10);
        if (errno || *end) {
            tsd_err(st, TSD_INVALID_ARGUMENT, "Failed to convert version: %s to numeric.", num);
            return -3;
        }
        a->has_version = 1;
        a->version = v;
        p += d;
    } else if (prefix_ci(p, "/labels/")) {
        p += 8;
        size_t l = strcspn(p, "/:");
        if (l == 0)
            return -1;
        if (url_decode(p, l, a->label, sizeof a->label) != 0) {
            tsd_err(st, TSD_INVALID_ARGUMENT, "Failed to decode label");
            return -3;
        }
        a->has_label = 1;
        p += l;
    }
    if (post) {
        if (*p != ':')
            return -1;
        p++;
        if (strcasecmp(p, "predict") && strcasecmp(p, "classify") && strcasecmp(p, "regress"))
            return -1;
        for (size_t i = 0; p[i] && i + 1 < sizeof a->verb; i++)
            a->verb[i] = (char)tolower((unsigned char)p[i]);
        return 0;
    }
    if (*p == '\0')
        return 0;
    if (strcasecmp(p, "/metadata") == 0) {
        a->metadata = 1;
        return 0;
    }
    return -1;
}

/* ---- handlers ------------------------------------------------------------- */

typedef enum MHD_Result (*handler_fn)(srv_rest *r, struct MHD_Connection *conn, const char *url,
                                      const char *method, req *rq);

static eng_call *thread_call(srv_rest *r)
{
    eng_call *c = pthread_getspecific(r->call_key);
    if (!c) {
        c = eng_call_new();
        pthread_setspecific(r->call_key, c);
    }
    return c;
}

static srv_json_limits json_limits(const srv_rest *r)
{
    srv_json_limits lim = {r->opt.max_elements, 64};
    return lim;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Count a REST request as TF Serving does (request_count for all, latency
 * for OK ones) plus tensord's per-version counter. */
static void record(srv_rest *r, const char *model, int64_t version, const char *api, tsd_code c,
                   double t0)
{
    const char *code = tsd_code_name(c);
    const char *v1[] = {model, code};
    double us = now_us() - t0;
    srv_metric_inc(r->m_requests, v1, 1);
    srv_log_request("REST", model, version, api, c, us);
    if (c == TSD_OK) {
        const char *v2[] = {model, api, "REST"};
        srv_metric_observe(r->m_latency, v2, us);
    }
    if (version >= 0) {
        char vs[32];
        snprintf(vs, sizeof vs, "%" PRId64, version);
        const char *v3[] = {model, vs, api, code};
        srv_metric_inc(r->m_version, v3, 1);
    }
}

static enum MHD_Result do_post(srv_rest *r, struct MHD_Connection *conn, const route_args *a,
                               req *rq)
{
    tsd_status st = TSD_STATUS_INIT;
    json_error_t jerr;
    double t0 = now_us();
    eng_call *call = thread_call(r);
    if (!call) {
        tsd_err(&st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return send_error(r, conn, &st);
    }
    /* --rest_api_timeout_in_ms covers the whole request from here */
    eng_call_set_timeout(call, r->opt.timeout_ms);
    if (rq->len == 0) {
        record(r, a->name, -1, a->verb, TSD_INVALID_ARGUMENT, t0);
        tsd_err(&st, TSD_INVALID_ARGUMENT, "JSON Parse error: The document is empty");
        return send_error(r, conn, &st);
    }
    json_t *root = json_loadb(rq->body, rq->len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!root) {
        tsd_err(&st, TSD_INVALID_ARGUMENT, "JSON Parse error: %s at offset: %d", jerr.text,
                jerr.position);
        record(r, a->name, -1, a->verb, st.code, t0);
        return send_error(r, conn, &st);
    }
    enum MHD_Result ret;
    srv_resolved res;
    int resolved = 0;
    srv_json_inputs in = {0};
    eng_tensor examples = {0};
    char *ex_storage = NULL;
    srv_buf out = {0};
    if (!json_is_object(root)) {
        tsd_err(&st, TSD_INVALID_ARGUMENT, "JSON Value: %s Is not object",
                json_is_array(root) ? "[...]" : "<value>");
        goto fail;
    }
    json_t *sn = json_object_get(root, "signature_name");
    if (sn && !json_is_string(sn)) {
        tsd_err(&st, TSD_INVALID_ARGUMENT, "'signature_name' key must be a string value.");
        goto fail;
    }
    srv_spec spec = {a->name, a->has_version, a->version, a->has_label ? a->label : NULL,
                     sn ? json_string_value(sn) : NULL};
    if (srv_resolve(r->mgr, &spec, &res, &st)) {
        if (st.code == TSD_FAILED_PRECONDITION && strcmp(a->verb, "predict") == 0)
            tsd_err(&st, TSD_INVALID_ARGUMENT,
                    "Serving signature name: \"%s\" not found in signature def",
                    spec.signature_name && *spec.signature_name ? spec.signature_name
                                                                : "serving_default");
        else if (st.code == TSD_FAILED_PRECONDITION)
            tsd_err(&st, TSD_INVALID_ARGUMENT, "No signature was found with the name: %s",
                    spec.signature_name && *spec.signature_name ? spec.signature_name
                                                                : "serving_default");
        goto fail;
    }
    resolved = 1;
    if (strcmp(a->verb, "predict") == 0) {
        size_t nk = res.sig->ninputs;
        const char *keys[64];
        eng_dtype dts[64];
        if (nk > 64) {
            tsd_err(&st, TSD_UNIMPLEMENTED, "signature has more than 64 inputs");
            goto fail;
        }
        for (size_t i = 0; i < nk; i++) {
            keys[i] = res.sig->inputs[i].key;
            dts[i] = eng_plan_feed_dtype(res.plan, (int)i);
        }
        srv_json_limits lim = json_limits(r);
        if (srv_json_predict_inputs(root, keys, dts, nk, &lim, &in, &st))
            goto fail;
        const char *okeys[64];
        eng_tensor outs[64];
        size_t nout = 0;
        if (res.sig->noutputs > 64) {
            tsd_err(&st, TSD_UNIMPLEMENTED, "signature has more than 64 outputs");
            goto fail;
        }
        if (srv_run_predict(&res, call, (const char *const *)in.names, in.tensors, in.n, NULL, 0,
                            okeys, outs, &nout, &st))
            goto fail;
        if (srv_json_predict_response(&out, in.row_format, okeys, outs, nout, &st))
            goto fail;
    } else {
        int classify = strcmp(a->verb, "classify") == 0;
        if (srv_json_examples(root, classify ? "classify" : "regress", &examples, &ex_storage, &st))
            goto fail;
        if (classify) {
            srv_classifications cl;
            if (srv_run_classify(&res, call, &examples, &cl, &st))
                goto fail;
            srv_buf_puts(&out, "{\"results\": [");
            for (size_t e = 0; e < cl.nexamples; e++) {
                srv_buf_puts(&out, e ? ", [" : "[");
                for (size_t k = 0; k < cl.nclasses; k++) {
                    size_t i = e * cl.nclasses + k;
                    srv_buf_puts(&out, k ? ", [" : "[");
                    if (cl.labels)
                        srv_json_string(&out, cl.labels[i].ptr, cl.labels[i].len);
                    else
                        srv_buf_puts(&out, "\"\"");
                    srv_buf_puts(&out, ", ");
                    srv_json_float(&out, cl.scores ? cl.scores[i] : 0.0f);
                    srv_buf_puts(&out, "]");
                }
                srv_buf_puts(&out, "]");
            }
            srv_buf_puts(&out, "]}");
        } else {
            const float *vals;
            size_t n;
            if (srv_run_regress(&res, call, &examples, &vals, &n, &st))
                goto fail;
            srv_buf_puts(&out, "{\"results\": [");
            for (size_t i = 0; i < n; i++) {
                if (i)
                    srv_buf_puts(&out, ", ");
                srv_json_float(&out, vals[i]);
            }
            srv_buf_puts(&out, "]}");
        }
    }
    ret = send_json(r, conn, 200, &out);
    goto done;
fail:
    srv_buf_free(&out);
    ret = send_error(r, conn, &st);
done:
    record(r, a->name, resolved ? res.handle.version : -1, a->verb, st.code, t0);
    if (resolved)
        srv_resolved_release(&res);
    srv_json_inputs_free(&in);
    eng_tensor_free_data(&examples);
    free(ex_storage);
    json_decref(root);
    return ret;
}

static void tensor_info_json(srv_buf *b, const ldr_tensor_info *ti)
{
    srv_buf_puts(b, "{\"dtype\": \"DT_");
    const char *dn = eng_dtype_name(ti->dtype);
    for (const char *c = dn; *c; c++) {
        char u = (char)toupper((unsigned char)*c);
        srv_buf_put(b, &u, 1);
    }
    srv_buf_puts(b, "\", \"tensor_shape\": {\"dim\": [");
    if (ti->shape.rank > 0)
        for (int d = 0; d < ti->shape.rank; d++)
            srv_buf_printf(b, "%s{\"size\": \"%" PRId64 "\", \"name\": \"\"}", d ? ", " : "",
                           ti->shape.dims[d] < 0 ? -1 : ti->shape.dims[d]);
    srv_buf_printf(b,
                   "], \"unknown_rank\": %s}, \"name\": ", ti->shape.rank < 0 ? "true" : "false");
    srv_json_string(b, ti->name ? ti->name : "", ti->name ? strlen(ti->name) : 0);
    srv_buf_puts(b, "}");
}

static enum MHD_Result do_metadata(srv_rest *r, struct MHD_Connection *conn, const route_args *a)
{
    tsd_status st = TSD_STATUS_INIT;
    srv_handle h;
    if (srv_manager_acquire(r->mgr, a->name, a->has_version, a->version,
                            a->has_label ? a->label : NULL, &h, &st))
        return send_error(r, conn, &st);
    const ldr_saved_model *sm = ldr_model_saved_model(h.model);
    srv_buf b = {0};
    srv_buf_puts(&b, "{\"model_spec\": {\"name\": ");
    srv_json_string(&b, a->name, strlen(a->name));
    srv_buf_printf(&b, ", \"signature_name\": \"\", \"version\": \"%" PRId64 "\"}, ", h.version);
    srv_buf_puts(&b, "\"metadata\": {\"signature_def\": {\"signature_def\": {");
    size_t ns = ldr_saved_model_num_signatures(sm);
    int first = 1;
    for (size_t i = 0; i < ns; i++) {
        const ldr_signature *s = ldr_saved_model_signature(sm, i);
        if (!first)
            srv_buf_puts(&b, ", ");
        first = 0;
        srv_json_string(&b, s->key, strlen(s->key));
        srv_buf_puts(&b, ": {\"inputs\": {");
        for (size_t k = 0; k < s->ninputs; k++) {
            if (k)
                srv_buf_puts(&b, ", ");
            srv_json_string(&b, s->inputs[k].key, strlen(s->inputs[k].key));
            srv_buf_puts(&b, ": ");
            tensor_info_json(&b, &s->inputs[k]);
        }
        srv_buf_puts(&b, "}, \"outputs\": {");
        for (size_t k = 0; k < s->noutputs; k++) {
            if (k)
                srv_buf_puts(&b, ", ");
            srv_json_string(&b, s->outputs[k].key, strlen(s->outputs[k].key));
            srv_buf_puts(&b, ": ");
            tensor_info_json(&b, &s->outputs[k]);
        }
        srv_buf_puts(&b, "}, \"method_name\": ");
        srv_json_string(&b, s->method_name ? s->method_name : "",
                        s->method_name ? strlen(s->method_name) : 0);
        srv_buf_puts(&b, ", \"defaults\": {}}");
    }
    srv_buf_puts(&b, "}}}}");
    srv_handle_release(&h);
    return send_json(r, conn, 200, &b);
}

static enum MHD_Result do_status(srv_rest *r, struct MHD_Connection *conn, const route_args *a)
{
    tsd_status st = TSD_STATUS_INIT;
    srv_version_status *vs;
    size_t n;
    /* TF Serving ignores a label on the status route */
    if (srv_manager_status(r->mgr, a->name, a->has_version, a->version, &vs, &n, &st))
        return send_error(r, conn, &st);
    srv_buf b = {0};
    srv_buf_puts(&b, "{\n \"model_version_status\": [");
    for (size_t i = 0; i < n; i++) {
        srv_buf_printf(&b,
                       "%s\n  {\n   \"version\": \"%" PRId64 "\",\n   \"state\": \"%s\",\n"
                       "   \"status\": {\n    \"error_code\": \"%s\",\n    \"error_message\": ",
                       i ? "," : "", vs[i].version, srv_state_name(vs[i].state),
                       tsd_code_name(vs[i].error_code));
        srv_json_string(&b, vs[i].error_message, strlen(vs[i].error_message));
        srv_buf_puts(&b, "\n   }\n  }");
    }
    srv_buf_puts(&b, "\n ]\n}\n");
    free(vs);
    return send_json(r, conn, 200, &b);
}

static enum MHD_Result do_list(srv_rest *r, struct MHD_Connection *conn)
{
    char **names;
    size_t n = srv_manager_model_names(r->mgr, &names);
    srv_buf b = {0};
    srv_buf_puts(&b, "{\"models\": [");
    for (size_t i = 0; i < n; i++) {
        srv_version_status *vs = NULL;
        size_t nv = 0;
        tsd_status st = TSD_STATUS_INIT;
        srv_manager_status(r->mgr, names[i], 0, 0, &vs, &nv, &st);
        srv_buf_puts(&b, i ? ", {\"name\": " : "{\"name\": ");
        srv_json_string(&b, names[i], strlen(names[i]));
        srv_buf_puts(&b, ", \"versions\": [");
        for (size_t k = 0; k < nv; k++)
            srv_buf_printf(&b, "%s{\"version\": \"%" PRId64 "\", \"state\": \"%s\"}", k ? ", " : "",
                           vs[k].version, srv_state_name(vs[k].state));
        srv_buf_puts(&b, "]}");
        free(vs);
        free(names[i]);
    }
    free(names);
    srv_buf_puts(&b, "]}");
    return send_json(r, conn, 200, &b);
}

static enum MHD_Result h_v1(srv_rest *r, struct MHD_Connection *conn, const char *url,
                            const char *method, req *rq)
{
    tsd_status st = TSD_STATUS_INIT;
    int post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
    const char *p = url + 3; /* after "/v1" */
    route_args a;
    if ((post || get) && prefix_ci(p, "/models")) {
        const char *rest = p + 7;
        if (get && (*rest == '\0' || strcmp(rest, "/") == 0))
            return do_list(r, conn);
        int m = parse_models_path(rest, post, &a, &st);
        if (m == 0)
            return post         ? do_post(r, conn, &a, rq)
                   : a.metadata ? do_metadata(r, conn, &a)
                                : do_status(r, conn, &a);
        if (m == -3)
            return send_error(r, conn, &st);
    }
    tsd_err(&st, TSD_INVALID_ARGUMENT, "Malformed request: %s %s", method, url);
    return send_error(r, conn, &st);
}

static enum MHD_Result h_healthz(srv_rest *r, struct MHD_Connection *conn, const char *url,
                                 const char *method, req *rq)
{
    (void)url;
    (void)method;
    (void)rq;
    srv_buf b = {0};
    srv_buf_puts(&b, "{\"status\": \"ok\"}");
    return send_json(r, conn, 200, &b);
}

static enum MHD_Result h_readyz(srv_rest *r, struct MHD_Connection *conn, const char *url,
                                const char *method, req *rq)
{
    (void)url;
    (void)method;
    (void)rq;
    int ready = !atomic_load(&r->draining) && srv_manager_ready(r->mgr);
    srv_buf b = {0};
    srv_buf_puts(&b, ready ? "{\"status\": \"ready\"}" : "{\"status\": \"not ready\"}");
    return send_json(r, conn, ready ? 200 : 503, &b);
}

/* ---- training jobs ------------------------------------------------------------ */

static void json_nstring(srv_buf *b, const char *s)
{
    if (s && *s)
        srv_json_string(b, s, strlen(s));
    else
        srv_buf_puts(b, "null");
}

static void training_json(srv_buf *b, const srv_training_status *s)
{
    srv_buf_puts(b, "{\"model\": ");
    srv_json_string(b, s->model, strlen(s->model));
    srv_buf_printf(b, ", \"state\": \"%s\", \"phase\": ", srv_training_state_name(s->state));
    srv_json_string(b, s->phase, strlen(s->phase));
    srv_buf_printf(b,
                   ", \"step\": %" PRId64 ", \"max_steps\": %" PRId64 ", \"epoch\": %" PRId64
                   ", \"loss\": ",
                   s->step, s->max_steps, s->epoch);
    srv_json_double(b, s->loss);
    srv_buf_puts(b, ", \"examples_per_sec\": ");
    srv_json_double(b, s->examples_per_sec);
    srv_buf_printf(b,
                   ", \"rounds\": %" PRId64 ", \"failures\": %" PRId64
                   ", \"interval_secs\": %" PRId64 ", \"manual_start\": %s, \"config\": ",
                   s->rounds, s->failures, s->interval_secs, s->manual_start ? "true" : "false");
    srv_json_string(b, s->config, strlen(s->config));
    srv_buf_puts(b, ", \"last_export_dir\": ");
    json_nstring(b, s->last_export_dir);
    if (s->last_version >= 0)
        srv_buf_printf(b, ", \"last_version\": %" PRId64, s->last_version);
    else
        srv_buf_puts(b, ", \"last_version\": null");
    srv_buf_puts(b, ", \"metrics\": {");
    for (int i = 0; s->has_metrics && i < s->metrics.n; i++) {
        if (i)
            srv_buf_puts(b, ", ");
        srv_json_string(b, s->metrics.m[i].key, strlen(s->metrics.m[i].key));
        srv_buf_puts(b, ": ");
        srv_json_double(b, s->metrics.m[i].value);
    }
    srv_buf_puts(b, "}, \"last_error\": ");
    json_nstring(b, s->last_error);
    if (s->next_round_in_secs >= 0)
        srv_buf_printf(b, ", \"next_round_in_secs\": %" PRId64 "}", s->next_round_in_secs);
    else
        srv_buf_puts(b, ", \"next_round_in_secs\": null}");
}

/* The token of an "Authorization: Bearer <token>" header (NULL if none). */
static const char *bearer_token(struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || !prefix_ci(h, "Bearer "))
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

/* GET /v1/training[/{model}], POST /v1/training/{model}:start|:stop. */
static enum MHD_Result h_training(srv_rest *r, struct MHD_Connection *conn, const char *url,
                                  const char *method, req *rq)
{
    (void)rq;
    tsd_status st = TSD_STATUS_INIT;
    int post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
    const char *p = url + strlen("/v1/training");
    srv_buf b = {0};
    if (get && (*p == '\0' || strcmp(p, "/") == 0)) {
        srv_training_status *all;
        size_t n = srv_training_list(r->opt.training, &all);
        srv_buf_puts(&b, "{\"jobs\": [");
        for (size_t i = 0; i < n; i++) {
            if (i)
                srv_buf_puts(&b, ", ");
            training_json(&b, &all[i]);
        }
        srv_buf_puts(&b, "]}");
        free(all);
        return send_json(r, conn, 200, &b);
    }
    char name[256];
    size_t n = *p == '/' ? strcspn(p + 1, "/:") : 0;
    const char *verb = n ? p + 1 + n : NULL;
    if (!n || (*verb && *verb != ':') || (!get && !post) || (get && *verb) ||
        (post && strcmp(verb, ":start") && strcmp(verb, ":stop"))) {
        tsd_err(&st, TSD_INVALID_ARGUMENT, "Malformed request: %s %s", method, url);
        return send_error(r, conn, &st);
    }
    if (url_decode(p + 1, n, name, sizeof name) != 0) {
        tsd_err(&st, TSD_INVALID_ARGUMENT, "Failed to decode model name");
        return send_error(r, conn, &st);
    }
    srv_training_status s;
    if (get) {
        if (srv_training_get(r->opt.training, name, &s, &st))
            return send_error(r, conn, &st);
    } else {
        if (srv_training_authorize(r->opt.training, bearer_token(conn), &st))
            return send_error(r, conn, &st);
        tsd_code c = strcmp(verb, ":start") == 0
                         ? srv_training_start(r->opt.training, name, &s, &st)
                         : srv_training_stop(r->opt.training, name, 10000, &s, &st);
        if (c)
            return send_error(r, conn, &st);
    }
    training_json(&b, &s);
    return send_json(r, conn, 200, &b);
}

/* The route table: exact paths first, then prefixes (case-insensitive for
 * /v1/ as TF Serving; the longer prefix first). */
static const struct route {
    const char *path;
    int prefix;
    handler_fn fn;
} routes[] = {
    {"/healthz", 0, h_healthz},
    {"/readyz", 0, h_readyz},
    {"/v1/training", 1, h_training},
    {"/v1/", 1, h_v1},
};

/* ---- libmicrohttpd glue ------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    srv_rest *r = cls;
    req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        atomic_fetch_add(&r->inflight, 1);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!rq->too_large) {
            if (rq->len + *upload_data_size > r->opt.max_body_bytes) {
                rq->too_large = 1;
                free(rq->body);
                rq->body = NULL;
                rq->len = rq->cap = 0;
            } else {
                if (rq->len + *upload_data_size + 1 > rq->cap) {
                    size_t nc = rq->cap ? rq->cap : 4096;
                    while (nc < rq->len + *upload_data_size + 1)
                        nc *= 2;
                    char *nb = realloc(rq->body, nc);
                    if (!nb)
                        return MHD_NO;
                    rq->body = nb;
                    rq->cap = nc;
                }
                memcpy(rq->body + rq->len, upload_data, *upload_data_size);
                rq->len += *upload_data_size;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rq->too_large) {
        tsd_status st = TSD_STATUS_INIT;
        tsd_err(&st, TSD_INVALID_ARGUMENT, "Request body exceeds the limit of %zu bytes",
                r->opt.max_body_bytes);
        srv_buf b = {0};
        srv_buf_puts(&b, "{ \"error\": ");
        srv_json_string(&b, st.msg, strlen(st.msg));
        srv_buf_puts(&b, " }");
        return send_json(r, conn, 413, &b);
    }
    if (strcmp(method, "OPTIONS") == 0) {
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        if (origin && (prefix_ci(origin, "http://") || prefix_ci(origin, "https://"))) {
            srv_buf b = {0};
            return send_buf(r, conn, 200, &b, "application/json");
        }
        tsd_status st = TSD_STATUS_INIT;
        tsd_err(&st, TSD_FAILED_PRECONDITION, "Origin header is missing in CORS preflight");
        return send_error(r, conn, &st);
    }
    if (r->metrics_path && strcmp(url, r->metrics_path) == 0 && strcmp(method, "GET") == 0) {
        srv_buf b = {0};
        srv_metrics_render(&b);
        if (!b.data)
            srv_buf_puts(&b, "");
        return send_buf(r, conn, 200, &b, "text/plain");
    }
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *rt = &routes[i];
        int match = rt->prefix ? prefix_ci(url, rt->path) : strcmp(url, rt->path) == 0;
        if (match)
            return rt->fn(r, conn, url, method, rq);
    }
    srv_buf b = {0};
    srv_buf_puts(&b, "{ \"error\": \"Not found\" }");
    return send_json(r, conn, 404, &b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    srv_rest *r = cls;
    req *rq = *con_cls;
    if (!rq)
        return;
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&r->inflight, 1);
}

static void free_call(void *p)
{
    eng_call_free(p);
}

srv_rest *srv_rest_start(const srv_rest_options *opt, srv_manager *mgr, tsd_status *st)
{
    srv_rest *r = calloc(1, sizeof *r);
    if (!r) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    r->opt = *opt;
    r->mgr = mgr;
    r->metrics_path = opt->metrics_path ? strdup(opt->metrics_path) : NULL;
    r->opt.metrics_path = r->metrics_path;
    static const char *const l1[] = {"model_name", "status"};
    static const char *const l2[] = {"model_name", "API", "entrypoint"};
    static const char *const l3[] = {"model_name", "version", "API", "status"};
    int nb;
    const double *bounds = srv_metric_latency_bounds(&nb);
    r->m_requests = srv_metric_counter("/tensorflow/serving/request_count", 2, l1);
    r->m_latency = srv_metric_histogram("/tensorflow/serving/request_latency", 3, l2, bounds, nb);
    r->m_version = srv_metric_counter("tensord_version_request_count", 4, l3);
    pthread_key_create(&r->call_key, free_call);
    unsigned threads = opt->num_threads > 0 ? (unsigned)opt->num_threads : 4;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (opt->thread_per_connection) {
        /* with a pool, connections share a thread: one request waiting for
         * its batch would hold up the others on that thread */
        flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                MHD_USE_ERROR_LOG | MHD_USE_ITC;
        threads = 0;
    }
    r->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->port, NULL, NULL, on_request, r, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, r, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096, MHD_OPTION_END);
    if (!r->daemon) {
        pthread_key_delete(r->call_key);
        free(r->metrics_path);
        free(r);
        tsd_err(st, TSD_UNAVAILABLE, "cannot start the REST server on port %d", opt->port);
        return NULL;
    }
    return r;
}

void srv_rest_drain(srv_rest *r)
{
    atomic_store(&r->draining, 1);
}

void srv_rest_quiesce(srv_rest *r)
{
    MHD_socket fd = MHD_quiesce_daemon(r->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

long srv_rest_inflight(const srv_rest *r)
{
    return atomic_load(&((srv_rest *)r)->inflight);
}

void srv_rest_stop(srv_rest *r)
{
    if (!r)
        return;
    MHD_stop_daemon(r->daemon);
    pthread_key_delete(r->call_key);
    free(r->metrics_path);
    free(r);
}
