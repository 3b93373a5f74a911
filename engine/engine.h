/*
 * engine.h - public API of the tensord compute engine.
 *
 * The engine turns a graph of TensorFlow ops into a compiled, immutable
 * execution plan and runs it. It knows no files, sockets or TensorFlow file
 * formats: the loader builds the graph (eng_graph_*), hands over restored
 * variable values and a host callback for the few ops that read files
 * (vocabulary tables), and then compiles one plan per signature.
 *
 * Objects and their rules:
 *   eng_graph    mutable while the loader builds it; owned by one thread.
 *   eng_session  a graph plus its state (variables, lookup tables). Created
 *                from a graph (which it adopts), shared by all threads;
 *                state changes are internally locked.
 *   eng_plan     compiled from a session for fixed feeds/fetches. Immutable
 *                and shared by all threads; freed before its session.
 *   eng_call     per-call scratch (arena, output tensors). One thread at a
 *                time; reuse it across calls to avoid allocation.
 */
#ifndef TSD_ENGINE_ENGINE_H
#define TSD_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/** Element types, numbered as tensorflow.DataType. */
typedef enum eng_dtype {
    ENG_DT_INVALID = 0,
    ENG_DT_FLOAT = 1,
    ENG_DT_DOUBLE = 2,
    ENG_DT_INT32 = 3,
    ENG_DT_UINT8 = 4,
    ENG_DT_INT16 = 5,
    ENG_DT_INT8 = 6,
    ENG_DT_STRING = 7,
    ENG_DT_INT64 = 9,
    ENG_DT_BOOL = 10,
    ENG_DT_UINT16 = 17,
    ENG_DT_HALF = 19,
    ENG_DT_RESOURCE = 20,
    ENG_DT_VARIANT = 21,
    ENG_DT_UINT32 = 22,
    ENG_DT_UINT64 = 23,
} eng_dtype;

/** TensorFlow's reference dtypes are the base type + 100 (DT_FLOAT_REF). */
#define ENG_DT_REF_OFFSET 100

/** Largest supported rank. */
#define ENG_MAX_RANK 8

/** Upper bound on elements of one tensor built from request input. */
#define ENG_MAX_ELEMENTS ((int64_t)1 << 31)

/** One element of a DT_STRING tensor: bytes, not NUL-terminated. */
typedef struct eng_str {
    const char *ptr;
    size_t len;
} eng_str;

/**
 * A tensor: dtype, shape and a pointer to row-major elements.
 * For DT_STRING, data points to an array of eng_str. The tensor does not own
 * its memory; who does is stated by the function that produced it.
 */
typedef struct eng_tensor {
    eng_dtype dtype;
    int32_t rank;
    int64_t dims[ENG_MAX_RANK];
    void *data;
    size_t nbytes; /* bytes at data (for strings: count * sizeof(eng_str)) */
} eng_tensor;

/** A shape that may be partly unknown: rank -1 = unknown rank. */
typedef struct eng_shape {
    int32_t rank;
    int64_t dims[ENG_MAX_RANK]; /* -1 = unknown, ENG_DIM_BATCH = the batch */
} eng_shape;

/** Symbolic dimension equal to the batch size of the call. */
#define ENG_DIM_BATCH (-2)

/* ---- tensors ---------------------------------------------------------- */

/** Size in bytes of one element (sizeof(eng_str) for strings, 0 if unknown). */
size_t eng_dtype_size(eng_dtype dt);

/** "float", "int64", "string", ... as TensorFlow names them (DataTypeString). */
const char *eng_dtype_name(eng_dtype dt);

/** Number of elements of t (product of dims; 1 for a scalar). */
int64_t eng_tensor_num_elements(const eng_tensor *t);

/**
 * Allocate a tensor owning its storage (one malloc: header-independent data
 * block). Strings are allocated as an eng_str array of empty strings.
 * Free with eng_tensor_free_data(). Fails on more than ENG_MAX_ELEMENTS.
 */
tsd_code eng_tensor_alloc(eng_tensor *t, eng_dtype dt, int rank, const int64_t *dims,
                          tsd_status *st);

/**
 * Deep copy src into dst (dst owns one block holding elements and, for
 * strings, the bytes). Free with eng_tensor_free_data().
 */
tsd_code eng_tensor_copy(eng_tensor *dst, const eng_tensor *src, tsd_status *st);

/** Free storage made by eng_tensor_alloc / eng_tensor_copy. */
void eng_tensor_free_data(eng_tensor *t);

/** Format "[2,3]" (or "<unknown>") into buf; returns buf. */
char *eng_shape_str(const int64_t *dims, int rank, char *buf, size_t len);

/* ---- graph building (used by the loader) ------------------------------- */

typedef struct eng_graph eng_graph;
typedef struct eng_node eng_node;

