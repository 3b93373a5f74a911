/*
 * model_state.h - trainer-private: the model struct, shared by model.c
 * (graph, plans, steps) and checkpoint.c (save, restore, retention).
 */
#ifndef TSD_TRAINER_MODEL_STATE_H
#define TSD_TRAINER_MODEL_STATE_H

#include "loader/loader.h"
#include "trainer/model_int.h"

struct trn_model {
    const trn_config *cfg;
    trn_gb names;  /* the graph's name pool (pred_name, updates, ... point into it) */
    trn_vars vars; /* model weights, then slots, then global_step: what a checkpoint holds */
    eng_session *sess;
    eng_plan *train, *predict, *eval;
    eng_call *call;
    const char *pred_name, *per_example;
    char **table_inits;
    int ntable_inits;
    const char **updates;
    int nupdates;
    int adam;
    /* dropout masks the train plan feeds after its other feeds */
    const char *masks[TRN_MAX_MASKS];
    int64_t mask_width[TRN_MAX_MASKS];
    int nmasks;
    float *mask_buf;
    int64_t mask_cap;
    const char *bn_mode; /* fed 1.0 by the train plan (NULL: no batch norm) */
    float bn_one;
    /* feed buffers */
    eng_str *ex;
    char *ex_bytes; /* the batch's serialized examples, copied side by side */
    size_t ex_bytes_cap;
    float *lab, *w, powers[4];
    int64_t cap;
    /* checkpoints and summaries */
    char **kept; /* retained checkpoints, oldest first ("model.ckpt-N") */
    size_t nkept;
    int64_t step; /* the global_step variable's value, kept here so reading it costs
                   * no copy of the variable per step */
    ldr_event_writer *events;
    int summary_steps;
    double last_summary_time;
    int64_t last_summary_step;
};

/** Wall-clock seconds (event timestamps). */
double trn__wall_seconds(void);

#endif
