/*
 * tensor_proto.h - conversion between tensorflow.TensorProto (protobuf-c)
 * and engine tensors, in both directions. Used by the graph importer (Const
 * values, tensor attrs) and by the transports (gRPC Predict tensors).
 */
#ifndef TSD_LOADER_TENSOR_PROTO_H
#define TSD_LOADER_TENSOR_PROTO_H

#include "common/status.h"
#include "engine/engine.h"
#include "tensorflow/core/framework/tensor.pb-c.h"

/** Largest tensor (in bytes) built from a TensorProto. */
#define LDR_TENSOR_MAX_BYTES ((size_t)1 << 30)
/* Bytes a string tensor may hold when a short string_val repeats its last
 * value (TensorProto's fill rule): each element is a copy. */
#define LDR_TENSOR_MAX_FILL_BYTES ((size_t)16 << 20)

/**
 * Convert a shape proto. Unknown rank gives rank -1; unknown dims stay -1.
 * Fails on rank > ENG_MAX_RANK or dims < -1.
 */
tsd_code ldr_shape_from_proto(const Tensorflow__TensorShapeProto *sp, eng_shape *out,
                              tsd_status *st);

/**
 * Decode a TensorProto into *out (which then owns its storage: free with
 * eng_tensor_free_data). Values come from tensor_content when it is set,
 * otherwise from the typed *_val field; an empty field gives zeros, and
 * fewer values than elements repeat the last one (so a single value fills
 * the whole tensor). More values than elements, a tensor_content of the
 * wrong size, negative or oversized shapes are INVALID_ARGUMENT.
 */
tsd_code ldr_tensor_from_proto(const Tensorflow__TensorProto *tp, eng_tensor *out, tsd_status *st);

/**
 * Encode t as a newly allocated TensorProto (free it with
 * tensorflow__tensor_proto__free_unpacked(p, NULL)). Numeric values go into
 * tensor_content when use_content is 1, else into the typed *_val field;
 * strings always go into string_val.
 */
tsd_code ldr_tensor_to_proto(const eng_tensor *t, int use_content, Tensorflow__TensorProto **out,
                             tsd_status *st);

#endif
