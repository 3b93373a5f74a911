/*
 * grpc_int.h - private interface between the gRPC transport (grpc.c) and
 * its method handlers (grpc_methods.c).
 */
#ifndef TSD_SERVER_GRPC_INT_H
#define TSD_SERVER_GRPC_INT_H

#include <protobuf-c/protobuf-c.h>

#include "common/status.h"
#include "engine/engine.h"
#include "server/manager.h"

#include "grpc/health/v1/health.pb-c.h"
#include "tensorflow_serving/apis/classification.pb-c.h"
#include "tensorflow_serving/apis/get_model_metadata.pb-c.h"
#include "tensorflow_serving/apis/get_model_status.pb-c.h"
#include "tensorflow_serving/apis/inference.pb-c.h"
#include "tensorflow_serving/apis/model_management.pb-c.h"
#include "tensorflow_serving/apis/predict.pb-c.h"
#include "tensorflow_serving/apis/regression.pb-c.h"

/** Per-call memory: zeroed blocks and protobuf-c messages freed together. */
typedef struct srv_pool {
    void **blocks;
    size_t n, cap;
    ProtobufCMessage **msgs;
    size_t nmsgs;
} srv_pool;

void *srv_pool_alloc(srv_pool *p, size_t n);
char *srv_pool_strdup(srv_pool *p, const char *s);
void srv_pool_free(srv_pool *p);

/** What a handler sees of the transport for one call. */
typedef struct srv_grpc_ctx {
    srv_manager *mgr;
    eng_call *call;     /* the worker thread's engine scratch */
    int tensor_content; /* encode numeric outputs in tensor_content */
    int draining;
    const char *model_name; /* set by the handler, for metrics */
    int64_t version;        /* version served, -1 if none */
    uint8_t *packed;        /* response bytes when the handler packed itself */
    size_t packed_len;
    int64_t max_elements; /* per request, checked before decoding; <= 0 = none */
} srv_grpc_ctx;

/** Pack a response into ctx->packed (malloc'ed); used by handlers whose
 *  response points into memory released before they return. */
tsd_code srv_grpc_pack(const ProtobufCMessage *m, srv_grpc_ctx *g, tsd_status *st);

/** A method handler: either sets *out (packed by the transport) or packs
 *  itself with srv_grpc_pack and sets *out = NULL. */
typedef tsd_code (*srv_grpc_handler)(srv_grpc_ctx *g, const ProtobufCMessage *req,
                                     ProtobufCMessage **out, srv_pool *p, tsd_status *st);

tsd_code srv_grpc_predict(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **, srv_pool *,
                          tsd_status *);
tsd_code srv_grpc_classify(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **,
                           srv_pool *, tsd_status *);
tsd_code srv_grpc_regress(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **, srv_pool *,
                          tsd_status *);
tsd_code srv_grpc_multi_inference(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **,
                                  srv_pool *, tsd_status *);
tsd_code srv_grpc_metadata(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **,
                           srv_pool *, tsd_status *);
tsd_code srv_grpc_status(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **, srv_pool *,
                         tsd_status *);
tsd_code srv_grpc_reload(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **, srv_pool *,
                         tsd_status *);
tsd_code srv_grpc_health(srv_grpc_ctx *, const ProtobufCMessage *, ProtobufCMessage **, srv_pool *,
                         tsd_status *);

#endif
