/*
 * batch.h - server-side batching, as TF Serving's --enable_batching.
 *
 * Requests for the same compiled signature (the same eng_plan) wait in a
 * queue; a shared pool of batch threads concatenates their inputs along
 * dim 0, runs the plan once, and copies each request's rows of every output
 * back into that request's own eng_call. Parameters and defaults are TF
 * Serving's BatchingParameters; error wording is TF Serving's.
 *
 * Beyond TF Serving:
 *   - a request that cannot be batched (scalar inputs, inputs whose dim 0
 *     differ, a signature whose outputs have no batch dimension) runs on its
 *     own instead of failing;
 *   - requests whose inputs differ in shape beyond dim 0 go to separate
 *     batches instead of failing the batch they would have joined;
 *   - when a batched run fails (one bad tf.Example, say), each request of
 *     the batch is run alone, so only the bad one gets the error;
 *   - per-model/signature metrics next to TF Serving's batching metrics.
 *
 * Thread rules: srv_batcher_run may be called from any number of threads;
 * each call blocks until its result is ready (or its deadline passes while
 * it still waits in the queue).
 */
#ifndef TSD_SERVER_BATCH_H
#define TSD_SERVER_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "engine/engine.h"

/** Most allowed_batch_sizes entries accepted. */
#define SRV_BATCH_MAX_ALLOWED 64

/** Batching parameters (tensorflow.serving.BatchingParameters, resolved). */
typedef struct srv_batch_params {
    int64_t max_batch_size;       /* largest batch (and request) in rows */
    int64_t batch_timeout_micros; /* how long an open batch may wait to fill */
    int64_t max_enqueued_batches; /* per queue; beyond: UNAVAILABLE */
    int64_t num_batch_threads;    /* threads of the shared pool */
    char thread_pool_name[64];    /* label of the queuing-latency metric */
    int64_t allowed_batch_sizes[SRV_BATCH_MAX_ALLOWED]; /* pad up to these */
    size_t nallowed;
    int pad_variable_length_inputs; /* pad dims > 0 to the batch's largest */
} srv_batch_params;

/**
 * TF's scheduler defaults: max_batch_size 1000, batch_timeout_micros 0,
 * max_enqueued_batches 10, num_batch_threads = online CPUs, thread pool
 * "model_server_batch_threads" (TF Serving's name when no file is given).
 */
void srv_batch_params_defaults(srv_batch_params *p);

/**
 * Parse text-format BatchingParameters over p (fields left unset keep p's
 * values) and validate: positive sizes, allowed_batch_sizes increasing with
 * the last equal to max_batch_size. Errors are INVALID_ARGUMENT, with the
 * text-format parser's line:column wording for syntax errors.
 */
tsd_code srv_batch_params_parse(const char *text, size_t len, srv_batch_params *p, tsd_status *st);

/** Read a file and srv_batch_params_parse it (errors name the file). */
tsd_code srv_batch_params_load(const char *path, srv_batch_params *p, tsd_status *st);

typedef struct srv_batcher srv_batcher;

/**
 * Start a batcher with `p->num_batch_threads` threads. p also serves as the
 * default parameters of every queue (see srv_batch_target.params).
 */
srv_batcher *srv_batcher_new(const srv_batch_params *p, tsd_status *st);

/** Parameters the batcher was created with. */
const srv_batch_params *srv_batcher_params(const srv_batcher *b);

/** Finish every queued batch, stop the threads and free (NULL is a no-op). */
void srv_batcher_free(srv_batcher *b);

/** What a request runs: its plan, and who it is for metrics. */
typedef struct srv_batch_target {
    const eng_plan *plan;
    const srv_batch_params *params; /* this model's; NULL = the batcher's */
    const char *model_name;
    const char *signature;
} srv_batch_target;

/**
 * Run t->plan on feeds through the batcher; same contract as eng_plan_run:
 * outs point into `call`'s memory until the next run on call. The deadline
 * of `call` (eng_call_set_timeout) bounds the wait in the queue as well.
 * Errors: INVALID_ARGUMENT "Task size N is larger than maximum input batch
 * size M"; UNAVAILABLE "The batch scheduling queue to which this task was
 * submitted is full"; DEADLINE_EXCEEDED when the deadline passes in the
 * queue; otherwise what the engine says for this request's inputs.
 */
tsd_code srv_batcher_run(srv_batcher *b, const srv_batch_target *t, eng_call *call,
                         const eng_tensor *feeds, eng_tensor *outs, tsd_status *st);

#endif
