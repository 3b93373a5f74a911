/*
 * grpc.c - the gRPC transport on gRPC C core. Methods are a table of full
 * method names registered with grpc_server_register_method; worker threads
 * each own a completion queue, keep one pending request per method, decode
 * the payload with protobuf-c, call the handler (grpc_methods.c) and send the
 * response and status in one batch. No 4 MB cap: message limits are INT_MAX
 * unless --grpc_channel_arguments says otherwise.
 */
#include "server/grpc.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/grpc_int.h"
#include "server/log.h"
#include "server/metrics.h"

/* The method table. `api` names the method in metrics (as TF Serving). */
static const struct method {
    const char *name;
    const ProtobufCMessageDescriptor *req;
    srv_grpc_handler fn;
    const char *api;
    int health; /* registered only with --enable_grpc_healthcheck_service */
} methods[] = {
    {"/tensorflow.serving.PredictionService/Predict",
     &tensorflow__serving__predict_request__descriptor, srv_grpc_predict, "Predict", 0},
    {"/tensorflow.serving.PredictionService/Classify",
     &tensorflow__serving__classification_request__descriptor, srv_grpc_classify, "Classify", 0},
    {"/tensorflow.serving.PredictionService/Regress",
     &tensorflow__serving__regression_request__descriptor, srv_grpc_regress, "Regress", 0},
    {"/tensorflow.serving.PredictionService/MultiInference",
     &tensorflow__serving__multi_inference_request__descriptor, srv_grpc_multi_inference,
     "MultiInference", 0},
    {"/tensorflow.serving.PredictionService/GetModelMetadata",
     &tensorflow__serving__get_model_metadata_request__descriptor, srv_grpc_metadata,
     "GetModelMetadata", 0},
    {"/tensorflow.serving.ModelService/GetModelStatus",
     &tensorflow__serving__get_model_status_request__descriptor, srv_grpc_status, "GetModelStatus",
     0},
    {"/tensorflow.serving.ModelService/HandleReloadConfigRequest",
     &tensorflow__serving__reload_config_request__descriptor, srv_grpc_reload,
     "HandleReloadConfigRequest", 0},
    {"/grpc.health.v1.Health/Check", &grpc__health__v1__health_check_request__descriptor,
     srv_grpc_health, "Check", 1},
};
#define NMETHODS (sizeof methods / sizeof methods[0])

typedef struct worker worker;

struct srv_grpc {
    srv_grpc_options opt;
    srv_manager *mgr;
    grpc_server *server;
    void *handles[NMETHODS];
    worker *workers;
    int nworkers;
    atomic_int draining;
    atomic_int stopping;
    atomic_long inflight;
    int shutdown_tag;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int shutdown_done;
    srv_metric *m_requests, *m_latency, *m_version;
};

struct worker {
    srv_grpc *g;
    grpc_completion_queue *cq;
    pthread_t th;
    eng_call *call;
};

/* One call's state: first waiting for a request, then sending the reply. */
typedef struct call_ctx {
    int sending;
    size_t method;
    worker *w;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *reply;
    grpc_slice details;
    int has_details;
    int cancelled;
} call_ctx;

static void request_call(worker *w, size_t m)
{
    srv_grpc *g = w->g;
    if (atomic_load(&g->stopping) || !g->handles[m])
        return;
    call_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->method = m;
    c->w = w;
    grpc_metadata_array_init(&c->md);
    if (grpc_server_request_registered_call(g->server, g->handles[m], &c->call, &c->deadline,
                                            &c->md, &c->payload, w->cq, w->cq, c) != GRPC_CALL_OK) {
        grpc_metadata_array_destroy(&c->md);
        free(c);
    }
}

static void call_free(call_ctx *c)
{
    if (c->call)
        grpc_call_unref(c->call);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->reply)
        grpc_byte_buffer_destroy(c->reply);
    if (c->has_details)
        grpc_slice_unref(c->details);
    grpc_metadata_array_destroy(&c->md);
    free(c);
}

