/*
 * manager.h - the model manager: which models exist, which of their
 * versions are loaded, and refcounted handles to them.
 *
 * Each configured model has a base path whose numeric subdirectories are
 * versions. A version policy (latest N, all, specific) picks the aspired
 * versions; the manager loads new ones in the background (with retries),
 * publishes a version only once it is fully loaded, and retires versions that
 * are no longer aspired once the last request holding them is done
 * (availability-preserving: the last AVAILABLE version is kept until a
 * replacement is AVAILABLE).
 *
 * Thread rules: srv_manager_acquire / srv_handle_release may be called from
 * any thread concurrently; configuration changes and polling run on the
 * manager's own thread (or the caller of srv_manager_poll_once).
 */
#ifndef TSD_SERVER_MANAGER_H
#define TSD_SERVER_MANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "loader/loader.h"
#include "server/batch.h"

/** Version states, numbered as tensorflow.serving.ModelVersionStatus.State. */
typedef enum srv_state {
    SRV_STATE_UNKNOWN = 0,
    SRV_STATE_START = 10,
    SRV_STATE_LOADING = 20,
    SRV_STATE_AVAILABLE = 30,
    SRV_STATE_UNLOADING = 40,
    SRV_STATE_END = 50,
} srv_state;

/** Name TF Serving gives a state ("AVAILABLE"). */
const char *srv_state_name(srv_state s);

/** Version policy kinds. */
typedef enum srv_policy_kind {
    SRV_POLICY_LATEST,
    SRV_POLICY_ALL,
    SRV_POLICY_SPECIFIC
} srv_policy_kind;

/** A label -> version entry. */
typedef struct srv_label {
    char *label;
    int64_t version;
} srv_label;

/** Configuration of one model (as in ModelConfig). */
typedef struct srv_model_config {
    char *name;
    char *base_path; /* absolute */
    srv_policy_kind policy;
    int64_t num_versions; /* LATEST */
    int64_t *versions;    /* SPECIFIC */
    size_t nversions;
    srv_label *labels;
    size_t nlabels;
    /* tensord: the model's training job (TrainingJob), training_config NULL
     * = none. A model with a job may have no version yet: it does not fail
     * startup (it is not ready until its first export is loaded). */
    char *training_config; /* trainer config file, absolute */
    int64_t training_interval_secs;
    int training_manual_start;
} srv_model_config;

/** Manager options (from the command-line flags). */
typedef struct srv_manager_options {
    const char *const *tags; /* saved_model_tags */
    int ntags;
    int max_num_load_retries;
    int64_t load_retry_interval_micros;
    int file_system_poll_wait_seconds; /* <0 never, 0 once at start */
    int enable_model_warmup;
    int num_request_iterations_for_warmup;
    srv_batcher *batcher;   /* NULL: no batching */
    int per_model_batching; /* batching_params.pbtxt in each version dir */
} srv_manager_options;

typedef struct srv_manager srv_manager;

/** A loaded version held by a request; release with srv_handle_release. */
typedef struct srv_handle {
    const char *model_name;
    int64_t version;
    ldr_model *model;
    const srv_batch_params *batching; /* NULL: this version is not batched */
    void *impl;
} srv_handle;

/** Status of one version for GetModelStatus. */
typedef struct srv_version_status {
    int64_t version;
    srv_state state;
    tsd_code error_code;
    char error_message[TSD_STATUS_MSG_MAX];
} srv_version_status;

/** Create a manager (no models yet). */
srv_manager *srv_manager_new(const srv_manager_options *opt);

/** Stop the poll thread and free everything (waits for handles to be released). */
void srv_manager_free(srv_manager *m);

/**
 * Replace the model set with `cfg` (copied). Models no longer listed are
 * unloaded; new ones are added. With wait != 0, blocks until every model in
 * cfg has an AVAILABLE version or failed for good; then returns an error
 * listing the models that did not become available, as TF Serving does
 * ("N servable(s) did not become available: {...}").
 */
tsd_code srv_manager_set_config(srv_manager *m, const srv_model_config *cfg, size_t n, int wait,
                                tsd_status *st);

/**
 * Call fn(ud, cfg, n) after every srv_manager_set_config that changed the
 * model set (whoever called it: startup, a config file reload, gRPC
 * HandleReloadConfigRequest), outside the manager's lock. One listener;
 * NULL removes it.
 */
void srv_manager_set_listener(srv_manager *m,
                              void (*fn)(void *ud, const srv_model_config *cfg, size_t n),
                              void *ud);

/** Scan every base path once and load / unload as the policies say. */
void srv_manager_poll_once(srv_manager *m);

/** Start the background poll thread (period file_system_poll_wait_seconds). */
tsd_code srv_manager_start(srv_manager *m, tsd_status *st);

/**
 * Get a handle to a version: a specific one (has_version), a labelled one
 * (label != NULL) or the latest AVAILABLE. Errors as TF Serving words them:
 * NOT_FOUND "Servable not found for request: Latest(m)" /
 * "Specific(m, 7)", INVALID_ARGUMENT "Unrecognized servable version label: l".
 */
tsd_code srv_manager_acquire(srv_manager *m, const char *name, int has_version, int64_t version,
                             const char *label, srv_handle *h, tsd_status *st);

/** Release a handle (the version is freed when retired and unreferenced). */
void srv_handle_release(srv_handle *h);

/**
 * Status of a model's versions (all, or one with has_version), newest first.
 * NOT_FOUND "Could not find any versions of model M" / "Could not find
 * version V of model M". *out is malloc'ed.
 */
tsd_code srv_manager_status(srv_manager *m, const char *name, int has_version, int64_t version,
                            srv_version_status **out, size_t *n, tsd_status *st);

/** Names of configured models (malloc'ed array of malloc'ed strings). */
size_t srv_manager_model_names(srv_manager *m, char ***names);

/** The batcher requests go through (NULL without batching). */
srv_batcher *srv_manager_batcher(srv_manager *m);

/** 1 when every configured model has an AVAILABLE version (a model whose
 *  training job has not exported yet is not ready: it cannot serve). */
int srv_manager_ready(srv_manager *m);

/** Free a config's contents. */
void srv_model_config_clear(srv_model_config *c);

#endif
