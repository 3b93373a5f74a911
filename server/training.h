/*
 * training.h - embedded training jobs: a model whose config carries a
 * training_job (tensord.TrainingJob) is trained in the background with the
 * embedded trainer (trn_run), and every version it exports into the
 * model's base_path is served by the manager like any other version.
 *
 * Each job runs on its own thread at lower priority than serving
 * (SCHED_BATCH, nice +10). A job trains once (interval_secs 0) or
 * continuously: a round every interval_secs that re-reads the data and
 * trains on from the latest checkpoint. A failed round records its error
 * and never touches what is being served. Protocol-free: REST translates
 * GET /v1/training/{model} and POST .../{model}:start|:stop to these calls.
 *
 * Thread rules: every function may be called from any thread, except
 * srv_training_free (once, after every other call returned).
 */
#ifndef TSD_SERVER_TRAINING_H
#define TSD_SERVER_TRAINING_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "server/manager.h"
#include "trainer/trainer.h"

/** Where a job is. */
typedef enum srv_training_state {
    SRV_TRAINING_IDLE,     /* not started yet (manual_start), or stopped */
    SRV_TRAINING_RUNNING,  /* a round is running, or waiting for the next one */
    SRV_TRAINING_STOPPING, /* asked to stop; the round saves a checkpoint */
    SRV_TRAINING_FAILED,   /* a one-round job failed (last_error says why) */
    SRV_TRAINING_DONE,     /* a one-round job exported its version */
} srv_training_state;

/** Lower-case name of a state ("running"). */
const char *srv_training_state_name(srv_training_state s);

/** A snapshot of one job. */
typedef struct srv_training_status {
    char model[256];
    char config[4096]; /* the trainer config file */
    int64_t interval_secs;
    int manual_start;
    srv_training_state state;
    char phase[16]; /* trn_progress's phase; "waiting" between rounds, "stopped" */
    int64_t step, max_steps, epoch;
    double loss, examples_per_sec;
    int64_t rounds;             /* rounds that exported a version (since the daemon started) */
    int64_t failures;           /* rounds that failed */
    char last_export_dir[4096]; /* "" = none yet */
    int64_t last_version;       /* -1 = none yet */
    int has_metrics;
    trn_metrics metrics;                 /* the last evaluation */
    char last_error[TSD_STATUS_MSG_MAX]; /* the last round's error; "" after a good round */
    int64_t next_round_in_secs;          /* continuous jobs between rounds; else -1 */
} srv_training_status;

/** Options (from flags). */
typedef struct srv_training_options {
    const char *admin_token; /* NULL or "": start/stop are refused */
    int rescan_after_export; /* ask the manager to rescan after each export
                              * (when it does not poll base paths itself) */
    int nice;                /* added to the job threads' nice value (10) */
} srv_training_options;

typedef struct srv_training srv_training;

/** Create the job set (no jobs yet). mgr must outlive it. */
srv_training *srv_training_new(srv_manager *mgr, const srv_training_options *opt);

/**
 * Make the jobs match a model config: start jobs of new models (unless
 * manual_start), stop and drop jobs of models gone or whose job changed
 * (a changed job starts anew), keep the others running untouched. Fits
 * srv_manager_set_listener (ud = the srv_training).
 */
void srv_training_set_config(srv_training *t, const srv_model_config *cfg, size_t n);

/** srv_training_set_config with a void *ud, for srv_manager_set_listener. */
void srv_training_on_config(void *ud, const srv_model_config *cfg, size_t n);

/**
 * Check an admin token for start/stop. PERMISSION_DENIED "training control
 * is disabled (no --training_admin_token)" without a configured token,
 * "missing admin token ..." for token NULL/"", "invalid admin token" for a
 * wrong one (compared in constant time).
 */
tsd_code srv_training_authorize(const srv_training *t, const char *token, tsd_status *st);

/**
 * Status of model's job. NOT_FOUND "Could not find model M" for an unknown
 * model, "Model M has no training job ..." for a model without one.
 */
tsd_code srv_training_get(srv_training *t, const char *model, srv_training_status *out,
                          tsd_status *st);

/** Status of every job (malloc'ed array, model order as configured). */
size_t srv_training_list(srv_training *t, srv_training_status **out);

/**
 * Start model's job (a new round, or continuous rounds). ALREADY_EXISTS when
 * it is running or stopping. *out (may be NULL) gets the new status.
 */
tsd_code srv_training_start(srv_training *t, const char *model, srv_training_status *out,
                            tsd_status *st);

/**
 * Stop model's job: training stops after the current step and saves a
 * checkpoint (the next start resumes from it). Waits up to wait_ms for the
 * job to stop. Stopping a job that is not running is not an error. *out
 * (may be NULL) gets the status afterwards.
 */
tsd_code srv_training_stop(srv_training *t, const char *model, int64_t wait_ms,
                           srv_training_status *out, tsd_status *st);

/** Ask every job to stop (returns at once; srv_training_free joins them). */
void srv_training_stop_all(srv_training *t);

/** Stop every job, wait for the threads, free (NULL is a no-op). */
void srv_training_free(srv_training *t);

#endif
