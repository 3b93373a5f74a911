/*
 * savedmodel_int.h - loader-private access to a parsed SavedModel: the
 * decoded MetaGraphDef (for the graph builder), opening from an in-memory
 * buffer (for the fuzz driver and tests), and the variable-binding
 * extraction implemented in varmap.c.
 */
#ifndef TSD_LOADER_SAVEDMODEL_INT_H
#define TSD_LOADER_SAVEDMODEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "loader/loader.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"

/** Largest saved_model.pb accepted (protobuf's own 2 GiB limit). */
#define LDR_SAVED_MODEL_MAX_BYTES ((size_t)INT32_MAX)

/** The selected MetaGraphDef; valid as long as sm. */
const Tensorflow__MetaGraphDef *ldr__saved_model_meta_graph(const ldr_saved_model *sm);

/**
 * Build a SavedModel description from the bytes of a saved_model.pb.
 * `dir` is used for asset paths and the bundle (may be NULL: no bundle,
 * asset paths relative to "."); `source` names the bytes in messages.
 * Variable bindings are computed when `with_vars` is nonzero.
 */
tsd_code ldr__saved_model_from_buffer(const char *dir, const char *source, const uint8_t *data,
                                      size_t len, const char *const *tags, int ntags, int with_vars,
                                      ldr_saved_model **out, tsd_status *st);

/**
 * Interpret the saver's restore subgraph of mg (TF1 graph or TF2 restore
 * function) and return one binding per variable node, sorted by node name.
 * All strings of *out are malloc'ed; free with ldr__varmap_free. A graph
 * without saver_def gives zero bindings.
 */
tsd_code ldr__varmap_build(const Tensorflow__MetaGraphDef *mg, ldr_var_binding **out, size_t *n,
                           tsd_status *st);

/** Free bindings returned by ldr__varmap_build. */
void ldr__varmap_free(ldr_var_binding *v, size_t n);

#endif
