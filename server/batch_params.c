/*
 * batch_params.c - BatchingParameters: TF's defaults, the text-format file,
 * validation with TF Serving's wording (see batch.h).
 */
#include "server/batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/pbtext.h"
#include "tensorflow_serving/servables/tensorflow/session_bundle_config.pb-c.h"

/* Upper bounds that keep a typo from asking for absurd resources. */
#define MAX_BATCH_ROWS ((int64_t)1 << 24)
#define MAX_THREADS 1024

void srv_batch_params_defaults(srv_batch_params *p)
{
    memset(p, 0, sizeof *p);
    p->max_batch_size = 1000;
    p->batch_timeout_micros = 0;
    p->max_enqueued_batches = 10;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    p->num_batch_threads = ncpu > 0 ? ncpu : 1;
    snprintf(p->thread_pool_name, sizeof p->thread_pool_name, "model_server_batch_threads");
}

static tsd_code validate(const srv_batch_params *p, tsd_status *st)
{
    if (p->max_batch_size <= 0 || p->max_batch_size > MAX_BATCH_ROWS)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "max_batch_size must be between 1 and %" PRId64 ", got %" PRId64,
                       MAX_BATCH_ROWS, p->max_batch_size);
    if (p->batch_timeout_micros < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "batch_timeout_micros must be non-negative");
    if (p->max_enqueued_batches <= 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "max_enqueued_batches must be positive");
    if (p->num_batch_threads <= 0 || p->num_batch_threads > MAX_THREADS)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "num_batch_threads must be between 1 and %d",
                       MAX_THREADS);
    int64_t prev = 0;
    for (size_t i = 0; i < p->nallowed; i++) {
        if (p->allowed_batch_sizes[i] <= prev)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "allowed_batch_sizes entries must be monotonically increasing");
        prev = p->allowed_batch_sizes[i];
    }
    if (p->nallowed && prev != p->max_batch_size)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "final entry in allowed_batch_sizes must equal max_batch_size");
    return TSD_OK;
}

/* Resolve a parsed message over p (unset fields keep p's values). */
static tsd_code from_msg(ProtobufCMessage *m, srv_batch_params *p, tsd_status *st)
{
    const Tensorflow__Serving__BatchingParameters *bp = (void *)m;
    srv_batch_params q = *p;
    if (bp->max_batch_size)
        q.max_batch_size = bp->max_batch_size->value;
    if (bp->batch_timeout_micros)
        q.batch_timeout_micros = bp->batch_timeout_micros->value;
    if (bp->max_enqueued_batches)
        q.max_enqueued_batches = bp->max_enqueued_batches->value;
    if (bp->num_batch_threads)
        q.num_batch_threads = bp->num_batch_threads->value;
    if (bp->thread_pool_name && bp->thread_pool_name->value)
        snprintf(q.thread_pool_name, sizeof q.thread_pool_name, "%s", bp->thread_pool_name->value);
    if (bp->n_allowed_batch_sizes > SRV_BATCH_MAX_ALLOWED)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "at most %d allowed_batch_sizes are supported",
                       SRV_BATCH_MAX_ALLOWED);
    q.nallowed = bp->n_allowed_batch_sizes;
    for (size_t i = 0; i < q.nallowed; i++)
        q.allowed_batch_sizes[i] = bp->allowed_batch_sizes[i];
    q.pad_variable_length_inputs = bp->pad_variable_length_inputs;
    tsd_code c = validate(&q, st);
    if (!c)
        *p = q;
    return c;
}

tsd_code srv_batch_params_parse(const char *text, size_t len, srv_batch_params *p, tsd_status *st)
{
    ProtobufCMessage *m = NULL;
    tsd_code c =
        tsd_pbtext_parse(&tensorflow__serving__batching_parameters__descriptor, text, len, &m, st);
    if (c)
        return c;
    c = from_msg(m, p, st);
    protobuf_c_message_free_unpacked(m, NULL);
    return c;
}

tsd_code srv_batch_params_load(const char *path, srv_batch_params *p, tsd_status *st)
{
    ProtobufCMessage *m = NULL;
    tsd_code c =
        tsd_pbtext_parse_file(&tensorflow__serving__batching_parameters__descriptor, path, &m, st);
    if (c)
        return c;
    if ((c = from_msg(m, p, st)))
        tsd_status_prefix(st, "%s", path);
    protobuf_c_message_free_unpacked(m, NULL);
    return c;
}
