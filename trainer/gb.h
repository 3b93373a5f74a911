/*
 * gb.h - trainer-private: a small graph builder over the engine's graph
 * API. Errors latch (the first one is kept in the status and later calls do
 * nothing), names are formatted into a pool that lives as long as the
 * builder, and constants and attrs take one call each, so model code reads
 * as the list of nodes it adds.
 */
#ifndef TSD_TRAINER_GB_H
#define TSD_TRAINER_GB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct trn_gb {
    eng_graph *g;
    tsd_status *st;
    int failed;
    char **pool; /* formatted names */
    size_t npool, cap;
} trn_gb;

/** Start building into g; errors go to st. */
void trn_gb_init(trn_gb *b, eng_graph *g, tsd_status *st);

/** Free the name pool (the graph is the caller's). */
void trn_gb_free(trn_gb *b);

/** A printf-formatted name kept until trn_gb_free ("" after an error). */
const char *trn_gb_name(trn_gb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Add node `name` = op(ins); returns the node (NULL after an error). */
eng_node *trn_gb_add(trn_gb *b, const char *name, const char *op, const char *const *ins, int n);

/** Attrs on n (no-ops after an error or on NULL). */
void trn_gb_type(trn_gb *b, eng_node *n, const char *attr, eng_dtype t);
void trn_gb_int(trn_gb *b, eng_node *n, const char *attr, int64_t v);
void trn_gb_bool(trn_gb *b, eng_node *n, const char *attr, int v);
void trn_gb_float(trn_gb *b, eng_node *n, const char *attr, double v);
void trn_gb_str(trn_gb *b, eng_node *n, const char *attr, const char *s);
void trn_gb_attr(trn_gb *b, eng_node *n, const char *attr, eng_attr a);

/** Op with one or two inputs and attr T = t (ENG_DT_INVALID: no T). */
const char *trn_gb_op1(trn_gb *b, const char *name, const char *op, const char *a, eng_dtype t);
const char *trn_gb_op2(trn_gb *b, const char *name, const char *op, const char *a, const char *c,
                       eng_dtype t);

/** Const nodes; rank-1 when n >= 0 with shape [n], a scalar when n < 0. */
const char *trn_gb_const(trn_gb *b, const char *name, const eng_tensor *t);
const char *trn_gb_i32(trn_gb *b, const char *name, const int32_t *v, int64_t n);
const char *trn_gb_i64(trn_gb *b, const char *name, const int64_t *v, int64_t n);
const char *trn_gb_f32(trn_gb *b, const char *name, const float *v, int64_t n);
const char *trn_gb_strs(trn_gb *b, const char *name, const char *const *v, int64_t n);

/** Scalar constants. */
const char *trn_gb_si32(trn_gb *b, const char *name, int32_t v);
const char *trn_gb_si64(trn_gb *b, const char *name, int64_t v);
const char *trn_gb_sf32(trn_gb *b, const char *name, float v);

/** Cast(x) from src to dst. */
const char *trn_gb_cast(trn_gb *b, const char *name, const char *x, eng_dtype src, eng_dtype dst);

/** Reshape(x, shape) with a constant int32 shape. */
const char *trn_gb_reshape(trn_gb *b, const char *name, const char *x, eng_dtype t,
                           const int32_t *shape, int rank);

/** A resource variable (VarHandleOp) and, with read, "<name>/Read". */
const char *trn_gb_var(trn_gb *b, const char *name, eng_dtype dt, int rank, const int64_t *dims,
                       int read);

#endif
