/*
 * plan_int.h - engine-private layout of compiled plans, memory plans and
 * calls, shared by compile*.c, memplan.c, exec.c and kctx.c, plus a few
 * introspection functions for the engine's own unit tests.
 */
#ifndef TSD_ENGINE_PLAN_INT_H
#define TSD_ENGINE_PLAN_INT_H

#include "engine/session_int.h"

#include <pthread.h>
#include <stdatomic.h>

/** Where a value comes from. */
enum { ENG__VAL_FEED = 0, ENG__VAL_CONST = 1, ENG__VAL_STEP = 2 };

/** Static facts about one value of a plan. */
typedef struct eng__value {
    eng_dtype dtype;
    eng_shape shape;
    int kind;           /* ENG__VAL_* */
    int32_t def_step;   /* producing step (kind STEP) */
    int32_t last_use;   /* last consuming step; def_step if unused */
    int32_t alias_root; /* value whose buffer an ALIAS0 output may share */
    int fetched;
} eng__value;

/** One executed step. Output value ids are out_base .. out_base+noutputs-1. */
typedef struct eng__step {
    const eng_op_def *def;
    const eng_node *node;
    int32_t *in; /* value ids */
    int ninputs;
    int32_t out_base;
    int noutputs;
    void *op_state;
    void (*free_state)(void *);
    int writer; /* runs under the session's variable write lock */
} eng__step;

/** Arena layout for one batch size: offset and size per value (-1 = dynamic). */
typedef struct eng__memplan {
    atomic_int refs;
    int64_t batch;
    size_t total;
    int64_t *off;
    size_t *size;
} eng__memplan;

#define ENG__LRU 8

struct eng_plan {
    eng_session *sess;
    uint64_t id; /* unique across plans (calls cache by id) */
    int nfeeds, nfetches;
    char **feed_names;
    int32_t *feed_val;
    int32_t *fetch_val;
    eng__value *vals;
    int32_t nvals;
    eng_tensor *consts; /* value ids const_base .. const_base+nconsts-1 */
    int32_t const_base, nconsts;
    void **owned; /* buffers of folded constants the plan owns */
    size_t nowned;
    eng__step *steps;
    size_t nsteps;
    int max_in;
    eng_graph *synth; /* nodes made by fusion */
    pthread_mutex_t mp_lock;
    struct {
        int64_t batch;
        eng__memplan *mp;
        uint64_t tick;
    } lru[ENG__LRU];
    uint64_t tick;
};

/** A bump chunk of the call's dynamic region. */
typedef struct eng__chunk {
    struct eng__chunk *next;
    size_t cap, used;
    char *data;
} eng__chunk;

struct eng_call {
    char *arena; /* planned region */
    size_t arena_cap;
    eng__chunk *chunks; /* dynamic region, kept across runs */
    eng__chunk *cur;
    size_t dyn_total; /* bytes bump-allocated in this run */
    eng_tensor *vals;
    size_t vals_cap;
    eng_tensor *tmp_in;
    size_t tmp_in_cap;
    eng__memplan *mp;    /* cached memory plan ... */
    uint64_t mp_plan;    /* ... of this plan id */
    size_t limit;        /* largest single allocation */
    size_t dyn_limit;    /* largest dynamic region per run */
    uint64_t nmallocs;   /* allocations made by this call (tests) */
    int64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
};

/** Per-step private kernel context data (kctx->impl). */
typedef struct eng__kimpl {
    eng_call *call;
    const eng__memplan *mp; /* NULL: everything is bump-allocated */
    int32_t out_base;
    unsigned flags; /* op flags */
} eng__kimpl;

/* ---- memplan.c ---- */

/** Get (computing and caching if needed) the memory plan for batch B; refs+1. */
tsd_code eng__memplan_get(eng_plan *p, int64_t batch, eng__memplan **out, tsd_status *st);

/** Drop a reference. */
void eng__memplan_unref(eng__memplan *mp);

/** Free every cached memory plan of p. */
void eng__memplan_clear(eng_plan *p);

/* ---- kctx.c ---- */

/** Reset the dynamic region for a new run (keeps chunks). */
void eng__call_reset(eng_call *c);

/** Bump-allocate from the dynamic region (align: power of two). */
void *eng__call_bump(eng_call *c, size_t bytes, size_t align, tsd_status *st);

/** Ensure the planned region holds `bytes`; grow-only. */
tsd_code eng__call_reserve(eng_call *c, size_t bytes, tsd_status *st);

/** Set a call's allocation limits (0 keeps the current one). */
void eng__call_set_limits(eng_call *c, size_t single, size_t total);

/* ---- compile / exec internals ---- */

/** Infer a node's outputs, growing *outs as needed (free with free()). */
tsd_code eng__infer_node(const eng_op_def *def, const eng_node *n, const eng_value_info *in,
                         int nin, eng_value_info **outs, int *nouts, tsd_status *st);

/** Run one kernel on concrete inputs with call c (no memory plan). */
tsd_code eng__run_kernel(eng_session *s, const eng_op_def *def, const eng_node *n,
                         const void *op_state, const eng_tensor *in, int nin, eng_tensor *out,
                         int nout, eng_call *c, tsd_status *st);

/** Number of values a plan holds, and the planned arena size for batch B. */
int32_t eng__plan_num_values(const eng_plan *p);
tsd_code eng__plan_arena_bytes(eng_plan *p, int64_t batch, size_t *bytes, tsd_status *st);

/** Allocations made so far by a call (tests: zero growth after warm-up). */
uint64_t eng__call_num_mallocs(const eng_call *c);

#endif