/** Attribute value kinds, mirroring tensorflow.AttrValue. */
typedef enum eng_attr_kind {
    ENG_ATTR_NONE = 0,
    ENG_ATTR_INT,
    ENG_ATTR_FLOAT,
    ENG_ATTR_BOOL,
    ENG_ATTR_TYPE,
    ENG_ATTR_STRING,
    ENG_ATTR_SHAPE,
    ENG_ATTR_TENSOR,
    ENG_ATTR_FUNC,
    ENG_ATTR_LIST_INT,
    ENG_ATTR_LIST_FLOAT,
    ENG_ATTR_LIST_BOOL,
    ENG_ATTR_LIST_TYPE,
    ENG_ATTR_LIST_STRING,
    ENG_ATTR_LIST_SHAPE,
    ENG_ATTR_LIST_TENSOR,
} eng_attr_kind;

/**
 * One attribute value. Scalars use the matching member; lists use n and the
 * matching array. All memory belongs to the graph once the attr is set.
 */
typedef struct eng_attr {
    eng_attr_kind kind;
    int64_t i;
    double f;
    int b;
    eng_dtype type;
    eng_str s; /* STRING, FUNC (function name) */
    eng_shape shape;
    eng_tensor tensor; /* TENSOR */
    size_t n;          /* list length */
    int64_t *ints;
    double *floats;
    eng_dtype *types; /* also LIST_BOOL stores 0/1 in ints */
    eng_str *strs;
    eng_shape *shapes;
    eng_tensor *tensors;
} eng_attr;

/** Create an empty graph. */
eng_graph *eng_graph_new(void);

/** Free a graph that was not adopted by a session. */
void eng_graph_free(eng_graph *g);

/**
 * Add a node. `inputs` are TensorFlow input strings: "node", "node:1", or
 * "^node" for a control edge; they are resolved at compile time, so nodes
 * may be added in any order. Names must be unique.
 */
tsd_code eng_graph_add_node(eng_graph *g, const char *name, const char *op,
                            const char *const *inputs, int ninputs, eng_node **out, tsd_status *st);

/**
 * Set an attribute on a node. The value is deep-copied into the graph.
 */
tsd_code eng_node_set_attr(eng_graph *g, eng_node *n, const char *name, const eng_attr *v,
                           tsd_status *st);

/** Find a node by name (NULL if absent). */
eng_node *eng_graph_find(const eng_graph *g, const char *name);

/** Number of nodes. */
size_t eng_graph_num_nodes(const eng_graph *g);

/** Node name and op type. */
const char *eng_node_name(const eng_node *n);
const char *eng_node_op(const eng_node *n);

/** Attribute lookup (NULL if absent). */
const eng_attr *eng_node_attr(const eng_node *n, const char *name);

/** The i-th node in insertion order (NULL past the end). */
eng_node *eng_graph_node(const eng_graph *g, size_t i);

/** A node's input strings as given ("x", "x:1", "^ctl"). */
int eng_node_num_inputs(const eng_node *n);
const char *eng_node_input(const eng_node *n, int i);

/** A node's attributes, sorted by name. */
int eng_node_num_attrs(const eng_node *n);
const char *eng_node_attr_name(const eng_node *n, int i);
const eng_attr *eng_node_attr_at(const eng_node *n, int i);

/* ---- sessions ----------------------------------------------------------- */

typedef struct eng_session eng_session;

/**
 * Host services for the few kernels that need the outside world (for now:
 * reading a vocabulary file for InitializeTableFromTextFileV2). `read_file`
 * returns a malloc'ed buffer the engine frees.
 */
typedef struct eng_host {
    void *ud;
    tsd_code (*read_file)(void *ud, const char *path, char **data, size_t *len, tsd_status *st);
} eng_host;

/**
 * Create a session from a graph; the session adopts g (do not free it).
 * `name` is used as context in error messages ("model census v3").
 * Fails if a node names an op the engine does not implement AND that node is
 * later reached by a compile; unknown ops elsewhere are accepted.
 */
eng_session *eng_session_new(eng_graph *g, const char *name, const eng_host *host, tsd_status *st);

/** Free a session (after all its plans). */
void eng_session_free(eng_session *s);

/**
 * Give a variable its value. `var_node` names a VariableV2/VarHandleOp node
 * (or any node the loader chooses to bind, e.g. a restored resource).
 * The session takes ownership of value->data, which must come from
 * eng_tensor_alloc/eng_tensor_copy (or be NULL with nbytes 0).
 */
tsd_code eng_session_set_variable(eng_session *s, const char *var_node, eng_tensor *value,
                                  tsd_status *st);

/** Read a variable's current value (deep copy into *out). */
tsd_code eng_session_get_variable(eng_session *s, const char *var_node, eng_tensor *out,
                                  tsd_status *st);

/* ---- plans and calls ---------------------------------------------------- */

