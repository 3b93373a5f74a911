/*
 * json_tensor.h - TF Serving's REST JSON <-> tensors: predict requests in
 * row ("instances") and columnar ("inputs") form, {"b64": ...} strings,
 * dtype conversion by the graph's input dtype, and the response forms
 * ("predictions" / "outputs") with TF Serving's float formatting and
 * `_bytes` outputs as base64.
 */
#ifndef TSD_SERVER_JSON_TENSOR_H
#define TSD_SERVER_JSON_TENSOR_H

#include <jansson.h>

#include "common/status.h"
#include "engine/engine.h"
#include "server/json_out.h"

/** Limits applied while converting a request. */
typedef struct srv_json_limits {
    int64_t max_elements; /* per tensor */
    int max_depth;
} srv_json_limits;

/** Tensors decoded from one request; free with srv_json_inputs_free. */
typedef struct srv_json_inputs {
    size_t n;
    const char **names;  /* borrowed from the JSON document / signature */
    eng_tensor *tensors; /* each owns its data (eng_tensor_alloc) */
    int row_format;      /* 1 = "instances", 0 = "inputs" */
} srv_json_inputs;

/**
 * Convert the "instances" or "inputs" member of a predict request. `keys`
 * and `dtypes` describe the signature inputs (dtype = the graph's dtype for
 * the tensor). Errors use TF Serving's wording.
 */
tsd_code srv_json_predict_inputs(json_t *root, const char *const *keys, const eng_dtype *dtypes,
                                 size_t nkeys, const srv_json_limits *lim, srv_json_inputs *out,
                                 tsd_status *st);

void srv_json_inputs_free(srv_json_inputs *in);

/**
 * Write a predict response: row format -> {"predictions": ...} (all outputs
 * must share dim 0), columnar -> {"outputs": ...}.
 */
tsd_code srv_json_predict_response(srv_buf *b, int row_format, const char *const *keys,
                                   const eng_tensor *outs, size_t n, tsd_status *st);

/** Write one tensor as nested JSON lists (scalars as values). */
tsd_code srv_json_tensor(srv_buf *b, const eng_tensor *t, int as_b64, tsd_status *st);

#endif
