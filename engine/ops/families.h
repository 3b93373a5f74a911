/*
 * families.h - the op family tables registry.c merges. Each is defined in
 * the family's own file and terminated by an entry whose name is NULL.
 */
#ifndef TSD_ENGINE_OPS_FAMILIES_H
#define TSD_ENGINE_OPS_FAMILIES_H

#include "engine/ops/op.h"

extern const eng_op_def eng_ops_math[];   /* math.c: element-wise, reductions, cast, compare */
extern const eng_op_def eng_ops_nn[];     /* nn.c: MatMul, BiasAdd, activations, Softmax */
extern const eng_op_def eng_ops_array[];  /* array.c: shape manipulation, gather, select */
extern const eng_op_def eng_ops_sparse[]; /* sparse.c: sparse tensors, segments, Unique */
extern const eng_op_def eng_ops_string[]; /* string.c: AsString, hashing, SparseCross */
extern const eng_op_def eng_ops_parse[];  /* parse.c: ParseExample, ParseExampleV2 */
extern const eng_op_def eng_ops_state[];  /* state.c: variables, resources, lookup tables */
extern const eng_op_def eng_ops_train[];  /* train.c: optimizer updates (ResourceApply*) */
extern const eng_op_def eng_ops_grad[];   /* grad_kernels.c: ReluGrad, BiasAddGrad, ... */

#endif
