/*
 * op.h - the kernel interface: how an op is described to the engine.
 *
 * Ops are data. Each family file in engine/ops/ (math.c, array.c, ...)
 * exports one table of eng_op_def terminated by a {NULL} entry; registry.c
 * lists the family tables once and builds the sorted lookup table.
 *
 * An op provides:
 *   infer    (required) output count, dtypes and shapes from the node's
 *            attrs and input infos. Input infos carry the constant value
 *            when it is known at compile time, so Reshape/Fill/etc. can give
 *            exact shapes. Use ENG_DIM_BATCH for "same as the batch" and -1
 *            for data-dependent dims.
 *   compute  (required) run on concrete inputs; allocate outputs with
 *            eng_kctx_output(). Never trust input sizes: validate shapes
 *            and indices and fail with tsd_err(ctx->st, INVALID_ARGUMENT,..).
 *   grad     (optional) gradient builder for the trainer.
 *
 * Kernels must be thread-safe: compute may run concurrently on many calls.
 * Per-node constant state can be built in `prepare` and read via
 * ctx->op_state; mutable state lives in the session (variables, tables) and
 * is reached through the eng_kctx_* state functions below.
 */
#ifndef TSD_ENGINE_OPS_OP_H
#define TSD_ENGINE_OPS_OP_H

#include "engine/engine.h"

/* Flags of an op. */
enum {
    ENG_OP_STATEFUL = 1 << 0,   /* never constant-folded or deduplicated */
    ENG_OP_ALIAS0 = 1 << 1,     /* output 0 may share input 0's buffer */
    ENG_OP_NO_FOLD = 1 << 2,    /* not folded even with constant inputs */
    ENG_OP_SHAPE_ONLY = 1 << 3, /* compute reads only input dtypes and shapes (Shape, Rank,
                                   Size): folded whenever the input shapes are fully known */
};

/** What is known about a value at compile time. */
typedef struct eng_value_info {
    eng_dtype dtype;
    eng_shape shape;
    const eng_tensor *value; /* non-NULL when the value is a compile-time constant */
} eng_value_info;

#define ENG_MAX_OUTPUTS_INLINE 8

/** Shape-inference context. */
typedef struct eng_infer_ctx {
    const eng_node *node;
    int ninputs;
    const eng_value_info *inputs;
    int noutputs;            /* set by infer */
    eng_value_info *outputs; /* array with room for max_outputs entries */
    int max_outputs;         /* if infer needs more, set noutputs and return TSD_OK;
                                the engine grows the array and calls again */
    tsd_status *st;
} eng_infer_ctx;

typedef struct eng_kctx eng_kctx;

/** Kernel context for one execution of one node. */
struct eng_kctx {
    const eng_node *node;
    int ninputs;
    const eng_tensor *inputs; /* concrete inputs */
    int noutputs;
    eng_tensor *outputs;  /* filled via eng_kctx_output / eng_kctx_forward */
    const void *op_state; /* from prepare (may be NULL) */
    eng_session *sess;    /* for state ops */
    void *impl;           /* engine-private: the call, allocator */
    tsd_status *st;
};

/** Optional per-node preparation (validated attrs, lookup structures). */
typedef struct eng_prep_ctx {
    const eng_node *node;
    int ninputs;
    const eng_value_info *inputs;
    void **state;               /* set *state to a malloc'ed object ... */
    void (*free_state)(void *); /* ... and this to its destructor (or NULL = free) */
    tsd_status *st;
} eng_prep_ctx;

/**
 * Gradient-building context (see eng_graph_gradients and ops/grads.c): a
 * gradient function reads the forward node and the gradients flowing into
 * its outputs, adds nodes computing the gradients of its inputs and sets
 * dx[i] for each input with need[i].
 */
typedef struct eng_grad_ctx {
    eng_graph *g;
    const eng_node *node;      /* the forward node */
    int ninputs;               /* its data inputs ... */
    const char *const *inputs; /* ... as tensor names ("n", "n:1") */
    const int *need;           /* need[i]: the caller wants dx[i] */
    int noutputs;              /* outputs that receive a gradient (max index + 1) */
    const char *const *dy;     /* dy[k]: gradient of output k, NULL = zero */
    char **dx;                 /* out: set with eng_grad_set */
    void *impl;                /* autodiff-private */
    tsd_status *st;
} eng_grad_ctx;

/** Gradient function of one op type. */
typedef tsd_code (*eng_grad_fn)(eng_grad_ctx *gc);

/** The gradient function of an op (NULL: none registered). */
eng_grad_fn eng_op_grad(const char *op);

