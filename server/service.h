/*
 * service.h - the protocol-free service layer: predict, classify, regress,
 * metadata and status over the model manager. REST and gRPC translate their
 * requests into these calls and the results back; neither implements any
 * model logic itself.
 *
 * A request is served in three steps:
 *   srv_resolve()      acquire the model version and find the signature;
 *   srv_run_*()        run it with inputs converted by the transport (the
 *                      transport reads srv_resolved.plan's feed dtypes);
 *   srv_resolved_release().
 */
#ifndef TSD_SERVER_SERVICE_H
#define TSD_SERVER_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "loader/loader.h"
#include "server/manager.h"

/** What a request names (as tensorflow.serving.ModelSpec). */
typedef struct srv_spec {
    const char *name;
    int has_version;
    int64_t version;
    const char *label;          /* NULL = none */
    const char *signature_name; /* NULL or "" = serving_default */
} srv_spec;

/** A resolved request target: a held version and its signature. */
typedef struct srv_resolved {
    srv_handle handle;
    const ldr_signature *sig;
    const char *sig_name; /* resolved signature key */
    const eng_plan *plan;
    srv_batcher *batcher; /* NULL: run directly */
} srv_resolved;

/**
 * Acquire the version named by spec and look up its signature. Errors:
 * NOT_FOUND from the manager; FAILED_PRECONDITION
 * "Serving signature key \"X\" not found." for an unknown signature
 * (REST rewords it, see rest.c).
 */
tsd_code srv_resolve(srv_manager *mgr, const srv_spec *spec, srv_resolved *r, tsd_status *st);

/** Release what srv_resolve acquired. */
void srv_resolved_release(srv_resolved *r);

/** Index of signature input `key` in r->sig->inputs (-1 if absent). */
int srv_input_index(const srv_resolved *r, const char *key);

/**
 * Predict: `inputs[i]` is the tensor for signature input `names[i]`; the set
 * of names must equal the signature's inputs ("input size does not match
 * signature: ..."). `filter` (may be empty) selects outputs by key
 * ("output tensor alias not found in signature: ..."). On success
 * out_keys/outs (arrays of r->sig->noutputs entries, filled in signature
 * order; *nout = count) point into the call's memory.
 */
tsd_code srv_run_predict(const srv_resolved *r, eng_call *call, const char *const *names,
                         const eng_tensor *inputs, size_t n, const char *const *filter,
                         size_t nfilter, const char **out_keys, eng_tensor *outs, size_t *nout,
                         tsd_status *st);

/** One classification: labels (may be NULL = no classes output) and scores. */
typedef struct srv_classifications {
    size_t nexamples;
    size_t nclasses;       /* per example */
    const eng_str *labels; /* [nexamples * nclasses] or NULL */
    const float *scores;   /* [nexamples * nclasses] or NULL */
} srv_classifications;

/**
 * Classify serialized tf.Examples (a DT_STRING [n] tensor) with a
 * classification signature, validating it as TF Serving does.
 */
tsd_code srv_run_classify(const srv_resolved *r, eng_call *call, const eng_tensor *examples,
                          srv_classifications *res, tsd_status *st);

/** Regress serialized tf.Examples; *values has one float per example. */
tsd_code srv_run_regress(const srv_resolved *r, eng_call *call, const eng_tensor *examples,
                         const float **values, size_t *n, tsd_status *st);

#endif