tsd_code srv_grpc_pack(const ProtobufCMessage *m, srv_grpc_ctx *g, tsd_status *st)
{
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_pack(m, buf);
    free(g->packed);
    g->packed = buf;
    g->packed_len = len;
    return TSD_OK;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void record(srv_grpc *g, const struct method *m, const srv_grpc_ctx *gc, tsd_code c,
                   double t0)
{
    if (!gc->model_name || m->health)
        return;
    const char *code = tsd_code_name(c);
    const char *v1[] = {gc->model_name, code};
    double us = now_us() - t0;
    srv_metric_inc(g->m_requests, v1, 1);
    srv_log_request("GRPC", gc->model_name, gc->version, m->api, c, us);
    if (c == TSD_OK) {
        const char *v2[] = {gc->model_name, m->api, "GRPC"};
        srv_metric_observe(g->m_latency, v2, us);
    }
    if (gc->version >= 0) {
        char vs[32];
        snprintf(vs, sizeof vs, "%" PRId64, gc->version);
        const char *v3[] = {gc->model_name, vs, m->api, code};
        srv_metric_inc(g->m_version, v3, 1);
    }
}

/* Decode, dispatch, encode; then send everything in one batch. */
static void handle_call(call_ctx *c)
{
    srv_grpc *g = c->w->g;
    const struct method *m = &methods[c->method];
    tsd_status st = TSD_STATUS_INIT;
    srv_pool pool = {0};
    srv_grpc_ctx gc = {.mgr = g->mgr,
                       .call = c->w->call,
                       .tensor_content = g->opt.tensor_content,
                       .draining = atomic_load(&g->draining),
                       .version = -1,
                       .max_elements = g->opt.max_elements};
    double t0 = now_us();
    ProtobufCMessage *req = NULL, *resp = NULL;
    tsd_code code = TSD_OK;
    atomic_fetch_add(&g->inflight, 1);

    if (gpr_time_cmp(c->deadline, gpr_now(c->deadline.clock_type)) < 0) {
        code = tsd_err(&st, TSD_DEADLINE_EXCEEDED, "Deadline Exceeded");
    } else if (!c->payload) {
        code = tsd_err(&st, TSD_INVALID_ARGUMENT, "missing request message");
    } else {
        grpc_byte_buffer_reader rd;
        if (!grpc_byte_buffer_reader_init(&rd, c->payload)) {
            code = tsd_err(&st, TSD_INTERNAL, "cannot read the request message");
        } else {
            grpc_slice s = grpc_byte_buffer_reader_readall(&rd);
            grpc_byte_buffer_reader_destroy(&rd);
            req = protobuf_c_message_unpack(m->req, NULL, GRPC_SLICE_LENGTH(s),
                                            GRPC_SLICE_START_PTR(s));
            grpc_slice_unref(s);
            if (!req)
                code = tsd_err(&st, TSD_INVALID_ARGUMENT, "Failed to parse %s request message",
                               m->req->name);
        }
    }
    if (!code) {
        /* the client's deadline bounds the engine run too */
        gpr_timespec left = gpr_time_sub(gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC),
                                         gpr_now(GPR_CLOCK_MONOTONIC));
        int64_t ms = gpr_time_to_millis(left);
        eng_call_set_timeout(c->w->call,
                             gpr_time_cmp(c->deadline, gpr_inf_future(c->deadline.clock_type)) == 0
                                 ? 0
                                 : (ms > 0 ? ms : 1));
        code = m->fn(&gc, req, &resp, &pool, &st);
    }
    if (!code && resp)
        code = srv_grpc_pack(resp, &gc, &st);
    record(g, m, &gc, code, t0);
    if (req)
        protobuf_c_message_free_unpacked(req, NULL);
    srv_pool_free(&pool);

    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (!code) {
        grpc_slice s = grpc_slice_new(gc.packed, gc.packed_len, free);
        gc.packed = NULL;
        c->reply = grpc_raw_byte_buffer_create(&s, 1);
        grpc_slice_unref(s);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = c->reply;
    }
    free(gc.packed);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = (grpc_status_code)code;
    if (code) {
        char msg[TSD_STATUS_MSG_MAX + 16];
        snprintf(msg, sizeof msg, "%s", st.msg);
        if (strlen(st.msg) >= TSD_STATUS_MSG_MAX - 1)
            snprintf(msg + 1024 - 13, sizeof msg - (1024 - 13), "...TRUNCATED");
        c->details = grpc_slice_from_copied_string(msg);
        c->has_details = 1;
        ops[n].data.send_status_from_server.status_details = &c->details;
    }
    n++;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
    c->sending = 1;
    if (grpc_call_start_batch(c->call, ops, n, c, NULL) != GRPC_CALL_OK) {
        srv_log(SRV_LOG_ERROR, "gRPC: cannot send the reply of %s", m->name);
        call_free(c);
        atomic_fetch_sub(&g->inflight, 1);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    srv_grpc *g = w->g;
    w->call = eng_call_new();
    for (size_t m = 0; m < NMETHODS; m++)
        request_call(w, m);
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type != GRPC_OP_COMPLETE)
            continue;
        if (ev.tag == &g->shutdown_tag) {
            pthread_mutex_lock(&g->mu);
            g->shutdown_done = 1;
            pthread_cond_broadcast(&g->cv);
            pthread_mutex_unlock(&g->mu);
            continue;
        }
        call_ctx *c = ev.tag;
        if (c->sending) {
            call_free(c);
            atomic_fetch_sub(&g->inflight, 1);
            continue;
        }
        if (!ev.success) { /* the server is shutting down */
            call_free(c);
            continue;
        }
        request_call(w, c->method); /* keep one pending request per method */
        handle_call(c);
    }
    eng_call_free(w->call);
    return NULL;
}