/**
 * Add a gradient node of type op on data inputs; sets attr T to `t` unless
 * t is ENG_DT_INVALID. Returns the node's name (graph-owned; its output 0
 * is the tensor) or NULL with gc->st set. *out, if given, receives the node.
 */
const char *eng_grad_node(eng_grad_ctx *gc, const char *op, const char *const *ins, int n,
                          eng_dtype t, eng_node **out);

/** "name:k" for a node name (into a string the context owns). */
const char *eng_grad_out(eng_grad_ctx *gc, const char *node, int k);

/** Set dx[i] (copied). */
tsd_code eng_grad_set(eng_grad_ctx *gc, int i, const char *tensor);

/** Description of one op. */
typedef struct eng_op_def {
    const char *name;                          /* TensorFlow op type */
    tsd_code (*infer)(eng_infer_ctx *ic);      /* required */
    tsd_code (*compute)(eng_kctx *ctx);        /* required */
    tsd_code (*prepare)(eng_prep_ctx *pc);     /* optional */
    tsd_code (*grad)(struct eng_grad_ctx *gc); /* unused: gradients are ops/grads.c's table */
    unsigned flags;
} eng_op_def;

/** Look an op up by TensorFlow name (NULL if not registered). */
const eng_op_def *eng_op_find(const char *name);

/* ---- kernel helpers ------------------------------------------------------ */

/**
 * Allocate output i with dtype and shape in the call's memory. Returns NULL
 * (and sets ctx->st RESOURCE_EXHAUSTED / INVALID_ARGUMENT) when the shape is
 * negative or exceeds ENG_MAX_ELEMENTS. String outputs start as empty strings.
 */
eng_tensor *eng_kctx_output(eng_kctx *ctx, int i, eng_dtype dt, int rank, const int64_t *dims);

/** Make output i the same buffer as input j with a new shape (for ALIAS0-style ops). */
eng_tensor *eng_kctx_forward(eng_kctx *ctx, int j, int i, int rank, const int64_t *dims);

/** Scratch memory valid for the rest of this call (NULL on failure, st set). */
void *eng_kctx_scratch(eng_kctx *ctx, size_t bytes);

/** Copy bytes into call memory and return them as a string element. */
tsd_code eng_kctx_str(eng_kctx *ctx, const char *p, size_t len, eng_str *out);

/* Variables and resources, for state ops. All return INVALID_ARGUMENT /
 * FAILED_PRECONDITION with context when the variable is unknown. */

/** Current value of the variable bound to node `var` (borrowed, read-locked
 *  copy placed in call memory). */
tsd_code eng_kctx_read_var(eng_kctx *ctx, const char *var, eng_tensor *out);

/**
 * The stored value of a variable for in-place update, in a writer step (the
 * session's variable write lock is held there); INTERNAL elsewhere.
 */
tsd_code eng_kctx_var_mut(eng_kctx *ctx, const char *var, eng_tensor **out);

/** Replace a variable's value (copied); `add` = 1 adds element-wise instead. */
tsd_code eng_kctx_write_var(eng_kctx *ctx, const char *var, const eng_tensor *v, int add);

/** Opaque per-session resource (lookup tables). `create` builds it on first use. */
typedef struct eng_resource {
    void (*free)(struct eng_resource *r);
} eng_resource;

tsd_code eng_kctx_resource(eng_kctx *ctx, const char *key, eng_resource *(*create)(void),
                           eng_resource **out);

/** Read a file through the session's host (vocabulary files). */
tsd_code eng_kctx_read_file(eng_kctx *ctx, const char *path, char **data, size_t *len);

/* ---- attr helpers (for infer/prepare/compute) ---------------------------- */

/** Typed attr getters: return TSD_OK or INVALID_ARGUMENT naming node+attr. */
tsd_code eng_attr_int(const eng_node *n, const char *name, int64_t *out, tsd_status *st);
tsd_code eng_attr_float(const eng_node *n, const char *name, double *out, tsd_status *st);
tsd_code eng_attr_bool(const eng_node *n, const char *name, int *out, tsd_status *st);
tsd_code eng_attr_type(const eng_node *n, const char *name, eng_dtype *out, tsd_status *st);
tsd_code eng_attr_string(const eng_node *n, const char *name, eng_str *out, tsd_status *st);

/** Getters with a default when the attr is absent (stripped default attrs). */
int64_t eng_attr_int_or(const eng_node *n, const char *name, int64_t dflt);
double eng_attr_float_or(const eng_node *n, const char *name, double dflt);
int eng_attr_bool_or(const eng_node *n, const char *name, int dflt);
eng_dtype eng_attr_type_or(const eng_node *n, const char *name, eng_dtype dflt);

#endif
