/*
 * rest.h - the REST front end (libmicrohttpd): TF Serving's /v1/ API plus
 * GET /v1/models, /healthz, /readyz and the training job endpoints
 * (GET /v1/training[/{model}], POST /v1/training/{model}:start|:stop).
 */
#ifndef TSD_SERVER_REST_H
#define TSD_SERVER_REST_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "server/manager.h"

struct srv_training;

/** REST options (from flags). */
typedef struct srv_rest_options {
    int port;
    int num_threads;
    int enable_cors;
    size_t max_body_bytes;         /* larger bodies get 413 */
    int64_t max_elements;          /* per request tensor */
    const char *metrics_path;      /* Prometheus endpoint path, NULL = disabled */
    int64_t timeout_ms;            /* per-request deadline (504 past it); <= 0 none */
    int thread_per_connection;     /* one thread per connection instead of a pool of
                                    * threads sharing connections: needed when a request
                                    * may block (waiting for its batch to fill) without
                                    * stalling other connections */
    struct srv_training *training; /* training jobs; NULL: none (404s) */
} srv_rest_options;

typedef struct srv_rest srv_rest;

/** Start serving on 0.0.0.0:port with a pool of worker threads. */
srv_rest *srv_rest_start(const srv_rest_options *opt, srv_manager *mgr, tsd_status *st);

/** Mark the server as draining: /readyz answers 503 from now on. */
void srv_rest_drain(srv_rest *r);

/** Stop accepting new connections (requests in progress go on). */
void srv_rest_quiesce(srv_rest *r);

/** Requests currently being received or processed. */
long srv_rest_inflight(const srv_rest *r);

/** Stop accepting, finish the running requests, free. */
void srv_rest_stop(srv_rest *r);

#endif