/* Parse "k=v,k=v": int32 values become integer args, others strings. */
static int parse_channel_args(const char *s, grpc_arg *args, int max, char **store, int *nstore)
{
    int n = 0;
    if (!s || !*s)
        return 0;
    char *copy = strdup(s);
    store[(*nstore)++] = copy;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv && n < max;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *end;
        errno = 0;
        long v = strtol(eq + 1, &end, 10);
        args[n].key = kv;
        if (!*end && !errno && v >= INT_MIN && v <= INT_MAX && eq[1]) {
            args[n].type = GRPC_ARG_INTEGER;
            args[n].value.integer = (int)v;
        } else {
            args[n].type = GRPC_ARG_STRING;
            args[n].value.string = eq + 1;
        }
        n++;
    }
    return n;
}

srv_grpc *srv_grpc_start(const srv_grpc_options *opt, srv_manager *mgr, tsd_status *st)
{
    srv_grpc *g = calloc(1, sizeof *g);
    if (!g) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    g->opt = *opt;
    g->mgr = mgr;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    static const char *const l1[] = {"model_name", "status"};
    static const char *const l2[] = {"model_name", "API", "entrypoint"};
    static const char *const l3[] = {"model_name", "version", "API", "status"};
    int nb;
    const double *bounds = srv_metric_latency_bounds(&nb);
    g->m_requests = srv_metric_counter("/tensorflow/serving/request_count", 2, l1);
    g->m_latency = srv_metric_histogram("/tensorflow/serving/request_latency", 3, l2, bounds, nb);
    g->m_version = srv_metric_counter("tensord_version_request_count", 4, l3);

    grpc_init();
    grpc_arg args[32];
    char *store[2];
    int nstore = 0;
    int n = parse_channel_args(opt->channel_args, args, 28, store, &nstore);
    int have_recv = 0, have_send = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(args[i].key, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH))
            have_recv = 1;
        if (!strcmp(args[i].key, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH))
            have_send = 1;
    }
    if (!have_recv) {
        args[n].type = GRPC_ARG_INTEGER;
        args[n].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
        args[n++].value.integer = INT_MAX;
    }
    if (!have_send) {
        args[n].type = GRPC_ARG_INTEGER;
        args[n].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
        args[n++].value.integer = INT_MAX;
    }
    grpc_channel_args cargs = {(size_t)n, args};
    g->server = grpc_server_create(&cargs, NULL);
    for (int i = 0; i < nstore; i++)
        free(store[i]);
    for (size_t m = 0; m < NMETHODS; m++)
        if (!methods[m].health || opt->enable_health)
            g->handles[m] = grpc_server_register_method(
                g->server, methods[m].name, NULL, GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    g->nworkers = opt->num_threads > 0 ? opt->num_threads : 4;
    g->workers = calloc((size_t)g->nworkers, sizeof *g->workers);
    if (!g->workers) {
        grpc_server_destroy(g->server);
        free(g);
        grpc_shutdown();
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    for (int i = 0; i < g->nworkers; i++) {
        g->workers[i].g = g;
        g->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(g->server, g->workers[i].cq, NULL);
    }
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int bound = 1;
    if (opt->port > 0) {
        char addr[64];
        snprintf(addr, sizeof addr, "0.0.0.0:%d", opt->port);
        bound = grpc_server_add_http2_port(g->server, addr, creds) > 0;
        if (!bound)
            tsd_err(st, TSD_UNAVAILABLE, "cannot bind gRPC to %s", addr);
    }
    if (bound && opt->socket_path && *opt->socket_path) {
        char addr[4200];
        snprintf(addr, sizeof addr, "unix:%s", opt->socket_path);
        bound = grpc_server_add_http2_port(g->server, addr, creds) > 0;
        if (!bound)
            tsd_err(st, TSD_UNAVAILABLE, "cannot bind gRPC to %s", addr);
    }
    grpc_server_credentials_release(creds);
    if (!bound) {
        for (int i = 0; i < g->nworkers; i++)
            grpc_completion_queue_destroy(g->workers[i].cq);
        grpc_server_destroy(g->server);
        free(g->workers);
        free(g);
        grpc_shutdown();
        return NULL;
    }
    grpc_server_start(g->server);
    for (int i = 0; i < g->nworkers; i++)
        pthread_create(&g->workers[i].th, NULL, worker_main, &g->workers[i]);
    return g;
}

void srv_grpc_drain(srv_grpc *g)
{
    atomic_store(&g->draining, 1);
}

long srv_grpc_inflight(const srv_grpc *g)
{
    return atomic_load(&((srv_grpc *)g)->inflight);
}

void srv_grpc_stop(srv_grpc *g)
{
    if (!g)
        return;
    /* No new calls; running ones complete; then the queues drain. */
    atomic_store(&g->stopping, 1);
    grpc_server_shutdown_and_notify(g->server, g->workers[0].cq, &g->shutdown_tag);
    pthread_mutex_lock(&g->mu);
    while (!g->shutdown_done)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < g->nworkers; i++)
        grpc_completion_queue_shutdown(g->workers[i].cq);
    for (int i = 0; i < g->nworkers; i++) {
        pthread_join(g->workers[i].th, NULL);
        grpc_completion_queue_destroy(g->workers[i].cq);
    }
    grpc_server_destroy(g->server);
    free(g->workers);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g);
    grpc_shutdown();
}