typedef struct eng_plan eng_plan;
typedef struct eng_call eng_call;

/** What a plan computes: feed tensors, fetched tensors, target nodes. */
typedef struct eng_plan_spec {
    const char *const *feeds; /* tensor names "x:0" (or "x") */
    int nfeeds;
    const char *const *fetches; /* tensor names */
    int nfetches;
    const char *const *targets; /* node names run for their side effects */
    int ntargets;
} eng_plan_spec;

/**
 * Compile a plan: prune to what the fetches and targets need given the feeds,
 * infer shapes, fold constants, fuse, plan memory. Errors name the model and
 * node: "model M: node 'N': op 'Foo' is not supported".
 */
eng_plan *eng_plan_compile(eng_session *s, const eng_plan_spec *spec, tsd_status *st);

/** Free a plan. */
void eng_plan_free(eng_plan *p);

/** Number of feeds / fetches of a plan (as in its spec). */
int eng_plan_num_feeds(const eng_plan *p);
int eng_plan_num_fetches(const eng_plan *p);

/** Declared dtype of feed i / fetch i as the graph (not the signature) says. */
eng_dtype eng_plan_feed_dtype(const eng_plan *p, int i);
eng_dtype eng_plan_fetch_dtype(const eng_plan *p, int i);

/** Inferred (possibly partial) shape of feed i / fetch i. */
eng_shape eng_plan_feed_shape(const eng_plan *p, int i);
eng_shape eng_plan_fetch_shape(const eng_plan *p, int i);

/** Number of executed steps after compilation (for benchmarks and tests). */
size_t eng_plan_num_steps(const eng_plan *p);

/** Create / free per-call scratch. */
eng_call *eng_call_new(void);
void eng_call_free(eng_call *c);

/**
 * Give the following runs on c a deadline timeout_ms from now (<= 0: none).
 * A run past it stops between steps with DEADLINE_EXCEEDED.
 */
void eng_call_set_timeout(eng_call *c, int64_t timeout_ms);

/** Absolute deadline of c's runs (CLOCK_MONOTONIC nanoseconds; 0 = none). */
int64_t eng_call_deadline(const eng_call *c);

/** Set the absolute deadline directly (CLOCK_MONOTONIC ns; 0 = none). */
void eng_call_set_deadline(eng_call *c, int64_t deadline_ns);

/**
 * Release what the last run on c returned and start c's memory afresh, for
 * results assembled outside a run (the server's batcher copies each
 * request's slice of a batched run into that request's call this way).
 */
void eng_call_clear(eng_call *c);

/**
 * Allocate bytes (64-byte aligned) in c's memory, valid until the next run or
 * eng_call_clear on c. RESOURCE_EXHAUSTED past the call's limits.
 */
void *eng_call_alloc(eng_call *c, size_t bytes, tsd_status *st);

/**
 * Run a plan. feeds[i] matches spec.feeds[i]; on success outs[i] receives
 * fetch i, pointing into c's memory, valid until the next run on c or
 * eng_call_free. Feed dtypes must match the graph; shapes are checked by the
 * kernels. Errors are INVALID_ARGUMENT for bad input, with context.
 */
tsd_code eng_plan_run(const eng_plan *p, eng_call *c, const eng_tensor *feeds, eng_tensor *outs,
                      tsd_status *st);

/**
 * Run target nodes once with feeds, outside any plan (init ops such as table
 * initializers and asset-path assigns). Equivalent to compile + run + free.
 */
tsd_code eng_session_run(eng_session *s, const eng_plan_spec *spec, const eng_tensor *feeds,
                         tsd_status *st);

/**
 * Threads OpenBLAS may use inside one kernel call (process-wide; n <= 0
 * leaves OpenBLAS's default, one per core). A server running requests in
 * parallel wants 1: the cores are busy with requests already, and idle BLAS
 * threads spin.
 */
void eng_set_blas_threads(int n);

/* ---- gradients (for the trainer) ------------------------------------------ */

/**
 * Add to g the nodes computing d(sum of y)/d(xs[i]), like tf.gradients: y
 * and xs are float tensor names ("loss", "w/Read:1"); gradient nodes are
 * named under `prefix`/. On success grads[i] is a malloc'ed tensor name, or
 * NULL when y does not depend on xs[i]. An op on a path from an x to y
 * without a gradient fails with "node 'N': op 'Foo' has no gradient".
 */
tsd_code eng_graph_gradients(eng_graph *g, const char *y, const char *const *xs, int nx,
                             const char *prefix, char **grads, tsd_status *st);

/* ---- ops ---------------------------------------------------------------- */

/** 1 if the engine implements an op type with this TensorFlow name. */
int eng_op_supported(const char *op);

/** Number of registered ops, and the i-th op name (sorted). */
size_t eng_op_count(void);
const char *eng_op_name(size_t i);

#endif
