/*
 * compile_int.h - working state of one eng_plan_compile, shared by the
 * compile passes: compile.c (resolve, prune, order), compile_infer.c
 * (shape inference and constant folding) and compile_build.c (aliases,
 * fusion, value numbering, steps, liveness).
 */
#ifndef TSD_ENGINE_COMPILE_INT_H
#define TSD_ENGINE_COMPILE_INT_H

#include "engine/plan_int.h"

/** Per graph node compile state (indexed by node id). */
typedef struct eng__cnode {
    const eng_node *n;
    const eng_op_def *def;
    unsigned char reached;    /* must run (or fold) for fetches/targets */
    unsigned char infer_only; /* only inferred: producer of a fed tensor */
    unsigned char resolved;
    unsigned char unresolvable;
    unsigned char inferred;
    unsigned char folded;     /* outputs are constants (or no outputs) */
    unsigned char alias;      /* identity: outputs are its inputs */
    unsigned char fused_away; /* absorbed into a fused step */
    unsigned char feed_any;   /* some output is fed */
    unsigned char ref_only;   /* variable used only as the target of writers */
    int nin;
    int32_t *in_node; /* data inputs: source node id ... */
    int32_t *in_idx;  /* ... and output index */
    int nctl;
    int32_t *ctl; /* control inputs */
    int nout;
    eng_value_info *out;        /* inferred outputs */
    eng_tensor *cval;           /* constant values (dtype INVALID = not constant) */
    int32_t *vid;               /* value ids of outputs (-1 = none) */
    int32_t fuse_mm, fuse_bias; /* for the last node of a fused chain */
    const char *fuse_act;
} eng__cnode;

/** A canonical value reference after feeds, folding and aliases. */
typedef struct eng__vref {
    int kind;     /* ENG__VAL_* */
    int32_t node; /* FEED: feed index */
    int32_t idx;
} eng__vref;

/** One compile. */
typedef struct eng__cc {
    eng_session *s;
    const eng_graph *g;
    const eng_plan_spec *spec;
    tsd_status *st;
    eng__cnode *cn;
    size_t n;
    int nfeeds;
    int32_t *feed_node;
    int *feed_idx;
    eng_value_info *feed_info;
    int32_t *fetch_node;
    int *fetch_idx;
    int32_t *order; /* inferred nodes in topological order */
    size_t norder;
    void **owned; /* folded constant buffers (move to the plan) */
    size_t nowned, cap_owned;
    eng_call *fold_call;
    eng_plan *p;
} eng__cc;

/** Index of the feed for (node, idx), or -1. */
int eng__cc_feed_of(const eng__cc *cc, int32_t node, int idx);

/** Resolve a node's input strings into node ids (once). */
tsd_code eng__cc_resolve(eng__cc *cc, int32_t i);

/** compile_infer.c: infer every ordered node and fold constants. */
tsd_code eng__cc_infer_fold(eng__cc *cc);

/** compile_build.c: aliases, fusion, values and steps into cc->p. */
tsd_code eng__cc_build(eng__cc *cc);

/** Canonical reference of output idx of node. */
eng__vref eng__cc_canon(const eng__cc *cc, int32_t node, int idx);

#endif
