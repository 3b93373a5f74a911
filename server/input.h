/*
 * input.h - tensorflow.serving.Input (ExampleList / ExampleListWithContext)
 * -> a DT_STRING tensor of serialized tf.Examples, shared by the gRPC
 * Classify/Regress/MultiInference handlers and model warmup.
 */
#ifndef TSD_SERVER_INPUT_H
#define TSD_SERVER_INPUT_H

#include "common/status.h"
#include "engine/engine.h"
#include "tensorflow_serving/apis/input.pb-c.h"

/* Bytes the context's copies may take in all (a small request with a large
 * context and many examples must not become gigabytes). */
#define SRV_INPUT_MAX_CONTEXT_COPY_BYTES ((size_t)128 << 20)

/**
 * Serialize every example (context bytes first when there is a context, so
 * the example's own features win on merge). *out is DT_STRING [n] (free
 * with eng_tensor_free_data); the bytes live in *storage (free()).
 * An input with no examples is INVALID_ARGUMENT "Input is empty."; one
 * whose context copies would exceed SRV_INPUT_MAX_CONTEXT_COPY_BYTES is
 * INVALID_ARGUMENT too.
 */
tsd_code srv_input_to_examples(const Tensorflow__Serving__Input *in, eng_tensor *out,
                               char **storage, tsd_status *st);

#endif
