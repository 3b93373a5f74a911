/*
 * grpc.h - the gRPC front end: tensorflow.serving.PredictionService and
 * ModelService (and grpc.health.v1.Health on request) on gRPC C core.
 */
#ifndef TSD_SERVER_GRPC_H
#define TSD_SERVER_GRPC_H

#include <stdint.h>

#include "common/status.h"
#include "server/manager.h"

/** gRPC options (from flags). */
typedef struct srv_grpc_options {
    int port;                 /* 0 = no TCP listener */
    const char *socket_path;  /* also listen on unix:<path> */
    const char *channel_args; /* "k=v,k=v" */
    int num_threads;          /* worker threads */
    int enable_health;        /* register grpc.health.v1.Health */
    int tensor_content;       /* encode outputs in tensor_content */
    int64_t max_elements;     /* most elements one request may build (sum over its
                               * input tensors; examples of Classify/Regress);
                               * <= 0: only the TensorProto decoder's own cap */
} srv_grpc_options;

typedef struct srv_grpc srv_grpc;

/** Bind, register the method table and start the workers. */
srv_grpc *srv_grpc_start(const srv_grpc_options *opt, srv_manager *mgr, tsd_status *st);

/** Health checks answer NOT_SERVING from now on. */
void srv_grpc_drain(srv_grpc *g);

/** Calls being handled. */
long srv_grpc_inflight(const srv_grpc *g);

/** Refuse new calls, let running ones finish, stop the workers, free. */
void srv_grpc_stop(srv_grpc *g);

#endif
